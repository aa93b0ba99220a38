//! The query engine: a DataFusion session with every warehouse table
//! registered, its partitions and memory bound and a log of the measure
//! queries it ran, the runtime queries run on, and the C allocator's settings.

use std::num::NonZeroUsize;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use datafusion::execution::memory_pool::{
    GreedyMemoryPool, MemoryConsumer, MemoryLimit, MemoryPool, MemoryReservation,
    TrackConsumersPool, UnboundedMemoryPool,
};
use datafusion::execution::runtime_env::RuntimeEnvBuilder;
use datafusion::prelude::{SessionConfig, SessionContext};

use crate::error::Result;
use crate::warehouse::{Location, Warehouse};

pub mod binding;
pub mod cluster;

/// How queries run: how many partitions (threads), how much memory, and
/// whether on a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Engine {
    /// Query partitions; set explicitly so that results do not depend on the machine.
    pub target_partitions: usize,
    /// Bound on DataFusion's memory pool in bytes (`--memory-limit`). Sorts,
    /// aggregations and joins that would exceed it spill to temporary files
    /// instead; `None` leaves the pool unbounded.
    pub memory_limit: Option<u64>,
    /// Run the measure queries on a Ballista cluster ([`cluster`]); the
    /// partitions and memory limit above are then the cluster's partitions
    /// and the client's own pool.
    pub cluster: Option<cluster::Cluster>,
}

/// A session with every warehouse table registered; with a cluster, one
/// whose queries run there ([`cluster::connect`]).
///
/// With a memory limit the pool is DataFusion's `GreedyMemoryPool` (first
/// come, first served: sorts and aggregations spill when it is full; a fair
/// pool's equal shares were too small for one final aggregation's first step at
/// national scale) in which no one consumer may hold more than its share
/// ([`Pool`]), wrapped to name the largest consumers if a query still runs
/// out; joins become sort-merge joins and batches smaller (see below). Spill
/// files go to the system's temporary folder (`TMPDIR`). Either way the pool
/// keeps its high-water mark for `--timings` ([`pool_peak`]).
pub async fn session(warehouse: &Warehouse, engine: Engine) -> Result<SessionContext> {
    // DATAFUSION_* environment variables tune the engine (for example
    // DATAFUSION_EXECUTION_BATCH_SIZE); partitions are always set here.
    let mut config = SessionConfig::from_env()?
        .with_target_partitions(engine.target_partitions.max(1))
        .with_information_schema(true)
        .with_extension(Arc::new(QueryLog::default()));
    let mut pool = Pool::unshared(Arc::new(UnboundedMemoryPool::default()));
    if let Some(limit) = engine.memory_limit {
        // Hash joins cannot spill in DataFusion 55: under a limit, joins are
        // sort-merge joins (whose sorts spill), and batches are a quarter of
        // the default so that merging many spill files stays within the pool.
        // Slower (BENCHMARKS.md has the national-scale run and where it stands).
        // Each sort also reserves room for its final merge up front (10 MB by
        // default); a query has many sorts, so the reservation shrinks with
        // the pool (a 64th of it at most).
        config.options_mut().optimizer.prefer_hash_join = false;
        let options = &mut config.options_mut().execution;
        options.sort_spill_reservation_bytes = options
            .sort_spill_reservation_bytes
            .min(usize::try_from(limit / 64).unwrap_or(usize::MAX));
        config = config.with_batch_size(MEMORY_LIMITED_BATCH_ROWS);
        // As DataFusion's own `with_memory_limit`: a GreedyMemoryPool naming
        // its top five consumers; here with a share for each consumer.
        let limit = usize::try_from(limit).unwrap_or(usize::MAX);
        pool = Pool::shared(
            Arc::new(TrackConsumersPool::new(
                GreedyMemoryPool::new(limit),
                NonZeroUsize::new(5).expect("five is not zero"),
            )),
            limit,
            engine.target_partitions,
        );
    }
    let runtime = RuntimeEnvBuilder::new()
        .with_memory_pool(Arc::new(pool))
        .build_arc()?;
    let ctx = SessionContext::new_with_config_rt(config, runtime);
    warehouse.register(&ctx).await?;
    match &engine.cluster {
        None if matches!(warehouse.location(), Location::Store { .. }) => {
            check_copy(&ctx, warehouse).await?;
            Ok(ctx)
        }
        None => Ok(ctx),
        Some(on) => cluster::connect(ctx, on, warehouse).await,
    }
}

