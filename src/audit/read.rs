//! Reading a finished output folder as a reader gets it: the policy from
//! `evaluation.json`, the tables and their column types from
//! `tables/data_dictionary.csv`, and each table from `tables/<name>.csv`
//! (`*` withheld, empty for no value).

use std::path::Path;

use super::Sheet;
use crate::disclosure::{Cell, Policy};
use crate::error::{Error, Result};
use crate::measures::table::{ColumnKind, Sums, TableDef, text};

/// The last column of every published CSV table, not a figure.
const SUPPRESSED_COLUMN: &str = crate::render::tables::SUPPRESSED_COLUMN;

fn records(path: &Path) -> Result<Vec<csv::StringRecord>> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .from_path(path)
        .map_err(|e| Error::file(path, "reading", e))?;
    reader
        .records()
        .map(|r| r.map_err(|e| Error::file(path, "reading", e)))
        .collect()
}

/// The policy an evaluation output was published under, and its tables.
pub fn output(folder: &Path) -> Result<(Policy, Vec<Sheet>)> {
    Ok((policy(folder)?, tables(folder)?))
}

/// The policy an evaluation output was published under (`evaluation.json`).
pub fn policy(folder: &Path) -> Result<Policy> {
    let record = folder.join("evaluation.json");
    if !record.is_file() {
        let problem = if folder.join("measures.json").is_file() {
            "holds the exact tables of `sprout measures`, which are never published"
        } else {
            "is not the output of `sprout evaluate`: it has no evaluation.json"
        };
        return Err(Error::input(
            folder,
            problem,
            "give the output folder of `sprout evaluate` (the spec's `output`)",
        ));
    }
    let bytes = std::fs::read(&record).map_err(|e| Error::io(&record, "reading", e))?;
    let json: serde_json::Value =
        serde_json::from_slice(&bytes).map_err(|e| Error::file(&record, "reading", e))?;
    let name = json["stamp"]["policy"].as_str().unwrap_or_default();
    Policy::named(name).ok_or_else(|| {
        Error::input(
            &record,
            format!("names the disclosure policy '{name}', which this sprout does not know"),
            "audit it with the sprout version that wrote it (stamp.sprout_version)",
        )
    })
}

/// The published tables of an output folder, as `tables/data_dictionary.csv`
/// lists them and `tables/<name>.csv` holds them.
pub fn tables(folder: &Path) -> Result<Vec<Sheet>> {
    let dictionary = folder.join("tables").join("data_dictionary.csv");
    if !dictionary.is_file() {
        return Err(Error::input(
            folder,
            "has no tables/data_dictionary.csv: the audit reads the published CSV tables",
            "add \"csv\" to `tables` under [outputs] in the spec and run sprout evaluate again",
        ));
    }
    let rows = records(&dictionary)?;
    let header = rows.first().cloned().unwrap_or_default();
    let at = |name: &str| header.iter().position(|h| h == name);
    let (Some(t), Some(c), Some(ty)) = (at("table_name"), at("column_name"), at("column_type"))
    else {
        return Err(Error::input(
            &dictionary,
            "lacks table_name, column_name or column_type",
            "write the output again with sprout evaluate",
        ));
    };
    let mut tables: Vec<(String, Vec<(String, ColumnKind)>)> = Vec::new();
    for row in rows.iter().skip(1) {
        let (table, column) = (&row[t], &row[c]);
        if column == SUPPRESSED_COLUMN {
            continue;
        }
        let kind = match &row[ty] {
            "integer" => ColumnKind::Integer,
            "number" => ColumnKind::Number,
            "date" => ColumnKind::Date,
            _ => ColumnKind::Text,
        };
        match tables.last_mut() {
            Some((name, columns)) if name == table => columns.push((column.to_string(), kind)),
            _ => tables.push((table.to_string(), vec![(column.to_string(), kind)])),
        }
    }
    let mut sheets = Vec::new();
    for (name, columns) in tables {
        let def = declared(&dictionary, &name, &columns)?;
        let path = folder.join("tables").join(format!("{name}.csv"));
        let rows = records(&path)?;
        let header: Vec<&str> = rows.first().map(|h| h.iter().collect()).unwrap_or_default();
        let index: Vec<usize> = columns
            .iter()
            .map(|(column, _)| {
                header.iter().position(|h| h == column).ok_or_else(|| {
                    Error::input(
                        &path,
                        format!("has no column {column}, which data_dictionary.csv lists"),
                        "write the output again with sprout evaluate",
                    )
                })
            })
            .collect::<Result<_>>()?;
        let mut cells = Vec::with_capacity(rows.len().saturating_sub(1));
        for (line, record) in rows.iter().enumerate().skip(1) {
            let row = columns
                .iter()
                .zip(&index)
                .map(|((column, kind), &i)| {
                    let text = record.get(i).unwrap_or_default();
                    parse(text, *kind).ok_or_else(|| {
                        Error::input(
                            &path,
                            format!(
                                "line {}, column {column}: '{text}' is not a number",
                                line + 1
                            ),
                            "write the output again with sprout evaluate",
                        )
                    })
                })
                .collect::<Result<Vec<Cell>>>()?;
            cells.push(row);
        }
        sheets.push(Sheet::new(name, def, cells));
    }
    Ok(sheets)
}

