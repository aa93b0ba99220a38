//! Reading extract files (CSV, Parquet, Excel) as rows of text with line numbers.
//!
//! Every format is read into the same shape, [`RawRow`]: the values as text
//! plus where the row is in the file, so validation and error messages work
//! the same way whatever the format. CSV delimiter and header row are detected
//! unless the mapping sets them; a UTF-8 byte-order mark is skipped. CSV
//! records are read by [`super::records`], which accounts for every physical
//! line; a header that is not UTF-8 or names a column twice, and a file in
//! UTF-16, are refused with the fix.

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
use super::records::{CsvRecords, ReadError, Record, Span};
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
    /// CSV physical line where the record starts, Excel row number, or Parquet row number (1-based).
    pub line: u64,
    /// The physical line it ends on (the same as `line` but for CSV records
    /// whose quoted values run over line breaks).
    pub last_line: u64,
    /// Values in header order (trimmed of surrounding whitespace).
    pub fields: Vec<String>,
    /// A problem with the row as a whole (wrong field count, bytes that are not UTF-8).
    pub problem: Option<(Option<usize>, Problem)>,
    /// CSV values whose quotes run over line breaks.
    pub spans: Vec<Span>,
    /// CSV values cut at [`super::records::FIELD_CAP`]: (field index, full length in bytes).
    pub overflow: Vec<(usize, usize)>,
}

impl RawRow {
    /// Physical lines (CSV) or rows (Excel, Parquet) the row covers.
    pub fn lines(&self) -> u64 {
        self.last_line.saturating_sub(self.line) + 1
    }
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
    /// Physical lines (CSV) or rows (Excel) the header takes; 0 without one.
    pub header_lines: u64,
    /// For a spreadsheet: the sheet read, and every sheet in the workbook.
    pub sheet: Option<(String, Vec<String>)>,
    /// What the user should know about how the file was read.
    pub notes: Vec<String>,
    rows: Rows,
    /// Rows handed out so far (Excel, Parquet), for [`Source::lines_read`].
    handed_out: u64,
}

enum Rows {
    Csv {
        reader: Box<CsvRecords<Box<dyn Read + Send>>>,
        record: Record,
        pending: Option<RawRow>,
        compressed: bool,
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
        let source = match format {
            Format::Csv => open_csv(path, mapping, expected),
            Format::Parquet => open_parquet(path),
            Format::Excel => open_excel(path, mapping, expected),
        }?;
        check_header(&source)?;
        Ok(source)
    }

    /// Physical lines (CSV) or rows (Excel, Parquet) read so far, the header
    /// included: every one of them once [`Source::next_row`] has returned `None`.
    pub fn lines_read(&self) -> u64 {
        match &self.rows {
            Rows::Csv { reader, .. } => reader.lines_read(),
            _ => self.header_lines + self.handed_out,
        }
    }

    /// A source of rows already read, for tests.
    #[cfg(test)]
    pub fn from_rows(header: Vec<String>, rows: Vec<RawRow>) -> Source {
        Source {
            path: PathBuf::from("rows.csv"),
            header,
            delimiter: None,
            header_lines: 0,
            sheet: None,
            notes: Vec::new(),
            rows: Rows::Memory(rows.into_iter()),
            handed_out: 0,
        }
    }

    /// The next row, or `None` at the end of the file.
    pub fn next_row(&mut self) -> Result<Option<RawRow>> {
        let mut row = RawRow::default();
        Ok(self.next_row_into(&mut row)?.then_some(row))
    }

    /// Read the next row into `row`, reusing its buffers (a CSV row's
    /// values are copied into the strings the last row left); `false` at
    /// the end of the file.
    pub fn next_row_into(&mut self, row: &mut RawRow) -> Result<bool> {
        let read = self.read_row(row)?;
        if read {
            self.handed_out += 1;
        }
        Ok(read)
    }

