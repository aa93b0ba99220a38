//! Disclosure control: what a published table may show.
//!
//! Applied when outputs are rendered, never to the stored values: the measures
//! keep their exact figures, and [`publish`] turns each into a
//! [`PublishedTable`] of [`Cell`]s under a [`Policy`].
//!
//! Each [`Policy`] is data ([`policy::Rules`]: a threshold and a rounding);
//! under the NHS Digital policy (the default), following the HES/ECDS rules:
//! - counts of 1–7 are shown as `*`; every other count is rounded to the
//!   nearest 5 (0 stays 0); OpenSAFELY redacts ≤ 7 and rounds to the midpoint
//!   of a band of 6 ([`midpoint6`]); ONS withholds 1–9 and rounds to 10;
//! - shares (percentages) are computed from the published counts;
//! - totals are computed from the unrounded values and then rounded (each
//!   count, totals included, is rounded on its own);
//! - secondary suppression: where a suppressed cell could be recovered from a
//!   published total (the groups of one breakdown against its `all` row, or
//!   the parts of a total in the same row), the next smallest cell is
//!   suppressed too (a zero one when every partner is zero);
//! - figures derived from counts are computed from the published counts, so
//!   none inverts to a count that is rounded or hidden: a share's Wilson
//!   limits, rates and their Poisson limits, ratios of published figures and
//!   counts scaled to a year ([`rules::Role`]); each is suppressed with the
//!   counts it rests on;
//! - means, medians and other statistics based on a withheld count are
//!   suppressed; the others are shown to a precision that cannot single out
//!   their count ([`Policy::statistic`]).
//!
//! The `none` policy shows exact values and every output says "NOT FOR
//! PUBLICATION". [`crate::audit`] checks a finished output folder for any
//! cell a reader could still work out.
//!
//! Which column is a count, a share or a statistic, and what it is based on,
//! is declared in [`rules`].

pub mod across;
pub mod benchmarks;
pub mod differencing;
pub mod policy;
pub mod rules;
pub mod standardised;

pub use policy::{Policy, midpoint6};

use std::collections::{BTreeMap, BTreeSet};

use crate::measures::table::{ColumnKind, OutColumn, OutTable, TableDef};
use datafusion::arrow::array::{Array, AsArray};
use datafusion::arrow::datatypes::{Float64Type, Int64Type};
use differencing::is_count;
use rules::Role;

/// One cell of a published table.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    /// No value.
    Empty,
    /// Text, shown as it is.
    Text(String),
    /// A whole number (rounded where it is a count).
    Int(i64),
    /// A number.
    Num(f64),
    /// Withheld by disclosure control (shown as `*`).
    Suppressed,
}

impl Cell {
    /// The cell as text: `*` when suppressed, empty when empty.
    pub fn display(&self) -> String {
        match self {
            Cell::Empty => String::new(),
            Cell::Text(s) => s.clone(),
            Cell::Int(n) => n.to_string(),
            Cell::Num(x) => format_number(*x),
            Cell::Suppressed => "*".to_string(),
        }
    }

    /// The cell as a number, if it is one.
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Int(n) => Some(*n as f64),
            Cell::Num(x) => Some(*x),
            _ => None,
        }
    }
}

/// Shortest text that reads back as the same f64 (Rust's `{}` formatting).
fn format_number(x: f64) -> String {
    if x.is_finite() {
        format!("{x}")
    } else {
        String::new()
    }
}

/// A table ready to publish: its cells after disclosure control.
#[derive(Debug, Clone)]
pub struct PublishedTable {
    /// Its declaration.
    pub def: &'static TableDef,
    /// How each column is protected.
    pub roles: Vec<Role>,
    /// Rows of cells, in the table's order.
    pub rows: Vec<Vec<Cell>>,
}

