//! Difference-in-differences from matched sets, with cluster-robust and
//! bootstrap intervals.
//!
//! A matched set is one case and the comparators matched to it. Each person
//! contributes a change Δ = rate after − rate before (events per person-year).
//! The set's contrast is c_s = Δ_case − mean_j Δ_comparator j, and the
//! difference-in-differences estimate is their mean over the S sets:
//!
//! DiD = (1/S) Σ_s c_s = mean case change − mean comparator change,
//!
//! with each comparator weighted 1/k_s. This is the treated coefficient of the
//! weighted regression Δ ~ treated (comparator weights 1/k_s), checked against
//! statsmodels in `scripts/reference/health_stats.py`.

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use super::summary::{mean_ci, quantile_sorted};

/// The contrast of one matched set: the case's change minus the mean change of
/// its comparators (NaN when it has none).
pub fn set_contrast(case_change: f64, comparator_changes: &[f64]) -> f64 {
    if comparator_changes.is_empty() {
        return f64::NAN;
    }
    case_change - comparator_changes.iter().sum::<f64>() / comparator_changes.len() as f64
}

/// A difference-in-differences estimate with its 95% intervals.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Did {
    /// Matched sets used.
    pub sets: usize,
    /// Mean of the set contrasts.
    pub estimate: f64,
    /// Cluster-robust standard error, matched set as cluster: s_c / √S.
    pub se: f64,
    /// Lower limit estimate − t(0.975; S−1) · se.
    pub cluster_lower: f64,
    /// Upper limit estimate + t(0.975; S−1) · se.
    pub cluster_upper: f64,
    /// 2.5th percentile of the bootstrap estimates.
    pub bootstrap_lower: f64,
    /// 97.5th percentile of the bootstrap estimates.
    pub bootstrap_upper: f64,
}

/// Estimates for several outcomes measured on the same matched sets.
///
/// `contrasts` holds one row of `outcomes` values per set (row-major). The
/// bootstrap resamples whole sets with replacement, `reps` times, with a
/// ChaCha8 stream seeded by `seed` (so the same inputs give the same interval),
/// computes each outcome's mean contrast per resample, and takes the 2.5th and
/// 97.5th percentiles (type 7) as the percentile interval. Resampling rows
/// jointly keeps the outcomes' correlation, so a costed total of several
/// settings gets a valid interval too. A NaN contrast (an outcome that could not
/// be measured in a set) is left out of that outcome's means.
pub fn did_estimates(contrasts: &[f64], outcomes: usize, reps: usize, seed: u64) -> Vec<Did> {
    let sets = contrasts.len().checked_div(outcomes).unwrap_or(0);
    let column = |o: usize| -> Vec<f64> {
        (0..sets)
            .map(|s| contrasts[s * outcomes + o])
            .filter(|x| !x.is_nan())
            .collect()
    };
    let mut replicates = vec![Vec::with_capacity(reps); outcomes];
    if sets >= 2 && reps > 0 {
        for means in resample_means(contrasts, outcomes, reps, seed) {
            for (o, m) in means.into_iter().enumerate() {
                replicates[o].push(m);
            }
        }
    }
    (0..outcomes)
        .map(|o| {
            let values = column(o);
            let m = mean_ci(&values);
            let mut boot: Vec<f64> = replicates[o]
                .iter()
                .copied()
                .filter(|x| !x.is_nan())
                .collect();
            boot.sort_by(f64::total_cmp);
            Did {
                sets: values.len(),
                estimate: m.mean,
                se: m.sd / (values.len() as f64).sqrt(),
                cluster_lower: m.lower,
                cluster_upper: m.upper,
                bootstrap_lower: quantile_sorted(&boot, 0.025),
                bootstrap_upper: quantile_sorted(&boot, 0.975),
            }
        })
        .collect()
}

/// Below this many draws (sets × resamples) the bootstrap runs on the
/// calling thread alone: starting threads would cost more than it saves.
const DRAWS_ON_ONE_THREAD: usize = 1 << 20;

/// Each resample's mean contrast per outcome, in resample order: `reps`
/// resamples of the sets drawn in turn from one ChaCha8 stream seeded by
/// `seed`. Large bootstraps draw on the calling thread and sum on others
/// (see [`resample_means_side_by_side`]); the draws and each resample's sums
/// are the same either way, so are the means, to the bit.
fn resample_means(contrasts: &[f64], outcomes: usize, reps: usize, seed: u64) -> Vec<Vec<f64>> {
    let sets = contrasts.len() / outcomes;
    let rng = ChaCha8Rng::seed_from_u64(seed);
    let summers = std::thread::available_parallelism().map_or(1, |n| n.get().min(8)) - 1;
    if summers == 0 || sets.saturating_mul(reps) < DRAWS_ON_ONE_THREAD {
        resample_means_in_turn(contrasts, outcomes, reps, rng)
    } else {
        resample_means_side_by_side(contrasts, outcomes, reps, rng, summers)
    }
}

