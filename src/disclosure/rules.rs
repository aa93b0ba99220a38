//! How each column of a table is protected, resolved from its declaration
//! ([`crate::measures::table::def`]): every role a table declares names the
//! columns it rests on, and here those names become the column indices the
//! publisher and the audit work with. Also the quantities that one table
//! publishes beside another: lists and the counts that number them, and one
//! quantity published in two tables.

use std::collections::HashMap;

use crate::measures::table::{OutColumn, Protection, TableDef};

/// How one column is protected, with the columns it rests on as indices
/// into its table's columns.
pub type Role = Protection<usize, Vec<usize>>;

/// The role of each column of `table`, resolved against its columns.
///
/// # Panics
/// When a role names a column the table does not have: every registered
/// table is resolved by a test (`registry`), so this fails there first.
pub fn roles(table: &TableDef) -> Vec<Role> {
    let index = |name: &&'static str| table.columns.iter().position(|c| c.name == *name);
    let list = |names: &&'static [&'static str]| names.iter().map(index).collect();
    table
        .columns
        .iter()
        .map(|c| {
            c.role.map(index, list).unwrap_or_else(|| {
                panic!(
                    "{}.{}: its role names a column the table does not have",
                    table.name, c.name
                )
            })
        })
        .collect()
}

/// The sets of count cells that add up to a published total.
#[derive(Debug, Clone, Default)]
pub struct Secondary {
    /// Column indices identifying a set of breakdown groups (with `breakdown`).
    breakdown_key: Vec<usize>,
    /// The `breakdown` column, when the table has one.
    breakdown: Option<usize>,
    /// Breakdowns whose groups overlap, so do not add up to the total.
    overlapping: &'static [&'static str],
    /// Column indices of counts that are not split between groups.
    pub not_summed: Vec<usize>,
    /// Column indices of a total and its parts within one row, with the part
    /// to suppress first.
    pub row_parts: Vec<(Vec<usize>, Option<usize>)>,
}

impl Secondary {
    /// Row sets: for each key and breakdown, its groups together with the `all`
    /// row when there is one (without one, the total may be published elsewhere,
    /// so the groups still protect each other).
    pub fn sets(&self, raw: &[Vec<crate::disclosure::Cell>]) -> Vec<Vec<usize>> {
        self.breakdowns(raw)
            .into_iter()
            .map(|(mut rows, total)| {
                rows.extend(total);
                rows
            })
            .collect()
    }

    /// For each key and breakdown whose groups do not overlap: the rows of
    /// its groups and the `all` rows of the same key (whose counts, other
    /// than [`Secondary::not_summed`], are the groups' sums).
    pub fn sums(&self, raw: &[Vec<crate::disclosure::Cell>]) -> Vec<(Vec<usize>, Vec<usize>)> {
        let Some(b) = self.breakdown else {
            return Vec::new();
        };
        self.breakdowns(raw)
            .into_iter()
            .filter(|(groups, _)| {
                groups
                    .first()
                    .is_none_or(|&r| !self.overlapping.contains(&raw[r][b].display().as_str()))
            })
            .collect()
    }

    /// For each key and breakdown: the rows of its groups, and the `all` rows
    /// of the same key.
    pub fn breakdowns(
        &self,
        raw: &[Vec<crate::disclosure::Cell>],
    ) -> Vec<(Vec<usize>, Vec<usize>)> {
        let Some(b) = self.breakdown else {
            return Vec::new();
        };
        if self.breakdown_key.is_empty() {
            return Vec::new();
        }
        let key = |r: usize| -> Vec<String> {
            self.breakdown_key
                .iter()
                .map(|&c| raw[r][c].display())
                .collect()
        };
        let mut groups: std::collections::BTreeMap<(Vec<String>, String), Vec<usize>> =
            std::collections::BTreeMap::new();
        let mut totals: std::collections::BTreeMap<Vec<String>, Vec<usize>> =
            std::collections::BTreeMap::new();
        for (r, row) in raw.iter().enumerate() {
            let breakdown = row[b].display();
            if breakdown == "all" {
                totals.entry(key(r)).or_default().push(r);
            } else {
                groups.entry((key(r), breakdown)).or_default().push(r);
            }
        }
        groups
            .into_iter()
            .map(|((k, _), rows)| (rows, totals.get(&k).cloned().unwrap_or_default()))
            .collect()
    }
}

