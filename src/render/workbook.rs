//! The research workbook: one Excel file with an `about` sheet (the stamp and
//! a list of sheets), a `headlines` sheet with native Excel charts of the
//! headline series, and a sheet per published table with a frozen, styled
//! header row and number formats.
//!
//! Values are those of the published tables: suppressed cells are the text
//! `*`, and text that a spreadsheet would run as a formula is neutralised.

use std::path::Path;

use rust_xlsxwriter::{
    Chart, ChartType, DocProperties, ExcelDateTime, Format, FormatAlign, Workbook, Worksheet,
    XlsxError,
};

use super::Stamp;
use super::charts::figure::{Figure, FigureKind, SERIES_HEX};
use crate::disclosure::rules::Role;
use crate::disclosure::{Cell, PublishedTable};
use crate::error::{Error, Result};
use crate::measures::table::ColumnKind;
use crate::text::for_excel_cell;

/// Excel's limit on sheet names.
const SHEET_NAME_LIMIT: usize = 31;

/// A sheet name for `table`: at most 31 characters and unique in `taken`.
pub fn sheet_name(table: &str, taken: &[String]) -> String {
    let base: String = table.chars().take(SHEET_NAME_LIMIT).collect();
    if !taken.contains(&base) {
        return base;
    }
    (2..)
        .map(|i| {
            let suffix = format!("~{i}");
            let keep = SHEET_NAME_LIMIT - suffix.len();
            format!("{}{suffix}", table.chars().take(keep).collect::<String>())
        })
        .find(|name| !taken.contains(name))
        .unwrap_or(base)
}

struct Formats {
    header: Format,
    integer: Format,
    number: Format,
    percent: Format,
    suppressed: Format,
    bold: Format,
    warning: Format,
}

impl Formats {
    fn new() -> Formats {
        Formats {
            header: Format::new()
                .set_bold()
                .set_font_color(0xffffff)
                .set_background_color(0x005eb8)
                .set_text_wrap(),
            integer: Format::new().set_num_format("#,##0"),
            number: Format::new().set_num_format("0.000"),
            percent: Format::new().set_num_format("0.0%"),
            suppressed: Format::new().set_align(FormatAlign::Right),
            bold: Format::new().set_bold(),
            warning: Format::new().set_bold().set_font_color(0xd5281b),
        }
    }
}

fn xlsx(path: &Path) -> impl Fn(XlsxError) -> Error + '_ {
    move |e| Error::io(path, "writing the workbook", std::io::Error::other(e))
}

/// The last sheet: every published column with its type, protection and
/// description (`tables/data_dictionary.csv`).
pub const DICTIONARY_SHEET: &str = "data_dictionary";

/// The workbook as bytes: `about`, `headlines`, a sheet per published table
/// and the data dictionary.
pub fn build(tables: &[PublishedTable], figures: &[Figure], stamp: &Stamp) -> Result<Vec<u8>> {
    // Every published table, then the data dictionary of their columns.
    let dictionary = crate::render::tables::dictionary(tables);
    let sheets = sheet_names(
        tables.iter().chain([&dictionary]).map(|t| (t.name(), t)),
        &["about", "headlines"],
    );
    build_named(&sheets, Some(figures), stamp)
}

/// Each table with its sheet's name, made from the name wanted by
/// [`sheet_name`], unique among the others and `reserved`, in order.
pub fn sheet_names<'a>(
    wanted: impl IntoIterator<Item = (&'a str, &'a PublishedTable)>,
    reserved: &[&str],
) -> Vec<(String, &'a PublishedTable)> {
    let mut taken: Vec<String> = reserved.iter().map(|r| r.to_string()).collect();
    wanted
        .into_iter()
        .map(|(name, table)| {
            let name = sheet_name(name, &taken);
            taken.push(name.clone());
            (name, table)
        })
        .collect()
}

/// The workbook as bytes: `about`, `headlines` (with `figures`) and
/// each table on the sheet named beside it (at most 31 characters, unique,
/// neither `about` nor `headlines`: see [`sheet_name`]).
pub fn build_named(
    sheets: &[(String, &PublishedTable)],
    figures: Option<&[Figure]>,
    stamp: &Stamp,
) -> Result<Vec<u8>> {
    let path = Path::new("workbook.xlsx");
    let e = xlsx(path);
    let mut workbook = Workbook::new();
    let created = ExcelDateTime::from_timestamp(stamp.generated_epoch).map_err(&e)?;
    let properties = DocProperties::new()
        .set_title(format!("{} ({})", stamp.title, stamp.period))
        .set_author("sprout")
        .set_comment(stamp.line())
        .set_creation_datetime(&created);
    workbook.set_properties(&properties);
    let formats = Formats::new();
    let tables: Vec<&PublishedTable> = sheets.iter().map(|(_, t)| *t).collect();
    let names: Vec<String> = sheets.iter().map(|(n, _)| n.clone()).collect();
    about_sheet(workbook.add_worksheet(), &tables, &names, stamp, &formats).map_err(&e)?;
    if let Some(figures) = figures {
        headline_sheet(workbook.add_worksheet(), figures, stamp, &formats).map_err(&e)?;
    }
    for (name, table) in sheets {
        table_sheet(workbook.add_worksheet(), table, name, stamp, &formats).map_err(&e)?;
    }
    workbook.save_to_buffer().map_err(&e)
}

