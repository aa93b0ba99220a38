//! The limitations, written from published figures only.

use crate::disclosure::{Cell, PublishedTable};
use crate::render::report::ReportInputs;
use crate::render::report::cells::{
    Fmt, count, find, follow_up_row, longest_window, num, people, plural, pool_row, show,
};

/// The limitations: follow-up and attrition bias, few pairs, non-randomised design, matching, balance, few PCNs, provisional SPC limits, quarantine, completeness and the disclosure policy.
pub(in crate::render::report) fn limitations(
    tables: &[PublishedTable],
    inputs: &ReportInputs,
) -> Vec<String> {
    let mut out = Vec::new();
    if let Some((q, r)) = follow_up_row(tables) {
        out.push(format!(
            "Follow-up was recorded for {} of accepted referrals in the outcome cohort: the wellbeing results describe the people followed up, not everyone supported.",
            show(q.cell(r, "share"), Fmt::Percent)
        ));
    }
    if let Some(b) = find(tables, "wellbeing_attrition_bias") {
        out.extend(attrition(b));
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
            let did = find(tables, "health_difference_in_differences");
            for r in 0..m.rows.len() {
                let pool = m.text(r, "pool").replace('_', " ");
                // The sets the estimate actually rests on (matched and
                // measured in both windows of the longest window), else
                // those matched.
                let sets = did
                    .and_then(|d| used_sets(d, m.text(r, "pool")))
                    .unwrap_or_else(|| m.cell(r, "matched_sets"));
                let cases = m.cell(r, "cases");
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
                        "Only {} of {} were matched to a {pool} comparator and measured in both windows: the comparison describes those people.",
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
        // Follow-up is said above, once.
        let incomplete: Vec<String> = q
            .rows_where(&[("breakdown", "all")])
            .filter(|&r| {
                let item = q.text(r, "item");
                item.ends_with("recorded") && item != "follow_up_recorded"
            })
            .filter_map(|r| {
                let share = num(q, r, "share").filter(|&share| share < 0.9)?;
                Some(format!(
                    "{} for only {:.0}%",
                    q.text(r, "description"),
                    100.0 * share
                ))
            })
            .collect();
        if !incomplete.is_empty() {
            out.push(format!(
                "Some records are incomplete ({}), so breakdowns by them are incomplete too.",
                incomplete.join("; ")
            ));
        }
    }
    let suppressed: usize = crate::disclosure::suppressed_cells(tables).values().sum();
    if inputs.stamp.not_for_publication {
        out.push("No disclosure control was applied: NOT FOR PUBLICATION.".into());
    } else {
        out.push(format!(
            "Counts are {} and {} {} suppressed to protect privacy, so totals may not add up exactly.",
            inputs.policy.rounding_wording(),
            plural(suppressed as f64, "cell", "cells"),
            if suppressed == 1 { "was" } else { "were" }
        ));
    }
    out
}

/// One score's attrition, from row `r` of the published
/// `wellbeing_attrition_bias`, when those with a follow-up differ at the
/// start from those without by a standardised difference above 0.1.
pub(in crate::render::report) struct Attrition {
    /// The score's label.
    pub label: String,
    /// Whether those followed up started better off (in the score's
    /// direction of improvement).
    pub better_off: bool,
    /// The standardised difference's size.
    pub size: f64,
    /// Whether weighting for the baseline makes the improvement larger
    /// (None when it leaves it as it is, or is not shown).
    pub weighting_raises: Option<bool>,
}

/// The attrition of row `r` (see [`Attrition`]).
pub(in crate::render::report) fn attrition_of(b: &PublishedTable, r: usize) -> Option<Attrition> {
    let d = num(b, r, "standardised_mean_difference").filter(|d| d.abs() > 0.1)?;
    let score = b.text(r, "score");
    let rule = crate::scoring::Thresholds::builtin().rule(score);
    let up = rule.is_none_or(|rule| rule.higher_is_better);
    let weighting_raises = match (
        num(b, r, "complete_case_change"),
        num(b, r, "weighted_change"),
    ) {
        // Figures as published (two decimals): a difference under half a
        // hundredth is none.
        (Some(cc), Some(w)) if (w - cc).abs() >= 0.005 => Some((w > cc) == up),
        _ => None,
    };
    Some(Attrition {
        label: rule.map_or_else(|| score.to_string(), |rule| rule.label.clone()),
        better_off: (d > 0.0) == up,
        size: d.abs(),
        weighting_raises,
    })
}

/// Attrition bias, said once for every score: whether the people with a
/// follow-up started better or worse off than those without, and which way
/// weighting for the baseline moves the average change, so which way the
/// simple average probably leans.
fn attrition(b: &PublishedTable) -> Option<String> {
    let all: Vec<Attrition> = (0..b.rows.len())
        .filter_map(|r| attrition_of(b, r))
        .collect();
    if all.is_empty() {
        return None;
    }
    let names = |better: bool| -> Vec<&str> {
        all.iter()
            .filter(|a| a.better_off == better)
            .map(|a| a.label.as_str())
            .collect()
    };
    let (better, worse) = (names(true), names(false));
    let started = match (better.is_empty(), worse.is_empty()) {
        (false, true) => format!("better off than those without on {}", better.join(", ")),
        (true, false) => format!("worse off than those without on {}", worse.join(", ")),
        _ => format!(
            "better off than those without on {} and worse off on {}",
            better.join(", "),
            worse.join(", ")
        ),
    };
    let (low, high) = all.iter().fold((f64::INFINITY, 0.0_f64), |(l, h), a| {
        (l.min(a.size), h.max(a.size))
    });
    let raised = all
        .iter()
        .filter(|a| a.weighting_raises == Some(true))
        .count();
    let lowered = all
        .iter()
        .filter(|a| a.weighting_raises == Some(false))
        .count();
    let lean = if raised > lowered {
        format!(
            "; weighting for the baseline makes the improvement larger on {raised} of them, so the simple averages probably understate the service"
        )
    } else if lowered > raised {
        format!(
            "; weighting for the baseline makes the improvement smaller on {lowered} of them, so the simple averages probably flatter the service"
        )
    } else {
        String::new()
    };
    Some(format!(
        "People with a follow-up started {started} (standardised differences {low:.2} to {high:.2} in size){lean}; people who did not improve may also have been followed up less, which no weighting can see (see the tipping points in the person section)."
    ))
}

/// The GP difference-in-differences sets of `pool` in the longest window,
/// as published.
fn used_sets<'a>(d: &'a PublishedTable, pool: &str) -> Option<&'a Cell> {
    pool_row(d, pool, "gp_appointment", longest_window(d)).map(|r| d.cell(r, "sets"))
}

