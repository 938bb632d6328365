"""The map past a few tens of thousands of rows (present/density.py): every row counted once,
selections that return exactly the rows a brute-force check finds, deterministic points, and
below the threshold the old figure, unchanged."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from synth_quality.present import density
from synth_quality.present.density import Window
from synth_quality.present.figures import figure_trace_ids, map_figure, points_in_polygon
from synth_quality.present.wording import SIDE_COLORS

N = 250_000


def blobs(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Clustered points: five Gaussian blobs of different sizes and spreads."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-10, 10, size=(5, 2))
    which = rng.choice(5, size=n, p=[0.4, 0.25, 0.2, 0.1, 0.05])
    spread = np.array([0.5, 1.5, 0.2, 3.0, 0.8])[which]
    return (centres[which, 0] + rng.normal(size=n) * spread,
            centres[which, 1] + rng.normal(size=n) * spread)


def uniform(n: int, seed: int):
    rng = np.random.default_rng(seed)
    return rng.uniform(0, 3, n), rng.uniform(-1, 1, n)


def lattice(n: int, seed: int):
    """Points on a coarse lattice: many duplicates and many exactly on cell edges."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 9, n).astype(float), rng.integers(0, 5, n).astype(float) / 2


SHAPES = {"blobs": blobs, "uniform": uniform, "lattice": lattice}


