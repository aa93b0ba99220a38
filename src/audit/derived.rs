//! Back-calculation: figures computed from counts, tried against every exact
//! count the published ones may stand for.
//!
//! A derived figure (share, Wilson limit, quotient, Poisson limit) must equal
//! its formula over the published cells of its row
//! ([`crate::disclosure::formula`]); one that does not was computed from
//! something else, and the audit searches the candidate exact counts (each
//! count's [`Range`]) for those that reproduce it to the decimals shown. A
//! count left with one candidate is recovered or restored; none is a
//! contradiction. A statistic based on one count is tried as a mean of whole
//! numbers: the candidates `n` for which `value × n` is within rounding of a
//! whole number. A count times a fixed factor must use one factor in every row.

use super::sums::{Ranges, UNBOUNDED, describe};
use super::{Finding, Kind, Sheet, decimals};
use crate::disclosure::differencing::Range;
use crate::disclosure::rules::Role;
use crate::disclosure::{Cell, Policy, formula};

/// The most candidate combinations tried for one figure.
const MAX_CANDIDATES: i64 = 200_000;

/// Half a unit in the last decimal shown, and never below float noise.
fn tolerance(v: f64, d: i32) -> f64 {
    (0.5 * 10f64.powi(-d)).max(1e-9 * v.abs())
}

/// Run every check on every derived or statistic column.
pub fn check(sheets: &[Sheet], policy: Policy, ranges: &Ranges, findings: &mut Vec<Finding>) {
    for (s, sheet) in sheets.iter().enumerate() {
        for (c, role) in sheet.roles.iter().enumerate() {
            match role {
                Role::Share { .. }
                | Role::ShareBound { .. }
                | Role::Quotient { .. }
                | Role::PoissonBound { .. } => {
                    for r in 0..sheet.rows.len() {
                        formula_cell(sheet, &ranges[s], r, c, role, findings);
                    }
                }
                Role::ShareDifference { .. } => {
                    for r in 0..sheet.rows.len() {
                        difference_cell(sheet, r, c, role, findings);
                    }
                }
                Role::Statistic { bases, p_value } => {
                    for r in 0..sheet.rows.len() {
                        statistic_cell(sheet, &ranges[s], policy, r, c, bases, *p_value, findings);
                    }
                }
                Role::Scaled { count } => scaled(sheet, &ranges[s], c, *count, findings),
                Role::DropFrom { count, order, key } => {
                    drops(sheet, c, *count, *order, key, findings)
                }
                Role::RateRatio { .. } => {
                    for r in 0..sheet.rows.len() {
                        rate_ratio_cell(sheet, r, c, role, findings);
                    }
                }
                Role::Label | Role::Count | Role::CountWhen { .. } => {}
            }
        }
    }
}

fn finding(
    sheet: &Sheet,
    r: usize,
    c: usize,
    kind: Kind,
    value: Option<i64>,
    how: String,
) -> Finding {
    Finding {
        kind,
        table: sheet.name.clone(),
        row: r + 1,
        column: sheet.columns()[c].name.to_string(),
        value,
        how,
    }
}

/// The values an input may take: a count's range, or the figure as shown.
fn candidates(row: &[Cell], ranges: &[Option<Range>], i: usize) -> Option<Vec<f64>> {
    match ranges[i] {
        Some(range) if range.hi < UNBOUNDED => {
            Some((range.lo..=range.hi).map(|v| v as f64).collect())
        }
        Some(_) => None,
        None => row[i].number().map(|v| vec![v]),
    }
}

