//! `sprout evaluate`: the report, workbook and published tables made from the
//! sample data, checked for structure, disclosure, injection safety and
//! byte-for-byte determinism.
//!
//! Golden files are in `tests/golden/evaluate/`; after an intended change,
//! regenerate them with `UPDATE_GOLDEN=1 cargo test --locked evaluate`.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use calamine::{Data, Reader};

use crate::support::{Run, f, read_csv, s, sample_extract, sprout_with_env, tree};

/// A fixed run time, so outputs are comparable byte for byte.
const EPOCH: (&str, &str) = ("SOURCE_DATE_EPOCH", "1750000000");

/// A spec over the sample data in a fresh folder; `extra` is appended to the spec.
fn spec_in(root: &Path, extracts: &Path, extra: &str) -> PathBuf {
    let spec = root.join("evaluation.toml");
    let text = format!(
        "title = \"Sample evaluation\"\nperiod = \"2024/25\"\noutput = \"report\"\nwarehouse = \"warehouse\"\n\
         [inputs]\nextracts = [\"{}\"]\nas_of = \"2026-10-31\"\n{extra}",
        s(extracts)
    );
    std::fs::write(&spec, text).unwrap();
    spec
}

fn evaluate(spec: &Path, args: &[&str]) -> Run {
    let mut all = vec!["evaluate", s(spec)];
    all.extend_from_slice(args);
    sprout_with_env(&all, &[EPOCH])
}

/// Evaluate the sample; returns the folder (kept alive) and the report folder.
fn sample(extra: &str) -> (tempfile::TempDir, PathBuf) {
    let root = tempfile::tempdir().unwrap();
    let spec = spec_in(root.path(), &sample_extract(), extra);
    let run = evaluate(&spec, &["-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let out = root.path().join("report");
    (root, out)
}

fn golden(name: &str, actual: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/golden/evaluate")
        .join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, actual).unwrap();
        return;
    }
    let expected = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run UPDATE_GOLDEN=1 cargo test", path.display()));
    let diff = crate::support::text_diff(&expected, actual);
    assert!(
        diff.is_empty(),
        "{name} differs from its golden file; if intended, regenerate with UPDATE_GOLDEN=1\n{diff}"
    );
}

/// What a chart says, as its golden file holds it: its title, its text
/// alternative (which lists every plotted value with its interval) and each
/// text it draws (axis titles, tick labels, legend), one per line; the
/// drawing's markup is left to plotters.
fn chart_text(svg: &str) -> String {
    let mut out = String::new();
    for tag in ["title", "desc", "text"] {
        let open = format!("<{tag}");
        let close = format!("</{tag}>");
        let mut rest = svg;
        while let Some(start) = rest.find(&open) {
            let after = &rest[start..];
            let Some(body_start) = after.find('>') else {
                break;
            };
            let body = &after[body_start + 1..];
            let end = body.find(&close).unwrap_or(body.len());
            let text = body[..end].trim();
            if !text.is_empty() {
                out.push_str(&format!("{tag}: {text}\n"));
            }
            rest = &body[end..];
        }
    }
    out
}

/// The report's structure: headings, sections, figures and tables (with their
/// row counts) in document order.
fn outline(html: &str) -> String {
    let mut out = String::new();
    let mut rest = html;
    while let Some(start) = rest.find('<') {
        rest = &rest[start..];
        let end = rest.find('>').unwrap_or(rest.len() - 1);
        let tag = &rest[1..end];
        let name = tag.split_whitespace().next().unwrap_or("");
        let id = tag
            .split("id=\"")
            .nth(1)
            .and_then(|t| t.split('"').next())
            .unwrap_or("");
        let text = || {
            let after = &rest[end + 1..];
            after[..after.find('<').unwrap_or(0)].trim().to_string()
        };
        match name {
            "h1" | "h2" | "h3" | "caption" | "title" => {
                out.push_str(&format!("{name}: {}\n", text()));
            }
            "section" => out.push_str(&format!("section #{id}\n")),
            "figure" => out.push_str(&format!("  figure #{id}\n")),
            "tbody" => {
                let body = &rest[..rest.find("</tbody>").unwrap_or(rest.len())];
                out.push_str(&format!("  rows: {}\n", body.matches("<tr>").count()));
            }
            "svg" => {
                // Skip the chart's own markup.
                let close = rest.find("</svg>").unwrap_or(rest.len());
                rest = &rest[close..];
                continue;
            }
            _ => {}
        }
        rest = &rest[end + 1..];
    }
    out
}

