//! Benchmarking schemes: funnel plots of PCNs and Making Data Count SPC charts.
//!
//! Funnels: share of referrals declined (proportion), share of paired
//! wellbeing scores reliably improved (proportion, per score with a reliable
//! change rule), contacts per accepted referral (count against
//! expectation), the standardised referral ratio (observed against expected
//! referrals, around 1) and GP appointments and A&E attendances after against
//! before referral (a ratio of counts in equal windows). SPC: referrals
//! received per month and share declined per month.
//! Limits, flags and the overdispersion adjustment used are written as tables;
//! [`crate::render::charts`] draws them.

use crate::measures::table::date;
use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Date32Type, Int64Type};
use datafusion::prelude::SessionContext;

use super::period::Period;
use super::query::Query;
use super::table::{
    OutTable, Sums, TableBuilder, TableDef, count_number, count_when, int_label, int_value,
    num_label, num_value, p_value, share, statistic, text, text_value,
};
use crate::batch::Value;
use crate::days::date32;
use crate::error::Result;
use crate::measures::health::before_after::{AFTER_BEFORE_SETTINGS, AfterBefore};
use crate::measures::health::cohort::{setting_code, setting_label};
use crate::stats::funnel::{self, Flag, Overdispersion};
use crate::stats::spc::{self, Assurance, Direction, SpcChart, SpcOptions, Variation};

/// The significance level of the overdispersion test below which `auto`
/// widens a funnel's limits (additive random effects).
pub const OVERDISPERSION_LEVEL: f64 = 0.05;

/// How funnel limits are widened for overdispersion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Adjustment {
    /// Additive random effects when the overdispersion test gives p below
    /// [`OVERDISPERSION_LEVEL`], else none.
    #[default]
    Auto,
    /// Never widen.
    None,
    /// Multiply the standard error by √φ.
    Multiplicative,
    /// Add τ² to the variance.
    Additive,
}

/// Whether a funnel's units are proportions or counts against an expectation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FunnelKind {
    /// numerator of denominator.
    Proportion,
    /// events per unit of denominator (expected = pooled rate × denominator).
    Rate,
    /// observed events against expected ones (the denominator), target 1:
    /// an indirectly standardised ratio.
    StandardisedRatio,
    /// one count against another (events after against before referral, in
    /// equal windows): a ratio of counts, around the pooled ratio.
    RatioOfCounts,
}

impl FunnelKind {
    /// The variance-stabilised scale overdispersion is assessed on.
    pub fn stabilised_scale(self) -> &'static str {
        match self {
            FunnelKind::Proportion => "arcsine-square-root scale",
            FunnelKind::Rate | FunnelKind::StandardisedRatio => "square-root scale",
            FunnelKind::RatioOfCounts => "log scale",
        }
    }

    /// Where a unit stands on the funnel's horizontal axis: its denominator,
    /// or for a ratio of counts x over y its precision on the log scale,
    /// 1 / s² with s² = x/(x + ½)² + y/(y + ½)² (FunnelPlotR's ratio of
    /// counts; about the harmonic half of x and y).
    pub fn position(self, u: &FunnelUnit) -> f64 {
        match self {
            FunnelKind::RatioOfCounts => {
                let (x, y) = (u.numerator, u.denominator);
                1.0 / (x / (x + 0.5).powi(2) + y / (y + 0.5).powi(2))
            }
            _ => u.denominator,
        }
    }
}

/// One unit of a funnel.
#[derive(Debug, Clone)]
pub struct FunnelUnit {
    /// Unit name (PCN code).
    pub unit: String,
    /// Numerator (events or successes).
    pub numerator: f64,
    /// Denominator (size or exposure).
    pub denominator: f64,
    /// Withheld by disclosure control: left out of the funnel's computation,
    /// and its figures shown as `*`.
    pub hidden: bool,
}

/// A funnel to compute.
#[derive(Debug, Clone)]
pub struct FunnelMeasure {
    /// Measure name.
    pub name: String,
    /// Label for charts.
    pub label: String,
    /// Proportion or rate.
    pub kind: FunnelKind,
    /// The units.
    pub units: Vec<FunnelUnit>,
}

/// Limits of a funnel at one denominator: (lower 95, upper 95, lower 99.8, upper 99.8).
type Limits = (f64, f64, f64, f64);

/// A computed funnel.
#[derive(Debug, Clone)]
pub struct FunnelResult {
    /// The measure.
    pub measure: FunnelMeasure,
    /// Pooled value θ.
    pub baseline: f64,
    /// Limits at each unit's denominator, with its flag.
    pub unit_limits: Vec<(Limits, Flag)>,
    /// Plotting grid: denominator and limits.
    pub grid: Vec<(f64, Limits)>,
    /// Overdispersion estimates.
    pub dispersion: Overdispersion,
    /// How limits were computed.
    pub method: String,
}

