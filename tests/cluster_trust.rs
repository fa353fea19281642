//! What the kubeconfig and kubectl's global flags say about reaching a cluster: every server
//! certificate shape kubectl accepts, insecure-skip-tls-verify, tls-server-name, proxy-url,
//! tokens and token files, `--server`, `--certificate-authority`, `--token`, `-v=6`; the
//! failures in kubectl's words; `-n` of a namespace the cluster lacks. Each certificate case
//! runs the real kubectl with the same kubeconfig against the same test server, and both must
//! accept or refuse alike.

mod apiserver;
mod tools;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use apiserver::{
    namespace, network_policy, pod, ApiServer, ConnectProxy, Fixture, Forbid, Options,
    ServerCertificate,
};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use serde_json::json;

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

/// shop: one pod under a default deny (exit 0); blog: one uncovered pod.
fn fixture() -> Fixture {
    Fixture::from_objects([
        namespace("shop", &[]),
        namespace("blog", &[]),
        pod("shop", "web", &[("app", "web")]),
        pod("blog", "wordpress", &[("app", "wordpress")]),
        network_policy(
            "shop",
            "default-deny",
            json!({"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}),
        ),
    ])
}

fn start(certificate: ServerCertificate, names: &[&str], token: Option<&str>) -> ApiServer {
    ApiServer::start(
        fixture(),
        Options {
            certificate,
            certificate_names: names.iter().map(|n| n.to_string()).collect(),
            token: token.map(str::to_string),
            ..Options::default()
        },
    )
}

/// A kubeconfig with one context `test` (namespace shop): `cluster` and `user` are the YAML
/// lines of the cluster and user entries, indented by four spaces.
fn kubeconfig(cluster: &[String], user: &[String]) -> String {
    let mut out =
        String::from("apiVersion: v1\nkind: Config\nclusters:\n- name: test\n  cluster:\n");
    for line in cluster {
        out.push_str(&format!("    {line}\n"));
    }
    out.push_str("contexts:\n- name: test\n  context:\n    cluster: test\n    user: test\n    namespace: shop\n");
    out.push_str("current-context: test\nusers:\n- name: test\n  user:\n");
    for line in user {
        out.push_str(&format!("    {line}\n"));
    }
    if user.is_empty() {
        out.push_str("    {}\n");
    }
    out
}

fn server_line(server: &ApiServer) -> String {
    format!("server: {}", server.url)
}

fn ca_data_line(pem: &str) -> String {
    format!("certificate-authority-data: {}", STANDARD.encode(pem))
}

/// The cluster lines trusting the server's CA; the user has a token (any token passes a server
/// that requires none; without credentials kubectl would prompt for a password).
fn trusting(server: &ApiServer) -> String {
    kubeconfig(
        &[
            server_line(server),
            ca_data_line(server.ca_pem.as_deref().unwrap()),
        ],
        &["token: t".to_string()],
    )
}

struct Run {
    code: Option<i32>,
    stdout: String,
    stderr: String,
}

fn run(out: Output) -> Run {
    Run {
        code: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path
}

/// Our check of namespace shop with this kubeconfig and flags.
fn ours(kubeconfig: &Path, flags: &[&str]) -> Run {
    run(Command::new(BINARY)
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["-n", "shop", "-o", "json", "--request-timeout", "10s"])
        .args(flags)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .output()
        .unwrap())
}

/// `kubectl get pods -n shop` with this kubeconfig and flags.
fn kubectl(kubeconfig: &Path, flags: &[&str]) -> Run {
    run(Command::new(tools::kubectl())
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args([
            "get",
            "pods",
            "-n",
            "shop",
            "-o",
            "name",
            "--request-timeout=10s",
        ])
        .args(flags)
        .env_remove("HTTPS_PROXY")
        .env_remove("https_proxy")
        .output()
        .unwrap())
}

/// Both accept: our check runs (exit 0: shop is covered) and kubectl lists shop's pod.
fn assert_both_accept(kubeconfig: &Path, flags: &[&str]) {
    let r = ours(kubeconfig, flags);
    assert_eq!(r.code, Some(0), "ours refused: {}", r.stderr);
    assert!(r.stdout.contains("\"web\""), "{}", r.stdout);
    let k = kubectl(kubeconfig, flags);
    assert_eq!(k.code, Some(0), "kubectl refused: {}", k.stderr);
    assert_eq!(k.stdout.trim(), "pod/web");
}

/// Both refuse: ours with exactly `expected` (one line), kubectl with `kubectl_says` in its
/// message.
fn assert_both_refuse(kubeconfig: &Path, flags: &[&str], expected: &str, kubectl_says: &str) {
    let r = ours(kubeconfig, flags);
    assert_eq!(r.code, Some(2), "ours accepted: {}", r.stdout);
    assert_eq!(r.stderr, format!("{expected}\n"));
    assert_clean_error(&r.stderr);
    let k = kubectl(kubeconfig, flags);
    assert_ne!(k.code, Some(0), "kubectl accepted: {}", k.stdout);
    assert!(k.stderr.contains(kubectl_says), "{}", k.stderr);
}

/// One line, in words: no Rust type names, no empty quotes, no nested `error:`.
fn assert_clean_error(stderr: &str) {
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    for bad in [
        "Error(",
        "OtherError",
        "ServiceError",
        "\"\"",
        "os error",
        "panicked",
    ] {
        assert!(!stderr.contains(bad), "{bad:?} in {stderr}");
    }
    assert_eq!(stderr.matches("error:").count(), 1, "{stderr}");
}

#[test]
fn every_server_certificate_shape_kubectl_accepts_is_accepted() {
    let dir = tempfile::tempdir().unwrap();
    for shape in [
        ServerCertificate::CaSigned,
        ServerCertificate::SelfSignedLeaf,
        ServerCertificate::SelfSignedCa,
    ] {
        let server = start(shape, &["127.0.0.1", "localhost"], None);
        let path = write(dir.path(), &format!("{shape:?}"), &trusting(&server));
        assert_both_accept(&path, &[]);
    }
}

#[test]
fn a_self_signed_ca_certificate_is_still_checked_for_the_server_name() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerCertificate::SelfSignedCa, &["kubernetes.test"], None);
    let path = write(dir.path(), "kubeconfig", &trusting(&server));
    assert_both_refuse(
        &path,
        &[],
        &format!(
            "error: context \"test\" ({}): tls: failed to verify certificate: x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
            server.url
        ),
        "x509: cannot validate certificate for 127.0.0.1 because it doesn't contain any IP SANs",
    );
    // tls-server-name names what the certificate is for.
    let mut text = trusting(&server);
    text = text.replace(
        "    certificate-authority-data",
        "    tls-server-name: kubernetes.test\n    certificate-authority-data",
    );
    let path = write(dir.path(), "named", &text);
    assert_both_accept(&path, &[]);
}

