//! The `ghirbal` binary: exit codes, messages and files, as a user sees them.

use std::process::{Command, Output, Stdio};

mod common;

use common::{dedup, ghirbal, seeds};

fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// `ghirbal COMMAND SEEDS --output OUT`, not quiet: its closing line is checked.
fn on_seeds(command: &str, out: &std::path::Path) -> Output {
    ghirbal(&[
        command,
        seeds().to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ])
}

#[test]
fn dedup_on_seeds_succeeds_and_writes_the_contract_files() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = on_seeds("dedup", &out);
    assert!(o.status.success(), "{}", stderr(&o));
    for f in [
        "kept.jsonl",
        "clusters.jsonl",
        "rejects.jsonl",
        "summary.json",
    ] {
        assert!(out.join(f).is_file(), "{f}");
    }
    // The two seed versions of one article: one goes, and the line says why.
    assert!(
        stderr(&o).contains("5 records: 4 kept, 1 removed (near_duplicate 1), 0 rejected"),
        "{}",
        stderr(&o)
    );
    // Running again without --overwrite is a usage error (2) and keeps the output.
    let again = on_seeds("dedup", &out);
    assert_eq!(again.status.code(), Some(2), "{}", stderr(&again));
    assert!(stderr(&again).contains("--overwrite"));
}

#[test]
fn clean_on_seeds_says_what_it_cut() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let o = on_seeds("clean", &out);
    assert!(o.status.success(), "{}", stderr(&o));
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    let by_rule = summary["counts"]["cuts_by_rule"].as_object().unwrap();
    let total: u64 = by_rule.values().map(|n| n.as_u64().unwrap()).sum();
    // The rule with the most cuts (the seeds' embeds) leads the list.
    let (rule, most) = by_rule
        .iter()
        .map(|(r, n)| (r, n.as_u64().unwrap()))
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .unwrap();
    let line = format!("5 records: 5 kept, 0 emptied, 0 rejected; {total} cuts ({rule} {most}, ");
    assert!(
        total > 0 && stderr(&o).contains(&line),
        "{line}\n{}",
        stderr(&o)
    );
    assert!(stderr(&o).contains("% of the text"), "{}", stderr(&o));
}

