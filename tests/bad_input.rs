//! Input the run cannot use: exit status 2, nothing on stdout, and on stderr one short line
//! `error: file:line:column: what` (shared/REPORT.md, "Exit status"). Positions below were worked
//! out by hand from the fixtures (1-based lines and columns).
//!
//! Also: input holding no object at all is an error too (exit 2), very large documents are not.

mod common;

use std::path::Path;
use std::time::{Duration, Instant};

use common::*;

const BIN_PATH: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");

/// Runs the binary under an address-space limit (KiB), through `sh -c 'ulimit -v'`, and kills
/// it after `time_limit`.
fn run_limited_for(limit_kib: u64, time_limit: Duration, args: &[&str]) -> Run {
    let script = format!("ulimit -v {limit_kib} || exit 99; exec \"$0\" \"$@\"");
    let mut c = assert_cmd::Command::new("sh");
    c.current_dir(root())
        .env_remove("NO_COLOR")
        .arg("-c")
        .arg(script)
        .arg(BIN_PATH)
        .args(args)
        .timeout(time_limit);
    let started = Instant::now();
    let out = c.output().expect("runs");
    let Some(code) = out.status.code() else {
        panic!(
            "killed by a signal after {:?} (time limit {time_limit:?}); stderr: {}",
            started.elapsed(),
            String::from_utf8_lossy(&out.stderr)
        );
    };
    assert_ne!(code, 99, "could not set the memory limit");
    Run {
        code,
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

fn run_limited(limit_kib: u64, args: &[&str]) -> Run {
    run_limited_for(limit_kib, Duration::from_secs(120), args)
}

/// Whether `stderr` names `file:L:C` with `L` in `lines` (for errors whose exact column is the
/// parser's business, such as an expansion limit reached somewhere inside a document).
fn names_position_in(stderr: &str, file: &str, lines: std::ops::RangeInclusive<u32>) -> bool {
    let needle = format!("{file}:");
    stderr.match_indices(&needle).any(|(i, _)| {
        let rest = &stderr[i + needle.len()..];
        let mut parts = rest.splitn(3, ':');
        let line = parts.next().and_then(|s| s.parse::<u32>().ok());
        let column = parts.next().and_then(|s| s.parse::<u32>().ok());
        matches!((line, column), (Some(l), Some(c)) if lines.contains(&l) && c >= 1)
    })
}

// --- Malformed YAML -------------------------------------------------------------------------

#[test]
fn unclosed_flow_sequence_is_reported_where_the_stream_ends() {
    // `labels: [a, b` on line 5 is never closed; the parser finds out at the end of the stream,
    // line 6 column 1 (after the last newline).
    let f = fixture("bad/unclosed_flow.yaml");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 6, 1));
}

#[test]
fn positions_in_a_later_document_are_absolute_lines_of_the_file() {
    // Same error in the second document: the flow sequence opens on line 10 column 11 and the
    // stream ends on line 11. Every line number in the message must be a line of the file, not
    // of the document (which would say line 5).
    let f = fixture("bad/unclosed_flow_second_doc.yaml");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 11, 1));
    let mentioned: Vec<u32> = r
        .stderr
        .split("line ")
        .skip(1)
        .filter_map(|s| {
            s.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
        })
        .collect();
    assert!(
        mentioned.iter().all(|&l| l == 10 || l == 11),
        "the message mentions lines {mentioned:?}, relative to the document instead of the file: {}",
        r.stderr
    );
}

// --- Documents that are not mappings --------------------------------------------------------

#[test]
fn bare_scalar_document_is_not_an_object() {
    let f = fixture("bad/scalar.yaml");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 1, 1));
    assert!(r.stderr.contains("mapping"), "{}", r.stderr);
}

#[test]
fn top_level_sequence_in_a_second_document_is_not_an_object() {
    // The sequence starts on line 7 (line 6 is a comment).
    let f = fixture("bad/sequence.yaml");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 7, 1));
    assert!(r.stderr.contains("sequence"), "{}", r.stderr);
}