fn stamp_sheet(sheet: &mut Worksheet, stamp: &Stamp) {
    let mut header = format!("&L{}&R{}", stamp.title.replace('&', "&&"), stamp.period);
    if stamp.not_for_publication {
        header = format!("&CNOT FOR PUBLICATION{header}");
    }
    sheet.set_header(header);
    sheet.set_footer(format!(
        "&Lsprout {} · spec {}&R&P / &N",
        stamp.sprout_version,
        &stamp.spec_sha256[..12.min(stamp.spec_sha256.len())]
    ));
}

fn about_sheet(
    sheet: &mut Worksheet,
    tables: &[&PublishedTable],
    names: &[String],
    stamp: &Stamp,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name("about")?;
    stamp_sheet(sheet, stamp);
    sheet.set_column_width(0, 34)?;
    sheet.set_column_width(1, 100)?;
    let mut r = 0;
    sheet.write_string_with_format(r, 0, for_excel_cell(&stamp.title), &f.bold)?;
    r += 1;
    if stamp.not_for_publication {
        sheet.write_string_with_format(r, 0, "NOT FOR PUBLICATION", &f.warning)?;
        sheet.write_string_with_format(
            r,
            1,
            "Exact figures without disclosure control, for internal use only.",
            &f.warning,
        )?;
        r += 1;
    }
    let rows = [
        ("Period", stamp.period.clone()),
        ("Disclosure control", stamp.policy_description.clone()),
        ("sprout version", stamp.sprout_version.clone()),
        ("Evaluation spec", stamp.spec_file.clone()),
        ("Spec SHA-256", stamp.spec_sha256.clone()),
        ("Generated", stamp.generated_at.clone()),
    ];
    for (k, v) in rows {
        sheet.write_string_with_format(r, 0, k, &f.bold)?;
        sheet.write_string(r, 1, for_excel_cell(&v))?;
        r += 1;
    }
    r += 1;
    sheet.write_string_with_format(r, 0, "Input file", &f.header)?;
    sheet.write_string_with_format(r, 1, "Table and SHA-256", &f.header)?;
    r += 1;
    for input in &stamp.inputs {
        sheet.write_string(r, 0, for_excel_cell(&input.file))?;
        sheet.write_string(r, 1, format!("{}: {}", input.table, input.sha256))?;
        r += 1;
    }
    r += 1;
    sheet.write_string_with_format(r, 0, "Sheet", &f.header)?;
    sheet.write_string_with_format(r, 1, "One row is", &f.header)?;
    r += 1;
    for (table, name) in tables.iter().zip(names) {
        sheet.write_string(r, 0, name)?;
        sheet.write_string(r, 1, table.def.description)?;
        r += 1;
    }
    Ok(())
}

