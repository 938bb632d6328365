"""One exact nearest-neighbour pass shared by every neighbour-based signal.

Embeddings are unit-length, so cosine similarity is a dot product. The pass walks the data in
row blocks (never an n x n matrix: a block is at most ~64 MB) and, from each block of
similarities, keeps what every later stage needs:

- the k nearest rows overall (UMAP's graph, outliers, near-duplicates);
- the similarity of the k-th nearest row on the row's own side (the radius of its k-NN ball,
  for the Naeem et al. 2020 manifolds);
- the nearest row on the other side and its similarity (copies of real rows), and the
  similarities of the ``manifold_k`` nearest rows on the other side (coverage).

Exact search costs about 2 * n^2 * dim FLOPs: ~70 GFLOP for 9,350 rows, ~2 TFLOP for 51,000,
seconds on two cores, and it needs no compilation (unlike NN-descent) and gives the same graph
on every run.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth_quality.progress import ProgressCallback, Stage, null_progress

_BLOCK_BYTES = 64 * 2**20


def block_rows(n_cols: int) -> int:
    """Rows per block so that a block of float32 similarities with ``n_cols`` columns takes at
    most about 64 MB (16 to 4096 rows)."""
    return int(max(16, min(4096, _BLOCK_BYTES // (4 * max(n_cols, 1)))))


def _sorted_top_k(vals: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Order each row's neighbours by (-similarity, index) so ties never depend on the search."""
    if idx.shape[1] > 1:
        order = np.lexsort((idx, -vals), axis=1)
        idx, vals = np.take_along_axis(idx, order, axis=1), np.take_along_axis(vals, order, axis=1)
    return idx.astype(np.int64), vals.astype(np.float32)


@dataclass
class NeighborGraph:
    """What one exact neighbour pass found.

    Attributes
    ----------
    knn_indices : ndarray of shape (n, k)
        The k nearest other rows (self excluded), nearest first.
    knn_similarities : ndarray of shape (n, k)
        Their cosine similarities.
    own_radius : ndarray of shape (n,)
        Similarity to the ``manifold_k``-th nearest row of the same side (NaN if the side has
        too few rows): the row's k-NN ball in Naeem et al.'s manifold.
    other_nearest : ndarray of shape (n,)
        Index of the nearest row on the other side.
    other_similarity : ndarray of shape (n,)
        Its cosine similarity.
    own_nearest : ndarray of shape (n, manifold_k), optional
        Similarities of the ``manifold_k`` nearest rows of the same side, nearest first (the
        last column is ``own_radius``); kept so that rows added later can update the graph
        (:func:`add_to_neighbor_graph`).
    other_top : ndarray of shape (n, manifold_k), optional
        Similarities of the ``manifold_k`` nearest rows of the other side, nearest first (NaN
        where the other side has fewer rows): the coverage statistic's distance
        (:mod:`synth_quality.analysis.coverage`).
    """

    knn_indices: np.ndarray
    knn_similarities: np.ndarray
    own_radius: np.ndarray
    other_nearest: np.ndarray
    other_similarity: np.ndarray
    own_nearest: np.ndarray | None = None
    embeddings_digest: str | None = None  # of the vectors it was computed from (see save)
    other_top: np.ndarray | None = None

    _SAVED = ("knn_indices", "knn_similarities", "own_radius", "other_nearest",
              "other_similarity", "own_nearest", "other_top")

    def save(self, path) -> None:
        """Write the graph as an ``.npz`` file (row indices as int32), with the digest of the
        embeddings it was computed from, so it is reused only for the same vectors."""
        arrays = {name: getattr(self, name) for name in self._SAVED
                  if getattr(self, name) is not None}
        for name in ("knn_indices", "other_nearest"):
            arrays[name] = arrays[name].astype(np.int32)
        np.savez(path, digest=np.array(self.embeddings_digest or ""), **arrays)

    @classmethod
    def load(cls, path) -> "NeighborGraph | None":
        """The graph :meth:`save` wrote; None if the file is missing or unreadable."""
        try:
            with np.load(path, allow_pickle=False) as data:
                arrays = {name: data[name] for name in cls._SAVED if name in data.files}
                digest = str(data["digest"]) or None
        except (OSError, ValueError, KeyError, TypeError):
            return None
        for name in ("knn_indices", "other_nearest"):
            if name in arrays:
                arrays[name] = arrays[name].astype(np.int64)
        try:
            return cls(**arrays, embeddings_digest=digest)
        except TypeError:  # a required array is missing
            return None


