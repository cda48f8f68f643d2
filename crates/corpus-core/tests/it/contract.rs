//! The output contract of the dedup job (SCHEMA.md): accounting, rejects,
//! lossless kept records, canonical clusters, order and thread independence.

use std::fs;
use std::path::{Path, PathBuf};

use corpus_core::clean::job::run_clean;
use corpus_core::pipeline::run_dedup;
use corpus_core::{Config, Error, OnError};
use serde_json::{Value, json};

use crate::common::seeds;

/// The seed articles as JSONL records, plus variants made from them.
fn seed_records() -> Vec<Value> {
    let mut names: Vec<PathBuf> = fs::read_dir(seeds())
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    names.sort();
    names
        .iter()
        .map(|p| {
            let id = p.file_stem().unwrap().to_string_lossy().into_owned();
            json!({"id": id, "text": fs::read_to_string(p).unwrap(), "outlet": "seed", "n": 1.50})
        })
        .collect()
}

/// Adds orthographic noise that the key profile folds: diacritics on every alef,
/// tatweel, hamza-alef variants, Arabic-Indic digits.
fn ortho_noise(text: &str) -> String {
    let mut out = String::new();
    for c in text.chars() {
        match c {
            'ا' => out.push_str("أَ"),
            'ل' => out.push_str("لـ"),
            '2' => out.push('٢'),
            '0' => out.push('٠'),
            _ => out.push(c),
        }
    }
    out
}

fn write_jsonl(path: &Path, lines: &[String]) {
    fs::write(path, lines.join("\n") + "\n").unwrap();
}

fn records_to_lines(recs: &[Value]) -> Vec<String> {
    recs.iter()
        .map(|r| serde_json::to_string(r).unwrap())
        .collect()
}

fn read_lines(path: &Path) -> Vec<Value> {
    fs::read_to_string(path)
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect()
}

fn corpus_with_variants() -> Vec<Value> {
    let mut recs = seed_records();
    let base = recs[4]["text"].as_str().unwrap().to_owned();
    recs.push(json!({"id": "900_ortho", "text": ortho_noise(&base)}));
    let third = recs[2]["text"].as_str().unwrap().to_owned();
    recs.push(json!({"id": "901_exact", "text": third}));
    recs
}

#[test]
fn orthographic_variants_are_exact_duplicates_after_normalization() {
    // Fails if the key normalization were the identity: the noisy copy would then
    // differ from its source in almost every word.
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    write_jsonl(&input, &records_to_lines(&corpus_with_variants()));
    let out = tmp.path().join("out");
    run_dedup(&[input], &out, &Config::default(), None).unwrap();
    let clusters = read_lines(&out.join("clusters.jsonl"));
    let line = clusters.iter().find(|c| c["id"] == "900_ortho").unwrap();
    assert_eq!(line["kept"], false);
    assert_eq!(line["reason"], "exact", "{line}");
    assert_eq!(line["cluster"], "004_1c5e705472457648");
    assert_eq!(line["duplicate_of"], "004_1c5e705472457648");
    let exact = clusters.iter().find(|c| c["id"] == "901_exact").unwrap();
    assert_eq!(exact["reason"], "exact");
    assert_eq!(exact["duplicate_of"], "002_290732b282cce92e");
}

#[test]
fn result_does_not_depend_on_input_order_or_threads() {
    let tmp = tempfile::tempdir().unwrap();
    let recs = corpus_with_variants();
    let mut outputs = Vec::new();
    let orders: [&[usize]; 3] = [
        &[0, 1, 2, 3, 4, 5, 6],
        &[6, 5, 4, 3, 2, 1, 0],
        &[3, 6, 0, 5, 1, 4, 2],
    ];
    for (k, order) in orders.iter().enumerate() {
        for threads in [1, 2] {
            let input = tmp.path().join(format!("in{k}.jsonl"));
            let lines: Vec<String> = order.iter().map(|&i| recs[i].to_string()).collect();
            write_jsonl(&input, &lines);
            let out = tmp.path().join(format!("out{k}-{threads}"));
            let cfg = Config {
                threads,
                ..Config::default()
            };
            run_dedup(&[input], &out, &cfg, None).unwrap();
            outputs.push(fs::read(out.join("clusters.jsonl")).unwrap());
        }
    }
    // `source` names the input file and line, which differ between the orders:
    // compare everything else byte for byte.
    let strip = |b: &[u8]| -> Vec<Value> {
        String::from_utf8_lossy(b)
            .lines()
            .map(|l| {
                let mut v: Value = serde_json::from_str(l).unwrap();
                v.as_object_mut().unwrap().remove("source");
                v
            })
            .collect()
    };
    let first = strip(&outputs[0]);
    assert!(
        first.iter().any(|v| v["kept"] == false),
        "the corpus has duplicates"
    );
    for o in &outputs[1..] {
        assert_eq!(strip(o), first);
    }
}

