//! Reading extract files (CSV, Parquet, Excel) as rows of text with line numbers.
//!
//! Every format is read into the same shape, [`RawRow`]: the values as text
//! plus where the row is in the file, so validation and error messages work
//! the same way whatever the format. CSV delimiter and header row are detected
//! unless the mapping sets them; a UTF-8 byte-order mark is skipped.

use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};

use datafusion::arrow::array::{Array, StringArray};
use datafusion::arrow::compute::cast;
use datafusion::arrow::datatypes::DataType;
use datafusion::parquet::arrow::arrow_reader::{
    ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder,
};

use super::mapping::SourceMapping;
use super::values::Problem;
use crate::error::{Error, Result};

/// The file formats sprout reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// Delimited text.
    Csv,
    /// Apache Parquet.
    Parquet,
    /// Excel workbook (or OpenDocument spreadsheet).
    Excel,
}

impl Format {
    /// The format of a file, by extension.
    pub fn of(path: &Path) -> Option<Format> {
        let ext = path.extension()?.to_str()?.to_ascii_lowercase();
        if ext == "gz" {
            // `people.csv.gz`: gzipped delimited text.
            let inner = Path::new(path.file_stem()?);
            return (Format::of(inner)? == Format::Csv).then_some(Format::Csv);
        }
        match ext.as_str() {
            "csv" | "tsv" | "txt" => Some(Format::Csv),
            "parquet" => Some(Format::Parquet),
            "xlsx" | "xlsm" | "xls" | "ods" => Some(Format::Excel),
            _ => None,
        }
    }
}

/// One row of an extract, as text.
#[derive(Debug, Default, Clone)]
pub struct RawRow {
    /// CSV line where the record starts, Excel row number, or Parquet row number (1-based).
    pub line: u64,
    /// Values in header order (trimmed of surrounding whitespace).
    pub fields: Vec<String>,
    /// A problem with the row as a whole (wrong field count, bytes that are not UTF-8).
    pub problem: Option<(Option<usize>, Problem)>,
}

impl RawRow {
    /// Whether every value is empty (a blank line or a row of delimiters).
    pub fn is_blank(&self) -> bool {
        self.problem.is_none() && self.fields.iter().all(String::is_empty)
    }
}

/// An open extract file.
pub struct Source {
    /// The file.
    pub path: PathBuf,
    /// Column headers (or `column_1`, … when the file has no header row).
    pub header: Vec<String>,
    /// The delimiter used, for CSV.
    pub delimiter: Option<u8>,
    rows: Rows,
}

enum Rows {
    Csv {
        reader: csv::Reader<Box<dyn Read + Send>>,
        record: csv::ByteRecord,
        pending: Option<RawRow>,
    },
    Parquet {
        reader: ParquetRecordBatchReader,
        columns: Vec<StringArray>,
        next: usize,
        line: u64,
    },
    Memory(std::vec::IntoIter<RawRow>),
}

/// How many bytes are sampled to detect the delimiter and header.
const SNIFF_BYTES: usize = 64 * 1024;

impl Source {
    /// Open `path`, which `mapping` describes; `expected` lists the headers the mapping
    /// looks for (used to recognise a header row).
    pub fn open(path: &Path, mapping: &SourceMapping, expected: &[String]) -> Result<Source> {
        let format = Format::of(path).ok_or_else(|| {
            Error::input(
                path,
                "unknown file type",
                "use .csv, .tsv, .txt (optionally .gz), .parquet, .xlsx, .xls or .ods",
            )
        })?;
        match format {
            Format::Csv => open_csv(path, mapping, expected),
            Format::Parquet => open_parquet(path),
            Format::Excel => open_excel(path, mapping, expected),
        }
    }

