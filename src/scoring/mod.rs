//! The scoring library: item responses in, instrument scores out.
//!
//! Rules per instrument (items in the published order, see `sprout schema assessments`):
//!
//! | instrument | scores | missing items |
//! |---|---|---|
//! | ONS4 | each of the four items on its own (never summed) | each item scored if present |
//! | WEMWBS | total of 14 items (14–70) | none allowed: no prorating |
//! | SWEMWBS | raw total of 7 items (7–35) converted to the metric score | none allowed: the conversion is not defined for prorated totals |
//! | UCLA-3 | total of 3 items (3–9) | none allowed |
//! | ONS loneliness | the single item (1 often/always … 5 never) | — |
//! | PHQ-9, GAD-7 | totals (0–27, 0–21) | none allowed |
//! | MYCaW, PAM, EQ-5D, Star | the vendor-computed `total` (licensed: sprout does not score them) | — |
//!
//! A supplied `total` is used for the non-licensed instruments only when no item
//! is present. Thresholds live in `thresholds.toml` beside this file.

mod thresholds;

pub use thresholds::{Band, ChangeClass, ScoreRule, Thresholds};

use crate::model::instruments::MAX_ITEMS;

/// SWEMWBS raw total (7–35) to metric score: the published conversion table.
pub const SWEMWBS_METRIC: [f64; 29] = [
    7.00, 9.51, 11.25, 12.40, 13.33, 14.08, 14.75, 15.32, 15.84, 16.36, 16.88, 17.43, 17.98, 18.59,
    19.25, 19.98, 20.73, 21.54, 22.35, 23.21, 24.11, 25.03, 26.02, 27.03, 28.13, 29.31, 30.70,
    32.55, 35.00,
];

/// The SWEMWBS metric score of a raw total, or `None` outside 7–35.
pub fn swemwbs_metric(raw: i64) -> Option<f64> {
    usize::try_from(raw - 7)
        .ok()
        .and_then(|i| SWEMWBS_METRIC.get(i).copied())
}

/// ONS personal wellbeing band of an item score: `index` 0–2 for life
/// satisfaction, worthwhile and happiness (low 0–4, medium 5–6, high 7–8,
/// very high 9–10); 3 for anxiety (very low 0–1, low 2–3, medium 4–5, high 6–10).
pub fn ons4_band(index: usize, value: i64) -> &'static str {
    if index == 3 {
        match value {
            ..=1 => "very low",
            2..=3 => "low",
            4..=5 => "medium",
            _ => "high",
        }
    } else {
        match value {
            ..=4 => "low",
            5..=6 => "medium",
            7..=8 => "high",
            _ => "very high",
        }
    }
}

/// The scores an instrument gives, in report order.
pub fn score_names(instrument: &str) -> &'static [&'static str] {
    match instrument {
        "ons4" => &[
            "ons4_life_satisfaction",
            "ons4_worthwhile",
            "ons4_happiness",
            "ons4_anxiety",
        ],
        "wemwbs" => &["wemwbs_total"],
        "swemwbs" => &["swemwbs_metric"],
        "ucla3" => &["ucla3_total"],
        "ons_loneliness" => &["ons_loneliness"],
        "phq9" => &["phq9_total"],
        "gad7" => &["gad7_total"],
        "mycaw" => &["mycaw_total"],
        "pam" => &["pam_total"],
        "eq5d" => &["eq5d_total"],
        "star" => &["star_total"],
        _ => &[],
    }
}

