//! The evaluation spec: one version-controlled TOML file that says what to
//! read, which period and methods to use, how to protect the outputs and what
//! to write. Paths in it are relative to the spec's own folder.
//!
//! ```toml
//! title = "Meadowbank social prescribing evaluation"
//! period = "2024/25"
//! output = "../out/evaluation"        # the report folder (replaced whole on success)
//! warehouse = "../out/warehouse"      # rebuilt from the inputs on every run
//!
//! [inputs]
//! extracts = ["extract"]              # files or folders, as for `sprout ingest`
//! # or, instead of extracts: query_results = "queries" (a `sprout queries` folder with its results)
//! as_of = "2025-06-30"                # dates after this are impossible (default: today)
//!
//! [disclosure]
//! policy = "nhs_digital"              # or "opensafely", "ons", or "none" (needs --not-for-publication)
//! ```
//!
//! Every other table (`[wellbeing]`, `[health]`, `[benchmark]`, `[outputs]`)
//! is optional, with the same defaults as `sprout measures`.

use std::path::{Path, PathBuf};

use chrono::NaiveDate;
use serde::Deserialize;

use crate::disclosure::Policy;
use crate::error::{Error, Result};
use crate::export::OutputFormat;
use crate::measures::benchmark::{Adjustment, BenchmarkOptions};
use crate::measures::health::HealthOptions;
use crate::measures::health::costs::UnitCosts;
use crate::measures::health::matching::{MatchOn, MatchUnit};
use crate::measures::health::usage::PartialBefore;
use crate::measures::period::OutcomeCohort;
use crate::measures::standardised::StandardisationOptions;
use crate::measures::standardised::reference::ReferenceRates;
use crate::measures::wellbeing::PairingRules;

/// The whole spec file.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Spec {
    /// Report title.
    pub title: String,
    /// Reporting period, as for `sprout measures --period`.
    pub period: String,
    /// The output folder.
    #[serde(default = "default_output")]
    pub output: PathBuf,
    /// The warehouse folder (default: `warehouse` beside the output folder).
    pub warehouse: Option<PathBuf>,
    /// What to read.
    pub inputs: Inputs,
    /// Pairing of wellbeing assessments.
    #[serde(default)]
    pub wellbeing: Wellbeing,
    /// The health and care system comparison.
    #[serde(default)]
    pub health: Health,
    /// Funnel plots and SPC charts.
    #[serde(default)]
    pub benchmark: Benchmark,
    /// Disclosure control.
    #[serde(default)]
    pub disclosure: Disclosure,
    /// What to write.
    #[serde(default)]
    pub outputs: Outputs,
    /// Where the measure queries run.
    #[serde(default)]
    pub engine: EngineSpec,
    /// The scheme, as `results.json` names it for pooling.
    #[serde(default)]
    pub scheme: SchemeSpec,
}

/// `[scheme]`: how `results.json` names the scheme, for `sprout pool`'s
/// tables and subgroup comparisons. All optional.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SchemeSpec {
    /// The scheme's own short code (default: the spec file's name).
    pub code: Option<String>,
    /// The ICB's ODS code.
    pub icb_code: Option<String>,
    /// The NHS England region.
    pub region: Option<String>,
    /// Characteristics to compare subgroups by (`referral_mix = "mostly GP"`).
    #[serde(default)]
    pub characteristics: std::collections::BTreeMap<String, String>,
}

/// `[engine]`: where the measure queries run (the command line's
/// `--cluster` and `--cluster-verify` take precedence).
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineSpec {
    /// A Ballista scheduler, `df://HOST:PORT`, or `standalone[:EXECUTORS]`.
    pub cluster: Option<crate::engine::cluster::Place>,
    /// Run every measure query on this machine too and compare.
    #[serde(default)]
    pub verify: bool,
    /// Partitions of each query on the cluster (default: the executors' total vcores).
    pub partitions: Option<std::num::NonZeroUsize>,
    /// Ballista's adaptive planning (default off, as `--adaptive-planning`).
    #[serde(default)]
    pub adaptive_planning: bool,
}

fn default_output() -> PathBuf {
    PathBuf::from("evaluation")
}

