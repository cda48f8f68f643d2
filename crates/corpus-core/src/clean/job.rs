//! The `clean` job: cut page chrome and boilerplate, write the output folder.
//!
//! Pass 1 (only when the corpus-level stage is on) counts line hashes per
//! group; pass 2 cuts and writes. Standard input is spilled to a file in the
//! output folder first so that it can be read twice; compressed files are simply
//! decompressed twice.
//!
//! Outputs (atomically, like the dedup job):
//! * `kept.jsonl` — every record that still has text, in input order, with the
//!   text field replaced by the cleaned text and every other byte of the record
//!   unchanged (plain-text inputs become `{"id", "text"}`);
//! * `removed.jsonl` — one line per cut: `{"id", "rule", "start", "end", "text"}`
//!   with `[start, end)` in code points of the original text;
//! * `emptied.jsonl` — documents that cleaning left without text, with the reason;
//! * `rejects.jsonl` — unreadable records; `summary.json` — counts per rule.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::boilerplate::{BoilerplateCounter, BoilerplateModel, DocumentLines, GroupStats};
use super::passages::{Passage, PassageCounter, PassageModel, PassageStats};
use super::{Cleaner, Cut, apply};
use crate::config::Config;
use crate::document::{Document, Origin};
use crate::io::{InputConfig, InputFile, JsonlWriter, KeptFormat, KeptJsonl, OutputDir, Reader};
use crate::normalize::{NormalizeConfig, Normalizer};
use crate::pipeline::{
    InputSummary, Intake, Progress, Reject, SCHEMA_VERSION, duplicate_id, read_ahead, reject,
    spill_stdin,
};
use crate::{Error, Result};

const BATCH: usize = 2048;

/// Counts of one `clean` run. `input == kept + emptied + rejected` always holds.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct CleanCounts {
    /// Records read (including the rejected ones).
    pub input: u64,
    /// Records written to `kept.jsonl`.
    pub kept: u64,
    /// Records whose whole text was cut (listed in `emptied.jsonl`).
    pub emptied: u64,
    /// Records rejected as unreadable.
    pub rejected: u64,
    /// Records with at least one cut.
    pub changed: u64,
    /// Cuts per rule.
    pub cuts_by_rule: BTreeMap<String, u64>,
    /// Code points removed per rule.
    pub chars_removed_by_rule: BTreeMap<String, u64>,
    /// Code points read (text fields only).
    pub chars_in: u64,
    /// Code points removed.
    pub chars_removed: u64,
}

/// The content of `summary.json` for the `clean` job.
#[derive(Clone, Debug, Serialize)]
pub struct CleanSummary {
    /// Output contract version.
    pub schema_version: &'static str,
    /// ghirbal version.
    pub ghirbal_version: &'static str,
    /// The job (`clean`).
    pub job: &'static str,
    /// The fully resolved configuration.
    pub config: Config,
    /// Inputs and their fingerprints.
    pub inputs: Vec<InputSummary>,
    /// Per input file: its encoding, how it was decided, bytes replaced and
    /// texts truncated (empty for documents handed over in memory).
    pub decoding: Vec<crate::io::DecodeReport>,
    /// What the boilerplate pass learnt, per group (empty when it did not run).
    pub boilerplate_groups: Vec<GroupStats>,
    /// What the repeated-passage count found (when `clean.passages` is on).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub passages: Option<PassageStats>,
    /// Record accounting.
    pub counts: CleanCounts,
    /// (1.7) Likely mistakes the inputs point at: an id or group field no
    /// record has, files in the input folders that look like data but are not
    /// read; empty when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Seconds per stage.
    pub timings: BTreeMap<String, f64>,
}

/// One line of `removed.jsonl`.
#[derive(Serialize)]
struct RemovedLine<'a> {
    id: &'a str,
    rule: &'static str,
    start: u64,
    end: u64,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    duplicate_of: Option<&'a str>,
}

/// One line of `emptied.jsonl`.
#[derive(Serialize)]
struct EmptiedLine<'a> {
    id: &'a str,
    source: String,
    reason: String,
    rules: Vec<&'a str>,
}

/// The result of cleaning one document.
struct Cleaned {
    cuts: Vec<Cut>,
    /// Per cut: the document that keeps the text cut (repeated passages only).
    duplicate_of: Vec<Option<Arc<str>>>,
    text: String,
}

/// The span of each cut of `text` in code points, and the text's length in code
/// points, from one walk.
fn char_spans(text: &str, cuts: &[Cut]) -> (Vec<(u64, u64)>, u64) {
    let mut out = Vec::with_capacity(cuts.len());
    let mut byte = 0;
    let mut chars = 0u64;
    for c in cuts {
        chars += text[byte..c.start].chars().count() as u64;
        let len = text[c.start..c.end].chars().count() as u64;
        out.push((chars, chars + len));
        chars += len;
        byte = c.end;
    }
    (out, chars + text[byte..].chars().count() as u64)
}

