"""``synth-quality add``: add a new generation round to an earlier audit."""

from __future__ import annotations

from pathlib import Path

import click

from synth_quality.cli.common import TqdmProgress, friendly_errors, print_audit


@click.command()
@click.argument("audit_dir", type=click.Path(file_okay=False))
@click.option("--synthetic", "synthetic", type=click.Path(), required=True,
              help="File of new synthetic rows (CSV, TSV, Parquet, JSONL, JSON).")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Folder for the new audit (never AUDIT_DIR itself).")
@click.option("--text-column", help="The new file's text column (default: the audit's, else auto).")
@click.option("--label-column", help="The new file's label column (default: the audit's, if present).")
@click.option("--generator-column", help="The new file's generator column (default: the audit's, if present).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly_errors
def add(audit_dir, synthetic, out, text_column, label_column, generator_column, quiet):
    """Add new synthetic rows to the audit in AUDIT_DIR and write the audit of all rows to --out.

    Old rows keep their places on the map (UMAP starts from AUDIT_DIR's layouts) and only new
    texts are embedded; everything else is recomputed on all rows, with AUDIT_DIR's settings.
    The new rows get batch 1 (2, 3... on later adds) in examples.parquet.

    \b
    Example:
      synth-quality audit --real real.csv --synthetic round1.csv --out runs/round1
      synth-quality add runs/round1 --synthetic round2.csv --out runs/round2
    """
    from synth_quality.errors import InputDataError
    from synth_quality.pipeline.incremental import add_rows
    from synth_quality.result import AuditResult

    if Path(audit_dir).resolve() == Path(out).resolve():
        raise InputDataError(f"--out {out} is the audit rows are added to; write the new audit "
                             "to another folder (the earlier one is never overwritten)")
    previous = AuditResult.load(audit_dir)
    with TqdmProgress(quiet) as progress:
        result = add_rows(previous, synthetic, text_column=text_column,
                          label_column=label_column, generator_column=generator_column,
                          progress=progress)
    print_audit(result, result.save(out))
