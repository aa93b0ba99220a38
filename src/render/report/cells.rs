//! Reading published cells for a report: formats, lookups of declared
//! tables and columns, and report tables built from them.

use super::{ChartView, TableView};
use crate::disclosure::{Cell, PublishedTable};
use crate::render::charts::figure::{self, Figure};

/// How a cell is shown.
#[derive(Debug, Clone, Copy)]
pub(in crate::render::report) enum Fmt {
    /// As text.
    Text,
    Count,
    Percent,
    Fixed(usize),
    Signed(usize),
}

/// A count with thousands separators.
pub(in crate::render::report) fn count(n: i64) -> String {
    let s = crate::text::thousands(n.unsigned_abs());
    if n < 0 { format!("-{s}") } else { s }
}

pub(in crate::render::report) fn show(cell: &Cell, fmt: Fmt) -> String {
    match (cell, fmt) {
        (Cell::Suppressed, _) => "*".to_string(),
        (Cell::Empty, _) => "–".to_string(),
        (Cell::Text(s), Fmt::Text) => words(s),
        (Cell::Text(s), _) => s.clone(),
        (Cell::Int(n), Fmt::Count | Fmt::Text) => count(*n),
        (c, Fmt::Count) => c
            .number()
            .map_or_else(String::new, |x| count(x.round() as i64)),
        (c, Fmt::Percent) => c
            .number()
            .map_or_else(String::new, |x| format!("{:.1}%", 100.0 * x)),
        (c, Fmt::Fixed(dp)) => c
            .number()
            .map_or_else(String::new, |x| format!("{:.*}", places(&[x], dp), x + 0.0)),
        (c, Fmt::Signed(dp)) => c.number().map_or_else(String::new, |x| {
            format!("{:+.*}", places(&[x], dp), x + 0.0)
        }),
        (c, Fmt::Text) => c.display(),
    }
}

/// Decimals to show figures with: at most `dp`, and no more than the
/// published figures carry (a statistic coarsened by disclosure control is
/// not padded with zeros it does not have).
pub(in crate::render::report) fn places(figures: &[f64], dp: usize) -> usize {
    let carried = figures
        .iter()
        .map(|&x| crate::disclosure::policy::decimals(x).max(0) as usize)
        .max()
        .unwrap_or(dp);
    dp.min(carried)
}

/// "+1.16 (+0.82 to +1.49)", or the estimate alone when the interval is withheld.
pub(in crate::render::report) fn interval(
    t: &PublishedTable,
    row: usize,
    estimate: &str,
    lower: &str,
    upper: &str,
    dp: usize,
) -> String {
    match (
        t.cell(row, estimate).number(),
        t.cell(row, lower).number(),
        t.cell(row, upper).number(),
    ) {
        (Some(e), Some(l), Some(u)) => {
            let dp = places(&[e, l, u], dp);
            // `+ 0.0` turns a rounded -0 into 0.
            format!("{:+.dp$} ({:+.dp$} to {:+.dp$})", e + 0.0, l + 0.0, u + 0.0)
        }
        _ => show(t.cell(row, estimate), Fmt::Signed(dp)),
    }
}

/// A column of a report table: header, source column and format.
pub(in crate::render::report) struct Col(pub &'static str, pub &'static str, pub Fmt);

pub(in crate::render::report) fn view(
    t: &PublishedTable,
    rows: &[usize],
    cols: &[Col],
    caption: impl Into<String>,
    note: impl Into<String>,
) -> TableView {
    // Every column a report table shows must be declared, whether or not
    // the table has rows this time.
    for c in cols {
        assert!(
            t.def.column(c.1).is_some(),
            "the report shows {}.{}, which the table does not declare",
            t.name(),
            c.1
        );
    }
    TableView {
        caption: caption.into(),
        headers: cols.iter().map(|c| c.0.to_string()).collect(),
        numeric: cols.iter().map(|c| !matches!(c.2, Fmt::Text)).collect(),
        rows: rows
            .iter()
            .map(|&r| cols.iter().map(|c| show(t.cell(r, c.1), c.2)).collect())
            .collect(),
        note: note.into(),
        marked: Vec::new(),
    }
}

/// The published names of the practices and PCNs (`organisation_names`),
/// by code; empty when ingest was given no ODS files.
pub(in crate::render::report) fn organisation_names(
    tables: &[PublishedTable],
) -> std::collections::BTreeMap<String, String> {
    let Some(t) = find(tables, "organisation_names") else {
        return Default::default();
    };
    (0..t.rows.len())
        .filter(|&r| !t.text(r, "name").is_empty())
        .map(|r| (t.text(r, "code").to_string(), t.text(r, "name").to_string()))
        .collect()
}

/// Column `column` of a report table's rows, codes shown with their names
/// beside them ("U90000 MEADOWBANK CENTRAL PCN").
pub(in crate::render::report) fn name_codes(
    view: &mut TableView,
    column: usize,
    names: &std::collections::BTreeMap<String, String>,
) {
    for row in &mut view.rows {
        if let Some(cell) = row.get_mut(column)
            && let Some(name) = names.get(cell.as_str())
        {
            *cell = format!("{cell} {name}");
        }
    }
}

