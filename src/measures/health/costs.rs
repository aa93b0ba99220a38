//! Unit costs per setting, read from a TOML file the user supplies with their
//! source and price year, so any costed figure says where its prices came from.
//!
//! ```toml
//! source = "Unit Costs of Health and Social Care 2024 (PSSRU), table 9.1"
//! price_year = "2023/24"
//!
//! [unit_costs]            # pounds per event; settings left out are not costed
//! gp_appointment = 49
//! ae_attendance = 210
//! ```

use std::path::Path;

use serde::Deserialize;

use super::cohort::SETTINGS;
use crate::error::{Error, Result};
use crate::model::codes::HEALTH_SETTING;

/// Unit costs with their provenance.
#[derive(Debug, Clone, PartialEq)]
pub struct UnitCosts {
    /// Where the prices come from.
    pub source: String,
    /// The year the prices are for.
    pub price_year: String,
    /// Cost per event of each setting (None: not costed).
    pub costs: [Option<f64>; SETTINGS],
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    source: String,
    price_year: String,
    unit_costs: std::collections::BTreeMap<String, f64>,
}

impl UnitCosts {
    /// Read and check a unit-cost file.
    pub fn read(path: &Path) -> Result<UnitCosts> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, "reading", e))?;
        UnitCosts::parse(&text).map_err(|problem| Error::Config {
            path: path.to_path_buf(),
            problem,
        })
    }

    /// Parse the TOML text of a unit-cost file.
    pub fn parse(text: &str) -> std::result::Result<UnitCosts, String> {
        let file: File = toml::from_str(text).map_err(|e| {
            format!("{e}\n  fix: give source = \"…\", price_year = \"…\" and a [unit_costs] table of setting = cost")
        })?;
        let mut costs = [None; SETTINGS];
        for (setting, cost) in file.unit_costs {
            let Some(s) = HEALTH_SETTING.codes.iter().position(|c| c.code == setting) else {
                let known: Vec<&str> = HEALTH_SETTING.codes.iter().map(|c| c.code).collect();
                return Err(format!(
                    "unknown setting '{setting}' in [unit_costs]\n  fix: use one of {}",
                    known.join(", ")
                ));
            };
            if !(cost.is_finite() && cost >= 0.0) {
                return Err(format!(
                    "the unit cost of {setting} is {cost}\n  fix: give a cost of zero or more"
                ));
            }
            costs[s] = Some(cost);
        }
        if file.source.trim().is_empty() || file.price_year.trim().is_empty() {
            return Err("source and price_year must not be empty\n  fix: say where the unit costs come from and the year of their prices".into());
        }
        Ok(UnitCosts {
            source: file.source,
            price_year: file.price_year,
            costs,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_are_read_with_their_source() {
        let c = UnitCosts::parse(
            "source = \"PSSRU 2024\"\nprice_year = \"2023/24\"\n[unit_costs]\ngp_appointment = 49\nae_attendance = 210.5\n",
        )
        .unwrap();
        assert_eq!(c.costs, [Some(49.0), Some(210.5), None, None]);
        assert_eq!(c.price_year, "2023/24");
    }

    #[test]
    fn mistakes_name_the_fix() {
        let unknown =
            UnitCosts::parse("source = \"x\"\nprice_year = \"y\"\n[unit_costs]\ngp = 1\n");
        assert!(unknown.unwrap_err().contains("gp_appointment"));
        let negative =
            UnitCosts::parse("source = \"x\"\nprice_year = \"y\"\n[unit_costs]\noutpatient = -5\n");
        assert!(negative.unwrap_err().contains("zero or more"));
        assert!(
            UnitCosts::parse("[unit_costs]\noutpatient = 5\n")
                .unwrap_err()
                .contains("fix")
        );
    }
}
