//! The dedup job on the real Arabic development news (../shared/corpora).

use std::collections::HashMap;

use corpus_core::Config;
use corpus_core::pipeline::run_dedup;
use serde_json::Value;

use crate::common::{read_jsonl, shared};

#[test]
fn arabic_news_identical_texts_share_a_cluster_with_one_survivor() {
    let Some(shared) = shared() else { return };
    for file in [
        "saudinewsnet.jsonl",
        "ant_multisource.jsonl",
        "ant_jawharafm.jsonl",
    ] {
        let input = shared.join("corpora/arabic_news").join(file);
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("out");
        let summary =
            run_dedup(std::slice::from_ref(&input), &out, &Config::default(), None).unwrap();
        let c = &summary.counts;
        let records = read_jsonl(&input);
        assert_eq!(c.input, records.len() as u64);
        assert_eq!((c.rejected, c.input), (0, c.kept + c.removed));

        let clusters: HashMap<String, Value> = read_jsonl(&out.join("clusters.jsonl"))
            .into_iter()
            .map(|v| (v["id"].as_str().unwrap().to_owned(), v))
            .collect();
        let mut by_text: HashMap<&str, Vec<&str>> = HashMap::new();
        for r in &records {
            by_text
                .entry(r["text"].as_str().unwrap())
                .or_default()
                .push(r["id"].as_str().unwrap());
        }
        let groups: Vec<&Vec<&str>> = by_text.values().filter(|ids| ids.len() > 1).collect();
        assert!(
            !groups.is_empty(),
            "{file}: the corpus README lists exact duplicates"
        );
        for ids in groups {
            let cl: Vec<&Value> = ids.iter().map(|id| &clusters[*id]["cluster"]).collect();
            assert!(
                cl.windows(2).all(|w| w[0] == w[1]),
                "{file}: {ids:?} split: {cl:?}"
            );
            let kept = ids
                .iter()
                .filter(|id| clusters[**id]["kept"] == true)
                .count();
            assert!(kept <= 1, "{file}: {ids:?} keeps {kept}");
        }
        // Every document carries its detected language (SCHEMA 1.1), and the
        // summary counts them.
        let arabic = clusters.values().filter(|v| v["lang"] == "ara").count();
        assert!(
            arabic * 100 >= clusters.len() * 99,
            "{file}: {arabic} Arabic"
        );
        assert!(
            clusters
                .values()
                .all(|v| v["lang_confidence"].as_f64().is_some())
        );
        assert_eq!(
            summary.languages.get("ara").copied(),
            Some(arabic as u64),
            "{file}"
        );
        // Real news has few duplicates: a sanity bound against over-merging.
        assert!(
            c.removed * 10 < c.input,
            "{file}: implausibly many removals: {c:?}"
        );
    }
}

/// Every date of the development news (four forms: naive ISO, ISO with an offset,
/// RFC 2822, day-first `29/05/2016`) reads as an instant, and that instant falls
/// on the day the record's id names (`…-20161208`, `saudinewsnet-2015-07-21-…`),
/// give or take the time zones.
#[test]
fn news_dates_read_as_the_days_their_ids_name() {
    use corpus_core::dedup::RankValue;
    let Some(shared) = shared() else { return };
    let corpora = shared.join("corpora");
    let mut checked = 0;
    for file in [
        "arabic_news/saudinewsnet.jsonl",
        "arabic_news/ant_multisource.jsonl",
        "arabic_news/ant_jawharafm.jsonl",
        "news_pairs/docs.jsonl",
    ] {
        for r in read_jsonl(&corpora.join(file)) {
            let (id, date) = (r["id"].as_str().unwrap(), r["date"].as_str().unwrap());
            let RankValue::Time(ms) = RankValue::of_str(date.to_owned()) else {
                panic!("{file}: {id}: {date:?} is not read as a date");
            };
            // The id's day: its first (saudinewsnet) or last eight digits, year
            // first or (Jawhara FM's `…-03012017`) day first.
            let digits: String = id.chars().filter(char::is_ascii_digit).collect();
            let day = if id.starts_with("saudinewsnet-") {
                &digits[..8]
            } else {
                &digits[digits.len() - 8..]
            };
            let year_first =
                RankValue::of_str(format!("{}-{}-{}", &day[..4], &day[4..6], &day[6..]));
            let day_first =
                RankValue::of_str(format!("{}-{}-{}", &day[4..], &day[2..4], &day[..2]));
            let ((RankValue::Time(named), _) | (_, RankValue::Time(named))) =
                (year_first, day_first)
            else {
                panic!("{id}: no day in the id")
            };
            let hours = (ms - named) as f64 / 3.6e6;
            assert!(
                (-14.0..38.0).contains(&hours),
                "{file}: {id}: {date:?} is {hours:.1} h from the id's day"
            );
            checked += 1;
        }
    }
    assert!(checked > 2000, "{checked}");
}

