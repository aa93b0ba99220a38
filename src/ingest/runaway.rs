//! Records that a stray quote ran together.
//!
//! A quote opened and not closed where it should be makes the CSV reader
//! carry on to the next quote, perhaps thousands of lines later, and read
//! everything between as one value. A quoted value that holds more line
//! breaks than its column allows (none in an identifier, code, date or
//! number, two in a name: [`crate::model::Column::max_line_breaks`]; in a
//! column sprout does not read, such as a free-text note, at most
//! [`IGNORED_LINE_BREAKS`]), or a line that looks like a whole row of the
//! file, is such a record. It is quarantined with the lines it covers, so
//! every line it swallowed is accounted for.

use super::records::FIELD_CAP;
use super::source::RawRow;
use super::validate::{ColumnPlan, RowProblem};
use super::values::Problem;

/// Line breaks a quoted value of a column sprout does not read may hold.
pub const IGNORED_LINE_BREAKS: u64 = 50;

/// The problem with `row` if a quote ran on past where it should have closed,
/// or a value is beyond any limit.
pub fn check(
    row: &RawRow,
    plans: &[ColumnPlan],
    header: &[String],
    delimiter: Option<u8>,
) -> Option<RowProblem> {
    let column = |field: usize| {
        header
            .get(field)
            .cloned()
            .unwrap_or_else(|| format!("column {}", field + 1))
    };
    let value = |field: usize| row.fields.get(field).cloned();
    for span in &row.spans {
        let allowed = plans
            .iter()
            .find(|p| p.field == Some(span.field))
            .map_or(IGNORED_LINE_BREAKS, |p| p.column.max_line_breaks());
        let runaway = span.line_breaks() > allowed
            || row
                .fields
                .get(span.field)
                .is_some_and(|v| holds_a_row(v, delimiter, header.len()));
        if runaway {
            return Some(RowProblem {
                column: Some(column(span.field)),
                value: value(span.field),
                problem: Problem::new(
                    "runaway_quote",
                    format!(
                        "a quote opened in column '{}' on line {} closes only on line {}, so lines {}-{} were read as one record ({} lines): close the quote on line {} (a quote that is part of a value is written as two, \"\"), and export the file again",
                        column(span.field),
                        span.opened,
                        span.closed,
                        row.line,
                        row.last_line,
                        row.lines(),
                        span.opened
                    ),
                ),
            });
        }
    }
    let &(field, bytes) = row.overflow.first()?;
    Some(RowProblem {
        column: Some(column(field)),
        value: value(field),
        problem: Problem::new(
            "too_long",
            format!(
                "the value in column '{}' is {bytes} bytes long (the limit for any value is {FIELD_CAP}), on lines {}-{}: a quote left open runs a value on; close it and export the file again",
                column(field),
                row.line,
                row.last_line
            ),
        ),
    })
}

/// Whether some line of `value` holds as many delimiters as a whole row of a
/// file `width` columns wide.
fn holds_a_row(value: &str, delimiter: Option<u8>, width: usize) -> bool {
    let Some(delimiter) = delimiter else {
        return false;
    };
    width >= 3
        && value
            .lines()
            .skip(1)
            .any(|line| line.bytes().filter(|&b| b == delimiter).count() + 1 >= width - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_line_that_looks_like_a_row_is_a_swallowed_row() {
        assert!(holds_a_row("note\nR7,P3,2024-01-01,gp", Some(b','), 4));
        assert!(!holds_a_row(
            "first line\nsecond, with a comma",
            Some(b','),
            6
        ));
        assert!(!holds_a_row("one line, only", Some(b','), 3));
        assert!(!holds_a_row("a\nb,c", None, 3));
    }
}
