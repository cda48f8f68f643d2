//! Reading inputs and writing outputs.
//!
//! Inputs are folders of `.txt` files (one document per file, id = relative path
//! without extension), JSON Lines files (optionally `.gz`, `.zst`, `.bz2`) and
//! standard input (`-`, JSON Lines). Readers stream: they yield one
//! `Result<Document>` at a time and never hold the corpus.

#[cfg(feature = "arrow")]
mod arrow;
mod decode;
pub(crate) mod direct;
#[cfg(feature = "parquet")]
mod parquet;
pub(crate) mod quick;
mod read;
mod write;

#[cfg(feature = "arrow")]
pub use arrow::{ArrowRecords, normalize_texts};
pub use decode::{DecodeReport, Detection, InvalidBytes, decode_bytes, detect};
#[cfg(feature = "parquet")]
pub use parquet::{
    CleanedParquet, KeptRows, dedup_ours_field, jsonl_to_parquet, write_kept_parquet,
};
pub(crate) use read::fields::{field as json_field, replace_string as replace_json_string};
pub use read::{
    InputConfig, InputFile, InputKind, Oversize, PassedOver, Pending, RawLine, Reader, list_inputs,
    list_inputs_noting, stdin_decompressed,
};
pub(crate) use read::{ambiguous, codec_suffix_of_head, json_type, open_positional, utf8_string};
pub use write::{
    JsonlWriter, KeptFormat, KeptJsonl, OutputDir, OutputFormat, fingerprint_file, recover,
};
