//! The measure queries on an Apache DataFusion Ballista cluster
//! (`--cluster df://HOST:PORT`, or `[engine] cluster` in the spec), built
//! with the cargo feature `cluster`.
//!
//! The client plans each measure query with sprout's session settings and
//! sends it to the Ballista scheduler, whose executors read the warehouse's
//! Parquet files and return the query's rows; statistics, disclosure control
//! and rendering stay on the client. The warehouse must therefore be at the
//! same path for the client, the scheduler and every executor (a shared file
//! system): [`connect`] counts every table's rows on the cluster before any
//! measure runs and refuses a cluster that sees other files.
//!
//! A cluster's results are trusted query by query: the equality test
//! (`tests/it/cluster.rs`) runs the sample evaluation on an in-process
//! cluster and compares every query's result with this machine's engine. A
//! query that ever differed is listed in [`RUN_LOCALLY`] and runs on the
//! client even with a cluster, so a cluster's wrong result is never
//! published. `--cluster-verify` runs every query on both and answers from
//! the client's engine where they differ, with a warning: for a first run on
//! a new cluster or a new Ballista version.

use std::str::FromStr;
use std::sync::Mutex;

use datafusion::arrow::array::RecordBatch;
use datafusion::prelude::SessionContext;

use crate::error::Result;

/// The scheduler's port when an address names none (Ballista's default).
pub const DEFAULT_SCHEDULER_PORT: u16 = 50050;

/// Where the cluster is.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[serde(try_from = "String")]
pub enum Place {
    /// A running Ballista scheduler, `df://HOST:PORT`.
    Scheduler {
        /// Host name or address.
        host: String,
        /// gRPC port (50050 when the address names none).
        port: u16,
    },
    /// A scheduler and `executors` executors started inside this process on
    /// loopback (`standalone` or `standalone:N`): real gRPC and shuffle files,
    /// no other machine. For trying the cluster path, and for its tests.
    Standalone {
        /// How many executors; the session's partitions are shared out among
        /// them as task slots.
        executors: usize,
    },
}

impl FromStr for Place {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Self, String> {
        let wrong = || {
            format!(
                "'{text}' is not a cluster address: give df://HOST:PORT (a Ballista scheduler; port {DEFAULT_SCHEDULER_PORT} when omitted) or standalone[:EXECUTORS]"
            )
        };
        if let Some(rest) = text.strip_prefix("standalone") {
            let executors = match rest.strip_prefix(':') {
                None if rest.is_empty() => 1,
                Some(n) => n
                    .parse::<usize>()
                    .ok()
                    .filter(|&n| n > 0)
                    .ok_or_else(wrong)?,
                None => return Err(wrong()),
            };
            return Ok(Place::Standalone { executors });
        }
        let rest = text.strip_prefix("df://").ok_or_else(wrong)?;
        let rest = rest.strip_suffix('/').unwrap_or(rest);
        let (host, port) = match rest.rsplit_once(':') {
            Some((host, port)) if !host.ends_with(']') || host.starts_with('[') => (
                host,
                port.parse::<u16>()
                    .ok()
                    .filter(|&p| p > 0)
                    .ok_or_else(wrong)?,
            ),
            _ => (rest, DEFAULT_SCHEDULER_PORT),
        };
        if host.is_empty() || host.contains(['/', '?', '#', '@', ' ']) {
            return Err(wrong());
        }
        Ok(Place::Scheduler {
            host: host.to_string(),
            port,
        })
    }
}

impl TryFrom<String> for Place {
    type Error = String;

    fn try_from(text: String) -> std::result::Result<Self, String> {
        text.parse()
    }
}

impl std::fmt::Display for Place {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Place::Scheduler { host, port } => write!(f, "df://{host}:{port}"),
            Place::Standalone { executors } => write!(f, "standalone:{executors}"),
        }
    }
}

