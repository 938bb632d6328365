"""Coverage of each side by the other: a per-row statistic, its p-value under "no difference",
the calibrated per-row flag, and precision / recall / density / coverage (Naeem et al. 2020).

The statistic (high = the other side stays away from this row):

- every row: ``D`` = mean cosine distance to its ``k`` nearest rows of the other side
  (``k = score.manifold_k``, 5). Averaging five neighbours instead of taking the nearest one
  keeps a single stray row of the other side from hiding a hole.
- real rows: ``log D + 0.5 log(D / rho)``, rho being the row's own real k-NN radius: the
  geometric mean of the absolute distance and the distance relative to how far the row's own
  real neighbours are. The relative part finds holes in dense real regions; the absolute part
  keeps sparse, spread-out groups visible (dividing by rho alone cancels them: a sparse group
  has a wide rho). The real data is the reference, so only real rows are judged relative to
  their own neighbourhood.
- synthetic rows: ``log D`` (a templated generator makes its own rows' spacing tiny, so the
  synthetic side's own neighbourhoods are no yardstick).

Measured on planted one-sided groups of several shapes (``bench/planted_shapes.py``,
docs/benchmarks.md): this ranks planted rows above the plain nearest-other-side distance on
nearly every shape; dividing by rho alone (the previous ``coverage_score``) lost to it on
spread-out groups.

Its null distribution comes from the audit's own rows: the side labels are shuffled (seeded),
and for a random subset of rows the statistic is recomputed from their nearest rows under the
shuffled labels. With the labels carrying no information this is exactly "no difference", at
the audit's own sizes. ``coverage_score`` is the resulting p-value (the share of null values
at least as large; beyond the largest one an exponential tail continues it), so it reads the
same on any data: about uniform on [0, 1] when the sides do not differ, small where the other
side stays away more than chance explains. ``is_uncovered`` flags rows whose p-value survives
Benjamini-Hochberg at ``reference.fdr`` (5%) within their side: among flagged rows at most about
5% are expected to be false alarms, and with no difference usually none is flagged.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from synth_quality.graph.knn import NeighborGraph

#: Weight of log(D / rho) in the real rows' statistic (0 = absolute distance only).
REAL_RELATIVE_WEIGHT = 0.5
_TINY = 1e-6


def coverage_statistic(d_other: np.ndarray, rho: np.ndarray, is_real: np.ndarray) -> np.ndarray:
    """The statistic from each row's mean distance to its k nearest other-side rows
    (``d_other``) and its own-side k-NN radius (``rho``, a distance; NaN when the side is too
    small for one). High = the other side stays away."""
    d = np.maximum(np.asarray(d_other, np.float64), _TINY)
    rho = np.asarray(rho, np.float64)
    relative = np.where(np.isfinite(rho), np.log(d / np.maximum(rho, _TINY)), 0.0)
    return np.log(d) + np.where(is_real, REAL_RELATIVE_WEIGHT * relative, 0.0)


def graph_statistic(graph: NeighborGraph, n_real: int) -> np.ndarray:
    """:func:`coverage_statistic` of every row from the neighbour graph (real rows first)."""
    n = len(graph.own_radius)
    with np.errstate(all="ignore"):
        d_other = 1.0 - np.nanmean(graph.other_top.astype(np.float64), axis=1)
    rho = 1.0 - graph.own_radius.astype(np.float64)
    return coverage_statistic(d_other, rho, np.arange(n) < n_real)


@dataclass
class CoverageNull:
    """The statistic under shuffled side labels: per shuffle, the values of the calibration rows
    labelled real and of those labelled synthetic (``real`` and ``synthetic`` pool them)."""

    real_parts: list
    synthetic_parts: list
    permutations: int
    rows: int

    @property
    def real(self) -> np.ndarray:
        return np.concatenate(self.real_parts) if self.real_parts else np.array([])

    @property
    def synthetic(self) -> np.ndarray:
        return np.concatenate(self.synthetic_parts) if self.synthetic_parts else np.array([])


def permutation_null(X: np.ndarray, n_real: int, k: int, permutations: int, n_rows: int,
                     seed: int | None) -> CoverageNull:
    """The coverage statistic's distribution when the side labels carry no information.

    ``n_rows`` random rows (all when fewer) get their nearest rows of either side once (an
    exact search against every row); each of ``permutations`` shuffles keeps the two sides'
    sizes and recomputes their statistic from those lists. The lists hold enough neighbours for
    ``k`` rows of the smaller side to appear with near certainty; a row whose list holds too
    few of a side under a shuffle is skipped for that shuffle.
    """
    import torch

    rng = np.random.default_rng(seed)
    X = np.ascontiguousarray(X, np.float32)
    n = len(X)
    n_syn = n - n_real
    chosen = np.sort(rng.choice(n, min(n, n_rows), replace=False))
    smaller = max(min(n_real, n_syn), 1)
    # Neighbours needed so that the smaller side shows k rows: about k * n / smaller, and
    # three times that for margin (the count is binomial).
    width = int(min(n - 1, max(64, 3 * k * n / smaller)))
    vals = np.empty((len(chosen), width), np.float32)
    idx = np.empty((len(chosen), width), np.int64)
    Xt = torch.from_numpy(X)
    step = max(1, (64 * 2**20) // (4 * n))
    with torch.inference_mode():
        for start in range(0, len(chosen), step):
            part = torch.from_numpy(chosen[start:start + step])
            sims = Xt[part] @ Xt.T
            sims[torch.arange(len(part)), part] = -torch.inf
            top = torch.topk(sims, width, dim=1)
            vals[start:start + step], idx[start:start + step] = top.values.numpy(), top.indices.numpy()
    real_values, syn_values = [], []
    for _ in range(permutations):
        is_syn = np.zeros(n, bool)
        is_syn[rng.choice(n, n_syn, replace=False)] = True
        me = is_syn[chosen]
        other = is_syn[idx] != me[:, None]
        # A side with fewer than k rows: the mean over all of them, as the graph has it.
        k_other = np.where(me, min(k, n_real), min(k, n_syn))
        d_other = _mean_of_first(1.0 - vals, other, k_other)
        rho = _kth_of_first(1.0 - vals, ~other, k)
        own_side_small = np.where(me, n_syn, n_real) - 1 < k
        rho[own_side_small] = np.nan  # as in the graph: no k-NN ball on a side that small
        usable = np.isfinite(d_other) & (np.isfinite(rho) | own_side_small)
        stat = coverage_statistic(d_other, rho, ~me)
        real_values.append(stat[usable & ~me])
        syn_values.append(stat[usable & me])
    return CoverageNull(real_values, syn_values, permutations, len(chosen))


def _mean_of_first(dist: np.ndarray, mask: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Per row, the mean of the first ``k`` (per row) entries of ``dist`` where ``mask`` holds;
    NaN if the row's list has fewer than k such entries."""
    k = np.asarray(k)
    counts = np.cumsum(mask, axis=1)
    take = mask & (counts <= np.reshape(k, (-1, 1)))
    have = take.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.where(take, dist, 0.0).sum(axis=1) / have
    return np.where(have >= k, mean, np.nan)


