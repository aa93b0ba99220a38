//! Reading a file's rows and judging each: accepted with its values, or
//! quarantined with its problems, handed on in the file's order.

use super::runaway;
use super::source::{RawRow, Source};
use super::validate::{ColumnPlan, RowProblem, RowValidator};
use crate::batch::Value;
use crate::error::Result;
use std::sync::mpsc::{self, Receiver, SyncSender};

/// What reading one record came to.
#[derive(Debug)]
pub enum Judged<'v> {
    /// A blank line (or a row of delimiters) over this many physical lines.
    Blank {
        /// Physical lines it covers.
        lines: u64,
    },
    /// A record: its values, or every problem found.
    Row {
        /// First physical line.
        line: u64,
        /// Last physical line.
        last_line: u64,
        /// Physical lines it covers.
        lines: u64,
        /// The values, one per table column, or the problems.
        checked: std::result::Result<&'v [Value], Vec<RowProblem>>,
    },
}

/// Rows read ahead in one chunk handed from the reader to the judge.
const CHUNK_ROWS: usize = 1024;

/// Chunks in flight: enough that neither side waits on the other's hiccups.
const CHUNKS: usize = 4;

/// Rows read by the reader thread, their buffers handed back to be read into again.
#[derive(Default)]
struct Chunk {
    rows: Vec<RawRow>,
    filled: usize,
}

/// Read every row of `source`, judge it with `validator`, and hand each to
/// `take` in the file's order.
pub fn each_row(
    source: &mut Source,
    validator: &mut RowValidator,
    mut take: impl FnMut(Judged) -> Result<()>,
) -> Result<()> {
    let header = source.header.clone();
    let delimiter = source.delimiter;
    let mut values = Vec::new();
    read_ahead(source, |row| {
        let judged = if row.is_blank() {
            Judged::Blank { lines: row.lines() }
        } else {
            let checked = match early_problem(row, &validator.plans, &header, delimiter) {
                Some(problem) => Err(vec![problem]),
                None => validator
                    .check(&row.fields, row.line, &mut values)
                    .map(|()| values.as_slice()),
            };
            Judged::Row {
                line: row.line,
                last_line: row.last_line,
                lines: row.lines(),
                checked,
            }
        };
        take(judged)
    })
}

/// Every row of `source` handed to `each` in the file's order, read ahead
/// on a thread of its own; stops at the first error of either side (a read
/// error comes after the rows read before it).
///
/// Reading (records, line accounting, UTF-8) runs ahead of judging, so a
/// file alone on the machine keeps two cores busy. Rows pass between the
/// two in chunks whose buffers go back to the reader and are read into
/// again, so no row's strings are freed on another thread than made them:
/// judging rows on every core in chunks of fresh rows (tried for #20) cost
/// twice the CPU, nearly all of it in the allocator.
fn read_ahead(source: &mut Source, mut each: impl FnMut(&mut RawRow) -> Result<()>) -> Result<()> {
    let (full_tx, full_rx) = mpsc::sync_channel::<Result<Chunk>>(CHUNKS);
    let (empty_tx, empty_rx) = mpsc::channel::<Chunk>();
    for _ in 0..CHUNKS {
        // The receiver is alive: only the reader below drops it.
        let _ = empty_tx.send(Chunk::default());
    }
    std::thread::scope(|scope| {
        let reader = scope.spawn(move || read_chunks(source, &empty_rx, &full_tx));
        // Handing on ends at the end of the file, at a read error, or when
        // `each` fails; either way both of this side's channel ends are
        // dropped here, so a reader waiting on either stops.
        let handed = (move || {
            for chunk in full_rx {
                let mut chunk = chunk?;
                for row in &mut chunk.rows[..chunk.filled] {
                    each(row)?;
                }
                // The reader may have stopped at the end of the file.
                let _ = empty_tx.send(chunk);
            }
            Ok(())
        })();
        reader
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        handed
    })
}

/// The reader's side: fill each chunk handed back with the next rows, and
/// send it on; a read error is sent after the rows read before it.
fn read_chunks(source: &mut Source, empty: &Receiver<Chunk>, full: &SyncSender<Result<Chunk>>) {
    while let Ok(mut chunk) = empty.recv() {
        chunk.filled = 0;
        let outcome = loop {
            if chunk.filled == CHUNK_ROWS {
                break Ok(true);
            }
            if chunk.rows.len() == chunk.filled {
                chunk.rows.push(RawRow::default());
            }
            match source.next_row_into(&mut chunk.rows[chunk.filled]) {
                Ok(true) => chunk.filled += 1,
                Ok(false) => break Ok(false),
                Err(e) => break Err(e),
            }
        };
        let sent = chunk.filled == 0 || full.send(Ok(chunk)).is_ok();
        match outcome {
            Ok(true) if sent => {}
            Ok(_) => return,
            Err(e) => {
                let _ = full.send(Err(e));
                return;
            }
        }
    }
}

/// A problem with the record as a whole, found before its values are read:
/// a quote that ran on ([`runaway::check`]), or one the reader found (a
/// wrong number of fields, bytes that are not UTF-8).
fn early_problem(
    row: &mut RawRow,
    plans: &[ColumnPlan],
    header: &[String],
    delimiter: Option<u8>,
) -> Option<RowProblem> {
    runaway::check(row, plans, header, delimiter).or_else(|| {
        row.problem.take().map(|(field, problem)| RowProblem {
            column: field.and_then(|i| header.get(i).cloned()),
            value: None,
            problem,
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::Error;

    fn numbered(rows: usize) -> Source {
        let rows = (1..=rows as u64)
            .map(|line| RawRow {
                line,
                last_line: line,
                fields: vec![format!("row {line}")],
                ..RawRow::default()
            })
            .collect();
        Source::from_rows(vec!["value".into()], rows)
    }

    #[test]
    fn every_row_is_handed_on_once_in_order_across_chunks() {
        for rows in [
            0,
            1,
            CHUNK_ROWS - 1,
            CHUNK_ROWS,
            CHUNK_ROWS + 1,
            5 * CHUNK_ROWS + 7,
        ] {
            let mut seen = Vec::new();
            read_ahead(&mut numbered(rows), |row| {
                seen.push((row.line, row.fields[0].clone()));
                Ok(())
            })
            .unwrap();
            let expected: Vec<_> = (1..=rows as u64)
                .map(|line| (line, format!("row {line}")))
                .collect();
            assert_eq!(seen, expected, "{rows} rows");
        }
    }

    #[test]
    fn a_failure_while_handing_on_stops_the_reader_and_is_returned() {
        // More rows than the chunks in flight hold, so the reader would
        // wait for a chunk back if it were not stopped.
        let mut source = numbered(CHUNKS * CHUNK_ROWS * 3);
        let mut handed = 0;
        let outcome = read_ahead(&mut source, |row| {
            handed += 1;
            if row.line == 1500 {
                return Err(Error::Usage("the disk is full".into()));
            }
            Ok(())
        });
        assert!(matches!(outcome, Err(Error::Usage(m)) if m == "the disk is full"));
        assert_eq!(handed, 1500);
    }
}
