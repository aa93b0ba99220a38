use rand::{Rng, SeedableRng};

use super::*;
use crate::batch::Value;
use crate::measures::table::{
    Sums, TableBuilder, TableDef, count, int_label, int_value, losses, num_value, poisson_lower,
    poisson_upper, quotient, scaled, share, statistic, text, text_value, wilson_lower,
    wilson_upper,
};

/// Shaped like `equity`: a breakdown with groups and an `all` row.
const EQUITY_LIKE: TableDef = TableDef {
    name: "equity",
    description: "test",
    queries: &[],
    columns: &[
        text("period", "p"),
        text("breakdown", "b"),
        text("group", "g"),
        count("referrals", "base"),
        count("declined", "count"),
        share("declined_share", "declined", "referrals", "share"),
        wilson_lower("declined_lower", "declined", "referrals", "bound"),
        wilson_upper("declined_upper", "declined", "referrals", "bound"),
        statistic("rate_per_1000", &["referrals"], "statistic"),
        int_label("window_months", "parameter"),
    ],
    sums: Sums {
        breakdown_key: &["period"],
        overlapping: &[],
        not_summed: &[],
        row_parts: &[],
    },
};

fn row(b: &str, g: &str, referrals: i64, declined: i64) -> Vec<Value> {
    let share = declined as f64 / referrals as f64;
    vec![
        text_value("2024/25"),
        text_value(b),
        text_value(g),
        int_value(referrals),
        int_value(declined),
        num_value(share),
        num_value(share * 0.9),
        num_value(share * 1.1),
        num_value(referrals as f64 * 1.5),
        int_value(6),
    ]
}

fn table(rows: &[Vec<Value>]) -> OutTable {
    // `equity` carries the breakdown rules (key: period).
    let mut b = TableBuilder::new(&EQUITY_LIKE);
    for r in rows {
        b.push(r);
    }
    b.finish().expect("table")
}

#[test]
fn rounding_rules() {
    let r: Vec<f64> = [0.0, 8.0, 10.0, 12.0, 13.0, 17.0, 18.0, 1234.0]
        .iter()
        .map(|&n| Policy::NhsDigital.round(n))
        .collect();
    assert_eq!(r, vec![0.0, 10.0, 10.0, 10.0, 15.0, 15.0, 20.0, 1235.0]);
    let m: Vec<f64> = [0.0, 1.0, 6.0, 7.0, 12.0, 13.0, 18.0]
        .iter()
        .map(|&n| Policy::OpenSafely.round(n))
        .collect();
    assert_eq!(m, vec![0.0, 3.0, 3.0, 9.0, 9.0, 15.0, 15.0]);
    let small = |n| Policy::NhsDigital.is_small(n);
    assert!(!small(0.0) && small(1.0) && small(7.0) && !small(8.0));
}

#[test]
fn counts_shares_and_statistics_under_nhs_digital() {
    let t = table(&[
        row("all", "all", 42, 13),
        row("sex", "F", 5, 0),
        row("sex", "M", 37, 13),
    ]);
    let p = publish(&t, Policy::NhsDigital);
    // 42 → 40, 13 → 15; the share from the rounded figures: 15/40.
    assert_eq!(p.cell(0, "referrals"), &Cell::Int(40));
    assert_eq!(p.cell(0, "declined"), &Cell::Int(15));
    assert_eq!(p.cell(0, "declined_share"), &Cell::Num(0.375));
    // Intervals and statistics on 42 people are shown as computed.
    assert_eq!(p.cell(0, "rate_per_1000"), &Cell::Num(63.0));
    assert_eq!(p.cell(0, "window_months"), &Cell::Int(6));
    // Five people: the count and everything based on it are suppressed; 0 stays 0.
    assert_eq!(p.cell(1, "referrals"), &Cell::Suppressed);
    assert_eq!(p.cell(1, "declined"), &Cell::Int(0));
    assert_eq!(p.cell(1, "declined_share"), &Cell::Suppressed);
    assert_eq!(p.cell(1, "declined_lower"), &Cell::Suppressed);
    assert_eq!(p.cell(1, "rate_per_1000"), &Cell::Suppressed);
    // M's referrals would give F's away against the total: suppressed too,
    // with the statistics on them (a mean would give the count away).
    assert_eq!(p.cell(2, "referrals"), &Cell::Suppressed);
    assert_eq!(p.cell(2, "rate_per_1000"), &Cell::Suppressed);
    assert_eq!(p.roles[3].kind(), "count");
    assert_eq!(p.roles[5].kind(), "share");
    assert_eq!(p.roles[6].kind(), "share interval");
    assert_eq!(p.roles[8].kind(), "statistic");
    assert_eq!(p.roles[9].kind(), "label");
}

