//! Matching referred people to comparators: exact matching on age band, sex,
//! IMD quintile, practice (or PCN) and baseline-use band, k comparators per
//! case, without replacement, in a seeded random order.
//!
//! The baseline-use band is the GP appointment rate in the matching window,
//! the days just before the index that the comparison's before window leaves
//! out (see [`MatchRules::window`]). Matching on the trajectory
//! ([`MatchOn::Trajectory`]) also keys on the direction of GP use over the
//! year before that window ([`trend_class`]), so comparators share a rise
//! that starts before the washout.
//!
//! Two pools:
//! - **never referred**: registered people with no referral at any date. Each
//!   comparator takes the index date of its case (a pseudo-index), must be
//!   registered and alive on it, and has its age band and baseline band
//!   measured on it, exactly as the case's are.
//! - **declined**: people whose referral in the period was declined (and who
//!   were never accepted). Each keeps its own referral date as its index, so its
//!   own pre-referral peak lines up with the case's; features are measured on
//!   that date. The pool is small (a declined referral for every ten or so
//!   accepted), so matched within practices it leaves most cases unmatched
//!   and its estimate too wide to tell anything: when matching is by practice,
//!   a case with too few comparators in its practice takes them from the
//!   other practices of its PCN ([`Matching::within_pcn`]).

use std::collections::{BTreeMap, HashMap, HashSet};

use foldhash::fast::FixedState;

use super::cohort::{Cohort, Index, People};
use super::usage::rate_in;
use super::window::{Span, present_on};
use crate::days::Ymd;

/// The comparison pools.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pool {
    /// Registered people never referred.
    NeverReferred,
    /// People whose referral was declined.
    Declined,
}

impl Pool {
    /// Both pools, in output order.
    pub const ALL: [Pool; 2] = [Pool::NeverReferred, Pool::Declined];

    /// How the outputs name the pool.
    pub fn label(self) -> &'static str {
        match self {
            Pool::NeverReferred => "never_referred",
            Pool::Declined => "declined",
        }
    }
}

/// The organisational level matched on.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchUnit {
    /// Same GP practice.
    #[default]
    Practice,
    /// Same primary care network.
    Pcn,
}

impl MatchUnit {
    /// The practice or PCN (interned) of person `p`.
    pub fn of(self, people: &People, p: usize) -> u32 {
        match self {
            MatchUnit::Practice => people.practice[p],
            MatchUnit::Pcn => people.pcn[p],
        }
    }

    /// How the outputs name the unit.
    pub fn label(self) -> &'static str {
        match self {
            MatchUnit::Practice => "practice",
            MatchUnit::Pcn => "pcn",
        }
    }
}

/// What comparators are matched on, beside age band, sex, deprivation and
/// practice or PCN.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MatchOn {
    /// GP use in the matching window (the washout), banded.
    #[default]
    Band,
    /// That band and the direction of GP use over the year before the
    /// matching window: rising, flat or falling from its first half to its
    /// second ([`trend_class`]).
    Trajectory,
}

impl MatchOn {
    /// How the outputs name it.
    pub fn label(self) -> &'static str {
        match self {
            MatchOn::Band => "band",
            MatchOn::Trajectory => "trajectory",
        }
    }
}

/// How to match.
#[derive(Debug, Clone, Copy)]
pub struct MatchRules {
    /// What besides the fixed characteristics.
    pub on: MatchOn,
    /// Comparators per case (k:1).
    pub k: usize,
    /// Practice or PCN.
    pub unit: MatchUnit,
    /// Days of the matching window just before the index (the washout of the
    /// comparison design): its GP rate gives the baseline band.
    pub window_days: i32,
    /// The matching window must be observed for at least this share.
    pub min_coverage: f64,
    /// Seed of the candidate order.
    pub seed: u64,
}

impl MatchRules {
    /// The matching window of an index on `day`: `[day − window_days, day − 1]`.
    ///
    /// It is the washout the comparison's before window leaves out, so the
    /// outcome windows never contain the use that was matched on: matching on a
    /// noisy count and then measuring change from that same count would build
    /// regression to the mean into the comparators (those picked for a high
    /// count fall back) and bias the difference-in-differences.
    pub fn window(&self, day: i32) -> Span {
        Span {
            first: day - self.window_days,
            last: day - 1,
        }
    }
}

