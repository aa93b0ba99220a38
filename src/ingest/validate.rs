//! Row validation: from a row of text to typed canonical values, or the reasons it
//! must be quarantined.
//!
//! Checks, in order: the row as a whole (field count, UTF-8), each value's type
//! and code, NHS numbers (replaced by their pseudonym), unique ids, references
//! to parent tables, and the cross-column rules of the table.

use std::collections::{BTreeMap, HashMap};

use super::identity::{self, Pseudonymiser, REDACTED};
use super::lookup::{self, ImdLookup};
use super::mapping::SourceMapping;
use super::values::{self, DateRules, Problem};
use crate::batch::Value;
use crate::model::instruments::{self, MAX_ITEMS};
use crate::model::{Check, Column, ColumnType, Table};
use crate::warehouse::{DaysOf, Keys};

/// Where a canonical column's values come from in one source.
#[derive(Debug)]
pub struct ColumnPlan {
    /// The canonical column.
    pub column: &'static Column,
    /// Index of the source column, if mapped.
    pub field: Option<usize>,
    /// The source header (for messages).
    pub header: Option<String>,
    /// A constant from the mapping, if any.
    pub constant: Option<String>,
    /// Source value (lower case) → canonical code, from the mapping.
    pub codes: HashMap<String, &'static str>,
}

/// Match a source's header to the canonical columns of `table`.
///
/// Returns the plans, and the source headers that map to nothing; fails with a
/// message when a required column is missing.
pub fn plan_columns(
    table: &'static Table,
    header: &[String],
    mapping: &SourceMapping,
    imd_lookup: bool,
) -> Result<(Vec<ColumnPlan>, Vec<String>), String> {
    let mut used = vec![false; header.len()];
    let mut plans = Vec::with_capacity(table.columns.len());
    for column in table.columns {
        let wanted = mapping
            .columns
            .get(column.name)
            .map_or(column.name, String::as_str);
        let field = header
            .iter()
            .position(|h| h.eq_ignore_ascii_case(wanted.trim()));
        if let Some(i) = field {
            used[i] = true;
        }
        let codes = mapping
            .codes
            .get(column.name)
            .map(|m| {
                let list = match column.check {
                    Check::Code(l) | Check::Codes(l) => Some(l),
                    _ => None,
                };
                m.iter()
                    .filter_map(|(from, to)| Some((from.trim().to_lowercase(), list?.resolve(to)?)))
                    .collect()
            })
            .unwrap_or_default();
        plans.push(ColumnPlan {
            column,
            field,
            header: field.map(|i| header[i].clone()),
            constant: mapping.constants.get(column.name).cloned(),
            codes,
        });
    }
    let has = |name: &str| {
        plans
            .iter()
            .any(|p| p.column.name == name && (p.field.is_some() || p.constant.is_some()))
    };
    let missing: Vec<String> = plans
        .iter()
        .filter(|p| p.column.required && p.field.is_none() && p.constant.is_none())
        .filter(|p| !(p.column.name == "person_id" && has("nhs_number")))
        .map(|p| match mapping.columns.get(p.column.name) {
            Some(source) => format!("{} (mapped from '{source}')", p.column.name),
            None => p.column.name.to_string(),
        })
        .collect();
    if !missing.is_empty() {
        return Err(format!(
            "required column{} {} not found; the file's columns are: {}",
            if missing.len() > 1 { "s" } else { "" },
            missing.join(", "),
            super::source::describe_header(header)
        ));
    }
    let vintage_needed = has("imd_decile") || (has("lsoa_code") && !imd_lookup);
    if table.name == "people" && vintage_needed && !has("imd_vintage") {
        return Err("imd_decile or lsoa_code is given without imd_vintage; add an imd_vintage column, \
                    set it for every row in the mapping ([source.constants] imd_vintage = \"2019\"), \
                    or give the official IMD file with --imd so deciles are looked up"
            .to_string());
    }
    let unmapped = header
        .iter()
        .zip(&used)
        .filter(|(h, used)| !**used && !h.is_empty())
        .map(|(h, _)| h.clone())
        .collect();
    Ok((plans, unmapped))
}

