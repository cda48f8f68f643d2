//! Project tasks, run as `cargo xtask <task>`:
//!
//! - `test`: rustfmt check, clippy (warnings denied), rustdoc (warnings denied),
//!   every Rust test, then the Python package built into a virtualenv, its stubs
//!   checked (mypy stubtest, mypy --strict) and pytest (with a local Spark).
//! - `dist`: the release binary and an abi3 wheel in `dist/`.
//!
//! No dependencies, so that it compiles in a second.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a task runner prints

use std::env;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

/// Pinned Python tools, installed by the task itself.
const MATURIN: &str = "maturin==1.16.0";
const PYTEST: &str = "pytest==9.2.0";
/// For `mypy.stubtest` (the hand-written `_core.pyi` against the built module)
/// and a strict type check of the pure-Python part; a few seconds.
const MYPY: &str = "mypy==2.4.1";
/// The pandas helper (`ghirbal.dedup_frame`) is tested too.
const PANDAS: &str = "pandas==3.1.1";
/// `ghirbal.spark` is tested in a local Spark (it needs Java 17), which hands
/// rows over as Arrow batches. The release `pip install 'pyspark[sql]'` gives
/// (3.5.3 passed the same tests).
const PYSPARK: &str = "pyspark==4.3.0";
const PYARROW: &str = "pyarrow==26.0.1";
/// A polars frame is a table `ghirbal.dedup` reads through Arrow (string views).
const POLARS: [&str; 2] = ["polars==2.1.0", "polars-runtime-32==2.1.0"];
/// ../shared/bench/gen_corpus.py, which builds the Spark tests' corpus, needs it.
const REGEX: &str = "regex==2026.5.9";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(&args[1..]),
        Some("dist") => dist(),
        _ => {
            eprintln!("usage: cargo xtask <test [--rust-only|--python-only] | dist>");
            return ExitCode::from(2);
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("xtask: {e}");
            ExitCode::FAILURE
        }
    }
}

type Result<T = ()> = std::result::Result<T, String>;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_default()
}

fn cargo() -> Command {
    let mut c = Command::new(env::var_os("CARGO").unwrap_or_else(|| "cargo".into()));
    c.current_dir(root());
    c
}

fn run(mut cmd: Command) -> Result {
    eprintln!("$ {cmd:?}");
    let status = cmd
        .status()
        .map_err(|e| format!("cannot run {cmd:?}: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{cmd:?} failed: {status}"))
    }
}

fn test(args: &[String]) -> Result {
    let python_only = args.iter().any(|a| a == "--python-only");
    let rust_only = args.iter().any(|a| a == "--rust-only");
    if !python_only {
        let mut fmt = cargo();
        fmt.args(["fmt", "--all", "--check"]);
        run(fmt)?;
        let mut clippy = cargo();
        clippy.args([
            "clippy",
            "--workspace",
            "--exclude",
            "corpus-py",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ]);
        run(clippy)?;
        let mut doc = cargo();
        doc.args(["doc", "--no-deps", "--workspace", "--exclude", "corpus-py"])
            .env("RUSTDOCFLAGS", "-D warnings");
        run(doc)?;
        let mut t = cargo();
        t.args(["test", "--workspace", "--exclude", "corpus-py"]);
        run(t)?;
        // Parquet sits behind a feature (arrow + parquet add ~1 min of user CPU
        // to a cold build); its tests run here so CI always covers it.
        let mut pq = cargo();
        pq.args([
            "test",
            "-p",
            "corpus-core",
            "--features",
            "parquet",
            "--test",
            "it",
            "parquet",
        ]);
        run(pq)?;
        // The Arrow records the Python package reads tables with (feature
        // `arrow`) are tested by the workspace run above: corpus-bench's
        // criterion bench of them switches the feature on.
    }
    if !rust_only {
        python_tests()?;
    }
    Ok(())
}

fn venv() -> Result<PathBuf> {
    let dir = root().join("target").join("venv");
    let py = dir.join("bin").join("python");
    if !py.exists() {
        let base = env::var("PYTHON").unwrap_or_else(|_| "python3".into());
        let mut c = Command::new(base);
        c.args(["-m", "venv"]).arg(&dir);
        run(c)?;
    }
    let mut pip = Command::new(&py);
    pip.args([
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        MATURIN,
        PYTEST,
        MYPY,
        PANDAS,
        PYSPARK,
        PYARROW,
        REGEX,
    ])
    .args(POLARS);
    run(pip)?;
    Ok(py)
}

fn python_tests() -> Result {
    let py = venv()?;
    let bin = py.parent().map(Path::to_path_buf).unwrap_or_default();
    // Lint the bindings crate too (it needs pyo3, hence the venv's interpreter).
    let mut clippy = cargo();
    clippy
        .args([
            "clippy",
            "-p",
            "corpus-py",
            "--all-targets",
            "--",
            "-D",
            "warnings",
        ])
        .env("PYO3_PYTHON", &py);
    run(clippy)?;
    let mut develop = Command::new(bin.join("maturin"));
    develop
        .current_dir(root())
        // With Parquet: pyproject.toml's `features` (the tests read and write it).
        .args(["develop", "--quiet", "-m", "bindings/python/Cargo.toml"])
        .env(
            "VIRTUAL_ENV",
            py.parent().and_then(Path::parent).unwrap_or(Path::new(".")),
        )
        .env("PATH", prepend_path(&bin));
    run(develop)?;
    let mut stubtest = Command::new(&py);
    stubtest.current_dir(root().join("bindings/python")).args([
        "-m",
        "mypy.stubtest",
        "ghirbal._core",
    ]);
    run(stubtest)?;
    let mut mypy = Command::new(&py);
    mypy.current_dir(root().join("bindings/python")).args([
        "-m",
        "mypy",
        "--strict",
        "python/ghirbal",
    ]);
    run(mypy)?;
    let mut pytest = Command::new(&py);
    pytest
        .current_dir(root())
        .args(["-m", "pytest", "-q", "bindings/python/tests"])
        .env("PATH", prepend_path(&bin));
    run(pytest)
}

fn prepend_path(dir: &Path) -> std::ffi::OsString {
    let mut paths = vec![dir.to_path_buf()];
    if let Some(p) = env::var_os("PATH") {
        paths.extend(env::split_paths(&p));
    }
    env::join_paths(paths).unwrap_or_default()
}

fn dist() -> Result {
    let out = root().join("dist");
    std::fs::create_dir_all(&out).map_err(|e| format!("{}: {e}", out.display()))?;
    let mut build = cargo();
    build.args([
        "build",
        "--profile",
        "dist",
        "-p",
        "corpus-cli",
        "--features",
        "parquet",
    ]);
    run(build)?;
    let exe = root().join("target/dist/ghirbal");
    std::fs::copy(&exe, out.join("ghirbal")).map_err(|e| format!("{}: {e}", exe.display()))?;
    let py = venv()?;
    let bin = py.parent().map(Path::to_path_buf).unwrap_or_default();
    let mut wheel = Command::new(bin.join("maturin"));
    wheel
        .current_dir(root())
        .args([
            "build",
            "--profile",
            "dist",
            "-m",
            "bindings/python/Cargo.toml",
            "--out",
        ])
        .arg(&out);
    run(wheel)?;
    eprintln!("dist: {}", out.display());
    Ok(())
}
