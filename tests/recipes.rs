//! The CI and GitOps recipes of docs/ci.md, run for real: the GitHub Action's scripts (install
//! from a release built by scripts/release.sh, the check and `diff`, the pull-request comment
//! against a local stand-in for GitHub's API), the Dockerfile (built where an image builder runs,
//! else linted by hadolint), the Argo CD plugin's generate command with the real helm and
//! kubectl, the Flux recipe with kubectl's kustomize, and the pre-commit hook through the real
//! pre-commit. The README's CI section names only what these files define.

mod tools;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::{Arc, Mutex};

use serde_json::{json, Value};

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");
const REPO: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

fn repo(path: &str) -> PathBuf {
    Path::new(REPO).join(path)
}

fn yaml(path: &str) -> Value {
    serde_norway::from_str(&std::fs::read_to_string(repo(path)).unwrap()).unwrap()
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// A directory of programs for PATH: our binary as kubectl plugins are named, helm 3 as `helm`,
/// kubectl, followed by the system's PATH.
fn bin_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let link = |target: &Path, name: &str| {
        std::os::unix::fs::symlink(target, dir.path().join(name)).unwrap();
    };
    link(Path::new(BINARY), "kubectl-netpol_check");
    link(&tools::dir().join("helm3"), "helm");
    link(&tools::kubectl(), "kubectl");
    dir
}

fn path_with(dir: &Path) -> String {
    format!("{}:{}", dir.display(), std::env::var("PATH").unwrap())
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .args(args)
        .current_dir(dir)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.invalid")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.invalid")
        .env("GIT_CONFIG_GLOBAL", "/dev/null")
        .output()
        .unwrap();
    assert!(out.status.success(), "git {args:?}: {}", text(&out.stderr));
}

fn write(dir: &Path, name: &str, content: &str) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, content).unwrap();
}

const DEPLOYMENT: &str = "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\nspec:\n  selector:\n    matchLabels: {app: web}\n  template:\n    metadata:\n      labels: {app: web}\n    spec:\n      containers: [{name: web, image: \"registry.example/web:1\"}]\n";
const DENY_ALL: &str = "apiVersion: networking.k8s.io/v1\nkind: NetworkPolicy\nmetadata:\n  name: default-deny-all\n  namespace: shop\nspec:\n  podSelector: {}\n  policyTypes: [Ingress, Egress]\n";

// ---------------------------------------------------------------------------------------------
// The GitHub Action
// ---------------------------------------------------------------------------------------------

/// A release of this version in `<dir>/v<VERSION>/`, as GitHub serves release assets.
fn release() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let dist = dir.path().join(format!("v{VERSION}"));
    let out = Command::new("bash")
        .arg(repo("scripts/release.sh"))
        .arg(VERSION)
        .env("DIST", &dist)
        .env("NETPOL_RELEASE_BIN", BINARY)
        .env("TARGETS", "x86_64-unknown-linux-musl")
        .output()
        .unwrap();
    assert!(out.status.success(), "{}", text(&out.stderr));
    dir
}

fn install(releases: &Path, into: &Path) -> Output {
    Command::new("bash")
        .arg(repo("scripts/action/install.sh"))
        .env("NETPOL_CHECK_VERSION", format!("v{VERSION}"))
        .env(
            "NETPOL_CHECK_RELEASES",
            format!("file://{}", releases.display()),
        )
        .env("NETPOL_CHECK_BIN_DIR", into.join("bin"))
        .env("GITHUB_PATH", into.join("github_path"))
        .output()
        .unwrap()
}