/// Refuse a warehouse in an object store whose tables' rows differ from its
/// manifest's (a copy made only in part, or still under way). A cluster
/// checks the same on its executors ([`cluster::connect`]).
async fn check_copy(ctx: &SessionContext, warehouse: &Warehouse) -> Result<()> {
    let location = warehouse.location();
    match warehouse.first_miscounted(ctx).await {
        Ok(None) => Ok(()),
        Ok(Some((table, counted, expected))) => Err(crate::error::Error::warehouse(
            location,
            format!(
                "{counted} rows of {table} are there, where its manifest.json says {expected}: the copy is not whole; copy the folder again, the manifest last"
            ),
        )),
        Err(e) => Err(crate::error::Error::warehouse(
            location,
            format!("cannot read its tables ({e}); check the AWS_* environment variables"),
        )),
    }
}

/// One run of a measure file.
#[derive(Debug, Clone, serde::Serialize, PartialEq)]
pub struct QueryTiming {
    /// The file's stem in `queries/`.
    pub query: &'static str,
    /// The values of the parameters its SQL names (`sprout queries` writes
    /// the same queries with the same values).
    #[serde(skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub parameters: std::collections::BTreeMap<String, binding::Literal>,
    /// Wall time from planning to the last row, in seconds; for a query whose
    /// rows are handed over as they arrive, including sprout's reading of them.
    pub seconds: f64,
    /// Rows returned.
    pub rows: usize,
    /// Where the query was answered, when the session is on a cluster.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub answered: Option<cluster::Answered>,
}

/// The measure queries a session has run and not yet reported: kept in the
/// session's configuration ([`crate::engine::session`]), added to by
/// [`crate::measures::query::Query`], taken at each lap of the stopwatch ([`crate::stages`]).
#[derive(Debug, Default)]
pub struct QueryLog(std::sync::Mutex<Vec<QueryTiming>>);

impl QueryLog {
    /// The log of `ctx`'s session (`None` for a session not made by
    /// [`crate::engine::session`]).
    pub fn of(ctx: &datafusion::prelude::SessionContext) -> Option<std::sync::Arc<QueryLog>> {
        ctx.state_ref().read().config().get_extension::<QueryLog>()
    }

