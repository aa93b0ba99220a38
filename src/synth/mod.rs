//! Synthetic extracts with known truth.
//!
//! `sprout synth` writes a registered population across practices and PCNs,
//! referrals with realistic sources, needs, declines and non-attendance,
//! contacts, onward referrals to VCSE organisations, wellbeing assessments
//! (SWEMWBS or WEMWBS, ONS4, UCLA-3) with about half missing at follow-up, and
//! two years of health events for referred and non-referred people alike.
//! Planted: a pre-referral peak in service use (so naive before/after shows
//! regression to the mean), a secular trend, and configurable true effects on
//! wellbeing and on GP and A&E use. `truth.json` records them, with the exact
//! expected changes, so tests can check that the engine recovers them.
//! The same seed gives byte-identical files.

mod calendar;
mod draw;
mod episode;
mod events;
mod output;
mod person;
mod wellbeing;
mod world;

pub use episode::AttritionOn;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use rand::SeedableRng;
use serde::Serialize;

use crate::console::Console;
use crate::error::{Error, Result};
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made, StagedDir, check_replaceable};
use crate::model::codes::{AGE_BAND, CONTACT_MODE, NEED, REFERRAL_SOURCE, age_band_of};
use calendar::DateText;
use draw::Stream;
use episode::{Episode, Score};
use events::{Course, EventModel, PEAK, PEAK_DAYS, SETTINGS};
use output::CsvOut;
use person::Person;
use world::World;

/// What to generate.
#[derive(Debug, Clone)]
pub struct SynthOptions {
    /// Registered people.
    pub people: usize,
    /// Random seed.
    pub seed: u64,
    /// Output folder.
    pub out: PathBuf,
    /// Share of people referred.
    pub referred_share: f64,
    /// Relative reduction in GP appointments after an accepted referral.
    pub gp_effect: f64,
    /// Relative reduction in A&E attendances after an accepted referral.
    pub ae_effect: f64,
    /// Change in latent wellbeing (standard deviations) between baseline and follow-up.
    pub wellbeing_effect: f64,
    /// Fall in the latent change per standard deviation of better baseline
    /// wellbeing (people starting worse improve more).
    pub change_by_baseline: f64,
    /// Log-odds of a follow-up per standard deviation of better baseline
    /// wellbeing (attrition that depends on the baseline: missing at random).
    pub attrition_by_baseline: f64,
    /// Whether follow-ups depend on the latent or the recorded baseline.
    pub attrition_on: episode::AttritionOn,
    /// Log-odds of a follow-up per standard deviation of a person's own
    /// change beyond the expected (missing not at random: people who did not
    /// improve are followed up less often).
    pub attrition_mnar: f64,
    /// Use rising steadily over this many days before referral, instead of
    /// the short pre-referral peak.
    pub ramp_days: Option<i32>,
    /// Need easing back over this many days after referral, instead of
    /// ending at it.
    pub run_down_days: Option<i32>,
    /// Standard deviation, on the log scale, of an unrecorded need that
    /// raises the chance of referral and every rate after it.
    pub hidden_need: f64,
    /// Secular change in service use per year.
    pub trend: f64,
    /// Write one scheme's referrals in a vendor-style layout with its mapping file.
    pub vendor_scheme: bool,
}

impl Default for SynthOptions {
    fn default() -> Self {
        SynthOptions {
            people: 4000,
            seed: 42,
            out: PathBuf::from("synthetic"),
            referred_share: 0.25,
            gp_effect: 0.10,
            ae_effect: 0.10,
            wellbeing_effect: 0.35,
            change_by_baseline: 0.0,
            attrition_by_baseline: 0.5,
            attrition_on: episode::AttritionOn::Latent,
            attrition_mnar: 0.0,
            ramp_days: None,
            run_down_days: None,
            hidden_need: 0.0,
            trend: 0.03,
            vendor_scheme: false,
        }
    }
}

