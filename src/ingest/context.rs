//! Published context read as users download it: practice and PCN names from
//! the NHS Organisation Data Service (ODS), and the ONS personal well-being
//! (ONS4) means of local areas.
//!
//! - `epraccur.csv` (GP practices; no header, 27 quoted columns, either the
//!   legacy layout with one-letter statuses or the ODS Data Search and
//!   Export layout with spelled-out ones), gzipped or not.
//! - PCN membership: `epcncorepartnerdetails.csv` (no header, 11 columns) or
//!   the `ePCN.xlsx` workbook (its `PCN Core Partner Details` sheet, with a
//!   header).
//! - `personal-wellbeing-estimates.csv` (ONS Explore Local Statistics: one
//!   row per area, indicator and year).
//!
//! Each file's vintage is stated from its own contents (the latest date it
//! holds, or the latest year it covers), since their names carry none.

use std::path::Path;

use chrono::NaiveDate;

use super::mapping::SourceMapping;
use super::source::Source;
use crate::error::{Error, Result};

/// The published context files an ingest may be given.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct ContextFiles {
    /// The ODS GP practices file `epraccur.csv` (or .csv.gz) as downloaded:
    /// practice names beside their codes in the reports.
    #[arg(long)]
    pub ods_practices: Option<std::path::PathBuf>,
    /// The ODS PCN membership file (`epcncorepartnerdetails.csv`, .csv.gz, or
    /// `ePCN.xlsx`) as downloaded: PCN names beside their codes.
    #[arg(long)]
    pub ods_pcns: Option<std::path::PathBuf>,
    /// The ONS personal well-being estimates (`personal-wellbeing-estimates.csv`,
    /// or .csv.gz) as downloaded: local ONS4 means beside the cohort's.
    #[arg(long)]
    pub wellbeing_estimates: Option<std::path::PathBuf>,
    /// NHS England's "Patients Registered at a GP Practice" practice totals
    /// (`gp-reg-pat-prac-all.csv`) as downloaded: each practice's list size,
    /// the denominator of referral rates when no population extract is given.
    #[arg(long)]
    pub list_sizes: Option<std::path::PathBuf>,
}

impl ContextFiles {
    /// Each file given, with how messages name it.
    pub fn named(&self) -> Vec<(&'static str, &std::path::PathBuf)> {
        [
            ("the ODS practices file", &self.ods_practices),
            ("the ODS PCN file", &self.ods_pcns),
            (
                "the ONS well-being estimates file",
                &self.wellbeing_estimates,
            ),
        ]
        .into_iter()
        .filter_map(|(role, path)| path.as_ref().map(|p| (role, p)))
        .collect()
    }
}

/// One GP practice (or other organisation) of `epraccur`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Practice {
    /// ODS code.
    pub code: String,
    /// Name as published (capitals).
    pub name: String,
    /// `active`, `closed`, `dormant` or `proposed`.
    pub status: String,
}

/// One practice's membership of a PCN.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Membership {
    /// Practice ODS code.
    pub practice_code: String,
    /// Practice name.
    pub practice_name: String,
    /// PCN code.
    pub pcn_code: String,
    /// PCN name.
    pub pcn_name: String,
    /// When the membership began.
    pub start: Option<NaiveDate>,
    /// When it ended (`None`: current).
    pub end: Option<NaiveDate>,
}

/// An ODS file read, with what it says of its own date.
#[derive(Debug, Clone)]
pub struct Read<T> {
    /// File name.
    pub source: String,
    /// The latest date any record holds (its vintage, near enough).
    pub latest: Option<NaiveDate>,
    /// The records, in file order.
    pub rows: Vec<T>,
}

/// One ONS4 estimate for one area, indicator and year.
#[derive(Debug, Clone, PartialEq)]
pub struct Estimate {
    /// ONS area code (`E92000001` England, `E08000026` Coventry).
    pub area_code: String,
    /// Area name.
    pub area_name: String,
    /// Geography level as published.
    pub geography: String,
    /// `Satisfaction`, `Worthwhile`, `Happiness` or `Anxiety`.
    pub indicator: String,
    /// First day of the survey year (April).
    pub year_start: NaiveDate,
    /// Mean out of 10 (`None` when not available).
    pub mean: Option<f64>,
    /// Lower 95% limit.
    pub lower: Option<f64>,
    /// Upper 95% limit.
    pub upper: Option<f64>,
    /// `x` not available, `u` low reliability, or empty.
    pub status: String,
}

