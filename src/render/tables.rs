//! Published tables for researchers: every table as CSV, Parquet and JSON,
//! with a data dictionary that says how each column was protected.
//!
//! Suppressed cells are `*` in CSV and empty (null) in Parquet and JSON; in all
//! three a last column, `suppressed`, lists the columns withheld in that row,
//! so a null is never ambiguous.

use crate::export::OutputFormat;
use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::{ArrayRef, Float64Array, Int64Array, RecordBatch, StringArray};
use datafusion::arrow::datatypes::{DataType, Field, Schema};

use crate::atomic::AtomicFile;
use crate::disclosure::{Cell, PublishedTable};
use crate::error::{Error, Result};
use crate::measures::table::ColumnKind;
use crate::text::for_spreadsheet;

/// The name of the last column of every published table.
pub const SUPPRESSED_COLUMN: &str = "suppressed";

/// The columns withheld in `row`, separated by `;`.
fn suppressed_in(table: &PublishedTable, row: &[Cell]) -> String {
    table
        .columns()
        .iter()
        .zip(row)
        .filter(|(_, cell)| matches!(cell, Cell::Suppressed))
        .map(|(c, _)| c.name)
        .collect::<Vec<_>>()
        .join(";")
}

/// The table as one Arrow batch (suppressed cells null), with the `suppressed` column.
pub fn to_batch(table: &PublishedTable) -> Result<RecordBatch> {
    let mut fields = Vec::new();
    let mut arrays: Vec<ArrayRef> = Vec::new();
    for (c, column) in table.columns().iter().enumerate() {
        let cells = table.rows.iter().map(|r| &r[c]);
        let (ty, array): (DataType, ArrayRef) = match column.ty {
            ColumnKind::Text => (
                DataType::Utf8,
                Arc::new(
                    cells
                        .map(|cell| match cell {
                            Cell::Text(s) => Some(s.clone()),
                            _ => None,
                        })
                        .collect::<StringArray>(),
                ),
            ),
            ColumnKind::Integer => (
                DataType::Int64,
                Arc::new(
                    cells
                        .map(|cell| match cell {
                            Cell::Int(n) => Some(*n),
                            _ => None,
                        })
                        .collect::<Int64Array>(),
                ),
            ),
            ColumnKind::Date => (
                DataType::Date32,
                Arc::new(
                    cells
                        .map(|cell| match cell {
                            Cell::Text(s) => chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d")
                                .ok()
                                .map(crate::days::date32),
                            _ => None,
                        })
                        .collect::<datafusion::arrow::array::Date32Array>(),
                ),
            ),
            ColumnKind::Number => (
                DataType::Float64,
                Arc::new(
                    cells
                        .map(|cell| cell.number().filter(|x| x.is_finite()))
                        .collect::<Float64Array>(),
                ),
            ),
        };
        fields.push(Field::new(column.name, ty, true));
        arrays.push(array);
    }
    fields.push(Field::new(SUPPRESSED_COLUMN, DataType::Utf8, false));
    arrays.push(Arc::new(
        table
            .rows
            .iter()
            .map(|r| Some(suppressed_in(table, r)))
            .collect::<StringArray>(),
    ));
    Ok(RecordBatch::try_new(Arc::new(Schema::new(fields)), arrays)?)
}

/// Write the table as CSV: `*` for suppressed cells, formulas neutralised.
pub fn write_csv(table: &PublishedTable, path: &Path) -> Result<()> {
    let (file, buffered) = AtomicFile::create(path)?;
    let mut writer = csv::Writer::from_writer(buffered);
    let fail = |e: csv::Error| Error::io(path, "writing", std::io::Error::other(e));
    let mut header: Vec<&str> = table.columns().iter().map(|c| c.name).collect();
    header.push(SUPPRESSED_COLUMN);
    writer.write_record(&header).map_err(fail)?;
    for row in &table.rows {
        let mut record: Vec<String> = row
            .iter()
            .map(|cell| match cell {
                Cell::Text(s) => for_spreadsheet(s),
                other => other.display(),
            })
            .collect();
        record.push(suppressed_in(table, row));
        writer.write_record(&record).map_err(fail)?;
    }
    let buffered = writer
        .into_inner()
        .map_err(|e| Error::io(path, "writing", e.into_error()))?;
    file.commit(buffered)
}

/// Write every table into `folder` in `formats`, and `data_dictionary.csv`; returns the file names written. The
/// one writer of tables: `sprout evaluate` writes published tables with it,
/// `sprout measures` exact ones.
pub fn write_all(
    tables: &[PublishedTable],
    folder: &Path,
    formats: &[OutputFormat],
) -> Result<Vec<String>> {
    let mut files = Vec::new();
    for table in tables {
        for &format in formats {
            let name = format!("{}.{}", table.name(), format.extension());
            let path = folder.join(&name);
            if format == OutputFormat::Csv {
                write_csv(table, &path)?;
            } else {
                let batch = to_batch(table)?;
                crate::export::write(std::slice::from_ref(&batch), batch.schema(), &path)?;
            }
            files.push(name);
        }
    }
    write_csv(&dictionary(tables), &folder.join("data_dictionary.csv"))?;
    files.push("data_dictionary.csv".to_string());
    Ok(files)
}

/// One row per column of every published table.
pub fn dictionary(tables: &[PublishedTable]) -> PublishedTable {
    let mut rows = Vec::new();
    for table in tables {
        let def = table.def;
        for column in def.columns {
            rows.push(
                [
                    def.name,
                    def.description,
                    column.name,
                    column.ty.as_str(),
                    &column.role.describe(),
                    column.description,
                ]
                .map(|s| Cell::Text(s.to_string()))
                .to_vec(),
            );
        }
        rows.push(
            [
                def.name,
                def.description,
                SUPPRESSED_COLUMN,
                "text",
                "label",
                "Columns withheld by disclosure control in this row, separated by ; (shown as * in CSV, empty in Parquet and JSON)",
            ]
            .map(|s| Cell::Text(s.to_string()))
            .to_vec(),
        );
    }
    PublishedTable {
        def: &crate::records::DATA_DICTIONARY,
        roles: vec![
            crate::disclosure::rules::Role::Label;
            crate::records::DATA_DICTIONARY.columns.len()
        ],
        rows,
    }
}
