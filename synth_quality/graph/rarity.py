"""Rarity passes: for each row, the smallest k-NN ball of the other side (or of its own side,
leaving it out) that holds it, and the nearest row of its own side with that row's ball measured
without it. Row blocks against one side's rows, never an n x n matrix.

The balls are Naeem et al.'s: row j's ball is the set of points at least as similar to j as its
k-th nearest row of its side (``own_radius``, a similarity). The **rarity score** of a point
(Han et al. 2022, "Rarity Score: A New Metric to Evaluate the Uncommonness of Synthesized
Images") is the radius (a cosine distance) of the smallest ball that holds it: small in the
dense middle of the side, large in its sparse corners, undefined outside every ball.

Leaving a row out of its own side makes it a fresh draw from that side's distribution (the
no-difference reference). A ball that held the row had it among its k nearest rows, so without
it that ball's radius is the ball owner's (k+1)-th nearest similarity: :func:`left_out_pass`
measures those balls without the row (``next_radius``); balls that did not hold it do not
change.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth_quality.graph.knn import block_rows
from synth_quality.graph.manifold import within_side_similarities


@dataclass
class CrossRarity:
    """One side's rows against the other side's balls.

    rarity : ndarray (n_rows,)
        Radius (cosine distance) of the smallest ball of the other side holding the row; NaN
        when none does.
    nearest : ndarray (n_rows,)
        Position (within the other side) of the most similar row of the other side.
    """

    rarity: np.ndarray
    nearest: np.ndarray


def cross_rarity(X: np.ndarray, rows: np.ndarray, lo: int, hi: int,
                 own_radius: np.ndarray) -> CrossRarity:
    """For each of ``rows`` (positions in ``X``, none of them in ``lo:hi``): the smallest ball of
    the rows ``lo:hi`` that holds it (``own_radius`` of those rows), and its nearest row there."""
    import torch

    X = np.ascontiguousarray(X, dtype=np.float32)
    rows = np.asarray(rows, np.int64)
    other = torch.from_numpy(X[lo:hi])
    radius = np.asarray(own_radius[lo:hi], np.float32)
    sim_radius = torch.from_numpy(np.ascontiguousarray(radius))
    dist_radius = torch.from_numpy(np.ascontiguousarray(1.0 - radius))
    rarity = np.full(len(rows), np.nan, np.float64)
    nearest = np.full(len(rows), -1, np.int64)
    if hi - lo <= 0 or not len(rows):
        return CrossRarity(rarity, nearest)
    step = block_rows(hi - lo)
    inf = torch.tensor(float("inf"))
    with torch.inference_mode():
        for start in range(0, len(rows), step):
            sims = torch.from_numpy(X[rows[start:start + step]]) @ other.T
            inside = sims >= sim_radius[None, :]   # NaN radius: never inside
            smallest = torch.where(inside, dist_radius[None, :], inf).min(dim=1).values
            smallest = smallest.numpy().astype(np.float64)
            rarity[start:start + step] = np.where(np.isfinite(smallest), smallest, np.nan)
            nearest[start:start + step] = sims.argmax(dim=1).numpy()
    return CrossRarity(rarity, nearest)


@dataclass
class LeftOut:
    """Rows left out of their own side, each against the side's other rows.

    rows : positions (in ``X``) of the rows left out
    rarity : radius (cosine distance) of the smallest other ball holding the row, that ball
        measured without the row; NaN when none holds it
    nearest : position (within the side) of the most similar other row
    nearest_distance : that row's own radius (a cosine distance), measured without the row
    """

    rows: np.ndarray
    rarity: np.ndarray
    nearest: np.ndarray
    nearest_distance: np.ndarray


def left_out_pass(X: np.ndarray, rows: np.ndarray, lo: int, hi: int, own_radius: np.ndarray,
                  k: int, known_next: np.ndarray | None = None) -> LeftOut:
    """Each of ``rows`` (positions in ``lo:hi``) left out of the side ``lo:hi``: the smallest
    other ball that holds it and its nearest other row, balls measured without it (``k``: the
    balls' k, so that a ball that held the row grows to its owner's (k+1)-th nearest row).

    ``known_next``, optional: per row of ``lo:hi``, its similarity to its (k+1)-th nearest
    other row of the side where already known (NaN elsewhere; :func:`next_radius_from_graph`);
    the others are searched."""
    import torch

    X = np.ascontiguousarray(X, dtype=np.float32)
    rows = np.asarray(rows, np.int64)
    n_side = hi - lo
    side = torch.from_numpy(X[lo:hi])
    radius = np.asarray(own_radius[lo:hi], np.float64)
    sim_radius = torch.from_numpy(np.ascontiguousarray(radius, dtype=np.float32))
    nearest = np.full(len(rows), -1, np.int64)
    nearest_sim = np.full(len(rows), np.nan, np.float64)
    pair_row, pair_ball = [], []
    if n_side > 1 and len(rows):
        step = block_rows(n_side)
        with torch.inference_mode():
            for start in range(0, len(rows), step):
                part = rows[start:start + step]
                sims = torch.from_numpy(X[part]) @ side.T
                sims[torch.arange(len(part)), torch.from_numpy(part - lo)] = -torch.inf
                best = sims.max(dim=1)
                nearest[start:start + step] = best.indices.numpy()
                nearest_sim[start:start + step] = best.values.numpy()
                held = (sims >= sim_radius[None, :]).nonzero().numpy()
                pair_row.append(held[:, 0] + start)
                pair_ball.append(held[:, 1])
    pair_row = np.concatenate(pair_row) if pair_row else np.empty(0, np.int64)
    pair_ball = np.concatenate(pair_ball) if pair_ball else np.empty(0, np.int64)
    # The balls that held a row, and the nearest rows (whose ball may have held it), measured
    # without it: their owners' (k+1)-th nearest similarity.
    needed = np.unique(np.concatenate([pair_ball, nearest[nearest >= 0]]))
    next_radius = (np.full(n_side, np.nan, np.float64) if known_next is None
                   else np.asarray(known_next, np.float64).copy())
    missing = needed[~np.isfinite(next_radius[needed])]
    if len(missing):
        next_radius[missing] = kth_similarity(X, missing + lo, lo, hi, k + 1)
    rarity = np.full(len(rows), np.inf)
    if len(pair_row):
        np.minimum.at(rarity, pair_row, 1.0 - next_radius[pair_ball])
    rarity[~np.isfinite(rarity)] = np.nan
    held_nearest = np.zeros(len(rows), bool)
    ok = nearest >= 0
    held_nearest[ok] = nearest_sim[ok] >= radius[nearest[ok]]
    nearest_radius = np.where(held_nearest, next_radius[np.clip(nearest, 0, None)],
                              radius[np.clip(nearest, 0, None)])
    nearest_radius[~ok] = np.nan
    return LeftOut(rows, rarity, nearest, 1.0 - nearest_radius)


def next_radius_from_graph(knn_indices: np.ndarray, knn_similarities: np.ndarray, lo: int,
                           hi: int, k: int) -> np.ndarray:
    """Per row of ``lo:hi``, its similarity to its (k+1)-th nearest other row of ``lo:hi``, read
    from the exact neighbour lists (nearest first, self excluded) where they hold k+1 rows of
    the side; NaN where they do not (search those with :func:`kth_similarity`)."""
    idx = np.asarray(knn_indices[lo:hi])
    same = (idx >= lo) & (idx < hi)
    counts = np.cumsum(same, axis=1)
    hit = same & (counts == k + 1)
    found = hit.any(axis=1)
    pos = np.argmax(hit, axis=1)
    values = np.asarray(knn_similarities[lo:hi], np.float64)[np.arange(hi - lo), pos]
    return np.where(found, values, np.nan)


def kth_similarity(X: np.ndarray, rows: np.ndarray, lo: int, hi: int, k: int) -> np.ndarray:
    """Similarity of each of ``rows`` (positions in ``lo:hi``) to its ``k``-th nearest other row
    of ``lo:hi`` (NaN when the side has fewer than ``k`` other rows)."""
    import torch

    rows = np.asarray(rows, np.int64)
    out = np.full(len(rows), np.nan, np.float64)
    if hi - lo - 1 < k or not len(rows):
        return out
    for block, sims in within_side_similarities(X, rows, lo, hi):
        out[block] = torch.topk(sims, k, dim=1).values[:, -1].numpy()
    return out


def group_reach(X: np.ndarray, n_real: int, own_radius: np.ndarray,
                groups: np.ndarray, n_groups: int) -> tuple[np.ndarray, np.ndarray]:
    """For each group of synthetic rows (``groups``: a group id 0..n_groups-1 per synthetic row,
    -1 = none) and each real row: whether a row of the group lies inside the real row's ball
    (coverage), and whether the real row lies inside the ball of a row of the group (recall).
    Returns two boolean arrays of shape (n_groups, n_real)."""
    import torch

    X = np.ascontiguousarray(X, dtype=np.float32)
    real = torch.from_numpy(X[:n_real])
    real_radius = torch.from_numpy(np.ascontiguousarray(own_radius[:n_real], dtype=np.float32))
    syn_radius = np.ascontiguousarray(own_radius[n_real:], dtype=np.float32)
    covered = np.zeros((n_groups, n_real), bool)
    reached = np.zeros((n_groups, n_real), bool)
    groups = np.asarray(groups, np.int64)
    step = block_rows(n_real)
    with torch.inference_mode():
        for g in range(n_groups):
            members = np.flatnonzero(groups == g)
            cov = torch.zeros(n_real, dtype=torch.bool)
            rea = torch.zeros(n_real, dtype=torch.bool)
            for start in range(0, len(members), step):
                part = members[start:start + step]
                sims = torch.from_numpy(X[n_real + part]) @ real.T
                cov |= (sims >= real_radius[None, :]).any(dim=0)
                rea |= (sims >= torch.from_numpy(syn_radius[part])[:, None]).any(dim=0)
            covered[g], reached[g] = cov.numpy(), rea.numpy()
    return covered, reached
