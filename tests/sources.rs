//! `-k` (Kustomize), `--chart` (Helm) and rendered streams given with `-f`, through the real
//! kubectl 1.37 (its built-in kustomize), Helm 3 and Helm 4 that scripts/install-test-tools.sh
//! installs. Each run gets a PATH holding only the tools it is meant to find.

mod common;
mod tools;

use common::{cmd, Run};
use serde_json::Value;

const BASE: &str = "tests/fixtures/kustomize/base/deployment.yaml";
const PROD: &str = "tests/fixtures/kustomize/overlays/prod";
const DEV: &str = "tests/fixtures/kustomize/overlays/dev";
const CHART: &str = "tests/charts/storefront";

/// A directory for PATH with the named tools of the test tools directory, as `name` -> `tool`.
fn path_with(tools: &[(&str, &str)]) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    for (name, tool) in tools {
        std::os::unix::fs::symlink(tools::dir().join(tool), dir.path().join(name)).unwrap();
    }
    dir
}

fn run_with_path(path: &tempfile::TempDir, args: &[&str], stdin: &[u8]) -> Run {
    let out = cmd()
        .env("PATH", path.path())
        .env("HELM_CACHE_HOME", path.path().join("cache"))
        .env("HELM_CONFIG_HOME", path.path().join("config"))
        .env("HELM_DATA_HOME", path.path().join("data"))
        .env_remove("HELM_NAMESPACE")
        .args(args)
        .write_stdin(stdin.to_vec())
        .output()
        .unwrap();
    Run {
        code: out.status.code().unwrap(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// The JSON report of a run that must produce one.
fn report(path: &tempfile::TempDir, args: &[&str], stdin: &[u8]) -> (i32, Value, String) {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let r = run_with_path(path, &all, stdin);
    assert!(r.code == 0 || r.code == 1, "exit {}: {}", r.code, r.stderr);
    let v = serde_json::from_str(&r.stdout).unwrap_or_else(|e| panic!("{e}: {}", r.stdout));
    (r.code, v, r.stderr)
}

/// `(rule, object, file, line)` of each finding.
fn findings(report: &Value) -> Vec<(String, String, String, u64)> {
    report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (
                f["rule"].as_str().unwrap().to_owned(),
                format!(
                    "{}/{}",
                    f["namespace"].as_str().unwrap_or(""),
                    f["object"].as_str().unwrap_or("")
                ),
                f["file"].as_str().unwrap_or("").to_owned(),
                f["line"].as_u64().unwrap_or(0),
            )
        })
        .collect()
}

fn finding(report: &Value, rule: &str, object: &str) -> (String, u64) {
    findings(report)
        .into_iter()
        .find(|f| f.0 == rule && f.1 == object)
        .map(|f| (f.2, f.3))
        .unwrap_or_else(|| panic!("no {rule} on {object} in {:#?}", findings(report)))
}

fn has(report: &Value, rule: &str, object: &str) -> bool {
    findings(report)
        .iter()
        .any(|f| f.0 == rule && f.1 == object)
}

fn kubectl_only() -> tempfile::TempDir {
    path_with(&[("kubectl", "kubectl")])
}

fn helm(version: &str) -> tempfile::TempDir {
    path_with(&[("helm", version)])
}

// The Deployment is the second document of base/deployment.yaml, at line 9 (a comment, a
// ConfigMap on lines 2-7, `---` on line 8); allow-api is the third document of
// overlays/prod/policies.yaml, at line 22 (after its comment on line 21).

#[test]
fn the_dev_overlay_adds_nothing_and_the_finding_points_at_the_base() {
    let path = kubectl_only();
    let (code, r, stderr) = report(&path, &["-k", DEV, "-n", "shop"], b"");
    assert_eq!(code, 1);
    assert_eq!(
        finding(&r, "NPC001", "shop/web"),
        (BASE.to_owned(), 9),
        "{stderr}"
    );
    assert_eq!(r["source"]["files"][0], format!("kubectl kustomize {DEV}"));
}

#[test]
fn the_prod_overlay_isolates_web_and_its_findings_point_at_base_and_overlay() {
    let path = kubectl_only();
    let (code, r, _) = report(&path, &["-k", PROD], b"");
    assert_eq!(code, 0, "only warnings: {:#?}", findings(&r));
    assert_eq!(
        common::isolation(&r, "Deployment", "default", "web"),
        (true, true)
    );
    assert_eq!(finding(&r, "NPC108", "default/web"), (BASE.to_owned(), 9));
    assert_eq!(
        finding(&r, "NPC110", "default/allow-api"),
        (format!("{PROD}/policies.yaml"), 22)
    );
    // allow-web selects web through the label the overlay's patch adds.
    assert!(!has(&r, "NPC110", "default/allow-web"));
    assert!(
        !r.to_string().contains("config.kubernetes.io/origin"),
        "our origin annotation is not the user's"
    );
}

#[test]
fn kustomizations_mix_with_manifests() {
    let path = kubectl_only();
    let (_, r, _) = report(
        &path,
        &[
            "-k",
            DEV,
            "-f",
            "tests/fixtures/kustomize/overlays/prod/policies.yaml",
        ],
        b"",
    );
    assert_eq!(
        common::isolation(&r, "Deployment", "default", "web"),
        (true, true)
    );
    assert_eq!(r["source"]["files"].as_array().unwrap().len(), 2);
}

#[test]
fn kustomize_on_path_is_preferred_to_kubectl() {
    // A `kustomize` that is kubectl's: `kustomize build DIR` must be how it is called.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("kustomize");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\n[ \"$1\" = build ] || exit 3\nshift\nexec {} kustomize \"$@\"\n",
            tools::kubectl().display()
        ),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).unwrap();
    let (_, r, _) = report(&dir, &["-k", DEV], b"");
    assert_eq!(r["source"]["files"][0], format!("kustomize build {DEV}"));
    assert_eq!(finding(&r, "NPC001", "default/web"), (BASE.to_owned(), 9));
}

