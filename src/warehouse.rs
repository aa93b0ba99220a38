//! The warehouse: validated tables as Parquet files, plus `manifest.json`.
//!
//! Layout: one folder per canonical table holding one Parquet *part* per
//! ingested input file, named by the file's SHA-256. Ingesting the same file
//! again replaces its part, so rows are never duplicated. `manifest.json`
//! records the schema version, the sprout version, each input's SHA-256 and
//! row counts, and the row count of every table. Every file is written to a
//! temporary name and renamed into place.
//!
//! A warehouse is written only as a folder. It may be read from a folder or,
//! in cluster builds, from a copy in S3 or an S3-compatible store
//! ([`Location::Store`], [`store`]).

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use datafusion::arrow::array::{AsArray, RecordBatch};
use datafusion::arrow::datatypes::SchemaRef;
use datafusion::parquet::arrow::ArrowWriter;
use datafusion::parquet::arrow::ProjectionMask;
use datafusion::parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use datafusion::parquet::basic::{Compression, ZstdLevel};
use datafusion::parquet::file::properties::WriterProperties;
use datafusion::prelude::{ParquetReadOptions, SessionContext};
use serde::{Deserialize, Serialize};

use crate::atomic::{self, AtomicFile};
use crate::error::{Error, Result};
use crate::model::{self, SCHEMA_VERSION};

#[cfg(feature = "cluster")]
pub mod store;

/// A set of ids, held in one buffer ([`crate::ids::IdMap`]). Hashed with
/// foldhash: ingest looks up every row's ids, and std's SipHash spent a
/// tenth of national-scale ingest. Fixed seed: ids come from local files, and
/// nothing depends on the iteration order.
pub type Keys = crate::ids::IdMap<()>;

/// A date (Date32 days) for each id, hashed like [`Keys`].
pub type DaysOf = crate::ids::IdMap<i32>;

/// Name of the manifest file in the warehouse folder.
pub const MANIFEST: &str = "manifest.json";

/// What the warehouse holds.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Manifest {
    /// Layout version ([`SCHEMA_VERSION`]).
    pub schema_version: u32,
    /// The sprout version that last wrote the warehouse.
    pub sprout_version: String,
    /// Every ingested input, in table order then file name.
    pub inputs: Vec<InputRecord>,
    /// Rows in each table.
    pub tables: BTreeMap<String, u64>,
}

/// One ingested input file.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct InputRecord {
    /// The file name as given.
    pub file: String,
    /// Where the file was read from (absolute, links resolved): a file read
    /// again from the same place with new bytes replaces this one.
    #[serde(default)]
    pub source: String,
    /// Canonical table it was loaded into.
    pub table: String,
    /// SHA-256 of the file's bytes.
    pub sha256: String,
    /// Part name the rows were written to.
    pub part: String,
    /// Physical lines (CSV), sheet rows (Excel) or rows (Parquet) read, the
    /// header and blank lines included.
    pub lines_read: u64,
    /// Records read (blank lines excluded).
    pub rows_read: u64,
    /// Rows accepted into the table.
    pub rows_accepted: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
}

/// The part an input file with SHA-256 `sha` is written to.
pub fn part_name(sha: &str) -> String {
    format!("part-{}", &sha[..16.min(sha.len())])
}

/// The quarantine part of an input file of `table` with SHA-256 `sha`.
pub fn quarantine_part_name(table: &str, sha: &str) -> String {
    format!("{table}-{}", &sha[..16.min(sha.len())])
}

/// Where a warehouse is read from: a folder, or a copy of one in S3 or an
/// S3-compatible store, `s3://BUCKET/PATH` (read only, in cluster builds;
/// [`store`]). Anything else with a `scheme://` is refused rather than taken
/// for a folder of that name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    /// A folder on this machine (or a file system every node mounts at the
    /// same path).
    Folder(PathBuf),
    /// The objects under `prefix` (no leading or trailing `/`; empty for the
    /// bucket's top) in `bucket`.
    Store {
        /// The bucket's name.
        bucket: String,
        /// The warehouse's folder in the bucket.
        prefix: String,
    },
}

impl Location {
    /// The URL of `table`'s folder, for registering it with the engine.
    fn table_url(&self, table: &str) -> String {
        match self {
            Location::Folder(root) => format!("{}/", root.join(table).display()),
            Location::Store { .. } => format!("{self}/{table}/"),
        }
    }
}