/// The published table `name`, when this run has one. A name the registry
/// does not declare is a programming error (a renamed table would otherwise
/// drop its section silently).
pub(in crate::render::report) fn find<'a>(
    tables: &'a [PublishedTable],
    name: &str,
) -> Option<&'a PublishedTable> {
    assert!(
        crate::registry::find(name).is_some(),
        "the report reads the table {name}, which the registry does not declare"
    );
    tables.iter().find(|t| t.name() == name)
}

pub(in crate::render::report) fn num(t: &PublishedTable, row: usize, column: &str) -> Option<f64> {
    t.number(row, column)
}

pub(in crate::render::report) fn chart(figure: &Figure) -> ChartView {
    ChartView {
        id: figure.id.clone(),
        title: figure.title.clone(),
        svg: figure::svg(figure),
        description: figure.description.clone(),
    }
}

pub(in crate::render::report) fn plural(n: f64, one: &str, many: &str) -> String {
    if (n - 1.0).abs() < f64::EPSILON {
        format!("1 {one}")
    } else {
        format!("{} {many}", count(n.round() as i64))
    }
}

/// A count as words for sentences: "about 175 people" once rounded, "an
/// undisclosed number of" when suppressed (a `*` may hide a small count, or a
/// larger one withheld so that a small one cannot be worked out).
pub(in crate::render::report) fn people(cell: &Cell, noun: &str, rounded: bool) -> String {
    match cell {
        Cell::Suppressed => format!("an undisclosed number of {noun}"),
        c => match c.number() {
            Some(n) if rounded && n > 0.0 => format!("about {} {noun}", count(n.round() as i64)),
            Some(n) => format!("{} {noun}", count(n.round() as i64)),
            None => format!("no {noun}"),
        },
    }
}

/// The overall share of accepted referrals in the outcome cohort with a follow-up.
pub(in crate::render::report) fn follow_up_row(
    tables: &[PublishedTable],
) -> Option<(&PublishedTable, usize)> {
    let q = find(tables, "data_quality")?;
    let r = q
        .rows_where(&[("breakdown", "all"), ("item", "follow_up_recorded")])
        .next()?;
    Some((q, r))
}

/// The longest window (`window_months`) of a published table's rows (NaN
/// when it has none).
pub(in crate::render::report) fn longest_window(t: &PublishedTable) -> f64 {
    (0..t.rows.len())
        .filter_map(|r| num(t, r, "window_months"))
        .fold(f64::NAN, f64::max)
}

/// The row of a published health comparison table (`pool`, `setting`,
/// `window_months`) for one pool, setting and window.
pub(in crate::render::report) fn pool_row(
    t: &PublishedTable,
    pool: &str,
    setting: &str,
    months: f64,
) -> Option<usize> {
    t.rows_where(&[("pool", pool), ("setting", setting)])
        .find(|&r| num(t, r, "window_months") == Some(months))
}

/// A code as a reader names it: a pool, a setting, a breakdown, a referral
/// source, a need or an activity type in words ("General practice", not
/// general_practice); any other snake_case code with spaces; other text as it is.
pub(in crate::render::report) fn words(text: &str) -> String {
    use crate::model::codes::{ACTIVITY_TYPE, NEED, REFERRAL_SOURCE};
    let is_code = !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if !is_code {
        return text.to_string();
    }
    let breakdown = match text {
        "all" => Some("All"),
        "age_band" => Some("Age band"),
        "sex" => Some("Sex"),
        "ethnicity_group" | "ethnic_group" => Some("Ethnic group"),
        "imd_quintile" => Some("IMD quintile"),
        "core20" => Some("Core20"),
        "referral_source" => Some("Referral source"),
        "need" => Some("Need"),
        "scheme" => Some("Scheme"),
        "pcn_code" => Some("PCN"),
        "practice_code" => Some("Practice"),
        "link_worker_id" => Some("Link worker"),
        "activity_type" => Some("Activity type"),
        _ => None,
    };
    if let Some(words) = breakdown {
        return words.to_string();
    }
    let labelled = label(text);
    if labelled != text {
        return labelled;
    }
    [&REFERRAL_SOURCE, &NEED, &ACTIVITY_TYPE]
        .iter()
        .find_map(|list| list.label(text))
        .map_or_else(|| capitalise(&text.replace('_', " ")), str::to_string)
}

/// How a reader names a comparison pool or a costed setting given by its
/// code (the code itself when it is neither).
pub(in crate::render::report) fn label(code: &str) -> String {
    match code {
        "never_referred" => "Never referred".to_string(),
        "declined" => "Declined".to_string(),
        "total_cost" => "Total (costed settings)".to_string(),
        other => crate::model::codes::HEALTH_SETTING
            .label(other)
            .map_or_else(|| other.to_string(), str::to_string),
    }
}