/// A table that lists things one row each (optionally only the rows whose
/// `flag` is 1), whose number another table publishes in `column`: the
/// list's length must agree with that count, or it gives the count away.
#[derive(Debug, Clone, Copy)]
pub struct Listed {
    /// The list table.
    pub list: &'static str,
    /// A 0/1 column: count only the rows where it is 1.
    pub flag: Option<&'static str>,
    /// The table publishing the number.
    pub counted_in: &'static str,
    /// Its column.
    pub column: &'static str,
}

/// A row's key values and its index.
type KeyedRow = (Vec<String>, usize);

/// One side of a quantity that two tables publish: `column` of the rows of
/// `table` where every `when` column has its value, matched on `key`.
#[derive(Debug, Clone, Copy)]
pub struct Twin {
    /// The table.
    pub table: &'static str,
    /// The column holding the quantity.
    pub column: &'static str,
    /// Text columns and the values that pick the rows.
    pub when: &'static [(&'static str, &'static str)],
    /// Text columns that match a row with its twin.
    pub key: &'static [&'static str],
}

impl Twin {
    /// Every column the twin names: the quantity's, then the picking and
    /// matching ones.
    pub fn columns(&self) -> impl Iterator<Item = &'static str> {
        std::iter::once(self.column)
            .chain(self.when.iter().map(|w| w.0))
            .chain(self.key.iter().copied())
    }

    /// The rows that hold the quantity, each with its key, and the column's
    /// index (`None` when the table lacks a column the twin names).
    pub fn rows(
        &self,
        columns: &[OutColumn],
        rows: &[Vec<crate::disclosure::Cell>],
    ) -> Option<(usize, Vec<KeyedRow>)> {
        let index = |name: &str| columns.iter().position(|c| c.name == name);
        let column = index(self.column)?;
        let when: Vec<(usize, &str)> = self
            .when
            .iter()
            .map(|&(c, v)| Some((index(c)?, v)))
            .collect::<Option<_>>()?;
        let key: Vec<usize> = self.key.iter().map(|&k| index(k)).collect::<Option<_>>()?;
        let picked = rows
            .iter()
            .enumerate()
            .filter(|(_, row)| when.iter().all(|&(c, v)| row[c].display() == v))
            .map(|(r, row)| (key.iter().map(|&k| row[k].display()).collect(), r))
            .collect();
        Some((column, picked))
    }
}

/// The same quantity published in two tables: one value in both, and
/// withheld in both when withheld in either.
#[derive(Debug, Clone, Copy)]
pub struct SameQuantity {
    /// One side.
    pub a: Twin,
    /// The other.
    pub b: Twin,
}

/// A cell of a table: (row, column).
pub type CellAt = (usize, usize);

impl SameQuantity {
    /// The cells that hold this quantity in both tables, paired by key: a
    /// cell of `a` (from its columns and rows) with its twin in `b`. Empty
    /// when either table lacks a column the twins name.
    pub fn cells(
        &self,
        a: (&[OutColumn], &[Vec<crate::disclosure::Cell>]),
        b: (&[OutColumn], &[Vec<crate::disclosure::Cell>]),
    ) -> Vec<(CellAt, CellAt)> {
        let (Some((ca, rows_a)), Some((cb, rows_b))) =
            (self.a.rows(a.0, a.1), self.b.rows(b.0, b.1))
        else {
            return Vec::new();
        };
        let mut twins_of: HashMap<&[String], Vec<usize>, foldhash::fast::FixedState> =
            HashMap::default();
        for (key, rb) in &rows_b {
            twins_of.entry(key.as_slice()).or_default().push(*rb);
        }
        let mut pairs = Vec::new();
        for (key, ra) in &rows_a {
            for rb in twins_of.get(key.as_slice()).into_iter().flatten() {
                pairs.push(((*ra, ca), (*rb, cb)));
            }
        }
        pairs
    }
}