#[test]
fn opensafely_counts_and_shares_from_midpoint6() {
    let t = table(&[row("all", "all", 42, 13)]);
    let p = publish(&t, Policy::OpenSafely);
    // midpoint6(13) = 15, midpoint6(42) = 39: the counts and the share from them.
    assert_eq!(p.cell(0, "referrals"), &Cell::Int(39));
    assert_eq!(p.cell(0, "declined"), &Cell::Int(15));
    assert_eq!(p.cell(0, "declined_share"), &Cell::Num(15.0 / 39.0));
}

#[test]
fn no_policy_keeps_exact_values() {
    let t = table(&[row("all", "all", 42, 3)]);
    let p = publish(&t, Policy::None);
    assert_eq!(p.rows, cells(&t));
    assert!(!Policy::None.publishable() && Policy::NhsDigital.publishable());
}

#[test]
fn secondary_suppression_protects_a_group_against_its_total() {
    // F has 3 declines: M's 20 and the total 23 would give it away.
    let t = table(&[
        row("all", "all", 100, 23),
        row("sex", "F", 40, 3),
        row("sex", "M", 60, 20),
        row("age_band", "18-64", 50, 11),
        row("age_band", "65+", 50, 12),
    ]);
    let p = publish(&t, Policy::NhsDigital);
    assert_eq!(p.cell(1, "declined"), &Cell::Suppressed);
    assert_eq!(
        p.cell(2, "declined"),
        &Cell::Suppressed,
        "the next smallest is suppressed too"
    );
    assert_eq!(p.cell(2, "declined_share"), &Cell::Suppressed);
    // The total stays, and the other breakdown has nothing to protect.
    assert_eq!(p.cell(0, "declined"), &Cell::Int(25));
    assert_eq!(p.cell(3, "declined"), &Cell::Int(10));
    assert_eq!(p.cell(4, "declined"), &Cell::Int(10));
}

#[test]
fn a_hidden_cell_whose_partners_are_all_zero_is_protected_too() {
    // F has 1 decline, M none; the groups' total is published elsewhere (no
    // `all` row here), so with M shown as 0 that total would be F's.
    let t = table(&[
        row("sex", "F", 40, 1),
        row("sex", "M", 60, 0),
        row("age_band", "18-64", 50, 20),
        row("age_band", "65+", 50, 0),
    ]);
    let p = publish(&t, Policy::NhsDigital);
    assert_eq!(p.cell(0, "declined"), &Cell::Suppressed);
    assert_eq!(
        p.cell(1, "declined"),
        &Cell::Suppressed,
        "the zero partner is hidden too"
    );
    // Nothing is hidden where nothing small is: the age bands stay.
    assert_eq!(p.cell(3, "declined"), &Cell::Int(0));
}