impl PublishedTable {
    /// File stem.
    pub fn name(&self) -> &'static str {
        self.def.name
    }

    /// Its columns.
    pub fn columns(&self) -> &'static [OutColumn] {
        self.def.columns
    }

    /// Index of column `name`.
    pub fn column(&self, name: &str) -> Option<usize> {
        self.columns().iter().position(|c| c.name == name)
    }

    /// The cell of `row` in column `name`. Every reference the renderers make
    /// goes through here, so a column that does not exist (a query renamed
    /// it) fails every test that renders, instead of showing as "–".
    pub fn cell(&self, row: usize, name: &str) -> &Cell {
        debug_assert!(
            self.column(name).is_some(),
            "{} has no column {name}: a renderer refers to a column the table does not declare",
            self.name()
        );
        self.column(name)
            .and_then(|c| self.rows.get(row).map(|r| &r[c]))
            .unwrap_or(&Cell::Empty)
    }

    /// The number of `row` in column `name`, when it shows a finite one (not
    /// withheld, empty or text).
    pub fn number(&self, row: usize, name: &str) -> Option<f64> {
        self.cell(row, name).number().filter(|x| x.is_finite())
    }

    /// The text of `row` in column `name` (empty when not text).
    pub fn text(&self, row: usize, name: &str) -> &str {
        match self.cell(row, name) {
            Cell::Text(s) => s,
            _ => "",
        }
    }

    /// Rows whose text columns equal the given values.
    pub fn rows_where<'a>(
        &'a self,
        conditions: &'a [(&'a str, &'a str)],
    ) -> impl Iterator<Item = usize> + 'a {
        (0..self.rows.len()).filter(move |&i| conditions.iter().all(|(c, v)| self.text(i, c) == *v))
    }
}

/// The raw cells of a measure table, column by column as its schema says.
pub fn cells(table: &OutTable) -> Vec<Vec<Cell>> {
    let batch = &table.batch;
    let mut rows = vec![Vec::with_capacity(table.columns().len()); batch.num_rows()];
    for (c, column) in table.columns().iter().enumerate() {
        let array = batch.column(c);
        let text = match column.ty {
            ColumnKind::Text | ColumnKind::Date => {
                crate::measures::table::text_column(batch, column.name)
            }
            _ => None,
        };
        for (i, row) in rows.iter_mut().enumerate() {
            let cell = if array.is_null(i) {
                Cell::Empty
            } else {
                match column.ty {
                    ColumnKind::Text | ColumnKind::Date => text
                        .as_ref()
                        .map_or(Cell::Empty, |a| Cell::Text(a.value(i).to_string())),
                    ColumnKind::Integer => array
                        .as_primitive_opt::<Int64Type>()
                        .map_or(Cell::Empty, |a| Cell::Int(a.value(i))),
                    ColumnKind::Number => array
                        .as_primitive_opt::<Float64Type>()
                        .map_or(Cell::Empty, |a| Cell::Num(a.value(i))),
                }
            };
            row.push(cell);
        }
    }
    rows
}

/// Apply `policy` to a measure table.
pub fn publish(table: &OutTable, policy: Policy) -> PublishedTable {
    publish_withholding(table, policy, &BTreeSet::new())
}

/// Apply `policy` to every table, so that a quantity two tables publish
/// ([`rules::SAME_QUANTITY`]) is withheld in both when it is withheld in
/// either, and counts that add up across two tables ([`rules::CROSS_SUMS`])
/// do not pin each other (one more cell is withheld where they would), with
/// the secondary suppression each then needs in its own table.
pub fn publish_all(tables: &[OutTable], policy: Policy) -> Vec<PublishedTable> {
    let mut withheld: Vec<BTreeSet<(usize, usize)>> = vec![BTreeSet::new(); tables.len()];
    let mut published: Vec<PublishedTable> = tables.iter().map(|t| publish(t, policy)).collect();
    if !policy.publishable() {
        return published;
    }
    // The exact cells, for choosing which cell to withhold across tables.
    let raw: Vec<Vec<Vec<Cell>>> = tables.iter().map(cells).collect();
    // Each pass only withholds more, so this ends.
    loop {
        let mut changed = vec![false; tables.len()];
        for same in rules::SAME_QUANTITY {
            let find = |name: &str| published.iter().position(|t| t.name() == name);
            let (Some(a), Some(b)) = (find(same.a.table), find(same.b.table)) else {
                continue;
            };
            let (ta, tb) = (&published[a], &published[b]);
            let pairs = same.cells((ta.columns(), &ta.rows), (tb.columns(), &tb.rows));
            for ((ra, ca), (rb, cb)) in pairs {
                let hidden_a = matches!(published[a].rows[ra][ca], Cell::Suppressed);
                let hidden_b = matches!(published[b].rows[rb][cb], Cell::Suppressed);
                if hidden_a && !hidden_b {
                    changed[b] |= withheld[b].insert((rb, cb));
                } else if hidden_b && !hidden_a {
                    changed[a] |= withheld[a].insert((ra, ca));
                }
            }
        }
        for cross in rules::CROSS_SUMS {
            for (t, cell) in unpinned_across(cross, &raw, &published, policy) {
                changed[t] |= withheld[t].insert(cell);
            }
        }
        if !changed.contains(&true) {
            return published;
        }
        for (i, table) in tables.iter().enumerate() {
            if changed[i] {
                published[i] = publish_withholding(table, policy, &withheld[i]);
            }
        }
    }
}

