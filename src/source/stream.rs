//! Parsing one document of a manifest stream into inventory objects.
//!
//! The fast path deserialises the document straight into [`RawObject`]. When that fails, a slow
//! path re-reads it generically to tell a syntax error from a wrong type, a known kind from an
//! unknown one (whose fields may have any shape, and which we only count), and to name the
//! object in the message. Errors are rare, so the second parse costs nothing in practice.

use std::sync::Arc;

use serde_norway::Value;

use crate::error::{Error, Location};
use crate::model::{
    Namespace, NetworkPolicy, Origin, Workload, WorkloadKind, NAMESPACE_NAME_LABEL,
};

use super::documents::Document;
use super::objects::{container_ports, labels_or_empty, RawObject, RawSelector};

/// One object read from a stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    Namespace(Namespace),
    Workload(ParsedWorkload),
    Policy(NetworkPolicy),
    Skipped(String),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedWorkload {
    pub workload: Workload,
    /// `(kind, name)` of each owner reference, for folding into an owner of the input.
    pub owners: Vec<(String, String)>,
    /// Whether `helm.sh/hook` marks it.
    pub helm_hook: bool,
}

/// Where a document sits, for locations and origins.
#[derive(Debug, Clone, Copy)]
pub struct DocContext<'a> {
    pub file: &'a Arc<str>,
    pub doc: &'a Document<'a>,
    /// Namespace for objects that name none.
    pub default_namespace: &'a str,
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
        self.location(self.doc.content_line(), 1)
    }

    fn origin(&self) -> Origin {
        Origin {
            file: Some(self.file.clone()),
            line: Some(self.doc.content_line()),
        }
    }
}

/// Parses one YAML document.
pub fn parse_yaml_document(ctx: DocContext<'_>) -> Result<Vec<Parsed>, Error> {
    if ctx.doc.is_blank() {
        return Ok(Vec::new());
    }
    match serde_norway::from_str::<RawObject>(ctx.doc.text) {
        Ok(obj) => convert(obj, &ctx, ""),
        Err(fast) => slow_path(&ctx, fast),
    }
}