/// The declaration of table `name`, whose columns the data dictionary
/// lists as `columns`: its roles are read from the registry, so a table this
/// sprout does not publish, or publishes with other columns, is refused
/// rather than audited by guesswork.
fn declared(
    dictionary: &Path,
    name: &str,
    columns: &[(String, ColumnKind)],
) -> Result<&'static TableDef> {
    let fix =
        "audit it with the sprout version that wrote it (stamp.sprout_version in evaluation.json)";
    let def = crate::registry::find(name).ok_or_else(|| {
        Error::input(
            dictionary,
            format!("lists the table {name}, which this sprout does not publish"),
            fix,
        )
    })?;
    let same = def.columns.len() == columns.len()
        && def
            .columns
            .iter()
            .zip(columns)
            .all(|(d, (column, kind))| d.name == column && d.ty == *kind);
    if !same {
        return Err(Error::input(
            dictionary,
            format!("lists columns of {name} other than this sprout declares for it"),
            fix,
        ));
    }
    Ok(def)
}

/// A published cell from its CSV text.
fn parse(text: &str, kind: ColumnKind) -> Option<Cell> {
    Some(match (text, kind) {
        ("*", _) => Cell::Suppressed,
        ("", _) => Cell::Empty,
        (t, ColumnKind::Text | ColumnKind::Date) => Cell::Text(t.to_string()),
        (t, ColumnKind::Integer) => Cell::Int(t.parse().ok()?),
        (t, ColumnKind::Number) => Cell::Num(t.parse().ok()?),
    })
}

/// The text a page or worksheet shows, one piece per row, as the audit
/// reads it: checked like a sentence.
pub const SHOWN_TEXT: TableDef = TableDef {
    name: "shown_text",
    description: "One table cell, text alternative or worksheet cell as shown",
    queries: &[],
    columns: &[text("message", "The text as a reader sees it")],
    sums: Sums::NONE,
};

/// What a reader sees of `report.html` and `benchmarking.html`: the text of
/// every element `shown_text` reads, each as a sentence (`message`) of a
/// sheet named after the file, for [`super::words::sentences`].
pub fn pages(folder: &Path) -> Result<Vec<Sheet>> {
    let mut sheets = Vec::new();
    for page in ["report.html", "benchmarking.html"] {
        let path = folder.join(page);
        if !path.is_file() {
            continue;
        }
        let html = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, "reading", e))?;
        let rows = shown_text(&html)
            .into_iter()
            .map(|text| vec![Cell::Text(text)])
            .collect();
        sheets.push(Sheet::new(page.to_string(), &SHOWN_TEXT, rows));
    }
    Ok(sheets)
}

/// The text of every element a reader sees ([`SHOWN_ELEMENTS`]), tags
/// stripped and character references decoded.
fn shown_text(html: &str) -> Vec<String> {
    let page = without_stamp(html);
    let html = page.as_str();
    let mut out = Vec::new();
    for name in SHOWN_ELEMENTS {
        let (open, close) = (format!("<{name}"), format!("</{name}>"));
        let mut found = Vec::new();
        let mut rest = html;
        while let Some(start) = rest.find(&open) {
            let after = &rest[start + open.len()..];
            // The whole tag name (`<td` is not `<tdx`), attributes up to `>`.
            if !after.starts_with(['>', ' ', '\n']) {
                rest = after;
                continue;
            }
            let Some(tag_end) = after.find('>') else {
                break;
            };
            let body = &after[tag_end + 1..];
            let Some(end) = body.find(&close) else { break };
            found.push(decode(&strip_tags(&body[..end])));
            rest = &body[end + close.len()..];
        }
        if matches!(*name, "text" | "tspan") {
            found = without_axis_ticks(found);
        }
        out.extend(found);
    }
    out
}