#[test]
fn rejects_are_accounted_for_and_named() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("bad.jsonl");
    let mut lines = records_to_lines(&seed_records());
    lines.insert(1, "{not json".into());
    lines.insert(3, r#"{"id": "no-text"}"#.into());
    lines.insert(4, r#"{"id": "num", "text": 42}"#.into());
    lines.push(
        r#"{"id": "000_317578cd049caa39", "text": "a second record with a taken id"}"#.into(),
    );
    write_jsonl(&input, &lines);

    // Default: the first bad record stops the run, naming file and line, no output.
    let out = tmp.path().join("out");
    let err = run_dedup(std::slice::from_ref(&input), &out, &Config::default(), None).unwrap_err();
    assert!(matches!(err, Error::Record { line: 2, .. }), "{err}");
    assert!(err.to_string().contains("bad.jsonl:2"), "{err}");
    assert!(!out.exists());

    let cfg = Config {
        on_error: OnError::Skip,
        ..Config::default()
    };
    let summary = run_dedup(&[input], &out, &cfg, None).unwrap();
    let c = &summary.counts;
    assert_eq!((c.input, c.rejected), (9, 4));
    assert_eq!(c.input, c.kept + c.removed + c.rejected);
    let rejects = read_lines(&out.join("rejects.jsonl"));
    let lines_rejected: Vec<u64> = rejects
        .iter()
        .map(|r| r["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines_rejected, [2, 4, 5, 9]);
    assert!(
        rejects[3]["reason"]
            .as_str()
            .unwrap()
            .contains("first seen at")
    );
    assert_eq!(
        read_lines(&out.join("clusters.jsonl")).len() as u64,
        c.kept + c.removed
    );
    assert_eq!(read_lines(&out.join("kept.jsonl")).len() as u64, c.kept);
}

#[test]
fn kept_records_are_lossless() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    // Unusual but valid JSON: spacing, escapes, a float written as 1.50, key order.
    let raw = r#"{"z": 1.50, "text": "نص \"مقتبس\" \u0041", "id": "x1",  "meta": {"b": [1, 2], "a": null}}"#;
    write_jsonl(&input, &[raw.to_owned()]);
    let out = tmp.path().join("out");
    run_dedup(&[input], &out, &Config::default(), None).unwrap();
    let kept = fs::read_to_string(out.join("kept.jsonl")).unwrap();
    let line = kept.lines().next().unwrap();
    assert!(line.starts_with(&raw[..raw.len() - 1]), "{line}");
    let v: Value = serde_json::from_str(line).unwrap();
    assert_eq!(v["ghirbal"]["cluster"], "x1");
    let keys: Vec<&String> = v.as_object().unwrap().keys().collect();
    assert_eq!(keys, ["z", "text", "id", "meta", "ghirbal"]);
}

#[test]
fn existing_output_is_refused_unless_overwrite() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_dedup(&[seeds()], &out, &Config::default(), None).unwrap();
    fs::write(out.join("notes.txt"), "x").unwrap();
    let err = run_dedup(&[seeds()], &out, &Config::default(), None).unwrap_err();
    assert!(matches!(err, Error::OutputExists(_)));
    assert!(out.join("notes.txt").exists());
    // An earlier output is replaced whole, by either job, once it holds only
    // what a job wrote: not while a file of the user's is in it.
    let mut cfg = Config::default();
    cfg.output.overwrite = true;
    let err = run_dedup(&[seeds()], &out, &cfg, None).unwrap_err();
    assert!(matches!(err, Error::OutputNotReplaced { .. }), "{err}");
    assert!(out.join("notes.txt").exists());
    fs::remove_file(out.join("notes.txt")).unwrap();
    run_dedup(&[seeds()], &out, &cfg, None).unwrap();
    assert!(out.join("summary.json").exists());
    run_clean(&[seeds()], &out, &cfg, None).unwrap();
    assert!(out.join("removed.jsonl").exists() && !out.join("clusters.jsonl").exists());
    // No temporary folder is left beside it.
    let leftovers: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(leftovers.len(), 1, "{leftovers:?}");
}

/// `overwrite` replaces an earlier output or an empty folder, nothing else: not
/// a file (an input given as `--output` by mistake), and not a folder of other
/// files (`--output .`, or a parent of the inputs), which it would delete.
#[test]
fn overwrite_never_replaces_what_is_not_an_earlier_output() {
    let tmp = tempfile::tempdir().unwrap();
    let project = tmp.path().join("project");
    let data = project.join("data");
    fs::create_dir_all(&data).unwrap();
    let input = data.join("news.jsonl");
    let records: String = crate::common::seed_texts()
        .iter()
        .enumerate()
        .map(|(i, t)| serde_json::json!({"id": i, "text": t}).to_string() + "\n")
        .collect();
    fs::write(&input, &records).unwrap();
    let mut cfg = Config::default();
    cfg.output.overwrite = true;
    for out in [&project, &data, &input] {
        for job in ["dedup", "clean"] {
            let err = match job {
                "dedup" => run_dedup(std::slice::from_ref(&data), out, &cfg, None).unwrap_err(),
                _ => run_clean(std::slice::from_ref(&data), out, &cfg, None).unwrap_err(),
            };
            assert!(
                matches!(err, Error::OutputNotReplaced { .. }),
                "{job} into {}: {err}",
                out.display()
            );
        }
    }
    assert_eq!(fs::read_to_string(&input).unwrap(), records);
    let names: Vec<_> = fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["project"], "nothing is left beside the folders");
    for (dir, want) in [(&project, "data"), (&data, "news.jsonl")] {
        let names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, [want], "{}", dir.display());
    }
    // An empty folder is taken.
    let empty = tmp.path().join("empty");
    fs::create_dir(&empty).unwrap();
    run_dedup(std::slice::from_ref(&data), &empty, &cfg, None).unwrap();
    assert!(empty.join("summary.json").exists());
    // An earlier output is replaced only while it holds nothing but what a job
    // writes: not once a user has put notes or data in it, and not when it
    // holds an input, even one named as a job's file.
    let prev = empty;
    let notes = prev.join("NOTES.md");
    fs::write(&notes, "my notes").unwrap();
    let moved = prev.join("data/news.jsonl");
    fs::create_dir(prev.join("data")).unwrap();
    fs::copy(&input, &moved).unwrap();
    let kept = prev.join("kept.jsonl");
    for (input, extra) in [(&input, Some(&notes)), (&moved, None), (&kept, None)] {
        if extra.is_none() {
            let _ = fs::remove_file(&notes);
        }
        if *input == kept {
            fs::remove_dir_all(prev.join("data")).unwrap();
        }
        let before: Vec<_> = fs::read_dir(&prev)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        for job in ["dedup", "clean"] {
            let err = match job {
                "dedup" => run_dedup(std::slice::from_ref(input), &prev, &cfg, None).unwrap_err(),
                _ => run_clean(std::slice::from_ref(input), &prev, &cfg, None).unwrap_err(),
            };
            assert!(
                matches!(err, Error::OutputNotReplaced { .. }),
                "{job} of {}: {err}",
                input.display()
            );
        }
        let after: Vec<_> = fs::read_dir(&prev)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        assert_eq!(before, after);
    }
    // `.` has no name to write beside: refused, nothing made.
    let err = run_dedup(std::slice::from_ref(&data), Path::new("."), &cfg, None).unwrap_err();
    assert!(matches!(err, Error::OutputNotReplaced { .. }), "{err}");
    run_dedup(std::slice::from_ref(&data), &prev, &cfg, None).unwrap();
}