/// Where the published counts of `cross`'s two tables pin a cell, the cell
/// to withhold for each pin, chosen by the exact cells `raw` of every table (table index, (row, column)): the smallest
/// visible positive part of the sum that pins it ([`across::Matrix::to_withhold`]).
fn unpinned_across(
    cross: &rules::CrossSum,
    raw: &[Vec<Vec<Cell>>],
    published: &[PublishedTable],
    policy: Policy,
) -> Vec<(usize, (usize, usize))> {
    let find = |name: &str| published.iter().position(|t| t.name() == name);
    let (Some(a), Some(b)) = (find(cross.parts.table), find(cross.total.table)) else {
        return Vec::new();
    };
    let narrowed_alone = |t: &PublishedTable| {
        let mut ranges = differencing::ranges(&t.rows, &t.roles, policy);
        let sums = differencing::sums(&t.rows, &t.roles, &rules::secondary(t.def));
        differencing::narrow(&mut ranges, &sums);
        ranges
    };
    let (ranges_a, ranges_b) = (narrowed_alone(&published[a]), narrowed_alone(&published[b]));
    fn side<'a>(t: &'a PublishedTable, ranges: &'a differencing::Ranges) -> across::Side<'a> {
        across::Side {
            columns: t.columns(),
            rows: &t.rows,
            ranges,
        }
    }
    let Some(mut matrix) = across::Matrix::build(
        cross,
        side(&published[a], &ranges_a),
        side(&published[b], &ranges_b),
    ) else {
        return Vec::new();
    };
    let found = matrix.narrow();
    // A matrix cell as (table index, row, column).
    let locate = |owner: across::Owner| match owner {
        across::Owner::Parts(r, c) => (a, r, c),
        across::Owner::Total(r, c) => (b, r, c),
    };
    let visible = |o| {
        let (t, r, c) = locate(o);
        !matches!(published[t].rows[r][c], Cell::Suppressed)
    };
    let value = |o| {
        let (t, r, c) = locate(o);
        raw[t][r][c].number().unwrap_or(0.0)
    };
    let mut out = Vec::new();
    let mut done = BTreeSet::new();
    for &(_, i) in &found.pinned {
        if done.insert(i)
            && let Some(o) = matrix.to_withhold(i, visible, value)
        {
            let (t, r, c) = locate(o);
            out.push((t, (r, c)));
        }
    }
    out
}

/// Apply `policy` to a measure table, withholding the count cells
/// `withheld` (row, column) as well as the small ones.
fn publish_withholding(
    table: &OutTable,
    policy: Policy,
    withheld: &BTreeSet<(usize, usize)>,
) -> PublishedTable {
    let raw = cells(table);
    let roles = rules::roles(table.def);
    let rows = match policy {
        Policy::None => raw,
        _ => protect(&raw, &roles, &rules::secondary(table.def), policy, withheld),
    };
    PublishedTable {
        def: table.def,
        roles,
        rows,
    }
}

