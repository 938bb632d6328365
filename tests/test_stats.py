"""synth_quality.stats: the AUCs (DeLong, from ranks) and Holm's adjustment."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score

from synth_quality.stats import holm
from synth_quality.stats import auc_with_ci


def test_delong_auc_matches_sklearn_and_ci_narrows_with_n():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2, 400).astype(bool)
    s = rng.normal(size=400) + y
    out = auc_with_ci(y, s)
    assert out["auc"] == pytest.approx(roc_auc_score(y, s))
    big = auc_with_ci(np.tile(y, 10), np.tile(s, 10))
    assert (big["ci_high"] - big["ci_low"]) < (out["ci_high"] - out["ci_low"]) / 2
    assert np.isnan(auc_with_ci(np.zeros(5, bool), np.arange(5))["auc"])


def test_holm_adjustment():
    assert np.allclose(holm(np.array([0.01, 0.04, 0.03])), [0.03, 0.06, 0.06])


@pytest.mark.parametrize("kind", ["binary", "counts", "continuous"])
def test_feature_auc_is_scikit_learns(kind):
    from sklearn.metrics import roc_auc_score

    from synth_quality.stats import rank_auc

    rng = np.random.default_rng(3)
    draw = {"binary": lambda n, p: (rng.random(n) < p).astype(float),
            "counts": lambda n, p: rng.poisson(10 * p, n).astype(float),
            "continuous": lambda n, p: rng.normal(p, 1, n)}[kind]
    real, synthetic = draw(300, 0.3), draw(700, 0.6)
    want = roc_auc_score(np.r_[np.zeros(300), np.ones(700)], np.r_[real, synthetic])
    assert rank_auc(real, synthetic) == pytest.approx(want, abs=1e-12)
    assert rank_auc(synthetic, real) == pytest.approx(1 - want, abs=1e-12)
