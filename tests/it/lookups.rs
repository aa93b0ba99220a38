//! Official IMD and population lookups, read as published.

use crate::support::*;

const IMD_HEADER: &str = "\u{feff}LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),Index of Multiple Deprivation (IMD) Rank,Index of Multiple Deprivation (IMD) Decile\r\n";

/// A tiny lookup in the published shape: BOM, long headers, quoted ranks with separators, CRLF.
fn crafted_imd() -> String {
    format!(
        "{IMD_HEADER}E01900001,Testshire 001A,E06900001,Testshire,\"1,234\",1\r\nE01900002,Testshire 001B,E06900001,Testshire,\"30,001\",10\r\nE01900003,Testshire 001C,E06900001,Testshire,\"16,400\",5\r\n"
    )
}

const PEOPLE: &str = "person_id,sex,practice_code,lsoa_code,imd_vintage,imd_decile\n\
P1,female,A81001,E01900001,,\n\
P2,male,A81001,E01900002,,\n\
P3,female,A81001,W01000001,,\n\
P4,male,A81001,E01999999,,\n\
P5,female,A81001,E01900003,2025,\n\
P6,male,A81001,E01900003,2019,3\n";

fn deciles(wh: &std::path::Path) -> Vec<(String, Option<i64>, Option<String>)> {
    query(
        wh,
        "SELECT person_id, imd_decile, imd_vintage FROM people ORDER BY person_id",
    )
    .iter()
    .map(|r| {
        (
            r["person_id"].as_str().unwrap().to_string(),
            r.get("imd_decile").and_then(serde_json::Value::as_i64),
            r.get("imd_vintage")
                .and_then(|v| v.as_str())
                .map(str::to_string),
        )
    })
    .collect()
}

#[test]
fn a_published_shape_lookup_fills_deciles_and_reports_what_it_cannot() {
    let dir = extract(&[
        ("x/people.csv", PEOPLE.as_bytes()),
        ("File_1_IMD.csv", crafted_imd().as_bytes()),
    ]);
    let wh = dir.out("wh");
    let run = sprout(&[
        "ingest",
        s(&dir.path().join("x")),
        "-w",
        s(&wh),
        "--imd",
        s(&dir.path().join("File_1_IMD.csv")),
    ]);
    assert_eq!(
        run.code,
        0,
        "unmatched areas are reported, not quarantined: {}",
        run.all()
    );
    let got = deciles(&wh);
    let some = |d: i64| (Some(d), Some("2019".to_string()));
    assert_eq!((got[0].1, got[0].2.clone()), some(1));
    assert_eq!((got[1].1, got[1].2.clone()), some(10));
    assert_eq!((got[2].1, got[2].2.clone()), (None, None), "Welsh code");
    assert_eq!((got[3].1, got[3].2.clone()), (None, None), "unknown code");
    assert_eq!(
        (got[4].1, got[4].2.clone()),
        (None, Some("2025".to_string())),
        "another vintage is never given a 2019 decile"
    );
    assert_eq!(
        (got[5].1, got[5].2.clone()),
        some(3),
        "a supplied decile is kept"
    );
    assert!(
        run.stdout.contains("decile looked up for 2 people"),
        "{}",
        run.all()
    );
    assert!(run.stdout.contains("Welsh or Scottish"), "{}", run.all());
    assert!(run.stdout.contains("imd_vintage differs"), "{}", run.all());
    let ranks = query(
        &wh,
        "SELECT lsoa_code, imd_rank FROM imd_lookup ORDER BY lsoa_code",
    );
    assert_eq!(ranks[0]["imd_rank"], 1234, "thousands separators read");
}