/// Runs the `clean` job on `inputs`, writing `output` atomically.
///
/// # Errors
/// [`Error::OutputExists`], I/O errors, [`Error::Config`], and under
/// `on_error = fail` the first bad record ([`Error::Record`] / [`Error::Data`]).
pub fn run_clean(
    inputs: &[PathBuf],
    output: &Path,
    cfg: &Config,
    progress: Option<Progress<'_>>,
) -> Result<CleanSummary> {
    cfg.in_pool(|| run_clean_inner(inputs, output, cfg, progress))
}

/// Reads every record of `reader` and runs `work` on each readable one on the
/// pool, JSON parsing included, while the next batch is read. `take` gets each
/// record (its document or error, and `work`'s result) in input order; texts
/// truncated under `oversize = "truncate"` are counted into the reader's reports.
fn for_records<R: Send>(
    reader: &mut Reader,
    input: &InputConfig,
    work: impl Fn(&Document) -> R + Sync,
    mut take: impl FnMut(Result<Document>, Option<R>) -> Result<()> + Send,
) -> Result<()> {
    let mut truncated = Vec::new();
    read_ahead(
        || Ok(reader.next_pending_batch(BATCH)),
        |p| {
            let (doc, cut) = p.finish(input);
            let r = doc.as_ref().ok().map(&work);
            (doc, r, cut)
        },
        |done| {
            for (doc, r, cut) in done {
                if let (true, Ok(d)) = (cut, &doc) {
                    truncated.push(d.origin.path.clone());
                }
                take(doc, r)?;
            }
            Ok(())
        },
    )?;
    for path in truncated {
        reader.add_truncated(&path, 1);
    }
    Ok(())
}

/// Pass 1 of the corpus-level stage: the boilerplate model of `files` (read
/// once; unreadable records are skipped here and dealt with by the caller's
/// own pass). Runs in the current rayon pool.
pub(crate) fn count_files(
    files: &[InputFile],
    cfg: &Config,
    cleaner: &Cleaner,
    progress: Option<Progress<'_>>,
) -> Result<BoilerplateModel> {
    let bp = &cfg.clean.boilerplate;
    let mut counter = BoilerplateCounter::new(bp);
    let mut reader = Reader::new(files.to_vec(), cfg.input.clone()).raw_fields(&cfg.raw_fields());
    let mut n = 0u64;
    for_records(
        &mut reader,
        &cfg.input,
        |d| bp.document_lines(cleaner, d),
        |_, lines| {
            n += 1;
            counted(progress, n)?;
            if let Some(lines) = lines {
                counter.add_document(&lines);
            }
            Ok(())
        },
    )?;
    crate::pipeline::step(progress, crate::pipeline::Step::Count(n))?;
    Ok(counter.finish())
}

/// Reports `n` records counted, every [`BATCH`] of them.
fn counted(progress: Option<Progress<'_>>, n: u64) -> Result<()> {
    match n % BATCH as u64 {
        0 => crate::pipeline::step(progress, crate::pipeline::Step::Count(n)),
        _ => Ok(()),
    }
}

/// The pass that counts repeated passages (`clean.passages`): every readable
/// record whose id is not a repeat, cut as pass 2 cuts it before passages.
fn count_passages(
    files: &[InputFile],
    cfg: &Config,
    cleaner: &Cleaner,
    model: Option<&BoilerplateModel>,
    progress: Option<Progress<'_>>,
) -> Result<PassageModel> {
    let mut counter = PassageCounter::new();
    let mut ids: std::collections::HashSet<String, foldhash::fast::RandomState> =
        Default::default();
    let mut reader = Reader::new(files.to_vec(), cfg.input.clone()).raw_fields(&cfg.raw_fields());
    let mut n = 0u64;
    for_records(
        &mut reader,
        &cfg.input,
        |d| rule_cuts(cleaner, model, cfg, d, true).1,
        |doc, found| {
            n += 1;
            counted(progress, n)?;
            // Pass 2 rejects a repeated id: it must not hold a passage either.
            if let (Ok(doc), Some(found)) = (doc, found)
                && !ids.contains(&doc.id)
            {
                counter.add(&doc.id, &found)?;
                ids.insert(doc.id);
            }
            Ok(())
        },
    )?;
    crate::pipeline::step(progress, crate::pipeline::Step::Count(n))?;
    Ok(counter.finish())
}

/// The validated configuration's cleaner and, when `clean.output_profile` is set,
/// the normalizer of the texts written.
fn cleaner_and_stored(cfg: &Config) -> Result<(Cleaner, Option<Normalizer>)> {
    cfg.validate()?;
    let cleaner = Cleaner::new(&cfg.clean)?;
    let stored = cfg
        .clean
        .output_profile
        .map(|p| Normalizer::new(&NormalizeConfig::profile(p)))
        .transpose()?;
    Ok((cleaner, stored))
}

