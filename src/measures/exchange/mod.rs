//! The measure queries answered by another engine: `sprout queries` writes
//! every query a run makes, with its parameters bound, in another engine's
//! SQL ([`Dialect`]), and `sprout measures --query-results DIR` reads those
//! queries' results back in place of running them. Statistics, disclosure
//! control and rendering stay with sprout.
//!
//! Both work through one session extension, [`Exchange`], which
//! [`crate::measures::query::Query`] consults before running anything:
//!
//! - [`Exchange::Record`]: each query's [`Binding`] (its file and the values
//!   of the parameters it names) is noted and nothing runs; every result is
//!   empty. The measures bind all their queries from the period and the
//!   settings alone, before looking at any result, so this dry run notes the
//!   same queries a run over data makes (a test checks it).
//! - [`Exchange::Replay`]: each query's result is read from the Parquet file
//!   that `queries.json` names for its binding, and its columns cast to the
//!   types sprout's own engine gives that query.

mod dialect;
mod folder;
mod replay;

use std::collections::BTreeSet;
use std::path::Path;
use std::sync::{Arc, Mutex};

use datafusion::arrow::array::RecordBatch;
use datafusion::common::ScalarValue;
use datafusion::prelude::SessionContext;

pub use dialect::Dialect;
pub use folder::{MANIFEST, Manifest, result_files, write_queries};
use replay::Replay;
pub use replay::declared_tables;

use crate::engine::binding::Binding;
use crate::error::Result;

/// How a session's measure queries are answered, when not by its engine.
#[derive(Debug)]
pub enum Exchange {
    /// Note each query's binding and answer it with no rows (`sprout queries`).
    Record(Mutex<BTreeSet<Binding>>),
    /// Answer each query from the results in a queries folder.
    Replay(Replay),
}

impl Exchange {
    /// The exchange of `ctx`'s session, when its queries are answered elsewhere.
    pub fn of(ctx: &SessionContext) -> Option<Arc<Exchange>> {
        ctx.state_ref().read().config().get_extension::<Exchange>()
    }

    /// A session whose queries are noted and answered with no rows.
    pub fn recording() -> SessionContext {
        session(Exchange::Record(Mutex::new(BTreeSet::new())))
    }

    /// A session whose queries are answered from the results in `dir`.
    pub fn replaying(dir: &Path) -> Result<SessionContext> {
        Ok(session(Exchange::Replay(Replay::open(dir)?)))
    }

    /// The bindings noted so far (none when replaying).
    pub fn recorded(&self) -> BTreeSet<Binding> {
        match self {
            Exchange::Record(seen) => seen.lock().expect("not poisoned").clone(),
            Exchange::Replay(_) => BTreeSet::new(),
        }
    }

    /// The rows of the measure file `name`, whose SQL is `sql`, run with `params`.
    pub async fn answer(
        &self,
        (name, sql): (&str, &str),
        params: &[(&str, ScalarValue)],
    ) -> Result<Vec<RecordBatch>> {
        let binding = Binding::of(name, sql, params);
        match self {
            Exchange::Record(seen) => {
                seen.lock().expect("not poisoned").insert(binding);
                Ok(Vec::new())
            }
            Exchange::Replay(replay) => replay.read(sql, &binding).await,
        }
    }
}

/// A session carrying `exchange`, with no tables.
fn session(exchange: Exchange) -> SessionContext {
    let config = datafusion::prelude::SessionConfig::new()
        .with_extension(Arc::new(exchange))
        .with_extension(Arc::new(crate::engine::QueryLog::default()));
    SessionContext::new_with_config(config)
}
