"""``synth-quality app``: the dashboard."""

from __future__ import annotations

import sys
from pathlib import Path

import click


@click.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--audit-dir", type=click.Path(file_okay=False), default=None,
              help="Open this audit folder instead of the built-in sample.")
def app(port, audit_dir):
    """Open the dashboard (Streamlit) on the built-in sample, or on --audit-dir."""
    import os
    import threading

    app_file = Path(__file__).resolve().parents[2] / "app.py"
    if not app_file.is_file():
        raise click.ClickException(f"app.py not found next to the package ({app_file}); install "
                                   "synth-quality from a clone with `pip install -e .`")
    if audit_dir:
        os.environ["SYNTH_QUALITY_AUDIT_DIR"] = str(Path(audit_dir).resolve())
    # Streamlit runs in this process (as `streamlit run` would), so that the modules every page
    # needs can be imported while the browser is still loading Streamlit's own code: the first
    # page then draws about a second and a half sooner.
    # Streamlit and pandas first, here: plotly (which streamlit imports) looks pandas up in
    # sys.modules, and must never find it half-imported by the preloading thread.
    import pandas  # noqa: F401
    from streamlit.web import cli as streamlit_cli

    threading.Thread(target=_preload_dashboard, args=(app_file.parent,), daemon=True,
                     name="synth-quality-preload").start()
    os.chdir(app_file.parent)
    sys.argv = ["streamlit", "run", str(app_file), "--server.port", str(port),
                "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    streamlit_cli.main()


def _preload_dashboard(app_dir: Path) -> None:
    """Import what the dashboard's pages import, in the order a first page needs it."""
    import importlib
    import time

    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    try:
        for name in ("pyarrow.parquet", "synth_quality.present.figures", "synth_quality.present.tables",
                     "synth_quality.present.findings", "synth_quality.result"):
            importlib.import_module(name)
        # dashboard.py's st.cache_* decorators want Streamlit's runtime, which the server
        # creates a moment after it starts.
        from streamlit import runtime

        deadline = time.monotonic() + 60
        while not runtime.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        importlib.import_module("dashboard")  # the rest: after the first page (dashboard.py)
    except Exception:  # noqa: BLE001 - the page that needs the module reports the problem
        pass
