"""Every dashboard page under streamlit.testing.v1.AppTest (no browser).

Pages run against saved audits (built once per session, see browser_conftest.py): a folder
given by $SYNTH_QUALITY_AUDIT_DIR, and the built-in sample found in the cache. Selections are
injected through session state, the way AppTest allows, and must change the tables.
"""

from __future__ import annotations

import pytest

from browser_conftest import REPO, app, audits, texts  # noqa: F401  (session fixture)
from synth_quality import AuditResult
from synth_quality.dashboard.store import is_audit_dir, sample_audit_dir
from synth_quality.present.wording import DATASET_SCORES, color_options, legend_text

pytestmark = pytest.mark.slow

PAGES = {"app.py": "Is the synthetic data any good?", "pages/1_Data.py": "Data",
         "pages/2_Map.py": "Map", "pages/3_Clusters.py": "Clusters",
         "pages/4_Examples.py": "Examples", "pages/5_Report.py": "Report",
         "pages/6_Lift.py": "Lift"}


@pytest.fixture
def on_folder(monkeypatch, audits):  # noqa: F811
    """The app opens the saved audit with the planted payload row."""
    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.setenv("SYNTH_QUALITY_AUDIT_DIR", str(audits.payload))
    monkeypatch.setenv("SYNTH_QUALITY_CACHE_DIR", str(audits.cache))
    return AuditResult.load(audits.payload)


@pytest.fixture
def on_sample(monkeypatch, audits):  # noqa: F811
    """The app opens the built-in sample, whose audit is already in the cache: nothing may be
    recomputed."""
    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.delenv("SYNTH_QUALITY_AUDIT_DIR", raising=False)
    monkeypatch.setenv("SYNTH_QUALITY_CACHE_DIR", str(audits.cache))

    def no_audit(*args, **kwargs):
        raise AssertionError("the cached sample audit was recomputed")

    monkeypatch.setattr("synth_quality.audit", no_audit)
    return AuditResult.load(audits.sample)




def frames(at):
    return [el.value for el in at.dataframe]


def assert_ok(at):
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_with_a_saved_audit(on_folder, page):
    at = app().run()
    assert_ok(at)
    if page != "app.py":
        at.switch_page(page).run()
        assert_ok(at)
    assert PAGES[page] in [t.value for t in at.title]
    assert "saved audit sample" in texts(at)


@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_opened_first_with_the_cached_sample(on_sample, page):
    at = app().switch_page(page).run()      # the page's script runs first, alone
    assert_ok(at)
    assert PAGES[page] in [t.value for t in at.title]
    assert "built-in sample" in texts(at)


def test_overview_shows_verdict_scores_and_findings(on_folder):
    at = app().run()
    s = on_folder.summary
    body = texts(at)
    assert s["verdict"][:40] in body.replace("\\", "")
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Detection AUC"] == f"{s['detection_auc']:.3f}"
    assert metrics["Unvaried"] == f"{s['unvaried']:.0%}"
    for info in DATASET_SCORES.values():
        assert info.meaning in body
    assert "High = bad" in body
    assert "Real mode the synthetic data misses" in body
    # The planted row is in a findings table, as a cell value.
    assert any(df["text"].astype(str).str.contains("PAYLOAD-ROW", regex=False).any()
               for df in frames(at) if "text" in df)


def test_overview_says_centre_or_corners_in_words(on_folder):
    """Issue 18: the verdict of centre or corners and its sentence, read from the typed
    summary."""
    at = app().run()
    assert_ok(at)
    block = on_folder.summary["centre_vs_corners"]
    assert f"Centre or corners: {block['verdict']}" in [h.value for h in at.subheader]
    assert block["sentence"][:60] in texts(at, unescape=True)


def test_overview_reads_every_number_against_no_difference(on_folder):
    """Issue 15: each headline number says what it would be with no difference, and the full
    list of figures and the second view are one click away."""
    at = app().run()
    assert_ok(at)
    body = texts(at, unescape=True)
    band = on_folder.summary["no_difference"]["figures"]["detection_auc"]
    assert f"With no difference {band['low']:.3f} to {band['high']:.3f}" in body
    assert body.count("With no difference") >= 1 + len(DATASET_SCORES)
    labels = [e.label for e in at.expander]
    assert any(label.startswith("Every figure against no difference") for label in labels)
    assert any(label.startswith("A second, model-free view") for label in labels)