#[test]
fn the_action_installs_the_release_archive_only_when_its_checksum_matches() {
    if !cfg!(all(target_os = "linux", target_arch = "x86_64")) {
        return; // release.sh packs the host binary as linux_amd64 only there
    }
    let releases = release();
    let into = tempfile::tempdir().unwrap();
    let out = install(releases.path(), into.path());
    assert!(out.status.success(), "{}", text(&out.stderr));
    let installed = into.path().join("bin/kubectl-netpol_check");
    let version = Command::new(&installed).arg("--version").output().unwrap();
    assert!(text(&version.stdout).contains(VERSION));
    assert_eq!(
        std::fs::read_to_string(into.path().join("github_path")).unwrap(),
        format!("{}\n", into.path().join("bin").display())
    );

    // An archive that is not the one the checksums name is refused, and nothing is installed.
    let sums = releases.path().join(format!("v{VERSION}/sha256sums.txt"));
    let tampered = std::fs::read_to_string(&sums)
        .unwrap()
        .lines()
        .map(|l| {
            if l.contains("linux_amd64") {
                format!("{}{}", "0".repeat(64), &l[64..])
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&sums, tampered).unwrap();
    let into = tempfile::tempdir().unwrap();
    let out = install(releases.path(), into.path());
    assert_eq!(out.status.code(), Some(2));
    assert!(
        text(&out.stderr).contains("checksum mismatch for kubectl-netpol-check_v"),
        "{}",
        text(&out.stderr)
    );
    assert!(!into.path().join("bin/kubectl-netpol_check").exists());
}

#[test]
fn the_action_is_composite_and_passes_every_input_to_its_scripts() {
    let action = yaml("action.yml");
    assert_eq!(action["runs"]["using"], "composite");
    let inputs: Vec<&String> = action["inputs"].as_object().unwrap().keys().collect();
    let steps = action["runs"]["steps"].as_array().unwrap();
    let mut used = Vec::new();
    for step in steps {
        assert_eq!(step["shell"], "bash");
        let run = step["run"].as_str().unwrap();
        let script = run
            .trim_matches(|c| c == '\'' || c == '"')
            .strip_prefix("$GITHUB_ACTION_PATH/")
            .unwrap_or_else(|| panic!("{run}"));
        let script = script.trim_end_matches('"');
        let meta = std::fs::metadata(repo(script)).unwrap();
        assert!(
            std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o111 != 0,
            "{script} is not executable"
        );
        let source = std::fs::read_to_string(repo(script)).unwrap();
        for (var, value) in step["env"].as_object().unwrap() {
            assert!(source.contains(var.as_str()), "{script} never reads {var}");
            let value = value.as_str().unwrap();
            if let Some(input) = value
                .strip_prefix("${{ inputs.")
                .and_then(|v| v.strip_suffix(" }}"))
            {
                assert!(inputs.iter().any(|i| *i == input), "no input {input}");
                used.push(input.to_owned());
            }
        }
    }
    for input in &inputs {
        assert!(used.contains(input), "input {input} is never passed on");
    }
}

/// A stand-in for GitHub's REST API: the issue comments of one pull request.
struct GitHub {
    url: String,
    requests: Arc<Mutex<Vec<(String, String, Value)>>>,
    comments: Arc<Mutex<Vec<Value>>>,
}

impl GitHub {
    fn start() -> GitHub {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        let requests = Arc::new(Mutex::new(Vec::new()));
        let comments = Arc::new(Mutex::new(Vec::<Value>::new()));
        let (r, c) = (requests.clone(), comments.clone());
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(mut stream) = stream else { break };
                let mut reader = BufReader::new(stream.try_clone().unwrap());
                let mut line = String::new();
                reader.read_line(&mut line).unwrap();
                let mut parts = line.split_whitespace();
                let method = parts.next().unwrap_or_default().to_owned();
                let path = parts.next().unwrap_or_default().to_owned();
                let mut length = 0;
                let mut authorized = false;
                loop {
                    let mut header = String::new();
                    reader.read_line(&mut header).unwrap();
                    let header = header.trim_end();
                    if header.is_empty() {
                        break;
                    }
                    let lower = header.to_ascii_lowercase();
                    if let Some(v) = lower.strip_prefix("content-length:") {
                        length = v.trim().parse().unwrap();
                    }
                    authorized |= header == "Authorization: Bearer test-token";
                }
                let mut body = vec![0; length];
                reader.read_exact(&mut body).unwrap();
                let body: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
                r.lock()
                    .unwrap()
                    .push((method.clone(), path.clone(), body.clone()));
                let mut comments = c.lock().unwrap();
                let (status, answer) = if !authorized {
                    ("401 Unauthorized", json!({"message": "Bad credentials"}))
                } else if method == "GET" {
                    ("200 OK", json!(*comments))
                } else if method == "POST" {
                    let comment = json!({"id": 100 + comments.len(), "body": body["body"]});
                    comments.push(comment.clone());
                    ("201 Created", comment)
                } else {
                    let id = path.rsplit('/').next().unwrap().parse::<u64>().unwrap();
                    let comment = comments.iter_mut().find(|c| c["id"] == id).unwrap();
                    comment["body"] = body["body"].clone();
                    ("200 OK", comment.clone())
                };
                let answer = answer.to_string();
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{answer}",
                    answer.len()
                );
            }
        });
        GitHub {
            url,
            requests,
            comments,
        }
    }
}

