//! Cleaning: the seed articles, the `clean` job's contract, corpus-level
//! boilerplate, and line-level precision/recall on the labelled gold set.

use std::path::Path;

use corpus_core::Config;
use corpus_core::OnError;
use corpus_core::clean::{CleanConfig, Cleaner, GroupBy, apply, clean_documents, eval, run_clean};

use crate::common::{read_jsonl, seed_texts, seeds, shared};

fn seed(prefix: &str) -> String {
    let dir = seeds();
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.file_name().unwrap().to_string_lossy().starts_with(prefix) {
            return std::fs::read_to_string(p).unwrap();
        }
    }
    panic!("seed {prefix} missing");
}

fn cleaned(text: &str) -> String {
    let c = Cleaner::new(&CleanConfig::default()).unwrap();
    apply(text, &c.cuts(text))
}

/// Sentences of a text: split at full stops and line ends.
fn sentences(text: &str) -> Vec<String> {
    text.split(['\n', '.'])
        .map(|s| s.trim().to_owned())
        .filter(|s| s.split_whitespace().count() >= 3)
        .collect()
}

/// Every non-empty line of `orig` except `chrome` survives whole in `clean`.
fn lines_survive(orig: &str, clean: &str, chrome: &[&str]) {
    for line in orig.lines().map(str::trim).filter(|l| !l.is_empty()) {
        if chrome.iter().any(|c| line.contains(c)) {
            continue;
        }
        assert!(clean.contains(line), "content line lost: {line}");
    }
}

#[test]
fn seed_001_chrome_and_comments_go_article_stays() {
    let orig = seed("001");
    let clean = cleaned(&orig);
    for chrome in [
        "سوريا - لبنان - فلسطين\n",
        "آخر الاضافات",
        "الاكثر مشاهدة",
        "الاسعار الرسمية للعملات",
        "التعليقات",
        "الموضوع :",
        "طاهر باقر :",
        "منير حجازي :",
        "محكمة جنايات بابل",
    ] {
        assert!(!clean.contains(chrome), "chrome left: {chrome}");
    }
    // The article: every sentence of 000 is in 001's cleaned text.
    let base = seed("000");
    for s in sentences(&base) {
        assert!(clean.contains(&s), "article sentence lost: {s}");
    }
    // The headline is content.
    assert!(
        clean
            .trim_start()
            .starts_with("سوريا: الإدارة الذاتية في حلب")
    );
    // And nothing else is left: 001 cleaned is 000 plus its headline.
    let extra: Vec<String> = sentences(&clean)
        .into_iter()
        .filter(|s| !base.contains(s.as_str()))
        .collect();
    assert_eq!(extra.len(), 1, "{extra:?}");
}

#[test]
fn seed_002_embed_attributions_and_signature_go() {
    let orig = seed("002");
    let clean = cleaned(&orig);
    assert!(!clean.contains("pic.twitter.com"));
    assert!(!clean.contains("(@"));
    assert!(!clean.contains("January 8, 2026"));
    assert!(!clean.trim_end().ends_with("نبض"));
    // The embedded posts' text is kept.
    assert!(clean.contains("The United States is closely following developments"));
    assert!(
        clean.contains(
            "يدنا ممدودة للجميع والدولة السورية هي الملاذ الوحيد لجميع السوريين.#حلب #سوريا"
        )
    );
    lines_survive(&orig, &clean, &["pic.twitter.com", "(@", "نبض"]);
    assert_eq!(
        orig.lines().count() - 4,
        clean.lines().count(),
        "three attributions and the signature"
    );
}

#[test]
fn seed_003_read_more_block_and_glued_timestamp_go() {
    let orig = seed("003");
    let clean = cleaned(&orig);
    assert!(!clean.contains("اقرا المزيد"));
    assert!(!clean.contains("قوات قسد تصدر تحذيرا"));
    assert!(!clean.contains("منذ يوم"));
    assert!(clean.contains("\nواختتم تنويه المركز الإعلامي"));
    lines_survive(
        &orig,
        &clean,
        &["اقرا المزيد", "قوات قسد تصدر تحذيرا", "منذ يوم"],
    );
}

/// A marker, a separator and a headline on the text's first line is the
/// article's own headline (a corpus giving title and body together), not a
/// link to another story: it stays. The same line between paragraphs goes.
#[test]
fn a_read_more_shaped_headline_on_the_first_line_stays() {
    let Some(shared) = shared() else { return };
    let id = "ant-CN-internationalNews-154-20180320";
    let (title, orig) = titled_news_doc(&shared, "ant_multisource.jsonl", id);
    assert!(title.starts_with("شاهد.."), "{title}");
    assert!(cleaned(&orig).starts_with(&title));
    let body = news_doc(&shared, "ant_multisource.jsonl", id);
    let (first, rest) = body.split_once('\n').unwrap();
    let inside = format!("{first}\n{title}\n{rest}");
    assert!(!cleaned(&inside).contains(&title));
}

