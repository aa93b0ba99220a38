//! `sprout synth`: its options.

use std::path::PathBuf;

use clap::Args;

use crate::console::Console;
use crate::error::Result;
use crate::synth::{self, AttritionOn, SynthOptions};
use crate::text::thousands;

#[derive(Debug, Args)]
pub(super) struct SynthArgs {
    /// Registered people to generate (about a quarter are referred).
    #[arg(long, default_value_t = 4000)]
    people: usize,
    /// Random seed: the same seed gives byte-identical files.
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Output folder.
    #[arg(long, short)]
    out: PathBuf,
    /// Share of people referred to social prescribing.
    #[arg(long, default_value_t = 0.25)]
    referred_share: f64,
    /// Planted relative reduction in GP appointments after an accepted referral.
    #[arg(long, default_value_t = 0.10)]
    gp_effect: f64,
    /// Planted relative reduction in A&E attendances after an accepted referral.
    #[arg(long, default_value_t = 0.10)]
    ae_effect: f64,
    /// Planted change in latent wellbeing (standard deviations) by follow-up.
    #[arg(long, default_value_t = 0.35)]
    wellbeing_effect: f64,
    /// How much less the latent wellbeing of people who start better off
    /// changes, per standard deviation of baseline (0 = the same change for
    /// everyone; 0.3 = people starting worse improve more).
    #[arg(long, default_value_t = 0.0)]
    change_by_baseline: f64,
    /// How much likelier a follow-up is, on the log-odds scale, per standard
    /// deviation of better baseline wellbeing (missing at random given the
    /// baseline).
    #[arg(long, default_value_t = 0.5)]
    attrition_by_baseline: f64,
    /// Whether follow-ups depend on the latent baseline wellbeing, or on the
    /// baseline as recorded (missing at random given the recorded score).
    #[arg(long, value_enum, default_value_t = AttritionOn::Latent)]
    attrition_on: AttritionOn,
    /// How much likelier a follow-up is, on the log-odds scale, per standard
    /// deviation of a person's own wellbeing change beyond the expected
    /// (missing not at random: people who did not improve drop out).
    #[arg(long, default_value_t = 0.0)]
    attrition_mnar: f64,
    /// Service use rising steadily over this many days before referral
    /// (default: a short peak decaying over 45 days).
    #[arg(long)]
    ramp_days: Option<i32>,
    /// Need easing back over this many days after referral (default: none;
    /// use returns to its usual level on the day of referral).
    #[arg(long)]
    run_down_days: Option<i32>,
    /// An unrecorded need (its standard deviation on the log scale) that raises
    /// both the chance of referral and every rate after referral.
    #[arg(long, default_value_t = 0.0)]
    hidden_need: f64,
    /// Secular change in all service use per year (0.03 = 3%).
    #[arg(long, default_value_t = 0.03)]
    trend: f64,
    /// Write one scheme's referrals as a vendor-style export with its mapping file.
    #[arg(long)]
    vendor_scheme: bool,
}

/// Run `sprout synth`.
pub(super) fn run(args: SynthArgs, console: &Console) -> Result<i32> {
    let options = SynthOptions {
        people: args.people,
        seed: args.seed,
        out: args.out,
        referred_share: args.referred_share,
        gp_effect: args.gp_effect,
        ae_effect: args.ae_effect,
        wellbeing_effect: args.wellbeing_effect,
        change_by_baseline: args.change_by_baseline,
        attrition_by_baseline: args.attrition_by_baseline,
        attrition_on: args.attrition_on,
        attrition_mnar: args.attrition_mnar,
        ramp_days: args.ramp_days,
        run_down_days: args.run_down_days,
        hidden_need: args.hidden_need,
        trend: args.trend,
        vendor_scheme: args.vendor_scheme,
    };
    let started = std::time::Instant::now();
    let truth = synth::generate(&options, console)?;
    let count = |k: &str| truth.counts.get(k).copied().unwrap_or(0);
    console.result(format!(
        "Wrote {} people, {} referrals and {} health events to {} in {:.1}s (truth in truth.json)",
        thousands(count("people")),
        thousands(count("referred")),
        thousands(count("health_events")),
        options.out.display(),
        started.elapsed().as_secs_f64()
    ));
    Ok(0)
}
