//! The crate's structure: no module imports a module that imports it back,
//! at any depth of `src/` (a cycle ties two rooms into one).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every `.rs` file under `dir`, except `tests.rs` files (test-only modules).
fn sources(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            sources(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs")
            && path.file_name().is_some_and(|n| n != "tests.rs")
        {
            out.push(path);
        }
    }
}

/// The module a file defines: `src/ingest/validate.rs` is `ingest::validate`.
fn module_of(src: &Path, file: &Path) -> Vec<String> {
    let mut parts: Vec<String> = file
        .strip_prefix(src)
        .unwrap()
        .with_extension("")
        .iter()
        .map(|p| p.to_string_lossy().into_owned())
        .collect();
    if parts
        .last()
        .is_some_and(|l| ["mod", "lib", "main"].contains(&l.as_str()))
    {
        parts.pop();
    }
    parts
}

/// The module paths a file names with `crate::` or `super::` (comments and
/// its inline test module left out).
fn references(module: &[String], text: &str) -> Vec<Vec<String>> {
    let code = text.split("#[cfg(test)]\nmod tests").next().unwrap_or(text);
    let mut out = Vec::new();
    for line in code.lines() {
        let line = line.split("//").next().unwrap_or("");
        for (prefix, base) in [
            ("crate::", Vec::new()),
            ("super::", module[..module.len().saturating_sub(1)].to_vec()),
        ] {
            let mut rest = line;
            while let Some(i) = rest.find(prefix) {
                let before = rest[..i].chars().last();
                let after = &rest[i + prefix.len()..];
                rest = after;
                if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    continue;
                }
                let mut path = base.clone();
                for segment in after.split("::") {
                    let name: String = segment
                        .chars()
                        .take_while(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || *c == '_')
                        .collect();
                    if name.is_empty() {
                        break;
                    }
                    let whole = name.len() == segment.len();
                    path.push(name);
                    if !whole {
                        break;
                    }
                }
                out.push(path);
            }
        }
    }
    out
}

/// The modules in a cycle of the import graph cut at `depth` segments.
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> BTreeSet<String> {
    let mut in_cycle = BTreeSet::new();
    for start in edges.keys() {
        let mut seen = BTreeSet::new();
        let mut stack: Vec<&String> = edges[start].iter().collect();
        while let Some(node) = stack.pop() {
            if node == start {
                in_cycle.insert(start.clone());
                break;
            }
            if seen.insert(node) {
                stack.extend(edges.get(node).into_iter().flatten());
            }
        }
    }
    in_cycle
}

#[test]
fn no_module_imports_a_module_that_imports_it_back() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut files = Vec::new();
    sources(&src, &mut files);
    let parsed: Vec<(Vec<String>, Vec<Vec<String>>)> = files
        .iter()
        .map(|f| {
            let module = module_of(&src, f);
            let text = std::fs::read_to_string(f).unwrap();
            let refs = references(&module, &text);
            (module, refs)
        })
        .collect();
    assert!(parsed.len() > 50, "read the crate's sources");
    for depth in 1..=3 {
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (module, refs) in &parsed {
            if module.is_empty() {
                continue;
            }
            let from = module[..module.len().min(depth)].join("::");
            for r in refs {
                let to = r[..r.len().min(depth)].join("::");
                let nested = |a: &str, b: &str| a.starts_with(&format!("{b}::"));
                if !to.is_empty() && to != from && !nested(&from, &to) && !nested(&to, &from) {
                    edges.entry(from.clone()).or_default().insert(to);
                }
            }
        }
        let found = cycles(&edges);
        let described: Vec<String> = found
            .iter()
            .map(|m| {
                let back: Vec<&String> = edges[m].iter().filter(|t| found.contains(*t)).collect();
                format!("{m} -> {back:?}")
            })
            .collect();
        assert!(
            found.is_empty(),
            "import cycles at depth {depth}:\n{}",
            described.join("\n")
        );
    }
}
