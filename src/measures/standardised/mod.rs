//! Indirectly standardised referral ratios: each practice's and PCN's
//! referrals against those expected had its registered list been referred at
//! the scheme's rate in each age band and sex.
//!
//! The reference rates are the scheme's own (`referral_strata`: referrals
//! and list size in each age band and sex, every practice together), or a
//! reference population's supplied by the user ([`reference`]); strata may
//! also be split by IMD quintile (`standardise_by_deprivation`). A
//! unit's expected referrals are E = Σ list × (referrals / list) over the
//! strata, its ratio O / E with O's exact Poisson interval (Byar's from 10
//! events) over E, at 95% and 99.8% ([`crate::stats::standardised`]). The
//! PCNs' ratios are also a funnel against E
//! ([`crate::measures::benchmark::standardised_ratio_funnel`]).
//!
//! As published, E is worked out again from the reference rates as
//! published (`crate::disclosure::standardised`): from exact stratum counts,
//! expected referrals over many practices would give the strata's exact
//! counts away. Supplied rates are not the scheme's, so they are used as
//! given.

pub mod reference;

use std::collections::BTreeMap;

use datafusion::prelude::SessionContext;

use super::period::Period;
use super::query::Query;
use super::table::{
    OutTable, Sums, TableBuilder, TableDef, count, int_at, int_value, num_label, num_value,
    poisson_bound, quotient, text, text_column, text_value,
};
use crate::batch::Value;
use crate::error::Result;
use crate::stats::poisson::poisson_interval;
use crate::stats::standardised::{self, Stratum};

/// `queries/referral_strata.sql`.
pub const REFERRAL_STRATA_SQL: Query = crate::measure_file!("referral_strata");

/// The breakdown of a stratum row in `referral_strata`.
pub const STRATUM_BREAKDOWN: &str = "stratum";

/// The value of a stratum's part that is not split (the IMD quintile when
/// strata are by age band and sex only), and of every part on the `all` row.
pub const ALL: &str = "all";

/// How the standardised referral ratios are computed.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StandardisationOptions {
    /// Strata by IMD quintile too, not only by age band and sex.
    pub by_deprivation: bool,
    /// A reference population's rates instead of the scheme's own.
    pub reference: Option<reference::ReferenceRates>,
}

/// The table's declaration.
pub const REFERRAL_STRATA: TableDef = TableDef {
    name: "referral_strata",
    description: "Referrals received and the registered list in one age band and sex, all practices together: the reference rates of the standardised referral ratios",
    queries: &[REFERRAL_STRATA_SQL],
    columns: &[
        text("period", "Reporting period"),
        text(
            "breakdown",
            "stratum for one age band and sex (and IMD quintile when standardised by deprivation), all for every referral and the whole list",
        ),
        text("age_band", "Age band at referral (all on the all row)"),
        text("sex", "Sex (all on the all row)"),
        text(
            "imd_quintile",
            "IMD quintile, 1 most deprived (all unless standardised by deprivation)",
        ),
        count("referrals", "Referrals received in the period"),
        count(
            "population",
            "Registered list in the age band and sex (empty where the population table has none)",
        ),
        quotient(
            "rate_per_1000",
            "referrals",
            "population",
            1000.0,
            "Referrals per 1,000 registered: the reference rate",
        ),
        crate::measures::service::REFERRAL_RATE_LOWER,
        crate::measures::service::REFERRAL_RATE_UPPER,
    ],
    sums: Sums {
        breakdown_key: &["period"],
        overlapping: &[],
        not_summed: &[],
        row_parts: &[],
    },
};

