//! `Stages`: corpus-core's dedup stages (`corpus_core::dedup::dist`) for the
//! Spark driver (`ghirbal.spark`), on batches of rows so that a call costs one
//! crossing per partition rather than per document.

use corpus_core::clean::BoilerplateModel;
use corpus_core::clean::boilerplate::DocumentLines;
use corpus_core::dedup::audit::{Audit, AuditTally, SampleInput, write_audit};
use corpus_core::dedup::dist::{Join, Joined, SHARED_ANCHORS, Stages, outcome};
use corpus_core::dedup::{Member, Reason, UnionFind, rank_of_policy_key};
use corpus_core::pipeline::{Analyzer, NoteTally, Reject, duplicate_id_error};
use corpus_core::{Config, Document, Error};
use pyo3::prelude::*;
use pyo3::pybacked::PyBackedBytes;

use crate::dedup::{Pending, documents_at, extract, place, reason_name};
use crate::errors::{ConfigError, to_py};

/// One analyzed record: (id, reject, lang, exact key, policy key, shingles,
/// band keys, anchors, member bytes). A rejected record has its reason (and the
/// error as it would be raised) and nothing after.
type Analyzed = (
    String,
    Option<(String, String)>,
    Option<&'static str>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
    Option<u32>,
    Vec<u64>,
    Vec<u32>,
    Option<Vec<u8>>,
);

/// What the boilerplate count takes of one record: (group, article, (line hash,
/// its article) per distinct line), the hashes bit for bit as signed integers
/// (Spark's).
pub(crate) type LinesOut = (String, i64, Vec<(i64, i64)>);

/// The configuration (JSON, as `resolve_config` gives it) and the boilerplate
/// model (JSON, as `Stages.boilerplate_model` gives it) a stage is built from.
pub(crate) fn config_and_model(
    config_json: &str,
    boilerplate: Option<&str>,
) -> PyResult<(Config, Option<BoilerplateModel>)> {
    let cfg: Config = serde_json::from_str(config_json)
        .map_err(|e| ConfigError::new_err(format!("configuration: {e}")))?;
    let model = boilerplate
        .map(serde_json::from_str::<BoilerplateModel>)
        .transpose()
        .map_err(|e| ConfigError::new_err(format!("boilerplate model: {e}")))?;
    Ok((cfg, model))
}

/// The records of a batch (an Arrow batch, or str and dicts read like JSON
/// Lines records), checked against their input positions `orders`.
pub(crate) fn pending_at(
    orders: &[usize],
    docs: &Bound<'_, PyAny>,
    cfg: &Config,
) -> PyResult<Vec<Pending>> {
    let pending = extract(docs, cfg)?;
    if pending.len() != orders.len() {
        return Err(ConfigError::new_err("one order per document"));
    }
    Ok(pending)
}

/// `take` of each readable record (`orders[i]` the input position of `docs[i]`),
/// `None` for a bad record: what a corpus-level count takes of the records.
pub(crate) fn of_readable<T: Send>(
    py: Python<'_>,
    cfg: &Config,
    orders: Vec<usize>,
    docs: &Bound<'_, PyAny>,
    take: impl Fn(Document) -> Option<T> + Send + Sync,
) -> PyResult<Vec<Option<T>>> {
    let pending = pending_at(&orders, docs, cfg)?;
    Ok(py.detach(|| {
        documents_at(pending, cfg, |i| orders[i])
            .into_iter()
            .map(|d| take(d.ok()?))
            .collect()
    }))
}

/// What the boilerplate count takes of each readable record, by `lines`
/// (`None` for a bad record), the hashes bit for bit as Spark's signed integers;
/// and the notes' tally of the records' groups (see `notes`).
pub(crate) fn boilerplate_lines_of(
    py: Python<'_>,
    cfg: &Config,
    orders: Vec<usize>,
    docs: &Bound<'_, PyAny>,
    lines: impl Fn(&Document) -> Option<DocumentLines> + Send + Sync,
) -> PyResult<(Vec<Option<LinesOut>>, String)> {
    let rows = of_readable(py, cfg, orders, docs, |d| {
        let (group, article, lines) = lines(&d)?;
        let lines = lines
            .into_iter()
            .map(|(h, a)| (h as i64, a as i64))
            .collect();
        Some((group, article as i64, lines))
    })?;
    let mut tally = NoteTally::default();
    for (group, ..) in rows.iter().flatten() {
        tally.add_group(group);
    }
    Ok((rows, note_json(&tally)?))
}

