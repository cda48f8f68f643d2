//! The job configuration: one serde structure filled by CLI flags, a TOML file or
//! Python keyword arguments alike.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::clean::{CleanConfig, GroupBy};
use crate::dedup::{DedupConfig, Survivor};
use crate::io::InputConfig;
use crate::normalize::NormalizeConfig;
use crate::{Error, Result};

/// What to do with a bad input record.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum OnError {
    /// Stop the run with an error naming file and line (default).
    #[default]
    Fail,
    /// Write the record to `rejects.jsonl` with its reason and go on.
    Skip,
}

/// Output settings.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OutputConfig {
    /// Replace an existing output folder (default false).
    pub overwrite: bool,
    /// Write `kept` as zstd-compressed `.jsonl.zst` (default false).
    pub compress: bool,
    /// Start a new `kept-NNNNN` shard after this many bytes of JSON; one file
    /// when unset. A number, or a string with a unit (`"512M"`, see
    /// [`parse_bytes`]).
    #[serde(deserialize_with = "byte_count")]
    pub shard_size: Option<u64>,
    /// Format of the kept records: `auto` (default: follows the inputs), `jsonl`
    /// or `parquet`.
    pub format: crate::io::OutputFormat,
}

/// A byte count: digits, optionally followed by K, M or G (powers of 1024), as
/// the command's `--max-doc-bytes` and `--shard-size` and the configuration
/// take them.
///
/// # Errors
/// Why `s` is not one.
pub fn parse_bytes(s: &str) -> std::result::Result<u64, String> {
    let t = s.trim();
    let (digits, unit) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => (&t[..i], c.to_ascii_uppercase()),
        _ => (t, 'B'),
    };
    let shift = match unit {
        'B' => 0,
        'K' => 10,
        'M' => 20,
        'G' => 30,
        _ => return Err(format!("unknown unit {unit:?} (K, M or G)")),
    };
    let n: u64 = digits
        .parse()
        .map_err(|_| format!("{s:?} is not a byte count such as 100000000 or 512M"))?;
    n.checked_mul(1 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// Reads an optional byte count written as a number or as [`parse_bytes`] takes
/// it (`"1M"`).
pub(crate) fn byte_count<'de, D: serde::Deserializer<'de>>(
    d: D,
) -> std::result::Result<Option<u64>, D::Error> {
    struct Count;
    impl<'v> serde::de::Visitor<'v> for Count {
        type Value = Option<u64>;
        fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str("a byte count: a number, or a string such as \"512M\"")
        }
        fn visit_u64<E: serde::de::Error>(self, n: u64) -> std::result::Result<Self::Value, E> {
            Ok(Some(n))
        }
        fn visit_i64<E: serde::de::Error>(self, n: i64) -> std::result::Result<Self::Value, E> {
            u64::try_from(n)
                .map(Some)
                .map_err(|_| E::custom(format!("{n} is not a byte count")))
        }
        fn visit_str<E: serde::de::Error>(self, s: &str) -> std::result::Result<Self::Value, E> {
            parse_bytes(s).map(Some).map_err(E::custom)
        }
        fn visit_none<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E: serde::de::Error>(self) -> std::result::Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: serde::Deserializer<'v>>(
            self,
            d: D2,
        ) -> std::result::Result<Self::Value, D2::Error> {
            d.deserialize_any(Count)
        }
    }
    d.deserialize_any(Count)
}

impl OutputConfig {
    /// The format of the kept records for these inputs ([`crate::io::OutputFormat::resolve`]),
    /// decided before any work.
    ///
    /// # Errors
    /// As [`crate::io::OutputFormat::resolve`]; [`Error::Config`] when
    /// `compress` or `shard_size` is set for Parquet output (one file,
    /// compressed already).
    pub fn format_for(&self, inputs: &[crate::io::InputFile]) -> Result<crate::io::KeptFormat> {
        let format = self.format.resolve(inputs)?;
        if format.is_parquet() && (self.compress || self.shard_size.is_some()) {
            return Err(Error::Config(
                "output.compress and output.shard_size (--compress, --shard-size) are for JSON \
                 Lines output; kept.parquet is one zstd-compressed file"
                    .into(),
            ));
        }
        Ok(format)
    }
}