/// Compute a funnel's limits and flags.
pub fn compute_funnel(measure: FunnelMeasure, adjustment: Adjustment) -> FunnelResult {
    let units: Vec<&FunnelUnit> = measure
        .units
        .iter()
        .filter(|u| u.denominator > 0.0 && !u.hidden)
        .collect();
    let total_n: f64 = units.iter().map(|u| u.denominator).sum();
    // A standardised ratio's target is the reference (1); otherwise the
    // pooled value.
    let theta = match measure.kind {
        FunnelKind::StandardisedRatio => 1.0,
        _ => units.iter().map(|u| u.numerator).sum::<f64>() / total_n,
    };
    // Overdispersion is assessed, and limits widened, on the variance-stabilised
    // scale (Spiegelhalter 2005, as FunnelPlotR does): a share p as asin √p with
    // s = 1/(2√n); a rate as the square root of its ratio to the expected,
    // √(x / θn), with s = 1/(2√(θn)); a standardised ratio O/E as √(O/E)
    // with s = 1/(2√E) (θ = 1). Widened limits are transformed back, so they
    // stay within the natural range.
    // A ratio of counts x / y on the log scale (FunnelPlotR): log((x + ½) /
    // (y + ½)) around log θ, with s = 1/√(precision) ([`FunnelKind::position`]).
    let kind = measure.kind;
    let to_scale = move |v: f64| match kind {
        FunnelKind::Proportion => v.clamp(0.0, 1.0).sqrt().asin(),
        FunnelKind::Rate | FunnelKind::StandardisedRatio => (v / theta).max(0.0).sqrt(),
        FunnelKind::RatioOfCounts => v.ln(),
    };
    let from_scale = move |y: f64| match kind {
        FunnelKind::Proportion => y.clamp(0.0, std::f64::consts::FRAC_PI_2).sin().powi(2),
        FunnelKind::Rate | FunnelKind::StandardisedRatio => theta * y.max(0.0).powi(2),
        FunnelKind::RatioOfCounts => y.exp(),
    };
    let target = to_scale(theta);
    let s_of = move |n: f64| match kind {
        FunnelKind::Proportion => 1.0 / (2.0 * n.sqrt()),
        FunnelKind::Rate | FunnelKind::StandardisedRatio => 1.0 / (2.0 * (theta * n).sqrt()),
        FunnelKind::RatioOfCounts => 1.0 / n.sqrt(),
    };
    let scaled = move |u: &FunnelUnit| match kind {
        FunnelKind::RatioOfCounts => ((u.numerator + 0.5) / (u.denominator + 0.5)).ln(),
        _ => to_scale(u.numerator / u.denominator),
    };
    let z: Vec<f64> = units
        .iter()
        .map(|u| (scaled(u) - target) / s_of(kind.position(u)))
        .collect();
    let s: Vec<f64> = units.iter().map(|u| s_of(kind.position(u))).collect();
    let dispersion = funnel::overdispersion(&z, &s);
    let chosen = match adjustment {
        Adjustment::Auto if dispersion.p < OVERDISPERSION_LEVEL && units.len() > 1 => {
            Adjustment::Additive
        }
        Adjustment::Auto => Adjustment::None,
        other => other,
    };
    let (z95, z998) = (
        crate::stats::poisson::z_of(0.95),
        crate::stats::poisson::z_of(0.998),
    );
    // Limits stay within the natural range: no share below 0 or above 1, no
    // rate below 0 (the widened limits of an overdispersed funnel can leave it).
    let natural = |l: Limits| -> Limits {
        let top = |x: f64| match measure.kind {
            FunnelKind::Proportion => x.min(1.0),
            _ => x,
        };
        (l.0.max(0.0), top(l.1), l.2.max(0.0), top(l.3))
    };
    let limits = |n: f64| -> Limits {
        natural(match (chosen, measure.kind) {
            (Adjustment::Multiplicative, _) => {
                let se = dispersion.phi.sqrt() * s_of(n);
                (
                    from_scale(target - z95 * se),
                    from_scale(target + z95 * se),
                    from_scale(target - z998 * se),
                    from_scale(target + z998 * se),
                )
            }
            (Adjustment::Additive, _) => {
                let se = (s_of(n).powi(2) + dispersion.tau2).sqrt();
                (
                    from_scale(target - z95 * se),
                    from_scale(target + z95 * se),
                    from_scale(target - z998 * se),
                    from_scale(target + z998 * se),
                )
            }
            (_, FunnelKind::Proportion) => (
                funnel::proportion_limit(0.975, n, theta, true).max(0.0),
                funnel::proportion_limit(0.975, n, theta, false).min(1.0),
                funnel::proportion_limit(0.999, n, theta, true).max(0.0),
                funnel::proportion_limit(0.999, n, theta, false).min(1.0),
            ),
            (_, FunnelKind::Rate | FunnelKind::StandardisedRatio) => {
                let (l95, u95) = funnel::count_limits(theta * n, 0.95);
                let (l998, u998) = funnel::count_limits(theta * n, 0.998);
                (l95 / n, u95 / n, l998 / n, u998 / n)
            }
            (_, FunnelKind::RatioOfCounts) => (
                from_scale(target - z95 * s_of(n)),
                from_scale(target + z95 * s_of(n)),
                from_scale(target - z998 * s_of(n)),
                from_scale(target + z998 * s_of(n)),
            ),
        })
    };
    let flag_of = |u: &FunnelUnit, l: &Limits| -> Flag {
        if chosen == Adjustment::None {
            match measure.kind {
                FunnelKind::Proportion => {
                    return funnel::proportion_flag(u.numerator, u.denominator, theta);
                }
                FunnelKind::Rate | FunnelKind::StandardisedRatio => {
                    return funnel::count_flag(u.numerator, theta * u.denominator);
                }
                // Its limits are the normal ones on the log scale: read
                // against them, as widened limits are.
                FunnelKind::RatioOfCounts => {}
            }
        }
        let v = u.numerator / u.denominator;
        if v > l.3 {
            Flag::High998
        } else if v > l.1 {
            Flag::High95
        } else if v < l.2 {
            Flag::Low998
        } else if v < l.0 {
            Flag::Low95
        } else {
            Flag::NotSignificant
        }
    };
    let unit_limits = measure
        .units
        .iter()
        .map(|u| {
            if u.hidden {
                return (
                    (f64::NAN, f64::NAN, f64::NAN, f64::NAN),
                    Flag::NotSignificant,
                );
            }
            let l = limits(kind.position(u).max(1e-9));
            (
                l,
                if u.denominator > 0.0 {
                    flag_of(u, &l)
                } else {
                    Flag::NotSignificant
                },
            )
        })
        .collect();
    let (min_n, max_n) = units.iter().fold((f64::INFINITY, 0.0f64), |(lo, hi), u| {
        (lo.min(kind.position(u)), hi.max(kind.position(u)))
    });
    let grid = if units.is_empty() {
        Vec::new()
    } else {
        let (from, to) = ((min_n * 0.5).max(1.0), max_n * 1.1);
        (0..100)
            .map(|i| {
                let n = from * (to / from).powf(f64::from(i) / 99.0);
                (n, limits(n))
            })
            .collect()
    };
    let method = match (chosen, measure.kind) {
        (Adjustment::None, FunnelKind::Proportion) => "exact inverse Wilson limits, no overdispersion adjustment".to_string(),
        (Adjustment::None, FunnelKind::Rate | FunnelKind::StandardisedRatio) => {
            "exact Poisson limits below 10 events, Byar's approximation from 10, no overdispersion adjustment".to_string()
        }
        (Adjustment::None, FunnelKind::RatioOfCounts) => {
            "normal limits on the log scale, no overdispersion adjustment".to_string()
        }
        (Adjustment::Multiplicative, _) => format!(
            "normal limits on the {}, widened multiplicatively (phi = {:.3})",
            kind.stabilised_scale(),
            dispersion.phi
        ),
        _ => format!(
            "normal limits on the {} with additive random effects (tau2 = {:.6})",
            kind.stabilised_scale(),
            dispersion.tau2
        ),
    };
    FunnelResult {
        measure,
        baseline: theta,
        unit_limits,
        grid,
        dispersion,
        method,
    }
}

