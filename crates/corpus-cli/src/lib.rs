//! `ghirbal`: the command-line front-end of corpus-core. Arguments, progress and
//! exit codes only; every decision is made in corpus-core.
//!
//! A library so that the `ghirbal` command installed by the Python package runs
//! this very code: `src/main.rs` and the bindings both call [`main_from_args`].

#![allow(clippy::print_stdout, clippy::print_stderr)] // a CLI prints

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::io::{self, IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use corpus_core::dedup::Survivor;
use corpus_core::normalize::{NormalizeConfig, Normalizer, Profile, Step};
use corpus_core::{Config, Error, OnError, pipeline};

/// Exit code for bad input data.
const EXIT_DATA: u8 = 1;
/// Exit code for a usage or configuration error.
const EXIT_USAGE: u8 = 2;

/// `--version`: the package version and the pinned Unicode version.
static VERSION: std::sync::LazyLock<String> = std::sync::LazyLock::new(|| {
    format!(
        "{} (Unicode {})",
        env!("CARGO_PKG_VERSION"),
        corpus_core::normalize::UNICODE_VERSION
    )
});

#[derive(Parser)]
#[command(
    name = "ghirbal",
    version = VERSION.as_str(),
    about = "Arabic-first cleaning and deduplication of text corpora."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Remove exact and near-duplicate documents.
    #[command(after_help = "Examples:
  ghirbal dedup corpora/seeds --output out
  ghirbal dedup news.jsonl.zst --output out --threshold 0.7 --on-error skip
  cat news.jsonl | ghirbal dedup - --output out --config ghirbal.toml
  ghirbal dedup forum.jsonl --output out --shingle chars

Writes OUT/kept.jsonl, OUT/clusters.jsonl, OUT/rejects.jsonl, OUT/audit.json and
OUT/summary.json (see SCHEMA.md and docs/dedup.md). Exit codes: 0 success, 1 bad input
data, 2 usage error.")]
    Dedup(Box<DedupArgs>),
    /// Normalize text read from standard input (or JSONL records' text field).
    #[command(after_help = normalize_help())]
    Normalize(NormalizeArgs),
    /// Cut page chrome and boilerplate repeated across a source.
    #[command(after_help = "Examples:
  ghirbal clean corpora/seeds --output out
  ghirbal clean news.jsonl.zst --output out --group-by outlet
  ghirbal clean news.jsonl --output out --group-by host:url --disable signature

Writes OUT/kept.jsonl (records with the cut text, other fields unchanged; kept.parquet
for Parquet inputs or --output-format parquet),
OUT/removed.jsonl (every cut: id, rule, [start,end) in code points, text),
OUT/emptied.jsonl, OUT/rejects.jsonl and OUT/summary.json.")]
    Clean(Box<CleanArgs>),
}

/// What a job reads and where it writes.
#[derive(Args)]
struct Io {
    /// Inputs: .txt, .jsonl[.gz|.zst|.bz2] or .parquet files, folders of them, or - for stdin.
    #[arg(required = true)]
    inputs: Vec<PathBuf>,
    /// Output folder (written atomically).
    #[arg(long, short)]
    output: PathBuf,
    /// Replace an existing output folder.
    #[arg(long)]
    overwrite: bool,
    /// Format of the kept records: auto (Parquet for Parquet inputs), jsonl or parquet.
    #[arg(long, value_name = "auto|jsonl|parquet")]
    output_format: Option<String>,
    /// Write kept records zstd-compressed (JSON Lines).
    #[arg(long)]
    compress: bool,
    /// Shard kept records every this many bytes (JSON Lines): a number, or
    /// with K, M or G (powers of 1024), e.g. 512M.
    #[arg(long, value_parser = corpus_core::config::parse_bytes, value_name = "BYTES")]
    shard_size: Option<u64>,
}

