//! The versioned thresholds file: bands, minimal important change and reliable change.

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::Deserialize;

/// The thresholds shipped with sprout.
const BUILTIN: &str = include_str!("thresholds.toml");

/// All thresholds, by score name.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Thresholds {
    /// Version of the file (stamped into outputs).
    pub version: String,
    /// One rule per score.
    pub scores: BTreeMap<String, ScoreRule>,
}

/// How one score is read.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScoreRule {
    /// Label for reports.
    pub label: String,
    /// Direction of improvement.
    pub higher_is_better: bool,
    /// Lowest possible score.
    pub minimum: f64,
    /// Highest possible score.
    pub maximum: f64,
    /// Smallest change that matters to a person, in score points.
    pub minimal_important_change: f64,
    /// Standard error of measurement (for the reliable change index).
    pub sem: Option<f64>,
    /// A published reliable-change threshold in points, used instead of `sem`.
    pub reliable_change: Option<f64>,
    /// The band whose leaving counts as improvement (e.g. ONS4 "low").
    pub low_band: Option<Band>,
    /// Where the values come from.
    pub source: String,
}

/// A score band, inclusive at both ends.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Band {
    /// Label for reports.
    pub label: String,
    /// Lowest score in the band.
    pub minimum: f64,
    /// Highest score in the band.
    pub maximum: f64,
}

/// Jacobson–Truax classification of one person's change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeClass {
    /// Reliable change in the direction of improvement.
    Improved,
    /// Change within measurement error.
    NoReliableChange,
    /// Reliable change in the direction of deterioration.
    Deteriorated,
}

impl Thresholds {
    /// The thresholds shipped with sprout (parsed once).
    pub fn builtin() -> &'static Thresholds {
        static PARSED: OnceLock<Thresholds> = OnceLock::new();
        PARSED
            .get_or_init(|| toml::from_str(BUILTIN).expect("the shipped thresholds.toml is valid"))
    }

    /// The rule for a score name.
    pub fn rule(&self, score: &str) -> Option<&ScoreRule> {
        self.scores.get(score)
    }
}

impl ScoreRule {
    /// Points of change that count as reliable: the published threshold, else
    /// 1.96 · √2 · SEM (|RCI| = |x₂ − x₁| / (√2 · SEM) > 1.96).
    pub fn reliable_change_points(&self) -> Option<f64> {
        self.reliable_change
            .or_else(|| self.sem.map(|sem| 1.96 * std::f64::consts::SQRT_2 * sem))
    }

    /// Change in the direction of improvement (positive = better).
    pub fn improvement(&self, before: f64, after: f64) -> f64 {
        if self.higher_is_better {
            after - before
        } else {
            before - after
        }
    }

    /// Jacobson–Truax class of a change, if the score has a reliable-change rule.
    pub fn classify(&self, before: f64, after: f64) -> Option<ChangeClass> {
        let threshold = self.reliable_change_points()?;
        let change = self.improvement(before, after);
        // A published points threshold is inclusive ("a drop of 6 or more");
        // the RCI criterion is strict (|RCI| > 1.96).
        let beyond = |c: f64| {
            if self.reliable_change.is_some() {
                c >= threshold
            } else {
                c > threshold
            }
        };
        Some(if beyond(change) {
            ChangeClass::Improved
        } else if beyond(-change) {
            ChangeClass::Deteriorated
        } else {
            ChangeClass::NoReliableChange
        })
    }

    /// Whether the improvement reaches the minimal important change.
    pub fn reaches_mic(&self, before: f64, after: f64) -> bool {
        self.improvement(before, after) >= self.minimal_important_change - 1e-9
    }

    /// Whether a score falls in the low band.
    pub fn in_low_band(&self, value: f64) -> Option<bool> {
        self.low_band
            .as_ref()
            .map(|b| value >= b.minimum - 1e-9 && value <= b.maximum + 1e-9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_shipped_file_parses_and_cites_its_sources() {
        let t = Thresholds::builtin();
        assert!(!t.version.is_empty());
        for (name, rule) in &t.scores {
            assert!(!rule.source.is_empty(), "{name}");
            assert!(rule.minimum < rule.maximum, "{name}");
        }
    }

    #[test]
    fn reliable_change_follows_jacobson_truax() {
        let swemwbs = Thresholds::builtin().rule("swemwbs_metric").unwrap();
        let points = swemwbs.reliable_change_points().unwrap();
        assert!((points - 1.96 * 2f64.sqrt() * 1.03).abs() < 1e-12);
        assert_eq!(
            swemwbs.classify(18.0, 18.0 + points + 0.01),
            Some(ChangeClass::Improved)
        );
        assert_eq!(
            swemwbs.classify(18.0, 18.0 + points - 0.01),
            Some(ChangeClass::NoReliableChange)
        );
        assert_eq!(
            swemwbs.classify(25.0, 20.0),
            Some(ChangeClass::Deteriorated)
        );
        let phq9 = Thresholds::builtin().rule("phq9_total").unwrap();
        assert_eq!(
            phq9.classify(16.0, 10.0),
            Some(ChangeClass::Improved),
            "a drop of 6 counts"
        );
        assert_eq!(
            phq9.classify(16.0, 11.0),
            Some(ChangeClass::NoReliableChange)
        );
        let anxiety = Thresholds::builtin().rule("ons4_anxiety").unwrap();
        assert!(anxiety.reaches_mic(6.0, 5.0) && !anxiety.reaches_mic(5.0, 6.0));
        assert_eq!(anxiety.in_low_band(6.0), Some(true));
        assert_eq!(anxiety.in_low_band(5.0), Some(false));
    }
}
