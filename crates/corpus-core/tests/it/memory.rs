//! The in-memory dedup entry point (used by the Python bindings) and config
//! overrides: they must agree with the file job.

use std::path::Path;

use corpus_core::io::{InputConfig, Reader, list_inputs};
use corpus_core::pipeline::{MemoryRun, Outcome, dedup_documents, run_dedup};
use corpus_core::{Config, Document, Error, OnError, Origin};
use serde_json::{Value, json};

use crate::common::seeds;

fn seed_docs() -> Vec<Document> {
    let files = list_inputs(&[seeds()], None).unwrap();
    Reader::new(files, InputConfig::default())
        .map(|d| d.unwrap())
        .collect()
}

fn verdicts(run: &corpus_core::pipeline::MemoryRun) -> Vec<(String, String, bool, Option<String>)> {
    run.outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| match o {
            Outcome::Verdict(v) => (
                run.ids[i].clone(),
                run.ids[v.cluster].clone(),
                v.kept,
                v.duplicate_of.map(|d| run.ids[d].clone()),
            ),
            Outcome::Rejected(r) => panic!("unexpected reject {r:?}"),
        })
        .collect()
}

#[test]
fn memory_run_matches_the_file_job_on_the_seeds() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("out");
    run_dedup(&[seeds()], &out, &Config::default(), None).unwrap();
    let mut from_files: Vec<(String, String, bool, Option<String>)> =
        std::fs::read_to_string(out.join("clusters.jsonl"))
            .unwrap()
            .lines()
            .map(|l| {
                let v: Value = serde_json::from_str(l).unwrap();
                (
                    v["id"].as_str().unwrap().to_owned(),
                    v["cluster"].as_str().unwrap().to_owned(),
                    v["kept"].as_bool().unwrap(),
                    v["duplicate_of"].as_str().map(str::to_owned),
                )
            })
            .collect();
    from_files.sort();

    let run = dedup_documents(seed_docs().into_iter().map(Ok), &Config::default(), None).unwrap();
    let mut in_memory = verdicts(&run);
    in_memory.sort();
    assert_eq!(in_memory, from_files);
    let c = &run.summary.counts;
    assert_eq!(c.input, 5);
    assert_eq!(c.input, c.kept + c.removed + c.rejected);
}