/// One problem found in a row.
#[derive(Debug, Clone)]
pub struct RowProblem {
    /// Source column, if the problem is in one value.
    pub column: Option<String>,
    /// The offending value (redacted for identifiers).
    pub value: Option<String>,
    /// What is wrong.
    pub problem: Problem,
}

/// Each table column's index among the plans, by column name.
pub type Positions = HashMap<&'static str, usize, foldhash::fast::FixedState>;

/// The index of each plan's column, for the rules that look columns up by name.
pub fn positions(plans: &[ColumnPlan]) -> Positions {
    plans
        .iter()
        .enumerate()
        .map(|(i, p)| (p.column.name, i))
        .collect()
}

/// Ids accepted from one file, with the line each was on (hashed like [`Keys`]).
pub type SeenIds = crate::ids::IdMap<u64>;

/// A unique column being checked: ids already in the warehouse and ids seen in this file.
pub struct UniqueCheck<'k> {
    /// Index of the column in the table.
    pub index: usize,
    /// Ids in other parts of the warehouse.
    pub existing: &'k Keys,
    /// Ids accepted from this file, with their line.
    pub seen: SeenIds,
}

/// A reference being checked against a parent table's ids.
pub struct ReferenceCheck<'k> {
    /// Index of the column in the table.
    pub index: usize,
    /// Parent table name.
    pub parent: &'static str,
    /// Ids present in the parent table.
    pub keys: &'k Keys,
    /// The last id found among `keys`: an extract's rows for one person
    /// usually come together, and looking an id up among millions is a
    /// cache miss.
    last_known: String,
}

impl<'k> ReferenceCheck<'k> {
    /// A check that column `index`'s ids are among `parent`'s `keys`.
    pub fn new(index: usize, parent: &'static str, keys: &'k Keys) -> Self {
        ReferenceCheck {
            index,
            parent,
            keys,
            last_known: String::new(),
        }
    }

    /// Whether `id` is among the parent's ids.
    fn knows(&mut self, id: &str) -> bool {
        if !self.last_known.is_empty() && id == self.last_known {
            return true;
        }
        let known = self.keys.contains(id);
        if known {
            self.last_known.clear();
            self.last_known.push_str(id);
        }
        known
    }
}

/// Validates the rows of one source file.
pub struct RowValidator<'k> {
    /// The target table.
    pub table: &'static Table,
    /// One plan per table column.
    pub plans: Vec<ColumnPlan>,
    /// Each table column's index in `plans` ([`positions`]).
    pub positions: Positions,
    /// Date parsing rules of the source.
    pub dates: DateRules,
    /// Pseudonymiser, when the source carries NHS numbers.
    pub pseudonymiser: Option<&'k Pseudonymiser>,
    /// Unique columns.
    pub unique: Vec<UniqueCheck<'k>>,
    /// References to parent tables.
    pub references: Vec<ReferenceCheck<'k>>,
    /// The official IMD lookup, for people whose extract has an LSOA but no decile.
    pub imd: Option<&'k ImdLookup>,
    /// Each person's month of birth (Date32), for referrals.
    pub birth_months: Option<&'k DaysOf>,
    /// Deciles filled from the lookup.
    pub imd_filled: u64,
    /// LSOAs the lookup could not place, by reason.
    pub imd_unmatched: BTreeMap<&'static str, u64>,
}

