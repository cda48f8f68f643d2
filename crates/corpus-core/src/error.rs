//! The one error type of `corpus-core`.

use std::path::PathBuf;

/// Everything that can go wrong in `corpus-core`.
///
/// Messages name the file and, where there is one, the line (1-based) or byte
/// offset, so that a front-end can print them as they are.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing a file failed.
    // The message carries the system's reason, so it is not also given as the
    // error's source (an error chain would print it twice).
    #[error("{}: {error}", crate::document::path_text(path))]
    Io {
        /// The file or folder concerned (`-` for standard input/output).
        path: PathBuf,
        /// The underlying error.
        error: std::io::Error,
    },
    /// One input record is bad (malformed JSON, missing text, ...). Under
    /// `on_error = "skip"` it becomes a reject and the run goes on.
    #[error("{}{}: {reason}", crate::document::path_text(path), LineSuffix(*.line))]
    Record {
        /// The input file.
        path: PathBuf,
        /// 1-based line of the record (0 for a whole-file document or an in-memory
        /// record; the message then shows the path alone).
        line: u64,
        /// Byte offset in the (decoded) input of the bad bytes, where they are
        /// what is wrong (invalid UTF-8, bytes invalid in a legacy encoding).
        offset: Option<u64>,
        /// Why it was rejected.
        reason: String,
    },
    /// Input that cannot be read any further (a truncated archive, undecodable bytes).
    #[error("{}: byte {offset}: {reason}", crate::document::path_text(path))]
    Data {
        /// The input file.
        path: PathBuf,
        /// Byte offset in the (decompressed) input where the problem was seen.
        offset: u64,
        /// What is wrong.
        reason: String,
    },
    /// A configuration value is invalid.
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The output folder exists and `overwrite` was not asked for.
    #[error("{0}: output folder exists (use --overwrite to replace it)")]
    OutputExists(PathBuf),
    /// The output path is something `overwrite` must not replace: a file, or a
    /// folder that is not the output of an earlier run (it could hold the inputs).
    #[error("{path}: not replaced: {reason}")]
    OutputNotReplaced {
        /// The output path.
        path: PathBuf,
        /// What it is.
        reason: String,
    },
    /// The job was asked to stop (its progress callback returned
    /// `ControlFlow::Break`): no output was written; a dedup run's checkpoints
    /// are kept, so the same run resumes from them.
    #[error("interrupted: no output was written")]
    Interrupted,
    /// An internal consistency check failed (e.g. the record accounting).
    #[error("internal check failed: {0}")]
    Invariant(String),
}

impl Error {
    /// A bad record at `origin`.
    pub fn record(origin: &crate::Origin, reason: String) -> Self {
        Error::Record {
            path: origin.path.to_path_buf(),
            line: origin.line,
            offset: None,
            reason,
        }
    }

    /// A bad record at `origin` whose bad bytes are at `offset`.
    pub fn record_at(origin: &crate::Origin, offset: u64, reason: String) -> Self {
        Error::Record {
            path: origin.path.to_path_buf(),
            line: origin.line,
            offset: Some(offset),
            reason,
        }
    }

    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, error: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            error,
        }
    }

    /// True for errors that concern one record only and can be skipped.
    pub fn is_record_error(&self) -> bool {
        matches!(self, Error::Record { .. })
    }
}

/// `:line` after a path, or nothing for line 0 (a whole-file document or an
/// in-memory record, whose "path" already says where it is).
struct LineSuffix(u64);

impl std::fmt::Display for LineSuffix {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            0 => Ok(()),
            n => write!(f, ":{n}"),
        }
    }
}

/// `Result` with [`Error`] as the default error type.
pub type Result<T, E = Error> = std::result::Result<T, E>;
