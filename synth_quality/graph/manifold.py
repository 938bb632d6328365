"""k-NN manifold counts (Naeem et al. 2020): how many of each side's k-NN balls every row
falls in, computed in row blocks from the neighbour graph's radii."""

from __future__ import annotations

import numpy as np

from synth_quality.graph.knn import block_rows


def manifold_counts(X: np.ndarray, n_real: int, own_radius: np.ndarray) -> dict:
    """Counts behind precision, recall, density and coverage (Naeem et al. 2020).

    Compares every synthetic row with every real row in blocks (n_real x n_synthetic work, no
    full matrix).

    Returns
    -------
    dict with
        ``synthetic_balls_hit`` : ndarray (n_synthetic,) number of real k-NN balls containing
        each synthetic row (> 0 means inside the real manifold);
        ``real_in_synthetic_manifold`` : ndarray (n_real,) bool, real row inside some
        synthetic row's k-NN ball.
    """
    import torch

    X = np.ascontiguousarray(X, dtype=np.float32)
    real, synth = torch.from_numpy(X[:n_real]), torch.from_numpy(X[n_real:])
    real_radius = torch.from_numpy(np.ascontiguousarray(own_radius[:n_real], dtype=np.float32))
    synth_radius = torch.from_numpy(np.ascontiguousarray(own_radius[n_real:], dtype=np.float32))
    hits = np.zeros(len(synth), np.int64)
    real_in_synth = torch.zeros(n_real, dtype=torch.bool)
    step = block_rows(n_real)
    with torch.inference_mode():
        for start in range(0, len(synth), step):
            sims = synth[start:start + step] @ real.T
            hits[start:start + step] = (sims >= real_radius[None, :]).sum(dim=1).numpy()
            radius = synth_radius[start:start + step, None]
            real_in_synth |= (sims >= radius).any(dim=0)  # NaN radius: never true
    real_in_synth = real_in_synth.numpy()
    return {"synthetic_balls_hit": hits, "real_in_synthetic_manifold": real_in_synth}


def within_side_counts(X: np.ndarray, rows: np.ndarray, lo: int, hi: int,
                       own_radius: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each of ``rows`` (positions in ``lo:hi``, one side's rows), leaving the row itself out:
    how many other rows of the side hold it inside their own k-NN ball (``own_radius``), and
    its similarity to the nearest other row of the side.

    A row left out is a fresh draw from its side's distribution, and the other rows' balls do not
    change when it leaves: a ball that holds it has it among its k nearest, where its radius is
    measured. So these are the manifold figures of a fresh draw against the side as it is
    (the no-difference reference of precision, recall and density).
    """
    import torch

    radius = torch.from_numpy(np.ascontiguousarray(own_radius[lo:hi], dtype=np.float32))
    rows = np.asarray(rows, np.int64)
    counts = np.zeros(len(rows), np.int64)
    nearest = np.full(len(rows), np.nan, np.float32)
    for block, sims in within_side_similarities(X, rows, lo, hi):
        counts[block] = (sims >= radius[None, :]).sum(dim=1).numpy()
        if hi - lo > 1:
            nearest[block] = sims.max(dim=1).values.numpy()
    return counts, nearest


def within_side_similarities(X: np.ndarray, rows: np.ndarray, lo: int, hi: int):
    """Yield ``(block, sims)``: a slice of ``rows`` (positions in ``lo:hi``) and a torch tensor
    of their cosine similarities to every row of ``lo:hi``, each row's own entry set to -inf
    (the row left out). Blocks keep the tensor within :func:`block_rows`'s memory budget."""
    import torch

    X = np.ascontiguousarray(X, dtype=np.float32)
    side = torch.from_numpy(X[lo:hi])
    rows = np.asarray(rows, np.int64)
    step = block_rows(hi - lo)
    with torch.inference_mode():
        for start in range(0, len(rows), step):
            part = rows[start:start + step]
            sims = torch.from_numpy(X[part]) @ side.T
            sims[torch.arange(len(part)), torch.from_numpy(part - lo)] = -torch.inf
            yield slice(start, start + len(part)), sims
