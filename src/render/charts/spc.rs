//! An XmR (SPC) chart: values coloured by their variation, the centre line
//! and the process limits.

use plotters::prelude::*;

use super::{
    COMMON, CONCERN, DARK, HEIGHT, IMPROVEMENT, NEUTRAL, NHS_BLUE, WIDTH, finite_range, label_at,
    svg_fallback, with_text_alternative,
};
use crate::stats::spc::{Assurance, SpcPoint, Variation};

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
    /// The value axis's label ("Referrals", "Share declined").
    pub axis: String,
    /// Assurance against a target, when one was given.
    pub assurance: Assurance,
}

/// A Making Data Count icon: its colour, the letter inside it and what it says.
#[derive(Debug, Clone, PartialEq)]
pub struct Icon {
    /// Circle colour.
    pub colour: RGBColor,
    /// The letter inside: H (higher), L (lower), P (pass), F (fail), ? (hit
    /// and miss), or none for common cause.
    pub letter: &'static str,
    /// What the icon says, for the text alternative and the legend.
    pub words: &'static str,
}

/// The variation icon of the latest point, as Making Data Count draws it:
/// grey for common cause, blue for special cause improvement, orange for
/// concern, purple where neither way is better; H or L for the side.
pub fn variation_icon(points: &[SpcPoint]) -> Option<Icon> {
    let last = points.iter().rev().find(|p| p.value.is_finite())?;
    let high = last.side > 0;
    let (colour, words) = match (last.variation, high) {
        (Variation::CommonCause, _) => (COMMON, "Common cause variation"),
        (Variation::Improvement, true) => (IMPROVEMENT, "Special cause improvement (higher)"),
        (Variation::Improvement, false) => (IMPROVEMENT, "Special cause improvement (lower)"),
        (Variation::Concern, true) => (CONCERN, "Special cause concern (higher)"),
        (Variation::Concern, false) => (CONCERN, "Special cause concern (lower)"),
        (Variation::Neutral, true) => (NEUTRAL, "Special cause variation (higher)"),
        (Variation::Neutral, false) => (NEUTRAL, "Special cause variation (lower)"),
    };
    let letter = match last.variation {
        Variation::CommonCause => "",
        _ if high => "H",
        _ => "L",
    };
    Some(Icon {
        colour,
        letter,
        words,
    })
}

