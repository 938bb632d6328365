"""``audit()``: the stages chained into one :class:`~synth_quality.result.AuditResult`.

Stages, each timed into ``summary["timings"]`` (seconds) and reported to ``progress`` under its
:class:`~synth_quality.progress.Stage` name:

1. loading     read and check the inputs (:mod:`synth_quality.io`)
2. embedding   sentence embeddings, cached on disk (:mod:`synth_quality.embed.api`)
3. neighbours  one exact k-NN pass shared by UMAP, outliers, duplicates and coverage
4. projecting  UMAP 2-d for the map and 5-d for clustering, from that graph (projecting_map,
               projecting_clusters)
5. clustering  HDBSCAN on the 5-d projection, and its fine leaves tested for one-sided regions
6. detecting   out-of-fold real-vs-synthetic classifier
   checking labels  with a label column: out-of-sample label quality (analysis.labels)
7. calibrating the classifier (reference_classifier) and the coverage statistic
               (reference_coverage) on shuffled labels (no difference)
8. scoring     per-row scores, calibrated flags, categories, clusters table, summary
8b. corners    the real rows' density bands, rarity scores, diversity, rounds and generators
               (:mod:`synth_quality.pipeline.corners`)
9. reference   every figure recomputed real against real and on shuffled labels: its
               no-difference band (``summary["no_difference"]``)

Every stage can be replaced by passing an object (``embedder``, ``map_projector``,
``cluster_projector``, ``clusterer``, ``classifier``); defaults are built from the config.
"""

from __future__ import annotations

import time
import warnings

import numpy as np

from synth_quality.analysis.cluster import (LinkageCache, cluster_points, cluster_table,
                                            resolve_min_cluster_size)
from synth_quality.analysis.coverage import permutation_null
from synth_quality.analysis.detect import out_of_fold_p_synthetic
from synth_quality.analysis.lexical import second_view
from synth_quality.analysis.reference import classifier_null
from synth_quality.analysis.regions import fine_groups, one_sided_regions
from synth_quality.config import AuditConfig
from synth_quality.embed.api import embed_texts, make_embedder
from synth_quality.embed.windows import model_window, pool_windows, split, window_spans
from synth_quality.errors import InputDataError
from synth_quality.graph.knn import add_to_neighbor_graph, build_neighbor_graph
from synth_quality.graph.manifold import manifold_counts
from synth_quality.io import AuditInput, load_inputs
from synth_quality.pipeline.corners import widen
from synth_quality.pipeline.previous import (
    match_previous,
    measures_of,
    only_appended,
    warm_starts,
    word_counts_of,
)
from synth_quality.pipeline.rows import copy_reference_of, row_table
from synth_quality.pipeline.stages import AuditRun, Measured, Stages
from synth_quality.pipeline.summary import add_no_difference, audit_summary, verdict
from synth_quality.progress import ProgressCallback, Stage, StageTimer, null_progress
from synth_quality.project.layout import project
from synth_quality.project.worker import NEW_WORKER_MIN_ROWS, project_in_background
from synth_quality.result import AuditResult
from synth_quality.schema import SCHEMA_VERSION


