//! Integration tests through the real `sprout` binary.
//!
//! All integration tests live in this one binary so DataFusion is linked once.

mod audit;
mod bad_input;
mod browser;
mod cluster;
mod evaluate;
mod exchange;
#[cfg(feature = "cluster")]
mod fake_s3;
mod fuzz;
mod health;
mod ingest;
mod lookups;
mod measures;
mod pool;
mod privacy;
mod safety;
mod schema;
mod sql;
mod sql_logic;
mod strict_input;
mod structure;
mod support;
mod synth;
