//! Cobra's `__complete` protocol over the clap definition: which word is being completed (a
//! subcommand, a flag name, a flag's value, a positional value) and its candidates.
//!
//! kubectl (1.26+) completes `kubectl netpol-check WORDS... <TAB>` by running
//! `kubectl_complete-netpol_check WORDS... CURRENT` from PATH and reading Cobra's format: one
//! candidate a line, optionally `value<TAB>description`, then `:<directive>`
//! (k8s.io/kubectl/pkg/cmd/plugin/plugin_completion.go). kubectl hands over every word, flags
//! included, since the plugin's command disables flag parsing.

use std::path::PathBuf;

use clap::builder::PossibleValue;
use clap::{Arg, ArgAction, Command, ValueHint};

/// Cobra's `ShellCompDirective`: a bit set (spf13/cobra completions.go, `1 << iota` from
/// `ShellCompDirectiveError`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Directive(pub u8);

impl Directive {
    /// The shell may complete file names when no candidate fits.
    pub const DEFAULT: Directive = Directive(0);
    /// No space after the candidate (`NPC001=` waits for its level).
    pub const NO_SPACE: Directive = Directive(2);
    /// No file names: the candidates are all there is.
    pub const NO_FILE_COMP: Directive = Directive(4);

    pub fn with(self, other: Directive) -> Directive {
        Directive(self.0 | other.0)
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Candidate {
    pub value: String,
    pub description: String,
}

impl Candidate {
    pub fn new(value: impl Into<String>, description: impl Into<String>) -> Self {
        Candidate {
            value: value.into(),
            description: description.into(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Completions {
    pub candidates: Vec<Candidate>,
    pub directive: Directive,
}

impl Completions {
    fn none(directive: Directive) -> Self {
        Completions {
            candidates: Vec::new(),
            directive,
        }
    }

    /// Cobra's output. A description keeps its first line only, without tabs: each line of the
    /// output is one candidate.
    pub fn to_cobra(&self) -> String {
        let mut out = String::new();
        for c in &self.candidates {
            out.push_str(&c.value);
            let description = c
                .description
                .lines()
                .next()
                .unwrap_or("")
                .replace('\t', " ");
            let description = description.trim();
            if !description.is_empty() {
                out.push('\t');
                out.push_str(description);
            }
            out.push('\n');
        }
        out.push_str(&format!(":{}\n", self.directive.0));
        out
    }

    pub fn values(&self) -> Vec<&str> {
        self.candidates.iter().map(|c| c.value.as_str()).collect()
    }
}

/// The kubeconfig flags given so far: namespaces and contexts come from the cluster and the
/// kubeconfig they name.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ClusterFlags {
    pub kubeconfig: Option<PathBuf>,
    /// The last `--context`: the one namespaces are looked up in.
    pub context: Option<String>,
    /// Every `--context` so far (the check reads several clusters), not offered again.
    pub contexts: Vec<String>,
    pub cluster: Option<String>,
    pub user: Option<String>,
    pub server: Option<String>,
    pub certificate_authority: Option<PathBuf>,
    pub insecure_skip_tls_verify: bool,
    pub token: Option<String>,
}

/// What completion looks up outside the command line. Implementations return nothing when the
/// kubeconfig or the cluster cannot be read: completion never reports errors.
pub trait Lookups {
    fn namespaces(&self, flags: &ClusterFlags) -> Vec<String>;
    /// Context names, each with a description (its cluster and namespace).
    fn contexts(&self, flags: &ClusterFlags) -> Vec<Candidate>;
    fn clusters(&self, flags: &ClusterFlags) -> Vec<String>;
    fn users(&self, flags: &ClusterFlags) -> Vec<String>;
}

/// The candidates for the last of `words` (the words after `kubectl netpol-check`).
pub fn complete_words(root: &Command, words: &[String], lookups: &dyn Lookups) -> Completions {
    let mut root = root.clone();
    root.build();
    let (current, before) = match words.split_last() {
        Some((current, before)) => (current.as_str(), before),
        None => ("", &[][..]),
    };
    let line = Line::parse(&root, before);
    let cmd = line.cmd;

    if let Some(arg) = line.pending {
        return values(arg, current, "", &line.flags, lookups);
    }
    if !line.after_double_dash {
        if let Some((name, value)) = current.strip_prefix("--").and_then(|c| c.split_once('=')) {
            // Cobra's shell scripts complete the part after `=` themselves.
            return match find_long(cmd, name) {
                Some(arg) if takes_value(arg) => values(arg, value, "", &line.flags, lookups),
                _ => Completions::none(Directive::NO_FILE_COMP),
            };
        }
        if let Some(attached) = short_with_attached_value(cmd, current) {
            let (arg, prefix, value) = attached;
            return values(arg, value, prefix, &line.flags, lookups);
        }
        if current.starts_with('-') {
            return flag_names(cmd, current, &line.used, false);
        }
    }

    let mut completions = Completions::none(Directive::NO_FILE_COMP);
    if line.subcommand_allowed {
        completions.candidates.extend(
            cmd.get_subcommands()
                .filter(|s| super::offered(s) && s.get_name().starts_with(current))
                .map(|s| Candidate::new(s.get_name(), about(s))),
        );
    }
    let positional = cmd
        .get_positionals()
        .filter(|a| !a.is_hide_set())
        .nth(line.positionals)
        .or_else(|| cmd.get_positionals().filter(|a| is_repeatable(a)).last());
    if let Some(arg) = positional {
        let found = values(arg, current, "", &line.flags, lookups);
        completions.candidates.extend(found.candidates);
        completions.directive = found.directive;
    }
    if !line.after_double_dash {
        // As Cobra does: a required flag not given yet is offered without typing its dash.
        completions
            .candidates
            .extend(flag_names(cmd, current, &line.used, true).candidates);
    }
    completions
}

/// What the words before the current one say.
struct Line<'a> {
    cmd: &'a Command,
    /// A flag waiting for its value: the current word.
    pending: Option<&'a Arg>,
    used: Vec<&'a str>,
    flags: ClusterFlags,
    positionals: usize,
    subcommand_allowed: bool,
    after_double_dash: bool,
}

impl<'a> Line<'a> {
    fn parse(root: &'a Command, words: &[String]) -> Line<'a> {
        let mut line = Line {
            cmd: root,
            pending: None,
            used: Vec::new(),
            flags: ClusterFlags::default(),
            positionals: 0,
            subcommand_allowed: true,
            after_double_dash: false,
        };
        for word in words {
            if let Some(arg) = line.pending.take() {
                line.record(arg, word);
                continue;
            }
            if line.after_double_dash {
                line.positionals += 1;
                continue;
            }
            if word == "--" {
                line.after_double_dash = true;
                line.subcommand_allowed = false;
                continue;
            }
            if let Some(long) = word.strip_prefix("--") {
                let (name, value) = match long.split_once('=') {
                    Some((name, value)) => (name, Some(value)),
                    None => (long, None),
                };
                if let Some(arg) = find_long(line.cmd, name) {
                    line.used.push(arg.get_id().as_str());
                    match value {
                        Some(value) => line.record(arg, value),
                        None if takes_separate_value(arg) => line.pending = Some(arg),
                        // A flag whose value is optional (--insecure-skip-tls-verify).
                        None => line.record(arg, ""),
                    }
                }
                line.flags_seen();
                continue;
            }
            if word.len() > 1 && word.starts_with('-') {
                line.shorts(word);
                line.flags_seen();
                continue;
            }
            if line.subcommand_allowed {
                if let Some(sub) = line
                    .cmd
                    .get_subcommands()
                    .find(|s| s.get_name() == word || s.get_all_aliases().any(|a| a == word))
                {
                    line.cmd = sub;
                    line.used.clear();
                    line.positionals = 0;
                    continue;
                }
            }
            line.positionals += 1;
            line.subcommand_allowed = false;
        }
        line
    }

    /// `-A`, `-Af file`, `-nshop`, `-n=shop`: flags until one that takes a value, which takes the
    /// rest of the word or, when nothing is left, the next word.
    fn shorts(&mut self, word: &str) {
        let body = &word[1..];
        for (i, c) in body.char_indices() {
            let Some(arg) = find_short(self.cmd, c) else {
                return;
            };
            self.used.push(arg.get_id().as_str());
            if takes_value(arg) {
                let rest = &body[i + c.len_utf8()..];
                let rest = rest.strip_prefix('=').unwrap_or(rest);
                if !rest.is_empty() {
                    self.record(arg, rest);
                } else if takes_separate_value(arg) {
                    self.pending = Some(arg);
                }
                return;
            }
        }
    }

    fn flags_seen(&mut self) {
        if self.cmd.is_args_conflicts_with_subcommands_set() {
            self.subcommand_allowed = false;
        }
    }

    fn record(&mut self, arg: &Arg, value: &str) {
        let value = value.to_owned();
        match arg.get_id().as_str() {
            "kubeconfig" => self.flags.kubeconfig = Some(PathBuf::from(value)),
            "context" => {
                self.flags.contexts.push(value.clone());
                self.flags.context = Some(value);
            }
            "cluster" => self.flags.cluster = Some(value),
            "user" => self.flags.user = Some(value),
            "server" => self.flags.server = Some(value),
            "certificate_authority" => {
                self.flags.certificate_authority = Some(PathBuf::from(value))
            }
            "insecure_skip_tls_verify" => self.flags.insecure_skip_tls_verify = value != "false",
            "token" => self.flags.token = Some(value),
            _ => {}
        }
    }
}

fn visible_flags(cmd: &Command) -> impl Iterator<Item = &Arg> {
    cmd.get_arguments()
        .filter(|a| !a.is_positional() && !a.is_hide_set())
}

fn find_long<'a>(cmd: &'a Command, name: &str) -> Option<&'a Arg> {
    cmd.get_arguments().find(|a| {
        a.get_long() == Some(name)
            || a.get_all_aliases()
                .is_some_and(|aliases| aliases.contains(&name))
    })
}

fn find_short(cmd: &Command, c: char) -> Option<&Arg> {
    cmd.get_arguments().find(|a| {
        a.get_short() == Some(c)
            || a.get_all_short_aliases()
                .is_some_and(|aliases| aliases.contains(&c))
    })
}

fn takes_value(arg: &Arg) -> bool {
    arg.get_action().takes_values()
}

/// `--emit-default-deny` takes its value only after `=`: a following word is not its value.
fn takes_separate_value(arg: &Arg) -> bool {
    takes_value(arg)
        && !arg.is_require_equals_set()
        && arg.get_num_args().is_none_or(|n| n.min_values() > 0)
}

fn is_repeatable(arg: &Arg) -> bool {
    matches!(arg.get_action(), ArgAction::Append | ArgAction::Count)
        || arg.get_num_args().is_some_and(|n| n.max_values() > 1)
}

/// `-nsh`: the value of a short flag, typed in the same word.
fn short_with_attached_value<'a, 'w>(
    cmd: &'a Command,
    current: &'w str,
) -> Option<(&'a Arg, &'w str, &'w str)> {
    let mut chars = current.strip_prefix('-')?.char_indices();
    let (_, c) = chars.next()?;
    if c == '-' {
        return None;
    }
    let arg = find_short(cmd, c)?;
    let split = 1 + c.len_utf8();
    if !takes_value(arg) || current.len() == split {
        return None;
    }
    let (prefix, value) = current.split_at(split);
    // `-n=sh`: the shell scripts treat `-n=` as they treat `--namespace=`.
    Some(match value.strip_prefix('=') {
        Some(value) => (arg, "", value),
        None => (arg, prefix, value),
    })
}

/// The flags whose names start with `current`, leaving out those given already unless they
/// repeat. With `required_only`, just the required ones.
fn flag_names(cmd: &Command, current: &str, used: &[&str], required_only: bool) -> Completions {
    let mut candidates = Vec::new();
    for arg in visible_flags(cmd) {
        let given = used.contains(&arg.get_id().as_str());
        if (given && !is_repeatable(arg)) || (required_only && (given || !arg.is_required_set())) {
            continue;
        }
        let help = arg.get_help().map(|h| h.to_string()).unwrap_or_default();
        if let Some(long) = arg.get_long() {
            let name = format!("--{long}");
            if name.starts_with(current) {
                candidates.push(Candidate::new(name, help.clone()));
            }
        }
        if let Some(short) = arg.get_short() {
            let name = format!("-{short}");
            if name.starts_with(current) {
                candidates.push(Candidate::new(name, help));
            }
        }
    }
    Completions {
        candidates,
        directive: Directive::NO_FILE_COMP,
    }
}

fn about(cmd: &Command) -> String {
    cmd.get_about().map(|a| a.to_string()).unwrap_or_default()
}

/// The values of `arg` that start with `typed`, each written after `prefix` (the `-n` of
/// `-nsh`).
fn values(
    arg: &Arg,
    typed: &str,
    prefix: &str,
    flags: &ClusterFlags,
    lookups: &dyn Lookups,
) -> Completions {
    let mut directive = Directive::NO_FILE_COMP;
    let candidates: Vec<Candidate> = match arg.get_id().as_str() {
        _ if !arg.get_possible_values().is_empty() => arg
            .get_possible_values()
            .iter()
            .filter(|v| !v.is_hide_set())
            .map(possible_value)
            .collect(),
        "namespace" | "dns_namespace" | "exclude_namespace" => lookups
            .namespaces(flags)
            .into_iter()
            .map(|n| Candidate::new(n, ""))
            .collect(),
        "context" => lookups
            .contexts(flags)
            .into_iter()
            .filter(|c| !flags.contexts.contains(&c.value))
            .collect(),
        "cluster" => names(lookups.clusters(flags)),
        "user" => names(lookups.users(flags)),
        "enable" | "disable" => rules(),
        "severity" => {
            let (candidates, d) = severity(typed);
            directive = d;
            candidates
        }
        _ => Vec::new(),
    };
    if is_path(arg) {
        directive = Directive::DEFAULT;
    }
    Completions {
        candidates: candidates
            .into_iter()
            .filter(|c| c.value.starts_with(typed))
            .map(|c| Candidate::new(format!("{prefix}{}", c.value), c.description))
            .collect(),
        directive,
    }
}

fn possible_value(v: &PossibleValue) -> Candidate {
    Candidate::new(
        v.get_name(),
        v.get_help().map(|h| h.to_string()).unwrap_or_default(),
    )
}

fn names(names: Vec<String>) -> Vec<Candidate> {
    names.into_iter().map(|n| Candidate::new(n, "")).collect()
}

fn is_path(arg: &Arg) -> bool {
    matches!(
        arg.get_value_hint(),
        ValueHint::AnyPath | ValueHint::FilePath | ValueHint::DirPath
    ) || arg
        .get_value_names()
        .is_some_and(|names| names.iter().any(|n| n.as_str() == "PATH"))
}

/// `--enable`/`--disable` take a rule id or name.
fn rules() -> Vec<Candidate> {
    let rules = crate::checks::RULES;
    let ids = rules.iter().map(|r| {
        Candidate::new(
            r.id,
            format!("{} ({}): {}", r.name, r.severity.as_str(), r.summary),
        )
    });
    let names = rules.iter().map(|r| Candidate::new(r.name, r.id));
    ids.chain(names).collect()
}

/// `--severity RULE=LEVEL`: the rule first (no space after its `=`), then the level.
fn severity(typed: &str) -> (Vec<Candidate>, Directive) {
    match typed.split_once('=') {
        Some((rule, _)) => {
            let levels = [
                ("error", "fails the check (exit 1) by default"),
                ("warning", "fails with --fail-on warning"),
                ("info", "fails with --fail-on info"),
            ];
            let candidates = levels
                .iter()
                .map(|(level, help)| Candidate::new(format!("{rule}={level}"), *help))
                .collect();
            (candidates, Directive::NO_FILE_COMP)
        }
        None => {
            let candidates = rules()
                .into_iter()
                .map(|c| Candidate::new(format!("{}=", c.value), c.description))
                .collect();
            (
                candidates,
                Directive::NO_FILE_COMP.with(Directive::NO_SPACE),
            )
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    /// Fixed answers, recording the flags it was asked with.
    #[derive(Default)]
    struct Fake {
        asked: std::cell::RefCell<Vec<ClusterFlags>>,
    }

    impl Lookups for Fake {
        fn namespaces(&self, flags: &ClusterFlags) -> Vec<String> {
            self.asked.borrow_mut().push(flags.clone());
            vec!["shop".into(), "blog".into(), "kube-system".into()]
        }
        fn contexts(&self, _: &ClusterFlags) -> Vec<Candidate> {
            vec![
                Candidate::new("prod", "cluster prod-eu"),
                Candidate::new("dev", ""),
            ]
        }
        fn clusters(&self, _: &ClusterFlags) -> Vec<String> {
            vec!["prod-eu".into()]
        }
        fn users(&self, _: &ClusterFlags) -> Vec<String> {
            vec!["admin".into()]
        }
    }

    fn complete_with(fake: &Fake, words: &[&str]) -> Completions {
        let words: Vec<String> = words.iter().map(|w| w.to_string()).collect();
        complete_words(&crate::cli::Cli::command(), &words, fake)
    }

    fn complete(words: &[&str]) -> Completions {
        complete_with(&Fake::default(), words)
    }

    #[test]
    fn an_empty_line_offers_the_visible_subcommands() {
        let c = complete(&[""]);
        assert_eq!(
            c.values(),
            [
                "post-render",
                "generate",
                "rules",
                "explain",
                "reach",
                "matrix",
                "diff",
                "completion"
            ]
        );
        assert_eq!(c.directive, Directive::NO_FILE_COMP);
        assert!(complete(&[]).values().contains(&"rules"));
        assert_eq!(complete(&["ge"]).values(), ["generate"]);
    }

    #[test]
    fn flag_names_long_and_short_with_their_help() {
        let c = complete(&["--fa"]);
        assert_eq!(c.values(), ["--fail-on-change", "--fail-on"]);
        assert_eq!(
            c.candidates[1].description,
            "Lowest severity that makes the exit status 1"
        );
        let all = complete(&["-"]);
        for flag in [
            "-n",
            "--namespace",
            "-o",
            "--output",
            "-A",
            "--context",
            "--help",
        ] {
            assert!(all.values().contains(&flag), "{flag}: {:?}", all.values());
        }
        assert!(
            !all.values().contains(&"--chunk-size"),
            "hidden flags stay hidden"
        );
    }

    #[test]
    fn flags_given_already_are_not_offered_again_unless_they_repeat() {
        let c = complete(&["-o", "json", "--"]);
        assert!(!c.values().contains(&"--output"));
        assert!(c.values().contains(&"--filename"));
        let c = complete(&["-f", "a.yaml", "--file"]);
        assert_eq!(c.values(), ["--filename"]);
    }

    #[test]
    fn output_formats_after_the_flag_with_a_space_an_equals_sign_or_attached() {
        let formats = ["table", "wide", "json", "yaml", "sarif", "html", "junit"];
        assert_eq!(complete(&["-o", ""]).values(), formats);
        assert_eq!(complete(&["--output", "js"]).values(), ["json"]);
        assert_eq!(complete(&["--output=y"]).values(), ["yaml"]);
        assert_eq!(complete(&["-oj"]).values(), ["-ojson", "-ojunit"]);
        assert_eq!(complete(&["-o=s"]).values(), ["sarif"]);
        assert_eq!(complete(&["-Ao", ""]).values(), formats);
        let c = complete(&["-o", ""]);
        assert_eq!(c.directive, Directive::NO_FILE_COMP);
        assert!(c.candidates[1].description.contains("selecting policies"));
    }

    #[test]
    fn enum_values_of_the_subcommands_too() {
        assert_eq!(
            complete(&["--fail-on", ""]).values(),
            ["error", "warning", "info", "never", "uncovered"]
        );
        assert_eq!(complete(&["--color", "a"]).values(), ["auto", "always"]);
        assert_eq!(
            complete(&["generate", "--mode", ""]).values(),
            ["namespace", "workloads"]
        );
        assert_eq!(
            complete(&["post-render", "--emit-default-deny="]).values(),
            ["namespace", "workloads"]
        );
        assert_eq!(
            complete(&["completion", ""]).values(),
            ["bash", "zsh", "fish", "powershell"]
        );
    }

    #[test]
    fn rule_ids_and_names_for_enable_disable_and_severity() {
        let c = complete(&["--disable", ""]);
        for rule in crate::checks::RULES {
            assert!(c.values().contains(&rule.id), "{}", rule.id);
            assert!(c.values().contains(&rule.name), "{}", rule.name);
        }
        assert_eq!(complete(&["--enable", "NPC00"]).values().len(), 3);
        let c = complete(&["--severity", "NPC001"]);
        assert_eq!(c.values(), ["NPC001="]);
        assert_eq!(c.directive, Directive(6), "no space after `=`, no files");
        assert_eq!(
            complete(&["--severity", "NPC001=w"]).values(),
            ["NPC001=warning"]
        );
    }

    #[test]
    fn namespaces_and_contexts_from_the_lookups_with_the_flags_given_so_far() {
        let fake = Fake::default();
        let c = complete_with(&fake, &["--context", "prod", "--kubeconfig=/k", "-n", "s"]);
        assert_eq!(c.values(), ["shop"]);
        assert_eq!(
            fake.asked.borrow()[0],
            ClusterFlags {
                kubeconfig: Some("/k".into()),
                context: Some("prod".into()),
                contexts: vec!["prod".into()],
                ..ClusterFlags::default()
            }
        );
        // kubectl's connection flags reach the namespaces lookup too.
        let fake = Fake::default();
        let words = [
            "matrix",
            "-s",
            "https://k:6443",
            "--token=t",
            "--insecure-skip-tls-verify",
            "--certificate-authority",
            "/ca",
            "-n",
            "s",
        ];
        assert_eq!(complete_with(&fake, &words).values(), ["shop"]);
        assert_eq!(
            fake.asked.borrow()[0],
            ClusterFlags {
                server: Some("https://k:6443".into()),
                token: Some("t".into()),
                insecure_skip_tls_verify: true,
                certificate_authority: Some("/ca".into()),
                ..ClusterFlags::default()
            }
        );
        assert_eq!(complete(&["--context", ""]).values(), ["prod", "dev"]);
        // A second --context (several clusters) offers the ones not named yet.
        assert_eq!(
            complete(&["--context", "prod", "--context", ""]).values(),
            ["dev"]
        );
        assert_eq!(complete(&["--cluster", ""]).values(), ["prod-eu"]);
        assert_eq!(complete(&["-nk"]).values(), ["-nkube-system"]);
        assert_eq!(
            complete(&["post-render", "--dns-namespace", "k"]).values(),
            ["kube-system"]
        );
    }

    #[test]
    fn paths_leave_completion_to_the_shell() {
        for words in [
            &["-f", ""][..],
            &["--kubeconfig", "x"],
            &["post-render", "--report-file", ""],
        ] {
            let c = complete(words);
            assert!(c.candidates.is_empty(), "{words:?}");
            assert_eq!(c.directive, Directive::DEFAULT, "{words:?}");
        }
    }

    #[test]
    fn no_subcommands_after_flags_and_nothing_after_a_double_dash() {
        assert!(!complete(&["-A", ""]).values().contains(&"rules"));
        assert!(complete(&["--", ""]).candidates.is_empty());
        assert!(complete(&["--", "-"]).candidates.is_empty());
    }

    #[test]
    fn a_required_flag_is_offered_without_its_dash() {
        // No command has one since generate also reads -k and --chart instead of -f.
        let cmd = Command::new("x")
            .arg(
                Arg::new("filename")
                    .short('f')
                    .long("filename")
                    .required(true),
            )
            .arg(Arg::new("other").long("other"));
        let names = |used: &[&str]| {
            flag_names(&cmd, "", used, true)
                .candidates
                .iter()
                .map(|c| c.value.clone())
                .collect::<Vec<_>>()
        };
        assert_eq!(names(&[]), ["--filename", "-f"]);
        assert!(names(&["filename"]).is_empty());
    }

    #[test]
    fn hidden_subcommands_are_never_offered() {
        let c = complete(&["__"]);
        assert!(c.candidates.is_empty(), "{:?}", c.values());
    }

    #[test]
    fn cobra_output_is_one_candidate_a_line_then_the_directive() {
        let c = Completions {
            candidates: vec![
                Candidate::new("json", "The report\tobject as JSON.\nsecond line"),
                Candidate::new("shop", ""),
            ],
            directive: Directive::NO_FILE_COMP,
        };
        assert_eq!(c.to_cobra(), "json\tThe report object as JSON.\nshop\n:4\n");
    }
}
