"""The Lift page (pages/6_Lift.py), its helpers in synth_quality.lift_view, and the report's
lift section.

Lift results here are small and fast: the hashing embedder of conftest and few replicates and
resamples (``FAST``), so a whole control takes a few seconds. The page tests run under AppTest
against copies of the saved sample audit (browser_conftest's ``audits``), each in a folder of
its own, since the page writes lift.json next to the audit.
"""

from __future__ import annotations

import json
import re
import shutil
from html.parser import HTMLParser

import pytest

from browser_conftest import REPO, app, audits  # noqa: F401  (session fixture)
from browser_conftest import texts as _texts
from conftest import HashingEmbedder
from synth_quality import AuditResult, report
from synth_quality.present import lift as lift_view
from synth_quality.dashboard.store import save_atomic
from synth_quality.config import EmbedConfig
from synth_quality.errors import InputDataError
from synth_quality.lift.result import LIFT_FILE, LiftResult
from synth_quality.lift.config import LiftConfig
from synth_quality.lift.run import run_lift

PAGE = "pages/6_Lift.py"
NO_CACHE = EmbedConfig(use_cache=False)
FAST = LiftConfig(n_seeds=2, curve_seeds=1, n_bootstrap=200, fractions=(0.5, 1.0),
                  drop_percents=(10, 40), n_random_draws=2)
PAYLOAD = "<script>window.__sq_xss = 1</script><img src=x onerror=alert(1)> **bold**"


def fast_lift(result: AuditResult, **kwargs) -> LiftResult:
    """The control on an audit's rows, ranked by the audit, in a few seconds."""
    return run_lift(lift_view.lift_inputs(result.examples, result.summary), config=FAST,
                    embed_config=NO_CACHE, embedder=HashingEmbedder(),
                    audit_examples=result.examples, **kwargs)


# --------------------------------------------------------------------------- helpers (fast)

@pytest.fixture(scope="module")
def planted_lift(planted_audit):
    return fast_lift(planted_audit)


def test_lift_inputs_keep_the_audit_rows_and_their_numbers(planted_audit):
    ex = planted_audit.examples
    inputs = lift_view.lift_inputs(ex, planted_audit.summary)
    frame = inputs.frame
    assert len(frame) == len(ex)
    assert frame["side"].tolist() == sorted(frame["side"].tolist())        # real rows first
    assert set(zip(frame["side"], frame["row"])) == set(zip(ex["side"], ex["row"]))
    assert inputs.label_column == "sentiment" and inputs.generator_column == "generator"
    assert frame.loc[frame["side"] == "real", "generator"].isna().all()
    assert all(isinstance(v, str) for v in frame["label"])
    # Missing labels and generators become None, which run_lift leaves out with a note.
    ex2 = ex.copy()
    ex2.loc[ex2.index[0], "label"] = float("nan")
    assert lift_view.lift_inputs(ex2).frame["label"].iloc[0] is None


def test_audit_without_labels_is_refused_in_words(planted_audit):
    ex = planted_audit.examples.drop(columns="label")
    assert not lift_view.audit_has_labels(ex)
    with pytest.raises(InputDataError, match="--label-column"):
        lift_view.lift_inputs(ex)
    only_real = planted_audit.examples.copy()
    only_real.loc[only_real["side"] == "synthetic", "label"] = None
    assert not lift_view.audit_has_labels(only_real)
    assert lift_view.audit_has_labels(planted_audit.examples)


def test_the_control_ranks_by_the_audit(planted_lift, planted_audit):
    s = planted_lift.summary
    assert {v["source"] for v in s["signals"].values()} == {"audit"}
    assert s["n_train_synthetic"] == int((planted_audit.examples["side"] == "synthetic").sum())
    assert lift_view.lift_mismatch(s, planted_audit.examples) is None
    other = dict(s, n_train_synthetic=s["n_train_synthetic"] + 7)
    assert "may come from other data" in lift_view.lift_mismatch(other, planted_audit.examples)


def test_lift_embed_config_follows_the_audit():
    cfg = lift_view.lift_embed_config({"config": {"embed": {"model": "m", "batch_size": 7,
                                                            "cache_dir": "/c", "use_cache": True,
                                                            "unknown": 1}}})
    assert (cfg.model, cfg.batch_size, cfg.cache_dir) == ("m", 7, "/c")
    assert lift_view.lift_embed_config({}) == EmbedConfig()


