//! A referral episode and what follows it: contacts, onward referrals, assessments.

use super::calendar;
use super::draw::{self, Stream};
use super::person::Person;
use super::wellbeing::{self, Item};
use super::world::{LINK_WORKERS_PER_PCN, World};
use crate::model::codes::{NEED, REFERRAL_SOURCE};

/// Shares of referral sources, in the order of [`REFERRAL_SOURCE`].
const SOURCE_SHARES: &[f64] = &[
    0.55, 0.03, 0.06, 0.04, 0.03, 0.005, 0.01, 0.01, 0.04, 0.03, 0.02, 0.05, 0.10, 0.025,
];

/// Chance of each need being recorded, in the order of [`NEED`].
const NEED_CHANCES: &[f64] = &[
    0.30, 0.35, 0.35, 0.15, 0.15, 0.08, 0.06, 0.08, 0.04, 0.05, 0.04, 0.02, 0.04, 0.03, 0.03,
];

/// A referral to a link worker.
#[derive(Debug, Clone)]
pub struct Episode {
    /// Referral id.
    pub id: String,
    /// Referral date.
    pub date: i32,
    /// Referral source code.
    pub source: &'static str,
    /// Need codes.
    pub needs: Vec<&'static str>,
    /// Status code.
    pub status: &'static str,
    /// First contact.
    pub first_contact: Option<i32>,
    /// Closure.
    pub closure: Option<i32>,
    /// Link worker id.
    pub link_worker: String,
    /// PCN index (its scheme runs the episode).
    pub pcn: usize,
}

impl Episode {
    /// Whether the person took up support (the planted effects apply to these).
    pub fn treated(&self) -> bool {
        self.status == "accepted" && self.first_contact.is_some()
    }
}

/// Draw the referral of `person`, numbered `n`, if one fits in their registration.
pub fn draw_episode(rng: &mut Stream, person: &Person, world: &World, n: usize) -> Option<Episode> {
    let date = draw::between(rng, calendar::referrals_start(), calendar::referrals_end());
    if date < person.registered || date >= person.exit() {
        return None;
    }
    let end = calendar::extract_end();
    let source = REFERRAL_SOURCE.codes[draw::weighted(rng, SOURCE_SHARES)].code;
    let mut needs: Vec<&'static str> = NEED
        .codes
        .iter()
        .zip(NEED_CHANCES)
        .filter_map(|(c, p)| draw::chance(rng, *p).then_some(c.code))
        .collect();
    if needs.is_empty() {
        needs.push(if person.need > 0.5 {
            "mental_health"
        } else {
            "loneliness_isolation"
        });
    }
    let status =
        ["accepted", "declined", "did_not_attend"][draw::weighted(rng, &[0.80, 0.11, 0.09])];
    let (first_contact, closure) = match status {
        "accepted" => {
            let first = date + 1 + draw::exponential(rng, 10.0) as i32;
            let closure = first + draw::between(rng, 45, 180);
            (Some(first), Some(closure))
        }
        "declined" => {
            let first = draw::chance(rng, 0.6).then(|| date + draw::exponential(rng, 7.0) as i32);
            (
                first,
                Some(first.unwrap_or(date) + draw::between(rng, 0, 14)),
            )
        }
        _ => (None, Some(date + draw::between(rng, 21, 60))),
    };
    let in_data = |d: Option<i32>| d.filter(|&d| d <= end.min(person.exit()));
    let pcn = world.practices[person.practice].pcn;
    Some(Episode {
        id: format!("R{:08}", n + 1),
        date,
        source,
        needs,
        status,
        first_contact: in_data(first_contact),
        closure: in_data(closure),
        link_worker: format!(
            "LW{:04}-{}",
            pcn + 1,
            draw::between(rng, 1, LINK_WORKERS_PER_PCN as i32)
        ),
        pcn,
    })
}

/// One completed measure.
#[derive(Debug, Clone)]
pub struct Assessment {
    /// Instrument code.
    pub instrument: &'static str,
    /// Date completed.
    pub date: i32,
    /// Item responses in order.
    pub items: Vec<i64>,
}

/// A score whose true expected change the generator records.
#[derive(Debug, Clone, Copy)]
pub enum Score {
    /// SWEMWBS metric score.
    SwemwbsMetric,
    /// WEMWBS total.
    WemwbsTotal,
    /// One ONS4 item (index 0–3).
    Ons4(usize),
    /// UCLA-3 total.
    Ucla3Total,
}

impl Score {
    /// Name in `truth.json`.
    pub fn name(self) -> &'static str {
        match self {
            Score::SwemwbsMetric => "swemwbs_metric",
            Score::WemwbsTotal => "wemwbs_total",
            Score::Ons4(0) => "ons4_life_satisfaction",
            Score::Ons4(1) => "ons4_worthwhile",
            Score::Ons4(2) => "ons4_happiness",
            Score::Ons4(_) => "ons4_anxiety",
            Score::Ucla3Total => "ucla3_total",
        }
    }

    /// Expected value of the score at latent wellbeing `w`.
    pub fn expected(self, w: f64) -> f64 {
        match self {
            Score::SwemwbsMetric => wellbeing::expected_swemwbs_metric(w),
            Score::WemwbsTotal => 14.0 * wellbeing::WEMWBS_ITEM.expected(w),
            Score::Ons4(3) => wellbeing::ONS4_ANXIETY.expected(w),
            Score::Ons4(_) => wellbeing::ONS4_POSITIVE.expected(w),
            Score::Ucla3Total => 3.0 * wellbeing::UCLA_ITEM.expected(w),
        }
    }
}