/// A readable record as the notes' tally takes it (each id once: not a
/// repeated id's): (input position, id, survivor-policy key as `analyze`
/// gives it, when there is one).
pub(crate) type NoteRow = (usize, String, Option<PyBackedBytes>);

fn note_json(t: &NoteTally) -> PyResult<String> {
    serde_json::to_string(t).map_err(|e| ConfigError::new_err(format!("notes tally: {e}")))
}

/// The tallies (as `note_json` wrote them) merged.
fn merged_notes(tallies: &[String]) -> PyResult<NoteTally> {
    merged_json(tallies, "notes tally", NoteTally::merge)
}

/// Tallies written as JSON, read back and merged by `merge` (`what` names
/// them in an error).
fn merged_json<T: Default + serde::de::DeserializeOwned>(
    tallies: &[String],
    what: &str,
    merge: impl Fn(&mut T, T),
) -> PyResult<T> {
    let mut tally = T::default();
    for t in tallies {
        let one =
            serde_json::from_str(t).map_err(|e| ConfigError::new_err(format!("{what}: {e}")))?;
        merge(&mut tally, one);
    }
    Ok(tally)
}

/// The notes' tally of readable records (JSON, see `notes`).
pub(crate) fn tally_notes_of(cfg: &Config, rows: &[NoteRow]) -> PyResult<String> {
    let mut tally = NoteTally::default();
    for (at, id, pkey) in rows {
        let rank = pkey
            .as_deref()
            .and_then(|k| rank_of_policy_key(k, &cfg.dedup.survivor))
            .flatten();
        tally.add_record(*at as u64, id, &place(*at), rank.as_ref());
    }
    note_json(&tally)
}

/// The notes of a job under `cfg` from its tallies, as the in-memory jobs
/// give them (and Python warns them).
pub(crate) fn notes_of(cfg: &Config, tallies: &[String]) -> PyResult<Vec<String>> {
    Ok(merged_notes(tallies)?.notes(cfg))
}

/// A group's boilerplate counts: (name, distinct articles, distinct lines, the
/// line hashes, as Spark's signed integers, that occur in enough of its articles).
pub(crate) type GroupCounts = (String, u64, u64, Vec<i64>);

/// The boilerplate model (JSON) of `cfg` from the groups' counts.
pub(crate) fn boilerplate_model_of(cfg: &Config, groups: Vec<GroupCounts>) -> PyResult<String> {
    let model = BoilerplateModel::from_counts(
        &cfg.clean.boilerplate,
        groups.into_iter().map(|(name, docs, distinct, lines)| {
            (
                name,
                docs,
                distinct,
                lines.into_iter().map(|h| h as u64).collect(),
            )
        }),
    );
    serde_json::to_string(&model)
        .map_err(|e| ConfigError::new_err(format!("boilerplate model: {e}")))
}

/// A verified pair that joins: (a, b, link, similarity, Jaccard), `a` the
/// smaller id; `link` is a reason (`near_duplicate`, `containment`) when either
/// may go, else `only_a` / `only_b`.
type PairOut = (String, String, String, f64, f64);

/// Where a representative went: (id, to, similarity, reason); the last two are
/// `None` in components mode until `component_link` gives them.
type Went = (String, String, Option<f64>, Option<String>);

/// The dedup stages of one resolved configuration.
#[pyclass(name = "Stages", module = "ghirbal._core", frozen)]
pub struct PyStages {
    cfg: Config,
    analyzer: Analyzer,
    stages: Stages,
    /// `clean.boilerplate.in_dedup` is on and no model was given: documents
    /// cannot be analyzed yet.
    wants_model: bool,
}

fn reason_of(name: &str) -> PyResult<Reason> {
    serde_json::from_value(serde_json::Value::String(name.to_owned()))
        .map_err(|_| ConfigError::new_err(format!("unknown reason {name:?}")))
}

fn joined_of(link: &str) -> PyResult<Joined> {
    Ok(match link {
        "only_a" => Joined::OnlyA,
        "only_b" => Joined::OnlyB,
        r => Joined::Both(reason_of(r)?),
    })
}

