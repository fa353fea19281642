//! What the tests of documentation cases (calico_docs, cilium_docs) share: a corpus directory
//! of `<case>.yaml` files, each with its `<case>.expected`, their connection lines, and reading
//! a case into an inventory.
#![allow(dead_code)]

use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use netpol_check::connectivity::reach::End;
use netpol_check::model::{Inventory, Protocol};
use netpol_check::source::manifests::{build_inventory, parse_all, Loaded, ManifestOptions};

/// `tests/fixtures/<corpus>`.
pub fn dir(corpus: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(corpus)
}

/// Every case of a corpus, by name, sorted; at least `at_least` (the corpus is in place).
pub fn cases(corpus: &str, at_least: usize) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir(corpus))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert!(names.len() >= at_least, "the corpus is in place: {names:?}");
    names
}

/// One `SRC -> DST PROTO/PORT allowed|denied|unknown` line.
#[derive(Debug)]
pub struct Connection {
    pub line: usize,
    pub text: String,
    pub source: String,
    pub destination: String,
    pub protocol: Protocol,
    pub port: u16,
    pub verdict: String,
}

/// Reads line `i` (0-based) of `path`, `raw` as written and `line` without its comment.
pub fn connection(path: &Path, i: usize, raw: &str, line: &str) -> Connection {
    let words: Vec<&str> = line.split_whitespace().collect();
    let [source, "->", destination, port, verdict] = words[..] else {
        panic!("{}:{}: not a connection: {raw}", path.display(), i + 1);
    };
    let (protocol, number) = port.split_once('/').expect("PROTO/PORT");
    assert!(
        ["allowed", "denied", "unknown"].contains(&verdict),
        "{}:{}: {verdict}",
        path.display(),
        i + 1
    );
    Connection {
        line: i + 1,
        text: line.to_owned(),
        source: source.to_owned(),
        destination: destination.to_owned(),
        protocol: Protocol::parse(&protocol.to_ascii_uppercase()).expect("tcp, udp or sctp"),
        port: number.parse().expect("a port number"),
        verdict: verdict.to_owned(),
    }
}

/// A case's inventory, and its text.
pub fn inventory(corpus: &str, case: &str) -> (Inventory, String) {
    let path = dir(corpus).join(format!("{case}.yaml"));
    let text = std::fs::read_to_string(&path).unwrap();
    let loaded = [Loaded {
        name: Arc::from(format!("tests/fixtures/{corpus}/{case}.yaml").as_str()),
        text: text.clone(),
    }];
    let parsed =
        parse_all(&loaded, &ManifestOptions::default()).unwrap_or_else(|e| panic!("{case}: {e}"));
    (build_inventory(parsed), text)
}

/// A connection's end: `namespace/name` of a workload, or an address.
pub fn end(inventory: &Inventory, case: &str, name: &str) -> End {
    if let Ok(ip) = name.parse::<IpAddr>() {
        return End::Address(ip);
    }
    let (ns, workload) = name.split_once('/').expect("namespace/name or an address");
    let index = inventory
        .workloads
        .iter()
        .position(|w| w.namespace == ns && w.name == workload)
        .unwrap_or_else(|| panic!("{case}: no workload {name}"));
    End::Workload(index)
}

/// Asks `reach` for each expected connection of a case; what disagrees (or fails) goes into
/// `failures`, as `case.expected:LINE: TEXT: ...`. Returns how many were answered.
pub fn check_connections(
    case: &str,
    inventory: &Inventory,
    expected: &[Connection],
    failures: &mut Vec<String>,
) -> usize {
    use netpol_check::connectivity::reach::{reach, PortSpec};
    let engine = netpol_check::connectivity::Engine::new(inventory);
    let mut checked = 0;
    for e in expected {
        let source = end(inventory, case, &e.source);
        let destination = end(inventory, case, &e.destination);
        let spec = PortSpec::Number(e.port);
        let got = match reach(&engine, source, destination, Some((e.protocol, &spec))) {
            Ok(r) if r.allowed => "allowed",
            Ok(r) if r.unknown.is_some() => "unknown",
            Ok(_) => "denied",
            Err(err) => {
                failures.push(format!("{case}.expected:{}: {}: {err}", e.line, e.text));
                continue;
            }
        };
        checked += 1;
        if got != e.verdict {
            failures.push(format!("{case}.expected:{}: {}: got {got}", e.line, e.text));
        }
    }
    checked
}
