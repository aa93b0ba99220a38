//! `sprout schema`: the canonical tables written out from their definitions.
//!
//! A value longer than its column's limit ([`super::Column::max_chars`]), or
//! holding more line breaks than it allows ([`super::Column::max_line_breaks`]),
//! is quarantined.

use super::{Check, Origin, Storage, Table};

/// Every column of `tables` as aligned text, with allowed codes.
pub fn text(tables: &[&Table]) -> String {
    let mut out = String::new();
    for t in tables {
        let origin = match t.origin {
            Origin::Extract => "",
            Origin::Derived => " (written by sprout)",
            Origin::Lookup => " (from an official lookup file)",
        };
        out.push_str(&format!("{}{origin}\n  {}\n", t.name, t.description));
        let width = t.columns.iter().map(|c| c.name.len()).max().unwrap_or(0);
        for c in t.columns {
            let mut ty = format!("{:?}", c.ty).to_lowercase();
            if ty == "yearmonth" {
                ty = "year-month".to_string();
            }
            let need = match (c.required, c.storage) {
                (_, Storage::InputOnly) => "input only",
                (true, _) => "required",
                (false, _) => "optional",
            };
            out.push_str(&format!(
                "  {:width$}  {ty:<10} {need:<10} {}",
                c.name, c.description
            ));
            match c.check {
                Check::Code(list) | Check::Codes(list) => {
                    let codes: Vec<String> = list
                        .codes
                        .iter()
                        .map(|code| {
                            if code.code == code.label {
                                code.code.to_string()
                            } else {
                                format!("{} ({})", code.code, code.label)
                            }
                        })
                        .collect();
                    out.push_str(&format!("\n  {:width$}  allowed: {}", "", codes.join(", ")));
                }
                Check::Range(lo, hi) => out.push_str(&format!(" [{lo} to {hi}]")),
                Check::Lsoa => out.push_str(" [E01/W01/S01 and 6 digits]"),
                Check::Practice => out.push_str(" [a capital letter and 5 digits]"),
                Check::Pcn => out.push_str(" [U and 5 digits]"),
                Check::None => {}
            }
            if c.is_free_text() {
                let lines = match c.max_line_breaks() {
                    0 => "one line".to_string(),
                    n => format!("up to {} lines", n + 1),
                };
                out.push_str(&format!(" [{lines}, at most {} characters]", c.max_chars()));
            }
            out.push('\n');
        }
        if !t.unique.is_empty() {
            out.push_str(&format!("  unique: {}\n", t.unique.join(", ")));
        }
        for r in t.references {
            out.push_str(&format!("  {} must exist in {}\n", r.column, r.table));
        }
        out.push('\n');
    }
    out
}

/// The tables as JSON, codes included.
pub fn json(tables: &[&Table]) -> String {
    #[derive(serde::Serialize)]
    struct Listing<'a> {
        schema_version: u32,
        tables: &'a [&'a Table],
        code_lists: Vec<&'static super::codes::CodeList>,
    }
    let mut lists: Vec<&'static super::codes::CodeList> = Vec::new();
    for t in tables {
        for c in t.columns {
            if let Check::Code(l) | Check::Codes(l) = c.check
                && !lists.iter().any(|x| x.name == l.name)
            {
                lists.push(l);
            }
        }
    }
    let listing = Listing {
        schema_version: super::SCHEMA_VERSION,
        tables,
        code_lists: lists,
    };
    serde_json::to_string_pretty(&listing).unwrap_or_default()
}