#[test]
fn a_certificate_from_another_authority_is_refused_in_kubectl_words() {
    let dir = tempfile::tempdir().unwrap();
    for shape in [ServerCertificate::CaSigned, ServerCertificate::SelfSignedCa] {
        let server = start(shape, &["127.0.0.1"], None);
        let other = start(shape, &["127.0.0.1"], None);
        let text = kubeconfig(
            &[
                server_line(&server),
                ca_data_line(other.ca_pem.as_deref().unwrap()),
            ],
            &["token: t".to_string()],
        );
        let path = write(dir.path(), "kubeconfig", &text);
        assert_both_refuse(
            &path,
            &[],
            &format!(
                "error: context \"test\" ({}): tls: failed to verify certificate: x509: certificate signed by unknown authority",
                server.url
            ),
            "x509: certificate signed by unknown authority",
        );
    }
}

#[test]
fn insecure_skip_tls_verify_from_the_kubeconfig_or_the_flag() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerCertificate::SelfSignedCa, &["127.0.0.1"], None);
    let untrusting = kubeconfig(&[server_line(&server)], &["token: t".to_string()]);
    let path = write(dir.path(), "untrusting", &untrusting);
    let r = ours(&path, &[]);
    assert_eq!(r.code, Some(2), "{}", r.stdout);
    assert!(
        r.stderr.contains("tls: failed to verify certificate"),
        "{}",
        r.stderr
    );
    assert_both_accept(&path, &["--insecure-skip-tls-verify"]);
    assert_both_accept(&path, &["--insecure-skip-tls-verify=true"]);

    let insecure = kubeconfig(
        &[
            server_line(&server),
            "insecure-skip-tls-verify: true".to_string(),
        ],
        &["token: t".to_string()],
    );
    let path = write(dir.path(), "insecure", &insecure);
    assert_both_accept(&path, &[]);
}

