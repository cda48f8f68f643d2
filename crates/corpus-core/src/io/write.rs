use std::fs::{self, File};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};

use serde::Serialize;

use crate::{Error, Result};

/// The format of the kept records.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OutputFormat {
    /// Parquet when every input is Parquet, JSON Lines otherwise (default).
    #[default]
    Auto,
    /// `kept.jsonl` (or `.jsonl.zst`, sharded).
    Jsonl,
    /// `kept.parquet` (needs the `parquet` feature): see [`KeptFormat`].
    Parquet,
}

/// How a job writes its kept records, once [`OutputFormat`] is resolved for
/// its inputs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum KeptFormat {
    /// `kept.jsonl` (or `.jsonl.zst`, sharded).
    Jsonl,
    /// `kept.parquet` from Parquet inputs sharing one schema: their rows, every
    /// column carried through (the dedup job adds a `ghirbal` struct column).
    ParquetRows,
    /// `kept.parquet` from other inputs: the kept records written as JSON
    /// Lines, then converted, one column per field with its type inferred over
    /// all of them (`io::jsonl_to_parquet`).
    ParquetConverted,
}

impl KeptFormat {
    /// Whether the kept records end up in `kept.parquet`.
    #[must_use]
    pub fn is_parquet(self) -> bool {
        self != KeptFormat::Jsonl
    }
}

impl OutputFormat {
    /// How the kept records of these inputs are written, decided before any
    /// work.
    ///
    /// # Errors
    /// [`Error::Config`] when Parquet is asked for in a build without the
    /// `parquet` feature, or Parquet output (asked for, or `auto` on Parquet
    /// inputs) would carry the schemas of inputs whose schemas differ.
    pub fn resolve(self, inputs: &[super::InputFile]) -> Result<KeptFormat> {
        let all_parquet =
            !inputs.is_empty() && inputs.iter().all(|f| f.kind == super::InputKind::Parquet);
        let format = match self {
            OutputFormat::Auto | OutputFormat::Parquet if all_parquet => KeptFormat::ParquetRows,
            OutputFormat::Auto | OutputFormat::Jsonl => KeptFormat::Jsonl,
            OutputFormat::Parquet => KeptFormat::ParquetConverted,
        };
        if format.is_parquet() && !cfg!(feature = "parquet") {
            return Err(Error::Config(
                "this build has no Parquet support (cargo feature \"parquet\")".into(),
            ));
        }
        #[cfg(feature = "parquet")]
        if format == KeptFormat::ParquetRows {
            let paths: Vec<PathBuf> = inputs.iter().map(|f| f.path.clone()).collect();
            super::parquet::check_one_schema(&paths)?;
        }
        Ok(format)
    }
}

/// An output folder written atomically: everything goes into a temporary sibling
/// folder that is renamed onto the final path by [`OutputDir::commit`]. A crash
/// leaves either the previous complete output or none.
#[derive(Debug)]
pub struct OutputDir {
    final_path: PathBuf,
    tmp_path: PathBuf,
    overwrite: bool,
    committed: bool,
}

