//! Render: what people see, drawn from published (disclosure-controlled) tables.
//!
//! - [`charts`]: every chart, as SVG from plain series (funnel plots, SPC
//!   charts, the reports' bar, line and interval figures); [`plots`]: the
//!   benchmarking results as those series.
//! - [`tables`]: every table as CSV, Parquet and JSON with a data dictionary.
//! - [`workbook`]: one Excel workbook, a sheet per table, with native charts.
//! - [`report`]: the commissioner and PCN benchmarking reports (HTML from the
//!   minijinja templates in `reports/`).
//! - [`results`]: `results.json`, the headline estimates in a form other
//!   schemes' can be pooled with (`sprout pool`).
//!
//! Every output carries a [`Stamp`]: the spec's hash, each input's SHA-256, the
//! sprout version, the run time and the disclosure policy.

pub mod cautions;
pub mod charts;
pub mod plots;
pub mod report;
pub mod results;
pub mod tables;
pub mod workbook;

use serde::Serialize;

/// What every output says about where it came from.
#[derive(Debug, Clone, Serialize)]
pub struct Stamp {
    /// Evaluation title.
    pub title: String,
    /// Reporting period label.
    pub period: String,
    /// SHA-256 of the evaluation spec file's bytes.
    pub spec_sha256: String,
    /// The spec file as given.
    pub spec_file: String,
    /// sprout version.
    pub sprout_version: String,
    /// Run time, UTC (from `SOURCE_DATE_EPOCH` when set), `YYYY-MM-DD HH:MM:SS UTC`.
    pub generated_at: String,
    /// Run time as seconds since 1970.
    pub generated_epoch: i64,
    /// Disclosure policy name.
    pub policy: String,
    /// What the policy does.
    pub policy_description: String,
    /// True when outputs are not disclosure-controlled.
    pub not_for_publication: bool,
    /// Each input file with its table and SHA-256.
    pub inputs: Vec<StampInput>,
}

/// The run time: `SOURCE_DATE_EPOCH` when set (reproducible builds), else now.
pub fn run_time() -> crate::error::Result<i64> {
    match std::env::var("SOURCE_DATE_EPOCH") {
        Ok(v) => v.trim().parse::<i64>().map_err(|_| {
            crate::error::Error::Usage(format!(
                "SOURCE_DATE_EPOCH is '{v}', not whole seconds since 1970; unset it or give e.g. 1735689600"
            ))
        }),
        Err(_) => Ok(std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs() as i64)),
    }
}

/// One input file of an evaluation.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
pub struct StampInput {
    /// File name as given.
    pub file: String,
    /// Canonical table.
    pub table: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
}

impl Stamp {
    /// One line for footers: version, spec hash, time and policy.
    pub fn line(&self) -> String {
        format!(
            "sprout {} · spec sha256 {} · generated {} · disclosure control: {}{}",
            self.sprout_version,
            &self.spec_sha256,
            self.generated_at,
            self.policy,
            if self.not_for_publication {
                " · NOT FOR PUBLICATION"
            } else {
                ""
            }
        )
    }
}