/// `[inputs]`: the extracts and lookups, as for `sprout ingest`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Inputs {
    /// Extract files or folders.
    #[serde(default)]
    pub extracts: Vec<PathBuf>,
    /// Instead of extracts: a folder written by `sprout queries` holding each
    /// measure query's result, computed elsewhere (no warehouse is built).
    pub query_results: Option<PathBuf>,
    /// A mapping file for every extract.
    pub mapping: Option<PathBuf>,
    /// The official IMD file.
    pub imd: Option<PathBuf>,
    /// The same release's population file.
    pub area_population: Option<PathBuf>,
    /// The ODS GP practices file (`epraccur`), for practice names.
    pub ods_practices: Option<PathBuf>,
    /// The ODS PCN membership file (`epcncorepartnerdetails` or `ePCN.xlsx`), for PCN names.
    pub ods_pcns: Option<PathBuf>,
    /// The ONS personal well-being estimates, for local ONS4 means.
    pub wellbeing_estimates: Option<PathBuf>,
    /// NHS England's practice list sizes (`gp-reg-pat-prac-all.csv`), the
    /// denominators of referral rates when no population extract is given.
    pub list_sizes: Option<PathBuf>,
    /// The pseudonymisation key file (else `SPROUT_PSEUDONYM_KEY`).
    pub key_file: Option<PathBuf>,
    /// Dates after this day are impossible (YYYY-MM-DD; default today).
    pub as_of: Option<String>,
}

impl Inputs {
    /// Extracts or query results, not both; with query results, nothing
    /// that only ingest reads.
    fn check(&self, path: &Path) -> Result<()> {
        if self.query_results.is_none() {
            return Ok(());
        }
        let ingest_only = [
            ("extracts", !self.extracts.is_empty()),
            ("mapping", self.mapping.is_some()),
            ("imd", self.imd.is_some()),
            ("area_population", self.area_population.is_some()),
            ("ods_practices", self.ods_practices.is_some()),
            ("ods_pcns", self.ods_pcns.is_some()),
            ("wellbeing_estimates", self.wellbeing_estimates.is_some()),
            ("list_sizes", self.list_sizes.is_some()),
            ("key_file", self.key_file.is_some()),
            ("as_of", self.as_of.is_some()),
        ];
        let given: Vec<&str> = ingest_only
            .iter()
            .filter(|(_, set)| *set)
            .map(|(name, _)| *name)
            .collect();
        if given.is_empty() {
            return Ok(());
        }
        Err(Error::config(
            path,
            format!(
                "[inputs] has query_results and {}: with query results nothing is ingested (the queries ran where the data is), so remove {} or query_results",
                given.join(", "),
                if given.len() == 1 { "it" } else { "them" }
            ),
        ))
    }
}

/// `[wellbeing]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Wellbeing {
    /// Baseline up to this many days before the start of support.
    pub baseline_before_days: i64,
    /// Baseline up to this many days after it.
    pub baseline_after_days: i64,
    /// Follow-up at least this many days after the baseline.
    pub min_follow_up_days: i64,
    /// Follow-up at most this many days after closure.
    pub follow_up_after_closure_days: i64,
    /// Fewer pairs than this: intervals and tests withheld.
    pub min_pairs: usize,
    /// `closed` or `received`.
    pub outcome_cohort: OutcomeCohort,
    /// The local authority (ONS code, e.g. E08000026) whose ONS4 means are
    /// shown beside the cohort's, with England's, when `[inputs]
    /// wellbeing_estimates` is given.
    pub local_authority: Option<String>,
}

impl Default for Wellbeing {
    fn default() -> Self {
        let rules = PairingRules::default();
        Wellbeing {
            baseline_before_days: rules.baseline_before_days,
            baseline_after_days: rules.baseline_after_days,
            min_follow_up_days: rules.min_follow_up_days,
            follow_up_after_closure_days: rules.follow_up_after_closure_days,
            min_pairs: rules.min_pairs,
            outcome_cohort: rules.cohort,
            local_authority: None,
        }
    }
}

/// `[health]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Health {
    /// Window lengths in months.
    pub windows: Vec<i32>,
    /// `adjust` or `exclude`.
    pub partial_before: PartialBefore,
    /// Minimum share of a window observed.
    pub min_window_coverage: f64,
    /// Comparators per case.
    pub comparators: usize,
    /// `practice` or `pcn`.
    pub match_unit: MatchUnit,
    /// `band` or `trajectory`.
    pub match_on: MatchOn,
    /// Days before referral left out of the comparison's before window, or
    /// `"auto"` (chosen from the data).
    pub washout_days: crate::measures::health::washout::Setting,
    /// Days after referral left out of the comparison's after window, or
    /// `"auto"` (chosen from the data).
    pub after_washout_days: crate::measures::health::washout::Setting,
    /// Bootstrap resamples.
    pub bootstrap: usize,
    /// Seed of matching and bootstrap.
    pub seed: u64,
    /// Unit-cost file.
    pub unit_costs: Option<PathBuf>,
}

