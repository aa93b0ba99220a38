//! Every table an evaluation or `sprout measures` writes, each declared once beside the code that
//! computes it ([`TableDef`]: its columns with their types, descriptions and
//! disclosure roles, the cells that add up, the measure files it is computed
//! from) and listed here once.
//!
//! The declarations drive the tables' schemas and rows
//! ([`crate::measures::table::TableBuilder`]), disclosure control
//! ([`crate::disclosure::rules`]), `data_dictionary.csv`, the methods
//! appendix (which tables each measure file feeds), `queries/README.md`, the
//! golden files of `tests/golden/` and `sprout audit`, which finds a
//! published table's roles here by its name. (`sprout pool`'s tables, worked
//! out from published figures only, are declared in `src/pool/tables.rs`.)

use crate::measures::query::Query;
use crate::measures::table::TableDef;
use crate::measures::{
    benchmark, community, context, equity, health, over_time, quality, service, standardised,
    support, wellbeing,
};
use crate::records;

/// Every table, in the order the outputs list them.
pub static TABLES: &[&TableDef] = &[
    &wellbeing::WELLBEING_ATTRITION_FUNNEL,
    &wellbeing::WELLBEING_CHANGE,
    &wellbeing::attrition::WELLBEING_ATTRITION_BIAS,
    &wellbeing::attrition::WELLBEING_WEIGHT_BALANCE,
    &service::SERVICE_REFERRALS,
    &service::SERVICE_REFERRALS_PERIOD,
    &service::SERVICE_UPTAKE,
    &service::SERVICE_UPTAKE_PERIOD,
    &community::COMMUNITY_ORGANISATIONS,
    &community::COMMUNITY_SUMMARY,
    &support::LINK_WORKER_CASELOAD,
    &support::SUPPORT_OFFERED,
    &support::SUPPORT_OFFERED_PERIOD,
    &equity::EQUITY,
    &quality::DATA_QUALITY,
    &over_time::PERIOD_COMPARISON,
    &over_time::WELLBEING_CHANGE_COMPARISON,
    &over_time::REFERRALS_TREND,
    &over_time::WELLBEING_CHANGE_TREND,
    &context::ORGANISATION_NAMES,
    &context::WELLBEING_LOCAL,
    &context::DENOMINATORS,
    &health::washout::HEALTH_WASHOUT,
    &health::before_after::HEALTH_COHORT,
    &health::before_after::HEALTH_BEFORE_AFTER,
    &health::before_after::HEALTH_BASELINE_BANDS,
    &health::comparison::HEALTH_MATCHING,
    &health::comparison::HEALTH_BALANCE,
    &health::comparison::HEALTH_DIFFERENCE_IN_DIFFERENCES,
    &health::comparison::HEALTH_EVENT_STUDY,
    &health::comparison::HEALTH_COSTS,
    &records::HEALTH_WARNINGS,
    &benchmark::BENCHMARK_FUNNEL_UNITS,
    &benchmark::BENCHMARK_FUNNEL_LIMITS,
    &benchmark::BENCHMARK_OVERDISPERSION,
    &benchmark::SPC,
    &standardised::REFERRAL_STRATA,
    &standardised::STANDARDISED_RATIOS,
    &records::INGEST_SUMMARY,
    &records::SETTINGS,
    &records::REPORT_SENTENCES,
    &records::DATA_DICTIONARY,
];

/// The table named `name`.
pub fn find(name: &str) -> Option<&'static TableDef> {
    TABLES.iter().copied().find(|t| t.name == name)
}

/// The tables computed from the measure file `query` (its stem in `queries/`).
pub fn computed_from(query: &str) -> impl Iterator<Item = &'static TableDef> + '_ {
    TABLES
        .iter()
        .copied()
        .filter(move |t| t.queries.iter().any(|q| q.name == query))
}

/// Every measure file the tables are computed from, once each, in the
/// order of the tables they feed (the methods appendix's order).
pub fn measure_files() -> Vec<&'static Query> {
    let mut files: Vec<&'static Query> = Vec::new();
    for q in TABLES.iter().flat_map(|t| t.queries) {
        if files.iter().all(|f| f.name != q.name) {
            files.push(q);
        }
    }
    files
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::rules::{self, CROSS_SUMS, LISTS, SAME_QUANTITY};

    #[test]
    fn every_table_is_declared_once_with_columns_its_roles_and_sums_can_find() {
        for (i, t) in TABLES.iter().enumerate() {
            assert!(
                TABLES[..i].iter().all(|o| o.name != t.name),
                "{} is listed twice",
                t.name
            );
            for (j, c) in t.columns.iter().enumerate() {
                assert!(
                    t.columns[..j].iter().all(|o| o.name != c.name),
                    "{}.{} is declared twice",
                    t.name,
                    c.name
                );
            }
            assert_eq!(
                t.dangling(),
                Vec::<&str>::new(),
                "{}: roles or sums name columns it does not have",
                t.name
            );
            assert_eq!(rules::roles(t).len(), t.columns.len());
        }
    }

    #[test]
    fn lists_and_quantities_two_tables_publish_name_declared_columns() {
        let has = |table: &str, column: &str| find(table).and_then(|t| t.column(column)).is_some();
        for l in LISTS {
            assert!(has(l.counted_in, l.column), "{l:?}");
            if let Some(flag) = l.flag {
                assert!(has(l.list, flag), "{l:?}");
            }
        }
        let twins = SAME_QUANTITY
            .iter()
            .flat_map(|same| [same.a, same.b])
            .chain(
                CROSS_SUMS
                    .iter()
                    .flat_map(|cross| [cross.parts, cross.total]),
            );
        for twin in twins {
            for column in twin.columns() {
                assert!(has(twin.table, column), "{}.{column}", twin.table);
            }
        }
        for cross in CROSS_SUMS {
            if let Some(by) = cross.by {
                assert!(has(cross.parts.table, by), "{cross:?}");
            }
        }
    }

    #[test]
    fn every_measure_file_in_queries_feeds_a_declared_table() {
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("queries");
        let mut on_disk: Vec<String> = std::fs::read_dir(&folder)
            .unwrap()
            .filter_map(|e| {
                let name = e.unwrap().file_name().into_string().unwrap();
                name.strip_suffix(".sql").map(str::to_string)
            })
            .collect();
        on_disk.sort();
        let mut declared: Vec<String> =
            measure_files().iter().map(|q| q.name.to_string()).collect();
        declared.sort();
        assert_eq!(
            on_disk, declared,
            "every file in queries/ feeds a declared table (TableDef::queries)"
        );
        for name in &declared {
            assert!(computed_from(name).next().is_some());
        }
    }

    #[test]
    fn a_role_naming_a_missing_column_is_caught() {
        use crate::measures::table::{Sums, count, share, text};
        const BROKEN: TableDef = TableDef {
            name: "broken",
            description: "test",
            queries: &[],
            columns: &[
                text("period", "p"),
                count("referrals", "n"),
                share("declined_share", "declined", "referrals", "s"),
            ],
            sums: Sums {
                breakdown_key: &["period"],
                overlapping: &[],
                not_summed: &["population"],
                row_parts: &[],
            },
        };
        assert_eq!(BROKEN.dangling(), ["breakdown", "declined", "population"]);
    }
}
