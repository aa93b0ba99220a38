//! The benchmarking results as the plain series the charts draw
//! ([`crate::render::charts`]): a funnel's units, limits and pooled value in
//! the chart's units (per cent for a proportion), and an SPC chart's points
//! with their month labels.

use crate::measures::benchmark::{FunnelKind, FunnelResult, SpcInput, SpcResult};
use crate::render::charts::funnel::FunnelPlot;
use crate::render::charts::spc::SpcPlot;
use crate::stats::funnel::Flag;

/// The funnel plot of `f`: units with a denominator as points (at their
/// position on the horizontal axis: [`FunnelKind::position`]), labelled by
/// unit, the `highlight`ed unit marked, every unit beyond the 99.8% limits
/// counted.
pub fn funnel(f: &FunnelResult, highlight: Option<&str>) -> FunnelPlot {
    let plotted: Vec<&str> = f
        .measure
        .units
        .iter()
        .filter(|u| u.denominator > 0.0)
        .map(|u| u.unit.as_str())
        .collect();
    let percent = f.measure.kind == FunnelKind::Proportion;
    let scale = if percent { 100.0 } else { 1.0 };
    let (x, y, centre) = match f.measure.kind {
        FunnelKind::Proportion => ("Denominator", "Per cent", "a pooled value"),
        FunnelKind::Rate => ("Exposure (denominator)", "Rate", "a pooled value"),
        FunnelKind::StandardisedRatio => ("Expected", "Observed / expected", "the reference"),
        FunnelKind::RatioOfCounts => (
            "Precision (about half the events when before and after are alike)",
            "After / before",
            "a pooled ratio",
        ),
    };
    FunnelPlot {
        title: f.measure.label.clone(),
        percent,
        axes: (x.to_string(), y.to_string()),
        centre: centre.to_string(),
        points: f
            .measure
            .units
            .iter()
            .zip(&f.unit_limits)
            .filter(|(u, _)| u.denominator > 0.0)
            .map(|(u, (_, flag))| {
                (
                    f.measure.kind.position(u),
                    scale * u.numerator / u.denominator,
                    *flag,
                )
            })
            .collect(),
        outside_998: f
            .unit_limits
            .iter()
            .filter(|(_, flag)| matches!(flag, Flag::High998 | Flag::Low998))
            .count(),
        grid: f
            .grid
            .iter()
            .map(|(n, l)| (*n, (scale * l.0, scale * l.1, scale * l.2, scale * l.3)))
            .collect(),
        highlight: highlight.and_then(|h| plotted.iter().position(|u| *u == h)),
        labels: plotted.iter().map(|u| u.to_string()).collect(),
        baseline: scale * f.baseline,
        method: f.method.clone(),
    }
}

/// The SPC chart of `s`, its points labelled by month ("Apr 2024").
pub fn spc(s: &SpcResult) -> SpcPlot {
    SpcPlot {
        title: s.label.clone(),
        labels: s
            .months
            .iter()
            .map(|m| crate::days::from_date32(*m).format("%b %Y").to_string())
            .collect(),
        points: s.chart.points.clone(),
        warnings: s.chart.warnings.clone(),
        screened: s.options.screen_moving_ranges,
        baseline: s.options.baseline_points,
        axis: match s.input {
            SpcInput::Counts(_) => "Referrals".to_string(),
            SpcInput::Shares { .. } => "Share (0 to 1)".to_string(),
        },
        assurance: s.chart.assurance,
    }
}
