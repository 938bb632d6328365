"""synth_quality.analysis.rounds (issue 18, done means): rounds that progressively lose the tails
raise the warning; rounds that do not, do not. Each group's coverage and recall are what the
rows give, and the trend test is Cochran-Armitage's.

Rounds are clouds of points around one direction whose spread shrinks round after round (a
generator that imitates its own output loses the tails first), or stays the same.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2_contingency, pearsonr

from conftest import cloud
from synth_quality.analysis.corners import centre_and_tail, measure
from synth_quality.analysis.rounds import (collapse, group_figures, rounds_block,
                                           synthetic_groups, trend_test)
from synth_quality.graph.knn import build_neighbor_graph

K = 5


def rounds_of(spreads, seed=0, n_real=800, per_round=500):
    real = cloud(n_real, 1.0, seed)
    parts = [cloud(per_round, s, 1000 * (seed + 1) + r) for r, s in enumerate(spreads)]
    X = np.vstack([real, *parts])
    graph = build_neighbor_graph(X, n_real, 14, K)
    corners = measure(X, n_real, graph.own_radius, graph.other_nearest[n_real:], 10, K, 3000,
                      seed, (graph.knn_indices, graph.knn_similarities))
    groups = {("round", r): np.arange(r * per_round, (r + 1) * per_round)
              for r in range(len(spreads))}
    centre, tail = centre_and_tail(10, 0.2, 0.3)
    figures = group_figures(corners, X, n_real, graph.own_radius, groups, K, centre, tail,
                            3000, seed)
    by_round = {r: groups[("round", r)] for r in range(len(spreads))}
    return rounds_block(figures, by_round, 0.01), (X, n_real, graph, groups)


@pytest.mark.parametrize("seed", [0, 1])
def test_rounds_that_lose_the_tails_raise_the_warning(seed):
    block, _ = rounds_of([1.0, 0.85, 0.7, 0.55], seed)
    tails = [r["tail_mass"]["value"] for r in block["by_round"]]
    assert all(b < a for a, b in zip(tails, tails[1:]))
    assert block["tails_shrinking"] and block["p_value"] < 0.01
    assert "round after round" in block["warning"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rounds_from_one_distribution_raise_no_warning(seed):
    block, _ = rounds_of([1.0, 1.0, 1.0, 1.0], seed)
    assert not block["tails_shrinking"] and block["warning"] is None
    assert all(r["tail_mass"]["reading"] == "expected even with no difference"
               for r in block["by_round"])


def test_one_dip_is_not_a_trend():
    block, _ = rounds_of([1.0, 0.7, 1.0])
    assert not block["tails_shrinking"]


def test_a_group_coverage_and_recall_are_what_its_rows_give():
    block, (X, n_real, graph, groups) = rounds_of([1.0, 0.6], seed=3)
    S = X[n_real:] @ X[:n_real].T
    for entry in block["by_round"]:
        members = groups[("round", entry["round"])]
        covered = (S[members] >= graph.own_radius[:n_real][None, :]).any(axis=0).mean()
        reached = (S[members] >= graph.own_radius[n_real:][members][:, None]).any(axis=0).mean()
        assert entry["coverage"]["value"] == pytest.approx(covered)
        assert entry["recall"]["value"] == pytest.approx(reached)
        assert entry["coverage"]["low"] <= entry["coverage"]["mean"] <= entry["coverage"]["high"]
    # The narrow round sits in the middle: its recall reaches fewer real rows.
    assert block["by_round"][1]["recall"]["value"] < block["by_round"][0]["recall"]["value"]


def test_the_trend_test_is_cochran_armitage():
    hits, sizes = np.array([40, 30, 25, 12]), np.array([200, 210, 190, 205])
    z, p = trend_test(hits, sizes)
    assert z < 0 and p < 0.01
    # With scores 0, 1, 2, ... the statistic is N r^2, r the correlation of score and outcome.
    score = np.repeat(np.arange(4), sizes)
    outcome = np.concatenate([np.r_[np.ones(h), np.zeros(n - h)] for h, n in zip(hits, sizes)])
    assert z ** 2 == pytest.approx(sizes.sum() * pearsonr(score, outcome)[0] ** 2)
    # Two groups: Pearson's chi-square of the 2 x 2 table.
    z2, _ = trend_test(hits[:2], sizes[:2])
    table = np.array([hits[:2], sizes[:2] - hits[:2]]).T
    assert z2 ** 2 == pytest.approx(chi2_contingency(table, correction=False)[0])
    assert trend_test(np.array([5]), np.array([10])) == (pytest.approx(np.nan, nan_ok=True),
                                                           pytest.approx(np.nan, nan_ok=True))


def test_collapse_needs_a_fall_at_every_step():
    rounds = [{"n_synthetic": 500, "tail_mass": {"value": v}} for v in (0.20, 0.12, 0.13, 0.05)]
    assert not collapse(rounds, 0.05)["tails_shrinking"]
    rounds[2]["tail_mass"]["value"] = 0.10
    assert collapse(rounds, 0.05)["tails_shrinking"]
    assert not collapse(rounds[:1], 0.05)["tails_shrinking"]


def test_groups_come_from_batches_and_generators():
    rows = pd.DataFrame({"side": ["real"] * 3 + ["synthetic"] * 5,
                         "batch": [0, 0, 0, 0, 0, 1, 1, 2],
                         "generator": [None] * 3 + ["a", "b", "a", None, "b"]})
    groups = synthetic_groups(rows)
    assert {k: v.tolist() for k, v in groups["by_round"].items()} == {0: [0, 1], 1: [2, 3],
                                                                       2: [4]}
    assert {k: v.tolist() for k, v in groups["by_generator"].items()} == {
        "(none)": [3], "a": [0, 2], "b": [1, 4]}
    one_batch = synthetic_groups(rows.assign(batch=0).drop(columns="generator"))
    assert one_batch == {"by_round": {}, "by_generator": {}}
