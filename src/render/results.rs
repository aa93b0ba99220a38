//! `results.json`: an evaluation's headline estimates in a form other
//! evaluations' can be pooled with (`sprout pool`, [`crate::pool`]), written into
//! every evaluation's published output.
//!
//! Every figure in it is a published figure, read from the tables after
//! disclosure control (an estimate any of whose figures is withheld is left
//! out), so the file tells a reader nothing the tables do not; `sprout audit`
//! checks its numbers against the tables as it checks the pages'. The scheme
//! block is what the spec declares (`[scheme]`), quoted as the title is.
//!
//! Estimates (one per row of the published tables named):
//!
//! | quantity | from | interval | n |
//! |---|---|---|---|
//! | `mean_change` | `wellbeing_change`, all people, per score | Student's t on n − 1 | pairs |
//! | `reliably_improved_share` | `wellbeing_change`, all people, per score with a reliable-change rule | Wilson | pairs |
//! | `did` | `health_difference_in_differences`, per pool, window and setting | percentile bootstrap (and its standard error) | matched sets |
//! | `cost_did` | `health_costs`, per pool, window and setting, when costed | percentile bootstrap | matched sets |

use std::collections::BTreeMap;
use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::disclosure::PublishedTable;
use crate::error::{Error, Result};
use crate::render::StampInput;

/// The file's name in an evaluation's output folder.
pub const RESULTS_FILE: &str = "results.json";
/// What the file says it is.
pub const FORMAT: &str = "sprout results";
/// The layout's version: raised whenever a field changes meaning, so that
/// `sprout pool` refuses files it would misread.
pub const SCHEMA_VERSION: u32 = 1;

/// One evaluation's pooled-ready results.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Results {
    /// [`FORMAT`].
    pub format: String,
    /// [`SCHEMA_VERSION`] of the sprout that wrote it.
    pub schema_version: u32,
    /// The sprout that wrote it.
    pub sprout_version: String,
    /// The scheme evaluated, as its spec declares it.
    pub scheme: Scheme,
    /// The reporting period.
    pub period: ResultsPeriod,
    /// The disclosure policy the figures were published under.
    pub policy: String,
    /// SHA-256 of the evaluation spec.
    pub spec_sha256: String,
    /// Each input file with its SHA-256.
    pub inputs: Vec<StampInput>,
    /// The headline estimates, in the tables' order.
    pub estimates: Vec<Estimate>,
}

/// The scheme: the spec's title and `[scheme]`, and the PCNs its published
/// tables break down by.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Scheme {
    /// The evaluation's title.
    pub title: String,
    /// The scheme's own code (`[scheme] code`), naming it in pooled tables.
    pub code: Option<String>,
    /// The ICB's ODS code (`[scheme] icb_code`).
    pub icb_code: Option<String>,
    /// The NHS England region (`[scheme] region`).
    pub region: Option<String>,
    /// Characteristics declared for subgroup comparisons
    /// (`[scheme.characteristics]`, e.g. `referral_mix = "mostly GP"`).
    pub characteristics: BTreeMap<String, String>,
    /// PCN codes of the published breakdowns.
    pub pcn_codes: Vec<String>,
}

/// The reporting period.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResultsPeriod {
    /// Its label (`2024/25`).
    pub label: String,
    /// First day (YYYY-MM-DD).
    pub start: String,
    /// Last day (YYYY-MM-DD).
    pub end: String,
}

/// One headline estimate, as published.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Estimate {
    /// What is estimated: `mean_change`, `reliably_improved_share`, `did`
    /// or `cost_did`.
    pub quantity: String,
    /// Of what: a score (`ons4_anxiety`) or a setting (`gp_appointment`,
    /// `total_cost`).
    pub outcome: String,
    /// The outcome as the tables label it.
    pub outcome_label: String,
    /// How it was estimated: `paired_before_after` or
    /// `matched_difference_in_differences`.
    pub design: String,
    /// Which way is better: `higher` or `lower`.
    pub better: String,
    /// The estimate.
    pub estimate: f64,
    /// Lower 95% limit.
    pub lower: f64,
    /// Upper 95% limit.
    pub upper: f64,
    /// How the interval was made: `t` (Student's t on n − 1 degrees of
    /// freedom), `wilson` or `bootstrap_percentile`.
    pub interval: String,
    /// Its standard error, where the table publishes one.
    pub se: Option<f64>,
    /// The published n: pairs or matched sets (rounded as published).
    pub n: i64,
    /// The settings that produced it, as the table publishes them (cohort;
    /// pool, window and wash-outs).
    pub settings: BTreeMap<String, String>,
    /// The published table it is read from.
    pub table: String,
}

impl Results {
    /// The results of an evaluation published as `tables`, of the scheme
    /// its spec declares (its PCN codes are read from the tables).
    pub fn of(
        tables: &[PublishedTable],
        (scheme, period): (Scheme, ResultsPeriod),
        stamp: &crate::render::Stamp,
    ) -> Results {
        let find = |name: &str| tables.iter().find(|t| t.name() == name);
        let mut estimates = Vec::new();
        if let Some(t) = find("wellbeing_change") {
            estimates.extend(wellbeing(t));
        }
        if let Some(t) = find("health_difference_in_differences") {
            estimates.extend(health(
                t,
                "did",
                ("did", "did_lower", "did_upper"),
                Some("se"),
            ));
        }
        if let Some(t) = find("health_costs") {
            estimates.extend(health(
                t,
                "cost_did",
                ("cost_did", "cost_lower", "cost_upper"),
                None,
            ));
        }
        let mut scheme = scheme;
        if let Some(t) = find("wellbeing_change") {
            let mut codes: Vec<String> = t
                .rows_where(&[("breakdown", "pcn_code")])
                .map(|r| t.text(r, "group").to_string())
                .collect();
            codes.sort();
            codes.dedup();
            scheme.pcn_codes = codes;
        }
        Results {
            format: FORMAT.into(),
            schema_version: SCHEMA_VERSION,
            sprout_version: crate::VERSION.into(),
            scheme,
            period,
            policy: stamp.policy.clone(),
            spec_sha256: stamp.spec_sha256.clone(),
            inputs: stamp.inputs.clone(),
            estimates,
        }
    }

