//! Change over time: the headline measures against earlier periods, and the
//! quarterly trend of referrals and of the headline score's change.

use super::person::headline_score;
use crate::disclosure::{Cell, PublishedTable};
use crate::render::charts::figure::{Figure, FigureKind, Series};
use crate::render::report::cells::{Fmt, find, interval, num, show};
use crate::render::report::{Section, TableView};

/// A share difference in percentage points ("+3 pp"), to the decimals the
/// published fraction carries less two (a fraction to 2 decimals is whole
/// points).
pub(in crate::render::report) fn points(cell: &Cell) -> String {
    match cell {
        Cell::Suppressed => "*".to_string(),
        c => c.number().filter(|x| x.is_finite()).map_or_else(
            || "–".to_string(),
            |x| {
                let dp = (crate::disclosure::policy::decimals(x) - 2).clamp(0, 1) as usize;
                format!("{:+.dp$} pp", 100.0 * x + 0.0)
            },
        ),
    }
}

/// "+3 pp (−2 pp to +8 pp)", or the difference alone when its limits are withheld.
fn points_interval(t: &PublishedTable, r: usize, columns: [&str; 3]) -> String {
    let [d, l, u] = columns.map(|c| t.cell(r, c));
    match (l.number(), u.number()) {
        (Some(_), Some(_)) => format!("{} ({} to {})", points(d), points(l), points(u)),
        _ => points(d),
    }
}

/// The change-over-time section: one table of the headline measures against
/// each earlier period.
pub(in crate::render::report) fn over_time_section(tables: &[PublishedTable]) -> Section {
    let mut s = Section {
        id: "over-time".into(),
        title: "Change over time".into(),
        ..Section::default()
    };
    let shares = find(tables, "period_comparison");
    let changes = find(tables, "wellbeing_change_comparison");
    let mut rows: Vec<Vec<String>> = Vec::new();
    let mut compared: Vec<String> = Vec::new();
    if let Some(t) = shares {
        for r in 0..t.rows.len() {
            let period = t.text(r, "compared_period").to_string();
            if !compared.contains(&period) {
                compared.push(period.clone());
            }
            let what = match t.text(r, "measure") {
                "accepted" => {
                    rows.push(vec![
                        "Referrals received".into(),
                        period.clone(),
                        show(t.cell(r, "denominator"), Fmt::Count),
                        show(t.cell(r, "compared_denominator"), Fmt::Count),
                        "–".into(),
                    ]);
                    "Share of referrals accepted"
                }
                _ => "Share of accepted referrals with a follow-up",
            };
            rows.push(vec![
                what.into(),
                period,
                show(t.cell(r, "share"), Fmt::Percent),
                show(t.cell(r, "compared_share"), Fmt::Percent),
                points_interval(t, r, ["difference", "difference_lower", "difference_upper"]),
            ]);
        }
    }
    if let Some(t) = changes {
        for r in 0..t.rows.len() {
            let label = t.text(r, "score_label");
            let period = t.text(r, "compared_period").to_string();
            rows.push(vec![
                format!("{label}: mean change"),
                period.clone(),
                interval(t, r, "mean_change", "change_lower", "change_upper", 2),
                interval(
                    t,
                    r,
                    "compared_mean_change",
                    "compared_change_lower",
                    "compared_change_upper",
                    2,
                ),
                interval(
                    t,
                    r,
                    "difference",
                    "difference_lower",
                    "difference_upper",
                    2,
                ),
            ]);
            if !matches!(t.cell(r, "reliably_improved_share"), Cell::Empty) {
                rows.push(vec![
                    format!("{label}: share reliably improved"),
                    period,
                    show(t.cell(r, "reliably_improved_share"), Fmt::Percent),
                    show(t.cell(r, "compared_reliably_improved_share"), Fmt::Percent),
                    points_interval(
                        t,
                        r,
                        [
                            "improved_difference",
                            "improved_difference_lower",
                            "improved_difference_upper",
                        ],
                    ),
                ]);
            }
        }
    }
    if rows.is_empty() {
        s.empty = "The data hold no referrals in the earlier periods this one is compared with (the previous period, and the same period a year earlier), so there is nothing to compare with yet.".into();
    } else {
        s.intro.push(format!(
            "The period's headline measures beside {}. A difference is this period's figure minus the earlier one's, with its 95% confidence interval (Newcombe's for shares, in percentage points; Welch's for mean changes, taking the two periods' people as independent). Where the interval includes zero, the data cannot tell a change from no change. Each period's outcomes are those of its own outcome cohort.",
            compared.join(" and ")
        ));
        s.tables.push(TableView {
            caption: "Headline measures against earlier periods".into(),
            headers: [
                "Measure",
                "Earlier period",
                "This period",
                "Earlier period's figure",
                "Difference (95% CI)",
            ]
            .map(String::from)
            .to_vec(),
            numeric: vec![false, false, true, true, true],
            rows,
            note: "Mean changes are shown with their 95% confidence intervals; a figure withheld to protect privacy is shown as *.".into(),
            marked: Vec::new(),
        });
    }
    s.intro.push("The health and care system's comparisons are for the whole period only: their windows of months either side of referral do not divide into quarters.".into());
    s
}