/// [`resample_means`] on the calling thread: draw a resample, sum it, draw the next.
fn resample_means_in_turn(
    contrasts: &[f64],
    outcomes: usize,
    reps: usize,
    mut rng: ChaCha8Rng,
) -> Vec<Vec<f64>> {
    let mut picks = vec![0u32; contrasts.len() / outcomes];
    (0..reps)
        .map(|_| {
            draw(&mut rng, &mut picks);
            means_of(contrasts, outcomes, &picks)
        })
        .collect()
}

/// [`resample_means`] with the resamples drawn in order on the calling
/// thread (one random stream cannot be split without changing its draws)
/// and summed on `summers` threads, each taking the next drawn resample.
/// The buffers of picks go back to the drawer to be drawn into again, so at
/// most `2 × summers + 1` resamples are held at once.
fn resample_means_side_by_side(
    contrasts: &[f64],
    outcomes: usize,
    reps: usize,
    mut rng: ChaCha8Rng,
    summers: usize,
) -> Vec<Vec<f64>> {
    use std::sync::{Mutex, mpsc};
    let sets = contrasts.len() / outcomes;
    let (free, free_buffers) = mpsc::channel::<Vec<u32>>();
    for _ in 0..2 * summers + 1 {
        free.send(vec![0; sets])
            .expect("the drawer holds the buffers' end");
    }
    let (drawn, to_sum) = mpsc::channel::<(usize, Vec<u32>)>();
    let to_sum = Mutex::new(to_sum);
    let (summed, results) = mpsc::channel::<(usize, Vec<f64>)>();
    let mut means = vec![Vec::new(); reps];
    std::thread::scope(|scope| {
        for _ in 0..summers {
            let (free, summed, to_sum) = (free.clone(), summed.clone(), &to_sum);
            scope.spawn(move || {
                loop {
                    // The lock is let go as soon as a resample is taken.
                    let next = to_sum
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner)
                        .recv();
                    let Ok((r, picks)) = next else { return };
                    let m = means_of(contrasts, outcomes, &picks);
                    // Once every resample is drawn the drawer stops taking
                    // buffers back; one not taken back is simply dropped.
                    let _ = free.send(picks);
                    if summed.send((r, m)).is_err() {
                        return;
                    }
                }
            });
        }
        // Only the summers hold these ends now: if they all stopped, the
        // drawer's wait for a buffer ends in an error rather than for ever.
        drop((free, summed));
        for r in 0..reps {
            let mut picks = free_buffers
                .recv()
                .expect("a summer hands every buffer back");
            draw(&mut rng, &mut picks);
            drawn
                .send((r, picks))
                .expect("the summers take resamples until the drawing ends");
        }
        drop(drawn);
        for (r, m) in results {
            means[r] = m;
        }
    });
    means
}

/// One resample of the sets with replacement, as how many times each set is
/// picked: `picks.len()` draws from `rng`.
fn draw(rng: &mut ChaCha8Rng, picks: &mut [u32]) {
    let sets = picks.len();
    picks.fill(0);
    for _ in 0..sets {
        picks[rng.random_range(0..sets)] += 1;
    }
}

