"""synth_quality.analysis.reference: the no-difference reference every figure is read against
(quick: formulas checked by simulation, and the planted audit made with the fake embedder)."""

from __future__ import annotations

import numpy as np
import pytest

from synth_quality.analysis.reference import (BAND_LEVEL, EXPECTED, FIGURES, auc_band,
                                              exact_coverage, rate_band, reading, spread_band)


def test_exact_coverage_matches_shuffled_labels():
    """Coverage with no difference: the chance that a real row's neighbours, up to its 5th
    nearest real row, hold a synthetic row. Checked by drawing exchangeable labels."""
    rng = np.random.default_rng(0)
    for n_real, n_syn in ((50, 400), (400, 50), (100, 100)):
        covered = []
        for _ in range(4000):
            # labels of the row's neighbours in order, drawn without replacement
            order = rng.permutation(np.r_[np.zeros(n_real - 1, bool), np.ones(n_syn, bool)])
            fifth_real = np.flatnonzero(~order)[4]
            covered.append(order[:fifth_real].any())
        assert exact_coverage(n_real, n_syn, 5) == pytest.approx(np.mean(covered), abs=0.02)


def test_a_rate_band_holds_the_binomial_spread_even_at_rate_zero():
    band = rate_band(0.0, 20_000, 2_000)
    assert band["low"] == 0 and 0 < band["high"] <= 0.005   # chance allows a few rows
    band = rate_band(0.1, 5_000, 1_000)
    hits = np.random.default_rng(1).binomial(1_000, 0.1, 20_000) / 1_000
    inside = np.mean((hits >= band["low"]) & (hits <= band["high"]))
    assert inside >= BAND_LEVEL - 0.01


def test_spread_band_and_reading():
    band = spread_band([0.49, 0.5, 0.51, 0.5], (0.0, 1.0))
    assert band["low"] < 0.49 and band["high"] > 0.51
    assert reading(0.5, band["low"], band["high"]) == EXPECTED
    assert reading(0.9, band["low"], band["high"]) == "higher than with no difference"
    assert reading(None, band["low"], band["high"]) is None


def test_auc_band_holds_the_auc_of_a_feature_with_no_difference():
    rng = np.random.default_rng(2)
    low, high = auc_band(300, 2000)
    from synth_quality.stats import rank_auc

    aucs = [rank_auc(rng.normal(size=300), rng.normal(size=2000)) for _ in range(400)]
    assert np.mean((np.array(aucs) >= low) & (np.array(aucs) <= high)) >= 0.99


def test_every_figure_of_an_audit_carries_its_band(planted_audit):
    s = planted_audit.summary
    figures = s["no_difference"]["figures"]
    assert set(figures) == set(FIGURES)
    for name, entry in figures.items():
        assert entry["low"] is not None and entry["low"] <= entry["high"], name
        assert entry["reading"] in (EXPECTED, "higher than with no difference",
                                    "lower than with no difference"), name
    for name, g in s["by_generator"].items():
        assert set(g["no_difference"]) == {"detection_auc", "unrealistic", "precision",
                                           "degenerate_share", "copies_share"}
        low, high = g["no_difference"]["detection_auc"]
        assert 0.3 < low <= 0.5 <= high < 0.75
    for artifact in s["artifacts"]:
        assert artifact["no_difference"][0] == 0.5 < artifact["no_difference"][1]
    clusters = planted_audit.clusters
    assert (clusters["real_share_low"] <= clusters["expected_real_share"]).all()
    assert (clusters["real_share_high"] >= clusters["expected_real_share"]).all()
    # The planted documentary mode (real only) lies outside its cluster's band.
    real_only = clusters[clusters["status"] == "real_only"]
    assert len(real_only) and (real_only["real_share"] > real_only["real_share_high"]).all()
