//! Differencing across two tables ([`super::rules::CROSS_SUMS`]): each breakdown of
//! one table adds up to a total another table publishes in parts (each
//! equity breakdown's groups to the period's referrals, which
//! `service_uptake` shows by quarter). Both tables' count ranges go into one
//! matrix with one more cell per key, the total, that both sides must add up
//! to; [`differencing::narrow`] then narrows them together. Used by
//! [`super::publish_all`] to withhold one more cell where the two tables pin
//! each other, and by [`crate::audit`] to report any cell still pinned.

use std::collections::BTreeMap;

use super::Cell;
use super::differencing::{self, At, Range, Ranges, Sum, UNBOUNDED};
use super::rules::CrossSum;
use crate::measures::table::OutColumn;

/// A table's side of a cross-table sum: its columns, published rows and the
/// ranges of its counts (already narrowed by its own sums).
#[derive(Debug, Clone, Copy)]
pub struct Side<'a> {
    /// The table's columns.
    pub columns: &'a [OutColumn],
    /// Its published rows.
    pub rows: &'a [Vec<Cell>],
    /// What each of its counts can be.
    pub ranges: &'a Ranges,
}

/// Which table a row of the matrix belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// A row of the parts' table, and the column of its count.
    Parts(usize, usize),
    /// A row of the totals' table, and the column of its count.
    Total(usize, usize),
}

/// Both tables' counts and the totals they add up to, with the sums that tie
/// them (described for a reader).
#[derive(Debug, Clone)]
pub struct Matrix {
    /// The parts' table's rows, then the totals' table's, then one row per total.
    pub ranges: Ranges,
    /// Every sum: a total's cells in the totals' table, and each breakdown's groups.
    pub sums: Vec<Sum>,
    /// Each sum in words.
    pub described: Vec<String>,
    rows_parts: usize,
    rows_total: usize,
    column_parts: usize,
    column_total: usize,
}

impl Matrix {
    /// The matrix of `cross` over its two tables (`None` when either lacks
    /// a column the sum names).
    pub fn build(cross: &CrossSum, parts_side: Side, total_side: Side) -> Option<Matrix> {
        let (ca, parts) = cross.parts.rows(parts_side.columns, parts_side.rows)?;
        let (cb, totals) = cross.total.rows(total_side.columns, total_side.rows)?;
        let by = match cross.by {
            Some(name) => Some(parts_side.columns.iter().position(|c| c.name == name)?),
            None => None,
        };
        let mut totals_of: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
        for (k, r) in totals {
            totals_of.entry(k).or_default().push(r);
        }
        let mut groups_of: BTreeMap<(Vec<String>, String), Vec<usize>> = BTreeMap::new();
        for (k, r) in parts {
            let breakdown = by.map_or(String::new(), |c| parts_side.rows[r][c].display());
            groups_of.entry((k, breakdown)).or_default().push(r);
        }
        let mut ranges = parts_side.ranges.clone();
        let offset = ranges.len();
        ranges.extend(total_side.ranges.iter().cloned());
        let mut sums = Vec::new();
        let mut described = Vec::new();
        for (k, rows) in totals_of {
            if rows.iter().any(|&r| ranges[offset + r][cb].is_none()) {
                continue;
            }
            let total = (ranges.len(), 0);
            ranges.push(vec![Some(Range {
                lo: 0,
                hi: UNBOUNDED,
            })]);
            let of = format!(
                "{}.{} of {}",
                cross.total.table,
                cross.total.column,
                k.join(", ")
            );
            sums.push(Sum {
                total,
                parts: rows.iter().map(|&r| (offset + r, cb)).collect(),
            });
            described.push(of.clone());
            // The groups of this total: its key with every breakdown (the
            // empty breakdown sorts first), in the map's order.
            let groups = groups_of
                .range((k.clone(), String::new())..)
                .take_while(|((key, _), _)| *key == k);
            for ((_, group), rows) in groups {
                if rows.iter().any(|&r| ranges[r][ca].is_none()) {
                    continue;
                }
                sums.push(Sum {
                    total,
                    parts: rows.iter().map(|&r| (r, ca)).collect(),
                });
                let whose = match cross.by {
                    Some(_) => format!("the {group} groups'"),
                    None => "the rows'".to_string(),
                };
                described.push(format!(
                    "{whose} {}.{} = {of}",
                    cross.parts.table, cross.parts.column
                ));
            }
        }
        Some(Matrix {
            ranges,
            sums,
            described,
            rows_parts: offset,
            rows_total: total_side.rows.len(),
            column_parts: ca,
            column_total: cb,
        })
    }

    /// Narrow every cell by every sum ([`differencing::narrow`]).
    pub fn narrow(&mut self) -> differencing::Narrowed {
        differencing::narrow(&mut self.ranges, &self.sums)
    }

    /// The table cell a matrix row holds (`None` for a total's own row).
    pub fn owner(&self, r: usize) -> Option<Owner> {
        if r < self.rows_parts {
            Some(Owner::Parts(r, self.column_parts))
        } else if r < self.rows_parts + self.rows_total {
            Some(Owner::Total(r - self.rows_parts, self.column_total))
        } else {
            None
        }
    }

    /// The narrowed ranges of the parts' table and of the totals' table.
    pub fn split(self) -> (Ranges, Ranges) {
        let total_end = self.rows_parts + self.rows_total;
        let mut ranges = self.ranges;
        ranges.truncate(total_end);
        let totals = ranges.split_off(self.rows_parts);
        (ranges, totals)
    }

    /// The cell to withhold where sum `i` pins a cell: the smallest visible
    /// positive count among its parts (by `value`, the exact count), else
    /// among the parts of any sum of the same total (every part of the pinning
    /// sum may be withheld already: the other side then pins it).
    pub fn to_withhold(
        &self,
        i: usize,
        visible: impl Fn(Owner) -> bool,
        value: impl Fn(Owner) -> f64,
    ) -> Option<Owner> {
        let smallest = |parts: &[At]| {
            parts
                .iter()
                .filter_map(|&(r, _)| self.owner(r))
                .filter(|&o| visible(o) && value(o) > 0.0)
                .min_by(|&a, &b| value(a).total_cmp(&value(b)))
        };
        let total = self.sums[i].total;
        smallest(&self.sums[i].parts).or_else(|| {
            let same_total: Vec<At> = self
                .sums
                .iter()
                .filter(|s| s.total == total)
                .flat_map(|s| s.parts.iter().copied())
                .collect();
            smallest(&same_total)
        })
    }
}