fn tally_json(t: &AuditTally) -> corpus_core::Result<String> {
    serde_json::to_string(t).map_err(|e| Error::Invariant(format!("audit tally: {e}")))
}

/// The tallies (as `tally_json` wrote them) merged.
fn merged(tallies: &[String]) -> PyResult<AuditTally> {
    merged_json(tallies, "audit tally", AuditTally::merge)
}

fn rejected(e: &Error) -> Option<(String, String)> {
    Reject::from_error(e).map(|r| (r.reason, e.to_string()))
}

/// A batch's records as rows: `row` of each readable one, `bad` of the (reason,
/// error as raised) of one the job rejects; any other error stops the batch.
pub(crate) fn rows_of<D, T>(
    docs: impl IntoIterator<Item = corpus_core::Result<D>>,
    row: impl Fn(D) -> T,
    bad: impl Fn((String, String)) -> T,
) -> corpus_core::Result<Vec<T>> {
    docs.into_iter()
        .map(|d| match d {
            Ok(doc) => Ok(row(doc)),
            Err(e) => rejected(&e).map(&bad).ok_or(e),
        })
        .collect()
}

impl PyStages {
    fn ready(&self) -> PyResult<()> {
        if self.wants_model {
            return Err(ConfigError::new_err(
                "clean.boilerplate.in_dedup: documents are analyzed with the corpus' \
                 boilerplate model, which was not given",
            ));
        }
        Ok(())
    }
}

#[pymethods]
impl PyStages {
    /// The stages for a configuration as `resolve_config` gives it (JSON), and
    /// under `clean.boilerplate.in_dedup` the corpus' boilerplate model (as
    /// `boilerplate_model` gives it), without which documents cannot be
    /// analyzed.
    #[new]
    #[pyo3(signature = (config_json, boilerplate = None))]
    fn new(config_json: &str, boilerplate: Option<&str>) -> PyResult<Self> {
        let (cfg, model) = config_and_model(config_json, boilerplate)?;
        let stages = Stages::new(&cfg).map_err(to_py)?;
        let mut analyzer = Analyzer::new(&cfg).map_err(to_py)?;
        let wants_model = cfg.clean.boilerplate_in_dedup() && model.is_none();
        if let Some(model) = model {
            analyzer
                .learn_boilerplate(&cfg, |_| Ok(model))
                .map_err(to_py)?;
        }
        Ok(PyStages {
            cfg,
            analyzer,
            stages,
            wants_model,
        })
    }

    /// Whether documents need the corpus' boilerplate model first
    /// (`clean.boilerplate.in_dedup`, none given).
    #[getter]
    fn wants_boilerplate(&self) -> bool {
        self.wants_model
    }

    /// What the boilerplate count takes of each readable record (as `analyze`
    /// takes them): (group, article, (line hash, its article) per distinct line),
    /// the hashes as signed 64-bit integers; `None` for a bad record. Beside
    /// them, the notes' tally of their groups (see `notes`).
    fn boilerplate_lines(
        &self,
        py: Python<'_>,
        orders: Vec<usize>,
        docs: &Bound<'_, PyAny>,
    ) -> PyResult<(Vec<Option<LinesOut>>, String)> {
        boilerplate_lines_of(py, &self.cfg, orders, docs, |d| {
            self.analyzer.boilerplate_lines(&self.cfg, d)
        })
    }

    /// Distinct articles of a group of `docs` articles a line must occur in to be
    /// boilerplate.
    fn boilerplate_need(&self, docs: u64) -> u64 {
        self.cfg.clean.boilerplate.need(docs)
    }

    /// The boilerplate model (JSON, for `Stages(config, boilerplate)`) from
    /// counts: per group (name, distinct articles, distinct lines, the line
    /// hashes that occur in at least `boilerplate_need` of its articles).
    fn boilerplate_model(&self, groups: Vec<GroupCounts>) -> PyResult<String> {
        boilerplate_model_of(&self.cfg, groups)
    }

    /// The notes' tally (JSON) of readable records, each id once (not a
    /// repeated id's rows): (input position, id, policy key as `analyze` gives
    /// it).
    fn tally_notes(&self, rows: Vec<NoteRow>) -> PyResult<String> {
        tally_notes_of(&self.cfg, &rows)
    }

