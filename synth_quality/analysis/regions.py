"""One-sided regions: small groups of rows that only one side has, found without the side labels
and tested with them.

The groups are HDBSCAN's leaf clusters of the cluster projection with a minimum size of 10 (far
finer than the audit's clusters, which are at least 1% of the rows): dense pockets of similar
text, formed without looking at which side a row comes from. Each group is then tested for a
deficit of one side: the number of other-side rows it holds against the binomial with the
overall share (exact, one-sided). Because the groups never saw the labels, these tests are valid
as they stand; they are corrected for their number with Holm's method after Tarone's screening
(a group too small to ever reach significance is not counted as a test: a group of 10 synthetic
rows when real rows are 1 in 9 cannot, since 10 synthetic rows in a row happen by chance a third
of the time). Each direction (real-only, synthetic-only) gets half of ``alpha``. With no
difference between the sides, a region is reported with probability at most ``alpha`` (5%).

A region is reported when it is significant and the other side has less than
``one_sided_ratio`` (a quarter) of the rows the overall share predicts there.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.analysis.cluster import LinkageCache
from synth_quality.stats import holm

#: Smallest group HDBSCAN may report as a leaf.
MIN_GROUP_SIZE = 10


def fine_groups(coords: np.ndarray, min_samples: int,
                linkage_cache: LinkageCache | None = None) -> np.ndarray:
    """Leaf-cluster labels of ``coords`` (-1 = in no leaf), label-blind. With the same
    ``min_samples`` as the audit's clustering, a shared ``linkage_cache`` reuses its tree."""
    n = len(coords)
    if n < MIN_GROUP_SIZE:
        return np.full(n, -1, np.int64)
    import hdbscan

    extra = {"memory": linkage_cache} if linkage_cache is not None else {}
    clusterer = hdbscan.HDBSCAN(min_cluster_size=MIN_GROUP_SIZE,
                                min_samples=min(min_samples, n - 1),
                                cluster_selection_method="leaf", core_dist_n_jobs=1, **extra)
    return np.asarray(clusterer.fit_predict(np.asarray(coords, np.float64)), np.int64)


def tarone_holm(p_values: np.ndarray, p_min: np.ndarray, alpha: float) -> np.ndarray:
    """Holm-adjusted p-values over the tests that could reach significance (Tarone 1990);
    untestable tests get 1. ``p_min`` is each test's smallest attainable p-value."""
    p_values, p_min = np.asarray(p_values, float), np.asarray(p_min, float)
    m = 1
    while m < len(p_min) and (p_min <= alpha / m).sum() > m:
        m += 1
    testable = p_min <= alpha / m
    adjusted = np.ones(len(p_values))
    if testable.any():
        adjusted[testable] = holm(p_values[testable])
    return adjusted


def one_sided_regions(groups: np.ndarray, is_real: np.ndarray, alpha: float,
                      one_sided_ratio: float) -> pd.DataFrame:
    """The significant one-sided groups.

    Returns one row per region: ``group``, ``side`` (the side that has it), ``size``,
    ``n_other`` (other-side rows in it), ``expected_other`` (what the overall share predicts),
    ``p_value`` (exact one-sided binomial), ``p_adjusted`` (Tarone-Holm within its direction,
    at ``alpha / 2`` each) and ``rows`` (positions of the group's rows of ``side``); largest
    first. Empty when nothing is significant.
    """
    from scipy.stats import binom

    columns = ["group", "side", "size", "n_other", "expected_other", "p_value", "p_adjusted",
               "rows"]
    real_share = float(np.mean(is_real)) if len(is_real) else 0.0
    ids = np.unique(groups[groups >= 0])
    if not len(ids) or real_share in (0.0, 1.0):
        return pd.DataFrame(columns=columns)
    sizes = np.array([(groups == g).sum() for g in ids])
    n_real = np.array([is_real[groups == g].sum() for g in ids])
    found = []
    for side, other_share, n_other in (("real", 1 - real_share, sizes - n_real),
                                       ("synthetic", real_share, n_real)):
        p = binom.cdf(n_other, sizes, other_share)
        p_min = (1 - other_share) ** sizes
        adjusted = tarone_holm(p, p_min, alpha / 2)
        expected = sizes * other_share
        keep = (adjusted < alpha / 2) & (n_other < one_sided_ratio * expected)
        for j in np.flatnonzero(keep):
            members = np.flatnonzero(groups == ids[j])
            own = members[is_real[members] == (side == "real")]
            found.append({"group": int(ids[j]), "side": side, "size": int(sizes[j]),
                          "n_other": int(n_other[j]), "expected_other": float(expected[j]),
                          "p_value": float(p[j]), "p_adjusted": float(adjusted[j]),
                          "rows": own})
    table = pd.DataFrame(found, columns=columns)
    return table.sort_values(["size", "group"], ascending=[False, True],
                             kind="stable").reset_index(drop=True)


def region_labels(n: int, regions: pd.DataFrame) -> np.ndarray:
    """Per row, the position of its region in ``regions`` (-1 = none): the ``uncovered_region``
    column."""
    out = np.full(n, -1, np.int64)
    for i, rows in enumerate(regions["rows"] if len(regions) else []):
        out[np.asarray(rows, np.int64)] = i
    return out
