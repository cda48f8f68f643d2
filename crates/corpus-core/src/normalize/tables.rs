//! The per-character maps of every step, written once and used both by the
//! simple reference chain and to fill the fast path's lookup table.
//!
//! Each map takes one character and appends its image to `out`, returning
//! `false` (and appending nothing) when the character is left alone.

use unicode_normalization::char::{canonical_combining_class, decompose_compatible};

use super::Step;

/// Characters deleted by `controls`: BOM, bidi controls and invisible format
/// characters. ZWNJ and ZWJ are left to `joiners`.
pub(crate) fn is_control(c: char) -> bool {
    matches!(c,
        '\u{00AD}' | '\u{061C}' | '\u{180E}' | '\u{200B}' | '\u{200E}' | '\u{200F}'
        | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}' | '\u{2066}'..='\u{206F}'
        | '\u{FEFF}')
}

/// The toolkit's key diacritic set (ARABIC.md §5): every Mn in U+0600–U+06FE,
/// plus U+06E5, U+06E6, U+0674 and the Arabic Extended-A marks.
pub(crate) fn is_diacritic(c: char) -> bool {
    matches!(c,
        '\u{0610}'..='\u{061A}' | '\u{064B}'..='\u{065F}' | '\u{0670}' | '\u{0674}'
        | '\u{06D6}'..='\u{06DC}' | '\u{06DF}'..='\u{06E8}' | '\u{06EA}'..='\u{06ED}'
        | '\u{08D3}'..='\u{08E1}' | '\u{08E3}'..='\u{08FF}')
}

/// CAMeL `dediac_ar`'s set: harakat, tanwin, shadda, sukun and dagger alef.
pub(crate) fn is_dediac(c: char) -> bool {
    matches!(c, '\u{064B}'..='\u{0652}' | '\u{0670}')
}

/// The 14 presentation forms that NFKC turns into a space plus mark(s).
pub(crate) fn is_spacing_mark(c: char) -> bool {
    matches!(
        c,
        '\u{FE70}'
            | '\u{FE72}'
            | '\u{FE74}'
            | '\u{FE76}'
            | '\u{FE78}'
            | '\u{FE7A}'
            | '\u{FE7C}'
            | '\u{FE7E}'
            | '\u{FC5E}'..='\u{FC63}'
    )
}

/// The Arabic presentation-form blocks whose NFKC the `stored` profile applies.
pub(crate) fn is_presentation_form(c: char) -> bool {
    matches!(c, '\u{FB50}'..='\u{FDFF}' | '\u{FE70}'..='\u{FEFE}')
}

/// Spaces for `whitespace`: every Zs plus TAB, VT, FF, NEL and LINE SEPARATOR.
pub(crate) fn is_space(c: char) -> bool {
    matches!(
        c,
        ' ' | '\t' | '\u{0B}' | '\u{0C}' | '\u{85}' | '\u{A0}' | '\u{1680}' | '\u{2000}'
            ..='\u{200A}' | '\u{2028}' | '\u{202F}' | '\u{205F}' | '\u{3000}'
    )
}

/// Line breaks for `whitespace` (CR is handled apart: `\r\n` is one break).
pub(crate) fn is_newline(c: char) -> bool {
    matches!(c, '\n' | '\u{2029}')
}

