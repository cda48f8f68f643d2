//! Survivor-field dates read as the instants they name ([`super::RankValue::of_str`]).
//!
//! Numeric forms (ISO 8601 / RFC 3339, day-first, RFC 2822) go to chrono. Dates
//! with the month written out — `الجمعة 9 ديسمبر 2016`, `25 جانفي 2017`,
//! `12 آذار 2018`, `أغسطس 8, 2015, 1:16 ص`, `12 March 2018`, `12 mars 2018` — are
//! read here: Arabic-language outlets name the month in one of four traditions
//! (Egyptian and Gulf `مارس`, Levantine and Iraqi `آذار`, Tunisian and Algerian
//! `جانفي`, Moroccan `يوليوز`), often with Arabic-Indic digits. A Hijri date
//! beside it (`15 رجب 1439 هـ الموافق 1 أبريل 2018 م`) is passed over for the
//! Gregorian one after `الموافق`.

use chrono::{DateTime, NaiveDate, NaiveDateTime};

/// Milliseconds since 1970-01-01 UTC of a date in one of
/// [`super::RankValue::of_str`]'s forms.
pub(super) fn instant(s: &str) -> Option<i64> {
    let s = s.trim();
    if let Some(t) = s.is_ascii().then(|| numeric(s)).flatten() {
        return Some(t);
    }
    let plain = fold(s);
    if !s.is_ascii() && plain.is_ascii() {
        // Arabic-Indic digits: `١٢/٠٣/٢٠١٨`.
        if let Some(t) = numeric(&plain) {
            return Some(t);
        }
    }
    named(&plain)
}

/// A date of digits: RFC 3339 / ISO 8601, day first, or RFC 2822.
fn numeric(s: &str) -> Option<i64> {
    // Every form is between "3/1/2017" and an RFC 2822 date with a long zone.
    if !(8..=40).contains(&s.len()) || !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    let b = s.as_bytes();
    if b[0].is_ascii_alphabetic() || b[1] == b' ' || b[2] == b' ' {
        return DateTime::parse_from_rfc2822(s)
            .ok()
            .map(|t| t.timestamp_millis());
    }
    let iso = s.replace('/', "-");
    let iso = iso.as_str();
    if b[1] == b'-' || b[2] == b'-' || b[1] == b'/' || b[2] == b'/' {
        // Day first.
        return naive_utc(iso, &["%d-%m-%Y %H:%M:%S", "%d-%m-%Y %H:%M"], "%d-%m-%Y");
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(iso) {
        return Some(t.timestamp_millis());
    }
    for f in [
        "%Y-%m-%dT%H:%M:%S%.f%#z",
        "%Y-%m-%d %H:%M:%S%.f%#z",
        "%Y-%m-%dT%H:%M%#z",
        "%Y-%m-%d %H:%M%#z",
    ] {
        if let Ok(t) = DateTime::parse_from_str(iso, f) {
            return Some(t.timestamp_millis());
        }
    }
    naive_utc(
        iso,
        &[
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
        ],
        "%Y-%m-%d",
    )
}

/// The instant of `s` read by the first of the formats `times` that reads it, or
/// else by the day format `day` (its midnight): without an offset, as UTC.
fn naive_utc(s: &str, times: &[&str], day: &str) -> Option<i64> {
    let t = times
        .iter()
        .find_map(|f| NaiveDateTime::parse_from_str(s, f).ok())
        .or_else(|| NaiveDate::parse_from_str(s, day).ok()?.and_hms_opt(0, 0, 0))?;
    Some(t.and_utc().timestamp_millis())
}

/// `s` with the variation month names do not depend on taken out: digits as
/// ASCII, every space a plain one, the Arabic comma a comma, harakat and
/// tatweel gone, alef forms as bare alef, teh marbuta as heh, alef maksura as
/// yeh, Latin letters in lower case without accents.
fn fold(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\u{0660}'..='\u{0669}' => out.push(char::from(b'0' + (c as u32 - 0x0660) as u8)),
            '\u{06F0}'..='\u{06F9}' => out.push(char::from(b'0' + (c as u32 - 0x06F0) as u8)),
            '\u{060C}' => out.push(','),
            '\u{0640}' | '\u{064B}'..='\u{0652}' | '\u{0670}' => {}
            'أ' | 'إ' | 'آ' | 'ٱ' => out.push('ا'),
            'ة' => out.push('ه'),
            'ى' => out.push('ي'),
            'é' | 'è' | 'ê' | 'É' => out.push('e'),
            'û' | 'ù' => out.push('u'),
            'ô' => out.push('o'),
            c if c.is_whitespace() => out.push(' '),
            c => out.extend(c.to_lowercase()),
        }
    }
    out
}

