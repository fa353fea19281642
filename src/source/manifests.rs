//! Manifest files and stdin (`-f`): read, split into documents, parse in parallel, and fold
//! into one inventory.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Error, Location};
use crate::model::{Inventory, Namespace, Workload, WorkloadKind};

use super::documents::{self, Document};
use super::objects::RawObject;
use super::paths::Input;
use super::stream::{convert, parse_yaml_document, DocContext, Parsed, ParsedWorkload};

#[derive(Debug, Clone)]
pub struct ManifestOptions {
    /// Namespace of objects that name none.
    pub default_namespace: String,
    /// Leave out workloads marked as Helm hooks (post-render mode).
    pub skip_helm_hooks: bool,
}

impl Default for ManifestOptions {
    fn default() -> Self {
        ManifestOptions {
            default_namespace: "default".to_owned(),
            skip_helm_hooks: false,
        }
    }
}

/// An input read into memory.
pub struct Loaded {
    pub name: Arc<str>,
    pub text: String,
}

/// Reads an input's bytes, unchanged.
pub fn read_bytes(input: &Input) -> Result<Vec<u8>, Error> {
    let mut bytes = Vec::new();
    let result = match input {
        Input::Stdin => std::io::stdin().lock().read_to_end(&mut bytes),
        Input::File(path) => std::fs::File::open(path).and_then(|mut f| f.read_to_end(&mut bytes)),
    };
    result.map_err(|e| Error::io(input.display_name(), &e))?;
    Ok(bytes)
}

/// Reads an input fully. Text must be UTF-8, as Kubernetes requires; the error says where the
/// first offending byte is.
pub fn read_input(input: &Input) -> Result<Loaded, Error> {
    let name: Arc<str> = input.display_name().into();
    let text = decode(&name, read_bytes(input)?)?;
    Ok(Loaded { name, text })
}

/// Checks UTF-8 and drops a byte-order mark.
pub fn decode(name: &Arc<str>, bytes: Vec<u8>) -> Result<String, Error> {
    let bom = bom_len(&bytes);
    let mut bytes = bytes;
    bytes.drain(..bom);
    // Validated once, by the conversion; the error is then worked out from the bytes.
    String::from_utf8(bytes).map_err(|e| match check_utf8(name, e.as_bytes()) {
        Err(located) => located,
        Ok(_) => unreachable!("from_utf8 and check_utf8 disagree"),
    })
}

/// The length of a UTF-8 byte-order mark at the start of `bytes` (0 or 3).
pub fn bom_len(bytes: &[u8]) -> usize {
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        3
    } else {
        0
    }
}

/// `bytes` as text, or an error naming the line and column of the first byte that is not
/// UTF-8.
pub fn check_utf8<'a>(name: &Arc<str>, bytes: &'a [u8]) -> Result<&'a str, Error> {
    std::str::from_utf8(bytes).map_err(|e| {
        let bad = e.valid_up_to();
        let (line, column) = documents::position(bytes, bad);
        Error::Input {
            location: Location {
                file: name.clone(),
                line,
                column,
            },
            message: format!(
                "not UTF-8 text (byte 0x{:02x}): is this a binary file?",
                bytes[bad]
            ),
            object: None,
        }
    })
}

/// Reads every input and builds the inventory.
pub fn load(inputs: &[Input], options: &ManifestOptions) -> Result<Inventory, Error> {
    let loaded = inputs
        .iter()
        .map(read_input)
        .collect::<Result<Vec<_>, _>>()?;
    let parsed = parse_all(&loaded, options)?;
    Ok(build_inventory(parsed))
}

/// One document to parse, with what its objects' origins say.
#[derive(Debug, Clone)]
pub struct Job<'a> {
    pub file: Arc<str>,
    pub doc: Document<'a>,
    /// The whole input is JSON (one or more concatenated objects).
    pub json: bool,
    /// Lines before this one do not count in origins (Helm's `# Source:` line).
    pub line_base: u32,
}