    /// The next row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<RawRow>> {
        match &mut self.rows {
            Rows::Memory(rows) => Ok(rows.next()),
            Rows::Csv {
                reader,
                record,
                pending,
            } => {
                if let Some(row) = pending.take() {
                    return Ok(Some(row));
                }
                let width = self.header.len();
                match reader.read_byte_record(record) {
                    Ok(false) => Ok(None),
                    Ok(true) => Ok(Some(csv_row(record, width, &self.header))),
                    Err(e) => Err(csv_error(&self.path, e)),
                }
            }
            Rows::Parquet {
                reader,
                columns,
                next,
                line,
            } => {
                while columns.first().is_none_or(|c| *next >= c.len()) {
                    match reader.next() {
                        None => return Ok(None),
                        Some(batch) => {
                            let batch = batch.map_err(|e| {
                                Error::input(
                                    &self.path,
                                    format!("cannot read the rows after row {line}: {e}"),
                                    "the file is damaged or incomplete; export it again",
                                )
                            })?;
                            *columns = batch
                                .columns()
                                .iter()
                                .map(|c| as_text(c.as_ref()))
                                .collect::<Result<_>>()?;
                            *next = 0;
                            if columns.is_empty() {
                                return Ok(None);
                            }
                        }
                    }
                }
                let i = *next;
                *next += 1;
                *line += 1;
                let fields = columns
                    .iter()
                    .map(|c| {
                        if c.is_null(i) {
                            String::new()
                        } else {
                            c.value(i).trim().to_string()
                        }
                    })
                    .collect();
                Ok(Some(RawRow {
                    line: *line,
                    fields,
                    problem: None,
                }))
            }
        }
    }
}

fn csv_error(path: &Path, e: csv::Error) -> Error {
    let line = e.position().map(|p| p.line()).unwrap_or(0);
    match e.into_kind() {
        csv::ErrorKind::Io(io) => Error::io(path, "reading", io),
        other => Error::input(
            path,
            format!("line {line}: cannot read as CSV: {other:?}"),
            "check the file is a complete, delimited text file",
        ),
    }
}

/// Decode one CSV record; a wrong field count or bytes that are not UTF-8 mark the row.
fn csv_row(record: &csv::ByteRecord, width: usize, header: &[String]) -> RawRow {
    let line = record.position().map_or(0, |p| p.line());
    let mut row = RawRow {
        line,
        fields: Vec::with_capacity(width),
        problem: None,
    };
    for (i, bytes) in record.iter().enumerate() {
        match std::str::from_utf8(bytes) {
            Ok(text) => row.fields.push(text.trim().to_string()),
            Err(e) => {
                let column = header
                    .get(i)
                    .cloned()
                    .unwrap_or_else(|| format!("column {}", i + 1));
                let bad = bytes.get(e.valid_up_to()).copied().unwrap_or(0);
                row.problem.get_or_insert((
                    Some(i),
                    Problem::new(
                        "not_utf8",
                        format!(
                            "column '{column}' has a byte (0x{bad:02X}) that is not UTF-8; \
                             re-save the file as UTF-8 (in Excel: Save As, 'CSV UTF-8')"
                        ),
                    ),
                ));
                row.fields
                    .push(String::from_utf8_lossy(bytes).trim().to_string());
            }
        }
    }
    if row.problem.is_none()
        && row.fields.len() != width
        && !(row.fields.len() == 1 && row.fields[0].is_empty())
    {
        row.problem = Some((
            None,
            Problem::new(
                "wrong_field_count",
                format!(
                    "row has {} fields but the header has {width}: a truncated line, an unquoted \
                     delimiter inside a value, or a different delimiter",
                    row.fields.len()
                ),
            ),
        ));
    }
    row
}

fn open_csv(path: &Path, mapping: &SourceMapping, expected: &[String]) -> Result<Source> {
    let file = File::open(path).map_err(|e| Error::io(path, "opening", e))?;
    let raw: Box<dyn Read + Send> = if path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"))
    {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut buffered = BufReader::with_capacity(SNIFF_BYTES, raw);
    let sample = buffered
        .fill_buf()
        .map_err(|e| Error::io(path, "reading", e))?
        .to_vec();
    let bom = sample.starts_with(b"\xEF\xBB\xBF");
    let sample = if bom { &sample[3..] } else { &sample[..] };
    if bom {
        buffered.consume(3);
    }
    if sample.iter().all(u8::is_ascii_whitespace) {
        return Err(Error::input(
            path,
            "the file is empty",
            "export the extract again; a file needs at least a header row",
        ));
    }
    let delimiter = mapping
        .delimiter_byte()
        .unwrap_or_else(|| detect_delimiter(sample));
    let first = first_record(sample, delimiter);
    let has_header = mapping
        .has_header
        .unwrap_or_else(|| looks_like_header(&first, expected));
    let reader: Box<dyn Read + Send> = Box::new(buffered);
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(reader);
    let mut record = csv::ByteRecord::new();
    let header: Vec<String>;
    let mut pending = None;
    if has_header {
        reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(path, e))?;
        header = record
            .iter()
            .map(|h| String::from_utf8_lossy(h).trim().to_string())
            .collect();
    } else {
        header = (1..=first.len()).map(|i| format!("column_{i}")).collect();
        if reader
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(path, e))?
        {
            pending = Some(csv_row(&record, header.len(), &header));
        }
    }
    Ok(Source {
        path: path.to_path_buf(),
        header,
        delimiter: Some(delimiter),
        rows: Rows::Csv {
            reader,
            record,
            pending,
        },
    })
}