/// Every quantity two tables publish.
pub const SAME_QUANTITY: &[SameQuantity] = &[
    // A quarter's referrals.
    SameQuantity {
        a: Twin {
            table: "service_referrals",
            column: "referrals",
            when: &[("breakdown", "all"), ("group", "all")],
            key: &["period", "quarter"],
        },
        b: Twin {
            table: "service_uptake",
            column: "referred",
            when: &[],
            key: &["period", "quarter"],
        },
    },
    // Each practice's and PCN's referrals in the period.
    SameQuantity {
        a: Twin {
            table: "service_referrals_period",
            column: "referrals",
            when: &[("breakdown", "practice_code")],
            key: &["period", "group"],
        },
        b: Twin {
            table: "standardised_ratios",
            column: "observed",
            when: &[("breakdown", "practice_code")],
            key: &["period", "group"],
        },
    },
    SameQuantity {
        a: Twin {
            table: "service_referrals_period",
            column: "referrals",
            when: &[("breakdown", "pcn_code")],
            key: &["period", "group"],
        },
        b: Twin {
            table: "standardised_ratios",
            column: "observed",
            when: &[("breakdown", "pcn_code")],
            key: &["period", "group"],
        },
    },
    // A quarter's accepted referrals.
    SameQuantity {
        a: Twin {
            table: "support_offered",
            column: "accepted",
            when: &[("activity_type", "all")],
            key: &["period", "quarter"],
        },
        b: Twin {
            table: "service_uptake",
            column: "accepted",
            when: &[],
            key: &["period", "quarter"],
        },
    },
    // The referred people of the health comparison.
    SameQuantity {
        a: Twin {
            table: "health_matching",
            column: "cases",
            when: &[],
            key: &["period"],
        },
        b: Twin {
            table: "health_cohort",
            column: "referred",
            when: &[],
            key: &["period"],
        },
    },
    // The period's referrals and acceptances, in its uptake and its data quality.
    SameQuantity {
        a: Twin {
            table: "service_uptake_period",
            column: "referred",
            when: &[],
            key: &["period"],
        },
        b: Twin {
            table: "data_quality",
            column: "denominator",
            when: &[("breakdown", "all"), ("item", "accepted")],
            key: &["period"],
        },
    },
    SameQuantity {
        a: Twin {
            table: "service_uptake_period",
            column: "accepted",
            when: &[],
            key: &["period"],
        },
        b: Twin {
            table: "data_quality",
            column: "count",
            when: &[("breakdown", "all"), ("item", "accepted")],
            key: &["period"],
        },
    },
    // The headline shares of the period beside earlier periods' (the
    // period's own as data_quality publishes them).
    SameQuantity {
        a: Twin {
            table: "period_comparison",
            column: "count",
            when: &[],
            key: &["period", "measure"],
        },
        b: Twin {
            table: "data_quality",
            column: "count",
            when: &[("breakdown", "all")],
            key: &["period", "item"],
        },
    },
    SameQuantity {
        a: Twin {
            table: "period_comparison",
            column: "denominator",
            when: &[],
            key: &["period", "measure"],
        },
        b: Twin {
            table: "data_quality",
            column: "denominator",
            when: &[("breakdown", "all")],
            key: &["period", "item"],
        },
    },
    // A trend quarter's referrals and acceptances (service_uptake has the
    // period's quarters).
    SameQuantity {
        a: Twin {
            table: "referrals_trend",
            column: "referrals",
            when: &[],
            key: &["period", "quarter"],
        },
        b: Twin {
            table: "service_uptake",
            column: "referred",
            when: &[],
            key: &["period", "quarter"],
        },
    },
    SameQuantity {
        a: Twin {
            table: "referrals_trend",
            column: "accepted",
            when: &[],
            key: &["period", "quarter"],
        },
        b: Twin {
            table: "service_uptake",
            column: "accepted",
            when: &[],
            key: &["period", "quarter"],
        },
    },
    // The period's pairs and reliable improvements beside an earlier period's.
    SameQuantity {
        a: Twin {
            table: "wellbeing_change_comparison",
            column: "pairs",
            when: &[],
            key: &["period", "score"],
        },
        b: Twin {
            table: "wellbeing_change",
            column: "pairs",
            when: &[("breakdown", "all")],
            key: &["period", "score"],
        },
    },
    SameQuantity {
        a: Twin {
            table: "wellbeing_change_comparison",
            column: "reliably_improved",
            when: &[],
            key: &["period", "score"],
        },
        b: Twin {
            table: "wellbeing_change",
            column: "reliably_improved",
            when: &[("breakdown", "all")],
            key: &["period", "score"],
        },
    },
    // A quarterly period's pairs, as a quarter of the trend.
    SameQuantity {
        a: Twin {
            table: "wellbeing_change_trend",
            column: "pairs",
            when: &[],
            key: &["period", "quarter", "score"],
        },
        b: Twin {
            table: "wellbeing_change",
            column: "pairs",
            when: &[("breakdown", "all")],
            key: &["period", "period", "score"],
        },
    },
];

