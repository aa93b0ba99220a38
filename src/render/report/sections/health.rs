//! Impact on the health and care system: naive change beside the comparison cohorts.

use crate::disclosure::PublishedTable;
use crate::render::charts::figure::{Figure, FigureKind, Series};
use crate::render::report::cells::{
    Col, Fmt, find, interval, label, longest_window, num, pool_row, show, view,
};
use crate::render::report::{Section, TableView};

pub(in crate::render::report) const RTM_EXPLANATION: &str = "People are usually referred when things are at their worst, so their use of services is often unusually high just before referral and would fall afterwards even without any help: regression to the mean. A simple before-and-after comparison therefore overstates the effect. The comparison-cohort estimate sets the referred people's change against the change of similar people (same practice, age band, sex, deprivation and recent GP use) who were not referred, or who were referred and declined; the difference between the two changes (difference-in-differences) is a better estimate of the effect than the naive change, if its assumptions hold: the two designs rest on different ones, so they are set side by side below.";

/// The health section: the naive before/after change beside each comparison cohort's difference-in-differences, matching and baseline bands.
pub(in crate::render::report) fn health_section(
    tables: &[PublishedTable],
    warnings: &[String],
) -> Section {
    let mut s = Section {
        id: "health".into(),
        title: "Impact on the health and care system".into(),
        ..Section::default()
    };
    s.intro.push(RTM_EXPLANATION.into());
    if let Some(w) = find(tables, "health_washout") {
        if let Some(r) = w.rows_where(&[("side", "before")]).next() {
            s.intro.push(format!(
                "The comparison's before window ends {} days before referral, leaving out the run-up to it (the washout), {}.",
                show(w.cell(r, "washout_days"), Fmt::Count),
                w.text(r, "basis")
            ));
        }
        if let Some(r) = w.rows_where(&[("side", "after")]).next() {
            s.intro.push(match num(w, r, "washout_days") {
                Some(days) if days > 0.0 => format!(
                    "Its after window starts {} days after referral, leaving out the run-down after it, {}.",
                    show(w.cell(r, "washout_days"), Fmt::Count),
                    w.text(r, "basis")
                ),
                _ => format!(
                    "Its after window starts the day after referral ({}).",
                    w.text(r, "basis")
                ),
            });
        }
    }
    s.cautions.extend(warnings.iter().cloned());
    let Some(ba) = find(tables, "health_before_after").filter(|t| !t.rows.is_empty()) else {
        s.empty = "No health and care events were found for the referred people: no comparison was possible.".into();
        return s;
    };
    let did = find(tables, "health_difference_in_differences");
    let mut t = view(
        ba,
        &(0..ba.rows.len()).collect::<Vec<_>>(),
        &[
            Col("Months", "window_months", Fmt::Text),
            Col("Setting", "setting_label", Fmt::Text),
            Col("People", "people", Fmt::Count),
            Col("Rate before", "mean_before_rate", Fmt::Fixed(2)),
            Col("Rate after", "mean_after_rate", Fmt::Fixed(2)),
            Col("Naive change (95% CI)", "mean_change", Fmt::Signed(2)),
            Col("Against never referred (95% CI)", "mean_change", Fmt::Text),
            Col("Against declined (95% CI)", "mean_change", Fmt::Text),
            Col("Designs agree", "mean_change", Fmt::Text),
            Col("Never-referred estimate robust", "mean_change", Fmt::Text),
        ],
        "Events per person-year before and after referral: naive change beside the comparison-cohort estimate",
        "Rates are events per person-year; a negative change is a fall in use. Comparison estimates are differences-in-differences against matched comparators, with bootstrap intervals; they describe the matched referred people. 'Designs agree': whether the two comparison estimates agree within their intervals. 'Robust': the designs agree closely enough to have seen a bias as large as the effect, and the run-up to referral ends within what the data can show; 'unchecked': too few people who declined could be matched for that check.",
    );
    for r in 0..ba.rows.len() {
        t.rows[r][0] = show(ba.cell(r, "window_months"), Fmt::Count);
        t.rows[r][5] = interval(ba, r, "mean_change", "change_lower", "change_upper", 2);
        let setting = ba.text(r, "setting").to_string();
        let months = num(ba, r, "window_months").unwrap_or(f64::NAN);
        let row_of = |d: &PublishedTable, pool: &str| pool_row(d, pool, &setting, months);
        for (column, pool) in [(6, "never_referred"), (7, "declined")] {
            t.rows[r][column] = did
                .and_then(|d| {
                    row_of(d, pool).map(|i| interval(d, i, "did", "did_lower", "did_upper", 2))
                })
                .unwrap_or_else(|| "no comparison".into());
        }
        let never = did.and_then(|d| row_of(d, "never_referred").map(|i| (d, i)));
        for (column, verdict) in [(8, "designs_agree"), (9, "robust")] {
            t.rows[r][column] = never
                .map(|(d, i)| d.text(i, verdict).to_string())
                .unwrap_or_default();
        }
    }
    s.tables.push(t);
    if let Some(d) = did {
        s.intro.extend(triangulation(d));
        sensitivity(&mut s, d);
    }
    if let Some(c) = find(tables, "health_costs").filter(|c| !c.rows.is_empty()) {
        s.intro.extend(cost_sentence(c));
        s.tables.push(cost_table(c));
    }
    s.tables.push(standardised_use(ba));
    if let Some(m) = find(tables, "health_matching") {
        let mut t = view(
            m,
            &(0..m.rows.len()).collect::<Vec<_>>(),
            &[
                Col("Comparison pool", "pool", Fmt::Text),
                Col("Referred people", "cases", Fmt::Count),
                Col("Matched", "matched_sets", Fmt::Count),
                Col("Not matched", "unmatched", Fmt::Count),
                Col("Comparators", "comparators", Fmt::Count),
                Col("Matched within", "match_unit", Fmt::Text),
            ],
            "How the referred were matched",
            "The comparison describes the matched people only.",
        );
        for (r, row) in t.rows.iter_mut().enumerate() {
            row[0] = label(m.text(r, "pool"));
        }
        s.tables.push(t);
    }
    if let Some(b) = find(tables, "health_baseline_bands") {
        s.tables.push(view(
            b,
            &(0..b.rows.len()).collect::<Vec<_>>(),
            &[
                Col("Months", "window_months", Fmt::Count),
                Col("Who", "group", Fmt::Text),
                Col("GP use before", "baseline_band", Fmt::Text),
                Col("Setting", "setting", Fmt::Text),
                Col("People", "people", Fmt::Count),
                Col("Rate before", "mean_before_rate", Fmt::Fixed(2)),
                Col("Rate after", "mean_after_rate", Fmt::Fixed(2)),
                Col("Change", "mean_change", Fmt::Signed(2)),
            ],
            "Regression to the mean: change by how much people used their GP before",
            "The heaviest users fall most, referred or not: that fall is not an effect of social prescribing.",
        ));
    }
    s
}