/// The instruments a scheme uses, with their items and the scores they give.
pub fn instruments(uses_wemwbs: bool) -> Vec<(&'static str, Vec<Item>, Vec<Score>)> {
    let wemwbs = if uses_wemwbs {
        (
            "wemwbs",
            vec![wellbeing::WEMWBS_ITEM; 14],
            vec![Score::WemwbsTotal],
        )
    } else {
        (
            "swemwbs",
            vec![wellbeing::WEMWBS_ITEM; 7],
            vec![Score::SwemwbsMetric],
        )
    };
    vec![
        wemwbs,
        (
            "ons4",
            vec![
                wellbeing::ONS4_POSITIVE,
                wellbeing::ONS4_POSITIVE,
                wellbeing::ONS4_POSITIVE,
                wellbeing::ONS4_ANXIETY,
            ],
            (0..4).map(Score::Ons4).collect(),
        ),
        (
            "ucla3",
            vec![wellbeing::UCLA_ITEM; 3],
            vec![Score::Ucla3Total],
        ),
    ]
}

/// What the chance of a follow-up depends on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum AttritionOn {
    /// The latent baseline wellbeing, which questionnaires measure with error.
    #[default]
    Latent,
    /// The baseline as recorded (the wellbeing questionnaire's answers), so
    /// follow-ups are missing at random given the recorded baseline.
    Recorded,
}

/// One episode's assessments, with the latent wellbeing behind them.
pub struct Drawn {
    /// Baseline rows, and follow-up rows when followed up.
    pub rows: Vec<Assessment>,
    /// Latent wellbeing at baseline.
    pub w0: f64,
    /// Latent wellbeing at follow-up, recorded or not.
    pub w1: f64,
    /// Whether the follow-up was recorded.
    pub followed_up: bool,
}

/// Assessments at baseline and (for about half) at follow-up, with the
/// person's latent wellbeing at each (the follow-up's whether it was
/// recorded or not). The latent change falls by `change_by_baseline` per
/// standard deviation of better baseline, and the log-odds of a follow-up
/// rise by `attrition_by_baseline` per standard deviation of the latent
/// baseline (`attrition_on` latent; its mean is about −0.7) or of the
/// baseline as recorded (`attrition_on` recorded: missing at random given
/// the recorded score), and by `attrition_mnar` per standard deviation of the
/// person's own change beyond the expected (missing not at random).
pub fn draw_assessments(
    rng: &mut Stream,
    person: &Person,
    episode: &Episode,
    uses_wemwbs: bool,
    options: &super::SynthOptions,
) -> Option<Drawn> {
    let first = episode.first_contact.filter(|_| episode.treated())?;
    if !draw::chance(rng, 0.85) {
        return None;
    }
    let end = calendar::extract_end().min(person.exit());
    let baseline_date = (first + draw::between(rng, 0, 7)).min(end);
    let w0 = -0.7 - 0.3 * person.need + 0.9 * draw::normal(rng);
    // The person's own change beyond the expected, in standard deviations.
    let own = draw::normal(rng);
    let w1 = w0 + options.wellbeing_effect - options.change_by_baseline * (w0 + 0.7) + 0.4 * own;
    let mut rows = Vec::new();
    // What the chance of a follow-up rests on: the latent baseline, or the
    // baseline as recorded (the first instrument's mean item on the latent
    // scale), drawn first.
    let basis = match options.attrition_on {
        AttritionOn::Latent => w0,
        AttritionOn::Recorded => {
            for (instrument, items, _) in instruments(uses_wemwbs) {
                rows.push(Assessment {
                    instrument,
                    date: baseline_date,
                    items: items.iter().map(|i| i.draw(rng, w0)).collect(),
                });
            }
            let first = &rows[0].items;
            let mean_item = first.iter().sum::<i64>() as f64 / first.len() as f64;
            (mean_item - wellbeing::WEMWBS_ITEM.mean) / wellbeing::WEMWBS_ITEM.slope
        }
    };
    // People doing worse are less likely to complete a follow-up (attrition bias).
    // … and, when planted, people who did not improve (missing not at random).
    let p_follow_up = 1.0
        / (1.0
            + (-(0.35 + options.attrition_by_baseline * basis + options.attrition_mnar * own))
                .exp());
    let follow_up_date = episode
        .closure
        .map(|c| (c + draw::between(rng, -7, 14)).max(baseline_date + 42))
        .filter(|&d| d <= end && draw::chance(rng, p_follow_up));
    for (instrument, items, _) in instruments(uses_wemwbs) {
        if options.attrition_on == AttritionOn::Latent {
            rows.push(Assessment {
                instrument,
                date: baseline_date,
                items: items.iter().map(|i| i.draw(rng, w0)).collect(),
            });
        }
        if let Some(date) = follow_up_date {
            rows.push(Assessment {
                instrument,
                date,
                items: items.iter().map(|i| i.draw(rng, w1)).collect(),
            });
        }
    }
    Some(Drawn {
        rows,
        w0,
        w1,
        followed_up: follow_up_date.is_some(),
    })
}
