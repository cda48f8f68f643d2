//! The `dedup` job: read inputs, sketch, cluster, write the output folder.
//!
//! Two passes over the inputs: the first computes a small sketch per document
//! (in parallel batches, in input order), the second copies the kept records.
//! Standard input is spilled to a file first so that it can be read twice.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::clean::Cleaner;
use crate::config::{Config, OnError};
use crate::dedup::audit::{Audit, write_audit};
use crate::dedup::{Member, RankValue, Reason, Sketcher, Survivor, Verdict, cluster_report};
use crate::document::{Document, Origin};
use crate::io::{InputFile, JsonlWriter, OutputDir, Reader, fingerprint_file, list_inputs};
use crate::normalize::{KEY_VERSION, Normalizer};
use crate::{Error, Result};

/// Version of the output contract (see SCHEMA.md).
pub const SCHEMA_VERSION: &str = "1.0";

/// The key under which ghirbal adds its fields to a kept record.
pub const OUR_KEY: &str = "ghirbal";

const BATCH: usize = 2048;

/// Counts of one run. `input == kept + removed + rejected` always holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Counts {
    /// Records read (including the rejected ones).
    pub input: u64,
    /// Records kept.
    pub kept: u64,
    /// Records removed as duplicates.
    pub removed: u64,
    /// Records rejected as unreadable.
    pub rejected: u64,
    /// Removed records by reason.
    pub removed_by_reason: BTreeMap<String, u64>,
    /// Clusters with more than one member.
    pub duplicate_clusters: u64,
}

/// One input file as recorded in the summary.
#[derive(Clone, Debug, Serialize)]
pub struct InputSummary {
    /// The path as given.
    pub path: String,
    /// `"<bytes>:<xxh3-64 hex>"` of the file's bytes.
    pub fingerprint: String,
}

/// The content of `summary.json`.
#[derive(Clone, Debug, Serialize)]
pub struct Summary {
    /// Output contract version.
    pub schema_version: &'static str,
    /// ghirbal version.
    pub ghirbal_version: &'static str,
    /// Version of the key normalization profile.
    pub key_version: u32,
    /// Version of the MinHash signature scheme (`dedup::SIGNATURE_VERSION`).
    pub signature_version: u32,
    /// The fully resolved configuration.
    pub config: Config,
    /// Normalization steps actually run for keys.
    pub key_steps: Vec<String>,
    /// LSH bands and rows used.
    pub lsh: Option<(usize, usize)>,
    /// Inputs and their fingerprints.
    pub inputs: Vec<InputSummary>,
    /// Record accounting.
    pub counts: Counts,
    /// Seconds per stage.
    pub timings: BTreeMap<String, f64>,
}

/// A rejected record, as written to `rejects.jsonl`.
#[derive(Clone, Debug, Serialize)]
pub struct Reject {
    /// Input file.
    pub file: String,
    /// 1-based line (0 for a whole file).
    pub line: u64,
    /// Byte offset, where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub offset: Option<u64>,
    /// Why.
    pub reason: String,
}

impl Reject {
    fn from_error(e: &Error) -> Option<Reject> {
        match e {
            Error::Record { path, line, reason } => Some(Reject {
                file: path.display().to_string(),
                line: *line,
                offset: None,
                reason: reason.clone(),
            }),
            Error::Data {
                path,
                offset,
                reason,
            } => Some(Reject {
                file: path.display().to_string(),
                line: 0,
                offset: Some(*offset),
                reason: reason.clone(),
            }),
            _ => None,
        }
    }
}

/// One line of `clusters.jsonl`.
#[derive(Clone, Debug, Serialize)]
pub struct ClusterLine<'a> {
    /// Document id.
    pub id: &'a str,
    /// Canonical cluster id: the smallest member id.
    pub cluster: &'a str,
    /// Kept or removed.
    pub kept: bool,
    /// Id of the kept document this one duplicates.
    pub duplicate_of: Option<&'a str>,
    /// Why.
    pub reason: Reason,
    /// Similarity to the survivor.
    pub similarity: f64,
    /// `file:line` of the record.
    pub source: String,
}

