//! `--host-network=node|pod` (SEMANTICS.md point 5) on tests/fixtures/connectivity/host-network.yaml,
//! in every command that evaluates traffic. Expected values worked out by hand from the
//! fixture's comment: in the node model agent is never isolated and no podSelector matches it;
//! in the pod model it is a pod like the others.

mod common;

use common::*;
use serde_json::Value;

const FIXTURE: &str = "tests/fixtures/connectivity/host-network.yaml";

fn connlist(model: &str) -> Vec<String> {
    let r = run(&[
        "matrix",
        "-f",
        FIXTURE,
        "-o",
        "connlist",
        &format!("--host-network={model}"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    r.stdout.lines().map(str::to_owned).collect()
}

#[test]
fn matrix_node_model_no_selector_matches_the_host_network_pod() {
    let got = connlist("node");
    let want = [
        "0.0.0.0-9.255.255.255[External] => demo/agent[Pod] : All Connections",
        "0.0.0.0-9.255.255.255[External] => demo/client[Pod] : All Connections",
        "10.0.0.0-10.255.255.255[External] => demo/agent[Pod] : All Connections",
        "10.0.0.0-10.255.255.255[External] => demo/client[Pod] : All Connections",
        "10.0.0.0-10.255.255.255[External] => demo/db[Pod] : TCP 5432",
        "11.0.0.0-255.255.255.255[External] => demo/agent[Pod] : All Connections",
        "11.0.0.0-255.255.255.255[External] => demo/client[Pod] : All Connections",
        "demo/agent[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "demo/agent[Pod] => demo/client[Pod] : All Connections",
        "demo/db[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "demo/db[Pod] => demo/agent[Pod] : All Connections",
        "demo/db[Pod] => demo/client[Pod] : All Connections",
        "demo/web[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "demo/web[Pod] => demo/agent[Pod] : All Connections",
        "demo/web[Pod] => demo/client[Pod] : All Connections",
    ];
    assert_eq!(got, want);
    // The old reading let agent in through web's podSelector.
    assert!(!got
        .iter()
        .any(|l| l.starts_with("demo/agent[Pod] => demo/web")));
    let r = run(&["matrix", "-f", FIXTURE, "-o", "connlist"]);
    assert_eq!(
        r.stdout.lines().collect::<Vec<_>>(),
        want,
        "node is the default"
    );
    assert!(
        r.stderr
            .contains("note: hostNetwork workloads (demo/agent)"),
        "{}",
        r.stderr
    );
}

#[test]
fn matrix_pod_model_treats_the_host_network_pod_like_any_pod() {
    let got = connlist("pod");
    let want = [
        "0.0.0.0-9.255.255.255[External] => demo/client[Pod] : All Connections",
        "10.0.0.0-10.255.255.255[External] => demo/client[Pod] : All Connections",
        "10.0.0.0-10.255.255.255[External] => demo/db[Pod] : TCP 5432",
        "11.0.0.0-255.255.255.255[External] => demo/client[Pod] : All Connections",
        "demo/agent[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "demo/agent[Pod] => demo/client[Pod] : All Connections",
        "demo/agent[Pod] => demo/web[Pod] : TCP 9090",
        "demo/client[Pod] => demo/agent[Pod] : TCP 9100",
        "demo/db[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "demo/db[Pod] => demo/client[Pod] : All Connections",
        "demo/web[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections",
        "demo/web[Pod] => demo/client[Pod] : All Connections",
    ];
    assert_eq!(got, want);
}

fn reach(args: &[&str]) -> Run {
    let mut all = vec!["reach"];
    all.extend(args);
    all.extend(["-n", "demo", "-f", FIXTURE]);
    run(&all)
}

#[test]
fn reach_follows_the_model_and_says_what_the_node_model_assumes() {
    let node = reach(&["pod/agent", "pod/web", "--port", "9090"]);
    assert_eq!(node.code, 1, "{}", node.stdout);
    assert!(node.stdout.starts_with("DENIED: "), "{}", node.stdout);
    assert!(node.stdout.contains("uses hostNetwork"), "{}", node.stdout);
    assert!(node.stdout.contains("point 11"), "{}", node.stdout);
    let pod = reach(&[
        "pod/agent",
        "pod/web",
        "--port",
        "9090",
        "--host-network=pod",
    ]);
    assert_eq!(pod.code, 0, "{}", pod.stdout);
    assert!(pod.stdout.starts_with("ALLOWED: "), "{}", pod.stdout);
    assert!(!pod.stdout.contains("uses hostNetwork"), "{}", pod.stdout);

    // A hostNetwork destination is not isolated in the node model: web reaches it.
    assert_eq!(reach(&["pod/web", "pod/agent", "--port", "9100"]).code, 0);
    let pod = reach(&[
        "pod/web",
        "pod/agent",
        "--port",
        "9100",
        "--host-network=pod",
    ]);
    assert_eq!(pod.code, 1, "{}", pod.stdout);
    // client's egress names agent by podSelector: only the pod model lets it through.
    assert_eq!(
        reach(&["pod/client", "pod/agent", "--port", "9100"]).code,
        1
    );
    assert_eq!(
        reach(&[
            "pod/client",
            "pod/agent",
            "--port",
            "9100",
            "--host-network=pod"
        ])
        .code,
        0
    );
}

#[test]
fn reach_is_unknown_when_an_ip_block_may_hold_the_node_address() {
    let r = reach(&["pod/agent", "pod/db", "--port", "5432", "-o", "json"]);
    assert_eq!(r.code, 1, "{}", r.stdout);
    let j: Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["verdict"], "unknown");
    assert!(
        j["reason"]
            .as_str()
            .unwrap()
            .contains("demo/db ingress rule 1"),
        "{j:#}"
    );
    assert!(!j["notes"].as_array().unwrap().is_empty());
    // Unknown is not "denied" either.
    assert_eq!(
        reach(&[
            "pod/agent",
            "pod/db",
            "--port",
            "5432",
            "--expect",
            "denied"
        ])
        .code,
        1
    );
    // Another port is denied: the ipBlock rule does not allow it whatever the address.
    let other = reach(&["pod/agent", "pod/db", "--port", "5433"]);
    assert!(other.stdout.starts_with("DENIED: "), "{}", other.stdout);
    // The pod model: ipBlock never matches pods.
    let pod = reach(&[
        "pod/agent",
        "pod/db",
        "--port",
        "5432",
        "--host-network=pod",
        "--expect",
        "denied",
    ]);
    assert_eq!(pod.code, 0, "{}", pod.stdout);
}

#[test]
fn report_isolation_and_findings_follow_the_model() {
    let (_, node) = json(&["-f", FIXTURE]);
    assert_eq!(node["summary"]["hostNetworkModel"], "node");
    assert_eq!(workload(&node, "Pod", "demo", "agent")["hostNetwork"], true);
    assert_eq!(isolation(&node, "Pod", "demo", "agent"), (false, false));
    assert!(has_finding(&node, "NPC002", "Pod", "demo", "agent"));
    assert!(!has_finding(&node, "NPC001", "Pod", "demo", "agent"));

    let (_, pod) = json(&["-f", FIXTURE, "--host-network=pod"]);
    assert_eq!(pod["summary"]["hostNetworkModel"], "pod");
    assert_eq!(workload(&pod, "Pod", "demo", "agent")["hostNetwork"], true);
    assert_eq!(isolation(&pod, "Pod", "demo", "agent"), (true, true));
    assert!(!has_finding(&pod, "NPC002", "Pod", "demo", "agent"));
    // The other workloads do not change with the model.
    for name in ["web", "db", "client"] {
        assert_eq!(
            isolation(&node, "Pod", "demo", name),
            isolation(&pod, "Pod", "demo", name),
            "{name}"
        );
    }
}

#[test]
fn explain_and_generate_take_the_flag() {
    let node = run(&["explain", "pod/agent", "-n", "demo", "-f", FIXTURE]);
    assert_eq!(node.code, 0, "{}", node.stderr);
    assert!(
        node.stdout.contains("selected by NetworkPolicy demo/agent, policyTypes [Ingress, Egress]: no effect on a hostNetwork pod"),
        "{}",
        node.stdout
    );
    assert!(!node.stdout.contains("isolated by NetworkPolicy demo/agent"));
    let pod = run(&[
        "explain",
        "pod/agent",
        "-n",
        "demo",
        "-f",
        FIXTURE,
        "--host-network=pod",
    ]);
    assert!(
        pod.stdout.contains("isolated by NetworkPolicy demo/agent"),
        "{}",
        pod.stdout
    );
    assert!(!pod.stdout.contains("NOT isolated"), "{}", pod.stdout);

    // A lone uncovered hostNetwork pod: the per-workload deny is generated in the pod model
    // only (in the node model no policy can isolate it).
    let yaml = "apiVersion: v1\nkind: Pod\nmetadata: {name: agent, namespace: demo, labels: {app: agent}}\nspec: {hostNetwork: true, containers: [{name: a, image: a}]}\n";
    let gen = |model: &str| {
        run_stdin(
            &[
                "generate",
                "-f",
                "-",
                "--mode",
                "workloads",
                &format!("--host-network={model}"),
            ],
            yaml.as_bytes(),
        )
    };
    let node = gen("node");
    assert_eq!(node.code, 0, "{}", node.stderr);
    assert!(
        !node.stdout.contains("agent-default-deny"),
        "{}",
        node.stdout
    );
    let pod = gen("pod");
    assert!(pod.stdout.contains("agent-default-deny"), "{}", pod.stdout);
}

#[test]
fn a_bad_model_is_a_usage_error() {
    let r = run(&["-f", FIXTURE, "--host-network=bridge"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--host-network"), "{}", r.stderr);
}
