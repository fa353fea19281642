//! `matrix`, `diff` and `explain` with `-o dot|mermaid|svg`, and `matrix --by namespace`.
//!
//! The shop example (examples/shop), worked out by hand from its policies: shop denies all
//! ingress by default; api accepts web on its port `grpc` (TCP 9090) and may only send to db
//! on 5432, which db's default deny refuses; web, db and nightly-report may send anything
//! anywhere their peer accepts. monitoring/node-exporter is hostNetwork, so (point 5) a node:
//! never isolated, matched by no pod selector. So the allowed edges are:
//!
//! - web -> api: TCP 9090
//! - web, db, nightly-report -> node-exporter and -> the outside (0.0.0.0-255.255.255.255): all
//! - node-exporter -> the outside, and the outside -> node-exporter: all
//!
//! and nothing reaches web, db, nightly-report or api from the outside or from the node.

mod common;
mod naive;

use std::collections::{BTreeMap, BTreeSet};

use common::*;

const SHOP: &str = "examples/shop";
const TWO: &str = "tests/fixtures/graph/two-namespaces.yaml";
const WORLD: &str = "0.0.0.0-255.255.255.255[External]";

fn shop_edges() -> BTreeSet<(String, String, String)> {
    let web = "shop/web[Deployment]";
    let api = "shop/api[Deployment]";
    let db = "shop/db[StatefulSet]";
    let report = "shop/nightly-report[CronJob]";
    let node = "monitoring/node-exporter[DaemonSet]";
    let mut edges = vec![
        (web, api, "TCP 9090"),
        (node, WORLD, "all"),
        (WORLD, node, "all"),
    ];
    for w in [web, db, report] {
        edges.push((w, node, "all"));
        edges.push((w, WORLD, "all"));
    }
    edges
        .into_iter()
        .map(|(a, b, c)| (a.to_owned(), b.to_owned(), c.to_owned()))
        .collect()
}

fn ok(args: &[&str]) -> String {
    let r = run(args);
    assert_eq!(r.code, 0, "{args:?}: {}{}", r.stdout, r.stderr);
    r.stdout
}

/// The nodes (id -> label) and edges (from, to, label) of an SVG the program drew.
struct Svg {
    nodes: BTreeMap<String, String>,
    clusters: BTreeSet<String>,
    edges: BTreeSet<(String, String, String)>,
    classes: Vec<String>,
    text: String,
}

fn parse_svg(text: &str) -> Svg {
    let doc = roxmltree::Document::parse(text).expect("well-formed XML");
    assert_eq!(doc.root_element().tag_name().name(), "svg");
    let mut svg = Svg {
        nodes: BTreeMap::new(),
        clusters: BTreeSet::new(),
        edges: BTreeSet::new(),
        classes: Vec::new(),
        text: String::new(),
    };
    let child_text = |n: roxmltree::Node, tag: &str| -> String {
        n.children()
            .find(|c| c.tag_name().name() == tag)
            .and_then(|c| c.text())
            .unwrap_or("")
            .to_owned()
    };
    for n in doc.descendants() {
        if let Some(t) = n.text() {
            svg.text.push_str(t);
            svg.text.push('\n');
        }
        if n.tag_name().name() != "g" {
            continue;
        }
        let class = n.attribute("class").unwrap_or("");
        if class.starts_with("node ") {
            svg.nodes
                .insert(child_text(n, "title"), child_text(n, "text"));
        } else if class == "cluster" {
            svg.clusters.insert(child_text(n, "text"));
        } else if let Some(c) = class.strip_prefix("edge ") {
            svg.edges.insert((
                n.attribute("data-from").unwrap().to_owned(),
                n.attribute("data-to").unwrap().to_owned(),
                child_text(n, "text"),
            ));
            svg.classes.push(c.to_owned());
        }
    }
    svg
}

