"""``synth-quality app``: run the dashboard's packaged entry folder with Streamlit.

The folder is :data:`APP_DIR` (``app.py``, ``pages/`` and
``.streamlit/config.toml``, shipped in the wheel). Streamlit reads the settings beside the
``app.py`` it runs (loopback address, no usage statistics, upload limit, theme, no file
watcher ...), so they apply whatever the current directory; the address and the usage
statistics are passed as flags as well, since they are what keeps every request on this
machine. ``synth-quality app --serve`` listens on every interface instead (a team's dashboard)
and passes its settings to the pages through the environment
(:mod:`synth_quality.dashboard.serving`).
"""

from __future__ import annotations

import os
import sys
import threading
from pathlib import Path

#: The folder ``synth-quality app`` runs: ``app.py`` and ``pages/`` (each page a two-line call
#: into :mod:`synth_quality.dashboard.pages`) and ``.streamlit/config.toml``. A clone's top-level
#: ``app.py``, ``pages/`` and ``.streamlit/`` are copies of it (tests/dashboard/test_entry.py).
APP_DIR = Path(__file__).resolve().parent / "app"
#: Set by ``synth-quality app --audit-dir``: the audit folder the dashboard opens.
AUDIT_DIR_ENV = "SYNTH_QUALITY_AUDIT_DIR"

#: Modules the first page imports, loaded while the browser still loads Streamlit's own code.
FIRST_PAGE_IMPORTS = ("pyarrow.parquet", "synth_quality.present.figures",
                      "synth_quality.present.tables", "synth_quality.present.findings",
                      "synth_quality.result")


def run(port: int, audit_dir: str | None = None, settings=None,
        address: str = "127.0.0.1") -> None:
    """Serve the dashboard on ``address``:``port`` in this process (as ``streamlit run``
    would). ``settings``: a :class:`~synth_quality.dashboard.serving.ServeSettings`, handed to
    the pages through the environment (``streamlit run app.py`` reads the same variables)."""
    app_file = APP_DIR / "app.py"
    if audit_dir:
        os.environ[AUDIT_DIR_ENV] = str(Path(audit_dir).resolve())
    if settings is not None:
        os.environ.update(settings.to_env())
    # Streamlit runs in this process, so that the modules every page needs can be imported
    # while the browser is still loading Streamlit's own code: the first page then draws about
    # a second and a half sooner. Streamlit and pandas first, here: plotly (which streamlit
    # imports) looks pandas up in sys.modules, and must never find it half-imported by the
    # preloading thread.
    import pandas  # noqa: F401
    from streamlit.web import cli as streamlit_cli

    threading.Thread(target=_preload, daemon=True, name="synth-quality-preload").start()
    sys.argv = ["streamlit", "run", str(app_file), "--server.port", str(port),
                "--server.address", address, "--browser.gatherUsageStats", "false"]
    if settings is not None and settings.served:
        # No browser is opened on the server's own desktop.
        sys.argv += ["--server.headless", "true"]
    streamlit_cli.main()


def _preload() -> None:
    """Import what the dashboard's pages import, in the order a first page needs it."""
    import importlib
    import time

    try:
        for name in FIRST_PAGE_IMPORTS:
            importlib.import_module(name)
        # shell.py's st.cache_* decorators want Streamlit's runtime, which the server creates
        # a moment after it starts.
        from streamlit import runtime

        deadline = time.monotonic() + 60
        while not runtime.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        importlib.import_module("synth_quality.dashboard.shell")  # the rest, after the first page
    except Exception:  # noqa: BLE001 - the page that needs the module reports the problem
        pass
