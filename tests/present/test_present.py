"""synth_quality.present: filters, views, selections, figures, tables, findings, exports, progress
in words and the Data page's helpers (no Streamlit)."""

from __future__ import annotations

import io
import json

import numpy as np
import pandas as pd
import pytest

from browser_conftest import PAYLOAD, audits  # noqa: F401  (session fixture)
from synth_quality import AuditResult
from synth_quality.present.exports import (cleaned_synthetic, export_frame, to_csv_bytes,
                                           to_parquet_bytes)
from synth_quality.present.figures import (_plotly_array, cluster_share_figure, figure_trace_ids,
                                           hover_prefixes, hover_texts, map_figure,
                                           points_in_polygon, selected_ids)
from synth_quality.present.filters import (ExampleFilter, SORT_OPTIONS, VIEWS, apply_filter,
                                           available_views,
                                           sort_examples)
from synth_quality.present.findings import findings
from synth_quality.present.inputs import error_control, error_parts, locate_input_error
from synth_quality.present.progress import ProgressTracker
from synth_quality.present.tables import (artifact_table, auc_sentence, cluster_details,
                                          count_table, display_table, generator_table,
                                          score_table)
from synth_quality.present.wording import COLOR_OPTIONS, DATASET_SCORES, color_options, legend_text
from synth_quality.schema import Inputs


