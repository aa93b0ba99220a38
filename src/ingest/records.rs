//! Delimited text read record by record, with the physical lines each record covers.
//!
//! The quoting rules are RFC 4180's, as the `csv` crate reads them: a field
//! that starts with `"` is quoted, `""` inside it is one `"`, and a quoted
//! field may hold delimiters and line breaks. What this reader adds is an
//! account of *physical lines*: a line ends at LF, CRLF or a lone CR (old Mac
//! exports, and files whose line endings were mixed by hand), and every
//! record says which lines it covers, so that
//!
//! ```text
//! physical lines = header lines + blank lines + lines of accepted records + lines of quarantined records
//! ```
//!
//! always holds. It also says where each quoted value that runs over line
//! breaks opened and closed, so a stray quote that swallowed the rows after it
//! can be named ([`Record::spans`]), and a quote still open at the end of the
//! file is an error naming the line it opened on ([`ReadError::UnclosedQuote`]).
//! A value longer than [`FIELD_CAP`] bytes is cut (its full length kept in
//! [`Record::overflow`]), so a runaway quote cannot take the memory.

use std::io::Read;

/// Bytes of one value that are kept; the rest is counted, not stored. Far
/// above any column's limit, so a value this long is always refused.
pub const FIELD_CAP: usize = 1 << 20;

const QUOTE: u8 = b'"';

/// A quoted value that runs over line breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Span {
    /// Index of the field in its record.
    pub field: usize,
    /// Physical line the opening quote is on.
    pub opened: u64,
    /// Physical line the closing quote is on.
    pub closed: u64,
}

impl Span {
    /// Line breaks inside the value.
    pub fn line_breaks(&self) -> u64 {
        self.closed - self.opened
    }
}

/// One record: its fields as bytes, and the physical lines it covers.
#[derive(Debug, Clone, Default)]
pub struct Record {
    data: Vec<u8>,
    ends: Vec<usize>,
    /// The physical line the record starts on (1-based).
    pub first_line: u64,
    /// The physical line it ends on.
    pub last_line: u64,
    /// Quoted values that run over line breaks.
    pub spans: Vec<Span>,
    /// Values cut at [`FIELD_CAP`]: (field index, full length in bytes).
    pub overflow: Vec<(usize, usize)>,
    /// Whether the record is an empty line.
    pub empty_line: bool,
}

impl Record {
    /// Number of fields.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    /// Whether the record has no fields (never true of a record read).
    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Field `i`.
    pub fn get(&self, i: usize) -> Option<&[u8]> {
        let end = *self.ends.get(i)?;
        let start = if i == 0 { 0 } else { self.ends[i - 1] };
        Some(&self.data[start..end])
    }

    /// The fields in order.
    pub fn iter(&self) -> impl Iterator<Item = &[u8]> {
        (0..self.len()).filter_map(|i| self.get(i))
    }

    /// Physical lines the record covers.
    pub fn lines(&self) -> u64 {
        self.last_line - self.first_line + 1
    }

    fn clear(&mut self) {
        self.empty_line = false;
        self.data.clear();
        self.ends.clear();
        self.spans.clear();
        self.overflow.clear();
    }
}

/// Why a file could not be read as delimited text.
#[derive(Debug)]
pub enum ReadError {
    /// The operating system could not read it (or a compressed file is damaged).
    Io(std::io::Error),
    /// A quote opened on `line` (in field `field` of the record starting on
    /// `record_line`) is still open at the end of the file, `last_line`.
    UnclosedQuote {
        /// The record's first line.
        record_line: u64,
        /// Index of the field.
        field: usize,
        /// The line the quote opened on.
        line: u64,
        /// The file's last line.
        last_line: u64,
    },
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum State {
    /// At the start of a field.
    Start,
    /// Inside a field that is not quoted.
    Unquoted,
    /// Inside a quoted field.
    Quoted,
    /// Just after a quote inside a quoted field: a second quote, a delimiter
    /// or a line break decides what it was.
    QuoteInQuoted,
}

/// Reads records from delimited text.
pub struct CsvRecords<R> {
    input: R,
    buffer: Vec<u8>,
    pos: usize,
    filled: usize,
    eof: bool,
    delimiter: u8,
    /// Physical line of the next unread byte.
    line: u64,
    /// The last byte consumed was a CR (so an LF next ends the same line).
    after_cr: bool,
    /// Whether the last byte consumed ended a line (for counting the last line).
    at_line_start: bool,
}

impl<R: Read> CsvRecords<R> {
    /// Read `input`, fields separated by `delimiter`.
    pub fn new(input: R, delimiter: u8) -> Self {
        CsvRecords {
            input,
            buffer: vec![0; 1 << 16],
            pos: 0,
            filled: 0,
            eof: false,
            delimiter,
            line: 1,
            after_cr: false,
            at_line_start: true,
        }
    }

