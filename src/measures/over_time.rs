//! Change over time: the headline measures of the period beside the same
//! measures in earlier periods ([`Period::comparisons`]: the previous quarter
//! and the same quarter a year earlier, or the year before), with the
//! difference and its 95% interval, and by quarter over the trend
//! ([`Period::trend_quarters`]).
//!
//! Each earlier period is measured exactly as the period is: referrals,
//! acceptance and follow-up by the data quality query
//! ([`quality::overall`]), paired change by the pairs query run once over the
//! whole range and split by each episode's cohort date
//! ([`wellbeing::pairs_by_span`]), and the trend's referrals by the uptake
//! query, whose quarters are `service_uptake`'s. The health and care
//! system's comparisons are not repeated by period: their 12-month windows
//! either side of referral do not divide into quarters.

use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;

use super::period::{Comparison, Period, REFERRAL_SPAN_SQL, ReferralSpan, quarter_label};
use super::quality::{self, DATA_QUALITY_SQL, Overall};
use super::service::SERVICE_UPTAKE_SQL;
use super::table::{
    OutColumn, OutTable, Sums, TableBuilder, TableDef, count, int_at, int_value, num_value, share,
    share_difference, statistic, text, text_value, wilson_lower, wilson_upper,
};
use super::wellbeing::{Episodes, PairingRules, SpanPairs, WELLBEING_PAIRS_SQL, pairs_by_span};
use crate::batch::Value;
use crate::error::Result;
use crate::stats::compare::{Difference, newcombe, welch};
use crate::stats::summary::mean_ci;

/// The counts of the period's share.
const SHARES: (&str, &str) = ("count", "denominator");

/// The counts of the earlier period's share.
const COMPARED_SHARES: (&str, &str) = ("compared_count", "compared_denominator");

/// The table's declaration.
pub const PERIOD_COMPARISON: TableDef = TableDef {
    name: "period_comparison",
    description: "One headline share in the period beside the same share in an earlier period, and their difference",
    queries: &[DATA_QUALITY_SQL],
    columns: &[
        text("period", "Reporting period"),
        text(
            "comparison",
            "previous period, same period a year earlier, or previous year (the year before a year: both at once)",
        ),
        text("compared_period", "The earlier period"),
        text("compared_dates", "Its first and last day"),
        text(
            "measure",
            "accepted (referrals received that were accepted) or follow_up_recorded (accepted referrals in the outcome cohort with a follow-up assessment)",
        ),
        count("count", "Referrals counted in the period"),
        count("denominator", "Referrals the share is of, in the period"),
        share("share", "count", "denominator", "count / denominator"),
        count("compared_count", "Referrals counted in the earlier period"),
        count(
            "compared_denominator",
            "Referrals the share is of, in the earlier period",
        ),
        share(
            "compared_share",
            "compared_count",
            "compared_denominator",
            "compared_count / compared_denominator",
        ),
        share_difference(
            "difference",
            SHARES,
            COMPARED_SHARES,
            None,
            "share minus compared_share",
        ),
        share_difference(
            "difference_lower",
            SHARES,
            COMPARED_SHARES,
            Some(false),
            "Lower 95% limit of the difference (Newcombe's hybrid score interval)",
        ),
        share_difference(
            "difference_upper",
            SHARES,
            COMPARED_SHARES,
            Some(true),
            "Upper 95% limit of the difference",
        ),
        text(
            "outcome_cohort",
            "follow_up_recorded counts accepted referrals closed in each period (default) or received in it",
        ),
    ],
    sums: Sums::NONE,
};

/// The bases of a difference between two periods' paired changes.
const PAIR_BASES: &[&str] = &["pairs", "compared_pairs"];

/// The counts of the period's share reliably improved.
const IMPROVED: (&str, &str) = ("reliably_improved", "pairs");

/// The counts of the earlier period's share reliably improved.
const COMPARED_IMPROVED: (&str, &str) = ("compared_reliably_improved", "compared_pairs");

