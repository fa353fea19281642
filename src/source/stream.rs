//! Parsing one document of a manifest stream into inventory objects.
//!
//! The fast path deserialises the document straight into [`RawObject`]. When that fails, a slow
//! path re-reads it generically to tell a syntax error from a wrong type, a known kind from an
//! unknown one (whose fields may have any shape, and which we only count), and to name the
//! object in the message. Errors are rare, so the second parse costs nothing in practice.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;

use rayon::prelude::*;
use serde::de::{DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_norway::Value;

use crate::error::{Error, Location};
use crate::lists::exact;
use crate::model::{
    api_group, ignored_policy_kind, CalicoPolicy, CalicoTier, CiliumPolicy, CiliumPolicyKind,
    ClusterPolicy, ClusterPolicyKind, IgnoredPolicy, Namespace, NetworkPolicy, Origin, Workload,
    WorkloadKind, NAMESPACE_NAME_LABEL,
};

use super::calico::{self, CalicoClass, CalicoObject, Positions, RawCalicoObject};
use super::documents::{self, Document};
use super::lists;
use super::objects::checked;
use super::objects::{
    container_ports, labels_or_empty, RawMeta, RawObject, RawSelector, RawSpec, RawStatus,
};
use super::yaml11;

/// One object read from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Namespace(Namespace),
    Workload(ParsedWorkload),
    Policy(NetworkPolicy),
    /// A ClusterNetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy: boxed, as
    /// they are few and large, and documents are parsed into vectors of this.
    ClusterPolicy(Box<ClusterPolicy>),
    /// A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy, boxed for the same reason.
    CiliumPolicy(Box<CiliumPolicy>),
    /// A Calico policy (either API group, staged kinds included), boxed for the same reason.
    CalicoPolicy(Box<CalicoPolicy>),
    /// A Calico `Tier`.
    CalicoTier(CalicoTier),
    /// An object of a policy kind of another API, not evaluated.
    IgnoredPolicy(IgnoredPolicy),
    Skipped(String),
}

/// What an object is, by API group and kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Class {
    Namespace,
    NetworkPolicy,
    Workload(WorkloadKind),
    ClusterPolicy(ClusterPolicyKind),
    CiliumPolicy(CiliumPolicyKind),
    Calico(CalicoClass),
    IgnoredPolicy { cluster_scoped: bool },
    Other,
}

/// Identifies an object by group and kind: `example.com/v1 Deployment` is no Deployment. An
/// object without `apiVersion` (the API server would refuse it; hand-written inputs often
/// leave it out) is taken for the Kubernetes kind of that name.
fn classify(api_version: Option<&str>, kind: &str) -> Class {
    let group = api_version.map(api_group);
    match kind {
        "Namespace" if group.is_none_or(str::is_empty) => return Class::Namespace,
        "NetworkPolicy" if group.is_none_or(|g| g == "networking.k8s.io" || g == "extensions") => {
            return Class::NetworkPolicy
        }
        _ => {}
    }
    if let Some(k) = WorkloadKind::parse(kind) {
        if group.is_none_or(|g| k.served_by(g)) {
            return Class::Workload(k);
        }
    }
    if let Some(k) = ClusterPolicyKind::parse(kind) {
        if api_version.is_none_or(|v| k.reads(v)) {
            return Class::ClusterPolicy(k);
        }
    }
    if let Some(k) = CiliumPolicyKind::parse(kind) {
        if api_version.is_none_or(|v| k.reads(v)) {
            return Class::CiliumPolicy(k);
        }
    }
    if let Some(c) = CalicoClass::of(api_version, kind) {
        return Class::Calico(c);
    }
    match group.and_then(|g| ignored_policy_kind(g, kind)) {
        Some(cluster_scoped) => Class::IgnoredPolicy { cluster_scoped },
        None => Class::Other,
    }
}

fn is_read(class: Class) -> bool {
    matches!(
        class,
        Class::Namespace
            | Class::NetworkPolicy
            | Class::Workload(_)
            | Class::ClusterPolicy(_)
            | Class::CiliumPolicy(_)
            | Class::Calico(_)
    )
}

/// How a skipped object is counted: by kind, with its apiVersion when the kind's name is one
/// we read in another group (so that the summary does not claim a Deployment was skipped).
fn skipped_key(api_version: Option<&str>, kind: &str) -> String {
    let known = kind == "Namespace"
        || kind == "NetworkPolicy"
        || WorkloadKind::parse(kind).is_some()
        || ClusterPolicyKind::parse(kind).is_some()
        || CiliumPolicyKind::parse(kind).is_some()
        || kind == "Tier"
        || crate::model::CalicoPolicyKind::parse(kind).is_some();
    match api_version {
        Some(v) if known => format!("{v} {kind}"),
        _ => kind.to_owned(),
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedWorkload {
    pub workload: Workload,
    /// `(kind, name)` of each owner reference, for folding into an owner of the input.
    pub owners: Vec<(String, String)>,
}

/// Where a document sits, for locations and origins.
#[derive(Debug, Clone, Copy)]
pub struct DocContext<'a> {
    pub file: &'a Arc<str>,
    pub doc: &'a Document<'a>,
    /// Namespace for objects that name none.
    pub default_namespace: &'a str,
    /// Lines up to this one do not count in origins (Helm's `# Source:` line): an object's
    /// line is counted from the line after it.
    pub line_base: u32,
    /// Leave out objects annotated `helm.sh/hook` (post-render mode).
    pub skip_helm_hooks: bool,
    /// `doc.content_line()`, worked out once: every object of a `List` needs it, and working
    /// it out again per item rescanned the comments above the List each time.
    pub content_line: u32,
}

impl DocContext<'_> {
    fn location(&self, line: u32, column: u32) -> Location {
        Location {
            file: self.file.clone(),
            line,
            column,
        }
    }

    fn start(&self) -> Location {
        self.location(self.content_line, 1)
    }

    fn origin(&self) -> Origin {
        Origin {
            file: Some(self.file.clone()),
            line: Some(self.content_line - self.line_base),
        }
    }

    /// The origin of an object, preferring the template Helm 4 names in its annotation; the
    /// line then counts within the document, as Helm re-serialised it.
    fn origin_of(&self, meta: &RawMeta) -> Origin {
        match meta
            .annotations
            .as_ref()
            .and_then(|a| a.helm_filename.as_deref())
        {
            Some(template) => Origin {
                file: Some(template.into()),
                line: Some(self.content_line - self.doc.line + 1),
            },
            None => self.origin(),
        }
    }
}

