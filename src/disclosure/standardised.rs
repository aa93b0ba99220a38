//! Standardised referral ratios as published: each unit's expected referrals
//! worked out again from the reference rates as `referral_strata` publishes
//! them, and its ratio and limits from its published referrals over those.
//!
//! From the exact stratum counts, the expected referrals of many practices
//! (with their lists, which NHS England publishes by age and sex) would give
//! the strata's exact counts away. From the published rates they give away
//! nothing the strata table does not show. A stratum whose referrals or list
//! are withheld takes the rate of every withheld stratum together: the `all`
//! row's referrals less those shown, over its list less those shown, all as
//! published.

use super::{Cell, Policy, PublishedTable, formula};
use crate::measures::standardised::{STRATUM_BREAKDOWN, Standardisation};
use crate::measures::table::Protection;

/// Each reference stratum's rate as published (`None` when even the
/// scheme's referrals or list are withheld); a supplied reference's rates as
/// they are (they are not the scheme's).
pub fn published_rates(s: &Standardisation, strata: &PublishedTable) -> Option<Vec<f64>> {
    if s.supplied.is_some() {
        return Some(s.reference.rates());
    }
    let mut shown = std::collections::BTreeMap::new();
    let (mut total, mut shown_referrals, mut shown_list) = (None, 0.0, 0.0);
    for r in 0..strata.rows.len() {
        let x = strata.cell(r, "referrals").number();
        let n = strata.cell(r, "population").number();
        if strata.text(r, "breakdown") == "all" {
            total = x.zip(n);
            continue;
        }
        if strata.text(r, "breakdown") != STRATUM_BREAKDOWN {
            continue;
        }
        shown_referrals += x.unwrap_or(0.0);
        if let (Some(x), Some(n)) = (x, n) {
            shown_list += n;
            let key = (
                strata.text(r, "age_band").to_string(),
                strata.text(r, "sex").to_string(),
                strata.text(r, "imd_quintile").to_string(),
            );
            shown.insert(key, (x, n));
        }
    }
    let (all_referrals, all_list) = total?;
    let rest_list = all_list - shown_list;
    let rest_rate = if rest_list > 0.0 {
        (all_referrals - shown_referrals).max(0.0) / rest_list
    } else {
        0.0
    };
    Some(
        s.reference
            .strata
            .iter()
            .map(|k| match shown.get(k) {
                Some(&(x, n)) if n > 0.0 => x / n,
                _ => rest_rate,
            })
            .collect(),
    )
}

