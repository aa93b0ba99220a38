//! Reporting periods: NHS financial years and quarters, or explicit date ranges.

use chrono::NaiveDate;

use crate::error::{Error, Result};

/// An inclusive range of dates with its label.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Period {
    /// First day.
    pub start: NaiveDate,
    /// Last day.
    pub end: NaiveDate,
    /// Label, e.g. `2025/26 Q2`.
    pub label: String,
}

impl Period {
    /// Parse `2025/26` (financial year 1 April–31 March), `2025/26 Q2` (Q1 April–June,
    /// Q2 July–September, Q3 October–December, Q4 January–March), `rolling 2025/26 Q2`
    /// (the four quarters ending with that one) or `YYYY-MM-DD..YYYY-MM-DD`.
    pub fn parse(text: &str) -> Result<Period> {
        let text = text.trim();
        if let Some(quarter) = text.strip_prefix("rolling ") {
            let last = Period::parse(quarter)?;
            let start = last
                .start
                .checked_sub_months(chrono::Months::new(9))
                .filter(|_| quarter.contains(" Q"))
                .ok_or_else(|| Error::Usage(format!("'{text}' is not a period: write rolling and a quarter, e.g. rolling 2025/26 Q2")))?;
            return Ok(Period {
                start,
                end: last.end,
                label: format!("four quarters to {}", last.label),
            });
        }
        let bad = || {
            Error::Usage(format!(
                "'{text}' is not a period: write a financial year (2025/26), a quarter (2025/26 Q2) or dates (2025-04-01..2025-09-30)"
            ))
        };
        if let Some((from, to)) = text.split_once("..") {
            let day = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").map_err(|_| bad());
            let (start, end) = (day(from)?, day(to)?);
            if end < start {
                return Err(bad());
            }
            return Ok(Period {
                start,
                end,
                label: format!("{start} to {end}"),
            });
        }
        let (year, quarter) = match text.split_once(' ') {
            Some((y, q)) => (y, Some(q.trim())),
            None => (text, None),
        };
        let (first, second) = year.split_once('/').ok_or_else(bad)?;
        let first: i32 = first.parse().map_err(|_| bad())?;
        let second: i32 = second.parse().map_err(|_| bad())?;
        if second != (first + 1) % 100 {
            return Err(bad());
        }
        let date = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).ok_or_else(bad);
        let (start, end) = match quarter {
            None => (date(first, 4, 1)?, date(first + 1, 3, 31)?),
            Some("Q1") => (date(first, 4, 1)?, date(first, 6, 30)?),
            Some("Q2") => (date(first, 7, 1)?, date(first, 9, 30)?),
            Some("Q3") => (date(first, 10, 1)?, date(first, 12, 31)?),
            Some("Q4") => (date(first + 1, 1, 1)?, date(first + 1, 3, 31)?),
            Some(_) => return Err(bad()),
        };
        Ok(Period {
            start,
            end,
            label: text.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, day).unwrap()
    }

    #[test]
    fn financial_years_and_quarters() {
        let fy = Period::parse("2024/25").unwrap();
        assert_eq!((fy.start, fy.end), (d(2024, 4, 1), d(2025, 3, 31)));
        let q4 = Period::parse("2023/24 Q4").unwrap();
        assert_eq!(
            (q4.start, q4.end),
            (d(2024, 1, 1), d(2024, 3, 31)),
            "Q4 holds the leap day"
        );
        let q1 = Period::parse("2025/26 Q1").unwrap();
        assert_eq!((q1.start, q1.end), (d(2025, 4, 1), d(2025, 6, 30)));
        assert_eq!(Period::parse("2099/00").unwrap().end, d(2100, 3, 31));
        let range = Period::parse("2025-01-01..2025-01-31").unwrap();
        assert_eq!(range.end, d(2025, 1, 31));
    }

    #[test]
    fn rolling_four_quarters_end_with_the_named_quarter() {
        let p = Period::parse("rolling 2025/26 Q1").unwrap();
        assert_eq!((p.start, p.end), (d(2024, 7, 1), d(2025, 6, 30)));
        assert_eq!(p.label, "four quarters to 2025/26 Q1");
        assert!(
            Period::parse("rolling 2025/26").is_err(),
            "rolling takes a quarter"
        );
    }

