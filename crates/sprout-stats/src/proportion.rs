//! Proportions: Wilson score intervals and McNemar's test of paired proportions.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::Z95;

/// A proportion with its 95% Wilson interval.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Proportion {
    /// Successes.
    pub x: u64,
    /// Trials.
    pub n: u64,
    /// x / n.
    pub p: f64,
    /// Lower Wilson limit.
    pub lower: f64,
    /// Upper Wilson limit.
    pub upper: f64,
}

/// x of n with the 95% Wilson score interval (no continuity correction):
/// [2x + z² ∓ z√(z² + 4x(1 − x/n))] / [2(n + z²)]. NaN when n = 0.
pub fn wilson(x: u64, n: u64) -> Proportion {
    let (lower, upper) = wilson_limits(x as f64, n as f64, Z95);
    Proportion {
        x,
        n,
        p: x as f64 / n as f64,
        lower,
        upper,
    }
}

/// Wilson score limits for x of n at normal quantile `z` (x need not be whole).
pub fn wilson_limits(x: f64, n: f64, z: f64) -> (f64, f64) {
    let z2 = z * z;
    let root = z * (z2 + 4.0 * x * (1.0 - x / n)).sqrt();
    let denominator = 2.0 * (n + z2);
    (
        ((2.0 * x + z2 - root) / denominator).max(0.0),
        ((2.0 * x + z2 + root) / denominator).min(1.0),
    )
}

/// McNemar's test of a change in a paired yes/no outcome.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McNemar {
    /// Pairs that went from yes to no.
    pub b: u64,
    /// Pairs that went from no to yes.
    pub c: u64,
    /// χ² = (|b − c| − 1)² / (b + c), with continuity correction (0 when |b − c| ≤ 1).
    pub statistic: f64,
    /// P(χ²₁ > statistic).
    pub p: f64,
}

/// McNemar's test with continuity correction (R's `mcnemar.test` default):
/// χ² = (|b − c| − 1)² / (b + c) on 1 degree of freedom; p = 1 when b + c = 0.
pub fn mcnemar(b: u64, c: u64) -> McNemar {
    let (bf, cf) = (b as f64, c as f64);
    if b + c == 0 {
        return McNemar {
            b,
            c,
            statistic: 0.0,
            p: 1.0,
        };
    }
    let statistic = ((bf - cf).abs() - 1.0).max(0.0).powi(2) / (bf + cf);
    let p = ChiSquared::new(1.0).map_or(f64::NAN, |chi| chi.sf(statistic));
    McNemar { b, c, statistic, p }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;

    #[test]
    fn wilson_matches_statsmodels() {
        let cases = [
            (65, 100, 0.5525444329688796, 0.7363575175690247),
            (0, 12, 0.0, 0.24249400665524096),
            (12, 12, 0.7575059933447589, 0.9999999999999999),
            (3, 31, 0.03346464416319739, 0.24899938443392844),
            (1234, 2500, 0.47402682208617153, 0.5131928160074193),
        ];
        for (x, n, lo, hi) in cases {
            let w = wilson(x, n);
            assert_close(w.lower, lo, 1e-9, &format!("{x}/{n} lower"));
            assert_close(w.upper, hi, 1e-9, &format!("{x}/{n} upper"));
            assert!(w.lower <= w.p && w.p <= w.upper);
        }
    }

    #[test]
    fn wilson_matches_the_public_health_methods_test_data() {
        // Rows of PHEindicatormethods testdata_Byars_Wilson (committed copy), 95% and 99.8%.
        let cases = [
            (65.0, 100.0, 0.95, 0.5525444329688797, 0.7363575175690247),
            (
                1045.0,
                5000.0,
                0.95,
                0.19795549880013297,
                0.22049130373189027,
            ),
            (0.445, 1.0, 0.95, 0.04381744772058822, 0.9334621276979156),
            (65.0, 100.0, 0.998, 0.4954946574070431, 0.7783540614089697),
            (
                1045.0,
                5000.0,
                0.998,
                0.19179381799015244,
                0.22731562902525818,
            ),
            (0.445, 1.0, 0.998, 0.019347006132900975, 0.9702259947019541),
        ];
        for (x, n, level, lo, hi) in cases {
            let (l, u) = wilson_limits(x, n, crate::poisson::z_of(level));
            assert_close(l, lo, 1e-9, "lower");
            assert_close(u, hi, 1e-9, "upper");
        }
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("../../../shared/reference/PHEindicatormethods/xlsx_as_csv/testdata_Proportion__testdata_Prop.csv");
        let Ok(mut reader) = csv::Reader::from_path(&path) else {
            eprintln!("skipped: {} is absent", path.display());
            return;
        };
        let mut checked = 0;
        for record in reader.records() {
            let r = record.unwrap();
            let (Ok(x), Ok(n), Ok(lo95), Ok(hi95), Ok(lo998), Ok(hi998)) = (
                r[1].parse::<f64>(),
                r[2].parse::<f64>(),
                r[4].parse::<f64>(),
                r[5].parse::<f64>(),
                r[6].parse::<f64>(),
                r[7].parse::<f64>(),
            ) else {
                continue;
            };
            let multiplier: f64 = r[10].parse().unwrap_or(1.0);
            let (l, u) = wilson_limits(x, n, crate::poisson::z_of(0.95));
            assert!(
                (l * multiplier - lo95).abs() < 1e-6 && (u * multiplier - hi95).abs() < 1e-6,
                "{x}/{n}"
            );
            let (l, u) = wilson_limits(x, n, crate::poisson::z_of(0.998));
            assert!(
                (l * multiplier - lo998).abs() < 1e-6 && (u * multiplier - hi998).abs() < 1e-6,
                "{x}/{n}"
            );
            checked += 1;
        }
        assert!(checked > 0);
    }

    #[test]
    fn mcnemar_matches_statsmodels() {
        let cases = [
            (25, 10, 5.6, 0.01796047752607879),
            (3, 9, 2.0833333333333335, 0.14891467317876161),
            (40, 41, 0.0, 1.0),
            (12, 0, 10.083333333333334, 0.0014961642897455517),
        ];
        for (b, c, stat, p) in cases {
            let m = mcnemar(b, c);
            assert_close(m.statistic, stat, 1e-9, &format!("{b},{c} statistic"));
            assert_close(m.p, p, 1e-9, &format!("{b},{c} p"));
        }
        assert!((mcnemar(0, 0).p - 1.0).abs() < 1e-15);
    }
}
