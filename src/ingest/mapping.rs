//! Mapping files: how a differently shaped extract maps onto the canonical tables.
//!
//! A mapping is TOML with one `[[source]]` entry per extract file:
//!
//! ```toml
//! [[source]]
//! file = "referrals_export*.csv"   # file name; one `*` wildcard allowed
//! table = "referrals"
//! delimiter = ";"                  # optional: detected when absent (",", ";", tab, "|")
//! has_header = true                # optional: detected when absent
//! sheet = "Referrals"              # Excel only: default the first sheet
//! date_format = "%d/%m/%Y"         # optional: ISO 8601 is always accepted too
//!
//! [source.columns]                 # canonical column = source column header
//! referral_id = "Ref No"
//! person_id = "Client ID"
//!
//! [source.codes.referral_source]   # source value = canonical code
//! "GP Surgery" = "general_practice"
//!
//! [source.constants]               # canonical column = value for every row
//! scheme = "Riverside"
//! ```
//!
//! Files with no entry are read as canonical: the file stem names the table
//! (`people.csv`) and the headers are the canonical column names.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::error::{Error, Result};
use crate::model::{self, Check, Origin, Table};

/// A parsed, checked mapping file.
#[derive(Debug, Default, Clone)]
pub struct Mapping {
    /// Where it came from (for messages).
    pub path: Option<PathBuf>,
    /// One entry per source file pattern.
    pub sources: Vec<SourceMapping>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct MappingFile {
    #[serde(default)]
    source: Vec<SourceMapping>,
}

/// How one extract file maps onto one canonical table.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SourceMapping {
    /// File name the entry applies to (one `*` wildcard allowed).
    pub file: String,
    /// Canonical table.
    pub table: String,
    /// Field delimiter: one character, or "tab".
    pub delimiter: Option<String>,
    /// Whether the first row is a header.
    pub has_header: Option<bool>,
    /// Excel sheet name.
    pub sheet: Option<String>,
    /// chrono date format tried after ISO 8601.
    pub date_format: Option<String>,
    /// Canonical column → source header.
    #[serde(default)]
    pub columns: BTreeMap<String, String>,
    /// Canonical column → (source value → canonical code).
    #[serde(default)]
    pub codes: BTreeMap<String, BTreeMap<String, String>>,
    /// Canonical column → value used for every row.
    #[serde(default)]
    pub constants: BTreeMap<String, String>,
}

impl Mapping {
    /// Read and check a mapping file.
    pub fn load(path: &Path) -> Result<Self> {
        let text =
            std::fs::read_to_string(path).map_err(|e| Error::io(path, "reading the mapping", e))?;
        let file: MappingFile =
            toml::from_str(&text).map_err(|e| Error::config(path, e.to_string()))?;
        for s in &file.source {
            s.check().map_err(|problem| Error::config(path, problem))?;
        }
        Ok(Mapping {
            path: Some(path.to_path_buf()),
            sources: file.source,
        })
    }

    /// The entry for a file name, if any.
    pub fn for_file(&self, file_name: &str) -> Option<&SourceMapping> {
        self.sources
            .iter()
            .find(|s| matches_pattern(&s.file, file_name))
    }
}

impl SourceMapping {
    /// The canonical entry for a file whose stem names its table.
    pub fn canonical(table: &Table) -> Self {
        SourceMapping {
            table: table.name.to_string(),
            ..SourceMapping::default()
        }
    }

