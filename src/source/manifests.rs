//! Manifest files and stdin (`-f`): read, split into documents, parse in parallel, and fold
//! into one inventory.

use std::collections::BTreeMap;
use std::io::Read;
use std::sync::Arc;

use rayon::prelude::*;

use crate::error::{Error, Location};
use crate::model::{Inventory, Namespace, Workload, WorkloadKind};

use super::documents::{self, Document};
use super::objects::RawObject;
use super::paths::Input;
use super::rendered::Rendered;
use super::stream::{convert, parse_yaml_document, DocContext, Parsed};

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

/// The most one input may hold (1 GiB), so that a device, a FIFO that never ends or a stray
/// disk image is refused instead of read until memory runs out.
pub const MAX_INPUT_BYTES: u64 = 1 << 30;

/// Reads an input's bytes, unchanged; more than [`MAX_INPUT_BYTES`] is an error, found before
/// reading for a regular file and after reading one byte past the limit otherwise.
pub fn read_bytes(input: &Input) -> Result<Vec<u8>, Error> {
    let name = input.display_name();
    let mut bytes = Vec::new();
    let result = match input {
        Input::Stdin => read_bounded(&mut std::io::stdin().lock(), MAX_INPUT_BYTES, &mut bytes),
        Input::File(path) => std::fs::File::open(path).and_then(|mut f| {
            let meta = f.metadata()?;
            if meta.is_file() && meta.len() > MAX_INPUT_BYTES {
                return Ok(false);
            }
            // Through `take`, reading to the end no longer sees the file's size: it would grow
            // the buffer by doubling, and a 200 MB file peaked at 464 MB instead of 200.
            if meta.is_file() {
                if meta.len() >= HALVES_FROM && read_halves(&f, meta.len() as usize, &mut bytes)? {
                    return Ok(true);
                }
                bytes.reserve_exact(meta.len() as usize + 1);
            }
            read_bounded(&mut f, MAX_INPUT_BYTES, &mut bytes)
        }),
    };
    match result.map_err(|e| Error::io(&name, &e))? {
        true => Ok(bytes),
        false => Err(Error::Io {
            path: name,
            message: format!(
                "larger than {} GiB, the most one input may be",
                MAX_INPUT_BYTES >> 30
            ),
        }),
    }
}

/// Files from this size are read in two halves, one per core.
const HALVES_FROM: u64 = 4 << 20;

/// Reads a regular file of `len` bytes in two halves side by side: the copy and the faulting
/// in of the buffer's pages were one core's work for the first few hundredths of a second of a
/// large run, with the other idle. False (and `bytes` empty) when the file turned out not to
/// be `len` bytes long, for the caller to read it as any other.
#[cfg(unix)]
fn read_halves(f: &std::fs::File, len: usize, bytes: &mut Vec<u8>) -> std::io::Result<bool> {
    use std::os::unix::fs::FileExt;
    // A buffer this large usually comes as fresh pages from the system, already zeroed: their
    // first touch, and the fault, is then the read's, on its core.
    let mut buffer = vec![0u8; len];
    let (first, second) = buffer.split_at_mut(len / 2);
    let offset = first.len() as u64;
    let read = |half: &mut [u8], at: u64| match f.read_exact_at(half, at) {
        Ok(()) => Ok(true),
        Err(e) if e.kind() == std::io::ErrorKind::UnexpectedEof => Ok(false),
        Err(e) => Err(e),
    };
    let (a, b) = rayon::join(|| read(first, 0), || read(second, offset));
    // Nothing past the end either: the file did not grow since its size was read.
    let whole = a? && b? && f.read_at(&mut [0u8], len as u64)? == 0;
    if whole {
        *bytes = buffer;
    }
    Ok(whole)
}

#[cfg(not(unix))]
fn read_halves(_: &std::fs::File, _: usize, _: &mut Vec<u8>) -> std::io::Result<bool> {
    Ok(false)
}

/// Reads to the end unless more than `limit` bytes come: false then, with one byte past the
/// limit read and no more.
fn read_bounded(reader: &mut impl Read, limit: u64, bytes: &mut Vec<u8>) -> std::io::Result<bool> {
    reader.take(limit + 1).read_to_end(bytes)?;
    Ok(bytes.len() as u64 <= limit)
}