impl FromStr for Location {
    type Err = String;

    fn from_str(text: &str) -> std::result::Result<Location, String> {
        let Some((scheme, rest)) = text.split_once("://") else {
            return Ok(Location::Folder(PathBuf::from(text)));
        };
        let wanted = "a warehouse is a folder or s3://BUCKET/PATH (S3, or an S3-compatible store named by AWS_ENDPOINT_URL)";
        if scheme != "s3" {
            return Err(format!("{text}: {scheme}:// is not read; {wanted}"));
        }
        let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
        if bucket.is_empty() {
            return Err(format!("{text}: no bucket named; {wanted}"));
        }
        Ok(Location::Store {
            bucket: bucket.to_string(),
            prefix: prefix.trim_matches('/').to_string(),
        })
    }
}

impl TryFrom<String> for Location {
    type Error = String;

    fn try_from(text: String) -> std::result::Result<Location, String> {
        text.parse()
    }
}

impl From<PathBuf> for Location {
    fn from(path: PathBuf) -> Location {
        Location::Folder(path)
    }
}

impl std::fmt::Display for Location {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Location::Folder(path) => write!(f, "{}", path.display()),
            Location::Store { bucket, prefix } if prefix.is_empty() => write!(f, "s3://{bucket}"),
            Location::Store { bucket, prefix } => write!(f, "s3://{bucket}/{prefix}"),
        }
    }
}

/// An open warehouse.
#[derive(Debug)]
pub struct Warehouse {
    location: Location,
    manifest: Manifest,
}

