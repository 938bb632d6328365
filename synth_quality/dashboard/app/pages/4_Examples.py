"""Examples: every row with its scores, filters, views and exports."""

from synth_quality.dashboard.pages.examples import render

render()