/// Every row of a file as text fields with line numbers, header or not.
fn rows(path: &Path, sheet: Option<&str>) -> Result<Vec<(u64, Vec<String>)>> {
    let mapping = SourceMapping {
        has_header: Some(false),
        sheet: sheet.map(str::to_string),
        ..SourceMapping::default()
    };
    let mut source = Source::open(path, &mapping, &[])?;
    let mut out = Vec::new();
    while let Some(row) = source.next_row()? {
        if !row.is_blank() {
            out.push((row.line, row.fields));
        }
    }
    Ok(out)
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// A `YYYYMMDD` date (empty: none).
fn ods_date(path: &Path, line: u64, text: &str) -> Result<Option<NaiveDate>> {
    let text = text.trim();
    if text.is_empty() {
        return Ok(None);
    }
    NaiveDate::parse_from_str(text, "%Y%m%d")
        .map(Some)
        .map_err(|_| {
            Error::input(
                path,
                format!("line {line}: '{text}' is not an ODS date (YYYYMMDD)"),
                "point sprout at the ODS file as downloaded",
            )
        })
}

/// The index of the column headed `name` (a byte-order mark and spaces
/// aside), or an error naming the columns there are and `fix`.
fn named_column(path: &Path, header: &[String], name: &str, fix: &str) -> Result<usize> {
    header
        .iter()
        .position(|h| h.trim().trim_start_matches('\u{feff}') == name)
        .ok_or_else(|| {
            Error::input(
                path,
                format!("no column '{name}'; the columns are {}", header.join(", ")),
                fix,
            )
        })
}

/// Whether `code` looks like an ODS organisation code (letters and digits).
fn is_code(code: &str) -> bool {
    !code.is_empty() && code.len() <= 8 && code.chars().all(|c| c.is_ascii_alphanumeric())
}

/// Read `epraccur` (either layout).
pub fn practices(path: &Path) -> Result<Read<Practice>> {
    let mut out = Vec::new();
    let mut latest = None;
    for (line, row) in rows(path, None)? {
        if row.len() < 13 || !is_code(&row[0]) {
            return Err(Error::input(
                path,
                format!(
                    "line {line}: not an epraccur record ({} fields, first '{}')",
                    row.len(),
                    row.first().map_or("", String::as_str)
                ),
                "point sprout at the ODS epraccur file as downloaded (27 columns, no header)",
            ));
        }
        for date in [&row[10], &row[11]] {
            latest = latest.max(ods_date(path, line, date)?);
        }
        let status = match row[12].trim() {
            "A" | "ACTIVE" => "active",
            "C" | "INACTIVE" => "closed",
            "D" | "DORMANT" => "dormant",
            "P" | "PROPOSED" => "proposed",
            other => {
                return Err(Error::input(
                    path,
                    format!("line {line}: status '{other}' is not an ODS status"),
                    "point sprout at the ODS epraccur file as downloaded",
                ));
            }
        };
        out.push(Practice {
            code: row[0].trim().to_string(),
            name: row[1].trim().to_string(),
            status: status.to_string(),
        });
    }
    Ok(Read {
        source: file_name(path),
        latest,
        rows: out,
    })
}

/// The sheet of `ePCN.xlsx` that lists memberships.
const PARTNER_SHEET: &str = "PCN Core Partner Details";

/// Read PCN membership: `epcncorepartnerdetails.csv` or `ePCN.xlsx`.
pub fn memberships(path: &Path) -> Result<Read<Membership>> {
    let excel = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("xlsx"));
    let mut out = Vec::new();
    let mut latest = None;
    for (line, row) in rows(path, excel.then_some(PARTNER_SHEET))? {
        // The workbook's header row ("Partner\r\nOrganisation\r\nCode", …).
        if excel && out.is_empty() && row.first().is_some_and(|c| !is_code(c)) {
            continue;
        }
        if row.len() < 10 || !is_code(&row[0]) || !is_code(&row[4]) {
            return Err(Error::input(
                path,
                format!(
                    "line {line}: not a PCN membership record ({} fields)",
                    row.len()
                ),
                "point sprout at the ODS epcncorepartnerdetails file or ePCN.xlsx as downloaded",
            ));
        }
        let (start, end) = (
            ods_date(path, line, &row[8])?,
            ods_date(path, line, &row[9])?,
        );
        latest = latest.max(start).max(end);
        out.push(Membership {
            practice_code: row[0].trim().to_string(),
            practice_name: row[1].trim().to_string(),
            pcn_code: row[4].trim().to_string(),
            pcn_name: row[5].trim().to_string(),
            start,
            end,
        });
    }
    Ok(Read {
        source: file_name(path),
        latest,
        rows: out,
    })
}

