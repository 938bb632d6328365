"""synth-quality dashboard: the Overview page, and the entry point of ``streamlit run app.py``.

Every page here is two lines calling into :mod:`synth_quality.dashboard.pages`, which holds its
content; ``synth-quality app`` runs the same files from the installed package
(``synth_quality/dashboard/app/``), and a clone's top-level copies are checked against them."""

from synth_quality.dashboard.pages.overview import render

render()
