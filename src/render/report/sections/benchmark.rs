//! Benchmarking: funnel plots of PCNs and SPC charts, as published.

use crate::disclosure::PublishedTable;
use crate::measures::benchmark::{Benchmarks, FunnelKind, FunnelResult};
use crate::render::report::cells::{Col, Fmt, find, name_codes, organisation_names, view};
use crate::render::report::{ChartView, Section};

/// A published funnel with its withheld units left out of the plot; returns
/// how many were left out.
pub(in crate::render::report) fn plotted_funnel(f: &FunnelResult) -> (FunnelResult, usize) {
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

/// The fewest PCNs a funnel plot is drawn for.
const MIN_PLOTTED_UNITS: usize = 3;

/// The benchmarking summary (overdispersion) and one section per funnel, plotted without withheld units.
pub(in crate::render::report) fn benchmark_sections(
    tables: &[PublishedTable],
    b: &Benchmarks,
    highlight: Option<&str>,
) -> (Section, Vec<Section>) {
    let mut summary = Section {
        id: "benchmarking".into(),
        title: "Benchmarking".into(),
        ..Section::default()
    };
    summary.intro.push("Funnel plots compare primary care networks (PCNs) with the pooled value: points outside the 95% limits differ more than chance would explain, outside the 99.8% limits very probably. The PCN benchmarking report has each PCN's figures.".into());
    let units = find(tables, "benchmark_funnel_units");
    let names = organisation_names(tables);
    if let Some(t) = find(tables, "organisation_names") {
        let mut sources: Vec<&str> = (0..t.rows.len())
            .map(|r| t.text(r, "source"))
            .filter(|s| !s.is_empty())
            .collect();
        sources.sort_unstable();
        sources.dedup();
        if !sources.is_empty() {
            summary.intro.push(format!(
                "Practice and PCN names are those the NHS Organisation Data Service publishes, from {}.",
                sources.join(" and ")
            ));
        }
    }
    let mut sections = Vec::new();
    for f in &b.funnels {
        let (shown, dropped) = plotted_funnel(f);
        let id = format!("funnel_{}", f.measure.name);
        let svg =
            crate::render::charts::funnel::svg(&crate::render::plots::funnel(&shown, highlight));
        let description = format!(
            "Funnel plot of {} across {} PCNs; limits by {}.{}",
            lower_first(&f.measure.label),
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
        let plotted = shown.measure.units.len();
        let mut s = Section {
            id: f.measure.name.clone(),
            title: f.measure.label.clone(),
            // A funnel of one or two points compares nothing.
            charts: if plotted >= MIN_PLOTTED_UNITS {
                vec![chart]
            } else {
                Vec::new()
            },
            ..Section::default()
        };
        if plotted < MIN_PLOTTED_UNITS {
            s.intro.push(format!(
                "No funnel plot: {} to plot, and a funnel plot needs at least {MIN_PLOTTED_UNITS} to compare. The figures are in the table below.",
                match plotted {
                    0 => "no PCN".to_string(),
                    1 => "only 1 PCN".to_string(),
                    n => format!("only {n} PCNs"),
                }
            ));
        }
        if let Some(t) = units {
            // Highest value first (the static page's order to read a
            // ranking in); units whose every figure is withheld are left
            // out, so hundreds of PCNs do not print pages of stars.
            let mut rows: Vec<usize> = t
                .rows_where(&[("measure", f.measure.name.as_str())])
                .filter(|&r| {
                    ["numerator", "denominator", "value"]
                        .iter()
                        .any(|c| !matches!(t.cell(r, c), crate::disclosure::Cell::Suppressed))
                })
                .collect();
            let all_withheld = t
                .rows_where(&[("measure", f.measure.name.as_str())])
                .count()
                > rows.len();
            rows.sort_by(|&a, &b| {
                let value = |r: usize| t.cell(r, "value").number().filter(|x| x.is_finite());
                match (value(a), value(b)) {
                    (Some(x), Some(y)) => y.total_cmp(&x),
                    (Some(_), None) => std::cmp::Ordering::Less,
                    (None, Some(_)) => std::cmp::Ordering::Greater,
                    (None, None) => std::cmp::Ordering::Equal,
                }
                .then(t.text(a, "unit").cmp(t.text(b, "unit")))
            });
            let (numerator, denominator) = match f.measure.kind {
                FunnelKind::StandardisedRatio => (
                    Col("Observed", "numerator", Fmt::Count),
                    Col("Expected", "denominator", Fmt::Fixed(1)),
                ),
                FunnelKind::RatioOfCounts => (
                    Col("After", "numerator", Fmt::Count),
                    Col("Before", "denominator", Fmt::Count),
                ),
                _ => (
                    Col("Numerator", "numerator", Fmt::Count),
                    Col("Denominator", "denominator", Fmt::Count),
                ),
            };
            // Shares as percentages, as everywhere in the report.
            let figure = match f.measure.kind {
                FunnelKind::Proportion => Fmt::Percent,
                _ => Fmt::Fixed(3),
            };
            let mut table = view(
                t,
                &rows,
                &[
                    Col("PCN", "unit", Fmt::Text),
                    numerator,
                    denominator,
                    Col("Value", "value", figure),
                    Col("Lower 95%", "lower95", figure),
                    Col("Upper 95%", "upper95", figure),
                    Col("Lower 99.8%", "lower998", figure),
                    Col("Upper 99.8%", "upper998", figure),
                    Col("Compared with the rest", "flag", Fmt::Text),
                ],
                format!(
                    "{}{}, highest first",
                    f.measure.label,
                    if f.measure.label.ends_with("by PCN") {
                        ""
                    } else {
                        " by PCN"
                    }
                ),
                format!(
                    "Limits: {}. Outside the 95% limits a PCN differs more than chance would explain; outside the 99.8% limits, very probably.{}",
                    f.method,
                    if all_withheld {
                        " PCNs whose every figure is withheld to protect privacy are not listed (benchmark_funnel_units in the tables folder lists them)."
                    } else {
                        ""
                    }
                ),
            );
            name_codes(&mut table, 0, &names);
            table.marked = rows
                .iter()
                .map(|&r| Some(t.text(r, "unit")) == highlight)
                .collect();
            s.tables.push(table);
        }
        match f.measure.kind {
            FunnelKind::StandardisedRatio => standardised_ratios(&mut s, tables, &names, highlight),
            FunnelKind::RatioOfCounts => s.intro.push(AFTER_BEFORE_EXPLANATION.into()),
            _ => {}
        }
        sections.push(s);
    }
    if let Some(t) = find(tables, "benchmark_overdispersion") {
        let mut table = view(
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
        );
        // Each measure by its funnel's title.
        for (row, r) in table.rows.iter_mut().zip(0..t.rows.len()) {
            if let Some(f) = b
                .funnels
                .iter()
                .find(|f| f.measure.name == t.text(r, "measure"))
            {
                row[0].clone_from(&f.measure.label);
            }
        }
        summary.tables.push(table);
    }
    (summary, sections)
}

/// `text` with its first letter in lower case, unless its first word is an
/// abbreviation ("A&E", "GP"); the rest as it is ("PCN", names).
fn lower_first(text: &str) -> String {
    let mut chars = text.chars();
    match (chars.next(), text.chars().nth(1)) {
        (Some(first), Some(second)) if second.is_lowercase() => {
            first.to_lowercase().chain(chars).collect()
        }
        _ => text.to_string(),
    }
}

/// What a funnel of events after against before referral shows.
const AFTER_BEFORE_EXPLANATION: &str = "Each PCN's events among its referred people in the days after referral against as many days before it (for each person, the shorter of the two windows, up to the longest health window), so both sides cover the same person-time. This is the naive before/after: people are referred at a peak of need, so every PCN's ratio is pulled below 1 by regression to the mean; compare PCNs with each other (the pooled ratio), not with 1. Limits are normal on the log scale, with overdispersion treated on that scale.";

/// What a standardised referral ratio is, and every practice's and PCN's
/// with its intervals.
fn standardised_ratios(
    s: &mut Section,
    tables: &[PublishedTable],
    names: &std::collections::BTreeMap<String, String>,
    highlight: Option<&str>,
) {
    s.intro.push("Each PCN's referrals against those expected had its registered list been referred at the reference rates of each stratum the title names (indirect standardisation; the scheme's own rates are those referral_strata publishes, and a reference population's are used as supplied, a stratum it lacks taking its overall rate): 1 means referred as often as its make-up predicts, 1.2 a fifth more often. The limits around 1 are the reference's, not a PCN's own interval; each practice's and PCN's own 95% and 99.8% intervals follow.".into());
    let Some(t) = find(tables, "standardised_ratios") else {
        return;
    };
    let mut table = view(
        t,
        &(0..t.rows.len()).collect::<Vec<_>>(),
        &[
            Col("Practice or PCN", "group", Fmt::Text),
            Col("Observed", "observed", Fmt::Count),
            Col("Expected", "expected", Fmt::Fixed(1)),
            Col("Ratio", "ratio", Fmt::Fixed(2)),
            Col("Lower 95%", "lower95", Fmt::Fixed(2)),
            Col("Upper 95%", "upper95", Fmt::Fixed(2)),
            Col("Lower 99.8%", "lower998", Fmt::Fixed(2)),
            Col("Upper 99.8%", "upper998", Fmt::Fixed(2)),
        ],
        "Standardised referral ratios by practice and PCN",
        "Intervals: the exact Poisson interval of the observed referrals (Byar's approximation from 10) over the expected. An interval that excludes 1 means the practice or PCN refers more (or less) often than its ages and sexes predict, beyond chance.",
    );
    name_codes(&mut table, 0, names);
    table.marked = (0..t.rows.len())
        .map(|r| Some(t.text(r, "group")) == highlight)
        .collect();
    s.tables.push(table);
}

/// SPC charts as published; a chart with a withheld month is left out.
pub(in crate::render::report) fn spc_section(
    b: &Benchmarks,
    names: &std::collections::BTreeMap<String, String>,
) -> Section {
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
        let mut plot = crate::render::plots::spc(chart);
        // A PCN's chart is titled with its name beside its code.
        let title = match chart
            .name
            .strip_prefix(crate::measures::benchmark::PCN_SPC_PREFIX)
            .and_then(|code| names.get(code).map(|name| (code, name)))
        {
            Some((code, name)) => chart.label.replace(code, &format!("{code} {name}")),
            None => chart.label.clone(),
        };
        let icons: String = [
            crate::render::charts::spc::variation_icon(&plot.points),
            crate::render::charts::spc::assurance_icon(plot.assurance),
        ]
        .into_iter()
        .flatten()
        .map(|icon| format!(" Icon: {}.", icon.words))
        .collect();
        s.charts.push(ChartView {
            id: format!("spc_{}", chart.name),
            title: title.clone(),
            svg: {
                plot.title.clone_from(&title);
                crate::render::charts::spc::svg(&plot)
            },
            description: format!(
                "XmR chart: {}, over {} months.{icons} {}{}",
                title,
                chart.chart.points.len(),
                crate::render::charts::spc::limits_wording(
                    chart.options.screen_moving_ranges,
                    chart.options.baseline_points
                ),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::Cell;
    use crate::measures::benchmark::{Adjustment, BENCHMARK_OVERDISPERSION};
    use crate::render::report::cells::{published, t};

    fn nothing() -> Benchmarks {
        Benchmarks {
            funnels: Vec::new(),
            spc: Vec::new(),
            adjustment: Adjustment::Auto,
        }
    }

    /// A funnel of the share declined over PCNs (name, declined, referred).
    fn share_declined(units: &[(&str, f64, f64)]) -> Benchmarks {
        use crate::measures::benchmark::{FunnelKind, FunnelMeasure, FunnelUnit, compute_funnel};
        let funnel = compute_funnel(
            FunnelMeasure {
                name: "share_declined".into(),
                label: "Share declined".into(),
                kind: FunnelKind::Proportion,
                units: units
                    .iter()
                    .map(|&(name, x, n)| FunnelUnit {
                        unit: name.into(),
                        numerator: x,
                        denominator: n,
                        hidden: false,
                    })
                    .collect(),
            },
            Adjustment::None,
        );
        Benchmarks {
            funnels: vec![funnel],
            ..nothing()
        }
    }

    #[test]
    fn the_overdispersion_table_names_the_test_level_and_no_series_says_so() {
        let o = published(
            &BENCHMARK_OVERDISPERSION,
            &[&[
                ("measure", t("declined_share")),
                ("units", Cell::Int(9)),
                ("phi", Cell::Num(1.84)),
                ("p_overdispersion", Cell::Num(0.012)),
                ("method", t("additive random effects")),
            ]],
        );
        let (summary, funnels) = benchmark_sections(&[o], &nothing(), None);
        assert!(funnels.is_empty());
        let table = &summary.tables[0];
        assert_eq!(
            table.rows,
            vec![vec![
                "Declined share",
                "9",
                "1.84",
                "0.012",
                "additive random effects"
            ]]
        );
        assert!(
            table.note.contains(&format!(
                "p below {}",
                crate::measures::benchmark::OVERDISPERSION_LEVEL
            )),
            "{}",
            table.note
        );
        let spc = spc_section(&nothing(), &Default::default());
        assert_eq!(spc.empty, "No monthly series to chart.");
    }

    #[test]
    fn each_funnel_table_shows_the_99_8_limits_beside_the_95_ones() {
        use crate::measures::benchmark::BENCHMARK_FUNNEL_UNITS;
        let benchmarks = share_declined(&[("U1", 10.0, 100.0), ("U2", 30.0, 120.0)]);
        let units = published(
            &BENCHMARK_FUNNEL_UNITS,
            &[&[
                ("measure", t("share_declined")),
                ("unit", t("U1")),
                ("numerator", Cell::Int(10)),
                ("denominator", Cell::Int(100)),
                ("value", Cell::Num(0.1)),
                ("lower95", Cell::Num(0.105)),
                ("upper95", Cell::Num(0.27)),
                ("lower998", Cell::Num(0.06)),
                ("upper998", Cell::Num(0.33)),
                ("flag", t("Low 95%")),
            ]],
        );
        let (_, sections) = benchmark_sections(&[units], &benchmarks, None);
        // Two PCNs: no plot, and the section says why.
        assert!(sections[0].charts.is_empty());
        assert_eq!(
            sections[0].intro[0],
            "No funnel plot: only 2 PCNs to plot, and a funnel plot needs at least 3 to compare. The figures are in the table below."
        );
        let table = &sections[0].tables[0];
        assert_eq!(
            table.headers[4..8],
            ["Lower 95%", "Upper 95%", "Lower 99.8%", "Upper 99.8%"].map(String::from)
        );
        assert_eq!(
            table.rows[0][4..8],
            ["10.5%", "27.0%", "6.0%", "33.0%"].map(String::from)
        );
        assert!(
            table
                .note
                .contains("outside the 99.8% limits, very probably")
        );
    }

    #[test]
    fn a_title_in_a_sentence_keeps_its_abbreviations() {
        assert_eq!(
            lower_first("Share declined by PCN"),
            "share declined by PCN"
        );
        assert_eq!(lower_first("A&E attendances"), "A&E attendances");
        assert_eq!(lower_first("GP appointments"), "GP appointments");
    }

    #[test]
    fn the_style_sets_each_pcn_spc_chart_at_half_width_by_its_figure_id() {
        let css = include_str!("../../../../reports/style.css");
        let id = format!(
            "figure[id^=\"figure-spc_{}\"]",
            crate::measures::benchmark::PCN_SPC_PREFIX
        );
        assert!(css.contains(&id), "{id} is not in style.css");
    }

    #[test]
    fn a_funnel_table_reads_highest_first_without_rows_of_stars() {
        use crate::measures::benchmark::BENCHMARK_FUNNEL_UNITS;
        let benchmarks = share_declined(&[("U1", 10.0, 100.0), ("U2", 30.0, 120.0)]);
        let row = |unit: &str, value: Cell| -> Vec<(&'static str, Cell)> {
            let star = matches!(value, Cell::Suppressed);
            let count = |n| if star { Cell::Suppressed } else { Cell::Int(n) };
            vec![
                ("measure", t("share_declined")),
                ("unit", t(unit)),
                ("numerator", count(10)),
                ("denominator", count(100)),
                ("value", value),
            ]
        };
        let rows = [
            row("U1", Cell::Num(0.1)),
            row("U2", Cell::Suppressed),
            row("U3", Cell::Num(0.25)),
            row("U4", Cell::Num(0.1)),
        ];
        let rows: Vec<&[(&str, Cell)]> = rows.iter().map(Vec::as_slice).collect();
        let units = published(&BENCHMARK_FUNNEL_UNITS, &rows);
        let (_, sections) = benchmark_sections(&[units], &benchmarks, Some("U4"));
        let table = &sections[0].tables[0];
        let order: Vec<&str> = table.rows.iter().map(|r| r[0].as_str()).collect();
        assert_eq!(order, ["U3", "U1", "U4"], "highest first, ties by code");
        assert_eq!(table.marked, [false, false, true]);
        assert!(
            table.note.contains("whose every figure is withheld"),
            "{}",
            table.note
        );
        assert!(table.caption.ends_with("by PCN, highest first"));
    }

    #[test]
    fn a_standardised_ratio_funnel_names_observed_and_expected_and_lists_every_ratio() {
        use crate::measures::benchmark::{
            BENCHMARK_FUNNEL_UNITS, REFERRAL_RATIO_FUNNEL, compute_funnel,
            standardised_ratio_funnel,
        };
        use crate::measures::standardised::STANDARDISED_RATIOS;
        let funnel = compute_funnel(
            standardised_ratio_funnel(
                vec![("U1".into(), 40.0, 52.5), ("U2".into(), 95.0, 61.2)],
                "age band and sex, the scheme's rates",
            ),
            Adjustment::None,
        );
        let units = published(
            &BENCHMARK_FUNNEL_UNITS,
            &[&[
                ("measure", t(REFERRAL_RATIO_FUNNEL)),
                ("unit", t("U1")),
                ("numerator", Cell::Int(40)),
                ("denominator", Cell::Num(52.5)),
                ("value", Cell::Num(40.0 / 52.5)),
            ]],
        );
        let ratios = published(
            &STANDARDISED_RATIOS,
            &[
                &[
                    ("breakdown", t("practice_code")),
                    ("group", t("A81001")),
                    ("observed", Cell::Int(40)),
                    ("expected", Cell::Num(52.5)),
                    ("ratio", Cell::Num(0.7619)),
                    ("lower95", Cell::Num(0.544)),
                    ("upper95", Cell::Num(1.037)),
                ],
                &[
                    ("breakdown", t("pcn_code")),
                    ("group", t("U1")),
                    ("observed", Cell::Suppressed),
                ],
            ],
        );
        let benchmarks = Benchmarks {
            funnels: vec![funnel],
            ..nothing()
        };
        let (_, sections) = benchmark_sections(&[units, ratios], &benchmarks, None);
        let s = &sections[0];
        assert!(
            s.intro
                .iter()
                .any(|p| p.contains("indirect standardisation"))
        );
        assert_eq!(
            s.tables[0].headers[1..3],
            ["Observed", "Expected"].map(String::from)
        );
        assert_eq!(s.tables[0].rows[0][2], "52.5");
        let list = &s.tables[1];
        assert_eq!(list.rows.len(), 2, "every practice and PCN is listed");
        assert_eq!(
            list.rows[0][..4],
            ["A81001", "40", "52.5", "0.76"].map(String::from)
        );
        assert_eq!(list.rows[1][1], "*");
    }

    #[test]
    fn three_pcns_are_plotted() {
        let benchmarks = share_declined(&[
            ("U1", 10.0, 100.0),
            ("U2", 20.0, 100.0),
            ("U3", 30.0, 100.0),
        ]);
        let (_, sections) = benchmark_sections(&[], &benchmarks, None);
        assert_eq!(sections[0].charts.len(), 1);
        assert!(
            sections[0]
                .intro
                .iter()
                .all(|p| !p.starts_with("No funnel plot"))
        );
    }
}
