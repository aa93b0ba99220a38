//! Pooling published evaluations across schemes (`sprout pool`): each
//! evaluation's `results.json` ([`results`]) carries its disclosure-safe
//! headline estimates, and comparable estimates from many schemes are
//! combined by random-effects meta-analysis ([`crate::stats::meta`]).

pub mod results;
