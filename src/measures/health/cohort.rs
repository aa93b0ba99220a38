//! The people, their events and the index referrals, read from the warehouse
//! into compact columns: one row per person, events grouped by person and
//! setting and sorted by day, so any window's count is two binary searches.

use std::collections::HashMap;

use foldhash::fast::FixedState;

use datafusion::arrow::array::{Array, AsArray, RecordBatch};
use datafusion::arrow::datatypes::{Date32Type, Int64Type};
use datafusion::prelude::SessionContext;

use super::window::{Coverage, Presence};
use crate::days::Ymd;
use crate::error::Result;
use crate::measures::period::Period;
use crate::measures::query::Query;
use crate::measures::table::text_column;
use crate::model::codes::{AGE_BAND, HEALTH_SETTING, age_band_position};

/// Health settings in output order (the order of the code list).
pub const SETTINGS: usize = 4;

/// `queries/health_people.sql`.
pub const HEALTH_PEOPLE_SQL: Query = crate::measure_file!("health_people");

/// `queries/health_index_episodes.sql`.
pub const HEALTH_INDEX_EPISODES_SQL: Query = crate::measure_file!("health_index_episodes");

/// `queries/health_events.sql`.
pub const HEALTH_EVENTS_SQL: Query = crate::measure_file!("health_events");

/// The measure files every health and care system table is computed from.
pub const HEALTH_QUERIES: &[Query] = &[
    HEALTH_PEOPLE_SQL,
    HEALTH_INDEX_EPISODES_SQL,
    HEALTH_EVENTS_SQL,
];

/// The code of setting `s`.
pub fn setting_code(s: usize) -> &'static str {
    HEALTH_SETTING.codes[s].code
}

/// The label of setting `s`.
pub fn setting_label(s: usize) -> &'static str {
    HEALTH_SETTING.codes[s].label
}

/// Everyone in the warehouse, column by column (index = person number).
#[derive(Debug, Default)]
pub struct People {
    /// Person ids, sorted.
    pub ids: Vec<String>,
    /// First day of the birth month, when known (packed, for ages).
    pub birth: Vec<Option<Ymd>>,
    /// Recorded age band (index into the age-band codes), used when there is no birth month.
    pub recorded_band: Vec<Option<u8>>,
    /// Sex code (interned).
    pub sex: Vec<u32>,
    /// IMD quintile 1–5, 0 when unknown.
    pub imd_quintile: Vec<u8>,
    /// Practice (interned).
    pub practice: Vec<u32>,
    /// PCN (interned; the practice's own id when the PCN is missing).
    pub pcn: Vec<u32>,
    /// Registration, deregistration and death.
    pub presence: Vec<Presence>,
    /// Ever referred (any referral, any date).
    pub ever_referred: Vec<bool>,
    /// Ever had an accepted referral.
    pub ever_accepted: Vec<bool>,
    /// Interned strings (sex codes, practices, PCNs).
    pub names: Vec<String>,
}

impl People {
    /// The interned number of a sex code, when anyone has it.
    pub fn sex_code(&self, code: &str) -> Option<u32> {
        self.sex
            .iter()
            .copied()
            .find(|&s| self.names[s as usize] == code)
    }

    /// Age band (index into the age-band codes) on `day`, when known.
    pub fn age_band(&self, p: usize, day: i32) -> Option<u8> {
        self.age_band_on(p, Ymd::of(day))
    }

    /// [`People::age_band`] on a date already packed, for loops over many
    /// people on one day.
    pub fn age_band_on(&self, p: usize, on: Ymd) -> Option<u8> {
        match self.birth[p] {
            Some(b) => Some(age_band_position(b.years_to(on))),
            None => self.recorded_band[p],
        }
    }

    /// Age in years on the day `on` (the band's midpoint when only a band is recorded).
    pub fn age_on(&self, p: usize, on: Ymd) -> Option<f64> {
        match self.birth[p] {
            Some(b) => Some(f64::from(b.years_to(on))),
            None => self.recorded_band[p].map(|i| match AGE_BAND.codes[i as usize].code {
                "85+" => 90.0,
                code => code
                    .split_once('-')
                    .and_then(|(lo, hi)| {
                        Some((lo.parse::<f64>().ok()? + hi.parse::<f64>().ok()?) / 2.0)
                    })
                    .unwrap_or(f64::NAN),
            }),
        }
    }
}