/// The planted truth, written to `truth.json`.
#[derive(Debug, Clone, Serialize)]
pub struct Truth {
    /// Seed and size.
    pub generator: Generator,
    /// Dates of the synthetic extract.
    pub periods: BTreeMap<&'static str, String>,
    /// How many of each thing were generated.
    pub counts: BTreeMap<&'static str, u64>,
    /// Planted wellbeing change.
    pub wellbeing: WellbeingTruth,
    /// Planted health-event model.
    pub health_events: HealthTruth,
    /// The files written, relative to the output folder (`truth.json` marks
    /// the folder as sprout's, and this list is what sprout may replace).
    pub files: Vec<String>,
}

/// How the data was generated.
#[derive(Debug, Clone, Serialize)]
pub struct Generator {
    /// Seed.
    pub seed: u64,
    /// Registered people.
    pub people: usize,
    /// sprout version that generated it.
    pub sprout_version: &'static str,
}

/// Planted wellbeing change.
#[derive(Debug, Clone, Serialize)]
pub struct WellbeingTruth {
    /// Mean change in latent wellbeing (SD units) from baseline to follow-up.
    pub latent_effect: f64,
    /// Fall in the latent change per standard deviation of better baseline.
    pub change_by_baseline: f64,
    /// Log-odds of a follow-up per standard deviation of better baseline.
    pub attrition_by_baseline: f64,
    /// `latent` or `recorded`: what that baseline is.
    pub attrition_on: &'static str,
    /// Log-odds of a follow-up per standard deviation of a person's own
    /// change (0: missing at random given the baseline).
    pub attrition_mnar: f64,
    /// Per score: people with baseline and follow-up, and the exact expected mean change among them.
    pub expected_mean_change_among_completers: BTreeMap<&'static str, ScoreTruth>,
    /// Per score: everyone with a baseline, followed up or not, and the
    /// exact expected mean change among them (what weighting for who was
    /// followed up estimates).
    pub expected_mean_change_among_baseline: BTreeMap<&'static str, ScoreTruth>,
}

/// The expected change of one score among completers.
#[derive(Debug, Clone, Serialize)]
pub struct ScoreTruth {
    /// People with both assessments.
    pub n: u64,
    /// Expected mean change (follow-up minus baseline).
    pub expected_mean_change: f64,
}

/// Planted health-event model.
#[derive(Debug, Clone, Serialize)]
pub struct HealthTruth {
    /// Change in all rates per year.
    pub secular_trend_per_year: f64,
    /// Peak size per setting before referral.
    pub pre_referral_peak: BTreeMap<&'static str, f64>,
    /// Decay of the peak in days (without a ramp).
    pub peak_decay_days: f64,
    /// Days over which use rises steadily before referral, replacing the
    /// peak (absent: the peak).
    pub ramp_days: Option<i32>,
    /// Days over which the need eases back after referral (absent: none);
    /// the expected change below includes it in the counterfactual rate.
    pub run_down_days: Option<i32>,
    /// Standard deviation (log scale) of the unrecorded need that raises
    /// referral and use after it (0: none); the expected change below
    /// includes it in the counterfactual rate.
    pub hidden_need: f64,
    /// Relative reduction after an accepted referral, per setting.
    pub relative_effect: BTreeMap<&'static str, f64>,
    /// Expected change in events per person-year over the 12 months after an accepted
    /// referral (mean over accepted people of minus effect times their counterfactual rate).
    /// A comparison that matches only some of them describes those it matched:
    /// `relative_effect` times their counterfactual rate (their rate after
    /// over 1 − the effect), lower where matching leaves out the heaviest users.
    pub expected_rate_change_per_person_year_12m: BTreeMap<&'static str, f64>,
}

