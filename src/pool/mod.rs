//! Pooling published evaluations across schemes (`sprout pool`): each
//! evaluation's `results.json` ([`crate::render::results`]) carries its disclosure-safe
//! headline estimates; comparable estimates from many schemes ([`group`])
//! are combined by random-effects meta-analysis ([`crate::stats::meta`]):
//! REML τ² and Hartung–Knapp–Sidik–Jonkman intervals by default, with the
//! fixed effect, the Wald interval, I², the prediction interval and Egger's
//! test beside them, a leave-one-out table and subgroup comparisons by the
//! schemes' declared characteristics ([`tables`]).
//!
//! Nothing but published figures is read, so pooling needs no data-sharing
//! agreement beyond the one each evaluation was published under.

pub mod group;
pub mod render;
pub mod tables;

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::console::Console;
use crate::error::{Error, Result};
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made, StagedDir, check_apart, check_replaceable};
use crate::measures::table::{OutTable, TableBuilder, int_value, num_value, opt_num, text_value};
use crate::render::results::{self, RESULTS_FILE, Results};
use crate::stats::meta::{self, MetaAnalysis, Study, Tau2Method};
use group::Member;

pub use crate::folder::POOLED_MANIFEST;

/// The title of the pooled page and workbook.
pub const TITLE: &str = "Social prescribing evaluations pooled";

/// The reporting periods of `sources`, each once, in order: "2023/24, 2024/25".
pub fn periods(sources: &[Source]) -> String {
    let mut periods: Vec<&str> = sources
        .iter()
        .map(|s| s.results.period.label.as_str())
        .collect();
    periods.sort_unstable();
    periods.dedup();
    periods.join(", ")
}

/// Which random-effects interval is the headline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalMethod {
    /// The modified Hartung–Knapp–Sidik–Jonkman interval (t on k − 1, never
    /// narrower than Wald's error): keeps its coverage with few schemes.
    Hksj,
    /// Wald (z): too narrow with few schemes.
    Wald,
}

impl IntervalMethod {
    /// As the tables name it.
    pub fn label(self) -> &'static str {
        match self {
            IntervalMethod::Hksj => {
                "modified Hartung-Knapp-Sidik-Jonkman (t on schemes - 1, error at least Wald's)"
            }
            IntervalMethod::Wald => "Wald (z)",
        }
    }

    /// Its limits and p-value in `m`.
    fn of(self, m: &MetaAnalysis) -> meta::Summary {
        match self {
            IntervalMethod::Hksj => m.hksj_modified,
            IntervalMethod::Wald => m.random,
        }
    }

    /// The prediction interval that goes beside it (never the narrower).
    fn prediction(self, m: &MetaAnalysis) -> Option<(f64, f64)> {
        match self {
            IntervalMethod::Hksj => m.prediction_modified,
            IntervalMethod::Wald => m.prediction,
        }
    }
}

/// What to pool and where to write it.
#[derive(Debug, Clone)]
pub struct PoolOptions {
    /// Results files, or folders holding them (searched below).
    pub inputs: Vec<PathBuf>,
    /// The output folder.
    pub out: PathBuf,
    /// How τ² is estimated.
    pub tau2: Tau2Method,
    /// The headline interval.
    pub interval: IntervalMethod,
}

/// One results file read.
#[derive(Debug, Clone)]
pub struct Source {
    /// The file, as found from the paths given.
    pub file: String,
    /// SHA-256 of its bytes.
    pub sha256: String,
    /// What it holds.
    pub results: Results,
}

impl Source {
    /// The scheme's name in the tables: its code, else its title.
    pub fn scheme(&self) -> &str {
        self.results
            .scheme
            .code
            .as_deref()
            .unwrap_or(&self.results.scheme.title)
    }
}

/// What a pooling run wrote.
#[derive(Debug)]
pub struct PoolReport {
    /// Results files pooled.
    pub sources: Vec<Source>,
    /// The tables written.
    pub tables: Vec<OutTable>,
    /// Files written in the output folder.
    pub files: Vec<String>,
}

