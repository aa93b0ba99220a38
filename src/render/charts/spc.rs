//! An XmR (SPC) chart: values coloured by their variation, the centre line
//! and the process limits.

use plotters::prelude::*;

use super::{
    COMMON, CONCERN, DARK, HEIGHT, IMPROVEMENT, NEUTRAL, NHS_BLUE, WIDTH, finite_range, label_at,
    svg_fallback, with_text_alternative,
};
use crate::stats::spc::{SpcPoint, Variation};

/// What an SPC chart draws.
#[derive(Debug, Clone)]
pub struct SpcPlot {
    /// The chart's title.
    pub title: String,
    /// The x-axis label of each point (its month).
    pub labels: Vec<String>,
    /// The points with their limits and variation.
    pub points: Vec<SpcPoint>,
    /// Cautions for the text alternative (fewer than 12 points, …).
    pub warnings: Vec<String>,
    /// Whether large moving ranges were screened out of the limits.
    pub screened: bool,
    /// The limits come from the first N points (`None`: from all).
    pub baseline: Option<usize>,
}

/// How the limits were set, for a chart's text alternative.
pub fn limits_wording(screened: bool, baseline: Option<usize>) -> String {
    let from = match baseline {
        Some(n) => format!("Limits are fixed from the first {n} months and"),
        None => "Limits".to_string(),
    };
    if screened {
        format!("{from} leave out moving ranges above 3.267 times their mean.")
    } else {
        format!("{from} use every moving range (not screened).")
    }
}

/// An XmR chart: values coloured by variation, centre line, process and near limits.
pub fn svg(s: &SpcPlot) -> String {
    let points = &s.points;
    let n = points.len().max(1) as f64;
    let (y_lo, y_hi) = finite_range(points.iter().flat_map(|p| [p.value, p.lower, p.upper]));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(&s.title, ("sans-serif", 18).into_font().color(&DARK))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..n + 1.0, y_lo..y_hi);
        let Ok(mut chart) = chart else {
            return svg_fallback(&s.title);
        };
        let labels = &s.labels;
        let _ = chart
            .configure_mesh()
            .x_labels(points.len().min(12))
            .x_label_formatter(&|x| label_at(labels, *x))
            .light_line_style(WHITE)
            .axis_desc_style(("sans-serif", 13).into_font().color(&DARK))
            .draw();
        let series = |pick: fn(&SpcPoint) -> f64| -> Vec<(f64, f64)> {
            points
                .iter()
                .enumerate()
                .map(|(i, p)| (i as f64 + 1.0, pick(p)))
                .filter(|p| p.1.is_finite())
                .collect()
        };
        let _ = chart.draw_series(LineSeries::new(series(|p| p.mean), DARK.stroke_width(1)));
        let _ = chart.draw_series(LineSeries::new(
            series(|p| p.lower),
            NHS_BLUE.stroke_width(1),
        ));
        let _ = chart.draw_series(LineSeries::new(
            series(|p| p.upper),
            NHS_BLUE.stroke_width(1),
        ));
        let _ = chart.draw_series(LineSeries::new(series(|p| p.value), COMMON.stroke_width(1)));
        let _ = chart.draw_series(
            points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.value.is_finite())
                .map(|(i, p)| {
                    let colour = match p.variation {
                        Variation::CommonCause => COMMON,
                        Variation::Improvement => IMPROVEMENT,
                        Variation::Concern => CONCERN,
                        Variation::Neutral => NEUTRAL,
                    };
                    Circle::new((i as f64 + 1.0, p.value), 4, colour.filled())
                }),
        );
        let _ = root.present();
    }
    let special = points
        .iter()
        .filter(|p| p.variation != Variation::CommonCause)
        .count();
    let mut description = format!(
        "XmR chart of {} monthly points with mean {:.2} and process limits {:.2} to {:.2}; {} point{} show special-cause variation.",
        points.len(),
        points.last().map_or(f64::NAN, |p| p.mean),
        points.last().map_or(f64::NAN, |p| p.lower),
        points.last().map_or(f64::NAN, |p| p.upper),
        special,
        if special == 1 { "" } else { "s" }
    );
    description.push(' ');
    description.push_str(&limits_wording(s.screened, s.baseline));
    for w in &s.warnings {
        description.push(' ');
        description.push_str(w);
        description.push('.');
    }
    with_text_alternative(svg, &s.title, &description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_spc_chart_is_drawn_from_plain_points_with_its_month_labels() {
        let chart = crate::stats::spc::xmr(
            &[10.0, 12.0, 11.0, 30.0, 12.0, 11.0],
            &crate::stats::spc::SpcOptions::default(),
        );
        let plot = SpcPlot {
            title: "Referrals".into(),
            labels: ["Apr", "May", "Jun", "Jul", "Aug", "Sep"]
                .map(|m| format!("{m} 2024"))
                .to_vec(),
            points: chart.points,
            warnings: vec!["fewer than 12 points: limits are provisional".into()],
            screened: true,
            baseline: None,
        };
        let svg = svg(&plot);
        assert!(svg.contains("<title>Referrals</title>"));
        assert!(svg.contains("May 2024"), "month labels on the x axis");
        assert!(svg.contains("XmR chart of 6 monthly points"));
        assert!(svg.contains(
            " Limits leave out moving ranges above 3.267 times their mean. fewer than 12 points: limits are provisional."
        ));
    }
}