#[test]
fn the_lookup_may_be_the_published_xlsx() {
    let dir = extract(&[("x/people.csv", PEOPLE.as_bytes())]);
    let path = dir.path().join("File_1_IMD.xlsx");
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet().set_name("IMD2019").unwrap();
    for (r, line) in crafted_imd()
        .trim_start_matches('\u{feff}')
        .lines()
        .enumerate()
    {
        let mut fields = Vec::new();
        let mut rest = line.trim_end_matches('\r');
        while !rest.is_empty() {
            if let Some(stripped) = rest.strip_prefix('"') {
                let end = stripped.find('"').unwrap();
                fields.push(stripped[..end].to_string());
                rest = stripped[end + 1..].trim_start_matches(',');
            } else {
                let end = rest.find(',').unwrap_or(rest.len());
                fields.push(rest[..end].to_string());
                rest = rest.get(end + 1..).unwrap_or("");
            }
        }
        for (c, f) in fields.iter().enumerate() {
            match (r, f.replace(',', "").parse::<f64>()) {
                (0, _) | (_, Err(_)) => sheet.write_string(r as u32, c as u16, f).map(|_| ()),
                (_, Ok(n)) => sheet.write_number(r as u32, c as u16, n).map(|_| ()),
            }
            .unwrap();
        }
    }
    book.save(&path).unwrap();
    let wh = dir.out("wh");
    let run = sprout(&[
        "ingest",
        s(&dir.path().join("x")),
        "-w",
        s(&wh),
        "--imd",
        s(&path),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(deciles(&wh)[1].1, Some(10));
}

#[test]
fn without_a_lookup_an_lsoa_needs_its_vintage() {
    let dir = extract(&[(
        "people.csv",
        b"person_id,sex,practice_code,lsoa_code\nP1,female,A81001,E01900001\n",
    )]);
    let run = sprout(&["ingest", s(dir.path()), "-w", s(&dir.out("wh"))]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(run.stderr.contains("--imd"), "{}", run.all());
}

#[test]
fn population_denominators_are_stored_with_their_source() {
    let population = "\u{feff}LSOA code (2011),LSOA name (2011),Local Authority District code (2019),Local Authority District name (2019),Total population: mid 2015 (excluding prisoners),Dependent Children aged 0-15: mid 2015 (excluding prisoners),Population aged 16-59: mid 2015 (excluding prisoners),Older population aged 60 and over: mid 2015 (excluding prisoners),Working age population 18-59/64: for use with Employment Deprivation Domain (excluding prisoners)\r\nE01900001,Testshire 001A,E06900001,Testshire,\"1,296\",175,656,465,715\r\n";
    let dir = extract(&[
        ("x/people.csv", PEOPLE.as_bytes()),
        ("File_6.csv", population.as_bytes()),
        ("File_1.csv", crafted_imd().as_bytes()),
    ]);
    let wh = dir.out("wh");
    let run = sprout(&[
        "ingest",
        s(&dir.path().join("x")),
        "-w",
        s(&wh),
        "--imd",
        s(&dir.path().join("File_1.csv")),
        "--area-population",
        s(&dir.path().join("File_6.csv")),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let rows = query(
        &wh,
        "SELECT lsoa_code, population, aged_60_plus, source FROM area_population",
    );
    assert_eq!(rows[0]["population"], 1296);
    assert_eq!(rows[0]["aged_60_plus"], 465);
    assert_eq!(rows[0]["source"], "File_6.csv (IoD2019)");
}

#[test]
fn the_real_imd_2019_file_gives_the_published_deciles() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/data/imd2019");
    let imd = root.join("File_1_-_IMD2019_Index_of_Multiple_Deprivation.csv.gz");
    if !imd.exists() {
        eprintln!("skipped: {} is absent", imd.display());
        return;
    }
    // The first rows of the file, its last row, a Welsh code, and a 2021-only code.
    let people = "person_id,sex,practice_code,lsoa_code\nA,female,A81001,E01000001\nB,male,A81001,E01000002\nC,female,A81001,E01000003\nD,male,A81001,E01033768\nE,female,A81001,W01000001\nF,male,A81001,E01035000\n";
    let dir = extract(&[("x/people.csv", people.as_bytes())]);
    let wh = dir.out("wh");
    let population = root.join("File_6_-_IoD2019_Population_Denominators.csv.gz");
    let run = sprout(&[
        "ingest",
        s(&dir.path().join("x")),
        "-w",
        s(&wh),
        "--imd",
        s(&imd),
        "--area-population",
        s(&population),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let got: Vec<Option<i64>> = deciles(&wh).iter().map(|r| r.1).collect();
    assert_eq!(got, vec![Some(9), Some(10), Some(5), Some(1), None, None]);
    assert_eq!(count(&wh, "SELECT count(*) FROM imd_lookup"), 32_844);
    assert_eq!(
        count(
            &wh,
            "SELECT population FROM area_population WHERE lsoa_code = 'E01000001'"
        ),
        1296
    );
    assert!(
        run.stdout
            .contains("1 unmatched: not in the IMD 2019 lookup"),
        "{}",
        run.all()
    );
}

#[test]
fn outcome_breakdowns_use_the_looked_up_quintiles() {
    let people = "person_id,sex,practice_code,lsoa_code\nP1,female,A81001,E01900001\nP2,male,A81001,E01900002\n";
    let referrals = "referral_id,person_id,referral_date,referral_source,status,first_contact_date,closure_date\n\
R1,P1,2024-05-01,general_practice,accepted,2024-05-10,2024-09-01\n\
R2,P2,2024-05-01,general_practice,accepted,2024-05-10,2024-09-01\n";
    let mut assessments =
        String::from("person_id,referral_id,instrument,assessment_date,item_1,item_2,item_3\n");
    for (person, referral) in [("P1", "R1"), ("P2", "R2")] {
        assessments += &format!(
            "{person},{referral},ucla3,2024-05-10,3,3,3\n{person},{referral},ucla3,2024-08-30,2,2,2\n"
        );
    }
    let dir = extract(&[
        ("x/people.csv", people.as_bytes()),
        ("x/referrals.csv", referrals.as_bytes()),
        ("x/assessments.csv", assessments.as_bytes()),
        ("File_1.csv", crafted_imd().as_bytes()),
    ]);
    let wh = dir.out("wh");
    let run = sprout(&[
        "ingest",
        s(&dir.path().join("x")),
        "-w",
        s(&wh),
        "--imd",
        s(&dir.path().join("File_1.csv")),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let out = dir.out("m");
    let run = sprout(&[
        "measures",
        "-w",
        s(&wh),
        "-p",
        "2024/25",
        "-o",
        s(&out),
        "-q",
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    let mut reader = csv::Reader::from_path(out.join("wellbeing_change.csv")).unwrap();
    let headers = reader.headers().unwrap().clone();
    let (b, g) = (
        headers.iter().position(|h| h == "breakdown").unwrap(),
        headers.iter().position(|h| h == "group").unwrap(),
    );
    let groups: Vec<(String, String)> = reader
        .records()
        .map(|r| r.unwrap())
        .filter(|r| ["imd_quintile", "core20"].contains(&&r[b]))
        .map(|r| (r[b].to_string(), r[g].to_string()))
        .collect();
    // Decile 1 is quintile 1 (Core20); decile 10 is quintile 5.
    assert_eq!(
        groups,
        vec![
            ("imd_quintile".to_string(), "1".to_string()),
            ("imd_quintile".to_string(), "5".to_string()),
            ("core20".to_string(), "Core20".to_string()),
            ("core20".to_string(), "not Core20".to_string()),
        ]
    );
}

/// The shared folder of real published files, when present.
fn shared(path: &str) -> Option<std::path::PathBuf> {
    let p = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data")
        .join(path);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("skipped: {} is absent", p.display());
        None
    }
}

#[test]
fn the_real_ods_files_of_both_layouts_give_names_and_memberships() {
    let (Some(legacy), Some(newer), Some(members), Some(workbook)) = (
        shared("ods2025/epraccur.csv.gz"),
        shared("ods2026/epraccur.csv.gz"),
        shared("ods2026/epcncorepartnerdetails.csv.gz"),
        shared("epcn2024/ePCN.xlsx"),
    ) else {
        return;
    };
    let people =
        "person_id,sex,practice_code,pcn_code\nA,female,A81001,U89141\nB,male,Y60000,U00000\n";
    let dir = extract(&[("x/people.csv", people.as_bytes())]);
    for (practices, pcns, rows, memberships, latest) in [
        (&legacy, &workbook, 16_685, 7_705, "2025-09-01"),
        (&newer, &members, 15_407, 7_795, "2026-04-01"),
    ] {
        let wh = dir.out(&format!("wh{rows}"));
        let run = sprout(&[
            "ingest",
            s(&dir.path().join("x")),
            "-w",
            s(&wh),
            "--ods-practices",
            s(practices),
            "--ods-pcns",
            s(pcns),
        ]);
        assert_eq!(run.code, 0, "{}", run.all());
        assert_eq!(count(&wh, "SELECT count(*) FROM ods_practices"), rows);
        assert_eq!(
            count(&wh, "SELECT count(*) FROM ods_pcn_members"),
            memberships
        );
        let name = query(
            &wh,
            "SELECT practice_name, status, CAST(latest_date AS VARCHAR) AS latest FROM ods_practices WHERE practice_code = 'A81001'",
        );
        assert_eq!(name[0]["practice_name"], "THE DENSHAM SURGERY");
        assert_eq!(
            name[0]["latest"], latest,
            "the file's latest date is its vintage"
        );
        let out = dir.out(&format!("m{rows}"));
        let measures = sprout(&[
            "measures",
            "-w",
            s(&wh),
            "--period",
            "2024/25",
            "-o",
            s(&out),
        ]);
        assert_eq!(measures.code, 0, "{}", measures.all());
        let names = read_csv(&out.join("organisation_names.csv"));
        let of = |code: &str| names.iter().find(|r| r["code"] == code).unwrap()["name"].clone();
        assert_eq!(of("A81001"), "THE DENSHAM SURGERY");
        assert_eq!(of("U89141"), "STOCKTON PCN");
        assert_eq!(of("Y60000"), "", "a code ODS does not hold has no name");
        assert!(names.iter().any(|r| r["source"].contains("records to")));
    }
}

#[test]
fn the_real_ons_estimates_give_the_local_and_national_means() {
    let Some(estimates) = shared("wellbeing/personal-wellbeing-estimates.csv.gz") else {
        return;
    };
    let dir = extract(&[(
        "x/people.csv",
        b"person_id,sex,practice_code\nA,female,A81001\n".as_slice(),
    )]);
    let wh = dir.out("wh");
    let run = sprout(&[
        "ingest",
        s(&dir.path().join("x")),
        "-w",
        s(&wh),
        "--wellbeing-estimates",
        s(&estimates),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        count(&wh, "SELECT count(*) FROM wellbeing_estimates"),
        20_112
    );
    let out = dir.out("m");
    let measures = sprout(&[
        "measures",
        "-w",
        s(&wh),
        "--period",
        "2024/25",
        "-o",
        s(&out),
        "--local-authority",
        "E08000026",
    ]);
    assert_eq!(measures.code, 0, "{}", measures.all());
    let local = read_csv(&out.join("wellbeing_local.csv"));
    assert_eq!(
        local.len(),
        8,
        "four indicators for Coventry and for England"
    );
    let coventry = local
        .iter()
        .find(|r| r["area_name"] == "Coventry" && r["score"] == "ons4_life_satisfaction")
        .unwrap();
    assert_eq!(
        (
            coventry["survey_year"].as_str(),
            coventry["mean"].as_str(),
            coventry["lower"].as_str()
        ),
        ("2022/23", "7.35", "7.12")
    );
    let refused = sprout(&[
        "measures",
        "-w",
        s(&wh),
        "--period",
        "2024/25",
        "-o",
        s(&dir.out("n")),
        "--local-authority",
        "Coventry",
    ]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(refused.stderr.contains("E08000026"), "{}", refused.all());
}

#[test]
fn crafted_estimates_sit_beside_the_cohort_in_the_report() {
    // The published long format: one row per area, indicator and year; a
    // value missing in the latest year falls back to the year before.
    let mut ons = String::from(
        "areacd,areanm,geography,indicator,period,measure,observation,unit,lci_95,uci_95,status,notes\n",
    );
    for (area, name) in [("E92000001", "England"), ("E06900001", "Testshire")] {
        for indicator in ["Satisfaction", "Worthwhile", "Happiness", "Anxiety"] {
            ons.push_str(&format!(
                "{area},{name},x,{indicator},2021-04-01/P1Y,Mean,6.5,score,6.4,6.6,,\n"
            ));
            let latest = if name == "Testshire" && indicator == "Anxiety" {
                ",score,,,x,".to_string()
            } else {
                "7.25,score,7.1,7.4,u,".to_string()
            };
            ons.push_str(&format!(
                "{area},{name},x,{indicator},2022-04-01/P1Y,Mean,{latest}\n"
            ));
        }
    }
    let root = tempfile::tempdir().unwrap();
    std::fs::write(root.path().join("pwb.csv"), ons).unwrap();
    let spec = root.path().join("spec.toml");
    std::fs::write(
        &spec,
        format!(
            "title = \"T\"\nperiod = \"2024/25\"\noutput = \"out\"\nwarehouse = \"wh\"\n[inputs]\nextracts = [\"{}\"]\nas_of = \"2026-10-31\"\nwellbeing_estimates = \"pwb.csv\"\n[wellbeing]\nlocal_authority = \"E06900001\"\n",
            sample_extract().display()
        ),
    )
    .unwrap();
    let run = sprout(&["evaluate", s(&spec)]);
    assert_eq!(run.code, 0, "{}", run.all());
    let local = read_csv(&root.path().join("out/tables/wellbeing_local.csv"));
    let anxiety = local
        .iter()
        .find(|r| r["area_name"] == "Testshire" && r["score"] == "ons4_anxiety")
        .unwrap();
    assert_eq!(
        anxiety["survey_year"], "2021/22",
        "the latest year with a value"
    );
    assert_eq!(anxiety["reliability"], "as published");
    let html = std::fs::read_to_string(root.path().join("out/report.html")).unwrap();
    // minijinja writes / as &#x2f;.
    let html = html.replace("&#x2f;", "/");
    assert!(
        html.contains("Testshire (2022/23)"),
        "a column per area, headed by its latest year"
    );
    assert!(
        html.contains("7.25 (7.1 to 7.4) (low reliability)"),
        "ONS's flag is kept"
    );
    assert!(
        html.contains("6.5 (6.4 to 6.6) in 2021/22"),
        "an earlier year says so"
    );
}

#[test]
fn published_list_sizes_are_the_denominators_without_a_population_extract() {
    let Some(lists) = shared("gpreg2025/gp-reg-pat-prac-all.csv") else {
        return;
    };
    // Two real practices (A81001 has 3,904 patients, A81002 18,758), one PCN,
    // and a practice the published file does not hold.
    let people = "person_id,sex,practice_code,pcn_code\nA,female,A81001,U12345\nB,male,A81002,U12345\nC,male,Y99999,U54321\n";
    let referrals = "referral_id,person_id,referral_date,referral_source,status\nR1,A,2024-05-01,general_practice,accepted\nR2,B,2024-05-02,pharmacy,accepted\nR3,C,2024-05-03,pharmacy,declined\n";
    let dir = extract(&[
        ("x/people.csv", people.as_bytes()),
        ("x/referrals.csv", referrals.as_bytes()),
    ]);
    let wh = dir.out("wh");
    let run = sprout(&[
        "ingest",
        s(&dir.path().join("x")),
        "-w",
        s(&wh),
        "--list-sizes",
        s(&lists),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(
        count(&wh, "SELECT count(*) FROM practice_list_sizes"),
        6_239
    );
    let out = dir.out("m");
    let measures = sprout(&[
        "measures",
        "-w",
        s(&wh),
        "--period",
        "2024/25",
        "-o",
        s(&out),
    ]);
    assert_eq!(measures.code, 0, "{}", measures.all());
    let rows = read_csv(&out.join("service_referrals_period.csv"));
    let population = |breakdown: &str, group: &str| {
        rows.iter()
            .find(|r| r["breakdown"] == breakdown && r["group"] == group)
            .map(|r| r["population"].clone())
            .unwrap()
    };
    assert_eq!(population("practice_code", "A81001"), "3904");
    assert_eq!(
        population("pcn_code", "U12345"),
        "22662",
        "its practices' lists added up"
    );
    assert_eq!(
        population("practice_code", "Y99999"),
        "",
        "not in the file: no rate"
    );
    assert_eq!(
        population("all", "all"),
        "22662",
        "only the extract's practices"
    );
    let source = read_csv(&out.join("denominators.csv"));
    assert_eq!(
        (
            source[0]["source"].as_str(),
            source[0]["extract_date"].as_str(),
            source[0]["practices"].as_str()
        ),
        ("gp-reg-pat-prac-all.csv", "2025-04-01", "2")
    );
}