/// Everything pass 1 keeps about a document.
struct Seen {
    member: Member,
    origin: Origin,
}

/// Per-document work shared by the dedup job and the in-memory API: cleaning,
/// key normalization and sketching.
pub struct Analyzer {
    cleaner: Option<Cleaner>,
    key: Normalizer,
    sketcher: Sketcher,
    rank_field: Option<(String, String)>,
}

impl Analyzer {
    /// Builds the analyzer for a configuration.
    ///
    /// # Errors
    /// [`Error::Config`] if any section is invalid.
    pub fn new(cfg: &Config) -> Result<Self> {
        cfg.validate()?;
        let rank_field = match &cfg.dedup.survivor {
            Survivor::Earliest(f) | Survivor::Highest(f) => {
                Some((f.clone(), cfg.input.text_field.clone()))
            }
            _ => None,
        };
        Ok(Analyzer {
            cleaner: cfg
                .clean
                .enabled
                .then(|| Cleaner::new(&cfg.clean))
                .transpose()?,
            key: Normalizer::new(&cfg.normalize)?,
            sketcher: Sketcher::new(&cfg.dedup)?,
            rank_field,
        })
    }

    /// The key normalizer.
    pub fn normalizer(&self) -> &Normalizer {
        &self.key
    }

    /// The sketcher.
    pub fn sketcher(&self) -> &Sketcher {
        &self.sketcher
    }

    /// Analyzes one document into a clustering [`Member`].
    pub fn member(&self, doc: &Document) -> Member {
        let (key, chrome) = self.key(doc);
        let sketch = self.sketcher.sketch_local(&key);
        let rank = self
            .rank_field
            .as_ref()
            .and_then(|(f, _)| rank_value(doc, f));
        Member {
            id: doc.id.clone(),
            sketch,
            chrome,
            rank,
        }
    }

    /// The key text of a document (cleaned, then key-normalized) and the number
    /// of characters cleaning removed.
    pub fn key(&self, doc: &Document) -> (String, u64) {
        let (text, chrome) = match &self.cleaner {
            Some(c) => {
                let cuts = c.cuts(&doc.text);
                let removed: usize = cuts
                    .iter()
                    .map(|c| doc.text[c.start..c.end].chars().count())
                    .sum();
                (
                    std::borrow::Cow::Owned(crate::clean::apply(&doc.text, &cuts)),
                    removed as u64,
                )
            }
            None => (std::borrow::Cow::Borrowed(doc.text.as_str()), 0),
        };
        (self.key.normalize(&text).into_owned(), chrome)
    }
}

fn rank_value(doc: &Document, field: &str) -> Option<RankValue> {
    let raw = doc.raw.as_ref()?;
    let v: Value = serde_json::from_str(raw).ok()?;
    match v.get(field)? {
        Value::Number(n) => n.as_f64().map(RankValue::Num),
        Value::String(s) => Some(RankValue::Str(s.clone())),
        _ => None,
    }
}

/// Progress callback: called with the number of records read so far.
pub type Progress<'a> = &'a (dyn Fn(u64) + Sync);

/// Runs the dedup job on `inputs`, writing `output` atomically.
///
/// # Errors
/// [`Error::OutputExists`], I/O errors, and under `on_error = fail` the first bad
/// record ([`Error::Record`] / [`Error::Data`]).
pub fn run_dedup(
    inputs: &[PathBuf],
    output: &Path,
    cfg: &Config,
    progress: Option<Progress<'_>>,
) -> Result<Summary> {
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(cfg.threads)
        .build()
        .map_err(|e| Error::Config(format!("cannot start {} threads: {e}", cfg.threads)))?;
    pool.install(|| run_dedup_inner(inputs, output, cfg, progress))
}

