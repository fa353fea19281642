//! Writes the hostile inputs of the benchmarks (docs/benchmarks.md, "Hostile inputs") to
//! stdout, each next to the ordinary input of the same count it is measured against:
//!
//! ```text
//! cargo run --release --example hostile -- list-comments PODS COMMENT_LINES  # a List under comments
//! cargo run --release --example hostile -- documents PODS                    # the same pods, one per document
//! cargo run --release --example hostile -- statefulset PODS                  # one owner, per-pod labels
//! cargo run --release --example hostile -- pods PODS                         # the same pods, no owner
//! cargo run --release --example hostile -- markers BYTES                     # `---` lines, then a pod
//! ```

use std::io::{BufWriter, Write};

/// Pod `i` of StatefulSet `db`: like a StatefulSet's pods, each has a label of its own.
fn pod(out: &mut impl Write, i: usize, indent: &str, owned: bool) -> std::io::Result<()> {
    let owner = if owned {
        format!(
            "{indent}  ownerReferences: [{{apiVersion: apps/v1, kind: StatefulSet, name: db, uid: 7d2c, controller: true}}]\n"
        )
    } else {
        String::new()
    };
    write!(
        out,
        "{indent}apiVersion: v1\n{indent}kind: Pod\n{indent}metadata:\n{indent}  name: db-{i}\n{indent}  namespace: data\n{indent}  labels:\n{indent}    app: db\n{indent}    statefulset.kubernetes.io/pod-name: db-{i}\n{owner}{indent}spec:\n{indent}  containers:\n{indent}  - name: db\n{indent}    image: registry.example/postgres:16\n{indent}    ports: [{{name: pg, containerPort: 5432}}]\n"
    )
}

/// A namespace and a default deny, so that the run has a policy to evaluate.
fn preamble(out: &mut impl Write) -> std::io::Result<()> {
    out.write_all(
        b"apiVersion: v1\nkind: Namespace\nmetadata: {name: data}\n---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: data}\nspec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n---\n",
    )
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let number = |i: usize, default: usize| {
        args.get(i)
            .and_then(|a| a.replace('_', "").parse().ok())
            .unwrap_or(default)
    };
    let mut out = BufWriter::with_capacity(1 << 20, std::io::stdout().lock());
    match args.first().map(String::as_str) {
        Some("list-comments") => {
            for i in 0..number(2, 50_000) {
                writeln!(out, "# comment line {i} above the List")?;
            }
            out.write_all(b"apiVersion: v1\nkind: List\nitems:\n")?;
            for i in 0..number(1, 10_000) {
                out.write_all(b"- ")?;
                let mut item = Vec::new();
                pod(&mut item, i, "  ", false)?;
                // The first line of an item follows its `- `.
                out.write_all(&item[2..])?;
            }
        }
        Some("documents") => {
            preamble(&mut out)?;
            for i in 0..number(1, 10_000) {
                out.write_all(b"---\n")?;
                pod(&mut out, i, "", false)?;
            }
        }
        Some(kind @ ("statefulset" | "pods")) => {
            preamble(&mut out)?;
            let owned = kind == "statefulset";
            if owned {
                out.write_all(b"apiVersion: apps/v1\nkind: StatefulSet\nmetadata: {name: db, namespace: data}\nspec:\n  replicas: 3\n  selector: {matchLabels: {app: db}}\n  template:\n    metadata: {labels: {app: db}}\n    spec: {containers: [{name: db, image: registry.example/postgres:16}]}\n")?;
            }
            for i in 0..number(1, 50_000) {
                if owned || i > 0 {
                    out.write_all(b"---\n")?;
                }
                pod(&mut out, i, "", owned)?;
            }
        }
        Some("markers") => {
            let lines = number(1, 200_000_000) / 4;
            let chunk = "---\n".repeat(1 << 16);
            for _ in 0..lines >> 16 {
                out.write_all(chunk.as_bytes())?;
            }
            out.write_all("---\n".repeat(lines & 0xFFFF).as_bytes())?;
            // One object at the end, so that the input is not refused as holding none.
            pod(&mut out, 0, "", false)?;
        }
        _ => {
            eprintln!("usage: hostile list-comments|documents|statefulset|pods|markers [N [COMMENT_LINES]]");
            std::process::exit(2);
        }
    }
    out.flush()
}
