use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::decode::{
    DecodeReport, Decoded, Detection, InvalidBytes, Requested, SharedDamage, decode_stream, lock,
    read_whole,
};
use super::write::{Tallied, Tally};
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
    /// Character encoding of the inputs: `utf-8` (default), `auto` (detect per
    /// file with chardetng) or any WHATWG label (`windows-1256`, `iso-8859-6`,
    /// `utf-16le`, ...). A byte-order mark always wins.
    pub encoding: String,
    /// Bytes invalid in that encoding: `error` (default: reject the record with
    /// the byte offset) or `replace` (U+FFFD, counted in the summary).
    pub invalid_bytes: InvalidBytes,
    /// Largest text accepted, in UTF-8 bytes; no limit when unset (default). A
    /// number, or a string with a unit (`"1M"`, see [`crate::config::parse_bytes`]).
    #[serde(deserialize_with = "crate::config::byte_count")]
    pub max_doc_bytes: Option<u64>,
    /// What to do with a longer text: `reject` (default) or `truncate` it at a
    /// character boundary.
    pub oversize: Oversize,
}

/// What to do with a document over [`InputConfig::max_doc_bytes`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Oversize {
    /// Reject the record (default).
    #[default]
    Reject,
    /// Keep the first `max_doc_bytes` bytes of the text (at a character boundary).
    Truncate,
}

impl InputConfig {
    /// Checks the values.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown encoding label, empty field names or a
    /// zero `max_doc_bytes`.
    pub fn validate(&self) -> Result<()> {
        Requested::parse(&self.encoding)?;
        if self.id_field.is_empty() || self.text_field.is_empty() {
            return Err(Error::Config(
                "id_field and text_field must not be empty".into(),
            ));
        }
        if self.max_doc_bytes == Some(0) {
            return Err(Error::Config("max_doc_bytes must be at least 1".into()));
        }
        Ok(())
    }
}

impl Default for InputConfig {
    fn default() -> Self {
        InputConfig {
            id_field: "id".into(),
            text_field: "text".into(),
            encoding: "utf-8".into(),
            invalid_bytes: InvalidBytes::Error,
            max_doc_bytes: None,
            oversize: Oversize::Reject,
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
    /// Parquet, one record per row (needs the `parquet` feature).
    Parquet,
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
    /// For standard input: the copy of it that is read (in the output folder, so
    /// that it can be read more than once). Records are still named by `path`.
    pub spill: Option<PathBuf>,
}

impl InputFile {
    /// Where this input's bytes are read from: its spill, else its path.
    pub fn bytes_path(&self) -> &Path {
        self.spill.as_deref().unwrap_or(&self.path)
    }
}

/// Expands the user's inputs into files, in a deterministic order: folders are
/// walked recursively and the files they hold that ghirbal reads (`.txt`
/// documents; `.jsonl` records, also `.gz`/`.zst`/`.bz2`; `.parquet`) are
/// sorted by relative path. Other files in a folder, hidden files and folders,
/// the run's own `output` folder (an earlier run's, under `--overwrite`) and
/// any other earlier run's output folder are not inputs.
///
/// Each file is read once, however many ways lead to it (see
/// [`PassedOver::SameFile`]), at the place of the input it is read under.
///
/// # Errors
/// [`Error::Io`] if a path does not exist or a folder cannot be read;
/// [`Error::Config`] if no file is found, or standard input is given twice.
pub fn list_inputs(inputs: &[PathBuf], output: Option<&Path>) -> Result<Vec<InputFile>> {
    list_inputs_noting(inputs, output).map(|(files, _)| files)
}

/// What the inputs hold that is passed over, and why (for a note).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum PassedOver {
    /// A file whose name looks like data but is not read: a `.jsonl`, `.json`,
    /// `.ndjson`, `.txt`, `.csv` or `.parquet` name, whatever follows it
    /// (`x.jsonl.xz`, `a.txt.gz`).
    DataName(PathBuf),
    /// An earlier run's output folder.
    EarlierOutput(PathBuf),
    /// An input name that is no regular file: a named pipe, a socket or a
    /// device (reading one could wait forever), or a link to nothing.
    NotAFile(PathBuf),
    /// A second way to a file also read: a symbolic or hard link to it, the
    /// file given by name beside a folder that holds it (or a link to it), the
    /// file given twice. It is read once, under one of its paths whatever the
    /// order of the inputs: one that is no symbolic link, else any; then the
    /// first in path order; then as found in a folder rather than given by
    /// name (so that naming a file of a folder also given changes nothing);
    /// then as found in the outermost folder.
    SameFile {
        /// The path passed over (`read_as` itself when one path is reached
        /// twice: given twice, or given and found in a folder).
        path: PathBuf,
        /// The path it is read under.
        read_as: PathBuf,
    },
}

/// Which file a path leads to: two ways to one file must be told from two
/// files (read twice, each record would be a duplicate id of itself).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
enum FileKey {
    /// Its device and inode, on Unix: hard links are one file too.
    #[cfg(unix)]
    Inode(u64, u64),
    /// Its canonical path: elsewhere, or when the file cannot be examined.
    Path(PathBuf),
}

/// The [`FileKey`] of a file given its metadata (following links), or else
/// its real path (`real`, called only when needed).
fn file_key(meta: Option<&std::fs::Metadata>, real: impl FnOnce() -> PathBuf) -> FileKey {
    #[cfg(unix)]
    if let Some(meta) = meta {
        use std::os::unix::fs::MetadataExt;
        return FileKey::Inode(meta.dev(), meta.ino());
    }
    #[cfg(not(unix))]
    let _ = meta;
    FileKey::Path(real())
}

/// One way to a file: a path given by name, or found in a folder given.
struct Way {
    /// The input it comes from (its index).
    input: usize,
    /// Components of a folder input's path (0 for a file given by name): of
    /// two folders reaching a file by one path, the outer one reads it.
    depth: usize,
    path: PathBuf,
    kind: InputKind,
    text_id: Option<String>,
    key: FileKey,
    /// The path is a symbolic link.
    link: bool,
    /// Given by name rather than found in a folder.
    named: bool,
}

impl Way {
    /// Which of the ways to one file reads it (the least): nothing here
    /// depends on the order of the inputs but the last resort, between ways
    /// that read the file alike.
    fn rank(&self) -> (bool, &Path, bool, usize, usize) {
        (self.link, &self.path, self.named, self.depth, self.input)
    }
}

/// [`list_inputs`], and what the folders hold that looks like data but is not
/// read, or leads to a file read under another path, for a note. The notes
/// are in a fixed order (by kind, then path), not the inputs'.
///
/// # Errors
/// As [`list_inputs`].
pub fn list_inputs_noting(
    inputs: &[PathBuf],
    output: Option<&Path>,
) -> Result<(Vec<InputFile>, Vec<PassedOver>)> {
    let mut passed = Vec::new();
    let output = output.and_then(|o| std::fs::canonicalize(o).ok());
    let mut ways: Vec<Way> = Vec::new();
    let mut stdin = None;
    for (i, input) in inputs.iter().enumerate() {
        if input.as_os_str() == "-" {
            if stdin.is_some() {
                // A second read of the stream would find it empty.
                return Err(Error::Config(
                    "standard input (-) can be given only once".into(),
                ));
            }
            stdin = Some(i);
            continue;
        }
        let meta = std::fs::metadata(input).map_err(|e| Error::io(input, e))?;
        if meta.is_dir() {
            let mut found = Vec::new();
            // Each input is walked on its own (a fresh `seen`), so that what
            // it reaches does not depend on the inputs before it.
            walk(
                input,
                output.as_deref(),
                &mut Default::default(),
                &mut found,
                &mut passed,
            )?;
            let depth = input.components().count();
            for (path, kind, key, link) in found {
                let text_id = (kind == InputKind::Text).then(|| {
                    let rel = path.strip_prefix(input).unwrap_or(&path).with_extension("");
                    crate::document::id_of_path(&rel)
                });
                ways.push(Way {
                    input: i,
                    depth,
                    path,
                    kind,
                    text_id,
                    key,
                    link,
                    named: false,
                });
            }
        } else {
            // A file given by name is read whatever its name: other names are
            // JSON Lines (`.ndjson`, standard input's spilled copy).
            let kind = kind_of(input).unwrap_or(InputKind::Jsonl);
            let text_id = (kind == InputKind::Text)
                .then(|| crate::document::id_of_path(&input.with_extension("")));
            let key = file_key(Some(&meta), || {
                std::fs::canonicalize(input).unwrap_or_else(|_| input.clone())
            });
            ways.push(Way {
                input: i,
                depth: 0,
                path: input.clone(),
                kind,
                text_id,
                key,
                link: std::fs::symlink_metadata(input).is_ok_and(|m| m.is_symlink()),
                named: true,
            });
        }
    }
    // A file reached twice would be all duplicate ids, reported against itself:
    // it is read once, by the way that ranks first.
    let mut best: std::collections::HashMap<&FileKey, usize> = Default::default();
    for (w, way) in ways.iter().enumerate() {
        best.entry(&way.key)
            .and_modify(|b| {
                if way.rank() < ways[*b].rank() {
                    *b = w;
                }
            })
            .or_insert(w);
    }
    let read_by: Vec<usize> = ways.iter().map(|way| best[&way.key]).collect();
    for (w, way) in ways.iter().enumerate() {
        let b = read_by[w];
        if b != w {
            passed.push(PassedOver::SameFile {
                path: way.path.clone(),
                read_as: ways[b].path.clone(),
            });
        }
    }
    let mut files: Vec<(usize, InputFile)> = Vec::with_capacity(ways.len() + 1);
    for (w, way) in ways.into_iter().enumerate() {
        if read_by[w] == w {
            files.push((
                way.input,
                InputFile {
                    path: way.path,
                    kind: way.kind,
                    text_id: way.text_id,
                    spill: None,
                },
            ));
        }
    }
    if let Some(i) = stdin {
        files.push((
            i,
            InputFile {
                path: PathBuf::from("-"),
                kind: InputKind::Jsonl,
                text_id: None,
                spill: None,
            },
        ));
    }
    // In the order of the inputs, a folder's files in path order.
    files.sort_by(|a, b| (a.0, &a.1.path).cmp(&(b.0, &b.1.path)));
    // A folder given twice (or inside another) is walked twice: one note each.
    passed.sort();
    passed.dedup();
    if files.is_empty() {
        let given: Vec<String> = inputs.iter().map(|p| p.display().to_string()).collect();
        let records: Vec<String> = CODECS.iter().map(|(s, _)| format!(".jsonl{s}")).collect();
        return Err(Error::Config(format!(
            "no input files found in {} (a folder's .txt, .jsonl, {} and .parquet files are read)",
            given.join(", "),
            records.join(", ")
        )));
    }
    Ok((files.into_iter().map(|(_, f)| f).collect(), passed))
}

/// Whether a file name that is not read looks like data all the same.
fn looks_like_data(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    name.split('.').skip(1).any(|ext| {
        matches!(
            ext,
            "jsonl" | "json" | "ndjson" | "txt" | "csv" | "tsv" | "parquet"
        )
    })
}

/// What a file holds, from its name, for the names ghirbal reads: `.txt` one
/// document, `.parquet` a table, `.jsonl` JSON Lines, also compressed (see
/// [`open_decompressed`]).
fn kind_of(p: &Path) -> Option<InputKind> {
    // `NEWS.TXT` and `dump.JSONL.GZ` too.
    let name = p.file_name()?.to_string_lossy().to_ascii_lowercase();
    let plain = codec_of(&name).map_or(&*name, |(suffix, _)| &name[..name.len() - suffix.len()]);
    if name.ends_with(".txt") {
        Some(InputKind::Text)
    } else if name.ends_with(".parquet") {
        Some(InputKind::Parquet)
    } else if plain.ends_with(".jsonl") {
        Some(InputKind::Jsonl)
    } else {
        None
    }
}

/// A compression a record file may carry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Codec {
    /// gzip, multi-member.
    Gzip,
    /// zstd, multi-frame.
    Zstd,
    /// bzip2, multi-stream.
    Bzip2,
}

