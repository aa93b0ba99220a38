//! Disclosure policies as data: each is one [`Rules`] definition (the
//! threshold under which counts are withheld, how the others are rounded, how
//! statistics are shown), and everything else — suppression, rounding, the
//! audit's inversion of a rounded count, and every sentence that names the
//! policy — asks it.

use serde::{Deserialize, Serialize};

/// How outputs are protected before they are published.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Policy {
    /// NHS Digital (HES/ECDS) rules: 1–7 as `*`, nearest 5.
    NhsDigital,
    /// OpenSAFELY: ≤ 7 redacted, midpoint-6 rounding.
    #[serde(rename = "opensafely")]
    OpenSafely,
    /// ONS style: 1–9 as `*`, nearest 10.
    Ons,
    /// No disclosure control: internal use only, stamped "NOT FOR PUBLICATION".
    None,
}

/// How published counts are rounded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rounding {
    /// Exact counts.
    Exact,
    /// To the nearest multiple of the base, halves away from zero: `b·round(n/b)`.
    Nearest(u32),
    /// OpenSAFELY "midpoint 6": `⌈n/6⌉·6 − 3`, so 7–12 → 9, 13–18 → 15.
    Midpoint6,
}

/// One policy's numbers and words.
#[derive(Debug)]
pub struct Rules {
    /// The name used in specs and stamps.
    pub name: &'static str,
    /// Counts from 1 to `withheld_below − 1` are withheld (0 withholds nothing).
    pub withheld_below: u32,
    /// How the other counts are rounded.
    pub rounding: Rounding,
    /// Whether statistics are shown to a precision that cannot be inverted
    /// to their base count ([`Policy::statistic`]).
    pub coarsen_statistics: bool,
    /// Who the policy follows, for the methods sentence.
    pub style: &'static str,
}

const NHS_DIGITAL: Rules = Rules {
    name: "nhs_digital",
    withheld_below: 8,
    rounding: Rounding::Nearest(5),
    coarsen_statistics: true,
    style: "NHS Digital style",
};

const OPENSAFELY: Rules = Rules {
    name: "opensafely",
    withheld_below: 8,
    rounding: Rounding::Midpoint6,
    coarsen_statistics: true,
    style: "OpenSAFELY style",
};

const ONS: Rules = Rules {
    name: "ons",
    withheld_below: 10,
    rounding: Rounding::Nearest(10),
    coarsen_statistics: true,
    style: "ONS style",
};

const NONE: Rules = Rules {
    name: "none",
    withheld_below: 0,
    rounding: Rounding::Exact,
    coarsen_statistics: false,
    style: "None",
};

/// Every policy, for `--help`, the spec's error message and the tests.
pub const ALL: [Policy; 4] = [
    Policy::NhsDigital,
    Policy::OpenSafely,
    Policy::Ons,
    Policy::None,
];

