//! Which estimates may be pooled: only the same quantity of the same
//! outcome, which way is better, design, interval and settings (cohort;
//! pool, window and wash-outs). Estimates of one quantity and outcome that
//! differ in any of those stay apart, and a note says how.

use std::collections::BTreeMap;

use crate::render::results::{Estimate, Results};
use crate::stats::meta::Study;

/// What makes estimates comparable.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct GroupKey {
    /// [`Estimate::quantity`].
    pub quantity: String,
    /// [`Estimate::outcome`].
    pub outcome: String,
    /// [`Estimate::design`].
    pub design: String,
    /// [`Estimate::better`].
    pub better: String,
    /// [`Estimate::interval`].
    pub interval: String,
    /// [`Estimate::settings`].
    pub settings: BTreeMap<String, String>,
}

impl GroupKey {
    /// The key of `e`.
    pub fn of(e: &Estimate) -> GroupKey {
        GroupKey {
            quantity: e.quantity.clone(),
            outcome: e.outcome.clone(),
            design: e.design.clone(),
            better: e.better.clone(),
            interval: e.interval.clone(),
            settings: e.settings.clone(),
        }
    }

    /// The settings as one line: `pool never_referred, window_months 6`.
    pub fn settings_text(&self) -> String {
        self.settings
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// The fields in which `self` and `other` (same quantity and outcome)
    /// differ, by name.
    fn differences(&self, other: &GroupKey) -> Vec<String> {
        let mut out = Vec::new();
        for (what, a, b) in [
            ("design", &self.design, &other.design),
            ("better", &self.better, &other.better),
            ("interval", &self.interval, &other.interval),
        ] {
            if a != b {
                out.push(what.to_string());
            }
        }
        let names: std::collections::BTreeSet<&String> =
            self.settings.keys().chain(other.settings.keys()).collect();
        for name in names {
            if self.settings.get(name) != other.settings.get(name) {
                out.push(name.clone());
            }
        }
        out
    }
}

/// One scheme's estimate in a group.
#[derive(Debug, Clone)]
pub struct Member {
    /// Index of its results file in the sources.
    pub source: usize,
    /// The estimate as published.
    pub estimate: Estimate,
    /// The standard error pooled, and where it comes from.
    pub se: Option<(f64, SeFrom)>,
}

/// Where a study's standard error comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SeFrom {
    /// The table publishes it.
    Published,
    /// Worked back from the published 95% interval.
    Interval,
}

impl SeFrom {
    /// As the tables write it.
    pub fn label(self) -> &'static str {
        match self {
            SeFrom::Published => "published",
            SeFrom::Interval => "from the 95% interval",
        }
    }
}

impl Member {
    /// The study pooled, when it has a standard error.
    pub fn study(&self) -> Option<Study> {
        self.se.map(|(se, _)| Study {
            estimate: self.estimate.estimate,
            se,
        })
    }
}

/// Comparable estimates from several schemes.
#[derive(Debug, Clone)]
pub struct Group {
    /// What they share.
    pub key: GroupKey,
    /// One per scheme, in the order the files were given.
    pub members: Vec<Member>,
}

/// The standard error of a published estimate: the published one, else
/// half its 95% interval's width over the interval's critical value
/// (Student's t on n − 1 degrees of freedom for a `t` interval, else
/// z = 1.96: a Wilson or bootstrap interval is close to symmetric when the
/// estimate is pooled-worthy). Published limits are rounded, so the
/// worked-back error is as precise as they are. `None` when the interval
/// has no width (it rounds to its estimate).
pub fn standard_error(e: &Estimate) -> Option<(f64, SeFrom)> {
    if let Some(se) = e.se.filter(|se| se.is_finite() && *se > 0.0) {
        return Some((se, SeFrom::Published));
    }
    let half = (e.upper - e.lower) / 2.0;
    let critical = match e.interval.as_str() {
        "t" => crate::stats::t_quantile(0.975, (e.n - 1) as f64),
        _ => crate::stats::Z95,
    };
    (half > 0.0 && critical.is_finite()).then(|| (half / critical, SeFrom::Interval))
}

