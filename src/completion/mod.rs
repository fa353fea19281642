//! Shell completion: the scripts of `completion bash|zsh|fish|powershell` (clap_complete), and the
//! hidden `__complete` command behind `kubectl_complete-netpol_check`, through which kubectl
//! completes `kubectl netpol-check ...`.
//!
//! Both read the clap definition of [`crate::cli::Cli`], so a new flag or subcommand completes
//! without anything here changing.

mod cluster;
mod engine;

use std::io::Write;

use clap::{Args, Command, CommandFactory, ValueEnum};

use crate::cli::EXIT_OK;
use crate::error::Error;

pub use engine::{complete_words, Candidate, Completions, Directive, Lookups};

/// The name shells complete: the binary itself (`kubectl netpol-check` goes through kubectl's
/// own completion and `kubectl_complete-netpol_check`).
pub const BIN_NAME: &str = "kubectl-netpol_check";

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Shell {
    Bash,
    Zsh,
    Fish,
    Powershell,
}

impl Shell {
    fn generator(self) -> clap_complete::Shell {
        match self {
            Shell::Bash => clap_complete::Shell::Bash,
            Shell::Zsh => clap_complete::Shell::Zsh,
            Shell::Fish => clap_complete::Shell::Fish,
            Shell::Powershell => clap_complete::Shell::PowerShell,
        }
    }

    /// Where the script lives in `completions/`: the file name each shell looks for (`_name` on
    /// zsh's fpath, `name.fish` in fish's completions directory).
    pub fn file_name(self) -> String {
        clap_complete::Generator::file_name(&self.generator(), BIN_NAME)
    }
}

#[derive(Debug, Args)]
#[command(after_help = "Set-up:\n  \
    bash:       source <(kubectl-netpol_check completion bash)\n  \
    zsh:        kubectl-netpol_check completion zsh > \"${fpath[1]}/_kubectl-netpol_check\"\n  \
    fish:       kubectl-netpol_check completion fish | source\n  \
    powershell: kubectl-netpol_check completion powershell | Out-String | Invoke-Expression\n\n\
    `kubectl netpol-check <TAB>` completes through kubectl (1.26+) instead: put the script \
    kubectl_complete-netpol_check next to the binary on PATH.")]
pub struct CompletionArgs {
    /// The shell to complete in.
    #[arg(value_enum)]
    pub shell: Shell,
}

#[derive(Debug, Args)]
pub struct CompleteArgs {
    /// The words after `kubectl netpol-check`; the last one is being completed (maybe "").
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, num_args = 0..)]
    pub words: Vec<String>,
}

/// The command line as users see it: without hidden subcommands and flags, which the generated
/// scripts would otherwise offer (clap_complete keeps them).
pub fn visible_command() -> Command {
    let mut cmd = crate::cli::Cli::command();
    cmd.build();
    visible(&cmd)
}

fn visible(cmd: &Command) -> Command {
    let mut out = Command::new(cmd.get_name().to_owned())
        .disable_help_flag(true)
        .disable_version_flag(true)
        .disable_help_subcommand(true);
    if let Some(about) = cmd.get_about() {
        out = out.about(about.clone());
    }
    if let Some(version) = cmd.get_version() {
        out = out.version(version.to_owned());
    }
    // The built command carries clap's own --help/--version among its arguments.
    out = out.args(cmd.get_arguments().filter(|a| !a.is_hide_set()).cloned());
    out.subcommands(cmd.get_subcommands().filter(|s| offered(s)).map(visible))
}

/// The subcommands completion offers: not the hidden ones, nor clap's generated `help`, which
/// says what `--help` says.
pub(crate) fn offered(sub: &Command) -> bool {
    !sub.is_hide_set() && sub.get_name() != "help"
}

/// The completion script for a shell.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut buf = Vec::new();
    if shell != Shell::Bash {
        clap_complete::generate(
            shell.generator(),
            &mut visible_command(),
            BIN_NAME,
            &mut buf,
        );
        return buf;
    }
    // clap_complete's bash script never completes past a subcommand when the binary's name has
    // a hyphen: the dispatch and the case labels escape it differently (clap-rs/clap#6421, open
    // in clap_complete 4.6.11). Generated for a hyphen-free name, only the `complete -F` lines
    // must name the real binary.
    const BASH_NAME: &str = "kubectl_netpol_check";
    clap_complete::generate(
        shell.generator(),
        &mut visible_command(),
        BASH_NAME,
        &mut buf,
    );
    let text = String::from_utf8(buf).expect("clap_complete writes UTF-8");
    let mut out = String::with_capacity(text.len());
    for line in text.split_inclusive('\n') {
        match line.trim_start().starts_with("complete -F") {
            true => {
                out.push_str(&line.replace(&format!(" {BASH_NAME}\n"), &format!(" {BIN_NAME}\n")))
            }
            false => out.push_str(line),
        }
    }
    out.into_bytes()
}

pub fn print_script(args: &CompletionArgs) -> Result<i32, Error> {
    write_stdout(&script(args.shell))
}

/// `__complete WORDS... CURRENT`: Cobra's output, one candidate a line (`value\tdescription`),
/// then `:<directive>`. It never fails: a completion that cannot be worked out offers nothing.
pub fn complete(args: &CompleteArgs) -> Result<i32, Error> {
    // clap drops a `--` among the words (`kubectl netpol-check -- <TAB>`), and it matters here:
    // take them as given when the command line is `kubectl-netpol_check __complete WORDS...`.
    let raw: Vec<String> = std::env::args().collect();
    let words = match raw.get(1).map(String::as_str) {
        Some("__complete") => &raw[2..],
        _ => &args.words[..],
    };
    let cmd = crate::cli::Cli::command();
    let completions = complete_words(&cmd, words, &cluster::Live);
    write_stdout(completions.to_cobra().as_bytes())
}

fn write_stdout(bytes: &[u8]) -> Result<i32, Error> {
    let stdout = std::io::stdout();
    let mut out = stdout.lock();
    match out.write_all(bytes).and_then(|_| out.flush()) {
        Err(e) if e.kind() != std::io::ErrorKind::BrokenPipe => Err(Error::io("<stdout>", &e)),
        _ => Ok(EXIT_OK),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hidden_subcommands_and_flags_are_left_out_of_the_scripts() {
        let bash = String::from_utf8(script(Shell::Bash)).unwrap();
        assert!(bash.contains("--fail-on"));
        assert!(bash.contains("post-render"));
        assert!(!bash.contains("__complete"), "{bash}");
        assert!(!bash.contains("__man"));
        assert!(!bash.contains("chunk-size"));
    }

    #[test]
    fn file_names_are_the_ones_shells_look_for() {
        assert_eq!(Shell::Bash.file_name(), "kubectl-netpol_check.bash");
        assert_eq!(Shell::Zsh.file_name(), "_kubectl-netpol_check");
        assert_eq!(Shell::Fish.file_name(), "kubectl-netpol_check.fish");
        assert_eq!(Shell::Powershell.file_name(), "_kubectl-netpol_check.ps1");
    }
}
