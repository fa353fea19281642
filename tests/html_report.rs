//! `-o html` in a real browser: Debian's Chromium, headless (installed by
//! scripts/install-test-tools.sh), opens the page and the tests read the DOM after the page's
//! script ran (`--dump-dom`), and compare a screenshot with the reviewed one in tests/html/.

mod tools;

use std::path::{Path, PathBuf};
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");
/// 2023-11-14T22:13:20Z: the page shows when it was written.
const EPOCH: &str = "1700000000";

fn chromium() -> Option<PathBuf> {
    let path = tools::dir().join("chromium");
    if path.exists() {
        Some(path)
    } else {
        eprintln!("skipped: no chromium in the tools directory (scripts/install-test-tools.sh)");
        None
    }
}

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Writes the report of `args` as HTML into `dir`; returns its path.
fn page(dir: &Path, args: &[&str]) -> PathBuf {
    let out = Command::new(BINARY)
        .current_dir(root())
        .env("SOURCE_DATE_EPOCH", EPOCH)
        .args(args)
        .args(["-o", "html"])
        .output()
        .unwrap();
    assert!(
        out.status.code().is_some_and(|c| c < 2),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = dir.join("report.html");
    std::fs::write(&path, &out.stdout).unwrap();
    path
}

fn browser(chromium: &Path, dir: &Path, extra: &[&str], page: &Path) -> String {
    let profile = tempfile::tempdir_in(dir).unwrap();
    let out = Command::new(chromium)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--hide-scrollbars",
            "--force-device-scale-factor=1",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(extra)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "chromium: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

fn dom(chromium: &Path, dir: &Path, page: &Path) -> String {
    browser(chromium, dir, &["--dump-dom"], page)
}

/// The text of the element with this id (its tags removed).
fn text_of(dom: &str, id: &str) -> String {
    let at = dom
        .find(&format!("id=\"{id}\""))
        .unwrap_or_else(|| panic!("no #{id}"));
    let start = at + dom[at..].find('>').unwrap() + 1;
    let end = start + dom[start..].find("</li>").unwrap();
    strip_tags(&dom[start..end])
}

fn strip_tags(s: &str) -> String {
    let mut out = String::new();
    let mut inside = false;
    for c in s.chars() {
        match c {
            '<' => inside = true,
            '>' => inside = false,
            c if !inside => out.push(c),
            _ => {}
        }
    }
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Milliseconds from navigation until the page's script finished, as the page measured it.
fn ready_ms(dom: &str) -> u64 {
    let at = dom.find("data-ready-ms=\"").expect("the page's script ran") + 15;
    dom[at..at + dom[at..].find('"').unwrap()].parse().unwrap()
}

#[test]
fn the_shop_report_shows_its_counts_findings_graph_and_workloads() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = page(dir.path(), &["-f", "examples/shop"]);
    let dom = dom(&chromium, dir.path(), &page);
    // examples/shop by hand: namespaces shop, monitoring and data; web, api, db, the
    // nightly-report CronJob and the node-exporter DaemonSet; web, db and nightly-report are
    // not isolated for egress (shop's only default deny is for ingress); node-exporter is on
    // the host network.
    assert_eq!(text_of(&dom, "card-namespaces"), "3 namespaces");
    assert_eq!(text_of(&dom, "card-workloads"), "5 workloads");
    assert_eq!(text_of(&dom, "card-uncovered"), "3 uncovered workloads");
    assert_eq!(text_of(&dom, "card-host-network"), "1 on the host network");
    assert_eq!(text_of(&dom, "card-errors"), "3 error findings");
    // A known finding: the DaemonSet on the host network.
    let row = dom
        .split("<tr ")
        .find(|r| r.contains("DaemonSet/node-exporter"))
        .expect("a finding on node-exporter");
    assert!(row.starts_with("class=\"w\""), "{row}");
    assert!(
        row.contains("<td>warning</td><td>NPC002</td><td>monitoring</td>"),
        "{row}"
    );
    // The graph: a node per namespace with workloads.
    let graph = &dom[dom.find("id=\"graph\"").expect("a graph")..];
    let graph = &graph[..graph.find("</svg>").unwrap()];
    assert!(graph.contains("shop (4 workloads)"), "{graph}");
    assert!(graph.contains("monitoring (1 workload)"), "{graph}");
    // The script drew the workloads, each a button that explains it.
    for w in [
        "Deployment/web",
        "Deployment/api",
        "StatefulSet/db",
        "CronJob/nightly-report",
        "DaemonSet/node-exporter",
    ] {
        assert!(
            dom.contains(&format!("\">{w}</button>")),
            "no button for {w}"
        );
    }
    assert!(dom.contains(">5 workloads<"), "the workloads' count");
    assert!(dom.contains(">7 findings<"), "the findings' count");
    let ms = ready_ms(&dom);
    assert!(ms < 2_000, "the page took {ms} ms");
}

#[test]
fn a_2000_workload_report_loads_in_under_two_seconds_and_agrees_with_json() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let cluster = dir.path().join("cluster.yaml");
    let mut file = std::fs::File::create(&cluster).unwrap();
    netpol_check::synth::generate(&netpol_check::synth::SynthConfig::scaled(0.02), &mut file)
        .unwrap();
    drop(file);
    let cluster = cluster.to_str().unwrap();
    let json = Command::new(BINARY)
        .args(["-f", cluster, "-o", "json"])
        .output()
        .unwrap();
    let report: serde_json::Value = serde_json::from_slice(&json.stdout).unwrap();
    let summary = &report["summary"];
    let workloads = summary["workloads"].as_u64().unwrap();
    assert!(workloads >= 1_900, "{workloads} workloads");

    let page = page(dir.path(), &["-f", cluster]);
    let dom = dom(&chromium, dir.path(), &page);
    assert_eq!(
        text_of(&dom, "card-workloads"),
        format!("{workloads} workloads")
    );
    assert_eq!(
        text_of(&dom, "card-uncovered"),
        format!("{} uncovered workloads", summary["uncoveredWorkloads"])
    );
    assert_eq!(
        text_of(&dom, "card-errors"),
        format!("{} error findings", summary["findings"]["error"])
    );
    let findings = report["findings"].as_array().unwrap().len();
    let rows = ["<tr class=\"e\"", "<tr class=\"w\"", "<tr class=\"i\""]
        .iter()
        .map(|r| dom.matches(r).count())
        .sum::<usize>();
    assert_eq!(rows, findings);
    assert!(dom.contains(&format!(">{findings} findings<")));
    assert!(dom.contains(&format!(">{workloads} workloads<")));
    // One page of the workloads drawn, not all of them.
    assert_eq!(dom.matches("class=\"link\" data-w=").count(), 100);
    // Too large for a readable graph: a sentence says so.
    assert!(dom.contains("id=\"graph-unavailable\""));
    assert!(dom.contains("The namespace connectivity graph is left out"));
    let ms = ready_ms(&dom);
    assert!(ms < 2_000, "the page took {ms} ms");
}

#[test]
fn hostile_names_stay_text() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let manifest = dir.path().join("hostile.yaml");
    std::fs::write(
        &manifest,
        r#"apiVersion: apps/v1
kind: Deployment
metadata:
  name: "x</script><script>document.title='owned'</script>"
  namespace: "<b id=injected>ns</b>"
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: c, image: "i"}]}
"#,
    )
    .unwrap();
    let page = page(dir.path(), &["-f", manifest.to_str().unwrap()]);
    let dom = dom(&chromium, dir.path(), &page);
    assert!(!dom.contains("owned</title>"), "a name ran as a script");
    assert!(!dom.contains("<b id=\"injected\">"), "a name became markup");
    // The script still ran to its end and drew the workload, its name as text.
    assert!(dom.contains("data-ready-ms="), "the page's script broke");
    assert!(
        dom.contains("Deployment/x&lt;/script&gt;&lt;script&gt;document.title='owned'&lt;/script&gt;</button>"),
        "the workload's name is not shown as written"
    );
}

