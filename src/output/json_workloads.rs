//! `-o json`'s workload entries, written as `serde_json::to_writer_pretty` writes them, byte for
//! byte, without going through serde for the parts that repeat.
//!
//! With cluster-scoped policies, each workload names every policy that selects it in
//! `policyRefs`: 3.1 million references for 100,000 workloads under 200 such policies, most of
//! the report's 694 MB, and serialising each of them field by field was most of the run. A
//! reference is one shared entry per policy (`Arc`), and a list one shared slice per set of
//! selecting policies, so their text is written once per chunk of workloads and copied for
//! every workload that holds them.

use std::io;

use serde::Serialize;

use super::pretty::Nested;
use crate::report::{DecidedBy, Isolation, PolicyRefEntry, WorkloadEntry};

/// Indentation of the workload entries' fields: they sit two levels deep (in the list, in the
/// report), their fields one level deeper.
pub(super) const FIELD: &[u8] = b"\n      ";
/// The fields of `ingress` and `egress`.
const ISOLATION_FIELD: &[u8] = b"\n        ";
/// The items of `policies` and `policyRefs`.
const ITEM: &[u8] = b"\n          ";

/// The text of every policy reference and `policyRefs` list already written in this chunk, by
/// the address of its shared entry or list (as a number, so that a chunk's texts can be kept
/// for the next on another thread).
#[derive(Default)]
pub(super) struct RefTexts {
    at: foldhash::HashMap<usize, (usize, usize)>,
    lists: foldhash::HashMap<(usize, usize), (usize, usize)>,
    /// `policies` lists, shared like `policyRefs` ones.
    names: foldhash::HashMap<(usize, usize), (usize, usize)>,
    /// `decidedBy` entries, shared by every workload a rule decides for.
    decided_by: foldhash::HashMap<usize, (usize, usize)>,
    text: Vec<u8>,
}

impl RefTexts {
    /// Forgets every text, keeping the memory for the next chunk.
    pub(super) fn clear(&mut self) {
        self.at.clear();
        self.lists.clear();
        self.names.clear();
        self.decided_by.clear();
        self.text.clear();
    }

    /// The items of a `policyRefs` list, from the first item's indentation to the last `}`.
    fn list(&mut self, refs: &crate::report::PolicyRefs) -> io::Result<&[u8]> {
        let key = (refs.as_ptr() as usize, refs.len());
        let (start, end) = match self.lists.get(&key) {
            Some(&range) => range,
            None => {
                let mut items = Vec::new();
                for (i, r) in refs.iter().enumerate() {
                    if i > 0 {
                        items.push(b',');
                    }
                    items.extend_from_slice(ITEM);
                    items.extend_from_slice(self.get(r)?);
                }
                let start = self.text.len();
                self.text.extend_from_slice(&items);
                let range = (start, self.text.len());
                self.lists.insert(key, range);
                range
            }
        };
        Ok(&self.text[start..end])
    }

    /// The items of a `policies` list, from the first item's indentation to the last name.
    fn names(&mut self, names: &crate::report::PolicyNames) -> io::Result<&[u8]> {
        let key = (names.as_ptr() as usize, names.len());
        let (start, end) = match self.names.get(&key) {
            Some(&range) => range,
            None => {
                let start = self.text.len();
                for (i, name) in names.iter().enumerate() {
                    if i > 0 {
                        self.text.push(b',');
                    }
                    self.text.extend_from_slice(ITEM);
                    compact(&mut self.text, name)?;
                }
                let range = (start, self.text.len());
                self.names.insert(key, range);
                range
            }
        };
        Ok(&self.text[start..end])
    }

    /// A `decidedBy` value, four levels deep.
    fn decided_by(&mut self, by: &std::sync::Arc<DecidedBy>) -> io::Result<&[u8]> {
        let key = std::sync::Arc::as_ptr(by) as usize;
        let (start, end) = match self.decided_by.get(&key) {
            Some(&range) => range,
            None => {
                let start = self.text.len();
                pretty(&mut self.text, 4, by.as_ref())?;
                let range = (start, self.text.len());
                self.decided_by.insert(key, range);
                range
            }
        };
        Ok(&self.text[start..end])
    }