def _kth_of_first(dist: np.ndarray, mask: np.ndarray, k: int) -> np.ndarray:
    """Per row, the ``k``-th entry of ``dist`` where ``mask`` holds (NaN if fewer)."""
    counts = np.cumsum(mask, axis=1)
    hit = counts >= k
    pos = np.argmax(hit, axis=1)
    out = dist[np.arange(len(dist)), pos].astype(np.float64)
    return np.where(hit.any(axis=1), out, np.nan)


def tail_pvalue(values: np.ndarray, null: np.ndarray) -> np.ndarray:
    """P(null >= value), conformal: (1 + #{null >= value}) / (len(null) + 1). Beyond the largest
    null value an exponential tail, fitted to the excesses over the null's 90th percentile,
    continues it, so the p-value keeps ranking rows there (continuous and monotone)."""
    values = np.asarray(values, np.float64)
    null = np.sort(np.asarray(null, np.float64)[np.isfinite(null)])
    if not len(null):
        return np.ones(len(values))
    m = len(null)
    p = (m + 1 - np.searchsorted(null, values, side="left")) / (m + 1)
    q90 = np.quantile(null, 0.9)
    excess = null[null > q90] - q90
    scale = max(float(excess.mean()), _TINY) if len(excess) else max(float(np.std(null)), _TINY)
    beyond = values > null[-1]
    p[beyond] = np.exp(-(values[beyond] - null[-1]) / scale) / (m + 1)
    return np.clip(p, 0.0, 1.0)


