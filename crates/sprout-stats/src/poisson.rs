//! Confidence intervals for a Poisson count: exact below 10 events, Byar's approximation from 10.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

/// The two-sided normal quantile of a confidence level: Φ⁻¹(1 − (1 − level)/2).
pub fn z_of(level: f64) -> f64 {
    Normal::standard().inverse_cdf(1.0 - (1.0 - level) / 2.0)
}

/// Byar's lower limit O(1 − 1/(9O) − z/(3√O))³; `None` when the bracket is negative or O = 0.
pub fn byar_lower(o: f64, z: f64) -> Option<f64> {
    if o <= 0.0 {
        return None;
    }
    let base = 1.0 - 1.0 / (9.0 * o) - z / (3.0 * o.sqrt());
    (base >= 0.0).then(|| o * base.powi(3))
}

/// Byar's upper limit (O + 1)(1 − 1/(9(O + 1)) + z/(3√(O + 1)))³.
pub fn byar_upper(o: f64, z: f64) -> f64 {
    let o1 = o + 1.0;
    o1 * (1.0 - 1.0 / (9.0 * o1) + z / (3.0 * o1.sqrt())).powi(3)
}

/// Exact limits from the chi-squared relation: lower = χ²(α/2; 2O)/2 (0 when O = 0),
/// upper = χ²(1 − α/2; 2O + 2)/2, α = 1 − level.
pub fn exact_poisson(o: f64, level: f64) -> (f64, f64) {
    let alpha = 1.0 - level;
    let lower = if o <= 0.0 {
        0.0
    } else {
        ChiSquared::new(2.0 * o).map_or(f64::NAN, |c| c.inverse_cdf(alpha / 2.0) / 2.0)
    };
    let upper =
        ChiSquared::new(2.0 * o + 2.0).map_or(f64::NAN, |c| c.inverse_cdf(1.0 - alpha / 2.0) / 2.0);
    (lower, upper)
}

/// The interval for a count as public health indicator methods give it: exact
/// below 10 events, Byar's from 10 (lower is `None` where Byar's is undefined).
pub fn poisson_interval(o: f64, level: f64) -> (Option<f64>, f64) {
    if o < 10.0 {
        let (lower, upper) = exact_poisson(o, level);
        (Some(lower), upper)
    } else {
        let z = z_of(level);
        (byar_lower(o, z), byar_upper(o, z))
    }
}