#[test]
fn scalar_on_stdin_names_stdin() {
    let r = run_stdin(&["-f", "-"], b"42\n");
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(r.stderr.contains("stdin"), "{}", r.stderr);
    assert!(r.stderr.contains(":1:1"), "{}", r.stderr);
}

// --- Wrong field types ----------------------------------------------------------------------

#[test]
fn pod_selector_integer_is_reported_at_the_value() {
    // Line 7 `  podSelector: 5`: the value is in column 16.
    let f = fixture("bad/pod_selector_int.yaml");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 7, 16));
    assert!(r.stderr.contains("podSelector"), "{}", r.stderr);
    assert!(r.stderr.contains("np"), "names the object: {}", r.stderr);
}

#[test]
fn policy_types_string_instead_of_list_is_reported_at_the_value() {
    // Line 8 `  policyTypes: Ingress`: column 16.
    let f = fixture("bad/policy_types_string.yaml");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 8, 16));
    assert!(r.stderr.contains("policyTypes"), "{}", r.stderr);
}

#[test]
fn host_network_string_is_reported_at_the_value() {
    // Line 7 `  hostNetwork: "maybe"`: column 16.
    let f = fixture("bad/host_network_maybe.yaml");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 7, 16));
    assert!(r.stderr.contains("hostNetwork"), "{}", r.stderr);
}

#[test]
fn host_network_string_in_a_pod_template_is_reported_at_the_value() {
    // Line 8 `      hostNetwork: "maybe"`: column 20.
    let f = fixture("bad/host_network_maybe_template.yaml");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 8, 20));
    assert!(r.stderr.contains("hostNetwork"), "{}", r.stderr);
}

#[test]
fn wrong_type_inside_a_list_item_is_reported_at_the_value() {
    // Line 9 `    hostNetwork: "maybe"` of a `List`: column 18. The message should also say which
    // field it is, as it does for the same object outside a List.
    let f = fixture("bad/list_item_wrong_type.yaml");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 9, 18));
    assert!(r.stderr.contains("hostNetwork"), "{}", r.stderr);
}

#[test]
fn wrong_type_in_json_is_reported_at_the_value() {
    // Line 3 ` "spec": {"hostNetwork": "maybe"}}`: the string starts in column 26.
    let f = fixture("bad/json_wrong_type.json");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 3, 26));
    assert!(r.stderr.contains("hostNetwork"), "{}", r.stderr);
}

// --- Alias bombs ----------------------------------------------------------------------------

/// A billion-laughs document: nine levels of anchors, each a list of nine aliases of the one
/// before, after `head` (indented by `indent`). Fully expanded it is 9^9 strings.
fn alias_bomb(head: &str, indent: &str) -> String {
    let mut s = String::from(head);
    s.push_str(&format!(
        "{indent}a: &a [\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\",\"lol\"]\n"
    ));
    let names = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    for w in names.windows(2) {
        let refs = vec![format!("*{}", w[0]); 9].join(",");
        s.push_str(&format!("{indent}{}: &{} [{refs}]\n", w[1], w[1]));
    }
    s
}

fn assert_bomb_refused(head: &str, indent: &str) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.yaml");
    let text = alias_bomb(head, indent);
    let last_line = text.lines().count() as u32;
    std::fs::write(&path, &text).unwrap();
    let p = path.to_str().unwrap();
    let started = Instant::now();
    // 1 GiB of address space: the expansion would need far more.
    let r = run_limited(1 << 20, &["-f", p]);
    let took = started.elapsed();
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert_error(&r, p);
    assert!(
        names_position_in(&r.stderr, p, 1..=last_line),
        "no position inside the document: {}",
        r.stderr
    );
    assert!(
        r.stderr.contains("alias"),
        "says what is wrong: {}",
        r.stderr
    );
}

#[test]
fn alias_bomb_in_pod_labels_fails_fast_with_bounded_memory() {
    assert_bomb_refused(
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: bomb\n  labels:\n",
        "    ",
    );
}

