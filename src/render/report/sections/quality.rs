//! Data quality: validation and completeness of the records.

use crate::disclosure::PublishedTable;
use crate::render::report::Section;
use crate::render::report::cells::{Col, Fmt, count, find, view};

/// The data-quality section: quarantined rows and the overall completeness items.
pub(in crate::render::report) fn quality_section(
    tables: &[PublishedTable],
    quarantined: u64,
) -> Section {
    let mut s = Section {
        id: "quality".into(),
        title: "Data quality".into(),
        ..Section::default()
    };
    s.intro.push(if quarantined > 0 {
        format!(
            "{} rows of the extracts failed validation and were quarantined (kept aside with the reason, not counted here); see the warehouse's quarantine table.",
            count(quarantined as i64)
        )
    } else {
        "Every row of the extracts passed validation.".to_string()
    });
    if let Some(t) = find(tables, "data_quality") {
        let rows: Vec<usize> = t.rows_where(&[("breakdown", "all")]).collect();
        s.tables.push(view(
            t,
            &rows,
            &[
                Col("Item", "description", Fmt::Text),
                Col("Count", "count", Fmt::Count),
                Col("Of", "denominator", Fmt::Count),
                Col("Share", "share", Fmt::Percent),
            ],
            "Completeness and consistency of the referral records",
            "By practice and by link worker in the workbook and tables.",
        ));
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::Cell;
    use crate::measures::quality::DATA_QUALITY;
    use crate::render::report::cells::{published, t};

    #[test]
    fn quarantined_rows_are_counted_and_only_the_overall_rows_are_shown() {
        let q = published(
            &DATA_QUALITY,
            &[
                &[
                    ("breakdown", t("all")),
                    ("description", t("Ethnicity recorded")),
                    ("count", Cell::Int(1230)),
                    ("denominator", Cell::Int(1500)),
                    ("share", Cell::Num(0.82)),
                ],
                &[
                    ("breakdown", t("practice")),
                    ("description", t("Ethnicity recorded")),
                    ("count", Cell::Suppressed),
                ],
            ],
        );
        let s = quality_section(&[q], 1234);
        assert!(s.intro[0].starts_with("1,234 rows of the extracts failed validation"));
        assert_eq!(s.tables.len(), 1);
        assert_eq!(
            s.tables[0].rows,
            vec![vec!["Ethnicity recorded", "1,230", "1,500", "82.0%"]]
        );
        let clean = quality_section(&[], 0);
        assert_eq!(
            clean.intro,
            vec!["Every row of the extracts passed validation."]
        );
        assert!(clean.tables.is_empty());
    }
}