#[test]
fn secondary_suppression_within_a_row() {
    const UPTAKE: TableDef = TableDef {
        name: "service_uptake",
        description: "test",
        queries: &[],
        columns: &[
            text("quarter", "q"),
            count("referred", "total"),
            count("accepted", "part"),
            count("declined", "part"),
            count("did_not_attend", "part"),
            count("no_status", "part"),
        ],
        sums: crate::measures::service::SERVICE_UPTAKE.sums,
    };
    let mut b = TableBuilder::new(&UPTAKE);
    b.push(&[
        text_value("2024/25 Q1"),
        int_value(100),
        int_value(80),
        int_value(12),
        int_value(2),
        int_value(6),
    ]);
    let p = publish(&b.finish().expect("table"), Policy::NhsDigital);
    // 2 and 6 are both small: two cells hidden, nothing more needed.
    assert_eq!(p.cell(0, "did_not_attend"), &Cell::Suppressed);
    assert_eq!(p.cell(0, "no_status"), &Cell::Suppressed);
    assert_eq!(p.cell(0, "declined"), &Cell::Int(10));
    // One small part: the smallest other part (8) goes too, so 3 cannot be worked out.
    let mut b = TableBuilder::new(&UPTAKE);
    b.push(&[
        text_value("2024/25 Q1"),
        int_value(100),
        int_value(80),
        int_value(9),
        int_value(3),
        int_value(8),
    ]);
    let p = publish(&b.finish().expect("table"), Policy::NhsDigital);
    assert_eq!(p.cell(0, "did_not_attend"), &Cell::Suppressed);
    assert_eq!(p.cell(0, "no_status"), &Cell::Suppressed);
    assert_eq!(p.cell(0, "declined"), &Cell::Int(10));
    assert_eq!(p.cell(0, "accepted"), &Cell::Int(80));
}

/// Property: on random breakdown tables, no visible count is 1–7, every visible
/// count is a multiple of 5, and no set of groups has exactly one hidden count.
#[test]
fn random_tables_never_show_small_counts() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(7);
    for _ in 0..300 {
        let groups = rng.random_range(2..6);
        let mut rows = Vec::new();
        let mut parts = Vec::new();
        for g in 0..groups {
            let referrals = rng.random_range(0..40);
            let declined = rng.random_range(0..=referrals.max(0));
            parts.push((g, referrals.max(1), declined));
        }
        let total: i64 = parts.iter().map(|p| p.1).sum();
        let total_declined: i64 = parts.iter().map(|p| p.2).sum();
        rows.push(row("all", "all", total, total_declined));
        for (g, r, d) in &parts {
            rows.push(row("group", &g.to_string(), *r, *d));
        }
        let p = publish(&table(&rows), Policy::NhsDigital);
        for c in [3, 4] {
            let mut hidden = 0;
            for r in &p.rows {
                match &r[c] {
                    Cell::Int(n) => {
                        assert!(!(1..=7).contains(n), "{n} shown");
                        assert_eq!(n % 5, 0);
                    }
                    Cell::Suppressed => hidden += 1,
                    other => panic!("unexpected {other:?}"),
                }
            }
            assert!(
                hidden != 1,
                "a single hidden cell can be recovered from the total"
            );
        }
    }
}

/// Wilson 95% limits of `x` of `n`.
fn wilson(x: f64, n: f64) -> (f64, f64) {
    crate::stats::proportion::wilson_limits(x, n, crate::stats::Z95)
}

#[test]
fn share_limits_come_from_the_published_counts_so_they_never_invert() {
    // Exact 11 of 57 with its exact Wilson limits: inverting those limits
    // would give back 11 and 57. Published: 10 of 55, with 10-of-55 limits.
    let mut b = TableBuilder::new(&EQUITY_LIKE);
    let (lower, upper) = wilson(11.0, 57.0);
    b.push(&[
        text_value("2024/25"),
        text_value("all"),
        text_value("all"),
        int_value(57),
        int_value(11),
        num_value(11.0 / 57.0),
        num_value(lower),
        num_value(upper),
        num_value(1.0),
        int_value(6),
    ]);
    let p = publish(&b.finish().unwrap(), Policy::NhsDigital);
    let (lower, upper) = wilson(10.0, 55.0);
    assert_eq!(p.cell(0, "declined_share"), &Cell::Num(10.0 / 55.0));
    assert_eq!(p.cell(0, "declined_lower"), &Cell::Num(lower));
    assert_eq!(p.cell(0, "declined_upper"), &Cell::Num(upper));
    // Under OpenSAFELY, from the midpoint-6 counts it publishes.
    let p = publish(&b_equity(57, 11), Policy::OpenSafely);
    let (lower, _) = wilson(midpoint6(11.0), midpoint6(57.0));
    assert_eq!(p.cell(0, "declined_lower"), &Cell::Num(lower));
}