/// Counts one table breaks down that another publishes in total: for each
/// key of the [`Twin`]s, the rows of `parts` with one value of `by` add up
/// to the rows of `total` (e.g. each equity breakdown's groups to the
/// period's referrals, which `service_uptake` publishes by quarter).
#[derive(Debug, Clone, Copy)]
pub struct CrossSum {
    /// The breakdown's counts.
    pub parts: Twin,
    /// A text column of `parts` whose values each split the total once
    /// (`None`: all its rows of a key together add up to the total).
    pub by: Option<&'static str>,
    /// The rows holding the total.
    pub total: Twin,
}

/// `service_referrals`' quarters of one breakdown's groups add up to
/// `service_referrals_period`'s rows for them.
macro_rules! quarters_add_up {
    ($breakdown:literal) => {
        CrossSum {
            parts: Twin {
                table: "service_referrals",
                column: "referrals",
                when: &[("breakdown", $breakdown)],
                key: &["period", "group"],
            },
            by: None,
            total: Twin {
                table: "service_referrals_period",
                column: "referrals",
                when: &[("breakdown", $breakdown)],
                key: &["period", "group"],
            },
        }
    };
}

/// `support_offered`'s quarters of `column` add up, activity type by
/// activity type, to `support_offered_period`'s.
macro_rules! support_adds_up {
    ($column:literal) => {
        CrossSum {
            parts: Twin {
                table: "support_offered",
                column: $column,
                when: &[],
                key: &["period", "activity_type"],
            },
            by: None,
            total: Twin {
                table: "support_offered_period",
                column: $column,
                when: &[],
                key: &["period", "activity_type"],
            },
        }
    };
}

/// `service_uptake`'s quarters of `column` add up to `service_uptake_period`'s.
macro_rules! uptake_adds_up {
    ($column:literal) => {
        CrossSum {
            parts: Twin {
                table: "service_uptake",
                column: $column,
                when: &[],
                key: &["period"],
            },
            by: None,
            total: Twin {
                table: "service_uptake_period",
                column: $column,
                when: &[],
                key: &["period"],
            },
        }
    };
}

/// A trend's quarters (`parts`' `column`, keyed by the period and the span
/// the quarter is one of the whole quarters of, then the score when there is
/// one) add up to `total`'s `sum` for that span (keyed by `key`: the period
/// itself, or the earlier period), on the rows of one measure when given.
macro_rules! trend_adds_up {
    ($parts:literal, $column:literal, $total:literal, $sum:literal, $measure:literal, [$($key:literal),+]) => {
        CrossSum {
            parts: Twin {
                table: $parts,
                column: $column,
                when: &[],
                key: &["period", "part_of"],
            },
            by: None,
            total: Twin {
                table: $total,
                column: $sum,
                when: &[("measure", $measure)],
                key: &[$($key),+],
            },
        }
    };
    ($parts:literal, $column:literal, $total:literal, $sum:literal, [$($key:literal),+]) => {
        CrossSum {
            parts: Twin {
                table: $parts,
                column: $column,
                when: &[],
                key: &["period", "part_of", "score"],
            },
            by: None,
            total: Twin {
                table: $total,
                column: $sum,
                when: &[],
                key: &[$($key),+],
            },
        }
    };
}