impl Warehouse {
    /// Open the warehouse at `root`, creating an empty one if the folder has none.
    pub fn open_or_create(root: &Path) -> Result<Warehouse> {
        if root.join(MANIFEST).exists() {
            return Warehouse::open(root);
        }
        refuse_url_as_folder(root)?;
        for table in model::TABLES {
            let dir = root.join(table.name);
            std::fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, "creating folder", e))?;
        }
        Ok(Warehouse {
            location: Location::Folder(root.to_path_buf()),
            manifest: Manifest {
                schema_version: SCHEMA_VERSION,
                sprout_version: crate::VERSION.to_string(),
                inputs: Vec::new(),
                tables: BTreeMap::new(),
            },
        })
    }

    /// Open an existing warehouse folder.
    pub fn open(root: &Path) -> Result<Warehouse> {
        refuse_url_as_folder(root)?;
        let location = Location::Folder(root.to_path_buf());
        let text = std::fs::read_to_string(root.join(MANIFEST)).map_err(|_| {
            Error::warehouse(
                &location,
                "no manifest.json here; create the warehouse with `sprout ingest --warehouse DIR FILES…`",
            )
        })?;
        Warehouse::with_manifest(location, &text)
    }

    /// Open an existing warehouse wherever it is: a folder, or (cluster
    /// builds) a copy in an object store, whose manifest is read there.
    pub async fn open_at(location: &Location) -> Result<Warehouse> {
        match location {
            Location::Folder(root) => Warehouse::open(root),
            #[cfg(feature = "cluster")]
            Location::Store { .. } => {
                let text = store::read_manifest(location).await?;
                Warehouse::with_manifest(location.clone(), &text)
            }
            #[cfg(not(feature = "cluster"))]
            Location::Store { .. } => Err(Error::warehouse(
                location,
                "this sprout was built without object store support; install it with `cargo install --locked --path . --features cluster` (README, \"On a cluster\"), or copy the warehouse into a folder",
            )),
        }
    }

    /// The warehouse at `location` whose manifest reads `text`, refused when
    /// damaged or of another layout version.
    fn with_manifest(location: Location, text: &str) -> Result<Warehouse> {
        let manifest: Manifest = serde_json::from_str(text).map_err(|e| {
            Error::warehouse(
                &location,
                format!("manifest.json is damaged ({e}); ingest again into a new folder"),
            )
        })?;
        if manifest.schema_version != SCHEMA_VERSION {
            return Err(Error::warehouse(
                &location,
                format!(
                    "layout version {} was written by sprout {}; this sprout reads version {SCHEMA_VERSION}: ingest the extracts again into a new folder",
                    manifest.schema_version, manifest.sprout_version
                ),
            ));
        }
        Ok(Warehouse { location, manifest })
    }

    /// Where the warehouse is.
    pub fn location(&self) -> &Location {
        &self.location
    }

    /// The warehouse's folder, for writing: a warehouse in an object store
    /// is read only.
    fn folder(&self) -> Result<&Path> {
        match &self.location {
            Location::Folder(root) => Ok(root),
            Location::Store { .. } => Err(Error::warehouse(
                &self.location,
                "a warehouse in an object store is read only; ingest into a folder and copy it there",
            )),
        }
    }

    /// What the warehouse holds.
    pub fn manifest(&self) -> &Manifest {
        &self.manifest
    }

    /// Path of a table's part.
    fn part_path(&self, table: &str, part: &str) -> Result<PathBuf> {
        Ok(self.folder()?.join(table).join(format!("{part}.parquet")))
    }

    /// Start writing a part of `table`; it replaces any part of the same name on commit.
    pub fn part_writer(&self, table: &str, part: &str, schema: SchemaRef) -> Result<PartWriter> {
        PartWriter::create(&self.part_path(table, part)?, schema)
    }

    /// The values of `column` in every part of `table` except `except`.
    pub fn keys(&self, table: &str, column: &str, except: Option<&str>) -> Result<Keys> {
        let mut keys = Keys::default();
        for path in self.parts(table)? {
            if except.is_some_and(|e| path.file_stem().is_some_and(|s| s == e)) {
                continue;
            }
            read_columns(&path, &[column], |batch| {
                let values = batch.column(0).as_string::<i32>();
                keys.extend(values.iter().flatten());
            })?;
        }
        Ok(keys)
    }

    /// The date in `column` of each `key` of `table`, where there is one.
    pub fn days_of(&self, table: &str, key: &str, column: &str) -> Result<DaysOf> {
        let mut days = DaysOf::default();
        for path in self.parts(table)? {
            read_columns(&path, &[key, column], |batch| {
                let ids = batch.column(0).as_string::<i32>();
                let dates = batch
                    .column(1)
                    .as_primitive::<datafusion::arrow::datatypes::Date32Type>();
                for (id, date) in ids.iter().zip(dates.iter()) {
                    if let (Some(id), Some(date)) = (id, date) {
                        days.insert(id, date);
                    }
                }
            })?;
        }
        Ok(days)
    }

    /// The Parquet parts of `table`, sorted by name.
    fn parts(&self, table: &str) -> Result<Vec<PathBuf>> {
        let dir = self.folder()?.join(table);
        let mut parts = Vec::new();
        let entries = match std::fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(parts),
            Err(e) => return Err(Error::io(&dir, "listing", e)),
        };
        for entry in entries {
            let path = entry.map_err(|e| Error::io(&dir, "listing", e))?.path();
            if path.extension().is_some_and(|x| x == "parquet") {
                parts.push(path);
            }
        }
        parts.sort();
        Ok(parts)
    }

    /// Remove an ingested input: its rows (its part, and the needs rows
    /// derived from a referrals file), its quarantined rows and its record.
    /// Used when a corrected version of the file replaces it.
    pub fn forget(&mut self, input: &InputRecord) -> Result<()> {
        let mut parts = vec![
            self.part_path(&input.table, &input.part)?,
            self.part_path(
                "quarantine",
                &quarantine_part_name(&input.table, &input.sha256),
            )?,
        ];
        if input.table == "referrals" {
            parts.push(self.part_path("referral_needs", &input.part)?);
        }
        for path in parts {
            match std::fs::remove_file(&path) {
                Ok(()) => {}
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(e) => return Err(Error::io(&path, "removing", e)),
            }
        }
        self.manifest.inputs.retain(|i| i != input);
        Ok(())
    }

    /// Record an ingested input, replacing an earlier record of the same part.
    pub fn record(&mut self, input: InputRecord) {
        self.manifest
            .inputs
            .retain(|i| !(i.table == input.table && i.part == input.part));
        self.manifest.inputs.push(input);
        let order = |t: &str| model::TABLES.iter().position(|x| x.name == t);
        self.manifest
            .inputs
            .sort_by(|a, b| (order(&a.table), &a.file).cmp(&(order(&b.table), &b.file)));
    }

    /// Recount every table and write `manifest.json`.
    pub fn save(&mut self) -> Result<()> {
        let mut tables = BTreeMap::new();
        for table in model::TABLES {
            let mut rows = 0u64;
            for path in self.parts(table.name)? {
                let file = File::open(&path).map_err(|e| Error::io(&path, "opening", e))?;
                let builder = ParquetRecordBatchReaderBuilder::try_new(file)
                    .map_err(|e| Error::file(&path, "reading", e))?;
                rows += builder.metadata().file_metadata().num_rows() as u64;
            }
            tables.insert(table.name.to_string(), rows);
        }
        self.manifest.tables = tables;
        self.manifest.sprout_version = crate::VERSION.to_string();
        let mut json = serde_json::to_string_pretty(&self.manifest)
            .map_err(|e| Error::warehouse(&self.location, e.to_string()))?;
        json.push('\n');
        atomic::write(&self.folder()?.join(MANIFEST), json.as_bytes())
    }

    /// Register every canonical table with `ctx` under its own name (and,
    /// for a warehouse in an object store, the store it is read through).
    pub async fn register(&self, ctx: &SessionContext) -> Result<()> {
        match &self.location {
            Location::Folder(root) => {
                for table in model::TABLES {
                    let dir = root.join(table.name);
                    std::fs::create_dir_all(&dir)
                        .map_err(|e| Error::io(&dir, "creating folder", e))?;
                }
            }
            #[cfg(feature = "cluster")]
            Location::Store { .. } => store::register(ctx, &self.location)?,
            #[cfg(not(feature = "cluster"))]
            Location::Store { .. } => self.folder().map(|_| ())?,
        }
        for table in model::TABLES {
            let schema = table.schema();
            let options = ParquetReadOptions::default().schema(&schema);
            let url = self.location.table_url(table.name);
            ctx.register_parquet(table.name, &url, options).await?;
        }
        Ok(())
    }

    /// The first table whose rows, counted by `ctx`'s engine, differ from
    /// the manifest's count, as (table, rows counted, rows in the manifest):
    /// a warehouse copied only in part, or read at a path holding other
    /// files, is told before any measure runs.
    pub async fn first_miscounted(
        &self,
        ctx: &SessionContext,
    ) -> std::result::Result<Option<(String, u64, u64)>, datafusion::error::DataFusionError> {
        for (table, expected) in &self.manifest.tables {
            let batches = ctx
                .sql(&format!("SELECT count(*) FROM \"{table}\""))
                .await?
                .collect()
                .await?;
            let counted = batches
                .first()
                .filter(|b| b.num_rows() > 0)
                .and_then(|b| {
                    b.column(0)
                        .as_primitive_opt::<datafusion::arrow::datatypes::Int64Type>()
                        .map(|c| c.value(0))
                })
                .map_or(0, |n| u64::try_from(n).unwrap_or_default());
            if counted != *expected {
                return Ok(Some((table.clone(), counted, *expected)));
            }
        }
        Ok(None)
    }
}