impl Policy {
    /// The policy's definition.
    pub fn rules(self) -> &'static Rules {
        match self {
            Policy::NhsDigital => &NHS_DIGITAL,
            Policy::OpenSafely => &OPENSAFELY,
            Policy::Ons => &ONS,
            Policy::None => &NONE,
        }
    }

    /// The policy named `name` in a spec or a stamp.
    pub fn named(name: &str) -> Option<Policy> {
        ALL.into_iter().find(|p| p.name() == name)
    }

    /// The name used in specs and stamps.
    pub fn name(self) -> &'static str {
        self.rules().name
    }

    /// Whether outputs under this policy may be published.
    pub fn publishable(self) -> bool {
        self.rules().withheld_below > 0
    }

    /// Whether a raw count is withheld on its own (primary suppression):
    /// `1 ≤ n < withheld_below`; 0 is shown.
    pub fn is_small(self, n: f64) -> bool {
        n > 0.0 && n < f64::from(self.rules().withheld_below)
    }

    /// A count as published (0 stays 0).
    pub fn round(self, n: f64) -> f64 {
        match self.rules().rounding {
            Rounding::Exact => n,
            Rounding::Nearest(base) => {
                let b = f64::from(base);
                b * (n / b).round()
            }
            Rounding::Midpoint6 => midpoint6(n),
        }
    }

    /// The exact counts that publish as `shown` (an unsuppressed count), as
    /// the inclusive range `(lowest, highest)`: what a reader knows from it.
    pub fn exact_range(self, shown: i64) -> (i64, i64) {
        if shown == 0 {
            return (0, 0);
        }
        let floor = i64::from(self.rules().withheld_below);
        let (lo, hi) = match self.rules().rounding {
            Rounding::Exact => (shown, shown),
            // b·round(n/b) = v for v − b/2 ≤ n < v + b/2 (halves away from zero).
            Rounding::Nearest(base) => {
                let b = i64::from(base);
                (shown - b / 2, shown + (b - 1) / 2)
            }
            // ⌈n/6⌉·6 − 3 = v for v − 2 ≤ n ≤ v + 3.
            Rounding::Midpoint6 => (shown - 2, shown + 3),
        };
        (lo.max(floor), hi)
    }

    /// How a reader is told what a `*` may stand for: "fewer than 8 people".
    pub fn withheld_wording(self) -> String {
        format!("fewer than {} people", self.rules().withheld_below)
    }

    /// How counts were rounded, for a table's note: "rounded to the nearest 5".
    pub fn rounding_wording(self) -> &'static str {
        match self.rules().rounding {
            Rounding::Exact => "exact",
            Rounding::Nearest(5) => "rounded to the nearest 5",
            Rounding::Nearest(10) => "rounded to the nearest 10",
            Rounding::Nearest(_) => "rounded",
            Rounding::Midpoint6 => {
                "rounded to the midpoint of their band of 6 (7 to 12 shown as 9)"
            }
        }
    }

    /// One sentence for the report's methods and every output's stamp.
    pub fn description(self) -> String {
        let rules = self.rules();
        if !self.publishable() {
            return "None: exact figures for internal use. NOT FOR PUBLICATION.".to_string();
        }
        let small = rules.withheld_below - 1;
        format!(
            "{}: counts of 1 to {small} shown as *, other counts {}, percentages, rates, ratios and their intervals computed from the published counts, a further cell suppressed where a suppressed one could be worked out from a total, averages and other statistics based on 1 to {small} people (or on a withheld count) suppressed and the others shown to a precision that cannot reveal their count.",
            rules.style,
            self.rounding_wording()
        )
    }

    /// A statistic as published, given the highest exact value a reader can
    /// tell its base count may have (`highest`: from the published count and
    /// every published total it is part of).
    ///
    /// A mean of whole numbers shown to many decimals gives away its count
    /// (`mean × n` is a whole number for one candidate `n` only). Shown to
    /// `d` decimals, every candidate `n ≥ 10^d` fits some whole-number total
    /// (half a unit in the last decimal, times `n`, is at least ½). So with
    /// `H` the highest candidate, `d = ⌊log₁₀(H − 1)⌋` (0 when `H ≤ 10`)
    /// leaves at least `H − 1` and `H` fitting: none is singled out. p-values
    /// (`p_value`) keep 2 significant figures. Without a base, 3
    /// significant figures.
    pub fn statistic(self, value: f64, highest: Option<f64>, p_value: bool) -> f64 {
        if !self.rules().coarsen_statistics || !value.is_finite() {
            return value;
        }
        if p_value {
            return significant(value, 2);
        }
        // `+ 0.0`: a small negative rounded to nothing is 0, not "-0".
        match highest {
            Some(h) if h >= 0.0 => round_to(value, statistic_decimals(h)) + 0.0,
            _ => significant(value, 3) + 0.0,
        }
    }
}

/// Decimals a statistic is shown to when its base count may be at most
/// `highest`: `⌊log₁₀(highest − 1)⌋`, and 0 up to 10 ([`Policy::statistic`]).
pub fn statistic_decimals(highest: f64) -> i32 {
    if highest <= 10.0 {
        0
    } else {
        (highest - 1.0).log10().floor() as i32
    }
}

/// OpenSAFELY "midpoint 6" rounding of a count: `⌈n/6⌉·6 − 3` for n > 0, and 0 for 0,
/// so 1–6 → 3, 7–12 → 9, 13–18 → 15. Unbiased for counts spread evenly in each band.
pub fn midpoint6(n: f64) -> f64 {
    if n <= 0.0 {
        0.0
    } else {
        (n / 6.0).ceil() * 6.0 - 3.0
    }
}

/// `x` rounded to `d` decimals (as Rust formats it: the nearest, ties to even), as the shortest f64
/// that prints with at most `d` decimals.
pub fn round_to(x: f64, d: i32) -> f64 {
    let text = format!("{:.*}", d.max(0) as usize, x);
    text.parse().unwrap_or(x)
}

