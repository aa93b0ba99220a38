//! Parsing one extract value into its canonical type.
//!
//! Each parser returns the typed value or a [`Problem`] that says what is
//! wrong and how to fix it; the caller quarantines the row.

use chrono::{Datelike, NaiveDate};

/// What is wrong with one value or row.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Short kind, e.g. `invalid_date` (the quarantine table's `problem`).
    pub kind: &'static str,
    /// What is wrong and the fix (the quarantine table's `detail`).
    pub detail: String,
}

impl Problem {
    /// A problem of `kind` with `detail`.
    pub fn new(kind: &'static str, detail: impl Into<String>) -> Self {
        Problem {
            kind,
            detail: detail.into(),
        }
    }
}

/// Earliest date accepted anywhere.
pub fn earliest_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(NaiveDate::MIN)
}

/// How dates are written in one source.
#[derive(Debug, Clone)]
pub struct DateRules {
    /// A chrono format from the mapping (e.g. `%d/%m/%Y`), tried after ISO 8601.
    pub format: Option<String>,
    /// Dates after this are impossible (the extract cannot describe the future).
    pub latest: NaiveDate,
}

impl DateRules {
    /// Parse a date written ISO 8601 (optionally with a time, which is dropped), or in
    /// the source's format (default `DD/MM/YYYY`, the UK convention).
    pub fn parse(&self, raw: &str) -> Result<NaiveDate, Problem> {
        let iso = iso_prefix(raw);
        let parsed = match iso {
            Some(day) => iso_day(day),
            None => {
                NaiveDate::parse_from_str(raw, self.format.as_deref().unwrap_or("%d/%m/%Y")).ok()
            }
        };
        let Some(date) = parsed else {
            return Err(self.unparsed(raw, iso.is_some()));
        };
        self.in_range(raw, date)
    }

    /// Parse a month of birth, `YYYY-MM` (a full date is accepted and its day dropped).
    pub fn parse_year_month(&self, raw: &str) -> Result<NaiveDate, Problem> {
        let ym = raw.trim();
        let date = if ym.len() == 7 && ym.as_bytes()[4] == b'-' {
            iso_month(ym)
                .or_else(|| NaiveDate::parse_from_str(&format!("{ym}-01"), "%Y-%m-%d").ok())
                .ok_or_else(|| self.unparsed(raw, true))?
        } else {
            self.parse(raw)?
        };
        let first = date.with_day(1).unwrap_or(date);
        self.in_range(raw, first)
    }

    fn in_range(&self, raw: &str, date: NaiveDate) -> Result<NaiveDate, Problem> {
        if date > self.latest {
            return Err(Problem::new(
                "future_date",
                format!(
                    "'{raw}' is after {} (the as-of date); a record cannot describe the future: \
                     check the day/month order and the date_format in the mapping",
                    self.latest
                ),
            ));
        }
        if date < earliest_date() {
            return Err(Problem::new(
                "impossible_date",
                format!("'{raw}' is before 1900; check the value and the date_format"),
            ));
        }
        Ok(date)
    }

    fn unparsed(&self, raw: &str, looks_iso: bool) -> Problem {
        let format = self.format.as_deref().unwrap_or("%d/%m/%Y");
        let example = example_date(format);
        if looks_iso {
            Problem::new(
                "impossible_date",
                format!("'{raw}' is not a real calendar date (no such day or month)"),
            )
        } else if looks_like_a_date(raw) {
            Problem::new(
                "impossible_date",
                format!(
                    "'{raw}' is not a real calendar date when read with the date format '{format}' \
                     (31 March 2025 is written {example}); if the source writes dates another way, \
                     set date_format in the mapping file"
                ),
            )
        } else {
            Problem::new(
                "invalid_date",
                format!(
                    "'{raw}' is not a date; expected YYYY-MM-DD or the date format '{format}' \
                     (31 March 2025 is written {example}); set date_format in the mapping file if \
                     the source writes dates differently"
                ),
            )
        }
    }
}

/// 31 March 2025 written in `format` (a chrono format), or a note that the
/// format is not one.
pub fn example_date(format: &str) -> String {
    use std::fmt::Write;
    let day = NaiveDate::from_ymd_opt(2025, 3, 31).unwrap_or_default();
    let mut out = String::new();
    if write!(out, "{}", day.format(format)).is_ok() {
        format!("'{out}'")
    } else {
        "(not a valid chrono format: see the date_format examples in the README)".to_string()
    }
}

