//! Resumable runs: per-input-file ("shard") checkpoints of the read-and-sketch
//! stage, the expensive one.
//!
//! They live in `.NAME.ckpt/` beside the output folder `NAME`, survive a crash
//! and are removed once the output is in place. `manifest.json` holds the
//! list of inputs and the fingerprint of the configuration; a later run with
//! other inputs or another configuration is refused rather than mixed.
//! A shard is complete when `shard-NNNNN.done` exists and names the size and
//! xxh3 checksum of `shard-NNNNN.bin`; each file is written under a
//! temporary name and renamed, so a kill leaves no half-written shard that
//! looks complete. A shard whose checksum does not match is recomputed, and
//! so is one whose input file changed since (its trailer holds the input's
//! fingerprint, taken while it was read: a fresh run reads its inputs once),
//! and so is one whose records' ids the shards before it now repeat
//! differently (`pipeline::ids_still_agree`), or that was analyzed with
//! another corpus-level boilerplate model (counted over every input).

use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::codec::{Bytes, put_bytes, put_rank, put_sketch};
use crate::config::Config;
use crate::dedup::Member;
use crate::document::Origin;
use crate::io::direct::DirectWriter;
use crate::io::{DecodeReport, InputFile, fingerprint_file};
use crate::pipeline::{DocInfo, InputSummary, Reject, Seen};
use crate::{Error, Result};

/// Version of the checkpoint files; older ones are refused (6: survivor dates
/// are read as instants, and small input files share shards; 7: dates with the
/// month written out too, which version 6 saved as text; 8: records other than
/// JSON Lines lines keep the hash of their text for pass 2's check; 9: survivor
/// values that are numbers written as strings are numbers; 10: the records
/// rejected for an id seen in an earlier shard, so that a resumed run can tell
/// whether the shards before still give the same verdicts; 11: the corpus-level
/// boilerplate model the records were analyzed with; 12: where each JSON Lines
/// record's bytes are, for pass 2 to read them there; 13: a text whose key is
/// empty is sketched as written).
const VERSION: u32 = 13;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    ghirbal_version: String,
    config: String,
    inputs: Vec<String>,
}

/// The end of a shard file, after its records (then its length, 4 bytes).
#[derive(Serialize, Deserialize)]
struct Trailer {
    /// The input files of the shard, each with its fingerprint ([`fingerprint_file`]).
    files: Vec<(String, String)>,
    input: u64,
    rejects: Vec<Reject>,
    duplicates: Vec<DuplicateId>,
    decoding: Vec<DecodeReport>,
    /// [`Checkpoints::model`] when the shard was analyzed.
    model: Option<u64>,
}

/// A record of a shard rejected because its id was seen before: whether it
/// still is depends on the shards before it, which may have been read again.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct DuplicateId {
    /// The id.
    pub id: String,
    /// Where it was first seen (`file:line`), as the rejection names it.
    pub first: String,
}

/// What the read-and-sketch stage produced for one shard: one input file, or
/// a run of small ones ([`shard_groups`]).
pub(crate) struct Shard {
    /// The fingerprint of each of its input files.
    pub fingerprints: Vec<String>,
    /// Records read (kept, removed or rejected later).
    pub input: u64,
    /// Sketched records, in input order.
    pub members: Vec<Seen>,
    /// Rejected records.
    pub rejects: Vec<Reject>,
    /// Those of `rejects` that repeat an id, with where it was first seen.
    pub duplicates: Vec<DuplicateId>,
    /// Encoding reports of its files.
    pub decoding: Vec<DecodeReport>,
}

/// A file at least this large is a shard of its own.
const OWN_SHARD: u64 = 64 << 10;

/// Smaller files are grouped into shards of about this many bytes: a shard
/// costs a few files and a thread to write, and a batch of records is read
/// from one shard only, so thousands of one-document files must not each be one.
const GROUP_BYTES: u64 = 1 << 20;

