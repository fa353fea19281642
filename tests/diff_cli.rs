//! `kubectl netpol-check diff` end to end: the base as files, as a Git revision of the same
//! paths (a temporary repository, real `git`), and as a live cluster (the test API server);
//! the outputs (table, markdown, JSON, SARIF), `--fail-on`, and what bad input gets.
//!
//! The manifests, worked out by hand: namespace shop denies everything both ways; db (port
//! `pg`, 5432) accepts web on `pg`; web may send to db on 5432. The change under review widens
//! db's ingress to every pod of namespaces labelled team=web, and adds an uncovered workload
//! in namespace web (which has no policy): front. So front -> db opens on TCP 5432, front is
//! new and uncovered, and shop's other pods stay as they were.

mod apiserver;

use std::path::Path;
use std::process::{Command, Output};

use apiserver::{namespace, network_policy, pod, ApiServer, Fixture, Options};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

const BASE: &str = r#"apiVersion: v1
kind: Namespace
metadata: {name: shop}
---
apiVersion: v1
kind: Namespace
metadata: {name: web, labels: {team: web}}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop, labels: {app: web}}
spec: {containers: [{name: c, image: x}]}
---
apiVersion: v1
kind: Pod
metadata: {name: db, namespace: shop, labels: {app: db}}
spec: {containers: [{name: c, image: x, ports: [{name: pg, containerPort: 5432}]}]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: default-deny-all, namespace: shop}
spec: {podSelector: {}, policyTypes: [Ingress, Egress]}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web-egress, namespace: shop}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Egress]
  egress: [{to: [{podSelector: {matchLabels: {app: db}}}], ports: [{port: 5432}]}]
"#;

/// db's ingress, in the base and after the change (line 1 of db.yaml is `apiVersion`).
const DB_BASE: &str = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress: [{from: [{podSelector: {matchLabels: {app: web}}}], ports: [{port: pg}]}]
"#;
const DB_HEAD: &str = r#"apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: db, namespace: shop}
spec:
  podSelector: {matchLabels: {app: db}}
  ingress:
  - from: [{podSelector: {matchLabels: {app: web}}}, {namespaceSelector: {matchLabels: {team: web}}}]
    ports: [{port: pg}]
"#;
const FRONT: &str = r#"apiVersion: v1
kind: Pod
metadata: {name: front, namespace: web}
spec: {containers: [{name: c, image: x}]}
"#;

fn write_tree(dir: &Path, head: bool) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join("base.yaml"), BASE).unwrap();
    std::fs::write(dir.join("db.yaml"), if head { DB_HEAD } else { DB_BASE }).unwrap();
    if head {
        std::fs::write(dir.join("front.yaml"), FRONT).unwrap();
    }
}

fn run_in(dir: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .current_dir(dir)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap()
}