    /// Note that `binding`'s query returned `rows` rows after `seconds`
    /// (`answered` where, on a cluster).
    pub fn record(
        &self,
        (query, binding): (&'static str, binding::Binding),
        seconds: f64,
        rows: usize,
        answered: Option<cluster::Answered>,
    ) {
        self.entries().push(QueryTiming {
            query,
            parameters: binding.parameters,
            seconds,
            rows,
            answered,
        });
    }

    /// The queries recorded since the last call.
    pub(crate) fn take(&self) -> Vec<QueryTiming> {
        std::mem::take(&mut *self.entries())
    }

    fn entries(&self) -> std::sync::MutexGuard<'_, Vec<QueryTiming>> {
        // A panic elsewhere while the lock was held leaves whole entries.
        self.0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

/// For a command that runs queries on `partitions` partitions, have the C
/// allocator (glibc) keep at most one arena per partition (two at least),
/// as `MALLOC_ARENA_MAX` would. glibc gives threads that allocate at once
/// arenas of their own (up to eight per core), and memory freed in one arena
/// is reused only by allocations in it: a national run's memory freed by one
/// stage's threads then stays resident while the next stage's threads
/// allocate afresh. Measured at national scale (`sprout measures
/// --memory-limit 1GiB`): 2.45 GB resident at peak, 1.99 GB with two arenas,
/// 1.82 GB when each stage's freed pages are also given back
/// ([`return_freed_memory`]); without a limit, 3.4 GB to 2.4 GB. Call before
/// any thread starts; elsewhere than glibc it does nothing.
pub fn few_allocator_arenas(partitions: usize) {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        let arenas = i32::try_from(partitions.max(2)).unwrap_or(i32::MAX);
        #[allow(unsafe_code)]
        // SAFETY: mallopt only sets an allocator parameter (under the
        // allocator's own lock); no memory is touched and no pointer passed.
        unsafe {
            libc::mallopt(libc::M_ARENA_MAX, arenas);
        }
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    let _ = partitions;
    ALLOCATOR_BOUNDED.store(true, Ordering::Relaxed);
}

/// Whether [`few_allocator_arenas`] bounded the allocator.
static ALLOCATOR_BOUNDED: std::sync::atomic::AtomicBool = std::sync::atomic::AtomicBool::new(false);

/// After [`few_allocator_arenas`], hand the pages the C allocator holds free
/// back to the system (glibc's `malloc_trim`), between stages: what one
/// stage freed inside its arenas otherwise stays resident beside what the
/// next stage allocates. Elsewhere it does nothing.
pub fn return_freed_memory() {
    if !ALLOCATOR_BOUNDED.load(Ordering::Relaxed) {
        return;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    #[allow(unsafe_code)]
    // SAFETY: malloc_trim only releases free pages the allocator holds
    // (under its own locks); no pointer is passed.
    unsafe {
        libc::malloc_trim(0);
    }
}

/// Rows per batch when the memory pool is bounded (DataFusion's default is 8,192).
const MEMORY_LIMITED_BATCH_ROWS: usize = 2048;

/// The most a session's memory pool (`ctx.runtime_env().memory_pool`) has
/// held since the last call, in bytes (then the mark restarts from what it
/// holds now); `None` for the pool of a session not made by [`session`].
pub fn pool_peak(pool: &dyn MemoryPool) -> Option<u64> {
    let pool: &dyn std::any::Any = pool;
    let pool = pool.downcast_ref::<Pool>()?;
    let peak = pool.peak.swap(pool.inner.reserved(), Ordering::Relaxed);
    u64::try_from(peak).ok()
}

/// The part of a bounded pool (one in this many bytes) that consumers
/// which can spill (sorts, aggregations) leave for those which cannot (the
/// merges of spilled runs, join buffers), for [`Pool`].
const UNSPILLABLE_RESERVE: usize = 4;

/// Consumers that may be busy at once in each partition, for [`Pool`]'s shares:
/// a sort filling, the sort feeding it merging its spill files, and an
/// aggregation or exchange beside them.
const CONSUMERS_PER_PARTITION: usize = 4;

/// The pool a session's operators reserve memory from: its inner pool,
/// remembering the most that pool has held (what DataFusion's operators
/// reserved, beside the process's resident memory, which also holds
/// sprout's own data), and under a limit giving each consumer a share.
///
/// With a share, no one consumer (a sort, a merge, an aggregation) may hold
/// more than
///
/// share = limit / (CONSUMERS_PER_PARTITION × partitions)
///
/// First come, first served alone lets the first sort of a query take the
/// whole pool; the next sort then cannot hold even one batch (DataFusion
/// fails the query: "Not enough memory to continue external sort"), and a
/// sort that spilled in many small runs merges them with a reservation
/// that grows while the pool has room, starving the next. With a share, a
/// sort spills when it reaches its share and a merge of spill files reads
/// as many runs at once as its share holds (merging in more passes). A
/// consumer holding nothing may take more than its share in one step (one
/// batch larger than a share under a small limit), so that it can go on;
/// the pool's limit still holds.
///
/// Consumers that can spill also leave a quarter of the pool to those that
/// cannot ([`UNSPILLABLE_RESERVE`]): a query with many sorts at once (its
/// sort-merge joins sort both sides) otherwise fills the pool with sorts
/// that could have spilled, and the merge of one of them, which cannot,
/// finds no room for its next batch (tier XL under 2 GiB failed so).
#[derive(Debug)]
struct Pool {
    inner: Arc<dyn MemoryPool>,
    peak: AtomicUsize,
    share: Option<Share>,
}

/// One consumer's share of a bounded pool ([`Pool`]), and what consumers
/// that can spill may hold together.
#[derive(Debug, Clone, Copy)]
struct Share {
    bytes: usize,
    limit: usize,
    spillable: usize,
}

impl Pool {
    /// `inner` with its high-water mark kept, every consumer free to take what it holds.
    fn unshared(inner: Arc<dyn MemoryPool>) -> Pool {
        Pool {
            inner,
            peak: AtomicUsize::new(0),
            share: None,
        }
    }

    /// `inner`, bounded at `limit` bytes, shared among the consumers of `partitions` partitions.
    fn shared(inner: Arc<dyn MemoryPool>, limit: usize, partitions: usize) -> Pool {
        Pool {
            share: Some(Share {
                bytes: limit / (CONSUMERS_PER_PARTITION * partitions.max(1)),
                limit,
                spillable: limit - limit / UNSPILLABLE_RESERVE,
            }),
            ..Pool::unshared(inner)
        }
    }

    fn mark(&self) {
        self.peak
            .fetch_max(self.inner.reserved(), Ordering::Relaxed);
    }
}

impl std::fmt::Display for Pool {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

impl MemoryPool for Pool {
    fn name(&self) -> &str {
        self.inner.name()
    }

    fn register(&self, consumer: &MemoryConsumer) {
        self.inner.register(consumer);
    }

    fn unregister(&self, consumer: &MemoryConsumer) {
        self.inner.unregister(consumer);
    }

    fn grow(&self, reservation: &MemoryReservation, additional: usize) {
        self.inner.grow(reservation, additional);
        self.mark();
    }

    fn shrink(&self, reservation: &MemoryReservation, shrink: usize) {
        self.inner.shrink(reservation, shrink);
    }

    fn try_grow(
        &self,
        reservation: &MemoryReservation,
        additional: usize,
    ) -> datafusion::error::Result<()> {
        let held = reservation.size();
        if let Some(share) = self.share
            && held > 0
        {
            let consumer = reservation.consumer();
            if held.saturating_add(additional) > share.bytes {
                return Err(datafusion::error::DataFusionError::ResourcesExhausted(
                    format!(
                        "{} would hold {} bytes, more than one consumer's share ({} bytes) \
                         of the {}-byte memory limit; raise --memory-limit",
                        consumer.name(),
                        held.saturating_add(additional),
                        share.bytes,
                        share.limit
                    ),
                ));
            }
            if consumer.can_spill()
                && self.inner.reserved().saturating_add(additional) > share.spillable
            {
                return Err(datafusion::error::DataFusionError::ResourcesExhausted(
                    format!(
                        "{} can spill, and would fill the pool beyond {} bytes of the \
                         {}-byte memory limit (the rest is kept for consumers that cannot \
                         spill); raise --memory-limit",
                        consumer.name(),
                        share.spillable,
                        share.limit
                    ),
                ));
            }
        }
        self.inner.try_grow(reservation, additional)?;
        self.mark();
        Ok(())
    }

    fn reserved(&self) -> usize {
        self.inner.reserved()
    }

    fn memory_limit(&self) -> MemoryLimit {
        self.inner.memory_limit()
    }
}

/// Parse a memory size: whole bytes, or a number with a unit (`KiB`, `MiB`,
/// `GiB`, `TiB`, or `K`, `M`, `G`, `T` meaning the same powers of 1,024),
/// e.g. `1GiB`, `512M`, `1.5G`.
pub fn parse_memory_size(text: &str) -> std::result::Result<u64, String> {
    let trimmed = text.trim();
    let split = trimmed
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(trimmed.len());
    let (number, unit) = trimmed.split_at(split);
    let power = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 0,
        "k" | "kb" | "kib" => 1,
        "m" | "mb" | "mib" => 2,
        "g" | "gb" | "gib" => 3,
        "t" | "tb" | "tib" => 4,
        _ => {
            return Err(format!(
                "'{text}' is not a memory size; write e.g. 1GiB, 512MiB or 2G"
            ));
        }
    };
    let value: f64 = number
        .parse()
        .map_err(|_| format!("'{text}' is not a memory size; write e.g. 1GiB, 512MiB or 2G"))?;
    let bytes = value * 1024f64.powi(power);
    if !(bytes >= 1.0 && bytes < 2f64.powi(63)) {
        return Err(format!("'{text}' is not a usable memory size"));
    }
    Ok(bytes as u64)
}

/// A query runtime with `threads` worker threads.
pub fn runtime(threads: usize) -> Result<tokio::runtime::Runtime> {
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    builder.worker_threads(threads.max(1));
    // A cluster session talks gRPC and keeps time (Ballista's clients and,
    // with `standalone`, its scheduler and executors).
    #[cfg(feature = "cluster")]
    builder.enable_all();
    builder
        .build()
        .map_err(|e| crate::error::Error::Usage(format!("cannot start the query runtime: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two sorts share a bounded pool. First come, first served alone (as
    /// before shares) lets the first fill the pool, and the second cannot
    /// hold even one batch; with shares the first is refused at its share
    /// (so it spills) and the second still gets room.
    #[test]
    fn one_consumer_cannot_starve_the_next() {
        let limit = 1 << 20;
        let batch = 64 << 10;
        let fill = |pool: Arc<dyn MemoryPool>| {
            let first = MemoryConsumer::new("first sort")
                .with_can_spill(true)
                .register(&pool);
            while first.try_grow(batch).is_ok() {}
            let second = MemoryConsumer::new("second sort")
                .with_can_spill(true)
                .register(&pool);
            (first.size(), second.try_grow(batch).is_ok())
        };
        let greedy: Arc<dyn MemoryPool> = Arc::new(GreedyMemoryPool::new(limit));
        assert_eq!(fill(greedy), (limit, false));
        let shared: Arc<dyn MemoryPool> = Arc::new(Pool::shared(
            Arc::new(GreedyMemoryPool::new(limit)),
            limit,
            2,
        ));
        assert_eq!(fill(shared), (limit / 8, true));
    }

    /// A consumer holding nothing may take more than its share in one step
    /// (one large batch), never more than the pool.
    #[test]
    fn an_empty_consumer_may_take_one_step_beyond_its_share() {
        let limit = 1 << 20;
        let pool: Arc<dyn MemoryPool> = Arc::new(Pool::shared(
            Arc::new(GreedyMemoryPool::new(limit)),
            limit,
            2,
        ));
        let sort = MemoryConsumer::new("sort").register(&pool);
        assert!(sort.try_grow(limit / 2).is_ok());
        let error = sort.try_grow(1).expect_err("beyond its share");
        assert!(error.to_string().contains("share"), "{error}");
        sort.free();
        let other = MemoryConsumer::new("other").register(&pool);
        assert!(other.try_grow(limit + 1).is_err(), "the pool's limit holds");
    }

    /// Sorts fill the pool up to three quarters of it, then spill; a merge
    /// of spilled runs, which cannot spill, still finds room beside them.
    #[test]
    fn sorts_leave_room_for_what_cannot_spill() {
        let limit = 1 << 20;
        let step = 16 << 10;
        let pool: Arc<dyn MemoryPool> = Arc::new(Pool::shared(
            Arc::new(GreedyMemoryPool::new(limit)),
            limit,
            1,
        ));
        let sorts: Vec<_> = (0..8)
            .map(|i| {
                let sort = MemoryConsumer::new(format!("sort {i}"))
                    .with_can_spill(true)
                    .register(&pool);
                while sort.try_grow(step).is_ok() {}
                sort
            })
            .collect();
        // Three quarters, and one first step of each sort that came later.
        let held: usize = sorts.iter().map(MemoryReservation::size).sum();
        assert!(held <= limit * 3 / 4 + sorts.len() * step, "{held}");
        let merge = MemoryConsumer::new("merge").register(&pool);
        for _ in 0..8 {
            merge
                .try_grow(step)
                .expect("room kept for what cannot spill");
        }
    }

    #[test]
    fn memory_sizes_read_binary_units() {
        assert_eq!(parse_memory_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_memory_size("512M"), Ok(512 << 20));
        assert_eq!(parse_memory_size("1.5g"), Ok(3 << 29));
        assert_eq!(parse_memory_size(" 2048 "), Ok(2048));
        assert_eq!(parse_memory_size("64 KiB"), Ok(64 << 10));
    }

    #[test]
    fn memory_sizes_refuse_nonsense() {
        for bad in ["", "GiB", "1 parsec", "-1G", "0", "1.2.3M"] {
            assert!(parse_memory_size(bad).is_err(), "{bad}");
        }
    }
}
