//! Report figures: bar, line and interval (forest) charts drawn from published
//! figures, as SVG (plotters) and as data for the workbook's native charts.
//!
//! A [`Figure`] holds categories and series of values that have already been
//! through disclosure control: a suppressed value is `None` and is left out of
//! the drawing and named in the text alternative. Series colours are NHS blue
//! and colour-blind-safe companions (Okabe–Ito orange, green and purple).

use plotters::prelude::*;
use serde::Serialize;

use super::{DARK, NHS_BLUE, escape};

/// Colours of the series in order.
pub const SERIES_COLOURS: [RGBColor; 4] = [
    NHS_BLUE,
    RGBColor(0xe6, 0x9f, 0x00),
    RGBColor(0x00, 0x9e, 0x73),
    RGBColor(0xcc, 0x79, 0xa7),
];

/// The same colours as hex, for the workbook's charts.
pub const SERIES_HEX: [u32; 4] = [0x005eb8, 0xe69f00, 0x009e73, 0xcc79a7];

/// How a figure is drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum FigureKind {
    /// Horizontal bars, one group per category.
    Bars,
    /// A line over ordered categories (months).
    Line,
    /// Estimates with interval whiskers, one row per category (a forest plot).
    Intervals,
}

/// One series of a figure.
#[derive(Debug, Clone, Serialize)]
pub struct Series {
    /// Legend name.
    pub name: String,
    /// One value per category (`None`: suppressed or not available).
    pub values: Vec<Option<f64>>,
    /// Lower limits (interval figures).
    pub lower: Vec<Option<f64>>,
    /// Upper limits (interval figures).
    pub upper: Vec<Option<f64>>,
}

impl Series {
    /// A series of plain values.
    pub fn values(name: impl Into<String>, values: Vec<Option<f64>>) -> Series {
        Series {
            name: name.into(),
            values,
            lower: Vec::new(),
            upper: Vec::new(),
        }
    }
}

/// A chart's data, title and text alternative.
#[derive(Debug, Clone, Serialize)]
pub struct Figure {
    /// File stem of the SVG (`charts/<id>.svg`).
    pub id: String,
    /// Title shown above the chart.
    pub title: String,
    /// What the chart shows, for screen readers (the text alternative).
    pub description: String,
    /// How it is drawn.
    pub kind: FigureKind,
    /// Value axis label.
    pub axis: String,
    /// Category labels.
    pub categories: Vec<String>,
    /// The series.
    pub series: Vec<Series>,
}

const WIDTH: u32 = 720;

