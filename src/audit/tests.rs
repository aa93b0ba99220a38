use rand::{Rng, SeedableRng};

use super::*;
use crate::batch::Value;
use crate::disclosure::publish;
use crate::measures::table::{
    OutTable, Sums, TableBuilder, TableDef, count, int_label, int_value, num_value, quotient,
    rate_ratio, rate_ratio_lower, rate_ratio_upper, share, statistic, text, text_value,
    wilson_lower, wilson_upper,
};

/// Shaped like `equity`, whose rules carry a breakdown (key: period), a
/// share of `referrals`, its Wilson limits and a rate per 1,000.
const EQUITY_LIKE: TableDef = TableDef {
    name: "equity",
    description: "test",
    queries: &[],
    columns: &[
        text("period", "p"),
        text("breakdown", "b"),
        text("group", "g"),
        count("referrals", "base"),
        count("population", "count"),
        quotient(
            "rate_per_1000",
            "referrals",
            "population",
            1000.0,
            "quotient",
        ),
        count("declined", "count"),
        share("declined_share", "declined", "referrals", "share"),
        wilson_lower("declined_lower", "declined", "referrals", "bound"),
        wilson_upper("declined_upper", "declined", "referrals", "bound"),
        statistic("mean_age", &["referrals"], "statistic"),
    ],
    sums: crate::measures::equity::EQUITY.sums,
};

/// A row with its share, limits and rate from the exact counts, and a mean
/// of whole-number ages totalling `age_total`.
fn row(b: &str, g: &str, referrals: i64, declined: i64, age_total: i64) -> Vec<Value> {
    let share = declined as f64 / referrals as f64;
    let (lower, upper) = crate::stats::proportion::wilson_limits(
        declined as f64,
        referrals as f64,
        1.959_963_984_540_054,
    );
    vec![
        text_value("2024/25"),
        text_value(b),
        text_value(g),
        int_value(referrals),
        int_value(referrals * 100),
        num_value(referrals as f64 / (referrals * 100) as f64 * 1000.0),
        int_value(declined),
        num_value(share),
        num_value(lower),
        num_value(upper),
        num_value(age_total as f64 / referrals as f64),
    ]
}

fn table(rows: &[Vec<Value>]) -> OutTable {
    let mut b = TableBuilder::new(&EQUITY_LIKE);
    for r in rows {
        b.push(r);
    }
    b.finish().expect("table")
}

/// The table as it would be read back if nothing had been protected but the
/// counts: exact derived figures beside rounded counts (today's leak shapes).
fn rounded_counts_only(t: &OutTable) -> Sheet {
    let exact = publish(t, Policy::None);
    let mut sheet = Sheet::of(&exact);
    for r in 0..sheet.rows.len() {
        for c in 0..sheet.columns().len() {
            if sheet.is_count(r, c)
                && let Cell::Int(n) = sheet.rows[r][c]
            {
                sheet.rows[r][c] = if Policy::NhsDigital.is_small(n as f64) {
                    Cell::Suppressed
                } else {
                    Cell::Int(Policy::NhsDigital.round(n as f64) as i64)
                };
            }
        }
    }
    sheet
}

fn kinds(a: &Audit) -> Vec<(Kind, String, Option<i64>)> {
    a.findings
        .iter()
        .map(|f| (f.kind, f.column.clone(), f.value))
        .collect()
}

#[test]
fn shares_limits_and_rates_from_exact_counts_give_the_counts_back() {
    let t = table(&[row("all", "all", 57, 11, 57 * 40)]);
    let a = audit(&[rounded_counts_only(&t)], Policy::NhsDigital);
    let found = kinds(&a);
    // 11 of 57 shown as 10 of 55: the share 11/57 and its limits are
    // reproduced by the exact counts only.
    assert!(
        found.contains(&(Kind::Restored, "declined".into(), Some(11))),
        "{found:?}"
    );
    assert!(
        found.contains(&(Kind::Restored, "referrals".into(), Some(57))),
        "{found:?}"
    );
    // The same table as sprout publishes it: nothing.
    let published = audit(
        &[Sheet::of(&publish(&t, Policy::NhsDigital))],
        Policy::NhsDigital,
    );
    assert!(published.clean(), "{}", published.summary());
}