/// The compressions read, by file-name suffix: the one list both the folder walk
/// and [`open_decompressed`] follow.
const CODECS: [(&str, Codec); 3] = [
    (".gz", Codec::Gzip),
    (".zst", Codec::Zstd),
    (".bz2", Codec::Bzip2),
];

/// The compression a file name says, with its suffix.
fn codec_of(name: &str) -> Option<(&'static str, Codec)> {
    CODECS.iter().copied().find(|(suffix, _)| {
        name.len() >= suffix.len()
            && name.is_char_boundary(name.len() - suffix.len())
            && name[name.len() - suffix.len()..].eq_ignore_ascii_case(suffix)
    })
}

/// A name starting with a dot.
fn hidden_name(entry: &std::fs::DirEntry) -> bool {
    entry.file_name().to_string_lossy().starts_with('.')
}

/// A file a folder walk found: its path, kind, which file it is, and whether
/// the path is a link.
type Found = (PathBuf, InputKind, FileKey, bool);

/// The input files under `dir` with their kinds (hidden ones, and the folder
/// `skip`, passed over). Symbolic links to folders are followed, each folder
/// walked once (`seen`: their canonical paths), so a link back up ends there.
fn walk(
    dir: &Path,
    skip: Option<&Path>,
    seen: &mut std::collections::HashSet<PathBuf>,
    out: &mut Vec<Found>,
    passed: &mut Vec<PassedOver>,
) -> Result<()> {
    let real_dir = std::fs::canonicalize(dir).ok();
    if let Some(real) = &real_dir
        && !seen.insert(real.clone())
    {
        return Ok(());
    }
    let mut entries = std::fs::read_dir(dir)
        .and_then(|d| d.collect::<std::io::Result<Vec<_>>>())
        .map_err(|e| Error::io(dir, e))?;
    // In name order, so that of two links to one folder the same one is followed.
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        let ft = entry.file_type().map_err(|e| Error::io(&path, e))?;
        let is_dir = ft.is_dir() || (ft.is_symlink() && path.is_dir());
        if is_dir {
            let hidden = hidden_name(&entry);
            let ours = skip.is_some_and(|s| std::fs::canonicalize(&path).is_ok_and(|p| p == s));
            if hidden || ours {
                continue;
            }
            // Another run's output (`in/out`, from `ghirbal dedup in -o in/out`)
            // is not input: its records are the inputs' again.
            if super::write::is_earlier_output(&path) {
                passed.push(PassedOver::EarlierOutput(path));
            } else {
                walk(&path, skip, seen, out, passed)?;
            }
        } else if !hidden_name(&entry) {
            match kind_of(&path) {
                Some(kind) => {
                    // Only regular files: a named pipe would hang the run, and a
                    // link to nothing cannot be read.
                    let (regular, meta) = if ft.is_symlink() {
                        let meta = std::fs::metadata(&path).ok();
                        (meta.as_ref().is_some_and(|m| m.is_file()), meta)
                    } else {
                        // Only where the key is the inode is a file examined.
                        (
                            ft.is_file(),
                            cfg!(unix).then(|| entry.metadata().ok()).flatten(),
                        )
                    };
                    if !regular {
                        passed.push(PassedOver::NotAFile(path));
                        continue;
                    }
                    let key = file_key(meta.as_ref(), || {
                        let real = if ft.is_symlink() {
                            std::fs::canonicalize(&path).ok()
                        } else {
                            real_dir.as_ref().map(|d| d.join(entry.file_name()))
                        };
                        real.unwrap_or_else(|| path.clone())
                    });
                    out.push((path, kind, key, ft.is_symlink()));
                }
                None if looks_like_data(&entry.file_name().to_string_lossy()) => {
                    passed.push(PassedOver::DataName(path));
                }
                None => {}
            }
        }
    }
    Ok(())
}

/// The read buffer of an input file (or stream), and the least one given to a
/// small file.
const BUF_CAPACITY: usize = 1 << 20;
const MIN_BUF_CAPACITY: usize = 8 << 10;