/// Every results file among `inputs`: a file as given, or each
/// `results.json` at or below a folder (sorted by path).
pub fn find_results(inputs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "listing", e))?;
        let mut paths: Vec<PathBuf> = entries
            .map(|e| {
                e.map(|e| e.path())
                    .map_err(|e| Error::io(dir, "listing", e))
            })
            .collect::<Result<_>>()?;
        paths.sort();
        for path in paths {
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.file_name().is_some_and(|n| n == RESULTS_FILE) {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for input in inputs {
        if input.is_dir() {
            let before = files.len();
            walk(input, &mut files)?;
            if files.len() == before {
                return Err(Error::input(
                    input,
                    format!("holds no {RESULTS_FILE}"),
                    "give evaluations' output folders (each holds the results.json `sprout evaluate` writes) or the files themselves",
                ));
            }
        } else {
            files.push(input.clone());
        }
    }
    Ok(files)
}

/// Read every results file, refusing one read twice (the same bytes, or
/// the same scheme's evaluation of the same period), since a scheme counted
/// twice would weigh twice.
pub fn read_sources(files: &[PathBuf]) -> Result<Vec<Source>> {
    let mut sources: Vec<Source> = Vec::new();
    for path in files {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "reading", e))?;
        let results = Results::from_bytes(path, &bytes)?;
        let source = Source {
            file: path.display().to_string(),
            sha256: crate::ingest::sha256_hex(&bytes),
            results,
        };
        if let Some(twin) = sources.iter().find(|s| {
            s.sha256 == source.sha256
                || (s.scheme() == source.scheme() && s.results.period == source.results.period)
        }) {
            return Err(Error::input(
                path,
                format!(
                    "is the same evaluation as {} (scheme {}, period {}): a scheme counted twice would weigh twice",
                    twin.file,
                    source.scheme(),
                    source.results.period.label
                ),
                "give each scheme's evaluation once (schemes are told apart by [scheme] code in their specs)",
            ));
        }
        sources.push(source);
    }
    if sources.len() < 2 {
        return Err(Error::Usage(format!(
            "{} results file(s) found: pooling needs evaluations of at least two schemes",
            sources.len()
        )));
    }
    Ok(sources)
}

