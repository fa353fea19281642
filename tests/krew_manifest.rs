//! The Krew manifests, checked the way krew-index's validation checks a plugin manifest
//! (sigs.k8s.io/krew: pkg/index/validation/validate.go and cmd/validate-krew-manifest), and the
//! release that scripts/release.sh builds: archives, checksums, the Helm plugin and the rendered
//! manifest agree, and the host's archive installs as krew installs it.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use serde::Deserialize;

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");
const REPO: &str = env!("CARGO_MANIFEST_DIR");
const VERSION: &str = env!("CARGO_PKG_VERSION");

// Krew reads manifests strictly: an unknown field is an error.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Plugin {
    api_version: String,
    kind: String,
    metadata: Metadata,
    spec: Spec,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Metadata {
    name: String,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Spec {
    version: String,
    homepage: String,
    short_description: String,
    description: String,
    caveats: String,
    platforms: Vec<Platform>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Platform {
    selector: Selector,
    uri: String,
    sha256: String,
    bin: String,
    files: Vec<FileOperation>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct Selector {
    match_labels: Option<BTreeMap<String, String>>,
    match_expressions: Option<Vec<Requirement>>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct Requirement {
    key: String,
    operator: String,
    #[serde(default)]
    values: Vec<String>,
}

#[derive(Debug, Clone, Deserialize, PartialEq)]
#[serde(deny_unknown_fields)]
struct FileOperation {
    from: String,
    to: String,
}

impl Selector {
    /// A Kubernetes label selector over the labels `os` and `arch`.
    fn matches(&self, os: &str, arch: &str) -> bool {
        let label = |key: &str| match key {
            "os" => Some(os),
            "arch" => Some(arch),
            _ => None,
        };
        let labels_ok = self
            .match_labels
            .iter()
            .flatten()
            .all(|(k, v)| label(k) == Some(v.as_str()));
        let expressions_ok = self.match_expressions.iter().flatten().all(|r| {
            let value = label(&r.key);
            match r.operator.as_str() {
                "In" => value.is_some_and(|v| r.values.iter().any(|x| x == v)),
                "NotIn" => value.is_none_or(|v| r.values.iter().all(|x| x != v)),
                "Exists" => value.is_some(),
                "DoesNotExist" => value.is_none(),
                other => panic!("unknown selector operator {other}"),
            }
        });
        labels_ok && expressions_ok
    }

    fn keys(&self) -> Vec<&str> {
        let labels = self.match_labels.iter().flatten().map(|(k, _)| k.as_str());
        let exprs = self
            .match_expressions
            .iter()
            .flatten()
            .map(|r| r.key.as_str());
        labels.chain(exprs).collect()
    }
}

/// The <os, arch> pairs krew installs on (the list of validate-krew-manifest's allPlatforms,
/// with the arm64 platforms krew has supported since).
const KREW_PLATFORMS: [(&str, &str); 11] = [
    ("windows", "386"),
    ("windows", "amd64"),
    ("windows", "arm64"),
    ("linux", "386"),
    ("linux", "amd64"),
    ("linux", "arm"),
    ("linux", "arm64"),
    ("linux", "ppc64le"),
    ("darwin", "386"),
    ("darwin", "amd64"),
    ("darwin", "arm64"),
];

/// krew's semver.Parse: a leading `v`, then a semantic version.
fn is_krew_version(v: &str) -> bool {
    let Some(rest) = v.strip_prefix('v') else {
        return false;
    };
    let core = rest.split(['-', '+']).next().unwrap_or_default();
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers.iter().all(|n| {
            !n.is_empty()
                && n.bytes().all(|b| b.is_ascii_digit())
                && (n.len() == 1 || !n.starts_with('0'))
        })
}

/// krew's `validate-krew-manifest`: structural validation, line lengths, selectors that each
/// match a platform krew knows and never the same one, plus what our archives need.
fn validate(path: &Path) -> Plugin {
    let text = std::fs::read_to_string(path).unwrap();
    let p: Plugin = serde_norway::from_str(&text)
        .unwrap_or_else(|e| panic!("{}: not a krew Plugin: {e}", path.display()));
    let file = path.file_name().unwrap().to_str().unwrap();
    let name = file.strip_suffix(".yaml").expect("the extension is .yaml");
    assert_eq!(p.metadata.name, name, "the plugin is named as its file");
    assert!(name
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'));
    assert_eq!(
        p.api_version,
        "krew.googlecontainertools.github.com/v1alpha2"
    );
    assert_eq!(p.kind, "Plugin");
    assert!(
        is_krew_version(&p.spec.version),
        "version {:?} is not semver with a leading v",
        p.spec.version
    );
    let short = &p.spec.short_description;
    assert!(
        !short.trim().is_empty() && !short.trim().contains('\n'),
        "{short:?}"
    );
    assert!(
        short.len() <= 70,
        "shortDescription longer than 70: {short:?}"
    );
    for (field, text) in [
        ("description", &p.spec.description),
        ("caveats", &p.spec.caveats),
    ] {
        for line in text.lines() {
            assert!(
                line.len() <= 80 || !line.trim().contains(' '),
                "{field} line longer than 80: {line:?}"
            );
        }
    }
    assert!(p.spec.homepage.starts_with("https://"));
    assert!(!p.spec.platforms.is_empty(), "no platforms");
    for (i, platform) in p.spec.platforms.iter().enumerate() {
        assert!(platform.uri.starts_with("https://"), "platform {i}: uri");
        assert!(
            platform.sha256.len() == 64
                && platform
                    .sha256
                    .bytes()
                    .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)),
            "platform {i}: sha256 {:?} does not match ^[a-f0-9]{{64}}$",
            platform.sha256
        );
        assert!(!platform.bin.is_empty(), "platform {i}: bin");
        let keys = platform.selector.keys();
        assert!(!keys.is_empty(), "platform {i}: empty selector");
        assert!(
            keys.iter().all(|k| *k == "os" || *k == "arch"),
            "platform {i}: selector keys {keys:?}"
        );
        assert!(
            KREW_PLATFORMS
                .iter()
                .any(|(os, arch)| platform.selector.matches(os, arch)),
            "platform {i} matches no platform krew knows"
        );
        assert!(!platform.files.is_empty(), "platform {i}: no files");
        for op in &platform.files {
            assert!(
                !op.from.is_empty() && !op.to.is_empty(),
                "platform {i}: {op:?}"
            );
        }
        let moved = |file: &str| platform.files.iter().any(|op| glob(&op.from, file));
        assert!(moved("LICENSE"), "platform {i} leaves out the LICENSE");
        assert!(moved(&platform.bin), "platform {i} leaves out its bin");
    }
    for (os, arch) in KREW_PLATFORMS {
        let matching: Vec<usize> = (0..p.spec.platforms.len())
            .filter(|&i| p.spec.platforms[i].selector.matches(os, arch))
            .collect();
        assert!(
            matching.len() <= 1,
            "platforms {matching:?} all select {os}/{arch}"
        );
    }
    p
}

/// The one (os, arch) a selector of ours names with matchLabels.
fn os_arch(platform: &Platform) -> (String, String) {
    let labels = platform
        .selector
        .match_labels
        .as_ref()
        .expect("matchLabels");
    (labels["os"].clone(), labels["arch"].clone())
}

/// The archive naming that release.sh, krew/ and .krew.yaml share.
fn expected_uri(version: &str, platform: &Platform) -> String {
    let (os, arch) = os_arch(platform);
    format!(
        "https://github.com/netpol-check/netpol-check/releases/download/{version}/kubectl-netpol-check_{version}_{os}_{arch}.tar.gz"
    )
}

/// Krew's file operations match `from` as a filepath.Match glob: `*` within one path segment.
fn glob(pattern: &str, path: &str) -> bool {
    let (p, s): (Vec<&str>, Vec<&str>) = (pattern.split('/').collect(), path.split('/').collect());
    p.len() == s.len() && p.iter().zip(&s).all(|(p, s)| segment_glob(p, s))
}

fn segment_glob(pattern: &str, s: &str) -> bool {
    match pattern.split_once('*') {
        None => pattern == s,
        Some((head, tail)) => {
            s.starts_with(head)
                && (0..=s.len() - head.len()).any(|i| {
                    s.is_char_boundary(head.len() + i) && segment_glob(tail, &s[head.len() + i..])
                })
        }
    }
}

/// `.krew.yaml` as krew-release-bot renders it for `tag` (pkg/source/template.go): the tag for
/// `{{ .TagName }}`, and `uri: URL` plus `sha256: SUM` (indented by 4) for
/// `{{ addURIAndSha "URL" .TagName }}`; with `quote`, `sha256: "SUM"`, as scripts/release.sh
/// and the checked-in manifest write it.
fn render_release_bot_template(tag: &str, sums: &BTreeMap<String, String>, quote: bool) -> String {
    let template = std::fs::read_to_string(Path::new(REPO).join(".krew.yaml")).unwrap();
    let tag_name = |s: &str| s.replace("{{ .TagName }}", tag);
    let mut out = String::new();
    for line in template.lines() {
        let trimmed = line.trim_start();
        if let Some(call) = trimmed
            .strip_prefix("{{ addURIAndSha \"")
            .and_then(|rest| rest.strip_suffix("\" .TagName }}"))
        {
            let indent = &line[..line.len() - trimmed.len()];
            let uri = tag_name(call);
            let sum = sums
                .get(&uri)
                .unwrap_or_else(|| panic!("no sha256 for {uri}"));
            let sum = if quote {
                format!("\"{sum}\"")
            } else {
                sum.clone()
            };
            out.push_str(&format!("{indent}uri: {uri}\n    sha256: {sum}\n"));
        } else {
            assert!(!trimmed.contains("addURIAndSha"), "unexpected call: {line}");
            out.push_str(&tag_name(line));
            out.push('\n');
        }
    }
    assert!(!out.contains("{{"), "a template action was left: {out}");
    out
}

#[test]
fn the_checked_in_manifest_is_valid_and_is_the_release_bot_template_rendered() {
    let path = Path::new(REPO).join("krew/netpol-check.yaml");
    let plugin = validate(&path);
    let tag = format!("v{VERSION}");
    assert_eq!(
        plugin.spec.version, tag,
        "the manifest is for Cargo.toml's version"
    );
    let platforms: Vec<(String, String)> = plugin.spec.platforms.iter().map(os_arch).collect();
    for wanted in [
        ("linux", "amd64"),
        ("linux", "arm64"),
        ("darwin", "amd64"),
        ("darwin", "arm64"),
        ("windows", "amd64"),
    ] {
        assert!(
            platforms.contains(&(wanted.0.into(), wanted.1.into())),
            "{wanted:?}"
        );
    }
    for platform in &plugin.spec.platforms {
        assert_eq!(platform.uri, expected_uri(&tag, platform));
        let windows = os_arch(platform).0 == "windows";
        let bin = if windows {
            "kubectl-netpol_check.exe"
        } else {
            "kubectl-netpol_check"
        };
        assert_eq!(platform.bin, bin);
    }

    let sums = plugin
        .spec
        .platforms
        .iter()
        .map(|p| (p.uri.clone(), p.sha256.clone()))
        .collect();
    let rendered: serde_norway::Value =
        serde_norway::from_str(&render_release_bot_template(&tag, &sums, true)).unwrap();
    let checked_in: serde_norway::Value =
        serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    assert_eq!(
        rendered, checked_in,
        "krew/netpol-check.yaml differs from .krew.yaml rendered for {tag}"
    );
}

/// The `sha256` scalars of a manifest as written, and whether YAML reads each as a string.
/// serde_norway reads a plain scalar of 64 digits as a string (it overflows its integers), but
/// YAML's core schema, and Krew's Go parser, read it as a number: the resolution is checked by
/// the core schema's rules here.
fn sha256_scalars(text: &str) -> Vec<(String, bool)> {
    text.lines()
        .filter_map(|l| l.trim_start().strip_prefix("sha256:"))
        .map(|v| {
            let v = v.trim();
            match v.strip_prefix('"').and_then(|v| v.strip_suffix('"')) {
                Some(quoted) => (quoted.to_owned(), true),
                None => match v.strip_prefix('\'').and_then(|v| v.strip_suffix('\'')) {
                    Some(quoted) => (quoted.to_owned(), true),
                    None => (v.to_owned(), !is_core_schema_number(v)),
                },
            }
        })
        .collect()
}

/// YAML 1.2 core schema: `[-+]?[0-9]+` and `[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?`
/// are numbers (as are `.inf` and `.nan`, which no checksum spells).
fn is_core_schema_number(s: &str) -> bool {
    let s = s.strip_prefix(['-', '+']).unwrap_or(s);
    let (mantissa, exponent) = match s.find(['e', 'E']) {
        Some(i) => (&s[..i], Some(&s[i + 1..])),
        None => (s, None),
    };
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    let mantissa_ok = match mantissa.split_once('.') {
        None => digits(mantissa),
        Some((a, b)) => (digits(a) && (b.is_empty() || digits(b))) || (a.is_empty() && digits(b)),
    };
    let exponent_ok = exponent.is_none_or(|e| digits(e.strip_prefix(['-', '+']).unwrap_or(e)));
    mantissa_ok && exponent_ok
}

fn assert_sha256s_are_strings(what: &str, text: &str) {
    let sums = sha256_scalars(text);
    assert!(!sums.is_empty(), "{what}: no sha256");
    for (i, (sum, string)) in sums.iter().enumerate() {
        assert!(
            *string && sum.len() == 64,
            "{what}: sha256 {i} ({sum:?}) is not read as a 64-character string"
        );
    }
    let doc: serde_norway::Value = serde_norway::from_str(text).unwrap();
    for p in doc["spec"]["platforms"].as_sequence().expect("platforms") {
        assert!(
            p["sha256"].as_str().is_some_and(|s| s.len() == 64),
            "{what}: {p:?}"
        );
    }
}

#[test]
fn every_sha256_reads_as_a_64_character_string() {
    let checked_in =
        std::fs::read_to_string(Path::new(REPO).join("krew/netpol-check.yaml")).unwrap();
    assert_sha256s_are_strings("krew/netpol-check.yaml", &checked_in);
    let release = std::fs::read_to_string(release().join("netpol-check.yaml")).unwrap();
    assert_sha256s_are_strings("release.sh's netpol-check.yaml", &release);
    // krew-release-bot writes the sum of .krew.yaml's addURIAndSha unquoted, which the template
    // cannot change: a real sum reads as a string as long as it has a letter other than `e`,
    // and one of digits alone (a chance of one in 10^13) would not.
    let tag = format!("v{VERSION}");
    let sums: BTreeMap<String, String> = validate(&Path::new(REPO).join("krew/netpol-check.yaml"))
        .spec
        .platforms
        .into_iter()
        .map(|p| (p.uri, "0123456789abcdef".repeat(4)))
        .collect();
    assert_sha256s_are_strings(
        ".krew.yaml as the bot renders it",
        &render_release_bot_template(&tag, &sums, false),
    );
    // What the placeholders were before they were quoted: numbers.
    let zeros = sums.keys().map(|u| (u.clone(), "0".repeat(64))).collect();
    let unquoted = sha256_scalars(&render_release_bot_template(&tag, &zeros, false));
    assert!(unquoted.iter().all(|(_, string)| !string), "{unquoted:?}");
    assert!(is_core_schema_number("1e10") && is_core_schema_number("0.5"));
    assert!(!is_core_schema_number("0123abc") && !is_core_schema_number("e1"));
}

/// One run of scripts/release.sh into a temporary directory, packing the binary the tests were
/// built with (NETPOL_RELEASE_BIN) instead of building a release binary.
fn release() -> &'static Path {
    static DIST: OnceLock<tempfile::TempDir> = OnceLock::new();
    DIST.get_or_init(|| {
        let dist = tempfile::tempdir().unwrap();
        let out = Command::new("bash")
            .arg(Path::new(REPO).join("scripts/release.sh"))
            .arg(VERSION)
            .env("DIST", dist.path())
            .env("NETPOL_RELEASE_BIN", BINARY)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "scripts/release.sh failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        dist
    })
    .path()
}

fn sha256_hex(path: &Path) -> String {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let digest = ring::digest::digest(&ring::digest::SHA256, &bytes);
    digest.as_ref().iter().map(|b| format!("{b:02x}")).collect()
}

/// This machine's platform in krew's names.
fn host_platform() -> (&'static str, &'static str) {
    let os = match std::env::consts::OS {
        "macos" => "darwin",
        other => other,
    };
    let arch = match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        other => other,
    };
    (os, arch)
}

/// Unpacks `archive` and applies `files` as krew does: each `from` glob moves into `to`.
fn install(archive: &Path, files: &[FileOperation], into: &Path) {
    let unpacked = into.join("download");
    let gz = flate2::read::GzDecoder::new(std::fs::File::open(archive).unwrap());
    tar::Archive::new(gz).unpack(&unpacked).unwrap();
    let mut entries = Vec::new();
    collect_files(&unpacked, &unpacked, &mut entries);
    for op in files {
        let moved: Vec<&PathBuf> = entries
            .iter()
            .filter(|rel| glob(&op.from, rel.to_str().unwrap()))
            .collect();
        assert!(!moved.is_empty(), "{op:?} matches nothing in the archive");
        for rel in moved {
            let target = into.join(&op.to).join(rel.file_name().unwrap());
            std::fs::create_dir_all(target.parent().unwrap()).unwrap();
            std::fs::rename(unpacked.join(rel), target).unwrap();
        }
    }
}

fn collect_files(root: &Path, dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_files(root, &path, out);
        } else {
            out.push(path.strip_prefix(root).unwrap().to_path_buf());
        }
    }
}

