//! Indirect standardisation: observed events against those expected had a
//! population experienced reference rates, stratum by stratum (age band and
//! sex, optionally deprivation).
//!
//! Expected E = Σᵢ nᵢ · rᵢ, with rᵢ = (reference events)ᵢ / (reference
//! population)ᵢ; the standardised ratio is O / E, with O's Poisson interval
//! (exact below 10 events, Byar's from 10: [`crate::poisson::poisson_interval`])
//! divided by E; the indirectly standardised rate is the ratio times the
//! reference population's crude rate, Σ events / Σ population, per `per`.
//! As the public health indicator methods (PHEindicatormethods `calculate_ISRatio`,
//! `calculate_ISRate`) compute them.

use crate::poisson::poisson_interval;

/// One stratum of the population studied, with its reference.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Stratum {
    /// The population studied in the stratum (people or person-years).
    pub population: f64,
    /// Reference events in the stratum.
    pub reference_events: f64,
    /// Reference population in the stratum.
    pub reference_population: f64,
}

/// Expected events: Σ population × reference events / reference population
/// (a stratum without reference population contributes nothing).
pub fn expected(strata: &[Stratum]) -> f64 {
    strata
        .iter()
        .filter(|s| s.reference_population > 0.0)
        .map(|s| s.population * s.reference_events / s.reference_population)
        .sum()
}

/// An estimate with its interval at one confidence level.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// The estimate.
    pub value: f64,
    /// Lower limit (NaN where it is undefined).
    pub lower: f64,
    /// Upper limit.
    pub upper: f64,
}

/// The standardised ratio O / E with its interval at `level` (NaN when E is
/// not positive).
pub fn ratio(observed: f64, expected: f64, level: f64) -> Interval {
    if expected.is_nan() || expected <= 0.0 {
        return Interval {
            value: f64::NAN,
            lower: f64::NAN,
            upper: f64::NAN,
        };
    }
    let (lower, upper) = poisson_interval(observed, level);
    Interval {
        value: observed / expected,
        lower: lower.map_or(f64::NAN, |l| l / expected),
        upper: upper / expected,
    }
}

/// The indirectly standardised rate per `per`: the ratio (and its limits)
/// times the reference crude rate Σ events / Σ population.
pub fn rate(observed: f64, strata: &[Stratum], level: f64, per: f64) -> Interval {
    let events: f64 = strata.iter().map(|s| s.reference_events).sum();
    let population: f64 = strata.iter().map(|s| s.reference_population).sum();
    let crude = per * events / population;
    let r = ratio(observed, expected(strata), level);
    Interval {
        value: r.value * crude,
        lower: r.lower * crude,
        upper: r.upper * crude,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;

    /// The public health indicator methods' test data
    /// (`../shared/reference/PHEindicatormethods`), when present: the expected
    /// count, the ratio and the rates per 100,000 and 1,000 with their 95% and
    /// 99.8% limits, exact below 10 events and Byar's above, for three areas.
    #[test]
    fn ratios_and_rates_match_the_public_health_indicator_methods() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/PHEindicatormethods/xlsx_as_csv");
        let (Ok(data), Ok(results)) = (
            std::fs::read_to_string(root.join("testdata_DSR_ISR__testdata_multiarea_isr.csv")),
            std::fs::read_to_string(root.join("testdata_DSR_ISR__testresults_ISR.csv")),
        ) else {
            eprintln!("skipped: ../shared/reference is absent");
            return;
        };
        // area -> (observed, strata)
        let mut areas: std::collections::BTreeMap<String, (f64, Vec<Stratum>)> =
            std::collections::BTreeMap::new();
        for line in data.lines().skip(1) {
            let f: Vec<&str> = line.trim_end().split(',').collect();
            // An empty cell (a stratum with nothing recorded) counts as 0.
            let n = |i: usize| f[i].trim().parse::<f64>().unwrap_or(0.0);
            let area = areas.entry(f[0].to_string()).or_default();
            area.0 += n(2);
            area.1.push(Stratum {
                population: n(3),
                reference_events: n(4),
                reference_population: n(5),
            });
        }
        let mut checked = 0;
        for line in results.lines().skip(1) {
            let f: Vec<&str> = line.trim_end().split(',').collect();
            let n = |i: usize| f[i].trim().parse::<f64>().ok();
            // Results for areas of another test file are not ours to check.
            let Some((observed, strata)) = areas.get(f[0]) else {
                continue;
            };
            let n = |i: usize| n(i).unwrap_or(f64::NAN);
            assert_close(*observed, n(1), 0.0, &format!("{} observed", f[0]));
            assert_close(expected(strata), n(2), 1e-12, "expected");
            let statistic = f[9];
            let estimate = |level: f64| {
                if statistic.contains("ratio") {
                    let times: f64 = statistic.rsplit(' ').next().unwrap().parse().unwrap();
                    let r = ratio(*observed, expected(strata), level);
                    Interval {
                        value: times * r.value,
                        lower: times * r.lower,
                        upper: times * r.upper,
                    }
                } else {
                    let per = if statistic.contains("100000") {
                        1e5
                    } else {
                        1e3
                    };
                    rate(*observed, strata, level, per)
                }
            };
            let (a, b) = (estimate(0.95), estimate(0.998));
            for (got, want, what) in [
                (a.value, n(4), "value"),
                (a.lower, n(5), "lower 95%"),
                (a.upper, n(6), "upper 95%"),
                (b.lower, n(7), "lower 99.8%"),
                (b.upper, n(8), "upper 99.8%"),
            ] {
                if want.is_finite() {
                    assert_close(got, want, 1e-9, &format!("{} {statistic} {what}", f[0]));
                }
            }
            checked += 1;
        }
        assert!(checked >= 9, "checked {checked} results");
    }

    #[test]
    fn a_ratio_without_expected_events_is_undefined() {
        assert!(ratio(3.0, 0.0, 0.95).value.is_nan());
        let r = ratio(0.0, 4.0, 0.95);
        assert_eq!((r.value, r.lower), (0.0, 0.0));
        // Exact upper limit for 0 events: χ²(0.975; 2)/2 = −ln(0.025).
        assert_close(r.upper, -(0.025f64.ln()) / 4.0, 1e-12, "upper for none");
    }
}
