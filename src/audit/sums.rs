//! Differencing against published totals ([`crate::disclosure::differencing`]):
//! a `*` narrowed to one value is recovered, a rounded count narrowed to one
//! value is restored, and a sum no exact counts fit is a contradiction. A
//! count the policy withholds or rounds, shown as it is, is reported here too.

use super::{Finding, Kind, Sheet};
use crate::disclosure::differencing::{self, Range, Sum};
use crate::disclosure::rules;
use crate::disclosure::{Cell, Policy};

pub use crate::disclosure::differencing::UNBOUNDED;

/// What each count cell can be, sheet by sheet.
pub type Ranges = Vec<differencing::Ranges>;

/// A finding when a count cell shows what the policy withholds or rounds
/// (its range is then the value itself).
fn unprotected(
    sheet: &Sheet,
    r: usize,
    c: usize,
    policy: Policy,
    findings: &mut Vec<Finding>,
) -> bool {
    let v = match sheet.rows[r][c] {
        Cell::Int(n) => n,
        Cell::Num(x) if x.fract() == 0.0 => x as i64,
        _ => return false,
    };
    let how = if policy.is_small(v as f64) {
        format!(
            "a count of {v} is shown; the policy withholds 1 to {}",
            policy.rules().withheld_below - 1
        )
    } else if policy.round(v as f64) as i64 != v {
        format!(
            "a count of {v} is shown unrounded; the policy shows {}",
            policy.round(v as f64)
        )
    } else {
        return false;
    };
    findings.push(Finding {
        kind: Kind::Unprotected,
        table: sheet.name.clone(),
        row: r + 1,
        column: sheet.columns()[c].name.to_string(),
        value: Some(v),
        how,
    });
    true
}

/// How a cell is named in a finding: its column and its row's group or label.
pub fn describe(sheet: &Sheet, r: usize, c: usize) -> String {
    let label = ["group", "organisation_id", "setting", "stage", "measure"]
        .iter()
        .find_map(|name| match sheet.column(name).map(|i| &sheet.rows[r][i]) {
            Some(Cell::Text(t)) => Some(t.clone()),
            _ => None,
        });
    let value = sheet.rows[r][c].display();
    match label {
        Some(l) => format!("{} of {l} ({value})", sheet.columns()[c].name),
        None => format!("{} in row {} ({value})", sheet.columns()[c].name, r + 1),
    }
}

fn explain(sheet: &Sheet, sum: &Sum) -> String {
    let d = |&(r, c): &(usize, usize)| describe(sheet, r, c);
    format!(
        "{} = {}",
        d(&sum.total),
        sum.parts.iter().map(d).collect::<Vec<_>>().join(" + ")
    )
}

/// A sum of published cells that no exact counts fit, reported at cell
/// (`r`, `c`) of `sheet`.
fn contradiction(sheet: &Sheet, r: usize, c: usize, how: String) -> Finding {
    Finding {
        kind: Kind::Contradiction,
        table: sheet.name.clone(),
        row: r + 1,
        column: sheet.columns()[c].name.to_string(),
        value: None,
        how,
    }
}

/// Cell (`r`, `c`) of `sheet` narrowed to the one value `range` leaves:
/// a withheld cell recovered, or a rounded count restored.
fn pinned(sheet: &Sheet, r: usize, c: usize, range: Option<Range>, how: String) -> Finding {
    let kind = if matches!(sheet.rows[r][c], Cell::Suppressed) {
        Kind::Recovered
    } else {
        Kind::Restored
    };
    Finding {
        kind,
        table: sheet.name.clone(),
        row: r + 1,
        column: sheet.columns()[c].name.to_string(),
        value: range.map(|x| x.lo),
        how,
    }
}

