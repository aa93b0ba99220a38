//! The headline sentences, written from published figures only.

use super::person::headline_score;
use crate::disclosure::{Cell, PublishedTable};
use crate::render::report::cells::{
    Fmt, capitalise, find, follow_up_row, interval, num, people, places, show,
};

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