impl OutputDir {
    /// Prepares a temporary folder beside `path`, the output of a job reading
    /// `inputs` (the paths the user gave).
    ///
    /// # Errors
    /// [`Error::OutputExists`] if `path` exists and `overwrite` is false;
    /// [`Error::OutputNotReplaced`] if it names no folder of its own (`.`), is
    /// a file, or a folder that is neither empty nor an earlier output holding
    /// only the files ghirbal writes, or one that holds an input (`overwrite`
    /// would delete them); [`Error::Io`] if the temporary folder cannot be made.
    pub fn create(path: &Path, overwrite: bool, inputs: &[PathBuf]) -> Result<Self> {
        let refuse = |reason: String| Error::OutputNotReplaced {
            path: path.to_path_buf(),
            reason,
        };
        if path.file_name().is_none() {
            // `.`, `..` or a root: the output is written beside its folder and
            // renamed into place, which such a path has no name for.
            return Err(refuse(
                "the output folder must be named (a new folder, such as out), not given \
                 as ., .. or a root"
                    .into(),
            ));
        }
        recover(path)?;
        if let Ok(meta) = fs::symlink_metadata(path) {
            if !path.is_dir() {
                return Err(refuse("it is a file, and the output is a folder".into()));
            }
            if !overwrite {
                return Err(Error::OutputExists(path.to_path_buf()));
            }
            if !meta.is_symlink()
                && let Some(other) = not_ours(path)?
            {
                return Err(refuse(format!(
                    "it is not only the output of an earlier run (it holds {}), so \
                         --overwrite would delete it; choose another output folder",
                    other.display()
                )));
            }
            if let Some(input) = input_inside(path, inputs) {
                return Err(refuse(format!(
                    "it holds the input {}, which --overwrite would delete; choose another \
                     output folder",
                    input.display()
                )));
            }
        }
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let parent = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        fs::create_dir_all(&parent).map_err(|e| {
            // The system says "File exists" of a parent that is a file (`-o
            // /dev/null/out`), which reads as if the output were there.
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                let why = format!("not a folder: {} cannot be made in it", path.display());
                Error::io(&parent, std::io::Error::other(why))
            } else {
                Error::io(&parent, e)
            }
        })?;
        let tmp_path = parent.join(format!(".{name}.tmp-{}", std::process::id()));
        if tmp_path.exists() {
            fs::remove_dir_all(&tmp_path).map_err(|e| Error::io(&tmp_path, e))?;
        }
        fs::create_dir(&tmp_path).map_err(|e| Error::io(&tmp_path, e))?;
        Ok(OutputDir {
            final_path: path.to_path_buf(),
            tmp_path,
            overwrite,
            committed: false,
        })
    }

    /// Path of a file inside the (temporary) folder.
    pub fn file(&self, name: &str) -> PathBuf {
        self.tmp_path.join(name)
    }

    /// The final path.
    pub fn path(&self) -> &Path {
        &self.final_path
    }

    /// Moves the finished folder into place.
    ///
    /// # Errors
    /// [`Error::Io`] if a rename fails.
    pub fn commit(mut self) -> Result<()> {
        let old = self.final_path.with_file_name(format!(
            ".{}.old-{}",
            self.final_path
                .file_name()
                .map(|n| n.to_string_lossy())
                .unwrap_or_default(),
            std::process::id()
        ));
        let had_old = self.overwrite && self.final_path.exists();
        if had_old {
            fs::rename(&self.final_path, &old).map_err(|e| Error::io(&self.final_path, e))?;
        }
        fs::rename(&self.tmp_path, &self.final_path).map_err(|e| Error::io(&self.final_path, e))?;
        self.committed = true;
        if had_old {
            fs::remove_dir_all(&old).map_err(|e| Error::io(&old, e))?;
        }
        Ok(())
    }
}

impl Drop for OutputDir {
    fn drop(&mut self) {
        if !self.committed {
            let _ = fs::remove_dir_all(&self.tmp_path);
        }
    }
}

/// What in the folder `path` keeps it from being replaced by a new output:
/// nothing when it is empty, or the output of an earlier run (its
/// `summary.json` is ghirbal's) holding only files a job writes; else the first
/// other entry (or the missing `summary.json`).
fn not_ours(path: &Path) -> Result<Option<PathBuf>> {
    let mut names = Vec::new();
    for e in fs::read_dir(path).map_err(|e| Error::io(path, e))? {
        let e = e.map_err(|e| Error::io(path, e))?;
        names.push(e.file_name().to_string_lossy().into_owned());
    }
    if names.is_empty() {
        return Ok(None);
    }
    names.sort();
    let summary = fs::read(path.join("summary.json")).unwrap_or_default();
    if !serde_json::from_slice::<serde_json::Value>(&summary)
        .is_ok_and(|v| v.get("ghirbal_version").is_some())
    {
        return Ok(Some(match names.iter().find(|n| *n != "summary.json") {
            Some(n) => path.join(n),
            None => path.join("summary.json"),
        }));
    }
    Ok(names
        .into_iter()
        .find(|n| !written_by_a_job(n) || path.join(n).is_dir())
        .map(|n| path.join(n)))
}

/// Whether the folder `path` is the output of an earlier run: ghirbal's
/// `summary.json` and nothing but the files a job writes.
pub(crate) fn is_earlier_output(path: &Path) -> bool {
    path.join("summary.json").is_file() && matches!(not_ours(path), Ok(None))
}

