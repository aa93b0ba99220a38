//! Which columns of each measure table are counts, shares and statistics, what
//! each statistic is based on, and which cells add up to a published total
//! (for secondary suppression).
//!
//! Defaults cover most columns: a whole-number column is a count of people or
//! events; `x_share` is the share `x / base`; `x_lower` and `x_upper` beside an
//! `x_share` are its interval; any other number is a statistic based on the
//! table's base count (its first count column unless named). [`RULES`] lists
//! what differs from the defaults, table by table.

use crate::measures::table::{ColumnKind, OutColumn};

/// A column as the rules see it: its name and type (a measure's declared
/// column, or one read back from a published table by `sprout audit`).
pub trait ColumnName {
    /// The column's name.
    fn name(&self) -> &str;
    /// The column's type.
    fn kind(&self) -> ColumnKind;
}

impl ColumnName for OutColumn {
    fn name(&self) -> &str {
        self.name
    }
    fn kind(&self) -> ColumnKind {
        self.ty
    }
}

impl ColumnName for (String, ColumnKind) {
    fn name(&self) -> &str {
        &self.0
    }
    fn kind(&self) -> ColumnKind {
        self.1
    }
}

/// How one column is protected.
#[derive(Debug, Clone, PartialEq)]
pub enum Role {
    /// Not a figure about people: text, flags, parameters, plotting grids. Shown as is.
    Label,
    /// A count of people or events: small ones suppressed, others rounded.
    Count,
    /// A count only on rows where `column` starts with one of `values` (a statistic elsewhere).
    CountWhen {
        /// Index of the column that says what the row measures.
        column: usize,
        /// Prefixes of its values on which this column is a count.
        values: &'static [&'static str],
    },
    /// `numerator / denominator`, recomputed from the rounded counts.
    Share {
        /// Index of the numerator count.
        numerator: usize,
        /// Index of the denominator count.
        denominator: usize,
    },
    /// A limit of a share's 95% Wilson interval, recomputed from the published
    /// counts (so it never inverts to the exact ones) and suppressed with them.
    ShareBound {
        /// Index of the share's numerator.
        numerator: usize,
        /// Index of the share's denominator.
        denominator: usize,
        /// The upper limit (else the lower).
        upper: bool,
    },
    /// `numerator / denominator × per`, recomputed from the published values of
    /// both (a rate per 1,000, events per person-year, referrals per
    /// organisation), and suppressed with either.
    Quotient {
        /// Index of the numerator (a count, or another published figure).
        numerator: usize,
        /// Index of the denominator.
        denominator: usize,
        /// Scale: 1,000 for a rate per 1,000.
        per: f64,
    },
    /// A limit of the 95% Poisson interval of `count / denominator × per`
    /// (exact below 10, Byar's from 10), recomputed from the published count.
    PoissonBound {
        /// Index of the count.
        count: usize,
        /// Index of the denominator.
        denominator: usize,
        /// Scale, as for the rate.
        per: f64,
        /// The upper limit (else the lower).
        upper: bool,
    },
    /// A count times a fixed factor (a count a year from a count in a
    /// period), recomputed from the published count.
    Scaled {
        /// Index of the count.
        count: usize,
    },
    /// What was lost between stages: the published `count` of the previous
    /// stage (the row with the same `key` and `order` one less) minus this
    /// row's, so the losses add up to the stages as shown; withheld with
    /// either.
    DropFrom {
        /// Index of the stage count.
        count: usize,
        /// Index of the stage order.
        order: usize,
        /// Indices of the columns that identify one funnel.
        key: Vec<usize>,
    },
    /// A group's rate against everyone else in its breakdown whose count and
    /// denominator are published (`(x / n) / (Σx' / Σn')`), or a limit of
    /// its 95% log-normal interval (`exp(ln RR ± 1.96·√(1/x + 1/Σx'))`),
    /// from the published counts; withheld with the group's own count.
    RateRatio {
        /// Index of the count.
        count: usize,
        /// Index of the denominator.
        denominator: usize,
        /// Indices of the columns that identify one breakdown.
        key: Vec<usize>,
        /// Index of the group column.
        group: usize,
        /// `None` for the ratio, `Some(true)` for its upper limit.
        limit: Option<bool>,
    },
    /// A statistic (mean, median, rate, test) suppressed when any base count
    /// is withheld, and otherwise shown to a precision that cannot single out
    /// its count ([`crate::disclosure::Policy::statistic`]).
    Statistic {
        /// Indices of the counts it is based on.
        bases: Vec<usize>,
        /// A p-value (`p_…`): kept to 2 significant figures.
        p_value: bool,
    },
}

