"""HDBSCAN clusters and the per-cluster table.

Each cluster's real share is tested against the overall real share (two-sided exact binomial
test, Holm-corrected over the clusters), and gets a status:

- ``real_only``: a mode only the real data covers (the synthetic side misses it);
- ``synthetic_only``: a mode only the synthetic data covers (invented by the generator);
- ``shared``: both sides are there (possibly skewed: see ``skew``);
- ``noise``: HDBSCAN's noise points (cluster -1), a group of their own, never hidden.

Keywords are class-based TF-IDF (BERTopic's c-TF-IDF): a word's frequency in the cluster,
weighted by how rare it is across clusters.
"""

from __future__ import annotations

from typing import Protocol

import numpy as np
import pandas as pd

from synth_quality.analysis.keywords import ctfidf_keywords, group_term_counts
from synth_quality.config import ClusterConfig
from synth_quality.stats import holm


class Clusterer(Protocol):
    def fit_predict(self, X: np.ndarray) -> np.ndarray: ...


def resolve_min_cluster_size(config: ClusterConfig, n_rows: int) -> tuple[int, int]:
    """The (min_cluster_size, min_samples) actually used for n_rows rows."""
    size = config.min_cluster_size or max(10, round(n_rows / 100))
    size = max(2, min(size, max(n_rows, 2)))
    samples = config.min_samples or min(size, 10)
    return size, samples


class LinkageCache:
    """Keeps HDBSCAN's spanning tree in memory, to re-cluster the same points quickly.

    HDBSCAN builds a minimum spanning tree from the points and ``min_samples`` only; the
    minimum cluster size is applied afterwards, when the tree is condensed. ``min_samples``
    stays 10 for every minimum cluster size from 10 up (:func:`resolve_min_cluster_size`), so
    re-clustering a projection at another size can reuse the tree: the clustering then takes
    tens of milliseconds instead of 0.2-0.7 s at 10,000 rows. HDBSCAN accepts this object as
    its ``memory`` (the protocol of ``joblib.Memory``: ``memory.cache(func)(*args)``); the
    labels are the same as without it (tested).
    """

    def __init__(self, max_entries: int = 4):
        import threading
        from collections import OrderedDict

        self._results: OrderedDict = OrderedDict()
        self._lock = threading.Lock()
        self._max_entries = max_entries

    def __getstate__(self):  # a copy (pickle) starts empty: the lock cannot be copied
        return {"_max_entries": self._max_entries}

    def __setstate__(self, state):
        self.__init__(state["_max_entries"])

    def cache(self, func):
        def cached(*args, **kwargs):
            key = (func.__module__, func.__qualname__, _arguments_key(args, kwargs))
            with self._lock:
                if key in self._results:
                    self._results.move_to_end(key)
                    return self._results[key]
            result = func(*args, **kwargs)
            with self._lock:
                self._results[key] = result
                while len(self._results) > self._max_entries:
                    self._results.popitem(last=False)
            return result

        return cached


def _arguments_key(args, kwargs) -> str:
    import hashlib

    digest = hashlib.sha1()
    for value in (*args, *sorted(kwargs.items())):
        if isinstance(value, np.ndarray):
            digest.update(repr((value.shape, value.dtype.str)).encode())
            digest.update(np.ascontiguousarray(value).tobytes())
        else:
            digest.update(repr(value).encode())
    return digest.hexdigest()


def cluster_points(coords: np.ndarray, config: ClusterConfig,
                   clusterer: Clusterer | None = None,
                   linkage_cache: LinkageCache | None = None) -> np.ndarray:
    """Cluster labels (-1 = noise), shape (n,). Clusters are renumbered by size, largest = 0.

    ``linkage_cache`` (default HDBSCAN only) keeps the spanning tree for later calls on the
    same points (:class:`LinkageCache`)."""
    n = coords.shape[0]
    if clusterer is None:
        size, samples = resolve_min_cluster_size(config, n)
        if n < size:
            return np.full(n, -1, np.int64)
        import hdbscan

        extra = {"memory": linkage_cache} if linkage_cache is not None else {}
        clusterer = hdbscan.HDBSCAN(min_cluster_size=size, min_samples=samples,
                                    core_dist_n_jobs=1, **extra)
    labels = np.asarray(clusterer.fit_predict(coords), dtype=np.int64)
    # Deterministic, readable numbering: by size descending, then by first row.
    ids = [c for c in np.unique(labels) if c >= 0]
    ids.sort(key=lambda c: (-(labels == c).sum(), int(np.argmax(labels == c))))
    remap = {old: new for new, old in enumerate(ids)}
    return np.array([remap.get(c, -1) for c in labels], np.int64)


