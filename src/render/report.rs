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

use super::Stamp;
use super::figures::{self, Figure, FigureKind, Series};
use crate::disclosure::{Cell, PublishedTable};
use crate::error::{Error, Result};
use crate::measures::benchmark::{Benchmarks, FunnelResult};

/// The shipped templates, by file name.
pub const TEMPLATES: &[(&str, &str)] = &[
    (
        "commissioner.html",
        include_str!("../../reports/commissioner.html"),
    ),
    (
        "benchmarking.html",
        include_str!("../../reports/benchmarking.html"),
    ),
    ("macros.html", include_str!("../../reports/macros.html")),
    ("style.css", include_str!("../../reports/style.css")),
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
    /// Rows quarantined at ingest.
    pub quarantined: u64,
    /// The smallest number of pairs with intervals.
    pub min_pairs: usize,
    /// The disclosure policy the tables were published under (its wording).
    pub policy: crate::disclosure::Policy,
    /// A folder of replacement templates.
    pub templates: Option<&'a Path>,
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
    /// Title.
    pub title: String,
    /// The SVG.
    pub svg: String,
    /// The text alternative, shown as the caption.
    pub description: String,
}

/// A table placed in a report: formatted text cells.
#[derive(Debug, Clone, Serialize)]
pub struct TableView {
    /// Caption.
    pub caption: String,
    /// Column headers.
    pub headers: Vec<String>,
    /// Which columns are right-aligned numbers.
    pub numeric: Vec<bool>,
    /// Rows.
    pub rows: Vec<Vec<String>>,
    /// A note under the table.
    pub note: String,
}

/// One section of a report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Section {
    /// Anchor.
    pub id: String,
    /// Heading.
    pub title: String,
    /// Paragraphs.
    pub intro: Vec<String>,
    /// Cautions shown in a warning box.
    pub cautions: Vec<String>,
    /// Charts.
    pub charts: Vec<ChartView>,
    /// Tables.
    pub tables: Vec<TableView>,
    /// What to say when there is nothing to show.
    pub empty: String,
}

/// One measure's documented header, from its SQL file.
#[derive(Debug, Clone, Serialize)]
pub struct Method {
    /// File stem.
    pub name: String,
    /// Title.
    pub title: String,
    /// Definition.
    pub definition: String,
    /// Population.
    pub population: String,
    /// Statistic.
    pub statistic: String,
    /// Caveats.
    pub caveats: String,
    /// The published tables computed from it (from [`crate::registry`]).
    pub tables: String,
}

/// The methods appendix: every measure's header from `queries/`, and the
/// tables the registry says it feeds.
pub fn methods() -> Vec<Method> {
    crate::registry::measure_files()
        .into_iter()
        .map(|q| {
            let field = |key: &str| q.header(key).unwrap_or_default().to_string();
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

// --- Formatting -----------------------------------------------------------

/// How a cell is shown.
#[derive(Debug, Clone, Copy)]
enum Fmt {
    Text,
    Count,
    Percent,
    Fixed(usize),
    Signed(usize),
}

/// A count with thousands separators.
fn count(n: i64) -> String {
    let s = crate::text::thousands(n.unsigned_abs());
    if n < 0 { format!("-{s}") } else { s }
}

fn show(cell: &Cell, fmt: Fmt) -> String {
    match (cell, fmt) {
        (Cell::Suppressed, _) => "*".to_string(),
        (Cell::Empty, _) => "–".to_string(),
        (Cell::Text(s), _) => s.clone(),
        (Cell::Int(n), Fmt::Count | Fmt::Text) => count(*n),
        (c, Fmt::Count) => c
            .number()
            .map_or_else(String::new, |x| count(x.round() as i64)),
        (c, Fmt::Percent) => c
            .number()
            .map_or_else(String::new, |x| format!("{:.1}%", 100.0 * x)),
        (c, Fmt::Fixed(dp)) => c
            .number()
            .map_or_else(String::new, |x| format!("{:.*}", places(&[x], dp), x + 0.0)),
        (c, Fmt::Signed(dp)) => c.number().map_or_else(String::new, |x| {
            format!("{:+.*}", places(&[x], dp), x + 0.0)
        }),
        (c, Fmt::Text) => c.display(),
    }
}

/// Decimals to show figures with: at most `dp`, and no more than the
/// published figures carry (a statistic coarsened by disclosure control is
/// not padded with zeros it does not have).
fn places(figures: &[f64], dp: usize) -> usize {
    let carried = figures
        .iter()
        .map(|&x| crate::disclosure::policy::decimals(x).max(0) as usize)
        .max()
        .unwrap_or(dp);
    dp.min(carried)
}

/// "+1.16 (+0.82 to +1.49)", or the estimate alone when the interval is withheld.
fn interval(
    t: &PublishedTable,
    row: usize,
    estimate: &str,
    lower: &str,
    upper: &str,
    dp: usize,
) -> String {
    match (
        t.cell(row, estimate).number(),
        t.cell(row, lower).number(),
        t.cell(row, upper).number(),
    ) {
        (Some(e), Some(l), Some(u)) => {
            let dp = places(&[e, l, u], dp);
            // `+ 0.0` turns a rounded -0 into 0.
            format!("{:+.dp$} ({:+.dp$} to {:+.dp$})", e + 0.0, l + 0.0, u + 0.0)
        }
        _ => show(t.cell(row, estimate), Fmt::Signed(dp)),
    }
}

/// A column of a report table: header, source column and format.
struct Col(&'static str, &'static str, Fmt);

fn view(
    t: &PublishedTable,
    rows: &[usize],
    cols: &[Col],
    caption: impl Into<String>,
    note: impl Into<String>,
) -> TableView {
    // Every column a report table shows must be declared, whether or not
    // the table has rows this time.
    for c in cols {
        assert!(
            t.def.column(c.1).is_some(),
            "the report shows {}.{}, which the table does not declare",
            t.name(),
            c.1
        );
    }
    TableView {
        caption: caption.into(),
        headers: cols.iter().map(|c| c.0.to_string()).collect(),
        numeric: cols.iter().map(|c| !matches!(c.2, Fmt::Text)).collect(),
        rows: rows
            .iter()
            .map(|&r| cols.iter().map(|c| show(t.cell(r, c.1), c.2)).collect())
            .collect(),
        note: note.into(),
    }
}

/// The published table `name`, when this run has one. A name the registry
/// does not declare is a programming error (a renamed table would otherwise
/// drop its section silently).
fn find<'a>(tables: &'a [PublishedTable], name: &str) -> Option<&'a PublishedTable> {
    assert!(
        crate::registry::find(name).is_some(),
        "the report reads the table {name}, which the registry does not declare"
    );
    tables.iter().find(|t| t.name() == name)
}

fn num(t: &PublishedTable, row: usize, column: &str) -> Option<f64> {
    t.cell(row, column).number().filter(|x| x.is_finite())
}

fn chart(figure: &Figure) -> ChartView {
    ChartView {
        id: figure.id.clone(),
        title: figure.title.clone(),
        svg: figures::svg(figure),
        description: figure.description.clone(),
    }
}

fn plural(n: f64, one: &str, many: &str) -> String {
    if (n - 1.0).abs() < f64::EPSILON {
        format!("1 {one}")
    } else {
        format!("{} {many}", count(n.round() as i64))
    }
}

/// A count as words for sentences: "about 175 people" once rounded, "an
/// undisclosed number of" when suppressed (a `*` may hide a small count, or a
/// larger one withheld so that a small one cannot be worked out).
fn people(cell: &Cell, noun: &str, rounded: bool) -> String {
    match cell {
        Cell::Suppressed => format!("an undisclosed number of {noun}"),
        c => match c.number() {
            Some(n) if rounded && n > 0.0 => format!("about {} {noun}", count(n.round() as i64)),
            Some(n) => format!("{} {noun}", count(n.round() as i64)),
            None => format!("no {noun}"),
        },
    }
}

// --- The report -----------------------------------------------------------

/// Everything the commissioner template receives.
#[derive(Serialize)]
struct CommissionerContext<'a> {
    stamp: &'a Stamp,
    headlines: &'a [String],
    warnings: &'a [String],
    reach: Section,
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
    funnels: Vec<Section>,
    spc: Section,
}

