"""``synth-quality app``: the dashboard."""

from __future__ import annotations

import click


@click.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--audit-dir", type=click.Path(file_okay=False), default=None,
              help="Open this audit folder instead of the built-in sample.")
def app(port, audit_dir):
    """Open the dashboard (Streamlit) on the built-in sample, or on --audit-dir."""
    from synth_quality.dashboard.launch import run  # the only command that imports Streamlit

    run(port, audit_dir)