/// One practice's registered list from the practice totals file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListSize {
    /// Practice ODS code (`CODE`).
    pub practice_code: String,
    /// Patients registered (`NUMBER_OF_PATIENTS`).
    pub patients: i64,
    /// The file's extract date (`EXTRACT_DATE`).
    pub extract_date: NaiveDate,
}

/// Read "Patients Registered at a GP Practice" (`gp-reg-pat-prac-all.csv`):
/// one row per practice with `SEX` and `AGE` both `ALL`. A breakdown file
/// (by sex or age) is refused: its rows are not list sizes.
pub fn list_sizes(path: &Path) -> Result<Read<ListSize>> {
    let all = rows(path, None)?;
    let fix = "point sprout at gp-reg-pat-prac-all.csv (the practice totals) as downloaded from NHS England";
    let Some((_, header)) = all.first() else {
        return Err(Error::input(path, "the file is empty", fix));
    };
    let column = |name: &str| named_column(path, header, name, fix);
    let (code, patients, extract, sex, age) = (
        column("CODE")?,
        column("NUMBER_OF_PATIENTS")?,
        column("EXTRACT_DATE")?,
        column("SEX")?,
        column("AGE")?,
    );
    let mut out = Vec::new();
    let mut latest = None;
    for (line, row) in &all[1..] {
        let field = |i: usize| row.get(i).map_or("", |s| s.trim());
        if field(sex) != "ALL" || field(age) != "ALL" {
            return Err(Error::input(
                path,
                format!(
                    "line {line}: SEX {} and AGE {}: a breakdown, not a practice's total",
                    field(sex),
                    field(age)
                ),
                fix,
            ));
        }
        let bad = |what: &str| {
            Error::input(
                path,
                format!("line {line}: {what} '{}' is not valid", field(patients)),
                fix,
            )
        };
        let extract_date = NaiveDate::parse_from_str(field(extract), "%Y-%m-%d")
            .map_err(|_| bad("EXTRACT_DATE"))?;
        latest = latest.max(Some(extract_date));
        out.push(ListSize {
            practice_code: field(code).to_string(),
            patients: field(patients)
                .parse()
                .map_err(|_| bad("NUMBER_OF_PATIENTS"))?,
            extract_date,
        });
    }
    Ok(Read {
        source: file_name(path),
        latest,
        rows: out,
    })
}