def frame(x, y, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n = len(x)
    side = np.where(rng.random(n) < 0.3, "real", "synthetic")
    cats = np.where(side == "real",
                    np.where(rng.random(n) < 0.1, "underrepresented real", "well-covered real"),
                    np.where(rng.random(n) < 0.2, "unrealistic synthetic", "realistic synthetic"))
    return pd.DataFrame({
        "side": side, "row": np.arange(n), "text": [f"row {i}" for i in range(n)],
        "x": x.astype(np.float32), "y": y.astype(np.float32),
        "cluster": rng.integers(-1, 4, n), "category": cats,
        "label_issue_score": rng.random(n), "p_synthetic": rng.random(n)})


# --------------------------------------------------------------------------- aggregation

@pytest.mark.parametrize("shape", SHAPES)
def test_every_row_in_the_window_is_counted_in_exactly_one_cell(shape):
    x, y = SHAPES[shape](N, 1)
    win = Window.around(x, y)
    counts = density.grid_counts(x, y, win, (37, 23))
    assert counts.shape == (1, 23, 37) and counts.sum() == N
    # numpy's histogram2d on the same edges (its last bin is closed too) is the reference.
    ref, _, _ = np.histogram2d(y, x, bins=[np.linspace(win.y0, win.y1, 24),
                                           np.linspace(win.x0, win.x1, 38)])
    assert (counts[0] == ref).all()


@pytest.mark.parametrize("shape", SHAPES)
def test_a_smaller_window_counts_only_its_rows_and_splits_them_by_group(shape):
    x, y = SHAPES[shape](N, 2)
    full = Window.around(x, y)
    win = Window(full.x0 + 0.3 * (full.x1 - full.x0), full.x1 - 0.2 * (full.x1 - full.x0),
                 full.y0, full.y0 + 0.5 * (full.y1 - full.y0))
    groups = np.random.default_rng(3).integers(-1, 3, N)     # -1: in no group
    counts = density.grid_counts(x, y, win, (50, 50), groups, 3)
    inside = (x >= win.x0) & (x <= win.x1) & (y >= win.y0) & (y <= win.y1)
    for g in range(3):
        assert counts[g].sum() == int((inside & (groups == g)).sum())
    assert counts.sum() == int((inside & (groups >= 0)).sum()) < N


def test_the_image_is_opaque_exactly_where_rows_are_and_mixes_the_sides_colours():
    x = np.array([0.0, 0.0, 10.0, 10.0, 4.0])
    y = np.array([0.0, 0.0, 10.0, 10.0, 10.0])
    ex = frame(x, y)
    ex["side"] = ["real", "real", "synthetic", "synthetic", "real"]
    win = Window(0, 10, 0, 10)
    rgba, total = density.density_rgba(ex, "side", win, (2, 2))
    assert total.tolist() == [[2, 0], [1, 2]]                # row 0 = lowest y
    assert (rgba[..., 3] > 0).tolist() == (total > 0).tolist()
    real = [int(SIDE_COLORS["real"][i:i + 2], 16) for i in (1, 3, 5)]
    synthetic = [int(SIDE_COLORS["synthetic"][i:i + 2], 16) for i in (1, 3, 5)]
    assert rgba[0, 0, :3].tolist() == real and rgba[1, 1, :3].tolist() == synthetic
    assert rgba[0, 0, 3] > rgba[1, 0, 3]                     # 2 rows more opaque than 1


# --------------------------------------------------------------------------- selections

def brute_box(x, y, xs, ys) -> np.ndarray:
    lo_x, hi_x, lo_y, hi_y = min(xs), max(xs), min(ys), max(ys)
    return np.array([i for i, (a, b) in enumerate(zip(x.tolist(), y.tolist()))
                     if lo_x <= a <= hi_x and lo_y <= b <= hi_y], np.int64)


@pytest.mark.parametrize("shape", ["blobs", "uniform"])
def test_a_box_returns_exactly_the_rows_inside(shape):
    x, y = SHAPES[shape](N, 4)
    win = Window.around(x, y)
    rng = np.random.default_rng(5)
    for _ in range(3):
        xs = sorted(rng.uniform(win.x0, win.x1, 2))
        ys = sorted(rng.uniform(win.y0, win.y1, 2))
        got = density.rows_in_box(x, y, xs[::-1], ys)        # either drag direction
        assert got.tolist() == brute_box(x, y, xs, ys).tolist()


def star(cx, cy, r, points=7, inner=0.35):
    """A concave star polygon."""
    angles = np.linspace(0, 2 * np.pi, 2 * points, endpoint=False)
    radii = np.where(np.arange(2 * points) % 2 == 0, r, r * inner)
    return list(cx + radii * np.cos(angles)), list(cy + radii * np.sin(angles))


def c_shape(cx, cy, r):
    """A C: a concave polygon whose bounding box holds many rows outside it."""
    outer = np.linspace(0.25 * np.pi, 1.75 * np.pi, 40)
    inner = outer[::-1]
    xs = np.r_[cx + r * np.cos(outer), cx + 0.5 * r * np.cos(inner)]
    ys = np.r_[cy + r * np.sin(outer), cy + 0.5 * r * np.sin(inner)]
    return list(xs), list(ys)


@pytest.mark.parametrize("shape", ["blobs", "uniform"])
@pytest.mark.parametrize("polygon", ["star", "c"])
def test_a_concave_lasso_returns_exactly_the_rows_inside(shape, polygon):
    x, y = SHAPES[shape](N, 6)
    win = Window.around(x, y)
    cx, cy = (win.x0 + win.x1) / 2, (win.y0 + win.y1) / 2
    r = 0.3 * min(win.x1 - win.x0, win.y1 - win.y0)
    xs, ys = star(cx, cy, r) if polygon == "star" else c_shape(cx, cy, r)
    got = density.rows_in_lasso(x, y, xs, ys)
    # The reference: numpy even-odd ray casting over every row (another implementation).
    want = np.flatnonzero(points_in_polygon(x, y, list(zip(xs, ys))))
    assert len(want) > 1000 and got.tolist() == want.tolist()
    box = density.rows_in_box(x, y, [min(xs), max(xs)], [min(ys), max(ys)])
    assert len(box) > len(want)                       # the concave part really left rows out


def event(boxes=(), lassos=(), points=()):
    """A selection as st.plotly_chart returns it."""
    return {"selection": {
        "points": list(points), "point_indices": [p["point_index"] for p in points],
        "box": [{"xref": "x", "yref": "y", "x": list(b[0]), "y": list(b[1])} for b in boxes],
        "lasso": [{"xref": "x", "yref": "y", "x": list(s[0]), "y": list(s[1])} for s in lassos]}}


def test_the_selection_of_an_event_is_the_union_of_its_shapes_within_the_view():
    x, y = blobs(N, 7)
    win = Window.around(x, y)
    box = ([win.x0, (win.x0 + win.x1) / 2], [win.y0, (win.y0 + win.y1) / 2])
    lasso = star((win.x0 + win.x1) / 2, (win.y0 + win.y1) / 2, 4.0)
    got = density.selection_rows(event([box], [lasso]), x, y)
    want = np.union1d(brute_box(x, y, *box),
                      np.flatnonzero(points_in_polygon(x, y, list(zip(*lasso)))))
    assert got.tolist() == want.tolist()
    view = Window(win.x0, (win.x0 + win.x1) / 2, win.y0, win.y1)
    within = density.selection_rows(event([box], [lasso]), x, y, view)
    assert within.tolist() == [i for i in want if view.x0 <= x[i] <= view.x1]
    # A click (points only) is not a shape: the page reads its point instead.
    assert density.selection_rows(event(points=[{"point_index": 3}]), x, y) is None
    assert density.selection_rows(None, x, y) is None
    assert density.last_box(event([box])) == Window.from_ranges(*box)


# --------------------------------------------------------------------------- the drawn points

def test_the_sampled_points_are_deterministic_and_flagged_rows_come_first():
    x, y = blobs(N, 8)
    ex = frame(x, y, seed=8)
    a = density.sample_rows(ex, 5000, seed=0)
    assert a.tolist() == density.sample_rows(ex, 5000, seed=0).tolist()
    assert a.tolist() != density.sample_rows(ex, 5000, seed=1).tolist()
    assert len(a) == 5000 == len(set(a.tolist()))
    flagged = ex["category"].isin(density.FLAGGED_CATEGORIES).to_numpy()
    assert flagged.sum() > 5000 and flagged[a].all()       # more flagged rows than places
    few = ex.copy()
    few.loc[np.flatnonzero(flagged)[100:], "category"] = "realistic synthetic"
    b = density.sample_rows(few, 5000, seed=0)
    assert set(np.flatnonzero(flagged)[:100]) <= set(b.tolist())  # every flagged row drawn
    assert density.sample_rows(ex, 10, within=np.array([5, 3, 9])).tolist() == [3, 5, 9]


def small_frame() -> pd.DataFrame:
    x, y = blobs(3000, 9)
    return frame(x, y, seed=9)


@pytest.mark.parametrize("color_by", ["side", "category", "cluster", "label_issue_score"])
def test_below_the_threshold_the_figure_is_the_old_one(color_by):
    ex = small_frame()
    view = density.map_view(ex, color_by, points_up_to=len(ex), highlight_cluster=1)
    old = map_figure(ex, color_by, highlight_cluster=1)
    assert view.mode == "points" and view.window is None
    assert view.figure.to_json() == old.to_json()


@pytest.mark.parametrize("color_by", ["side", "label_issue_score"])
def test_above_the_threshold_the_map_is_every_rows_density_and_a_sample_of_points(color_by):
    ex = small_frame()
    view = density.map_view(ex, color_by, points_up_to=1000, sample_points=400,
                            highlight_cluster=2)
    assert view.mode == "density" and view.n_in_view == len(ex) and view.n_drawn == 400
    fig = view.figure
    assert len(fig.layout.images) == 1 and fig.layout.images[0].source.startswith(
        "data:image/png;base64,")
    ids = figure_trace_ids(fig)
    drawn = sorted(set(i for trace in ids[:-1] for i in trace))    # last trace: the rings
    assert drawn == density.sample_rows(ex, 400).tolist()
    for trace, rows in zip(fig.data, ids):                         # each point at its row
        assert np.allclose(trace.x, ex["x"].to_numpy()[rows])
    assert set(ids[-1]) <= set(np.flatnonzero(ex["cluster"].to_numpy() == 2))
    assert len(json.dumps(fig.to_plotly_json(), default=str)) < len(map_figure(ex, color_by)
                                                                     .to_json())


def test_zooming_in_to_few_enough_rows_draws_exactly_those_rows_as_points():
    ex = small_frame()
    x, y = ex["x"].to_numpy(float), ex["y"].to_numpy(float)
    full = Window.around(x, y)
    zoom = Window(full.x0, full.x0 + 0.4 * (full.x1 - full.x0), full.y0, full.y1)
    inside = np.flatnonzero(zoom.contains(x, y))
    assert 0 < len(inside) <= 2000
    view = density.map_view(ex, "side", window=zoom, points_up_to=2000)
    assert view.mode == "points" and view.n_in_view == len(inside)
    rows = sorted(i for trace in figure_trace_ids(view.figure) for i in trace)
    assert rows == inside.tolist()
    assert list(view.figure.layout.xaxis.range) == [zoom.x0, zoom.x1]
    # Still too many: a finer density of the region.
    finer = density.map_view(ex, "side", window=zoom, points_up_to=100, sample_points=50)
    assert finer.mode == "density" and finer.n_in_view == len(inside) and finer.n_drawn == 50
    image = finer.figure.layout.images[0]
    assert (image.x, image.sizex) == (zoom.x0, zoom.x1 - zoom.x0)
