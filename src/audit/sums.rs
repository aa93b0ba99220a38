//! Differencing against published totals ([`crate::disclosure::differencing`]):
//! a `*` narrowed to one value is recovered, a rounded count narrowed to one
//! value is restored, and a sum no exact counts fit is a contradiction. A
//! count the policy withholds or rounds, shown as it is, is reported here too.

use super::{Finding, Kind, Sheet};
use crate::disclosure::across;
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

/// Narrow the counts that add up across two tables ([`rules::CROSS_SUMS`],
/// [`across::Matrix`]): each total stands as one more cell that every
/// breakdown of the parts' table must add up to. Records what is recovered,
/// restored or contradictory, and keeps the narrowed ranges for the checks
/// that follow.
pub fn across(sheets: &[Sheet], ranges: &mut Ranges, findings: &mut Vec<Finding>) {
    for cross in rules::CROSS_SUMS {
        let find = |name: &str| sheets.iter().position(|s| s.name == name);
        let (Some(a), Some(b)) = (find(cross.parts.table), find(cross.total.table)) else {
            continue;
        };
        let side = |s: usize| across::Side {
            columns: sheets[s].columns(),
            rows: &sheets[s].rows,
            ranges: &ranges[s],
        };
        let Some(mut matrix) = across::Matrix::build(cross, side(a), side(b)) else {
            continue;
        };
        let found = matrix.narrow();
        // A cell of the matrix as (sheet, row, column); the totals are no sheet's.
        let at = |r: usize| match matrix.owner(r)? {
            across::Owner::Parts(row, c) => Some((a, row, c)),
            across::Owner::Total(row, c) => Some((b, row, c)),
        };
        for i in found.contradicted {
            let Some((s, r, c)) = matrix.sums[i].parts.first().and_then(|p| at(p.0)) else {
                continue;
            };
            let how = format!(
                "no exact counts fit the published sum across tables: {}",
                matrix.described[i]
            );
            findings.push(contradiction(&sheets[s], r, c, how));
        }
        for ((r, _), i) in found.pinned {
            let Some((s, row, c)) = at(r) else { continue };
            let how = format!("from the sum across tables: {}", matrix.described[i]);
            findings.push(pinned(&sheets[s], row, c, matrix.ranges[r][c], how));
        }
        let (ranges_a, ranges_b) = matrix.split();
        ranges[a] = ranges_a;
        ranges[b] = ranges_b;
    }
}