#[test]
fn certificate_authority_flag_trusts_a_pem_file() {
    let dir = tempfile::tempdir().unwrap();
    for shape in [ServerCertificate::CaSigned, ServerCertificate::SelfSignedCa] {
        let server = start(shape, &["127.0.0.1"], None);
        let ca = write(dir.path(), "ca.crt", server.ca_pem.as_deref().unwrap());
        let path = write(
            dir.path(),
            "kubeconfig",
            &kubeconfig(&[server_line(&server)], &["token: t".to_string()]),
        );
        assert_both_accept(&path, &["--certificate-authority", ca.to_str().unwrap()]);
    }
}

#[test]
fn token_flag_and_token_file_authenticate() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerCertificate::CaSigned, &["127.0.0.1"], Some("s3cret"));
    let ca = ca_data_line(server.ca_pem.as_deref().unwrap());
    let wrong = kubeconfig(
        &[server_line(&server), ca.clone()],
        &["token: wrong".to_string()],
    );
    let path = write(dir.path(), "wrong", &wrong);
    let r = ours(&path, &[]);
    assert_eq!(r.code, Some(2));
    assert_eq!(
        r.stderr,
        format!(
            "error: context \"test\" ({}): Unauthorized: the server rejected the credentials\n",
            server.url
        )
    );
    assert_both_accept(&path, &["--token", "s3cret"]);

    let token_file = write(dir.path(), "token", "s3cret\n");
    let from_file = kubeconfig(
        &[server_line(&server), ca],
        &[format!("tokenFile: {}", token_file.display())],
    );
    let path = write(dir.path(), "from-file", &from_file);
    assert_both_accept(&path, &[]);
}

#[test]
fn an_exec_credential_plugin_authenticates() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        ServerCertificate::SelfSignedCa,
        &["127.0.0.1"],
        Some("s3cret"),
    );
    // What aws eks get-token, gke-gcloud-auth-plugin and kubelogin print.
    let plugin = write(
        dir.path(),
        "get-token",
        "#!/bin/sh\nprintf '{\"apiVersion\":\"client.authentication.k8s.io/v1\",\"kind\":\"ExecCredential\",\"status\":{\"token\":\"s3cret\"}}'\n",
    );
    std::fs::set_permissions(&plugin, std::fs::Permissions::from_mode(0o755)).unwrap();
    let user = [
        "exec:".to_string(),
        "  apiVersion: client.authentication.k8s.io/v1".to_string(),
        format!("  command: {}", plugin.display()),
        "  interactiveMode: Never".to_string(),
    ];
    let text = kubeconfig(
        &[
            server_line(&server),
            ca_data_line(server.ca_pem.as_deref().unwrap()),
        ],
        &user,
    );
    let path = write(dir.path(), "kubeconfig", &text);
    assert_both_accept(&path, &[]);
}

#[test]
fn a_host_name_the_certificate_lacks_is_refused_in_kubectl_words() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(
        ServerCertificate::SelfSignedCa,
        &["127.0.0.1", "kubernetes.test"],
        None,
    );
    let text = trusting(&server).replace("https://127.0.0.1:", "https://localhost:");
    let path = write(dir.path(), "kubeconfig", &text);
    let url = server.url.replace("127.0.0.1", "localhost");
    assert_both_refuse(
        &path,
        &[],
        &format!(
            "error: context \"test\" ({url}): tls: failed to verify certificate: x509: certificate is valid for kubernetes.test, not localhost"
        ),
        "x509: certificate is valid for kubernetes.test, not localhost",
    );
}