#[cfg(test)]
pub(in crate::render::report) mod tests {
    use super::*;
    use crate::disclosure::Policy;
    use crate::measures::benchmark::{Adjustment, Benchmarks};
    use crate::measures::health::comparison::HEALTH_MATCHING;
    use crate::render::Stamp;
    use crate::render::report::cells::{published, t};

    fn said(tables: &[PublishedTable], quarantined: u64) -> Vec<String> {
        let stamp = Stamp {
            title: "test".into(),
            period: "2024/25".into(),
            spec_sha256: String::new(),
            spec_file: String::new(),
            sprout_version: String::new(),
            generated_at: String::new(),
            generated_epoch: 0,
            policy: "nhs_digital".into(),
            policy_description: String::new(),
            not_for_publication: false,
            inputs: Vec::new(),
        };
        let benchmarks = Benchmarks {
            funnels: Vec::new(),
            spc: Vec::new(),
            adjustment: Adjustment::Auto,
        };
        limitations(
            tables,
            &ReportInputs {
                stamp: &stamp,
                tables,
                benchmarks: &benchmarks,
                warnings: &[],
                settings: Vec::new(),
                parameters: Vec::new(),
                quarantined,
                min_pairs: 30,
                policy: Policy::NhsDigital,
                templates: None,
                highlight: None,
            },
        )
    }

    #[test]
    fn matching_limitations_quote_published_counts_and_never_a_withheld_one() {
        let matching = published(
            &HEALTH_MATCHING,
            &[
                &[
                    ("pool", t("declined")),
                    ("cases", Cell::Int(695)),
                    ("matched_sets", Cell::Int(20)),
                ],
                &[
                    ("pool", t("never_referred")),
                    ("cases", Cell::Int(695)),
                    ("matched_sets", Cell::Suppressed),
                ],
            ],
        );
        let out = said(&[matching], 3);
        assert!(
            out.contains(&"The declined comparison rests on about 20 matched people: its intervals are wide.".to_string()),
            "{out:?}"
        );
        assert!(
            out.contains(&"Too few referred people found a never referred comparator to show how many: its estimates are too uncertain to rely on.".to_string()),
            "{out:?}"
        );
        assert!(
            out.contains(&"3 rows failed validation and are left out of every figure.".to_string())
        );
        assert_eq!(
            out.last().unwrap(),
            "Counts are rounded to the nearest 5 and 1 cell was suppressed to protect privacy, so totals may not add up exactly."
        );
    }

