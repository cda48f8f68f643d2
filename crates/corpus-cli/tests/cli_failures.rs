//! The `ghirbal` binary: exit codes and messages on bad input (see docs/failures.md).

use std::path::{Path, PathBuf};

mod common;

use common::{dedup, ghirbal};

fn seed_text() -> String {
    std::fs::read_to_string(&common::seed_files()[0]).unwrap()
}

fn input(dir: &Path) -> PathBuf {
    let good = serde_json::json!({"id": "a", "text": seed_text()}).to_string();
    let p = dir.join("in.jsonl");
    std::fs::write(&p, format!("{good}\n{{\"id\": \"b\", \"text\": 7}}\n")).unwrap();
    p
}

#[test]
fn bad_record_exits_1_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let p = input(tmp.path());
    let out = tmp.path().join("out");
    let o = ghirbal(&[
        "dedup",
        p.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{}:2: field \"text\" is a number", p.display())),
        "{err}"
    );
    assert!(!out.exists());
}

#[test]
fn skip_exits_0_and_writes_the_reject() {
    let tmp = tempfile::tempdir().unwrap();
    let p = input(tmp.path());
    let out = tmp.path().join("out");
    let o = ghirbal(&[
        "dedup",
        p.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
        "--on-error",
        "skip",
    ]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    let rejects = std::fs::read_to_string(out.join("rejects.jsonl")).unwrap();
    let r: serde_json::Value = serde_json::from_str(rejects.trim()).unwrap();
    assert_eq!(r["line"], 2);
}

#[test]
fn bad_encoding_or_choice_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = input(tmp.path());
    let out = tmp.path().join("out");
    for extra in [
        ["--encoding", "klingon"],
        ["--oversize", "shrink"],
        ["--invalid-bytes", "x"],
    ] {
        let o = dedup(&p, &out, &extra);
        assert_eq!(o.status.code(), Some(2), "{extra:?}");
        assert!(!String::from_utf8_lossy(&o.stderr).is_empty());
    }
}

#[test]
fn oversize_document_rejected_then_truncated() {
    let tmp = tempfile::tempdir().unwrap();
    let p = input(tmp.path());
    for (mode, kept) in [("reject", 0), ("truncate", 1)] {
        let out = tmp.path().join(mode);
        let o = ghirbal(&[
            "dedup",
            p.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
            "--on-error",
            "skip",
            "--max-doc-bytes",
            "1001",
            "--oversize",
            mode,
        ]);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{}",
            String::from_utf8_lossy(&o.stderr)
        );
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        assert_eq!(s["counts"]["kept"], kept, "{mode}");
        assert_eq!(s["counts"]["input"], 2);
    }
}

/// `--output-format parquet` on JSON Lines: a build without Parquet support
/// refuses it before any work (exit 2, saying why); one with it converts the
/// kept records, and the bad record fails the run as any would (exit 1). An
/// unknown format is a usage error in both.
#[test]
fn parquet_output_of_other_inputs_is_a_usage_error_for_both_jobs() {
    let tmp = tempfile::tempdir().unwrap();
    let p = input(tmp.path());
    for job in ["dedup", "clean"] {
        let out = tmp.path().join(job);
        let args = [job, p.to_str().unwrap(), "-o", out.to_str().unwrap()];
        let o = ghirbal(&[&args[..], &["--output-format", "parquet"]].concat());
        let err = String::from_utf8_lossy(&o.stderr);
        if cfg!(feature = "parquet") {
            assert_eq!(o.status.code(), Some(1), "{job}: {err}");
            assert!(err.contains("in.jsonl:2"), "{job}: {err}");
        } else {
            assert_eq!(o.status.code(), Some(2), "{job}");
            assert!(err.contains("Parquet"), "{job}: {err}");
        }
        assert!(!out.exists(), "{job}");
        let o = ghirbal(&[&args[..], &["--output-format", "xml"]].concat());
        assert_eq!(o.status.code(), Some(2), "{job}");
        let o = ghirbal(
            &[
                &args[..],
                &["--output-format", "jsonl", "--on-error", "skip"],
            ]
            .concat(),
        );
        assert_eq!(o.status.code(), Some(0), "{job}");
        assert!(out.join("kept.jsonl").exists(), "{job}");
    }
}

