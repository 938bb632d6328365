"""add_rows: an earlier audit plus a new batch of synthetic rows."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from synth_quality import AuditConfig, AuditResult, InputDataError, add_rows, audit

from synth_quality.analysis.text_checks import SURFACE_FEATURES

from conftest import HashingEmbedder, planted_frames

CONFIG = AuditConfig.from_dict({"embed": {"use_cache": False},
                                "cluster": {"min_cluster_size": 10},
                                "project": {"cache": False}})
SCORES = ["x", "y", "cluster", "p_synthetic", "label_issue_score", "outlier_score",
          "coverage_score", "near_duplicate_group_size", "repetition_score", "category"]


def new_batch(n: int = 40) -> pd.DataFrame:
    """Synthetic rows of another seed, as a generation round would add them."""
    _, more = planted_frames(seed=7)
    return more.iloc[:n].assign(generator="gen-new").reset_index(drop=True)


@pytest.fixture(scope="module")
def first():
    real, synth = planted_frames()
    return audit(real=real, synthetic=synth, label_column="sentiment",
                 generator_column="generator", config=CONFIG, embedder=HashingEmbedder())


@pytest.fixture(scope="module")
def added(first):
    return add_rows(first, new_batch(), embedder=HashingEmbedder())


def test_add_rows_is_the_audit_of_all_rows_with_the_warm_start(first, added):
    real, synth = planted_frames()
    both = audit(real=real, synthetic=pd.concat([synth, new_batch()], ignore_index=True),
                 label_column="sentiment", generator_column="generator", config=CONFIG,
                 embedder=HashingEmbedder(), previous=first)
    assert added.examples["text"].tolist() == both.examples["text"].tolist()
    pd.testing.assert_frame_equal(added.examples[SCORES], both.examples[SCORES])
    assert added.summary["detection_auc"] == both.summary["detection_auc"]
    assert added.summary["warm_start"] == both.summary["warm_start"]
    assert added.summary["warm_start"]["rows_new"] == 40


NEIGHBOUR_COLUMNS = ["knn_distance", "outlier_score", "nearest_real_similarity",
                     "nearest_synthetic_similarity", "coverage_score"]


def test_added_rows_extend_the_earlier_neighbour_lists(first, added, monkeypatch):
    # add_rows searches only the pairs with a new row (the full search is not called) ...
    import synth_quality.pipeline.audit as pipeline

    def no_full_search(*args, **kwargs):
        raise AssertionError("the full neighbour search ran")

    monkeypatch.setattr(pipeline, "build_neighbor_graph", no_full_search)
    again = add_rows(first, new_batch(), embedder=HashingEmbedder())
    monkeypatch.undo()
    # ... and its neighbour-based scores are those of an audit of all rows from scratch.
    real, synth = planted_frames()
    scratch = audit(real=real, synthetic=pd.concat([synth, new_batch()], ignore_index=True),
                    label_column="sentiment", generator_column="generator", config=CONFIG,
                    embedder=HashingEmbedder())
    pd.testing.assert_frame_equal(again.examples[NEIGHBOUR_COLUMNS],
                                  scratch.examples[NEIGHBOUR_COLUMNS], atol=1e-6, rtol=0)
    assert (again.examples["near_duplicate_group_size"]
            == scratch.examples["near_duplicate_group_size"]).all()
    # The text measures of the earlier rows are read from the earlier audit: the same values.
    measures = ["repetition_score", "is_degenerate", *SURFACE_FEATURES]
    pd.testing.assert_frame_equal(again.examples[measures], scratch.examples[measures])
    pd.testing.assert_frame_equal(again.examples[SCORES], added.examples[SCORES])


def test_batches_and_rows_say_where_each_row_came_from(first, added):
    ex = added.examples
    assert (ex["batch"].iloc[:len(first.examples)] == 0).all()
    new = ex[ex["batch"] == 1]
    assert len(new) == 40 and (new["side"] == "synthetic").all()
    # row counts rows of the added file, not of the first audit's files
    assert new["row"].tolist() == list(range(40))
    assert new["text"].tolist() == new_batch()["text"].tolist()
    assert new["generator"].eq("gen-new").all()
    assert new["label"].tolist() == new_batch()["sentiment"].astype(str).tolist()
    batches = added.summary["batches"]
    assert [b["batch"] for b in batches] == [0, 1]
    assert batches[0]["rows"] == len(first.examples) and batches[1]["rows"] == 40
    assert added.summary["n_synthetic"] == first.summary["n_synthetic"] + 40
    assert "batch" in first.examples and (first.examples["batch"] == 0).all()


def test_add_twice_after_a_save_and_load(tmp_path, added):
    added.save(tmp_path / "a")
    loaded = AuditResult.load(tmp_path / "a")
    assert loaded.neighbor_graph.embeddings_digest == added.neighbor_graph.embeddings_digest
    again = add_rows(loaded, new_batch(10).assign(text=lambda f: f["text"] + " again"),
                     embedder=HashingEmbedder())
    assert again.examples["batch"].value_counts().to_dict()[2] == 10
    assert [b["batch"] for b in again.summary["batches"]] == [0, 1, 2]
    assert again.summary["warm_start"]["rows_matched"] == len(added.examples)


def test_blank_texts_are_dropped_and_counted(first):
    batch = new_batch(12)
    batch.loc[[3, 7], "text"] = ["", "   "]
    result = add_rows(first, batch, embedder=HashingEmbedder())
    new = result.examples[result.examples["batch"] == 1]
    assert len(new) == 10 and 3 not in new["row"].tolist() and 7 not in new["row"].tolist()
    assert result.summary["batches"][1]["blank_rows"] == 2
    assert result.summary["inputs"]["blank_rows"]["synthetic"] == \
        first.summary["inputs"]["blank_rows"]["synthetic"] + 2
    assert any("blank" in w for w in result.warnings)


def test_a_file_without_the_label_column_is_added_with_a_note(first, tmp_path):
    path = tmp_path / "round2.csv"
    new_batch(15).drop(columns=["sentiment"]).rename(columns={"text": "review"}).to_csv(path, index=False)
    result = add_rows(first, path, embedder=HashingEmbedder())
    new = result.examples[result.examples["batch"] == 1]
    assert len(new) == 15 and new["label"].isna().all()
    assert any("'sentiment'" in w and "label is empty" in w for w in result.warnings)
    assert result.summary["batches"][1]["file"] == str(path)
    assert result.summary["batches"][1]["columns"]["text"] == "review"


@pytest.mark.parametrize("make, expected", [
    (lambda p: p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(200)), "binary"),
    (lambda p: pd.DataFrame({"id": [1, 2]}).to_csv(p, index=False), "text column"),
    (lambda p: None, "not found"),
])
def test_bad_files_get_a_one_line_error_naming_the_file(first, tmp_path, make, expected):
    path = tmp_path / "bad.csv"
    make(path)
    with pytest.raises(InputDataError) as err:
        add_rows(first, path, embedder=HashingEmbedder())
    message = str(err.value)
    assert "\n" not in message and "bad.csv" in message and expected in message.lower()


def test_a_missing_named_column_is_refused(first):
    with pytest.raises(InputDataError, match="column 'genre' not found"):
        add_rows(first, new_batch(), generator_column="genre", embedder=HashingEmbedder())


def test_words_counted_before_are_extended_to_the_same_keywords(first, added, tmp_path):
    from synth_quality.analysis.keywords import term_counts

    first.save(tmp_path / "first")
    counted = AuditResult.load(tmp_path / "first")
    counted.prepare_recluster()  # what the dashboard does in the background
    result = add_rows(counted, new_batch(), embedder=HashingEmbedder())
    assert result.clusters["keywords"].tolist() == added.clusters["keywords"].tolist()
    assert ([r["keywords"] for r in result.summary["uncovered_regions"]]
            == [r["keywords"] for r in added.summary["uncovered_regions"]])
    assert any(r["keywords"] for r in added.summary["uncovered_regions"])
    # The new result keeps the extended counts for its own re-clustering: all its words.
    done, (matrix, words) = result.counted_words()
    want_matrix, want_words = term_counts(result.examples["text"].tolist())
    assert done and list(words) == list(want_words)
    assert (matrix != want_matrix).nnz == 0