impl Default for Health {
    fn default() -> Self {
        let o = HealthOptions::default();
        Health {
            windows: o.windows_months,
            partial_before: o.partial_before,
            min_window_coverage: o.min_coverage,
            comparators: o.k,
            match_unit: o.unit,
            match_on: o.match_on,
            washout_days: o.washout_days,
            after_washout_days: o.after_washout_days,
            bootstrap: o.bootstrap,
            seed: o.seed,
            unit_costs: None,
        }
    }
}

/// `[benchmark]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Benchmark {
    /// `auto`, `none`, `multiplicative` or `additive`.
    pub funnel_adjustment: Adjustment,
    /// Months to rebase the SPC charts at (YYYY-MM-DD).
    pub spc_rebase: Vec<String>,
    /// Target share declined.
    pub declined_target: Option<f64>,
    /// Screen large moving ranges out of the SPC limits (default true).
    pub spc_screen: bool,
    /// Fix the SPC limits from the first N months.
    pub spc_baseline_months: Option<usize>,
    /// Standardised referral ratios by IMD quintile as well as age band and sex.
    pub standardise_by_deprivation: bool,
    /// A reference population's rates for the standardised referral ratios
    /// (CSV), relative to the spec.
    pub reference_rates: Option<PathBuf>,
    /// A PCN (or practice) code to mark in every funnel and benchmarking table.
    pub highlight: Option<String>,
}

impl Default for Benchmark {
    fn default() -> Self {
        Benchmark {
            funnel_adjustment: Adjustment::default(),
            spc_rebase: Vec::new(),
            declined_target: None,
            spc_screen: BenchmarkOptions::default().spc_screen,
            spc_baseline_months: None,
            standardise_by_deprivation: false,
            reference_rates: None,
            highlight: None,
        }
    }
}

/// `[disclosure]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Disclosure {
    /// The policy.
    pub policy: Policy,
}

impl Default for Disclosure {
    fn default() -> Self {
        Disclosure {
            policy: Policy::NhsDigital,
        }
    }
}

/// `[outputs]`.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Outputs {
    /// Write the commissioner report (`report.html`).
    pub commissioner_report: bool,
    /// Write the PCN benchmarking report (`benchmarking.html`).
    pub benchmarking_report: bool,
    /// Write the research workbook (`workbook.xlsx`).
    pub workbook: bool,
    /// Table formats in `tables/`: any of `csv`, `parquet`, `json`.
    pub tables: Vec<OutputFormat>,
    /// A folder of templates that replace the shipped ones of the same name.
    pub templates: Option<PathBuf>,
}

impl Default for Outputs {
    fn default() -> Self {
        Outputs {
            commissioner_report: true,
            benchmarking_report: true,
            workbook: true,
            tables: vec![OutputFormat::Csv, OutputFormat::Parquet, OutputFormat::Json],
            templates: None,
        }
    }
}

/// A choice as the spec and the command line write it (`closed`, `pcn`, …).
fn name(choice: impl clap::ValueEnum) -> String {
    choice
        .to_possible_value()
        .map(|v| v.get_name().to_string())
        .unwrap_or_default()
}

fn day(path: &Path, key: &str, value: &str) -> Result<NaiveDate> {
    NaiveDate::parse_from_str(value, "%Y-%m-%d").map_err(|_| {
        Error::config(
            path,
            format!("{key} = \"{value}\" is not a date YYYY-MM-DD"),
        )
    })
}

