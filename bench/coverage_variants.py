"""Variants of the coverage statistic on bench/planted_shapes.py's 96 planted shapes.

    python bench/coverage_variants.py [--backend fused|onnx-int8]

Prints, per shape, the AUROC of "this row is planted" on the group's side for the plain
nearest-other-side distance (``base_d1``, the baseline), the audit's statistic (``cur``,
synth_quality.analysis.coverage.coverage_statistic) and variants of it; then per side and
overall: the mean AUROC and in how many shapes each is at or above the baseline. A p-value is
monotone in its statistic within a side, so a statistic's AUROC is its ``coverage_score``'s
(no permutation null is needed here). Results and what they decided: docs/benchmarks.md,
"Planted one-sided groups".
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import planted_shapes as ps


def variants(graph, n_real: int) -> dict[str, np.ndarray]:
    """Each variant's statistic for every row (high = the other side stays away)."""
    n = len(graph.own_radius)
    is_real = np.arange(n) < n_real
    top = graph.other_top.astype(np.float64)
    d1 = np.maximum(1 - graph.other_similarity.astype(np.float64), 1e-6)
    d3 = np.maximum(1 - np.nanmean(top[:, :3], axis=1), 1e-6)
    d5 = np.maximum(1 - np.nanmean(top, axis=1), 1e-6)
    rho = np.maximum(1 - graph.own_radius.astype(np.float64), 1e-6)
    finite = np.isfinite(rho)
    rel5 = np.where(finite, np.log(d5 / rho), 0)
    rel3 = np.where(finite, np.log(d3 / rho), 0)
    return {
        "base_d1": np.log(d1),
        "cur": np.log(d5) + np.where(is_real, 0.5 * rel5, 0),
        "syn_d1": np.where(is_real, np.log(d5) + 0.5 * rel5, np.log(d1)),
        "all_d3": np.log(d3) + np.where(is_real, 0.5 * rel3, 0),
        "cur_w025": np.log(d5) + np.where(is_real, 0.25 * rel5, 0),
        "v1_d1abs": np.log(d1) + np.where(is_real, 0.5 * rel5, 0),
        "v3_mix": 0.5 * (np.log(d1) + np.log(d5)) + np.where(is_real, 0.5 * rel5, 0),
        "v4_synmix": np.log(d5) + np.where(is_real, 0.5 * rel5, 0.5 * (np.log(d1) - np.log(d5))),
    }


def main() -> None:
    from sklearn.metrics import roc_auc_score

    from synth_quality.config import EmbedConfig
    from synth_quality.embed.api import embed_texts
    from synth_quality.graph.knn import build_neighbor_graph

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", default="fused")
    args = parser.parse_args()
    real_pool, fake_pool = ps.held_out_real(), ps.fewgen()
    cases = list(ps.cases(False))
    built = [ps.build(*c, real_pool, fake_pool, seed=i) for i, c in enumerate(cases)]
    unique = list(dict.fromkeys(t for texts, _, _ in built for t in texts))
    t0 = time.perf_counter()
    vectors, _ = embed_texts(unique, EmbedConfig(backend=args.backend))
    vec = dict(zip(unique, vectors))
    print(f"embedded {len(unique):,} texts in {time.perf_counter() - t0:.0f} s", flush=True)
    rows = []
    for case, (texts, n_real, planted) in zip(cases, built):
        X = np.stack([vec[t] for t in texts]).astype(np.float32)
        graph = build_neighbor_graph(X, n_real, 14, 5)
        is_real = np.arange(len(X)) < n_real
        mine = is_real if case[4] == "real" else ~is_real
        result = {k: float(roc_auc_score(planted[mine], s[mine]))
                  for k, s in variants(graph, n_real).items()}
        rows.append((case, result))
        print(case, " ".join(f"{k} {x:.3f}" for k, x in result.items()), flush=True)
    keys = list(rows[0][1])
    for side in ("real", "synthetic"):
        part = [r for c, r in rows if c[4] == side]
        print(side, " ".join(f"{k} {np.mean([r[k] for r in part]):.4f}/"
                             f"{sum(r[k] >= r['base_d1'] - 1e-9 for r in part)}" for k in keys))
    base = np.array([r["base_d1"] for _, r in rows])
    for k in keys:
        a = np.array([r[k] for _, r in rows])
        print(f"{k:10s} mean {a.mean():.4f} min {a.min():.3f} at or above the baseline "
              f"{int(np.sum(a >= base - 1e-9))}/{len(a)} worst against it {np.min(a - base):+.3f}")


if __name__ == "__main__":
    main()
