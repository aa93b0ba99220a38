//! What lists and sentences give away.
//!
//! - A list (one row per organisation) must have as many rows as the count
//!   that numbers it ([`rules::LISTS`]); a rounded or withheld count beside a
//!   list of its rows is given away by the list's length.
//! - A quantity two tables publish ([`rules::SAME_QUANTITY`]) shows one
//!   value, and a cell withheld in one is withheld in the other.
//! - Every number in a sentence (a table's `message` column: the cautions
//!   shown in the report, the workbook, the terminal and `evaluation.json`)
//!   must be a published figure, as shown to the decimals the sentence uses,
//!   or the number of withheld cells (a reader counts the `*`s); a number no
//!   table shows was taken from the exact figures.

use std::collections::BTreeMap;

use super::{Finding, Kind, Sheet};
use crate::disclosure::rules;
use crate::disclosure::{Cell, Policy};

/// Check every declared list against its count.
pub fn lists(sheets: &[Sheet], policy: Policy, findings: &mut Vec<Finding>) {
    let find = |name: &str| sheets.iter().find(|s| s.name == name);
    for listed in rules::LISTS {
        let (Some(list), Some(counted)) = (find(listed.list), find(listed.counted_in)) else {
            continue;
        };
        let Some(column) = counted.column(listed.column) else {
            continue;
        };
        let flag = listed.flag.and_then(|f| list.column(f));
        let period = |sheet: &Sheet, r: usize| {
            sheet
                .column("period")
                .map_or_else(String::new, |p| sheet.rows[r][p].display())
        };
        let mut rows: BTreeMap<String, i64> = BTreeMap::new();
        for r in 0..list.rows.len() {
            let counted_row = flag.is_none_or(|f| list.rows[r][f].number() == Some(1.0));
            if counted_row {
                *rows.entry(period(list, r)).or_default() += 1;
            }
        }
        for r in 0..counted.rows.len() {
            let n = rows.get(&period(counted, r)).copied().unwrap_or(0);
            let what = match listed.flag {
                Some(f) => format!("{} has {n} rows with {f} = 1", listed.list),
                None => format!("{} has {n} rows", listed.list),
            };
            let (kind, value) = match &counted.rows[r][column] {
                Cell::Suppressed => (Kind::Recovered, Some(n)),
                cell => match cell.number() {
                    Some(v) if v as i64 == n => continue,
                    Some(v) => {
                        let (lo, hi) = policy.exact_range(v as i64);
                        if lo <= n && n <= hi && lo < hi {
                            (Kind::Restored, Some(n))
                        } else {
                            (Kind::Contradiction, None)
                        }
                    }
                    None => continue,
                },
            };
            findings.push(Finding {
                kind,
                table: counted.name.clone(),
                row: r + 1,
                column: listed.column.to_string(),
                value,
                how: what,
            });
        }
    }
}

/// A number as a sentence writes it.
#[derive(Debug, Clone, PartialEq)]
pub struct Quoted {
    /// Its value (without sign; thousands separators removed).
    pub value: f64,
    /// Decimals written.
    pub decimals: usize,
    /// Followed by `%`.
    pub percent: bool,
    /// Its text.
    pub text: String,
}