    fn read_row(&mut self, row: &mut RawRow) -> Result<bool> {
        let mut give = |next: Option<RawRow>| match next {
            Some(next) => {
                *row = next;
                true
            }
            None => false,
        };
        match &mut self.rows {
            Rows::Memory(rows) => Ok(give(rows.next())),
            Rows::Csv {
                reader,
                record,
                pending,
                compressed,
            } => {
                if let Some(next) = pending.take() {
                    return Ok(give(Some(next)));
                }
                let width = self.header.len();
                match reader.read(record) {
                    Ok(false) => Ok(false),
                    Ok(true) => {
                        csv_row(record, width, &self.header, row);
                        Ok(true)
                    }
                    Err(e) => Err(read_error(&self.path, e, &self.header, *compressed)),
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
                        None => return Ok(false),
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
                                return Ok(false);
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
                Ok(give(Some(RawRow {
                    line: *line,
                    last_line: *line,
                    fields,
                    ..RawRow::default()
                })))
            }
        }
    }
}

/// A CSV file that cannot be read to its end, with the fix.
fn read_error(path: &Path, e: ReadError, header: &[String], compressed: bool) -> Error {
    match e {
        ReadError::Io(io) if compressed => Error::input(
            path,
            format!("the compressed file cannot be read to its end ({io})"),
            "the .gz file is damaged or incomplete (an interrupted download or copy, or a full disk when it was made): copy or export it again",
        ),
        ReadError::Io(io) => Error::io(path, "reading", io),
        ReadError::UnclosedQuote {
            field,
            line,
            last_line,
            ..
        } => {
            let column = header.get(field).map_or_else(
                || format!("column {}", field + 1),
                |h| format!("column '{h}'"),
            );
            Error::input(
                path,
                format!(
                    "line {line}: a quote (\") opened in {column} is never closed, so lines {line} to {last_line} (the end of the file) would be read as one value"
                ),
                format!(
                    "close the quote on line {line}, or write a quote that is part of a value as two (\"\"), and export the file again"
                ),
            )
        }
    }
}

/// Decode one CSV record; a wrong field count or bytes that are not UTF-8 mark the row.
fn csv_row(record: &Record, width: usize, header: &[String], row: &mut RawRow) {
    row.line = record.first_line;
    row.last_line = record.last_line;
    row.problem = None;
    row.spans.clone_from(&record.spans);
    row.overflow.clone_from(&record.overflow);
    let mut fields = 0;
    for (i, bytes) in record.iter().enumerate() {
        let text = match std::str::from_utf8(bytes) {
            Ok(text) => std::borrow::Cow::Borrowed(text),
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
                String::from_utf8_lossy(bytes)
            }
        };
        match row.fields.get_mut(fields) {
            Some(field) => {
                field.clear();
                field.push_str(text.trim());
            }
            None => row.fields.push(text.trim().to_string()),
        }
        fields += 1;
    }
    row.fields.truncate(fields);
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
}

