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