fn run_clean_inner(
    inputs: &[PathBuf],
    output: &Path,
    cfg: &Config,
    progress: Option<Progress<'_>>,
) -> Result<CleanSummary> {
    let t0 = Instant::now();
    let mut timings = BTreeMap::new();
    let (cleaner, stored) = cleaner_and_stored(cfg)?;
    let out = OutputDir::create(output, cfg.output.overwrite, inputs)?;
    let (mut files, passed_over) = crate::io::list_inputs_noting(inputs, Some(output))?;
    spill_stdin(&mut files, &out)?;
    let use_model = cfg.clean.enabled && cfg.clean.boilerplate_enabled();
    // A format the inputs cannot give is a usage error before any work.
    let format = cfg.output.format_for(&files)?;

    // Pass 1: count line hashes per group. Bad records are dealt with in pass 2.
    let model = if use_model {
        let t = Instant::now();
        let model = count_files(&files, cfg, &cleaner, progress)?;
        timings.insert("count".into(), t.elapsed().as_secs_f64());
        Some(model)
    } else {
        None
    };

    // Then, with passages on, which documents carry each long line.
    let passages = if cfg.clean.passages_enabled() {
        let t = Instant::now();
        let p = count_passages(&files, cfg, &cleaner, model.as_ref(), progress)?;
        timings.insert("count_passages".into(), t.elapsed().as_secs_f64());
        Some(p)
    } else {
        None
    };

    // Pass 2: cut and write.
    let t = Instant::now();
    let mut counts = CleanCounts::default();
    let mut rejects: Vec<Reject> = Vec::new();
    let mut first_seen: crate::pipeline::FastMap<String, Origin> = Default::default();
    let copy_rows = format == KeptFormat::ParquetRows;
    let mut kept_w = KeptOut::create(format, &files, cfg, &out)?;
    let mut removed_w = JsonlWriter::create(&out.file("removed.jsonl"))?;
    let mut emptied_w = JsonlWriter::create(&out.file("emptied.jsonl"))?;
    // The inputs' fingerprints are taken as this pass reads them.
    let mut reader = Reader::new(files.clone(), cfg.input.clone()).fingerprinting();
    if copy_rows {
        // The kept rows are copied from the input: no record is written from `raw`.
        reader = reader.raw_fields(&cfg.raw_fields());
    }
    let on_error = cfg.on_error;
    let mut input = 0u64;
    // Readable records, and whether each of them took its place for an id.
    let (mut readable, mut ids_all_places) = (0u64, true);
    // Cleaning and formatting run on the pool; this thread checks ids, counts
    // and writes, in input order.
    for_records(
        &mut reader,
        &cfg.input,
        |d| {
            let models = (model.as_ref(), passages.as_ref());
            let c = clean_one(&cleaner, models, cfg, stored.as_ref(), d);
            Formatted::of(d, c, cfg, copy_rows)
        },
        |doc, formatted| {
            let doc = match doc {
                Ok(doc) => doc,
                // A `Data` error stands for the unreadable rest of one file: one
                // input record, rejected, as in the dedup job.
                Err(e @ (Error::Record { .. } | Error::Data { .. })) => {
                    input += 1;
                    return reject(e, on_error, &mut rejects);
                }
                Err(e) => return Err(e),
            };
            input += 1;
            readable += 1;
            // Settled by the first record that has an id.
            ids_all_places = ids_all_places && crate::pipeline::id_is_place(&doc.id, &doc.origin);
            if input.is_multiple_of(BATCH as u64) {
                crate::pipeline::step(progress, crate::pipeline::Step::Read(input))?;
            }
            if let Some(e) = duplicate_id(&mut first_seen, &doc.id, &doc.origin) {
                return reject(e, on_error, &mut rejects);
            }
            let formatted = formatted
                .ok_or_else(|| Error::Invariant("a readable record was not cleaned".into()))??;
            formatted.write(
                &doc,
                &mut counts,
                &mut kept_w,
                &mut removed_w,
                &mut emptied_w,
            )
        },
    )?;
    crate::pipeline::step(progress, crate::pipeline::Step::Read(input))?;
    counts.input = input;
    let input_summaries = files
        .iter()
        .map(|f| InputSummary::read_by(f, &reader))
        .collect::<Result<Vec<_>>>()?;
    let mut kept_written = kept_w.finish()?;
    if format == KeptFormat::ParquetConverted {
        kept_written = crate::pipeline::kept_jsonl_to_parquet(&out, cfg, false)?;
    }
    removed_w.finish()?;
    emptied_w.finish()?;
    let mut rj = JsonlWriter::create(&out.file("rejects.jsonl"))?;
    for r in &rejects {
        rj.write(r)?;
    }
    rj.finish()?;
    counts.rejected = rejects.len() as u64;
    timings.insert("clean_and_write".into(), t.elapsed().as_secs_f64());

    if counts.input != counts.kept + counts.emptied + counts.rejected {
        return Err(Error::Invariant(format!(
            "accounting: input {} != kept {} + emptied {} + rejected {}",
            counts.input, counts.kept, counts.emptied, counts.rejected
        )));
    }
    if kept_written != counts.kept {
        return Err(Error::Invariant(format!(
            "accounting: {} records kept, {kept_written} written",
            counts.kept
        )));
    }
    timings.insert("total".into(), t0.elapsed().as_secs_f64());
    let summary = CleanSummary {
        schema_version: SCHEMA_VERSION,
        ghirbal_version: env!("CARGO_PKG_VERSION"),
        job: "clean",
        config: cfg.clone(),
        inputs: input_summaries,
        decoding: reader.reports().to_vec(),
        notes: crate::pipeline::notes(
            cfg,
            &crate::pipeline::NoteFacts {
                passed_over: &passed_over,
                ids_all_places: (readable > 0 && ids_all_places)
                    .then_some(crate::pipeline::Places::FileLines),
                ungrouped: model
                    .as_ref()
                    .map(|m| crate::clean::boilerplate::Ungrouped::of_groups(m.stats()))
                    .unwrap_or_default(),
            },
        ),
        boilerplate_groups: model.map(|m| m.stats().to_vec()).unwrap_or_default(),
        passages: passages.map(|p| p.stats()),
        counts,
        timings,
    };
    let path = out.file("summary.json");
    let json = serde_json::to_string_pretty(&summary)
        .map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
    std::fs::write(&path, json + "\n").map_err(|e| Error::io(&path, e))?;
    crate::pipeline::remove_spills(&files);
    out.commit()?;
    Ok(summary)
}

