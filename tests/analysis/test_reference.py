"""synth_quality.analysis.reference: the no-difference reference every figure is read against
(quick: formulas checked by simulation, and the planted audit made with the fake embedder)."""

from __future__ import annotations

import numpy as np
import pytest

from synth_quality.analysis.reference import (BAND_LEVEL, EXPECTED, FIGURES, auc_band,
                                              exact_coverage, group_shares_of_real_rows,
                                              rate_band, reading, spread_band)
from synth_quality.analysis.scores import duplicate_shares


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


def clumpy_groups(n: int, rng, n_phrases: int = 40, repeated: float = 0.5) -> np.ndarray:
    """Near-duplicate groups of n draws of text that repeats itself: ``repeated`` of the draws
    are one of ``n_phrases`` stock phrases (Zipf-like popularity), the rest unique."""
    weights = 1.0 / np.arange(1, n_phrases + 1)
    phrase = rng.choice(n_phrases, n, p=weights / weights.sum())
    groups = np.where(rng.random(n) < repeated, phrase, -1)
    sizes = np.bincount(groups[groups >= 0], minlength=n_phrases)
    return np.where((groups >= 0) & (sizes[np.clip(groups, 0, None)] > 1), groups, -1)


@pytest.mark.parametrize("n_real,n_syn", [(1000, 2000), (500, 4000), (2400, 300)])
def test_unvaried_and_unoriginal_bands_hold_for_clumpy_repetition(n_real, n_syn):
    """With no difference, the observed shares fall inside the bands read off the real rows,
    however clumpy the repetition (a pooled per-pair rate missed them on such text)."""
    rng = np.random.default_rng(n_real)
    outside = 0
    for _ in range(200):
        groups = clumpy_groups(n_real + n_syn, rng)
        is_syn = rng.permutation(np.r_[np.zeros(n_real, bool), np.ones(n_syn, bool)])
        observed = duplicate_shares(groups, is_syn)
        reference = group_shares_of_real_rows(groups, is_syn)
        for name in ("unoriginal", "unvaried"):
            band = rate_band(reference[name], reference["rows"], n_syn)
            outside += not band["low"] <= observed[name] <= band["high"]
    assert outside / 400 <= 0.02


def test_a_synthetic_side_that_repeats_itself_is_above_the_unvaried_band():
    rng = np.random.default_rng(1)
    n_real, n_syn = 1000, 2000
    groups = np.r_[clumpy_groups(n_real + n_syn, rng)]
    is_syn = np.r_[np.zeros(n_real, bool), np.ones(n_syn, bool)]
    # The generator collapses: 600 of its unique rows become 30 templates of 20 rows each.
    unique_syn = np.flatnonzero(is_syn & (groups < 0))[:600]
    groups[unique_syn] = groups.max() + 1 + np.arange(600) // 20
    reference = group_shares_of_real_rows(groups, is_syn)
    band = rate_band(reference["unvaried"], reference["rows"], n_syn)
    assert duplicate_shares(groups, is_syn)["unvaried"] > band["high"] + 0.1


def test_a_detector_scoring_below_its_band_has_found_nothing():
    from synth_quality.analysis.reference import figure_reading

    assert figure_reading("detection_auc", 0.38, 0.39, 0.64) == EXPECTED
    assert figure_reading("unrealistic", 0.40, 0.45, 0.55) == EXPECTED
    assert figure_reading("detection_auc", 0.70, 0.39, 0.64) == "higher than with no difference"
    # any other figure below its band is a finding (recall lower than chance gives)
    assert figure_reading("recall", 0.10, 0.89, 0.96) == "lower than with no difference"


def test_real_rows_the_generator_copied_stay_out_of_the_unvaried_reference():
    """Copies put real rows in groups of synthetic rows by the defect: counted, they would
    raise the no-difference unvaried share by the copied share."""
    n_real, n_syn = 400, 1000
    groups = np.full(n_real + n_syn, -1)
    is_syn = np.r_[np.zeros(n_real, bool), np.ones(n_syn, bool)]
    groups[:28] = np.arange(28)                   # 28 real rows ...
    groups[n_real:n_real + 28] = np.arange(28)    # ... each copied once
    is_copy = np.r_[np.zeros(n_real, bool), np.arange(n_syn) < 28]
    assert group_shares_of_real_rows(groups, is_syn)["unvaried"] == pytest.approx(28 / 400)
    assert group_shares_of_real_rows(groups, is_syn, is_copy)["unvaried"] == 0.0