#[test]
fn the_release_manifest_points_at_the_archives_with_their_checksums() {
    let dist = release();
    let plugin = validate(&dist.join("netpol-check.yaml"));
    let tag = format!("v{VERSION}");
    assert_eq!(plugin.spec.version, tag);

    // The same manifest as krew/, but for the checksums and the platforms not built here.
    let checked_in = validate(&Path::new(REPO).join("krew/netpol-check.yaml"));
    assert_eq!(plugin.spec.description, checked_in.spec.description);
    assert_eq!(plugin.spec.caveats, checked_in.spec.caveats);
    assert_eq!(
        plugin.spec.short_description,
        checked_in.spec.short_description
    );
    for platform in &plugin.spec.platforms {
        let same = checked_in
            .spec
            .platforms
            .iter()
            .find(|p| p.selector == platform.selector)
            .expect("a platform of krew/netpol-check.yaml");
        assert_eq!(
            (&platform.uri, &platform.bin, &platform.files),
            (&same.uri, &same.bin, &same.files)
        );
    }

    let sums = std::fs::read_to_string(dist.join("sha256sums.txt")).unwrap();
    for platform in &plugin.spec.platforms {
        let file = platform.uri.rsplit('/').next().unwrap();
        let archive = dist.join(file);
        assert_eq!(sha256_hex(&archive), platform.sha256, "{file}");
        assert!(
            sums.lines()
                .any(|l| l == format!("{}  {file}", platform.sha256)),
            "{file} is not in sha256sums.txt:\n{sums}"
        );
    }
    let (os, arch) = host_platform();
    assert!(
        plugin
            .spec
            .platforms
            .iter()
            .any(|p| p.selector.matches(os, arch)),
        "no archive for this machine's platform {os}/{arch}"
    );
}