/// One cut of [`clean_documents`], as in `removed.jsonl`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CutRecord {
    /// The rule that made the cut.
    pub rule: &'static str,
    /// Start, in code points of the original text.
    pub start: u64,
    /// End (exclusive), in code points of the original text.
    pub end: u64,
    /// The removed text.
    pub text: String,
    /// For a repeated passage: the id of the document that keeps it.
    pub duplicate_of: Option<String>,
}

/// What happened to one document handed to [`clean_documents`].
#[derive(Clone, Debug)]
pub enum CleanOutcome {
    /// The document was read and cleaned.
    Cleaned {
        /// The text without the cuts (normalized if `clean.output_profile` is set).
        text: String,
        /// The cuts, in text order.
        cuts: Vec<CutRecord>,
        /// Cleaning left no text (the job lists it in `emptied.jsonl`).
        emptied: bool,
    },
    /// The record was unreadable or its id repeated (`on_error = "skip"`).
    Rejected(Reject),
}

/// The result of [`clean_documents`].
#[derive(Clone, Debug)]
pub struct CleanRun {
    /// Per input item, in input order: its id (empty for an unreadable record).
    pub ids: Vec<String>,
    /// Per input item, in input order.
    pub outcomes: Vec<CleanOutcome>,
    /// The summary (as `summary.json`, with no inputs listed).
    pub summary: CleanSummary,
}

/// Cleans documents held in memory: the `clean` job without files, for
/// front-ends such as the Python `ghirbal.clean`. Same rules, same corpus-level
/// boilerplate model (counted over these documents), same cuts and counts as
/// [`run_clean`] on the same records. `progress` hears the documents cut so far
/// ([`Step::Read`](crate::pipeline::Step::Read)) and may stop the job there.
///
/// ```
/// use corpus_core::{Config, Document, Origin};
/// use corpus_core::clean::job::{CleanOutcome, clean_documents};
///
/// let text = "نص الخبر الأول وهو طويل بما يكفي ليكون فقرة كاملة من فقرات المقال هنا.\n// انتهى //";
/// let doc = Document {
///     id: "a".into(),
///     text: text.into(),
///     origin: Origin { path: std::path::Path::new("a").into(), line: 0 },
///     raw: None,
/// };
/// let run = clean_documents(vec![Ok(doc)], &Config::default(), None)?;
/// let CleanOutcome::Cleaned { cuts, .. } = &run.outcomes[0] else { panic!() };
/// assert_eq!(cuts[0].rule, "signoff");
/// assert_eq!(cuts[0].text, "// انتهى //");
/// # Ok::<(), corpus_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::Config`] for an invalid configuration; under `on_error = "fail"` the
/// first bad record or repeated id; [`Error::Interrupted`] when `progress` says
/// stop; [`Error::Invariant`] if the accounting does not add up.
pub fn clean_documents(
    docs: impl IntoIterator<Item = Result<Document>>,
    cfg: &Config,
    progress: Option<Progress<'_>>,
) -> Result<CleanRun> {
    let docs: Vec<Result<Document>> = docs.into_iter().collect();
    cfg.in_pool(|| clean_documents_inner(docs, cfg, progress))
}