/// A chart's texts without its axis tick labels: a run of three or more
/// numbers alone in their elements, equally spaced, is a scale (0, 20, 40,
/// …), not a figure; the two axes of a chart may follow each other, so a
/// run of numbers is cut where its spacing changes. A number shown alone
/// that is not part of such a run (a data label) stays, and is checked like
/// any other.
fn without_axis_ticks(texts: Vec<String>) -> Vec<String> {
    let values: Vec<Option<f64>> = texts.iter().map(|t| t.trim().parse().ok()).collect();
    let mut keep = vec![true; texts.len()];
    let mut start = 0;
    while start < texts.len() {
        let (Some(Some(first)), Some(Some(second))) = (values.get(start), values.get(start + 1))
        else {
            start += 1;
            continue;
        };
        let step = second - first;
        let mut end = start + 2;
        while let Some(Some(next)) = values.get(end) {
            let previous = values[end - 1].unwrap_or_default();
            if step == 0.0 || ((next - previous) - step).abs() > 1e-9 * step.abs().max(1.0) {
                break;
            }
            end += 1;
        }
        if end - start >= 3 && step != 0.0 {
            keep[start..end].iter_mut().for_each(|k| *k = false);
            start = end;
        } else {
            start += 1;
        }
    }
    texts
        .into_iter()
        .zip(keep)
        .filter_map(|(t, k)| k.then_some(t))
        .collect()
}

/// The page without its stamp (`<footer class="stamp">`: the sprout
/// version, the spec's path and hash, the time and the inputs' files and
/// hashes), which is the run's provenance, as the workbook's `about` sheet,
/// not figures.
fn without_stamp(html: &str) -> String {
    let mut out = String::with_capacity(html.len());
    let mut rest = html;
    while let Some(start) = rest.find("<footer class=\"stamp\"") {
        out.push_str(&rest[..start]);
        match rest[start..].find("</footer>") {
            Some(end) => rest = &rest[start + end + "</footer>".len()..],
            None => return out,
        }
    }
    out.push_str(rest);
    out
}

/// The elements whose text a reader sees: table cells and headers,
/// paragraphs, list items, captions, headings, definition terms, and a
/// chart's title, text alternative and labels.
const SHOWN_ELEMENTS: &[&str] = &[
    "td",
    "th",
    "p",
    "li",
    "caption",
    "figcaption",
    "dt",
    "h1",
    "h2",
    "h3",
    "h4",
    "title",
    "desc",
    "text",
    "tspan",
];

fn strip_tags(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut in_tag = false;
    for ch in text.chars() {
        match ch {
            '<' => in_tag = true,
            '>' => {
                in_tag = false;
                out.push(' ');
            }
            c if !in_tag => out.push(c),
            _ => {}
        }
    }
    out
}

