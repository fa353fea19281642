//! One busy synthetic namespace for the `matrix` benchmark: many workloads and many policies
//! of every shape in the same namespace, so that every pair must be decided by many rules.
//! Deterministic: the same sizes always give the same bytes.

use std::fmt::Write as _;

/// `workloads` Deployments and `policies` NetworkPolicies (the first a default deny) in
/// namespace `big`, as a multi-document YAML stream.
pub fn generate(workloads: usize, policies: usize) -> String {
    let mut s = String::with_capacity(workloads * 400 + policies * 600);
    s.push_str("apiVersion: v1\nkind: Namespace\nmetadata: {name: big, labels: {env: bench}}\n");
    for i in 0..workloads {
        let metrics = if i % 2 == 0 {
            ", {name: metrics, containerPort: 9090}"
        } else {
            ""
        };
        let _ = write!(
            s,
            "---\napiVersion: apps/v1\nkind: Deployment\nmetadata: {{name: w{i:04}, namespace: big}}\n\
             spec:\n  template:\n    metadata: {{labels: {{app: w{i:04}, tier: t{}, team: m{}}}}}\n    \
             spec:\n      containers: [{{name: c, image: app, ports: [{{name: http, containerPort: 8080}}{metrics}]}}]\n",
            i % 10,
            i % 25
        );
    }
    if policies > 0 {
        s.push_str(
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {name: default-deny, namespace: big}\n\
             spec: {podSelector: {}, policyTypes: [Ingress, Egress]}\n",
        );
    }
    let w = workloads.max(1);
    for j in 1..policies {
        let _ = write!(
            s,
            "---\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata: {{name: p{j:04}, namespace: big}}\nspec:\n"
        );
        let body = match j % 5 {
            0 => format!(
                "  podSelector: {{matchLabels: {{tier: t{}}}}}\n  ingress:\n  - from: [{{podSelector: {{matchLabels: {{team: m{}}}}}}}]\n    ports: [{{port: 8080}}]\n",
                j % 10,
                j % 25
            ),
            1 => format!(
                "  podSelector: {{matchLabels: {{app: w{:04}}}}}\n  policyTypes: [Ingress, Egress]\n  ingress:\n  - from: [{{podSelector: {{matchExpressions: [{{key: tier, operator: In, values: [t1, t2]}}]}}}}]\n    ports: [{{port: http}}]\n  egress:\n  - to: [{{podSelector: {{matchLabels: {{tier: t{}}}}}}}]\n    ports: [{{port: 8080}}, {{port: metrics}}]\n",
                (j * 2) % w,
                j % 10
            ),
            2 => format!(
                "  podSelector: {{matchLabels: {{team: m{}}}}}\n  policyTypes: [Egress]\n  egress:\n  - to: [{{namespaceSelector: {{}}, podSelector: {{matchLabels: {{k8s-app: kube-dns}}}}}}]\n    ports: [{{port: 53, protocol: UDP}}]\n  - to: [{{ipBlock: {{cidr: 10.{}.0.0/16, except: [10.{}.1.0/24]}}}}]\n    ports: [{{port: 443}}]\n",
                j % 25,
                j % 250,
                j % 250
            ),
            3 => format!(
                "  podSelector: {{matchExpressions: [{{key: tier, operator: NotIn, values: [t{}]}}]}}\n  ingress:\n  - from: [{{namespaceSelector: {{}}, podSelector: {{matchLabels: {{team: m{}}}}}}}]\n    ports: [{{port: 8000, endPort: 8100}}]\n",
                j % 10,
                (j + 3) % 25
            ),
            _ => format!(
                "  podSelector: {{matchLabels: {{app: w{:04}}}}}\n  ingress:\n  - from: [{{ipBlock: {{cidr: 192.168.{}.0/24}}}}]\n    ports: [{{port: 8080}}]\n  - from: [{{podSelector: {{matchLabels: {{app: w{:04}}}}}}}]\n",
                j % w,
                j % 256,
                (j + 1) % w
            ),
        };
        s.push_str(&body);
    }
    s
}

#[cfg(test)]
mod tests {
    #[test]
    fn sizes_are_as_asked_and_valid() {
        let text = super::generate(20, 12);
        let docs = text.split("\n---\n").count();
        assert_eq!(docs, 1 + 20 + 12);
        // Every document parses and no policy is refused by the validation.
        let inputs = vec![crate::source::manifests::Loaded {
            name: "synth".into(),
            text,
        }];
        let parsed =
            crate::source::manifests::parse_all(&inputs, &Default::default()).expect("valid YAML");
        let inventory = crate::source::manifests::build_inventory(parsed);
        assert_eq!(inventory.workloads.len(), 20);
        assert_eq!(inventory.policies.len(), 12);
        assert!(crate::analysis::invalid_policies(&inventory).is_empty());
    }
}