/// Month names after [`fold`], one word each, with their numbers.
const MONTHS: &[(&str, u32)] = &[
    // Egyptian and Gulf.
    ("يناير", 1),
    ("فبراير", 2),
    ("مارس", 3),
    ("ابريل", 4),
    ("مايو", 5),
    ("يونيو", 6),
    ("يونيه", 6),
    ("يوليو", 7),
    ("يوليه", 7),
    ("اغسطس", 8),
    ("سبتمبر", 9),
    ("اكتوبر", 10),
    ("نوفمبر", 11),
    ("ديسمبر", 12),
    // Tunisian and Algerian.
    ("جانفي", 1),
    ("فيفري", 2),
    ("افريل", 4),
    ("ماي", 5),
    ("جوان", 6),
    ("جويليه", 7),
    ("اوت", 8),
    // Moroccan.
    ("يوليوز", 7),
    ("غشت", 8),
    ("شتنبر", 9),
    ("نونبر", 11),
    ("دجنبر", 12),
    // Levantine and Iraqi (the two-word ones are in `MONTH_PAIRS`).
    ("شباط", 2),
    ("اذار", 3),
    ("نيسان", 4),
    ("ايار", 5),
    ("حزيران", 6),
    ("تموز", 7),
    ("اب", 8),
    ("ايلول", 9),
    // English.
    ("january", 1),
    ("february", 2),
    ("march", 3),
    ("april", 4),
    ("may", 5),
    ("june", 6),
    ("july", 7),
    ("august", 8),
    ("september", 9),
    ("october", 10),
    ("november", 11),
    ("december", 12),
    ("jan", 1),
    ("feb", 2),
    ("mar", 3),
    ("apr", 4),
    ("jun", 6),
    ("jul", 7),
    ("aug", 8),
    ("sep", 9),
    ("sept", 9),
    ("oct", 10),
    ("nov", 11),
    ("dec", 12),
    // French (Maghreb outlets write it too).
    ("janvier", 1),
    ("fevrier", 2),
    ("mars", 3),
    ("avril", 4),
    ("mai", 5),
    ("juin", 6),
    ("juillet", 7),
    ("aout", 8),
    ("septembre", 9),
    ("octobre", 10),
    ("novembre", 11),
    ("decembre", 12),
];

/// The Levantine and Iraqi month names of two words.
const MONTH_PAIRS: &[(&str, &str, u32)] = &[
    ("كانون", "الثاني", 1),
    ("تشرين", "الاول", 10),
    ("تشرين", "الثاني", 11),
    ("كانون", "الاول", 12),
];

/// Words that may come before the day: weekday names and the like.
const BEFORE: &[&str] = &[
    "الاحد",
    "الاثنين",
    "الثلاثاء",
    "الاربعاء",
    "الخميس",
    "الجمعه",
    "السبت",
    "يوم",
    "بتاريخ",
    "sunday",
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sun",
    "mon",
    "tue",
    "wed",
    "thu",
    "fri",
    "sat",
    "on",
    "dimanche",
    "lundi",
    "mardi",
    "mercredi",
    "jeudi",
    "vendredi",
    "samedi",
    "le",
    "-",
    "|",
];

/// Words between the date and its time.
const BETWEEN: &[&str] = &["-", "|", "الساعه", "at", "à"];

/// Before noon and after noon, after a time.
const AM: &[&str] = &["ص", "صباحا", "am", "a.m."];
const PM: &[&str] = &["م", "مساء", "مساءا", "pm", "p.m."];

/// Words that may end the date: the Gregorian era `م`, a zone that is UTC.
const AFTER: &[&str] = &["م", "ميلادي", "gmt", "utc"];

/// The month named by the words at `w[i..]`, and how many words it takes.
fn month_at(w: &[&str], i: usize) -> Option<(u32, usize)> {
    let word = *w.get(i)?;
    if let Some(&next) = w.get(i + 1)
        && let Some(&(.., m)) = MONTH_PAIRS
            .iter()
            .find(|(a, b, _)| *a == word && *b == next)
    {
        return Some((m, 2));
    }
    MONTHS
        .iter()
        .find(|(name, _)| *name == word)
        .map(|&(_, m)| (m, 1))
}

/// `word` as a number of `digits` ASCII digits.
fn number(word: &str, digits: std::ops::RangeInclusive<usize>) -> Option<u32> {
    if digits.contains(&word.len()) && word.bytes().all(|b| b.is_ascii_digit()) {
        word.parse().ok()
    } else {
        None
    }
}

