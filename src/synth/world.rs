//! The fixed parts of the synthetic world: practices, PCNs and their schemes,
//! neighbourhoods (made-up LSOA codes with IMD deciles) and VCSE organisations.

use super::calendar::day;
use super::draw::{self, Stream};
use crate::model::codes::{ACTIVITY_TYPE, ORGANISATION_CATEGORY};

/// Practices grouped into one PCN.
pub const PRACTICES_PER_PCN: usize = 3;
/// Neighbourhoods each practice draws its patients from.
const LSOAS_PER_PRACTICE: usize = 12;
/// Link workers per PCN.
pub const LINK_WORKERS_PER_PCN: usize = 3;

const PLACES: &[&str] = &[
    "Riverside",
    "Hillcrest",
    "Oakwood",
    "Meadowbank",
    "Northgate",
    "Ashford",
    "Brookside",
    "Elmfield",
    "Kingfisher",
    "Willowdale",
    "Harbourside",
    "Stonebridge",
];

/// A GP practice.
#[derive(Debug, Clone)]
pub struct Practice {
    /// ODS-shaped code (made up: `Y` and five digits).
    pub code: String,
    /// Index of its PCN.
    pub pcn: usize,
    /// Its neighbourhoods: (LSOA code, IMD decile).
    pub lsoas: Vec<(String, i64)>,
}

/// A PCN with its social prescribing scheme.
#[derive(Debug, Clone)]
pub struct Pcn {
    /// `U` and five digits (made up).
    pub code: String,
    /// The scheme's name.
    pub scheme: String,
    /// Whether the scheme uses full WEMWBS rather than SWEMWBS.
    pub uses_wemwbs: bool,
}

/// A VCSE organisation.
#[derive(Debug, Clone)]
pub struct Organisation {
    /// `ORG` and five digits.
    pub id: String,
    /// Name (made up from place and activity).
    pub name: String,
    /// Organisation category code.
    pub category: &'static str,
    /// Activity type code.
    pub activity: &'static str,
    /// When it started.
    pub start: i32,
    /// How often it is chosen.
    pub popularity: f64,
}

/// The world every person lives in.
#[derive(Debug)]
pub struct World {
    /// Practices.
    pub practices: Vec<Practice>,
    /// PCNs.
    pub pcns: Vec<Pcn>,
    /// Organisations.
    pub organisations: Vec<Organisation>,
}

impl World {
    /// A world sized for `people` registered people.
    pub fn new(rng: &mut Stream, people: usize) -> World {
        let n_practices = (people / 400).clamp(10, 5000);
        let n_pcns = n_practices.div_ceil(PRACTICES_PER_PCN);
        let pcns = (0..n_pcns)
            .map(|i| {
                let place = PLACES[i % PLACES.len()];
                let round = i / PLACES.len();
                let scheme = if round == 0 {
                    format!("{place} Social Prescribing")
                } else {
                    format!("{place} {} Social Prescribing", round + 1)
                };
                Pcn {
                    code: format!("U{:05}", 90_000 + i),
                    scheme,
                    uses_wemwbs: i % 3 == 2,
                }
            })
            .collect();
        let mut lsoa_number = 900_000;
        let practices = (0..n_practices)
            .map(|i| {
                // Each practice serves a mix of areas around its own deprivation level.
                let centre = 1.0 + 9.0 * draw::between(rng, 0, 1000) as f64 / 1000.0;
                let lsoas = (0..LSOAS_PER_PRACTICE)
                    .map(|_| {
                        lsoa_number += 1;
                        let decile =
                            (centre + 1.5 * draw::normal(rng)).round().clamp(1.0, 10.0) as i64;
                        (format!("E01{lsoa_number:06}"), decile)
                    })
                    .collect();
                Practice {
                    code: format!("Y{:05}", 60_000 + i),
                    pcn: i / PRACTICES_PER_PCN,
                    lsoas,
                }
            })
            .collect();
        let n_orgs = (people / 150).clamp(15, 4000);
        let organisations = (0..n_orgs).map(|i| organisation(rng, i)).collect();
        World {
            practices,
            pcns,
            organisations,
        }
    }
}

fn organisation(rng: &mut Stream, i: usize) -> Organisation {
    // Activity, the kind of name it gives, and a likely category.
    const KINDS: &[(&str, &str, &str)] = &[
        ("physical_activity", "Walking Group", "community_group"),
        ("arts_and_creativity", "Art Club", "community_group"),
        ("green_and_nature", "Community Garden", "charity"),
        ("befriending", "Befriending Service", "charity"),
        (
            "peer_support_group",
            "Peer Support Group",
            "community_group",
        ),
        ("advice_and_money", "Money Advice", "charity"),
        ("housing_support", "Housing Advice", "statutory_service"),
        (
            "employment_and_learning",
            "Learning Centre",
            "social_enterprise",
        ),
        ("volunteering", "Volunteer Hub", "charity"),
        ("faith_and_culture", "Community Choir", "faith_group"),
        (
            "health_and_care_service",
            "Carers Support",
            "statutory_service",
        ),
        ("physical_activity", "Tai Chi Group", "community_group"),
    ];
    let (activity, noun, category) = KINDS[i % KINDS.len()];
    let place = PLACES[(i / KINDS.len()) % PLACES.len()];
    let round = i / (KINDS.len() * PLACES.len());
    let name = if round == 0 {
        format!("{place} {noun}")
    } else {
        format!("{place} {noun} {}", round + 1)
    };
    let new_group = draw::chance(rng, 0.15);
    let start = if new_group {
        draw::between(rng, day(2024, 1, 1), day(2025, 6, 30))
    } else {
        draw::between(rng, day(2005, 1, 1), day(2022, 12, 31))
    };
    debug_assert!(ACTIVITY_TYPE.resolve(activity).is_some());
    debug_assert!(ORGANISATION_CATEGORY.resolve(category).is_some());
    Organisation {
        id: format!("ORG{:05}", i + 1),
        name,
        category,
        activity,
        start,
        popularity: 1.0 / ((i % 40) as f64 + 1.0).powf(0.8),
    }
}