/// `message` (serde's, for an unknown field `NAME`) with the nearest key of the
/// configuration, when one is close enough to be a misspelling of `NAME`.
fn with_hint(message: String) -> String {
    const UNKNOWN: &str = "unknown field `";
    let Some(name) = message
        .find(UNKNOWN)
        .map(|at| &message[at + UNKNOWN.len()..])
        .and_then(|rest| rest.split('`').next())
    else {
        return message;
    };
    let Ok(serde_json::Value::Object(keys)) = serde_json::to_value(Config::default()) else {
        return message;
    };
    match nearest_key(&keys, name) {
        Some(near) => format!("{} (did you mean `{near}`?)", message.trim_end()),
        None => message,
    }
}

/// The top-level key or section field (as `section.field`) of `keys` closest to
/// a misspelt `key`: at most two edits away, and fewer than half its length.
fn nearest_key(keys: &serde_json::Map<String, serde_json::Value>, key: &str) -> Option<String> {
    let fields = keys.iter().flat_map(|(section, v)| {
        v.as_object().into_iter().flat_map(move |o| {
            o.keys()
                .map(move |f| (f.as_str(), format!("{section}.{f}")))
        })
    });
    let tops = keys.keys().map(|k| (k.as_str(), k.clone()));
    let limit = 2.min(key.chars().count().saturating_sub(1) / 2);
    tops.chain(fields)
        .map(|(name, shown)| (edit_distance(key, name), shown))
        .filter(|&(d, _)| d > 0 && d <= limit)
        .min()
        .map(|(_, shown)| shown)
}

/// Levenshtein distance between `a` and `b`, in characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// The most worker threads a job starts: a pool of thousands takes seconds to
/// minutes to start (each thread's stack and start-up), far more than any
/// machine's cores could use.
pub const MAX_THREADS: usize = 1024;

/// A whole job's configuration.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// How records are read.
    pub input: InputConfig,
    /// The normalization used for keys (hashing, shingling).
    pub normalize: NormalizeConfig,
    /// Cleaning before dedup.
    pub clean: CleanConfig,
    /// Duplicate detection.
    pub dedup: DedupConfig,
    /// Output files.
    pub output: OutputConfig,
    /// Worker threads; 0 = one per core (default 0); at most [`MAX_THREADS`].
    pub threads: usize,
    /// Bad records: fail (default) or skip.
    pub on_error: OnError,
}

impl Config {
    /// The record fields a job reads: the id and text fields, the survivor
    /// policy's field and the boilerplate group's field (when they name one).
    /// A front-end holding columns (a data frame) hands over these.
    pub fn record_fields(&self) -> Vec<&str> {
        let mut fields = Vec::new();
        for f in [
            Some(self.input.id_field.as_str()),
            Some(self.input.text_field.as_str()),
            self.survivor_field(),
            self.group_field(),
        ]
        .into_iter()
        .flatten()
        {
            if !fields.contains(&f) {
                fields.push(f);
            }
        }
        fields
    }

    /// The fields a pass that writes no record back reads from a record's
    /// `raw`: [`Config::record_fields`] but the text ([`crate::io::Reader::raw_fields`]).
    pub(crate) fn raw_fields(&self) -> Vec<&str> {
        let mut fields = self.record_fields();
        fields.retain(|f| *f != self.input.text_field);
        fields
    }

    /// The record field the survivor policy ranks by, if it names one.
    pub(crate) fn survivor_field(&self) -> Option<&str> {
        match &self.dedup.survivor {
            Survivor::Earliest(f) | Survivor::Highest(f) => Some(f),
            Survivor::LeastChrome | Survivor::Longest => None,
        }
    }

    /// The record field the boilerplate groups come from, if any.
    fn group_field(&self) -> Option<&str> {
        match &self.clean.boilerplate.group_by {
            GroupBy::Field(f) | GroupBy::Host(f) => Some(f),
            GroupBy::Corpus => None,
        }
    }

