//! `pooled.html` (a forest plot and a table per group, in the reports'
//! style) and `pooled.xlsx` (a sheet per group), both drawn from the pooled
//! tables as written, so a figure on the page is the one in the tables.

use serde::Serialize;

use super::Source;
use crate::disclosure::{Cell, PublishedTable};
use crate::error::{Error, Result};
use crate::measures::table::{
    OutTable, Sums, TableBuilder, TableDef, int_label, num_label, text, text_value,
};
use crate::render::charts::forest::{ForestPlot, ForestRow};
use crate::render::report::{ChartView, Section, TableView};

/// The page's stand-in for an evaluation's stamp (its banner and head).
#[derive(Serialize)]
struct PageStamp {
    title: String,
    period: String,
    sprout_version: &'static str,
    not_for_publication: bool,
    files: usize,
}

/// What `pooled.html` is rendered from.
#[derive(Serialize)]
struct PageContext {
    stamp: PageStamp,
    sections: Vec<Section>,
    about: [String; 3],
    unpooled: TableView,
    sources: TableView,
}

/// A number as the page shows it: two decimals.
fn shown(x: f64) -> String {
    format!("{x:.2}")
}

/// The rows of `pooled_studies` (`studies`) in group `group`.
fn studies_of(studies: &PublishedTable, group: &str) -> Vec<usize> {
    (0..studies.rows.len())
        .filter(|&s| studies.cell(s, "group").display() == group)
        .collect()
}

/// What one group is, in words: "Mean change, SWEMWBS (cohort closed in the period)".
fn group_title(t: &PublishedTable, r: usize) -> String {
    let quantity = match t.text(r, "quantity") {
        "mean_change" => "Mean change",
        "reliably_improved_share" => "Share reliably improved",
        "did" => "Difference-in-differences in use",
        "cost_did" => "Difference-in-differences in cost",
        other => other,
    };
    let settings = t.text(r, "settings");
    if settings.is_empty() {
        format!("{quantity}, {}", t.text(r, "outcome_label"))
    } else {
        format!("{quantity}, {} ({settings})", t.text(r, "outcome_label"))
    }
}

/// `pooled.html` from the pooled tables (`pooled_estimates` first,
/// `pooled_studies` second) and the sources.
pub fn page(tables: &[PublishedTable], sources: &[Source]) -> Result<String> {
    let (estimates, studies) = (&tables[0], &tables[1]);
    let mut sections = Vec::new();
    let mut unpooled: Vec<Vec<String>> = Vec::new();
    for r in 0..estimates.rows.len() {
        let group = estimates.cell(r, "group").display();
        let title = group_title(estimates, r);
        let rows = studies_of(studies, &group);
        let mut section = Section {
            id: format!("group-{group}"),
            title: title.clone(),
            ..Section::default()
        };
        let note = estimates.text(r, "note");
        if !note.is_empty() {
            section.cautions.push(note.to_string());
        }
        let pooled = ["estimate", "lower", "upper"].map(|c| estimates.number(r, c));
        let [Some(estimate), Some(lower), Some(upper)] = pooled else {
            unpooled.push(vec![
                group.clone(),
                title,
                estimates.cell(r, "schemes").display(),
                note.to_string(),
            ]);
            continue;
        };
        {
            let better = estimates.text(r, "better");
            let prediction =
                match ["prediction_lower", "prediction_upper"].map(|c| estimates.number(r, c)) {
                    [Some(l), Some(u)] => Some((l, u)),
                    _ => None,
                };
            let mut intro = format!(
                "Pooled over {} schemes: {} (95% interval {} to {}; {}; {} is better). Between-scheme variance τ² {} ({}), I² {}%.",
                estimates.cell(r, "schemes_pooled").display(),
                shown(estimate),
                shown(lower),
                shown(upper),
                estimates.text(r, "interval_method"),
                better,
                estimates.number(r, "tau2").map_or_else(String::new, shown),
                estimates.text(r, "tau2_method"),
                estimates
                    .number(r, "i2")
                    .map_or_else(String::new, |i| format!("{:.0}", i * 100.0)),
            );
            if let Some((l, u)) = prediction {
                intro.push_str(&format!(
                    " A new scheme's effect would lie between {} and {} (95% prediction interval).",
                    shown(l),
                    shown(u)
                ));
            }
            if let Some(p) = estimates.number(r, "egger_p") {
                intro.push_str(&format!(
                    " Egger's test of small-scheme effects: p = {}.",
                    crate::text::significant(p, 2)
                ));
            }
            section.intro.push(intro);
            let plot = ForestPlot {
                title: title.clone(),
                axis: estimates.text(r, "outcome_label").to_string(),
                rows: rows
                    .iter()
                    .filter_map(|&s| {
                        let [Some(e), Some(l), Some(u)] =
                            ["estimate", "lower", "upper"].map(|c| studies.number(s, c))
                        else {
                            return None;
                        };
                        Some(ForestRow {
                            label: studies.text(s, "scheme").to_string(),
                            estimate: (e, l, u),
                            weight: studies.number(s, "weight"),
                        })
                    })
                    .collect(),
                pooled: (estimate, lower, upper),
                method: estimates.text(r, "interval_method").to_string(),
                prediction,
            };
            section.charts.push(ChartView {
                id: format!("forest-{group}"),
                title,
                svg: crate::render::charts::forest::svg(&plot),
                description: crate::render::charts::forest::description(&plot),
            });
        }
        let columns = [
            "scheme", "period", "estimate", "lower", "upper", "n", "se", "weight",
        ];
        section.tables.push(TableView {
            caption: "Each scheme's published estimate, and the standard error and weight pooled"
                .into(),
            headers: [
                "Scheme",
                "Period",
                "Estimate",
                "Lower 95%",
                "Upper 95%",
                "n",
                "Standard error",
                "Weight",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, false, true, true, true, true, true, true],
            rows: rows
                .iter()
                .map(|&s| {
                    columns
                        .iter()
                        .map(|c| match studies.cell(s, c) {
                            Cell::Num(x) if c == &"weight" => format!("{:.1}%", x * 100.0),
                            Cell::Num(x) => shown(*x),
                            other => other.display(),
                        })
                        .collect()
                })
                .collect(),
            note: String::new(),
            marked: Vec::new(),
        });
        sections.push(section);
    }
    let stamp = PageStamp {
        title: super::TITLE.into(),
        period: super::periods(sources),
        sprout_version: crate::VERSION,
        not_for_publication: false,
        files: sources.len(),
    };
    let about = [
        "Each scheme's evaluation publishes its headline estimates (results.json) under its own disclosure control. Estimates of the same quantity, outcome, direction, design and settings are pooled here by random-effects meta-analysis: each scheme is assumed to have its own true effect, drawn from a distribution whose mean is the pooled estimate and whose variance is τ².",
        "Each forest plot shows every scheme's estimate and 95% interval (the square's size is its weight), the pooled estimate as a diamond spanning its 95% interval, and under it the 95% prediction interval: where a new scheme's true effect would be expected to lie. I² is the share of the variation between schemes beyond chance.",
        "Where a table publishes no standard error, it is worked back from the published 95% interval, which is rounded: the pooled figures are as precise as the published ones.",
    ]
    .map(String::from);
    let sources_view = TableView {
        caption: "Results files".into(),
        headers: ["Scheme", "Title", "Period", "Region", "File", "SHA-256"]
            .map(String::from)
            .to_vec(),
        numeric: vec![false; 6],
        rows: sources
            .iter()
            .map(|s| {
                vec![
                    s.scheme().to_string(),
                    s.results.scheme.title.clone(),
                    s.results.period.label.clone(),
                    s.results.scheme.region.clone().unwrap_or_default(),
                    s.file.clone(),
                    s.sha256.clone(),
                ]
            })
            .collect(),
        note: String::new(),
        marked: Vec::new(),
    };
    let unpooled_view = TableView {
        caption: "Groups not pooled".into(),
        headers: ["Group", "Estimate of", "Schemes", "Why"]
            .map(String::from)
            .to_vec(),
        numeric: vec![true, false, true, false],
        rows: unpooled,
        note: String::new(),
        marked: Vec::new(),
    };
    let env = crate::render::report::environment(None)?;
    let html = env
        .get_template("pooled.html")
        .and_then(|t| {
            t.render(minijinja::Value::from(minijinja::value::Serde(
                &PageContext {
                    stamp,
                    sections,
                    about,
                    unpooled: unpooled_view,
                    sources: sources_view,
                },
            )))
        })
        .map_err(|e| Error::config(std::path::Path::new("reports/pooled.html"), e.to_string()))?;
    Ok(crate::text::visible_markup(&html).into_owned())
}

