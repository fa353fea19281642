//! The fuzz targets' invariants (fuzz/invariants.rs) as property tests, so that they run on
//! every `cargo test` without a nightly toolchain: on streams built from the documents of the
//! repository's real manifests (examples/, tests/fixtures/), joined at random and then mutated
//! (bytes cut out, hostile fragments and lines of other manifests put in, lines repeated or
//! re-indented).

#[path = "../fuzz/invariants.rs"]
mod invariants;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use netpol_check::source::documents;
use proptest::prelude::*;

/// Fragments that YAML, JSON and the analysis find hard: anchors and aliases, flow and block
/// syntax, markers, quotes, escapes and terminal control sequences, odd scalars.
const HOSTILE: &[&str] = &[
    "&a ",
    "*a",
    "<<: *a\n",
    "{",
    "}",
    "[",
    "]",
    ", ",
    ": ",
    "- ",
    "? ",
    "|\n",
    ">-\n",
    "#",
    "\t",
    "\r\n",
    "\n",
    "---\n",
    "...\n",
    "--- ",
    "\"",
    "'",
    "\\",
    "\\u0000",
    "\\e[31m",
    "\u{1b}[2J",
    "\u{202e}",
    "\u{feff}",
    "\u{2028}",
    "\0",
    "!!binary ",
    "!!str ",
    "~",
    "null",
    "0x1F",
    "1e400",
    "-1",
    "99999999999999999999",
    "name: x\n",
    "namespace: kube-system\n",
    "kind: NetworkPolicy\n",
    "kind: Pod\n",
    "podSelector: {}\n",
    "policyTypes: [Egress]\n",
    "netpol-check.io/ignore: NPC001\n",
    "helm.sh/hook: pre-install\n",
];

/// The non-blank documents of every manifest in examples/ and tests/fixtures/, and their lines.
fn pool() -> &'static (Vec<String>, Vec<String>) {
    static POOL: OnceLock<(Vec<String>, Vec<String>)> = OnceLock::new();
    POOL.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let mut files = Vec::new();
        for dir in ["examples", "tests/fixtures"] {
            collect(&root.join(dir), &mut files);
        }
        files.sort();
        let mut docs = Vec::new();
        for file in files {
            let Ok(text) = std::fs::read_to_string(&file) else {
                continue;
            };
            for doc in documents::split(&text) {
                if !doc.is_blank() {
                    docs.push(doc.text.to_owned());
                }
            }
        }
        assert!(docs.len() > 20, "too few manifests to build streams from");
        let lines = docs
            .iter()
            .flat_map(|d| d.lines().map(|l| format!("{l}\n")))
            .collect();
        (docs, lines)
    })
}

fn collect(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect(&path, out);
        } else if path
            .extension()
            .is_some_and(|e| e == "yaml" || e == "yml" || e == "json")
        {
            out.push(path);
        }
    }
}

/// The items of the pool's documents as JSON values, for list pages.
fn json_items() -> &'static Vec<serde_json::Value> {
    static ITEMS: OnceLock<Vec<serde_json::Value>> = OnceLock::new();
    ITEMS.get_or_init(|| {
        pool()
            .0
            .iter()
            .filter_map(|d| serde_norway::from_str::<serde_json::Value>(d).ok())
            .filter(|v| v.is_object())
            .collect()
    })
}

/// One edit of a stream: what, and where (taken modulo the stream's length).
type Mutation = (u8, usize, usize);

fn mutate(mut text: String, mutations: &[Mutation]) -> String {
    let (_, lines) = pool();
    for &(kind, at, what) in mutations {
        let at = floor_boundary(&text, at % (text.len() + 1));
        match kind % 5 {
            0 => {
                let end = floor_boundary(&text, (at + what % 64).min(text.len()));
                text.replace_range(at..end, "");
            }
            1 => text.insert_str(at, HOSTILE[what % HOSTILE.len()]),
            2 => {
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                text.insert_str(start, &lines[what % lines.len()]);
            }
            3 => {
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                let end = text[at..].find('\n').map_or(text.len(), |i| at + i + 1);
                let line = text[start..end].to_owned();
                text.insert_str(end, &line);
            }
            _ => {
                let start = text[..at].rfind('\n').map_or(0, |i| i + 1);
                if what % 2 == 0 {
                    text.insert_str(start, &" ".repeat(1 + what % 4));
                } else if text[start..].starts_with(' ') {
                    text.remove(start);
                }
            }
        }
    }
    text
}

fn floor_boundary(text: &str, mut at: usize) -> usize {
    while !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// A stream of real documents, joined with markers (or not, CRLF or not), then mutated.
fn stream() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(any::<prop::sample::Index>(), 0..5),
        prop::collection::vec(any::<Mutation>(), 0..5),
        any::<(bool, bool, bool)>(),
    )
        .prop_map(|(picks, mutations, (leading, crlf, bom))| {
            let (docs, _) = pool();
            let mut text = String::new();
            if bom {
                text.push('\u{feff}');
            }
            for (i, pick) in picks.iter().enumerate() {
                if leading || i > 0 {
                    text.push_str("---\n");
                }
                text.push_str(&docs[pick.index(docs.len())]);
            }
            if crlf {
                text = text.replace('\n', "\r\n");
            }
            mutate(text, &mutations).into_bytes()
        })
}

/// A list response's body: items of the pool with a continue token, then mutated.
fn page() -> impl Strategy<Value = Vec<u8>> {
    (
        prop::collection::vec(any::<prop::sample::Index>(), 0..6),
        prop::collection::vec(any::<Mutation>(), 0..4),
        any::<bool>(),
    )
        .prop_map(|(picks, mutations, more)| {
            let items = json_items();
            let chosen: Vec<&serde_json::Value> =
                picks.iter().map(|p| &items[p.index(items.len())]).collect();
            let page = serde_json::json!({
                "kind": "List",
                "apiVersion": "v1",
                "metadata": {"continue": if more { "eyJ2IjoibWV0YSJ9" } else { "" }},
                "items": chosen,
            });
            mutate(page.to_string(), &mutations).into_bytes()
        })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn manifests_through_analysis_and_every_output(input in stream()) {
        invariants::manifests(&input);
    }

    #[test]
    fn post_render_keeps_the_input_and_adds_whole_documents_under_new_names(input in stream()) {
        invariants::postrender(&input);
    }

    #[test]
    fn cluster_pages_decode_fold_and_print(body in page()) {
        invariants::cluster_page(&body);
    }
}

#[test]
fn most_unmutated_documents_are_read() {
    // The properties say little if every stream is refused before analysis: most documents of
    // the pool, whole, are valid (the rest are the fixtures of bad input).
    let (docs, _) = pool();
    let options = netpol_check::source::manifests::ManifestOptions::default();
    let read = docs
        .iter()
        .filter(|text| {
            let loaded = [netpol_check::source::manifests::Loaded {
                name: "pool.yaml".into(),
                text: text.to_string(),
            }];
            netpol_check::source::manifests::parse_all(&loaded, &options).is_ok()
        })
        .count();
    assert!(read * 5 >= docs.len() * 4, "{read} of {} read", docs.len());
}