/// How measure queries run on a cluster.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cluster {
    /// Where the cluster is.
    pub place: Place,
    /// Ballista's adaptive planning (joins and partition counts chosen from
    /// the shuffle files' statistics as stages finish). Off by default, unlike
    /// Ballista's: its planner never finishes three of the measure queries
    /// ([`RUN_LOCALLY`]), which then run on the client.
    pub adaptive_planning: bool,
    /// Run every measure query on the client's engine too and compare; where
    /// they differ the client's result is used and the query named in a warning.
    pub verify: bool,
    /// Partitions of each query on the cluster; `None`: the executors' total
    /// vcores as the scheduler reports them ([`scheduler_vcores`]), or for
    /// `standalone` the session's partitions.
    pub partitions: Option<usize>,
}

/// A measure file answered by the client's engine even on a cluster.
#[derive(Debug, Clone, Copy)]
pub struct RunLocally {
    /// The measure file's stem.
    pub query: &'static str,
    /// Only with Ballista's adaptive planning on.
    pub adaptive_planning_only: bool,
    /// Why: a result that differed from the client's, or a query the cluster
    /// never finished.
    pub why: &'static str,
}

/// The measure files that run on the client even on a cluster, as found
/// with Ballista 55.0.0 by the equality test (`tests/it/cluster.rs`) and the
/// tier L run (`benches/scale/cluster.py`). Both are queries its adaptive
/// planner never finishes, which is why sprout plans without it by default.
pub const RUN_LOCALLY: &[RunLocally] = &[
    RunLocally {
        query: "service_referrals",
        adaptive_planning_only: true,
        why: "never finishes with adaptive planning (a LEFT JOIN of two UNION ALLs of aggregates, on the sample data and at tier L)",
    },
    RunLocally {
        query: "organisation_names",
        adaptive_planning_only: true,
        why: "never finishes with adaptive planning at tier L (1.3 million referred people), though it does on the sample data",
    },
    RunLocally {
        query: "wellbeing_pairs",
        adaptive_planning_only: true,
        why: "never finishes with adaptive planning over days with no episodes (the change over time's earlier days on the sample data, whose referrals begin with the period), though it does over the period's",
    },
];

/// Whether `query` runs on the client on a cluster planned with
/// (`adaptive_planning`) or without Ballista's adaptive planning.
pub fn runs_locally(query: &str, adaptive_planning: bool) -> bool {
    RUN_LOCALLY
        .iter()
        .any(|r| r.query == query && (adaptive_planning || !r.adaptive_planning_only))
}

/// Where one measure query was answered, in `--timings` (absent without a cluster).
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Answered {
    /// On the cluster.
    Cluster,
    /// On the client, because the query is in [`RUN_LOCALLY`].
    Client,
    /// On both (`--cluster-verify`), with equal results.
    BothEqual,
    /// On both (`--cluster-verify`); the results differed and the client's were used.
    BothDiffered,
}

/// What a cluster session carries besides Ballista's planner: the client's
/// own session (same tables, settings and memory pool) for the queries that
/// run locally and for checking, and the queries whose results differed.
/// Kept in the cluster session's configuration; [`OnCluster::of`] finds it.
pub struct OnCluster {
    /// The client's session.
    pub local: SessionContext,
    /// Whether every query also runs on the client and is compared.
    pub verify: bool,
    /// Whether Ballista plans adaptively.
    pub adaptive_planning: bool,
    differed: Mutex<Vec<&'static str>>,
}

impl std::fmt::Debug for OnCluster {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OnCluster")
            .field("local", &self.local.session_id())
            .field("verify", &self.verify)
            .field("adaptive_planning", &self.adaptive_planning)
            .field("differed", &self.differed)
            .finish()
    }
}

impl OnCluster {
    /// The cluster side of `ctx`'s session; `None` for a session on this machine only.
    pub fn of(ctx: &SessionContext) -> Option<std::sync::Arc<OnCluster>> {
        ctx.state_ref().read().config().get_extension::<OnCluster>()
    }

    /// Whether `query` must run on the client on this cluster ([`RUN_LOCALLY`]).
    pub fn runs_locally(&self, query: &str) -> bool {
        runs_locally(query, self.adaptive_planning)
    }

    /// Compare `query`'s results from the cluster and the client; note a difference.
    pub fn compare(
        &self,
        query: &'static str,
        cluster: &[RecordBatch],
        client: &[RecordBatch],
    ) -> Result<Answered> {
        if canonical(cluster)? == canonical(client)? {
            return Ok(Answered::BothEqual);
        }
        self.differed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .push(query);
        Ok(Answered::BothDiffered)
    }

