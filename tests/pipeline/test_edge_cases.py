"""Degenerate inputs: each either works with a sensible answer or fails with one clear line."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth_quality import AuditConfig, InputDataError, audit
from synth_quality.project.layout import project

FAST = {"embed": {"use_cache": False}}


def small(n_real, n_syn, texts_real=None, texts_syn=None):
    real = pd.DataFrame({"text": texts_real or [f"real review number {i} about acting" for i in range(n_real)]})
    syn = pd.DataFrame({"text": texts_syn or [f"synthetic review {i} about a blender" for i in range(n_syn)]})
    return real, syn


def test_minimum_rows_per_side_runs(fake_embedder):
    """Exactly n_folds rows on each side is enough to cross-validate."""
    real, syn = small(5, 5)
    r = audit(real=real, synthetic=syn, embedder=fake_embedder, config=AuditConfig.from_dict(FAST))
    assert len(r.examples) == 10 and r.examples["p_synthetic"].between(0, 1).all()


def test_one_row_on_a_side_is_refused(fake_embedder):
    """One real row cannot be cross-validated: a clear message, not a crash."""
    real, syn = small(1, 20)
    with pytest.raises(InputDataError, match="the real side has 1 row"):
        audit(real=real, synthetic=syn, embedder=fake_embedder, config=AuditConfig.from_dict(FAST))


def test_all_duplicates(fake_embedder):
    """Every row the same text: one near-duplicate group, unoriginal = 1, no crash."""
    real, syn = small(6, 6, ["same text ."] * 6, ["same text ."] * 6)
    r = audit(real=real, synthetic=syn, embedder=fake_embedder, config=AuditConfig.from_dict(FAST))
    assert r.examples["near_duplicate_group"].nunique() == 1
    assert r.summary["unoriginal"] == 1.0 and r.summary["unvaried"] == 0.0


def test_min_cluster_size_larger_than_data_gives_noise_and_a_warning(fake_embedder):
    """min_cluster_size > n: every row is noise, said in the warnings."""
    real, syn = small(10, 10)
    cfg = AuditConfig.from_dict({**FAST, "cluster": {"min_cluster_size": 500}})
    r = audit(real=real, synthetic=syn, embedder=fake_embedder, config=cfg)
    assert (r.examples["cluster"] == -1).all()
    assert r.clusters["status"].tolist() == ["noise"]
    assert any("no clusters" in w for w in r.warnings)


def test_blank_and_missing_texts_are_counted_not_silent(fake_embedder):
    """Blank rows are dropped from the audit but counted, with their row numbers."""
    real, syn = small(8, 8)
    syn.loc[2, "text"] = "   "
    syn.loc[5, "text"] = None
    r = audit(real=real, synthetic=syn, embedder=fake_embedder, config=AuditConfig.from_dict(FAST))
    assert r.summary["inputs"]["blank_rows"] == {"real": 0, "synthetic": 2}
    assert r.summary["inputs"]["blank_row_numbers"]["synthetic"] == [2, 5]
    assert any("blank" in w for w in r.warnings)
    assert sorted(r.examples.loc[r.examples["side"] == "synthetic", "row"]) == [0, 1, 3, 4, 6, 7]


def test_tiny_projection_falls_back_without_umap():
    """Three points cannot form a UMAP manifold: a PCA placement keeps the shape."""
    X = np.eye(3, 8, dtype=np.float32)
    out = project(X, None, 5, 15, 0.1, 0)
    assert out.shape == (3, 5) and np.isfinite(out).all()
