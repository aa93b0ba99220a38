//! Dates as Arrow stores them: Date32 days since 1970-01-01, and ages in
//! whole years between two such days. Used by ingest, the measures, the
//! synthetic data and the charts alike.

use chrono::{Datelike, NaiveDate};

/// Days from 0001-01-01 (chrono's day 1) to 1970-01-01, for Arrow's Date32.
const UNIX_EPOCH_DAYS_FROM_CE: i32 = 719_163;

/// Arrow Date32 (days since 1970-01-01) of a date.
pub fn date32(date: NaiveDate) -> i32 {
    date.num_days_from_ce() - UNIX_EPOCH_DAYS_FROM_CE
}

/// The date of an Arrow Date32 value.
pub fn from_date32(days: i32) -> NaiveDate {
    NaiveDate::from_num_days_from_ce_opt(days + UNIX_EPOCH_DAYS_FROM_CE).unwrap_or(NaiveDate::MIN)
}

/// Whole years from the Date32 day `birth` to the Date32 day `on`.
pub fn age_in_years(birth: i32, on: i32) -> i32 {
    let (b, o) = (from_date32(birth), from_date32(on));
    let mut age = o.year() - b.year();
    if (o.month(), o.day()) < (b.month(), b.day()) {
        age -= 1;
    }
    age
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn date32_round_trips_around_the_epoch() {
        assert_eq!(date32(d(1970, 1, 1)), 0);
        assert_eq!(date32(d(1970, 1, 2)), 1);
        assert_eq!(date32(d(1969, 12, 31)), -1);
        assert_eq!(date32(d(2000, 3, 1)), 11_017);
        assert_eq!(from_date32(date32(d(2024, 2, 29))), d(2024, 2, 29));
    }

    #[test]
    fn ages_count_whole_years_and_turn_on_the_birthday() {
        let (birth, before, on) = (d(1980, 6, 15), d(2024, 6, 14), d(2024, 6, 15));
        assert_eq!(age_in_years(date32(birth), date32(before)), 43);
        assert_eq!(age_in_years(date32(birth), date32(on)), 44);
    }
}