/// `&amp;`, `&lt;`, `&gt;`, `&quot;`, `&#39;` and numeric references decoded.
fn decode(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let tail = &rest[i..];
        let Some(end) = tail.find(';').filter(|&e| e <= 10) else {
            out.push('&');
            rest = &tail[1..];
            continue;
        };
        let entity = &tail[1..end];
        let ch = match entity {
            "amp" => Some('&'),
            "lt" => Some('<'),
            "gt" => Some('>'),
            "quot" => Some('"'),
            "nbsp" => Some(' '),
            e if e.starts_with("#x") || e.starts_with("#X") => u32::from_str_radix(&e[2..], 16)
                .ok()
                .and_then(char::from_u32),
            e if e.starts_with('#') => e[1..].parse().ok().and_then(char::from_u32),
            _ => None,
        };
        match ch {
            Some(c) => {
                out.push(c);
                rest = &tail[end + 1..];
            }
            None => {
                out.push('&');
                rest = &tail[1..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// What a reader sees in `workbook.xlsx`: every cell of every sheet but
/// `about` (the stamp: hashes, version, run time) and the data dictionary
/// (sprout's own definitions of the columns, no figure of the data: its
/// "0.025" is a funnel's limit named in a description), as one sheet of
/// sentences per worksheet, numbers written as their shortest decimal.
pub fn workbook(folder: &Path) -> Result<Vec<Sheet>> {
    use calamine::Reader;
    let path = folder.join("workbook.xlsx");
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let mut book =
        calamine::open_workbook_auto(&path).map_err(|e| Error::file(&path, "reading", e))?;
    let mut sheets = Vec::new();
    for name in book.sheet_names() {
        if name == "about" || name == crate::render::workbook::DICTIONARY_SHEET {
            continue;
        }
        let range = book
            .worksheet_range(&name)
            .map_err(|e| Error::file(&path, "reading", e))?;
        let rows = range
            .rows()
            .flatten()
            .filter_map(|cell| match cell {
                calamine::Data::Float(x) => Some(format!("{x}")),
                calamine::Data::Int(n) => Some(n.to_string()),
                calamine::Data::String(s) => Some(s.clone()),
                _ => None,
            })
            .map(|text| vec![Cell::Text(text)])
            .collect();
        sheets.push(Sheet::new(
            format!("workbook.xlsx {name}"),
            &SHOWN_TEXT,
            rows,
        ));
    }
    Ok(sheets)
}

/// What a reader sees in `results.json`: every figure and setting of each
/// estimate, as one sheet of sentences, numbers written as the file writes
/// them. Its provenance (hashes, versions, the period's dates) and the
/// scheme the spec declares are not figures of the data, as the stamp's
/// are not.
pub fn results(folder: &Path) -> Result<Vec<Sheet>> {
    let path = folder.join(crate::render::results::RESULTS_FILE);
    if !path.is_file() {
        return Ok(Vec::new());
    }
    let results = crate::render::results::Results::read(&path)?;
    let mut rows = Vec::new();
    for e in &results.estimates {
        let mut shown = vec![
            e.estimate.to_string(),
            e.lower.to_string(),
            e.upper.to_string(),
        ];
        shown.extend(e.se.map(|se| se.to_string()));
        shown.push(e.n.to_string());
        shown.extend(e.settings.values().cloned());
        shown.push(e.outcome_label.clone());
        rows.extend(shown.into_iter().map(|text| vec![Cell::Text(text)]));
    }
    Ok(vec![Sheet::new(
        crate::render::results::RESULTS_FILE.to_string(),
        &SHOWN_TEXT,
        rows,
    )])
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An output folder whose dictionary lists `rows` (table, column, type).
    fn output_with(rows: &[(&str, &str, &str)]) -> tempfile::TempDir {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir(dir.path().join("tables")).unwrap();
        let mut dictionary = String::from("table_name,column_name,column_type\n");
        for (t, c, ty) in rows {
            dictionary.push_str(&format!("{t},{c},{ty}\n"));
        }
        std::fs::write(dir.path().join("tables/data_dictionary.csv"), dictionary).unwrap();
        dir
    }

    #[test]
    fn a_table_the_registry_does_not_declare_is_refused_not_guessed_at() {
        let dir = output_with(&[("mystery", "referrals", "integer")]);
        std::fs::write(dir.path().join("tables/mystery.csv"), "referrals\n3\n").unwrap();
        let e = tables(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("lists the table mystery, which this sprout does not publish"),
            "{e}"
        );
    }

    #[test]
    fn a_table_published_with_other_columns_is_refused() {
        let dir = output_with(&[
            ("link_worker_caseload", "link_worker_id", "text"),
            ("link_worker_caseload", "accepted", "number"),
        ]);
        let e = tables(dir.path()).unwrap_err().to_string();
        assert!(
            e.contains("lists columns of link_worker_caseload other than this sprout declares"),
            "{e}"
        );
    }

    #[test]
    fn table_cells_and_text_alternatives_are_read_as_shown() {
        let html = "<table><tr><td class=\"n\">2024&#x2f;25 <b>Q1</b></td><td>1,234</td></tr></table>\
                    <svg><desc>Bars: A &amp; B 15.2%</desc><text>100</text></svg><tdx>9</tdx>";
        let text: Vec<String> = shown_text(html)
            .iter()
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        assert_eq!(text, ["2024/25 Q1", "1,234", "Bars: A & B 15.2%", "100"]);
    }

    #[test]
    fn axis_ticks_are_a_scale_but_a_lone_number_is_a_figure() {
        let svg = "<svg><title>Referrals</title><text>0.0</text><text>20.0</text>\
                   <text>40.0</text><text>60.0</text><text>0</text><text>50</text>\
                   <text>100</text><text>Referrals</text><text>37</text>\
                   <text>12</text><text>14</text></svg>";
        let text = shown_text(svg);
        assert_eq!(text, ["Referrals", "Referrals", "37", "12", "14"]);
    }

    #[test]
    fn running_prose_headings_and_captions_are_read() {
        let html = "<h2>About 855 referrals</h2><p class=\"lead\">Only 21 of\n693 <b>matched</b>.</p>\
                    <ul><li>3 new groups</li></ul><table><caption>Q3: 165 referred</caption></table>";
        let text: Vec<String> = shown_text(html)
            .iter()
            .map(|t| t.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        for shown in [
            "About 855 referrals",
            "Only 21 of 693 matched .",
            "3 new groups",
            "Q3: 165 referred",
        ] {
            assert!(text.iter().any(|t| t == shown), "{shown}: {text:?}");
        }
    }
}
