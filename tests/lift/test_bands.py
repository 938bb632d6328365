"""synth_quality.lift.bands (issue 18): the lift per density band of the evaluation rows, the
evaluation rows that leaked into generation, and the filtered synthetic set measured to help.

Cases reuse the lift tests' texts (class words and fillers, the hashing embedder)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import HashingEmbedder, reviews, unit_rows
from synth_quality.analysis.corners import real_bands
from synth_quality.config import EmbedConfig
from synth_quality.graph.rarity import kth_similarity
from synth_quality.io import load_inputs
from synth_quality.lift.bands import eval_bands, recommended_filter
from synth_quality.lift.config import LiftConfig
from synth_quality.lift.run import run_lift

FAST = LiftConfig(n_seeds=2, curve_seeds=1, n_bootstrap=300, fractions=(1.0,),
                  drop_percents=(20,), n_random_draws=2)




@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(1)
    return {"real": reviews(rng, 120, "r"), "eval": reviews(rng, 300, "e"),
            "same": reviews(rng, 1000, "s")}


def lift(real, synthetic, eval_data):
    inputs = load_inputs(real=real, synthetic=synthetic, label_column="sentiment")
    return run_lift(inputs, eval_data, config=FAST, embed_config=EmbedConfig(use_cache=False),
                    embedder=HashingEmbedder())


def test_fresh_rows_spread_evenly_over_the_real_rows_bands():
    X = unit_rows(3000, dim=12, seed=4)
    real, fresh = X[:1000], X[1000:]
    band = eval_bands(real, fresh, 5, 10)
    shares = np.bincount(band, minlength=10) / len(fresh)
    assert np.all(np.abs(shares - 0.1) < 0.035)      # binomial spread at 2,000 rows: +-0.02
    # A real row's own band, found the same way as an evaluation row's, is its band.
    own = kth_similarity(real, np.arange(1000), 0, 1000, 5)
    assert set(real_bands(1 - own, 10).band.tolist()) == set(range(10))


def test_lift_by_band_is_the_accuracy_difference_on_each_bands_rows(case):
    res = lift(case["real"].iloc[:100], case["same"], case["eval"])
    block = res.summary["by_band"]
    rows = res.eval_rows[~res.eval_rows["excluded"]]
    assert block["n_bands"] == 10 and rows["band"].notna().all()
    assert sum(b["n_eval"] for b in block["bands"]) == len(rows)
    for entry in block["bands"]:
        part = rows[rows["band"] == entry["band"]]
        if entry["lift"] is None:
            assert len(part) < 10
            continue
        acc = lambda col: float((part[col] == part["label"]).mean())  # noqa: E731
        assert entry["real_only"] == pytest.approx(acc("pred_real_only"))
        assert entry["lift"] == pytest.approx(acc("pred_real_plus_synthetic")
                                              - acc("pred_real_only"))
        lo, hi = entry["lift_ci"]
        assert lo <= hi
    centre = rows[rows["band"].isin([1, 2])]
    assert block["centre"]["n_eval"] == len(centre)
    assert "Lift by band" in block["sentence"]
    assert any("Lift by band" in f for f in res.summary["findings"])


def test_evaluation_rows_copied_into_the_synthetic_rows_are_reported(case):
    synthetic = case["same"].copy()
    ev = case["eval"]
    synthetic.loc[:3, "text"] = ev["text"].iloc[:4].to_numpy()          # exact copies
    synthetic.loc[4, "text"] = ev["text"].iloc[4] + " indeed"          # a near copy
    real = pd.concat([case["real"], ev.iloc[[10]]], ignore_index=True)  # a real copy
    res = lift(real, synthetic, ev)
    leak = res.summary["eval"]["leaked_into_synthetic"]
    assert set(leak["rows"]) >= {0, 1, 2, 3}
    assert 10 not in leak["rows"]                                      # real, not generation
    assert {e["kind"] for e in leak["examples"]} >= {"exact"}
    assert any("leaked into generation" in f for f in res.summary["findings"])
    clean = lift(case["real"], case["same"], case["eval"])
    assert clean.summary["eval"]["leaked_into_synthetic"]["n_rows"] == 0
    assert not any("leaked into generation" in f for f in clean.summary["findings"])


def test_the_recommended_filter_is_the_largest_significant_lift():
    def point(percent, lift, verdict, beats):
        return {"percent": percent, "n_dropped": int(percent), "lift": lift,
                "lift_ci": [lift - 0.01, lift + 0.01], "verdict": verdict, "beats_random": beats}

    summary = {"filter_and_retest": {
        "outlier": [point(5, 0.02, "helps", False), point(10, 0.05, "no significant lift", True)],
        "label_issue": [point(5, 0.03, "helps", True), point(20, 0.04, "helps", False)]}}
    signals = {"outlier": {"order": np.arange(100)},
               "label_issue": {"order": np.arange(100)[::-1]}}
    rows = np.arange(100) + 1000
    chosen = recommended_filter(summary, signals, rows)
    assert chosen["signal"] == "label_issue" and chosen["percent"] == 5   # beats random first
    assert chosen["dropped_rows"] == [1095, 1096, 1097, 1098, 1099]
    assert chosen["n_kept"] == 95
    summary["filter_and_retest"]["label_issue"][0]["verdict"] = "no significant lift"
    assert recommended_filter(summary, signals, rows)["percent"] == 20
    for points in summary["filter_and_retest"].values():
        for p in points:
            p["verdict"] = "hurts"
    assert recommended_filter(summary, signals, rows) is None