/// Whether a job writes a file of this name into its output folder.
fn written_by_a_job(name: &str) -> bool {
    const FILES: [&str; 9] = [
        "summary.json",
        "audit.json",
        "clusters.jsonl",
        "rejects.jsonl",
        "removed.jsonl",
        "emptied.jsonl",
        "kept.jsonl",
        "kept.jsonl.zst",
        "kept.parquet",
    ];
    // Kept records in shards: `kept-00000.jsonl`, `kept-00001.jsonl.zst`, ...
    let shard = name
        .strip_prefix("kept-")
        .and_then(|n| {
            n.strip_suffix(".jsonl")
                .or_else(|| n.strip_suffix(".jsonl.zst"))
        })
        .is_some_and(|n| n.len() >= 5 && n.bytes().all(|b| b.is_ascii_digit()));
    shard || FILES.contains(&name)
}

/// The first of `inputs` that lies inside the folder `path` (or is it).
fn input_inside(path: &Path, inputs: &[PathBuf]) -> Option<PathBuf> {
    let folder = fs::canonicalize(path).ok()?;
    inputs
        .iter()
        .filter(|i| i.as_os_str() != "-")
        .find(|i| fs::canonicalize(i).is_ok_and(|c| c.starts_with(&folder)))
        .cloned()
}

/// Hidden siblings of `path` left by runs that were killed: `(tmp, old)`
/// folders named `.NAME.tmp-PID` and `.NAME.old-PID`.
fn leftovers(path: &Path) -> Result<(Vec<PathBuf>, Vec<PathBuf>)> {
    let Some(name) = path.file_name().map(|n| n.to_string_lossy().into_owned()) else {
        return Ok((Vec::new(), Vec::new()));
    };
    let parent = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    };
    let (mut tmp, mut old) = (Vec::new(), Vec::new());
    let Ok(entries) = fs::read_dir(&parent) else {
        return Ok((tmp, old));
    };
    let (tmp_prefix, old_prefix) = (format!(".{name}.tmp-"), format!(".{name}.old-"));
    for e in entries {
        let e = e.map_err(|e| Error::io(&parent, e))?;
        let f = e.file_name().to_string_lossy().into_owned();
        if let Some(pid) = f.strip_prefix(&tmp_prefix) {
            if !alive(pid) {
                tmp.push(e.path());
            }
        } else if let Some(pid) = f.strip_prefix(&old_prefix)
            && !alive(pid)
        {
            old.push(e.path());
        }
    }
    old.sort();
    Ok((tmp, old))
}

/// Whether the process that owns a leftover folder still runs. Where this
/// cannot be known (no `/proc`), it is assumed to run, so nothing is touched.
/// A killed run that its parent has not reaped yet (a zombie) keeps its
/// `/proc` entry but is dead: its state in `/proc/PID/stat` tells.
fn alive(pid: &str) -> bool {
    if pid.parse::<u32>().is_err() {
        return true;
    }
    let proc = Path::new("/proc");
    if !proc.is_dir() {
        return true;
    }
    match fs::read_to_string(proc.join(pid).join("stat")) {
        Ok(stat) => !matches!(process_state(&stat), Some('Z' | 'X' | 'x')),
        Err(_) => proc.join(pid).exists(),
    }
}

/// The state letter of a `/proc/PID/stat` line: the field after the command
/// name, which is in parentheses and may itself hold spaces and parentheses.
fn process_state(stat: &str) -> Option<char> {
    let (_, rest) = stat.rsplit_once(')')?;
    rest.trim_start().chars().next()
}

/// Repairs what a killed run can leave beside an output folder. A run killed
/// between the two renames of an overwrite leaves the previous output under
/// `.NAME.old-PID` and nothing at `NAME`: it is moved back. Unfinished
/// temporary folders of dead runs are removed.
///
/// # Errors
/// [`Error::Io`] if a leftover cannot be moved or removed.
pub fn recover(path: &Path) -> Result<()> {
    let (tmp, old) = leftovers(path)?;
    for t in tmp {
        fs::remove_dir_all(&t).map_err(|e| Error::io(&t, e))?;
    }
    for o in old {
        if path.exists() {
            // The new output was already in place: the old one is garbage.
            fs::remove_dir_all(&o).map_err(|e| Error::io(&o, e))?;
        } else {
            fs::rename(&o, path).map_err(|e| Error::io(&o, e))?;
        }
    }
    Ok(())
}

