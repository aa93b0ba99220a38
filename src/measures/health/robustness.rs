//! Whether a difference-in-differences holds up under the checks the data
//! allow, for the confounding its own event study cannot see.
//!
//! Two designs estimate the same effect under different assumptions:
//! - **never referred**: comparators registered at the same practices who
//!   were never referred. It assumes that, once matched on use just before
//!   referral, the referred would have changed as they did. An unrecorded
//!   need that brought people to a link worker and goes on raising their use
//!   afterwards breaks it (the referred look worse off than they are).
//! - **declined**: people referred who declined. They share whatever led to
//!   referral, need included, but are fewer, so the estimate is wider; and
//!   declining may itself say something about them.
//!
//! When both pools have enough matched sets ([`crate::measures::health::WARN_FEW_SETS`]),
//! their estimates are compared ([`design_difference`]); a difference beyond
//! its 95% interval means at least one design's assumption fails, and
//! neither estimate is called robust. Agreement only counts when the
//! comparison could have seen a bias as large as the estimate itself (the
//! difference's 95% half-width at most the smaller |estimate| of the two):
//! a declined pool of a few dozen people agrees with almost anything, and
//! the estimate stays unchecked. The never-referred estimate is also not
//! robust when the run-up to referral may begin before the earliest month
//! the washout's event study can see, or the run-down after it last beyond
//! the latest ([`super::washout::Washout::beyond_reach`]): its windows may
//! still hold part of them. (Declined comparators carry their own run-up and
//! run-down, aligned on their own referral date.)

use super::WARN_FEW_SETS;
use super::matching::Pool;
use crate::stats::did::Did;
use crate::stats::sensitivity::design_difference;

/// The verdict on one estimate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// `yes` (agrees with the other design, run-up within reach), `no` (a
    /// check failed) or `unchecked` (too few sets in a pool to compare).
    pub robust: &'static str,
    /// Whether the two designs agree: `yes`, `no`, or `not compared`.
    pub designs_agree: &'static str,
    /// Why, in words (no figures: the other pool's may be withheld).
    pub basis: String,
}

/// Whether the washouts may fall short of what they leave out.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Reach {
    /// The run-up may begin before the earliest month the event study sees.
    pub run_up: bool,
    /// The run-down may last beyond the latest month it sees.
    pub run_down: bool,
}