def test_the_data_page_runs_the_self_test_on_the_current_audit(on_folder):
    """Issue 15: the self-test button plants defects into a copy of the current rows, audits it
    (the real audit, with its progress bar) and shows each detector's recall."""
    at = app().switch_page("pages/1_Data.py").run()
    assert_ok(at)
    at.button(key="run_selftest").click().run(timeout=600)
    assert_ok(at)
    table = next(df for df in frames(at) if "detector" in df)
    assert {"copies", "degeneration", "off_topic", "withheld_mode"} <= set(table["detector"])
    copies = table.set_index("detector").loc["copies"]
    assert copies["rows"] >= 20 and copies["recall"] >= 0.8


def test_a_finding_opens_its_rows_on_the_examples_page(on_folder):
    at = app().run()
    ex = on_folder.examples
    n = int((ex["category"] == "unrealistic synthetic").sum())
    at.button(key="finding_unrealistic").click().run()
    assert_ok(at)
    assert "Examples" in [t.value for t in at.title]
    assert f"Showing {n:,} of {len(ex):,} rows" in texts(at)
    table = frames(at)[0]
    assert (table["category"] == "unrealistic synthetic").all()
    assert table["label_issue_score"].is_monotonic_increasing


def test_a_cluster_finding_opens_the_cluster(on_folder):
    at = app().run()
    real_only = on_folder.clusters[on_folder.clusters["status"] == "real_only"]
    c = int(real_only["cluster"].iloc[-1])
    at.button(key=f"finding_real_only_{c}").click().run()
    assert_ok(at)
    assert f"Cluster {c}" in [h.value for h in at.subheader]


def test_map_selection_fills_the_table(on_folder):
    ex = on_folder.examples
    at = app().switch_page("pages/2_Map.py").run()
    assert "Selected rows: 0" in [h.value for h in at.subheader]
    picked = [5, 40, 700]
    at.session_state["sq_sel_map"] = {"selection": {
        "points": [{"customdata": [i]} for i in picked], "point_indices": picked,
        "box": [], "lasso": []}}
    at.run()
    assert_ok(at)
    assert "Selected rows: 3" in [h.value for h in at.subheader]
    table = frames(at)[0]
    assert set(table.index) == set(picked)
    assert set(zip(table["side"], table["row"])) == set(zip(ex.loc[picked, "side"],
                                                            ex.loc[picked, "row"]))
    # ... and carries it to the Examples page.
    at.button(key="map_to_examples").click().run()
    assert_ok(at)
    assert "Showing 3 of" in texts(at)
    assert set(frames(at)[0].index) == set(picked)


def test_map_colourings_all_draw(on_folder):
    at = app().switch_page("pages/2_Map.py").run()
    for option in color_options(on_folder.examples):
        at.selectbox(key="w_map_color").set_value(option).run()
        assert_ok(at)
        assert legend_text(option)[:30] in texts(at)


def test_cluster_selection_from_table_and_bars(on_folder):
    clusters = on_folder.clusters
    at = app().switch_page("pages/3_Clusters.py").run()
    first = int(clusters["cluster"].iloc[0])
    assert f"Cluster {first}" in [h.value for h in at.subheader]
    table_key = next(k for k in at.session_state if str(k).startswith("sq_sel_cluster_table"))
    at.session_state[table_key] = {"selection": {"rows": [3], "columns": [], "cells": []}}
    at.run()
    assert_ok(at)
    third = int(clusters["cluster"].iloc[3])
    assert f"Cluster {third}" in [h.value for h in at.subheader]
    typical = frames(at)[1]
    assert typical.index.tolist() == list(clusters["typical_rows"].iloc[3])
    # A bar click (injected) wins when it changes.
    fifth = int(clusters["cluster"].iloc[5])
    at.session_state["sq_sel_cluster_bars"] = {"selection": {
        "points": [{"customdata": [fifth, 0, 0, 0], "curve_number": 0, "point_index": 5}],
        "point_indices": [5], "box": [], "lasso": []}}
    at.run()
    assert_ok(at)
    assert f"Cluster {fifth}" in [h.value for h in at.subheader]
    assert at.session_state["sq_cluster"] == fifth


def test_min_cluster_size_reclusters_every_page(on_folder):
    at = app().switch_page("pages/3_Clusters.py").run()
    before = len(frames(at)[0])
    at.number_input(key="w_sidebar_mcs").set_value(60).run()
    assert_ok(at)
    expected = on_folder.recluster(60).clusters
    assert len(frames(at)[0]) == len(expected) != before
    assert "minimum size 60" in texts(at)
    # Other pages use the re-clustered audit too.
    at.switch_page("pages/4_Examples.py").run()
    assert_ok(at)
    assert at.session_state["sq_min_cluster_size"] == 60
    assert set(frames(at)[0]["cluster"]) <= set(expected["cluster"])