/// The GP estimates of the longest window side by side, in words: the two
/// comparison designs, their assumptions, and whether they agree.
fn triangulation(d: &PublishedTable) -> Option<String> {
    let longest = longest_window(d);
    let row = |pool: &str| pool_row(d, pool, "gp_appointment", longest);
    let never = row("never_referred")?;
    let mut text = format!(
        "Two comparison designs estimate the change in GP appointments over {longest} months. Against people never referred it was {}: this design assumes that, once matched on recent GP use, the referred would have changed as the never referred did, which fails if a need the records do not show both led to referral and goes on raising use after it.",
        interval(d, never, "did", "did_lower", "did_upper", 2)
    );
    if let Some(declined) = row("declined") {
        text.push_str(&format!(
            " Against people who were referred and declined it was {}: they share whatever led to referral, but are fewer, and declining may itself say something about them.",
            interval(d, declined, "did", "did_lower", "did_upper", 2)
        ));
    }
    text.push_str(match d.text(never, "designs_agree") {
        "no" => " The two designs disagree beyond their intervals: at least one rests on an assumption that fails here, so neither figure should be read as the effect on its own.",
        "yes" if d.text(never, "robust") == "unchecked" => " The two designs agree within their intervals, but the estimate against people who declined is too uncertain to rule out a bias as large as the effect itself, so the first design's assumption is not checked.",
        "yes" => " The two designs agree within their intervals, closely enough to have seen a bias as large as the effect.",
        _ => " Too few people who declined could be matched to check the first design against the second.",
    });
    if d.text(never, "robust") == "no" && d.text(never, "designs_agree") != "no" {
        let basis = d.text(never, "robust_basis");
        if basis.contains("run-up") {
            text.push_str(" The never-referred estimate is not robust: the run-up to referral may begin before the earliest month the data can show, so its before window may still hold part of it.");
        }
        if basis.contains("run-down") {
            text.push_str(" The never-referred estimate is not robust: the run-down after referral may last beyond the latest month the data can show, so its after window may still hold part of it.");
        }
    }
    Some(text)
}