impl RowValidator<'_> {
    /// The row's values (one per table column) written into `values`, or
    /// every problem found; its ids are remembered, so a later row with the
    /// same id is a duplicate. `values` is reused from row to row: a text
    /// value is copied into the string the last row left in its place.
    pub fn check(
        &mut self,
        fields: &[String],
        line: u64,
        values: &mut Vec<Value>,
    ) -> Result<(), Vec<RowProblem>> {
        self.read_values(fields, values)?;
        if self.table.name == "people" {
            self.fill_imd(values);
        }
        self.checked_row(values)?;
        for u in &mut self.unique {
            if let Value::Text(id) = &values[u.index] {
                u.seen.insert(id, line);
            }
        }
        Ok(())
    }

    /// Every value parsed (all problems reported together), then the person
    /// (NHS number and pseudonym) worked out.
    fn read_values(
        &self,
        fields: &[String],
        values: &mut Vec<Value>,
    ) -> Result<(), Vec<RowProblem>> {
        values.resize(self.plans.len(), Value::Null);
        let mut problems = Vec::new();
        for (plan, slot) in self.plans.iter().zip(values.iter_mut()) {
            let raw = match (plan.field, &plan.constant) {
                (Some(i), _) => fields.get(i).map_or("", String::as_str),
                (None, Some(c)) => c.as_str(),
                (None, None) => "",
            };
            if let Err(problem) = self.parse(plan, raw, slot) {
                *slot = Value::Null;
                problems.push(RowProblem {
                    column: Some(
                        plan.header
                            .clone()
                            .unwrap_or_else(|| plan.column.name.to_string()),
                    ),
                    value: Some(redact(plan.column, raw)),
                    problem,
                });
            }
        }
        if problems.is_empty() {
            self.person(values, &mut problems);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// The table's rules across columns, then ids: unique, and known to the
    /// tables they refer to.
    fn checked_row(&mut self, values: &[Value]) -> Result<(), Vec<RowProblem>> {
        let mut problems = Vec::new();
        self.table_rules(values, &mut problems);
        if problems.is_empty() {
            self.keys(values, &mut problems);
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems)
        }
    }

    /// Parse `raw` as `plan`'s column into `slot`.
    fn parse(&self, plan: &ColumnPlan, raw: &str, slot: &mut Value) -> Result<(), Problem> {
        let column = plan.column;
        if raw.is_empty() {
            let covered_by_nhs = column.name == "person_id" && self.pseudonymiser.is_some();
            return if column.required && !covered_by_nhs {
                Err(Problem::new(
                    "missing_value",
                    format!("{} is required but empty", column.name),
                ))
            } else {
                *slot = Value::Null;
                Ok(())
            };
        }
        let breaks = line_breaks(raw);
        if breaks > column.max_line_breaks() {
            return Err(Problem::new(
                "line_break",
                format!(
                    "{} holds {breaks} line break{}; {}: remove {} in the extract",
                    column.name,
                    if breaks == 1 { "" } else { "s" },
                    match column.max_line_breaks() {
                        0 => "its values are one line".to_string(),
                        n => format!("its values hold at most {n}"),
                    },
                    if breaks == 1 { "it" } else { "them" }
                ),
            ));
        }
        let max = column.max_chars();
        if raw.len() > max && raw.chars().count() > max {
            return Err(Problem::new(
                "too_long",
                format!(
                    "{} is {} characters long; its values are at most {max} characters: shorten it in the extract (a quote left open can also run a value on into the next rows)",
                    column.name,
                    raw.chars().count()
                ),
            ));
        }
        if column.is_free_text()
            && column.name != "nhs_number"
            && identity::contains_nhs_number(raw)
        {
            let fix = if column.name == "person_id" {
                "person_id holds what looks like a real NHS number; map that column to nhs_number \
                 in the mapping file so sprout replaces it with a keyed pseudonym"
                    .to_string()
            } else {
                format!(
                    "{} holds what looks like an NHS number, which sprout never stores outside a pseudonym: \
                     remove it from the extract, or map the column that holds NHS numbers to nhs_number",
                    column.name
                )
            };
            return Err(Problem::new("unpseudonymised_nhs_number", fix));
        }
        match column.ty {
            // A coded column's value is its canonical code, set by `check_value`.
            ColumnType::Text if matches!(column.check, Check::Code(_) | Check::Codes(_)) => {}
            ColumnType::Text => set_text(slot, raw),
            ColumnType::Date => *slot = Value::Date(crate::days::date32(self.dates.parse(raw)?)),
            ColumnType::YearMonth => {
                *slot = Value::Date(crate::days::date32(self.dates.parse_year_month(raw)?));
            }
            ColumnType::Integer => *slot = Value::Int(values::parse_integer(raw)?),
            ColumnType::Decimal => *slot = Value::Float(values::parse_decimal(raw)?),
            ColumnType::Boolean => *slot = Value::Bool(values::parse_boolean(raw)?),
        }
        check_value(plan, raw, slot)
    }

    /// Replace an NHS number by its pseudonym, and refuse ids that are NHS numbers.
    fn person(&self, values: &mut [Value], problems: &mut Vec<RowProblem>) {
        // Only a source with NHS numbers has a pseudonymiser.
        if self.pseudonymiser.is_none() {
            return;
        }
        let Some(&nhs) = self.positions.get("nhs_number") else {
            return;
        };
        let person = self.positions.get("person_id").copied();
        match (&values[nhs], self.pseudonymiser) {
            (Value::Text(raw), Some(key)) => match identity::parse_nhs_number(raw) {
                Ok(digits) => {
                    if let Some(p) = person {
                        values[p] = Value::Text(key.pseudonym(&digits));
                    }
                }
                Err(why) => problems.push(RowProblem {
                    column: self.plans[nhs].header.clone(),
                    value: Some(REDACTED.to_string()),
                    problem: Problem::new("invalid_nhs_number", why.explain()),
                }),
            },
            (Value::Null, Some(_)) if person.is_some_and(|p| values[p] == Value::Null) => {
                problems.push(RowProblem {
                    column: self.plans[nhs].header.clone(),
                    value: None,
                    problem: Problem::new(
                        "missing_value",
                        "nhs_number is empty and there is no person_id; the row cannot be linked to a person",
                    ),
                });
            }
            _ => {}
        }
    }

    fn keys(&mut self, values: &[Value], problems: &mut Vec<RowProblem>) {
        for u in &self.unique {
            let Value::Text(id) = &values[u.index] else {
                continue;
            };
            let plan = &self.plans[u.index];
            let detail = if let Some(first) = u.seen.get(id) {
                format!(
                    "{} '{id}' already appears on line {first} of this file",
                    plan.column.name
                )
            } else if u.existing.contains(id) {
                format!(
                    "{} '{id}' is already in the warehouse from another extract; remove the duplicate or give it a new id",
                    plan.column.name
                )
            } else {
                continue;
            };
            problems.push(RowProblem {
                column: plan.header.clone(),
                value: Some(id.clone()),
                problem: Problem::new("duplicate_id", detail),
            });
        }
        for r in &mut self.references {
            let Value::Text(id) = &values[r.index] else {
                continue;
            };
            if !r.knows(id) {
                let plan = &self.plans[r.index];
                problems.push(RowProblem {
                    column: plan.header.clone(),
                    value: Some(id.clone()),
                    problem: Problem::new(
                        "unknown_reference",
                        format!(
                            "{} '{id}' is not in the {} table; ingest the {} extract first, or correct the id",
                            plan.column.name, r.parent, r.parent
                        ),
                    ),
                });
            }
        }
    }

    /// Look up the IMD decile of a person with an LSOA and no decile; never guess
    /// across vintages.
    fn fill_imd(&mut self, values: &mut [Value]) {
        let Some(lookup) = self.imd else { return };
        let index = |name: &str| self.positions.get(name).copied();
        let (Some(lsoa), Some(decile), Some(vintage)) = (
            index("lsoa_code"),
            index("imd_decile"),
            index("imd_vintage"),
        ) else {
            return;
        };
        let Value::Text(code) = &values[lsoa] else {
            return;
        };
        if values[decile] != Value::Null {
            return;
        }
        let reason = match &values[vintage] {
            Value::Text(v) if v != lookup.vintage => {
                Some("the person's imd_vintage differs from the lookup's")
            }
            _ => match lookup.decile(code) {
                Some(d) => {
                    values[decile] = Value::Int(d);
                    values[vintage] = Value::Text(lookup.vintage.to_string());
                    self.imd_filled += 1;
                    None
                }
                None => Some(lookup::unmatched_reason(code, lookup.vintage)),
            },
        };
        if let Some(reason) = reason {
            *self.imd_unmatched.entry(reason).or_default() += 1;
        }
    }

    /// Rules that involve more than one column.
    fn table_rules(&self, values: &[Value], problems: &mut Vec<RowProblem>) {
        let get = |name: &str| {
            self.positions
                .get(name)
                .map_or(&Value::Null, |&i| &values[i])
        };
        let mut row_problem = |column: Option<&str>, kind, detail: String| {
            problems.push(RowProblem {
                column: column.map(str::to_string),
                value: None,
                problem: Problem::new(kind, detail),
            });
        };
        match self.table.name {
            "people" => {
                let needs_vintage = *get("imd_decile") != Value::Null
                    || (*get("lsoa_code") != Value::Null && self.imd.is_none());
                if needs_vintage && *get("imd_vintage") == Value::Null {
                    row_problem(
                        Some("imd_vintage"),
                        "missing_value",
                        "imd_vintage is empty but imd_decile or lsoa_code is given; a decile without its vintage cannot be used".to_string(),
                    );
                }
                if let (Value::Date(birth), Value::Date(death)) =
                    (get("birth_month"), get("date_of_death"))
                    && death < birth
                {
                    row_problem(
                        Some("date_of_death"),
                        "impossible_date_order",
                        "date_of_death is before the month of birth".to_string(),
                    );
                }
                if let (Value::Date(start), Value::Date(end)) =
                    (get("registration_start"), get("registration_end"))
                    && end < start
                {
                    row_problem(
                        Some("registration_end"),
                        "impossible_date_order",
                        format!(
                            "registration_end {} is before registration_start {}: correct either date (check the day/month order and the date_format)",
                            day(*end),
                            day(*start)
                        ),
                    );
                }
            }
            "referrals" => {
                let Value::Date(referred) = get("referral_date") else {
                    return;
                };
                for (column, what) in [
                    (
                        "first_contact_date",
                        "a person cannot be contacted about a referral before it is made",
                    ),
                    (
                        "closure_date",
                        "an episode cannot close before it is referred",
                    ),
                ] {
                    if let Value::Date(date) = get(column)
                        && date < referred
                    {
                        row_problem(
                            Some(column),
                            "impossible_date_order",
                            format!(
                                "{column} {} is before referral_date {}: {what}; correct either date (check the day/month order and the date_format)",
                                day(*date),
                                day(*referred)
                            ),
                        );
                    }
                }
                if let (Value::Text(person), Some(births)) = (get("person_id"), self.birth_months)
                    && let Some(&born) = births.get(person)
                    && *referred < born
                {
                    row_problem(
                        Some("referral_date"),
                        "impossible_date_order",
                        format!(
                            "referral_date {} is before the person's month of birth ({} in people): correct the referral date, or the person's birth_month",
                            day(*referred),
                            &day(born)[..7]
                        ),
                    );
                }
            }
            "assessments" => self.assessment_items(&get, &mut row_problem),
            _ => {}
        }
    }

    fn assessment_items<'v>(
        &self,
        get: &impl Fn(&str) -> &'v Value,
        row_problem: &mut impl FnMut(Option<&str>, &'static str, String),
    ) {
        let Value::Text(code) = get("instrument") else {
            return;
        };
        let Some(instrument) = instruments::instrument(code) else {
            return;
        };
        let items: [(usize, &Value); MAX_ITEMS] =
            std::array::from_fn(|i| (i + 1, get(instruments::ITEM_COLUMNS[i])));
        let any_item = items.iter().any(|(_, v)| **v != Value::Null);
        if instrument.licensed {
            if *get("total") == Value::Null && *get("vendor_level") == Value::Null {
                row_problem(
                    Some("total"),
                    "missing_value",
                    format!(
                        "{code} is licensed: sprout needs the vendor-computed total or vendor_level"
                    ),
                );
            }
            return;
        }
        if !any_item && *get("total") == Value::Null {
            row_problem(
                None,
                "missing_value",
                format!("no item responses and no total for {code}"),
            );
        }
        // Items stand alone only in ONS4; other scales are scored from all their items
        // (no prorating), so a gap makes the assessment unscorable unless a total is supplied.
        if code != "ons4"
            && *get("total") == Value::Null
            && let Some((i, _)) = items[..instrument.items]
                .iter()
                .find(|(_, v)| **v == Value::Null)
        {
            row_problem(
                Some(instruments::ITEM_COLUMNS[i - 1]),
                "missing_item",
                format!(
                    "{code} item {i} ({}) is empty; {code} is scored from all {} items and sprout does not prorate: record the answer, or leave the assessment out",
                    instrument.item_names[i - 1],
                    instrument.items
                ),
            );
        }
        for (i, value) in items {
            let Value::Int(v) = value else { continue };
            let column = instruments::ITEM_COLUMNS[i - 1];
            if i > instrument.items {
                row_problem(
                    Some(column),
                    "unexpected_item",
                    format!(
                        "{code} has {} items, but item_{i} has a value",
                        instrument.items
                    ),
                );
            } else if !(instrument.item_min..=instrument.item_max).contains(v) {
                row_problem(
                    Some(column),
                    "out_of_range",
                    format!(
                        "{code} item {i} ({}) is {v}; answers run from {} to {}",
                        instrument.item_names[i - 1],
                        instrument.item_min,
                        instrument.item_max
                    ),
                );
            }
        }
    }
}