fn stdout(out: &Output) -> String {
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn json_of(out: &Output) -> Value {
    serde_json::from_slice(&out.stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {}\n{}", stdout(out), stderr(out)))
}

/// The checks every base gives the same answer to.
fn assert_the_change(d: &Value) {
    assert_eq!(d["kind"], "ConnectivityDiff");
    assert_eq!(
        d["summary"]["pairsOpened"], 0,
        "front is new: no pair of both sides"
    );
    assert_eq!(d["summary"]["newUncovered"], 1);
    assert_eq!(d["workloads"]["added"][0]["name"], "front");
    assert_eq!(d["policies"]["changed"][0]["name"], "db");
    assert_eq!(d["summary"]["coverageLost"], 0);
}

#[test]
fn two_trees() {
    let tmp = tempfile::tempdir().unwrap();
    write_tree(&tmp.path().join("old"), false);
    write_tree(&tmp.path().join("new"), true);
    let out = run_in(
        tmp.path(),
        &["diff", "--base", "old", "-f", "new", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let d = json_of(&out);
    assert_the_change(&d);
    assert_eq!(d["base"]["files"], json!(["old/base.yaml", "old/db.yaml"]));

    // --fail-on never passes it; any fails it.
    let out = run_in(
        tmp.path(),
        &["diff", "--base", "old", "-f", "new", "--fail-on", "never"],
    );
    assert_eq!(out.status.code(), Some(0));
    // The findings: NPC001 on front, NPC003 on namespace web, NPC107 on the widened rule
    // (two peers where one may have been meant).
    assert!(
        stdout(&out).starts_with(
            "1 new workload not covered; 3 findings added (1 error); 1 workload added; 1 policy changed."
        ),
        "{}",
        stdout(&out)
    );
    assert!(stdout(&out).contains("ADDED   Pod web/front (not isolated for ingress or egress)"));
}

#[test]
fn a_widened_rule_opens_a_pair_in_every_output() {
    let tmp = tempfile::tempdir().unwrap();
    // front exists on both sides here: only the rule changes.
    write_tree(&tmp.path().join("old"), false);
    std::fs::write(tmp.path().join("old/front.yaml"), FRONT).unwrap();
    write_tree(&tmp.path().join("new"), true);
    let args = ["diff", "--base", "old", "-f", "new"];

    let out = run_in(
        tmp.path(),
        &[&args[..], &["-o", "json", "--pairs"]].concat(),
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "uncovers nothing: {}",
        stderr(&out)
    );
    let d = json_of(&out);
    assert_eq!(
        d["pairs"],
        json!([{"source": "web/front[Pod]", "destination": "shop/db[Pod]",
                "before": "No Connections", "after": "TCP 5432"}])
    );
    let c = &d["connections"][0];
    assert_eq!(c["change"], "opened");
    assert_eq!(c["direction"], "ingress");
    assert_eq!(c["workload"]["name"], "db");
    assert_eq!(c["opened"], "TCP 5432");
    assert_eq!(c["rules"][0]["policy"]["name"], "db");
    assert_eq!(c["rules"][0]["policy"]["file"], "new/db.yaml");
    assert_eq!(c["rules"][0]["policy"]["line"], 1);
    assert_eq!(c["was"], json!([]));

    // --fail-on opened fails it.
    let out = run_in(tmp.path(), &[&args[..], &["--fail-on", "opened"]].concat());
    assert_eq!(out.status.code(), Some(1));
    assert!(stdout(&out).contains(
        "OPENED  Pod shop/db now accepts TCP 5432 from web/front[Pod]: allowed by NetworkPolicy shop/db rule 1 (from pods app=web in namespace shop; or every pod in namespaces team=web, TCP port named pg); no rule allowed it before"
    ), "{}", stdout(&out));

    // Markdown: a summary line, then sections.
    let out = run_in(tmp.path(), &[&args[..], &["-o", "markdown"]].concat());
    let md = stdout(&out);
    assert!(md.starts_with("### netpol-check diff\n\n**1 workload pair with connections opened; 1 finding added; 1 policy changed.**\n"), "{md}");
    assert!(md.contains("#### Connections opened (1)"), "{md}");
    assert!(md.contains("#### Policies changed (1)"), "{md}");

    // SARIF: the opening at the rule that allows it.
    let out = run_in(tmp.path(), &[&args[..], &["-o", "sarif"]].concat());
    let log = json_of(&out);
    let results = &log["runs"][0]["results"];
    assert_eq!(results.as_array().unwrap().len(), 1, "{results}");
    assert_eq!(results[0]["ruleId"], "diff-opened");
    let location = &results[0]["locations"][0]["physicalLocation"];
    assert_eq!(location["artifactLocation"]["uri"], "new/db.yaml");
    assert_eq!(location["region"]["startLine"], 1);
}

#[test]
fn many_changes_collapse_in_markdown() {
    let tmp = tempfile::tempdir().unwrap();
    let mut old = String::from("apiVersion: v1\nkind: Namespace\nmetadata: {name: open}\n");
    let mut new = old.clone();
    for i in 0..12 {
        let pod = format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: open}}\nspec: {{containers: [{{name: c, image: x}}]}}\n");
        new.push_str(&pod);
        if i == 0 {
            old.push_str(&pod);
        }
    }
    std::fs::write(tmp.path().join("old.yaml"), old).unwrap();
    std::fs::write(tmp.path().join("new.yaml"), new).unwrap();
    let out = run_in(
        tmp.path(),
        &[
            "diff", "--base", "old.yaml", "-f", "new.yaml", "-o", "markdown",
        ],
    );
    assert_eq!(out.status.code(), Some(1), "11 new uncovered pods");
    let md = stdout(&out);
    assert!(md.contains("#### Workloads added (11)"), "{md}");
    assert!(md.contains("<details><summary>1 more</summary>"), "{md}");
}

#[test]
fn a_long_markdown_comment_stays_within_its_limit() {
    let tmp = tempfile::tempdir().unwrap();
    let old = String::from("apiVersion: v1\nkind: Namespace\nmetadata: {name: open}\n");
    let mut new = old.clone();
    for i in 0..300 {
        new.push_str(&format!("---\napiVersion: v1\nkind: Pod\nmetadata: {{name: payments-reconciliation-worker-with-a-long-name-{i:03}, namespace: open}}\nspec: {{containers: [{{name: c, image: x}}]}}\n"));
    }
    std::fs::write(tmp.path().join("old.yaml"), old).unwrap();
    std::fs::write(tmp.path().join("new.yaml"), new).unwrap();
    let args = [
        "diff", "--base", "old.yaml", "-f", "new.yaml", "-o", "markdown",
    ];
    let count = |md: &str, section: &str| {
        let at = md
            .find(section)
            .unwrap_or_else(|| panic!("{section} in {md}"));
        let rest = &md[at + section.len()..];
        let end = rest.find("\n#### ").unwrap_or(rest.len());
        let body = &rest[..end];
        let listed = body.lines().filter(|l| l.starts_with("- ")).count();
        let left_out = body
            .split('_')
            .nth(1)
            .and_then(|t| t.split(' ').next())
            .and_then(|n| n.parse::<usize>().ok())
            .unwrap_or(0);
        (listed, left_out)
    };

    // Whole, the comment is larger than GitHub takes.
    let out = run_in(
        tmp.path(),
        &[&args[..], &["--markdown-limit", "0"]].concat(),
    );
    assert_eq!(out.status.code(), Some(1), "300 new uncovered pods");
    let whole = stdout(&out);
    assert!(whole.len() > 65_536, "{}", whole.len());
    assert_eq!(count(&whole, "#### Workloads added (300)"), (300, 0));
    assert!(!whole.contains("not shown"), "{whole}");

    // By default it is kept within 65,536 bytes, every section showing its first items and
    // counting those left out.
    let out = run_in(tmp.path(), &args);
    let md = stdout(&out);
    assert!(md.len() <= 65_536, "{}", md.len());
    assert!(md.starts_with("### netpol-check diff\n\n**"), "{md}");
    let mut left_out = 0;
    for (section, n) in [
        ("#### Workloads added (300)", 300),
        // And the namespace's own.
        ("#### Findings added (301)", 301),
    ] {
        let (listed, out) = count(&md, section);
        assert!(listed >= 10, "{section}: {listed}");
        assert_eq!(listed + out, n, "{section}");
        left_out += out;
    }
    assert!(left_out > 0, "{md}");
    assert!(md.contains("more items not shown"), "{md}");

    // A smaller limit.
    let out = run_in(
        tmp.path(),
        &[&args[..], &["--markdown-limit", "8000"]].concat(),
    );
    let md = stdout(&out);
    assert!(md.len() <= 8000, "{}", md.len());
    let (listed, left_out) = count(&md, "#### Workloads added (300)");
    assert!((10..300).contains(&listed), "{md}");
    assert_eq!(listed + left_out, 300, "{md}");
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .current_dir(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .output()
        .expect("git runs");
    assert!(out.status.success(), "git {args:?}: {}", stderr(&out));
}

#[test]
fn a_git_revision_of_the_same_paths() {
    let tmp = tempfile::tempdir().unwrap();
    let repo = tmp.path();
    git(repo, &["init", "-q", "-b", "main"]);
    write_tree(&repo.join("k8s"), false);
    std::fs::write(repo.join("k8s/README.md"), "not a manifest").unwrap();
    git(repo, &["add", "."]);
    git(repo, &["commit", "-q", "-m", "base"]);
    git(repo, &["tag", "v1"]);
    write_tree(&repo.join("k8s"), true);
    // The working tree is the head, uncommitted: the base comes from the object store.
    let out = run_in(
        repo,
        &["diff", "--base-ref", "v1", "-f", "k8s", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let d = json_of(&out);
    assert_the_change(&d);
    assert_eq!(
        d["base"]["files"],
        json!(["v1:k8s/base.yaml", "v1:k8s/db.yaml"])
    );

    // From a subdirectory, a single file: paths are taken from the repository's root.
    let out = run_in(
        &repo.join("k8s"),
        &["diff", "--base-ref", "main", "-f", "db.yaml", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d = json_of(&out);
    assert_eq!(d["base"]["files"], json!(["main:k8s/db.yaml"]));
    assert_eq!(d["policies"]["changed"][0]["name"], "db");

    // A path the revision does not have is an empty base: everything is added.
    std::fs::create_dir_all(repo.join("more")).unwrap();
    std::fs::write(repo.join("more/front.yaml"), FRONT).unwrap();
    let out = run_in(
        repo,
        &["diff", "--base-ref", "v1", "-f", "more", "-o", "json"],
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert_eq!(json_of(&out)["summary"]["workloadsAdded"], 1);

    // An unknown revision: one line, exit 2.
    let out = run_in(repo, &["diff", "--base-ref", "no-such-ref", "-f", "k8s"]);
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(
        err.contains("\"no-such-ref\" is not a commit, branch or tag"),
        "{err}"
    );
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}

#[test]
fn bad_input_is_one_line_and_exit_2() {
    let tmp = tempfile::tempdir().unwrap();
    write_tree(&tmp.path().join("new"), true);
    std::fs::write(tmp.path().join("bad.yaml"), "kind: [unclosed\n").unwrap();
    for (args, says) in [
        (vec!["diff", "--base", "bad.yaml", "-f", "new"], "bad.yaml:"),
        (vec!["diff", "--base", "missing", "-f", "new"], "missing"),
        (vec!["diff", "--base", "-", "-f", "-"], "both read stdin"),
        (
            vec!["diff", "--base-ref", "HEAD", "-f", "new"],
            "not in a Git repository",
        ),
        (
            vec!["diff", "--base-ref", "HEAD", "-f", "-"],
            "stdin (-f -) has no revision",
        ),
    ] {
        let out = run_in(tmp.path(), &args);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {}", stderr(&out));
        let err = stderr(&out);
        assert!(err.contains(says), "{args:?}: {err}");
        assert!(
            !err.contains("panicked") && !err.contains("RUST_BACKTRACE"),
            "{err}"
        );
    }
    // A base is required, and only one.
    let out = run_in(tmp.path(), &["diff", "-f", "new"]);
    assert_eq!(out.status.code(), Some(2));
    let out = run_in(
        tmp.path(),
        &["diff", "--base", "new", "--base-ref", "HEAD", "-f", "new"],
    );
    assert_eq!(out.status.code(), Some(2));
}

#[test]
fn the_cluster_now_as_the_base() {
    // The cluster runs the base, plus a pod of another release that the chart does not name.
    let server = ApiServer::start(
        Fixture::from_objects([
            namespace("shop", &[]),
            namespace("web", &[("team", "web")]),
            pod("shop", "web", &[("app", "web")]),
            {
                let mut db = pod("shop", "db", &[("app", "db")]);
                db["spec"]["containers"][0]["ports"] =
                    json!([{"name": "pg", "containerPort": 5432, "protocol": "TCP"}]);
                db
            },
            pod("shop", "other", &[("app", "other")]),
            pod("web", "front", &[]),
            network_policy(
                "shop",
                "default-deny-all",
                json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
            ),
            network_policy(
                "shop",
                "db",
                json!({"podSelector": {"matchLabels": {"app": "db"}},
                       "ingress": [{"from": [{"podSelector": {"matchLabels": {"app": "web"}}}],
                                    "ports": [{"port": "pg"}]}]}),
            ),
        ]),
        Options::default(),
    );
    let tmp = tempfile::tempdir().unwrap();
    let kubeconfig = tmp.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig, "test", Some("shop"));
    // The chart: only the widened policy, without a namespace (the context's, shop).
    std::fs::write(
        tmp.path().join("db.yaml"),
        DB_HEAD.replace(", namespace: shop", ""),
    )
    .unwrap();
    let diff = |extra: &[&str]| {
        Command::new(BINARY)
            .current_dir(tmp.path())
            .args([
                "diff",
                "--base-cluster",
                "-f",
                "db.yaml",
                "-o",
                "json",
                "--pairs",
            ])
            .args(extra)
            .arg("--kubeconfig")
            .arg(&kubeconfig)
            .env_remove("KUBECONFIG")
            .output()
            .unwrap()
    };
    // Only the namespace the chart touches is read: front, in web, is not seen, and the
    // diff says so.
    let out = diff(&[]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d = json_of(&out);
    assert_eq!(d["pairs"], json!([]));
    assert!(
        d["notes"].as_array().unwrap().iter().any(|n| n
            .as_str()
            .unwrap()
            .starts_with("the cluster was read in namespace shop only")),
        "{}",
        d["notes"]
    );
    let out = diff(&["-A"]);
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    let d = json_of(&out);
    assert_eq!(d["base"]["type"], "cluster");
    assert_eq!(d["base"]["context"], "test");
    // Applied over the cluster: nothing the chart does not name is removed.
    assert_eq!(d["workloads"]["removed"], json!([]));
    assert_eq!(d["policies"]["removed"], json!([]));
    assert_eq!(d["policies"]["changed"][0]["name"], "db");
    // web/front, in the cluster only, is a peer of the widened rule.
    assert_eq!(
        d["pairs"],
        json!([{"source": "web/front[Pod]", "destination": "shop/db[Pod]",
                "before": "No Connections", "after": "TCP 5432"}])
    );

    // An unreachable cluster: one line naming it, exit 2.
    drop(server);
    let out = Command::new(BINARY)
        .current_dir(tmp.path())
        .args([
            "diff",
            "--base-cluster",
            "-f",
            "db.yaml",
            "--request-timeout",
            "5s",
            "--kubeconfig",
        ])
        .arg(&kubeconfig)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = stderr(&out);
    assert!(err.contains("test"), "names the context: {err}");
    assert_eq!(err.trim().lines().count(), 1, "{err}");
}