    #[test]
    fn the_few_matched_limitation_counts_the_sets_the_estimate_rests_on() {
        use crate::measures::health::comparison::HEALTH_DIFFERENCE_IN_DIFFERENCES;
        let matching = published(
            &HEALTH_MATCHING,
            &[&[
                ("pool", t("never_referred")),
                ("cases", Cell::Int(695)),
                ("matched_sets", Cell::Int(350)),
            ]],
        );
        let did = published(
            &HEALTH_DIFFERENCE_IN_DIFFERENCES,
            &[
                &[
                    ("pool", t("never_referred")),
                    ("setting", t("gp_appointment")),
                    ("window_months", Cell::Int(6)),
                    ("sets", Cell::Int(340)),
                ],
                &[
                    ("pool", t("never_referred")),
                    ("setting", t("gp_appointment")),
                    ("window_months", Cell::Int(12)),
                    ("sets", Cell::Int(280)),
                ],
            ],
        );
        // 350 of 695 matched is half; 280 of them measured over 12 months is not.
        let alone = said(std::slice::from_ref(&matching), 0);
        assert!(!alone.iter().any(|l| l.starts_with("Only")), "{alone:?}");
        let out = said(&[matching, did], 0);
        assert!(
            out.contains(&"Only about 280 of about 695 referred people were matched to a never referred comparator and measured in both windows: the comparison describes those people.".to_string()),
            "{out:?}"
        );
    }

    /// Rows of a published `wellbeing_attrition_bias`: score, standardised
    /// difference, complete-case and weighted change.
    pub(in crate::render::report) fn attrition_table(
        rows: &[(&str, f64, f64, f64)],
    ) -> PublishedTable {
        use crate::measures::wellbeing::attrition::WELLBEING_ATTRITION_BIAS;
        let rows: Vec<Vec<(&str, Cell)>> = rows
            .iter()
            .map(|&(score, smd, cc, w)| {
                vec![
                    ("score", t(score)),
                    ("standardised_mean_difference", Cell::Num(smd)),
                    ("complete_case_change", Cell::Num(cc)),
                    ("weighted_change", Cell::Num(w)),
                    ("weighted_lower", Cell::Num(w - 0.3)),
                    ("weighted_upper", Cell::Num(w + 0.3)),
                ]
            })
            .collect();
        let refs: Vec<&[(&str, Cell)]> = rows.iter().map(|r| r.as_slice()).collect();
        published(&WELLBEING_ATTRITION_BIAS, &refs)
    }

    #[test]
    fn attrition_is_said_once_in_each_score_s_direction_with_the_way_it_leans() {
        // Higher SWEMWBS and lower loneliness are both better off; weighting
        // raises SWEMWBS's improvement and lowers loneliness's score (an improvement too).
        let b = attrition_table(&[
            ("swemwbs_metric", 0.43, 1.16, 1.25),
            ("ucla3_total", -0.44, -0.5, -0.7),
            ("ons4_anxiety", 0.05, -0.4, -0.5),
        ]);
        let said = attrition(&b).unwrap();
        assert_eq!(
            said,
            "People with a follow-up started better off than those without on SWEMWBS (metric score), UCLA-3 loneliness (standardised differences 0.43 to 0.44 in size); weighting for the baseline makes the improvement larger on 2 of them, so the simple averages probably understate the service; people who did not improve may also have been followed up less, which no weighting can see (see the tipping points in the person section)."
        );
        let flattering =
            attrition(&attrition_table(&[("swemwbs_metric", -0.3, 1.2, 0.9)])).unwrap();
        assert!(
            flattering.contains("worse off than those without on SWEMWBS")
                && flattering
                    .contains("smaller on 1 of them, so the simple averages probably flatter"),
            "{flattering}"
        );
        assert!(attrition(&attrition_table(&[("swemwbs_metric", 0.05, 1.2, 1.3)])).is_none());
    }

    #[test]
    fn no_comparison_cohort_says_the_figures_are_naive() {
        let out = said(&[], 0);
        assert!(
            out.iter()
                .any(|l| l.starts_with("No comparison cohort available:")),
            "{out:?}"
        );
        assert!(out.iter().all(|l| !l.contains("failed validation")));
    }
}
