//! Manifests are read as kubectl reads them, checked against the real kubectl: each row of the
//! table is a stream that kubectl reads (`kubectl label --local -f FILE -o json`, which needs no
//! cluster and decodes metadata as the API server does), and what it yields says what we must
//! read, in all three modes (`-f FILE`, `-f -`, `post-render`): the same labels, selectors,
//! hostNetwork, replica counts and ports, or, where kubectl or the API server would refuse the
//! object (a number where a string is required), an error at the line of the offending value.
//!
//! kubectl reads YAML 1.1 through sigs.k8s.io/yaml (go-yaml v2): `yes` and `y` are booleans,
//! `0123` is octal, `8_0` is 80, `<<` merges mappings, UTF-16 with a byte-order mark is text.

mod common;
mod tools;

use std::collections::BTreeMap;
use std::path::Path;

use common::*;
use serde_json::Value;

/// A pod in namespace `shop` with the labels (flow mapping text) and spec lines given.
fn pod(labels: &str, spec: &str) -> String {
    format!(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: p\n  namespace: shop\n  labels: {labels}\nspec:\n{spec}  containers: [{{name: c, image: i}}]\n"
    )
}

/// A policy in namespace `shop` selecting `app` = `app`, with ingress on `port` if given.
fn policy(select: &str, port: Option<&str>) -> String {
    let ingress = port.map_or(String::new(), |p| {
        format!("  ingress:\n  - ports:\n    - port: {p}\n")
    });
    format!(
        "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: np\n  namespace: shop\nspec:\n  podSelector:\n    matchLabels: {select}\n{ingress}"
    )
}

fn deployment(replicas: &str) -> String {
    format!(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: d\n  namespace: shop\nspec:\n  replicas: {replicas}\n  selector: {{matchLabels: {{app: web}}}}\n  template:\n    metadata:\n      labels: {{app: web}}\n    spec:\n      containers: [{{name: c, image: i}}]\n"
    )
}

fn stream(docs: &[String]) -> String {
    docs.join("---\n")
}

