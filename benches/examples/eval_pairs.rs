//! Accuracy of the near-duplicate engine on the labelled development sets, at the
//! default settings and over thresholds 0.50–0.95.
//!
//! ```text
//! cargo run --release -p corpus-bench --example eval_pairs -- \
//!     [--gen dev4k.jsonl] [--shared ../shared] [--set dedup.KEY=VALUE ...]
//!     [--sweep threshold|containment_threshold] [--no-curve]
//! ```
//! `--gen` takes a corpus written by `../shared/bench/gen_corpus.py` (fields id, text,
//! cluster, edit); `--set` overrides any configuration key in TOML syntax, e.g.
//! `--set dedup.ngram=5 --set clean.enabled=false`. The curves vary `--sweep`
//! (default `threshold`, the Jaccard threshold) from 0.50 to 0.95.

#![allow(clippy::print_stdout, clippy::print_stderr)] // a report printer

use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use corpus_core::dedup::{Member, cluster};
use corpus_core::pipeline::Analyzer;
use corpus_core::{Config, Document, Origin};
use serde_json::Value;

fn main() {
    let mut gen_path: Option<PathBuf> = None;
    let mut shared = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared");
    let mut sets: Vec<String> = Vec::new();
    let mut curve = true;
    let mut sweep_containment = false;
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        match a.as_str() {
            "--gen" => gen_path = args.next().map(PathBuf::from),
            "--shared" => shared = args.next().map(PathBuf::from).unwrap_or(shared),
            "--set" => sets.extend(args.next()),
            "--no-curve" => curve = false,
            "--sweep" => {
                sweep_containment = args.next().as_deref() == Some("containment_threshold")
            }
            _ => {
                eprintln!("unknown argument {a}");
                std::process::exit(2);
            }
        }
    }
    let cfg = config(&sets);
    let analyzer = Analyzer::new(&cfg).unwrap_or_else(|e| {
        eprintln!("bad configuration: {e}");
        std::process::exit(2);
    });
    let d = &cfg.dedup;
    println!(
        "# ghirbal near-duplicate accuracy\n\nsettings: threshold {} shingles {} × {:?} num_perm {} containment {} (≥{} of the smaller, coverage ≥{}, ≥{} shingles) mode {:?} check_numbers {} clean {}\n",
        d.threshold,
        d.effective_ngram(),
        d.shingle,
        d.num_perm,
        d.containment,
        d.effective_containment_threshold(),
        d.min_coverage,
        d.effective_min_shingles(),
        d.mode,
        d.check_numbers,
        cfg.clean.enabled
    );
    let sweep = if sweep_containment {
        SWEEP.with(|s| s.set(true));
        "containment threshold"
    } else {
        "threshold"
    };
    let default_t = if sweep_containment {
        cfg.dedup.effective_containment_threshold()
    } else {
        cfg.dedup.threshold
    };
    println!("curves: {sweep} from 0.50 to 0.95, the rest at the settings above\n");
    let thresholds: Vec<f64> = if curve {
        (10..=19).map(|i| i as f64 * 0.05).collect()
    } else {
        Vec::new()
    };

    if let Some(p) = &gen_path {
        let docs = read_jsonl(p);
        let set = Set::new(&docs, &analyzer);
        let gold: Vec<String> = docs.iter().map(|d| str_field(d, "cluster")).collect();
        let edits: Vec<String> = docs.iter().map(|d| str_field(d, "edit")).collect();
        println!("## gen_corpus ({}, {} docs)\n", p.display(), docs.len());
        println!("| threshold | P | R | F1 | ARI | kept | gold kept |");
        println!("|---|---|---|---|---|---|---|");
        let mut fams = BTreeMap::new();
        for &t in std::iter::once(&default_t).chain(&thresholds) {
            let pred = set.run(&cfg, Some(t));
            let s = pair_scores(&gold, &pred);
            println!(
                "| {}{t:.2} | {:.4} | {:.4} | {:.4} | {:.4} | {} | {} |",
                if fams.is_empty() { "**default** " } else { "" },
                s.precision,
                s.recall,
                s.f1,
                s.ari,
                s.kept,
                s.gold_kept
            );
            if fams.is_empty() {
                fams = family_recall(&gold, &edits, &pred);
            }
        }
        println!("\nRecall per edit family at the default (variant in its original's cluster):\n");
        println!("| family | recall | n |");
        println!("|---|---|---|");
        for (f, (hit, n)) in &fams {
            println!("| {f} | {:.4} | {n} |", *hit as f64 / *n as f64);
        }
        println!();
    }

    let np = shared.join("corpora/news_pairs");
    if np.is_dir() {
        let docs = read_jsonl(&np.join("docs.jsonl"));
        let pairs = read_jsonl(&np.join("pairs.jsonl"));
        let set = Set::new(&docs, &analyzer);
        let index: HashMap<String, usize> = docs
            .iter()
            .enumerate()
            .map(|(i, d)| (str_field(d, "id"), i))
            .collect();
        println!(
            "## news_pairs ({} docs, {} labelled pairs)\n",
            docs.len(),
            pairs.len()
        );
        println!("merged = both documents end in one cluster.\n");
        println!(
            "| threshold | duplicate recall | partial merged | related merged | unrelated merged | related+unrelated merged |"
        );
        println!("|---|---|---|---|---|---|");
        let mut missed = Vec::new();
        let mut first = true;
        for &t in std::iter::once(&default_t).chain(&thresholds) {
            let pred = set.run(&cfg, Some(t));
            let mut by: BTreeMap<String, (usize, usize)> = BTreeMap::new();
            for p in &pairs {
                let (a, b) = (index[&str_field(p, "id_a")], index[&str_field(p, "id_b")]);
                let label = str_field(p, "label");
                let merged = pred[a] == pred[b];
                let e = by.entry(label.clone()).or_default();
                e.0 += merged as usize;
                e.1 += 1;
                if first && ((label == "duplicate") != merged) && label != "partial" {
                    missed.push(format!(
                        "{} {label} {} (jaccard3 {}, containment3 {})",
                        str_field(p, "pair_id"),
                        if merged { "MERGED" } else { "missed" },
                        p["jaccard3"],
                        p["containment3"]
                    ));
                }
            }
            let r = |k: &str| by.get(k).copied().unwrap_or((0, 0));
            let frac =
                |(h, n): (usize, usize)| format!("{h}/{n} = {:.3}", h as f64 / n.max(1) as f64);
            let (ru, un) = (r("related"), r("unrelated"));
            println!(
                "| {}{t:.2} | {} | {} | {} | {} | {} |",
                if first { "**default** " } else { "" },
                frac(r("duplicate")),
                frac(r("partial")),
                frac(ru),
                frac(un),
                frac((ru.0 + un.0, ru.1 + un.1))
            );
            first = false;
        }
        if !missed.is_empty() {
            println!("\nErrors at the default:\n");
            for m in missed {
                println!("- {m}");
            }
        }
        println!();
    }

    let nd = shared.join("corpora/near_dup_labeled");
    if nd.is_dir() {
        println!("## near_dup_labeled: label-0 pairs merged (must be 0)\n");
        println!("| set | threshold | label-0 merged | label-1 merged (not required) |");
        println!("|---|---|---|---|");
        for name in ["msrp_pairs.jsonl", "q2q_arabic_pairs.jsonl"] {
            let pairs = read_jsonl(&nd.join(name));
            let mut docs: Vec<Value> = Vec::new();
            let mut index: HashMap<String, usize> = HashMap::new();
            for p in &pairs {
                for (id, text) in [("id_a", "text_a"), ("id_b", "text_b")] {
                    let id = str_field(p, id);
                    if !index.contains_key(&id) {
                        index.insert(id.clone(), docs.len());
                        docs.push(serde_json::json!({"id": id, "text": p[text]}));
                    }
                }
            }
            let set = Set::new(&docs, &analyzer);
            let mut first = true;
            for &t in std::iter::once(&default_t).chain(&thresholds) {
                let pred = set.run(&cfg, Some(t));
                let mut c = [(0usize, 0usize); 2];
                for p in &pairs {
                    let label = p["label"].as_i64().unwrap_or(-1);
                    if !(0..=1).contains(&label) {
                        continue;
                    }
                    let same =
                        pred[index[&str_field(p, "id_a")]] == pred[index[&str_field(p, "id_b")]];
                    c[label as usize].0 += same as usize;
                    c[label as usize].1 += 1;
                }
                println!(
                    "| {name} | {}{t:.2} | {}/{} | {}/{} |",
                    if first { "**default** " } else { "" },
                    c[0].0,
                    c[0].1,
                    c[1].0,
                    c[1].1
                );
                first = false;
            }
        }
        println!();
    }
}