/// Name prefix of the per-PCN charts of monthly referrals (`monthly_referrals_pcn_U90001`).
pub const PCN_SPC_PREFIX: &str = "monthly_referrals_pcn_";

/// What an SPC chart is drawn from, month by month.
#[derive(Debug, Clone)]
pub enum SpcInput {
    /// A count each month.
    Counts(Vec<f64>),
    /// A share each month: numerators over denominators.
    Shares {
        /// Each unit's numerator.
        numerators: Vec<f64>,
        /// Each unit's denominator.
        denominators: Vec<f64>,
    },
}

impl SpcInput {
    /// The monthly values (a share is NaN where its denominator is 0).
    pub fn values(&self) -> Vec<f64> {
        match self {
            SpcInput::Counts(v) => v.clone(),
            SpcInput::Shares {
                numerators,
                denominators,
            } => numerators
                .iter()
                .zip(denominators)
                .map(|(x, n)| if *n > 0.0 { x / n } else { f64::NAN })
                .collect(),
        }
    }
}

/// A computed SPC chart of a monthly series.
#[derive(Debug, Clone)]
pub struct SpcResult {
    /// Measure name.
    pub name: String,
    /// Label for charts.
    pub label: String,
    /// Months (first day).
    pub months: Vec<i32>,
    /// What the chart is drawn from.
    pub input: SpcInput,
    /// How it is drawn.
    pub options: SpcOptions,
    /// The chart.
    pub chart: SpcChart,
    /// Months withheld by disclosure control (then the chart's centre line,
    /// limits and signals are withheld too).
    pub hidden_months: Vec<bool>,
}

impl SpcResult {
    /// The chart of `input` drawn with `options`.
    pub fn new(
        name: String,
        label: String,
        months: Vec<i32>,
        input: SpcInput,
        options: SpcOptions,
    ) -> Self {
        let chart = spc::xmr(&input.values(), &options);
        let hidden_months = vec![false; months.len()];
        SpcResult {
            name,
            label,
            months,
            input,
            options,
            chart,
            hidden_months,
        }
    }

    /// Whether any month is withheld.
    pub fn hidden(&self) -> bool {
        self.hidden_months.iter().any(|h| *h)
    }
}

/// Settings of the benchmarking charts.
#[derive(Debug, Clone)]
pub struct BenchmarkOptions {
    /// Overdispersion adjustment of funnel limits.
    pub adjustment: Adjustment,
    /// Months at which the SPC charts are rebased (a new mean and limits from that month).
    pub rebase: Vec<chrono::NaiveDate>,
    /// Target share declined, for assurance on the monthly chart.
    pub declined_target: Option<f64>,
    /// Screen moving ranges above 3.267 × their mean out of the SPC limits
    /// (Making Data Count; on by default).
    pub spc_screen: bool,
    /// Fix each SPC chart's limits from its first N months and extend them
    /// (`None`: from every month).
    pub spc_baseline_months: Option<usize>,
    /// The strata and reference rates of the standardised referral ratios.
    pub standardisation: crate::measures::standardised::StandardisationOptions,
}

impl Default for BenchmarkOptions {
    fn default() -> Self {
        BenchmarkOptions {
            adjustment: Adjustment::Auto,
            rebase: Vec::new(),
            declined_target: None,
            spc_screen: SpcOptions::default().screen_moving_ranges,
            spc_baseline_months: None,
            standardisation: Default::default(),
        }
    }
}

/// All benchmarking results.
#[derive(Debug, Clone)]
pub struct Benchmarks {
    /// One funnel per benchmarked measure.
    pub funnels: Vec<FunnelResult>,
    /// SPC charts.
    pub spc: Vec<SpcResult>,
    /// The overdispersion adjustment asked for (to compute the funnels again
    /// from published counts).
    pub adjustment: Adjustment,
}