#[test]
fn a_mean_to_many_decimals_gives_its_count_away() {
    // 23 people, ages totalling 920 + 37: the mean 41.6086… × 23 is whole.
    let t = table(&[row("all", "all", 23, 10, 957)]);
    let mut sheet = Sheet::of(&publish(&t, Policy::NhsDigital));
    let mean = sheet.column("mean_age").unwrap();
    assert_eq!(
        sheet.rows[0][mean],
        Cell::Num(41.6),
        "coarsened to 1 decimal for 25"
    );
    assert!(audit(std::slice::from_ref(&sheet), Policy::NhsDigital).clean());
    sheet.rows[0][mean] = Cell::Num(957.0 / 23.0);
    let found = kinds(&audit(&[sheet], Policy::NhsDigital));
    assert!(
        found.contains(&(Kind::Restored, "referrals".into(), Some(23))),
        "{found:?}"
    );
}

#[test]
fn differencing_recovers_a_withheld_part_of_a_known_total() {
    let t = table(&[
        row("all", "all", 40, 0, 1600),
        row("sex", "F", 3, 0, 120),
        row("sex", "M", 37, 0, 1480),
    ]);
    let mut sheet = Sheet::of(&publish(&t, Policy::NhsDigital));
    let referrals = sheet.column("referrals").unwrap();
    assert_eq!(sheet.rows[1][referrals], Cell::Suppressed);
    assert_eq!(
        sheet.rows[2][referrals],
        Cell::Suppressed,
        "secondary suppression"
    );
    assert!(audit(std::slice::from_ref(&sheet), Policy::NhsDigital).clean());
    // Without the secondary suppression, a published zero total pins the part:
    // here the total is 0 and the part is withheld.
    sheet.rows[0][referrals] = Cell::Int(0);
    sheet.rows[2][referrals] = Cell::Int(0);
    let found = kinds(&audit(&[sheet], Policy::NhsDigital));
    assert!(
        found.contains(&(Kind::Recovered, "referrals".into(), Some(0))),
        "{found:?}"
    );
}

#[test]
fn small_and_unrounded_counts_are_reported() {
    let t = table(&[row("all", "all", 23, 3, 900)]);
    let sheet = Sheet::of(&publish(&t, Policy::None));
    let a = audit(std::slice::from_ref(&sheet), Policy::NhsDigital);
    let found = kinds(&a);
    assert!(
        found.contains(&(Kind::Unprotected, "declined".into(), Some(3))),
        "{found:?}"
    );
    assert!(
        found.contains(&(Kind::Unprotected, "referrals".into(), Some(23))),
        "{found:?}"
    );
    let none = audit(&[sheet], Policy::None);
    assert_eq!(none.findings.len(), 1, "{}", none.summary());
    assert!(none.summary().contains("NOT FOR PUBLICATION"));
}

fn sheet(def: &'static TableDef, rows: Vec<Vec<Cell>>) -> Sheet {
    Sheet::new(def.name.into(), def, rows)
}

const ORGANISATIONS: TableDef = TableDef {
    name: "community_organisations",
    description: "test",
    queries: &[],
    columns: &[
        text("period", "p"),
        text("organisation_id", "o"),
        int_label("new_group", "flag"),
    ],
    sums: Sums::NONE,
};

const SUMMARY: TableDef = TableDef {
    name: "community_summary",
    description: "test",
    queries: &[],
    columns: &[
        text("period", "p"),
        int_label("organisations", "organisations"),
        int_label("new_groups", "organisations"),
    ],
    sums: Sums::NONE,
};

const MATCHING: TableDef = TableDef {
    name: "health_matching",
    description: "test",
    queries: &[],
    columns: &[count("cases", "c"), count("matched_cases", "m")],
    sums: Sums::NONE,
};

const WARNINGS: TableDef = TableDef {
    name: "health_warnings",
    description: "test",
    queries: &[],
    columns: &[text("period", "p"), text("message", "m")],
    sums: Sums::NONE,
};

