"""``synth-quality app``: the dashboard, on this machine or served to a team (``--serve``)."""

from __future__ import annotations

import click

from synth_quality.cli.common import friendly_errors


@click.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--audit-dir", type=click.Path(file_okay=False), default=None,
              help="Open this audit folder instead of the built-in sample.")
@click.option("--serve", is_flag=True, default=False,
              help="Serve it to a team: listen on every network interface (unless --address "
                   "says otherwise), keep each visitor's uploads and their audits private to "
                   "them, and switch the Data page's \"Audit folder\" box off unless "
                   "--audit-root allows one folder.")
@click.option("--address", default=None,
              help="Address to listen on. Default: 127.0.0.1 (this machine only); with "
                   "--serve, 0.0.0.0 (every interface).")
@click.option("--audit-root", type=click.Path(exists=True, file_okay=False), default=None,
              help="The \"Audit folder\" box opens saved audits inside this folder only.")
@click.option("--max-audits", type=click.IntRange(min=1), default=None,
              help="Audits (rows added, lift controls, self-tests) running at once; later ones "
                   "wait their turn, with a message saying so. Default 1, or "
                   "$SYNTH_QUALITY_MAX_AUDITS.")
@click.option("--upload-memory-mb", type=click.IntRange(min=16), default=None,
              help="Memory for uploaded tables, all visitors together (default 1024); the "
                   "least recently used are dropped first, and re-read from the upload.")
@click.option("--audit-memory-mb", type=click.IntRange(min=16), default=None,
              help="Memory for loaded audits and their re-clusterings (default 1024).")
@click.option("--keep-hours", type=click.FloatRange(min=0), default=None,
              help="With --serve --login: how long a signed-in user's upload audits stay on "
                   "disk after their last use (default 168, a week). A visitor who is not "
                   "signed in keeps them until their browser session ends.")
@click.option("--login", is_flag=True, default=False,
              help="With --serve: visitors sign in first (Streamlit's st.login; set up the "
                   "[auth] section of .streamlit/secrets.toml) and keep their audits across "
                   "visits.")
@friendly_errors
def app(port, audit_dir, serve, address, audit_root, max_audits, upload_memory_mb,
        audit_memory_mb, keep_hours, login):
    """Open the dashboard (Streamlit) on the built-in sample, or on --audit-dir.

    \b
    synth-quality app                                    # this machine only
    synth-quality app --serve --audit-root /srv/audits   # a team, on a shared machine
    """
    import dataclasses

    from synth_quality.dashboard.serving import ServeSettings
    from synth_quality.errors import ConfigError

    if login and not serve:
        raise ConfigError("--login needs --serve (signing in is for a dashboard served to a "
                          "team)")
    settings = ServeSettings.from_env()
    given = {"served": serve or settings.served, "login": login or settings.login}
    for name, value in (("audit_root", audit_root), ("max_audits", max_audits),
                        ("upload_memory_mb", upload_memory_mb),
                        ("audit_memory_mb", audit_memory_mb), ("keep_hours", keep_hours)):
        if value is not None:
            given[name] = value
    if audit_root is not None:
        from pathlib import Path

        given["audit_root"] = Path(audit_root).expanduser().resolve()
    settings = dataclasses.replace(settings, **given)
    address = address or ("0.0.0.0" if settings.served else "127.0.0.1")

    from synth_quality.dashboard.launch import run  # the only command that imports Streamlit

    run(port, audit_dir, settings=settings, address=address)