/// Reads an input fully. Text must be UTF-8, or UTF-16 with a byte-order mark (which kubectl
/// reads too); the error says where the first offending byte is.
pub fn read_input(input: &Input) -> Result<Loaded, Error> {
    let name: Arc<str> = input.display_name().into();
    let text = decode(&name, read_bytes(input)?)?;
    Ok(Loaded { name, text })
}

/// Checks UTF-8 and drops a byte-order mark; UTF-16 with a byte-order mark is converted.
pub fn decode(name: &Arc<str>, bytes: Vec<u8>) -> Result<String, Error> {
    if let Some(little_endian) = utf16_bom(&bytes) {
        return decode_utf16(name, &bytes[2..], little_endian);
    }
    let bom = bom_len(&bytes);
    let mut bytes = bytes;
    bytes.drain(..bom);
    // Validated once, by the conversion; the error is then worked out from the bytes.
    String::from_utf8(bytes).map_err(|e| match check_utf8(name, e.as_bytes()) {
        Err(located) => located,
        Ok(_) => unreachable!("from_utf8 and check_utf8 disagree"),
    })
}

/// Whether `bytes` open with a UTF-16 byte-order mark, and then whether little-endian. Without
/// one, kubectl refuses UTF-16 (its NUL bytes are control characters), and so do we.
pub fn utf16_bom(bytes: &[u8]) -> Option<bool> {
    match bytes {
        [0xFF, 0xFE, ..] => Some(true),
        [0xFE, 0xFF, ..] => Some(false),
        _ => None,
    }
}

/// UTF-16 text (after its byte-order mark) as a `String`, or an error at the first unpaired
/// surrogate.
pub fn decode_utf16(name: &Arc<str>, bytes: &[u8], little_endian: bool) -> Result<String, Error> {
    let units = bytes.chunks(2).map(|c| match (c, little_endian) {
        ([a, b], true) => u16::from_le_bytes([*a, *b]),
        ([a, b], false) => u16::from_be_bytes([*a, *b]),
        // An odd last byte: not a code unit, reported as an unpaired surrogate would be.
        _ => 0xD800,
    });
    let mut text = String::with_capacity(bytes.len() / 2);
    for c in char::decode_utf16(units) {
        match c {
            Ok(c) => text.push(c),
            Err(e) => {
                let line = text.matches('\n').count() as u32 + 1;
                let column = text.rsplit('\n').next().unwrap_or("").chars().count() as u32 + 1;
                return Err(Error::Input {
                    location: Location {
                        file: name.clone(),
                        line,
                        column,
                    },
                    message: format!(
                        "not UTF-16 text (unpaired surrogate 0x{:04x})",
                        e.unpaired_surrogate()
                    ),
                    object: None,
                });
            }
        }
    }
    Ok(text)
}

/// A stream's bytes as text, for output that must keep them as they came (post-render).
pub struct Decoded<'a> {
    pub text: std::borrow::Cow<'a, str>,
    /// Bytes before the text: a byte-order mark.
    bom: usize,
    /// UTF-16, and whether little-endian.
    utf16: Option<bool>,
}