#[test]
fn alias_bomb_in_an_unknown_kind_is_skipped_without_expanding_it() {
    // Decision: a kind we do not read is only counted. Its fields are never deserialised, so
    // its aliases are never expanded: quick, bounded, and nothing of it is analysed.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bomb.yaml");
    let text = alias_bomb(
        "apiVersion: example.com/v1\nkind: Bomb\nmetadata:\n  name: bomb\ndata:\n",
        "  ",
    );
    std::fs::write(&path, &text).unwrap();
    let p = path.to_str().unwrap();
    let started = Instant::now();
    let r = run_limited(1 << 20, &["-f", p, "-o", "json"]);
    assert!(started.elapsed() < Duration::from_secs(10));
    assert_eq!(r.code, 0, "stderr: {}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(report["summary"]["skippedKinds"]["Bomb"], 1);
}

// --- Binary garbage -------------------------------------------------------------------------

#[test]
fn invalid_utf8_is_reported_at_the_offending_byte() {
    // Line 4 `  name: x` is 9 characters; the 0xff byte is column 10.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("garbage.yaml");
    std::fs::write(
        &path,
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: x\xff\xfe\x00\x01garbage\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    assert_error(&run(&["-f", p]), &at(p, 4, 10));
}

#[test]
fn png_header_is_reported_at_its_first_byte() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("image.yaml");
    std::fs::write(&path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR").unwrap();
    let p = path.to_str().unwrap();
    assert_error(&run(&["-f", p]), &at(p, 1, 1));
}

/// Deterministic pseudo-random bytes (xorshift64*).
fn random_bytes(n: usize, mut seed: u64) -> Vec<u8> {
    (0..n)
        .map(|_| {
            seed ^= seed >> 12;
            seed ^= seed << 25;
            seed ^= seed >> 27;
            (seed.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 56) as u8
        })
        .collect()
}

/// 1-based line and column (in characters) of byte `offset`, which follows valid UTF-8.
fn position_of(bytes: &[u8], offset: usize) -> (u32, u32) {
    let before = std::str::from_utf8(&bytes[..offset]).unwrap();
    let line = before.matches('\n').count() as u32 + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before[line_start..].chars().count() as u32 + 1;
    (line, column)
}

#[test]
fn random_bytes_are_reported_at_the_first_invalid_utf8_byte() {
    let dir = tempfile::tempdir().unwrap();
    for (i, seed) in [0x9e37_79b9_7f4a_7c15_u64, 42, 7, 1234567]
        .into_iter()
        .enumerate()
    {
        // Start with some valid text so that the bad byte is not always at 1:1.
        let mut bytes = b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: r\n  labels: {a: ".to_vec();
        bytes.extend(random_bytes(4096, seed));
        let bad = std::str::from_utf8(&bytes).unwrap_err().valid_up_to();
        let (line, column) = position_of(&bytes, bad);
        let path = dir.path().join(format!("random{i}.bin"));
        std::fs::write(&path, &bytes).unwrap();
        let p = path.to_str().unwrap();
        assert_error(&run(&["-f", p]), &at(p, line, column));
    }
}

#[test]
fn random_bytes_on_stdin_exit_2() {
    let r = run_stdin(&["-f", "-"], &random_bytes(10_000, 99));
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
    assert!(!r.stderr.contains("panicked"), "{}", r.stderr);
}

#[test]
fn nul_byte_in_valid_utf8_is_reported_where_it_is() {
    // Valid UTF-8, but YAML forbids the control character. Line 11 `    a: "b<NUL>c"`: the NUL
    // is column 10, in the second document.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nul.yaml");
    std::fs::write(
        &path,
        b"apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: x\n  labels:\n    a: \"b\x00c\"\n",
    )
    .unwrap();
    let p = path.to_str().unwrap();
    assert_error(&run(&["-f", p]), &at(p, 11, 10));
}

// --- Unreadable paths -----------------------------------------------------------------------

#[test]
fn nonexistent_file_is_named() {
    let r = run(&["-f", "tests/fixtures/no/such/file.yaml"]);
    assert_error(&r, "tests/fixtures/no/such/file.yaml");
    assert!(r.stderr.contains("no such file"), "{}", r.stderr);
    assert!(!r.stderr.contains("os error"), "{}", r.stderr);
}

#[test]
fn nonexistent_file_after_good_ones_still_fails_without_a_report() {
    let good = fixture("status/covered.yaml");
    let r = run(&["-f", &good, "-f", "/nonexistent/extra.yaml"]);
    assert_error(&r, "/nonexistent/extra.yaml");
}

#[test]
fn dangling_symlink_in_a_directory_is_named() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n",
    )
    .unwrap();
    let link = dir.path().join("b.yaml");
    std::os::unix::fs::symlink("/nonexistent/target.yaml", &link).unwrap();
    let r = run(&["-f", dir.path().to_str().unwrap()]);
    assert_error(&r, link.to_str().unwrap());
}

#[test]
fn unreadable_file_is_named_unless_root() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("secret.yaml");
    std::fs::write(&path, "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n").unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o000)).unwrap();
    if std::fs::read(&path).is_ok() {
        // Running as root: permissions do not stop reads; the other cases above cover this.
        return;
    }
    let r = run(&["-f", path.to_str().unwrap()]);
    assert_error(&r, path.to_str().unwrap());
    assert!(r.stderr.contains("permission denied"), "{}", r.stderr);
}