impl Io {
    /// Sets the output options of `cfg` given on the command line.
    fn apply(&self, cfg: &mut Config) -> anyhow::Result<()> {
        cfg.output.overwrite |= self.overwrite;
        cfg.output.compress |= self.compress;
        if self.shard_size.is_some() {
            cfg.output.shard_size = self.shard_size;
        }
        if let Some(v) = &self.output_format {
            cfg.output.format = parse_choice("output-format", v)?;
        }
        Ok(())
    }
}

#[derive(Args)]
struct CleanArgs {
    #[command(flatten)]
    io: Io,
    /// Group for boilerplate lines: corpus (default), a JSON field (outlet), or
    /// host:FIELD.
    #[arg(long)]
    group_by: Option<String>,
    /// A line is boilerplate when it occurs in at least this many documents
    /// (default 3).
    #[arg(long)]
    min_docs: Option<u64>,
    /// ... and in at least this share of its group's documents (default 0.005).
    #[arg(long)]
    min_fraction: Option<f64>,
    /// Switch rules off by name (repeatable, or comma-separated; `boilerplate` =
    /// corpus-level stage).
    #[arg(long, value_name = "RULE", value_delimiter = ',')]
    disable: Vec<String>,
    /// Keep each paragraph repeated across documents once (in the document with
    /// the smallest id) and cut its other copies (one more pass over the input).
    #[arg(long)]
    passages: bool,
    /// With --passages: lines shorter than this many characters are not passages
    /// (default 100).
    #[arg(long, value_name = "CHARS", requires = "passages")]
    passage_min_chars: Option<usize>,
    /// Normalize the kept text with this profile (stored, key or none).
    #[arg(long)]
    profile: Option<String>,
    #[command(flatten)]
    common: Common,
}

#[derive(Args)]
struct Common {
    /// TOML configuration file (the same keys as summary.json's "config").
    #[arg(long, value_name = "FILE.toml")]
    config: Option<PathBuf>,
    /// Worker threads (0 = one per core).
    #[arg(long)]
    threads: Option<usize>,
    /// What to do with a bad record: fail (default) or skip it into rejects.jsonl.
    #[arg(long, value_name = "fail|skip")]
    on_error: Option<String>,
    /// JSON field holding the id.
    #[arg(long)]
    id_field: Option<String>,
    /// JSON field holding the text.
    #[arg(long)]
    text_field: Option<String>,
    /// Input encoding: utf-8 (default), auto (detect per file), or a label such
    /// as windows-1256, iso-8859-6, utf-16le. A byte-order mark always wins.
    #[arg(long, value_name = "auto|LABEL")]
    encoding: Option<String>,
    /// Bytes invalid in the encoding: error (reject the record) or replace (U+FFFD, counted).
    #[arg(long, value_name = "error|replace")]
    invalid_bytes: Option<String>,
    /// Largest document text accepted, in bytes (K, M or G allowed, e.g. 1M).
    #[arg(long, value_parser = corpus_core::config::parse_bytes, value_name = "BYTES")]
    max_doc_bytes: Option<u64>,
    /// A longer document: reject (default) or truncate.
    #[arg(long, value_name = "reject|truncate")]
    oversize: Option<String>,
    /// No progress bar and no closing summary line (notes on the options still print).
    #[arg(long, short)]
    quiet: bool,
}

/// Parses a lowercase enum value the way the TOML configuration spells it.
fn parse_choice<T: serde::de::DeserializeOwned>(flag: &str, v: &str) -> anyhow::Result<T> {
    serde_json::from_value(serde_json::Value::String(v.to_owned()))
        .map_err(|_| Error::Config(format!("--{flag}: unexpected value {v:?}")).into())
}

