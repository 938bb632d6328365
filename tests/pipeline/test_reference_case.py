"""The Rotten Tomatoes reference case from ../shared/data, checked against what it is known to hold.

Known facts (../shared/data/README.md, measured by hand): real vs synthetic detection AUC about
0.99 (SuperGen 0.999, FewGen 0.969); "contains a capital letter" alone reaches AUC 0.815; every
real row is lowercase and 35 SuperGen rows hold HTML entities; the least-imitated real rows use
longer words (5.26 letters for the 100 least imitated, 4.86 overall, 4.20 for the 100 best
imitated) and are NOT disproportionately terse.
"""

from __future__ import annotations

import pandas as pd
import pytest

from synth_quality import audit

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def reference_audit(request):
    from conftest import REFERENCE_CASE

    if not REFERENCE_CASE.is_file():
        pytest.skip(f"shared reference data not found at {REFERENCE_CASE} (../shared/data beside the repo)")
    return audit(data=str(REFERENCE_CASE), source_column="real_or_synthetic",
                 label_column="sentiment", generator_column="generator")


def test_counts_and_detection(reference_audit):
    s = reference_audit.summary
    assert (s["n_real"], s["n_synthetic"]) == (1000, 8350)
    assert 0.97 <= s["detection_auc"] <= 1.0
    lo, hi = s["detection_auc_ci"]
    assert lo <= s["detection_auc"] <= hi and hi - lo < 0.02
    gens = s["by_generator"]
    assert set(gens) == {"supergen", "fewgen"}
    assert gens["supergen"]["detection_auc"] > gens["fewgen"]["detection_auc"]
    assert gens["supergen"]["detection_auc"] >= 0.99 and 0.9 <= gens["fewgen"]["detection_auc"] < 0.99
    assert "1 : 8.35" in s["prior"]


def test_casing_alone_separates_the_sides(reference_audit):
    artifacts = {a["feature"]: a for a in reference_audit.summary["artifacts"]}
    casing = artifacts["has_uppercase"]
    assert casing["separates"] and casing["auc"] == pytest.approx(0.815, abs=0.02)
    # "Every real row is lowercase" holds for ASCII; two Portuguese snippets hold "É" and "Ú".
    assert casing["real_mean"] <= 0.002
    assert casing["by_group"]["supergen"]["separation"] > 0.9
    assert casing["by_group"]["fewgen"]["separation"] < 0.6
    assert "Casing alone separates" in casing["sentence"]
    html = artifacts["has_html_entity"]
    ex = reference_audit.examples
    # The data's README counts 35 SuperGen rows with entities such as &#34; and &amp;; the
    # detector also sees &quot; and &eacute; (49 synthetic rows in all, 47 of them SuperGen).
    syn = ex[ex["side"] == "synthetic"]
    readme_kind = syn["text"].str.contains("&#34;|&amp;", regex=True)
    assert readme_kind.sum() >= 35 and syn.loc[readme_kind, "has_html_entity"].all()
    flagged = syn[syn["has_html_entity"] == 1]
    assert (flagged["generator"] == "supergen").mean() > 0.9
    assert int(ex.loc[ex["side"] == "real", "has_html_entity"].sum()) == 0
    assert not html["separates"]  # 35 of 8,350 rows: real, but too rare to separate the sides
    assert "Casing" in reference_audit.summary["verdict"] or "Tokenisation" in reference_audit.summary["verdict"]


def test_least_imitated_real_rows_use_longer_words_not_terse_fragments(reference_audit):
    real = reference_audit.examples.query("side == 'real'").sort_values("label_issue_score", kind="stable")
    least, best = real.head(100), real.tail(100)
    assert least["mean_word_length"].mean() > real["mean_word_length"].mean() + 0.2
    assert best["mean_word_length"].mean() < real["mean_word_length"].mean() - 0.3
    # Terse fragments are not over-represented among the least imitated (13% vs 14% measured).
    terse_least = (least["n_words"] <= 10).mean()
    terse_all = (real["n_words"] <= 10).mean()
    assert terse_least < terse_all + 0.08
    # The least imitated are confidently real: "underrepresented real".
    assert (least["category"] == "underrepresented real").all()


