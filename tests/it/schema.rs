//! `sprout schema` lists every table from the model itself.

use crate::support::*;

#[test]
fn every_table_column_and_code_is_listed() {
    let run = sprout(&["schema"]);
    assert_eq!(run.code, 0, "{}", run.all());
    for table in sprout::model::TABLES {
        assert!(
            run.stdout.contains(&format!("{}\n", table.name))
                || run.stdout.contains(&format!("{} (", table.name))
        );
        for column in table.columns {
            assert!(
                run.stdout.contains(column.name),
                "{}.{}",
                table.name,
                column.name
            );
        }
    }
    for code in [
        "self_referral",
        "did_not_attend",
        "ae_attendance",
        "99 (Not known)",
        "swemwbs",
    ] {
        assert!(run.stdout.contains(code), "{code}");
    }
}

#[test]
fn one_table_as_json() {
    let run = sprout(&["schema", "referrals", "--format", "json"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let json: serde_json::Value = serde_json::from_str(&run.stdout).unwrap();
    assert_eq!(json["tables"][0]["name"], "referrals");
    assert_eq!(json["tables"][0]["columns"][0]["name"], "referral_id");
    assert_eq!(json["tables"][0]["columns"][0]["required"], true);
    let lists: Vec<&str> = json["code_lists"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["name"].as_str().unwrap())
        .collect();
    assert!(lists.contains(&"referral_source") && lists.contains(&"need"));
    let run = sprout(&["schema", "referals"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("tables are: organisations, people, referrals"),
        "{}",
        run.all()
    );
}