def embeddings_digest(X: np.ndarray) -> str:
    """A fingerprint of the embedding rows, in order (a saved graph is valid only for them)."""
    import hashlib

    return hashlib.sha1(np.ascontiguousarray(X, dtype=np.float32).tobytes()).hexdigest()


class _GraphArrays:
    """The graph's arrays for n rows, filled block by block."""

    def __init__(self, n: int, k: int, manifold_k: int):
        self.knn_idx = np.empty((n, k), np.int64)
        self.knn_sim = np.empty((n, k), np.float32)
        self.own_top = np.full((n, manifold_k), np.nan, np.float32)
        self.other_idx = np.full(n, -1, np.int64)
        self.other_sim = np.full(n, np.nan, np.float32)
        self.other_top = np.full((n, manifold_k), np.nan, np.float32)

    def graph(self, X: np.ndarray) -> NeighborGraph:
        radius = (self.own_top[:, -1].copy() if self.own_top.shape[1]
                  else np.full(len(self.knn_idx), np.nan, np.float32))
        return NeighborGraph(self.knn_idx, self.knn_sim, radius, self.other_idx,
                             self.other_sim, self.own_top, embeddings_digest(X), self.other_top)


def _side_ranges(n: int, n_real: int):
    """(lo, hi, other_lo, other_hi) of the real and the synthetic side (real rows first)."""
    return ((0, n_real, n_real, n), (n_real, n, 0, n_real))


def _scan_rows(Xt, start: int, stop: int, n_real: int, k: int, manifold_k: int,
               out: _GraphArrays, buffer=None) -> None:
    """Fill rows ``start:stop`` of ``out`` from their similarities to every row.

    ``buffer``, a float32 tensor of at least ``stop - start`` rows and n columns, receives the
    similarities: one buffer for every block. A fresh 64 MB block each time came from new
    pages that the kernel faulted in and zeroed (2.7 million faults, 8 s of system time at
    51,000 rows; measured).
    """
    import torch

    n = Xt.shape[0]
    if buffer is None:
        sims = Xt[start:stop] @ Xt.T
    else:
        sims = torch.mm(Xt[start:stop], Xt.T, out=buffer[:stop - start])
    rows = torch.arange(stop - start)
    sims[rows, rows + start] = -torch.inf  # a row is not its own neighbour
    if k > 0:
        vals, idx = torch.topk(sims, k, dim=1)
        out.knn_idx[start:stop], out.knn_sim[start:stop] = _sorted_top_k(vals.numpy(), idx.numpy())
    for side_lo, side_hi, other_lo, other_hi in _side_ranges(n, n_real):
        lo, hi = max(start, side_lo), min(stop, side_hi)
        if lo >= hi:
            continue
        own = sims[lo - start:hi - start]
        if side_hi - side_lo - 1 >= manifold_k > 0:
            # Usually the manifold_k nearest same-side rows are among the k nearest overall
            # (always on the larger side): read them from there and search the side's
            # columns only for the rows where they are not.
            top_idx, top_sim = out.knn_idx[lo:hi], out.knn_sim[lo:hi]
            same = (top_idx >= side_lo) & (top_idx < side_hi)
            enough = same.sum(axis=1) >= manifold_k
            if enough.any():
                # The first manifold_k same-side entries of each row, nearest first.
                order = np.argsort(~same, axis=1, kind="stable")[:, :manifold_k]
                firsts = np.take_along_axis(top_sim, order, axis=1)
                out.own_top[lo:hi][enough] = firsts[enough]
            rest = np.flatnonzero(~enough)
            if len(rest):
                part = own[torch.from_numpy(rest)][:, side_lo:side_hi]
                out.own_top[lo + rest] = torch.topk(part, manifold_k, dim=1).values.numpy()
        if other_hi > other_lo:
            others = own[:, other_lo:other_hi]
            best = others.max(dim=1)
            out.other_idx[lo:hi] = best.indices.numpy() + other_lo
            out.other_sim[lo:hi] = best.values.numpy()
            n_top = min(out.other_top.shape[1], other_hi - other_lo)
            if n_top:
                out.other_top[lo:hi, :n_top] = torch.topk(others, n_top, dim=1).values.numpy()


