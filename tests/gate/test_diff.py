"""synth_quality.gate.diff: what changed between two audits, on audits whose changes are
planted (a mode dropped, a missed mode filled, a new off-topic mode), next to the plain
baseline of an audit compared with itself."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synth_quality import AuditConfig, audit
from synth_quality.gate.diff import SAME_GROUP, diff_audits, render, row_keys

DOCU = ["documentary", "glacier", "ice", "arctic", "footage", "expedition", "climate", "melt"]
CARS = ["engine", "gearbox", "tyre", "piston", "exhaust", "clutch", "radiator", "axle"]
FILLERS = ["good", "bad", "strong", "weak", "fine", "dull", "bright", "odd", "clever", "slow"]


def sentences(pool, n, seed):
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        words = list(rng.choice(pool, 5, replace=False)) + list(rng.choice(FILLERS, 3,
                                                                           replace=False))
        rng.shuffle(words)
        out.append(" ".join(words) + " .")
    return out


@pytest.fixture(scope="module")
def next_round(planted, fake_embedder_module):
    """The planted audit's next generation round: the blender rows (a mode only the synthetic
    side had) are gone, 30 documentary rows fill the mode the generator missed, and 30 rows
    about car parts are a new off-topic mode. The real rows are the same."""
    real, synth = planted
    blender = synth["text"].str.contains("blender|smoothie|kitchen|appliance")
    kept = synth[~blender]
    added = pd.DataFrame({"text": sentences(DOCU, 30, 11) + sentences(CARS, 30, 12),
                          "sentiment": ["pos", "neg"] * 30, "generator": "gen-c"})
    config = AuditConfig.from_dict({"embed": {"use_cache": False},
                                    "cluster": {"min_cluster_size": 10}})
    return audit(real=real, synthetic=pd.concat([kept, added], ignore_index=True),
                 label_column="sentiment", generator_column="generator", config=config,
                 embedder=fake_embedder_module), int(blender.sum())


@pytest.fixture(scope="module")
def fake_embedder_module():
    from conftest import HashingEmbedder

    return HashingEmbedder()


def test_row_keys_tell_repeated_texts_apart():
    ex = pd.DataFrame({"side": ["real", "synthetic", "synthetic", "real"],
                       "text": ["a", "a", "a", "a"]})
    assert row_keys(ex) == [("real", "a", 0), ("synthetic", "a", 0), ("synthetic", "a", 1),
                            ("real", "a", 1)]


def test_an_audit_against_itself_changes_nothing(planted_audit):
    """The baseline: every row, cluster and region in both, no change anywhere."""
    d = diff_audits(planted_audit, planted_audit)
    assert d.rows == {"old": 285, "new": 285, "in_both": 285, "only_old": 0, "only_new": 0}
    assert all(c.delta == 0 for c in d.scores + d.counts if c.delta is not None)
    assert len(d.clusters.matched) == planted_audit.summary["n_clusters"]
    assert not (d.clusters.new or d.clusters.vanished or d.clusters.changed)
    n_regions = int(planted_audit.examples["uncovered_region"].nunique())
    assert len(d.regions.matched) == n_regions and not (d.regions.new or d.regions.vanished)
    assert all(p.jaccard == 1.0 for p in d.clusters.matched + d.regions.matched)
    assert d.artifacts == [] and d.generators_new == d.generators_vanished == []
    auc = d.scores[0]
    assert auc.name == "detection_auc" and auc.intervals_overlap is True


def test_planted_changes_are_found(planted_audit, next_round):
    new, n_blender = next_round
    d = diff_audits(planted_audit, new)
    assert d.rows["only_old"] == n_blender == 30 and d.rows["only_new"] == 60
    assert d.rows["in_both"] == 285 - 30
    # The blender cluster (synthetic only) is gone with its rows.
    vanished = {m.group.label: m for m in d.clusters.vanished}
    assert "synthetic_only" in vanished
    assert vanished["synthetic_only"].mostly_in is None          # none of its rows remain
    blender_words = {"blender", "kitchen", "smoothie", "motor", "blade", "appliance", "cord"}
    assert set(vanished["synthetic_only"].group.keywords) & blender_words
    # The car parts are a new mode made only of new rows.
    (cars,) = [m for m in d.clusters.new if set(m.group.keywords) & set(CARS)]
    assert cars.group.label == "synthetic_only" and cars.group.only_here == cars.group.size
    # The documentary mode the generator missed is the same cluster, now shared.
    (docu,) = [p for p in d.clusters.changed if set(p.old.keywords) & set(DOCU)]
    assert (docu.old.label, docu.new.label) == ("real_only", "shared")
    assert docu.jaccard > SAME_GROUP and docu.new.only_here >= 25
    # Regions: the real documentary rows are reached now; the car rows are a new region.
    (gone,) = [m for m in d.regions.vanished if m.group.label == "real"]
    assert set(gone.group.keywords) & set(DOCU) and gone.mostly_in is None
    assert any(m.group.label == "synthetic" and set(m.group.keywords) & set(CARS)
               for m in d.regions.new)
    # Counts agree with the two summaries.
    counts = {c.name: c for c in d.counts}
    assert counts["n_clusters_real_only"].delta == (new.summary["n_clusters_real_only"]
                                                   - planted_audit.summary["n_clusters_real_only"])
    assert counts["n_real_uncovered"].new.value < counts["n_real_uncovered"].old.value
    assert d.generators_new == ["gen-c"] and set(d.generator_scores) == {"gen-a", "gen-b"}


def test_render_and_json(planted_audit, next_round):
    new, _ = next_round
    d = diff_audits(planted_audit, new)
    text = render(d, "runs/1", "runs/2", limit=10)
    assert "runs/1: 285 rows; runs/2: 315 rows (255 in both, 30 only in runs/1, 60 only in " \
           "runs/2)." in text
    assert "changed: cluster" in text and "real_only -> shared" in text
    assert "vanished: cluster" in text and "new: cluster" in text
    assert "detection_auc" in text and "95% intervals" in text
    back = json.loads(json.dumps(d.to_dict()))
    assert back["rows"]["only_new"] == 60 and back["clusters"]["changed"]
    assert render(d, limit=0).count("new: cluster") == 0     # --limit 0 lists none
