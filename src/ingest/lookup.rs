//! Official area lookups read as published: the English Indices of Deprivation
//! (LSOA → IMD rank and decile) and the same release's population denominators.
//!
//! The files are read as users download them (CSV, gzipped CSV or `.xlsx`, with
//! a byte-order mark, long header names and ranks with thousands separators).
//! The vintage comes from the LSOA column's header: `LSOA code (2011)` is IMD
//! 2019, `LSOA code (2021)` is IMD 2025. Codes not in the lookup (Welsh or
//! Scottish areas, or another vintage's codes) are counted as unmatched, never
//! given a wrong decile.

use std::collections::HashMap;
use std::path::Path;

use super::mapping::SourceMapping;
use super::source::Source;
use super::values::parse_integer;
use crate::error::{Error, Result};

/// The IMD lookup: LSOA code → (rank, decile).
#[derive(Debug, Clone)]
pub struct ImdLookup {
    /// `2019` or `2025`.
    pub vintage: &'static str,
    /// File name (stated in outputs).
    pub source: String,
    /// LSOA code → (rank, decile), in file order of first appearance.
    pub areas: HashMap<String, (i64, i64)>,
    /// LSOA codes in file order.
    pub order: Vec<String>,
}

/// Population denominators per LSOA.
#[derive(Debug, Clone)]
pub struct AreaPopulation {
    /// `2019` or `2025`.
    pub vintage: &'static str,
    /// File name and release (stated in outputs).
    pub source: String,
    /// One row per LSOA, in file order.
    pub rows: Vec<AreaRow>,
}

/// The population of one LSOA.
#[derive(Debug, Clone)]
pub struct AreaRow {
    /// LSOA code.
    pub lsoa_code: String,
    /// Total population.
    pub population: i64,
    /// Aged 0–15.
    pub aged_0_15: Option<i64>,
    /// Aged 16–59.
    pub aged_16_59: Option<i64>,
    /// Aged 60 and over.
    pub aged_60_plus: Option<i64>,
    /// Working age (18–59/64).
    pub working_age: Option<i64>,
}

/// Why a person's LSOA got no decile from the lookup.
pub fn unmatched_reason(lsoa: &str, vintage: &str) -> &'static str {
    if lsoa.starts_with("W01") || lsoa.starts_with("S01") {
        "Welsh or Scottish area: not in the English index"
    } else if vintage == "2019" {
        "not in the IMD 2019 lookup (a 2021 LSOA code, or unknown)"
    } else {
        "not in the IMD 2025 lookup (a 2011 LSOA code, or unknown)"
    }
}

struct Table {
    header: Vec<String>,
    rows: Vec<(u64, Vec<String>)>,
    name: String,
}

fn read(path: &Path) -> Result<Table> {
    let mut source = Source::open(path, &SourceMapping::default(), &[])?;
    let mut rows = Vec::new();
    while let Some(row) = source.next_row()? {
        if !row.is_blank() {
            rows.push((row.line, row.fields));
        }
    }
    Ok(Table {
        header: source.header.clone(),
        rows,
        name: path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default(),
    })
}

fn column(t: &Table, path: &Path, wanted: &[&str]) -> Result<usize> {
    t.header
        .iter()
        .position(|h| {
            wanted
                .iter()
                .all(|w| h.to_lowercase().contains(&w.to_lowercase()))
        })
        .ok_or_else(|| {
            Error::input(
                path,
                format!("no column whose header contains {}", wanted.join(" and ")),
                format!(
                    "point sprout at the official file as published; its columns were: {}",
                    t.header.join(", ")
                ),
            )
        })
}

/// The LSOA column and the vintage its header names.
fn lsoa_column(t: &Table, path: &Path) -> Result<(usize, &'static str)> {
    let i = column(t, path, &["lsoa code"])?;
    let vintage = if t.header[i].contains("2011") {
        "2019"
    } else if t.header[i].contains("2021") {
        "2025"
    } else {
        return Err(Error::input(
            path,
            format!(
                "cannot tell the LSOA vintage from the header '{}'",
                t.header[i]
            ),
            "use the official file: its header says 'LSOA code (2011)' (IMD 2019) or 'LSOA code (2021)' (IMD 2025)",
        ));
    };
    Ok((i, vintage))
}

fn number(t: &Table, path: &Path, line: u64, value: &str, what: &str) -> Result<i64> {
    parse_integer(value).map_err(|p| {
        Error::input(
            path,
            format!("line {line}: {what}: {}", p.detail),
            format!("{} should be the official file as published", t.name),
        )
    })
}

impl ImdLookup {
    /// Read the official IMD file (File 1 of the English Indices of Deprivation).
    pub fn load(path: &Path) -> Result<ImdLookup> {
        let t = read(path)?;
        let (lsoa, vintage) = lsoa_column(&t, path)?;
        let rank = column(&t, path, &["(imd)", "rank"])?;
        let decile = column(&t, path, &["(imd)", "decile"])?;
        let mut areas = HashMap::with_capacity(t.rows.len());
        let mut order = Vec::with_capacity(t.rows.len());
        for (line, row) in &t.rows {
            let code = row.get(lsoa).cloned().unwrap_or_default();
            let r = number(
                &t,
                path,
                *line,
                row.get(rank).map_or("", String::as_str),
                "IMD rank",
            )?;
            let d = number(
                &t,
                path,
                *line,
                row.get(decile).map_or("", String::as_str),
                "IMD decile",
            )?;
            if !(1..=10).contains(&d) {
                return Err(Error::input(
                    path,
                    format!("line {line}: IMD decile {d} is not 1 to 10"),
                    "use the official file",
                ));
            }
            if areas.insert(code.clone(), (r, d)).is_none() {
                order.push(code);
            }
        }
        Ok(ImdLookup {
            vintage,
            source: t.name,
            areas,
            order,
        })
    }

    /// The decile of an LSOA, if the lookup has it.
    pub fn decile(&self, lsoa: &str) -> Option<i64> {
        self.areas.get(lsoa).map(|(_, d)| *d)
    }
}

impl AreaPopulation {
    /// Read the official population denominators file (File 6 of the same release).
    pub fn load(path: &Path) -> Result<AreaPopulation> {
        let t = read(path)?;
        let (lsoa, vintage) = lsoa_column(&t, path)?;
        let total = column(&t, path, &["total population"])?;
        let optional = |wanted: &[&str]| column(&t, path, wanted).ok();
        let (children, adults, older, working) = (
            optional(&["aged 0-15"]),
            optional(&["aged 16-59"]),
            optional(&["60 and over"]),
            optional(&["working age"]),
        );
        let mut rows = Vec::with_capacity(t.rows.len());
        for (line, row) in &t.rows {
            let get = |i: Option<usize>| -> Result<Option<i64>> {
                match i.and_then(|i| row.get(i)).filter(|v| !v.is_empty()) {
                    Some(v) => number(&t, path, *line, v, "population").map(Some),
                    None => Ok(None),
                }
            };
            let code = row.get(lsoa).cloned().unwrap_or_default();
            let total = get(Some(total))?.unwrap_or(0);
            rows.push(AreaRow {
                lsoa_code: code,
                population: total,
                aged_0_15: get(children)?,
                aged_16_59: get(adults)?,
                aged_60_plus: get(older)?,
                working_age: get(working)?,
            });
        }
        let release = if vintage == "2019" {
            "IoD2019"
        } else {
            "IoD2025"
        };
        Ok(AreaPopulation {
            vintage,
            source: format!("{} ({release})", t.name),
            rows,
        })
    }
}
