//! Reference rates supplied by the user: referrals and population by age
//! band and sex (optionally IMD quintile) of a reference population, such as
//! England's, for standardised referral ratios against it rather than
//! against the scheme's own rates.
//!
//! ```text
//! age_band,sex,imd_quintile,referrals,population
//! 18-24,female,1,1520,61240
//! 18-24,female,2,1311,58770
//! ```
//!
//! `imd_quintile` may be left out (rates by age band and sex only); age bands
//! and sexes are the canonical codes (or their labels and aliases, as in the
//! extracts). A file with IMD quintiles serves ratios by age band and sex too
//! (its quintiles added up).

use std::collections::BTreeMap;
use std::path::Path;

use super::{ALL, StratumKey};
use crate::error::{Error, Result};
use crate::model::codes::{AGE_BAND, SEX};

/// A reference population's referrals and population by stratum.
#[derive(Debug, Clone, PartialEq)]
pub struct ReferenceRates {
    /// The file as named (in the spec or on the command line) and the start
    /// of its SHA-256, for the methods.
    pub source: String,
    /// Referrals and population in each stratum (IMD quintile [`ALL`] when
    /// the file has none).
    pub strata: BTreeMap<StratumKey, (f64, f64)>,
    /// Whether the file gives IMD quintiles.
    pub by_deprivation: bool,
}

impl ReferenceRates {
    /// Read and check a reference-rates file; `named` is how the user named
    /// it (written into the outputs instead of a local path).
    pub fn read(path: &Path, named: &str) -> Result<ReferenceRates> {
        let bytes = std::fs::read(path).map_err(|e| Error::io(path, "reading", e))?;
        let digest = crate::ingest::sha256_hex(&bytes);
        let text = String::from_utf8(bytes).map_err(|_| {
            Error::config(
                path,
                "not UTF-8 text\n  fix: save the reference rates as a UTF-8 CSV file",
            )
        })?;
        let mut rates = ReferenceRates::parse(&text).map_err(|p| Error::config(path, p))?;
        rates.source = format!("{named} (sha256 {})", &digest[..12]);
        Ok(rates)
    }

    /// Parse the CSV text of a reference-rates file (its source left empty).
    pub fn parse(text: &str) -> std::result::Result<ReferenceRates, String> {
        let text = text.strip_prefix('\u{feff}').unwrap_or(text);
        let mut reader = csv::ReaderBuilder::new()
            .trim(csv::Trim::All)
            .from_reader(text.as_bytes());
        let headers = reader
            .headers()
            .map_err(|e| format!("{e}\n  fix: give a header row"))?
            .clone();
        let column = |name: &str| headers.iter().position(|h| h.eq_ignore_ascii_case(name));
        let required = ["age_band", "sex", "referrals", "population"];
        let missing: Vec<&str> = required
            .into_iter()
            .filter(|c| column(c).is_none())
            .collect();
        if !missing.is_empty() {
            return Err(format!(
                "line 1: no column {}\n  fix: give the columns age_band, sex, referrals and population (and imd_quintile to standardise by deprivation)",
                missing.join(", ")
            ));
        }
        let at = |name: &str| column(name).unwrap_or_default();
        let imd = column("imd_quintile");
        let mut strata: BTreeMap<StratumKey, (f64, f64)> = BTreeMap::new();
        for (i, record) in reader.records().enumerate() {
            let line = i + 2;
            let record = record.map_err(|e| format!("line {line}: {e}"))?;
            let field = |c: usize| record.get(c).unwrap_or("");
            let where_ = |c: usize| format!("line {line}, column {} ({})", c + 1, &headers[c]);
            let age = AGE_BAND.resolve(field(at("age_band"))).ok_or_else(|| {
                format!(
                    "{}: '{}' is not an age band\n  fix: use one of {}",
                    where_(at("age_band")),
                    field(at("age_band")),
                    AGE_BAND.allowed()
                )
            })?;
            let sex = SEX.resolve(field(at("sex"))).ok_or_else(|| {
                format!(
                    "{}: '{}' is not a sex code\n  fix: use one of {}",
                    where_(at("sex")),
                    field(at("sex")),
                    SEX.allowed()
                )
            })?;
            let quintile = match imd {
                Some(c) => match field(c).parse::<u8>() {
                    Ok(q) if (1..=5).contains(&q) => q.to_string(),
                    _ => {
                        return Err(format!(
                            "{}: '{}' is not an IMD quintile\n  fix: give 1 (most deprived) to 5 on every row, or leave the column out",
                            where_(c),
                            field(c)
                        ));
                    }
                },
                None => ALL.to_string(),
            };
            let number = |name: &str| -> std::result::Result<f64, String> {
                let c = at(name);
                field(c)
                    .replace(',', "")
                    .parse::<f64>()
                    .ok()
                    .filter(|x| x.is_finite() && *x >= 0.0)
                    .ok_or_else(|| {
                        format!(
                            "{}: '{}' is not a count of zero or more\n  fix: give a whole number",
                            where_(c),
                            field(c)
                        )
                    })
            };
            let (referrals, population) = (number("referrals")?, number("population")?);
            let key = (age.to_string(), sex.to_string(), quintile);
            if strata.insert(key, (referrals, population)).is_some() {
                return Err(format!(
                    "line {line}: a second row for age band {age}, sex {sex}{}\n  fix: give each stratum once",
                    imd.map_or(String::new(), |c| format!(", IMD quintile {}", field(c)))
                ));
            }
        }
        if strata.values().all(|(_, n)| *n <= 0.0) {
            return Err(
                "no population in any row\n  fix: give each stratum's referrals and population"
                    .into(),
            );
        }
        Ok(ReferenceRates {
            source: String::new(),
            strata,
            by_deprivation: imd.is_some(),
        })
    }