fn formula_cell(
    sheet: &Sheet,
    ranges: &[Vec<Option<Range>>],
    r: usize,
    c: usize,
    role: &Role,
    findings: &mut Vec<Finding>,
) {
    let row = &sheet.rows[r];
    let [a, b] = role.inputs()[..] else { return };
    if matches!(row[c], Cell::Empty) {
        empty_beside_withheld(sheet, r, c, &[a, b], findings);
        return;
    }
    let Cell::Num(v) = row[c] else { return };
    shown_beside_withheld(sheet, r, c, v, &[a, b], findings);
    if formula(role, row).is_some_and(|e| (e - v).abs() <= 1e-9 * e.abs().max(1e-12)) {
        return;
    }
    // Not computed from the published cells: which exact ones reproduce it?
    let Some(ns) = candidates(row, &ranges[r], b) else {
        return;
    };
    // A withheld numerator of a share or quotient: v × n / per, give or take one.
    let per = match *role {
        Role::Quotient { per, .. } => per,
        _ => 1.0,
    };
    let Some(xs) = candidates(row, &ranges[r], a).or_else(|| {
        matches!(role, Role::Share { .. } | Role::Quotient { .. }).then(|| {
            let mut xs: Vec<f64> = ns
                .iter()
                .flat_map(|&n| {
                    let x = (v * n / per).round();
                    [x - 1.0, x, x + 1.0]
                })
                .filter(|&x| x >= 0.0)
                .collect();
            xs.sort_by(f64::total_cmp);
            xs.dedup();
            xs
        })
    }) else {
        return;
    };
    if (xs.len() as i64) * (ns.len() as i64) > MAX_CANDIDATES {
        return;
    }
    let tol = tolerance(v, decimals(v));
    let mut trial = row.clone();
    let mut fits = Vec::new();
    for &x in &xs {
        for &n in &ns {
            trial[a] = Cell::Num(x);
            trial[b] = Cell::Num(n);
            if formula(role, &trial).is_some_and(|e| (e - v).abs() <= tol) {
                fits.push((x, n));
            }
        }
    }
    let mut pinned = false;
    let firsts: Vec<f64> = fits.iter().map(|f| f.0).collect();
    let seconds: Vec<f64> = fits.iter().map(|f| f.1).collect();
    for (i, values) in [(a, firsts), (b, seconds)] {
        let first = values.first().copied();
        let one = first.is_some() && values.iter().all(|&x| Some(x) == first);
        let was_exact = ranges[r][i].is_none_or(Range::exact);
        if one && !was_exact {
            let kind = if matches!(row[i], Cell::Suppressed) {
                Kind::Recovered
            } else {
                Kind::Restored
            };
            let value = first.map(|x| x as i64);
            findings.push(finding(
                sheet,
                r,
                i,
                kind,
                value,
                format!(
                    "{} {v} is reproduced only when {} is {}",
                    sheet.columns()[c].name,
                    sheet.columns()[i].name,
                    value.unwrap_or_default()
                ),
            ));
            pinned = true;
        }
    }
    if !pinned {
        findings.push(finding(
            sheet,
            r,
            c,
            Kind::Contradiction,
            None,
            format!(
                "{v} is not the {} of the published {} and {}",
                role.kind(),
                describe(sheet, r, a),
                describe(sheet, r, b)
            ),
        ));
    }
}

/// Decimals a statistic whose base may be at most `highest` is shown to
/// under `policy` (at least).
fn policy_decimals(policy: Policy, highest: i64) -> i32 {
    if policy.rules().coarsen_statistics {
        crate::disclosure::policy::statistic_decimals(highest as f64)
    } else {
        0
    }
}

#[allow(clippy::too_many_arguments)]
fn statistic_cell(
    sheet: &Sheet,
    ranges: &[Vec<Option<Range>>],
    policy: Policy,
    r: usize,
    c: usize,
    bases: &[usize],
    p_value: bool,
    findings: &mut Vec<Finding>,
) {
    let row = &sheet.rows[r];
    if matches!(row[c], Cell::Empty) {
        empty_beside_withheld(sheet, r, c, bases, findings);
        return;
    }
    let Cell::Num(v) = row[c] else { return };
    if let Some(&hidden) = bases.iter().find(|&&b| matches!(row[b], Cell::Suppressed)) {
        findings.push(finding(
            sheet,
            r,
            c,
            Kind::Unprotected,
            None,
            format!(
                "{v} is shown beside the withheld {} it rests on",
                describe(sheet, r, hidden)
            ),
        ));
        return;
    }
    let [base] = bases[..] else { return };
    if p_value || v == 0.0 {
        return;
    }
    let Some(range) = ranges[r][base] else {
        return;
    };
    if range.exact() || range.hi >= UNBOUNDED || range.lo < 1 {
        return;
    }
    let d = decimals(v).max(policy_decimals(policy, range.hi));
    let tol = 0.5 * 10f64.powi(-d) + 1e-12 * v.abs();
    let fits: Vec<i64> = (range.lo..=range.hi)
        .filter(|&n| {
            let total = v * n as f64;
            (total - total.round()).abs() <= tol * n as f64
        })
        .collect();
    if let [n] = fits[..] {
        findings.push(finding(
            sheet,
            r,
            base,
            Kind::Restored,
            Some(n),
            format!(
                "{} {v} × {n} = {} is a whole number for no other count from {} to {}",
                sheet.columns()[c].name,
                (v * n as f64).round(),
                range.lo,
                range.hi
            ),
        ));
    }
}