def test_examples_filters_sort_flags_and_details(on_folder):
    ex = on_folder.examples
    at = app().switch_page("pages/4_Examples.py").run()
    assert f"Showing {len(ex):,} of {len(ex):,} rows" in texts(at)
    at.multiselect(key="w_ex_sides").set_value(["synthetic"]).run()
    at.multiselect(key="w_ex_flags").set_value(["is_copy_of_real"]).run()
    at.selectbox(key="w_ex_sort").set_value("nearest_real_similarity").run()
    at.toggle(key="w_ex_asc").set_value(False).run()
    assert_ok(at)
    copies = ex[(ex["side"] == "synthetic") & ex["is_copy_of_real"]]
    table = frames(at)[0]
    assert len(table) == len(copies) and f"Showing {len(copies):,} of" in texts(at)
    assert table["nearest_real_similarity"].is_monotonic_decreasing
    at.text_input(key="w_ex_search").set_value("PAYLOAD-ROW").run()
    table = frames(at)[0]
    assert len(table) == 1
    # Tick the row: its details show the text as plain text.
    table_key = next(k for k in at.session_state if str(k).startswith("sq_sel_examples_"))
    at.session_state[table_key] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()
    assert_ok(at)
    assert any("PAYLOAD-ROW <script>" in t.value for t in at.text)
    at.button(key="flag_selected").click().run()
    assert_ok(at)
    assert at.session_state["sq_flagged"] == {int(table.index[0])}
    assert "1 flagged" in texts(at)
    # Filters survive a visit to another page.
    at.switch_page("pages/2_Map.py").run()
    at.switch_page("pages/4_Examples.py").run()
    assert len(frames(at)[0]) == 1
    at.button(key="clear_flags").click().run()
    assert at.session_state["sq_flagged"] == set()


def test_examples_range_slider_narrows(on_folder):
    ex = on_folder.examples
    at = app().switch_page("pages/4_Examples.py").run()
    at.slider(key="w_ex_range_repetition_score").set_value((0.5, 1.0)).run()
    assert_ok(at)
    want = ex[ex["repetition_score"].between(0.5, 1.0)]
    assert len(frames(at)[0]) == len(want) and f"Showing {len(want):,} of" in texts(at)


def test_report_page_offers_the_html(on_folder):
    at = app().switch_page("pages/5_Report.py").run()
    assert_ok(at)
    assert at.get("download_button")
    assert "MB" in texts(at)


def test_data_page_opens_a_folder_or_says_why_not(on_folder, audits, tmp_path):  # noqa: F811
    at = app().switch_page("pages/1_Data.py").run()
    at.radio(key="w_data_mode").set_value("folder").run()
    at.text_input(key="w_data_folder").set_value(str(tmp_path)).run()
    at.button(key="open_folder").click().run()
    assert_ok(at)
    assert any("is not an audit folder" in e.value for e in at.error)
    at.text_input(key="w_data_folder").set_value(str(audits.sample)).run()
    at.button(key="open_folder").click().run()
    assert_ok(at)
    assert "Audit ready: saved audit sample" in texts(at)
    assert at.session_state["sq_source"]["folder"] == str(audits.sample)


def test_first_start_computes_the_sample_with_a_progress_bar(monkeypatch, tmp_path,
                                                             audits):  # noqa: F811
    """No cached audit: the home page runs the audit, reports stages and rows, saves it."""
    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.delenv("SYNTH_QUALITY_AUDIT_DIR", raising=False)
    monkeypatch.setenv("SYNTH_QUALITY_CACHE_DIR", str(tmp_path))
    saved = AuditResult.load(audits.sample)
    calls = []

    def fake_audit(progress=None, **kwargs):
        calls.append(kwargs)
        for stage, done, total in [("loading", 0, None), ("loading", 1, None),
                                   ("embedding", 0, 1476), ("embedding", 1476, 1476),
                                   ("projecting_map", 0, None), ("scoring", 1, None)]:
            progress(stage, done, total)
        return saved

    monkeypatch.setattr("synth_quality.audit", fake_audit)
    at = app().run()
    assert_ok(at)
    assert len(calls) == 1 and calls[0]["source_column"] == "real_or_synthetic"
    bars = at.get("progress")
    assert bars and bars[-1].proto.text.startswith("Done in")
    assert "Audited the built-in sample" in texts(at)
    assert is_audit_dir(sample_audit_dir())
    # The next start reads the cache.
    monkeypatch.setattr("synth_quality.audit", lambda **k: pytest.fail("recomputed"))
    at2 = app().run()
    assert_ok(at2)
    assert not at2.get("progress")


def test_a_broken_audit_folder_is_reported_not_raised(monkeypatch, tmp_path):
    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.setenv("SYNTH_QUALITY_AUDIT_DIR", str(tmp_path / "missing"))
    at = app().switch_page("pages/2_Map.py").run()
    assert not at.exception
    assert any("audit folder not found" in e.value for e in at.error)
    # The Data page still works, to pick other data.
    at = app().switch_page("pages/1_Data.py").run()
    assert not at.exception
    assert "Data" in [t.value for t in at.title]