/// A text opened by its own headline has its byline under it: the byline
/// goes, the headline stays. A reader's `Name – City` under a listed
/// question (`* …؟`) in a question-and-answer column is no byline.
#[test]
fn a_byline_under_the_texts_headline_goes() {
    let Some(shared) = shared() else { return };
    let id = "saudinewsnet-2015-07-31-00030";
    let (title, titled) = titled_news_doc(&shared, "saudinewsnet.jsonl", id);
    let clean = cleaned(&titled);
    assert!(clean.starts_with(&title), "{clean}");
    assert!(!clean.contains("عمر إبراهيم – عين اليوم"), "{clean}");
    let body = news_doc(&shared, "saudinewsnet.jsonl", id);
    assert!(!cleaned(&body).contains("عمر إبراهيم – عين اليوم"));
    let column = news_doc(
        &shared,
        "saudinewsnet.jsonl",
        "saudinewsnet-2015-08-08-00832",
    );
    assert!(cleaned(&column).contains("راشد الدوسري - الدمام"));
}

#[test]
fn seed_004_pic_link_and_attribution_go_post_stays() {
    let orig = seed("004");
    let clean = cleaned(&orig);
    assert!(!clean.contains("pic.twitter.com"));
    assert!(!clean.contains("@AleppoGov1"));
    assert!(
        clean.contains("ومحصّنة..."),
        "the post text is kept up to the link"
    );
    lines_survive(&orig, &clean, &["pic.twitter.com", "@AleppoGov1"]);
}

#[test]
fn seed_000_is_untouched() {
    let orig = seed("000");
    let c = Cleaner::new(&CleanConfig::default()).unwrap();
    assert!(c.cuts(&orig).is_empty());
}

#[test]
fn rules_can_be_switched_off_by_name() {
    let orig = seed("002");
    let mut cfg = CleanConfig {
        disable: vec!["embed_attribution".into(), "signature".into()],
        ..Default::default()
    };
    let c = Cleaner::new(&cfg).unwrap();
    let clean = apply(&orig, &c.cuts(&orig));
    assert!(clean.contains("(@Sana__gov)"));
    assert!(!clean.contains("pic.twitter.com"));
    cfg.disable = vec!["no_such_rule".into()];
    let e = Cleaner::new(&cfg).unwrap_err().to_string();
    assert!(
        e.contains("no_such_rule") && e.contains("embed_link"),
        "{e}"
    );
}

#[test]
fn sub_line_signoff_and_odd_input_do_not_panic() {
    let c = Cleaner::new(&CleanConfig::default()).unwrap();
    let t = "وقال الوزير إن الاجتماع ناقش عددا من الملفات المهمة في المنطقة والعالم. // انتهى //";
    let cuts = c.cuts(t);
    assert_eq!(cuts.len(), 1);
    assert_eq!(cuts[0].rule, "signoff");
    assert_eq!(
        apply(t, &cuts),
        "وقال الوزير إن الاجتماع ناقش عددا من الملفات المهمة في المنطقة والعالم."
    );
    for odd in [
        "",
        "\n\n\n",
        "ـــــ",
        "\u{200F}\u{200E}",
        "a\r\nb",
        &"x".repeat(100_000),
        "—",
        ":",
    ] {
        let cuts = c.cuts(odd);
        for w in cuts.windows(2) {
            assert!(w[0].end <= w[1].start);
        }
        let _ = apply(odd, &cuts);
    }
}

/// The text of document `id` in ../shared/corpora/arabic_news/`file`.
fn news_doc(shared: &Path, file: &str, id: &str) -> String {
    news_field(shared, file, id, "text")
}

/// Field `field` of document `id` in ../shared/corpora/arabic_news/`file`.
fn news_field(shared: &Path, file: &str, id: &str, field: &str) -> String {
    read_jsonl(&shared.join("corpora/arabic_news").join(file))
        .into_iter()
        .find(|d| d["id"] == id)
        .and_then(|d| d[field].as_str().map(str::to_owned))
        .unwrap_or_else(|| panic!("{id} has no {field} in {file}"))
}

/// Document `id` with its `title` on the first line, as corpora that give
/// title and body together have it; and the title.
fn titled_news_doc(shared: &Path, file: &str, id: &str) -> (String, String) {
    let title = news_field(shared, file, id, "title");
    let text = format!("{title}\n{}", news_doc(shared, file, id));
    (title, text)
}

fn cleaned_without(text: &str, rule: &str) -> String {
    let c = Cleaner::new(&CleanConfig {
        disable: vec![rule.into()],
        ..Default::default()
    })
    .unwrap();
    apply(text, &c.cuts(text))
}

#[test]
fn related_block_takes_every_headline_under_the_heading() {
    let Some(shared) = shared() else { return };
    // BBC: `اقرأ ايضاً:` and three linked headlines between two paragraphs.
    let orig = news_doc(
        &shared,
        "ant_multisource.jsonl",
        "ant-BB-middleEast-859-20180808",
    );
    let heads = [
        "اقرأ ايضاً:",
        "ستيفن هوكينغ: نبذة عن السفير الشعبي للعلوم",
        "وفاة شيروود رولاند مكتشف تآكل طبقة الأوزون",
        "جائزة نوبل في الكيمياء لمطوري",
    ];
    let clean = cleaned(&orig);
    for h in heads {
        assert!(!clean.contains(h), "{h}");
    }
    assert!(clean.contains("\nقام ببحوث ودراسات في الجيولوجيا"));
    // The separator and the app promo at the end are other rules' cuts.
    lines_survive(
        &orig,
        &clean,
        &[&heads[..], &["---", "تطبيق بي بي سي"]].concat(),
    );
    // Switched off, `read_more` still takes the heading and the first headline only.
    let partial = cleaned_without(&orig, "related_block");
    assert!(!partial.contains(heads[1]) && partial.contains(heads[2]));

    // Al-Jazirah: the writer's other titles glued after the last sentence.
    let orig = news_doc(
        &shared,
        "saudinewsnet.jsonl",
        "saudinewsnet-2015-08-04-00358",
    );
    let clean = cleaned(&orig);
    assert!(!clean.contains("مقالات أخرى للكاتب"));
    assert!(clean.trim_end().ends_with("إلى اللقاء."), "{clean}");
    lines_survive(&orig, &clean, &["مقالات أخرى للكاتب"]);
}

