"""Planted one-sided groups of several shapes: how well each per-row signal finds them.

    python bench/planted_shapes.py            # the whole table (about 5 minutes on 2 cores)
    python bench/planted_shapes.py --quick    # one size per shape

Each case puts ordinary rows on both sides and plants a group that only one side has:

- ordinary rows: Rotten Tomatoes critic snippets the reference case does not use (real), against
  more of the same snippets ("real vs real": the sides differ only by the group) or against
  FewGen's generated reviews ("real vs FewGen": the sides also differ in style everywhere);
- the group: text synth-quality makes itself (``synth_quality.selftest.texts``): reviews of
  things other than films (restaurants, hotels, books...; "near": review-like, in the critics'
  style) or sentences on unrelated topics (cooking, finance, weather...; "far"), either one kind
  only ("tight") or every kind mixed ("spread"), of 20, 120 or 500 rows;
- on the real side (a real mode the generator misses) or the synthetic side (content the real
  data does not have), with the sides at 1 : 8 and 8 : 1 (800 and 6,400 ordinary rows).

For the group's side it prints the AUROC of "this row is planted" for: ``coverage_score`` (low
= planted; the audit's own code: neighbour graph, shuffled-label null, p-values), the plain
cosine similarity to the nearest row of the other side (the baseline), the label issue score
of the out-of-fold classifier, and the kNN outlier score (``knn_distance``, cleanlab Datalab's
mean distance to the 10 nearest rows); and the share of planted rows flagged ``is_uncovered``
by their own evidence (the audit adds one-sided regions, which need UMAP, not run here) next to
the share of ordinary rows of that side flagged. Results go to bench/results/planted_shapes.md.
"""

from __future__ import annotations

import argparse
import itertools
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
RAW = REPO.parent / "shared" / "data" / "raw"
CASES = REPO.parent / "shared" / "data" / "cases"
SMALL, LARGE = 800, 6400


def held_out_real() -> list[str]:
    import pandas as pd

    used = set()
    for name, enc in (("rt_real.csv", "utf-8"), ("rt_eval.csv", "cp1252")):
        used.update(pd.read_csv(CASES / name, encoding=enc)["text"].astype(str).str.strip())
    texts = []
    for name in ("rt-polarity.pos", "rt-polarity.neg"):
        texts += [t.strip() for t in (RAW / name).read_text(encoding="cp1252").splitlines()
                  if t.strip() and t.strip() not in used]
    rng = np.random.default_rng(15)
    texts = sorted(set(texts))
    return [texts[i] for i in rng.permutation(len(texts))]


def fewgen() -> list[str]:
    rows = json.loads((RAW / "fewgen_sst2_seed13.json").read_text(encoding="utf-8"))
    rng = np.random.default_rng(16)
    texts = sorted({r["text"].strip() for r in rows if r["text"].strip()})
    return [texts[i] for i in rng.permutation(len(texts))]


def group_texts(kind: str, shape: str, size: int, seed: int) -> list[str]:
    from synth_quality.selftest import texts

    if shape == "spread":
        return texts.mixed("off_topic" if kind == "far" else "other_reviews", size, seed)
    if kind == "far":
        return texts.off_topic(texts.off_topic_domains()[seed % 12], size, seed)
    return texts.other_review(texts.review_things()[seed % 8], size, seed)


def embed(all_texts: list[str]) -> dict[str, np.ndarray]:
    from synth_quality.config import EmbedConfig
    from synth_quality.embed.api import embed_texts

    unique = list(dict.fromkeys(all_texts))
    X, _ = embed_texts(unique, EmbedConfig())
    return dict(zip(unique, X))


def score_case(X: np.ndarray, n_real: int, planted: np.ndarray, side: str) -> dict:
    """AUROCs and flag shares on the planted group's side, with the audit's own functions."""
    from sklearn.metrics import roc_auc_score

    from synth_quality.analysis.coverage import (coverage_pvalues, flags_per_side,
                                                 graph_statistic, permutation_null)
    from synth_quality.analysis.detect import out_of_fold_p_synthetic
    from synth_quality.analysis.scores import outlier_scores
    from synth_quality.config import AuditConfig
    from synth_quality.graph.knn import build_neighbor_graph

    config = AuditConfig()
    graph = build_neighbor_graph(X, n_real, 14, config.score.manifold_k)
    null = permutation_null(X, n_real, config.score.manifold_k, config.reference.repeats,
                            config.reference.calibration_rows, 0)
    coverage = coverage_pvalues(graph_statistic(graph, n_real), n_real, null)
    flags = flags_per_side(coverage, n_real, config.reference.fdr)
    is_syn = np.arange(len(X)) >= n_real
    p_syn = out_of_fold_p_synthetic(X, is_syn, 5, 1.0, 0)
    label_issue = np.where(is_syn, 1 - p_syn, p_syn)
    knn_distance = outlier_scores(graph, config.score.k_neighbors, config.score.outlier_fence)[0]
    mine = is_syn == (side == "synthetic")
    y = planted[mine]

    def auroc(score_high_is_planted):
        return float(roc_auc_score(y, score_high_is_planted[mine]))

    return {"coverage_score": auroc(-coverage), "plain_similarity": auroc(-graph.other_similarity),
            "label_issue": auroc(-label_issue), "knn_outlier": auroc(knn_distance),
            "flagged_planted": float(flags[mine][y].mean()),
            "flagged_ordinary": float(flags[mine][~y].mean())}