    /// The canonical table this entry maps onto.
    pub fn target(&self) -> &'static Table {
        model::table(&self.table).unwrap_or(&model::TABLES[0])
    }

    /// The delimiter byte, if one is set.
    pub fn delimiter_byte(&self) -> Option<u8> {
        self.delimiter.as_deref().map(|d| match d {
            "tab" | "\\t" | "\t" => b'\t',
            other => other.as_bytes()[0],
        })
    }

    fn check(&self) -> std::result::Result<(), String> {
        let entry = format!("[[source]] file = \"{}\"", self.file);
        let table = model::table(&self.table)
            .filter(|t| t.origin == Origin::Extract)
            .ok_or_else(|| {
                let names: Vec<_> = model::TABLES
                    .iter()
                    .filter(|t| t.origin == Origin::Extract)
                    .map(|t| t.name)
                    .collect();
                format!(
                    "{entry}: unknown table '{}'; tables are: {}",
                    self.table,
                    names.join(", ")
                )
            })?;
        if self.file.matches('*').count() > 1 {
            return Err(format!("{entry}: use at most one '*' in file"));
        }
        if let Some(d) = &self.delimiter
            && !(d == "tab" || d == "\\t" || d.len() == 1)
        {
            return Err(format!(
                "{entry}: delimiter must be one character or \"tab\", not '{d}'"
            ));
        }
        let unknown = |name: &String| table.column(name).is_none();
        for name in self
            .columns
            .keys()
            .chain(self.codes.keys())
            .chain(self.constants.keys())
        {
            if unknown(name) {
                let names: Vec<_> = table.columns.iter().map(|c| c.name).collect();
                return Err(format!(
                    "{entry}: table {} has no column '{name}'; its columns are: {}",
                    table.name,
                    names.join(", ")
                ));
            }
        }
        for (name, map) in &self.codes {
            let list = match table.column(name).map(|c| c.check) {
                Some(Check::Code(list) | Check::Codes(list)) => list,
                _ => {
                    return Err(format!(
                        "{entry}: column '{name}' is not coded; remove [source.codes.{name}]"
                    ));
                }
            };
            for (from, to) in map {
                if list.resolve(to).is_none() {
                    return Err(format!(
                        "{entry}: codes.{name} maps '{from}' to '{to}', which is not a {} code; allowed: {}",
                        list.name,
                        list.allowed()
                    ));
                }
            }
        }
        Ok(())
    }
}

/// Whether `name` matches `pattern` (exact, or with one `*` wildcard), ignoring case.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let (p, n) = (pattern.to_ascii_lowercase(), name.to_ascii_lowercase());
    match p.split_once('*') {
        None => p == n,
        Some((head, tail)) => {
            n.len() >= head.len() + tail.len() && n.starts_with(head) && n.ends_with(tail)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Mapping> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("mapping.toml");
        std::fs::write(&path, text).unwrap();
        Mapping::load(&path)
    }

    #[test]
    fn patterns_match_names_with_one_wildcard() {
        assert!(matches_pattern("referrals_*.csv", "Referrals_2025-03.csv"));
        assert!(matches_pattern("export.csv", "EXPORT.CSV"));
        assert!(!matches_pattern("referrals_*.csv", "referrals.csv"));
    }

    #[test]
    fn a_good_mapping_loads() {
        let m = parse(
            r#"
            [[source]]
            file = "casebook_*.csv"
            table = "referrals"
            delimiter = ";"
            date_format = "%d/%m/%Y"
            [source.columns]
            referral_id = "Ref"
            [source.codes.referral_source]
            "GP Surgery" = "general_practice"
            [source.constants]
            scheme = "Riverside"
            "#,
        )
        .unwrap();
        let s = m.for_file("casebook_q1.csv").unwrap();
        assert_eq!(s.delimiter_byte(), Some(b';'));
        assert_eq!(s.target().name, "referrals");
    }

    #[test]
    fn mistakes_are_named() {
        let unknown_table =
            parse("[[source]]\nfile = \"a.csv\"\ntable = \"refferals\"\n").unwrap_err();
        assert!(
            unknown_table
                .to_string()
                .contains("unknown table 'refferals'")
        );
        let bad_column = parse(
            "[[source]]\nfile = \"a.csv\"\ntable = \"people\"\n[source.columns]\nage = \"Age\"\n",
        )
        .unwrap_err();
        assert!(bad_column.to_string().contains("no column 'age'"));
        let bad_code = parse(
            "[[source]]\nfile = \"a.csv\"\ntable = \"people\"\n[source.codes.sex]\n\"W\" = \"woman\"\n",
        )
        .unwrap_err();
        assert!(bad_code.to_string().contains("not a sex code"));
        let toml_error = parse("[[source]\n").unwrap_err();
        assert!(toml_error.to_string().contains("line 1"), "{toml_error}");
    }
}