/// The headline figures as small tables, each with a native chart beside it.
fn headline_sheet(
    sheet: &mut Worksheet,
    figures: &[Figure],
    stamp: &Stamp,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name("headlines")?;
    stamp_sheet(sheet, stamp);
    sheet.set_column_width(0, 30)?;
    let mut r: u32 = 0;
    for figure in figures {
        let start = r;
        sheet.write_string_with_format(r, 0, for_excel_cell(&figure.title), &f.bold)?;
        r += 1;
        sheet.write_string_with_format(r, 0, "", &f.header)?;
        let mut c: u16 = 1;
        for series in &figure.series {
            sheet.write_string_with_format(r, c, for_excel_cell(&series.name), &f.header)?;
            c += 1;
            if !series.lower.is_empty() {
                sheet.write_string_with_format(r, c, "lower 95%", &f.header)?;
                sheet.write_string_with_format(r, c + 1, "upper 95%", &f.header)?;
                // The error bars' lengths, as formulas over the limits.
                sheet.write_string_with_format(r, c + 2, "error bar below", &f.header)?;
                sheet.write_string_with_format(r, c + 3, "error bar above", &f.header)?;
                c += 4;
            }
        }
        let first = r + 1;
        for (i, category) in figure.categories.iter().enumerate() {
            r += 1;
            sheet.write_string(r, 0, for_excel_cell(category))?;
            let mut c: u16 = 1;
            for series in &figure.series {
                let mut put = |c: u16, v: Option<f64>| -> Result<(), XlsxError> {
                    match v.filter(|x| x.is_finite()) {
                        Some(x) => sheet
                            .write_number_with_format(r, c, x, &f.number)
                            .map(|_| ()),
                        None => sheet
                            .write_string_with_format(r, c, "*", &f.suppressed)
                            .map(|_| ()),
                    }
                };
                put(c, series.values.get(i).copied().flatten())?;
                c += 1;
                if !series.lower.is_empty() {
                    put(c, series.lower.get(i).copied().flatten())?;
                    put(c + 1, series.upper.get(i).copied().flatten())?;
                    // Lengths below and above the value, from the cells beside
                    // them (no length where a figure is withheld).
                    let cell = |col: u16| rust_xlsxwriter::utility::row_col_to_cell(r, col);
                    let (value, lower, upper) = (cell(c - 1), cell(c), cell(c + 1));
                    for (k, (from, to)) in
                        [(&lower, &value), (&value, &upper)].into_iter().enumerate()
                    {
                        let formula =
                            format!("=IF(AND(ISNUMBER({from}),ISNUMBER({to})),{to}-{from},NA())");
                        sheet.write_formula_with_format(
                            r,
                            c + 2 + k as u16,
                            formula.as_str(),
                            &f.number,
                        )?;
                    }
                    c += 4;
                }
            }
        }
        let last = r;
        if last >= first {
            let mut chart = Chart::new(match figure.kind {
                FigureKind::Line => ChartType::Line,
                FigureKind::Bars => ChartType::Bar,
                FigureKind::Intervals => ChartType::Bar,
            });
            chart.title().set_name(figure.title.as_str());
            chart.y_axis().set_name(figure.axis.as_str());
            let mut c: u16 = 1;
            for (s, series) in figure.series.iter().enumerate() {
                let added = chart
                    .add_series()
                    .set_name(series.name.as_str())
                    .set_categories(("headlines", first, 0, last, 0))
                    .set_values(("headlines", first, c, last, c))
                    .set_format(
                        rust_xlsxwriter::ChartFormat::new().set_solid_fill(
                            rust_xlsxwriter::ChartSolidFill::new()
                                .set_color(SERIES_HEX[s % SERIES_HEX.len()]),
                        ),
                    );
                if !series.lower.is_empty() {
                    let range = |col: u16| {
                        rust_xlsxwriter::ChartRange::new_from_range(
                            "headlines",
                            first,
                            col,
                            last,
                            col,
                        )
                    };
                    let mut bars = rust_xlsxwriter::ChartErrorBars::new();
                    bars.set_type(rust_xlsxwriter::ChartErrorBarsType::Custom(
                        range(c + 4),
                        range(c + 3),
                    ));
                    // A bar chart's values run across: its error bars are horizontal.
                    if figure.kind == FigureKind::Intervals {
                        added.set_x_error_bars(&bars);
                    } else {
                        added.set_y_error_bars(&bars);
                    }
                }
                c += if series.lower.is_empty() { 1 } else { 5 };
            }
            if figure.series.len() < 2 {
                chart.legend().set_hidden();
            }
            sheet.insert_chart(start, 6, &chart)?;
        }
        r = (r + 2).max(start + 17);
    }
    Ok(())
}

fn table_sheet(
    sheet: &mut Worksheet,
    table: &PublishedTable,
    name: &str,
    stamp: &Stamp,
    f: &Formats,
) -> Result<(), XlsxError> {
    sheet.set_name(name)?;
    stamp_sheet(sheet, stamp);
    for (c, column) in table.columns().iter().enumerate() {
        let c = c as u16;
        sheet.write_string_with_format(0, c, column.name, &f.header)?;
        let width = match column.ty {
            ColumnKind::Text => 18,
            _ => 12,
        };
        sheet.set_column_width(c, width.max(column.name.len().min(28)) as f64)?;
    }
    sheet.set_freeze_panes(1, 0)?;
    for (r, row) in table.rows.iter().enumerate() {
        let r = r as u32 + 1;
        for (c, (cell, role)) in row.iter().zip(&table.roles).enumerate() {
            let c = c as u16;
            match cell {
                Cell::Empty => {}
                Cell::Text(s) => {
                    sheet.write_string(r, c, for_excel_cell(s))?;
                }
                Cell::Suppressed => {
                    sheet.write_string_with_format(r, c, "*", &f.suppressed)?;
                }
                Cell::Int(n) => {
                    if matches!(role, Role::Label) {
                        sheet.write_number(r, c, *n as f64)?;
                    } else {
                        sheet.write_number_with_format(r, c, *n as f64, &f.integer)?;
                    }
                }
                Cell::Num(x) if x.is_finite() => {
                    let format = match role {
                        Role::Share { .. }
                        | Role::ShareBound { .. }
                        | Role::ShareDifference { .. } => &f.percent,
                        Role::Count | Role::CountWhen { .. } => &f.integer,
                        _ => &f.number,
                    };
                    sheet.write_number_with_format(r, c, *x, format)?;
                }
                Cell::Num(_) => {}
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sheet_names_fit_and_stay_unique() {
        let mut taken = Vec::new();
        for t in [
            "health_difference_in_differences",
            "health_difference_in_differences_x",
            "spc",
        ] {
            let n = sheet_name(t, &taken);
            assert!(n.chars().count() <= 31, "{n}");
            taken.push(n);
        }
        assert_eq!(taken[0], "health_difference_in_difference");
        assert_eq!(taken[1], "health_difference_in_differen~2");
        assert_eq!(taken[2], "spc");
    }
}
