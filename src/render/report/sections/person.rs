//! Impact on the person: paired wellbeing change, subgroups, attrition.

use crate::disclosure::PublishedTable;
use crate::render::charts::figure::{Figure, FigureKind, Series};
use crate::render::report::Section;
use crate::render::report::cells::show;
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

/// The person section: paired change by score with intervals, the headline score by subgroup, the attrition funnel, attrition bias and the change weighted for who was followed up.
/// The cohort's ONS4 means at baseline and follow-up beside the published
/// means of the local authority and England (`wellbeing_local`), with a
/// sentence naming the source and survey year; `None` without estimates or
/// ONS4 pairs.
fn local_context(
    change: &PublishedTable,
    overall: &[usize],
    tables: &[PublishedTable],
) -> Option<(String, crate::render::report::TableView)> {
    let local = find(tables, "wellbeing_local").filter(|t| !t.rows.is_empty())?;
    // Areas in the table's order (the local authority first, England last),
    // each headed by its latest survey year; an indicator from an earlier
    // year says so in its cell.
    let mut areas: Vec<(String, String, String)> = Vec::new();
    for r in 0..local.rows.len() {
        let code = local.text(r, "area_code");
        let year = local.text(r, "survey_year");
        match areas.iter_mut().find(|a| a.0 == code) {
            Some(area) if year > area.2.as_str() => area.2 = year.to_string(),
            Some(_) => {}
            None => areas.push((
                code.to_string(),
                local.text(r, "area_name").to_string(),
                year.to_string(),
            )),
        }
    }
    let estimate = |(code, _, latest): &(String, String, String), score: &str| {
        local
            .rows_where(&[("area_code", code), ("score", score)])
            .next()
            .map_or_else(
                || "–".to_string(),
                |r| {
                    let low = if local.text(r, "reliability") == "low" {
                        " (low reliability)"
                    } else {
                        ""
                    };
                    let year = local.text(r, "survey_year");
                    let when = if year == latest {
                        String::new()
                    } else {
                        format!(" in {year}")
                    };
                    format!(
                        "{} ({} to {}){low}{when}",
                        show(local.cell(r, "mean"), Fmt::Fixed(2)),
                        show(local.cell(r, "lower"), Fmt::Fixed(2)),
                        show(local.cell(r, "upper"), Fmt::Fixed(2))
                    )
                },
            )
    };
    let rows: Vec<Vec<String>> = overall
        .iter()
        .filter(|&&r| change.text(r, "score").starts_with("ons4_"))
        .map(|&r| {
            let score = change.text(r, "score");
            let mut row = vec![
                change.text(r, "score_label").to_string(),
                show(change.cell(r, "mean_baseline"), Fmt::Fixed(2)),
                show(change.cell(r, "mean_follow_up"), Fmt::Fixed(2)),
            ];
            row.extend(areas.iter().map(|area| estimate(area, score)));
            row
        })
        .collect();
    if rows.is_empty() {
        return None;
    }
    let source = local.text(0, "source");
    let mut headers = vec![
        "Score".to_string(),
        "Cohort at baseline".to_string(),
        "Cohort at follow-up".to_string(),
    ];
    let named: Vec<String> = areas
        .iter()
        .map(|(_, name, year)| format!("{name} ({year})"))
        .collect();
    headers.extend(named.iter().cloned());
    let columns = headers.len();
    Some((
        format!(
            "For context, the ONS4 means of adults in {} from ONS's personal well-being estimates (Annual Population Survey; {source}) sit beside the cohort's. They describe the whole adult population, not people like those referred, so they are context, not a comparison group.",
            named.join(" and ")
        ),
        crate::render::report::TableView {
            caption: "ONS4: the cohort beside the local and national population".into(),
            headers,
            numeric: (0..columns).map(|c| c > 0).collect(),
            rows,
            note: "Scores out of 10 with ONS's 95% confidence intervals; for anxiety, lower is better.".into(),
            marked: Vec::new(),
        },
    ))
}

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
    if let Some((intro, table)) = local_context(change, &overall, tables) {
        s.intro.push(intro);
        s.tables.push(table);
    }
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
        let mut table = view(
            bias,
            &rows,
            &[
                Col("Score", "score", Fmt::Text),
                Col("With follow-up", "with_follow_up", Fmt::Count),
                Col(
                    "Their baseline mean",
                    "mean_baseline_with_follow_up",
                    Fmt::Fixed(2),
                ),
                Col("Without follow-up", "without_follow_up", Fmt::Count),
                Col(
                    "Their baseline mean",
                    "mean_baseline_without_follow_up",
                    Fmt::Fixed(2),
                ),
                Col(
                    "Standardised difference",
                    "standardised_mean_difference",
                    Fmt::Signed(2),
                ),
            ],
            "Did the people followed up start differently?",
            "A standardised difference beyond ±0.1 means those followed up started differently from those who were not, so the average change may not describe everyone.",
        );
        label_scores(&mut table, change);
        s.tables.push(table);
        weighted_change(&mut s, bias, change);
    }
    s
}

