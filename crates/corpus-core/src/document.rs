//! The document model shared by every stage.

use std::borrow::Cow;
use std::fmt;
use std::path::Path;
use std::sync::Arc;

/// Where a record came from: file and 1-based line (0 for a whole-file document).
#[derive(Clone, Debug, Eq)]
pub struct Origin {
    /// The input file (`-` for standard input).
    pub path: Arc<Path>,
    /// 1-based line of a JSONL record; 0 when the whole file is one document.
    pub line: u64,
}

impl PartialEq for Origin {
    fn eq(&self, other: &Self) -> bool {
        // The records of one file share its path: the same allocation is the
        // same path, without comparing it component by component (pass 2
        // compares every record's place).
        self.line == other.line && (Arc::ptr_eq(&self.path, &other.path) || self.path == other.path)
    }
}

impl std::hash::Hash for Origin {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.path.hash(state);
        self.line.hash(state);
    }
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", path_text(&self.path))
        } else {
            write!(f, "{}:{}", path_text(&self.path), self.line)
        }
    }
}

/// A path as text, without loss: a name that is not UTF-8 (a file named in a
/// legacy encoding such as windows-1256) keeps each byte that is not as `\xhh`,
/// so two such files are two ids and a message names the file it means.
/// (`Path::display` makes every such byte U+FFFD.)
pub fn path_text(p: &Path) -> Cow<'_, str> {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        escaped(p.as_os_str().as_bytes())
    }
    #[cfg(not(unix))]
    {
        p.to_string_lossy()
    }
}

/// The id of a text file at `p` (its path without the extension, relative to
/// the folder given): [`path_text`] with `/` for `\`, the same on every system.
pub(crate) fn id_of_path(p: &Path) -> String {
    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        let b = p.as_os_str().as_bytes();
        let slashed: Vec<u8> = b
            .iter()
            .map(|&c| if c == b'\\' { b'/' } else { c })
            .collect();
        escaped(&slashed).into_owned()
    }
    #[cfg(not(unix))]
    {
        p.to_string_lossy().replace('\\', "/")
    }
}

/// `bytes` as text, each byte outside a valid UTF-8 sequence written `\xhh`.
#[cfg(unix)]
fn escaped(bytes: &[u8]) -> Cow<'_, str> {
    use std::fmt::Write;
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(bytes.len() * 2);
    for chunk in bytes.utf8_chunks() {
        out.push_str(chunk.valid());
        for b in chunk.invalid() {
            // Writing to a String cannot fail.
            let _ = write!(out, "\\x{b:02x}");
        }
    }
    Cow::Owned(out)
}

/// Whether a text shows nothing: only whitespace and invisible format
/// characters (zero-width spaces and joiners, direction marks, the soft hyphen,
/// a byte-order mark). Such a text is an empty one, on input and after cleaning.
pub fn is_blank(text: &str) -> bool {
    text.chars().all(|c| {
        c.is_whitespace()
            || matches!(
                c,
                '\u{00AD}'
                    | '\u{061C}'
                    | '\u{180E}'
                    | '\u{200B}'..='\u{200F}'
                    | '\u{202A}'..='\u{202E}'
                    | '\u{2060}'..='\u{2064}'
                    | '\u{2066}'..='\u{2069}'
                    | '\u{FEFF}'
            )
    })
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