/// Build both reports.
pub fn render(inputs: &ReportInputs) -> Result<Rendered> {
    let rounded = !inputs.stamp.not_for_publication;
    let tables = inputs.tables;
    let mut figures = Vec::new();
    let mut charts: Vec<ChartView> = Vec::new();
    // A headline figure: drawn in its section, saved as a chart, and charted in the workbook.
    let mut keep = |section: &mut Section, figure: Figure| {
        let view = chart(&figure);
        charts.push(view.clone());
        section.charts.push(view);
        figures.push(figure);
    };

    let mut reach = reach_section(tables);
    if let Some(f) = monthly_referrals_figure(tables) {
        keep(&mut reach, f);
    }
    if let Some(f) = sources_figure(tables) {
        keep(&mut reach, f);
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
    let (mut benchmarking, funnel_sections) = benchmark_sections(tables, inputs.benchmarks);
    let spc_section = spc_section(inputs.benchmarks);
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
                    person,
                    community,
                    health,
                    benchmarking,
                    quality,
                    limitations,
                    methods: methods(),
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

// --- Sections ---------------------------------------------------------------

/// The overall share of accepted referrals in the outcome cohort with a follow-up.
fn follow_up_row(tables: &[PublishedTable]) -> Option<(&PublishedTable, usize)> {
    let q = find(tables, "data_quality")?;
    let r = q
        .rows_where(&[("breakdown", "all"), ("item", "follow_up_recorded")])
        .next()?;
    Some((q, r))
}

fn reach_section(tables: &[PublishedTable]) -> Section {
    let mut s = Section {
        id: "reach".into(),
        title: "Referrals and reach".into(),
        ..Section::default()
    };
    s.intro.push("Referrals count by the date they were received. Rates are per 1,000 people registered with the practices in the extract.".into());
    if let Some(t) = find(tables, "service_uptake") {
        let rows: Vec<usize> = (0..t.rows.len()).collect();
        s.tables.push(view(
            t,
            &rows,
            &[
                Col("Quarter", "quarter", Fmt::Text),
                Col("Referred", "referred", Fmt::Count),
                Col("Accepted", "accepted_share", Fmt::Percent),
                Col("Declined", "declined_share", Fmt::Percent),
                Col("Did not attend", "did_not_attend_share", Fmt::Percent),
                Col(
                    "Median days to first contact",
                    "median_days_to_first_contact",
                    Fmt::Fixed(0),
                ),
                Col(
                    "Contacts per accepted referral",
                    "mean_contacts_per_accepted",
                    Fmt::Fixed(1),
                ),
            ],
            "Uptake and timeliness by quarter",
            "Percentages are of referrals received in the quarter.",
        ));
    }
    if let Some(t) = find(tables, "equity") {
        let rows: Vec<usize> = t
            .rows_where(&[])
            .filter(|&r| t.text(r, "breakdown") != "all")
            .collect();
        s.tables.push(view(
            t,
            &rows,
            &[
                Col("Breakdown", "breakdown", Fmt::Text),
                Col("Group", "group", Fmt::Text),
                Col("Referrals", "referrals", Fmt::Count),
                Col("Rate per 1,000", "rate_per_1000", Fmt::Fixed(1)),
                Col("Rate ratio", "rate_ratio", Fmt::Fixed(2)),
                Col("Declined", "declined_share", Fmt::Percent),
                Col("Follow-up recorded", "completed_share", Fmt::Percent),
            ],
            "Equity: who is referred, who declines and whose outcomes are recorded",
            "The rate ratio compares a group's referral rate with everyone else's in the same breakdown; above 1, the group is referred more often.",
        ));
    }
    s
}

fn monthly_referrals_figure(tables: &[PublishedTable]) -> Option<Figure> {
    let t = find(tables, "spc")?;
    let rows: Vec<usize> = t.rows_where(&[("measure", "monthly_referrals")]).collect();
    if rows.is_empty() {
        return None;
    }
    let values: Vec<Option<f64>> = rows.iter().map(|&r| num(t, r, "value")).collect();
    let suppressed = values.iter().filter(|v| v.is_none()).count();
    Some(Figure {
        id: "monthly_referrals".into(),
        title: "Referrals received per month".into(),
        description: format!(
            "Line chart of referrals received in each of {} months, from {} to {}{}.",
            rows.len(),
            t.text(rows[0], "month"),
            t.text(rows[rows.len() - 1], "month"),
            if suppressed > 0 {
                format!(
                    "; {suppressed} months whose counts are withheld to protect privacy are not shown"
                )
            } else {
                String::new()
            }
        ),
        kind: FigureKind::Line,
        axis: "Referrals".into(),
        categories: rows
            .iter()
            .map(|&r| t.text(r, "month").chars().take(7).collect())
            .collect(),
        series: vec![Series::values("Referrals", values)],
    })
}

fn sources_figure(tables: &[PublishedTable]) -> Option<Figure> {
    let t = find(tables, "service_referrals")?;
    let period_rows: Vec<usize> = t
        .rows_where(&[("breakdown", "referral_source")])
        .filter(|&r| t.text(r, "quarter") == "all")
        .collect();
    let rows = if period_rows.is_empty() {
        let last = t
            .rows_where(&[("breakdown", "referral_source")])
            .map(|r| t.text(r, "quarter").to_string())
            .max()?;
        t.rows_where(&[("breakdown", "referral_source")])
            .filter(|&r| t.text(r, "quarter") == last)
            .collect()
    } else {
        period_rows
    };
    if rows.is_empty() {
        return None;
    }
    let quarter = t.text(rows[0], "quarter").to_string();
    let values: Vec<Option<f64>> = rows.iter().map(|&r| num(t, r, "referrals")).collect();
    let described: Vec<String> = rows
        .iter()
        .map(|&r| {
            format!(
                "{} {}",
                t.text(r, "group").replace('_', " "),
                show(t.cell(r, "referrals"), Fmt::Count)
            )
        })
        .collect();
    Some(Figure {
        id: "referral_sources".into(),
        title: format!(
            "Referrals by source, {}",
            if quarter == "all" {
                "the period".to_string()
            } else {
                quarter
            }
        ),
        description: format!(
            "Bar chart of referrals by source: {}.",
            described.join(", ")
        ),
        kind: FigureKind::Bars,
        axis: "Referrals".into(),
        categories: rows
            .iter()
            .map(|&r| t.text(r, "group").replace('_', " "))
            .collect(),
        series: vec![Series::values("Referrals", values)],
    })
}

/// The report's headline score: the one with the most pairs among those with a
/// reliable-change rule and an interval (else among all).
fn headline_score(t: &PublishedTable) -> Option<usize> {
    let most_pairs = |rows: Vec<usize>| {
        rows.into_iter().max_by(|&a, &b| {
            let pa = num(t, a, "pairs").unwrap_or(-1.0);
            let pb = num(t, b, "pairs").unwrap_or(-1.0);
            pa.total_cmp(&pb).then(b.cmp(&a))
        })
    };
    let overall: Vec<usize> = t.rows_where(&[("breakdown", "all")]).collect();
    let complete: Vec<usize> = overall
        .iter()
        .copied()
        .filter(|&r| {
            num(t, r, "reliably_improved_share").is_some() && num(t, r, "change_lower").is_some()
        })
        .collect();
    most_pairs(complete).or_else(|| most_pairs(overall))
}

fn person_section(
    tables: &[PublishedTable],
    min_pairs: usize,
    policy: crate::disclosure::Policy,
) -> Section {
    let mut s = Section {
        id: "person".into(),
        title: "Impact on the person".into(),
        ..Section::default()
    };
    let Some(change) = find(tables, "wellbeing_change") else {
        s.empty = "No wellbeing assessments were found.".into();
        return s;
    };
    let cohort = change
        .rows
        .first()
        .map(|_| change.text(0, "cohort").to_string())
        .unwrap_or_default();
    s.intro.push(format!(
        "Each person's wellbeing questionnaire at the start of support (baseline) is compared with their last one at least six weeks later (follow-up), for the same person. The outcome cohort is accepted referrals {}. With fewer than {min_pairs} pairs, intervals and tests are withheld.",
        if cohort.contains("received") { "received in the period" } else { "whose support ended in the period" }
    ));
    s.intro.push("A change is reliable when it is larger than the questionnaire's measurement error (the reliable change index); the share reliably improved is the share whose own change passed that bar.".into());
    let overall: Vec<usize> = change.rows_where(&[("breakdown", "all")]).collect();
    if overall.is_empty() {
        s.empty = "No paired wellbeing assessments in the outcome cohort: the attrition funnel below shows where they were lost.".into();
    }
    let mut t = view(
        change,
        &overall,
        &[
            Col("Score", "score_label", Fmt::Text),
            Col("Pairs", "pairs", Fmt::Count),
            Col("Baseline mean", "mean_baseline", Fmt::Fixed(2)),
            Col("Follow-up mean", "mean_follow_up", Fmt::Fixed(2)),
            Col("Change (95% CI)", "mean_change", Fmt::Signed(2)),
            Col("Reliably improved", "reliably_improved_share", Fmt::Percent),
            Col(
                "Reliably deteriorated",
                "reliably_deteriorated_share",
                Fmt::Percent,
            ),
            Col("Left the low band", "left_low_band", Fmt::Count),
            Col("Entered the low band", "entered_low_band", Fmt::Count),
        ],
        "Paired change by score, follow-up minus baseline",
        format!(
            "For loneliness (UCLA-3) and anxiety, a fall is an improvement. * {}, or suppressed so that such a figure cannot be worked out.",
            policy.withheld_wording()
        ),
    );
    for (i, &r) in overall.iter().enumerate() {
        t.rows[i][4] = interval(change, r, "mean_change", "change_lower", "change_upper", 2);
    }
    s.tables.push(t);
    if let Some(h) = headline_score(change) {
        let score = change.text(h, "score").to_string();
        let rows: Vec<usize> = change
            .rows_where(&[("score", score.as_str())])
            .filter(|&r| change.text(r, "breakdown") != "all")
            .collect();
        let mut t = view(
            change,
            &rows,
            &[
                Col("Breakdown", "breakdown", Fmt::Text),
                Col("Group", "group", Fmt::Text),
                Col("Pairs", "pairs", Fmt::Count),
                Col("Change (95% CI)", "mean_change", Fmt::Signed(2)),
                Col("Reliably improved", "reliably_improved_share", Fmt::Percent),
            ],
            format!("{} by subgroup", change.text(h, "score_label")),
            "Subgroups with few pairs have wide intervals or none; differences between subgroups are not tested.",
        );
        for (i, &r) in rows.iter().enumerate() {
            t.rows[i][3] = interval(change, r, "mean_change", "change_lower", "change_upper", 2);
        }
        s.tables.push(t);
    }
    if let Some(funnel) = find(tables, "wellbeing_attrition_funnel") {
        let rows: Vec<usize> = (0..funnel.rows.len()).collect();
        s.tables.push(view(
            funnel,
            &rows,
            &[
                Col("Instrument", "instrument", Fmt::Text),
                Col("Stage", "stage", Fmt::Text),
                Col("Referral episodes", "count", Fmt::Count),
                Col("Lost before this stage", "lost_before_stage", Fmt::Count),
                Col("Why", "reason_lost", Fmt::Text),
            ],
            "Attrition: from referral to a paired assessment",
            "",
        ));
    }
    if let Some(bias) = find(tables, "wellbeing_attrition_bias") {
        let rows: Vec<usize> = (0..bias.rows.len()).collect();
        s.tables.push(view(
            bias,
            &rows,
            &[
                Col("Score", "score", Fmt::Text),
                Col("With follow-up", "with_follow_up", Fmt::Count),
                Col("Their baseline mean", "mean_baseline_with_follow_up", Fmt::Fixed(2)),
                Col("Without follow-up", "without_follow_up", Fmt::Count),
                Col("Their baseline mean", "mean_baseline_without_follow_up", Fmt::Fixed(2)),
                Col("Standardised difference", "standardised_mean_difference", Fmt::Signed(2)),
            ],
            "Did the people followed up start differently?",
            "A standardised difference beyond ±0.1 means those followed up started differently from those who were not, so the average change may not describe everyone.",
        ));
    }
    s
}

fn person_figures(tables: &[PublishedTable]) -> Vec<Figure> {
    let mut out = Vec::new();
    if let Some(funnel) = find(tables, "wellbeing_attrition_funnel") {
        let mut instruments: Vec<String> = Vec::new();
        let mut stages: Vec<String> = Vec::new();
        for r in 0..funnel.rows.len() {
            let i = funnel.text(r, "instrument").to_string();
            let s = funnel.text(r, "stage").to_string();
            if !instruments.contains(&i) {
                instruments.push(i);
            }
            if !stages.contains(&s) {
                stages.push(s);
            }
        }
        let series: Vec<Series> = instruments
            .iter()
            .take(4)
            .map(|i| {
                Series::values(
                    i.clone(),
                    stages
                        .iter()
                        .map(|s| {
                            funnel
                                .rows_where(&[("instrument", i.as_str()), ("stage", s.as_str())])
                                .next()
                                .and_then(|r| num(funnel, r, "count"))
                        })
                        .collect(),
                )
            })
            .collect();
        if !series.is_empty() {
            out.push(Figure {
                id: "attrition_funnel".into(),
                title: "From referral to a paired assessment".into(),
                description: format!(
                    "Bar chart of referral episodes reaching each stage ({}) for {}.",
                    stages.join(", "),
                    instruments
                        .iter()
                        .take(4)
                        .cloned()
                        .collect::<Vec<_>>()
                        .join(", ")
                ),
                kind: FigureKind::Bars,
                axis: "Referral episodes".into(),
                categories: stages.clone(),
                series,
            });
        }
    }
    if let Some(change) = find(tables, "wellbeing_change") {
        let rows: Vec<usize> = change
            .rows_where(&[("breakdown", "all")])
            .filter(|&r| num(change, r, "d_z_lower").is_some())
            .collect();
        if !rows.is_empty() {
            let described: Vec<String> = rows
                .iter()
                .map(|&r| {
                    format!(
                        "{} {}",
                        change.text(r, "score_label"),
                        interval(change, r, "d_z", "d_z_lower", "d_z_upper", 2)
                    )
                })
                .collect();
            out.push(Figure {
                id: "wellbeing_change".into(),
                title: "Standardised change in wellbeing, with 95% intervals".into(),
                description: format!(
                    "Standardised paired change (Cohen's d_z) by score: {}. Above zero the score rose; for loneliness and anxiety a fall is an improvement.",
                    described.join("; ")
                ),
                kind: FigureKind::Intervals,
                axis: "Cohen's d_z (change in standard deviations)".into(),
                categories: rows.iter().map(|&r| change.text(r, "score_label").to_string()).collect(),
                series: vec![Series {
                    name: "d_z".into(),
                    values: rows.iter().map(|&r| num(change, r, "d_z")).collect(),
                    lower: rows.iter().map(|&r| num(change, r, "d_z_lower")).collect(),
                    upper: rows.iter().map(|&r| num(change, r, "d_z_upper")).collect(),
                }],
            });
        }
    }
    out
}

fn community_section(tables: &[PublishedTable]) -> Section {
    let mut s = Section {
        id: "community".into(),
        title: "Impact on community groups".into(),
        ..Section::default()
    };
    s.intro.push("Onward referrals connect people to voluntary, community and social enterprise (VCSE) groups and statutory services.".into());
    if let Some(t) = find(tables, "community_summary") {
        let cols = [
            (
                "Organisations receiving referrals",
                "organisations",
                Fmt::Count,
            ),
            ("Onward referrals", "onward_referrals", Fmt::Count),
            (
                "Onward referrals per organisation",
                "referrals_per_organisation",
                Fmt::Fixed(1),
            ),
            (
                "New groups (started in the period)",
                "new_groups",
                Fmt::Count,
            ),
            (
                "Groups appearing for the first time",
                "newly_appearing",
                Fmt::Count,
            ),
            ("Attended at least once", "attended_share", Fmt::Percent),
        ];
        if !t.rows.is_empty() {
            s.tables.push(TableView {
                caption: "Community groups in the period".into(),
                headers: vec!["Measure".into(), "Value".into()],
                numeric: vec![false, true],
                rows: cols
                    .iter()
                    .map(|(label, column, fmt)| {
                        vec![label.to_string(), show(t.cell(0, column), *fmt)]
                    })
                    .collect(),
                note: "Attendance is a share of onward referrals with attendance recorded.".into(),
            });
        }
    }
    if let Some(t) = find(tables, "community_organisations") {
        let mut rows: Vec<usize> = (0..t.rows.len()).collect();
        rows.sort_by(|&a, &b| {
            num(t, b, "people")
                .unwrap_or(-1.0)
                .total_cmp(&num(t, a, "people").unwrap_or(-1.0))
                .then(a.cmp(&b))
        });
        rows.truncate(15);
        s.tables.push(view(
            t,
            &rows,
            &[
                Col("Organisation", "name", Fmt::Text),
                Col("Category", "category", Fmt::Text),
                Col("People referred", "people", Fmt::Count),
                Col("Onward referrals", "onward_referrals", Fmt::Count),
                Col("Attended", "attended", Fmt::Count),
            ],
            "The organisations receiving the most people",
            "Names as recorded in the extract. The full list is in the workbook and tables.",
        ));
    }
    if s.tables.is_empty() {
        s.empty = "No onward referrals were recorded in the period.".into();
    }
    s
}

const RTM_EXPLANATION: &str = "People are usually referred when things are at their worst, so their use of services is often unusually high just before referral and would fall afterwards even without any help: regression to the mean. A simple before-and-after comparison therefore overstates the effect. The comparison-cohort estimate sets the referred people's change against the change of similar people (same practice, age band, sex, deprivation and recent GP use) who were not referred, or who were referred and declined; the difference between the two changes (difference-in-differences) is the better estimate of the effect.";

fn health_section(tables: &[PublishedTable], warnings: &[String]) -> Section {
    let mut s = Section {
        id: "health".into(),
        title: "Impact on the health and care system".into(),
        ..Section::default()
    };
    s.intro.push(RTM_EXPLANATION.into());
    s.cautions.extend(warnings.iter().cloned());
    let Some(ba) = find(tables, "health_before_after").filter(|t| !t.rows.is_empty()) else {
        s.empty = "No health and care events were found for the referred people: no comparison was possible.".into();
        return s;
    };
    let did = find(tables, "health_difference_in_differences");
    let mut t = view(
        ba,
        &(0..ba.rows.len()).collect::<Vec<_>>(),
        &[
            Col("Months", "window_months", Fmt::Text),
            Col("Setting", "setting_label", Fmt::Text),
            Col("People", "people", Fmt::Count),
            Col("Rate before", "mean_before_rate", Fmt::Fixed(2)),
            Col("Rate after", "mean_after_rate", Fmt::Fixed(2)),
            Col("Naive change (95% CI)", "mean_change", Fmt::Signed(2)),
            Col("Against never referred (95% CI)", "mean_change", Fmt::Text),
            Col("Against declined (95% CI)", "mean_change", Fmt::Text),
        ],
        "Events per person-year before and after referral: naive change beside the comparison-cohort estimate",
        "Rates are events per person-year; a negative change is a fall in use. Comparison estimates are differences-in-differences against matched comparators, with bootstrap intervals.",
    );
    for r in 0..ba.rows.len() {
        t.rows[r][0] = show(ba.cell(r, "window_months"), Fmt::Count);
        t.rows[r][5] = interval(ba, r, "mean_change", "change_lower", "change_upper", 2);
        let setting = ba.text(r, "setting").to_string();
        let months = ba.cell(r, "window_months").display();
        for (column, pool) in [(6, "never_referred"), (7, "declined")] {
            t.rows[r][column] = did
                .and_then(|d| {
                    (0..d.rows.len())
                        .find(|&i| {
                            d.text(i, "pool") == pool
                                && d.text(i, "setting") == setting
                                && d.cell(i, "window_months").display() == months
                        })
                        .map(|i| interval(d, i, "did", "did_lower", "did_upper", 2))
                })
                .unwrap_or_else(|| "no comparison".into());
        }
    }
    s.tables.push(t);
    if let Some(m) = find(tables, "health_matching") {
        s.tables.push(view(
            m,
            &(0..m.rows.len()).collect::<Vec<_>>(),
            &[
                Col("Comparison pool", "pool", Fmt::Text),
                Col("Referred people", "cases", Fmt::Count),
                Col("Matched", "matched_sets", Fmt::Count),
                Col("Not matched", "unmatched", Fmt::Count),
                Col("Comparators", "comparators", Fmt::Count),
                Col("Matched within", "match_unit", Fmt::Text),
            ],
            "How the referred were matched",
            "The comparison describes the matched people only.",
        ));
    }
    if let Some(b) = find(tables, "health_baseline_bands") {
        s.tables.push(view(
            b,
            &(0..b.rows.len()).collect::<Vec<_>>(),
            &[
                Col("Months", "window_months", Fmt::Count),
                Col("Who", "group", Fmt::Text),
                Col("GP use before", "baseline_band", Fmt::Text),
                Col("Setting", "setting", Fmt::Text),
                Col("People", "people", Fmt::Count),
                Col("Rate before", "mean_before_rate", Fmt::Fixed(2)),
                Col("Rate after", "mean_after_rate", Fmt::Fixed(2)),
                Col("Change", "mean_change", Fmt::Signed(2)),
            ],
            "Regression to the mean: change by how much people used their GP before",
            "The heaviest users fall most, referred or not: that fall is not an effect of social prescribing.",
        ));
    }
    s
}

fn health_figure(tables: &[PublishedTable]) -> Option<Figure> {
    let ba = find(tables, "health_before_after")?;
    let months = (0..ba.rows.len())
        .filter_map(|r| num(ba, r, "window_months"))
        .fold(f64::NAN, f64::max);
    if !months.is_finite() {
        return None;
    }
    let rows: Vec<usize> = (0..ba.rows.len())
        .filter(|&r| num(ba, r, "window_months") == Some(months))
        .collect();
    let did = find(tables, "health_difference_in_differences");
    let pick = |pool: &str, r: usize, c: &str| -> Option<f64> {
        let d = did?;
        let setting = ba.text(r, "setting");
        (0..d.rows.len())
            .find(|&i| {
                d.text(i, "pool") == pool
                    && d.text(i, "setting") == setting
                    && num(d, i, "window_months") == Some(months)
            })
            .and_then(|i| num(d, i, c))
    };
    let mut series = vec![Series {
        name: "Naive before/after".into(),
        values: rows.iter().map(|&r| num(ba, r, "mean_change")).collect(),
        lower: rows.iter().map(|&r| num(ba, r, "change_lower")).collect(),
        upper: rows.iter().map(|&r| num(ba, r, "change_upper")).collect(),
    }];
    for (pool, name) in [
        ("never_referred", "Against never referred"),
        ("declined", "Against declined"),
    ] {
        series.push(Series {
            name: name.into(),
            values: rows.iter().map(|&r| pick(pool, r, "did")).collect(),
            lower: rows.iter().map(|&r| pick(pool, r, "did_lower")).collect(),
            upper: rows.iter().map(|&r| pick(pool, r, "did_upper")).collect(),
        });
    }
    let described: Vec<String> = rows
        .iter()
        .map(|&r| {
            format!(
                "{}: naive {}",
                ba.text(r, "setting_label"),
                interval(ba, r, "mean_change", "change_lower", "change_upper", 2)
            )
        })
        .collect();
    Some(Figure {
        id: "health_comparison".into(),
        title: format!("Change in service use, {months} months before and after referral"),
        description: format!(
            "Interval chart of the change in events per person-year by setting, naive and against matched comparators. {}.",
            described.join("; ")
        ),
        kind: FigureKind::Intervals,
        axis: "Change in events per person-year".into(),
        categories: rows
            .iter()
            .map(|&r| ba.text(r, "setting_label").to_string())
            .collect(),
        series,
    })
}

/// A published funnel with its withheld units left out of the plot; returns
/// how many were left out.
fn plotted_funnel(f: &FunnelResult) -> (FunnelResult, usize) {
    let mut out = f.clone();
    let (units, limits): (Vec<_>, Vec<_>) = f
        .measure
        .units
        .iter()
        .cloned()
        .zip(f.unit_limits.iter().copied())
        .filter(|(u, _)| !u.hidden)
        .unzip();
    let dropped = f.measure.units.len() - units.len();
    out.measure.units = units;
    out.unit_limits = limits;
    (out, dropped)
}

fn benchmark_sections(tables: &[PublishedTable], b: &Benchmarks) -> (Section, Vec<Section>) {
    let mut summary = Section {
        id: "benchmarking".into(),
        title: "Benchmarking".into(),
        ..Section::default()
    };
    summary.intro.push("Funnel plots compare primary care networks (PCNs) with the pooled value: points outside the 95% limits differ more than chance would explain, outside the 99.8% limits very probably. The PCN benchmarking report has each PCN's figures.".into());
    let units = find(tables, "benchmark_funnel_units");
    let mut sections = Vec::new();
    for f in &b.funnels {
        let (shown, dropped) = plotted_funnel(f);
        let id = format!("funnel_{}", f.measure.name);
        let svg = super::charts::funnel_svg(&shown);
        let description = format!(
            "Funnel plot of {} across {} PCNs; limits by {}.{}",
            f.measure.label.to_lowercase(),
            f.measure.units.len(),
            f.method,
            if dropped > 0 {
                format!(" {dropped} PCNs with a count withheld to protect privacy are not plotted.")
            } else {
                String::new()
            }
        );
        let chart = ChartView {
            id: id.clone(),
            title: f.measure.label.clone(),
            svg,
            description,
        };
        let mut s = Section {
            id: f.measure.name.clone(),
            title: f.measure.label.clone(),
            charts: vec![chart],
            ..Section::default()
        };
        if let Some(t) = units {
            let rows: Vec<usize> = t
                .rows_where(&[("measure", f.measure.name.as_str())])
                .collect();
            s.tables.push(view(
                t,
                &rows,
                &[
                    Col("PCN", "unit", Fmt::Text),
                    Col("Numerator", "numerator", Fmt::Count),
                    Col("Denominator", "denominator", Fmt::Count),
                    Col("Value", "value", Fmt::Fixed(3)),
                    Col("Lower 95%", "lower95", Fmt::Fixed(3)),
                    Col("Upper 95%", "upper95", Fmt::Fixed(3)),
                    Col("Compared with the rest", "flag", Fmt::Text),
                ],
                format!("{} by PCN", f.measure.label),
                format!("Limits: {}.", f.method),
            ));
        }
        sections.push(s);
    }
    if let Some(t) = find(tables, "benchmark_overdispersion") {
        summary.tables.push(view(
            t,
            &(0..t.rows.len()).collect::<Vec<_>>(),
            &[
                Col("Measure", "measure", Fmt::Text),
                Col("PCNs", "units", Fmt::Count),
                Col("Overdispersion φ", "phi", Fmt::Fixed(2)),
                Col("p", "p_overdispersion", Fmt::Fixed(3)),
                Col("Limits used", "method", Fmt::Text),
            ],
            "Do PCNs vary more than chance alone would explain?",
            format!(
                "Where they do (p below {}), the limits are widened so that only real outliers are flagged.",
                crate::measures::benchmark::OVERDISPERSION_LEVEL
            ),
        ));
    }
    (summary, sections)
}

/// SPC charts as published; a chart with a withheld month is left out.
fn spc_section(b: &Benchmarks) -> Section {
    let mut s = Section {
        id: "spc".into(),
        title: "Month by month".into(),
        ..Section::default()
    };
    for chart in &b.spc {
        if chart.hidden() {
            s.intro.push(format!(
                "{}: not charted, as some months' counts are withheld to protect privacy.",
                chart.label
            ));
            continue;
        }
        s.charts.push(ChartView {
            id: format!("spc_{}", chart.name),
            title: chart.label.clone(),
            svg: super::charts::spc_svg(chart),
            description: format!(
                "XmR chart of {} over {} months.{}",
                chart.label.to_lowercase(),
                chart.chart.points.len(),
                chart
                    .chart
                    .warnings
                    .iter()
                    .map(|w| format!(" {w}."))
                    .collect::<String>()
            ),
        });
    }
    if s.charts.is_empty() && s.intro.is_empty() {
        s.empty = "No monthly series to chart.".into();
    }
    s
}

fn quality_section(tables: &[PublishedTable], quarantined: u64) -> Section {
    let mut s = Section {
        id: "quality".into(),
        title: "Data quality".into(),
        ..Section::default()
    };
    s.intro.push(if quarantined > 0 {
        format!(
            "{} rows of the extracts failed validation and were quarantined (kept aside with the reason, not counted here); see the warehouse's quarantine table.",
            count(quarantined as i64)
        )
    } else {
        "Every row of the extracts passed validation.".to_string()
    });
    if let Some(t) = find(tables, "data_quality") {
        let rows: Vec<usize> = t.rows_where(&[("breakdown", "all")]).collect();
        s.tables.push(view(
            t,
            &rows,
            &[
                Col("Item", "description", Fmt::Text),
                Col("Count", "count", Fmt::Count),
                Col("Of", "denominator", Fmt::Count),
                Col("Share", "share", Fmt::Percent),
            ],
            "Completeness and consistency of the referral records",
            "By practice and by link worker in the workbook and tables.",
        ));
    }
    s
}

// --- Words from the data -----------------------------------------------------

fn headlines(tables: &[PublishedTable], rounded: bool) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(q) = find(tables, "data_quality")
        && let Some(r) = q
            .rows_where(&[("breakdown", "all"), ("item", "accepted")])
            .next()
    {
        out.push(format!(
            "{} were received in the period; {} of them were accepted.",
            people(q.cell(r, "denominator"), "referrals", rounded),
            show(q.cell(r, "share"), Fmt::Percent)
        ));
    }
    if let Some(c) = find(tables, "wellbeing_change")
        && let Some(h) = headline_score(c)
    {
        let label = c.text(h, "score_label");
        let direction = match num(c, h, "mean_change") {
            Some(x) if x > 0.0 => "rose",
            Some(x) if x < 0.0 => "fell",
            _ => "did not change",
        };
        let (mean, lower, upper) = (
            num(c, h, "mean_change"),
            num(c, h, "change_lower"),
            num(c, h, "change_upper"),
        );
        let dp = places(&[mean, lower, upper].map(|x| x.unwrap_or(0.0)), 2);
        let change = mean.map_or_else(|| "*".to_string(), |x| format!("{:.dp$}", x.abs()));
        let ci = match (lower, upper) {
            (Some(l), Some(u)) => format!(
                " (95% confidence interval {:+.dp$} to {:+.dp$})",
                l + 0.0,
                u + 0.0
            ),
            _ => " (too few pairs for an interval)".to_string(),
        };
        out.push(format!(
            "Among {} with a wellbeing score at the start and at follow-up, {label} {direction} by {change} points on average{ci}; {} improved by more than the questionnaire's measurement error.",
            people(c.cell(h, "pairs"), "people", rounded),
            show(c.cell(h, "reliably_improved_share"), Fmt::Percent)
        ));
    }
    if let Some((q, r)) = follow_up_row(tables) {
        out.push(format!(
            "A follow-up questionnaire was recorded for {} of accepted referrals in the outcome cohort.",
            show(q.cell(r, "share"), Fmt::Percent)
        ));
    }
    if let Some(ba) = find(tables, "health_before_after") {
        let did = find(tables, "health_difference_in_differences");
        let gp: Vec<usize> = ba.rows_where(&[("setting", "gp_appointment")]).collect();
        if let Some(&r) = gp.iter().max_by(|&&a, &&b| {
            num(ba, a, "window_months")
                .unwrap_or(0.0)
                .total_cmp(&num(ba, b, "window_months").unwrap_or(0.0))
        }) {
            let months = ba.cell(r, "window_months").display();
            let mut sentence = format!(
                "GP appointments changed by {} a person-year in the {months} months after referral against the {months} months before; ",
                interval(ba, r, "mean_change", "change_lower", "change_upper", 2)
            );
            let comparison = did.and_then(|d| {
                (0..d.rows.len())
                    .find(|&i| {
                        d.text(i, "pool") == "never_referred"
                            && d.text(i, "setting") == "gp_appointment"
                            && d.cell(i, "window_months").display() == months
                            && num(d, i, "did").is_some()
                    })
                    .map(|i| (d, i))
            });
            match comparison {
                Some((d, i)) => sentence.push_str(&format!(
                    "set against matched people who were never referred, the change was {} (difference-in-differences, 95% CI), the better estimate of the effect.",
                    interval(d, i, "did", "did_lower", "did_upper", 2)
                )),
                None => sentence.push_str("no comparison cohort was available, so part of this change may be regression to the mean."),
            }
            out.push(sentence);
        }
    }
    if let Some(c) = find(tables, "community_summary")
        && !c.rows.is_empty()
    {
        out.push(format!(
            "{} received onward referrals in the period, {} of them new groups.",
            // Organisations are not people: their counts are exact.
            people(c.cell(0, "organisations"), "community organisations", false),
            match c.cell(0, "new_groups") {
                Cell::Suppressed => "an undisclosed number".to_string(),
                other => show(other, Fmt::Count),
            }
        ));
    }
    out.into_iter().map(|s| capitalise(&s)).collect()
}

fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

fn limitations(tables: &[PublishedTable], inputs: &ReportInputs) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((q, r)) = follow_up_row(tables) {
        out.push(format!(
            "Follow-up was recorded for {} of accepted referrals in the outcome cohort: the wellbeing results describe the people followed up, not everyone supported.",
            show(q.cell(r, "share"), Fmt::Percent)
        ));
    }
    if let Some(b) = find(tables, "wellbeing_attrition_bias") {
        for r in 0..b.rows.len() {
            if let Some(d) = num(b, r, "standardised_mean_difference")
                && d.abs() > 0.1
            {
                out.push(format!(
                    "For {}, people with a follow-up started {} than those without (standardised difference {d:+.2}), so the average change may flatter or understate the service.",
                    b.text(r, "score"),
                    if d > 0.0 { "higher" } else { "lower" }
                ));
            }
        }
    }
    if let Some(c) = find(tables, "wellbeing_change") {
        let few: Vec<String> = c
            .rows_where(&[("breakdown", "all")])
            .filter(|&r| num(c, r, "change_lower").is_none())
            .map(|r| c.text(r, "score_label").to_string())
            .collect();
        if !few.is_empty() {
            out.push(format!(
                "Fewer than {} pairs for {}: averages are shown without intervals or tests.",
                inputs.min_pairs,
                few.join(", ")
            ));
        }
        if c.rows_where(&[("breakdown", "all")]).next().is_none() {
            out.push(
                "No paired wellbeing assessments: no change in wellbeing can be reported.".into(),
            );
        }
    }
    out.push("Without a randomised comparison, wellbeing change cannot be attributed to social prescribing alone: scores also move with time, seasons and regression to the mean.".into());
    match find(tables, "health_matching") {
        Some(m) if !m.rows.is_empty() => {
            let rounded = !inputs.stamp.not_for_publication;
            for r in 0..m.rows.len() {
                let pool = m.text(r, "pool").replace('_', " ");
                let (sets, cases) = (m.cell(r, "matched_sets"), m.cell(r, "cases"));
                match (sets, sets.number(), cases.number()) {
                    // Withheld: few, but not none.
                    (Cell::Suppressed, _, _) => out.push(format!(
                        "Too few referred people found a {pool} comparator to show how many: its estimates are too uncertain to rely on."
                    )),
                    (_, Some(0.0), _) => out.push(format!(
                        "No comparison cohort available from the {pool} pool: its estimates are missing."
                    )),
                    (_, Some(s), _) if s < crate::measures::health::WARN_FEW_SETS as f64 => {
                        out.push(format!(
                            "The {pool} comparison rests on {}: its intervals are wide.",
                            people(sets, "matched people", rounded)
                        ));
                    }
                    (_, Some(s), Some(c)) if c > 0.0 && s / c < 0.5 => out.push(format!(
                        "Only {} of {} found a {pool} comparator: the comparison describes those matched.",
                        people(sets, "", rounded).trim_end(),
                        people(cases, "referred people", rounded)
                    )),
                    _ => {}
                }
            }
        }
        _ => out.push("No comparison cohort available: health and care system changes are naive before-and-after figures, which regression to the mean inflates.".into()),
    }
    if let Some(b) = find(tables, "health_balance") {
        let unbalanced: std::collections::BTreeSet<String> = (0..b.rows.len())
            .filter(|&r| {
                b.text(r, "stage") == "after" && num(b, r, "smd").is_some_and(|d| d.abs() >= 0.1)
            })
            .map(|r| {
                format!(
                    "{} ({})",
                    b.text(r, "variable").replace('_', " "),
                    b.text(r, "pool").replace('_', " ")
                )
            })
            .collect();
        if !unbalanced.is_empty() {
            out.push(format!(
                "After matching, referred people and comparators still differed (standardised difference 0.1 or more) on: {}.",
                unbalanced.into_iter().collect::<Vec<_>>().join(", ")
            ));
        }
    }
    if let Some(o) = find(tables, "benchmark_overdispersion")
        && let Some(units) = (0..o.rows.len())
            .filter_map(|r| num(o, r, "units"))
            .reduce(f64::max)
        && units < 10.0
    {
        out.push(format!(
            "Only {} PCNs to compare: funnel plots can flag only large differences.",
            units as i64
        ));
    }
    if let Some(t) = find(tables, "spc")
        && t.rows_where(&[]).any(|r| !t.text(r, "warnings").is_empty())
    {
        out.push(
            "Some SPC charts have fewer than 12 monthly points: their limits are provisional."
                .into(),
        );
    }
    if inputs.quarantined > 0 {
        out.push(format!(
            "{} rows failed validation and are left out of every figure.",
            count(inputs.quarantined as i64)
        ));
    }
    if let Some(q) = find(tables, "data_quality") {
        for r in q.rows_where(&[("breakdown", "all")]) {
            if let Some(share) = num(q, r, "share")
                && q.text(r, "item").ends_with("recorded")
                && share < 0.9
            {
                out.push(format!(
                    "{}: {:.0}% only, so breakdowns by it are incomplete.",
                    q.text(r, "description"),
                    100.0 * share
                ));
            }
        }
    }
    let suppressed: usize = crate::disclosure::suppressed_cells(tables).values().sum();
    if inputs.stamp.not_for_publication {
        out.push("No disclosure control was applied: NOT FOR PUBLICATION.".into());
    } else {
        out.push(format!(
            "Counts are {} and {} were suppressed to protect privacy, so totals may not add up exactly.",
            inputs.policy.rounding_wording(),
            plural(suppressed as f64, "cell", "cells")
        ));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    #[should_panic(
        expected = "the report reads the table service_referral, which the registry does not declare"
    )]
    fn a_section_reading_an_undeclared_table_fails() {
        let _ = find(&[], "service_referral");
    }

    #[test]
    #[should_panic(
        expected = "the report shows service_uptake.refered, which the table does not declare"
    )]
    fn a_report_column_that_is_not_declared_fails_even_with_no_rows() {
        let def = &crate::measures::service::SERVICE_UPTAKE;
        let empty = PublishedTable {
            def,
            roles: crate::disclosure::rules::roles(def),
            rows: Vec::new(),
        };
        let _ = view(
            &empty,
            &[],
            &[Col("Referred", "refered", Fmt::Count)],
            "",
            "",
        );
    }
}
