//! Referrals and reach: uptake by quarter, equity, referrals by month and by source.

use crate::disclosure::PublishedTable;
use crate::render::charts::figure::{Figure, FigureKind, Series};
use crate::render::report::Section;
use crate::render::report::cells::{Col, Fmt, find, num, show, view};

/// The reach section: uptake and timeliness by quarter, and the equity breakdowns (their `all` rows left out).
pub(in crate::render::report) fn reach_section(tables: &[PublishedTable]) -> Section {
    let mut s = Section {
        id: "reach".into(),
        title: "Referrals and reach".into(),
        ..Section::default()
    };
    s.intro.push("Referrals count by the date they were received. Rates are per 1,000 people registered with the practices in the extract.".into());
    if let Some(d) = find(tables, "denominators")
        && let Some(r) = (0..d.rows.len()).next()
        && d.text(r, "source") != "the population extract"
    {
        s.intro.push(format!(
            "The registered lists are NHS England's published list sizes ({}, extracted {}), for the {} practices of the people extract that it holds: they count everyone registered.",
            d.text(r, "source"),
            d.text(r, "extract_date"),
            show(d.cell(r, "practices"), Fmt::Count)
        ));
    }
    if let Some(t) = find(tables, "service_uptake") {
        let rows: Vec<usize> = (0..t.rows.len()).collect();
        let columns = [
            Col("Quarter", "quarter", Fmt::Text),
            Col("Referred", "referred", Fmt::Count),
            Col("Accepted", "accepted_share", Fmt::Percent),
            Col("Declined", "declined_share", Fmt::Percent),
            Col("Did not attend", "did_not_attend_share", Fmt::Percent),
            Col(
                "Median days to first contact",
                "median_days_to_first_contact",
                Fmt::Fixed(0),
            ),
            Col(
                "Contacts per accepted referral",
                "mean_contacts_per_accepted",
                Fmt::Fixed(1),
            ),
        ];
        let mut table = view(
            t,
            &rows,
            &columns,
            "Uptake and timeliness by quarter",
            "Percentages are of referrals received in the quarter; the whole period's medians are of its referrals, not of the quarters' medians.",
        );
        if let Some(whole) = find(tables, "service_uptake_period") {
            let all: Vec<usize> = (0..whole.rows.len()).collect();
            table.rows.extend(view(whole, &all, &columns, "", "").rows);
        }
        s.tables.push(table);
    }
    if let Some(t) = find(tables, "equity") {
        let rows: Vec<usize> = t
            .rows_where(&[])
            .filter(|&r| t.text(r, "breakdown") != "all")
            .collect();
        s.tables.push(view(
            t,
            &rows,
            &[
                Col("Breakdown", "breakdown", Fmt::Text),
                Col("Group", "group", Fmt::Text),
                Col("Referrals", "referrals", Fmt::Count),
                Col("Rate per 1,000", "rate_per_1000", Fmt::Fixed(1)),
                Col("Rate ratio", "rate_ratio", Fmt::Fixed(2)),
                Col("Declined", "declined_share", Fmt::Percent),
                Col("Follow-up recorded", "completed_share", Fmt::Percent),
            ],
            "Equity: who is referred, who declines and whose outcomes are recorded",
            "The rate ratio compares a group's referral rate with everyone else's in the same breakdown; above 1, the group is referred more often.",
        ));
    }
    s
}

/// Referrals per month, from the published SPC series (withheld months are gaps).
pub(in crate::render::report) fn monthly_referrals_figure(
    tables: &[PublishedTable],
) -> Option<Figure> {
    let t = find(tables, "spc")?;
    let rows: Vec<usize> = t.rows_where(&[("measure", "monthly_referrals")]).collect();
    if rows.is_empty() {
        return None;
    }
    let values: Vec<Option<f64>> = rows.iter().map(|&r| num(t, r, "value")).collect();
    let suppressed = values.iter().filter(|v| v.is_none()).count();
    Some(Figure {
        id: "monthly_referrals".into(),
        title: "Referrals received per month".into(),
        description: format!(
            "Line chart of referrals received in each of {} months, from {} to {}{}.",
            rows.len(),
            t.text(rows[0], "month"),
            t.text(rows[rows.len() - 1], "month"),
            if suppressed > 0 {
                format!(
                    "; {suppressed} months whose counts are withheld to protect privacy are not shown"
                )
            } else {
                String::new()
            }
        ),
        kind: FigureKind::Line,
        axis: "Referrals".into(),
        categories: rows
            .iter()
            .map(|&r| t.text(r, "month").chars().take(7).collect())
            .collect(),
        series: vec![Series::values("Referrals", values)],
    })
}