/// Compute the funnels and SPC charts for `period`; `wellbeing_change` supplies
/// per-PCN reliable improvement, and `more` are funnels computed elsewhere
/// (the standardised referral ratios).
pub async fn benchmarks(
    ctx: &SessionContext,
    period: &Period,
    wellbeing_change: Option<&OutTable>,
    more: Vec<FunnelMeasure>,
    options: &BenchmarkOptions,
) -> Result<Benchmarks> {
    let dates = period.parameters();
    let counts = BENCHMARK_PCN_COUNTS_SQL.run(ctx, &dates).await?;
    let column = |b: &RecordBatch, name: &str, i: usize| -> f64 {
        crate::measures::table::column(b, name)
            .and_then(|c| {
                c.as_primitive_opt::<Int64Type>()
                    .map(|a| if a.is_null(i) { 0.0 } else { a.value(i) as f64 })
            })
            .unwrap_or(0.0)
    };
    let mut declined = Vec::new();
    let mut contacts = Vec::new();
    for b in &counts {
        let pcn = crate::measures::table::column(b, "pcn_code")
            .and_then(|c| c.as_string_opt::<i32>().cloned());
        for i in 0..b.num_rows() {
            let unit = pcn
                .as_ref()
                .map_or("unknown".to_string(), |a| a.value(i).to_string());
            declined.push(FunnelUnit {
                unit: unit.clone(),
                numerator: column(b, "declined", i),
                denominator: column(b, "referred", i),
                hidden: false,
            });
            contacts.push(FunnelUnit {
                unit,
                numerator: column(b, "contacts", i),
                denominator: column(b, "accepted", i),
                hidden: false,
            });
        }
    }
    let mut measures = vec![
        FunnelMeasure {
            name: "share_declined".to_string(),
            label: "Share of referrals declined".to_string(),
            kind: FunnelKind::Proportion,
            units: declined,
        },
        FunnelMeasure {
            name: "contacts_per_accepted_referral".to_string(),
            label: "Link-worker contacts per accepted referral".to_string(),
            kind: FunnelKind::Rate,
            units: contacts,
        },
    ];
    if let Some(change) = wellbeing_change {
        measures.extend(reliable_improvement_funnels(&change.batch));
    }
    measures.extend(more);
    let funnels = measures
        .into_iter()
        .filter(|m| m.units.iter().any(|u| u.denominator > 0.0))
        .map(|m| compute_funnel(m, options.adjustment))
        .collect();

    let monthly = MONTHLY_REFERRALS_SQL.run(ctx, &dates[1..]).await?;
    let mut months = Vec::new();
    let (mut referred, mut declined) = (Vec::new(), Vec::new());
    for b in &monthly {
        let m = crate::measures::table::column(b, "month")
            .and_then(|c| c.as_primitive_opt::<Date32Type>().cloned());
        for i in 0..b.num_rows() {
            months.push(m.as_ref().map_or(0, |a| a.value(i)));
            referred.push(column(b, "referred", i));
            declined.push(column(b, "declined", i));
        }
    }
    // A rebase date starts a new period at the first month on or after it.
    let rebase_at: Vec<usize> = options
        .rebase
        .iter()
        .filter_map(|d| months.iter().position(|m| *m >= date32(*d)))
        .collect();
    let by_pcn = MONTHLY_REFERRALS_BY_PCN_SQL.run(ctx, &dates[1..]).await?;
    let mut pcn_months: std::collections::BTreeMap<String, std::collections::BTreeMap<i32, f64>> =
        std::collections::BTreeMap::new();
    for b in &by_pcn {
        let pcn = crate::measures::table::text_column(b, "pcn_code");
        let m = crate::measures::table::column(b, "month")
            .and_then(|c| c.as_primitive_opt::<Date32Type>().cloned());
        for i in 0..b.num_rows() {
            let unit = pcn
                .as_ref()
                .map_or("unknown".to_string(), |a| a.value(i).to_string());
            let month = m.as_ref().map_or(0, |a| a.value(i));
            pcn_months
                .entry(unit)
                .or_default()
                .insert(month, column(b, "referred", i));
        }
    }
    // Counts and shares cannot fall below 0, nor shares rise above 1.
    let counts_options = SpcOptions {
        rebase_at: rebase_at.clone(),
        screen_moving_ranges: options.spc_screen,
        baseline_points: options.spc_baseline_months,
        floor: Some(0.0),
        ..SpcOptions::default()
    };
    let mut spc = vec![
        SpcResult::new(
            "monthly_referrals".to_string(),
            "Referrals received per month".to_string(),
            months.clone(),
            SpcInput::Counts(referred.clone()),
            counts_options.clone(),
        ),
        SpcResult::new(
            "monthly_share_declined".to_string(),
            "Share of referrals declined per month".to_string(),
            months.clone(),
            SpcInput::Shares {
                numerators: declined,
                denominators: referred,
            },
            SpcOptions {
                improvement: Direction::Decrease,
                target: options.declined_target,
                ceiling: Some(1.0),
                ..counts_options.clone()
            },
        ),
    ];
    // One chart per PCN over the scheme's months (a month without referrals is 0).
    for (unit, counts) in &pcn_months {
        let values: Vec<f64> = months
            .iter()
            .map(|m| counts.get(m).copied().unwrap_or(0.0))
            .collect();
        spc.push(SpcResult::new(
            format!("{PCN_SPC_PREFIX}{unit}"),
            format!("Referrals received per month, PCN {unit}"),
            months.clone(),
            SpcInput::Counts(values),
            counts_options.clone(),
        ));
    }
    Ok(Benchmarks {
        funnels,
        spc,
        adjustment: options.adjustment,
    })
}

/// The funnel of the PCNs' standardised referral ratios.
pub const REFERRAL_RATIO_FUNNEL: &str = "standardised_referral_ratio";

/// The funnel of standardised referral ratios: each PCN's observed referrals
/// against its expected ones (`(pcn, observed, expected)`), target 1;
/// `basis` names the strata and the reference ("age band and sex, the
/// scheme's rates").
pub fn standardised_ratio_funnel(units: Vec<(String, f64, f64)>, basis: &str) -> FunnelMeasure {
    FunnelMeasure {
        name: REFERRAL_RATIO_FUNNEL.to_string(),
        label: format!("Standardised referral ratio ({basis})"),
        kind: FunnelKind::StandardisedRatio,
        units: units
            .into_iter()
            .map(|(unit, observed, expected)| FunnelUnit {
                unit,
                numerator: observed,
                denominator: expected,
                hidden: false,
            })
            .collect(),
    }
}

/// Name prefix of the funnels of events after against before referral by
/// PCN (`after_before_gp_appointment`).
pub const AFTER_BEFORE_PREFIX: &str = "after_before_";

/// Funnels of each PCN's events after against before referral, one per
/// setting compared ([`crate::measures::health::before_after::after_before_by_pcn`]):
/// a ratio of counts in equal windows, around the pooled ratio.
pub fn after_before_funnels(rows: &[AfterBefore]) -> Vec<FunnelMeasure> {
    AFTER_BEFORE_SETTINGS
        .iter()
        .map(|&s| FunnelMeasure {
            name: format!("{AFTER_BEFORE_PREFIX}{}", setting_code(s)),
            label: format!(
                "{} after referral against as long before it, referred people by PCN",
                plural_setting(s)
            ),
            kind: FunnelKind::RatioOfCounts,
            units: rows
                .iter()
                .filter(|r| r.setting == s)
                .map(|r| FunnelUnit {
                    unit: r.pcn.clone(),
                    numerator: r.after as f64,
                    denominator: r.before as f64,
                    hidden: false,
                })
                .collect(),
        })
        .collect()
}