/// Column 0 of a report table's rows (score codes) as the scores' labels
/// from `wellbeing_change`.
fn label_scores(t: &mut crate::render::report::TableView, change: &PublishedTable) {
    for row in &mut t.rows {
        let code = row[0].clone();
        if let Some(r) = (0..change.rows.len()).find(|&r| words_of(change.text(r, "score")) == code)
        {
            row[0] = change.text(r, "score_label").to_string();
        }
    }
}

/// A score code as `view` shows it.
fn words_of(code: &str) -> String {
    crate::render::report::cells::words(code)
}

/// The change weighted for who was followed up, beside the complete-case
/// change: a sentence on the headline score and a table of every score
/// weighted.
fn weighted_change(s: &mut Section, bias: &PublishedTable, change: &PublishedTable) {
    let rows: Vec<usize> = bias.rows_where(&[("weighting", "weighted")]).collect();
    if rows.is_empty() {
        return;
    }
    let headline = headline_score(change).and_then(|h| {
        let score = change.text(h, "score");
        rows.iter()
            .copied()
            .find(|&r| bias.text(r, "score") == score)
            .map(|r| (r, change.text(h, "score_label").to_string()))
    });
    if let Some((r, label)) = &headline
        && num(bias, *r, "weighted_change").is_some()
    {
        let r = *r;
        let verdict = match bias.text(r, "estimates") {
            "differ" => {
                "the two differ, so the average among those followed up is not a fair summary of everyone supported: the weighted figure is the better guide, provided follow-ups were missed for reasons these characteristics capture"
            }
            _ => {
                "the two agree, so follow-ups missed for reasons these characteristics capture do not change the picture"
            }
        };
        s.intro.push(format!(
            "Weighted so that the people followed up stand for everyone with a baseline (by their baseline score, age band, sex, deprivation, referral source and needs), {label} changed by {} on average, against {} among those followed up alone: {verdict}. Weighting cannot correct for follow-ups missed because people did not improve.",
            interval(bias, r, "weighted_change", "weighted_lower", "weighted_upper", 2),
            interval(bias, r, "complete_case_change", "complete_case_lower", "complete_case_upper", 2),
        ));
    }
    if let Some((r, label)) = &headline
        && let Some(delta) = num(bias, *r, "tipping_delta")
    {
        let significance = match num(bias, *r, "tipping_delta_interval") {
            Some(d) if d > 0.0 => format!(
                ", and stops being distinguishable from no change if they changed {d:.1} points less"
            ),
            _ => String::new(),
        };
        s.intro.push(format!(
            "If people without a follow-up fared worse than those with one (which weighting cannot see), the average change in {label} among everyone with a baseline disappears only if they changed {delta:.1} points less than those followed up{significance}."
        ));
    }
    let mut t = view(
        bias,
        &rows,
        &[
            Col("Score", "score", Fmt::Text),
            Col("Followed up only", "complete_case_change", Fmt::Signed(2)),
            Col("Weighted for follow-up", "weighted_change", Fmt::Signed(2)),
            Col("Effective share", "effective_share", Fmt::Percent),
            Col("Largest weight", "largest_weight", Fmt::Fixed(2)),
            Col(
                "Largest imbalance after weighting",
                "largest_imbalance_after",
                Fmt::Fixed(2),
            ),
            Col("Estimates", "estimates", Fmt::Text),
        ],
        "Change among everyone with a baseline, weighting for who was followed up",
        "Inverse-probability weighting: the chance of a follow-up is modelled (logistic regression) on the baseline score, age band, sex, IMD quintile, referral source and needs, and each person followed up counts as one over that chance (stabilised, truncated at the 1st and 99th percentiles); 95% intervals from robust standard errors. The effective share is how much of the sample the weights leave (the more they vary, the less); an imbalance under 0.1 after weighting means the weighted people followed up resemble everyone with a baseline on that characteristic (the weighting balance table, wellbeing_weight_balance in the tables folder, has each). The estimates differ when the change among those followed up lies outside the weighted change's interval.",
    );
    label_scores(&mut t, change);
    for (i, &r) in rows.iter().enumerate() {
        t.rows[i][1] = interval(
            bias,
            r,
            "complete_case_change",
            "complete_case_lower",
            "complete_case_upper",
            2,
        );
        t.rows[i][2] = interval(
            bias,
            r,
            "weighted_change",
            "weighted_lower",
            "weighted_upper",
            2,
        );
    }
    s.tables.push(t);
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
            vec![vec!["Sex", "Female", "70", "+1.2 (+0.8 to +1.6)", "20.0%"]]
        );
        let none = person_section(&[], 30, Policy::NhsDigital);
        assert_eq!(none.empty, "No wellbeing assessments were found.");
    }

    #[test]
    fn the_weighted_change_stands_beside_the_complete_case_change_with_a_verdict() {
        use crate::measures::wellbeing::attrition::WELLBEING_ATTRITION_BIAS;
        let change = published(
            &WELLBEING_CHANGE,
            &[&[
                ("cohort", t("closed")),
                ("score", t("swemwbs_metric")),
                ("score_label", t("SWEMWBS")),
                ("breakdown", t("all")),
                ("group", t("all")),
                ("pairs", Cell::Int(130)),
                ("mean_change", Cell::Num(1.16)),
                ("change_lower", Cell::Num(0.82)),
                ("change_upper", Cell::Num(1.49)),
                ("reliably_improved_share", Cell::Num(0.19)),
            ]],
        );
        let row = |score: &str, weighting: &str, estimates: &str| {
            vec![
                ("cohort", t("closed")),
                ("score", t(score)),
                ("with_follow_up", Cell::Int(130)),
                ("without_follow_up", Cell::Int(145)),
                ("complete_case_change", Cell::Num(1.16)),
                ("complete_case_lower", Cell::Num(0.82)),
                ("complete_case_upper", Cell::Num(1.49)),
                ("weighted_change", Cell::Num(1.71)),
                ("weighted_lower", Cell::Num(1.3)),
                ("weighted_upper", Cell::Num(2.12)),
                ("effective_share", Cell::Num(0.89)),
                ("largest_weight", Cell::Num(2.19)),
                ("largest_imbalance_after", Cell::Num(0.05)),
                ("tipping_delta", Cell::Num(2.2)),
                ("tipping_delta_interval", Cell::Num(1.6)),
                ("weighting", t(weighting)),
                ("estimates", t(estimates)),
            ]
        };
        let rows = [
            row("swemwbs_metric", "weighted", "differ"),
            row(
                "wemwbs_total",
                "not weighted: fewer than 20 followed up or 10 not",
                "",
            ),
        ];
        let refs: Vec<&[(&str, Cell)]> = rows.iter().map(|r| r.as_slice()).collect();
        let bias = published(&WELLBEING_ATTRITION_BIAS, &refs);
        let s = person_section(&[change, bias], 30, Policy::NhsDigital);
        assert!(s.intro.last().unwrap().contains(
            "disappears only if they changed 2.2 points less than those followed up, and stops being distinguishable from no change if they changed 1.6 points less"
        ));
        let sentence = &s.intro[s.intro.len() - 2];
        assert!(
            sentence.contains("SWEMWBS changed by +1.71 (+1.30 to +2.12) on average, against +1.16 (+0.82 to +1.49) among those followed up alone: the two differ"),
            "{sentence}"
        );
        let table = s.tables.last().unwrap();
        assert_eq!(table.rows.len(), 1, "only the scores weighted");
        assert_eq!(
            table.rows[0],
            vec![
                "SWEMWBS",
                "+1.16 (+0.82 to +1.49)",
                "+1.71 (+1.30 to +2.12)",
                "89.0%",
                "2.19",
                "0.05",
                "Differ"
            ]
        );
    }
}
