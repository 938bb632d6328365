"""Memory the dashboard keeps, bounded by bytes instead of by entry count. No Streamlit here.

A server shared by a team holds two kinds of large objects:

- **uploaded tables** (a file read into a DataFrame, the checked inputs built from it): private
  to the session that uploaded them, kept while it lives, released when it ends
  (:class:`SessionStore`);
- **audits** (``AuditResult`` loaded from a folder, and its re-clusterings): shared by the
  sessions that may open them (:class:`SizedCache`).

Each is a least-recently-used cache whose budget counts the bytes of its values
(:func:`nbytes`; ``cachetools.LRUCache`` with ``getsizeof``), so a few large uploads evict older
entries instead of adding up to gigabytes, as counts of entries (8 tables, 16 checked inputs)
did. :func:`release_memory` then hands freed memory back to the operating system.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import gc
import sys
import threading
from typing import Callable, Hashable

from cachetools import LRUCache

MB = 1024 * 1024


def nbytes(value) -> int:
    """Bytes held by a cached value: DataFrames (``memory_usage(deep=True)``, strings
    included), numpy arrays, objects with ``frame`` (checked inputs) or with ``examples`` and
    ``clusters`` (audit results: frames, projection and neighbour lists), plotly figures (their
    traces' arrays and texts, and the density map's image), the map views that hold them,
    tuples and lists of these; anything else counts its
    ``sys.getsizeof``."""
    import numpy as np
    import pandas as pd

    if value is None:
        return 0
    if isinstance(value, pd.DataFrame):
        return int(value.memory_usage(index=True, deep=True).sum())
    if isinstance(value, pd.Series):
        return int(value.memory_usage(index=True, deep=True))
    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, (tuple, list)):
        return sum(nbytes(v) for v in value) + sys.getsizeof(value)
    if hasattr(value, "examples") and hasattr(value, "clusters"):
        graph = getattr(value, "neighbor_graph", None)
        arrays = [a for a in vars(graph).values()] if graph is not None else []
        return (nbytes(value.examples) + nbytes(value.clusters)
                + nbytes(getattr(value, "cluster_coords", None))
                + sum(nbytes(a) for a in arrays if isinstance(a, np.ndarray)))
    if hasattr(value, "frame"):
        return nbytes(value.frame) + sys.getsizeof(value)
    if hasattr(value, "to_plotly_json") and hasattr(value, "data"):
        images = getattr(getattr(value, "layout", None), "images", None) or ()
        return (sum(_plain_nbytes(trace.to_plotly_json()) for trace in value.data)
                + sum(len(str(image.source or "")) for image in images))
    if hasattr(value, "figure") and hasattr(value, "mode"):    # present.density.MapView
        return nbytes(value.figure) + sys.getsizeof(value)
    return sys.getsizeof(value)


def _plain_nbytes(value) -> int:
    """Bytes of a plotly trace's JSON-like content: arrays, lists of numbers and strings."""
    import numpy as np

    if isinstance(value, np.ndarray):
        return int(value.nbytes)
    if isinstance(value, str):
        return len(value)
    if isinstance(value, dict):
        return sum(_plain_nbytes(v) for v in value.values())
    if isinstance(value, (list, tuple)):
        return sum(_plain_nbytes(v) if isinstance(v, (str, dict, list, tuple, np.ndarray))
                   else 8 for v in value)
    return 8


class SizedCache:
    """A thread-safe least-recently-used cache holding at most ``max_bytes`` of values.

    ``get_or_load(key, load)`` returns the cached value or calls ``load()`` once, even when
    several threads ask for the same key at the same time (the others wait for it). A value
    larger than the whole budget is returned but not kept. ``sizeof`` measures a value
    (default :func:`nbytes`), once, before it is stored (outside the lock: measuring a large
    frame's strings takes a moment).
    """

    def __init__(self, max_bytes: int, sizeof: Callable[[object], int] = nbytes):
        self.max_bytes = int(max_bytes)
        self._sizeof = sizeof
        # Entries are (size, value): cachetools weighs them by their first item.
        self._cache = LRUCache(maxsize=max(1, self.max_bytes), getsizeof=lambda entry: entry[0])
        self._lock = threading.Lock()
        self._loading: dict[Hashable, threading.Lock] = {}

    @property
    def current_bytes(self) -> int:
        with self._lock:
            return int(self._cache.currsize)

    def __len__(self) -> int:
        with self._lock:
            return len(self._cache)

    def __contains__(self, key) -> bool:
        with self._lock:
            return key in self._cache

    def keys(self) -> list:
        with self._lock:
            return list(self._cache.keys())

    def size_of(self, key) -> int:
        """The bytes counted for ``key`` (0 when it is not cached)."""
        with self._lock:
            entry = self._cache.get(key)
        return 0 if entry is None else entry[0]

    def get(self, key, default=None):
        with self._lock:
            entry = self._cache.get(key)
        return default if entry is None else entry[1]

    def put(self, key, value) -> bool:
        """Keep ``value`` under ``key`` (evicting the least recently used values to make room);
        False when it alone is larger than the budget (then it is not kept)."""
        size = max(1, int(self._sizeof(value)))
        with self._lock:
            self._cache.pop(key, None)
            if size > self.max_bytes:
                return False
            self._cache[key] = (size, value)
        return True

    def get_or_load(self, key, load: Callable[[], object]):
        """The cached value of ``key``, or ``load()``'s (stored, if it fits the budget)."""
        marker = object()
        value = self.get(key, marker)
        if value is not marker:
            return value
        with self._lock:
            key_lock = self._loading.setdefault(key, threading.Lock())
        try:
            with key_lock:
                value = self.get(key, marker)
                if value is marker:
                    value = load()
                    self.put(key, value)
        finally:
            with self._lock:
                if self._loading.get(key) is key_lock and not key_lock.locked():
                    del self._loading[key]
        return value

    def drop(self, keep: Callable[[Hashable], bool] | None = None) -> int:
        """Remove every entry (or those whose key ``keep(key)`` rejects); how many went."""
        with self._lock:
            gone = [k for k in self._cache.keys() if keep is None or not keep(k)]
            for k in gone:
                del self._cache[k]
        return len(gone)