/// Which count cells are hidden: the small ones (primary), then secondary
/// suppression until nothing changes: a lone hidden cell of a total gets a
/// partner (`hide_complement`), and a total whose rounded parts pin it or
/// them to exact values ([`differencing`]) has its smallest visible part
/// hidden too. Returns the hidden cells and what a reader can narrow each
/// count to once they are hidden.
pub fn hidden_counts(
    raw: &[Vec<Cell>],
    roles: &[Role],
    secondary: &rules::Secondary,
    policy: Policy,
    withheld: &BTreeSet<(usize, usize)>,
) -> (Vec<Vec<bool>>, differencing::Ranges) {
    let mut hidden: Vec<Vec<bool>> = raw
        .iter()
        .enumerate()
        .map(|(r, row)| {
            roles
                .iter()
                .enumerate()
                .map(|(c, role)| {
                    is_count(row, role)
                        && (withheld.contains(&(r, c))
                            || row[c].number().is_some_and(|n| policy.is_small(n)))
                })
                .collect()
        })
        .collect();
    let sets = secondary.sets(raw);
    // Each pass only hides more cells, so this ends.
    loop {
        for _ in 0..(raw.len() + 2) {
            let mut changed = false;
            for set in &sets {
                for (c, role) in roles.iter().enumerate() {
                    if is_count_column(role) {
                        let cells: Vec<(usize, usize)> = set.iter().map(|&r| (r, c)).collect();
                        changed |= hide_complement(raw, &mut hidden, &cells, None);
                    }
                }
            }
            for (r, row) in raw.iter().enumerate() {
                for (parts, prefer) in &secondary.row_parts {
                    let cells: Vec<(usize, usize)> = parts.iter().map(|&c| (r, c)).collect();
                    if !cells.iter().all(|&(_, c)| row[c].number().is_some()) {
                        continue;
                    }
                    changed |= hide_complement(raw, &mut hidden, &cells, prefer.map(|c| (r, c)));
                }
            }
            if !changed {
                break;
            }
        }
        let (sums, ranges, found) = narrowed(raw, roles, secondary, policy, &hidden);
        if !unpin(raw, &sums, &found, &mut hidden) {
            return (hidden, ranges);
        }
    }
}

/// A count cell as published: `*` when hidden, else rounded.
fn published_count(cell: &Cell, hidden: bool, policy: Policy) -> Cell {
    match cell {
        _ if hidden => Cell::Suppressed,
        Cell::Int(n) => Cell::Int(policy.round(*n as f64) as i64),
        Cell::Num(x) => Cell::Num(policy.round(*x)),
        other => other.clone(),
    }
}

/// The table's counts as they will be published (`hidden` ones `*`), its
/// sums, and what a reader can narrow each count to from them.
fn narrowed(
    raw: &[Vec<Cell>],
    roles: &[Role],
    secondary: &rules::Secondary,
    policy: Policy,
    hidden: &[Vec<bool>],
) -> (
    Vec<differencing::Sum>,
    differencing::Ranges,
    differencing::Narrowed,
) {
    let shown: Vec<Vec<Cell>> = raw
        .iter()
        .zip(hidden.iter())
        .map(|(row, hide)| {
            row.iter()
                .zip(roles)
                .zip(hide)
                .map(|((cell, role), &h)| {
                    if is_count(row, role) {
                        published_count(cell, h, policy)
                    } else {
                        cell.clone()
                    }
                })
                .collect()
        })
        .collect();
    let sums = differencing::sums(&shown, roles, secondary);
    let mut ranges = differencing::ranges(&shown, roles, policy);
    let found = differencing::narrow(&mut ranges, &sums);
    (sums, ranges, found)
}

/// Where published totals and parts pin a cell to one exact value (`found`
/// by narrowing `sums`), hide the smallest visible positive part of the sum
/// that pins it (else its total). Returns whether anything was hidden.
fn unpin(
    raw: &[Vec<Cell>],
    sums: &[differencing::Sum],
    found: &differencing::Narrowed,
    hidden: &mut [Vec<bool>],
) -> bool {
    let mut changed = false;
    let mut done = BTreeSet::new();
    for &(_, i) in &found.pinned {
        if !done.insert(i) {
            continue;
        }
        let sum = &sums[i];
        let value = |&(r, c): &(usize, usize)| raw[r][c].number().unwrap_or(0.0);
        let part = sum
            .parts
            .iter()
            .filter(|&&(r, c)| !hidden[r][c] && value(&(r, c)) > 0.0)
            .min_by(|a, b| value(a).total_cmp(&value(b)).then(a.cmp(b)))
            .copied()
            .or_else(|| (!hidden[sum.total.0][sum.total.1]).then_some(sum.total));
        if let Some((r, c)) = part {
            hidden[r][c] = true;
            changed = true;
        }
    }
    changed
}

