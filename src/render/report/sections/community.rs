//! Impact on community groups: the summary and the organisations receiving most people.

use crate::disclosure::PublishedTable;
use crate::render::report::cells::{Col, Fmt, find, num, show, view};
use crate::render::report::{Section, TableView};

/// The community section: the period's summary and the 15 organisations receiving the most people.
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
                marked: Vec::new(),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::Cell;
    use crate::measures::community::{COMMUNITY_ORGANISATIONS, COMMUNITY_SUMMARY};
    use crate::render::report::cells::{published, t};

    #[test]
    fn organisations_are_listed_by_people_referred_at_most_fifteen() {
        let rows: Vec<Vec<(&str, Cell)>> = (0..20)
            .map(|i| {
                vec![
                    ("name", t(&format!("Group {i}"))),
                    ("people", Cell::Int(i * 5)),
                    ("onward_referrals", Cell::Int(i * 5)),
                ]
            })
            .collect();
        let refs: Vec<&[(&str, Cell)]> = rows.iter().map(|r| r.as_slice()).collect();
        let listed = published(&COMMUNITY_ORGANISATIONS, &refs);
        let summary = published(
            &COMMUNITY_SUMMARY,
            &[&[
                ("organisations", Cell::Int(20)),
                ("onward_referrals", Cell::Int(950)),
                ("new_groups", Cell::Suppressed),
                ("attended_share", Cell::Num(0.7)),
            ]],
        );
        let s = community_section(&[summary, listed]);
        assert_eq!(
            s.tables[0].rows[0],
            vec!["Organisations receiving referrals", "20"]
        );
        assert_eq!(s.tables[0].rows[3][1], "*", "new groups withheld");
        assert_eq!(s.tables[0].rows[5][1], "70.0%");
        let top = &s.tables[1].rows;
        assert_eq!(top.len(), 15);
        assert_eq!(top[0][0], "Group 19");
        assert_eq!(top[14][0], "Group 5");
        assert!(s.empty.is_empty());
        assert_eq!(
            community_section(&[]).empty,
            "No onward referrals were recorded in the period."
        );
    }
}