#[test]
fn svg_of_the_shop_matrix_has_its_namespaces_workloads_and_edges() {
    let svg = parse_svg(&ok(&["matrix", "-f", SHOP, "-o", "svg"]));
    assert_eq!(svg.edges, shop_edges());
    let ids: BTreeSet<&str> = svg.nodes.keys().map(String::as_str).collect();
    assert_eq!(
        ids,
        BTreeSet::from([
            "monitoring/node-exporter[DaemonSet]",
            "shop/api[Deployment]",
            "shop/db[StatefulSet]",
            "shop/nightly-report[CronJob]",
            "shop/web[Deployment]",
            WORLD,
        ])
    );
    assert_eq!(svg.nodes["shop/web[Deployment]"], "web [Deployment]");
    assert_eq!(
        svg.clusters,
        BTreeSet::from(["monitoring".to_owned(), "shop".to_owned()])
    );
    assert!(svg.text.contains("allowed (dark grey, solid)"), "legend");
}

#[test]
fn dot_of_the_shop_matrix_parses_with_clusters_nodes_and_edges() {
    use dot_parser::{ast, canonical};
    let text = ok(&["matrix", "-f", SHOP, "-o", "dot"]);
    let tree = ast::Graph::try_from(text.as_str()).expect("parses as DOT");
    assert!(tree.is_digraph);
    // The namespaces are cluster subgraphs holding their workloads.
    let mut clusters: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for stmt in &tree.stmts.stmts {
        if let ast::Stmt::Subgraph(sub) = stmt {
            let mut label = String::new();
            let mut members = BTreeSet::new();
            for s in &sub.stmts.stmts {
                match s {
                    ast::Stmt::IDEq(k, v) if k == "label" => label = v.clone(),
                    ast::Stmt::NodeStmt(n) => {
                        members.insert(n.node.id.clone());
                    }
                    _ => {}
                }
            }
            assert!(sub.id.as_deref().unwrap().starts_with("cluster_"));
            clusters.insert(label, members);
        }
    }
    assert_eq!(
        clusters,
        BTreeMap::from([
            (
                "\"monitoring\"".to_owned(),
                BTreeSet::from(["\"monitoring/node-exporter[DaemonSet]\"".to_owned()])
            ),
            (
                "\"shop\"".to_owned(),
                [
                    "\"shop/api[Deployment]\"",
                    "\"shop/db[StatefulSet]\"",
                    "\"shop/nightly-report[CronJob]\"",
                    "\"shop/web[Deployment]\""
                ]
                .into_iter()
                .map(str::to_owned)
                .collect()
            ),
        ])
    );
    let graph = canonical::Graph::from(tree);
    let unquote = |s: &str| s.trim_matches('"').to_owned();
    let edges: BTreeSet<(String, String, String)> = graph
        .edges
        .set
        .iter()
        .map(|e| {
            let label = e
                .attr
                .elems
                .iter()
                .find(|(k, _)| k.to_string() == "label")
                .map(|(_, v)| unquote(&v.to_string()))
                .unwrap();
            (unquote(&e.from), unquote(&e.to), label)
        })
        .collect();
    assert_eq!(edges, shop_edges());
    assert_eq!(graph.nodes.set.len(), 6, "{:?}", graph.nodes.set.keys());
}

#[test]
fn mermaid_of_the_shop_matrix_has_subgraphs_nodes_and_edges() {
    let text = ok(&["matrix", "-f", SHOP, "-o", "mermaid"]);
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    assert!(lines.contains(&"flowchart LR"));
    assert!(lines.contains(&"subgraph c0[\"monitoring\"]"), "{text}");
    assert!(lines.contains(&"subgraph c1[\"shop\"]"), "{text}");
    assert_eq!(lines.iter().filter(|l| **l == "end").count(), 2);
    // Nodes: `nI("label")` or `nI(("range"))`.
    let mut nodes: BTreeMap<String, String> = BTreeMap::new();
    for l in &lines {
        if let Some((id, rest)) = l.split_once('(') {
            if id.starts_with('n') && id[1..].chars().all(|c| c.is_ascii_digit()) {
                nodes.insert(id.to_owned(), rest.trim_matches(['(', ')', '"']).to_owned());
            }
        }
    }
    let edges: BTreeSet<(String, String, String)> = lines
        .iter()
        .filter_map(|l| {
            let (from, rest) = l.split_once(" -->|\"")?;
            let (label, to) = rest.split_once("\"| ")?;
            Some((nodes[from].clone(), nodes[to].clone(), label.to_owned()))
        })
        .collect();
    let expected: BTreeSet<(String, String, String)> = shop_edges()
        .into_iter()
        .map(|(a, b, c)| {
            // Labels: `name #91;Kind#93;` (Mermaid's codes for brackets), ranges bare.
            let label = |id: &str| match id.split_once('/') {
                Some((_, rest)) => {
                    let (name, kind) = rest.split_once('[').unwrap();
                    format!("{name} #91;{}#93;", kind.trim_end_matches(']'))
                }
                None => id.trim_end_matches("[External]").to_owned(),
            };
            (label(&a), label(&b), c)
        })
        .collect();
    assert_eq!(edges, expected, "{text}");
}

