//! Line-level evaluation of cleaning against a labelled gold set.
//!
//! The gold format is the one of `shared/corpora/boilerplate_gold` (`gold.jsonl`):
//! per document, the non-empty lines (`n`, 1-based in `text.split('\n')`)
//! labelled `content`, `chrome` or `mixed` (with the chrome substring in
//! `chrome_text`) and a category.
//!
//! Measures, on non-space characters:
//! * a gold chrome (or mixed) line is **found** when at least half of its chrome
//!   characters are cut — recall = found / chrome lines;
//! * a line is **predicted** when any of its characters is cut; it is **right**
//!   when it is a chrome/mixed line and at most 5 % of its content characters are
//!   cut — precision = right / predicted;
//! * **content kept** = content characters not cut / content characters.

use std::collections::BTreeMap;

use serde::Deserialize;

use super::Cut;

/// One labelled line.
#[derive(Clone, Debug, Deserialize)]
pub struct GoldLine {
    /// 1-based line number in `text.split('\n')`.
    pub n: usize,
    /// `content`, `chrome` or `mixed`.
    pub label: String,
    /// Chrome category (chrome and mixed lines).
    #[serde(default)]
    pub category: Option<String>,
    /// The chrome part of a mixed line (a string, or a list of strings).
    #[serde(default)]
    pub chrome_text: Option<serde_json::Value>,
}

/// One labelled document.
#[derive(Clone, Debug, Deserialize)]
pub struct GoldDoc {
    /// Document id.
    pub id: String,
    /// Source outlet.
    pub outlet: String,
    /// Labelled non-empty lines.
    pub lines: Vec<GoldLine>,
}

/// Tallies of one row of the report.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Gold chrome/mixed lines.
    pub chrome_lines: u64,
    /// Of those, found.
    pub found: u64,
    /// Lines with any cut.
    pub predicted: u64,
    /// Of those, right.
    pub right: u64,
    /// Content characters.
    pub content_chars: u64,
    /// Content characters cut.
    pub content_cut: u64,
}

impl Tally {
    fn add(&mut self, o: &Tally) {
        self.chrome_lines += o.chrome_lines;
        self.found += o.found;
        self.predicted += o.predicted;
        self.right += o.right;
        self.content_chars += o.content_chars;
        self.content_cut += o.content_cut;
    }

    /// right / predicted (1 when nothing is predicted).
    pub fn precision(&self) -> f64 {
        if self.predicted == 0 {
            1.0
        } else {
            self.right as f64 / self.predicted as f64
        }
    }

    /// found / chrome lines (1 when there is no chrome).
    pub fn recall(&self) -> f64 {
        if self.chrome_lines == 0 {
            1.0
        } else {
            self.found as f64 / self.chrome_lines as f64
        }
    }

    /// Share of content characters kept.
    pub fn content_kept(&self) -> f64 {
        if self.content_chars == 0 {
            1.0
        } else {
            1.0 - self.content_cut as f64 / self.content_chars as f64
        }
    }
}

/// The evaluation: totals, per outlet, per chrome category.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// All documents.
    pub total: Tally,
    /// Per outlet.
    pub by_outlet: BTreeMap<String, Tally>,
    /// Per gold category (`content` for content lines that were cut).
    pub by_category: BTreeMap<String, Tally>,
    /// Lines counted wrong, for reading: (id, n, label, line text).
    pub errors: Vec<(String, usize, String, String)>,
}

