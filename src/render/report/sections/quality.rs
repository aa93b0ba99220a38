//! Data quality: validation and completeness of the records.

use crate::disclosure::PublishedTable;
use crate::render::report::Section;
use crate::render::report::cells::{Col, Fmt, count, find, view};

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
