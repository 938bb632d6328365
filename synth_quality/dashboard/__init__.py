"""The Streamlit dashboard: the only part of the package that imports Streamlit (apart from
:mod:`.store`, the audits it keeps on disk). Only the pages and ``synth-quality app`` import it."""
