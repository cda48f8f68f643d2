use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::document::{Document, Origin};
use crate::{Error, Result};

/// How input records are read.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct InputConfig {
    /// JSON field holding the document id (default `id`).
    pub id_field: String,
    /// JSON field holding the text (default `text`).
    pub text_field: String,
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            id_field: "id".into(),
            text_field: "text".into(),
        }
    }
}

/// The kind of one input file.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InputKind {
    /// A plain-text file: one document.
    Text,
    /// JSON Lines, one record per line.
    Jsonl,
}

/// One input file, found by [`list_inputs`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InputFile {
    /// Path to read (`-` for standard input).
    pub path: PathBuf,
    /// What it holds.
    pub kind: InputKind,
    /// For a text file inside a given folder: its id (relative path, no extension).
    pub text_id: Option<String>,
}

/// Expands the user's inputs into files, in a deterministic order: folders are
/// walked recursively and their `.txt` files sorted by relative path.
///
/// # Errors
/// [`Error::Io`] if a path does not exist or a folder cannot be read.
pub fn list_inputs(inputs: &[PathBuf]) -> Result<Vec<InputFile>> {
    let mut files = Vec::new();
    for input in inputs {
        if input.as_os_str() == "-" {
            files.push(InputFile {
                path: input.clone(),
                kind: InputKind::Jsonl,
                text_id: None,
            });
            continue;
        }
        let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            walk(input, &mut found)?;
            found.sort();
            for path in found {
                let rel = path.strip_prefix(input).unwrap_or(&path).with_extension("");
                let id = rel.to_string_lossy().replace('\\', "/");
                files.push(InputFile {
                    path,
                    kind: InputKind::Text,
                    text_id: Some(id),
                });
            }
        } else {
            let kind = if is_text_name(input) {
                InputKind::Text
            } else {
                InputKind::Jsonl
            };
            let text_id = (kind == InputKind::Text).then(|| {
                input
                    .with_extension("")
                    .to_string_lossy()
                    .replace('\\', "/")
            });
            files.push(InputFile {
                path: input.clone(),
                kind,
                text_id,
            });
        }
    }
    Ok(files)
}

fn is_text_name(p: &Path) -> bool {
    p.extension().is_some_and(|e| e == "txt")
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
    for entry in entries {
        let entry = entry.map_err(|e| Error::io(dir, e))?;
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
        if ft.is_dir() {
            walk(&path, out)?;
        } else if is_text_name(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// Opens a file (or stdin for `-`), decompressing by extension.
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened.
pub(crate) fn open_decoded(path: &Path) -> Result<Box<dyn BufRead + Send>> {
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        Box::new(File::open(path).map_err(|e| Error::io(path, e))?)
    };
    let name = path.to_string_lossy();
    let dec: Box<dyn Read + Send> = if name.ends_with(".gz") {
        Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(raw)))
    } else if name.ends_with(".zst") {
        Box::new(zstd::stream::read::Decoder::new(raw).map_err(|e| Error::io(path, e))?)
    } else if name.ends_with(".bz2") {
        Box::new(bzip2::read::MultiBzDecoder::new(BufReader::new(raw)))
    } else {
        raw
    };
    Ok(Box::new(BufReader::with_capacity(1 << 20, dec)))
}

/// Streams documents out of a list of input files, in order.
pub struct Reader {
    files: std::vec::IntoIter<InputFile>,
    cfg: InputConfig,
    current: Option<(Arc<Path>, Box<dyn BufRead + Send>)>,
    line_no: u64,
    offset: u64,
    buf: Vec<u8>,
}

impl Reader {
    /// A reader over `files` (see [`list_inputs`]).
    pub fn new(files: Vec<InputFile>, cfg: InputConfig) -> Self {
        Reader {
            files: files.into_iter(),
            cfg,
            current: None,
            line_no: 0,
            offset: 0,
            buf: Vec::new(),
        }
    }

    fn read_text_file(&self, f: &InputFile) -> Result<Document> {
        let path: Arc<Path> = Arc::from(f.path.as_path());
        let mut bytes = Vec::new();
        open_decoded(&f.path)?
            .read_to_end(&mut bytes)
            .map_err(|e| Error::io(&f.path, e))?;
        let text = decode_utf8(&path, bytes, 0)?;
        let text = text
            .strip_prefix('\u{FEFF}')
            .map(str::to_owned)
            .unwrap_or(text);
        let id = f
            .text_id
            .clone()
            .unwrap_or_else(|| f.path.display().to_string());
        Ok(Document {
            id,
            text,
            origin: Origin { path, line: 0 },
            raw: None,
        })
    }