/// The table's declaration.
pub const WELLBEING_CHANGE_COMPARISON: TableDef = TableDef {
    name: "wellbeing_change_comparison",
    description: "One score's paired change in the period beside its change in an earlier period, and their difference",
    queries: &[WELLBEING_PAIRS_SQL],
    columns: &[
        text("period", "Reporting period"),
        text(
            "comparison",
            "previous period, same period a year earlier, or previous year",
        ),
        text("compared_period", "The earlier period"),
        text(
            "cohort",
            "Outcome cohort in each period: accepted referrals whose episode closed in it (default) or that were received in it",
        ),
        text("score", "Score name (see thresholds)"),
        text("score_label", "Score label"),
        count(
            "pairs",
            "Pairs in the period (as wellbeing_change's all row)",
        ),
        statistic("mean_change", &["pairs"], "Mean change in the period"),
        statistic("change_lower", &["pairs"], "Lower 95% t limit"),
        statistic("change_upper", &["pairs"], "Upper 95% t limit"),
        count("compared_pairs", "Pairs in the earlier period"),
        statistic(
            "compared_mean_change",
            &["compared_pairs"],
            "Mean change in the earlier period",
        ),
        statistic(
            "compared_change_lower",
            &["compared_pairs"],
            "Lower 95% t limit",
        ),
        statistic(
            "compared_change_upper",
            &["compared_pairs"],
            "Upper 95% t limit",
        ),
        statistic(
            "difference",
            PAIR_BASES,
            "mean_change minus compared_mean_change",
        ),
        statistic(
            "difference_lower",
            PAIR_BASES,
            "Lower 95% limit of the difference (Welch, the periods' people taken as independent)",
        ),
        statistic(
            "difference_upper",
            PAIR_BASES,
            "Upper 95% limit of the difference",
        ),
        count("reliably_improved", "Pairs reliably improved in the period"),
        share(
            "reliably_improved_share",
            "reliably_improved",
            "pairs",
            "Share reliably improved in the period",
        ),
        count(
            "compared_reliably_improved",
            "Pairs reliably improved in the earlier period",
        ),
        share(
            "compared_reliably_improved_share",
            "compared_reliably_improved",
            "compared_pairs",
            "Share reliably improved in the earlier period",
        ),
        share_difference(
            "improved_difference",
            IMPROVED,
            COMPARED_IMPROVED,
            None,
            "reliably_improved_share minus compared_reliably_improved_share",
        ),
        share_difference(
            "improved_difference_lower",
            IMPROVED,
            COMPARED_IMPROVED,
            Some(false),
            "Lower 95% limit (Newcombe's hybrid score interval)",
        ),
        share_difference(
            "improved_difference_upper",
            IMPROVED,
            COMPARED_IMPROVED,
            Some(true),
            "Upper 95% limit",
        ),
        text(
            "inference",
            "reported, or why the intervals and differences are withheld (too few pairs in either period)",
        ),
    ],
    sums: Sums::NONE,
};

/// The quarter of a trend row and the period it makes up.
const TREND_KEY: [OutColumn; 3] = [
    text("period", "Reporting period"),
    text("quarter", "NHS financial-year quarter"),
    text(
        "part_of",
        "The period or earlier period this quarter is one of the whole quarters of (empty when none)",
    ),
];

