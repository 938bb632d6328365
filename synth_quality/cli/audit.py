"""``synth-quality audit``: audit synthetic text against real text and save the result."""

from __future__ import annotations

from pathlib import Path

import click

from synth_quality.cli.common import (
    TqdmProgress,
    config_from_options,
    friendly_errors,
    input_options,
    inputs_or_sample,
    load_kwargs,
    print_audit,
)


@click.command()
@input_options
@click.option("--sample", is_flag=True, help="Audit the built-in sample instead of your files.")
@click.option("--out", "out", type=click.Path(file_okay=False), required=True,
              help="Folder for examples.parquet, clusters.parquet, summary.json.")
@click.option("--model", default=None, help="sentence-transformers model name or local path "
              "(default: all-MiniLM-L6-v2, shipped offline).")
@click.option("--min-cluster-size", type=int, default=None, help="HDBSCAN minimum cluster size (default: 1% of rows, at least 10).")
@click.option("--folds", type=int, default=None, help="Cross-validation folds of the detector (default 5).")
@click.option("--seed", type=int, default=None, help="random_state for every random stage "
              "(default 0, or the --config file's; a null there means unseeded and parallel).")
@click.option("--cache-dir", type=click.Path(file_okay=False), default=None,
              help="Embedding cache folder (default $SYNTH_QUALITY_CACHE_DIR or ~/.cache/synth-quality).")
@click.option("--no-cache", is_flag=True, help="Embed everything afresh and write no cache.")
@click.option("--config", "config_path", type=click.Path(dir_okay=False), default=None,
              help="JSON file of settings, e.g. {\"cluster\": {\"alpha\": 0.01}}; options above win.")
@click.option("--previous", "previous_dir", type=click.Path(file_okay=False), default=None,
              help="An earlier audit folder of most of these rows (before new rows were "
              "added): UMAP starts from its layouts, so old rows keep their places on the map "
              "(exactly, when at most a quarter of the rows are new) and the audit takes a "
              "fraction of the time. Never written to.")
@click.option("--engine", type=click.Choice(["local", "ray"]), default="local",
              show_default=True, help="ray: embedding and text checks run as Ray Data batch "
              "jobs writing Parquet shards (on a cluster with --address; needs "
              "pip install 'ray[data]'); the other stages read the shards here.")
@click.option("--address", default=None, help="With --engine ray: the Ray cluster to use "
              "('auto' for the one this machine belongs to, or ray://HOST:10001); default: "
              "a local Ray instance on this machine's cores.")
@click.option("--shards", type=click.Path(file_okay=False), default=None,
              help="With --engine ray: keep the Parquet shards in this folder (default: a "
              "temporary folder, removed afterwards).")
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly_errors
def audit(real, synthetic, data, source_column, real_value, text_column, label_column,
          generator_column, sample, out, model, min_cluster_size, folds, seed, cache_dir,
          no_cache, config_path, previous_dir, engine, address, shards, quiet):
    """Audit synthetic text against real text and write the results to --out.

    \b
    Example:
      synth-quality audit --real real.csv --synthetic synth.csv --text-column text --out runs/first
      # after a new generation round, starting from the first audit's layouts:
      synth-quality audit --real real.csv --synthetic synth_v2.csv --previous runs/first --out runs/second
    """
    from synth_quality.errors import InputDataError
    from synth_quality.pipeline.audit import audit as run_audit

    config = config_from_options(config_path, model=model, cache_dir=cache_dir,
                                 no_cache=no_cache, min_cluster_size=min_cluster_size,
                                 folds=folds, seed=seed)

    kwargs = load_kwargs(real, synthetic, data, source_column, real_value, text_column,
                         label_column, generator_column)
    kwargs = inputs_or_sample(kwargs, sample, "audit")
    previous = None
    if previous_dir:
        from synth_quality.result import AuditResult

        if Path(previous_dir).resolve() == Path(out).resolve():
            raise InputDataError(f"--out {out} is the --previous audit; write the new audit "
                                 "to another folder (the earlier one is never overwritten)")
        previous = AuditResult.load(previous_dir)
    if engine != "ray" and (address or shards):
        raise InputDataError("--address and --shards go with --engine ray")
    if engine == "ray":
        import importlib.util

        if importlib.util.find_spec("ray") is None:
            raise ConfigError("--engine ray needs Ray: pip install 'ray[data]'")
        if previous is not None:
            raise InputDataError("--previous is not supported with --engine ray yet")
        from synth_quality.pipeline.distributed import audit_on_ray

        with TqdmProgress(quiet) as progress:
            result = audit_on_ray(config=config, address=address, shards=shards,
                                  progress=progress, **kwargs)
        print_audit(result, result.save(out))
        return
    with TqdmProgress(quiet) as progress:
        result = run_audit(config=config, progress=progress, previous=previous, **kwargs)
    print_audit(result, result.save(out))