/// Parses one YAML document.
pub fn parse_yaml_document(ctx: DocContext<'_>) -> Result<Vec<Parsed>, Error> {
    if ctx.doc.is_blank() {
        return Ok(Vec::new());
    }
    check_flow_depth(&ctx)?;
    // Merge keys are rare, and serde_norway drops them: only documents with a `<<` somewhere
    // (a vectorised search) are read by the exact reader, after libyaml has checked their
    // syntax so that syntax errors read as everywhere else. Documents that may hold Calico
    // objects take it too: it knows where their selectors start.
    let merge_keys = memchr::memmem::find(ctx.doc.text.as_bytes(), b"<<").is_some();
    let maybe_calico = calico::in_document(ctx.doc.text);
    if !merge_keys && maybe_calico {
        if let Some(parsed) = calico_fast(&ctx) {
            return Ok(parsed);
        }
    }
    if merge_keys || maybe_calico {
        if let Err(e) = serde_norway::from_str::<IgnoredAny>(ctx.doc.text) {
            return Err(yaml_error(&ctx, &e, None));
        }
        return exact_path(&ctx);
    }
    // A large List is read item by item on every core; what does not read there is read
    // whole below, for the same result or error.
    if let Some(obj) = lists::read_list(ctx.doc.text) {
        return convert(obj, &ctx, "");
    }
    match checked::while_reading_yaml(|| serde_norway::from_str::<RawObject>(ctx.doc.text)) {
        Ok(obj) => convert(obj, &ctx, ""),
        Err(fast) => slow_path(&ctx, fast),
    }
}

fn slow_path(ctx: &DocContext<'_>, fast: serde_norway::Error) -> Result<Vec<Parsed>, Error> {
    let value: Value = match serde_norway::from_str(ctx.doc.text) {
        Ok(v) => v,
        // The generic parse reports some errors (duplicate keys) without a position that the
        // typed parse has.
        Err(e)
            if e.location().is_none()
                && fast.location().is_some()
                && !is_repetition_limit(&e)
                && !checked::is_reread(&fast.to_string()) =>
        {
            return Err(yaml_error(ctx, &fast, None))
        }
        Err(e) => return Err(yaml_error(ctx, &e, None)),
    };
    match &value {
        Value::Null => Ok(Vec::new()),
        Value::Mapping(_) => {
            // Kinds we do not read are skipped unread, whatever their fields hold; the others
            // failed the fast parse, or may read differently as YAML 1.1 (`hostNetwork: yes`,
            // `port: 0123`), which the exact reader settles.
            let kind = value.get("kind").and_then(Value::as_str);
            let api_version = value.get("apiVersion").and_then(Value::as_str);
            let list = value.get("items").is_some_and(Value::is_sequence)
                && kind.is_some_and(|k| k.ends_with("List"));
            match kind {
                Some(kind) if !list && !is_read(classify(api_version, kind)) => {
                    Ok(vec![unread(ctx, &value, None)])
                }
                _ => exact_path(ctx),
            }
        }
        other => Err(Error::Input {
            location: ctx.start(),
            message: format!(
                "expected a Kubernetes object (a mapping), found {}",
                value_kind(other)
            ),
            object: None,
        }),
    }
}

/// Reads a document as kubectl does ([`yaml11`]), into JSON decoded as the API server decodes
/// it; errors point at the YAML.
fn exact_path(ctx: &DocContext<'_>) -> Result<Vec<Parsed>, Error> {
    let read_error = |e: yaml11::ReadError| Error::Input {
        location: ctx.location(ctx.doc.line + e.line.max(1) - 1, e.column.max(1)),
        message: e.message,
        object: None,
    };
    let tree = yaml11::read(ctx.doc.text).map_err(read_error)?;
    // Objects of other kinds are counted without writing them out (and expanding their
    // aliases); policies of other APIs are named, from their metadata, below.
    if let Some(kind) = tree.top_string("kind") {
        let api_version = tree.top_string("apiVersion");
        if !kind.ends_with("List") && classify(api_version, kind) == Class::Other {
            return Ok(vec![Parsed::Skipped(skipped_key(api_version, kind))]);
        }
    }
    let top = tree.top_string("kind").map(|kind| {
        (
            kind.to_owned(),
            tree.top_string("apiVersion").map(str::to_owned),
        )
    });
    let doc = tree.to_json().map_err(read_error)?;
    if calico::in_document(ctx.doc.text) {
        if let Some((kind, api_version)) = &top {
            if let Some(parsed) = calico_document(ctx, &doc, kind, api_version.as_deref())? {
                return Ok(parsed);
            }
        }
    }
    match serde_json::from_str::<RawObject>(&doc.json) {
        Ok(obj) => convert(obj, ctx, ""),
        Err(typed) => exact_slow_path(ctx, &doc, typed),
    }
}

/// A document that may hold Calico objects (`kind` and `apiVersion` its top-level ones): a
/// Calico object, or a List whose items are read one by one (Calico's with their own types);
/// `None` for the rest, read as usual.
fn calico_document(
    ctx: &DocContext<'_>,
    doc: &yaml11::JsonDocument,
    kind: &str,
    api_version: Option<&str>,
) -> Result<Option<Vec<Parsed>>, Error> {
    if let Class::Calico(class) = classify(api_version, kind) {
        if class.own_spec() {
            let positions = Positions::of(doc, ctx.doc.text, ctx.doc.line);
            let obj = serde_json::from_str::<RawCalicoObject>(&doc.json).map_err(|e| {
                // Named from a generic read, only on this error path.
                let value = serde_json::from_str::<Value>(&doc.json).ok();
                json_error(ctx, doc, &e, value.as_ref().map(describe_value))
            })?;
            return calico_item(obj, class, ctx, "", Some(&positions)).map(Some);
        }
    }
    if !kind.ends_with("List") {
        return Ok(None);
    }
    let value: Value =
        serde_json::from_str(&doc.json).map_err(|e| json_error(ctx, doc, &e, None))?;
    match value.get("items").and_then(Value::as_sequence) {
        Some(items) if kind.ends_with("List") => {
            let implied = implied_kind(kind).map(|k| (k, api_version));
            exact_list_items(ctx, doc, items, implied).map(Some)
        }
        _ => Ok(None),
    }
}

/// A single Calico policy or Tier read by the fast reader, when nothing in it needs the exact
/// one: no value kubectl's YAML 1.1 reads differently (`checked`), no field of the wrong type,
/// and every selector parsing, so that no error has to be located inside it. 20,000 policies
/// read this way cost what as many NetworkPolicies do; the exact reader took twice as long.
fn calico_fast(ctx: &DocContext<'_>) -> Option<Vec<Parsed>> {
    let obj =
        checked::while_reading_yaml(|| serde_norway::from_str::<RawCalicoObject>(ctx.doc.text))
            .ok()?;
    let class = match classify(obj.api_version.as_deref(), obj.kind.as_deref()?) {
        Class::Calico(class) if class.own_spec() => class,
        _ => return None,
    };
    let parsed = calico_item(obj, class, ctx, "", None).ok()?;
    let located = parsed.iter().all(|p| match p {
        Parsed::CalicoPolicy(policy) => calico::selectors_parse(policy),
        _ => true,
    });
    located.then_some(parsed)
}