    /// A warning for each query whose results differed, in the order found.
    pub fn warnings(&self) -> Vec<String> {
        self.differed
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .iter()
            .map(|query| {
                format!(
                    "queries/{query}.sql gave different results on the cluster than on this machine; this machine's were used. Report it to sprout's maintainers with the Ballista version (it belongs in RUN_LOCALLY)"
                )
            })
            .collect()
    }
}

/// A result's canonical form: its schema and its rows in Arrow's row format,
/// sorted, so two results are equal when they hold the same rows with the
/// same types and bits, whatever the order in which the engine returned them
/// (a query without ORDER BY). Floats compare by their bits. Arrow's three
/// layouts of text (Utf8, LargeUtf8, Utf8View) count as one type, as sprout
/// reads them alike: Ballista plans text literals as Utf8 where DataFusion's
/// defaults make views.
pub fn canonical(batches: &[RecordBatch]) -> Result<(String, Vec<Vec<u8>>)> {
    use datafusion::arrow::row::{RowConverter, SortField};
    let Some(first) = batches.first() else {
        return Ok((String::new(), Vec::new()));
    };
    let schema = first.schema();
    let described = schema
        .fields()
        .iter()
        .map(|f| {
            let text = f
                .data_type()
                .to_string()
                .replace("Utf8View", "Utf8")
                .replace("LargeUtf8", "Utf8");
            format!("{}: {text} {}", f.name(), f.is_nullable())
        })
        .collect::<Vec<_>>()
        .join(", ");
    let converter = RowConverter::new(
        schema
            .fields()
            .iter()
            .map(|f| SortField::new(f.data_type().clone()))
            .collect(),
    )?;
    let mut rows = Vec::new();
    for batch in batches {
        let converted = converter.convert_columns(batch.columns())?;
        rows.extend(converted.iter().map(|row| row.as_ref().to_vec()));
    }
    rows.sort_unstable();
    Ok((described, rows))
}

/// Connect `local`'s session (tables, settings, memory pool) to `cluster`:
/// the returned session plans every query with Ballista's planner and runs it
/// on the cluster's executors. Before returning, every warehouse table's rows
/// are counted on the cluster and compared with the warehouse's manifest, so
/// a cluster that cannot read the warehouse, or reads other files at its
/// path, is refused before any measure runs.
#[cfg(feature = "cluster")]
pub async fn connect(
    local: SessionContext,
    cluster: &Cluster,
    warehouse: &crate::warehouse::Warehouse,
) -> Result<SessionContext> {
    use ballista::prelude::SessionConfigExt;
    use datafusion::execution::SessionStateBuilder;

    let partitions = match (&cluster.place, cluster.partitions) {
        (_, Some(n)) => n,
        (Place::Standalone { .. }, None) => local.copied_config().target_partitions(),
        (Place::Scheduler { host, port }, None) => {
            let (host, port) = (host.clone(), *port);
            tokio::task::spawn_blocking(move || scheduler_vcores(&host, port))
                .await
                .map_err(|e| std::io::Error::other(e.to_string()))
                .and_then(|found| found)
                .map_err(|e| crate::error::Error::Cluster {
                    address: cluster.place.to_string(),
                    problem: format!("cannot ask the scheduler how many vcores its executors have: {e}"),
                    fix: "give --partitions N (the executors' total --vcores), or start the scheduler with its REST API".into(),
                })?
        }
    };
    // Ballista's settings for distributed plans (no round-robin
    // repartitioning, sort-merge joins, …) are applied here, before any
    // scheduler sees the configuration: an in-process scheduler plans with
    // it as given, and with DataFusion's defaults a join of two joins never
    // finishes. The tables are the client session's (one catalog list,
    // shared): the new state must not register a fresh, empty default
    // catalog over it.
    let config = local
        .copied_config()
        .with_target_partitions(partitions)
        .upgrade_for_ballista()
        .with_create_default_catalog_and_schema(false)
        .with_ballista_adaptive_query_planner(cluster.adaptive_planning)
        .with_extension(std::sync::Arc::new(OnCluster {
            local: local.clone(),
            verify: cluster.verify,
            adaptive_planning: cluster.adaptive_planning,
            differed: Mutex::new(Vec::new()),
        }));
    let state = SessionStateBuilder::new_from_existing(local.state())
        .with_config(config)
        .build();
    let ctx = match &cluster.place {
        Place::Scheduler { host, port } => {
            use ballista::prelude::SessionContextExt;
            SessionContext::remote_with_state(&format!("df://{host}:{port}"), state)
                .await
                .map_err(|e| unreachable_cluster(&cluster.place, e))?
        }
        Place::Standalone { executors } => standalone(state, *executors).await?,
    };
    check_warehouse(&ctx, &cluster.place, warehouse).await?;
    Ok(ctx)
}

