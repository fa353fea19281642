//! Fleet mode: several clusters in one run (`--context a --context b`, `--all-contexts`),
//! against two test API servers, one over TLS with a bearer token, one over plain HTTP without
//! authentication, and a context whose server does not listen.

mod apiserver;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use apiserver::{namespace, network_policy, pod, ApiServer, Fixture, Options};
use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

/// `secure`: shop/web with no policy (uncovered, an NPC001 error). `plain`: shop/api under a
/// default deny of both directions, and tools/runner with no policy.
struct Fleet {
    secure: ApiServer,
    plain: ApiServer,
    /// The down context's port, which nobody listens on.
    down_port: u16,
    _dir: tempfile::TempDir,
    /// Contexts `secure`, `plain`, `down` and `intruder` (the secure server with a token it
    /// refuses).
    kubeconfig: PathBuf,
    /// Contexts `secure` and `plain` only.
    healthy: PathBuf,
}

impl Fleet {
    fn start() -> Fleet {
        let secure = ApiServer::start(
            Fixture::from_objects([
                namespace("shop", &[]),
                pod("shop", "web", &[("app", "web")]),
            ]),
            Options {
                token: Some("s3cret".into()),
                ..Options::default()
            },
        );
        let plain = ApiServer::start(
            Fixture::from_objects([
                namespace("shop", &[]),
                namespace("tools", &[]),
                pod("shop", "api", &[("app", "api")]),
                pod("tools", "runner", &[("app", "runner")]),
                network_policy(
                    "shop",
                    "deny-all",
                    json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
                ),
            ]),
            Options {
                tls: false,
                ..Options::default()
            },
        );
        let dir = tempfile::tempdir().unwrap();
        let (down, down_port) = apiserver::unreachable_kubeconfig("down");
        let secure_config = secure.kubeconfig("secure", Some("shop"));
        let plain_config = plain.kubeconfig("plain", Some("shop"));
        let intruder = secure.kubeconfig_with_token("intruder", Some("shop"), Some("guess"));
        let kubeconfig = dir.path().join("kubeconfig");
        std::fs::write(
            &kubeconfig,
            apiserver::merge_kubeconfigs(&[
                secure_config.clone(),
                plain_config.clone(),
                down,
                intruder,
            ]),
        )
        .unwrap();
        let healthy = dir.path().join("healthy");
        std::fs::write(
            &healthy,
            apiserver::merge_kubeconfigs(&[secure_config, plain_config]),
        )
        .unwrap();
        Fleet {
            secure,
            plain,
            down_port,
            _dir: dir,
            kubeconfig,
            healthy,
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        run_with(&self.kubeconfig, args)
    }

    fn report(&self, args: &[&str]) -> (i32, Value, String) {
        report_with(&self.kubeconfig, args)
    }
}

fn run_with(kubeconfig: &Path, args: &[&str]) -> Output {
    Command::new(BINARY)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(args)
        .env_remove("KUBECONFIG")
        .output()
        .unwrap()
}

fn report_with(kubeconfig: &Path, args: &[&str]) -> (i32, Value, String) {
    let mut all = args.to_vec();
    all.extend(["-o", "json"]);
    let out = run_with(kubeconfig, &all);
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    let report =
        serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (out.status.code().unwrap(), report, stderr)
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// (cluster, namespace, name) of each workload.
fn workloads(report: &Value) -> Vec<(String, String, String)> {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            (
                w["cluster"].as_str().unwrap_or("-").to_owned(),
                w["namespace"].as_str().unwrap().to_owned(),
                w["name"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn owned(items: &[(&str, &str, &str)]) -> Vec<(String, String, String)> {
    items
        .iter()
        .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
        .collect()
}

/// (context, status) of each `clusters` entry.
fn statuses(report: &Value) -> Vec<(String, String)> {
    report["clusters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["context"].as_str().unwrap().to_owned(),
                c["status"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

#[test]
fn the_merged_report_names_the_cluster_of_every_entry_and_lists_the_clusters() {
    let fleet = Fleet::start();
    let (code, report, stderr) = fleet.report(&["--context", "secure", "--context", "plain", "-A"]);
    // secure's web is uncovered: an error, so exit 1 under the default --fail-on error.
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        workloads(&report),
        owned(&[
            ("secure", "shop", "web"),
            ("plain", "shop", "api"),
            ("plain", "tools", "runner"),
        ])
    );
    let findings: Vec<(&str, &str, &str)> = report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["rule"] == "NPC001")
        .map(|f| {
            (
                f["cluster"].as_str().unwrap(),
                f["namespace"].as_str().unwrap(),
                f["object"].as_str().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        findings,
        [("secure", "shop", "web"), ("plain", "tools", "runner")]
    );
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .all(|f| f["cluster"].is_string()));
    let namespaces: Vec<(&str, &str)> = report["namespaces"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| (n["cluster"].as_str().unwrap(), n["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        namespaces,
        [("secure", "shop"), ("plain", "shop"), ("plain", "tools")]
    );

    let clusters = report["clusters"].as_array().unwrap();
    assert_eq!(
        statuses(&report),
        [
            ("secure".into(), "ok".into()),
            ("plain".into(), "ok".into())
        ]
    );
    assert_eq!(clusters[0]["server"], fleet.secure.url.as_str());
    assert_eq!(clusters[1]["server"], fleet.plain.url.as_str());
    assert!(fleet.plain.url.starts_with("http://"));
    assert!(clusters.iter().all(|c| c.get("message").is_none()));
    // Each cluster's own counts; the top-level summary is their sum.
    assert_eq!(clusters[0]["summary"]["workloads"], 1);
    assert_eq!(clusters[0]["summary"]["uncoveredWorkloads"], 1);
    assert_eq!(clusters[0]["summary"]["networkPolicies"], 0);
    assert_eq!(clusters[1]["summary"]["workloads"], 2);
    assert_eq!(clusters[1]["summary"]["uncoveredWorkloads"], 1);
    assert_eq!(clusters[1]["summary"]["networkPolicies"], 1);
    assert_eq!(report["summary"]["workloads"], 3);
    assert_eq!(report["summary"]["uncoveredWorkloads"], 2);
    assert_eq!(report["summary"]["networkPolicies"], 1);
    assert_eq!(report["summary"]["namespaces"], 3);
    assert_eq!(report["source"]["type"], "cluster");
    // The --with-cluster field is another thing, and absent.
    assert!(report.get("cluster").is_none());
}

#[test]
fn the_exit_status_is_the_worst_cluster_s() {
    let fleet = Fleet::start();
    let both = ["--context", "secure", "--context", "plain", "-A"];
    // Only shop/api (covered, in plain) is reported with -l app=api: nothing fails.
    let mut args = both.to_vec();
    args.extend(["-l", "app=api"]);
    let (code, report, _) = fleet.report(&args);
    assert_eq!(workloads(&report), owned(&[("plain", "shop", "api")]));
    assert_eq!(code, 0);
    // tools/runner (plain) alone is uncovered: that cluster makes the status 1.
    let mut args = both.to_vec();
    args.extend(["-l", "app in (api,runner)"]);
    let (code, report, _) = fleet.report(&args);
    assert_eq!(report["clusters"][0]["summary"]["uncoveredWorkloads"], 0);
    assert_eq!(code, 1);
    let mut args = both.to_vec();
    args.extend(["--fail-on", "never"]);
    assert_eq!(fleet.report(&args).0, 0);
}

#[test]
fn the_table_is_grouped_by_cluster_each_as_on_its_own() {
    let fleet = Fleet::start();
    let out = fleet.run(&["--context", "secure", "--context", "plain", "-A"]);
    assert_eq!(out.status.code(), Some(1));
    let table = text(&out.stdout);
    let secure_heading = format!("==> context secure ({}) <==\n", fleet.secure.url);
    let plain_heading = format!("==> context plain ({}) <==\n", fleet.plain.url);
    assert!(table.starts_with(&secure_heading), "{table}");
    let at = table.find(&plain_heading).expect(&table);
    let alone = |context: &str| {
        let out = fleet.run(&["--context", context, "-A"]);
        text(&out.stdout)
    };
    // Under each heading, that cluster's table as a run of that context alone prints it.
    assert_eq!(
        &table[secure_heading.len()..at],
        format!("{}\n", alone("secure"))
    );
    let rest = &table[at + plain_heading.len()..];
    let plain_alone = alone("plain");
    assert!(rest.starts_with(&plain_alone), "{rest}");
    assert_eq!(
        &rest[plain_alone.len()..],
        "\nFleet: 2 contexts, 2 checked\n"
    );
    assert!(alone("secure").contains("web"));
    assert!(plain_alone.contains("runner") && !plain_alone.contains("web"));
}

#[test]
fn an_unreachable_cluster_is_reported_and_the_others_go_on() {
    let fleet = Fleet::start();
    let args = [
        "--context",
        "secure",
        "--context",
        "down",
        "--context",
        "plain",
        "-A",
    ];
    let (code, report, stderr) = fleet.report(&args);
    // A cluster that could not be checked is the worst outcome: the run could not be done
    // whole.
    assert_eq!(code, 2);
    let port = fleet.down_port;
    assert_eq!(
        stderr,
        format!(
            "error: context \"down\" (https://127.0.0.1:{port}): the connection to the server \
             127.0.0.1:{port} was refused\n"
        )
    );
    assert_eq!(
        statuses(&report),
        [
            ("secure".into(), "ok".into()),
            ("down".into(), "unreachable".into()),
            ("plain".into(), "ok".into())
        ]
    );
    let down = &report["clusters"][1];
    assert_eq!(down["server"], format!("https://127.0.0.1:{port}"));
    assert_eq!(
        down["message"],
        format!("the connection to the server 127.0.0.1:{port} was refused")
    );
    assert!(down.get("summary").is_none());
    assert_eq!(
        workloads(&report),
        owned(&[
            ("secure", "shop", "web"),
            ("plain", "shop", "api"),
            ("plain", "tools", "runner"),
        ])
    );

    let out = fleet.run(&args);
    assert_eq!(out.status.code(), Some(2));
    let table = text(&out.stdout);
    assert!(
        table.contains(&format!(
            "==> context down (https://127.0.0.1:{port}) <==\nunreachable: the connection to \
             the server 127.0.0.1:{port} was refused\n"
        )),
        "{table}"
    );
    assert!(table.ends_with("\nFleet: 3 contexts, 2 checked; down: unreachable\n"));
}

#[test]
fn when_every_cluster_fails_the_status_is_2_and_each_says_why() {
    let fleet = Fleet::start();
    let (code, report, stderr) = fleet.report(&[
        "--context",
        "down",
        "--context",
        "intruder",
        "--context",
        "nowhere",
        "-A",
    ]);
    assert_eq!(code, 2);
    assert_eq!(
        statuses(&report),
        [
            ("down".into(), "unreachable".into()),
            ("intruder".into(), "forbidden".into()),
            ("nowhere".into(), "error".into())
        ]
    );
    assert_eq!(report["clusters"][1]["server"], fleet.secure.url.as_str());
    assert!(report["clusters"][1]["message"]
        .as_str()
        .unwrap()
        .starts_with("Unauthorized"));
    assert_eq!(
        report["clusters"][2]["message"],
        "context \"nowhere\" does not exist"
    );
    assert_eq!(report["workloads"], json!([]));
    // One line per cluster, in whatever order they failed.
    assert_eq!(stderr.lines().count(), 3, "{stderr}");
    assert!(stderr.lines().all(|l| l.starts_with("error: context ")));
    assert!(stderr.contains("error: context \"nowhere\" does not exist\n"));
}

#[test]
fn all_contexts_checks_every_context_of_the_kubeconfig() {
    let fleet = Fleet::start();
    let (code, report, _) = report_with(&fleet.healthy, &["--all-contexts", "-A"]);
    assert_eq!(code, 1);
    assert_eq!(
        statuses(&report),
        [
            ("secure".into(), "ok".into()),
            ("plain".into(), "ok".into())
        ]
    );
    assert_eq!(
        workloads(&report),
        owned(&[
            ("secure", "shop", "web"),
            ("plain", "shop", "api"),
            ("plain", "tools", "runner"),
        ])
    );
    // -n: that namespace in every cluster.
    let (_, report, _) = report_with(&fleet.healthy, &["--all-contexts", "-n", "shop"]);
    assert_eq!(
        workloads(&report),
        owned(&[("secure", "shop", "web"), ("plain", "shop", "api")])
    );
    let (_, report, _) = report_with(&fleet.healthy, &["--all-contexts", "-n", "tools"]);
    assert_eq!(
        statuses(&report),
        [
            ("secure".into(), "error".into()),
            ("plain".into(), "ok".into())
        ]
    );
    assert_eq!(
        report["clusters"][0]["message"],
        "namespace \"tools\" not found"
    );
    // Neither: each context's namespace (shop in both kubeconfig contexts).
    let (_, report, _) = report_with(&fleet.healthy, &["--all-contexts"]);
    assert_eq!(
        workloads(&report),
        owned(&[("secure", "shop", "web"), ("plain", "shop", "api")])
    );
    // The unreachable and refused contexts are in the full kubeconfig.
    let (code, report, _) = fleet.report(&["--all-contexts", "-A"]);
    assert_eq!(code, 2);
    assert_eq!(
        statuses(&report),
        [
            ("secure".into(), "ok".into()),
            ("plain".into(), "ok".into()),
            ("down".into(), "unreachable".into()),
            ("intruder".into(), "forbidden".into())
        ]
    );
}

#[test]
fn one_context_prints_what_it_always_did() {
    let fleet = Fleet::start();
    for args in [
        &["--context", "secure", "-A"][..],
        &["-A"],
        &["--context", "plain"],
    ] {
        let (_, report, _) = fleet.report(args);
        let keys: std::collections::BTreeSet<&str> = report
            .as_object()
            .unwrap()
            .keys()
            .map(String::as_str)
            .collect();
        let before = [
            "apiVersion",
            "kind",
            "source",
            "summary",
            "namespaces",
            "workloads",
            "findings",
            "suppressed",
            "generated",
            "notes",
            // Every report names what wrote it (issue 19), fleet or not.
            "generator",
        ];
        assert_eq!(keys, before.into_iter().collect(), "{args:?}");
        assert!(report["source"]["context"].is_string());
        let entries = ["namespaces", "workloads", "findings"]
            .iter()
            .flat_map(|list| report[list].as_array().unwrap().iter());
        for entry in entries {
            assert!(entry.get("cluster").is_none(), "{entry}");
        }
        let out = fleet.run(args);
        let table = text(&out.stdout);
        assert!(
            !table.contains("==>") && !table.contains("Fleet:"),
            "{table}"
        );
    }
    // The same context twice is one cluster, checked once, but still a fleet run.
    let (_, report, _) = fleet.report(&["--context", "plain", "--context", "plain"]);
    assert_eq!(statuses(&report), [("plain".into(), "ok".into())]);
}

#[test]
fn sarif_results_carry_their_cluster() {
    let fleet = Fleet::start();
    let out = fleet.run(&[
        "--context",
        "secure",
        "--context",
        "plain",
        "-A",
        "-o",
        "sarif",
    ]);
    assert_eq!(out.status.code(), Some(1));
    let log: Value = serde_json::from_slice(&out.stdout).unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let uncovered: Vec<(&str, &str)> = results
        .iter()
        .filter(|r| r["ruleId"] == "NPC001")
        .map(|r| {
            (
                r["properties"]["cluster"].as_str().unwrap(),
                r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
                    .as_str()
                    .unwrap(),
            )
        })
        .collect();
    assert_eq!(
        uncovered,
        [
            ("secure", "cluster/secure/shop/Pod/web.yaml"),
            ("plain", "cluster/plain/tools/Pod/runner.yaml")
        ]
    );
    assert!(results
        .iter()
        .all(|r| r["properties"]["cluster"].is_string()));
}

#[test]
fn the_other_commands_refuse_several_clusters_in_one_line() {
    let fleet = Fleet::start();
    for args in [
        &[
            "explain",
            "pod/web",
            "--context",
            "secure",
            "--context",
            "plain",
        ][..],
        &["reach", "pod/web", "pod/api", "--all-contexts"],
        &["matrix", "--all-contexts"],
        &["generate", "-f", "-", "--context", "a", "--context", "b"],
        &["diff", "--base-cluster", "-f", "-", "--all-contexts"],
    ] {
        // The subcommand first, then its flags.
        let mut args = args.to_vec();
        let kubeconfig = fleet.kubeconfig.to_str().unwrap();
        args.extend(["--kubeconfig", kubeconfig]);
        let out = Command::new(BINARY).args(&args).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = text(&out.stderr);
        assert_eq!(err.lines().count(), 1, "{args:?}: {err}");
        assert!(err.starts_with("error: several clusters") && err.contains("the check only"));
        assert!(out.stdout.is_empty());
    }
    let out = fleet.run(&["-f", "-", "--context", "secure", "--context", "plain"]);
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(text(&out.stderr).lines().count(), 1);
    let out = fleet.run(&["--context", "secure", "--all-contexts"]);
    assert_eq!(out.status.code(), Some(2), "the two ways do not mix");
}
