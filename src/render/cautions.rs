//! The cautions about the health and care system figures, written from the
//! tables as they are published.
//!
//! A caution quotes figures (how many people were matched, how far use before
//! referral was above the population's), so it is written from the published
//! cells of the tables it talks about, never from exact values: a sentence
//! says what the table beside it shows, and a count the table withholds is
//! withheld in the sentence too. `sprout measures` writes them from the exact
//! tables (policy `none`); `sprout evaluate` from the tables after disclosure
//! control, for the report, the workbook, `health_warnings` and the terminal.

use crate::disclosure::{Cell, Policy, PublishedTable};
use crate::error::Result;
use crate::measures::health::WARN_FEW_SETS;
use crate::measures::health::before_after::WARN_BASELINE_RATIO;
use crate::measures::table::{OutTable, TableBuilder, text_value};
use crate::records::HEALTH_WARNINGS;

/// One caution: what it is about, and the sentence.
#[derive(Debug, Clone, PartialEq)]
pub struct Caution {
    /// What the caution is about (`comparison`, `balance`, …).
    pub topic: &'static str,
    /// The caution in plain words.
    pub message: String,
}

/// The `health_warnings` table of `cautions`.
pub fn table(period: &str, cautions: &[Caution]) -> Result<OutTable> {
    let mut table = TableBuilder::new(&HEALTH_WARNINGS);
    for c in cautions {
        table.push_named(&[
            ("period", text_value(period)),
            ("topic", text_value(c.topic)),
            ("message", text_value(&c.message)),
        ]);
    }
    table.finish()
}

/// A published count in words: `about 20` under a rounding policy, `20`
/// without one, `None` when it is withheld.
fn count_words(cell: &Cell, policy: Policy) -> Option<String> {
    let n = match cell {
        Cell::Int(n) => *n,
        Cell::Num(x) => x.round() as i64,
        _ => return None,
    };
    Some(if policy.publishable() && n > 0 {
        format!("about {n}")
    } else {
        n.to_string()
    })
}

fn find<'a>(tables: &'a [PublishedTable], name: &str) -> Option<&'a PublishedTable> {
    tables.iter().find(|t| t.name() == name)
}

/// Every caution the published health tables call for, in the order the
/// measures are read: the data, regression to the mean, then each pool's
/// matching (or balance) and pre-trend (against the washout the
/// difference-in-differences used).
pub fn cautions(tables: &[PublishedTable], policy: Policy) -> Vec<Caution> {
    // The washout the comparison used (chosen from the data, or set).
    let washout_days = find(tables, "health_difference_in_differences")
        .and_then(|d| (0..d.rows.len()).find_map(|r| d.cell(r, "washout_days").number()))
        .map_or(crate::measures::health::washout::FLOOR_DAYS, |w| w as i32);
    cautions_with(tables, policy, washout_days)
}

/// [`cautions`] against a washout of `washout_days`.
fn cautions_with(tables: &[PublishedTable], policy: Policy, washout_days: i32) -> Vec<Caution> {
    let mut out = Vec::new();
    if let Some(cohort) = find(tables, "health_cohort")
        && !cohort.rows.is_empty()
        && (0..cohort.rows.len()).all(|r| cohort.text(r, "events_from").is_empty())
    {
        out.push(Caution {
            topic: "data",
            message: "There are no health events in the warehouse: ingest a health_events extract to measure impact on the health and care system.".into(),
        });
    }
    if let Some(naive) = find(tables, "health_before_after") {
        out.extend(regression_to_the_mean(naive));
    }
    let Some(matching) = find(tables, "health_matching") else {
        return out;
    };
    for r in 0..matching.rows.len() {
        let pool = matching.text(r, "pool");
        let pool_name = pool.replace('_', " ");
        let matched = matching.cell(r, "matched_sets");
        let cases = match count_words(matching.cell(r, "cases"), policy) {
            Some(n) => format!("{n} referred people"),
            None => "the referred people".to_string(),
        };
        let few = match matched {
            Cell::Suppressed => Some(format!(
                "Too few of {cases} could be matched to the {pool_name} pool to show how many: its difference-in-differences is too uncertain to rely on."
            )),
            Cell::Int(0) => Some(format!(
                "None of {cases} could be matched to the {pool_name} pool: its difference-in-differences is not estimated."
            )),
            Cell::Int(n) if (*n as usize) < WARN_FEW_SETS => Some(format!(
                "Only {} of {cases} could be matched to the {pool_name} pool: its difference-in-differences is too uncertain to rely on.",
                count_words(matched, policy).unwrap_or_default()
            )),
            _ => None,
        };
        if let Some(message) = few {
            out.push(Caution {
                topic: "comparison",
                message,
            });
        } else if let Some(balance) = find(tables, "health_balance") {
            out.extend(unbalanced(balance, pool));
        }
        if let Some(events) = find(tables, "health_event_study") {
            out.extend(pre_trend(events, pool, washout_days));
        }
    }
    out
}

