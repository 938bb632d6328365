"""synth_quality.analysis.cluster: cluster status and re-clustering with a kept spanning tree."""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.analysis.cluster import cluster_table
from synth_quality.config import ClusterConfig


def test_cluster_status_uses_share_test():
    frame = pd.DataFrame({"side": ["real"] * 40 + ["synthetic"] * 40 + ["real"] * 20,
                          "text": ["a"] * 100, "cluster": [0] * 80 + [1] * 20})
    table = cluster_table(frame, np.zeros((100, 2)), ClusterConfig())
    status = dict(zip(table["cluster"], table["status"]))
    assert status == {0: "shared", 1: "real_only"}


def test_reclustering_with_the_kept_spanning_tree_gives_the_same_labels():
    import pickle

    from synth_quality.analysis.cluster import LinkageCache, cluster_points

    rng = np.random.default_rng(4)
    centres = rng.normal(scale=6, size=(6, 5))
    coords = (centres[rng.integers(0, 6, 1500)] + rng.normal(size=(1500, 5))).astype(np.float32)
    cache = LinkageCache()
    calls = []
    original = cache.cache

    def counting(func):
        inner = original(func)

        def wrapped(*args, **kwargs):
            calls.append(func.__name__)
            return inner(*args, **kwargs)
        return wrapped

    cache.cache = counting
    for size in (15, 40, 15, 90):
        config = ClusterConfig(min_cluster_size=size)
        plain = cluster_points(coords, config)
        assert np.array_equal(cluster_points(coords, config, linkage_cache=cache), plain), size
    assert len(calls) == 4 and len(cache._results) == 1  # one tree for every size (min_samples 10)
    assert len(pickle.loads(pickle.dumps(cache))._results) == 0