    /// Notes' tallies (of records, of groups) merged into one.
    #[staticmethod]
    fn merge_notes(tallies: Vec<String>) -> PyResult<String> {
        note_json(&merged_notes(&tallies)?)
    }

    /// The job's notes from the tallies of its records (`tally_notes`) and,
    /// when counted, of their groups (`boilerplate_lines`): what `dedup` warns
    /// on the same records, in the same words.
    fn notes(&self, tallies: Vec<String>) -> PyResult<Vec<String>> {
        notes_of(&self.cfg, &tallies)
    }

    /// Anchors two representatives must share to become a candidate.
    #[classattr]
    const SHARED_ANCHORS: usize = SHARED_ANCHORS;

    /// Analyzes records (str, or dicts read like JSON Lines records); `orders[i]`
    /// is the input position `N` of `docs[i]` (errors name it `docs[N]`, and so
    /// is a record without an id).
    fn analyze(
        &self,
        py: Python<'_>,
        orders: Vec<usize>,
        docs: &Bound<'_, PyAny>,
    ) -> PyResult<Vec<Analyzed>> {
        self.ready()?;
        let pending = pending_at(&orders, docs, &self.cfg)?;
        let out = py.detach(|| {
            rows_of(
                documents_at(pending, &self.cfg, |i| orders[i]),
                |doc| {
                    let (m, lang) = self.analyzer.member_and_language(&doc);
                    (
                        m.id.clone(),
                        None,
                        Some(lang),
                        Some(m.sketch.exact.to_le_bytes().to_vec()),
                        Some(self.stages.policy_key(&m)),
                        Some(m.sketch.shingles),
                        self.stages.band_keys(&m),
                        self.stages.anchors(&m).to_vec(),
                        Some(self.stages.encode(&m)),
                    )
                },
                |r| {
                    (
                        String::new(),
                        Some(r),
                        None,
                        None,
                        None,
                        None,
                        vec![],
                        vec![],
                        None,
                    )
                },
            )
        });
        out.map_err(to_py)
    }

    /// The reject of the record at `order` whose id was first seen at `first`:
    /// (reason, error as raised).
    fn duplicate_id(&self, id: &str, order: usize, first: usize) -> (String, String) {
        let e = duplicate_id_error(id, &place(order), &place(first));
        rejected(&e).unwrap_or_default()
    }

    /// Candidate pairs from groups, each the (ids, shingle counts) of one LSH
    /// bucket's members when `anchors` is false, else of one anchor group's (a
    /// pair is a candidate when it comes out of `SHARED_ANCHORS` groups), in any
    /// order. Pairs of ids, the smaller first.
    fn pairs(
        &self,
        py: Python<'_>,
        groups: Vec<(Vec<String>, Vec<u32>)>,
        anchors: bool,
    ) -> PyResult<Vec<(String, String)>> {
        py.detach(|| {
            let mut out = Vec::new();
            for (ids, shingles) in &groups {
                if ids.len() != shingles.len() {
                    return Err(ConfigError::new_err("one shingle count per id"));
                }
                let items: Vec<(&str, u32)> = ids
                    .iter()
                    .map(String::as_str)
                    .zip(shingles.iter().copied())
                    .collect();
                let pairs = if anchors {
                    self.stages.anchor_pairs(&items)
                } else {
                    self.stages.bucket_pairs(&items)
                };
                out.extend(
                    pairs
                        .into_iter()
                        .map(|(a, b)| (ids[a].clone(), ids[b].clone())),
                );
            }
            Ok(out)
        })
    }

    /// Verifies candidate pairs given as the two members' bytes (the smaller id
    /// first); returns the pairs that join, and the audit's tally of every
    /// check (see `audit`).
    fn check(
        &self,
        py: Python<'_>,
        pairs: Vec<(PyBackedBytes, PyBackedBytes)>,
    ) -> PyResult<(Vec<PairOut>, String)> {
        py.detach(|| {
            let mut out = Vec::new();
            let mut tally = AuditTally::default();
            for (a, b) in &pairs {
                let (a, b) = (self.stages.decode(a)?, self.stages.decode(b)?);
                let (check, joined) = self.stages.check(&a, &b)?;
                tally.add_pair(&check);
                if let Some(Join { link, sim, jaccard }) = joined {
                    let link = match link {
                        Joined::Both(r) => reason_name(r),
                        Joined::OnlyA => "only_a".into(),
                        Joined::OnlyB => "only_b".into(),
                    };
                    out.push((a.id, b.id, link, sim, jaccard));
                }
            }
            Ok((out, tally_json(&tally)?))
        })
        .map_err(to_py)
    }