#[test]
fn client_certificates_of_the_kubeconfig_are_presented() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerCertificate::SelfSignedCa, &["127.0.0.1"], None);
    let user = [
        format!(
            "client-certificate-data: {}",
            STANDARD.encode(server.client_cert_pem.as_deref().unwrap())
        ),
        format!(
            "client-key-data: {}",
            STANDARD.encode(server.client_key_pem.as_deref().unwrap())
        ),
    ];
    let text = kubeconfig(
        &[
            server_line(&server),
            ca_data_line(server.ca_pem.as_deref().unwrap()),
        ],
        &user,
    );
    let path = write(dir.path(), "kubeconfig", &text);
    assert_both_accept(&path, &[]);
    let requests = server.requests();
    assert!(!requests.is_empty());
    assert!(
        requests.iter().all(|r| r.client_certificate),
        "{requests:?}"
    );
}

#[test]
fn server_flag_overrides_the_kubeconfig_and_works_without_one() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerCertificate::CaSigned, &["127.0.0.1"], Some("s3cret"));
    let elsewhere = dir.path().join("elsewhere");
    apiserver::write_unreachable_kubeconfig(&elsewhere, "prod");
    let ca = write(dir.path(), "ca.crt", server.ca_pem.as_deref().unwrap());
    let flags = [
        "--server",
        server.url.as_str(),
        "--certificate-authority",
        ca.to_str().unwrap(),
        "--token",
        "s3cret",
    ];
    assert_both_accept(&elsewhere, &flags);

    // No kubeconfig at all: the flags are enough, for kubectl too.
    let out = Command::new(BINARY)
        .args(["-n", "shop", "-o", "json"])
        .args(flags)
        .env("KUBECONFIG", dir.path().join("none"))
        .env("HOME", dir.path())
        .env_remove("KUBERNETES_SERVICE_HOST")
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let r: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(r["source"]["server"], server.url.as_str());
}

#[test]
fn proxy_url_tunnels_through_an_http_connect_proxy() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerCertificate::CaSigned, &["127.0.0.1"], None);
    let proxy = ConnectProxy::start();
    let text = trusting(&server).replace(
        "    certificate-authority-data",
        &format!(
            "    proxy-url: {}\n    certificate-authority-data",
            proxy.url
        ),
    );
    let path = write(dir.path(), "kubeconfig", &text);
    let target = server.url.trim_start_matches("https://").to_string();

    let r = ours(&path, &[]);
    assert_eq!(r.code, Some(0), "{}", r.stderr);
    let ours_tunnels = proxy.tunnels();
    assert!(!ours_tunnels.is_empty());
    assert!(
        ours_tunnels.iter().all(|t| *t == target),
        "{ours_tunnels:?}"
    );

    let k = kubectl(&path, &[]);
    assert_eq!(k.code, Some(0), "{}", k.stderr);
    assert!(
        proxy.tunnels().len() > ours_tunnels.len(),
        "kubectl went through the proxy too"
    );

    // A proxy that is not there: the server is not reached directly instead.
    let gone = trusting(&server).replace(
        "    certificate-authority-data",
        "    proxy-url: http://127.0.0.1:1\n    certificate-authority-data",
    );
    let path = write(dir.path(), "gone", &gone);
    let before = server.requests().len();
    let r = ours(&path, &[]);
    assert_eq!(r.code, Some(2));
    assert_clean_error(&r.stderr);
    assert_eq!(server.requests().len(), before);
}