def test_a_failed_preload_is_reported_not_hidden(tmp_path):
    # The Data page says "loaded" only when the model really loaded; a model folder that does
    # not hold a model gives a one-line reason instead.
    from synth_quality.dashboard import shell as dashboard

    thread = dashboard.preload_for_auditing(str(tmp_path))  # an empty folder, not a model
    thread.join(120)
    assert not thread.is_alive()
    assert thread.error and "\n" not in thread.error and "ModelLoadError" in thread.error


def test_the_progress_bar_is_redrawn_at_most_twice_a_second_within_a_stage(monkeypatch):
    from synth_quality.dashboard import shell as dashboard

    drawn = []

    class Bar:
        def progress(self, fraction, text=""):
            drawn.append(text)

    class Container:
        def progress(self, fraction, text=""):
            return Bar()

    clock = iter([0.0, 0.1, 0.2, 0.3, 0.6, 0.7, 0.8, 0.9])
    monkeypatch.setattr(dashboard.time, "monotonic", lambda: next(clock))
    progress = dashboard.StreamlitProgress(Container())
    for done in (10, 20, 30, 40, 50):  # at 0.0, 0.1, 0.2, 0.3, 0.6 s
        progress("embedding", done, 100)
    progress("neighbours", 1, 10)       # 0.7 s: a new stage is always drawn
    progress("neighbours", 5, 10)       # 0.8 s: skipped
    progress("neighbours", 10, 10)      # 0.9 s: the end of a stage is always drawn
    assert len(drawn) == 4, drawn
    assert "embedding" in drawn[0].lower() and "10" in drawn[0] and "50" in drawn[1]
    assert "neighbours: 1 / 10" in drawn[2] and "neighbours: 10 / 10" in drawn[3]


@pytest.fixture(scope="module")
def fields_folders(tmp_path_factory):
    """Saved audits (fake embedder) of paired instruction data (a record and one field) and
    of chats (a conversation and three roles)."""
    import sys

    import numpy as np

    sys.path.insert(0, str(REPO / "tests" / "pipeline"))
    from conftest import HashingEmbedder
    from test_fields import FAST, chat, paired_case

    import pandas as pd
    from synth_quality import audit

    real, syn = paired_case(60)
    paired = audit(real=real, synthetic=syn, generator_column="generator", config=FAST,
                   embedder=HashingEmbedder())
    rng = np.random.default_rng(0)
    chats = audit(real=pd.DataFrame([chat(i, rng) for i in range(40)]),
                  synthetic=pd.DataFrame([chat(i, rng, loop=i % 3 == 0, style="model")
                                          for i in range(60)]),
                  config=FAST, embedder=HashingEmbedder())
    root = tmp_path_factory.mktemp("fields")
    return {"paired": paired.save(root / "paired"), "chat": chats.save(root / "chat")}


FIELD_CASES = {
    "paired": (["whole records (instruction + output)", "field output"], "output",
               {"text.instruction", "text.output", "output.category", "paired_similarity",
                "is_drift"}, "text.instruction", 120),
    # one system prompt in every chat: left to the record's audit, so not offered alone
    "chat": (["whole conversations (messages)", "user turns", "assistant turns"],
             "assistant", {"text.system", "text.user", "text.assistant", "assistant.category",
                           "n_turns"}, "text.user", 100),
}


@pytest.mark.parametrize("case", list(FIELD_CASES))
@pytest.mark.parametrize("page", list(PAGES))
def test_every_page_shows_the_fields(monkeypatch, audits, fields_folders, page, case):  # noqa: F811
    """Every page opens an instruction-data audit and a chat audit, offers the record and
    each field (role) in the sidebar, and shows that field's own audit when it is picked."""
    options, pick, columns, gone, n_rows = FIELD_CASES[case]
    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.setenv("SYNTH_QUALITY_AUDIT_DIR", str(fields_folders[case]))
    monkeypatch.setenv("SYNTH_QUALITY_CACHE_DIR", str(audits.cache))
    at = app().switch_page(page).run()
    assert_ok(at)
    picker = at.sidebar.selectbox(key="w_sidebar_field")
    assert picker.options == options
    if page == "pages/4_Examples.py":
        assert columns <= set(frames(at)[0].columns)
    picker.set_value(pick).run()
    assert_ok(at)
    assert at.sidebar.selectbox(key="w_sidebar_field").value == pick
    if page == "pages/4_Examples.py":
        table = frames(at)[0]
        assert gone not in table.columns and len(table) == n_rows