/// A JSON Lines writer, plain or zstd-compressed (by the `.zst` extension).
pub struct JsonlWriter {
    path: PathBuf,
    out: Sink,
    lines: u64,
}

/// Where a [`JsonlWriter`]'s bytes go. The zstd frame is ended by
/// [`JsonlWriter::finish`], so that an error there is reported, not lost in a drop.
enum Sink {
    Plain(BufWriter<File>),
    Zstd(zstd::Encoder<'static, BufWriter<File>>),
}

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        match self {
            Sink::Plain(w) => w.write(buf),
            Sink::Zstd(w) => w.write(buf),
        }
    }

    fn write_all(&mut self, buf: &[u8]) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.write_all(buf),
            Sink::Zstd(w) => w.write_all(buf),
        }
    }

    fn flush(&mut self) -> std::io::Result<()> {
        match self {
            Sink::Plain(w) => w.flush(),
            Sink::Zstd(w) => w.flush(),
        }
    }
}

impl JsonlWriter {
    /// Creates (truncates) `path`.
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be created.
    pub fn create(path: &Path) -> Result<Self> {
        let file = File::create(path).map_err(|e| Error::io(path, e))?;
        let buf = BufWriter::with_capacity(1 << 20, file);
        let out = if path.extension().is_some_and(|e| e == "zst") {
            Sink::Zstd(zstd::Encoder::new(buf, 3).map_err(|e| Error::io(path, e))?)
        } else {
            Sink::Plain(buf)
        };
        Ok(JsonlWriter {
            path: path.to_path_buf(),
            out,
            lines: 0,
        })
    }

    /// Writes one value as a line.
    ///
    /// # Errors
    /// [`Error::Io`] on a write failure.
    pub fn write<T: Serialize>(&mut self, value: &T) -> Result<()> {
        serde_json::to_writer(&mut self.out, value)
            .map_err(|e| Error::io(&self.path, std::io::Error::other(e)))?;
        self.end_line()
    }

    /// Writes one line that is already JSON.
    ///
    /// # Errors
    /// [`Error::Io`] on a write failure.
    pub fn write_raw(&mut self, json: &str) -> Result<()> {
        self.out
            .write_all(json.as_bytes())
            .map_err(|e| Error::io(&self.path, e))?;
        self.end_line()
    }

    /// Writes `lines` lines already formatted (each ending in a newline), such
    /// as a block formatted on another thread.
    ///
    /// # Errors
    /// [`Error::Io`] on a write failure.
    pub fn write_block(&mut self, block: &[u8], lines: u64) -> Result<()> {
        self.lines += lines;
        self.out
            .write_all(block)
            .map_err(|e| Error::io(&self.path, e))
    }

    fn end_line(&mut self) -> Result<()> {
        self.lines += 1;
        self.out
            .write_all(b"\n")
            .map_err(|e| Error::io(&self.path, e))
    }

    /// Lines written so far.
    pub fn lines(&self) -> u64 {
        self.lines
    }

    /// Ends the zstd frame, flushes and closes the file.
    ///
    /// # Errors
    /// [`Error::Io`] on a write failure.
    pub fn finish(self) -> Result<()> {
        let mut buf = match self.out {
            Sink::Plain(w) => w,
            Sink::Zstd(w) => w.finish().map_err(|e| Error::io(&self.path, e))?,
        };
        buf.flush().map_err(|e| Error::io(&self.path, e))
    }
}

/// A job's kept records as JSON Lines, as `output` asks: `kept.jsonl`, or
/// zstd-compressed `kept.jsonl.zst` (`compress`), and with `shard_size` cut
/// into `kept-00000.jsonl`, `kept-00001.jsonl`, … of at most that many bytes of
/// lines each (uncompressed; a longer line gets a shard of its own).
pub struct KeptJsonl {
    dir: PathBuf,
    ext: &'static str,
    shard_size: Option<u64>,
    shard: usize,
    shard_bytes: u64,
    w: JsonlWriter,
    written: u64,
}

