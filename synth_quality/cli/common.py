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

        from synth_quality.present.progress import STAGE_UNIT, stage_label

        name = stage_label(stage)
        if stage != self.stage:
            self.close()
            self.stage = stage
            if total is not None:
                unit = STAGE_UNIT.get(stage, "steps").rstrip("s")
                self.bar = tqdm(total=total, desc=name, unit=unit, file=sys.stderr,
                                dynamic_ncols=True, leave=True)
            else:
                click.echo(f"{name} ...", err=True)
        if self.bar is not None and total is not None:
            self.bar.update(done - self.bar.n)
        if total is None and done > 0:
            click.echo(f"{name} done", err=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None

    def __enter__(self) -> "TqdmProgress":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def friendly_errors(func=None, *, exit_code: int = 1):
    """Turn a command's SynthQualityError into click's one-line "Error: ..." and exit status
    ``exit_code`` (no traceback); every command uses it. ``check`` exits 2 on an error, since
    its 1 means a rule failed."""
    if func is None:
        return functools.partial(friendly_errors, exit_code=exit_code)

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        try:
            return func(*args, **kwargs)
        except SynthQualityError as exc:
            error = click.ClickException(str(exc).splitlines()[0] if str(exc)
                                         else type(exc).__name__)
            error.exit_code = exit_code
            raise error from None
    return wrapper


def input_options(func):
    """The input options shared by ``audit`` and ``lift``."""
    options = [
        click.option("--real", "real", type=click.Path(), help="File of real rows (CSV, TSV, Parquet, JSONL, JSON)."),
        click.option("--synthetic", "synthetic", type=click.Path(), help="File of synthetic rows."),
        click.option("--data", "data", type=click.Path(), help="One file holding both sides, with a source column."),
        click.option("--source-column", help="With --data: the column saying which side a row is on."),
        click.option("--real-value", help="With --data: the source value meaning real (auto: real/human/original...)."),
        click.option("--text-column", multiple=True,
                     help="The text column (auto when there is one obvious text column, a chat "
                     "column or known instruction fields). Repeat it for several fields, e.g. "
                     "--text-column instruction --text-column response: each field is audited "
                     "alone and the record as a whole."),
        click.option("--label-column", help="Optional task label column (e.g. sentiment)."),
        click.option("--generator-column", help="Optional column naming the generator of each synthetic row."),
        click.option("--pair-column", help="Optional column naming the prompt each row answers, "
                     "shared by both sides (paired data; found without it when the prompt "
                     "fields hold the same texts on both sides)."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def load_kwargs(real, synthetic, data, source_column, real_value, text_column, label_column,
                generator_column, pair_column=None) -> dict:
    if isinstance(text_column, (list, tuple)):  # --text-column given 0, 1 or more times
        text_column = (None if not text_column else text_column[0] if len(text_column) == 1
                       else list(text_column))
    return dict(real=real, synthetic=synthetic, data=data, source_column=source_column,
                real_value=real_value, text_column=text_column, label_column=label_column,
                generator_column=generator_column, pair_column=pair_column)


def inputs_or_sample(kwargs: dict, sample: bool, what: str) -> dict:
    """``kwargs`` for ``load_inputs``: the user's files, or the built-in sample with
    ``--sample`` (never both, and never neither: a one-line error naming ``what`` is missing)."""
    from synth_quality.errors import InputDataError

    given = kwargs.get("real") or kwargs.get("synthetic") or kwargs.get("data")
    if sample:
        if given:
            raise InputDataError("pass either --sample or your own files, not both")
        from synth_quality.demo.sample import sample_path

        return dict(kwargs, data=str(sample_path()), source_column="real_or_synthetic",
                    label_column="sentiment", generator_column="generator")
    if not given:
        raise InputDataError(f"nothing to {what}: pass --real and --synthetic, or --data with "
                             "--source-column, or --sample")
    return kwargs


def config_from_options(config_path=None, *, model=None, cache_dir=None, no_cache=False,
                        min_cluster_size=None, folds=None, seed=None):
    """The audit settings: a ``--config`` JSON file, then the command-line options over it."""
    import json

    from synth_quality.config import AuditConfig
    from synth_quality.errors import ConfigError

    settings: dict = {}
    if config_path:
        try:
            settings = json.loads(Path(config_path).read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise ConfigError(f"config file not found: {config_path}") from None
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ConfigError(f"config file {config_path} is not valid JSON: {exc}") from None
        if not isinstance(settings, dict):
            raise ConfigError(f"config file {config_path} must hold a JSON object")
    for section in ("embed", "cluster", "detect"):
        settings.setdefault(section, {})
    if model:
        settings["embed"]["model"] = model
    if cache_dir:
        settings["embed"]["cache_dir"] = cache_dir
    if no_cache:
        settings["embed"]["use_cache"] = False
    if min_cluster_size is not None:
        settings["cluster"]["min_cluster_size"] = min_cluster_size
    if folds is not None:
        settings["detect"]["n_folds"] = folds
    if seed is not None:
        settings["random_state"] = seed
    return AuditConfig.from_dict(settings)


#: The figures ``audit`` and ``add`` print, with their format.
PRINTED_FIGURES = (("detection_auc", "{:.3f}"), ("unrealistic", "{:.2f}"),
                   ("unrepresentative", "{:.2f}"), ("unvaried", "{:.1%}"),
                   ("unoriginal", "{:.1%}"), ("precision", "{:.2f}"), ("recall", "{:.2f}"),
                   ("density", "{:.2f}"), ("coverage", "{:.2f}"), ("centre_mass", "{:.1%}"),
                   ("tail_mass", "{:.1%}"), ("vendi", "{:.1f}"), ("mauve", "{:.2f}"))


def print_audit(result, folder: Path) -> None:
    """What ``audit`` and ``add`` print: where the result went, the verdict, and the scores,
    each beside its no-difference band."""
    s = result.facts
    click.echo(f"Audited {s.n_real} real and {s.n_synthetic} synthetic rows in "
               f"{s.timings['total']:.1f} s -> {folder}/")
    click.echo(s.verdict)
    figures = s.no_difference.figures
    click.echo(f"{'figure':<18}{'value':>9}   {'with no difference':<20} reading")
    for name, fmt in PRINTED_FIGURES:
        # centre_mass, tail_mass, vendi and mauve are not top-level keys: their value is the
        # one no_difference lists (absent when the audit did not measure them).
        entry = figures.get(name)
        value = (getattr(s, name) if name in type(s).model_fields
                 else entry.value if entry is not None else None)
        shown = "n/a" if value is None else fmt.format(value)
        band = ("" if entry is None or entry.low is None
                else f"{fmt.format(entry.low)} to {fmt.format(entry.high)}")
        reading = entry.reading if entry is not None else None
        click.echo(f"{name:<18}{shown:>9}   {band:<20} {reading or ''}")
    for note in result.warnings:
        click.echo(f"note: {note}", err=True)