/// Opens a file (or stdin for `-`), decompressing by extension (`.gz`
/// multi-member, `.zst` multi-frame, `.bz2` multi-stream).
///
/// # Errors
/// [`Error::Io`] if the file cannot be opened.
pub(crate) fn open_decompressed(
    path: &Path,
    tally: Option<Arc<Mutex<Tally>>>,
) -> Result<Box<dyn BufRead + Send>> {
    let codec = codec_of(&path.to_string_lossy()).map(|(_, c)| c);
    let mut capacity = BUF_CAPACITY;
    let raw: Box<dyn Read + Send> = if path.as_os_str() == "-" {
        Box::new(io::stdin())
    } else {
        let file = File::open(path).map_err(|e| Error::io(path, e))?;
        // A buffer is zeroed on first use: a folder of one-article files spent a
        // third of its time clearing 1 MiB per file. A plain file needs no more
        // than its size (plus the read that finds its end).
        if let (None, Ok(meta)) = (codec, file.metadata()) {
            let len = usize::try_from(meta.len()).unwrap_or(usize::MAX);
            capacity = len.saturating_add(1).clamp(MIN_BUF_CAPACITY, BUF_CAPACITY);
        }
        match tally {
            Some(tally) => Box::new(Tallied { inner: file, tally }),
            None => Box::new(file),
        }
    };
    let dec = decoder(raw, codec, path)?;
    Ok(Box::new(BufReader::with_capacity(capacity, dec)))
}

/// `f` opened for reading its records' bytes where pass 1 found them (see
/// [`RawLine::offset`]), when those offsets are the file's own: a JSON Lines
/// file read as it is, neither compressed nor transcoded (UTF-8 requested, no
/// other encoding's byte-order mark to override it, invalid bytes rejected), and not
/// standard input. Only on Unix, whose files read at an offset without a seek.
pub(crate) fn open_positional(f: &InputFile, cfg: &InputConfig) -> Option<File> {
    if !cfg!(unix) {
        return None;
    }
    let utf8 = matches!(
        Requested::parse(&cfg.encoding),
        Ok(Requested::Given(e)) if e == encoding_rs::UTF_8
    );
    if f.kind != InputKind::Jsonl
        || f.spill.is_some()
        || f.path.as_os_str() == "-"
        || codec_of(&f.path.to_string_lossy()).is_some()
        || !utf8
        || cfg.invalid_bytes != InvalidBytes::Error
    {
        return None;
    }
    // A byte-order mark decides the encoding as the reader's decoder sees it
    // (`Encoding::for_bom`): only UTF-8's (whose 3 bytes the reader counts) or none.
    let mut file = File::open(&f.path).ok()?;
    let mut head = [0u8; 3];
    let n = file.read(&mut head).ok()?;
    match encoding_rs::Encoding::for_bom(&head[..n]) {
        Some((e, _)) if e != encoding_rs::UTF_8 => None,
        _ => Some(file),
    }
}

/// `raw` read through the decoder of `codec`.
fn decoder(
    raw: Box<dyn Read + Send>,
    codec: Option<Codec>,
    path: &Path,
) -> Result<Box<dyn Read + Send>> {
    Ok(match codec {
        Some(Codec::Gzip) => Box::new(flate2::read::MultiGzDecoder::new(BufReader::new(raw))),
        Some(Codec::Zstd) => {
            Box::new(zstd::stream::read::Decoder::new(raw).map_err(|e| Error::io(path, e))?)
        }
        Some(Codec::Bzip2) => Box::new(bzip2::read::MultiBzDecoder::new(BufReader::new(raw))),
        None => raw,
    })
}

/// The compression whose header opens `head`, with its file suffix: for a stream
/// without a name to tell it by (standard input).
pub(crate) fn codec_suffix_of_head(head: &[u8]) -> Option<&'static str> {
    let codec = match head {
        [0x1F, 0x8B, ..] => Codec::Gzip,
        [0x28, 0xB5, 0x2F, 0xFD, ..] => Codec::Zstd,
        [b'B', b'Z', b'h', ..] => Codec::Bzip2,
        _ => return None,
    };
    CODECS.iter().find(|(_, c)| *c == codec).map(|(s, _)| *s)
}

/// Standard input, decompressed when it opens with a gzip, zstd or bzip2 header.
///
/// # Errors
/// [`Error::Io`] if it cannot be read.
pub fn stdin_decompressed() -> Result<Box<dyn BufRead + Send>> {
    let mut stdin = BufReader::with_capacity(BUF_CAPACITY, io::stdin());
    let head = stdin.fill_buf().map_err(|e| Error::io("-", e))?;
    let codec = codec_suffix_of_head(head)
        .and_then(codec_of)
        .map(|(_, c)| c);
    let dec = decoder(Box::new(stdin), codec, Path::new("-"))?;
    Ok(Box::new(BufReader::with_capacity(BUF_CAPACITY, dec)))
}

/// One JSONL file being read.
struct Current {
    /// The input's name in records and reports.
    path: Arc<Path>,
    /// Where its bytes are read from ([`InputFile::bytes_path`]).
    bytes: PathBuf,
    rd: Box<dyn BufRead + Send>,
    damage: Option<SharedDamage>,
    report: DecodeReport,
    /// The file's fingerprint so far, when the reader takes them.
    tally: Option<Arc<Mutex<Tally>>>,
}

/// Streams documents out of a list of input files, in order.
///
/// Every record comes out as `Ok(Document)` or as an error naming its place:
/// [`Error::Record`] (`file:line`, one bad record; reading goes on) or
/// [`Error::Data`] (`file: byte N`, the rest of that file is unreadable, e.g. a
/// truncated archive; reading goes on with the next file). Blank lines are not
/// records and are skipped.
pub struct Reader {
    files: std::vec::IntoIter<InputFile>,
    cfg: InputConfig,
    requested: Option<Requested>,
    current: Option<Current>,
    line_no: u64,
    offset: u64,
    buf: Vec<u8>,
    reports: Vec<DecodeReport>,
    /// Fingerprints of the JSON Lines and text files read to their end, by
    /// path, when asked for ([`Reader::fingerprinting`]).
    fingerprints: Option<std::collections::HashMap<Arc<Path>, String>>,
    #[cfg(feature = "parquet")]
    parquet: Option<(Arc<Path>, super::parquet::ParquetRows, DecodeReport)>,
    /// The only columns a Parquet row's `raw` needs ([`Reader::raw_fields`]).
    #[cfg(feature = "parquet")]
    raw_fields: Option<Vec<String>>,
    /// The only rows of each Parquet file to read ([`Reader::parquet_rows`]).
    #[cfg(feature = "parquet")]
    only_rows: Option<std::collections::HashMap<PathBuf, Vec<u64>>>,
}

impl Reader {
    /// A reader over `files` (see [`list_inputs`]).
    pub fn new(files: Vec<InputFile>, cfg: InputConfig) -> Self {
        Reader {
            files: files.into_iter(),
            requested: Requested::parse(&cfg.encoding).ok(),
            cfg,
            current: None,
            line_no: 0,
            offset: 0,
            buf: Vec::new(),
            reports: Vec::new(),
            fingerprints: None,
            #[cfg(feature = "parquet")]
            parquet: None,
            #[cfg(feature = "parquet")]
            raw_fields: None,
            #[cfg(feature = "parquet")]
            only_rows: None,
        }
    }

    /// Reads only the given rows (1-based, ascending) of the Parquet files,
    /// by path (none of a file the map does not name), as the same documents
    /// a whole read gives them: for a few records wanted again (the audit's
    /// sample), without decoding every page of the file.
    #[cfg(feature = "parquet")]
    #[must_use]
    pub(crate) fn parquet_rows(self, rows: std::collections::HashMap<PathBuf, Vec<u64>>) -> Self {
        Reader {
            only_rows: Some(rows),
            ..self
        }
    }

    /// A Parquet row's `raw` (the JSON object of its columns) holds only the
    /// columns named here: for a pass that reads no other field of the record
    /// (ranks and groups) and writes no record back, this saves writing every
    /// row, text included, as JSON. JSON Lines records keep their line, which
    /// costs nothing.
    #[must_use]
    pub fn raw_fields(self, fields: &[&str]) -> Self {
        #[cfg(feature = "parquet")]
        return Reader {
            raw_fields: Some(fields.iter().map(|f| (*f).to_owned()).collect()),
            ..self
        };
        #[cfg(not(feature = "parquet"))]
        {
            let _ = fields;
            self
        }
    }

