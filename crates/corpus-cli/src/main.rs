//! The `ghirbal` binary: everything lives in the library (see `src/lib.rs`).

use std::process::ExitCode;

// A job allocates a few small buffers per document on every worker thread and
// large batch buffers per read; mimalloc's per-thread heaps keep both off the
// system allocator's locks and out of mmap/munmap churn.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    #[cfg(target_os = "linux")]
    no_huge_pages();
    ExitCode::from(corpus_cli::main_from_args(std::env::args_os()))
}

/// Turns transparent huge pages off for this process. mimalloc is built not to
/// ask for them (feature `no_thp`), but a kernel set to `always` gives them
/// anyway, and each such fault zeroes 2 MB at once (and may compact memory
/// first). A dedup job touches its ~600 MB of sketches for the first time as
/// small objects, and reads them back scattered, gaining little from large
/// pages: when mimalloc still asked for them, turning them off cut the 200k
/// benchmark's system time from 1.5 to 0.5 s and its wall time by 14 %
/// (benches/README.md).
#[cfg(target_os = "linux")]
fn no_huge_pages() {
    // SAFETY: PR_SET_THP_DISABLE only sets a flag on this process; a failure
    // (an old kernel) leaves the default.
    #[allow(unsafe_code)]
    unsafe {
        libc::prctl(libc::PR_SET_THP_DISABLE, 1, 0, 0, 0);
    }
}
