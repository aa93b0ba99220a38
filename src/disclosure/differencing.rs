//! Differencing: what each count of a table can be, given its published
//! totals and their parts. Used by [`super::publish`] to find totals that
//! pin their rounded parts (so one more cell is withheld) and by
//! [`crate::audit`] to report any cell still pinned.
//!
//! A published count `v` stands for the exact counts the policy rounds to `v`
//! ([`Policy::exact_range`]); a `*` for any count from 0 up. Each declared
//! sum `T = Σ parts` (the parts of a total in one row; the groups of a
//! breakdown against its `all` row) narrows its cells: a part lies within
//! `[lo(T) − Σ hi(others), hi(T) − Σ lo(others)]` and the total within
//! `[Σ lo(parts), Σ hi(parts)]`. Narrowing repeats over every sum until
//! nothing changes (interval constraint propagation). For example, under
//! rounding to 5 a total shown as 90 (88–92) whose four parts are shown as
//! 30, 35, 25 and 10 (at least 28 + 33 + 23 + 8 = 92) pins the total at 92
//! and every part at its lowest value.

use super::rules::{Role, Secondary};
use super::{Cell, Policy};

/// No upper bound: what a `*` may be.
pub const UNBOUNDED: i64 = 1 << 40;

/// The exact values a count cell can take, inclusive.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Range {
    /// The lowest value the cell can take.
    pub lo: i64,
    /// The highest.
    pub hi: i64,
}

impl Range {
    /// Whether one value is left.
    pub fn exact(self) -> bool {
        self.lo == self.hi
    }

    /// What a published count cell stands for (`None` when it shows no count).
    pub fn of(cell: &Cell, policy: Policy) -> Option<Range> {
        let v = match cell {
            Cell::Suppressed => {
                return Some(Range {
                    lo: 0,
                    hi: UNBOUNDED,
                });
            }
            Cell::Int(n) => *n,
            Cell::Num(x) if x.fract() == 0.0 => *x as i64,
            _ => return None,
        };
        let (lo, hi) = policy.exact_range(v);
        Some(Range { lo, hi })
    }
}

/// What each count of a table can be: `[row][column]`, `None` off counts.
pub type Ranges = Vec<Vec<Option<Range>>>;

/// A cell of one table: (row, column).
pub type At = (usize, usize);

/// One declared sum: `total = Σ parts`.
#[derive(Debug, Clone)]
pub struct Sum {
    /// The total.
    pub total: At,
    /// Its parts.
    pub parts: Vec<At>,
}

/// Whether cell `c` of `row` is a count under its role.
pub fn is_count(row: &[Cell], role: &Role) -> bool {
    match role {
        Role::Count => true,
        Role::CountWhen { column, values } => match &row[*column] {
            Cell::Text(v) => values.iter().any(|prefix| v.starts_with(prefix)),
            _ => false,
        },
        _ => false,
    }
}

/// Every declared sum of a table whose cells all show a count or `*`.
pub fn sums(rows: &[Vec<Cell>], roles: &[Role], declared: &Secondary) -> Vec<Sum> {
    let known = |r: usize, c: usize| {
        is_count(&rows[r], &roles[c])
            && matches!(rows[r][c], Cell::Int(_) | Cell::Num(_) | Cell::Suppressed)
    };
    let mut out = Vec::new();
    for r in 0..rows.len() {
        for (parts, _) in &declared.row_parts {
            if parts.iter().all(|&c| known(r, c)) {
                out.push(Sum {
                    total: (r, parts[0]),
                    parts: parts[1..].iter().map(|&c| (r, c)).collect(),
                });
            }
        }
    }
    for (groups, totals) in declared.sums(rows) {
        let [total] = totals[..] else { continue };
        for c in 0..roles.len() {
            if declared.not_summed.contains(&c) {
                continue;
            }
            if known(total, c) && groups.iter().all(|&r| known(r, c)) {
                out.push(Sum {
                    total: (total, c),
                    parts: groups.iter().map(|&r| (r, c)).collect(),
                });
            }
        }
    }
    out
}

/// What narrowing found.
#[derive(Debug, Clone, Default)]
pub struct Narrowed {
    /// Each cell narrowed to one value it did not start at, with the sum that did it.
    pub pinned: Vec<(At, usize)>,
    /// Sums no exact counts fit.
    pub contradicted: Vec<usize>,
}

