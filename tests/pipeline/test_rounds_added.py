"""Rounds end to end (issue 18, done means): generation rounds added with ``add_rows`` that
progressively lose the tails raise the warning (summary, verdict, notes); rounds drawn alike do
not. The rounds are real critic snippets the tests hold out, embedded with the real model: each
later round of the collapsing case is drawn from a narrower dense core of the candidate pool
(density measured in the pool itself, never by the bands under test)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import held_out_real_snippets
from synth_quality import AuditConfig, add_rows, audit
from synth_quality.graph.knn import build_neighbor_graph

pytestmark = pytest.mark.slow

#: Light settings: the rounds' figures do not depend on the map or the clusters.
LIGHT = AuditConfig.from_dict({"project": {"n_epochs": 30, "place_epochs": 20},
                               "reference": {"repeats": 5, "second_view_rows": 0},
                               "corners": {"diversity_rows": 100}})


@pytest.fixture(scope="module")
def pool():
    from synth_quality.config import EmbedConfig
    from synth_quality.embed.api import embed_texts

    texts = held_out_real_snippets()[:4000]
    X, _ = embed_texts(texts, EmbedConfig())
    candidates = X[800:]
    graph = build_neighbor_graph(candidates, len(candidates), 14, 5)
    # 0 = the densest candidate (its 5th nearest candidate is nearest), 1 = the rarest.
    rank = np.argsort(np.argsort(1 - graph.own_radius)) / len(candidates)
    return texts[:800], np.asarray(texts[800:], dtype=object), rank


def run_rounds(real, rounds, tmp_path):
    result = audit(real=pd.DataFrame({"text": real}),
                   synthetic=pd.DataFrame({"text": rounds[0]}), config=LIGHT)
    for i, texts in enumerate(rounds[1:], start=1):
        path = tmp_path / f"round{i}.csv"
        pd.DataFrame({"text": texts}).to_csv(path, index=False)
        result = add_rows(result, path)
    return result


def test_rounds_that_lose_the_tails_raise_the_warning(pool, tmp_path):
    real, candidates, rank = pool
    rng = np.random.default_rng(0)
    cores = [1.0, 0.6, 0.35, 0.2]              # each round from a narrower dense core
    rounds = [rng.choice(candidates[rank < c], 400, replace=False).tolist() for c in cores]
    result = run_rounds(real, rounds, tmp_path)
    block = result.summary["rounds"]
    assert [r["round"] for r in block["by_round"]] == [0, 1, 2, 3]
    tails = [r["tail_mass"]["value"] for r in block["by_round"]]
    assert all(b < a for a, b in zip(tails, tails[1:])), tails
    assert block["tails_shrinking"] and "round after round" in block["warning"]
    assert block["warning"] in result.warnings
    assert "tails shrink round after round" in result.summary["verdict"]
    assert result.summary["diversity"]["by_round"].keys() == {"0", "1", "2", "3"}


def test_rounds_drawn_alike_raise_no_warning(pool, tmp_path):
    real, candidates, _ = pool
    rng = np.random.default_rng(1)
    picked = rng.choice(len(candidates), 1200, replace=False)
    rounds = [candidates[picked[i::3]].tolist() for i in range(3)]
    result = run_rounds(real, rounds, tmp_path)
    block = result.summary["rounds"]
    assert len(block["by_round"]) == 3
    assert not block["tails_shrinking"] and block["warning"] is None
    assert not any("round after round" in w for w in result.warnings)
    assert result.summary["centre_vs_corners"]["verdict"] == "even"
