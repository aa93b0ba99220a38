//! The registry's unit: each output table declared once, with every column's
//! type, description and disclosure role, and the cells that add up to a
//! published total.
//!
//! A table's definition sits beside the code that computes it (in its
//! measure's module, next to the SQL it runs) and is listed once in
//! [`crate::registry`]. Roles name the columns they rest on; a test resolves
//! every declared name against its table, so a renamed column fails instead
//! of falling back to a guess.

use crate::measures::query::Query;

/// The types output columns take.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ColumnKind {
    /// UTF-8 text.
    Text,
    /// Whole number.
    Integer,
    /// A 64-bit float.
    Number,
    /// A calendar day (Date32 in Parquet, `YYYY-MM-DD` in CSV).
    Date,
}

impl ColumnKind {
    /// The type as the data dictionary states it.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Text => "text",
            ColumnKind::Integer => "integer",
            ColumnKind::Number => "number",
            ColumnKind::Date => "date",
        }
    }
}

/// How one column is protected. `C` names a column: its name where a table
/// is declared ([`Declared`]), its index once resolved against the columns
/// at hand (`disclosure::rules::Role`); `K` is a list of them.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Protection<C, K> {
    /// Not a figure about people: text, flags, parameters, plotting grids. Shown as is.
    Label,
    /// A count of people or events: small ones suppressed, others rounded.
    Count,
    /// A count only on rows where `column` starts with one of `values` (a statistic elsewhere).
    CountWhen {
        /// The column that says what the row measures.
        column: C,
        /// Prefixes of its values on which this column is a count.
        values: &'static [&'static str],
    },
    /// `numerator / denominator`, recomputed from the rounded counts.
    Share {
        /// The numerator count.
        numerator: C,
        /// The denominator count.
        denominator: C,
    },
    /// A limit of a share's 95% Wilson interval, recomputed from the published
    /// counts (so it never inverts to the exact ones) and suppressed with them.
    ShareBound {
        /// The share's numerator.
        numerator: C,
        /// The share's denominator.
        denominator: C,
        /// The upper limit (else the lower).
        upper: bool,
    },
    /// One share minus another (`numerator / denominator −
    /// compared_numerator / compared_denominator`), or a limit of its 95%
    /// interval (Newcombe's hybrid score), recomputed from the published
    /// counts and suppressed with any of them.
    ShareDifference {
        /// The share's numerator.
        numerator: C,
        /// The share's denominator.
        denominator: C,
        /// The other share's numerator.
        compared_numerator: C,
        /// The other share's denominator.
        compared_denominator: C,
        /// `None` for the difference, `Some(true)` for its upper limit.
        limit: Option<bool>,
    },
    /// `numerator / denominator × per`, recomputed from the published values of
    /// both (a rate per 1,000, events per person-year, referrals per
    /// organisation), and suppressed with either.
    Quotient {
        /// The numerator (a count, or another published figure).
        numerator: C,
        /// The denominator.
        denominator: C,
        /// Scale: 1,000 for a rate per 1,000.
        per: f64,
    },
    /// A limit of the Poisson interval of `count / denominator × per` at
    /// `level` (exact below 10, Byar's from 10), recomputed from the
    /// published count.
    PoissonBound {
        /// The count.
        count: C,
        /// The denominator.
        denominator: C,
        /// Scale, as for the rate.
        per: f64,
        /// Confidence level: 0.95, or 0.998 beside a funnel's outer limits.
        level: f64,
        /// The upper limit (else the lower).
        upper: bool,
    },
    /// A count times a fixed factor (a count a year from a count in a
    /// period), recomputed from the published count.
    Scaled {
        /// The count.
        count: C,
    },
    /// What was lost between stages: the published `count` of the previous
    /// stage (the row with the same `key` and `order` one less) minus this
    /// row's, so the losses add up to the stages as shown; withheld with
    /// either.
    DropFrom {
        /// The stage count.
        count: C,
        /// The stage order.
        order: C,
        /// The columns that identify one funnel.
        key: K,
    },
    /// A group's rate against everyone else in its breakdown whose count and
    /// denominator are published (`(x / n) / (Σx' / Σn')`), or a limit of
    /// its 95% log-normal interval (`exp(ln RR ± 1.96·√(1/x + 1/Σx'))`),
    /// from the published counts; withheld with the group's own count.
    RateRatio {
        /// The count.
        count: C,
        /// The denominator.
        denominator: C,
        /// The columns that identify one breakdown.
        key: K,
        /// The group column.
        group: C,
        /// `None` for the ratio, `Some(true)` for its upper limit.
        limit: Option<bool>,
    },
    /// A statistic (mean, median, rate, test) suppressed when any base count
    /// is withheld, and otherwise shown to a precision that cannot single out
    /// its count (`disclosure::Policy::statistic`).
    Statistic {
        /// The counts it is based on.
        bases: K,
        /// A p-value: kept to 2 significant figures.
        p_value: bool,
    },
}

