//! When to colour output: `--color auto|always|never`, honouring NO_COLOR (no-color.org).

use std::io::IsTerminal;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, clap::ValueEnum)]
pub enum ColorChoice {
    /// Colour when the output is a terminal and NO_COLOR is not set.
    #[default]
    Auto,
    Always,
    Never,
}

impl ColorChoice {
    /// For what goes to stdout.
    pub fn enabled(self) -> bool {
        self.decide(std::io::stdout().is_terminal())
    }

    /// For what goes to stderr (the post-renderer's report).
    pub fn enabled_for_stderr(self) -> bool {
        self.decide(std::io::stderr().is_terminal())
    }

    fn decide(self, terminal: bool) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty()) && terminal
            }
        }
    }
}