#[test]
fn config_file_fills_the_same_structs() {
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("g.toml");
    fs::write(
        &p,
        "threads = 1\non_error = \"skip\"\n[dedup]\nthreshold = 0.7\nsurvivor = \"longest\"\n",
    )
    .unwrap();
    let cfg = Config::from_toml_file(&p).unwrap();
    assert_eq!(cfg.dedup.threshold, 0.7);
    assert_eq!(cfg.on_error, OnError::Skip);
    fs::write(&p, "[dedup]\nthreshhold = 0.7\n").unwrap();
    let err = Config::from_toml_file(&p).unwrap_err().to_string();
    assert!(err.contains("threshhold"), "{err}");
    // A bad value is said once, as a configuration error, from a file or from
    // overrides (the Python keywords).
    fs::write(&p, "[dedup]\nsurvivor = \"earliest\"\n").unwrap();
    let from_file = Config::from_toml_file(&p).unwrap_err().to_string();
    let from_keywords = Config::default()
        .with_overrides(json!({"survivor": "earliest"}))
        .unwrap_err()
        .to_string();
    for err in [from_file, from_keywords] {
        assert_eq!(err.matches("invalid configuration").count(), 1, "{err}");
        assert!(
            err.contains("unknown survivor policy \"earliest\""),
            "{err}"
        );
    }
    // Byte counts take a unit, as the command's flags do.
    fs::write(
        &p,
        "[input]\nmax_doc_bytes = \"1K\"\n[output]\nshard_size = \"512M\"\n",
    )
    .unwrap();
    let cfg = Config::from_toml_file(&p).unwrap();
    assert_eq!(cfg.input.max_doc_bytes, Some(1024));
    assert_eq!(cfg.output.shard_size, Some(512 << 20));
    let cfg = Config::default()
        .with_overrides(json!({"max_doc_bytes": "2M", "shard_size": 1000}))
        .unwrap();
    assert_eq!(cfg.input.max_doc_bytes, Some(2 << 20));
    assert_eq!(cfg.output.shard_size, Some(1000));
    fs::write(&p, "[input]\nmax_doc_bytes = \"1Q\"\n").unwrap();
    let err = Config::from_toml_file(&p).unwrap_err().to_string();
    assert!(err.contains("unknown unit 'Q'"), "{err}");
}

