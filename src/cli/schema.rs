//! `sprout schema`: its options.

use clap::{Args, ValueEnum};

use crate::console::Console;
use crate::error::{Error, Result};
use crate::model::{self, describe};

#[derive(Debug, Clone, Copy, ValueEnum)]
pub(super) enum SchemaFormat {
    Text,
    Json,
}

#[derive(Debug, Args)]
pub(super) struct SchemaArgs {
    /// Only this table.
    table: Option<String>,
    /// Output format.
    #[arg(long, value_enum, default_value = "text")]
    format: SchemaFormat,
}

/// Run `sprout schema`.
pub(super) fn run(args: SchemaArgs, console: &Console) -> Result<i32> {
    let tables: Vec<_> = match &args.table {
        Some(name) => vec![model::table(name).ok_or_else(|| {
            let names: Vec<_> = model::TABLES.iter().map(|t| t.name).collect();
            Error::Usage(format!(
                "no table '{name}'; tables are: {}",
                names.join(", ")
            ))
        })?],
        None => model::TABLES.iter().collect(),
    };
    console.result(match args.format {
        SchemaFormat::Text => describe::text(&tables),
        SchemaFormat::Json => describe::json(&tables),
    });
    Ok(0)
}