fn config(sets: &[String]) -> Config {
    let mut sections: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for s in sets {
        let Some((k, v)) = s.split_once('=') else {
            eprintln!("--set takes section.key=value, not {s}");
            std::process::exit(2);
        };
        let (sec, key) = k.split_once('.').unwrap_or(("", k));
        sections
            .entry(sec.to_owned())
            .or_default()
            .push(format!("{key} = {v}"));
    }
    let mut toml = String::new();
    for (sec, lines) in sections {
        if !sec.is_empty() {
            toml.push_str(&format!("[{sec}]\n"));
        }
        for l in lines {
            toml.push_str(&l);
            toml.push('\n');
        }
    }
    let dir = std::env::temp_dir().join(format!("ghirbal-eval-{}.toml", std::process::id()));
    std::fs::write(&dir, toml).expect("write temp config");
    let cfg = Config::from_toml_file(&dir).unwrap_or_else(|e| {
        eprintln!("bad --set: {e}");
        std::process::exit(2);
    });
    let _ = std::fs::remove_file(&dir);
    cfg
}

thread_local! {
    /// Whether the curves vary the containment threshold instead of the Jaccard one.
    static SWEEP: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// One labelled set, analyzed once; clustered at any threshold.
struct Set {
    members: Vec<Member>,
}

impl Set {
    fn new(docs: &[Value], analyzer: &Analyzer) -> Set {
        let origin = Origin {
            path: Arc::from(Path::new("eval")),
            line: 0,
        };
        let members = docs
            .iter()
            .map(|d| {
                analyzer.member(&Document {
                    id: str_field(d, "id"),
                    text: str_field(d, "text"),
                    origin: origin.clone(),
                    raw: None,
                })
            })
            .collect();
        Set { members }
    }

    /// Predicted cluster (input index of the canonical member) per document.
    fn run(&self, cfg: &Config, threshold: Option<f64>) -> Vec<usize> {
        let mut d = cfg.dedup.clone();
        if let Some(t) = threshold {
            if SWEEP.with(|s| s.get()) {
                d.containment_threshold = Some(t);
            } else {
                d.threshold = t;
            }
        }
        cluster(&self.members, &d)
            .iter()
            .map(|v| v.cluster)
            .collect()
    }
}

struct Scores {
    precision: f64,
    recall: f64,
    f1: f64,
    ari: f64,
    kept: usize,
    gold_kept: usize,
}

/// Pairwise precision/recall/F1 and ARI, as ../shared/bench/score.py computes them.
fn pair_scores(gold: &[String], pred: &[usize]) -> Scores {
    let pairs = |n: usize| (n * n.saturating_sub(1) / 2) as f64;
    let mut cells: HashMap<(&str, usize), usize> = HashMap::new();
    let mut gs: HashMap<&str, usize> = HashMap::new();
    let mut ps: HashMap<usize, usize> = HashMap::new();
    for (g, &p) in gold.iter().zip(pred) {
        *cells.entry((g, p)).or_default() += 1;
        *gs.entry(g).or_default() += 1;
        *ps.entry(p).or_default() += 1;
    }
    let tp: f64 = cells.values().map(|&c| pairs(c)).sum();
    let gp: f64 = gs.values().map(|&c| pairs(c)).sum();
    let pp: f64 = ps.values().map(|&c| pairs(c)).sum();
    let precision = if pp > 0.0 { tp / pp } else { 1.0 };
    let recall = if gp > 0.0 { tp / gp } else { 1.0 };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    let total = pairs(gold.len());
    let expected = gp * pp / total;
    let max = (gp + pp) / 2.0;
    let ari = if max != expected {
        (tp - expected) / (max - expected)
    } else {
        1.0
    };
    Scores {
        precision,
        recall,
        f1,
        ari,
        kept: ps.len(),
        gold_kept: gs.len(),
    }
}

fn family_recall(
    gold: &[String],
    edits: &[String],
    pred: &[usize],
) -> BTreeMap<String, (usize, usize)> {
    let mut original: HashMap<&str, usize> = HashMap::new();
    for (i, e) in edits.iter().enumerate() {
        if e == "original" {
            original.insert(&gold[i], i);
        }
    }
    let mut out: BTreeMap<String, (usize, usize)> = BTreeMap::new();
    for (i, e) in edits.iter().enumerate() {
        if e == "original" || e.is_empty() {
            continue;
        }
        let Some(&o) = original.get(gold[i].as_str()) else {
            continue;
        };
        let fam = e.split(':').next().unwrap_or(e).to_owned();
        let x = out.entry(fam).or_default();
        x.0 += (pred[i] == pred[o]) as usize;
        x.1 += 1;
    }
    out
}

fn read_jsonl(path: &Path) -> Vec<Value> {
    let text = std::fs::read_to_string(path).unwrap_or_else(|e| {
        eprintln!("cannot read {}: {e}", path.display());
        std::process::exit(1);
    });
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("valid JSON line"))
        .collect()
}

fn str_field(v: &Value, k: &str) -> String {
    match &v[k] {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}
