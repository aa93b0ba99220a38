//! `sprout evaluate`: the whole pipeline from one evaluation spec.
//!
//! ```text
//! spec.toml ──ingest──▶ warehouse (rebuilt) ──measures──▶ exact tables
//!   ──disclosure──▶ published tables ──render──▶ report.html, benchmarking.html,
//!                                                workbook.xlsx, tables/, charts/
//! ```
//!
//! The warehouse and the output folder are built beside their targets and
//! replace them whole only when everything is written, so a failed run leaves
//! the previous warehouse and report intact (`crate::folder`). Before
//! anything is read or written, both must stand apart from every input and
//! from each other, be folders sprout made (or new), and be free of other
//! runs. Every output is stamped ([`crate::render::Stamp`]) with the spec's
//! SHA-256, each input's SHA-256, the sprout version and the run time (from
//! `SOURCE_DATE_EPOCH` when set, so the same spec and inputs give byte-identical
//! outputs). Before anything is swapped in, [`crate::audit`] checks the
//! staged output for any withheld or rounded cell a reader could work out; a
//! finding under a publication policy fails the run.

pub mod exact;
pub mod spec;

use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::console::Console;
use crate::disclosure::{self, Policy};
use crate::error::{Error, Result};
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made, StagedDir, check_apart, check_replaceable};
use crate::ingest::{self, IngestOptions, IngestReport};
use crate::measures::{self, MeasureOptions, period::Period};
use crate::render::{self, Stamp, StampInput};
use crate::stages::Stopwatch;
use crate::warehouse::Warehouse;
use spec::Spec;

/// How to run an evaluation.
#[derive(Debug, Clone)]
pub struct EvaluateOptions {
    /// The spec file.
    pub spec: PathBuf,
    /// Output folder instead of the spec's.
    pub out: Option<PathBuf>,
    /// Confirms that outputs without disclosure control are for internal use.
    pub not_for_publication: bool,
    /// Query partitions and memory.
    pub engine: crate::engine::Engine,
    /// Reporting period instead of the spec's `period` (a quarterly run
    /// needs no edit of the spec).
    pub period: Option<String>,
}

/// What an evaluation wrote.
#[derive(Debug)]
pub struct Evaluation {
    /// The output folder.
    pub output: PathBuf,
    /// What the measures were computed from.
    pub source: Source,
    /// Files written, relative to the output folder, in order.
    pub files: Vec<String>,
    /// What ingest did.
    pub ingest: IngestReport,
    /// Warnings for the user.
    pub warnings: Vec<String>,
    /// The report's headline sentences.
    pub headlines: Vec<String>,
    /// The stamp on every output.
    pub stamp: Stamp,
    /// Cells suppressed across the published tables.
    pub suppressed: usize,
    /// The disclosure audit of the outputs.
    pub audit: crate::audit::Audit,
}

/// What an evaluation's measures were computed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// The warehouse it rebuilt from the extracts.
    Warehouse(PathBuf),
    /// The query results in a folder written by `sprout queries`
    /// (`[inputs] query_results`).
    QueryResults(PathBuf),
}

