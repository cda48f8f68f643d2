//! Resumable runs: per-input-file ("shard") checkpoints of the read-and-sketch
//! stage, the expensive one.
//!
//! They live in `.NAME.ckpt/` beside the output folder `NAME`, survive a crash
//! and are removed once the output is in place. `manifest.json` holds the
//! fingerprints of the inputs and of the configuration; a later run with
//! other inputs or another configuration is refused rather than mixed.
//! A shard is complete when `shard-NNNNN.done` exists and names the size and
//! xxh3 checksum of `shard-NNNNN.jsonl`; each file is written under a
//! temporary name and renamed, so a kill leaves no half-written shard that
//! looks complete. A shard whose checksum does not match is recomputed.

use std::fs;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::Config;
use crate::dedup::{Member, RankValue, Sketch};
use crate::document::Origin;
use crate::io::{DecodeReport, JsonlWriter, fingerprint_file};
use crate::pipeline::Reject;
use crate::{Error, Result};

/// Version of the checkpoint files; older ones are refused.
const VERSION: u32 = 1;

#[derive(Debug, PartialEq, Serialize, Deserialize)]
struct Manifest {
    version: u32,
    ghirbal_version: String,
    config: String,
    inputs: Vec<(String, String)>,
}

/// First line of a shard file.
#[derive(Serialize, Deserialize)]
struct Header {
    file: String,
    input: u64,
    rejects: Vec<Reject>,
    decoding: Vec<DecodeReport>,
}

/// What the read-and-sketch stage produced for one input file.
pub(crate) struct Shard {
    /// Records read (kept, removed or rejected later).
    pub input: u64,
    /// Sketched records with their origin, in input order.
    pub members: Vec<(Member, Origin)>,
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
fn config_fingerprint(cfg: &Config) -> String {
    let mut v = serde_json::to_value(cfg).unwrap_or(Value::Null);
    // Thread count and overwrite do not change what is computed.
    if let Some(m) = v.as_object_mut() {
        m.remove("threads");
        if let Some(o) = m.get_mut("output").and_then(Value::as_object_mut) {
            o.remove("overwrite");
        }
    }
    let text = format!("{}|{}|{v}", crate::normalize::KEY_VERSION, VERSION);
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
    pub fn open(output: &Path, cfg: &Config, inputs: &[(String, String)]) -> Result<Self> {
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
            d.join(format!("shard-{i:05}.jsonl")),
            d.join(format!("shard-{i:05}.done")),
        ))
    }

    /// The shard of input `i`, if a complete and intact one was saved.
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
        let f = fs::File::open(&data).map_err(|e| Error::io(&data, e))?;
        let mut lines = BufReader::new(f).lines();
        let bad = |what: &str| {
            Error::Invariant(format!(
                "{}: checkpoint has a valid checksum but {what}",
                data.display()
            ))
        };
        let head = lines
            .next()
            .transpose()
            .map_err(|e| Error::io(&data, e))?
            .ok_or_else(|| bad("no header"))?;
        let head: Header = serde_json::from_str(&head).map_err(|_| bad("a bad header"))?;
        if head.file != file.display().to_string() {
            return Ok(None);
        }
        let path: Arc<Path> = Arc::from(file);
        let mut members = Vec::new();
        for line in lines {
            let line = line.map_err(|e| Error::io(&data, e))?;
            let v: Value = serde_json::from_str(&line).map_err(|_| bad("a bad record"))?;
            members.push(member_from_json(&v, &path).ok_or_else(|| bad("a bad record"))?);
        }
        Ok(Some(Shard {
            input: head.input,
            members,
            rejects: head.rejects,
            decoding: head.decoding,
        }))
    }

    /// Saves the shard of input `i`.
    ///
    /// # Errors
    /// [`Error::Io`] on write failures.
    pub fn save<'a>(
        &self,
        i: usize,
        file: &Path,
        input: u64,
        members: impl Iterator<Item = (&'a Member, &'a Origin)>,
        rejects: &[Reject],
        decoding: &[DecodeReport],
    ) -> Result<()> {
        let Some((data, done)) = self.paths(i) else {
            return Ok(());
        };
        let tmp = data.with_extension("jsonl.tmp");
        let mut w = JsonlWriter::create(&tmp)?;
        w.write(&Header {
            file: file.display().to_string(),
            input,
            rejects: rejects.to_vec(),
            decoding: decoding.to_vec(),
        })?;
        for (m, o) in members {
            w.write(&member_to_json(m, o))?;
        }
        w.finish()?;
        fs::rename(&tmp, &data).map_err(|e| Error::io(&data, e))?;
        write_atomic(&done, fingerprint_file(&data)?.as_bytes())
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

fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let tmp = path.with_extension("tmp");
    fs::write(&tmp, bytes).map_err(|e| Error::io(&tmp, e))?;
    fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
}

fn member_to_json(m: &Member, o: &Origin) -> Value {
    let rank = match &m.rank {
        None => Value::Null,
        Some(RankValue::Num(x)) => json!({ "num": x }),
        Some(RankValue::Str(s)) => json!({ "str": s }),
    };
    json!({
        "id": m.id,
        "line": o.line,
        "exact": format!("{:032x}", m.sketch.exact),
        "sig": m.sketch.sig,
        "numbers": m.sketch.numbers,
        "anchors": m.sketch.anchors,
        "set": m.sketch.set,
        "shingles": m.sketch.shingles,
        "chars": m.sketch.chars,
        "chrome": m.chrome,
        "rank": rank,
    })
}

fn u32s(v: &Value) -> Option<Box<[u32]>> {
    v.as_array()?
        .iter()
        .map(|x| x.as_u64().and_then(|x| u32::try_from(x).ok()))
        .collect()
}

fn member_from_json(v: &Value, path: &Arc<Path>) -> Option<(Member, Origin)> {
    let rank = match &v["rank"] {
        Value::Null => None,
        r => match (r.get("num"), r.get("str")) {
            (Some(x), _) => Some(RankValue::Num(x.as_f64()?)),
            (_, Some(s)) => Some(RankValue::Str(s.as_str()?.to_owned())),
            _ => return None,
        },
    };
    let member = Member {
        id: v["id"].as_str()?.to_owned(),
        sketch: Sketch {
            exact: u128::from_str_radix(v["exact"].as_str()?, 16).ok()?,
            sig: u32s(&v["sig"])?,
            shingles: u32::try_from(v["shingles"].as_u64()?).ok()?,
            chars: v["chars"].as_u64()?,
            numbers: u32s(&v["numbers"])?,
            anchors: u32s(&v["anchors"])?,
            set: u32s(&v["set"])?,
        },
        chrome: v["chrome"].as_u64()?,
        rank,
    };
    let origin = Origin {
        path: path.clone(),
        line: v["line"].as_u64()?,
    };
    Some((member, origin))
}