def test_fewgen_repeats_itself_and_nobody_copies_real_rows(reference_audit):
    ex = reference_audit.examples
    syn = ex[ex["side"] == "synthetic"]
    few = syn[syn["generator"] == "fewgen"]
    exact_repeats = int(few["text"].duplicated().sum())
    assert exact_repeats > 0
    in_groups = few[few["text"].duplicated(keep=False)]
    assert in_groups["near_duplicate_group"].notna().all()
    assert reference_audit.summary["unvaried"] > 0.05
    # No synthetic row is a copy of a real critic snippet.
    assert reference_audit.summary["unoriginal"] < 0.01
    assert syn["nearest_real_similarity"].max() < 0.99


def test_outputs_have_documented_columns(reference_audit, tmp_path):
    folder = reference_audit.save(tmp_path / "ref")
    ex = pd.read_parquet(folder / "examples.parquet")
    for column in ("side", "row", "text", "x", "y", "cluster", "p_synthetic", "label_issue_score",
                   "outlier_score", "is_outlier", "near_duplicate_group", "nearest_real_similarity",
                   "repetition_score", "category", "generator", "label"):
        assert column in ex
    assert set(ex["category"]) <= {"unrealistic synthetic", "realistic synthetic",
                                   "underrepresented real", "well-covered real", "outlier"}
    assert ex.groupby("side")["row"].apply(lambda r: r.is_unique).all()


def test_label_quality_on_the_reference_case(reference_audit):
    """Every labelled row is judged; the plainly mislabelled synthetic reviews come first; the
    share of disputed synthetic labels per generator is printed beside the real rows' share and
    beside the issue's measure (a classifier of the real rows disagreeing: FewGen 15.7%,
    SuperGen 14.2%)."""
    ex = reference_audit.examples
    assert ex["label_quality"].between(0, 1).all()
    labels = reference_audit.summary["labels"]
    assert labels["real"]["n_judged"] == 1000 and labels["synthetic"]["n_judged"] == 8350
    syn = ex[ex["side"] == "synthetic"]
    disagree = (syn["predicted_label"] != syn["label"]) & (syn["label_evidence"] == "real rows")
    print("\nlabel issues: real {:.1%} (out-of-fold among real rows); ".format(
        labels["real"]["label_issue_share"]) + "; ".join(
        f"{g} {v['label_issue_share']:.1%} flagged, real rows' model disagrees with "
        f"{disagree[syn['generator'] == g].mean():.1%}"
        for g, v in labels["by_generator"].items()))
    worst = syn.nsmallest(20, "label_quality")
    assert worst["is_label_issue"].all()
    # "it is a very good movie." labelled negative (the example) is among them.
    assert ((worst["text"] == "it is a very good movie.") & (worst["label"] == "negative")).any()
    for g in ("fewgen", "supergen"):
        assert 0.0 < labels["by_generator"][g]["label_issue_share"] < 0.3
    assert set(reference_audit.clusters.columns) >= {"label_gap", "synthetic_label_issue_share"}


def test_planted_label_flips_on_the_reference_case(reference_audit):
    """10% of the synthetic labels flipped: label_quality ranks them at AUROC >= 0.95 (the plain
    out-of-fold MiniLM + logistic regression on the same rows is printed beside it)."""
    import numpy as np
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import roc_auc_score
    from sklearn.model_selection import StratifiedKFold, cross_val_predict

    from synth_quality.analysis.labels import label_quality
    from synth_quality.embed.api import embed_texts

    ex = reference_audit.examples
    X, _ = embed_texts(ex["text"].tolist())  # from the cache the audit filled
    is_syn = (ex["side"] == "synthetic").to_numpy()
    labels = ex["label"].to_numpy(object).copy()
    rng = np.random.default_rng(0)
    flipped = np.zeros(len(ex), bool)
    flipped[rng.choice(np.flatnonzero(is_syn), is_syn.sum() // 10, replace=False)] = True
    labels[flipped] = np.where(labels[flipped] == "positive", "negative", "positive")
    ours = label_quality(X, labels.tolist(), is_syn).label_quality
    y = (labels == "positive").astype(int)
    p = cross_val_predict(LogisticRegression(max_iter=2000), X, y,
                          cv=StratifiedKFold(5, shuffle=True, random_state=0),
                          method="predict_proba")[:, 1]
    base = np.where(y == 1, p, 1 - p)
    auc, base_auc = (roc_auc_score(flipped[is_syn], -s[is_syn]) for s in (ours, base))
    print(f"\nreference case, 10% synthetic labels flipped: label_quality AUROC {auc:.3f}, "
          f"plain out-of-fold baseline {base_auc:.3f}")
    assert auc >= 0.95
