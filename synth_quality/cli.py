"""The ``synth-quality`` command line: parses options, calls the library, prints.

Every error a user can cause (:class:`~synth_quality.errors.SynthQualityError`) is printed as one
line, ``Error: ...``, with exit code 1. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import functools
import json
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


@click.group()
@click.version_option(package_name="synth-quality")
def main():
    """synth-quality: is your synthetic text data any good?

    \b
    synth-quality audit --real real.csv --synthetic synth.csv --out runs/first
    synth-quality audit --data mixed.csv --source-column real_or_synthetic --out runs/second
    synth-quality add   runs/first --synthetic round2.csv --out runs/first-plus-round2
    synth-quality lift  --data mixed.csv --label-column sentiment --eval eval.csv --out runs/lift
    synth-quality app   # the dashboard, on the built-in sample
    """


@main.command()
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
@click.option("--quiet", is_flag=True, help="No progress bars.")
@friendly_errors
def audit(real, synthetic, data, source_column, real_value, text_column, label_column,
          generator_column, sample, out, model, min_cluster_size, folds, seed, cache_dir,
          no_cache, config_path, previous_dir, quiet):
    """Audit synthetic text against real text and write the results to --out.

    \b
    Example:
      synth-quality audit --real real.csv --synthetic synth.csv --text-column text --out runs/first
      # after a new generation round, starting from the first audit's layouts:
      synth-quality audit --real real.csv --synthetic synth_v2.csv --previous runs/first --out runs/second
    """
    from synth_quality.config import AuditConfig
    from synth_quality.errors import ConfigError, InputDataError
    from synth_quality.pipeline.audit import audit as run_audit

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
    settings.setdefault("embed", {})
    settings.setdefault("cluster", {})
    settings.setdefault("detect", {})
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
    config = AuditConfig.from_dict(settings)

    kwargs = load_kwargs(real, synthetic, data, source_column, real_value, text_column,
                         label_column, generator_column)
    if sample:
        if real or synthetic or data:
            raise InputDataError("pass either --sample or your own files, not both")
        from synth_quality.sample import sample_path

        kwargs.update(data=str(sample_path()), source_column="real_or_synthetic",
                      label_column="sentiment", generator_column="generator")
    elif not (real or synthetic or data):
        raise InputDataError("nothing to audit: pass --real and --synthetic, or --data with "
                             "--source-column, or --sample")
    previous = None
    if previous_dir:
        from synth_quality.result import AuditResult

        if Path(previous_dir).resolve() == Path(out).resolve():
            raise InputDataError(f"--out {out} is the --previous audit; write the new audit "
                                 "to another folder (the earlier one is never overwritten)")
        previous = AuditResult.load(previous_dir)
    progress = TqdmProgress(quiet)
    try:
        result = run_audit(config=config, progress=progress, previous=previous, **kwargs)
    finally:
        progress.close()
    _report(result, result.save(out))


def _report(result, folder: Path) -> None:
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


@main.command()
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
    progress = TqdmProgress(quiet)
    try:
        result = add_rows(previous, synthetic, text_column=text_column,
                          label_column=label_column, generator_column=generator_column,
                          progress=progress)
    finally:
        progress.close()
    _report(result, result.save(out))


@main.command()
@click.option("--port", type=int, default=8501, show_default=True)
@click.option("--audit-dir", type=click.Path(file_okay=False), default=None,
              help="Open this audit folder instead of the built-in sample.")
def app(port, audit_dir):
    """Open the dashboard (Streamlit) on the built-in sample, or on --audit-dir."""
    import os
    import threading

    app_file = Path(__file__).resolve().parent.parent / "app.py"
    if not app_file.is_file():
        raise click.ClickException(f"app.py not found next to the package ({app_file}); install "
                                   "synth-quality from a clone with `pip install -e .`")
    if audit_dir:
        os.environ["SYNTH_QUALITY_AUDIT_DIR"] = str(Path(audit_dir).resolve())
    # Streamlit runs in this process (as `streamlit run` would), so that the modules every page
    # needs can be imported while the browser is still loading Streamlit's own code: the first
    # page then draws about a second and a half sooner.
    # Streamlit and pandas first, here: plotly (which streamlit imports) looks pandas up in
    # sys.modules, and must never find it half-imported by the preloading thread.
    import pandas  # noqa: F401
    from streamlit.web import cli as streamlit_cli

    threading.Thread(target=_preload_dashboard, args=(app_file.parent,), daemon=True,
                     name="synth-quality-preload").start()
    os.chdir(app_file.parent)
    sys.argv = ["streamlit", "run", str(app_file), "--server.port", str(port),
                "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false"]
    streamlit_cli.main()


def _preload_dashboard(app_dir: Path) -> None:
    """Import what the dashboard's pages import, in the order a first page needs it."""
    import importlib
    import time

    if str(app_dir) not in sys.path:
        sys.path.insert(0, str(app_dir))
    try:
        for name in ("pyarrow.parquet", "synth_quality.explore", "synth_quality.result"):
            importlib.import_module(name)
        # dashboard.py's st.cache_* decorators want Streamlit's runtime, which the server
        # creates a moment after it starts.
        from streamlit import runtime

        deadline = time.monotonic() + 60
        while not runtime.exists() and time.monotonic() < deadline:
            time.sleep(0.05)
        importlib.import_module("dashboard")  # the rest: after the first page (dashboard.py)
    except Exception:  # noqa: BLE001 - the page that needs the module reports the problem
        pass


@main.command()
@click.argument("directory", type=click.Path(file_okay=False), default="sample_data")
def sample(directory):
    """Write the built-in sample (sample.csv) into DIRECTORY (default sample_data/)."""
    from synth_quality.sample import write_sample

    click.echo(str(write_sample(directory)))


def _register_lift():
    from synth_quality.lift_cli import lift  # its own module: it imports cli's shared options

    main.add_command(lift)


_register_lift()