fn clean_documents_inner(
    docs: Vec<Result<Document>>,
    cfg: &Config,
    progress: Option<Progress<'_>>,
) -> Result<CleanRun> {
    let t0 = Instant::now();
    let mut timings = BTreeMap::new();
    let stage = CleanStage::new(cfg, None)?;
    let mut counts = CleanCounts {
        input: docs.len() as u64,
        ..CleanCounts::default()
    };
    // Like the job's pass 1, the model counts every readable record.
    let t = Instant::now();
    let mut counter =
        CleanStage::wants_model(cfg).then(|| BoilerplateCounter::new(&cfg.clean.boilerplate));
    let Intake {
        ids,
        slots,
        good,
        rejects,
    } = Intake::sort(docs, cfg.on_error, |d| {
        if let Some(counter) = &mut counter {
            counter.add_document(&stage.document_lines(d));
        }
    })?;
    let model = counter.map(|c| {
        timings.insert("count".into(), t.elapsed().as_secs_f64());
        c.finish()
    });
    let stats = model
        .as_ref()
        .map(|m| m.stats().to_vec())
        .unwrap_or_default();
    let stage = CleanStage { model, ..stage };
    let ids_all_places = crate::pipeline::ids_all_places(
        good.iter().map(|(_, d)| (d.id.as_str(), &d.origin)),
        crate::pipeline::Places::Positions,
    );
    let t = Instant::now();
    // The documents are at hand: each one's cuts (and passages) are found once,
    // for the passage count and for the cleaning both.
    let with_passages = cfg.clean.passages_enabled();
    let cut = |(_, d): &(usize, Document)| stage.rule_cuts(d, with_passages);
    let found: Vec<(Vec<Cut>, Vec<Passage>)> =
        crate::pipeline::par_map_reporting(&good, cut, progress)?;
    let passages = if with_passages {
        let counting = Instant::now();
        let mut counter = PassageCounter::new();
        for ((_, d), (_, p)) in good.iter().zip(&found) {
            counter.add(&d.id, p)?;
        }
        timings.insert("count_passages".into(), counting.elapsed().as_secs_f64());
        Some(counter.finish())
    } else {
        None
    };
    let cleaned: Vec<Cleaned> = good
        .par_iter()
        .zip(found)
        .map(|((_, d), (cuts, p))| stage.finish(d, cuts, &p, passages.as_ref()))
        .collect();
    let passage_stats = passages.as_ref().map(PassageModel::stats);
    let results: Vec<CleanOutcome> = good
        .iter()
        .zip(cleaned)
        .map(|((_, doc), c)| {
            let (text, cuts, emptied) = CleanStage::outcome(doc, c, &mut counts);
            CleanOutcome::Cleaned {
                text,
                cuts,
                emptied,
            }
        })
        .collect();
    counts.rejected = rejects.len() as u64;
    timings.insert("clean".into(), t.elapsed().as_secs_f64());
    if counts.input != counts.kept + counts.emptied + counts.rejected {
        return Err(Error::Invariant(format!(
            "accounting: input {} != kept {} + emptied {} + rejected {}",
            counts.input, counts.kept, counts.emptied, counts.rejected
        )));
    }
    // The readable documents come back in input order.
    let mut results = results.into_iter();
    let outcomes = slots
        .into_iter()
        .map(|slot| match slot {
            Ok(_) => results
                .next()
                .ok_or_else(|| Error::Invariant("a cleaned document went missing".into())),
            Err(r) => Ok(CleanOutcome::Rejected(rejects[r].clone())),
        })
        .collect::<Result<Vec<_>>>()?;
    timings.insert("total".into(), t0.elapsed().as_secs_f64());
    Ok(CleanRun {
        ids,
        outcomes,
        summary: CleanSummary {
            schema_version: SCHEMA_VERSION,
            ghirbal_version: env!("CARGO_PKG_VERSION"),
            job: "clean",
            config: cfg.clone(),
            inputs: Vec::new(),
            decoding: Vec::new(),
            notes: crate::pipeline::notes(
                cfg,
                &crate::pipeline::NoteFacts {
                    ids_all_places,
                    ungrouped: crate::clean::boilerplate::Ungrouped::of_groups(&stats),
                    ..Default::default()
                },
            ),
            boilerplate_groups: stats,
            passages: passage_stats,
            counts,
            timings,
        },
    })
}

/// The clean job's work on one document, for engines that count the corpus and
/// move the documents themselves (`ghirbal.spark.clean_spark`): given the same
/// boilerplate model, the same cuts as [`run_clean`] and [`clean_documents`]
/// (which calls it).
pub struct CleanStage {
    cfg: Config,
    cleaner: Cleaner,
    stored: Option<Normalizer>,
    model: Option<BoilerplateModel>,
}

impl CleanStage {
    /// Whether `cfg` cuts corpus-level boilerplate, so that documents are cleaned
    /// with the corpus' model (counted with [`CleanStage::document_lines`]).
    pub fn wants_model(cfg: &Config) -> bool {
        cfg.clean.enabled && cfg.clean.boilerplate_enabled()
    }