#[test]
fn caption_above_the_lede_goes_a_restated_title_stays() {
    let Some(shared) = shared() else { return };
    for (id, caption) in [
        ("saudinewsnet-2015-08-11-00437", "دي بروين"),
        ("saudinewsnet-2015-08-10-00400", "صورة هندسية للمشروع"),
    ] {
        let orig = news_doc(&shared, "saudinewsnet.jsonl", id);
        let clean = cleaned(&orig);
        let first = orig.lines().find(|l| !l.trim().is_empty()).unwrap();
        assert_eq!(first.trim(), caption);
        assert!(!clean.starts_with(first), "{id}");
        lines_survive(&orig, &clean, &[first.trim()]);
        assert!(cleaned_without(&orig, "caption").contains(first));
    }
    // A title that the first sentence restates as its subject is a title, and a
    // short line before another short line is not above a lede.
    for text in [
        "الفيحاء\nالفيحاء نادٍ سعودي لكرة القدم تأسس في المجمعة، ويلعب في دوري الدرجة الأولى منذ سنوات طويلة.",
        "دي بروين\nلاعب الوسط البلجيكي\nيبدو أن مانشستر سيتي اقترب من حسم صفقة تعاقده مع لاعب الوسط الدولي دي بروين.",
    ] {
        assert_eq!(cleaned(text), text);
    }
}

#[test]
fn teaser_run_takes_other_stories_ledes_after_the_article() {
    let Some(shared) = shared() else { return };
    let doc = |id: &str| news_doc(&shared, "ant_multisource.jsonl", id);
    let paragraphs = |text: &str| -> Vec<String> {
        text.lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_owned)
            .collect()
    };
    // CNN: five ledes of other stories after the last paragraph, no heading,
    // the last one cut off mid-word (the gold set's misses before the rule).
    let orig = doc("ant-CN-middleEast-1397-20181004");
    let lines = paragraphs(&orig);
    let (article, teasers) = lines.split_at(10);
    assert!(teasers[0].starts_with("في تغريدة جديدة عبر حسابه"));
    let teasers: Vec<&str> = teasers.iter().map(String::as_str).collect();
    let clean = cleaned(&orig);
    for t in &teasers {
        assert!(!clean.contains(t), "teaser left: {t}");
    }
    lines_survive(&orig, &clean, &teasers);
    assert!(clean.trim_end().ends_with(article[9].as_str()));
    let off = cleaned_without(&orig, "teaser_run");
    assert!(teasers.iter().all(|t| off.contains(t)));

    // The article's last paragraph opens like a lede (no `و`) but goes on
    // with the article's words (Google, users, data): it stays, the five
    // teasers after it go.
    let orig = doc("ant-CN-economy-379-20181008");
    let clean = cleaned(&orig);
    assert!(
        clean.trim_end().ends_with("وهو ما لم يتحقق في هذه الحالة."),
        "{clean}"
    );
    assert!(!clean.contains("كشف وزير النفط العراقي"));
    assert_eq!(paragraphs(&orig).len() - paragraphs(&clean).len(), 5);

    // Sky News: every paragraph opens like a lede, so nothing sets a run of
    // them apart from the article; nothing is cut.
    let orig = doc("ant-SK-internationalNews-3552-20181019");
    assert_eq!(cleaned(&orig), cleaned_without(&orig, "teaser_run"));

    // A BBC feature on Ibn Sina with its title on the first line (as many
    // corpora give title and body): its closing paragraphs of facts open like
    // ledes, but none names a weekday, as other stories' ledes do. They stay.
    let (_, orig) = titled_news_doc(
        &shared,
        "ant_multisource.jsonl",
        "ant-BB-middleEast-859-20180808",
    );
    assert_eq!(cleaned(&orig), cleaned_without(&orig, "teaser_run"));
    assert!(cleaned(&orig).contains("وبلغ مجموع الكتب التي ألفها"));
}

#[test]
fn clean_job_on_seeds_records_every_cut_in_code_points() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let s = run_clean(&[seeds()], &out, &Config::default(), None).unwrap();
    let c = &s.counts;
    assert_eq!((c.input, c.kept, c.emptied, c.rejected), (5, 5, 0, 0));
    for rule in [
        "comments",
        "edge_nav",
        "embed_attribution",
        "embed_link",
        "read_more",
        "signature",
    ] {
        assert!(
            c.cuts_by_rule.get(rule).is_some_and(|&n| n > 0),
            "{rule}: {:?}",
            c.cuts_by_rule
        );
    }
    let kept = read_jsonl(&out.join("kept.jsonl"));
    let removed = read_jsonl(&out.join("removed.jsonl"));
    assert_eq!(removed.len() as u64, c.cuts_by_rule.values().sum::<u64>());
    for k in &kept {
        let id = k["id"].as_str().unwrap();
        let orig: Vec<char> = seed(&id[..3]).chars().collect();
        // Original minus the recorded spans == kept text.
        let mut keep = vec![true; orig.len()];
        for r in removed.iter().filter(|r| r["id"] == id) {
            let (a, b) = (
                r["start"].as_u64().unwrap() as usize,
                r["end"].as_u64().unwrap() as usize,
            );
            let span: String = orig[a..b].iter().collect();
            assert_eq!(span, r["text"].as_str().unwrap());
            keep[a..b].iter_mut().for_each(|x| *x = false);
        }
        let rebuilt: String = orig
            .iter()
            .zip(&keep)
            .filter(|(_, k)| **k)
            .map(|(c, _)| c)
            .collect();
        assert_eq!(rebuilt, k["text"].as_str().unwrap());
    }
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary["job"], "clean");
    assert!(out.join("emptied.jsonl").exists() && out.join("rejects.jsonl").exists());
}