def cluster_table(frame: pd.DataFrame, coords: np.ndarray, config: ClusterConfig,
                  word_counts=None, with_keywords: bool = True) -> pd.DataFrame:
    """One row per cluster (noise included as cluster -1).

    ``frame`` needs columns ``side``, ``text``, ``cluster`` and, when coverage was computed,
    ``is_uncovered`` (the calibrated per-row flag); rows align with ``coords`` (the space
    clustered on), where the typical examples are the rows closest to the cluster's centre.
    ``word_counts``, optional, is :func:`term_counts` of ``frame["text"]`` (same keywords,
    faster when re-clustering); ``with_keywords=False`` leaves the keywords out (the
    no-difference reference counts clusters only).
    """
    from scipy.stats import binomtest

    is_real = (frame["side"] == "real").to_numpy()
    labels = frame["cluster"].to_numpy()
    overall_real = float(is_real.mean()) if len(is_real) else 0.0
    has_coverage = "is_uncovered" in frame
    uncovered = frame["is_uncovered"].to_numpy(bool) if has_coverage else None

    rows = []
    ids = sorted(set(labels.tolist()), key=lambda c: (c < 0, c))
    texts_by_cluster = {}
    for c in ids:
        members = np.flatnonzero(labels == c)
        n_real = int(is_real[members].sum())
        size = len(members)
        n_syn = size - n_real
        p = binomtest(n_real, size, overall_real).pvalue if 0 < overall_real < 1 else 1.0
        centre = coords[members].mean(axis=0)
        closeness = -((coords[members] - centre) ** 2).sum(axis=1)
        typical = members[np.lexsort((members, -closeness))][:config.n_typical]
        texts_by_cluster[c] = frame["text"].iloc[members].tolist()
        row = {
            "cluster": int(c), "size": size, "n_real": n_real, "n_synthetic": n_syn,
            "real_share": n_real / size, "expected_real_share": overall_real,
            # >1: more real rows than the overall share predicts; <1: fewer.
            "real_enrichment": (n_real / size) / overall_real if overall_real else np.nan,
            "p_value": float(p),
            "typical_examples": frame["text"].iloc[typical].tolist(),
            "typical_rows": [int(i) for i in typical],
        }
        if has_coverage:
            real_members, syn_members = members[is_real[members]], members[~is_real[members]]
            row["real_uncovered_share"] = (float(uncovered[real_members].mean())
                                           if len(real_members) else np.nan)
            row["synthetic_uncovered_share"] = (float(uncovered[syn_members].mean())
                                                if len(syn_members) else np.nan)
        rows.append(row)
    table = pd.DataFrame(rows)
    if table.empty:
        return table
    is_noise = table["cluster"] < 0
    table["p_adjusted"] = 1.0
    if (~is_noise).any():
        table.loc[~is_noise, "p_adjusted"] = holm(table.loc[~is_noise, "p_value"].to_numpy())
    if not with_keywords:
        keywords = {}
    elif word_counts is not None:
        counts = group_term_counts(labels, list(texts_by_cluster), word_counts)
        keywords = ctfidf_keywords(texts_by_cluster, config.n_keywords, counts, word_counts[1])
    else:
        keywords = ctfidf_keywords(texts_by_cluster, config.n_keywords)
    table["keywords"] = [keywords.get(c, []) for c in table["cluster"]]
    table["real_share_low"], table["real_share_high"] = _share_band(table["size"].to_numpy(),
                                                                    overall_real)
    table["status"], table["status_reason"], table["skew"] = zip(*[
        _status(r, overall_real, config, has_coverage) for r in table.itertuples()])
    # Modes only one side covers first, then by significance, then by size.
    rank = table["status"].map({"real_only": 0, "synthetic_only": 1, "shared": 2, "noise": 3})
    table = table.assign(_rank=rank).sort_values(["_rank", "p_adjusted", "size"],
                                                 ascending=[True, True, False], kind="stable")
    return table.drop(columns="_rank").reset_index(drop=True)


def _share_band(sizes: np.ndarray, overall_real: float) -> tuple[np.ndarray, np.ndarray]:
    """The real share a cluster of each size has with no difference: the central 99.7% of the
    binomial with the overall share."""
    from scipy.stats import binom

    sizes = np.maximum(np.asarray(sizes, np.int64), 1)
    return (binom.ppf(0.00135, sizes, overall_real) / sizes,
            binom.ppf(0.99865, sizes, overall_real) / sizes)


def _status(r, overall_real: float, config: ClusterConfig, has_coverage: bool):
    if r.cluster < 0:
        return "noise", "HDBSCAN noise: rows in no dense region", ""
    significant = r.p_adjusted < config.alpha
    real_ratio = r.real_share / overall_real if overall_real else np.nan
    syn_ratio = (1 - r.real_share) / (1 - overall_real) if overall_real < 1 else np.nan
    skew = ""
    if significant:
        skew = "more real" if r.real_share > overall_real else "more synthetic"
    if significant and syn_ratio < config.one_sided_ratio:
        return ("real_only", f"synthetic rows are {syn_ratio:.0%} of what the overall share "
                f"predicts (adjusted p = {r.p_adjusted:.2g})", skew)
    if significant and real_ratio < config.one_sided_ratio:
        return ("synthetic_only", f"real rows are {real_ratio:.0%} of what the overall share "
                f"predicts (adjusted p = {r.p_adjusted:.2g})", skew)
    if has_coverage:
        # A mode can be one-sided even when a few rows of the other side fell into it: most of
        # its rows are flagged uncovered (calibrated: with no difference hardly any row is).
        if r.n_real >= 5 and r.real_uncovered_share >= 0.75:
            return ("real_only", f"{r.real_uncovered_share:.0%} of its real rows are flagged "
                    "uncovered: the synthetic rows stay away from them", skew)
        if r.n_synthetic >= 5 and r.synthetic_uncovered_share >= 0.75:
            return ("synthetic_only", f"{r.synthetic_uncovered_share:.0%} of its synthetic "
                    "rows are flagged uncovered: the real rows stay away from them", skew)
    return "shared", "both sides are present", skew