/// scripts/action/run.sh in `workdir` for pull request 12 of `org/repo`, with `env`.
fn run_action(workdir: &Path, github: &GitHub, env: &[(&str, &str)]) -> (Output, PathBuf) {
    let bin = bin_dir();
    let temp = tempfile::tempdir().unwrap().keep();
    let event = temp.join("event.json");
    std::fs::write(
        &event,
        json!({"pull_request": {"number": 12, "base": {"sha": "HEAD~1"}}}).to_string(),
    )
    .unwrap();
    let mut c = Command::new("bash");
    c.arg(repo("scripts/action/run.sh"))
        .current_dir(workdir)
        .env("PATH", path_with(bin.path()))
        .env("RUNNER_TEMP", &temp)
        .env("GITHUB_EVENT_PATH", &event)
        .env("GITHUB_REPOSITORY", "org/repo")
        .env("GITHUB_API_URL", &github.url)
        .env("GITHUB_TOKEN", "test-token")
        .env("GITHUB_STEP_SUMMARY", temp.join("summary.md"))
        .env("GITHUB_OUTPUT", temp.join("output"))
        .env("NETPOL_CHECK_COMMENT", "true");
    for (k, v) in env {
        c.env(k, v);
    }
    (c.output().unwrap(), temp)
}

#[test]
fn the_action_comments_the_check_once_and_updates_that_comment_on_the_next_push() {
    let github = GitHub::start();
    let work = tempfile::tempdir().unwrap();
    write(work.path(), "k8s/web.yaml", DEPLOYMENT);
    let (out, temp) = run_action(work.path(), &github, &[("NETPOL_CHECK_PATHS", "k8s")]);
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    assert!(text(&out.stdout).contains("Deployment/web"), "{err}");
    let output = std::fs::read_to_string(temp.join("output")).unwrap();
    assert!(output.contains("exit-code=1\n"), "{output}");
    let summary = std::fs::read_to_string(temp.join("summary.md")).unwrap();
    assert!(summary.starts_with("<!-- netpol-check -->\n### netpol-check\n\n```text\n"));
    assert!(summary.contains("NPC001"), "{summary}");
    {
        let requests = github.requests.lock().unwrap();
        let methods: Vec<(&str, &str)> = requests
            .iter()
            .map(|(m, p, _)| (m.as_str(), p.as_str()))
            .collect();
        assert_eq!(
            methods,
            [
                (
                    "GET",
                    "/repos/org/repo/issues/12/comments?per_page=100&page=1"
                ),
                ("POST", "/repos/org/repo/issues/12/comments")
            ]
        );
        assert_eq!(requests[1].2["body"], summary);
    }

    // The next push: the policy arrives, the same comment says so; `fail: false` never fails.
    write(work.path(), "k8s/deny.yaml", DENY_ALL);
    let (out, _) = run_action(
        work.path(),
        &github,
        &[
            ("NETPOL_CHECK_PATHS", "k8s"),
            ("NETPOL_CHECK_FAIL", "false"),
        ],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let requests = github.requests.lock().unwrap();
    assert_eq!(requests.len(), 4);
    assert_eq!(requests[3].0, "PATCH");
    assert_eq!(requests[3].1, "/repos/org/repo/issues/comments/100");
    let comments = github.comments.lock().unwrap();
    assert_eq!(comments.len(), 1);
    let body = comments[0]["body"].as_str().unwrap();
    assert!(
        body.contains("isolated") && !body.contains("NPC001"),
        "{body}"
    );
}

#[test]
fn the_action_diffs_the_pull_request_against_its_base_in_markdown() {
    let github = GitHub::start();
    let work = tempfile::tempdir().unwrap();
    git(work.path(), &["init", "-q", "-b", "main"]);
    write(work.path(), "k8s/web.yaml", DEPLOYMENT);
    write(work.path(), "k8s/deny.yaml", DENY_ALL);
    git(work.path(), &["add", "."]);
    git(work.path(), &["commit", "-q", "-m", "base"]);
    std::fs::remove_file(work.path().join("k8s/deny.yaml")).unwrap();
    git(work.path(), &["commit", "-q", "-am", "drop the deny"]);
    // The base is the event's pull_request.base.sha (HEAD~1 here).
    let (out, temp) = run_action(
        work.path(),
        &github,
        &[
            ("NETPOL_CHECK_COMMAND", "diff"),
            ("NETPOL_CHECK_PATHS", "k8s"),
        ],
    );
    let err = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{err}");
    let summary = std::fs::read_to_string(temp.join("summary.md")).unwrap();
    assert!(summary.starts_with("<!-- netpol-check -->\n"), "{summary}");
    assert!(summary.contains("Deployment shop/web"), "{summary}");
    assert!(summary.contains("lose isolation"), "{summary}");
    let comments = github.comments.lock().unwrap();
    assert_eq!(comments[0]["body"], summary);
}

// ---------------------------------------------------------------------------------------------
// The container image
// ---------------------------------------------------------------------------------------------

#[test]
fn the_dockerfile_makes_a_static_non_root_image_and_builds_or_lints_clean() {
    let dockerfile = std::fs::read_to_string(repo("Dockerfile")).unwrap();
    let froms: Vec<&str> = dockerfile
        .lines()
        .filter(|l| l.starts_with("FROM "))
        .collect();
    assert_eq!(froms.last(), Some(&"FROM scratch"), "an empty final image");
    assert!(froms[0].contains("alpine"), "musl: a static binary");
    assert!(dockerfile.contains("cargo build --release --locked"));
    let user = dockerfile
        .lines()
        .find_map(|l| l.strip_prefix("USER "))
        .unwrap();
    assert!(
        user.split(':').all(|id| id.parse::<u32>().unwrap() > 0),
        "{user}"
    );
    assert!(dockerfile.contains("ENTRYPOINT [\"/usr/local/bin/kubectl-netpol_check\"]"));

    let builder = Command::new("docker")
        .args(["info"])
        .output()
        .is_ok_and(|o| o.status.success());
    if builder {
        let out = Command::new("docker")
            .args(["build", "-q", "-t", "netpol-check:test", REPO])
            .output()
            .unwrap();
        assert!(out.status.success(), "{}", text(&out.stderr));
        let out = Command::new("docker")
            .args(["run", "--rm", "netpol-check:test", "--version"])
            .output()
            .unwrap();
        assert!(text(&out.stdout).contains(VERSION));
    } else {
        // No image builder here (a Docker client without an engine): the linter instead.
        let out = Command::new(tools::dir().join("hadolint"))
            .args(["--no-color", "--failure-threshold", "info"])
            .arg(repo("Dockerfile"))
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "hadolint: {}{}",
            text(&out.stdout),
            text(&out.stderr)
        );
    }
}

