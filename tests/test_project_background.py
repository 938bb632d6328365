"""The cluster projection in a second process gives exactly the layout computed in-process."""

from __future__ import annotations

import numpy as np
import pytest

import synth_quality.project as project_module
from synth_quality.neighbors import build_neighbor_graph
from synth_quality.project import project, project_in_background


@pytest.fixture(scope="module")
def small_graph():
    rng = np.random.default_rng(5)
    centers = rng.normal(size=(4, 24))
    X = (centers[rng.integers(0, 4, 400)] + 0.3 * rng.normal(size=(400, 24))).astype(np.float32)
    X /= np.linalg.norm(X, axis=1, keepdims=True)
    return X, build_neighbor_graph(X, 200, 14, 5)


def test_background_process_gives_the_in_process_layout(small_graph, monkeypatch, tmp_path):
    X, graph = small_graph
    monkeypatch.setattr(project_module, "PARALLEL_PROJECTION_MIN_ROWS", 0)
    args = (X, graph, 5, 15, 0.0, 0)
    pending = project_in_background(*args, n_epochs=50, cache_dir=str(tmp_path))
    assert isinstance(pending, project_module._ProjectionProcess)  # really a second process
    here = project(*args, n_epochs=50)
    there = pending.result()
    assert there.shape == (400, 5)
    np.testing.assert_array_equal(there, here)


@pytest.mark.parametrize("how", ["cannot start", "exits with an error"])
def test_a_failing_background_process_falls_back_to_this_one(small_graph, monkeypatch, tmp_path,
                                                             how):
    X, graph = small_graph
    monkeypatch.setattr(project_module, "PARALLEL_PROJECTION_MIN_ROWS", 0)
    python = tmp_path / "python"
    if how == "exits with an error":
        python.write_text("#!/bin/sh\necho broken >&2\nexit 3\n")
        python.chmod(0o755)
    monkeypatch.setattr(project_module.sys, "executable", str(python))
    args = (X, graph, 2, 15, 0.1, 0)
    pending = project_in_background(*args, n_epochs=30)
    expected = (project_module._InThisProcess if how == "cannot start"
                else project_module._ProjectionProcess)
    assert isinstance(pending, expected)
    np.testing.assert_array_equal(pending.result(), project(*args, n_epochs=30))


def test_small_or_unseeded_inputs_stay_in_this_process(small_graph):
    X, graph = small_graph
    assert isinstance(project_in_background(X, graph, 5, 15, 0.0, 0),
                      project_module._InThisProcess)
    assert isinstance(project_in_background(X, graph, 5, 15, 0.0, None),
                      project_module._InThisProcess)