/// Narrow every count cell's range by its table's declared sums; record what
/// is recovered, restored or contradictory. Returns the final ranges.
pub fn narrow(sheets: &[Sheet], policy: Policy, findings: &mut Vec<Finding>) -> Ranges {
    sheets
        .iter()
        .map(|sheet| {
            let mut ranges = differencing::ranges(&sheet.rows, &sheet.roles, policy);
            for (r, row) in ranges.iter_mut().enumerate() {
                for (c, range) in row.iter_mut().enumerate() {
                    if range.is_some() && unprotected(sheet, r, c, policy, findings) {
                        let v = sheet.rows[r][c].number().unwrap_or_default() as i64;
                        *range = Some(Range { lo: v, hi: v });
                    }
                }
            }
            let declared = rules::secondary(sheet.def);
            let sums = differencing::sums(&sheet.rows, &sheet.roles, &declared);
            let found = differencing::narrow(&mut ranges, &sums);
            for i in found.contradicted {
                let (r, c) = sums[i].total;
                let how = format!(
                    "no exact counts fit the published {}",
                    explain(sheet, &sums[i])
                );
                findings.push(contradiction(sheet, r, c, how));
            }
            for ((r, c), i) in found.pinned {
                let how = format!("from {}", explain(sheet, &sums[i]));
                findings.push(pinned(sheet, r, c, ranges[r][c], how));
            }
            ranges
        })
        .collect()
}

/// Narrow the counts that add up across two tables ([`rules::CROSS_SUMS`]):
/// each total (the `total` twin's rows of one key, summed) stands as one
/// more cell that every breakdown of the `parts` twin must add up to.
/// Records what is recovered, restored or contradictory, and keeps the
/// narrowed ranges for the checks that follow.
pub fn across(sheets: &[Sheet], ranges: &mut Ranges, findings: &mut Vec<Finding>) {
    use std::collections::BTreeMap;
    for cross in rules::CROSS_SUMS {
        let find = |name: &str| sheets.iter().position(|s| s.name == name);
        let (Some(a), Some(b)) = (find(cross.parts.table), find(cross.total.table)) else {
            continue;
        };
        let (sa, sb) = (&sheets[a], &sheets[b]);
        let (Some((ca, parts)), Some((cb, totals)), Some(by)) = (
            cross.parts.rows(sa.columns(), &sa.rows),
            cross.total.rows(sb.columns(), &sb.rows),
            sa.column(cross.by),
        ) else {
            continue;
        };
        let mut totals_of: BTreeMap<Vec<String>, Vec<usize>> = BTreeMap::new();
        for (k, r) in totals {
            totals_of.entry(k).or_default().push(r);
        }
        let mut groups_of: BTreeMap<(Vec<String>, String), Vec<usize>> = BTreeMap::new();
        for (k, r) in parts {
            groups_of
                .entry((k, sa.rows[r][by].display()))
                .or_default()
                .push(r);
        }
        // One matrix: the rows of both tables, then one row per total.
        let mut matrix: differencing::Ranges = ranges[a].clone();
        let offset = matrix.len();
        matrix.extend(ranges[b].iter().cloned());
        let mut sums = Vec::new();
        let mut described = Vec::new();
        for (k, rows) in totals_of {
            if rows.iter().any(|&r| matrix[offset + r][cb].is_none()) {
                continue;
            }
            let total = (matrix.len(), 0);
            matrix.push(vec![Some(Range {
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
            for ((key, group), rows) in &groups_of {
                if *key != k || rows.iter().any(|&r| matrix[r][ca].is_none()) {
                    continue;
                }
                sums.push(Sum {
                    total,
                    parts: rows.iter().map(|&r| (r, ca)).collect(),
                });
                described.push(format!(
                    "the {group} groups' {}.{} = {of}",
                    cross.parts.table, cross.parts.column
                ));
            }
        }
        let found = differencing::narrow(&mut matrix, &sums);
        // A cell of the matrix as (sheet, row); the totals are no sheet's.
        let at = |r: usize| -> Option<(usize, usize)> {
            if r < offset {
                Some((a, r))
            } else if r < offset + sb.rows.len() {
                Some((b, r - offset))
            } else {
                None
            }
        };
        for i in found.contradicted {
            let Some((s, r)) = sums[i].parts.first().and_then(|p| at(p.0)) else {
                continue;
            };
            let c = if s == a { ca } else { cb };
            let how = format!(
                "no exact counts fit the published sum across tables: {}",
                described[i]
            );
            findings.push(contradiction(&sheets[s], r, c, how));
        }
        for ((r, c), i) in found.pinned {
            let Some((s, row)) = at(r) else { continue };
            let how = format!("from the sum across tables: {}", described[i]);
            findings.push(pinned(&sheets[s], row, c, matrix[r][c], how));
        }
        ranges[a] = matrix[..offset].to_vec();
        ranges[b] = matrix[offset..offset + sb.rows.len()].to_vec();
    }
}