/// Without the cargo feature `cluster`: the command says how to build it.
#[cfg(not(feature = "cluster"))]
pub async fn connect(
    _local: SessionContext,
    cluster: &Cluster,
    _warehouse: &crate::warehouse::Warehouse,
) -> Result<SessionContext> {
    Err(crate::error::Error::Cluster {
        address: cluster.place.to_string(),
        problem: "this sprout was built without cluster support".into(),
        fix: "install it with `cargo install --locked --path . --features cluster` (README, \"On a cluster\")".into(),
    })
}

/// The executors' total vcores (task slots), from the scheduler's REST API
/// (`GET /api/executors` on its gRPC port, each executor's
/// `specification.vcores`); an error when it does not answer or has no executors.
pub fn scheduler_vcores(host: &str, port: u16) -> std::io::Result<usize> {
    use std::io::{Read, Write};
    use std::net::ToSocketAddrs;
    let timeout = std::time::Duration::from_secs(10);
    let address = (host, port)
        .to_socket_addrs()?
        .next()
        .ok_or_else(|| std::io::Error::other(format!("{host} has no address")))?;
    let mut stream = std::net::TcpStream::connect_timeout(&address, timeout)?;
    stream.set_read_timeout(Some(timeout))?;
    stream.set_write_timeout(Some(timeout))?;
    let request = format!(
        "GET /api/executors HTTP/1.1\r\nHost: {host}:{port}\r\nAccept: application/json\r\nConnection: close\r\n\r\n"
    );
    stream.write_all(request.as_bytes())?;
    let mut response = Vec::new();
    stream.take(16 << 20).read_to_end(&mut response)?;
    let response = String::from_utf8_lossy(&response);
    let (head, body) = response
        .split_once("\r\n\r\n")
        .ok_or_else(|| std::io::Error::other("the scheduler's answer is not HTTP"))?;
    let status = head.lines().next().unwrap_or_default();
    if status.split_whitespace().nth(1) != Some("200") {
        return Err(std::io::Error::other(format!(
            "GET /api/executors answered {status}"
        )));
    }
    let body = if head
        .to_ascii_lowercase()
        .contains("transfer-encoding: chunked")
    {
        unchunked(body)?
    } else {
        body.to_string()
    };
    let executors: Vec<serde_json::Value> = serde_json::from_str(&body)
        .map_err(|e| std::io::Error::other(format!("GET /api/executors: {e}")))?;
    let vcores: u64 = executors
        .iter()
        .filter_map(|e| e["specification"]["vcores"].as_u64())
        .sum();
    match usize::try_from(vcores) {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(std::io::Error::other(
            "the scheduler has no executors registered",
        )),
    }
}

/// An HTTP body sent in chunks, joined.
fn unchunked(mut body: &str) -> std::io::Result<String> {
    let wrong = || std::io::Error::other("the scheduler's chunked answer is malformed");
    let mut out = String::new();
    loop {
        let (size, rest) = body.split_once("\r\n").ok_or_else(wrong)?;
        let size = usize::from_str_radix(size.split(';').next().unwrap_or("").trim(), 16)
            .map_err(|_| wrong())?;
        if size == 0 {
            return Ok(out);
        }
        out.push_str(rest.get(..size).ok_or_else(wrong)?);
        body = rest
            .get(size..)
            .and_then(|r| r.strip_prefix("\r\n"))
            .ok_or_else(wrong)?;
    }
}

