"""Lift: does the synthetic data help a real task?"""

from synth_quality.dashboard.pages.lift import render

render()
