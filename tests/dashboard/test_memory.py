"""Memory bounded by bytes (synth_quality/dashboard/memory.py): the caches evict by what their
values hold, not by how many there are; a session's values are its own and go when it ends;
freed memory goes back to the system."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time

import numpy as np
import pandas as pd
import pytest

from synth_quality.dashboard.memory import MB, SessionStore, SizedCache, nbytes


def frame(rows: int, width: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghij"))
    texts = ["".join(rng.choice(letters, width)) for _ in range(rows)]
    return pd.DataFrame({"text": texts, "n": np.arange(rows)})


def test_nbytes_counts_the_strings_not_just_the_pointers():
    short, long_ = frame(2_000, 10), frame(2_000, 400)
    # 2,000 x 400 characters is at least 800 kB; a count of pointers would see the same size.
    assert nbytes(long_) - nbytes(short) >= 2_000 * 390
    arr = np.zeros((1000, 5), np.float32)
    assert nbytes(arr) == arr.nbytes
    assert nbytes((short, arr)) >= nbytes(short) + arr.nbytes


def test_nbytes_of_an_audit_result_counts_frames_projection_and_neighbours(tmp_path):
    from synth_quality.graph.knn import NeighborGraph
    from synth_quality.result import AuditResult

    ex, cl = frame(500), frame(10)
    coords = np.zeros((500, 5), np.float32)
    graph = NeighborGraph(np.zeros((500, 15), np.int64), np.zeros((500, 15), np.float32),
                          np.zeros(500, np.float32), np.zeros(500, np.int64),
                          np.zeros(500, np.float32))
    result = AuditResult(ex, cl, {}, coords, neighbor_graph=graph)
    expected = nbytes(ex) + nbytes(cl) + coords.nbytes + 500 * 15 * (8 + 4) + 500 * (4 + 8 + 4)
    assert nbytes(result) == expected


def test_sized_cache_evicts_least_recently_used_by_bytes():
    sizes = {"a": 40, "b": 30, "c": 20, "d": 50}
    cache = SizedCache(100, sizeof=lambda v: sizes[v])
    for key in ("a", "b", "c"):           # 90 bytes
        cache.put(key, key)
    assert cache.get("a") == "a"         # a is now the most recently used
    cache.put("d", "d")                  # 140 > 100: b (least recent) goes, then 110: c goes
    assert sorted(cache.keys()) == ["a", "d"] and cache.current_bytes == 90
    # Counted by entries, as before (max_entries=8), four tiny values would all stay and four
    # huge ones too; by bytes, one value larger than the budget is not kept at all.
    assert cache.put("huge", "huge") is False if sizes.setdefault("huge", 101) else None
    assert "huge" not in cache and sorted(cache.keys()) == ["a", "d"]


def test_sized_cache_loads_once_when_many_threads_ask_at_once():
    cache = SizedCache(10 * MB)
    calls = []

    def load():
        calls.append(1)
        time.sleep(0.2)
        return frame(100)

    out = []
    threads = [threading.Thread(target=lambda: out.append(cache.get_or_load("k", load)))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1 and len(out) == 6 and all(o is out[0] for o in out)


def test_sized_cache_load_error_is_not_cached():
    cache = SizedCache(MB)

    def fail():
        raise ValueError("broken")

    with pytest.raises(ValueError):
        cache.get_or_load("k", fail)
    assert cache.get_or_load("k", lambda: "ok") == "ok"


def test_session_store_keeps_one_value_per_slot_and_sessions_apart():
    store = SessionStore(100 * MB)
    loads = []

    def loader(tag, rows):
        def load():
            loads.append(tag)
            return frame(rows, seed=len(loads))
        return load

    a1 = store.get("A", "upload", "file-1", loader("A1", 5_000))
    assert store.get("A", "upload", "file-1", loader("again", 1)) is a1   # cached
    # Session B asks for the very same upload: it reads its own copy (nothing learned from A).
    b1 = store.get("B", "upload", "file-1", loader("B1", 5_000))
    assert b1 is not a1 and loads == ["A1", "B1"]
    # A new file in A's uploader replaces A's table instead of piling up beside it.
    before = store.session_bytes("A")
    store.get("A", "upload", "file-2", loader("A2", 100))
    assert store.session_bytes("A") < before / 10
    assert len([k for k in store.cache.keys() if k[0] == "A"]) == 1
    # A ends: all of A goes, B stays.
    assert store.end_session("A") == 1
    assert store.sessions() == {"B"} and store.session_bytes("B") == nbytes(("file-1", b1))


def test_session_store_budget_spans_all_sessions():
    one = nbytes(("v", frame(20_000)))
    store = SessionStore(int(one * 2.5))
    for session in ("A", "B", "C"):
        store.get(session, "upload", "v", lambda: frame(20_000))
    # Three tables of this size do not fit 2.5 of them: the least recently used (A) went.
    assert store.sessions() == {"B", "C"}
    assert store.cache.current_bytes <= store.cache.max_bytes


RELEASE_SCRIPT = textwrap.dedent("""
    import gc, json, sys, threading
    def rss():
        for line in open("/proc/self/status"):
            if line.startswith("VmRSS"):
                return int(line.split()[1]) / 1024
    import numpy as np, pandas as pd
    from synth_quality.dashboard.memory import release_memory, use_system_allocator_for_arrow
    if sys.argv[1] == "release":
        use_system_allocator_for_arrow()
    out = {"start": rss()}
    box = {}
    def work():   # a page's script thread reads an upload
        rng = np.random.default_rng(0)
        words = np.array(["good", "bad", "plot", "cast", "story", "film", "slow", "odd"])
        text = pd.Series(np.arange(1_000_000)).astype("str")
        for _ in range(12):
            text = text + " " + pd.Series(rng.choice(words, len(text)), dtype="str")
        box["frame"] = pd.DataFrame({"text": text})
        del text
    t = threading.Thread(target=work); t.start(); t.join()
    out["loaded"] = rss()
    box.clear()
    if sys.argv[1] == "release":
        release_memory()
    else:
        gc.collect()
    out["after"] = rss()
    print(json.dumps(out))