/// Pool `sources`: one row per group of comparable estimates, each
/// scheme's estimate, the leave-one-out and subgroup tables, in that order.
pub fn pool(sources: &[Source], options: &PoolOptions) -> Result<Vec<OutTable>> {
    let all: Vec<&Results> = sources.iter().map(|s| &s.results).collect();
    let (groups, notes) = group::groups(&all);
    let mut estimates = TableBuilder::new(&tables::POOLED_ESTIMATES);
    let mut studies = TableBuilder::new(&tables::POOLED_STUDIES);
    let mut leave_one_out = TableBuilder::new(&tables::POOLED_LEAVE_ONE_OUT);
    let mut subgroups = TableBuilder::new(&tables::POOLED_SUBGROUPS);
    for (number, g) in groups.iter().enumerate() {
        let number = number + 1;
        let pooled: Vec<&Member> = g.members.iter().filter(|m| m.se.is_some()).collect();
        let points: Vec<Study> = pooled.iter().filter_map(|m| m.study()).collect();
        let analysis = meta::meta_analysis(&points, options.tau2).ok();
        let mut note: Vec<String> = notes
            .iter()
            .filter(|(key, _)| key == &g.key)
            .map(|(_, n)| n.clone())
            .collect();
        let unpooled = g.members.len() - pooled.len();
        if unpooled > 0 {
            note.push(format!(
                "{unpooled} scheme(s) left out: the published interval has no width, so no standard error"
            ));
        }
        if analysis.is_none() {
            note.push(format!(
                "not pooled: {} scheme(s) with this estimate and a standard error, and pooling needs two",
                pooled.len()
            ));
        }
        let headline = analysis.as_ref().map(|m| options.interval.of(m));
        let sources_text = pooled
            .iter()
            .map(|m| format!("{} ({})", sources[m.source].file, sources[m.source].sha256))
            .collect::<Vec<_>>()
            .join("; ");
        let n_total: i64 = pooled.iter().map(|m| m.estimate.n).sum();
        let first = &g.members[0].estimate;
        let a = analysis.as_ref();
        estimates.push_named(&[
            ("group", int_value(number as i64)),
            ("quantity", text_value(g.key.quantity.as_str())),
            ("outcome", text_value(g.key.outcome.as_str())),
            ("outcome_label", text_value(first.outcome_label.as_str())),
            ("design", text_value(g.key.design.as_str())),
            ("better", text_value(g.key.better.as_str())),
            ("settings", text_value(g.key.settings_text())),
            ("schemes", int_value(g.members.len() as i64)),
            ("schemes_pooled", int_value(pooled.len() as i64)),
            ("n_total", int_value(n_total)),
            ("estimate", opt_num(headline.map(|h| h.estimate))),
            ("lower", opt_num(headline.map(|h| h.lower))),
            ("upper", opt_num(headline.map(|h| h.upper))),
            ("p", opt_num(headline.map(|h| h.p))),
            ("interval_method", text_value(options.interval.label())),
            ("fixed_estimate", opt_num(a.map(|m| m.fixed.estimate))),
            ("fixed_lower", opt_num(a.map(|m| m.fixed.lower))),
            ("fixed_upper", opt_num(a.map(|m| m.fixed.upper))),
            ("wald_lower", opt_num(a.map(|m| m.random.lower))),
            ("wald_upper", opt_num(a.map(|m| m.random.upper))),
            ("hksj_lower", opt_num(a.map(|m| m.hksj.lower))),
            ("hksj_upper", opt_num(a.map(|m| m.hksj.upper))),
            ("tau2", opt_num(a.map(|m| m.tau2))),
            ("tau2_method", text_value(tau2_label(options.tau2))),
            ("i2", opt_num(a.map(|m| m.i2))),
            ("q", opt_num(a.map(|m| m.q))),
            ("q_p", opt_num(a.map(|m| m.q_p))),
            (
                "prediction_lower",
                opt_num(a.and_then(|m| options.interval.prediction(m)).map(|p| p.0)),
            ),
            (
                "prediction_upper",
                opt_num(a.and_then(|m| options.interval.prediction(m)).map(|p| p.1)),
            ),
            (
                "egger_intercept",
                opt_num(a.and_then(|m| m.egger).map(|e| e.intercept)),
            ),
            ("egger_p", opt_num(a.and_then(|m| m.egger).map(|e| e.p))),
            ("note", text_value(note.join("; "))),
            ("sources", text_value(sources_text)),
        ]);
        let tau2 = a.map_or(0.0, |m| m.tau2);
        let total_weight: f64 = points.iter().map(|s| 1.0 / (s.se * s.se + tau2)).sum();
        for m in &g.members {
            let source = &sources[m.source];
            let scheme = &source.results.scheme;
            let weight =
                m.se.filter(|_| analysis.is_some())
                    .map(|(se, _)| 1.0 / (se * se + tau2) / total_weight);
            studies.push_named(&[
                ("group", int_value(number as i64)),
                ("scheme", text_value(source.scheme())),
                ("title", text_value(scheme.title.as_str())),
                (
                    "region",
                    text_value(scheme.region.clone().unwrap_or_default()),
                ),
                (
                    "icb_code",
                    text_value(scheme.icb_code.clone().unwrap_or_default()),
                ),
                ("period", text_value(source.results.period.label.as_str())),
                ("estimate", num_value(m.estimate.estimate)),
                ("lower", num_value(m.estimate.lower)),
                ("upper", num_value(m.estimate.upper)),
                ("n", int_value(m.estimate.n)),
                ("se", opt_num(m.se.map(|(se, _)| se))),
                (
                    "se_from",
                    text_value(m.se.map_or("", |(_, from)| from.label())),
                ),
                ("weight", opt_num(weight)),
                ("file", text_value(source.file.as_str())),
                ("sha256", text_value(source.sha256.as_str())),
            ]);
        }
        if pooled.len() >= 3 {
            for (i, left) in pooled.iter().enumerate() {
                let rest: Vec<Study> = points
                    .iter()
                    .enumerate()
                    .filter(|(j, _)| *j != i)
                    .map(|(_, s)| *s)
                    .collect();
                let Ok(m) = meta::meta_analysis(&rest, options.tau2) else {
                    continue;
                };
                let h = options.interval.of(&m);
                leave_one_out.push_named(&[
                    ("group", int_value(number as i64)),
                    ("left_out", text_value(sources[left.source].scheme())),
                    ("schemes", int_value(rest.len() as i64)),
                    ("estimate", num_value(h.estimate)),
                    ("lower", num_value(h.lower)),
                    ("upper", num_value(h.upper)),
                    ("tau2", num_value(m.tau2)),
                    ("i2", num_value(m.i2)),
                ]);
            }
        }
        push_subgroups(&mut subgroups, number, (&pooled, sources), options);
    }
    Ok(vec![
        estimates.finish()?,
        studies.finish()?,
        leave_one_out.finish()?,
        subgroups.finish()?,
    ])
}