/// "£1,234.56", with the sign before the pound sign.
fn pounds(x: f64) -> String {
    let sign = if x < -0.005 { "-" } else { "" };
    let pence = (x.abs() * 100.0).round() as u64;
    format!(
        "{sign}£{}.{:02}",
        crate::text::thousands(pence / 100),
        pence % 100
    )
}

/// The costed difference against people never referred, over the longest
/// window, summed over the costed settings (`total_cost`), in plain English:
/// per person-year with its interval, "no demonstrable saving" when the
/// interval includes no change, and the prices' source and year.
fn cost_sentence(c: &PublishedTable) -> Option<String> {
    let longest = longest_window(c);
    let r = c
        .rows_where(&[("pool", "never_referred"), ("setting", "total_cost")])
        .find(|&r| num(c, r, "window_months") == Some(longest))?;
    let source = format!(
        "Priced at the unit costs of {} ({} prices)",
        c.text(r, "cost_source"),
        c.text(r, "price_year")
    );
    let (Some(x), Some(l), Some(u)) = (
        num(c, r, "cost_did"),
        num(c, r, "cost_lower"),
        num(c, r, "cost_upper"),
    ) else {
        return Some(format!(
            "{source}, the change in the cost of care against people never referred is withheld or could not be estimated."
        ));
    };
    let verdict = if l <= 0.0 && 0.0 <= u {
        "the interval includes no change, so there is no demonstrable saving (nor extra cost)"
    } else if u < 0.0 {
        "a saving: their care cost less than their comparators' change would suggest"
    } else {
        "an extra cost: their care cost more than their comparators' change would suggest"
    };
    Some(format!(
        "{source}, the change in the cost of the matched referred people's care over {longest} months, summed over the costed settings, against people never referred was {} a person-year (95% CI {} to {}); {verdict}. It is the difference-in-differences above priced event by event, so it shares its assumptions and its verdict on robustness.",
        pounds(x),
        pounds(l),
        pounds(u)
    ))
}

/// The costed difference, setting by setting and in total, for each pool.
fn cost_table(c: &PublishedTable) -> TableView {
    let rows: Vec<usize> = (0..c.rows.len()).collect();
    let mut t = view(
        c,
        &rows,
        &[
            Col("Comparison pool", "pool", Fmt::Text),
            Col("Months", "window_months", Fmt::Count),
            Col("Setting", "setting", Fmt::Text),
            Col("Cost per event", "unit_cost", Fmt::Fixed(2)),
            Col("Events difference", "events_did", Fmt::Signed(2)),
            Col(
                "Cost difference a person-year (95% CI)",
                "cost_did",
                Fmt::Text,
            ),
        ],
        "Cost of the change in service use",
        "Differences-in-differences priced at the unit costs given, per person-year; a negative difference is a saving. The total is the sum over the costed settings, with its own bootstrap interval.",
    );
    for (i, &r) in rows.iter().enumerate() {
        t.rows[i][0] = label(c.text(r, "pool"));
        t.rows[i][2] = label(c.text(r, "setting"));
        t.rows[i][5] = match (
            num(c, r, "cost_did"),
            num(c, r, "cost_lower"),
            num(c, r, "cost_upper"),
        ) {
            (Some(x), Some(l), Some(u)) => {
                format!("{} ({} to {})", pounds(x), pounds(l), pounds(u))
            }
            _ => show(c.cell(r, "cost_did"), Fmt::Fixed(2)),
        };
    }
    t
}