/// `H:MM` or `H:MM:SS`.
fn time(word: &str) -> Option<(u32, u32, u32)> {
    let mut parts = word.split(':');
    let h = number(parts.next()?, 1..=2)?;
    let m = number(parts.next()?, 2..=2)?;
    let s = parts.next().map_or(Some(0), |p| number(p, 2..=2))?;
    parts.next().is_none().then_some((h, m, s))
}

/// A date with its month written out, `s` already [`fold`]ed: a day, the month
/// and a four-digit year (or the month, the day and the year), after weekday
/// names, optionally followed by a time (`14:30`, `2:30:05 م`); nothing else.
fn named(s: &str) -> Option<i64> {
    if s.len() > 120 {
        return None;
    }
    let all: Vec<&str> = s.split([' ', ',']).filter(|w| !w.is_empty()).collect();
    // A Hijri date first: the Gregorian one follows `الموافق`.
    let from = all
        .iter()
        .rposition(|w| *w == "الموافق")
        .map_or(0, |i| i + 1);
    let w = &all[from..];
    let mut i = w.iter().take_while(|x| BEFORE.contains(x)).count();
    let (day, month) = match w.get(i).and_then(|x| number(x, 1..=2)) {
        Some(d) => {
            let (m, n) = month_at(w, i + 1)?;
            i += 1 + n;
            (d, m)
        }
        None => {
            let (m, n) = month_at(w, i)?;
            let d = number(w.get(i + n)?, 1..=2)?;
            i += n + 1;
            (d, m)
        }
    };
    let year = number(w.get(i)?, 4..=4)?;
    let mut rest = w[i + 1..]
        .iter()
        .copied()
        .skip_while(|x| BETWEEN.contains(x))
        .peekable();
    let (mut h, mut m, mut sec) = (0, 0, 0);
    if let Some(t) = rest.peek().and_then(|x| time(x)) {
        (h, m, sec) = t;
        rest.next();
        if rest.next_if(|x| PM.contains(x)).is_some() && h < 12 {
            h += 12;
        } else if rest.next_if(|x| AM.contains(x)).is_some() && h == 12 {
            h = 0;
        }
    }
    if !rest.all(|x| AFTER.contains(&x)) {
        return None;
    }
    let t =
        NaiveDate::from_ymd_opt(i32::try_from(year).ok()?, month, day)?.and_hms_opt(h, m, sec)?;
    Some(t.and_utc().timestamp_millis())
}

#[cfg(test)]
mod tests {
    use super::super::RankValue;

    fn at(s: &str) -> Option<i64> {
        match RankValue::of_str(s.into()) {
            RankValue::Time(t) => Some(t),
            _ => None,
        }
    }

    /// The date forms of the development news (`arabic_news`, `news_pairs`) and
    /// their neighbours read as the instants they name; anything else stays text.
    #[test]
    fn numeric_dates_read_as_instants() {
        // 2018-03-02 12:49:57 UTC, written six ways.
        let t = Some(1_519_994_997_000);
        for s in [
            "Fri, 02 Mar 2018 16:49:57 +0400",
            "2 Mar 2018 12:49:57 GMT",
            "2018-03-02T16:49:57+04:00",
            "2018-03-02 12:49:57",
            "2018/03/02 12:49:57Z",
            " 2018-03-02T13:49:57.000+0100 ",
        ] {
            assert_eq!(at(s), t, "{s}");
        }
        assert_eq!(at("2016-12-08T18:18:00+01:00"), Some(1_481_217_480_000));
        assert_eq!(at("2015-07-21"), Some(1_437_436_800_000));
        assert_eq!(at("2015-07-21 02:53"), Some(1_437_447_180_000));
        assert_eq!(at("1969-12-31T23:59:59Z"), Some(-1000));
        // Day first, as Jawhara FM writes it.
        assert_eq!(at("21/07/2015"), at("2015-07-21"));
        assert_eq!(at("21-07-2015 02:53"), at("2015-07-21 02:53"));
        assert_eq!(at("3/1/2017"), at("2017-01-03"));
        for s in [
            "",
            "soon",
            "2015",
            "20150721",
            "07/21/2015",
            "2015-13-01",
            "Fri, 31 Feb 2018 10:00:00 +0000",
        ] {
            assert_eq!(at(s), None, "{s}");
        }
    }