    #[test]
    fn mistakes_are_refused() {
        for bad in [
            "2024/26",
            "2024",
            "2024/25 Q5",
            "2025-02-01..2025-01-01",
            "last year",
        ] {
            assert!(Period::parse(bad).is_err(), "{bad}");
        }
    }
}

impl Period {
    /// The period parameters and `$outcome_cohort`, for the outcome SQL.
    pub fn outcome_parameters(
        &self,
        cohort: OutcomeCohort,
    ) -> Vec<(&'static str, datafusion::common::ScalarValue)> {
        let mut params = self.parameters().to_vec();
        params.push(cohort.parameter());
        params
    }

    /// The `$period_start` and `$period_end` parameters of the measure SQL.
    pub fn parameters(&self) -> [(&'static str, datafusion::common::ScalarValue); 2] {
        use crate::days::date32;
        use datafusion::common::ScalarValue;
        [
            (
                "period_start",
                ScalarValue::Date32(Some(date32(self.start))),
            ),
            ("period_end", ScalarValue::Date32(Some(date32(self.end)))),
        ]
    }
}

/// How an earlier period is compared with the reporting period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Comparison {
    /// The period just before, of the same length (the previous quarter).
    Previous,
    /// The same dates a year earlier (the same quarter last year).
    YearEarlier,
    /// Both at once: the year before a year.
    PreviousYear,
}

impl Comparison {
    /// How the tables and the report name it.
    pub fn label(self) -> &'static str {
        match self {
            Comparison::Previous => "previous period",
            Comparison::YearEarlier => "same period a year earlier",
            Comparison::PreviousYear => "previous year",
        }
    }
}

/// The NHS financial year (starting in April of the year returned) and
/// quarter (1–4) of `date`.
pub fn quarter_of(date: NaiveDate) -> (i64, i64) {
    use chrono::Datelike;
    let month = i64::from(date.month());
    let fy = i64::from(date.year()) - i64::from(month < 4);
    (fy, (month + 8) % 12 / 3 + 1)
}

/// Quarter `quarter` of financial year `fy` as a period (quarters past Q4
/// or before Q1 roll into the next or previous year).
fn quarter_period(fy: i64, quarter: i64) -> Period {
    quarter_at(fy * 4 + quarter - 1)
}

/// The quarter numbered `index` (four times the financial year plus the
/// quarter less one), as a period.
fn quarter_at(index: i64) -> Period {
    Period::parse(&quarter_label(index.div_euclid(4), index.rem_euclid(4) + 1))
        .expect("a quarter label parses")
}

impl Period {
    /// The earlier periods this one is read against: a quarter against the
    /// previous quarter and the same quarter a year earlier; a financial year
    /// (or four rolling quarters) against the year before; dates against the
    /// same number of days just before and, when no longer than a year, the
    /// same dates a year earlier.
    pub fn comparisons(&self) -> Vec<(Comparison, Period)> {
        let shifted =
            |start: NaiveDate, end: NaiveDate, label: String| Period { start, end, label };
        let year_back = |d: NaiveDate| d.checked_sub_months(chrono::Months::new(12));
        if let Some(quarter) = self.label.strip_prefix("four quarters to ") {
            let (fy, q) = quarter_of(Period::parse(quarter).map_or(self.end, |p| p.end));
            let last = quarter_period(fy - 1, q);
            let first = quarter_period(fy - 1, q - 3);
            return vec![(
                Comparison::PreviousYear,
                shifted(
                    first.start,
                    last.end,
                    format!("four quarters to {}", last.label),
                ),
            )];
        }
        if self.label.contains(" Q") && !self.label.contains(" to ") {
            let (fy, q) = quarter_of(self.start);
            return vec![
                (Comparison::Previous, quarter_period(fy, q - 1)),
                (Comparison::YearEarlier, quarter_period(fy - 1, q)),
            ];
        }
        if !self.label.contains(' ') {
            let (fy, _) = quarter_of(self.start);
            let year = Period::parse(&format!("{}/{:02}", fy - 1, fy.rem_euclid(100)))
                .expect("a financial year label parses");
            return vec![(Comparison::PreviousYear, year)];
        }
        let days = (self.end - self.start).num_days() + 1;
        let end = self.start - chrono::Duration::days(1);
        let start = self.start - chrono::Duration::days(days);
        let previous = shifted(start, end, format!("{start} to {end}"));
        let earlier = match (year_back(self.start), year_back(self.end)) {
            (Some(start), Some(end)) if end < self.start => {
                Some(shifted(start, end, format!("{start} to {end}")))
            }
            _ => None,
        };
        match earlier {
            // A year long (leap day or not): the year before is both.
            Some(e) if e.end == end => vec![(Comparison::PreviousYear, e)],
            Some(e) => vec![
                (Comparison::Previous, previous),
                (Comparison::YearEarlier, e),
            ],
            None => vec![(Comparison::Previous, previous)],
        }
    }

