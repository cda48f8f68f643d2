#!/usr/bin/env bash
# End-to-end speed and accuracy of `ghirbal dedup` against the peer tools, on one
# JSONL file, interleaved runs, medians, P/R/F1 from the same runs.
#
#   PY=/tmp/peers/bin/python benches/compare_peers.sh INPUT.jsonl [OUT_DIR]
#
# Environment: RUNS (default 3), THREADS (ghirbal thread counts, default "1 2"),
# TOOLS (peers, default "datasketch rensa datatrove"), SHARED (default ../shared),
# GHIRBAL (a prebuilt binary; default: cargo build --release -p corpus-cli),
# PEERS_WORK=1 (also ghirbal with benches/peers_work.toml at each thread count:
# the peers' work, no cleaning, no containment, verification on the estimates).
# The peers venv is set up as ../shared/bench/README.md says. Labels are read from
# INPUT.labels.jsonl when it exists (gen_corpus.py writes it).
# Writes OUT_DIR/results/<tool>.<run>.json and OUT_DIR/compare.md.
# The harness's wall time of a `cmd` tool includes reading our clusters and then the
# whole input again in Python (to list the ids); ghirbal's own wall time and peak RSS
# (`/usr/bin/time`) are reported beside it, and the speed-ups are given for both.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
input=$(realpath "$1")
out=$(realpath -m "${2:-compare-out}")
PY=${PY:-python3}
RUNS=${RUNS:-3}
THREADS=${THREADS:-"1 2"}
TOOLS=${TOOLS:-"datasketch rensa datatrove"}
SHARED=${SHARED:-$repo/../shared}
if [ -z "${GHIRBAL:-}" ]; then
  (cd "$repo" && cargo build --release -q -p corpus-cli)
  GHIRBAL=$repo/target/release/ghirbal
fi
labels=()
[ -f "$input.labels.jsonl" ] && labels=(--labels "$input.labels.jsonl")
mkdir -p "$out/results" "$out/logs"

for run in $(seq 1 "$RUNS"); do
  # Interleaved: every tool once per round, so load changes hit all of them alike.
  for t in $THREADS; do
    for variant in default ${PEERS_WORK:+peers-work}; do
      name=ghirbal-t$t
      extra=""
      if [ "$variant" = peers-work ]; then
        name=ghirbal-peers-work-t$t
        extra="--config $repo/benches/peers_work.toml"
      fi
      echo "== round $run: $name" >&2
      "$PY" "$SHARED/bench/run_peer.py" --tool cmd --cmd-name "$name" \
        --cmd "/usr/bin/time -o $out/logs/$name.$run.time -f '%e %M' $GHIRBAL dedup {input} --output {workdir}/o --threads $t --quiet $extra && cp {workdir}/o/clusters.jsonl {output}" \
        --input "$input" --out "$out/logs/$name.clusters.jsonl" "${labels[@]}" \
        --save "$out/results/$name.$run.json" > /dev/null 2> "$out/logs/$name.$run.log"
    done
  done
  for tool in $TOOLS; do
    echo "== round $run: $tool" >&2
    "$PY" "$SHARED/bench/run_peer.py" --tool "$tool" --input "$input" \
      --out "$out/logs/$tool.clusters.jsonl" "${labels[@]}" \
      --save "$out/results/$tool.$run.json" > /dev/null 2> "$out/logs/$tool.$run.log" \
      || echo "!! $tool failed (see $out/logs/$tool.$run.log)" >&2
  done
done

"$PY" - "$out" "$input" <<'PYEOF'
import glob, json, os, statistics, sys, platform
out, inp = sys.argv[1], sys.argv[2]
runs = {}
for p in sorted(glob.glob(os.path.join(out, "results", "*.json"))):
    tool = os.path.basename(p).rsplit(".", 2)[0]
    runs.setdefault(tool, []).append(json.load(open(p)))
med = lambda xs: statistics.median(xs) if xs else float("nan")
rows = {}
for tool, rs in runs.items():
    s = rs[0].get("score", {})
    rows[tool] = dict(
        n=len(rs), wall=med([r["wall_s"] for r in rs]), mbs=med([r["mb_per_s"] for r in rs]),
        dps=med([r["docs_per_s"] for r in rs]), rss=med([r["peak_tree_rss_mb"] for r in rs]),
        rss1=med([r["peak_rss_mb"] for r in rs]),
        docs=rs[0]["docs"], mb=rs[0]["mb"],
        p=[r.get("score", {}).get("pair_precision") for r in rs],
        r=[r.get("score", {}).get("pair_recall") for r in rs],
        f1=s.get("pair_f1"), version=rs[0].get("version", ""))
def own(tool):
    """Medians of ghirbal's own wall time and peak RSS (MB), from /usr/bin/time."""
    ts = []
    for p in sorted(glob.glob(os.path.join(out, "logs", f"{tool}.*.time"))):
        parts = open(p).read().split()
        if len(parts) >= 2:
            ts.append((float(parts[-2]), float(parts[-1]) / 1024))
    if not ts:
        return None
    return med([t[0] for t in ts]), med([t[1] for t in ts])
for tool in rows:
    rows[tool]["own"] = own(tool) if tool.startswith("ghirbal") else None
best = min((v["wall"] for k, v in rows.items() if k.startswith("ghirbal-t2")), default=None)
best_own = min((v["own"][0] for k, v in rows.items() if k.startswith("ghirbal-t2") and v["own"]), default=None)
work = rows.get("ghirbal-peers-work-t2")
work_own = work["own"][0] if work and work["own"] else None
lines = [f"# ghirbal vs peers on {os.path.basename(inp)}", "",
         f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores; medians of interleaved runs; "
         "P/R from the same runs (min–max over runs when they differ). For ghirbal the process tree "
         "includes run_peer.py's own Python process (its largest process is usually that one).", "",
         "| tool | runs | docs | MB | wall s (harness) | ghirbal's own wall s / peak RSS MB | docs/s | MB/s | peak RSS MB (largest process / tree) | tree RSS KB/doc | P | R | F1 | ghirbal-t2 speed-up (harness / own wall) |"
         + (" ghirbal-peers-work-t2 speed-up (own wall) |" if work_own else ""),
         "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|" + ("---|" if work_own else "")]
def rng(xs):
    xs = [x for x in xs if x is not None]
    if not xs: return ""
    return f"{min(xs)}" if min(xs) == max(xs) else f"{min(xs)}–{max(xs)}"
for tool in sorted(rows, key=lambda k: (not k.startswith("ghirbal"), k)):
    v = rows[tool]
    up = f"{v['wall'] / best:.1f}×" if best and not tool.startswith("ghirbal") else ""
    if up and best_own:
        up += f" / {v['wall'] / best_own:.1f}×"
    ow = f"{v['own'][0]:.2f} / {v['own'][1]:.0f}" if v["own"] else ""
    lines.append(f"| {tool} | {v['n']} | {v['docs']} | {v['mb']} | {v['wall']:.3f} | {ow} | {v['dps']:.0f} | {v['mbs']:.1f} | "
                 f"{v['rss1']:.0f} / {v['rss']:.0f} | {v['rss'] * 1024 / max(v['docs'], 1):.2f} | {rng(v['p'])} | {rng(v['r'])} | {v['f1'] or ''} | {up} |"
                 + ((f" {v['wall'] / work_own:.1f}× |" if not tool.startswith("ghirbal") else " |") if work_own else ""))
open(os.path.join(out, "compare.md"), "w").write("\n".join(lines) + "\n")
print("\n".join(lines))
PYEOF