/// Start a Ballista scheduler and `executors` executors in this process, on
/// loopback ports the system chooses, the session's partitions shared out
/// among them as task slots; the session plans on them.
#[cfg(feature = "cluster")]
async fn standalone(
    state: datafusion::execution::SessionState,
    executors: usize,
) -> Result<SessionContext> {
    use ballista::extension::SessionStateExt;
    use ballista_core::serde::protobuf::scheduler_grpc_client::SchedulerGrpcClient;

    let place = Place::Standalone { executors };
    let failed = |e: &dyn std::fmt::Display| crate::error::Error::Cluster {
        address: place.to_string(),
        problem: format!("the in-process cluster did not start: {e}"),
        fix: "check that this machine allows listening on loopback ports".into(),
    };
    let address = ballista_scheduler::standalone::new_standalone_scheduler_from_state(&state)
        .await
        .map_err(|e| failed(&e))?;
    let url = format!("http://localhost:{}", address.port());
    let mut attempts = 0;
    let scheduler = loop {
        match SchedulerGrpcClient::connect(url.clone()).await {
            Ok(client) => break client,
            Err(e) if attempts >= 100 => return Err(failed(&e)),
            Err(_) => {
                attempts += 1;
                tokio::time::sleep(std::time::Duration::from_millis(50)).await;
            }
        }
    };
    let slots = state
        .config()
        .target_partitions()
        .div_ceil(executors)
        .max(1);
    for _ in 0..executors {
        ballista_executor::new_standalone_executor_from_state(scheduler.clone(), slots, &state)
            .await
            .map_err(|e| failed(&e))?;
    }
    let state = state.upgrade_for_ballista(url).map_err(|e| failed(&e))?;
    Ok(SessionContext::new_with_state(state))
}

#[cfg(feature = "cluster")]
fn unreachable_cluster(place: &Place, e: impl std::fmt::Display) -> crate::error::Error {
    crate::error::Error::Cluster {
        address: place.to_string(),
        problem: format!("cannot connect to the scheduler: {e}"),
        fix: "start it (`ballista-scheduler --bind-port PORT`, README \"On a cluster\") or correct --cluster".into(),
    }
}

