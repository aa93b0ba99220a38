//! Reading a file's rows and judging each: accepted with its values, or
//! quarantined with its problems, handed on in the file's order.

use super::runaway;
use super::source::{RawRow, Source};
use super::validate::{ColumnPlan, RowProblem, RowValidator};
use crate::batch::Value;
use crate::error::Result;

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

/// Read every row of `source`, judge it with `validator`, and hand each to
/// `take` in the file's order.
///
/// On one thread, with one row's buffers reused for the next: judging rows
/// on every core in chunks (tried for #20) cost twice the CPU and a third
/// more time on a national events file, nearly all of it in the allocator
/// freeing on one thread what another made.
pub fn each_row(
    source: &mut Source,
    validator: &mut RowValidator,
    mut take: impl FnMut(Judged) -> Result<()>,
) -> Result<()> {
    let mut row = RawRow::default();
    let mut values = Vec::new();
    while source.next_row_into(&mut row)? {
        let judged = if row.is_blank() {
            Judged::Blank { lines: row.lines() }
        } else {
            let early = early_problem(&mut row, &validator.plans, &source.header, source.delimiter);
            let checked = match early {
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
        take(judged)?;
    }
    Ok(())
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