/// The table's declaration.
pub const STANDARDISED_RATIOS: TableDef = TableDef {
    name: "standardised_ratios",
    description: "One practice's or PCN's referrals against those expected at the scheme's rate in each age band and sex (indirectly standardised referral ratio)",
    queries: &[REFERRAL_STRATA_SQL],
    columns: &[
        text("period", "Reporting period"),
        text("breakdown", "practice_code or pcn_code"),
        text("group", "The practice or PCN"),
        count(
            "observed",
            "Referrals received in the period by people registered with it",
        ),
        num_label(
            "expected",
            "Referrals expected at the reference rates: Σ list in each stratum × its rate, the scheme's as referral_strata publishes them (or the supplied reference population's; a stratum it lacks takes its overall rate)",
        ),
        quotient(
            "ratio",
            "observed",
            "expected",
            1.0,
            "Standardised referral ratio, observed / expected (1: referred as often as the scheme's rates for its ages and sexes predict)",
        ),
        poisson_bound(
            "lower95",
            "observed",
            "expected",
            1.0,
            0.95,
            false,
            "Lower 95% limit: the exact Poisson limit of observed (Byar's from 10) / expected",
        ),
        poisson_bound(
            "upper95",
            "observed",
            "expected",
            1.0,
            0.95,
            true,
            "Upper 95% limit",
        ),
        poisson_bound(
            "lower998",
            "observed",
            "expected",
            1.0,
            0.998,
            false,
            "Lower 99.8% limit",
        ),
        poisson_bound(
            "upper998",
            "observed",
            "expected",
            1.0,
            0.998,
            true,
            "Upper 99.8% limit",
        ),
    ],
    sums: Sums {
        breakdown_key: &["period"],
        overlapping: &[],
        not_summed: &[],
        row_parts: &[],
    },
};

/// An age band, sex and IMD quintile ([`ALL`] when not by deprivation).
pub type StratumKey = (String, String, String);

/// The reference: each stratum's referrals and registered list.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Reference {
    /// The strata with a registered list, in order.
    pub strata: Vec<StratumKey>,
    /// Referrals in each.
    pub referrals: Vec<f64>,
    /// Registered list in each.
    pub population: Vec<f64>,
}

/// One practice or PCN.
#[derive(Debug, Clone, PartialEq)]
pub struct Unit {
    /// `practice_code` or `pcn_code`.
    pub breakdown: &'static str,
    /// The practice or PCN.
    pub group: String,
    /// Referrals received (every age band and sex, known or not).
    pub observed: f64,
    /// Its registered list in each reference stratum.
    pub population: Vec<f64>,
}

/// Everything the standardised ratios are computed from.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Standardisation {
    /// Reporting period.
    pub period: String,
    /// Strata by IMD quintile too.
    pub by_deprivation: bool,
    /// The supplied reference's source, when the rates are not the scheme's.
    pub supplied: Option<String>,
    /// Strata with a registered list that the supplied reference lacks
    /// (they take its overall rate).
    pub missing_from_reference: Vec<StratumKey>,
    /// The scheme's strata, including those without a list (for `referral_strata`).
    pub strata: Vec<(StratumKey, f64, Option<f64>)>,
    /// The reference rates.
    pub reference: Reference,
    /// Practices, then PCNs.
    pub units: Vec<Unit>,
}

impl Reference {
    /// Each stratum's rate, referrals / population (0 without a population).
    pub fn rates(&self) -> Vec<f64> {
        self.referrals
            .iter()
            .zip(&self.population)
            .map(|(x, n)| if *n > 0.0 { x / n } else { 0.0 })
            .collect()
    }

    /// A unit's expected referrals at other rates, one per stratum:
    /// Σ list × rate.
    pub fn expected_at(&self, unit: &Unit, rates: &[f64]) -> f64 {
        unit.population.iter().zip(rates).map(|(n, r)| n * r).sum()
    }

    /// A unit's expected referrals at these rates: Σ list × referrals / list
    /// ([`standardised::expected`]).
    pub fn expected(&self, unit: &Unit) -> f64 {
        let strata: Vec<Stratum> = unit
            .population
            .iter()
            .zip(self.referrals.iter().zip(&self.population))
            .map(
                |(&population, (&reference_events, &reference_population))| Stratum {
                    population,
                    reference_events,
                    reference_population,
                },
            )
            .collect();
        standardised::expected(&strata)
    }
}