    /// The audit's tally of clusters given as (canonical id, size, smallest
    /// similarity of a member to the survivor).
    #[staticmethod]
    fn tally_clusters(rows: Vec<(String, usize, f64)>) -> PyResult<String> {
        let mut tally = AuditTally::default();
        for (id, size, weakest) in &rows {
            tally.add_cluster(id, *size, *weakest);
        }
        tally_json(&tally).map_err(to_py)
    }

    /// Tallies (of checks or of clusters) merged into one.
    #[staticmethod]
    fn merge_tallies(tallies: Vec<String>) -> PyResult<String> {
        tally_json(&merged(&tallies)?).map_err(to_py)
    }

    /// The canonical ids of the clusters `audit.json` samples, from the tallies
    /// of every check and every cluster.
    #[staticmethod]
    fn audit_sample(tallies: Vec<String>) -> PyResult<Vec<String>> {
        Ok(merged(&tallies)?
            .sample()
            .into_iter()
            .map(|(id, ..)| id)
            .collect())
    }

    /// Writes `audit.json` to `path` from the tallies of every check and every
    /// cluster, and the members of the sampled clusters: their records (as
    /// `analyze` takes them, at `orders`) and verdicts (canonical id, kept,
    /// reason, similarity).
    fn audit(
        &self,
        py: Python<'_>,
        path: std::path::PathBuf,
        tallies: Vec<String>,
        orders: Vec<usize>,
        docs: &Bound<'_, PyAny>,
        verdicts: Vec<(String, bool, String, f64)>,
    ) -> PyResult<()> {
        self.ready()?;
        let tally = merged(&tallies)?;
        let pending = extract(docs, &self.cfg)?;
        if pending.len() != orders.len() || pending.len() != verdicts.len() {
            return Err(ConfigError::new_err(
                "one order and one verdict per document",
            ));
        }
        let reasons = verdicts
            .iter()
            .map(|v| reason_of(&v.2))
            .collect::<PyResult<Vec<Reason>>>()?;
        py.detach(|| {
            let docs = documents_at(pending, &self.cfg, |i| orders[i])
                .into_iter()
                .collect::<corpus_core::Result<Vec<_>>>()?;
            let (members, keys): (Vec<Member>, Vec<String>) =
                docs.iter().map(|d| self.analyzer.member_and_key(d)).unzip();
            let sample = tally.sample();
            let mut lists: Vec<Vec<SampleInput<'_>>> = sample.iter().map(|_| Vec::new()).collect();
            for (i, m) in members.iter().enumerate() {
                let (cluster, kept, _, similarity) = &verdicts[i];
                if let Some(k) = sample.iter().position(|s| &s.0 == cluster) {
                    lists[k].push(SampleInput {
                        key: i,
                        id: &m.id,
                        kept: *kept,
                        reason: reasons[i],
                        similarity: *similarity,
                        sketch: &m.sketch,
                    });
                }
            }
            let mut audit = Audit::assemble(&tally, &self.cfg.dedup, self.stages.lsh(), lists);
            for (i, (key, doc)) in keys.iter().zip(&docs).enumerate() {
                if audit.wants(i) {
                    audit.observe(i, &doc.text, self.analyzer.sketcher().shingle_set(key));
                }
            }
            audit.finish();
            write_audit(&path, &audit)
        })
        .map_err(to_py)
    }