pub(in crate::render::report) fn capitalise(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map_or_else(String::new, |c| c.to_uppercase().chain(chars).collect())
}

/// A published table of `def` for a section's tests: each row names its
/// cells; the others are empty.
#[cfg(test)]
pub(in crate::render::report) fn published(
    def: &'static crate::measures::table::TableDef,
    rows: &[&[(&str, Cell)]],
) -> PublishedTable {
    let rows = rows
        .iter()
        .map(|named| {
            let mut row = vec![Cell::Empty; def.columns.len()];
            for (name, cell) in named.iter() {
                let c = def
                    .columns
                    .iter()
                    .position(|c| c.name == *name)
                    .unwrap_or_else(|| panic!("{} declares no column {name}", def.name));
                row[c] = cell.clone();
            }
            row
        })
        .collect();
    PublishedTable {
        def,
        roles: crate::disclosure::rules::roles(def),
        rows,
    }
}

/// A text cell, for tests.
#[cfg(test)]
pub(in crate::render::report) fn t(s: &str) -> Cell {
    Cell::Text(s.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_read_as_words_and_other_text_as_it_is() {
        assert_eq!(words("general_practice"), "General practice");
        assert_eq!(words("never_referred"), "Never referred");
        assert_eq!(words("gp_appointment"), "GP appointment");
        assert_eq!(words("age_band"), "Age band");
        assert_eq!(words("pcn_code"), "PCN");
        assert_eq!(words("some_new_code"), "Some new code");
        assert_eq!(
            words("U90001 MEADOWBANK EAST PCN"),
            "U90001 MEADOWBANK EAST PCN"
        );
        assert_eq!(words("2024/25 Q1"), "2024/25 Q1");
        assert_eq!(words("45-54"), "45-54");
    }

    #[test]
    fn cells_show_withheld_as_a_star_and_missing_as_a_dash() {
        assert_eq!(show(&Cell::Suppressed, Fmt::Count), "*");
        assert_eq!(show(&Cell::Empty, Fmt::Percent), "–");
        assert_eq!(show(&Cell::Int(12345), Fmt::Count), "12,345");
        assert_eq!(show(&Cell::Num(0.8134), Fmt::Percent), "81.3%");
        assert_eq!(show(&Cell::Num(-0.0), Fmt::Signed(2)), "+0");
        // A coarsened statistic is not padded with zeros it does not carry.
        assert_eq!(show(&Cell::Num(1.5), Fmt::Fixed(2)), "1.5");
        assert_eq!(show(&Cell::Num(1.234), Fmt::Fixed(2)), "1.23");
    }

    #[test]
    fn pools_and_settings_read_as_words() {
        assert_eq!(label("never_referred"), "Never referred");
        assert_eq!(label("gp_appointment"), "GP appointment");
        assert_eq!(label("total_cost"), "Total (costed settings)");
        assert_eq!(label("something_else"), "something_else");
    }

    #[test]
    fn counts_in_sentences_say_about_once_rounded_and_undisclosed_when_withheld() {
        assert_eq!(people(&Cell::Int(175), "people", true), "about 175 people");
        assert_eq!(people(&Cell::Int(175), "people", false), "175 people");
        assert_eq!(
            people(&Cell::Suppressed, "people", true),
            "an undisclosed number of people"
        );
        assert_eq!(people(&Cell::Int(0), "people", true), "0 people");
        assert_eq!(plural(1.0, "cell", "cells"), "1 cell");
        assert_eq!(plural(9080.0, "cell", "cells"), "9,080 cells");
    }

    #[test]
    fn an_interval_is_shown_with_its_estimate_or_the_estimate_alone() {
        let def = &crate::measures::wellbeing::WELLBEING_CHANGE;
        let both = published(
            def,
            &[
                &[
                    ("mean_change", Cell::Num(1.164)),
                    ("change_lower", Cell::Num(0.82)),
                    ("change_upper", Cell::Num(1.49)),
                ],
                &[("mean_change", Cell::Num(0.5))],
            ],
        );
        let shown = |r| interval(&both, r, "mean_change", "change_lower", "change_upper", 2);
        assert_eq!(shown(0), "+1.16 (+0.82 to +1.49)");
        assert_eq!(shown(1), "+0.5");
    }

    #[test]
    #[should_panic(
        expected = "the report reads the table service_referral, which the registry does not declare"
    )]
    fn a_section_reading_an_undeclared_table_fails() {
        let _ = find(&[], "service_referral");
    }

    #[test]
    #[should_panic(
        expected = "the report shows service_uptake.refered, which the table does not declare"
    )]
    fn a_report_column_that_is_not_declared_fails_even_with_no_rows() {
        let def = &crate::measures::service::SERVICE_UPTAKE;
        let empty = PublishedTable {
            def,
            roles: crate::disclosure::rules::roles(def),
            rows: Vec::new(),
        };
        let _ = view(
            &empty,
            &[],
            &[Col("Referred", "refered", Fmt::Count)],
            "",
            "",
        );
    }
}