impl Report {
    /// Adds one document: its text, its gold lines and the cuts made.
    pub fn add(&mut self, text: &str, gold: &GoldDoc, cuts: &[Cut]) {
        let mut cut = vec![false; text.len()];
        for c in cuts {
            for x in cut.iter_mut().take(c.end.min(text.len())).skip(c.start) {
                *x = true;
            }
        }
        let mut starts = Vec::new();
        let mut pos = 0;
        for l in text.split('\n') {
            starts.push((pos, l));
            pos += l.len() + 1;
        }
        for gl in &gold.lines {
            let Some(&(ls, line)) = gl.n.checked_sub(1).and_then(|i| starts.get(i)) else {
                continue;
            };
            // Chrome byte ranges within the line.
            let mut chrome = vec![false; line.len()];
            match gl.label.as_str() {
                "chrome" => chrome.iter_mut().for_each(|x| *x = true),
                "mixed" => {
                    let parts: Vec<String> = match &gl.chrome_text {
                        Some(serde_json::Value::String(s)) => vec![s.clone()],
                        Some(serde_json::Value::Array(a)) => a
                            .iter()
                            .filter_map(|v| v.as_str().map(str::to_owned))
                            .collect(),
                        _ => Vec::new(),
                    };
                    for p in parts {
                        if let Some(at) = line.find(p.as_str()) {
                            chrome[at..at + p.len()].iter_mut().for_each(|x| *x = true);
                        }
                    }
                }
                _ => {}
            }
            let mut t = Tally::default();
            let (mut ch, mut ch_cut, mut co, mut co_cut) = (0u64, 0u64, 0u64, 0u64);
            for (i, c) in line.char_indices() {
                if c.is_whitespace() {
                    continue;
                }
                let is_cut = cut[ls + i];
                if chrome[i] {
                    ch += 1;
                    ch_cut += u64::from(is_cut);
                } else {
                    co += 1;
                    co_cut += u64::from(is_cut);
                }
            }
            let is_chrome = gl.label != "content";
            let predicted = ch_cut + co_cut > 0;
            t.content_chars = co;
            t.content_cut = co_cut;
            if is_chrome {
                t.chrome_lines = 1;
                t.found = u64::from(ch > 0 && ch_cut * 2 >= ch);
            }
            if predicted {
                t.predicted = 1;
                t.right = u64::from(is_chrome && co_cut * 20 <= co);
            }
            if (is_chrome && t.found == 0) || t.predicted != t.right {
                self.errors.push((
                    gold.id.clone(),
                    gl.n,
                    format!(
                        "{}{}",
                        gl.label,
                        gl.category
                            .as_deref()
                            .map(|c| format!("/{c}"))
                            .unwrap_or_default()
                    ),
                    line.chars().take(120).collect(),
                ));
            }
            let cat = gl.category.clone().unwrap_or_else(|| "content".into());
            self.total.add(&t);
            self.by_outlet
                .entry(gold.outlet.clone())
                .or_default()
                .add(&t);
            self.by_category.entry(cat).or_default().add(&t);
        }
    }

    /// The report as a Markdown table.
    pub fn table(&self) -> String {
        let mut s = String::new();
        s.push_str("| group | chrome lines | found | predicted | right | precision | recall | content kept |\n");
        s.push_str("|---|---:|---:|---:|---:|---:|---:|---:|\n");
        let row = |name: &str, t: &Tally| {
            format!(
                "| {name} | {} | {} | {} | {} | {:.3} | {:.3} | {:.4} |\n",
                t.chrome_lines,
                t.found,
                t.predicted,
                t.right,
                t.precision(),
                t.recall(),
                t.content_kept()
            )
        };
        s.push_str(&row("**all**", &self.total));
        for (k, t) in &self.by_category {
            s.push_str(&row(&format!("category: {k}"), t));
        }
        for (k, t) in &self.by_outlet {
            s.push_str(&row(&format!("outlet: {k}"), t));
        }
        s
    }
}

/// Evaluates a cleaning configuration on a gold folder (`docs.jsonl`,
/// `gold.jsonl`). The boilerplate model, when enabled, is counted over
/// `model_inputs` (e.g. the full source files the gold documents were drawn
/// from), grouped as `cfg.boilerplate.group_by` says.
///
/// # Errors
/// I/O and parse errors naming the file.
pub fn evaluate(
    gold_dir: &std::path::Path,
    model_inputs: &[std::path::PathBuf],
    cfg: &super::CleanConfig,
) -> crate::Result<Report> {
    use crate::Error;
    use crate::io::{InputConfig, Reader, list_inputs};

    let cleaner = super::Cleaner::new(cfg)?;
    let model = if cfg.boilerplate_enabled() && !model_inputs.is_empty() {
        let mut counter = super::BoilerplateCounter::new(&cfg.boilerplate);
        for doc in Reader::new(list_inputs(model_inputs, None)?, InputConfig::default()) {
            counter.count_document(&cleaner, &doc?);
        }
        Some(counter.finish())
    } else {
        None
    };
    let gold_path = gold_dir.join("gold.jsonl");
    let gold_text = std::fs::read_to_string(&gold_path).map_err(|e| Error::io(&gold_path, e))?;
    let mut gold: BTreeMap<String, GoldDoc> = BTreeMap::new();
    for (i, line) in gold_text.lines().enumerate() {
        let g: GoldDoc = serde_json::from_str(line).map_err(|e| Error::Record {
            path: gold_path.clone(),
            line: i as u64 + 1,
            offset: None,
            reason: e.to_string(),
        })?;
        gold.insert(g.id.clone(), g);
    }
    let mut report = Report::default();
    let docs = list_inputs(&[gold_dir.join("docs.jsonl")], None)?;
    for doc in Reader::new(docs, InputConfig::default()) {
        let doc = doc?;
        let Some(g) = gold.get(&doc.id) else { continue };
        let cuts = match &model {
            Some(m) => {
                let group = cfg.boilerplate.group_by.group_of(&doc);
                cleaner.cuts_with(&doc.text, m, &group)
            }
            None => cleaner.cuts(&doc.text),
        };
        report.add(&doc.text, g, &cuts);
    }
    Ok(report)
}