/// Count every warehouse table's rows on the cluster and compare with the
/// manifest: the executors must read the same files at the same place.
#[cfg(feature = "cluster")]
async fn check_warehouse(
    ctx: &SessionContext,
    place: &Place,
    warehouse: &crate::warehouse::Warehouse,
) -> Result<()> {
    let location = warehouse.location();
    let fix = match location {
        crate::warehouse::Location::Folder(root) => format!(
            "the warehouse must be at {} for the scheduler and every executor too: put it on a file system they all mount at that path (or run them where it is), or copy it to an object store (--warehouse s3://BUCKET/PATH)",
            root.display()
        ),
        crate::warehouse::Location::Store { .. } => format!(
            "the scheduler and every executor must read {location} with the same AWS_* environment variables as this client, and the copy there must be whole (copy the folder again, the manifest last)"
        ),
    };
    match warehouse.first_miscounted(ctx).await {
        Ok(None) => Ok(()),
        Ok(Some((table, counted, expected))) => Err(crate::error::Error::Cluster {
            address: place.to_string(),
            problem: format!(
                "its executors read {counted} rows of {table} at {location}, where the warehouse holds {expected}"
            ),
            fix,
        }),
        Err(e) => {
            let message = e.to_string();
            Err(
                if message.contains("connect") || message.contains("transport") {
                    unreachable_cluster(place, message)
                } else {
                    crate::error::Error::Cluster {
                        address: place.to_string(),
                        problem: format!("its executors could not read the warehouse: {message}"),
                        fix,
                    }
                },
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn addresses_parse_with_default_port_and_refuse_others() {
        assert_eq!(
            "df://scheduler.internal:50051".parse::<Place>(),
            Ok(Place::Scheduler {
                host: "scheduler.internal".into(),
                port: 50051
            })
        );
        assert_eq!(
            "df://10.0.0.7".parse::<Place>(),
            Ok(Place::Scheduler {
                host: "10.0.0.7".into(),
                port: DEFAULT_SCHEDULER_PORT
            })
        );
        assert_eq!(
            "standalone".parse::<Place>(),
            Ok(Place::Standalone { executors: 1 })
        );
        assert_eq!(
            "standalone:2".parse::<Place>(),
            Ok(Place::Standalone { executors: 2 })
        );
        for wrong in [
            "http://host:50050",
            "df://",
            "df://host:port",
            "df://host:0",
            "standalone:0",
            "standalones",
            "df://user@host:1",
        ] {
            let error = wrong.parse::<Place>().expect_err(wrong);
            assert!(error.contains("df://HOST:PORT"), "{error}");
        }
        assert_eq!("df://h:7".parse::<Place>().unwrap().to_string(), "df://h:7");
    }

    /// A stand-in for the scheduler's REST API on loopback answering one
    /// request with `answer`.
    fn fake_scheduler(answer: &'static str) -> u16 {
        use std::io::{Read, Write};
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let port = listener.local_addr().unwrap().port();
        std::thread::spawn(move || {
            let (mut stream, _) = listener.accept().unwrap();
            let mut request = Vec::new();
            let mut byte = [0u8; 1];
            while !request.ends_with(b"\r\n\r\n") && stream.read(&mut byte).unwrap() == 1 {
                request.push(byte[0]);
            }
            assert!(request.starts_with(b"GET /api/executors HTTP/1.1\r\n"));
            stream.write_all(answer.as_bytes()).unwrap();
        });
        port
    }

    #[test]
    fn the_schedulers_executors_vcores_are_summed() {
        let port = fake_scheduler(
            "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\r\n[{\"id\":\"a\",\"specification\":{\"vcores\":8}},{\"id\":\"b\",\"specification\":{\"vcores\":4}}]",
        );
        assert_eq!(scheduler_vcores("127.0.0.1", port).unwrap(), 12);
        let port = fake_scheduler(
            "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n11\r\n[{\"specification\"\r\n9\r\n:{\"vcores\r\n6\r\n\":3}}]\r\n0\r\n\r\n",
        );
        assert_eq!(scheduler_vcores("127.0.0.1", port).unwrap(), 3);
        let port = fake_scheduler("HTTP/1.1 200 OK\r\n\r\n[]");
        let error = scheduler_vcores("127.0.0.1", port).unwrap_err();
        assert!(error.to_string().contains("no executors"), "{error}");
        let port = fake_scheduler("HTTP/1.1 404 Not Found\r\n\r\nREST API has been disabled");
        let error = scheduler_vcores("127.0.0.1", port).unwrap_err();
        assert!(error.to_string().contains("404"), "{error}");
    }

    /// Equal rows in another order are equal; one bit of a float is not.
    #[test]
    fn canonical_form_ignores_order_but_not_bits() {
        use datafusion::arrow::array::{Float64Array, StringArray};
        use std::sync::Arc;
        let batch = |names: Vec<&str>, values: Vec<f64>| {
            RecordBatch::try_from_iter(vec![
                (
                    "name",
                    Arc::new(StringArray::from(names)) as Arc<dyn datafusion::arrow::array::Array>,
                ),
                ("value", Arc::new(Float64Array::from(values)) as _),
            ])
            .unwrap()
        };
        let a = batch(vec!["x", "y"], vec![0.1 + 0.2, 1.0]);
        let b = batch(vec!["y", "x"], vec![1.0, 0.1 + 0.2]);
        let c = batch(vec!["x", "y"], vec![0.3, 1.0]);
        assert_eq!(
            canonical(std::slice::from_ref(&a)).unwrap(),
            canonical(&[b]).unwrap()
        );
        assert_ne!(
            canonical(std::slice::from_ref(&a)).unwrap(),
            canonical(&[c]).unwrap()
        );
        let (first, second) = (a.slice(0, 1), a.slice(1, 1));
        assert_eq!(
            canonical(&[second, first]).unwrap(),
            canonical(&[a]).unwrap()
        );
    }
}