#[test]
fn a_list_longer_than_its_rounded_count_gives_the_count_away() {
    let list = sheet(
        &ORGANISATIONS,
        (0..26)
            .map(|i| {
                vec![
                    Cell::Text("2024/25".into()),
                    Cell::Text(format!("ORG{i}")),
                    Cell::Int(i64::from(i < 3)),
                ]
            })
            .collect(),
    );
    let summary = |organisations: Cell, new_groups: Cell| {
        sheet(
            &SUMMARY,
            vec![vec![
                Cell::Text("2024/25".into()),
                organisations,
                new_groups,
            ]],
        )
    };
    let exact = audit(
        &[list.clone(), summary(Cell::Int(26), Cell::Int(3))],
        Policy::NhsDigital,
    );
    assert!(exact.clean(), "{}", exact.summary());
    let found = kinds(&audit(
        &[list, summary(Cell::Int(25), Cell::Suppressed)],
        Policy::NhsDigital,
    ));
    assert!(
        found.contains(&(Kind::Restored, "organisations".into(), Some(26))),
        "{found:?}"
    );
    assert!(
        found.contains(&(Kind::Recovered, "new_groups".into(), Some(3))),
        "{found:?}"
    );
}

#[test]
fn sentences_quoting_exact_figures_are_found() {
    let matching = sheet(&MATCHING, vec![vec![Cell::Int(695), Cell::Int(20)]]);
    let warnings = |message: &str| {
        sheet(
            &WARNINGS,
            vec![vec![
                Cell::Text("2024/25".into()),
                Cell::Text(message.into()),
            ]],
        )
    };
    let exact = audit(
        &[
            matching.clone(),
            warnings("Only 21 of 693 referred people in 2024/25 could be matched."),
        ],
        Policy::NhsDigital,
    );
    let quoted: Vec<&str> = exact
        .findings
        .iter()
        .filter(|f| f.kind == Kind::Unpublished)
        .map(|f| f.how.split_whitespace().next().unwrap_or_default())
        .collect();
    assert_eq!(quoted, ["21", "693"], "{}", exact.summary());
    let published = audit(
        &[
            matching,
            warnings("Only about 20 of about 695 referred people in 2024/25, UCLA-3, Q3."),
        ],
        Policy::NhsDigital,
    );
    assert!(published.clean(), "{}", published.summary());
}

#[test]
fn numbers_are_read_from_sentences_as_written() {
    let q: Vec<(f64, usize, bool)> =
        words::quoted("Rates 1,234.5 and 2.9% in UCLA-3, Q3, d_z 0.41; 6-month")
            .into_iter()
            .map(|q| (q.value, q.decimals, q.percent))
            .collect();
    assert_eq!(
        q,
        [
            (1234.5, 1, false),
            (2.9, 1, true),
            (0.41, 2, false),
            (6.0, 0, false)
        ]
    );
    assert_eq!(decimals(2.5), 1);
    assert_eq!(decimals(3.0), 0);
    assert_eq!(decimals(1e-7), 7);
}

/// Property: random breakdown tables published under each policy give the
/// audit nothing to recover, restore or contradict.
#[test]
fn random_published_tables_pass_the_audit() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(11);
    for case in 0..300 {
        let groups = rng.random_range(2..6);
        let mut parts = Vec::new();
        for _ in 0..groups {
            let referrals: i64 = if rng.random_bool(0.3) {
                rng.random_range(1..10)
            } else {
                rng.random_range(8..300)
            };
            let declined = rng.random_range(0..=referrals);
            let ages = rng.random_range(18..90) * referrals + rng.random_range(0..referrals);
            parts.push((referrals, declined, ages));
        }
        let sum = |f: fn(&(i64, i64, i64)) -> i64| parts.iter().map(f).sum::<i64>();
        let mut rows = vec![row("all", "all", sum(|p| p.0), sum(|p| p.1), sum(|p| p.2))];
        for (g, (r, d, a)) in parts.iter().enumerate() {
            rows.push(row("group", &g.to_string(), *r, *d, *a));
        }
        let t = table(&rows);
        for policy in crate::disclosure::policy::ALL
            .into_iter()
            .filter(|p| p.publishable())
        {
            let a = audit(&[Sheet::of(&publish(&t, policy))], policy);
            assert!(a.clean(), "case {case} {policy:?}: {}", a.summary());
        }
    }
}