impl Role {
    /// The role as the data dictionary states it, with the columns it rests
    /// on: "count", "share: connected / connected_of", "statistic based on
    /// pairs", "count where measure starts with monthly_referrals"
    /// (`columns`: the table's columns).
    pub fn describe(&self, columns: &[OutColumn]) -> String {
        let name = |i: &usize| columns.get(*i).map_or("", |c| c.name);
        let names = |v: &[usize]| v.iter().map(name).collect::<Vec<_>>().join(", ");
        let per = |p: f64| {
            if (p - 1.0).abs() < f64::EPSILON {
                String::new()
            } else {
                format!(" × {p}")
            }
        };
        match self {
            Role::Label | Role::Count => self.kind().to_string(),
            Role::CountWhen { column, values } => format!(
                "count where {} starts with {}",
                name(column),
                values.join(" or ")
            ),
            Role::Share {
                numerator,
                denominator,
            } => format!("share: {} / {}", name(numerator), name(denominator)),
            Role::ShareBound {
                numerator,
                denominator,
                upper,
            } => format!(
                "{} 95% Wilson limit of {} / {}",
                if *upper { "upper" } else { "lower" },
                name(numerator),
                name(denominator)
            ),
            Role::Quotient {
                numerator,
                denominator,
                per: p,
            } => format!(
                "ratio of published figures: {} / {}{}",
                name(numerator),
                name(denominator),
                per(*p)
            ),
            Role::PoissonBound {
                count,
                denominator,
                per: p,
                upper,
            } => format!(
                "{} 95% Poisson limit of {} / {}{}",
                if *upper { "upper" } else { "lower" },
                name(count),
                name(denominator),
                per(*p)
            ),
            Role::Scaled { count } => format!("scaled count: {} × a fixed factor", name(count)),
            Role::DropFrom { count, .. } => {
                format!(
                    "difference of published counts: {} of the stage before minus this stage's",
                    name(count)
                )
            }
            Role::RateRatio {
                count,
                denominator,
                limit,
                ..
            } => format!(
                "{}rate ratio of {} / {} against the rest of the breakdown as published",
                match limit {
                    None => "",
                    Some(true) => "upper 95% limit of the ",
                    Some(false) => "lower 95% limit of the ",
                },
                name(count),
                name(denominator)
            ),
            Role::Statistic { bases, .. } if bases.is_empty() => "statistic".to_string(),
            Role::Statistic { bases, .. } => format!("statistic based on {}", names(bases)),
        }
    }

    /// The columns a figure derived from published figures is computed
    /// from, in formula order (numerator, denominator; count): empty for
    /// every other role.
    pub fn inputs(&self) -> Vec<usize> {
        match *self {
            Role::Share {
                numerator,
                denominator,
            }
            | Role::ShareBound {
                numerator,
                denominator,
                ..
            }
            | Role::Quotient {
                numerator,
                denominator,
                ..
            } => vec![numerator, denominator],
            Role::PoissonBound {
                count, denominator, ..
            } => vec![count, denominator],
            Role::Scaled { count } => vec![count],
            _ => Vec::new(),
        }
    }

    /// The role's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Role::Label => "label",
            Role::Count | Role::CountWhen { .. } => "count",
            Role::Share { .. } => "share",
            Role::ShareBound { .. } => "share interval",
            Role::Quotient { .. } => "ratio of published figures",
            Role::PoissonBound { .. } => "rate interval",
            Role::Scaled { .. } => "scaled count",
            Role::DropFrom { .. } => "difference of published counts",
            Role::RateRatio { limit: None, .. } => "rate ratio of published counts",
            Role::RateRatio { .. } => "rate ratio interval",
            Role::Statistic { .. } => "statistic",
        }
    }
}