// --- Devices, FIFOs and inputs over the size limit ------------------------------------------

/// Runs the binary with `stdin` as its standard input, killed after `limit`: a run that reads
/// a device or waits on a FIFO forever fails the test instead of hanging it.
fn run_with_stdin_for(args: &[&str], stdin: std::process::Stdio, limit: Duration) -> Run {
    let mut child = std::process::Command::new(BIN_PATH)
        .current_dir(root())
        .args(args)
        .stdin(stdin)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("runs");
    let started = Instant::now();
    while child.try_wait().expect("waits").is_none() {
        if started.elapsed() > limit {
            let _ = child.kill();
            let _ = child.wait();
            panic!("still running after {limit:?}");
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let out = child.wait_with_output().expect("output");
    Run {
        code: out.status.code().expect("exited, not killed by a signal"),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// A directory with one Pod manifest, `a.yaml`.
fn dir_with_a_pod() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("a.yaml"),
        "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n",
    )
    .unwrap();
    dir
}

fn assert_only_the_pod_reported(r: &Run) {
    assert_eq!(r.code, 1, "{}", r.stderr);
    let report: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    let names: Vec<&str> = report["workloads"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["ok"]);
}

#[test]
fn a_symlink_to_dev_zero_in_a_directory_is_skipped_with_a_note() {
    let dir = dir_with_a_pod();
    let link = dir.path().join("zero.yaml");
    std::os::unix::fs::symlink("/dev/zero", &link).unwrap();
    let r = run_limited_for(
        4 << 20,
        Duration::from_secs(60),
        &["-f", dir.path().to_str().unwrap(), "-o", "json"],
    );
    assert_only_the_pod_reported(&r);
    assert_eq!(
        r.stderr,
        format!(
            "note: {}: skipped, a character device is not a regular file\n",
            link.display()
        )
    );
}

#[test]
fn a_fifo_in_a_directory_is_skipped_with_a_note_instead_of_waited_on() {
    let dir = dir_with_a_pod();
    let fifo = dir.path().join("pipe.yaml");
    let made = std::process::Command::new("mkfifo")
        .arg(&fifo)
        .status()
        .unwrap();
    assert!(made.success());
    let r = run_with_stdin_for(
        &["-f", dir.path().to_str().unwrap(), "-o", "json"],
        std::process::Stdio::null(),
        Duration::from_secs(60),
    );
    assert_only_the_pod_reported(&r);
    assert_eq!(
        r.stderr,
        format!(
            "note: {}: skipped, a FIFO is not a regular file\n",
            fifo.display()
        )
    );
}

#[test]
fn a_file_larger_than_the_limit_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("huge.yaml");
    // Sparse: no disk is used, and nothing is read.
    let file = std::fs::File::create(&path).unwrap();
    file.set_len((1 << 30) + 1).unwrap();
    for arg in [path.to_str().unwrap(), dir.path().to_str().unwrap()] {
        let r = run_limited_for(1 << 20, Duration::from_secs(30), &["-f", arg]);
        assert_error(&r, path.to_str().unwrap());
        assert_eq!(
            r.stderr,
            format!(
                "error: {}: larger than 1 GiB, the most one input may be\n",
                path.display()
            )
        );
    }
}

#[test]
fn stdin_beyond_the_limit_is_refused_once_the_limit_is_passed() {
    // /dev/zero never ends: the run must stop at 1 GiB, not read on until memory runs out.
    let zero = std::fs::File::open("/dev/zero").unwrap();
    let r = run_with_stdin_for(&["-f", "-"], zero.into(), Duration::from_secs(120));
    assert_error(&r, "<stdin>");
    assert_eq!(
        r.stderr,
        "error: <stdin>: larger than 1 GiB, the most one input may be\n"
    );
}

#[test]
fn explicit_device_paths_are_still_read() {
    let pod = "apiVersion: v1\nkind: Pod\nmetadata:\n  name: ok\n";
    let r = run_stdin(&["-f", "/dev/stdin", "-o", "json"], pod.as_bytes());
    assert_only_the_pod_reported(&r);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
}

// --- Input without any object: exit 2, so that a CI job cannot pass on nothing -------------

/// One line on stderr, exit 2, nothing on stdout.
fn assert_nothing_read(r: &Run, message: &str) {
    assert_eq!(r.code, 2, "stdout: {}\nstderr: {}", r.stdout, r.stderr);
    assert!(r.stdout.is_empty(), "{}", r.stdout);
    assert_eq!(r.stderr, format!("error: {message}\n"));
}

#[test]
fn empty_file_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("empty.yaml");
    std::fs::write(&path, "").unwrap();
    let p = path.to_str().unwrap();
    let r = run(&["-f", p, "-o", "json"]);
    assert_nothing_read(
        &r,
        &format!("{p}: no Kubernetes objects in it (empty, or only comments)"),
    );
}