#[test]
fn without_kustomize_and_kubectl_or_with_a_broken_kustomization_the_run_stops() {
    let empty = path_with(&[]);
    let r = run_with_path(&empty, &["-k", DEV], b"");
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("neither kustomize nor kubectl is on PATH"),
        "{}",
        r.stderr
    );

    let r = run_with_path(
        &kubectl_only(),
        &["-k", "tests/fixtures/kustomize/broken"],
        b"",
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("error: -k tests/fixtures/kustomize/broken: kubectl kustomize: "),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("missing.yaml"), "{}", r.stderr);

    let r = run_with_path(&kubectl_only(), &["-k", BASE], b"");
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("not a directory"), "{}", r.stderr);
}

#[test]
fn every_command_reading_manifests_takes_k() {
    let path = kubectl_only();
    let r = run_with_path(&path, &["generate", "-k", DEV], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("kind: NetworkPolicy"), "{}", r.stdout);
    let r = run_with_path(&path, &["explain", "deploy/web", "-k", PROD], b"");
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("allow-web"), "{}", r.stdout);
    // Egress is denied by default-deny-all, even to itself.
    let r = run_with_path(
        &path,
        &[
            "reach",
            "deploy/web",
            "deploy/web",
            "-k",
            PROD,
            "--port",
            "8080",
        ],
        b"",
    );
    assert_eq!(r.code, 1, "{}", r.stdout);
    let r = run_with_path(
        &path,
        &[
            "reach",
            "deploy/web",
            "deploy/web",
            "-k",
            DEV,
            "--port",
            "8080",
        ],
        b"",
    );
    assert_eq!(r.code, 0, "{}", r.stdout);
}

