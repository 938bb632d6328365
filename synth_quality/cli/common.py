"""What the commands share: the progress bars, one-line errors, the input options and what
``audit`` and ``add`` print."""

from __future__ import annotations

import functools
import sys
from pathlib import Path

import click

from synth_quality.errors import SynthQualityError


class TqdmProgress:
    """Progress adapter: one tqdm bar per stage on stderr (rows or folds), a line for tick-less stages."""

    def __init__(self, quiet: bool = False):
        self.quiet = quiet
        self.bar = None
        self.stage = None

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        if self.quiet:
            return
        from tqdm import tqdm

        if stage != self.stage:
            self.close()
            self.stage = stage
            if total is not None:
                self.bar = tqdm(total=total, desc=stage, unit="row" if stage == "embedding" else "step",
                                file=sys.stderr, dynamic_ncols=True, leave=True)
            else:
                click.echo(f"{stage} ...", err=True)
        if self.bar is not None and total is not None:
            self.bar.update(done - self.bar.n)
        if total is None and done > 0:
            click.echo(f"{stage} done", err=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "TqdmProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def friendly_errors(func):
    """Turn a command's SynthQualityError into click's one-line "Error: ..." and exit status 1
    (no traceback); the ``audit``, ``add`` and ``lift`` commands share it."""
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SynthQualityError as exc:
            raise click.ClickException(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
    return wrapper


def input_options(func):
    """The input options shared by ``audit`` and ``lift``."""
    options = [
        click.option("--real", "real", type=click.Path(), help="File of real rows (CSV, TSV, Parquet, JSONL, JSON)."),
        click.option("--synthetic", "synthetic", type=click.Path(), help="File of synthetic rows."),
        click.option("--data", "data", type=click.Path(), help="One file holding both sides, with a source column."),
        click.option("--source-column", help="With --data: the column saying which side a row is on."),
        click.option("--real-value", help="With --data: the source value meaning real (auto: real/human/original...)."),
        click.option("--text-column", help="The text column (auto when there is one obvious text column)."),
        click.option("--label-column", help="Optional task label column (e.g. sentiment)."),
        click.option("--generator-column", help="Optional column naming the generator of each synthetic row."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def load_kwargs(real, synthetic, data, source_column, real_value, text_column, label_column,
                generator_column) -> dict:
    return dict(real=real, synthetic=synthetic, data=data, source_column=source_column,
                real_value=real_value, text_column=text_column, label_column=label_column,
                generator_column=generator_column)


def print_audit(result, folder: Path) -> None:
    """What ``audit`` and ``add`` print: where the result went, the verdict, the scores."""
    s = result.summary
    click.echo(f"Audited {s['n_real']} real and {s['n_synthetic']} synthetic rows in "
               f"{s['timings']['total']:.1f} s -> {folder}/")
    click.echo(s["verdict"])
    click.echo(f"detection AUC {s['detection_auc']:.3f}  unrealistic {s['unrealistic']:.2f}  "
               f"unrepresentative {s['unrepresentative']:.2f}  unvaried {s['unvaried']:.2f}  "
               f"unoriginal {s['unoriginal']:.2f}  (all: high = bad)")
    for note in result.warnings:
        click.echo(f"note: {note}", err=True)
