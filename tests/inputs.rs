//! What `-f` reads: files, directories (recursive, sorted), stdin, several `-f`, multi-document
//! YAML, JSON, `List` wrappers, unknown kinds, default namespaces and ownerReferences folding.

mod common;

use common::*;
use serde_json::json;

fn names(report: &serde_json::Value) -> Vec<String> {
    report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| {
            format!(
                "{} {}/{}",
                w["kind"].as_str().unwrap(),
                w["namespace"].as_str().unwrap(),
                w["name"].as_str().unwrap()
            )
        })
        .collect()
}

fn files(report: &serde_json::Value) -> Vec<String> {
    report["source"]["files"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f.as_str().unwrap().to_owned())
        .collect()
}

const POD_A: &str = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: a\n  namespace: ns1\n";

#[test]
fn directories_are_walked_recursively_in_sorted_order() {
    // tree/ also holds README.md, notes.txt and m.yaml.bak, none of them valid manifests: a
    // walk reads *.yaml, *.yml and *.json only.
    let dir = fixture("tree");
    let (code, r) = json(&["-f", &dir]);
    assert_eq!(code, 1);
    assert_eq!(
        files(&r),
        [
            "tests/fixtures/tree/a.yml",
            "tests/fixtures/tree/b/c/x.json",
            "tests/fixtures/tree/b/m.yaml",
            "tests/fixtures/tree/z.yaml",
        ]
    );
    assert_eq!(r["source"]["type"], "manifests");
    assert_eq!(
        names(&r),
        ["Pod tree/a", "Pod tree/m", "Pod tree/x", "Pod tree/z"]
    );
    assert_eq!(r["summary"]["workloads"], 4);
}

#[test]
fn a_file_named_explicitly_is_read_whatever_its_extension() {
    let f = fixture("tree/b/m.yaml.bak");
    let (_, r) = json(&["-f", &f]);
    assert_eq!(names(&r), ["Pod tree/backup"]);
}

#[test]
fn several_f_flags_are_read_in_order() {
    let z = fixture("tree/z.yaml");
    let a = fixture("tree/a.yml");
    let (_, r) = json(&["-f", &z, "--filename", &a]);
    assert_eq!(files(&r), [z, a]);
    assert_eq!(
        names(&r),
        ["Pod tree/a", "Pod tree/z"],
        "workloads are sorted"
    );
}

#[test]
fn stdin_is_read_with_dash() {
    let (code, r) = json_stdin(&["-f", "-"], POD_A.as_bytes());
    assert_eq!(code, 1);
    assert_eq!(names(&r), ["Pod ns1/a"]);
    assert_eq!(r["source"]["files"].as_array().unwrap().len(), 1);
}

#[test]
fn stdin_and_files_combine() {
    let z = fixture("tree/z.yaml");
    let (_, r) = json_stdin(&["-f", &z, "-f", "-"], POD_A.as_bytes());
    assert_eq!(names(&r), ["Pod ns1/a", "Pod tree/z"]);
    let f = files(&r);
    assert_eq!(f.len(), 2);
    assert_eq!(f[0], z);
}

#[test]
fn a_policy_in_one_file_covers_a_pod_in_another() {
    let dir = tempfile::tempdir().unwrap();
    let pod = dir.path().join("pod.yaml");
    let pol = dir.path().join("policy.yaml");
    std::fs::write(&pod, POD_A).unwrap();
    std::fs::write(
        &pol,
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: deny\n  namespace: ns1\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n",
    )
    .unwrap();
    let (code, r) = json(&["-f", pod.to_str().unwrap(), "-f", pol.to_str().unwrap()]);
    assert_eq!(code, 0);
    assert_eq!(isolation(&r, "Pod", "ns1", "a"), (true, true));
}

#[test]
fn multi_document_yaml_with_comments_empty_documents_and_end_markers() {
    let yaml = "\
# leading comment
---
apiVersion: v1
kind: Pod
metadata:
  name: first
  namespace: multi
---
---
# only a comment
---
apiVersion: v1
kind: Pod
metadata:
  name: second
  namespace: multi
...
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: deny-in
  namespace: multi
spec:
  podSelector: {}
";
    let (_, r) = json_stdin(&["-f", "-"], yaml.as_bytes());
    assert_eq!(names(&r), ["Pod multi/first", "Pod multi/second"]);
    assert_eq!(r["summary"]["networkPolicies"], 1);
    assert_eq!(isolation(&r, "Pod", "multi", "second"), (true, false));
}

