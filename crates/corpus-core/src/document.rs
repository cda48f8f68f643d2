//! The document model shared by every stage.

use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where a record came from: file and 1-based line (0 for a whole-file document).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Origin {
    /// The input file (`-` for standard input).
    pub path: Arc<Path>,
    /// 1-based line of a JSONL record; 0 when the whole file is one document.
    pub line: u64,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.path.display())
        } else {
            write!(f, "{}:{}", self.path.display(), self.line)
        }
    }
}

/// One input document.
#[derive(Clone, Debug)]
pub struct Document {
    /// Unique id: the record's id field, the file's relative path, or `path:line`.
    pub id: String,
    /// The text exactly as read (decoded to UTF-8).
    pub text: String,
    /// Where it came from.
    pub origin: Origin,
    /// The record exactly as read (one JSON object, no trailing newline), kept so
    /// that output is lossless; `None` for plain-text inputs. For a record handed
    /// over as fields in memory, its fields but the text
    /// ([`crate::io::InputConfig::record_from_fields`]).
    pub raw: Option<String>,
}
