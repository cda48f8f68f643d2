//! The `dedup` job: read inputs, sketch, cluster, write the output folder.
//!
//! Two passes over the inputs: the first computes a small sketch per document
//! (in parallel batches, in input order), the second copies the kept records.
//! Standard input is spilled to a file first so that it can be read twice.

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use rayon::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::checkpoint::{Checkpoints, DuplicateId, Shard};
use crate::clean::{BoilerplateCounter, BoilerplateModel, Cleaner, GroupBy};
use crate::config::{Config, OnError};
use crate::dedup::audit::{Audit, write_audit};
use crate::dedup::{Member, RankValue, Reason, Sketcher, Verdict, cluster_report};
use crate::document::{Document, Origin};
use crate::io::{
    DecodeReport, InputFile, JsonlWriter, KeptFormat, KeptJsonl, OutputDir, Pending, Reader,
    fingerprint_file,
};
use crate::normalize::{KEY_VERSION, Normalizer};
use crate::{Error, Result};

/// Version of the output contract (see SCHEMA.md).
pub const SCHEMA_VERSION: &str = "1.7";

/// The key under which ghirbal adds its fields to a kept record.
pub const OUR_KEY: &str = "ghirbal";

const BATCH: usize = 2048;

/// A hash map for the job's lookups by id and by hash, with foldhash: several
/// times cheaper than std's SipHash per operation, and still seeded at random
/// per process, so crafted inputs cannot aim at its buckets. Nothing iterates
/// these maps, so the seed never reaches an output.
pub(crate) type FastMap<K, V> = HashMap<K, V, foldhash::fast::RandomState>;

/// Bytes of the key text that language detection looks at (40-odd words):
/// enough for the script vote and whatlang's trigrams, while whole texts would
/// double the cost of a run.
const LANG_PREFIX: usize = 256;

/// Bytes of the text searched for mojibake: a wrong decoding spoils a whole
/// document, so its start tells.
const MOJIBAKE_PREFIX: usize = 1024;

/// A cheap gate before mojibake detection. UTF-8 read as windows-1252 leaves a
/// lead byte as one of U+00C2..U+00F4 (Â..ô); read as windows-1256 it leaves ط
/// or ظ (lead bytes D8, D9) followed by what a continuation byte becomes there
/// (Latin-1 signs and punctuation, or پ ٹ چ ژ ڈ گ ک ڑ ں ھ ، ؛ ؟).
fn may_have_mojibake(s: &str) -> bool {
    // On the UTF-8 bytes (no decoding): Â..ô are C3 82..C3 B4; ط and ظ are
    // D8 B7 and D8 B8; U+0080..U+02FF have lead bytes C2..CB; U+2000..U+206F
    // are E2 80 xx and E2 81 80..AF; پ ٹ are D9 BE, D9 B9; چ ژ ڈ گ ک ڑ ں ھ are
    // DA xx; ، ؛ ؟ are D8 8C, D8 9B, D8 9F.
    let b = s.as_bytes();
    let after_lead = |j: usize| {
        matches!(
            (b.get(j), b.get(j + 1), b.get(j + 2)),
            (Some(0xC2..=0xCB), _, _)
                | (Some(0xE2), Some(0x80), _)
                | (Some(0xE2), Some(0x81), Some(0x80..=0xAF))
                | (Some(0xD9), Some(0xB9 | 0xBE), _)
                | (
                    Some(0xDA),
                    Some(0x86 | 0x88 | 0x91 | 0x98 | 0xA9 | 0xAF | 0xBA | 0xBE),
                    _
                )
                | (Some(0xD8), Some(0x8C | 0x9B | 0x9F), _)
        )
    };
    // Searched by their rarer bytes: C3, and the second bytes of ط and ظ (D8 is
    // the lead of half the Arabic letters; a search for it stops every few bytes).
    let mut i = 0;
    while let Some(k) = memchr::memchr3(0xC3, 0xB7, 0xB8, &b[i..]) {
        let j = i + k;
        match (b[j], b.get(j + 1)) {
            (0xC3, Some(0x82..=0xB4)) => return true,
            (0xB7 | 0xB8, _) if j > 0 && b[j - 1] == 0xD8 && after_lead(j + 1) => return true,
            _ => {}
        }
        i = j + 1;
    }
    false
}

/// The per-document language label of `clusters.jsonl`, from the start of a
/// document's key text.
pub fn key_language(key: &str) -> crate::normalize::Detection {
    crate::normalize::detect_common(prefix(key, LANG_PREFIX))
}

/// The first `max` bytes of `s`, cut at a character boundary.
fn prefix(s: &str, max: usize) -> &str {
    let mut end = s.len().min(max);
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    &s[..end]
}

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

/// Resume accounting of one run.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Resume {
    /// Input files read and sketched (one shard each).
    pub shards: u64,
    /// Shards loaded from checkpoints instead of being read again.
    pub skipped_shards: u64,
}

/// One input file as recorded in the summary.
#[derive(Clone, Debug, Serialize)]
pub struct InputSummary {
    /// The path as given.
    pub path: String,
    /// `"<bytes>:<xxh3-64 hex>"` of the file's bytes.
    pub fingerprint: String,
}

impl InputSummary {
    /// The summary of `file` once `reader` (made with [`Reader::fingerprinting`])
    /// has read it: the fingerprint taken on the way, or one read now for
    /// inputs it does not fingerprint.
    pub(crate) fn read_by(file: &InputFile, reader: &Reader) -> Result<Self> {
        Ok(InputSummary {
            path: file.path.display().to_string(),
            fingerprint: match reader.fingerprint(&file.path) {
                Some(f) => f.to_owned(),
                None => fingerprint_file(file.bytes_path())?,
            },
        })
    }
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
    /// Per input file: encoding used, how it was chosen, replacements, truncations.
    pub decoding: Vec<DecodeReport>,
    /// Shards (input files) of the read-and-sketch stage, and how many were
    /// taken from the checkpoints of an interrupted run.
    pub resume: Resume,
    /// Record accounting.
    pub counts: Counts,
    /// Analyzed records per detected language (file job only).
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub languages: BTreeMap<String, u64>,
    /// Records with mojibake found at the start of their text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mojibake_documents: Option<u64>,
    /// (1.6) How the survivor field's values were read, under `earliest:FIELD`
    /// and `highest:FIELD`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub survivor_values: Option<SurvivorValues>,
    /// (1.7) Likely mistakes the inputs point at: an id or group field no
    /// record has, files in the input folders that look like data but are not
    /// read; empty when none.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub notes: Vec<String>,
    /// Seconds per stage.
    pub timings: BTreeMap<String, f64>,
}

/// What a job's notes (`summary.json` `notes`) are drawn from.
#[derive(Default)]
pub(crate) struct NoteFacts<'a> {
    /// What the input folders hold that looks like data but was not read
    /// ([`crate::io::list_inputs_noting`]).
    pub passed_over: &'a [crate::io::PassedOver],
    /// Every readable record (at least one) took its place for an id: no
    /// record has the id field. What the place is: `file:line`, or (records
    /// handed over in memory) the record's position.
    pub ids_all_places: Option<Places>,
    /// How many of the records the boilerplate count took are in the group of
    /// records without a usable `group_by` value.
    pub ungrouped: crate::clean::boilerplate::Ungrouped,
}

/// The place a record without an id takes for one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Places {
    /// `file:line`, in a file job.
    FileLines,
    /// The record's position among those handed over.
    Positions,
}

/// A job's notes: likely mistakes the inputs point at (a misspelt `--id-field`
/// or `--group-by`, data files that are not read).
pub(crate) fn notes(cfg: &Config, facts: &NoteFacts<'_>) -> Vec<String> {
    let mut notes = Vec::new();
    notes.extend(passed_over_notes(facts.passed_over));
    if let Some(places) = facts.ids_all_places {
        let (place, flag) = match places {
            Places::FileLines => ("file:line", "--id-field"),
            Places::Positions => ("position among the documents", "id_field"),
        };
        notes.push(format!(
            "no record has the id field {:?}: each record's id is its {place} \
             ({flag} names the field)",
            cfg.input.id_field
        ));
    }
    notes.extend(cfg.clean.boilerplate.group_by.note(facts.ungrouped));
    notes.extend(cfg.clean.switched_off_note());
    notes
}

/// The notes (the survivor field's first, as front-ends give them) of a dedup
/// or clean job, from what its records were found to be, tallied over
/// batches of them in any order and merged: for engines that see the records
/// in pieces (`ghirbal.spark`). They are the notes of the in-memory jobs
/// ([`dedup_documents`]) on the same records.
#[derive(Clone, Debug, Default, PartialEq, Serialize, serde::Deserialize)]
pub struct NoteTally {
    /// Readable records tallied (each id once).
    records: u64,
    /// Of those, the records whose id is their place (no id field).
    place_ids: u64,
    /// The survivor field's values of those records: dates, numbers, other
    /// strings, missing.
    kinds: [u64; 4],
    /// The first three distinct other strings, with their input positions.
    strings: Vec<(u64, String)>,
    /// Records the boilerplate count took.
    grouped: u64,
    /// Of those, the records in no group (no `group_by` field).
    ungrouped: u64,
}

impl NoteTally {
    /// Tallies a readable record (each id once: not a repeated id's) at input
    /// position `at`, with its survivor-field value under a field policy.
    pub fn add_record(&mut self, at: u64, id: &str, origin: &Origin, rank: Option<&RankValue>) {
        self.records += 1;
        self.place_ids += u64::from(id_is_place(id, origin));
        self.add_value(at, rank);
    }

    fn add_value(&mut self, at: u64, rank: Option<&RankValue>) {
        let kind = match rank {
            Some(RankValue::Time(_)) => 0,
            Some(RankValue::Num(_)) => 1,
            Some(RankValue::Str(s)) => {
                self.add_string(at, s);
                2
            }
            None => 3,
        };
        self.kinds[kind] += 1;
    }

    /// Keeps the first three distinct strings by position: a string among the
    /// first three of all batches is among the first three of its own batch.
    fn add_string(&mut self, at: u64, s: &str) {
        match self.strings.iter_mut().find(|(_, x)| x == s) {
            Some(seen) => seen.0 = seen.0.min(at),
            None => self.strings.push((at, s.to_owned())),
        }
        self.strings.sort_unstable();
        self.strings.truncate(3);
    }

    /// Tallies a record the boilerplate count takes, in `group` (`""`: none).
    pub fn add_group(&mut self, group: &str) {
        self.grouped += 1;
        self.ungrouped += u64::from(group.is_empty());
    }

    /// Adds another batch's tally.
    pub fn merge(&mut self, other: NoteTally) {
        self.records += other.records;
        self.place_ids += other.place_ids;
        for (k, n) in self.kinds.iter_mut().zip(other.kinds) {
            *k += n;
        }
        for (at, s) in &other.strings {
            self.add_string(*at, s);
        }
        self.grouped += other.grouped;
        self.ungrouped += other.ungrouped;
    }

    /// How the survivor field's values were read.
    fn survivor_values(&self, field: &str) -> SurvivorValues {
        let [dates, numbers, strings, missing] = self.kinds;
        SurvivorValues {
            field: field.to_owned(),
            dates,
            numbers,
            strings,
            missing,
            string_examples: self.strings.iter().map(|(_, s)| s.clone()).collect(),
        }
    }

    /// The notes of the records tallied, as the in-memory jobs give them under
    /// `cfg`: the survivor field's (under a field policy), then the job's.
    pub fn notes(&self, cfg: &Config) -> Vec<String> {
        let survivor = cfg
            .survivor_field()
            .and_then(|f| self.survivor_values(f).note());
        let facts = NoteFacts {
            ids_all_places: (self.records > 0 && self.place_ids == self.records)
                .then_some(Places::Positions),
            ungrouped: crate::clean::boilerplate::Ungrouped::of_counts(
                self.ungrouped,
                self.grouped,
            ),
            ..NoteFacts::default()
        };
        survivor.into_iter().chain(notes(cfg, &facts)).collect()
    }
}

/// One note per kind of thing the input folders held and were not read for.
fn passed_over_notes(passed: &[crate::io::PassedOver]) -> Vec<String> {
    use crate::io::PassedOver as P;
    let mut notes = Vec::new();
    let mut note = |what: &str, of: &dyn Fn(&P) -> Option<String>| {
        let all: Vec<String> = passed.iter().filter_map(of).collect();
        if let Some((first, rest)) = all.split_first() {
            let more = match rest.len() {
                0 => String::new(),
                n => format!(" and {n} more"),
            };
            notes.push(format!("{} {what}: {first}{more}", all.len()));
        }
    };
    note(
        "file(s) or folder(s) in the input folders look like data but were not read \
         (only .txt, .jsonl, .jsonl.gz, .jsonl.zst, .jsonl.bz2 and .parquet files are, and \
         no earlier run's output folder)",
        &|p| match p {
            P::DataName(p) | P::EarlierOutput(p) => Some(p.display().to_string()),
            _ => None,
        },
    );
    note(
        "name(s) in the input folders are no regular file (a named pipe, a device, \
         a link to nothing) and were not read",
        &|p| match p {
            P::NotAFile(p) => Some(p.display().to_string()),
            _ => None,
        },
    );
    note(
        "path(s) of the inputs lead to a file already read (a link or hard link to it, a file \
         given twice or beside a folder that holds it), which was read once",
        &|p| match p {
            P::SameFile { path, read_as } if path == read_as => {
                Some(format!("{} (reached twice)", path.display()))
            }
            P::SameFile { path, read_as } => Some(format!(
                "{} (the same file as {})",
                path.display(),
                read_as.display()
            )),
            _ => None,
        },
    );
    notes
}