/// The quarterly trend: referrals received each quarter, and the headline
/// score's mean change each quarter with its interval.
pub(in crate::render::report) fn trend_figures(tables: &[PublishedTable]) -> Vec<Figure> {
    let mut out = Vec::new();
    if let Some(t) = find(tables, "referrals_trend")
        && t.rows.len() >= 2
    {
        let rows: Vec<usize> = (0..t.rows.len()).collect();
        let values: Vec<Option<f64>> = rows.iter().map(|&r| num(t, r, "referrals")).collect();
        let described: Vec<String> = rows
            .iter()
            .map(|&r| {
                format!(
                    "{} {}",
                    t.text(r, "quarter"),
                    show(t.cell(r, "referrals"), Fmt::Count)
                )
            })
            .collect();
        out.push(Figure {
            id: "referrals_trend".into(),
            title: "Referrals received per quarter".into(),
            description: format!(
                "Line chart of referrals received each quarter: {}.",
                described.join(", ")
            ),
            kind: FigureKind::Line,
            axis: "Referrals".into(),
            categories: rows
                .iter()
                .map(|&r| t.text(r, "quarter").to_string())
                .collect(),
            series: vec![Series::values("Referrals", values)],
        });
    }
    let headline = find(tables, "wellbeing_change")
        .and_then(|c| headline_score(c).map(|h| c.text(h, "score").to_string()));
    if let (Some(t), Some(score)) = (find(tables, "wellbeing_change_trend"), headline) {
        let rows: Vec<usize> = t.rows_where(&[("score", &score)]).collect();
        if rows.len() >= 2 {
            let label = t.text(rows[0], "score_label").to_string();
            let pick = |c: &str| rows.iter().map(|&r| num(t, r, c)).collect::<Vec<_>>();
            let described: Vec<String> = rows
                .iter()
                .map(|&r| {
                    format!(
                        "{} {}",
                        t.text(r, "quarter"),
                        interval(t, r, "mean_change", "change_lower", "change_upper", 2)
                    )
                })
                .collect();
            out.push(Figure {
                id: "wellbeing_change_trend".into(),
                title: format!("{label}: mean change by quarter, with 95% intervals"),
                description: format!(
                    "Interval chart of the mean change in {label} among people whose support ended in each quarter: {}.",
                    described.join("; ")
                ),
                kind: FigureKind::Intervals,
                axis: "Mean change (points)".into(),
                categories: rows.iter().map(|&r| t.text(r, "quarter").to_string()).collect(),
                series: vec![Series {
                    name: "Mean change".into(),
                    values: pick("mean_change"),
                    lower: pick("change_lower"),
                    upper: pick("change_upper"),
                }],
            });
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::over_time::{PERIOD_COMPARISON, REFERRALS_TREND};
    use crate::render::report::cells::{published, t};

    #[test]
    fn shares_differ_in_percentage_points_and_counts_have_no_interval() {
        let table = published(
            &PERIOD_COMPARISON,
            &[&[
                ("compared_period", t("2023/24")),
                ("measure", t("accepted")),
                ("count", Cell::Int(695)),
                ("denominator", Cell::Int(855)),
                ("share", Cell::Num(0.813)),
                ("compared_count", Cell::Int(610)),
                ("compared_denominator", Cell::Int(790)),
                ("compared_share", Cell::Num(0.772)),
                ("difference", Cell::Num(0.04)),
                ("difference_lower", Cell::Num(0.0)),
                ("difference_upper", Cell::Num(0.08)),
            ]],
        );
        let s = over_time_section(&[table]);
        let rows = &s.tables[0].rows;
        assert_eq!(
            rows[0],
            ["Referrals received", "2023/24", "855", "790", "–"].map(String::from)
        );
        assert_eq!(
            rows[1],
            [
                "Share of referrals accepted",
                "2023/24",
                "81.3%",
                "77.2%",
                "+4 pp (+0 pp to +8 pp)"
            ]
            .map(String::from)
        );
        assert!(s.intro[0].contains("beside 2023/24"));
    }

    #[test]
    fn with_no_earlier_period_the_section_says_so() {
        let s = over_time_section(&[published(&PERIOD_COMPARISON, &[])]);
        assert!(s.tables.is_empty());
        assert!(s.empty.contains("nothing to compare with yet"));
        let one = published(&REFERRALS_TREND, &[&[("quarter", t("2024/25 Q1"))]]);
        assert!(trend_figures(&[one]).is_empty(), "one quarter is no trend");
    }

    #[test]
    fn points_follow_the_published_decimals() {
        assert_eq!(points(&Cell::Num(0.03)), "+3 pp");
        assert_eq!(points(&Cell::Num(-0.0331)), "-3.3 pp");
        assert_eq!(points(&Cell::Num(-0.0)), "+0 pp");
        assert_eq!(points(&Cell::Suppressed), "*");
    }
}