fn slow_path(ctx: &DocContext<'_>, fast: serde_norway::Error) -> Result<Vec<Parsed>, Error> {
    let value: Value = match serde_norway::from_str(ctx.doc.text) {
        Ok(v) => v,
        Err(e) => return Err(yaml_error(ctx, &e, None)),
    };
    match &value {
        Value::Null => Ok(Vec::new()),
        Value::Mapping(_) => {
            let Some(kind) = value.get("kind").and_then(Value::as_str) else {
                return Err(yaml_error(ctx, &fast, None));
            };
            if let Some(items) = value.get("items").and_then(Value::as_sequence) {
                if kind.ends_with("List") {
                    return list_items(ctx, items);
                }
            }
            if is_read_kind(kind) {
                Err(yaml_error(ctx, &fast, Some(describe_value(&value))))
            } else {
                Ok(vec![Parsed::Skipped(kind.to_owned())])
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

/// Items of a `List` whose fast parse failed: each is converted on its own, so that one item of
/// an unknown kind with an odd shape does not sink the others.
fn list_items(ctx: &DocContext<'_>, items: &[Value]) -> Result<Vec<Parsed>, Error> {
    let mut out = Vec::new();
    for (i, item) in items.iter().enumerate() {
        let kind = item.get("kind").and_then(Value::as_str).unwrap_or("");
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
        match serde_norway::from_value::<RawObject>(item.clone()) {
            Ok(obj) => out.extend(convert(obj, ctx, &format!("items[{i}]: "))?),
            Err(_) if !is_read_kind(kind) && !kind.is_empty() => {
                out.push(Parsed::Skipped(kind.to_owned()))
            }
            Err(e) => {
                return Err(Error::Input {
                    location: ctx.start(),
                    message: format!("items[{i}].{}", strip_location(&e, ctx.doc.line)),
                    object: Some(describe_value(item)),
                })
            }
        }
    }
    Ok(out)
}

fn is_read_kind(kind: &str) -> bool {
    kind == "Namespace" || kind == "NetworkPolicy" || WorkloadKind::parse(kind).is_some()
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
/// position in front instead, and shift positions that libyaml mentions inside the message
/// ("while parsing a flow sequence at line 1 column 4") from the document to the file.
fn strip_location(e: &serde_norway::Error, first_line: u32) -> String {
    let mut text = e.to_string();
    if let Some(loc) = e.location() {
        text = text.replacen(
            &format!(" at line {} column {}", loc.line(), loc.column()),
            "",
            1,
        );
    }
    absolutize_lines(&text, first_line)
}

fn absolutize_lines(text: &str, first_line: u32) -> String {
    const MARK: &str = " at line ";
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find(MARK) {
        out.push_str(&rest[..i + MARK.len()]);
        rest = &rest[i + MARK.len()..];
        let digits = rest.bytes().take_while(u8::is_ascii_digit).count();
        match rest[..digits].parse::<u32>() {
            Ok(n) => out.push_str(&(n + first_line - 1).to_string()),
            Err(_) => out.push_str(&rest[..digits]),
        }
        rest = &rest[digits..];
    }
    out.push_str(rest);
    out
}

fn yaml_error(ctx: &DocContext<'_>, e: &serde_norway::Error, object: Option<String>) -> Error {
    let location = match e.location() {
        Some(loc) => ctx.location(ctx.doc.line + loc.line() as u32 - 1, loc.column() as u32),
        None => ctx.start(),
    };
    let mut message = strip_location(e, ctx.doc.line);
    if message == "repetition limit exceeded" {
        message =
            "too many alias expansions (a YAML alias bomb?): refusing to expand further".into();
    }
    Error::Input {
        location,
        message,
        object,
    }
}

/// Converts a parsed object. `prefix` locates list items in messages.
pub fn convert(obj: RawObject, ctx: &DocContext<'_>, prefix: &str) -> Result<Vec<Parsed>, Error> {
    let Some(kind) = obj.kind.clone() else {
        return Err(Error::Input {
            location: ctx.start(),
            message: format!("{prefix}not a Kubernetes object: no `kind` field"),
            object: None,
        });
    };
    if let Some(items) = obj.items {
        if kind.ends_with("List") {
            let mut out = Vec::new();
            for (i, item) in items.into_iter().enumerate() {
                out.extend(convert(item, ctx, &format!("{prefix}items[{i}]: "))?);
            }
            return Ok(out);
        }
    }
    if !is_read_kind(&kind) {
        return Ok(vec![Parsed::Skipped(kind)]);
    }
    let meta = obj.metadata.unwrap_or_default();
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
    let spec = obj.spec.unwrap_or_default();
    let parsed = match kind.as_str() {
        "Namespace" => {
            let mut labels = labels_or_empty(meta.labels.as_ref());
            labels.insert(NAMESPACE_NAME_LABEL.to_owned(), name.clone());
            Parsed::Namespace(Namespace {
                name,
                labels,
                suppression,
                origin: ctx.origin(),
            })
        }
        "NetworkPolicy" => Parsed::Policy(NetworkPolicy {
            namespace,
            name,
            pod_selector: spec
                .pod_selector
                .map(RawSelector::into_model)
                .unwrap_or_default(),
            policy_types: spec.policy_types,
            ingress: spec
                .ingress
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.into_model(true))
                .collect(),
            egress: spec
                .egress
                .unwrap_or_default()
                .into_iter()
                .map(|r| r.into_model(false))
                .collect(),
            suppression,
            origin: ctx.origin(),
        }),
        _ => {
            let kind = WorkloadKind::parse(&kind).expect("is_read_kind checked the kind");
            let (labels, host_network, ports, pods) = match kind {
                WorkloadKind::Pod => (
                    labels_or_empty(meta.labels.as_ref()),
                    spec.host_network.unwrap_or(false),
                    container_ports([spec.containers.as_ref(), spec.init_containers.as_ref()]),
                    1,
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
                        labels_or_empty(template.metadata.as_ref().and_then(|m| m.labels.as_ref())),
                        pod_spec.host_network.unwrap_or(false),
                        container_ports([
                            pod_spec.containers.as_ref(),
                            pod_spec.init_containers.as_ref(),
                        ]),
                        pods,
                    )
                }
            };
            let owners = meta
                .owner_references
                .iter()
                .flatten()
                .filter_map(|o| Some((o.kind.clone()?, o.name.clone()?)))
                .collect();
            let helm_hook = meta
                .annotations
                .as_ref()
                .is_some_and(|a| a.helm_hook.is_some());
            Parsed::Workload(ParsedWorkload {
                workload: Workload {
                    kind,
                    namespace,
                    name,
                    label_sets: vec![labels],
                    pods: pods.clamp(0, u32::MAX as i64) as u32,
                    host_network,
                    ports,
                    suppression,
                    origin: ctx.origin(),
                },
                owners,
                helm_hook,
            })
        }
    };
    Ok(vec![parsed])
}

#[cfg(test)]
mod tests {
    use super::absolutize_lines;

    #[test]
    fn inner_positions_are_shifted_to_the_file() {
        assert_eq!(
            absolutize_lines("did not find expected ',' while parsing a flow sequence at line 1 column 4", 10),
            "did not find expected ',' while parsing a flow sequence at line 10 column 4"
        );
        assert_eq!(absolutize_lines("no position here", 5), "no position here");
    }
}