#[test]
fn a_chart_with_a_subchart_points_findings_at_the_templates_and_skips_its_test_hook() {
    for version in ["helm3", "helm4"] {
        let path = helm(version);
        let (code, r, stderr) = report(&path, &["--chart", CHART, "-n", "shop"], b"");
        assert_eq!(code, 1, "{version}");
        assert!(stderr.is_empty(), "{version}: {stderr}");
        // The release is the chart's name; objects naming no namespace are the release's.
        assert_eq!(
            finding(&r, "NPC001", "shop/storefront-web"),
            (format!("{CHART}/templates/web.yaml"), 1),
            "{version}"
        );
        // The subchart's template opens with a comment: the StatefulSet is on line 2.
        assert_eq!(
            finding(&r, "NPC001", "shop/storefront-db"),
            (format!("{CHART}/charts/db/templates/db.yaml"), 2),
            "{version}"
        );
        assert_eq!(r["summary"]["workloads"], 2, "{version}");
        assert_eq!(
            r["summary"]["skippedKinds"]["Pod (Helm hook)"], 1,
            "{version}"
        );
        assert_eq!(
            r["source"]["files"][0],
            format!("helm template storefront {CHART}")
        );

        let (_, r, _) = report(
            &path,
            &[
                "--chart",
                CHART,
                "-n",
                "shop",
                "--include-hooks",
                "--release",
                "rel",
            ],
            b"",
        );
        assert_eq!(r["summary"]["workloads"], 3, "{version}");
        assert_eq!(
            finding(&r, "NPC001", "shop/rel-test-connection"),
            (format!("{CHART}/templates/tests/test-connection.yaml"), 1),
            "{version}"
        );
    }
}

#[test]
fn values_and_set_change_the_verdict() {
    let path = helm("helm3");
    let (code, r, _) = report(
        &path,
        &["--chart", CHART, "--set", "networkPolicy.enabled=true"],
        b"",
    );
    assert_eq!(code, 0, "{:#?}", findings(&r));
    assert_eq!(r["summary"]["uncoveredWorkloads"], 0);
    assert_eq!(r["namespaces"][0]["name"], "default");

    let values = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(values.path(), "networkPolicy:\n  enabled: true\n").unwrap();
    let values = values.path().to_str().unwrap();
    let (code, _, _) = report(&path, &["--chart", CHART, "--values", values], b"");
    assert_eq!(code, 0);
    // The later --set wins, as in helm.
    let (code, _, _) = report(
        &path,
        &[
            "--chart",
            CHART,
            "--values",
            values,
            "--set",
            "networkPolicy.enabled=false",
        ],
        b"",
    );
    assert_eq!(code, 1);
}

#[test]
fn without_helm_or_with_a_broken_chart_the_run_stops() {
    let r = run_with_path(&path_with(&[]), &["--chart", CHART], b"");
    assert_eq!(r.code, 2);
    assert_eq!(
        r.stderr,
        format!("error: --chart {CHART}: helm is not on PATH (it renders the chart)\n")
    );
    let r = run_with_path(
        &helm("helm4"),
        &["--chart", "tests/fixtures/kustomize"],
        b"",
    );
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(
        r.stderr
            .starts_with("error: --chart tests/fixtures/kustomize: helm template: "),
        "{}",
        r.stderr
    );
    let r = run_with_path(&helm("helm3"), &["--values", "x.yaml", "-f", BASE], b"");
    assert_eq!(r.code, 2, "--values without --chart: {}", r.stderr);
}

fn rendered(version: &str) -> Vec<u8> {
    let out = std::process::Command::new(tools::dir().join(version))
        .args(["template", "rel", CHART])
        .env(
            "HELM_CACHE_HOME",
            std::env::temp_dir().join("netpol-check-sources-cache"),
        )
        .env_remove("HELM_NAMESPACE")
        .current_dir(common::root())
        .output()
        .unwrap();
    assert!(out.status.success());
    out.stdout
}

