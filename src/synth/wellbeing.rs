//! Wellbeing item responses from a latent score, and their exact expectations.
//!
//! Each item response is `clamp(round(mean + slope·w + e), min, max)` with
//! `e ~ Normal(0, sd)` and `w` the person's latent wellbeing. Because the item
//! distribution is known exactly, so is the expected instrument score for any
//! `w`: the generator uses that to write the true expected change into
//! `truth.json`, which tests compare with what the engine estimates.

use statrs::distribution::{ContinuousCDF, Normal};

use super::draw::{self, Stream};
use crate::scoring::SWEMWBS_METRIC;

/// How one item responds to latent wellbeing.
#[derive(Debug, Clone, Copy)]
pub struct Item {
    /// Response at w = 0 before rounding.
    pub mean: f64,
    /// Change in response per unit of w (negative where higher is worse).
    pub slope: f64,
    /// Noise standard deviation.
    pub sd: f64,
    /// Lowest answer.
    pub min: i64,
    /// Highest answer.
    pub max: i64,
}

impl Item {
    /// Draw a response.
    pub fn draw(&self, rng: &mut Stream, w: f64) -> i64 {
        let x = self.mean + self.slope * w + self.sd * draw::normal(rng);
        (x.round() as i64).clamp(self.min, self.max)
    }

    /// Probability of each answer `min..=max` given `w`.
    pub fn distribution(&self, w: f64) -> Vec<f64> {
        let centre = self.mean + self.slope * w;
        let Ok(normal) = Normal::new(centre, self.sd) else {
            return vec![];
        };
        (self.min..=self.max)
            .map(|k| {
                let upper = if k == self.max {
                    1.0
                } else {
                    normal.cdf(k as f64 + 0.5)
                };
                let lower = if k == self.min {
                    0.0
                } else {
                    normal.cdf(k as f64 - 0.5)
                };
                upper - lower
            })
            .collect()
    }

    /// Expected answer given `w`.
    pub fn expected(&self, w: f64) -> f64 {
        self.distribution(w)
            .iter()
            .zip(self.min..)
            .map(|(p, k)| p * k as f64)
            .sum()
    }
}

/// WEMWBS item (1–5); SWEMWBS items are the same seven of these.
pub const WEMWBS_ITEM: Item = Item {
    mean: 3.3,
    slope: 0.55,
    sd: 0.6,
    min: 1,
    max: 5,
};

/// ONS4 life satisfaction, worthwhile and happiness (0–10).
pub const ONS4_POSITIVE: Item = Item {
    mean: 6.6,
    slope: 1.3,
    sd: 1.2,
    min: 0,
    max: 10,
};

/// ONS4 anxiety (0–10, higher is worse).
pub const ONS4_ANXIETY: Item = Item {
    mean: 3.6,
    slope: -1.3,
    sd: 1.5,
    min: 0,
    max: 10,
};

/// UCLA-3 item (1–3, higher is lonelier).
pub const UCLA_ITEM: Item = Item {
    mean: 1.9,
    slope: -0.45,
    sd: 0.45,
    min: 1,
    max: 3,
};

/// Expected SWEMWBS metric score given `w`: the raw total's distribution is the
/// convolution of the seven item distributions, then mapped through the table.
pub fn expected_swemwbs_metric(w: f64) -> f64 {
    let item = WEMWBS_ITEM.distribution(w);
    let mut total = vec![1.0];
    for _ in 0..7 {
        let mut next = vec![0.0; total.len() + item.len() - 1];
        for (i, p) in total.iter().enumerate() {
            for (j, q) in item.iter().enumerate() {
                next[i + j] += p * q;
            }
        }
        total = next;
    }
    total.iter().zip(SWEMWBS_METRIC).map(|(p, m)| p * m).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn item_distributions_sum_to_one() {
        for item in [WEMWBS_ITEM, ONS4_POSITIVE, ONS4_ANXIETY, UCLA_ITEM] {
            for w in [-3.0, -0.5, 0.0, 1.7] {
                let total: f64 = item.distribution(w).iter().sum();
                assert!((total - 1.0).abs() < 1e-12);
            }
        }
    }

    #[test]
    fn expectations_match_simulation() {
        let mut rng = Stream::seed_from_u64(7);
        let w = -0.4;
        let n = 200_000;
        let mean: f64 = (0..n)
            .map(|_| ONS4_ANXIETY.draw(&mut rng, w) as f64)
            .sum::<f64>()
            / n as f64;
        assert!((mean - ONS4_ANXIETY.expected(w)).abs() < 0.01, "{mean}");
        let metric: f64 = (0..n)
            .map(|_| {
                let raw: i64 = (0..7).map(|_| WEMWBS_ITEM.draw(&mut rng, w)).sum();
                SWEMWBS_METRIC[(raw - 7) as usize]
            })
            .sum::<f64>()
            / n as f64;
        assert!(
            (metric - expected_swemwbs_metric(w)).abs() < 0.02,
            "{metric}"
        );
    }
}
