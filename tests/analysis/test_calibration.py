"""Issue 15: the per-row flags are calibrated against "no difference".

Data made for these tests: unit vectors drawn around a few centres (a mixture of topics), so the
two sides can be drawn from exactly the same distribution, or given a planted group only one
side has. No model and no shared data: these run in the quick part.
"""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from synth_quality.analysis.coverage import (benjamini_hochberg, coverage_pvalues,
                                             flags_per_side, graph_statistic, permutation_null,
                                             tail_pvalue)
from synth_quality.analysis.regions import one_sided_regions, tarone_holm
from synth_quality.graph.knn import build_neighbor_graph

DIM = 24


def mixture(n, seed, centres=None, spread=0.35):
    """n unit vectors around 12 fixed topic centres (uneven weights), seeded."""
    rng = np.random.default_rng(seed)
    centres = centres if centres is not None else np.random.default_rng(99).normal(size=(12, DIM))
    weights = np.linspace(1, 3, len(centres))
    which = rng.choice(len(centres), n, p=weights / weights.sum())
    x = centres[which] + spread * rng.normal(size=(n, DIM)) * np.sqrt(DIM) / 4
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def coverage_of(X, n_real, seed=0):
    graph = build_neighbor_graph(X, n_real, 14, 5)
    null = permutation_null(X, n_real, 5, 20, 3000, seed)
    return graph, coverage_pvalues(graph_statistic(graph, n_real), n_real, null)


@pytest.mark.parametrize("n_real, n_syn", [(300, 2400), (2400, 300), (800, 800)])
def test_coverage_scores_are_uniform_when_the_sides_do_not_differ(n_real, n_syn):
    """With both sides drawn from one distribution, coverage_score is a p-value: about 5% of
    rows fall below 0.05 and 1% below 0.01, at 1:8, 8:1 and 1:1, and the flags (BH at 5%)
    fire on (almost) no row."""
    shares05, shares01, flagged = [], [], []
    for seed in range(3):
        X = mixture(n_real + n_syn, seed)
        _, p = coverage_of(X, n_real, seed)
        shares05.append(np.mean(p <= 0.05))
        shares01.append(np.mean(p <= 0.01))
        flagged.append(flags_per_side(p, n_real, 0.05).mean())
    assert 0.025 <= np.mean(shares05) <= 0.075
    assert np.mean(shares01) <= 0.02
    assert max(flagged) <= 0.01


@pytest.mark.parametrize("side", ["real", "synthetic"])
@pytest.mark.parametrize("n_real, n_syn", [(300, 2400), (2400, 300)])
@pytest.mark.parametrize("shape", ["tight", "spread"])
def test_a_planted_one_sided_group_is_ranked_first_and_beats_the_plain_baseline(side, n_real,
                                                                                 n_syn, shape):
    """A group only one side has, tight (one new topic) or spread (scattered new directions),
    on either side and at 1:8 and 8:1: coverage_score ranks it at AUROC >= 0.9 and at least
    as well as the plain nearest-other-side similarity on the same rows."""
    rng = np.random.default_rng(7)
    size = 40
    if shape == "tight":
        new = mixture(size, 11, centres=rng.normal(size=(1, DIM)), spread=0.3)
    else:
        new = mixture(size, 11, centres=rng.normal(size=(size, DIM)), spread=0.3)
    real, syn = mixture(n_real, 1), mixture(n_syn, 2)
    if side == "real":
        X, n_r = np.vstack([real, new, syn]), n_real + size
        planted = np.r_[np.zeros(n_real, bool), np.ones(size, bool), np.zeros(n_syn, bool)]
    else:
        X, n_r = np.vstack([real, syn, new]), n_real
        planted = np.r_[np.zeros(n_real + n_syn, bool), np.ones(size, bool)]
    graph, p = coverage_of(X, n_r)
    mine = (np.arange(len(X)) >= n_r) == (side == "synthetic")
    auroc = roc_auc_score(planted[mine], -p[mine])
    baseline = roc_auc_score(planted[mine], -graph.other_similarity[mine])
    assert auroc >= 0.9 and auroc >= baseline - 0.005, (auroc, baseline)


def test_benjamini_hochberg_step_up():
    p = np.array([0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216])
    # Thresholds 0.005 * rank: rank 2 (0.008 <= 0.010) is the largest passing: two flags.
    assert benjamini_hochberg(p, 0.05).tolist() == [True, True] + [False] * 8
    # At 0.1 (thresholds 0.01 * rank), 0.06 <= 0.06 (rank 6) is the largest passing: ranks 3
    # and 4 fail their own thresholds but are flagged with it (step-up).
    assert benjamini_hochberg(p, 0.1).tolist() == [True] * 6 + [False] * 4
    assert not benjamini_hochberg(np.array([]), 0.05).any()