#[test]
fn bad_record_exits_1_naming_file_and_line() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    std::fs::write(
        &input,
        "{\"id\":\"a\",\"text\":\"نص\"}\n{\"id\":\"b\",\"text\":null}\n",
    )
    .unwrap();
    let out = tmp.path().join("out");
    let o = ghirbal(&[
        "dedup",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    assert!(stderr(&o).contains("in.jsonl:2"), "{}", stderr(&o));
    assert!(stderr(&o).contains("null"), "{}", stderr(&o));
    assert!(!out.exists());
    let o = ghirbal(&[
        "dedup",
        input.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--on-error",
        "skip",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let rejects = std::fs::read_to_string(out.join("rejects.jsonl")).unwrap();
    assert_eq!(rejects.lines().count(), 1);
}

#[test]
fn shingle_flags_reach_the_engine_and_the_audit_says_what_was_used() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let audit = |extra: &[&str]| -> serde_json::Value {
        let o = dedup(&seeds(), &out, &[extra, &["--overwrite"]].concat());
        assert!(o.status.success(), "{}", stderr(&o));
        serde_json::from_str(&std::fs::read_to_string(out.join("audit.json")).unwrap()).unwrap()
    };
    let used = |a: &serde_json::Value| (a["shingle"].clone(), a["ngram"].clone());
    assert_eq!(used(&audit(&[])), ("words".into(), 3.into()));
    assert_eq!(
        used(&audit(&["--shingle", "chars"])),
        ("chars".into(), 6.into())
    );
    let a = audit(&["--shingle", "chars", "--ngram", "8"]);
    assert_eq!(used(&a), ("chars".into(), 8.into()));
    assert_eq!(a["containment_threshold"], 0.75);
    let o = ghirbal(&["dedup", "x", "--output", "y", "--shingle", "letters"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("words, chars"), "{}", stderr(&o));
}

#[test]
fn usage_errors_exit_2() {
    let o = ghirbal(&["dedup", "--output", "x"]);
    assert_eq!(o.status.code(), Some(2));
    let o = ghirbal(&["dedup", "nope", "--output", "x", "--threshold", "1.5"]);
    assert_eq!(o.status.code(), Some(2), "{}", stderr(&o));
    assert!(stderr(&o).contains("threshold"));
}

#[test]
fn a_missing_input_is_named_with_the_reason_once() {
    let tmp = tempfile::tempdir().unwrap();
    let missing = tmp.path().join("nope.jsonl");
    let o = dedup(&missing, &tmp.path().join("out"), &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let err = stderr(&o);
    assert!(err.contains("nope.jsonl: "), "{err}");
    // The system's reason ("... (os error 2)"), once: not again as the cause.
    assert_eq!(err.matches("(os error").count(), 1, "{err}");
}

#[test]
fn dedup_reads_stdin() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let mut child = Command::new(env!("CARGO_BIN_EXE_ghirbal"))
        .args(["dedup", "-", "--output", out.to_str().unwrap(), "--quiet"])
        .stdin(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        let mut stdin = child.stdin.take().unwrap();
        for (i, t) in [
            "نص أول للتجربة هنا",
            "نص ثان مختلف تماما عنه",
            "نص أول للتجربة هنا",
        ]
        .iter()
        .enumerate()
        {
            writeln!(
                stdin,
                "{}",
                serde_json::json!({"id": format!("d{i}"), "text": t})
            )
            .unwrap();
        }
    }
    assert!(child.wait().unwrap().success());
    let clusters = std::fs::read_to_string(out.join("clusters.jsonl")).unwrap();
    assert_eq!(clusters.lines().count(), 3);
    assert!(
        clusters.contains(
            r#""id":"d2","cluster":"d0","kept":false,"duplicate_of":"d0","reason":"exact""#
        ),
        "{clusters}"
    );
    // The spilled copy of stdin is not left in the output.
    assert!(!out.join("stdin.jsonl").exists());
}

/// `ghirbal ARGS` with `input` on its standard input.
fn with_stdin(args: &[&str], input: &[u8]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ghirbal"))
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        // A run refused before it reads its input (a usage error) may close
        // the pipe first: what it says is in its output, not in this write.
        match child.stdin.take().unwrap().write_all(input) {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
            r => r.unwrap(),
        }
    }
    child.wait_with_output().unwrap()
}

/// Standard input is read once into the output folder; its records, rejects and
/// summary name it `-`, never that copy, and a compressed stream is read as the
/// same records would be from a file.
#[test]
fn stdin_is_named_dash_and_may_come_compressed() {
    use std::io::Write;
    let tmp = tempfile::tempdir().unwrap();
    let mut plain = String::new();
    for (i, text) in common::seed_paragraphs().iter().enumerate() {
        plain += &serde_json::json!({"id": format!("p{i:03}"), "text": text}).to_string();
        plain.push('\n');
    }
    let good = plain.lines().count();
    plain += "{\"id\": \"bad\"\n";
    let file = tmp.path().join("in.jsonl");
    std::fs::write(&file, &plain).unwrap();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(plain.as_bytes()).unwrap();
    let streams = [
        ("plain", plain.as_bytes().to_vec()),
        ("gz", gz.finish().unwrap()),
        ("zst", zstd::encode_all(plain.as_bytes(), 3).unwrap()),
    ];
    for job in ["dedup", "clean"] {
        let run = |input: &str, out: &std::path::Path, bytes: &[u8]| {
            let out = out.to_str().unwrap();
            let mut args = vec![job, input, "--output", out, "-q", "--on-error", "skip"];
            if job == "clean" {
                args.push("--passages");
            }
            with_stdin(&args, bytes)
        };
        let from_file = tmp.path().join(format!("{job}-file"));
        let o = run(file.to_str().unwrap(), &from_file, b"");
        assert!(o.status.success(), "{}", stderr(&o));
        for (name, bytes) in &streams {
            let out = tmp.path().join(format!("{job}-{name}"));
            let o = run("-", &out, bytes);
            assert!(o.status.success(), "{job} {name}: {}", stderr(&o));
            let read = |f: &str| std::fs::read_to_string(out.join(f)).unwrap();
            assert_eq!(
                read("kept.jsonl"),
                std::fs::read_to_string(from_file.join("kept.jsonl")).unwrap(),
                "{job} {name}"
            );
            let reject: serde_json::Value = serde_json::from_str(&read("rejects.jsonl")).unwrap();
            assert_eq!(reject["file"], "-", "{job} {name}");
            assert_eq!(reject["line"], good + 1, "{job} {name}");
            let summary: serde_json::Value = serde_json::from_str(&read("summary.json")).unwrap();
            assert_eq!(summary["inputs"][0]["path"], "-", "{job} {name}");
            assert_eq!(summary["decoding"][0]["path"], "-", "{job} {name}");
            if job == "dedup" {
                let clusters = read("clusters.jsonl");
                assert_eq!(clusters.lines().count(), good, "{name}");
                assert!(
                    clusters.lines().all(|l| l.contains(r#""source":"-:"#)),
                    "{name}: {clusters}"
                );
            }
            // The copy of standard input is not left in the output.
            let names: Vec<String> = std::fs::read_dir(&out)
                .unwrap()
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect();
            assert!(names.iter().all(|n| !n.starts_with("stdin")), "{names:?}");
        }
        // Without --on-error skip the bad record stops the run, named by `-` and its line.
        let o = with_stdin(
            &[
                job,
                "-",
                "--output",
                tmp.path().join("stop").to_str().unwrap(),
                "-q",
            ],
            plain.as_bytes(),
        );
        assert_eq!(o.status.code(), Some(1), "{job}");
        assert!(
            stderr(&o).contains(&format!("-:{}: ", good + 1)),
            "{}",
            stderr(&o)
        );
        // A second `-` would read an empty stream: refused.
        let o = with_stdin(
            &[
                job,
                "-",
                "-",
                "--output",
                tmp.path().join("twice").to_str().unwrap(),
            ],
            plain.as_bytes(),
        );
        assert_eq!(o.status.code(), Some(2), "{job}: {}", stderr(&o));
        assert!(stderr(&o).contains("standard input (-) can be given only once"));
    }
    // `normalize --jsonl` reads a compressed stream too.
    let records = &plain[..plain.find("{\"id\": \"bad\"").unwrap()];
    let normalize = |bytes: &[u8]| {
        let o = with_stdin(&["normalize", "--jsonl", "--profile", "key"], bytes);
        assert!(o.status.success(), "{}", stderr(&o));
        o.stdout
    };
    let want = normalize(records.as_bytes());
    assert_eq!(want.iter().filter(|&&b| b == b'\n').count(), good);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(records.as_bytes()).unwrap();
    assert_eq!(normalize(&gz.finish().unwrap()), want);
    assert_eq!(
        normalize(&zstd::encode_all(records.as_bytes(), 3).unwrap()),
        want
    );
}

#[test]
fn normalize_key_profile_folds_arabic() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_ghirbal"))
        .args(["normalize", "--profile", "key"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    {
        use std::io::Write;
        child
            .stdin
            .take()
            .unwrap()
            .write_all("أَهْلاً   بالعـــالم ١٢".as_bytes())
            .unwrap();
    }
    let o = child.wait_with_output().unwrap();
    assert!(o.status.success());
    assert_eq!(String::from_utf8(o.stdout).unwrap(), "اهلا بالعالم 12\n");
}

/// `normalize --jsonl`: the text field normalized, every other byte as read; a
/// bad record exits 1 naming standard input's line.
#[test]
fn normalize_jsonl_keeps_the_record_and_names_a_bad_line() {
    let run = |input: &str, threads: &str| {
        let mut child = Command::new(env!("CARGO_BIN_EXE_ghirbal"))
            .args([
                "normalize",
                "--jsonl",
                "--profile",
                "key",
                "--threads",
                threads,
            ])
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        {
            use std::io::Write;
            let mut stdin = child.stdin.take().unwrap();
            stdin.write_all(input.as_bytes()).unwrap();
        }
        child.wait_with_output().unwrap()
    };
    let rec = r#"{"b": [1, {"text": "داخلي"}], "text": "أَهْلاً ١٢", "a":  2.50}"#;
    let o = run(&format!("{rec}\n{rec}\n"), "2");
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(
        String::from_utf8(o.stdout).unwrap(),
        "{\"b\": [1, {\"text\": \"داخلي\"}], \"text\": \"اهلا 12\", \"a\":  2.50}\n".repeat(2)
    );
    let o = run(&format!("{rec}\n{{\"text\": null}}\n"), "1");
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(
        err.contains("-:2: field \"text\" is null, not a string"),
        "{err}"
    );
}

/// `ghirbal normalize` reads its input as a text file is read: a BOM says
/// UTF-8 or UTF-16, invalid UTF-8 is bad data (exit 1, its byte offset), and an
/// empty input gives an empty output. With `--jsonl`, a BOM may open any line
/// (files joined with `cat`). A step without `+` or `-` is a usage error.
#[test]
fn normalize_reads_its_input_as_a_text_file_is_read() {
    let text = "أَهْلاً وسَهْلاً";
    let key = ["normalize", "--profile", "key"];
    let want = String::from_utf8(with_stdin(&key, text.as_bytes()).stdout).unwrap();
    assert_eq!(want, "اهلا وسهلا\n");
    let mut utf16 = vec![0xFF, 0xFE];
    utf16.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    let o = with_stdin(&key, &utf16);
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8(o.stdout).unwrap(), want);
    let o = with_stdin(&["normalize"], b"abc \xff\n");
    assert_eq!(o.status.code(), Some(1));
    assert!(
        stderr(&o).contains("-: byte 4: invalid UTF-8"),
        "{}",
        stderr(&o)
    );
    let o = with_stdin(&["normalize"], b"");
    assert!(o.status.success() && o.stdout.is_empty(), "{:?}", o.stdout);
    let rec = serde_json::json!({"id": 1, "text": text}).to_string();
    let joined = format!("\u{feff}{rec}\n\u{feff}{rec}\n");
    let o = with_stdin(&["normalize", "--jsonl"], joined.as_bytes());
    assert!(o.status.success(), "{}", stderr(&o));
    assert_eq!(String::from_utf8(o.stdout).unwrap().lines().count(), 2);
    let o = with_stdin(&["normalize", "--step", "digits"], b"x");
    assert_eq!(o.status.code(), Some(2));
    assert!(stderr(&o).contains("+digits"), "{}", stderr(&o));
}

#[test]
fn clean_with_passages_keeps_the_seed_versions_shared_paragraphs_once() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    let seeds = seeds();
    let o = ghirbal(&[
        "clean",
        seeds.to_str().unwrap(),
        "--output",
        out.to_str().unwrap(),
        "--passages",
    ]);
    assert!(o.status.success(), "{}", stderr(&o));
    let read = |f: &str| -> Vec<serde_json::Value> {
        std::fs::read_to_string(out.join(f))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect()
    };
    // Seeds 000 and 001 are two versions of one article: 001 gives up the
    // paragraphs they share, which 000 (the smaller id) keeps.
    let kept = read("kept.jsonl");
    let text_of = |id: &str| {
        kept.iter()
            .find(|r| r["id"].as_str().unwrap().starts_with(id))
            .map(|r| r["text"].as_str().unwrap().to_owned())
            .unwrap()
    };
    let (first, second) = (text_of("000_"), text_of("001_"));
    let passages: Vec<serde_json::Value> = read("removed.jsonl")
        .into_iter()
        .filter(|r| r["rule"] == "repeated_passage")
        .collect();
    assert!(passages.len() >= 3, "{passages:?}");
    for p in &passages {
        assert!(p["id"].as_str().unwrap().starts_with("001_"), "{p}");
        assert!(
            p["duplicate_of"].as_str().unwrap().starts_with("000_"),
            "{p}"
        );
        let t = p["text"].as_str().unwrap().trim();
        assert!(first.contains(t) && !second.contains(t), "{t}");
    }
    // 001 keeps what is its own: its text is not emptied.
    assert!(!second.trim().is_empty());
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    // Each of the shared paragraphs is one passage with two copies.
    assert_eq!(summary["passages"]["repeated"], passages.len());
    assert_eq!(summary["passages"]["copies"], 2 * passages.len());
    // The closing line says how many, whatever their rank among the cuts.
    let n = passages.len();
    let line = format!("; {n} repeated passages, {n} copies cut -> ");
    assert!(stderr(&o).contains(&line), "{line}\n{}", stderr(&o));

    // A minimum under 20 characters, or one without --passages, is a usage error.
    for extra in [
        &["--passages", "--passage-min-chars", "5"][..],
        &["--passage-min-chars", "200"][..],
    ] {
        let o = ghirbal(
            &[
                &["clean", seeds.to_str().unwrap(), "--output"][..],
                &[tmp.path().join("bad").to_str().unwrap()],
                extra,
            ]
            .concat(),
        );
        assert_eq!(o.status.code(), Some(2), "{extra:?}: {}", stderr(&o));
    }
}

/// Byte counts take K, M or G; a shard size of 0 (one file per record) is refused.
#[test]
fn byte_options_take_units_and_refuse_a_zero_shard_size() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        (dedup(&seeds(), &out, extra), out)
    };
    let (o, out) = run("k", &["--shard-size", "8K"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let shards: Vec<u64> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap())
        .filter(|e| e.file_name().to_string_lossy().starts_with("kept-"))
        .map(|e| e.metadata().unwrap().len())
        .collect();
    // Five seeds of 4.5–14 KB a record: more than one shard.
    assert!(shards.len() > 1, "{shards:?}");
    let (o, _) = run("max", &["--max-doc-bytes", "5k"]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert!(
        stderr(&o).contains("over max_doc_bytes = 5120"),
        "{}",
        stderr(&o)
    );
    for (value, says) in [
        ("0", "output.shard_size must be at least 1 byte"),
        ("1.5M", "is not a byte count"),
        ("3X", "unknown unit 'X'"),
    ] {
        let (o, _) = run(value, &["--shard-size", value]);
        assert_eq!(o.status.code(), Some(2), "{value}: {}", stderr(&o));
        assert!(stderr(&o).contains(says), "{value}: {}", stderr(&o));
    }
}

/// `--disable` takes rules one by one or comma-separated, to the same effect;
/// a `--group-by` that names no field is refused.
#[test]
fn disable_takes_a_list_and_group_by_needs_a_field() {
    let tmp = tempfile::tempdir().unwrap();
    let clean = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let o = ghirbal(
            &[
                &[
                    "clean",
                    seeds().to_str().unwrap(),
                    "--output",
                    out.to_str().unwrap(),
                    "-q",
                ],
                extra,
            ]
            .concat(),
        );
        (o, out)
    };
    let (o, one_by_one) = clean("a", &["--disable", "byline", "--disable", "edge_nav"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let (o, listed) = clean("b", &["--disable", "byline,edge_nav"]);
    assert!(o.status.success(), "{}", stderr(&o));
    let config = |out: &std::path::Path| {
        let s: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap())
                .unwrap();
        s["config"]["clean"]["disable"].clone()
    };
    assert_eq!(
        config(&one_by_one),
        serde_json::json!(["byline", "edge_nav"])
    );
    assert_eq!(config(&listed), config(&one_by_one));
    for bad in ["field:", "host:"] {
        let (o, _) = clean(bad, &["--group-by", bad]);
        assert_eq!(o.status.code(), Some(2), "{bad}: {}", stderr(&o));
        assert!(stderr(&o).contains("names no field"), "{}", stderr(&o));
    }
}

#[test]
fn normalize_help_names_every_step_and_what_each_profile_runs() {
    use corpus_core::normalize::{Profile, Step};
    let o = ghirbal(&["normalize", "--help"]);
    assert!(o.status.success());
    // Clap wraps long lines: compare the lists word by word.
    let help = String::from_utf8_lossy(&o.stdout).replace('\n', " ");
    let list = |from: &str, to: &str| -> Vec<String> {
        let rest = help.split(from).nth(1).unwrap_or_default();
        let part = rest.split(to).next().unwrap_or_default();
        part.split([' ', ','])
            .filter(|w| !w.is_empty())
            .map(str::to_owned)
            .collect()
    };
    let names = |steps: &[Step]| -> Vec<String> { steps.iter().map(|s| s.name().into()).collect() };
    assert_eq!(
        list("stored:", "key:"),
        names(Profile::Stored.steps()),
        "{help}"
    );
    assert_eq!(
        list("key:", "Steps:"),
        names(Profile::Key.steps()),
        "{help}"
    );
    assert_eq!(list("Steps:", "\u{0}"), names(Step::ALL), "{help}");
}

#[test]
fn a_survivor_field_not_read_as_dates_gets_a_note() {
    // The seeds with a date field (two dates, one written out; two strings that
    // are none; one record without it) and a number.
    let dates = [
        Some("2016-12-08"),
        Some("الجمعة 9 ديسمبر 2016"),
        Some("yesterday"),
        Some("soon"),
        None,
    ];
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let lines: Vec<String> = common::seed_files()
        .iter()
        .zip(dates)
        .enumerate()
        .map(|(n, (f, date))| {
            let text = std::fs::read_to_string(f).unwrap();
            let id = f.file_stem().unwrap().to_str().unwrap();
            let mut r = serde_json::json!({"id": id, "text": text, "n": n});
            if let Some(d) = date {
                r["date"] = d.into();
            }
            r.to_string()
        })
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let run_with = |field: &str, out: &str, quiet: bool| {
        let survivor = format!("earliest:{field}");
        let out = tmp.path().join(out);
        let mut args = vec![
            "dedup",
            input.to_str().unwrap(),
            "--output",
            out.to_str().unwrap(),
            "--survivor",
            &survivor,
        ];
        if quiet {
            args.push("-q");
        }
        let o = ghirbal(&args);
        assert!(o.status.success(), "{}", stderr(&o));
        stderr(&o)
    };
    let run = |field: &str, out: &str| run_with(field, out, false);
    let misspelt = run("dat", "a");
    assert!(
        misspelt.contains("note: no record has a value in the survivor field \"dat\""),
        "{misspelt}"
    );
    // --quiet drops the closing line, not the note: a script still sees it.
    let quiet = run_with("dat", "q", true);
    assert!(
        quiet.starts_with("ghirbal: note: no record has a value") && !quiet.contains("kept,"),
        "{quiet}"
    );
    let strings = run("date", "b");
    assert!(
        strings.contains(
            "note: 2 of 4 values of the survivor field \"date\" are neither dates nor numbers \
             (e.g. \"yesterday\", \"soon\")"
        ),
        "{strings}"
    );
    // A field read as numbers (or dates) everywhere: nothing to say.
    assert!(!run("n", "c").contains("note:"));
}

/// The defaults the help texts name are the configuration's own.
#[test]
fn help_names_the_configurations_defaults() {
    let cfg = corpus_core::Config::default();
    let help = |job: &str| String::from_utf8(ghirbal(&[job, "--help"]).stdout).unwrap();
    let (dedup, clean) = (help("dedup"), help("clean"));
    for (text, said) in [
        (&dedup, format!("(default {})", cfg.dedup.threshold)),
        (&dedup, format!("(default {})", cfg.dedup.num_perm)),
        (&dedup, format!("{} (default)", cfg.dedup.survivor)),
        (
            &clean,
            format!("(default {})", cfg.clean.boilerplate.min_docs),
        ),
        (
            &clean,
            format!("(default {})", cfg.clean.boilerplate.min_fraction),
        ),
        (
            &clean,
            format!("(default {})", cfg.clean.passages.min_chars),
        ),
        (
            &clean,
            format!("{} (default)", cfg.clean.boilerplate.group_by),
        ),
    ] {
        assert!(text.contains(&said), "{said} not in:\n{text}");
    }
}

/// `--disable` takes names as a sentence writes them, spaces after the commas.
#[test]
fn disable_names_may_follow_a_space() {
    let tmp = tempfile::tempdir().unwrap();
    let seeds = seeds();
    let run = |list: &str, out: &str| {
        let out = tmp.path().join(out);
        let o = ghirbal(&[
            "clean",
            seeds.to_str().unwrap(),
            "-o",
            out.to_str().unwrap(),
            "-q",
            "--disable",
            list,
        ]);
        assert!(o.status.success(), "{}", stderr(&o));
        std::fs::read(out.join("removed.jsonl")).unwrap()
    };
    assert_eq!(run("byline, edge_nav", "a"), run("byline,edge_nav", "b"));
}