/// Referred people's use before referral well above the population's (the
/// longest window, setting by setting).
fn regression_to_the_mean(naive: &PublishedTable) -> Option<Caution> {
    let window = |r: usize| naive.cell(r, "window_months").number();
    let longest = (0..naive.rows.len()).filter_map(window).reduce(f64::max)?;
    let number = |r: usize, c: &str| naive.cell(r, c).number().filter(|x| x.is_finite());
    let high: Vec<String> = (0..naive.rows.len())
        .filter(|&r| window(r) == Some(longest))
        .filter_map(|r| {
            let ratio = number(r, "ratio_to_population")?;
            (ratio >= WARN_BASELINE_RATIO).then(|| {
                format!(
                    "{} {ratio:.1} times ({:.2} against {:.2} a person-year)",
                    naive.text(r, "setting_label"),
                    number(r, "before_rate").unwrap_or(f64::NAN),
                    number(r, "population_rate").unwrap_or(f64::NAN),
                )
            })
        })
        .collect();
    (!high.is_empty()).then(|| Caution {
        topic: "regression to the mean",
        message: format!(
            "In the {longest} months before referral, referred people used services well above the registered population's rate: {}. People are referred at a peak of need, so much of the fall afterwards would have happened anyway (regression to the mean): read the comparison-cohort estimates, not the naive before/after.",
            high.join("; ")
        ),
    })
}

/// A balance variable in words: "GP appointment rate before referral",
/// "age", "IMD quintile" (the code itself, spaced, when unknown).
fn characteristic(variable: &str) -> String {
    let setting = |code: &str| {
        crate::model::codes::HEALTH_SETTING
            .label(code)
            .map(str::to_string)
    };
    if let Some(code) = variable.strip_suffix("_rate_before")
        && let Some(label) = setting(code)
    {
        return format!("{label} rate before referral");
    }
    if let Some(code) = variable.strip_suffix("_rate_matching_window")
        && let Some(label) = setting(code)
    {
        return format!("{label} rate in the matching window");
    }
    match variable {
        "age_years" => "age".to_string(),
        "female" => "share female".to_string(),
        "imd_quintile" => "IMD quintile".to_string(),
        other => other.replace('_', " "),
    }
}

/// Characteristics that still differ by |SMD| ≥ 0.1 after matching to `pool`.
fn unbalanced(balance: &PublishedTable, pool: &str) -> Option<Caution> {
    let list: Vec<String> = balance
        .rows_where(&[("pool", pool), ("stage", "after_matching")])
        .filter_map(|r| {
            let smd = balance.cell(r, "smd").number()?;
            (smd.abs() >= 0.1).then(|| {
                format!(
                    "{} (SMD {smd:+.2})",
                    characteristic(balance.text(r, "variable"))
                )
            })
        })
        .collect();
    (!list.is_empty()).then(|| Caution {
        topic: "balance",
        message: format!(
            "After matching to the {} pool these still differ by more than 0.1 standard deviations: {}. The difference-in-differences removes a gap in use that stays constant over time, not one that changes; see the balance table (health_balance in the tables folder).",
            pool.replace('_', " "),
            list.join(", ")
        ),
    })
}