/// The in-memory summary counts the documents that start in mojibake, as the
/// file job's does: the seeds, and two of them as a scraper that assumed
/// windows-1256 would have stored them.
#[test]
fn memory_summary_counts_mojibake_as_the_file_job_does() {
    let mut docs = seed_docs();
    for i in [1, 3] {
        let mut d = docs[i].clone();
        d.id = format!("{}-1256", d.id);
        d.text = encoding_rs::WINDOWS_1256
            .decode(d.text.as_bytes())
            .0
            .into_owned();
        docs.push(d);
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let lines: Vec<String> = docs
        .iter()
        .map(|d| json!({"id": d.id, "text": d.text}).to_string())
        .collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let file = run_dedup(&[input], &tmp.path().join("o"), &Config::default(), None).unwrap();
    let run = dedup_documents(docs.into_iter().map(Ok), &Config::default(), None).unwrap();
    assert_eq!(file.mojibake_documents, Some(2));
    assert_eq!(run.summary.mojibake_documents, file.mojibake_documents);
}

#[test]
fn memory_run_does_not_depend_on_input_order() {
    let docs = seed_docs();
    let forward = dedup_documents(docs.iter().cloned().map(Ok), &Config::default(), None).unwrap();
    let backward =
        dedup_documents(docs.iter().rev().cloned().map(Ok), &Config::default(), None).unwrap();
    let mut a = verdicts(&forward);
    let mut b = verdicts(&backward);
    a.sort();
    b.sort();
    assert_eq!(a, b);
}

#[test]
fn memory_run_rejects_bad_records_and_duplicate_ids_by_policy() {
    let mut docs: Vec<corpus_core::Result<Document>> = seed_docs().into_iter().map(Ok).collect();
    let dup = seed_docs().remove(2);
    docs.push(Ok(dup));
    let origin = Origin {
        path: Path::new("docs[6]").into(),
        line: 0,
    };
    docs.push(InputConfig::default().parse_record(r#"{"id": 7}"#, origin, || "6".into()));

    // fail: the first bad record stops the run, naming where it was.
    let err = dedup_documents(docs.iter().map(clone_result), &Config::default(), None).unwrap_err();
    assert!(matches!(err, Error::Record { .. }), "{err}");
    assert!(err.to_string().contains("duplicate id"), "{err}");

    // skip: both become rejects, and the accounting adds up.
    let cfg = Config {
        on_error: OnError::Skip,
        ..Config::default()
    };
    let run = dedup_documents(docs.iter().map(clone_result), &cfg, None).unwrap();
    assert_eq!(run.outcomes.len(), 7);
    let rejected: Vec<&str> = run
        .outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Rejected(r) => Some(r.reason.as_str()),
            Outcome::Verdict(_) => None,
        })
        .collect();
    assert_eq!(rejected.len(), 2, "{rejected:?}");
    assert!(rejected[0].starts_with("duplicate id"));
    assert_eq!(rejected[1], "missing field \"text\"");
    let c = &run.summary.counts;
    assert_eq!((c.input, c.rejected), (7, 2));
    assert_eq!(c.input, c.kept + c.removed + c.rejected);
}

fn clone_result(d: &corpus_core::Result<Document>) -> corpus_core::Result<Document> {
    match d {
        Ok(d) => Ok(d.clone()),
        Err(Error::Record {
            path,
            line,
            offset,
            reason,
        }) => Err(Error::Record {
            path: path.clone(),
            line: *line,
            offset: *offset,
            reason: reason.clone(),
        }),
        Err(e) => panic!("{e}"),
    }
}

#[test]
fn record_errors_name_the_place_without_a_zero_line() {
    let origin = Origin {
        path: Path::new("docs[3]").into(),
        line: 0,
    };
    let err = InputConfig::default()
        .parse_record(r#"{"id": "x", "text": 5}"#, origin, String::new)
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "docs[3]: field \"text\" is a number, not a string"
    );
}

#[test]
fn overrides_route_flat_keys_and_reject_unknown_ones() {
    let cfg = Config::default()
        .with_overrides(json!({
            "threshold": 0.7,
            "id_field": "key",
            "threads": 2,
            "clean": {"enabled": false},
            "on_error": "skip",
        }))
        .unwrap();
    assert_eq!(cfg.dedup.threshold, 0.7);
    assert_eq!(cfg.input.id_field, "key");
    assert_eq!(cfg.input.text_field, "text"); // the rest of a section stays
    assert_eq!(cfg.threads, 2);
    assert!(!cfg.clean.enabled);
    assert_eq!(cfg.on_error, OnError::Skip);

    // The same words as a TOML file with the same typo.
    let typo = Config::default()
        .with_overrides(json!({"treshold": 0.7}))
        .unwrap_err();
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("c.toml");
    std::fs::write(&toml, "treshold = 0.7\n").unwrap();
    let toml_err = Config::from_toml_file(&toml).unwrap_err();
    assert!(matches!(typo, Error::Config(_)));
    assert!(
        typo.to_string().contains("unknown field `treshold`"),
        "{typo}"
    );
    assert!(
        toml_err.to_string().contains("unknown field `treshold`"),
        "{toml_err}"
    );
    // Both name the key that was meant.
    for e in [&typo, &toml_err] {
        assert!(
            e.to_string().ends_with("(did you mean `dedup.threshold`?)"),
            "{e}"
        );
    }
    // Inside a section too; a name far from every key gets no guess.
    let in_section = Config::default()
        .with_overrides(json!({"clean": {"pasages": true}}))
        .unwrap_err();
    assert!(
        in_section
            .to_string()
            .contains("did you mean `clean.passages`?"),
        "{in_section}"
    );
    let far = Config::default()
        .with_overrides(json!({"colour": 1}))
        .unwrap_err();
    assert!(!far.to_string().contains("did you mean"), "{far}");

    let bad = Config::default()
        .with_overrides(json!({"threshold": 1.5}))
        .unwrap_err();
    assert!(bad.to_string().contains("threshold"), "{bad}");
    let wrong_type = Config::default()
        .with_overrides(json!({"ngram": "five"}))
        .unwrap_err();
    assert!(matches!(wrong_type, Error::Config(_)), "{wrong_type}");
}

#[test]
fn survivor_is_written_as_on_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let toml = dir.path().join("c.toml");
    std::fs::write(&toml, "[dedup]\nsurvivor = \"earliest:date\"\n").unwrap();
    let cfg = Config::from_toml_file(&toml).unwrap();
    assert_eq!(
        cfg.dedup.survivor,
        corpus_core::dedup::Survivor::Earliest("date".into())
    );
    let json = serde_json::to_value(&cfg).unwrap();
    assert_eq!(json["dedup"]["survivor"], "earliest:date");
    let same = Config::default()
        .with_overrides(json!({"survivor": "earliest:date"}))
        .unwrap();
    assert_eq!(same, cfg);
    let bad = Config::default()
        .with_overrides(json!({"survivor": "newest"}))
        .unwrap_err();
    assert!(bad.to_string().contains("unknown survivor policy"), "{bad}");
}