#[test]
fn findings_point_at_the_first_line_of_their_object() {
    // The Pod `late` begins on line 8 of the file (after a marker and a comment).
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("two.yaml");
    std::fs::write(
        &path,
        "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  namespace: loc\n---\n# the pod\napiVersion: v1\nkind: Pod\nmetadata:\n  name: late\n  namespace: loc\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    let (_, r) = json(&["-f", p]);
    let f = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "NPC001")
        .expect("NPC001");
    assert_eq!(f["object"], "late");
    assert_eq!(f["file"], p);
    assert_eq!(f["line"], 8);
}

#[test]
fn crlf_line_endings_and_a_byte_order_mark_are_accepted() {
    let yaml = "\u{feff}apiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: win\r\n  namespace: crlf\r\n---\r\napiVersion: v1\r\nkind: Pod\r\nmetadata:\r\n  name: dows\r\n  namespace: crlf\r\n";
    let (_, r) = json_stdin(&["-f", "-"], yaml.as_bytes());
    assert_eq!(names(&r), ["Pod crlf/dows", "Pod crlf/win"]);
}

#[test]
fn kubectl_get_json_list_is_read() {
    let f = fixture("lists/kubectl_get.json");
    let (code, r) = json(&["-f", &f]);
    assert_eq!(code, 1);
    assert_eq!(names(&r), ["Deployment shop/api", "Pod shop/web-1"]);
    assert_eq!(workload(&r, "Deployment", "shop", "api")["pods"], 4);
    assert_eq!(r["summary"]["networkPolicies"], 1);
    assert_eq!(r["summary"]["skippedKinds"], json!({"Service": 1}));
    // web-in omits policyTypes and has only ingress rules: [Ingress].
    assert_eq!(isolation(&r, "Pod", "shop", "web-1"), (true, false));
    assert_eq!(isolation(&r, "Deployment", "shop", "api"), (false, false));
}

#[test]
fn json_on_stdin_and_concatenated_json_objects() {
    let stream = br#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j1","namespace":"js"}}
{"apiVersion":"v1","kind":"Pod","metadata":{"name":"j2","namespace":"js"}}
"#;
    let (_, r) = json_stdin(&["-f", "-"], stream);
    assert_eq!(names(&r), ["Pod js/j1", "Pod js/j2"]);
}

#[test]
fn yaml_list_and_podlist_wrappers_are_unwrapped() {
    let f = fixture("lists/podlist.yaml");
    let (_, r) = json(&["-f", &f]);
    assert_eq!(names(&r), ["Pod batch/one", "Pod batch/two"]);
    assert_eq!(r["summary"]["networkPolicies"], 1);
    assert_eq!(r["summary"]["skippedKinds"], json!({"ConfigMap": 1}));
    // workers-egress-only lists only Egress.
    assert_eq!(isolation(&r, "Pod", "batch", "one"), (false, true));
    assert_eq!(isolation(&r, "Pod", "batch", "two"), (false, true));
}

#[test]
fn unknown_kinds_are_skipped_and_counted_by_kind() {
    let yaml = "\
apiVersion: v1
kind: Service
metadata: {name: s, namespace: k}
spec: {ports: [{port: 80}]}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c1, namespace: k}
data: {a: b}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: c2, namespace: k}
data: {a: b}
---
apiVersion: example.com/v1
kind: Widget
metadata: {name: w, namespace: k}
spec: {anything: [1, {odd: shape}], podSelector: 5, hostNetwork: maybe}
---
apiVersion: v1
kind: Pod
metadata: {name: p, namespace: k}
";
    let (_, r) = json_stdin(&["-f", "-"], yaml.as_bytes());
    assert_eq!(
        r["summary"]["skippedKinds"],
        json!({"ConfigMap": 2, "Service": 1, "Widget": 1})
    );
    assert_eq!(names(&r), ["Pod k/p"]);
    assert_eq!(r["summary"]["workloads"], 1);
}

#[test]
fn objects_without_namespace_go_to_default() {
    let yaml = "\
apiVersion: v1
kind: Pod
metadata: {name: nameless}
---
apiVersion: v1
kind: Pod
metadata: {name: placed, namespace: elsewhere}
";
    let (_, r) = json_stdin(&["-f", "-"], yaml.as_bytes());
    assert_eq!(names(&r), ["Pod default/nameless", "Pod elsewhere/placed"]);
    assert_eq!(namespace_names(&r), ["default", "elsewhere"]);
}

#[test]
fn objects_without_namespace_go_to_the_namespace_flag() {
    // The pod and the policy both lack a namespace: with -n team they meet in `team`, and the
    // policy isolates the pod. Objects that name a namespace keep it.
    let yaml = "\
apiVersion: v1
kind: Pod
metadata: {name: nameless}
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: deny-all}
spec:
  podSelector: {}
  policyTypes: [Ingress, Egress]