    /// Reads a TOML configuration file.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be read, [`Error::Config`] if it does not parse
    /// (unknown keys are errors).
    pub fn from_toml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let cfg: Config = toml::from_str(&text)
            .map_err(|e| Error::Config(with_hint(format!("{}: {e}", path.display()))))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// This configuration with `overrides` (a JSON object) laid over it: the way
    /// keyword arguments of the Python API fill it.
    ///
    /// A key that names a section (`"dedup": {"threshold": 0.7}`) or a top-level
    /// field (`"threads"`) goes there, a section's value being merged key by key.
    /// Any other key is looked up among the sections' fields and goes to the one
    /// section that has it (`"threshold"` is `dedup.threshold`, `"id_field"` is
    /// `input.id_field`). Unknown keys are errors, worded as serde words them for
    /// a TOML file.
    ///
    /// ```
    /// let cfg = corpus_core::Config::default()
    ///     .with_overrides(serde_json::json!({"threshold": 0.7, "clean": {"enabled": false}}))?;
    /// assert_eq!(cfg.dedup.threshold, 0.7);
    /// assert!(!cfg.clean.enabled);
    /// # Ok::<(), corpus_core::Error>(())
    /// ```
    ///
    /// # Errors
    /// [`Error::Config`] for an unknown or ambiguous key, a value of the wrong type,
    /// or a configuration that does not [`validate`](Config::validate).
    pub fn with_overrides(&self, overrides: serde_json::Value) -> Result<Config> {
        use serde_json::Value;
        let json_err = |e: serde_json::Error| Error::Config(e.to_string());
        let Value::Object(overrides) = overrides else {
            return Err(Error::Config("overrides must be a JSON object".into()));
        };
        let Value::Object(mut base) = serde_json::to_value(self).map_err(json_err)? else {
            return Err(Error::Config("configuration is not a JSON object".into()));
        };
        for (key, value) in overrides {
            if base.contains_key(&key) {
                match (base.get_mut(&key), value) {
                    (Some(Value::Object(section)), Value::Object(fields)) => section.extend(fields),
                    (Some(slot), value) => *slot = value,
                    (None, _) => {}
                }
                continue;
            }
            let owners: Vec<String> = base
                .iter()
                .filter(|(_, v)| v.as_object().is_some_and(|o| o.contains_key(&key)))
                .map(|(k, _)| k.clone())
                .collect();
            match owners.as_slice() {
                [section] => {
                    if let Some(Value::Object(o)) = base.get_mut(section) {
                        o.insert(key, value);
                    }
                }
                [] => {
                    // Let serde reject it, with the same words as for a TOML file.
                    base.insert(key, value);
                }
                many => {
                    return Err(Error::Config(format!(
                        "ambiguous key {key:?}: it is a field of {}; give it inside its section",
                        many.join(" and ")
                    )));
                }
            }
        }
        let cfg: Config = serde_json::from_value(Value::Object(base))
            .map_err(|e| Error::Config(with_hint(e.to_string())))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Runs `job` on a pool of `threads` worker threads (0 = one per core), so that
    /// every front-end gets the same thread count for the same configuration.
    /// On a worker of such a pool already (a caller that prepared its input in
    /// parallel first, then called a job that runs here too), `job` runs where it is.
    ///
    /// # Errors
    /// [`Error::Config`] if the pool cannot start (or would have more than
    /// [`MAX_THREADS`] threads); otherwise what `job` returns.
    pub fn in_pool<T: Send>(&self, job: impl FnOnce() -> Result<T> + Send) -> Result<T> {
        // Checked before the pool starts, which for a mistyped count would
        // take minutes.
        self.check_threads()?;
        let wanted = match self.threads {
            0 => std::thread::available_parallelism().map_or(1, usize::from),
            n => n,
        };
        if rayon::current_thread_index().is_some() && rayon::current_num_threads() == wanted {
            return job();
        }
        rayon::ThreadPoolBuilder::new()
            .num_threads(self.threads)
            .build()
            .map_err(|e| Error::Config(format!("cannot start {} threads: {e}", self.threads)))?
            .install(job)
    }

    /// [`Error::Config`] for more than [`MAX_THREADS`] threads.
    fn check_threads(&self) -> Result<()> {
        if self.threads > MAX_THREADS {
            return Err(Error::Config(format!(
                "threads = {} is more than {MAX_THREADS}: starting that many takes longer \
                 than the work (0 = one per core)",
                self.threads
            )));
        }
        Ok(())
    }

    /// Checks every section.
    ///
    /// # Errors
    /// [`Error::Config`] naming the bad value.
    pub fn validate(&self) -> Result<()> {
        self.input.validate()?;
        self.clean.validate()?;
        self.dedup.validate()?;
        self.check_threads()?;
        if self.output.shard_size == Some(0) {
            return Err(Error::Config(
                "output.shard_size must be at least 1 byte (leave it unset for one file)".into(),
            ));
        }
        // The survivor policy and the boilerplate groups read other fields of a
        // record: the text itself is no rank and no source.
        let text = self.input.text_field.as_str();
        if [self.survivor_field(), self.group_field()].contains(&Some(text)) {
            return Err(Error::Config(format!(
                "the survivor policy and clean.boilerplate.group_by read a field other \
                 than the text ({text:?})"
            )));
        }
        Ok(())
    }
}
