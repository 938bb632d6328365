"""Corners: does the synthetic data fill the middle of the real data or reach its corners?"""

from synth_quality.dashboard.pages.corners import render

render()