/// The input files of each shard, as ranges of `files`: a file of
/// [`OWN_SHARD`] bytes or more alone, runs of smaller ones up to [`GROUP_BYTES`].
/// Decided by the files' sizes, so a resumed run groups them alike unless one
/// changed (and then its shard is recomputed anyway).
pub(crate) fn shard_groups(files: &[InputFile]) -> Vec<std::ops::Range<usize>> {
    let mut groups = Vec::new();
    let (mut start, mut bytes) = (0, 0);
    for (i, f) in files.iter().enumerate() {
        let size = fs::metadata(f.bytes_path()).map_or(OWN_SHARD, |m| m.len());
        if size >= OWN_SHARD {
            if start < i {
                groups.push(start..i);
            }
            groups.push(i..i + 1);
            (start, bytes) = (i + 1, 0);
            continue;
        }
        bytes += size;
        if bytes >= GROUP_BYTES {
            groups.push(start..i + 1);
            (start, bytes) = (i + 1, 0);
        }
    }
    if start < files.len() {
        groups.push(start..files.len());
    }
    groups
}

/// The checkpoints of one output folder (or none, for runs that cannot
/// resume, such as those reading standard input).
pub(crate) struct Checkpoints {
    dir: Option<PathBuf>,
    /// The folder's `lock` file, locked while this run uses it: a second run
    /// with the same output is refused rather than let write the same shards.
    _lock: Option<fs::File>,
    /// The fingerprint of the corpus-level boilerplate model the run analyzes
    /// with, if any: it is counted over every input, so a change to one input
    /// can change the analysis of all of them.
    model: Option<u64>,
}

/// Locks the checkpoint folder `dir` of `output` for this run (the lock goes
/// with the process, a killed one's too).
///
/// # Errors
/// [`Error::Config`] when another run holds it: two runs writing one output
/// would write the same shards. [`Error::Io`] if the lock file cannot be made.
fn lock(dir: &Path, output: &Path) -> Result<fs::File> {
    let path = dir.join("lock");
    let file = fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(fs::TryLockError::WouldBlock) => Err(Error::Config(format!(
            "{}: another run is writing this output now (its checkpoints in {} are in \
             use); wait for it to end, or write to another folder",
            output.display(),
            dir.display()
        ))),
        // A file system without locks (some network ones): the run goes on
        // unguarded, as before there were locks, rather than not at all.
        Err(fs::TryLockError::Error(_)) => Ok(file),
    }
}

/// The checkpoint folder of an output folder.
fn dir_of(output: &Path) -> PathBuf {
    let name = output
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    output.with_file_name(format!(".{name}.ckpt"))
}

/// Removes the checkpoints of a run stopped by bad data: once the input is
/// fixed they could only be refused.
pub(crate) fn discard(output: &Path) {
    let _ = fs::remove_dir_all(dir_of(output));
}

/// Whether `output` holds a finished run's summary written after the
/// checkpoints' manifest `mpath` was.
fn finished_since(output: &Path, mpath: &Path) -> bool {
    let written = |p: &Path| fs::metadata(p).and_then(|m| m.modified()).ok();
    match (written(&output.join("summary.json")), written(mpath)) {
        (Some(done), Some(started)) => done >= started,
        _ => false,
    }
}

/// Fingerprint of everything in the configuration that changes results.
pub(crate) fn config_fingerprint(cfg: &Config) -> String {
    let mut v = serde_json::to_value(cfg).unwrap_or(Value::Null);
    // Neither the thread count nor how the outputs are written (overwrite,
    // format, compression, shards) changes what pass 1 computes: a run that
    // failed writing Parquet resumes as JSON Lines.
    if let Some(m) = v.as_object_mut() {
        m.remove("threads");
        m.remove("output");
    }
    let text = format!(
        "{}|{}|{}|{v}",
        crate::normalize::KEY_VERSION,
        crate::dedup::SIGNATURE_VERSION,
        VERSION
    );
    format!("{:016x}", xxhash_rust::xxh3::xxh3_64(text.as_bytes()))
}

impl Checkpoints {
    /// No checkpoints.
    pub fn disabled() -> Self {
        Checkpoints {
            dir: None,
            _lock: None,
            model: None,
        }
    }