    /// Also fingerprints each JSON Lines and text file (as [`fingerprint_file`])
    /// from the bytes read, so that a job needs no extra pass over its inputs for
    /// them.
    ///
    /// [`fingerprint_file`]: crate::io::fingerprint_file
    #[must_use]
    pub fn fingerprinting(mut self) -> Self {
        self.fingerprints = Some(Default::default());
        self
    }

    /// The fingerprint of `path` if it was taken while reading it to its end
    /// (see [`Reader::fingerprinting`]); other inputs (Parquet, a file that
    /// could not be read again) have none.
    pub fn fingerprint(&self, path: &Path) -> Option<&str> {
        self.fingerprints.as_ref()?.get(path).map(String::as_str)
    }

    /// A reader over JSON Lines held in memory (named `path` in errors), decoded
    /// and checked exactly like a file.
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown encoding label.
    pub fn from_jsonl_bytes(path: &Path, bytes: Vec<u8>, cfg: InputConfig) -> Result<Self> {
        let mut r = Reader::new(Vec::new(), cfg);
        let requested = Requested::parse(&r.cfg.encoding)?;
        let d = decode_stream(
            Box::new(std::io::Cursor::new(bytes)),
            requested,
            r.cfg.invalid_bytes,
        )?;
        r.start(path, d);
        Ok(r)
    }

    /// Encoding facts of every file read to its end so far (all files once the
    /// reader is exhausted), in input order.
    pub fn reports(&self) -> &[DecodeReport] {
        &self.reports
    }

    fn decoded(&self, path: &Path, tally: Option<Arc<Mutex<Tally>>>) -> Result<Decoded> {
        let requested = self
            .requested
            .ok_or_else(|| Error::Config(format!("unknown encoding {:?}", self.cfg.encoding)))?;
        decode_stream(
            open_decompressed(path, tally)?,
            requested,
            self.cfg.invalid_bytes,
        )
    }

    fn report(path: &Path, d: &Decoded) -> DecodeReport {
        DecodeReport {
            path: path.display().to_string(),
            encoding: d.encoding.name().to_owned(),
            detection: d.detection,
            confidence: match (d.detection, d.confident) {
                (Detection::Detected, true) => "high",
                (Detection::Detected, false) => "low",
                _ => "certain",
            }
            .to_owned(),
            replaced: 0,
            truncated: 0,
        }
    }

    fn read_text_file(&mut self, f: &InputFile) -> Result<Document> {
        let path: Arc<Path> = Arc::from(f.path.as_path());
        let tally = self
            .fingerprints
            .is_some()
            .then(|| Arc::new(Mutex::new(Tally::default())));
        let d = self.decoded(f.bytes_path(), tally.clone())?;
        let mut report = Self::report(&f.path, &d);
        let result = read_whole(d, &f.path);
        // The file was read whole: its fingerprint comes with it.
        let tally = tally.and_then(|t| Arc::try_unwrap(t).ok());
        if let (Some(t), Some(fps)) = (tally, &mut self.fingerprints) {
            let t = t.into_inner().unwrap_or_else(PoisonError::into_inner);
            if let Ok(fp) = t.finish(f.bytes_path()) {
                fps.insert(path.clone(), fp);
            }
        }
        let (mut text, replaced) = match result {
            Ok(t) => t,
            Err(e) => {
                self.reports.push(report);
                return Err(e);
            }
        };
        report.replaced = replaced;
        let record_err = |reason: String| Error::Record {
            path: f.path.clone(),
            line: 0,
            offset: None,
            reason,
        };
        let checked = self.cfg.check_size(&mut text);
        if checked == Ok(true) {
            report.truncated += 1;
        }
        self.reports.push(report);
        checked.map_err(record_err)?;
        if crate::document::is_blank(&text) {
            return Err(record_err("empty text".into()));
        }
        let id = f
            .text_id
            .clone()
            .unwrap_or_else(|| crate::document::path_text(&f.path).into_owned());
        Ok(Document {
            id,
            text,
            origin: Origin { path, line: 0 },
            raw: None,
        })
    }

    /// The next row of the open Parquet file, as a document or a located error;
    /// `None` when that file is done.
    #[cfg(feature = "parquet")]
    fn next_parquet_row(&mut self) -> Option<Result<Document>> {
        let (path, rows, report) = self.parquet.as_mut()?;
        let path = path.clone();
        let row = match rows.next() {
            None => {
                if let Some((_, _, report)) = self.parquet.take() {
                    self.reports.push(report);
                }
                return None;
            }
            Some(Err(e)) => {
                if let Some((_, _, report)) = self.parquet.take() {
                    self.reports.push(report);
                }
                return Some(Err(e));
            }
            Some(Ok(row)) => row,
        };
        let mut report = std::mem::replace(report, Self::blank_report());
        let record_err = |reason: String| Error::Record {
            path: path.to_path_buf(),
            line: row.line,
            offset: None,
            reason,
        };
        let result = (|| {
            let mut text = row.text.map_err(record_err)?;
            let truncated = self.cfg.check_size(&mut text).map_err(record_err)?;
            if truncated {
                report.truncated += 1;
            }
            if crate::document::is_blank(&text) {
                return Err(record_err("empty text".into()));
            }
            if row.id.as_deref() == Some("") {
                return Err(record_err(empty_id(&self.cfg.id_field)));
            }
            let raw = if truncated {
                let mut map: serde_json::Map<String, Value> =
                    serde_json::from_str(&row.raw).unwrap_or_default();
                map.insert(self.cfg.text_field.clone(), Value::String(text.clone()));
                Value::Object(map).to_string()
            } else {
                row.raw
            };
            Ok(Document {
                id: row.id.unwrap_or_else(|| {
                    format!("{}:{}", crate::document::path_text(&path), row.line)
                }),
                text,
                origin: Origin {
                    path: path.clone(),
                    line: row.line,
                },
                raw: Some(raw),
            })
        })();
        if let Some((_, _, r)) = self.parquet.as_mut() {
            *r = report;
        }
        Some(result)
    }

    /// Starts reading a Parquet file.
    fn open_parquet(&mut self, f: &InputFile) -> Result<()> {
        #[cfg(feature = "parquet")]
        {
            let only = self
                .only_rows
                .as_ref()
                .map(|m| m.get(&f.path).map_or(&[][..], Vec::as_slice));
            let rows = super::parquet::ParquetRows::open(
                f.bytes_path(),
                &self.cfg.text_field,
                &self.cfg.id_field,
                self.raw_fields.as_deref(),
                only,
            )?;
            let report = DecodeReport {
                path: f.path.display().to_string(),
                ..Self::blank_report()
            };
            self.parquet = Some((Arc::from(f.path.as_path()), rows, report));
            Ok(())
        }
        #[cfg(not(feature = "parquet"))]
        Err(Error::Config(format!(
            "{}: this build has no Parquet support (cargo feature \"parquet\")",
            f.path.display()
        )))
    }

    #[cfg(feature = "parquet")]
    fn blank_report() -> DecodeReport {
        DecodeReport {
            path: String::new(),
            encoding: "UTF-8".to_owned(),
            detection: Detection::Given,
            confidence: "certain".to_owned(),
            replaced: 0,
            truncated: 0,
        }
    }

    fn open(&mut self, f: &InputFile) -> Result<()> {
        let tally = self
            .fingerprints
            .is_some()
            .then(|| Arc::new(Mutex::new(Tally::default())));
        let d = self.decoded(f.bytes_path(), tally.clone())?;
        self.start(&f.path, d);
        if let Some(c) = &mut self.current {
            c.tally = tally;
            c.bytes = f.bytes_path().into();
        }
        Ok(())
    }

    fn start(&mut self, path: &Path, d: Decoded) {
        self.offset = if d.detection == Detection::Bom && d.damage.is_none() {
            3 // the UTF-8 BOM skipped on the fast path
        } else {
            0
        };
        self.line_no = 0;
        let report = Self::report(path, &d);
        self.current = Some(Current {
            path: Arc::from(path),
            bytes: path.to_path_buf(),
            rd: d.reader,
            damage: d.damage,
            report,
            tally: None,
        });
    }