#[test]
fn a_rendered_stream_on_stdin_maps_findings_to_templates_and_leaves_hooks_out() {
    let path = path_with(&[]);
    let stream = rendered("helm3");
    let (code, r, stderr) = report(&path, &["-f", "-", "-n", "shop"], &stream);
    assert_eq!(code, 1);
    assert!(stderr.is_empty(), "-n given: no hint: {stderr}");
    assert_eq!(
        finding(&r, "NPC001", "shop/rel-web"),
        ("storefront/templates/web.yaml".to_owned(), 1)
    );
    assert_eq!(
        finding(&r, "NPC001", "shop/rel-db"),
        ("storefront/charts/db/templates/db.yaml".to_owned(), 2)
    );
    assert_eq!(r["summary"]["skippedKinds"]["Pod (Helm hook)"], 1);
    let (_, r, _) = report(
        &path,
        &["-f", "-", "-n", "shop", "--include-hooks"],
        &stream,
    );
    assert_eq!(r["summary"]["workloads"], 3);
}

#[test]
fn helm_4s_postrender_filename_names_the_template_of_a_stream() {
    let stream = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  namespace: shop\n  annotations:\n    postrenderer.helm.sh/postrender-filename: shop/templates/web.yaml\nspec:\n  containers: []\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: t\n  namespace: shop\n  annotations:\n    helm.sh/hook: test\nspec:\n  containers: []\n";
    let (_, r, _) = report(&path_with(&[]), &["-f", "-"], stream.as_bytes());
    assert_eq!(
        finding(&r, "NPC001", "shop/web"),
        ("shop/templates/web.yaml".to_owned(), 1)
    );
    assert_eq!(r["summary"]["skippedKinds"]["Pod (Helm hook)"], 1);
}

#[test]
fn a_stream_without_namespaces_gets_a_hint_about_n() {
    let path = path_with(&[]);
    let stream = rendered("helm4");
    let r = run_with_path(&path, &["-f", "-"], &stream);
    assert_eq!(r.code, 1);
    let hints: Vec<&str> = r.stderr.lines().collect();
    assert_eq!(hints.len(), 1, "{}", r.stderr);
    assert!(hints[0].starts_with("hint: "), "{}", r.stderr);
    assert!(hints[0].contains("\"default\"") && hints[0].contains("-n"));
    // Objects that name their namespace need no hint.
    let pod = "# Source: c/templates/web.yaml\napiVersion: v1\nkind: Pod\nmetadata:\n  name: web\nspec:\n  containers: []\n";
    let named = pod.replace("  name: web\n", "  name: web\n  namespace: shop\n");
    let r = run_with_path(&path, &["-f", "-"], named.as_bytes());
    assert_eq!(r.stderr, "");
    let r = run_with_path(&path, &["-f", "-"], pod.as_bytes());
    assert!(r.stderr.starts_with("hint: "), "{}", r.stderr);
    // Nor do hand-written snippets, which kubectl would apply to its default namespace too.
    let r = run_with_path(
        &path,
        &["-f", "-"],
        pod.replacen("# Source: c/templates/web.yaml\n", "", 1)
            .as_bytes(),
    );
    assert_eq!(r.stderr, "");
    // Nor do files: the hint is about streams piped from a renderer.
    let r = run_with_path(&path, &["-f", BASE], b"");
    assert_eq!(r.stderr, "");
}

