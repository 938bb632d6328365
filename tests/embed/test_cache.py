"""synth_quality.embed.cache: the on-disk embedding cache."""

from __future__ import annotations

import numpy as np



def test_embedding_cache_round_trips_keys_with_trailing_zero_bytes(tmp_path, fake_embedder):
    from synth_quality.config import EmbedConfig
    from synth_quality.embed.cache import EmbeddingCache
    from synth_quality.embed.api import embed_texts

    cache = EmbeddingCache(tmp_path, "m")
    keys = [b"a" * 19 + b"\x00", b"\x00" * 20, b"b" * 20]
    cache.store(keys, np.eye(3, 4, dtype=np.float32))
    found = cache.lookup(keys)
    assert set(found) == set(keys) and np.array_equal(found[keys[1]], np.eye(3, 4)[1])
    cfg = EmbedConfig(cache_dir=str(tmp_path))
    first, info1 = embed_texts(["x y", "z", "x y"], cfg, embedder=fake_embedder)
    again, info2 = embed_texts(["z", "x y", "new words"], cfg, embedder=fake_embedder)
    assert (info1["n_embedded"], info2["n_embedded"], info2["n_from_cache"]) == (2, 1, 2)
    assert np.array_equal(again[1], first[0])