/// Every count that adds up across two tables.
pub const CROSS_SUMS: &[CrossSum] = &[
    // The organisations listed, against the period's summary.
    CrossSum {
        parts: Twin {
            table: "community_organisations",
            column: "onward_referrals",
            when: &[],
            key: &["period"],
        },
        by: None,
        total: Twin {
            table: "community_summary",
            column: "onward_referrals",
            when: &[],
            key: &["period"],
        },
    },
    CrossSum {
        parts: Twin {
            table: "community_organisations",
            column: "attended",
            when: &[],
            key: &["period"],
        },
        by: None,
        total: Twin {
            table: "community_summary",
            column: "attended",
            when: &[],
            key: &["period"],
        },
    },
    CrossSum {
        parts: Twin {
            table: "equity",
            column: "referrals",
            when: &[],
            key: &["period"],
        },
        by: Some("breakdown"),
        total: Twin {
            table: "service_uptake",
            column: "referred",
            when: &[],
            key: &["period"],
        },
    },
    CrossSum {
        parts: Twin {
            table: "equity",
            column: "declined",
            when: &[],
            key: &["period"],
        },
        by: Some("breakdown"),
        total: Twin {
            table: "service_uptake",
            column: "declined",
            when: &[],
            key: &["period"],
        },
    },
    // The strata of the standardised ratios, against the equity breakdowns
    // by age band and by sex and the period's referrals (a stratum's
    // quintile added up with the rest).
    CrossSum {
        parts: Twin {
            table: "referral_strata",
            column: "referrals",
            when: &[("breakdown", "stratum")],
            key: &["period", "age_band"],
        },
        by: None,
        total: Twin {
            table: "equity",
            column: "referrals",
            when: &[("breakdown", "age_band")],
            key: &["period", "group"],
        },
    },
    CrossSum {
        parts: Twin {
            table: "referral_strata",
            column: "referrals",
            when: &[("breakdown", "stratum")],
            key: &["period", "sex"],
        },
        by: None,
        total: Twin {
            table: "equity",
            column: "referrals",
            when: &[("breakdown", "sex")],
            key: &["period", "group"],
        },
    },
    CrossSum {
        parts: Twin {
            table: "referral_strata",
            column: "population",
            when: &[("breakdown", "stratum")],
            key: &["period", "age_band"],
        },
        by: None,
        total: Twin {
            table: "equity",
            column: "population",
            when: &[("breakdown", "age_band")],
            key: &["period", "group"],
        },
    },
    CrossSum {
        parts: Twin {
            table: "referral_strata",
            column: "population",
            when: &[("breakdown", "stratum")],
            key: &["period", "sex"],
        },
        by: None,
        total: Twin {
            table: "equity",
            column: "population",
            when: &[("breakdown", "sex")],
            key: &["period", "group"],
        },
    },
    CrossSum {
        parts: Twin {
            table: "referral_strata",
            column: "referrals",
            when: &[("breakdown", "stratum")],
            key: &["period"],
        },
        by: None,
        total: Twin {
            table: "service_uptake",
            column: "referred",
            when: &[],
            key: &["period"],
        },
    },
    // By IMD quintile when the strata are (otherwise every stratum's
    // quintile is `all`, which no equity group matches).
    CrossSum {
        parts: Twin {
            table: "referral_strata",
            column: "referrals",
            when: &[("breakdown", "stratum")],
            key: &["period", "imd_quintile"],
        },
        by: None,
        total: Twin {
            table: "equity",
            column: "referrals",
            when: &[("breakdown", "imd_quintile")],
            key: &["period", "group"],
        },
    },
    CrossSum {
        parts: Twin {
            table: "referral_strata",
            column: "population",
            when: &[("breakdown", "stratum")],
            key: &["period", "imd_quintile"],
        },
        by: None,
        total: Twin {
            table: "equity",
            column: "population",
            when: &[("breakdown", "imd_quintile")],
            key: &["period", "group"],
        },
    },
    // Each breakdown's referrals, by quarter and in the period.
    quarters_add_up!("all"),
    quarters_add_up!("referral_source"),
    quarters_add_up!("need"),
    quarters_add_up!("practice_code"),
    quarters_add_up!("pcn_code"),
    // Each practice's and PCN's referrals, by quarter and in the year.
    CrossSum {
        parts: Twin {
            table: "service_referrals",
            column: "referrals",
            when: &[("breakdown", "practice_code")],
            key: &["period", "group"],
        },
        by: None,
        total: Twin {
            table: "standardised_ratios",
            column: "observed",
            when: &[("breakdown", "practice_code")],
            key: &["period", "group"],
        },
    },
    CrossSum {
        parts: Twin {
            table: "service_referrals",
            column: "referrals",
            when: &[("breakdown", "pcn_code")],
            key: &["period", "group"],
        },
        by: None,
        total: Twin {
            table: "standardised_ratios",
            column: "observed",
            when: &[("breakdown", "pcn_code")],
            key: &["period", "group"],
        },
    },
    // Each activity type's quarters add up to the whole period's.
    support_adds_up!("accepted"),
    support_adds_up!("onward_referrals"),
    support_adds_up!("connected"),
    support_adds_up!("connected_of"),
    // Each status's quarters add up to the whole period's.
    uptake_adds_up!("referred"),
    uptake_adds_up!("accepted"),
    uptake_adds_up!("declined"),
    uptake_adds_up!("did_not_attend"),
    uptake_adds_up!("no_status"),
    uptake_adds_up!("with_first_contact"),
    uptake_adds_up!("with_assessment"),
    // The trend's quarters, against the period and each earlier period
    // they are the whole quarters of.
    trend_adds_up!(
        "referrals_trend",
        "referrals",
        "period_comparison",
        "denominator",
        "accepted",
        ["period", "period"]
    ),
    trend_adds_up!(
        "referrals_trend",
        "referrals",
        "period_comparison",
        "compared_denominator",
        "accepted",
        ["period", "compared_period"]
    ),
    trend_adds_up!(
        "referrals_trend",
        "accepted",
        "period_comparison",
        "count",
        "accepted",
        ["period", "period"]
    ),
    trend_adds_up!(
        "referrals_trend",
        "accepted",
        "period_comparison",
        "compared_count",
        "accepted",
        ["period", "compared_period"]
    ),
    trend_adds_up!(
        "wellbeing_change_trend",
        "pairs",
        "wellbeing_change_comparison",
        "pairs",
        ["period", "period", "score"]
    ),
    trend_adds_up!(
        "wellbeing_change_trend",
        "pairs",
        "wellbeing_change_comparison",
        "compared_pairs",
        ["period", "compared_period", "score"]
    ),
];

