//! SVG charts (plotters) for funnel plots and SPC charts.
//!
//! Every chart carries a `<title>` and a `<desc>` text alternative for screen
//! readers. Colours follow Making Data Count: improvement blue, concern
//! orange, common cause grey, neutral purple; funnel limits in NHS blue, dashed
//! lines drawn as dotted series.

use plotters::prelude::*;

use crate::measures::benchmark::{FunnelKind, FunnelResult, SpcResult};
use crate::stats::funnel::Flag;
use crate::stats::spc::Variation;

/// Making Data Count improvement colour (#00b0f0).
pub const IMPROVEMENT: RGBColor = RGBColor(0x00, 0xb0, 0xf0);
/// Making Data Count concern colour (#e46c0a).
pub const CONCERN: RGBColor = RGBColor(0xe4, 0x6c, 0x0a);
/// Common cause grey (#a6a6a6).
pub const COMMON: RGBColor = RGBColor(0xa6, 0xa6, 0xa6);
/// Neutral special cause purple (#490092).
pub const NEUTRAL: RGBColor = RGBColor(0x49, 0x00, 0x92);
/// NHS blue (#005eb8) for limits and centre lines.
pub const NHS_BLUE: RGBColor = RGBColor(0x00, 0x5e, 0xb8);
/// Dark grey for text and axes (#425563).
pub const DARK: RGBColor = RGBColor(0x42, 0x55, 0x63);

const WIDTH: u32 = 720;
const HEIGHT: u32 = 420;

/// Escape text for SVG/XML.
pub fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// The label of point `x` on an axis whose points 1, 2, … are `labels` (empty between points).
pub(crate) fn label_at(labels: &[String], x: f64) -> String {
    let i = x.round() as usize;
    if i >= 1 && i <= labels.len() {
        labels[i - 1].clone()
    } else {
        String::new()
    }
}

/// Put a `<title>` and `<desc>` right after the opening `<svg …>` tag.
pub(crate) fn with_text_alternative(svg: String, title: &str, description: &str) -> String {
    match svg
        .find("<svg")
        .and_then(|start| svg[start..].find('>').map(|end| start + end + 1))
    {
        Some(at) => format!(
            "{}<title>{}</title><desc>{}</desc>{}",
            &svg[..at],
            escape(title),
            escape(description),
            &svg[at..]
        ),
        None => svg,
    }
}

fn finite_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values
        .filter(|v| v.is_finite())
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
            (lo.min(v), hi.max(v))
        });
    if !lo.is_finite() {
        return (0.0, 1.0);
    }
    let pad = ((hi - lo) * 0.08).max(1e-9);
    (lo - pad, hi + pad)
}

/// A funnel plot: units as points coloured by flag, 95% and 99.8% limits, baseline.
pub fn funnel_svg(f: &FunnelResult) -> String {
    let percent = f.measure.kind == FunnelKind::Proportion;
    let scale = if percent { 100.0 } else { 1.0 };
    let points: Vec<(f64, f64, Flag)> = f
        .measure
        .units
        .iter()
        .zip(&f.unit_limits)
        .filter(|(u, _)| u.denominator > 0.0)
        .map(|(u, (_, flag))| (u.denominator, scale * u.numerator / u.denominator, *flag))
        .collect();
    let x_max = f.grid.last().map_or(1.0, |g| g.0);
    let (y_lo, y_hi) = finite_range(
        points
            .iter()
            .map(|p| p.1)
            .chain(f.grid.iter().flat_map(|(_, l)| [l.2 * scale, l.3 * scale]))
            .chain(std::iter::once(f.baseline * scale)),
    );
    let y_lo = if percent { y_lo.max(0.0) } else { y_lo };
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(
                &f.measure.label,
                ("sans-serif", 18).into_font().color(&DARK),
            )
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..x_max, y_lo..y_hi);
        let Ok(mut chart) = chart else {
            return svg_fallback(&f.measure.label);
        };
        let _ = chart
            .configure_mesh()
            .x_desc(if percent {
                "Denominator"
            } else {
                "Exposure (denominator)"
            })
            .y_desc(if percent { "Per cent" } else { "Rate" })
            .axis_desc_style(("sans-serif", 13).into_font().color(&DARK))
            .light_line_style(WHITE)
            .draw();
        let line = |pick: fn(&(f64, f64, f64, f64)) -> f64| -> Vec<(f64, f64)> {
            f.grid
                .iter()
                .map(|(n, l)| (*n, scale * pick(l)))
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
            [(0.0, f.baseline * scale), (x_max, f.baseline * scale)],
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
    let outside = f
        .unit_limits
        .iter()
        .filter(|(_, flag)| matches!(flag, Flag::High998 | Flag::Low998))
        .count();
    let description = format!(
        "Funnel plot of {} units around a pooled value of {:.3}{}; thin lines are 95% limits and thick lines 99.8% limits ({}). {} unit{} outside the 99.8% limits.",
        points.len(),
        f.baseline * scale,
        if percent { "%" } else { "" },
        f.method,
        outside,
        if outside == 1 { " lies" } else { "s lie" }
    );
    with_text_alternative(svg, &f.measure.label, &description)
}

/// An XmR chart: values coloured by variation, centre line, process and near limits.
pub fn spc_svg(s: &SpcResult) -> String {
    let points = &s.chart.points;
    let n = points.len().max(1) as f64;
    let (y_lo, y_hi) = finite_range(points.iter().flat_map(|p| [p.value, p.lower, p.upper]));
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (WIDTH, HEIGHT)).into_drawing_area();
        let _ = root.fill(&WHITE);
        let chart = ChartBuilder::on(&root)
            .caption(&s.label, ("sans-serif", 18).into_font().color(&DARK))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(56)
            .build_cartesian_2d(0.0..n + 1.0, y_lo..y_hi);
        let Ok(mut chart) = chart else {
            return svg_fallback(&s.label);
        };
        let labels: Vec<String> = s
            .months
            .iter()
            .map(|m| crate::days::from_date32(*m).format("%b %Y").to_string())
            .collect();
        let _ = chart
            .configure_mesh()
            .x_labels(points.len().min(12))
            .x_label_formatter(&|x| label_at(&labels, *x))
            .light_line_style(WHITE)
            .axis_desc_style(("sans-serif", 13).into_font().color(&DARK))
            .draw();
        let series = |pick: fn(&crate::stats::spc::SpcPoint) -> f64| -> Vec<(f64, f64)> {
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
    for w in &s.chart.warnings {
        description.push(' ');
        description.push_str(w);
        description.push('.');
    }
    with_text_alternative(svg, &s.label, &description)
}

fn svg_fallback(title: &str) -> String {
    with_text_alternative(
        format!(
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{WIDTH}\" height=\"{HEIGHT}\"></svg>"
        ),
        title,
        "No chart: the data could not be scaled.",
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_is_escaped_and_the_alternative_comes_first() {
        let svg = with_text_alternative(
            "<svg a=\"1\"><g/></svg>".into(),
            "A & B <x>",
            "d'escription",
        );
        assert!(svg.starts_with(
            "<svg a=\"1\"><title>A &amp; B &lt;x&gt;</title><desc>d&#39;escription</desc><g/>"
        ));
    }
}