#[derive(Args)]
struct DedupArgs {
    #[command(flatten)]
    io: Io,
    /// Jaccard similarity threshold for near-duplicates (default 0.8).
    #[arg(long)]
    threshold: Option<f64>,
    /// What shingles are made of (default words).
    #[arg(long, value_parser = ["words", "chars"])]
    shingle: Option<String>,
    /// Words per shingle (default 3), or characters with --shingle chars (default 6).
    #[arg(long)]
    ngram: Option<usize>,
    /// MinHash permutations (default 128).
    #[arg(long)]
    num_perm: Option<usize>,
    /// Exact duplicates only.
    #[arg(long)]
    exact_only: bool,
    /// Do not treat contained texts as duplicates.
    #[arg(long)]
    no_containment: bool,
    /// Do not clean page chrome before comparing.
    #[arg(long)]
    no_clean: bool,
    /// Also cut corpus-level boilerplate (lines recurring across documents, as
    /// in `ghirbal clean`) before comparing: one more pass over the input.
    #[arg(long, conflicts_with = "no_clean")]
    boilerplate: bool,
    /// Survivor policy: least-chrome (default), longest, earliest:FIELD,
    /// highest:FIELD.
    #[arg(long)]
    survivor: Option<String>,
    #[command(flatten)]
    common: Common,
}

/// `ghirbal normalize --help`'s closing text: examples, and the steps of each
/// profile and all step names, from the core (docs/normalization.md has more).
fn normalize_help() -> String {
    use corpus_core::normalize::{Profile, Step};
    let names = |steps: &[Step]| {
        steps
            .iter()
            .map(|s| s.name())
            .collect::<Vec<_>>()
            .join(", ")
    };
    format!(
        "Examples:
  echo 'أَهْلاً  وسَهْلاً' | ghirbal normalize
  ghirbal normalize --profile stored --step +digits < text.txt
  ghirbal normalize --jsonl < docs.jsonl > docs.norm.jsonl

Profiles (steps run in this order; see docs/normalization.md):
  stored: {}
  key:    {}
Steps: {}",
        names(Profile::Stored.steps()),
        names(Profile::Key.steps()),
        names(Step::ALL),
    )
}

#[derive(Args)]
struct NormalizeArgs {
    /// Profile: stored, key or none.
    #[arg(long, default_value = "stored")]
    profile: String,
    /// Add (+name) or remove (-name) a step; repeatable.
    #[arg(long = "step", value_name = "+NAME|-NAME", allow_hyphen_values = true)]
    steps: Vec<String>,
    /// Read JSON Lines and normalize the text field of each record (every other
    /// byte of the record is written as read).
    #[arg(long)]
    jsonl: bool,
    /// JSON field holding the text (with --jsonl).
    #[arg(long, default_value = "text")]
    text_field: String,
    /// Worker threads for --jsonl (0 = one per core).
    #[arg(long, default_value_t = 0)]
    threads: usize,
    /// Print to stderr the time spent normalizing (JSON and I/O excluded; summed
    /// over the threads).
    #[arg(long)]
    stats: bool,
}

/// Runs the `ghirbal` command on `args` (the program name first, as in
/// `std::env::args_os()`) and returns its exit status: 0 success, 1 bad data,
/// 2 usage error. Never exits the process, so that a host (the Python package)
/// keeps control.
pub fn main_from_args<I, T>(args: I) -> u8
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            // --help and --version land here too, with exit code 0.
            let _ = e.print();
            return u8::try_from(e.exit_code()).unwrap_or(EXIT_USAGE);
        }
    };
    match run(cli) {
        Ok(()) => 0,
        Err(e) => {
            // A reader that stopped early (`| head`) is no error: quiet.
            let broken_pipe = |e: &io::Error| e.kind() == io::ErrorKind::BrokenPipe;
            if e.downcast_ref::<io::Error>().is_some_and(broken_pipe)
                || matches!(e.downcast_ref::<Error>(), Some(Error::Io { error, .. }) if broken_pipe(error))
            {
                return 0;
            }
            eprintln!("ghirbal: {e:#}");
            match e.downcast_ref::<Error>() {
                Some(Error::Record { .. } | Error::Data { .. } | Error::Invariant(_)) => EXIT_DATA,
                Some(Error::Io { .. }) => EXIT_DATA,
                _ => EXIT_USAGE,
            }
        }
    }
}

fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        Command::Dedup(args) => dedup(*args),
        Command::Normalize(args) => normalize(args),
        Command::Clean(args) => clean(*args),
    }
}

fn clean(a: CleanArgs) -> anyhow::Result<()> {
    let mut cfg = base_config(&a.common)?;
    let c = &mut cfg.clean;
    c.enabled = true;
    // "byline, signoff": the names, not their spaces.
    c.disable
        .extend(a.disable.iter().map(|n| n.trim().to_owned()));
    if let Some(g) = &a.group_by {
        c.boilerplate.group_by = g.parse()?;
    }
    if let Some(n) = a.min_docs {
        c.boilerplate.min_docs = n;
    }
    if let Some(f) = a.min_fraction {
        c.boilerplate.min_fraction = f;
    }
    c.passages.enabled |= a.passages;
    if let Some(n) = a.passage_min_chars {
        c.passages.min_chars = n;
    }
    if let Some(p) = &a.profile {
        c.output_profile = Some(p.parse::<Profile>()?);
    }
    a.io.apply(&mut cfg)?;
    cfg.validate()?;
    let bar = Spinner::new(a.common.quiet);
    let summary =
        corpus_core::clean::run_clean(&a.io.inputs, &a.io.output, &cfg, Some(&|s| bar.show(s)));
    drop(bar);
    let summary = summary.with_context(|| format!("clean into {}", a.io.output.display()))?;
    if !a.common.quiet {
        let n = &summary.counts;
        let share = 100.0 * n.chars_removed as f64 / n.chars_in.max(1) as f64;
        // With --passages, how many were found, whatever their rank among the cuts.
        let passages = summary.passages.map_or(String::new(), |p| {
            format!(
                "; {} repeated passages, {} copies cut",
                p.repeated,
                n.cuts_by_rule
                    .get(corpus_core::clean::passages::RULE)
                    .unwrap_or(&0)
            )
        });
        eprintln!(
            "ghirbal: {} records: {} kept, {} emptied, {} rejected; {} cuts{}, {share:.1} % of the text{passages} -> {}",
            n.input,
            n.kept,
            n.emptied,
            n.rejected,
            n.cuts_by_rule.values().sum::<u64>(),
            most_first(&n.cuts_by_rule, 4),
            a.io.output.display()
        );
    }
    print_notes(&summary.notes);
    Ok(())
}

/// Prints a job's notes (likely mistakes in the options, such as a misspelt
/// field): under `--quiet` too, as a warning would be.
fn print_notes<S: std::fmt::Display>(notes: impl IntoIterator<Item = S>) {
    for note in notes {
        eprintln!("ghirbal: note: {note}");
    }
}

/// The counts of a summary, most first (then by name), e.g.
/// " (near_duplicate 1000, exact 700)"; "" when there are none, and "…" after
/// the first `limit`.
fn most_first(counts: &BTreeMap<String, u64>, limit: usize) -> String {
    let mut items: Vec<(&String, &u64)> = counts.iter().filter(|(_, n)| **n > 0).collect();
    if items.is_empty() {
        return String::new();
    }
    items.sort_by(|a, b| b.1.cmp(a.1).then(a.0.cmp(b.0)));
    let mut shown: Vec<String> = items
        .iter()
        .take(limit)
        .map(|(k, n)| format!("{k} {n}"))
        .collect();
    if items.len() > limit {
        shown.push("…".into());
    }
    format!(" ({})", shown.join(", "))
}