/// Converts a decoded Calico object (`prefix` is its path in the document, `items[3].` in a
/// List, and locates its messages).
fn calico_item(
    obj: RawCalicoObject,
    class: CalicoClass,
    ctx: &DocContext<'_>,
    prefix: &str,
    positions: Option<&Positions<'_>>,
) -> Result<Vec<Parsed>, Error> {
    let kind = obj.kind.unwrap_or_default();
    let meta = obj.metadata.unwrap_or_default();
    if ctx.skip_helm_hooks
        && meta
            .annotations
            .as_ref()
            .is_some_and(|a| a.helm_hook.is_some())
    {
        return Ok(vec![Parsed::Skipped(format!("{kind} (Helm hook)"))]);
    }
    let Some(name) = meta.display_name() else {
        let shown = prefix
            .strip_suffix('.')
            .map(|p| format!("{p}: "))
            .unwrap_or_default();
        return Err(Error::Input {
            location: ctx.start(),
            message: format!("{shown}{kind} has no metadata.name"),
            object: None,
        });
    };
    let namespace = meta
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| ctx.default_namespace.to_owned());
    let origin = ctx.origin_of(&meta);
    Ok(vec![match calico::calico_object(
        class,
        obj.api_version.unwrap_or_default(),
        namespace,
        name,
        &meta,
        obj.spec,
        origin,
        positions.map(|p| (p, prefix)),
    ) {
        CalicoObject::Policy(p) => Parsed::CalicoPolicy(p),
        CalicoObject::Tier(t) => Parsed::CalicoTier(t),
    }])
}

/// [`slow_path`] for the exact reader's JSON, read back generically.
fn exact_slow_path(
    ctx: &DocContext<'_>,
    doc: &yaml11::JsonDocument,
    typed: serde_json::Error,
) -> Result<Vec<Parsed>, Error> {
    let value: Value =
        serde_json::from_str(&doc.json).map_err(|e| json_error(ctx, doc, &e, None))?;
    match &value {
        Value::Null => Ok(Vec::new()),
        Value::Mapping(_) => {
            let Some(kind) = value.get("kind").and_then(Value::as_str) else {
                return Err(json_error(ctx, doc, &typed, None));
            };
            let api_version = value.get("apiVersion").and_then(Value::as_str);
            if let Some(items) = value.get("items").and_then(Value::as_sequence) {
                if kind.ends_with("List") {
                    let implied = implied_kind(kind).map(|k| (k, api_version));
                    return exact_list_items(ctx, doc, items, implied);
                }
            }
            if is_read(classify(api_version, kind)) {
                Err(json_error(ctx, doc, &typed, Some(describe_value(&value))))
            } else {
                Ok(vec![unread(ctx, &value, None)])
            }
        }
        other => Err(Error::Input {
            location: ctx.start(),
            message: format!(
                "expected a Kubernetes object (a mapping), found {}",
                value_kind(other)
            ),
            object: None,
        }),
    }
}

/// Items of a `List` whose typed decoding failed: items of kinds we do not read are skipped
/// unread (they may have any shape), the others are decoded again from the JSON, so that an
/// error keeps its path and position.
fn exact_list_items(
    ctx: &DocContext<'_>,
    doc: &yaml11::JsonDocument,
    items: &[Value],
    implied: Option<(&str, Option<&str>)>,
) -> Result<Vec<Parsed>, Error> {
    let mut skip = HashSet::new();
    let mut calico_items = HashMap::new();
    for (i, item) in items.iter().enumerate() {
        if !item.is_mapping() {
            return Err(Error::Input {
                location: ctx.start(),
                message: format!(
                    "items[{i}]: expected a Kubernetes object (a mapping), found {}",
                    value_kind(item)
                ),
                object: None,
            });
        }
        let (kind, api_version) = item_identity(item, implied);
        match classify(api_version, kind) {
            Class::Calico(c) if c.own_spec() => {
                calico_items.insert(i, (c, kind.to_owned(), api_version.map(str::to_owned)));
            }
            class if !kind.is_empty() && !is_read(class) => {
                skip.insert(i);
            }
            _ => {}
        }
    }
    let seed = ListDocument {
        skip: &skip,
        calico: &calico_items,
    };
    let parsed = seed
        .deserialize(&mut serde_json::Deserializer::from_str(&doc.json))
        .map_err(|e| {
            let object = doc
                .origin(e.line())
                .and_then(|(_, _, path)| {
                    let rest = path.strip_prefix("items[")?;
                    rest[..rest.find(']')?].parse::<usize>().ok()
                })
                .and_then(|i| items.get(i))
                .map(describe_value);
            json_error(ctx, doc, &e, object)
        })?;
    let positions =
        (!calico_items.is_empty()).then(|| Positions::of(doc, ctx.doc.text, ctx.doc.line));
    let mut out = Vec::new();
    for (i, item) in parsed.into_iter().enumerate() {
        match item {
            ListItem::Calico(mut obj) => {
                let (class, kind, api_version) = &calico_items[&i];
                obj.kind = Some(kind.clone());
                obj.api_version = api_version.clone();
                let positions = positions.as_ref().expect("made for Calico items");
                out.extend(calico_item(
                    obj,
                    *class,
                    ctx,
                    &format!("items[{i}]."),
                    Some(positions),
                )?);
            }
            ListItem::Raw(mut obj) => {
                if obj.kind.is_none() {
                    obj.kind = implied.map(|(k, _)| k.to_owned());
                }
                if obj.api_version.is_none() {
                    obj.api_version = implied.and_then(|(_, v)| v).map(str::to_owned);
                }
                out.extend(convert(obj, ctx, &format!("items[{i}]: "))?)
            }
            ListItem::Skipped => out.push(unread(ctx, &items[i], implied)),
        }
    }
    Ok(out)
}

/// A typed error in the exact reader's JSON, at the YAML position of the value it is about,
/// with that value's field path in front as serde_norway writes it.
fn json_error(
    ctx: &DocContext<'_>,
    doc: &yaml11::JsonDocument,
    e: &serde_json::Error,
    object: Option<String>,
) -> Error {
    let text = e.to_string();
    let message = text
        .strip_suffix(&format!(" at line {} column {}", e.line(), e.column()))
        .unwrap_or(&text);
    match doc.origin(e.line()) {
        Some((line, column, path)) => Error::Input {
            location: ctx.location(ctx.doc.line + line.max(1) - 1, column.max(1)),
            message: if path.is_empty() {
                message.to_owned()
            } else {
                format!("{path}: {message}")
            },
            object,
        },
        None => Error::Input {
            location: ctx.start(),
            message: message.to_owned(),
            object,
        },
    }
}

/// An item's kind and apiVersion, those of its typed list when it names none.
fn item_identity<'v>(
    item: &'v Value,
    implied: Option<(&'v str, Option<&'v str>)>,
) -> (&'v str, Option<&'v str>) {
    let kind = item.get("kind").and_then(Value::as_str);
    let api_version = item.get("apiVersion").and_then(Value::as_str);
    match (kind, implied) {
        (Some(k), _) => (k, api_version),
        (None, Some((k, v))) => (k, api_version.or(v)),
        (None, None) => ("", api_version),
    }
}

/// An object of a kind we do not read, from its generic parse (its fields may have any shape).
fn unread(ctx: &DocContext<'_>, value: &Value, implied: Option<(&str, Option<&str>)>) -> Parsed {
    let (kind, api_version) = item_identity(value, implied);
    let Class::IgnoredPolicy { cluster_scoped } = classify(api_version, kind) else {
        return Parsed::Skipped(skipped_key(api_version, kind));
    };
    let meta = |key: &str| {
        value
            .get("metadata")
            .and_then(|m| m.get(key))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    Parsed::IgnoredPolicy(IgnoredPolicy {
        api_version: api_version.unwrap_or_default().to_owned(),
        kind: kind.to_owned(),
        namespace: (!cluster_scoped).then(|| {
            meta("namespace")
                .filter(|n| !n.is_empty())
                .unwrap_or_else(|| ctx.default_namespace.to_owned())
        }),
        name: meta("name").unwrap_or_else(|| "<unnamed>".to_owned()),
        origin: ctx.origin(),
    })
}

/// The Calico items of a List that are decoded as such, by position: class, kind and
/// apiVersion (the List's when the item names none).
type CalicoItems = HashMap<usize, (CalicoClass, String, Option<String>)>;

/// A `List` document whose `items` are parsed as [`RawObject`], except those at `skip`
/// (skipped) and at `calico` (parsed as [`RawCalicoObject`]).
struct ListDocument<'a> {
    skip: &'a HashSet<usize>,
    calico: &'a CalicoItems,
}