/// How far a trend after referral that differs from the comparators' could
/// move each comparison (relative magnitudes): a sentence on GP
/// appointments against the never referred, and a table for the longest
/// window.
fn sensitivity(s: &mut Section, d: &PublishedTable) {
    let longest = longest_window(d);
    let rows: Vec<usize> = (0..d.rows.len())
        .filter(|&r| num(d, r, "window_months") == Some(longest))
        .filter(|&r| num(d, r, "largest_pre_departure").is_some())
        .collect();
    if rows.is_empty() {
        return;
    }
    if let Some(&r) = rows.iter().find(|&&r| {
        d.text(r, "pool") == "never_referred" && d.text(r, "setting") == "gp_appointment"
    }) && let (Some(m), Some(dep), Some(did)) = (
        num(d, r, "breakdown_m_bar"),
        num(d, r, "largest_pre_departure"),
        num(d, r, "did"),
    ) {
        let change = if did < 0.0 { "reduction" } else { "increase" };
        s.intro.push(if m > 0.0 {
            format!(
                "Against never-referred comparators, the {change} in GP appointments holds unless the referred people's trend after referral could differ from theirs by more than {m:.2} times the largest difference seen before referral ({dep:.2} a person-year, before the washout): the larger that multiple, the sturdier the result."
            )
        } else {
            "Against never-referred comparators, the interval of the change in GP appointments already includes no change, before allowing for any difference in trends after referral: the data cannot tell a change from no change.".to_string()
        });
    }
    let mut t = view(
        d,
        &rows,
        &[
            Col("Comparison pool", "pool", Fmt::Text),
            Col("Setting", "setting_label", Fmt::Text),
            Col("Difference-in-differences (95% CI)", "did", Fmt::Signed(2)),
            Col(
                "Largest departure before",
                "largest_pre_departure",
                Fmt::Fixed(2),
            ),
            Col("Allowing 0.5 ×", "sensitivity_lower_05", Fmt::Text),
            Col("Allowing 1 ×", "sensitivity_lower_1", Fmt::Text),
            Col("Allowing 2 ×", "sensitivity_lower_2", Fmt::Text),
            Col("Holds up to", "breakdown_m_bar", Fmt::Fixed(2)),
        ],
        "Could a different trend after referral explain the change? Sensitivity to parallel trends",
        "Departures from parallel trends are the event study's differences from its reference quarter, before the washout. Each column widens the interval by that multiple of the largest departure seen before referral (relative magnitudes, after Rambachan and Roth 2023, with the largest departure taken as estimated); 'holds up to' is the multiple at which the interval first includes no change (0: it already does).",
    );
    let pair = |r: usize, m: &str| {
        let (l, u) = (
            num(d, r, &format!("sensitivity_lower_{m}")),
            num(d, r, &format!("sensitivity_upper_{m}")),
        );
        match (l, u) {
            (Some(l), Some(u)) => format!("{:+.2} to {:+.2}", l + 0.0, u + 0.0),
            _ => show(d.cell(r, &format!("sensitivity_lower_{m}")), Fmt::Fixed(2)),
        }
    };
    for (i, &r) in rows.iter().enumerate() {
        t.rows[i][0] = label(d.text(r, "pool"));
        t.rows[i][2] = interval(d, r, "did", "did_lower", "did_upper", 2);
        t.rows[i][4] = pair(r, "05");
        t.rows[i][5] = pair(r, "1");
        t.rows[i][6] = pair(r, "2");
    }
    s.tables.push(t);
}

