"""The dashboard's pages, one module each with a ``render()`` that Streamlit runs on every
rerun. The files Streamlit runs (``app.py`` and ``pages/*.py`` in :data:`~.shell.APP_DIR`, and
their copies at a clone's top level) are two-line calls of these."""
