//! The commissioner report and the PCN benchmarking report.
//!
//! The figures come only from published (disclosure-controlled) tables; this
//! module picks rows, formats them for reading, writes the headline sentences
//! and limitations from the data, draws the charts, and renders the minijinja
//! templates of `reports/` (a folder named in the spec may replace any of
//! them by file name). Text from extracts (organisation names) is escaped by
//! the templates' HTML auto-escaping.

use std::path::Path;

use serde::Serialize;

mod cells;
mod sections;

use super::Stamp;
use super::charts::figure::Figure;
use crate::disclosure::PublishedTable;
use crate::error::{Error, Result};
use crate::measures::benchmark::Benchmarks;
use cells::chart;
use sections::{
    benchmark_sections, community_section, headlines, health_figure, health_section, limitations,
    monthly_referrals_figure, over_time_section, person_figures, person_section, quality_section,
    reach_section, sources_figure, spc_section, trend_figures,
};

/// The shipped templates, by file name.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "commissioner.html",
        include_str!("../../../reports/commissioner.html"),
    ),
    (
        "benchmarking.html",
        include_str!("../../../reports/benchmarking.html"),
    ),
    ("pooled.html", include_str!("../../../reports/pooled.html")),
    ("macros.html", include_str!("../../../reports/macros.html")),
    ("style.css", include_str!("../../../reports/style.css")),
];

/// What the reports are made from.
pub struct ReportInputs<'a> {
    /// The stamp shown in every footer.
    pub stamp: &'a Stamp,
    /// Every published table.
    pub tables: &'a [PublishedTable],
    /// Funnels and SPC charts (their limits; points come from the published tables).
    pub benchmarks: &'a Benchmarks,
    /// Warnings raised by the measures.
    pub warnings: &'a [String],
    /// Settings for the methods appendix.
    pub settings: Vec<(String, String)>,
    /// The named parameters of the measure queries as this run set them
    /// (`outcome_cohort`, `'closed'`), filled into the methods appendix.
    pub parameters: Vec<(&'static str, String)>,
    /// Rows quarantined at ingest.
    pub quarantined: u64,
    /// The smallest number of pairs with intervals.
    pub min_pairs: usize,
    /// The disclosure policy the tables were published under (its wording).
    pub policy: crate::disclosure::Policy,
    /// A folder of replacement templates.
    pub templates: Option<&'a Path>,
    /// The PCN or practice to mark in every funnel and benchmarking table.
    pub highlight: Option<&'a str>,
}

/// The rendered reports and their charts.
#[derive(Debug)]
pub struct Rendered {
    /// `report.html`.
    pub commissioner: String,
    /// `benchmarking.html`.
    pub benchmarking: String,
    /// Every chart as (file stem, SVG).
    pub charts: Vec<(String, String)>,
    /// The headline figures (also drawn as native charts in the workbook).
    pub figures: Vec<Figure>,
    /// The summary sentences.
    pub headlines: Vec<String>,
    /// The limitations, as the report states them.
    pub limitations: Vec<String>,
}

/// The report's headline and limitation sentences as a table, so they are
/// published (and audited) beside the figures they quote.
pub fn sentences_table(
    period: &str,
    rendered: &Rendered,
) -> Result<crate::measures::table::OutTable> {
    use crate::measures::table::{TableBuilder, text_value};
    let mut table = TableBuilder::new(&crate::records::REPORT_SENTENCES);
    let headlines = rendered.headlines.iter().map(|h| ("headline", h));
    let limitations = rendered.limitations.iter().map(|l| ("limitation", l));
    for (section, message) in headlines.chain(limitations) {
        table.push_named(&[
            ("period", text_value(period)),
            ("section", text_value(section)),
            ("message", text_value(message.as_str())),
        ]);
    }
    table.finish()
}

/// A chart placed in a report.
#[derive(Debug, Clone, Serialize)]
pub struct ChartView {
    /// Anchor and file stem.
    pub id: String,
    /// The chart's title, shown above it.
    pub title: String,
    /// The SVG.
    pub svg: String,
    /// The text alternative, shown as the caption.
    pub description: String,
}

/// A table placed in a report: formatted text cells.
#[derive(Debug, Clone, Serialize)]
pub struct TableView {
    /// The caption above the table.
    pub caption: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Which columns are right-aligned numbers.
    pub numeric: Vec<bool>,
    /// One row of formatted cells per shown row.
    pub rows: Vec<Vec<String>>,
    /// A note under the table.
    pub note: String,
    /// Rows to mark for the reader (the PCN of `[benchmark] highlight`); empty: none.
    pub marked: Vec<bool>,
}