/// What a table does differently from the defaults.
struct TableRules {
    table: &'static str,
    /// The count its statistics are based on (default: the first count column).
    base: Option<&'static str>,
    /// Number columns that are not figures about people (parameters, flags, grids).
    labels: &'static [&'static str],
    /// Number-typed columns that are counts.
    counts: &'static [&'static str],
    /// A column that is a count only on some rows: (column, row-kind column, values).
    count_when: Option<(&'static str, &'static str, &'static [&'static str])>,
    /// Shares not named `x_share` of the base: (share, numerator, denominator).
    shares: &'static [(&'static str, &'static str, &'static str)],
    /// Statistics with their own bases.
    statistic_bases: &'static [(&'static str, &'static [&'static str])],
    /// Ratios of published figures: (column, numerator, denominator, per).
    quotients: &'static [(&'static str, &'static str, &'static str, f64)],
    /// Poisson limits of a rate: (column, count, denominator, per, upper).
    poisson_bounds: &'static [(&'static str, &'static str, &'static str, f64, bool)],
    /// Counts times a fixed factor: (column, count).
    scaled: &'static [(&'static str, &'static str)],
    /// Losses between stages: (column, count, stage order, funnel key).
    drops: &'static [(
        &'static str,
        &'static str,
        &'static str,
        &'static [&'static str],
    )],
    /// Rate ratios against the rest of the breakdown: (column, count,
    /// denominator, limit: None for the ratio, Some(upper) for a limit).
    rate_ratios: &'static [(&'static str, &'static str, &'static str, Option<bool>)],
    /// Columns that, with `breakdown`, identify a set of groups adding up to the `all` row.
    breakdown_key: &'static [&'static str],
    /// Breakdowns whose groups overlap (a referral with several needs is in
    /// several groups): protected as sets, but their groups do not add up.
    overlapping: &'static [&'static str],
    /// Counts that are the same for every group rather than split between
    /// them (the registered population beside each need's referrals).
    not_summed: &'static [&'static str],
    /// Counts in one row that add up (a total and its parts).
    row_parts: &'static [RowSum],
}

/// Counts in one row that add up: a total and its parts.
struct RowSum {
    /// The total and its parts.
    parts: &'static [&'static str],
    /// The part to suppress first when one more is needed (the least informative
    /// one, e.g. "no reliable change"), instead of the smallest.
    prefer: Option<&'static str>,
}

const DEFAULT: TableRules = TableRules {
    table: "",
    base: None,
    labels: &[],
    counts: &[],
    count_when: None,
    shares: &[],
    statistic_bases: &[],
    quotients: &[],
    poisson_bounds: &[],
    scaled: &[],
    drops: &[],
    rate_ratios: &[],
    breakdown_key: &[],
    overlapping: &[],
    not_summed: &[],
    row_parts: &[],
};

/// Whole-number columns that are never counts of people or events.
const GLOBAL_LABELS: &[&str] = &[
    "window_months",
    "washout_days",
    "k",
    "bootstrap_reps",
    "seed",
    "quarter",
    "stage_order",
    "beyond_limit",
    "run",
    "trend",
    "two_of_three",
    "balanced",
    "new_group",
    "units",
    "min_window_coverage",
    "unit_cost",
];