/// The `YYYY-MM-DD` part of an ISO 8601 date or date-time.
fn iso_prefix(raw: &str) -> Option<&str> {
    let b = raw.as_bytes();
    let shaped = b.len() >= 10
        && b[..4].iter().all(u8::is_ascii_digit)
        && b[4] == b'-'
        && b[5..7].iter().all(u8::is_ascii_digit)
        && b[7] == b'-'
        && b[8..10].iter().all(u8::is_ascii_digit)
        && (b.len() == 10 || b[10] == b'T' || b[10] == b' ');
    shaped.then(|| &raw[..10])
}

/// The date of a `YYYY-MM-DD` text already shaped by [`iso_prefix`], read from
/// its digits (`None` for an impossible day such as 2023-02-30). The same as
/// chrono's `%Y-%m-%d` parse, without interpreting the format string for each
/// of tens of millions of values.
fn iso_day(day: &str) -> Option<NaiveDate> {
    let b = day.as_bytes();
    let year = i32::try_from(number(&b[..4])).ok()?;
    NaiveDate::from_ymd_opt(year, number(&b[5..7]), number(&b[8..10]))
}

/// The first day of a month written `YYYY-MM` (seven bytes, `-` fifth) in
/// digits, read from them: `None` for other text or an impossible month.
/// Where it finds a month, chrono's `%Y-%m-%d` parse of the text with `-01`
/// added finds the same; chrono also reads a few other shapes (`2024- 1`),
/// so the caller asks it when this finds none.
fn iso_month(month: &str) -> Option<NaiveDate> {
    let b = month.as_bytes();
    if !b[..4].iter().chain(&b[5..7]).all(u8::is_ascii_digit) {
        return None;
    }
    let year = i32::try_from(number(&b[..4])).ok()?;
    NaiveDate::from_ymd_opt(year, number(&b[5..7]), 1)
}

/// The number its ASCII digits write.
fn number(digits: &[u8]) -> u32 {
    digits
        .iter()
        .fold(0u32, |n, d| n * 10 + u32::from(d - b'0'))
}

/// Three groups of digits separated by `/`, `-` or `.`: a date, even if an impossible one.
fn looks_like_a_date(raw: &str) -> bool {
    let parts: Vec<&str> = raw.split(['/', '-', '.']).collect();
    parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()))
}

/// A whole number; thousands separators (`1,234`) are accepted.
pub fn parse_integer(raw: &str) -> Result<i64, Problem> {
    let cleaned = strip_thousands(raw);
    if let Ok(v) = cleaned.parse::<i64>() {
        return Ok(v);
    }
    // Spreadsheets write whole numbers as 3.0.
    match cleaned.parse::<f64>() {
        Ok(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Ok(f as i64),
        _ => Err(Problem::new(
            "invalid_number",
            format!("'{raw}' is not a whole number"),
        )),
    }
}

/// A number; thousands separators are accepted.
pub fn parse_decimal(raw: &str) -> Result<f64, Problem> {
    match strip_thousands(raw).parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        _ => Err(Problem::new(
            "invalid_number",
            format!("'{raw}' is not a number"),
        )),
    }
}

fn strip_thousands(raw: &str) -> String {
    let digits_and_commas = raw.contains(',')
        && raw
            .trim_start_matches('-')
            .split('.')
            .next()
            .is_some_and(|int| int.split(',').skip(1).all(|g| g.len() == 3));
    if digits_and_commas {
        raw.replace(',', "")
    } else {
        raw.to_string()
    }
}

/// true/false, yes/no, y/n, 1/0 (any case).
pub fn parse_boolean(raw: &str) -> Result<bool, Problem> {
    match raw.to_ascii_lowercase().as_str() {
        "true" | "t" | "yes" | "y" | "1" => Ok(true),
        "false" | "f" | "no" | "n" | "0" => Ok(false),
        _ => Err(Problem::new(
            "invalid_boolean",
            format!("'{raw}' is not yes/no; expected true/false, yes/no, y/n or 1/0"),
        )),
    }
}

/// A code shaped like `prefix` followed by `digits` digits (e.g. `U` + 5).
pub fn is_coded(value: &str, prefixes: &[&str], digits: usize) -> bool {
    prefixes.iter().any(|p| {
        value.len() == p.len() + digits
            && value.starts_with(p)
            && value[p.len()..].bytes().all(|b| b.is_ascii_digit())
    })
}

