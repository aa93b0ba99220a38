//! The limitations, written from published figures only.

use crate::disclosure::{Cell, PublishedTable};
use crate::render::report::ReportInputs;
use crate::render::report::cells::{Fmt, count, find, follow_up_row, num, people, plural, show};

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
            "Counts are {} and {} {} suppressed to protect privacy, so totals may not add up exactly.",
            inputs.policy.rounding_wording(),
            plural(suppressed as f64, "cell", "cells"),
            if suppressed == 1 { "was" } else { "were" }
        ));
    }
    out
}

/// The GP difference-in-differences sets of `pool` in the longest window,
/// as published.
fn used_sets<'a>(d: &'a PublishedTable, pool: &str) -> Option<&'a Cell> {
    let longest = (0..d.rows.len())
        .filter_map(|r| num(d, r, "window_months"))
        .fold(f64::NAN, f64::max);
    d.rows_where(&[("pool", pool), ("setting", "gp_appointment")])
        .find(|&r| num(d, r, "window_months") == Some(longest))
        .map(|r| d.cell(r, "sets"))
}

#[cfg(test)]
mod tests {
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
                quarantined,
                min_pairs: 30,
                policy: Policy::NhsDigital,
                templates: None,
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