/// The tables whose columns differ from the defaults.
static RULES: &[TableRules] = &[
    // Lines and records of the input files: not counts of people.
    TableRules {
        table: "ingest_summary",
        labels: &[
            "lines_read",
            "records_read",
            "records_accepted",
            "records_quarantined",
        ],
        ..DEFAULT
    },
    TableRules {
        table: "wellbeing_change",
        base: Some("pairs"),
        breakdown_key: &["period", "cohort", "score"],
        overlapping: &["need"],
        row_parts: &[RowSum {
            parts: &[
                "pairs",
                "reliably_improved",
                "no_reliable_change",
                "reliably_deteriorated",
            ],
            prefer: Some("no_reliable_change"),
        }],
        ..DEFAULT
    },
    TableRules {
        table: "wellbeing_attrition_funnel",
        base: Some("count"),
        drops: &[(
            "lost_before_stage",
            "count",
            "stage_order",
            &["cohort", "instrument"],
        )],
        ..DEFAULT
    },
    TableRules {
        table: "wellbeing_attrition_bias",
        statistic_bases: &[
            ("mean_baseline_with_follow_up", &["with_follow_up"]),
            ("mean_baseline_without_follow_up", &["without_follow_up"]),
            (
                "standardised_mean_difference",
                &["with_follow_up", "without_follow_up"],
            ),
        ],
        ..DEFAULT
    },
    // The limits and baseline are computed from the published counts
    // (disclosure::benchmarks), so they show nothing the counts do not.
    TableRules {
        table: "benchmark_funnel_units",
        base: Some("denominator"),
        labels: &["baseline", "lower95", "upper95", "lower998", "upper998"],
        counts: &["numerator", "denominator"],
        shares: &[("value", "numerator", "denominator")],
        ..DEFAULT
    },
    TableRules {
        table: "benchmark_funnel_limits",
        labels: &[
            "denominator",
            "lower95",
            "upper95",
            "lower998",
            "upper998",
            "baseline",
        ],
        ..DEFAULT
    },
    TableRules {
        table: "spc",
        count_when: Some(("value", "measure", &["monthly_referrals"])),
        ..DEFAULT
    },
    TableRules {
        table: "community_organisations",
        base: Some("people"),
        labels: &["newly_appearing"],
        ..DEFAULT
    },
    // Counts of organisations are not counts of people: shown exactly, so the
    // list of organisations (one row each, with its new_group flag) agrees
    // with them instead of revealing what rounding hid.
    TableRules {
        table: "community_summary",
        base: Some("onward_referrals"),
        labels: &["organisations", "new_groups", "newly_appearing"],
        shares: &[("attended_share", "attended", "attendance_recorded")],
        quotients: &[(
            "referrals_per_organisation",
            "onward_referrals",
            "organisations",
            1.0,
        )],
        ..DEFAULT
    },
    TableRules {
        table: "equity",
        base: Some("referrals"),
        shares: &[("completed_share", "completed", "outcome_accepted")],
        quotients: &[("rate_per_1000", "referrals", "population", 1000.0)],
        poisson_bounds: &[
            ("rate_lower", "referrals", "population", 1000.0, false),
            ("rate_upper", "referrals", "population", 1000.0, true),
        ],
        rate_ratios: &[
            ("rate_ratio", "referrals", "population", None),
            ("rate_ratio_lower", "referrals", "population", Some(false)),
            ("rate_ratio_upper", "referrals", "population", Some(true)),
        ],
        breakdown_key: &["period"],
        ..DEFAULT
    },
    TableRules {
        table: "health_cohort",
        base: Some("referred"),
        row_parts: &[RowSum {
            parts: &[
                "referred",
                "not_present",
                "partial_before_excluded",
                "short_before",
                "short_after",
                "measured",
            ],
            prefer: None,
        }],
        ..DEFAULT
    },
    TableRules {
        table: "health_matching",
        base: Some("cases"),
        ..DEFAULT
    },
    TableRules {
        table: "data_quality",
        base: Some("denominator"),
        shares: &[("share", "count", "denominator")],
        breakdown_key: &["period", "item"],
        ..DEFAULT
    },
    TableRules {
        table: "service_referrals",
        quotients: &[("rate_per_1000", "referrals", "population", 1000.0)],
        poisson_bounds: &[
            ("rate_lower", "referrals", "population", 1000.0, false),
            ("rate_upper", "referrals", "population", 1000.0, true),
        ],
        breakdown_key: &["period", "quarter"],
        overlapping: &["need"],
        not_summed: &["population"],
        ..DEFAULT
    },
    TableRules {
        table: "service_uptake",
        base: Some("referred"),
        statistic_bases: &[
            ("median_days_to_first_contact", &["with_first_contact"]),
            ("p90_days_to_first_contact", &["with_first_contact"]),
            ("median_days_to_first_assessment", &["with_assessment"]),
            ("p90_days_to_first_assessment", &["with_assessment"]),
            ("median_episode_days", &["accepted"]),
            ("mean_contacts_per_accepted", &["accepted"]),
        ],
        row_parts: &[RowSum {
            parts: &[
                "referred",
                "accepted",
                "declined",
                "did_not_attend",
                "no_status",
            ],
            prefer: Some("no_status"),
        }],
        ..DEFAULT
    },
    TableRules {
        table: "support_offered",
        base: Some("accepted"),
        shares: &[("connected_share", "connected", "connected_of")],
        quotients: &[("onward_per_accepted", "onward_referrals", "accepted", 1.0)],
        ..DEFAULT
    },
    TableRules {
        table: "link_worker_caseload",
        scaled: &[("caseload_per_year", "accepted")],
        ..DEFAULT
    },
    TableRules {
        table: "health_before_after",
        base: Some("people"),
        quotients: &[
            ("before_rate", "before_events", "before_person_years", 1.0),
            ("after_rate", "after_events", "after_person_years", 1.0),
            ("ratio_to_population", "before_rate", "population_rate", 1.0),
        ],
        ..DEFAULT
    },
];