    /// The stage for `cfg`, with the corpus' boilerplate model when
    /// [`CleanStage::wants_model`] (without it, the stage can only count:
    /// [`CleanStage::ready`]).
    ///
    /// # Errors
    /// [`Error::Config`] for an invalid configuration.
    pub fn new(cfg: &Config, model: Option<BoilerplateModel>) -> Result<Self> {
        let (cleaner, stored) = cleaner_and_stored(cfg)?;
        Ok(CleanStage {
            cfg: cfg.clone(),
            cleaner,
            stored,
            model,
        })
    }

    /// Checks that the stage can clean: it has the model if and only if the
    /// configuration uses one.
    ///
    /// # Errors
    /// [`Error::Config`] saying which is wrong.
    pub fn ready(&self) -> Result<()> {
        match (Self::wants_model(&self.cfg), self.model.is_some()) {
            (true, false) => Err(Error::Config(
                "corpus-level boilerplate is on: documents are cleaned with the corpus' \
                 boilerplate model, which was not given"
                    .into(),
            )),
            (false, true) => Err(Error::Config(
                "a boilerplate model was given, but this configuration does not cut \
                 corpus-level boilerplate"
                    .into(),
            )),
            _ => Ok(()),
        }
    }

    /// What the corpus-level boilerplate count takes of `doc`.
    pub fn document_lines(&self, doc: &Document) -> DocumentLines {
        self.cfg
            .clean
            .boilerplate
            .document_lines(&self.cleaner, doc)
    }

    /// Cleans `doc` (see [`CleanStage::ready`]): its text without the cuts
    /// (normalized if `clean.output_profile` is set), the cuts in text order, and
    /// whether cleaning left no text. With `clean.passages` on, see
    /// [`CleanStage::clean_with_passages`].
    pub fn clean(&self, doc: &Document) -> (String, Vec<CutRecord>, bool) {
        let (cuts, _) = self.rule_cuts(doc, false);
        let c = self.finish(doc, cuts, &[], None);
        Self::outcome(doc, c, &mut CleanCounts::default())
    }

    /// Whether `clean.passages` is on: the corpus' passages are counted with
    /// [`CleanStage::passages`] and each document is cleaned with
    /// [`CleanStage::clean_with_passages`].
    pub fn wants_passages(cfg: &Config) -> bool {
        cfg.clean.passages_enabled()
    }

    /// What the repeated-passage count takes of `doc` (see [`super::passages`]):
    /// its passages, those its rule and boilerplate cuts leave whole.
    pub fn passages(&self, doc: &Document) -> Vec<Passage> {
        self.rule_cuts(doc, true).1
    }

    /// [`CleanStage::clean`] with the holders of the repeated passages `doc`
    /// carries (the model may hold only those): the same cuts as the clean job
    /// given the same counts.
    pub fn clean_with_passages(
        &self,
        doc: &Document,
        passages: &PassageModel,
    ) -> (String, Vec<CutRecord>, bool) {
        let (cuts, found) = self.rule_cuts(doc, true);
        let c = self.finish(doc, cuts, &found, Some(passages));
        Self::outcome(doc, c, &mut CleanCounts::default())
    }

    fn rule_cuts(&self, doc: &Document, passages: bool) -> (Vec<Cut>, Vec<Passage>) {
        rule_cuts(&self.cleaner, self.model.as_ref(), &self.cfg, doc, passages)
    }

    fn finish(
        &self,
        doc: &Document,
        cuts: Vec<Cut>,
        found: &[Passage],
        passages: Option<&PassageModel>,
    ) -> Cleaned {
        finish(doc, cuts, found, passages, self.stored.as_ref())
    }

    /// [`CleanStage::clean`]'s result for `doc` cut as `c`, counted into `counts`.
    fn outcome(
        doc: &Document,
        c: Cleaned,
        counts: &mut CleanCounts,
    ) -> (String, Vec<CutRecord>, bool) {
        let tally = Tally::of(doc, &c);
        tally.count(counts);
        let cuts = tally
            .removed(doc, &c)
            .map(|r| CutRecord {
                rule: r.rule,
                start: r.start,
                end: r.end,
                text: r.text.to_owned(),
                duplicate_of: r.duplicate_of.map(str::to_owned),
            })
            .collect();
        (c.text, cuts, tally.emptied)
    }
}

/// The cuts of the rules and, with `model`, of the corpus' boilerplate; with
/// `passages`, also the passages they leave whole.
fn rule_cuts(
    cleaner: &Cleaner,
    model: Option<&BoilerplateModel>,
    cfg: &Config,
    doc: &Document,
    passages: bool,
) -> (Vec<Cut>, Vec<Passage>) {
    if !cfg.clean.enabled {
        return (Vec::new(), Vec::new());
    }
    let group = model.map(|_| cfg.clean.boilerplate.group_by.group_of(doc));
    let model = model.zip(group.as_deref());
    if passages {
        cleaner.cuts_and_passages(&doc.text, model, cfg.clean.passages.min_chars)
    } else {
        let cuts = match model {
            Some((m, g)) => cleaner.cuts_with(&doc.text, m, g),
            None => cleaner.cuts(&doc.text),
        };
        (cuts, Vec::new())
    }
}