    /// The whole NHS quarters of a trend ending with this period: from the
    /// quarter holding `from` (or seven quarters before the last, whichever
    /// is earlier) to the last quarter that ends within the period.
    pub fn trend_quarters(&self, from: NaiveDate) -> Vec<Period> {
        let (fy, q) = quarter_of(self.end);
        let mut last = quarter_period(fy, q);
        if last.end > self.end {
            last = quarter_period(fy, q - 1);
        }
        let (lf, lq) = quarter_of(last.start);
        let (ff, fq) = quarter_of(from.min(quarter_period(lf, lq - 7).start));
        (ff * 4 + fq - 1..=lf * 4 + lq - 1)
            .map(quarter_at)
            .collect()
    }
}

/// `queries/referral_span.sql`.
pub const REFERRAL_SPAN_SQL: crate::measures::query::Query = crate::measure_file!("referral_span");

/// How many referrals fall in a period, and the dates all referrals span
/// (`queries/referral_span.sql`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ReferralSpan {
    /// Referrals whose referral date is in the period.
    pub in_period: i64,
    /// The first and last referral dates, when there are referrals.
    pub dates: Option<(NaiveDate, NaiveDate)>,
}

impl ReferralSpan {
    /// Read the span for `period`.
    pub async fn load(
        ctx: &datafusion::prelude::SessionContext,
        period: &Period,
    ) -> crate::error::Result<ReferralSpan> {
        use crate::measures::table::{column, int_at};
        use datafusion::arrow::array::{Array, AsArray};
        use datafusion::arrow::datatypes::Date32Type;
        let batches = REFERRAL_SPAN_SQL.run(ctx, &period.parameters()).await?;
        let Some(b) = batches.iter().find(|b| b.num_rows() > 0) else {
            return Ok(ReferralSpan::default());
        };
        let date = |name: &str| {
            column(b, name)
                .and_then(|c| c.as_primitive_opt::<Date32Type>())
                .filter(|a| !a.is_null(0))
                .map(|a| crate::days::from_date32(a.value(0)))
        };
        Ok(ReferralSpan {
            in_period: int_at(b, "in_period", 0).unwrap_or(0),
            dates: date("first_referral").zip(date("last_referral")),
        })
    }

    /// The first referral's date.
    pub fn first(&self) -> Option<NaiveDate> {
        self.dates.map(|(first, _)| first)
    }

    /// A warning when no referral falls in `period`, with the dates the
    /// warehouse's referrals do span (or that it holds none).
    pub fn notice(&self, period: &Period) -> Option<String> {
        if self.in_period > 0 {
            return None;
        }
        let span = match self.dates {
            None => "the warehouse holds no referrals".to_string(),
            Some((first, last)) => {
                format!("the warehouse's referrals are dated {first} to {last}")
            }
        };
        Some(format!(
            "No referral falls in {} ({} to {}): {span}; check the period (--period, or `period` in the spec)",
            period.label, period.start, period.end
        ))
    }
}

/// Which referrals make up an outcome cohort for a period.
///
/// A referral belongs to the period of its referral date for activity
/// measures; outcomes are judged on episodes that have finished, so by default
/// the outcome cohort is the accepted referrals *closed* in the period.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OutcomeCohort {
    /// Referrals whose episode closed in the period (open episodes wait for their closure).
    #[default]
    Closed,
    /// Referrals received in the period, whether or not their episode has closed.
    Received,
}

impl OutcomeCohort {
    /// The `$outcome_cohort` parameter of the outcome SQL (`closed` or `received`).
    pub fn parameter(self) -> (&'static str, datafusion::common::ScalarValue) {
        let value = match self {
            OutcomeCohort::Closed => "closed",
            OutcomeCohort::Received => "received",
        };
        (
            "outcome_cohort",
            datafusion::common::ScalarValue::Utf8(Some(value.to_string())),
        )
    }

