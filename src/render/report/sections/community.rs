//! Impact on community groups: the summary and the organisations receiving most people.

use crate::disclosure::PublishedTable;
use crate::render::report::cells::{Col, Fmt, find, num, show, view};
use crate::render::report::{Section, TableView};

pub(in crate::render::report) fn community_section(tables: &[PublishedTable]) -> Section {
    let mut s = Section {
        id: "community".into(),
        title: "Impact on community groups".into(),
        ..Section::default()
    };
    s.intro.push("Onward referrals connect people to voluntary, community and social enterprise (VCSE) groups and statutory services.".into());
    if let Some(t) = find(tables, "community_summary") {
        let cols = [
            (
                "Organisations receiving referrals",
                "organisations",
                Fmt::Count,
            ),
            ("Onward referrals", "onward_referrals", Fmt::Count),
            (
                "Onward referrals per organisation",
                "referrals_per_organisation",
                Fmt::Fixed(1),
            ),
            (
                "New groups (started in the period)",
                "new_groups",
                Fmt::Count,
            ),
            (
                "Groups appearing for the first time",
                "newly_appearing",
                Fmt::Count,
            ),
            ("Attended at least once", "attended_share", Fmt::Percent),
        ];
        if !t.rows.is_empty() {
            s.tables.push(TableView {
                caption: "Community groups in the period".into(),
                headers: vec!["Measure".into(), "Value".into()],
                numeric: vec![false, true],
                rows: cols
                    .iter()
                    .map(|(label, column, fmt)| {
                        vec![label.to_string(), show(t.cell(0, column), *fmt)]
                    })
                    .collect(),
                note: "Attendance is a share of onward referrals with attendance recorded.".into(),
            });
        }
    }
    if let Some(t) = find(tables, "community_organisations") {
        let mut rows: Vec<usize> = (0..t.rows.len()).collect();
        rows.sort_by(|&a, &b| {
            num(t, b, "people")
                .unwrap_or(-1.0)
                .total_cmp(&num(t, a, "people").unwrap_or(-1.0))
                .then(a.cmp(&b))
        });
        rows.truncate(15);
        s.tables.push(view(
            t,
            &rows,
            &[
                Col("Organisation", "name", Fmt::Text),
                Col("Category", "category", Fmt::Text),
                Col("People referred", "people", Fmt::Count),
                Col("Onward referrals", "onward_referrals", Fmt::Count),
                Col("Attended", "attended", Fmt::Count),
            ],
            "The organisations receiving the most people",
            "Names as recorded in the extract. The full list is in the workbook and tables.",
        ));
    }
    if s.tables.is_empty() {
        s.empty = "No onward referrals were recorded in the period.".into();
    }
    s
}