    /// Opens (or starts) the checkpoints beside `output`, of a run analyzing
    /// with the boilerplate model of fingerprint `model`, if any (shards
    /// analyzed with another one are recomputed).
    ///
    /// # Errors
    /// [`Error::Config`] when checkpoints of a run with other inputs or another
    /// configuration are there; [`Error::Io`] on file errors.
    pub fn open(
        output: &Path,
        cfg: &Config,
        inputs: &[String],
        model: Option<u64>,
    ) -> Result<Self> {
        let dir = dir_of(output);
        let manifest = Manifest {
            version: VERSION,
            ghirbal_version: env!("CARGO_PKG_VERSION").to_owned(),
            config: config_fingerprint(cfg),
            inputs: inputs.to_vec(),
        };
        let mpath = dir.join("manifest.json");
        fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
        let lock = lock(&dir, output)?;
        if mpath.exists() {
            let text = fs::read_to_string(&mpath).map_err(|e| Error::io(&mpath, e))?;
            let old: Option<Manifest> = serde_json::from_str(&text).ok();
            if old.as_ref() != Some(&manifest) && finished_since(output, &mpath) {
                // Left by a run killed between putting its output in place and
                // removing its checkpoints: that run is done.
                fs::remove_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
                drop(lock);
                return Self::open(output, cfg, inputs, model);
            }
            if let Some(old) = old.as_ref().filter(|o| o.version != VERSION) {
                return Err(Error::Config(format!(
                    "{}: checkpoints of an interrupted run written by another ghirbal build \
                     (checkpoint format {}, this build reads {VERSION}), which cannot be resumed; \
                     delete this folder to start afresh",
                    dir.display(),
                    old.version
                )));
            }
            if old.as_ref() != Some(&manifest) {
                return Err(Error::Config(format!(
                    "{}: checkpoints of an interrupted run with other inputs or another configuration; \
                     rerun that command to resume it, or delete this folder to start afresh",
                    dir.display()
                )));
            }
        } else {
            let json = serde_json::to_string_pretty(&manifest)
                .map_err(|e| Error::io(&mpath, std::io::Error::other(e)))?;
            write_atomic(&mpath, json.as_bytes())?;
        }
        Ok(Checkpoints {
            dir: Some(dir),
            _lock: Some(lock),
            model,
        })
    }

    fn paths(&self, i: usize) -> Option<(PathBuf, PathBuf)> {
        let d = self.dir.as_ref()?;
        Some((
            d.join(format!("shard-{i:05}.bin")),
            d.join(format!("shard-{i:05}.done")),
        ))
    }

    /// Shard `i`, of the input files `files`, if a complete and intact one was
    /// saved from those files as they are now.
    ///
    /// # Errors
    /// [`Error::Io`] if a checkpoint file cannot be read.
    pub fn load(&self, i: usize, files: &[InputFile]) -> Result<Option<Shard>> {
        let Some((data, done)) = self.paths(i) else {
            return Ok(None);
        };
        let Ok(want) = fs::read_to_string(&done) else {
            return Ok(None);
        };
        if !data.exists() || fingerprint_file(&data)? != want.trim() {
            return Ok(None);
        }
        let bytes = fs::read(&data).map_err(|e| Error::io(&data, e))?;
        let bad = |what: &str| {
            Error::Invariant(format!(
                "{}: checkpoint has a valid checksum but {what}",
                data.display()
            ))
        };
        // Records, then the trailer, then its length.
        let (rest, len) = bytes
            .split_last_chunk::<4>()
            .ok_or_else(|| bad("no trailer"))?;
        let records = rest
            .len()
            .checked_sub(u32::from_le_bytes(*len) as usize)
            .ok_or_else(|| bad("no trailer"))?;
        let trailer: Trailer =
            serde_json::from_slice(&rest[records..]).map_err(|_| bad("a bad trailer"))?;
        if trailer.model != self.model || trailer.files.len() != files.len() {
            return Ok(None);
        }
        for ((name, fp), f) in trailer.files.iter().zip(files) {
            if *name != f.path.display().to_string() || *fp != fingerprint_file(f.bytes_path())? {
                return Ok(None);
            }
        }
        let mut r = Bytes(&rest[..records]);
        let paths: Vec<Arc<Path>> = files.iter().map(|f| Arc::from(f.path.as_path())).collect();
        let mut members = Vec::new();
        while !r.0.is_empty() {
            members.push(read_seen(&mut r, &paths).ok_or_else(|| bad("a bad record"))?);
        }
        Ok(Some(Shard {
            fingerprints: trailer.files.into_iter().map(|(_, fp)| fp).collect(),
            input: trailer.input,
            members,
            rejects: trailer.rejects,
            duplicates: trailer.duplicates,
            decoding: trailer.decoding,
        }))
    }