/// Event days per person and setting, sorted (compressed rows).
#[derive(Debug, Default)]
pub struct Events {
    /// offsets[s][p]..offsets[s][p + 1] index `days[s]` for person p.
    offsets: Vec<Vec<u32>>,
    days: Vec<Vec<i32>>,
    /// The span of event data (None when there are no events).
    pub coverage: Option<Coverage>,
}

impl Events {
    /// Events from (person, day) lists, one list per setting, for `people` people;
    /// the span of event data is taken from the first and last day.
    pub fn from_lists(people: usize, lists: Vec<Vec<(u32, i32)>>) -> Events {
        let coverage = lists
            .iter()
            .flatten()
            .map(|&(_, d)| Coverage { first: d, last: d })
            .reduce(|a, b| Coverage {
                first: a.first.min(b.first),
                last: a.last.max(b.last),
            });
        let mut events = Events {
            coverage,
            ..Events::default()
        };
        events.fill(people, lists);
        events
    }

    /// Group (person, day) lists by person with a counting sort and sort each person's days.
    fn fill(&mut self, people: usize, lists: Vec<Vec<(u32, i32)>>) {
        for list in lists {
            let mut offsets = vec![0u32; people + 1];
            for &(p, _) in &list {
                offsets[p as usize + 1] += 1;
            }
            for p in 0..people {
                offsets[p + 1] += offsets[p];
            }
            let mut fill = offsets.clone();
            let mut days = vec![0i32; list.len()];
            for (p, day) in list {
                let slot = &mut fill[p as usize];
                days[*slot as usize] = day;
                *slot += 1;
            }
            for p in 0..people {
                days[offsets[p] as usize..offsets[p + 1] as usize].sort_unstable();
            }
            self.offsets.push(offsets);
            self.days.push(days);
        }
    }

    /// The sorted event days of person `p` in setting `s`.
    pub fn days(&self, s: usize, p: usize) -> &[i32] {
        let o = &self.offsets[s];
        &self.days[s][o[p] as usize..o[p + 1] as usize]
    }
}

/// An index referral.
#[derive(Debug, Clone)]
pub struct Index {
    /// Referral id.
    pub referral_id: String,
    /// Person number.
    pub person: usize,
    /// Referral date.
    pub date: i32,
}

/// What the health measures read from the warehouse.
#[derive(Debug, Default)]
pub struct Cohort {
    /// Everyone in the people extract, referred or not.
    pub people: People,
    /// Their events.
    pub events: Events,
    /// First accepted referral in the period, per person (the referred cohort).
    pub accepted: Vec<Index>,
    /// First declined referral in the period of people never accepted.
    pub declined: Vec<Index>,
}

/// Read the cohort for `period`.
pub async fn load(ctx: &SessionContext, period: &Period) -> Result<Cohort> {
    let people = read_people(&HEALTH_PEOPLE_SQL.run(ctx, &[]).await?)?;
    let lookup: HashMap<&str, usize, FixedState> = people
        .ids
        .iter()
        .enumerate()
        .map(|(i, id)| (id.as_str(), i))
        .collect();
    let mut lists: Vec<Vec<(u32, i32)>> = vec![Vec::new(); SETTINGS];
    HEALTH_EVENTS_SQL
        .for_each_batch(ctx, &[], |b| add_events(b, &lookup, &mut lists))
        .await?;
    let events = Events::from_lists(people.ids.len(), lists);
    let episodes = HEALTH_INDEX_EPISODES_SQL
        .run(ctx, &period.parameters())
        .await?;
    let (mut accepted, mut declined) = (Vec::new(), Vec::new());
    let mut seen = vec![false; people.ids.len()];
    let mut declined_seen = vec![false; people.ids.len()];
    for b in &episodes {
        let (Some(ids), Some(persons), Some(status)) = (
            text_column(b, "referral_id"),
            text_column(b, "person_id"),
            text_column(b, "status"),
        ) else {
            continue;
        };
        let dates = crate::measures::table::column(b, "referral_date")
            .and_then(|c| c.as_primitive_opt::<Date32Type>().cloned());
        let Some(dates) = dates else { continue };
        for i in 0..b.num_rows() {
            let Some(&p) = lookup.get(persons.value(i)) else {
                continue;
            };
            let index = Index {
                referral_id: ids.value(i).to_string(),
                person: p,
                date: dates.value(i),
            };
            // Rows come ordered by person and date: the first of each kind is the index.
            if status.value(i) == "accepted" && !seen[p] {
                seen[p] = true;
                accepted.push(index);
            } else if status.value(i) == "declined" && !people.ever_accepted[p] && !declined_seen[p]
            {
                declined_seen[p] = true;
                declined.push(index);
            }
        }
    }
    let by_date = |a: &Index, b: &Index| (a.date, &a.referral_id).cmp(&(b.date, &b.referral_id));
    accepted.sort_by(by_date);
    declined.sort_by(by_date);
    Ok(Cohort {
        people,
        events,
        accepted,
        declined,
    })
}