/// The numbers a sentence quotes: runs of digits (with `,` thousands
/// separators and a decimal part) that are not part of a word (`Q3`,
/// `UCLA-3`, `d_z`).
pub fn quoted(sentence: &str) -> Vec<Quoted> {
    let chars: Vec<char> = sentence.chars().collect();
    let wordy = |c: char| c.is_alphanumeric() || c == '_';
    let mut out = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let starts = chars[i].is_ascii_digit()
            && (i == 0 || !(wordy(chars[i - 1]) || chars[i - 1] == '.'))
            && !(i >= 2 && chars[i - 1] == '-' && chars[i - 2].is_alphabetic());
        if !starts {
            // Skip the rest of a word so its digits are not read as numbers.
            if wordy(chars[i]) {
                while i < chars.len() && wordy(chars[i]) {
                    i += 1;
                }
            } else {
                i += 1;
            }
            continue;
        }
        let start = i;
        let mut digits = String::new();
        let mut decimals = 0;
        while i < chars.len() {
            let c = chars[i];
            if c.is_ascii_digit() {
                digits.push(c);
                if decimals > 0 || digits.contains('.') {
                    decimals += 1;
                }
                i += 1;
            } else if c == ','
                && !digits.contains('.')
                && chars
                    .get(i + 1..i + 4)
                    .is_some_and(|d| d.iter().all(char::is_ascii_digit))
                && chars.get(i + 4).is_none_or(|d| !d.is_ascii_digit())
            {
                i += 1;
            } else if c == '.'
                && !digits.contains('.')
                && chars.get(i + 1).is_some_and(char::is_ascii_digit)
            {
                digits.push('.');
                i += 1;
            } else {
                break;
            }
        }
        let followed = chars.get(i).copied();
        if followed.is_some_and(|c| c.is_alphabetic() || c == '_') {
            while i < chars.len() && wordy(chars[i]) {
                i += 1;
            }
            continue;
        }
        if let Ok(value) = digits.parse::<f64>() {
            out.push(Quoted {
                value,
                decimals,
                // "81.3%", and a difference of shares in percentage points ("+3 pp").
                percent: followed == Some('%') || in_points(&chars[i..]),
                text: chars[start..i].iter().collect(),
            });
        }
    }
    out
}

/// Whether the text after a number says percentage points (" pp").
fn in_points(after: &[char]) -> bool {
    after.starts_with(&[' ', 'p', 'p']) && after.get(3).is_none_or(|c| !c.is_alphanumeric())
}

/// Whether `q` is some published figure as the sentence writes it.
/// `known` holds the published figures' absolute values, sorted. A figure
/// within half a unit of the last decimal written shows as the number; only
/// figures at the very edge of that half unit (where rounding ties and
/// binary fractions decide) are formatted and compared. The figure nearest
/// the number is tried first, so a check costs two binary searches however
/// many figures lie near it (national tables publish millions).
fn published(q: &Quoted, known: &[f64]) -> bool {
    let scale = if q.percent { 100.0 } else { 1.0 };
    let half = 0.5 * 10f64.powi(-(q.decimals as i32));
    let edge = (half * 1e-6).max(q.value * 1e-12);
    let shows_as_number = |w: f64| {
        let distance = (w * scale - q.value).abs();
        distance < half - edge
            || (distance <= half + edge
                && format!("{:.*}", q.decimals, w * scale)
                    .parse::<f64>()
                    .is_ok_and(|s| (s - q.value).abs() <= 1e-9))
    };
    let nearest = known.partition_point(|&w| w * scale < q.value);
    if [nearest.checked_sub(1), Some(nearest)]
        .into_iter()
        .flatten()
        .filter_map(|i| known.get(i))
        .any(|&w| shows_as_number(w))
    {
        return true;
    }
    // The nearest figures are not it: any other within reach is at an edge.
    let (lo, hi) = (
        (q.value - half - edge) / scale,
        (q.value + half + edge) / scale,
    );
    let start = known.partition_point(|&w| w < lo);
    known[start..]
        .iter()
        .take_while(|&&w| w <= hi)
        .any(|&w| shows_as_number(w))
}

