"""Report: the self-contained HTML report, to download and preview."""

from synth_quality.dashboard.pages.report import render

render()