/// Read the strata of `period` from the warehouse.
pub async fn standardisation(
    ctx: &SessionContext,
    period: &Period,
    options: &StandardisationOptions,
) -> Result<Standardisation> {
    let batches = REFERRAL_STRATA_SQL.run(ctx, &period.parameters()).await?;
    let mut rows = Vec::new();
    for b in &batches {
        let (Some(level), Some(unit), Some(age), Some(sex), Some(imd)) = (
            text_column(b, "level"),
            text_column(b, "unit"),
            text_column(b, "age_band"),
            text_column(b, "sex"),
            text_column(b, "imd_quintile"),
        ) else {
            continue;
        };
        for i in 0..b.num_rows() {
            rows.push(Row {
                level: level.value(i).to_string(),
                unit: unit.value(i).to_string(),
                stratum: (
                    age.value(i).to_string(),
                    sex.value(i).to_string(),
                    imd.value(i).to_string(),
                ),
                referrals: int_at(b, "referrals", i).unwrap_or(0) as f64,
                population: int_at(b, "population", i).map(|p| p as f64),
            });
        }
    }
    let s = from_rows(&period.label, &rows, options);
    let listed = || {
        s.strata
            .iter()
            .filter(|(_, _, n)| n.is_some_and(|n| n > 0.0))
    };
    if options.by_deprivation
        && listed().next().is_some()
        && listed().all(|(k, _, _)| k.2 == "unknown")
    {
        return Err(crate::error::Error::Usage(
            "standardising referral ratios by deprivation needs the registered list by IMD quintile, but the population extract gives none (its imd_quintile column is empty)\n  fix: supply a population extract with imd_quintile, or standardise by age band and sex only (leave out standardise_by_deprivation)".to_string(),
        ));
    }
    Ok(s)
}

/// One row of `referral_strata.sql`.
#[derive(Debug, Clone)]
pub struct Row {
    /// `practice` or `pcn`.
    pub level: String,
    /// The practice or PCN.
    pub unit: String,
    /// Age band, sex and IMD quintile.
    pub stratum: StratumKey,
    /// Referrals.
    pub referrals: f64,
    /// Registered list (`None`: none supplied).
    pub population: Option<f64>,
}

/// The standardisation of the query's rows: the scheme's strata from the
/// practices' rows (IMD quintiles merged unless `by_deprivation`), the
/// reference rates (the scheme's, or the supplied reference's for the same
/// strata), and each practice's and PCN's observed referrals and list.
pub fn from_rows(period: &str, rows: &[Row], options: &StandardisationOptions) -> Standardisation {
    let key = |r: &Row| -> StratumKey {
        let (age, sex, imd) = &r.stratum;
        let imd = if options.by_deprivation {
            imd.clone()
        } else {
            ALL.to_string()
        };
        (age.clone(), sex.clone(), imd)
    };
    let mut strata: BTreeMap<StratumKey, (f64, Option<f64>)> = BTreeMap::new();
    for r in rows.iter().filter(|r| r.level == "practice") {
        let s = strata.entry(key(r)).or_insert((0.0, None));
        s.0 += r.referrals;
        if let Some(p) = r.population {
            s.1 = Some(s.1.unwrap_or(0.0) + p);
        }
    }
    let mut reference = Reference::default();
    let mut missing_from_reference = Vec::new();
    let overall = options.reference.as_ref().map(|r| r.overall());
    for (k, (referrals, population)) in &strata {
        if let Some(p) = population.filter(|p| *p > 0.0) {
            let (x, n) = match (&options.reference, overall) {
                (Some(supplied), Some(overall)) => supplied.stratum(k).unwrap_or_else(|| {
                    missing_from_reference.push(k.clone());
                    overall
                }),
                _ => (*referrals, p),
            };
            reference.strata.push(k.clone());
            reference.referrals.push(x);
            reference.population.push(n);
        }
    }
    let mut units: BTreeMap<(usize, String), Unit> = BTreeMap::new();
    for r in rows {
        let (order, breakdown) = match r.level.as_str() {
            "practice" => (0, "practice_code"),
            _ => (1, "pcn_code"),
        };
        let unit = units
            .entry((order, r.unit.clone()))
            .or_insert_with(|| Unit {
                breakdown,
                group: r.unit.clone(),
                observed: 0.0,
                population: vec![0.0; reference.strata.len()],
            });
        unit.observed += r.referrals;
        if let (Some(p), Ok(s)) = (r.population, reference.strata.binary_search(&key(r))) {
            unit.population[s] += p;
        }
    }
    Standardisation {
        period: period.to_string(),
        by_deprivation: options.by_deprivation,
        supplied: options.reference.as_ref().map(|r| r.source.clone()),
        missing_from_reference,
        strata: strata.into_iter().map(|(k, (x, n))| (k, x, n)).collect(),
        reference,
        units: units.into_values().collect(),
    }
}

