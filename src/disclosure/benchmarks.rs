//! Funnel plots and SPC charts as published: computed again from the
//! published counts.
//!
//! A funnel's pooled value, limits and flags, and an SPC chart's centre line,
//! limits and signals, are worked out from every unit's or month's counts, so
//! computed from exact counts they would reveal what rounding and suppression
//! hide (a centre line × 12 is the year's exact total) and disagree with the
//! rounded points drawn beside them. Here every input is first published (a
//! count rounded, or withheld), the funnel or chart is computed from those
//! values, and a withheld unit is left out of the funnel and shown as `*`; a
//! chart with a withheld month shows its other months but no centre line,
//! limits or signals. The per-PCN funnels of reliable improvement take their
//! counts from `wellbeing_change` as published, so a cell suppressed there is
//! suppressed in the funnel too; the funnel of standardised referral ratios
//! takes its observed and expected referrals from `standardised_ratios` as
//! published ([`super::standardised`]).

use super::{Cell, Policy, PublishedTable, cells, rules};
use crate::error::Result;
use crate::measures::benchmark::{
    self, Benchmarks, FunnelMeasure, FunnelUnit, REFERRAL_RATIO_FUNNEL, SpcInput, SpcResult,
    compute_funnel,
};

/// A count as published: rounded, or `None` when it is withheld.
fn count(n: f64, policy: Policy) -> Option<f64> {
    (!policy.is_small(n)).then(|| policy.round(n))
}

/// The benchmarks computed again from published counts (`policy` none: as
/// they are), among them `wellbeing_change` (reliable improvement) and
/// `standardised_ratios` (observed and expected referrals) as published.
pub fn publish(b: &Benchmarks, policy: Policy, published: &[PublishedTable]) -> Benchmarks {
    if policy == Policy::None {
        return b.clone();
    }
    let table = |name: &str| published.iter().find(|t| t.name() == name);
    let (change, ratios) = (table("wellbeing_change"), table("standardised_ratios"));
    let funnels = b
        .funnels
        .iter()
        .map(|f| {
            let units = f
                .measure
                .units
                .iter()
                .map(|u| published_unit(&f.measure, u, change, ratios, policy))
                .collect();
            let measure = FunnelMeasure {
                units,
                ..f.measure.clone()
            };
            compute_funnel(measure, b.adjustment)
        })
        .collect();
    let spc = b.spc.iter().map(|s| published_chart(s, policy)).collect();
    Benchmarks {
        funnels,
        spc,
        adjustment: b.adjustment,
    }
}

/// A funnel unit with its counts as published.
fn published_unit(
    measure: &FunnelMeasure,
    u: &FunnelUnit,
    change: Option<&PublishedTable>,
    ratios: Option<&PublishedTable>,
    policy: Policy,
) -> FunnelUnit {
    let score = measure.name.strip_prefix("reliably_improved_");
    let standardised = measure.name == REFERRAL_RATIO_FUNNEL;
    let cells = match (score, change) {
        _ if standardised => ratios.and_then(|t| {
            t.rows_where(&[("breakdown", "pcn_code"), ("group", &u.unit)])
                .next()
                .map(|r| {
                    (
                        t.cell(r, "observed").number(),
                        t.cell(r, "expected").number(),
                    )
                })
        }),
        (Some(score), Some(t)) => t
            .rows_where(&[
                ("breakdown", "pcn_code"),
                ("group", &u.unit),
                ("score", score),
            ])
            .next()
            .map(|r| {
                (
                    t.cell(r, "reliably_improved").number(),
                    t.cell(r, "pairs").number(),
                )
            }),
        _ => Some((count(u.numerator, policy), count(u.denominator, policy))),
    };
    match cells {
        Some((Some(numerator), Some(denominator))) => FunnelUnit {
            unit: u.unit.clone(),
            numerator,
            denominator,
            hidden: false,
        },
        _ => FunnelUnit {
            hidden: true,
            ..u.clone()
        },
    }
}

/// An SPC chart computed from its published monthly counts.
fn published_chart(s: &SpcResult, policy: Policy) -> SpcResult {
    let (input, hidden): (SpcInput, Vec<bool>) = match &s.input {
        SpcInput::Counts(values) => {
            let shown: Vec<Option<f64>> = values.iter().map(|&v| count(v, policy)).collect();
            (
                SpcInput::Counts(shown.iter().map(|v| v.unwrap_or(f64::NAN)).collect()),
                shown.iter().map(Option::is_none).collect(),
            )
        }
        SpcInput::Shares {
            numerators,
            denominators,
        } => {
            let x: Vec<Option<f64>> = numerators.iter().map(|&v| count(v, policy)).collect();
            let n: Vec<Option<f64>> = denominators.iter().map(|&v| count(v, policy)).collect();
            (
                SpcInput::Shares {
                    numerators: x.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
                    denominators: n.iter().map(|v| v.unwrap_or(f64::NAN)).collect(),
                },
                x.iter()
                    .zip(&n)
                    .map(|(a, b)| a.is_none() || b.is_none())
                    .collect(),
            )
        }
    };
    let mut out = SpcResult::new(
        s.name.clone(),
        s.label.clone(),
        s.months.clone(),
        input,
        s.options.clone(),
    );
    out.hidden_months = hidden;
    out
}