/// The delimiter among `,` `;` tab `|` that splits the sampled lines into the
/// same number (more than one) of fields most often; `,` when none does.
pub fn detect_delimiter(sample: &[u8]) -> u8 {
    let complete = match sample.iter().rposition(|&b| b == b'\n') {
        Some(end) if sample.len() == SNIFF_BYTES => &sample[..=end],
        _ => sample,
    };
    let mut best = (b',', 0usize, 0usize);
    for candidate in [b',', b';', b'\t', b'|'] {
        let mut reader = csv::ReaderBuilder::new()
            .delimiter(candidate)
            .has_headers(false)
            .flexible(true)
            .from_reader(complete);
        let widths: Vec<usize> = reader
            .byte_records()
            .take(50)
            .filter_map(std::result::Result::ok)
            .map(|r| r.len())
            .collect();
        let Some(&first) = widths.first() else {
            continue;
        };
        let consistent = widths.iter().filter(|&&w| w == first).count();
        if first > 1 && (consistent, first) > (best.1, best.2) {
            best = (candidate, consistent, first);
        }
    }
    best.0
}

fn first_record(sample: &[u8], delimiter: u8) -> Vec<String> {
    let mut reader = csv::ReaderBuilder::new()
        .delimiter(delimiter)
        .has_headers(false)
        .flexible(true)
        .from_reader(sample);
    reader
        .byte_records()
        .next()
        .and_then(std::result::Result::ok)
        .map(|r| {
            r.iter()
                .map(|f| String::from_utf8_lossy(f).trim().to_string())
                .collect()
        })
        .unwrap_or_default()
}

/// A first row is a header if it names an expected column, or if every value is
/// non-empty text that is neither a number nor a date.
pub fn looks_like_header(first: &[String], expected: &[String]) -> bool {
    let names_expected = first
        .iter()
        .any(|v| expected.iter().any(|e| e.eq_ignore_ascii_case(v)));
    let all_labels = !first.is_empty()
        && first.iter().all(|v| {
            !v.is_empty()
                && v.parse::<f64>().is_err()
                && !v.chars().next().is_some_and(|c| c.is_ascii_digit())
        });
    names_expected || all_labels
}