/// The groups of every estimate in `sources`, in key order, and the notes
/// on estimates of one quantity and outcome kept apart.
pub fn groups(sources: &[&Results]) -> (Vec<Group>, Vec<(GroupKey, String)>) {
    let mut by_key: BTreeMap<GroupKey, Vec<Member>> = BTreeMap::new();
    for (source, results) in sources.iter().enumerate() {
        for e in &results.estimates {
            by_key.entry(GroupKey::of(e)).or_default().push(Member {
                source,
                estimate: e.clone(),
                se: standard_error(e),
            });
        }
    }
    let keys: Vec<&GroupKey> = by_key.keys().collect();
    let mut notes = Vec::new();
    for a in &keys {
        let siblings: Vec<&&GroupKey> = keys
            .iter()
            .filter(|b| b != &a && (&a.quantity, &a.outcome) == (&b.quantity, &b.outcome))
            .collect();
        if siblings.is_empty() {
            continue;
        }
        let differ: std::collections::BTreeSet<String> =
            siblings.iter().flat_map(|b| a.differences(b)).collect();
        notes.push((
            (*a).clone(),
            format!(
                "kept apart from {} other group(s) of this quantity and outcome, which differ in {}",
                siblings.len(),
                differ.into_iter().collect::<Vec<_>>().join(", ")
            ),
        ));
    }
    let groups = by_key
        .into_iter()
        .map(|(key, members)| Group { key, members })
        .collect();
    (groups, notes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn estimate(quantity: &str, window: &str, value: f64) -> Estimate {
        Estimate {
            quantity: quantity.into(),
            outcome: "gp_appointment".into(),
            outcome_label: "GP appointment".into(),
            design: "matched_difference_in_differences".into(),
            better: "lower".into(),
            estimate: value,
            lower: value - 1.0,
            upper: value + 1.0,
            interval: "bootstrap_percentile".into(),
            se: None,
            n: 100,
            settings: BTreeMap::from([("window_months".into(), window.into())]),
            table: "health_difference_in_differences".into(),
        }
    }

    #[test]
    fn only_like_estimates_are_grouped_and_the_rest_are_told_apart() {
        let results = |estimates: Vec<Estimate>| Results {
            format: crate::render::results::FORMAT.into(),
            schema_version: crate::render::results::SCHEMA_VERSION,
            sprout_version: crate::VERSION.into(),
            scheme: Default::default(),
            period: crate::render::results::ResultsPeriod {
                label: "2024/25".into(),
                start: "2024-04-01".into(),
                end: "2025-03-31".into(),
            },
            policy: "nhs_digital".into(),
            spec_sha256: String::new(),
            inputs: Vec::new(),
            estimates,
        };
        let a = results(vec![
            estimate("did", "6", -1.0),
            estimate("did", "12", -2.0),
        ]);
        let b = results(vec![estimate("did", "6", -1.5)]);
        let (groups, notes) = groups(&[&a, &b]);
        assert_eq!(groups.len(), 2);
        let six = groups
            .iter()
            .find(|g| g.key.settings["window_months"] == "6")
            .unwrap();
        assert_eq!(
            six.members.iter().map(|m| m.source).collect::<Vec<_>>(),
            [0, 1]
        );
        assert_eq!(notes.len(), 2, "each of the two groups says how it differs");
        assert!(
            notes[0].1.contains(
                "1 other group(s) of this quantity and outcome, which differ in window_months"
            ),
            "{notes:?}"
        );
        // Worked back from a bootstrap interval with z: (1 − (−1)) / 2 / 1.96.
        let (se, from) = six.members[0].se.unwrap();
        assert!((se - 1.0 / crate::stats::Z95).abs() < 1e-12 && from == SeFrom::Interval);
        // A t interval uses t on n − 1; a published error wins; no width, none.
        let mut t = estimate("mean_change", "6", 0.5);
        t.interval = "t".into();
        t.n = 11;
        let (se, _) = standard_error(&t).unwrap();
        assert!((se - 1.0 / 2.228_138_851_986_273_5).abs() < 1e-9, "{se}");
        t.se = Some(0.3);
        assert_eq!(standard_error(&t), Some((0.3, SeFrom::Published)));
        let mut flat = estimate("did", "6", 0.5);
        flat.lower = 0.5;
        flat.upper = 0.5;
        assert_eq!(standard_error(&flat), None);
    }
}
