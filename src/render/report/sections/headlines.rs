//! The headline sentences, written from published figures only.

use super::limitations::attrition_of;
use super::over_time::points;
use super::person::headline_score;
use crate::disclosure::{Cell, PublishedTable};
use crate::render::report::cells::{
    Fmt, capitalise, find, follow_up_row, interval, num, people, places, pool_row, show,
};

/// The headline sentences: referrals and acceptance, the headline score's change, follow-up, GP use against the comparison cohort, community groups.
pub(in crate::render::report) fn headlines(
    tables: &[PublishedTable],
    rounded: bool,
) -> Vec<String> {
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
    if let Some(sentence) = compared_sentence(tables, rounded) {
        out.push(sentence);
    }
    if let Some(c) = find(tables, "wellbeing_change")
        && let Some(h) = headline_score(c)
    {
        out.push(wellbeing_sentence(c, h, rounded));
        if let Some(b) = find(tables, "wellbeing_attrition_bias")
            && let Some(r) = b.rows_where(&[("score", c.text(h, "score"))]).next()
            && let Some(sentence) = attrition_sentence(b, r)
        {
            out.push(sentence);
        }
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
                let window = num(ba, r, "window_months")?;
                pool_row(d, "never_referred", "gp_appointment", window)
                    .filter(|&i| num(d, i, "did").is_some())
                    .map(|i| (d, i))
            });
            let cohort = find(tables, "health_cohort").and_then(|c| {
                c.rows_where(&[])
                    .find(|&k| c.cell(k, "window_months").display() == months)
                    .map(|k| (c, k))
            });
            let referred = cohort.and_then(|(c, k)| num(c, k, "referred"));
            match comparison {
                Some((d, i)) => sentence.push_str(&comparison_clause(d, i, rounded, referred)),
                None => sentence.push_str("no comparison cohort was available, so part of this change may be regression to the mean."),
            }
            out.push(sentence);
            if let Some((c, k)) = cohort {
                out.push(cohort_basis(c, k, &months, rounded));
            }
        }
    }
    if let Some(c) = find(tables, "community_summary")
        && !c.rows.is_empty()
    {
        out.push(format!(
            "{} received onward referrals in the period, {}.",
            // Organisations are not people: their counts are exact.
            people(c.cell(0, "organisations"), "community organisations", false),
            new_groups(c.cell(0, "new_groups"))
        ));
    }
    out.into_iter().map(|s| capitalise(&s)).collect()
}

/// Referrals and acceptance against the first earlier period
/// (`period_comparison`): "Against 2024/25 Q2 (the previous period), about
/// 205 referrals were received, against about 225 referrals then; the share
/// accepted changed by +0.5 pp (-7.1 pp to +8.0 pp, 95% CI)".
fn compared_sentence(tables: &[PublishedTable], rounded: bool) -> Option<String> {
    let t = find(tables, "period_comparison")?;
    let r = t.rows_where(&[("measure", "accepted")]).next()?;
    let interval = match (
        t.cell(r, "difference_lower").number(),
        t.cell(r, "difference_upper").number(),
    ) {
        (Some(_), Some(_)) => format!(
            " ({} to {}, 95% CI)",
            points(t.cell(r, "difference_lower")),
            points(t.cell(r, "difference_upper"))
        ),
        _ => String::new(),
    };
    Some(format!(
        "Against {} (the {}), {} were received, against {} then; the share accepted changed by {}{interval}.",
        t.text(r, "compared_period"),
        t.text(r, "comparison"),
        people(t.cell(r, "denominator"), "referrals", rounded),
        people(t.cell(r, "compared_denominator"), "referrals", rounded),
        points(t.cell(r, "difference"))
    ))
}

