//! The job configuration: one serde structure filled by CLI flags, a TOML file or
//! Python keyword arguments alike.

use std::path::Path;

use serde::{Deserialize, Serialize};

use crate::clean::CleanConfig;
use crate::dedup::DedupConfig;
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
    /// Start a new `kept-NNNNN` shard after this many bytes of JSON; one file when unset.
    pub shard_size: Option<u64>,
    /// Format of the kept records: `auto` (default: follows the inputs), `jsonl`
    /// or `parquet`.
    pub format: crate::io::OutputFormat,
}

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
    /// Worker threads; 0 = one per core (default 0).
    pub threads: usize,
    /// Bad records: fail (default) or skip.
    pub on_error: OnError,
}

impl Config {
    /// Reads a TOML configuration file.
    ///
    /// # Errors
    /// [`Error::Io`] if it cannot be read, [`Error::Config`] if it does not parse
    /// (unknown keys are errors).
    pub fn from_toml_file(path: &Path) -> Result<Self> {
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        let cfg: Config =
            toml::from_str(&text).map_err(|e| Error::Config(format!("{}: {e}", path.display())))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// Checks every section.
    ///
    /// # Errors
    /// [`Error::Config`] naming the bad value.
    pub fn validate(&self) -> Result<()> {
        self.input.validate()?;
        self.dedup.validate()
    }
}