/// A role as declared, naming the columns it rests on.
pub type Declared = Protection<&'static str, &'static [&'static str]>;

impl<C, K> Protection<C, K> {
    /// The role's name.
    pub fn kind(&self) -> &'static str {
        match self {
            Protection::Label => "label",
            Protection::Count | Protection::CountWhen { .. } => "count",
            Protection::Share { .. } => "share",
            Protection::ShareBound { .. } => "share interval",
            Protection::ShareDifference { limit: None, .. } => "difference of published shares",
            Protection::ShareDifference { .. } => "difference of shares interval",
            Protection::Quotient { .. } => "ratio of published figures",
            Protection::PoissonBound { .. } => "rate interval",
            Protection::Scaled { .. } => "scaled count",
            Protection::DropFrom { .. } => "difference of published counts",
            Protection::RateRatio { limit: None, .. } => "rate ratio of published counts",
            Protection::RateRatio { .. } => "rate ratio interval",
            Protection::Statistic { .. } => "statistic",
        }
    }

    /// The same role with each column reference mapped by `column` (a name
    /// to its index); `None` when any does not resolve.
    pub fn map<D, L>(
        &self,
        mut column: impl FnMut(&C) -> Option<D>,
        mut list: impl FnMut(&K) -> Option<L>,
    ) -> Option<Protection<D, L>> {
        Some(match self {
            Protection::Label => Protection::Label,
            Protection::Count => Protection::Count,
            Protection::CountWhen { column: c, values } => Protection::CountWhen {
                column: column(c)?,
                values,
            },
            Protection::Share {
                numerator,
                denominator,
            } => Protection::Share {
                numerator: column(numerator)?,
                denominator: column(denominator)?,
            },
            Protection::ShareBound {
                numerator,
                denominator,
                upper,
            } => Protection::ShareBound {
                numerator: column(numerator)?,
                denominator: column(denominator)?,
                upper: *upper,
            },
            Protection::ShareDifference {
                numerator,
                denominator,
                compared_numerator,
                compared_denominator,
                limit,
            } => Protection::ShareDifference {
                numerator: column(numerator)?,
                denominator: column(denominator)?,
                compared_numerator: column(compared_numerator)?,
                compared_denominator: column(compared_denominator)?,
                limit: *limit,
            },
            Protection::Quotient {
                numerator,
                denominator,
                per,
            } => Protection::Quotient {
                numerator: column(numerator)?,
                denominator: column(denominator)?,
                per: *per,
            },
            Protection::PoissonBound {
                count,
                denominator,
                per,
                level,
                upper,
            } => Protection::PoissonBound {
                count: column(count)?,
                denominator: column(denominator)?,
                per: *per,
                level: *level,
                upper: *upper,
            },
            Protection::Scaled { count } => Protection::Scaled {
                count: column(count)?,
            },
            Protection::DropFrom { count, order, key } => Protection::DropFrom {
                count: column(count)?,
                order: column(order)?,
                key: list(key)?,
            },
            Protection::RateRatio {
                count,
                denominator,
                key,
                group,
                limit,
            } => Protection::RateRatio {
                count: column(count)?,
                denominator: column(denominator)?,
                key: list(key)?,
                group: column(group)?,
                limit: *limit,
            },
            Protection::Statistic { bases, p_value } => Protection::Statistic {
                bases: list(bases)?,
                p_value: *p_value,
            },
        })
    }
}

impl<C: Copy, K> Protection<C, K> {
    /// The columns a figure derived from published figures is computed
    /// from, in formula order (numerator, denominator; count): empty for
    /// every other role.
    pub fn inputs(&self) -> Vec<C> {
        match *self {
            Protection::Share {
                numerator,
                denominator,
            }
            | Protection::ShareBound {
                numerator,
                denominator,
                ..
            }
            | Protection::Quotient {
                numerator,
                denominator,
                ..
            } => vec![numerator, denominator],
            Protection::PoissonBound {
                count, denominator, ..
            } => vec![count, denominator],
            Protection::ShareDifference {
                numerator,
                denominator,
                compared_numerator,
                compared_denominator,
                ..
            } => vec![
                numerator,
                denominator,
                compared_numerator,
                compared_denominator,
            ],
            Protection::Scaled { count } => vec![count],
            _ => Vec::new(),
        }
    }
}