/// "GP appointments" for setting `s`.
fn plural_setting(s: usize) -> String {
    format!("{}s", setting_label(s))
}

/// Per-PCN funnels of the share of paired scores reliably improved.
fn reliable_improvement_funnels(change: &RecordBatch) -> Vec<FunnelMeasure> {
    let text = |name: &str| {
        crate::measures::table::column(change, name).and_then(|c| c.as_string_opt::<i32>().cloned())
    };
    let ints = |name: &str| {
        crate::measures::table::column(change, name)
            .and_then(|c| c.as_primitive_opt::<Int64Type>().cloned())
    };
    let (Some(score), Some(label), Some(breakdown), Some(group), Some(pairs), Some(improved)) = (
        text("score"),
        text("score_label"),
        text("breakdown"),
        text("group"),
        ints("pairs"),
        ints("reliably_improved"),
    ) else {
        return Vec::new();
    };
    let mut out: Vec<FunnelMeasure> = Vec::new();
    for i in 0..change.num_rows() {
        if breakdown.value(i) != "pcn_code" || improved.is_null(i) {
            continue;
        }
        let name = format!("reliably_improved_{}", score.value(i));
        let unit = FunnelUnit {
            unit: group.value(i).to_string(),
            numerator: improved.value(i) as f64,
            denominator: pairs.value(i) as f64,
            hidden: false,
        };
        match out.iter_mut().find(|m| m.name == name) {
            Some(m) => m.units.push(unit),
            None => out.push(FunnelMeasure {
                name,
                label: format!("Share reliably improved: {}", label.value(i)),
                kind: FunnelKind::Proportion,
                units: vec![unit],
            }),
        }
    }
    out
}

/// `queries/benchmark_pcn_counts.sql`.
pub const BENCHMARK_PCN_COUNTS_SQL: Query = crate::measure_file!("benchmark_pcn_counts");

/// `queries/monthly_referrals.sql`.
pub const MONTHLY_REFERRALS_SQL: Query = crate::measure_file!("monthly_referrals");

/// `queries/monthly_referrals_by_pcn.sql`.
pub const MONTHLY_REFERRALS_BY_PCN_SQL: Query = crate::measure_file!("monthly_referrals_by_pcn");