/// An ODS GP practice code: one capital letter then five digits.
pub fn is_practice_code(value: &str) -> bool {
    let b = value.as_bytes();
    b.len() == 6 && b[0].is_ascii_uppercase() && b[1..].iter().all(u8::is_ascii_digit)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(format: Option<&str>) -> DateRules {
        DateRules {
            format: format.map(str::to_string),
            latest: NaiveDate::from_ymd_opt(2026, 11, 24).unwrap(),
        }
    }

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn iso_months_read_from_digits_agree_with_chrono() {
        let mut texts: Vec<String> = Vec::new();
        for year in ["2024", "1900", "0000", "9999", "+202", "20a4", " 202"] {
            for month in [
                "00", "01", "02", "09", "10", "12", "13", "1 ", " 1", "+1", "ab",
            ] {
                texts.push(format!("{year}-{month}"));
            }
        }
        let mut found = 0;
        for text in &texts {
            let chrono = NaiveDate::parse_from_str(&format!("{text}-01"), "%Y-%m-%d").ok();
            if let Some(month) = iso_month(text) {
                assert_eq!(Some(month), chrono, "{text}");
                found += 1;
            } else if text.bytes().filter(u8::is_ascii_digit).count() == 6 {
                assert_eq!(chrono, None, "{text}");
            }
        }
        assert_eq!(found, 4 * 5);
    }

    #[test]
    fn iso_days_read_from_digits_agree_with_chrono() {
        // Every day of a leap and a common year, plus impossible days and months.
        let mut texts: Vec<String> = Vec::new();
        for year in [2023, 2024, 1900, 2000] {
            for month in 0..=13 {
                for day in 0..=32 {
                    texts.push(format!("{year:04}-{month:02}-{day:02}"));
                }
            }
        }
        texts.push("0000-01-01".into());
        texts.push("9999-12-31".into());
        for text in &texts {
            assert_eq!(
                iso_day(text),
                NaiveDate::parse_from_str(text, "%Y-%m-%d").ok(),
                "{text}"
            );
        }
    }

    #[test]
    fn dates_in_iso_and_uk_forms() {
        let r = rules(None);
        assert_eq!(r.parse("2024-02-29"), Ok(d(2024, 2, 29)));
        assert_eq!(r.parse("2024-02-29T10:30:00"), Ok(d(2024, 2, 29)));
        assert_eq!(r.parse("2024-02-29 10:30:00"), Ok(d(2024, 2, 29)));
        assert_eq!(r.parse("29/02/2024"), Ok(d(2024, 2, 29)));
        let us = rules(Some("%m/%d/%Y"));
        assert_eq!(us.parse("02/29/2024"), Ok(d(2024, 2, 29)));
    }

    #[test]
    fn impossible_invalid_and_future_dates_are_told_apart() {
        let r = rules(None);
        assert_eq!(r.parse("2023-02-29").unwrap_err().kind, "impossible_date");
        assert_eq!(r.parse("31/04/2024").unwrap_err().kind, "impossible_date");
        assert_eq!(r.parse("2024-13-01").unwrap_err().kind, "impossible_date");
        assert_eq!(r.parse("next tuesday").unwrap_err().kind, "invalid_date");
        assert_eq!(r.parse("2026-11-25").unwrap_err().kind, "future_date");
        assert_eq!(r.parse("2026-11-24"), Ok(d(2026, 11, 24)));
        assert_eq!(r.parse("1899-12-31").unwrap_err().kind, "impossible_date");
    }

    #[test]
    fn year_month_keeps_the_first_of_the_month() {
        let r = rules(None);
        assert_eq!(r.parse_year_month("1950-07"), Ok(d(1950, 7, 1)));
        assert_eq!(r.parse_year_month("1950-07-19"), Ok(d(1950, 7, 1)));
        assert_eq!(
            r.parse_year_month("1950-13").unwrap_err().kind,
            "impossible_date"
        );
        assert_eq!(
            r.parse_year_month("2026-12").unwrap_err().kind,
            "future_date"
        );
    }

    #[test]
    fn numbers_accept_thousands_separators_but_not_garbage() {
        assert_eq!(parse_integer("1,234"), Ok(1234));
        assert_eq!(parse_integer("12,345,678"), Ok(12_345_678));
        assert_eq!(parse_integer("7.0"), Ok(7));
        assert!(parse_integer("7.5").is_err());
        assert!(parse_integer("1,23").is_err());
        assert!(parse_integer("seven").is_err());
        assert_eq!(parse_decimal("1,234.5"), Ok(1234.5));
        assert!(parse_decimal("NaN").is_err());
    }

    #[test]
    fn booleans_and_code_shapes() {
        assert_eq!(parse_boolean("Yes"), Ok(true));
        assert_eq!(parse_boolean("0"), Ok(false));
        assert!(parse_boolean("maybe").is_err());
        assert!(is_coded("U12345", &["U"], 5));
        assert!(!is_coded("U1234", &["U"], 5));
        assert!(is_coded("E01000001", &["E01", "W01", "S01"], 6));
        assert!(!is_coded("E02000001", &["E01", "W01", "S01"], 6));
        assert!(is_practice_code("A81001"));
        assert!(!is_practice_code("a81001"));
        assert!(!is_practice_code("A8100"));
    }
}