/// Line breaks in `text` (LF, CRLF and lone CR each count once).
pub fn line_breaks(text: &str) -> u64 {
    // Nearly every value holds none: found without looking at each byte. The
    // byte before the first break is none, so a CRLF cannot straddle it.
    let Some(first) = memchr::memchr2(b'\n', b'\r', text.as_bytes()) else {
        return 0;
    };
    let bytes = &text.as_bytes()[first..];
    bytes
        .iter()
        .enumerate()
        .filter(|&(i, &b)| {
            (b == b'\n' && bytes.get(i.wrapping_sub(1)) != Some(&b'\r')) || b == b'\r'
        })
        .count() as u64
}

/// The longest value kept in the quarantine table (longer ones are cut, with
/// their length said).
pub const MAX_QUARANTINED_CHARS: usize = 200;

/// A Date32 day as `YYYY-MM-DD`.
fn day(days: i32) -> String {
    crate::days::from_date32(days).to_string()
}

/// The value as it may be stored in the quarantine table: NHS numbers
/// redacted (the whole value of `nhs_number`), and cut to
/// [`MAX_QUARANTINED_CHARS`].
fn redact(column: &Column, raw: &str) -> String {
    if column.name == "nhs_number" || identity::looks_like_nhs_number(raw) {
        REDACTED.to_string()
    } else {
        quarantined_text(raw)
    }
}