/// `referral_strata` and `standardised_ratios`, exact.
pub fn tables(s: &Standardisation) -> Result<Vec<OutTable>> {
    let mut strata = TableBuilder::new(&REFERRAL_STRATA);
    let rate_row = |t: &mut TableBuilder,
                    breakdown: &str,
                    (age, sex, imd): (&str, &str, &str),
                    x: f64,
                    n: Option<f64>| {
        let rate = |v: f64| n.filter(|n| *n > 0.0).map(|n| 1000.0 * v / n);
        let (lower, upper) = poisson_interval(x, 0.95);
        t.push_named(&[
            ("period", text_value(&s.period)),
            ("breakdown", text_value(breakdown)),
            ("age_band", text_value(age)),
            ("sex", text_value(sex)),
            ("imd_quintile", text_value(imd)),
            ("referrals", int_value(x as i64)),
            ("population", n.map_or(Value::Null, |n| int_value(n as i64))),
            ("rate_per_1000", opt(rate(x))),
            ("rate_lower", opt(lower.and_then(rate))),
            ("rate_upper", opt(rate(upper))),
        ]);
    };
    let total: f64 = s.strata.iter().map(|s| s.1).sum();
    let list: Option<f64> = s.strata.iter().filter_map(|s| s.2).reduce(|a, b| a + b);
    if !s.strata.is_empty() {
        rate_row(&mut strata, ALL, (ALL, ALL, ALL), total, list);
    }
    for ((age, sex, imd), x, n) in &s.strata {
        rate_row(&mut strata, STRATUM_BREAKDOWN, (age, sex, imd), *x, *n);
    }
    let mut ratios = TableBuilder::new(&STANDARDISED_RATIOS);
    for u in &s.units {
        ratio_row(&mut ratios, &s.period, u, s.reference.expected(u));
    }
    Ok(vec![strata.finish()?, ratios.finish()?])
}

/// A number, or empty where it is not finite.
fn opt(x: Option<f64>) -> Value {
    x.filter(|x| x.is_finite()).map_or(Value::Null, num_value)
}

/// One unit's row of `standardised_ratios`.
fn ratio_row(t: &mut TableBuilder, period: &str, u: &Unit, expected: f64) {
    let at95 = standardised::ratio(u.observed, expected, 0.95);
    let at998 = standardised::ratio(u.observed, expected, 0.998);
    let finite = |x: f64| opt(Some(x));
    t.push_named(&[
        ("period", text_value(period)),
        ("breakdown", text_value(u.breakdown)),
        ("group", text_value(&u.group)),
        ("observed", int_value(u.observed as i64)),
        ("expected", finite(expected)),
        ("ratio", finite(at95.value)),
        ("lower95", finite(at95.lower)),
        ("upper95", finite(at95.upper)),
        ("lower998", finite(at998.lower)),
        ("upper998", finite(at998.upper)),
    ]);
}