/// Both jobs write their kept records compressed (`kept.jsonl.zst`) and cut
/// into shards (`kept-00000.jsonl`, …) as `output` asks: each shard at most
/// `shard_size` bytes of lines, and the shards, decompressed and joined in order,
/// are exactly the one-file output. Real news from three outlets.
#[test]
fn kept_records_are_compressed_and_sharded_alike_by_both_jobs() {
    let Some(shared) = crate::common::shared() else {
        return;
    };
    let news = shared.join("corpora/arabic_news");
    let tmp = tempfile::tempdir().unwrap();
    let limit = 400_000u64;
    for job in ["dedup", "clean"] {
        let run = |name: &str, compress: bool, shard_size: Option<u64>| {
            let out = tmp.path().join(format!("{job}-{name}"));
            let mut c = Config::default();
            c.output.compress = compress;
            c.output.shard_size = shard_size;
            let kept = match job {
                "dedup" => {
                    run_dedup(std::slice::from_ref(&news), &out, &c, None)
                        .unwrap()
                        .counts
                        .kept
                }
                _ => {
                    corpus_core::clean::run_clean(std::slice::from_ref(&news), &out, &c, None)
                        .unwrap()
                        .counts
                        .kept
                }
            };
            let mut names: Vec<String> = fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .filter(|n| n.starts_with("kept"))
                .collect();
            names.sort();
            let shards: Vec<Vec<u8>> = names
                .iter()
                .map(|n| {
                    let bytes = fs::read(out.join(n)).unwrap();
                    match n.ends_with(".zst") {
                        true => zstd::decode_all(&bytes[..]).unwrap(),
                        false => bytes,
                    }
                })
                .collect();
            (kept, names, shards)
        };
        let (kept, names, one) = run("one", false, None);
        assert_eq!(names, ["kept.jsonl"], "{job}");
        let lines = one[0].iter().filter(|&&b| b == b'\n').count() as u64;
        assert!(kept > 1500 && lines == kept, "{job}: {kept} {lines}");
        let (_, names, zst) = run("zst", true, None);
        assert_eq!(names, ["kept.jsonl.zst"], "{job}");
        assert_eq!(zst, one, "{job}");
        for compress in [false, true] {
            let (_, names, shards) = run(&format!("shards-{compress}"), compress, Some(limit));
            let ext = if compress { "jsonl.zst" } else { "jsonl" };
            let want: Vec<String> = (0..names.len())
                .map(|k| format!("kept-{k:05}.{ext}"))
                .collect();
            assert_eq!(names, want, "{job}");
            assert!(shards.len() > 3, "{job}: {}", shards.len());
            for s in &shards {
                assert!(
                    s.len() as u64 <= limit,
                    "{job}: a shard of {} bytes",
                    s.len()
                );
            }
            assert_eq!(shards.concat(), one[0], "{job}");
        }
    }
}