/// Every (table, column) the rules name, so a test can check that each one
/// exists in its table (a renamed column must fail a test, not fall back to a
/// default role unseen).
pub fn named_columns() -> Vec<(&'static str, &'static str)> {
    let mut out = Vec::new();
    for r in RULES {
        let mut add = |c: &'static str| out.push((r.table, c));
        r.base.into_iter().for_each(&mut add);
        r.labels.iter().copied().for_each(&mut add);
        r.counts.iter().copied().for_each(&mut add);
        if let Some((c, k, _)) = r.count_when {
            add(c);
            add(k);
        }
        for &(s, x, n) in r.shares {
            [s, x, n].into_iter().for_each(&mut add);
        }
        for &(s, bases) in r.statistic_bases {
            add(s);
            bases.iter().copied().for_each(&mut add);
        }
        for &(q, x, n, _) in r.quotients {
            [q, x, n].into_iter().for_each(&mut add);
        }
        for &(q, x, n, _, _) in r.poisson_bounds {
            [q, x, n].into_iter().for_each(&mut add);
        }
        for &(q, x) in r.scaled {
            [q, x].into_iter().for_each(&mut add);
        }
        for &(q, x, n, _) in r.rate_ratios {
            [q, x, n].into_iter().for_each(&mut add);
        }
        for &(d, x, o, key) in r.drops {
            [d, x, o].into_iter().for_each(&mut add);
            key.iter().copied().for_each(&mut add);
        }
        r.breakdown_key.iter().copied().for_each(&mut add);
        r.not_summed.iter().copied().for_each(&mut add);
        for sum in r.row_parts {
            sum.parts.iter().copied().for_each(&mut add);
            sum.prefer.into_iter().for_each(&mut add);
        }
    }
    for l in LISTS {
        out.extend(l.flag.map(|f| (l.list, f)));
        out.push((l.counted_in, l.column));
    }
    for same in SAME_QUANTITY {
        for t in [same.a, same.b] {
            out.push((t.table, t.column));
            out.extend(t.when.iter().map(|&(c, _)| (t.table, c)));
            out.extend(t.key.iter().map(|&k| (t.table, k)));
        }
    }
    out
}

fn rules_of(table: &str) -> &'static TableRules {
    RULES.iter().find(|r| r.table == table).unwrap_or(&DEFAULT)
}

