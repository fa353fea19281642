//! `--with-cluster` without Helm: manifests judged in the cluster they go into (issue 18),
//! against the test API server holding the platform team's policies (tests/platform).

mod apiserver;
mod platform;

use platform::{deny_all, fixture, helm_owned, podinfo, release_pods, run_with, text, Cluster};
use serde_json::{json, Value};

fn report_of(path: &std::path::Path) -> Value {
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn secured_namespace_passes_and_says_the_isolation_was_already_in_the_cluster() {
    let c = Cluster::start(fixture([]));
    let report = c.dir.path().join("report.json");
    let input = podinfo("podinfo", false);
    let args = [
        "post-render",
        "-n",
        "apps",
        "--with-cluster",
        "--report-file",
        report.to_str().unwrap(),
        "-o",
        "json",
    ];
    let out = c.run(&args, &input);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert_eq!(text(&out.stdout), input, "the chart goes out unchanged");
    assert!(
        err.contains(
            "Deployment apps/podinfo: ingress isolated by NetworkPolicy apps/default-deny-all, \
             already in the cluster; egress isolated by NetworkPolicy apps/"
        ) && err.contains(", already in the cluster.\n"),
        "{err}"
    );
    let r = report_of(&report);
    let from: Vec<&str> = r["cluster"]["fromCluster"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert_eq!(from, ["allow-dns", "default-deny-all"]);
    assert_eq!(r["cluster"]["namespaces"], serde_json::json!(["apps"]));
    assert_eq!(r["workloads"][0]["ingress"]["isolated"], true);
    assert_eq!(r["summary"]["uncoveredWorkloads"], 0);
    assert!(c.only_reads());

    // Without the cluster the same chart fails, as before.
    let out = run_with(&["post-render", "-n", "apps"], &input, &[]);
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn unsecured_namespace_fails_and_says_the_new_workload_is_not_covered() {
    let c = Cluster::start(fixture([]));
    let out = c.run(
        &["post-render", "-n", "open", "--with-cluster"],
        &podinfo("podinfo", false),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(err.contains("NPC001"), "{err}");
    assert!(
        err.contains("Deployment open/podinfo: ingress NOT isolated; egress NOT isolated."),
        "{err}"
    );
    assert!(err.contains("1 new workload not covered"), "{err}");
}

/// Release podinfo was installed in `open` with its own isolating policy; its pods run.
fn installed_release() -> Cluster {
    let mut extra = vec![helm_owned(
        deny_all("open", "podinfo-isolate"),
        "podinfo",
        "open",
    )];
    extra.extend(release_pods("open", "podinfo", "podinfo"));
    Cluster::start(fixture(extra))
}

#[test]
fn an_upgrade_that_drops_the_releases_policy_is_refused_saying_what_opened() {
    let c = installed_release();
    // The same chart with its policy: an upgrade that changes nothing passes.
    let out = c.run(
        &["post-render", "-n", "open", "--with-cluster"],
        &podinfo("podinfo", true),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    // Without it (the release named by the chart's instance label, or by --release).
    for extra in [&[][..], &["--release", "podinfo"]] {
        let mut args = vec!["post-render", "-n", "open", "--with-cluster"];
        args.extend(extra);
        let out = c.run(&args, &podinfo("podinfo", false));
        let err = text(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{extra:?}: {err}");
        assert!(
            err.contains(
                "NetworkPolicy open/podinfo-isolate: removed by this change (release podinfo"
            ),
            "{err}"
        );
        assert!(err.contains("lose isolation"), "{err}");
        assert!(err.contains("Deployment open/podinfo"), "{err}");
    }
    // Another release's objects are not this render's to remove.
    let out = c.run(
        &[
            "post-render",
            "-n",
            "open",
            "--with-cluster",
            "--release",
            "other",
            "--fail-on",
            "never",
        ],
        &podinfo("podinfo", false),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(!err.contains("removed by this change"), "{err}");
}

#[test]
fn fail_on_change_never_lets_the_upgrade_through_and_opened_is_stricter() {
    let c = installed_release();
    let args = [
        "post-render",
        "-n",
        "open",
        "--with-cluster",
        "--fail-on",
        "never",
    ];
    let out = c.run(&args, &podinfo("podinfo", false));
    assert_eq!(out.status.code(), Some(1), "uncovered is the default");
    let mut never = args.to_vec();
    never.extend(["--fail-on-change", "never"]);
    let out = c.run(&never, &podinfo("podinfo", false));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn findings_on_objects_already_in_the_cluster_do_not_fail_the_chart() {
    // A workload of someone else, uncovered in `open`; the chart brings its own isolation.
    let c = Cluster::start(fixture(release_pods("open", "legacy", "legacy")));
    let r = c.dir.path().join("r.json");
    let out = c.run(
        &[
            "post-render",
            "-n",
            "open",
            "--with-cluster",
            "--release",
            "podinfo",
            "--report-file",
            r.to_str().unwrap(),
            "-o",
            "json",
        ],
        &podinfo("podinfo", true),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let report = report_of(&r);
    // Reported all the same.
    assert!(report["findings"]
        .as_array()
        .unwrap()
        .iter()
        .any(|f| f["rule"] == "NPC001" && f["object"] == "legacy"));
}

#[test]
fn the_default_check_with_f_judges_the_cluster_after_the_change() {
    let c = Cluster::start(fixture([]));
    let dir = c.dir.path();
    std::fs::write(dir.join("app.yaml"), podinfo("podinfo", false)).unwrap();
    let file = dir.join("app.yaml");
    let file = file.to_str().unwrap();
    let out = c.run(
        &["-f", file, "-n", "apps", "--with-cluster", "-o", "json"],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["cluster"]["changes"]["kind"], "ConnectivityDiff");
    assert_eq!(report["cluster"]["context"], "test");
    let out = c.run(&["-f", file, "-n", "open", "--with-cluster"], "");
    assert_eq!(out.status.code(), Some(1));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("Compared with the cluster now:"),
        "{stdout}"
    );
    // Without --with-cluster, manifests alone.
    let out = c.run(&["-f", file, "-n", "apps"], "");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn generation_adds_nothing_where_the_cluster_isolates_and_release_named_labelled_policies_elsewhere(
) {
    let c = Cluster::start(fixture([]));
    let args = |ns| {
        vec![
            "post-render",
            "-n",
            ns,
            "--with-cluster",
            "--emit-default-deny",
            "-o",
            "json",
        ]
    };
    let out = c.run(&args("apps"), &podinfo("podinfo", false));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(
        text(&out.stdout),
        podinfo("podinfo", false),
        "nothing generated"
    );

    let out = c.run(&args("open"), &podinfo("podinfo", false));
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("name: podinfo-default-deny-all\n"),
        "{stdout}"
    );
    assert!(stdout.contains("name: podinfo-allow-dns\n"), "{stdout}");
    assert!(
        stdout.contains("netpol-check.io/generated: 'true'"),
        "{stdout}"
    );
    assert!(
        stdout.contains("app.kubernetes.io/instance: podinfo"),
        "{stdout}"
    );
}

#[test]
fn generated_names_never_take_an_existing_objects_name() {
    // Someone else's policy already has the name the release would generate; it selects nothing.
    let taken = apiserver::network_policy(
        "open",
        "podinfo-default-deny-all",
        serde_json::json!({"podSelector": {"matchLabels": {"app": "nothing"}}, "policyTypes": ["Ingress"]}),
    );
    let c = Cluster::start(fixture([taken]));
    let out = c.run(
        &[
            "post-render",
            "-n",
            "open",
            "--with-cluster",
            "--emit-default-deny",
        ],
        &podinfo("podinfo", false),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let stdout = text(&out.stdout);
    assert!(
        stdout.contains("name: podinfo-default-deny-all-generated\n"),
        "{stdout}"
    );
}

#[test]
fn two_releases_in_one_namespace_generate_distinct_names_and_the_second_reuses_the_firsts_isolation(
) {
    // Without the cluster: each release names its own.
    let a = run_with(
        &["post-render", "-n", "open", "--emit-default-deny"],
        &podinfo("a", false),
        &[],
    );
    let b = run_with(
        &["post-render", "-n", "open", "--emit-default-deny"],
        &podinfo("b", false),
        &[],
    );
    assert!(text(&a.stdout).contains("name: a-default-deny-all\n"));
    assert!(text(&b.stdout).contains("name: b-default-deny-all\n"));
    // Release a installed with its generated policies: b needs none of its own.
    let mut extra = vec![helm_owned(
        deny_all("open", "a-default-deny-all"),
        "a",
        "open",
    )];
    extra.extend(release_pods("open", "a", "a"));
    let c = Cluster::start(fixture(extra));
    let out = c.run(
        &[
            "post-render",
            "-n",
            "open",
            "--with-cluster",
            "--emit-default-deny",
        ],
        &podinfo("b", false),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), podinfo("b", false));
    // And an upgrade of a keeps its generated policy under the same name.
    let out = c.run(
        &[
            "post-render",
            "-n",
            "open",
            "--with-cluster",
            "--emit-default-deny",
        ],
        &podinfo("a", false),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("name: a-default-deny-all\n"),
        "{}",
        text(&out.stdout)
    );
}

#[test]
fn helm_environment_names_the_namespace_and_the_context() {
    let c = Cluster::start(fixture([]));
    let kubeconfig = c.kubeconfig.to_str().unwrap();
    let input = podinfo("podinfo", false);
    let env = [
        ("KUBECONFIG", kubeconfig),
        ("HELM_NAMESPACE", "apps"),
        ("HELM_KUBECONTEXT", "test"),
    ];
    let out = run_with(&["post-render", "--with-cluster"], &input, &env);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let env = [
        ("KUBECONFIG", kubeconfig),
        ("HELM_NAMESPACE", "apps"),
        ("HELM_KUBECONTEXT", "elsewhere"),
    ];
    let out = run_with(&["post-render", "--with-cluster"], &input, &env);
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("context \"elsewhere\" does not exist"),
        "{}",
        text(&out.stderr)
    );
    // --context wins over Helm's.
    let out = run_with(
        &["post-render", "--with-cluster", "--context", "test"],
        &input,
        &env,
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
}

#[test]
fn an_unreachable_cluster_is_one_line_and_exit_2_unless_optional() {
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    apiserver::write_unreachable_kubeconfig(&kubeconfig, "prod");
    let env = [("KUBECONFIG", kubeconfig.to_str().unwrap())];
    let input = podinfo("podinfo", false);
    let out = run_with(
        &["post-render", "-n", "apps", "--with-cluster"],
        &input,
        &env,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: context \"prod\""), "{err}");
    assert!(out.stdout.is_empty(), "nothing goes to Helm on an error");

    let out = run_with(
        &["post-render", "-n", "apps", "--with-cluster=optional"],
        &input,
        &env,
    );
    let err = text(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(1),
        "the verdict without the cluster: {err}"
    );
    assert!(
        err.contains("warning: --with-cluster=optional: went on without the cluster"),
        "{err}"
    );
    assert_eq!(text(&out.stdout), input);

    for args in [
        &["-f", "-", "-n", "apps", "--with-cluster"][..],
        &["generate", "-f", "-", "-n", "apps", "--with-cluster"],
    ] {
        let out = run_with(args, &input, &env);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        assert_eq!(
            text(&out.stderr).lines().count(),
            1,
            "{}",
            text(&out.stderr)
        );
    }
}

#[test]
fn forbidden_policies_and_an_unknown_context_are_one_line_errors() {
    use apiserver::{ApiServer, Forbid, Options};
    let server = ApiServer::start(
        fixture([]),
        Options {
            forbidden: vec![Forbid::everywhere("networkpolicies")],
            ..Options::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let kubeconfig = dir.path().join("kubeconfig");
    server.write_kubeconfig(&kubeconfig, "test", None);
    let env = [("KUBECONFIG", kubeconfig.to_str().unwrap())];
    let input = podinfo("podinfo", false);
    let out = run_with(
        &["post-render", "-n", "apps", "--with-cluster"],
        &input,
        &env,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.contains("networkpolicies"), "{err}");
    let out = run_with(
        &[
            "post-render",
            "-n",
            "apps",
            "--with-cluster",
            "--context",
            "nope",
        ],
        &input,
        &env,
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("context \"nope\" does not exist"));

    // Controllers read only for their Helm owner: refused, the run goes on and says so.
    let server = ApiServer::start(
        fixture([]),
        Options {
            forbidden: vec![Forbid::everywhere("deployments")],
            ..Options::default()
        },
    );
    server.write_kubeconfig(&kubeconfig, "test", None);
    let out = run_with(
        &["post-render", "-n", "apps", "--with-cluster"],
        &input,
        &env,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("note: deployments could not be listed (")
            && err.contains("stay in the cluster after the change"),
        "{err}"
    );
}

#[test]
fn a_namespace_the_chart_creates_is_read_as_empty() {
    let c = Cluster::start(fixture([]));
    let out = c.run(
        &[
            "post-render",
            "-n",
            "fresh",
            "--with-cluster",
            "--emit-default-deny",
        ],
        &podinfo("podinfo", false),
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("podinfo-default-deny-all"));
}

#[test]
fn explain_reach_matrix_generate_and_diff_take_the_cluster_into_account() {
    let c = Cluster::start(fixture([]));
    let dir = c.dir.path();
    std::fs::write(dir.join("app.yaml"), podinfo("podinfo", false)).unwrap();
    let file = dir.join("app.yaml");
    let file = file.to_str().unwrap();
    // Egress to the internet: open with manifests alone, denied in `apps`.
    let reach = [
        "reach",
        "deploy/podinfo",
        "203.0.113.9",
        "--port",
        "443",
        "-n",
        "apps",
        "-f",
        file,
    ];
    assert_eq!(c.run(&reach, "").status.code(), Some(0));
    let mut with = reach.to_vec();
    with.push("--with-cluster");
    let out = c.run(&with, "");
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));

    let out = c.run(
        &[
            "explain",
            "deploy/podinfo",
            "-n",
            "apps",
            "-f",
            file,
            "--with-cluster",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("default-deny-all"),
        "{}",
        text(&out.stdout)
    );

    let out = c.run(
        &[
            "matrix",
            "-n",
            "apps",
            "-f",
            file,
            "--with-cluster",
            "-o",
            "json",
        ],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));

    let out = c.run(
        &["generate", "-f", file, "-n", "apps", "--with-cluster"],
        "",
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert_eq!(text(&out.stdout), "", "the cluster isolates apps already");
    let out = c.run(
        &["generate", "-f", file, "-n", "open", "--with-cluster"],
        "",
    );
    assert!(
        text(&out.stdout).contains("name: podinfo-default-deny-all"),
        "{}",
        text(&out.stdout)
    );

    // diff: both sides in the cluster; the base ships the release's isolation, the head not.
    std::fs::write(dir.join("old.yaml"), podinfo("podinfo", true)).unwrap();
    let old = dir.join("old.yaml");
    let diff = [
        "diff",
        "--base",
        old.to_str().unwrap(),
        "-f",
        file,
        "-n",
        "apps",
    ];
    let out = c.run(&diff, "");
    assert_eq!(
        out.status.code(),
        Some(1),
        "alone, the head loses isolation: {}",
        text(&out.stdout)
    );
    let mut with = diff.to_vec();
    with.push("--with-cluster");
    let out = c.run(&with, "");
    assert_eq!(
        out.status.code(),
        Some(0),
        "the platform's policies still isolate: {}",
        text(&out.stdout)
    );
}

#[test]
fn without_a_namespace_the_contexts_namespace_is_the_releases() {
    let c = Cluster::start(fixture([]));
    let kubeconfig = c.dir.path().join("apps-kubeconfig");
    c.server.write_kubeconfig(&kubeconfig, "test", Some("apps"));
    let env = [("KUBECONFIG", kubeconfig.to_str().unwrap())];
    let out = run_with(
        &["post-render", "--with-cluster"],
        &podinfo("podinfo", false),
        &env,
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    assert!(
        err.contains("Deployment apps/podinfo: ingress isolated"),
        "{err}"
    );
}

#[test]
fn diff_with_base_cluster_and_with_cluster_is_a_usage_error() {
    let c = Cluster::start(fixture([]));
    let out = c.run(
        &["diff", "--base-cluster", "-f", "-", "--with-cluster"],
        &podinfo("podinfo", false),
    );
    assert_eq!(out.status.code(), Some(2));
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        err.contains("--base-cluster already applies -f over the cluster"),
        "{err}"
    );
}

/// A release's cluster-scoped and Calico policies are its objects too: an upgrade whose render
/// no longer has them removes them, as `helm upgrade` deletes them.
#[test]
fn an_upgrade_removes_the_releases_cluster_scoped_and_calico_policies_too() {
    let anp = serde_json::json!({
        "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
        "metadata": {"name": "podinfo-deny"},
        "spec": {"priority": 10,
                 "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "open"}}},
                 "ingress": [{"name": "deny-all", "action": "Deny", "from": [{"namespaces": {}}]}]}});
    let other = serde_json::json!({
        "apiVersion": "policy.networking.k8s.io/v1alpha1", "kind": "AdminNetworkPolicy",
        "metadata": {"name": "platform-deny"},
        "spec": {"priority": 20,
                 "subject": {"namespaces": {"matchLabels": {"kubernetes.io/metadata.name": "apps"}}},
                 "ingress": [{"name": "deny-all", "action": "Deny", "from": [{"namespaces": {}}]}]}});
    let gnp = serde_json::json!({
        "apiVersion": "projectcalico.org/v3", "kind": "GlobalNetworkPolicy",
        "metadata": {"name": "podinfo-egress"},
        "spec": {"selector": "app.kubernetes.io/instance == 'podinfo'", "types": ["Egress"]}});
    let mut extra = vec![
        helm_owned(anp, "podinfo", "open"),
        helm_owned(other, "platform", "kube-system"),
        helm_owned(gnp, "podinfo", "open"),
    ];
    extra.extend(release_pods("open", "podinfo", "podinfo"));
    let c = Cluster::start_with(
        fixture(extra),
        apiserver::Options {
            policy_api_versions: vec!["v1alpha1"],
            other_policy_apis: vec!["projectcalico.org/v3"],
            ..Default::default()
        },
    );
    let report = c.dir.path().join("report.json");
    let out = c.run(
        &[
            "post-render",
            "-n",
            "open",
            "--with-cluster",
            "--release",
            "podinfo",
            "--fail-on-change",
            "never",
            "--fail-on",
            "never",
            "--report-file",
            report.to_str().unwrap(),
            "-o",
            "json",
        ],
        &podinfo("podinfo", false),
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{err}");
    let r = report_of(&report);
    let removed: Vec<(&str, &str)> = r["cluster"]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| (o["kind"].as_str().unwrap(), o["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        removed,
        [
            ("AdminNetworkPolicy", "podinfo-deny"),
            ("GlobalNetworkPolicy", "podinfo-egress")
        ],
        "{err}"
    );
    assert!(
        err.contains("AdminNetworkPolicy podinfo-deny: removed by this change (release podinfo"),
        "{err}"
    );
    // The platform's policy belongs to another release: it stays; the release's are gone
    // from the cluster after the change.
    assert!(!err.contains("platform-deny: removed"), "{err}");
    let kept: Vec<&str> = r["cluster"]["fromCluster"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["name"].as_str().unwrap())
        .collect();
    assert!(kept.contains(&"platform-deny"), "{kept:?}");
    assert!(
        !kept.contains(&"podinfo-deny") && !kept.contains(&"podinfo-egress"),
        "{kept:?}"
    );
}

/// A release's workloads are its objects too: an upgrade whose render no longer has one
/// removes it. Their pods carry no Helm annotations; the controllers that own them do.
#[test]
fn an_upgrade_removes_the_releases_dropped_workloads_and_keeps_other_releases() {
    let controller = |kind: &str, name: &str, release: &str| {
        let api = if kind == "CronJob" {
            "batch/v1"
        } else {
            "apps/v1"
        };
        helm_owned(
            json!({"apiVersion": api, "kind": kind,
                   "metadata": {"name": name, "namespace": "open"}}),
            release,
            "open",
        )
    };
    let isolate = apiserver::network_policy(
        "open",
        "podinfo-isolate",
        json!({"podSelector": {"matchLabels": {"app.kubernetes.io/instance": "podinfo"}},
               "policyTypes": ["Ingress", "Egress"]}),
    );
    let mut extra = vec![
        helm_owned(isolate, "podinfo", "open"),
        controller("Deployment", "podinfo", "podinfo"),
        controller("Deployment", "legacy", "podinfo"),
        controller("StatefulSet", "cache", "podinfo"),
        controller("Deployment", "other", "other"),
    ];
    extra.extend(release_pods("open", "podinfo", "podinfo"));
    extra.extend(release_pods("open", "legacy", "podinfo"));
    extra.extend(release_pods("open", "other", "other"));
    let mut cache = apiserver::pod("open", "cache-0", &[("app", "cache")]);
    cache["metadata"]["ownerReferences"] = json!([{"apiVersion": "apps/v1",
        "kind": "StatefulSet", "name": "cache", "controller": true, "uid": "u3"}]);
    extra.push(cache);
    let c = Cluster::start(fixture(extra));
    let report = c.dir.path().join("report.json");
    let args = [
        "post-render",
        "-n",
        "open",
        "--with-cluster",
        "--report-file",
        report.to_str().unwrap(),
        "-o",
        "json",
    ];
    let out = c.run(&args, &podinfo("podinfo", true));
    let err = text(&out.stderr);
    // Release other's Deployment is open, but it was already: not this chart's to fail.
    assert_eq!(out.status.code(), Some(0), "{err}");
    for gone in ["Deployment open/legacy", "StatefulSet open/cache"] {
        assert!(
            err.contains(&format!("{gone}: removed by this change (release podinfo")),
            "{err}"
        );
    }
    assert!(!err.contains("open/other: removed"), "{err}");
    let r = report_of(&report);
    let mut names: Vec<&str> = r["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|w| w["namespace"] == "open")
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    names.sort_unstable();
    assert_eq!(names, ["other", "podinfo"]);
    let removed: Vec<String> = r["cluster"]["removed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| {
            format!(
                "{}/{}",
                o["kind"].as_str().unwrap(),
                o["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(removed, ["Deployment/legacy", "StatefulSet/cache"]);
    assert!(c.only_reads());
}
