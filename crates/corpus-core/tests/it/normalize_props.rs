//! Property tests of the normalizer on text drawn from the Arabic blocks,
//! presentation forms, combining marks, controls and the golden-vector inputs:
//! the fast path equals the simple reference, every profile is idempotent,
//! offsets are monotone and inside the original.

use std::sync::OnceLock;

use corpus_core::normalize::{NormalizeConfig, Normalizer, Profile, Step, sentences, words};
use proptest::prelude::*;

/// Code points the strategies draw from, weighted towards what breaks things.
fn char_strategy() -> impl Strategy<Value = char> {
    let ranges: Vec<(u32, u32)> = vec![
        (0x0600, 0x06FF), // Arabic
        (0x064B, 0x065F), // harakat (again: they are the tricky part)
        (0x0610, 0x061A),
        (0x06D6, 0x06ED),
        (0x0750, 0x077F),   // Arabic Supplement
        (0x0870, 0x08FF),   // Arabic Extended-B/A
        (0xFB50, 0xFDFF),   // presentation forms A
        (0xFE70, 0xFEFF),   // presentation forms B
        (0x0300, 0x036F),   // Latin combining marks
        (0x2000, 0x206F),   // spaces, controls, punctuation
        (0x0041, 0x007A),   // ASCII letters
        (0x00A0, 0x017F),   // Latin-1, Latin Extended-A
        (0x1100, 0x11FF),   // Hangul jamo (compose with each other)
        (0xAC00, 0xAC40),   // Hangul syllables
        (0x1F300, 0x1F3FF), // emoji, skin tones
    ];
    let specials = vec![
        ' ', ' ', ' ', '\n', '\r', '\t', '\u{A0}', 'ا', 'ل', 'ب', 'ي', 'و', 'ه', 'ى', 'ة', 'e',
        'E', '\u{0654}', '\u{0653}', '\u{0655}', '\u{0651}', '\u{064E}', '\u{0301}', '\u{200C}',
        '\u{200D}', '\u{FE0F}', '\u{0640}', '.', '٫', '٣', 'ß', 'İ', 'Σ', 'ς',
    ];
    prop_oneof![
        3 => proptest::sample::select(ranges).prop_flat_map(|(a, b)| {
            (a..=b).prop_map(|cp| char::from_u32(cp).unwrap_or(' '))
        }),
        2 => proptest::sample::select(specials),
    ]
}

fn vector_inputs() -> &'static [String] {
    static V: OnceLock<Vec<String>> = OnceLock::new();
    V.get_or_init(|| {
        let Some(shared) = crate::common::shared() else {
            return vec!["أَهْلًا ﷺ ٣٫١٤".to_owned()];
        };
        let path = shared.join("arabic-vectors/unicodedata.NFC.jsonl");
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let mut v: Vec<String> = text
            .split('\n')
            .filter_map(|l| serde_json::from_str::<serde_json::Value>(l).ok())
            .filter_map(|v| v["input"].as_str().map(str::to_owned))
            .collect();
        if v.is_empty() {
            v.push("أَهْلًا ﷺ ٣٫١٤".to_owned());
        }
        v
    })
}

/// Random text, a vector input, or a vector input with random text spliced in.
fn text_strategy() -> impl Strategy<Value = String> {
    let random = proptest::collection::vec(char_strategy(), 0..40)
        .prop_map(|v| v.into_iter().collect::<String>());
    let n = vector_inputs().len();
    let vector = (0..n).prop_map(|i| vector_inputs()[i].clone());
    let spliced = (
        0..n,
        proptest::collection::vec(char_strategy(), 1..8),
        any::<prop::sample::Index>(),
    )
        .prop_map(|(i, ins, at)| {
            let v = &vector_inputs()[i];
            let cuts: Vec<usize> = v.char_indices().map(|(j, _)| j).chain([v.len()]).collect();
            let at = cuts[at.index(cuts.len())];
            format!(
                "{}{}{}",
                &v[..at],
                ins.into_iter().collect::<String>(),
                &v[at..]
            )
        });
    // A small alphabet that makes long runs, single and double spaces, same-length
    // substitutions (ة, A) and marks that end runs.
    let runs = proptest::collection::vec(
        proptest::sample::select(vec![
            ' ', ' ', 'ب', 'ب', 'ة', 'A', 'a', '\n', '\u{064B}', '\u{0654}', 'ـ', '«', 'ھ', '٣',
        ]),
        0..60,
    )
    .prop_map(|v| v.into_iter().collect::<String>());
    prop_oneof![3 => random, 1 => vector, 2 => spliced, 2 => runs]
}