#[test]
fn clean_job_keeps_other_fields_byte_for_byte_and_accounts_for_everything() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let para = "وقال المتحدث باسم الوزارة في مؤتمر صحفي عقده اليوم إن العمل جار على إنجاز المشروع في موعده المحدد.";
    let lines = [
        format!(
            r#"{{"id": "a", "meta": {{"x": 1.50, "text": "inner"}}, "text": "{para}\n// انتهى //", "tail": "\u00e9"}}"#
        ),
        r#"{"id": "b", "text": "// انتهى //"}"#.to_owned(),
        r#"{"id": "c", "text": 5}"#.to_owned(),
        "not json".to_owned(),
        format!(r#"{{"id": "a", "text": "{para}"}}"#),
        format!(r#"{{"id": "d", "text": "{para}"}}"#),
    ];
    std::fs::write(&input, lines.join("\n") + "\n").unwrap();
    let out = tmp.path().join("o");
    let cfg = Config {
        on_error: OnError::Skip,
        ..Default::default()
    };
    let s = run_clean(std::slice::from_ref(&input), &out, &cfg, None).unwrap();
    let c = &s.counts;
    assert_eq!((c.input, c.kept, c.emptied, c.rejected), (6, 2, 1, 3));
    let kept = std::fs::read_to_string(out.join("kept.jsonl")).unwrap();
    let kept: Vec<&str> = kept.lines().collect();
    assert_eq!(
        kept[0],
        format!(
            r#"{{"id": "a", "meta": {{"x": 1.50, "text": "inner"}}, "text": "{para}\n", "tail": "\u00e9"}}"#
        )
    );
    assert_eq!(kept[1], lines[5], "an untouched record is copied as read");
    let emptied = read_jsonl(&out.join("emptied.jsonl"));
    assert_eq!(emptied[0]["id"], "b");
    assert_eq!(emptied[0]["rules"][0], "signoff");
    assert_eq!(read_jsonl(&out.join("rejects.jsonl")).len(), 3);
    // Under on_error = fail the bad record stops the run, naming file and line.
    let e = run_clean(&[input], &tmp.path().join("o2"), &Config::default(), None).unwrap_err();
    assert!(e.to_string().contains("in.jsonl:3"), "{e}");
}

#[test]
fn boilerplate_is_learnt_per_group_from_distinct_documents() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let footer = "لمتابعة آخر الأخبار حمّلوا نشرتنا اليومية مجانا";
    let mut lines = Vec::new();
    // Four different articles (not one with another number: digit runs count as
    // one, and one article's versions do not make boilerplate).
    let topics = [
        "الاقتصاد والأسواق",
        "الرياضة المحلية",
        "الطقس والأمطار",
        "التعليم والجامعات",
    ];
    for (i, topic) in topics.iter().enumerate() {
        let body =
            format!("الخبر يتحدث عن {topic} وهو موضوع مختلف تماما عن غيره من الأخبار في هذا الملف");
        lines.push(serde_json::json!({"id": format!("x{i}"), "outlet": "X", "text": format!("{body}\n{footer}")}));
    }
    // Outlet Y: the same footer, but in two documents only (one repeated verbatim).
    for (i, n) in [(0, 0), (1, 1), (2, 1)] {
        let body = format!("تقرير {n} من مصدر آخر يتناول قضية محلية مهمة بالتفصيل الكامل هنا");
        lines.push(serde_json::json!({"id": format!("y{i}"), "outlet": "Y", "text": format!("{body}\n{footer}")}));
    }
    std::fs::write(
        &input,
        lines
            .iter()
            .map(|l| l.to_string())
            .collect::<Vec<_>>()
            .join("\n"),
    )
    .unwrap();
    let mut cfg = Config::default();
    cfg.clean.boilerplate.group_by = GroupBy::Field("outlet".into());
    let out = tmp.path().join("o");
    let s = run_clean(std::slice::from_ref(&input), &out, &cfg, None).unwrap();
    assert_eq!(s.counts.cuts_by_rule.get("boilerplate"), Some(&4));
    for k in read_jsonl(&out.join("kept.jsonl")) {
        let x = k["id"].as_str().unwrap().starts_with('x');
        assert_eq!(k["text"].as_str().unwrap().contains(footer), !x, "{k}");
    }
    // Whole corpus as one group: 6 distinct documents carry it.
    cfg.clean.boilerplate.group_by = GroupBy::Corpus;
    let s = run_clean(
        std::slice::from_ref(&input),
        &tmp.path().join("o2"),
        &cfg,
        None,
    )
    .unwrap();
    assert_eq!(s.counts.cuts_by_rule.get("boilerplate"), Some(&7));
    // Switched off.
    cfg.clean.disable = vec!["boilerplate".into()];
    let s = run_clean(&[input], &tmp.path().join("o3"), &cfg, None).unwrap();
    assert_eq!(s.counts.cuts_by_rule.get("boilerplate"), None);
}

