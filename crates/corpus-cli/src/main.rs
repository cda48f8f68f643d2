//! The `ghirbal` binary: everything lives in the library (see `src/lib.rs`).

use std::process::ExitCode;

// A job allocates a few small buffers per document on every worker thread and
// large batch buffers per read; mimalloc's per-thread heaps keep both off the
// system allocator's locks and out of mmap/munmap churn.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    ExitCode::from(corpus_cli::main_from_args(std::env::args_os()))
}
