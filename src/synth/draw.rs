//! Small random draws used by the generator, on a seeded ChaCha stream.

use rand::Rng;
use rand_chacha::ChaCha8Rng;
use rand_distr::{Distribution, Exp, Gamma, Normal, Poisson};

/// The generator's random stream (ChaCha8: the same output for the same seed on every platform and version).
pub type Stream = ChaCha8Rng;

/// An index drawn with probability proportional to `weights`.
pub fn weighted(rng: &mut Stream, weights: &[f64]) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = rng.random::<f64>() * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    weights.len() - 1
}

/// Standard normal.
pub fn normal(rng: &mut Stream) -> f64 {
    Normal::new(0.0, 1.0).map_or(0.0, |n| n.sample(rng))
}

/// Poisson count with mean `mean`.
pub fn poisson(rng: &mut Stream, mean: f64) -> u64 {
    if mean <= 0.0 {
        return 0;
    }
    Poisson::new(mean).map_or(0, |p| p.sample(rng) as u64)
}

/// Exponential with mean `mean`.
pub fn exponential(rng: &mut Stream, mean: f64) -> f64 {
    Exp::new(1.0 / mean).map_or(mean, |e| e.sample(rng))
}

/// Gamma with mean 1 and shape `shape` (a multiplicative frailty).
pub fn frailty(rng: &mut Stream, shape: f64) -> f64 {
    Gamma::new(shape, 1.0 / shape).map_or(1.0, |g| g.sample(rng))
}

/// A whole number in `lo..=hi`.
pub fn between(rng: &mut Stream, lo: i32, hi: i32) -> i32 {
    if hi <= lo {
        lo
    } else {
        rng.random_range(lo..=hi)
    }
}

/// true with probability `p`.
pub fn chance(rng: &mut Stream, p: f64) -> bool {
    rng.random::<f64>() < p
}