    /// How the tables name the cohort.
    pub fn label(self) -> &'static str {
        match self {
            OutcomeCohort::Closed => "closed in the period",
            OutcomeCohort::Received => "received in the period",
        }
    }
}

/// The label of NHS financial-year quarter `quarter` (1–4) of the year starting in April of `fy`: `2025/26 Q2`.
pub fn quarter_label(fy: i64, quarter: i64) -> String {
    format!("{fy}/{:02} Q{quarter}", (fy + 1).rem_euclid(100))
}

#[cfg(test)]
mod label_tests {
    use super::*;

    fn labels(p: &str) -> Vec<(Comparison, String)> {
        Period::parse(p)
            .unwrap()
            .comparisons()
            .into_iter()
            .map(|(c, p)| (c, p.label))
            .collect()
    }

    #[test]
    fn each_kind_of_period_has_its_earlier_periods() {
        use Comparison::*;
        assert_eq!(
            labels("2025/26 Q1"),
            [
                (Previous, "2024/25 Q4".into()),
                (YearEarlier, "2024/25 Q1".into())
            ]
        );
        assert_eq!(
            labels("2025/26 Q4"),
            [
                (Previous, "2025/26 Q3".into()),
                (YearEarlier, "2024/25 Q4".into())
            ]
        );
        assert_eq!(labels("2024/25"), [(PreviousYear, "2023/24".into())]);
        assert_eq!(labels("2000/01"), [(PreviousYear, "1999/00".into())]);
        assert_eq!(
            labels("rolling 2025/26 Q1"),
            [(PreviousYear, "four quarters to 2024/25 Q1".into())]
        );
        let rolling = Period::parse("rolling 2025/26 Q1").unwrap().comparisons();
        assert_eq!(
            (rolling[0].1.start, rolling[0].1.end),
            (
                NaiveDate::from_ymd_opt(2023, 7, 1).unwrap(),
                NaiveDate::from_ymd_opt(2024, 6, 30).unwrap()
            )
        );
        assert_eq!(
            labels("2025-01-01..2025-01-31"),
            [
                (Previous, "2024-12-01 to 2024-12-31".into()),
                (YearEarlier, "2024-01-01 to 2024-01-31".into())
            ]
        );
        assert_eq!(
            labels("2024-01-01..2024-12-31"),
            [(PreviousYear, "2023-01-01 to 2023-12-31".into())],
            "a calendar year's previous year is the year before"
        );
        assert_eq!(
            labels("2023-01-01..2024-06-30"),
            [(Previous, "2021-07-03 to 2022-12-31".into())],
            "a period over a year long has no same dates a year earlier"
        );
    }

    #[test]
    fn a_trend_runs_eight_quarters_or_back_to_the_earliest_comparison() {
        let q = Period::parse("2025/26 Q2").unwrap();
        let from = q.comparisons().iter().map(|c| c.1.start).min().unwrap();
        let quarters: Vec<String> = q
            .trend_quarters(from)
            .into_iter()
            .map(|p| p.label)
            .collect();
        assert_eq!(quarters.first().unwrap(), "2023/24 Q3");
        assert_eq!(quarters.last().unwrap(), "2025/26 Q2");
        assert_eq!(quarters.len(), 8);
        let dates = Period::parse("2022-01-01..2025-08-15").unwrap();
        let quarters = dates.trend_quarters(NaiveDate::from_ymd_opt(2019, 5, 1).unwrap());
        assert_eq!(quarters.first().unwrap().label, "2019/20 Q1");
        assert_eq!(
            quarters.last().unwrap().label,
            "2025/26 Q1",
            "a quarter the period ends inside is left out"
        );
        assert_eq!(
            quarter_of(NaiveDate::from_ymd_opt(2025, 3, 31).unwrap()),
            (2024, 4)
        );
        assert_eq!(
            quarter_of(NaiveDate::from_ymd_opt(2025, 4, 1).unwrap()),
            (2025, 1)
        );
    }

    #[test]
    fn quarter_labels_round_trip_through_parse() {
        for (fy, q) in [(2024, 1), (2025, 2), (2099, 4), (1999, 3)] {
            let label = quarter_label(fy, q);
            let period = Period::parse(&label).unwrap();
            assert_eq!(period.label, label);
        }
        assert_eq!(quarter_label(2025, 2), "2025/26 Q2");
        assert_eq!(quarter_label(2099, 4), "2099/00 Q4");
    }
}
