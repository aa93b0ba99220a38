//! Output tables of the measures: typed columns with descriptions, written as
//! Parquet and CSV (atomically), plus a data dictionary.

use std::path::Path;
use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::error::Result;
use crate::ingest::batch::{BatchBuilder, Value};

/// One documented output column.
#[derive(Debug, Clone, Copy)]
pub struct OutColumn {
    /// Column name.
    pub name: &'static str,
    /// Arrow type (Utf8, Int64 or Float64).
    pub ty: ColumnKind,
    /// What the column holds.
    pub description: &'static str,
}

/// The types output columns take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// Text.
    Text,
    /// Whole number.
    Integer,
    /// Number.
    Number,
}

/// A text column.
pub const fn text(name: &'static str, description: &'static str) -> OutColumn {
    OutColumn {
        name,
        ty: ColumnKind::Text,
        description,
    }
}

/// A whole-number column.
pub const fn int(name: &'static str, description: &'static str) -> OutColumn {
    OutColumn {
        name,
        ty: ColumnKind::Integer,
        description,
    }
}

/// A number column.
pub const fn num(name: &'static str, description: &'static str) -> OutColumn {
    OutColumn {
        name,
        ty: ColumnKind::Number,
        description,
    }
}

/// A finished output table.
#[derive(Debug, Clone)]
pub struct OutTable {
    /// File stem.
    pub name: &'static str,
    /// What one row is.
    pub description: &'static str,
    /// Columns.
    pub columns: &'static [OutColumn],
    /// The rows as one batch.
    pub batch: RecordBatch,
}

/// Schema of documented columns.
pub fn schema(columns: &[OutColumn]) -> SchemaRef {
    Arc::new(Schema::new(
        columns
            .iter()
            .map(|c| {
                let ty = match c.ty {
                    ColumnKind::Text => DataType::Utf8,
                    ColumnKind::Integer => DataType::Int64,
                    ColumnKind::Number => DataType::Float64,
                };
                Field::new(c.name, ty, true)
            })
            .collect::<Vec<_>>(),
    ))
}

/// Collects rows of a documented table.
pub struct TableBuilder {
    name: &'static str,
    description: &'static str,
    columns: &'static [OutColumn],
    rows: BatchBuilder,
}

impl TableBuilder {
    /// An empty table.
    pub fn new(
        name: &'static str,
        description: &'static str,
        columns: &'static [OutColumn],
    ) -> Self {
        TableBuilder {
            name,
            description,
            columns,
            rows: BatchBuilder::new(schema(columns)),
        }
    }

    /// Add a row of values in column order (NaN numbers become empty). The
    /// measures build their rows with [`TableBuilder::push_named`]; this
    /// positional form is for test fixtures shaped by hand.
    pub fn push(&mut self, row: &[Value]) {
        debug_assert_eq!(row.len(), self.columns.len(), "{}", self.name);
        let cleaned: Vec<Value> = row
            .iter()
            .map(|v| match v {
                Value::Float(f) if !f.is_finite() => Value::Null,
                other => other.clone(),
            })
            .collect();
        self.rows.push(&cleaned);
    }

    /// Add a row given as (column, value) pairs, in any order: every
    /// declared column exactly once, so a renamed or missing column fails
    /// (in every test that builds the table) instead of shifting the row.
    pub fn push_named<N: AsRef<str>>(&mut self, row: &[(N, Value)]) {
        let values: Vec<Value> = self
            .columns
            .iter()
            .map(|c| {
                let mut given = row.iter().filter(|(name, _)| name.as_ref() == c.name);
                match (given.next(), given.next()) {
                    (Some((_, v)), None) => v.clone(),
                    (None, _) => panic!("{}: no value for column {}", self.name, c.name),
                    (Some(_), Some(_)) => panic!("{}: two values for column {}", self.name, c.name),
                }
            })
            .collect();
        assert_eq!(
            row.len(),
            self.columns.len(),
            "{}: a value for a column the table does not declare",
            self.name
        );
        self.push(&values);
    }

    /// The finished table.
    pub fn finish(mut self) -> Result<OutTable> {
        Ok(OutTable {
            name: self.name,
            description: self.description,
            columns: self.columns,
            batch: self.rows.finish()?,
        })
    }
}

/// A text column of a query result as Utf8, whichever string type the engine chose
/// (DataFusion may return Utf8View for literals and CASE results).
pub fn text_column(
    batch: &RecordBatch,
    name: &str,
) -> Option<datafusion::arrow::array::StringArray> {
    use datafusion::arrow::array::AsArray;
    let column = column(batch, name)?;
    let utf8 = datafusion::arrow::compute::cast(column, &DataType::Utf8).ok()?;
    Some(utf8.as_string::<i32>().clone())
}