/// Referrals by source over the whole period (`service_referrals_period`),
/// or, without it, the latest quarter of `service_referrals`.
pub(in crate::render::report) fn sources_figure(tables: &[PublishedTable]) -> Option<Figure> {
    let (t, rows, when) = match find(tables, "service_referrals_period") {
        Some(t) => {
            let rows: Vec<usize> = t.rows_where(&[("breakdown", "referral_source")]).collect();
            (t, rows, "the period".to_string())
        }
        None => {
            let t = find(tables, "service_referrals")?;
            let last = t
                .rows_where(&[("breakdown", "referral_source")])
                .map(|r| t.text(r, "quarter").to_string())
                .max()?;
            let rows = t
                .rows_where(&[("breakdown", "referral_source")])
                .filter(|&r| t.text(r, "quarter") == last)
                .collect();
            (t, rows, last)
        }
    };
    if rows.is_empty() {
        return None;
    }
    let values: Vec<Option<f64>> = rows.iter().map(|&r| num(t, r, "referrals")).collect();
    // Sources by name: "General practice", not general_practice.
    let name = |r: usize| {
        let code = t.text(r, "group");
        crate::model::codes::REFERRAL_SOURCE
            .label(code)
            .map_or_else(|| code.replace('_', " "), str::to_string)
    };
    let described: Vec<String> = rows
        .iter()
        .map(|&r| format!("{} {}", name(r), show(t.cell(r, "referrals"), Fmt::Count)))
        .collect();
    Some(Figure {
        id: "referral_sources".into(),
        title: format!("Referrals by source, {when}"),
        description: format!(
            "Bar chart of referrals by source: {}.",
            described.join(", ")
        ),
        kind: FigureKind::Bars,
        axis: "Referrals".into(),
        categories: rows.iter().map(|&r| name(r)).collect(),
        series: vec![Series::values("Referrals", values)],
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::Cell;
    use crate::measures::{equity::EQUITY, service::SERVICE_UPTAKE};
    use crate::render::report::cells::{published, t};

    #[test]
    fn quarters_and_groups_are_shown_as_published_without_the_all_rows() {
        let uptake = published(
            &SERVICE_UPTAKE,
            &[&[
                ("quarter", t("2024/25 Q1")),
                ("referred", Cell::Int(210)),
                ("accepted_share", Cell::Num(0.833)),
                ("declined_share", Cell::Suppressed),
            ]],
        );
        let equity = published(
            &EQUITY,
            &[
                &[("breakdown", t("all")), ("group", t("all"))],
                &[
                    ("breakdown", t("sex")),
                    ("group", t("female")),
                    ("referrals", Cell::Int(455)),
                    ("rate_ratio", Cell::Num(1.25)),
                ],
            ],
        );
        let s = reach_section(&[uptake, equity]);
        assert_eq!(
            s.tables[0].rows[0][..4],
            ["2024/25 Q1", "210", "83.3%", "*"].map(String::from)
        );
        assert_eq!(s.tables[1].rows.len(), 1, "the all row is left out");
        assert_eq!(
            s.tables[1].rows[0][..5],
            ["Sex", "Female", "455", "–", "1.25"].map(String::from)
        );
        assert!(monthly_referrals_figure(&[]).is_none());
        assert!(sources_figure(&[]).is_none());
    }

    #[test]
    fn the_sources_chart_covers_the_whole_period_by_name() {
        use crate::measures::service::{SERVICE_REFERRALS, SERVICE_REFERRALS_PERIOD};
        let quarterly = published(
            &SERVICE_REFERRALS,
            &[
                &[
                    ("quarter", t("2024/25 Q1")),
                    ("breakdown", t("referral_source")),
                    ("group", t("general_practice")),
                    ("referrals", Cell::Int(115)),
                ],
                &[
                    ("quarter", t("2024/25 Q4")),
                    ("breakdown", t("referral_source")),
                    ("group", t("general_practice")),
                    ("referrals", Cell::Int(120)),
                ],
            ],
        );
        let period = published(
            &SERVICE_REFERRALS_PERIOD,
            &[&[
                ("breakdown", t("referral_source")),
                ("group", t("general_practice")),
                ("referrals", Cell::Int(470)),
            ]],
        );
        let whole = sources_figure(&[quarterly.clone(), period]).unwrap();
        assert_eq!(whole.title, "Referrals by source, the period");
        assert_eq!(whole.categories, vec!["General practice"]);
        assert_eq!(
            whole.description,
            "Bar chart of referrals by source: General practice 470."
        );
        // Without the period's table, the latest quarter, said as such.
        let last = sources_figure(&[quarterly]).unwrap();
        assert_eq!(last.title, "Referrals by source, 2024/25 Q4");
    }
}
