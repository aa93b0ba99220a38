//! Every chart sprout draws, as SVG (plotters), from plain series: funnel
//! plots ([`funnel`]), SPC charts ([`spc`]), forest plots of pooled schemes
//! ([`forest`]) and the report's bar, line and
//! interval figures ([`figure`]). Nothing here knows a measure's types;
//! [`crate::render::plots`] turns the benchmarking results into these series.
//!
//! Every chart carries a `<title>` and a `<desc>` text alternative for screen
//! readers. Colours follow Making Data Count: improvement blue, concern
//! orange, common cause grey, neutral purple; funnel limits in NHS blue, dashed
//! lines drawn as dotted series.

pub mod figure;
pub mod forest;
pub mod funnel;
pub mod spc;

use plotters::prelude::*;

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

pub(crate) const WIDTH: u32 = 720;
pub(crate) const HEIGHT: u32 = 420;

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

pub(crate) fn finite_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
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

pub(crate) fn svg_fallback(title: &str) -> String {
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