/// The benchmarking tables of published benchmarks: a withheld unit's counts,
/// value, limits and flag are `*`, and so are a withheld month's value and
/// every statistic of a chart with one.
pub fn tables(b: &Benchmarks, policy: Policy) -> Result<Vec<PublishedTable>> {
    let mut out = Vec::new();
    for table in benchmark::tables(b)? {
        let roles = rules::roles(table.def);
        let mut rows = cells(&table);
        if policy != Policy::None {
            let hide = |row: &mut Vec<Cell>, columns: &[&str]| {
                for name in columns {
                    let c = table
                        .columns()
                        .iter()
                        .position(|c| c.name == *name)
                        .unwrap_or_else(|| {
                            panic!("{} declares no column {name} to withhold", table.name())
                        });
                    row[c] = Cell::Suppressed;
                }
            };
            match table.name() {
                "benchmark_funnel_units" => {
                    let hidden = b
                        .funnels
                        .iter()
                        .flat_map(|f| f.measure.units.iter().map(|u| u.hidden));
                    for (row, hidden) in rows.iter_mut().zip(hidden) {
                        if hidden {
                            hide(
                                row,
                                &[
                                    "numerator",
                                    "denominator",
                                    "value",
                                    "lower95",
                                    "upper95",
                                    "lower998",
                                    "upper998",
                                    "flag",
                                ],
                            );
                        }
                    }
                }
                "spc" => {
                    let months = b
                        .spc
                        .iter()
                        .flat_map(|s| s.hidden_months.iter().map(move |h| (*h, s.hidden())));
                    for (row, (month, chart)) in rows.iter_mut().zip(months) {
                        if month {
                            hide(row, &["value"]);
                        }
                        if chart {
                            hide(
                                row,
                                &[
                                    "mean",
                                    "lower",
                                    "upper",
                                    "near_lower",
                                    "near_upper",
                                    "beyond_limit",
                                    "run",
                                    "trend",
                                    "two_of_three",
                                    "variation",
                                    "assurance",
                                ],
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        out.push(PublishedTable {
            def: table.def,
            roles,
            rows,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::measures::benchmark::{Adjustment, FunnelKind};
    use crate::stats::spc::SpcOptions;

    fn benchmarks() -> Benchmarks {
        let unit = |u: &str, x: f64, n: f64| FunnelUnit {
            unit: u.to_string(),
            numerator: x,
            denominator: n,
            hidden: false,
        };
        let measure = FunnelMeasure {
            name: "share_declined".into(),
            label: "Share declined".into(),
            kind: FunnelKind::Proportion,
            units: vec![
                unit("U1", 16.0, 87.0),
                unit("U2", 3.0, 60.0),
                unit("U3", 21.0, 122.0),
            ],
        };
        let referred: Vec<f64> = (0..12).map(|i| 70.0 + f64::from(i % 5)).collect();
        let declined: Vec<f64> = (0..12).map(|i| 4.0 + f64::from(i % 3) * 5.0).collect();
        Benchmarks {
            funnels: vec![compute_funnel(measure, Adjustment::None)],
            spc: vec![
                SpcResult::new(
                    "monthly_referrals".into(),
                    "Referrals".into(),
                    (0..12).collect(),
                    SpcInput::Counts(referred.clone()),
                    SpcOptions::default(),
                ),
                SpcResult::new(
                    "monthly_share_declined".into(),
                    "Declined".into(),
                    (0..12).collect(),
                    SpcInput::Shares {
                        numerators: declined,
                        denominators: referred,
                    },
                    SpcOptions::default(),
                ),
            ],
            adjustment: Adjustment::None,
        }
    }

    #[test]
    fn a_funnel_is_computed_from_the_published_counts_and_agrees_with_its_flags() {
        let published = publish(&benchmarks(), Policy::NhsDigital, &[]);
        let f = &published.funnels[0];
        // U2's 3 declines are withheld: out of the funnel, and * in the table.
        assert!(f.measure.units[1].hidden);
        let u = &f.measure.units[0];
        assert_eq!((u.numerator, u.denominator), (15.0, 85.0));
        assert!((f.baseline - (15.0 + 20.0) / (85.0 + 120.0)).abs() < 1e-12);
        // Each shown point agrees with its own limits and flag.
        for (u, (l, flag)) in f.measure.units.iter().zip(&f.unit_limits) {
            if u.hidden {
                continue;
            }
            let v = u.numerator / u.denominator;
            let inside = v >= l.0 && v <= l.1;
            assert_eq!(
                inside,
                flag.label() == "Not significant",
                "{} {v} {l:?} {}",
                u.unit,
                flag.label()
            );
        }
        let tables = tables(&published, Policy::NhsDigital).unwrap();
        let units = &tables[0];
        assert_eq!(units.cell(1, "numerator"), &Cell::Suppressed);
        assert_eq!(units.cell(1, "flag"), &Cell::Suppressed);
    }

    #[test]
    fn an_spc_centre_line_is_the_mean_of_the_published_months() {
        let published = publish(&benchmarks(), Policy::NhsDigital, &[]);
        let referrals = &published.spc[0];
        let shown: Vec<f64> = (0..12)
            .map(|i| Policy::NhsDigital.round(70.0 + f64::from(i % 5)))
            .collect();
        let mean = shown.iter().sum::<f64>() / 12.0;
        assert!((referrals.chart.points[0].mean - mean).abs() < 1e-9);
        // Months with 4 declines are withheld, so the share chart shows no
        // centre line, limits or signals.
        let declined = &published.spc[1];
        assert!(declined.hidden());
        let tables = tables(&published, Policy::NhsDigital).unwrap();
        let spc = tables.iter().find(|t| t.name() == "spc").unwrap();
        let rows: Vec<usize> = spc
            .rows_where(&[("measure", "monthly_share_declined")])
            .collect();
        assert!(
            rows.iter()
                .all(|&r| spc.cell(r, "mean") == &Cell::Suppressed)
        );
        assert_eq!(
            spc.cell(rows[0], "value"),
            &Cell::Suppressed,
            "4 of 70: withheld"
        );
        assert_eq!(
            spc.cell(rows[1], "value"),
            &Cell::Num(10.0 / 70.0),
            "9 of 71 as 10 of 70"
        );
    }
}
