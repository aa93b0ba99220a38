//! CSV files written by the generator, each appearing only when complete.

use std::fs::File;
use std::io::BufWriter;
use std::path::Path;

use crate::atomic::AtomicFile;
use crate::error::{Error, Result};

/// One CSV file being written.
pub struct CsvOut {
    file: AtomicFile,
    writer: csv::Writer<BufWriter<File>>,
}

impl CsvOut {
    /// Start `path` with a header row, fields separated by `delimiter`.
    pub fn create(path: &Path, header: &[&str], delimiter: u8) -> Result<CsvOut> {
        let (file, buffered) = AtomicFile::create(path)?;
        let mut writer = csv::WriterBuilder::new()
            .delimiter(delimiter)
            .from_writer(buffered);
        writer
            .write_record(header)
            .map_err(|e| csv_error(path, e))?;
        Ok(CsvOut { file, writer })
    }

    /// Write one row.
    pub fn row(&mut self, fields: &[&str]) -> Result<()> {
        self.writer
            .write_record(fields)
            .map_err(|e| csv_error(self.file.temp_path(), e))
    }

    /// Finish and move the file into place.
    pub fn commit(self) -> Result<()> {
        let buffered = self
            .writer
            .into_inner()
            .map_err(|e| Error::io(self.file.temp_path(), "writing", e.into_error()))?;
        self.file.commit(buffered)
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, "writing", io),
        other => Error::io(path, "writing", std::io::Error::other(format!("{other:?}"))),
    }
}