/// Decimals a number carries as published text (`2.5` → 1, `3` → 0, `1e-7` → 7).
pub fn decimals(x: f64) -> i32 {
    let text = format!("{x}");
    match text.split_once('e') {
        Some((mantissa, exponent)) => {
            let e: i32 = exponent.parse().unwrap_or(0);
            let m = mantissa.split_once('.').map_or(0, |(_, d)| d.len() as i32);
            (m - e).max(0)
        }
        None => text.split_once('.').map_or(0, |(_, d)| d.len() as i32),
    }
}

/// `x` to `s` significant figures.
pub fn significant(x: f64, s: i32) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let magnitude = x.abs().log10().floor() as i32;
    let d = s - 1 - magnitude;
    if d >= 0 {
        round_to(x, d)
    } else {
        let scale = 10f64.powi(-d);
        (x / scale).round() * scale
    }
}

// Rounding is the thing under test: the published values are exact decimals.
#[allow(clippy::float_cmp)]
#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_policy_reads_back_its_name() {
        for p in ALL {
            assert_eq!(Policy::named(p.name()), Some(p));
        }
        assert_eq!(Policy::named("lax"), None);
    }

    #[test]
    fn exact_ranges_hold_exactly_the_counts_that_publish_as_each_value() {
        for policy in ALL {
            for n in 0..400_i64 {
                if policy.is_small(n as f64) {
                    continue;
                }
                let shown = policy.round(n as f64) as i64;
                let (lo, hi) = policy.exact_range(shown);
                assert!(lo <= n && n <= hi, "{policy:?}: {n} → {shown} → {lo}..{hi}");
                // And nothing outside the range publishes as `shown`.
                for m in [lo - 1, hi + 1] {
                    if m >= 0 && !policy.is_small(m as f64) {
                        assert_ne!(policy.round(m as f64) as i64, shown, "{policy:?} {m}");
                    }
                }
            }
        }
    }

    #[test]
    fn the_ons_policy_withholds_under_10_and_rounds_to_10() {
        let ons = Policy::Ons;
        assert!(ons.is_small(9.0) && !ons.is_small(10.0) && !ons.is_small(0.0));
        assert_eq!(ons.round(14.0), 10.0);
        assert_eq!(ons.round(15.0), 20.0);
        assert_eq!(ons.exact_range(10), (10, 14));
        assert_eq!(ons.withheld_wording(), "fewer than 10 people");
        assert_eq!(ons.rounding_wording(), "rounded to the nearest 10");
        assert!(ons.description().contains("1 to 9"));
    }

    #[test]
    fn statistics_are_coarsened_by_their_base() {
        let p = Policy::NhsDigital;
        // Shown as 25 (23 to 27), as 100 (98 to 102), as 10 but known to be 8 or 9.
        assert_eq!(p.statistic(57.0 / 23.0, Some(27.0), false), 2.5);
        assert_eq!(p.statistic(57.0 / 23.0, Some(102.0), false), 2.48);
        assert_eq!(p.statistic(155.0 / 8.0, Some(9.0), false), 19.0);
        assert_eq!(p.statistic(0.031_234, Some(27.0), true), 0.031);
        assert_eq!(p.statistic(1234.5678, None, false), 1230.0);
        let zero = p.statistic(-0.03, Some(27.0), false);
        assert!(zero == 0.0 && zero.is_sign_positive(), "not -0");
        assert_eq!(
            Policy::None.statistic(57.0 / 23.0, Some(25.0), false),
            57.0 / 23.0
        );
    }

    /// The guarantee in [`Policy::statistic`]: for a mean of whole numbers,
    /// at least two candidate counts fit the published mean, however far a
    /// reader has narrowed the candidates (any range `lo..=hi` with `lo < hi`).
    #[test]
    fn a_coarsened_mean_never_singles_out_its_count() {
        for n in 1..300_i64 {
            for lo in (n - 4).max(1)..=n {
                for hi in (n + 1).max(lo + 1)..=n + 4 {
                    for total in [1_i64, 7, n + 3, 5 * n - 1, 19 * n + 1] {
                        let mean =
                            Policy::Ons.statistic(total as f64 / n as f64, Some(hi as f64), false);
                        let d = statistic_decimals(hi as f64);
                        let tolerance = 0.5 * 10f64.powi(-d) + 1e-12 * mean.abs();
                        let fits = (lo..=hi)
                            .filter(|&m| {
                                let s = mean * m as f64;
                                (s - s.round()).abs() <= tolerance * m as f64
                            })
                            .count();
                        assert!(fits >= 2, "n={n} {lo}..{hi} total={total}: {fits}");
                    }
                }
            }
        }
    }
}
