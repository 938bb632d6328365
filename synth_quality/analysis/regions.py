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
                linkage_cache: LinkageCache | None = None) -> "CandidateGroups":
    """The candidate groups: every cluster of HDBSCAN's condensed tree (min size 10, root
    excluded), label-blind. With the same ``min_samples`` as the audit's clustering, a shared
    ``linkage_cache`` reuses its tree."""
    n = len(coords)
    if n < 2 * MIN_GROUP_SIZE:
        return CandidateGroups.from_tree(np.zeros(0, np.int64), np.zeros(0, np.int64), n)
    import hdbscan

    extra = {"memory": linkage_cache} if linkage_cache is not None else {}
    clusterer = hdbscan.HDBSCAN(min_cluster_size=MIN_GROUP_SIZE,
                                min_samples=min(min_samples, n - 1), core_dist_n_jobs=1,
                                **extra).fit(np.asarray(coords, np.float64))
    tree = clusterer.condensed_tree_.to_numpy()
    return CandidateGroups.from_tree(tree["parent"].astype(np.int64),
                                     tree["child"].astype(np.int64), n)


class CandidateGroups:
    """The nested candidate groups of a condensed tree, without a groups x rows matrix.

    Each row belongs to the node it falls out of and to all that node's ancestors, so a
    membership matrix holds (rows x depth) entries: 167 million at 250,000 rows, 5.2 GiB to
    build. Here the rows are instead sorted in the tree's depth-first order, which makes every
    group a contiguous slice of that order: its size is the slice's length, a per-row count is
    a difference of prefix sums, and its members are the slice (memory: one order of n rows).

    A tree is given as HDBSCAN's condensed tree: ``parent`` and ``child`` arrays, rows are ids
    below ``n``, nodes ids from ``n`` up, ``n`` the root (not a group).
    """

    def __init__(self, order: np.ndarray, starts: np.ndarray, ends: np.ndarray, n_rows: int):
        self.order, self.starts, self.ends, self.n_rows = order, starts, ends, n_rows

    @classmethod
    def from_tree(cls, parent: np.ndarray, child: np.ndarray, n: int) -> "CandidateGroups":
        parent, child = np.asarray(parent, np.int64), np.asarray(child, np.int64)
        is_node = child >= n
        nodes = np.unique(np.r_[parent, child[is_node]])
        nodes = nodes[nodes != n]
        if not len(nodes):
            return cls(np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64), n)
        # Depth-first preorder of the nodes (root first): a node's subtree is the range
        # [entry, entry + subtree size) of this numbering. Nodes are thousands, rows millions:
        # the walk over nodes stays in Python, everything per row is vectorised.
        children: dict[int, list[int]] = {}
        for p, c in zip(parent[is_node].tolist(), child[is_node].tolist()):
            children.setdefault(p, []).append(c)
        entry, subtree = {}, {}
        stack, seen = [n], []
        while stack:
            node = stack.pop()
            entry[node] = len(seen)
            seen.append(node)
            stack.extend(reversed(children.get(node, [])))
        for node in reversed(seen):
            subtree[node] = 1 + sum(subtree[c] for c in children.get(node, []))
        entry_of = np.zeros(int(nodes.max()) + 1, np.int64)
        entry_of[list(entry)] = list(entry.values())
        points, leaf = child[~is_node], parent[~is_node]
        # Rows in preorder of the node they fall out of; rows of the root belong to no group
        # and come first (the root's entry is 0).
        key = entry_of[leaf]
        by_entry = np.argsort(key, kind="stable")
        order, sorted_key = points[by_entry], key[by_entry]
        first = entry_of[nodes]
        last = first + np.array([subtree[x] for x in nodes.tolist()], np.int64)
        starts = np.searchsorted(sorted_key, first, side="left")
        ends = np.searchsorted(sorted_key, last, side="left")
        return cls(order, starts, ends, n)

    def __len__(self) -> int:
        return len(self.starts)

    def sizes(self) -> np.ndarray:
        return self.ends - self.starts

    def counts(self, weights: np.ndarray) -> np.ndarray:
        """Per group, the sum of ``weights`` (one per row) over its rows."""
        cumulative = np.r_[0, np.cumsum(np.asarray(weights, np.int64)[self.order])]
        return cumulative[self.ends] - cumulative[self.starts]

    def members(self, group: int) -> np.ndarray:
        """Row positions of one group, ascending."""
        return np.sort(self.order[self.starts[group]:self.ends[group]])


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


def one_sided_regions(groups: CandidateGroups, is_real: np.ndarray, alpha: float,
                      one_sided_ratio: float) -> pd.DataFrame:
    """The one-sided regions among the candidate ``groups`` (:class:`CandidateGroups`).

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
    if len(groups) == 0 or real_share in (0.0, 1.0):
        return pd.DataFrame(columns=columns)
    sizes = groups.sizes()
    n_real = groups.counts(is_real)
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
            members = groups.members(j)
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