#[test]
fn the_shop_report_looks_as_reviewed() {
    let Some(chromium) = chromium() else { return };
    let dir = tempfile::tempdir().unwrap();
    let page = page(dir.path(), &["-f", "examples/shop"]);
    let shot = dir.path().join("shot.png");
    browser(
        &chromium,
        dir.path(),
        &[
            "--window-size=1280,2400",
            &format!("--screenshot={}", shot.display()),
        ],
        &page,
    );
    let reviewed = root().join("tests/html/shop.png");
    let got = image::open(&shot).unwrap().to_rgb8();
    if std::env::var_os("UPDATE_SCREENSHOT").is_some() {
        got.save(&reviewed).unwrap();
    }
    let want = image::open(&reviewed).unwrap().to_rgb8();
    assert_eq!(got.dimensions(), want.dimensions());
    // Font hinting and anti-aliasing differ a little between machines: pixels may differ
    // slightly; a moved or missing block of the page differs by much more.
    let differing = got
        .pixels()
        .zip(want.pixels())
        .filter(|(a, b)| a.0.iter().zip(b.0).any(|(x, y)| x.abs_diff(y) > 48))
        .count();
    let share = differing as f64 / (got.width() * got.height()) as f64;
    assert!(
        share < 0.01,
        "{:.2}% of the pixels differ from tests/html/shop.png (UPDATE_SCREENSHOT=1 to take a new one, after looking at it)",
        share * 100.0
    );
}
