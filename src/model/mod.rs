//! The canonical data model: every warehouse table, its columns, their types,
//! whether they are required, and their allowed codes.
//!
//! Everything else is generated from these definitions: ingest validation,
//! the Arrow schemas of the warehouse, and the `sprout schema` listing, so the
//! documentation cannot drift from the code. The tables follow the Social
//! Prescribing Information Standard minimum dataset (demographics; needs and
//! concerns; support offered; outcomes) plus what evaluations need.

pub mod codes;
pub mod describe;
pub mod instruments;
mod tables;

use std::sync::Arc;

use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use serde::Serialize;

pub use tables::{TABLES, table};

use codes::CodeList;

/// Version of the warehouse layout; bumped when a stored schema changes.
pub const SCHEMA_VERSION: u32 = 2;

/// The type of a canonical column.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnType {
    /// UTF-8 text.
    Text,
    /// A calendar date (stored as Arrow Date32).
    Date,
    /// A month, written `YYYY-MM` (stored as the first day of the month).
    YearMonth,
    /// A whole number (stored as Int64).
    Integer,
    /// A number (stored as Float64).
    Decimal,
    /// true/false (also yes/no, y/n, 1/0).
    Boolean,
}

impl ColumnType {
    /// The Arrow type the warehouse stores this column as.
    pub fn arrow(self) -> DataType {
        match self {
            ColumnType::Text => DataType::Utf8,
            ColumnType::Date | ColumnType::YearMonth => DataType::Date32,
            ColumnType::Integer => DataType::Int64,
            ColumnType::Decimal => DataType::Float64,
            ColumnType::Boolean => DataType::Boolean,
        }
    }
}

/// A check applied to every value of a column on ingest.
#[derive(Debug, Clone, Copy, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Check {
    /// No check beyond the type.
    None,
    /// One code from the list.
    Code(#[serde(serialize_with = "list_name")] &'static CodeList),
    /// One or more codes from the list, separated by `;` or `|`.
    Codes(#[serde(serialize_with = "list_name")] &'static CodeList),
    /// An inclusive range of whole numbers.
    Range(i64, i64),
    /// An English or Welsh LSOA / Scottish data zone code (`E01` + 6 digits).
    Lsoa,
    /// An ODS GP practice code (a letter and 5 digits).
    Practice,
    /// A PCN code (`U` + 5 digits).
    Pcn,
}

fn list_name<S: serde::Serializer>(list: &&'static CodeList, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(list.name)
}

/// Where a column's values end up.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Storage {
    /// Stored in this table.
    Stored,
    /// Accepted on input only: `nhs_number` becomes the keyed pseudonym in
    /// `person_id`; `needs` becomes rows of `referral_needs`.
    InputOnly,
}

/// One column of a canonical table.
#[derive(Debug, Serialize)]
pub struct Column {
    /// Canonical name (what a mapping file maps onto).
    pub name: &'static str,
    /// The column's type as the schema file names it (`text`, `date`, …).
    #[serde(rename = "type")]
    pub ty: ColumnType,
    /// Whether every row must have a value.
    pub required: bool,
    /// Extra check on each value.
    pub check: Check,
    /// Stored, or input only.
    pub storage: Storage,
    /// What the column means.
    pub description: &'static str,
}

/// A reference from a column to the primary key of another table.
#[derive(Debug, Serialize)]
pub struct Reference {
    /// Column in this table.
    pub column: &'static str,
    /// Table whose primary key it must match.
    pub table: &'static str,
}

/// Where a table's rows come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Origin {
    /// Ingested from extracts.
    Extract,
    /// Written by sprout from other tables during ingest.
    Derived,
    /// Loaded from an official lookup file as published (`--imd`, `--area-population`).
    Lookup,
}

/// One canonical table.
#[derive(Debug, Serialize)]
pub struct Table {
    /// Table name (also the extract file stem and the SQL table name).
    pub name: &'static str,
    /// What one row is.
    pub description: &'static str,
    /// Ingested or derived.
    pub origin: Origin,
    /// Column whose values must be unique, if any (empty values are not checked).
    pub unique: &'static [&'static str],
    /// Columns that must match another table's key.
    pub references: &'static [Reference],
    /// Columns in order.
    pub columns: &'static [Column],
}

/// The longest identifier accepted (ids, and `nhs_number` with its spaces).
pub const MAX_IDENTIFIER_CHARS: usize = 128;
/// The longest single code accepted (a code list's label, an ODS or LSOA code).
pub const MAX_CODE_CHARS: usize = 100;
/// The longest list of codes accepted (`needs`).
pub const MAX_CODES_CHARS: usize = 1_000;
/// The longest name or label accepted (an organisation's name, a scheme).
pub const MAX_NAME_CHARS: usize = 500;
/// Line breaks a name or label may hold.
pub const MAX_NAME_LINE_BREAKS: u64 = 2;
/// The longest date, number or true/false value accepted.
pub const MAX_VALUE_CHARS: usize = 64;

impl Column {
    /// The longest value accepted, in characters. Longer values are
    /// quarantined with the fix, so none reaches an output that cannot hold
    /// it (an Excel cell holds 32,767).
    pub fn max_chars(&self) -> usize {
        match (self.ty, self.check) {
            (ColumnType::Text, Check::Codes(_)) => MAX_CODES_CHARS,
            (ColumnType::Text, Check::Code(_) | Check::Lsoa | Check::Practice | Check::Pcn) => {
                MAX_CODE_CHARS
            }
            (ColumnType::Text, _) if self.is_identifier() => MAX_IDENTIFIER_CHARS,
            (ColumnType::Text, _) => MAX_NAME_CHARS,
            _ => MAX_VALUE_CHARS,
        }
    }

    /// Line breaks a value may hold: a few in a name or label (a name written
    /// over two lines), none anywhere else.
    pub fn max_line_breaks(&self) -> u64 {
        if self.is_free_text() && !self.is_identifier() {
            MAX_NAME_LINE_BREAKS
        } else {
            0
        }
    }

    /// Whether the column holds an identifier (`…_id`, `nhs_number`).
    pub fn is_identifier(&self) -> bool {
        self.name.ends_with("_id") || self.name == "nhs_number"
    }

    /// Whether the column holds free text that could carry an NHS number
    /// (identifiers and names: text with no code list or pattern).
    pub fn is_free_text(&self) -> bool {
        self.ty == ColumnType::Text && matches!(self.check, Check::None)
    }
}

impl Table {
    /// The column called `name`.
    pub fn column(&self, name: &str) -> Option<&'static Column> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Columns stored in the warehouse, in order.
    pub fn stored_columns(&self) -> impl Iterator<Item = &'static Column> + '_ {
        self.columns.iter().filter(|c| c.storage == Storage::Stored)
    }

    /// The Arrow schema of the stored table.
    pub fn schema(&self) -> SchemaRef {
        let fields: Vec<Field> = self
            .stored_columns()
            .map(|c| Field::new(c.name, c.ty.arrow(), !c.required))
            .collect();
        Arc::new(Schema::new(fields))
    }

    /// Whether rows link to a person (and so may carry `nhs_number`).
    pub fn has_person(&self) -> bool {
        self.column("nhs_number").is_some()
    }
}