/// The assurance icon: blue P when the limits lie on the target's good
/// side, orange F when on its bad side, grey ? when the target lies between
/// them; none without a target.
pub fn assurance_icon(assurance: Assurance) -> Option<Icon> {
    let (colour, letter, words) = match assurance {
        Assurance::None => return None,
        Assurance::Pass => (IMPROVEMENT, "P", "Consistently meets the target"),
        Assurance::Fail => (CONCERN, "F", "Consistently misses the target"),
        Assurance::HitAndMiss => (COMMON, "?", "Hit and miss against the target"),
    };
    Some(Icon {
        colour,
        letter,
        words,
    })
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
    // From zero: a count or share read against a cut axis looks more variable
    // than it is.
    let (y_lo, y_hi) = finite_range(
        points
            .iter()
            .flat_map(|p| [p.value, p.lower, p.upper])
            .chain(std::iter::once(0.0)),
    );
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
            .y_desc(&s.axis)
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
        let key = |colour: RGBColor, width: u32| {
            move |(x, y): (i32, i32)| {
                PathElement::new([(x, y), (x + 18, y)], colour.stroke_width(width))
            }
        };
        if let Ok(drawn) =
            chart.draw_series(LineSeries::new(series(|p| p.value), COMMON.stroke_width(1)))
        {
            drawn.label("Monthly value").legend(key(COMMON, 1));
        }
        if let Ok(drawn) =
            chart.draw_series(LineSeries::new(series(|p| p.mean), DARK.stroke_width(1)))
        {
            drawn.label("Mean").legend(key(DARK, 1));
        }
        if let Ok(drawn) = chart.draw_series(LineSeries::new(
            series(|p| p.lower),
            NHS_BLUE.stroke_width(1),
        )) {
            drawn.label("Process limits").legend(key(NHS_BLUE, 1));
        }
        let _ = chart.draw_series(LineSeries::new(
            series(|p| p.upper),
            NHS_BLUE.stroke_width(1),
        ));
        for (variation, colour, words) in [
            (Variation::CommonCause, COMMON, "Common cause"),
            (
                Variation::Improvement,
                IMPROVEMENT,
                "Special cause: improvement",
            ),
            (Variation::Concern, CONCERN, "Special cause: concern"),
            (
                Variation::Neutral,
                NEUTRAL,
                "Special cause: neither way better",
            ),
        ] {
            let these: Vec<(f64, f64)> = points
                .iter()
                .enumerate()
                .filter(|(_, p)| p.value.is_finite() && p.variation == variation)
                .map(|(i, p)| (i as f64 + 1.0, p.value))
                .collect();
            if these.is_empty() {
                continue;
            }
            if let Ok(drawn) = chart.draw_series(
                these
                    .into_iter()
                    .map(|xy| Circle::new(xy, 4, colour.filled())),
            ) {
                drawn
                    .label(words)
                    .legend(move |(x, y)| Circle::new((x + 9, y), 4, colour.filled()));
            }
        }
        let _ = chart
            .configure_series_labels()
            .position(SeriesLabelPosition::LowerRight)
            .background_style(WHITE.mix(0.85))
            .border_style(DARK)
            .label_font(("sans-serif", 11).into_font().color(&DARK))
            .draw();
        // The Making Data Count icons, top right: variation, then assurance.
        let icons = [variation_icon(points), assurance_icon(s.assurance)];
        for (k, icon) in icons.iter().flatten().enumerate() {
            let centre = (WIDTH as i32 - 30 - 40 * k as i32, 30);
            let _ = root.draw(&Circle::new(centre, 15, icon.colour.filled()));
            let _ = root.draw(&Circle::new(centre, 15, DARK.stroke_width(1)));
            if icon.letter.is_empty() {
                // Common cause: a grey line wandering within its limits.
                let (x, y) = centre;
                let _ = root.draw(&PathElement::new(
                    [
                        (x - 9, y),
                        (x - 4, y - 4),
                        (x, y + 3),
                        (x + 4, y - 3),
                        (x + 9, y + 1),
                    ],
                    WHITE.stroke_width(2),
                ));
            } else {
                let _ = root.draw(&Text::new(
                    icon.letter,
                    (centre.0 - 5, centre.1 - 8),
                    ("sans-serif", 16).into_font().color(&WHITE),
                ));
            }
        }
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
    for icon in [variation_icon(points), assurance_icon(s.assurance)]
        .into_iter()
        .flatten()
    {
        description.push_str(&format!(" Icon: {}.", icon.words));
    }
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
            axis: "Referrals".into(),
            assurance: Assurance::HitAndMiss,
        };
        let svg = svg(&plot);
        for words in ["Monthly value", "Mean", "Process limits", "Referrals"] {
            assert!(svg.contains(words), "{words}");
        }
        assert!(svg.contains("<title>Referrals</title>"));
        assert!(svg.contains("May 2024"), "month labels on the x axis");
        assert!(svg.contains("XmR chart of 6 monthly points"));
        assert!(svg.contains(
            " Icon: Common cause variation. Icon: Hit and miss against the target. Limits leave out moving ranges above 3.267 times their mean. fewer than 12 points: limits are provisional."
        ), "{svg}");
    }

    #[test]
    fn the_icons_follow_the_latest_point_and_the_assurance() {
        let mut chart = crate::stats::spc::xmr(
            &[10.0, 12.0, 11.0, 12.0, 11.0, 40.0],
            &crate::stats::spc::SpcOptions::default(),
        );
        let icon = variation_icon(&chart.points).unwrap();
        assert_eq!(
            (icon.letter, icon.words),
            ("H", "Special cause variation (higher)")
        );
        chart.points.last_mut().unwrap().variation = Variation::Concern;
        chart.points.last_mut().unwrap().side = -1;
        let icon = variation_icon(&chart.points).unwrap();
        assert_eq!((icon.colour, icon.letter), (CONCERN, "L"));
        assert_eq!(assurance_icon(Assurance::Pass).unwrap().letter, "P");
        assert_eq!(assurance_icon(Assurance::Fail).unwrap().colour, CONCERN);
        assert!(assurance_icon(Assurance::None).is_none());
    }
}