/// The table's declaration.
pub const REFERRALS_TREND: TableDef = TableDef {
    name: "referrals_trend",
    description: "Referrals received and accepted in one quarter of the trend up to the period",
    queries: &[SERVICE_UPTAKE_SQL, REFERRAL_SPAN_SQL],
    columns: &[
        TREND_KEY[0],
        TREND_KEY[1],
        TREND_KEY[2],
        count("referrals", "Referrals received in the quarter"),
        count("accepted", "Of them, accepted"),
        share("accepted_share", "accepted", "referrals", "Share accepted"),
        wilson_lower(
            "accepted_lower",
            "accepted",
            "referrals",
            "Lower 95% Wilson limit",
        ),
        wilson_upper(
            "accepted_upper",
            "accepted",
            "referrals",
            "Upper 95% Wilson limit",
        ),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const WELLBEING_CHANGE_TREND: TableDef = TableDef {
    name: "wellbeing_change_trend",
    description: "One score's paired change in the outcome cohort of one quarter of the trend up to the period",
    queries: &[WELLBEING_PAIRS_SQL, REFERRAL_SPAN_SQL],
    columns: &[
        TREND_KEY[0],
        TREND_KEY[1],
        TREND_KEY[2],
        text(
            "cohort",
            "Outcome cohort of the quarter: accepted referrals whose episode closed in it (default) or that were received in it",
        ),
        text("score", "Score name (see thresholds)"),
        text("score_label", "Score label"),
        count("pairs", "Pairs in the quarter"),
        statistic("mean_change", &["pairs"], "Mean change"),
        statistic("change_lower", &["pairs"], "Lower 95% t limit"),
        statistic("change_upper", &["pairs"], "Upper 95% t limit"),
        text(
            "inference",
            "reported, or why the interval is withheld (too few pairs)",
        ),
    ],
    sums: Sums::NONE,
};

/// The four change-over-time tables for `period`, whose `episodes` the
/// person outcomes loaded, whose referrals, acceptance and follow-up (`now`)
/// the data quality table counted, and whose referrals' dates `span` gives:
/// only the days before the period are loaded here.
///
/// Every query here is bound before any result is looked at: the earlier
/// days are loaded over the widest range the trend could need (from every
/// earlier period, whether or not it holds referrals), and the days before
/// the first referral, or before earlier periods without referrals, are left
/// out afterwards. So the queries a run makes follow from the period and the
/// settings alone, and `sprout queries` can write them all out beforehand.
pub async fn over_time(
    ctx: &SessionContext,
    period: &Period,
    rules: &PairingRules,
    (episodes, now, span): (&Episodes, Overall, ReferralSpan),
) -> Result<Vec<OutTable>> {
    let mut compared = Vec::new();
    for (comparison, span) in period.comparisons() {
        let overall = quality::overall(ctx, &span, rules.cohort).await?;
        compared.push((comparison, span, overall));
    }
    let widest = period.trend_quarters(
        compared
            .iter()
            .map(|e| e.1.start)
            .min()
            .unwrap_or(period.start),
    );
    let widest_start = widest
        .iter()
        .chain(compared.iter().map(|e| &e.1))
        .map(|p| p.start)
        .min()
        .unwrap_or(period.start);
    let earlier_days = if widest_start < period.start {
        let days = Period {
            start: widest_start,
            end: period.start - chrono::Duration::days(1),
            label: String::new(),
        };
        Episodes::load(ctx, &days, rules).await?
    } else {
        Episodes::default()
    };
    let uptake = match (widest.first(), widest.last()) {
        (Some(first), Some(last)) => {
            let range = Period {
                start: first.start,
                end: last.end,
                label: String::new(),
            };
            SERVICE_UPTAKE_SQL.run(ctx, &range.parameters()).await?
        }
        _ => Vec::new(),
    };
    let Some(first) = span.first() else {
        return empty();
    };
    // A period before the data began has nothing to compare with.
    let earlier: Vec<_> = compared.into_iter().filter(|e| e.2.referrals > 0).collect();
    let quarters: Vec<Period> = period
        .trend_quarters(
            earlier
                .iter()
                .map(|e| e.1.start)
                .min()
                .unwrap_or(period.start),
        )
        .into_iter()
        .filter(|q| q.end >= first)
        .collect();
    // Spans: the period, each earlier period, then each quarter.
    let mut spans = vec![period.clone()];
    spans.extend(earlier.iter().map(|e| e.1.clone()));
    spans.extend(quarters.iter().cloned());
    // The episodes before the period (the trend's and earlier periods' days),
    // beside the period's own: together they cover every span once.
    let before = match spans.iter().map(|s| s.start).min() {
        Some(start) if start < period.start => earlier_days.from_day(start),
        _ => Episodes::default(),
    };
    let pairs = pairs_by_span(&[episodes, &before], &spans);
    let parts = part_of(&quarters, &spans[..1 + earlier.len()]);
    let cohort = rules.cohort.label();
    let mut comparison = TableBuilder::new(&PERIOD_COMPARISON);
    let mut change = TableBuilder::new(&WELLBEING_CHANGE_COMPARISON);
    for (k, (kind, span, then)) in earlier.iter().enumerate() {
        for row in share_rows(&period.label, (*kind, span), (&now, then), cohort) {
            comparison.push_named(&row);
        }
        let span_index = 1 + k;
        for here in pairs.iter().filter(|p| p.span == 0) {
            if let Some(there) = pairs
                .iter()
                .find(|p| p.span == span_index && p.score == here.score)
            {
                change.push_named(&change_row(
                    (&period.label, *kind, &span.label, cohort),
                    (here, there),
                    rules.min_pairs,
                ));
            }
        }
    }
    let trend = referrals_trend(&uptake, period, &quarters, &parts)?;
    let mut scores = TableBuilder::new(&WELLBEING_CHANGE_TREND);
    let offset = 1 + earlier.len();
    for score in score_order(&pairs) {
        for (q, quarter) in quarters.iter().enumerate() {
            if let Some(p) = pairs
                .iter()
                .find(|p| p.span == offset + q && p.score == score)
            {
                scores.push_named(&trend_change_row(
                    (&period.label, &quarter.label, &parts[q], cohort),
                    p,
                    rules.min_pairs,
                ));
            }
        }
    }
    Ok(vec![
        comparison.finish()?,
        change.finish()?,
        trend,
        scores.finish()?,
    ])
}

/// The four tables with no rows (a warehouse without referrals).
fn empty() -> Result<Vec<OutTable>> {
    [
        &PERIOD_COMPARISON,
        &WELLBEING_CHANGE_COMPARISON,
        &REFERRALS_TREND,
        &WELLBEING_CHANGE_TREND,
    ]
    .into_iter()
    .map(|def| TableBuilder::new(def).finish())
    .collect()
}

/// For each quarter, the label of the span (the period or an earlier one)
/// it is one of the whole quarters of, when that span is exactly whole
/// quarters of the trend (else empty: its quarters do not add up to it).
/// Quarters before the first referral were left out of the trend; they hold
/// no referrals and no pairs, so the rest still add up.
fn part_of(quarters: &[Period], spans: &[Period]) -> Vec<String> {
    let mut parts = vec![String::new(); quarters.len()];
    for span in spans {
        let inside: Vec<usize> = (0..quarters.len())
            .filter(|&q| quarters[q].start >= span.start && quarters[q].end <= span.end)
            .collect();
        let (fy, quarter) = super::period::quarter_of(span.start);
        let starts_a_quarter =
            Period::parse(&quarter_label(fy, quarter)).is_ok_and(|p| p.start == span.start);
        let whole = starts_a_quarter
            && inside.last().is_some_and(|&q| quarters[q].end == span.end)
            && inside
                .first()
                .is_some_and(|&q| quarters[q].start == span.start || q == 0);
        if whole {
            for q in inside {
                parts[q].clone_from(&span.label);
            }
        }
    }
    parts
}

/// The two share rows (acceptance, follow-up) of one earlier period.
fn share_rows(
    period: &str,
    (kind, span): (Comparison, &Period),
    (now, then): (&Overall, &Overall),
    cohort: &str,
) -> Vec<Vec<(&'static str, Value)>> {
    [
        (
            "accepted",
            (now.accepted, now.referrals),
            (then.accepted, then.referrals),
        ),
        (
            "follow_up_recorded",
            (now.follow_up_recorded, now.outcome_accepted),
            (then.follow_up_recorded, then.outcome_accepted),
        ),
    ]
    .into_iter()
    .map(|(measure, (x, n), (cx, cn))| {
        let d = newcombe(x as f64, n as f64, cx as f64, cn as f64);
        let ratio = |a: i64, b: i64| num_value(if b > 0 { a as f64 / b as f64 } else { f64::NAN });
        vec![
            ("period", text_value(period)),
            ("comparison", text_value(kind.label())),
            ("compared_period", text_value(&span.label)),
            (
                "compared_dates",
                text_value(format!("{} to {}", span.start, span.end)),
            ),
            ("measure", text_value(measure)),
            ("count", int_value(x)),
            ("denominator", int_value(n)),
            ("share", ratio(x, n)),
            ("compared_count", int_value(cx)),
            ("compared_denominator", int_value(cn)),
            ("compared_share", ratio(cx, cn)),
            ("difference", num_value(d.difference)),
            ("difference_lower", num_value(d.lower)),
            ("difference_upper", num_value(d.upper)),
            ("outcome_cohort", text_value(cohort)),
        ]
    })
    .collect()
}

/// Whether both sides have the pairs for intervals, and if not why.
fn inference(sides: &[usize], min_pairs: usize) -> (bool, String) {
    if sides.iter().all(|&n| n >= min_pairs.max(2)) {
        (true, "reported".to_string())
    } else {
        (
            false,
            // Not the number: the count columns publish it, rounded or suppressed.
            format!("withheld: fewer pairs than the minimum of {min_pairs}"),
        )
    }
}

/// One row of `wellbeing_change_comparison`.
fn change_row(
    (period, kind, compared, cohort): (&str, Comparison, &str, &str),
    (here, there): (&SpanPairs, &SpanPairs),
    min_pairs: usize,
) -> Vec<(&'static str, Value)> {
    let changes = |p: &SpanPairs| mean_ci(&p.pairs.iter().map(|(b, a)| a - b).collect::<Vec<_>>());
    let (a, b) = (changes(here), changes(there));
    let (infer, why) = inference(&[a.n, b.n], min_pairs);
    let when = |x: f64| if infer { num_value(x) } else { Value::Null };
    // Each period's own interval as its own table shows it (with enough pairs).
    let own = |x: f64, n: usize| {
        if inference(&[n], min_pairs).0 {
            num_value(x)
        } else {
            Value::Null
        }
    };
    let d = welch(&a, &b);
    let improved = |p: &SpanPairs| p.reliably_improved.map_or(Value::Null, int_value);
    let improved_share = |p: &SpanPairs, n: usize| {
        p.reliably_improved
            .filter(|_| n > 0)
            .map_or(Value::Null, |x| num_value(x as f64 / n as f64))
    };
    let improved_difference = match (here.reliably_improved, there.reliably_improved) {
        (Some(x), Some(y)) if infer => newcombe(x as f64, a.n as f64, y as f64, b.n as f64),
        _ => Difference {
            difference: f64::NAN,
            lower: f64::NAN,
            upper: f64::NAN,
        },
    };
    let shown = |x: f64| {
        if x.is_nan() {
            Value::Null
        } else {
            num_value(x)
        }
    };
    vec![
        ("period", text_value(period)),
        ("comparison", text_value(kind.label())),
        ("compared_period", text_value(compared)),
        ("cohort", text_value(cohort)),
        ("score", text_value(here.score)),
        ("score_label", text_value(&here.label)),
        ("pairs", int_value(a.n)),
        ("mean_change", shown(a.mean)),
        ("change_lower", own(a.lower, a.n)),
        ("change_upper", own(a.upper, a.n)),
        ("compared_pairs", int_value(b.n)),
        ("compared_mean_change", shown(b.mean)),
        ("compared_change_lower", own(b.lower, b.n)),
        ("compared_change_upper", own(b.upper, b.n)),
        ("difference", when(d.difference)),
        ("difference_lower", when(d.lower)),
        ("difference_upper", when(d.upper)),
        ("reliably_improved", improved(here)),
        ("reliably_improved_share", improved_share(here, a.n)),
        ("compared_reliably_improved", improved(there)),
        (
            "compared_reliably_improved_share",
            improved_share(there, b.n),
        ),
        ("improved_difference", shown(improved_difference.difference)),
        (
            "improved_difference_lower",
            shown(improved_difference.lower),
        ),
        (
            "improved_difference_upper",
            shown(improved_difference.upper),
        ),
        ("inference", text_value(why)),
    ]
}

/// One row of `wellbeing_change_trend`.
fn trend_change_row(
    (period, quarter, part, cohort): (&str, &str, &str, &str),
    p: &SpanPairs,
    min_pairs: usize,
) -> Vec<(&'static str, Value)> {
    let c = mean_ci(&p.pairs.iter().map(|(b, a)| a - b).collect::<Vec<_>>());
    let (infer, why) = inference(&[c.n], min_pairs);
    let when = |x: f64| if infer { num_value(x) } else { Value::Null };
    vec![
        ("period", text_value(period)),
        ("quarter", text_value(quarter)),
        ("part_of", text_value(part)),
        ("cohort", text_value(cohort)),
        ("score", text_value(p.score)),
        ("score_label", text_value(&p.label)),
        ("pairs", int_value(c.n)),
        (
            "mean_change",
            if c.n > 0 {
                num_value(c.mean)
            } else {
                Value::Null
            },
        ),
        ("change_lower", when(c.lower)),
        ("change_upper", when(c.upper)),
        ("inference", text_value(why)),
    ]
}

/// The scores in the order the pairs came (instrument, then score).
fn score_order(pairs: &[SpanPairs]) -> Vec<&'static str> {
    let mut seen: Vec<&'static str> = Vec::new();
    for p in pairs {
        if !seen.contains(&p.score) {
            seen.push(p.score);
        }
    }
    seen
}

/// `referrals_trend`: the trend's quarters, from the uptake query run over
/// them (and perhaps earlier quarters, which are not shown).
fn referrals_trend(
    uptake: &[RecordBatch],
    period: &Period,
    quarters: &[Period],
    parts: &[String],
) -> Result<OutTable> {
    let mut table = TableBuilder::new(&REFERRALS_TREND);
    let mut counts = std::collections::BTreeMap::new();
    for b in uptake {
        for i in 0..b.num_rows() {
            if let (Some(fy), Some(q)) = (int_at(b, "fy", i), int_at(b, "quarter", i)) {
                counts.insert(
                    quarter_label(fy, q),
                    (
                        int_at(b, "referred", i).unwrap_or(0),
                        int_at(b, "accepted", i).unwrap_or(0),
                    ),
                );
            }
        }
    }
    for (quarter, part) in quarters.iter().zip(parts) {
        let (referrals, accepted) = counts.get(&quarter.label).copied().unwrap_or((0, 0));
        let p = crate::stats::proportion::wilson(accepted as u64, referrals as u64);
        table.push_named(&[
            ("period", text_value(&period.label)),
            ("quarter", text_value(&quarter.label)),
            ("part_of", text_value(part)),
            ("referrals", int_value(referrals)),
            ("accepted", int_value(accepted)),
            ("accepted_share", num_value(p.p)),
            ("accepted_lower", num_value(p.lower)),
            ("accepted_upper", num_value(p.upper)),
        ]);
    }
    table.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(label: &str) -> Period {
        Period::parse(label).unwrap()
    }

    #[test]
    fn quarters_are_marked_only_as_whole_parts_of_a_span() {
        let quarters: Vec<Period> = ["2023/24 Q3", "2023/24 Q4", "2024/25 Q1", "2024/25 Q2"]
            .iter()
            .map(|l| q(l))
            .collect();
        let parts = part_of(
            &quarters,
            &[
                q("2024/25 Q2"),
                q("2024/25 Q1"),
                q("2025-01-01..2025-01-31"),
                q("2023-10-15..2023-12-31"),
            ],
        );
        assert_eq!(parts, ["", "", "2024/25 Q1", "2024/25 Q2"]);
        // A year whose first quarters fell before the first referral (and
        // were left out of the trend) is still made of the quarters left.
        let parts = part_of(&quarters, &[q("2023/24")]);
        assert_eq!(parts, ["2023/24", "2023/24", "", ""]);
    }

    #[test]
    fn a_change_row_withholds_differences_when_either_period_has_few_pairs() {
        let span = |span: usize, n: usize, improved: u64| SpanPairs {
            span,
            score: "swemwbs_metric",
            label: "SWEMWBS".into(),
            pairs: (0..n).map(|i| (20.0, 20.0 + (i % 5) as f64)).collect(),
            reliably_improved: Some(improved),
        };
        let row = change_row(
            ("2024/25", Comparison::PreviousYear, "2023/24", "closed"),
            (&span(0, 40, 10), &span(1, 12, 2)),
            30,
        );
        let get = |name: &str| row.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(get("difference"), Value::Null);
        assert_eq!(get("improved_difference"), Value::Null);
        assert_eq!(get("mean_change"), num_value(2.0));
        let row = change_row(
            ("2024/25", Comparison::PreviousYear, "2023/24", "closed"),
            (&span(0, 40, 10), &span(1, 35, 2)),
            30,
        );
        let get = |name: &str| row.iter().find(|(n, _)| *n == name).unwrap().1.clone();
        assert_eq!(get("inference"), text_value("reported"));
        let d = welch(
            &mean_ci(
                &span(0, 40, 0)
                    .pairs
                    .iter()
                    .map(|(b, a)| a - b)
                    .collect::<Vec<_>>(),
            ),
            &mean_ci(
                &span(1, 35, 0)
                    .pairs
                    .iter()
                    .map(|(b, a)| a - b)
                    .collect::<Vec<_>>(),
            ),
        );
        assert_eq!(get("difference_lower"), num_value(d.lower));
        let n = newcombe(10.0, 40.0, 2.0, 35.0);
        assert_eq!(get("improved_difference_upper"), num_value(n.upper));
    }
}