/// A `--config` file that cannot be read is a mistake in the command (exit 2,
/// naming it), like one that does not parse, not bad input data (exit 1).
#[test]
fn a_missing_config_file_is_a_usage_error() {
    let tmp = tempfile::tempdir().unwrap();
    let p = input(tmp.path());
    let missing = tmp.path().join("nope.toml");
    let out = tmp.path().join("out");
    let o = ghirbal(&[
        "dedup",
        p.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--config",
        missing.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("--config") && err.contains("nope.toml"),
        "{err}"
    );
    assert!(!out.exists());
}

/// An output folder whose parent is a file cannot be made: the message says
/// so (the system's own "File exists" read as if the output were there), and
/// the input is left alone.
#[test]
fn an_output_under_a_file_names_the_file_as_no_folder() {
    let tmp = tempfile::tempdir().unwrap();
    let p = input(tmp.path());
    let o = dedup(&p, &p.join("out"), &[]);
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains(&format!("{}: not a folder", p.display())),
        "{err}"
    );
    assert!(
        std::fs::read_to_string(&p)
            .unwrap()
            .contains("\"id\": \"b\"")
    );
}

/// A `--config` file's stage that another setting switches off (a flag laid
/// over the file, or the file itself) does not run, and the run says so in a
/// note, in `summary.json` and on stderr; `summary.json` would otherwise show
/// a setting that did nothing.
#[test]
fn a_stage_switched_off_by_another_setting_is_noted() {
    let tmp = tempfile::tempdir().unwrap();
    let p = input(tmp.path());
    for (toml, flags, note) in [
        (
            "[clean.boilerplate]\nin_dedup = true\n",
            &["--no-clean"][..],
            "clean.boilerplate.in_dedup is set, but clean.enabled = false",
        ),
        (
            "[clean]\ndisable = [\"boilerplate\"]\n[clean.boilerplate]\nin_dedup = true\n",
            &[][..],
            "clean.boilerplate.in_dedup is set, but the boilerplate stage is off",
        ),
    ] {
        let cfg = tmp.path().join("c.toml");
        std::fs::write(&cfg, toml).unwrap();
        let out = tmp.path().join("out");
        let mut args = vec![
            "dedup",
            p.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "--config",
            cfg.to_str().unwrap(),
            "--on-error",
            "skip",
            "--overwrite",
        ];
        args.extend_from_slice(flags);
        let o = ghirbal(&args);
        let err = String::from_utf8_lossy(&o.stderr);
        assert_eq!(o.status.code(), Some(0), "{toml}: {err}");
        assert!(err.contains(note), "{toml}: {err}");
        let summary: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        let notes = summary["notes"].as_array().unwrap();
        assert!(
            notes.iter().any(|n| n.as_str().unwrap().contains(note)),
            "{notes:?}"
        );
        assert!(
            !summary["timings"]
                .as_object()
                .unwrap()
                .contains_key("boilerplate_count")
        );
    }
}

/// A second run writing the same output while the first one runs is refused
/// (exit 2, naming the output), not let write the same checkpoint shards; once
/// the first is over, the same command runs.
#[test]
fn a_second_run_on_the_same_output_is_refused_while_the_first_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let p = input(tmp.path());
    let out = tmp.path().join("out");
    // The first run's lock, held here as a running job holds it.
    let ckpt = tmp.path().join(".out.ckpt");
    std::fs::create_dir(&ckpt).unwrap();
    let held = std::fs::File::create(ckpt.join("lock")).unwrap();
    held.lock().unwrap();
    let args = [
        "dedup",
        p.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--on-error",
        "skip",
    ];
    let o = ghirbal(&args);
    let err = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(2), "{err}");
    assert!(
        err.contains("another run is writing this output now") && err.contains("out"),
        "{err}"
    );
    assert!(!out.exists());
    drop(held);
    let o = ghirbal(&args);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(out.join("kept.jsonl").exists() && !ckpt.exists());
}