fn range(figure: &Figure) -> (f64, f64) {
    let values = figure.series.iter().flat_map(|s| {
        s.values
            .iter()
            .chain(&s.lower)
            .chain(&s.upper)
            .filter_map(|v| v.filter(|x| x.is_finite()))
    });
    let (mut lo, mut hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    if figure.kind != FigureKind::Line {
        lo = lo.min(0.0);
        hi = hi.max(0.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-9);
    (
        if lo < 0.0 || figure.kind == FigureKind::Line {
            lo - pad
        } else {
            0.0
        },
        hi + pad,
    )
}

/// The figure as SVG with `<title>` and `<desc>`.
pub fn svg(figure: &Figure) -> String {
    let rows = figure.categories.len().max(1);
    let horizontal = figure.kind != FigureKind::Line;
    let per_row = if horizontal {
        14 + 12 * figure.series.len() as u32
    } else {
        0
    };
    let legend = if figure.series.len() > 1 { 28 } else { 0 };
    let height = legend
        + if horizontal {
            (90 + per_row * rows as u32).max(200)
        } else {
            380
        };
    let (lo, hi) = range(figure);
    let mut svg = String::new();
    {
        let whole = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let _ = whole.fill(&WHITE);
        let (root, legend_area) = whole.split_vertically(height - legend);
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(&figure.title, ("sans-serif", 17).into_font().color(&DARK))
            .margin(12)
            .x_label_area_size(36);
        let n = rows as f64;
        if horizontal {
            builder.y_label_area_size(230);
            let Ok(mut chart) = builder.build_cartesian_2d(lo..hi, 0.0..n) else {
                return fallback(figure);
            };
            let labels = &figure.categories;
            let _ = chart
                .configure_mesh()
                .disable_y_mesh()
                .y_labels(rows * 2 + 1)
                .y_label_formatter(&|y| {
                    // Category i sits at n - i - 0.5 (first category on top).
                    let slot = n - y - 0.5;
                    let i = slot.round();
                    if (slot - i).abs() < 1e-6 && i >= 0.0 && (i as usize) < labels.len() {
                        labels[i as usize].chars().take(34).collect()
                    } else {
                        String::new()
                    }
                })
                .x_desc(figure.axis.as_str())
                .axis_desc_style(("sans-serif", 13).into_font().color(&DARK))
                .label_style(("sans-serif", 12).into_font().color(&DARK))
                .light_line_style(WHITE)
                .draw();
            let k = figure.series.len().max(1) as f64;
            let band = 0.8 / k;
            for (s, series) in figure.series.iter().enumerate() {
                let colour = SERIES_COLOURS[s % SERIES_COLOURS.len()];
                for (i, value) in series.values.iter().enumerate() {
                    let Some(v) = value.filter(|v| v.is_finite()) else {
                        continue;
                    };
                    let top = n - i as f64 - 0.1 - band * s as f64;
                    let bottom = top - band;
                    let middle = (top + bottom) / 2.0;
                    match figure.kind {
                        FigureKind::Bars => {
                            let _ = chart.draw_series(std::iter::once(Rectangle::new(
                                [(0.0, bottom + band * 0.1), (v, top - band * 0.1)],
                                colour.filled(),
                            )));
                        }
                        _ => {
                            let lower = series.lower.get(i).copied().flatten();
                            let upper = series.upper.get(i).copied().flatten();
                            if let (Some(l), Some(u)) = (lower, upper) {
                                let _ = chart.draw_series(LineSeries::new(
                                    vec![(l, middle), (u, middle)],
                                    colour.stroke_width(2),
                                ));
                            }
                            let _ = chart.draw_series(std::iter::once(Circle::new(
                                (v, middle),
                                5,
                                colour.filled(),
                            )));
                        }
                    }
                }
            }
            if lo < 0.0 {
                let _ = chart.draw_series(LineSeries::new(
                    vec![(0.0, 0.0), (0.0, n)],
                    DARK.stroke_width(1),
                ));
            }
            draw_legend(&legend_area, figure);
        } else {
            builder.y_label_area_size(56);
            let Ok(mut chart) = builder.build_cartesian_2d(0.0..n + 1.0, lo..hi) else {
                return fallback(figure);
            };
            let labels = &figure.categories;
            let _ = chart
                .configure_mesh()
                .x_labels(rows.min(12))
                .x_label_formatter(&|x| super::label_at(labels, *x))
                .y_desc(figure.axis.as_str())
                .axis_desc_style(("sans-serif", 13).into_font().color(&DARK))
                .light_line_style(WHITE)
                .draw();
            for (s, series) in figure.series.iter().enumerate() {
                let colour = SERIES_COLOURS[s % SERIES_COLOURS.len()];
                let points: Vec<(f64, f64)> = series
                    .values
                    .iter()
                    .enumerate()
                    .filter_map(|(i, v)| v.filter(|x| x.is_finite()).map(|x| (i as f64 + 1.0, x)))
                    .collect();
                let _ = chart.draw_series(LineSeries::new(points.clone(), colour.stroke_width(2)));
                let _ = chart.draw_series(
                    points
                        .into_iter()
                        .map(|p| Circle::new(p, 3, colour.filled())),
                );
            }
            draw_legend(&legend_area, figure);
        }
        let _ = whole.present();
    }
    super::with_text_alternative(svg, &figure.title, &figure.description)
}

fn draw_legend(area: &DrawingArea<SVGBackend, plotters::coord::Shift>, figure: &Figure) {
    if figure.series.len() < 2 {
        return;
    }
    let mut x = 250;
    for (s, series) in figure.series.iter().enumerate() {
        let colour = SERIES_COLOURS[s % SERIES_COLOURS.len()];
        let y = 12;
        let _ = area.draw(&Rectangle::new(
            [(x, y - 5), (x + 10, y + 5)],
            colour.filled(),
        ));
        let _ = area.draw(&Text::new(
            series.name.clone(),
            (x + 14, y - 6),
            ("sans-serif", 12).into_font().color(&DARK),
        ));
        x += 20 + 7 * series.name.chars().count() as i32;
    }
}

fn fallback(figure: &Figure) -> String {
    super::with_text_alternative(
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"120\"></svg>"
        ),
        &figure.title,
        &format!(
            "{} (no chart: the data could not be scaled)",
            escape(&figure.description)
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn figure(kind: FigureKind) -> Figure {
        Figure {
            id: "t".into(),
            title: "Change <by> score".into(),
            description: "Two scores & one suppressed".into(),
            kind,
            axis: "points".into(),
            categories: vec!["SWEMWBS".into(), "ONS4 <happy>".into()],
            series: vec![Series {
                name: "change".into(),
                values: vec![Some(1.5), None],
                lower: vec![Some(0.5), None],
                upper: vec![Some(2.5), None],
            }],
        }
    }

    #[test]
    fn figures_carry_escaped_text_alternatives_and_skip_suppressed_values() {
        for kind in [FigureKind::Bars, FigureKind::Intervals, FigureKind::Line] {
            let svg = svg(&figure(kind));
            assert!(
                svg.contains("<title>Change &lt;by&gt; score</title>"),
                "{kind:?}"
            );
            assert!(svg.contains("<desc>Two scores &amp; one suppressed</desc>"));
            assert!(!svg.contains("<happy>"));
        }
        let bars = svg(&figure(FigureKind::Bars));
        assert_eq!(
            bars.matches("<rect").count() - 1,
            1,
            "one bar drawn besides the background"
        );
    }
}