/// The file job copies the analysis of a text it met in an earlier batch; the
/// in-memory job analyzes every document. On a corpus of copies far apart, with
/// a survivor field that differs between copies and a corpus-level boilerplate
/// line cut in one source and not in another, both judge every document alike.
#[test]
fn copies_far_apart_are_judged_as_the_memory_job_judges_them() {
    use corpus_core::clean::GroupBy;
    use corpus_core::dedup::Survivor;
    let paras: Vec<String> = crate::common::seed_texts()
        .iter()
        .flat_map(|t| {
            t.split('\n')
                .filter(|p| p.split_whitespace().count() > 8)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .collect();
    let k = paras.len();
    let footer = "هذا الخبر منشور على موقعنا الإلكتروني ويمكن للقراء متابعة آخر الأخبار والتقارير عبر حساباتنا";
    // Lines unique to each document (a paragraph turned by a different number of
    // words, then another), so that only the footer recurs.
    let text = |i: usize| {
        let words: Vec<&str> = paras[i % k].split_whitespace().collect();
        let turn = (i / k) % words.len();
        let turned = [&words[turn..], &words[..turn]].concat().join(" ");
        format!("{turned} {}\n{footer}", paras[(i * 7 + 3) % k])
    };
    // 2,600 originals in source s1, then copies of the first 40 placed more
    // than one batch (2,048 records) after them: two in source s2, where the
    // footer is too rare to be boilerplate, the others in s1.
    let mut records: Vec<Value> = (0..2600)
        .map(|i| json!({"id": format!("d{i:05}"), "text": text(i), "source": "s1", "priority": i}))
        .collect();
    for c in 0..40 {
        let source = if c < 2 { "s2" } else { "s1" };
        records.push(json!({"id": format!("c{c:03}"), "text": text(c), "source": source, "priority": 10_000 + c}));
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let body: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(&input, body.join("\n") + "\n").unwrap();

    let mut cfg = Config::default();
    cfg.dedup.survivor = Survivor::Highest("priority".into());
    cfg.clean.boilerplate.in_dedup = true;
    cfg.clean.boilerplate.group_by = GroupBy::Field("source".into());
    let out = tmp.path().join("out");
    run_dedup(std::slice::from_ref(&input), &out, &cfg, None).unwrap();
    let line = |v: &Value| {
        (
            v["id"].as_str().unwrap().to_owned(),
            v["cluster"].as_str().unwrap().to_owned(),
            v["kept"].as_bool().unwrap(),
            v["duplicate_of"].as_str().map(str::to_owned),
            v["reason"].as_str().unwrap().to_owned(),
            // The file holds 4 decimals.
            (v["similarity"].as_f64().unwrap() * 1e4).round() as i64,
            v["lang"].as_str().unwrap().to_owned(),
        )
    };
    let mut from_file: Vec<_> = std::fs::read_to_string(out.join("clusters.jsonl"))
        .unwrap()
        .lines()
        .map(|l| line(&serde_json::from_str(l).unwrap()))
        .collect();
    from_file.sort();

    let files = list_inputs(&[input], None).unwrap();
    let docs: Vec<_> = Reader::new(files, cfg.input.clone()).collect();
    let run = dedup_documents(docs, &cfg, None).unwrap();
    let mut in_memory: Vec<_> = run
        .outcomes
        .iter()
        .enumerate()
        .map(|(i, o)| {
            let Outcome::Verdict(v) = o else {
                panic!("unexpected reject")
            };
            line(&json!({
                "id": run.ids[i],
                "cluster": run.ids[v.cluster],
                "kept": v.kept,
                "duplicate_of": v.duplicate_of.map(|d| run.ids[d].clone()),
                "reason": v.reason,
                "similarity": v.similarity,
                "lang": run.languages[i].unwrap(),
            }))
        })
        .collect();
    in_memory.sort();
    assert_eq!(from_file.len(), 2640);
    assert_eq!(from_file, in_memory);
    let get = |id: &str| from_file.iter().find(|l| l.0 == id).unwrap().clone();
    let clusters: std::collections::HashSet<&String> = from_file.iter().map(|l| &l.1).collect();
    assert!(clusters.len() > 500, "{} clusters", clusters.len());
    // A copy in the same source is an exact duplicate of its original, and
    // wins by its own priority.
    let (c, d) = (get("c010"), get("d00010"));
    assert!(c.2 && !d.2, "{c:?} {d:?}");
    assert_eq!((d.3.as_deref(), d.4.as_str()), (Some("c010"), "exact"));
    // One in the other source keeps the footer there: not the same key.
    let (c, d) = (get("c000"), get("d00000"));
    assert!(c.4 != "exact" && d.4 != "exact", "{c:?} {d:?}");
}

// See: #6 — the corpus-level boilerplate count reads every readable record, a
// repeated id too, in memory as in the job (and on Spark): here that record's
// footer is what makes the footer boilerplate, and with it cut, "a" and "c"
// have the same key.
#[test]
fn the_boilerplate_count_takes_a_repeated_id_in_memory_as_in_the_job() {
    let seeds = crate::common::seed_texts();
    let footer = "\nنشرة الصباح من مكتب القاهرة الإقليمي للتحرير والمتابعة";
    // Three articles carry the footer (seed 001 would not do: it is a reprint of
    // 000, the same article for the count).
    let records = [
        json!({"id": "a", "text": format!("{}{footer}", seeds[0])}),
        json!({"id": "b", "text": format!("{}{footer}", seeds[2])}),
        json!({"id": "a", "text": format!("{}{footer}", seeds[3])}),
        json!({"id": "c", "text": seeds[0].clone()}),
        json!({"id": "d", "text": seeds[4].clone()}),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let body: Vec<String> = records.iter().map(Value::to_string).collect();
    std::fs::write(&input, body.join("\n") + "\n").unwrap();
    let mut cfg = Config {
        on_error: OnError::Skip,
        ..Config::default()
    };
    cfg.clean.boilerplate.in_dedup = true;
    let out = tmp.path().join("out");
    run_dedup(std::slice::from_ref(&input), &out, &cfg, None).unwrap();
    let reason_of_a = std::fs::read_to_string(out.join("clusters.jsonl"))
        .unwrap()
        .lines()
        .map(|l| serde_json::from_str::<Value>(l).unwrap())
        .find(|v| v["id"] == "a")
        .map(|v| v["reason"].as_str().unwrap().to_owned());
    assert_eq!(reason_of_a.as_deref(), Some("exact"));

    let files = list_inputs(&[input], None).unwrap();
    let docs: Vec<_> = Reader::new(files, cfg.input.clone()).collect();
    let run = dedup_documents(docs, &cfg, None).unwrap();
    let Outcome::Verdict(a) = &run.outcomes[0] else {
        panic!("a is read")
    };
    assert_eq!(a.reason, corpus_core::dedup::Reason::Exact);
}

#[test]
fn a_record_given_as_fields_reads_as_its_json_object() {
    let origin = || Origin {
        path: Path::new("docs[0]").into(),
        line: 0,
    };
    let cut = InputConfig {
        max_doc_bytes: Some(9),
        oversize: corpus_core::io::Oversize::Truncate,
        ..InputConfig::default()
    };
    let records = [
        json!({"id": 7, "text": "نص الخبر", "date": "2015-05-01"}),
        json!({"id": 1e16, "text": "نص الخبر الطويل", "n": null}),
        json!({"text": "نص"}),
        json!({"id": "a", "text": "  "}),
        json!({"id": true, "text": "نص"}),
        json!({"id": "a"}),
    ];
    for cfg in [InputConfig::default(), cut] {
        for record in &records {
            let Value::Object(fields) = record.clone() else {
                unreachable!()
            };
            let from_json = cfg.parse_record(&record.to_string(), origin(), || "0".into());
            let from_fields = cfg.record_from_fields(fields, origin(), || "0".into());
            match (from_json, from_fields) {
                (Ok(a), Ok(b)) => {
                    assert_eq!((&a.id, &a.text), (&b.id, &b.text), "{record}");
                    // The fields' raw is the JSON record's but the text.
                    let Ok(Value::Object(mut want)) =
                        serde_json::from_str(a.raw.as_deref().unwrap())
                    else {
                        unreachable!()
                    };
                    want.remove("text");
                    let got: Value = serde_json::from_str(b.raw.as_deref().unwrap()).unwrap();
                    assert_eq!(got, Value::Object(want), "{record}");
                }
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
                (a, b) => panic!("{record}: {a:?} / {b:?}"),
            }
        }
    }
}

#[test]
fn the_text_field_is_no_survivor_rank_and_no_group() {
    for over in [
        json!({"survivor": "earliest:text"}),
        json!({"text_field": "body", "survivor": "highest:body"}),
        json!({"clean": {"boilerplate": {"group_by": "text"}}}),
        json!({"clean": {"boilerplate": {"group_by": "host:text"}}}),
    ] {
        let err = Config::default().with_overrides(over.clone()).unwrap_err();
        assert!(
            err.to_string().contains("other than the text"),
            "{over}: {err}"
        );
    }
    // Other fields are fine, the id included.
    Config::default()
        .with_overrides(
            json!({"survivor": "highest:id", "clean": {"boilerplate": {"group_by": "outlet"}}}),
        )
        .unwrap();
}

#[test]
fn record_fields_name_what_the_job_reads() {
    let cfg = Config::default()
        .with_overrides(json!({"id_field": "key", "survivor": "earliest:date",
            "clean": {"boilerplate": {"group_by": "host:url"}}}))
        .unwrap();
    assert_eq!(cfg.record_fields(), ["key", "text", "date", "url"]);
    let cfg = Config::default()
        .with_overrides(json!({"survivor": "highest:id"}))
        .unwrap();
    assert_eq!(cfg.record_fields(), ["id", "text"]);
}

/// `earliest:date` keeps the copy published first, whatever form each date is
/// written in (the development news mix RFC 2822, ISO 8601 with an offset and
/// naive ISO times); `highest:date` the last. Read as text, these forms sort by
/// their first characters: the naive time would win `earliest`, "yesterday"
/// would win `highest`. Files and memory decide alike.
/// The in-memory run of JSON Lines `lines` (record `i` named `docs:i+1`) and
/// the ids it keeps.
fn kept_of_lines(lines: &[String], cfg: &Config) -> (MemoryRun, Vec<String>) {
    let docs = lines.iter().enumerate().map(|(i, l)| {
        let origin = Origin {
            path: Path::new("docs").into(),
            line: i as u64 + 1,
        };
        InputConfig::default().parse_record(l, origin, || i.to_string())
    });
    let run = dedup_documents(docs, cfg, None).unwrap();
    let kept = verdicts(&run)
        .into_iter()
        .filter(|v| v.2)
        .map(|v| v.0)
        .collect();
    (run, kept)
}

/// Numbers written as strings (fields that went through a CSV or a form) rank as
/// numbers under `highest:FIELD`: "10" above "9", in memory and in the file job,
/// and the summary counts them as numbers.
#[test]
fn survivor_numbers_written_as_strings_rank_as_numbers() {
    let text = seed_docs().remove(3).text;
    let lines: Vec<String> = [("a", json!("9")), ("b", json!(" 10 ")), ("c", json!(2))]
        .iter()
        .map(|(id, views)| json!({"id": id, "text": text, "views": views}).to_string())
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();
    let cfg = Config::default()
        .with_overrides(json!({"survivor": "highest:views"}))
        .unwrap();
    let (run, kept) = kept_of_lines(&lines, &cfg);
    assert_eq!(kept, ["b"]);
    let values = run.summary.survivor_values.clone().unwrap();
    assert_eq!((values.numbers, values.strings), (3, 0));
    let summary = run_dedup(&[input], &dir.path().join("o"), &cfg, None).unwrap();
    assert_eq!(summary.survivor_values, Some(values));
}

#[test]
fn survivor_dates_compare_as_instants_whatever_their_form() {
    let text = seed_docs().remove(3).text;
    let dates = [
        ("a-rfc2822", json!("Mon, 07 May 2018 23:00:00 +0000")), // 2018-05-07 23:00Z
        ("b-naive", json!("2018-05-08 02:53:56")),               // 02:53:56Z
        ("c-offset", json!("2018-05-08T03:00:00+01:00")),        // 02:00Z
        ("d-none", Value::Null),
        ("e-text", json!("yesterday")),
        // Months written out, in Levantine and Tunisian Arabic, with Arabic-Indic
        // digits and a 12-hour time: the earliest and the latest.
        ("f-levant", json!("7 أيار 2018 22:00")), // 2018-05-07 22:00Z
        ("g-tunis", json!("الثلاثاء ٨ ماي ٢٠١٨ - 3:30 ص")), // 03:30Z
    ];
    let lines: Vec<String> = dates
        .iter()
        .map(|(id, date)| {
            let mut r = json!({"id": id, "text": text});
            if !date.is_null() {
                r["date"] = date.clone();
            }
            r.to_string()
        })
        .collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in.jsonl");
    std::fs::write(&input, lines.join("\n")).unwrap();
    for (policy, want) in [("earliest:date", "f-levant"), ("highest:date", "g-tunis")] {
        let cfg = Config::default()
            .with_overrides(json!({"survivor": policy}))
            .unwrap();
        let (run, kept) = kept_of_lines(&lines, &cfg);
        assert_eq!(kept, [want], "{policy} in memory");
        // The summary says how the field was read, and what was not a date.
        let values = run.summary.survivor_values.clone().unwrap();
        assert_eq!(
            (values.dates, values.numbers, values.strings, values.missing),
            (5, 0, 1, 1)
        );
        assert_eq!(values.string_examples, ["yesterday"]);
        assert!(values.note().unwrap().contains("1 of 6 values"));
        let out = dir.path().join(policy.replace(':', "-"));
        let summary = run_dedup(std::slice::from_ref(&input), &out, &cfg, None).unwrap();
        assert_eq!(summary.survivor_values, Some(values));
        let kept = std::fs::read_to_string(out.join("kept.jsonl")).unwrap();
        let ids: Vec<String> = kept
            .lines()
            .map(|l| {
                serde_json::from_str::<Value>(l).unwrap()["id"]
                    .as_str()
                    .unwrap()
                    .to_owned()
            })
            .collect();
        assert_eq!(ids, [want], "{policy} from a file");
    }
}