impl KeptJsonl {
    /// Creates the first file in the output folder `out`.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be created.
    pub fn create(out: &OutputDir, output: &crate::config::OutputConfig) -> Result<Self> {
        let ext = if output.compress {
            "jsonl.zst"
        } else {
            "jsonl"
        };
        let dir = out.file("");
        let w = JsonlWriter::create(&dir.join(Self::name(ext, output.shard_size, 0)))?;
        Ok(KeptJsonl {
            dir,
            ext,
            shard_size: output.shard_size,
            shard: 0,
            shard_bytes: 0,
            w,
            written: 0,
        })
    }

    fn name(ext: &str, shard_size: Option<u64>, shard: usize) -> String {
        match shard_size {
            Some(_) => format!("kept-{shard:05}.{ext}"),
            None => format!("kept.{ext}"),
        }
    }

    /// Writes one record (one line of JSON, without its newline), starting the
    /// next shard first when this one would grow past `shard_size`.
    ///
    /// # Errors
    /// [`Error::Io`] on a write failure.
    pub fn write_raw(&mut self, line: &str) -> Result<()> {
        if let Some(limit) = self.shard_size
            && self.shard_bytes > 0
            && self.shard_bytes + line.len() as u64 > limit
        {
            self.shard += 1;
            let next = self
                .dir
                .join(Self::name(self.ext, self.shard_size, self.shard));
            std::mem::replace(&mut self.w, JsonlWriter::create(&next)?).finish()?;
            self.shard_bytes = 0;
        }
        self.shard_bytes += line.len() as u64 + 1;
        self.written += 1;
        self.w.write_raw(line)
    }

    /// Flushes and closes the last file; returns the records written.
    ///
    /// # Errors
    /// [`Error::Io`] on a write failure.
    pub fn finish(self) -> Result<u64> {
        self.w.finish()?;
        Ok(self.written)
    }
}

/// A fingerprint of a file's content: size and 64-bit xxh3 of its bytes, as
/// `"<bytes>:<hex>"`.
///
/// # Errors
/// [`Error::Io`] if the file cannot be read.
pub fn fingerprint_file(path: &Path) -> Result<String> {
    Tally::default().finish(path)
}

/// A file's fingerprint being computed from the bytes read so far, from its
/// start (see [`Tallied`]): reading a corpus once gives its fingerprint too.
#[derive(Default)]
pub(crate) struct Tally {
    hash: crate::hash::Stream64,
    bytes: u64,
}

impl Tally {
    fn add(&mut self, bytes: &[u8]) {
        self.hash.update(bytes);
        self.bytes += bytes.len() as u64;
    }

    /// The fingerprint of `path`, reading whatever part of it was not read
    /// through this tally (all of it for a fresh one).
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be read.
    pub(crate) fn finish(mut self, path: &Path) -> Result<String> {
        use std::io::{Seek, SeekFrom};
        if self.bytes > 0 && fs::metadata(path).is_ok_and(|m| m.len() == self.bytes) {
            // Read to its end already (most files): nothing to open again.
            return Ok(format!("{}:{:016x}", self.bytes, self.hash.digest()));
        }
        let mut f = File::open(path).map_err(|e| Error::io(path, e))?;
        if self.bytes > 0 {
            f.seek(SeekFrom::Start(self.bytes))
                .map_err(|e| Error::io(path, e))?;
        }
        let mut buf = vec![0u8; 1 << 20];
        loop {
            let n = f.read(&mut buf).map_err(|e| Error::io(path, e))?;
            if n == 0 {
                break;
            }
            self.add(&buf[..n]);
        }
        Ok(format!("{}:{:016x}", self.bytes, self.hash.digest()))
    }
}

/// A reader that adds every byte it returns to a shared [`Tally`].
pub(crate) struct Tallied<R> {
    pub inner: R,
    pub tally: std::sync::Arc<std::sync::Mutex<Tally>>,
}

impl<R: Read> Read for Tallied<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.tally
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .add(&buf[..n]);
        Ok(n)
    }
}