/// One item of a [`ListDocument`]. Unboxed, as the `Option<RawObject>` it extends was: each
/// item is moved once, into its conversion.
#[allow(clippy::large_enum_variant)]
enum ListItem {
    Raw(RawObject),
    Calico(RawCalicoObject),
    Skipped,
}

impl<'de> DeserializeSeed<'de> for ListDocument<'_> {
    type Value = Vec<ListItem>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for ListDocument<'_> {
    type Value = Vec<ListItem>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a List")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            if key == "items" {
                items = map.next_value_seed(ListItems {
                    skip: self.skip,
                    calico: self.calico,
                })?;
            } else {
                map.next_value::<IgnoredAny>()?;
            }
        }
        Ok(items)
    }
}

struct ListItems<'a> {
    skip: &'a HashSet<usize>,
    calico: &'a CalicoItems,
}

impl<'de> DeserializeSeed<'de> for ListItems<'_> {
    type Value = Vec<ListItem>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for ListItems<'_> {
    type Value = Vec<ListItem>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a list of Kubernetes objects")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut out = Vec::new();
        loop {
            let item = if self.skip.contains(&out.len()) {
                seq.next_element::<IgnoredAny>()?.map(|_| ListItem::Skipped)
            } else if self.calico.contains_key(&out.len()) {
                seq.next_element::<RawCalicoObject>()?.map(ListItem::Calico)
            } else {
                seq.next_element::<RawObject>()?.map(ListItem::Raw)
            };
            match item {
                Some(item) => out.push(item),
                None => return Ok(out),
            }
        }
    }
}

/// Flow collections nested this deep are hostile: libyaml's scanner slows down with the square
/// of the depth (100,000 levels take minutes), while real manifests stay in single digits.
const MAX_FLOW_DEPTH: usize = 1000;

