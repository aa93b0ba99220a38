//! Impact on the person: paired wellbeing change, subgroups, attrition.

use crate::disclosure::PublishedTable;
use crate::render::charts::figure::{Figure, FigureKind, Series};
use crate::render::report::Section;
use crate::render::report::cells::{Col, Fmt, find, interval, num, view};

/// The report's headline score: the one with the most pairs among those with a
/// reliable-change rule and an interval (else among all).
pub(in crate::render::report) fn headline_score(t: &PublishedTable) -> Option<usize> {
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

/// The person section: paired change by score with intervals, the headline score by subgroup, the attrition funnel and attrition bias.
pub(in crate::render::report) fn person_section(
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

/// The attrition funnel by instrument, and standardised change with intervals.
pub(in crate::render::report) fn person_figures(tables: &[PublishedTable]) -> Vec<Figure> {
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::{Cell, Policy};
    use crate::measures::wellbeing::WELLBEING_CHANGE;
    use crate::render::report::cells::{published, t};

    #[test]
    fn the_headline_score_has_the_most_pairs_among_complete_rows_and_leads_the_subgroups() {
        let row = |score: &str, breakdown: &str, pairs: i64, complete: bool| {
            let mut r = vec![
                ("cohort", t("closed")),
                ("score", t(score)),
                ("score_label", t(&score.to_uppercase())),
                ("breakdown", t(breakdown)),
                (
                    "group",
                    t(if breakdown == "all" { "all" } else { "female" }),
                ),
                ("pairs", Cell::Int(pairs)),
                ("mean_change", Cell::Num(1.2)),
            ];
            if complete {
                r.push(("change_lower", Cell::Num(0.8)));
                r.push(("change_upper", Cell::Num(1.6)));
                r.push(("reliably_improved_share", Cell::Num(0.2)));
            }
            r
        };
        let rows = [
            row("ons4", "all", 400, false),
            row("swemwbs", "all", 130, true),
            row("swemwbs", "sex", 70, true),
        ];
        let refs: Vec<&[(&str, Cell)]> = rows.iter().map(|r| r.as_slice()).collect();
        let change = published(&WELLBEING_CHANGE, &refs);
        assert_eq!(headline_score(&change), Some(1), "ONS4 has no interval");
        let s = person_section(&[change], 30, Policy::NhsDigital);
        assert!(s.intro[0].contains("whose support ended in the period"));
        assert!(s.intro[0].contains("fewer than 30 pairs"));
        assert_eq!(s.tables[0].rows.len(), 2);
        assert_eq!(s.tables[0].rows[1][4], "+1.2 (+0.8 to +1.6)");
        assert!(s.tables[0].note.contains("fewer than 8 people"));
        assert_eq!(s.tables[1].caption, "SWEMWBS by subgroup");
        assert_eq!(
            s.tables[1].rows,
            vec![vec!["sex", "female", "70", "+1.2 (+0.8 to +1.6)", "20.0%"]]
        );
        let none = person_section(&[], 30, Policy::NhsDigital);
        assert_eq!(none.empty, "No wellbeing assessments were found.");
    }
}