/// Rewrite `standardised_ratios` among `published`: expected referrals from
/// the published reference rates, and the ratio and its limits from the
/// published referrals over them (`policy` none: left exact).
pub fn publish(s: &Standardisation, published: &mut [PublishedTable], policy: Policy) {
    if policy == Policy::None {
        return;
    }
    let rates = published
        .iter()
        .find(|t| t.name() == "referral_strata")
        .and_then(|t| published_rates(s, t));
    let Some(table) = published
        .iter_mut()
        .find(|t| t.name() == "standardised_ratios")
    else {
        return;
    };
    let Some(expected) = table.column("expected") else {
        return;
    };
    for r in 0..table.rows.len() {
        let unit = s.units.iter().find(|u| {
            u.breakdown == table.text(r, "breakdown") && u.group == table.text(r, "group")
        });
        let e = match (unit, &rates) {
            (Some(u), Some(rates)) => Some(s.reference.expected_at(u, rates)),
            _ => None,
        };
        table.rows[r][expected] = e
            .filter(|e| e.is_finite() && *e > 0.0)
            .map_or(Cell::Empty, Cell::Num);
        for (c, role) in table.roles.iter().enumerate() {
            if !matches!(
                role,
                Protection::Quotient { .. } | Protection::PoissonBound { .. }
            ) || matches!(table.rows[r][c], Cell::Suppressed)
            {
                continue;
            }
            table.rows[r][c] = formula(role, &table.rows[r])
                .filter(|x| x.is_finite())
                .map_or(Cell::Empty, Cell::Num);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::disclosure::publish_all;
    use crate::measures::standardised::{Row, from_rows, tables};

    fn row(level: &str, unit: &str, age: &str, x: f64, n: f64) -> Row {
        Row {
            level: level.to_string(),
            unit: unit.to_string(),
            stratum: (age.to_string(), "female".to_string(), "2".to_string()),
            referrals: x,
            population: Some(n),
        }
    }

    /// Two practices, two PCNs, two strata: 13 young and 24 old referrals
    /// (37 in all, published 15, 25 and 35).
    fn sample() -> Vec<Row> {
        vec![
            row("practice", "A", "18-24", 6.0, 300.0),
            row("practice", "A", "65-74", 10.0, 500.0),
            row("practice", "B", "18-24", 7.0, 200.0),
            row("practice", "B", "65-74", 14.0, 1500.0),
            row("pcn", "P1", "18-24", 6.0, 300.0),
            row("pcn", "P1", "65-74", 10.0, 500.0),
            row("pcn", "P2", "18-24", 7.0, 200.0),
            row("pcn", "P2", "65-74", 14.0, 1500.0),
        ]
    }

    fn published(s: &Standardisation, policy: Policy) -> Vec<PublishedTable> {
        let mut out = publish_all(&tables(s).unwrap(), policy);
        publish(s, &mut out, policy);
        out
    }

    fn column(t: &PublishedTable, name: &str) -> Vec<Option<f64>> {
        (0..t.rows.len())
            .map(|r| t.cell(r, name).number())
            .collect()
    }

    #[test]
    fn expected_referrals_do_not_add_up_to_the_exact_total() {
        let s = from_rows("2024/25", &sample(), &Default::default());
        // Exact: the PCNs' expected referrals add up to the scheme's exact
        // 37, which the strata table shows only as 35.
        let exact: f64 = s
            .units
            .iter()
            .filter(|u| u.breakdown == "pcn_code")
            .map(|u| s.reference.expected(u))
            .sum();
        assert!((exact - 37.0).abs() < 1e-9);
        let out = published(&s, Policy::NhsDigital);
        let ratios = &out[1];
        let expected = column(ratios, "expected");
        let pcns: f64 = (0..ratios.rows.len())
            .filter(|&r| ratios.text(r, "breakdown") == "pcn_code")
            .filter_map(|r| expected[r])
            .sum();
        // As published: the strata's published 15 and 25 at their lists.
        assert!((pcns - 40.0).abs() < 1e-9, "{pcns}");
        // Practice A: 300 × 15/500 + 500 × 25/2000.
        assert!((expected[0].unwrap() - (9.0 + 6.25)).abs() < 1e-9);
        // Its ratio and limits are its published 15 over that.
        let observed = column(ratios, "observed");
        assert_eq!(observed[0], Some(15.0));
        let ratio = column(ratios, "ratio")[0].unwrap();
        assert!((ratio - 15.0 / 15.25).abs() < 1e-12);
        let (_, upper) = crate::stats::poisson::poisson_interval(15.0, 0.998);
        assert!((column(ratios, "upper998")[0].unwrap() - upper / 15.25).abs() < 1e-12);
    }

    #[test]
    fn withheld_strata_share_the_rate_left_over_by_the_shown_ones() {
        // A third stratum of 3 referrals among 100 registered is withheld
        // (with its secondary partner, the 7 young referrals of B).
        let mut rows = sample();
        rows.push(row("practice", "B", "85+", 3.0, 100.0));
        rows.push(row("pcn", "P2", "85+", 3.0, 100.0));
        let s = from_rows("2024/25", &rows, &Default::default());
        let out = published(&s, Policy::NhsDigital);
        let strata = &out[0];
        let shown: Vec<Option<f64>> = column(strata, "referrals");
        let rates = published_rates(&s, strata).unwrap();
        let list = [500.0, 2000.0, 100.0];
        let all = shown[0].unwrap();
        let (mut kept, mut kept_list) = (0.0, 0.0);
        for (i, stratum) in shown[1..].iter().enumerate() {
            if let Some(x) = stratum {
                assert!((rates[i] - x / list[i]).abs() < 1e-12);
                kept += x;
                kept_list += list[i];
            }
        }
        let rest = (all - kept) / (2600.0 - kept_list);
        assert!(shown[1..].iter().any(Option::is_none));
        for (i, stratum) in shown[1..].iter().enumerate() {
            if stratum.is_none() {
                assert!((rates[i] - rest).abs() < 1e-12, "{rates:?}");
            }
        }
        // Policy none: the exact figures.
        let exact = published(&s, Policy::None);
        assert!(
            (column(&exact[1], "expected")[0].unwrap() - s.reference.expected(&s.units[0])).abs()
                < 1e-12
        );
    }

    #[test]
    fn supplied_rates_are_published_as_they_are() {
        use crate::measures::standardised::StandardisationOptions;
        use crate::measures::standardised::reference::ReferenceRates;
        let supplied = ReferenceRates::parse(
            "age_band,sex,referrals,population\n18-24,female,30,1000\n65-74,female,10,1000\n",
        )
        .unwrap();
        let s = from_rows(
            "2024/25",
            &sample(),
            &StandardisationOptions {
                by_deprivation: false,
                reference: Some(supplied),
            },
        );
        let out = published(&s, Policy::NhsDigital);
        // Practice A: 300 × 30/1000 + 500 × 10/1000 = 14, not worked out from
        // the scheme's published strata.
        assert!((column(&out[1], "expected")[0].unwrap() - 14.0).abs() < 1e-12);
    }
}