/// One section of a report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Section {
    /// The section's anchor (`#reach`).
    pub id: String,
    /// The section's heading.
    pub title: String,
    /// Paragraphs before its charts and tables.
    pub intro: Vec<String>,
    /// Cautions shown in a warning box.
    pub cautions: Vec<String>,
    /// Charts, in order.
    pub charts: Vec<ChartView>,
    /// Tables, in order.
    pub tables: Vec<TableView>,
    /// What to say when there is nothing to show.
    pub empty: String,
}

/// One measure's documented header, from its SQL file.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// File stem.
    pub name: String,
    /// The measure's title (`-- title:`).
    pub title: String,
    /// What it counts (`-- definition:`).
    pub definition: String,
    /// Who is counted (`-- population:`).
    pub population: String,
    /// The statistic computed (`-- statistic:`).
    pub statistic: String,
    /// What to bear in mind (`-- caveats:`).
    pub caveats: String,
    /// The published tables computed from it (from [`crate::registry`]).
    pub tables: String,
}

/// `text` with each `$name` of `parameters` replaced by its value (longest
/// names first, so no name is taken for the start of another).
pub fn filled(text: &str, parameters: &[(&str, String)]) -> String {
    let mut sorted: Vec<&(&str, String)> = parameters.iter().collect();
    sorted.sort_by_key(|(name, _)| std::cmp::Reverse(name.len()));
    sorted
        .into_iter()
        .fold(text.to_string(), |t, (name, value)| {
            t.replace(&format!("${name}"), value)
        })
}

/// The methods appendix: every measure's header from `queries/`, with this
/// run's parameters filled in, and the tables the registry says it feeds.
pub fn methods(parameters: &[(&str, String)]) -> Vec<Method> {
    crate::registry::measure_files()
        .into_iter()
        .map(|q| {
            let field = |key: &str| filled(q.header(key).unwrap_or_default(), parameters);
            Method {
                name: q.name.to_string(),
                title: field("title"),
                definition: field("definition"),
                population: field("population"),
                statistic: field("statistic"),
                caveats: field("caveats"),
                tables: crate::registry::computed_from(q.name)
                    .map(|t| t.name)
                    .collect::<Vec<_>>()
                    .join(", "),
            }
        })
        .collect()
}

// --- The report -----------------------------------------------------------

/// Everything the commissioner template receives.
#[derive(Serialize)]
struct CommissionerContext<'a> {
    stamp: &'a Stamp,
    headlines: &'a [String],
    warnings: &'a [String],
    reach: Section,
    over_time: Section,
    person: Section,
    community: Section,
    health: Section,
    benchmarking: Section,
    quality: Section,
    limitations: Vec<String>,
    methods: Vec<Method>,
    settings: &'a [(String, String)],
}

/// Everything the benchmarking template receives.
#[derive(Serialize)]
struct BenchmarkingContext<'a> {
    stamp: &'a Stamp,
    /// The page's index: (anchor, title) of each measure's section and chart.
    index: Vec<(String, String)>,
    funnels: Vec<Section>,
    spc: Section,
}

/// The SPC chart of the scheme's monthly referrals.
const MONTHLY_REFERRALS_SPC: &str = "spc_monthly_referrals";