/// Among `cells` (parts of one published total), if exactly one is hidden,
/// hide `prefer` when it is a positive visible cell, else the smallest other
/// positive one, else (every partner is zero, so the hidden cell would be the
/// total minus nothing) a zero one: a `*` may stand for 0, and the hidden
/// cell is protected like any other. Returns whether anything changed.
fn hide_complement(
    raw: &[Vec<Cell>],
    hidden: &mut [Vec<bool>],
    cells: &[(usize, usize)],
    prefer: Option<(usize, usize)>,
) -> bool {
    let hidden_count = cells.iter().filter(|&&(r, c)| hidden[r][c]).count();
    if hidden_count != 1 || cells.len() < 2 {
        return false;
    }
    if let Some((r, c)) = prefer
        && !hidden[r][c]
        && raw[r][c].number().is_some_and(|v| v > 0.0)
    {
        hidden[r][c] = true;
        return true;
    }
    let next = cells
        .iter()
        .filter(|&&(r, c)| !hidden[r][c])
        .filter_map(|&(r, c)| raw[r][c].number().filter(|&v| v > 0.0).map(|v| (v, r, c)))
        .min_by(|a, b| a.0.total_cmp(&b.0).then((a.1, a.2).cmp(&(b.1, b.2))));
    let zero = || {
        cells
            .iter()
            .find(|&&(r, c)| !hidden[r][c] && raw[r][c].number() == Some(0.0))
            .map(|&(r, c)| (0.0, r, c))
    };
    match next.or_else(zero) {
        Some((_, r, c)) => {
            hidden[r][c] = true;
            true
        }
        None => false,
    }
}

fn is_count_column(role: &Role) -> bool {
    matches!(role, Role::Count | Role::CountWhen { .. })
}

/// The published cells of every row: counts rounded or suppressed, shares and
/// their Wilson limits from the published counts, statistics suppressed on
/// small bases, then the figures derived from other published figures
/// (ratios, rate limits, scaled counts), so none of them can be inverted to a
/// count the table withholds or rounds.
fn protect(
    raw: &[Vec<Cell>],
    roles: &[Role],
    secondary: &rules::Secondary,
    policy: Policy,
    withheld: &BTreeSet<(usize, usize)>,
) -> Vec<Vec<Cell>> {
    // `ranges`: the most each count may be, to a reader who differences the totals.
    let (hidden, ranges) = hidden_counts(raw, roles, secondary, policy, withheld);
    let small = |row: &[Cell], c: usize| row[c].number().is_some_and(|n| policy.is_small(n));
    let rows = raw
        .iter()
        .zip(&hidden)
        .zip(&ranges)
        .map(|((row, hide), range)| {
            let mut out: Vec<Cell> = roles
                .iter()
                .enumerate()
                .map(|(c, role)| match role {
                    Role::Label => row[c].clone(),
                    Role::Count | Role::CountWhen { .. } if is_count(row, role) => {
                        published_count(&row[c], hide[c], policy)
                    }
                    Role::Count | Role::CountWhen { .. } => row[c].clone(),
                    Role::Statistic { bases, p_value } => match row[c] {
                        // Based on few people, or on a count withheld to
                        // protect another (its mean would give that count
                        // away, and its absence that there is none).
                        _ if bases.iter().any(|&b| small(row, b) || hide[b]) => Cell::Suppressed,
                        Cell::Empty => Cell::Empty,
                        Cell::Num(x) => {
                            let highest = bases
                                .iter()
                                .filter_map(|&b| range[b].map(|r| r.hi as f64))
                                .reduce(f64::min);
                            Cell::Num(policy.statistic(x, highest, *p_value))
                        }
                        ref other => other.clone(),
                    },
                    // Derived below, from the published cells.
                    Role::Share { .. }
                    | Role::ShareBound { .. }
                    | Role::ShareDifference { .. }
                    | Role::Quotient { .. }
                    | Role::PoissonBound { .. }
                    | Role::Scaled { .. }
                    | Role::DropFrom { .. }
                    | Role::RateRatio { .. } => row[c].clone(),
                })
                .collect();
            // A derived figure may rest on another (a ratio of two rates), so
            // derive in passes until nothing changes.
            for _ in 0..roles.len() {
                let mut changed = false;
                for (c, role) in roles.iter().enumerate() {
                    let derived = derive(role, row, &out, c);
                    if let Some(cell) = derived
                        && cell != out[c]
                    {
                        out[c] = cell;
                        changed = true;
                    }
                }
                if !changed {
                    break;
                }
            }
            out
        })
        .collect();
    let rows = between_stages(rows, roles);
    against_the_rest(rows, roles)
}