    /// The file's bytes: pretty JSON, a newline at the end.
    pub fn to_json(&self) -> Vec<u8> {
        let mut bytes = serde_json::to_vec_pretty(self).expect("results serialise");
        bytes.push(b'\n');
        bytes
    }

    /// Read the results file at `path`, refusing one sprout did not write
    /// or whose layout this sprout does not read.
    pub fn read(path: &Path) -> Result<Results> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "reading", e))?;
        Results::from_bytes(path, &bytes)
    }

    /// [`Results::read`] of the bytes already read from `path`.
    pub fn from_bytes(path: &Path, bytes: &[u8]) -> Result<Results> {
        let again =
            "give the results.json of an evaluation's output folder (written by `sprout evaluate`)";
        let value: serde_json::Value = serde_json::from_slice(bytes)
            .map_err(|e| Error::input(path, format!("is not JSON ({e})"), again))?;
        if value["format"] != FORMAT {
            return Err(Error::input(path, "is not a sprout results file", again));
        }
        let version = value["schema_version"].as_u64().unwrap_or(0);
        if version != u64::from(SCHEMA_VERSION) {
            return Err(Error::input(
                path,
                format!(
                    "was written by sprout {} in results layout {version}; this sprout reads layout {SCHEMA_VERSION}",
                    value["sprout_version"].as_str().unwrap_or("(unknown)")
                ),
                "run that evaluation again with this sprout, or pool with the sprout version that wrote every file",
            ));
        }
        serde_json::from_value(value).map_err(|e| {
            Error::input(
                path,
                format!("is damaged ({e})"),
                "copy it again from the evaluation's output folder",
            )
        })
    }
}

/// The change in each score for all people, and the share reliably improved
/// where the score has a reliable-change rule.
fn wellbeing(t: &PublishedTable) -> Vec<Estimate> {
    let rules = crate::scoring::Thresholds::builtin();
    let mut out = Vec::new();
    for r in t.rows_where(&[("breakdown", "all"), ("group", "all")]) {
        let score = t.text(r, "score");
        let better = match rules.rule(score) {
            Some(rule) if !rule.higher_is_better => "lower",
            _ => "higher",
        };
        let Some(pairs) = t.number(r, "pairs") else {
            continue;
        };
        let settings = BTreeMap::from([("cohort".to_string(), t.text(r, "cohort").to_string())]);
        for (quantity, columns, interval) in [
            (
                "mean_change",
                ["mean_change", "change_lower", "change_upper"],
                "t",
            ),
            (
                "reliably_improved_share",
                [
                    "reliably_improved_share",
                    "reliably_improved_lower",
                    "reliably_improved_upper",
                ],
                "wilson",
            ),
        ] {
            let [Some(estimate), Some(lower), Some(upper)] = columns.map(|c| t.number(r, c)) else {
                continue;
            };
            out.push(Estimate {
                quantity: quantity.into(),
                outcome: score.into(),
                outcome_label: t.text(r, "score_label").into(),
                design: "paired_before_after".into(),
                // A larger share improved is better whichever way the score runs.
                better: if quantity == "mean_change" {
                    better
                } else {
                    "higher"
                }
                .into(),
                estimate,
                lower,
                upper,
                interval: interval.into(),
                se: None,
                n: pairs as i64,
                settings: settings.clone(),
                table: t.name().into(),
            });
        }
    }
    out
}

/// Each pool, window and setting's difference-in-differences of `table`
/// (`did` or `cost_did`), with its interval and, where published, its
/// standard error.
fn health(
    t: &PublishedTable,
    quantity: &str,
    (estimate, lower, upper): (&str, &str, &str),
    se: Option<&str>,
) -> Vec<Estimate> {
    let mut out = Vec::new();
    for r in 0..t.rows.len() {
        let [Some(value), Some(low), Some(high), Some(sets)] =
            [estimate, lower, upper, "sets"].map(|c| t.number(r, c))
        else {
            continue;
        };
        let mut settings = BTreeMap::new();
        for column in [
            "pool",
            "window_months",
            "washout_days",
            "after_washout_days",
        ] {
            if t.column(column).is_some() {
                settings.insert(column.to_string(), t.cell(r, column).display());
            }
        }
        let setting = t.text(r, "setting");
        let label = if t.column("setting_label").is_some() {
            t.text(r, "setting_label")
        } else {
            setting
        };
        out.push(Estimate {
            quantity: quantity.into(),
            outcome: setting.into(),
            outcome_label: label.into(),
            design: "matched_difference_in_differences".into(),
            better: "lower".into(),
            estimate: value,
            lower: low,
            upper: high,
            interval: "bootstrap_percentile".into(),
            se: se.and_then(|c| t.number(r, c)),
            n: sets as i64,
            settings,
            table: t.name().into(),
        });
    }
    out
}