/// Generate the extracts into `options.out` (built beside it and swapped in
/// whole; refused when the folder holds anything sprout did not make); returns
/// the truth.
pub fn generate(options: &SynthOptions, console: &Console) -> Result<Truth> {
    if options.people == 0 {
        return Err(Error::Usage("--people must be at least 1".to_string()));
    }
    for (name, v) in [
        ("--referred-share", options.referred_share),
        ("--gp-effect", options.gp_effect),
        ("--ae-effect", options.ae_effect),
    ] {
        if !(0.0..=1.0).contains(&v) {
            return Err(Error::Usage(format!(
                "{name} must be between 0 and 1, not {v}"
            )));
        }
    }
    if [options.ramp_days, options.run_down_days]
        .iter()
        .any(|d| d.is_some_and(|d| !(1..=730).contains(&d)))
        || options.hidden_need < 0.0
    {
        return Err(Error::Usage(
            "--ramp-days and --run-down-days take 1 to 730 days, and --hidden-need a standard deviation of 0 or more"
                .to_string(),
        ));
    }
    let target = Named::new("the output folder (--out)", &options.out);
    let _lock = FolderLock::acquire(
        target,
        Access::Exclusive,
        Made::Synthetic,
        "sprout synth",
        console,
    )?;
    check_replaceable(target, Made::Synthetic)?;
    let staged = StagedDir::create(&options.out)?;
    let mut rng = Stream::seed_from_u64(options.seed);
    let world = World::new(&mut rng, options.people);
    let mut sink = Sink::create(staged.path(), &world, options.vendor_scheme)?;
    sink.organisations(&world)?;
    let model = EventModel {
        effect: [options.gp_effect, options.ae_effect, 0.0, 0.0],
        trend: options.trend,
        ramp_days: options.ramp_days,
        run_down_days: options.run_down_days,
    };
    let mut tally = Tally::default();
    let mut events = Vec::new();
    let adult_share = 0.79;
    for n in 0..options.people {
        let person = Person::draw(&mut rng, &world, n);
        sink.person(&person, &world)?;
        let anchor = calendar::referrals_start();
        if person.registered <= anchor && anchor < person.exit() {
            let practice = &world.practices[person.practice];
            let key = (
                practice.code.clone(),
                world.pcns[practice.pcn].code.clone(),
                age_band_of(person.age_on(anchor)),
                person.sex,
                (person.decile + 1) / 2,
            );
            *tally.population.entry(key).or_default() += 1;
        }
        // An unrecorded need (only drawn when planted, so other data stays
        // as it was): it raises the chance of referral, and use after it.
        let hidden = if options.hidden_need > 0.0 {
            options.hidden_need * draw::normal(&mut rng)
        } else {
            0.0
        };
        let propensity =
            (0.8 * person.need + 0.08 * (5.5 - person.decile as f64) + hidden).exp() / 1.4;
        let referred = person.age_on(calendar::referrals_start()) >= 18
            && draw::chance(
                &mut rng,
                (options.referred_share / adult_share * propensity).min(0.95),
            );
        let episode = if referred {
            episode::draw_episode(&mut rng, &person, &world, tally.counts.referred as usize)
        } else {
            None
        };
        if let Some(ep) = &episode {
            tally.counts.referred += 1;
            sink.episode(&mut rng, &person, ep, &world, options, &mut tally)?;
        }
        let course = Course {
            referral: episode.as_ref().map(|e| e.date),
            treated: episode.as_ref().is_some_and(Episode::treated),
            after_referral: hidden.exp(),
        };
        if let Some(ep) = episode.as_ref().filter(|e| e.treated()) {
            tally.counts.treated += 1;
            // The counterfactual rate after referral includes the hidden need.
            let trend = model.trend_on(ep.date + 183) * course.after_referral;
            // A run-down of N days adds peak × m (1 − m / 2N) / 365 to the
            // year's mean counterfactual rate, m = min(N, 365) (its linear
            // excess averaged over the year).
            let run_down = options.run_down_days.map_or(0.0, |n| {
                let m = f64::from(n.min(365));
                m * (1.0 - m / (2.0 * f64::from(n))) / 365.0
            });
            for (s, change) in tally.rate_change.iter_mut().enumerate() {
                *change -= model.effect[s] * person.rates[s] * trend * (1.0 + PEAK[s] * run_down);
            }
        }
        model.draw(&mut rng, &person, course, &mut events);
        sink.events(&person, &events)?;
        tally.counts.events += events.len() as u64;
        tally.counts.people += 1;
    }
    sink.population(&tally)?;
    let files = sink.commit()?;
    let truth = tally.truth(options, files);
    let mut json = serde_json::to_string_pretty(&truth).map_err(|e| Error::Usage(e.to_string()))?;
    json.push('\n');
    crate::atomic::write(&staged.path().join("truth.json"), json.as_bytes())?;
    staged.commit()?;
    Ok(truth)
}