/// A folder path that is a URL (`s3://…` given to a command that writes a
/// folder) is refused, rather than made into a folder named `s3:`.
pub fn refuse_url_as_folder(root: &Path) -> Result<()> {
    match root.to_str().map(str::parse::<Location>) {
        Some(Ok(Location::Folder(_))) | None => Ok(()),
        Some(Ok(location @ Location::Store { .. })) => Err(Error::warehouse(
            &location,
            "sprout ingests into a folder only; ingest into a folder, then copy it to the store (for example `aws s3 sync DIR s3://BUCKET/PATH`) and read it from there with --warehouse s3://BUCKET/PATH",
        )),
        Some(Err(problem)) => Err(Error::warehouse(&Location::Folder(root.into()), problem)),
    }
}

/// Read `columns` of the Parquet file at `path`, batch by batch, each batch's
/// columns in the order asked; a file without all of them is skipped.
fn read_columns(path: &Path, columns: &[&str], mut each: impl FnMut(&RecordBatch)) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| Error::file(path, "reading", e.to_string());
    let file = File::open(path).map_err(|e| Error::io(path, "opening", e))?;
    let builder = ParquetRecordBatchReaderBuilder::try_new(file).map_err(|e| failed(&e))?;
    let fields = builder.schema().fields();
    let Some(indices) = columns
        .iter()
        .map(|c| fields.iter().position(|f| f.name() == c))
        .collect::<Option<Vec<usize>>>()
    else {
        return Ok(());
    };
    let mask = ProjectionMask::roots(builder.parquet_schema(), indices.iter().copied());
    let reader = builder
        .with_projection(mask)
        .build()
        .map_err(|e| failed(&e))?;
    // The projection keeps the file's column order; put them in the order asked.
    let mut sorted = indices.clone();
    sorted.sort_unstable();
    let order: Vec<usize> = indices
        .iter()
        .map(|i| sorted.iter().position(|s| s == i).unwrap_or(0))
        .collect();
    for batch in reader {
        let batch = batch.map_err(|e| failed(&e))?;
        let batch = batch.project(&order).map_err(|e| failed(&e))?;
        each(&batch);
    }
    Ok(())
}