/// Ratio of two rates with fixed denominators, (x₁/n₁)/(x₂/n₂), with the 95%
/// log-normal interval exp(log RR ± z·√(1/x₁ + 1/x₂)); `None` when a count or
/// denominator is zero.
pub fn rate_ratio(x1: f64, n1: f64, x2: f64, n2: f64) -> Option<(f64, f64, f64)> {
    if x1 <= 0.0 || x2 <= 0.0 || n1 <= 0.0 || n2 <= 0.0 {
        return None;
    }
    let rr = (x1 / n1) / (x2 / n2);
    let half = super::Z95 * (1.0 / x1 + 1.0 / x2).sqrt();
    Some((rr, (rr.ln() - half).exp(), (rr.ln() + half).exp()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;

    #[test]
    fn byar_limits_match_the_public_health_methods_test_data() {
        // (x, level, lower, upper) from PHEindicatormethods testdata_Byars_Wilson (committed copy).
        let cases = [
            (65.0, 0.95, Some(50.163187710459454), 82.84913854593984),
            (1045.0, 0.95, Some(982.5932018073325), 1110.33121298565),
            (1.0, 0.95, Some(0.01307213290150435), 5.5637555824752605),
            (65.0, 0.998, Some(42.8802614714802), 94.00029084431802),
            (1045.0, 0.998, Some(947.9407035610374), 1148.806160988033),
            (10.0, 0.998, Some(2.916318374695686), 24.193724927880535),
            (1.0, 0.998, None, 9.362180217908362),
        ];
        for (x, level, lower, upper) in cases {
            let z = z_of(level);
            match (byar_lower(x, z), lower) {
                (Some(got), Some(want)) => assert_close(got, want, 1e-9, "byar lower"),
                (got, want) => assert_eq!(got, want),
            }
            assert_close(byar_upper(x, z), upper, 1e-9, "byar upper");
        }
    }

    #[test]
    fn rate_ratios_match_the_reference_script() {
        let (rr, lo, hi) = rate_ratio(201.0, 694.0, 654.0, 2948.0).unwrap();
        assert_close(rr, 1.305528382201306, 1e-9, "rr");
        assert_close(lo, 1.114649209242426, 1e-9, "lower");
        assert_close(hi, 1.529094842216379, 1e-9, "upper");
        let (rr, lo, hi) = rate_ratio(3.0, 11.0, 852.0, 3631.0).unwrap();
        assert_close(rr, 1.1622919334186939, 1e-9, "rr small");
        assert_close(lo, 0.37411862549714436, 1e-9, "lower small");
        assert_close(hi, 3.610947027015839, 1e-9, "upper small");
        assert!(rate_ratio(0.0, 10.0, 5.0, 10.0).is_none());
    }

    #[test]
    fn exact_limits_below_ten_match_the_rate_test_data() {
        // Area1 and Area2 of testdata_Rate (per 100 of 100: the count itself).
        let (lo, hi) = exact_poisson(1.0, 0.95);
        assert_close(lo, 0.025317807984289897, 1e-9, "1 lower 95");
        assert_close(hi, 5.571643390938898, 1e-9, "1 upper 95");
        let (lo, hi) = exact_poisson(5.0, 0.998);
        assert_close(lo, 0.739371731917839, 1e-9, "5 lower 99.8");
        assert_close(hi, 16.454745203680105, 1e-9, "5 upper 99.8");
        let (lo, hi) = poisson_interval(20.0, 0.95);
        assert_close(lo.unwrap(), 12.211428834875937, 1e-9, "20 lower 95 (Byar)");
        assert_close(hi, 30.889880369197066, 1e-9, "20 upper 95 (Byar)");
        assert_close(exact_poisson(0.0, 0.95).0, 0.0, 1e-15, "0 lower");
    }

    #[test]
    fn rate_limits_match_the_shared_rate_test_data() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(
            "../../../shared/reference/PHEindicatormethods/xlsx_as_csv/testdata_Rate__testdata_Rate.csv",
        );
        let Ok(mut reader) = csv::ReaderBuilder::new().flexible(true).from_path(&path) else {
            eprintln!("skipped: {} is absent", path.display());
            return;
        };
        let mut checked = 0;
        for record in reader.records() {
            let r = record.unwrap();
            let numbers: Vec<Option<f64>> = (1..8)
                .map(|i| r.get(i).and_then(|v| v.parse().ok()))
                .collect();
            let (Some(count), Some(denominator)) = (numbers[0], numbers[1]) else {
                continue;
            };
            let Some(multiplier) = r.get(10).and_then(|v| v.parse::<f64>().ok()) else {
                continue;
            };
            for (level, lower, upper) in [
                (0.95, numbers[3], numbers[4]),
                (0.998, numbers[5], numbers[6]),
            ] {
                let (lo, hi) = poisson_interval(count, level);
                let scale = multiplier / denominator;
                if let (Some(lo), Some(want)) = (lo, lower) {
                    assert!(
                        (lo * scale - want).abs() <= 1e-6 * want.abs().max(1.0),
                        "{count} lower {level}"
                    );
                }
                if let Some(want) = upper {
                    assert!(
                        (hi * scale - want).abs() <= 1e-6 * want.abs().max(1.0),
                        "{count} upper {level}"
                    );
                }
            }
            checked += 1;
        }
        assert!(checked > 0);
    }
}