def test_headline_tables_and_text(planted_lift):
    s = planted_lift.to_dict()
    heads = lift_view.lift_headline(s)
    assert [h["label"] for h in heads] == ["Real only", "Real + synthetic", "Synthetic only",
                                          "Lift"]
    assert heads[0]["value"] == f"{s['real_only']:.3f}"
    assert heads[3]["value"] == f"{s['lift']:+.3f}"
    lo, hi = s["lift_ci"]
    assert heads[3]["interval"] == f"{lo:+.3f} to {hi:+.3f}"
    assert heads[1]["n_train"] == s["n_train_real"] + s["n_train_synthetic"]
    table = lift_view.lift_score_table(s)
    assert table["model"].tolist() == list(lift_view.LIFT_MODELS.values())
    assert table["accuracy"].tolist() == pytest.approx(
        [s["metrics"][k]["accuracy"]["score"] for k in lift_view.LIFT_MODELS])
    text = lift_view.lift_text(s)
    assert f"{s['lift']:+.3f}" in text and "95% interval" in text
    assert lift_view.LIFT_VERDICT_MEANING[s["verdict"]] in text
    gens = lift_view.lift_generator_table(s)
    assert set(gens["generator"]) == set(s["per_generator"])
    assert len(lift_view.how_much_table(s)) == len(s["how_much"])
    details = dict(lift_view.lift_eval_details(s).values.tolist())
    assert details["evaluation set"] == s["eval"]["source"]
    assert details["rows scored"].startswith(f"{s['eval']['n_rows']:,} of")
    for signal in s["filter_and_retest"]:
        t = lift_view.filter_retest_table(s, signal)
        assert t["dropped %"].tolist() == [10.0, 40.0]
    overview = lift_view.filter_retest_overview(s)
    assert len(overview) == len(s["filter_and_retest"])
    assert lift_view.lift_number(None) == "n/a" and lift_view.lift_interval([None, 1]) == "n/a"


def test_figures_state_axes_and_direction(planted_lift):
    s = planted_lift.to_dict()
    fig = lift_view.lift_scores_figure(s)
    assert [t.name for t in fig.data] == list(lift_view.LIFT_MODELS.values())
    assert "higher = better" in fig.layout.xaxis.title.text
    assert fig.data[0].error_x.array[0] == pytest.approx(s["real_only_ci"][1] - s["real_only"])
    gen = lift_view.lift_generator_figure(s)
    assert "right of 0 = helps" in gen.layout.xaxis.title.text
    assert sum(len(t.y) for t in gen.data) == 1 + len(s["per_generator"])
    curve = lift_view.how_much_figure(s)
    line = [t for t in curve.data if t.name == "lift"][0]
    assert list(line.x) == [0.0, 50.0, 100.0] and line.y[0] == 0.0
    assert "above 0 = helps" in curve.layout.yaxis.title.text
    for y in ("lift", "score"):
        fig = lift_view.filter_retest_figure(s, "label_issue", y)
        names = [t.name for t in fig.data]
        assert "random drops (mean)" in names and "drop the worst by Label issue" in names
        assert any("interval" in (n or "") for n in names)          # the random band
        assert "dropped" in fig.layout.xaxis.title.text
        assert "higher = better" in fig.layout.yaxis.title.text or "above 0" in \
            fig.layout.yaxis.title.text


def test_generator_names_are_escaped_in_figures(planted_lift):
    s = json.loads(json.dumps(planted_lift.to_dict()))
    s["per_generator"] = {PAYLOAD: next(iter(s["per_generator"].values()))}
    fig = lift_view.lift_generator_figure(s)
    labels = [y for t in fig.data for y in t.y]
    assert not any("<script>" in str(v) for v in labels)
    assert any("&lt;script&gt;" in str(v) for v in labels)


def _entry(percent, beats=False, worse=False, vs=0.01):
    return {"percent": percent, "n_dropped": 10, "score": 0.8, "lift": 0.02,
            "lift_ci": [-0.01, 0.05], "random_mean": 0.79, "random_ci": [0.75, 0.82],
            "random_lift": 0.01, "random_lift_ci": [-0.02, 0.04], "vs_random": vs,
            "vs_random_ci": [0.005, 0.02] if beats else [-0.01, 0.02],
            "beats_random": beats,
            "vs_random_verdict": ("better than random" if beats else "worse than random"
                                  if worse else "no different from random")}


def test_filter_sentences_say_whether_the_ranking_beats_random():
    s = {"filter_and_retest": {"label_issue": [_entry(5), _entry(10, beats=True, vs=0.03)],
                               "outlier": [_entry(5, worse=True, vs=-0.02), _entry(10)]},
         "config": {"alpha": 0.05}}
    yes = lift_view.filter_retest_sentence(s, "label_issue")
    assert "beats dropping as many rows at random at 10%" in yes and "+0.030" in yes
    no = lift_view.filter_retest_sentence(s, "outlier")
    assert "never significantly better" in no and "worse than random at 5%" in no
    assert "Label issue" in lift_view.filter_retest_summary(s)
    assert "No audit ranking" in lift_view.filter_retest_summary(
        {"filter_and_retest": {"outlier": [_entry(5)]}})
    overview = lift_view.filter_retest_overview(s)
    assert overview["beats random at"].tolist() == ["10%", "never"]


