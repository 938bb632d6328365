"""The large audit folders the dashboard's scale test and benchmark build (demo/tiled.py)."""

from __future__ import annotations

import numpy as np

from synth_quality import AuditResult
from synth_quality.demo.tiled import tile_audit


def test_a_tiled_audit_is_consistent_and_passes_the_schema(planted_audit, tmp_path):
    small = planted_audit
    n = len(small.examples)
    big = tile_audit(small, 10 * n + 1, seed=3)             # 11 copies
    folder = big.save(tmp_path / "big")                     # the suite validates the summary
    loaded = AuditResult.load(folder)
    ex = loaded.examples
    assert len(ex) == 11 * n == loaded.summary["n_rows"]
    assert loaded.summary["n_real"] == int((ex["side"] == "real").sum()) == 11 * small.n_real
    assert loaded.summary["categories"] == {
        k: int((ex["category"] == k).sum()) for k in loaded.summary["categories"]}
    sizes = ex["cluster"].value_counts()
    for c in loaded.clusters.itertuples():
        assert c.size == sizes.get(c.cluster, 0)
    assert not ex.duplicated(["side", "row"]).any()
    assert ex["text"].nunique() == 11 * small.examples["text"].nunique()   # each copy marked
    # The first copy is the small audit; the others sit near it, each moved differently.
    first = ex.iloc[:n]
    assert np.array_equal(first["x"].to_numpy(), small.examples["x"].to_numpy())
    moved = ex["x"].to_numpy()[n:2 * n] - small.examples["x"].to_numpy()
    assert 0 < np.abs(moved).mean() < 0.2 * np.ptp(small.examples["x"].to_numpy())
    again = tile_audit(small, 10 * n + 1, seed=3).examples
    assert again[["x", "y", "row", "text"]].equals(big.examples[["x", "y", "row", "text"]])