def cases(quick: bool):
    sizes = {"tight": [20, 120] if quick else [20, 120, 500],
             "spread": [120] if quick else [20, 120, 500]}
    for base, kind, shape in itertools.product(("real vs real", "real vs FewGen"),
                                               ("near", "far"), ("tight", "spread")):
        for size, side, ratio in itertools.product(sizes[shape], ("real", "synthetic"),
                                                   ("1:8", "8:1")):
            yield base, kind, shape, size, side, ratio


def build(base, kind, shape, size, side, ratio, real_pool, fake_pool, seed):
    n_real, n_syn = (SMALL, LARGE) if ratio == "1:8" else (LARGE, SMALL)
    real = real_pool[:n_real]
    synthetic = (real_pool[n_real:n_real + n_syn] if base == "real vs real"
                 else fake_pool[:n_syn])
    group = group_texts(kind, shape, size, seed)
    if side == "real":
        texts = real + group + synthetic
        planted = np.r_[np.zeros(n_real, bool), np.ones(size, bool), np.zeros(n_syn, bool)]
        return texts, n_real + size, planted
    texts = real + synthetic + group
    planted = np.r_[np.zeros(n_real + n_syn, bool), np.ones(size, bool)]
    return texts, n_real, planted


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true")
    args = parser.parse_args()
    real_pool, fake_pool = held_out_real(), fewgen()
    all_cases = list(cases(args.quick))
    built = [build(*c, real_pool, fake_pool, seed=i) for i, c in enumerate(all_cases)]
    t0 = time.perf_counter()
    vectors = embed([t for texts, _, _ in built for t in texts])
    print(f"embedded {len(vectors):,} texts in {time.perf_counter() - t0:.0f} s", flush=True)
    rows = []
    for case, (texts, n_real, planted) in zip(all_cases, built):
        X = np.stack([vectors[t] for t in texts]).astype(np.float32)
        result = score_case(X, n_real, planted, case[4])
        rows.append((case, result))
        base, kind, shape, size, side, ratio = case
        print(f"{base:14s} {kind:4s} {shape:6s} {size:4d} {side:9s} {ratio}  "
              + "  ".join(f"{k} {v:.3f}" for k, v in result.items()), flush=True)
    write(rows)


def write(rows) -> None:
    keys = ["coverage_score", "plain_similarity", "label_issue", "knn_outlier"]
    lines = ["| ordinary rows | group | shape | rows | side | real : synthetic | "
             "`coverage_score` | plain similarity | label issue | kNN outlier | flagged (planted "
             "/ ordinary) |", "|" + "---|" * 11]
    wins = 0
    for (base, kind, shape, size, side, ratio), r in rows:
        best = r["coverage_score"] >= r["plain_similarity"]
        wins += best
        cells = [f"**{r[k]:.3f}**" if k == "coverage_score" and best else f"{r[k]:.3f}"
                 for k in keys]
        lines.append(f"| {base} | {kind} | {shape} | {size} | {side} | {ratio} | "
                     + " | ".join(cells)
                     + f" | {r['flagged_planted']:.0%} / {r['flagged_ordinary']:.1%} |")
    summary = {k: float(np.mean([r[k] for _, r in rows])) for k in keys}
    lowest = {k: float(np.min([r[k] for _, r in rows])) for k in keys}
    lines += ["", f"`coverage_score` at or above the plain similarity in {wins} of {len(rows)} "
              "cases. Mean AUROC: " + ", ".join(f"{k} {v:.3f}" for k, v in summary.items())
              + "; lowest: " + ", ".join(f"{k} {v:.3f}" for k, v in lowest.items()) + ".",
              f"Host: {platform.processor() or platform.machine()}, Python "
              f"{platform.python_version()}."]
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "planted_shapes.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
