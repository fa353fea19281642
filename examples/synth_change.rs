//! The `diff` benchmark's second revision: a synthetic cluster with one policy in a hundred and
//! one workload in a hundred changed, as a pull request that touches many teams would.
//!
//! cargo run --release --example synth_change -- [--every N] cluster.yaml > cluster-changed.yaml
//!
//! Every Nth NetworkPolicy (default 100) has its first `app:` value renamed (its podSelector or
//! a peer's then selects other pods) or, without one, its first port moved up by one; every Nth
//! workload has its `app:` label renamed in the whole document (selector and template alike,
//! so that the object stays valid). Everything else is copied byte for byte.

use std::io::Write;

fn main() {
    let mut args = std::env::args().skip(1);
    let mut every = 100usize;
    let mut file = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--every" => {
                every = args
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .unwrap_or_else(|| usage())
            }
            _ if file.is_none() => file = Some(a),
            _ => usage(),
        }
    }
    let Some(file) = file else { usage() };
    let text = std::fs::read_to_string(&file).unwrap_or_else(|e| {
        eprintln!("{file}: {e}");
        std::process::exit(2)
    });
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    let (mut policies, mut workloads) = (0usize, 0usize);
    for (i, doc) in text.split("\n---\n").enumerate() {
        if i > 0 {
            out.write_all(b"\n---\n").unwrap();
        }
        let changed = if doc.contains("kind: NetworkPolicy") {
            policies += 1;
            (policies % every == 0).then(|| change_policy(doc))
        } else if is_workload(doc) {
            workloads += 1;
            (workloads % every == 0).then(|| rename_app(doc, None))
        } else {
            None
        };
        out.write_all(changed.as_deref().unwrap_or(doc).as_bytes())
            .unwrap();
    }
}

fn usage() -> ! {
    eprintln!("usage: synth_change [--every N] FILE > FILE");
    std::process::exit(2)
}

fn is_workload(doc: &str) -> bool {
    [
        "kind: Pod",
        "kind: Deployment",
        "kind: StatefulSet",
        "kind: DaemonSet",
        "kind: Job",
        "kind: CronJob",
        "kind: ReplicaSet",
        "kind: ReplicationController",
    ]
    .iter()
    .any(|k| doc.lines().any(|l| l.trim_end() == *k))
}

/// Every `app: VALUE` of the document (or only the first when `only_first`) becomes
/// `app: VALUE-v2`.
fn rename_app(doc: &str, only_first: Option<()>) -> String {
    let mut out = String::with_capacity(doc.len() + 16);
    let mut rest = doc;
    while let Some(at) = rest.find("app: ") {
        let value_start = at + "app: ".len();
        let value_len = rest[value_start..]
            .find([',', '}', '\n', ' '])
            .unwrap_or(rest.len() - value_start);
        out.push_str(&rest[..value_start + value_len]);
        out.push_str("-v2");
        rest = &rest[value_start + value_len..];
        if only_first.is_some() {
            break;
        }
    }
    out.push_str(rest);
    out
}

fn change_policy(doc: &str) -> String {
    if doc.contains("app: ") {
        return rename_app(doc, Some(()));
    }
    if let Some(at) = doc.find("port: ") {
        let start = at + "port: ".len();
        let len = doc[start..]
            .find(|c: char| !c.is_ascii_digit())
            .unwrap_or(doc.len() - start);
        if let Ok(n) = doc[start..start + len].parse::<u32>() {
            return format!("{}{}{}", &doc[..start], n % 65535 + 1, &doc[start + len..]);
        }
    }
    doc.to_owned()
}