---
apiVersion: v1
kind: Pod
metadata: {name: placed, namespace: elsewhere}
";
    for flag in ["-n", "--namespace"] {
        let (_, r) = json_stdin(&["-f", "-", flag, "team"], yaml.as_bytes());
        assert_eq!(
            names(&r),
            ["Pod elsewhere/placed", "Pod team/nameless"],
            "{flag}"
        );
        assert_eq!(isolation(&r, "Pod", "team", "nameless"), (true, true));
        assert_eq!(isolation(&r, "Pod", "elsewhere", "placed"), (false, false));
        assert!(
            !namespace_names(&r).contains(&"default".to_owned()),
            "{:?}",
            namespace_names(&r)
        );
    }
}

#[test]
fn owner_references_fold_pods_into_their_top_level_owner() {
    // Deployment web + ReplicaSet web-abc (owned by web) + 2 pods (owned by web-abc): one
    // Deployment with 2 pods. CronJob nightly + Job + 1 pod: one CronJob with 1 pod. A pod whose
    // owner is not in the input, and one whose owner name exists only in another namespace, are
    // grouped under that owner in their own namespace, as a cluster's pods are (and as
    // netpol-analyzer names them).
    let f = fixture("owners.yaml");
    let (_, r) = json(&["-f", &f]);
    assert_eq!(
        names(&r),
        [
            "ReplicaSet other/web-abc",
            "CronJob shop/nightly",
            "ReplicaSet shop/orphan-abc",
            "Deployment shop/web",
        ]
    );
    assert_eq!(workload(&r, "Deployment", "shop", "web")["pods"], 2);
    assert_eq!(workload(&r, "CronJob", "shop", "nightly")["pods"], 1);
    assert_eq!(workload(&r, "ReplicaSet", "shop", "orphan-abc")["pods"], 1);
    assert_eq!(r["summary"]["workloads"], 4);
    let npc001 = finding_keys(&r, "findings")
        .into_iter()
        .filter(|k| k.0 == "NPC001")
        .count();
    assert_eq!(npc001, 4, "one finding per workload, not per pod");
}

#[test]
fn folded_pods_with_other_labels_count_for_isolation() {
    // The Deployment's template says app=web, but one of its pods (mid-rollout) carries
    // app=web-canary, which the policy does not select: the workload is not fully isolated.
    let yaml = "\
apiVersion: apps/v1
kind: Deployment
metadata: {name: web, namespace: roll}
spec:
  template:
    metadata: {labels: {app: web}}
---
apiVersion: v1
kind: Pod
metadata:
  name: web-1
  namespace: roll
  labels: {app: web-canary}
  ownerReferences: [{kind: Deployment, name: web, apiVersion: apps/v1, uid: u}]
---
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata: {name: web, namespace: roll}
spec:
  podSelector: {matchLabels: {app: web}}
  policyTypes: [Ingress, Egress]
";
    let (code, r) = json_stdin(&["-f", "-"], yaml.as_bytes());
    assert_eq!(names(&r), ["Deployment roll/web"]);
    assert_eq!(isolation(&r, "Deployment", "roll", "web"), (false, false));
    assert_eq!(code, 1);
}

#[test]
fn pods_of_a_controller_missing_from_the_input_are_grouped_under_it() {
    // A `kubectl get pods -o yaml` dump: two pods of one ReplicaSet, one of another, and a pod
    // without owner. The ReplicaSets are not in the input.
    let pod = |name: &str, owner: Option<&str>| {
        let refs = owner
            .map(|o| format!("\n  ownerReferences: [{{apiVersion: apps/v1, kind: ReplicaSet, name: {o}, controller: true, uid: u}}]"))
            .unwrap_or_default();
        format!("---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: {name}\n  namespace: shop\n  labels: {{app: x}}{refs}\n")
    };
    let yaml = [
        pod("web-abc-1", Some("web-abc")),
        pod("db-xyz-1", Some("db-xyz")),
        pod("web-abc-2", Some("web-abc")),
        pod("debug", None),
    ]
    .concat();
    let (_, r) = json_stdin(&["-f", "-"], yaml.as_bytes());
    assert_eq!(
        names(&r),
        // By namespace and name.
        [
            "ReplicaSet shop/db-xyz",
            "Pod shop/debug",
            "ReplicaSet shop/web-abc"
        ]
    );
    assert_eq!(workload(&r, "ReplicaSet", "shop", "web-abc")["pods"], 2);
    assert_eq!(workload(&r, "ReplicaSet", "shop", "db-xyz")["pods"], 1);
    // Each pod is still found by its own name.
    for pod in ["web-abc-1", "web-abc-2"] {
        let out = run_stdin(
            &[
                "explain",
                &format!("pod/{pod}"),
                "-n",
                "shop",
                "-f",
                "-",
                "-o",
                "json",
            ],
            yaml.as_bytes(),
        );
        assert_eq!(out.code, 0, "{}", out.stderr);
        let j: serde_json::Value = serde_json::from_str(&out.stdout).unwrap();
        assert_eq!(j["workload"]["name"], "web-abc", "{pod}");
    }
}

