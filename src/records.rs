//! The tables a run publishes about itself, beside the measures: what
//! ingest read from each input file (`ingest_summary`) and the methods
//! settings (`settings`), so the report's data-quality and methods sentences
//! quote published tables; the report's own sentences (`report_sentences`,
//! built by [`crate::render::report`]) and the data dictionary (written by
//! [`crate::render::tables`]). Declared here, below the renderers, so that
//! [`crate::registry`] can list them and the renderers can read the registry.

use crate::error::Result;
use crate::ingest::{FileReport, IngestReport};
use crate::measures::table::{
    OutTable, Sums, TableBuilder, TableDef, int_label, int_value, text, text_value,
};

/// The table's declaration.
pub const INGEST_SUMMARY: TableDef = TableDef {
    name: "ingest_summary",
    description: "One input file as ingest read it",
    queries: &[],
    columns: &[
        text("file", "Input file name"),
        text("table", "Warehouse table it was read into"),
        int_label("lines_read", "Physical lines read"),
        int_label(
            "records_read",
            "Records read (a quoted value may span lines)",
        ),
        int_label("records_accepted", "Records accepted"),
        int_label(
            "records_quarantined",
            "Records quarantined, with their reasons in the warehouse",
        ),
    ],
    sums: Sums::NONE,
};

/// What ingest read from each input file (lines and records, not people).
pub fn ingest_table(report: &IngestReport) -> Result<OutTable> {
    let mut table = TableBuilder::new(&INGEST_SUMMARY);
    // In a fixed order (files may be read in parallel).
    let mut files: Vec<(String, &FileReport)> = report
        .files
        .iter()
        .map(|f| {
            let name = f
                .path
                .file_name()
                .map_or_else(String::new, |n| n.to_string_lossy().into_owned());
            (name, f)
        })
        .collect();
    files.sort_by(|a, b| (a.1.table, &a.0).cmp(&(b.1.table, &b.0)));
    for (name, f) in files {
        table.push_named(&[
            ("file", text_value(name)),
            ("table", text_value(f.table)),
            ("lines_read", int_value(f.lines_read)),
            ("records_read", int_value(f.rows_read)),
            ("records_accepted", int_value(f.rows_accepted)),
            ("records_quarantined", int_value(f.rows_quarantined)),
        ]);
    }
    table.finish()
}

/// The table's declaration.
pub const SETTINGS: TableDef = TableDef {
    name: "settings",
    description: "One setting of the evaluation's methods",
    queries: &[],
    columns: &[
        text("setting", "A setting of the evaluation's methods"),
        text("value", "Its value, as the methods appendix states it"),
    ],
    sums: Sums::NONE,
};

/// The settings the evaluation ran with, as the methods appendix lists them.
pub fn settings_table(settings: &[(String, String)]) -> Result<OutTable> {
    let mut table = TableBuilder::new(&SETTINGS);
    for (setting, value) in settings {
        table.push_named(&[
            ("setting", text_value(setting.as_str())),
            ("value", text_value(value.as_str())),
        ]);
    }
    table.finish()
}

/// The report's headline and limitation sentences.
pub const REPORT_SENTENCES: TableDef = TableDef {
    name: "report_sentences",
    description: "One sentence of the commissioner report's summary or limitations",
    queries: &[],
    columns: &[
        text("period", "Reporting period"),
        text("section", "headline or limitation"),
        text(
            "message",
            "The sentence, as the commissioner report writes it from the published tables",
        ),
    ],
    sums: Sums::NONE,
};

/// The data dictionary's declaration.
pub const DATA_DICTIONARY: TableDef = TableDef {
    name: "data_dictionary",
    description: "One column of a published table",
    queries: &[],
    columns: &[
        text("table_name", "Output table"),
        text("table_description", "What one row of the table is"),
        text("column_name", "Column"),
        text("column_type", "text, integer or number"),
        text(
            "disclosure",
            "How the column is protected (count, share, share interval, ratio, statistic or label) and the columns it rests on",
        ),
        text("description", "What the column holds"),
    ],
    sums: Sums::NONE,
};

/// The cautions about the health and care system figures, written from the
/// published tables ([`crate::render::cautions`]).
pub const HEALTH_WARNINGS: TableDef = TableDef {
    name: "health_warnings",
    description: "A caution about the health and care system figures",
    queries: &[],
    columns: &[
        text("period", "Reporting period (referral dates)"),
        text("topic", "What the warning is about"),
        text("message", "The warning in plain words"),
    ],
    sums: Sums::NONE,
};