/// Every list and the count it must agree with.
pub const LISTS: &[Listed] = &[
    Listed {
        list: "community_organisations",
        flag: None,
        counted_in: "community_summary",
        column: "organisations",
    },
    Listed {
        list: "community_organisations",
        flag: Some("new_group"),
        counted_in: "community_summary",
        column: "new_groups",
    },
    Listed {
        list: "community_organisations",
        flag: Some("newly_appearing"),
        counted_in: "community_summary",
        column: "newly_appearing",
    },
];

/// The secondary-suppression sets of `table`.
pub fn secondary(table: &TableDef) -> Secondary {
    let sums = &table.sums;
    let index = |name: &str| table.columns.iter().position(|c| c.name == name);
    Secondary {
        breakdown_key: sums.breakdown_key.iter().filter_map(|n| index(n)).collect(),
        breakdown: index("breakdown"),
        overlapping: sums.overlapping,
        not_summed: sums.not_summed.iter().filter_map(|n| index(n)).collect(),
        row_parts: sums
            .row_parts
            .iter()
            .map(|sum| {
                (
                    sum.parts
                        .iter()
                        .filter_map(|n| index(n))
                        .collect::<Vec<_>>(),
                    sum.prefer.and_then(index),
                )
            })
            .filter(|(parts, _)| parts.len() > 1)
            .collect(),
    }
}