fn run_dedup_inner(
    inputs: &[PathBuf],
    output: &Path,
    cfg: &Config,
    progress: Option<Progress<'_>>,
) -> Result<Summary> {
    let t0 = Instant::now();
    let mut timings = BTreeMap::new();
    let analyzer = Analyzer::new(cfg)?;
    let out = OutputDir::create(output, cfg.output.overwrite)?;

    let mut files = list_inputs(inputs)?;
    if files.is_empty() {
        return Err(Error::Config("no input files found".into()));
    }
    spill_stdin(&mut files, &out)?;
    let mut input_summaries = Vec::new();
    for f in &files {
        input_summaries.push(InputSummary {
            path: f.path.display().to_string(),
            fingerprint: fingerprint_file(&f.path)?,
        });
    }

    // Pass 1: sketch every record, in input order, in parallel batches.
    let mut counts = Counts::default();
    let mut seen: Vec<Seen> = Vec::new();
    let mut rejects: Vec<Reject> = Vec::new();
    let mut first_seen: HashMap<String, Origin> = HashMap::new();
    let mut reader = Reader::new(files.clone(), cfg.input.clone());
    let mut batch: Vec<Document> = Vec::with_capacity(BATCH);
    loop {
        batch.clear();
        let mut done = false;
        while batch.len() < BATCH {
            match reader.next() {
                None => {
                    done = true;
                    break;
                }
                Some(Ok(doc)) => {
                    counts.input += 1;
                    if let Some(first) = first_seen.get(&doc.id) {
                        let e = Error::Record {
                            path: doc.origin.path.to_path_buf(),
                            line: doc.origin.line,
                            reason: format!("duplicate id {:?}, first seen at {first}", doc.id),
                        };
                        reject(e, cfg.on_error, &mut rejects)?;
                        continue;
                    }
                    first_seen.insert(doc.id.clone(), doc.origin.clone());
                    batch.push(doc);
                }
                Some(Err(e)) => {
                    if matches!(e, Error::Record { .. }) {
                        counts.input += 1;
                    } else if !matches!(e, Error::Data { .. }) {
                        return Err(e);
                    }
                    reject(e, cfg.on_error, &mut rejects)?;
                }
            }
        }
        let members: Vec<Member> = batch.par_iter().map(|d| analyzer.member(d)).collect();
        for (doc, member) in batch.drain(..).zip(members) {
            seen.push(Seen {
                member,
                origin: doc.origin,
            });
        }
        if let Some(p) = progress {
            p(counts.input);
        }
        if done {
            break;
        }
    }
    drop(first_seen);
    timings.insert("read_and_sketch".into(), t0.elapsed().as_secs_f64());

    // Cluster.
    let t1 = Instant::now();
    // Members move out and back (no copy of every sketch at peak memory).
    let (members, origins): (Vec<Member>, Vec<Origin>) =
        seen.into_iter().map(|s| (s.member, s.origin)).unzip();
    let (verdicts, report) = cluster_report(&members, &cfg.dedup);
    let mut audit = Audit::new(&members, &verdicts, &report, &cfg.dedup);
    drop(report);
    let seen: Vec<Seen> = members
        .into_iter()
        .zip(origins)
        .map(|(member, origin)| Seen { member, origin })
        .collect();
    timings.insert("cluster".into(), t1.elapsed().as_secs_f64());

    // Outputs.
    let t2 = Instant::now();
    write_clusters(&out.file("clusters.jsonl"), &seen, &verdicts)?;
    let mut rj = JsonlWriter::create(&out.file("rejects.jsonl"))?;
    for r in &rejects {
        rj.write(r)?;
    }
    rj.finish()?;
    // The second pass also gives the audit the texts of its sampled clusters.
    let mut observe = |i: usize, doc: &Document| {
        if audit.wants(i) {
            let (key, _) = analyzer.key(doc);
            audit.observe(i, analyzer.sketcher().shingle_set(&key));
        }
    };
    let kept_written = write_kept(&files, cfg, &out, &seen, &verdicts, &mut observe)?;
    audit.finish();
    write_audit(&out.file("audit.json"), &audit)?;
    timings.insert("write".into(), t2.elapsed().as_secs_f64());

    counts.rejected = rejects.len() as u64;
    for v in &verdicts {
        if v.kept {
            counts.kept += 1;
            if v.reason == Reason::Survivor {
                counts.duplicate_clusters += 1;
            }
        } else {
            counts.removed += 1;
            let name = serde_json::to_value(v.reason)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default();
            *counts.removed_by_reason.entry(name).or_default() += 1;
        }
    }
    if counts.input != counts.kept + counts.removed + counts.rejected || kept_written != counts.kept
    {
        return Err(Error::Invariant(format!(
            "accounting: input {} != kept {} + removed {} + rejected {} (kept written: {kept_written})",
            counts.input, counts.kept, counts.removed, counts.rejected
        )));
    }
    timings.insert("total".into(), t0.elapsed().as_secs_f64());
    let summary = Summary {
        schema_version: SCHEMA_VERSION,
        ghirbal_version: env!("CARGO_PKG_VERSION"),
        key_version: KEY_VERSION,
        signature_version: crate::dedup::SIGNATURE_VERSION,
        config: cfg.clone(),
        key_steps: analyzer
            .normalizer()
            .steps()
            .iter()
            .map(|s| s.name().to_owned())
            .collect(),
        lsh: (!cfg.dedup.exact_only).then(|| crate::dedup::lsh_bands(&cfg.dedup)),
        inputs: input_summaries,
        counts,
        timings,
    };
    let path = out.file("summary.json");
    let json = serde_json::to_string_pretty(&summary)
        .map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
    std::fs::write(&path, json + "\n").map_err(|e| Error::io(&path, e))?;
    // The spilled copy of stdin is not part of the output.
    let _ = std::fs::remove_file(out.file(STDIN_SPILL));
    out.commit()?;
    Ok(summary)
}