/// Refuses documents whose `[`/`{` nesting passes [`MAX_FLOW_DEPTH`]. Brackets inside quoted
/// strings are counted too: a false alarm would need a thousand unbalanced ones.
fn check_flow_depth(ctx: &DocContext<'_>) -> Result<(), Error> {
    // The depth never passes the number of openers, which a vectorised count finds quickly:
    // scanning every byte of every document was a tenth of the parse's own time.
    let bytes = ctx.doc.text.as_bytes();
    if memchr::memchr2_iter(b'[', b'{', bytes).count() <= MAX_FLOW_DEPTH {
        return Ok(());
    }
    let mut depth = 0usize;
    for (i, b) in ctx.doc.text.bytes().enumerate() {
        match b {
            b'[' | b'{' => {
                depth += 1;
                if depth > MAX_FLOW_DEPTH {
                    let (line, column) = documents::position(ctx.doc.text.as_bytes(), i);
                    return Err(Error::Input {
                        location: ctx.location(ctx.doc.line + line - 1, column),
                        message: format!(
                            "flow collections nested more than {MAX_FLOW_DEPTH} levels deep: refusing to parse"
                        ),
                        object: None,
                    });
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    Ok(())
}

fn value_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Sequence(_) => "a sequence",
        Value::Mapping(_) => "a mapping",
        Value::Tagged(_) => "a tagged value",
    }
}

fn describe_value(v: &Value) -> String {
    let get = |path: &[&str]| {
        path.iter()
            .try_fold(v, |v, k| v.get(k))
            .and_then(Value::as_str)
            .map(str::to_owned)
    };
    let kind = get(&["kind"]).unwrap_or_else(|| "object".into());
    let name = get(&["metadata", "name"]).unwrap_or_else(|| "<unnamed>".into());
    match get(&["metadata", "namespace"]) {
        Some(ns) => format!("{kind} {ns}/{name}"),
        None => format!("{kind} {name}"),
    }
}

/// serde_norway appends " at line L column C" to its messages; we print our own absolute
/// position in front instead. libyaml's errors also name where the construct they were parsing
/// began ("did not find expected ',' at line 2 column 1, while parsing a flow sequence at line 1
/// column 4"): that position is shifted from the document to the file. Nothing else in the text
/// is touched: the message may quote the user's own values, which can say anything.
fn strip_location(e: &serde_norway::Error, first_line: u32) -> String {
    let text = e.to_string();
    let Some(loc) = e.location() else {
        return text;
    };
    let mark = format!(" at line {} column {}", loc.line(), loc.column());
    // A deserialisation error: the position is the message's suffix.
    if let Some(message) = text.strip_suffix(&mark) {
        return message.to_owned();
    }
    // A libyaml error: "{problem}{mark}, {context}[ at line N column M]", where problem and
    // context are libyaml's own words (serde_norway's libyaml/error.rs).
    if let Some(i) = text.find(&format!("{mark}, while ")) {
        let problem = &text[..i];
        let context = &text[i + mark.len() + 2..];
        return format!("{problem}, {}", shift_context_mark(context, first_line));
    }
    text
}

/// `while parsing X at line N column M` with N moved from the document to the file.
fn shift_context_mark(context: &str, first_line: u32) -> String {
    const MARK: &str = " at line ";
    let Some(i) = context.rfind(MARK) else {
        return context.to_owned();
    };
    let (head, tail) = (&context[..i], &context[i + MARK.len()..]);
    let Some((line, column)) = tail.split_once(" column ") else {
        return context.to_owned();
    };
    match (line.parse::<u32>(), column.parse::<u32>()) {
        (Ok(n), Ok(_)) => match n.checked_add(first_line.saturating_sub(1)) {
            Some(shifted) => format!("{head}{MARK}{shifted} column {column}"),
            None => context.to_owned(),
        },
        _ => context.to_owned(),
    }
}

fn is_repetition_limit(e: &serde_norway::Error) -> bool {
    e.to_string() == "repetition limit exceeded"
}

/// `duplicate entry with key "kind"` -> `kind`.
fn duplicate_key(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("duplicate entry with key \"")?;
    rest.strip_suffix('"')
}

/// Where a mapping key occurs for the second time at the same indentation: the duplicate that
/// serde reports without a position. Best effort; nested maps with the same key at the same
/// indentation under different parents could mislead it, and then the caller's fallback is
/// no worse.
fn second_occurrence(text: &str, key: &str) -> Option<(u32, u32)> {
    let mut seen = HashSet::new();
    for (n, line) in text.lines().enumerate() {
        let trimmed = line.trim_start_matches([' ', '-']);
        let indent = line.len() - trimmed.len();
        let unquoted = trimmed
            .strip_prefix(key)
            .or_else(|| trimmed.strip_prefix(&format!("\"{key}\"")));
        if unquoted.is_some_and(|rest| rest.trim_start().starts_with(':')) && !seen.insert(indent) {
            return Some((n as u32 + 1, indent as u32 + 1));
        }
    }
    None
}

/// Removes " at position N" from a message and returns N.
fn take_byte_position(message: &mut String) -> Option<usize> {
    const MARK: &str = " at position ";
    let i = message.find(MARK)?;
    let digits: String = message[i + MARK.len()..]
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    let n = digits.parse().ok()?;
    message.replace_range(i..i + MARK.len() + digits.len(), "");
    Some(n)
}

fn yaml_error(ctx: &DocContext<'_>, e: &serde_norway::Error, object: Option<String>) -> Error {
    let mut message = strip_location(e, ctx.doc.line);
    let in_document = |(line, column): (u32, u32)| ctx.location(ctx.doc.line + line - 1, column);
    // libyaml's reader errors give a byte offset in the document (and a mark at its start);
    // serde's duplicate-key errors give no position at all.
    let location = if let Some(offset) = take_byte_position(&mut message) {
        in_document(documents::position(ctx.doc.text.as_bytes(), offset))
    } else if let Some(pos) =
        duplicate_key(&message).and_then(|k| second_occurrence(ctx.doc.text, k))
    {
        in_document(pos)
    } else if let Some(loc) = e.location() {
        in_document((loc.line() as u32, loc.column() as u32))
    } else {
        ctx.start()
    };
    if is_repetition_limit(e) {
        message =
            "too many alias expansions (a YAML alias bomb?): refusing to expand further".into();
    }
    Error::Input {
        location,
        message,
        object,
    }
}

/// The kind of the items of a typed list (`PodList` -> `Pod`): the API server leaves `kind`
/// out of list items, so `kubectl get pods -o json` against the raw API has items without one.
fn implied_kind(list_kind: &str) -> Option<&str> {
    list_kind.strip_suffix("List").filter(|k| !k.is_empty())
}

/// Converts a parsed object. `prefix` locates list items in messages.
pub fn convert(
    mut obj: RawObject,
    ctx: &DocContext<'_>,
    prefix: &str,
) -> Result<Vec<Parsed>, Error> {
    let Some(kind) = obj.kind.clone() else {
        return Err(Error::Input {
            location: ctx.start(),
            message: format!("{prefix}not a Kubernetes object: no `kind` field"),
            object: None,
        });
    };
    if let Some(items) = obj.items {
        if kind.ends_with("List") {
            let implied = implied_kind(&kind);
            // In parallel, as a large List's items are read, and kept in order: the first error
            // in item order wins, as when they were converted one by one.
            let converted: Vec<Result<Vec<Parsed>, Error>> = items
                .into_par_iter()
                .enumerate()
                .with_min_len(256)
                .map(|(i, mut item)| {
                    if item.kind.is_none() {
                        item.kind = implied.map(str::to_owned);
                        // A typed list's items are of the list's group.
                        if item.api_version.is_none() {
                            item.api_version = obj.api_version.clone();
                        }
                    }
                    convert(item, ctx, &format!("{prefix}items[{i}]: "))
                })
                .collect();
            let mut out = Vec::with_capacity(converted.len());
            for objects in converted {
                out.extend(objects?);
            }
            return Ok(out);
        }
    }
    let class = classify(obj.api_version.as_deref(), &kind);
    if class == Class::Other {
        return Ok(vec![Parsed::Skipped(skipped_key(
            obj.api_version.as_deref(),
            &kind,
        ))]);
    }
    let mut meta = obj.metadata.unwrap_or_default();
    if ctx.skip_helm_hooks
        && meta
            .annotations
            .as_ref()
            .is_some_and(|a| a.helm_hook.is_some())
    {
        return Ok(vec![Parsed::Skipped(format!("{kind} (Helm hook)"))]);
    }
    if let Class::IgnoredPolicy { cluster_scoped } = class {
        return Ok(vec![Parsed::IgnoredPolicy(IgnoredPolicy {
            api_version: obj.api_version.clone().unwrap_or_default(),
            kind,
            namespace: (!cluster_scoped).then(|| {
                meta.namespace
                    .clone()
                    .filter(|n| !n.is_empty())
                    .unwrap_or_else(|| ctx.default_namespace.to_owned())
            }),
            name: meta
                .display_name()
                .unwrap_or_else(|| "<unnamed>".to_owned()),
            origin: ctx.origin_of(&meta),
        })]);
    }
    let Some(name) = meta.display_name() else {
        return Err(Error::Input {
            location: ctx.start(),
            message: format!("{prefix}{kind} has no metadata.name"),
            object: None,
        });
    };
    let namespace = meta
        .namespace
        .clone()
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| ctx.default_namespace.to_owned());
    let suppression = meta.suppression();
    let spec = match class {
        Class::CiliumPolicy(_) => RawSpec::default(),
        _ => obj.spec.take().unwrap_or_default(),
    };
    let parsed = match class {
        Class::Namespace => Parsed::Namespace(namespace_object(name, &meta, ctx.origin_of(&meta))),
        Class::NetworkPolicy => {
            let origin = ctx.origin_of(&meta);
            Parsed::Policy(network_policy(namespace, name, &meta, spec, origin))
        }
        Class::ClusterPolicy(kind) => {
            let origin = ctx.origin_of(&meta);
            let api_version = obj.api_version.clone().unwrap_or_default();
            Parsed::ClusterPolicy(Box::new(cluster_policy(
                kind,
                api_version,
                name,
                &meta,
                spec,
                origin,
            )))
        }
        Class::CiliumPolicy(kind) => Parsed::CiliumPolicy(Box::new(cilium_policy(
            kind,
            namespace,
            name,
            &meta,
            obj.spec,
            obj.specs,
            obj.status.as_ref(),
            ctx.origin_of(&meta),
        ))),
        Class::Calico(CalicoClass::Policy(
            crate::model::CalicoPolicyKind::StagedKubernetesNetworkPolicy,
        )) => {
            let origin = ctx.origin_of(&meta);
            let api_version = obj.api_version.clone().unwrap_or_default();
            let staged_action = spec.staged_action.clone();
            let policy = network_policy(namespace, name, &meta, spec, origin);
            Parsed::CalicoPolicy(Box::new(calico::staged_kubernetes(
                api_version,
                &meta,
                staged_action,
                policy,
            )))
        }
        // Read by `calico_document`, which every document naming Calico's groups takes; one
        // that reaches here spelled its apiVersion with escapes.
        Class::Calico(_) => {
            return Err(Error::Input {
                location: ctx.start(),
                message: format!(
                    "{prefix}{kind}: write its apiVersion without escape sequences to have it read"
                ),
                object: None,
            })
        }
        Class::IgnoredPolicy { .. } | Class::Other => unreachable!("returned above"),
        Class::Workload(kind) => {
            let (labels, host_network, ports, pods, service_account) = match kind {
                // Taken, not copied: the object is read for nothing else that needs them.
                WorkloadKind::Pod => (
                    meta.labels.take().unwrap_or_default(),
                    spec.host_network.unwrap_or(false),
                    container_ports([spec.containers.as_ref(), spec.init_containers.as_ref()]),
                    1,
                    spec.service_account_name,
                ),
                _ => {
                    let template = match kind {
                        WorkloadKind::CronJob => spec
                            .job_template
                            .and_then(|j| j.spec)
                            .and_then(|s| s.template),
                        _ => spec.template,
                    }
                    .unwrap_or_default();
                    let pod_spec = template.spec.unwrap_or_default();
                    let pods = match kind {
                        WorkloadKind::DaemonSet | WorkloadKind::CronJob => 0,
                        WorkloadKind::Job => spec.parallelism.unwrap_or(1),
                        _ => spec.replicas.unwrap_or(1),
                    };
                    (
                        template.metadata.and_then(|m| m.labels).unwrap_or_default(),
                        pod_spec.host_network.unwrap_or(false),
                        container_ports([
                            pod_spec.containers.as_ref(),
                            pod_spec.init_containers.as_ref(),
                        ]),
                        pods,
                        pod_spec.service_account_name,
                    )
                }
            };
            let owners = (meta.owner_references.take().into_iter().flatten())
                .filter_map(|o| Some((o.kind?, o.name?)))
                .collect();
            Parsed::Workload(ParsedWorkload {
                workload: Workload {
                    kind,
                    namespace,
                    name,
                    label_sets: vec![labels],
                    pods: pods.clamp(0, u32::MAX as i64) as u32,
                    host_network,
                    ports,
                    service_account,
                    suppression,
                    origin: ctx.origin_of(&meta),
                },
                owners,
            })
        }
    };
    Ok(vec![parsed])
}

/// A Namespace object: its labels, plus the one the API server always sets.
pub fn namespace_object(name: String, meta: &RawMeta, origin: Origin) -> Namespace {
    let mut labels = labels_or_empty(meta.labels.as_ref());
    labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.clone());
    Namespace {
        name,
        labels,
        suppression: meta.suppression(),
        origin,
    }
}

