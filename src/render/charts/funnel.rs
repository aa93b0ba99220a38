//! A funnel plot: units as points coloured by their flag, 95% and 99.8%
//! limits around the pooled value.

use plotters::prelude::*;

use super::{
    COMMON, CONCERN, DARK, HEIGHT, NEUTRAL, NHS_BLUE, WIDTH, finite_range, svg_fallback,
    with_text_alternative,
};
use crate::stats::funnel::Flag;

/// What a funnel plot draws, in the chart's own units (per cent for a
/// proportion).
#[derive(Debug, Clone)]
pub struct FunnelPlot {
    /// The chart's title.
    pub title: String,
    /// Whether values are per cent (a proportion) rather than rates.
    pub percent: bool,
    /// The horizontal and vertical axes' labels.
    pub axes: (String, String),
    /// What the centre line is, for the text alternative: "a pooled value",
    /// "the reference".
    pub centre: String,
    /// Each unit with a denominator: (denominator, value, flag).
    pub points: Vec<(f64, f64, Flag)>,
    /// Units beyond the 99.8% limits (those without a denominator included).
    pub outside_998: usize,
    /// The limits along the denominator: (denominator, (lower 95%, upper 95%,
    /// lower 99.8%, upper 99.8%)).
    pub grid: Vec<(f64, (f64, f64, f64, f64))>,
    /// The pooled value.
    pub baseline: f64,
    /// How the limits were computed, for the text alternative.
    pub method: String,
}

/// A funnel plot: units as points coloured by flag, 95% and 99.8% limits, baseline.
pub fn svg(f: &FunnelPlot) -> String {
    let percent = f.percent;
    let points = &f.points;
    let x_max = f.grid.last().map_or(1.0, |g| g.0);
    let (y_lo, y_hi) = finite_range(
        points
            .iter()
            .map(|p| p.1)
            .chain(f.grid.iter().flat_map(|(_, l)| [l.2, l.3]))
            .chain(std::iter::once(f.baseline)),
    );
    let y_lo = if percent { y_lo.max(0.0) } else { y_lo };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(&f.title, ("sans-serif", 18).into_font().color(&DARK))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..x_max, y_lo..y_hi);
        let Ok(mut chart) = chart else {
            return svg_fallback(&f.title);
        };
        let _ = chart
            .configure_mesh()
            .x_desc(&f.axes.0)
            .y_desc(&f.axes.1)
            .axis_desc_style(("sans-serif", 13).into_font().color(&DARK))
            .light_line_style(WHITE)
            .draw();
        let line = |pick: fn(&(f64, f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
            f.grid
                .iter()
                .map(|(n, l)| (*n, pick(l)))
                .filter(|p| p.1.is_finite())
                .collect()
        };
        for (pick, width) in [
            (
                (|l: &(f64, f64, f64, f64)| l.0) as fn(&(f64, f64, f64, f64)) -> f64,
                1,
            ),
            (|l| l.1, 1),
            (|l| l.2, 2),
            (|l| l.3, 2),
        ] {
            let _ = chart.draw_series(LineSeries::new(line(pick), NHS_BLUE.stroke_width(width)));
        }
        let _ = chart.draw_series(LineSeries::new(
            [(0.0, f.baseline), (x_max, f.baseline)],
            DARK.stroke_width(1),
        ));
        let _ = chart.draw_series(points.iter().map(|(x, y, flag)| {
            let colour = match flag {
                Flag::High998 | Flag::Low998 => CONCERN,
                Flag::High95 | Flag::Low95 => NEUTRAL,
                Flag::NotSignificant => COMMON,
            };
            Circle::new((*x, *y), 5, colour.filled())
        }));
        let _ = root.present();
    }
    let outside = f.outside_998;
    let description = format!(
        "Funnel plot of {} units around {} of {:.3}{}; thin lines are 95% limits and thick lines 99.8% limits ({}). {} unit{} outside the 99.8% limits.",
        points.len(),
        f.centre,
        f.baseline,
        if percent { "%" } else { "" },
        f.method,
        outside,
        if outside == 1 { " lies" } else { "s lie" }
    );
    with_text_alternative(svg, &f.title, &description)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_funnel_is_drawn_from_plain_points_and_says_how_many_lie_outside() {
        let plot = FunnelPlot {
            title: "Share declined".into(),
            percent: true,
            axes: ("Denominator".into(), "Per cent".into()),
            centre: "a pooled value".into(),
            points: vec![
                (100.0, 10.0, Flag::NotSignificant),
                (400.0, 30.0, Flag::High998),
            ],
            outside_998: 1,
            grid: (1..=5)
                .map(|i| {
                    let n = 100.0 * f64::from(i);
                    let w = 100.0 / n.sqrt();
                    (n, (12.0 - w, 12.0 + w, 12.0 - 1.5 * w, 12.0 + 1.5 * w))
                })
                .collect(),
            baseline: 12.0,
            method: "normal approximation".into(),
        };
        let svg = svg(&plot);
        assert!(svg.contains("<title>Share declined</title>"));
        assert!(svg.contains(
            "Funnel plot of 2 units around a pooled value of 12.000%; thin lines are 95% limits and thick lines 99.8% limits (normal approximation). 1 unit lies outside the 99.8% limits."
        ));
        assert_eq!(svg.matches("<circle").count(), 2);
    }
}
