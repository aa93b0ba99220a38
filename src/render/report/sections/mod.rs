//! The report's sections, one file each: every section reads published
//! tables through [`super::cells`] and returns a [`super::Section`] (and its
//! figures) for the templates.

mod benchmark;
mod community;
mod headlines;
mod health;
mod limitations;
mod over_time;
mod person;
mod quality;
mod reach;

pub(super) use benchmark::{benchmark_sections, spc_section};
pub(super) use community::community_section;
pub(super) use headlines::headlines;
pub(super) use health::{health_figure, health_section};
pub(super) use limitations::limitations;
pub(super) use over_time::{over_time_section, trend_figures};
pub(super) use person::{person_figures, person_section};
pub(super) use quality::quality_section;
pub(super) use reach::{monthly_referrals_figure, reach_section, sources_figure};