    fn close(&mut self) {
        if let Some(c) = self.current.take() {
            let mut report = c.report;
            if let Some(d) = &c.damage {
                report.replaced = lock(d).replaced;
            }
            self.reports.push(report);
            drop(c.rd);
            // The decoder may stop before the end (a damaged archive): the rest
            // of the file is read for the fingerprint; if it cannot be, the
            // file gets none here and its caller's own check reports why.
            let tally = c.tally.and_then(|t| Arc::try_unwrap(t).ok());
            if let (Some(t), Some(fps)) = (tally, &mut self.fingerprints) {
                let t = t.into_inner().unwrap_or_else(PoisonError::into_inner);
                if let Ok(fp) = t.finish(&c.bytes) {
                    fps.insert(c.path, fp);
                }
            }
        }
    }

    /// The longest line buffered under `oversize = "reject"`: beyond it the text
    /// cannot fit in `max_doc_bytes` even fully JSON-escaped (6 bytes per
    /// character), so the rest is skipped unread and memory stays bounded.
    fn line_cap(&self) -> Option<u64> {
        match (self.cfg.max_doc_bytes, self.cfg.oversize) {
            (Some(max), Oversize::Reject) => Some(max.saturating_mul(6).saturating_add(1 << 20)),
            _ => None,
        }
    }
}

/// Reads up to and including the next `\n`, keeping at most `cap` bytes in
/// `buf`. Returns the bytes consumed and whether some were dropped.
///
/// Without a cap too: the memchr crate's vector search finds the line ends
/// faster than `BufRead::read_until`'s.
fn read_line_capped(
    rd: &mut dyn BufRead,
    buf: &mut Vec<u8>,
    cap: Option<u64>,
) -> io::Result<(u64, bool)> {
    let cap = cap.map_or(usize::MAX, |c| usize::try_from(c).unwrap_or(usize::MAX));
    let mut total = 0u64;
    let mut dropped = false;
    loop {
        let chunk = match rd.fill_buf() {
            Ok(c) => c,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if chunk.is_empty() {
            return Ok((total, dropped));
        }
        let (take, found) = match memchr::memchr(b'\n', chunk) {
            Some(i) => (i + 1, true),
            None => (chunk.len(), false),
        };
        let room = cap.saturating_sub(buf.len());
        if take > room {
            dropped = true;
        }
        buf.extend_from_slice(&chunk[..take.min(room)]);
        rd.consume(take);
        total += take as u64;
        if found {
            return Ok((total, dropped));
        }
    }
}

/// What to say of a "line" holding records ended by a lone carriage return (old
/// Mac line ends), which JSON Lines does not break at: the file reads as one
/// record, rejected, and the reason should say why.
fn lone_cr_hint(line: &[u8]) -> &'static str {
    if memchr::memmem::find(line, b"}\r{").is_some() {
        " (records seem to end with a lone carriage return: JSON Lines ends each with \\n or \\r\\n)"
    } else {
        ""
    }
}

/// Whether the line holds a `\uD800`..`\uDFFF` escape.
fn has_surrogate_escape(line: &str) -> bool {
    line.as_bytes().windows(4).any(|w| {
        w[0] == b'\\'
            && w[1] == b'u'
            && matches!(w[2], b'd' | b'D')
            && matches!(w[3], b'8'..=b'9' | b'a'..=b'f' | b'A'..=b'F')
    })
}

