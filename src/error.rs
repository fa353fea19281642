//! Errors that stop a run (exit status 2). Each displays as one line that says what went wrong
//! and where: `file:line:column` for input, the path for I/O.

use std::fmt;
use std::sync::Arc;

/// A position in an input file; `line` and `column` are 1-based.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub file: Arc<str>,
    pub line: u32,
    pub column: u32,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file, self.line, self.column)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A path that cannot be read.
    #[error("{path}: {message}")]
    Io { path: String, message: String },

    /// Input that is not what a Kubernetes manifest stream must be.
    #[error("{location}: {message}{}", object.as_ref().map(|o| format!(" (in {o})")).unwrap_or_default())]
    Input {
        location: Location,
        message: String,
        /// `Kind namespace/name` when known.
        object: Option<String>,
    },

    /// A cluster that cannot be reached or refuses us.
    #[error("{}", cluster_line(context, server, message))]
    Cluster {
        context: String,
        server: String,
        message: String,
    },

    /// Flags that do not fit together.
    #[error("{0}")]
    Usage(String),
}

/// `context "kind" (https://host:6443): reason`; the server alone when flags alone named it.
fn cluster_line(context: &str, server: &str, message: &str) -> String {
    match context {
        "" => format!("{server}: {message}"),
        c => format!("context {c:?} ({server}): {message}"),
    }
}

impl Error {
    pub fn io(path: impl Into<String>, err: &std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            message: describe_io(err),
        }
    }
}

/// `std::io::Error`'s Display adds "(os error 2)"; users want the reason only.
fn describe_io(err: &std::io::Error) -> String {
    use std::io::ErrorKind;
    match err.kind() {
        ErrorKind::NotFound => "no such file or directory".to_owned(),
        ErrorKind::PermissionDenied => "permission denied".to_owned(),
        _ => {
            let text = err.to_string();
            match text.find(" (os error") {
                Some(i) => text[..i].to_owned(),
                None => text,
            }
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