def coverage_pvalues(statistic: np.ndarray, n_real: int, null: CoverageNull) -> np.ndarray:
    """Each row's p-value against the null values of its side (``coverage_score``)."""
    p = np.empty(len(statistic))
    p[:n_real] = tail_pvalue(statistic[:n_real], null.real)
    p[n_real:] = tail_pvalue(statistic[n_real:], null.synthetic)
    return p


def benjamini_hochberg(p: np.ndarray, fdr: float) -> np.ndarray:
    """Rows whose p-values pass the Benjamini-Hochberg step-up at false discovery rate ``fdr``."""
    p = np.asarray(p, np.float64)
    n = len(p)
    flagged = np.zeros(n, bool)
    if not n:
        return flagged
    order = np.argsort(p, kind="stable")
    passed = p[order] <= fdr * np.arange(1, n + 1) / n
    if passed.any():
        flagged[order[:np.flatnonzero(passed).max() + 1]] = True
    return flagged


def flags_per_side(p: np.ndarray, n_real: int, fdr: float) -> np.ndarray:
    """:func:`benjamini_hochberg` within the real rows and within the synthetic rows."""
    return np.r_[benjamini_hochberg(p[:n_real], fdr), benjamini_hochberg(p[n_real:], fdr)]


def in_other_manifold(graph: NeighborGraph, n_real: int, balls_hit: np.ndarray) -> np.ndarray:
    """Naeem et al.'s exact k-NN manifold membership: a real row is covered when a synthetic row
    lies within its own k-NN radius; a synthetic row is inside the real manifold when some real
    row's k-NN ball contains it. Uncalibrated (with no difference about a tenth of the rows are
    outside, and with 8 real rows to 1 synthetic half of the real rows); precision and
    coverage below are its shares."""
    n = graph.own_radius.shape[0]
    inside = np.empty(n, bool)
    inside[:n_real] = graph.other_similarity[:n_real] >= graph.own_radius[:n_real]
    inside[n_real:] = balls_hit > 0
    return inside


def prdc(rows: pd.DataFrame, manifold: dict, k: int) -> dict:
    """Precision, recall, density and coverage of synthetic against real (Naeem et al. 2020).

    precision: share of synthetic rows inside the real manifold (high = realistic);
    recall: share of real rows inside the synthetic manifold (high = diverse enough);
    density: mean number of real k-NN balls holding a synthetic row, divided by k (about 1 when
    the synthetic rows sit where real rows are dense; above 1 = crowded onto real modes);
    coverage: share of real rows with a synthetic row inside their own k-NN ball.
    """
    syn = (rows["side"] == "synthetic").to_numpy()
    hits = manifold["synthetic_balls_hit"]
    real_cov = rows.loc[~syn, "in_other_manifold"].to_numpy(bool)
    return {
        "precision": float((hits > 0).mean()) if len(hits) else np.nan,
        "recall": float(manifold["real_in_synthetic_manifold"].mean()) if (~syn).any() else np.nan,
        "density": float(hits.mean() / k) if len(hits) else np.nan,
        "coverage": float(real_cov.mean()) if len(real_cov) else np.nan,
    }