impl<'a> Decoded<'a> {
    pub fn new(name: &Arc<str>, bytes: &'a [u8]) -> Result<Decoded<'a>, Error> {
        if let Some(little_endian) = utf16_bom(bytes) {
            return Ok(Decoded {
                text: decode_utf16(name, &bytes[2..], little_endian)?.into(),
                bom: 2,
                utf16: Some(little_endian),
            });
        }
        let bom = bom_len(bytes);
        Ok(Decoded {
            text: check_utf8(name, &bytes[bom..])?.into(),
            bom,
            utf16: None,
        })
    }

    /// Where the text's byte offset `at` is in the input bytes, and `insert` encoded as the
    /// input is.
    pub fn encode_at(&self, at: usize, insert: &str) -> (usize, Vec<u8>) {
        match self.utf16 {
            None => (self.bom + at, insert.as_bytes().to_vec()),
            Some(little_endian) => {
                let units = self.text[..at].encode_utf16().count();
                let bytes = insert
                    .encode_utf16()
                    .flat_map(|u| {
                        if little_endian {
                            u.to_le_bytes()
                        } else {
                            u.to_be_bytes()
                        }
                    })
                    .collect();
                (self.bom + 2 * units, bytes)
            }
        }
    }
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
    let per_document = parse_loaded(&loaded, Vec::new(), options)?;
    if per_document.iter().all(Vec::is_empty) {
        return Err(nothing_read(&loaded));
    }
    Ok(inventory_of_documents(per_document))
}

/// Reads every input, adds what `-k` and `--chart` rendered, and builds the inventory; also
/// tells whether stdin held Helm's rendering of workloads and none of its objects names a
/// namespace.
pub fn load_with(
    inputs: &[Input],
    rendered: &[Rendered],
    options: &ManifestOptions,
) -> Result<(Inventory, bool), Error> {
    let loaded = inputs
        .iter()
        .map(read_input)
        .collect::<Result<Vec<_>, _>>()?;
    let per_document = parse_loaded(&loaded, rendered_jobs(rendered), options)?;
    if per_document.iter().all(Vec::is_empty) {
        return Err(match (loaded.as_slice(), rendered) {
            (_, []) => nothing_read(&loaded),
            ([], [one]) => Error::Usage(format!(
                "{}: rendered no Kubernetes objects",
                one.name
            )),
            _ => Error::Usage(
                "no Kubernetes objects in any input (-f, -k, --chart): they are empty or hold only comments"
                    .to_owned(),
            ),
        });
    }
    let inventory = inventory_of_documents(per_document);
    let stdin_without_namespace = !inventory.workloads.is_empty()
        && loaded
            .iter()
            .find(|l| &*l.name == "<stdin>")
            .is_some_and(|l| rendered_by_helm(&l.text) && !names_a_namespace(&l.text));
    Ok((inventory, stdin_without_namespace))
}

/// Whether a stream is Helm's output: `helm template` and post-renderers name templates, and
/// charts label their objects. Hand-written snippets piped in are not told about `-n`: for
/// them `default` is what kubectl would use too, and saying so on every run is noise.
fn rendered_by_helm(text: &str) -> bool {
    text.starts_with("# Source: ")
        || text.contains("\n# Source: ")
        || text.contains("postrenderer.helm.sh/postrender-filename")
        || text.contains("helm.sh/chart:")
}

/// Whether any line of a stream sets a `namespace:` (YAML) or `"namespace":` (JSON). A textual
/// look, good enough for a hint: it errs towards silence (a RoleBinding subject's namespace
/// counts too).
fn names_a_namespace(text: &str) -> bool {
    text.lines().any(|line| {
        let t = line.trim_start().trim_start_matches("- ");
        let value = t
            .strip_prefix("namespace:")
            .or_else(|| line.find("\"namespace\":").map(|i| &line[i + 12..]));
        value.is_some_and(|v| {
            let v = v.trim();
            !(v.is_empty() || v.starts_with('#') || v == "\"\"" || v == "''")
        })
    })
}

/// The documents `-k` and `--chart` rendered, as parse jobs.
pub fn rendered_jobs(rendered: &[Rendered]) -> Vec<Job<'_>> {
    rendered
        .iter()
        .flat_map(|r| &r.docs)
        .map(|d| Job {
            file: d.file.clone(),
            doc: Document {
                text: &d.text,
                offset: 0,
                line: d.line,
                marker: None,
            },
            json: false,
            line_base: d.line_base,
        })
        .collect()
}

/// Builds the inventory of inputs already read (a Git revision's files). Nothing at all is
/// an inventory too: the base of a change that adds every manifest.
pub fn load_read(loaded: &[Loaded], options: &ManifestOptions) -> Result<Inventory, Error> {
    let per_document = parse_loaded(loaded, Vec::new(), options)?;
    // Straight from the documents' lists: one flat list first would be one more copy of every
    // object.
    Ok(inventory_of_documents(per_document))
}