/// A count times a fixed factor: one factor in every row.
fn scaled(
    sheet: &Sheet,
    ranges: &[Vec<Option<Range>>],
    c: usize,
    count: usize,
    findings: &mut Vec<Finding>,
) {
    let factors: Vec<Option<f64>> = sheet
        .rows
        .iter()
        .map(|row| match (row[c].number(), row[count].number()) {
            (Some(v), Some(n)) if n > 0.0 => Some(v / n),
            _ => None,
        })
        .collect();
    let key = |f: f64| (f * 1e9).round() as i64;
    let mut tally: std::collections::BTreeMap<i64, usize> = std::collections::BTreeMap::new();
    for f in factors.iter().flatten() {
        *tally.entry(key(*f)).or_default() += 1;
    }
    let Some((&mode, _)) = tally.iter().max_by_key(|(_, n)| **n) else {
        return;
    };
    let factor = mode as f64 / 1e9;
    for (r, f) in factors.iter().enumerate() {
        let Some(f) = f else { continue };
        if key(*f) == mode {
            continue;
        }
        let v = sheet.rows[r][c].number().unwrap_or_default();
        let exact = (v / factor).round() as i64;
        let within = ranges[r][count].is_some_and(|range| range.lo <= exact && exact <= range.hi);
        findings.push(finding(
            sheet,
            r,
            if within { count } else { c },
            if within {
                Kind::Restored
            } else {
                Kind::Contradiction
            },
            within.then_some(exact),
            format!(
                "{} {v} is not {} times the published {}; divided by that factor it gives {exact}",
                sheet.columns()[c].name,
                factor,
                describe(sheet, r, count)
            ),
        ));
    }
}

/// Losses between stages: the published stage before minus this one.
fn drops(
    sheet: &Sheet,
    c: usize,
    count: usize,
    order: usize,
    key: &[usize],
    findings: &mut Vec<Finding>,
) {
    for (r, row) in sheet.rows.iter().enumerate() {
        let Some(lost) = row[c].number() else {
            continue;
        };
        let Some(p) = crate::disclosure::previous_stage(&sheet.rows, r, order, key) else {
            continue;
        };
        let previous = &sheet.rows[p];
        if let (Some(a), Some(b)) = (previous[count].number(), row[count].number())
            && (a - b - lost).abs() > 1e-9
        {
            findings.push(finding(
                sheet,
                r,
                c,
                Kind::Contradiction,
                None,
                format!("{lost} lost is not the published stages' difference {a} − {b}"),
            ));
        }
    }
}

/// A rate ratio must be the one the published counts give.
fn rate_ratio_cell(sheet: &Sheet, r: usize, c: usize, role: &Role, findings: &mut Vec<Finding>) {
    let Cell::Num(v) = sheet.rows[r][c] else {
        return;
    };
    let expected = crate::disclosure::rate_ratio(&sheet.rows, r, role).and_then(|e| e.number());
    if expected.is_some_and(|e| (e - v).abs() <= 1e-9 * e.abs().max(1e-12)) {
        return;
    }
    findings.push(finding(
        sheet,
        r,
        c,
        Kind::Contradiction,
        None,
        format!(
            "{v} is not the rate ratio of the published counts of this group against the rest of its breakdown ({})",
            expected.map_or_else(|| "none".to_string(), |e| e.to_string())
        ),
    ));
}

/// An empty figure beside a withheld count it rests on says something about
/// that count (a share is empty when its denominator is 0).
/// A difference of two shares (or a limit of its interval) must be the
/// formula over the four published counts of its row, and withheld with any
/// of them: computed from anything else, it would narrow the exact counts.
fn difference_cell(sheet: &Sheet, r: usize, c: usize, role: &Role, findings: &mut Vec<Finding>) {
    let row = &sheet.rows[r];
    let inputs = role.inputs();
    let v = match row[c] {
        Cell::Empty => return empty_beside_withheld(sheet, r, c, &inputs, findings),
        Cell::Num(v) => v,
        _ => return,
    };
    let withheld = shown_beside_withheld(sheet, r, c, v, &inputs, findings);
    if !withheld && formula(role, row).is_none_or(|e| (e - v).abs() > tolerance(v, decimals(v))) {
        findings.push(finding(
            sheet,
            r,
            c,
            Kind::Contradiction,
            None,
            format!("{v} is not the difference of the shares of the published counts"),
        ));
    }
}

/// A figure `v` shown while one of the `inputs` it rests on is withheld:
/// reported; whether it was.
fn shown_beside_withheld(
    sheet: &Sheet,
    r: usize,
    c: usize,
    v: f64,
    inputs: &[usize],
    findings: &mut Vec<Finding>,
) -> bool {
    let row = &sheet.rows[r];
    let Some(&hidden) = inputs.iter().find(|&&i| matches!(row[i], Cell::Suppressed)) else {
        return false;
    };
    findings.push(finding(
        sheet,
        r,
        c,
        Kind::Unprotected,
        None,
        format!(
            "{v} is shown beside the withheld {}",
            describe(sheet, r, hidden)
        ),
    ));
    true
}

fn empty_beside_withheld(
    sheet: &Sheet,
    r: usize,
    c: usize,
    inputs: &[usize],
    findings: &mut Vec<Finding>,
) {
    if let Some(&hidden) = inputs
        .iter()
        .find(|&&i| matches!(sheet.rows[r][i], Cell::Suppressed))
    {
        findings.push(finding(
            sheet,
            r,
            c,
            Kind::Unprotected,
            None,
            format!(
                "left empty beside the withheld {}, which says what it cannot be",
                describe(sheet, r, hidden)
            ),
        ));
    }
}