/// Rate ratios from the published counts ([`Role::RateRatio`]).
fn against_the_rest(mut rows: Vec<Vec<Cell>>, roles: &[Role]) -> Vec<Vec<Cell>> {
    for (c, role) in roles.iter().enumerate() {
        if !matches!(role, Role::RateRatio { .. }) {
            continue;
        }
        let cells: Vec<Cell> = (0..rows.len())
            .map(|r| match rows[r][c] {
                Cell::Empty => Cell::Empty,
                _ => rate_ratio(&rows, r, role).unwrap_or(Cell::Empty),
            })
            .collect();
        for (row, cell) in rows.iter_mut().zip(cells) {
            row[c] = cell;
        }
    }
    rows
}

/// A group's rate ratio (or a limit) against the rest of its breakdown whose
/// counts and denominators are published, from the published `rows`;
/// `Suppressed` when the group's own count or denominator is withheld, `None`
/// for another role or when there is nothing to compare with.
pub fn rate_ratio(rows: &[Vec<Cell>], r: usize, role: &Role) -> Option<Cell> {
    let Role::RateRatio {
        count,
        denominator,
        key,
        group,
        limit,
    } = role
    else {
        return None;
    };
    let row = &rows[r];
    if [*count, *denominator]
        .iter()
        .any(|&i| matches!(row[i], Cell::Suppressed))
    {
        return Some(Cell::Suppressed);
    }
    let (x, n) = (row[*count].number()?, row[*denominator].number()?);
    let same = |o: &[Cell]| key.iter().all(|&k| o[k] == row[k]) && o[*group] != row[*group];
    let (rest_x, rest_n) = rows
        .iter()
        .filter(|o| same(o))
        .filter_map(|o| Some((o[*count].number()?, o[*denominator].number()?)))
        .filter(|&(_, n)| n > 0.0)
        .fold((0.0, 0.0), |(a, b), (x, n)| (a + x, b + n));
    let (ratio, lower, upper) = crate::stats::poisson::rate_ratio(x, n, rest_x, rest_n)?;
    Some(Cell::Num(match limit {
        None => ratio,
        Some(false) => lower,
        Some(true) => upper,
    }))
}

/// Losses between stages from the published stage counts ([`Role::DropFrom`]).
fn between_stages(mut rows: Vec<Vec<Cell>>, roles: &[Role]) -> Vec<Vec<Cell>> {
    for (c, role) in roles.iter().enumerate() {
        let Role::DropFrom { count, order, key } = role else {
            continue;
        };
        let lost: Vec<Cell> = rows
            .iter()
            .enumerate()
            .map(|(r, row)| {
                if matches!(row[c], Cell::Empty) {
                    return Cell::Empty;
                }
                if row[*order].number().is_none() {
                    return row[c].clone();
                }
                match previous_stage(&rows, r, *order, key).map(|p| &rows[p]) {
                    // The first stage loses nothing.
                    None => row[c].clone(),
                    Some(p) => match (&p[*count], &row[*count]) {
                        (Cell::Suppressed, _) | (_, Cell::Suppressed) => Cell::Suppressed,
                        (a, b) => match (a.number(), b.number()) {
                            (Some(a), Some(b)) => Cell::Int((a - b).round() as i64),
                            _ => Cell::Empty,
                        },
                    },
                }
            })
            .collect();
        for (row, cell) in rows.iter_mut().zip(lost) {
            row[c] = cell;
        }
    }
    rows
}

