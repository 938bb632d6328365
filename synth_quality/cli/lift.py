"""``synth-quality lift``: the real-data control on the command line.

Takes the same input options as ``audit`` plus the task label column and a real evaluation
file, runs :func:`synth_quality.lift.run.run_lift` and writes ``lift.json`` to ``--out``. Errors a
user can fix print one line, ``Error: ...``, and exit with code 1.
"""

from __future__ import annotations

from pathlib import Path

import click

from synth_quality.cli.common import TqdmProgress, friendly_errors, input_options, load_kwargs


@click.command()
@input_options
@click.option("--eval", "eval_path", type=click.Path(), default=None,
              help="Real evaluation file (CSV, TSV, Parquet, JSONL, JSON) with a text and a label "
                   "column; default: hold out 30% of the real rows.")
@click.option("--eval-text-column", default=None,
              help="Text column of --eval (auto when there is one obvious text column).")
@click.option("--eval-label-column", default=None,
              help="Label column of --eval (default: the --label-column name).")
@click.option("--audit-dir", type=click.Path(file_okay=False), default=None,
              help="An audit folder of the same inputs; its examples.parquet ranks the synthetic "
                   "rows for filter-and-retest (default: computed here).")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Folder for lift.json and lift_eval.parquet.")
@click.option("--metric", type=click.Choice(["accuracy", "macro_f1", "auc"]), default="accuracy",
              show_default=True, help="The score the lift and the verdict are about.")
@click.option("--seeds", type=int, default=None,
              help="Training replicates per headline model (default 5).")
@click.option("--bootstrap", "n_bootstrap", type=int, default=None,
              help="Bootstrap resamples of the evaluation rows (default 1000).")
@click.option("--seed", type=int, default=0, show_default=True,
              help="random_state for the split, subsets, bootstrap and models.")
@click.option("--model", default=None, help="sentence-transformers model name or local path for "
              "the embeddings (default: all-MiniLM-L6-v2, as the audit).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Embedding cache folder (default $SYNTH_QUALITY_CACHE_DIR or "
                   "~/.cache/synth-quality): the audit's, so nothing is embedded twice.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly_errors
def lift(real, synthetic, data, source_column, real_value, text_column, label_column,
         generator_column, pair_column, eval_path, eval_text_column, eval_label_column, audit_dir, out,
         metric, seeds, n_bootstrap, seed, model, cache_dir, quiet):
    """Does the synthetic data help a real task? Train real-only, real + synthetic and
    synthetic-only classifiers, score them on real rows, and write lift.json to --out.

    \b
    Example:
      synth-quality lift --data case.csv --label-column sentiment --eval eval.csv --out runs/lift
    """
    from synth_quality.config import EmbedConfig
    from synth_quality.errors import InputDataError
    from synth_quality.lift.config import LiftConfig
    from synth_quality.lift.run import run_lift

    if not (real or synthetic or data):
        raise InputDataError("nothing to test: pass --real and --synthetic, or --data with "
                             "--source-column, plus --label-column")
    if not label_column:
        raise InputDataError("the lift control needs a task label column on both sides; pass "
                             "--label-column (e.g. --label-column sentiment)")
    settings: dict = {"metric": metric, "random_state": seed}
    if seeds is not None:
        settings["n_seeds"] = seeds
    if n_bootstrap is not None:
        settings["n_bootstrap"] = n_bootstrap
    config = LiftConfig(**settings)
    embed = {}
    if model:
        embed["model"] = model
    if cache_dir:
        embed["cache_dir"] = cache_dir
    embed_config = EmbedConfig(**embed)
    if eval_path is not None and not Path(eval_path).expanduser().exists():
        raise InputDataError(f"evaluation file not found: {eval_path}")
    examples = None
    if audit_dir:
        examples = _audit_examples(audit_dir)

    with TqdmProgress(quiet) as progress:
        result = run_lift(eval_data=eval_path, eval_text_column=eval_text_column,
                          eval_label_column=eval_label_column, config=config,
                          embed_config=embed_config, audit_examples=examples, progress=progress,
                          **load_kwargs(real, synthetic, data, source_column, real_value,
                                        text_column, label_column, generator_column,
                                        pair_column))
    folder = result.save(out)
    s = result.summary
    click.echo(f"Lift control on {s['eval']['n_rows']} real evaluation rows "
               f"({s['eval']['source']}) in {s['timings']['total']:.1f} s -> {folder}/")
    click.echo(s["verdict_sentence"])
    lo, hi = s["lift_ci"]
    click.echo(f"{s['metric_name']}: real only {_num(s['real_only'])}  real + synthetic "
               f"{_num(s['real_plus_synthetic'])}  synthetic only {_num(s['synthetic_only'])}  "
               f"lift {_num(s['lift'], True)} [{_num(lo, True)}, {_num(hi, True)}]  "
               f"verdict: {s['verdict']}")
    for note in result.warnings:
        click.echo(f"note: {note}", err=True)


def _num(x, signed: bool = False) -> str:
    if x is None or x != x:
        return "n/a"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def _audit_examples(audit_dir: str):
    """The examples table of an audit folder (only what the rankings need is read)."""
    import pandas as pd

    from synth_quality.errors import InputDataError

    folder = Path(audit_dir)
    path = folder / "examples.parquet"
    if not folder.is_dir():
        raise InputDataError(f"audit folder not found: {audit_dir}")
    if not path.is_file():
        raise InputDataError(f"{audit_dir} is not an audit folder: missing examples.parquet; run "
                             f"synth-quality audit --out {audit_dir} first")
    try:
        return pd.read_parquet(path)
    except Exception as exc:
        raise InputDataError(f"could not read {path}: {exc}") from exc