#[test]
fn the_sample_report_has_every_section_and_matches_its_golden_outline() {
    let (_root, out) = sample("");
    for file in [
        "report.html",
        "benchmarking.html",
        "workbook.xlsx",
        "evaluation.json",
        "tables/wellbeing_change.csv",
        "tables/wellbeing_change.parquet",
        "tables/wellbeing_change.json",
        "tables/data_dictionary.csv",
        "charts/wellbeing_change.svg",
        "charts/spc_monthly_referrals.svg",
        "charts/funnel_share_declined.svg",
    ] {
        assert!(out.join(file).exists(), "{file} missing");
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    for id in [
        "summary",
        "reach",
        "person",
        "community",
        "health",
        "benchmarking",
        "quality",
        "limitations",
        "methods",
    ] {
        assert!(html.contains(&format!("id=\"{id}\"")), "section {id}");
    }
    // Self-contained: no network.
    for forbidden in ["http://", "https://", "<script", "<link"] {
        let body = html.replace("http://www.w3.org/2000/svg", "");
        assert!(!body.contains(forbidden), "report refers to {forbidden}");
    }
    // Printable: a print stylesheet with page breaks.
    assert!(html.contains("@media print") && html.contains("break-before: page"));
    // Charts have titles and text alternatives.
    assert_eq!(html.matches("<svg").count(), html.matches("<desc>").count());
    assert!(html.matches("<figure").count() >= 8, "charts in the report");
    // The methods appendix is read from the queries' headers.
    assert!(html.contains("Paired wellbeing assessments") && html.contains("wellbeing_pairs.sql"));
    // Limitations come from the data.
    assert!(
        html.contains("Follow-up was recorded for 38.0% of accepted referrals"),
        "{}",
        &html[html.find("id=\"limitations\"").unwrap()..][..2000]
    );
    // The naive change is shown beside the comparison-cohort estimate, with the explanation.
    assert!(html.contains("regression to the mean") && html.contains("Against never referred"));
    // Stamped.
    assert!(html.contains("SHA-256") && html.contains(env!("CARGO_PKG_VERSION")));
    assert!(!html.contains("NOT FOR PUBLICATION"));
    golden("report_outline.txt", &outline(&html));
    let bench = std::fs::read_to_string(out.join("benchmarking.html")).unwrap();
    golden("benchmarking_outline.txt", &outline(&bench));
    for chart in [
        "wellbeing_change",
        "health_comparison",
        "spc_monthly_referrals",
        "funnel_share_declined",
    ] {
        let svg = std::fs::read_to_string(out.join(format!("charts/{chart}.svg"))).unwrap();
        assert!(svg.contains("<title>") && svg.contains("<desc>"), "{chart}");
        golden(&format!("{chart}.txt"), &chart_text(&svg));
    }
    let record: serde_json::Value =
        serde_json::from_slice(&std::fs::read(out.join("evaluation.json")).unwrap()).unwrap();
    assert_eq!(record["stamp"]["policy"], "nhs_digital");
    assert_eq!(record["stamp"]["spec_sha256"].as_str().unwrap().len(), 64);
    assert_eq!(record["stamp"]["generated_at"], "2025-06-15 15:06:40 UTC");
    assert!(record["stamp"]["inputs"].as_array().unwrap().len() >= 9);
}

/// The role of each column of each published table, from the data dictionary.
fn roles(out: &Path) -> BTreeMap<(String, String), String> {
    read_csv(&out.join("tables/data_dictionary.csv"))
        .into_iter()
        .map(|r| {
            (
                (r["table_name"].clone(), r["column_name"].clone()),
                r["disclosure"].clone(),
            )
        })
        .collect()
}

/// A number of people, pairs or referrals written into text ("withheld: 16
/// pairs"), which disclosure control cannot round or suppress.
fn counted_in_words(text: &str) -> Option<String> {
    let words: Vec<&str> = text.split_whitespace().collect();
    words.windows(2).find_map(|w| {
        let counted = ["pairs", "people", "referrals", "episodes", "cases"]
            .iter()
            .any(|unit| w[1].trim_end_matches([',', '.', ';', ')']) == *unit);
        (counted && w[0].parse::<u64>().is_ok()).then(|| format!("{} {}", w[0], w[1]))
    })
}

#[test]
fn no_published_table_shows_a_count_from_1_to_7() {
    let (_root, out) = sample("");
    let roles = roles(&out);
    let mut counts_checked = 0;
    let mut suppressed = 0;
    for entry in std::fs::read_dir(out.join("tables")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_stem().unwrap().to_str().unwrap().to_string();
        if path.extension().is_none_or(|e| e != "csv") || name == "data_dictionary" {
            continue;
        }
        for (i, row) in read_csv(&path).iter().enumerate() {
            for (column, value) in row {
                let is_count = match roles
                    .get(&(name.clone(), column.clone()))
                    .map(String::as_str)
                {
                    Some("count") => true,
                    // "count where measure starts with monthly_referrals"
                    Some(role) => role.strip_prefix("count where ").is_some_and(|condition| {
                        let (c, v) = condition.split_once(" starts with ").unwrap();
                        row[c].starts_with(v)
                    }),
                    None => false,
                };
                // Sentences quote published figures (the audit checks each);
                // settings are parameters ("30 pairs"), not counts.
                let sentences =
                    ["report_sentences", "health_warnings", "settings"].contains(&name.as_str());
                if !sentences
                    && roles
                        .get(&(name.clone(), column.clone()))
                        .map(String::as_str)
                        == Some("label")
                    && let Some(words) = counted_in_words(value)
                {
                    panic!(
                        "{name}.csv row {} column {column} counts in words: {words} ({value})",
                        i + 2
                    );
                }
                if !is_count {
                    continue;
                }
                counts_checked += 1;
                if value == "*" {
                    suppressed += 1;
                    continue;
                }
                if let Ok(x) = value.parse::<f64>() {
                    assert!(
                        !(x > 0.0 && x < 8.0),
                        "{name}.csv row {} column {column} shows {value}",
                        i + 2
                    );
                    assert!(
                        (x / 5.0).fract().abs() < 1e-9,
                        "{name}.{column} = {value} is not rounded to 5"
                    );
                }
            }
        }
    }
    assert!(
        counts_checked > 1000 && suppressed > 0,
        "{counts_checked} counts, {suppressed} suppressed"
    );
    // The workbook and the reports hold the same published values (checked
    // cell by cell against these tables in the workbook test).
}

#[test]
fn sentences_quote_the_published_tables_and_shares_sit_in_their_intervals() {
    let (_root, out) = sample("");
    // The matching caution quotes health_matching as published.
    let matching = read_csv(&out.join("tables/health_matching.csv"));
    let cautions = read_csv(&out.join("tables/health_warnings.csv"));
    let comparison: Vec<&str> = cautions
        .iter()
        .filter(|c| c["topic"] == "comparison")
        .map(|c| c["message"].as_str())
        .collect();
    // A pool with fewer than 30 matched sets (as published) has its caution.
    let few = matching
        .iter()
        .filter(|r| r["matched_sets"].parse::<i64>().map_or(true, |m| m < 30))
        .count();
    assert_eq!(comparison.len(), few, "{comparison:?}");
    for message in comparison {
        let row = matching
            .iter()
            .find(|r| message.contains(&format!("the {} pool", r["pool"].replace('_', " "))))
            .unwrap();
        let quoted = format!(
            "Only about {} of about {} referred people",
            row["matched_sets"], row["cases"]
        );
        assert!(message.starts_with(&quoted), "{message} / {row:?}");
    }
    // The list of organisations agrees with the summary beside it.
    let summary = &read_csv(&out.join("tables/community_summary.csv"))[0];
    let list = read_csv(&out.join("tables/community_organisations.csv"));
    assert_eq!(list.len().to_string(), summary["organisations"]);
    let new = list.iter().filter(|r| r["new_group"] == "1").count();
    assert_eq!(new.to_string(), summary["new_groups"]);
    // A funnel point agrees with its own limits and flag, as published.
    let mut units = 0;
    for row in read_csv(&out.join("tables/benchmark_funnel_units.csv")) {
        let (Ok(v), Ok(l), Ok(u)) = (
            row["value"].parse::<f64>(),
            row["lower95"].parse::<f64>(),
            row["upper95"].parse::<f64>(),
        ) else {
            continue;
        };
        units += 1;
        let inside = (l..=u).contains(&v);
        assert_eq!(inside, row["flag"] == "Not significant", "{row:?}");
        let (x, n) = (
            row["numerator"].parse::<f64>().unwrap(),
            row["denominator"].parse::<f64>().unwrap(),
        );
        assert!(
            (v - x / n).abs() < 1e-12,
            "the value is the published counts' {row:?}"
        );
    }
    assert!(units > 5, "{units} funnel units checked");
    // An SPC centre line is the mean of the published months beside it.
    let spc = read_csv(&out.join("tables/spc.csv"));
    let referrals: Vec<&std::collections::HashMap<String, String>> = spc
        .iter()
        .filter(|r| r["measure"] == "monthly_referrals")
        .collect();
    let mean = referrals
        .iter()
        .map(|r| r["value"].parse::<f64>().unwrap())
        .sum::<f64>()
        / referrals.len() as f64;
    assert!((referrals[0]["mean"].parse::<f64>().unwrap() - mean).abs() < 1e-9);
    // The attrition funnel's losses add up to its stages as published.
    let funnel = read_csv(&out.join("tables/wellbeing_attrition_funnel.csv"));
    for pair in funnel.windows(2) {
        let (a, b) = (&pair[0], &pair[1]);
        if a["instrument"] != b["instrument"] || a["cohort"] != b["cohort"] {
            continue;
        }
        if let (Ok(x), Ok(y), Ok(lost)) = (
            a["count"].parse::<i64>(),
            b["count"].parse::<i64>(),
            b["lost_before_stage"].parse::<i64>(),
        ) {
            assert_eq!(x - y, lost, "{a:?} {b:?}");
        }
    }
    // Each share lies within its own published interval.
    let roles = roles(&out);
    let mut checked = 0;
    for ((table, column), role) in &roles {
        if !role.starts_with("share:") {
            continue;
        }
        let stem = column.strip_suffix("_share").unwrap_or(column);
        let (lower, upper) = (format!("{stem}_lower"), format!("{stem}_upper"));
        if !roles.contains_key(&(table.clone(), lower.clone())) {
            continue;
        }
        for row in read_csv(&out.join(format!("tables/{table}.csv"))) {
            let (Ok(s), Ok(l), Ok(u)) = (
                row[column].parse::<f64>(),
                row[&lower].parse::<f64>(),
                row[&upper].parse::<f64>(),
            ) else {
                continue;
            };
            checked += 1;
            assert!(
                l <= s + 1e-12 && s <= u + 1e-12,
                "{table}.{column}: {l} {s} {u}"
            );
        }
    }
    assert!(checked > 100, "{checked} shares checked");
}

#[test]
fn the_workbook_holds_every_published_table_cell_by_cell() {
    let (_root, out) = sample("");
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(out.join("workbook.xlsx")).unwrap();
    let sheets = workbook.sheet_names();
    assert_eq!(
        &sheets[..2],
        &["about".to_string(), "headlines".to_string()]
    );
    let about = workbook.worksheet_range("about").unwrap();
    assert_eq!(
        about.get_value((0, 0)),
        Some(&Data::String("Sample evaluation".into()))
    );
    let dictionary = read_csv(&out.join("tables/data_dictionary.csv"));
    let mut tables: Vec<String> = dictionary.iter().map(|r| r["table_name"].clone()).collect();
    tables.dedup();
    assert_eq!(
        sheets.len(),
        tables.len() + 3,
        "a sheet per table, and the data dictionary"
    );
    assert_eq!(sheets.last().unwrap(), "data_dictionary");
    let columns = workbook.worksheet_range("data_dictionary").unwrap();
    assert_eq!(columns.height(), dictionary.len() + 1, "a row per column");
    assert_eq!(
        columns.get_value((1, 2)),
        Some(&Data::String(dictionary[0]["column_name"].clone()))
    );
    for (sheet, table) in sheets[2..].iter().zip(&tables) {
        assert!(
            table.starts_with(sheet.split('~').next().unwrap()),
            "{sheet} for {table}"
        );
        let range = workbook.worksheet_range(sheet).unwrap();
        let mut csv = csv::Reader::from_path(out.join(format!("tables/{table}.csv"))).unwrap();
        let header: Vec<String> = csv.headers().unwrap().iter().map(String::from).collect();
        let records: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
        assert_eq!(range.height(), records.len() + 1, "{table}: rows");
        for (c, name) in header.iter().enumerate().take(header.len() - 1) {
            assert_eq!(
                range.get_value((0, c as u32)),
                Some(&Data::String(name.clone())),
                "{table} header"
            );
        }
        for (r, record) in records.iter().enumerate() {
            for c in 0..header.len() - 1 {
                let expected = &record[c];
                let cell = range
                    .get_value((r as u32 + 1, c as u32))
                    .unwrap_or(&Data::Empty);
                let ok = match cell {
                    Data::Empty => expected.is_empty(),
                    Data::String(s) => s == expected,
                    Data::Float(x) => expected
                        .parse::<f64>()
                        .is_ok_and(|e| (e - x).abs() <= 1e-12 * e.abs().max(1.0)),
                    Data::Int(x) => expected.parse::<i64>() == Ok(*x),
                    other => panic!("{table}: unexpected {other:?}"),
                };
                assert!(
                    ok,
                    "{table} row {} column {}: workbook {cell:?}, csv '{expected}'",
                    r + 2,
                    header[c]
                );
            }
        }
    }
    // The headline sheet has the charted series.
    let headlines = workbook.worksheet_range("headlines").unwrap();
    assert_eq!(
        headlines.get_value((0, 0)),
        Some(&Data::String("Referrals received per month".into()))
    );
    // A chart titled "with 95% intervals" draws them: custom error bars from
    // the lengths beside its series.
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(out.join("workbook.xlsx")).unwrap()).unwrap();
    let mut interval_charts = 0;
    for i in 0..zip.len() {
        let mut part = zip.by_index(i).unwrap();
        let name = part.name().unwrap().to_string();
        if !name.starts_with("xl/charts/chart") {
            continue;
        }
        let mut xml = String::new();
        std::io::Read::read_to_string(&mut part, &mut xml).unwrap();
        if xml.contains("95% interval") {
            interval_charts += 1;
            assert!(
                xml.contains("<c:errBars>") && xml.contains("<c:errValType val=\"cust\"/>"),
                "{name} has no error bars"
            );
        }
    }
    assert!(
        interval_charts >= 2,
        "{interval_charts} charts with intervals"
    );
}

