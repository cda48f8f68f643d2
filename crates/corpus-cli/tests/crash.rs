//! Crash safety: a real `ghirbal dedup --overwrite` killed with SIGKILL at ~20
//! random moments leaves, each time, either the previous complete output or no
//! output folder, never a partial file set; the next run repairs what the
//! kill left and the final folder equals an uninterrupted run's.

mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FILES: [&str; 5] = [
    "audit.json",
    "clusters.jsonl",
    "kept.jsonl",
    "rejects.jsonl",
    "summary.json",
];

/// A few thousand records made from the seed articles' paragraphs, with
/// near-duplicates among them, big enough that a run lasts a while.
fn corpus(dir: &Path) -> PathBuf {
    let paras = common::seed_paragraphs();
    let mut out = String::new();
    for i in 0..1000usize {
        let k = paras.len();
        let text = format!(
            "{} {} {} رقم {}",
            paras[i % k],
            paras[(i * 7 + 3) % k],
            paras[(i * 13 + 5) % k],
            i / 3
        );
        out.push_str(&serde_json::json!({"id": format!("d{i:05}"), "text": text}).to_string());
        out.push('\n');
    }
    let p = dir.join("in.jsonl");
    std::fs::write(&p, out).unwrap();
    p
}

fn dedup(input: &Path, out: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_ghirbal"));
    c.args(["dedup", "--overwrite", "-q", "--threads", "2", "-o"])
        .arg(out)
        .arg(input)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    c
}

/// The output folder, if present, is complete and equal to the reference.
fn check(out: &Path, reference: &str, seed: u64, moment: Duration) {
    if !out.exists() {
        return;
    }
    let ctx = format!("seed {seed}, killed after {moment:?}");
    let mut names: Vec<String> = std::fs::read_dir(out)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    assert_eq!(names, FILES, "{ctx}: partial file set");
    let clusters = std::fs::read_to_string(out.join("clusters.jsonl")).unwrap();
    assert!(
        clusters == reference,
        "{ctx}: clusters differ from a full run"
    );
    let s: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(s["counts"]["input"], 1000, "{ctx}");
}

#[test]
fn sigkill_at_random_moments_never_leaves_a_partial_output() {
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(tmp.path());
    let out = tmp.path().join("out");
    // An uninterrupted run: the reference, and how long a run takes.
    let t = Instant::now();
    assert!(dedup(&input, &out).status().unwrap().success());
    let full = t.elapsed();
    let reference = std::fs::read_to_string(out.join("clusters.jsonl")).unwrap();
    std::fs::remove_dir_all(&out).unwrap();

    let seed = std::env::var("GHIRBAL_CRASH_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| {
            std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_nanos() as u64
        });
    let mut x = seed | 1;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        (x >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut completed = 0;
    for i in 0..20 {
        // Most kills land anywhere in the run; every fourth in its last tenth,
        // where the output files are closed and the folder renamed.
        let frac = if i % 4 == 3 {
            0.9 + 0.15 * rand()
        } else {
            rand() * 1.05
        };
        let moment = full.mul_f64(frac);
        let mut child = dedup(&input, &out).spawn().unwrap();
        std::thread::sleep(moment);
        let finished = child.try_wait().unwrap().is_some();
        child.kill().ok();
        child.wait().unwrap();
        completed += usize::from(finished);
        check(&out, &reference, seed, moment);
    }
    // The next run repairs whatever the last kill left behind.
    assert!(dedup(&input, &out).status().unwrap().success());
    check(&out, &reference, seed, Duration::ZERO);
    assert!(out.exists());
    let stray: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".out."))
        .collect();
    assert!(stray.is_empty(), "seed {seed}: leftovers {stray:?}");
    assert!(completed < 20, "seed {seed}: no run was interrupted");
}

#[test]
fn a_kill_between_the_two_renames_is_repaired() {
    // The window between moving the old output aside and moving the new one in
    // is microseconds wide; this reproduces the state a kill there leaves.
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(tmp.path());
    let out = tmp.path().join("out");
    assert!(dedup(&input, &out).status().unwrap().success());
    let reference = std::fs::read_to_string(out.join("clusters.jsonl")).unwrap();
    let aside = tmp.path().join(".out.old-999999999");
    std::fs::rename(&out, &aside).unwrap();
    std::fs::create_dir(tmp.path().join(".out.tmp-999999999")).unwrap();
    std::fs::write(tmp.path().join(".out.tmp-999999999/kept.jsonl"), "{").unwrap();
    // A run that refuses to overwrite still repairs first, then sees the output.
    let o = Command::new(env!("CARGO_BIN_EXE_ghirbal"))
        .args(["dedup", "-q", "-o"])
        .arg(&out)
        .arg(&input)
        .output()
        .unwrap();
    assert_eq!(
        o.status.code(),
        Some(2),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    check(&out, &reference, 0, Duration::ZERO);
    assert!(!aside.exists() && !tmp.path().join(".out.tmp-999999999").exists());
}

/// A killed run its parent has not reaped yet (a zombie) is dead: its
/// temporary folder goes at the next run. A running process's stays.
#[cfg(target_os = "linux")]
#[test]
fn a_zombie_runs_temporary_folder_is_removed_a_live_ones_kept() {
    let tmp = tempfile::tempdir().unwrap();
    let input = corpus(tmp.path());
    let out = tmp.path().join("out");
    let sleeper = || Command::new("sleep").arg("60").spawn().unwrap();
    let (mut zombie, mut live) = (sleeper(), sleeper());
    zombie.kill().unwrap();
    // Not waited for: it stays a zombie until `wait` below.
    let state = || {
        let stat = std::fs::read_to_string(format!("/proc/{}/stat", zombie.id())).unwrap();
        stat.rsplit_once(')').unwrap().1.trim_start().chars().next()
    };
    let start = Instant::now();
    while state() != Some('Z') {
        assert!(start.elapsed() < Duration::from_secs(10), "no zombie");
        std::thread::sleep(Duration::from_millis(10));
    }
    let leftover = |p: &std::process::Child| {
        let d = tmp.path().join(format!(".out.tmp-{}", p.id()));
        std::fs::create_dir(&d).unwrap();
        std::fs::write(d.join("kept.jsonl"), "{").unwrap();
        d
    };
    let (dead, running) = (leftover(&zombie), leftover(&live));
    assert!(dedup(&input, &out).status().unwrap().success());
    assert!(!dead.exists(), "the zombie's folder stayed");
    assert!(running.exists(), "a running process's folder went");
    zombie.wait().unwrap();
    live.kill().unwrap();
    live.wait().unwrap();
}