    /// Assignment (star, or components): `keys` are (id, policy key) of the
    /// representatives in some joined pair, `pairs` those pairs as `check`
    /// returns them. Returns (id, went to, similarity, reason) for each one
    /// removed; in components mode the last two are `None` (see
    /// `component_link`).
    fn assign(
        &self,
        py: Python<'_>,
        keys: Vec<(String, PyBackedBytes)>,
        pairs: Vec<PairOut>,
    ) -> PyResult<Vec<Went>> {
        let index: std::collections::HashMap<&str, usize> = keys
            .iter()
            .enumerate()
            .map(|(i, (id, _))| (id.as_str(), i))
            .collect();
        let at = |id: &str| {
            index
                .get(id)
                .copied()
                .ok_or_else(|| ConfigError::new_err(format!("no policy key for {id:?}")))
        };
        let mut edges = Vec::with_capacity(pairs.len());
        for (a, b, link, sim, jaccard) in &pairs {
            let join = Join {
                link: joined_of(link)?,
                sim: *sim,
                jaccard: *jaccard,
            };
            edges.push((at(a)?, at(b)?, join));
        }
        let pkeys: Vec<Vec<u8>> = keys.iter().map(|(_, k)| k.to_vec()).collect();
        let went = py
            .detach(|| self.stages.assign(&pkeys, &edges))
            .map_err(to_py)?;
        Ok(went
            .into_iter()
            .enumerate()
            .filter(|&(i, (p, _))| p != i)
            .map(|(i, (p, link))| {
                let (sim, r) = link.map_or((None, None), |(s, r)| (Some(s), Some(reason_name(r))));
                (keys[i].0.clone(), keys[p].0.clone(), sim, r)
            })
            .collect())
    }

    /// In components mode, (similarity, reason) of each member (first bytes) to
    /// its component's survivor (second bytes).
    fn component_link(
        &self,
        py: Python<'_>,
        pairs: Vec<(PyBackedBytes, PyBackedBytes)>,
    ) -> PyResult<Vec<(f64, String)>> {
        py.detach(|| {
            pairs
                .iter()
                .map(|(m, s)| {
                    let (m, s) = (self.stages.decode(m)?, self.stages.decode(s)?);
                    let (sim, r) = self.stages.component_link(&m, &s);
                    Ok((sim, reason_name(r)))
                })
                .collect::<corpus_core::Result<Vec<_>>>()
        })
        .map_err(to_py)
    }

    /// Connected components of pairs of ids: (id, smallest id of its component)
    /// for every id in a pair.
    #[staticmethod]
    fn components(py: Python<'_>, pairs: Vec<(String, String)>) -> Vec<(String, String)> {
        py.detach(|| {
            let mut ids: Vec<&str> = pairs
                .iter()
                .flat_map(|(a, b)| [a.as_str(), b.as_str()])
                .collect();
            ids.sort_unstable();
            ids.dedup();
            let at = |id: &str| ids.binary_search(&id).unwrap_or_default() as u32;
            // The smaller root wins: in id order, the root is the smallest id.
            let mut uf = UnionFind::new(ids.len());
            for (a, b) in &pairs {
                uf.union(at(a), at(b));
            }
            (0..ids.len() as u32)
                .map(|i| {
                    (
                        ids[i as usize].to_owned(),
                        ids[uf.find(i) as usize].to_owned(),
                    )
                })
                .collect()
        })
    }

    /// Where documents end: rows (is champion, where the champion went as
    /// (similarity, reason) or None); returns (root: 0 the document, 1 its
    /// champion, 2 where the champion went; similarity; reason).
    fn settle(
        &self,
        rows: Vec<(bool, Option<(f64, String)>)>,
    ) -> PyResult<Vec<(u32, f64, String)>> {
        rows.into_iter()
            .map(|(is_champion, went)| {
                let went = went
                    .map(|(s, r)| reason_of(&r).map(|r| (s, r)))
                    .transpose()?;
                let (root, sim, r) = self.stages.settle(is_champion, went);
                Ok((root, sim, reason_name(r)))
            })
            .collect()
    }

    /// Verdicts: rows (is root, cluster size, same key text as the root,
    /// similarity, reason); returns (kept, reason, similarity).
    fn outcome(
        &self,
        rows: Vec<(bool, u32, bool, f64, String)>,
    ) -> PyResult<Vec<(bool, String, f64)>> {
        rows.into_iter()
            .map(|(is_root, size, same_key, sim, r)| {
                let (kept, r, sim) = outcome(is_root, size, same_key, sim, reason_of(&r)?);
                Ok((kept, reason_name(r), sim))
            })
            .collect()
    }
}