/// The subgroup rows of group `number`: for region and each declared
/// characteristic whose schemes take two or more values, each value's
/// schemes pooled (one scheme: its own estimate), and the test of
/// difference between the values: Cochran's Q of the values' pooled
/// estimates with their random-effects standard errors (Borenstein et al.
/// 2009, ch. 19).
fn push_subgroups(
    out: &mut TableBuilder,
    number: usize,
    (pooled, sources): (&[&Member], &[Source]),
    options: &PoolOptions,
) {
    let not_declared = "not declared".to_string();
    let value_of = |m: &Member, name: &str| -> String {
        let scheme = &sources[m.source].results.scheme;
        if name == "region" {
            scheme
                .region
                .clone()
                .unwrap_or_else(|| not_declared.clone())
        } else {
            scheme
                .characteristics
                .get(name)
                .cloned()
                .unwrap_or_else(|| not_declared.clone())
        }
    };
    let mut names: BTreeSet<String> = BTreeSet::from(["region".to_string()]);
    for m in pooled {
        names.extend(
            sources[m.source]
                .results
                .scheme
                .characteristics
                .keys()
                .cloned(),
        );
    }
    for name in names {
        let mut values: BTreeMap<String, Vec<&Member>> = BTreeMap::new();
        for m in pooled {
            values.entry(value_of(m, &name)).or_default().push(m);
        }
        if values.len() < 2 {
            continue;
        }
        // Each value's summary: pooled, or the one scheme's own.
        let summaries: Vec<(String, usize, Study, f64, f64)> = values
            .iter()
            .filter_map(|(value, members)| {
                let points: Vec<Study> = members.iter().filter_map(|m| m.study()).collect();
                match meta::meta_analysis(&points, options.tau2) {
                    Ok(m) => {
                        let h = options.interval.of(&m);
                        Some((
                            value.clone(),
                            members.len(),
                            Study {
                                estimate: m.random.estimate,
                                se: m.random.se,
                            },
                            h.lower,
                            h.upper,
                        ))
                    }
                    Err(_) => {
                        let only = members.first()?;
                        Some((
                            value.clone(),
                            1,
                            only.study()?,
                            only.estimate.lower,
                            only.estimate.upper,
                        ))
                    }
                }
            })
            .collect();
        let between: Vec<Study> = summaries.iter().map(|s| s.2).collect();
        let test = meta::meta_analysis(&between, Tau2Method::DerSimonianLaird).ok();
        for (value, schemes, summary, lower, upper) in &summaries {
            out.push_named(&[
                ("group", int_value(number as i64)),
                ("characteristic", text_value(name.as_str())),
                ("value", text_value(value.as_str())),
                ("schemes", int_value(*schemes as i64)),
                ("estimate", num_value(summary.estimate)),
                ("lower", num_value(*lower)),
                ("upper", num_value(*upper)),
                ("q_between", opt_num(test.as_ref().map(|t| t.q))),
                ("df_between", int_value(between.len() as i64 - 1)),
                ("p_between", opt_num(test.as_ref().map(|t| t.q_p))),
            ]);
        }
    }
}

/// How the tables name `method`.
fn tau2_label(method: Tau2Method) -> &'static str {
    match method {
        Tau2Method::Reml => "REML",
        Tau2Method::DerSimonianLaird => "DerSimonian-Laird",
    }
}

/// The workbook's stamp: what was pooled (each results file as an input)
/// and when (`SOURCE_DATE_EPOCH` when set).
fn stamp(sources: &[Source]) -> Result<crate::render::Stamp> {
    let epoch = crate::render::run_time()?;
    Ok(crate::render::Stamp {
        title: TITLE.into(),
        period: periods(sources),
        spec_sha256: String::new(),
        spec_file: "(none: sprout pool of the results files below)".into(),
        sprout_version: crate::VERSION.into(),
        generated_at: chrono::DateTime::from_timestamp(epoch, 0).map_or_else(String::new, |t| {
            t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
        }),
        generated_epoch: epoch,
        policy: "pooled".into(),
        policy_description:
            "pooled from figures each evaluation published under its own disclosure control".into(),
        not_for_publication: false,
        inputs: sources
            .iter()
            .map(|s| crate::render::StampInput {
                file: s.file.clone(),
                table: format!("results of {}", s.scheme()),
                sha256: s.sha256.clone(),
            })
            .collect(),
    })
}