/// The row of the stage before row `r`'s: the same funnel (`key` columns)
/// and a stage `order` one less; `None` for a first stage or no order.
pub fn previous_stage(rows: &[Vec<Cell>], r: usize, order: usize, key: &[usize]) -> Option<usize> {
    let row = &rows[r];
    let stage = row[order].number()?;
    rows.iter().position(|p| {
        p[order].number() == Some(stage - 1.0)
            && key.iter().all(|&k| p[k].display() == row[k].display())
    })
}

/// The published cell of a derived column `c` from the row's raw and
/// published cells; `None` for a column that is not derived. Suppressed with
/// any figure it rests on.
fn derive(role: &Role, raw: &[Cell], published: &[Cell], c: usize) -> Option<Cell> {
    let inputs = role.inputs();
    if inputs.is_empty() {
        return None;
    }
    // Withheld with what it rests on, even where it has no value: an empty
    // share beside a withheld count would say the count is 0.
    if inputs
        .iter()
        .any(|&i| matches!(published[i], Cell::Suppressed))
    {
        return Some(Cell::Suppressed);
    }
    if matches!(raw[c], Cell::Empty) {
        return Some(Cell::Empty);
    }
    let value = match *role {
        Role::Scaled { count } => {
            // The factor is fixed (days in the period), so it is the exact
            // value over its exact count.
            let factor = match (raw[c].number(), raw[count].number()) {
                (Some(v), Some(n)) if n != 0.0 => v / n,
                _ => 0.0,
            };
            published[count].number().map(|n| n * factor)
        }
        _ => formula(role, published),
    };
    Some(
        value
            .filter(|x| x.is_finite())
            .map_or(Cell::Empty, Cell::Num),
    )
}

/// The value of a derived column from the published cells of its row, as
/// every output shows it:
/// - share: `x / n`;
/// - share limit: the 95% Wilson limit of `x` of `n`;
/// - difference of shares: `x / n − x' / n'`, or a limit of its 95%
///   Newcombe interval;
/// - quotient: `a / b × per`;
/// - rate limit: the Poisson limit of `count` at the role's level (exact
///   below 10, Byar's from 10) over `denominator`, `× per`.
///
/// `None` for other roles, a missing input, or a zero denominator.
pub fn formula(role: &Role, row: &[Cell]) -> Option<f64> {
    let v = |i: usize| row.get(i).and_then(Cell::number);
    match *role {
        Role::Share {
            numerator,
            denominator,
        } => {
            let (x, n) = (v(numerator)?, v(denominator)?);
            (n > 0.0).then(|| x / n)
        }
        Role::ShareBound {
            numerator,
            denominator,
            upper,
        } => {
            let (x, n) = (v(numerator)?, v(denominator)?);
            if n <= 0.0 {
                return None;
            }
            let (lower, high) = crate::stats::proportion::wilson_limits(x, n, crate::stats::Z95);
            Some(if upper { high } else { lower })
        }
        Role::ShareDifference {
            numerator,
            denominator,
            compared_numerator,
            compared_denominator,
            limit,
        } => {
            let d = crate::stats::compare::newcombe(
                v(numerator)?,
                v(denominator)?,
                v(compared_numerator)?,
                v(compared_denominator)?,
            );
            let value = match limit {
                None => d.difference,
                Some(true) => d.upper,
                Some(false) => d.lower,
            };
            value.is_finite().then_some(value)
        }
        Role::Quotient {
            numerator,
            denominator,
            per,
        } => {
            let (a, b) = (v(numerator)?, v(denominator)?);
            (b != 0.0).then(|| a / b * per)
        }
        Role::PoissonBound {
            count,
            denominator,
            per,
            level,
            upper,
        } => {
            let (o, d) = (v(count)?, v(denominator)?);
            if d <= 0.0 {
                return None;
            }
            let (lower, high) = crate::stats::poisson::poisson_interval(o, level);
            let bound = if upper { Some(high) } else { lower };
            bound.map(|b| b / d * per)
        }
        _ => None,
    }
}

/// Counts of suppressed cells in each published table, for the report's notes.
pub fn suppressed_cells(tables: &[PublishedTable]) -> BTreeMap<&'static str, usize> {
    tables
        .iter()
        .map(|t| {
            let n = t
                .rows
                .iter()
                .flatten()
                .filter(|c| matches!(c, Cell::Suppressed))
                .count();
            (t.name(), n)
        })
        .collect()
}

#[cfg(test)]
mod tests;