fn base_config(c: &Common) -> anyhow::Result<Config> {
    let mut cfg = match &c.config {
        // An unreadable --config file is a mistake in the command: exit 2.
        Some(p) => Config::from_toml_file(p).map_err(|e| match e {
            Error::Io { path, error } => {
                Error::Config(format!("--config {}: {error}", path.display()))
            }
            e => e,
        })?,
        None => Config::default(),
    };
    if let Some(t) = c.threads {
        cfg.threads = t;
    }
    if let Some(o) = &c.on_error {
        cfg.on_error = match o.as_str() {
            "fail" => OnError::Fail,
            "skip" => OnError::Skip,
            _ => {
                return Err(
                    Error::Config(format!("--on-error takes fail or skip, not {o:?}")).into(),
                );
            }
        };
    }
    if let Some(f) = &c.id_field {
        cfg.input.id_field = f.clone();
    }
    if let Some(f) = &c.text_field {
        cfg.input.text_field = f.clone();
    }
    if let Some(e) = &c.encoding {
        cfg.input.encoding = e.clone();
    }
    if let Some(v) = &c.invalid_bytes {
        cfg.input.invalid_bytes = parse_choice("invalid-bytes", v)?;
    }
    if c.max_doc_bytes.is_some() {
        cfg.input.max_doc_bytes = c.max_doc_bytes;
    }
    if let Some(v) = &c.oversize {
        cfg.input.oversize = parse_choice("oversize", v)?;
    }
    Ok(cfg)
}

fn dedup(a: DedupArgs) -> anyhow::Result<()> {
    let mut cfg = base_config(&a.common)?;
    let d = &mut cfg.dedup;
    if let Some(t) = a.threshold {
        d.threshold = t;
    }
    if let Some(v) = &a.shingle {
        d.shingle = parse_choice("shingle", v)?;
    }
    if a.ngram.is_some() {
        d.ngram = a.ngram;
    }
    if let Some(n) = a.num_perm {
        d.num_perm = n;
    }
    if let Some(s) = &a.survivor {
        d.survivor = s.parse::<Survivor>()?;
    }
    d.exact_only |= a.exact_only;
    d.containment &= !a.no_containment;
    cfg.clean.enabled &= !a.no_clean;
    cfg.clean.boilerplate.in_dedup |= a.boilerplate;
    a.io.apply(&mut cfg)?;
    cfg.validate()?;

    let bar = Spinner::new(a.common.quiet);
    let summary = pipeline::run_dedup(&a.io.inputs, &a.io.output, &cfg, Some(&|s| bar.show(s)));
    drop(bar);
    let summary = summary.with_context(|| format!("dedup into {}", a.io.output.display()))?;
    if !a.common.quiet {
        let c = &summary.counts;
        eprintln!(
            "ghirbal: {} records: {} kept, {} removed{}, {} rejected -> {}",
            c.input,
            c.kept,
            c.removed,
            most_first(&c.removed_by_reason, 5),
            c.rejected,
            a.io.output.display()
        );
    }
    let survivor = summary
        .survivor_values
        .as_ref()
        .and_then(pipeline::SurvivorValues::note);
    print_notes(survivor.iter().chain(&summary.notes));
    Ok(())
}

/// The progress line on a terminal's stderr (none under `--quiet` or when
/// stderr is not a terminal): records read and their rate, then the step the
/// job is at once they are all read.
struct Spinner(Option<indicatif::ProgressBar>);