    /// Starts the shard of input `i`: records are appended as they are
    /// sketched ([`ShardWriter::append`]), so saving overlaps with the work
    /// instead of following it. A shard becomes complete only at
    /// [`ShardWriter::finish`].
    ///
    /// # Errors
    /// [`Error::Io`] if the file cannot be created.
    pub fn start(&self, i: usize, files: &[InputFile]) -> Result<ShardWriter> {
        let Some((data, done)) = self.paths(i) else {
            return Ok(ShardWriter { file: None });
        };
        let model = self.model;
        let paths = files.iter().map(|f| Arc::from(f.path.as_path())).collect();
        let tmp = data.with_extension("bin.tmp");
        let w = DirectWriter::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(ShardWriter {
            file: Some(OpenShard {
                w,
                tmp,
                data,
                done,
                hasher: crate::hash::Stream64::default(),
                size: 0,
                buf: Vec::new(),
                paths,
                at: 0,
                model,
            }),
        })
    }

    /// Removes the checkpoints once the output is in place.
    ///
    /// # Errors
    /// [`Error::Io`] if the folder cannot be removed.
    pub fn finish(self) -> Result<()> {
        match self.dir {
            Some(d) if d.exists() => fs::remove_dir_all(&d).map_err(|e| Error::io(&d, e)),
            _ => Ok(()),
        }
    }
}

/// The shard file being written (see [`Checkpoints::start`]).
pub(crate) struct ShardWriter {
    file: Option<OpenShard>,
}

struct OpenShard {
    w: DirectWriter,
    tmp: PathBuf,
    data: PathBuf,
    done: PathBuf,
    hasher: crate::hash::Stream64,
    size: u64,
    buf: Vec<u8>,
    /// The shard's input files, as records name them.
    paths: Vec<Arc<Path>>,
    /// The file of the last record appended.
    at: usize,
    /// The boilerplate model's fingerprint, for the trailer.
    model: Option<u64>,
}

impl OpenShard {
    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        self.hasher.update(bytes);
        self.size += bytes.len() as u64;
        self.w.write_all(bytes).map_err(|e| Error::io(&self.tmp, e))
    }
}

impl ShardWriter {
    /// Appends sketched records, in input order.
    ///
    /// # Errors
    /// [`Error::Io`] on write failures.
    pub fn append(&mut self, members: &[Seen]) -> Result<()> {
        let Some(f) = &mut self.file else {
            return Ok(());
        };
        let mut buf = std::mem::take(&mut f.buf);
        buf.clear();
        // Records come file by file, in the shard's order: a record's file is the
        // last one's or the next. Paths compare as bytes (`Path`'s equality parses
        // components, and a shard may hold hundreds of small files).
        let same = |i: usize, p: &Path| {
            f.paths
                .get(i)
                .is_some_and(|q| q.as_os_str() == p.as_os_str())
        };
        let mut at = f.at;
        for s in members {
            if !same(at, &s.origin.path) {
                at = if same(at + 1, &s.origin.path) {
                    at + 1
                } else {
                    (0..f.paths.len())
                        .find(|&i| same(i, &s.origin.path))
                        .ok_or_else(|| {
                            Error::Invariant(format!(
                                "{}: a record of no file of its shard",
                                s.origin
                            ))
                        })?
                };
            }
            write_seen(&mut buf, at as u32, s);
        }
        f.at = at;
        let r = f.write(&buf);
        f.buf = buf;
        r
    }

