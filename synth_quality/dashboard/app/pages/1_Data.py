"""Data: the sample, uploaded files, an earlier audit, or rows added to the current one."""

from synth_quality.dashboard.pages.data import render

render()
