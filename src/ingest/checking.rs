//! Reading a file's rows and judging each: accepted with its values, or
//! quarantined with its problems. Rows are judged on this thread, or, when
//! they can be judged apart (no ids to remember from row to row, as in a
//! national health events extract), on every core; either way they are handed
//! on in the file's order, so line numbers, counts and outputs are the same.

use std::collections::BTreeMap;
use std::sync::Mutex;
use std::sync::mpsc::{channel, sync_channel};

use super::runaway;
use super::source::{RawRow, Source};
use super::validate::{ColumnPlan, RowProblem, RowValidator};
use crate::batch::Value;
use crate::error::Result;

/// What reading one record came to.
#[derive(Debug)]
pub enum Judged {
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
        checked: std::result::Result<Vec<Value>, Vec<RowProblem>>,
    },
}

/// Rows handed to a thread at a time.
const CHUNK_ROWS: usize = 4096;

/// Threads that judge rows: the cores there are, at most 8.
fn threads() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get().min(8))
}

/// Read every row of `source`, judge it with `validator`, and hand each to
/// `take` in the file's order.
pub fn each_row(
    source: &mut Source,
    validator: &mut RowValidator,
    mut take: impl FnMut(Judged) -> Result<()>,
) -> Result<()> {
    let threads = threads();
    if !validator.stateless() || threads < 2 {
        while let Some(mut row) = source.next_row()? {
            let judged = if row.is_blank() {
                Judged::Blank { lines: row.lines() }
            } else {
                let early =
                    early_problem(&mut row, &validator.plans, &source.header, source.delimiter);
                let checked = match early {
                    Some(problem) => Err(vec![problem]),
                    None => validator.check(&row.fields, row.line),
                };
                row_judged(&row, checked)
            };
            take(judged)?;
        }
        return Ok(());
    }
    let header = source.header.clone();
    let delimiter = source.delimiter;
    let validator: &RowValidator = validator;
    let (work_tx, work_rx) = sync_channel::<(u64, Vec<RawRow>)>(threads * 2);
    let work_rx = Mutex::new(work_rx);
    let (done_tx, done_rx) = channel::<(u64, Vec<Judged>)>();
    std::thread::scope(|scope| -> Result<()> {
        for _ in 0..threads {
            let (work_rx, done_tx, header) = (&work_rx, done_tx.clone(), &header);
            scope.spawn(move || {
                loop {
                    let next = work_rx.lock().map(|rx| rx.recv());
                    let Ok(Ok((chunk, rows))) = next else { break };
                    let judged = rows
                        .into_iter()
                        .map(|mut row| {
                            if row.is_blank() {
                                return Judged::Blank { lines: row.lines() };
                            }
                            let early =
                                early_problem(&mut row, &validator.plans, header, delimiter);
                            let checked = match early {
                                Some(problem) => Err(vec![problem]),
                                None => validator.check_apart(&row.fields),
                            };
                            row_judged(&row, checked)
                        })
                        .collect();
                    if done_tx.send((chunk, judged)).is_err() {
                        break;
                    }
                }
            });
        }
        drop(done_tx);
        // Chunks judged out of turn wait here until those before them are in.
        let mut ready: BTreeMap<u64, Vec<Judged>> = BTreeMap::new();
        let mut next = 0u64;
        let mut hand_on = |ready: &mut BTreeMap<u64, Vec<Judged>>, next: &mut u64| -> Result<()> {
            while let Some(judged) = ready.remove(next) {
                judged.into_iter().try_for_each(&mut take)?;
                *next += 1;
            }
            Ok(())
        };
        let mut sent = 0u64;
        let read = (|| -> Result<()> {
            loop {
                let mut chunk = Vec::with_capacity(CHUNK_ROWS);
                while chunk.len() < CHUNK_ROWS {
                    match source.next_row()? {
                        Some(row) => chunk.push(row),
                        None => break,
                    }
                }
                let last = chunk.len() < CHUNK_ROWS;
                if !chunk.is_empty() {
                    work_tx
                        .send((sent, chunk))
                        .expect("the judging threads run until the work runs out");
                    sent += 1;
                }
                while let Ok((chunk, judged)) = done_rx.try_recv() {
                    ready.insert(chunk, judged);
                }
                hand_on(&mut ready, &mut next)?;
                if last {
                    return Ok(());
                }
            }
        })();
        // Closing the work channel ends the threads once the queue is empty.
        drop(work_tx);
        read?;
        for (chunk, judged) in done_rx.iter() {
            ready.insert(chunk, judged);
            hand_on(&mut ready, &mut next)?;
        }
        assert_eq!(next, sent, "every chunk of rows is handed on");
        Ok(())
    })
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

fn row_judged(row: &RawRow, checked: std::result::Result<Vec<Value>, Vec<RowProblem>>) -> Judged {
    Judged::Row {
        line: row.line,
        last_line: row.last_line,
        lines: row.lines(),
        checked,
    }
}