def test_progress_tracker_reads_the_lift_stages():
    t = lift_view.LiftProgressTracker()
    seen = [t.update("embedding", 0, 100), t.update("embedding", 100, 100),
            t.update("leakage", 0, None), t.update("leakage", 1, None),
            t.update("ranking", 1, None), t.update("lift", 0, 40), t.update("lift", 20, 40),
            t.update("lift", 40, 40)]
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and 0.9 < fractions[-1] <= 1.0
    assert seen[-2][1] == "Training the classifiers: 20 / 40 model fits (stage 5 of 5)"
    assert seen[0][1].startswith("Embedding the texts")


# --------------------------------------------------------------------------- report (fast)

class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.refs = []

    def handle_starttag(self, tag, attrs):
        self.refs += [v for k, v in attrs if k in ("src", "href") and v]


def test_report_has_an_escaped_offline_lift_section(planted_audit, planted_lift):
    plain = report.to_html(planted_audit, n_examples=1)
    s = json.loads(json.dumps(planted_lift.to_dict()))
    s["per_generator"][PAYLOAD] = next(iter(s["per_generator"].values()))
    s["verdict_sentence"] = "VERDICT-ROW " + PAYLOAD
    s["eval"]["source"] = PAYLOAD
    s["findings"].append("FINDING-ROW " + PAYLOAD)
    for lift in (s, planted_lift):          # a lift.json read as a dict, or a LiftResult
        html = report.to_html(planted_audit, n_examples=1, lift=lift)
        assert 'id="sq-lift"' in html and 'id="sq-lift"' not in plain
        assert html.count("Plotly.newPlot") == plain.count("Plotly.newPlot") + 2
        assert "sq-lift-scores" in html and "sq-lift-generators" in html
        links = _Links()
        links.feed(html)
        assert links.refs == []              # nothing to fetch: no src, no href
        assert not re.search(r"<(script|link|img|iframe)[^>]*\b(src|href)\s*=", html)
        assert f"{planted_lift.summary['lift']:+.3f}" in html
        for model in lift_view.LIFT_MODELS.values():
            assert model in html
    # The payload (generator name, sentence, source, findings) is escaped everywhere.
    html = report.to_html(planted_audit, n_examples=1, lift=s)
    assert "<script>window.__sq_xss" not in html and "<img src=x" not in html
    assert "VERDICT-ROW &lt;script&gt;window.__sq_xss = 1&lt;/script&gt;" in html
    assert "FINDING-ROW &lt;script&gt;" in html
    assert "**bold**" in html                 # shown as typed, not rendered


# --------------------------------------------------------------------------- the page (AppTest)

@pytest.fixture(scope="module")
def sample_lift(audits):  # noqa: F811
    return fast_lift(AuditResult.load(audits.sample))


def _copy(audits, tmp_path):  # noqa: F811
    folder = tmp_path / "audit"
    shutil.copytree(audits.sample, folder)
    return folder


@pytest.fixture
def open_folder(monkeypatch, audits):  # noqa: F811
    """Point the app at an audit folder."""
    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.setenv("SYNTH_QUALITY_CACHE_DIR", str(audits.cache))

    def point(folder):
        monkeypatch.setenv("SYNTH_QUALITY_AUDIT_DIR", str(folder))
        return folder
    return point


def texts(at) -> str:
    return _texts(at, unescape=True)


def assert_ok(at):
    assert not at.exception, [e.value for e in at.exception]