/// GP use of the referred already moving away from the comparators' before
/// the washout: a quarter between the reference and the washout whose 95%
/// interval excludes zero. The washout's own quarters are left out: the
/// run-up to referral is expected there, and the comparison leaves them out.
/// A rise says the run-up starts earlier than the washout allows; a fall
/// only that the trends were not parallel (it is no run-up, and the washout
/// chosen from the data need not see one).
fn pre_trend(events: &PublishedTable, pool: &str, washout_days: i32) -> Option<Caution> {
    use crate::measures::health::comparison::{QUARTERS, before_washout};
    let departing: Vec<(Option<f64>, Option<f64>)> = events
        .rows_where(&[("pool", pool), ("setting", "gp_appointment")])
        .filter(|&r| {
            let quarter = events.cell(r, "quarter").number().unwrap_or(0.0) as i32;
            quarter > *QUARTERS.start() && before_washout(quarter, washout_days)
        })
        .map(|r| {
            (
                events.cell(r, "lower").number(),
                events.cell(r, "upper").number(),
            )
        })
        .collect();
    let rises = departing.iter().any(|(l, _)| l.is_some_and(|l| l > 0.0));
    let falls = departing.iter().any(|(_, u)| u.is_some_and(|u| u < 0.0));
    let pool_name = pool.replace('_', " ");
    let message = if rises {
        format!(
            "Against the {pool_name} pool, GP use of the referred already rises above its level in the reference quarter, against the comparators', before the {washout_days}-day washout (see the event study, health_event_study in the tables folder): the run-up to referral starts earlier than the washout allows, so the difference-in-differences may overstate the effect; see the sensitivity to parallel trends."
        )
    } else if falls {
        format!(
            "Against the {pool_name} pool, GP use of the referred falls below its level in the reference quarter, against the comparators', before the {washout_days}-day washout (see the event study, health_event_study in the tables folder): this is no run-up to referral, but their trends were not parallel before it, which the difference-in-differences assumes; see the sensitivity to parallel trends."
        )
    } else {
        return None;
    };
    Some(Caution {
        topic: "pre-trend",
        message,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::table::{
        Sums, TableDef, count, int_label, int_value, num_value, quotient, statistic, text,
    };

    fn matching(matched: i64, cases: i64, policy: Policy) -> Vec<PublishedTable> {
        const MATCHING: TableDef = TableDef {
            name: "health_matching",
            description: "m",
            queries: &[],
            columns: &[
                text("period", "p"),
                text("pool", "p"),
                count("cases", "c"),
                count("matched_sets", "m"),
            ],
            sums: Sums::NONE,
        };
        let mut t = TableBuilder::new(&MATCHING);
        t.push_named(&[
            ("period", text_value("2024/25")),
            ("pool", text_value("declined")),
            ("cases", int_value(cases)),
            ("matched_sets", int_value(matched)),
        ]);
        vec![crate::disclosure::publish(&t.finish().unwrap(), policy)]
    }

    #[test]
    fn a_caution_quotes_the_published_counts_not_the_exact_ones() {
        let c = cautions_with(
            &matching(21, 693, Policy::NhsDigital),
            Policy::NhsDigital,
            90,
        );
        assert_eq!(
            c[0].message,
            "Only about 20 of about 695 referred people could be matched to the declined pool: its difference-in-differences is too uncertain to rely on."
        );
        let exact = cautions_with(&matching(21, 693, Policy::None), Policy::None, 90);
        assert!(
            exact[0]
                .message
                .starts_with("Only 21 of 693 referred people")
        );
    }

    #[test]
    fn a_count_the_table_withholds_is_withheld_in_the_sentence() {
        let c = cautions_with(
            &matching(1, 165, Policy::NhsDigital),
            Policy::NhsDigital,
            90,
        );
        assert_eq!(
            c[0].message,
            "Too few of about 165 referred people could be matched to the declined pool to show how many: its difference-in-differences is too uncertain to rely on."
        );
        assert!(!c[0].message.contains(" 1 "));
    }

    #[test]
    fn a_cohort_well_above_the_population_is_cautioned_about() {
        const BEFORE_AFTER: TableDef = TableDef {
            name: "health_before_after",
            description: "n",
            queries: &[],
            columns: &[
                int_label("window_months", "w"),
                text("setting_label", "s"),
                statistic("before_rate", &[], "b"),
                statistic("population_rate", &[], "p"),
                quotient(
                    "ratio_to_population",
                    "before_rate",
                    "population_rate",
                    1.0,
                    "r",
                ),
            ],
            sums: Sums::NONE,
        };
        let mut t = TableBuilder::new(&BEFORE_AFTER);
        for (months, label, rate, population) in [
            (6, "GP appointment", 20.0, 4.7),
            (12, "GP appointment", 9.9, 4.7),
            (12, "A&E attendance", 0.33, 0.32),
        ] {
            t.push(&[
                int_value(months),
                text_value(label),
                num_value(rate),
                num_value(population),
                num_value(rate / population),
            ]);
        }
        let tables = vec![crate::disclosure::publish(
            &t.finish().unwrap(),
            Policy::None,
        )];
        let c = cautions_with(&tables, Policy::None, 90);
        assert_eq!(c.len(), 1);
        assert!(
            c[0].message.starts_with("In the 12 months before referral")
                && c[0]
                    .message
                    .contains("GP appointment 2.1 times (9.90 against 4.70"),
            "{}",
            c[0].message
        );
        assert!(
            !c[0].message.contains("A&E"),
            "1.03 times is not well above"
        );
    }

    #[test]
    fn enough_matched_sets_as_published_raise_no_caution() {
        // 28 exactly, published as 30: the table shows enough, and so does the sentence.
        assert!(
            cautions_with(
                &matching(28, 400, Policy::NhsDigital),
                Policy::NhsDigital,
                90
            )
            .is_empty()
        );
        assert_eq!(
            cautions_with(&matching(28, 400, Policy::None), Policy::None, 90).len(),
            1
        );
    }

    /// The washout quarter is where a run-up is expected: a departure there
    /// alone is not a pre-trend (#21); one in a quarter before the washout is.
    #[test]
    fn only_quarters_before_the_washout_can_show_a_pre_trend() {
        use crate::measures::health::comparison::HEALTH_EVENT_STUDY;
        let events_moving = |departing: i64, by: f64| {
            let mut t = TableBuilder::new(&HEALTH_EVENT_STUDY);
            for q in -4..=-1_i64 {
                let (lower, upper) = if q == departing {
                    ((by * 0.4).min(by * 1.9), (by * 0.4).max(by * 1.9))
                } else {
                    (-0.5, 0.5)
                };
                t.push_named(&[
                    ("period", text_value("2024/25")),
                    ("pool", text_value("declined")),
                    ("setting", text_value("gp_appointment")),
                    ("quarter", int_value(q)),
                    ("sets", int_value(300)),
                    ("case_rate", num_value(10.0)),
                    ("comparator_rate", num_value(8.0)),
                    ("difference", num_value(2.0)),
                    ("versus_reference", num_value((lower + upper) / 2.0)),
                    ("lower", num_value(lower)),
                    ("upper", num_value(upper)),
                ]);
            }
            let mut tables = matching(300, 400, Policy::None);
            tables.push(crate::disclosure::publish(
                &t.finish().unwrap(),
                Policy::None,
            ));
            tables
        };
        let events = |departing: i64| events_moving(departing, 1.0);
        let topics = |departing: i64, washout: i32| -> Vec<&'static str> {
            cautions_with(&events(departing), Policy::None, washout)
                .iter()
                .map(|c| c.topic)
                .collect()
        };
        assert!(topics(-1, 90).is_empty(), "the washout quarter itself");
        assert_eq!(topics(-2, 90), ["pre-trend"]);
        // A washout of 120 days reaches into quarter -2 as well.
        assert!(topics(-2, 120).is_empty());
        assert_eq!(topics(-3, 120), ["pre-trend"]);
        let said = |by: f64| {
            cautions_with(&events_moving(-2, by), Policy::None, 90)[0]
                .message
                .clone()
        };
        assert!(
            said(1.0).contains("rises above its level in the reference quarter"),
            "{}",
            said(1.0)
        );
        assert!(said(1.0).contains("may overstate the effect"));
        // A fall is no run-up: the caution does not say the washout is too short.
        let fall = said(-1.0);
        assert!(
            fall.contains("falls below") && fall.contains("this is no run-up"),
            "{fall}"
        );
        assert!(!fall.contains("earlier than the washout allows"), "{fall}");
    }

    #[test]
    fn balance_characteristics_read_as_words() {
        assert_eq!(
            characteristic("gp_appointment_rate_before"),
            "GP appointment rate before referral"
        );
        assert_eq!(
            characteristic("ae_attendance_rate_matching_window"),
            "A&E attendance rate in the matching window"
        );
        assert_eq!(characteristic("age_years"), "age");
        assert_eq!(characteristic("something_new"), "something new");
    }
}