    /// Physical lines read so far (all of them once [`Self::read`] has returned `false`).
    pub fn lines_read(&self) -> u64 {
        if self.at_line_start {
            self.line - 1
        } else {
            self.line
        }
    }

    /// The next byte, without consuming it.
    fn peek(&mut self) -> Result<Option<u8>, ReadError> {
        if self.pos == self.filled {
            if self.eof {
                return Ok(None);
            }
            loop {
                match self.input.read(&mut self.buffer) {
                    Ok(0) => {
                        self.eof = true;
                        return Ok(None);
                    }
                    Ok(n) => {
                        self.pos = 0;
                        self.filled = n;
                        break;
                    }
                    Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                    Err(e) => return Err(ReadError::Io(e)),
                }
            }
        }
        Ok(Some(self.buffer[self.pos]))
    }

    /// Consume one byte, counting line breaks.
    fn advance(&mut self, byte: u8) {
        self.pos += 1;
        match byte {
            b'\n' if self.after_cr => {
                self.after_cr = false;
            }
            b'\n' => {
                self.line += 1;
                self.at_line_start = true;
            }
            b'\r' => {
                self.line += 1;
                self.after_cr = true;
                self.at_line_start = true;
            }
            _ => {
                self.after_cr = false;
                self.at_line_start = false;
            }
        }
    }

    /// Read the next record into `record`; `false` at the end of the input. A
    /// blank line is a record of one empty field.
    pub fn read(&mut self, record: &mut Record) -> Result<bool, ReadError> {
        record.clear();
        // The LF of a CRLF that ended the previous record.
        if self.after_cr && self.peek()? == Some(b'\n') {
            self.advance(b'\n');
        }
        let Some(first) = self.peek()? else {
            return Ok(false);
        };
        record.empty_line = first == b'\n' || first == b'\r';
        record.first_line = self.line;
        let mut field = Field::default();
        let mut state = State::Start;
        loop {
            let Some(byte) = self.peek()? else {
                if state == State::Quoted {
                    return Err(ReadError::UnclosedQuote {
                        record_line: record.first_line,
                        field: record.ends.len(),
                        line: field.quote_opened.unwrap_or(record.first_line),
                        last_line: self.lines_read(),
                    });
                }
                record.last_line = self.lines_read().max(record.first_line);
                field.end(record);
                return Ok(true);
            };
            let outside_quotes = state != State::Quoted;
            if outside_quotes && (byte == b'\n' || byte == b'\r') {
                record.last_line = self.line;
                field.end(record);
                self.advance(byte);
                return Ok(true);
            }
            if outside_quotes && byte == self.delimiter {
                field.end(record);
                self.advance(byte);
                field = Field::default();
                state = State::Start;
                continue;
            }
            match state {
                State::Start if byte == QUOTE => {
                    field.quote_opened = Some(self.line);
                    self.advance(byte);
                    state = State::Quoted;
                }
                State::Start | State::Unquoted => {
                    // The run up to the next delimiter or line break, at once.
                    let run = &self.buffer[self.pos..self.filled];
                    let n = memchr::memchr3(self.delimiter, b'\n', b'\r', run).unwrap_or(run.len());
                    field.extend(record, &run[..n]);
                    self.skip_plain(n);
                    state = State::Unquoted;
                }
                State::Quoted if byte == QUOTE => {
                    field.quote_closed = self.line;
                    self.advance(byte);
                    state = State::QuoteInQuoted;
                }
                State::Quoted if byte == b'\n' || byte == b'\r' => {
                    field.extend(record, &[byte]);
                    self.advance(byte);
                }
                State::Quoted => {
                    // The run up to the next quote or line break, at once.
                    let run = &self.buffer[self.pos..self.filled];
                    let n = memchr::memchr3(QUOTE, b'\n', b'\r', run).unwrap_or(run.len());
                    field.extend(record, &run[..n]);
                    self.skip_plain(n);
                }
                State::QuoteInQuoted if byte == QUOTE => {
                    // `""` inside quotes is one quote.
                    field.extend(record, &[byte]);
                    self.advance(byte);
                    state = State::Quoted;
                }
                State::QuoteInQuoted => {
                    // `"ab"cd` reads as `abcd`, as the csv crate reads it.
                    field.extend(record, &[byte]);
                    self.advance(byte);
                    state = State::Unquoted;
                }
            }
        }
    }