def _merged_top(earlier: np.ndarray, new_sims) -> np.ndarray:
    """The ``earlier.shape[1]`` largest of each row's earlier top similarities (NaN = none yet)
    and its similarities to new rows (a torch tensor), largest first, NaN-padded."""
    import torch

    width = earlier.shape[1]
    if width == 0 or new_sims.shape[1] == 0:
        return earlier
    merged = torch.cat([torch.from_numpy(earlier).nan_to_num(-torch.inf), new_sims], 1)
    top = torch.topk(merged, width, dim=1).values.numpy()
    return np.where(np.isneginf(top), np.nan, top).astype(np.float32)


def build_neighbor_graph(X: np.ndarray, n_real: int, k: int, manifold_k: int,
                         progress: ProgressCallback | None = None) -> NeighborGraph:
    """Exact k-NN over all rows plus own-side radii and other-side nearest rows.

    Parameters
    ----------
    X : ndarray of shape (n, dim), unit rows, real rows first (``X[:n_real]``).
    n_real : int
    k : int
        Neighbours kept per row (self excluded).
    manifold_k : int
        k of the own-side k-NN ball.
    """
    import torch  # its top-k is ~15x faster than numpy's argpartition on these blocks

    progress = progress or null_progress
    X = np.ascontiguousarray(X, dtype=np.float32)
    n = X.shape[0]
    k = min(k, n - 1)
    Xt = torch.from_numpy(X)
    out = _GraphArrays(n, k, manifold_k)
    step = block_rows(n)
    with torch.inference_mode():
        buffer = torch.empty((min(step, n), n), dtype=torch.float32)
        for start in range(0, n, step):
            stop = min(n, start + step)
            _scan_rows(Xt, start, stop, n_real, k, manifold_k, out, buffer)
            progress(Stage.NEIGHBOURS, stop, n)
    return out.graph(X)