fn clean_one(
    cleaner: &Cleaner,
    (model, passages): (Option<&BoilerplateModel>, Option<&PassageModel>),
    cfg: &Config,
    stored: Option<&Normalizer>,
    doc: &Document,
) -> Cleaned {
    let (cuts, found) = rule_cuts(cleaner, model, cfg, doc, passages.is_some());
    finish(doc, cuts, &found, passages, stored)
}

/// `doc` cleaned of `cuts` and of the copies among its passages `found` that
/// `passages` holds elsewhere.
fn finish(
    doc: &Document,
    mut cuts: Vec<Cut>,
    found: &[Passage],
    passages: Option<&PassageModel>,
    stored: Option<&Normalizer>,
) -> Cleaned {
    let mut duplicate_of = vec![None; cuts.len()];
    if let Some(p) = passages {
        let repeated = p.cuts(&doc.id, found);
        if !repeated.is_empty() {
            // Passages are lines no other cut touches: merged by start, the cuts
            // stay sorted and apart.
            let mut merged: Vec<(Cut, Option<Arc<str>>)> =
                cuts.into_iter().map(|c| (c, None)).collect();
            merged.extend(repeated.into_iter().map(|(c, h)| (c, Some(h))));
            merged.sort_by_key(|(c, _)| c.start);
            (cuts, duplicate_of) = merged.into_iter().unzip();
        }
    }
    let text = if cuts.is_empty() {
        doc.text.clone()
    } else {
        apply(&doc.text, &cuts)
    };
    let text = match stored {
        Some(n) => n.normalize(&text).into_owned(),
        None => text,
    };
    Cleaned {
        cuts,
        duplicate_of,
        text,
    }
}

/// One cleaned document's figures for [`CleanCounts`].
struct Tally {
    /// Code points of the original text.
    chars: u64,
    /// Per cut: its rule and its span in code points of the original text.
    cuts: Vec<(&'static str, u64, u64)>,
    /// Cleaning left no text.
    emptied: bool,
}

impl Tally {
    fn of(doc: &Document, c: &Cleaned) -> Self {
        let (spans, chars) = char_spans(&doc.text, &c.cuts);
        Tally {
            chars,
            cuts: c
                .cuts
                .iter()
                .zip(spans)
                .map(|(cut, (s, e))| (cut.rule, s, e))
                .collect(),
            emptied: !c.cuts.is_empty() && crate::document::is_blank(&c.text),
        }
    }

    /// The lines of `removed.jsonl` for `doc` cleaned as `c` (this tally's).
    fn removed<'a>(
        &'a self,
        doc: &'a Document,
        c: &'a Cleaned,
    ) -> impl Iterator<Item = RemovedLine<'a>> + 'a {
        let cuts = c.cuts.iter().zip(&c.duplicate_of);
        self.cuts
            .iter()
            .zip(cuts)
            .map(|(&(rule, start, end), (cut, of))| RemovedLine {
                id: &doc.id,
                rule,
                start,
                end,
                text: &doc.text[cut.start..cut.end],
                duplicate_of: of.as_deref(),
            })
    }

    fn count(&self, counts: &mut CleanCounts) {
        fn add(map: &mut BTreeMap<String, u64>, rule: &str, n: u64) {
            match map.get_mut(rule) {
                Some(v) => *v += n,
                None => {
                    map.insert(rule.to_owned(), n);
                }
            }
        }
        counts.chars_in += self.chars;
        counts.changed += u64::from(!self.cuts.is_empty());
        for &(rule, s, e) in &self.cuts {
            add(&mut counts.cuts_by_rule, rule, 1);
            add(&mut counts.chars_removed_by_rule, rule, e - s);
            counts.chars_removed += e - s;
        }
        if self.emptied {
            counts.emptied += 1;
        } else {
            counts.kept += 1;
        }
    }
}

/// What pass 2 writes for one document, made on a worker thread so that the
/// writing thread only counts and copies bytes.
struct Formatted {
    tally: Tally,
    /// Its lines of `removed.jsonl`, each ending in a newline.
    removed: Vec<u8>,
    out: Out,
}

/// A line that serde cannot format (none of ours: their fields are strings and numbers).
fn json_error(e: serde_json::Error) -> Error {
    Error::Invariant(format!("cannot format an output line: {e}"))
}

/// Where a document goes, ready to be written.
enum Out {
    /// Its line of `kept.jsonl`: the record as read (nothing cut), copied by
    /// the writer from the document.
    AsRead,
    /// Its line of `kept.jsonl`.
    Line(String),
    /// Its cleaned text, for `kept.parquet`.
    #[cfg_attr(not(feature = "parquet"), allow(dead_code))]
    Text(String),
    /// Its line of `emptied.jsonl`.
    Emptied(String),
}