#[test]
fn empty_stdin_is_an_error() {
    let r = run_stdin(&["-f", "-"], b"");
    assert_nothing_read(
        &r,
        "<stdin>: no Kubernetes objects in it (empty, or only comments)",
    );
}

#[test]
fn comments_and_markers_only_are_an_error() {
    let r = run_stdin(
        &["-f", "-"],
        b"# nothing here\n---\n# still nothing\n---\n\n   \n---\n...\n",
    );
    assert_nothing_read(
        &r,
        "<stdin>: no Kubernetes objects in it (empty, or only comments)",
    );
}

#[test]
fn several_inputs_without_objects_are_named_together() {
    let dir = tempfile::tempdir().unwrap();
    let a = dir.path().join("a.yaml");
    std::fs::write(&a, "# a\n").unwrap();
    let a = a.to_str().unwrap();
    let r = run_stdin(&["-f", a, "-f", "-"], b"");
    assert_nothing_read(
        &r,
        &format!("no Kubernetes objects in any of the 2 inputs ({a}, <stdin>): they are empty or hold only comments"),
    );
    // One input with an object is enough.
    let r = run_stdin(
        &["-f", a, "-f", "-"],
        b"apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n",
    );
    assert_eq!(r.code, 0, "{}", r.stderr);
}

#[test]
fn a_directory_without_manifests_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("README.md"), "# docs\n").unwrap();
    let d = dir.path().to_str().unwrap();
    for args in [
        vec!["-f", d],
        vec!["matrix", "-f", d],
        vec!["generate", "-f", d],
    ] {
        let r = run(&args);
        assert_nothing_read(
            &r,
            &format!("{d}: no manifest files (*.yaml, *.yml, *.json) in this directory"),
        );
    }
    let empty = tempfile::tempdir().unwrap();
    let e = empty.path().to_str().unwrap();
    assert_nothing_read(
        &run(&["-f", e]),
        &format!("{e}: no manifest files (*.yaml, *.yml, *.json) in this directory"),
    );
}