/// Line-level precision/recall on ../shared/corpora/boilerplate_gold (the
/// development part; see benches/examples/clean_eval.rs for the table).
#[test]
#[allow(clippy::print_stderr)] // the table is the point of `-- --nocapture`
fn gold_precision_and_recall() {
    let Some(shared) = shared() else { return };
    let mut cfg = CleanConfig::default();
    cfg.boilerplate.group_by = GroupBy::Field("outlet".into());
    let news = shared.join("corpora/arabic_news");
    let sources: Vec<_> = ["saudinewsnet", "ant_multisource", "ant_jawharafm"]
        .iter()
        .map(|f| news.join(format!("{f}.jsonl")))
        .collect();
    let r = eval::evaluate(&shared.join("corpora/boilerplate_gold"), &sources, &cfg).unwrap();
    eprintln!("{}", r.table());
    let t = &r.total;
    assert!(t.chrome_lines >= 40, "gold set changed: {t:?}");
    assert!(t.precision() >= 0.98, "precision {:.3}", t.precision());
    // The CNN teaser ledes of other stories after an article were the last
    // misses (0.878 before `teaser_run`).
    assert!(t.recall() >= 0.9, "recall {:.3}", t.recall());
    assert!(
        t.content_kept() >= 0.995,
        "content kept {:.4}",
        t.content_kept()
    );
}

