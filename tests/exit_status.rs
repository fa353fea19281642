//! Exit statuses of shared/REPORT.md: 0 nothing at or above `--fail-on`, 1 findings at or above
//! it, 2 the run could not be done (bad flags, bad input).

mod common;

use common::*;

#[test]
fn fully_covered_namespace_exits_0_with_no_findings() {
    let f = fixture("status/covered.yaml");
    let (code, r) = json(&["-f", &f]);
    assert_eq!(code, 0);
    assert_eq!(
        r["findings"].as_array().unwrap().len(),
        0,
        "{:#}",
        r["findings"]
    );
    assert_eq!(r["summary"]["findings"]["error"], 0);
    assert_eq!(r["summary"]["findings"]["warning"], 0);
    assert_eq!(r["summary"]["findings"]["info"], 0);
    assert_eq!(r["summary"]["uncoveredWorkloads"], 0);
    assert_eq!(isolation(&r, "Deployment", "vault", "server"), (true, true));
    // The table run exits 0 too.
    assert_eq!(run(&["-f", &f]).code, 0);
}

#[test]
fn uncovered_workload_is_an_error_and_exits_1_by_default() {
    let f = fixture("status/uncovered.yaml");
    let (code, r) = json(&["-f", &f]);
    assert_eq!(code, 1);
    assert!(
        has_finding(&r, "NPC001", "Pod", "team", "lonely"),
        "{:#}",
        r["findings"]
    );
    let npc001 = r["findings"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["rule"] == "NPC001")
        .unwrap();
    assert_eq!(npc001["severity"], "error");
    assert_eq!(npc001["name"], "uncovered-workload");
    assert_eq!(r["summary"]["uncoveredWorkloads"], 1);
    assert_eq!(run(&["-f", &f]).code, 1, "table output has the same status");
}

#[test]
fn example_shop_exits_1_and_0_with_fail_on_never() {
    assert_eq!(run(&["-f", "examples/shop"]).code, 1);
    assert_eq!(run(&["-f", "examples/shop", "--fail-on", "error"]).code, 1);
    assert_eq!(run(&["-f", "examples/shop", "--fail-on", "never"]).code, 0);
    assert_eq!(
        run(&["-f", "examples/shop", "--fail-on", "never", "-o", "json"]).code,
        0
    );
}

#[test]
fn warnings_only_pass_by_default_and_fail_with_fail_on_warning() {
    let f = fixture("status/warning_only.yaml");
    let (code, r) = json(&["-f", &f]);
    assert_eq!(code, 0, "warnings are below the default threshold");
    let rules: Vec<String> = finding_keys(&r, "findings")
        .into_iter()
        .map(|k| k.0)
        .collect();
    assert_eq!(rules, ["NPC003"], "{:#}", r["findings"]);
    assert_eq!(r["findings"][0]["severity"], "warning");
    assert_eq!(r["summary"]["findings"]["warning"], 1);
    assert_eq!(r["summary"]["findings"]["error"], 0);

    assert_eq!(run(&["-f", &f, "--fail-on", "warning"]).code, 1);
    assert_eq!(
        run(&["-f", &f, "--fail-on", "info"]).code,
        1,
        "info is below warning"
    );
    assert_eq!(run(&["-f", &f, "--fail-on", "error"]).code, 0);
    assert_eq!(run(&["-f", &f, "--fail-on", "never"]).code, 0);
}

#[test]
fn errors_fail_every_threshold_but_never() {
    let f = fixture("status/uncovered.yaml");
    for level in ["error", "warning", "info"] {
        assert_eq!(
            run(&["-f", &f, "--fail-on", level]).code,
            1,
            "--fail-on {level}"
        );
    }
    assert_eq!(run(&["-f", &f, "--fail-on", "never"]).code, 0);
}

#[test]
fn covered_input_passes_every_threshold() {
    let f = fixture("status/covered.yaml");
    for level in ["error", "warning", "info", "never"] {
        assert_eq!(
            run(&["-f", &f, "--fail-on", level]).code,
            0,
            "--fail-on {level}"
        );
    }
}

fn assert_usage_error(args: &[&str], mention: &str) {
    let r = run(args);
    assert_eq!(r.code, 2, "{args:?}: stderr {}", r.stderr);
    assert!(r.stdout.is_empty(), "{args:?}: stdout {}", r.stdout);
    assert!(r.stderr.starts_with("error: "), "{args:?}: {}", r.stderr);
    assert!(r.stderr.contains(mention), "{args:?}: {}", r.stderr);
    assert!(
        !r.stderr.to_lowercase().contains("panicked"),
        "{}",
        r.stderr
    );
}