/// Text for the quarantine table: NHS numbers redacted, cut to
/// [`MAX_QUARANTINED_CHARS`] characters with the full length said.
pub fn quarantined_text(raw: &str) -> String {
    let redacted = identity::redact_nhs_numbers(raw);
    let chars = redacted.chars().count();
    if chars <= MAX_QUARANTINED_CHARS {
        return redacted.into_owned();
    }
    let kept: String = redacted.chars().take(MAX_QUARANTINED_CHARS).collect();
    format!("{kept}… ({chars} characters in all)")
}

/// `slot` set to the text `text`, in the string it holds if it holds one.
fn set_text(slot: &mut Value, text: &str) {
    match slot {
        Value::Text(held) => {
            held.clear();
            held.push_str(text);
        }
        _ => *slot = Value::Text(text.to_string()),
    }
}

/// Apply a column's code list, range or pattern check to `value`, parsed
/// from `raw`: a coded column's value becomes its canonical code (or codes).
fn check_value(plan: &ColumnPlan, raw: &str, value: &mut Value) -> Result<(), Problem> {
    let column = plan.column;
    let code = |s: &str| -> Result<&'static str, Problem> {
        if !plan.codes.is_empty()
            && let Some(mapped) = plan.codes.get(&s.to_lowercase())
        {
            return Ok(mapped);
        }
        let (Check::Code(list) | Check::Codes(list)) = column.check else {
            unreachable!("only coded columns are resolved")
        };
        list.resolve(s).ok_or_else(|| {
            Problem::new(
                "unknown_code",
                format!(
                    "'{s}' is not a {} code; allowed: {} (or map it in the mapping file under [source.codes.{}])",
                    list.name,
                    list.allowed(),
                    column.name
                ),
            )
        })
    };
    match (column.check, &*value) {
        (Check::None, _) => Ok(()),
        (Check::Code(_), _) => {
            set_text(value, code(raw)?);
            Ok(())
        }
        (Check::Codes(_), _) => {
            let mut codes = Vec::new();
            for part in raw
                .split([';', '|'])
                .map(str::trim)
                .filter(|p| !p.is_empty())
            {
                let c = code(part)?;
                if !codes.contains(&c) {
                    codes.push(c);
                }
            }
            *value = Value::Codes(codes);
            Ok(())
        }
        (Check::Range(lo, hi), Value::Int(v)) if !(lo..=hi).contains(v) => Err(Problem::new(
            "out_of_range",
            format!("{} is {v}; it must be from {lo} to {hi}", column.name),
        )),
        (Check::Range(..), _) => Ok(()),
        (Check::Lsoa, _) => shaped(
            raw,
            values::is_coded(raw, &["E01", "W01", "S01"], 6),
            "an LSOA code (E01 and 6 digits)",
        ),
        (Check::Practice, _) => shaped(
            raw,
            values::is_practice_code(raw),
            "an ODS practice code (a capital letter and 5 digits)",
        ),
        (Check::Pcn, _) => shaped(
            raw,
            values::is_coded(raw, &["U"], 5),
            "a PCN code (U and 5 digits)",
        ),
    }
}

