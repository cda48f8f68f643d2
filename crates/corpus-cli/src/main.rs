//! The `ghirbal` binary: everything lives in the library (see `src/lib.rs`).

use std::process::ExitCode;

fn main() -> ExitCode {
    ExitCode::from(corpus_cli::main_from_args(std::env::args_os()))
}
