//! `-o json`'s findings, written as `serde_json::to_writer_pretty` writes them, byte for byte.
//!
//! A large run reports 100,000 findings or more, each with a message and a remediation of a
//! few hundred characters. serde_json looks at every character of a string for one it must
//! escape; almost none has one, so a string is copied whole once a scan that the compiler
//! vectorises has found nothing to escape, and left to serde_json otherwise.

use std::io;

use super::json_workloads::{compact, key, RefTexts, FIELD};
use crate::report::Finding;

/// A finding two levels deep (in the list, in the report).
pub(super) fn write(f: &Finding, out: &mut Vec<u8>, _: &mut RefTexts) -> io::Result<()> {
    // Every field named: a new one is a compile error here, not a field missing from the JSON.
    let Finding {
        cluster,
        rule,
        name,
        severity,
        namespace,
        kind,
        object,
        message,
        remediation,
        file,
        line,
        suppression_reason,
    } = f;
    out.push(b'{');
    if let Some(cluster) = cluster {
        key(out, FIELD, "cluster", true);
        string(out, cluster)?;
    }
    key(out, FIELD, "rule", cluster.is_none());
    string(out, rule)?;
    key(out, FIELD, "name", false);
    string(out, name)?;
    key(out, FIELD, "severity", false);
    string(out, severity.as_str())?;
    key(out, FIELD, "namespace", false);
    match namespace {
        Some(namespace) => string(out, namespace)?,
        None => out.extend_from_slice(b"null"),
    }
    for (field, value) in [
        ("kind", kind),
        ("object", object),
        ("message", message),
        ("remediation", remediation),
    ] {
        key(out, FIELD, field, false);
        string(out, value)?;
    }
    if let Some(file) = file {
        key(out, FIELD, "file", false);
        string(out, file)?;
    }
    if let Some(line) = line {
        key(out, FIELD, "line", false);
        compact(out, line)?;
    }
    if let Some(reason) = suppression_reason {
        key(out, FIELD, "suppressionReason", false);
        string(out, reason)?;
    }
    out.extend_from_slice(b"\n    }");
    Ok(())
}

/// A string as serde_json writes it, which escapes only `"`, `\` and control characters.
fn string(out: &mut Vec<u8>, s: &str) -> io::Result<()> {
    // No early exit within a block: a loop that can stop at any byte is not vectorised.
    let plain = s.as_bytes().chunks(32).all(|block| {
        !block.iter().fold(false, |any, &b| {
            any | (b < 0x20) | (b == b'"') | (b == b'\\')
        })
    });
    if plain {
        out.reserve(s.len() + 2);
        out.push(b'"');
        out.extend_from_slice(s.as_bytes());
        out.push(b'"');
        Ok(())
    } else {
        compact(out, s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strings_are_written_as_serde_json_writes_them() {
        let every_byte: String = (0u8..=0x7f).map(char::from).collect();
        for s in [
            "",
            "plain text, longer than one block of thirty-two bytes",
            "a \"quoted\" word",
            "back\\slash",
            "tab\tand newline\n",
            &every_byte,
            "caf\u{e9} \u{1F512} and \u{7f}",
        ] {
            let mut ours = Vec::new();
            string(&mut ours, s).unwrap();
            assert_eq!(
                String::from_utf8(ours).unwrap(),
                serde_json::to_string(s).unwrap(),
                "{s:?}"
            );
        }
    }
}