// ---------------------------------------------------------------------------------------------
// Argo CD, Flux, pre-commit
// ---------------------------------------------------------------------------------------------

/// The Argo CD plugin's generate command, run in `dir` as the repo-server's sidecar runs it.
fn argocd_generate(dir: &Path, env: &[(&str, &str)]) -> Output {
    let plugin = yaml("recipes/argocd/plugin.yaml");
    assert_eq!(plugin["kind"], "ConfigManagementPlugin");
    let generate = &plugin["spec"]["generate"];
    let command: Vec<&str> = generate["command"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let args: Vec<&str> = generate["args"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap())
        .collect();
    let bin = bin_dir();
    let mut c = Command::new(command[0]);
    c.args(&command[1..])
        .args(args)
        .current_dir(dir)
        .env("PATH", path_with(bin.path()))
        .env("HOME", dir)
        .env("ARGOCD_APP_NAME", "shop")
        .env("ARGOCD_APP_NAMESPACE", "shop");
    for (k, v) in env {
        c.env(k, v);
    }
    c.output().unwrap()
}

fn chart_copy(name: &str) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("cp")
        .arg("-r")
        .arg(repo(&format!("tests/charts/{name}/.")))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    dir
}

#[test]
fn the_argocd_plugin_passes_a_covered_chart_through_and_refuses_an_uncovered_one() {
    let covered = chart_copy("covered");
    let out = argocd_generate(covered.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let helm = Command::new(tools::dir().join("helm3"))
        .args(["template", "shop", ".", "--namespace", "shop"])
        .current_dir(covered.path())
        .env("HOME", covered.path())
        .output()
        .unwrap();
    assert!(helm.status.success());
    assert_eq!(
        out.stdout, helm.stdout,
        "the chart goes to Argo CD unchanged"
    );

    let uncovered = chart_copy("uncovered");
    let out = argocd_generate(uncovered.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out.stderr).contains("NPC001"),
        "{}",
        text(&out.stderr)
    );
    // The application's own arguments: generated default denies make it pass.
    let out = argocd_generate(
        uncovered.path(),
        &[("ARGOCD_ENV_NETPOL_CHECK_ARGS", "--emit-default-deny")],
    );
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("kind: NetworkPolicy"));

    // A Kustomize directory, through kubectl's built-in kustomize.
    let k = tempfile::tempdir().unwrap();
    write(
        k.path(),
        "kustomization.yaml",
        "resources: [web.yaml, deny.yaml]\n",
    );
    write(k.path(), "web.yaml", DEPLOYMENT);
    write(k.path(), "deny.yaml", DENY_ALL);
    let out = argocd_generate(k.path(), &[]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("name: default-deny-all"));
    std::fs::remove_file(k.path().join("kustomization.yaml")).unwrap();
    let out = argocd_generate(k.path(), &[]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("neither Chart.yaml nor kustomization.yaml"));
}

