"""Copies of real rows (analysis.copies): calibrated against the real data's own repetition.

The cases are vectors drawn from one distribution in which some "phrases" repeat (a share of
the draws is an exact repeat of one of a few stock vectors, with float noise), the way short
generated reviews or templated answers repeat. With no difference the threshold alone flags a
large share of the synthetic rows; the calibrated flag must stay within the false discovery
rate, and still flag real rows copied into the synthetic side.
"""

from __future__ import annotations

import numpy as np
import pytest

from conftest import unit_rows
from synth_quality.analysis.copies import (copy_flags, copy_pvalues, copy_statistic,
                                           no_difference_copy_shares, real_reference)

THRESHOLD, FDR = 0.95, 0.05


def repetitive_draws(n: int, seed: int, stock_share: float = 0.4, n_stock: int = 30,
                     dim: int = 32) -> np.ndarray:
    """n unit vectors: ``stock_share`` of them one of ``n_stock`` stock vectors (with float
    noise), the rest unique random directions."""
    rng = np.random.default_rng(seed)
    stock = unit_rows(n_stock, dim, seed=1000)  # the same stock phrases for every draw
    x = unit_rows(n, dim, seed=seed).astype(np.float64)
    repeat = rng.random(n) < stock_share
    x[repeat] = stock[rng.integers(0, n_stock, repeat.sum())] + 1e-4 * rng.normal(size=(repeat.sum(), dim))
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


def audit_statistics(real: np.ndarray, synthetic: np.ndarray):
    """(synthetic rows' statistic, the real reference), computed exactly as the audit does
    from each row's nearest rows."""
    own = real @ real.T
    np.fill_diagonal(own, -np.inf)
    order = np.argsort(-own, axis=1)[:, :5]
    own_nearest = np.take_along_axis(own, order, axis=1)
    reference = real_reference(own_nearest[:, 0], order[:, 0], own_nearest, THRESHOLD)
    cross = synthetic @ real.T
    twin = cross.argmax(axis=1)
    statistic = copy_statistic(cross.max(axis=1), own_nearest[twin, 0], THRESHOLD)
    return cross.max(axis=1), statistic, reference, own_nearest


@pytest.mark.parametrize("n_real,n_syn", [(1000, 2000), (400, 3200), (2400, 300)])
def test_repeated_phrases_of_one_distribution_are_not_copies(n_real, n_syn):
    similarity, statistic, reference, _ = audit_statistics(repetitive_draws(n_real, seed=1),
                                                           repetitive_draws(n_syn, seed=2))
    assert (similarity >= THRESHOLD).mean() > 0.3  # the threshold alone flags a third or more
    assert copy_flags(statistic, reference, THRESHOLD, FDR).mean() <= 0.05


def test_copies_of_rows_the_real_data_never_repeats_are_flagged():
    real = repetitive_draws(1000, seed=1)
    synthetic = repetitive_draws(2000, seed=2)
    *_, own_nearest = audit_statistics(real, synthetic)
    unique_real = np.flatnonzero(own_nearest[:, 0] < 0.9)  # no near-duplicate among the real
    rng = np.random.default_rng(3)
    copied = rng.choice(unique_real, 40, replace=False)
    synthetic[:40] = real[copied]                                   # exact copies
    noisy = real[copied[:20]] + 0.03 * rng.normal(size=(20, real.shape[1])) / np.sqrt(real.shape[1])
    synthetic[40:60] = noisy / np.linalg.norm(noisy, axis=1, keepdims=True)  # near copies
    similarity, statistic, reference, _ = audit_statistics(real, synthetic)
    assert (similarity[:60] >= THRESHOLD).all()
    flags = copy_flags(statistic, reference, THRESHOLD, FDR)
    assert flags[:60].all()
    assert flags[60:].mean() <= 0.05


def test_on_text_that_never_repeats_every_near_copy_is_flagged():
    real, synthetic = unit_rows(800, 32, seed=5), unit_rows(1600, 32, seed=6)
    synthetic[:10] = real[:10]
    similarity, statistic, reference, _ = audit_statistics(real, synthetic)
    flags = copy_flags(statistic, reference, THRESHOLD, FDR)
    assert flags[:10].all() and not flags[10:].any()


def test_the_row_itself_is_left_out_of_its_twins_repetition():
    # Two real rows that are each other's only near-duplicate: a fresh draw shows such a pair,
    # so each counts in the reference with its similarity (not as "a repeated phrase").
    own_nearest = np.array([[0.99, 0.2], [0.99, 0.3], [0.5, 0.1]])
    values = real_reference(own_nearest[:, 0], np.array([1, 0, 0]), own_nearest, THRESHOLD)
    assert values[:2].tolist() == [0.99, 0.99]


def test_a_few_copies_against_a_small_real_side_are_found():
    """The built-in sample's shape: 400 real rows whose nearest other real row is 0.31-0.93
    similar (median 0.60), 28 of 1,076 synthetic rows copied (10 verbatim, 18 at 0.96-0.99).
    Read as similarities, the exponential tail past 0.93 hardly fell (every copy p = 0.001, none
    kept by Benjamini-Hochberg); read as log distances, all 28 are kept and nothing else."""
    reference = np.r_[np.linspace(0.31, 0.75, 360), np.linspace(0.75, 0.932, 40)]
    rng = np.random.default_rng(0)
    statistic = np.r_[np.full(10, 1.0), np.linspace(0.964, 0.989, 18), rng.choice(reference, 1048)]
    flags = copy_flags(statistic, reference, THRESHOLD, FDR)
    assert flags[:28].all() and not flags[28:].any()


def test_a_float_rounding_above_every_reference_value_is_not_evidence():
    # Exact duplicates read 0.99999994 or 1.0000001 by float32 noise alone.
    reference = copy_statistic(np.r_[np.full(50, 0.99999994), np.linspace(0.2, 0.8, 950)],
                               np.full(1000, np.nan), THRESHOLD)
    statistic = copy_statistic(np.array([1.0000001, 0.5]), np.array([np.nan, np.nan]), THRESHOLD)
    p = copy_pvalues(statistic, reference)
    assert p[0] == pytest.approx(51 / 1001)
    assert p[1] > 0.4


def test_without_a_reference_the_threshold_decides():
    similarity = np.array([0.99, 0.5, np.nan])
    assert copy_flags(similarity, np.array([]), THRESHOLD, FDR).tolist() == [True, False, False]


def test_no_difference_shares_stay_near_zero_and_are_seeded():
    _, _, reference, _ = audit_statistics(repetitive_draws(800, seed=4), unit_rows(5, 32))
    a = no_difference_copy_shares(reference, 2000, THRESHOLD, FDR, 20, np.random.default_rng(0))
    b = no_difference_copy_shares(reference, 2000, THRESHOLD, FDR, 20, np.random.default_rng(0))
    assert a == b and len(a) == 20
    assert max(a) <= 0.05
