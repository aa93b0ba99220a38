//! Ingest fuzzed with mutated extracts: nothing panics, every failure is a
//! clear error, and every physical line of every file is accounted for as a
//! header, blank, accepted or quarantined line, with the accepted rows in the
//! warehouse.
//!
//! `cargo test` runs 150 cases; `SPROUT_FUZZ_CASES=5000 cargo test fuzz`
//! runs more (the figures in the closing note of issue #15 come from that).

use std::path::Path;

use proptest::prelude::*;
use sprout::console::Console;
use sprout::error::Error;
use sprout::ingest::{self, IngestOptions};

use crate::support::PEOPLE;

/// A small extract set with every parent and child table.
const FILES: &[(&str, &str)] = &[
    ("people.csv", PEOPLE),
    (
        "organisations.csv",
        "organisation_id,name,category,start_date\nO1,Garden club,community_group,2024-01-01\nO2,\"Choir, north\",charity,\n",
    ),
    (
        "referrals.csv",
        "referral_id,person_id,referral_date,referral_source,needs,status,first_contact_date,closure_date,link_worker_id,scheme\n\
R1,P1,2024-05-01,general_practice,loneliness;housing,accepted,2024-05-03,2024-08-01,LW1,North\n\
R2,P2,2024-05-02,pharmacy,,declined,,,LW1,North\n\
R3,P3,2024-06-01,self_referral,money,accepted,2024-06-02,,LW2,\"South, east\"\n",
    ),
    (
        "contacts.csv",
        "contact_id,referral_id,contact_date,mode,minutes\nC1,R1,2024-05-03,face_to_face,45\nC2,R1,2024-05-10,telephone,20\nC3,R3,2024-06-02,video,30\n",
    ),
    (
        "onward_referrals.csv",
        "onward_referral_id,referral_id,organisation_id,activity_type,onward_referral_date,attended\nW1,R1,O1,physical_activity,2024-05-20,yes\n",
    ),
    (
        "assessments.csv",
        "assessment_id,person_id,referral_id,instrument,assessment_date,item_1,item_2,item_3,item_4,item_5,item_6,item_7\n\
A1,P1,R1,swemwbs,2024-05-03,3,3,3,3,3,3,3\nA2,P1,R1,swemwbs,2024-07-30,4,4,4,4,4,4,4\n",
    ),
    (
        "health_events.csv",
        "person_id,event_date,setting\nP1,2024-01-05,gp_appointment\nP2,2024-02-05,ae_attendance\nP3,2024-03-05,gp_appointment\n",
    ),
];

/// Bytes that break CSV files in practice.
const NASTY: &[u8] = b"\",;\t\r\n\0\xFF\xC3 9-aZ=";

#[derive(Debug, Clone)]
enum Mutation {
    Insert(usize, u8),
    Delete(usize),
    Replace(usize, u8),
    DuplicateLine(usize),
    Truncate(usize),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    let byte = proptest::sample::select(NASTY.to_vec());
    prop_oneof![
        (any::<usize>(), byte.clone()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Delete),
        (any::<usize>(), byte).prop_map(|(i, b)| Mutation::Replace(i, b)),
        any::<usize>().prop_map(Mutation::DuplicateLine),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Apply `m` to `bytes`; with `body_only`, positions fall after the header line.
fn apply(bytes: &mut Vec<u8>, m: &Mutation, body_only: bool) {
    if bytes.is_empty() {
        return;
    }
    let start = if body_only {
        bytes
            .iter()
            .position(|&b| b == b'\n')
            .map_or(0, |i| (i + 1).min(bytes.len() - 1))
    } else {
        0
    };
    let at = |i: usize, len: usize| start + i % (len - start).max(1);
    match *m {
        Mutation::Insert(i, b) => {
            let n = bytes.len() + 1;
            bytes.insert(at(i, n), b);
        }
        Mutation::Delete(i) => {
            let n = bytes.len();
            bytes.remove(at(i, n));
        }
        Mutation::Replace(i, b) => {
            let n = bytes.len();
            bytes[at(i, n)] = b;
        }
        Mutation::DuplicateLine(i) => {
            let lines: Vec<&[u8]> = bytes.split_inclusive(|&b| b == b'\n').collect();
            let line = lines[i % lines.len()].to_vec();
            bytes.extend_from_slice(&line);
        }
        Mutation::Truncate(i) => {
            let n = bytes.len();
            bytes.truncate(at(i, n));
        }
    }
}

/// Physical lines of `bytes`, counted directly: LF, CRLF and lone CR each end one.
fn physical_lines(bytes: &[u8]) -> u64 {
    let bytes = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    let mut lines = 0;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\r' if bytes.get(i + 1) == Some(&b'\n') => {
                lines += 1;
                i += 1;
            }
            b'\r' | b'\n' => lines += 1,
            _ => {}
        }
        i += 1;
    }
    let ends_with_break = bytes.last().is_some_and(|b| *b == b'\n' || *b == b'\r');
    lines + u64::from(!bytes.is_empty() && !ends_with_break)
}