/// Inputs that hold no object at all (empty, or comments only): a verdict on nothing would
/// pass a CI job by accident. A set of objects without workloads is a legitimate answer.
fn nothing_read(loaded: &[Loaded]) -> Error {
    match loaded {
        [one] => Error::Io {
            path: one.name.to_string(),
            message: "no Kubernetes objects in it (empty, or only comments)".to_owned(),
        },
        many => Error::Usage(format!(
            "no Kubernetes objects in any of the {} inputs ({}): they are empty or hold only comments",
            many.len(),
            many.iter()
                .map(|l| l.name.to_string())
                .collect::<Vec<_>>()
                .join(", ")
        )),
    }
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
    for_each_job(loaded, &mut |job| jobs.push(job));
    jobs
}

/// Hands each document of loaded inputs to `send` as a parse job, in input order.
fn for_each_job<'a>(loaded: &'a [Loaded], send: &mut dyn FnMut(Job<'a>)) {
    for input in loaded {
        if input.text.trim_start().starts_with('{') {
            let doc = Document {
                text: &input.text,
                offset: 0,
                line: 1,
                marker: None,
            };
            send(Job {
                file: input.name.clone(),
                doc,
                json: true,
                line_base: 0,
            });
        } else {
            // Handed over as they are found; none is kept in the split's own list.
            documents::split_keeping(&input.text, |doc| {
                if !doc.is_blank() {
                    // `helm template` output: findings name the template, as post-render's.
                    let (file, line_base) = match super::helm::source_comment(doc) {
                        Some((template, line)) => (Arc::from(template), line),
                        None => (input.name.clone(), 0),
                    };
                    send(Job {
                        file,
                        doc: *doc,
                        json: false,
                        line_base,
                    });
                }
                false
            });
        }
    }
}

/// Splits loaded inputs (then `extra` jobs) into documents and parses them, as
/// [`parse_jobs`] does: the parse starts on the other cores while the inputs are still being
/// split, which on one large stream took a core for 30-40 ms before any parse began.
pub fn parse_loaded<'a>(
    loaded: &'a [Loaded],
    extra: Vec<Job<'a>>,
    options: &ManifestOptions,
) -> Result<Vec<Vec<Parsed>>, Error> {
    /// Documents per parallel task: enough to make a task worth its cost, few enough that
    /// the cores finish together.
    const BATCH: usize = 256;
    type Batch = Vec<Result<Vec<Parsed>, Error>>;
    let done: std::sync::Mutex<Vec<(usize, Batch)>> = Default::default();
    rayon::scope(|scope| {
        let done = &done;
        let mut batches = 0;
        let mut send = |batch: Vec<Job<'a>>| {
            let index = batches;
            batches += 1;
            scope.spawn(move |_| {
                let parsed: Batch = batch.iter().map(|job| parse_job(job, options)).collect();
                done.lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner)
                    .push((index, parsed));
            });
        };
        let mut batch = Vec::with_capacity(BATCH);
        let mut add = |job: Job<'a>| {
            batch.push(job);
            if batch.len() == BATCH {
                send(std::mem::replace(&mut batch, Vec::with_capacity(BATCH)));
            }
        };
        for_each_job(loaded, &mut add);
        extra.into_iter().for_each(&mut add);
        if !batch.is_empty() {
            send(batch);
        }
    });
    let mut done = done
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    done.sort_unstable_by_key(|(index, _)| *index);
    // The first error in input order wins, so messages do not depend on thread timing.
    done.into_iter().flat_map(|(_, parsed)| parsed).collect()
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
        .map(|job| parse_job(job, options))
        .collect();
    results.into_iter().collect()
}

fn parse_job(job: &Job<'_>, options: &ManifestOptions) -> Result<Vec<Parsed>, Error> {
    let ctx = DocContext {
        file: &job.file,
        doc: &job.doc,
        default_namespace: &options.default_namespace,
        line_base: job.line_base,
        skip_helm_hooks: options.skip_helm_hooks,
        content_line: job.doc.content_line(),
    };
    if job.json {
        parse_json(ctx)
    } else {
        parse_yaml_document(ctx)
    }
}

