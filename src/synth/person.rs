//! One registered person: demographics, registration, latent need and service use rates.

use super::calendar::{self, day};
use super::draw::{self, Stream};
use super::world::World;
use crate::model::codes::ETHNICITY;

/// Age bands with their share of the registered population and age range.
const AGES: &[(f64, i32, i32)] = &[
    (0.21, 0, 17),
    (0.08, 18, 24),
    (0.14, 25, 34),
    (0.13, 35, 44),
    (0.13, 45, 54),
    (0.12, 55, 64),
    (0.10, 65, 74),
    (0.06, 75, 84),
    (0.03, 85, 100),
];

/// Shares of ethnic categories, in the order of [`ETHNICITY`].
const ETHNICITY_SHARES: &[f64] = &[
    0.74, 0.01, 0.06, 0.01, 0.005, 0.01, 0.01, 0.03, 0.02, 0.01, 0.015, 0.01, 0.02, 0.005, 0.007,
    0.013, 0.02, 0.015,
];

/// A registered person.
#[derive(Debug, Clone)]
pub struct Person {
    /// Pseudonymous id.
    pub id: String,
    /// Day of birth (only the month is written).
    pub birth: i32,
    /// Sex code.
    pub sex: &'static str,
    /// Ethnic category code.
    pub ethnicity: &'static str,
    /// Practice index.
    pub practice: usize,
    /// LSOA index within the practice.
    pub lsoa: usize,
    /// IMD decile of the LSOA.
    pub decile: i64,
    /// Registration start.
    pub registered: i32,
    /// Deregistration, if any.
    pub deregistered: Option<i32>,
    /// Death, if any.
    pub died: Option<i32>,
    /// Latent need (standard normal): drives use of services and referral.
    pub need: f64,
    /// Yearly rate of each health setting before any peak, trend or effect.
    pub rates: [f64; 4],
}

impl Person {
    /// Draw person number `n`.
    pub fn draw(rng: &mut Stream, world: &World, n: usize) -> Person {
        let anchor = calendar::referrals_start();
        let band = draw::weighted(rng, &AGES.iter().map(|a| a.0).collect::<Vec<_>>());
        let age = draw::between(rng, AGES[band].1, AGES[band].2);
        let birth = anchor - age * 365 - draw::between(rng, 0, 364);
        let sex = ["female", "male", "indeterminate", "not_known"]
            [draw::weighted(rng, &[0.505, 0.49, 0.001, 0.004])];
        let ethnicity = ETHNICITY.codes[draw::weighted(rng, ETHNICITY_SHARES)].code;
        let practice = draw::between(rng, 0, world.practices.len() as i32 - 1) as usize;
        let lsoa = draw::between(rng, 0, world.practices[practice].lsoas.len() as i32 - 1) as usize;
        let decile = world.practices[practice].lsoas[lsoa].1;

        let (start, end) = (calendar::events_start(), calendar::extract_end());
        let registered = if draw::chance(rng, 0.12) {
            draw::between(rng, start, day(2025, 6, 30)).max(birth)
        } else {
            draw::between(rng, day(1990, 1, 1).max(birth), start - 1)
        };
        let deregistered =
            draw::chance(rng, 0.04).then(|| draw::between(rng, registered.max(start), end));
        let death_risk = match age {
            ..65 => 0.005,
            65..75 => 0.02,
            75..85 => 0.06,
            _ => 0.15,
        };
        let died =
            draw::chance(rng, death_risk).then(|| draw::between(rng, registered.max(start), end));

        let need = draw::normal(rng);
        let deprivation = 1.0 + 0.03 * (10 - decile) as f64;
        let person_level = deprivation * (0.4 * need).exp() * draw::frailty(rng, 4.0);
        let (gp, ae, admission, outpatient) = match age {
            ..18 => (2.5, 0.30, 0.04, 0.8),
            18..45 => (3.5, 0.25, 0.05, 1.0),
            45..65 => (5.0, 0.25, 0.08, 1.6),
            65..75 => (7.0, 0.35, 0.15, 2.5),
            _ => (9.0, 0.45, 0.30, 2.5),
        };
        Person {
            id: format!("P{:08}", n + 1),
            birth,
            sex,
            ethnicity,
            practice,
            lsoa,
            decile,
            registered,
            deregistered,
            died,
            need,
            rates: [gp, ae, admission, outpatient].map(|r| r * person_level),
        }
    }

    /// Last day the person is in the data (deregistration, death or extract end).
    pub fn exit(&self) -> i32 {
        [self.deregistered, self.died]
            .into_iter()
            .flatten()
            .fold(calendar::extract_end(), i32::min)
    }

    /// First day the person's health events are in the data.
    pub fn entry(&self) -> i32 {
        self.registered.max(calendar::events_start())
    }

    /// Age in whole years on `day`.
    pub fn age_on(&self, day: i32) -> i32 {
        calendar::age_on(self.birth, day)
    }
}