fn open_csv(path: &Path, mapping: &SourceMapping, expected: &[String]) -> Result<Source> {
    let file = File::open(path).map_err(|e| Error::io(path, "opening", e))?;
    let compressed = path
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("gz"));
    let raw: Box<dyn Read + Send> = if compressed {
        Box::new(flate2::read::MultiGzDecoder::new(file))
    } else {
        Box::new(file)
    };
    let mut buffered = BufReader::with_capacity(SNIFF_BYTES, raw);
    let sample = match buffered.fill_buf() {
        Ok(sample) => sample.to_vec(),
        Err(e) => return Err(read_error(path, ReadError::Io(e), &[], compressed)),
    };
    if let Some(encoding) = utf16(&sample) {
        return Err(Error::input(
            path,
            format!("the file is {encoding} text; sprout reads UTF-8"),
            "save it as UTF-8: in Excel, Save As 'CSV UTF-8 (Comma delimited)'; in Notepad, Save As with Encoding 'UTF-8'",
        ));
    }
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
    let mut reader = CsvRecords::new(reader, delimiter);
    let mut record = Record::default();
    let header: Vec<String>;
    let mut pending = None;
    let mut header_lines = 0;
    let read = |reader: &mut CsvRecords<Box<dyn Read + Send>>, record: &mut Record| {
        reader
            .read(record)
            .map_err(|e| read_error(path, e, &[], compressed))
    };
    if has_header {
        read(&mut reader, &mut record)?;
        header_lines = record.lines();
        header = record
            .iter()
            .enumerate()
            .map(|(i, h)| {
                std::str::from_utf8(h)
                    .map(|h| h.trim().to_string())
                    .map_err(|e| {
                        Error::input(
                            path,
                            format!(
                                "the name of column {} in the header has a byte (0x{:02X}) that is not UTF-8, so it would match no column",
                                i + 1,
                                h.get(e.valid_up_to()).copied().unwrap_or(0)
                            ),
                            "save the file as UTF-8 (in Excel: Save As, 'CSV UTF-8')",
                        )
                    })
            })
            .collect::<Result<_>>()?;
    } else {
        header = (1..=first.len()).map(|i| format!("column_{i}")).collect();
        if read(&mut reader, &mut record)? {
            let mut row = RawRow::default();
            csv_row(&record, header.len(), &header, &mut row);
            pending = Some(row);
        }
    }
    Ok(Source {
        path: path.to_path_buf(),
        header,
        delimiter: Some(delimiter),
        header_lines,
        rows: Rows::Csv {
            reader: Box::new(reader),
            record,
            pending,
            compressed,
        },
        handed_out: 0,
        sheet: None,
        notes: Vec::new(),
    })
}

/// The UTF-16 byte order a sample is written in, from its byte-order mark or
/// from NUL bytes between ASCII letters.
fn utf16(sample: &[u8]) -> Option<&'static str> {
    if sample.starts_with(b"\xFF\xFE") {
        return Some("UTF-16 (little-endian)");
    }
    if sample.starts_with(b"\xFE\xFF") {
        return Some("UTF-16 (big-endian)");
    }
    let head = &sample[..sample.len().min(200)];
    let nuls = |offset: usize| {
        head.iter()
            .skip(offset)
            .step_by(2)
            .filter(|b| **b == 0)
            .count()
    };
    let pairs = head.len() / 2;
    if pairs >= 4 && nuls(1) * 10 >= pairs * 9 {
        Some("UTF-16 (little-endian)")
    } else if pairs >= 4 && nuls(0) * 10 >= pairs * 9 {
        Some("UTF-16 (big-endian)")
    } else {
        None
    }
}