/// JSON input (`kubectl get -o json`), possibly several concatenated objects. serde_json is much
/// faster than a YAML parser on it. From the first object it cannot take on, the rest is read
/// as a YAML stream, as kubectl does (JSON objects followed by `---` and YAML documents); the
/// YAML path reads JSON too and has the precise error handling.
fn parse_json(ctx: DocContext<'_>) -> Result<Vec<Parsed>, Error> {
    let text = ctx.doc.text;
    let mut stream = serde_json::Deserializer::from_str(text).into_iter::<RawObject>();
    let mut out = Vec::new();
    // Calico's objects are read from the exact reader's positions, on the YAML path.
    let calico = super::calico::in_document(text);
    loop {
        let before = stream.byte_offset();
        let next = if calico {
            Some(None)
        } else {
            stream.next().map(Result::ok)
        };
        match next {
            None => return Ok(out),
            Some(Some(obj)) => out.extend(convert(obj, &ctx, "")?),
            Some(None) => {
                let first_line = ctx.doc.line
                    + memchr::memchr_iter(b'\n', &text.as_bytes()[..before]).count() as u32;
                for doc in documents::split_keeping(&text[before..], |d| !d.is_blank()) {
                    let doc = Document {
                        text: doc.text,
                        offset: ctx.doc.offset + before + doc.offset,
                        line: first_line + doc.line - 1,
                        marker: doc.marker.map(|m| ctx.doc.offset + before + m),
                    };
                    out.extend(parse_yaml_document(DocContext {
                        doc: &doc,
                        content_line: doc.content_line(),
                        ..ctx
                    })?);
                }
                return Ok(out);
            }
        }
    }
}

/// Folds parsed objects into an inventory: objects whose ownerReferences name another workload
/// of the input are folded into their top-level owner.
pub fn build_inventory(parsed: Vec<Parsed>) -> Inventory {
    inventory_of_documents(vec![parsed])
}

/// [`build_inventory`] from the objects of each document, as [`parse_jobs`] returns them.
pub fn inventory_of_documents(mut documents: Vec<Vec<Parsed>>) -> Inventory {
    // Workloads are most of the objects and of the bytes: taken out of their documents on
    // every core, a run of documents per task, then joined in input order. One core moving
    // 100,000 of them onto freshly faulted pages was most of building the inventory.
    let runs: Vec<Run> = documents
        .par_chunks_mut(4096)
        .map(|run| {
            let count = run
                .iter()
                .flatten()
                .filter(|p| matches!(p, Parsed::Workload(_)))
                .count();
            let mut workloads = Vec::with_capacity(count);
            let mut owners: Vec<Owned> = Vec::new();
            let mut others = Vec::new();
            for p in run.iter_mut().flat_map(std::mem::take) {
                match p {
                    Parsed::Workload(w) => {
                        if !w.owners.is_empty() {
                            owners.push((workloads.len(), w.owners));
                        }
                        workloads.push(w.workload);
                    }
                    other => others.push(other),
                }
            }
            (workloads, owners, others)
        })
        .collect();
    drop(documents);
    let mut inventory = Inventory::default();
    let mut base = 0;
    let (lists, runs): (Vec<Vec<Workload>>, Vec<RunRest>) = runs
        .into_iter()
        .map(|(workloads, owners, others)| {
            let start = base;
            base += workloads.len();
            (workloads, (start, owners, others))
        })
        .unzip();
    let mut workloads = crate::lists::concat(lists);
    let mut owners: Vec<Owned> = Vec::with_capacity(runs.iter().map(|r| r.1.len()).sum());
    let mut others = Vec::with_capacity(runs.len());
    for (base, run_owners, run_others) in runs {
        owners.extend(run_owners.into_iter().map(|(i, refs)| (base + i, refs)));
        others.push(run_others);
    }
    // Folding pods into their owners and sorting the other objects out are independent: on
    // two cores rather than one after the other (together a few hundredths of a second of
    // one core on a large inventory, with the other idle).
    let (pod_owners, ()) = rayon::join(
        || fold_owners(&mut workloads, &owners),
        || sort_out(&mut inventory, others),
    );
    inventory.pod_owners = pod_owners;
    inventory.workloads = workloads;
    inventory
}