/// Dates with the month written out, as the development news write them in
/// their texts (`الجمعة 9 ديسمبر 2016`, Jawhara FM's Tunisian `25 جانفي 2017`,
/// `6 أوت 2016`): each one after a weekday name reads as an instant on that
/// weekday, which checks the day and the month (a month read one off, or a
/// Tunisian month taken for another, lands on another weekday). Journalists
/// get a weekday wrong now and then: all but two must agree.
#[test]
fn written_out_news_dates_fall_on_the_weekdays_they_name() {
    use corpus_core::dedup::RankValue;
    let Some(shared) = shared() else { return };
    // Sunday first, as `(days since 1970-01-01 + 4) % 7` counts them.
    let weekdays: [&[&str]; 7] = [
        &["الأحد"],
        &["الاثنين", "الإثنين"],
        &["الثلاثاء"],
        &["الأربعاء"],
        &["الخميس"],
        &["الجمعة"],
        &["السبت"],
    ];
    let (mut checked, mut wrong) = (0, Vec::new());
    for file in [
        "arabic_news/saudinewsnet.jsonl",
        "arabic_news/ant_multisource.jsonl",
        "arabic_news/ant_jawharafm.jsonl",
        "news_pairs/docs.jsonl",
    ] {
        let records = read_jsonl(&shared.join("corpora").join(file));
        let fields = ["text", "title", "abstract"];
        for text in records
            .iter()
            .flat_map(|r| fields.iter().filter_map(|f| r[f].as_str()))
        {
            let words: Vec<&str> = text.split_whitespace().collect();
            for (i, w) in words.iter().enumerate() {
                let Some(named) = weekdays.iter().position(|names| names.contains(w)) else {
                    continue;
                };
                let is_day = |x: &&str| x.len() <= 2 && x.bytes().all(|b| b.is_ascii_digit());
                if !words.get(i + 1).is_some_and(is_day) {
                    continue;
                }
                // The weekday, the day, a month of one or two words, a year.
                let ms = (4..=5).find_map(|n| {
                    let phrase = words.get(i..i + n)?.join(" ");
                    match RankValue::of_str(phrase) {
                        RankValue::Time(ms) => Some(ms),
                        _ => None,
                    }
                });
                let year_follows = |n: usize| {
                    words
                        .get(i + n)
                        .is_some_and(|x| x.len() == 4 && x.bytes().all(|b| b.is_ascii_digit()))
                };
                if !year_follows(3) && !year_follows(4) {
                    continue; // no year: not a full date
                }
                let phrase = words[i..(i + 5).min(words.len())].join(" ");
                let Some(ms) = ms else {
                    panic!("{file}: {:?} is not read as a date", phrase);
                };
                let weekday = (ms.div_euclid(86_400_000) + 4).rem_euclid(7) as usize;
                checked += 1;
                if weekday != named {
                    wrong.push(phrase);
                }
            }
        }
    }
    assert!(checked >= 60, "{checked}");
    assert!(wrong.len() <= 2, "{} of {checked}: {wrong:?}", wrong.len());
}
