//! Record batches written to a file in the format its name ends in (CSV with
//! text guarded against formula injection, Parquet, JSON), atomically: for
//! `sprout sql --output` and every published table.

use std::path::Path;

use datafusion::arrow::array::RecordBatch;

use crate::atomic::AtomicFile;
use crate::error::{Error, Result};
use crate::warehouse::PartWriter;

/// The table formats: of `sprout sql --output`, of `outputs.tables` in a
/// spec, of the tables `sprout measures` and `sprout evaluate` write.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Comma-separated values with a header row.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// A JSON array of objects.
    Json,
}

impl OutputFormat {
    /// Every format, in the order tables are written.
    pub const ALL: [OutputFormat; 3] =
        [OutputFormat::Parquet, OutputFormat::Csv, OutputFormat::Json];

    /// The file extension (and the name a spec gives the format).
    pub fn extension(self) -> &'static str {
        match self {
            OutputFormat::Csv => "csv",
            OutputFormat::Parquet => "parquet",
            OutputFormat::Json => "json",
        }
    }

    /// The format for a file name's extension.
    pub fn of(path: &Path) -> Result<OutputFormat> {
        match path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase)
            .as_deref()
        {
            Some("csv") => Ok(OutputFormat::Csv),
            Some("parquet") => Ok(OutputFormat::Parquet),
            Some("json") => Ok(OutputFormat::Json),
            _ => Err(Error::Usage(format!(
                "{}: cannot tell the output format; end the name in .csv, .parquet or .json",
                path.display()
            ))),
        }
    }
}

/// Every text value made safe for a spreadsheet ([`crate::text::for_spreadsheet`]):
/// formulas neutralised, hidden characters written out. Other columns are unchanged.
pub fn neutralise_formulas(batch: &RecordBatch) -> Result<RecordBatch> {
    use datafusion::arrow::array::{ArrayRef, AsArray, StringArray};
    let columns: Vec<ArrayRef> = batch
        .columns()
        .iter()
        .map(|c| -> ArrayRef {
            match c.as_string_opt::<i32>() {
                Some(text) if text.iter().flatten().any(crate::text::needs_care) => {
                    std::sync::Arc::new(
                        text.iter()
                            .map(|v| v.map(crate::text::for_spreadsheet))
                            .collect::<StringArray>(),
                    )
                }
                _ => c.clone(),
            }
        })
        .collect();
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// Write the batches to `path` (atomically) in the format its extension names.
pub fn write(
    batches: &[RecordBatch],
    schema: datafusion::arrow::datatypes::SchemaRef,
    path: &Path,
) -> Result<()> {
    match OutputFormat::of(path)? {
        OutputFormat::Parquet => {
            let mut writer = PartWriter::create(path, schema)?;
            for b in batches {
                writer.write(b)?;
            }
            writer.commit()
        }
        OutputFormat::Csv => {
            let (file, buffered) = AtomicFile::create(path)?;
            let mut writer = datafusion::arrow::csv::WriterBuilder::new()
                .with_header(true)
                .build(buffered);
            for b in batches {
                writer
                    .write(&neutralise_formulas(b)?)
                    .map_err(|e| Error::file(path, "writing", e))?;
            }
            file.commit(writer.into_inner())
        }
        OutputFormat::Json => {
            let (file, buffered) = AtomicFile::create(path)?;
            let mut writer = datafusion::arrow::json::ArrayWriter::new(buffered);
            for b in batches {
                writer
                    .write(b)
                    .map_err(|e| Error::file(path, "writing", e))?;
            }
            writer
                .finish()
                .map_err(|e| Error::file(path, "writing", e))?;
            file.commit(writer.into_inner())
        }
    }
}