/// Build both reports.
pub fn render(inputs: &ReportInputs) -> Result<Rendered> {
    let rounded = !inputs.stamp.not_for_publication;
    let tables = inputs.tables;
    let mut figures = Vec::new();
    let mut charts: Vec<ChartView> = Vec::new();
    let spc_section = spc_section(inputs.benchmarks, &cells::organisation_names(tables));
    // A headline figure: drawn in its section (or shown there as `instead`,
    // with its own chart still saved), and charted in the workbook.
    let mut keep_as = |section: &mut Section, figure: Figure, instead: Option<ChartView>| {
        let view = chart(&figure);
        charts.push(view.clone());
        section.charts.push(instead.unwrap_or(view));
        figures.push(figure);
    };
    let mut reach = reach_section(tables);
    if let Some(f) = monthly_referrals_figure(tables) {
        // The report shows the scheme's monthly referrals as its SPC chart
        // (mean and process limits); the workbook charts the series itself.
        let spc = spc_section
            .charts
            .iter()
            .find(|c| c.id == MONTHLY_REFERRALS_SPC)
            .cloned();
        keep_as(&mut reach, f, spc);
    }
    let mut keep = |section: &mut Section, figure: Figure| keep_as(section, figure, None);
    if let Some(f) = sources_figure(tables) {
        keep(&mut reach, f);
    }
    let mut over_time = over_time_section(tables);
    for f in trend_figures(tables) {
        keep(&mut over_time, f);
    }
    let mut person = person_section(tables, inputs.min_pairs, inputs.policy);
    for f in person_figures(tables) {
        keep(&mut person, f);
    }
    let community = community_section(tables);
    let mut health = health_section(tables, inputs.warnings);
    if let Some(f) = health_figure(tables) {
        keep(&mut health, f);
    }
    let (mut benchmarking, funnel_sections) =
        benchmark_sections(tables, inputs.benchmarks, inputs.highlight);
    for c in funnel_sections
        .iter()
        .chain([&spc_section])
        .flat_map(|s| &s.charts)
    {
        charts.push(c.clone());
    }
    for s in &funnel_sections {
        benchmarking.charts.extend(s.charts.iter().cloned());
    }
    let quality = quality_section(tables, inputs.quarantined);
    let headlines = headlines(tables, rounded);
    let limitations = limitations(tables, inputs);
    let limitation_sentences = limitations.clone();

    let env = environment(inputs.templates)?;
    let commissioner = env
        .get_template("commissioner.html")
        .and_then(|t| {
            t.render(minijinja::Value::from(minijinja::value::Serde(
                &CommissionerContext {
                    stamp: inputs.stamp,
                    headlines: &headlines,
                    warnings: inputs.warnings,
                    reach,
                    over_time,
                    person,
                    community,
                    health,
                    benchmarking,
                    quality,
                    limitations,
                    methods: methods(&inputs.parameters),
                    settings: &inputs.settings,
                },
            )))
        })
        .map_err(|e| template_error(inputs.templates, &e))?;
    let benchmarking = env
        .get_template("benchmarking.html")
        .and_then(|t| {
            t.render(minijinja::Value::from(minijinja::value::Serde(
                &BenchmarkingContext {
                    stamp: inputs.stamp,
                    index: funnel_sections
                        .iter()
                        .map(|f| (format!("funnel-{}", f.id), f.title.clone()))
                        .chain(
                            spc_section
                                .charts
                                .iter()
                                .map(|c| (format!("figure-{}", c.id), c.title.clone())),
                        )
                        .collect(),
                    funnels: funnel_sections,
                    spc: spc_section,
                },
            )))
        })
        .map_err(|e| template_error(inputs.templates, &e))?;
    let charts = charts.into_iter().map(|c| (c.id, c.svg)).collect();
    Ok(Rendered {
        commissioner,
        benchmarking,
        charts,
        figures,
        headlines,
        limitations: limitation_sentences,
    })
}

fn template_error(folder: Option<&Path>, e: &minijinja::Error) -> Error {
    let name = e.name().unwrap_or("template");
    let path = folder.map_or_else(|| Path::new("reports").join(name), |f| f.join(name));
    let line = e.line().map(|l| format!("line {l}: ")).unwrap_or_default();
    Error::config(&path, format!("{line}{e}"))
}

/// The template environment: the shipped templates, each replaced by a file of
/// the same name in `folder` when there is one.
pub fn environment(folder: Option<&Path>) -> Result<minijinja::Environment<'static>> {
    let mut env = minijinja::Environment::new();
    for (name, text) in TEMPLATES {
        let source = match folder.map(|f| f.join(name)).filter(|p| p.exists()) {
            Some(path) => std::fs::read_to_string(&path)
                .map_err(|e| Error::io(&path, "reading the template", e))?,
            None => (*text).to_string(),
        };
        env.add_template_owned(*name, source)
            .map_err(|e| template_error(folder, &e))?;
    }
    Ok(env)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_methods_appendix_quotes_this_run_s_parameters() {
        let parameters = crate::measures::wellbeing::PairingRules::default().shown_parameters();
        assert!(parameters.contains(&("outcome_cohort", "'closed'".to_string())));
        let text: String = methods(&parameters)
            .iter()
            .map(|m| {
                format!(
                    "{} {} {} {}\n",
                    m.definition, m.population, m.statistic, m.caveats
                )
            })
            .collect();
        let unfilled: Vec<&str> = text
            .split('$')
            .skip(1)
            .filter(|rest| rest.starts_with(|c: char| c.is_ascii_lowercase()))
            .collect();
        assert!(unfilled.is_empty(), "{unfilled:?}");
        assert!(
            text.contains("The outcome cohort here is 'closed'"),
            "{text}"
        );
        // Longest names first: `$ab` is not `$a` followed by b.
        assert_eq!(
            filled("$a and $ab", &[("a", "1".into()), ("ab", "2".into())]),
            "1 and 2"
        );
    }
}