/// How many of each thing were generated.
#[derive(Default)]
struct Counts {
    people: u64,
    referred: u64,
    /// Accepted with a first contact: the planted effects apply to these.
    treated: u64,
    baseline: u64,
    follow_up: u64,
    events: u64,
}

/// Each score's people and mean expected change, from running totals.
fn score_truths(totals: &BTreeMap<&'static str, (u64, f64)>) -> BTreeMap<&'static str, ScoreTruth> {
    totals
        .iter()
        .map(|(k, (n, sum))| {
            (
                *k,
                ScoreTruth {
                    n: *n,
                    expected_mean_change: sum / (*n).max(1) as f64,
                },
            )
        })
        .collect()
}

/// Running totals for `truth.json` and the population table.
#[derive(Default)]
struct Tally {
    counts: Counts,
    rate_change: [f64; 4],
    changes: BTreeMap<&'static str, (u64, f64)>,
    changes_with_baseline: BTreeMap<&'static str, (u64, f64)>,
    population: BTreeMap<(String, String, &'static str, &'static str, i64), u64>,
}

impl Tally {
    fn truth(&self, options: &SynthOptions, files: Vec<String>) -> Truth {
        let iso = |d: i32| crate::days::from_date32(d).to_string();
        let treated = self.counts.treated.max(1) as f64;
        Truth {
            generator: Generator {
                seed: options.seed,
                people: options.people,
                sprout_version: crate::VERSION,
            },
            periods: BTreeMap::from([
                ("events_start", iso(calendar::events_start())),
                ("extract_end", iso(calendar::extract_end())),
                ("referrals_start", iso(calendar::referrals_start())),
                ("referrals_end", iso(calendar::referrals_end())),
            ]),
            counts: BTreeMap::from([
                ("people", self.counts.people),
                ("referred", self.counts.referred),
                ("accepted_with_contact", self.counts.treated),
                ("baseline_assessed", self.counts.baseline),
                ("follow_up_assessed", self.counts.follow_up),
                ("health_events", self.counts.events),
            ]),
            wellbeing: WellbeingTruth {
                latent_effect: options.wellbeing_effect,
                change_by_baseline: options.change_by_baseline,
                attrition_by_baseline: options.attrition_by_baseline,
                attrition_on: match options.attrition_on {
                    episode::AttritionOn::Latent => "latent",
                    episode::AttritionOn::Recorded => "recorded",
                },
                attrition_mnar: options.attrition_mnar,
                expected_mean_change_among_completers: score_truths(&self.changes),
                expected_mean_change_among_baseline: score_truths(&self.changes_with_baseline),
            },
            health_events: HealthTruth {
                secular_trend_per_year: options.trend,
                pre_referral_peak: SETTINGS.iter().copied().zip(PEAK).collect(),
                peak_decay_days: PEAK_DAYS,
                ramp_days: options.ramp_days,
                run_down_days: options.run_down_days,
                hidden_need: options.hidden_need,
                relative_effect: SETTINGS
                    .iter()
                    .copied()
                    .zip([options.gp_effect, options.ae_effect, 0.0, 0.0])
                    .collect(),
                expected_rate_change_per_person_year_12m: SETTINGS
                    .iter()
                    .copied()
                    .zip(self.rate_change.map(|c| c / treated))
                    .collect(),
            },
            files,
        }
    }
}

/// The output files.
struct Sink {
    dates: DateText,
    organisations: CsvOut,
    people: CsvOut,
    referrals: CsvOut,
    vendor: Option<(usize, CsvOut)>,
    contacts: CsvOut,
    onward: CsvOut,
    assessments: CsvOut,
    events: CsvOut,
    population: CsvOut,
    counters: [u64; 3],
}

const VENDOR_FOLDER: &str = "vendor";
const VENDOR_FILE: &str = "referrals_export.csv";

impl Sink {
    fn create(out: &Path, world: &World, vendor: bool) -> Result<Sink> {
        let csv = |name: &str, header: &[&str]| CsvOut::create(&out.join(name), header, b',');
        let mut assessment_header = vec![
            "assessment_id",
            "person_id",
            "referral_id",
            "instrument",
            "assessment_date",
        ];
        let items: Vec<String> = (1..=14).map(|i| format!("item_{i}")).collect();
        assessment_header.extend(items.iter().map(String::as_str));
        assessment_header.extend(["total", "vendor_level"]);
        let vendor = if vendor {
            let pcn = world.pcns.len() - 1;
            write_vendor_mapping(&out.join(VENDOR_FOLDER), &world.pcns[pcn].scheme)?;
            let header = [
                "Ref No",
                "Client ID",
                "Date Referred",
                "Referred By",
                "Presenting Needs",
                "Outcome",
                "First Contact",
                "Closed",
                "Worker",
            ];
            Some((
                pcn,
                CsvOut::create(&out.join(VENDOR_FOLDER).join(VENDOR_FILE), &header, b';')?,
            ))
        } else {
            None
        };
        Ok(Sink {
            dates: DateText::new(calendar::day(1900, 1, 1), calendar::day(2026, 12, 31)),
            organisations: csv(
                "organisations.csv",
                &["organisation_id", "name", "category", "start_date"],
            )?,
            people: csv(
                "people.csv",
                &[
                    "person_id",
                    "birth_month",
                    "sex",
                    "ethnicity",
                    "lsoa_code",
                    "imd_decile",
                    "imd_vintage",
                    "practice_code",
                    "pcn_code",
                    "registration_start",
                    "registration_end",
                    "date_of_death",
                ],
            )?,
            referrals: csv(
                "referrals.csv",
                &[
                    "referral_id",
                    "person_id",
                    "referral_date",
                    "referral_source",
                    "needs",
                    "status",
                    "first_contact_date",
                    "closure_date",
                    "link_worker_id",
                    "scheme",
                ],
            )?,
            vendor,
            contacts: csv(
                "contacts.csv",
                &[
                    "contact_id",
                    "referral_id",
                    "contact_date",
                    "mode",
                    "minutes",
                ],
            )?,
            onward: csv(
                "onward_referrals.csv",
                &[
                    "onward_referral_id",
                    "referral_id",
                    "organisation_id",
                    "activity_type",
                    "onward_referral_date",
                    "attended",
                ],
            )?,
            assessments: csv("assessments.csv", &assessment_header)?,
            events: csv("health_events.csv", &["person_id", "event_date", "setting"])?,
            population: csv(
                "population.csv",
                &[
                    "practice_code",
                    "pcn_code",
                    "age_band",
                    "sex",
                    "imd_quintile",
                    "list_size",
                ],
            )?,
            counters: [0; 3],
        })
    }

    fn organisations(&mut self, world: &World) -> Result<()> {
        for o in &world.organisations {
            let start = self.dates.iso(o.start).to_string();
            self.organisations
                .row(&[&o.id, &o.name, o.category, &start])?;
        }
        Ok(())
    }

    fn person(&mut self, p: &Person, world: &World) -> Result<()> {
        let practice = &world.practices[p.practice];
        let (lsoa, decile) = &practice.lsoas[p.lsoa];
        let row = [
            p.id.as_str(),
            &calendar::year_month(p.birth),
            p.sex,
            p.ethnicity,
            lsoa,
            &decile.to_string(),
            "2019",
            &practice.code,
            &world.pcns[practice.pcn].code,
            opt_date(&self.dates, Some(p.registered)),
            opt_date(&self.dates, p.deregistered),
            opt_date(&self.dates, p.died),
        ];
        self.people.row(&row)
    }

    fn episode(
        &mut self,
        rng: &mut Stream,
        person: &Person,
        ep: &Episode,
        world: &World,
        options: &SynthOptions,
        tally: &mut Tally,
    ) -> Result<()> {
        let pcn = &world.pcns[ep.pcn];
        match &mut self.vendor {
            Some((vendor_pcn, out)) if *vendor_pcn == ep.pcn => {
                let needs: Vec<&str> = ep.needs.iter().filter_map(|n| NEED.label(n)).collect();
                let uk = |d: Option<i32>| d.map_or(String::new(), |d| self.dates.uk(d));
                out.row(&[
                    &ep.id,
                    &person.id,
                    &uk(Some(ep.date)),
                    vendor_source(ep.source),
                    &needs.join(" | "),
                    match ep.status {
                        "accepted" => "Engaged",
                        "declined" => "Declined",
                        _ => "DNA",
                    },
                    &uk(ep.first_contact),
                    &uk(ep.closure),
                    &ep.link_worker,
                ])?;
            }
            _ => {
                let row = [
                    ep.id.as_str(),
                    &person.id,
                    self.dates.iso(ep.date),
                    ep.source,
                    &ep.needs.join(";"),
                    ep.status,
                    opt_date(&self.dates, ep.first_contact),
                    opt_date(&self.dates, ep.closure),
                    &ep.link_worker,
                    &pcn.scheme,
                ];
                self.referrals.row(&row)?;
            }
        }
        let Some(first) = ep.first_contact.filter(|_| ep.treated()) else {
            return Ok(());
        };
        let last = ep
            .closure
            .unwrap_or(calendar::extract_end())
            .min(person.exit());
        let contacts = 1 + draw::poisson(rng, 6.0);
        let modes = [0.45, 0.35, 0.05, 0.08, 0.04, 0.03, 0.0];
        for k in 0..contacts {
            let date = if k == 0 {
                first
            } else {
                draw::between(rng, first, last)
            };
            self.counters[0] += 1;
            let mode = CONTACT_MODE.codes[draw::weighted(rng, &modes)].code;
            let minutes = (draw::between(rng, 3, 18) * 5).to_string();
            let id = format!("C{:09}", self.counters[0]);
            let date = self.dates.iso(date).to_string();
            self.contacts.row(&[&id, &ep.id, &date, mode, &minutes])?;
        }
        let popularity: Vec<f64> = world.organisations.iter().map(|o| o.popularity).collect();
        for _ in 0..draw::poisson(rng, 1.6) {
            let org = &world.organisations[draw::weighted(rng, &popularity)];
            self.counters[1] += 1;
            let id = format!("O{:09}", self.counters[1]);
            let date = self.dates.iso(draw::between(rng, first, last)).to_string();
            let attended = if draw::chance(rng, 0.72) {
                "true"
            } else {
                "false"
            };
            self.onward
                .row(&[&id, &ep.id, &org.id, org.activity, &date, attended])?;
        }
        let Some(drawn) = episode::draw_assessments(rng, person, ep, pcn.uses_wemwbs, options)
        else {
            return Ok(());
        };
        tally.counts.baseline += 1;
        tally.counts.follow_up += u64::from(drawn.followed_up);
        for (_, _, scores) in episode::instruments(pcn.uses_wemwbs) {
            for score in scores {
                let change = score.expected(drawn.w1) - score.expected(drawn.w0);
                let all = tally
                    .changes_with_baseline
                    .entry(Score::name(score))
                    .or_default();
                all.0 += 1;
                all.1 += change;
                if drawn.followed_up {
                    let entry = tally.changes.entry(Score::name(score)).or_default();
                    entry.0 += 1;
                    entry.1 += change;
                }
            }
        }
        let rows = drawn.rows;
        for a in rows {
            self.counters[2] += 1;
            let id = format!("A{:09}", self.counters[2]);
            let items: Vec<String> = (0..14)
                .map(|i| a.items.get(i).map_or(String::new(), i64::to_string))
                .collect();
            let mut row: Vec<&str> = vec![
                &id,
                &person.id,
                &ep.id,
                a.instrument,
                self.dates.iso(a.date),
            ];
            row.extend(items.iter().map(String::as_str));
            row.extend(["", ""]);
            self.assessments.row(&row)?;
        }
        Ok(())
    }

    fn events(&mut self, person: &Person, events: &[(i32, usize)]) -> Result<()> {
        for &(day, setting) in events {
            self.events
                .row(&[&person.id, self.dates.iso(day), SETTINGS[setting]])?;
        }
        Ok(())
    }

    fn population(&mut self, tally: &Tally) -> Result<()> {
        for ((practice, pcn, band, sex, quintile), n) in &tally.population {
            debug_assert!(AGE_BAND.resolve(band).is_some());
            self.population.row(&[
                practice,
                pcn,
                band,
                sex,
                &quintile.to_string(),
                &n.to_string(),
            ])?;
        }
        Ok(())
    }

    /// Finish every file; returns their names relative to the output folder.
    fn commit(self) -> Result<Vec<String>> {
        let mut files = Vec::new();
        for (name, out) in [
            ("organisations.csv", self.organisations),
            ("people.csv", self.people),
            ("referrals.csv", self.referrals),
            ("contacts.csv", self.contacts),
            ("onward_referrals.csv", self.onward),
            ("assessments.csv", self.assessments),
            ("health_events.csv", self.events),
            ("population.csv", self.population),
        ] {
            out.commit()?;
            files.push(name.to_string());
        }
        if let Some((_, out)) = self.vendor {
            out.commit()?;
            files.push(format!("{VENDOR_FOLDER}/{}", crate::ingest::FOLDER_MAPPING));
            files.push(format!("{VENDOR_FOLDER}/{VENDOR_FILE}"));
        }
        Ok(files)
    }
}

/// `YYYY-MM-DD`, or empty for no date.
fn opt_date(dates: &DateText, d: Option<i32>) -> &str {
    d.map_or("", |d| dates.iso(d))
}

/// How the vendor-style system writes referral sources.
fn vendor_source(code: &str) -> &'static str {
    VENDOR_SOURCES
        .iter()
        .find(|(c, _)| *c == code)
        .map_or("Other", |(_, v)| v)
}

