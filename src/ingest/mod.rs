//! Ingest: extract files in, validated warehouse tables out.
//!
//! For each input file: find its table (mapping entry, or the file stem), read
//! its rows ([`source`]), validate them ([`validate`]), write accepted rows to
//! the table's Parquet part and every rejected row to the quarantine table,
//! then record the file in the warehouse manifest. Files are processed parents
//! first (people before referrals before contacts), so references can be checked.
//! Every file's header is checked before anything is written.

pub mod checking;
pub mod context;
pub mod identity;
pub mod lookup;
pub mod mapping;
pub mod records;
pub mod runaway;
pub mod source;
pub mod validate;
pub mod values;

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use chrono::NaiveDate;
use sha2::{Digest, Sha256};

use crate::batch::{BatchBuilder, Value};
use crate::console::Console;
use crate::error::{Error, Result};
use crate::folder::paths::Named;
use crate::folder::{Access, FolderLock, Made, StagedDir, check_apart, check_replaceable};
use crate::model::{self, Origin, Storage, Table};
use crate::warehouse::{InputRecord, Keys, Warehouse, part_name, quarantine_part_name};
use checking::Judged;
use identity::Pseudonymiser;
use lookup::{AreaPopulation, ImdLookup};
use mapping::{Mapping, SourceMapping};
use source::{Format, Source};
use validate::{ReferenceCheck, RowProblem, RowValidator, SeenIds, UniqueCheck, plan_columns};
use values::DateRules;

/// Rows collected before a batch is written.
const BATCH_ROWS: usize = 64 * 1024;

/// Name of a mapping file that applies to the files of its folder.
pub const FOLDER_MAPPING: &str = "mapping.toml";

/// What to ingest and where.
#[derive(Debug, Clone)]
pub struct IngestOptions {
    /// Files, or folders whose extract files (subfolders included) are all ingested.
    pub inputs: Vec<PathBuf>,
    /// Warehouse folder (created if missing; must not overlap any input).
    pub warehouse: PathBuf,
    /// Mapping file for every input; otherwise a folder's `mapping.toml` applies to its files.
    pub mapping: Option<PathBuf>,
    /// File holding the pseudonymisation key (else the environment variable).
    pub key_file: Option<PathBuf>,
    /// Dates after this are impossible; default today.
    pub as_of: Option<NaiveDate>,
    /// The official IMD file (File 1 of the English Indices of Deprivation), as published.
    pub imd: Option<PathBuf>,
    /// The same release's population denominators file (File 6), as published.
    pub area_population: Option<PathBuf>,
    /// ODS names and ONS well-being estimates, as published.
    pub context: context::ContextFiles,
}

/// What happened to one input file.
///
/// Every physical line (CSV) or sheet row (Excel) is accounted for:
/// `lines_read = header_lines + blank_lines + lines_accepted + lines_quarantined`.
#[derive(Debug, Clone)]
pub struct FileReport {
    /// The input file.
    pub path: PathBuf,
    /// Canonical table.
    pub table: &'static str,
    /// Physical lines (CSV), sheet rows (Excel) or rows (Parquet) in the file.
    pub lines_read: u64,
    /// Lines the header takes.
    pub header_lines: u64,
    /// Lines with no values.
    pub blank_lines: u64,
    /// Lines of the accepted records.
    pub lines_accepted: u64,
    /// Lines of the quarantined records.
    pub lines_quarantined: u64,
    /// Quarantined records over more than one line, as (first, last) line (at most five).
    pub long_records: Vec<(u64, u64)>,
    /// Records read (blank lines excluded).
    pub rows_read: u64,
    /// Rows accepted.
    pub rows_accepted: u64,
    /// Rows quarantined.
    pub rows_quarantined: u64,
    /// Quarantined rows by problem kind (a row may have several).
    pub problems: BTreeMap<&'static str, u64>,
    /// What else the user should know (e.g. deciles looked up, LSOAs unmatched).
    pub notes: Vec<String>,
}

/// What an ingest did.
#[derive(Debug, Clone, Default)]
pub struct IngestReport {
    /// One entry per input file, in processing order.
    pub files: Vec<FileReport>,
}

impl IngestReport {
    /// Rows quarantined across all files.
    pub fn quarantined(&self) -> u64 {
        self.files.iter().map(|f| f.rows_quarantined).sum()
    }

    /// Physical lines read across all files.
    pub fn lines_read(&self) -> u64 {
        self.files.iter().map(|f| f.lines_read).sum()
    }
}