pub(crate) fn json_type(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

const BOM: &[u8] = b"\xEF\xBB\xBF";

/// One record as the sequential part of reading leaves it: either finished (a
/// plain-text or Parquet document, or an error found while reading) or a JSON
/// Lines line still to be checked and parsed, which [`Pending::finish`] does and
/// which can run on any thread.
#[derive(Debug)]
pub enum Pending {
    /// A finished document or error.
    Ready(Result<Document>),
    /// One non-blank line of a JSON Lines file (line ending and BOM removed).
    Line(RawLine),
}

/// One line of a JSON Lines file, not yet checked for UTF-8 nor parsed.
#[derive(Debug)]
pub struct RawLine {
    /// Where it came from.
    pub origin: Origin,
    /// Byte offset of `bytes` in the decoded file (after a byte-order mark that
    /// opens the line).
    pub offset: u64,
    /// The line's bytes.
    pub bytes: Vec<u8>,
}

impl RawLine {
    /// The line as text.
    ///
    /// # Errors
    /// [`Error::Record`] for invalid UTF-8, naming its byte offset.
    pub fn into_text(self) -> Result<(Origin, String)> {
        match utf8_string(self.bytes) {
            Ok(t) => Ok((self.origin, t)),
            Err(e) => {
                let at = self.offset + e.utf8_error().valid_up_to() as u64;
                Err(Error::record_at(
                    &self.origin,
                    at,
                    format!("invalid UTF-8 at byte {at}"),
                ))
            }
        }
    }
}

/// `String::from_utf8` with a vectorized check: every record's bytes are
/// validated, and for Arabic text (two-byte characters) the standard check is a
/// visible share of reading.
pub(crate) fn utf8_string(
    bytes: Vec<u8>,
) -> std::result::Result<String, std::string::FromUtf8Error> {
    if simdutf8::basic::from_utf8(&bytes).is_ok() {
        // SAFETY: the bytes were just checked to be valid UTF-8.
        #[allow(unsafe_code)]
        return Ok(unsafe { String::from_utf8_unchecked(bytes) });
    }
    // Invalid: the standard check gives the position for the error message.
    String::from_utf8(bytes)
}

impl Pending {
    /// The document (or error) of this record, and whether its text was
    /// truncated under `oversize = "truncate"` (see [`Reader::add_truncated`]).
    pub fn finish(self, cfg: &InputConfig) -> (Result<Document>, bool) {
        match self {
            Pending::Ready(r) => (r, false),
            Pending::Line(line) => match line.into_text() {
                Err(e) => (Err(e), false),
                Ok((origin, text)) => {
                    let path = origin.path.clone();
                    let line_no = origin.line;
                    match cfg.parse_json_owned(text, origin, || {
                        format!("{}:{}", path.display(), line_no)
                    }) {
                        Ok((doc, truncated)) => (Ok(doc), truncated),
                        Err(e) => (Err(e), false),
                    }
                }
            },
        }
    }
}

impl Reader {
    /// Counts `n` more truncated texts in the report of `path` (for records
    /// read with [`Reader::next_pending`] and finished elsewhere).
    pub fn add_truncated(&mut self, path: &Path, n: u64) {
        if n == 0 {
            return;
        }
        let name = path.display().to_string();
        if let Some(c) = self.current.as_mut().filter(|c| &*c.path == path) {
            c.report.truncated += n;
        } else if let Some(r) = self.reports.iter_mut().rev().find(|r| r.path == name) {
            r.truncated += n;
        }
    }

    /// Up to `max` more records as [`Reader::next_pending`] gives them; fewer
    /// only at the end of the inputs.
    pub fn next_pending_batch(&mut self, max: usize) -> Vec<Pending> {
        let mut batch = Vec::with_capacity(max);
        while batch.len() < max {
            match self.next_pending() {
                Some(p) => batch.push(p),
                None => break,
            }
        }
        batch
    }

    /// The next record, with the JSON of JSON Lines records not yet parsed:
    /// the cheap, sequential part of reading. `None` at the end of the inputs.
    pub fn next_pending(&mut self) -> Option<Pending> {
        loop {
            #[cfg(feature = "parquet")]
            if self.parquet.is_some() {
                match self.next_parquet_row() {
                    Some(item) => return Some(Pending::Ready(item)),
                    None => continue,
                }
            }
            if self.current.is_none() {
                let f = self.files.next()?;
                if f.kind == InputKind::Text {
                    return Some(Pending::Ready(self.read_text_file(&f)));
                }
                if f.kind == InputKind::Parquet {
                    match self.open_parquet(&f) {
                        Ok(()) => continue,
                        Err(e) => return Some(Pending::Ready(Err(e))),
                    }
                }
                if let Err(e) = self.open(&f) {
                    return Some(Pending::Ready(Err(e)));
                }
            }
            let cap = self.line_cap();
            let cur = self.current.as_mut()?;
            let path = cur.path.clone();
            self.buf.clear();
            let (n, dropped) = match read_line_capped(&mut cur.rd, &mut self.buf, cap) {
                Ok(r) => r,
                Err(e) => {
                    let offset = self.offset;
                    self.close();
                    return Some(Pending::Ready(Err(Error::Data {
                        path: path.to_path_buf(),
                        offset,
                        reason: format!("cannot read further: {e}"),
                    })));
                }
            };
            if n == 0 {
                self.close();
                continue;
            }
            self.line_no += 1;
            let start = self.offset;
            self.offset += n;
            let line_no = self.line_no;
            let record_err = |offset: Option<u64>, reason: String| {
                Some(Pending::Ready(Err(Error::Record {
                    path: path.to_path_buf(),
                    line: line_no,
                    offset,
                    reason,
                })))
            };
            if let Some(damage) = &cur.damage {
                let mut d = lock(damage);
                let mut bad = None;
                while d.spots.front().is_some_and(|&(out, _)| out < self.offset) {
                    if let Some((out, at)) = d.spots.pop_front()
                        && out >= start
                        && bad.is_none()
                    {
                        bad = Some(at);
                    }
                }
                drop(d);
                if let Some(at) = bad {
                    let enc = &cur.report.encoding;
                    return record_err(Some(at), format!("invalid {enc} bytes at byte {at}"));
                }
            }
            if dropped {
                return record_err(
                    None,
                    format!(
                        "record is {n} bytes, far over max_doc_bytes = {}{}",
                        self.cfg.max_doc_bytes.unwrap_or(0),
                        lone_cr_hint(&self.buf)
                    ),
                );
            }
            let mut end = self.buf.len();
            while end > 0 && matches!(self.buf[end - 1], b'\n' | b'\r') {
                end -= 1;
            }
            // A BOM may start any line: files joined with `cat` keep theirs.
            let begin = if self.buf[..end].starts_with(BOM) {
                BOM.len()
            } else {
                0
            };
            let body = &self.buf[begin..end];
            if body.iter().all(u8::is_ascii_whitespace) {
                continue;
            }
            return Some(Pending::Line(RawLine {
                origin: Origin {
                    path,
                    line: self.line_no,
                },
                offset: start + begin as u64,
                bytes: body.to_vec(),
            }));
        }
    }
}

impl Iterator for Reader {
    type Item = Result<Document>;

    fn next(&mut self) -> Option<Self::Item> {
        let pending = self.next_pending()?;
        let path = match &pending {
            Pending::Line(l) => Some(l.origin.path.clone()),
            Pending::Ready(_) => None,
        };
        let (doc, truncated) = pending.finish(&self.cfg);
        if let (true, Some(p)) = (truncated, path) {
            self.add_truncated(&p, 1);
        }
        Some(doc)
    }
}

impl InputConfig {
    /// Parses one JSON record (one line of a JSON Lines file, or a record handed
    /// over in memory) into a [`Document`]: the text field must be a non-empty
    /// string, the id field a string or a number; without an id the document gets
    /// `default_id()`. `max_doc_bytes` applies. `raw` keeps `json` as it is unless
    /// the text was truncated.
    ///
    /// # Errors
    /// [`Error::Record`] at `origin` for malformed JSON, a record that is not an
    /// object, a missing, mistyped, empty or oversize text, or a mistyped id.
    pub fn parse_record(
        &self,
        json: &str,
        origin: Origin,
        default_id: impl FnOnce() -> String,
    ) -> Result<Document> {
        self.parse_json(json, origin, default_id)
            .map(|(doc, _)| doc)
    }

    /// [`InputConfig::parse_record`], also telling whether the text was truncated.
    fn parse_json(
        &self,
        line: &str,
        origin: Origin,
        default_id: impl FnOnce() -> String,
    ) -> Result<(Document, bool)> {
        let record_err = |reason: String| Error::record(&origin, reason);
        let value: Value = serde_json::from_str(line).map_err(|e| {
            let hint = if e.to_string().contains("escape") && has_surrogate_escape(line) {
                " (a lone UTF-16 surrogate escape cannot be text)"
            } else {
                lone_cr_hint(line.as_bytes())
            };
            record_err(format!("malformed JSON: {e}{hint}"))
        })?;
        let Value::Object(map) = value else {
            return Err(record_err("record is not a JSON object".into()));
        };
        if let Some(name) = fields::repeated(line, [&self.text_field, &self.id_field]) {
            // Readers disagree on which copy counts (the last in a JSON tree, the
            // first in others), and the record is written back with both.
            return Err(record_err(ambiguous(name)));
        }
        self.record_of(map, Some(line), origin, default_id)
    }

    /// The id of a record's fields (`line`: its JSON text, when it has one): a
    /// string as it is, a number as its JSON text (as written in `line`), and
    /// `default_id()` without one (missing or null); `Err(reason)` for an empty
    /// string or a value of another type.
    ///
    /// # Errors
    /// The reason the id cannot be read, as the record's rejection gives it.
    pub fn id_of(
        &self,
        fields: &serde_json::Map<String, Value>,
        line: Option<&str>,
        default_id: impl FnOnce() -> String,
    ) -> std::result::Result<String, String> {
        match fields.get(&self.id_field) {
            Some(Value::String(s)) if s.is_empty() => Err(empty_id(&self.id_field)),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(Value::Number(n)) => Ok(number_text(n, line, &self.id_field)),
            Some(Value::Null) | None => Ok(default_id()),
            Some(other) => Err(format!(
                "field {:?} is {}, not a string or number",
                self.id_field,
                json_type(other)
            )),
        }
    }

    /// Reads a record given as its fields, already decoded (a record handed over
    /// in memory, e.g. a Python dict of strings and numbers), exactly as
    /// [`InputConfig::parse_record`] reads the JSON object of those fields. No
    /// JSON text is written or parsed for the text: `raw` is the object of the
    /// other fields, which is all a job reads of it besides the text (such a
    /// record is not written back; [`crate::Config::validate`] refuses a survivor
    /// policy or boilerplate group read from the text field).
    ///
    /// # Errors
    /// As [`InputConfig::parse_record`], but for malformed JSON.
    pub fn record_from_fields(
        &self,
        fields: serde_json::Map<String, Value>,
        origin: Origin,
        default_id: impl FnOnce() -> String,
    ) -> Result<Document> {
        self.record_of(fields, None, origin, default_id)
            .map(|(doc, _)| doc)
    }

    /// The document of a record's fields: `raw` is `line` (rewritten with the
    /// cut text when the text was truncated), or without a line the object of
    /// the fields but the text.
    fn record_of(
        &self,
        mut map: serde_json::Map<String, Value>,
        line: Option<&str>,
        origin: Origin,
        default_id: impl FnOnce() -> String,
    ) -> Result<(Document, bool)> {
        let record_err = |reason: String| Error::record(&origin, reason);
        let mut text = match map.get_mut(&self.text_field) {
            // One field for both: the id is read from it below.
            Some(Value::String(s)) if self.id_field == self.text_field => s.clone(),
            Some(Value::String(s)) => std::mem::take(s),
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
        let id = self.id_of(&map, line, default_id).map_err(&record_err)?;
        let truncated = self.check_size(&mut text).map_err(&record_err)?;
        if crate::document::is_blank(&text) {
            return Err(record_err("empty text".into()));
        }
        let raw = match line {
            Some(line) if !truncated => line.to_owned(),
            Some(_) => {
                // The record rewritten with the cut text; every other field stays
                // where it was.
                map.insert(self.text_field.clone(), Value::String(text.clone()));
                Value::Object(map).to_string()
            }
            None => {
                // A record given as fields is never written back: its `raw` holds
                // what is read from it besides the text (the survivor's and the
                // boilerplate group's fields), not a second copy of the text.
                map.remove(&self.text_field);
                Value::Object(map).to_string()
            }
        };
        Ok((
            Document {
                id,
                text,
                origin,
                raw: Some(raw),
            },
            truncated,
        ))
    }

    /// [`InputConfig::parse_json`] taking the line by value: the usual record
    /// is parsed without building a JSON tree (only the id and text fields are
    /// decoded, the rest is skipped) and the line itself becomes `raw`. Anything
    /// unusual (malformed, not an object, wrong types, truncation) goes the
    /// general way, so that errors and results are the same.
    pub(crate) fn parse_json_owned(
        &self,
        line: String,
        origin: Origin,
        default_id: impl FnOnce() -> String,
    ) -> Result<(Document, bool)> {
        let fast = fields::scan(&line, &self.id_field, &self.text_field);
        if let Some(f) = fast {
            let fits = self.max_doc_bytes.is_none_or(|m| f.text.len() as u64 <= m);
            if fits && !crate::document::is_blank(&f.text) {
                let id = match f.id {
                    Some(id) => id,
                    None => default_id(),
                };
                return Ok((
                    Document {
                        id,
                        text: f.text,
                        origin,
                        raw: Some(line),
                    },
                    false,
                ));
            }
        }
        self.parse_json(&line, origin, default_id)
    }

    /// Applies `max_doc_bytes`: `Err(reason)` to reject, or truncates in place
    /// and returns whether it did.
    fn check_size(&self, text: &mut String) -> std::result::Result<bool, String> {
        let Some(max) = self.max_doc_bytes else {
            return Ok(false);
        };
        if text.len() as u64 <= max {
            return Ok(false);
        }
        match self.oversize {
            Oversize::Reject => Err(format!(
                "text is {} bytes, over max_doc_bytes = {max}",
                text.len()
            )),
            Oversize::Truncate => {
                let mut cut = usize::try_from(max).unwrap_or(usize::MAX).min(text.len());
                while !text.is_char_boundary(cut) {
                    cut -= 1;
                }
                text.truncate(cut);
                Ok(true)
            }
        }
    }
}

/// Why a record whose id is the empty string is rejected: an id names a record
/// in every output, and `""` names none.
fn empty_id(field: &str) -> String {
    format!("field {field:?} is an empty string, which names no record")
}

/// A number id as its JSON text: an integer as it reads, any other number
/// (`1e2`, `100.0`, an integer beyond 64 bits) as written in `line`, so that two
/// ids that differ in the record do not become one through a float. Without a
/// line (fields from a table or a dict), a float that is a whole number is
/// written as the integer (a column of integer ids that a missing value made
/// floats, as pandas does).
/// Why a record giving `field` more than once is rejected.
pub(crate) fn ambiguous(field: &str) -> String {
    format!("field {field:?} appears more than once: the record is ambiguous")
}

/// The id text of a finite floating-point number read without its JSON text
/// (a table's float column, a Python float): an integral one as an integer, so
/// that the ids of a pandas column made float by a missing value read as the
/// integers they were (`1.0` is `1`), else as serde_json writes it (`2.5`, `1e+20`).
pub(crate) fn float_id_text(f: f64) -> String {
    if f.fract() == 0.0 && f.abs() < 9_007_199_254_740_992.0 {
        return format!("{}", f as i64);
    }
    serde_json::Number::from_f64(f).map_or_else(|| f.to_string(), |n| n.to_string())
}

fn number_text(n: &serde_json::Number, line: Option<&str>, field: &str) -> String {
    if n.is_i64() || n.is_u64() {
        return n.to_string();
    }
    let Some(line) = line else {
        return n.as_f64().map_or_else(|| n.to_string(), float_id_text);
    };
    let fields: Option<std::collections::HashMap<String, &serde_json::value::RawValue>> =
        serde_json::from_str(line).ok();
    fields
        .and_then(|f| Some(f.get(field)?.get().to_owned()))
        .unwrap_or_else(|| n.to_string())
}

/// The id and text fields of a JSON record, read without a JSON tree.
pub(crate) mod fields {
    use std::fmt;

    use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, Visitor};
    use serde_json::Value;

    /// The two fields of a well-formed record.
    pub(crate) struct Fields {
        /// The id field as the general path renders it, if present and not null.
        pub id: Option<String>,
        /// The text field.
        pub text: String,
    }

    /// The fields of `line`, or `None` when it is not a JSON object with a string
    /// text and a string, number or null id (the general path then reports why).
    pub(crate) fn scan(line: &str, id_field: &str, text_field: &str) -> Option<Fields> {
        super::super::quick::fields(line, id_field, text_field)
            .or_else(|| scan_serde(line, id_field, text_field))
    }

    /// [`scan`] by serde_json alone.
    pub(crate) fn scan_serde(line: &str, id_field: &str, text_field: &str) -> Option<Fields> {
        let mut de = serde_json::Deserializer::from_str(line);
        let seed = Seed {
            id_field,
            text_field,
        };
        let out = seed.deserialize(&mut de).ok()??;
        de.end().ok()?;
        Some(out)
    }

    /// The first of `names` that is a top-level key of the JSON object `raw` more
    /// than once (`None` also when `raw` is not a well-formed object).
    pub(crate) fn repeated<'n>(raw: &str, names: [&'n str; 2]) -> Option<&'n str> {
        let mut de = serde_json::Deserializer::from_str(raw);
        let counts = Repeated(names).deserialize(&mut de).ok()?;
        (0..2).find(|&i| counts[i] > 1).map(|i| names[i])
    }

    struct Repeated<'f>([&'f str; 2]);

    impl<'de> DeserializeSeed<'de> for Repeated<'_> {
        type Value = [u32; 2];
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Repeated<'_> {
        type Value = [u32; 2];
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            let mut counts = [0; 2];
            while let Some(key) = a.next_key_seed(NameSeed(self.0))? {
                if let Some(i) = key {
                    counts[i] += 1;
                }
                a.next_value::<IgnoredAny>()?;
            }
            Ok(counts)
        }
    }

    /// The value of the field `name` of the JSON object `raw` (the last one when
    /// the name repeats, as in a JSON tree), read without a tree: every other
    /// value, the text among them, is only skipped. `None` when `raw` is not a
    /// well-formed object or has no such field.
    pub(crate) fn field(raw: &str, name: &str) -> Option<Value> {
        let mut de = serde_json::Deserializer::from_str(raw);
        let out = OneField(name).deserialize(&mut de).ok()?;
        de.end().ok()?;
        out
    }

    struct OneField<'f>(&'f str);

    impl<'de> DeserializeSeed<'de> for OneField<'_> {
        type Value = Option<Value>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for OneField<'_> {
        type Value = Option<Value>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            let mut found = None;
            while let Some(key) = a.next_key_seed(NameSeed([self.0]))? {
                if key.is_some() {
                    found = Some(a.next_value::<Value>()?);
                } else {
                    a.next_value::<IgnoredAny>()?;
                }
            }
            Ok(found)
        }
    }

    /// Which of `.0` a key is (the first that matches), compared without
    /// copying the key; `None` for any other.
    struct NameSeed<'f, const N: usize>([&'f str; N]);

    impl<'de, const N: usize> DeserializeSeed<'de> for NameSeed<'_, N> {
        type Value = Option<usize>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Option<usize>, D::Error> {
            d.deserialize_str(self)
        }
    }

    impl<const N: usize> Visitor<'_> for NameSeed<'_, N> {
        type Value = Option<usize>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a key")
        }
        fn visit_str<E: de::Error>(self, k: &str) -> Result<Option<usize>, E> {
            Ok(self.0.iter().position(|n| *n == k))
        }
    }

    /// `raw` (one JSON object) with the value of its top-level `field` replaced
    /// by the JSON string `text`; every other byte stays as it was. `None` when
    /// `raw` has no such field.
    pub(crate) fn replace_string(raw: &str, field: &str, text: &str) -> Option<String> {
        let (a, b) = super::super::quick::value_span(raw, field)?;
        let mut out = String::with_capacity(raw.len() + text.len());
        out.push_str(&raw[..a]);
        // A `str` always serializes.
        out.push_str(&serde_json::to_string(text).unwrap_or_default());
        out.push_str(&raw[b..]);
        Some(out)
    }

    struct Seed<'f> {
        id_field: &'f str,
        text_field: &'f str,
    }

    /// A string value, or `None` for any other JSON value (skipped).
    struct StrOrSkip;

    impl<'de> DeserializeSeed<'de> for StrOrSkip {
        type Value = Option<String>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    }

    impl<'de> Visitor<'de> for StrOrSkip {
        type Value = Option<String>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any value")
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Some(v.to_owned()))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
            Ok(Some(v))
        }
        fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_element::<IgnoredAny>()?.is_some() {}
            Ok(None)
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            while a.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
            Ok(None)
        }
    }

    impl<'de> DeserializeSeed<'de> for Seed<'_> {
        type Value = Option<Fields>;
        fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_map(self)
        }
    }

    impl<'de> Visitor<'de> for Seed<'_> {
        type Value = Option<Fields>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut a: A) -> Result<Self::Value, A::Error> {
            let mut text: Option<Option<String>> = None;
            let mut id: Option<Value> = None;
            let same = self.id_field == self.text_field;
            // Text before id: with equal names the general path reads both from
            // the one field.
            let names = [self.text_field, self.id_field];
            let mut repeated = false;
            while let Some(key) = a.next_key_seed(NameSeed(names))? {
                // A field given twice makes the record ambiguous: the general
                // path rejects it.
                repeated |= match key {
                    Some(0) => text.is_some(),
                    Some(_) => id.is_some(),
                    None => false,
                };
                match key {
                    Some(0) if same => {
                        let v: Value = a.next_value()?;
                        text = Some(v.as_str().map(str::to_owned));
                        id = Some(v);
                    }
                    Some(0) => text = Some(a.next_value_seed(StrOrSkip)?),
                    Some(_) => id = Some(a.next_value()?),
                    None => {
                        a.next_value::<IgnoredAny>()?;
                    }
                }
            }
            let Some(Some(text)) = text.filter(|_| !repeated) else {
                return Ok(None);
            };
            let id = match id {
                Some(Value::String(s)) if !s.is_empty() => Some(s),
                Some(Value::Number(n)) if n.is_i64() || n.is_u64() => Some(n.to_string()),
                Some(Value::Null) | None => None,
                // An empty id (rejected), a fraction, an exponent or an integer
                // beyond 64 bits (its text as written) go the general way.
                Some(_) => return Ok(None),
            };
            Ok(Some(Fields { id, text }))
        }
    }
}