/// The rows: a name and the stream's bytes. The line holding the value under test carries a
/// `# <-` comment, where an error must point when kubectl refuses the object.
fn rows() -> Vec<(&'static str, Vec<u8>)> {
    let mut rows: Vec<(&'static str, String)> = Vec::new();
    let web = || policy("{app: web}", None);
    for (name, v) in [
        ("hostNetwork yes", "yes"),
        ("hostNetwork Yes", "Yes"),
        ("hostNetwork y", "y"),
        ("hostNetwork on", "on"),
        ("hostNetwork n", "n"),
        ("hostNetwork OFF", "OFF"),
        ("hostNetwork true", "true"),
        ("hostNetwork quoted yes", "\"yes\""),
        ("hostNetwork 1", "1"),
        ("hostNetwork null", "~"),
    ] {
        rows.push((
            name,
            stream(&[
                pod("{app: web}", &format!("  hostNetwork: {v} # <-\n")),
                web(),
            ]),
        ));
    }
    for (name, v) in [
        ("replicas 0123", "0123"),
        ("replicas 8_0", "8_0"),
        ("replicas 0x10", "0x10"),
        ("replicas 0o12", "0o12"),
        ("replicas 09", "09"),
        ("replicas 3.0", "3.0"),
        ("replicas 8e0", "8e0"),
        ("replicas +7", "+7"),
        ("replicas quoted 3", "\"3\""),
        ("replicas 0.5", "0.5"),
        ("replicas yes", "yes"),
        ("replicas null", "~"),
    ] {
        rows.push((name, deployment(&format!("{v} # <-"))));
    }
    for (name, v) in [
        ("port 0123", "0123"),
        ("port 8_0", "8_0"),
        ("port 0x50", "0x50"),
        ("port 80.0", "80.0"),
        ("port 0B1010000", "0B1010000"),
        ("port quoted 0123", "\"0123\""),
        ("port quoted 8080", "\"8080\""),
        ("port http", "http"),
        ("port yes", "yes"),
        ("port 1e400", "1e400"),
    ] {
        rows.push((
            name,
            stream(&[
                pod("{app: web}", ""),
                policy("{app: web}", Some(&format!("{v} # <-"))),
            ]),
        ));
    }
    for (name, labels, select) in [
        ("label value 1", "{app: 1} # <-", "{app: web}"),
        ("label value yes", "{app: yes} # <-", "{app: web}"),
        ("label value 0123", "{app: 0123} # <-", "{app: web}"),
        ("label value quoted yes", "{app: \"yes\"}", "{app: \"yes\"}"),
        ("label value quoted 0123", "{app: '0123'}", "{app: '0123'}"),
        ("label value null", "{app: ~}", "{app: ''}"),
        ("label value empty", "{app: }", "{app: ''}"),
        ("label key 1", "{1: web}", "{'1': web}"),
        ("label key on", "{on: web}", "{'true': web}"),
        ("label key 0123", "{0123: web}", "{'83': web}"),
        ("selector value yes", "{app: web}", "{app: yes} # <-"),
        ("selector value 8_0", "{app: '80'}", "{app: 8_0} # <-"),
        (
            "timestamp label value",
            "{app: 2001-12-14}",
            "{app: '2001-12-14'}",
        ),
    ] {
        rows.push((name, stream(&[pod(labels, ""), policy(select, None)])));
    }
    rows.push((
        "name 123",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: 123 # <-\n  namespace: shop\nspec:\n  containers: [{name: c, image: i}]\n".into(),
    ));
    rows.push((
        "name yes",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: yes # <-\n  namespace: shop\nspec:\n  containers: [{name: c, image: i}]\n".into(),
    ));
    rows.push((
        "name quoted 123",
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: '123'\n  namespace: shop\nspec:\n  containers: [{name: c, image: i}]\n".into(),
    ));
    // Merge keys.
    rows.push((
        "merged podSelector",
        stream(&[
            pod("{app: web}", ""),
            "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: np, namespace: shop}\nspec: {<<: {podSelector: {matchLabels: {app: nothing}}}, policyTypes: [Ingress, Egress]}\n".into(),
        ]),
    ));
    rows.push((
        "merged pod template labels",
        stream(&[
            "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: d, namespace: shop}\nx-meta: &meta\n  labels: {app: web}\nspec:\n  selector: {matchLabels: {app: web}}\n  template:\n    metadata:\n      <<: *meta\n    spec:\n      containers: [{name: c, image: i}]\n".into(),
            web(),
        ]),
    ));
    rows.push((
        "explicit key before a merge",
        stream(&[pod("{app: web, <<: {app: api}}", ""), web()]),
    ));
    rows.push((
        "explicit key after a merge",
        stream(&[pod("{<<: {app: api}, app: web}", ""), web()]),
    ));
    rows.push((
        "merged list, earlier wins",
        stream(&[
            pod("{<<: [{app: web}, {app: api, tier: x}]}", ""),
            policy("{app: web, tier: x}", None),
        ]),
    ));
    rows.push((
        "two merge keys, later wins",
        stream(&[pod("{<<: {app: api}, <<: {app: web}}", ""), web()]),
    ));
    rows.push((
        "quoted << is a key",
        stream(&[pod("{'<<': web, app: web}", ""), web()]),
    ));
    rows.push((
        "merge of a scalar",
        stream(&[pod("{<<: web} # <-", ""), web()]),
    ));
    let mut rows: Vec<(&'static str, Vec<u8>)> =
        rows.into_iter().map(|(n, s)| (n, s.into_bytes())).collect();
    // Encodings and stream shapes.
    let two = stream(&[pod("{app: web}", ""), web()]);
    let utf16 = |little: bool, bom: bool| -> Vec<u8> {
        let mut out = Vec::new();
        if bom {
            out.extend(if little { [0xFF, 0xFE] } else { [0xFE, 0xFF] });
        }
        for u in format!("# <-\n{two}").encode_utf16() {
            out.extend(if little {
                u.to_le_bytes()
            } else {
                u.to_be_bytes()
            });
        }
        out
    };
    rows.push(("UTF-16LE with a byte-order mark", utf16(true, true)));
    rows.push(("UTF-16BE with a byte-order mark", utf16(false, true)));
    rows.push(("UTF-16LE without a byte-order mark", utf16(true, false)));
    rows.push((
        "byte-order mark at the start of a later document",
        format!("{}---\n\u{feff}{}", pod("{app: web}", ""), web()).into_bytes(),
    ));
    let json_pod = r#"{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p","namespace":"shop","labels":{"app":"web"}},"spec":{"hostNetwork":true,"containers":[{"name":"c","image":"i"}]}}"#;
    rows.push((
        "JSON then YAML documents",
        format!("{json_pod}\n---\n{}", web()).into_bytes(),
    ));
    rows.push((
        "JSON then YAML without a marker",
        format!("{json_pod}\n{}", web()).into_bytes(),
    ));
    rows
}

/// What kubectl read: its objects, or None when it refused the stream.
fn kubectl_read(path: &Path) -> Option<Vec<Value>> {
    let out = std::process::Command::new(tools::kubectl())
        .args(["label", "--local", "-o", "json", "x-probe=1", "-f"])
        .arg(path)
        .env("KUBECONFIG", "/dev/null")
        .output()
        .expect("kubectl runs");
    if !out.status.success() {
        return None;
    }
    // One JSON object per object read.
    let objects = serde_json::Deserializer::from_slice(&out.stdout)
        .into_iter::<Value>()
        .map(|v| v.expect("kubectl prints JSON"))
        .collect();
    Some(objects)
}

type Labels = BTreeMap<String, String>;

/// What we must read, worked out from kubectl's JSON with the API server's types: `None` when
/// the API server would refuse an object.
#[derive(Debug, Default)]
struct Expected {
    /// (kind, name) -> (labels, hostNetwork, pods)
    workloads: BTreeMap<(String, String), (Labels, bool, i64)>,
    selectors: Vec<Labels>,
    ports: Vec<Value>,
}

fn strings(v: &Value) -> Option<Labels> {
    match v {
        Value::Null => Some(BTreeMap::new()),
        Value::Object(m) => m
            .iter()
            .filter(|(k, _)| *k != "x-probe")
            .map(|(k, v)| match v {
                Value::String(s) => Some((k.clone(), s.clone())),
                Value::Null => Some((k.clone(), String::new())),
                _ => None,
            })
            .collect(),
        _ => None,
    }
}

fn boolean(v: &Value) -> Option<bool> {
    match v {
        Value::Null => Some(false),
        Value::Bool(b) => Some(*b),
        _ => None,
    }
}

fn expected(objects: &[Value]) -> Option<Expected> {
    let mut e = Expected::default();
    for o in objects {
        let name = o["metadata"]["name"].as_str()?.to_owned();
        match o["kind"].as_str()? {
            "Pod" => {
                let labels = strings(&o["metadata"]["labels"])?;
                let host = boolean(&o["spec"]["hostNetwork"])?;
                e.workloads.insert(("Pod".into(), name), (labels, host, 1));
            }
            "Deployment" => {
                let t = &o["spec"]["template"];
                let labels = strings(&t["metadata"]["labels"])?;
                let host = boolean(&t["spec"]["hostNetwork"])?;
                let replicas = match &o["spec"]["replicas"] {
                    Value::Null => 1,
                    v => v.as_i64()?,
                };
                e.workloads
                    .insert(("Deployment".into(), name), (labels, host, replicas));
            }
            "NetworkPolicy" => {
                let selector = strings(&o["spec"]["podSelector"]["matchLabels"])?;
                // The API server refuses a policy whose port name is not one (`"0123"` has no
                // letter); we report it as invalid and leave it out, so it isolates nothing.
                let mut valid = true;
                for rule in o["spec"]["ingress"].as_array().into_iter().flatten() {
                    for p in rule["ports"].as_array().into_iter().flatten() {
                        match &p["port"] {
                            v @ Value::String(name) => {
                                valid &= is_port_name(name);
                                e.ports.push(v.clone())
                            }
                            v if v.as_i64().is_some() => e.ports.push(v.clone()),
                            _ => return None,
                        }
                    }
                }
                if valid {
                    e.selectors.push(selector);
                }
            }
            other => panic!("no expectation for kind {other}"),
        }
    }
    Some(e)
}

/// `IsValidPortName`: an IANA service name, 1 to 15 lowercase letters, digits and inner
/// single hyphens, with at least one letter.
fn is_port_name(s: &str) -> bool {
    (1..=15).contains(&s.len())
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && s.bytes().any(|b| b.is_ascii_lowercase())
        && !s.starts_with('-')
        && !s.ends_with('-')
        && !s.contains("--")
}

/// Checks one run of ours against kubectl's reading.
fn check(
    row: &str,
    mode: &str,
    bytes: &[u8],
    expected: &Option<Expected>,
    run: &Run,
    report: Option<Value>,
) {
    let context = format!("{row} ({mode}): stderr {}", run.stderr);
    let Some(e) = expected else {
        assert_eq!(run.code, 2, "kubectl refuses it, we must too: {context}");
        let line = marked_line(bytes);
        assert!(
            run.stderr.contains(&format!(":{line}:")),
            "the error must point at line {line}: {context}"
        );
        assert_eq!(run.stderr.lines().count(), 1, "{context}");
        return;
    };
    assert!(
        matches!(run.code, 0 | 1),
        "kubectl reads it, so must we: {context}"
    );
    let report = report.expect("a report");
    let workloads = report["workloads"].as_array().unwrap();
    assert_eq!(workloads.len(), e.workloads.len(), "{context}\n{report:#}");
    for ((kind, name), (labels, host, pods)) in &e.workloads {
        let w = workload(&report, kind, "shop", name);
        assert_eq!(w["hostNetwork"], *host, "hostNetwork: {context}");
        assert_eq!(w["pods"], *pods, "pods: {context}");
        let selected = e
            .selectors
            .iter()
            .any(|s| s.iter().all(|(k, v)| labels.get(k) == Some(v)));
        // NetworkPolicies do not apply to pods on the host's network.
        assert_eq!(
            w["ingress"]["isolated"],
            selected && !host,
            "isolation follows kubectl's labels {labels:?} and selectors {:?}: {context}",
            e.selectors
        );
    }
    let text = report["findings"].to_string();
    for port in &e.ports {
        match port {
            Value::String(name) => {
                assert!(
                    text.contains(name.as_str()),
                    "named port {name}: {context}\n{text}"
                )
            }
            n => assert!(
                text.contains(&format!("TCP {n}")),
                "port {n}: {context}\n{text}"
            ),
        }
    }
}

/// 1-based line of the `# <-` mark (in the decoded text for UTF-16 rows).
fn marked_line(bytes: &[u8]) -> usize {
    let utf16 = |rest: &[u8], little: bool| {
        let units: Vec<u16> = rest
            .chunks(2)
            .map(|c| {
                let pair = [c[0], *c.get(1).unwrap_or(&0)];
                if little {
                    u16::from_le_bytes(pair)
                } else {
                    u16::from_be_bytes(pair)
                }
            })
            .collect();
        String::from_utf16_lossy(&units)
    };
    let text = if let Some(rest) = bytes.strip_prefix(&[0xFF, 0xFE]) {
        utf16(rest, true)
    } else if let Some(rest) = bytes.strip_prefix(&[0xFE, 0xFF]) {
        utf16(rest, false)
    } else if bytes.get(1) == Some(&0) {
        utf16(bytes, true)
    } else {
        String::from_utf8_lossy(bytes).into_owned()
    };
    text.lines()
        .position(|l| l.contains("# <-"))
        .map_or(1, |i| i + 1)
}

#[test]
fn every_row_reads_as_kubectl_reads_it_in_every_mode() {
    let dir = tempfile::tempdir().unwrap();
    for (i, (row, bytes)) in rows().into_iter().enumerate() {
        let path = dir.path().join(format!("row{i}.yaml"));
        std::fs::write(&path, &bytes).unwrap();
        let expected = kubectl_read(&path).and_then(|objects| expected(&objects));
        let file = path.to_str().unwrap();

        let r = run(&["-f", file, "-o", "json"]);
        let report = serde_json::from_str(&r.stdout).ok();
        check(row, "-f FILE", &bytes, &expected, &r, report);

        let r = run_stdin(&["-f", "-", "-o", "json"], &bytes);
        let report = serde_json::from_str(&r.stdout).ok();
        check(row, "-f -", &bytes, &expected, &r, report);

        let report_file = dir.path().join(format!("report{i}.json"));
        let r = run_stdin(
            &[
                "post-render",
                "-o",
                "json",
                "--report-file",
                report_file.to_str().unwrap(),
            ],
            &bytes,
        );
        let report = std::fs::read(&report_file)
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok());
        if r.code != 2 {
            assert_eq!(
                r.stdout,
                String::from_utf8_lossy(&bytes),
                "{row}: post-render passes the input through"
            );
        }
        check(row, "post-render", &bytes, &expected, &r, report);
    }
}