#[test]
fn the_flux_recipe_checks_what_each_flux_kustomization_applies() {
    let r = tempfile::tempdir().unwrap();
    let root = r.path();
    git(root, &["init", "-q"]);
    write(
        root,
        "clusters/production/apps.yaml",
        "apiVersion: kustomize.toolkit.fluxcd.io/v1\nkind: Kustomization\nmetadata:\n  name: apps\n  namespace: flux-system\nspec:\n  interval: 10m\n  path: ./apps/production\n  prune: true\n  sourceRef:\n    kind: GitRepository\n    name: flux-system\n",
    );
    write(
        root,
        "apps/base/kustomization.yaml",
        "resources: [web.yaml]\n",
    );
    write(root, "apps/base/web.yaml", DEPLOYMENT);
    write(
        root,
        "apps/production/kustomization.yaml",
        "resources: [../base, deny.yaml]\n",
    );
    write(root, "apps/production/deny.yaml", DENY_ALL);
    let bin = bin_dir();
    let run = |args: &[&str]| {
        Command::new(repo("recipes/flux/check.sh"))
            .args(args)
            .current_dir(root)
            .env("PATH", path_with(bin.path()))
            .output()
            .unwrap()
    };
    let out = run(&["clusters/production"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    assert!(text(&out.stdout).contains("Deployment/web"));
    // Production loses its deny: the Flux Kustomization's build is what fails.
    write(
        root,
        "apps/production/kustomization.yaml",
        "resources: [../base]\n",
    );
    let out = run(&["clusters/production", "--", "-o", "json"]);
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["summary"]["uncoveredWorkloads"], 1);
    let out = run(&["apps"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("no Flux Kustomization under apps"));
}

#[test]
fn the_pre_commit_hook_runs_the_check_through_pre_commit() {
    // The hook repository: this repository's hook definition and script, committed.
    let hooks = tempfile::tempdir().unwrap();
    for f in [".pre-commit-hooks.yaml", "scripts/pre-commit.sh"] {
        write(hooks.path(), f, &std::fs::read_to_string(repo(f)).unwrap());
    }
    let script = hooks.path().join("scripts/pre-commit.sh");
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    git(hooks.path(), &["init", "-q"]);
    git(hooks.path(), &["add", "."]);
    git(hooks.path(), &["commit", "-q", "-m", "hooks"]);
    let rev = Command::new("git")
        .args(["rev-parse", "HEAD"])
        .current_dir(hooks.path())
        .output()
        .unwrap();
    let rev = text(&rev.stdout).trim().to_owned();

    // A user's repository that uses it as docs/ci.md says.
    let user = tempfile::tempdir().unwrap();
    git(user.path(), &["init", "-q"]);
    write(
        user.path(),
        ".pre-commit-config.yaml",
        &format!(
            "repos:\n  - repo: {}\n    rev: {rev}\n    hooks:\n      - id: netpol-check\n        args: [-f, k8s/]\n",
            hooks.path().display()
        ),
    );
    write(user.path(), "k8s/web.yaml", DEPLOYMENT);
    git(user.path(), &["add", "."]);
    let bin = bin_dir();
    let home = tempfile::tempdir().unwrap();
    let pre_commit = |args: &[&str]| {
        Command::new(tools::dir().join("pre-commit"))
            .args(args)
            .current_dir(user.path())
            .env("PATH", path_with(bin.path()))
            .env("PRE_COMMIT_HOME", home.path())
            .env("GIT_CONFIG_GLOBAL", "/dev/null")
            .output()
            .unwrap()
    };
    let out = pre_commit(&["run", "--all-files"]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(1), "{all}");
    assert!(
        all.contains("netpol-check (NetworkPolicy coverage)"),
        "{all}"
    );
    assert!(all.contains("Failed") && all.contains("NPC001"), "{all}");
    write(user.path(), "k8s/deny.yaml", DENY_ALL);
    git(user.path(), &["add", "."]);
    let out = pre_commit(&["run", "--all-files"]);
    let all = format!("{}{}", text(&out.stdout), text(&out.stderr));
    assert_eq!(out.status.code(), Some(0), "{all}");
    assert!(all.contains("Passed"), "{all}");
}

// ---------------------------------------------------------------------------------------------
// The README names only what these files define
// ---------------------------------------------------------------------------------------------

#[test]
fn the_readme_ci_section_uses_the_recipes_as_they_are() {
    let readme = std::fs::read_to_string(repo("README.md")).unwrap();
    let section = readme
        .split("\n## ")
        .find(|s| s.starts_with("In CI and GitOps"))
        .expect("README section \"In CI and GitOps\"");
    // The workflow step: `uses:` this repository at the release tag, only real inputs.
    let action = yaml("action.yml");
    let inputs = action["inputs"].as_object().unwrap();
    let block = section
        .split("```yaml\n")
        .nth(1)
        .and_then(|b| b.split("```").next())
        .unwrap();
    let workflow: Value = serde_norway::from_str(block).unwrap();
    let steps = workflow["jobs"]["netpol"]["steps"].as_array().unwrap();
    let step = steps
        .iter()
        .find(|s| {
            s["uses"]
                .as_str()
                .is_some_and(|u| u.starts_with("netpol-check/netpol-check@"))
        })
        .unwrap();
    assert_eq!(
        step["uses"],
        format!("netpol-check/netpol-check@v{VERSION}")
    );
    for key in step["with"].as_object().unwrap().keys() {
        assert!(inputs.contains_key(key), "README uses unknown input {key}");
    }
    // pre-commit: the hook id; Argo CD: the plugin's name as Applications give it.
    let hooks = yaml(".pre-commit-hooks.yaml");
    assert!(section.contains(&format!("id: {}", hooks[0]["id"].as_str().unwrap())));
    let plugin = yaml("recipes/argocd/plugin.yaml");
    let name = format!(
        "{}-{}",
        plugin["metadata"]["name"].as_str().unwrap(),
        plugin["spec"]["version"].as_str().unwrap()
    );
    assert!(section.contains(&name), "README names plugin {name}");
    for path in ["recipes/flux/check.sh", "docs/ci.md", "Dockerfile"] {
        assert!(section.contains(path), "README points at {path}");
        assert!(repo(path).exists());
    }
}