#[test]
fn objects_without_workloads_are_an_answer_that_says_so() {
    let input = b"apiVersion: v1\nkind: Service\nmetadata: {name: s}\n";
    let r = run_stdin(&["-f", "-"], input);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert!(
        r.stdout.starts_with("No workloads found: no Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, ReplicationController, Job or CronJob in scope.\n"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains("Skipped 1 object of other kinds (Service 1)"),
        "{}",
        r.stdout
    );
    let (code, report) = json_stdin(&["-f", "-"], input);
    assert_eq!(code, 0);
    assert_eq!(report["summary"]["workloads"], 0);
    assert_eq!(report["summary"]["skippedKinds"]["Service"], 1);
}

#[test]
fn hundred_megabyte_document_is_read_within_1_5_gb() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("big.yaml");
    {
        use std::io::Write;
        let mut f = std::io::BufWriter::new(std::fs::File::create(&path).unwrap());
        f.write_all(b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: big\n  namespace: shop\ndata:\n  blob: ")
            .unwrap();
        let chunk = vec![b'x'; 1 << 20];
        for _ in 0..100 {
            f.write_all(&chunk).unwrap();
        }
        f.write_all(b"\n---\napiVersion: v1\nkind: Pod\nmetadata:\n  name: after-the-blob\n  namespace: shop\n")
            .unwrap();
        f.flush().unwrap();
    }
    assert!(Path::new(&path).metadata().unwrap().len() > 100_000_000);
    let r = run_limited(1_500_000, &["-f", path.to_str().unwrap(), "-o", "json"]);
    assert_eq!(r.code, 1, "an uncovered pod: exit 1; stderr: {}", r.stderr);
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["skippedKinds"]["ConfigMap"], 1);
    assert_eq!(v["summary"]["workloads"], 1);
    assert_eq!(
        isolation(&v, "Pod", "shop", "after-the-blob"),
        (false, false)
    );
}

#[test]
fn duplicate_key_is_reported_at_the_second_occurrence() {
    // `kind` appears on line 2 and again on line 3: the duplicate starts at line 3 column 1.
    let f = fixture("bad/duplicate_key.yaml");
    let r = run(&["-f", &f]);
    assert_error(&r, &at(&f, 3, 1));
    assert!(r.stderr.contains("kind"), "{}", r.stderr);
}

/// `[` nested `depth` times in a Pod's labels (also the wrong type) and in an unknown kind.
fn nested_documents(dir: &Path, depth: usize) -> (String, String) {
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let pod = dir.join("deep_pod.yaml");
    std::fs::write(
        &pod,
        format!("apiVersion: v1\nkind: Pod\nmetadata:\n  name: deep\n  labels: {nested}\n"),
    )
    .unwrap();
    let widget = dir.join("deep_widget.yaml");
    std::fs::write(
        &widget,
        format!(
            "apiVersion: example.com/v1\nkind: Widget\nmetadata: {{name: w}}\ndata: {nested}\n"
        ),
    )
    .unwrap();
    (
        pod.to_str().unwrap().to_owned(),
        widget.to_str().unwrap().to_owned(),
    )
}

/// The Pod must be refused (wrong type, reported on line 5); for the unknown kind, skipping
/// or refusing are both fine. Crashing (stack overflow) is not.
fn assert_nested_handled(pod: &str, widget: &str, time_limit: Duration) {
    let r = run_limited_for(1 << 20, time_limit, &["-f", pod]);
    assert_error(&r, pod);
    assert!(names_position_in(&r.stderr, pod, 5..=5), "{}", r.stderr);
    let r = run_limited_for(1 << 20, time_limit, &["-f", widget]);
    match r.code {
        0 => assert!(r.stdout.contains("Widget"), "{}", r.stdout),
        2 => assert_error(&r, widget),
        other => panic!("exit {other}: {}", r.stderr),
    }
}

#[test]
fn deeply_nested_flow_sequences_do_not_crash() {
    // 10,000 levels: legal YAML, deep enough to overflow a naive recursive parser's stack.
    let dir = tempfile::tempdir().unwrap();
    let (pod, widget) = nested_documents(dir.path(), 10_000);
    assert_nested_handled(&pod, &widget, Duration::from_secs(60));
}

#[test]
fn deeply_nested_flow_sequences_fail_fast() {
    // A 200 KB document of 100,000 nested `[` is hostile input like an alias bomb: it must be
    // refused (or skipped) quickly, not after minutes of parsing.
    let dir = tempfile::tempdir().unwrap();
    let (pod, widget) = nested_documents(dir.path(), 100_000);
    assert_nested_handled(&pod, &widget, Duration::from_secs(15));
}

