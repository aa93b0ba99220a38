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
    Ymd::of(birth).years_to(Ymd::of(on))
}

/// A date's year, month and day packed into one number,
/// year · 512 + month · 32 + day, so that two compare as their dates do
/// and an age is a subtraction: for the health stage's hot loops, which
/// ask the age of millions of candidates on a few hundred index days.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Ymd(i64);

impl Ymd {
    /// The date of a Date32 day.
    pub fn of(days: i32) -> Ymd {
        let (year, month, day) = civil(days);
        Ymd(i64::from(year) * 512 + i64::from(month) * 32 + i64::from(day))
    }

    /// Whole years from this date to `on`: the difference of the years,
    /// less one when `on`'s month and day come before this date's.
    pub fn years_to(self, on: Ymd) -> i32 {
        let years = on.0.div_euclid(512) - self.0.div_euclid(512);
        let early = on.0.rem_euclid(512) < self.0.rem_euclid(512);
        (years - i64::from(early)) as i32
    }
}

/// The (year, month 1–12, day 1–31) of a Date32 day in the proleptic
/// Gregorian calendar, in integer arithmetic (H. Hinnant's
/// `civil_from_days`): with z = days + 719,468 (days from 0000-03-01),
/// era = ⌊z / 146,097⌋ (400-year cycles), doe = z − 146,097·era,
/// yoe = (doe − ⌊doe/1,460⌋ + ⌊doe/36,524⌋ − ⌊doe/146,096⌋) / 365,
/// doy = doe − (365·yoe + ⌊yoe/4⌋ − ⌊yoe/100⌋), mp = (5·doy + 2) / 153 (months
/// from March), day = doy − (153·mp + 2)/5 + 1. The same dates as chrono's,
/// without its checks, for the health windows' hot loops.
pub fn civil(days: i32) -> (i32, u32, u32) {
    let z = i64::from(days) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year as i32, month as u32, day as u32)
}

/// The Date32 day of (year, month 1–12, day), the inverse of [`civil`]
/// (H. Hinnant's `days_from_civil`).
pub fn from_civil(year: i32, month: u32, day: u32) -> i32 {
    let y = i64::from(year) - i64::from(month <= 2);
    let era = y.div_euclid(400);
    let yoe = y.rem_euclid(400);
    let (m, d) = (i64::from(month), i64::from(day));
    let mp = if m > 2 { m - 3 } else { m + 9 };
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    (era * 146_097 + doe - 719_468) as i32
}

/// Days in `month` of `year` (Gregorian leap years).
fn days_in_month(year: i32, month: u32) -> u32 {
    match month {
        2 if year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) => 29,
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// `day` moved by whole calendar months (negative: back), clamped to month ends
/// (31 March minus one month is 28 or 29 February).
pub fn add_months(day: i32, months: i32) -> i32 {
    let (year, month, d) = civil(day);
    let total = i64::from(year) * 12 + i64::from(month - 1) + i64::from(months);
    let (year, month) = (total.div_euclid(12) as i32, total.rem_euclid(12) as u32 + 1);
    from_civil(year, month, d.min(days_in_month(year, month)))
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

    /// Every day from 1800 to 2200, and every move of up to ten years
    /// either way from days around the turn of each month from 1990 to 2040,
    /// give chrono's dates.
    #[test]
    fn civil_dates_and_month_moves_agree_with_chrono() {
        use chrono::Months;
        for day in date32(d(1800, 1, 1))..=date32(d(2200, 12, 31)) {
            let date = from_date32(day);
            assert_eq!(
                civil(day),
                (date.year(), date.month(), date.day()),
                "{date}"
            );
            assert_eq!(from_civil(date.year(), date.month(), date.day()), day);
        }
        for day in date32(d(1990, 1, 1))..=date32(d(2040, 12, 31)) {
            let date = from_date32(day);
            if !(date.day() <= 2 || date.day() >= 27) {
                continue;
            }
            for months in -120..=120i32 {
                let moved = if months >= 0 {
                    date.checked_add_months(Months::new(months.unsigned_abs()))
                } else {
                    date.checked_sub_months(Months::new(months.unsigned_abs()))
                };
                assert_eq!(
                    add_months(day, months),
                    date32(moved.unwrap()),
                    "{date} {months}"
                );
            }
        }
    }

    #[test]
    fn packed_dates_give_the_ages_the_calendar_gives() {
        // Every birth day of four years (two leap days among them) against
        // days around each birthday decades on, including 28 February and
        // 1 March of leap and common years.
        let age = |birth: NaiveDate, on: NaiveDate| {
            let mut years = on.year() - birth.year();
            if (on.month(), on.day()) < (birth.month(), birth.day()) {
                years -= 1;
            }
            years
        };
        for birth in date32(d(1947, 1, 1))..date32(d(1951, 1, 1)) {
            for offset in [
                -1,
                0,
                1,
                365 * 30,
                365 * 40 + 9,
                365 * 77 + 19,
                365 * 77 + 20,
            ] {
                for on in [
                    birth + offset,
                    date32(d(2024, 2, 29)),
                    date32(d(2023, 3, 1)),
                ] {
                    assert_eq!(
                        Ymd::of(birth).years_to(Ymd::of(on)),
                        age(from_date32(birth), from_date32(on)),
                        "{} on {}",
                        from_date32(birth),
                        from_date32(on)
                    );
                }
            }
        }
        assert!(Ymd::of(date32(d(1999, 12, 31))) < Ymd::of(date32(d(2000, 1, 1))));
    }

    #[test]
    fn ages_count_whole_years_and_turn_on_the_birthday() {
        let (birth, before, on) = (d(1980, 6, 15), d(2024, 6, 14), d(2024, 6, 15));
        assert_eq!(age_in_years(date32(birth), date32(before)), 43);
        assert_eq!(age_in_years(date32(birth), date32(on)), 44);
    }
}