/// Run the evaluation a spec describes, timing its stages (`ingest`,
/// `measures`, `health`, `report`) on `watch`.
pub fn evaluate(
    options: &EvaluateOptions,
    console: &Console,
    watch: &mut Stopwatch,
) -> Result<Evaluation> {
    let path = &options.spec;
    let bytes =
        std::fs::read(path).map_err(|e| Error::io(path, "reading the evaluation spec", e))?;
    let text =
        String::from_utf8(bytes).map_err(|_| Error::config(path, "the spec is not UTF-8 text"))?;
    let mut spec = Spec::parse(&text, path)?;
    if let Some(period) = &options.period {
        spec.period = period.clone();
    }
    let policy = spec.disclosure.policy;
    if policy == Policy::None && !options.not_for_publication {
        return Err(Error::config(
            path,
            "disclosure policy \"none\" writes exact small numbers; run with --not-for-publication to confirm the outputs are for internal use (every page and sheet will say NOT FOR PUBLICATION)",
        ));
    }
    let base = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let output = options
        .out
        .clone()
        .unwrap_or_else(|| base.join(&spec.output));
    let warehouse = match &spec.warehouse {
        Some(w) => base.join(w),
        None => output.parent().unwrap_or(Path::new(".")).join("warehouse"),
    };
    crate::warehouse::refuse_url_as_folder(&warehouse)?;
    let query_results = spec.inputs.query_results.as_ref().map(|p| base.join(p));
    let ingest_options = IngestOptions {
        inputs: spec.inputs.extracts.iter().map(|p| base.join(p)).collect(),
        warehouse: warehouse.clone(),
        mapping: spec.inputs.mapping.as_ref().map(|p| base.join(p)),
        key_file: spec.inputs.key_file.as_ref().map(|p| base.join(p)),
        as_of: spec.as_of(path)?,
        imd: spec.inputs.imd.as_ref().map(|p| base.join(p)),
        area_population: spec.inputs.area_population.as_ref().map(|p| base.join(p)),
        context: crate::ingest::context::ContextFiles {
            ods_practices: spec.inputs.ods_practices.as_ref().map(|p| base.join(p)),
            ods_pcns: spec.inputs.ods_pcns.as_ref().map(|p| base.join(p)),
            wellbeing_estimates: spec
                .inputs
                .wellbeing_estimates
                .as_ref()
                .map(|p| base.join(p)),
            list_sizes: spec.inputs.list_sizes.as_ref().map(|p| base.join(p)),
        },
    };
    let templates = spec.outputs.templates.as_ref().map(|t| base.join(t));
    let unit_costs = spec.health.unit_costs.as_ref().map(|p| base.join(p));
    // Before anything is read or written: the two outputs apart from every
    // input and from each other, each one sprout made (or new), and this run
    // the only one using them.
    let output_role = if options.out.is_some() {
        "the output folder (--out)"
    } else {
        "the output folder (`output` in the spec)"
    };
    let targets = [
        Named::new(output_role, &output),
        Named::new("the warehouse (`warehouse` in the spec)", &warehouse),
    ];
    // With query results nothing is ingested and no warehouse is built.
    let targets = if query_results.is_some() {
        &targets[..1]
    } else {
        &targets[..]
    };
    let mut inputs = ingest_options.named_inputs();
    if let Some(dir) = &query_results {
        inputs.push(Named::new(
            "the query results (`query_results` in the spec)",
            dir,
        ));
    }
    inputs.push(Named::new("the spec", path));
    if let Some(t) = &templates {
        inputs.push(Named::new("the templates folder", t));
    }
    if let Some(c) = &unit_costs {
        inputs.push(Named::new("the unit-cost file", c));
    }
    let reference_rates = spec
        .benchmark
        .reference_rates
        .as_ref()
        .map(|p| base.join(p));
    if let Some(r) = &reference_rates {
        inputs.push(Named::new("the reference-rates file", r));
    }
    check_apart(targets, &inputs)?;
    let command = "sprout evaluate";
    let mut _locks = vec![FolderLock::acquire(
        targets[0],
        Access::Exclusive,
        Made::Evaluation,
        command,
        console,
    )?];
    match &query_results {
        Some(dir) => _locks.push(FolderLock::acquire(
            Named::new("the query results (`query_results` in the spec)", dir),
            Access::Shared,
            Made::Queries,
            command,
            console,
        )?),
        None => _locks.push(FolderLock::acquire(
            targets[1],
            Access::Exclusive,
            Made::Warehouse,
            command,
            console,
        )?),
    }
    check_replaceable(targets[0], Made::Evaluation)?;
    if query_results.is_none() {
        check_replaceable(targets[1], Made::Warehouse)?;
    }
    let period = Period::parse(&spec.period)?;
    let pairing = spec.pairing();
    let health = spec.health(path, base)?;
    let benchmark = spec.benchmark(path, base)?;
    let engine = spec.engine(&options.engine);
    let generated_epoch = crate::render::run_time()?;

    // The warehouse is rebuilt beside the old one, and both it and the
    // outputs are swapped in only when everything is written: a failure at
    // any stage leaves the previous warehouse and outputs as they were.
    let (staged_warehouse, ingest_report) = match &query_results {
        Some(dir) => {
            console.note(format!("Reading the query results in {}", dir.display()));
            (None, IngestReport::default())
        }
        None => {
            console.note(format!("Ingesting into {}", warehouse.display()));
            let staged = StagedDir::create(&warehouse)?;
            let report = ingest::ingest_into(&ingest_options, staged.path(), console)?;
            (Some(staged), report)
        }
    };
    watch.lap("ingest");

    console.note(format!("Computing the measures for {}", period.label));
    watch.show(console.stage(), "Computing the measures");
    let measure_options = MeasureOptions {
        warehouse: staged_warehouse
            .as_ref()
            .map_or_else(PathBuf::new, |s| s.path().to_path_buf())
            .into(),
        query_results: query_results.clone(),
        period: period.clone(),
        out: output.clone(),
        pairing,
        benchmark,
        health,
        engine: engine.clone(),
        local_authority: spec.local_authority(path)?,
    };
    let computed = crate::engine::runtime(engine.target_partitions)?
        .block_on(measures::compute(&measure_options, watch))?;
    for notice in &computed.notices {
        watch.suspend(|| console.warn(notice));
    }
    // One quantity, one value: what one table withholds, every table does.
    let mut published = disclosure::publish_all(&computed.tables, policy);
    for (slot, table) in published.iter_mut().zip(&computed.tables) {
        if crate::faults::leak(table.name()) {
            *slot = disclosure::publish(table, Policy::None);
        }
    }
    // Funnels and SPC charts computed again from the published counts (and
    // reliable improvement from wellbeing_change as published), so their
    // tables, charts and flags agree with the counts beside them.
    // Expected referrals from the reference rates as published.
    disclosure::standardised::publish(&computed.standardisation, &mut published, policy);
    let benchmarks = disclosure::benchmarks::publish(&computed.benchmarks, policy, &published);
    for table in disclosure::benchmarks::tables(&benchmarks, policy)? {
        match published.iter_mut().find(|t| t.name() == table.name()) {
            Some(slot) => *slot = table,
            None => published.push(table),
        }
    }
    // Cautions quote figures, so they are written from the published tables:
    // a sentence says what the table beside it shows.
    let cautions = crate::render::cautions::cautions(&published, policy);
    published.push(disclosure::publish(
        &crate::render::cautions::table(&period.label, &cautions)?,
        policy,
    ));
    let warnings: Vec<String> = cautions.into_iter().map(|c| c.message).collect();
    let inputs: Vec<StampInput> = match (&staged_warehouse, &query_results) {
        (Some(staged), _) => Warehouse::open(staged.path())?
            .manifest()
            .inputs
            .iter()
            .map(|i| StampInput {
                file: i.file.clone(),
                table: i.table.clone(),
                sha256: i.sha256.clone(),
            })
            .collect(),
        (None, Some(dir)) => crate::measures::exchange::result_files(dir)?
            .into_iter()
            .map(|(file, table, sha256)| StampInput {
                file,
                table,
                sha256,
            })
            .collect(),
        (None, None) => Vec::new(),
    };
    let stamp = Stamp {
        title: spec.title.clone(),
        period: period.label.clone(),
        spec_sha256: ingest::sha256_hex(text.as_bytes()),
        // The spec's own name: paths are relative to it, so the same spec
        // run from anywhere gives the same bytes and no local path is shown.
        spec_file: path.file_name().map_or_else(
            || path.display().to_string(),
            |n| n.to_string_lossy().into_owned(),
        ),
        sprout_version: crate::VERSION.to_string(),
        generated_at: chrono::DateTime::from_timestamp(generated_epoch, 0)
            .map_or_else(String::new, |t| {
                t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
            }),
        generated_epoch,
        policy: policy.name().to_string(),
        policy_description: policy.description(),
        not_for_publication: !policy.publishable(),
        inputs,
    };

    watch.suspend(|| console.note(format!("Rendering into {}", output.display())));
    let rendered = render::report::render(&render::report::ReportInputs {
        stamp: &stamp,
        tables: &published,
        benchmarks: &benchmarks,
        warnings: &warnings,
        settings: spec.settings(),
        parameters: pairing.shown_parameters(),
        quarantined: ingest_report.quarantined(),
        min_pairs: pairing.min_pairs,
        policy,
        templates: templates.as_deref(),
        highlight: spec.highlight(path)?,
    })?;
    // The methods settings, which the report's appendix quotes.
    published.push(disclosure::publish(
        &crate::records::settings_table(&spec.settings())?,
        policy,
    ));
    // What ingest read, which the report's data-quality sentences quote.
    published.push(disclosure::publish(
        &crate::records::ingest_table(&ingest_report)?,
        policy,
    ));
    // The report's own sentences are published beside the figures they
    // quote, so the audit checks them too.
    published.push(disclosure::publish(
        &render::report::sentences_table(&period.label, &rendered)?,
        policy,
    ));
    let staged = StagedDir::create(&output)?;
    let root = staged.path();
    let mut files = Vec::new();
    let mut put = |name: String, bytes: &[u8]| -> Result<()> {
        crate::atomic::write(&root.join(&name), bytes)?;
        files.push(name);
        Ok(())
    };
    // Markup shows extract text (names, labels): control characters and
    // bidirectional overrides in it are written out, never acted on.
    let markup = |text: &str| crate::text::visible_markup(text).into_owned();
    // The workbook and the tables are built and written on threads of
    // their own while the pages and charts are written here; the files are
    // listed in the same order whichever finishes first.
    let (workbook, tables_written) = std::thread::scope(|scope| -> Result<_> {
        let workbook = spec.outputs.workbook.then(|| {
            scope.spawn(|| render::workbook::build(&published, &rendered.figures, &stamp))
        });
        let tables = (!spec.outputs.tables.is_empty()).then(|| {
            scope.spawn(|| {
                render::tables::write_all(&published, &root.join("tables"), &spec.outputs.tables)
            })
        });
        let pages = (|| -> Result<()> {
            if spec.outputs.commissioner_report {
                put(
                    "report.html".into(),
                    markup(&rendered.commissioner).as_bytes(),
                )?;
            }
            if spec.outputs.benchmarking_report {
                put(
                    "benchmarking.html".into(),
                    markup(&rendered.benchmarking).as_bytes(),
                )?;
            }
            for (name, svg) in &rendered.charts {
                put(format!("charts/{name}.svg"), markup(svg).as_bytes())?;
            }
            Ok(())
        })();
        let workbook = workbook
            .map(|t| t.join().expect("building the workbook does not panic"))
            .transpose();
        let tables = tables
            .map(|t| t.join().expect("writing the tables does not panic"))
            .transpose();
        pages?;
        Ok((workbook?, tables?.is_some()))
    })?;
    if let Some(xlsx) = workbook {
        put("workbook.xlsx".into(), &xlsx)?;
    }
    // The headline estimates for pooling across schemes, from the tables as
    // published (the audit below reads them too).
    let scheme = crate::render::results::Scheme {
        title: stamp.title.clone(),
        code: spec.scheme.code.clone().or_else(|| {
            path.file_stem()
                .map(|stem| stem.to_string_lossy().into_owned())
        }),
        icb_code: spec.scheme.icb_code.clone(),
        region: spec.scheme.region.clone(),
        characteristics: spec.scheme.characteristics.clone(),
        pcn_codes: Vec::new(),
    };
    let results_period = crate::render::results::ResultsPeriod {
        label: period.label.clone(),
        start: period.start.to_string(),
        end: period.end.to_string(),
    };
    put(
        crate::render::results::RESULTS_FILE.into(),
        &crate::render::results::Results::of(&published, (scheme, results_period), &stamp)
            .to_json(),
    )?;
    if tables_written {
        for t in &published {
            for f in &spec.outputs.tables {
                files.push(format!("tables/{}.{}", t.name(), f.extension()));
            }
        }
        files.push("tables/data_dictionary.csv".into());
    }
    // The disclosure audit reads the staged output as a reader would (its
    // CSV tables, or the published tables themselves when no CSV is
    // written, its HTML pages and its workbook). Under a publication policy
    // a finding stops the run: nothing is swapped in and the previous output
    // stays.
    let csv_written = spec
        .outputs
        .tables
        .contains(&crate::export::OutputFormat::Csv);
    let audit = crate::audit::audit_written(root, policy, || {
        if csv_written {
            crate::audit::read::tables(root)
        } else {
            Ok(published.iter().map(crate::audit::Sheet::of).collect())
        }
    })?;
    let suppressed = disclosure::suppressed_cells(&published);
    let record = Record {
        stamp: &stamp,
        files: &files,
        warnings: &warnings,
        suppressed_cells: &suppressed,
        audit: AuditRecord {
            cells_checked: audit.cells,
            findings: audit.findings.iter().map(ToString::to_string).collect(),
        },
    };
    let json = serde_json::to_vec_pretty(&record).map_err(|e| {
        Error::io(
            &root.join("evaluation.json"),
            "writing",
            std::io::Error::other(e),
        )
    })?;
    crate::atomic::write(&root.join("evaluation.json"), &json)?;
    files.push("evaluation.json".into());
    if policy.publishable() && !audit.clean() {
        return Err(Error::Disclosed {
            findings: audit.summary(),
        });
    }
    if let Some(staged) = staged_warehouse {
        staged.commit()?;
    }
    staged.commit()?;
    watch.lap("report");
    watch.done();
    Ok(Evaluation {
        output,
        source: match query_results {
            Some(dir) => Source::QueryResults(dir),
            None => Source::Warehouse(warehouse),
        },
        files,
        ingest: ingest_report,
        warnings,
        headlines: rendered.headlines,
        stamp,
        suppressed: suppressed.values().sum(),
        audit,
    })
}

/// `evaluation.json`: the stamp and what was written.
#[derive(Serialize)]
struct Record<'a> {
    stamp: &'a Stamp,
    files: &'a [String],
    warnings: &'a [String],
    suppressed_cells: &'a std::collections::BTreeMap<&'static str, usize>,
    audit: AuditRecord,
}

/// What the disclosure audit checked and found (nothing, for a published output).
#[derive(Serialize)]
struct AuditRecord {
    cells_checked: usize,
    findings: Vec<String>,
}