/// Rate ratios against the rest of a breakdown: from exact counts they
/// contradict the published counts (and invert to them); as published they
/// are the ratio of the published counts.
#[test]
fn rate_ratios_are_computed_from_the_published_counts() {
    const EQUITY: TableDef = TableDef {
        name: "equity",
        description: "test",
        queries: &[],
        columns: &[
            text("period", "p"),
            text("breakdown", "b"),
            text("group", "g"),
            count("referrals", "count"),
            count("population", "count"),
            rate_ratio(
                "rate_ratio",
                "referrals",
                "population",
                KEY,
                "group",
                "ratio",
            ),
            rate_ratio_lower(
                "rate_ratio_lower",
                "referrals",
                "population",
                KEY,
                "group",
                "limit",
            ),
            rate_ratio_upper(
                "rate_ratio_upper",
                "referrals",
                "population",
                KEY,
                "group",
                "limit",
            ),
        ],
        sums: crate::measures::equity::EQUITY.sums,
    };
    const KEY: &[&str] = &["period", "breakdown"];
    let groups = [
        ("A", 57, 1003),
        ("B", 23, 2001),
        ("C", 3, 498),
        ("D", 40, 1500),
    ];
    let mut b = TableBuilder::new(&EQUITY);
    for (g, x, n) in groups {
        let (rest_x, rest_n) = groups
            .iter()
            .filter(|o| o.0 != g)
            .fold((0, 0), |(a, b), o| (a + o.1, b + o.2));
        let (rr, lo, hi) = crate::stats::poisson::rate_ratio(
            f64::from(x),
            f64::from(n),
            f64::from(rest_x),
            f64::from(rest_n),
        )
        .unwrap();
        b.push(&[
            text_value("2024/25"),
            text_value("sex"),
            text_value(g),
            int_value(x),
            int_value(n),
            num_value(rr),
            num_value(lo),
            num_value(hi),
        ]);
    }
    let t = b.finish().unwrap();
    let p = publish(&t, Policy::NhsDigital);
    let a = audit(&[Sheet::of(&p)], Policy::NhsDigital);
    assert!(a.clean(), "{}", a.summary());
    // C is withheld, and B to protect it: A's ratio is against D alone.
    let expected = (55.0 / 1005.0) / (40.0 / 1500.0);
    assert!((p.cell(0, "rate_ratio").number().unwrap() - expected).abs() < 1e-12);
    assert_eq!(p.cell(2, "rate_ratio"), &Cell::Suppressed);
    // The exact-count ratios beside rounded counts are caught.
    let found = kinds(&audit(&[rounded_counts_only(&t)], Policy::NhsDigital));
    assert!(
        found
            .iter()
            .any(|(k, c, _)| *k == Kind::Contradiction && c == "rate_ratio"),
        "{found:?}"
    );
}

/// A quarter's accepted referrals are in `service_uptake` (where 9 is
/// withheld to protect 3 declined) and in `support_offered`: published one
/// table at a time, the second table gives the first's `*` away.
#[test]
fn a_quantity_withheld_in_one_table_is_withheld_in_every_table() {
    const UPTAKE: TableDef = TableDef {
        name: "service_uptake",
        description: "test",
        queries: &[],
        columns: &[
            text("period", "p"),
            text("quarter", "q"),
            count("referred", "total"),
            count("accepted", "part"),
            count("declined", "part"),
            count("did_not_attend", "part"),
            count("no_status", "part"),
        ],
        sums: crate::measures::service::SERVICE_UPTAKE.sums,
    };
    const SUPPORT: TableDef = TableDef {
        name: "support_offered",
        description: "test",
        queries: &[],
        columns: &[
            text("period", "p"),
            text("quarter", "q"),
            text("activity_type", "t"),
            count("accepted", "count"),
        ],
        sums: Sums::NONE,
    };
    let mut uptake = TableBuilder::new(&UPTAKE);
    uptake.push(&[
        text_value("2024/25"),
        text_value("Q1"),
        int_value(40),
        int_value(9),
        int_value(3),
        int_value(28),
        int_value(0),
    ]);
    let mut support = TableBuilder::new(&SUPPORT);
    support.push(&[
        text_value("2024/25"),
        text_value("Q1"),
        text_value("all"),
        int_value(9),
    ]);
    let tables = [uptake.finish().unwrap(), support.finish().unwrap()];
    let one_by_one: Vec<Sheet> = tables
        .iter()
        .map(|t| Sheet::of(&publish(t, Policy::NhsDigital)))
        .collect();
    assert_eq!(one_by_one[0].rows[0][3], Cell::Suppressed);
    let found = kinds(&audit(&one_by_one, Policy::NhsDigital));
    assert!(
        found.contains(&(Kind::Unprotected, "accepted".into(), None)),
        "{found:?}"
    );
    let together = published_together(&tables, Policy::NhsDigital);
    assert_eq!(together[1].rows[0][3], Cell::Suppressed);
    let a = audit(&together, Policy::NhsDigital);
    assert!(a.clean(), "{}", a.summary());
}