/// Outcomes so far: cases, clean errors, quarantined records, physical lines read.
static TALLY: [std::sync::atomic::AtomicU64; 4] =
    [const { std::sync::atomic::AtomicU64::new(0) }; 4];

fn tally(i: usize, n: u64) {
    TALLY[i].fetch_add(n, std::sync::atomic::Ordering::Relaxed);
}

/// With `SPROUT_FUZZ_CASES` set, a line of figures every 1,000 cases.
fn report_tally() {
    let get = |i: usize| TALLY[i].load(std::sync::atomic::Ordering::Relaxed);
    if std::env::var_os("SPROUT_FUZZ_CASES").is_some() && get(0).is_multiple_of(1000) {
        eprintln!(
            "fuzz: {} cases, {} refused with a clear error, {} records quarantined, {} physical lines read, 0 unaccounted for",
            get(0),
            get(1),
            get(2),
            get(3)
        );
    }
}

fn cases() -> u32 {
    std::env::var("SPROUT_FUZZ_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(150)
}

/// Ingest the files in `folder`; check what came back.
fn check(folder: &Path, warehouse: &Path) -> Result<(), TestCaseError> {
    let options = IngestOptions {
        inputs: vec![folder.to_path_buf()],
        warehouse: warehouse.to_path_buf(),
        mapping: None,
        key_file: None,
        as_of: chrono::NaiveDate::from_ymd_opt(2026, 1, 31),
        imd: None,
        area_population: None,
        context: Default::default(),
    };
    tally(0, 1);
    let outcome = ingest::ingest(&options, &Console::new(true));
    match &outcome {
        Ok(report) => {
            tally(2, report.quarantined());
            tally(3, report.lines_read());
            let mut accepted = std::collections::BTreeMap::<&str, u64>::new();
            for file in &report.files {
                prop_assert!(file.reconciles(), "{file:?}");
                let bytes = std::fs::read(&file.path).unwrap();
                prop_assert_eq!(
                    file.lines_read,
                    physical_lines(&bytes),
                    "{}",
                    file.path.display()
                );
                prop_assert_eq!(file.rows_read, file.rows_accepted + file.rows_quarantined);
                *accepted.entry(file.table).or_default() += file.rows_accepted;
            }
            let manifest: serde_json::Value =
                serde_json::from_slice(&std::fs::read(warehouse.join("manifest.json")).unwrap())
                    .unwrap();
            for (table, rows) in accepted {
                prop_assert_eq!(&manifest["tables"][table], rows, "{}", table);
            }
        }
        Err(e) => {
            tally(1, 1);
            prop_assert!(
                matches!(e, Error::Input { .. } | Error::Unreadable { .. }),
                "not a clear input error: {e:?}"
            );
            prop_assert!(!warehouse.exists(), "a failed ingest wrote the warehouse");
        }
    }
    report_tally();
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn mutated_extracts_never_panic_and_every_line_is_accounted_for(
        target in 0..FILES.len(),
        mutations in proptest::collection::vec(mutation(), 1..8),
        body_only in proptest::bool::weighted(0.8),
    ) {
        let root = tempfile::tempdir().unwrap();
        let folder = root.path().join("extract");
        std::fs::create_dir(&folder).unwrap();
        for (i, (name, text)) in FILES.iter().enumerate() {
            let mut bytes = text.as_bytes().to_vec();
            if i == target {
                for m in &mutations {
                    apply(&mut bytes, m, body_only);
                }
            }
            std::fs::write(folder.join(name), bytes).unwrap();
        }
        check(&folder, &root.path().join("wh"))?;
    }
}