impl FileReport {
    /// A report of `rows` rows, all accepted, after `header_lines` header
    /// lines: a lookup, or any file before its first row is read.
    fn whole(path: &Path, table: &'static str, rows: u64, header_lines: u64) -> FileReport {
        FileReport {
            path: path.to_path_buf(),
            table,
            lines_read: rows + header_lines,
            header_lines,
            blank_lines: 0,
            lines_accepted: rows,
            lines_quarantined: 0,
            long_records: Vec::new(),
            rows_read: rows,
            rows_accepted: rows,
            rows_quarantined: 0,
            problems: BTreeMap::new(),
            notes: Vec::new(),
        }
    }

    /// Whether every line read is a header line, a blank line, or a line of
    /// an accepted or a quarantined record.
    pub fn reconciles(&self) -> bool {
        self.lines_read == self.lines_accounted_for()
    }

    /// Header, blank, accepted and quarantined lines together.
    pub fn lines_accounted_for(&self) -> u64 {
        self.header_lines + self.blank_lines + self.lines_accepted + self.lines_quarantined
    }
}

/// One input file with how to read it.
struct Plan {
    path: PathBuf,
    /// Where the file is: its absolute path, links resolved. A file ingested
    /// again from the same place with new bytes is a corrected version.
    location: String,
    /// SHA-256 of its bytes.
    sha256: String,
    mapping: SourceMapping,
    source: Source,
    validator_plans: Vec<validate::ColumnPlan>,
    has_nhs_number: bool,
}

impl IngestOptions {
    /// Every file or folder ingest reads, named for messages.
    pub fn named_inputs(&self) -> Vec<Named<'_>> {
        let mut named: Vec<Named> = self
            .inputs
            .iter()
            .map(|p| Named::new("the input", p))
            .collect();
        let optional = [
            ("the mapping file", &self.mapping),
            ("the key file", &self.key_file),
            ("the IMD file", &self.imd),
            ("the area population file", &self.area_population),
        ];
        for (role, path) in optional {
            if let Some(path) = path {
                named.push(Named::new(role, path));
            }
        }
        for (role, path) in self.context.named() {
            named.push(Named::new(role, path));
        }
        named
    }
}

/// Ingest `options.inputs` into the warehouse, all or nothing: the new parts
/// and manifest are built beside the warehouse (from hard links of its
/// current files) and swapped in whole only when every file is in, so on any
/// error the warehouse is exactly as it was. Refused before anything is read
/// when the warehouse overlaps an input, is a folder sprout did not make, or
/// is in use by another run.
pub fn ingest(options: &IngestOptions, console: &Console) -> Result<IngestReport> {
    crate::warehouse::refuse_url_as_folder(&options.warehouse)?;
    let target = Named::new("the warehouse (--warehouse)", &options.warehouse);
    check_apart(&[target], &options.named_inputs())?;
    let _lock = FolderLock::acquire(
        target,
        Access::Exclusive,
        Made::Warehouse,
        "sprout ingest",
        console,
    )?;
    check_replaceable(target, Made::Warehouse)?;
    if options.warehouse.join(crate::warehouse::MANIFEST).exists() {
        Warehouse::open(&options.warehouse)?;
    }
    let staged = StagedDir::copy_of(&options.warehouse)?;
    let report = ingest_into(options, staged.path(), console)?;
    staged.commit()?;
    Ok(report)
}