/// `pooled.json`: what was pooled, how, and what was written.
#[derive(Serialize)]
struct Manifest<'a> {
    sprout_version: &'static str,
    results_schema_version: u32,
    tau2_method: &'static str,
    interval_method: &'static str,
    sources: Vec<ManifestSource<'a>>,
    files: &'a [String],
}

/// One results file in `pooled.json`.
#[derive(Serialize)]
struct ManifestSource<'a> {
    file: &'a str,
    sha256: &'a str,
    scheme: &'a str,
    period: &'a str,
    sprout_version: &'a str,
    spec_sha256: &'a str,
}

/// Run `sprout pool`: read, pool, and write the tables (CSV, Parquet and
/// JSON with `data_dictionary.csv`) and `pooled.json` into `options.out`,
/// built beside it and swapped in whole. Refused before anything is read
/// when the output overlaps an input, is a folder sprout did not make, or
/// is in use.
pub fn run(options: &PoolOptions, console: &Console) -> Result<PoolReport> {
    let target = Named::new("the output folder (--out)", &options.out);
    let inputs: Vec<Named> = options
        .inputs
        .iter()
        .map(|p| Named::new("a results file or folder", p))
        .collect();
    check_apart(&[target], &inputs)?;
    let _writing = FolderLock::acquire(
        target,
        Access::Exclusive,
        Made::Pooled,
        "sprout pool",
        console,
    )?;
    check_replaceable(target, Made::Pooled)?;
    let sources = read_sources(&find_results(&options.inputs)?)?;
    let tables = pool(&sources, options)?;
    let published: Vec<crate::disclosure::PublishedTable> = tables
        .iter()
        .map(|t| crate::disclosure::publish(t, crate::disclosure::Policy::None))
        .collect();
    let staged = StagedDir::create(&options.out)?;
    let mut files = crate::render::tables::write_all(
        &published,
        staged.path(),
        &crate::export::OutputFormat::ALL,
    )?;
    let html = render::page(&published, &sources)?;
    crate::atomic::write(&staged.path().join("pooled.html"), html.as_bytes())?;
    files.push("pooled.html".to_string());
    let groups = render::group_sheets(&published)?;
    let group_tables: Vec<crate::disclosure::PublishedTable> = groups
        .iter()
        .map(|(_, t)| crate::disclosure::publish(t, crate::disclosure::Policy::None))
        .collect();
    let sheets = crate::render::workbook::sheet_names(
        [("estimates", &published[0])]
            .into_iter()
            .chain(
                groups
                    .iter()
                    .map(|(name, _)| name.as_str())
                    .zip(&group_tables),
            )
            .chain(published[1..].iter().map(|t| (t.name(), t))),
        &["about"],
    );
    let xlsx = crate::render::workbook::build_named(&sheets, None, &stamp(&sources)?)?;
    crate::atomic::write(&staged.path().join("pooled.xlsx"), &xlsx)?;
    files.push("pooled.xlsx".to_string());
    files.push(POOLED_MANIFEST.to_string());
    let manifest = Manifest {
        sprout_version: crate::VERSION,
        results_schema_version: results::SCHEMA_VERSION,
        tau2_method: tau2_label(options.tau2),
        interval_method: options.interval.label(),
        sources: sources
            .iter()
            .map(|s| ManifestSource {
                file: &s.file,
                sha256: &s.sha256,
                scheme: s.scheme(),
                period: &s.results.period.label,
                sprout_version: &s.results.sprout_version,
                spec_sha256: &s.results.spec_sha256,
            })
            .collect(),
        files: &files,
    };
    let mut json = serde_json::to_vec_pretty(&manifest).expect("the manifest serialises");
    json.push(b'\n');
    crate::atomic::write(&staged.path().join(POOLED_MANIFEST), &json)?;
    staged.commit()?;
    Ok(PoolReport {
        sources,
        tables,
        files,
    })
}