/// The documents of loaded inputs, as parse jobs.
pub fn jobs(loaded: &[Loaded]) -> Vec<Job<'_>> {
    let mut jobs = Vec::new();
    for input in loaded {
        if input.text.trim_start().starts_with('{') {
            let doc = Document {
                text: &input.text,
                offset: 0,
                line: 1,
                marker: None,
            };
            jobs.push(Job {
                file: input.name.clone(),
                doc,
                json: true,
                line_base: 0,
            });
        } else {
            jobs.extend(documents::split(&input.text).into_iter().map(|doc| Job {
                file: input.name.clone(),
                doc,
                json: false,
                line_base: 0,
            }));
        }
    }
    jobs
}

/// Parses loaded inputs, documents in parallel, objects in input order. The first error in
/// input order wins, so messages do not depend on thread timing.
pub fn parse_all(loaded: &[Loaded], options: &ManifestOptions) -> Result<Vec<Parsed>, Error> {
    let documents = jobs(loaded);
    let per_document = parse_jobs(&documents, options)?;
    let mut all = Vec::with_capacity(per_document.iter().map(Vec::len).sum());
    for objects in per_document {
        all.extend(objects);
    }
    Ok(all)
}

/// Parses jobs in parallel; the objects of each document, in order.
pub fn parse_jobs(jobs: &[Job<'_>], options: &ManifestOptions) -> Result<Vec<Vec<Parsed>>, Error> {
    let results: Vec<Result<Vec<Parsed>, Error>> = jobs
        .par_iter()
        .with_min_len(64)
        .map(|job| {
            let ctx = DocContext {
                file: &job.file,
                doc: &job.doc,
                default_namespace: &options.default_namespace,
                line_base: job.line_base,
                skip_helm_hooks: options.skip_helm_hooks,
            };
            if job.json {
                parse_json(ctx)
            } else {
                parse_yaml_document(ctx)
            }
        })
        .collect();
    results.into_iter().collect()
}

/// JSON input (`kubectl get -o json`), possibly several concatenated objects. serde_json is much
/// faster than a YAML parser on it; anything it cannot take goes through the YAML path, which
/// reads JSON too and has the precise error handling.
fn parse_json(ctx: DocContext<'_>) -> Result<Vec<Parsed>, Error> {
    let stream = serde_json::Deserializer::from_str(ctx.doc.text).into_iter::<RawObject>();
    let mut out = Vec::new();
    for obj in stream {
        match obj {
            Ok(obj) => out.extend(convert(obj, &ctx, "")?),
            Err(_) => return parse_yaml_document(ctx),
        }
    }
    Ok(out)
}

/// Folds parsed objects into an inventory: objects whose ownerReferences name another workload
/// of the input are folded into their top-level owner.
pub fn build_inventory(parsed: Vec<Parsed>) -> Inventory {
    let mut inventory = Inventory::default();
    let mut namespaces: BTreeMap<String, Namespace> = BTreeMap::new();
    let mut workloads: Vec<ParsedWorkload> = Vec::new();
    for p in parsed {
        match p {
            Parsed::Namespace(ns) => {
                namespaces.entry(ns.name.clone()).or_insert(ns);
            }
            Parsed::Policy(p) => inventory.policies.push(p),
            Parsed::Workload(w) => workloads.push(w),
            Parsed::Skipped(kind) => *inventory.skipped_kinds.entry(kind).or_default() += 1,
        }
    }
    inventory.namespaces = namespaces.into_values().collect();
    (inventory.workloads, inventory.pod_owners) = fold_owners(workloads);
    inventory
}

/// For each workload, the one it folds into: the top of its chain of owners among the
/// workloads (itself when it has none).
fn owner_roots(workloads: &[ParsedWorkload]) -> Vec<usize> {
    // Borrowed keys: 100,000 workloads, two string copies each, showed up in profiles.
    let index: HashMap<(&str, WorkloadKind, &str), usize> = workloads
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let w = &w.workload;
            ((w.namespace.as_str(), w.kind, w.name.as_str()), i)
        })
        .collect();
    let parent = |i: usize| -> Option<usize> {
        let w = &workloads[i];
        w.owners.iter().find_map(|(kind, name)| {
            let kind = WorkloadKind::parse(kind)?;
            index
                .get(&(w.workload.namespace.as_str(), kind, name.as_str()))
                .copied()
                .filter(|&p| p != i)
        })
    };
    // Owner chains are short (Pod -> ReplicaSet -> Deployment); the bound stops a cycle of
    // hand-written ownerReferences.
    (0..workloads.len())
        .map(|i| {
            let mut cur = i;
            for _ in 0..8 {
                match parent(cur) {
                    Some(p) => cur = p,
                    None => break,
                }
            }
            cur
        })
        .collect()
}