impl Spec {
    /// `[benchmark] highlight`, checked: an ODS code (letters and digits).
    pub fn highlight(&self, path: &Path) -> Result<Option<&str>> {
        match self.benchmark.highlight.as_deref() {
            Some(code)
                if code.is_empty()
                    || code.len() > 8
                    || !code
                        .chars()
                        .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit()) =>
            {
                Err(Error::config(
                    path,
                    format!(
                        "[benchmark] highlight: '{code}' is not a PCN or practice code; write the code as the tables show it, e.g. highlight = \"U12345\""
                    ),
                ))
            }
            other => Ok(other),
        }
    }

    /// How the queries run: `engine` from the command line, on the spec's
    /// cluster when the command line names none.
    pub fn engine(&self, engine: &crate::engine::Engine) -> crate::engine::Engine {
        let mut engine = engine.clone();
        if engine.cluster.is_none()
            && let Some(place) = &self.engine.cluster
        {
            engine.cluster = Some(crate::engine::cluster::Cluster {
                place: place.clone(),
                adaptive_planning: self.engine.adaptive_planning,
                verify: self.engine.verify,
                partitions: self.engine.partitions.map(std::num::NonZeroUsize::get),
            });
        }
        engine
    }

    /// `[wellbeing] local_authority`, checked.
    pub fn local_authority(&self, path: &Path) -> Result<Option<String>> {
        self.wellbeing
            .local_authority
            .as_deref()
            .map(|code| {
                crate::measures::context::area_code(code).map_err(|why| {
                    Error::config(path, format!("[wellbeing] local_authority: {why}"))
                })
            })
            .transpose()
    }

    /// Parse a spec's text; errors name the file, line and column.
    pub fn parse(text: &str, path: &Path) -> Result<Spec> {
        let spec: Spec = toml::from_str(text).map_err(|e| {
            let at = e
                .span()
                .map(|s| {
                    let line = text[..s.start].matches('\n').count() + 1;
                    let column = s.start - text[..s.start].rfind('\n').map_or(0, |i| i + 1) + 1;
                    format!("line {line}, column {column}: ")
                })
                .unwrap_or_default();
            Error::config(path, format!("{at}{}", e.message()))
        })?;
        spec.inputs.check(path)?;
        Ok(spec)
    }

    /// The pairing rules.
    pub fn pairing(&self) -> PairingRules {
        let w = &self.wellbeing;
        PairingRules {
            baseline_before_days: w.baseline_before_days,
            baseline_after_days: w.baseline_after_days,
            min_follow_up_days: w.min_follow_up_days,
            follow_up_after_closure_days: w.follow_up_after_closure_days,
            min_pairs: w.min_pairs,
            cohort: w.outcome_cohort,
        }
    }

    /// The health options, unit costs read relative to `base`.
    pub fn health(&self, path: &Path, base: &Path) -> Result<HealthOptions> {
        let h = &self.health;
        HealthOptions {
            windows_months: h.windows.clone(),
            partial_before: h.partial_before,
            min_coverage: h.min_window_coverage,
            k: h.comparators,
            unit: h.match_unit,
            match_on: h.match_on,
            washout_days: h.washout_days,
            after_washout_days: h.after_washout_days,
            bootstrap: h.bootstrap,
            seed: h.seed,
            unit_costs: h
                .unit_costs
                .as_ref()
                .map(|p| UnitCosts::read(&base.join(p)))
                .transpose()?,
        }
        .checked()
        .map_err(|e| Error::config(path, format!("[health]: {e}")))
    }

    /// The benchmarking options (`base`: the spec's folder, which the
    /// reference-rates file is relative to).
    pub fn benchmark(&self, path: &Path, base: &Path) -> Result<BenchmarkOptions> {
        let b = &self.benchmark;
        Ok(BenchmarkOptions {
            adjustment: b.funnel_adjustment,
            rebase: b
                .spc_rebase
                .iter()
                .map(|d| day(path, "benchmark.spc_rebase", d))
                .collect::<Result<_>>()?,
            declined_target: b.declined_target,
            spc_screen: b.spc_screen,
            spc_baseline_months: b.spc_baseline_months,
            standardisation: StandardisationOptions {
                by_deprivation: b.standardise_by_deprivation,
                reference: b
                    .reference_rates
                    .as_ref()
                    .map(|p| ReferenceRates::read(&base.join(p), &p.display().to_string()))
                    .transpose()?,
            },
        })
    }

    /// The `as_of` day, if given.
    pub fn as_of(&self, path: &Path) -> Result<Option<NaiveDate>> {
        self.inputs
            .as_of
            .as_deref()
            .map(|d| day(path, "inputs.as_of", d))
            .transpose()
    }

    /// The settings a reader of the methods needs, as (setting, value) pairs.
    pub fn settings(&self) -> Vec<(String, String)> {
        let w = &self.wellbeing;
        let h = &self.health;
        let b = &self.benchmark;
        let pairs: Vec<(&str, String)> = vec![
            ("Period", self.period.clone()),
            (
                "Outcome cohort",
                format!(
                    "accepted referrals {} in the period",
                    name(w.outcome_cohort)
                ),
            ),
            (
                "Baseline window",
                format!(
                    "{} days before to {} days after the start of support",
                    w.baseline_before_days, w.baseline_after_days
                ),
            ),
            (
                "Follow-up",
                format!(
                    "at least {} days after the baseline, at most {} days after closure",
                    w.min_follow_up_days, w.follow_up_after_closure_days
                ),
            ),
            (
                "Smallest group with intervals",
                format!("{} pairs", w.min_pairs),
            ),
            (
                "Health windows",
                h.windows
                    .iter()
                    .map(|m| format!("{m} months"))
                    .collect::<Vec<_>>()
                    .join(", "),
            ),
            ("Partly observed before windows", name(h.partial_before)),
            (
                "Minimum window coverage",
                format!("{}", h.min_window_coverage),
            ),
            ("Comparators per referred person", h.comparators.to_string()),
            ("Matched within", name(h.match_unit)),
            (
                "Matched on",
                match h.match_on {
                    MatchOn::Band => "GP use just before referral (banded)".to_string(),
                    MatchOn::Trajectory => "GP use just before referral (banded) and its direction over the year before".to_string(),
                },
            ),
            (
                "Washout before referral",
                match h.washout_days {
                    crate::measures::health::washout::Setting::Days(days) => format!("{days} days"),
                    crate::measures::health::washout::Setting::Auto => format!(
                        "chosen from the data: where referred people's GP use starts to leave their comparators', at least {} days (health_washout)",
                        crate::measures::health::washout::FLOOR_DAYS
                    ),
                },
            ),
            (
                "Washout after referral",
                match h.after_washout_days {
                    crate::measures::health::washout::Setting::Days(days) => format!("{days} days"),
                    crate::measures::health::washout::Setting::Auto => "chosen from the data: how long referred people's GP use stays above its later level against their comparators' (health_washout)".to_string(),
                },
            ),
            (
                "Bootstrap",
                format!("{} resamples, seed {}", h.bootstrap, h.seed),
            ),
            (
                "Funnel overdispersion adjustment",
                name(b.funnel_adjustment),
            ),
            (
                "SPC limits",
                format!(
                    "{}, {}",
                    match b.spc_baseline_months {
                        Some(n) => format!("fixed from the first {n} months"),
                        None => "from every month".to_string(),
                    },
                    if b.spc_screen {
                        "moving ranges above 3.267 × their mean screened out (Making Data Count)"
                    } else {
                        "every moving range (not screened)"
                    }
                ),
            ),
            (
                "Standardised referral ratios",
                format!(
                    "strata by {}; reference rates {}",
                    if b.standardise_by_deprivation {
                        "age band, sex and IMD quintile"
                    } else {
                        "age band and sex"
                    },
                    match &b.reference_rates {
                        Some(p) => format!("from {}", p.display()),
                        None => "the scheme's own".to_string(),
                    }
                ),
            ),
            (
                "Disclosure control",
                self.disclosure.policy.name().to_string(),
            ),
        ];
        pairs.into_iter().map(|(k, v)| (k.to_string(), v)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn minimal_spec_takes_the_defaults() {
        let spec = Spec::parse(
            "title = \"T\"\nperiod = \"2024/25\"\n[inputs]\nextracts = [\"x\"]\n",
            Path::new("s.toml"),
        )
        .expect("parses");
        assert_eq!(spec.disclosure.policy, Policy::NhsDigital);
        assert_eq!(spec.health.windows, vec![6, 12]);
        assert!(
            spec.benchmark(Path::new("s.toml"), Path::new("."))
                .unwrap()
                .spc_screen
        );
        let off = Spec::parse(
            "title = \"T\"\nperiod = \"2024/25\"\n[inputs]\nextracts = [\"x\"]\n[benchmark]\nspc_screen = false\n",
            Path::new("s.toml"),
        )
        .expect("parses");
        assert!(
            !off.benchmark(Path::new("s.toml"), Path::new("."))
                .unwrap()
                .spc_screen
        );
        assert!(spec.outputs.workbook);
        assert_eq!(spec.output, PathBuf::from("evaluation"));
    }

    #[test]
    fn the_washout_is_a_number_of_days_or_auto() {
        use crate::measures::health::washout::Setting;
        let parse = |value: &str| {
            Spec::parse(
                &format!(
                    "title = \"T\"\nperiod = \"2024/25\"\n[inputs]\nextracts = [\"x\"]\n[health]\nwashout_days = {value}\n"
                ),
                Path::new("s.toml"),
            )
        };
        assert_eq!(
            parse("\"auto\"").unwrap().health.washout_days,
            Setting::Auto
        );
        assert_eq!(
            parse("120").unwrap().health.washout_days,
            Setting::Days(120)
        );
        let wrong = parse("\"soon\"").unwrap_err().to_string();
        assert!(
            wrong.contains("neither a number of days nor auto"),
            "{wrong}"
        );
    }

    #[test]
    fn the_washout_after_referral_and_what_is_matched_on_are_read_from_the_health_table() {
        use crate::measures::health::washout::Setting;
        let spec = Spec::parse(
            "title = \"T\"\nperiod = \"2024/25\"\n[inputs]\nextracts = [\"x\"]\n[health]\nafter_washout_days = 0\nmatch_on = \"trajectory\"\n",
            Path::new("s.toml"),
        )
        .unwrap();
        let options = spec.health(Path::new("s.toml"), Path::new(".")).unwrap();
        assert_eq!(options.after_washout_days, Setting::Days(0));
        assert_eq!(options.match_on, MatchOn::Trajectory);
        let default = Spec::parse(
            "title = \"T\"\nperiod = \"2024/25\"\n[inputs]\nextracts = [\"x\"]\n",
            Path::new("s.toml"),
        )
        .unwrap();
        assert_eq!(default.health.after_washout_days, Setting::Auto);
        assert_eq!(default.health.match_on, MatchOn::Band);
        let wrong = Spec::parse(
            "title = \"T\"\nperiod = \"2024/25\"\n[inputs]\nextracts = [\"x\"]\n[health]\nmatch_on = \"curve\"\n",
            Path::new("s.toml"),
        )
        .unwrap_err()
        .to_string();
        assert!(wrong.contains("expected `band` or `trajectory`"), "{wrong}");
    }

    #[test]
    fn reference_rates_are_read_relative_to_the_spec_and_named_as_written() {
        let folder = tempfile::tempdir().unwrap();
        std::fs::write(
            folder.path().join("england.csv"),
            "age_band,sex,referrals,population\n18-24,female,25,1000\n",
        )
        .unwrap();
        let spec = Spec::parse(
            "title = \"T\"\nperiod = \"2024/25\"\n[inputs]\nextracts = [\"x\"]\n[benchmark]\nstandardise_by_deprivation = true\nreference_rates = \"england.csv\"\n",
            Path::new("s.toml"),
        )
        .expect("parses");
        let b = spec.benchmark(Path::new("s.toml"), folder.path()).unwrap();
        assert!(b.standardisation.by_deprivation);
        let rates = b.standardisation.reference.unwrap();
        assert!(
            rates.source.starts_with("england.csv (sha256 "),
            "{}",
            rates.source
        );
        let settings = spec.settings();
        let row = settings
            .iter()
            .find(|(k, _)| k == "Standardised referral ratios")
            .unwrap();
        assert_eq!(
            row.1,
            "strata by age band, sex and IMD quintile; reference rates from england.csv"
        );
        let missing = spec.benchmark(Path::new("s.toml"), Path::new("/nonexistent"));
        assert!(missing.is_err());
    }

    #[test]
    fn errors_name_the_line_and_the_choices() {
        let e = Spec::parse(
            "title = \"T\"\nperiod = \"2024/25\"\ncolour = 1\n[inputs]\nextracts = []\n",
            Path::new("s.toml"),
        )
        .expect_err("unknown key");
        let text = e.to_string();
        assert!(text.contains("s.toml") && text.contains("line 3"), "{text}");
        let e = Spec::parse(
            "title = \"T\"\nperiod = \"P\"\n[inputs]\nextracts = []\n[health]\nmatch_unit = \"ward\"\n",
            Path::new("s.toml"),
        )
        .expect_err("bad unit");
        let text = e.to_string();
        assert!(
            text.contains("line 6") && text.contains("`practice`") && text.contains("`pcn`"),
            "{text}"
        );
        let e = Spec::parse(
            "title = \"T\"\nperiod = \"P\"\n[inputs]\nextracts = []\n[outputs]\ntables = [\"csv\", \"xlsx\"]\n",
            Path::new("s.toml"),
        )
        .expect_err("no such table format");
        let text = e.to_string();
        assert!(
            text.contains("line 6") && text.contains("`xlsx`") && text.contains("`parquet`"),
            "{text}"
        );
        let e = Spec::parse(
            "title = \"T\"\nperiod = \"P\"\n[inputs]\nextracts = []\n[disclosure]\npolicy = \"lax\"\n",
            Path::new("s.toml"),
        )
        .expect_err("bad policy");
        assert!(e.to_string().contains("line 6"), "{e}");
    }
}