""")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc/self/status")
def test_release_memory_gives_a_dropped_table_back_to_the_system():
    """A 1,000,000-row text table read in another thread, then dropped: with the dashboard's
    allocator settings and release_memory() the process shrinks back near its start. Beside
    it, the baseline: pandas' defaults and a plain gc.collect(), where most of it usually
    stays."""
    import json

    runs = {}
    for mode in ("plain", "release"):
        done = subprocess.run([sys.executable, "-c", RELEASE_SCRIPT, mode], capture_output=True,
                              text=True, timeout=300, check=True)
        runs[mode] = json.loads(done.stdout.strip().splitlines()[-1])
    for mode, r in runs.items():
        print(f"{mode}: start {r['start']:.0f} MB, table loaded {r['loaded']:.0f} MB, "
              f"after dropping it {r['after']:.0f} MB")
    rel = runs["release"]
    grown = rel["loaded"] - rel["start"]
    assert grown > 60, runs                                     # the table was big enough
    assert rel["after"] - rel["start"] < 0.25 * grown, runs     # back near the start
    # The plain run is printed, not checked: mimalloc's freed pages (MADV_FREE) leave the
    # resident size when the kernel wants them back, so on a machine short of memory they may
    # go at once (394 -> 122 MB once under heavy load), elsewhere they stay (192 -> 192 MB).


def test_nbytes_of_a_map_figure_counts_its_points_and_hover_labels():
    import plotly.graph_objects as go

    xs = np.random.default_rng(0).normal(size=(2, 5_000))
    labels = [f"row {i}: " + "word " * 30 for i in range(5_000)]
    fig = go.Figure(go.Scattergl(x=xs[0], y=xs[1], hovertext=labels, mode="markers"))
    small = go.Figure(go.Scattergl(x=xs[0][:50], y=xs[1][:50], mode="markers"))
    floor = xs.nbytes + sum(len(t) for t in labels)
    assert floor <= nbytes(fig) < 1.2 * floor + 10_000
    assert nbytes(small) < nbytes(fig) / 100