/// Folds each workload into its top owner. A Pod whose controller is not in the input (a dump
/// of `kubectl get pods`) is grouped under that controller, as the cluster source does, so its
/// pods are one workload named like the cluster would name it. Also returns, for every folded
/// Pod, the workload it went into.
fn fold_owners(workloads: Vec<ParsedWorkload>) -> (Vec<Workload>, PodOwners) {
    let top = owner_roots(&workloads);
    let mut folded_pods = vec![0u32; workloads.len()];
    let mut folded_labels: Vec<Vec<crate::model::Labels>> = vec![Vec::new(); workloads.len()];
    let mut slots: Vec<Option<Workload>> = Vec::with_capacity(workloads.len());
    let mut pod_owners = PodOwners::new();
    let mut folded_into: Vec<(String, String, usize)> = Vec::new();
    // Controllers missing from the input, by (namespace, kind, name): the slot standing in.
    let mut adopted: HashMap<(String, WorkloadKind, String), usize> = HashMap::new();
    for (i, pw) in workloads.into_iter().enumerate() {
        let t = top[i];
        if t == i {
            let missing_owner = (pw.workload.kind == WorkloadKind::Pod)
                .then(|| {
                    pw.owners.iter().find_map(|(kind, name)| {
                        WorkloadKind::parse(kind)
                            .filter(|k| *k != WorkloadKind::Pod)
                            .map(|k| (k, name))
                    })
                })
                .flatten();
            let Some((kind, owner)) = missing_owner else {
                slots.push(Some(pw.workload));
                continue;
            };
            let mut w = pw.workload;
            pod_owners.insert(
                (w.namespace.clone(), std::mem::take(&mut w.name)),
                (kind, owner.clone()),
            );
            let key = (w.namespace.clone(), kind, owner.clone());
            if let Some(&slot) = adopted.get(&key) {
                folded_pods[slot] += 1;
                folded_labels[slot].extend(w.label_sets);
                slots.push(None);
            } else {
                adopted.insert(key, i);
                w.kind = kind;
                w.name = owner.clone();
                folded_pods[i] = 1;
                slots.push(Some(w));
            }
            continue;
        }
        if pw.workload.kind == WorkloadKind::Pod {
            folded_pods[t] += 1;
            // The owner may come later in the input: named once all slots are filled.
            folded_into.push((pw.workload.namespace, pw.workload.name, t));
        }
        folded_labels[t].extend(pw.workload.label_sets);
        slots.push(None);
    }
    for (namespace, pod, t) in folded_into {
        if let Some(owner) = &slots[t] {
            pod_owners.insert((namespace, pod), (owner.kind, owner.name.clone()));
        }
    }
    let mut out = Vec::with_capacity(slots.len());
    for (i, slot) in slots.into_iter().enumerate() {
        let Some(mut w) = slot else { continue };
        for labels in std::mem::take(&mut folded_labels[i]) {
            if !w.label_sets.contains(&labels) {
                w.label_sets.push(labels);
            }
        }
        if folded_pods[i] > 0 {
            w.pods = folded_pods[i];
        }
        out.push(w);
    }
    (out, pod_owners)
}

type PodOwners = std::collections::BTreeMap<(String, String), (WorkloadKind, String)>;