/// A header's column names for a message. A name that looks like data (a
/// number, a date, an NHS number) means the first row is a row of data read
/// as a header, and row values are never shown in messages: then only how
/// many columns there are is said.
pub fn describe_header(header: &[String]) -> String {
    if header.is_empty() {
        return "(none)".to_string();
    }
    let looks_like_data = |v: &str| {
        v.parse::<f64>().is_ok()
            || v.chars().next().is_some_and(|c| c.is_ascii_digit())
            || super::identity::contains_nhs_number(v)
    };
    if header.iter().any(|h| looks_like_data(h)) {
        return format!(
            "{} columns, not shown because the first row looks like data rather than column names (if the file has no header row, say so with has_header = false in its mapping entry)",
            header.len()
        );
    }
    header
        .iter()
        .map(|h| {
            let shown: String = h.chars().take(60).collect();
            if h.is_empty() {
                "(unnamed)".to_string()
            } else {
                crate::text::visible(&shown).into_owned()
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// A header that names one column twice cannot say which one is meant.
fn check_header(source: &Source) -> Result<()> {
    for (i, name) in source.header.iter().enumerate() {
        if name.is_empty() {
            continue;
        }
        if let Some(j) = source.header[..i]
            .iter()
            .position(|other| other.eq_ignore_ascii_case(name))
        {
            return Err(Error::input(
                &source.path,
                format!(
                    "columns {} and {} of the header are both called '{}', so sprout cannot tell which one to read",
                    j + 1,
                    i + 1,
                    crate::text::visible(name)
                ),
                "rename or remove one of them in the extract",
            ));
        }
    }
    Ok(())
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
    let reader = builder
        .with_batch_size(8192)
        .build()
        .map_err(|e| Error::file(path, "reading", e))?;
    Ok(Source {
        path: path.to_path_buf(),
        header,
        delimiter: None,
        header_lines: 0,
        rows: Rows::Parquet {
            reader,
            columns: Vec::new(),
            next: 0,
            line: 0,
        },
        handed_out: 0,
        sheet: None,
        notes: Vec::new(),
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
    let (first_row, first_column) = range.start().unwrap_or((0, 0));
    let merged = merged_values(&mut workbook, &sheet, &range);
    let mut notes = Vec::new();
    if !merged.regions.is_empty() {
        notes.push(format!(
            "{} merged cell region{} on sheet '{sheet}' read as displayed: every cell of a region takes its top-left value (rows {})",
            merged.regions.len(),
            if merged.regions.len() == 1 { "" } else { "s" },
            merged.rows_list()
        ));
    }
    let mut rows = range.rows().enumerate().map(|(i, cells)| {
        let line = u64::from(first_row) + i as u64 + 1;
        let mut row = RawRow {
            line,
            last_line: line,
            fields: Vec::with_capacity(cells.len()),
            ..RawRow::default()
        };
        for (c, cell) in cells.iter().enumerate() {
            let at = (first_row + i as u32, first_column + c as u32);
            let shown = merged.cells.get(&at).unwrap_or(cell);
            match excel_text(shown) {
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
        header_lines: u64::from(has_header),
        rows: Rows::Memory(body.into_iter()),
        handed_out: 0,
        sheet: Some((sheet, sheets)),
        notes,
    })
}

/// The merged cell regions of a sheet (where the format records them: xlsx
/// and xls), with the value each covered cell displays.
#[derive(Default)]
struct Merged {
    regions: Vec<calamine::Dimensions>,
    cells: std::collections::HashMap<(u32, u32), calamine::Data>,
}

impl Merged {
    /// The sheet rows the regions cover, as ranges (at most five shown).
    fn rows_list(&self) -> String {
        let mut shown: Vec<String> = self
            .regions
            .iter()
            .take(5)
            .map(|d| {
                if d.start.0 == d.end.0 {
                    format!("{}", d.start.0 + 1)
                } else {
                    format!("{}-{}", d.start.0 + 1, d.end.0 + 1)
                }
            })
            .collect();
        if self.regions.len() > 5 {
            shown.push(format!("and {} more", self.regions.len() - 5));
        }
        shown.join(", ")
    }
}

fn merged_values<RS: std::io::Read + std::io::Seek>(
    workbook: &mut calamine::Sheets<RS>,
    sheet: &str,
    range: &calamine::Range<calamine::Data>,
) -> Merged {
    let regions = match workbook {
        calamine::Sheets::Xlsx(x) => x.merge_cells_by_sheet_name(sheet).unwrap_or_default(),
        calamine::Sheets::Xls(x) => x.merge_cells_by_sheet_name(sheet).unwrap_or_default(),
        _ => Vec::new(),
    };
    let mut merged = Merged::default();
    for region in regions {
        let Some(value) = range.get_value(region.start).cloned() else {
            continue;
        };
        for r in region.start.0..=region.end.0 {
            for c in region.start.1..=region.end.1 {
                if (r, c) != region.start {
                    merged.cells.insert((r, c), value.clone());
                }
            }
        }
        merged.regions.push(region);
    }
    merged
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
