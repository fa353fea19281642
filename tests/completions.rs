//! The shell completion scripts checked into completions/ are what `completion SHELL` prints
//! today, and the bash one completes subcommands, flags and values in a real bash.

use std::path::Path;
use std::process::Command;

const BINARY: &str = env!("CARGO_BIN_EXE_kubectl-netpol_check");
const REPO: &str = env!("CARGO_MANIFEST_DIR");
const REGENERATE: &str = "scripts/completions.sh";

/// (shell, file in completions/), as shells look for them.
const SCRIPTS: [(&str, &str); 4] = [
    ("bash", "kubectl-netpol_check.bash"),
    ("zsh", "_kubectl-netpol_check"),
    ("fish", "kubectl-netpol_check.fish"),
    ("powershell", "_kubectl-netpol_check.ps1"),
];

fn completion(shell: &str) -> String {
    let out = Command::new(BINARY)
        .args(["completion", shell])
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn checked_in_scripts_are_up_to_date() {
    let mut stale = Vec::new();
    for (shell, file) in SCRIPTS {
        let path = Path::new(REPO).join("completions").join(file);
        let checked_in = std::fs::read_to_string(&path).unwrap_or_default();
        if checked_in != completion(shell) {
            stale.push(format!("completions/{file}"));
        }
    }
    assert!(
        stale.is_empty(),
        "stale completion scripts: {}\nregenerate them with: {REGENERATE}",
        stale.join(", ")
    );
}

#[test]
fn the_scripts_name_the_binary_and_leave_hidden_commands_out() {
    for (shell, _) in SCRIPTS {
        let script = completion(shell);
        assert!(script.contains("kubectl-netpol_check"), "{shell}");
        assert!(script.contains("fail-on"), "{shell}");
        assert!(script.contains("post-render"), "{shell}");
        for hidden in ["__complete", "__man", "chunk-size"] {
            assert!(!script.contains(hidden), "{shell} offers {hidden}");
        }
    }
}

#[test]
fn an_unknown_shell_is_a_usage_error() {
    let out = Command::new(BINARY)
        .args(["completion", "tcsh"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.starts_with("error: invalid value 'tcsh'"),
        "{stderr}"
    );
}

/// What bash offers for the words after the binary's name (the last one being typed), with the
/// checked-in script sourced, as `complete -F` would call its function.
fn bash_candidates(line: &str) -> Vec<String> {
    let script = Path::new(REPO).join("completions/kubectl-netpol_check.bash");
    let program = r#"
        source "$1"
        read -ra words <<< "kubectl-netpol_check $2"
        [[ "$2" == *" " || -z "$2" ]] && words+=("")
        COMP_WORDS=("${words[@]}")
        COMP_CWORD=$(( ${#words[@]} - 1 ))
        spec=$(complete -p kubectl-netpol_check)
        function=$(sed -E 's/.*-F ([^ ]+) .*/\1/' <<< "$spec")
        "$function" kubectl-netpol_check "${words[-1]}" "${words[-2]}"
        printf '%s\n' "${COMPREPLY[@]}"
    "#;
    let out = Command::new("bash")
        .args(["-c", program, "bash"])
        .arg(&script)
        .arg(line)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

#[test]
fn bash_completes_subcommands_flags_and_values() {
    let top = bash_candidates("");
    for expected in [
        "post-render",
        "generate",
        "rules",
        "completion",
        "--fail-on",
        "-n",
    ] {
        assert!(top.iter().any(|c| c == expected), "{expected}: {top:?}");
    }
    assert_eq!(
        bash_candidates("-o "),
        ["table", "wide", "json", "yaml", "sarif", "html", "junit"]
    );
    // Past a subcommand too (clap-rs/clap#6421 breaks this for hyphenated binary names).
    assert_eq!(
        bash_candidates("post-render --inc"),
        ["--include-hooks", "--include-system"]
    );
    assert_eq!(
        bash_candidates("generate --mode "),
        ["namespace", "workloads"]
    );
    assert_eq!(
        bash_candidates("completion "),
        ["-h", "--help", "bash", "zsh", "fish", "powershell"]
    );
}
