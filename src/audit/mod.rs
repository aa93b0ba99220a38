//! `sprout audit`: an automated output checker. It reads the published
//! tables of a finished evaluation (never the warehouse) and tries, as an
//! output checker would, to work out every withheld or rounded cell:
//!
//! - [`sums`]: differencing totals against their parts (the parts of a total
//!   in one row, the groups of a breakdown against its `all` row), by
//!   narrowing what each cell can be until nothing changes;
//! - [`derived`]: back-calculation from shares, their Wilson limits, rates and
//!   their Poisson limits, ratios and scaled counts beside their published
//!   counts, and from means (a mean of whole numbers shown to many decimals
//!   is a whole-number total for one candidate count only);
//! - [`words`]: the row counts of lists against the counts that number them,
//!   a quantity two tables publish against its twin, and every number in a
//!   sentence, a table cell or a chart's text alternative of the HTML pages,
//!   and a cell of the workbook against the published tables.
//!
//! It also reports counts shown that the policy withholds or rounds, and
//! figures that contradict the ones they are computed from. Each finding
//! names the table, row and column and the arithmetic that recovers it.
//! `sprout evaluate` runs the audit before it publishes anything.

pub mod derived;
pub mod read;
pub mod sums;
pub mod words;

use std::fmt;

use crate::disclosure::rules::{self, Role};
use crate::disclosure::{Cell, Policy, PublishedTable};
use crate::measures::table::{OutColumn, TableDef};

/// One published table as a reader sees it.
#[derive(Debug, Clone)]
pub struct Sheet {
    /// Table name (file stem), or the page or worksheet the text is read from.
    pub name: String,
    /// Its declaration (from [`crate::registry`]; [`read::SHOWN_TEXT`] for
    /// the text of a page or worksheet).
    pub def: &'static TableDef,
    /// Rows of cells as published, in the declared column order.
    pub rows: Vec<Vec<Cell>>,
    /// How each column is protected (from the declaration).
    pub roles: Vec<Role>,
}

impl Sheet {
    /// A sheet of its rows, with the declared roles.
    pub fn new(name: String, def: &'static TableDef, rows: Vec<Vec<Cell>>) -> Sheet {
        Sheet {
            name,
            def,
            rows,
            roles: rules::roles(def),
        }
    }

    /// A table as `evaluate` publishes it.
    pub fn of(table: &PublishedTable) -> Sheet {
        Sheet::new(table.name().to_string(), table.def, table.rows.clone())
    }

    /// Its columns.
    pub fn columns(&self) -> &'static [OutColumn] {
        self.def.columns
    }

    /// Index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns().iter().position(|c| c.name == name)
    }

    /// Whether cell (`row`, `column`) is a count of people or events.
    pub fn is_count(&self, row: usize, column: usize) -> bool {
        crate::disclosure::differencing::is_count(&self.rows[row], &self.roles[column])
    }
}

/// What a finding is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Kind {
    /// A withheld (`*`) cell worked out exactly.
    Recovered,
    /// A rounded count's exact value worked out.
    Restored,
    /// A count shown that the policy withholds or rounds, or a figure shown
    /// beside a withheld count it rests on.
    Unprotected,
    /// A figure that contradicts the published figures it is computed from.
    Contradiction,
    /// A number in a sentence, a page or a worksheet that no published table shows.
    Unpublished,
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Kind::Recovered => "withheld cell recovered",
            Kind::Restored => "rounded count restored",
            Kind::Unprotected => "unprotected figure",
            Kind::Contradiction => "figures contradict each other",
            Kind::Unpublished => "a figure no published table shows",
        }
    }
}

/// One cell a reader could work out, or a figure that contradicts its neighbours.
#[derive(Debug, Clone, PartialEq)]
pub struct Finding {
    /// What was found.
    pub kind: Kind,
    /// The table.
    pub table: String,
    /// The row, counted from 1 as in the CSV (header excluded).
    pub row: usize,
    /// The column.
    pub column: String,
    /// The value worked out, when there is one.
    pub value: Option<i64>,
    /// The arithmetic that recovers it.
    pub how: String,
}

impl fmt::Display for Finding {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} row {} {}: {}",
            self.table,
            self.row,
            self.column,
            self.kind.label()
        )?;
        if let Some(v) = self.value {
            write!(f, " = {v}")?;
        }
        write!(f, " ({})", self.how)
    }
}