#[test]
fn the_same_spec_and_inputs_give_byte_identical_outputs_even_under_a_memory_limit() {
    let root = tempfile::tempdir().unwrap();
    let spec = spec_in(root.path(), &sample_extract(), "");
    let timings = root.path().join("timings.json");
    // The second run bounds the query engine's memory pool and records its
    // stages: neither may change a byte of the outputs.
    let extra: [&[&str]; 2] = [&[], &["--memory-limit", "64MiB", "--timings", s(&timings)]];
    let outputs: Vec<PathBuf> = ["a", "b"]
        .iter()
        .zip(extra)
        .map(|(name, extra)| {
            let out = root.path().join(name);
            let mut args = vec!["-q", "--out", s(&out)];
            args.extend_from_slice(extra);
            let run = evaluate(&spec, &args);
            assert_eq!(run.code, 0, "{}", run.all());
            out
        })
        .collect();
    let recorded: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&timings).unwrap()).unwrap();
    let stages: Vec<&str> = recorded["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["stage"].as_str().unwrap())
        .collect();
    assert_eq!(stages, ["ingest", "measures", "health", "report"]);
    let total = recorded["total_seconds"].as_f64().unwrap();
    let summed: f64 = recorded["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["seconds"].as_f64().unwrap())
        .sum();
    assert!(summed <= total + 1e-6 && summed > 0.0, "{recorded}");
    // The query engine's pool held something (its share of the peak), and
    // CPU time gives how many cores were busy.
    let pool = recorded["pool_peak_bytes"].as_u64().unwrap_or(0);
    let rss = recorded["peak_rss_bytes"].as_u64().unwrap_or(u64::MAX);
    assert!(pool > 0 && pool <= 64 << 20 && pool < rss, "{recorded}");
    let cores = recorded["cores_busy"].as_f64().unwrap_or(0.0);
    assert!(cores > 0.0, "{recorded}");
    // Each measure query is listed in the stage it finished in, with its
    // time and rows: the pairs query among the measures, the health events
    // in the health stage; none before the engine starts.
    let queries_in = |stage: usize| -> Vec<(String, f64, u64)> {
        recorded["stages"][stage]["queries"]
            .as_array()
            .map(|q| {
                q.iter()
                    .map(|q| {
                        (
                            q["query"].as_str().unwrap().to_string(),
                            q["seconds"].as_f64().unwrap(),
                            q["rows"].as_u64().unwrap(),
                        )
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    assert!(queries_in(0).is_empty(), "{recorded}");
    let measures = queries_in(1);
    let pairs = measures.iter().find(|q| q.0 == "wellbeing_pairs");
    assert!(pairs.is_some_and(|q| q.1 > 0.0 && q.2 > 0), "{recorded}");
    assert!(
        queries_in(2)
            .iter()
            .any(|q| q.0 == "health_events" && q.2 > 0),
        "{recorded}"
    );
    let in_queries: f64 = (1..=2).flat_map(queries_in).map(|q| q.1).sum();
    assert!(in_queries <= total, "{recorded}");
    same_bytes(&outputs[0], &outputs[1]);
}

/// Every file below `dir`, by its path relative to `dir`.
fn files(dir: &Path) -> BTreeMap<PathBuf, Vec<u8>> {
    let mut out = BTreeMap::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                out.insert(
                    p.strip_prefix(dir).unwrap().to_path_buf(),
                    std::fs::read(&p).unwrap(),
                );
            }
        }
    }
    out
}

/// Two output folders hold the same files, byte for byte.
fn same_bytes(one: &Path, other: &Path) {
    let (a, b) = (files(one), files(other));
    assert!(a.len() > 80, "{} files", a.len());
    assert_eq!(a.keys().collect::<Vec<_>>(), b.keys().collect::<Vec<_>>());
    for (name, bytes) in &a {
        assert!(bytes == &b[name], "{} differs between runs", name.display());
    }
}

/// The same spec in another folder gives the same bytes, and no local path
/// is published: the spec is named as itself (#19, item 11; it was written
/// as the path it was given).
#[test]
fn the_same_spec_in_another_folder_gives_the_same_bytes() {
    let outputs: Vec<(tempfile::TempDir, PathBuf)> = (0..2)
        .map(|_| {
            let root = tempfile::tempdir().unwrap();
            let spec = spec_in(root.path(), &sample_extract(), "");
            let run = evaluate(&spec, &["-q"]);
            assert_eq!(run.code, 0, "{}", run.all());
            let out = root.path().join("report");
            (root, out)
        })
        .collect();
    same_bytes(&outputs[0].1, &outputs[1].1);
    let folder = outputs[0].0.path().to_string_lossy().to_string();
    for (name, bytes) in files(&outputs[0].1) {
        assert!(
            !String::from_utf8_lossy(&bytes).contains(&folder),
            "{} shows the local path {folder}",
            name.display()
        );
    }
}

#[test]
fn hostile_organisation_names_are_escaped_and_neutralised() {
    let root = tempfile::tempdir().unwrap();
    let extract = root.path().join("extract");
    std::fs::create_dir_all(&extract).unwrap();
    let vendor = extract.join("vendor");
    std::fs::create_dir_all(&vendor).unwrap();
    for (from, to) in [
        (sample_extract(), &extract),
        (sample_extract().join("vendor"), &vendor),
    ] {
        for entry in std::fs::read_dir(from).unwrap() {
            let p = entry.unwrap().path();
            if p.is_file() {
                std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
            }
        }
    }
    let hostile = [
        "<script>alert('x')</script>",
        "=HYPERLINK(\"http://evil.example\",\"click\")",
        "+SUM(1+1)",
        "@cmd",
        "-2+3",
        "\u{1b}[31mRed\u{1b}[0m \u{7}bell",
        "gpj\u{202e}exe.",
        "nul\u{0}byte",
    ];
    let orgs = std::fs::read_to_string(sample_extract().join("organisations.csv")).unwrap();
    let mut w = csv::Writer::from_path(extract.join("organisations.csv")).unwrap();
    for (i, line) in orgs.lines().enumerate() {
        let mut fields: Vec<String> = line.split(',').map(String::from).collect();
        if i > 0 {
            fields[1] = format!("{} {}", hostile[i % hostile.len()], fields[0]);
        }
        w.write_record(&fields).unwrap();
    }
    w.flush().unwrap();
    let spec = spec_in(root.path(), &extract, "");
    let run = evaluate(&spec, &[]);
    assert_eq!(run.code, 0, "{}", run.all());
    let out = root.path().join("report");
    // Control characters and bidirectional overrides are written out, never
    // acted on: not in the terminal, the HTML, the CSV tables or the workbook.
    let hidden = ['\u{1b}', '\u{7}', '\u{202e}', '\u{0}'];
    let raw_hidden = |text: &str| text.chars().any(|c| hidden.contains(&c));
    assert!(
        !raw_hidden(&run.stdout) && !raw_hidden(&run.stderr),
        "{}",
        run.all()
    );
    for (name, bytes) in tree(&out) {
        if name.ends_with(".html") || name.ends_with(".csv") || name.ends_with(".svg") {
            let text = String::from_utf8(bytes).unwrap();
            assert!(!raw_hidden(&text), "{name} holds a raw control character");
        }
    }
    let html = std::fs::read_to_string(out.join("report.html")).unwrap();
    let organisations =
        std::fs::read_to_string(out.join("tables/community_organisations.csv")).unwrap();
    assert!(organisations.contains("<U+001B>[31mRed") && organisations.contains("gpj<U+202E>exe."));
    assert!(!html.contains("<script>"), "raw script tag in the report");
    assert!(
        html.contains("&lt;script&gt;"),
        "the name is shown, escaped"
    );
    let rows = read_csv(&out.join("tables/community_organisations.csv"));
    assert!(!rows.is_empty());
    for row in &rows {
        let name = &row["name"];
        assert!(
            !name.starts_with(['=', '+', '-', '@']),
            "formula in CSV: {name}"
        );
    }
    assert!(rows.iter().any(|r| r["name"].starts_with("'=HYPERLINK")));
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(out.join("workbook.xlsx")).unwrap();
    let sheet = workbook.worksheet_range("community_organisations").unwrap();
    let mut names = 0;
    for row in sheet.rows().skip(1) {
        if let Data::String(name) = &row[2] {
            names += 1;
            assert!(
                !name.starts_with(['=', '+', '-', '@']),
                "formula in workbook: {name}"
            );
            assert!(!raw_hidden(name), "control character in workbook: {name:?}");
        }
    }
    assert!(names > 0);
}

#[test]
fn no_disclosure_control_needs_a_flag_and_stamps_every_output() {
    let root = tempfile::tempdir().unwrap();
    let spec = spec_in(
        root.path(),
        &sample_extract(),
        "[disclosure]\npolicy = \"none\"\n",
    );
    let refused = evaluate(&spec, &["-q"]);
    assert_eq!(refused.code, 2, "{}", refused.all());
    assert!(
        refused.stderr.contains("--not-for-publication"),
        "{}",
        refused.all()
    );
    assert!(!root.path().join("report").exists(), "nothing written");
    let run = evaluate(&spec, &["-q", "--not-for-publication"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let out = root.path().join("report");
    for page in ["report.html", "benchmarking.html"] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        assert!(html.contains("NOT FOR PUBLICATION"), "{page}");
    }
    let mut workbook: calamine::Xlsx<_> =
        calamine::open_workbook(out.join("workbook.xlsx")).unwrap();
    let about = workbook.worksheet_range("about").unwrap();
    assert_eq!(
        about.get_value((1, 0)),
        Some(&Data::String("NOT FOR PUBLICATION".into()))
    );
    // Exact values: some count from 1 to 7 is shown.
    let rows = read_csv(&out.join("tables/wellbeing_change.csv"));
    assert!(rows.iter().any(|r| {
        r["pairs"]
            .parse::<i64>()
            .is_ok_and(|n| (1..=7).contains(&n))
    }));
}

#[test]
fn a_failed_run_leaves_the_previous_report_intact() {
    let root = tempfile::tempdir().unwrap();
    let templates = root.path().join("templates");
    std::fs::create_dir_all(&templates).unwrap();
    let spec = spec_in(
        root.path(),
        &sample_extract(),
        "[outputs]\ntemplates = \"templates\"\n",
    );
    // A local template replaces the shipped one.
    std::fs::write(
        templates.join("benchmarking.html"),
        "<html><body><h1>Local branding: {{ stamp.title }}</h1></body></html>",
    )
    .unwrap();
    let first = evaluate(&spec, &["-q"]);
    assert_eq!(first.code, 0, "{}", first.all());
    let out = root.path().join("report");
    let before = std::fs::read(out.join("report.html")).unwrap();
    let bench = std::fs::read_to_string(out.join("benchmarking.html")).unwrap();
    assert_eq!(
        bench,
        "<html><body><h1>Local branding: Sample evaluation</h1></body></html>"
    );
    // A broken template: the run fails, naming the file, and nothing changes.
    std::fs::write(templates.join("commissioner.html"), "{% if %}").unwrap();
    let failed = evaluate(&spec, &["-q"]);
    assert_eq!(failed.code, 2, "{}", failed.all());
    assert!(
        failed.stderr.contains("commissioner.html"),
        "{}",
        failed.all()
    );
    assert_eq!(std::fs::read(out.join("report.html")).unwrap(), before);
    let leftovers: Vec<_> = std::fs::read_dir(root.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("staging") || n.contains(".old-"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_bad_spec_names_the_file_line_and_fix() {
    let root = tempfile::tempdir().unwrap();
    let spec = spec_in(
        root.path(),
        &sample_extract(),
        "[health]\nwindows = [6, 12]\ncomparator = 2\n",
    );
    let run = evaluate(&spec, &[]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("evaluation.toml") && run.stderr.contains("line 10"),
        "{}",
        run.all()
    );
    assert!(run.stderr.contains("comparator"), "{}", run.all());
}

#[test]
fn a_name_no_spreadsheet_can_hold_is_quarantined_and_the_evaluation_completes() {
    let root = tempfile::tempdir().unwrap();
    let extract = root.path().join("extract");
    copy_folder(&sample_extract(), &extract);
    let orgs = std::fs::read_to_string(extract.join("organisations.csv")).unwrap();
    let long = "x".repeat(40_000);
    let mut lines: Vec<String> = orgs.lines().map(String::from).collect();
    let mut fields: Vec<String> = lines[1].split(',').map(String::from).collect();
    fields[1] = long;
    lines[1] = fields.join(",");
    std::fs::write(extract.join("organisations.csv"), lines.join("\n") + "\n").unwrap();
    let spec = spec_in(root.path(), &extract, "");
    let run = evaluate(&spec, &["-q"]);
    assert_eq!(
        run.code,
        1,
        "rows quarantined, outputs written: {}",
        run.all()
    );
    let out = root.path().join("report");
    assert!(out.join("workbook.xlsx").exists() && out.join("report.html").exists());
    let rows = read_csv(&out.join("tables/community_organisations.csv"));
    assert!(rows.iter().all(|r| r["name"].len() < 1000));
}

/// Copy a folder and its subfolders.
fn copy_folder(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let p = entry.unwrap().path();
        if p.is_dir() {
            copy_folder(&p, &to.join(p.file_name().unwrap()));
        } else {
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    }
}

/// Unit costs in the spec put the costed difference in the report in plain
/// English with its source and price year, and what it prices passes the
/// disclosure audit (#19, item 2); the GP headline says whom it rests on
/// (#19, item 3).
#[test]
fn unit_costs_are_priced_in_the_report_and_the_gp_headline_gives_its_basis() {
    let root = tempfile::tempdir().unwrap();
    std::fs::write(
        root.path().join("costs.toml"),
        "source = \"Illustrative prices\"\nprice_year = \"2023/24\"\n[unit_costs]\ngp_appointment = 42\nae_attendance = 210\n",
    )
    .unwrap();
    let spec = spec_in(
        root.path(),
        &sample_extract(),
        "[health]\nunit_costs = \"costs.toml\"\n",
    );
    let run = evaluate(&spec, &["-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let report = std::fs::read_to_string(root.path().join("report/report.html")).unwrap();
    let text = report.replace("&#x2f;", "/").replace("&#x27;", "'");
    assert!(
        text.contains("Priced at the unit costs of Illustrative prices (2023/24 prices)"),
        "no cost sentence"
    );
    assert!(
        text.contains("Cost of the change in service use"),
        "no cost table"
    );
    assert!(
        text.contains("The GP figures rest on about ") && text.contains("% of the referred)"),
        "no basis"
    );
    // results.json (for pooling) carries each published cost difference.
    let results: serde_json::Value =
        serde_json::from_slice(&std::fs::read(root.path().join("report/results.json")).unwrap())
            .unwrap();
    let costs: Vec<&serde_json::Value> = results["estimates"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["quantity"] == "cost_did")
        .collect();
    let published: Vec<_> = read_csv(&root.path().join("report/tables/health_costs.csv"))
        .into_iter()
        .filter(|r| {
            ["cost_did", "cost_lower", "cost_upper", "sets"]
                .iter()
                .all(|c| !r[*c].is_empty() && r[*c] != "*")
        })
        .collect();
    assert!(!published.is_empty());
    assert_eq!(costs.len(), published.len());
    for (e, row) in costs.iter().zip(&published) {
        assert_eq!(e["outcome"], row["setting"].as_str());
        let estimate = e["estimate"].as_f64().unwrap();
        assert!((estimate - f(row, "cost_did")).abs() <= 1e-9 * estimate.abs().max(1.0));
        assert_eq!(e["settings"]["pool"], row["pool"].as_str());
        assert_eq!(e["design"], "matched_difference_in_differences");
    }
}

/// `--period` overrides the spec's period, so a quarterly run needs no edit
/// of the spec: its tables are the ones a spec naming that quarter gives
/// (#19, item 1).
#[test]
fn the_period_can_be_set_on_the_command_line() {
    let quarter = tempfile::tempdir().unwrap();
    let spec = spec_in(quarter.path(), &sample_extract(), "");
    let text = std::fs::read_to_string(&spec)
        .unwrap()
        .replace("period = \"2024/25\"", "period = \"2024/25 Q2\"");
    std::fs::write(&spec, text).unwrap();
    let run = evaluate(&spec, &["-q"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let overridden = tempfile::tempdir().unwrap();
    let spec = spec_in(overridden.path(), &sample_extract(), "");
    let run = evaluate(&spec, &["-q", "--period", "2024/25 Q2"]);
    assert_eq!(run.code, 0, "{}", run.all());
    let tables =
        |root: &Path, name: &str| std::fs::read(root.join("report/tables").join(name)).unwrap();
    for name in [
        "data_quality.csv",
        "health_difference_in_differences.csv",
        "wellbeing_change.csv",
    ] {
        assert!(
            tables(quarter.path(), name) == tables(overridden.path(), name),
            "{name} differs"
        );
    }
    let json = std::fs::read_to_string(overridden.path().join("report/evaluation.json")).unwrap();
    assert!(json.contains("2024/25 Q2"), "{json}");
}

/// An evaluation's published tables can be queried with `sprout sql
/// --tables` (#19, item 10): the rounded figures as published.
#[test]
fn an_evaluation_s_published_tables_can_be_queried() {
    let (root, out) = sample("");
    let run = crate::support::sprout(&[
        "sql",
        "SELECT referrals FROM service_referrals_period WHERE breakdown = 'all'",
        "-w",
        s(&root.path().join("warehouse")),
        "--tables",
        s(&out),
    ]);
    assert_eq!(run.code, 0, "{}", run.all());
    assert!(run.stdout.contains("| 855 "), "{}", run.all());
}

#[test]
fn a_highlighted_pcn_is_marked_in_every_funnel_and_benchmarking_table_with_its_name() {
    let ods = sample_extract().join("../ods");
    let extra = format!(
        "ods_practices = \"{}\"\nods_pcns = \"{}\"\n[benchmark]\nhighlight = \"U90001\"\n",
        s(&ods.join("epraccur.csv")),
        s(&ods.join("epcncorepartnerdetails.csv"))
    );
    let (_root, out) = sample(&extra);
    let html = std::fs::read_to_string(out.join("benchmarking.html")).unwrap();
    let marked: Vec<&str> = html
        .split("<tr class=\"marked\">")
        .skip(1)
        .map(|row| row.split("</tr>").next().unwrap())
        .collect();
    assert!(marked.len() >= 4, "{} marked rows", marked.len());
    for row in &marked {
        assert!(row.contains("U90001 MEADOWBANK EAST PCN"), "{row}");
    }
    // Each plotted funnel rings the PCN (radius 9) and labels it, with a legend.
    let funnels: Vec<&str> = html
        .split("<svg")
        .skip(1)
        .filter(|svg| svg.contains("99.8% limits"))
        .collect();
    assert!(!funnels.is_empty());
    for svg in funnels {
        assert!(svg.contains("r=\"9\""), "the highlighted PCN is ringed");
        assert!(svg.contains("U90001"), "and labelled");
        assert!(
            svg.contains("95% limits") && svg.contains("Within the limits"),
            "a legend"
        );
    }
    let report = std::fs::read_to_string(out.join("report.html")).unwrap();
    assert!(
        report.contains("Practice and PCN names are those the NHS Organisation Data Service publishes, from epcncorepartnerdetails.csv (records to 2020-04-01) and epraccur.csv (records to 2000-04-01)"),
        "the names' source and vintage"
    );
    // A code that is not one is refused with the fix.
    let root = tempfile::tempdir().unwrap();
    let spec = spec_in(
        root.path(),
        &sample_extract(),
        "[benchmark]\nhighlight = \"East PCN\"\n",
    );
    let run = evaluate(&spec, &["-q"]);
    assert_eq!(run.code, 2, "{}", run.all());
    assert!(
        run.stderr.contains("highlight = \"U12345\""),
        "{}",
        run.all()
    );
}

#[test]
fn the_reports_name_groups_in_words_not_codes() {
    let (_root, out) = sample("");
    let tables: std::collections::BTreeSet<String> =
        read_csv(&out.join("tables/data_dictionary.csv"))
            .into_iter()
            .map(|r| r["table_name"].clone())
            .collect();
    for page in ["report.html", "benchmarking.html"] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        // The methods appendix and the footer name measure files, tables and
        // input files on purpose.
        // The style sheet is not shown.
        let html = match (html.find("<style>"), html.find("</style>")) {
            (Some(a), Some(b)) => format!("{}{}", &html[..a], &html[b..]),
            _ => html,
        };
        let shown = html
            .split("id=\"methods\"")
            .next()
            .unwrap()
            .split("<footer")
            .next()
            .unwrap();
        let mut text = String::new();
        let mut inside = false;
        for c in shown.chars() {
            match c {
                '<' => inside = true,
                '>' => {
                    inside = false;
                    text.push(' ');
                }
                c if !inside => text.push(c),
                _ => {}
            }
        }
        let codes: Vec<&str> = text
            .split(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .filter(|w| {
                w.contains('_')
                    && w.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
            })
            // A table named as a file to look in, and the statistic d_z.
            .filter(|w| !tables.contains(*w) && *w != "d_z" && *w != "outcome_cohort")
            .collect();
        assert!(codes.is_empty(), "{page} shows codes: {codes:?}");
    }
}
