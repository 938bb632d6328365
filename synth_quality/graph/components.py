"""Connected groups of rows joined by edges (near-duplicate chains, uncovered regions),
numbered deterministically."""

from __future__ import annotations

import numpy as np


def connected_groups(n: int, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Connected-component label of each of n nodes joined by the edges (a[i], b[i])."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    graph = coo_matrix((np.ones(len(a), np.int8), (a, b)), shape=(n, n))
    return connected_components(graph, directed=False)[1]


def number_groups(labels: np.ndarray, keep: np.ndarray, order_by_size: bool) -> np.ndarray:
    """Renumber the components marked ``keep`` 0, 1, ... (-1 for the rest), deterministically:
    by first row, or by size (largest first) then first row."""
    out = np.full(len(labels), -1, np.int64)
    kept = np.unique(labels[keep])
    if not len(kept):
        return out
    first = np.full(labels.max() + 1, len(labels))
    np.minimum.at(first, labels, np.arange(len(labels)))
    sizes = np.bincount(labels[keep], minlength=labels.max() + 1)
    rank = (sorted(kept, key=lambda c: (-sizes[c], first[c])) if order_by_size
            else sorted(kept, key=lambda c: first[c]))
    remap = np.full(labels.max() + 1, -1, np.int64)
    remap[np.array(rank)] = np.arange(len(rank))
    out[keep] = remap[labels[keep]]
    return out
