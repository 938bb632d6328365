"""One-sided regions: groups of similar rows that only one side has, found without the side
labels and tested with them.

The candidate groups are every cluster of HDBSCAN's condensed tree of the cluster projection,
down to 10 rows (far finer than the audit's clusters, which are at least 1% of the rows), at every
level: a tight topic of 80 rows is one candidate, and so are its halves and the larger region it
sits in. They are formed without looking at which side a row comes from. Each candidate is then
tested for a deficit of one side: the number of other-side rows it holds against the binomial
with the overall share (exact, one-sided). Because the candidates never saw the labels, these
tests are valid as they stand; they are corrected for their number with Holm's method after
Tarone's screening (a group too small to ever reach significance is not counted as a test: a
group of 10 synthetic rows, when real rows are 1 in 9, cannot, since 10 synthetic rows in a row
happen by chance a third of the time). Each direction (real-only, synthetic-only) gets half of
``alpha``. With no difference between the sides, a region is reported with probability at most
``alpha`` (5%).

A region is a significant candidate where the other side has less than ``one_sided_ratio`` (a
quarter) of the rows the overall share predicts, and that no larger region of the same side
contains.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.analysis.cluster import LinkageCache
from synth_quality.stats import holm

#: Smallest candidate group.
MIN_GROUP_SIZE = 10


def fine_groups(coords: np.ndarray, min_samples: int,
                linkage_cache: LinkageCache | None = None):
    """The candidate groups: a sparse (groups x rows) membership matrix of every cluster of
    HDBSCAN's condensed tree (min size 10, root excluded), label-blind. With the same
    ``min_samples`` as the audit's clustering, a shared ``linkage_cache`` reuses its tree."""
    import scipy.sparse as sp

    n = len(coords)
    if n < 2 * MIN_GROUP_SIZE:
        return sp.csr_matrix((0, n), dtype=bool)
    import hdbscan

    extra = {"memory": linkage_cache} if linkage_cache is not None else {}
    clusterer = hdbscan.HDBSCAN(min_cluster_size=MIN_GROUP_SIZE,
                                min_samples=min(min_samples, n - 1), core_dist_n_jobs=1,
                                **extra).fit(np.asarray(coords, np.float64))
    tree = clusterer.condensed_tree_.to_numpy()
    return _memberships(tree["parent"].astype(np.int64), tree["child"].astype(np.int64), n)


def _memberships(parent: np.ndarray, child: np.ndarray, n: int):
    """Rows of every cluster node of a condensed tree (nodes are ids >= n, the root is n).

    Each point falls out of one node; it belongs to that node and all its ancestors. The walk
    up the tree goes one level at a time for all points at once (a walk per point in Python
    took minutes at a million rows: tens of millions of steps)."""
    import scipy.sparse as sp

    nodes = np.unique(np.r_[parent, child[child >= n]])
    nodes = nodes[nodes != n]
    if not len(nodes):
        return sp.csr_matrix((0, n), dtype=bool)
    # Node id -> its parent node (the root's parent is the root), and -> its row.
    top = int(max(parent.max(), child.max())) + 1
    up = np.full(top, n, np.int64)
    is_node = child >= n
    up[child[is_node]] = parent[is_node]
    index = np.full(top, -1, np.int64)
    index[nodes] = np.arange(len(nodes))
    points = child[~is_node]
    node = parent[~is_node]
    rows, cols = [], []
    while len(points):
        inside = node != n
        points, node = points[inside], node[inside]
        rows.append(index[node])
        cols.append(points)
        node = up[node]
    rows, cols = np.concatenate(rows), np.concatenate(cols)
    return sp.csr_matrix((np.ones(len(rows), bool), (rows, cols)), shape=(len(nodes), n))


def tarone_holm(p_values: np.ndarray, p_min: np.ndarray, alpha: float) -> np.ndarray:
    """Holm-adjusted p-values over the tests that could reach significance (Tarone 1990);
    untestable tests get 1. ``p_min`` is each test's smallest attainable p-value."""
    p_values, p_min = np.asarray(p_values, float), np.asarray(p_min, float)
    # The smallest m >= 1 (at most len(p_min)) with at most m tests able to reach alpha / m.
    # That count falls as m grows, so m is found by bisection instead of one m at a time (a
    # million rows give tens of thousands of candidate groups: a quadratic scan).
    ordered = np.sort(p_min)

    def too_many(m: int) -> bool:
        return int(np.searchsorted(ordered, alpha / m, side="right")) > m

    low, high = 1, max(len(p_min), 1)
    while low < high:
        mid = (low + high) // 2
        if too_many(mid):
            low = mid + 1
        else:
            high = mid
    m = low
    testable = p_min <= alpha / m
    adjusted = np.ones(len(p_values))
    if testable.any():
        adjusted[testable] = holm(p_values[testable])
    return adjusted


def one_sided_regions(groups, is_real: np.ndarray, alpha: float,
                      one_sided_ratio: float) -> pd.DataFrame:
    """The one-sided regions among the candidate ``groups`` (a groups x rows membership matrix).

    Returns one row per region: ``side`` (the side that has it), ``size`` (rows of that side),
    ``n_other`` (other-side rows in it), ``expected_other`` (what the overall share predicts),
    ``p_value`` (exact one-sided binomial), ``p_adjusted`` (Tarone-Holm within its direction,
    at ``alpha / 2`` each) and ``rows`` (positions of the region's rows of ``side``); largest
    first. Empty when nothing is significant.
    """
    from scipy.stats import binom

    columns = ["side", "size", "n_other", "expected_other", "p_value", "p_adjusted", "rows"]
    is_real = np.asarray(is_real, bool)
    real_share = float(is_real.mean()) if len(is_real) else 0.0
    if groups.shape[0] == 0 or real_share in (0.0, 1.0):
        return pd.DataFrame(columns=columns)
    sizes = np.asarray(groups.sum(axis=1)).ravel()
    n_real = np.asarray(groups @ is_real.astype(np.int64)).ravel()
    found = []
    for side, other_share, n_other in (("real", 1 - real_share, sizes - n_real),
                                       ("synthetic", real_share, n_real)):
        p = binom.cdf(n_other, sizes, other_share)
        adjusted = tarone_holm(p, (1 - other_share) ** sizes, alpha / 2)
        expected = sizes * other_share
        keep = np.flatnonzero((adjusted < alpha / 2) & (n_other < one_sided_ratio * expected))
        # Only the largest: a region inside a larger region of the same side is part of it.
        keep = keep[np.argsort(-sizes[keep], kind="stable")]
        taken = np.zeros(len(is_real), bool)
        for j in keep:
            members = groups[j].indices
            if taken[members].any():
                continue
            taken[members] = True
            own = members[is_real[members] == (side == "real")]
            found.append({"side": side, "size": int(len(own)), "n_other": int(n_other[j]),
                          "expected_other": float(expected[j]), "p_value": float(p[j]),
                          "p_adjusted": float(adjusted[j]), "rows": own})
    table = pd.DataFrame(found, columns=columns)
    return table.sort_values("size", ascending=False, kind="stable").reset_index(drop=True)


def region_labels(n: int, regions: pd.DataFrame) -> np.ndarray:
    """Per row, the position of its region in ``regions`` (-1 = none): the ``uncovered_region``
    column."""
    out = np.full(n, -1, np.int64)
    for i, rows in enumerate(regions["rows"] if len(regions) else []):
        out[np.asarray(rows, np.int64)] = i
    return out