/// Ingest `options.inputs` into the warehouse folder `root` (created or added
/// to in place: the caller stages it and holds its lock).
pub fn ingest_into(
    options: &IngestOptions,
    root: &Path,
    console: &Console,
) -> Result<IngestReport> {
    let files = expand_inputs(options)?;
    let today = chrono::Local::now().date_naive();
    let as_of = options.as_of.unwrap_or(today);
    let imd = options.imd.as_deref().map(ImdLookup::load).transpose()?;
    let area_population = options
        .area_population
        .as_deref()
        .map(AreaPopulation::load)
        .transpose()?;
    let context = read_context(&options.context)?;
    let mut plans = Vec::new();
    let mut failures = Vec::new();
    // Every file's bytes hashed on every core (a national extract is
    // gigabytes), the largest first, then each planned in order.
    let size = |found: &Found| std::fs::metadata(&found.path).map_or(0, |m| m.len());
    let hashes = crate::threads::map_in_order_costliest_first(&files, size, |found| {
        sha256_file(&found.path)
    });
    for (found, sha256) in files.iter().zip(hashes) {
        match plan_file(found, sha256, imd.is_some(), console) {
            Ok(plan) => plans.push(plan),
            Err(e) => failures.push(e.to_string()),
        }
    }
    if !failures.is_empty() {
        return Err(Error::Unreadable {
            count: failures.len(),
            details: failures.join("\n"),
        });
    }
    let table_order = |t: &str| model::TABLES.iter().position(|x| x.name == t);
    plans.sort_by(|a, b| {
        (table_order(&a.mapping.table), &a.path).cmp(&(table_order(&b.mapping.table), &b.path))
    });
    let pseudonymiser = match plans.iter().find(|p| p.has_nhs_number) {
        Some(plan) => Some(
            Pseudonymiser::from_config(options.key_file.as_deref())?
                .ok_or_else(|| identity::missing_key_error(&plan.path))?,
        ),
        None => None,
    };

    let mut warehouse = Warehouse::open_or_create(root)?;
    // A file ingested before under the same name whose bytes have changed is
    // a corrected version: its earlier rows and quarantined rows go, so the
    // new rows are not taken for duplicates of the old ones.
    let mut replaced: HashMap<PathBuf, String> = HashMap::new();
    for plan in &plans {
        let earlier: Vec<InputRecord> = warehouse
            .manifest()
            .inputs
            .iter()
            .filter(|i| {
                i.table == plan.mapping.table
                    && i.source == plan.location
                    && i.sha256 != plan.sha256
            })
            .cloned()
            .collect();
        for input in earlier {
            warehouse.forget(&input)?;
            replaced.insert(plan.path.clone(), input.sha256);
        }
    }
    let mut report = IngestReport::default();
    if let (Some(path), Some(lookup)) = (&options.imd, &imd) {
        report
            .files
            .push(write_imd_lookup(path, lookup, &mut warehouse)?);
    }
    if let (Some(path), Some(population)) = (&options.area_population, &area_population) {
        report
            .files
            .push(write_area_population(path, population, &mut warehouse)?);
    }
    report
        .files
        .extend(write_context(&options.context, &context, &mut warehouse)?);
    let dates = DateRules {
        format: None,
        latest: as_of,
    };
    let load = |plan: Plan, keys: &ParentKeys| {
        load_file(
            plan,
            &warehouse,
            keys,
            dates.clone(),
            pseudonymiser.as_ref(),
            imd.as_ref(),
            console,
        )
    };
    // Tables that no other table refers to (health events, contacts, …) are
    // loaded on their own threads as soon as their parents are in, while this
    // thread goes on with the rest: a national extract is mostly health
    // events, and reading a file is otherwise single-threaded. Files of one
    // table stay in order on one thread, so duplicate ids across them are found.
    let is_leaf = |table: &str| {
        !model::TABLES
            .iter()
            .any(|t| t.references.iter().any(|r| r.table == table))
    };
    let order: Vec<PathBuf> = plans.iter().map(|p| p.path.clone()).collect();
    let (leaves, trunk): (Vec<Plan>, Vec<Plan>) = plans
        .into_iter()
        .partition(|p| is_leaf(p.mapping.target().name));
    let mut waiting: Vec<(&'static Table, Vec<Plan>)> = Vec::new();
    for plan in leaves {
        let table = plan.mapping.target();
        match waiting.iter_mut().find(|(t, _)| t.name == table.name) {
            Some((_, group)) => group.push(plan),
            None => waiting.push((table, vec![plan])),
        }
    }
    let mut loaded: Vec<(PathBuf, FileReport, InputRecord)> = Vec::new();
    let mut parent_keys: ParentKeys = HashMap::new();
    std::thread::scope(|scope| -> Result<()> {
        let mut running = Vec::new();
        let mut to_load: Vec<&'static str> =
            trunk.iter().map(|p| p.mapping.target().name).collect();
        let mut trunk = trunk.into_iter();
        loop {
            // Start every waiting table whose parents are all loaded.
            let mut i = 0;
            while i < waiting.len() {
                let (table, _) = &waiting[i];
                if table.references.iter().any(|r| to_load.contains(&r.table)) {
                    i += 1;
                    continue;
                }
                let (table, group) = waiting.remove(i);
                let keys = parents_of(table, &warehouse, &mut parent_keys)?;
                let load = &load;
                running.push(scope.spawn(
                    move || -> Result<Vec<(PathBuf, FileReport, InputRecord)>> {
                        group
                            .into_iter()
                            .map(|plan| {
                                let path = plan.path.clone();
                                load(plan, &keys).map(|(report, record)| (path, report, record))
                            })
                            .collect()
                    },
                ));
            }
            let Some(plan) = trunk.next() else { break };
            let table = plan.mapping.target();
            let keys = parents_of(table, &warehouse, &mut parent_keys)?;
            let path = plan.path.clone();
            let (report, record) = load(plan, &keys)?;
            // Later files check against this table's ids as they stand now.
            parent_keys.remove(table.name);
            if let Some(done) = to_load.iter().position(|t| *t == table.name) {
                to_load.remove(done);
            }
            loaded.push((path, report, record));
        }
        for thread in running {
            loaded.extend(thread.join().map_err(|_| {
                Error::Usage("a file-loading thread stopped unexpectedly".into())
            })??);
        }
        Ok(())
    })?;
    // Report and record in the order the files were planned, whichever thread loaded them.
    loaded.sort_by_key(|(path, _, _)| order.iter().position(|p| p == path));
    for (path, mut file, record) in loaded {
        if let Some(sha) = replaced.get(&path) {
            file.notes.push(format!(
                "replaces the rows and quarantined rows of the earlier version of {} (SHA-256 {}…)",
                record.file,
                &sha[..12.min(sha.len())]
            ));
        }
        warehouse.record(record);
        report.files.push(file);
    }
    warehouse.save()?;
    Ok(report)
}

/// Write the IMD lookup as the `imd_lookup` table.
fn write_imd_lookup(
    path: &Path,
    lookup: &ImdLookup,
    warehouse: &mut Warehouse,
) -> Result<FileReport> {
    let table =
        model::table("imd_lookup").ok_or_else(|| Error::Usage("no imd_lookup table".into()))?;
    let mut rows = BatchBuilder::new(table.schema());
    for code in &lookup.order {
        let (rank, decile) = lookup.areas[code];
        rows.push(&[
            Value::Text(code.clone()),
            Value::Int(rank),
            Value::Int(decile),
            Value::Text(lookup.vintage.to_string()),
            Value::Text(lookup.source.clone()),
        ]);
    }
    write_lookup(path, table, rows, lookup.order.len() as u64, warehouse)
}

/// The context files, read.
#[derive(Debug, Default)]
struct Context {
    practices: Option<context::Read<context::Practice>>,
    memberships: Option<context::Read<context::Membership>>,
    estimates: Option<context::Read<context::Estimate>>,
    list_sizes: Option<context::Read<context::ListSize>>,
}

/// Read every context file given (before anything is written).
fn read_context(files: &context::ContextFiles) -> Result<Context> {
    Ok(Context {
        practices: files
            .ods_practices
            .as_deref()
            .map(context::practices)
            .transpose()?,
        memberships: files
            .ods_pcns
            .as_deref()
            .map(context::memberships)
            .transpose()?,
        estimates: files
            .wellbeing_estimates
            .as_deref()
            .map(context::estimates)
            .transpose()?,
        list_sizes: files
            .list_sizes
            .as_deref()
            .map(context::list_sizes)
            .transpose()?,
    })
}

/// Write the context files as the `ods_practices`, `ods_pcn_members`,
/// `wellbeing_estimates` and `practice_list_sizes` tables.
fn write_context(
    files: &context::ContextFiles,
    read: &Context,
    warehouse: &mut Warehouse,
) -> Result<Vec<FileReport>> {
    let text = |s: &str| Value::Text(s.to_string());
    let date =
        |d: Option<NaiveDate>| d.map_or(Value::Null, |d| Value::Date(crate::days::date32(d)));
    let number = |x: Option<f64>| x.map_or(Value::Null, Value::Float);
    let table =
        |name: &str| model::table(name).ok_or_else(|| Error::Usage(format!("no {name} table")));
    let mut reports = Vec::new();
    if let (Some(path), Some(r)) = (&files.ods_practices, &read.practices) {
        let t = table("ods_practices")?;
        let mut rows = BatchBuilder::new(t.schema());
        for p in &r.rows {
            rows.push(&[
                text(&p.code),
                text(&p.name),
                text(&p.status),
                text(&r.source),
                date(r.latest),
            ]);
        }
        reports.push(write_lookup(path, t, rows, r.rows.len() as u64, warehouse)?);
    }
    if let (Some(path), Some(r)) = (&files.ods_pcns, &read.memberships) {
        let t = table("ods_pcn_members")?;
        let mut rows = BatchBuilder::new(t.schema());
        for m in &r.rows {
            rows.push(&[
                text(&m.practice_code),
                text(&m.practice_name),
                text(&m.pcn_code),
                text(&m.pcn_name),
                date(m.start),
                date(m.end),
                text(&r.source),
                date(r.latest),
            ]);
        }
        reports.push(write_lookup(path, t, rows, r.rows.len() as u64, warehouse)?);
    }
    if let (Some(path), Some(r)) = (&files.wellbeing_estimates, &read.estimates) {
        let t = table("wellbeing_estimates")?;
        let mut rows = BatchBuilder::new(t.schema());
        for e in &r.rows {
            rows.push(&[
                text(&e.area_code),
                text(&e.area_name),
                text(&e.geography),
                text(&e.indicator),
                Value::Date(crate::days::date32(e.year_start)),
                number(e.mean),
                number(e.lower),
                number(e.upper),
                text(&e.status),
                text(&r.source),
            ]);
        }
        reports.push(write_lookup(path, t, rows, r.rows.len() as u64, warehouse)?);
    }
    if let (Some(path), Some(r)) = (&files.list_sizes, &read.list_sizes) {
        let t = table("practice_list_sizes")?;
        let mut rows = BatchBuilder::new(t.schema());
        for l in &r.rows {
            rows.push(&[
                text(&l.practice_code),
                Value::Int(l.patients),
                Value::Date(crate::days::date32(l.extract_date)),
                text(&r.source),
            ]);
        }
        reports.push(write_lookup(path, t, rows, r.rows.len() as u64, warehouse)?);
    }
    Ok(reports)
}

/// Write the population denominators as the `area_population` table.
fn write_area_population(
    path: &Path,
    population: &AreaPopulation,
    warehouse: &mut Warehouse,
) -> Result<FileReport> {
    let table = model::table("area_population")
        .ok_or_else(|| Error::Usage("no area_population table".into()))?;
    let mut rows = BatchBuilder::new(table.schema());
    let opt = |v: Option<i64>| v.map_or(Value::Null, Value::Int);
    for row in &population.rows {
        rows.push(&[
            Value::Text(row.lsoa_code.clone()),
            Value::Text(population.vintage.to_string()),
            Value::Int(row.population),
            opt(row.aged_0_15),
            opt(row.aged_16_59),
            opt(row.aged_60_plus),
            opt(row.working_age),
            Value::Text(population.source.clone()),
        ]);
    }
    write_lookup(path, table, rows, population.rows.len() as u64, warehouse)
}

fn write_lookup(
    path: &Path,
    table: &'static Table,
    mut rows: BatchBuilder,
    count: u64,
    warehouse: &mut Warehouse,
) -> Result<FileReport> {
    let sha = sha256_file(path)?;
    let part = part_name(&sha);
    let mut writer = warehouse.part_writer(table.name, &part, table.schema())?;
    writer.write(&rows.finish()?)?;
    writer.commit()?;
    warehouse.record(InputRecord {
        file: file_name(path),
        source: location(path),
        table: table.name.to_string(),
        sha256: sha,
        part,
        lines_read: count,
        rows_read: count,
        rows_accepted: count,
        rows_quarantined: 0,
    });
    Ok(FileReport::whole(path, table.name, count, 0))
}

/// An extract file found among the inputs, with the mapping that applies to it.
struct Found {
    path: PathBuf,
    mapping: Option<Mapping>,
}

/// The files to ingest with the mapping that applies to each, in the order given.
fn expand_inputs(options: &IngestOptions) -> Result<Vec<Found>> {
    let explicit = options.mapping.as_deref().map(Mapping::load).transpose()?;
    let mut files = Vec::new();
    for input in &options.inputs {
        let meta = std::fs::metadata(input).map_err(|e| Error::io(input, "opening", e))?;
        if meta.is_dir() {
            walk_folder(input, explicit.clone(), explicit.is_some(), &mut files)?;
        } else {
            files.push(Found {
                path: input.clone(),
                mapping: explicit.clone(),
            });
        }
    }
    if files.is_empty() {
        return Err(Error::Usage(
            "no extract files found (looked for .csv, .tsv, .txt, .parquet, .xlsx, .xls, .ods)"
                .to_string(),
        ));
    }
    Ok(files)
}

/// Add a folder's extract files, and its subfolders', in name order. A folder's
/// `mapping.toml` applies to it and its subfolders unless `--mapping` was given.
fn walk_folder(
    folder: &Path,
    inherited: Option<Mapping>,
    explicit: bool,
    files: &mut Vec<Found>,
) -> Result<()> {
    let own = folder.join(FOLDER_MAPPING);
    let mapping = if !explicit && own.exists() {
        Some(Mapping::load(&own)?)
    } else {
        inherited
    };
    let mut entries: Vec<PathBuf> = std::fs::read_dir(folder)
        .map_err(|e| Error::io(folder, "listing", e))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            walk_folder(&path, mapping.clone(), explicit, files)?;
        } else if Format::of(&path).is_some() {
            files.push(Found {
                path,
                mapping: mapping.clone(),
            });
        }
    }
    Ok(())
}