/// Puts the objects other than workloads in their lists, in input order.
fn sort_out(inventory: &mut Inventory, others: Vec<Vec<Parsed>>) {
    // Reserved up front: growing lists of large policies moved each of them again and again.
    let count = |f: fn(&Parsed) -> bool| others.iter().flatten().filter(|p| f(p)).count();
    inventory
        .policies
        .reserve(count(|p| matches!(p, Parsed::Policy(_))));
    inventory
        .cilium_policies
        .reserve(count(|p| matches!(p, Parsed::CiliumPolicy(_))));
    inventory
        .calico_policies
        .reserve(count(|p| matches!(p, Parsed::CalicoPolicy(_))));
    let mut namespaces: BTreeMap<String, Namespace> = BTreeMap::new();
    for p in others.into_iter().flatten() {
        match p {
            Parsed::Namespace(ns) => {
                namespaces.entry(ns.name.clone()).or_insert(ns);
            }
            Parsed::Policy(p) => inventory.policies.push(p),
            // Taken out before.
            Parsed::Workload(_) => {}
            Parsed::Skipped(kind) => *inventory.skipped_kinds.entry(kind).or_default() += 1,
            Parsed::IgnoredPolicy(p) => inventory.ignored_policies.push(p),
            Parsed::ClusterPolicy(p) => inventory.cluster_policies.push(*p),
            Parsed::CiliumPolicy(p) => inventory.cilium_policies.push(*p),
            Parsed::CalicoPolicy(p) => inventory.calico_policies.push(*p),
            Parsed::CalicoTier(t) => inventory.calico_tiers.push(t),
        }
    }
    inventory.namespaces = namespaces.into_values().collect();
}

/// A run of documents' workloads, the ownerReferences of those that have them (by position in
/// the run) and the other objects.
type Run = (Vec<Workload>, Vec<Owned>, Vec<Parsed>);

/// A run once its workloads are in the inventory's list: where they start there, and the rest.
type RunRest = (usize, Vec<Owned>, Vec<Parsed>);

/// A workload's position and the `(kind, name)` of its ownerReferences.
type Owned = (usize, Vec<(String, String)>);

/// For each workload with ownerReferences (`owned`, by position), the one it folds into: the
/// top of its chain of owners among the workloads (itself when none of them is there).
fn owner_roots(workloads: &[Workload], owned: &[Owned]) -> Vec<(usize, usize)> {
    // Only workloads an ownerReference names can be owners: usually a few of them, and
    // hashing every one of 100,000 workloads showed up in profiles.
    let named: foldhash::HashSet<(&str, &str)> = owned
        .iter()
        .flat_map(|(i, refs)| {
            let namespace = workloads[*i].namespace.as_str();
            refs.iter().map(move |(_, name)| (namespace, name.as_str()))
        })
        .collect();
    let index: foldhash::HashMap<(&str, WorkloadKind, &str), usize> = workloads
        .iter()
        .enumerate()
        .filter(|(_, w)| named.contains(&(w.namespace.as_str(), w.name.as_str())))
        .map(|(i, w)| ((w.namespace.as_str(), w.kind, w.name.as_str()), i))
        .collect();
    let parent = |i: usize| -> Option<usize> {
        let at = owned.binary_search_by_key(&i, |(j, _)| *j).ok()?;
        let namespace = workloads[i].namespace.as_str();
        owned[at].1.iter().find_map(|(kind, name)| {
            let kind = WorkloadKind::parse(kind)?;
            index
                .get(&(namespace, kind, name.as_str()))
                .copied()
                .filter(|&p| p != i)
        })
    };
    // Owner chains are short (Pod -> ReplicaSet -> Deployment); the bound stops a cycle of
    // hand-written ownerReferences.
    owned
        .iter()
        .map(|&(i, _)| {
            let mut cur = i;
            for _ in 0..8 {
                match parent(cur) {
                    Some(p) => cur = p,
                    None => break,
                }
            }
            (i, cur)
        })
        .collect()
}