/// The profiles, every single step, and a few other combinations.
fn normalizers() -> &'static [(String, Normalizer)] {
    static N: OnceLock<Vec<(String, Normalizer)>> = OnceLock::new();
    N.get_or_init(|| {
        let mut cfgs: Vec<(String, NormalizeConfig)> =
            [Profile::Key, Profile::Stored, Profile::None]
                .into_iter()
                .map(|p| (format!("{p:?}"), NormalizeConfig::profile(p)))
                .collect();
        for &s in Step::ALL {
            cfgs.push((
                s.name().to_owned(),
                NormalizeConfig {
                    profile: Profile::None,
                    add: vec![s],
                    remove: vec![],
                },
            ));
        }
        cfgs.push((
            "key+hamza+mojibake".to_owned(),
            NormalizeConfig {
                add: vec![Step::Hamza, Step::Mojibake],
                ..NormalizeConfig::default()
            },
        ));
        cfgs.push((
            "key-diacritics".to_owned(),
            NormalizeConfig {
                remove: vec![Step::Diacritics],
                ..NormalizeConfig::default()
            },
        ));
        cfgs.push((
            "nfc+casefold+whitespace".to_owned(),
            NormalizeConfig {
                profile: Profile::None,
                add: vec![Step::Nfc, Step::Casefold, Step::Whitespace],
                remove: vec![],
            },
        ));
        cfgs.into_iter()
            .map(|(name, c)| (name, Normalizer::new(&c).expect("normalizer")))
            .collect()
    })
}

fn check_offsets(
    text: &str,
    out: &str,
    offs: &[std::ops::Range<usize>],
) -> Result<(), TestCaseError> {
    prop_assert_eq!(offs.len(), out.len());
    let mut prev = 0..0;
    for r in offs {
        prop_assert!(
            r.start <= r.end && r.end <= text.len(),
            "{:?} outside {}",
            r,
            text.len()
        );
        prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
        prop_assert!(
            r.start >= prev.start && r.end >= prev.end,
            "not monotone: {:?} then {:?}",
            prev,
            r
        );
        prev = r.clone();
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(
        std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(512),
    ))]

    #[test]
    fn fast_path_equals_reference_and_offsets(text in text_strategy()) {
        for (name, n) in normalizers() {
            let fast = n.normalize(&text);
            let reference = n.normalize_reference(&text);
            prop_assert_eq!(fast.as_ref(), reference.as_str(), "{} on {:?}", name, text);
            let (with_offs, offs) = n.normalize_with_offsets(&text);
            prop_assert_eq!(fast.as_ref(), with_offs.as_str(), "{} offsets path on {:?}", name, text);
            check_offsets(&text, &with_offs, &offs)?;
        }
    }

    #[test]
    fn profiles_are_idempotent(text in text_strategy()) {
        for p in [Profile::Key, Profile::Stored, Profile::None] {
            let n = Normalizer::new(&NormalizeConfig::profile(p)).expect("profile");
            let once = n.normalize(&text).into_owned();
            let twice = n.normalize(&once);
            prop_assert_eq!(&once, twice.as_ref(), "{:?} on {:?}", p, text);
        }
    }

    #[test]
    fn tokens_and_sentences_stay_inside(text in text_strategy()) {
        let base = text.as_ptr() as usize;
        let mut last = 0;
        for w in words(&text) {
            prop_assert!(!w.is_empty() && !w.chars().any(char::is_whitespace), "bad token {:?}", w);
            let at = w.as_ptr() as usize - base;
            prop_assert!(at >= last);
            last = at + w.len();
        }
        let mut end = 0;
        for r in sentences(&text) {
            prop_assert!(r.start >= end && r.start < r.end && r.end <= text.len());
            prop_assert!(text.is_char_boundary(r.start) && text.is_char_boundary(r.end));
            end = r.end;
        }
    }
}

fn cleaner() -> &'static corpus_core::clean::Cleaner {
    static C: OnceLock<corpus_core::clean::Cleaner> = OnceLock::new();
    C.get_or_init(|| corpus_core::clean::Cleaner::new(&Default::default()).expect("cleaner"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// The key the cleaner assembles from its line folds, when it gives one,
    /// is the key normalizer's output on the cleaned text.
    #[test]
    fn cleaner_key_equals_key_of_cleaned_text(lines in proptest::collection::vec(text_strategy(), 1..5)) {
        let text = lines.join("\n");
        let (cuts, fused) = cleaner().cuts_and_key(&text, None);
        if let Some(k) = fused {
            let want = normalizers()[0].1.normalize(&corpus_core::clean::apply(&text, &cuts)).into_owned();
            prop_assert_eq!(k, want);
        }
    }
}