#[test]
fn verbosity_6_logs_every_request_on_stderr() {
    let dir = tempfile::tempdir().unwrap();
    let server = start(ServerCertificate::CaSigned, &["127.0.0.1"], None);
    let path = write(dir.path(), "kubeconfig", &trusting(&server));
    for flag in ["-v=6", "--v=6", "-v6", "--v=9"] {
        let r = ours(&path, &[flag]);
        assert_eq!(r.code, Some(0), "{}", r.stderr);
        let lines: Vec<&str> = r.stderr.lines().collect();
        assert_eq!(lines.len(), server.requests().len(), "{flag}: {}", r.stderr);
        let namespaces = format!("GET {}/api/v1/namespaces?limit=500 200 OK in ", server.url);
        let line = lines
            .iter()
            .find(|l| l.starts_with(&namespaces))
            .unwrap_or_else(|| panic!("{flag}: {}", r.stderr));
        assert!(line.ends_with(" milliseconds"), "{line}");
        server.clear_requests();
    }
    let r = ours(&path, &["-v=5"]);
    assert_eq!(r.code, Some(0));
    assert_eq!(r.stderr, "");
}

#[test]
fn connection_context_user_and_kubeconfig_errors_are_one_line_in_kubectl_words() {
    let dir = tempfile::tempdir().unwrap();
    let unreachable = dir.path().join("unreachable");
    let port = apiserver::write_unreachable_kubeconfig(&unreachable, "prod");
    let missing = dir.path().join("missing");
    let cases: Vec<(Vec<&str>, String)> = vec![
        (
            vec![],
            format!("error: context \"prod\" (https://127.0.0.1:{port}): the connection to the server 127.0.0.1:{port} was refused"),
        ),
        (
            vec!["--context", "nope"],
            "error: context \"nope\" does not exist".to_string(),
        ),
        (
            vec!["--user", "nope"],
            "error: auth info \"nope\" does not exist".to_string(),
        ),
        (
            vec!["--cluster", "nope"],
            "error: no server found for cluster \"nope\"".to_string(),
        ),
        (
            vec!["--kubeconfig", missing.to_str().unwrap()],
            format!("error: kubeconfig \"{}\" not found", missing.display()),
        ),
    ];
    for (flags, expected) in cases {
        for command in [&[][..], &["matrix"][..], &["explain", "deploy/web"][..]] {
            let mut cmd = Command::new(BINARY);
            cmd.args(command);
            if !flags.contains(&"--kubeconfig") {
                cmd.arg("--kubeconfig").arg(&unreachable);
            }
            let out = cmd.args(&flags).output().unwrap();
            let err = String::from_utf8_lossy(&out.stderr);
            assert_eq!(out.status.code(), Some(2), "{command:?} {flags:?}: {err}");
            assert_eq!(err, format!("{expected}\n"), "{command:?} {flags:?}");
            assert_clean_error(&err);
        }
    }
}

#[test]
fn a_namespace_the_cluster_lacks_is_an_error_for_every_command() {
    let server = start(ServerCertificate::CaSigned, &["127.0.0.1"], None);
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "kubeconfig", &trusting(&server));
    let expected = format!(
        "error: context \"test\" ({}): namespace \"nope\" not found\n",
        server.url
    );
    for command in [
        &[][..],
        &["matrix"][..],
        &["explain", "pod/web"][..],
        &["reach", "pod/web", "10.0.0.1"][..],
    ] {
        let out = Command::new(BINARY)
            .args(command)
            .arg("--kubeconfig")
            .arg(&path)
            .args(["-n", "nope"])
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{command:?}: {err}");
        assert_eq!(err, expected, "{command:?}");
        assert!(out.stdout.is_empty());
    }
    // The namespace of the context need not exist (kubectl lists nothing there either), and
    // an existing one works.
    let out = Command::new(BINARY)
        .arg("--kubeconfig")
        .arg(&path)
        .args(["-n", "blog", "-o", "json"])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(1),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn without_the_right_to_list_namespaces_the_namespace_is_asked_for() {
    let server = ApiServer::start(
        fixture(),
        Options {
            forbidden: vec![Forbid::listing("namespaces")],
            ..Options::default()
        },
    );
    let dir = tempfile::tempdir().unwrap();
    let path = write(dir.path(), "kubeconfig", &trusting(&server));
    let out = Command::new(BINARY)
        .arg("--kubeconfig")
        .arg(&path)
        .args(["-n", "nope"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).ends_with(": namespace \"nope\" not found\n"));
    assert!(server
        .requests()
        .iter()
        .any(|r| r.path == "/api/v1/namespaces/nope" && r.status == 404));
}
