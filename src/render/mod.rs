//! Render: what people see. Today, SVG charts of the benchmarking results.

pub mod charts;