/// A job reports where it is: the records read, rising to the input count,
/// then (dedup) clustering, then writing, in that order and once each. The
/// command line's progress line shows these.
#[test]
fn progress_reports_reading_then_clustering_then_writing() {
    use corpus_core::pipeline::Step;
    use std::ops::ControlFlow;
    use std::sync::Mutex;
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    write_jsonl(&input, &records_to_lines(&corpus_with_variants()));
    let steps = Mutex::new(Vec::new());
    let record = |s: Step| {
        steps.lock().unwrap().push(s);
        ControlFlow::Continue(())
    };
    let cfg = Config::default();
    let s = run_dedup(
        std::slice::from_ref(&input),
        &tmp.path().join("d"),
        &cfg,
        Some(&record),
    )
    .unwrap();
    let seen = std::mem::take(&mut *steps.lock().unwrap());
    let reads: Vec<u64> = seen
        .iter()
        .filter_map(|s| match s {
            Step::Read(n) => Some(*n),
            _ => None,
        })
        .collect();
    assert!(reads.windows(2).all(|w| w[0] <= w[1]), "{seen:?}");
    assert_eq!(reads.last(), Some(&s.counts.input));
    assert_eq!(
        seen[reads.len()..],
        [Step::Cluster, Step::Write],
        "{seen:?}"
    );
    let c = run_clean(&[input], &tmp.path().join("c"), &cfg, Some(&record)).unwrap();
    let seen = std::mem::take(&mut *steps.lock().unwrap());
    assert_eq!(seen.last(), Some(&Step::Read(c.counts.input)), "{seen:?}");
    // The counting pass of the boilerplate model comes first, to the input's end.
    let counting = seen.iter().take_while(|s| matches!(s, Step::Count(_)));
    let counted = counting.count();
    assert_eq!(seen[counted - 1], Step::Count(c.counts.input), "{seen:?}");
    assert!(
        seen[counted..].iter().all(|s| matches!(s, Step::Read(_))),
        "{seen:?}"
    );
}

/// A progress callback that says stop ends the job with `Error::Interrupted`
/// and no output folder. An interrupted dedup run keeps its checkpoints: run
/// again, it reads nothing again and writes what an uninterrupted run writes.
#[test]
fn a_job_told_to_stop_leaves_no_output_and_dedup_resumes() {
    use corpus_core::pipeline::Step;
    use std::ops::ControlFlow;
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    write_jsonl(&input, &records_to_lines(&corpus_with_variants()));
    let inputs = [input];
    let cfg = Config::default();
    let stop_at = |at: Step| {
        move |s: Step| match s == at {
            true => ControlFlow::Break(()),
            false => ControlFlow::Continue(()),
        }
    };
    let out = tmp.path().join("d");
    let e = run_dedup(&inputs, &out, &cfg, Some(&stop_at(Step::Cluster))).unwrap_err();
    assert!(matches!(e, Error::Interrupted), "{e}");
    assert!(!out.exists());
    let resumed = run_dedup(&inputs, &out, &cfg, None).unwrap();
    assert_eq!(resumed.resume.skipped_shards, resumed.resume.shards);
    let fresh = tmp.path().join("fresh");
    run_dedup(&inputs, &fresh, &cfg, None).unwrap();
    for f in ["clusters.jsonl", "kept.jsonl"] {
        assert_eq!(
            fs::read(out.join(f)).unwrap(),
            fs::read(fresh.join(f)).unwrap(),
            "{f}"
        );
    }
    let n = resumed.counts.input;
    let out = tmp.path().join("c");
    let e = run_clean(&inputs, &out, &cfg, Some(&stop_at(Step::Read(n)))).unwrap_err();
    assert!(matches!(e, Error::Interrupted), "{e}");
    assert!(!out.exists());
}