fn b_equity(referrals: i64, declined: i64) -> OutTable {
    table(&[row("all", "all", referrals, declined)])
}

#[test]
fn rates_ratios_and_scaled_counts_come_from_the_published_figures() {
    const SERVICE: TableDef = TableDef {
        name: "service_referrals",
        description: "test",
        queries: &[],
        columns: &[
            text("period", "p"),
            text("quarter", "q"),
            text("breakdown", "b"),
            text("group", "g"),
            count("referrals", "count"),
            count("population", "count"),
            quotient("rate_per_1000", "referrals", "population", 1000.0, "rate"),
            poisson_lower("rate_lower", "referrals", "population", 1000.0, "lower"),
            poisson_upper("rate_upper", "referrals", "population", 1000.0, "upper"),
        ],
        sums: crate::measures::service::SERVICE_REFERRALS.sums,
    };
    let mut b = TableBuilder::new(&SERVICE);
    b.push(&[
        text_value("2024/25"),
        text_value("2024/25 Q1"),
        text_value("all"),
        text_value("all"),
        int_value(211),
        int_value(3641),
        num_value(211.0 / 3641.0 * 1000.0),
        num_value(1.0),
        num_value(2.0),
    ]);
    let p = publish(&b.finish().unwrap(), Policy::NhsDigital);
    let (lower, upper) = crate::stats::poisson::poisson_interval(210.0, 0.95);
    assert_eq!(
        p.cell(0, "rate_per_1000"),
        &Cell::Num(210.0 / 3640.0 * 1000.0)
    );
    assert_eq!(
        p.cell(0, "rate_lower"),
        &Cell::Num(lower.unwrap() / 3640.0 * 1000.0)
    );
    assert_eq!(p.cell(0, "rate_upper"), &Cell::Num(upper / 3640.0 * 1000.0));

    const COMMUNITY: TableDef = TableDef {
        name: "community_summary",
        description: "test",
        queries: &[],
        columns: &[
            text("period", "p"),
            int_label("organisations", "count"),
            count("onward_referrals", "count"),
            quotient(
                "referrals_per_organisation",
                "onward_referrals",
                "organisations",
                1.0,
                "ratio",
            ),
        ],
        sums: Sums::NONE,
    };
    let mut b = TableBuilder::new(&COMMUNITY);
    b.push(&[
        text_value("2024/25"),
        int_value(26),
        int_value(899),
        num_value(899.0 / 26.0),
    ]);
    let p = publish(&b.finish().unwrap(), Policy::NhsDigital);
    // Organisations are not people (shown exactly); the referrals are rounded.
    assert_eq!(p.cell(0, "organisations"), &Cell::Int(26));
    assert_eq!(
        p.cell(0, "referrals_per_organisation"),
        &Cell::Num(900.0 / 26.0)
    );

    const CASELOAD: TableDef = TableDef {
        name: "link_worker_caseload",
        description: "test",
        queries: &[],
        columns: &[
            text("link_worker_id", "w"),
            count("accepted", "count"),
            scaled("caseload_per_year", "accepted", "scaled"),
        ],
        sums: Sums::NONE,
    };
    let mut b = TableBuilder::new(&CASELOAD);
    for (id, accepted) in [("LW1", 93), ("LW2", 4)] {
        b.push(&[
            text_value(id),
            int_value(accepted),
            num_value(accepted as f64 * 2.0),
        ]);
    }
    let p = publish(&b.finish().unwrap(), Policy::NhsDigital);
    assert_eq!(
        p.cell(0, "caseload_per_year"),
        &Cell::Num(190.0),
        "95 published, a half-year"
    );
    assert_eq!(p.cell(1, "caseload_per_year"), &Cell::Suppressed);
}

