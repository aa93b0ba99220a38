//! Reading a finished output folder as a reader gets it: the policy from
//! `evaluation.json`, the tables and their column types from
//! `tables/data_dictionary.csv`, and each table from `tables/<name>.csv`
//! (`*` withheld, empty for no value).

use std::path::Path;

use super::Sheet;
use crate::disclosure::{Cell, Policy};
use crate::error::{Error, Result};
use crate::measures::table::ColumnKind;

/// The last column of every published CSV table, not a figure.
const SUPPRESSED_COLUMN: &str = crate::render::tables::SUPPRESSED_COLUMN;

fn records(path: &Path) -> Result<Vec<csv::StringRecord>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .map_err(|e| Error::file(path, "reading", e))?;
    reader
        .records()
        .map(|r| r.map_err(|e| Error::file(path, "reading", e)))
        .collect()
}

/// The policy an evaluation output was published under, and its tables.
pub fn output(folder: &Path) -> Result<(Policy, Vec<Sheet>)> {
    let record = folder.join("evaluation.json");
    if !record.is_file() {
        let problem = if folder.join("measures.json").is_file() {
            "holds the exact tables of `sprout measures`, which are never published"
        } else {
            "is not the output of `sprout evaluate`: it has no evaluation.json"
        };
        return Err(Error::input(
            folder,
            problem,
            "give the output folder of `sprout evaluate` (the spec's `output`)",
        ));
    }
    let bytes = std::fs::read(&record).map_err(|e| Error::io(&record, "reading", e))?;
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::file(&record, "reading", e))?;
    let name = json["stamp"]["policy"].as_str().unwrap_or_default();
    let policy = Policy::named(name).ok_or_else(|| {
        Error::input(
            &record,
            format!("names the disclosure policy '{name}', which this sprout does not know"),
            "audit it with the sprout version that wrote it (stamp.sprout_version)",
        )
    })?;
    let dictionary = folder.join("tables").join("data_dictionary.csv");
    if !dictionary.is_file() {
        return Err(Error::input(
            folder,
            "has no tables/data_dictionary.csv: the audit reads the published CSV tables",
            "add \"csv\" to `tables` under [outputs] in the spec and run sprout evaluate again",
        ));
    }
    let rows = records(&dictionary)?;
    let header = rows.first().cloned().unwrap_or_default();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(t), Some(c), Some(ty)) = (at("table_name"), at("column_name"), at("column_type"))
    else {
        return Err(Error::input(
            &dictionary,
            "lacks table_name, column_name or column_type",
            "write the output again with sprout evaluate",
        ));
    };
    let mut tables: Vec<(String, Vec<(String, ColumnKind)>)> = Vec::new();
    for row in rows.iter().skip(1) {
        let (table, column) = (&row[t], &row[c]);
        if column == SUPPRESSED_COLUMN {
            continue;
        }
        let kind = match &row[ty] {
            "integer" => ColumnKind::Integer,
            "number" => ColumnKind::Number,
            _ => ColumnKind::Text,
        };
        match tables.last_mut() {
            Some((name, columns)) if name == table => columns.push((column.to_string(), kind)),
            _ => tables.push((table.to_string(), vec![(column.to_string(), kind)])),
        }
    }
    let mut sheets = Vec::new();
    for (name, columns) in tables {
        let path = folder.join("tables").join(format!("{name}.csv"));
        let rows = records(&path)?;
        let header: Vec<&str> = rows.first().map(|h| h.iter().collect()).unwrap_or_default();
        let index: Vec<usize> = columns
            .iter()
            .map(|(column, _)| {
                header.iter().position(|h| h == column).ok_or_else(|| {
                    Error::input(
                        &path,
                        format!("has no column {column}, which data_dictionary.csv lists"),
                        "write the output again with sprout evaluate",
                    )
                })
            })
            .collect::<Result<_>>()?;
        let mut cells = Vec::with_capacity(rows.len().saturating_sub(1));
        for (line, record) in rows.iter().enumerate().skip(1) {
            let row = columns
                .iter()
                .zip(&index)
                .map(|((column, kind), &i)| {
                    let text = record.get(i).unwrap_or_default();
                    parse(text, *kind).ok_or_else(|| {
                        Error::input(
                            &path,
                            format!(
                                "line {}, column {column}: '{text}' is not a number",
                                line + 1
                            ),
                            "write the output again with sprout evaluate",
                        )
                    })
                })
                .collect::<Result<Vec<Cell>>>()?;
            cells.push(row);
        }
        sheets.push(Sheet::new(name, columns, cells));
    }
    Ok((policy, sheets))
}

/// A published cell from its CSV text.
fn parse(text: &str, kind: ColumnKind) -> Option<Cell> {
    Some(match (text, kind) {
        ("*", _) => Cell::Suppressed,
        ("", _) => Cell::Empty,
        (t, ColumnKind::Text) => Cell::Text(t.to_string()),
        (t, ColumnKind::Integer) => Cell::Int(t.parse().ok()?),
        (t, ColumnKind::Number) => Cell::Num(t.parse().ok()?),
    })
}