/// Work out a file's table and column mapping, and check its header; its
/// bytes hash to `sha256` (or could not be read).
fn plan_file(
    found: &Found,
    sha256: Result<String>,
    imd_lookup: bool,
    console: &Console,
) -> Result<Plan> {
    let path = found.path.as_path();
    let mapping = found.mapping.as_ref();
    let name = file_name(path);
    let source_mapping = match mapping.and_then(|m| m.for_file(&name)) {
        Some(entry) => entry.clone(),
        None => {
            let stem = table_stem(path);
            let table = model::table(&stem)
                .filter(|t| t.origin == Origin::Extract)
                .ok_or_else(|| {
                    let names: Vec<String> = model::TABLES
                        .iter()
                        .filter(|t| t.origin == Origin::Extract)
                        .map(|t| format!("{}.csv", t.name))
                        .collect();
                    Error::input(
                        path,
                        "cannot tell which table this file holds",
                        format!(
                            "name it after its table ({}), or add a [[source]] entry with file = \"{name}\" to a mapping file",
                            names.join(", ")
                        ),
                    )
                })?;
            SourceMapping::canonical(table)
        }
    };
    let table = source_mapping.target();
    let expected: Vec<String> = table
        .columns
        .iter()
        .map(|c| {
            source_mapping
                .columns
                .get(c.name)
                .cloned()
                .unwrap_or_else(|| c.name.to_string())
        })
        .collect();
    let source = Source::open(path, &source_mapping, &expected)?;
    let (plans, unmapped) = plan_columns(table, &source.header, &source_mapping, imd_lookup).map_err(|problem| {
        let hint = match (&source.sheet, source.delimiter) {
            (Some((read, sheets)), _) if sheets.len() > 1 => format!(
                "sprout read sheet '{read}' (the workbook's sheets are: {}); if the data is on another sheet, name it in the file's mapping entry, e.g. sheet = \"{}\"; otherwise name the columns as in `sprout schema {}`",
                sheets.join(", "),
                sheets.iter().find(|s| *s != read).unwrap_or(read),
                table.name
            ),
            (_, Some(d)) if source.header.len() == 1 => format!(
                "the header was read as one column with delimiter '{}': if the file uses another delimiter, set delimiter in the mapping file",
                d as char
            ),
            _ => format!(
                "name the columns as in `sprout schema {}`, or map them with [source.columns] in a mapping file",
                table.name
            ),
        };
        Error::input(path, problem, hint)
    })?;
    let mapped = |name: &str| {
        plans
            .iter()
            .any(|p| p.column.name == name && p.field.is_some())
    };
    let has_nhs_number = mapped("nhs_number");
    if has_nhs_number && mapped("person_id") {
        console.warn(format!(
            "{}: both nhs_number and person_id are present; person_id is replaced by the NHS number's pseudonym",
            path.display()
        ));
    }
    if !unmapped.is_empty() {
        console.note(format!(
            "{}: ignoring column{} not in the {} table: {}",
            path.display(),
            if unmapped.len() == 1 { "" } else { "s" },
            table.name,
            source::describe_header(&unmapped)
        ));
    }
    Ok(Plan {
        path: path.to_path_buf(),
        location: location(path),
        sha256: sha256?,
        mapping: source_mapping,
        source,
        validator_plans: plans,
        has_nhs_number,
    })
}