/// Writes one Parquet part; it appears only on [`PartWriter::commit`].
pub struct PartWriter {
    file: AtomicFile,
    writer: ArrowWriter<File>,
    rows: u64,
    target: PathBuf,
}

impl PartWriter {
    /// Start a Parquet file at `target` with `schema` (zstd-compressed).
    pub fn create(target: &Path, schema: SchemaRef) -> Result<PartWriter> {
        let (file, buffered) = AtomicFile::create(target)?;
        let inner = buffered
            .into_inner()
            .map_err(|e| Error::io(target, "creating", e.into_error()))?;
        let props = WriterProperties::builder()
            .set_compression(Compression::ZSTD(ZstdLevel::default()))
            .build();
        let writer = ArrowWriter::try_new(inner, schema, Some(props))
            .map_err(|e| Error::file(target, "writing", e))?;
        Ok(PartWriter {
            file,
            writer,
            rows: 0,
            target: target.to_path_buf(),
        })
    }

    /// Append a batch.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        self.rows += batch.num_rows() as u64;
        self.writer
            .write(batch)
            .map_err(|e| Error::file(&self.target, "writing", e))
    }

    /// Rows written so far.
    pub fn rows(&self) -> u64 {
        self.rows
    }

    /// Finish the file and move it into place.
    pub fn commit(mut self) -> Result<()> {
        let file = self
            .writer
            .into_inner()
            .map_err(|e| Error::file(&self.target, "writing", e))?;
        file.sync_all()
            .map_err(|e| Error::io(self.file.temp_path(), "syncing", e))?;
        drop(file);
        self.file.rename()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_location_is_a_folder_or_an_s3_prefix_and_nothing_else() {
        let store = |bucket: &str, prefix: &str| Location::Store {
            bucket: bucket.into(),
            prefix: prefix.into(),
        };
        assert_eq!(
            "wh/x".parse::<Location>(),
            Ok(Location::Folder("wh/x".into()))
        );
        assert_eq!(
            "s3://nhs-sp/warehouses/2026/".parse::<Location>(),
            Ok(store("nhs-sp", "warehouses/2026"))
        );
        assert_eq!("s3://nhs-sp".parse::<Location>(), Ok(store("nhs-sp", "")));
        assert_eq!(store("nhs-sp", "").to_string(), "s3://nhs-sp");
        assert_eq!(store("b", "a/w").to_string(), "s3://b/a/w");
        assert_eq!(
            store("b", "a/w").table_url("referrals"),
            "s3://b/a/w/referrals/"
        );
        assert_eq!(
            Location::Folder("/data/wh".into()).table_url("referrals"),
            "/data/wh/referrals/"
        );
        for wrong in [
            "s3://",
            "s3:///x",
            "gs://b/w",
            "https://host/w",
            "file:///w",
        ] {
            let error = wrong.parse::<Location>().expect_err(wrong);
            assert!(error.contains("s3://BUCKET/PATH"), "{error}");
        }
    }

    #[test]
    fn a_warehouse_in_a_store_is_never_written() {
        let warehouse = Warehouse {
            location: "s3://b/w".parse().unwrap(),
            manifest: Manifest {
                schema_version: SCHEMA_VERSION,
                sprout_version: String::new(),
                inputs: Vec::new(),
                tables: BTreeMap::new(),
            },
        };
        let error = warehouse
            .part_writer("referrals", "part-0", model::TABLES[0].schema())
            .err()
            .unwrap()
            .to_string();
        assert!(error.contains("read only"), "{error}");
        assert!(refuse_url_as_folder(Path::new("s3://b/w")).is_err());
        assert!(refuse_url_as_folder(Path::new("out/wh")).is_ok());
    }
}
