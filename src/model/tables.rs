//! The definitions of the canonical tables.

use super::codes::*;
use super::{Check, Column, ColumnType, Origin, Reference, Storage, Table};

const fn col(
    name: &'static str,
    ty: ColumnType,
    required: bool,
    check: Check,
    description: &'static str,
) -> Column {
    Column {
        name,
        ty,
        required,
        check,
        storage: Storage::Stored,
        description,
    }
}

const fn req(name: &'static str, ty: ColumnType, description: &'static str) -> Column {
    col(name, ty, true, Check::None, description)
}

const fn opt(name: &'static str, ty: ColumnType, description: &'static str) -> Column {
    col(name, ty, false, Check::None, description)
}

const fn item(name: &'static str) -> Column {
    col(
        name,
        ColumnType::Integer,
        false,
        Check::None,
        "Item response, in the instrument's published item order",
    )
}

/// The pseudonymised person key; every person-linked table has it.
const PERSON_ID: Column = req(
    "person_id",
    ColumnType::Text,
    "Pseudonymised person id: a local id, or the keyed HMAC-SHA256 pseudonym sprout makes from nhs_number",
);

/// Raw NHS number on input only; replaced by its keyed pseudonym in `person_id`.
const NHS_NUMBER: Column = Column {
    name: "nhs_number",
    ty: ColumnType::Text,
    required: false,
    check: Check::None,
    storage: Storage::InputOnly,
    description: "NHS number (input only): checked with modulus 11 and replaced by a keyed pseudonym in person_id; never stored",
};

use ColumnType::{Boolean, Date, Decimal, Integer, Text, YearMonth};