@pytest.mark.slow
def test_page_shows_a_saved_lift(open_folder, audits, sample_lift, tmp_path):  # noqa: F811
    folder = open_folder(_copy(audits, tmp_path))
    sample_lift.save(folder)
    at = app().switch_page(PAGE).run()
    assert_ok(at)
    s = sample_lift.summary
    assert "Lift" in [t.value for t in at.title]
    body = texts(at)
    assert s["verdict_sentence"] in body
    box = {"helps": at.success, "hurts": at.error}.get(s["verdict"], at.info)
    assert any(s["verdict_sentence"] in el.value.replace("\\", "") for el in box)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Real only"] == f"{s['real_only']:.3f}"
    assert metrics["Real + synthetic"] == f"{s['real_plus_synthetic']:.3f}"
    assert metrics["Synthetic only"] == f"{s['synthetic_only']:.3f}"
    assert metrics["Lift"] == f"{s['lift']:+.3f}"
    lo, hi = s["lift_ci"]
    assert f"95% interval {lo:+.3f} to {hi:+.3f}" in body
    for heading in ("Per generator", "How much synthetic data", "Evaluation set"):
        assert heading in [h.value for h in at.subheader]
    assert "never significantly better" in body or "beats dropping" in body
    assert len(at.get("plotly_chart")) >= 3 + len(s["filter_and_retest"])
    # Leaked evaluation rows are shown as table cells (plain text), never as markdown.
    frames = [el.value for el in at.dataframe]
    leaks = [f for f in frames if "evaluation text" in f]
    if s["eval"]["leakage_examples"]:
        assert leaks and leaks[0]["evaluation text"].iloc[0] == \
            s["eval"]["leakage_examples"][0]["eval_text"]
    # The score view of filter-and-retest draws too; a rerun does not recompute anything.
    at.radio(key="w_lift_fr_y").set_value("score").run()
    assert_ok(at)
    assert at.button(key="run_lift")                # to run it again, in the expander


@pytest.mark.slow
def test_page_without_lift_runs_it_saves_it_and_the_report_has_it(open_folder, audits,
                                                                   monkeypatch,
                                                                   tmp_path):  # noqa: F811
    folder = open_folder(_copy(audits, tmp_path))
    at = app().switch_page(PAGE).run()
    assert_ok(at)
    assert "Run the lift control" in [h.value for h in at.subheader]
    assert at.radio(key="w_lift_eval").value == "holdout"
    assert not at.metric
    from synth_quality.lift import run as lift_mod

    real_run, calls, ticks = lift_mod.run_lift, [], []

    def quick_run(inputs, eval_data=None, **kwargs):
        calls.append(dict(kwargs, inputs=inputs, eval_data=eval_data))
        shown = kwargs["progress"]

        def progress(stage, done, total):
            ticks.append((stage, done, total))
            shown(stage, done, total)
        kwargs.update(config=LiftConfig.from_dict({**FAST.to_dict(),
                                                   "metric": kwargs["config"].metric}),
                      embed_config=NO_CACHE, embedder=HashingEmbedder(), progress=progress)
        return real_run(inputs, eval_data, **kwargs)

    monkeypatch.setattr("synth_quality.lift.run.run_lift", quick_run)
    at.selectbox(key="w_lift_metric").set_value("macro_f1")
    at.button(key="run_lift").click().run()
    assert_ok(at)
    assert len(calls) == 1
    call = calls[0]
    assert call["eval_data"] is None and call["config"].metric == "macro_f1"
    assert call["audit_examples"] is not None
    assert len(call["inputs"].frame) == len(AuditResult.load(folder).examples)
    assert any(stage == "lift" for stage, _, _ in ticks)
    assert "Ran the lift control" in texts(at) and "saved it as lift.json" in texts(at)
    saved = LiftResult.load(folder)
    assert saved.summary["metric"] == "macro_f1"
    assert {m.label for m in at.metric} >= {"Real only", "Real + synthetic", "Synthetic only"}
    assert saved.summary["verdict_sentence"] in texts(at)
    # The same settings again: shown from the cache, not recomputed.
    at.button(key="run_lift").click().run()
    assert_ok(at)
    assert len(calls) == 1 and "computed earlier" in texts(at)
    # The Report page includes it.
    at.switch_page("pages/5_Report.py").run()
    assert_ok(at)
    assert "It includes the lift control" in texts(at)


@pytest.mark.slow
def test_audit_without_a_label_column_says_so(open_folder, audits, tmp_path):  # noqa: F811
    result = AuditResult.load(audits.sample)
    result.examples = result.examples.drop(columns="label")
    result.summary = dict(result.summary)
    result.summary["inputs"] = dict(result.summary.get("inputs") or {}, label_column=None)
    folder = open_folder(save_atomic(result, tmp_path / "nolabel"))
    at = app().switch_page(PAGE).run()
    assert_ok(at)
    assert any("no task label column" in el.value for el in at.info)
    assert "--label-column" in at.info[0].value
    assert not _has_key(at, "run_lift") and not at.metric
    assert not (folder / LIFT_FILE).exists()


def _has_key(at, key: str) -> bool:
    return any(getattr(b, "key", None) == key for b in at.button)


@pytest.mark.slow
def test_unreadable_lift_json_is_reported_not_raised(open_folder, audits,
                                                     tmp_path):  # noqa: F811
    folder = open_folder(_copy(audits, tmp_path))
    (folder / LIFT_FILE).write_text("{ not json", encoding="utf-8")
    at = app().switch_page(PAGE).run()
    assert_ok(at)
    assert any("Could not read this audit's lift result" in e.value for e in at.error)
    assert _has_key(at, "run_lift")
