//! Privacy by default: no NHS number outside `nhs_number` is stored, quoted
//! or shown, and nothing from an extract acts on the terminal.

use crate::support::*;

/// Valid NHS numbers (modulus 11), written three ways.
const NHS: [&str; 3] = ["9434765919", "943 476 5919", "401-023-2137"];

/// Every table of the warehouse as JSON text.
fn everything(wh: &std::path::Path) -> String {
    sprout::model::TABLES
        .iter()
        .map(|t| format!("{:?}", query(wh, &format!("SELECT * FROM {}", t.name))))
        .collect()
}

fn digits(text: &str) -> String {
    text.chars().filter(char::is_ascii_digit).collect()
}

#[test]
fn an_nhs_number_in_any_identifier_or_name_is_quarantined_and_redacted() {
    let referrals = format!(
        "referral_id,person_id,referral_date,referral_source,status,link_worker_id,scheme\n\
R1,P1,2024-05-01,general_practice,accepted,{},North\n\
{},P2,2024-05-02,pharmacy,accepted,LW1,North\n\
R3,P3,2024-05-03,police,accepted,LW2,Scheme for {}\n\
R4,P1,2024-05-04,police,accepted,LW{},North\n\
R5,P2,2024-05-05,police,{},LW1,North\n\
R6,P3,2024-05-06,police,accepted,LW1,North\n",
        NHS[0], NHS[1], NHS[2], NHS[0], NHS[1]
    );
    let dir = extract(&[
        ("people.csv", PEOPLE.as_bytes()),
        ("referrals.csv", referrals.as_bytes()),
    ]);
    let wh = dir.out("wh");
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh)]);
    assert_eq!(run.code, 1, "{}", run.all());
    assert_eq!(
        count(&wh, "SELECT count(*) FROM referrals"),
        1,
        "only R6 is clean"
    );
    let rows = query(
        &wh,
        "SELECT line, column_name, problem, value FROM quarantine ORDER BY line",
    );
    let kinds: Vec<(i64, &str)> = rows
        .iter()
        .map(|r| (r["line"].as_i64().unwrap(), r["problem"].as_str().unwrap()))
        .collect();
    assert_eq!(
        kinds,
        [
            (2, "unpseudonymised_nhs_number"),
            (3, "unpseudonymised_nhs_number"),
            (4, "unpseudonymised_nhs_number"),
            (5, "unpseudonymised_nhs_number"),
            (6, "unknown_code"),
        ]
    );
    assert!(
        rows.iter()
            .all(|r| r["value"].as_str().unwrap().contains("[redacted]"))
    );
    let stored = digits(&everything(&wh));
    for n in NHS {
        assert!(!stored.contains(&digits(n)), "{n} is stored somewhere");
    }
    assert!(
        !digits(&run.all()).contains(&digits(NHS[0])),
        "{}",
        run.all()
    );
}

#[test]
fn a_header_misread_from_a_data_row_is_never_echoed() {
    let mapping = "[[source]]\nfile = \"people.csv\"\ntable = \"people\"\nhas_header = true\n";
    let people = format!(
        "{},1950-01,female,A81001\n{},1960-02,male,A81001\n",
        NHS[0], NHS[2]
    );
    let dir = extract(&[
        ("mapping.toml", mapping.as_bytes()),
        ("people.csv", people.as_bytes()),
    ]);
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&dir.out("wh"))]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("first row looks like data"),
        "{}",
        run.all()
    );
    for value in [NHS[0], "1950-01", "A81001"] {
        assert!(!run.stderr.contains(value), "{value} echoed: {}", run.all());
    }
}

#[test]
fn terminal_escapes_in_headers_and_values_are_written_out() {
    let people = "person_id,sex,practice_code,notes\u{1b}[2J\u{202e}\nP1,female,A81001,x\nP2,fem\u{1b}]0;pwned\u{7},A81001,y\n";
    let dir = extract(&[("people.csv", people.as_bytes())]);
    let wh = dir.out("wh");
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&wh)]);
    assert_eq!(run.code, 1, "{}", run.all());
    for c in ['\u{1b}', '\u{7}', '\u{202e}'] {
        assert!(!run.all().contains(c), "{c:?} reached the terminal");
    }
    assert!(
        run.stderr.contains("notes<U+001B>[2J<U+202E>"),
        "{}",
        run.all()
    );
    // Stored as it came (nothing lost); shown written out by `sprout sql`.
    let shown = sprout(&["sql", "SELECT value FROM quarantine", "-w", s(&wh)]);
    assert!(
        shown.stdout.contains("fem<U+001B>]0;pwned<U+0007>"),
        "{}",
        shown.all()
    );
    assert!(!shown.stdout.contains('\u{1b}'));
}