/// The role of each column of `table`.
pub fn roles<C: ColumnName>(table: &str, columns: &[C]) -> Vec<Role> {
    let rules = rules_of(table);
    let index = |name: &str| columns.iter().position(|c| c.name() == name);
    let is_label = |c: &C| GLOBAL_LABELS.contains(&c.name()) || rules.labels.contains(&c.name());
    let is_count = |c: &C| {
        !is_label(c)
            && (c.kind() == ColumnKind::Integer || rules.counts.contains(&c.name()))
            && rules.count_when.is_none_or(|(name, _, _)| name != c.name())
            && !rules.drops.iter().any(|d| d.0 == c.name())
    };
    let breakdown_key: Vec<usize> = rules
        .breakdown_key
        .iter()
        .chain(&["breakdown"])
        .filter_map(|k| index(k))
        .collect();
    let base = rules
        .base
        .and_then(index)
        .or_else(|| columns.iter().position(is_count));
    let share_of = |name: &str| -> Option<(usize, usize)> {
        if let Some(&(_, x, n)) = rules.shares.iter().find(|(s, _, _)| *s == name) {
            return Some((index(x)?, index(n)?));
        }
        let x = name.strip_suffix("_share")?;
        Some((index(x)?, base?))
    };
    columns
        .iter()
        .map(|c| {
            if c.kind() == ColumnKind::Text || is_label(c) {
                return Role::Label;
            }
            if let Some((name, kind, values)) = rules.count_when
                && name == c.name()
                && let Some(column) = index(kind)
            {
                return Role::CountWhen { column, values };
            }
            if is_count(c) {
                return Role::Count;
            }
            if let Some((numerator, denominator)) = share_of(c.name()) {
                return Role::Share {
                    numerator,
                    denominator,
                };
            }
            let bound_of = c
                .name()
                .strip_suffix("_lower")
                .or_else(|| c.name().strip_suffix("_upper"))
                .map(|x| format!("{x}_share"))
                .filter(|share| index(share).is_some())
                .and_then(|share| share_of(&share));
            if let Some((numerator, denominator)) = bound_of {
                return Role::ShareBound {
                    numerator,
                    denominator,
                    upper: c.name().ends_with("_upper"),
                };
            }
            if let Some(&(_, x, n, per)) = rules.quotients.iter().find(|q| q.0 == c.name())
                && let (Some(numerator), Some(denominator)) = (index(x), index(n))
            {
                return Role::Quotient {
                    numerator,
                    denominator,
                    per,
                };
            }
            if let Some(&(_, x, n, per, upper)) =
                rules.poisson_bounds.iter().find(|q| q.0 == c.name())
                && let (Some(count), Some(denominator)) = (index(x), index(n))
            {
                return Role::PoissonBound {
                    count,
                    denominator,
                    per,
                    upper,
                };
            }
            if let Some(&(_, x)) = rules.scaled.iter().find(|q| q.0 == c.name())
                && let Some(count) = index(x)
            {
                return Role::Scaled { count };
            }
            if let Some(&(_, x, o, key)) = rules.drops.iter().find(|q| q.0 == c.name())
                && let (Some(count), Some(order)) = (index(x), index(o))
            {
                return Role::DropFrom {
                    count,
                    order,
                    key: key.iter().filter_map(|k| index(k)).collect(),
                };
            }
            if let Some(&(_, x, n, limit)) = rules.rate_ratios.iter().find(|q| q.0 == c.name())
                && let (Some(count), Some(denominator), Some(group)) =
                    (index(x), index(n), index("group"))
            {
                return Role::RateRatio {
                    count,
                    denominator,
                    key: breakdown_key.clone(),
                    group,
                    limit,
                };
            }
            let bases = match rules.statistic_bases.iter().find(|(s, _)| *s == c.name()) {
                Some((_, names)) => names.iter().filter_map(|n| index(n)).collect(),
                None => base.into_iter().collect(),
            };
            Role::Statistic {
                bases,
                p_value: c.name().starts_with("p_"),
            }
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
    /// The rows that hold the quantity, each with its key, and the column's
    /// index (`None` when the table lacks a column the twin names).
    fn rows<C: ColumnName>(
        &self,
        columns: &[C],
        rows: &[Vec<crate::disclosure::Cell>],
    ) -> Option<(usize, Vec<KeyedRow>)> {
        let index = |name: &str| columns.iter().position(|c| c.name() == name);
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
    pub fn cells<A: ColumnName, B: ColumnName>(
        &self,
        a: (&[A], &[Vec<crate::disclosure::Cell>]),
        b: (&[B], &[Vec<crate::disclosure::Cell>]),
    ) -> Vec<(CellAt, CellAt)> {
        let (Some((ca, rows_a)), Some((cb, rows_b))) =
            (self.a.rows(a.0, a.1), self.b.rows(b.0, b.1))
        else {
            return Vec::new();
        };
        let mut pairs = Vec::new();
        for (key, ra) in &rows_a {
            for (_, rb) in rows_b.iter().filter(|(k, _)| k == key) {
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
pub fn secondary<C: ColumnName>(table: &str, columns: &[C]) -> Secondary {
    let rules = rules_of(table);
    let index = |name: &str| columns.iter().position(|c| c.name() == name);
    Secondary {
        breakdown_key: rules
            .breakdown_key
            .iter()
            .filter_map(|n| index(n))
            .collect(),
        breakdown: index("breakdown"),
        overlapping: rules.overlapping,
        not_summed: rules.not_summed.iter().filter_map(|n| index(n)).collect(),
        row_parts: rules
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