const HOSTILE: &str = r#"apiVersion: v1
kind: Pod
metadata:
  name: 'p"<b>&amp;\x'
  namespace: 'q"ns<&>'
  labels: {app: a}
spec: {containers: [{name: c, image: i}]}
---
apiVersion: v1
kind: Pod
metadata:
  name: "p2]}|`#--> x"
  namespace: 'q"ns<&>'
  labels: {app: b}
spec: {containers: [{name: c, image: i}]}
"#;

#[test]
fn hostile_names_are_escaped_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("hostile.yaml");
    std::fs::write(&file, HOSTILE).unwrap();
    let file = file.to_str().unwrap();
    let first = r#"q"ns<&>/p"<b>&amp;\x[Pod]"#;
    let second = "q\"ns<&>/p2]}|`#--> x[Pod]";

    // SVG: parses, and gives the names back as they are.
    let svg = parse_svg(&ok(&["matrix", "-f", file, "-o", "svg"]));
    assert!(svg.nodes.contains_key(first), "{:?}", svg.nodes);
    assert_eq!(svg.nodes[second], "p2]}|`#--> x [Pod]");
    assert!(svg.clusters.contains("q\"ns<&>"));
    assert!(svg
        .edges
        .contains(&(first.to_owned(), second.to_owned(), "all".to_owned())));

    // DOT: parses, with the names quoted and escaped.
    let dot = ok(&["matrix", "-f", file, "-o", "dot"]);
    let graph = dot_parser::canonical::Graph::from(
        dot_parser::ast::Graph::try_from(dot.as_str()).expect("parses as DOT"),
    );
    assert!(
        graph
            .nodes
            .set
            .contains_key(r#""q\"ns<&>/p\"<b>&amp;\\x[Pod]""#),
        "{:?}",
        graph.nodes.set.keys()
    );
    assert_eq!(graph.edges.set.len(), 6);

    // Mermaid: no quote, bracket, pipe or markup left raw in a label.
    let mermaid = ok(&["matrix", "-f", file, "-o", "mermaid"]);
    for l in mermaid.lines().filter(|l| l.contains("#91;Pod")) {
        let inner = l.split_once("(\"").unwrap().1.rsplit_once("\")").unwrap().0;
        for c in ['"', '<', '>', '[', ']', '|', '`', '{', '}'] {
            assert!(!inner.contains(c), "{c} raw in {l}");
        }
    }
    assert!(
        mermaid.contains("p#quot;#lt;b#gt;#amp;amp;\\x #91;Pod#93;"),
        "{mermaid}"
    );
    assert!(
        mermaid.contains(r#"subgraph c0["q#quot;ns#lt;#amp;#gt;"]"#),
        "{mermaid}"
    );
}

#[test]
fn namespace_view_counts_pairs_and_unites_ports() {
    // Worked out from the fixture's comment: a -> b: a1 -> b1 on TCP 80 and a2 -> b1 on TCP 443,
    // so TCP 80,443 for 2 of the 4 pairs; b -> a: everything, 4 of 4; a -> a: 2 of 2; b -> b:
    // b2 -> b1 is not from namespace a, b1 -> b2 is denied: no entry. The outside reaches a's
    // two pods and neither of b's.
    let out = ok(&["matrix", "-f", TWO, "--by", "namespace", "-o", "json"]);
    let j: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(j["kind"], "NamespaceConnectivityMatrix");
    assert_eq!(j["namespaces"][0]["name"], "a");
    assert_eq!(j["namespaces"][0]["workloads"], 2);
    let mut got = BTreeSet::new();
    for c in j["connections"].as_array().unwrap() {
        let end = |v: &serde_json::Value| {
            v.get("namespace")
                .or(v.get("external"))
                .unwrap()
                .as_str()
                .unwrap()
                .to_owned()
        };
        got.insert((
            end(&c["source"]),
            end(&c["destination"]),
            c["allowed"].as_str().unwrap().to_owned(),
            c["allowedPairs"].as_u64().unwrap(),
            c["pairs"].as_u64().unwrap(),
        ));
    }
    let world = "0.0.0.0-255.255.255.255";
    let expected: BTreeSet<(String, String, String, u64, u64)> = [
        ("a", "a", "All Connections", 2, 2),
        ("a", "b", "TCP 80,443", 2, 4),
        ("b", "a", "All Connections", 4, 4),
        ("a", world, "All Connections", 2, 2),
        ("b", world, "All Connections", 2, 2),
        (world, "a", "All Connections", 2, 2),
    ]
    .into_iter()
    .map(|(a, b, c, n, m)| (a.to_owned(), b.to_owned(), c.to_owned(), n, m))
    .collect();
    assert_eq!(got, expected);

    // The same in the other formats.
    let table = ok(&["matrix", "-f", TWO, "--by", "namespace"]);
    let row = table
        .lines()
        .find(|l| l.starts_with("a ") && l.contains(" b "))
        .unwrap();
    assert!(row.contains("TCP 80,443") && row.contains("2/4"), "{table}");
    let connlist = ok(&["matrix", "-f", TWO, "--by", "namespace", "-o", "connlist"]);
    assert!(
        connlist.contains("a => b : TCP 80,443 (2/4 workload pairs)\n"),
        "{connlist}"
    );
    let svg = parse_svg(&ok(&[
        "matrix",
        "-f",
        TWO,
        "--by",
        "namespace",
        "-o",
        "svg",
    ]));
    assert!(svg.edges.contains(&(
        "a".to_owned(),
        "b".to_owned(),
        "TCP 80,443 (2/4 pairs)".to_owned()
    )));
    assert_eq!(svg.nodes["a"], "a (2 workloads)");
}

#[test]
fn exclude_namespace_and_selector_narrow_the_matrix() {
    let out = ok(&[
        "matrix",
        "-f",
        TWO,
        "--by",
        "namespace",
        "--exclude-namespace",
        "b",
        "-o",
        "connlist",
    ]);
    assert_eq!(
        out,
        "0.0.0.0-255.255.255.255[External] => a : All Connections (2/2 workload pairs)\n\
         a => 0.0.0.0-255.255.255.255[External] : All Connections (2/2 workload pairs)\n\
         a => a : All Connections (2/2 workload pairs)\n"
    );
    // Globs, as the other commands' --exclude-namespace.
    let out = ok(&[
        "matrix",
        "-f",
        TWO,
        "--exclude-namespace",
        "[ab]",
        "-o",
        "connlist",
    ]);
    assert_eq!(out, "");
    // -l keeps the workloads it selects; b1 still counts as a2's peer.
    let out = ok(&[
        "matrix",
        "-f",
        TWO,
        "-l",
        "app in (a2,b1)",
        "-o",
        "connlist",
    ]);
    assert_eq!(
        out,
        "0.0.0.0-255.255.255.255[External] => a/a2[Pod] : All Connections\n\
         a/a2[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections\n\
         a/a2[Pod] => b/b1[Pod] : TCP 443\n\
         b/b1[Pod] => 0.0.0.0-255.255.255.255[External] : All Connections\n\
         b/b1[Pod] => a/a2[Pod] : All Connections\n"
    );
    let out = ok(&[
        "matrix",
        "-f",
        TWO,
        "-l",
        "app in (a1,a2,b1)",
        "--by",
        "namespace",
        "-o",
        "connlist",
    ]);
    assert!(
        out.contains("a => b : TCP 80,443 (2/2 workload pairs)\n"),
        "{out}"
    );
    let r = run(&[
        "matrix",
        "-f",
        TWO,
        "--exclude-namespace",
        "[",
        "-o",
        "connlist",
    ]);
    assert_eq!(r.code, 2);
    assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
}

const DENY_ALL: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: big}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n---\n";

