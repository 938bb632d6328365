"""The embedding cache on disk: one folder per model identity, append-only ``.npz`` shards
keyed by the SHA-1 of each text, so a re-audit embeds only the texts it has not seen."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import time
import uuid
from pathlib import Path

import numpy as np

from synth_quality.config import default_cache_dir

log = logging.getLogger(__name__)


def text_key(text: str) -> bytes:
    """The cache key of one text (SHA-1 of its UTF-8 bytes; collisions are not a concern here)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).digest()


class EmbeddingCache:
    """Embeddings on disk, one folder per model identity, append-only shards.

    Each write adds one ``.npz`` shard (keys + vectors) under a temporary name and renames it,
    so a crash never leaves a half-written shard and readers never see one.
    """

    def __init__(self, root: str | os.PathLike | None, identity: str):
        self.root = Path(root) if root else default_cache_dir()
        slug = re.sub(r"[^A-Za-z0-9._-]+", "_", identity)[-60:]
        digest = hashlib.sha1(identity.encode()).hexdigest()[:10]
        self.folder = self.root / "embeddings" / f"{slug}-{digest}"

    def lookup(self, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        """Return the cached vectors for those keys that are present."""
        wanted = set(keys)
        found: dict[bytes, np.ndarray] = {}
        if not self.folder.is_dir():
            return found
        for shard in sorted(self.folder.glob("*.npz")):
            try:
                with np.load(shard) as data:
                    shard_keys, vectors = data["keys"], data["vectors"]
            except Exception:  # a damaged shard is skipped, its texts re-embedded
                log.warning("ignoring unreadable embedding cache shard %s", shard)
                continue
            # Keys are stored as raw uint8 rows: numpy's fixed-width bytes type would drop a
            # digest's trailing NUL bytes.
            for i, key in enumerate(bytes(row) for row in shard_keys):
                if key in wanted and key not in found:
                    found[key] = vectors[i]
            if len(found) == len(wanted):
                break
        return found

    def store(self, keys: list[bytes], vectors: np.ndarray) -> None:
        if not keys:
            return
        try:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = self.folder / f".tmp-{uuid.uuid4().hex}.npz"
            key_rows = np.frombuffer(b"".join(keys), dtype=np.uint8).reshape(len(keys), -1)
            np.savez(tmp, keys=key_rows, vectors=vectors.astype(np.float32))
            tmp.rename(self.folder / f"{time.time_ns()}-{uuid.uuid4().hex[:8]}.npz")
        except OSError as exc:  # a read-only cache must not stop an audit
            log.warning("could not write the embedding cache in %s: %s", self.folder, exc)
