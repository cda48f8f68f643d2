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
//! fingerprint, taken while it was read: a fresh run reads its inputs once).

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
use crate::io::{DecodeReport, fingerprint_file};
use crate::pipeline::{DocInfo, Reject, Seen};
use crate::{Error, Result};

/// Version of the checkpoint files; older ones are refused (6: survivor dates
/// are read as instants).
const VERSION: u32 = 6;

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
    file: String,
    /// The input file's fingerprint ([`fingerprint_file`]).
    fingerprint: String,
    input: u64,
    rejects: Vec<Reject>,
    decoding: Vec<DecodeReport>,
}

/// What the read-and-sketch stage produced for one input file.
pub(crate) struct Shard {
    /// The input file's fingerprint.
    pub fingerprint: String,
    /// Records read (kept, removed or rejected later).
    pub input: u64,
    /// Sketched records, in input order.
    pub members: Vec<Seen>,
    /// Rejected records.
    pub rejects: Vec<Reject>,
    /// Encoding report of the file.
    pub decoding: Vec<DecodeReport>,
}

/// The checkpoints of one output folder (or none, for runs that cannot
/// resume, such as those reading standard input).
pub(crate) struct Checkpoints {
    dir: Option<PathBuf>,
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

/// Fingerprint of everything in the configuration that changes results.
pub(crate) fn config_fingerprint(cfg: &Config) -> String {
    let mut v = serde_json::to_value(cfg).unwrap_or(Value::Null);
    // Thread count and overwrite do not change what is computed.
    if let Some(m) = v.as_object_mut() {
        m.remove("threads");
        if let Some(o) = m.get_mut("output").and_then(Value::as_object_mut) {
            o.remove("overwrite");
        }
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
        Checkpoints { dir: None }
    }

    /// Opens (or starts) the checkpoints beside `output`.
    ///
    /// # Errors
    /// [`Error::Config`] when checkpoints of a run with other inputs or another
    /// configuration are there; [`Error::Io`] on file errors.
    pub fn open(output: &Path, cfg: &Config, inputs: &[String]) -> Result<Self> {
        let dir = dir_of(output);
        let manifest = Manifest {
            version: VERSION,
            ghirbal_version: env!("CARGO_PKG_VERSION").to_owned(),
            config: config_fingerprint(cfg),
            inputs: inputs.to_vec(),
        };
        let mpath = dir.join("manifest.json");
        if mpath.exists() {
            let text = fs::read_to_string(&mpath).map_err(|e| Error::io(&mpath, e))?;
            let old: Option<Manifest> = serde_json::from_str(&text).ok();
            if old.as_ref() != Some(&manifest) {
                return Err(Error::Config(format!(
                    "{}: checkpoints of an interrupted run with other inputs or another configuration; \
                     rerun that command to resume it, or delete this folder to start afresh",
                    dir.display()
                )));
            }
        } else {
            fs::create_dir_all(&dir).map_err(|e| Error::io(&dir, e))?;
            let json = serde_json::to_string_pretty(&manifest)
                .map_err(|e| Error::io(&mpath, std::io::Error::other(e)))?;
            write_atomic(&mpath, json.as_bytes())?;
        }
        Ok(Checkpoints { dir: Some(dir) })
    }

    fn paths(&self, i: usize) -> Option<(PathBuf, PathBuf)> {
        let d = self.dir.as_ref()?;
        Some((
            d.join(format!("shard-{i:05}.bin")),
            d.join(format!("shard-{i:05}.done")),
        ))
    }

    /// The shard of input `i`, if a complete and intact one was saved from
    /// the file as it is now.
    ///
    /// # Errors
    /// [`Error::Io`] if a checkpoint file cannot be read.
    pub fn load(&self, i: usize, file: &Path) -> Result<Option<Shard>> {
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
        if trailer.file != file.display().to_string()
            || trailer.fingerprint != fingerprint_file(file)?
        {
            return Ok(None);
        }
        let mut r = Bytes(&rest[..records]);
        let path: Arc<Path> = Arc::from(file);
        let mut members = Vec::new();
        while !r.0.is_empty() {
            members.push(read_seen(&mut r, &path).ok_or_else(|| bad("a bad record"))?);
        }
        Ok(Some(Shard {
            fingerprint: trailer.fingerprint,
            input: trailer.input,
            members,
            rejects: trailer.rejects,
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
    pub fn start(&self, i: usize) -> Result<ShardWriter> {
        let Some((data, done)) = self.paths(i) else {
            return Ok(ShardWriter { file: None });
        };
        let tmp = data.with_extension("bin.tmp");
        let w = DirectWriter::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        Ok(ShardWriter {
            file: Some(OpenShard {
                w,
                tmp,
                data,
                done,
                hasher: xxhash_rust::xxh3::Xxh3::new(),
                size: 0,
                buf: Vec::new(),
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
    hasher: xxhash_rust::xxh3::Xxh3,
    size: u64,
    buf: Vec<u8>,
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
        for s in members {
            write_seen(&mut buf, s);
        }
        let r = f.write(&buf);
        f.buf = buf;
        r
    }

    /// Completes the shard: the trailer (the file's name, fingerprint and counts), then the
    /// checksum file that marks it complete.
    ///
    /// # Errors
    /// [`Error::Io`] on write failures.
    pub fn finish(
        self,
        file: &Path,
        fingerprint: &str,
        input: u64,
        rejects: &[Reject],
        decoding: &[DecodeReport],
    ) -> Result<()> {
        let Some(mut f) = self.file else {
            return Ok(());
        };
        let trailer = serde_json::to_vec(&Trailer {
            file: file.display().to_string(),
            fingerprint: fingerprint.to_owned(),
            input,
            rejects: rejects.to_vec(),
            decoding: decoding.to_vec(),
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

fn write_seen(buf: &mut Vec<u8>, s: &Seen) {
    let (m, info) = (&s.member, &s.info);
    put_bytes(buf, m.id.as_bytes());
    buf.extend_from_slice(&s.origin.line.to_le_bytes());
    put_sketch(buf, &m.sketch);
    buf.extend_from_slice(&m.chrome.to_le_bytes());
    put_rank(buf, m.rank.as_ref());
    buf.extend_from_slice(&info.line_hash.to_le_bytes());
    buf.push(u8::from(info.general) | u8::from(info.truncated) << 1);
    put_bytes(buf, info.lang.as_bytes());
    buf.extend_from_slice(&info.lang_confidence.to_le_bytes());
    buf.extend_from_slice(&info.mojibake.to_le_bytes());
}

fn read_seen(r: &mut Bytes<'_>, path: &Arc<Path>) -> Option<Seen> {
    let id = r.string()?;
    let line = r.u64()?;
    let sketch = r.sketch()?;
    let chrome = r.u64()?;
    let rank = r.rank()?;
    let line_hash = r.u64()?;
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
            general: flags & 1 != 0,
            truncated: flags & 2 != 0,
            lang,
            lang_confidence,
            mojibake,
        },
    })
}
