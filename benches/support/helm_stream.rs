//! A deterministic stream shaped like `helm template` output, for the post-render benchmark:
//! every document behind `---` and `# Source: <chart>/templates/<file>`, a mix of Deployments
//! (with long env lists), ConfigMaps (with block scalars), Services (with long annotations) and
//! NetworkPolicies. Shared by benches/postrender.rs and examples/helm_stream.rs.

use std::fmt::Write;

/// splitmix64: small, fast and the same on every platform.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// `documents` documents of about `bytes / documents` bytes each.
pub fn generate(documents: usize, bytes: usize, seed: u64) -> String {
    let mut rng = Rng(seed);
    let per_doc = bytes / documents.max(1);
    let mut out = String::with_capacity(bytes + bytes / 8);
    for i in 0..documents {
        let start = out.len();
        match i % 4 {
            0 => {
                let _ = write!(
                    out,
                    "---\n# Source: shop/templates/deploy-{i}.yaml\napiVersion: apps/v1\nkind: Deployment\n\
                     metadata:\n  name: app-{i}\n  labels:\n    app.kubernetes.io/name: app-{i}\n    helm.sh/chart: shop-1.0.0\n\
                     spec:\n  replicas: 2\n  selector:\n    matchLabels:\n      app.kubernetes.io/name: app-{i}\n  \
                     template:\n    metadata:\n      labels:\n        app.kubernetes.io/name: app-{i}\n    \
                     spec:\n      containers:\n      - name: app\n        image: registry.example/app:{i}\n        \
                     ports:\n        - name: http\n          containerPort: 8080\n        env:\n"
                );
                let mut j = 0;
                while out.len() - start < per_doc {
                    let len = 20 + rng.below(60) as usize;
                    let _ = writeln!(
                        out,
                        "        - name: VAR_{j}\n          value: \"{}\"",
                        "x".repeat(len)
                    );
                    j += 1;
                }
            }
            1 => {
                let _ = write!(
                    out,
                    "---\n# Source: shop/templates/cm-{i}.yaml\napiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: cm-{i}\ndata:\n  app.conf: |\n"
                );
                while out.len() - start < per_doc {
                    let len = 30 + rng.below(70) as usize;
                    let _ = writeln!(out, "    setting = {}", "y".repeat(len));
                }
            }
            2 => {
                let _ = write!(
                    out,
                    "---\n# Source: shop/templates/np-{i}.yaml\napiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\n\
                     metadata:\n  name: allow-to-app-{i}\nspec:\n  podSelector:\n    matchLabels:\n      app.kubernetes.io/name: app-{j}\n  \
                     policyTypes: [Ingress, Egress]\n  ingress:\n",
                    j = i - 2
                );
                while out.len() - start < per_doc {
                    let port = 1024 + rng.below(60000);
                    let _ = writeln!(out, "  - from:\n    - podSelector: {{matchLabels: {{app: web}}}}\n    ports:\n    - port: {port}");
                }
            }
            _ => {
                let len = per_doc.saturating_sub(200).max(10);
                let _ = write!(
                    out,
                    "---\n# Source: shop/templates/svc-{i}.yaml\napiVersion: v1\nkind: Service\nmetadata:\n  name: svc-{i}\n  \
                     annotations:\n    description: \"{}\"\nspec:\n  selector:\n    app: a\n  ports:\n  - port: 80\n",
                    "z".repeat(len)
                );
            }
        }
    }
    out
}
