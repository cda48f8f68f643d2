//! Character encodings: BOM sniffing, detection (chardetng) and a streaming
//! transcoder to UTF-8 that remembers where invalid bytes were.

use std::collections::VecDeque;
use std::io::{self, BufRead, Cursor, Read};
use std::sync::{Arc, Mutex, PoisonError};

use encoding_rs::{DecoderResult, Encoding, UTF_8};
use serde::{Deserialize, Serialize};

use crate::{Error, Result};

/// Bytes sampled from the start of a file to guess its encoding.
const SAMPLE: usize = 64 * 1024;

/// What to do with bytes that are invalid in the input's encoding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum InvalidBytes {
    /// Reject the record (or the whole text file) with the byte offset (default).
    #[default]
    Error,
    /// Replace each invalid sequence with U+FFFD and count it in the summary.
    Replace,
}

/// How a file's encoding was chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Detection {
    /// A byte-order mark (always honoured, as browsers do).
    Bom,
    /// Named by the user (`--encoding LABEL`, or the UTF-8 default).
    Given,
    /// Guessed by chardetng from the first 64 KiB (`--encoding auto`).
    Detected,
}

/// Encoding facts about one input file, recorded in `summary.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct DecodeReport {
    /// The file.
    pub path: String,
    /// WHATWG name of the encoding used (`UTF-8`, `UTF-16LE`, `windows-1256`, ...).
    pub encoding: String,
    /// How it was chosen.
    pub detection: Detection,
    /// For a detected encoding: `high` when chardetng scored its guess above
    /// another candidate, `low` when it did not (the guess is likely wrong);
    /// `certain` for a BOM or a given encoding.
    pub confidence: String,
    /// Invalid byte sequences replaced by U+FFFD (`invalid_bytes = "replace"`).
    pub replaced: u64,
    /// Documents cut to `max_doc_bytes` (`oversize = "truncate"`).
    pub truncated: u64,
}

/// The encoding requested by the user: `utf-8`, `auto` or any WHATWG label.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Requested {
    Auto,
    Given(&'static Encoding),
}

impl Requested {
    pub(crate) fn parse(label: &str) -> Result<Self> {
        if label.eq_ignore_ascii_case("auto") {
            return Ok(Requested::Auto);
        }
        Encoding::for_label(label.trim().as_bytes())
            .map(Requested::Given)
            .ok_or_else(|| {
                Error::Config(format!(
                    "unknown encoding {label:?} (use auto, utf-8, utf-16le, windows-1256, iso-8859-6, ...)"
                ))
            })
    }
}

/// Where invalid bytes were met, shared between the transcoder and the reader.
#[derive(Debug, Default)]
pub(crate) struct Damage {
    /// Sequences replaced so far.
    pub replaced: u64,
    /// `(offset in the UTF-8 output, offset in the input bytes)` of each
    /// invalid sequence not yet claimed by a record.
    pub spots: VecDeque<(u64, u64)>,
}

pub(crate) type SharedDamage = Arc<Mutex<Damage>>;

/// Locks, tolerating a poisoned lock (the data is plain counters).
pub(crate) fn lock(d: &SharedDamage) -> std::sync::MutexGuard<'_, Damage> {
    d.lock().unwrap_or_else(PoisonError::into_inner)
}

/// A byte stream made ready for line splitting: UTF-8 out, with the encoding facts.
pub(crate) struct Decoded {
    pub reader: Box<dyn BufRead + Send>,
    pub encoding: &'static Encoding,
    pub detection: Detection,
    pub confident: bool,
    /// `Some` when the stream goes through the transcoder.
    pub damage: Option<SharedDamage>,
}