class SessionStore:
    """Values private to a browser session (an uploaded table, the inputs checked from it), in
    one :class:`SizedCache` for the whole server, keyed by ``(session id, slot)``.

    A slot (one per file uploader, one per set of column choices) holds one value and the
    version it was made from (the upload's id, the choices): a new version replaces the old
    value instead of piling up beside it. A session reads only its own keys, so nothing one
    session uploads is visible to, or speeds up, another; :meth:`end_session` drops a
    session's values when it ends.
    """

    def __init__(self, max_bytes: int):
        self.cache = SizedCache(max_bytes)

    def get(self, session: str, slot: Hashable, version: Hashable, load: Callable[[], object]):
        """The slot's value if it was made from ``version``, else ``load()``'s (kept, if it
        fits the budget). The old value is dropped before loading, so the two never
        coexist in memory because of this store."""
        key = (session, slot)
        entry = self.cache.get(key)
        if entry is not None and entry[0] == version:
            return entry[1]
        if entry is not None:
            self.cache.drop(keep=lambda k: k != key)
            del entry
        value = load()
        self.cache.put(key, (version, value))
        return value

    def has(self, session: str, slot: Hashable, version: Hashable) -> bool:
        entry = self.cache.get((session, slot))
        return entry is not None and entry[0] == version

    def sessions(self) -> set[str]:
        return {k[0] for k in self.cache.keys()}

    def session_bytes(self, session: str) -> int:
        return sum(self.cache.size_of(k) for k in self.cache.keys() if k[0] == session)

    def end_session(self, session: str) -> int:
        """Drop everything ``session`` kept; the number of values dropped."""
        return self.cache.drop(keep=lambda key: key[0] != session)


_LIBC = None


def use_system_allocator_for_arrow() -> str:
    """Make pyarrow (pandas' text columns) allocate with the C library's malloc from now on;
    the name of the pool now in use.

    pyarrow's default allocator, mimalloc, hands freed pages back with ``MADV_FREE``, which
    the kernel reclaims only under memory pressure: the server's resident size stays up
    (478 MB still counted after a 1,000,000-row upload's session ended, measured with
    /proc/PID/smaps), and a team's server looks, and gets scheduled, as if it still held every
    upload. With malloc, :func:`release_memory`'s ``malloc_trim`` returns them at once.
    """
    import pyarrow as pa

    if pa.default_memory_pool().backend_name != "system":
        pa.set_memory_pool(pa.system_memory_pool())
    return pa.default_memory_pool().backend_name


def release_memory() -> None:
    """Collect garbage, then ask the allocators to give freed memory back to the system.

    pandas keeps text columns in Arrow buffers, and Arrow's allocator (mimalloc in the pyarrow
    wheels) keeps freed pages for reuse: after a 1,000,000-row upload (116 MB) was read,
    checked and dropped, the process still held 583 MB more than before until
    ``release_unused()`` gave them back (698 -> 115 MB; measured in one process, see
    bench/serve_memory.py for the server). glibc's ``malloc_trim(0)`` does the same for the
    C heap (Python objects, numpy); elsewhere than glibc that step is skipped.
    """
    global _LIBC
    gc.collect()
    if "pyarrow" in sys.modules:
        try:
            sys.modules["pyarrow"].default_memory_pool().release_unused()
        except Exception:  # noqa: BLE001 - an older pyarrow without release_unused
            pass
    if _LIBC is None:
        try:
            _LIBC = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
            _LIBC.malloc_trim.argtypes = [ctypes.c_size_t]
        except (OSError, AttributeError):
            _LIBC = False
    if _LIBC:
        _LIBC.malloc_trim(0)
