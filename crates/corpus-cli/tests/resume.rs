//! Resume: a run killed after some shards were checkpointed, run again with the
//! same command, skips those shards and writes exactly what an uninterrupted
//! run writes; another configuration or another list of inputs is refused,
//! and the shard of an input changed since is recomputed.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

const SHARDS: usize = 6;

/// Six input files of seed-paragraph mixes, with duplicates across files.
fn inputs(dir: &Path) -> Vec<PathBuf> {
    let paras = common::seed_paragraphs();
    let k = paras.len();
    (0..SHARDS)
        .map(|s| {
            let mut body = String::new();
            for j in 0..300usize {
                let i = s * 300 + j;
                let text = format!("{} {} رقم {}", paras[i % k], paras[(i * 7 + 3) % k], i / 4);
                body.push_str(
                    &serde_json::json!({"id": format!("s{s}-{j:04}"), "text": text}).to_string(),
                );
                body.push('\n');
            }
            body.push_str("{broken\n");
            let p = dir.join(format!("part{s}.jsonl"));
            std::fs::write(&p, body).unwrap();
            p
        })
        .collect()
}

fn cmd(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ghirbal"));
    c.args(["dedup", "-q", "--on-error", "skip", "-o"])
        .arg(out)
        .args(extra)
        .args(inputs);
    c
}

fn run(inputs: &[PathBuf], out: &Path, extra: &[&str]) -> Output {
    cmd(inputs, out, extra).output().unwrap()
}

/// Starts a run and kills it once `shards` shards are checkpointed.
fn interrupt(inputs: &[PathBuf], out: &Path, shards: usize) {
    interrupt_with(inputs, out, shards, &[]);
}

/// A folder with the inputs and a run into its `out` killed after one shard.
fn interrupted_once() -> (tempfile::TempDir, Vec<PathBuf>, PathBuf) {
    let tmp = tempfile::tempdir().unwrap();
    let files = inputs(tmp.path());
    let out = tmp.path().join("out");
    interrupt(&files, &out, 1);
    (tmp, files, out)
}

