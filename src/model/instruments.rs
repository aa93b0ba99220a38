//! Item layout of each outcome instrument, as ingest validates it.
//!
//! Assessments carry item responses in columns `item_1` … `item_14` in the
//! instrument's published item order, and/or a vendor-computed `total`.
//! Scoring (totals, conversions, bands, missing-item rules) belongs to the
//! measures; here we only check that each response is a possible answer.

use serde::Serialize;

/// How many item columns an assessment row can carry (WEMWBS has the most).
pub const MAX_ITEMS: usize = 14;

/// The assessments table's item columns, `item_1` to `item_14`.
pub const ITEM_COLUMNS: [&str; MAX_ITEMS] = [
    "item_1", "item_2", "item_3", "item_4", "item_5", "item_6", "item_7", "item_8", "item_9",
    "item_10", "item_11", "item_12", "item_13", "item_14",
];

/// The item layout of one instrument.
#[derive(Debug, Serialize)]
pub struct Instrument {
    /// Code in [`crate::model::codes::INSTRUMENT`].
    pub code: &'static str,
    /// Number of items (0 for licensed instruments scored by the vendor).
    pub items: usize,
    /// Lowest possible item response.
    pub item_min: i64,
    /// Highest possible item response.
    pub item_max: i64,
    /// What each item is, in column order.
    pub item_names: &'static [&'static str],
    /// Licensed: only vendor-computed totals and levels are accepted.
    pub licensed: bool,
}

const fn scale(
    code: &'static str,
    item_min: i64,
    item_max: i64,
    item_names: &'static [&'static str],
) -> Instrument {
    Instrument {
        code,
        items: item_names.len(),
        item_min,
        item_max,
        item_names,
        licensed: false,
    }
}

const fn licensed(code: &'static str) -> Instrument {
    Instrument {
        code,
        items: 0,
        item_min: 0,
        item_max: 0,
        item_names: &[],
        licensed: true,
    }
}

/// Every instrument sprout knows.
pub static INSTRUMENTS: &[Instrument] = &[
    scale(
        "ons4",
        0,
        10,
        &["life satisfaction", "worthwhile", "happiness", "anxiety"],
    ),
    scale(
        "wemwbs",
        1,
        5,
        &[
            "optimistic about the future",
            "useful",
            "relaxed",
            "interested in other people",
            "energy to spare",
            "dealing with problems well",
            "thinking clearly",
            "good about myself",
            "close to other people",
            "confident",
            "able to make up my own mind",
            "loved",
            "interested in new things",
            "cheerful",
        ],
    ),
    scale(
        "swemwbs",
        1,
        5,
        &[
            "optimistic about the future",
            "useful",
            "relaxed",
            "dealing with problems well",
            "thinking clearly",
            "close to other people",
            "able to make up my own mind",
        ],
    ),
    scale(
        "ucla3",
        1,
        3,
        &["lack companionship", "feel left out", "feel isolated"],
    ),
    // 1 often/always, 2 some of the time, 3 occasionally, 4 hardly ever, 5 never.
    scale("ons_loneliness", 1, 5, &["how often do you feel lonely"]),
    scale(
        "phq9",
        0,
        3,
        &[
            "item 1", "item 2", "item 3", "item 4", "item 5", "item 6", "item 7", "item 8",
            "item 9",
        ],
    ),
    scale(
        "gad7",
        0,
        3,
        &[
            "item 1", "item 2", "item 3", "item 4", "item 5", "item 6", "item 7",
        ],
    ),
    licensed("mycaw"),
    licensed("pam"),
    licensed("eq5d"),
    licensed("star"),
];

/// The instrument with canonical `code`.
pub fn instrument(code: &str) -> Option<&'static Instrument> {
    INSTRUMENTS.iter().find(|i| i.code == code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::codes::INSTRUMENT;

    #[test]
    fn the_item_columns_are_the_assessments_tables() {
        let table = crate::model::table("assessments").unwrap();
        let items: Vec<&str> = table
            .columns
            .iter()
            .map(|c| c.name)
            .filter(|n| n.starts_with("item_"))
            .collect();
        assert_eq!(items, ITEM_COLUMNS);
    }

    #[test]
    fn every_instrument_code_has_a_layout_and_fits_the_item_columns() {
        for code in INSTRUMENT.codes {
            let i = instrument(code.code).expect(code.code);
            assert!(i.items <= MAX_ITEMS);
            assert_eq!(i.items, i.item_names.len());
            assert!(i.licensed || i.item_min < i.item_max);
        }
        assert_eq!(instrument("wemwbs").unwrap().items, 14);
        assert_eq!(instrument("swemwbs").unwrap().items, 7);
    }
}
