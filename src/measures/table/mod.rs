//! Output tables: each declared once ([`def`]), its rows built by column
//! name ([`TableBuilder`]), and the columns of query results read by name.

use std::sync::Arc;

use datafusion::arrow::array::RecordBatch;
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};

use crate::batch::{BatchBuilder, Value};
use crate::error::Result;

pub mod def;

pub use def::{
    ColumnKind, Declared, OutColumn, Protection, RowSum, Sums, TableDef, count, count_number,
    count_when, date, int_label, losses, num_label, p_value, poisson_bound, poisson_lower,
    poisson_upper, quotient, rate_ratio, rate_ratio_lower, rate_ratio_upper, scaled, share,
    share_difference, statistic, text, wilson_lower, wilson_upper,
};

/// A finished output table.
#[derive(Debug, Clone)]
pub struct OutTable {
    /// Its declaration.
    pub def: &'static TableDef,
    /// The rows as one batch.
    pub batch: RecordBatch,
}

impl OutTable {
    /// File stem.
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// Its columns.
    pub fn columns(&self) -> &'static [OutColumn] {
        self.def.columns
    }
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
                    ColumnKind::Date => DataType::Date32,
                };
                Field::new(c.name, ty, true)
            })
            .collect::<Vec<_>>(),
    ))
}

/// Collects rows of a documented table.
pub struct TableBuilder {
    def: &'static TableDef,
    /// Rows appended from other builders ([`TableBuilder::append`]), in order.
    earlier: Vec<RecordBatch>,
    rows: BatchBuilder,
}

impl TableBuilder {
    /// An empty table.
    pub fn new(def: &'static TableDef) -> Self {
        TableBuilder {
            def,
            earlier: Vec::new(),
            rows: BatchBuilder::new(schema(def.columns)),
        }
    }

    /// Add every row of `later` (rows of the same table, built elsewhere,
    /// on another thread perhaps) after the rows so far.
    pub fn append(&mut self, mut later: TableBuilder) -> Result<()> {
        debug_assert_eq!(self.def.name, later.def.name);
        self.earlier.push(self.rows.finish()?);
        self.earlier.append(&mut later.earlier);
        self.earlier.push(later.rows.finish()?);
        Ok(())
    }

    /// Add a row of values in column order (NaN numbers become empty). The
    /// measures build their rows with [`TableBuilder::push_named`]; this
    /// positional form is for test fixtures shaped by hand.
    pub fn push(&mut self, row: &[Value]) {
        debug_assert_eq!(row.len(), self.def.columns.len(), "{}", self.def.name);
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
            .def
            .columns
            .iter()
            .map(|c| {
                let mut given = row.iter().filter(|(name, _)| name.as_ref() == c.name);
                match (given.next(), given.next()) {
                    (Some((_, v)), None) => v.clone(),
                    (None, _) => panic!("{}: no value for column {}", self.def.name, c.name),
                    (Some(_), Some(_)) => {
                        panic!("{}: two values for column {}", self.def.name, c.name)
                    }
                }
            })
            .collect();
        assert_eq!(
            row.len(),
            self.def.columns.len(),
            "{}: a value for a column the table does not declare",
            self.def.name
        );
        self.push(&values);
    }

    /// The finished table.
    pub fn finish(mut self) -> Result<OutTable> {
        let last = self.rows.finish()?;
        let batch = if self.earlier.is_empty() {
            last
        } else {
            let schema = last.schema();
            self.earlier.push(last);
            datafusion::arrow::compute::concat_batches(&schema, &self.earlier)?
        };
        Ok(OutTable {
            def: self.def,
            batch,
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

#[cfg(test)]
mod tests {
    use super::*;

    const T: TableDef = TableDef {
        name: "t",
        description: "test",
        queries: &[],
        columns: &[text("group", "g"), count("pairs", "n")],
        sums: Sums::NONE,
    };

    #[test]
    fn rows_built_by_name_land_in_their_columns() {
        let mut t = TableBuilder::new(&T);
        t.push_named(&[("pairs", int_value(3)), ("group", text_value("a"))]);
        let t = t.finish().unwrap();
        assert_eq!(int_at(&t.batch, "pairs", 0), Some(3));
    }

    #[test]
    fn rows_appended_from_other_builders_follow_in_order() {
        let row = |t: &mut TableBuilder, n: i64| {
            t.push_named(&[
                ("group", text_value(format!("g{n}"))),
                ("pairs", int_value(n)),
            ]);
        };
        let mut whole = TableBuilder::new(&T);
        let mut first = TableBuilder::new(&T);
        let mut second = TableBuilder::new(&T);
        let mut third = TableBuilder::new(&T);
        for n in 0..5 {
            row(&mut whole, n);
        }
        row(&mut first, 0);
        row(&mut second, 1);
        row(&mut second, 2);
        row(&mut third, 3);
        second.append(third).unwrap();
        first.append(TableBuilder::new(&T)).unwrap();
        first.append(second).unwrap();
        row(&mut first, 4);
        assert_eq!(first.finish().unwrap().batch, whole.finish().unwrap().batch);
    }

    #[test]
    #[should_panic(expected = "a query result has no column referrals")]
    fn reading_a_column_a_query_no_longer_returns_fails() {
        let mut t = TableBuilder::new(&T);
        t.push_named(&[("group", text_value("a")), ("pairs", int_value(3))]);
        let t = t.finish().unwrap();
        let _ = int_at(&t.batch, "referrals", 0);
    }

    #[test]
    #[should_panic(expected = "t: no value for column pairs")]
    fn a_renamed_column_fails_instead_of_shifting_the_row() {
        let mut t = TableBuilder::new(&T);
        t.push_named(&[("group", text_value("a")), ("pair_count", int_value(3))]);
    }
}
