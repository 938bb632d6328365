"""Tests of synth_quality.report: one self-contained, offline, escaped HTML file."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest

from browser_conftest import audits  # noqa: F401  (session fixture)
from synth_quality import AuditResult, report
from synth_quality.present.filters import sort_examples
from synth_quality.present.wording import CATEGORY_INFO, DATASET_SCORES


@pytest.fixture(scope="module")
def payload_result(audits):  # noqa: F811
    return AuditResult.load(audits.payload)


@pytest.fixture(scope="module")
def html(payload_result):
    return report.to_html(payload_result, generated=dt.datetime(2025, 1, 2, 3, 4))


class Collector(HTMLParser):
    """Tags, script sources and the text of the document."""

    def __init__(self):
        super().__init__()
        self.tags, self.srcs, self.text = [], [], []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        attrs = dict(attrs)
        for key in ("src", "href"):
            if attrs.get(key):
                self.srcs.append(attrs[key])
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if not self._in_script:
            self.text.append(data)


def parse(html: str) -> Collector:
    c = Collector()
    c.feed(html)
    return c


def test_the_report_is_one_offline_document(html):
    doc = parse(html)
    assert html.startswith("<!DOCTYPE html>")
    assert doc.srcs == []                         # no script, stylesheet, image or link to fetch
    # The library, then one per figure: the map, the clusters chart, and the bands and the
    # curves of centre or corners.
    assert html.count("<script") == 5
    assert html.count("Plotly.newPlot") == 4
    assert "cdn.plot.ly/plotly" not in html.split("</script>", 1)[1]   # nothing after the library
    assert "Generated 2025-01-02 03:04" in html


def test_the_report_holds_verdict_scores_map_clusters_and_examples(html, payload_result):
    text = " ".join(parse(html).text)
    s = payload_result.summary
    assert s["verdict"][:80] in text
    for info in DATASET_SCORES.values():
        assert info.label in text and info.meaning in text
    assert f"{s['detection_auc']:.3f}" in text
    assert "high = bad" in text
    for section in ("Verdict", "Scores", "Surface artifacts", "Map", "Clusters",
                    "Top examples per category", "By generator"):
        assert re.search(rf"<h2>{section}</h2>", html), section
    for category in CATEGORY_INFO:
        assert category.capitalize() in text
    worst = sort_examples(
        payload_result.examples[payload_result.examples["category"] == "unrealistic synthetic"],
        "label_issue_score").iloc[0]["text"]
    assert worst in text
    assert 'id="sq-map"' in html and 'id="sq-clusters"' in html


def test_dataset_text_is_escaped(html):
    assert "<script>window.__sq_xss" not in html
    assert "<img src=x" not in html
    assert "PAYLOAD-ROW &lt;script&gt;window.__sq_xss = 1&lt;/script&gt;&lt;img src=x" in html
    doc = parse(html)
    assert doc.tags.count("img") == 0 and doc.tags.count("b") == 0
    # Inside the plotly JSON the hover text is escaped twice over: HTML, then JSON's \u003c.
    assert "window.__sq_xss = 1\\u003c" not in html


def test_titles_are_escaped_too(payload_result):
    html = report.to_html(payload_result, title="<i>Q3</i> audit", n_examples=2)
    assert "<title>&lt;i&gt;Q3&lt;/i&gt; audit</title>" in html
    assert "<i>Q3</i>" not in html


def test_write_html(payload_result, tmp_path):
    path = report.write_html(payload_result, tmp_path / "r.html", n_examples=1)
    assert path.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_every_score_in_the_report_carries_its_no_difference_range(html, payload_result):
    """Issue 15: the report shows each figure beside what it reads with no difference."""
    figures = payload_result.summary["no_difference"]["figures"]
    assert "Every figure against no difference" in html
    assert html.count("With no difference") >= 1 + len(DATASET_SCORES)
    for entry in figures.values():
        assert entry["what"] in html
    assert ("expected even with no difference" in html
            or "higher than with no difference" in html)
    assert "A second, model-free view" in html


def test_the_report_has_a_labels_section(html, payload_result):
    """The built-in sample has a sentiment column: the report says how many labels look wrong,
    per side (the real rows' share as the reference) and per generator, and lists the worst."""
    assert '<h2 id="sq-labels">Labels: does each text look like its label?</h2>' in html
    labels = payload_result.summary["labels"]
    text = " ".join(parse(html).text)
    assert "real rows (reference)" in text and "synthetic rows" in text
    assert f"{labels['synthetic']['label_issue_share']:.1%}" in text
    for name in labels["by_generator"]:
        assert f"generator {name}" in text
    ex = payload_result.examples
    worst = sort_examples(ex[(ex["side"] == "synthetic") & ex["is_label_issue"]],
                          "label_quality").iloc[0]
    assert worst["text"] in text


def test_the_report_has_the_centre_or_corners_section(html, payload_result):
    s = payload_result.summary
    text = " ".join(parse(html).text)
    assert 'id="sq-corners"' in html and 'id="sq-bands"' in html and 'id="sq-curves"' in html
    assert s["centre_vs_corners"]["sentence"] in text
    assert s["diversity"]["sentence"] in text
    for band in s["centre_vs_corners"]["bands"]:
        assert ", ".join(band["keywords"]) in text
    # One round only: no rounds chart, and no warning.
    assert 'id="sq-rounds"' not in html and "Rounds:" not in text
