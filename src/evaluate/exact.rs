//! `sprout measures`: every measure of a period computed and written as its
//! exact tables (no disclosure control: policy `none`) and charts, for
//! analysts inside the data controller. The published pipeline is
//! [`super::evaluate`].

use crate::console::Console;
use crate::error::Result;
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made, StagedDir, check_apart, check_replaceable};
use crate::measures::table::OutTable;
use crate::measures::{self, MeasureOptions, health};
use crate::stages::Stopwatch;
use crate::warehouse::Location;

/// The tables written and the warnings raised.
#[derive(Debug)]
pub struct MeasureResult {
    /// Every table written.
    pub tables: Vec<OutTable>,
    /// Warnings for the user (regression to the mean, weak comparisons).
    pub warnings: Vec<String>,
    /// The health and care system's naive and comparison estimates, side by side.
    pub health: Vec<health::Headline>,
}

/// Compute every measure and write its exact tables and charts into
/// `options.out`, which is built beside its target and swapped in whole, with
/// `measures.json` listing what was written. Refused before anything is read
/// when the output overlaps the warehouse, is a folder sprout did not make, or
/// is in use; the warehouse (or the query results) is read under a shared lock.
pub async fn run(
    options: &MeasureOptions,
    watch: &mut Stopwatch,
    console: &Console,
) -> Result<MeasureResult> {
    let target = Named::new("the output folder (--out)", &options.out);
    // A warehouse in an object store is read as it is: nothing there is
    // locked, and its copy is checked against its manifest instead.
    let source = match (&options.query_results, &options.warehouse) {
        (Some(dir), _) => Some((
            Named::new("the query results (--query-results)", dir),
            Made::Queries,
        )),
        (None, Location::Folder(root)) => Some((
            Named::new("the warehouse (--warehouse)", root),
            Made::Warehouse,
        )),
        (None, Location::Store { .. }) => None,
    };
    let sources: Vec<Named> = source.iter().map(|(named, _)| *named).collect();
    check_apart(&[target], &sources)?;
    let command = "sprout measures";
    let _reading = match source {
        Some((named, made)) => Some(FolderLock::acquire(
            named,
            Access::Shared,
            made,
            command,
            console,
        )?),
        None => None,
    };
    let _writing =
        FolderLock::acquire(target, Access::Exclusive, Made::Measures, command, console)?;
    check_replaceable(target, Made::Measures)?;
    let mut computed = measures::compute(options, watch).await?;
    // The exact tables, as written: the cautions quote the exact figures of
    // the health tables.
    let exact = |t: &OutTable| crate::disclosure::publish(t, crate::disclosure::Policy::None);
    let mut exact_tables: Vec<crate::disclosure::PublishedTable> =
        computed.tables.iter().map(exact).collect();
    let cautions =
        crate::render::cautions::cautions(&exact_tables, crate::disclosure::Policy::None);
    let caution_table = crate::render::cautions::table(&options.period.label, &cautions)?;
    exact_tables.push(exact(&caution_table));
    computed.tables.push(caution_table);
    let staged = StagedDir::create(&options.out)?;
    let formats = crate::export::OutputFormat::ALL;
    let mut files = crate::render::tables::write_all(&exact_tables, staged.path(), &formats)?;
    let funnels = computed.benchmarks.funnels.iter().map(|f| {
        let name = format!("funnel_{}.svg", f.measure.name);
        (
            name,
            crate::render::charts::funnel::svg(&crate::render::plots::funnel(f, None)),
        )
    });
    let spc = computed.benchmarks.spc.iter().map(|s| {
        let name = format!("spc_{}.svg", s.name);
        (
            name,
            crate::render::charts::spc::svg(&crate::render::plots::spc(s)),
        )
    });
    for (name, svg) in funnels.chain(spc) {
        let file = format!("charts/{name}");
        let svg = crate::text::visible_markup(&svg);
        crate::atomic::write(&staged.path().join(&file), svg.as_bytes())?;
        files.push(file);
    }
    let record = serde_json::json!({
        "sprout_version": crate::VERSION,
        "period": options.period.label,
        "files": files,
    });
    let mut json = serde_json::to_string_pretty(&record)
        .map_err(|e| crate::error::Error::Usage(e.to_string()))?;
    json.push('\n');
    crate::atomic::write(&staged.path().join("measures.json"), json.as_bytes())?;
    staged.commit()?;
    watch.lap("write");
    Ok(MeasureResult {
        tables: computed.tables,
        warnings: computed
            .notices
            .iter()
            .cloned()
            .chain(cautions.into_iter().map(|c| c.message))
            .collect(),
        health: computed.health,
    })
}
