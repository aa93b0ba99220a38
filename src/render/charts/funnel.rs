//! A funnel plot: units as points coloured by their flag, 95% and 99.8%
//! limits around the pooled value.

use plotters::prelude::*;

use super::{
    COMMON, CONCERN, DARK, HEIGHT, NEUTRAL, NHS_BLUE, WIDTH, finite_range, svg_fallback,
    with_text_alternative,
};

/// Up to this many points, every point is labelled with its unit; beyond,
/// only those outside the 95% limits and the highlighted one.
const LABEL_ALL_UP_TO: usize = 12;

/// How a point of each flag is drawn: its colour, whether filled, and the
/// legend's words. Above and below the limits differ in colour; beyond
/// 99.8% is filled, beyond 95% only a ring.
fn style(flag: Flag) -> (RGBColor, bool, &'static str) {
    match flag {
        Flag::High998 => (CONCERN, true, "Above the 99.8% limit"),
        Flag::High95 => (CONCERN, false, "Above the 95% limit"),
        Flag::Low95 => (NEUTRAL, false, "Below the 95% limit"),
        Flag::Low998 => (NEUTRAL, true, "Below the 99.8% limit"),
        Flag::NotSignificant => (COMMON, true, "Within the limits"),
    }
}
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
    /// Each point's unit (its code), in the order of `points`.
    pub labels: Vec<String>,
    /// The point of the unit the reader asked to find (`[benchmark] highlight`).
    pub highlight: Option<usize>,
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
        for (pick, width, legend) in [
            (
                (|l: &(f64, f64, f64, f64)| l.0) as fn(&(f64, f64, f64, f64)) -> f64,
                1,
                Some("95% limits"),
            ),
            (|l| l.1, 1, None),
            (|l| l.2, 3, Some("99.8% limits")),
            (|l| l.3, 3, None),
        ] {
            if let Ok(series) =
                chart.draw_series(LineSeries::new(line(pick), NHS_BLUE.stroke_width(width)))
                && let Some(words) = legend
            {
                series.label(words).legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 18, y)], NHS_BLUE.stroke_width(width))
                });
            }
        }
        if let Ok(series) = chart.draw_series(LineSeries::new(
            [(0.0, f.baseline), (x_max, f.baseline)],
            DARK.stroke_width(1),
        )) {
            series
                .label(if f.centre.contains("reference") {
                    "Reference"
                } else {
                    "Pooled value"
                })
                .legend(|(x, y)| PathElement::new([(x, y), (x + 18, y)], DARK.stroke_width(1)));
        }
        for flag in [
            Flag::High998,
            Flag::High95,
            Flag::NotSignificant,
            Flag::Low95,
            Flag::Low998,
        ] {
            let (colour, filled, words) = style(flag);
            let shape = move |(x, y): (f64, f64)| -> Circle<(f64, f64), i32> {
                if filled {
                    Circle::new((x, y), 5, colour.filled())
                } else {
                    Circle::new((x, y), 5, colour.stroke_width(2))
                }
            };
            let these: Vec<(f64, f64)> = points
                .iter()
                .filter(|p| p.2 == flag)
                .map(|p| (p.0, p.1))
                .collect();
            if these.is_empty() {
                continue;
            }
            if let Ok(series) = chart.draw_series(these.into_iter().map(shape)) {
                series.label(words).legend(move |(x, y)| {
                    if filled {
                        Circle::new((x + 9, y), 5, colour.filled())
                    } else {
                        Circle::new((x + 9, y), 5, colour.stroke_width(2))
                    }
                });
            }
        }
        let labelled = |i: usize| {
            points.len() <= LABEL_ALL_UP_TO
                || f.highlight == Some(i)
                || points[i].2 != Flag::NotSignificant
        };
        let font = ("sans-serif", 11).into_font().color(&DARK);
        // Beside the point, up and to the right, clear of its marker.
        let _ = chart.draw_series((0..points.len()).filter(|&i| labelled(i)).filter_map(|i| {
            let label = f.labels.get(i)?;
            Some(
                EmptyElement::at((points[i].0, points[i].1))
                    + Text::new(label.clone(), (8, -14), font.clone()),
            )
        }));
        if let Some(i) = f.highlight
            && let Some(p) = points.get(i)
        {
            let _ = chart.draw_series(std::iter::once(Circle::new(
                (p.0, p.1),
                9,
                BLACK.stroke_width(2),
            )));
        }
        let _ = chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.85))
            .border_style(DARK)
            .label_font(("sans-serif", 11).into_font().color(&DARK))
            .draw();
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
            labels: vec!["U00001".into(), "U00002".into()],
            highlight: Some(0),
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
        // Two points, the ring around the highlighted one, and two legend keys.
        assert_eq!(svg.matches("<circle").count(), 5);
        for words in [
            "95% limits",
            "99.8% limits",
            "Pooled value",
            "Above the 99.8% limit",
            "Within the limits",
            "U00001",
            "U00002",
        ] {
            assert!(svg.contains(words), "{words}");
        }
        assert!(
            !svg.contains("Below the 95% limit"),
            "no key for a flag no point has"
        );
    }
}