def small_examples() -> pd.DataFrame:
    """Six rows with the columns the helpers read."""
    return pd.DataFrame({
        "side": ["real", "real", "real", "synthetic", "synthetic", "synthetic"],
        "row": [0, 1, 2, 0, 1, 2],
        "text": ["A quiet film", "a loud FILM", "documentary", "great movie!", "great movie!!",
                 "bad bad bad bad"],
        "generator": [None, None, None, "g1", "g2", "g1"],
        "label": ["pos", "neg", "pos", "pos", "pos", "neg"],
        "x": [0.0, 1.0, 2.0, 3.0, 4.0, 5.0], "y": [0.0, 1.0, 0.0, 1.0, 0.0, 1.0],
        "cluster": [0, 0, -1, 1, 1, 1],
        "p_synthetic": [0.1, 0.4, 0.05, 0.9, 0.5, 0.99],
        "label_issue_score": [0.1, 0.4, 0.05, 0.1, 0.5, 0.01],
        "outlier_score": [0.2, 0.4, 1.0, 0.0, 0.6, 0.8],
        "is_outlier": [False, False, True, False, False, False],
        "near_duplicate_group": pd.array([pd.NA, pd.NA, pd.NA, 0, 0, pd.NA], dtype="Int64"),
        "near_duplicate_group_size": [1, 1, 1, 2, 2, 1],
        "nearest_real_similarity": [np.nan, np.nan, np.nan, 0.5, 0.97, 0.2],
        "nearest_real_row": pd.array([pd.NA, pd.NA, pd.NA, 1, 0, 2], dtype="Int64"),
        "is_copy_of_real": [False, False, False, False, True, False],
        "coverage_score": [0.6, 0.5, 0.1, 0.4, 0.9, 0.2],
        "in_other_manifold": [True, True, False, True, True, False],
        "is_uncovered": [False, False, True, False, False, True],
        "repetition_score": [0.0, 0.0, 0.0, 0.0, 0.0, 0.75],
        "is_degenerate": [False, False, False, False, False, True],
        "density_band": pd.array([1, 2, 2, 1, pd.NA, 2], dtype="Int64"),
        "rarity_score": [0.3, 0.5, np.nan, 0.35, np.nan, 0.6],
        "has_html_entity": [0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
        "category": ["underrepresented real", "well-covered real", "underrepresented real",
                     "unrealistic synthetic", "realistic synthetic", "unrealistic synthetic"],
        "reason": ["r"] * 6,
    })


# --------------------------------------------------------------------------- filters

def test_an_empty_filter_keeps_every_row_in_order():
    ex = small_examples()
    assert apply_filter(ex, ExampleFilter()).index.tolist() == list(range(6))


@pytest.mark.parametrize("f,expected", [
    (ExampleFilter(sides=["real"]), [0, 1, 2]),
    (ExampleFilter(categories=["unrealistic synthetic"]), [3, 5]),
    (ExampleFilter(clusters=[1, -1]), [2, 3, 4, 5]),
    (ExampleFilter(generators=["g1"]), [3, 5]),
    (ExampleFilter(labels=["neg"]), [1, 5]),
    (ExampleFilter(flags=["is_outlier"]), [2]),
    (ExampleFilter(flags=["near_duplicate"]), [3, 4]),
    (ExampleFilter(flags=["is_copy_of_real"]), [4]),
    (ExampleFilter(flags=["is_degenerate"]), [5]),
    (ExampleFilter(flags=["has_html_entity"]), [4]),
    (ExampleFilter(flags=["is_uncovered"]), [2, 5]),
    (ExampleFilter(flags=["near_duplicate", "is_copy_of_real"]), [4]),
    (ExampleFilter(ranges={"label_issue_score": (0.0, 0.1)}), [0, 2, 3, 5]),
    (ExampleFilter(ranges={"outlier_score": (0.5, 1), "repetition_score": (0.5, 1)}), [5]),
    (ExampleFilter(search="FILM"), [0, 1]),
    (ExampleFilter(search="movie!!"), [4]),
    (ExampleFilter(search="movie!("), []),           # not a regular expression
    (ExampleFilter(rows=[5, 1, 0], sides=["real"]), [0, 1]),
    (ExampleFilter(rows=[]), []),
])
def test_filters(f, expected):
    assert apply_filter(small_examples(), f).index.tolist() == expected


def test_the_flagged_flag_uses_the_flagged_rows():
    ex = small_examples()
    f = ExampleFilter(flags=["flagged"])
    assert apply_filter(ex, f, flagged={4, 1}).index.tolist() == [1, 4]


def test_an_unknown_flag_names_the_known_ones():
    with pytest.raises(KeyError, match="is_outlier"):
        apply_filter(small_examples(), ExampleFilter(flags=["nope"]))


def test_every_view_filters_to_its_rows():
    ex = small_examples()
    got = {k: apply_filter(ex, v.filter).index.tolist() for k, v in VIEWS.items()}
    assert got["unrealistic"] == [3, 5]
    assert got["underrepresented"] == [0, 2]
    assert got["degenerate"] == [5]
    assert got["copies"] == [4]
    assert got["near_duplicates"] == [3, 4]
    assert got["all"] == list(range(6))
    assert got["label_issues"] == []           # no label check in this audit: no row
    for view in VIEWS.values():
        assert view.sort_by in SORT_OPTIONS
    assert "label_issues" not in available_views(ex)
    ex["label_quality"] = [0.9, 0.2, np.nan, 0.8, 0.05, 0.3]
    ex["is_label_issue"] = [False, True, False, False, True, False]
    assert "label_issues" in available_views(ex)
    view = VIEWS["label_issues"]
    shown = sort_examples(apply_filter(ex, view.filter), view.sort_by, view.ascending)
    assert shown.index.tolist() == [4]          # synthetic rows, least likely label first


def test_sort_puts_missing_values_last_and_breaks_ties_by_side_and_row():
    ex = small_examples()
    by_similarity = sort_examples(ex, "nearest_real_similarity", False)
    assert by_similarity.index.tolist()[:3] == [4, 3, 5]
    assert sort_examples(ex, "label_issue_score").index.tolist()[:3] == [5, 2, 0]
    assert sort_examples(ex, "no such column").index.tolist() == [0, 3, 1, 4, 2, 5]


def test_display_table_keeps_positions_and_marks_flagged_rows():
    table = display_table(small_examples().iloc[[4, 0]], flagged={4})
    assert table.index.tolist() == [4, 0]
    assert table["flagged"].tolist() == [True, False]
    assert table.columns[:4].tolist() == ["side", "row", "text", "flagged"]


# --------------------------------------------------------------------------- selections

def test_selected_ids_read_customdata_whatever_its_form():
    event = {"selection": {"points": [{"customdata": [7]}, {"customdata": {"0": 3}},
                                      {"customdata": 7}], "point_indices": [0, 1, 2],
                           "box": [], "lasso": []}}
    assert selected_ids(event) == [7, 3]


def test_selected_ids_fall_back_to_trace_and_point_index():
    traces = [[10, 11, 12], [20, 21]]
    event = {"selection": {"points": [{"curve_number": 1, "point_index": 1},
                                      {"curve_number": 0, "point_number": 2}],
                           "point_indices": [1, 2]}}
    assert selected_ids(event, traces) == [21, 12]
    injected = {"selection": {"points": [], "point_indices": [0, 2], "box": [], "lasso": []}}
    assert selected_ids(injected, traces) == [10, 12]
    assert selected_ids(injected) == [0, 2]
    assert selected_ids(None) == []
    assert selected_ids({"selection": {"points": [], "point_indices": []}}) == []


def test_points_in_polygon():
    x = np.array([0.5, 1.4, 0.5, 0.9, -0.1])
    y = np.array([0.5, 0.5, 1.4, 0.1, 0.5])
    square = [(0, 0), (1, 0), (1, 1), (0, 1)]
    assert points_in_polygon(x, y, square).tolist() == [True, False, False, True, False]
    triangle = [(0, 0), (2, 0), (0, 2)]
    assert points_in_polygon(x, y, triangle).tolist() == [True, True, True, True, False]


# --------------------------------------------------------------------------- figures

def test_map_figure_tags_every_point_with_its_row_and_escapes_text():
    ex = small_examples()
    ex.loc[0, "text"] = "<b>bold</b> <script>x</script>"
    fig = map_figure(ex, "side")
    ids = figure_trace_ids(fig)
    assert sorted(sum(ids, [])) == list(range(6))
    assert [t.name.split(" (")[0] for t in fig.data] == ["real", "synthetic"]
    hover = " ".join(h for t in fig.data for h in t.hovertext)
    assert "&lt;b&gt;bold&lt;/b&gt;" in hover and "<script>" not in hover
    assert fig.layout.dragmode is None   # starts in pan mode, where a click selects


@pytest.mark.parametrize("color_by", list(COLOR_OPTIONS))
def test_map_figure_for_every_colouring_covers_every_row_once(color_by):
    ex = small_examples()
    ex["label_quality"] = [0.9, 0.2, np.nan, 0.8, 0.05, 0.3]   # NaN: a row not judged
    fig = map_figure(ex, color_by)
    assert sorted(sum(figure_trace_ids(fig), [])) == list(range(6))
    assert legend_text(color_by)


def test_legend_names_from_the_data_are_escaped():
    ex = small_examples()
    ex.loc[3, "generator"] = "<b>g3</b>"
    names = [t.name for t in map_figure(ex, "generator").data]
    assert any(n.startswith("&lt;b&gt;g3&lt;/b&gt;") for n in names)
    assert not any("<b>" in n for n in names)


def test_map_figure_highlight_adds_a_ring_trace_of_the_cluster():
    fig = map_figure(small_examples(), "side", highlight_cluster=1)
    assert figure_trace_ids(fig)[-1] == [3, 4, 5]
    assert "highlighted" in fig.data[-1].name


def test_an_overview_map_has_hover_labels_only_on_the_ringed_points():
    ex = small_examples()
    full = map_figure(ex, "side", highlight_cluster=1)
    overview = map_figure(ex, "side", highlight_cluster=1, hover_all=False)
    assert figure_trace_ids(overview) == figure_trace_ids(full)
    *points, ring = overview.data
    assert all(t.hoverinfo == "skip" and t.hovertext is None for t in points)
    assert list(ring.hovertext) == list(full.data[-1].hovertext)  # the same labels as the map


def test_figure_trace_ids_survive_a_pickle_round_trip():
    import pickle

    fig = map_figure(small_examples(), "category")
    again = pickle.loads(pickle.dumps(fig))
    assert figure_trace_ids(again) == figure_trace_ids(fig)


def test_colour_options_leave_out_missing_columns():
    ex = small_examples().drop(columns=["generator"])
    assert "generator" not in color_options(ex)
    assert "label" in color_options(ex)


def test_progress_tracker_names_the_stage_and_counts_rows():
    tracker = ProgressTracker()
    frac0, text = tracker.update("loading", 0, None)
    assert text.startswith("Reading the data") and frac0 == 0
    frac1, text = tracker.update("embedding", 640, 1476)
    assert text == "Embedding the texts: 640 / 1,476 rows (stage 3 of 17)"
    assert 0 < frac1 < 0.5
    frac2, text = tracker.update("projecting_map", 0, None)
    assert "UMAP" in text and frac2 >= frac1
    frac3, text = tracker.update("detecting", 2, 5)
    assert text.endswith("2 / 5 folds (stage 7 of 17)") and frac3 > frac2
    frac_ref, text = tracker.update("reference_classifier", 4, 20)
    assert text.startswith("No-difference reference") and text.endswith("4 / 20 shuffles "
                                                                       "(stage 11 of 17)")
    assert frac_ref > frac3
    frac4, _ = tracker.update("second_view", 1, None)
    assert frac4 == pytest.approx(1.0)
    assert tracker.update("some new stage", 0, None)[0] == frac4   # never goes back


# --------------------------------------------------------------------------- the Data page

def _input_error(**kwargs):
    from synth_quality.errors import InputDataError
    from synth_quality.io import load_inputs

    with pytest.raises(InputDataError) as info:
        load_inputs(**kwargs)
    return info.value


def _mixed(n=12):
    texts = [f"a review long enough to be the text, number {i}" for i in range(n)]
    return pd.DataFrame({"text": texts, "src": ["a", "b"] * (n // 2),
                         "gen": ["g"] * n, "lab": ["p"] * n})


@pytest.mark.parametrize("kwargs,target", [
    (dict(source_column="src", real_value="a", text_column="txt"), "text"),
    (dict(), "source"),
    (dict(source_column="nope"), "source"),
    (dict(source_column="src"), "real_value"),
    (dict(source_column="src", real_value="a", label_column="label"), "label"),
    (dict(source_column="src", real_value="a", generator_column="generator"), "generator"),
    (dict(source_column="src", real_value="a", min_rows_per_side=7), "file"),
])
def test_input_errors_go_next_to_the_control_that_caused_them(kwargs, target):
    """The audit's own errors (load_inputs on one file), routed by their kind."""
    error = _input_error(data=_mixed(), names={"data": "mixed.csv"}, **kwargs)
    got, text = locate_input_error(error_parts(error))
    assert got == target, error
    assert "--" not in text    # command-line option names become the control's label


def test_input_errors_of_two_files_go_to_the_file_they_were_found_in():
    frame = _mixed()[["text"]]
    tiny = frame.head(3)
    for real, synthetic, target in ((frame, tiny, "synthetic_file"),
                                    (tiny, frame, "real_file")):
        error = _input_error(real=real, synthetic=synthetic)
        assert locate_input_error(error_parts(error), two_files=True)[0] == target
    error = _input_error(real=frame, synthetic=frame, text_column="body")
    assert locate_input_error(error_parts(error), two_files=True)[0] == "text"


def test_errors_are_routed_by_kind_not_by_their_words():
    """A message that names another control's words still goes where its kind says."""
    message = "the text column and the source column: pass --text-column"
    assert locate_input_error((message, "label_column", "data"))[0] == "label"
    assert error_control("rows", "synthetic", two_files=True) == "synthetic_file"
    assert error_control("other", None) == "file"


# --------------------------------------------------------------------------- exports

def test_cleaned_synthetic_drops_flagged_rows_and_uses_input_names():
    ex = small_examples()
    inputs = Inputs(text_column="review", label_column="sentiment", generator_column="model",
                    real_value=None, sources=[], blank_rows={}, blank_row_numbers={},
                    duplicate_texts={})
    out = cleaned_synthetic(ex, flagged={0, 5}, inputs=inputs)
    assert out.columns.tolist() == ["row", "review", "sentiment", "model"]
    assert out["row"].tolist() == [0, 1]        # synthetic rows 0, 1; row 2 (position 5) flagged
    back = pd.read_parquet(io.BytesIO(to_parquet_bytes(out)))
    pd.testing.assert_frame_equal(back, out, check_dtype=False)
    csv = pd.read_csv(io.BytesIO(to_csv_bytes(out)))
    assert csv["review"].tolist() == out["review"].tolist()


def test_export_frame_turns_lists_into_json():
    frame = pd.DataFrame({"a": [1, 2], "k": [["x", "y"], []]})
    out = export_frame(frame)
    assert [json.loads(v) for v in out["k"]] == [["x", "y"], []]
    to_parquet_bytes(out)


# --------------------------------------------------------------------------- the disk cache


# --------------------------------------------------------------------------- on the real audit

@pytest.fixture(scope="module")
def sample(audits):  # noqa: F811
    return AuditResult.load(audits.sample)


def test_findings_point_at_rows_and_views_that_exist(sample):
    found = findings(sample.examples, sample.clusters, sample.facts)
    keys = [f.key for f in found]
    assert keys[0] == "unrealistic"
    # The sample plants a documentary mode no generator imitates: a real-only cluster.
    real_only = [f for f in found if f.key.startswith("real_only")]
    assert real_only and all(f.cluster is not None for f in real_only)
    assert any("documentary" in f.sentence for f in real_only)
    for f in found:
        assert f.view is None or f.view in VIEWS
        assert f.rows and all(0 <= r < len(sample.examples) for r in f.rows)
        if f.view:
            in_view = apply_filter(sample.examples, VIEWS[f.view].filter)
            assert set(f.rows) <= set(in_view.index)
            assert f.count == len(in_view)


def test_cluster_details(sample):
    ex, clusters = sample.examples, sample.clusters
    first = clusters.iloc[0]
    d = cluster_details(ex, clusters, int(first["cluster"]))
    assert set(d["members"]) == set(ex.index[ex["cluster"] == first["cluster"]])
    assert d["typical"].index.tolist() == list(first["typical_rows"])
    for part in ("most_synthetic", "most_real", "most_isolated"):
        assert set(d[part].index) <= set(d["members"])
    assert (d["most_synthetic"]["side"] == "synthetic").all()
    syn = ex[(ex["cluster"] == first["cluster"]) & (ex["side"] == "synthetic")]
    if len(syn):
        assert d["most_synthetic"]["label_issue_score"].iloc[0] == syn["label_issue_score"].min()
    assert f"Cluster {int(first['cluster'])}:" in d["sentence"]
    with pytest.raises(KeyError):
        cluster_details(ex, clusters, 10_000)


def test_cluster_share_figure_follows_the_table_order(sample):
    fig = cluster_share_figure(sample.clusters, selected=int(sample.clusters["cluster"][1]))
    bars = fig.data[0]
    ids = [int(c[0]) for c in _plotly_array(bars.customdata)]
    assert ids == sample.clusters["cluster"].tolist()
    np.testing.assert_allclose(np.asarray(bars.x, float) + np.asarray(fig.data[1].x, float), 1.0)
    assert len(fig.layout.shapes) == 2    # the overall-share line and the selected outline


def test_score_and_count_tables(sample):
    facts = sample.facts
    table = score_table(facts)
    assert set(DATASET_SCORES) <= set(table["key"])
    assert table["meaning"].str.len().min() > 20 and table["bad when"].notna().all()
    assert "Detection AUC" in auc_sentence(facts)
    counts = count_table(facts)
    assert len(counts) == 10
    assert counts[0][1] == f"{int((sample.examples['side'] == 'real').sum()):,}"
    # Every count with a no-difference band says what it would be with no difference.
    for label, _, help_ in counts:
        if label in ("Degenerate rows", "Copies of real", "Outliers", "Real rows uncovered"):
            assert "With no difference:" in help_, label


def test_every_reference_figure_is_listed_with_its_range_and_reading(sample):
    from synth_quality.analysis.reference import FIGURES
    from synth_quality.present.tables import reference_table

    facts = sample.facts
    table = reference_table(facts)
    assert set(table["key"]) == set(FIGURES)
    assert (table["with no difference"] != "").all()
    assert table["reading"].isin(["expected even with no difference",
                                  "higher than with no difference",
                                  "lower than with no difference"]).all()
    # The sample plants one-sided modes: the detection AUC is far outside its range.
    auc = table.set_index("key").loc["detection_auc"]
    assert auc["reading"] == "higher than with no difference"
    scores = score_table(facts).set_index("key")
    assert scores.loc["detection_auc", "with no difference"] != ""
    assert not artifact_table(facts).empty
    assert set(generator_table(facts)["generator"]) == {
        "genericbot", "mimicbot", "offtopicbot"}


def test_every_score_the_pages_show_is_a_declared_summary_field():
    """The scores the overview, the report and check name are fields of the typed summary: a
    renamed key fails here, not only in a browser test."""
    from synth_quality.present.wording import SUPPORT_SCORES
    from synth_quality.schema import Summary, figure_direction

    for key, info in {**DATASET_SCORES, **SUPPORT_SCORES}.items():
        assert key in Summary.model_fields, key
        # The words say the same direction as the schema.
        direction = figure_direction(Summary, key)
        assert {"high": "high is bad", "low": "high is good"}.get(info.bad) == direction, key


def test_the_payload_is_only_ever_escaped_in_hover_labels(sample):
    ex = sample.examples.copy()
    ex.loc[0, "text"] = PAYLOAD
    label = hover_texts(ex.iloc[[0]])[0]
    assert "<script>" not in label and "&lt;script&gt;" in label and "<img" not in label


def test_hover_labels_name_the_current_clusters_when_their_text_part_is_reused(sample):
    # The dashboard computes the text part once per saved audit and reuses it after
    # re-clustering: the labels must be those computed from scratch, new cluster ids included.
    prefixes = hover_prefixes(sample.examples)
    again = sample.recluster(int(sample.summary["min_cluster_size_used"]) + 9)
    assert (again.examples["cluster"] != sample.examples["cluster"]).any()
    reused = hover_texts(again.examples, prefixes)
    assert reused == hover_texts(again.examples)
    changed = np.flatnonzero((again.examples["cluster"] != sample.examples["cluster"]).to_numpy())
    i = int(changed[0])
    assert f"cluster {again.examples['cluster'].iloc[i]} ·" in reused[i]
    fig = map_figure(again.examples, "side", hover_prefixes=prefixes)
    assert sorted(h for t in fig.data for h in t.hovertext) == sorted(reused)


def test_coverage_views_and_uncovered_findings(planted_audit):
    """Issue 7: one-click views for rows the other side never reaches, and a finding per region
    (issue 15: both from the calibrated flags and the tested regions)."""
    ex = planted_audit.examples
    never = apply_filter(ex, VIEWS["uncovered_real"].filter)
    outside = apply_filter(ex, VIEWS["uncovered_synthetic"].filter)
    assert (never["side"] == "real").all() and never["is_uncovered"].all()
    assert len(never) == int(((ex["side"] == "real") & ex["is_uncovered"]).sum())
    assert (outside["side"] == "synthetic").all() and outside["is_uncovered"].all()
    # The planted blender rows (synthetic only) are flagged through their one-sided region.
    blender = ex["text"].str.contains("blender|smoothie|appliance|kitchen")
    assert outside.index.isin(ex.index[blender]).sum() >= 0.9 * blender.sum()
    # The planted glacier documentaries form the largest uncovered real region, with keywords.
    found = [f for f in findings(ex, planted_audit.clusters, planted_audit.facts)
             if f.key.startswith("uncovered_")]
    assert found and found[0].members and set(found[0].rows) <= set(found[0].members)
    assert any(w in found[0].sentence for w in ("documentary", "glacier", "arctic", "ice"))
    assert all(ex.loc[r, "side"] == "real" for r in found[0].members)
    region = ex.loc[found[0].members, "uncovered_region"]
    assert region.notna().all() and region.nunique() == 1