impl Declared {
    /// Every column the role names.
    pub fn names(&self) -> Vec<&'static str> {
        let mut names = Vec::new();
        self.map(
            |c| {
                names.push(*c);
                Some(())
            },
            |_| Some(()),
        );
        match self {
            Protection::DropFrom { key, .. } | Protection::RateRatio { key, .. } => {
                names.extend_from_slice(key)
            }
            Protection::Statistic { bases, .. } => names.extend_from_slice(bases),
            _ => {}
        }
        names
    }

    /// The role as the data dictionary states it, with the columns it rests
    /// on: "count", "share: connected / connected_of", "statistic based on
    /// pairs", "count where measure starts with monthly_referrals".
    pub fn describe(&self) -> String {
        let per = |p: f64| {
            if (p - 1.0).abs() < f64::EPSILON {
                String::new()
            } else {
                format!(" × {p}")
            }
        };
        let side = |upper: bool| if upper { "upper" } else { "lower" };
        match self {
            Protection::Label | Protection::Count => self.kind().to_string(),
            Protection::CountWhen { column, values } => {
                format!("count where {column} starts with {}", values.join(" or "))
            }
            Protection::Share {
                numerator,
                denominator,
            } => format!("share: {numerator} / {denominator}"),
            Protection::ShareBound {
                numerator,
                denominator,
                upper,
            } => format!(
                "{} 95% Wilson limit of {numerator} / {denominator}",
                side(*upper)
            ),
            Protection::ShareDifference {
                numerator,
                denominator,
                compared_numerator,
                compared_denominator,
                limit,
            } => format!(
                "{}{numerator} / {denominator} minus {compared_numerator} / {compared_denominator}",
                match limit {
                    None => String::new(),
                    Some(upper) => format!("{} 95% Newcombe limit of ", side(*upper)),
                }
            ),
            Protection::Quotient {
                numerator,
                denominator,
                per: p,
            } => format!(
                "ratio of published figures: {numerator} / {denominator}{}",
                per(*p)
            ),
            Protection::PoissonBound {
                count,
                denominator,
                per: p,
                level,
                upper,
            } => format!(
                "{} {}% Poisson limit of {count} / {denominator}{}",
                side(*upper),
                format!("{:.1}", level * 100.0).trim_end_matches(".0"),
                per(*p)
            ),
            Protection::Scaled { count } => format!("scaled count: {count} × a fixed factor"),
            Protection::DropFrom { count, .. } => format!(
                "difference of published counts: {count} of the stage before minus this stage's"
            ),
            Protection::RateRatio {
                count,
                denominator,
                limit,
                ..
            } => format!(
                "{}rate ratio of {count} / {denominator} against the rest of the breakdown as published",
                match limit {
                    None => String::new(),
                    Some(upper) => format!("{} 95% limit of the ", side(*upper)),
                }
            ),
            Protection::Statistic { bases: [], .. } => "statistic".to_string(),
            Protection::Statistic { bases, .. } => {
                format!("statistic based on {}", bases.join(", "))
            }
        }
    }
}

/// One declared output column.
#[derive(Debug, Clone, Copy)]
pub struct OutColumn {
    /// Column name.
    pub name: &'static str,
    /// Arrow type (Utf8, Int64 or Float64).
    pub ty: ColumnKind,
    /// What the column holds.
    pub description: &'static str,
    /// How disclosure control treats it.
    pub role: Declared,
}

const fn column(
    name: &'static str,
    ty: ColumnKind,
    role: Declared,
    description: &'static str,
) -> OutColumn {
    OutColumn {
        name,
        ty,
        description,
        role,
    }
}

/// A text column (a label).
pub const fn text(name: &'static str, description: &'static str) -> OutColumn {
    column(name, ColumnKind::Text, Protection::Label, description)
}

/// A calendar day that labels a row (a month's first day, a data span's end).
pub const fn date(name: &'static str, description: &'static str) -> OutColumn {
    column(name, ColumnKind::Date, Protection::Label, description)
}

/// A whole-number column that is not a count of people or events (a
/// parameter, a flag, a quarter): shown as is.
pub const fn int_label(name: &'static str, description: &'static str) -> OutColumn {
    column(name, ColumnKind::Integer, Protection::Label, description)
}

