"""The cluster projection in the UMAP worker process gives exactly the layout computed here."""

from __future__ import annotations

import numpy as np
import pytest

import synth_quality.project.worker as project_module
from synth_quality.graph.knn import build_neighbor_graph
from synth_quality.project.layout import project
from synth_quality.project.worker import project_in_background


@pytest.fixture(scope="module")
def small_graph():
    rng = np.random.default_rng(5)
    centers = rng.normal(size=(4, 24))
    X = (centers[rng.integers(0, 4, 400)] + 0.3 * rng.normal(size=(400, 24))).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, build_neighbor_graph(X, 200, 14, 5)


@pytest.fixture
def fresh_worker(monkeypatch):
    """No worker running before the test, and none left after it."""
    monkeypatch.setattr(project_module, "_WORKER", None)
    yield
    if project_module._WORKER is not None:
        project_module._WORKER.stop()
    project_module._WORKER = None


def test_a_fit_from_scratch_starts_a_worker_with_the_in_process_layout(small_graph, monkeypatch,
                                                                         fresh_worker):
    X, graph = small_graph
    monkeypatch.setattr(project_module, "NEW_WORKER_MIN_ROWS", 0)
    monkeypatch.setattr(project_module, "WORKER_PROJECTION_MIN_ROWS", 0)
    args = (X, graph, 5, 15, 0.0, 0)
    pending = project_in_background(*args, n_epochs=50)
    assert isinstance(pending, project_module._WorkerJob)  # really a second process
    here = project(*args, n_epochs=50)
    there = pending.result()
    assert there.shape == (400, 5)
    np.testing.assert_array_equal(there, here)
    # A warm start does not start a worker of its own (the start-up would cost more than it saves).
    project_module._WORKER.stop()
    project_module._WORKER = None
    start = np.random.default_rng(2).normal(size=(400, 5))
    assert isinstance(project_in_background(*args, n_epochs=20, init=start),
                      project_module._InThisProcess)


@pytest.mark.parametrize("how", ["cannot start", "exits with an error"])
def test_a_failing_worker_falls_back_to_this_process(small_graph, monkeypatch, tmp_path,
                                                     fresh_worker, how):
    X, graph = small_graph
    monkeypatch.setattr(project_module, "NEW_WORKER_MIN_ROWS", 0)
    monkeypatch.setattr(project_module, "WORKER_PROJECTION_MIN_ROWS", 0)
    python = tmp_path / "python"
    if how == "exits with an error":
        python.write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
        python.chmod(0o755)
    monkeypatch.setattr(project_module.sys, "executable", str(python))
    args = (X, graph, 2, 15, 0.1, 0)
    pending = project_in_background(*args, n_epochs=30)
    assert isinstance(pending, project_module._InThisProcess if how == "cannot start"
                      else (project_module._WorkerJob, project_module._InThisProcess))
    np.testing.assert_array_equal(pending.result(), project(*args, n_epochs=30))


def test_small_or_unseeded_inputs_stay_in_this_process(small_graph, fresh_worker):
    X, graph = small_graph
    assert isinstance(project_in_background(X, graph, 5, 15, 0.0, 0),
                      project_module._InThisProcess)
    assert isinstance(project_in_background(X, graph, 5, 15, 0.0, None),
                      project_module._InThisProcess)


@pytest.fixture
def worker(monkeypatch, fresh_worker):
    monkeypatch.setattr(project_module, "WORKER_PROJECTION_MIN_ROWS", 0)
    started = project_module.start_projection_worker()
    assert started is not None and started.alive()
    yield started
    started.stop()
    project_module._WORKER = None


def test_the_projection_worker_gives_the_in_process_layouts_job_after_job(small_graph, worker):
    X, graph = small_graph
    pid = worker._process.pid
    start = np.random.default_rng(1).normal(size=(400, 2)).astype(np.float32)
    fixed = np.arange(400) >= 40  # the last 360 rows stay, the first 40 are placed
    for dims, min_dist, init, keep in ((5, 0.0, None, None), (2, 0.1, None, None),
                                       (2, 0.1, start, None), (2, 0.1, start, fixed)):
        args = (X, graph, dims, 15, min_dist, 0)
        pending = project_in_background(*args, n_epochs=40, init=init, fixed=keep)
        assert isinstance(pending, project_module._WorkerJob)  # really the worker
        there = pending.result()
        np.testing.assert_array_equal(there, project(*args, n_epochs=40, init=init, fixed=keep))
        if keep is not None:  # a placement: the fixed rows did not move, the others did
            np.testing.assert_array_equal(there[fixed], start[fixed])
            assert np.abs(there[~fixed] - start[~fixed]).min() > 0
    assert worker._process.pid == pid and worker.alive()  # one process for every job
    assert project_module.start_projection_worker() is worker


def test_a_busy_or_dead_worker_is_not_waited_for(small_graph, worker):
    X, graph = small_graph
    args = (X, graph, 2, 15, 0.1, 0)
    first = project_in_background(*args, n_epochs=30)
    second = project_in_background(*args, n_epochs=30)  # the worker is busy with the first
    assert isinstance(first, project_module._WorkerJob)
    assert isinstance(second, project_module._InThisProcess)
    np.testing.assert_array_equal(first.result(), second.result())
    pending = project_in_background(*args, n_epochs=30)
    worker._process.kill()
    worker._process.wait()
    np.testing.assert_array_equal(pending.result(), project(*args, n_epochs=30))
    assert isinstance(project_in_background(*args, n_epochs=30), project_module._InThisProcess)


def test_load_in_process_loads_umap_only_from_a_warm_cache(monkeypatch):
    from synth_quality.project import warmup

    monkeypatch.setattr(warmup, "is_warm", lambda: False)
    assert warmup.load_in_process() is False  # nothing to load: it must not compile here
    monkeypatch.setattr(warmup, "is_warm", lambda: True)
    assert warmup.load_in_process() is True
    import sys

    assert "umap" in sys.modules and "pynndescent" not in sys.modules


def test_an_audits_warm_up_process_stays_on_as_its_worker(small_graph, monkeypatch, tmp_path,
                                                          fresh_worker):
    """With a cold cache, the process that compiles UMAP is the worker that then projects."""
    import shutil

    from synth_quality.project import warmup

    if not warmup.is_warm():
        warmup.warm_up()
    # A copy of the compiled code without the "warm" marker: the worker must go through the
    # warm-up (loading instead of compiling, which keeps this test short) and write the marker.
    cache = tmp_path / "numba"
    shutil.copytree(warmup.numba_cache_dir(), cache,
                    ignore=shutil.ignore_patterns("synth-quality-warm-*"))
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(cache))
    monkeypatch.setattr(warmup, "_RUNNING", None)
    assert not warmup.is_warm()
    started = warmup.start_background_warmup(as_worker=True)
    assert isinstance(started, project_module.ProjectionWorker)
    assert started is project_module._WORKER
    assert started.poll() is None  # still warming up: an audit embeds on one core meanwhile
    assert started.wait(300) == 0 and warmup.is_warm()
    assert warmup.start_background_warmup(as_worker=True) is None  # warm now: nothing to start
    monkeypatch.setattr(project_module, "WORKER_PROJECTION_MIN_ROWS", 0)
    X, graph = small_graph
    args = (X, graph, 5, 15, 0.0, 0)
    pending = project_in_background(*args, n_epochs=30)
    assert isinstance(pending, project_module._WorkerJob) and pending._worker is started
    np.testing.assert_array_equal(pending.result(), project(*args, n_epochs=30))