fn read_people(batches: &[RecordBatch]) -> Result<People> {
    let mut people = People::default();
    let mut interned: HashMap<String, u32, FixedState> = HashMap::default();
    let mut intern = |s: &str, names: &mut Vec<String>| -> u32 {
        if let Some(&i) = interned.get(s) {
            return i;
        }
        let i = names.len() as u32;
        names.push(s.to_string());
        interned.insert(s.to_string(), i);
        i
    };
    for b in batches {
        let text = |n: &str| text_column(b, n);
        let date = |n: &str| {
            crate::measures::table::column(b, n)
                .and_then(|c| c.as_primitive_opt::<Date32Type>().cloned())
        };
        let (Some(ids), Some(bands), Some(sex), Some(practice), Some(pcn)) = (
            text("person_id"),
            text("age_band"),
            text("sex"),
            text("practice_code"),
            text("pcn_code"),
        ) else {
            continue;
        };
        let (Some(birth), Some(start), Some(end), Some(death)) = (
            date("birth_month"),
            date("registration_start"),
            date("registration_end"),
            date("date_of_death"),
        ) else {
            continue;
        };
        let decile = crate::measures::table::column(b, "imd_decile")
            .and_then(|c| c.as_primitive_opt::<Int64Type>().cloned());
        let flag = |n: &str| {
            crate::measures::table::column(b, n).and_then(|c| c.as_boolean_opt().cloned())
        };
        let (Some(decile), Some(referred), Some(accepted)) =
            (decile, flag("ever_referred"), flag("ever_accepted"))
        else {
            continue;
        };
        let opt_date = |a: &datafusion::arrow::array::Date32Array, i: usize| {
            (!a.is_null(i)).then(|| a.value(i))
        };
        for i in 0..b.num_rows() {
            people.ids.push(ids.value(i).to_string());
            people.birth.push(opt_date(&birth, i).map(Ymd::of));
            people.recorded_band.push(
                (!bands.is_null(i))
                    .then(|| AGE_BAND.codes.iter().position(|c| c.code == bands.value(i)))
                    .flatten()
                    .map(|x| x as u8),
            );
            people.sex.push(intern(sex.value(i), &mut people.names));
            people.imd_quintile.push(if decile.is_null(i) {
                0
            } else {
                ((decile.value(i) + 1) / 2).clamp(1, 5) as u8
            });
            let practice_id = intern(practice.value(i), &mut people.names);
            people.practice.push(practice_id);
            people.pcn.push(if pcn.is_null(i) {
                practice_id
            } else {
                intern(pcn.value(i), &mut people.names)
            });
            people.presence.push(Presence {
                registered: opt_date(&start, i),
                deregistered: opt_date(&end, i),
                died: opt_date(&death, i),
            });
            people.ever_referred.push(referred.value(i));
            people.ever_accepted.push(accepted.value(i));
        }
    }
    Ok(people)
}