    /// Consume `n` bytes that are neither line breaks nor quotes nor delimiters.
    fn skip_plain(&mut self, n: usize) {
        if n > 0 {
            self.pos += n;
            self.after_cr = false;
            self.at_line_start = false;
        }
    }
}

/// The field being read.
#[derive(Default)]
struct Field {
    /// Its length in bytes so far (beyond [`FIELD_CAP`], not all stored).
    len: usize,
    /// The line its opening quote is on, if it is quoted.
    quote_opened: Option<u64>,
    /// The line of the last quote seen inside it.
    quote_closed: u64,
}

impl Field {
    fn extend(&mut self, record: &mut Record, bytes: &[u8]) {
        let room = FIELD_CAP.saturating_sub(self.len);
        record
            .data
            .extend_from_slice(&bytes[..bytes.len().min(room)]);
        self.len += bytes.len();
    }

    fn end(&self, record: &mut Record) {
        let index = record.ends.len();
        record.ends.push(record.data.len());
        if self.len > FIELD_CAP {
            record.overflow.push((index, self.len));
        }
        if let Some(opened) = self.quote_opened
            && self.quote_closed > opened
        {
            record.spans.push(Span {
                field: index,
                opened,
                closed: self.quote_closed,
            });
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Records as (first line, last line, fields), and the lines read.
    type Records = (Vec<(u64, u64, Vec<String>)>, u64);

    /// Every record of `text`.
    fn read_all(text: &[u8]) -> Result<Records, ReadError> {
        read_lines(text, true)
    }

    fn read_lines(text: &[u8], empty_lines: bool) -> Result<Records, ReadError> {
        let mut reader = CsvRecords::new(text, b',');
        let mut record = Record::default();
        let mut out = Vec::new();
        while reader.read(&mut record)? {
            if record.empty_line && !empty_lines {
                continue;
            }
            let fields = record
                .iter()
                .map(|f| String::from_utf8_lossy(f).into_owned())
                .collect();
            out.push((record.first_line, record.last_line, fields));
        }
        Ok((out, reader.lines_read()))
    }

    fn fields(v: &[&str]) -> Vec<String> {
        v.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn lf_crlf_and_lone_cr_each_end_a_physical_line() {
        for text in [
            &b"a,b\n1,2\n3,4\n"[..],
            b"a,b\r\n1,2\r\n3,4\r\n",
            b"a,b\r1,2\r3,4\r",
            b"a,b\r\n1,2\r3,4\n",
            b"a,b\n1,2\r\n3,4",
        ] {
            let (records, lines) = read_all(text).unwrap();
            assert_eq!(lines, 3, "{text:?}");
            assert_eq!(
                records,
                vec![
                    (1, 1, fields(&["a", "b"])),
                    (2, 2, fields(&["1", "2"])),
                    (3, 3, fields(&["3", "4"])),
                ],
                "{text:?}"
            );
        }
    }

    #[test]
    fn blank_lines_are_records_of_one_empty_field() {
        let (records, lines) = read_all(b"a\n\n\r\nb\r\rc").unwrap();
        assert_eq!(lines, 6);
        let firsts: Vec<u64> = records.iter().map(|r| r.0).collect();
        assert_eq!(firsts, [1, 2, 3, 4, 5, 6]);
        assert_eq!(records[1].2, fields(&[""]));
    }

    #[test]
    fn quoted_values_hold_delimiters_quotes_and_line_breaks() {
        let text = b"id,note\n1,\"a, \"\"b\"\"\nc\r\nd\"\n2,x\"y\n3,\"q\"r\n";
        let mut reader = CsvRecords::new(&text[..], b',');
        let mut record = Record::default();
        assert!(reader.read(&mut record).unwrap());
        assert!(reader.read(&mut record).unwrap());
        assert_eq!(record.get(1).unwrap(), b"a, \"b\"\nc\r\nd");
        assert_eq!(
            (record.first_line, record.last_line, record.lines()),
            (2, 4, 3)
        );
        assert_eq!(
            record.spans,
            vec![Span {
                field: 1,
                opened: 2,
                closed: 4
            }]
        );
        assert!(reader.read(&mut record).unwrap());
        assert_eq!(
            record.get(1).unwrap(),
            b"x\"y",
            "a quote inside a value is kept"
        );
        assert!(record.spans.is_empty());
        assert!(reader.read(&mut record).unwrap());
        assert_eq!(record.get(1).unwrap(), b"qr");
        assert!(!reader.read(&mut record).unwrap());
        assert_eq!(reader.lines_read(), 6);
    }

    #[test]
    fn a_quote_open_at_the_end_of_the_file_names_its_line() {
        let text = b"id,scheme\n1,a\n2,\"b\n3,c\n4,d\n";
        match read_all(text) {
            Err(ReadError::UnclosedQuote {
                record_line,
                field,
                line,
                last_line,
            }) => assert_eq!((record_line, field, line, last_line), (3, 1, 3, 5)),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_value_beyond_the_cap_is_cut_and_its_length_kept() {
        let mut text = b"a,\"".to_vec();
        text.extend(std::iter::repeat_n(b'x', FIELD_CAP + 10));
        text.extend(b"\",b\n");
        let mut reader = CsvRecords::new(&text[..], b',');
        let mut record = Record::default();
        assert!(reader.read(&mut record).unwrap());
        assert_eq!(record.len(), 3);
        assert_eq!(record.get(1).unwrap().len(), FIELD_CAP);
        assert_eq!(record.overflow, vec![(1, FIELD_CAP + 10)]);
        assert_eq!(record.get(2).unwrap(), b"b");
    }

    proptest::proptest! {
        #![proptest_config(proptest::test_runner::Config::with_cases(2000))]

        /// Any bytes: no panic, records tile the physical lines exactly, and
        /// where a quote is left open the error names a line inside the file.
        #[test]
        fn records_tile_the_physical_lines(bytes in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'1', b',', b'"', b'\n', b'\r', b' ', 0xC3, 0xA9]), 0..200)) {
            let mut reader = CsvRecords::new(&bytes[..], b',');
            let mut record = Record::default();
            let mut next_line = 1;
            loop {
                match reader.read(&mut record) {
                    Ok(true) => {
                        proptest::prop_assert_eq!(record.first_line, next_line);
                        proptest::prop_assert!(record.last_line >= record.first_line);
                        next_line = record.last_line + 1;
                    }
                    Ok(false) => {
                        proptest::prop_assert_eq!(reader.lines_read(), next_line - 1);
                        proptest::prop_assert_eq!(reader.lines_read(), physical_lines(&bytes));
                        break;
                    }
                    Err(ReadError::UnclosedQuote { line, last_line, .. }) => {
                        proptest::prop_assert!(line >= next_line && line <= last_line);
                        proptest::prop_assert_eq!(last_line, physical_lines(&bytes));
                        break;
                    }
                    Err(ReadError::Io(e)) => proptest::prop_assert!(false, "{e}"),
                }
            }
        }

        /// Where the csv crate and this reader both read a file (LF or CRLF
        /// line ends, every quote closed), they read the same fields.
        #[test]
        fn fields_match_the_csv_crate(bytes in proptest::collection::vec(
            proptest::sample::select(vec![b'a', b'b', b',', b'"', b'\n', b' ']), 0..200), crlf in proptest::bool::ANY) {
            let bytes: Vec<u8> = if crlf {
                bytes.iter().flat_map(|&b| if b == b'\n' { vec![b'\r', b'\n'] } else { vec![b] }).collect()
            } else {
                bytes
            };
            let Ok((ours, _)) = read_lines(&bytes, false) else { return Ok(()); };
            let ours: Vec<Vec<String>> = ours.into_iter().map(|(_, _, f)| f).collect();
            let mut theirs = Vec::new();
            let mut reader = csv::ReaderBuilder::new().has_headers(false).flexible(true).from_reader(&bytes[..]);
            for record in reader.byte_records() {
                let record = record.unwrap();
                theirs.push(record.iter().map(|f| String::from_utf8_lossy(f).into_owned()).collect::<Vec<_>>());
            }
            proptest::prop_assert_eq!(ours, theirs);
        }
    }

    /// Physical lines of `bytes`, counted directly: LF, CRLF and lone CR each end one.
    fn physical_lines(bytes: &[u8]) -> u64 {
        let mut lines = 0;
        let mut i = 0;
        while i < bytes.len() {
            match bytes[i] {
                b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                    lines += 1;
                    i += 1;
                }
                b'\r' | b'\n' => lines += 1,
                _ => {}
            }
            i += 1;
        }
        let ends_with_break = bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r');
        lines + u64::from(!bytes.is_empty() && !ends_with_break)
    }
}
