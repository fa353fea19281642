//! `--summary`, `--report-file` in its formats, and the report's generator (tool, version and
//! timestamp, reproducible with SOURCE_DATE_EPOCH).

mod common;

use common::*;

#[test]
fn summary_is_a_line_per_namespace_with_the_fix_that_closes_most() {
    let r = run(&["-f", "examples/shop", "--summary"]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    let line = |ns: &str| {
        r.stdout
            .lines()
            .find(|l| l.starts_with(&format!("{ns} ")))
            .unwrap_or_else(|| panic!("no line for {ns}: {}", r.stdout))
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" ")
    };
    // shop by hand: web, api, db and nightly-report; web, db and nightly-report are open for
    // egress (three NPC001), which one egress default deny in shop closes, as NPC003 says;
    // NPC108 on api and NPC003 are its warnings.
    assert_eq!(
        line("shop"),
        "shop 4 3 3 error, 2 warning a default deny for egress (podSelector: {}) closes 3 of 3 NPC001"
    );
    // node-exporter is on the host network: a default deny cannot isolate it.
    assert!(
        line("monitoring").starts_with("monitoring 1 1 2 warning "),
        "{}",
        r.stdout
    );
    assert!(
        !line("monitoring").contains("default deny for"),
        "{}",
        r.stdout
    );
    // The NPC001 findings collapse into shop's line: none listed one by one.
    assert!(!r.stdout.contains("Deployment shop/web is not isolated"));
    assert!(r.stdout.contains("3 namespaces, 5 workloads (3 uncovered)"));
}

#[test]
fn the_report_file_takes_its_format_from_its_name() {
    let dir = tempfile::tempdir().unwrap();
    for (name, starts) in [
        ("r.html", "<!DOCTYPE html>"),
        (
            "r.xml",
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites",
        ),
        ("r.json", "{\n  \"apiVersion\""),
        ("r.sarif", "{"),
    ] {
        let path = dir.path().join(name);
        let r = run(&[
            "-f",
            "examples/shop",
            "--report-file",
            path.to_str().unwrap(),
        ]);
        assert_eq!(r.code, 1, "{}", r.stderr);
        // stdout keeps -o's format.
        assert!(r.stdout.contains("NAMESPACE"), "{}", r.stdout);
        let text = std::fs::read_to_string(&path).unwrap();
        assert!(
            text.starts_with(starts),
            "{name}: {}",
            &text[..80.min(text.len())]
        );
    }
    let path = dir.path().join("report.txt");
    let r = run(&[
        "-f",
        "examples/shop",
        "--report-file",
        path.to_str().unwrap(),
        "--report-format",
        "junit",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 1, "{}", r.stderr);
    assert!(r.stdout.starts_with('{'));
    assert!(std::fs::read_to_string(&path)
        .unwrap()
        .contains("<testsuites"));
}

#[test]
fn post_render_writes_an_html_report_with_its_graph() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("report.html");
    let chart = ["api.yaml", "web.yaml", "policies.yaml"]
        .map(|f| std::fs::read_to_string(root().join("examples/shop").join(f)).unwrap())
        .join("\n---\n");
    let r = run_stdin(
        &[
            "post-render",
            "-n",
            "shop",
            "--report-file",
            path.to_str().unwrap(),
        ],
        chart.as_bytes(),
    );
    assert!(r.code < 2, "{}", r.stderr);
    let html = std::fs::read_to_string(&path).unwrap();
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("NetworkPolicy coverage of a Helm release"));
    assert!(html.contains("<svg"), "the graph");
    assert!(html.contains("shop ("), "a node for shop");
}

#[test]
fn the_json_report_names_the_tool_its_version_and_when() {
    let r = run(&["-f", "examples/shop", "-o", "json"]);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["generator"]["name"], "netpol-check");
    assert_eq!(report["generator"]["version"], env!("CARGO_PKG_VERSION"));
    // `date -u -d @1700000000`: the tests' SOURCE_DATE_EPOCH.
    assert_eq!(report["generator"]["timestamp"], "2023-11-14T22:13:20Z");
    // Without SOURCE_DATE_EPOCH: now.
    let out = cmd()
        .env_remove("SOURCE_DATE_EPOCH")
        .args(["-f", "examples/shop", "-o", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let ts = report["generator"]["timestamp"].as_str().unwrap();
    let year: u32 = ts[..4].parse().unwrap();
    assert!(year >= 2025 && ts.ends_with('Z'), "{ts}");
}