    /// Referrals and population in `key`, by deprivation or not (a file with
    /// quintiles added up over them); `None` where the file has no such
    /// stratum.
    pub fn stratum(&self, key: &StratumKey) -> Option<(f64, f64)> {
        if key.2 != ALL || !self.by_deprivation {
            return self.strata.get(key).copied();
        }
        let rows: Vec<(f64, f64)> = self
            .strata
            .iter()
            .filter(|(k, _)| k.0 == key.0 && k.1 == key.1)
            .map(|(_, v)| *v)
            .collect();
        (!rows.is_empty()).then(|| {
            rows.iter()
                .fold((0.0, 0.0), |(x, n), (a, b)| (x + a, n + b))
        })
    }

    /// The whole reference's referrals and population.
    pub fn overall(&self) -> (f64, f64) {
        self.strata
            .values()
            .fold((0.0, 0.0), |(x, n), (a, b)| (x + a, n + b))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_are_read_by_stratum_and_add_up_over_quintiles() {
        let r = ReferenceRates::parse(
            "\u{feff}age_band,sex,imd_quintile,referrals,population\n18-24,F,1,\"1,520\",61240\n18-24,female,2,1311,58770\n85+,male,1,40,900\n",
        )
        .unwrap();
        assert!(r.by_deprivation);
        let young = |q: &str| ("18-24".to_string(), "female".to_string(), q.to_string());
        assert_eq!(r.stratum(&young("1")), Some((1520.0, 61240.0)));
        assert_eq!(r.stratum(&young(ALL)), Some((2831.0, 120_010.0)));
        assert_eq!(r.stratum(&young("3")), None);
        assert_eq!(r.overall(), (2871.0, 120_910.0));
    }

    #[test]
    fn mistakes_name_the_line_the_column_and_the_fix() {
        let bad_sex = ReferenceRates::parse("age_band,sex,referrals,population\n18-24,X,1,2\n");
        assert_eq!(
            bad_sex.unwrap_err().lines().next().unwrap(),
            "line 2, column 2 (sex): 'X' is not a sex code"
        );
        let missing = ReferenceRates::parse("age_band,referrals\n").unwrap_err();
        assert!(
            missing.starts_with("line 1: no column sex, population"),
            "{missing}"
        );
        let negative =
            ReferenceRates::parse("age_band,sex,referrals,population\n18-24,male,-1,2\n");
        assert!(
            negative
                .unwrap_err()
                .contains("line 2, column 3 (referrals)")
        );
        let twice = ReferenceRates::parse(
            "age_band,sex,referrals,population\n18-24,male,1,2\n18-24,M,3,4\n",
        );
        assert!(
            twice
                .unwrap_err()
                .contains("a second row for age band 18-24, sex male")
        );
        let quintile = ReferenceRates::parse(
            "age_band,sex,imd_quintile,referrals,population\n18-24,male,6,1,2\n",
        );
        assert!(quintile.unwrap_err().contains("is not an IMD quintile"));
    }
}
