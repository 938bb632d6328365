"""The neighbour graph above a size threshold: one index per side (faiss), searched for every row.

The exact pass (:mod:`synth_quality.graph.knn`) compares every row with every row: about
2 * n^2 * dim FLOPs, 20 s at 51,000 rows on 2 cores, about 2 hours at a million. Above
``scale.exact_neighbours_up_to`` rows on a side, that side gets an inverted-file index
(faiss ``IndexIVFFlat``, inner product on the unit vectors: the rows are split into about
``4 * sqrt(n)`` k-means cells and a query compares itself only with the rows of the
``nprobe`` cells nearest to it); a smaller side gets an exact flat index (faiss ``IndexFlatIP``,
the same dot products as the exact pass). Each side's index is asked, for every row of the
audit, for that side's nearest rows, and the two answers give every array of the graph:

- ``knn_indices`` / ``knn_similarities``: the k nearest of both answers together;
- ``own_nearest`` / ``own_radius``: the row's own side's answer (the row itself taken out);
- ``other_nearest`` / ``other_similarity`` / ``other_top``: the other side's answer.

With two flat indexes this is the exact graph (tested against :func:`build_neighbor_graph`).

Why an inverted file and not HNSW: its cells come from seeded k-means and each query's
search is independent of the others, so the same rows and seed give the same graph on every
run, whatever the number of threads (an HNSW graph built on several threads depends on
their timing). Its recall@10 against the exact search is measured in ``bench/scale.py`` and
tested on clustered data in ``tests/graph/test_approximate.py``.
"""

from __future__ import annotations

import numpy as np

from synth_quality.graph.knn import NeighborGraph, embeddings_digest
from synth_quality.progress import ProgressCallback, Stage, null_progress

#: Rows of the index answered per call (bounds the (rows, k) result arrays and lets the
#: progress bar move).
_QUERY_CHUNK = 16384

#: Queries from the other side are answered exactly (a brute-force scan of the side) while
#: they make at most this many pairs: 2e9 pairs are about 1.5 TFLOP, 10-15 s on 2 cores.
#: With 1,000 real rows beside a million synthetic ones, every real row's synthetic
#: neighbours (coverage, nearest synthetic row) are then exact, and only the synthetic rows'
#: synthetic neighbours are approximate.
EXACT_PAIRS = 2_000_000_000


