//! Dates of the synthetic world, as Arrow Date32 day numbers.

use chrono::{Datelike, NaiveDate};

use crate::days::{date32, from_date32};

/// A fixed date as a day number.
pub fn day(y: i32, m: u32, d: u32) -> i32 {
    date32(NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN))
}

/// First day of health-event data (two years of data).
pub fn events_start() -> i32 {
    day(2023, 10, 1)
}

/// Last day of the extract.
pub fn extract_end() -> i32 {
    day(2025, 9, 30)
}

/// Referrals are received in financial year 2024/25.
pub fn referrals_start() -> i32 {
    day(2024, 4, 1)
}

/// Last day referrals are received.
pub fn referrals_end() -> i32 {
    day(2025, 3, 31)
}

/// Formats day numbers as `YYYY-MM-DD` (and `DD/MM/YYYY`) from a cache.
pub struct DateText {
    first: i32,
    iso: Vec<String>,
}

impl DateText {
    /// A cache for days `first..=last`.
    pub fn new(first: i32, last: i32) -> Self {
        let iso = (first..=last)
            .map(|d| from_date32(d).format("%Y-%m-%d").to_string())
            .collect();
        DateText { first, iso }
    }

    /// `YYYY-MM-DD`.
    pub fn iso(&self, d: i32) -> &str {
        usize::try_from(d - self.first)
            .ok()
            .and_then(|i| self.iso.get(i))
            .map_or("", String::as_str)
    }

    /// `DD/MM/YYYY` (the vendor-style export).
    pub fn uk(&self, d: i32) -> String {
        let iso = self.iso(d);
        if iso.len() == 10 {
            format!("{}/{}/{}", &iso[8..10], &iso[5..7], &iso[..4])
        } else {
            String::new()
        }
    }
}

/// `YYYY-MM` of a day number.
pub fn year_month(d: i32) -> String {
    let date = from_date32(d);
    format!("{:04}-{:02}", date.year(), date.month())
}

/// Whole years from `birth` to `on`.
pub fn age_on(birth: i32, on: i32) -> i32 {
    crate::days::age_in_years(birth, on)
}