fn open_parquet(path: &Path) -> Result<Source> {
    let file = File::open(path).map_err(|e| Error::io(path, "opening", e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| {
        Error::input(
            path,
            format!("not a readable Parquet file ({e})"),
            "export the extract again; the file may be truncated",
        )
    })?;
    let header = builder
        .schema()
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let reader = builder.with_batch_size(8192).build()?;
    Ok(Source {
        path: path.to_path_buf(),
        header,
        delimiter: None,
        rows: Rows::Parquet {
            reader,
            columns: Vec::new(),
            next: 0,
            line: 0,
        },
    })
}

/// A Parquet column as text: dates as `YYYY-MM-DD`, numbers in decimal.
fn as_text(array: &dyn Array) -> Result<StringArray> {
    let text = cast(array, &DataType::Utf8)?;
    Ok(text
        .as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .unwrap_or_else(|| StringArray::new_null(array.len())))
}

fn open_excel(path: &Path, mapping: &SourceMapping, expected: &[String]) -> Result<Source> {
    use calamine::Reader;
    let mut workbook = calamine::open_workbook_auto(path).map_err(|e| {
        Error::input(
            path,
            format!("not a readable spreadsheet ({e})"),
            "save it again as .xlsx, or export CSV",
        )
    })?;
    let sheets = workbook.sheet_names();
    let sheet = match &mapping.sheet {
        Some(name) => sheets.iter().find(|s| *s == name).cloned().ok_or_else(|| {
            Error::input(
                path,
                format!("no sheet called '{name}'"),
                format!("the sheets are: {}", sheets.join(", ")),
            )
        })?,
        None => sheets.first().cloned().ok_or_else(|| {
            Error::input(
                path,
                "the workbook has no sheets",
                "export the extract again",
            )
        })?,
    };
    let range = workbook.worksheet_range(&sheet).map_err(|e| {
        Error::input(
            path,
            format!("cannot read sheet '{sheet}' ({e})"),
            "save it again as .xlsx",
        )
    })?;
    let first_row = range.start().map_or(0, |(r, _)| u64::from(r));
    let mut rows = range.rows().enumerate().map(|(i, cells)| {
        let mut row = RawRow {
            line: first_row + i as u64 + 1,
            fields: Vec::with_capacity(cells.len()),
            problem: None,
        };
        for (c, cell) in cells.iter().enumerate() {
            match excel_text(cell) {
                Ok(text) => row.fields.push(text),
                Err(err) => {
                    row.problem.get_or_insert((
                        Some(c),
                        Problem::new(
                            "spreadsheet_error",
                            format!(
                                "cell holds the spreadsheet error {err}; fix the formula or value"
                            ),
                        ),
                    ));
                    row.fields.push(err);
                }
            }
        }
        row
    });
    let Some(first) = rows.next() else {
        return Err(Error::input(
            path,
            format!("sheet '{sheet}' is empty"),
            "export the extract again; a sheet needs at least a header row",
        ));
    };
    let has_header = mapping
        .has_header
        .unwrap_or_else(|| looks_like_header(&first.fields, expected));
    let mut body: Vec<RawRow> = rows.collect();
    let header = if has_header {
        first.fields
    } else {
        let header = (1..=first.fields.len())
            .map(|i| format!("column_{i}"))
            .collect();
        body.insert(0, first);
        header
    };
    Ok(Source {
        path: path.to_path_buf(),
        header,
        delimiter: None,
        rows: Rows::Memory(body.into_iter()),
    })
}

/// One spreadsheet cell as text; dates become `YYYY-MM-DD`, whole numbers lose `.0`.
fn excel_text(cell: &calamine::Data) -> std::result::Result<String, String> {
    use calamine::Data;
    Ok(match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.trim().to_string(),
        Data::Int(i) => i.to_string(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Bool(b) => b.to_string(),
        Data::DateTime(dt) if dt.is_datetime() => {
            let (y, m, d, ..) = dt.to_ymd_hms_milli();
            format!("{y:04}-{m:02}-{d:02}")
        }
        Data::DateTime(dt) => dt.as_f64().to_string(),
        Data::Error(e) => return Err(format!("{e}")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delimiters_are_detected() {
        assert_eq!(detect_delimiter(b"a,b,c\n1,2,3\n"), b',');
        assert_eq!(detect_delimiter(b"a;b;c\n1;2,5;3\n"), b';');
        assert_eq!(detect_delimiter(b"a\tb\n1\t2\n"), b'\t');
        assert_eq!(detect_delimiter(b"a|b|c\n1|2|3\n"), b'|');
        assert_eq!(detect_delimiter(b"\"x;y\",b\n\"1;2\",3\n"), b',');
        assert_eq!(detect_delimiter(b"single\nvalue\n"), b',');
    }

    #[test]
    fn header_rows_are_recognised() {
        let s = |v: &[&str]| v.iter().map(|x| x.to_string()).collect::<Vec<_>>();
        assert!(looks_like_header(
            &s(&["person_id", "sex"]),
            &s(&["person_id"])
        ));
        assert!(looks_like_header(&s(&["Client", "Gender"]), &[]));
        assert!(!looks_like_header(
            &s(&["P001", "2024-01-01", "3"]),
            &s(&["person_id"])
        ));
        assert!(!looks_like_header(&s(&["P001", "female", ""]), &[]));
    }
}