fn reject(e: Error, on_error: OnError, rejects: &mut Vec<Reject>) -> Result<()> {
    match (on_error, Reject::from_error(&e)) {
        (OnError::Skip, Some(r)) => {
            rejects.push(r);
            Ok(())
        }
        _ => Err(e),
    }
}

const STDIN_SPILL: &str = "stdin.jsonl";

fn spill_stdin(files: &mut [InputFile], out: &OutputDir) -> Result<()> {
    for f in files.iter_mut().filter(|f| f.path.as_os_str() == "-") {
        let dest = out.file(STDIN_SPILL);
        let mut w = std::fs::File::create(&dest).map_err(|e| Error::io(&dest, e))?;
        std::io::copy(&mut std::io::stdin().lock(), &mut w).map_err(|e| Error::io("-", e))?;
        f.path = dest;
    }
    Ok(())
}

fn write_clusters(path: &Path, seen: &[Seen], verdicts: &[Verdict]) -> Result<()> {
    let mut order: Vec<usize> = (0..seen.len()).collect();
    order.sort_unstable_by(|&a, &b| seen[a].member.id.cmp(&seen[b].member.id));
    let mut w = JsonlWriter::create(path)?;
    for i in order {
        let v = &verdicts[i];
        w.write(&ClusterLine {
            id: &seen[i].member.id,
            cluster: &seen[v.cluster].member.id,
            kept: v.kept,
            duplicate_of: v.duplicate_of.map(|d| seen[d].member.id.as_str()),
            reason: v.reason,
            similarity: (v.similarity * 1e4).round() / 1e4,
            source: seen[i].origin.to_string(),
        })?;
    }
    w.finish()
}

