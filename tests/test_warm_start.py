"""Adding rows to an audited dataset: UMAP starts from the earlier audit's layouts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.spatial import procrustes

from synth_quality import AuditConfig, audit
from synth_quality.project import warm_start

from conftest import HashingEmbedder, planted_frames

CONFIG = AuditConfig.from_dict({"embed": {"use_cache": False},
                                "cluster": {"min_cluster_size": 10},
                                "project": {"cache": False}})


def grown_frames():
    """The planted tables plus 40 new synthetic rows about acting and plot (a new round)."""
    real, synth = planted_frames()
    more_real, more_synth = planted_frames(seed=7)
    new = more_synth.iloc[:40].assign(generator="gen-new")
    return real, pd.concat([synth, new], ignore_index=True)


def run(real, synth, previous=None):
    return audit(real=real, synthetic=synth, label_column="sentiment",
                 generator_column="generator", config=CONFIG, embedder=HashingEmbedder(),
                 previous=previous)


@pytest.fixture(scope="module")
def rounds():
    first = run(*planted_frames())
    real, synth = grown_frames()
    return first, run(real, synth, previous=first), run(real, synth), (real, synth)


def _old_rows_xy(result, first):
    merged = result.examples.merge(first.examples[["side", "text", "x", "y"]],
                                   on=["side", "text"], suffixes=("", "_before"))
    return merged[["x_before", "y_before"]].to_numpy(), merged[["x", "y"]].to_numpy()


def test_warm_start_is_recorded_and_keeps_old_rows_in_place(rounds):
    first, warm, cold, _ = rounds
    info = warm.summary["warm_start"]
    n_new = len(warm.examples) - info["rows_matched"]
    assert info["rows_new"] == n_new > 0
    assert info["epochs"] == CONFIG.project.update_epochs
    assert cold.summary["warm_start"] is None
    assert any("earlier audit" in w for w in warm.warnings)
    # Old rows keep their arrangement far better than a layout made from scratch.
    _, _, moved_warm = procrustes(*_old_rows_xy(warm, first))
    _, _, moved_cold = procrustes(*_old_rows_xy(cold, first))
    assert moved_warm < 0.5 * moved_cold, (moved_warm, moved_cold)


def test_new_rows_land_beside_their_own_kind(rounds):
    _, warm, _, _ = rounds
    ex = warm.examples
    new = ex["generator"] == "gen-new"
    xy = ex[["x", "y"]].to_numpy()
    for i in np.flatnonzero(new.to_numpy())[:10]:
        nearest = np.argsort(np.linalg.norm(xy - xy[i], axis=1))[1:6]
        # Its map neighbours share words with it (the hashing embedder's notion of meaning).
        words = set(ex["text"].iloc[i].split()) - {"."}
        shared = [len(words & set(ex["text"].iloc[j].split())) for j in nearest]
        assert max(shared) >= 2, (ex["text"].iloc[i], [ex["text"].iloc[j] for j in nearest])


def test_warm_start_is_reproducible(rounds):
    first, warm, _, (real, synth) = rounds
    again = run(real, synth, previous=first)
    pd.testing.assert_frame_equal(again.examples, warm.examples)


def test_an_unrelated_previous_audit_is_ignored(rounds):
    first, _, _, _ = rounds
    real = pd.DataFrame({"text": [f"completely different text number {i} ." for i in range(60)],
                         "sentiment": "pos"})
    synth = pd.DataFrame({"text": [f"other synthetic words row {i} ." for i in range(60)],
                          "sentiment": "neg", "generator": "g"})
    result = run(real, synth, previous=first)
    assert result.summary["warm_start"] is None


def test_warm_start_positions():
    before = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0]], np.float32)
    keys_before = [("real", "a"), ("real", "b"), ("synthetic", "c")]
    keys_now = [("real", "b"), ("synthetic", "new"), ("real", "a"), ("synthetic", "lonely")]
    knn = np.array([[2, 1, 3], [0, 2, 3], [0, 1, 3], [3, 3, 3]])  # row 3 has no old neighbour
    start, matched = warm_start(keys_now, keys_before, before, knn)
    assert matched == 2
    np.testing.assert_allclose(start[0], [10, 0])
    np.testing.assert_allclose(start[2], [0, 0])
    np.testing.assert_allclose(start[1], [5, 0])   # between its old neighbours b and a
    np.testing.assert_allclose(start[3], [5, 0])   # the centre of the old rows