/// The verdict on `own` (from `pool`), beside `other` (the other pool's
/// estimate of the same window and setting), given whether the washouts
/// may fall short.
pub fn judge(pool: Pool, own: &Did, other: Option<&Did>, reach: Reach) -> Verdict {
    let compared = other.filter(|o| own.sets >= WARN_FEW_SETS && o.sets >= WARN_FEW_SETS);
    let difference =
        compared.map(|o| design_difference((own.estimate, own.se), (o.estimate, o.se)));
    let disagree = difference.map(|d| d.disagree());
    // Close enough to have seen a bias as large as the smaller estimate (a
    // wild estimate from a few sets is not the yardstick).
    let sharp = difference.zip(compared).is_some_and(|(d, o)| {
        (d.limits.1 - d.limits.0) / 2.0 <= own.estimate.abs().min(o.estimate.abs())
    });
    let mut failed = Vec::new();
    if disagree == Some(true) {
        failed.push(
            "the never-referred and declined designs disagree beyond their intervals, so at least one of their assumptions fails (for the never-referred design: that the referred and the never referred, matched on use just before referral, would have changed alike; an unrecorded need that goes on raising use after referral breaks it)"
                .to_string(),
        );
    }
    if pool == Pool::NeverReferred && reach.run_up {
        failed.push(
            "the run-up to referral may begin before the earliest month the event study can see, so the before window may still hold part of it and overstate the effect"
                .to_string(),
        );
    }
    if pool == Pool::NeverReferred && reach.run_down {
        failed.push(
            "the run-down after referral may last beyond the latest month the event study can see, so the after window may still hold part of it and understate the effect"
                .to_string(),
        );
    }
    let designs_agree = match disagree {
        Some(true) => "no",
        Some(false) => "yes",
        None => "not compared",
    };
    if !failed.is_empty() {
        return Verdict {
            robust: "no",
            designs_agree,
            basis: format!("Not robust: {}.", failed.join("; and ")),
        };
    }
    match disagree {
        Some(_) if sharp => Verdict {
            robust: "yes",
            designs_agree,
            basis: "The never-referred and declined designs agree within their intervals, closely enough to have seen a bias as large as the estimate, and the run-up to referral and the run-down after it lie within the event study's reach.".to_string(),
        },
        Some(_) => Verdict {
            robust: "unchecked",
            designs_agree,
            basis: "Unchecked: the never-referred and declined designs agree within their intervals, but too few people who declined were matched for the comparison to rule out a bias as large as the estimate itself; an unrecorded need that raises use after referral could go unseen.".to_string(),
        },
        None => Verdict {
            robust: "unchecked",
            designs_agree,
            basis: format!(
                "Unchecked: a pool has fewer than {WARN_FEW_SETS} matched sets, so the designs cannot be compared; an unrecorded need that raises use after referral would go unseen."
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn did(sets: usize, estimate: f64, se: f64) -> Did {
        Did {
            sets,
            estimate,
            se,
            cluster_lower: estimate - 1.96 * se,
            cluster_upper: estimate + 1.96 * se,
            bootstrap_lower: estimate - 1.96 * se,
            bootstrap_upper: estimate + 1.96 * se,
        }
    }

    #[test]
    fn designs_that_disagree_make_both_estimates_not_robust() {
        let never = did(1500, 1.2, 0.19);
        let declined = did(300, -1.0, 0.62);
        for (pool, own, other) in [
            (Pool::NeverReferred, &never, &declined),
            (Pool::Declined, &declined, &never),
        ] {
            let v = judge(pool, own, Some(other), Reach::default());
            assert_eq!((v.robust, v.designs_agree), ("no", "no"), "{v:?}");
            assert!(v.basis.contains("disagree"), "{}", v.basis);
        }
    }

    #[test]
    fn designs_that_agree_are_robust_unless_the_run_up_is_beyond_reach() {
        // The difference's half-width, 1.96 × √(0.15² + 0.3²) = 0.66, is
        // within the estimate's 1.2.
        let never = did(1500, -1.2, 0.15);
        let declined = did(300, -0.9, 0.3);
        let v = judge(
            Pool::NeverReferred,
            &never,
            Some(&declined),
            Reach::default(),
        );
        assert_eq!((v.robust, v.designs_agree), ("yes", "yes"));
        let v = judge(
            Pool::NeverReferred,
            &never,
            Some(&declined),
            Reach {
                run_up: true,
                run_down: false,
            },
        );
        assert_eq!((v.robust, v.designs_agree), ("no", "yes"));
        assert!(v.basis.contains("run-up"), "{}", v.basis);
        // Declined comparators carry their own run-up.
        let v = judge(
            Pool::Declined,
            &declined,
            Some(&never),
            Reach {
                run_up: true,
                run_down: true,
            },
        );
        assert_eq!(v.robust, "yes");
    }

    #[test]
    fn agreement_too_loose_to_see_a_bias_as_large_as_the_estimate_is_unchecked() {
        // Half-width 1.96 × √(0.15² + 0.55²) = 1.12 > 0.62.
        let never = did(1500, -0.62, 0.15);
        let declined = did(300, -0.9, 0.55);
        let v = judge(
            Pool::NeverReferred,
            &never,
            Some(&declined),
            Reach::default(),
        );
        assert_eq!((v.robust, v.designs_agree), ("unchecked", "yes"));
        assert!(
            v.basis.contains("rule out a bias as large as the estimate"),
            "{}",
            v.basis
        );
        // A wild declined estimate from few sets: the difference's half-width,
        // 1.96 × √(0.15² + 1.9²) = 3.74, is within its own 4.0 but not within
        // the never-referred 0.62, so neither is called robust.
        let wild = did(46, -4.0, 1.9);
        for (pool, own, other) in [
            (Pool::Declined, &wild, &never),
            (Pool::NeverReferred, &never, &wild),
        ] {
            let v = judge(pool, own, Some(other), Reach::default());
            assert_eq!(
                (v.robust, v.designs_agree),
                ("unchecked", "yes"),
                "{pool:?}"
            );
        }
    }

    #[test]
    fn a_pool_with_few_sets_leaves_the_estimate_unchecked() {
        let never = did(1500, 1.2, 0.19);
        let few = did(WARN_FEW_SETS - 1, -3.0, 0.5);
        let v = judge(Pool::NeverReferred, &never, Some(&few), Reach::default());
        assert_eq!((v.robust, v.designs_agree), ("unchecked", "not compared"));
        assert!(
            v.basis.contains("fewer than 30 matched sets"),
            "{}",
            v.basis
        );
        assert_eq!(
            judge(Pool::NeverReferred, &never, None, Reach::default()).robust,
            "unchecked"
        );
        // A failed check still says no.
        let run_down = Reach {
            run_up: false,
            run_down: true,
        };
        let v = judge(Pool::NeverReferred, &never, None, run_down);
        assert_eq!(v.robust, "no");
        assert!(
            v.basis.contains("run-down after referral may last beyond"),
            "{}",
            v.basis
        );
    }
}
