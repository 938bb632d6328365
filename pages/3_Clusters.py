"""Clusters: each cluster's real and synthetic share against the overall share."""

from synth_quality.dashboard.pages.clusters import render

render()