    fn parse_line(&self, path: &Arc<Path>, line: &str) -> Result<Document> {
        let origin = Origin {
            path: path.clone(),
            line: self.line_no,
        };
        self.cfg.parse_record(line, origin, || {
            format!("{}:{}", path.display(), self.line_no)
        })
    }
}

impl InputConfig {
    /// Parses one JSON record (one line of a JSON Lines file, or a record handed
    /// over in memory) into a [`Document`]: the text field must be a string, the id
    /// field a string or a number; without an id the document gets `default_id()`.
    /// `raw` keeps `json` as it is.
    ///
    /// # Errors
    /// [`Error::Record`] at `origin` for malformed JSON, a record that is not an
    /// object, or a missing or mistyped text or id field.
    pub fn parse_record(
        &self,
        json: &str,
        origin: Origin,
        default_id: impl FnOnce() -> String,
    ) -> Result<Document> {
        let record_err = |reason: String| Error::Record {
            path: origin.path.to_path_buf(),
            line: origin.line,
            reason,
        };
        let value: Value =
            serde_json::from_str(json).map_err(|e| record_err(format!("malformed JSON: {e}")))?;
        let Value::Object(map) = &value else {
            return Err(record_err("record is not a JSON object".into()));
        };
        let text = match map.get(&self.text_field) {
            Some(Value::String(s)) => s.clone(),
            Some(other) => {
                return Err(record_err(format!(
                    "field {:?} is {}, not a string",
                    self.text_field,
                    json_type(other)
                )));
            }
            None => {
                return Err(record_err(format!("missing field {:?}", self.text_field)));
            }
        };
        let id = match map.get(&self.id_field) {
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(Value::Null) | None => default_id(),
            Some(other) => {
                return Err(record_err(format!(
                    "field {:?} is {}, not a string or number",
                    self.id_field,
                    json_type(other)
                )));
            }
        };
        Ok(Document {
            id,
            text,
            origin,
            raw: Some(json.to_owned()),
        })
    }
}

fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn decode_utf8(path: &Path, bytes: Vec<u8>, base: u64) -> Result<String> {
    String::from_utf8(bytes).map_err(|e| Error::Data {
        path: path.to_path_buf(),
        offset: base + e.utf8_error().valid_up_to() as u64,
        reason: "invalid UTF-8".into(),
    })
}

impl Iterator for Reader {
    type Item = Result<Document>;

    fn next(&mut self) -> Option<Self::Item> {
        loop {
            if self.current.is_none() {
                let f = self.files.next()?;
                if f.kind == InputKind::Text {
                    return Some(self.read_text_file(&f));
                }
                match open_decoded(&f.path) {
                    Ok(r) => self.current = Some((Arc::from(f.path.as_path()), r)),
                    Err(e) => return Some(Err(e)),
                }
                self.line_no = 0;
                self.offset = 0;
            }
            let (path, rd) = self.current.as_mut()?;
            let path = path.clone();
            self.buf.clear();
            let n = match rd.read_until(b'\n', &mut self.buf) {
                Ok(n) => n,
                Err(e) => {
                    self.current = None;
                    return Some(Err(Error::Data {
                        path: path.to_path_buf(),
                        offset: self.offset,
                        reason: format!("cannot read further: {e}"),
                    }));
                }
            };
            if n == 0 {
                self.current = None;
                continue;
            }
            self.line_no += 1;
            let start = self.offset;
            self.offset += n as u64;
            let mut line = std::mem::take(&mut self.buf);
            while line.last().is_some_and(|&b| b == b'\n' || b == b'\r') {
                line.pop();
            }
            if self.line_no == 1 && line.starts_with(b"\xEF\xBB\xBF") {
                line.drain(..3);
            }
            if line.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            let text = match String::from_utf8(line) {
                Ok(t) => t,
                Err(e) => {
                    return Some(Err(Error::Record {
                        path: path.to_path_buf(),
                        line: self.line_no,
                        reason: format!(
                            "invalid UTF-8 at byte {}",
                            start + e.utf8_error().valid_up_to() as u64
                        ),
                    }));
                }
            };
            return Some(self.parse_line(&path, &text));
        }
    }
}
