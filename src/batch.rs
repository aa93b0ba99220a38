//! Typed values and the builders that turn accepted rows into Arrow batches.

use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, Date32Builder, Float64Builder, Int64Builder, RecordBatch,
    StringBuilder,
};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use std::sync::Arc;

use crate::error::Result;

/// One parsed value of a canonical column.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    /// No value.
    Null,
    /// Text or a canonical code.
    Text(String),
    /// A whole number.
    Int(i64),
    /// A number.
    Float(f64),
    /// A date as days since 1970-01-01.
    Date(i32),
    /// true/false.
    Bool(bool),
    /// Several canonical codes (input-only list columns).
    Codes(Vec<&'static str>),
}

enum ColumnBuilder {
    Text(StringBuilder),
    Date(Date32Builder),
    Int(Int64Builder),
    Float(Float64Builder),
    Bool(BooleanBuilder),
}

/// Collects rows of one schema into record batches.
pub struct BatchBuilder {
    schema: SchemaRef,
    columns: Vec<ColumnBuilder>,
    rows: usize,
}

impl BatchBuilder {
    /// A builder for `schema` (types Utf8, Date32, Int64, Float64, Boolean).
    pub fn new(schema: SchemaRef) -> Self {
        let columns = schema
            .fields()
            .iter()
            .map(|f| match f.data_type() {
                DataType::Date32 => ColumnBuilder::Date(Date32Builder::new()),
                DataType::Int64 => ColumnBuilder::Int(Int64Builder::new()),
                DataType::Float64 => ColumnBuilder::Float(Float64Builder::new()),
                DataType::Boolean => ColumnBuilder::Bool(BooleanBuilder::new()),
                _ => ColumnBuilder::Text(StringBuilder::new()),
            })
            .collect();
        BatchBuilder {
            schema,
            columns,
            rows: 0,
        }
    }

    /// Append one row; `values` are in schema order and already of the column's type.
    pub fn push<'v>(&mut self, values: impl IntoIterator<Item = &'v Value>) {
        for (builder, value) in self.columns.iter_mut().zip(values) {
            match (builder, value) {
                (ColumnBuilder::Text(b), Value::Text(s)) => b.append_value(s),
                (ColumnBuilder::Date(b), Value::Date(d)) => b.append_value(*d),
                (ColumnBuilder::Int(b), Value::Int(i)) => b.append_value(*i),
                (ColumnBuilder::Float(b), Value::Float(f)) => b.append_value(*f),
                (ColumnBuilder::Bool(b), Value::Bool(v)) => b.append_value(*v),
                (ColumnBuilder::Text(b), _) => b.append_null(),
                (ColumnBuilder::Date(b), _) => b.append_null(),
                (ColumnBuilder::Int(b), _) => b.append_null(),
                (ColumnBuilder::Float(b), _) => b.append_null(),
                (ColumnBuilder::Bool(b), _) => b.append_null(),
            }
        }
        self.rows += 1;
    }

    /// Rows collected since the last [`BatchBuilder::finish`].
    pub fn len(&self) -> usize {
        self.rows
    }

    /// Whether no rows are waiting.
    pub fn is_empty(&self) -> bool {
        self.rows == 0
    }

    /// The collected rows as a batch; the builder starts empty again.
    pub fn finish(&mut self) -> Result<RecordBatch> {
        let arrays: Vec<ArrayRef> = self
            .columns
            .iter_mut()
            .map(|b| -> ArrayRef {
                match b {
                    ColumnBuilder::Text(b) => Arc::new(b.finish()),
                    ColumnBuilder::Date(b) => Arc::new(b.finish()),
                    ColumnBuilder::Int(b) => Arc::new(b.finish()),
                    ColumnBuilder::Float(b) => Arc::new(b.finish()),
                    ColumnBuilder::Bool(b) => Arc::new(b.finish()),
                }
            })
            .collect();
        self.rows = 0;
        Ok(RecordBatch::try_new(self.schema.clone(), arrays)?)
    }
}
