//! Small helpers for messages.

/// "1 NetworkPolicy", "3 NetworkPolicies".
pub fn plural(n: usize, one: &str, many: &str) -> String {
    format!("{n} {}", if n == 1 { one } else { many })
}
