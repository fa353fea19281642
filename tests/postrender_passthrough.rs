//! The post-renderer never changes a byte of the chart: deleting the generated documents from
//! its output gives back the input, on random and hostile streams.

use std::io::Write;
use std::process::{Command, Stdio};

use netpol_check::analysis::Scope;
use netpol_check::generate::GenerateOptions;
use netpol_check::postrender::{render, PostRenderOptions};
use proptest::prelude::*;

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

/// Documents of every shape the stream may hold.
fn document() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("apiVersion: v1\nkind: Namespace\nmetadata:\n  name: shop\n".to_owned()),
        Just("apiVersion: v1\nkind: ResourceQuota\nmetadata:\n  name: q\nspec: {hard: {pods: \"1\"}}\n".to_owned()),
        Just("apiVersion: v1\nkind: Pod\nmetadata:\n  name: web\n  labels: {app: web}\nspec:\n  containers: []\n".to_owned()),
        Just("# Source: c/templates/d.yaml\napiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: 'd'   # comment\nspec:\n  template:\n    metadata: {labels: {app: d}}\n".to_owned()),
        Just("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: \"cm\"}\ndata:\n  a: &x \"1\"\n  b: *x\n  c: |\n    ---not a marker\n    text\n".to_owned()),
        Just("# only a comment\n".to_owned()),
        Just(String::new()),
        Just("apiVersion: example.com/v1\nkind: Widget\nmetadata: {name: w}\nspec: {template: 5, anything: [1, {2: 3}]}\n".to_owned()),
        Just("apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: deny, namespace: shop}\nspec: {podSelector: {}, policyTypes: [Ingress]}\n".to_owned()),
    ]
}

fn stream() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(document(), 0..6),
        any::<bool>(), // leading ---
        any::<bool>(), // CRLF
        any::<bool>(), // final newline
        any::<bool>(), // byte-order mark
        any::<bool>(), // `...` end marker before the last document
    )
        .prop_map(|(docs, leading, crlf, final_newline, bom, end_marker)| {
            let mut s = String::new();
            if leading {
                s.push_str("---\n");
            }
            for (i, d) in docs.iter().enumerate() {
                if i > 0 {
                    if end_marker && i == docs.len() - 1 {
                        s.push_str("...\n");
                    }
                    s.push_str("---\n");
                }
                s.push_str(d);
            }
            if !final_newline {
                while s.ends_with('\n') {
                    s.pop();
                }
            }
            if crlf {
                s = s.replace('\n', "\r\n");
            }
            let mut bytes = Vec::new();
            if bom {
                bytes.extend_from_slice(b"\xEF\xBB\xBF");
            }
            bytes.extend_from_slice(s.as_bytes());
            bytes
        })
}

fn options(generate: bool) -> PostRenderOptions {
    PostRenderOptions {
        release_namespace: "<release>".into(),
        include_hooks: false,
        scope: Scope::new(false, &[]).unwrap(),
        rules: Default::default(),
        analysis: Default::default(),
        generate: generate.then(GenerateOptions::default),
        release: None,
        graph: false,
    }
}

fn run_binary(input: &[u8], args: &[&str]) -> (i32, Vec<u8>, String) {
    let mut child = Command::new(BINARY)
        .arg("post-render")
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(input).unwrap();
    let out = child.wait_with_output().unwrap();
    (
        out.status.code().unwrap(),
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn deleting_generated_documents_gives_back_the_input(input in stream()) {
        let bom = if input.starts_with(b"\xEF\xBB\xBF") { 3 } else { 0 };
        let text = std::str::from_utf8(&input[bom..]).unwrap();
        let r = render(text, &options(true)).unwrap();
        let at = bom + r.insert_at;
        let mut out = input[..at].to_vec();
        out.extend_from_slice(r.generated.as_bytes());
        out.extend_from_slice(&input[at..]);
        // The block is contiguous, so removing it is exact.
        let mut back = out[..at].to_vec();
        back.extend_from_slice(&out[at + r.generated.len()..]);
        prop_assert_eq!(&back, &input);
        // Every input document is still a document of its own: the output has exactly the
        // input's documents plus the generated ones.
        let out_text = std::str::from_utf8(&out[bom..]).unwrap();
        let reparsed = render(out_text, &options(false)).unwrap();
        prop_assert_eq!(
            reparsed.report.summary.network_policies,
            r.report.summary.network_policies
        );
        prop_assert_eq!(reparsed.report.summary.workloads, r.report.summary.workloads);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn the_binary_echoes_every_byte(input in stream()) {
        let (code, stdout, stderr) = run_binary(&input, &["--fail-on=never"]);
        prop_assert_eq!(code, 0, "{}", stderr);
        prop_assert_eq!(stdout, input);
    }

    #[test]
    fn the_binary_only_adds_whole_documents(input in stream()) {
        let (code, stdout, stderr) = run_binary(&input, &["--fail-on=never", "--emit-default-deny"]);
        prop_assert_eq!(code, 0, "{}", stderr);
        // Find the inserted block: the output is input[..k] + block + input[k..] for some k.
        let extra = stdout.len() - input.len();
        let k = (0..=input.len())
            .find(|&k| stdout[..k] == input[..k] && stdout[k + extra..] == input[k..]);
        prop_assert!(k.is_some(), "output is not the input plus one block");
        let block = std::str::from_utf8(&stdout[k.unwrap()..k.unwrap() + extra]).unwrap();
        prop_assert!(block.is_empty() || block.trim_start_matches('\n').starts_with("---\n"), "{:?}", block);
    }
}

#[test]
fn unknown_kinds_with_odd_shapes_and_alias_heavy_documents_pass_through() {
    let mut input =
        String::from("apiVersion: example.com/v1\nkind: Bomb\nmetadata: {name: b}\ndata:\n");
    input.push_str(
        "  a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n",
    );
    for w in ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'].windows(2) {
        input.push_str(&format!(
            "  {}: &{} [{}]\n",
            w[1],
            w[1],
            vec![format!("*{}", w[0]); 9].join(",")
        ));
    }
    let (code, stdout, stderr) = run_binary(input.as_bytes(), &[]);
    assert_eq!(code, 0, "{stderr}");
    assert_eq!(stdout, input.as_bytes());
}

#[test]
fn invalid_input_exits_2_with_the_position() {
    let (code, _, stderr) = run_binary(b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: [x\n", &[]);
    assert_eq!(code, 2);
    assert!(stderr.starts_with("error: <stdin>:5:1:"), "{stderr}");
}