#[cfg(test)]
mod fast_parse_tests {
    use super::*;

    /// An empty string id names no record: rejected, by the fast path and the
    /// general one alike, naming the field.
    #[test]
    fn an_empty_id_is_rejected() {
        let cfg = InputConfig::default();
        let origin = Origin {
            path: Arc::from(Path::new("t.jsonl")),
            line: 3,
        };
        let line = r#"{"id": "", "text": "نص"}"#;
        let fast = cfg.parse_json_owned(line.into(), origin.clone(), || "d".into());
        let slow = cfg.parse_json(line, origin, || "d".into());
        for e in [fast.unwrap_err(), slow.unwrap_err()] {
            assert_eq!(
                e.to_string(),
                "t.jsonl:3: field \"id\" is an empty string, which names no record"
            );
        }
    }

    /// A number id is its JSON text: ids that differ as written stay apart
    /// (integers beyond 64 bits, `1e2` and `100`), where a float would have made
    /// them one ("1.2345678901234568e22", "100.0").
    #[test]
    fn number_ids_are_their_json_text() {
        let cfg = InputConfig::default();
        let origin = Origin {
            path: Arc::from(Path::new("t.jsonl")),
            line: 1,
        };
        for id in [
            "12",
            "-7",
            "18446744073709551615",
            "12345678901234567890123",
            "12345678901234567890124",
            "1e2",
            "100.0",
            "1.5E-3",
        ] {
            let line = format!(r#"{{"id": {id}, "text": "نص"}}"#);
            let (doc, _) = cfg
                .parse_json_owned(line, origin.clone(), || "default".into())
                .unwrap();
            assert_eq!(doc.id, id);
        }
    }

    /// The tree-free parser gives the general parser's document for every record
    /// it accepts, and declines the ones the general parser reports.
    #[test]
    fn fast_path_agrees_with_the_general_one() {
        let lines = [
            r#"{"id":"a","text":"نص عربي"}"#,
            r#"{"text":"x y","id":12}"#,
            r#"{"text":"x y","id":1.5e3}"#,
            r#"{"text":"x y","id":null}"#,
            r#"{"text":"x y"}"#,
            r#"{"id":"a","text":"first","text":"second"}"#,
            r#"{"meta":{"text":"inner","id":[1,{"a":null}]},"id":"b","text":"outer"}"#,
            r#"{"te\u0078t":"escaped key","id":"c"}"#,
            r#"{"id":"d","text":"line\nbreak \"quoted\" \u0645"}"#,
            r#"  {"id":"e","text":"spaces around"}  "#,
            r#"{"id":true,"text":"bad id"}"#,
            r#"{"id":"f","text":5}"#,
            r#"{"id":"g"}"#,
            r#"[1,2]"#,
            r#"{"id":"h","text":"unterminated"#,
            r#"{"id":"i","text":"   "}"#,
            r#"{"id":"j","text":"x"} trailing"#,
        ];
        let cfg = InputConfig::default();
        let path: Arc<Path> = Arc::from(Path::new("t.jsonl"));
        for (n, line) in lines.iter().enumerate() {
            let origin = Origin {
                path: path.clone(),
                line: n as u64 + 1,
            };
            let slow = cfg.parse_json(line, origin.clone(), || "default".into());
            let fast = cfg.parse_json_owned(line.to_string(), origin, || "default".into());
            match (slow, fast) {
                (Ok((a, ta)), Ok((b, tb))) => {
                    assert_eq!(
                        (a.id, a.text, a.raw, ta),
                        (b.id, b.text, b.raw, tb),
                        "{line}"
                    );
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{line}"),
                (a, b) => panic!("{line}: {a:?} vs {b:?}"),
            }
            let scanned = fields::scan(line, "id", "text").is_some();
            // A blank text is well-formed: `parse_json_owned` reports it the general
            // way; so is a repeated text field, which it rejects, and a number id
            // that is not an integer, whose text it takes as written.
            assert_eq!(scanned, (n < 10 && n != 5 && n != 2) || n == 15, "{line}");
        }
    }

    #[test]
    fn replaces_only_the_value_of_the_field() {
        let raw = r#"{"id": "a", "text" : "x \"q\" y", "meta": {"text": "keep"}, "n": 1.50}"#;
        let out = fields::replace_string(raw, "text", "نص").unwrap();
        assert_eq!(
            out,
            r#"{"id": "a", "text" : "نص", "meta": {"text": "keep"}, "n": 1.50}"#
        );
        assert_eq!(fields::replace_string(raw, "body", "x"), None);
    }

    /// One field read without a tree is the field of the record's JSON tree,
    /// for every name in every record (nested, escaped and repeated keys,
    /// malformed records, other JSON values), and in the real news records.
    #[test]
    fn one_field_is_the_trees_field() {
        let mut lines: Vec<String> = [
            r#"{"id":"a","date":"2024-05-01","text":"نص","n":-1.5e3}"#,
            r#"{"date":"first","x":[1,{"date":"inner"}],"date":"second"}"#,
            r#"{"d\u0061te":"escaped","text":"t\"date\":\"no\""}"#,
            r#"{"date":null,"n":18446744073709551615,"o":{"n":1}}"#,
            r#"  {"date" : true }  "#,
            r#"{"date":"x"} trailing"#,
            r#"{"date":"unterminated"#,
            r#"["date","x"]"#,
            r#""date""#,
            "",
        ]
        .map(String::from)
        .to_vec();
        if let Some(corpora) = crate::shared_corpora() {
            let news = corpora.join("arabic_news/saudinewsnet.jsonl");
            let text = std::fs::read_to_string(&news).expect("the development news");
            lines.extend(text.lines().map(String::from));
        }
        assert!(lines.len() > 10 || std::env::var("CI").is_err());
        for line in &lines {
            let tree = serde_json::from_str::<Value>(line).ok();
            for name in [
                "date", "n", "o", "id", "text", "x", "url", "title", "outlet", "missing",
            ] {
                let want = tree.as_ref().and_then(|t| t.get(name)).cloned();
                assert_eq!(fields::field(line, name), want, "{name} in {line}");
            }
        }
    }
}