/// Applies `step` to one character. Returns `false` when `c` is unchanged.
pub(crate) fn map_char(step: Step, c: char, out: &mut String) -> bool {
    let s: &str = match step {
        Step::Controls => return is_control(c),
        Step::Joiners => return matches!(c, '\u{200C}' | '\u{200D}'),
        Step::SpacingMarks => {
            if !is_spacing_mark(c) {
                return false;
            }
            // The NFKC image minus its leading space: the bare mark(s).
            let mut first = true;
            decompose_compatible(c, |d| {
                if !(first && d == ' ') {
                    out.push(d);
                }
                first = false;
            });
            return true;
        }
        Step::CamelLigatures => match c {
            '\u{FDFC}' => "\u{0631}\u{064A}\u{0627}\u{0644}",
            '\u{FDFD}' => {
                "\u{0628}\u{0633}\u{0645} \u{0627}\u{0644}\u{0644}\u{0647} \
                 \u{0627}\u{0644}\u{0631}\u{062D}\u{0645}\u{0646} \
                 \u{0627}\u{0644}\u{0631}\u{062D}\u{064A}\u{0645}"
            }
            _ => return false,
        },
        Step::PresentationForms => {
            if !is_presentation_form(c) {
                return false;
            }
            let one = c.to_string();
            let n = super::engine::nfkc_str(&one);
            if n == one {
                return false;
            }
            out.push_str(&n);
            return true;
        }
        Step::Tatweel => return c == '\u{0640}',
        Step::Diacritics => return is_diacritic(c),
        Step::Dediac => return is_dediac(c),
        Step::Lookalikes => match c {
            '\u{06A9}' | '\u{06AA}' => "\u{0643}",
            '\u{06CC}' | '\u{06CD}' | '\u{06CE}' | '\u{06D0}' | '\u{06D2}' => "\u{064A}",
            '\u{06D3}' => "\u{0626}",
            '\u{06BE}' | '\u{06C0}' | '\u{06C1}' | '\u{06C2}' | '\u{06D5}' => "\u{0647}",
            '\u{06C3}' => "\u{0629}",
            _ => return false,
        },
        Step::Alef => match c {
            '\u{0622}' | '\u{0623}' | '\u{0625}' | '\u{0671}' | '\u{0672}' | '\u{0673}'
            | '\u{0675}' => "\u{0627}",
            _ => return false,
        },
        Step::AlefMaksura => match c {
            '\u{0649}' => "\u{064A}",
            _ => return false,
        },
        Step::TehMarbuta => match c {
            '\u{0629}' => "\u{0647}",
            _ => return false,
        },
        Step::Hamza => match c {
            '\u{0624}' => "\u{0648}",
            '\u{0626}' => "\u{064A}",
            _ => return false,
        },
        Step::Digits => {
            let d = match c {
                '\u{0660}'..='\u{0669}' => c as u32 - 0x0660,
                '\u{06F0}'..='\u{06F9}' => c as u32 - 0x06F0,
                _ => return false,
            };
            out.push(char::from(b'0' + d as u8));
            return true;
        }
        Step::Punct => match c {
            '\u{060C}' | '\u{066C}' => ",",
            '\u{061B}' => ";",
            '\u{061F}' => "?",
            '\u{066A}' => "%",
            '\u{066D}' => "*",
            '\u{06D4}' | '\u{066B}' => ".",
            '\u{00AB}' | '\u{00BB}' | '\u{201C}'..='\u{201F}' | '\u{2039}' | '\u{203A}' => "\"",
            '\u{2018}'..='\u{201B}' => "'",
            '\u{2010}'..='\u{2015}' | '\u{2212}' => "-",
            '\u{2026}' => "...",
            _ => return false,
        },
        Step::Casefold => return casefold(c, out),
        // Whole-text steps have no per-character map.
        Step::Mojibake | Step::Nfc | Step::Nfkc | Step::Whitespace => return false,
    };
    out.push_str(s);
    true
}

/// Full case folding: lower-casing plus the folds that differ from it
/// (CaseFolding.txt status F and the Latin/Greek C entries that lower-casing misses).
fn casefold(c: char, out: &mut String) -> bool {
    let s = match c {
        '\u{00DF}' | '\u{1E9E}' => "ss",
        '\u{0149}' => "\u{02BC}n",
        '\u{017F}' => "s",
        '\u{01F0}' => "j\u{030C}",
        '\u{1E96}' => "h\u{0331}",
        '\u{1E97}' => "t\u{0308}",
        '\u{1E98}' => "w\u{030A}",
        '\u{1E99}' => "y\u{030A}",
        '\u{1E9A}' => "a\u{02BE}",
        '\u{1E9B}' => "\u{1E61}",
        '\u{FB00}' => "ff",
        '\u{FB01}' => "fi",
        '\u{FB02}' => "fl",
        '\u{FB03}' => "ffi",
        '\u{FB04}' => "ffl",
        '\u{FB05}' | '\u{FB06}' => "st",
        '\u{03C2}' => "\u{03C3}",
        '\u{03D0}' => "\u{03B2}",
        '\u{03D1}' => "\u{03B8}",
        '\u{03D5}' => "\u{03C6}",
        '\u{03D6}' => "\u{03C0}",
        '\u{03F0}' => "\u{03BA}",
        '\u{03F1}' => "\u{03C1}",
        '\u{03F5}' => "\u{03B5}",
        '\u{0345}' => "\u{03B9}",
        _ => {
            if c.is_ascii() {
                if c.is_ascii_uppercase() {
                    out.push(c.to_ascii_lowercase());
                    return true;
                }
                return false;
            }
            let mut low = c.to_lowercase();
            if low.len() == 1 && low.clone().next() == Some(c) {
                return false;
            }
            out.extend(&mut low);
            return true;
        }
    };
    out.push_str(s);
    true
}

/// Canonical combining class.
pub(crate) fn ccc(c: char) -> u8 {
    canonical_combining_class(c)
}