/// Each outcome's mean contrast in one resample: Σ picks·c / Σ picks over
/// the sets in order, leaving out NaN contrasts (NaN when nothing is left).
/// Reading the rows in order with their counts gives the same resample as
/// gathering the picked rows, without a random read of a large table for
/// every draw.
fn means_of(contrasts: &[f64], outcomes: usize, picks: &[u32]) -> Vec<f64> {
    let mut sum = vec![0.0; outcomes];
    let mut n = vec![0.0f64; outcomes];
    for (row, &count) in contrasts.chunks_exact(outcomes).zip(picks) {
        if count == 0 {
            continue;
        }
        let count = f64::from(count);
        for (o, x) in row.iter().enumerate() {
            if !x.is_nan() {
                sum[o] += count * x;
                n[o] += count;
            }
        }
    }
    sum.iter()
        .zip(&n)
        .map(|(s, n)| if *n > 0.0 { s / n } else { f64::NAN })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::assert_close;

    /// Changes of 6 cases and their comparators (k = 2, one set with only one),
    /// shared with `scripts/reference/health_stats.py`.
    const CASES: [f64; 6] = [-3.0, -1.5, 0.0, -4.5, 2.0, -2.0];
    const COMPARATORS: [&[f64]; 6] = [
        &[-1.0, 0.5],
        &[0.0, -2.0],
        &[1.5, 1.0],
        &[-0.5],
        &[2.5, 0.0],
        &[-1.0, -1.5],
    ];

    fn contrasts() -> Vec<f64> {
        CASES
            .iter()
            .zip(COMPARATORS)
            .map(|(c, k)| set_contrast(*c, k))
            .collect()
    }

    #[test]
    fn estimate_and_cluster_interval_match_the_weighted_regression() {
        let did = did_estimates(&contrasts(), 1, 0, 1)[0];
        // statsmodels WLS of change on treated, comparator weights 1/k.
        assert_close(did.estimate, -1.416666666666667, 1e-12, "did");
        // numpy: std(c, ddof=1)/sqrt(S) and the t(5) interval.
        assert_close(did.se, 0.6942221866552843, 1e-9, "se");
        assert_close(did.cluster_lower, -3.2012216095784636, 1e-9, "lower");
        assert_close(did.cluster_upper, 0.3678882762451303, 1e-9, "upper");
        assert_eq!(did.sets, 6);
        assert!(did.bootstrap_lower.is_nan(), "no resamples asked for");
    }

    /// Summing the resamples on other threads than the one drawing them
    /// gives every resample's means to the bit, in order, however many
    /// threads sum (NaN contrasts and an outcome never measured included).
    #[test]
    fn resamples_summed_side_by_side_are_the_resamples_summed_in_turn() {
        let outcomes = 3;
        let contrasts: Vec<f64> = (0..997)
            .flat_map(|i| {
                let x = f64::from(i);
                [
                    (x * 0.37).sin() * 4.0 - 0.5,
                    if i % 7 == 0 {
                        f64::NAN
                    } else {
                        x / 997.0 - 0.3
                    },
                    f64::NAN,
                ]
            })
            .collect();
        let reps = 101;
        let in_turn =
            resample_means_in_turn(&contrasts, outcomes, reps, ChaCha8Rng::seed_from_u64(42));
        assert_eq!(in_turn.len(), reps);
        assert!(in_turn.iter().all(|m| m[2].is_nan() && m[0].is_finite()));
        let bits = |means: &[Vec<f64>]| -> Vec<Vec<u64>> {
            means
                .iter()
                .map(|m| m.iter().map(|x| x.to_bits()).collect())
                .collect()
        };
        for summers in [1, 2, 3] {
            let side_by_side = resample_means_side_by_side(
                &contrasts,
                outcomes,
                reps,
                ChaCha8Rng::seed_from_u64(42),
                summers,
            );
            assert_eq!(bits(&side_by_side), bits(&in_turn), "{summers} summers");
        }
        // Resamples differ from one another: the stream moves on.
        assert_ne!(in_turn[0][0].to_bits(), in_turn[1][0].to_bits());
    }

    #[test]
    fn bootstrap_is_seeded_and_close_to_the_cluster_interval_on_a_large_sample() {
        // 2,000 sets with contrasts spread evenly on a known distribution.
        let c: Vec<f64> = (0..2000)
            .flat_map(|i| {
                let x = f64::from(i) / 2000.0;
                [(x - 0.5) * 6.0 - 1.0, 2.0 * ((x * 7.0).sin())]
            })
            .collect();
        let a = did_estimates(&c, 2, 400, 7);
        let b = did_estimates(&c, 2, 400, 7);
        assert_eq!(a, b, "same seed, same interval");
        for d in &a {
            let cluster = d.cluster_upper - d.cluster_lower;
            let boot = d.bootstrap_upper - d.bootstrap_lower;
            assert!((boot / cluster - 1.0).abs() < 0.15, "{d:?}");
            assert!(d.bootstrap_lower < d.estimate && d.estimate < d.bootstrap_upper);
        }
        let other = did_estimates(&c, 2, 400, 8);
        assert!(
            (a[0].bootstrap_lower - other[0].bootstrap_lower).abs() > 0.0,
            "another seed, another resample"
        );
    }

    #[test]
    fn unmeasured_outcomes_are_left_out_of_their_own_mean_only() {
        let c = [1.0, f64::NAN, 3.0, 10.0, 5.0, 20.0];
        let d = did_estimates(&c, 2, 50, 3);
        assert_eq!((d[0].sets, d[1].sets), (3, 2));
        assert_close(d[0].estimate, 3.0, 1e-12, "first outcome");
        assert_close(d[1].estimate, 15.0, 1e-12, "second outcome");
        assert!(set_contrast(1.0, &[]).is_nan());
    }
}