/// The audit of one output.
#[derive(Debug, Clone)]
pub struct Audit {
    /// The policy the output was published under.
    pub policy: Policy,
    /// Tables read.
    pub tables: usize,
    /// Cells read.
    pub cells: usize,
    /// Everything found, in table and row order.
    pub findings: Vec<Finding>,
}

impl Audit {
    /// Whether nothing was found.
    pub fn clean(&self) -> bool {
        self.findings.is_empty()
    }

    /// A short account for the terminal: one line, then one per finding.
    pub fn summary(&self) -> String {
        if self.clean() {
            return format!(
                "Disclosure audit ({}): no published cell can be worked out from the outputs ({} cells in {} tables, pages and worksheets checked).",
                self.policy.name(),
                crate::text::thousands(self.cells as u64),
                self.tables
            );
        }
        let mut out = format!(
            "Disclosure audit ({}): {} finding{} in {} tables, pages and worksheets:",
            self.policy.name(),
            self.findings.len(),
            if self.findings.len() == 1 { "" } else { "s" },
            self.tables
        );
        for f in &self.findings {
            out.push_str("\n  ");
            out.push_str(&f.to_string());
        }
        out
    }
}

/// Audit published sheets under `policy`: every check in this module.
pub fn audit(sheets: &[Sheet], policy: Policy) -> Audit {
    let cells = sheets
        .iter()
        .map(|s| s.rows.len() * s.columns().len())
        .sum();
    let mut findings = Vec::new();
    if !policy.publishable() {
        findings.push(Finding {
            kind: Kind::Unprotected,
            table: "evaluation".into(),
            row: 0,
            column: "policy".into(),
            value: None,
            how: "written without disclosure control (policy none): every count is exact; NOT FOR PUBLICATION".into(),
        });
    } else {
        // The checks of words (lists, twins, sentences) need no ranges, so
        // they run on a thread of their own beside the checks of sums.
        let words = std::thread::scope(|scope| {
            let words = scope.spawn(|| {
                let mut found = Vec::new();
                words::lists(sheets, policy, &mut found);
                words::twins(sheets, &mut found);
                words::sentences(sheets, &mut found);
                found
            });
            let mut ranges = sums::narrow(sheets, policy, &mut findings);
            sums::across(sheets, &mut ranges, &mut findings);
            derived::check(sheets, policy, &ranges, &mut findings);
            words.join().expect("the checks of words do not panic")
        });
        findings.extend(words);
    }
    findings.sort_by(|a, b| {
        (&a.table, a.row, &a.column, a.kind).cmp(&(&b.table, b.row, &b.column, b.kind))
    });
    findings.dedup();
    Audit {
        policy,
        tables: sheets.len(),
        cells,
        findings,
    }
}

/// Audit a finished output folder: its policy from `evaluation.json`, its
/// tables, pages, workbook and `results.json` ([`read`]).
pub fn audit_folder(folder: &std::path::Path) -> crate::error::Result<Audit> {
    let policy = read::policy(folder)?;
    audit_written(folder, policy, || read::tables(folder))
}

/// Audit the tables `tables` reads with the pages and the workbook written in
/// `folder`, under `policy` (for `evaluate`, before it writes
/// `evaluation.json`). The three are read side by side, each on a thread.
pub fn audit_written(
    folder: &std::path::Path,
    policy: Policy,
    tables: impl FnOnce() -> crate::error::Result<Vec<Sheet>> + Send,
) -> crate::error::Result<Audit> {
    let (tables, pages, workbook) = std::thread::scope(|scope| {
        let pages = scope.spawn(|| {
            let mut sheets = read::pages(folder)?;
            sheets.extend(read::results(folder)?);
            Ok::<_, crate::error::Error>(sheets)
        });
        let workbook = scope.spawn(|| read::workbook(folder));
        let tables = tables();
        (
            tables,
            pages.join().expect("reading the pages does not panic"),
            workbook
                .join()
                .expect("reading the workbook does not panic"),
        )
    });
    let mut sheets = tables?;
    sheets.extend(pages?);
    sheets.extend(workbook?);
    Ok(audit(&sheets, policy))
}

pub use crate::disclosure::policy::decimals;

#[cfg(test)]
mod tests;