/// [`interrupt`], with more options.
fn interrupt_with(inputs: &[PathBuf], out: &Path, shards: usize, extra: &[&str]) {
    let done = out.with_file_name(format!(
        ".{}.ckpt/shard-{:05}.done",
        out.file_name().unwrap().to_string_lossy(),
        shards - 1
    ));
    let mut child = cmd(inputs, out, extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let t = Instant::now();
    while !done.exists() {
        assert!(
            child.try_wait().unwrap().is_none(),
            "the run ended before it could be killed"
        );
        assert!(t.elapsed() < Duration::from_secs(120));
        std::thread::sleep(Duration::from_millis(2));
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(!out.exists(), "a killed first run leaves no output");
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap()
}

fn summary(out: &Path) -> serde_json::Value {
    serde_json::from_str(&read(&out.join("summary.json"))).unwrap()
}

/// Runs to success; the run's summary.
fn run_ok(inputs: &[PathBuf], out: &Path) -> serde_json::Value {
    let o = run(inputs, out, &[]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    summary(out)
}

/// The records written to `out` are those written to `reference`.
fn assert_same_records(out: &Path, reference: &Path) {
    for f in ["clusters.jsonl", "kept.jsonl", "rejects.jsonl"] {
        assert!(
            read(&out.join(f)) == read(&reference.join(f)),
            "{f} differs"
        );
    }
}

/// A resumed run skipped at least `done` shards, and not all of them.
fn assert_skipped(s: &serde_json::Value, done: u64) {
    let skipped = s["resume"]["skipped_shards"].as_u64().unwrap();
    assert!(
        skipped >= done && skipped < SHARDS as u64,
        "skipped {skipped}"
    );
}

#[test]
fn an_interrupted_run_resumes_and_equals_an_uninterrupted_one() {
    let tmp = tempfile::tempdir().unwrap();
    let files = inputs(tmp.path());
    let reference = tmp.path().join("reference");
    let a = run_ok(&files, &reference);
    assert_eq!(a["resume"]["skipped_shards"], 0);

    let out = tmp.path().join("out");
    interrupt(&files, &out, 2);
    let b = run_ok(&files, &out);
    assert_skipped(&b, 2);
    assert_eq!(b["resume"]["shards"], SHARDS);
    assert_same_records(&out, &reference);
    assert_eq!(a["counts"], b["counts"]);
    assert_eq!(a["decoding"], b["decoding"]);
    assert_eq!(a["counts"]["rejected"], SHARDS);
    assert!(
        !tmp.path().join(".out.ckpt").exists(),
        "checkpoints removed"
    );
}

#[test]
fn another_config_is_refused() {
    let (_tmp, files, out) = interrupted_once();
    let err = refused(&files, &out, &["--threshold", "0.5"]);
    assert!(err.contains("checkpoints of an interrupted run"), "{err}");
}

/// The message of a run of `files` into `out` (with `flags`) that is refused:
/// exit 2, no output.
fn refused(files: &[PathBuf], out: &Path, flags: &[&str]) -> String {
    let o = run(files, out, flags);
    assert_eq!(o.status.code(), Some(2));
    assert!(!out.exists());
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Checkpoints another build wrote in an older format are refused with what
/// to do, not as "another configuration" (rerunning would not help).
#[test]
fn checkpoints_of_another_format_are_refused_by_name() {
    let (tmp, files, out) = interrupted_once();
    let manifest = tmp.path().join(".out.ckpt/manifest.json");
    let mut m: serde_json::Value = serde_json::from_str(&read(&manifest)).unwrap();
    m["version"] = serde_json::json!(11);
    std::fs::write(&manifest, m.to_string()).unwrap();
    let err = refused(&files, &out, &[]);
    assert!(
        err.contains("checkpoint format 11") && err.contains("start afresh"),
        "{err}"
    );
}

/// Checkpoints left beside a finished output (a kill after the output was put
/// in place, before they were removed) belong to a run that is done: a later
/// run with other options replaces that output instead of being refused as
/// the resumption of "an interrupted run".
#[test]
fn checkpoints_left_by_a_finished_run_are_no_interrupted_run() {
    let (tmp, files, out) = interrupted_once();
    let ckpt = tmp.path().join(".out.ckpt");
    let copy = |to: &Path| {
        std::fs::create_dir(to).unwrap();
        for e in std::fs::read_dir(&ckpt).unwrap() {
            let p = e.unwrap().path();
            std::fs::copy(&p, to.join(p.file_name().unwrap())).unwrap();
        }
    };
    let (first, second) = (tmp.path().join("c1"), tmp.path().join("c2"));
    copy(&first);
    copy(&second);
    run_ok(&files, &out);
    assert!(!ckpt.exists());
    // The state such a kill leaves: the checkpoints, then the output's summary.
    std::fs::rename(&first, &ckpt).unwrap();
    let summary = read(&out.join("summary.json"));
    std::thread::sleep(Duration::from_millis(20));
    std::fs::write(out.join("summary.json"), &summary).unwrap();
    let o = run(&files, &out, &["--threshold", "0.5", "--overwrite"]);
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(!ckpt.exists());
    // Checkpoints begun after the output was written are an interrupted run's.
    std::fs::rename(&second, &ckpt).unwrap();
    std::thread::sleep(Duration::from_millis(20));
    let manifest = ckpt.join("manifest.json");
    std::fs::write(&manifest, read(&manifest)).unwrap();
    let o = run(&files, &out, &["--threshold", "0.6", "--overwrite"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("checkpoints of an interrupted run"));
}

#[test]
fn a_changed_input_has_its_shard_recomputed() {
    // Each shard keeps the fingerprint its input had when it was read: a file
    // changed since is read again, the others are not, and the output is that
    // of a fresh run on the inputs as they are now.
    let tmp = tempfile::tempdir().unwrap();
    let files = inputs(tmp.path());
    let out = tmp.path().join("out");
    interrupt(&files, &out, 2);
    let mut body = read(&files[0]);
    body.push_str("{\"id\": \"new\", \"text\": \"نص جديد أضيف بعد الانقطاع\"}\n");
    std::fs::write(&files[0], body).unwrap();
    let s = run_ok(&files, &out);
    assert_skipped(&s, 1);
    let reference = tmp.path().join("reference");
    let r = run_ok(&files, &reference);
    assert_same_records(&out, &reference);
    assert_eq!(s["inputs"], r["inputs"]);
    assert_eq!(s["counts"], r["counts"]);
    assert!(read(&out.join("kept.jsonl")).contains("\"new\""));
}

/// Whether a record repeats an id depends on the files before it: when an
/// earlier input changes, a later checkpointed shard must not keep a record
/// whose id that input now holds, nor reject one whose first copy it no
/// longer holds.
#[test]
fn a_changed_input_moves_repeated_ids_as_a_fresh_run_does() {
    let tmp = tempfile::tempdir().unwrap();
    let files = inputs(tmp.path());
    let line = |id: &str| {
        format!(
            "{}\n",
            serde_json::json!({"id": id, "text": "نص آخر يحمل معرفا سبق أن ورد في ملف قبله"})
        )
    };
    // part1 repeats an id of part0, rejected while part0 holds it.
    let mut body = read(&files[1]);
    body.push_str(&line("s0-0005"));
    std::fs::write(&files[1], body).unwrap();
    let out = tmp.path().join("out");
    interrupt(&files, &out, 2);
    // Now part0 no longer holds that id, and takes one of part1's instead.
    let body: String = read(&files[0])
        .lines()
        .filter(|l| !l.contains("\"s0-0005\""))
        .map(|l| format!("{l}\n"))
        .collect::<String>()
        + &line("s1-0007");
    std::fs::write(&files[0], body).unwrap();
    let s = run_ok(&files, &out);
    let reference = tmp.path().join("reference");
    let r = run_ok(&files, &reference);
    assert_same_records(&out, &reference);
    assert_eq!(s["counts"], r["counts"]);
    let rejects = read(&out.join("rejects.jsonl"));
    assert!(rejects.contains(r#"duplicate id \"s1-0007\""#), "{rejects}");
    assert!(!rejects.contains("s0-0005"), "{rejects}");
}

/// With `--boilerplate`, what each record's key keeps depends on lines counted
/// over every input: when one input changes the model, the shards of the
/// others, analyzed with the old one, are recomputed too.
#[test]
fn a_changed_boilerplate_model_has_every_shard_recomputed() {
    let tmp = tempfile::tempdir().unwrap();
    let files = inputs(tmp.path());
    let paras = common::seed_paragraphs();
    let footer = "تابعوا آخر الأخبار العاجلة عبر قناتنا الرسمية على تطبيق تلغرام";
    // In part1, one copy of an article with a footer and one without: they
    // are the same article once the footer is boilerplate.
    let article = format!("{}\n{}", paras[1], paras[2]);
    let mut body = read(&files[1]);
    for (id, text) in [
        ("bp-x", format!("{article}\n{footer}")),
        ("bp-y", article.clone()),
    ] {
        body.push_str(&format!(
            "{}\n",
            serde_json::json!({"id": id, "text": text})
        ));
    }
    std::fs::write(&files[1], body).unwrap();
    let boilerplate = ["--boilerplate"];
    let out = tmp.path().join("out");
    interrupt_with(&files, &out, 2, &boilerplate);
    // The footer now closes many articles of part0: it is boilerplate.
    let body: String = read(&files[0])
        .lines()
        .enumerate()
        .map(
            |(i, l)| match serde_json::from_str::<serde_json::Value>(l) {
                Ok(mut v) if i < 40 => {
                    let text = format!("{}\n{footer}", v["text"].as_str().unwrap());
                    v["text"] = text.into();
                    format!("{v}\n")
                }
                _ => format!("{l}\n"),
            },
        )
        .collect();
    std::fs::write(&files[0], body).unwrap();
    let o = run(&files, &out, &boilerplate);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let reference = tmp.path().join("reference");
    let o = run(&files, &reference, &boilerplate);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let clusters = read(&reference.join("clusters.jsonl"));
    let y = clusters.lines().find(|l| l.contains("\"bp-y\"")).unwrap();
    assert!(y.contains("\"reason\":\"exact\""), "{y}");
    assert_same_records(&out, &reference);
}

#[test]
fn a_run_stopped_by_bad_data_leaves_no_checkpoints() {
    let tmp = tempfile::tempdir().unwrap();
    let files = inputs(tmp.path());
    let out = tmp.path().join("out");
    let mut c = Command::new(env!("CARGO_BIN_EXE_ghirbal"));
    let o = c
        .args(["dedup", "-q", "-o"])
        .arg(&out)
        .args(&files)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(!tmp.path().join(".out.ckpt").exists());
}

/// A folder of thousands of small files (one article each, as a crawl saves
/// them) is read in shards of many files, not one shard per file (each costs
/// files and a thread): a run killed after some of them resumes from them, and
/// writes what an uninterrupted run writes.
#[test]
fn small_files_share_shards_and_resume_from_them() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("articles");
    std::fs::create_dir(&dir).unwrap();
    let paras = common::seed_paragraphs();
    let k = paras.len();
    let n = 6000;
    for i in 0..n {
        let text = format!(
            "{}\n{}\nرقم {}",
            paras[i % k],
            paras[(i * 7 + 3) % k],
            i / 3
        );
        std::fs::write(dir.join(format!("a{i:05}.txt")), text).unwrap();
    }
    let inputs = [dir];
    let reference = tmp.path().join("reference");
    let a = run_ok(&inputs, &reference);
    let shards = a["resume"]["shards"].as_u64().unwrap();
    assert!((3..n as u64 / 100).contains(&shards), "{shards} shards");
    assert_eq!(a["inputs"].as_array().unwrap().len(), n);

    let out = tmp.path().join("out");
    interrupt(&inputs, &out, 2);
    let b = run_ok(&inputs, &out);
    let skipped = b["resume"]["skipped_shards"].as_u64().unwrap();
    assert!(
        skipped >= 2 && skipped < shards,
        "skipped {skipped} of {shards}"
    );
    assert_same_records(&out, &reference);
    assert_eq!(a["inputs"], b["inputs"]);
    assert_eq!(a["counts"], b["counts"]);
}