/// The comparison half of the GP headline, from row `i` of the published
/// difference-in-differences (never-referred pool): the design and its
/// assumption, whom the estimate describes, whether its interval can tell a
/// change from none, and whether it survived the robustness checks.
fn comparison_clause(d: &PublishedTable, i: usize, rounded: bool, referred: Option<f64>) -> String {
    // The share of the referred the estimate rests on, from the published counts.
    let share = match (num(d, i, "sets"), referred) {
        (Some(sets), Some(all)) if all > 0.0 => {
            format!(" ({:.0}% of the referred)", 100.0 * sets / all)
        }
        _ => String::new(),
    };
    let mut clause = format!(
        "set against people never referred, matched on where they are registered, age band, sex, deprivation and recent GP use (a difference-in-differences, which assumes both groups' use would have changed alike without social prescribing), the change among {}{share} matched and measured in both windows was, with its 95% CI, {}",
        people(d.cell(i, "sets"), "referred people", rounded),
        interval(d, i, "did", "did_lower", "did_upper", 2)
    );
    if let (Some(lower), Some(upper)) = (num(d, i, "did_lower"), num(d, i, "did_upper"))
        && lower <= 0.0
        && 0.0 <= upper
    {
        clause.push_str(": the data cannot tell a change from no change");
    }
    clause.push_str(match (d.text(i, "robust"), d.text(i, "designs_agree")) {
        ("no", "no") => "; this estimate is not robust: it disagrees with the estimate against people who declined referral, so an assumption of one design or the other fails here (see the health section).",
        ("no", _) if d.text(i, "robust_basis").contains("run-down") => "; this estimate is not robust: the run-down after referral may last beyond what the data can show, so it may understate the effect (see the health section).",
        ("no", _) => "; this estimate is not robust: the run-up to referral may begin before the data can show, so it may overstate the effect (see the health section).",
        ("yes", _) => "; the estimate against people who declined referral, a design that shares whatever led to referral, agrees with it.",
        ("unchecked", _) => "; too few people who declined referral could be matched to check it against a design that shares whatever led to referral.",
        _ => ".",
    });
    clause
}

/// Whom the GP figures rest on, from row `k` of the published
/// `health_cohort`: the referred people measured over the windows, and how
/// many windows the start and the end of the event data cut short.
fn cohort_basis(c: &PublishedTable, k: usize, months: &str, rounded: bool) -> String {
    let count = |column: &str| {
        people(c.cell(k, column), "", rounded)
            .trim_end()
            .to_string()
    };
    let mut basis = format!(
        "The GP figures rest on {} of {} measured over {months} months before and after referral",
        count("measured"),
        people(c.cell(k, "referred"), "referred people", rounded)
    );
    let cut_before = num(c, k, "before_data_start").is_none_or(|n| n > 0.0);
    let cut_after = num(c, k, "after_extract_end").is_none_or(|n| n > 0.0);
    if cut_before || cut_after {
        basis.push_str(&format!(
            "; the event data cut short {} before windows at its start and {} after windows at its end, so rates are per person-year observed",
            count("before_data_start"),
            count("after_extract_end")
        ));
    }
    basis.push('.');
    basis
}

/// Which way attrition probably leans the headline score's change, from
/// row `r` of the published `wellbeing_attrition_bias`: "People with a
/// follow-up started better off than those without (standardised difference
/// 0.43); weighted for the baseline, the change is +1.52 (+1.10 to +1.95),
/// so the simple average probably understates the service."
fn attrition_sentence(b: &PublishedTable, r: usize) -> Option<String> {
    let a = attrition_of(b, r)?;
    let started = format!(
        "People with a follow-up started {} off than those without on {} (standardised difference {:.2})",
        if a.better_off { "better" } else { "worse" },
        a.label,
        a.size
    );
    Some(match a.weighting_raises {
        Some(raises) => format!(
            "{started}; weighted for the baseline, the change is {}, so the simple average probably {} the service.",
            interval(
                b,
                r,
                "weighted_change",
                "weighted_lower",
                "weighted_upper",
                2
            ),
            if raises { "understates" } else { "flatters" }
        ),
        None => format!(
            "{started}, so the average describes a {} group than everyone supported.",
            if a.better_off {
                "better-off"
            } else {
                "worse-off"
            }
        ),
    })
}