#[test]
fn diff_takes_the_new_side_from_a_kustomization() {
    let path = kubectl_only();
    let r = run_with_path(
        &path,
        &["diff", "--base", BASE, "-k", PROD, "-o", "json"],
        b"",
    );
    assert_eq!(r.code, 0, "web gains isolation: {}", r.stderr);
    let v: Value = serde_json::from_str(&r.stdout).unwrap();
    assert!(
        v.to_string().contains("overlays/prod/policies.yaml"),
        "{v:#}"
    );
    let r = run_with_path(&path, &["diff", "--base-ref", "HEAD", "-k", DEV], b"");
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("--base PATH"), "{}", r.stderr);
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The `$ ...` transcripts of docs/sources.md, run in a directory laid out as they assume
/// (`base/`, `overlays/`, `charts/storefront/`): what each prints up to a `...` line is the
/// output's beginning, and each line after a `...` is somewhere in it.
#[test]
fn the_transcripts_of_docs_sources_md_are_real_output() {
    let root = common::root();
    let work = tempfile::tempdir().unwrap();
    copy_dir(
        &root.join("tests/fixtures/kustomize/base"),
        &work.path().join("base"),
    );
    copy_dir(
        &root.join("tests/fixtures/kustomize/overlays"),
        &work.path().join("overlays"),
    );
    copy_dir(&root.join(CHART), &work.path().join("charts/storefront"));
    let tools = path_with(&[("kubectl", "kubectl"), ("helm", "helm3")]);
    let none = path_with(&[]);

    let doc = std::fs::read_to_string(root.join("docs/sources.md")).unwrap();
    let mut transcripts: Vec<(String, Vec<String>)> = Vec::new();
    // Within a fenced block, from a `$ ` line on.
    let mut in_transcript = false;
    for line in doc.lines() {
        if line.starts_with("```") {
            in_transcript = false;
        } else if let Some(command) = line.strip_prefix("$ ") {
            transcripts.push((command.to_owned(), Vec::new()));
            in_transcript = true;
        } else if let (true, Some((_, lines))) = (in_transcript, transcripts.last_mut()) {
            lines.push(line.to_owned());
        }
    }
    assert!(transcripts.len() >= 5, "{transcripts:?}");
    for (command, expected) in &mut transcripts {
        // Trailing blank lines close a transcript before the next command.
        while expected.last().is_some_and(|l| l.is_empty()) {
            expected.pop();
        }
        let missing_tool = expected.iter().any(|l| l.contains("is not on PATH"));
        let path = if missing_tool { &none } else { &tools };
        let (stdin, ours) = match command.split_once(" | ") {
            Some((helm, ours)) => {
                let args: Vec<&str> = helm.split_whitespace().skip(1).collect();
                let out = std::process::Command::new(tools::dir().join("helm3"))
                    .args(&args)
                    .current_dir(work.path())
                    .env_remove("HELM_NAMESPACE")
                    .output()
                    .unwrap();
                assert!(out.status.success(), "{helm}");
                (out.stdout, ours)
            }
            None => (Vec::new(), command.as_str()),
        };
        let args: Vec<&str> = ours
            .strip_prefix("kubectl netpol-check ")
            .unwrap_or_else(|| panic!("{command}"))
            .split_whitespace()
            .collect();
        let out = cmd()
            .current_dir(work.path())
            .env("PATH", path.path())
            .env("HELM_CACHE_HOME", path.path().join("cache"))
            .env("HELM_CONFIG_HOME", path.path().join("config"))
            .env("HELM_DATA_HOME", path.path().join("data"))
            .env_remove("HELM_NAMESPACE")
            .args(&args)
            .write_stdin(stdin)
            .output()
            .unwrap();
        let printed = format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let printed: Vec<&str> = printed.lines().collect();
        let cut = expected.iter().position(|l| l == "...");
        let head = &expected[..cut.unwrap_or(expected.len())];
        match cut {
            Some(_) => assert!(
                printed.len() >= head.len() && printed[..head.len()] == head[..],
                "{command}: {printed:#?}"
            ),
            None => assert_eq!(printed, *head, "{command}"),
        }
        for line in expected.iter().skip(cut.map_or(expected.len(), |c| c + 1)) {
            assert!(
                printed.contains(&line.as_str()),
                "{command}: {line}\n{printed:#?}"
            );
        }
    }
}
