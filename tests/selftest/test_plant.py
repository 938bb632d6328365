"""synth_quality.selftest.plant: what is planted, where, and that the input is never changed
(quick: reviews made by the self-test's own word lists and the fake embedder)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import HashingEmbedder
from synth_quality.analysis.text_checks import repetition_score
from synth_quality.config import EmbedConfig
from synth_quality.io import load_inputs
from synth_quality.selftest import texts
from synth_quality.selftest.plant import plant, plant_count


@pytest.fixture(scope="module")
def data():
    """300 real and 2,400 synthetic reviews of the same eight kinds of things, labelled."""
    rows = texts.mixed("other_reviews", 2700, seed=1)
    labels = ["pos" if i % 3 else "neg" for i in range(len(rows))]
    real = pd.DataFrame({"text": rows[:300], "label": labels[:300]})
    synthetic = pd.DataFrame({"text": rows[300:], "label": labels[300:],
                              "generator": ["g1", "g2"] * 1200})
    inputs = load_inputs(real=real, synthetic=synthetic, label_column="label",
                         generator_column="generator")
    X = HashingEmbedder().encode_batch(inputs.frame["text"].tolist())
    return inputs, X


@pytest.fixture(scope="module")
def planted(data):
    inputs, X = data
    return plant(inputs, X, seed=3, embed_config=EmbedConfig(use_cache=False),
                 embedder=HashingEmbedder())


def test_the_input_is_never_changed(data, planted):
    inputs, _ = data
    before = inputs.frame.copy()
    plant(inputs, data[1], seed=4, embed_config=EmbedConfig(use_cache=False),
          embedder=HashingEmbedder())
    pd.testing.assert_frame_equal(inputs.frame, before)
    assert planted.inputs.frame is not inputs.frame


def test_every_kind_is_planted_where_the_manifest_says(data, planted):
    inputs, _ = data
    frame, manifest = planted.inputs.frame, planted.manifest
    count = plant_count(2400)
    kinds = manifest["kind"].value_counts().to_dict()
    assert {k: kinds[k] for k in ("exact_copy", "near_copy", "loop", "stutter", "off_topic",
                                  "label_flip")} == {k: count for k in ("exact_copy", "near_copy",
                                                                        "loop", "stutter",
                                                                        "off_topic", "label_flip")}
    real_texts = set(inputs.frame.loc[inputs.frame["side"] == "real", "text"])
    at = frame.loc[manifest["position"].to_numpy()].assign(kind=manifest["kind"].to_numpy())
    assert (at["side"] == manifest["side"].to_numpy()).all()
    assert at.loc[at["kind"] == "exact_copy", "text"].isin(real_texts).all()
    near = at[at["kind"] == "near_copy"]
    assert not near["text"].isin(real_texts).any()
    for kind in ("loop", "stutter"):
        assert all(repetition_score(t) > 0 for t in at.loc[at["kind"] == kind, "text"])
    off = at.loc[at["kind"] == "off_topic", "text"]
    assert off.isin(texts.off_topic(planted.notes["off_topic_topic"], count, 3)).all()
    # Planted synthetic rows carry the self-test's generator name; real rows keep theirs.
    assert (at.loc[at["side"] == "synthetic", "generator"].isin(["selftest", "g1", "g2"])).all()


def test_the_withheld_mode_loses_every_synthetic_row_that_imitated_it(data, planted):
    inputs, _ = data
    frame, manifest = planted.inputs.frame, planted.manifest
    mode = manifest[manifest["kind"] == "withheld_mode"]
    assert (mode["side"] == "real").all() and len(mode) >= 10
    removed = planted.notes["synthetic_rows_removed"]
    n_syn_before = int((inputs.frame["side"] == "synthetic").sum())
    n_added = int((manifest["side"] == "synthetic").sum() - (manifest["kind"] == "label_flip").sum())
    assert int((frame["side"] == "synthetic").sum()) == n_syn_before - removed + n_added
    assert 0 < removed <= 0.15 * n_syn_before
    # Real rows first, then synthetic: the audit's order.
    side = frame["side"].to_numpy()
    assert (side[:int((side == "real").sum())] == "real").all()


def test_flipped_labels_differ_from_the_original(data, planted):
    inputs, _ = data
    flips = planted.manifest[planted.manifest["kind"] == "label_flip"]
    frame = planted.inputs.frame
    original = inputs.frame.set_index(["side", "row"])["label"]
    for position, source_row in zip(flips["position"], flips["source_row"]):
        assert frame.at[position, "label"] != original[("synthetic", source_row)]


def test_the_same_seed_plants_the_same_rows(data, planted):
    inputs, X = data
    again = plant(inputs, X, seed=3, embed_config=EmbedConfig(use_cache=False),
                  embedder=HashingEmbedder())
    pd.testing.assert_frame_equal(again.manifest, planted.manifest)
    pd.testing.assert_frame_equal(again.inputs.frame, planted.inputs.frame)


@pytest.fixture(scope="module")
def crowded():
    """Real reviews of eight kinds of things against synthetic rows that all imitate one
    review (the reference case's shape, more so: its generators crowd into one or two of the
    real rows' topics)."""
    real = texts.mixed("other_reviews", 400, seed=5)
    one = texts.other_review(texts.review_things()[0], 1, seed=6)[0]
    synthetic = [one] * 600
    inputs = load_inputs(real=pd.DataFrame({"text": real}),
                         synthetic=pd.DataFrame({"text": synthetic}))
    return inputs, HashingEmbedder().encode_batch(inputs.frame["text"].tolist())


def test_no_imitated_topic_plants_the_other_kinds_and_says_why(crowded):
    from types import SimpleNamespace

    from synth_quality.selftest.run import evaluate

    inputs, X = crowded
    planted = plant(inputs, X, seed=0, embed_config=EmbedConfig(use_cache=False),
                    embedder=HashingEmbedder())
    kinds = set(planted.manifest["kind"])
    assert "withheld_mode" not in kinds
    assert {"exact_copy", "near_copy", "loop", "stutter", "off_topic"} <= kinds
    assert "no topic" in planted.notes["not_planted"]["withheld_mode"]
    # Nothing was dropped: every original row is still there.
    assert len(planted.inputs.frame) == len(inputs.frame) + (planted.manifest["side"]
                                                             == "synthetic").sum()
    fake_audit = SimpleNamespace(examples=planted.inputs.frame[["side"]], summary={})
    report = evaluate(fake_audit, planted)
    withheld = report["detectors"]["withheld_mode"]
    assert withheld["n_planted"] == 0 and withheld["not_measured"].startswith("nothing planted")


def test_a_grouping_with_no_imitated_topic_is_redrawn(data, monkeypatch):
    """One k-means draw can leave no eligible topic; the next draws are tried, seeded."""
    import synth_quality.selftest.plant as plant_module

    inputs, X = data
    real_draw = plant_module._imitated_topics
    seeds = []

    def first_two_empty(X, real, synthetic, kmeans_seed):
        seeds.append(kmeans_seed)
        return [] if len(seeds) <= 2 else real_draw(X, real, synthetic, kmeans_seed)

    monkeypatch.setattr(plant_module, "_imitated_topics", first_two_empty)
    once = plant(inputs, X, seed=3, embed_config=EmbedConfig(use_cache=False),
                 embedder=HashingEmbedder())
    first_seeds, seeds[:] = list(seeds), []
    again = plant(inputs, X, seed=3, embed_config=EmbedConfig(use_cache=False),
                  embedder=HashingEmbedder())
    assert len(first_seeds) == 3 and len(set(first_seeds)) == 3 and seeds == first_seeds
    assert (once.manifest["kind"] == "withheld_mode").sum() >= 10
    assert once.manifest.equals(again.manifest)