/// The referred people's use before and after against the registered
/// population's for their ages and sexes (standardised ratios).
fn standardised_use(ba: &PublishedTable) -> TableView {
    let rows: Vec<usize> = (0..ba.rows.len()).collect();
    let mut t = view(
        ba,
        &rows,
        &[
            Col("Months", "window_months", Fmt::Count),
            Col("Setting", "setting_label", Fmt::Text),
            Col("Events before", "before_events", Fmt::Count),
            Col("Expected before", "before_expected", Fmt::Fixed(1)),
            Col(
                "Ratio before (95% CI)",
                "before_standardised_ratio",
                Fmt::Fixed(2),
            ),
            Col("Events after", "after_events", Fmt::Count),
            Col("Expected after", "after_expected", Fmt::Fixed(1)),
            Col(
                "Ratio after (95% CI)",
                "after_standardised_ratio",
                Fmt::Fixed(2),
            ),
        ],
        "Use against registered people of the same ages and sexes",
        "Expected events are what the referred would have had at the rates of registered people never referred, age band by age band and sex by sex (indirect standardisation); a ratio of 2 is twice their use. A ratio well above 1 before referral that falls after it is what regression to the mean looks like, so read the comparison estimates above for the effect.",
    );
    for (i, &r) in rows.iter().enumerate() {
        t.rows[i][4] = ratio(ba, r, "before");
        t.rows[i][7] = ratio(ba, r, "after");
    }
    t
}

/// "1.88 (1.83 to 1.93)" for the `side` (before or after) ratio of row `r`.
fn ratio(ba: &PublishedTable, r: usize, side: &str) -> String {
    let column = |c: &str| format!("{side}_{c}");
    match (
        num(ba, r, &column("standardised_ratio")),
        num(ba, r, &column("ratio_lower")),
        num(ba, r, &column("ratio_upper")),
    ) {
        (Some(e), Some(l), Some(u)) => format!("{e:.2} ({l:.2} to {u:.2})"),
        _ => show(ba.cell(r, &column("standardised_ratio")), Fmt::Fixed(2)),
    }
}