/// The mojibake found at the start of a text (its first
/// `MOJIBAKE_PREFIX` bytes), as `clusters.jsonl` reports it.
fn mojibake_at_start(text: &str) -> u32 {
    let start = prefix(text, MOJIBAKE_PREFIX);
    let found = if may_have_mojibake(start) {
        crate::normalize::detect_mojibake(start).total()
    } else {
        0
    };
    u32::try_from(found).unwrap_or(u32::MAX)
}

/// Whether `id` is the place `origin` (`file:line`, or a position such as
/// `docs[3]` for a record handed over in memory), given to a record without one.
pub(crate) fn id_is_place(id: &str, origin: &Origin) -> bool {
    // Compared piece by piece: the tallies call this for every record, and
    // formatting the place would allocate each time.
    let path = crate::document::path_text(&origin.path);
    let Some(rest) = id.strip_prefix(&*path) else {
        return false;
    };
    if origin.line == 0 {
        return rest.is_empty();
    }
    rest.strip_prefix(':').is_some_and(|n| {
        !n.starts_with('0') && n.bytes().all(|b| b.is_ascii_digit()) && n.parse() == Ok(origin.line)
    })
}

/// How the values of the survivor policy's field were read, over the analyzed
/// records: a value that is neither a date nor a number ranks after them all,
/// so a field the reader does not understand is worth knowing about.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SurvivorValues {
    /// The field.
    pub field: String,
    /// Values read as dates ([`crate::dedup::RankValue::Time`]).
    pub dates: u64,
    /// Numbers.
    pub numbers: u64,
    /// Other strings.
    pub strings: u64,
    /// Records without the field (or with a null, a boolean, a list or an
    /// object there).
    pub missing: u64,
    /// The first three distinct other strings met, in input order.
    pub string_examples: Vec<String>,
}

impl SurvivorValues {
    /// Counts the ranks of the analyzed records (in input order).
    fn count<'a>(field: &str, ranks: impl Iterator<Item = Option<&'a RankValue>>) -> Self {
        let mut tally = NoteTally::default();
        for (at, r) in (0u64..).zip(ranks) {
            tally.add_value(at, r);
        }
        tally.survivor_values(field)
    }

    /// What to tell the user when the field was not read as dates or numbers
    /// everywhere (a misspelt field, or values the date reader does not know);
    /// `None` when it was.
    pub fn note(&self) -> Option<String> {
        let read = self.dates + self.numbers;
        if read + self.strings == 0 {
            return Some(format!(
                "no record has a value in the survivor field {:?}: the longest copy survived \
                 (then the smallest id)",
                self.field
            ));
        }
        (self.strings > 0).then(|| {
            let examples: Vec<String> = self
                .string_examples
                .iter()
                .map(|e| format!("{e:?}"))
                .collect();
            format!(
                "{} of {} values of the survivor field {:?} are neither dates nor numbers \
                 (e.g. {}): they rank after those that are",
                self.strings,
                read + self.strings,
                self.field,
                examples.join(", ")
            )
        })
    }
}

/// A rejected record, as written to `rejects.jsonl`.
#[derive(Clone, Debug, Serialize, serde::Deserialize)]
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
    /// The reject for a record error (`Record` or `Data`); `None` for others.
    pub fn from_error(e: &Error) -> Option<Reject> {
        match e {
            Error::Record {
                path,
                line,
                offset,
                reason,
            } => Some(Reject {
                file: crate::document::path_text(path).into_owned(),
                line: *line,
                offset: *offset,
                reason: reason.clone(),
            }),
            Error::Data {
                path,
                offset,
                reason,
            } => Some(Reject {
                file: crate::document::path_text(path).into_owned(),
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
    #[serde(serialize_with = "as_display")]
    pub source: &'a Origin,
    /// Detected language of the key text (ISO 639-3; `und` when unknown).
    pub lang: &'a str,
    /// Confidence of `lang`, in `[0, 1]`.
    pub lang_confidence: f64,
    /// Mojibake tokens found at the start of the text, when there are any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mojibake: Option<u32>,
}

/// Serializes a value as its `Display` text.
fn as_display<S: serde::Serializer>(v: &impl std::fmt::Display, s: S) -> Result<S::Ok, S::Error> {
    s.collect_str(v)
}

impl ClusterLine<'_> {
    /// Appends the line's JSON (no line break), byte for byte what serde_json
    /// writes for it (a test holds them equal). Written by hand because
    /// serde's generic path took 4,800 instructions a line, a quarter of the
    /// output stage.
    pub fn push_json(&self, out: &mut String) {
        out.push_str("{\"id\":");
        push_json_str(out, self.id);
        out.push_str(",\"cluster\":");
        push_json_str(out, self.cluster);
        out.push_str(",\"kept\":");
        out.push_str(if self.kept { "true" } else { "false" });
        out.push_str(",\"duplicate_of\":");
        match self.duplicate_of {
            Some(d) => push_json_str(out, d),
            None => out.push_str("null"),
        }
        out.push_str(",\"reason\":\"");
        out.push_str(self.reason.name());
        out.push_str("\",\"similarity\":");
        push_json_decimal(out, self.similarity, 4);
        out.push_str(",\"source\":");
        let path = self.source.path.to_string_lossy();
        if self.source.line == 0 {
            push_json_str(out, &path);
        } else {
            // The line number needs no escaping: the path's quoted form, with it
            // inside the quotes.
            push_json_str(out, &path);
            out.pop();
            out.push(':');
            push_uint(out, self.source.line);
            out.push('"');
        }
        out.push_str(",\"lang\":");
        push_json_str(out, self.lang);
        out.push_str(",\"lang_confidence\":");
        push_json_decimal(out, self.lang_confidence, 3);
        if let Some(m) = self.mojibake {
            out.push_str(",\"mojibake\":");
            push_uint(out, u64::from(m));
        }
        out.push('}');
    }
}

/// Appends `n` in decimal (`write!` costs a few hundred instructions a number).
fn push_uint(out: &mut String, mut n: u64) {
    let mut digits = [0u8; 20];
    let mut at = digits.len();
    loop {
        at -= 1;
        digits[at] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    out.push_str(std::str::from_utf8(&digits[at..]).unwrap_or_default());
}

/// Appends `v`, a number in [0, 1] rounded to `places` decimals (at most 4),
/// as serde_json writes it (the shortest form that reads back: `0.0`, `0.25`,
/// `1.0`); any other value goes through serde_json itself.
fn push_json_decimal(out: &mut String, v: f64, places: u32) {
    let scale = 10u32.pow(places.min(4));
    let k = (v * f64::from(scale)).round();
    if v.is_sign_positive() && (0.0..=f64::from(scale)).contains(&k) && k / f64::from(scale) == v {
        let k = k as u32;
        let (whole, mut frac) = (k / scale, k % scale);
        out.push(if whole == 1 { '1' } else { '0' });
        out.push('.');
        if frac == 0 {
            out.push('0');
            return;
        }
        let mut digits = places.min(4);
        while frac % 10 == 0 {
            frac /= 10;
            digits -= 1;
        }
        // The fraction's digits, with its leading zeros.
        let mut text = [b'0'; 4];
        for d in (0..digits as usize).rev() {
            text[d] = b'0' + (frac % 10) as u8;
            frac /= 10;
        }
        out.push_str(std::str::from_utf8(&text[..digits as usize]).unwrap_or_default());
    } else {
        out.push_str(&serde_json::to_string(&v).unwrap_or_else(|_| "null".into()));
    }
}

/// Everything pass 1 keeps about a document.
#[derive(Clone, Debug)]
pub(crate) struct Seen {
    /// What clustering needs.
    pub member: Member,
    /// Where the record is.
    pub origin: Origin,
    /// What pass 2 and the outputs need.
    pub info: DocInfo,
}

impl std::borrow::Borrow<Member> for Seen {
    fn borrow(&self) -> &Member {
        &self.member
    }
}

/// Facts about one document besides its sketch.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct DocInfo {
    /// xxh3-64 of the JSON Lines record as read, or of the text of any other
    /// record (a text file, a Parquet row); pass 2 copies a kept line as it is,
    /// and writes any other record, only after checking that it still hashes the
    /// same.
    pub line_hash: u64,
    /// Where a JSON Lines record's bytes are in its decoded file, and how many
    /// (see [`crate::io::RawLine::offset`]): pass 2 reads a file whose offsets
    /// are its own ([`crate::io::open_positional`]) there, in parallel.
    pub span: Option<(u64, u32)>,
    /// Pass 2 must parse the record (not a plain JSON Lines record: text file,
    /// Parquet row, truncated text, or our key already present).
    pub general: bool,
    /// The text was truncated under `oversize = "truncate"`.
    pub truncated: bool,
    /// Detected language (ISO 639-3 code, `und` when unknown).
    pub lang: &'static str,
    /// Confidence of `lang`.
    pub lang_confidence: f32,
    /// Mojibake tokens found.
    pub mojibake: u32,
}

/// The hash [`FirstIds`] files an id under, taken while documents are analyzed
/// in parallel so that the serial merge only looks it up.
fn id_hash(id: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(id.as_bytes())
}

/// Where each id was first seen (a position in the pass-1 table), filed under
/// its [`id_hash`]: no copy of the id is kept, and ids whose hashes clash have
/// a table of their own.
#[derive(Default)]
struct FirstIds {
    by_hash: FastMap<u64, u32>,
    clashes: FastMap<String, u32>,
}

impl FirstIds {
    /// The position of the first document with `id` (`id_at` gives the id at a
    /// position), or `None` after filing `id` as first seen at `at`.
    fn first_or_add<'a>(
        &mut self,
        hash: u64,
        id: &str,
        at: u32,
        id_at: impl Fn(u32) -> &'a str,
    ) -> Option<u32> {
        use std::collections::hash_map::Entry;
        match self.by_hash.entry(hash) {
            Entry::Vacant(v) => {
                v.insert(at);
                None
            }
            Entry::Occupied(o) if id_at(*o.get()) == id => Some(*o.get()),
            Entry::Occupied(_) => match self.clashes.entry(id.to_owned()) {
                Entry::Occupied(c) => Some(*c.get()),
                Entry::Vacant(v) => {
                    v.insert(at);
                    None
                }
            },
        }
    }

    /// The position of the first document with `id`, without filing it.
    fn get<'a>(&self, hash: u64, id: &str, id_at: impl Fn(u32) -> &'a str) -> Option<u32> {
        match self.by_hash.get(&hash) {
            Some(&at) if id_at(at) == id => Some(at),
            Some(_) => self.clashes.get(id).copied(),
            None => None,
        }
    }

    fn reserve(&mut self, more: usize) {
        self.by_hash.reserve(more);
    }
}

/// Whether a checkpointed shard still gives the verdicts a fresh read would,
/// after the shards before it (some perhaps read again, their inputs changed):
/// none of its records' ids has been seen before it, and each record it
/// rejected for a repeated id repeats one first seen where it was then.
fn ids_still_agree(shard: &Shard, first_seen: &FirstIds, seen: &[Seen]) -> bool {
    let id_at = |i: u32| seen[i as usize].member.id.as_str();
    let earlier = |id: &str| first_seen.get(id_hash(id), id, id_at);
    if shard
        .members
        .iter()
        .any(|s| earlier(&s.member.id).is_some())
    {
        return false;
    }
    if shard.duplicates.is_empty() {
        return true;
    }
    let own: FastMap<&str, &Origin> = shard
        .members
        .iter()
        .map(|s| (s.member.id.as_str(), &s.origin))
        .collect();
    shard.duplicates.iter().all(|d| {
        let first = match earlier(&d.id) {
            Some(i) => Some(&seen[i as usize].origin),
            None => own.get(d.id.as_str()).copied(),
        };
        first.is_some_and(|f| f.to_string() == d.first)
    })
}

/// Makes room in the pass-1 tables for the records a file seems to hold, from
/// its size and its first batch's line lengths: growing them while merging
/// copies and re-hashes them on the one merging thread. Room that goes unused
/// is address space only; compressed or non-JSONL files are left to grow.
fn reserve_for(
    file: &InputFile,
    batch: &[Pending],
    seen: &mut Vec<Seen>,
    maps: [&mut FastMap<u128, u32>; 2],
    ids: &mut FirstIds,
) {
    let bytes: usize = batch
        .iter()
        .map(|p| match p {
            Pending::Line(l) => l.bytes.len() + 1,
            Pending::Ready(_) => 0,
        })
        .sum();
    if bytes == 0 || batch.len() < BATCH {
        return;
    }
    let Ok(size) = std::fs::metadata(file.bytes_path()).map(|m| m.len()) else {
        return;
    };
    let expected = usize::try_from(size / bytes as u64 * batch.len() as u64).unwrap_or(0);
    let more = (expected + expected / 8).saturating_sub(seen.capacity() - seen.len());
    seen.reserve(more);
    for m in maps {
        m.reserve(more);
    }
    ids.reserve(more);
}

