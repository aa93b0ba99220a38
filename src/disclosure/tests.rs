use rand::{Rng, SeedableRng};

use super::*;
use crate::ingest::batch::Value;
use crate::measures::table::{TableBuilder, int, int_value, num, num_value, text, text_value};

/// Shaped like `equity`: a breakdown with groups and an `all` row.
const COLUMNS: &[OutColumn] = &[
    text("period", "p"),
    text("breakdown", "b"),
    text("group", "g"),
    int("referrals", "base"),
    int("declined", "count"),
    num("declined_share", "share"),
    num("declined_lower", "bound"),
    num("declined_upper", "bound"),
    num("rate_per_1000", "statistic"),
    int("window_months", "parameter"),
];

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
    let mut b = TableBuilder::new("equity", "test", COLUMNS);
    for r in rows {
        b.push(r);
    }
    b.finish().expect("table")
}

#[test]
fn rounding_rules() {
    let r: Vec<f64> = [0.0, 8.0, 10.0, 12.0, 13.0, 17.0, 18.0, 1234.0]
        .iter()
        .map(|&n| round5(n))
        .collect();
    assert_eq!(r, vec![0.0, 10.0, 10.0, 10.0, 15.0, 15.0, 20.0, 1235.0]);
    let m: Vec<f64> = [0.0, 1.0, 6.0, 7.0, 12.0, 13.0, 18.0]
        .iter()
        .map(|&n| midpoint6(n))
        .collect();
    assert_eq!(m, vec![0.0, 3.0, 3.0, 9.0, 9.0, 15.0, 15.0]);
    assert!(!is_small(0.0) && is_small(1.0) && is_small(7.0) && !is_small(8.0));
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
    // M's referrals would give F's away against the total: suppressed too, but
    // the statistics on 37 people stay.
    assert_eq!(p.cell(2, "referrals"), &Cell::Suppressed);
    assert_eq!(p.cell(2, "rate_per_1000"), &Cell::Num(55.5));
    assert_eq!(p.roles[3].kind(), "count");
    assert_eq!(p.roles[5].kind(), "share");
    assert_eq!(p.roles[6].kind(), "share interval");
    assert_eq!(p.roles[8].kind(), "statistic");
    assert_eq!(p.roles[9].kind(), "label");
}

#[test]
fn opensafely_shares_from_midpoint6_counts() {
    let t = table(&[row("all", "all", 42, 13)]);
    let p = publish(&t, Policy::OpenSafely);
    assert_eq!(p.cell(0, "referrals"), &Cell::Int(40));
    // midpoint6(13) = 15, midpoint6(42) = 39.
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
fn secondary_suppression_within_a_row() {
    const UPTAKE: &[OutColumn] = &[
        text("quarter", "q"),
        int("referred", "total"),
        int("accepted", "part"),
        int("declined", "part"),
        int("did_not_attend", "part"),
        int("no_status", "part"),
    ];
    let mut b = TableBuilder::new("service_uptake", "test", UPTAKE);
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
    let mut b = TableBuilder::new("service_uptake", "test", UPTAKE);
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