#[test]
fn every_published_share_lies_within_its_published_interval() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(16);
    for _ in 0..2_000 {
        let n: i64 = rng.random_range(0..400);
        let x: i64 = rng.random_range(0..=n);
        let exact = wilson(x as f64, n as f64);
        let mut b = TableBuilder::new(&EQUITY_LIKE);
        let mut r = row("all", "all", n.max(1), x.min(n.max(1)));
        r[6] = num_value(exact.0);
        r[7] = num_value(exact.1);
        b.push(&r);
        let t = b.finish().unwrap();
        for policy in [Policy::NhsDigital, Policy::OpenSafely] {
            let p = publish(&t, policy);
            if let (Some(s), Some(l), Some(u)) = (
                p.cell(0, "declined_share").number(),
                p.cell(0, "declined_lower").number(),
                p.cell(0, "declined_upper").number(),
            ) {
                assert!(l <= s + 1e-12 && s <= u + 1e-12, "{x}/{n}: {l} {s} {u}");
            }
        }
    }
}

#[test]
fn losses_between_stages_add_up_to_the_stages_as_published() {
    const FUNNEL: TableDef = TableDef {
        name: "wellbeing_attrition_funnel",
        description: "test",
        queries: &[],
        columns: &[
            text("cohort", "c"),
            text("instrument", "i"),
            int_label("stage_order", "o"),
            count("count", "n"),
            losses(
                "lost_before_stage",
                "count",
                "stage_order",
                &["cohort", "instrument"],
                "lost",
            ),
        ],
        sums: Sums::NONE,
    };
    let mut b = TableBuilder::new(&FUNNEL);
    for (order, count, lost) in [(1, 612, 0), (2, 462, 150), (3, 282, 180), (4, 5, 277)] {
        b.push(&[
            text_value("closed"),
            text_value("swemwbs"),
            int_value(order),
            int_value(count),
            int_value(lost),
        ]);
    }
    let p = publish(&b.finish().unwrap(), Policy::NhsDigital);
    // Each loss is the difference of the published stages beside it.
    assert_eq!(p.cell(1, "lost_before_stage"), &Cell::Int(610 - 460));
    assert_eq!(p.cell(2, "lost_before_stage"), &Cell::Int(460 - 280));
    // The last stage is withheld, so what was lost before it is withheld too.
    assert_eq!(p.cell(3, "count"), &Cell::Suppressed);
    assert_eq!(p.cell(3, "lost_before_stage"), &Cell::Suppressed);
    assert_eq!(p.cell(0, "lost_before_stage"), &Cell::Int(0));
}

/// Rounded parts at the edges of their ranges pin the total and every part
/// (90 must be 92 when the parts shown as 30, 35, 25 and 10 are at least 28,
/// 33, 23 and 8): one more part is withheld so nothing is pinned.
#[test]
fn a_total_pinned_by_its_rounded_parts_gets_a_part_withheld() {
    let t = table(&[
        row("all", "all", 92, 0),
        row("pcn", "A", 28, 0),
        row("pcn", "B", 33, 0),
        row("pcn", "C", 23, 0),
        row("pcn", "D", 8, 0),
    ]);
    let p = publish(&t, Policy::NhsDigital);
    let shown: Vec<Cell> = (0..5).map(|r| p.cell(r, "referrals").clone()).collect();
    assert_eq!(shown[0], Cell::Int(90));
    assert_eq!(shown[4], Cell::Suppressed, "{shown:?}");
    let sheet = crate::audit::Sheet::of(&p);
    let audit = crate::audit::audit(&[sheet], Policy::NhsDigital);
    assert!(audit.clean(), "{}", audit.summary());
}

/// A renderer that refers to a column the table does not have (a query
/// renamed it) fails, in every test that renders, instead of showing "–".
#[test]
#[should_panic(expected = "has no column declined_rate")]
fn a_reference_to_a_missing_column_fails() {
    let p = publish(&table(&[row("all", "all", 42, 13)]), Policy::NhsDigital);
    let _ = p.cell(0, "declined_rate");
}