/// A field the options name that no record has (a misspelt `--id-field` or
/// `--group-by`) is a note in `summary.json`, not silence: without it every id
/// quietly becomes `file:line` and every record one group. Fields the records
/// have give no note.
#[test]
fn a_field_no_record_has_is_noted() {
    use corpus_core::clean::boilerplate::GroupBy;
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("news.jsonl");
    let records: String = crate::common::seed_texts()
        .iter()
        .enumerate()
        .map(|(i, t)| {
            // `desk`: text on three records, `true` on one, missing on the last.
            let mut r = json!({"id": format!("s{i}"), "outlet": format!("o{}", i % 2), "text": t});
            match i {
                0..3 => r["desk"] = json!(format!("d{i}")),
                3 => r["desk"] = json!(true),
                _ => {}
            }
            r.to_string() + "\n"
        })
        .collect();
    fs::write(&input, records).unwrap();
    let inputs = [input];
    let run = |id: &str, group: &str, n: usize| {
        let mut cfg = Config::default();
        cfg.input.id_field = id.into();
        cfg.clean.boilerplate.group_by = GroupBy::Field(group.into());
        let dedup = run_dedup(&inputs, &tmp.path().join(format!("d{n}")), &cfg, None).unwrap();
        let clean = run_clean(&inputs, &tmp.path().join(format!("c{n}")), &cfg, None).unwrap();
        let written: Value = serde_json::from_str(
            &fs::read_to_string(tmp.path().join(format!("c{n}/summary.json"))).unwrap(),
        )
        .unwrap();
        // Written only when there is one.
        let notes = written.get("notes").cloned().unwrap_or(json!([]));
        assert_eq!(notes, json!(clean.notes));
        (dedup.notes, clean.notes)
    };
    let none: Vec<String> = Vec::new();
    assert_eq!(run("id", "outlet", 0), (none.clone(), none.clone()));
    let (dedup, clean) = run("ID", "outlte", 1);
    let id_note = "no record has the id field \"ID\": each record's id is its file:line \
                   (--id-field names the field)";
    assert_eq!(dedup, [id_note]);
    assert_eq!(
        clean,
        [
            id_note,
            "no record has the field \"outlte\" that --group-by names: every record is in one \
             group"
        ]
    );
    // Records without a text or number there are pooled in one group: said too.
    let (dedup, clean) = run("id", "desk", 2);
    assert_eq!(dedup, none);
    assert_eq!(
        clean,
        [
            "some records have no text or number in the field \"desk\" that --group-by names \
             (it is missing, null, true/false, an object or a list): their lines are counted \
             together, as one group"
        ]
    );
}