/// Change in service use for the longest window: naive and against each comparison pool.
pub(in crate::render::report) fn health_figure(tables: &[PublishedTable]) -> Option<Figure> {
    let ba = find(tables, "health_before_after")?;
    let months = longest_window(ba);
    if !months.is_finite() {
        return None;
    }
    let rows: Vec<usize> = (0..ba.rows.len())
        .filter(|&r| num(ba, r, "window_months") == Some(months))
        .collect();
    let did = find(tables, "health_difference_in_differences");
    let pick = |pool: &str, r: usize, c: &str| -> Option<f64> {
        let d = did?;
        pool_row(d, pool, ba.text(r, "setting"), months).and_then(|i| num(d, i, c))
    };
    let mut series = vec![Series {
        name: "Naive before/after".into(),
        values: rows.iter().map(|&r| num(ba, r, "mean_change")).collect(),
        lower: rows.iter().map(|&r| num(ba, r, "change_lower")).collect(),
        upper: rows.iter().map(|&r| num(ba, r, "change_upper")).collect(),
    }];
    for (pool, name) in [
        ("never_referred", "Against never referred"),
        ("declined", "Against declined"),
    ] {
        series.push(Series {
            name: name.into(),
            values: rows.iter().map(|&r| pick(pool, r, "did")).collect(),
            lower: rows.iter().map(|&r| pick(pool, r, "did_lower")).collect(),
            upper: rows.iter().map(|&r| pick(pool, r, "did_upper")).collect(),
        });
    }
    let described: Vec<String> = rows
        .iter()
        .map(|&r| {
            format!(
                "{}: naive {}",
                ba.text(r, "setting_label"),
                interval(ba, r, "mean_change", "change_lower", "change_upper", 2)
            )
        })
        .collect();
    Some(Figure {
        id: "health_comparison".into(),
        title: format!("Change in service use, {months} months before and after referral"),
        description: format!(
            "Interval chart of the change in events per person-year by setting, naive and against matched comparators. {}.",
            described.join("; ")
        ),
        kind: FigureKind::Intervals,
        axis: "Change in events per person-year".into(),
        categories: rows
            .iter()
            .map(|&r| ba.text(r, "setting_label").to_string())
            .collect(),
        series,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::Cell;
    use crate::measures::health::before_after::HEALTH_BEFORE_AFTER;
    use crate::measures::health::comparison::HEALTH_DIFFERENCE_IN_DIFFERENCES;
    use crate::render::report::cells::{published, t};

    #[test]
    fn the_naive_change_stands_beside_each_comparison_or_says_there_is_none() {
        let ba = published(
            &HEALTH_BEFORE_AFTER,
            &[&[
                ("window_months", Cell::Int(12)),
                ("setting", t("gp_appointment")),
                ("setting_label", t("GP appointment")),
                ("people", Cell::Int(695)),
                ("mean_change", Cell::Num(-2.08)),
                ("change_lower", Cell::Num(-2.42)),
                ("change_upper", Cell::Num(-1.74)),
            ]],
        );
        let did = published(
            &HEALTH_DIFFERENCE_IN_DIFFERENCES,
            &[&[
                ("pool", t("never_referred")),
                ("setting", t("gp_appointment")),
                ("window_months", Cell::Int(12)),
                ("did", Cell::Num(-1.42)),
                ("did_lower", Cell::Num(-2.07)),
                ("did_upper", Cell::Num(-0.8)),
            ]],
        );
        let washout = published(
            &crate::measures::health::washout::HEALTH_WASHOUT,
            &[
                &[
                    ("side", t("before")),
                    ("washout_days", Cell::Int(183)),
                    (
                        "basis",
                        t(
                            "chosen from the data: referred people's GP use leaves their never-referred comparators' from month -6 before referral, so the before window ends 183 days before it",
                        ),
                    ),
                ],
                &[
                    ("side", t("after")),
                    ("washout_days", Cell::Int(92)),
                    ("basis", t("chosen from the data: it eases")),
                ],
            ],
        );
        let s = health_section(
            &[ba.clone(), did.clone(), washout],
            &["a caution".to_string()],
        );
        assert_eq!(s.intro[0], RTM_EXPLANATION);
        assert_eq!(
            s.intro[1],
            "The comparison's before window ends 183 days before referral, leaving out the run-up to it (the washout), chosen from the data: referred people's GP use leaves their never-referred comparators' from month -6 before referral, so the before window ends 183 days before it."
        );
        assert_eq!(
            s.intro[2],
            "Its after window starts 92 days after referral, leaving out the run-down after it, chosen from the data: it eases."
        );
        let none_after = published(
            &crate::measures::health::washout::HEALTH_WASHOUT,
            &[&[
                ("side", t("after")),
                ("washout_days", Cell::Int(0)),
                (
                    "basis",
                    t("chosen from the data: no run-down after referral shows"),
                ),
            ]],
        );
        assert_eq!(
            health_section(&[ba.clone(), did.clone(), none_after], &[]).intro[1],
            "Its after window starts the day after referral (chosen from the data: no run-down after referral shows)."
        );
        assert_eq!(s.cautions, vec!["a caution"]);
        let row = &s.tables[0].rows[0];
        assert_eq!(row[0], "12");
        assert_eq!(row[5], "-2.08 (-2.42 to -1.74)");
        assert_eq!(row[6], "-1.42 (-2.07 to -0.80)");
        assert_eq!(row[7], "no comparison", "no declined pool");
        let ratios = &s.tables[1];
        assert_eq!(
            ratios.caption,
            "Use against registered people of the same ages and sexes"
        );
        assert_eq!(ratios.rows[0][4], "–", "no expected events: no ratio");
        let ba = published(
            &HEALTH_BEFORE_AFTER,
            &[&[
                ("window_months", Cell::Int(12)),
                ("setting", t("gp_appointment")),
                ("setting_label", t("GP appointment")),
                ("before_events", Cell::Int(5765)),
                ("before_expected", Cell::Num(3071.78)),
                ("before_standardised_ratio", Cell::Num(1.8768)),
                ("before_ratio_lower", Cell::Num(1.8286)),
                ("before_ratio_upper", Cell::Num(1.9258)),
                ("after_events", Cell::Suppressed),
                ("after_standardised_ratio", Cell::Suppressed),
            ]],
        );
        let row = &health_section(&[ba], &[]).tables[1].rows[0];
        assert_eq!(
            row[2..5],
            ["5,765", "3071.8", "1.88 (1.83 to 1.93)"].map(String::from)
        );
        assert_eq!(row[7], "*");
        let none = health_section(&[], &[]);
        assert!(none.empty.starts_with("No health and care events"));
        assert!(health_figure(&[]).is_none());
    }

    #[test]
    fn the_sensitivity_to_parallel_trends_is_said_and_tabled() {
        let did = |pool: &str, lower: f64, upper: f64, breakdown: f64| {
            vec![
                ("pool", t(pool)),
                ("setting", t("gp_appointment")),
                ("setting_label", t("GP appointment")),
                ("window_months", Cell::Int(12)),
                ("sets", Cell::Int(280)),
                ("did", Cell::Num((lower + upper) / 2.0)),
                ("did_lower", Cell::Num(lower)),
                ("did_upper", Cell::Num(upper)),
                ("largest_pre_departure", Cell::Num(1.76)),
                ("sensitivity_lower_05", Cell::Num(lower - 0.88)),
                ("sensitivity_upper_05", Cell::Num(upper + 0.88)),
                ("sensitivity_lower_1", Cell::Num(lower - 1.76)),
                ("sensitivity_upper_1", Cell::Num(upper + 1.76)),
                ("sensitivity_lower_2", Cell::Num(lower - 3.52)),
                ("sensitivity_upper_2", Cell::Num(upper + 3.52)),
                ("breakdown_m_bar", Cell::Num(breakdown)),
            ]
        };
        let rows = [
            did("never_referred", -2.07, -0.8, 0.45),
            did("declined", -6.5, 0.8, 0.0),
        ];
        let refs: Vec<&[(&str, Cell)]> = rows.iter().map(|r| r.as_slice()).collect();
        let d = published(&HEALTH_DIFFERENCE_IN_DIFFERENCES, &refs);
        let ba = published(
            &HEALTH_BEFORE_AFTER,
            &[&[
                ("window_months", Cell::Int(12)),
                ("setting", t("gp_appointment")),
            ]],
        );
        let s = health_section(&[ba, d], &[]);
        assert!(
            s.intro.iter().any(|p| p.contains(
                "the reduction in GP appointments holds unless the referred people's trend after referral could differ from theirs by more than 0.45 times the largest difference seen before referral (1.76 a person-year"
            )),
            "{:?}",
            s.intro
        );
        let table = s
            .tables
            .iter()
            .find(|t| t.caption.starts_with("Could a different trend"))
            .unwrap();
        assert_eq!(table.rows.len(), 2);
        assert_eq!(table.rows[0][2], "-1.44 (-2.07 to -0.80)");
        assert_eq!(table.rows[0][4], "-2.95 to +0.08");
        assert_eq!(table.rows[1][7], "0");
    }

    #[test]
    fn the_designs_are_set_side_by_side_with_their_assumptions_and_verdict() {
        let row = |pool: &str, lower: f64, upper: f64, agree: &str, robust: &str| {
            vec![
                ("pool", t(pool)),
                ("setting", t("gp_appointment")),
                ("window_months", Cell::Int(12)),
                ("did", Cell::Num((lower + upper) / 2.0)),
                ("did_lower", Cell::Num(lower)),
                ("did_upper", Cell::Num(upper)),
                ("designs_agree", t(agree)),
                ("robust", t(robust)),
            ]
        };
        let ba = published(
            &HEALTH_BEFORE_AFTER,
            &[&[
                ("window_months", Cell::Int(12)),
                ("setting", t("gp_appointment")),
            ]],
        );
        let section = |rows: &[Vec<(&str, Cell)>]| {
            let refs: Vec<&[(&str, Cell)]> = rows.iter().map(|r| r.as_slice()).collect();
            health_section(
                &[
                    ba.clone(),
                    published(&HEALTH_DIFFERENCE_IN_DIFFERENCES, &refs),
                ],
                &[],
            )
        };
        let said = |s: &Section| {
            s.intro
                .iter()
                .find(|p| p.starts_with("Two comparison designs"))
                .cloned()
                .unwrap()
        };
        let disagree = section(&[
            row("never_referred", 0.8, 1.6, "no", "no"),
            row("declined", -2.2, -0.2, "no", "no"),
        ]);
        let text = said(&disagree);
        assert!(
            text.contains("Against people never referred it was +1.20 (+0.80 to +1.60)"),
            "{text}"
        );
        assert!(
            text.contains(
                "Against people who were referred and declined it was -1.20 (-2.20 to -0.20)"
            ),
            "{text}"
        );
        assert!(text.contains("disagree beyond their intervals"), "{text}");
        assert!(!text.contains("run-up"), "{text}");
        assert_eq!(
            disagree.tables[0].rows[0][8..10],
            ["no", "no"].map(String::from)
        );
        let run_up = said(&section(&[
            row("never_referred", -1.2, -0.6, "yes", "no")
                .into_iter()
                .chain([(
                    "robust_basis",
                    t("Not robust: the run-up to referral may begin"),
                )])
                .collect(),
            row("declined", -1.5, 0.1, "yes", "yes"),
        ]));
        assert!(run_up.contains("agree within their intervals, closely enough to have seen a bias as large as the effect. The never-referred estimate is not robust: the run-up"), "{run_up}");
        let loose = said(&section(&[
            row("never_referred", -1.2, -0.6, "yes", "unchecked"),
            row("declined", -3.5, 1.1, "yes", "unchecked"),
        ]));
        assert!(
            loose.contains("too uncertain to rule out a bias as large as the effect itself"),
            "{loose}"
        );
        let alone = said(&section(&[row(
            "never_referred",
            -1.2,
            -0.6,
            "not compared",
            "unchecked",
        )]));
        assert!(alone.ends_with("Too few people who declined could be matched to check the first design against the second."), "{alone}");
    }

    #[test]
    fn costs_are_said_in_pounds_with_their_source_and_whether_they_save() {
        use crate::measures::health::comparison::HEALTH_COSTS;
        let costs = |lower: f64, upper: f64| {
            published(
                &HEALTH_COSTS,
                &[&[
                    ("pool", t("never_referred")),
                    ("window_months", Cell::Int(12)),
                    ("setting", t("total_cost")),
                    (
                        "cost_source",
                        t("Unit Costs of Health and Social Care 2024"),
                    ),
                    ("price_year", t("2023/24")),
                    ("sets", Cell::Int(280)),
                    ("cost_did", Cell::Num((lower + upper) / 2.0)),
                    ("cost_lower", Cell::Num(lower)),
                    ("cost_upper", Cell::Num(upper)),
                ]],
            )
        };
        let saving = cost_sentence(&costs(-1095.0, -25.0)).unwrap();
        assert_eq!(
            saving,
            "Priced at the unit costs of Unit Costs of Health and Social Care 2024 (2023/24 prices), the change in the cost of the matched referred people's care over 12 months, summed over the costed settings, against people never referred was -£560.00 a person-year (95% CI -£1,095.00 to -£25.00); a saving: their care cost less than their comparators' change would suggest. It is the difference-in-differences above priced event by event, so it shares its assumptions and its verdict on robustness."
        );
        let unclear = cost_sentence(&costs(-95.0, 35.0)).unwrap();
        assert!(unclear.contains("no demonstrable saving"), "{unclear}");
        let dearer = cost_sentence(&costs(5.0, 35.0)).unwrap();
        assert!(dearer.contains("an extra cost"), "{dearer}");
        let table = cost_table(&costs(-95.0, 35.0));
        assert_eq!(table.rows[0][5], "-£30.00 (-£95.00 to £35.00)");
        assert_eq!(table.rows[0][0], "Never referred");
        assert_eq!(table.rows[0][2], "Total (costed settings)");
    }
}