/// Picks the encoding of `raw` (BOM, then the request, detecting for `auto`) and
/// wraps it so that it yields UTF-8 without a BOM. Plain UTF-8 under
/// `InvalidBytes::Error` is passed through untouched (the fast path); callers
/// validate it themselves.
///
/// # Errors
/// None yet: a read error is replayed to the caller after the sampled bytes.
pub(crate) fn decode_stream(
    mut raw: Box<dyn BufRead + Send>,
    requested: Requested,
    invalid: InvalidBytes,
) -> Result<Decoded> {
    // Copied out of the reader's buffer: a zeroed 64 KiB sample per file was a
    // cost of its own on folders of small files.
    let mut sample = Vec::new();
    let mut pending = None;
    // A read error here (a truncated archive) is replayed after the sample, so
    // the records before it are read and the error lands at its real offset.
    while sample.len() < SAMPLE {
        match raw.fill_buf() {
            Ok([]) => break,
            Ok(buf) => {
                let n = buf.len().min(SAMPLE - sample.len());
                sample.extend_from_slice(&buf[..n]);
                raw.consume(n);
            }
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                pending = Some(e);
                break;
            }
        }
    }
    let complete = sample.len() < SAMPLE;
    let (encoding, detection, confident, bom_len) =
        if let Some((enc, len)) = Encoding::for_bom(&sample) {
            (enc, Detection::Bom, true, len)
        } else {
            match requested {
                Requested::Given(enc) => (enc, Detection::Given, true, 0),
                Requested::Auto => {
                    let (enc, sure) = detect(&sample, complete);
                    (enc, Detection::Detected, sure, 0)
                }
            }
        };
    let rest: Box<dyn BufRead + Send> = match pending {
        Some(e) => Box::new(io::BufReader::new(Failed(Some(e)))),
        None => raw,
    };
    let whole: Box<dyn BufRead + Send> = Box::new(Cursor::new(sample).chain(rest));
    if encoding == UTF_8 && invalid == InvalidBytes::Error {
        let mut r = whole;
        r.consume(bom_len.min(3));
        return Ok(Decoded {
            reader: r,
            encoding,
            detection,
            confident,
            damage: None,
        });
    }
    let damage = SharedDamage::default();
    let t = Transcoder {
        inner: whole,
        decoder: encoding.new_decoder_with_bom_removal(),
        replace: invalid == InvalidBytes::Replace,
        damage: damage.clone(),
        in_off: 0,
        out_off: 0,
        out: Vec::new(),
        out_pos: 0,
        done: false,
    };
    Ok(Decoded {
        reader: Box::new(io::BufReader::with_capacity(1 << 16, t)),
        encoding,
        detection,
        confident,
        damage: Some(damage),
    })
}

/// A stream whose next read fails with a stored error, then ends.
struct Failed(Option<io::Error>);

impl Read for Failed {
    fn read(&mut self, _: &mut [u8]) -> io::Result<usize> {
        self.0.take().map_or(Ok(0), Err)
    }
}

/// Guesses the encoding of a sample with chardetng; the flag says whether
/// chardetng rates its guess (see [`DecodeReport::confidence`]) and the sample
/// has the bytes to rate it on: a few non-ASCII bytes fit several legacy
/// encodings alike (three bytes of ISO-8859-6 read as windows-1256 too).
///
/// UTF-8 with a few damaged sequences is UTF-8 (rated low): chardetng rules
/// UTF-8 out at the first invalid byte, and its legacy guess turned a whole
/// Arabic text into mojibake. The damaged sequences are then replaced or
/// rejected as the configuration says, and counted in the report.
pub fn detect(sample: &[u8], complete: bool) -> (&'static Encoding, bool) {
    if mostly_utf8(sample, complete) {
        return (encoding_rs::UTF_8, false);
    }
    let mut det = chardetng::EncodingDetector::new();
    det.feed(sample, complete);
    let (encoding, rated) = det.guess_assess(None, true);
    // Counted only as far as it needs (a sample is up to 64 KiB).
    let evidence = sample
        .iter()
        .filter(|b| !b.is_ascii())
        .nth(EVIDENCE - 1)
        .is_some();
    (
        encoding,
        rated && (evidence || encoding == encoding_rs::UTF_8),
    )
}

/// Fewer non-ASCII bytes than this make any guess a low one.
const EVIDENCE: usize = 16;

/// Whether a sample that is not valid UTF-8 is UTF-8 all the same: at least
/// [`EVIDENCE`] valid multi-byte characters, and at most one invalid sequence
/// per hundred of them. Legacy Arabic text is far from it: its letters are lead
/// bytes that continuation bytes seldom follow.
fn mostly_utf8(sample: &[u8], complete: bool) -> bool {
    let (mut wide, mut invalid) = (0usize, 0usize);
    let mut rest = sample;
    loop {
        let (valid, next) = match std::str::from_utf8(rest) {
            Ok(_) => (rest, None),
            Err(e) => {
                let (valid, tail) = rest.split_at(e.valid_up_to());
                // `None`: a character cut by the end of the sample, invalid
                // only when the sample is the whole file.
                invalid += usize::from(e.error_len().is_some() || complete);
                (valid, e.error_len().map(|n| &tail[n..]))
            }
        };
        // In valid UTF-8 each multi-byte character has one lead byte.
        wide += valid.iter().filter(|&&b| b >= 0xC0).count();
        match next {
            Some(tail) => rest = tail,
            None => break,
        }
    }
    invalid > 0 && wide >= EVIDENCE && invalid * 100 <= wide
}

/// Decodes a byte stream in any encoding into UTF-8. Invalid sequences always
/// come out as U+FFFD and are noted in [`Damage`], so the reader can either
/// count them or reject the record that holds them.
struct Transcoder {
    inner: Box<dyn BufRead + Send>,
    decoder: encoding_rs::Decoder,
    replace: bool,
    damage: SharedDamage,
    in_off: u64,
    out_off: u64,
    out: Vec<u8>,
    out_pos: usize,
    done: bool,
}