/// Folds workloads into their owners, in place: with nothing to fold, nothing moves. A Pod
/// whose controller is not in the input (a dump of `kubectl get pods`) is grouped under that
/// controller, as the cluster source does, so that its pods are one workload named as the
/// cluster would name it. Returns, for every pod folded or grouped, the workload it went into.
fn fold_owners(workloads: &mut Vec<Workload>, owned: &[Owned]) -> PodOwners {
    let roots = owner_roots(workloads, owned);
    let mut folded: Vec<(usize, usize)> =
        roots.iter().copied().filter(|(i, top)| i != top).collect();
    // Pods left at the top whose first ownerReference of a kind we read names a controller
    // missing from the input: the first of each controller stands in for it.
    let mut adopted: BTreeMap<(String, WorkloadKind, String), usize> = BTreeMap::new();
    let mut renamed: Vec<(usize, String)> = Vec::new();
    for (at, &(i, top)) in roots.iter().enumerate() {
        if i != top || workloads[i].kind != WorkloadKind::Pod {
            continue;
        }
        let missing = owned[at].1.iter().find_map(|(kind, name)| {
            WorkloadKind::parse(kind)
                .filter(|k| *k != WorkloadKind::Pod)
                .map(|k| (k, name))
        });
        let Some((kind, owner)) = missing else {
            continue;
        };
        let key = (workloads[i].namespace.clone(), kind, owner.clone());
        match adopted.get(&key) {
            Some(&stand_in) => folded.push((i, stand_in)),
            None => {
                adopted.insert(key, i);
                let w = &mut workloads[i];
                w.kind = kind;
                renamed.push((i, std::mem::replace(&mut w.name, owner.clone())));
            }
        }
    }
    let mut pod_owners = PodOwners::new();
    for (i, pod) in renamed {
        let w = &workloads[i];
        pod_owners.insert((w.namespace.clone(), pod), (w.kind, w.name.clone()));
    }
    if folded.is_empty() {
        return pod_owners;
    }
    folded.sort_unstable();
    // Per owner, in the order of the workloads folded into it. A stand-in counts itself.
    let mut into: BTreeMap<usize, (u32, Vec<crate::model::Labels>)> =
        adopted.values().map(|&i| (i, (1, Vec::new()))).collect();
    for &(i, top) in &folded {
        let (owner_kind, owner_name) = (workloads[top].kind, workloads[top].name.clone());
        let w = &mut workloads[i];
        let (pods, labels) = into.entry(top).or_default();
        if w.kind == WorkloadKind::Pod {
            *pods += 1;
            pod_owners.insert(
                (w.namespace.clone(), std::mem::take(&mut w.name)),
                (owner_kind, owner_name),
            );
        }
        labels.append(&mut w.label_sets);
    }
    for (top, (pods, labels)) in into {
        let w = &mut workloads[top];
        let mut sets = std::mem::take(&mut w.label_sets);
        sets.extend(labels);
        w.label_sets = super::distinct_label_sets(sets);
        if pods > 0 {
            w.pods = pods;
        }
    }
    let mut position = 0;
    workloads.retain(|_| {
        let keep = folded.binary_search_by_key(&position, |(i, _)| *i).is_err();
        position += 1;
        keep
    });
    pod_owners
}