/// The documents analyzed so far, by text and by key (see
/// [`Analyzer::analyze_pending`]): positions in `seen`.
struct Known<'a> {
    seen: &'a [Seen],
    texts: &'a FastMap<u128, u32>,
    keys: &'a FastMap<u128, u32>,
}

impl Known<'_> {
    fn text(&self, id: u128) -> Option<&Seen> {
        self.texts.get(&id).map(|&i| &self.seen[i as usize])
    }

    fn key(&self, exact: u128) -> Option<&Seen> {
        self.keys.get(&exact).map(|&i| &self.seen[i as usize])
    }
}

/// Per-document work shared by the dedup job and the in-memory API: cleaning,
/// key normalization and sketching.
pub struct Analyzer {
    /// The configured cleaner; with cleaning off and the default key profile, one
    /// with every rule off, whose line folds give the key faster than the general
    /// normalizer (which still runs where the cleaner hands none back).
    cleaner: Option<Cleaner>,
    /// The corpus-level boilerplate model and how documents are grouped, when
    /// `clean.boilerplate.in_dedup` is on (see [`Analyzer::learn_boilerplate`]).
    boilerplate: Option<(BoilerplateModel, GroupBy)>,
    key: Normalizer,
    /// The key profile is the cleaner's per-line fold, so the cleaner can hand
    /// over the key of the cleaned text (see [`Cleaner::cuts_and_key`]).
    key_is_fold: bool,
    sketcher: Sketcher,
    /// The record field the survivor policy ranks by, if any.
    rank_field: Option<String>,
}

impl Analyzer {
    /// Builds the analyzer for a configuration.
    ///
    /// # Errors
    /// [`Error::Config`] if any section is invalid.
    pub fn new(cfg: &Config) -> Result<Self> {
        cfg.validate()?;
        let rank_field = cfg.survivor_field().map(str::to_owned);
        let key_is_fold = cfg.normalize
            == crate::normalize::NormalizeConfig::profile(crate::normalize::Profile::Key);
        let cleaner = if cfg.clean.enabled {
            Some(Cleaner::new(&cfg.clean)?)
        } else if key_is_fold {
            Some(Cleaner::new(&crate::clean::CleanConfig::every_rule_off())?)
        } else {
            None
        };
        Ok(Analyzer {
            cleaner,
            boilerplate: None,
            key: Normalizer::new(&cfg.normalize)?,
            key_is_fold,
            sketcher: Sketcher::new(&cfg.dedup)?,
            rank_field,
        })
    }

    /// When `clean.boilerplate.in_dedup` asks for it, builds the corpus-level
    /// boilerplate model with `count` (given the cleaner); [`Analyzer::member`]
    /// then cuts those lines too.
    ///
    /// # Errors
    /// What `count` returns.
    pub fn learn_boilerplate(
        &mut self,
        cfg: &Config,
        count: impl FnOnce(&Cleaner) -> Result<BoilerplateModel>,
    ) -> Result<()> {
        let (Some(cleaner), true) = (&self.cleaner, cfg.clean.boilerplate_in_dedup()) else {
            return Ok(());
        };
        let model = count(cleaner)?;
        self.boilerplate = Some((model, cfg.clean.boilerplate.group_by.clone()));
        Ok(())
    }

    /// What the corpus-level boilerplate count takes of `doc` (see
    /// [`crate::clean::BoilerplateConfig::document_lines`]), when
    /// `clean.boilerplate.in_dedup` asks for the count.
    pub fn boilerplate_lines(
        &self,
        cfg: &Config,
        doc: &Document,
    ) -> Option<crate::clean::boilerplate::DocumentLines> {
        let (Some(cleaner), true) = (&self.cleaner, cfg.clean.boilerplate_in_dedup()) else {
            return None;
        };
        Some(cfg.clean.boilerplate.document_lines(cleaner, doc))
    }

    /// The key normalizer.
    pub fn normalizer(&self) -> &Normalizer {
        &self.key
    }

    /// The sketcher.
    pub fn sketcher(&self) -> &Sketcher {
        &self.sketcher
    }

    /// Parses and analyzes one record read by [`Reader::next_pending`]. The
    /// analysis of a text met before (`known`) is copied rather than redone:
    /// cleaning, key, language and sketch depend on the text alone (and on its
    /// group when the corpus-level boilerplate model is on), and the sketch on
    /// the key alone. Returns the text's identity for `known` too.
    fn analyze_pending(
        &self,
        p: Pending,
        input: &crate::io::InputConfig,
        known: &Known<'_>,
    ) -> Result<(Seen, u128, u64)> {
        let (line_hash, fast_ours, span) = match &p {
            Pending::Line(l) => (
                Some(crate::hash::long64(&l.bytes)),
                None::<bool>,
                u32::try_from(l.bytes.len()).ok().map(|n| (l.offset, n)),
            ),
            Pending::Ready(_) => (None, Some(true), None),
        };
        let (doc, truncated) = p.finish(input);
        let doc = doc?;
        let line_hash = line_hash.unwrap_or_else(|| text_hash(&doc));
        let general = fast_ours.unwrap_or(false) || truncated || raw_has_our_key(&doc);
        let group = self.group(&doc);
        let text_id = self.text_id(&doc, group.as_deref());
        let rank = self.rank(&doc);
        let (sketch, chrome, lang, lang_confidence, mojibake) = match known.text(text_id) {
            Some(s) => (
                s.member.sketch.clone(),
                s.member.chrome,
                s.info.lang,
                s.info.lang_confidence,
                s.info.mojibake,
            ),
            None => {
                let (key, chrome) = self.key_in(&doc, group.as_deref());
                let lang = key_language(&key);
                let exact = self.sketcher.exact_key(&key);
                let sketch = match known.key(exact) {
                    Some(s) => s.member.sketch.clone(),
                    None => self.sketcher.sketch_keyed(&key, exact),
                };
                let mojibake = mojibake_at_start(&doc.text);
                (
                    sketch,
                    chrome,
                    lang.language.code(),
                    lang.confidence,
                    mojibake,
                )
            }
        };
        let seen = Seen {
            member: Member {
                id: doc.id,
                sketch,
                chrome,
                rank,
            },
            info: DocInfo {
                line_hash,
                span,
                general,
                truncated,
                lang,
                lang_confidence,
                mojibake,
            },
            origin: doc.origin,
        };
        let id = id_hash(&seen.member.id);
        Ok((seen, text_id, id))
    }

    /// What makes two documents' analyses equal: the text, and its group when
    /// the corpus-level boilerplate model cuts lines by group.
    fn text_id(&self, doc: &Document, group: Option<&str>) -> u128 {
        let Some(g) = group else {
            // The one-shot hash: the streaming one buffers every byte first.
            return crate::hash::long128(doc.text.as_bytes());
        };
        let mut h = xxhash_rust::xxh3::Xxh3::new();
        h.update(doc.text.as_bytes());
        // 0xFF occurs in no UTF-8 text: the group cannot run into the text.
        h.update(&[0xFF]);
        h.update(g.as_bytes());
        h.digest128()
    }

    /// The document's group for the corpus-level boilerplate model, when the
    /// model is on (read once per document: it may parse the record).
    fn group(&self, doc: &Document) -> Option<String> {
        self.boilerplate.as_ref().map(|(_, by)| by.group_of(doc))
    }

    fn rank(&self, doc: &Document) -> Option<RankValue> {
        self.rank_field.as_ref().and_then(|f| rank_value(doc, f))
    }

    /// Analyzes one document into a clustering [`Member`].
    pub fn member(&self, doc: &Document) -> Member {
        self.member_and_key(doc).0
    }

    /// Analyzes one document into a clustering [`Member`] and the detected
    /// language of its key text (ISO 639-3).
    pub fn member_and_language(&self, doc: &Document) -> (Member, &'static str) {
        let (m, key) = self.member_and_key(doc);
        (m, key_language(&key).language.code())
    }

    /// Analyzes one document into a clustering [`Member`] and its key text
    /// (see [`Analyzer::key`]).
    pub fn member_and_key(&self, doc: &Document) -> (Member, String) {
        let (key, chrome) = self.key(doc);
        let member = Member {
            id: doc.id.clone(),
            sketch: self.sketcher.sketch_local(&key),
            chrome,
            rank: self.rank(doc),
        };
        (member, key)
    }

    /// The key text of a document (cleaned, then key-normalized; the whole text
    /// key-normalized when cleaning would leave nothing) and the number of
    /// characters cleaning removed.
    pub fn key(&self, doc: &Document) -> (String, u64) {
        self.key_in(doc, self.group(doc).as_deref())
    }

    /// [`Analyzer::key`] with the document's group already read.
    fn key_in(&self, doc: &Document, group: Option<&str>) -> (String, u64) {
        let (key, removed) = self.cleaned_key(doc, group);
        if key.is_empty() {
            // Nothing but what the key drops (diacritics, tatweel, invisible
            // marks): compared as written, or every such text would be an
            // exact copy of every other.
            return (doc.text.clone(), removed);
        }
        (key, removed)
    }

    /// The key of the cleaned text, or of the whole text when cleaning leaves
    /// nothing, and the characters cleaning removed.
    fn cleaned_key(&self, doc: &Document, group: Option<&str>) -> (String, u64) {
        let Some(c) = &self.cleaner else {
            return (self.key.normalize(&doc.text).into_owned(), 0);
        };
        let model = self
            .boilerplate
            .as_ref()
            .zip(group)
            .map(|((m, _), g)| (m, g));
        let (cuts, fused) = c.cuts_and_key(&doc.text, model);
        // The cleaner's folds are the default key profile's; another profile
        // normalizes the cleaned text itself.
        let fused = fused.filter(|_| self.key_is_fold);
        let removed: usize = cuts
            .iter()
            .map(|c| doc.text[c.start..c.end].chars().count())
            .sum();
        let key = match fused {
            Some(k) => k,
            None => self
                .key
                .normalize(&crate::clean::apply(&doc.text, &cuts))
                .into_owned(),
        };
        if key.is_empty() && !cuts.is_empty() {
            // All of it is chrome: compared whole, or every such page (a lone
            // sign-off, a row of dashes) would be an exact copy of every other.
            return (self.key.normalize(&doc.text).into_owned(), removed as u64);
        }
        (key, removed as u64)
    }
}

/// Whether the record may already have our key (then pass 2 takes the general
/// path, which merges ours into it).
fn raw_has_our_key(doc: &Document) -> bool {
    const QUOTED: &str = "\"ghirbal\"";
    debug_assert_eq!(QUOTED, format!("\"{OUR_KEY}\""));
    doc.raw
        .as_deref()
        .is_some_and(|r| memchr::memmem::find(r.as_bytes(), QUOTED.as_bytes()).is_some())
}

/// The static code of a language code read back from a checkpoint.
pub(crate) fn lang_code(code: &str) -> Option<&'static str> {
    use crate::normalize::Language as L;
    [
        L::Arabic,
        L::Persian,
        L::Urdu,
        L::OtherArabicScript,
        L::Unknown,
    ]
    .into_iter()
    .map(L::code)
    .find(|c| *c == code)
    .or_else(|| whatlang::Lang::from_code(code).map(|l| l.code()))
}

fn rank_value(doc: &Document, field: &str) -> Option<RankValue> {
    let raw = doc.raw.as_ref()?;
    match crate::io::json_field(raw, field)? {
        Value::Number(n) => n.as_f64().map(RankValue::Num),
        Value::String(s) => Some(RankValue::of_str(s)),
        _ => None,
    }
}

/// Where a running job is, for a progress display.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    /// A first pass that counts what repeats across documents (boilerplate
    /// lines, passages), before the records are read for good: how many were
    /// counted so far.
    Count(u64),
    /// Reading and analyzing the records: how many were read so far.
    Read(u64),
    /// Every record is read; the dedup job clusters them.
    Cluster,
    /// The dedup job writes its outputs (reading the inputs again for the kept
    /// records).
    Write,
}

/// Progress callback: called as a job moves on ([`Step`]), every few thousand
/// records while it reads. [`ControlFlow::Break`] stops the job there with
/// [`Error::Interrupted`] (a dedup run keeps its checkpoints, and the same run
/// resumes from them).
///
/// [`ControlFlow::Break`]: std::ops::ControlFlow::Break
pub type Progress<'a> = &'a (dyn Fn(Step) -> std::ops::ControlFlow<()> + Sync);

/// Documents analyzed in one go by an in-memory job between two reports of
/// its progress.
const MEMORY_STEP: usize = 16_384;

/// `f` over `items` in parallel, results in order, [`MEMORY_STEP`] items at a
/// time, each time reporting the items done so far as [`Step::Read`]: the
/// progress of an in-memory job, which may be told to stop there.
pub(crate) fn par_map_reporting<T: Sync, R: Send>(
    items: &[T],
    f: impl Fn(&T) -> R + Sync,
    progress: Option<Progress<'_>>,
) -> Result<Vec<R>> {
    let mut out = Vec::with_capacity(items.len());
    for chunk in items.chunks(MEMORY_STEP) {
        out.par_extend(chunk.par_iter().map(&f));
        step(progress, Step::Read(out.len() as u64))?;
    }
    Ok(out)
}

