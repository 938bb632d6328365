"""synth_quality.analysis.regions at scale: the candidate groups read as slices of the tree's
depth-first order, and Tarone's screening found by bisection, give what the plain
one-step-at-a-time versions give (those were minutes, and gigabytes, at a million rows)."""

from __future__ import annotations

import numpy as np
import pytest

from synth_quality.analysis import regions
from synth_quality.analysis.regions import fine_groups, tarone_holm


def memberships_walked_one_point_at_a_time(parent, child, n):
    nodes = sorted(set(parent.tolist()) | {c for c in child.tolist() if c >= n})
    nodes = [x for x in nodes if x != n]
    index = {node: i for i, node in enumerate(nodes)}
    up = {int(c): int(p) for p, c in zip(parent, child) if c >= n}
    out = np.zeros((len(nodes), n), bool)
    for p, c in zip(parent.tolist(), child.tolist()):
        if c >= n:
            continue
        node = p
        while node != n:
            out[index[node], c] = True
            node = up[node]
    return out


@pytest.mark.parametrize("seed, n", [(0, 300), (1, 1200), (2, 40)])
def test_memberships_are_every_ancestor_of_every_row(seed, n):
    import hdbscan

    rng = np.random.default_rng(seed)
    coords = np.vstack([rng.normal(c, 0.3, size=(n // 4, 5)) for c in range(4)])
    fitted = hdbscan.HDBSCAN(min_cluster_size=10, min_samples=5).fit(coords)
    tree = fitted.condensed_tree_.to_numpy()
    parent, child = tree["parent"].astype(np.int64), tree["child"].astype(np.int64)
    want = memberships_walked_one_point_at_a_time(parent, child, len(coords))
    groups = regions.CandidateGroups.from_tree(parent, child, len(coords))
    got = np.zeros((len(groups), len(coords)), bool)
    for j in range(len(groups)):
        got[j, groups.members(j)] = True
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(groups.sizes(), want.sum(axis=1))
    weights = rng.integers(0, 2, len(coords))
    np.testing.assert_array_equal(groups.counts(weights), want.astype(np.int64) @ weights)
    assert len(fine_groups(coords, 5)) == len(groups)


def tarone_m_by_scan(p_min, alpha):
    m = 1
    while m < len(p_min) and (p_min <= alpha / m).sum() > m:
        m += 1
    return m


@pytest.mark.parametrize("seed", range(8))
def test_tarone_screening_by_bisection_equals_the_scan(seed):
    rng = np.random.default_rng(seed)
    size = int(rng.integers(1, 400))
    p_min = rng.uniform(0, 1, size) ** rng.uniform(1, 12)
    p = np.minimum(1.0, p_min + rng.uniform(0, 0.2, size))
    m = tarone_m_by_scan(p_min, 0.025)
    adjusted = tarone_holm(p, p_min, 0.025)
    testable = p_min <= 0.025 / m
    assert (adjusted[~testable] == 1).all()
    from synth_quality.stats import holm

    if testable.any():
        np.testing.assert_allclose(adjusted[testable], holm(p[testable]))