impl Formatted {
    /// `doc` cleaned as `c`, formatted for the writers (`parquet`: the kept
    /// output is `kept.parquet`).
    fn of(doc: &Document, c: Cleaned, cfg: &Config, parquet: bool) -> Result<Self> {
        let tally = Tally::of(doc, &c);
        let mut removed = Vec::new();
        for line in tally.removed(doc, &c) {
            serde_json::to_writer(&mut removed, &line).map_err(json_error)?;
            removed.push(b'\n');
        }
        let out = if tally.emptied {
            let mut rules: Vec<&str> = tally.cuts.iter().map(|c| c.0).collect();
            rules.sort_unstable();
            rules.dedup();
            let line = EmptiedLine {
                id: &doc.id,
                source: doc.origin.to_string(),
                reason: "every line was cut as chrome, boilerplate or a passage kept elsewhere"
                    .into(),
                rules,
            };
            Out::Emptied(serde_json::to_string(&line).map_err(json_error)?)
        } else if parquet {
            Out::Text(c.text)
        } else {
            let unchanged = c.cuts.is_empty() && c.text == doc.text;
            match (&doc.raw, unchanged) {
                (Some(_), true) => Out::AsRead,
                (Some(raw), false) => Out::Line(replace_text(raw, &cfg.input.text_field, &c.text)?),
                (None, _) => {
                    let mut m = serde_json::Map::new();
                    m.insert(cfg.input.id_field.clone(), Value::String(doc.id.clone()));
                    m.insert(cfg.input.text_field.clone(), Value::String(c.text));
                    Out::Line(Value::Object(m).to_string())
                }
            }
        };
        Ok(Formatted {
            tally,
            removed,
            out,
        })
    }

    /// Counts `doc` and writes what was formatted for it.
    fn write(
        self,
        doc: &Document,
        counts: &mut CleanCounts,
        kept_w: &mut KeptOut,
        removed_w: &mut JsonlWriter,
        emptied_w: &mut JsonlWriter,
    ) -> Result<()> {
        self.tally.count(counts);
        removed_w.write_block(&self.removed, self.tally.cuts.len() as u64)?;
        match (self.out, kept_w) {
            (Out::Emptied(line), _) => emptied_w.write_raw(&line),
            (Out::Line(line), KeptOut::Jsonl(w)) => w.write_raw(&line),
            (Out::AsRead, KeptOut::Jsonl(w)) if doc.raw.is_some() => {
                w.write_raw(doc.raw.as_deref().unwrap_or_default())
            }
            #[cfg(feature = "parquet")]
            (Out::Text(text), KeptOut::Parquet(w)) => w.keep(&doc.origin, text),
            _ => Err(Error::Invariant(format!(
                "{}: a kept record formatted for another output",
                doc.origin
            ))),
        }
    }
}

/// Where the clean job writes its kept records.
enum KeptOut {
    /// `kept.jsonl` (compressed or sharded as `output` asks): each record
    /// with its text replaced.
    Jsonl(KeptJsonl),
    /// `kept.parquet`: the input rows with the cleaned text column.
    #[cfg(feature = "parquet")]
    Parquet(crate::io::CleanedParquet),
}

impl KeptOut {
    /// The writer of `format` (resolved for `files`): the Parquet rows' copy,
    /// else JSON Lines (converted at the end for [`KeptFormat::ParquetConverted`]).
    // Without the `parquet` feature `files` is not read.
    #[cfg_attr(not(feature = "parquet"), allow(unused_variables))]
    fn create(
        format: KeptFormat,
        files: &[InputFile],
        cfg: &Config,
        out: &OutputDir,
    ) -> Result<Self> {
        match format {
            #[cfg(feature = "parquet")]
            KeptFormat::ParquetRows => {
                let paths: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
                Ok(KeptOut::Parquet(crate::io::CleanedParquet::new(
                    &paths,
                    &cfg.input.text_field,
                    &out.file("kept.parquet"),
                )))
            }
            _ => Ok(KeptOut::Jsonl(KeptJsonl::create(out, &cfg.output)?)),
        }
    }

    /// Closes the output; returns the records written.
    fn finish(self) -> Result<u64> {
        match self {
            KeptOut::Jsonl(w) => w.finish(),
            #[cfg(feature = "parquet")]
            KeptOut::Parquet(w) => w.finish(),
        }
    }
}

/// `raw` (one JSON object) with the value of `field` replaced by the string
/// `text`; every other byte stays as it was.
fn replace_text(raw: &str, field: &str, text: &str) -> Result<String> {
    crate::io::replace_json_string(raw, field, text).ok_or_else(|| {
        Error::Invariant(format!(
            "cannot find field {field:?} in a record that was read with it"
        ))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn code_point_spans() {
        let text = "أب\nجد\nهو";
        let cuts = vec![Cut {
            rule: "x",
            start: text.find('ج').unwrap(),
            end: text.find('ه').unwrap(),
        }];
        assert_eq!(char_spans(text, &cuts), (vec![(3, 6)], 8));
        assert_eq!(char_spans(text, &[]), (vec![], 8));
    }
}