impl Transcoder {
    fn refill(&mut self) -> io::Result<()> {
        self.out.clear();
        self.out_pos = 0;
        while self.out.is_empty() && !self.done {
            let src = self.inner.fill_buf()?;
            let last = src.is_empty();
            let cap = self
                .decoder
                .max_utf8_buffer_length_without_replacement(src.len())
                .unwrap_or(src.len() * 3 + 16)
                .max(16);
            self.out.resize(cap, 0);
            let mut read_total = 0;
            let mut written_total = 0;
            loop {
                let (res, read, written) = self.decoder.decode_to_utf8_without_replacement(
                    &src[read_total..],
                    &mut self.out[written_total..],
                    last,
                );
                read_total += read;
                written_total += written;
                match res {
                    DecoderResult::InputEmpty => break,
                    DecoderResult::OutputFull => {
                        let more = self.out.len() + 16;
                        self.out.resize(more, 0);
                    }
                    DecoderResult::Malformed(bad, extra) => {
                        let at =
                            self.in_off + read_total as u64 - u64::from(extra) - u64::from(bad);
                        if self.out.len() - written_total < 3 {
                            let more = self.out.len() + 16;
                            self.out.resize(more, 0);
                        }
                        self.out[written_total..written_total + 3]
                            .copy_from_slice("\u{FFFD}".as_bytes());
                        let mut d = lock(&self.damage);
                        if self.replace {
                            d.replaced += 1;
                        } else {
                            d.spots.push_back((self.out_off + written_total as u64, at));
                        }
                        written_total += 3;
                    }
                }
            }
            self.in_off += read_total as u64;
            self.inner.consume(read_total);
            self.out.truncate(written_total);
            self.out_off += written_total as u64;
            if last {
                self.done = true;
            }
        }
        Ok(())
    }
}

impl Read for Transcoder {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.out_pos >= self.out.len() {
            self.refill()?;
        }
        let n = (self.out.len() - self.out_pos).min(buf.len());
        buf[..n].copy_from_slice(&self.out[self.out_pos..self.out_pos + n]);
        self.out_pos += n;
        Ok(n)
    }
}

/// Reads a whole decoded stream into a string (one plain-text document).
/// Returns the text and the number of invalid sequences replaced.
///
/// # Errors
/// [`Error::Data`] naming the byte offset of the first invalid sequence under
/// [`InvalidBytes::Error`]; [`Error::Io`] if the stream cannot be read.
pub(crate) fn read_whole(d: Decoded, path: &std::path::Path) -> Result<(String, u64)> {
    let Decoded {
        mut reader,
        encoding,
        damage,
        ..
    } = d;
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| Error::io(path, e))?;
    match damage {
        None => match super::read::utf8_string(bytes) {
            Ok(s) => Ok((s, 0)),
            Err(e) => Err(Error::Data {
                path: path.to_path_buf(),
                offset: e.utf8_error().valid_up_to() as u64,
                reason: "invalid UTF-8".into(),
            }),
        },
        Some(damage) => {
            let d = lock(&damage);
            if let Some(&(_, at)) = d.spots.front() {
                return Err(Error::Data {
                    path: path.to_path_buf(),
                    offset: at,
                    reason: format!("invalid {} bytes", encoding.name()),
                });
            }
            // The transcoder only ever writes UTF-8.
            let text = String::from_utf8(bytes).map_err(|e| Error::Data {
                path: path.to_path_buf(),
                offset: e.utf8_error().valid_up_to() as u64,
                reason: "invalid UTF-8".into(),
            })?;
            Ok((text, d.replaced))
        }
    }
}

/// Decodes a whole byte buffer the way a plain-text input file is decoded
/// (BOM, then `encoding`: a WHATWG label or `auto`), for one-off use and fuzzing.
/// Returns the text, the encoding's name and the replacements made.
///
/// # Errors
/// [`Error::Config`] for an unknown label; [`Error::Data`] with the byte offset
/// of the first invalid sequence under [`InvalidBytes::Error`].
pub fn decode_bytes(
    bytes: &[u8],
    encoding: &str,
    invalid: InvalidBytes,
) -> Result<(String, &'static str, u64)> {
    let path = std::path::Path::new("<bytes>");
    let d = decode_stream(
        Box::new(Cursor::new(bytes.to_vec())),
        Requested::parse(encoding)?,
        invalid,
    )?;
    let name = d.encoding.name();
    let (text, replaced) = read_whole(d, path)?;
    Ok((text, name, replaced))
}