    /// The reference as it sits in `policyRefs`, five levels deep.
    fn get(&mut self, entry: &std::sync::Arc<PolicyRefEntry>) -> io::Result<&[u8]> {
        let key = std::sync::Arc::as_ptr(entry) as usize;
        let (start, end) = match self.at.get(&key) {
            Some(&range) => range,
            None => {
                let start = self.text.len();
                pretty(&mut self.text, 5, entry.as_ref())?;
                let range = (start, self.text.len());
                self.at.insert(key, range);
                range
            }
        };
        Ok(&self.text[start..end])
    }
}

/// Writes one entry of the report's `workloads`, two levels deep, as serde writes it.
pub(super) fn write(w: &WorkloadEntry, out: &mut Vec<u8>, refs: &mut RefTexts) -> io::Result<()> {
    // Every field named: a new one is a compile error here, not a field missing from the JSON.
    let WorkloadEntry {
        cluster,
        kind,
        namespace,
        name,
        pods,
        host_network,
        ingress,
        egress,
    } = w;
    out.push(b'{');
    if let Some(cluster) = cluster {
        field(out, FIELD, "cluster", cluster, true)?;
    }
    field(out, FIELD, "kind", kind, cluster.is_none())?;
    field(out, FIELD, "namespace", namespace, false)?;
    field(out, FIELD, "name", name, false)?;
    field(out, FIELD, "pods", pods, false)?;
    field(out, FIELD, "hostNetwork", host_network, false)?;
    key(out, FIELD, "ingress", false);
    isolation(ingress, out, refs)?;
    key(out, FIELD, "egress", false);
    isolation(egress, out, refs)?;
    out.extend_from_slice(b"\n    }");
    Ok(())
}

/// `ingress` or `egress`, three levels deep.
fn isolation(v: &Isolation, out: &mut Vec<u8>, refs: &mut RefTexts) -> io::Result<()> {
    let Isolation {
        isolated,
        policies,
        isolation,
        reason,
        decided_by,
        policy_refs,
    } = v;
    out.push(b'{');
    field(out, ISOLATION_FIELD, "isolated", isolated, true)?;
    key(out, ISOLATION_FIELD, "policies", false);
    if policies.is_empty() {
        out.extend_from_slice(b"[]");
    } else {
        out.push(b'[');
        out.extend_from_slice(refs.names(policies)?);
        out.extend_from_slice(b"\n        ]");
    }
    field(out, ISOLATION_FIELD, "isolation", isolation, false)?;
    if let Some(reason) = reason {
        field(out, ISOLATION_FIELD, "reason", reason, false)?;
    }
    if let Some(by) = decided_by {
        key(out, ISOLATION_FIELD, "decidedBy", false);
        out.extend_from_slice(refs.decided_by(by)?);
    }
    if !policy_refs.is_empty() {
        key(out, ISOLATION_FIELD, "policyRefs", false);
        out.push(b'[');
        out.extend_from_slice(refs.list(policy_refs)?);
        out.extend_from_slice(b"\n        ]");
    }
    out.extend_from_slice(b"\n      }");
    Ok(())
}

/// `"name": ` on its own line at the given indentation.
pub(super) fn key(out: &mut Vec<u8>, indent: &[u8], name: &str, first: bool) {
    if !first {
        out.push(b',');
    }
    out.extend_from_slice(indent);
    out.push(b'"');
    out.extend_from_slice(name.as_bytes());
    out.extend_from_slice(b"\": ");
}

/// A field whose value is a scalar (a string, a number, a bool or a unit variant).
fn field<T: Serialize + ?Sized>(
    out: &mut Vec<u8>,
    indent: &[u8],
    name: &str,
    value: &T,
    first: bool,
) -> io::Result<()> {
    key(out, indent, name, first);
    compact(out, value)
}

/// A scalar as serde_json writes it, which is the same in the compact and the pretty format.
pub(super) fn compact<T: Serialize + ?Sized>(out: &mut Vec<u8>, value: &T) -> io::Result<()> {
    serde_json::to_writer(&mut *out, value).map_err(io::Error::other)
}

/// A value as it sits `depth` levels deep in the pretty format.
fn pretty<T: Serialize + ?Sized>(out: &mut Vec<u8>, depth: usize, value: &T) -> io::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(out, Nested::at(depth));
    value.serialize(&mut ser).map_err(io::Error::other)?;
    Ok(())
}