/// The exact-matching key of a person on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    /// Age band (index into the age-band codes; 255 unknown).
    pub age_band: u8,
    /// Sex (interned).
    pub sex: u32,
    /// IMD quintile (0 unknown).
    pub quintile: u8,
    /// Practice or PCN (interned).
    pub unit: u32,
    /// Baseline GP band ([`matching_band`]).
    pub band: u8,
    /// Direction of GP use over the year before the matching window
    /// ([`trend_class`]; 0 when not matched on it, 255 when not observed).
    pub trend: u8,
}

/// A comparator: a person and the date their windows are anchored on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Comparator {
    /// Person number.
    pub person: usize,
    /// Index (own referral) or pseudo-index (the case's) date.
    pub date: i32,
}

/// A case and its comparators.
#[derive(Debug, Clone)]
pub struct MatchedSet {
    /// Position of the case in the referred cohort.
    pub case: usize,
    /// Its comparators (1 to k).
    pub comparators: Vec<Comparator>,
}

/// The result of matching one pool.
#[derive(Debug, Clone, Default)]
pub struct Matching {
    /// Matched sets, in case order.
    pub sets: Vec<MatchedSet>,
    /// Cases whose baseline band could not be measured (too little time before).
    pub cases_without_baseline: usize,
    /// Cases for which no comparator was found.
    pub unmatched: usize,
    /// Sets with fewer than k comparators.
    pub partial: usize,
    /// People in the pool.
    pub pool_size: usize,
    /// Sets with a comparator from another practice of the case's PCN
    /// (declined pool matched by practice).
    pub within_pcn: usize,
}

/// The matching key of person `p` on `day`, when their baseline band can be measured.
pub fn key_of(cohort: &Cohort, p: usize, day: i32, rules: &MatchRules) -> Option<Key> {
    let age_band = cohort.people.age_band(p, day).unwrap_or(u8::MAX);
    key_in_age_band(cohort, p, day, rules, age_band)
}

/// [`key_of`] for a person whose age band on `day` is known to be `age_band`.
fn key_in_age_band(
    cohort: &Cohort,
    p: usize,
    day: i32,
    rules: &MatchRules,
    age_band: u8,
) -> Option<Key> {
    let people = &cohort.people;
    let gp = rate_in(cohort, p, 0, rules.window(day), rules.min_coverage)?;
    let trend = match rules.on {
        MatchOn::Band => 0,
        MatchOn::Trajectory => {
            // The two half-years before the matching window.
            let end = day - rules.window_days - 1;
            let half = |from: i32, to: i32| {
                rate_in(
                    cohort,
                    p,
                    0,
                    Span {
                        first: end - from,
                        last: end - to,
                    },
                    rules.min_coverage,
                )
            };
            match (half(364, 183), half(182, 0)) {
                (Some(first), Some(second)) => trend_class(first, second),
                _ => u8::MAX,
            }
        }
    };
    Some(Key {
        age_band,
        sex: people.sex[p],
        quintile: people.imd_quintile[p],
        unit: rules.unit.of(people, p),
        band: matching_band(gp),
        trend,
    })
}

/// The direction of GP use from `first` to `second` (rates per
/// person-year): 1 falling, 2 flat, 3 rising, by the ratio
/// `(second + 4) / (first + 4)` below 2/3 or above 3/2 (the 4 a year keeps
/// a visit in a half-year from making a light user's use rise or fall).
pub fn trend_class(first: f64, second: f64) -> u8 {
    let ratio = (second + 4.0) / (first + 4.0);
    if ratio < 2.0 / 3.0 {
        1
    } else if ratio > 1.5 {
        3
    } else {
        2
    }
}

/// The band of the matching-window GP rate (appointments per person-year):
/// finer than the reporting bands so that matched people's rates stay close,
/// with edges at 3, 6, 12, 18, 24 and 36 a year.
pub fn matching_band(rate_per_year: f64) -> u8 {
    [3.0, 6.0, 12.0, 18.0, 24.0, 36.0]
        .iter()
        .take_while(|edge| rate_per_year >= **edge)
        .count() as u8
}