impl Standardisation {
    /// What the ratios are standardised by and against, for titles: "age
    /// band and sex, the scheme's rates".
    pub fn basis(&self) -> String {
        format!(
            "{}, {}",
            if self.by_deprivation {
                "age band, sex and IMD quintile"
            } else {
                "age band and sex"
            },
            match &self.supplied {
                Some(source) => format!("rates of {source}"),
                None => "the scheme's rates".to_string(),
            }
        )
    }
}

/// The PCNs' observed and expected referrals, for their funnel
/// ([`crate::measures::benchmark::standardised_ratio_funnel`]).
pub fn pcn_units(s: &Standardisation) -> Vec<(String, f64, f64)> {
    s.units
        .iter()
        .filter(|u| u.breakdown == "pcn_code")
        .map(|u| (u.group.clone(), u.observed, s.reference.expected(u)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(level: &str, unit: &str, age: &str, sex: &str, x: f64, n: Option<f64>) -> Row {
        Row {
            level: level.to_string(),
            unit: unit.to_string(),
            stratum: (age.to_string(), sex.to_string(), "1".to_string()),
            referrals: x,
            population: n,
        }
    }

    /// Two practices in one PCN; the scheme's rates are 10/1000 (young) and
    /// 40/2000 (old). Practice A: 600 young, 400 old → E = 6 + 8 = 14;
    /// practice B: 400 young, 1,600 old → E = 4 + 32 = 36. Their PCN: 50 = the
    /// scheme's 50 referrals (internal standardisation). One referral of
    /// unknown age counts in A's observed but in no stratum.
    fn sample() -> Vec<Row> {
        vec![
            row("practice", "A", "18-24", "female", 4.0, Some(600.0)),
            row("practice", "A", "65-74", "female", 12.0, Some(400.0)),
            row("practice", "A", "unknown", "female", 1.0, None),
            row("practice", "B", "18-24", "female", 6.0, Some(400.0)),
            row("practice", "B", "65-74", "female", 28.0, Some(1600.0)),
            row("pcn", "P1", "18-24", "female", 10.0, Some(1000.0)),
            row("pcn", "P1", "65-74", "female", 40.0, Some(2000.0)),
            row("pcn", "P1", "unknown", "female", 1.0, None),
        ]
    }

    #[test]
    fn expected_referrals_are_the_list_at_the_schemes_rates() {
        let s = from_rows("2024/25", &sample(), &StandardisationOptions::default());
        assert_eq!(s.reference.strata.len(), 2);
        let e: Vec<f64> = s.units.iter().map(|u| s.reference.expected(u)).collect();
        let close = |a: f64, b: f64| (a - b).abs() < 1e-12;
        assert!(
            close(e[0], 14.0) && close(e[1], 36.0) && close(e[2], 50.0),
            "{e:?}"
        );
        assert_eq!(
            s.units.iter().map(|u| u.observed).collect::<Vec<_>>(),
            [17.0, 34.0, 51.0]
        );
        // The strata table keeps the stratum without a list; its all row
        // adds every referral.
        let t = tables(&s).unwrap();
        assert_eq!(t[0].batch.num_rows(), 4);
        assert_eq!(int_at(&t[0].batch, "referrals", 0), Some(51));
        assert_eq!(int_at(&t[0].batch, "population", 0), Some(3000));
    }

    #[test]
    fn ratios_carry_exact_poisson_limits_at_both_levels() {
        let s = from_rows("2024/25", &sample(), &StandardisationOptions::default());
        let t = tables(&s).unwrap();
        let b = &t[1].batch;
        let num = |name: &str, i: usize| {
            use datafusion::arrow::array::AsArray;
            use datafusion::arrow::datatypes::Float64Type;
            b.column_by_name(name)
                .unwrap()
                .as_primitive::<Float64Type>()
                .value(i)
        };
        // Practice A: 17 observed of 14 expected; Byar's limits (17 ≥ 10).
        assert!((num("ratio", 0) - 17.0 / 14.0).abs() < 1e-12);
        let (l95, u95) = poisson_interval(17.0, 0.95);
        assert!((num("lower95", 0) - l95.unwrap() / 14.0).abs() < 1e-12);
        assert!((num("upper95", 0) - u95 / 14.0).abs() < 1e-12);
        assert!(num("lower998", 0) < num("lower95", 0));
        assert!(num("upper998", 0) > num("upper95", 0));
        let pcns = pcn_units(&s);
        assert_eq!(pcns.len(), 1);
        assert_eq!(pcns[0].0, "P1");
        assert!((pcns[0].1 - 51.0).abs() < 1e-12 && (pcns[0].2 - 50.0).abs() < 1e-12);
    }

    /// Quintile q of a row: the same sample split across IMD quintiles 1
    /// and 2 within practice A's young women.
    fn with_quintile(mut r: Row, q: &str) -> Row {
        r.stratum.2 = q.to_string();
        r
    }

    #[test]
    fn strata_split_by_deprivation_only_when_asked() {
        // Practice A's young women: 1 referral of 200 in quintile 1, 3 of 400
        // in quintile 2 (4 of 600 together, as in the sample).
        let mut rows = sample();
        rows.remove(0);
        rows.push(with_quintile(
            row("practice", "A", "18-24", "female", 1.0, Some(200.0)),
            "1",
        ));
        rows.push(with_quintile(
            row("practice", "A", "18-24", "female", 3.0, Some(400.0)),
            "2",
        ));
        let merged = from_rows("2024/25", &rows, &StandardisationOptions::default());
        assert_eq!(merged.reference.strata.len(), 2, "quintiles added up");
        assert!(merged.reference.strata.iter().all(|k| k.2 == ALL));
        assert_eq!(merged.basis(), "age band and sex, the scheme's rates");
        let split = from_rows(
            "2024/25",
            &rows,
            &StandardisationOptions {
                by_deprivation: true,
                reference: None,
            },
        );
        // Young women in quintile 1: A's 1 of 200 with B's 6 of 400 (the
        // sample's rows are all in quintile 1); in quintile 2, A's 3 of 400.
        let young_1 = ("18-24".to_string(), "female".to_string(), "1".to_string());
        let at = split.reference.strata.binary_search(&young_1).unwrap();
        assert!((split.reference.referrals[at] - 7.0).abs() < 1e-12);
        assert!((split.reference.population[at] - 600.0).abs() < 1e-12);
        assert_eq!(split.reference.strata.len(), 3);
        assert_eq!(
            split.basis(),
            "age band, sex and IMD quintile, the scheme's rates"
        );
    }

    #[test]
    fn supplied_rates_replace_the_schemes_and_a_missing_stratum_takes_their_overall_rate() {
        let supplied = reference::ReferenceRates {
            source: "england.csv (sha256 0123456789ab)".to_string(),
            strata: BTreeMap::from([(
                ("18-24".to_string(), "female".to_string(), "1".to_string()),
                (20.0, 1000.0),
            )]),
            by_deprivation: true,
        };
        // By age band and sex: the file's quintile 1 is all it has of young
        // women; it has no old women, who take its overall rate (20/1000).
        let s = from_rows(
            "2024/25",
            &sample(),
            &StandardisationOptions {
                by_deprivation: false,
                reference: Some(supplied),
            },
        );
        assert_eq!(
            s.missing_from_reference,
            [("65-74".to_string(), "female".to_string(), ALL.to_string())]
        );
        // Practice A: 600 young + 400 old at 20/1000 = 20 expected.
        assert!((s.reference.expected(&s.units[0]) - 20.0).abs() < 1e-12);
        assert_eq!(
            s.basis(),
            "age band and sex, rates of england.csv (sha256 0123456789ab)"
        );
        // The strata table still shows the scheme's own counts.
        let t = tables(&s).unwrap();
        assert_eq!(int_at(&t[0].batch, "referrals", 0), Some(51));
    }
}