/// Reports `step` to `progress`: [`Error::Interrupted`] when it asks the job to
/// stop.
pub(crate) fn step(progress: Option<Progress<'_>>, step: Step) -> Result<()> {
    match progress.map(|p| p(step)) {
        Some(std::ops::ControlFlow::Break(())) => Err(Error::Interrupted),
        _ => Ok(()),
    }
}

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
    let result = cfg.in_pool(|| run_dedup_inner(inputs, output, cfg, progress));
    if let Err(Error::Record { .. } | Error::Data { .. } | Error::Invariant(_)) = &result {
        crate::checkpoint::discard(output);
    }
    result
}

fn run_dedup_inner(
    inputs: &[PathBuf],
    output: &Path,
    cfg: &Config,
    progress: Option<Progress<'_>>,
) -> Result<Summary> {
    let t0 = Instant::now();
    let mut timings = BTreeMap::new();
    let mut analyzer = Analyzer::new(cfg)?;
    let out = OutputDir::create(output, cfg.output.overwrite, inputs)?;

    let (mut files, passed_over) = crate::io::list_inputs_noting(inputs, Some(output))?;
    spill_stdin(&mut files, &out)?;
    // A format the inputs cannot give is a usage error before any work.
    let format = cfg.output.format_for(&files)?;
    // Each input's fingerprint is taken while pass 1 reads it (or comes with
    // its checkpoint): no extra pass over the corpus.
    let mut input_summaries = Vec::with_capacity(files.len());
    analyzer.learn_boilerplate(cfg, |c| {
        crate::clean::job::count_files(&files, cfg, c, progress)
    })?;
    if cfg.clean.boilerplate_in_dedup() {
        timings.insert("boilerplate_count".into(), t0.elapsed().as_secs_f64());
    }

    // Pass 1: sketch every record, in input order, in parallel batches.
    let mut counts = Counts::default();
    let mut seen: Vec<Seen> = Vec::new();
    let mut rejects: Vec<Reject> = Vec::new();
    let mut first_seen = FirstIds::default();
    // Where each text and each key was first analyzed (positions in `seen`).
    let (mut texts, mut keys): (FastMap<u128, u32>, FastMap<u128, u32>) = Default::default();
    let mut decoding = Vec::new();
    // Standard input cannot be read again after a crash: no checkpoints then.
    let ckpt = if inputs.iter().any(|p| p.as_os_str() == "-") {
        Checkpoints::disabled()
    } else {
        let paths: Vec<String> = files.iter().map(|f| f.path.display().to_string()).collect();
        let model = analyzer.boilerplate.as_ref().map(|(m, _)| m.fingerprint());
        Checkpoints::open(output, cfg, &paths, model)?
    };
    let mut resume = Resume::default();
    // Time spent merging each analyzed batch into the tables, on one thread
    // while the others wait: the serial part of pass 1.
    let mut merge = Duration::ZERO;
    let raw_fields = cfg.raw_fields();
    // A shard is one input file, or a run of small ones read as one stream.
    for (shard_no, range) in crate::checkpoint::shard_groups(&files)
        .into_iter()
        .enumerate()
    {
        let group = &files[range];
        resume.shards += 1;
        if let Some(shard) = ckpt
            .load(shard_no, group)?
            .filter(|s| ids_still_agree(s, &first_seen, &seen))
        {
            for (file, fingerprint) in group.iter().zip(shard.fingerprints) {
                input_summaries.push(InputSummary {
                    path: file.path.display().to_string(),
                    fingerprint,
                });
            }
            resume.skipped_shards += 1;
            counts.input += shard.input;
            for s in shard.members {
                let at = seen.len() as u32;
                let id_at = |i: u32| seen[i as usize].member.id.as_str();
                first_seen.first_or_add(id_hash(&s.member.id), &s.member.id, at, id_at);
                seen.push(s);
            }
            rejects.extend(shard.rejects);
            decoding.extend(shard.decoding);
            continue;
        }
        let (rejects0, input0) = (rejects.len(), counts.input);
        let mut duplicates = Vec::new();
        // Pass 1 reads no field but these, and writes no record.
        let mut reader = Reader::new(group.to_vec(), cfg.input.clone())
            .fingerprinting()
            .raw_fields(&raw_fields);
        // Reading (sequential, cheap) overlaps with parsing and analysis of the
        // previous batch (parallel, in input order).
        let mut shard = ckpt.start(shard_no, group)?;
        let mut saved = seen.len();
        let mut batch = reader.next_pending_batch(BATCH);
        reserve_for(
            &group[0],
            &batch,
            &mut seen,
            [&mut texts, &mut keys],
            &mut first_seen,
        );
        while !batch.is_empty() {
            let known = Known {
                seen: &seen,
                texts: &texts,
                keys: &keys,
            };
            let ((next, appended), analyzed) = rayon::join(
                // The previous batch is saved while this one is analyzed.
                || {
                    (
                        reader.next_pending_batch(BATCH),
                        shard.append(&seen[saved..]),
                    )
                },
                || {
                    batch
                        .into_par_iter()
                        .map(|p| analyzer.analyze_pending(p, &cfg.input, &known))
                        .collect::<Vec<_>>()
                },
            );
            appended?;
            saved = seen.len();
            let merging = Instant::now();
            for a in analyzed {
                counts.input += 1;
                match a {
                    Err(e) => {
                        // A `Data` error stands for the unreadable rest of one file:
                        // one input record, rejected, so the accounting still holds.
                        if !matches!(e, Error::Record { .. } | Error::Data { .. }) {
                            return Err(e);
                        }
                        reject(e, cfg.on_error, &mut rejects)?;
                    }
                    Ok((seen_doc, text_id, id)) => {
                        if seen_doc.info.truncated {
                            reader.add_truncated(&seen_doc.origin.path, 1);
                        }
                        let (at, doc_id) = (seen.len() as u32, &seen_doc.member.id);
                        let id_at = |i: u32| seen[i as usize].member.id.as_str();
                        if let Some(first) = first_seen.first_or_add(id, doc_id, at, id_at) {
                            let first = &seen[first as usize].origin;
                            let e = duplicate_id_error(doc_id, &seen_doc.origin, first);
                            reject(e, cfg.on_error, &mut rejects)?;
                            duplicates.push(DuplicateId {
                                id: doc_id.clone(),
                                first: first.to_string(),
                            });
                            continue;
                        }
                        texts.entry(text_id).or_insert(at);
                        keys.entry(seen_doc.member.sketch.exact).or_insert(at);
                        seen.push(seen_doc);
                    }
                }
            }
            merge += merging.elapsed();
            step(progress, Step::Read(counts.input))?;
            batch = next;
        }
        decoding.extend(reader.reports().iter().cloned());
        let inputs = group
            .iter()
            .map(|f| InputSummary::read_by(f, &reader))
            .collect::<Result<Vec<_>>>()?;
        shard.append(&seen[saved..])?;
        shard.finish(
            &inputs,
            counts.input - input0,
            &rejects[rejects0..],
            &duplicates,
            reader.reports(),
        )?;
        input_summaries.extend(inputs);
    }
    drop((first_seen, texts, keys));
    timings.insert("read_and_sketch".into(), t0.elapsed().as_secs_f64());
    timings.insert("read_and_sketch.merge".into(), merge.as_secs_f64());

    // Cluster.
    step(progress, Step::Cluster)?;
    let t1 = Instant::now();
    let (verdicts, report) = cluster_report(&seen, &cfg.dedup);
    for (step, secs) in &report.timings {
        timings.insert(format!("cluster.{step}"), *secs);
    }
    let mut audit = Audit::new(&seen, &verdicts, &report, &cfg.dedup);
    drop(report);
    timings.insert("cluster".into(), t1.elapsed().as_secs_f64());

    // Outputs. `clusters.jsonl` is written alongside the second pass, which
    // leaves a core partly idle while it reads.
    step(progress, Step::Write)?;
    let t2 = Instant::now();
    let clusters_path = out.file("clusters.jsonl");
    // The audit's sampled members are read again for their texts: in the second
    // pass with kept.jsonl, or, as kept.parquet is copied in batches without
    // documents, those rows alone, beside it.
    let wanted: Vec<bool> = (0..seen.len()).map(|i| audit.wants(i)).collect();
    let wants_doc = |i: usize| wanted[i];
    let mut observe = |i: usize, doc: &Document| {
        if audit.wants(i) {
            let (key, _) = analyzer.key(doc);
            audit.observe(i, &doc.text, analyzer.sketcher().shingle_set(&key));
        }
    };
    type Observe<'o> = &'o mut (dyn FnMut(usize, &Document) + Send);
    let (beside, in_pass): (Option<Observe<'_>>, Option<Observe<'_>>) =
        if format == KeptFormat::ParquetRows {
            (Some(&mut observe), None)
        } else {
            (None, Some(&mut observe))
        };
    let (clusters, kept_written) = rayon::join(
        || -> Result<f64> {
            write_clusters(&clusters_path, &seen, &verdicts)?;
            let secs = t2.elapsed().as_secs_f64();
            // Only a Parquet output, which a build without Parquet refuses, sets it.
            #[cfg(feature = "parquet")]
            if let Some(observe) = beside {
                observe_parquet_rows(&files, cfg, &seen, &wanted, observe)?;
            }
            #[cfg(not(feature = "parquet"))]
            let _ = beside;
            Ok(secs)
        },
        || {
            let mut rj = JsonlWriter::create(&out.file("rejects.jsonl"))?;
            for r in &rejects {
                rj.write(r)?;
            }
            rj.finish()?;
            match in_pass {
                Some(observe) => {
                    write_kept(&files, cfg, &out, &seen, &verdicts, &wants_doc, observe)
                }
                None => write_kept_parquet(&files, cfg, &out, &seen, &verdicts),
            }
        },
    );
    timings.insert("write.clusters".into(), clusters?);
    let mut kept_written = kept_written?;
    if format == KeptFormat::ParquetConverted {
        let converting = Instant::now();
        kept_written = kept_jsonl_to_parquet(&out, cfg, true)?;
        timings.insert(
            "write.to_parquet".into(),
            converting.elapsed().as_secs_f64(),
        );
    }
    check_parquet_unchanged(&files, &input_summaries)?;
    audit.finish();
    write_audit(&out.file("audit.json"), &audit)?;
    timings.insert("write".into(), t2.elapsed().as_secs_f64());

    counts.rejected = rejects.len() as u64;
    tally(&verdicts, &mut counts);
    check_accounting(&counts, Some(kept_written))?;
    timings.insert("total".into(), t0.elapsed().as_secs_f64());
    let mut summary = Summary::new(cfg, &analyzer, input_summaries, counts, timings);
    summary.decoding = decoding;
    summary.resume = resume;
    summary.count_languages(seen.iter().map(|s| s.info.lang));
    summary.mojibake_documents = Some(seen.iter().filter(|s| s.info.mojibake > 0).count() as u64);
    summary.survivor_values = cfg
        .survivor_field()
        .map(|f| SurvivorValues::count(f, seen.iter().map(|s| s.member.rank.as_ref())));
    summary.notes = notes(
        cfg,
        &NoteFacts {
            passed_over: &passed_over,
            ids_all_places: ids_all_places(
                seen.iter().map(|s| (s.member.id.as_str(), &s.origin)),
                Places::FileLines,
            ),
            ungrouped: ungrouped(&analyzer),
        },
    );
    let path = out.file("summary.json");
    let json = serde_json::to_string_pretty(&summary)
        .map_err(|e| Error::io(&path, std::io::Error::other(e)))?;
    std::fs::write(&path, json + "\n").map_err(|e| Error::io(&path, e))?;
    remove_spills(&files);
    out.commit()?;
    // Freeing a few million allocations takes a tenth of a second at 200k
    // documents: it overlaps with removing the checkpoints, and a process that
    // exits does not wait for it.
    drop_in_background((seen, verdicts, audit, analyzer));
    ckpt.finish()?;
    Ok(summary)
}

/// Drops `value` on a thread of its own (here, with the closure, if no thread
/// can be started).
fn drop_in_background<T: Send + 'static>(value: T) {
    let _ = std::thread::Builder::new()
        .name("ghirbal-drop".into())
        .spawn(move || drop(value));
}

impl Summary {
    /// Counts the documents' language labels into `languages`.
    fn count_languages(&mut self, langs: impl IntoIterator<Item = &'static str>) {
        // Counted by the static codes first: an owned key per document would
        // allocate 200,000 times for a handful of languages.
        let mut counts: FastMap<&'static str, u64> = FastMap::default();
        for l in langs {
            *counts.entry(l).or_default() += 1;
        }
        for (l, n) in counts {
            *self.languages.entry(l.to_owned()).or_default() += n;
        }
    }

    fn new(
        cfg: &Config,
        analyzer: &Analyzer,
        inputs: Vec<InputSummary>,
        counts: Counts,
        timings: BTreeMap<String, f64>,
    ) -> Summary {
        Summary {
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
            inputs,
            decoding: Vec::new(),
            resume: Resume::default(),
            counts,
            languages: BTreeMap::new(),
            mojibake_documents: None,
            survivor_values: None,
            notes: Vec::new(),
            timings,
        }
    }
}