/// `n` pods in namespace big, labelled app=pI.
fn pods(n: usize) -> String {
    (0..n)
        .map(|i| {
            format!(
                "apiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}, namespace: big, labels: {{app: p{i}}}}}\nspec: {{containers: [{{name: c, image: i}}]}}\n---\n"
            )
        })
        .collect()
}

#[test]
fn workload_view_refuses_more_than_2000_workloads_unless_forced() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.yaml");
    std::fs::write(&file, pods(2_001)).unwrap();
    let file = file.to_str().unwrap();
    for format in ["table", "json", "connlist", "dot", "mermaid", "svg"] {
        let r = run(&["matrix", "-f", file, "-o", format]);
        assert_eq!(r.code, 2, "{format}");
        assert_eq!(r.stdout, "", "{format}");
        assert_eq!(r.stderr.lines().count(), 1, "{}", r.stderr);
        for hint in ["2,001", "2,000", "--by namespace", "-n", "-l", "--force"] {
            assert!(r.stderr.contains(hint), "{hint}: {}", r.stderr);
        }
    }
    // The namespace view and a narrower selection are not refused.
    let out = ok(&["matrix", "-f", file, "--by", "namespace", "-o", "connlist"]);
    assert!(
        out.contains("big => big : All Connections (4002000/4002000 workload pairs)\n"),
        "{out}"
    );
    let out = ok(&[
        "matrix",
        "-f",
        file,
        "-l",
        "app in (p1,p2)",
        "-o",
        "connlist",
    ]);
    assert_eq!(out.lines().count(), 6, "{out}");
    // --force writes it (isolated pods here, to keep the output small).
    let isolated = dir.path().join("isolated.yaml");
    std::fs::write(&isolated, pods(2_001) + DENY_ALL).unwrap();
    let r = run(&[
        "matrix",
        "-f",
        isolated.to_str().unwrap(),
        "--force",
        "-o",
        "json",
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let j: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(j["workloads"].as_array().unwrap().len(), 2_001);
    assert_eq!(j["connections"].as_array().unwrap().len(), 0);
}

#[test]
fn workload_view_of_2000_is_not_refused() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.yaml");
    std::fs::write(&file, pods(2_000) + DENY_ALL).unwrap();
    let r = run(&["matrix", "-f", file.to_str().unwrap(), "-o", "dot"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert_eq!(r.stdout.matches("[label=\"p").count(), 2_000);
}

#[test]
fn diff_graph_shows_the_opened_and_the_closed_edge() {
    // The head gives api's grpc port to nightly-report instead of web: nightly-report -> api
    // opens on TCP 9090, web -> api closes.
    let dir = tempfile::tempdir().unwrap();
    for entry in std::fs::read_dir(SHOP).unwrap() {
        let path = entry.unwrap().path();
        let mut text = std::fs::read_to_string(&path).unwrap();
        if path.file_name().unwrap() == "policies.yaml" {
            text = text.replacen("          app: web\n", "          app: report\n", 1);
        }
        std::fs::write(dir.path().join(path.file_name().unwrap()), text).unwrap();
    }
    let head = dir.path().to_str().unwrap();
    let svg = parse_svg(&ok(&["diff", "--base", SHOP, "-f", head, "-o", "svg"]));
    assert_eq!(
        svg.edges,
        BTreeSet::from([
            (
                "shop/nightly-report[CronJob]".to_owned(),
                "shop/api[Deployment]".to_owned(),
                "TCP 9090".to_owned()
            ),
            (
                "shop/web[Deployment]".to_owned(),
                "shop/api[Deployment]".to_owned(),
                "TCP 9090".to_owned()
            ),
        ])
    );
    let text = ok(&["diff", "--base", SHOP, "-f", head, "-o", "svg"]);
    let doc = roxmltree::Document::parse(&text).unwrap();
    let edge = |from: &str| {
        doc.descendants()
            .find(|n| n.attribute("data-from") == Some(from))
            .unwrap()
    };
    fn path<'a, 'i>(n: roxmltree::Node<'a, 'i>) -> roxmltree::Node<'a, 'i> {
        n.descendants()
            .find(|c| c.tag_name().name() == "path")
            .unwrap()
    }
    let opened = edge("shop/nightly-report[CronJob]");
    assert_eq!(opened.attribute("class"), Some("edge opened"));
    assert_eq!(path(opened).attribute("stroke"), Some("#0072B2"));
    assert_eq!(path(opened).attribute("stroke-dasharray"), None);
    let closed = edge("shop/web[Deployment]");
    assert_eq!(closed.attribute("class"), Some("edge closed"));
    assert_eq!(path(closed).attribute("stroke"), Some("#D55E00"));
    assert!(path(closed).attribute("stroke-dasharray").is_some());
    assert!(svg.text.contains("opened by the change (blue, solid)"));
    assert!(svg.text.contains("closed by the change (orange, dashed)"));

    let dot = ok(&["diff", "--base", SHOP, "-f", head, "-o", "dot"]);
    assert!(dot.contains(r##""shop/web[Deployment]" -> "shop/api[Deployment]" [label="TCP 9090", color="#D55E00", fontcolor="#D55E00", style=dashed, class=closed];"##), "{dot}");
    dot_parser::ast::Graph::try_from(dot.as_str()).expect("parses as DOT");
    let mermaid = ok(&["diff", "--base", SHOP, "-f", head, "-o", "mermaid"]);
    assert!(mermaid.contains("-.->|\"TCP 9090\"|"), "{mermaid}");
    assert!(
        mermaid.contains("stroke:#D55E00,stroke-dasharray"),
        "{mermaid}"
    );
}

#[test]
fn explain_graph_shows_the_workload_and_its_peers() {
    let text = ok(&[
        "explain",
        "deploy/web",
        "-n",
        "shop",
        "-f",
        SHOP,
        "-o",
        "svg",
    ]);
    let svg = parse_svg(&text);
    let web = "shop/web[Deployment]";
    let expected: BTreeSet<(String, String, String)> = shop_edges()
        .into_iter()
        .filter(|(a, b, _)| a == web || b == web)
        .collect();
    assert_eq!(svg.edges, expected);
    assert!(text.contains(r#"<g class="node focus" id="node:shop/web[Deployment]">"#));
    let dot = ok(&[
        "explain",
        "deploy/api",
        "-n",
        "shop",
        "-f",
        SHOP,
        "-o",
        "dot",
    ]);
    let graph = dot_parser::canonical::Graph::from(
        dot_parser::ast::Graph::try_from(dot.as_str()).expect("parses as DOT"),
    );
    // api: only web reaches it, and it reaches nothing (db refuses it).
    assert_eq!(graph.edges.set.len(), 1, "{dot}");
}

// ---- `--by namespace` against a naive aggregation of the workload matrix. ----

mod property {
    use super::naive::{container_port, namespaces, policy, workload, Draw, IpBlocks};
    use netpol_check::connectivity::matrix::{self, Peer};
    use netpol_check::connectivity::namespaces::{by_namespace, Group, NamespaceMatrix};
    use netpol_check::connectivity::Engine;
    use netpol_check::model::*;
    use netpol_check::semantics::ConnSet;
    use proptest::prelude::*;
    use std::collections::BTreeMap;

    const DRAW: Draw = Draw {
        protocols: &["TCP", "UDP"],
        container_ports: &[53, 80, 8080],
        range_widths: &[0, 5],
        ip_blocks: IpBlocks::Drawn(&[("10.0.0.0/8", "10.1.0.0/16"), ("0.0.0.0/0", "10.0.0.0/8")]),
        empty_pod_selectors: false,
        empty_policy_types: true,
        pods: true,
    };

    type ByNamespace = BTreeMap<(Group, Group), (ConnSet, usize)>;

    /// Naive: every entry of the workload matrix, added up by namespace.
    fn aggregated(inventory: &Inventory, m: &matrix::Matrix) -> ByNamespace {
        let group = |p: &Peer| match p {
            Peer::Workload(w) => Group::Namespace(inventory.workloads[*w].namespace.clone()),
            Peer::External(s) => Group::External(*s),
        };
        let mut naive = ByNamespace::new();
        for e in &m.entries {
            let slot = naive
                .entry((group(&e.source), group(&e.destination)))
                .or_insert((ConnSet::none(), 0));
            slot.0 = slot.0.union(&e.allowed);
            slot.1 += 1;
        }
        naive
    }

    fn entries(got: &NamespaceMatrix) -> ByNamespace {
        got.entries
            .iter()
            .map(|e| {
                (
                    (e.from.clone(), e.to.clone()),
                    (e.connections.clone(), e.allowed_pairs),
                )
            })
            .collect()
    }

    /// With cluster-scoped, Cilium or Calico policies every pair walks the layers: the same
    /// sums, on small synthetic clusters of each kind.
    #[test]
    fn layered_clusters_are_the_workload_matrix_aggregated() {
        use netpol_check::source::manifests::{
            build_inventory, parse_all, Loaded, ManifestOptions,
        };
        use netpol_check::synth::{generate, SynthConfig};
        let small = SynthConfig::scaled(0.002);
        for config in [
            SynthConfig {
                cluster_policies: 6,
                ..small
            },
            SynthConfig {
                cilium: true,
                ..small
            },
            SynthConfig {
                calico: true,
                ..small
            },
        ] {
            let mut yaml = Vec::new();
            generate(&config, &mut yaml).unwrap();
            let loaded = [Loaded {
                name: "synth.yaml".into(),
                text: String::from_utf8(yaml).unwrap(),
            }];
            let inventory =
                build_inventory(parse_all(&loaded, &ManifestOptions::default()).unwrap());
            assert!(
                inventory.workloads.len() > 100,
                "{}",
                inventory.workloads.len()
            );
            let engine = Engine::new(&inventory);
            let m = matrix::compute(&engine, |_| true);
            assert!(!m.entries.is_empty());
            assert_eq!(
                entries(&by_namespace(&engine, |_| true)),
                aggregated(&inventory, &m)
            );
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(300))]

        #[test]
        fn by_namespace_is_the_workload_matrix_aggregated(
            namespaces in namespaces(),
            workloads in prop::collection::vec(workload(DRAW), 1..9),
            policies in prop::collection::vec(policy(DRAW), 0..6),
            excluded in 0usize..12,
            twins in prop::collection::vec(
                (0usize..9, prop::collection::vec(container_port(DRAW), 0..3), any::<bool>()),
                0..4,
            ),
        ) {
            let mut workloads = workloads;
            // Workloads the same but for their ports, and some with a second pod shape (a
            // rollout): what tells workloads that answer alike apart from those that do not.
            for (i, ports, rollout) in twins {
                if let Some(original) = workloads.get(i) {
                    let mut twin = original.clone();
                    twin.ports = ports;
                    let other = &workloads[(i + 1) % workloads.len()].label_sets[0];
                    if rollout && !twin.label_sets.contains(other) {
                        twin.label_sets.push(other.clone());
                    }
                    workloads.push(twin);
                }
            }
            for (i, w) in workloads.iter_mut().enumerate() {
                w.name = format!("w{i}");
            }
            let inventory = Inventory {
                namespaces,
                workloads,
                policies,
                ..Default::default()
            };
            let engine = Engine::new(&inventory);
            let in_scope = |w: usize| w != excluded;
            let m = matrix::compute(&engine, in_scope);
            let naive = aggregated(&inventory, &m);
            let mut sizes: BTreeMap<String, usize> = BTreeMap::new();
            for &w in &m.workloads {
                *sizes.entry(inventory.workloads[w].namespace.clone()).or_default() += 1;
            }
            let got = by_namespace(&engine, in_scope);
            prop_assert_eq!(
                got.namespaces.clone(),
                sizes.clone().into_iter().collect::<Vec<_>>()
            );
            prop_assert_eq!(&entries(&got), &naive);
            for e in &got.entries {
                let size = |g: &Group| match g {
                    Group::Namespace(n) => Some(sizes[n]),
                    Group::External(_) => None,
                };
                let pairs = match (size(&e.from), size(&e.to)) {
                    (Some(a), Some(b)) if e.from == e.to => a * (b - 1),
                    (Some(a), Some(b)) => a * b,
                    (Some(a), None) | (None, Some(a)) => a,
                    (None, None) => unreachable!(),
                };
                prop_assert_eq!(e.pairs, pairs);
                prop_assert!(e.allowed_pairs <= e.pairs);
            }
        }
    }
}
