"""Coverage finds one-sided groups where the classifier cannot (issue 7), on the built-in sample.

The sample plants a real-only mode (60 documentary snippets no generator imitates) and a
synthetic-only mode (60 off-topic appliance/restaurant reviews written in the real rows' style).
The label issue score is recorded beside the coverage score so the docs can say which works.
"""

from __future__ import annotations

import pandas as pd
import pytest
from sklearn.metrics import roc_auc_score

from synth_quality import AuditResult
from synth_quality.demo.sample import sample_path

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def sample_rows(sample_audit_dir):
    result = AuditResult.load(sample_audit_dir)
    source = pd.read_csv(sample_path(), keep_default_na=False)
    # One-file mode: `row` is the row index in the sample file.
    planted = source["planted"].to_numpy()
    rows = result.examples.assign(planted=planted[result.examples["row"].to_numpy()])
    assert (source["text"].to_numpy()[rows["row"]] == rows["text"]).all()
    return result, rows


@pytest.mark.parametrize("side, plant", [("real", "real_only_mode"), ("synthetic", "off_topic")])
def test_coverage_ranks_planted_one_sided_rows_first(sample_rows, side, plant, record_property, capsys):
    result, rows = sample_rows
    part = rows[rows["side"] == side]
    is_planted = part["planted"] == plant
    coverage_auroc = roc_auc_score(is_planted, -part["coverage_score"])
    label_issue_auroc = roc_auc_score(is_planted, -part["label_issue_score"])
    record_property(f"{plant}_coverage_auroc", round(coverage_auroc, 3))
    record_property(f"{plant}_label_issue_auroc", round(label_issue_auroc, 3))
    with capsys.disabled():
        print(f"\n{plant}: coverage_score AUROC {coverage_auroc:.3f}, "
              f"label_issue_score AUROC {label_issue_auroc:.3f}")
    other = "nearest_synthetic_similarity" if side == "real" else "nearest_real_similarity"
    baseline_auroc = roc_auc_score(is_planted, -part[other])
    with capsys.disabled():
        print(f"{plant}: plain nearest-other-side similarity AUROC {baseline_auroc:.3f}")
    assert coverage_auroc >= 0.85 and coverage_auroc > baseline_auroc
    # Most planted rows are flagged (calibrated flags and one-sided regions), hence in a problem
    # category, and far more often than the ordinary rows of their side.
    expected = "underrepresented real" if side == "real" else "unrealistic synthetic"
    ordinary = part["planted"] == ""
    assert part.loc[is_planted, "is_uncovered"].mean() >= 0.75
    assert (part.loc[is_planted, "is_uncovered"].mean()
            >= 1.3 * part.loc[ordinary, "is_uncovered"].mean())
    assert (part.loc[is_planted, "category"] == expected).mean() >= 0.75


def test_uncovered_regions_surface_the_planted_modes(sample_rows):
    result, rows = sample_rows
    regions = result.summary["uncovered_regions"]
    docu = rows[rows["planted"] == "real_only_mode"]
    region_ids = docu["uncovered_region"].dropna().astype(int)
    assert len(region_ids) >= 0.8 * len(docu)
    main = region_ids.mode().iloc[0]
    region = next(r for r in regions if r["region"] == main)
    assert region["side"] == "real"
    assert "documentary" in region["keywords"]
    # A real-only cluster is found for the documentary mode.
    clusters = result.clusters
    docu_clusters = docu["cluster"][docu["cluster"] >= 0].value_counts()
    top = clusters.set_index("cluster").loc[docu_clusters.index[0]]
    assert top["status"] == "real_only"
