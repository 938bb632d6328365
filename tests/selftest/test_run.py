"""Issue 15, done means: ``synth-quality selftest`` on the reference case reports recalls that a
separate check, which knows the planted rows, confirms within 0.05.

The command runs as a user runs it; this test then reads the planted copy (which rows were
planted, and how) and the audit of it, and recomputes each detector's recall and AUROC from the
rows themselves, without the self-test's code.
"""

from __future__ import annotations

import json
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from conftest import REFERENCE_CASE

pytestmark = pytest.mark.slow

#: Detector -> (planted kinds, side, flag column, score column, high score = planted).
KNOWN = {
    "copies": (("exact_copy", "near_copy"), "synthetic", "is_copy_of_real",
               "nearest_real_similarity", True),
    "degeneration": (("loop", "stutter"), "synthetic", "is_degenerate", "repetition_score", True),
    "off_topic": (("off_topic",), "synthetic", "is_uncovered", "coverage_score", False),
    "withheld_mode": (("withheld_mode",), "real", "is_uncovered", "coverage_score", False),
}


@pytest.fixture(scope="module")
def selftest_dir(tmp_path_factory):
    if not REFERENCE_CASE.is_file():
        pytest.skip(f"shared reference data not found at {REFERENCE_CASE}")
    out = tmp_path_factory.mktemp("selftest")
    done = subprocess.run([sys.executable, "-m", "synth_quality", "selftest", "--data",
                           str(REFERENCE_CASE), "--source-column", "real_or_synthetic",
                           "--label-column", "sentiment", "--generator-column", "generator",
                           "--out", str(out), "--quiet"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "recall" in done.stdout and "AUROC" in done.stdout
    return out


def test_reported_recalls_match_a_check_that_knows_the_planted_rows(selftest_dir):
    report = json.loads((selftest_dir / "selftest.json").read_text())
    planted = pd.read_parquet(selftest_dir / "planted.parquet")
    examples = pd.read_parquet(selftest_dir / "audit" / "examples.parquet")
    assert (planted["text"].to_numpy() == examples["text"].to_numpy()).all()
    for name, (kinds, side, flag, score, high) in KNOWN.items():
        on_side = (examples["side"] == side).to_numpy()
        mine = on_side & planted["planted"].isin(kinds).to_numpy()
        rest = on_side & (planted["planted"] == "").to_numpy()
        recall = examples.loc[mine, flag].astype(bool).mean()
        values = examples[score].to_numpy(float) * (1 if high else -1)
        values = np.nan_to_num(values, nan=-np.inf)
        auroc = roc_auc_score(mine[mine | rest], values[mine | rest])
        got = report["detectors"][name]
        assert got["n_planted"] == mine.sum()
        assert abs(got["recall"] - recall) <= 0.05, (name, got["recall"], recall)
        assert abs(got["auroc"] - auroc) <= 0.05, (name, got["auroc"], auroc)
        assert got["false_alarm_rate"] is not None and got["false_alarm_band"][1] <= 0.05


def test_what_the_self_test_finds_on_the_reference_case(selftest_dir):
    """Copies and off-topic rows are plain to see on this data; the numbers say so."""
    detectors = json.loads((selftest_dir / "selftest.json").read_text())["detectors"]
    assert detectors["copies"]["recall"] >= 0.9 and detectors["copies"]["auroc"] >= 0.95
    assert detectors["off_topic"]["auroc"] >= 0.95
    assert detectors["degeneration"]["auroc"] >= 0.95
    # Planted stutters (one word four times) are a small share of a sentence's tokens: the
    # flag finds them by their back-to-back repeats (recall was 51% by the share alone).
    assert detectors["degeneration"]["recall"] >= 0.9
    # Every planted kind is reported, labelled with what it is.
    assert {"copies", "degeneration", "off_topic", "withheld_mode", "label_flips"} <= set(detectors)