def audit(inputs: AuditInput | None = None, *, config: AuditConfig | None = None,
          embedder=None, map_projector=None, cluster_projector=None, clusterer=None,
          classifier=None, embeddings: np.ndarray | None = None,
          previous: AuditResult | None = None, text_measures=None,
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
    text_measures : DataFrame, optional
        :func:`~synth_quality.analysis.text_checks.text_measures` of the rows, computed
        elsewhere (the Ray engine, :mod:`synth_quality.pipeline.distributed`).
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
            with StageTimer(progress, timings, Stage.LOADING):
                inputs = load_inputs(min_rows_per_side=config.detect.n_folds, **load_kwargs)
        run = AuditRun(inputs, config, Stages(embedder, map_projector, cluster_projector,
                                              clusterer, classifier), previous, progress, timings,
                     measures=text_measures)
        result = _run(run, embeddings)
        if inputs.fields:
            _audit_fields(run, result)
    collected.extend(inputs.warnings)
    collected.extend(str(w.message) for w in caught
                     if issubclass(w.category, UserWarning) and "synth_quality" in (w.filename or "")
                     or str(w.message).startswith("synth-quality:"))
    result.warnings = list(dict.fromkeys(collected + result.warnings))
    timings["total"] = round(time.perf_counter() - t_start, 3)
    result.summary["timings"] = timings
    result.summary["warnings"] = result.warnings
    result.summary["engine"] = {"engine": "local"}  # the Ray engine replaces it
    result.summary = {"schema_version": SCHEMA_VERSION, **result.summary}
    return result


def _run(run: AuditRun, embeddings: np.ndarray | None) -> AuditResult:
    warmup = _start_warmup(run)
    m = _embed(run, embeddings, warmup)
    m.matched = match_previous(run.frame, run.previous)
    with StageTimer(run.progress, run.timings, Stage.NEIGHBOURS):
        m.graph = _neighbour_graph(run, m)
        m.manifold = manifold_counts(m.X, run.n_real, m.graph.own_radius)
    if warmup is not None:
        with StageTimer(run.progress, run.timings, Stage.COMPILING):
            warmup.wait()
    _project_and_detect(run, m)
    _check_labels(run, m)
    with StageTimer(run.progress, run.timings, Stage.CLUSTERING):
        _cluster(run, m)
    _calibrate(run, m)
    with StageTimer(run.progress, run.timings, Stage.SCORING):
        measures = (run.measures.reset_index(drop=True) if run.measures is not None
                    else measures_of(run.texts, m.matched, run.previous))
        m.copy_reference = copy_reference_of(run, m)
        rows = row_table(run, m, measures)
        word_counts = word_counts_of(run.texts, m.matched, run.previous)
        clusters = cluster_table(rows, m.coords, run.config.cluster, word_counts=word_counts)
        summary = audit_summary(run, m, rows, clusters, word_counts)
        summary["warm_start"] = m.warm
        summary["scale"] = scale_summary(run, m)
    widen(run, m, rows, summary)   # times Stage.CORNERS and Stage.DIVERSITY itself
    with StageTimer(run.progress, run.timings, Stage.REFERENCE):
        add_no_difference(summary, run, m, rows)
    if run.config.reference.second_view_rows:
        with StageTimer(run.progress, run.timings, Stage.SECOND_VIEW):
            summary["second_view"], lexical = second_view(rows, run.config, summary)
            rows[lexical.columns] = lexical
            summary["verdict"] = verdict(summary)
    if summary["n_clusters"] == 0:
        run.notes.append("synth-quality: HDBSCAN found no clusters (every row is noise); try a "
                         "smaller min_cluster_size")
    result = AuditResult(rows, clusters, summary, m.coords, run.config, run.notes, m.graph)
    if word_counts is not None:
        result.keep_word_counts(word_counts)
    if m.linkage is not None:
        result.keep_linkage(m.linkage)
    return result


def scale_summary(run: AuditRun, m: Measured) -> dict:
    """``summary["scale"]``: which of the size-dependent paths this audit took."""
    from synth_quality.project.layout import samples

    scale, n = run.config.scale, len(run.frame)
    sides = (run.n_real, n - run.n_real)
    approximate = [name for name, size in zip(("real", "synthetic"), sides)
                   if size > scale.exact_neighbours_up_to]
    if m.graph_extended:
        neighbours = "earlier audit's graph extended (pairs with a new row searched exactly)"
    elif approximate:
        neighbours = (f"approximate: inverted file (faiss) on the {' and '.join(approximate)} "
                      f"side{'s' if len(approximate) > 1 else ''}, {scale.nprobe} cells "
                      "searched per row of the same side; the other side's rows searched "
                      "exactly where that is cheap, see scale.exact_neighbours_up_to")
    else:
        neighbours = "exact"
    fit = scale.umap_fit_rows or None
    sampled = m.warm is None and samples(n, fit)
    return {"neighbours": neighbours,
            "umap_fit_rows": fit if sampled else None,
            "umap": (f"fitted on a seeded sample of {fit:,} rows, the other {n - fit:,} placed "
                     f"on it ({scale.place_epochs} epochs)" if sampled else "fitted on every row")}


def _cluster(run: AuditRun, m: Measured) -> None:
    """HDBSCAN's clusters and, from the same tree, the fine label-blind groups and the
    one-sided regions among them (:mod:`synth_quality.analysis.regions`)."""
    config = run.config.cluster
    if run.stages.clusterer is None:
        m.linkage = LinkageCache()
    m.labels = cluster_points(m.coords, config, run.stages.clusterer, linkage_cache=m.linkage)
    samples = resolve_min_cluster_size(config, len(run.frame))[1]
    m.groups = fine_groups(m.coords, samples, m.linkage)
    m.regions = one_sided_regions(m.groups, ~run.is_syn, config.alpha, config.one_sided_ratio)


def _calibrate(run: AuditRun, m: Measured) -> None:
    """The nulls the per-row flags are calibrated against: the classifier retrained on
    shuffled labels, and the coverage statistic under shuffled labels."""
    config = run.config
    t0 = time.perf_counter()   # the classifier's null reports its own ticks (shuffles)
    m.classifier_null = classifier_null(m.X, run.is_syn, config, run.stages.classifier,
                                        run.progress)
    run.timings[Stage.REFERENCE_CLASSIFIER] = round(time.perf_counter() - t0, 3)
    with StageTimer(run.progress, run.timings, Stage.REFERENCE_COVERAGE):
        m.coverage_null = permutation_null(m.X, run.n_real, config.score.manifold_k,
                                           config.reference.repeats,
                                           config.reference.calibration_rows,
                                           config.random_state)


def _audit_fields(run: AuditRun, result: AuditResult) -> None:
    """Audit each field alone (pipeline.fields) and put what it found beside the record's."""
    from synth_quality.pipeline.fields import (
        field_inputs,
        fields_summary,
        fields_to_audit,
        merge_fields,
        too_few_rows,
    )
    from synth_quality.pipeline.summary import verdict

    inputs, stages = run.inputs, run.stages
    results, skipped = {}, {}
    for name in fields_to_audit(inputs):
        sub = field_inputs(inputs, name)
        why = too_few_rows(sub, run.config.detect.n_folds)
        if why is not None:
            skipped[name] = why
            run.notes.append(f"synth-quality: field {name!r} not audited alone: {why}")
            continue

        def progress(stage, done, total, _name=name):
            run.progress(f"{_name}: {stage}", done, total)

        results[name] = audit(sub, config=run.config, embedder=stages.embedder,
                              map_projector=stages.map_projector,
                              cluster_projector=stages.cluster_projector,
                              clusterer=stages.clusterer, classifier=stages.classifier,
                              progress=progress)
        run.timings[f"field {name}"] = results[name].summary["timings"]["total"]
    for name in inputs.prompt_fields:
        skipped.setdefault(name, "a prompt field: both sides hold the same texts (paired data)")
    result.examples = merge_fields(result.examples, results, inputs)
    result.fields = results
    summary = result.summary
    summary["fields"] = fields_summary(inputs, results, skipped)
    answer = next((f for f in inputs.answer_fields if f in results), None)
    if answer is not None:
        summary["pairs"] = results[answer].summary.get("pairs") or summary.get("pairs", {})
    summary["verdict"] = verdict(summary)


def _start_warmup(run: AuditRun):
    """Compile UMAP's numba code in another process while this one embeds (once per machine);
    the process, or None."""
    stages = run.stages
    if stages.map_projector is not None and stages.cluster_projector is not None:
        return None
    from synth_quality.project.warmup import start_background_warmup

    # A run whose cluster projection will go to a worker process lets that worker do the
    # warm-up: it then stays, with UMAP loaded, instead of a second process starting.
    return start_background_warmup(as_worker=stages.cluster_projector is None
                                   and run.config.random_state is not None
                                   and len(run.frame) >= NEW_WORKER_MIN_ROWS)


def _embed(run: AuditRun, embeddings: np.ndarray | None, warmup) -> Measured:
    """The embeddings (computed, or the precomputed ones checked) and how they were made.
    Texts longer than the model's window are embedded window by window (embed.windows): a
    row's vector is the mean of its windows', and the windows are kept for its scores."""
    t0 = time.perf_counter()
    windows = None
    if embeddings is None:
        embedder = run.stages.embedder or make_embedder(run.config.embed)
        windows, limit, unit = _windows(run, embedder)
        texts = windows.texts if windows is not None else run.texts
        X, embed_info = embed_texts(texts, run.config.embed, embedder=embedder,
                                    progress=run.progress, threads=_threads_beside(warmup))
        if windows is not None:
            windows.vectors = X
            X = pool_windows(X, windows.owner, len(run.texts))
        embed_info["long_texts"] = _long_text_info(run, windows, limit, unit)
        if windows is not None or embed_info["long_texts"]["n_rows_over_window"]:
            run.notes.append("synth-quality: " + embed_info["long_texts"]["handled"])
    else:
        X = np.asarray(embeddings, np.float32)
        if X.shape[0] != len(run.frame):
            raise InputDataError(f"embeddings have {X.shape[0]} rows but the data has "
                                 f"{len(run.frame)}")
        embed_info = {"model": "precomputed", "n_texts": len(run.frame), "n_embedded": 0,
                      "n_from_cache": 0}
    run.timings[Stage.EMBEDDING] = round(time.perf_counter() - t0, 3)
    m = Measured(X, embed_info)
    m.windows = windows
    return m


def _windows(run: AuditRun, embedder):
    """(Windows or None when no text is over the window, tokens per window, unit)."""
    tokenizer, limit = model_window(embedder)
    unit = "tokens" if tokenizer is not None else "words"
    wanted = run.config.embed.window_tokens
    if wanted == 0:
        return None, limit, unit
    limit = wanted or limit
    if not limit:
        return None, None, unit
    spans = window_spans(run.texts, tokenizer, limit)
    if all(len(s) == 1 for s in spans):
        return None, limit, unit
    return split(run.texts, spans, limit, unit), limit, unit


def _long_text_info(run: AuditRun, windows, limit, unit) -> dict:
    """``summary["embedding"]["long_texts"]``: how many rows were over the window and how they
    were handled."""
    if windows is not None:
        n_long = windows.n_long
        return {"window": limit, "unit": unit, "n_rows_over_window": n_long,
                "n_windows": int(len(windows.texts)), "max_windows": int(windows.counts.max()),
                "handled": (f"{n_long:,} row(s) longer than the model's window of {limit} {unit} "
                            f"were split into {int(windows.counts[windows.counts > 1].sum()):,} "
                            "overlapping windows (half a window apart) and embedded window by "
                            "window; their vector is the mean of their windows', their "
                            "coverage and outlier scores those of their worst window")}
    info = {"window": limit, "unit": unit, "n_rows_over_window": 0}
    if run.config.embed.window_tokens == 0 and limit:
        tokenizer, _ = model_window(run.stages.embedder or make_embedder(run.config.embed))
        over = sum(len(s) > 1 for s in window_spans(run.texts, tokenizer, limit))
        info.update(n_rows_over_window=int(over),
                    handled=(f"windows are off (embed.window_tokens = 0): {over:,} row(s) "
                             f"longer than {limit} {unit} were truncated by the model"
                             if over else "no row is longer than the model's window"))
    else:
        info["handled"] = ("no row is longer than the model's window" if limit else
                           "the embedder reports no window: texts are embedded whole")
    return info


def _neighbour_graph(run: AuditRun, m: Measured):
    """The exact k-NN graph: the earlier audit's extended when rows were only appended to it
    (only the pairs with a new row are searched), else built afresh."""
    config, previous = run.config, run.previous
    k_graph = max(config.score.k_neighbors, config.project.n_neighbors - 1)
    if m.matched is not None and only_appended(m.matched, run.n_real, previous):
        graph = add_to_neighbor_graph(previous.neighbor_graph, m.X, run.n_real, previous.n_real,
                                      k_graph, config.score.manifold_k, run.progress)
        if graph is not None:
            m.graph_extended = True
            return graph
    return neighbour_graph(m.X, run.n_real, k_graph, config, run.progress)


def neighbour_graph(X: np.ndarray, n_real: int, k: int, config: AuditConfig, progress=None):
    """The neighbour graph from scratch: exact while both sides have at most
    ``scale.exact_neighbours_up_to`` rows, else one index per side
    (:mod:`synth_quality.graph.approximate`)."""
    scale = config.scale
    if max(n_real, len(X) - n_real) <= scale.exact_neighbours_up_to:
        return build_neighbor_graph(X, n_real, k, config.score.manifold_k, progress)
    from synth_quality.graph.approximate import approximate_neighbor_graph

    return approximate_neighbor_graph(X, n_real, k, config.score.manifold_k,
                                      scale.exact_neighbours_up_to, scale.nprobe,
                                      config.random_state, progress)


def _project_and_detect(run: AuditRun, m: Measured) -> None:
    """Both projections and the detector: the cluster projection may run in the UMAP worker
    beside the map projection, and the detector trains while it finishes (it needs neither)."""
    config, stages, seed = run.config, run.stages, run.config.random_state
    n_neighbors = config.project.n_neighbors
    cache = dict(n_epochs=config.project.n_epochs, cache_dir=config.embed.cache_dir,
                 use_cache=config.project.cache and config.embed.use_cache,
                 fit_rows=config.scale.umap_fit_rows or None,
                 place_epochs=config.scale.place_epochs)
    map_start, cluster_start, m.warm, fixed = warm_starts(run.frame, run.previous, m.matched,
                                                          m.graph, config)
    if m.warm:
        cache["n_epochs"] = m.warm["epochs"]
        if m.warm["earlier_rows_fixed"]:
            cache["fixed"] = fixed
        run.notes.append(_warm_note(m.warm))
    cluster_projection = None
    if stages.cluster_projector is None:
        # This starts the cluster projection in a second process (the UMAP worker), to run
        # beside the map projection; its stage time is then only the wait after the map.
        cluster_projection = project_in_background(
            m.X, m.graph, config.project.cluster_components, n_neighbors, 0.0, seed,
            init=cluster_start, **cache)
    with StageTimer(run.progress, run.timings, Stage.PROJECTING_MAP):
        m.xy = project(m.X, m.graph, 2, n_neighbors, config.project.map_min_dist, seed,
                       stages.map_projector, init=map_start, **cache)
    # At 51,000 rows the wait for the cluster projection was 25 s with a core idle.
    t0 = time.perf_counter()
    m.p_syn = out_of_fold_p_synthetic(m.X, run.is_syn, config.detect.n_folds, config.detect.C,
                                      seed, stages.classifier, run.progress)
    run.timings[Stage.DETECTING] = round(time.perf_counter() - t0, 3)
    with StageTimer(run.progress, run.timings, Stage.PROJECTING_CLUSTERS):
        if cluster_projection is not None:
            m.coords = cluster_projection.result()
        else:
            m.coords = project(m.X, m.graph, config.project.cluster_components, n_neighbors,
                               0.0, seed, stages.cluster_projector, init=cluster_start, **cache)


def _check_labels(run: AuditRun, m: Measured) -> None:
    """Label quality (analysis.labels) when the rows carry a task label."""
    if "label" not in run.frame or run.frame["label"].notna().sum() == 0:
        return
    from synth_quality.analysis.labels import label_quality

    config = run.config
    t0 = time.perf_counter()
    m.label_check = label_quality(m.X, run.frame["label"].tolist(), run.is_syn,
                                  n_folds=config.detect.n_folds, C=config.detect.C,
                                  random_state=config.random_state, progress=run.progress)
    run.timings[Stage.CHECKING_LABELS] = round(time.perf_counter() - t0, 3)
    run.notes.extend(f"synth-quality: {note}" for note in m.label_check.notes)


def _warm_note(warm: dict) -> str:
    if warm["earlier_rows_fixed"]:
        return (f"synth-quality: the {warm['rows_new']:,} new rows were placed on the earlier "
                f"audit's layouts; its {warm['rows_matched']:,} rows kept their places")
    return (f"synth-quality: UMAP started from the earlier audit's layouts "
            f"({warm['rows_matched']:,} rows were in it, {warm['rows_new']:,} are new)")


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