/// Pass 2: copy the kept records, in input order, losslessly.
fn write_kept(
    files: &[InputFile],
    cfg: &Config,
    out: &OutputDir,
    seen: &[Seen],
    verdicts: &[Verdict],
    on_doc: &mut dyn FnMut(usize, &Document),
) -> Result<u64> {
    let mut sizes: HashMap<usize, u64> = HashMap::new();
    for v in verdicts {
        *sizes.entry(v.cluster).or_default() += 1;
    }
    let ext = if cfg.output.compress {
        "jsonl.zst"
    } else {
        "jsonl"
    };
    let shard_name = |k: usize| match cfg.output.shard_size {
        Some(_) => format!("kept-{k:05}.{ext}"),
        None => format!("kept.{ext}"),
    };
    let mut shard = 0;
    let mut shard_bytes = 0u64;
    let mut w = JsonlWriter::create(&out.file(&shard_name(shard)))?;
    let mut written = 0u64;
    let mut next = 0usize; // index into `seen`, advanced for each document read
    for item in Reader::new(files.to_vec(), cfg.input.clone()) {
        let Ok(doc) = item else { continue };
        let Some(s) = seen.get(next) else {
            return Err(Error::Invariant(
                "input changed during the run (more records)".into(),
            ));
        };
        if s.member.id != doc.id || s.origin != doc.origin {
            // A duplicate-id reject: it was not analyzed in pass 1.
            if s.origin != doc.origin {
                continue;
            }
            return Err(Error::Invariant(format!(
                "input changed during the run at {}",
                doc.origin
            )));
        }
        on_doc(next, &doc);
        let v = &verdicts[next];
        next += 1;
        if !v.kept {
            continue;
        }
        let ours = serde_json::json!({
            "cluster": seen[v.cluster].member.id,
            "cluster_size": sizes.get(&v.cluster).copied().unwrap_or(1),
        });
        let line = with_our_key(&doc, &cfg.input.id_field, &cfg.input.text_field, &ours);
        if let Some(limit) = cfg.output.shard_size {
            if shard_bytes > 0 && shard_bytes + line.len() as u64 > limit {
                w.finish()?;
                shard += 1;
                shard_bytes = 0;
                w = JsonlWriter::create(&out.file(&shard_name(shard)))?;
            }
        }
        shard_bytes += line.len() as u64 + 1;
        w.write_raw(&line)?;
        written += 1;
    }
    w.finish()?;
    if next != seen.len() {
        return Err(Error::Invariant(
            "input changed during the run (fewer records)".into(),
        ));
    }
    Ok(written)
}

/// The record as read, with our fields added under [`OUR_KEY`] at the end.
/// The original bytes are kept as they are unless the record already has our key.
fn with_our_key(doc: &Document, id_field: &str, text_field: &str, ours: &Value) -> String {
    let ours_json = ours.to_string();
    match &doc.raw {
        Some(raw) => {
            let trimmed = raw.trim_end();
            let has_ours = serde_json::from_str::<serde_json::Map<String, Value>>(trimmed)
                .map(|m| m.contains_key(OUR_KEY))
                .unwrap_or(false);
            if !has_ours && trimmed.ends_with('}') {
                let body = &trimmed[..trimmed.len() - 1];
                let sep = if body.trim_end().ends_with('{') {
                    ""
                } else {
                    ","
                };
                format!("{body}{sep}\"{OUR_KEY}\":{ours_json}}}")
            } else {
                let mut m: serde_json::Map<String, Value> =
                    serde_json::from_str(trimmed).unwrap_or_default();
                m.insert(OUR_KEY.into(), ours.clone());
                Value::Object(m).to_string()
            }
        }
        None => {
            let mut m = serde_json::Map::new();
            m.insert(id_field.into(), Value::String(doc.id.clone()));
            m.insert(text_field.into(), Value::String(doc.text.clone()));
            m.insert(OUR_KEY.into(), ours.clone());
            Value::Object(m).to_string()
        }
    }
}