/// The file name without its extensions (`people.csv.gz` → `people`), lower case.
fn table_stem(path: &Path) -> String {
    let name = file_name(path).to_ascii_lowercase();
    name.split('.').next().unwrap_or_default().to_string()
}

/// Where a file is, as the manifest records it: its absolute path, links resolved.
fn location(path: &Path) -> String {
    crate::folder::paths::resolve(path).display().to_string()
}

fn file_name(path: &Path) -> String {
    path.file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// SHA-256 of a file's bytes, as lowercase hex.
pub fn sha256_file(path: &Path) -> Result<String> {
    let mut file = std::fs::File::open(path).map_err(|e| Error::io(path, "opening", e))?;
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let n = file
            .read(&mut buffer)
            .map_err(|e| Error::io(path, "reading", e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buffer[..n]);
    }
    Ok(hex(&hasher.finalize()))
}

/// SHA-256 of bytes already in memory, as lowercase hex.
pub fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

fn hex(digest: &[u8]) -> String {
    digest.iter().map(|b| format!("{b:02x}")).collect()
}

/// Writes the quarantine part of one input file.
struct Quarantine {
    builder: BatchBuilder,
    table: &'static str,
    file: String,
}

impl Quarantine {
    /// One problem of the record on physical lines `first..=last`. Every text
    /// from the extract (column name, value, detail quoting a value) has its
    /// NHS numbers redacted.
    fn push(&mut self, first: u64, last: u64, p: &RowProblem) {
        let text = |s: &str| Value::Text(s.to_string());
        let safe = |s: &str| Value::Text(validate::quarantined_text(s));
        let row = [
            text(self.table),
            text(&self.file),
            Value::Int(first as i64),
            Value::Int(last as i64),
            p.column.as_deref().map_or(Value::Null, safe),
            p.value.as_deref().map_or(Value::Null, text),
            text(p.problem.kind),
            Value::Text(identity::redact_nhs_numbers(&p.problem.detail).into_owned()),
        ];
        self.builder.push(&row);
    }
}

/// The ids of each loaded parent table, shared by the threads that check references.
type ParentKeys = HashMap<&'static str, Arc<Keys>>;

/// The ids of `table`'s parents, read from the warehouse once and kept in `cache`.
fn parents_of(
    table: &'static Table,
    warehouse: &Warehouse,
    cache: &mut ParentKeys,
) -> Result<ParentKeys> {
    let mut keys = HashMap::new();
    for r in table.references {
        if !cache.contains_key(r.table) {
            let parent = model::table(r.table).unwrap_or(table);
            let ids = warehouse.keys(parent.name, parent.unique[0], None)?;
            cache.insert(r.table, Arc::new(ids));
        }
        keys.insert(r.table, Arc::clone(&cache[r.table]));
    }
    Ok(keys)
}

/// Validate one file's rows into its table part and quarantine part; the
/// caller records the part in the warehouse's manifest.
fn load_file(
    mut plan: Plan,
    warehouse: &Warehouse,
    parent_keys: &ParentKeys,
    mut dates: DateRules,
    pseudonymiser: Option<&Pseudonymiser>,
    imd: Option<&ImdLookup>,
    console: &Console,
) -> Result<(FileReport, InputRecord)> {
    let table: &'static Table = plan.mapping.target();
    let name = file_name(&plan.path);
    let sha = plan.sha256.clone();
    let part = part_name(&sha);
    dates.format = plan.mapping.date_format.clone();

    let existing: Vec<Keys> = table
        .unique
        .iter()
        .map(|c| warehouse.keys(table.name, c, Some(&part)))
        .collect::<Result<_>>()?;
    let index_of = |name: &str| {
        table
            .columns
            .iter()
            .position(|c| c.name == name)
            .unwrap_or(0)
    };
    let empty = Keys::default();
    let birth_months = if table.name == "referrals" {
        Some(warehouse.days_of("people", "person_id", "birth_month")?)
    } else {
        None
    };
    let plans = std::mem::take(&mut plan.validator_plans);
    let mut validator = RowValidator {
        table,
        positions: validate::positions(&plans),
        plans,
        dates,
        pseudonymiser: if plan.has_nhs_number {
            pseudonymiser
        } else {
            None
        },
        unique: table
            .unique
            .iter()
            .zip(&existing)
            .map(|(c, keys)| UniqueCheck {
                index: index_of(c),
                existing: keys,
                seen: SeenIds::default(),
            })
            .collect(),
        references: table
            .references
            .iter()
            .map(|r| {
                ReferenceCheck::new(
                    index_of(r.column),
                    r.table,
                    parent_keys.get(r.table).map_or(&empty, |k| k.as_ref()),
                )
            })
            .collect(),
        imd,
        birth_months: birth_months.as_ref(),
        imd_filled: 0,
        imd_unmatched: BTreeMap::new(),
    };

    let stored: Vec<usize> = table
        .columns
        .iter()
        .enumerate()
        .filter(|(_, c)| c.storage == Storage::Stored)
        .map(|(i, _)| i)
        .collect();
    let mut rows = BatchBuilder::new(table.schema());
    let mut writer = warehouse.part_writer(table.name, &part, table.schema())?;
    let needs_table = model::table("referral_needs").filter(|_| table.name == "referrals");
    let mut needs = match needs_table {
        Some(t) => Some((
            BatchBuilder::new(t.schema()),
            warehouse.part_writer(t.name, &part, t.schema())?,
        )),
        None => None,
    };
    let needs_index = table.columns.iter().position(|c| c.name == "needs");
    let quarantine_table = model::table("quarantine").unwrap_or(table);
    let mut quarantine = Quarantine {
        builder: BatchBuilder::new(quarantine_table.schema()),
        table: table.name,
        file: name.clone(),
    };
    let mut report = FileReport::whole(&plan.path, table.name, 0, plan.source.header_lines);
    report.notes = std::mem::take(&mut plan.source.notes);
    let progress = console.progress(None, &name);
    checking::each_row(&mut plan.source, &mut validator, |judged| {
        let (line, last_line, lines, checked) = match judged {
            Judged::Blank { lines } => {
                report.blank_lines += lines;
                return Ok(());
            }
            Judged::Row {
                line,
                last_line,
                lines,
                checked,
            } => (line, last_line, lines, checked),
        };
        report.rows_read += 1;
        if report.rows_read.is_multiple_of(1_000) {
            progress.set_position(report.rows_read);
        }
        match checked {
            Ok(values) => {
                report.rows_accepted += 1;
                report.lines_accepted += lines;
                rows.push(stored.iter().map(|&i| &values[i]));
                if let (Some((builder, _)), Some(i), Value::Text(id)) =
                    (needs.as_mut(), needs_index, &values[0])
                    && let Value::Codes(codes) = &values[i]
                {
                    for code in codes {
                        builder.push(&[Value::Text(id.clone()), Value::Text((*code).to_string())]);
                    }
                }
                if rows.len() >= BATCH_ROWS {
                    writer.write(&rows.finish()?)?;
                }
                if let Some((builder, w)) = needs.as_mut()
                    && builder.len() >= BATCH_ROWS
                {
                    w.write(&builder.finish()?)?;
                }
            }
            Err(problems) => {
                report.rows_quarantined += 1;
                report.lines_quarantined += lines;
                if lines > 1 && report.long_records.len() < 5 {
                    report.long_records.push((line, last_line));
                }
                for p in &problems {
                    *report.problems.entry(p.problem.kind).or_default() += 1;
                    quarantine.push(line, last_line, p);
                }
            }
        }
        Ok(())
    })?;
    progress.set_position(report.rows_read);
    progress.finish_and_clear();
    report.lines_read = plan.source.lines_read();
    if !report.reconciles() {
        return Err(Error::input(
            &plan.path,
            format!(
                "sprout read {} lines but accounted for {} (header {}, blank {}, accepted {}, quarantined {}); nothing was ingested",
                report.lines_read,
                report.lines_accounted_for(),
                report.header_lines,
                report.blank_lines,
                report.lines_accepted,
                report.lines_quarantined
            ),
            "this is a fault in sprout: please report it with the file's shape (not its contents)",
        ));
    }
    if let Some(lookup) = imd.filter(|_| table.name == "people") {
        let unmatched: u64 = validator.imd_unmatched.values().sum();
        report.notes.push(format!(
            "IMD {} decile looked up for {} people from {}; {} LSOA code{} not matched",
            lookup.vintage,
            validator.imd_filled,
            lookup.source,
            unmatched,
            if unmatched == 1 { "" } else { "s" }
        ));
        for (reason, n) in &validator.imd_unmatched {
            report
                .notes
                .push(format!("  {n} unmatched: {reason} (kept, with no decile)"));
        }
    }
    writer.write(&rows.finish()?)?;
    writer.commit()?;
    if let Some((mut builder, mut w)) = needs {
        w.write(&builder.finish()?)?;
        w.commit()?;
    }
    let quarantine_part = quarantine_part_name(table.name, &sha);
    let mut q = warehouse.part_writer(
        quarantine_table.name,
        &quarantine_part,
        quarantine_table.schema(),
    )?;
    q.write(&quarantine.builder.finish()?)?;
    q.commit()?;
    let record = InputRecord {
        file: name,
        source: plan.location.clone(),
        table: table.name.to_string(),
        sha256: sha,
        part,
        lines_read: report.lines_read,
        rows_read: report.rows_read,
        rows_accepted: report.rows_accepted,
        rows_quarantined: report.rows_quarantined,
    };
    Ok((report, record))
}