/// Every canonical table, in ingest order (parents before children).
pub static TABLES: &[Table] = &[
    Table {
        name: "organisations",
        description: "A VCSE organisation or service that people are connected to",
        origin: Origin::Extract,
        unique: &["organisation_id"],
        references: &[],
        columns: &[
            req("organisation_id", Text, "Organisation id"),
            req("name", Text, "Organisation name as the scheme records it"),
            col(
                "category",
                Text,
                false,
                Check::Code(&ORGANISATION_CATEGORY),
                "Kind of organisation",
            ),
            opt(
                "start_date",
                Date,
                "When the group started (new groups are counted as community impact)",
            ),
        ],
    },
    Table {
        name: "people",
        description: "A person registered with a practice: everyone referred, and the registered population used for comparison",
        origin: Origin::Extract,
        unique: &["person_id"],
        references: &[],
        columns: &[
            PERSON_ID,
            NHS_NUMBER,
            opt(
                "birth_month",
                YearMonth,
                "Year and month of birth (YYYY-MM)",
            ),
            col(
                "age_band",
                Text,
                false,
                Check::Code(&AGE_BAND),
                "Age band, where year-month of birth is not supplied",
            ),
            col("sex", Text, true, Check::Code(&SEX), "Person stated gender"),
            col(
                "ethnicity",
                Text,
                false,
                Check::Code(&ETHNICITY),
                "NHS Data Dictionary ethnic category",
            ),
            col(
                "lsoa_code",
                Text,
                false,
                Check::Lsoa,
                "Lower-layer super output area of residence",
            ),
            col(
                "imd_decile",
                Integer,
                false,
                Check::Range(1, 10),
                "Index of Multiple Deprivation decile (1 = most deprived)",
            ),
            col(
                "imd_vintage",
                Text,
                false,
                Check::Code(&IMD_VINTAGE),
                "IMD release of imd_decile (and LSOA vintage of lsoa_code)",
            ),
            col(
                "practice_code",
                Text,
                true,
                Check::Practice,
                "Registered GP practice (ODS code)",
            ),
            col(
                "pcn_code",
                Text,
                false,
                Check::Pcn,
                "Primary care network of the practice",
            ),
            opt(
                "registration_start",
                Date,
                "Start of registration with the practice",
            ),
            opt(
                "registration_end",
                Date,
                "End of registration (deregistration), if any",
            ),
            opt("date_of_death", Date, "Date of death, if any"),
        ],
    },
    Table {
        name: "referrals",
        description: "One referral episode to a link worker",
        origin: Origin::Extract,
        unique: &["referral_id"],
        references: &[Reference {
            column: "person_id",
            table: "people",
        }],
        columns: &[
            req("referral_id", Text, "Referral episode id"),
            PERSON_ID,
            NHS_NUMBER,
            req("referral_date", Date, "Date the referral was received"),
            col(
                "referral_source",
                Text,
                true,
                Check::Code(&REFERRAL_SOURCE),
                "Who referred the person",
            ),
            Column {
                name: "needs",
                ty: Text,
                required: false,
                check: Check::Codes(&NEED),
                storage: Storage::InputOnly,
                description: "Needs and concerns, separated by ';' (stored as rows of referral_needs)",
            },
            col(
                "status",
                Text,
                false,
                Check::Code(&REFERRAL_STATUS),
                "Outcome of the referral",
            ),
            opt(
                "first_contact_date",
                Date,
                "First contact with the link worker",
            ),
            opt("closure_date", Date, "Date the episode was closed"),
            opt("link_worker_id", Text, "Link worker (pseudonymous id)"),
            opt("scheme", Text, "Social prescribing scheme or service"),
        ],
    },
    Table {
        name: "referral_needs",
        description: "One need or concern recorded on a referral (from referrals.needs)",
        origin: Origin::Derived,
        unique: &[],
        references: &[Reference {
            column: "referral_id",
            table: "referrals",
        }],
        columns: &[
            req("referral_id", Text, "Referral episode id"),
            col("need", Text, true, Check::Code(&NEED), "Need or concern"),
        ],
    },
    Table {
        name: "contacts",
        description: "One contact between link worker and person",
        origin: Origin::Extract,
        unique: &["contact_id"],
        references: &[Reference {
            column: "referral_id",
            table: "referrals",
        }],
        columns: &[
            opt("contact_id", Text, "Contact id, if the source has one"),
            req("referral_id", Text, "Referral episode id"),
            req("contact_date", Date, "Date of the contact"),
            col(
                "mode",
                Text,
                false,
                Check::Code(&CONTACT_MODE),
                "How the contact took place",
            ),
            col(
                "minutes",
                Integer,
                false,
                Check::Range(0, 1440),
                "Length of the contact in minutes",
            ),
        ],
    },
    Table {
        name: "onward_referrals",
        description: "Support offered: a connection to an organisation or activity",
        origin: Origin::Extract,
        unique: &["onward_referral_id"],
        references: &[
            Reference {
                column: "referral_id",
                table: "referrals",
            },
            Reference {
                column: "organisation_id",
                table: "organisations",
            },
        ],
        columns: &[
            opt(
                "onward_referral_id",
                Text,
                "Onward referral id, if the source has one",
            ),
            req("referral_id", Text, "Referral episode id"),
            req("organisation_id", Text, "Organisation connected to"),
            col(
                "activity_type",
                Text,
                false,
                Check::Code(&ACTIVITY_TYPE),
                "Kind of activity",
            ),
            req("onward_referral_date", Date, "Date of the onward referral"),
            opt(
                "attended",
                Boolean,
                "Whether the person attended at least once",
            ),
        ],
    },
    Table {
        name: "assessments",
        description: "One completed outcome measure (items and/or a vendor total)",
        origin: Origin::Extract,
        unique: &["assessment_id"],
        references: &[
            Reference {
                column: "person_id",
                table: "people",
            },
            Reference {
                column: "referral_id",
                table: "referrals",
            },
        ],
        columns: &[
            opt(
                "assessment_id",
                Text,
                "Assessment id, if the source has one",
            ),
            PERSON_ID,
            NHS_NUMBER,
            opt(
                "referral_id",
                Text,
                "Referral episode the assessment belongs to",
            ),
            col(
                "instrument",
                Text,
                true,
                Check::Code(&INSTRUMENT),
                "Outcome instrument",
            ),
            req("assessment_date", Date, "Date the measure was completed"),
            item("item_1"),
            item("item_2"),
            item("item_3"),
            item("item_4"),
            item("item_5"),
            item("item_6"),
            item("item_7"),
            item("item_8"),
            item("item_9"),
            item("item_10"),
            item("item_11"),
            item("item_12"),
            item("item_13"),
            item("item_14"),
            opt(
                "total",
                Decimal,
                "Vendor-computed total (licensed instruments), or a supplied total",
            ),
            opt(
                "vendor_level",
                Text,
                "Vendor-computed level (e.g. PAM level), licensed instruments",
            ),
        ],
    },
    Table {
        name: "health_events",
        description: "One use of a health or care service",
        origin: Origin::Extract,
        unique: &[],
        references: &[Reference {
            column: "person_id",
            table: "people",
        }],
        columns: &[
            PERSON_ID,
            NHS_NUMBER,
            req("event_date", Date, "Date of the event"),
            col(
                "setting",
                Text,
                true,
                Check::Code(&HEALTH_SETTING),
                "Kind of service used",
            ),
        ],
    },
    Table {
        name: "population",
        description: "Registered list size: denominators for reach and equity",
        origin: Origin::Extract,
        unique: &[],
        references: &[],
        columns: &[
            col(
                "practice_code",
                Text,
                true,
                Check::Practice,
                "GP practice (ODS code)",
            ),
            col(
                "pcn_code",
                Text,
                false,
                Check::Pcn,
                "Primary care network of the practice",
            ),
            col("age_band", Text, true, Check::Code(&AGE_BAND), "Age band"),
            col("sex", Text, true, Check::Code(&SEX), "Person stated gender"),
            col(
                "imd_quintile",
                Integer,
                false,
                Check::Range(1, 5),
                "National IMD quintile (1 = most deprived)",
            ),
            col(
                "list_size",
                Integer,
                true,
                Check::Range(0, 10_000_000),
                "Registered people in this cell",
            ),
        ],
    },
    Table {
        name: "imd_lookup",
        description: "One LSOA of the English Indices of Deprivation, as published (ingest --imd)",
        origin: Origin::Lookup,
        unique: &[],
        references: &[],
        columns: &[
            col(
                "lsoa_code",
                Text,
                true,
                Check::Lsoa,
                "Lower-layer super output area",
            ),
            req("imd_rank", Integer, "IMD rank (1 = most deprived)"),
            col(
                "imd_decile",
                Integer,
                true,
                Check::Range(1, 10),
                "IMD decile (1 = most deprived)",
            ),
            col(
                "imd_vintage",
                Text,
                true,
                Check::Code(&IMD_VINTAGE),
                "IMD release (2019 on 2011 LSOAs, 2025 on 2021 LSOAs)",
            ),
            req("source", Text, "File the lookup was read from"),
        ],
    },
    Table {
        name: "area_population",
        description: "Population of one LSOA from the same release's denominators file (ingest --area-population)",
        origin: Origin::Lookup,
        unique: &[],
        references: &[],
        columns: &[
            col(
                "lsoa_code",
                Text,
                true,
                Check::Lsoa,
                "Lower-layer super output area",
            ),
            col(
                "imd_vintage",
                Text,
                true,
                Check::Code(&IMD_VINTAGE),
                "Release the denominators belong to",
            ),
            req("population", Integer, "Total population"),
            opt("aged_0_15", Integer, "Dependent children aged 0-15"),
            opt("aged_16_59", Integer, "Population aged 16-59"),
            opt("aged_60_plus", Integer, "Population aged 60 and over"),
            opt("working_age", Integer, "Working-age population (18-59/64)"),
            req(
                "source",
                Text,
                "File and release the population was read from",
            ),
        ],
    },
    Table {
        name: "ods_practices",
        description: "One organisation of the ODS epraccur file, as published (ingest --ods-practices)",
        origin: Origin::Lookup,
        unique: &[],
        references: &[],
        columns: &[
            req("practice_code", Text, "ODS organisation code"),
            req("practice_name", Text, "Name as published"),
            req("status", Text, "active, closed, dormant or proposed"),
            req("source", Text, "File the names were read from"),
            opt(
                "latest_date",
                Date,
                "The latest date the file holds (its vintage, near enough)",
            ),
        ],
    },
    Table {
        name: "ods_pcn_members",
        description: "One practice's membership of a primary care network, as ODS publishes it (ingest --ods-pcns)",
        origin: Origin::Lookup,
        unique: &[],
        references: &[],
        columns: &[
            req("practice_code", Text, "Practice ODS code"),
            req("practice_name", Text, "Practice name"),
            req("pcn_code", Text, "PCN code"),
            req("pcn_name", Text, "PCN name"),
            opt("start_date", Date, "Membership began"),
            opt("end_date", Date, "Membership ended (empty: current)"),
            req("source", Text, "File the memberships were read from"),
            opt("latest_date", Date, "The latest date the file holds"),
        ],
    },
    Table {
        name: "practice_list_sizes",
        description: "One practice's registered list from NHS England's Patients Registered at a GP Practice totals, as published (ingest --list-sizes)",
        origin: Origin::Lookup,
        unique: &[],
        references: &[],
        columns: &[
            req("practice_code", Text, "Practice ODS code"),
            req("list_size", Integer, "Patients registered"),
            req("extract_date", Date, "The publication's extract date"),
            req("source", Text, "File the list sizes were read from"),
        ],
    },
    Table {
        name: "wellbeing_estimates",
        description: "One ONS personal well-being (ONS4) mean for one area and year, as published (ingest --wellbeing-estimates)",
        origin: Origin::Lookup,
        unique: &[],
        references: &[],
        columns: &[
            req("area_code", Text, "ONS area code (E92000001 England)"),
            req("area_name", Text, "Area name"),
            req("geography", Text, "Geography level as published"),
            req(
                "indicator",
                Text,
                "Satisfaction, Worthwhile, Happiness or Anxiety",
            ),
            req("year_start", Date, "First day of the survey year (April)"),
            opt("mean", Decimal, "Mean score out of 10"),
            opt("lower", Decimal, "Lower 95% limit"),
            opt("upper", Decimal, "Upper 95% limit"),
            opt("status", Text, "x not available, u low reliability"),
            req("source", Text, "File the estimates were read from"),
        ],
    },
    Table {
        name: "quarantine",
        description: "One problem found in an extract row; the row was kept out of its table",
        origin: Origin::Derived,
        unique: &[],
        references: &[],
        columns: &[
            req("table_name", Text, "Table the row was meant for"),
            req("source_file", Text, "Extract file name"),
            req(
                "line",
                Integer,
                "Physical line (CSV) where the record starts, row (Excel) or row number (Parquet) in the file",
            ),
            req(
                "last_line",
                Integer,
                "Physical line where the record ends: the same as line, unless a quoted value ran over line breaks",
            ),
            opt(
                "column_name",
                Text,
                "Source column, where the problem is in one value",
            ),
            opt(
                "value",
                Text,
                "The offending value (identifiers are redacted)",
            ),
            req("problem", Text, "Kind of problem, e.g. invalid_date"),
            req("detail", Text, "What is wrong and how to fix it"),
        ],
    },
];

/// The table called `name`.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_point_at_earlier_tables_with_unique_keys() {
        for (i, t) in TABLES.iter().enumerate() {
            for r in t.references {
                let target = TABLES.iter().position(|x| x.name == r.table).unwrap();
                assert!(target < i, "{} must come after {}", t.name, r.table);
                assert!(t.column(r.column).is_some());
                assert_eq!(TABLES[target].unique.len(), 1, "{} needs one key", r.table);
            }
            for u in t.unique {
                assert!(t.column(u).is_some(), "{}.{u}", t.name);
            }
        }
    }

    #[test]
    fn person_linked_tables_accept_nhs_numbers_but_never_store_them() {
        for t in TABLES {
            assert!(t.schema().field_with_name("nhs_number").is_err());
            assert_eq!(
                t.has_person(),
                t.column("person_id").is_some() && t.origin == Origin::Extract
            );
        }
    }
}