/// Score one assessment: one value per name in [`score_names`], `None` where the
/// missing-item rule leaves no score.
pub fn score(
    instrument: &str,
    items: &[Option<i64>; MAX_ITEMS],
    total: Option<f64>,
) -> Vec<Option<f64>> {
    let any_item = items.iter().any(Option::is_some);
    let sum = |n: usize| -> Option<f64> {
        if !any_item {
            return total;
        }
        items[..n]
            .iter()
            .try_fold(0i64, |acc, v| v.map(|v| acc + v))
            .map(|s| s as f64)
    };
    match instrument {
        "ons4" => (0..4).map(|i| items[i].map(|v| v as f64)).collect(),
        "wemwbs" => vec![sum(14)],
        "swemwbs" => vec![if any_item {
            sum(7).and_then(|raw| swemwbs_metric(raw as i64))
        } else {
            total
        }],
        "ucla3" => vec![sum(3)],
        "ons_loneliness" => vec![sum(1)],
        "phq9" => vec![sum(9)],
        "gad7" => vec![sum(7)],
        "mycaw" | "pam" | "eq5d" | "star" => vec![total],
        _ => vec![],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(values: &[i64]) -> [Option<i64>; MAX_ITEMS] {
        let mut out = [None; MAX_ITEMS];
        for (o, v) in out.iter_mut().zip(values) {
            *o = Some(*v);
        }
        out
    }

    #[test]
    fn every_row_of_the_swemwbs_conversion_table() {
        // The published table (Warwick Medical School), raw → metric.
        let table = [
            (7, 7.00),
            (8, 9.51),
            (9, 11.25),
            (10, 12.40),
            (11, 13.33),
            (12, 14.08),
            (13, 14.75),
            (14, 15.32),
            (15, 15.84),
            (16, 16.36),
            (17, 16.88),
            (18, 17.43),
            (19, 17.98),
            (20, 18.59),
            (21, 19.25),
            (22, 19.98),
            (23, 20.73),
            (24, 21.54),
            (25, 22.35),
            (26, 23.21),
            (27, 24.11),
            (28, 25.03),
            (29, 26.02),
            (30, 27.03),
            (31, 28.13),
            (32, 29.31),
            (33, 30.70),
            (34, 32.55),
            (35, 35.00),
        ];
        for (raw, metric) in table {
            let got = swemwbs_metric(raw).unwrap();
            assert!((got - metric).abs() < 1e-12, "{raw}: {got} vs {metric}");
        }
        assert_eq!(swemwbs_metric(6), None);
        assert_eq!(swemwbs_metric(36), None);
    }

    #[test]
    fn ons4_band_edges() {
        let edges = [
            (4, "low"),
            (5, "medium"),
            (6, "medium"),
            (7, "high"),
            (8, "high"),
            (9, "very high"),
            (0, "low"),
            (10, "very high"),
        ];
        for (v, band) in edges {
            for i in 0..3 {
                assert_eq!(ons4_band(i, v), band, "item {i} value {v}");
            }
        }
        let anxiety = [
            (0, "very low"),
            (1, "very low"),
            (2, "low"),
            (3, "low"),
            (4, "medium"),
            (5, "medium"),
            (6, "high"),
            (10, "high"),
        ];
        for (v, band) in anxiety {
            assert_eq!(ons4_band(3, v), band, "anxiety {v}");
        }
    }

    #[test]
    fn instruments_score_from_items_without_prorating() {
        assert_eq!(
            score("swemwbs", &items(&[3, 3, 3, 3, 3, 3, 3]), None),
            vec![Some(19.25)],
            "raw 21"
        );
        assert_eq!(
            score("swemwbs", &items(&[3, 3, 3, 3, 3, 3]), None),
            vec![None],
            "no prorating"
        );
        assert_eq!(score("wemwbs", &items(&[4; 14]), None), vec![Some(56.0)]);
        assert_eq!(score("ucla3", &items(&[1, 2, 3]), None), vec![Some(6.0)]);
        assert_eq!(score("phq9", &items(&[3; 9]), None), vec![Some(27.0)]);
        assert_eq!(score("gad7", &items(&[0; 7]), None), vec![Some(0.0)]);
        let mut ons = items(&[7, 8, 6, 2]);
        ons[1] = None;
        assert_eq!(
            score("ons4", &ons, None),
            vec![Some(7.0), None, Some(6.0), Some(2.0)],
            "never summed"
        );
    }

    #[test]
    fn licensed_instruments_take_the_vendor_total() {
        assert_eq!(score("pam", &items(&[1, 2]), Some(55.2)), vec![Some(55.2)]);
        assert_eq!(
            score("wemwbs", &[None; MAX_ITEMS], Some(51.0)),
            vec![Some(51.0)]
        );
        for code in crate::model::codes::INSTRUMENT.codes {
            let names = score_names(code.code);
            assert!(!names.is_empty());
            for name in names {
                assert!(
                    Thresholds::builtin().rule(name).is_some(),
                    "{name} has thresholds"
                );
            }
        }
    }
}