/// Hostile inputs whose cost used to grow with the square of their size (issue 13): a `List`
/// under 100,000 comment lines rescanned them for each of its items (63 s in a release build).
#[test]
fn list_under_a_hundred_thousand_comment_lines_is_read_in_linear_time() {
    use std::fmt::Write as _;
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("list.yaml");
    let mut text = String::new();
    for i in 0..100_000 {
        let _ = writeln!(text, "# comment {i}");
    }
    text.push_str("apiVersion: v1\nkind: List\nitems:\n");
    for i in 0..10_000 {
        let _ = writeln!(
            text,
            "- {{apiVersion: v1, kind: Pod, metadata: {{name: p{i}, namespace: shop}}}}"
        );
    }
    std::fs::write(&path, text).unwrap();
    let r = run_limited_for(
        1_500_000,
        Duration::from_secs(60),
        &["-f", path.to_str().unwrap(), "-o", "json"],
    );
    assert_eq!(r.code, 1, "uncovered pods: exit 1; stderr: {}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(v["summary"]["workloads"], 10_000);
    // Every item's findings point at the List, on the line after the comments.
    let lines: Vec<&serde_json::Value> = v["findings"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|f| f["kind"] == "Pod")
        .map(|f| &f["line"])
        .collect();
    assert!(!lines.is_empty());
    assert!(lines.iter().all(|l| **l == 100_001), "{:?}", &lines[..3]);
}

/// 40 MB of `---` lines are 10 million empty documents, which cost about 150 bytes each
/// (1.5 GB) when each was kept until the end of the run.
#[test]
fn millions_of_empty_documents_take_no_memory_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("markers.yaml");
    std::fs::write(&path, "---\n".repeat(10_000_000)).unwrap();
    for mode in ["-f", "post-render"] {
        let r = if mode == "-f" {
            run_limited_for(
                600_000,
                Duration::from_secs(60),
                &["-f", path.to_str().unwrap(), "-o", "json"],
            )
        } else {
            let script = format!(
                "ulimit -v 600000 || exit 99; exec \"$0\" post-render < '{}' > /dev/null",
                path.display()
            );
            let mut c = assert_cmd::Command::new("sh");
            c.arg("-c")
                .arg(script)
                .arg(BIN_PATH)
                .timeout(Duration::from_secs(60));
            let out = c.output().expect("runs");
            Run {
                code: out.status.code().expect("not killed"),
                stdout: String::new(),
                stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
            }
        };
        // An input without objects is refused by `-f` (exit 2, said in one line), not by
        // post-render; either way the run ends normally, within the memory limit.
        if mode == "-f" {
            assert_eq!(r.code, 2, "{mode}; stderr: {}", r.stderr);
            assert!(r.stderr.contains("no Kubernetes objects"), "{}", r.stderr);
        } else {
            assert_eq!(r.code, 0, "{mode}: an empty input; stderr: {}", r.stderr);
        }
    }
}

#[test]
fn positions_in_the_users_values_are_never_rewritten() {
    // The Pod starts at line 5: the old code added 4 to any " at line N" of the message, the
    // user's quoted value included ("see at line 7"), and overflowed on a huge N.
    let dir = tempfile::tempdir().unwrap();
    for value in ["see at line 3", "x at line 4294967295"] {
        let path = dir.path().join("v.yaml");
        let text = format!(
            "apiVersion: v1\nkind: ConfigMap\nmetadata: {{name: a}}\n---\n\
             apiVersion: v1\nkind: Pod\nmetadata: {{name: p}}\nspec:\n  hostNetwork: \"{value}\"\n"
        );
        std::fs::write(&path, text).unwrap();
        let out = common::cmd().arg("-f").arg(&path).output().unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{err}");
        assert!(
            err.contains(&format!("{value:?}")),
            "{value:?} rewritten: {err}"
        );
        assert!(err.contains("v.yaml:9:16:"), "{err}");
        assert!(!err.contains("internal error"), "{err}");
    }
}