/// A deterministic pseudo-random order of people (SplitMix64 of seed and person).
fn order(seed: u64, p: usize) -> u64 {
    let mut z = seed ^ (p as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// Match the referred `cases` to comparators from `pool`.
pub fn match_pool(cohort: &Cohort, cases: &[Index], pool: Pool, rules: &MatchRules) -> Matching {
    let people = &cohort.people;
    let mut result = Matching::default();
    match pool {
        Pool::NeverReferred => {
            let mut cells: HashMap<Cell, Vec<usize>, FixedState> = HashMap::default();
            for p in 0..people.ids.len() {
                if !people.ever_referred[p] {
                    result.pool_size += 1;
                    let unit = rules.unit.of(people, p);
                    cells
                        .entry((people.sex[p], people.imd_quintile[p], unit))
                        .or_default()
                        .push(p);
                }
            }
            let keys: Vec<Option<Key>> = cases
                .iter()
                .map(|case| key_of(cohort, case.person, case.date, rules))
                .collect();
            result.cases_without_baseline = keys.iter().filter(|k| k.is_none()).count();
            // A person is in one cell, so cells share no comparator: each is
            // matched on its own, cells spread over the cores, and the sets
            // put back in case order are those of one pass over the cases.
            let mut cases_of: BTreeMap<Cell, Vec<usize>> = BTreeMap::new();
            for (c, key) in keys.iter().enumerate() {
                if let Some(key) = key {
                    cases_of.entry(cell_of(key)).or_default().push(c);
                }
            }
            let work: Vec<CellWork> = cases_of
                .into_iter()
                .map(|(cell, cell_cases)| {
                    let mut candidates = cells.remove(&cell).unwrap_or_default();
                    candidates.sort_by_key(|&p| order(rules.seed, p));
                    CellWork {
                        cases: cell_cases,
                        candidates,
                    }
                })
                .collect();
            let keys = &keys;
            let mut found: Vec<(usize, Vec<Comparator>)> = std::thread::scope(|scope| {
                let threads: Vec<_> = share_out(work, crate::threads::workers())
                    .into_iter()
                    .map(|share| {
                        scope.spawn(move || match_cells(cohort, cases, keys, share, rules))
                    })
                    .collect();
                threads
                    .into_iter()
                    .flat_map(|t| t.join().expect("matching does not panic"))
                    .collect()
            });
            found.sort_unstable_by_key(|(c, _)| *c);
            for (c, comparators) in found {
                record(&mut result, c, comparators, rules.k);
            }
        }
        Pool::Declined => {
            let mut used = vec![false; people.ids.len()];
            result.pool_size = cohort.declined.len();
            let widen = rules.unit == MatchUnit::Practice;
            let in_pcn = |key: Key, p: usize| Key {
                unit: people.pcn[p],
                ..key
            };
            let mut by_key: HashMap<Key, Vec<Comparator>, FixedState> = HashMap::default();
            let mut by_pcn_key: HashMap<Key, Vec<Comparator>, FixedState> = HashMap::default();
            let mut members: Vec<&Index> = cohort.declined.iter().collect();
            members.sort_by_key(|i| std::cmp::Reverse(order(rules.seed, i.person)));
            for m in members {
                if let Some(k) = key_of(cohort, m.person, m.date, rules) {
                    let member = Comparator {
                        person: m.person,
                        date: m.date,
                    };
                    by_key.entry(k).or_default().push(member);
                    if widen {
                        by_pcn_key
                            .entry(in_pcn(k, m.person))
                            .or_default()
                            .push(member);
                    }
                }
            }
            for (c, case) in cases.iter().enumerate() {
                let Some(key) = key_of(cohort, case.person, case.date, rules) else {
                    result.cases_without_baseline += 1;
                    continue;
                };
                let mut comparators = Vec::with_capacity(rules.k);
                let mut take = |candidates: Option<&mut Vec<Comparator>>,
                                comparators: &mut Vec<Comparator>| {
                    let Some(candidates) = candidates else { return };
                    while comparators.len() < rules.k {
                        let Some(m) = candidates.pop() else { break };
                        if !used[m.person] {
                            used[m.person] = true;
                            comparators.push(m);
                        }
                    }
                };
                take(by_key.get_mut(&key), &mut comparators);
                let own = comparators.len();
                if widen && own < rules.k {
                    take(
                        by_pcn_key.get_mut(&in_pcn(key, case.person)),
                        &mut comparators,
                    );
                    if comparators.len() > own {
                        result.within_pcn += 1;
                    }
                }
                record(&mut result, c, comparators, rules.k);
            }
        }
    }
    result
}

/// The exact-matching cell of the never-referred pool: sex, IMD quintile
/// and practice or PCN.
type Cell = (u32, u8, u32);

fn cell_of(key: &Key) -> Cell {
    (key.sex, key.quintile, key.unit)
}

/// One cell's cases (in case order) and its pool members (in the seeded order).
struct CellWork {
    cases: Vec<usize>,
    candidates: Vec<usize>,
}

/// Cells dealt to `threads` shares of about equal work (most cases first,
/// each to the share with the fewest cases so far).
fn share_out(mut work: Vec<CellWork>, threads: usize) -> Vec<Vec<CellWork>> {
    work.sort_by_key(|w| std::cmp::Reverse(w.cases.len()));
    let mut shares: Vec<(usize, Vec<CellWork>)> =
        (0..threads.max(1)).map(|_| (0, Vec::new())).collect();
    for w in work {
        let lightest = shares
            .iter_mut()
            .min_by_key(|(load, _)| *load)
            .expect("at least one share");
        lightest.0 += w.cases.len();
        lightest.1.push(w);
    }
    shares
        .into_iter()
        .map(|(_, share)| share)
        .filter(|s| !s.is_empty())
        .collect()
}

/// Match the cases of some cells, each cell's in case order: scan the cell
/// in its seeded order, measuring each unused candidate on the case's own
/// index day, until k match.
fn match_cells(
    cohort: &Cohort,
    cases: &[Index],
    keys: &[Option<Key>],
    cells: Vec<CellWork>,
    rules: &MatchRules,
) -> Vec<(usize, Vec<Comparator>)> {
    let people = &cohort.people;
    let mut used = vec![false; people.ids.len()];
    let mut found = Vec::new();
    for CellWork {
        cases: cell_cases,
        candidates: mut list,
    } in cells
    {
        // (day, age band, band, trend) for which the whole cell was scanned
        // without finding a comparator: the same key on the same day fails again.
        let mut exhausted: HashSet<(i32, u8, u8, u8), FixedState> = HashSet::default();
        for c in cell_cases {
            let case = &cases[c];
            let key = keys[c].expect("only cases with a key are matched");
            let memo = (case.date, key.age_band, key.band, key.trend);
            let on = Ymd::of(case.date);
            let mut comparators = Vec::with_capacity(rules.k);
            if !exhausted.contains(&memo) {
                if list.len() > 64 && list.iter().take(list.len() / 2).all(|&p| used[p]) {
                    list.retain(|&p| !used[p]);
                }
                for &p in &list {
                    if comparators.len() == rules.k {
                        break;
                    }
                    if used[p] || !present_on(people.presence[p], case.date) {
                        continue;
                    }
                    if has_key(cohort, p, (case.date, on), rules, &key) {
                        used[p] = true;
                        comparators.push(Comparator {
                            person: p,
                            date: case.date,
                        });
                    }
                }
                if comparators.is_empty() {
                    exhausted.insert(memo);
                }
            }
            found.push((c, comparators));
        }
    }
    found
}

/// Whether person `p` has `key` on `day` (given as a Date32 day and
/// packed): [`key_of`], with the age band (cheap, and the most often
/// different) compared before any use is counted.
fn has_key(
    cohort: &Cohort,
    p: usize,
    (day, on): (i32, Ymd),
    rules: &MatchRules,
    key: &Key,
) -> bool {
    let age_band = cohort.people.age_band_on(p, on).unwrap_or(u8::MAX);
    age_band == key.age_band && key_in_age_band(cohort, p, day, rules, age_band) == Some(*key)
}

fn record(result: &mut Matching, case: usize, comparators: Vec<Comparator>, k: usize) {
    if comparators.is_empty() {
        result.unmatched += 1;
        return;
    }
    if comparators.len() < k {
        result.partial += 1;
    }
    result.sets.push(MatchedSet { case, comparators });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::health::cohort::testing::{Person, cohort};
    use crate::measures::health::window::{Coverage, Presence};

    const ALWAYS: Presence = Presence {
        registered: None,
        deregistered: None,
        died: None,
    };
    // Days: 2023-01-01 = 19358, 2024-06-01 = 19875, 2024-09-01 = 19967, 2025-12-31 = 20453.
    const DATA: Coverage = Coverage {
        first: 19_358,
        last: 20_453,
    };
    const INDEX: i32 = 19_875;

    fn person<'a>(id: &'a str, practice: &'a str, sex: &'a str, gp: Vec<i32>) -> Person<'a> {
        Person {
            id,
            birth: 0, // 1970-01-01: 54 on the index day
            sex,
            quintile: 2,
            practice,
            presence: ALWAYS,
            referred: false,
            gp,
        }
    }

    fn rules(k: usize) -> MatchRules {
        MatchRules {
            on: MatchOn::Band,
            k,
            unit: MatchUnit::Practice,
            window_days: 90,
            min_coverage: 0.5,
            seed: 1,
        }
    }

    #[test]
    fn only_exact_matches_present_on_the_index_day_are_taken_once() {
        let two_before = vec![INDEX - 60, INDEX - 10];
        let mut case1 = person("C1", "A", "female", two_before.clone());
        case1.referred = true;
        let mut case2 = person("C2", "A", "female", two_before.clone());
        case2.referred = true;
        let mut died = person("N5", "A", "female", two_before.clone());
        died.presence.died = Some(INDEX - 5);
        let c = cohort(
            vec![
                case1,
                case2,
                person("N1", "A", "female", two_before.clone()),
                person("N2", "A", "female", vec![]),
                person("N3", "B", "female", two_before.clone()),
                person("N4", "A", "male", two_before.clone()),
                died,
                // Two events, but the earlier one is outside the 90-day window.
                person("N6", "A", "female", vec![INDEX - 200, INDEX - 10]),
            ],
            DATA,
        );
        let cases = vec![
            Index {
                referral_id: "R1".into(),
                person: 0,
                date: INDEX,
            },
            Index {
                referral_id: "R2".into(),
                person: 1,
                date: INDEX,
            },
        ];
        let m = match_pool(&c, &cases, Pool::NeverReferred, &rules(2));
        assert_eq!(m.sets.len(), 1, "{m:?}");
        assert_eq!(
            m.sets[0].comparators,
            vec![Comparator {
                person: 2,
                date: INDEX
            }],
            "N1 only, anchored on the case's date"
        );
        assert_eq!((m.partial, m.unmatched), (1, 1), "C2 finds N1 already used");
        assert_eq!(m.pool_size, 6);
        let again = match_pool(&c, &cases, Pool::NeverReferred, &rules(2));
        assert_eq!(again.sets[0].comparators, m.sets[0].comparators);
    }

    #[test]
    fn declined_comparators_keep_their_own_referral_date() {
        let own = 19_967;
        let mut case = person("C1", "A", "female", vec![INDEX - 30]);
        case.referred = true;
        let mut declined = person("D1", "A", "female", vec![own - 30]);
        declined.referred = true;
        let mut c = cohort(vec![case, declined], DATA);
        c.people.ever_accepted[1] = false;
        c.declined = vec![Index {
            referral_id: "R9".into(),
            person: 1,
            date: own,
        }];
        let cases = vec![Index {
            referral_id: "R1".into(),
            person: 0,
            date: INDEX,
        }];
        let m = match_pool(&c, &cases, Pool::Declined, &rules(1));
        assert_eq!(
            m.sets[0].comparators,
            vec![Comparator {
                person: 1,
                date: own
            }]
        );
    }

    #[test]
    fn declined_comparators_come_from_the_case_practice_first_then_its_pcn() {
        let mut case = person("C1", "A", "female", vec![INDEX - 30]);
        case.referred = true;
        let mut people = vec![case];
        for (id, practice) in [("D1", "B"), ("D2", "A"), ("D3", "C")] {
            let mut d = person(id, practice, "female", vec![INDEX - 30]);
            d.referred = true;
            people.push(d);
        }
        let mut c = cohort(people, DATA);
        // Practices A and B are in one PCN, C in another.
        c.people.pcn[2] = c.people.pcn[0];
        c.people.pcn[1] = c.people.pcn[0];
        c.declined = (1..=3)
            .map(|p| Index {
                referral_id: format!("R{p}"),
                person: p,
                date: INDEX,
            })
            .collect();
        let cases = vec![Index {
            referral_id: "R0".into(),
            person: 0,
            date: INDEX,
        }];
        let chosen = |m: &Matching| -> Vec<usize> {
            m.sets[0].comparators.iter().map(|c| c.person).collect()
        };
        let one = match_pool(&c, &cases, Pool::Declined, &rules(1));
        assert_eq!(
            (chosen(&one), one.within_pcn),
            (vec![2], 0),
            "its own practice's D2"
        );
        let two = match_pool(&c, &cases, Pool::Declined, &rules(2));
        assert_eq!(
            (chosen(&two), two.within_pcn),
            (vec![2, 1], 1),
            "then the PCN's D1"
        );
        let three = match_pool(&c, &cases, Pool::Declined, &rules(3));
        assert_eq!(
            (chosen(&three), three.partial),
            (vec![2, 1], 1),
            "never another PCN's D3"
        );
        // Matched by PCN, practices do not come first and nothing is widened.
        let by_pcn = MatchRules {
            unit: MatchUnit::Pcn,
            ..rules(2)
        };
        let m = match_pool(&c, &cases, Pool::Declined, &by_pcn);
        assert_eq!((chosen(&m).len(), m.within_pcn), (2, 0));
    }

    #[test]
    fn the_trend_class_reads_the_direction_of_use() {
        assert_eq!(trend_class(4.0, 4.0), 2);
        assert_eq!(trend_class(4.0, 10.0), 3);
        assert_eq!(trend_class(10.0, 4.0), 1);
        // A visit or two in a light user's year is not a trend.
        assert_eq!(trend_class(0.0, 2.0), 2);
    }

    #[test]
    fn matching_on_the_trajectory_takes_comparators_whose_use_rose_alike() {
        // Two visits in the 90-day window for all; the case and N2 had none
        // in the first half of the year before it and four in the second.
        let window = vec![INDEX - 60, INDEX - 10];
        let rising: Vec<i32> = [200, 170, 140, 120]
            .iter()
            .map(|d| INDEX - d)
            .chain(window.clone())
            .collect();
        let flat: Vec<i32> = [400, 330, 200, 140]
            .iter()
            .map(|d| INDEX - d)
            .chain(window.clone())
            .collect();
        let mut case = person("C1", "A", "female", rising.clone());
        case.referred = true;
        let c = cohort(
            vec![
                case,
                person("N1", "A", "female", flat),
                person("N2", "A", "female", rising),
            ],
            DATA,
        );
        let cases = vec![Index {
            referral_id: "R1".into(),
            person: 0,
            date: INDEX,
        }];
        let on = |on: MatchOn| MatchRules { on, ..rules(2) };
        let band = match_pool(&c, &cases, Pool::NeverReferred, &on(MatchOn::Band));
        assert_eq!(band.sets[0].comparators.len(), 2, "both share the band");
        let trajectory = match_pool(&c, &cases, Pool::NeverReferred, &on(MatchOn::Trajectory));
        let chosen: Vec<usize> = trajectory.sets[0]
            .comparators
            .iter()
            .map(|c| c.person)
            .collect();
        assert_eq!(chosen, vec![2], "only N2 rose alike");
    }

    #[test]
    fn a_case_registered_just_before_referral_has_no_baseline() {
        let mut case = person("C1", "A", "female", vec![]);
        case.presence.registered = Some(INDEX - 20);
        let c = cohort(vec![case, person("N1", "A", "female", vec![])], DATA);
        let cases = vec![Index {
            referral_id: "R1".into(),
            person: 0,
            date: INDEX,
        }];
        let m = match_pool(&c, &cases, Pool::NeverReferred, &rules(1));
        assert_eq!((m.cases_without_baseline, m.sets.len()), (1, 0));
    }

    #[test]
    fn matching_bands_are_finer_at_the_top() {
        let bands: Vec<u8> = [0.0, 4.0, 8.1, 12.2, 20.3, 24.4, 40.0]
            .into_iter()
            .map(matching_band)
            .collect();
        assert_eq!(bands, [0, 1, 2, 3, 4, 5, 6]);
    }
}