/// The headline score's change: "Among about 130 people with a wellbeing
/// score at the start and at follow-up, SWEMWBS (metric score) rose by 1.16
/// points on average (95% confidence interval +0.82 to +1.49); 19.2%
/// improved by more than the questionnaire's measurement error." A withheld
/// average is said to be withheld; the reliable-change clause is left out
/// for a score without a reliable-change rule (ONS4).
fn wellbeing_sentence(c: &PublishedTable, h: usize, rounded: bool) -> String {
    let label = c.text(h, "score_label");
    let (mean, lower, upper) = (
        num(c, h, "mean_change"),
        num(c, h, "change_lower"),
        num(c, h, "change_upper"),
    );
    let dp = places(&[mean, lower, upper].map(|x| x.unwrap_or(0.0)), 2);
    let ci = match (lower, upper) {
        (Some(l), Some(u)) => format!(
            " (95% confidence interval {:+.dp$} to {:+.dp$})",
            l + 0.0,
            u + 0.0
        ),
        _ => " (too few pairs for an interval)".to_string(),
    };
    let change = match (c.cell(h, "mean_change"), mean) {
        (_, Some(x)) if x != 0.0 => format!(
            "{label} {} by {:.dp$} points on average{ci}",
            if x > 0.0 { "rose" } else { "fell" },
            x.abs()
        ),
        (_, Some(_)) => format!("{label} did not change on average{ci}"),
        (Cell::Suppressed, None) => {
            format!("the average change in {label} is withheld to protect privacy")
        }
        (_, None) => format!("no average change in {label} can be given"),
    };
    let measurement_error = "improved by more than the questionnaire's measurement error";
    let reliable = match c.cell(h, "reliably_improved_share") {
        // No reliable-change rule for this score: nothing classified.
        _ if matches!(c.cell(h, "reliably_improved"), Cell::Empty) => String::new(),
        Cell::Suppressed => format!("; the share who {measurement_error} is withheld"),
        cell if cell.number().is_some_and(f64::is_finite) => {
            format!("; {} {measurement_error}", show(cell, Fmt::Percent))
        }
        _ => String::new(),
    };
    format!(
        "Among {} with a wellbeing score at the start and at follow-up, {change}{reliable}.",
        people(c.cell(h, "pairs"), "people", rounded)
    )
}