/// A List large enough to be read in parallel parts (issue 13) gives the pods the same pods as
/// separate documents give, in the same order, each with the List's line as its origin (as
/// when a List is read whole); an error in a late item is located at its own line and column,
/// as in the documents, with the item's index in front.
#[test]
fn a_large_list_read_in_parallel_parts_gives_what_its_documents_give() {
    use netpol_check::error::Error;
    use netpol_check::source::lists::parallel_parts;
    use netpol_check::source::manifests::{parse_all, Loaded, ManifestOptions};
    use netpol_check::source::stream::Parsed;

    let pod = |i: usize, app: &str| {
        format!(
            "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p-{i}\n  namespace: ns{}\n  labels: {{app: {app}, tier: t{}}}\nspec:\n  hostNetwork: {}\n  containers:\n  - name: c\n    ports: [{{name: http, containerPort: {}}}]\n",
            i % 3,
            i % 5,
            i % 11 == 0,
            1000 + i
        )
    };
    let lines_per_pod = pod(0, "a").lines().count();
    // Pod `bad` carries an integer label value, which the API server refuses.
    let inputs = |bad: Option<usize>| {
        let pods: Vec<String> = (0..800)
            .map(|i| match bad == Some(i) {
                true => pod(i, "1"),
                false => pod(i, &format!("a{i}")),
            })
            .collect();
        let items: String = pods
            .iter()
            .map(|p| format!("- {}", p.replace('\n', "\n  ").trim_end_matches(' ')))
            .collect();
        let list = format!(
            "{}apiVersion: v1\nkind: List\nitems:\n{items}",
            "# comment\n".repeat(300)
        );
        (list, pods.join("---\n"))
    };
    let read = |name: &str, text: &str| {
        let loaded = Loaded {
            name: name.into(),
            text: text.to_owned(),
        };
        parse_all(&[loaded], &ManifestOptions::default())
    };

    let (list, documents) = inputs(None);
    assert!(parallel_parts(&list).is_some_and(|parts| parts >= 2));
    let from_list = read("list.yaml", &list).unwrap();
    let from_documents = read("docs.yaml", &documents).unwrap();
    assert_eq!(from_list.len(), 800);
    assert_eq!(from_list.len(), from_documents.len());
    for (i, (l, d)) in from_list.iter().zip(&from_documents).enumerate() {
        let (Parsed::Workload(l), Parsed::Workload(d)) = (l, d) else {
            panic!("{l:?} {d:?}");
        };
        assert_eq!(l.workload.name, format!("p-{i}"));
        assert_eq!(l.workload.origin.file.as_deref(), Some("list.yaml"));
        assert_eq!(l.workload.origin.line, Some(301));
        assert_eq!(
            d.workload.origin.line,
            Some((i * (lines_per_pod + 1) + 1) as u32)
        );
        let mut d = d.clone();
        d.workload.origin = l.workload.origin.clone();
        assert_eq!(*l, d);
    }

    let (list, documents) = inputs(Some(700));
    // Where `1` stands in `labels: {app: 1, ...}`, counted by hand from the text.
    let at = |text: &str| {
        let (n, line) = text
            .lines()
            .enumerate()
            .find(|(_, l)| l.contains("{app: 1,"))
            .unwrap();
        (n as u32 + 1, line.find("1,").unwrap() as u32 + 1)
    };
    let error = |e: Error| match e {
        Error::Input {
            location,
            message,
            object,
        } => ((location.line, location.column), message, object),
        other => panic!("{other}"),
    };
    let (list_at, list_message, list_object) = error(read("list.yaml", &list).unwrap_err());
    let (docs_at, docs_message, docs_object) = error(read("docs.yaml", &documents).unwrap_err());
    assert_eq!(list_at, at(&list));
    assert_eq!(docs_at, at(&documents));
    assert_eq!(list_at.1, docs_at.1 + 2);
    assert_eq!(list_message, format!("items[700].{docs_message}"));
    assert!(
        docs_message.starts_with("metadata.labels.app: "),
        "{docs_message}"
    );
    assert_eq!(list_object, docs_object);
    assert_eq!(docs_object.as_deref(), Some("Pod ns1/p-700"));
}