/// Narrow `ranges` (`[row][column]`, `None` off counts) by `sums` until
/// nothing changes.
pub fn narrow(ranges: &mut [Vec<Option<Range>>], sums: &[Sum]) -> Narrowed {
    let initial: Ranges = ranges.to_vec();
    let get = |ranges: &[Vec<Option<Range>>], (r, c): At| ranges[r][c].expect("a count cell");
    let mut why: std::collections::BTreeMap<At, usize> = std::collections::BTreeMap::new();
    let mut contradicted = vec![false; sums.len()];
    for _ in 0..64 {
        let mut changed = false;
        for (i, sum) in sums.iter().enumerate() {
            let t = get(ranges, sum.total);
            let lo: i64 = sum.parts.iter().map(|&p| get(ranges, p).lo).sum();
            let hi: i64 = sum
                .parts
                .iter()
                .map(|&p| get(ranges, p).hi)
                .fold(0_i64, |a, b| a.saturating_add(b).min(UNBOUNDED));
            let mut updates = vec![(
                sum.total,
                Range {
                    lo: t.lo.max(lo),
                    hi: t.hi.min(hi),
                },
            )];
            for &p in &sum.parts {
                let own = get(ranges, p);
                let others_lo = lo - own.lo;
                let others_hi = if hi >= UNBOUNDED {
                    UNBOUNDED
                } else {
                    hi - own.hi
                };
                let new_lo = if others_hi >= UNBOUNDED {
                    own.lo
                } else {
                    own.lo.max(t.lo - others_hi)
                };
                let new_hi = if t.hi >= UNBOUNDED {
                    own.hi
                } else {
                    own.hi.min(t.hi - others_lo)
                };
                updates.push((
                    p,
                    Range {
                        lo: new_lo,
                        hi: new_hi,
                    },
                ));
            }
            for (at, range) in updates {
                if range.lo > range.hi {
                    contradicted[i] = true;
                    continue;
                }
                if range != get(ranges, at) {
                    ranges[at.0][at.1] = Some(range);
                    if range.exact() {
                        why.entry(at).or_insert(i);
                    }
                    changed = true;
                }
            }
        }
        if !changed {
            break;
        }
    }
    Narrowed {
        pinned: why
            .into_iter()
            .filter(|&(at, _)| !get(&initial, at).exact() && get(ranges, at).exact())
            .collect(),
        contradicted: contradicted
            .iter()
            .enumerate()
            .filter_map(|(i, &c)| c.then_some(i))
            .collect(),
    }
}

/// The ranges of a table's published cells under `policy`.
pub fn ranges(rows: &[Vec<Cell>], roles: &[Role], policy: Policy) -> Ranges {
    rows.iter()
        .map(|row| {
            roles
                .iter()
                .enumerate()
                .map(|(c, role)| {
                    is_count(row, role)
                        .then(|| Range::of(&row[c], policy))
                        .flatten()
                })
                .collect()
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rounded_parts_at_their_extremes_pin_their_total() {
        // The example in the module docs.
        let mut ranges = vec![vec![
            Range::of(&Cell::Int(90), Policy::NhsDigital),
            Range::of(&Cell::Int(30), Policy::NhsDigital),
            Range::of(&Cell::Int(35), Policy::NhsDigital),
            Range::of(&Cell::Int(25), Policy::NhsDigital),
            Range::of(&Cell::Int(10), Policy::NhsDigital),
        ]];
        let sum = Sum {
            total: (0, 0),
            parts: (1..5).map(|c| (0, c)).collect(),
        };
        let found = narrow(&mut ranges, &[sum]);
        assert_eq!(found.pinned.len(), 5);
        assert_eq!(ranges[0][0], Some(Range { lo: 92, hi: 92 }));
        assert_eq!(ranges[0][4], Some(Range { lo: 8, hi: 8 }));
    }

    #[test]
    fn a_withheld_part_unpins_the_rest() {
        let mut ranges = vec![vec![
            Range::of(&Cell::Int(90), Policy::NhsDigital),
            Range::of(&Cell::Int(30), Policy::NhsDigital),
            Range::of(&Cell::Int(35), Policy::NhsDigital),
            Range::of(&Cell::Int(25), Policy::NhsDigital),
            Range::of(&Cell::Suppressed, Policy::NhsDigital),
        ]];
        let sum = Sum {
            total: (0, 0),
            parts: (1..5).map(|c| (0, c)).collect(),
        };
        let found = narrow(&mut ranges, &[sum]);
        assert!(found.pinned.is_empty(), "{found:?}");
        assert!(found.contradicted.is_empty());
        assert_eq!(ranges[0][4], Some(Range { lo: 0, hi: 8 }));
    }
}