/// The table's declaration.
pub const POOLED_GROUP: TableDef = TableDef {
    name: "pooled_group",
    description: "One group: each scheme's estimate, then the pooled estimate and the prediction interval",
    queries: &[],
    columns: &[
        text("row", "A scheme's code, pooled, or prediction"),
        text("period", "The scheme's reporting period"),
        num_label("estimate", "Estimate"),
        num_label("lower", "Lower 95% limit"),
        num_label("upper", "Upper 95% limit"),
        int_label("n", "Published n (pairs or matched sets)"),
        num_label("weight", "Share of the random-effects weight"),
    ],
    sums: Sums::NONE,
};

/// One sheet's table per group, named `g{group} {outcome}`, from the pooled tables.
pub fn group_sheets(tables: &[PublishedTable]) -> Result<Vec<(String, OutTable)>> {
    use crate::batch::Value;
    use crate::measures::table::{int_value, opt_num};
    let (estimates, studies) = (&tables[0], &tables[1]);
    let mut out = Vec::new();
    for r in 0..estimates.rows.len() {
        let group = estimates.cell(r, "group").display();
        let mut table = TableBuilder::new(&POOLED_GROUP);
        for s in studies_of(studies, &group) {
            table.push_named(&[
                ("row", text_value(studies.text(s, "scheme"))),
                ("period", text_value(studies.text(s, "period"))),
                ("estimate", opt_num(studies.number(s, "estimate"))),
                ("lower", opt_num(studies.number(s, "lower"))),
                ("upper", opt_num(studies.number(s, "upper"))),
                (
                    "n",
                    int_value(studies.number(s, "n").unwrap_or_default() as i64),
                ),
                ("weight", opt_num(studies.number(s, "weight"))),
            ]);
        }
        table.push_named(&[
            ("row", text_value("pooled")),
            ("period", Value::Null),
            ("estimate", opt_num(estimates.number(r, "estimate"))),
            ("lower", opt_num(estimates.number(r, "lower"))),
            ("upper", opt_num(estimates.number(r, "upper"))),
            (
                "n",
                int_value(estimates.number(r, "n_total").unwrap_or_default() as i64),
            ),
            ("weight", Value::Null),
        ]);
        table.push_named(&[
            ("row", text_value("prediction")),
            ("period", Value::Null),
            ("estimate", Value::Null),
            ("lower", opt_num(estimates.number(r, "prediction_lower"))),
            ("upper", opt_num(estimates.number(r, "prediction_upper"))),
            ("n", Value::Null),
            ("weight", Value::Null),
        ]);
        let name = format!(
            "g{group} {} {}",
            estimates.text(r, "quantity"),
            estimates.text(r, "outcome")
        );
        out.push((name, table.finish()?));
    }
    Ok(out)
}