#[test]
fn the_host_archive_installs_as_krew_installs_it_and_runs() {
    let dist = release();
    let plugin = validate(&dist.join("netpol-check.yaml"));
    let (os, arch) = host_platform();
    let platform = plugin
        .spec
        .platforms
        .iter()
        .find(|p| p.selector.matches(os, arch))
        .expect("this machine's platform");
    let archive = dist.join(platform.uri.rsplit('/').next().unwrap());
    let root = tempfile::tempdir().unwrap();
    install(&archive, &platform.files, root.path());

    let license = std::fs::read_to_string(root.path().join("LICENSE")).unwrap();
    assert_eq!(
        license,
        std::fs::read_to_string(Path::new(REPO).join("LICENSE")).unwrap()
    );
    assert!(license.contains("Apache License") && license.contains("Version 2.0"));

    let bin = root.path().join(&platform.bin);
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&bin).unwrap().permissions().mode();
    assert_ne!(mode & 0o111, 0, "{} is not executable", bin.display());
    let out = Command::new(&bin).arg("--version").output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout).trim(),
        format!("kubectl netpol-check {VERSION}")
    );

    let man = std::fs::read_to_string(root.path().join("kubectl-netpol_check.1")).unwrap();
    assert!(man.contains(".TH KUBECTL-NETPOL_CHECK 1") && man.contains(".SH SYNOPSIS"));
    let completion = root.path().join("kubectl_complete-netpol_check");
    let mode = std::fs::metadata(&completion).unwrap().permissions().mode();
    assert_ne!(mode & 0o111, 0, "the completion script is not executable");
    assert!(root
        .path()
        .join("completions/_kubectl-netpol_check")
        .is_file());
}