/// A number column that is not a figure about people (a plotting grid, a
/// limit computed from published counts): shown as is.
pub const fn num_label(name: &'static str, description: &'static str) -> OutColumn {
    column(name, ColumnKind::Number, Protection::Label, description)
}

/// A count of people or events.
pub const fn count(name: &'static str, description: &'static str) -> OutColumn {
    column(name, ColumnKind::Integer, Protection::Count, description)
}

/// A count held in a number column (a funnel's numerator and denominator).
pub const fn count_number(name: &'static str, description: &'static str) -> OutColumn {
    column(name, ColumnKind::Number, Protection::Count, description)
}

/// A number column that is a count on the rows where `kind` starts with one
/// of `values`, and a statistic elsewhere.
pub const fn count_when(
    name: &'static str,
    kind: &'static str,
    values: &'static [&'static str],
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Number,
        Protection::CountWhen {
            column: kind,
            values,
        },
        description,
    )
}

/// The share `numerator / denominator`.
pub const fn share(
    name: &'static str,
    numerator: &'static str,
    denominator: &'static str,
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Number,
        Protection::Share {
            numerator,
            denominator,
        },
        description,
    )
}

const fn wilson(
    name: &'static str,
    numerator: &'static str,
    denominator: &'static str,
    upper: bool,
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Number,
        Protection::ShareBound {
            numerator,
            denominator,
            upper,
        },
        description,
    )
}

/// One share minus another, or (`limit`) a limit of its 95% interval, from
/// the published counts: the shares are `numerator / denominator` and
/// `compared[0] / compared[1]`.
pub const fn share_difference(
    name: &'static str,
    (numerator, denominator): (&'static str, &'static str),
    compared: (&'static str, &'static str),
    limit: Option<bool>,
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Number,
        Protection::ShareDifference {
            numerator,
            denominator,
            compared_numerator: compared.0,
            compared_denominator: compared.1,
            limit,
        },
        description,
    )
}

/// The lower 95% Wilson limit of `numerator / denominator`.
pub const fn wilson_lower(
    name: &'static str,
    numerator: &'static str,
    denominator: &'static str,
    description: &'static str,
) -> OutColumn {
    wilson(name, numerator, denominator, false, description)
}

/// The upper 95% Wilson limit of `numerator / denominator`.
pub const fn wilson_upper(
    name: &'static str,
    numerator: &'static str,
    denominator: &'static str,
    description: &'static str,
) -> OutColumn {
    wilson(name, numerator, denominator, true, description)
}

/// `numerator / denominator × per`.
pub const fn quotient(
    name: &'static str,
    numerator: &'static str,
    denominator: &'static str,
    per: f64,
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Number,
        Protection::Quotient {
            numerator,
            denominator,
            per,
        },
        description,
    )
}

/// A limit of the Poisson interval of `count / denominator × per` at `level`
/// (the upper one when `upper`).
pub const fn poisson_bound(
    name: &'static str,
    count: &'static str,
    denominator: &'static str,
    per: f64,
    level: f64,
    upper: bool,
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Number,
        Protection::PoissonBound {
            count,
            denominator,
            per,
            level,
            upper,
        },
        description,
    )
}

/// The lower 95% Poisson limit of `count / denominator × per`.
pub const fn poisson_lower(
    name: &'static str,
    count: &'static str,
    denominator: &'static str,
    per: f64,
    description: &'static str,
) -> OutColumn {
    poisson_bound(name, count, denominator, per, 0.95, false, description)
}

/// The upper 95% Poisson limit of `count / denominator × per`.
pub const fn poisson_upper(
    name: &'static str,
    count: &'static str,
    denominator: &'static str,
    per: f64,
    description: &'static str,
) -> OutColumn {
    poisson_bound(name, count, denominator, per, 0.95, true, description)
}

/// `count` times a fixed factor.
pub const fn scaled(
    name: &'static str,
    count: &'static str,
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Number,
        Protection::Scaled { count },
        description,
    )
}

/// What was lost since the stage before: the previous stage's `count` (same
/// `key`, `order` one less) minus this row's.
pub const fn losses(
    name: &'static str,
    count: &'static str,
    order: &'static str,
    key: &'static [&'static str],
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Integer,
        Protection::DropFrom { count, order, key },
        description,
    )
}

const fn ratio_of_rates(
    name: &'static str,
    count: &'static str,
    denominator: &'static str,
    key: &'static [&'static str],
    group: &'static str,
    limit: Option<bool>,
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Number,
        Protection::RateRatio {
            count,
            denominator,
            key,
            group,
            limit,
        },
        description,
    )
}