/// Check the numbers in every sentence against every published figure.
pub fn sentences(sheets: &[Sheet], findings: &mut Vec<Finding>) {
    let mut known: Vec<f64> = Vec::new();
    for sheet in sheets {
        let message = sheet.column("message");
        for row in &sheet.rows {
            for (c, cell) in row.iter().enumerate() {
                match cell {
                    Cell::Int(n) => known.push(*n as f64),
                    Cell::Num(x) if x.is_finite() => known.push(*x),
                    // Numbers inside labels (periods, setting names) are published too.
                    Cell::Text(t) if Some(c) != message => {
                        known.extend(quoted(t).into_iter().map(|q| q.value));
                    }
                    _ => {}
                }
            }
        }
    }
    // Column totals, which a reader adds up (the records quarantined over
    // every file).
    for sheet in sheets {
        for c in 0..sheet.columns().len() {
            let total: Option<f64> = sheet.rows.iter().map(|row| row[c].number()).sum();
            known.extend(total);
        }
    }
    // How many cells are withheld, which a reader counts from the tables.
    let stars = sheets
        .iter()
        .flat_map(|s| s.rows.iter().flatten())
        .filter(|c| matches!(c, Cell::Suppressed))
        .count();
    known.push(stars as f64);
    // The levels of the intervals sprout draws ("95% CI", funnel limits at
    // 99.8%): settings, not figures about people.
    known.extend([95.0, 99.8, 0.95, 0.998]);
    // The constants of the methods the pages explain (XmR limits at the
    // mean ± 2.66 mean moving ranges, screening above 3.267, the
    // overdispersion test's level), and every number in sprout's own fixed
    // text: the measure files' definitions (the methods appendix: "accepted
    // × 365 / days", "200-250 people a year") and the shipped templates'
    // wording. The same for every dataset, so they say nothing about anyone.
    known.extend([
        crate::stats::spc::LIMIT_CONSTANT,
        crate::stats::spc::SCREEN_CONSTANT,
        crate::measures::benchmark::OVERDISPERSION_LEVEL,
    ]);
    known.extend(fixed_text().iter().flat_map(|t| quoted(t)).map(|q| q.value));
    for w in &mut known {
        *w = w.abs();
    }
    known.sort_by(f64::total_cmp);
    known.dedup();
    for sheet in sheets {
        let Some(message) = sheet.column("message") else {
            continue;
        };
        for (r, row) in sheet.rows.iter().enumerate() {
            let Cell::Text(sentence) = &row[message] else {
                continue;
            };
            for q in quoted(sentence) {
                if !published(&q, &known) {
                    findings.push(Finding {
                        kind: Kind::Unpublished,
                        table: sheet.name.clone(),
                        row: r + 1,
                        column: "message".into(),
                        value: None,
                        how: format!("{} in \"{sentence}\"", q.text),
                    });
                }
            }
        }
    }
}

/// A quantity two tables publish must show one value, and be withheld in
/// both or neither ([`rules::SAME_QUANTITY`]).
pub fn twins(sheets: &[Sheet], findings: &mut Vec<Finding>) {
    let find = |name: &str| sheets.iter().find(|s| s.name == name);
    for same in rules::SAME_QUANTITY {
        let (Some(a), Some(b)) = (find(same.a.table), find(same.b.table)) else {
            continue;
        };
        for ((ra, ca), (rb, cb)) in same.cells((a.columns(), &a.rows), (b.columns(), &b.rows)) {
            let (x, y) = (&a.rows[ra][ca], &b.rows[rb][cb]);
            let finding = |kind, sheet: &Sheet, r: usize, c: usize, how: String| Finding {
                kind,
                table: sheet.name.clone(),
                row: r + 1,
                column: sheet.columns()[c].name.to_string(),
                value: None,
                how,
            };
            match (x, y) {
                (Cell::Suppressed, Cell::Suppressed) => {}
                (Cell::Suppressed, shown) => findings.push(finding(
                    Kind::Unprotected,
                    a,
                    ra,
                    ca,
                    format!(
                        "withheld here but shown as {} in {} row {}",
                        shown.display(),
                        b.name,
                        rb + 1
                    ),
                )),
                (shown, Cell::Suppressed) => findings.push(finding(
                    Kind::Unprotected,
                    b,
                    rb,
                    cb,
                    format!(
                        "withheld here but shown as {} in {} row {}",
                        shown.display(),
                        a.name,
                        ra + 1
                    ),
                )),
                (x, y) if x.number() != y.number() => findings.push(finding(
                    Kind::Contradiction,
                    a,
                    ra,
                    ca,
                    format!(
                        "{} here but {} for the same quantity in {} row {}",
                        x.display(),
                        y.display(),
                        b.name,
                        rb + 1
                    ),
                )),
                _ => {}
            }
        }
    }
}