#[test]
fn sha256sums_list_every_artifact_and_the_helm_plugin_is_among_them() {
    let dist = release();
    let sums = std::fs::read_to_string(dist.join("sha256sums.txt")).unwrap();
    let mut names = Vec::new();
    for line in sums.lines() {
        let (digest, name) = line
            .split_once("  ")
            .expect("sha256sum's format: SUM, two spaces, NAME");
        assert_eq!(sha256_hex(&dist.join(name)), digest, "{name}");
        names.push(name.to_owned());
    }
    let helm = format!("netpol-check-{VERSION}.tgz");
    assert!(names.contains(&helm), "{names:?}");
    assert!(names
        .iter()
        .any(|n| n.starts_with(&format!("kubectl-netpol-check_v{VERSION}_"))));

    let gz = flate2::read::GzDecoder::new(std::fs::File::open(dist.join(&helm)).unwrap());
    let mut archive = tar::Archive::new(gz);
    let mut plugin_yaml = None;
    let mut has_binary = false;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        let path = entry.path().unwrap().to_string_lossy().into_owned();
        if path == "netpol-check/plugin.yaml" {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut entry, &mut text).unwrap();
            plugin_yaml = Some(text);
        }
        has_binary |= path == "netpol-check/bin/kubectl-netpol_check";
    }
    let plugin_yaml = plugin_yaml.expect("netpol-check/plugin.yaml in the Helm plugin");
    assert!(plugin_yaml.contains(&format!("\nversion: {VERSION}\n")));
    assert!(has_binary, "the Helm plugin ships its binary");
}

#[test]
fn release_refuses_a_version_other_than_cargo_tomls() {
    let dist = tempfile::tempdir().unwrap();
    let out = Command::new("bash")
        .arg(Path::new(REPO).join("scripts/release.sh"))
        .arg("9.9.9")
        .env("DIST", dist.path())
        .env("NETPOL_RELEASE_BIN", BINARY)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        format!("error: version 9.9.9 is not Cargo.toml's ({VERSION})\n")
    );
    assert_eq!(std::fs::read_dir(dist.path()).unwrap().count(), 0);
}

#[test]
fn globs_match_as_krew_matches_them() {
    assert!(glob("completions/*", "completions/_kubectl-netpol_check"));
    assert!(glob("*", "LICENSE"));
    assert!(!glob("*", "completions/x"));
    assert!(glob("kubectl-*", "kubectl-netpol_check"));
    assert!(!glob("LICENSE", "README.md"));
}

#[test]
fn krew_versions_need_the_v_and_three_numbers() {
    assert!(is_krew_version("v0.1.0"));
    assert!(is_krew_version("v1.2.3-rc.1"));
    assert!(!is_krew_version("0.1.0"));
    assert!(!is_krew_version("v1.2"));
    assert!(!is_krew_version("v01.2.3"));
}