/// Add one batch of per-person event lists (a list column per setting, named
/// by its code; NULL where the person has none) to the per-setting (person,
/// day) lists.
fn add_events(
    b: &RecordBatch,
    lookup: &HashMap<&str, usize, FixedState>,
    lists: &mut [Vec<(u32, i32)>],
) {
    let Some(persons) = text_column(b, "person_id") else {
        return;
    };
    let persons: Vec<Option<u32>> = (0..b.num_rows())
        // Ingest quarantines events of unknown people, so every id is found.
        .map(|i| lookup.get(persons.value(i)).map(|&p| p as u32))
        .collect();
    for (s, list) in lists.iter_mut().enumerate() {
        let Some(days) =
            crate::measures::table::column(b, setting_code(s)).and_then(|c| c.as_list_opt::<i32>())
        else {
            continue;
        };
        // Each person's dates are a range of the one values array (no slice
        // made per person).
        let Some(values) = days.values().as_primitive_opt::<Date32Type>() else {
            continue;
        };
        let offsets = days.value_offsets();
        for (i, person) in persons.iter().enumerate() {
            let Some(p) = *person else { continue };
            if days.is_null(i) {
                continue;
            }
            let range = offsets[i] as usize..offsets[i + 1] as usize;
            list.extend(
                range
                    .filter(|&j| values.is_valid(j))
                    .map(|j| (p, values.value(j))),
            );
        }
    }
}

/// Hand-built cohorts for the unit tests of the health measures.
#[cfg(test)]
pub mod testing {
    use super::*;

    /// A person for [`cohort`]: id, birth day, sex, IMD quintile, practice,
    /// presence, ever referred, and GP appointment days.
    pub struct Person<'a> {
        /// Person id.
        pub id: &'a str,
        /// Day of birth.
        pub birth: i32,
        /// Sex code.
        pub sex: &'a str,
        /// IMD quintile (0 unknown).
        pub quintile: u8,
        /// Practice (also the PCN).
        pub practice: &'a str,
        /// Registration, deregistration and death.
        pub presence: Presence,
        /// Ever referred (and accepted).
        pub referred: bool,
        /// GP appointment days.
        pub gp: Vec<i32>,
    }

    /// A cohort of `people` whose event data spans `coverage` (the span is
    /// pinned by events of an extra person at its ends).
    pub fn cohort(people: Vec<Person>, coverage: Coverage) -> Cohort {
        let mut c = Cohort::default();
        let mut names: Vec<String> = Vec::new();
        let mut intern = |s: &str| -> u32 {
            if let Some(i) = names.iter().position(|n| n == s) {
                return i as u32;
            }
            names.push(s.to_string());
            (names.len() - 1) as u32
        };
        let mut gp = Vec::new();
        for (i, p) in people.iter().enumerate() {
            let pp = &mut c.people;
            pp.ids.push(p.id.to_string());
            pp.birth.push(Some(Ymd::of(p.birth)));
            pp.recorded_band.push(None);
            pp.sex.push(intern(p.sex));
            pp.imd_quintile.push(p.quintile);
            let practice = intern(p.practice);
            pp.practice.push(practice);
            pp.pcn.push(practice);
            pp.presence.push(p.presence);
            pp.ever_referred.push(p.referred);
            pp.ever_accepted.push(p.referred);
            gp.extend(p.gp.iter().map(|&d| (i as u32, d)));
        }
        let pin = people.len();
        c.people.ids.push("pin".into());
        c.people.birth.push(None);
        c.people.recorded_band.push(None);
        c.people.sex.push(intern("unknown"));
        c.people.imd_quintile.push(0);
        c.people.practice.push(intern("pin"));
        c.people.pcn.push(intern("pin"));
        c.people.presence.push(Presence {
            registered: None,
            deregistered: None,
            died: None,
        });
        c.people.ever_referred.push(true);
        c.people.ever_accepted.push(true);
        c.people.names = names;
        let mut outpatient = vec![(pin as u32, coverage.first), (pin as u32, coverage.last)];
        outpatient.sort_unstable();
        c.events = Events::from_lists(pin + 1, vec![gp, Vec::new(), Vec::new(), outpatient]);
        c
    }
}