/// A NetworkPolicy object.
pub fn network_policy(
    namespace: String,
    name: String,
    meta: &RawMeta,
    spec: RawSpec,
    origin: Origin,
) -> NetworkPolicy {
    NetworkPolicy {
        namespace,
        name,
        pod_selector: spec
            .pod_selector
            .map(RawSelector::into_model)
            .unwrap_or_default(),
        policy_types: spec.policy_types,
        ingress: exact((spec.ingress.unwrap_or_default().into_iter()).map(|r| r.into_model(true))),
        egress: exact((spec.egress.unwrap_or_default().into_iter()).map(|r| r.into_model(false))),
        suppression: meta.suppression(),
        origin,
    }
}

/// A ClusterNetworkPolicy, AdminNetworkPolicy or BaselineAdminNetworkPolicy object. They are
/// cluster-scoped: a `metadata.namespace` on them is dropped, as kubectl drops it.
pub fn cluster_policy(
    kind: ClusterPolicyKind,
    api_version: String,
    name: String,
    meta: &RawMeta,
    spec: RawSpec,
    origin: Origin,
) -> ClusterPolicy {
    let rules = |rules: Option<Vec<super::objects::RawRule>>, ingress: bool| {
        exact((rules.unwrap_or_default().into_iter()).map(|r| r.into_cluster_rule(ingress)))
    };
    ClusterPolicy {
        kind,
        api_version,
        name,
        tier: spec.tier,
        priority: spec.priority,
        subject: spec
            .subject
            .map(super::objects::RawPeer::into_cluster_peer)
            .unwrap_or_default(),
        ingress: rules(spec.ingress, true),
        egress: rules(spec.egress, false),
        suppression: meta.suppression(),
        origin,
    }
}

/// A CiliumNetworkPolicy or CiliumClusterwideNetworkPolicy object: `spec` first, then
/// `specs` (cilium `pkg/k8s/apis/cilium.io/v2/cnp_types.go`, `CiliumNetworkPolicy.Parse`
/// reads them in that order). A CiliumClusterwideNetworkPolicy's `metadata.namespace` is
/// dropped, as for the other cluster-scoped kinds.
#[allow(clippy::too_many_arguments)]
pub fn cilium_policy(
    kind: CiliumPolicyKind,
    namespace: String,
    name: String,
    meta: &RawMeta,
    spec: Option<RawSpec>,
    specs: Option<Vec<RawSpec>>,
    status: Option<&RawStatus>,
    origin: Origin,
) -> CiliumPolicy {
    let rules = spec
        .into_iter()
        .map(|s| s.into_cilium_rule(None))
        .chain(
            specs
                .into_iter()
                .flatten()
                .enumerate()
                .map(|(i, s)| s.into_cilium_rule(Some(i))),
        )
        .collect();
    CiliumPolicy {
        kind,
        namespace: (!kind.cluster_scoped()).then_some(namespace),
        name,
        rules,
        rejected_by_cilium: status.and_then(rejected_by_cilium),
        suppression: meta.suppression(),
        origin,
    }
}

/// The message of a `Valid` condition whose status is `False`: the operator's (or agent's)
/// verdict on a policy it refused (cilium `pkg/k8s/apis/cilium.io/v2/cnp_types.go`,
/// `PolicyConditionValid`, `NetworkPolicyCondition`).
fn rejected_by_cilium(status: &RawStatus) -> Option<String> {
    status
        .conditions
        .0
        .iter()
        .find(|c| c.type_.as_deref() == Some("Valid") && c.status.as_deref() == Some("False"))
        .map(|c| {
            c.message
                .clone()
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "no reason given".to_owned())
        })
}

#[cfg(test)]
mod tests {
    use super::{classify, shift_context_mark, strip_location, Class};
    use crate::model::WorkloadKind;

    #[test]
    fn kinds_are_identified_by_group() {
        let deployment = Class::Workload(WorkloadKind::Deployment);
        assert_eq!(classify(Some("apps/v1"), "Deployment"), deployment);
        assert_eq!(
            classify(Some("extensions/v1beta1"), "Deployment"),
            deployment
        );
        assert_eq!(classify(Some("example.com/v1"), "Deployment"), Class::Other);
        assert_eq!(classify(Some("apps/v1"), "Pod"), Class::Other);
        assert_eq!(
            classify(Some("v1"), "Pod"),
            Class::Workload(WorkloadKind::Pod)
        );
        assert_eq!(classify(Some("batch/v1"), "StatefulSet"), Class::Other);
        assert_eq!(
            classify(Some("networking.k8s.io/v1"), "NetworkPolicy"),
            Class::NetworkPolicy
        );
        assert_eq!(
            classify(Some("projectcalico.org/v3"), "NetworkPolicy"),
            Class::Calico(super::CalicoClass::Policy(
                crate::model::CalicoPolicyKind::NetworkPolicy
            ))
        );
        assert_eq!(
            classify(Some("crd.projectcalico.org/v1"), "GlobalNetworkPolicy"),
            Class::Calico(super::CalicoClass::Policy(
                crate::model::CalicoPolicyKind::GlobalNetworkPolicy
            ))
        );
        assert_eq!(classify(None, "GlobalNetworkPolicy"), Class::Other);
        assert_eq!(
            classify(Some("crd.antrea.io/v1beta1"), "NetworkPolicy"),
            Class::IgnoredPolicy {
                cluster_scoped: false
            }
        );
        assert_eq!(
            classify(Some("crd.antrea.io/v1beta1"), "ClusterNetworkPolicy"),
            Class::IgnoredPolicy {
                cluster_scoped: true
            }
        );
        assert_eq!(classify(Some("example.com/v1"), "Namespace"), Class::Other);
        // Without apiVersion (the API server would refuse the object), the kind's name decides.
        assert_eq!(classify(None, "NetworkPolicy"), Class::NetworkPolicy);
        assert_eq!(classify(None, "Job"), Class::Workload(WorkloadKind::Job));
    }

