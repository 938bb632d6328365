"""Documents whose tail drifts off-topic past the model's window are found by the row's
coverage or outlier score (analysis/window_scores.py), where one truncated vector sees nothing."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from conftest import HashingEmbedder
from synth_quality import AuditConfig, audit

TOPICS = {
    "cooking": (["the cook", "my aunt", "the chef", "our neighbour", "the baker", "a student"],
                ["simmered", "roasted", "seasoned", "kneaded", "stirred", "tasted"],
                ["the onions", "a tomato sauce", "the sourdough", "a lentil soup", "the garlic",
                 "fresh basil", "the stock", "a pie crust"]),
    "gardening": (["the gardener", "my uncle", "a volunteer", "the farmer", "our club",
                   "the owner"],
                  ["pruned", "watered", "planted", "mulched", "weeded", "harvested"],
                  ["the roses", "a row of beans", "the apple tree", "the compost heap",
                   "the hedge", "some tulip bulbs", "the lawn", "the seedlings"]),
    "astronomy": (["the observer", "a telescope", "the survey", "an amateur", "the probe",
                   "the observatory"],
                  ["tracked", "photographed", "measured", "mapped", "detected", "catalogued"],
                  ["a distant galaxy", "the comet", "Jupiter's moons", "a variable star",
                   "the nebula", "the meteor shower", "a supernova", "the lunar craters"]),
}
DRIFT = (["the broker", "the central bank", "an investor", "the fund", "the trader",
          "the ministry"],
         ["sold", "hedged", "audited", "taxed", "refinanced", "shorted"],
         ["the government bonds", "a pension portfolio", "the quarterly invoices",
          "the mortgage rates", "an index fund", "the currency reserves", "the payroll",
          "a merger deal"])


def sentence(rng, pool) -> str:
    who, did, what = pool
    return (f"{rng.choice(who).capitalize()} {rng.choice(did)} {rng.choice(what)} "
            f"{rng.choice(['today', 'again', 'slowly', 'at dawn', 'with care', 'for hours'])}.")


def document(rng, topic: str, words: int, drift_after: int | None = None) -> str:
    out, n = [], 0
    while n < words:
        pool = DRIFT if drift_after is not None and n >= drift_after else TOPICS[topic]
        s = sentence(rng, pool)
        out.append(s)
        n += len(s.split())
    return " ".join(out)


def documents(n_real: int, n_syn: int, n_drift: int, words: int, drift_after: int, seed=0):
    """Real and synthetic documents about three topics; the first ``n_drift`` synthetic ones
    turn to finance after ``drift_after`` words (no real document does)."""
    rng = np.random.default_rng(seed)
    names = list(TOPICS)
    real = [document(rng, names[i % 3], words) for i in range(n_real)]
    syn = [document(rng, names[i % 3], words, drift_after if i < n_drift else None)
           for i in range(n_syn)]
    drift = np.r_[np.ones(n_drift, bool), np.zeros(n_syn - n_drift, bool)]
    return pd.DataFrame({"text": real}), pd.DataFrame({"text": syn}), drift


def aurocs(result, drift) -> dict:
    syn = result.examples[result.examples["side"] == "synthetic"]
    return {"coverage": roc_auc_score(drift, -syn["coverage_score"]),
            "outlier": roc_auc_score(drift, syn["outlier_score"])}


def test_windows_find_drifting_tails_with_the_fast_embedder():
    """Bag-of-words vectors, windows of 60 words: the drifting documents' last windows are far
    from every real window; one whole-document vector hides them."""
    real, syn, drift = documents(90, 180, 45, 170, 130)
    base = {"embed": {"use_cache": False, "window_tokens": 60}, "cluster": {"min_cluster_size": 10}}
    windowed = audit(real=real, synthetic=syn, embedder=HashingEmbedder(),
                     config=AuditConfig.from_dict(base))
    whole = audit(real=real, synthetic=syn, embedder=HashingEmbedder(),
                  config=AuditConfig.from_dict({**base, "embed": {"use_cache": False}}))
    found, hidden = aurocs(windowed, drift), aurocs(whole, drift)
    print(f"\ndrifting tails, hashing embedder: windows {found}, whole text {hidden}")
    assert max(found.values()) >= 0.85
    info = windowed.summary["embedding"]["long_texts"]
    assert info["n_rows_over_window"] == 270 and info["unit"] == "words"
    assert info["window"] == 60 and "overlapping windows" in info["handled"]
    ex = windowed.examples
    assert (ex["n_windows"] >= 3).all()
    # the drifting documents are decided by a late window
    late = ex.loc[ex["side"] == "synthetic"].iloc[:45]
    assert (late["weakest_window"] >= late["n_windows"] - 2).mean() > 0.8
    assert whole.summary["embedding"]["long_texts"]["n_rows_over_window"] == 0


@pytest.mark.slow
def test_windows_find_drifting_tails_with_the_real_model():
    """The issue's case, smaller: about 350-word documents, a quarter of the synthetic ones drifting
    off-topic after about 290 words, past all-MiniLM-L6-v2's window. Ranked by the row's
    coverage or outlier score at AUROC >= 0.85 with windows; the truncated audit is printed
    beside it (the issue measured 0.53 and 0.49)."""
    real, syn, drift = documents(60, 120, 30, 350, 290, seed=1)
    config = AuditConfig.from_dict({"cluster": {"min_cluster_size": 10}})
    windowed = audit(real=real, synthetic=syn, config=config)
    truncated = audit(real=real, synthetic=syn,
                      config=config.replace(embed={"window_tokens": 0}))
    found, hidden = aurocs(windowed, drift), aurocs(truncated, drift)
    info = windowed.summary["embedding"]["long_texts"]
    print(f"\ndrifting tails, all-MiniLM-L6-v2: windows {found}, truncated {hidden}; "
          f"{info['handled']}")
    assert max(found.values()) >= 0.85
    assert info["n_rows_over_window"] == 180 and info["unit"] == "tokens"
    assert truncated.summary["embedding"]["long_texts"]["n_rows_over_window"] == 180
    assert "truncated" in truncated.summary["embedding"]["long_texts"]["handled"]