def test_tail_pvalue_is_conformal_inside_the_null_and_keeps_ranking_beyond_it():
    null = np.arange(1, 100, dtype=float)          # 99 values
    p = tail_pvalue(np.array([1.0, 50.0, 99.0, 99.5, 150.0]), null)
    assert p[0] == 1.0                              # every null value is at least as large
    assert p[1] == pytest.approx(51 / 100)          # (1 + #null >= 50) / (99 + 1)
    assert p[2] == pytest.approx(2 / 100)
    assert p[3] < 1 / 100 and p[4] < p[3] and p[4] > 0


def tree_of(groups, n):
    """CandidateGroups of nested row sets (each inside the smallest set that contains it, or
    the root), as a condensed tree: node ids from n + 1 up, n the root."""
    from synth_quality.analysis.regions import CandidateGroups

    sets = sorted((frozenset(int(r) for r in g) for g in groups), key=len, reverse=True)
    parent, child = [], []
    for i, rows in enumerate(sets):
        holders = [j for j in range(i) if rows < sets[j]]
        parent.append(n + 1 + holders[-1] if holders else n)
        child.append(n + 1 + i)
    for row in range(n):
        holders = [j for j, rows in enumerate(sets) if row in rows]
        parent.append(n + 1 + holders[-1] if holders else n)
        child.append(row)
    return CandidateGroups.from_tree(np.array(parent), np.array(child), n)


def membership(labels):
    """Candidate groups of flat group labels."""
    return tree_of([np.flatnonzero(labels == g) for g in np.unique(labels)], len(labels))


def test_regions_are_found_without_labels_and_tested_with_them():
    rng = np.random.default_rng(3)
    labels = np.repeat(np.arange(40), 25)          # 40 label-blind groups of 25 rows
    groups = membership(labels)
    is_real = rng.random(len(labels)) < 0.2
    # With labels independent of the groups, regions appear rarely (family-wise 5%).
    found = sum(len(one_sided_regions(groups, rng.random(len(labels)) < 0.2, 0.05, 0.25)) > 0
                for _ in range(60))
    assert found <= 6
    # A group of real rows only (expected 20 synthetic rows there) is a real-only region.
    is_real[labels == 5] = True
    regions = one_sided_regions(groups, is_real, 0.05, 0.25)
    assert regions["side"].tolist() == ["real"]
    assert sorted(regions["rows"].iloc[0]) == np.flatnonzero(labels == 5).tolist()
    assert regions["n_other"].iloc[0] == 0


def test_nested_candidates_report_only_the_largest_one_sided_region():
    """Candidates from a tree are nested: a one-sided group and its halves are all significant,
    and the region reported is the whole group, once."""
    rng = np.random.default_rng(4)
    n = 1000
    is_real = rng.random(n) < 0.5
    is_real[:60] = False                            # rows 0-59: synthetic only
    rows = [np.arange(60), np.arange(30), np.arange(30, 60), np.arange(200, 400)]
    groups = tree_of(rows, n)
    regions = one_sided_regions(groups, is_real, 0.05, 0.25)
    assert len(regions) == 1 and regions["side"].iloc[0] == "synthetic"
    assert sorted(regions["rows"].iloc[0]) == list(range(60))


def test_condensed_tree_memberships_hold_every_level():
    from synth_quality.analysis.regions import fine_groups

    rng = np.random.default_rng(5)
    # Two tight blobs of 40 inside one loose region, and a far blob of 40.
    coords = np.vstack([rng.normal(0, 0.05, (40, 2)), rng.normal([0.6, 0], 0.05, (40, 2)),
                        rng.normal([10, 10], 0.05, (40, 2))])
    groups = fine_groups(coords, 5)
    sets = [frozenset(groups.members(i).tolist()) for i in range(len(groups))]
    assert frozenset(range(80, 120)) in sets
    assert any(set(range(40)) <= s and not s & set(range(80, 120)) for s in sets)


def test_tarone_leaves_out_tests_that_can_never_be_significant():
    p = np.array([0.001, 0.3, 0.3, 0.3])
    p_min = np.array([1e-6, 0.3, 0.3, 0.3])        # three tests can never reach 0.05 / m
    adjusted = tarone_holm(p, p_min, 0.05)
    assert adjusted[0] == pytest.approx(0.001)     # one test counted, not four
    assert (adjusted[1:] == 1).all()