def ivf_cells(n: int) -> int:
    """Cells of the inverted file for ``n`` rows: about ``4 * sqrt(n)`` (faiss's guideline
    is 4-16 sqrt(n)), at most n / 39 so that k-means has 39 training rows per cell."""
    return int(max(1, min(4 * np.sqrt(n), n // 39)))


def _faiss():
    import faiss

    return faiss


class SideIndex:
    """The rows of one side, searchable by inner product: exact (flat) or an inverted file."""

    def __init__(self, rows: np.ndarray, exact: bool, nprobe: int, seed: int | None):
        faiss = _faiss()
        rows = np.ascontiguousarray(rows, np.float32)
        dim = rows.shape[1]
        self.n = len(rows)
        self.rows = rows  # a view of the caller's array (for exact scans), not a copy
        if exact:
            self.index = faiss.IndexFlatIP(dim)
        else:
            cells = ivf_cells(self.n)
            quantizer = faiss.IndexFlatIP(dim)
            index = faiss.IndexIVFFlat(quantizer, dim, cells, faiss.METRIC_INNER_PRODUCT)
            index.cp.seed = 1234 if seed is None else int(seed)
            # k-means on a seeded sample of at most 64 rows per cell (faiss's own cap is 256;
            # 64 kept recall@10 within 0.002 of it at 50,000 rows, bench/scale.py).
            rng = np.random.default_rng(index.cp.seed)
            train_rows = min(self.n, 64 * cells)
            sample = rows if train_rows == self.n else rows[np.sort(
                rng.choice(self.n, train_rows, replace=False))]
            index.cp.max_points_per_centroid = 64
            # 10 k-means iterations, not faiss's 25: at 250,000 rows training fell from 33 s
            # to 12 s with recall@10 0.9245 against 0.9234 (docs/benchmarks.md).
            index.cp.niter = 10
            index.train(sample)
            index.nprobe = min(nprobe, cells)
            self.index = index
        self.index.add(rows)

    def search(self, queries: np.ndarray, k: int, exact: bool = False
               ) -> tuple[np.ndarray, np.ndarray]:
        """(similarities, positions within the side) of each query's ``k`` nearest rows,
        nearest first; missing entries are NaN / -1. ``exact`` scans every row of the side."""
        k = min(k, self.n)
        queries = np.ascontiguousarray(queries, np.float32)
        if exact and not isinstance(self.index, _faiss().IndexFlatIP):
            sims, idx = _faiss().knn(queries, self.rows, k, metric=_faiss().METRIC_INNER_PRODUCT)
        else:
            sims, idx = self.index.search(queries, k)
        sims = sims.astype(np.float32)
        sims[idx < 0] = np.nan
        return sims, idx.astype(np.int64)


def _query_blocks(n: int, lo: int, hi: int, exact_others: bool):
    """(start, stop, exact) blocks of at most _QUERY_CHUNK rows covering 0:n, split at the
    side's bounds ``lo:hi``; rows outside the side are searched exactly if ``exact_others``."""
    for a, b, exact in ((0, lo, exact_others), (lo, hi, False), (hi, n, exact_others)):
        for start in range(a, b, _QUERY_CHUNK):
            yield start, min(b, start + _QUERY_CHUNK), exact


def _sorted(vals: np.ndarray, idx: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each row ordered by (-similarity, index); NaN / -1 entries last."""
    key = np.where(idx < 0, np.inf, -np.nan_to_num(vals, nan=-np.inf))
    order = np.lexsort((np.where(idx < 0, np.iinfo(np.int64).max, idx), key), axis=1)
    return np.take_along_axis(vals, order, axis=1), np.take_along_axis(idx, order, axis=1)


def approximate_neighbor_graph(X: np.ndarray, n_real: int, k: int, manifold_k: int,
                               exact_up_to: int, nprobe: int = 32, seed: int | None = 0,
                               progress: ProgressCallback | None = None) -> NeighborGraph:
    """The neighbour graph (the arrays :func:`~synth_quality.graph.knn.build_neighbor_graph`
    gives) from one index per side: exact for a side of at most ``exact_up_to`` rows, an
    inverted file searched in ``nprobe`` cells for a larger one."""
    faiss = _faiss()
    progress = progress or null_progress
    X = np.ascontiguousarray(X, dtype=np.float32)
    n = len(X)
    k = min(k, n - 1)
    sides = ((0, n_real), (n_real, n))
    want = max(k, manifold_k)
    total = 2 * n
    done = 0
    progress(Stage.NEIGHBOURS, 0, total)
    answers = []  # per side: (similarities, absolute row indices) for every row, self removed
    threads = faiss.omp_get_max_threads()
    try:
        for lo, hi in sides:
            if hi - lo == 0:
                answers.append((np.full((n, want), np.nan, np.float32),
                                np.full((n, want), -1, np.int64)))
                done += n
                continue
            index = SideIndex(X[lo:hi], hi - lo <= exact_up_to, nprobe, seed)
            sims = np.full((n, want), np.nan, np.float32)
            idx = np.full((n, want), -1, np.int64)
            # The other side's rows, searched exactly while that is cheap (EXACT_PAIRS).
            exact_others = (n - (hi - lo)) * (hi - lo) <= EXACT_PAIRS
            for start, stop, exact in _query_blocks(n, lo, hi, exact_others):
                s, i = index.search(X[start:stop], want + 1, exact)  # +1: the row itself
                i_abs = np.where(i >= 0, i + lo, -1)
                rows = np.arange(start, stop)[:, None]
                mine = i_abs == rows
                # Drop the row itself; a row not found in its own answer (an approximate
                # index, or identical vectors ranked first) drops its last entry instead.
                drop = np.where(mine.any(axis=1), mine.argmax(axis=1), want)
                keep = np.arange(want + 1)[None, :] != drop[:, None]
                if s.shape[1] < want + 1:  # a side with at most ``want`` rows
                    pad = want + 1 - s.shape[1]
                    s = np.hstack([s, np.full((len(s), pad), np.nan, np.float32)])
                    i_abs = np.hstack([i_abs, np.full((len(s), pad), -1)])
                sims[start:stop] = s[keep].reshape(len(s), want)
                idx[start:stop] = i_abs[keep].reshape(len(s), want)
                done += stop - start
                progress(Stage.NEIGHBOURS, done, total)
            answers.append((sims, idx))
    finally:
        faiss.omp_set_num_threads(threads)
    return _assemble(X, n_real, k, manifold_k, answers)


def _assemble(X: np.ndarray, n_real: int, k: int, manifold_k: int, answers) -> NeighborGraph:
    n = len(X)
    (real_s, real_i), (syn_s, syn_i) = answers
    is_real = np.arange(n) < n_real
    own_s = np.where(is_real[:, None], real_s, syn_s)
    own_i = np.where(is_real[:, None], real_i, syn_i)
    other_s = np.where(is_real[:, None], syn_s, real_s)
    other_i = np.where(is_real[:, None], syn_i, real_i)
    both_s, both_i = _sorted(np.hstack([own_s, other_s]), np.hstack([own_i, other_i]))
    knn_sim, knn_idx = both_s[:, :k].astype(np.float32), both_i[:, :k]
    own_top = own_s[:, :manifold_k].astype(np.float32)
    side_size = np.where(is_real, n_real, n - n_real)
    own_top[side_size - 1 < manifold_k] = np.nan  # no k-NN ball on a side that small
    other_top = other_s[:, :manifold_k].astype(np.float32)
    radius = (own_top[:, -1].copy() if manifold_k else np.full(n, np.nan, np.float32))
    other_nearest = other_i[:, 0] if other_i.shape[1] else np.full(n, -1, np.int64)
    other_sim = (other_s[:, 0].astype(np.float32) if other_s.shape[1]
                 else np.full(n, np.nan, np.float32))
    return NeighborGraph(knn_idx.astype(np.int64), knn_sim, radius, other_nearest.astype(np.int64),
                         other_sim, own_top, embeddings_digest(X), other_top)


def recall_at(approximate: np.ndarray, exact: np.ndarray, k: int = 10) -> float:
    """Share of each row's exact ``k`` nearest rows that the approximate list also has."""
    a, e = approximate[:, :k], exact[:, :k]
    hits = sum(np.isin(e[r], a[r]).sum() for r in range(len(e)))
    return float(hits / e.size)


def nearest_within(X: np.ndarray, k: int, exact_up_to: int, nprobe: int = 32,
                   seed: int | None = 0) -> tuple[np.ndarray, np.ndarray]:
    """Each row's ``k`` nearest other rows of ``X`` (indices, similarities; nearest first):
    exact up to ``exact_up_to`` rows, an inverted file above."""
    X = np.ascontiguousarray(X, np.float32)
    n = len(X)
    k = min(k, n - 1)
    index = SideIndex(X, n <= exact_up_to, nprobe, seed)
    idx = np.full((n, k), -1, np.int64)
    sims = np.full((n, k), np.nan, np.float32)
    for start in range(0, n, _QUERY_CHUNK):
        stop = min(n, start + _QUERY_CHUNK)
        s, i = index.search(X[start:stop], k + 1)
        mine = i == np.arange(start, stop)[:, None]
        drop = np.where(mine.any(axis=1), mine.argmax(axis=1), k)
        keep = np.arange(k + 1)[None, :] != drop[:, None]
        idx[start:stop] = i[keep].reshape(-1, k)
        sims[start:stop] = s[keep].reshape(-1, k)
    return idx, sims