/// The rate ratio of `count / denominator` of a `group` against the rest of
/// its breakdown (the rows alike in `key`).
pub const fn rate_ratio(
    name: &'static str,
    count: &'static str,
    denominator: &'static str,
    key: &'static [&'static str],
    group: &'static str,
    description: &'static str,
) -> OutColumn {
    ratio_of_rates(name, count, denominator, key, group, None, description)
}

/// The lower 95% limit of a [`rate_ratio`].
pub const fn rate_ratio_lower(
    name: &'static str,
    count: &'static str,
    denominator: &'static str,
    key: &'static [&'static str],
    group: &'static str,
    description: &'static str,
) -> OutColumn {
    ratio_of_rates(
        name,
        count,
        denominator,
        key,
        group,
        Some(false),
        description,
    )
}

/// The upper 95% limit of a [`rate_ratio`].
pub const fn rate_ratio_upper(
    name: &'static str,
    count: &'static str,
    denominator: &'static str,
    key: &'static [&'static str],
    group: &'static str,
    description: &'static str,
) -> OutColumn {
    ratio_of_rates(
        name,
        count,
        denominator,
        key,
        group,
        Some(true),
        description,
    )
}

/// A statistic based on the counts `bases`.
pub const fn statistic(
    name: &'static str,
    bases: &'static [&'static str],
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Number,
        Protection::Statistic {
            bases,
            p_value: false,
        },
        description,
    )
}

/// A p-value of a test on the counts `bases`.
pub const fn p_value(
    name: &'static str,
    bases: &'static [&'static str],
    description: &'static str,
) -> OutColumn {
    column(
        name,
        ColumnKind::Number,
        Protection::Statistic {
            bases,
            p_value: true,
        },
        description,
    )
}

/// Counts in one row that add up: a total and its parts.
#[derive(Debug, Clone, Copy)]
pub struct RowSum {
    /// The total and its parts.
    pub parts: &'static [&'static str],
    /// The part to suppress first when one more is needed (the least
    /// informative one, e.g. "no reliable change"), instead of the smallest.
    pub prefer: Option<&'static str>,
}

/// The cells of a table that add up to a published total, which secondary
/// suppression protects together.
#[derive(Debug, Clone, Copy)]
pub struct Sums {
    /// Columns that, with `breakdown`, identify a set of groups adding up to
    /// the `all` row (empty: the table has no breakdowns).
    pub breakdown_key: &'static [&'static str],
    /// Breakdowns whose groups overlap (a referral with several needs is in
    /// several groups): protected as sets, but their groups do not add up.
    pub overlapping: &'static [&'static str],
    /// Counts that are the same for every group rather than split between
    /// them (the registered population beside each need's referrals).
    pub not_summed: &'static [&'static str],
    /// Counts in one row that add up.
    pub row_parts: &'static [RowSum],
}

impl Sums {
    /// A table with no cells that add up.
    pub const NONE: Sums = Sums {
        breakdown_key: &[],
        overlapping: &[],
        not_summed: &[],
        row_parts: &[],
    };
}

/// One output table, declared once.
#[derive(Debug, Clone, Copy)]
pub struct TableDef {
    /// File stem.
    pub name: &'static str,
    /// What one row is.
    pub description: &'static str,
    /// The measure files in `queries/` it is computed from (none for the
    /// tables a run writes about itself).
    pub queries: &'static [Query],
    /// Its columns, in order.
    pub columns: &'static [OutColumn],
    /// Its cells that add up.
    pub sums: Sums,
}

impl TableDef {
    /// The declared column `name`.
    pub fn column(&self, name: &str) -> Option<&'static OutColumn> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Every column name the table's roles and sums refer to that it does
    /// not have (empty for a sound definition).
    pub fn dangling(&self) -> Vec<&'static str> {
        let sums = &self.sums;
        let referenced = self
            .columns
            .iter()
            .flat_map(|c| c.role.names())
            .chain(sums.breakdown_key.iter().copied())
            .chain(sums.not_summed.iter().copied())
            .chain(
                sums.row_parts
                    .iter()
                    .flat_map(|s| s.parts.iter().copied().chain(s.prefer)),
            )
            .chain((!sums.breakdown_key.is_empty()).then_some("breakdown"));
        let mut missing: Vec<&str> = referenced.filter(|n| self.column(n).is_none()).collect();
        missing.sort_unstable();
        missing.dedup();
        missing
    }
}