    /// Months written out, in each tradition, with Arabic-Indic digits, weekday
    /// names, times and a Hijri date beside; each form against the ISO date.
    #[test]
    fn named_months_read_as_instants() {
        let cases = [
            ("الجمعة 9 ديسمبر 2016", "2016-12-09"),
            ("الأربعاء 25 \u{a0}جانفي 2017", "2017-01-25"),
            ("٢٥ جانفي ٢٠١٧", "2017-01-25"),
            ("13 فيفري 2017", "2017-02-13"),
            ("22 أفريل 2017", "2017-04-22"),
            ("14 ماي 2017", "2017-05-14"),
            ("24 جوان 2016", "2016-06-24"),
            ("3 جويلية 2016", "2016-07-03"),
            ("15 أوت 2016", "2016-08-15"),
            ("12 آذار 2018", "2018-03-12"),
            ("1 كانون الثاني 2018", "2018-01-01"),
            ("31 كانون الأول 2018", "2018-12-31"),
            ("5 تشرين الأول 2017", "2017-10-05"),
            ("5 تشرين الثاني 2017", "2017-11-05"),
            ("20 آب 2015", "2015-08-20"),
            ("7 يوليوز 2016", "2016-07-07"),
            ("7 غشت 2016", "2016-08-07"),
            ("7 شتنبر 2016", "2016-09-07"),
            ("26 اكتوبر 2015", "2015-10-26"),
            ("15 رجب 1439 هـ الموافق 1 أبريل 2018 م", "2018-04-01"),
            ("الموافق 23 أغسطس 2015", "2015-08-23"),
            ("أغسطس 8, 2015, 1:16 ص", "2015-08-08 01:16"),
            ("أغسطس 8، 2015، 1:16 م", "2015-08-08 13:16"),
            ("الاثنين 12 مارس 2018 - 12:30 ص", "2018-03-12 00:30"),
            ("12 مارس 2018 14:05:09", "2018-03-12 14:05:09"),
            ("Monday, 12 March 2018", "2018-03-12"),
            ("March 12, 2018, 2:30 pm", "2018-03-12 14:30"),
            ("Sept 3, 2016", "2016-09-03"),
            // As saudinewsnet's `author` field holds it.
            ("| Tuesday, 11 August 2015 - 00:00 am", "2015-08-11"),
            ("Tuesday, 11 August 2015 - 13:48 pm", "2015-08-11 13:48"),
            ("lundi 12 mars 2018", "2018-03-12"),
            ("3 février 2017", "2017-02-03"),
            ("15 août 2016", "2016-08-15"),
            ("١٢/٠٣/٢٠١٨", "2018-03-12"),
            ("٢٠١٨-٠٣-١٢", "2018-03-12"),
        ];
        for (s, iso) in cases {
            assert!(at(iso).is_some(), "{iso}");
            assert_eq!(at(s), at(iso), "{s}");
        }
        // Not dates: a title with a date in it, no year, a Hijri date alone, an
        // impossible day, an unknown word after the date.
        for s in [
            "أبرز أخبار الخميس 9 مارس 2017",
            "الجمعة 9 ديسمبر",
            "15 رجب 1439",
            "31 فبراير 2017",
            "9 ديسمبر 2016 بالمركز الثقافي",
            "تيريزا ماي",
            "May 2017",
        ] {
            assert_eq!(at(s), None, "{s}");
        }
    }

    /// Arabic-Indic digits for the ASCII ones of `s`.
    fn indic(s: &str) -> String {
        s.chars()
            .map(|c| match c.to_digit(10) {
                Some(d) => char::from_u32(0x0660 + d).unwrap_or(c),
                None => c,
            })
            .collect()
    }

    proptest::proptest! {
        /// Any day written with any of its month's names (every tradition, one
        /// word or two), in either digit set, with or without a time, reads as
        /// that day; and no string makes the reader fail.
        #[test]
        fn every_month_name_reads_as_its_month(
            year in 1900i32..2100,
            month in 1u32..=12,
            day in 1u32..=28,
            pick in 0usize..8,
            hour in 0u32..24,
            arabic_digits: bool,
            with_time: bool,
        ) {
            let names: Vec<String> = super::MONTHS
                .iter()
                .filter(|(_, m)| *m == month)
                .map(|(n, _)| (*n).to_owned())
                .chain(
                    super::MONTH_PAIRS
                        .iter()
                        .filter(|(.., m)| *m == month)
                        .map(|(a, b, _)| format!("{a} {b}")),
                )
                .collect();
            let name = &names[pick % names.len()];
            let mut s = format!("{day} {name} {year}");
            let mut iso = format!("{year:04}-{month:02}-{day:02}");
            if with_time {
                s += &format!(" {hour}:05");
                iso += &format!(" {hour:02}:05");
            }
            if arabic_digits {
                s = indic(&s);
            }
            proptest::prop_assert!(at(&iso).is_some(), "{}", iso);
            proptest::prop_assert_eq!(at(&s), at(&iso), "{}", s);
        }

        #[test]
        fn any_string_is_a_date_or_text(s in "\\PC{0,80}") {
            let _ = at(&s);
        }
    }
}