/// Read the ONS personal well-being estimates (long format).
pub fn estimates(path: &Path) -> Result<Read<Estimate>> {
    let all = rows(path, None)?;
    let Some((_, header)) = all.first() else {
        return Err(Error::input(
            path,
            "the file is empty",
            "point sprout at personal-wellbeing-estimates.csv as downloaded",
        ));
    };
    let column = |name: &str| {
        named_column(
            path,
            header,
            name,
            "point sprout at personal-wellbeing-estimates.csv as downloaded (areacd, areanm, geography, indicator, period, observation, lci_95, uci_95, status)",
        )
    };
    let [
        code,
        name,
        geography,
        indicator,
        period,
        observation,
        lower,
        upper,
        status,
    ] = [
        "areacd",
        "areanm",
        "geography",
        "indicator",
        "period",
        "observation",
        "lci_95",
        "uci_95",
        "status",
    ]
    .map(column);
    let (code, name, geography, indicator, period) =
        (code?, name?, geography?, indicator?, period?);
    let (observation, lower, upper, status) = (observation?, lower?, upper?, status?);
    let mut out = Vec::new();
    let mut latest = None;
    for (line, row) in &all[1..] {
        let field = |i: usize| row.get(i).map_or("", |s| s.trim());
        let number = |i: usize| -> Result<Option<f64>> {
            let text = field(i);
            if text.is_empty() {
                return Ok(None);
            }
            text.parse::<f64>().map(Some).map_err(|_| {
                Error::input(
                    path,
                    format!("line {line}: '{text}' is not a number"),
                    "point sprout at personal-wellbeing-estimates.csv as downloaded",
                )
            })
        };
        // "2022-04-01/P1Y": the survey year starting then.
        let start = field(period).split('/').next().unwrap_or("");
        let year_start = NaiveDate::parse_from_str(start, "%Y-%m-%d").map_err(|_| {
            Error::input(
                path,
                format!(
                    "line {line}: period '{}' is not YYYY-MM-DD/P1Y",
                    field(period)
                ),
                "point sprout at personal-wellbeing-estimates.csv as downloaded",
            )
        })?;
        latest = latest.max(Some(year_start));
        out.push(Estimate {
            area_code: field(code).to_string(),
            area_name: field(name).to_string(),
            geography: field(geography).to_string(),
            indicator: field(indicator).to_string(),
            year_start,
            mean: number(observation)?,
            lower: number(lower)?,
            upper: number(upper)?,
            status: field(status).to_string(),
        });
    }
    Ok(Read {
        source: file_name(path),
        latest,
        rows: out,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(dir: &Path, name: &str, text: &str) -> std::path::PathBuf {
        let path = dir.join(name);
        std::fs::write(&path, text).unwrap();
        path
    }

    /// 27 quoted fields, as ODS publishes them.
    fn epraccur(code: &str, name: &str, open: &str, status: &str) -> String {
        let mut fields = vec![String::new(); 27];
        fields[0] = code.into();
        fields[1] = name.into();
        fields[10] = open.into();
        fields[12] = status.into();
        fields[25] = "4".into();
        let quoted: Vec<String> = fields.iter().map(|f| format!("\"{f}\"")).collect();
        quoted.join(",") + "\n"
    }

    #[test]
    fn both_epraccur_layouts_give_codes_names_statuses_and_the_latest_date() {
        let dir = tempfile::tempdir().unwrap();
        let legacy = epraccur("A81001", "THE DENSHAM SURGERY", "19740401", "A")
            + &epraccur("A81002", "QUEENS PARK MEDICAL CENTRE", "20250807", "C");
        let read = practices(&write(dir.path(), "epraccur.csv", &legacy)).unwrap();
        assert_eq!(read.rows.len(), 2);
        assert_eq!(read.rows[1].status, "closed");
        assert_eq!(read.latest, NaiveDate::from_ymd_opt(2025, 8, 7));
        let newer = epraccur("A81001", "THE DENSHAM SURGERY", "19740401", "ACTIVE");
        let read = practices(&write(dir.path(), "new.csv", &newer)).unwrap();
        assert_eq!(read.rows[0].status, "active");
        let bad = practices(&write(dir.path(), "bad.csv", "code,name\nA81001,X\n")).unwrap_err();
        assert!(bad.to_string().contains("epraccur"), "{bad}");
    }

    #[test]
    fn list_sizes_are_practice_totals_and_a_breakdown_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let header = "PUBLICATION,EXTRACT_DATE,TYPE,SUB_ICB_LOCATION_CODE,ONS_SUB_ICB_LOCATION_CODE,CODE,POSTCODE,SEX,AGE,NUMBER_OF_PATIENTS\r\n";
        let totals = format!(
            "{header}GP_PRAC_PAT_LIST,2025-04-01,GP,16C,E38000247,A81001,TS18 1HU,ALL,ALL,3904\r\n"
        );
        let read = list_sizes(&write(dir.path(), "gp-reg-pat-prac-all.csv", &totals)).unwrap();
        assert_eq!(read.rows[0].patients, 3904);
        assert_eq!(read.latest, NaiveDate::from_ymd_opt(2025, 4, 1));
        let by_sex = format!(
            "{header}GP_PRAC_PAT_LIST,2025-04-01,GP,16C,E38000247,A81001,TS18 1HU,MALE,ALL,1900\r\n"
        );
        let refused = list_sizes(&write(dir.path(), "by-sex.csv", &by_sex)).unwrap_err();
        assert!(
            refused
                .to_string()
                .contains("a breakdown, not a practice's total"),
            "{refused}"
        );
    }

    #[test]
    fn memberships_and_estimates_are_read_as_published() {
        let dir = tempfile::tempdir().unwrap();
        let csv = "\"A81001\",\"THE DENSHAM SURGERY\",\"16C\",\"NHS X ICB - 16C\",\"U12345\",\"NORTH PCN\",\"16C\",\"NHS X ICB - 16C\",\"20200401\",\"\",\"TRUE\"\r\n";
        let read = memberships(&write(dir.path(), "epcncorepartnerdetails.csv", csv)).unwrap();
        assert_eq!(read.rows[0].pcn_name, "NORTH PCN");
        assert_eq!(read.rows[0].end, None);
        let ons = "areacd,areanm,geography,indicator,period,measure,observation,unit,lci_95,uci_95,status,notes\n\
                   E92000001,England,ctry,Satisfaction,2022-04-01/P1Y,Mean,7.45,score,7.43,7.47,,\n\
                   E06000001,Hartlepool,utla,Anxiety,2022-04-01/P1Y,Mean,,score,,,x,\n";
        let read = estimates(&write(dir.path(), "pwb.csv", ons)).unwrap();
        assert_eq!(read.rows[0].mean, Some(7.45));
        assert_eq!(read.rows[1].mean, None);
        assert_eq!(read.latest, NaiveDate::from_ymd_opt(2022, 4, 1));
    }
}
