"""The audit's "centre or corners" stage: the bands and rarity scores
(:mod:`synth_quality.analysis.corners`), the diversity figures
(:mod:`synth_quality.analysis.diversity`) and the rounds and generators side by side
(:mod:`synth_quality.analysis.rounds`), put into the examples table (``density_band``,
``rarity_score``) and the summary (``centre_vs_corners``, ``diversity``, ``rounds``).

:func:`reference_figures` hands the figures among them that every audit reads first (centre and
tail mass, the synthetic side's diversity, MAUVE) to the no-difference reference, so that they
are listed, banded and read like every other figure.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from synth_quality.analysis.corners import centre_and_tail, measure, row_columns, summarise
from synth_quality.analysis.diversity import diversity
from synth_quality.analysis.keywords import ctfidf_keywords
from synth_quality.analysis.rounds import group_figures, rounds_block, synthetic_groups
from synth_quality.pipeline.stages import AuditRun, Measured
from synth_quality.progress import Stage, StageTimer

#: Figures handed to the no-difference reference: name -> (block, key) in the summary.
REFERENCE_FIGURES = {
    "centre_mass": ("centre_vs_corners", "centre_mass"),
    "tail_mass": ("centre_vs_corners", "tail_mass"),
    "vendi": ("diversity", "synthetic", "vendi"),
    "distinct_2": ("diversity", "synthetic", "distinct_2"),
    "compression_ratio": ("diversity", "synthetic", "compression_ratio"),
    "self_bleu": ("diversity", "synthetic", "self_bleu"),
    "mauve": ("diversity", "mauve"),
}


def widen(run: AuditRun, m: Measured, rows: pd.DataFrame, summary: dict) -> None:
    """Measure the bands, rarity, diversity and rounds of one audit, into ``rows`` (two
    columns) and ``summary`` (three blocks; None where the data is too small for one).

    Two timed stages, one after the other: ``Stage.CORNERS`` (bands, rarity, the groups'
    figures) and ``Stage.DIVERSITY`` (which ticks per group), so a progress display shows
    each once."""
    with StageTimer(run.progress, run.timings, Stage.CORNERS):
        corners, groups, figures = _bands_and_groups(run, m, rows, summary)
    settings = run.config.corners
    t0 = time.perf_counter()
    named = {"by_round": {str(b): g for b, g in groups["by_round"].items()},
             "by_generator": groups["by_generator"]}
    summary["diversity"] = (diversity(m.X, run.texts, run.n_real, named,
                                      settings.diversity_rows, run.config.reference.repeats,
                                      run.config.random_state, run.progress)
                            if settings.diversity_rows else None)
    run.timings[Stage.DIVERSITY] = round(time.perf_counter() - t0, 3)
    summary["rounds"] = None
    if figures is not None:
        summary["rounds"] = rounds_block(figures, groups["by_round"], settings.trend_alpha,
                                         summary["diversity"])
        if summary["rounds"]["warning"]:
            run.notes.append(summary["rounds"]["warning"])


def _bands_and_groups(run: AuditRun, m: Measured, rows: pd.DataFrame, summary: dict):
    """The bands and rarity (into ``rows`` and ``summary["centre_vs_corners"]``), the synthetic
    rows' rounds and generators, and their figures (None without corners or groups)."""
    config, n_real = run.config, run.n_real
    settings, k, seed = config.corners, config.score.manifold_k, config.random_state
    graph = m.graph
    n_syn = len(rows) - n_real
    corners = measure(m.X, n_real, graph.own_radius, graph.other_nearest[n_real:],
                      settings.n_bands, k, config.reference.calibration_rows, seed,
                      (graph.knn_indices, graph.knn_similarities))
    columns = row_columns(corners, n_real, n_syn)
    band = columns["density_band"]
    rows["density_band"] = pd.array(np.where(band > 0, band, 0), dtype="Int64")
    rows.loc[band <= 0, "density_band"] = pd.NA
    rows["rarity_score"] = columns["rarity_score"]
    real_covered = rows["in_other_manifold"].to_numpy(bool)[:n_real]
    summary["centre_vs_corners"] = summarise(corners, real_covered, n_syn, k,
                                             settings.centre_share, settings.tail_share)
    if corners is not None:
        texts = np.asarray(run.texts[:n_real], dtype=object)
        keywords = ctfidf_keywords({b: texts[corners.bands.band == b].tolist()
                                    for b in range(corners.bands.n_bands)},
                                   config.cluster.n_keywords)
        for entry in summary["centre_vs_corners"]["bands"]:
            entry["keywords"] = keywords.get(entry["band"] - 1, [])
    groups = synthetic_groups(rows)
    if corners is None or not (groups["by_round"] or groups["by_generator"]):
        return corners, groups, None
    keyed = {("round", b): g for b, g in groups["by_round"].items()}
    keyed.update({("generator", g): members for g, members in groups["by_generator"].items()})
    centre, tail = centre_and_tail(corners.bands.n_bands, settings.centre_share,
                                   settings.tail_share)
    figures = group_figures(corners, m.X, n_real, graph.own_radius, keyed, k, centre, tail,
                            config.reference.calibration_rows, seed)
    return corners, groups, figures


def reference_figures(summary: dict) -> dict:
    """The figures of this stage that the no-difference reference lists: name -> their entry
    (``value``, ``mean``, ``sd``, ``low``, ``high``); absent when not measured."""
    out = {}
    for name, path in REFERENCE_FIGURES.items():
        entry = summary
        for key in path:
            entry = (entry or {}).get(key) if isinstance(entry, dict) else None
        if isinstance(entry, dict) and "value" in entry:
            out[name] = {key: entry.get(key) for key in ("value", "mean", "sd", "low", "high")}
    return out