    /// Everything one document of `t.yaml` parses into.
    fn parsed(text: &str) -> Vec<super::Parsed> {
        let file: std::sync::Arc<str> = "t.yaml".into();
        let doc = super::Document {
            text,
            offset: 0,
            line: 1,
            marker: None,
        };
        let ctx = super::DocContext {
            file: &file,
            doc: &doc,
            default_namespace: "default",
            line_base: 0,
            skip_helm_hooks: false,
            content_line: doc.content_line(),
        };
        super::parse_yaml_document(ctx).unwrap()
    }

    fn cluster_policies(text: &str) -> Vec<crate::model::ClusterPolicy> {
        parsed(text)
            .into_iter()
            .filter_map(|p| match p {
                super::Parsed::ClusterPolicy(p) => Some(*p),
                _ => None,
            })
            .collect()
    }

    fn cilium_policies(text: &str) -> Vec<crate::model::CiliumPolicy> {
        parsed(text)
            .into_iter()
            .filter_map(|p| match p {
                super::Parsed::CiliumPolicy(p) => Some(*p),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn cilium_policies_are_read_as_written() {
        use crate::model::{CiliumCidrRule, CiliumPolicyKind, CiliumPort};
        let p = cilium_policies(
            r#"
apiVersion: cilium.io/v2
kind: CiliumNetworkPolicy
metadata: {name: web, namespace: shop}
spec:
  endpointSelector: {matchLabels: {app: web}}
  description: the web tier
  enableDefaultDeny: {egress: false}
  ingress:
  - fromEndpoints: [{matchLabels: {"k8s:app": front}}]
    toPorts:
    - ports: [{port: "80", protocol: TCP}, {port: "8000", endPort: 8100}]
      rules: {http: [{method: GET}]}
  - toEndpoints: [{}]
    from: []
  egress:
  - toFQDNs: [{matchName: example.com}, {matchPattern: "*.example.org"}]
  - toServices: [{k8sService: {serviceName: db, namespace: data}}]
  egressDeny:
  - toCIDRSet: [{cidr: 10.0.0.0/8, except: [10.1.0.0/16]}, {cidrGroupRef: office}]
    toEntities: [world]
    icmps: [{fields: [{type: 8}]}]
specs:
- nodeSelector: {}
  ingress: []
status:
  conditions:
  - {type: Valid, status: "False", message: "rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny"}
"#,
        );
        assert_eq!(p.len(), 1);
        let p = &p[0];
        assert_eq!(p.kind, CiliumPolicyKind::CiliumNetworkPolicy);
        assert_eq!(p.namespace.as_deref(), Some("shop"));
        assert_eq!(
            p.rejected_by_cilium.as_deref(),
            Some("rule must have at least one of Ingress, IngressDeny, Egress, EgressDeny")
        );
        assert_eq!(p.rules.len(), 2, "spec, then each of specs");
        let spec = &p.rules[0];
        assert_eq!(
            spec.endpoint_selector.as_ref().unwrap().match_labels,
            vec![("app".to_owned(), "web".to_owned())]
        );
        assert!(!spec.node_selector);
        assert_eq!(spec.description.as_deref(), Some("the web tier"));
        assert_eq!(spec.enable_default_deny_egress, Some(false));
        assert_eq!(spec.enable_default_deny_ingress, None);
        let ingress = spec.ingress.as_ref().unwrap();
        assert_eq!(ingress.len(), 2);
        assert_eq!(
            ingress[0].endpoints.as_ref().unwrap()[0].match_labels,
            vec![("k8s:app".to_owned(), "front".to_owned())],
            "label source prefixes are kept"
        );
        let ports = &ingress[0].to_ports.as_ref().unwrap()[0];
        assert_eq!(
            ports.ports,
            vec![
                CiliumPort {
                    port: Some("80".into()),
                    end_port: None,
                    protocol: Some("TCP".into())
                },
                CiliumPort {
                    port: Some("8000".into()),
                    end_port: Some(8100),
                    protocol: None
                },
            ]
        );
        assert_eq!(ports.l7, vec!["http".to_owned()]);
        assert_eq!(ingress[0].peer_kinds(), vec!["Endpoints"]);
        assert!(ingress[0].unknown.is_empty());
        // An egress field in an ingress rule, and NetworkPolicy's `from`, are unknown there.
        assert_eq!(ingress[1].unknown, vec!["from", "toEndpoints"]);
        assert_eq!(ingress[1].endpoints, None);
        let egress = spec.egress.as_ref().unwrap();
        assert_eq!(
            egress[0].fqdns,
            Some(vec!["example.com".to_owned(), "*.example.org".to_owned()])
        );
        assert_eq!(egress[1].services, Some(vec!["data/db".to_owned()]));
        let deny = &spec.egress_deny.as_ref().unwrap()[0];
        assert_eq!(
            deny.cidr_set,
            Some(vec![
                CiliumCidrRule {
                    cidr: Some("10.0.0.0/8".into()),
                    except: vec!["10.1.0.0/16".into()],
                    group: false
                },
                CiliumCidrRule {
                    cidr: None,
                    except: vec![],
                    group: true
                },
            ])
        );
        assert_eq!(deny.entities, Some(vec!["world".to_owned()]));
        assert_eq!(deny.peer_kinds(), vec!["CIDRSet", "Entities"]);
        assert!(deny.icmps);
        let second = &p.rules[1];
        assert!(second.node_selector);
        assert_eq!(second.endpoint_selector, None);
        assert_eq!(
            second.ingress,
            Some(vec![]),
            "`ingress: []` is kept apart from absent"
        );
        assert_eq!(second.egress, None);
    }

    #[test]
    fn clusterwide_cilium_policies_have_no_namespace_and_statuses_are_optional() {
        let p = cilium_policies(
            "apiVersion: cilium.io/v2\nkind: CiliumClusterwideNetworkPolicy\nmetadata: {name: a, namespace: x}\nspec: {endpointSelector: {}, ingress: [{}]}\nstatus: {conditions: [{type: Valid, status: \"True\"}]}\n",
        );
        assert_eq!(p[0].namespace, None);
        assert_eq!(p[0].rejected_by_cilium, None);
        assert_eq!(p[0].rules[0].ingress.as_ref().unwrap().len(), 1);
        // Neither spec nor specs: no rule at all (validation says so).
        let p = cilium_policies(
            "apiVersion: cilium.io/v2\nkind: CiliumNetworkPolicy\nmetadata: {name: a}\n",
        );
        assert_eq!(p[0].namespace.as_deref(), Some("default"));
        assert!(p[0].rules.is_empty());
    }

    #[test]
    fn other_cilium_versions_are_not_read_as_v2() {
        assert_eq!(
            classify(Some("cilium.io/v2"), "CiliumNetworkPolicy"),
            Class::CiliumPolicy(crate::model::CiliumPolicyKind::CiliumNetworkPolicy)
        );
        assert_eq!(
            classify(Some("cilium.io/v2alpha1"), "CiliumNetworkPolicy"),
            Class::Other
        );
        assert_eq!(
            super::skipped_key(Some("cilium.io/v2alpha1"), "CiliumNetworkPolicy"),
            "cilium.io/v2alpha1 CiliumNetworkPolicy"
        );
    }

    #[test]
    fn cluster_scoped_policies_are_read_as_written() {
        use crate::model::{ClusterPolicyKind, ClusterPort, Tier};
        let cnp = cluster_policies(
            "apiVersion: policy.networking.k8s.io/v1alpha2
kind: ClusterNetworkPolicy
metadata: {name: c, namespace: ignored}
spec:
  tier: Baseline
  priority: 3
  subject: {pods: {podSelector: {matchLabels: {app: a}}}}
  egress:
  - name: r
    action: Deny
    to:
    - networks: [10.0.0.0/8]
    - podSelector: {}
      future: 1
    protocols:
    - tcp: {destinationPort: {number: 80}}
    - sctp: {destinationPort: {range: {start: 1, end: 9}}}
    - destinationNamedPort: http
    - {udp: {destinationPort: {number: 53}}, destinationNamedPort: dns}
    - udp: {}
",
        );
        let [p] = &cnp[..] else { panic!("{cnp:?}") };
        assert_eq!(p.kind, ClusterPolicyKind::ClusterNetworkPolicy);
        assert_eq!(p.tier(), Some(Tier::Baseline));
        assert_eq!(p.priority, Some(3));
        let pods = p.subject.pods.as_ref().unwrap();
        assert!(pods.namespace_selector.is_empty());
        assert_eq!(pods.pod_selector.match_labels, [("app".into(), "a".into())]);
        let rule = &p.egress[0];
        assert_eq!(
            (rule.name.as_deref(), rule.action.as_str()),
            (Some("r"), "Deny")
        );
        assert_eq!(rule.peers[0].networks, Some(vec!["10.0.0.0/8".to_owned()]));
        // NetworkPolicy's fields are unknown to a cluster-scoped peer: it fails closed.
        assert_eq!(rule.peers[1].unknown, ["future", "podSelector"]);
        assert!(rule.peers[1].fields().is_empty());
        let ports = rule.ports.as_ref().unwrap();
        assert_eq!(
            ports[0],
            ClusterPort::Number {
                protocol: "TCP".into(),
                port: 80
            }
        );
        assert_eq!(
            ports[1],
            ClusterPort::Range {
                protocol: "SCTP".into(),
                start: 1,
                end: 9
            }
        );
        assert_eq!(ports[2], ClusterPort::Named("http".into()));
        assert_eq!(
            ports[3],
            ClusterPort::Invalid("should have at most 1 properties".into())
        );
        assert_eq!(
            ports[4],
            ClusterPort::Invalid("udp: should have at least 1 properties".into())
        );

        let anp = cluster_policies(
            "apiVersion: policy.networking.k8s.io/v1alpha1
kind: AdminNetworkPolicy
metadata: {name: a}
spec:
  priority: 7
  subject: {namespaces: {}}
  ingress:
  - action: Allow
    from: [{namespaces: {matchLabels: {k: v}}}]
    ports:
    - portNumber: {port: 80}
    - portRange: {protocol: UDP, start: 5, end: 6}
    - namedPort: web
    - portNumber: {protocol: SCTP}
",
        );
        let [p] = &anp[..] else { panic!("{anp:?}") };
        assert_eq!(p.tier(), Some(Tier::Admin));
        assert!(p.subject.namespaces.as_ref().unwrap().is_empty());
        let ports = p.ingress[0].ports.as_ref().unwrap();
        // The protocol defaults to TCP.
        assert_eq!(
            ports[0],
            ClusterPort::Number {
                protocol: "TCP".into(),
                port: 80
            }
        );
        assert_eq!(
            ports[1],
            ClusterPort::Range {
                protocol: "UDP".into(),
                start: 5,
                end: 6
            }
        );
        assert_eq!(ports[2], ClusterPort::Named("web".into()));
        assert_eq!(
            ports[3],
            ClusterPort::Invalid("portNumber.port: Required value".into())
        );
        assert_eq!(p.origin.line, Some(1));
    }

    #[test]
    fn cluster_scoped_kinds_are_read_in_their_versions_only() {
        use crate::model::ClusterPolicyKind::*;
        for (v, kind) in [
            ("policy.networking.k8s.io/v1beta1", ClusterNetworkPolicy),
            ("policy.networking.k8s.io/v1alpha2", ClusterNetworkPolicy),
            ("policy.networking.k8s.io/v1alpha1", AdminNetworkPolicy),
            (
                "policy.networking.k8s.io/v1alpha1",
                BaselineAdminNetworkPolicy,
            ),
        ] {
            assert_eq!(classify(Some(v), kind.as_str()), Class::ClusterPolicy(kind));
        }
        for (v, kind) in [
            ("policy.networking.k8s.io/v1alpha1", ClusterNetworkPolicy),
            ("policy.networking.k8s.io/v1", ClusterNetworkPolicy),
            ("policy.networking.k8s.io/v1alpha2", AdminNetworkPolicy),
        ] {
            assert_eq!(
                classify(Some(v), kind.as_str()),
                Class::IgnoredPolicy {
                    cluster_scoped: true
                }
            );
        }
        assert_eq!(
            classify(Some("example.com/v1"), "ClusterNetworkPolicy"),
            Class::Other
        );
    }

    #[test]
    fn inner_positions_are_shifted_to_the_file() {
        assert_eq!(
            shift_context_mark("while parsing a flow sequence at line 1 column 4", 10),
            "while parsing a flow sequence at line 10 column 4"
        );
        assert_eq!(
            shift_context_mark("while parsing a flow sequence", 5),
            "while parsing a flow sequence"
        );
        // No overflow whatever the numbers.
        assert_eq!(
            shift_context_mark("while parsing a node at line 4294967295 column 1", 7),
            "while parsing a node at line 4294967295 column 1"
        );
    }

    fn error_text(doc: &str, first_line: u32) -> String {
        let e = serde_norway::from_str::<serde_json::Value>(doc).unwrap_err();
        strip_location(&e, first_line)
    }

    #[test]
    fn the_users_text_is_never_rewritten() {
        // A value that reads like a position stays as written, wherever the document starts.
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct Port {
            port: u16,
        }
        for text in [
            "see at line 3",
            "x at line 4294967295",
            "a at line 1 column 1",
        ] {
            let doc = format!("port: \"{text}\"\n");
            let e = serde_norway::from_str::<Port>(&doc).unwrap_err();
            let message = strip_location(&e, 5);
            assert!(message.contains(text), "{message}");
            assert!(!message.ends_with("column 7"), "{message}");
        }
        // libyaml's own context mark is moved to the file.
        assert_eq!(
            error_text("a: [1, 2\nb: 3\n", 10),
            "did not find expected ',' or ']', while parsing a flow sequence at line 10 column 4"
        );
    }
}
