//! Normalizing the text field of a stream of JSON Lines records
//! (`ghirbal normalize --jsonl`).

use std::io::{BufRead, Write};
use std::path::Path;
use std::time::{Duration, Instant};

use serde_json::Value;

use super::Normalizer;
use crate::document::Origin;
use crate::{Error, Result};

/// Lines handed to the pool at once.
const BATCH: usize = 2048;

/// The UTF-8 byte-order mark.
const BOM: &[u8] = b"\xEF\xBB\xBF";

/// What [`normalize_jsonl`] did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JsonlStats {
    /// Records normalized.
    pub records: u64,
    /// Bytes of text they held.
    pub bytes: u64,
    /// Time spent in the normalizer, summed over the threads (JSON and I/O
    /// excluded).
    pub spent: Duration,
}

/// Normalizes the string field `text_field` of each JSON Lines record (UTF-8) read from
/// `input` and writes the records to `out` in input order, each exactly as read
/// but for that field's value. Blank lines and a UTF-8 byte-order mark opening
/// the stream are passed over. Records are
/// normalized in batches on the current rayon pool.
///
/// # Errors
/// [`Error::Record`] naming `path` and the 1-based line for a line that is not
/// UTF-8 or not a JSON object, or whose `text_field` is missing, not a string or
/// given more than once (nothing is
/// written from that batch on); [`Error::Io`] when reading or writing fails.
pub fn normalize_jsonl(
    normalizer: &Normalizer,
    text_field: &str,
    mut input: impl BufRead + Send,
    mut out: impl Write + Send,
    path: &Path,
) -> Result<JsonlStats> {
    let mut stats = JsonlStats::default();
    let mut line_no = 0u64;
    let mut read_batch = |input: &mut dyn BufRead| -> Result<Vec<(u64, Vec<u8>)>> {
        let mut batch = Vec::with_capacity(BATCH);
        while batch.len() < BATCH {
            let mut line = Vec::new();
            let n = input
                .read_until(b'\n', &mut line)
                .map_err(|e| Error::io(path, e))?;
            if n == 0 {
                break;
            }
            line_no += 1;
            while matches!(line.last(), Some(b'\n' | b'\r')) {
                line.pop();
            }
            if line.starts_with(BOM) {
                // A byte-order mark opens a file, not the record: files joined
                // with `cat` keep theirs, as the jobs' reader knows.
                line.drain(..BOM.len());
            }
            batch.push((line_no, line));
        }
        Ok(batch)
    };
    // The next batch is read while this one is normalized.
    crate::pipeline::read_ahead(
        || read_batch(&mut input),
        |(no, line)| record(normalizer, text_field, line, path, no),
        |done| {
            for r in done {
                let Some((line, bytes, spent)) = r? else {
                    continue;
                };
                stats.records += 1;
                stats.bytes += bytes as u64;
                stats.spent += spent;
                out.write_all(line.as_bytes())
                    .and_then(|()| out.write_all(b"\n"))
                    .map_err(|e| Error::io(Path::new("-"), e))?;
            }
            Ok(())
        },
    )?;
    Ok(stats)
}

/// One line: `None` if blank, else the record with its text normalized, the
/// text's bytes and the time the normalizer took.
fn record(
    normalizer: &Normalizer,
    field: &str,
    line: Vec<u8>,
    path: &Path,
    no: u64,
) -> Result<Option<(String, usize, Duration)>> {
    let bad = |reason: String| {
        let origin = Origin {
            path: path.into(),
            line: no,
        };
        Error::record(&origin, reason)
    };
    // Checked here, on the pool, not as the stream is read.
    let line = crate::io::utf8_string(line).map_err(|e| bad(format!("invalid UTF-8: {e}")))?;
    if line.trim().is_empty() {
        return Ok(None);
    }
    let text = match crate::io::json_field(&line, field) {
        Some(Value::String(t)) => t,
        Some(other) => {
            return Err(bad(format!(
                "field {field:?} is {}, not a string",
                crate::io::json_type(&other)
            )));
        }
        None => {
            return Err(bad(match serde_json::from_str::<Value>(&line) {
                Err(e) => format!("malformed JSON: {e}"),
                Ok(Value::Object(_)) => format!("missing field {field:?}"),
                Ok(_) => "record is not a JSON object".into(),
            }));
        }
    };
    if crate::io::quick::repeats(&line, field) {
        // Readers disagree on which copy counts, and only one would be normalized.
        return Err(bad(crate::io::ambiguous(field)));
    }
    let t0 = Instant::now();
    let norm = normalizer.normalize(&text);
    let spent = t0.elapsed();
    if norm == text {
        return Ok(Some((line, text.len(), spent)));
    }
    let out = crate::io::replace_json_string(&line, field, &norm)
        .ok_or_else(|| Error::Invariant(format!("line {no}: field {field:?} not found again")))?;
    Ok(Some((out, text.len(), spent)))
}