/// Every file is read once, however many ways lead to it: a hard link, a file
/// given by name beside a folder that holds it (or a link to it there), a file
/// or folder given twice. It is read under one path whatever the order of the
/// inputs, and each other way is named in a note with the path it is the same
/// file as. Before, a hard link or a link to a file given by name was read
/// twice (every record a duplicate id: the run failed), and a file given twice
/// or beside its folder refused the run.
#[cfg(unix)]
#[test]
fn every_file_is_read_once_under_one_path_whatever_the_order_of_the_inputs() {
    use corpus_core::io::{PassedOver, list_inputs_noting};
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    fs::create_dir(&a).unwrap();
    fs::create_dir(&b).unwrap();
    // Real text: the seeds, and Arabic news when the development corpora are here.
    let mut texts = crate::common::seed_texts();
    if let Some(shared) = crate::common::shared() {
        let news = fs::read_to_string(shared.join("corpora/arabic_news/ant_multisource.jsonl"));
        for line in news.unwrap().lines().take(200) {
            let v: Value = serde_json::from_str(line).unwrap();
            texts.push(v["text"].as_str().unwrap().to_owned());
        }
    }
    let records: String = texts[1..]
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"id": format!("n{i}"), "text": t}).to_string() + "\n")
        .collect();
    fs::write(a.join("news.jsonl"), records).unwrap();
    fs::write(a.join("one.txt"), &texts[0]).unwrap();
    fs::hard_link(a.join("news.jsonl"), b.join("hard.jsonl")).unwrap();
    symlink("../a/one.txt", b.join("soft.txt")).unwrap();

    // Two folders, one holding a hard link to the other's file: read once.
    let (files, passed) = list_inputs_noting(&[a.clone(), b.clone()], None).unwrap();
    let paths: Vec<&Path> = files.iter().map(|f| f.path.as_path()).collect();
    assert_eq!(paths, [a.join("news.jsonl"), a.join("one.txt")]);
    let same = |path: &Path, read_as: &Path| PassedOver::SameFile {
        path: path.to_path_buf(),
        read_as: read_as.to_path_buf(),
    };
    assert_eq!(
        passed,
        [
            same(&b.join("hard.jsonl"), &a.join("news.jsonl")),
            same(&b.join("soft.txt"), &a.join("one.txt")),
        ]
    );

    // Every way at once, in several orders: the same files, paths, ids, notes
    // and outputs.
    let inputs = [
        a.clone(),
        b.clone(),
        a.join("news.jsonl"),
        b.join("hard.jsonl"),
        a.join("one.txt"),
        a.join("news.jsonl"),
    ];
    let orders: [[usize; 6]; 5] = [
        [0, 1, 2, 3, 4, 5],
        [5, 4, 3, 2, 1, 0],
        [3, 2, 5, 1, 4, 0],
        [1, 4, 0, 3, 5, 2],
        [2, 3, 1, 5, 0, 4],
    ];
    let mut first: Option<(
        Vec<corpus_core::io::InputFile>,
        Vec<PassedOver>,
        Vec<String>,
    )> = None;
    let mut outputs: Vec<Vec<(String, Vec<u8>)>> = Vec::new();
    for (n, order) in orders.iter().enumerate() {
        let given: Vec<PathBuf> = order.iter().map(|&i| inputs[i].clone()).collect();
        let (files, passed) = list_inputs_noting(&given, None).unwrap();
        let out = tmp.path().join(format!("o{n}"));
        let s = run_dedup(&given, &out, &Config::default(), None)
            .unwrap_or_else(|e| panic!("{given:?}: {e}"));
        assert_eq!(s.counts.input, texts.len() as u64, "{given:?}");
        assert_eq!(s.counts.rejected, 0);
        let c = run_clean(
            &given,
            &tmp.path().join(format!("c{n}")),
            &Config::default(),
            None,
        )
        .unwrap();
        assert_eq!(c.counts.input, texts.len() as u64);
        assert_eq!(c.notes, s.notes);
        outputs.push(
            fs::read_dir(&out)
                .unwrap()
                .map(|e| {
                    let p = e.unwrap().path();
                    let mut bytes = fs::read(&p).unwrap();
                    if p.ends_with("summary.json") {
                        let mut v: Value = serde_json::from_slice(&bytes).unwrap();
                        v.as_object_mut().unwrap().remove("timings");
                        bytes = v.to_string().into_bytes();
                    }
                    (p.file_name().unwrap().to_string_lossy().into_owned(), bytes)
                })
                .collect(),
        );
        outputs.last_mut().unwrap().sort();
        match &first {
            None => first = Some((files, passed, s.notes)),
            Some(f) => assert_eq!((&f.0, &f.1, &f.2), (&files, &passed, &s.notes), "{given:?}"),
        }
    }
    assert!(outputs.windows(2).all(|w| w[0] == w[1]));
    let (files, passed, notes) = first.unwrap();
    // Read as the folder reads them: a text file's id is its path in the folder.
    let read: Vec<(&Path, Option<&str>)> = files
        .iter()
        .map(|f| (f.path.as_path(), f.text_id.as_deref()))
        .collect();
    assert_eq!(
        read,
        [
            (a.join("news.jsonl").as_path(), None),
            (a.join("one.txt").as_path(), Some("one"))
        ]
    );
    assert_eq!(
        passed,
        [
            same(&a.join("news.jsonl"), &a.join("news.jsonl")),
            same(&a.join("one.txt"), &a.join("one.txt")),
            same(&b.join("hard.jsonl"), &a.join("news.jsonl")),
            same(&b.join("soft.txt"), &a.join("one.txt")),
        ]
    );
    assert_eq!(notes.len(), 1, "{notes:?}");
    assert!(
        notes[0].starts_with("4 path(s) of the inputs lead to a file already read")
            && notes[0].contains(&format!(
                "{} (reached twice)",
                a.join("news.jsonl").display()
            ))
            && notes[0].ends_with(" and 3 more"),
        "{}",
        notes[0]
    );
}

