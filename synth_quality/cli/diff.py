"""``synth-quality diff``: what changed between two audits."""

from __future__ import annotations

import json

import click

from synth_quality.cli.common import friendly_errors


@click.command()
@click.argument("old_dir", type=click.Path(file_okay=False))
@click.argument("new_dir", type=click.Path(file_okay=False))
@click.option("--json", "as_json", is_flag=True, help="Print the differences as JSON.")
@click.option("--limit", type=int, default=10, show_default=True,
              help="New, vanished and changed clusters and regions listed at most.")
@friendly_errors
def diff(old_dir, new_dir, as_json, limit):
    """Say what changed from the audit in OLD_DIR to the audit in NEW_DIR.

    Rows in both (matched by side and text), the scores and counts (old -> new, with the 95%
    intervals the audit gives, and whether they overlap), the generators, the clusters and
    uncovered regions that are new, vanished or changed status (matched through the rows both
    audits hold), and surface artifacts that started or stopped separating the sides. It
    judges nothing: use check for that. Exit status 0, or 1 when an audit cannot be read.

    \b
    Example:
      synth-quality diff runs/round1 runs/round2
      synth-quality diff runs/round1 runs/round2 --json > changes.json
    """
    from synth_quality.gate.diff import diff_audits, render
    from synth_quality.result import AuditResult

    found = diff_audits(AuditResult.load(old_dir), AuditResult.load(new_dir))
    if as_json:
        click.echo(json.dumps(found.to_dict(), indent=2, ensure_ascii=False))
    else:
        click.echo(render(found, old_dir, new_dir, limit=max(limit, 0)))