/// Row `i` of a whole-number column of a query result (`None` when null or absent).
pub fn int_at(batch: &RecordBatch, name: &str, i: usize) -> Option<i64> {
    use datafusion::arrow::array::{Array, AsArray};
    use datafusion::arrow::datatypes::Int64Type;
    let a = column(batch, name)?.as_primitive_opt::<Int64Type>()?;
    (!a.is_null(i)).then(|| a.value(i))
}

/// Column `name` of a query result. A query that no longer returns a column
/// the Rust side reads (renamed in its SQL) fails every test that runs it,
/// instead of reading as empty.
pub fn column<'a>(
    batch: &'a RecordBatch,
    name: &str,
) -> Option<&'a datafusion::arrow::array::ArrayRef> {
    let column = batch.column_by_name(name);
    debug_assert!(
        column.is_some() || batch.num_columns() == 0,
        "a query result has no column {name}: its SQL and the code reading it disagree"
    );
    column
}

/// A whole number value.
pub fn int_value(n: impl TryInto<i64>) -> Value {
    n.try_into().map_or(Value::Null, Value::Int)
}

/// A number value (NaN becomes empty when written).
pub fn num_value(x: f64) -> Value {
    Value::Float(x)
}

/// A text value.
pub fn text_value(s: impl Into<String>) -> Value {
    Value::Text(s.into())
}

/// An optional number.
pub fn opt_num(x: Option<f64>) -> Value {
    x.map_or(Value::Null, Value::Float)
}

const DICTIONARY_COLUMNS: &[OutColumn] = &[
    text("table_name", "Output table"),
    text("table_description", "What one row of the table is"),
    text("column_name", "Column"),
    text("column_type", "text, integer or number"),
    text("description", "What the column holds"),
];

/// Write each table as `<name>.parquet`, `<name>.csv` and `<name>.json`, and
/// `data_dictionary.csv`; returns the file names written.
pub fn write_all(tables: &[OutTable], folder: &Path) -> Result<Vec<String>> {
    let mut files = Vec::new();
    let mut dictionary = TableBuilder::new(
        "data_dictionary",
        "One column of an output table",
        DICTIONARY_COLUMNS,
    );
    for table in tables {
        for ext in ["parquet", "csv", "json"] {
            let name = format!("{}.{ext}", table.name);
            crate::sql::write(
                std::slice::from_ref(&table.batch),
                table.batch.schema(),
                &folder.join(&name),
            )?;
            files.push(name);
        }
        for c in table.columns {
            let ty = match c.ty {
                ColumnKind::Text => "text",
                ColumnKind::Integer => "integer",
                ColumnKind::Number => "number",
            };
            dictionary.push_named(&[
                ("table_name", text_value(table.name)),
                ("table_description", text_value(table.description)),
                ("column_name", text_value(c.name)),
                ("column_type", text_value(ty)),
                ("description", text_value(c.description)),
            ]);
        }
    }
    let dictionary = dictionary.finish()?;
    crate::sql::write(
        std::slice::from_ref(&dictionary.batch),
        dictionary.batch.schema(),
        &folder.join("data_dictionary.csv"),
    )?;
    files.push("data_dictionary.csv".to_string());
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    const COLUMNS: &[OutColumn] = &[text("group", "g"), int("pairs", "n")];

    #[test]
    fn rows_built_by_name_land_in_their_columns() {
        let mut t = TableBuilder::new("t", "test", COLUMNS);
        t.push_named(&[("pairs", int_value(3)), ("group", text_value("a"))]);
        let t = t.finish().unwrap();
        assert_eq!(int_at(&t.batch, "pairs", 0), Some(3));
    }

    #[test]
    #[should_panic(expected = "a query result has no column referrals")]
    fn reading_a_column_a_query_no_longer_returns_fails() {
        let mut t = TableBuilder::new("t", "test", COLUMNS);
        t.push_named(&[("group", text_value("a")), ("pairs", int_value(3))]);
        let t = t.finish().unwrap();
        let _ = int_at(&t.batch, "referrals", 0);
    }

    #[test]
    #[should_panic(expected = "t: no value for column pairs")]
    fn a_renamed_column_fails_instead_of_shifting_the_row() {
        let mut t = TableBuilder::new("t", "test", COLUMNS);
        t.push_named(&[("group", text_value("a")), ("pair_count", int_value(3))]);
    }
}
