"""Map: the 2-d UMAP scatter; click, box or lasso to list rows."""

from synth_quality.dashboard.pages.map import render

render()
