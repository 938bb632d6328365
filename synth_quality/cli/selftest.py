"""``synth-quality selftest``: plant known defects into a copy of your data, audit it, and report
what each detector finds (``selftest.json``)."""

from __future__ import annotations

import click

from synth_quality.cli.common import (
    TqdmProgress,
    config_from_options,
    friendly_errors,
    input_options,
    inputs_or_sample,
    load_kwargs,
)


@click.command()
@input_options
@click.option("--sample", is_flag=True, help="Self-test on the built-in sample instead of your files.")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Folder for selftest.json, planted.parquet and the audit of the planted copy.")
@click.option("--model", default=None, help="sentence-transformers model name or local path.")
@click.option("--seed", type=int, default=0, show_default=True,
              help="Seed of the planting (which rows are copied, edited, withheld).")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="JSON file of audit settings, as for `audit`.")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly_errors
def selftest(real, synthetic, data, source_column, real_value, text_column, label_column,
             generator_column, sample, out, model, seed, config_path, quiet):
    """Plant known defects into a copy of your data and measure what the audit finds.

    Your files are only read. The copy gets exact and near copies of real rows, repetition
    loops and stutters, off-topic rows, a real mode withheld from the synthetic side and, with
    --label-column, flipped labels; it is audited as `audit` would, and selftest.json gives
    each detector's recall and AUROC on the planted rows and its false-alarm rate with no
    difference.

    \b
    Example:
      synth-quality selftest --real real.csv --synthetic synth.csv --out runs/selftest
    """
    from synth_quality.selftest.run import selftest as run_selftest

    config = config_from_options(config_path, model=model)
    kwargs = load_kwargs(real, synthetic, data, source_column, real_value, text_column,
                         label_column, generator_column)
    kwargs = inputs_or_sample(kwargs, sample, "test")
    with TqdmProgress(quiet) as progress:
        result = run_selftest(config=config, seed=seed, progress=progress, **kwargs)
    folder = result.save(out)
    report = result.report
    click.echo(f"Self-test: planted {sum(report['planted'].values())} rows into a copy of "
               f"{report['n_real']} real and {report['n_synthetic']} synthetic rows -> {folder}/")
    click.echo(f"{'detector':<15}{'planted':>8}{'recall':>8}{'AUROC':>7}  "
               f"{'false alarms with no difference':<32}what")
    for name, d in report["detectors"].items():
        if "recall" not in d:
            click.echo(f"{name:<15}{d['n_planted']:>8}  not measured: {d['not_measured']}")
            continue
        alarms = ("n/a" if d["false_alarm_rate"] is None
                  else f"{d['false_alarm_rate']:.2%} (up to {d['false_alarm_band'][1]:.2%})")
        click.echo(f"{name:<15}{d['n_planted']:>8}{d['recall']:>8.0%}{d['auroc']:>7.2f}  "
                   f"{alarms:<32}{d['what']}")