/// Folders are read whatever the case of the names (`NEWS.TXT`, `DUMP.JSONL`),
/// and files that look like data but are not read (a compression or a name
/// ghirbal does not read) are a note, not silence; other files (a README) are
/// passed over quietly.
#[test]
fn folder_names_in_any_case_are_read_and_unread_data_is_noted() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("in");
    fs::create_dir(&dir).unwrap();
    let texts = crate::common::seed_texts();
    fs::write(dir.join("NEWS.TXT"), &texts[0]).unwrap();
    fs::write(
        dir.join("DUMP.JSONL"),
        json!({"id": "j", "text": texts[2]}).to_string() + "\n",
    )
    .unwrap();
    fs::write(dir.join("old.jsonl.xz"), "not read").unwrap();
    fs::write(dir.join("more.txt.gz"), "not read").unwrap();
    fs::write(dir.join("README.md"), "about").unwrap();
    // An earlier run's output inside the folder is not input either.
    let earlier = dir.join("zz-out");
    run_dedup(
        std::slice::from_ref(&dir),
        &earlier,
        &Config::default(),
        None,
    )
    .unwrap();
    let s = run_dedup(
        std::slice::from_ref(&dir),
        &tmp.path().join("o"),
        &Config::default(),
        None,
    )
    .unwrap();
    assert_eq!(s.counts.input, 2);
    assert_eq!(s.notes.len(), 1, "{:?}", s.notes);
    assert!(
        s.notes[0].starts_with(
            "3 file(s) or folder(s) in the input folders look like data but were not read"
        ) && s.notes[0].contains("more.txt.gz")
            && s.notes[0].ends_with("and 2 more"),
        "{}",
        s.notes[0]
    );
    let c = run_clean(
        std::slice::from_ref(&dir),
        &tmp.path().join("c"),
        &Config::default(),
        None,
    )
    .unwrap();
    assert_eq!(c.notes, s.notes);
}

/// A link to a file that a folder also holds is read once (before, every record
/// was rejected as a duplicate id of itself and the run failed); a named pipe
/// would hang the run and a link to nothing cannot be read: all three are
/// passed over with a note, in the dedup and the clean job.
#[cfg(unix)]
#[test]
fn links_to_read_files_pipes_and_dangling_links_are_passed_over_with_a_note() {
    use std::os::unix::fs::symlink;
    let tmp = tempfile::tempdir().unwrap();
    let (a, b) = (tmp.path().join("a"), tmp.path().join("b"));
    fs::create_dir(&a).unwrap();
    fs::create_dir(&b).unwrap();
    let texts = crate::common::seed_texts();
    let records: String = texts
        .iter()
        .enumerate()
        .map(|(i, t)| json!({"id": format!("s{i}"), "text": t}).to_string() + "\n")
        .collect();
    fs::write(a.join("news.jsonl"), &records).unwrap();
    // Sorted before the file it points at, and from the other folder too.
    symlink("news.jsonl", a.join("alias.jsonl")).unwrap();
    symlink(a.join("news.jsonl"), b.join("copy.jsonl")).unwrap();
    symlink("gone.jsonl", a.join("dangling.jsonl")).unwrap();
    let fifo = a.join("pipe.jsonl");
    let made = std::process::Command::new("mkfifo").arg(&fifo).status();
    assert!(made.is_ok_and(|s| s.success()), "mkfifo");
    let inputs = [a.clone(), b.clone()];
    let s = run_dedup(&inputs, &tmp.path().join("o"), &Config::default(), None).unwrap();
    assert_eq!(s.counts.input, texts.len() as u64);
    assert_eq!(s.counts.rejected, 0);
    assert_eq!(s.notes.len(), 2, "{:?}", s.notes);
    assert!(
        s.notes[0].starts_with("2 name(s) in the input folders are no regular file")
            && s.notes[0].contains("dangling.jsonl"),
        "{}",
        s.notes[0]
    );
    assert!(
        s.notes[1].starts_with("2 path(s) of the inputs lead to a file already read")
            && s.notes[1].contains(&format!(
                "the same file as {}",
                a.join("news.jsonl").display()
            )),
        "{}",
        s.notes[1]
    );
    let c = run_clean(&inputs, &tmp.path().join("c"), &Config::default(), None).unwrap();
    assert_eq!(c.counts.input, texts.len() as u64);
    assert_eq!(c.notes, s.notes);
}

/// The example configuration file of docs/dedup.md reads, with the values it
/// says (the docs cannot drift from the keys the structs take).
#[test]
fn the_documented_example_configuration_reads() {
    let doc = fs::read_to_string(crate::common::repo().join("docs/dedup.md")).unwrap();
    let start = doc.find("```toml\n").expect("an example") + "```toml\n".len();
    let end = start + doc[start..].find("```").unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let p = tmp.path().join("ghirbal.toml");
    fs::write(&p, &doc[start..end]).unwrap();
    let cfg = Config::from_toml_file(&p).unwrap();
    assert_eq!(cfg.input.max_doc_bytes, Some(1 << 20));
    assert_eq!(cfg.dedup.threshold, 0.75);
    assert!(cfg.output.compress);
}