def add_to_neighbor_graph(before: NeighborGraph, X: np.ndarray, n_real: int, n_real_before: int,
                          k: int, manifold_k: int,
                          progress: ProgressCallback | None = None) -> NeighborGraph | None:
    """The graph of ``X`` from the graph of its earlier rows, searching only pairs with a new row.

    ``X`` holds the earlier rows (the same vectors: checked by digest) in their earlier order
    with the new rows after them on each side: real rows ``0:n_real`` (the first ``n_real_before`` of them were there before), then
    synthetic rows (the first ``n_before - n_real_before`` were there before). The result
    equals :func:`build_neighbor_graph` on ``X`` up to float rounding of the similarities
    (ties may order differently), for about ``2 * n_new / n`` of its work. Returns None
    when ``before`` cannot be extended (another k, no ``own_nearest``, or a side that had
    too few rows for a manifold and has enough now): build from scratch then.
    """
    import torch

    progress = progress or null_progress
    X = np.ascontiguousarray(X, dtype=np.float32)
    n = X.shape[0]
    n_before = before.knn_indices.shape[0]
    k = min(k, n - 1)
    own_before, other_before = before.own_nearest, before.other_top
    if (own_before is None or before.knn_indices.shape[1] != k
            or own_before.shape != (n_before, manifold_k) or other_before is None
            or other_before.shape != (n_before, manifold_k) or n_before >= n or n_before < 2):
        return None
    n_syn_before = n_before - n_real_before
    old_pos = np.r_[np.arange(n_real_before), n_real + np.arange(n_syn_before)]
    if before.embeddings_digest != embeddings_digest(X[old_pos]):
        return None  # other vectors (another model, other texts): its neighbours do not apply
    n_syn = n - n_real
    for had, has in ((n_real_before, n_real), (n_syn_before, n_syn)):
        if manifold_k > 0 and had - 1 < manifold_k <= has - 1:
            return None  # the side's manifold did not exist before
    new_rows = np.setdiff1d(np.arange(n), old_pos)
    Xt = torch.from_numpy(X)
    out = _GraphArrays(n, k, manifold_k)
    done, total = 0, n
    with torch.inference_mode():
        # New rows: a full search (they are contiguous on each side).
        step = block_rows(n)
        buffer = torch.empty((min(step, len(new_rows)), n), dtype=torch.float32)
        for lo, hi in ((n_real_before, n_real), (n_real + n_syn_before, n)):
            for start in range(lo, hi, step):
                stop = min(hi, start + step)
                _scan_rows(Xt, start, stop, n_real, k, manifold_k, out, buffer)
                done += stop - start
                progress(Stage.NEIGHBOURS, done, total)
        # Earlier rows: their earlier lists merged with their similarities to the new rows.
        new_t = torch.from_numpy(new_rows)
        new_is_real = new_rows < n_real
        step = block_rows(len(new_rows) + k)
        for start in range(0, n_before, step):
            stop = min(n_before, start + step)
            pos = old_pos[start:stop]
            sims = Xt[torch.from_numpy(pos)] @ Xt[new_t].T  # (block, n_new)
            if k > 0:
                cand_sim = torch.cat([torch.from_numpy(before.knn_similarities[start:stop]), sims], 1)
                cand_idx = np.hstack([old_pos[before.knn_indices[start:stop]],
                                      np.broadcast_to(new_rows, (stop - start, len(new_rows)))])
                vals, top = torch.topk(cand_sim, k, dim=1)
                idx = np.take_along_axis(cand_idx, top.numpy(), axis=1)
                out.knn_idx[pos], out.knn_sim[pos] = _sorted_top_k(vals.numpy(), idx)
            block_real = pos < n_real
            for is_real in (True, False):
                rows = np.flatnonzero(block_real == is_real)
                if not len(rows):
                    continue
                rows_t = torch.from_numpy(rows)
                same = torch.from_numpy(np.flatnonzero(new_is_real == is_real))
                other = np.flatnonzero(new_is_real != is_real)
                out.own_top[pos[rows]] = _merged_top(own_before[start:stop][rows],
                                                     sims[rows_t][:, same])
                out.other_top[pos[rows]] = _merged_top(other_before[start:stop][rows],
                                                       sims[rows_t][:, torch.from_numpy(other)])
                other_sim = before.other_similarity[start:stop][rows].copy()
                other_idx = before.other_nearest[start:stop][rows].copy()
                known = other_idx >= 0
                other_idx[known] = old_pos[other_idx[known]]
                if len(other):
                    best = sims[rows_t][:, torch.from_numpy(other)].max(dim=1)
                    best_sim = best.values.numpy()
                    closer = ~(best_sim <= other_sim)  # NaN before (no other side yet): take it
                    other_sim[closer] = best_sim[closer]
                    other_idx[closer] = new_rows[other][best.indices.numpy()[closer]]
                out.other_sim[pos[rows]] = other_sim
                out.other_idx[pos[rows]] = other_idx
            done += stop - start
            progress(Stage.NEIGHBOURS, done, total)
    # A side that still has too few rows keeps NaN radii, as in a full build.
    for lo, hi in ((0, n_real), (n_real, n)):
        if hi - lo - 1 < manifold_k:
            out.own_top[lo:hi] = np.nan
    return out.graph(X)


