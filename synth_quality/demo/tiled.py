"""A large audit folder made from a small one, for the dashboard's tests and benchmarks at scale
(``tests/dashboard/test_map_scale_browser.py``, ``bench/dashboard_scale.py``).

Auditing a million rows takes the better part of an hour; what the dashboard does with a
million rows does not depend on how they were audited. :func:`tile_audit` repeats every row of a
saved audit ``copies`` times, each copy's map coordinates jittered (seeded) around the original,
and keeps the folder consistent: rows are numbered on within their side, texts are marked with
their copy (so each row reads differently), every cluster, category and row count in
``clusters.parquet`` and ``summary.json`` is multiplied by ``copies``, and the summary is
checked against the schema when the audit is saved. Figures that are not counts (scores,
intervals, the per-row neighbour columns, which point at the first copy) are the small
audit's. The folder has no neighbour graph and no cluster projection, so it cannot be
re-clustered.
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd

#: summary.json counts multiplied by the number of copies (top level).
COUNT_KEYS = ("n_rows", "n_real", "n_synthetic", "n_outliers", "n_degenerate",
              "n_copies_of_real", "n_near_duplicate_groups", "n_real_uncovered",
              "n_synthetic_uncovered", "n_real_detectable", "n_synthetic_detectable",
              "n_synthetic_off_manifold")


def tile_audit(result, n_rows: int, jitter: float = 0.02, seed: int = 0):
    """An AuditResult with at least ``n_rows`` rows: ``ceil(n_rows / len(result.examples))``
    copies of every row. ``jitter``: the standard deviation of the noise added to each copy's
    map coordinates, as a share of the map's larger extent."""
    from synth_quality.result import AuditResult

    small = result.examples
    copies = max(1, -(-int(n_rows) // len(small)))
    rng = np.random.default_rng(seed)
    ex = pd.concat([small] * copies, ignore_index=True)
    copy_of = np.repeat(np.arange(copies), len(small))
    span = max(float(np.ptp(small["x"].to_numpy(float))), float(np.ptp(small["y"].to_numpy(float))))
    noise = rng.normal(0.0, jitter * span, size=(len(ex), 2))
    noise[copy_of == 0] = 0.0
    ex["x"] = (ex["x"].to_numpy(float) + noise[:, 0]).astype(small["x"].dtype)
    ex["y"] = (ex["y"].to_numpy(float) + noise[:, 1]).astype(small["y"].dtype)
    for side in ("real", "synthetic"):
        on_side = (ex["side"] == side).to_numpy()
        n_side = int((small["side"] == side).sum())
        top = int(small.loc[small["side"] == side, "row"].max()) + 1 if n_side else 0
        ex.loc[on_side, "row"] = (ex.loc[on_side, "row"].to_numpy()
                                  + copy_of[on_side] * top)
    marked = copy_of > 0
    ex.loc[marked, "text"] = (ex.loc[marked, "text"].astype(str) + " [copy "
                              + pd.Series(copy_of[marked], index=ex.index[marked]).astype(str)
                              + "]")
    clusters = result.clusters.copy()
    for col in ("size", "n_real", "n_synthetic"):
        if col in clusters:
            clusters[col] = clusters[col] * copies
    summary = copy.deepcopy(result.summary)
    for key in COUNT_KEYS:
        if isinstance(summary.get(key), int):
            summary[key] = summary[key] * copies
    if isinstance(summary.get("categories"), dict):
        summary["categories"] = {k: (v * copies if isinstance(v, int) else v)
                                 for k, v in summary["categories"].items()}
    summary.pop("fields", None)
    return AuditResult(ex, clusters, summary, None, result.config, list(result.warnings), None,
                       {})


def write_tiled(source: str | Path, out: str | Path, n_rows: int, seed: int = 0) -> Path:
    """Load the audit in ``source``, tile it to at least ``n_rows`` rows and save it in ``out``."""
    from synth_quality.result import AuditResult

    return tile_audit(AuditResult.load(source), n_rows, seed=seed).save(out)
