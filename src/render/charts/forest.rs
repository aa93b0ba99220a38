//! A forest plot of a meta-analysis: one row per study (a square sized by
//! its weight on its 95% interval), the pooled estimate as a diamond
//! spanning its interval, the prediction interval as a line under it, and
//! the line of no effect.

use plotters::prelude::*;

use super::{COMMON, DARK, NHS_BLUE, WIDTH, finite_range, svg_fallback, with_text_alternative};

/// One study's row.
#[derive(Debug, Clone)]
pub struct ForestRow {
    /// The study's label (a scheme's code).
    pub label: String,
    /// Its estimate and 95% limits.
    pub estimate: (f64, f64, f64),
    /// Its share of the weight (0 to 1), sizing the square; `None` when it
    /// was not pooled.
    pub weight: Option<f64>,
}

/// What a forest plot draws.
#[derive(Debug, Clone)]
pub struct ForestPlot {
    /// The chart's title.
    pub title: String,
    /// The value axis' label.
    pub axis: String,
    /// The studies, top to bottom.
    pub rows: Vec<ForestRow>,
    /// The pooled estimate and its 95% limits (the diamond).
    pub pooled: (f64, f64, f64),
    /// How the pooled interval is made, for the text alternative.
    pub method: String,
    /// The 95% prediction interval, when there is one.
    pub prediction: Option<(f64, f64)>,
}

/// The forest plot as SVG with its text alternative.
pub fn svg(f: &ForestPlot) -> String {
    let studies = f.rows.len();
    // Rows: the studies, a gap, the diamond, the prediction interval.
    let slots = studies as f64 + 3.0;
    let height = (120 + 30 * (studies as u32 + 3)).max(220);
    let values = f
        .rows
        .iter()
        .flat_map(|r| [r.estimate.0, r.estimate.1, r.estimate.2])
        .chain([f.pooled.1, f.pooled.2, 0.0])
        .chain(f.prediction.into_iter().flat_map(|(l, u)| [l, u]));
    let (lo, hi) = finite_range(values);
    let labels: Vec<String> = f
        .rows
        .iter()
        .map(|r| r.label.clone())
        .chain(["Pooled".to_string(), "Prediction".to_string()])
        .collect();
    // The slot of row i: studies from the top, then the pooled rows.
    let y_of = |i: usize| -> f64 {
        if i < studies {
            slots - 0.5 - i as f64
        } else {
            slots - 1.5 - i as f64
        }
    };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, height)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let mut builder = ChartBuilder::on(&root);
        builder
            .caption(&f.title, ("sans-serif", 17).into_font().color(&DARK))
            .margin(12)
            .x_label_area_size(36)
            .y_label_area_size(160);
        let Ok(mut chart) = builder.build_cartesian_2d(lo..hi, 0.0..slots) else {
            return svg_fallback(&f.title);
        };
        let _ = chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(((slots * 2.0) as usize) + 1)
            .y_label_formatter(&|y| {
                (0..labels.len())
                    .find(|&i| (y_of(i) - y).abs() < 1e-6)
                    .map(|i| labels[i].chars().take(24).collect())
                    .unwrap_or_default()
            })
            .x_desc(f.axis.as_str())
            .axis_desc_style(("sans-serif", 13).into_font().color(&DARK))
            .label_style(("sans-serif", 12).into_font().color(&DARK))
            .light_line_style(WHITE)
            .draw();
        // No effect.
        let _ = chart.draw_series(LineSeries::new(
            vec![(0.0, 0.0), (0.0, slots)],
            DARK.stroke_width(1),
        ));
        for (i, row) in f.rows.iter().enumerate() {
            let y = y_of(i);
            let (estimate, lower, upper) = row.estimate;
            let colour = if row.weight.is_some() {
                NHS_BLUE
            } else {
                COMMON
            };
            let _ = chart.draw_series(LineSeries::new(
                vec![(lower, y), (upper, y)],
                colour.stroke_width(2),
            ));
            // Squares from 4 to 16 pixels across, their area by weight.
            let size = 2 + (row.weight.unwrap_or(0.0).sqrt() * 6.0).round() as i32;
            let _ = chart.draw_series(std::iter::once(
                EmptyElement::at((estimate, y))
                    + Rectangle::new([(-size, -size), (size, size)], colour.filled()),
            ));
        }
        let (pooled, lower, upper) = f.pooled;
        let y = y_of(studies);
        let _ = chart.draw_series(std::iter::once(Polygon::new(
            vec![(lower, y), (pooled, y + 0.3), (upper, y), (pooled, y - 0.3)],
            NHS_BLUE.filled(),
        )));
        if let Some((low, high)) = f.prediction {
            let y = y_of(studies + 1);
            let _ = chart.draw_series(LineSeries::new(
                vec![(low, y), (high, y)],
                NHS_BLUE.stroke_width(3),
            ));
        }
        let _ = root.present();
    }
    with_text_alternative(svg, &f.title, &description(f))
}

/// The plot in words: its text alternative and caption.
pub fn description(f: &ForestPlot) -> String {
    let figures = |x: f64| format!("{x:.2}");
    let studies = f.rows.len();
    let mut description = format!(
        "{} schemes. Pooled estimate {} (95% interval {} to {}, {}).",
        studies,
        figures(f.pooled.0),
        figures(f.pooled.1),
        figures(f.pooled.2),
        f.method
    );
    if let Some((low, high)) = f.prediction {
        description.push_str(&format!(
            " A new scheme's effect would lie between {} and {} (95% prediction interval).",
            figures(low),
            figures(high)
        ));
    }
    for row in &f.rows {
        description.push_str(&format!(
            " {}: {} ({} to {}).",
            row.label,
            figures(row.estimate.0),
            figures(row.estimate.1),
            figures(row.estimate.2)
        ));
    }
    description
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_forest_plot_draws_every_scheme_the_diamond_and_says_so_in_words() {
        let plot = ForestPlot {
            title: "Mean change <SWEMWBS> & more".into(),
            axis: "Change in points".into(),
            rows: vec![
                ForestRow {
                    label: "S1".into(),
                    estimate: (1.2, 0.4, 2.0),
                    weight: Some(0.6),
                },
                ForestRow {
                    label: "S2".into(),
                    estimate: (0.8, -0.2, 1.8),
                    weight: None,
                },
            ],
            pooled: (1.05, 0.5, 1.6),
            method: "modified HKSJ".into(),
            prediction: Some((-0.5, 2.6)),
        };
        let svg = svg(&plot);
        assert!(svg.contains("<title>Mean change &lt;SWEMWBS&gt; &amp; more</title>"));
        assert!(svg.contains("Pooled estimate 1.05 (95% interval 0.50 to 1.60"));
        assert!(svg.contains("between -0.50 and 2.60"));
        assert!(svg.contains("S2: 0.80 (-0.20 to 1.80)."));
        assert!(svg.contains("<polygon"), "the diamond");
        assert!(svg.matches("<rect").count() >= 3, "a square per scheme");
    }
}