/// A share left empty (its denominator is 0) beside its withheld
/// denominator says the `*` is 0; sprout withholds the share with it.
#[test]
fn an_empty_figure_beside_a_withheld_count_is_found() {
    let t = table(&[row("all", "all", 40, 0, 1600)]);
    let mut sheet = Sheet::of(&publish(&t, Policy::NhsDigital));
    let (referrals, share) = (
        sheet.column("referrals").unwrap(),
        sheet.column("declined_share").unwrap(),
    );
    sheet.rows[0][referrals] = Cell::Suppressed;
    sheet.rows[0][share] = Cell::Empty;
    let found = kinds(&audit(&[sheet], Policy::NhsDigital));
    assert!(
        found.contains(&(Kind::Unprotected, "declined_share".into(), None)),
        "{found:?}"
    );
}

/// Property: random tables with both kinds of declared sums at once (the
/// parts of each row's total, and the groups of a breakdown against its
/// `all` row, as in `wellbeing_change`), published under each policy, give
/// the audit nothing to recover, restore or contradict.
#[test]
fn random_tables_with_row_and_breakdown_sums_pass_the_audit() {
    const CHANGE: TableDef = TableDef {
        name: "wellbeing_change",
        description: "test",
        queries: &[],
        columns: &[
            text("period", "p"),
            text("cohort", "c"),
            text("score", "s"),
            text("breakdown", "b"),
            text("group", "g"),
            count("pairs", "total"),
            count("reliably_improved", "part"),
            count("no_reliable_change", "part"),
            count("reliably_deteriorated", "part"),
            statistic("mean_change", &["pairs"], "statistic"),
        ],
        sums: crate::measures::wellbeing::WELLBEING_CHANGE.sums,
    };
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(23);
    for case in 0..400 {
        let groups = rng.random_range(2..7);
        // Some cases put every count at the low edge of its rounding range
        // (5k + 3 rounds up to 5k + 5), where rounded parts pin their totals.
        let edge = rng.random_bool(0.3);
        let parts: Vec<[i64; 3]> = (0..groups)
            .map(|_| {
                let scale = if rng.random_bool(0.4) { 6 } else { 60 };
                [0; 3].map(|_| {
                    let n = rng.random_range(0..scale);
                    if edge { 5 * (n / 5) + 3 } else { n }
                })
            })
            .collect();
        let row = |g: &str, p: [i64; 3], total_change: i64| {
            let n = p.iter().sum::<i64>();
            vec![
                text_value("2024/25"),
                text_value("closed"),
                text_value("wemwbs"),
                text_value(if g == "all" { "all" } else { "pcn_code" }),
                text_value(g),
                int_value(n),
                int_value(p[0]),
                int_value(p[1]),
                int_value(p[2]),
                num_value(if n > 0 {
                    total_change as f64 / n as f64
                } else {
                    f64::NAN
                }),
            ]
        };
        let mut b = TableBuilder::new(&CHANGE);
        let total = parts
            .iter()
            .fold([0; 3], |a, p| [a[0] + p[0], a[1] + p[1], a[2] + p[2]]);
        b.push(&row("all", total, 7 * total.iter().sum::<i64>() + 3));
        for (g, p) in parts.iter().enumerate() {
            b.push(&row(&format!("U{g}"), *p, 7 * p.iter().sum::<i64>() + 1));
        }
        let t = b.finish().unwrap();
        for policy in crate::disclosure::policy::ALL
            .into_iter()
            .filter(|p| p.publishable())
        {
            let a = audit(&[Sheet::of(&publish(&t, policy))], policy);
            assert!(a.clean(), "case {case} {policy:?}: {}", a.summary());
        }
    }
}