/// The table's declaration.
pub const BENCHMARK_FUNNEL_UNITS: TableDef = TableDef {
    name: "benchmark_funnel_units",
    description: "One unit of one funnel plot with its limits and flag",
    queries: &[
        BENCHMARK_PCN_COUNTS_SQL,
        crate::measures::wellbeing::WELLBEING_PAIRS_SQL,
        crate::measures::standardised::REFERRAL_STRATA_SQL,
        crate::measures::health::cohort::HEALTH_PEOPLE_SQL,
        crate::measures::health::cohort::HEALTH_INDEX_EPISODES_SQL,
        crate::measures::health::cohort::HEALTH_EVENTS_SQL,
    ],
    columns: &[
        text("measure", "Funnel measure"),
        text("unit", "Unit compared (PCN code)"),
        count_number("numerator", "Events or successes"),
        count_when(
            "denominator",
            "measure",
            &[
                "share_declined",
                "contacts_per_accepted_referral",
                "reliably_improved_",
                AFTER_BEFORE_PREFIX,
            ],
            "Size or exposure (expected referrals, not a count, for a standardised ratio)",
        ),
        share(
            "value",
            "numerator",
            "denominator",
            "numerator / denominator",
        ),
        num_label(
            "baseline",
            "Pooled value: sum of numerators / sum of denominators (1, the reference, for a standardised ratio)",
        ),
        num_label("lower95", "Lower 95% limit at this denominator"),
        num_label("upper95", "Upper 95% limit"),
        num_label("lower998", "Lower 99.8% limit"),
        num_label("upper998", "Upper 99.8% limit"),
        text(
            "flag",
            "High (0.001), High (0.025), Not significant, Low (0.025) or Low (0.001)",
        ),
        text(
            "method",
            "How the limits were computed, including any overdispersion adjustment",
        ),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const BENCHMARK_FUNNEL_LIMITS: TableDef = TableDef {
    name: "benchmark_funnel_limits",
    description: "Funnel limits at one denominator, for plotting",
    queries: &[
        BENCHMARK_PCN_COUNTS_SQL,
        crate::measures::wellbeing::WELLBEING_PAIRS_SQL,
        crate::measures::standardised::REFERRAL_STRATA_SQL,
        crate::measures::health::cohort::HEALTH_PEOPLE_SQL,
        crate::measures::health::cohort::HEALTH_INDEX_EPISODES_SQL,
        crate::measures::health::cohort::HEALTH_EVENTS_SQL,
    ],
    columns: &[
        text("measure", "Funnel measure"),
        num_label("denominator", "Size or exposure"),
        num_label("lower95", "Lower 95% limit"),
        num_label("upper95", "Upper 95% limit"),
        num_label("lower998", "Lower 99.8% limit"),
        num_label("upper998", "Upper 99.8% limit"),
        num_label("baseline", "Pooled value"),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const BENCHMARK_OVERDISPERSION: TableDef = TableDef {
    name: "benchmark_overdispersion",
    description: "Overdispersion of one funnel and the limits used",
    queries: &[
        BENCHMARK_PCN_COUNTS_SQL,
        crate::measures::wellbeing::WELLBEING_PAIRS_SQL,
        crate::measures::standardised::REFERRAL_STRATA_SQL,
        crate::measures::health::cohort::HEALTH_PEOPLE_SQL,
        crate::measures::health::cohort::HEALTH_INDEX_EPISODES_SQL,
        crate::measures::health::cohort::HEALTH_EVENTS_SQL,
    ],
    columns: &[
        text("measure", "Funnel measure"),
        int_label("units", "Units in the funnel"),
        statistic(
            "phi",
            &[],
            "Overdispersion factor from 10% winsorised z-scores",
        ),
        p_value(
            "p_overdispersion",
            &[],
            "p-value of units × phi against chi-squared(units − 1)",
        ),
        statistic("tau2", &[], "Additive random-effects variance"),
        text("method", "The limits used"),
    ],
    sums: Sums::NONE,
};

/// The table's declaration.
pub const SPC: TableDef = TableDef {
    name: "spc",
    description: "One point of one XmR chart",
    queries: &[MONTHLY_REFERRALS_SQL, MONTHLY_REFERRALS_BY_PCN_SQL],
    columns: &[
        text("measure", "SPC measure"),
        date("month", "Month (first day)"),
        count_when("value", "measure", &["monthly_referrals"], "Value"),
        statistic("mean", &[], "Centre line"),
        statistic("lower", &[], "Lower process limit"),
        statistic("upper", &[], "Upper process limit"),
        statistic(
            "near_lower",
            &[],
            "Two-thirds of the way to the lower limit",
        ),
        statistic(
            "near_upper",
            &[],
            "Two-thirds of the way to the upper limit",
        ),
        int_label("beyond_limit", "1 if beyond a process limit"),
        int_label("run", "1 if part of a run on one side of the mean"),
        int_label("trend", "1 if part of a trend"),
        int_label(
            "two_of_three",
            "1 if part of two of three beyond a near limit",
        ),
        text("variation", "common cause, improvement, concern or neutral"),
        text("assurance", "Assurance against a target, if any"),
        text("warnings", "Warnings, e.g. fewer than 12 points"),
        int_label(
            "moving_ranges_screened",
            "1 if moving ranges above 3.267 × their mean were left out of the limits",
        ),
    ],
    sums: Sums::NONE,
};

/// The benchmarking tables.
pub fn tables(b: &Benchmarks) -> Result<Vec<OutTable>> {
    let mut units = TableBuilder::new(&BENCHMARK_FUNNEL_UNITS);
    let mut grid = TableBuilder::new(&BENCHMARK_FUNNEL_LIMITS);
    let mut dispersion = TableBuilder::new(&BENCHMARK_OVERDISPERSION);
    for f in &b.funnels {
        for (u, (l, flag)) in f.measure.units.iter().zip(&f.unit_limits) {
            let value = if u.denominator > 0.0 {
                u.numerator / u.denominator
            } else {
                f64::NAN
            };
            units.push_named(&[
                ("measure", text_value(&f.measure.name)),
                ("unit", text_value(&u.unit)),
                ("numerator", num_value(u.numerator)),
                ("denominator", num_value(u.denominator)),
                ("value", num_value(value)),
                ("baseline", num_value(f.baseline)),
                ("lower95", num_value(l.0)),
                ("upper95", num_value(l.1)),
                ("lower998", num_value(l.2)),
                ("upper998", num_value(l.3)),
                ("flag", text_value(flag.label())),
                ("method", text_value(&f.method)),
            ]);
        }
        for (n, l) in &f.grid {
            grid.push_named(&[
                ("measure", text_value(&f.measure.name)),
                ("denominator", num_value(*n)),
                ("lower95", num_value(l.0)),
                ("upper95", num_value(l.1)),
                ("lower998", num_value(l.2)),
                ("upper998", num_value(l.3)),
                ("baseline", num_value(f.baseline)),
            ]);
        }
        dispersion.push_named(&[
            ("measure", text_value(&f.measure.name)),
            ("units", int_value(f.dispersion.units)),
            ("phi", num_value(f.dispersion.phi)),
            ("p_overdispersion", num_value(f.dispersion.p)),
            ("tau2", num_value(f.dispersion.tau2)),
            ("method", text_value(&f.method)),
        ]);
    }
    let mut spc_table = TableBuilder::new(&SPC);
    for s in &b.spc {
        let assurance = match s.chart.assurance {
            Assurance::None => "no target",
            Assurance::Pass => "consistently meets the target",
            Assurance::Fail => "consistently misses the target",
            Assurance::HitAndMiss => "hit and miss",
        };
        let warnings = s.chart.warnings.join("; ");
        for (month, p) in s.months.iter().zip(&s.chart.points) {
            let flag = |b: bool| Value::Int(i64::from(b));
            spc_table.push_named(&[
                ("measure", text_value(&s.name)),
                ("month", Value::Date(*month)),
                ("value", num_value(p.value)),
                ("mean", num_value(p.mean)),
                ("lower", num_value(p.lower)),
                ("upper", num_value(p.upper)),
                ("near_lower", num_value(p.near_lower)),
                ("near_upper", num_value(p.near_upper)),
                ("beyond_limit", flag(p.beyond_limit)),
                ("run", flag(p.run)),
                ("trend", flag(p.trend)),
                ("two_of_three", flag(p.two_of_three)),
                ("variation", text_value(variation_label(p.variation))),
                ("assurance", text_value(assurance)),
                ("warnings", text_value(&warnings)),
                (
                    "moving_ranges_screened",
                    flag(s.options.screen_moving_ranges),
                ),
            ]);
        }
    }
    Ok(vec![
        units.finish()?,
        grid.finish()?,
        dispersion.finish()?,
        spc_table.finish()?,
    ])
}

/// Words for a point's variation.
pub fn variation_label(v: Variation) -> &'static str {
    match v {
        Variation::CommonCause => "common cause",
        Variation::Improvement => "improvement",
        Variation::Concern => "concern",
        Variation::Neutral => "neutral",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The funnel of `rows` (numerator, denominator) of `kind`.
    fn funnel_of(rows: &[(f64, f64)], kind: FunnelKind, adjustment: Adjustment) -> FunnelResult {
        compute_funnel(
            FunnelMeasure {
                name: "m".into(),
                label: "m".into(),
                kind,
                units: units(rows),
            },
            adjustment,
        )
    }

    /// `got` equals the reference value `want` to 1e-9 relative.
    fn close(got: f64, want: f64, what: &str) {
        assert!(
            (got - want).abs() <= 1e-9 * want.abs().max(1e-12),
            "{what}: {got} vs {want}"
        );
    }

    /// Each of a unit's four limits equals its reference value.
    fn limits(l: Limits, want: [f64; 4], what: &str) {
        for (got, want) in [l.0, l.1, l.2, l.3].into_iter().zip(want) {
            close(got, want, what);
        }
    }

    fn units(rows: &[(f64, f64)]) -> Vec<FunnelUnit> {
        rows.iter()
            .enumerate()
            .map(|(i, (x, n))| FunnelUnit {
                unit: format!("U{i}"),
                numerator: *x,
                denominator: *n,
                hidden: false,
            })
            .collect()
    }

    /// `scripts/reference/funnel_overdispersion.py`: φ, its test and τ² on the
    /// variance-stabilised scale, and the widened limits transformed back, for
    /// an overdispersed set of proportions (arcsine-square-root scale) and of
    /// rates (square root of the ratio to expected).
    #[test]
    fn overdispersion_is_assessed_on_the_variance_stabilised_scale() {
        let proportions = [
            (6.0, 120.0),
            (30.0, 150.0),
            (9.0, 90.0),
            (41.0, 200.0),
            (12.0, 160.0),
            (25.0, 110.0),
            (3.0, 80.0),
            (38.0, 140.0),
            (15.0, 170.0),
            (29.0, 130.0),
            (7.0, 100.0),
            (44.0, 190.0),
        ];
        let rates = [
            (12.0, 300.0),
            (45.0, 280.0),
            (20.0, 350.0),
            (70.0, 400.0),
            (18.0, 260.0),
            (52.0, 310.0),
            (9.0, 240.0),
            (61.0, 330.0),
            (25.0, 290.0),
            (40.0, 270.0),
            (14.0, 250.0),
            (66.0, 360.0),
        ];
        let p = funnel_of(&proportions, FunnelKind::Proportion, Adjustment::Additive);
        close(p.baseline, 0.15792682926829268, "theta");
        close(p.dispersion.phi, 6.865175431911523, "phi");
        close(p.dispersion.tau2, 0.011950454522255897, "tau2");
        assert!(
            (p.dispersion.p / 5.100158594587792e-13 - 1.0).abs() < 1e-6,
            "p {}",
            p.dispersion.p
        );
        // The unit with n = 100 (7 of 100).
        limits(
            p.unit_limits[10].0,
            [
                0.029656879295768195,
                0.36075675477190766,
                0.0013835659645937844,
                0.4947607506081287,
            ],
            "additive limits of a share",
        );
        let m = funnel_of(
            &proportions,
            FunnelKind::Proportion,
            Adjustment::Multiplicative,
        );
        limits(
            m.unit_limits[10].0,
            [
                0.022900303590182254,
                0.3812006335435738,
                1.4734486265851613e-05,
                0.5281121594760698,
            ],
            "multiplicative limits of a share",
        );
        let r = funnel_of(&rates, FunnelKind::Rate, Adjustment::Additive);
        close(r.dispersion.phi, 9.817935902124683, "rate phi");
        close(r.dispersion.tau2, 0.06757889603888333, "rate tau2");
        assert!(
            (r.dispersion.p / 4.98355411037563e-20 - 1.0).abs() < 1e-6,
            "rate p {}",
            r.dispersion.p
        );
        // The unit with exposure 300.
        limits(
            r.unit_limits[0].0,
            [
                0.025625813826264235,
                0.27975896259295413,
                0.0028868216060142313,
                0.4035729936895642,
            ],
            "additive limits of a rate",
        );
        let rm = funnel_of(&rates, FunnelKind::Rate, Adjustment::Multiplicative);
        limits(
            rm.unit_limits[0].0,
            [
                0.027961979391146797,
                0.2722593187585345,
                0.00422279319604178,
                0.38940105992888924,
            ],
            "multiplicative limits of a rate",
        );
        assert!(r.method.contains("square-root scale") && p.method.contains("arcsine"));
    }

    /// `scripts/reference/funnel_overdispersion.py`, standardised ratios:
    /// observed against expected referrals, target 1 (not a pooled value),
    /// assessed as √(O/E) with s = 1/(2√E).
    #[test]
    fn standardised_ratios_are_assessed_on_the_square_root_scale_around_1() {
        let rows = [
            (40.0, 52.5),
            (95.0, 61.2),
            (18.0, 33.8),
            (120.0, 88.4),
            (30.0, 47.1),
            (77.0, 50.3),
            (12.0, 26.9),
            (101.0, 70.6),
            (44.0, 58.2),
            (66.0, 49.7),
            (21.0, 39.4),
            (130.0, 92.3),
        ];
        let funnel = |adjustment| funnel_of(&rows, FunnelKind::StandardisedRatio, adjustment);
        let a = funnel(Adjustment::Additive);
        close(a.baseline, 1.0, "target");
        close(a.dispersion.phi, 9.118893535137651, "phi");
        close(a.dispersion.tau2, 0.04047262426253793, "tau2");
        assert!((a.dispersion.p / 2.384425813930421e-18 - 1.0).abs() < 1e-6);
        // The unit with E = 50.3 (77 observed) and the one with E = 92.3.
        limits(
            a.unit_limits[5].0,
            [
                0.33894316023654003,
                2.0101901540582032,
                0.11644839783703313,
                2.751466945438309,
            ],
            "additive limits at E = 50.3",
        );
        let m = funnel(Adjustment::Multiplicative);
        limits(
            m.unit_limits[11].0,
            [
                0.4788270927201113,
                1.7109337632144779,
                0.2645467636430721,
                2.207182377276585,
            ],
            "multiplicative limits at E = 92.3",
        );
        // Unadjusted: the exact Poisson limits of E events over E.
        let none = funnel(Adjustment::None);
        let (l, u) = funnel::count_limits(50.3, 0.95);
        close(none.unit_limits[5].0.0, l / 50.3, "lower 95 at E = 50.3");
        close(none.unit_limits[5].0.1, u / 50.3, "upper 95 at E = 50.3");
    }

    /// `scripts/reference/funnel_overdispersion.py`, ratios of counts (events
    /// after against before): log((x + ½)/(y + ½)) around the log of the
    /// pooled ratio, with s² = x/(x + ½)² + y/(y + ½)², limits at each unit's
    /// precision 1/s².
    #[test]
    fn ratios_of_counts_are_assessed_on_the_log_scale_at_their_precision() {
        let rows = [
            (120.0, 160.0),
            (95.0, 90.0),
            (40.0, 75.0),
            (210.0, 230.0),
            (60.0, 120.0),
            (33.0, 30.0),
            (150.0, 260.0),
            (88.0, 85.0),
            (25.0, 60.0),
            (170.0, 180.0),
            (70.0, 140.0),
            (44.0, 41.0),
        ];
        let funnel = |adjustment| funnel_of(&rows, FunnelKind::RatioOfCounts, adjustment);
        let a = funnel(Adjustment::Additive);
        close(a.baseline, 0.7511896668932699, "pooled ratio");
        close(a.dispersion.phi, 4.323379490422684, "phi");
        close(a.dispersion.tau2, 0.07376668075589571, "tau2");
        assert!((a.dispersion.p / 2.86567490151175e-07 - 1.0).abs() < 1e-6);
        limits(
            a.unit_limits[3].0,
            [
                0.42733132521358924,
                1.3204880671108765,
                0.3086649489527235,
                1.8281502890490182,
            ],
            "additive limits at (210, 230)",
        );
        let m = funnel(Adjustment::Multiplicative);
        limits(
            m.unit_limits[7].0,
            [
                0.4056335238114036,
                1.3911224850083705,
                0.2843188719670456,
                1.9846938465365964,
            ],
            "multiplicative limits at (88, 85)",
        );
        assert!(a.method.contains("log scale"));
        // Unadjusted: normal limits at the unit's precision, and each flag
        // reads the unit's ratio against its own limits (25 of 60 is below
        // the lower 95% limit, not the 99.8% one).
        let none = funnel(Adjustment::None);
        let precision = FunnelKind::RatioOfCounts.position(&units(&rows)[8]);
        close(
            none.unit_limits[8].0.0,
            (0.7511896668932699_f64.ln() - 1.959963984540054 / precision.sqrt()).exp(),
            "lower 95% at (25, 60)",
        );
        assert_eq!(none.unit_limits[8].1, Flag::Low95);
        for ((x, y), (l, flag)) in rows.iter().zip(&none.unit_limits) {
            let v = x / y;
            let expected = if v > l.3 {
                Flag::High998
            } else if v > l.1 {
                Flag::High95
            } else if v < l.2 {
                Flag::Low998
            } else if v < l.0 {
                Flag::Low95
            } else {
                Flag::NotSignificant
            };
            assert_eq!(*flag, expected, "{x} of {y}");
        }
    }

    /// An overdispersed set of small shares: additive and multiplicative
    /// limits would fall below 0 at small denominators and rise above 1 for
    /// large shares; every published limit stays within 0 to 1 (rates from 0).
    #[test]
    fn widened_funnel_limits_stay_within_the_natural_range() {
        let low: Vec<(f64, f64)> = [
            0.0, 1.0, 9.0, 0.0, 14.0, 2.0, 0.0, 11.0, 1.0, 16.0, 0.0, 3.0,
        ]
        .iter()
        .zip([
            20.0, 30.0, 40.0, 25.0, 60.0, 35.0, 20.0, 50.0, 30.0, 70.0, 22.0, 45.0,
        ])
        .map(|(x, n)| (*x, n))
        .collect();
        let high: Vec<(f64, f64)> = low.iter().map(|(x, n)| (n - x, *n)).collect();
        for (rows, kind) in [
            (&low, FunnelKind::Proportion),
            (&high, FunnelKind::Proportion),
            (&low, FunnelKind::Rate),
        ] {
            for adjustment in [Adjustment::Additive, Adjustment::Multiplicative] {
                let f = funnel_of(rows, kind, adjustment);
                let all = f
                    .grid
                    .iter()
                    .map(|g| g.1)
                    .chain(f.unit_limits.iter().map(|u| u.0));
                for l in all {
                    assert!(l.0 >= 0.0 && l.2 >= 0.0, "{kind:?} {adjustment:?} {l:?}");
                    if kind == FunnelKind::Proportion {
                        assert!(l.1 <= 1.0 && l.3 <= 1.0, "{adjustment:?} {l:?}");
                    }
                }
            }
        }
    }

    #[test]
    fn a_planted_outlier_is_flagged_and_limits_hold_their_estimate() {
        let mut rows: Vec<(f64, f64)> = (0..12).map(|i| (20.0 + f64::from(i % 3), 200.0)).collect();
        rows.push((90.0, 200.0));
        let f = funnel_of(&rows, FunnelKind::Proportion, Adjustment::None);
        assert_eq!(f.unit_limits.last().unwrap().1, Flag::High998);
        assert!(
            f.unit_limits[..12]
                .iter()
                .all(|(_, flag)| *flag == Flag::NotSignificant)
        );
        for (_, l) in &f.grid {
            assert!(l.2 <= l.0 && l.0 <= f.baseline && f.baseline <= l.1 && l.1 <= l.3);
        }
    }

    #[test]
    fn overdispersion_widens_limits_when_chosen() {
        let rows: Vec<(f64, f64)> = (0..20)
            .map(|i| (f64::from(10 + 4 * (i % 5)), 100.0))
            .collect();
        let measure = FunnelMeasure {
            name: "m".into(),
            label: "m".into(),
            kind: FunnelKind::Proportion,
            units: units(&rows),
        };
        let plain = compute_funnel(measure.clone(), Adjustment::None);
        let additive = compute_funnel(measure.clone(), Adjustment::Additive);
        let auto = compute_funnel(measure, Adjustment::Auto);
        assert!(plain.dispersion.p < 0.05, "{:?}", plain.dispersion);
        assert!(additive.unit_limits[0].0.3 > plain.unit_limits[0].0.3);
        assert!(auto.method.contains("additive"), "{}", auto.method);
        assert!(plain.method.contains("no overdispersion adjustment"));
    }

    #[test]
    fn rate_funnels_use_count_limits() {
        let rows = [
            (30.0, 10.0),
            (28.0, 10.0),
            (35.0, 12.0),
            (90.0, 10.0),
            (3.0, 1.0),
        ];
        let f = funnel_of(&rows, FunnelKind::Rate, Adjustment::None);
        assert_eq!(f.unit_limits[3].1, Flag::High998);
        assert!(f.method.contains("Byar"));
    }
}