impl Spinner {
    fn new(quiet: bool) -> Self {
        Spinner((!quiet && io::stderr().is_terminal()).then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_style(
                indicatif::ProgressStyle::with_template(
                    "{spinner} {elapsed} {human_pos} records {prefix} ({rate}){msg}",
                )
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_spinner())
                .with_key(
                    "rate",
                    |s: &indicatif::ProgressState, w: &mut dyn std::fmt::Write| {
                        let _ = write!(w, "{}/s", indicatif::HumanCount(s.per_sec() as u64));
                    },
                ),
            );
            b.set_prefix("read");
            // Clustering reads nothing: the clock must go on without updates.
            b.enable_steady_tick(std::time::Duration::from_millis(250));
            b
        }))
    }

    /// Shows `step`; the job always goes on (Ctrl-C ends the process, and a
    /// dedup run resumes from its checkpoints).
    fn show(&self, step: pipeline::Step) -> std::ops::ControlFlow<()> {
        let Some(b) = &self.0 else {
            return std::ops::ControlFlow::Continue(());
        };
        let pass = |prefix: &'static str, n: u64| {
            if b.prefix() != prefix {
                // A new pass over the input: its own count and rate.
                b.set_prefix(prefix);
                b.reset_eta();
            }
            b.set_position(n);
        };
        match step {
            pipeline::Step::Count(n) => pass("counted for repeats", n),
            pipeline::Step::Read(n) => pass("read", n),
            pipeline::Step::Cluster => b.set_message(", clustering"),
            pipeline::Step::Write => b.set_message(", writing the outputs"),
        }
        std::ops::ControlFlow::Continue(())
    }
}

/// The line goes when the job ends, however it ends: the closing line or an
/// error message is printed on a clean line.
impl Drop for Spinner {
    fn drop(&mut self) {
        if let Some(b) = &self.0 {
            b.finish_and_clear();
        }
    }
}

fn normalize(a: NormalizeArgs) -> anyhow::Result<()> {
    let mut cfg = NormalizeConfig::profile(a.profile.parse::<Profile>()?);
    for s in &a.steps {
        let (add, name) = match s.split_at_checked(1) {
            Some(("+", n)) => (true, n),
            Some(("-", n)) => (false, n),
            _ => {
                return Err(Error::Config(format!(
                    "--step {s}: say +{s} to add the step or -{s} to remove it"
                ))
                .into());
            }
        };
        let step: Step = name.parse()?;
        if add {
            cfg.add.push(step)
        } else {
            cfg.remove.push(step)
        }
    }
    let built = std::time::Instant::now();
    let n = Normalizer::new(&cfg)?;
    let build = built.elapsed();
    let mut out = io::BufWriter::with_capacity(1 << 20, io::stdout());
    let stats = if a.jsonl {
        let pool = Config {
            threads: a.threads,
            ..Config::default()
        };
        pool.in_pool(|| {
            corpus_core::normalize::normalize_jsonl(
                &n,
                &a.text_field,
                corpus_core::io::stdin_decompressed()?,
                &mut out,
                std::path::Path::new("-"),
            )
        })?
    } else {
        let mut bytes = Vec::new();
        io::Read::read_to_end(&mut io::stdin(), &mut bytes).context("reading stdin")?;
        // As a text file is read: a BOM says UTF-8 or UTF-16; invalid UTF-8 is
        // bad data, named by its byte offset.
        let text =
            corpus_core::io::decode_bytes(&bytes, "utf-8", corpus_core::io::InvalidBytes::Error)
                .map(|(text, _, _)| text)
                .map_err(|e| match e {
                    Error::Data { offset, reason, .. } => Error::Data {
                        path: "-".into(),
                        offset,
                        reason,
                    },
                    e => e,
                })?;
        let t0 = std::time::Instant::now();
        let norm = n.normalize(&text);
        let spent = t0.elapsed();
        out.write_all(norm.as_bytes())?;
        if !text.is_empty() && !text.ends_with('\n') {
            out.write_all(b"\n")?;
        }
        corpus_core::normalize::JsonlStats {
            records: 1,
            bytes: text.len() as u64,
            spent,
        }
    };
    out.flush()?;
    if a.stats {
        let secs = stats.spent.as_secs_f64();
        eprintln!(
            "normalize: {} documents, {} bytes in {secs:.6} s ({:.1} MB/s); tables built in {:.1} ms",
            stats.records,
            stats.bytes,
            stats.bytes as f64 / secs.max(1e-9) / 1e6,
            build.as_secs_f64() * 1e3
        );
    }
    Ok(())
}