/// Shaped like `equity`'s counts, for the sums across tables.
const GROUPS: TableDef = TableDef {
    name: "equity",
    description: "test",
    queries: &[],
    columns: &[
        text("period", "p"),
        text("breakdown", "b"),
        text("group", "g"),
        count("referrals", "n"),
        count("declined", "d"),
    ],
    sums: Sums::NONE,
};
/// Shaped like `service_uptake`'s counts.
const QUARTERS: TableDef = TableDef {
    name: "service_uptake",
    description: "test",
    queries: &[],
    columns: &[
        text("period", "p"),
        text("quarter", "q"),
        count("referred", "n"),
        count("declined", "d"),
    ],
    sums: Sums::NONE,
};
/// Each equity breakdown adds up to the period's referrals, which
/// `service_uptake` publishes by quarter: rounded counts on both sides can
/// pin each other across the two tables.
#[test]
fn a_breakdown_and_a_total_in_another_table_are_differenced_together() {
    let text_cell = |s: &str| Cell::Text(s.into());
    let quarters = sheet(
        &QUARTERS,
        ["Q1", "Q2"]
            .iter()
            .map(|q| {
                vec![
                    text_cell("2024/25"),
                    text_cell(q),
                    Cell::Int(10),
                    Cell::Int(0),
                ]
            })
            .collect(),
    );
    let groups = |shown: &[i64]| {
        sheet(
            &GROUPS,
            shown
                .iter()
                .enumerate()
                .map(|(g, &n)| {
                    vec![
                        text_cell("2024/25"),
                        text_cell("sex"),
                        text_cell(&g.to_string()),
                        Cell::Int(n),
                        Cell::Int(0),
                    ]
                })
                .collect(),
        )
    };
    // 10 + 10 is at most 24; three groups shown as 10 are at least 24.
    let pinned = kinds(&audit(
        &[groups(&[10, 10, 10]), quarters.clone()],
        Policy::NhsDigital,
    ));
    assert!(
        pinned.contains(&(Kind::Restored, "referrals".into(), Some(8)))
            && pinned.contains(&(Kind::Restored, "referred".into(), Some(12))),
        "{pinned:?}"
    );
    let fine = audit(&[groups(&[10, 10]), quarters], Policy::NhsDigital);
    assert!(fine.clean(), "{}", fine.summary());
}

/// Quarters' referrals as `service_uptake` holds them, and breakdowns of
/// their total as `equity` does (each a list of groups' referrals); declines
/// are none.
fn across_tables(quarters: &[i64], breakdowns: &[Vec<i64>]) -> Vec<OutTable> {
    let mut q = TableBuilder::new(&QUARTERS);
    for (i, &n) in quarters.iter().enumerate() {
        q.push(&[
            text_value("2024/25"),
            text_value(format!("Q{}", i + 1)),
            int_value(n),
            int_value(0),
        ]);
    }
    let mut g = TableBuilder::new(&GROUPS);
    for (b, groups) in breakdowns.iter().enumerate() {
        for (i, &n) in groups.iter().enumerate() {
            g.push(&[
                text_value("2024/25"),
                text_value(format!("breakdown{b}")),
                text_value(format!("group{i}")),
                int_value(n),
                int_value(0),
            ]);
        }
    }
    vec![g.finish().unwrap(), q.finish().unwrap()]
}

/// Each table published on its own, as sheets.
fn published_alone(tables: &[OutTable], policy: Policy) -> Vec<Sheet> {
    tables
        .iter()
        .map(|t| Sheet::of(&publish(t, policy)))
        .collect()
}

/// Every table published together (`publish_all`), as sheets.
fn published_together(tables: &[OutTable], policy: Policy) -> Vec<Sheet> {
    crate::disclosure::publish_all(tables, policy)
        .iter()
        .map(Sheet::of)
        .collect()
}

/// The publisher's side of the sums across tables: quarters of 12 and 12
/// (shown 10 and 10, so at most 24) and three groups of 8 (shown 10 each, so
/// at least 24) pin each other when each table is published alone;
/// `publish_all` withholds one more cell.
#[test]
fn publishing_every_table_together_unpins_sums_across_tables() {
    let tables = across_tables(&[12, 12], &[vec![8, 8, 8]]);
    let policy = Policy::NhsDigital;
    let found = kinds(&audit(&published_alone(&tables, policy), policy));
    assert!(
        found.contains(&(Kind::Restored, "referrals".into(), Some(8))),
        "{found:?}"
    );
    let together = published_together(&tables, policy);
    let a = audit(&together, policy);
    assert!(a.clean(), "{}", a.summary());
    let withheld = together
        .iter()
        .flat_map(|s| s.rows.iter().flatten())
        .filter(|c| matches!(c, Cell::Suppressed))
        .count();
    assert!(withheld >= 1, "one more cell is withheld");
}

