"""What an earlier audit (``audit(previous=...)``, ``add_rows``) lends a new one: which rows it
had, its neighbour lists when rows were only appended, its layouts as UMAP's start, and the
text measures and word counts of the texts it had (they depend on the text alone)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.analysis.text_checks import (REPETITION_MEASURES, SURFACE_FEATURES,
                                                 text_measures)
from synth_quality.pipeline.summary import package_versions
from synth_quality.project.layout import match_rows, warm_start


def word_counts_of(texts, matched, previous):
    """Word counts of every text, when the earlier audit has counted its own already (the
    dashboard does, in the background, for re-clustering): then only the new texts are
    counted. None otherwise (the keyword tables count the words themselves)."""
    if matched is None:
        return None
    counted, before = previous.counted_words()
    if not counted:
        return None
    from synth_quality.analysis.keywords import extend_term_counts

    return extend_term_counts(before, matched, texts)


def match_previous(frame, previous) -> np.ndarray | None:
    """Each row's index in ``previous`` (same side and text), -1 for a new row; None without
    a usable earlier audit."""
    if previous is None or not {"side", "text"} <= set(previous.examples.columns):
        return None
    before = previous.examples
    return match_rows(list(zip(frame["side"], frame["text"].astype(str))),
                      list(zip(before["side"], before["text"].astype(str))))


def only_appended(matched: np.ndarray, n_real: int, previous) -> bool:
    """Whether today's rows are the earlier audit's rows, in their order, with new rows after
    them on each side (what ``add_rows`` makes), and the earlier neighbour lists were saved."""
    if previous.neighbor_graph is None:
        return False
    real_before = previous.n_real
    syn_before = len(previous.examples) - real_before
    n_syn = len(matched) - n_real
    if real_before > n_real or syn_before > n_syn:
        return False
    expected = np.full(len(matched), -1, np.int64)
    expected[:real_before] = np.arange(real_before)
    expected[n_real:n_real + syn_before] = real_before + np.arange(syn_before)
    return bool(np.array_equal(matched, expected))


def warm_starts(frame, previous, matched, graph, config):
    """UMAP start positions from ``previous`` for the map and the cluster projection.

    Returns (map start, cluster start, summary entry, rows that were in ``previous``); all
    None when there is no usable earlier audit: none given, no saved cluster projection,
    another cluster dimension, or fewer than half of today's rows in it (then the old layout
    says little about the new one). With few new rows (``place_new_rows_up_to``) the earlier
    rows stay where they were and only the new ones are placed.
    """
    nothing = None, None, None, None
    if previous is None or matched is None:
        return nothing
    before = previous.examples
    coords = previous.cluster_coords
    if (coords is None or coords.shape != (len(before), config.project.cluster_components)
            or not {"x", "y"} <= set(before.columns)):
        return nothing
    was_there = matched >= 0
    n_matched = int(was_there.sum())
    if n_matched < len(frame) / 2:
        return nothing
    # Both layouts side by side in one call.
    layouts = np.hstack([before[["x", "y"]].to_numpy(np.float32), np.asarray(coords, np.float32)])
    start = warm_start(matched, layouts, graph.knn_indices)
    map_start, cluster_start = start[:, :2].copy(), start[:, 2:].copy()
    n_new = len(frame) - n_matched
    place = n_new <= config.project.place_new_rows_up_to * len(frame)
    return map_start, cluster_start, {
        "rows_matched": n_matched, "rows_new": n_new, "earlier_rows_fixed": bool(place),
        "epochs": config.project.place_epochs if place else config.project.update_epochs,
    }, (was_there if place else None)


def measures_of(texts, matched, previous) -> pd.DataFrame:
    """:func:`text_measures` of every text, read from the earlier audit for the rows it had
    (they depend on the text alone) when it was made by this same version."""
    columns = [*REPETITION_MEASURES, *SURFACE_FEATURES]
    same_version = (previous is not None and (previous.summary.get("versions") or {}).get(
        "synth-quality") == package_versions().get("synth-quality"))
    if (matched is None or not same_version or not (matched >= 0).any()
            or not set(columns) <= set(previous.examples.columns)):
        return text_measures(texts)
    values = np.empty((len(texts), len(columns)), np.float64)
    have = matched >= 0
    values[have] = previous.examples[columns].to_numpy(np.float64)[matched[have]]
    new = np.flatnonzero(~have)
    if len(new):
        values[new] = text_measures([texts[i] for i in new])[columns].to_numpy(np.float64)
    return pd.DataFrame(values, columns=columns)