    /// Completes the shard: the trailer (its files with their fingerprints, and
    /// counts), then the checksum file that marks it complete.
    ///
    /// # Errors
    /// [`Error::Io`] on write failures.
    pub fn finish(
        self,
        files: &[InputSummary],
        input: u64,
        rejects: &[Reject],
        duplicates: &[DuplicateId],
        decoding: &[DecodeReport],
    ) -> Result<()> {
        let Some(mut f) = self.file else {
            return Ok(());
        };
        let trailer = serde_json::to_vec(&Trailer {
            files: files
                .iter()
                .map(|s| (s.path.clone(), s.fingerprint.clone()))
                .collect(),
            input,
            rejects: rejects.to_vec(),
            duplicates: duplicates.to_vec(),
            decoding: decoding.to_vec(),
            model: f.model,
        })
        .map_err(|e| Error::io(&f.tmp, std::io::Error::other(e)))?;
        f.write(&trailer)?;
        f.write(&(trailer.len() as u32).to_le_bytes())?;
        f.w.finish().map_err(|e| Error::io(&f.tmp, e))?;
        fs::rename(&f.tmp, &f.data).map_err(|e| Error::io(&f.data, e))?;
        let fp = format!("{}:{:016x}", f.size, f.hasher.digest());
        write_atomic(&f.done, fp.as_bytes())
    }
}

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

// The shard file is binary (`crate::codec`): the JSON of sketches with their
// whole shingle sets cost a quarter of a run.

fn write_seen(buf: &mut Vec<u8>, file: u32, s: &Seen) {
    let (m, info) = (&s.member, &s.info);
    put_bytes(buf, m.id.as_bytes());
    buf.extend_from_slice(&file.to_le_bytes());
    buf.extend_from_slice(&s.origin.line.to_le_bytes());
    put_sketch(buf, &m.sketch);
    buf.extend_from_slice(&m.chrome.to_le_bytes());
    put_rank(buf, m.rank.as_ref());
    buf.extend_from_slice(&info.line_hash.to_le_bytes());
    let (at, len) = info.span.unwrap_or((u64::MAX, 0));
    buf.extend_from_slice(&at.to_le_bytes());
    buf.extend_from_slice(&len.to_le_bytes());
    buf.push(u8::from(info.general) | u8::from(info.truncated) << 1);
    put_bytes(buf, info.lang.as_bytes());
    buf.extend_from_slice(&info.lang_confidence.to_le_bytes());
    buf.extend_from_slice(&info.mojibake.to_le_bytes());
}

fn read_seen(r: &mut Bytes<'_>, paths: &[Arc<Path>]) -> Option<Seen> {
    let id = r.string()?;
    let path = paths.get(r.u32()? as usize)?;
    let line = r.u64()?;
    let sketch = r.sketch()?;
    let chrome = r.u64()?;
    let rank = r.rank()?;
    let line_hash = r.u64()?;
    let (at, len) = (r.u64()?, r.u32()?);
    let flags = r.u8()?;
    let lang = crate::pipeline::lang_code(std::str::from_utf8(r.bytes()?).ok()?)?;
    let lang_confidence = f32::from_le_bytes(r.arr()?);
    let mojibake = r.u32()?;
    Some(Seen {
        member: Member {
            id,
            sketch,
            chrome,
            rank,
        },
        origin: Origin {
            path: path.clone(),
            line,
        },
        info: DocInfo {
            line_hash,
            span: (at != u64::MAX).then_some((at, len)),
            general: flags & 1 != 0,
            truncated: flags & 2 != 0,
            lang,
            lang_confidence,
            mojibake,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A large file is a shard alone, small ones are grouped up to about 1 MiB,
    /// and every file is in exactly one shard, in order.
    #[test]
    fn shards_group_small_files_only() {
        let tmp = tempfile::tempdir().unwrap();
        // 10, 10, 100, then 10 and eighteen files of 60 KiB, then 1, 64, 63.
        let mut kib = vec![10, 10, 100, 10];
        kib.extend([60; 18]);
        kib.extend([1, 64, 63]);
        let files: Vec<InputFile> = kib
            .iter()
            .enumerate()
            .map(|(i, k)| {
                let path = tmp.path().join(format!("{i:02}.jsonl"));
                fs::write(&path, vec![b'x'; k << 10]).unwrap();
                InputFile {
                    path,
                    kind: crate::io::InputKind::Jsonl,
                    text_id: None,
                    spill: None,
                }
            })
            .collect();
        let groups = shard_groups(&files);
        // 10 + 17 × 60 = 1,030 KiB closes the third shard.
        assert_eq!(groups, [0..2, 2..3, 3..21, 21..23, 23..24, 24..25]);
        assert!(shard_groups(&[]).is_empty());
    }
}