/// The error for a document whose id was seen before, or `None` after recording
/// where this id was first seen.
pub(crate) fn duplicate_id(
    first_seen: &mut FastMap<String, Origin>,
    id: &str,
    origin: &Origin,
) -> Option<Error> {
    if let Some(first) = first_seen.get(id) {
        return Some(duplicate_id_error(id, origin, first));
    }
    first_seen.insert(id.to_owned(), origin.clone());
    None
}

/// The error for the record at `origin` whose id `id` was first seen at `first`.
pub fn duplicate_id_error(id: &str, origin: &Origin, first: &Origin) -> Error {
    Error::record(
        origin,
        format!("duplicate id {id:?}, first seen at {first}"),
    )
}

/// Adds the verdicts to the kept / removed counts.
fn tally(verdicts: &[Verdict], counts: &mut Counts) {
    for v in verdicts {
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
}

/// Fails unless each Parquet input still has the fingerprint pass 1 took
/// (`inputs[i]` is the summary of `files[i]`). Pass 2 and the audit find Parquet
/// rows by their number, without the per-line hash that guards a JSON Lines
/// copy: a file replaced mid-run would give other rows under the verdicts.
fn check_parquet_unchanged(files: &[InputFile], inputs: &[InputSummary]) -> Result<()> {
    for (file, first) in files.iter().zip(inputs) {
        if file.kind != crate::io::InputKind::Parquet {
            continue;
        }
        let now = fingerprint_file(file.bytes_path())?;
        if now != first.fingerprint {
            return Err(Error::Invariant(format!(
                "input changed during the run: {} (fingerprint {} when first read, {now} after \
                 the kept rows were copied)",
                file.path.display(),
                first.fingerprint
            )));
        }
    }
    Ok(())
}

/// Fails loudly unless every input record is kept, removed or rejected (and, for
/// the file job, every kept record was written).
fn check_accounting(counts: &Counts, kept_written: Option<u64>) -> Result<()> {
    if counts.input != counts.kept + counts.removed + counts.rejected
        || kept_written.is_some_and(|k| k != counts.kept)
    {
        return Err(Error::Invariant(format!(
            "accounting: input {} != kept {} + removed {} + rejected {} (kept written: {kept_written:?})",
            counts.input, counts.kept, counts.removed, counts.rejected
        )));
    }
    Ok(())
}

/// What happened to one record handed to [`dedup_documents`].
#[derive(Clone, Debug)]
pub enum Outcome {
    /// It was analyzed; `cluster` and `duplicate_of` are indices into the input
    /// (the records handed over, rejected ones included).
    Verdict(Verdict),
    /// It was rejected (under `on_error = "skip"`), with the reason.
    Rejected(Reject),
}

/// The result of [`dedup_documents`].
#[derive(Clone, Debug)]
pub struct MemoryRun {
    /// One outcome per input record, in input order.
    pub outcomes: Vec<Outcome>,
    /// Ids of the records, in input order (empty for records that could not be read).
    pub ids: Vec<String>,
    /// Detected language of each record (ISO 639-3, as in `clusters.jsonl`), in
    /// input order; `None` for rejected records.
    pub languages: Vec<Option<&'static str>>,
    /// The same summary as `summary.json`, with no input files.
    pub summary: Summary,
    /// What the job writes to `audit.json` for the same records.
    pub audit: Audit,
}

/// Deduplicates documents held in memory: the dedup job without files, for
/// front-ends such as the Python `ghirbal.dedup`.
///
/// Each item is a document or the error met while building it; errors and
/// duplicate ids follow `cfg.on_error` exactly as in [`run_dedup`]. Verdicts do
/// not depend on the order of the documents. `progress` hears the documents
/// analyzed so far ([`Step::Read`]) and then [`Step::Cluster`], and may stop
/// the job there ([`Error::Interrupted`]).
///
/// ```
/// use corpus_core::{Config, Document, Origin};
/// use corpus_core::pipeline::{Outcome, dedup_documents};
///
/// let text = "أعلنت الحكومة اليوم عن خطة جديدة لإعادة إعمار المدينة القديمة وترميم أسواقها";
/// let doc = |id: &str, text: &str| Ok(Document {
///     id: id.into(),
///     text: text.into(),
///     origin: Origin { path: std::path::Path::new(id).into(), line: 0 },
///     raw: None,
/// });
/// let docs = vec![doc("b", text), doc("a", &text.replace('إ', "ا"))];
/// let run = dedup_documents(docs, &Config::default(), None)?;
/// let Outcome::Verdict(v) = &run.outcomes[0] else { panic!() };
/// assert!(!v.kept && v.duplicate_of == Some(1)); // "a" is the smaller id, and equal length
/// # Ok::<(), corpus_core::Error>(())
/// ```
///
/// # Errors
/// [`Error::Config`] for an invalid configuration; under `on_error = "fail"` the
/// first bad record ([`Error::Record`] / [`Error::Data`]); [`Error::Interrupted`]
/// when `progress` says stop; [`Error::Invariant`] if the accounting does not add
/// up.
pub fn dedup_documents(
    docs: impl IntoIterator<Item = Result<Document>>,
    cfg: &Config,
    progress: Option<Progress<'_>>,
) -> Result<MemoryRun> {
    let docs: Vec<Result<Document>> = docs.into_iter().collect();
    cfg.in_pool(|| dedup_documents_inner(docs, cfg, progress))
}

fn dedup_documents_inner(
    docs: Vec<Result<Document>>,
    cfg: &Config,
    progress: Option<Progress<'_>>,
) -> Result<MemoryRun> {
    let t0 = Instant::now();
    let mut analyzer = Analyzer::new(cfg)?;
    let mut counts = Counts {
        input: docs.len() as u64,
        ..Counts::default()
    };
    // The boilerplate model counts every readable document, as the job's count
    // pass does (a repeated id too).
    let mut counter = BoilerplateCounter::new(&cfg.clean.boilerplate);
    let Intake {
        ids,
        slots,
        good,
        rejects,
    } = Intake::sort(docs, cfg.on_error, |d| {
        if let Some(lines) = analyzer.boilerplate_lines(cfg, d) {
            counter.add_document(&lines);
        }
    })?;
    analyzer.learn_boilerplate(cfg, |_| Ok(counter.finish()))?;
    // The mojibake gate reads a text's start, as the file job's analysis does.
    let analyze = |(_, d): &(usize, Document)| {
        let (member, lang) = analyzer.member_and_language(d);
        (member, (lang, mojibake_at_start(&d.text) > 0))
    };
    let (members, found): (Vec<Member>, Vec<(&'static str, bool)>) =
        par_map_reporting(&good, analyze, progress)?
            .into_iter()
            .unzip();
    let (langs, mojibake): (Vec<&'static str>, Vec<bool>) = found.into_iter().unzip();
    let mut timings = BTreeMap::new();
    timings.insert("read_and_sketch".into(), t0.elapsed().as_secs_f64());

    step(progress, Step::Cluster)?;
    let t1 = Instant::now();
    let (verdicts, report) = cluster_report(&members, &cfg.dedup);
    // The job's audit: the documents are at hand for the sampled clusters'
    // exact similarities.
    let mut audit = Audit::new(&members, &verdicts, &report, &cfg.dedup);
    let survivor_values = cfg
        .survivor_field()
        .map(|f| SurvivorValues::count(f, members.iter().map(|m| m.rank.as_ref())));
    drop((members, report));
    for (m, (_, doc)) in good.iter().enumerate() {
        if audit.wants(m) {
            let (key, _) = analyzer.key(doc);
            audit.observe(m, &doc.text, analyzer.sketcher().shingle_set(&key));
        }
    }
    audit.finish();
    timings.insert("cluster".into(), t1.elapsed().as_secs_f64());

    counts.rejected = rejects.len() as u64;
    tally(&verdicts, &mut counts);
    check_accounting(&counts, None)?;
    // Member indices -> input indices.
    let input_index = |m: usize| good[m].0;
    let languages: Vec<Option<&'static str>> =
        slots.iter().map(|s| s.ok().map(|m| langs[m])).collect();
    let outcomes = slots
        .into_iter()
        .map(|slot| match slot {
            Ok(m) => {
                let v = &verdicts[m];
                Outcome::Verdict(Verdict {
                    cluster: input_index(v.cluster),
                    duplicate_of: v.duplicate_of.map(input_index),
                    ..v.clone()
                })
            }
            Err(r) => Outcome::Rejected(rejects[r].clone()),
        })
        .collect();
    timings.insert("total".into(), t0.elapsed().as_secs_f64());
    let mut summary = Summary::new(cfg, &analyzer, Vec::new(), counts, timings);
    summary.count_languages(langs);
    summary.survivor_values = survivor_values;
    summary.mojibake_documents = Some(mojibake.iter().filter(|&&m| m).count() as u64);
    summary.notes = notes(
        cfg,
        &NoteFacts {
            ids_all_places: ids_all_places(
                good.iter().map(|(_, d)| (d.id.as_str(), &d.origin)),
                Places::Positions,
            ),
            ungrouped: ungrouped(&analyzer),
            ..NoteFacts::default()
        },
    );
    Ok(MemoryRun {
        outcomes,
        ids,
        languages,
        summary,
        audit,
    })
}

/// How many records the boilerplate count (when it ran) put in the group of
/// those without a usable `group_by` value.
fn ungrouped(analyzer: &Analyzer) -> crate::clean::boilerplate::Ungrouped {
    analyzer
        .boilerplate
        .as_ref()
        .map(|(m, _)| crate::clean::boilerplate::Ungrouped::of_groups(m.stats()))
        .unwrap_or_default()
}

/// `places` when every one of the records (at least one), given as their ids
/// and origins, has its place for an id.
pub(crate) fn ids_all_places<'a>(
    records: impl IntoIterator<Item = (&'a str, &'a Origin)>,
    places: Places,
) -> Option<Places> {
    let mut records = records.into_iter().peekable();
    // Settled by the first record that has an id.
    (records.peek().is_some() && records.all(|(id, origin)| id_is_place(id, origin)))
        .then_some(places)
}

/// Documents handed over in memory, sorted into the readable ones and the
/// rejected ones (unreadable, or a repeated id) as the file jobs do.
pub(crate) struct Intake {
    /// Per input item: its id (empty for an unreadable record).
    pub ids: Vec<String>,
    /// Per input item: `Ok(index into good)` or `Err(index into rejects)`.
    pub slots: Vec<std::result::Result<usize, usize>>,
    /// The readable documents with their input index, in input order.
    pub good: Vec<(usize, Document)>,
    /// The rejected ones, in input order.
    pub rejects: Vec<Reject>,
}

impl Intake {
    /// Sorts `docs`, calling `readable` on every readable document before its
    /// id is checked (the clean job's boilerplate model counts those).
    ///
    /// # Errors
    /// Under `on_error = "fail"`, the first bad record or repeated id.
    pub(crate) fn sort(
        docs: Vec<Result<Document>>,
        on_error: OnError,
        mut readable: impl FnMut(&Document),
    ) -> Result<Intake> {
        let mut first_seen: FastMap<String, Origin> = FastMap::default();
        let mut out = Intake {
            ids: Vec::with_capacity(docs.len()),
            slots: Vec::with_capacity(docs.len()),
            good: Vec::with_capacity(docs.len()),
            rejects: Vec::new(),
        };
        for (i, doc) in docs.into_iter().enumerate() {
            if let Ok(d) = &doc {
                readable(d);
            }
            let (id, doc) = match doc {
                Ok(d) => match duplicate_id(&mut first_seen, &d.id, &d.origin) {
                    Some(e) => (d.id, Err(e)),
                    None => (d.id.clone(), Ok(d)),
                },
                Err(e) => (String::new(), Err(e)),
            };
            out.ids.push(id);
            match doc {
                Ok(d) => {
                    out.slots.push(Ok(out.good.len()));
                    out.good.push((i, d));
                }
                Err(e) => {
                    reject(e, on_error, &mut out.rejects)?;
                    out.slots.push(Err(out.rejects.len() - 1));
                }
            }
        }
        Ok(out)
    }
}

pub(crate) fn reject(e: Error, on_error: OnError, rejects: &mut Vec<Reject>) -> Result<()> {
    match (on_error, Reject::from_error(&e)) {
        (OnError::Skip, Some(r)) => {
            rejects.push(r);
            Ok(())
        }
        _ => Err(e),
    }
}

/// Copies standard input (an input `-`) into the output folder, so that the job
/// can read it more than once; a compressed stream is recognised by its first
/// bytes and kept compressed. Records keep `-` as their file.
pub(crate) fn spill_stdin(files: &mut [InputFile], out: &OutputDir) -> Result<()> {
    use std::io::{BufRead, Write};
    for f in files.iter_mut().filter(|f| f.path.as_os_str() == "-") {
        let mut stdin = std::io::stdin().lock();
        let head = stdin.fill_buf().map_err(|e| Error::io("-", e))?;
        let ext = crate::io::codec_suffix_of_head(head).unwrap_or_default();
        let dest = out.file(&format!("stdin.jsonl{ext}"));
        let mut w = std::fs::File::create(&dest).map_err(|e| Error::io(&dest, e))?;
        std::io::copy(&mut stdin, &mut w).map_err(|e| Error::io("-", e))?;
        w.flush().map_err(|e| Error::io(&dest, e))?;
        f.spill = Some(dest);
    }
    Ok(())
}

/// Removes the spilled copies of standard input: they are not part of the output.
pub(crate) fn remove_spills(files: &[InputFile]) {
    for spill in files.iter().filter_map(|f| f.spill.as_ref()) {
        let _ = std::fs::remove_file(spill);
    }
}

fn write_clusters(path: &Path, seen: &[Seen], verdicts: &[Verdict]) -> Result<()> {
    let mut order: Vec<usize> = (0..seen.len()).collect();
    order.par_sort_unstable_by(|&a, &b| seen[a].member.id.cmp(&seen[b].member.id));
    let line = |i: usize, out: &mut String| {
        let v = &verdicts[i];
        let cl = ClusterLine {
            id: &seen[i].member.id,
            cluster: &seen[v.cluster].member.id,
            kept: v.kept,
            duplicate_of: v.duplicate_of.map(|d| seen[d].member.id.as_str()),
            reason: v.reason,
            similarity: (v.similarity * 1e4).round() / 1e4,
            source: &seen[i].origin,
            lang: seen[i].info.lang,
            lang_confidence: (f64::from(seen[i].info.lang_confidence) * 1e3).round() / 1e3,
            mojibake: (seen[i].info.mojibake > 0).then_some(seen[i].info.mojibake),
        };
        cl.push_json(out);
        out.push('\n');
    };
    // Lines are formatted in parallel blocks and written in id order, a bounded
    // group of blocks at a time so the output is never all in memory.
    const BLOCK: usize = 4096;
    let mut w = JsonlWriter::create(path)?;
    for group in order.chunks(BLOCK * 64) {
        let blocks: Vec<(String, u64)> = group
            .par_chunks(BLOCK)
            .map(|chunk| {
                let mut out = String::with_capacity(chunk.len() * 160);
                chunk.iter().for_each(|&i| line(i, &mut out));
                (out, chunk.len() as u64)
            })
            .collect();
        for (block, lines) in &blocks {
            w.write_block(block.as_bytes(), *lines)?;
        }
    }
    w.finish()
}

/// Pass 2 for Parquet inputs: copy the kept rows into `kept.parquet`.
#[cfg(feature = "parquet")]
fn write_kept_parquet(
    files: &[InputFile],
    cfg: &Config,
    out: &OutputDir,
    seen: &[Seen],
    verdicts: &[Verdict],
) -> Result<u64> {
    let mut sizes: HashMap<usize, u64> = HashMap::new();
    for v in verdicts {
        *sizes.entry(v.cluster).or_default() += 1;
    }
    let kept: crate::io::KeptRows = seen
        .iter()
        .zip(verdicts)
        .filter(|(_, v)| v.kept)
        .map(|(s, v)| {
            let key = (s.origin.path.to_path_buf(), s.origin.line);
            let size = sizes.get(&v.cluster).copied().unwrap_or(1);
            (key, (seen[v.cluster].member.id.clone(), size))
        })
        .collect();
    let paths: Vec<PathBuf> = files.iter().map(|f| f.path.clone()).collect();
    crate::io::write_kept_parquet(
        &paths,
        &kept,
        &cfg.input.text_field,
        &out.file("kept.parquet"),
    )
}

/// Reads the records `wanted` (by position in `seen`) again from the Parquet
/// inputs, just those rows, and hands each to `observe`: `write_kept_parquet`
/// copies batches without making documents, and the audit wants the sampled
/// members' texts.
#[cfg(feature = "parquet")]
fn observe_parquet_rows(
    files: &[InputFile],
    cfg: &Config,
    seen: &[Seen],
    wanted: &[bool],
    observe: &mut (dyn FnMut(usize, &Document) + Send),
) -> Result<()> {
    let mut at: HashMap<(&Path, u64), usize> = HashMap::new();
    let mut rows: HashMap<PathBuf, Vec<u64>> = HashMap::new();
    for (i, s) in seen.iter().enumerate().filter(|(i, _)| wanted[*i]) {
        at.insert((&s.origin.path, s.origin.line), i);
        rows.entry(s.origin.path.to_path_buf())
            .or_default()
            .push(s.origin.line);
    }
    rows.values_mut().for_each(|r| r.sort_unstable());
    let files: Vec<InputFile> = files
        .iter()
        .filter(|f| rows.contains_key(&f.path))
        .cloned()
        .collect();
    let raw_fields = cfg.raw_fields();
    let reader = Reader::new(files, cfg.input.clone())
        .raw_fields(&raw_fields)
        .parquet_rows(rows);
    // A row that fails now failed in pass 1 too, and is no member.
    for doc in reader.flatten() {
        if let Some(&i) = at.get(&(&*doc.origin.path, doc.origin.line)) {
            observe(i, &doc);
        }
    }
    Ok(())
}

/// Converts the job's `kept.jsonl` into `kept.parquet` (inputs that are not all
/// Parquet) and removes it; `dedup` types the `ghirbal` column as the dedup job
/// does for Parquet inputs. Returns the rows written.
#[cfg(feature = "parquet")]
pub(crate) fn kept_jsonl_to_parquet(out: &OutputDir, cfg: &Config, dedup: bool) -> Result<u64> {
    let (src, dst) = (out.file("kept.jsonl"), out.file("kept.parquet"));
    let ours = dedup.then(crate::io::dedup_ours_field);
    let rows =
        crate::io::jsonl_to_parquet(&src, &dst, &cfg.input.text_field, &cfg.input.id_field, ours)?;
    std::fs::remove_file(&src).map_err(|e| Error::io(&src, e))?;
    Ok(rows)
}

#[cfg(not(feature = "parquet"))]
pub(crate) fn kept_jsonl_to_parquet(_: &OutputDir, _: &Config, _: bool) -> Result<u64> {
    Err(Error::Config("this build has no Parquet support".into()))
}

#[cfg(not(feature = "parquet"))]
fn write_kept_parquet(
    _: &[InputFile],
    _: &Config,
    _: &OutputDir,
    _: &[Seen],
    _: &[Verdict],
) -> Result<u64> {
    Err(Error::Config("this build has no Parquet support".into()))
}

/// Pass 2: copy the kept records, in input order, losslessly.
///
/// A plain JSON Lines record is not parsed again: its line is checked against
/// the hash taken in pass 1 and copied with our key appended. Lines rejected in
/// pass 1 (bad records, taken ids) are not in `seen` and are passed over. A
/// file whose records' offsets are its own is read where they are, in chunks on
/// the pool ([`write_kept_at`]); the others through the reader, in turn.
fn write_kept(
    files: &[InputFile],
    cfg: &Config,
    out: &OutputDir,
    seen: &[Seen],
    verdicts: &[Verdict],
    wants_doc: &(dyn Fn(usize) -> bool + Sync),
    on_doc: &mut (dyn FnMut(usize, &Document) + Send),
) -> Result<u64> {
    let mut sizes = vec![0u64; verdicts.len()];
    for v in verdicts {
        sizes[v.cluster] += 1;
    }
    let kept = Kept {
        cfg,
        seen,
        verdicts,
        sizes: &sizes,
        wants_doc,
    };
    let mut w = KeptJsonl::create(out, &cfg.output)?;
    // `seen` holds each file's records in turn: `cursor` is where `f`'s start.
    let mut cursor = 0usize;
    // Files to read through the reader, and where their records start.
    let (mut through_reader, mut from): (Vec<InputFile>, usize) = (Vec::new(), 0);
    for f in files {
        let records = seen[cursor..]
            .iter()
            .take_while(|s| *s.origin.path == *f.path)
            .count();
        let range = cursor..cursor + records;
        cursor += records;
        let positional = (records > 0 && seen[range.clone()].iter().all(|s| s.info.span.is_some()))
            .then(|| crate::io::open_positional(f, &cfg.input))
            .flatten();
        match positional {
            Some(file) => {
                if !through_reader.is_empty() {
                    let files = std::mem::take(&mut through_reader);
                    kept.through_reader(files, from..range.start, &mut w, on_doc)?;
                }
                write_kept_at(&kept, &file, range, &mut w, on_doc)?;
            }
            None => {
                if through_reader.is_empty() {
                    from = range.start;
                }
                through_reader.push(f.clone());
            }
        }
    }
    if !through_reader.is_empty() {
        kept.through_reader(through_reader, from..cursor, &mut w, on_doc)?;
    }
    if cursor != seen.len() {
        return Err(Error::Invariant(
            "pass 1 kept records of a file pass 2 was not given".into(),
        ));
    }
    w.finish()
}

/// What pass 2 writes each record from.
struct Kept<'a> {
    cfg: &'a Config,
    seen: &'a [Seen],
    verdicts: &'a [Verdict],
    /// Cluster sizes, by the cluster's first member.
    sizes: &'a [u64],
    wants_doc: &'a (dyn Fn(usize) -> bool + Sync),
}

impl Kept<'_> {
    /// Whether record `i`'s line is copied as it is, with our key appended (a
    /// plain JSON Lines record whose document nothing asks for), not parsed.
    fn copies(&self, i: usize) -> bool {
        !(self.seen[i].info.general || (self.wants_doc)(i))
    }

    /// Our key's value for record `i`.
    fn ours(&self, i: usize, out: &mut String) {
        let v = &self.verdicts[i];
        out.push_str("{\"cluster\":");
        push_json_str(out, &self.seen[v.cluster].member.id);
        out.push_str(",\"cluster_size\":");
        push_uint(out, self.sizes[v.cluster]);
        out.push('}');
    }

    /// Record `i`, copied as it is ([`Kept::copies`]): `raw` is checked against
    /// the hash pass 1 took, and when the record is kept its line, with our key
    /// appended, goes to `out` (no line break).
    fn copy(&self, i: usize, raw: &[u8], out: &mut String) -> Result<()> {
        let s = &self.seen[i];
        let changed = || Error::Invariant(format!("input changed during the run at {}", s.origin));
        if crate::hash::long64(raw) != s.info.line_hash {
            return Err(changed());
        }
        if self.verdicts[i].kept {
            // Checked UTF-8 in pass 1, and the hash is the same.
            let text = simdutf8::basic::from_utf8(raw).map_err(|_| changed())?;
            append_our_key(out, text, &|o: &mut String| self.ours(i, o));
        }
        Ok(())
    }

    /// One record of pass 2 (`seen[i]`): its output line if it is kept, and the
    /// parsed document when it is wanted or when the line cannot be copied as is.
    #[allow(clippy::type_complexity)] // a private helper with two callers
    fn line(
        &self,
        i: usize,
        pending: Pending,
    ) -> Result<(usize, Option<String>, Option<Document>)> {
        let (s, v) = (&self.seen[i], &self.verdicts[i]);
        let changed =
            |at: &Origin| Error::Invariant(format!("input changed during the run at {at}"));
        let doc = match pending {
            Pending::Line(raw) if self.copies(i) => {
                let mut line = String::new();
                self.copy(i, &raw.bytes, &mut line)?;
                return Ok((i, v.kept.then_some(line), None));
            }
            Pending::Line(raw) => {
                if crate::hash::long64(&raw.bytes) != s.info.line_hash {
                    return Err(changed(&raw.origin));
                }
                let origin = raw.origin.clone();
                let (doc, _) = Pending::Line(raw).finish(&self.cfg.input);
                doc.map_err(|_| changed(&origin))?
            }
            Pending::Ready(Ok(doc)) => {
                if text_hash(&doc) != s.info.line_hash {
                    return Err(changed(&doc.origin));
                }
                doc
            }
            Pending::Ready(Err(e)) => return Err(e),
        };
        if doc.id != s.member.id {
            return Err(changed(&doc.origin));
        }
        let line = v.kept.then(|| {
            let mut o = String::new();
            self.ours(i, &mut o);
            let input = &self.cfg.input;
            with_our_key(&doc, &input.id_field, &input.text_field, &o)
        });
        Ok((i, line, Some(doc)))
    }

    /// Pass 2 over `files` read through the reader, whose records are
    /// `seen[records]`: each record read is matched to `seen` by its place (those
    /// rejected in pass 1 are passed over).
    fn through_reader(
        &self,
        files: Vec<InputFile>,
        records: std::ops::Range<usize>,
        w: &mut KeptJsonl,
        on_doc: &mut (dyn FnMut(usize, &Document) + Send),
    ) -> Result<()> {
        let seen = &self.seen[..records.end];
        let mut next = records.start;
        let mut reader = Reader::new(files, self.cfg.input.clone());
        // The first error passed over since the last record found: if records then
        // go missing, it is what this read met and the first one did not (a column
        // converted only here). Errors of records pass 1 rejected are followed by
        // records found, which clear it.
        let mut passed_over: Option<String> = None;
        // Records are matched to `seen` in order while reading; formatting runs
        // in parallel while the next batch is read; lines are written in order.
        let mut read_batch = |reader: &mut Reader| -> Vec<(usize, Pending)> {
            let mut batch = Vec::with_capacity(BATCH);
            while batch.len() < BATCH {
                let Some(pending) = reader.next_pending() else {
                    break;
                };
                let Some(s) = seen.get(next) else {
                    continue;
                };
                let origin = match &pending {
                    Pending::Line(raw) => &raw.origin,
                    Pending::Ready(Ok(doc)) => &doc.origin,
                    Pending::Ready(Err(e)) => {
                        if passed_over.is_none() {
                            passed_over = Some(e.to_string());
                        }
                        continue;
                    }
                };
                if *origin == s.origin {
                    batch.push((next, pending));
                    next += 1;
                    passed_over = None;
                }
            }
            batch
        };
        read_ahead(
            || Ok(read_batch(&mut reader)),
            |(i, p)| self.line(i, p),
            |formatted| take_kept(formatted, w, on_doc),
        )?;
        if next != records.end {
            return Err(match passed_over {
                Some(e) => Error::Invariant(format!(
                    "writing the kept records, the input read differently from the first pass: {e}"
                )),
                None => Error::Invariant("input changed during the run (fewer records)".into()),
            });
        }
        Ok(())
    }
}

/// Writes pass 2's results for a batch of records, in order.
#[allow(clippy::type_complexity)] // `Kept::line`'s results
fn take_kept(
    formatted: Vec<Result<(usize, Option<String>, Option<Document>)>>,
    w: &mut KeptJsonl,
    on_doc: &mut (dyn FnMut(usize, &Document) + Send),
) -> Result<()> {
    for r in formatted {
        let (i, line, doc) = r?;
        if let Some(doc) = doc {
            on_doc(i, &doc);
        }
        if let Some(line) = line {
            w.write_raw(&line)?;
        }
    }
    Ok(())
}

/// Records of one JSON Lines file in a chunk of pass 2: read with one
/// positional read.
const CHUNK_RECORDS: usize = 512;

/// Pass 2 over the records `seen[records]` of `path`, read from `file` where
/// pass 1 found them ([`DocInfo::span`]): chunks of records are read and
/// formatted on the pool, in parallel, and written in order. The lines between
/// them (rejected records, blank lines) are read over, not looked at.
fn write_kept_at(
    kept: &Kept<'_>,
    file: &std::fs::File,
    records: std::ops::Range<usize>,
    w: &mut KeptJsonl,
    on_doc: &mut (dyn FnMut(usize, &Document) + Send),
) -> Result<()> {
    let seen = kept.seen;
    let end = records.end;
    let mut chunks = records
        .step_by(CHUNK_RECORDS)
        .map(|start| start..(start + CHUNK_RECORDS).min(end));
    // A chunk's kept lines go into one block (one allocation to free, on the
    // writing thread, instead of one a line), with where each line ends.
    let chunk = |c: std::ops::Range<usize>| -> Result<KeptBlock> {
        let span = |i: usize| seen[i].info.span.unwrap_or_default();
        let (first, (last_at, last_len)) = (span(c.start).0, span(c.end - 1));
        let mut bytes = vec![0u8; (last_at + u64::from(last_len)).saturating_sub(first) as usize];
        read_at(file, &mut bytes, first).map_err(|e| {
            Error::Invariant(format!(
                "input changed during the run at {}: {e}",
                seen[c.start].origin
            ))
        })?;
        let mut out = KeptBlock::default();
        for i in c {
            let (at, len) = span(i);
            let from = (at - first) as usize;
            let raw = &bytes[from..from + len as usize];
            if kept.copies(i) {
                // Straight into the block: no copy of the line of its own.
                let before = out.text.len();
                kept.copy(i, raw, &mut out.text)?;
                if out.text.len() > before {
                    out.ends.push(out.text.len());
                }
                continue;
            }
            let raw = crate::io::RawLine {
                origin: seen[i].origin.clone(),
                offset: at,
                bytes: raw.to_vec(),
            };
            let (i, line, doc) = kept.line(i, Pending::Line(raw))?;
            if let Some(line) = line {
                out.text.push_str(&line);
                out.ends.push(out.text.len());
            }
            out.docs.extend(doc.map(|d| (i, d)));
        }
        Ok(out)
    };
    read_ahead(
        || {
            Ok(chunks
                .by_ref()
                .take(rayon::current_num_threads() * 4)
                .collect())
        },
        chunk,
        |done| {
            for block in done {
                let block = block?;
                for (i, doc) in &block.docs {
                    on_doc(*i, doc);
                }
                let mut from = 0;
                for &end in &block.ends {
                    w.write_raw(&block.text[from..end])?;
                    from = end;
                }
            }
            Ok(())
        },
    )
}

/// Pass 2's output for a chunk of records read by position.
#[derive(Default)]
struct KeptBlock {
    /// The kept lines, one after the other (without line breaks).
    text: String,
    /// Where each line of `text` ends.
    ends: Vec<usize>,
    /// The documents parsed (see [`Kept::line`]), by index into `seen`.
    docs: Vec<(usize, Document)>,
}

/// Fills `buf` from `file` at `offset` (only Unix files are read by position:
/// see [`crate::io::open_positional`]).
fn read_at(file: &std::fs::File, buf: &mut [u8], offset: u64) -> std::io::Result<()> {
    #[cfg(unix)]
    return std::os::unix::fs::FileExt::read_exact_at(file, buf, offset);
    #[cfg(not(unix))]
    {
        let _ = (file, buf, offset);
        Err(std::io::ErrorKind::Unsupported.into())
    }
}

/// Runs `work` on the items of each batch `read` gives (an empty batch ends), on
/// the pool; `take` gets each batch's results, in order, on a thread of its own
/// (it must not use the pool). While a batch is worked on, the next one is read
/// and the previous one taken, so that the sequential parts (reading, writing)
/// leave no core idle and do not wait for each other.
pub(crate) fn read_ahead<B: Send, R: Send>(
    mut read: impl FnMut() -> Result<Vec<B>> + Send,
    work: impl Fn(B) -> R + Sync,
    mut take: impl FnMut(Vec<R>) -> Result<()> + Send,
) -> Result<()> {
    std::thread::scope(|scope| {
        // One batch waits while the taker writes another: memory stays bounded.
        let (to_taker, taken) = std::sync::mpsc::sync_channel::<Vec<R>>(1);
        let taker = std::thread::Builder::new()
            .name("ghirbal-take".into())
            .spawn_scoped(scope, move || -> Result<()> {
                for done in taken {
                    take(done)?;
                }
                Ok(())
            })
            .map_err(|e| Error::Invariant(format!("cannot start the writing thread: {e}")))?;
        let read_result = (|| -> Result<()> {
            let mut batch = read()?;
            while !batch.is_empty() {
                let (next, worked) = rayon::join(&mut read, || {
                    batch.into_par_iter().map(&work).collect::<Vec<_>>()
                });
                if to_taker.send(worked).is_err() {
                    return Ok(()); // the taker stopped on an error, returned below
                }
                batch = next?;
            }
            Ok(())
        })();
        drop(to_taker);
        let taken = taker
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        taken.and(read_result)
    })
}

/// What pass 2 checks a record that is not a JSON Lines line against (see
/// [`DocInfo::line_hash`]): the hash of its text, which is what was analyzed.
fn text_hash(doc: &Document) -> u64 {
    crate::hash::long64(doc.text.as_bytes())
}

/// `raw` (a JSON object without our key) with `"ghirbal":{ours}` added last.
fn append_our_key(out: &mut String, raw: &str, ours: &dyn Fn(&mut String)) {
    let trimmed = raw.trim_end();
    let body = trimmed.strip_suffix('}').unwrap_or(trimmed);
    out.push_str(body);
    if !body.trim_end().ends_with('{') {
        out.push(',');
    }
    out.push('"');
    out.push_str(OUR_KEY);
    out.push_str("\":");
    ours(out);
    out.push('}');
}

/// Appends `s` as a JSON string, escaped as serde_json does.
fn push_json_str(out: &mut String, s: &str) {
    if !s.bytes().any(|b| b < 0x20 || b == b'"' || b == b'\\') {
        out.push('"');
        out.push_str(s);
        out.push('"');
        return;
    }
    // Rare: let serde_json escape it.
    out.push_str(&serde_json::to_string(s).unwrap_or_else(|_| "\"\"".into()));
}

/// The record as read, with our fields added under [`OUR_KEY`] at the end.
/// The original bytes are kept as they are; a key of ours the record already
/// has (a kept line of an earlier run) is taken out first, its bytes alone.
fn with_our_key(doc: &Document, id_field: &str, text_field: &str, ours_json: &str) -> String {
    let append = |raw: &str| {
        let mut out = String::with_capacity(raw.len() + ours_json.len() + 16);
        append_our_key(&mut out, raw, &|o: &mut String| o.push_str(ours_json));
        out
    };
    let tree = |mut m: serde_json::Map<String, Value>| {
        let ours: Value = serde_json::from_str(ours_json).unwrap_or(Value::Null);
        m.insert(OUR_KEY.into(), ours);
        Value::Object(m).to_string()
    };
    match &doc.raw {
        Some(raw) if !raw_has_our_key(doc) => append(raw),
        Some(raw) => match crate::io::quick::without_members(raw, OUR_KEY) {
            Some(rest) => append(&rest),
            // Read in pass 1, so well-formed; kept as a tree if the scanner
            // ever disagrees.
            None => tree(serde_json::from_str(raw.trim_end()).unwrap_or_default()),
        },
        None => {
            let mut m = serde_json::Map::new();
            m.insert(id_field.into(), Value::String(doc.id.clone()));
            m.insert(text_field.into(), Value::String(doc.text.clone()));
            tree(m)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::may_have_mojibake;

    /// A survivor field's values tallied in batches, in any order, merge into
    /// what one pass in input order counts: the same counts and the same first
    /// three distinct strings, so the Spark driver's note is the job's.
    /// A record's place, compared without formatting it, is what `Origin`
    /// displays: `file:line`, or the path alone (a `.txt` file, `docs[3]`).
    #[test]
    fn an_id_is_its_place_exactly_as_displayed() {
        use super::id_is_place;
        let at = |path: &str, line| crate::Origin {
            path: std::sync::Arc::from(std::path::Path::new(path)),
            line,
        };
        for (id, origin) in [
            ("a.jsonl:12", at("a.jsonl", 12)),
            ("docs[3]", at("docs[3]", 0)),
        ] {
            assert!(id_is_place(id, &origin) && id == origin.to_string(), "{id}");
        }
        for (id, origin) in [
            ("a.jsonl:012", at("a.jsonl", 12)),
            ("a.jsonl:1", at("a.jsonl", 12)),
            ("a.jsonl:12", at("a.jsonl", 0)),
            ("a.jsonl", at("a.jsonl", 12)),
            ("b.jsonl:12", at("a.jsonl", 12)),
            ("a.jsonl:+12", at("a.jsonl", 12)),
        ] {
            assert!(
                !id_is_place(id, &origin) && id != origin.to_string(),
                "{id}"
            );
        }
    }

    #[test]
    fn note_tallies_merge_into_the_one_pass_count() {
        use super::{NoteTally, SurvivorValues};
        use crate::dedup::RankValue;
        let strs = ["أمس", "b", "منذ ساعتين", "b", "c", "d", "أمس"];
        let ranks: Vec<Option<RankValue>> = (0..60)
            .map(|i| match i % 5 {
                0 => Some(RankValue::Str(strs[(i / 5) % strs.len()].into())),
                1 => Some(RankValue::Num(1.0)),
                2 => Some(RankValue::Time(7)),
                _ => None,
            })
            .collect();
        let want = SurvivorValues::count("date", ranks.iter().map(Option::as_ref));
        assert_eq!(want.string_examples, ["أمس", "b", "منذ ساعتين"]);
        // Batches of 7 records, each tallied from its end, merged last first.
        let mut batches: Vec<NoteTally> = ranks
            .chunks(7)
            .enumerate()
            .map(|(b, chunk)| {
                let mut t = NoteTally::default();
                for (i, r) in chunk.iter().enumerate().rev() {
                    t.add_value((b * 7 + i) as u64, r.as_ref());
                }
                t
            })
            .collect();
        batches.reverse();
        let mut merged = NoteTally::default();
        for t in batches {
            merged.merge(t);
        }
        assert_eq!(merged.survivor_values("date"), want);
    }

    /// Pass 2 writes a record only if it still reads as pass 1 analyzed it: a
    /// JSON Lines line by the hash of its bytes, any other record (a text file
    /// here) by the hash of its text.
    #[test]
    fn pass_two_refuses_a_record_changed_since_pass_one() {
        use crate::document::{Document, Origin};
        use crate::io::{Pending, RawLine};
        use std::path::Path;
        use std::sync::Arc;
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../../corpora/seeds");
        let mut seeds = std::fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect::<Vec<_>>();
        seeds.sort();
        let text = std::fs::read_to_string(&seeds[0]).unwrap();
        // One word replaced, as an outlet's later edit would.
        let first_word = text.split_whitespace().next().unwrap();
        let edited = text.replacen(first_word, "عاجل", 1);
        assert_ne!(text, edited);
        let origin = |path: &str, line| Origin {
            path: Arc::from(Path::new(path)),
            line,
        };
        let line = |text: &str| {
            let record = serde_json::json!({"id": "a", "text": text});
            Pending::Line(RawLine {
                origin: origin("a.jsonl", 1),
                offset: 0,
                bytes: record.to_string().into_bytes(),
            })
        };
        let file = |text: &str| {
            Pending::Ready(Ok(Document {
                id: "b".into(),
                text: text.into(),
                origin: origin("b.txt", 0),
                raw: None,
            }))
        };
        let cfg = super::Config::default();
        let seen = analyzed(&cfg, [line(&text), file(&text)].into_iter());
        let unique = all_unique(seen.len());
        let kept = kept_of(&cfg, &seen, &unique);
        let pass2 = |i: usize, p: Pending| {
            kept.line(i, p)
                .map(|(_, line, _)| line.is_some())
                .map_err(|e| e.to_string())
        };
        assert_eq!(pass2(0, line(&text)), Ok(true));
        assert_eq!(pass2(1, file(&text)), Ok(true));
        let e = pass2(0, line(&edited)).unwrap_err();
        assert!(
            e.contains("input changed during the run at a.jsonl:1"),
            "{e}"
        );
        let e = pass2(1, file(&edited)).unwrap_err();
        assert!(e.contains("input changed during the run at b.txt"), "{e}");
    }

    /// What pass 1 keeps of each record, analyzed with nothing known before.
    fn analyzed(
        cfg: &super::Config,
        records: impl Iterator<Item = crate::io::Pending>,
    ) -> Vec<super::Seen> {
        let analyzer = super::Analyzer::new(cfg).unwrap();
        let (texts, keys) = Default::default();
        let known = super::Known {
            seen: &[],
            texts: &texts,
            keys: &keys,
        };
        records
            .map(|p| analyzer.analyze_pending(p, &cfg.input, &known).unwrap().0)
            .collect()
    }

    /// Verdicts keeping each of `n` documents alone in its cluster, and the sizes.
    fn all_unique(n: usize) -> (Vec<crate::dedup::Verdict>, Vec<u64>) {
        let verdicts = (0..n)
            .map(|i| crate::dedup::Verdict {
                cluster: i,
                kept: true,
                duplicate_of: None,
                reason: crate::dedup::Reason::Unique,
                similarity: 1.0,
            })
            .collect();
        (verdicts, vec![1; n])
    }

    /// Pass 2 over `seen` with the verdicts of [`all_unique`], no document wanted.
    fn kept_of<'a>(
        cfg: &'a super::Config,
        seen: &'a [super::Seen],
        (verdicts, sizes): &'a (Vec<crate::dedup::Verdict>, Vec<u64>),
    ) -> super::Kept<'a> {
        super::Kept {
            cfg,
            seen,
            verdicts,
            sizes,
            wants_doc: &|_| false,
        }
    }

    /// Pass 2 reading a file where pass 1 found its records refuses one that
    /// changed since: every record moved by a byte, or the file cut short. The
    /// file as it was passes, and writes every record.
    #[test]
    fn pass_two_by_position_refuses_a_file_changed_since_pass_one() {
        use crate::io::{InputFile, InputKind, KeptJsonl, OutputDir, Reader};
        let tmp = tempfile::tempdir().unwrap();
        let path = tmp.path().join("in.jsonl");
        let body: String = crate::seed_texts()
            .iter()
            .enumerate()
            .map(|(i, t)| serde_json::json!({"id": format!("d{i}"), "text": t}).to_string() + "\n")
            .collect();
        std::fs::write(&path, &body).unwrap();
        let cfg = super::Config::default();
        let file = InputFile {
            path: path.clone(),
            kind: InputKind::Jsonl,
            text_id: None,
            spill: None,
        };
        let mut reader = Reader::new(vec![file.clone()], cfg.input.clone());
        let seen = analyzed(&cfg, std::iter::from_fn(|| reader.next_pending()));
        let n = seen.len();
        assert!(n == 5 && seen.iter().all(|s| s.info.span.is_some()));
        let unique = all_unique(n);
        let kept = kept_of(&cfg, &seen, &unique);
        let pass2 = |bytes: &str, name: &str| {
            std::fs::write(&path, bytes).unwrap();
            let out = OutputDir::create(&tmp.path().join(name), false, &[]).unwrap();
            let mut w = KeptJsonl::create(&out, &cfg.output).unwrap();
            let f = crate::io::open_positional(&file, &cfg.input).expect("read by position");
            let done = super::write_kept_at(&kept, &f, 0..n, &mut w, &mut |_, _| {});
            done.and_then(|()| w.finish()).map_err(|e| e.to_string())
        };
        assert_eq!(pass2(&body, "same"), Ok(n as u64));
        for (changed, name) in [
            (format!(" {body}"), "moved"),
            (
                body.chars().take(body.chars().count() - 40).collect(),
                "cut",
            ),
        ] {
            let e = pass2(&changed, name).unwrap_err();
            assert!(e.contains("input changed during the run at"), "{name}: {e}");
        }
    }

    /// A Parquet input whose bytes changed since its fingerprint was taken
    /// fails the run, naming it; an unchanged one passes. A JSON Lines input is
    /// guarded line by line instead and is not read again.
    #[test]
    fn a_parquet_input_changed_mid_run_is_caught() {
        use crate::io::{InputFile, InputKind, fingerprint_file};
        let tmp = tempfile::tempdir().unwrap();
        let file = |name: &str, kind| {
            let path = tmp.path().join(name);
            std::fs::write(&path, b"PAR1 rows PAR1").unwrap();
            InputFile {
                path,
                kind,
                text_id: None,
                spill: None,
            }
        };
        let files = [
            file("a.parquet", InputKind::Parquet),
            file("b.jsonl", InputKind::Jsonl),
        ];
        let inputs: Vec<super::InputSummary> = files
            .iter()
            .map(|f| super::InputSummary {
                path: f.path.display().to_string(),
                fingerprint: fingerprint_file(&f.path).unwrap(),
            })
            .collect();
        super::check_parquet_unchanged(&files, &inputs).unwrap();
        std::fs::write(&files[1].path, b"{}").unwrap();
        super::check_parquet_unchanged(&files, &inputs).unwrap();
        // Same length, other bytes: a row rewritten in place.
        std::fs::write(&files[0].path, b"PAR1 ROWS PAR1").unwrap();
        let e = super::check_parquet_unchanged(&files, &inputs).unwrap_err();
        let message = e.to_string();
        assert!(
            message.contains("input changed during the run") && message.contains("a.parquet"),
            "{message}"
        );
    }

    /// Ids whose hashes clash are still told apart, and each is found again.
    #[test]
    fn first_ids_tell_apart_ids_whose_hashes_clash() {
        let ids = ["a", "b", "a", "c", "b", "a"];
        let mut first = super::FirstIds::default();
        let id_at = |i: u32| ids[i as usize];
        let clash = 7; // one hash for every id
        let found: Vec<Option<u32>> = (0..ids.len() as u32)
            .map(|at| first.first_or_add(clash, ids[at as usize], at, id_at))
            .collect();
        assert_eq!(found, [None, None, Some(0), None, Some(1), Some(0)]);
        let mut first = super::FirstIds::default();
        let found: Vec<Option<u32>> = (0..ids.len() as u32)
            .map(|at| {
                first.first_or_add(
                    super::id_hash(ids[at as usize]),
                    ids[at as usize],
                    at,
                    id_at,
                )
            })
            .collect();
        assert_eq!(found, [None, None, Some(0), None, Some(1), Some(0)]);
    }

    /// With cleaning off, the key comes from the line folds where they give one,
    /// and is always the key normalizer's output on the whole text.
    #[test]
    fn the_key_without_cleaning_is_the_normalized_text() {
        let mut cfg = crate::Config::default();
        cfg.clean.enabled = false;
        let analyzer = super::Analyzer::new(&cfg).unwrap();
        assert!(
            analyzer.cleaner.is_some(),
            "the default key profile folds by line"
        );
        let norm = crate::normalize::Normalizer::new(&cfg.normalize).unwrap();
        let mut texts = crate::seed_texts();
        texts.extend(
            [
                "سطر أول\r\nسطر ثانٍ",
                "فقرة\u{2029}فقرة",
                "\n\n  قالَ  \n\tـ  \n",
                "ا\u{0653} e\u{0301} ﷺ ＡＢＣ",
                "",
            ]
            .map(String::from),
        );
        for text in texts {
            let doc = crate::Document {
                id: "d".into(),
                text: text.clone(),
                origin: crate::document::Origin {
                    path: std::path::Path::new("t").into(),
                    line: 1,
                },
                raw: None,
            };
            assert_eq!(
                analyzer.key(&doc),
                (norm.normalize(&text).into_owned(), 0),
                "{text:?}"
            );
        }
    }

    /// The gate written on characters, as its documentation states it.
    fn by_chars(s: &str) -> bool {
        let mut after_lead = false;
        for c in s.chars() {
            if matches!(c, '\u{C2}'..='\u{F4}')
                || after_lead
                    && matches!(c, '\u{80}'..='\u{2FF}' | '\u{2000}'..='\u{206F}'
                        | 'پ' | 'ٹ' | 'چ' | 'ژ' | 'ڈ' | 'گ' | 'ک' | 'ڑ' | 'ں' | 'ھ' | '،' | '؛' | '؟')
            {
                return true;
            }
            after_lead = matches!(c, 'ط' | 'ظ');
        }
        false
    }

    #[test]
    fn mojibake_gate_fires_on_real_mojibake_and_not_on_clean_arabic() {
        let arabic = "قال وزير الخارجية، الثلاثاء، إن المفاوضات ستستمر";
        assert!(!may_have_mojibake(arabic));
        // UTF-8 Arabic read as windows-1256, and as windows-1252.
        let (cp1256, _, _) = encoding_rs::WINDOWS_1256.decode(arabic.as_bytes());
        assert!(may_have_mojibake(&cp1256));
        let (cp1252, _, _) = encoding_rs::WINDOWS_1252.decode(arabic.as_bytes());
        assert!(may_have_mojibake(&cp1252));
    }

    /// A `clusters.jsonl` line written by hand is what serde_json writes for it:
    /// every reason, every similarity and confidence the rounding can give,
    /// strings that need escaping, places with and without a line, values out
    /// of range.
    #[test]
    fn cluster_lines_are_written_as_serde_json_writes_them() {
        use super::ClusterLine;
        use crate::dedup::Reason;
        let origin = |path: &str, line| crate::Origin {
            path: std::sync::Arc::from(std::path::Path::new(path)),
            line,
        };
        let places = [
            origin("/tmp/news.jsonl", 12),
            origin("docs[3]", 0),
            origin("a \"quoted\" \\ path\t.jsonl", 7),
            origin("مجلد/أخبار.jsonl", 1_000_000),
            origin("b.jsonl", 10),
            origin("c.jsonl", u64::MAX),
        ];
        let ids = [
            "doc-1",
            "",
            "a\"b\\c",
            "tab\there\u{1}\u{1f}",
            "خبر\u{2028}٣",
            "\u{7f}",
        ];
        let reasons = [
            Reason::Unique,
            Reason::Survivor,
            Reason::Exact,
            Reason::NearDuplicate,
            Reason::Containment,
        ];
        let mut checked = 0;
        let mut check = |line: &ClusterLine<'_>| {
            let mut ours = String::new();
            line.push_json(&mut ours);
            assert_eq!(ours, serde_json::to_string(line).unwrap());
            checked += 1;
        };
        for (i, id) in ids.iter().enumerate() {
            for (r, &reason) in reasons.iter().enumerate() {
                check(&ClusterLine {
                    id,
                    cluster: ids[(i + r) % ids.len()],
                    kept: r < 2,
                    duplicate_of: (r >= 2).then_some(ids[r % ids.len()]),
                    reason,
                    similarity: 0.8125,
                    source: &places[(i + r) % places.len()],
                    lang: ["arb", "und", "eng"][r % 3],
                    lang_confidence: 0.5,
                    mojibake: (r == 3).then_some([0, 7, 10, 99, 100, u32::MAX][i]),
                });
            }
        }
        let at = &places[0];
        let line = |similarity, lang_confidence| ClusterLine {
            id: "x",
            cluster: "x",
            kept: true,
            duplicate_of: None,
            reason: Reason::Unique,
            similarity,
            source: at,
            lang: "arb",
            lang_confidence,
            mojibake: None,
        };
        // Every value the job's rounding gives (to 4 and 3 decimals, in [0, 1]),
        // rounded as `write_clusters` rounds.
        let round = |x: f64, scale: f64| (x * scale).round() / scale;
        for k in 0..=10_000 {
            let x = f64::from(k) / 1e4;
            check(&line(round(x, 1e4), round(x, 1e3)));
            check(&line(round(x * 0.987_654_3, 1e4), round(x * 0.1234, 1e3)));
        }
        // Out of the domain: serde_json writes them.
        for v in [
            1.5,
            -0.0,
            -0.25,
            f64::NAN,
            f64::INFINITY,
            1e-7,
            0.123456,
            12345.0,
        ] {
            check(&line(v, v));
        }
        assert_eq!(checked, 30 + 20_002 + 8);
    }

    proptest::proptest! {
        #[test]
        fn mojibake_gate_equals_its_definition(
            s in "[\u{0600}-\u{06FF}\u{80}-\u{300} a-z\u{2000}-\u{2080}طظ]{0,40}|\\PC{0,40}"
        ) {
            proptest::prop_assert_eq!(may_have_mojibake(&s), by_chars(&s));
        }
    }
}