/// `total` cut into `n` random parts.
fn split(rng: &mut impl Rng, total: i64, n: usize) -> Vec<i64> {
    let mut cuts: Vec<i64> = (1..n).map(|_| rng.random_range(0..=total)).collect();
    cuts.sort();
    cuts.push(total);
    let mut previous = 0;
    cuts.iter()
        .map(|&c| {
            let part = c - previous;
            previous = c;
            part
        })
        .collect()
}

/// Property: random quarters and random breakdowns of their total, some at
/// the edges of their rounding ranges (groups at 5k + 3, quarters at
/// 5k + 2, where the two sides pin each other), published together under
/// every policy, leave the audit nothing across tables (or within them).
#[test]
fn random_breakdowns_of_a_total_published_by_quarter_stay_unpinned() {
    let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(29);
    for case in 0..300 {
        let quarters_n = rng.random_range(1..5);
        let breakdowns_n = rng.random_range(1..4);
        let edge = rng.random_bool(0.5);
        let (quarters, breakdowns) = if edge {
            let first: Vec<i64> = (0..rng.random_range(2..6))
                .map(|_| 5 * rng.random_range(1..6) + 3)
                .collect();
            let total: i64 = first.iter().sum();
            let mut left = total;
            let mut quarters: Vec<i64> = (1..quarters_n)
                .map(|_| {
                    let q = left.min(5 * rng.random_range(1..6) + 2);
                    left -= q;
                    q
                })
                .collect();
            quarters.push(left);
            let mut breakdowns = vec![first];
            for _ in 1..breakdowns_n {
                let groups = rng.random_range(2..6);
                breakdowns.push(split(&mut rng, total, groups));
            }
            (quarters, breakdowns)
        } else {
            let total = rng.random_range(0..120);
            let quarters = split(&mut rng, total, quarters_n);
            let breakdowns = (0..breakdowns_n)
                .map(|_| {
                    let groups = rng.random_range(2..6);
                    split(&mut rng, total, groups)
                })
                .collect();
            (quarters, breakdowns)
        };
        let tables = across_tables(&quarters, &breakdowns);
        for policy in crate::disclosure::policy::ALL
            .into_iter()
            .filter(|p| p.publishable())
        {
            let sheets = published_together(&tables, policy);
            let a = audit(&sheets, policy);
            assert!(
                a.clean(),
                "case {case} {policy:?} quarters {quarters:?} breakdowns {breakdowns:?}: {}",
                a.summary()
            );
        }
    }
}

/// The organisations listed add up to the summary's onward referrals: four
/// organisations of 8 (shown 10 each, so at least 32) and a total of 32
/// (shown 30, so at most 32) pin every one; published together, they do not.
#[test]
fn listed_organisations_and_their_summary_are_differenced_together() {
    const LISTED: TableDef = TableDef {
        name: "community_organisations",
        description: "test",
        queries: &[],
        columns: &[
            text("period", "p"),
            text("organisation_id", "o"),
            count("onward_referrals", "n"),
            count("attended", "a"),
        ],
        sums: Sums::NONE,
    };
    const TOTALS: TableDef = TableDef {
        name: "community_summary",
        description: "test",
        queries: &[],
        columns: &[
            text("period", "p"),
            count("onward_referrals", "n"),
            count("attended", "a"),
        ],
        sums: Sums::NONE,
    };
    let mut listed = TableBuilder::new(&LISTED);
    for o in ["G1", "G2", "G3", "G4"] {
        listed.push(&[
            text_value("2024/25"),
            text_value(o),
            int_value(8),
            int_value(0),
        ]);
    }
    let mut summary = TableBuilder::new(&TOTALS);
    summary.push(&[text_value("2024/25"), int_value(32), int_value(0)]);
    let tables = [listed.finish().unwrap(), summary.finish().unwrap()];
    let policy = Policy::NhsDigital;
    let found = kinds(&audit(&published_alone(&tables, policy), policy));
    assert!(
        found.contains(&(Kind::Restored, "onward_referrals".into(), Some(8)))
            && found.contains(&(Kind::Restored, "onward_referrals".into(), Some(32))),
        "{found:?}"
    );
    let together = published_together(&tables, policy);
    let a = audit(&together, policy);
    assert!(a.clean(), "{}", a.summary());
}
