//! The reports in a real browser: the sample evaluation's `report.html` and
//! `benchmarking.html` printed to PDF by headless Chromium, as a commissioner
//! prints them for a board paper. `.ci/run` installs Chromium and
//! poppler-utils (pdfinfo, pdftotext) from the distribution's packages when
//! absent; elsewhere the test skips, saying so.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use crate::support::*;

/// The first of `names` found on the PATH.
fn on_path(names: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .flat_map(|dir| names.iter().map(move |n| dir.join(n)))
        .find(|p| p.is_file())
}

/// Run `program args…` for at most two minutes; its standard output.
fn run(program: &Path, args: &[&str]) -> String {
    let mut child = Command::new(program)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("{}: {e}", program.display()));
    let deadline = Instant::now() + Duration::from_secs(120);
    while child.try_wait().unwrap().is_none() {
        assert!(
            Instant::now() < deadline,
            "{} took over two minutes",
            program.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{} {args:?} failed",
        program.display()
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Whitespace runs as one space, so text wrapped over lines still matches.
fn flat(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An HTML page's text as a reader sees it (entities decoded).
fn decoded(text: &str) -> String {
    text.replace("&#x2f;", "/")
        .replace("&#x27;", "'")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
}

/// Each figure's SVG: (its first drawn text, the whole element).
fn figures(html: &str) -> Vec<(String, String)> {
    html.split("<figure")
        .skip(1)
        .map(|f| {
            let svg = f
                .split_once("<svg")
                .and_then(|(_, rest)| rest.split_once("</svg>"))
                .map_or(String::new(), |(svg, _)| svg.to_string());
            let first_text = svg
                .split("<text")
                .nth(1)
                .and_then(|t| t.split_once('>'))
                .and_then(|(_, rest)| rest.split_once("</text>"))
                .map_or(String::new(), |(t, _)| flat(&decoded(t)));
            (first_text, svg)
        })
        .collect()
}

#[test]
fn the_reports_print_to_pdf_with_every_figure_and_the_headlines() {
    let (Some(chromium), Some(pdfinfo), Some(pdftotext)) = (
        on_path(&["chromium", "chromium-browser", "google-chrome"]),
        on_path(&["pdfinfo"]),
        on_path(&["pdftotext"]),
    ) else {
        eprintln!("skipped: Chromium or poppler-utils (pdfinfo, pdftotext) is not installed");
        return;
    };
    let root = tempfile::tempdir().unwrap();
    let spec = root.path().join("evaluation.toml");
    std::fs::write(
        &spec,
        format!(
            "title = \"Browser\"\nperiod = \"2024/25\"\noutput = \"report\"\nwarehouse = \"warehouse\"\n\
             [inputs]\nextracts = [\"{}\"]\nas_of = \"2026-10-31\"\n",
            s(&sample_extract())
        ),
    )
    .unwrap();
    let evaluated = sprout(&["evaluate", s(&spec), "-q"]);
    assert_eq!(evaluated.code, 0, "{}", evaluated.all());
    let out = root.path().join("report");
    let profile = root.path().join("chromium-profile");
    for (page, fewest, most) in [("report.html", 10, 80), ("benchmarking.html", 3, 60)] {
        let html = std::fs::read_to_string(out.join(page)).unwrap();
        let pdf = root.path().join(page.replace(".html", ".pdf"));
        run(
            &chromium,
            &[
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--no-pdf-header-footer",
                &format!("--user-data-dir={}", profile.display()),
                &format!("--print-to-pdf={}", pdf.display()),
                &format!("file://{}", out.join(page).display()),
            ],
        );
        let info = run(&pdfinfo, &[s(&pdf)]);
        let pages: usize = info
            .lines()
            .find_map(|l| l.strip_prefix("Pages:"))
            .and_then(|n| n.trim().parse().ok())
            .unwrap_or_else(|| panic!("no page count in {info}"));
        assert!(
            (fewest..=most).contains(&pages),
            "{page} printed on {pages} pages"
        );
        let text = flat(&run(&pdftotext, &[s(&pdf), "-"]));
        // Every figure was drawn (not the empty fallback), and the browser
        // rendered it: its drawn title is in the printed text.
        let figures = figures(&html);
        assert!(!figures.is_empty(), "{page} has no figures");
        for (title, svg) in &figures {
            assert!(
                svg.matches("<text").count() > 2 && svg.contains("<circle")
                    || svg.contains("<rect")
                    || svg.contains("<polyline"),
                "{page}: an empty figure ({title})"
            );
            assert!(!title.is_empty(), "{page}: a figure without drawn text");
            assert!(text.contains(title), "{page}: '{title}' is not in the PDF");
        }
        if page == "report.html" {
            let headlines: Vec<String> = html
                .split("<ul class=\"headlines\">")
                .nth(1)
                .and_then(|h| h.split_once("</ul>"))
                .map(|(list, _)| {
                    list.split("<li>")
                        .skip(1)
                        .map(|li| flat(&decoded(li.split("</li>").next().unwrap_or(""))))
                        .collect()
                })
                .unwrap_or_default();
            assert!(headlines.len() >= 5, "{} headlines", headlines.len());
            for h in &headlines {
                assert!(text.contains(h.as_str()), "headline not in the PDF: {h}");
            }
        }
    }
}