const VENDOR_SOURCES: &[(&str, &str)] = &[
    ("general_practice", "GP Surgery"),
    ("pharmacy", "Community Pharmacy"),
    ("multidisciplinary_team", "MDT"),
    ("hospital_discharge_team", "Hospital Discharge"),
    ("allied_health_professional", "AHP"),
    ("fire_service", "Fire & Rescue"),
    ("police", "Police"),
    ("job_centre", "DWP Jobcentre"),
    ("social_care", "Adult Social Care"),
    ("local_authority", "Council"),
    ("housing_association", "Housing Association"),
    ("vcse_organisation", "Voluntary Sector"),
    ("self_referral", "Self"),
    ("other", "Other"),
];

fn write_vendor_mapping(folder: &Path, scheme: &str) -> Result<()> {
    let mut text = String::from(
        "# Mapping for the vendor-style referral export in this folder.\n\
         # The case-management system writes ';'-separated files with its own headers,\n\
         # UK dates and its own code labels; this file maps them onto sprout's\n\
         # canonical `referrals` table (see `sprout schema referrals`).\n\n\
         [[source]]\n",
    );
    text.push_str(&format!(
        "file = \"{}\"\ntable = \"referrals\"\ndelimiter = \";\"\ndate_format = \"%d/%m/%Y\"\n\n",
        VENDOR_FILE.replace(".csv", "*.csv")
    ));
    text.push_str(
        "[source.columns]\nreferral_id = \"Ref No\"\nperson_id = \"Client ID\"\nreferral_date = \"Date Referred\"\n\
         referral_source = \"Referred By\"\nneeds = \"Presenting Needs\"\nstatus = \"Outcome\"\n\
         first_contact_date = \"First Contact\"\nclosure_date = \"Closed\"\nlink_worker_id = \"Worker\"\n\n\
         # The export has no scheme column: every row belongs to this scheme.\n[source.constants]\n",
    );
    text.push_str(&format!(
        "scheme = \"{scheme}\"\n\n[source.codes.referral_source]\n"
    ));
    for (code, label) in VENDOR_SOURCES {
        if REFERRAL_SOURCE.resolve(label) != Some(code) {
            text.push_str(&format!("\"{label}\" = \"{code}\"\n"));
        }
    }
    text.push_str("\n[source.codes.status]\n\"Engaged\" = \"accepted\"\n");
    crate::atomic::write(&folder.join(crate::ingest::FOLDER_MAPPING), text.as_bytes())
}