/// "2 of them new groups", "1 of them a new group", "none of them a new group".
fn new_groups(cell: &Cell) -> String {
    match (cell, cell.number()) {
        (Cell::Suppressed, _) => "an undisclosed number of them new groups".to_string(),
        (_, Some(0.0)) => "none of them a new group".to_string(),
        (_, Some(1.0)) => "1 of them a new group".to_string(),
        (other, _) => format!("{} of them new groups", show(other, Fmt::Count)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::{community::COMMUNITY_SUMMARY, wellbeing::WELLBEING_CHANGE};
    use crate::render::report::cells::{published, t};

    fn change(cells: &[(&str, Cell)]) -> PublishedTable {
        let mut row = vec![
            ("breakdown", t("all")),
            ("score", t("swemwbs")),
            ("score_label", t("SWEMWBS (metric score)")),
        ];
        row.extend(cells.iter().cloned());
        published(&WELLBEING_CHANGE, &[&row])
    }

    fn did(robust: &str, agree: &str, limits: (f64, f64)) -> PublishedTable {
        use crate::measures::health::comparison::HEALTH_DIFFERENCE_IN_DIFFERENCES;
        published(
            &HEALTH_DIFFERENCE_IN_DIFFERENCES,
            &[&[
                ("pool", t("never_referred")),
                ("setting", t("gp_appointment")),
                ("window_months", Cell::Int(12)),
                ("sets", Cell::Int(1500)),
                ("did", Cell::Num((limits.0 + limits.1) / 2.0)),
                ("did_lower", Cell::Num(limits.0)),
                ("did_upper", Cell::Num(limits.1)),
                ("robust", t(robust)),
                ("designs_agree", t(agree)),
            ]],
        )
    }

    #[test]
    fn the_gp_headline_names_its_design_whom_it_describes_and_its_robustness() {
        let clause = |robust, agree, limits| {
            comparison_clause(&did(robust, agree, limits), 0, true, Some(3750.0))
        };
        let agreed = clause("yes", "yes", (-0.9, -0.3));
        assert!(
            agreed.contains("which assumes both groups' use would have changed alike"),
            "{agreed}"
        );
        assert!(agreed.contains("the change among about 1,500 referred people (40% of the referred) matched and measured in both windows was, with its 95% CI, -0.6 (-0.9 to -0.3)"), "{agreed}");
        assert!(agreed.ends_with("people who declined referral, a design that shares whatever led to referral, agrees with it."), "{agreed}");
        assert!(
            !agreed.contains("better estimate") && !agreed.contains("cannot tell"),
            "{agreed}"
        );
        let disagreed = clause("no", "no", (0.8, 1.6));
        assert!(
            disagreed
                .contains("not robust: it disagrees with the estimate against people who declined"),
            "{disagreed}"
        );
        let run_up = clause("no", "yes", (-1.2, -0.6));
        assert!(
            run_up
                .contains("not robust: the run-up to referral may begin before the data can show"),
            "{run_up}"
        );
        let unclear = clause("unchecked", "not compared", (-0.5, 0.1));
        assert!(
            unclear.contains(
                "the data cannot tell a change from no change; too few people who declined"
            ),
            "{unclear}"
        );
    }

    #[test]
    fn the_gp_figures_say_whom_they_rest_on_and_which_windows_were_cut() {
        use crate::measures::health::before_after::HEALTH_COHORT;
        let cohort = |before: Cell, after: Cell| {
            published(
                &HEALTH_COHORT,
                &[&[
                    ("window_months", Cell::Int(12)),
                    ("referred", Cell::Int(695)),
                    ("measured", Cell::Int(665)),
                    ("before_data_start", before),
                    ("after_extract_end", after),
                ]],
            )
        };
        assert_eq!(
            cohort_basis(&cohort(Cell::Int(340), Cell::Int(315)), 0, "12", true),
            "The GP figures rest on about 665 of about 695 referred people measured over 12 months before and after referral; the event data cut short about 340 before windows at its start and about 315 after windows at its end, so rates are per person-year observed."
        );
        assert_eq!(
            cohort_basis(&cohort(Cell::Int(0), Cell::Int(0)), 0, "12", false),
            "The GP figures rest on 665 of 695 referred people measured over 12 months before and after referral."
        );
        assert!(
            cohort_basis(&cohort(Cell::Suppressed, Cell::Int(0)), 0, "12", true)
                .contains("cut short an undisclosed number of before windows"),
        );
    }

    #[test]
    fn the_headline_says_which_way_attrition_leans() {
        use crate::render::report::sections::limitations::tests::attrition_table;
        let b = attrition_table(&[("swemwbs_metric", 0.43, 1.16, 1.25)]);
        assert_eq!(
            attrition_sentence(&b, 0).unwrap(),
            "People with a follow-up started better off than those without on SWEMWBS (metric score) (standardised difference 0.43); weighted for the baseline, the change is +1.25 (+0.95 to +1.55), so the simple average probably understates the service."
        );
        let same = attrition_table(&[("swemwbs_metric", 0.43, 1.16, 1.16)]);
        assert!(
            attrition_sentence(&same, 0)
                .unwrap()
                .ends_with("so the average describes a better-off group than everyone supported.")
        );
        let small = attrition_table(&[("swemwbs_metric", 0.05, 1.16, 1.25)]);
        assert!(attrition_sentence(&small, 0).is_none());
    }

    #[test]
    fn the_wellbeing_headline_quotes_the_published_change_and_its_interval() {
        let c = change(&[
            ("pairs", Cell::Int(130)),
            ("mean_change", Cell::Num(1.16)),
            ("change_lower", Cell::Num(0.82)),
            ("change_upper", Cell::Num(1.49)),
            ("reliably_improved", Cell::Int(25)),
            ("reliably_improved_share", Cell::Num(0.192)),
        ]);
        assert_eq!(
            wellbeing_sentence(&c, 0, true),
            "Among about 130 people with a wellbeing score at the start and at follow-up, SWEMWBS (metric score) rose by 1.16 points on average (95% confidence interval +0.82 to +1.49); 19.2% improved by more than the questionnaire's measurement error."
        );
    }

    #[test]
    fn a_withheld_average_is_said_to_be_withheld_not_shown_as_a_star() {
        let c = change(&[
            ("pairs", Cell::Suppressed),
            ("mean_change", Cell::Suppressed),
            ("reliably_improved", Cell::Suppressed),
            ("reliably_improved_share", Cell::Suppressed),
        ]);
        let s = wellbeing_sentence(&c, 0, true);
        assert_eq!(
            s,
            "Among an undisclosed number of people with a wellbeing score at the start and at follow-up, the average change in SWEMWBS (metric score) is withheld to protect privacy; the share who improved by more than the questionnaire's measurement error is withheld."
        );
        assert!(!s.contains('*') && !s.contains("did not change"), "{s}");
    }

    #[test]
    fn a_score_without_a_reliable_change_rule_has_no_reliable_change_clause() {
        let c = change(&[
            ("score_label", t("ONS4 life satisfaction")),
            ("pairs", Cell::Int(35)),
            ("mean_change", Cell::Num(0.5)),
            ("change_lower", Cell::Num(0.0)),
            ("change_upper", Cell::Num(1.0)),
        ]);
        let s = wellbeing_sentence(&c, 0, true);
        assert!(
            s.ends_with("ONS4 life satisfaction rose by 0.5 points on average (95% confidence interval +0.0 to +1.0)."),
            "{s}"
        );
        assert!(!s.contains('–'), "{s}");
        // Its share is withheld with its pairs, but there is none to withhold.
        let withheld = change(&[
            ("score_label", t("ONS4 life satisfaction")),
            ("pairs", Cell::Suppressed),
            ("mean_change", Cell::Suppressed),
            ("reliably_improved_share", Cell::Suppressed),
        ]);
        assert!(wellbeing_sentence(&withheld, 0, true).ends_with(
            "the average change in ONS4 life satisfaction is withheld to protect privacy."
        ),);
        let flat = change(&[("pairs", Cell::Int(40)), ("mean_change", Cell::Num(0.0))]);
        assert!(wellbeing_sentence(&flat, 0, false).contains(
            "SWEMWBS (metric score) did not change on average (too few pairs for an interval)"
        ));
    }

    #[test]
    fn the_period_is_set_against_the_previous_one_in_points() {
        use crate::measures::over_time::PERIOD_COMPARISON;
        let t = published(
            &PERIOD_COMPARISON,
            &[&[
                ("comparison", t("previous period")),
                ("compared_period", t("2024/25 Q2")),
                ("measure", t("accepted")),
                ("denominator", Cell::Int(205)),
                ("compared_denominator", Cell::Int(225)),
                ("difference", Cell::Num(0.00488)),
                ("difference_lower", Cell::Num(-0.0713)),
                ("difference_upper", Cell::Num(0.0801)),
            ]],
        );
        assert_eq!(
            compared_sentence(&[t], true).unwrap(),
            "Against 2024/25 Q2 (the previous period), about 205 referrals were received, against about 225 referrals then; the share accepted changed by +0.5 pp (-7.1 pp to +8.0 pp, 95% CI)."
        );
        assert!(compared_sentence(&[], true).is_none());
    }

    #[test]
    fn new_groups_read_as_english_for_none_one_and_many() {
        let summary = |n: Cell| {
            published(
                &COMMUNITY_SUMMARY,
                &[&[("organisations", Cell::Int(24)), ("new_groups", n)]],
            )
        };
        let said = |n: Cell| headlines(&[summary(n)], true).join(" ");
        assert_eq!(
            said(Cell::Int(0)),
            "24 community organisations received onward referrals in the period, none of them a new group."
        );
        assert!(said(Cell::Int(1)).ends_with(", 1 of them a new group."));
        assert!(said(Cell::Int(2)).ends_with(", 2 of them new groups."));
        assert!(said(Cell::Suppressed).ends_with(", an undisclosed number of them new groups."));
    }
}