#[test]
fn unknown_output_format_exits_2() {
    let f = fixture("status/covered.yaml");
    assert_usage_error(&["-f", &f, "-o", "bogus"], "bogus");
}

#[test]
fn unknown_fail_on_level_exits_2() {
    let f = fixture("status/covered.yaml");
    assert_usage_error(&["-f", &f, "--fail-on", "x"], "--fail-on");
}

#[test]
fn bad_exclude_namespace_glob_exits_2() {
    let f = fixture("status/covered.yaml");
    assert_usage_error(
        &["-f", &f, "--exclude-namespace", "[a"],
        "--exclude-namespace",
    );
}

#[test]
fn unknown_color_choice_and_unknown_flag_exit_2() {
    let f = fixture("status/covered.yaml");
    assert_usage_error(&["-f", &f, "--color", "sometimes"], "sometimes");
    assert_usage_error(&["-f", &f, "--no-such-flag"], "--no-such-flag");
}

#[test]
fn no_input_and_no_cluster_exits_2() {
    let r = run(&[]);
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(r.stdout.is_empty());
    assert!(r.stderr.starts_with("error: "), "{}", r.stderr);
}

#[test]
fn help_exits_0_and_names_the_kubectl_command() {
    for flag in ["--help", "-h"] {
        let r = run(&[flag]);
        assert_eq!(r.code, 0, "{flag}: {}", r.stderr);
        assert!(
            r.stdout.contains("kubectl netpol-check"),
            "{flag}: {}",
            r.stdout
        );
        assert!(r.stdout.contains("--fail-on"), "{flag}: {}", r.stdout);
        assert!(r.stderr.is_empty(), "{flag}: {}", r.stderr);
    }
}

#[test]
fn version_exits_0_and_names_the_kubectl_command() {
    let r = run(&["--version"]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(r.stdout.contains("kubectl netpol-check"), "{}", r.stdout);
    assert!(r.stdout.contains(env!("CARGO_PKG_VERSION")), "{}", r.stdout);
}

#[test]
fn fail_on_uncovered_fails_only_on_uncovered_workloads() {
    let other_error = fixture("status/error_not_uncovered.yaml");
    let (code, r) = json(&["-f", &other_error]);
    assert_eq!(code, 1, "NPC105 is an error: {:#}", r["findings"]);
    assert!(has_finding(
        &r,
        "NPC105",
        "NetworkPolicy",
        "team",
        "api-egress-to-the-internet"
    ));
    assert_eq!(r["summary"]["uncoveredWorkloads"], 0);
    assert_eq!(run(&["-f", &other_error, "--fail-on", "uncovered"]).code, 0);

    let uncovered = fixture("status/uncovered.yaml");
    assert_eq!(run(&["-f", &uncovered, "--fail-on", "uncovered"]).code, 1);
    // Whatever its severity: the choice is about coverage, not levels.
    assert_eq!(
        run(&[
            "-f",
            &uncovered,
            "--fail-on",
            "uncovered",
            "--severity",
            "NPC001=info"
        ])
        .code,
        1
    );
    let warnings = fixture("status/warning_only.yaml");
    assert_eq!(run(&["-f", &warnings, "--fail-on", "uncovered"]).code, 0);
}

#[test]
fn post_render_fail_on_uncovered_lets_other_errors_install() {
    let read = |f: &str| std::fs::read(root().join(fixture(f))).unwrap();
    let other_error = read("status/error_not_uncovered.yaml");
    assert_eq!(run_stdin(&["post-render"], &other_error).code, 1);
    let r = run_stdin(&["post-render", "--fail-on=uncovered"], &other_error);
    assert_eq!(r.code, 0, "{}", r.stderr);
    assert!(
        !r.stderr.contains("NPC105"),
        "only what fails is listed: {}",
        r.stderr
    );
    let r = run_stdin(
        &["post-render", "--fail-on=uncovered"],
        &read("status/uncovered.yaml"),
    );
    assert_eq!(r.code, 1);
    assert!(r.stderr.contains("NPC001"), "{}", r.stderr);
}

#[test]
fn post_render_help_says_what_fails_an_install() {
    let help = run(&["post-render", "--help"]).stdout;
    let help = help.split_whitespace().collect::<Vec<_>>().join(" ");
    // Every rule that is an error by default, and nothing else, is named.
    for rule in netpol_check::checks::RULES {
        let named = help.contains(&format!("{} {}", rule.id, rule.name));
        assert_eq!(
            named,
            rule.severity == netpol_check::report::Severity::Error,
            "{} in post-render --help: {help}",
            rule.id
        );
    }
    assert!(
        help.contains("--fail-on uncovered fails only on NPC001"),
        "{help}"
    );
}