fn shaped(raw: &str, ok: bool, what: &str) -> Result<(), Problem> {
    if ok {
        Ok(())
    } else {
        Err(Problem::new(
            "invalid_code",
            format!("'{raw}' is not {what}"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_reference_check_remembers_only_ids_it_found() {
        let mut keys = Keys::default();
        keys.extend(["P1", "P2"]);
        let mut check = ReferenceCheck::new(0, "people", &keys);
        let asked = ["", "P1", "P1", "P9", "P9", "P1", "P2", "", "P2", "P3"];
        let known: Vec<bool> = asked.iter().map(|id| check.knows(id)).collect();
        assert_eq!(
            known,
            [
                false, true, true, false, false, true, true, false, true, false
            ]
        );
    }

    #[test]
    fn line_breaks_count_lf_crlf_and_lone_cr_once_each() {
        for (text, breaks) in [
            ("", 0),
            ("one line", 0),
            ("\n", 1),
            ("\r\n", 1),
            ("\r", 1),
            ("\n\r", 2),
            ("\r\r\n", 2),
            ("a\r\nb\nc\rd", 3),
            ("ends with a break\r\n", 1),
            ("\n\nstarts with two", 2),
        ] {
            assert_eq!(line_breaks(text), breaks, "{text:?}");
        }
    }
}
