"""``synth-quality next-steps``: what to generate next, from an audit (and a lift) folder."""

from __future__ import annotations

from pathlib import Path

import click

from synth_quality.cli.common import friendly_errors


@click.command("next-steps")
@click.argument("audit_dir", type=click.Path(file_okay=False))
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Folder for few_shot.csv, few_shot.md and filtered_synthetic.csv.")
@click.option("--lift-dir", type=click.Path(file_okay=False), default=None,
              help="A lift folder (synth-quality lift --out) run on the audit's rows: the "
                   "filtered synthetic set it measured to help is exported too.")
@click.option("--examples", "n_examples", type=click.IntRange(min=1), default=10,
              show_default=True, help="Real rows per group in few_shot.md.")
@friendly_errors
def next_steps(audit_dir, out, lift_dir, n_examples):
    """Export the real rows the synthetic data does not reach, as few-shot examples.

    For every uncovered region of real rows and every density band the synthetic rows
    under-fill (fewer synthetic rows than with no difference), few_shot.csv lists its real rows
    with the group's keywords, least reached first, and few_shot.md gives each group as text
    to paste into a generator's prompt. With --lift-dir, filtered_synthetic.csv holds the
    synthetic rows the lift control's best filter keeps (only when a filter was measured to
    help). The audit and lift folders are only read.

    \b
    Example:
      synth-quality next-steps runs/first --lift-dir runs/lift --out runs/next
    """
    from synth_quality.lift.result import LiftResult
    from synth_quality.present.next_steps import (few_shot_groups, few_shot_markdown,
                                                  few_shot_table, filter_sentence,
                                                  filtered_synthetic)
    from synth_quality.result import AuditResult

    result = AuditResult.load(audit_dir)
    lift = LiftResult.load(lift_dir) if lift_dir else None
    groups = few_shot_groups(result.examples, result.summary)
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    table = few_shot_table(result.examples, groups)
    table.to_csv(folder / "few_shot.csv", index=False, lineterminator="\n")
    (folder / "few_shot.md").write_text(few_shot_markdown(result.examples, groups, n_examples),
                                        encoding="utf-8")
    click.echo(f"{len(groups)} group(s) of real rows to generate more of ({len(table):,} rows) "
               f"-> {folder}/few_shot.csv, few_shot.md")
    for g in groups:
        click.echo(f"  {g['title']}: {', '.join(g['keywords'][:5])}")
    if lift is not None:
        filtered = filtered_synthetic(result.examples, lift.summary,
                                      result.summary.get("inputs"))
        click.echo(filter_sentence(lift.summary))
        if filtered is not None:
            filtered.to_csv(folder / "filtered_synthetic.csv", index=False, lineterminator="\n")
            click.echo(f"{len(filtered):,} synthetic rows kept -> {folder}/filtered_synthetic.csv")