/// sprout's own fixed text that a page shows: each measure file's header
/// and the shipped HTML templates without their template expressions.
fn fixed_text() -> Vec<String> {
    let headers = crate::registry::measure_files().into_iter().flat_map(|q| {
        crate::measures::query::HEADER_FIELDS
            .iter()
            .filter_map(|field| q.header(field).map(str::to_string))
    });
    let templates = crate::render::report::TEMPLATES
        .iter()
        .filter(|(name, _)| name.ends_with(".html"))
        .map(|(_, text)| without_expressions(text));
    headers.chain(templates).collect()
}

/// A template's literal text: `{{ … }}`, `{% … %}` and `{# … #}` removed.
fn without_expressions(template: &str) -> String {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find('{') {
        let close = match rest[start..].chars().nth(1) {
            Some('{') => "}}",
            Some('%') => "%}",
            Some('#') => "#}",
            _ => {
                out.push_str(&rest[..=start]);
                rest = &rest[start + 1..];
                continue;
            }
        };
        out.push_str(&rest[..start]);
        match rest[start..].find(close) {
            Some(end) => rest = &rest[start + end + close.len()..],
            None => return out,
        }
        out.push(' ');
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_templates_literal_numbers_are_its_own_but_its_expressions_are_not() {
        let text = without_expressions(
            "<p>Limits at ±2.66 {{ mean | round(1) }} {% if n > 30 %}of {{ n }}{% endif %} {# 17 #}</p>",
        );
        let numbers: Vec<f64> = quoted(&text).iter().map(|q| q.value).collect();
        assert_eq!(numbers, [2.66]);
        assert!(fixed_text().iter().any(|t| t.contains("2.66 times")));
    }

    #[test]
    fn percentage_points_are_read_as_percentages_of_published_shares() {
        let q = quoted("81.3% against 77.2%: +4 pp (+0 pp to +8 pp), 3 ppl");
        let percent: Vec<(f64, bool)> = q.iter().map(|q| (q.value, q.percent)).collect();
        assert_eq!(
            percent,
            [
                (81.3, true),
                (77.2, true),
                (4.0, true),
                (0.0, true),
                (8.0, true),
                (3.0, false)
            ],
            "'3 ppl' is not in points"
        );
        assert!(published(&q[2], &[0.04]));
        assert!(!published(&q[2], &[4.0]));
    }

    #[test]
    fn a_number_is_a_figure_that_rounds_to_it_ties_to_even() {
        let q = |text: &str| quoted(text).remove(0);
        assert!(published(&q("3 people"), &[1.0, 2.6, 9.0]));
        assert!(published(&q("2 people"), &[2.5]), "2.5 shows as 2");
        assert!(!published(&q("3 people"), &[2.5]), "2.5 does not show as 3");
        assert!(published(&q("4 people"), &[3.5]), "3.5 shows as 4");
        assert!(!published(&q("3 people"), &[2.4999, 3.5001]));
        assert!(
            published(&q("0.13"), &[0.125, 0.1251]),
            "0.1251 shows as 0.13"
        );
        assert!(published(&q("12.5%"), &[0.1, 0.12549, 0.2]));
        assert!(!published(&q("12.5%"), &[0.1, 0.12551, 0.2]));
        // Many figures near the number, none of them it.
        let near: Vec<f64> = (0..100_000).map(|i| 7.0 + f64::from(i) * 1e-6).collect();
        assert!(!published(&q("6.9"), &near));
        assert!(published(&q("7.0"), &near));
    }
}