#[test]
fn memory_and_file_jobs_make_the_same_cuts() {
    let Some(shared) = shared() else { return };
    let input = shared.join("corpora/arabic_news/saudinewsnet.jsonl");
    let mut cfg = Config {
        on_error: OnError::Skip,
        ..Default::default()
    };
    cfg.clean.boilerplate.group_by = GroupBy::Field("outlet".into());
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("o");
    let s = run_clean(std::slice::from_ref(&input), &out, &cfg, None).unwrap();
    let files = corpus_core::io::list_inputs(std::slice::from_ref(&input), None).unwrap();
    let docs: Vec<_> = corpus_core::io::Reader::new(files, cfg.input.clone()).collect();
    let run = clean_documents(docs, &cfg, None).unwrap();
    assert_eq!(run.summary.counts, s.counts);
    assert!(
        s.counts
            .cuts_by_rule
            .get("boilerplate")
            .is_some_and(|&n| n > 0)
    );
    // Every record is read: none is rejected.
    assert_eq!(run.summary.counts.rejected, 0);
    let (from_memory, kept) = crate::common::cleaned_as_written(&run);
    assert_eq!(from_memory, read_jsonl(&out.join("removed.jsonl")));
    let kept_file: Vec<(String, String)> = read_jsonl(&out.join("kept.jsonl"))
        .iter()
        .map(|v| {
            (
                v["id"].as_str().unwrap().to_owned(),
                v["text"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(kept, kept_file);
}

#[test]
fn dedup_can_cut_corpus_boilerplate_before_comparing() {
    use corpus_core::pipeline::{Outcome, dedup_documents, run_dedup};
    // An outlet's long self-description under most of its articles: no
    // single-document rule knows it, only its recurrence gives it away.
    let footer = "صحيفة المدينة الإلكترونية صحيفة يومية مستقلة تصدر من مدينة جدة وتهتم بالشأن المحلي والعربي والدولي وتقدم لقرائها تغطية شاملة لأهم الأحداث السياسية والاقتصادية والرياضية والثقافية على مدار الساعة عبر فريق من المحررين والمراسلين المنتشرين في مختلف المناطق والمحافظات والعواصم العربية والعالمية منذ تأسيسها";
    let article = "أعلنت وزارة النقل اليوم بدء العمل في مشروع الطريق الساحلي الجديد الذي يربط بين المدن الشمالية والجنوبية. وقال المتحدث باسم الوزارة إن المشروع سيكتمل خلال ثلاث سنوات.";
    let others = [
        "افتتح أمير المنطقة معرض الكتاب السنوي بمشاركة أكثر من خمسمئة دار نشر من عشرين دولة عربية وأجنبية.",
        "سجلت أسعار النفط ارتفاعا ملحوظا في تعاملات الأسبوع بعد قرار المنتجين خفض الإنتاج لدعم استقرار السوق.",
        "تأهل المنتخب الوطني إلى الدور النهائي من البطولة بعد فوزه على منافسه بهدفين مقابل هدف واحد في مباراة مثيرة.",
    ];
    let mut lines = vec![
        serde_json::json!({"id": "a", "text": format!("{article}\n{footer}")}),
        serde_json::json!({"id": "b", "text": article}),
    ];
    for (i, t) in others.iter().enumerate() {
        lines.push(serde_json::json!({"id": format!("o{i}"), "text": format!("{t}\n{footer}")}));
    }
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let body: Vec<String> = lines.iter().map(|l| l.to_string()).collect();
    std::fs::write(&input, body.join("\n") + "\n").unwrap();

    // Whether "a" and "b" (the same article, one with the footer) share a cluster.
    let a_and_b_together = |dir: &std::path::Path| {
        let lines = read_jsonl(&dir.join("clusters.jsonl"));
        let cluster = |id: &str| {
            lines
                .iter()
                .find(|v| v["id"] == id)
                .map(|v| v["cluster"].clone())
                .unwrap()
        };
        cluster("a") == cluster("b")
    };
    run_dedup(
        std::slice::from_ref(&input),
        &tmp.path().join("plain"),
        &Config::default(),
        None,
    )
    .unwrap();
    assert!(
        !a_and_b_together(&tmp.path().join("plain")),
        "the footer hides the duplicate"
    );

    let mut cfg = Config::default();
    cfg.clean.boilerplate.in_dedup = true;
    let s = run_dedup(
        std::slice::from_ref(&input),
        &tmp.path().join("bp"),
        &cfg,
        None,
    )
    .unwrap();
    assert_eq!((s.counts.kept, s.counts.removed), (4, 1));
    assert!(a_and_b_together(&tmp.path().join("bp")));
    assert!(s.timings.contains_key("boilerplate_count"));
    // The in-memory API does the same.
    let files = corpus_core::io::list_inputs(std::slice::from_ref(&input), None).unwrap();
    let docs: Vec<_> = corpus_core::io::Reader::new(files, cfg.input.clone()).collect();
    let run = dedup_documents(docs, &cfg, None).unwrap();
    assert_eq!(run.summary.counts.removed, 1);
    let removed: Vec<&str> = run
        .outcomes
        .iter()
        .zip(&run.ids)
        .filter(|(o, _)| matches!(o, Outcome::Verdict(v) if !v.kept))
        .map(|(_, id)| id.as_str())
        .collect();
    assert!(removed == ["a"] || removed == ["b"], "{removed:?}");
    // Switching the corpus-level stage off switches it off in dedup too.
    cfg.clean.disable = vec!["boilerplate".into()];
    run_dedup(&[input], &tmp.path().join("off"), &cfg, None).unwrap();
    assert!(!a_and_b_together(&tmp.path().join("off")));
}

/// The key of a cleaned text assembled from the rules' line folds equals the
/// key normalizer's output on the cleaned text, on every development document.
#[test]
fn fused_key_equals_normalized_cleaned_text() {
    use corpus_core::clean::{CleanConfig, Cleaner, apply};
    use corpus_core::normalize::{NormalizeConfig, Normalizer, Profile};
    let cleaner = Cleaner::new(&CleanConfig::default()).unwrap();
    let key = Normalizer::new(&NormalizeConfig::profile(Profile::Key)).unwrap();
    let mut texts: Vec<String> = crate::common::seed_texts();
    let shared = crate::common::shared();
    if let Some(shared) = &shared {
        for dir in [
            "arabic_news",
            "multilingual",
            "news_pairs",
            "boilerplate_gold",
            "near_dup_labeled",
            "web_boilerplate",
        ] {
            texts.extend(crate::common::jsonl_texts(
                &shared.join("corpora").join(dir),
            ));
        }
    }
    let (mut fused, mut mismatches) = (0, Vec::new());
    for t in &texts {
        let (cuts, k) = cleaner.cuts_and_key(t, None);
        if let Some(k) = k {
            fused += 1;
            let want = key.normalize(&apply(t, &cuts)).into_owned();
            if k != want {
                mismatches.push((k, want));
            }
        }
    }
    eprintln!(
        "{fused}/{} keys fused, {} mismatches",
        texts.len(),
        mismatches.len()
    );
    // The five seed articles alone carry chrome on most of them: how common the
    // fused path is shows on the development news only.
    if shared.is_some() {
        assert!(fused > texts.len() / 2, "the fused path is the common one");
    }
    for (got, want) in mismatches.iter().take(6) {
        let (g, w): (Vec<char>, Vec<char>) = (got.chars().collect(), want.chars().collect());
        let at = g.iter().zip(&w).take_while(|(a, b)| a == b).count();
        let show = |v: &[char]| {
            v[at.saturating_sub(15)..(at + 25).min(v.len())]
                .iter()
                .collect::<String>()
        };
        eprintln!("got  {:?}\nwant {:?}", show(&g), show(&w));
    }
    assert!(mismatches.is_empty(), "{} mismatches", mismatches.len());
}

#[test]
fn every_permalink_line_is_cut_whatever_marker_came_before() {
    let c = Cleaner::new(&CleanConfig::default()).unwrap();
    let body =
        "أعلنت وزارة الصحة اليوم عن افتتاح ثلاثة مستشفيات جديدة في المحافظات الجنوبية بتكلفة كبيرة.";
    let more =
        "وأضاف المتحدث باسم الوزارة أن المستشفيات ستخدم أكثر من مليون مواطن خلال العام المقبل.";
    // Two permalink lines with different markers: the second must be cut too,
    // whichever marker the first used.
    for (first, second) in [
        (
            "رابط الخبر: https://example.com/a",
            "الرابط المختصر: https://example.com/b",
        ),
        (
            "الرابط المختصر: https://example.com/b",
            "رابط الخبر: https://example.com/a",
        ),
        (
            "Short link: https://example.com/c",
            "رابط المقال: https://example.com/d",
        ),
        // The marker right before the line's only colon, a headline after it.
        (
            "رابط مختصر: افتتاح المستشفيات الجديدة",
            "رابط الخبر: عودة الأمطار إلى المنطقة",
        ),
    ] {
        let t = format!("{body}\n{first}\n{more}\n{second}");
        let cuts = c.cuts(&t);
        let rules: Vec<&str> = cuts.iter().map(|c| c.rule).collect();
        assert_eq!(rules, ["permalink", "permalink"], "{t}");
        assert_eq!(apply(&t, &cuts).trim_end(), format!("{body}\n{more}"));
    }
}

/// A text that shows nothing (whitespace, zero-width characters, direction
/// marks) is empty: on input it is rejected as one, and a record that cleaning
/// leaves with nothing else is emptied, not kept. Real seed text around it.
#[test]
fn a_text_left_with_invisible_characters_only_is_empty() {
    let tmp = tempfile::tempdir().unwrap();
    let input = tmp.path().join("in.jsonl");
    let records = [
        serde_json::json!({"id": "a", "text": seed("000")}),
        serde_json::json!({"id": "b", "text": "\u{200b}\u{200f}\n\u{feff} "}),
        serde_json::json!({"id": "c", "text": "// انتهى //\n\u{200b}\n\u{200f}"}),
    ];
    let lines: Vec<String> = records.iter().map(|r| r.to_string()).collect();
    std::fs::write(&input, lines.join("\n")).unwrap();
    let cfg = Config {
        on_error: OnError::Skip,
        ..Config::default()
    };
    let s = run_clean(&[input], &tmp.path().join("o"), &cfg, None).unwrap();
    assert_eq!(
        (s.counts.kept, s.counts.emptied, s.counts.rejected),
        (1, 1, 1)
    );
    let rejects = read_jsonl(&tmp.path().join("o/rejects.jsonl"));
    assert_eq!(rejects[0]["reason"], "empty text");
    let emptied = read_jsonl(&tmp.path().join("o/emptied.jsonl"));
    assert_eq!(emptied[0]["id"], "c");
}

/// Cleaning a cleaned text cuts nothing more. Rules that judge the first and
/// last lines must see the lines another rule's cut leaves at an edge: in
/// Saudi News Net's pages a `Next Previous` bar sits above the `Name – Outlet`
/// byline, which was found only when the cleaned text was cleaned again.
#[test]
fn cleaning_a_cleaned_text_cuts_nothing_more() {
    let Some(shared) = shared() else { return };
    let c = Cleaner::new(&CleanConfig::default()).unwrap();
    let mut texts = crate::common::jsonl_texts(&shared.join("corpora/arabic_news"));
    texts.extend(crate::common::jsonl_texts(
        &shared.join("corpora/news_pairs"),
    ));
    texts.extend(seed_texts());
    assert!(texts.len() > 2000, "{} texts", texts.len());
    let mut cut = 0;
    for text in &texts {
        let once = apply(text, &c.cuts(text));
        cut += usize::from(once != *text);
        let again = c.cuts(&once);
        assert!(again.is_empty(), "cut again: {again:?} of\n{once}");
    }
    assert!(cut > 200, "only {cut} texts were cleaned");
    // The page above: the bar and the byline both go in one run.
    let page = news_doc(
        &shared,
        "saudinewsnet.jsonl",
        "saudinewsnet-2015-07-24-00042",
    );
    let clean = cleaned(&page);
    assert!(clean.starts_with("أدى خادم الحرمين"), "{clean}");
}

/// The separator rule takes the asterisk rows between Gutenberg's chapters
/// and leaves the lines of punctuation that are text: German Alice closes a
/// dialogue with a line `--«`, which was cut.
#[test]
fn separators_are_drawn_rules_on_real_books() {
    let Some(shared) = shared() else { return };
    let books = read_jsonl(&shared.join("corpora/multilingual/gutenberg_books.jsonl"));
    let alice = books
        .iter()
        .find(|d| d["id"] == "gutenberg-de_alice")
        .and_then(|d| d["text"].as_str())
        .expect("gutenberg-de_alice");
    let c = Cleaner::new(&CleanConfig::default()).unwrap();
    let cuts = c.cuts(alice);
    let rows: Vec<&str> = cuts
        .iter()
        .filter(|k| k.rule == "separator")
        .map(|k| &alice[k.start..k.end])
        .collect();
    assert!(rows.len() >= 3, "{rows:?}");
    assert!(rows.iter().all(|r| r.trim().starts_with('*')), "{rows:?}");
    let clean = apply(alice, &cuts);
    assert!(
        clean.contains("\n--«"),
        "the dialogue's closing line was cut"
    );
}

/// Line breaks that are a lone carriage return (old Mac exports, some legacy
/// Arabic systems) break lines as `\n` and `\r\n` do. On the seed articles and
/// the development news, each `\n` made a `\r` (the same byte offsets): the
/// single-document rules make the same cuts, the clean job with the
/// corpus-level boilerplate model (by outlet) and repeated passages cuts the
/// same lines, and dedup's key and signature are the same, the boilerplate
/// model in dedup too. Before, such a text was one line to the cleaner: page
/// chrome on a line of its own stayed.
#[test]
fn lone_carriage_returns_break_lines_as_newlines_do() {
    breaks_lines_as_newlines_do('\r');
}

#[test]
fn paragraph_separators_break_lines_as_newlines_do() {
    breaks_lines_as_newlines_do('\u{2029}');
}

/// Texts whose line breaks are all `brk` are cleaned, and deduplicated, as the
/// same texts with `\n`: the same lines cut by the same rules, the same kept
/// texts with `brk` for `\n`, the same keys and signatures. (Offsets differ
/// only where `brk` is longer than a byte.)
fn breaks_lines_as_newlines_do(brk: char) {
    use corpus_core::pipeline::{Analyzer, run_dedup};
    use corpus_core::{Document, Origin};
    use serde_json::{Value, json};
    // (id, outlet, text with `\n` line breaks)
    let mut records: Vec<(String, String, String)> = seed_texts()
        .into_iter()
        .enumerate()
        .map(|(i, t)| (format!("seed-{i}"), "seeds".to_owned(), t))
        .collect();
    let shared = shared();
    if let Some(shared) = &shared {
        let dir = shared.join("corpora/arabic_news");
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for f in files {
            for v in read_jsonl(&f) {
                let field = |k: &str| v[k].as_str().unwrap_or_default().to_owned();
                records.push((field("id"), field("outlet"), field("text")));
            }
        }
    }
    for r in &mut records {
        r.2 = r.2.replace("\r\n", "\n").replace('\r', "\n");
    }
    let cr = |t: &str| t.replace('\n', brk.encode_utf8(&mut [0; 4]));
    let same_offsets = brk.len_utf8() == 1;

    // The single-document rules.
    let c = Cleaner::new(&CleanConfig::default()).unwrap();
    let mut cut = 0;
    for (id, _, text) in &records {
        let cuts = c.cuts(text);
        let crt = cr(text);
        let cuts_cr = c.cuts(&crt);
        if same_offsets {
            assert_eq!(cuts_cr, cuts, "{id}");
        }
        let rules = |c: &[corpus_core::clean::Cut]| c.iter().map(|c| c.rule).collect::<Vec<_>>();
        assert_eq!(rules(&cuts_cr), rules(&cuts), "{id}");
        assert_eq!(apply(&crt, &cuts_cr), cr(&apply(text, &cuts)), "{id}");
        cut += cuts.len();
    }
    assert!(cut >= 10, "{cut} cuts");

    // The clean job: corpus-level boilerplate by outlet, repeated passages.
    let tmp = tempfile::tempdir().unwrap();
    let write = |name: &str, text: &dyn Fn(&str) -> String| {
        let dir = tmp.path().join(name);
        std::fs::create_dir(&dir).unwrap();
        let body: String = records
            .iter()
            .map(|(id, outlet, t)| {
                json!({"id": id, "outlet": outlet, "text": text(t)}).to_string() + "\n"
            })
            .collect();
        std::fs::write(dir.join("news.jsonl"), body).unwrap();
        dir.join("news.jsonl")
    };
    let (lf_in, cr_in) = (write("lf", &str::to_owned), write("cr", &cr));
    let mut cfg = Config::default();
    cfg.clean.boilerplate.group_by = GroupBy::Field("outlet".into());
    cfg.clean.passages.enabled = true;
    // Each written line as it reads with `\n` breaks, but where it came from.
    let as_lf = |path: &Path| -> Vec<Value> {
        read_jsonl(path)
            .into_iter()
            .map(|mut v| {
                if let Some(t) = v["text"].as_str() {
                    v["text"] = t.replace(brk, "\n").into();
                }
                v.as_object_mut().unwrap().remove("source");
                if !same_offsets {
                    v.as_object_mut().unwrap().remove("start");
                    v.as_object_mut().unwrap().remove("end");
                }
                v
            })
            .collect()
    };
    let mut by_rule = Vec::new();
    for (input, out) in [(&lf_in, "clf"), (&cr_in, "ccr")] {
        let s = run_clean(
            std::slice::from_ref(input),
            &tmp.path().join(out),
            &cfg,
            None,
        )
        .unwrap();
        by_rule.push(s.counts.cuts_by_rule);
    }
    assert_eq!(by_rule[0], by_rule[1]);
    assert!(by_rule[0].get("repeated_passage").is_some_and(|&n| n > 0));
    if shared.is_some() {
        assert!(by_rule[0].get("boilerplate").is_some_and(|&n| n > 0));
    }
    for file in ["removed.jsonl", "kept.jsonl"] {
        let lf = as_lf(&tmp.path().join("clf").join(file));
        assert!(!lf.is_empty());
        assert_eq!(lf, as_lf(&tmp.path().join("ccr").join(file)), "{file}");
    }

    // Dedup: the key and the signature.
    let analyzer = Analyzer::new(&Config::default()).unwrap();
    let doc = |id: &str, text: String| Document {
        id: id.to_owned(),
        text,
        origin: Origin {
            path: Path::new("news.jsonl").into(),
            line: 1,
        },
        raw: None,
    };
    for (id, _, text) in &records {
        let (lf_member, lf_key) = analyzer.member_and_key(&doc(id, text.clone()));
        let (cr_member, cr_key) = analyzer.member_and_key(&doc(id, cr(text)));
        assert_eq!(cr_key, lf_key, "{id}");
        assert_eq!(cr_member.sketch, lf_member.sketch, "{id}");
        assert_eq!(cr_member.chrome, lf_member.chrome, "{id}");
    }
    // And the dedup job cutting the corpus-level boilerplate before comparing.
    let mut cfg = Config::default();
    cfg.clean.boilerplate.in_dedup = true;
    cfg.clean.boilerplate.group_by = GroupBy::Field("outlet".into());
    for (input, out) in [(&lf_in, "dlf"), (&cr_in, "dcr")] {
        run_dedup(
            std::slice::from_ref(input),
            &tmp.path().join(out),
            &cfg,
            None,
        )
        .unwrap();
    }
    let clusters = as_lf(&tmp.path().join("dlf/clusters.jsonl"));
    assert!(clusters.iter().any(|v| v["kept"] == false));
    assert_eq!(clusters, as_lf(&tmp.path().join("dcr/clusters.jsonl")));
}
