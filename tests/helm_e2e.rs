//! End to end through real Helm 3.17 and Helm 4.1 binaries, installed by
//! scripts/install-test-tools.sh, over the charts in tests/charts/.
//!
//! Helm 3 runs the binary as an executable path; Helm 4 runs the `netpol-check` postrenderer/v1
//! plugin described by plugin.yaml at the repository root.

mod apiserver;
mod platform;
mod tools;

use std::path::PathBuf;
use std::process::{Command, Output};

const REPO: &str = env!("CARGO_MANIFEST_DIR");
const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

#[derive(Clone, Copy, Debug, PartialEq)]
enum Version {
    Three,
    Four,
}

const BOTH: [Version; 2] = [Version::Three, Version::Four];

/// One Helm with its own home directories, and our binary on PATH as kubectl-netpol_check.
struct Helm {
    version: Version,
    home: tempfile::TempDir,
}

impl Helm {
    fn new(version: Version) -> Helm {
        let home = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(home.path().join("path")).unwrap();
        std::os::unix::fs::symlink(BINARY, home.path().join("path/kubectl-netpol_check")).unwrap();
        let helm = Helm { version, home };
        if version == Version::Four {
            helm.install_plugin_dir();
            helm.install_identity_plugin();
        }
        helm
    }

    /// Helm 4 re-serialises every document it hands to a post-renderer, so even `cat` changes
    /// plain `helm template` output; a `cat` plugin is the baseline our output must equal.
    fn install_identity_plugin(&self) {
        let dir = self.home.path().join("identity");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(
            dir.join("plugin.yaml"),
            "apiVersion: v1\ntype: postrenderer/v1\nname: identity\nversion: 0.1.0\nruntime: subprocess\n\
             runtimeConfig:\n  platformCommand:\n    - command: /bin/cat\n",
        )
        .unwrap();
        let out = self.cmd(&["plugin", "install", dir.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// What `helm template` gives with a post-renderer that changes nothing.
    fn baseline(&self, chart: &str) -> Output {
        match self.version {
            Version::Three => self.template(chart, None),
            Version::Four => {
                let chart = format!("{REPO}/tests/charts/{chart}");
                self.cmd(&[
                    "template",
                    "rel",
                    &chart,
                    "-n",
                    "shop",
                    "--post-renderer",
                    "identity",
                ])
            }
        }
    }

    /// Installs the plugin the way a user installs it from a checkout: plugin.yaml and the
    /// wrapper, with the binary found on PATH.
    fn install_plugin_dir(&self) {
        let dir = self.home.path().join("plugin-src");
        std::fs::create_dir_all(dir.join("scripts")).unwrap();
        std::fs::copy(format!("{REPO}/plugin.yaml"), dir.join("plugin.yaml")).unwrap();
        std::fs::copy(
            format!("{REPO}/scripts/helm-post-render.sh"),
            dir.join("scripts/helm-post-render.sh"),
        )
        .unwrap();
        let out = self.cmd(&["plugin", "install", dir.to_str().unwrap()]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    fn binary(&self) -> PathBuf {
        tools::dir().join(match self.version {
            Version::Three => "helm3",
            Version::Four => "helm4",
        })
    }

    fn command(&self) -> Command {
        let h = self.home.path();
        let mut c = Command::new(self.binary());
        c.env("HELM_DATA_HOME", h.join("data"))
            .env("HELM_CONFIG_HOME", h.join("config"))
            .env("HELM_CACHE_HOME", h.join("cache"))
            .env("KUBECONFIG", h.join("no-kubeconfig"))
            .env_remove("HELM_NAMESPACE")
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    h.join("path").display(),
                    std::env::var("PATH").unwrap()
                ),
            );
        c
    }

    fn cmd(&self, args: &[&str]) -> Output {
        self.command().args(args).output().unwrap()
    }

    /// `--post-renderer` flags for this version, with our arguments.
    fn post_renderer(&self, args: &[&str]) -> Vec<String> {
        let mut flags = match self.version {
            Version::Three => vec![
                "--post-renderer".to_owned(),
                "kubectl-netpol_check".to_owned(),
                "--post-renderer-args".to_owned(),
                "post-render".to_owned(),
            ],
            Version::Four => vec!["--post-renderer".to_owned(), "netpol-check".to_owned()],
        };
        flags.extend(args.iter().map(|a| format!("--post-renderer-args={a}")));
        flags
    }

    fn template(&self, chart: &str, post: Option<&[&str]>) -> Output {
        let chart = format!("{REPO}/tests/charts/{chart}");
        let mut args: Vec<String> = ["template", "rel", &chart, "-n", "shop"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        if let Some(post) = post {
            args.extend(self.post_renderer(post));
        }
        self.command().args(&args).output().unwrap()
    }
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

const CHARTS: [&str; 5] = ["uncovered", "covered", "hooks", "namespaced", "crlf"];

/// Output documents, each with the `---` line that opens it, without the ones we generated.
fn without_generated(output: &str) -> String {
    let mut docs: Vec<String> = Vec::new();
    for line in output.split_inclusive('\n') {
        if line.trim_end() == "---" || docs.is_empty() {
            docs.push(String::new());
        }
        docs.last_mut().unwrap().push_str(line);
    }
    docs.retain(|d| !d.contains("netpol-check.io/generated"));
    docs.concat()
}

#[test]
fn pass_through_is_byte_identical_when_nothing_is_generated() {
    for v in BOTH {
        let helm = Helm::new(v);
        for chart in CHARTS {
            let plain = helm.baseline(chart);
            assert!(
                plain.status.success(),
                "{v:?} {chart}: {}",
                text(&plain.stderr)
            );
            let post = helm.template(chart, Some(&["--fail-on=never"]));
            assert!(
                post.status.success(),
                "{v:?} {chart}: {}",
                text(&post.stderr)
            );
            assert_eq!(text(&post.stdout), text(&plain.stdout), "{v:?} {chart}");
        }
    }
}

#[test]
fn uncovered_chart_fails_with_the_report_in_helm_3s_error() {
    let helm = Helm::new(Version::Three);
    let out = helm.template("uncovered", Some(&["--namespace=shop"]));
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("error while running post render"), "{err}");
    assert!(
        err.contains("error[NPC001 uncovered-workload]: Deployment shop/rel-web is not isolated for ingress or egress: no NetworkPolicy in namespace shop"),
        "{err}"
    );
    assert!(err.contains("--> uncovered/templates/web.yaml:"), "{err}");
}

#[test]
fn helm_4_failure_writes_the_report_file_and_args_reach_the_tool() {
    let helm = Helm::new(Version::Four);
    let report = helm.home.path().join("report.json");
    let arg = format!("--report-file={}", report.display());
    let out = helm.template(
        "uncovered",
        Some(&["--namespace=shop", &arg, "--output=json"]),
    );
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("netpol-check"),
        "{}",
        text(&out.stderr)
    );
    let r: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
    assert_eq!(r["source"]["type"], "helm");
    assert_eq!(r["summary"]["uncoveredWorkloads"], 1);
    let f = &r["findings"][0];
    assert_eq!(f["rule"], "NPC001");
    assert_eq!(f["namespace"], "shop", "--namespace=shop reached the tool");
    assert_eq!(f["object"], "rel-web");
    assert_eq!(
        f["file"], "uncovered/templates/web.yaml",
        "from Helm 4's annotation"
    );
}

#[test]
fn without_a_namespace_the_release_namespace_is_reported_as_a_placeholder() {
    let helm = Helm::new(Version::Three);
    let out = helm.template("uncovered", Some(&[]));
    assert!(
        text(&out.stderr).contains("Deployment <release>/rel-web"),
        "{}",
        text(&out.stderr)
    );
}

#[test]
fn generated_policies_appear_in_helms_output_and_make_it_pass() {
    for v in BOTH {
        let helm = Helm::new(v);
        let plain = text(&helm.baseline("uncovered").stdout);
        let out = helm.template("uncovered", Some(&["--emit-default-deny"]));
        assert!(out.status.success(), "{v:?}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        assert!(
            stdout.contains("name: default-deny-all\n"),
            "{v:?}: {stdout}"
        );
        assert!(stdout.contains("name: allow-dns\n"), "{v:?}: {stdout}");
        // Each of the two as a label and as an annotation.
        assert_eq!(
            stdout.matches("netpol-check.io/generated: 'true'").count(),
            4
        );
        // Release-namespace policies name no namespace: Helm puts them in the release's.
        assert!(!stdout.contains("namespace: <release>"), "{v:?}: {stdout}");
        assert_eq!(
            without_generated(&stdout),
            plain,
            "{v:?}: the chart itself is unchanged"
        );
    }
}

#[test]
fn helm_4_install_passes_with_generated_policies_and_fails_without() {
    let helm = Helm::new(Version::Four);
    let install = |post: &[&str]| install_with(&helm, "uncovered", &[], post);
    let failed = install(&[]);
    assert!(!failed.status.success());
    assert!(
        text(&failed.stderr).contains("netpol-check"),
        "{}",
        text(&failed.stderr)
    );
    let passed = install(&["--emit-default-deny", "--namespace=shop"]);
    assert!(passed.status.success(), "{}", text(&passed.stderr));
    let stdout = text(&passed.stdout);
    assert!(stdout.contains("STATUS: pending-install"), "{stdout}");
    assert!(stdout.contains("name: default-deny-all"), "{stdout}");
}

#[test]
fn hooks_are_left_out_unless_included() {
    for v in BOTH {
        let helm = Helm::new(v);
        let out = helm.template("hooks", Some(&[]));
        assert!(out.status.success(), "{v:?}: {}", text(&out.stderr));
        let with_hooks = helm.template("hooks", Some(&["--include-hooks"]));
        match v {
            // Helm 3 never sends hooks to a post-renderer.
            Version::Three => assert!(with_hooks.status.success()),
            // Helm 4 does: the migrate Job and the test Pod are not isolated.
            Version::Four => assert!(!with_hooks.status.success()),
        }
    }
}

#[test]
fn explicitly_namespaced_documents_get_namespaced_policies() {
    for v in BOTH {
        let helm = Helm::new(v);
        let out = helm.template("namespaced", Some(&["--emit-default-deny", "--no-dns"]));
        assert!(out.status.success(), "{v:?}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let generated: Vec<&str> = stdout
            .split("---\n")
            .filter(|d| d.contains("netpol-check.io/generated"))
            .collect();
        assert_eq!(generated.len(), 2, "{v:?}: {stdout}");
        assert!(
            generated
                .iter()
                .any(|d| d.contains("namespace: rel-data\n")),
            "{stdout}"
        );
        assert!(
            generated.iter().any(|d| !d.contains("namespace:")),
            "{stdout}"
        );
    }
}

#[test]
fn helm_4_plugin_tarball_installs_and_runs_its_own_binary() {
    let helm = Helm::new(Version::Three); // a home without the directory plugin
    let dist = helm.home.path().join("dist");
    let out = Command::new("bash")
        .arg(format!("{REPO}/scripts/build-helm-plugin.sh"))
        .arg(BINARY)
        .arg(&dist)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tarball = text(&out.stdout).trim().to_owned();
    assert!(tarball.ends_with(&format!("netpol-check-{}.tgz", env!("CARGO_PKG_VERSION"))));
    let helm4 = Helm {
        version: Version::Four,
        home: tempfile::tempdir().unwrap(),
    };
    let installed = helm4.cmd(&["plugin", "install", "--verify=false", &tarball]);
    assert!(installed.status.success(), "{}", text(&installed.stderr));
    // No kubectl-netpol_check on this Helm's PATH: the plugin must use its bin/.
    let out = helm4.template("covered", Some(&[]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let failing = helm4.template("uncovered", Some(&[]));
    assert!(!failing.status.success());
}

#[test]
fn helm_4_plugin_tarball_falls_back_to_path_when_its_binary_cannot_run_here() {
    // A release's tarball carries the linux/amd64 binary; on another platform it cannot start.
    let work = tempfile::tempdir().unwrap();
    let foreign = work.path().join("kubectl-netpol_check");
    std::fs::write(&foreign, b"\x7fELF\x02\x01\x01 not for this machine").unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&foreign, std::fs::Permissions::from_mode(0o755)).unwrap();
    let dist = work.path().join("dist");
    let out = Command::new("bash")
        .arg(format!("{REPO}/scripts/build-helm-plugin.sh"))
        .arg(&foreign)
        .arg(&dist)
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    let tarball = text(&out.stdout).trim().to_owned();
    // A home whose PATH has our binary, as after Krew or cargo install.
    let helm4 = Helm {
        version: Version::Four,
        home: tempfile::tempdir().unwrap(),
    };
    std::fs::create_dir_all(helm4.home.path().join("path")).unwrap();
    std::os::unix::fs::symlink(BINARY, helm4.home.path().join("path/kubectl-netpol_check"))
        .unwrap();
    let installed = helm4.cmd(&["plugin", "install", "--verify=false", &tarball]);
    assert!(installed.status.success(), "{}", text(&installed.stderr));
    let out = helm4.template("covered", Some(&[]));
    assert!(out.status.success(), "{}", text(&out.stderr));
    let failing = helm4.template("uncovered", Some(&[]));
    assert_eq!(failing.status.code(), Some(1), "{}", text(&failing.stderr));
}

#[test]
fn plugin_yaml_is_a_helm_4_postrenderer_of_our_version() {
    let text = std::fs::read_to_string(format!("{REPO}/plugin.yaml")).unwrap();
    let y: serde_norway::Value = serde_norway::from_str(&text).unwrap();
    assert_eq!(y["apiVersion"], "v1");
    assert_eq!(y["type"], "postrenderer/v1");
    assert_eq!(y["runtime"], "subprocess");
    assert_eq!(y["name"], "netpol-check");
    assert_eq!(y["version"], env!("CARGO_PKG_VERSION"));
}

#[test]
fn helm_4_users_see_on_their_terminal_that_the_wrapper_found_no_binary() {
    // The directory plugin (no bin/) in a home whose PATH lacks kubectl-netpol_check.
    let helm4 = Helm {
        version: Version::Four,
        home: tempfile::tempdir().unwrap(),
    };
    std::fs::create_dir_all(helm4.home.path().join("path")).unwrap();
    helm4.install_plugin_dir();
    let probe = helm4
        .command()
        .env("PATH", "/usr/bin:/bin")
        .arg("version")
        .output()
        .unwrap();
    assert!(probe.status.success(), "{}", text(&probe.stderr));
    // `script` gives Helm a terminal; Helm's own stderr goes to a file, so the transcript holds
    // only what reached /dev/tty.
    let stderr_file = helm4.home.path().join("stderr");
    let chart = format!("{REPO}/tests/charts/covered");
    let inner = format!(
        "{} template rel {chart} -n shop --post-renderer netpol-check >/dev/null 2>{}; echo \"status $?\"",
        helm4.binary().display(),
        stderr_file.display()
    );
    let mut script = Command::new("script");
    script.args(["-qec", &inner, "/dev/null"]);
    let probe_cmd = helm4.command();
    for (k, v) in probe_cmd.get_envs() {
        match v {
            Some(v) => script.env(k, v),
            None => script.env_remove(k),
        };
    }
    // Without the binary anywhere: `sh` and the system tools only.
    script.env("PATH", "/usr/bin:/bin");
    let out = script.output().unwrap();
    let transcript = text(&out.stdout);
    assert!(
        transcript.contains("netpol-check: kubectl-netpol_check not found"),
        "transcript: {transcript}\nhelm's stderr: {}",
        std::fs::read_to_string(&stderr_file).unwrap_or_default()
    );
    assert!(!transcript.contains("status 0"), "{transcript}");
}

#[test]
fn generation_next_to_an_allow_all_egress_rule_adds_no_neutralised_deny() {
    for v in BOTH {
        let helm = Helm::new(v);
        // The chart's allow-all reaches the cloud metadata endpoint (NPC105, an error of its
        // own): gate on coverage only.
        let failed = helm.template("allow-all-egress", Some(&["--fail-on=uncovered"]));
        assert!(!failed.status.success(), "{v:?}: web is uncovered");
        let out = helm.template(
            "allow-all-egress",
            Some(&[
                "--fail-on=uncovered",
                "--emit-default-deny",
                "--namespace=shop",
            ]),
        );
        assert!(out.status.success(), "{v:?}: {}", text(&out.stderr));
        let stdout = text(&out.stdout);
        let stderr = text(&out.stderr);
        assert!(!stderr.contains("NPC114"), "{v:?}: {stderr}");
        assert!(
            !stdout.contains("name: default-deny-all\n"),
            "{v:?}: {stdout}"
        );
        assert!(
            stdout.contains("name: default-deny-ingress\n"),
            "{v:?}: {stdout}"
        );
        assert!(
            stdout.contains("name: rel-web-default-deny-egress\n"),
            "{v:?}: {stdout}"
        );
    }
}

// ---- Cilium-flavoured charts (tests/charts/loki-cilium, tests/charts/prometheus-cilium; their
// NOTICE.md names the upstream charts they reproduce). ----
//
// Which pods Cilium isolates, from SEMANTICS.md points 17-19 (a pod is default-deny in a
// direction once a CiliumNetworkPolicy of its namespace selects it with a non-empty section
// for that direction and no `enableDefaultDeny: false`):
// - loki-cilium: `loki-namespace-only` has `endpointSelector: {}`, so it selects every pod of
//   the release namespace (point 17), with a non-empty `ingress` and a non-empty `egress`
//   (point 18): loki-read, loki-write and loki-backend are default-deny both ways. The other
//   four policies only add allows (same-namespace DNS, the `http` and `http-metrics` ports from
//   any peer, alertmanager's port from the backend).
// - prometheus-cilium: the operator's policy selects the operator Deployment by all of its pod
//   labels and has an `egress` (`toEntities: kube-apiserver`) and an `ingress` (`toPorts`
//   10250) section: default-deny both ways. The Prometheus policy selects the pods the
//   operator creates at run time, which no manifest holds, so it isolates nothing here. With
//   `kubeStateMetrics.enabled=true`, kube-state-metrics matches no endpointSelector (its labels
//   carry neither the operator's nor Prometheus's): open both ways, NPC001.
// `--fail-on=uncovered` gates on coverage alone: the lints these charts trip (a named port no
// pod defines, a policy that selects nothing, ports open to any peer) are not what this checks.

const CILIUM_CHARTS: [(&str, &[&str]); 2] = [
    ("loki-cilium", &["loki-read", "loki-write", "loki-backend"]),
    ("prometheus-cilium", &["rel-kube-prometheus-stack-operator"]),
];

/// `helm template` of a chart with `--set` values and our post-renderer.
fn template_with(helm: &Helm, chart: &str, set: &[&str], post: &[&str]) -> Output {
    render_with(helm, &["template"], chart, set, post)
}

/// `helm install --dry-run=client` of a chart with `--set` values and our post-renderer.
fn install_with(helm: &Helm, chart: &str, set: &[&str], post: &[&str]) -> Output {
    render_with(helm, &["install", "--dry-run=client"], chart, set, post)
}

/// Release `rel` of `tests/charts/CHART` in namespace shop, rendered by `verb`.
fn render_with(helm: &Helm, verb: &[&str], chart: &str, set: &[&str], post: &[&str]) -> Output {
    let chart = format!("{REPO}/tests/charts/{chart}");
    let mut args: Vec<String> = verb.iter().map(|s| s.to_string()).collect();
    args.extend(["rel", &chart, "-n", "shop"].map(str::to_owned));
    for s in set {
        args.push("--set".into());
        args.push((*s).into());
    }
    args.extend(helm.post_renderer(post));
    helm.command().args(&args).output().unwrap()
}

#[test]
fn cilium_flavoured_charts_pass_when_their_policies_isolate_every_pod() {
    for v in BOTH {
        let helm = Helm::new(v);
        for (chart, workloads) in CILIUM_CHARTS {
            let report = helm.home.path().join(format!("{chart}.json"));
            let report_arg = format!("--report-file={}", report.display());
            let out = template_with(
                &helm,
                chart,
                &[],
                &[
                    "--fail-on=uncovered",
                    "--namespace=shop",
                    &report_arg,
                    "--output=json",
                ],
            );
            assert!(out.status.success(), "{v:?} {chart}: {}", text(&out.stderr));
            let r: serde_json::Value =
                serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
            let listed: Vec<&serde_json::Value> = r["workloads"]
                .as_array()
                .expect("workloads")
                .iter()
                .collect();
            assert_eq!(listed.len(), workloads.len(), "{v:?} {chart}: {r:#}");
            for name in workloads.iter() {
                let w = listed
                    .iter()
                    .find(|w| w["name"] == *name && w["namespace"] == "shop")
                    .unwrap_or_else(|| panic!("{v:?} {chart}: no {name} in {r:#}"));
                for direction in ["ingress", "egress"] {
                    assert_eq!(
                        w[direction]["isolated"], true,
                        "{v:?} {chart}: {name} {direction}: {w:#}"
                    );
                }
            }
            assert_eq!(r["summary"]["uncoveredWorkloads"], 0, "{v:?} {chart}");
        }
    }
}

#[test]
fn a_pod_no_cilium_policy_selects_fails_the_install() {
    for v in BOTH {
        let helm = Helm::new(v);
        // Helm 4 throws a post-renderer's stderr away: the report file says what failed.
        let report = helm.home.path().join("report.json");
        let report_arg = format!("--report-file={}", report.display());
        let out = template_with(
            &helm,
            "prometheus-cilium",
            &["kubeStateMetrics.enabled=true"],
            &[
                "--fail-on=uncovered",
                "--namespace=shop",
                &report_arg,
                "--output=json",
            ],
        );
        assert!(!out.status.success(), "{v:?}: {}", text(&out.stdout));
        let r: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&report).unwrap()).unwrap();
        let uncovered: Vec<&str> = r["workloads"]
            .as_array()
            .expect("workloads")
            .iter()
            .filter(|w| w["ingress"]["isolated"] != true || w["egress"]["isolated"] != true)
            .filter_map(|w| w["name"].as_str())
            .collect();
        assert_eq!(
            uncovered,
            ["rel-kube-state-metrics"],
            "{v:?}: the operator is isolated by its CiliumNetworkPolicy, kube-state-metrics by nothing"
        );
        if v == Version::Three {
            let err = text(&out.stderr);
            assert!(
                err.contains(
                    "Deployment shop/rel-kube-state-metrics is not isolated for ingress or egress"
                ),
                "{v:?}: {err}"
            );
        }
    }
}

/// A chart installed with Helm 4 (client-side dry run): the Cilium-flavoured chart goes through,
/// the same chart with an uncovered pod does not.
#[test]
fn helm_4_install_of_a_cilium_flavoured_chart_passes_unless_a_pod_is_uncovered() {
    let helm = Helm::new(Version::Four);
    let install = |set: &[&str]| {
        install_with(
            &helm,
            "prometheus-cilium",
            set,
            &["--fail-on=uncovered", "--namespace=shop"],
        )
    };
    let passed = install(&[]);
    assert!(passed.status.success(), "{}", text(&passed.stderr));
    assert!(
        text(&passed.stdout).contains("STATUS: pending-install"),
        "{}",
        text(&passed.stdout)
    );
    let failed = install(&["kubeStateMetrics.enabled=true"]);
    // Helm 4 throws the post-renderer's stderr away; which pod failed is checked above.
    assert!(!failed.status.success());
    assert!(
        text(&failed.stderr).contains("error while running post render"),
        "{}",
        text(&failed.stderr)
    );
}

#[test]
fn cilium_flavoured_charts_pass_through_unchanged() {
    for v in BOTH {
        let helm = Helm::new(v);
        for (chart, _) in CILIUM_CHARTS {
            let plain = helm.baseline(chart);
            assert!(
                plain.status.success(),
                "{v:?} {chart}: {}",
                text(&plain.stderr)
            );
            let post = helm.template(chart, Some(&["--fail-on=never"]));
            assert!(
                post.status.success(),
                "{v:?} {chart}: {}",
                text(&post.stderr)
            );
            assert_eq!(text(&post.stdout), text(&plain.stdout), "{v:?} {chart}");
        }
    }
}

/// `helm template RELEASE tests/charts/podinfo -n NAMESPACE` with `--post-renderer-args
/// --with-cluster` and `post`, against the test API server of `cluster` (through KUBECONFIG
/// and `--kube-context`). Neither Helm 3.17 nor Helm 4.1 passes `-n` or `--kube-context` to a
/// post-renderer (Helm 4.1 gives its plugins HELM_PLUGIN_NAME, HELM_PLUGIN_DIR and its own
/// environment, KUBECONFIG included): the runs name the namespace.
fn podinfo_in(
    helm: &Helm,
    cluster: &platform::Cluster,
    release: &str,
    namespace: &str,
    set: &[&str],
    post: &[&str],
) -> Output {
    let chart = format!("{REPO}/tests/charts/podinfo");
    let mut args: Vec<String> = ["template", release, &chart, "-n", namespace]
        .map(str::to_owned)
        .to_vec();
    args.extend(["--kube-context".to_owned(), "test".to_owned()]);
    for s in set {
        args.extend(["--set".to_owned(), (*s).to_owned()]);
    }
    let mut post: Vec<String> = post.iter().map(|s| s.to_string()).collect();
    post.push("--with-cluster".into());
    post.push(format!("--namespace={namespace}"));
    let post: Vec<&str> = post.iter().map(String::as_str).collect();
    args.extend(helm.post_renderer(&post));
    helm.command()
        .args(&args)
        .env("KUBECONFIG", &cluster.kubeconfig)
        .output()
        .unwrap()
}

/// The report the post-renderer wrote (Helm 4 throws its stderr away).
fn report_in(dir: &std::path::Path) -> serde_json::Value {
    serde_json::from_str(&std::fs::read_to_string(dir.join("report.json")).unwrap()).unwrap()
}

#[test]
fn with_cluster_the_platform_teams_namespace_passes_and_an_unsecured_one_fails() {
    let cluster = platform::Cluster::start(platform::fixture([]));
    for v in BOTH {
        let helm = Helm::new(v);
        let report = cluster.dir.path().join("report.json");
        let report_arg = format!("--report-file={}", report.display());
        let post = [report_arg.as_str(), "-o", "json"];
        let out = podinfo_in(&helm, &cluster, "podinfo", "apps", &[], &post);
        assert!(out.status.success(), "{v:?}: {}", text(&out.stderr));
        assert!(text(&out.stdout).contains("kind: Deployment"), "{v:?}");
        let r = report_in(cluster.dir.path());
        assert_eq!(
            r["cluster"]["namespaces"],
            serde_json::json!(["apps"]),
            "{v:?}"
        );
        assert_eq!(
            r["workloads"][0]["namespace"], "apps",
            "{v:?}: Helm's namespace reached us"
        );
        assert_eq!(r["workloads"][0]["ingress"]["isolated"], true, "{v:?}");

        let out = podinfo_in(&helm, &cluster, "podinfo", "open", &[], &post);
        assert!(!out.status.success(), "{v:?}");
        let r = report_in(cluster.dir.path());
        assert_eq!(r["summary"]["uncoveredWorkloads"], 1, "{v:?}");
        assert_eq!(
            r["cluster"]["changes"]["summary"]["newUncovered"], 1,
            "{v:?}"
        );
        if v == Version::Three {
            let err = text(&out.stderr);
            assert!(
                err.contains("Deployment open/podinfo: ingress NOT isolated"),
                "{err}"
            );
        }
    }
    assert!(cluster.only_reads());
}

#[test]
fn with_cluster_an_upgrade_that_drops_the_releases_policy_is_refused_saying_what_opened() {
    let mut extra = vec![platform::helm_owned(
        platform::deny_all("open", "podinfo-isolate"),
        "podinfo",
        "open",
    )];
    extra.extend(platform::release_pods("open", "podinfo", "podinfo"));
    let cluster = platform::Cluster::start(platform::fixture(extra));
    for v in BOTH {
        let helm = Helm::new(v);
        let report = cluster.dir.path().join("report.json");
        let report_arg = format!("--report-file={}", report.display());
        let post = [report_arg.as_str(), "-o", "json"];
        let same = podinfo_in(&helm, &cluster, "podinfo", "open", &["isolate=true"], &post);
        assert!(same.status.success(), "{v:?}: {}", text(&same.stderr));

        let dropped = podinfo_in(&helm, &cluster, "podinfo", "open", &[], &post);
        assert!(!dropped.status.success(), "{v:?}");
        let r = report_in(cluster.dir.path());
        assert_eq!(
            r["cluster"]["removed"],
            serde_json::json!([{"kind": "NetworkPolicy", "namespace": "open", "name": "podinfo-isolate"}]),
            "{v:?}"
        );
        let lost: Vec<&str> = r["cluster"]["changes"]["coverage"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["message"].as_str().unwrap())
            .collect();
        assert!(
            lost.iter().any(|m| m.contains("Deployment open/podinfo")),
            "{v:?}: {lost:?}"
        );
        if v == Version::Three {
            let err = text(&dropped.stderr);
            assert!(
                err.contains("NetworkPolicy open/podinfo-isolate: removed by this change"),
                "{err}"
            );
            assert!(err.contains("lose isolation"), "{err}");
        }
    }
}

#[test]
fn with_cluster_two_releases_in_one_namespace_generate_without_colliding() {
    let empty = platform::Cluster::start(platform::fixture([]));
    let mut extra = vec![platform::helm_owned(
        platform::deny_all("open", "a-default-deny-all"),
        "a",
        "open",
    )];
    extra.extend(platform::release_pods("open", "a", "a"));
    let with_a = platform::Cluster::start(platform::fixture(extra));
    for v in BOTH {
        let helm = Helm::new(v);
        let generate = ["--emit-default-deny"];
        let a = podinfo_in(&helm, &empty, "a", "open", &[], &generate);
        assert!(a.status.success(), "{v:?}: {}", text(&a.stderr));
        assert!(
            text(&a.stdout).contains("name: a-default-deny-all"),
            "{v:?}"
        );
        let b = podinfo_in(&helm, &empty, "b", "open", &[], &generate);
        assert!(b.status.success(), "{v:?}: {}", text(&b.stderr));
        assert!(
            text(&b.stdout).contains("name: b-default-deny-all"),
            "{v:?}"
        );
        // Once a is installed, b is isolated by a's policy and adds none of its own.
        let b = podinfo_in(&helm, &with_a, "b", "open", &[], &generate);
        assert!(b.status.success(), "{v:?}: {}", text(&b.stderr));
        assert!(
            !text(&b.stdout).contains("netpol-check.io/generated"),
            "{v:?}"
        );
    }
}
