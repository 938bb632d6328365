"""``audit()``: the stages chained into one :class:`~synth_quality.result.AuditResult`.

Stages, each timed into ``summary["timings"]`` (seconds) and reported to ``progress``:

1. loading     read and check the inputs (:mod:`synth_quality.io`)
2. embedding   sentence embeddings, cached on disk (:mod:`synth_quality.embed.api`)
3. neighbours  one exact k-NN pass shared by UMAP, outliers, duplicates and coverage
4. projecting  UMAP 2-d for the map and 5-d for clustering, from that graph
5. clustering  HDBSCAN on the 5-d projection
6. detecting   out-of-fold real-vs-synthetic classifier
7. scoring     per-row scores, categories, clusters table, summary

Every stage can be replaced by passing an object (``embedder``, ``map_projector``,
``cluster_projector``, ``clusterer``, ``classifier``); defaults are built from the config.
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from synth_quality.analysis.cluster import cluster_points, cluster_table, resolve_min_cluster_size
from synth_quality.analysis.coverage import coverage, prdc, uncovered_regions
from synth_quality.analysis.detect import out_of_fold_p_synthetic
from synth_quality.analysis.scores import (
    categorise,
    dataset_scores,
    near_duplicate_groups,
    outlier_scores,
)
from synth_quality.analysis.text_checks import SURFACE_FEATURES, artifact_report, text_measures
from synth_quality.config import AuditConfig
from synth_quality.embed.api import embed_texts
from synth_quality.errors import InputDataError
from synth_quality.graph.knn import add_to_neighbor_graph, build_neighbor_graph
from synth_quality.graph.manifold import manifold_counts
from synth_quality.io import AuditInput, load_inputs
from synth_quality.pipeline.summary import by_generator, package_versions, region_table, verdict
from synth_quality.progress import ProgressCallback, StageTimer, null_progress
from synth_quality.project.layout import match_rows, project, warm_start
from synth_quality.project.worker import NEW_WORKER_MIN_ROWS, project_in_background
from synth_quality.result import AuditResult, cluster_counts
from synth_quality.stats import auc_with_ci


def audit(inputs: AuditInput | None = None, *, config: AuditConfig | None = None,
          embedder=None, map_projector=None, cluster_projector=None, clusterer=None,
          classifier=None, embeddings: np.ndarray | None = None,
          previous: AuditResult | None = None,
          progress: ProgressCallback | None = None, **load_kwargs) -> AuditResult:
    """Audit synthetic text against real text.

    Parameters
    ----------
    inputs : AuditInput, optional
        Already-loaded rows. If None, ``load_kwargs`` go to :func:`synth_quality.io.load_inputs`
        (``real=``, ``synthetic=``, or ``data=`` with ``source_column=``, ``text_column=``...).
    config : AuditConfig, optional
    embeddings : ndarray of shape (n, dim), optional
        Precomputed unit-length embeddings aligned with ``inputs.frame`` (skips embedding).
    previous : AuditResult, optional
        An earlier audit of most of these rows (say, before a new generation round was
        added). Its map and cluster layouts become UMAP's starting point: rows it had (same
        side, same text) start where they were, new rows beside their nearest old rows. With
        at most ``config.project.place_new_rows_up_to`` new rows the old rows stay exactly
        there and only the new ones are placed (``place_epochs``); with more, UMAP settles
        all rows for ``update_epochs`` epochs instead of ``n_epochs``. Either way the audit
        costs a fraction of a cold one. Everything
        else (neighbours, clusters, classifier, scores) is recomputed on all rows. The result
        depends on the earlier audit as well as on the rows: ``summary["warm_start"]`` says
        it was used.
    progress : callable, optional
        ``progress(stage, done, total)``; see :mod:`synth_quality.progress`.

    Returns
    -------
    AuditResult
    """
    config = config or AuditConfig()
    progress = progress or null_progress
    timings: dict[str, float] = {}
    collected: list[str] = []
    t_start = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", UserWarning)
        if inputs is None:
            with StageTimer(progress, timings, "loading"):
                inputs = load_inputs(min_rows_per_side=config.detect.n_folds, **load_kwargs)
        result = _run(inputs, config, embedder, map_projector, cluster_projector, clusterer,
                      classifier, embeddings, progress, timings, previous)
    collected.extend(inputs.warnings)
    collected.extend(str(w.message) for w in caught
                     if issubclass(w.category, UserWarning) and "synth_quality" in (w.filename or "")
                     or str(w.message).startswith("synth-quality:"))
    result.warnings = list(dict.fromkeys(collected + result.warnings))
    timings["total"] = round(time.perf_counter() - t_start, 3)
    result.summary["timings"] = timings
    result.summary["warnings"] = result.warnings
    return result


def _run(inputs: AuditInput, config: AuditConfig, embedder, map_projector, cluster_projector,
         clusterer, classifier, embeddings, progress, timings, previous=None) -> AuditResult:
    frame = inputs.frame.reset_index(drop=True)
    side = frame["side"].to_numpy()
    n_real = int((side == "real").sum())
    if not (side[:n_real] == "real").all():
        raise InputDataError("internal: rows must be ordered real first, then synthetic")
    for name, count in (("real", n_real), ("synthetic", len(frame) - n_real)):
        if count < config.detect.n_folds:
            raise InputDataError(f"the {name} side has {count} rows; at least "
                                 f"{config.detect.n_folds} are needed for {config.detect.n_folds}-fold "
                                 "cross-validation")
    texts = frame["text"].astype(str).tolist()
    is_syn = side == "synthetic"
    seed = config.random_state
    notes: list[str] = []

    # Compile UMAP's numba code in another process while this one embeds (once per machine).
    warmup = None
    if map_projector is None or cluster_projector is None:
        from synth_quality.project.warmup import start_background_warmup

        # A run whose cluster projection will go to a worker process lets that worker do
        # the warm-up: it then stays, with UMAP loaded, instead of a second process starting.
        warmup = start_background_warmup(as_worker=cluster_projector is None and seed is not None
                                         and len(frame) >= NEW_WORKER_MIN_ROWS)

    t0 = time.perf_counter()
    if embeddings is None:
        X, embed_info = embed_texts(texts, config.embed, embedder=embedder, progress=progress,
                                    threads=_threads_beside(warmup))
    else:
        X = np.asarray(embeddings, np.float32)
        if X.shape[0] != len(frame):
            raise InputDataError(f"embeddings have {X.shape[0]} rows but the data has {len(frame)}")
        embed_info = {"model": "precomputed", "n_texts": len(frame), "n_embedded": 0,
                      "n_from_cache": 0}
    timings["embedding"] = round(time.perf_counter() - t0, 3)

    k_graph = max(config.score.k_neighbors, config.project.n_neighbors - 1)
    matched = _match_previous(frame, previous)
    with StageTimer(progress, timings, "neighbours"):
        graph = None
        if matched is not None and _only_appended(matched, n_real, previous):
            # Rows were only added: search the pairs with a new row, keep the rest.
            graph = add_to_neighbor_graph(previous.neighbor_graph, X, n_real, previous.n_real,
                                          k_graph, config.score.manifold_k, progress)
        if graph is None:
            graph = build_neighbor_graph(X, n_real, k_graph, config.score.manifold_k, progress)
        manifold = manifold_counts(X, n_real, graph.own_radius)

    if warmup is not None:
        with StageTimer(progress, timings, "compiling UMAP (once per machine)", "compiling"):
            warmup.wait()
    cache = dict(n_epochs=config.project.n_epochs, cache_dir=config.embed.cache_dir,
                 use_cache=config.project.cache and config.embed.use_cache)
    map_start, cluster_start, warm, fixed = _warm_starts(frame, previous, matched, graph, config)
    if warm:
        cache["n_epochs"] = warm["epochs"]
        if warm["earlier_rows_fixed"]:
            cache["fixed"] = fixed
            notes.append(f"synth-quality: the {warm['rows_new']:,} new rows were placed on the "
                         f"earlier audit's layouts; its {warm['rows_matched']:,} rows kept their "
                         "places")
        else:
            notes.append(f"synth-quality: UMAP started from the earlier audit's layouts "
                         f"({warm['rows_matched']:,} rows were in it, {warm['rows_new']:,} are "
                         "new)")
    cluster_projection = None
    if cluster_projector is None:
        # This starts the cluster projection in a second process (the UMAP worker), to run
        # beside the map projection; its stage time is then only the wait after the map.
        cluster_projection = project_in_background(
            X, graph, config.project.cluster_components, config.project.n_neighbors, 0.0, seed,
            init=cluster_start, **cache)
    with StageTimer(progress, timings, "projecting (map)", "projecting_map"):
        xy = project(X, graph, 2, config.project.n_neighbors, config.project.map_min_dist, seed,
                     map_projector, init=map_start, **cache)
    # The detector needs neither projection: it trains while the cluster projection may
    # still be running in the worker (at 51,000 rows that wait was 25 s with a core idle).
    t0 = time.perf_counter()
    p_syn = out_of_fold_p_synthetic(X, is_syn, config.detect.n_folds, config.detect.C, seed,
                                    classifier, progress)
    timings["detecting"] = round(time.perf_counter() - t0, 3)
    with StageTimer(progress, timings, "projecting (clusters)", "projecting_clusters"):
        if cluster_projection is not None:
            coords = cluster_projection.result()
        else:
            coords = project(X, graph, config.project.cluster_components,
                             config.project.n_neighbors, 0.0, seed, cluster_projector,
                             init=cluster_start, **cache)
    with StageTimer(progress, timings, "clustering"):
        labels = cluster_points(coords, config.cluster, clusterer)

    with StageTimer(progress, timings, "scoring"):
        measures = _text_measures(texts, matched, previous)
        rows = _row_table(frame, texts, xy, labels, p_syn, graph, manifold, n_real, config,
                          measures)
        word_counts = _word_counts(texts, matched, previous)
        clusters = cluster_table(rows, coords, config.cluster, word_counts=word_counts)
        summary = _summary(rows, clusters, inputs, manifold, p_syn, is_syn, embed_info, config,
                           len(frame), word_counts)
        summary["warm_start"] = warm
    if summary["n_clusters"] == 0:
        notes.append("synth-quality: HDBSCAN found no clusters (every row is noise); try a "
                     "smaller min_cluster_size")
    result = AuditResult(rows, clusters, summary, coords, config, notes, graph)
    if word_counts is not None:
        result.keep_word_counts(word_counts)
    return result


def _word_counts(texts, matched, previous):
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


def _match_previous(frame, previous) -> np.ndarray | None:
    """Each row's index in ``previous`` (same side and text), -1 for a new row; None without
    a usable earlier audit."""
    if previous is None or not {"side", "text"} <= set(previous.examples.columns):
        return None
    before = previous.examples
    return match_rows(list(zip(frame["side"], frame["text"].astype(str))),
                      list(zip(before["side"], before["text"].astype(str))))


def _only_appended(matched: np.ndarray, n_real: int, previous) -> bool:
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


def _warm_starts(frame, previous, matched, graph, config):
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


def _threads_beside(process):
    """Torch threads for embedding while ``process`` (the numba warm-up) runs: one core less.

    Two torch threads on two cores beside a compiling process oversubscribe the machine, and
    OpenMP threads waiting on each other slow embedding far more than losing a thread does.
    """
    if process is None:
        return None
    import os

    cores = os.cpu_count() or 1
    return lambda: max(1, cores - 1) if process.poll() is None else cores


def _text_measures(texts, matched, previous) -> pd.DataFrame:
    """:func:`text_measures` of every text, read from the earlier audit for the rows it had
    (they depend on the text alone) when it was made by this same version."""
    columns = ["repetition_score", *SURFACE_FEATURES]
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


def _row_table(frame, texts, xy, labels, p_syn, graph, manifold, n_real, config,
               measures) -> pd.DataFrame:
    side = frame["side"].to_numpy()
    is_syn = side == "synthetic"
    # batch: 0 for the rows audited first, k for the k-th set added later (add_rows).
    batch = frame["batch"].to_numpy(np.int64) if "batch" in frame else np.zeros(len(frame), np.int64)
    rows = pd.DataFrame({"side": side, "row": frame["row"].to_numpy(np.int64), "batch": batch,
                         "text": texts})
    for optional in ("generator", "label"):
        if optional in frame:
            rows[optional] = frame[optional].to_numpy(object)
    rows["x"], rows["y"] = xy[:, 0], xy[:, 1]
    rows["cluster"] = labels
    rows["p_synthetic"] = p_syn
    # Cleanlab's self-confidence, inverted: how much the classifier doubts the row's own side.
    rows["label_issue_score"] = np.where(is_syn, 1.0 - p_syn, p_syn)

    knn_distance, outlier_score, is_outlier = outlier_scores(
        graph, config.score.k_neighbors, config.score.outlier_fence)
    rows["outlier_score"], rows["is_outlier"] = outlier_score, is_outlier
    rows["knn_distance"] = knn_distance

    groups = near_duplicate_groups(graph, texts, config.score.near_duplicate_similarity)
    rows["near_duplicate_group"] = pd.array(np.where(groups >= 0, groups, 0), dtype="Int64")
    rows.loc[groups < 0, "near_duplicate_group"] = pd.NA
    sizes = pd.Series(groups[groups >= 0]).value_counts()
    rows["near_duplicate_group_size"] = np.where(groups >= 0, pd.Series(groups).map(sizes).fillna(1), 1).astype(np.int64)

    row_ids = frame["row"].to_numpy(np.int64)
    other = graph.other_nearest
    nearest_row = np.where(other >= 0, row_ids[np.clip(other, 0, None)], -1)
    rows["nearest_real_similarity"] = np.where(is_syn, graph.other_similarity, np.nan)
    rows["nearest_real_row"] = pd.array(np.where(is_syn, nearest_row, -1), dtype="Int64")
    rows["nearest_synthetic_similarity"] = np.where(~is_syn, graph.other_similarity, np.nan)
    rows["nearest_synthetic_row"] = pd.array(np.where(~is_syn, nearest_row, -1), dtype="Int64")
    rows.loc[~is_syn, "nearest_real_row"] = pd.NA
    rows.loc[is_syn, "nearest_synthetic_row"] = pd.NA
    rows["is_copy_of_real"] = is_syn & (graph.other_similarity >= config.score.near_duplicate_similarity)

    score, inside = coverage(graph, n_real, manifold["synthetic_balls_hit"])
    rows["coverage_score"], rows["in_other_manifold"] = score, inside
    regions = uncovered_regions(graph, side, ~inside)
    rows["uncovered_region"] = pd.array(np.where(regions >= 0, regions, 0), dtype="Int64")
    rows.loc[regions < 0, "uncovered_region"] = pd.NA

    rows["repetition_score"] = measures["repetition_score"].to_numpy()
    rows["is_degenerate"] = rows["repetition_score"] >= config.score.repetition_threshold
    for name in SURFACE_FEATURES:
        rows[name] = measures[name].to_numpy()

    category, reason = categorise(side, rows["label_issue_score"].to_numpy(), p_syn, inside,
                                  is_outlier, config.detect.confident_threshold)
    rows["category"], rows["reason"] = category, reason
    return rows


def _summary(rows, clusters, inputs, manifold, p_syn, is_syn, embed_info, config, n,
             word_counts=None) -> dict:
    auc = auc_with_ci(is_syn, p_syn)
    features = rows[list(SURFACE_FEATURES)]
    groups = rows["generator"].to_numpy(object) if "generator" in rows else None
    artifacts = artifact_report(features, is_syn, groups=groups)
    size, samples = resolve_min_cluster_size(config.cluster, n)
    syn = rows[rows["side"] == "synthetic"]
    summary = {
        "n_rows": int(n),
        "n_real": int((~is_syn).sum()),
        "n_synthetic": int(is_syn.sum()),
        "real_share": float((~is_syn).mean()),
        "prior": (f"{(~is_syn).sum()} real : {is_syn.sum()} synthetic "
                  f"(1 : {is_syn.sum() / max((~is_syn).sum(), 1):.2f}); the classifier weighs both "
                  "sides equally, so P(synthetic) = 0.5 means 'cannot tell' whatever this ratio"),
        "detection_auc": auc["auc"],
        "detection_auc_ci": [auc["ci_low"], auc["ci_high"]],
        **dataset_scores(rows),
        **prdc(rows, manifold, config.score.manifold_k),
        "categories": {c: int((rows["category"] == c).sum()) for c in
                       ("unrealistic synthetic", "realistic synthetic", "underrepresented real",
                        "well-covered real", "outlier")},
        "n_outliers": int(rows["is_outlier"].sum()),
        "n_degenerate": int(syn["is_degenerate"].sum()),
        "n_copies_of_real": int(syn["is_copy_of_real"].sum()),
        "n_near_duplicate_groups": int(rows["near_duplicate_group"].nunique()),
        "n_real_uncovered": int((~rows.loc[rows["side"] == "real", "in_other_manifold"]).sum()),
        "n_synthetic_off_manifold": int((~syn["in_other_manifold"]).sum()),
        **cluster_counts(clusters),
        "uncovered_regions": region_table(rows, config.cluster.n_keywords, config.cluster.n_typical,
                                          word_counts=word_counts),
        "min_cluster_size_used": size,
        "min_samples_used": samples,
        "artifacts": artifacts,
        "by_generator": by_generator(rows, manifold["synthetic_balls_hit"], config.score.manifold_k),
        "inputs": {
            "text_column": inputs.text_column, "label_column": inputs.label_column,
            "generator_column": inputs.generator_column, "real_value": inputs.real_value,
            "sources": inputs.sources,
            "blank_rows": {k: len(v) for k, v in inputs.blank_rows.items()},
            "blank_row_numbers": {k: list(v)[:50] for k, v in inputs.blank_rows.items()},
            "duplicate_texts": inputs.duplicate_texts,
        },
        "embedding": embed_info,
        "random_state": config.random_state,
        "versions": package_versions(),
    }
    summary["verdict"] = verdict(summary)
    return summary