type PodOwners = BTreeMap<(String, String), (WorkloadKind, String)>;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Labels, Origin, Suppression};
    use crate::source::stream::ParsedWorkload;

    fn workload(kind: WorkloadKind, name: &str, labels: Labels) -> Workload {
        Workload {
            kind,
            namespace: "data".into(),
            name: name.into(),
            label_sets: vec![labels],
            pods: 1,
            host_network: false,
            ports: Vec::new(),
            service_account: None,
            suppression: Suppression::default(),
            origin: Origin::default(),
        }
    }

    /// Bytes that differ from one position to the next, so that a half read to the wrong place
    /// shows.
    fn numbered_bytes(len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| (i % 251) as u8 ^ (i >> 16) as u8)
            .collect()
    }

    #[test]
    fn large_files_read_in_halves_come_back_whole() {
        let dir = tempfile::tempdir().unwrap();
        // Odd, so that the halves differ in length.
        let len = HALVES_FROM as usize + 12_345;
        let path = dir.path().join("large.yaml");
        let expected = numbered_bytes(len);
        std::fs::write(&path, &expected).unwrap();
        assert_eq!(read_bytes(&Input::File(path.clone())).unwrap(), expected);
        let mut bytes = Vec::new();
        let f = std::fs::File::open(&path).unwrap();
        if cfg!(unix) {
            assert!(read_halves(&f, len, &mut bytes).unwrap());
            assert_eq!(bytes, expected);
        }
    }

    #[test]
    fn a_file_of_another_size_than_it_said_is_left_to_the_plain_read() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("changing.yaml");
        std::fs::write(&path, numbered_bytes(1000)).unwrap();
        let f = std::fs::File::open(&path).unwrap();
        // Shorter than its size said (it shrank), and longer (it grew).
        for said in [1200, 800] {
            let mut bytes = Vec::new();
            assert!(!read_halves(&f, said, &mut bytes).unwrap(), "{said}");
            assert!(bytes.is_empty());
        }
    }

    #[test]
    fn utf16_streams_are_read_and_written_back_in_their_encoding() {
        for little_endian in [true, false] {
            let text = "a: é\n---\nb: 𝄞\n";
            let mut bytes = if little_endian {
                vec![0xFF, 0xFE]
            } else {
                vec![0xFE, 0xFF]
            };
            for u in text.encode_utf16() {
                bytes.extend(if little_endian {
                    u.to_le_bytes()
                } else {
                    u.to_be_bytes()
                });
            }
            let name: Arc<str> = "<stdin>".into();
            let decoded = Decoded::new(&name, &bytes).unwrap();
            assert_eq!(decoded.text, text);
            let at = text.find("---").unwrap();
            let (byte, insert) = decoded.encode_at(at, "x: 1\n");
            let mut out = bytes[..byte].to_vec();
            out.extend(insert);
            out.extend(&bytes[byte..]);
            let back = Decoded::new(&name, &out).unwrap();
            assert_eq!(back.text, "a: é\nx: 1\n---\nb: 𝄞\n");
        }
        let odd = [0xFF, 0xFE, b'a', 0, b'b'];
        assert!(decode(&"f".into(), odd.to_vec()).is_err());
    }

    /// A StatefulSet's pods each have a label of their own: folding 50,000 of them compared
    /// each label set with every one kept (21 s in a release build).
    #[test]
    fn folding_the_pods_of_one_owner_is_linear_in_their_label_sets() {
        let n = 50_000;
        let mut parsed = vec![Parsed::Workload(ParsedWorkload {
            workload: workload(
                WorkloadKind::StatefulSet,
                "db",
                [("app".to_owned(), "db".to_owned())].into(),
            ),
            owners: Vec::new(),
        })];
        for i in 0..n {
            let labels: Labels = [
                ("app".to_owned(), "db".to_owned()),
                ("pod-name".to_owned(), format!("db-{}", i % (n - 10))),
            ]
            .into();
            parsed.push(Parsed::Workload(ParsedWorkload {
                workload: workload(WorkloadKind::Pod, &format!("db-{i}"), labels),
                owners: vec![("StatefulSet".into(), "db".into())],
            }));
        }
        let started = std::time::Instant::now();
        let inventory = build_inventory(parsed);
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{:?}",
            started.elapsed()
        );
        assert_eq!(inventory.workloads.len(), 1);
        let sets = &inventory.workloads[0].label_sets;
        // The template's set, then each pod's in order, repeats (the last 10 pods) left out.
        assert_eq!(sets.len(), 1 + n - 10);
        assert_eq!(sets[1]["pod-name"], "db-0");
        assert_eq!(sets[n - 10]["pod-name"], format!("db-{}", n - 11));
        assert_eq!(inventory.workloads[0].pods, n as u32);
    }

    #[test]
    fn reads_up_to_the_limit_and_stops_one_byte_past_it() {
        let mut bytes = Vec::new();
        assert!(read_bounded(&mut &b"12345"[..], 5, &mut bytes).unwrap());
        assert_eq!(bytes, b"12345");
        let mut bytes = Vec::new();
        let mut endless = std::io::repeat(b'x');
        assert!(!read_bounded(&mut endless, 5, &mut bytes).unwrap());
        assert_eq!(bytes.len(), 6);
    }
}
