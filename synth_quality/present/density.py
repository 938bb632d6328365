"""The map past a few tens of thousands of rows. No Streamlit here.

Plotly's WebGL scatter draws about 50,000 points smoothly; a million rows would send the browser
hundreds of megabytes. Above ``points_up_to`` rows (the dashboard's ``map_points_up_to``
setting) the map is instead:

- a density image of **every** row in view, aggregated here on a grid (:func:`grid_counts`:
  ``numpy.bincount`` over the cells, 1,000,000 rows in well under a second) and sent as one PNG
  drawn under the axes (a plotly layout image): each cell's colour is its rows' colours mixed
  by count (or the mean score for a score colouring), its opacity grows with the log of the
  count, so a single row stays visible and dense regions are solid;
- on top, at most ``sample_points`` rows as points with hover labels, chosen deterministically
  (:func:`sample_rows`: the rows the audit flags first, then the others, each group in a seeded
  order);
- a box or lasso returns exactly the rows inside, computed from the full coordinates
  (:func:`selection_rows`), not from the drawn points;
- :class:`Window` zooms in: the same grid over a smaller region is a finer aggregation, and once
  the region holds at most ``points_up_to`` rows they are drawn as points (the ordinary map,
  :func:`synth_quality.present.figures.map_figure`, on those rows).

Row identity is as in :mod:`synth_quality.present.figures`: a row's position in
``AuditResult.examples`` (its RangeIndex), carried by each point as ``customdata[0]``.
"""

from __future__ import annotations

import base64
import html
import io
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np
import pandas as pd

from synth_quality.present.figures import map_figure, map_groups, score_scale
from synth_quality.present.wording import HIGHLIGHT_COLOR, ROW_SCORES, direction_text

#: Rows up to which the map is the plain scatter (every row a point); above it, density.
MAP_POINTS_UP_TO = 50_000
#: Points drawn, with hover labels, over the density image (each label is ~300 bytes).
SAMPLE_POINTS = 5_000
#: Grid cells along the longer side of the region in view.
GRID_CELLS = 400
#: Categories that flag a row (drawn first among the sampled points).
FLAGGED_CATEGORIES = ("unrealistic synthetic", "underrepresented real", "outlier")
#: Colourings drawn as groups (one colour each); any other is a score.
CATEGORICAL = ("side", "category", "cluster", "generator", "label", "density_band")


@dataclass(frozen=True)
class Window:
    """A region of the map in UMAP coordinates (closed on every side)."""

    x0: float
    x1: float
    y0: float
    y1: float

    @classmethod
    def around(cls, x, y, pad: float = 0.02) -> "Window":
        """The rows' extent, padded by ``pad`` of its size on each side."""
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        if not len(x):
            return cls(0.0, 1.0, 0.0, 1.0)
        x0, x1, y0, y1 = float(x.min()), float(x.max()), float(y.min()), float(y.max())
        dx, dy = max(x1 - x0, 1e-9), max(y1 - y0, 1e-9)
        return cls(x0 - pad * dx, x1 + pad * dx, y0 - pad * dy, y1 + pad * dy)

    @classmethod
    def from_ranges(cls, xs: Sequence[float], ys: Sequence[float]) -> "Window":
        return cls(float(min(xs)), float(max(xs)), float(min(ys)), float(max(ys)))

    def contains(self, x, y) -> np.ndarray:
        x = np.asarray(x, float)
        y = np.asarray(y, float)
        return (x >= self.x0) & (x <= self.x1) & (y >= self.y0) & (y <= self.y1)

    def intersect(self, other: "Window") -> "Window":
        return Window(max(self.x0, other.x0), min(self.x1, other.x1),
                      max(self.y0, other.y0), min(self.y1, other.y1))

    @property
    def empty(self) -> bool:
        return not (self.x1 > self.x0 and self.y1 > self.y0)


def grid_shape(window: Window, cells: int = GRID_CELLS) -> tuple[int, int]:
    """(columns, rows) of the grid over ``window``: ``cells`` by ``cells`` whatever its shape
    (the chart stretches the image over the plot area, whose pixel shape the server does not
    know)."""
    return cells, cells


def cell_of(x, y, window: Window, shape: tuple[int, int]) -> np.ndarray:
    """The flat cell index (row-major, row 0 = lowest y) of each point in ``window``; -1 for
    points outside it. The upper edges belong to the last cells."""
    nx, ny = shape
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    inside = window.contains(x, y)
    w = max(window.x1 - window.x0, 1e-12)
    h = max(window.y1 - window.y0, 1e-12)
    ix = np.clip(((x - window.x0) / w * nx).astype(np.int64, copy=False), 0, nx - 1)
    iy = np.clip(((y - window.y0) / h * ny).astype(np.int64, copy=False), 0, ny - 1)
    return np.where(inside, iy * nx + ix, -1)


def grid_counts(x, y, window: Window, shape: tuple[int, int],
                groups: np.ndarray | None = None, n_groups: int = 1) -> np.ndarray:
    """Rows per cell, shape ``(n_groups, ny, nx)``; ``groups`` (ints in ``[0, n_groups)``, or
    -1 for a row in none) splits the counts. Every row inside the window is counted in
    exactly one cell (and one group); rows outside are not counted."""
    nx, ny = shape
    cell = cell_of(x, y, window, shape)
    keep = cell >= 0
    if groups is None:
        flat = cell[keep]
        n_groups = 1
    else:
        g = np.asarray(groups, np.int64)
        keep &= g >= 0
        flat = g[keep] * (nx * ny) + cell[keep]
    counts = np.bincount(flat, minlength=n_groups * nx * ny)
    return counts.reshape(n_groups, ny, nx)


# --------------------------------------------------------------------------- selections

def rows_in_box(x, y, xs: Sequence[float], ys: Sequence[float]) -> np.ndarray:
    """Positions of the points inside the box spanned by ``xs`` and ``ys`` (edges included)."""
    return np.flatnonzero(Window.from_ranges(xs, ys).contains(x, y))


def rows_in_lasso(x, y, xs: Sequence[float], ys: Sequence[float]) -> np.ndarray:
    """Positions of the points inside the polygon with vertices ``(xs[i], ys[i])`` (closed
    automatically; concave and self-crossing polygons by the even-odd rule, as plotly's lasso).

    matplotlib's ``Path.contains_points`` on the rows within the polygon's bounding box:
    measured 0.49 s against 0.86 s for numpy ray casting (``figures.points_in_polygon``) on
    1,000,000 points and a 299-vertex polygon, before the bounding box cuts both further."""
    from matplotlib.path import Path

    xs = np.asarray(xs, float)
    ys = np.asarray(ys, float)
    if len(xs) < 3:
        return np.zeros(0, np.int64)
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    near = np.flatnonzero(Window.from_ranges(xs, ys).contains(x, y))
    if not len(near):
        return near
    inside = Path(np.column_stack([xs, ys])).contains_points(np.column_stack([x[near], y[near]]))
    return near[inside]


def selection_shapes(selection: dict | None) -> tuple[list, list]:
    """(boxes, lassos) of a plotly chart event, each ``(xs, ys)`` in data coordinates."""
    if not selection:
        return [], []
    sel = selection["selection"] if "selection" in selection else selection
    boxes = [(b["x"], b["y"]) for b in (sel["box"] if "box" in sel else []) or []
             if len(b.get("x", [])) >= 2 and len(b.get("y", [])) >= 2]
    lassos = [(p["x"], p["y"]) for p in (sel["lasso"] if "lasso" in sel else []) or []
              if len(p.get("x", [])) >= 3]
    return boxes, lassos


def selection_rows(selection: dict | None, x, y,
                   window: Window | None = None) -> np.ndarray | None:
    """The rows inside the event's boxes and lassos (their union, sorted), computed from the
    full coordinates ``x``, ``y``; only rows inside ``window`` when given (what is in view).
    None when the event holds no box or lasso (a click: read its points instead)."""
    boxes, lassos = selection_shapes(selection)
    if not boxes and not lassos:
        return None
    parts = [rows_in_box(x, y, xs, ys) for xs, ys in boxes]
    parts += [rows_in_lasso(x, y, xs, ys) for xs, ys in lassos]
    rows = np.unique(np.concatenate(parts)) if parts else np.zeros(0, np.int64)
    if window is not None:
        rows = rows[window.contains(np.asarray(x, float)[rows], np.asarray(y, float)[rows])]
    return rows


def last_box(selection: dict | None) -> Window | None:
    """The last box of the event (what "Zoom to this box" zooms to), or None."""
    boxes, _ = selection_shapes(selection)
    if not boxes:
        return None
    xs, ys = boxes[-1]
    win = Window.from_ranges(xs, ys)
    return None if win.empty else win


# --------------------------------------------------------------------------- the drawn points

def sample_rows(examples: pd.DataFrame, limit: int, seed: int = 0,
                within: np.ndarray | None = None) -> np.ndarray:
    """At most ``limit`` row positions (sorted), the same for the same rows and seed: rows in a
    flagging category (:data:`FLAGGED_CATEGORIES`) first, then the others, each group in a
    seeded random order. ``within``: positions to choose from (default: every row)."""
    candidates = np.arange(len(examples)) if within is None else np.asarray(within, np.int64)
    if len(candidates) <= limit:
        return np.sort(candidates)
    rng = np.random.default_rng(seed)
    flagged = examples["category"].isin(FLAGGED_CATEGORIES).to_numpy()[candidates]
    first = rng.permutation(candidates[flagged])
    rest = rng.permutation(candidates[~flagged])
    return np.sort(np.concatenate([first, rest])[:limit])


# --------------------------------------------------------------------------- the image

def _rgb(color: str) -> np.ndarray:
    color = color.lstrip("#")
    return np.array([int(color[i:i + 2], 16) for i in (0, 2, 4)], float)


def _scale_rgb(scale: str, values: np.ndarray) -> np.ndarray:
    """Colours of ``values`` in [0, 1] on a plotly colour scale (by name), as (n, 3) floats."""
    from plotly.colors import get_colorscale, unlabel_rgb, hex_to_rgb

    stops = get_colorscale(scale)
    pos = np.array([float(p) for p, _ in stops])
    cols = np.array([unlabel_rgb(c) if c.startswith("rgb") else hex_to_rgb(c) for _, c in stops],
                    float)
    v = np.clip(np.nan_to_num(values, nan=0.0), 0, 1)
    return np.column_stack([np.interp(v, pos, cols[:, k]) for k in range(3)])


def density_rgba(examples: pd.DataFrame, color_by: str, window: Window,
                 shape: tuple[int, int]) -> tuple[np.ndarray, np.ndarray]:
    """The density image as an RGBA array ``(ny, nx, 4)`` (row 0 = lowest y) and the total
    count per cell ``(ny, nx)``."""
    x = examples["x"].to_numpy(float)
    y = examples["y"].to_numpy(float)
    nx, ny = shape
    if color_by in CATEGORICAL:
        groups = np.full(len(examples), -1, np.int64)
        colors = []
        for g, (_name, ids, color) in enumerate(map_groups(examples, color_by)):
            groups[ids] = g
            colors.append(_rgb(color))
        counts = grid_counts(x, y, window, shape, groups, max(len(colors), 1))
        total = counts.sum(axis=0)
        mixed = np.tensordot(np.asarray(colors).T, counts, axes=1) if colors else \
            np.zeros((3, ny, nx))
        rgb = np.moveaxis(mixed / np.maximum(total, 1), 0, -1)
    else:
        values = pd.to_numeric(examples[color_by], errors="coerce").to_numpy(float)
        scale, cmin, cmax = score_scale(color_by, values)
        total = grid_counts(x, y, window, shape)[0]
        finite = np.isfinite(values)
        cell = cell_of(x, y, window, shape)
        keep = finite & (cell >= 0)
        sums = np.bincount(cell[keep], weights=values[keep], minlength=nx * ny)
        n = np.bincount(cell[keep], minlength=nx * ny)
        mean = np.where(n > 0, sums / np.maximum(n, 1), np.nan)
        rgb = _scale_rgb(scale, (mean - cmin) / max(cmax - cmin, 1e-12))
        rgb[~np.isfinite(mean)] = _rgb("#ced4da")       # only rows with no value
        rgb = rgb.reshape(ny, nx, 3)
    top = max(int(total.max()), 1)
    alpha = np.where(total > 0, 0.35 + 0.65 * np.log1p(total) / np.log1p(top), 0.0)
    rgba = np.concatenate([rgb, alpha[..., None] * 255], axis=-1)
    return np.clip(np.rint(rgba), 0, 255).astype(np.uint8), total


def png_data_uri(rgba: np.ndarray) -> str:
    """An RGBA array (row 0 = lowest y) as a PNG data URI, top row first as images are."""
    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(rgba[::-1]), "RGBA").save(buf, format="PNG")
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# --------------------------------------------------------------------------- the figure

@dataclass
class MapView:
    """What :func:`map_view` drew: the figure, and how (for the page's captions)."""

    figure: object
    mode: str                 # "points" (every row in view is a point) or "density"
    window: Window | None     # the region in view (None: the whole map, plain scatter)
    n_in_view: int            # rows inside the window
    n_drawn: int              # rows drawn as points


def density_figure(examples: pd.DataFrame, color_by: str, window: Window, *,
                   sample_points: int = SAMPLE_POINTS, seed: int = 0,
                   highlight_cluster: int | None = None, height: int = 620,
                   hover_prefixes_of: Callable[[np.ndarray], Sequence[str]] | None = None,
                   hover: bool = True, cells: int = GRID_CELLS,
                   bounds: Window | None = None) -> MapView:
    """Every row in ``window`` as a density image, with at most ``sample_points`` of them as
    points on top (hover labels from ``hover_prefixes_of(positions)`` when ``hover``), and the
    highlighted cluster's rows (at most ``sample_points`` of them) ringed. ``bounds``: how far
    the user may pan (default: the window)."""
    import plotly.graph_objects as go

    from synth_quality.present.figures import hover_texts

    x = examples["x"].to_numpy(float)
    y = examples["y"].to_numpy(float)
    in_view = np.flatnonzero(window.contains(x, y))
    shape = grid_shape(window, cells)
    rgba, _total = density_rgba(examples, color_by, window, shape)
    drawn = sample_rows(examples, sample_points, seed, within=in_view)
    fig = go.Figure()
    size = 4

    def hover_of(ids: np.ndarray, always: bool = False) -> dict:
        if not (hover or always) or hover_prefixes_of is None or not len(ids):
            return dict(hoverinfo="skip")
        texts = hover_texts(examples.iloc[ids], hover_prefixes_of(ids))
        return dict(hovertext=np.array(texts, dtype=object),
                    hovertemplate="%{hovertext}<extra></extra>")

    if color_by in CATEGORICAL:
        sub = examples.iloc[drawn]
        totals = {name: len(np.intersect1d(ids, in_view, assume_unique=True))
                  for name, ids, _ in map_groups(examples, color_by)}
        for name, local, color in map_groups(sub, color_by):
            ids = drawn[local]
            fig.add_trace(go.Scattergl(
                x=x[ids], y=y[ids], mode="markers", customdata=ids[:, None], **hover_of(ids),
                name=f"{html.escape(name)} ({totals.get(name, len(ids)):,})",
                marker=dict(size=size, color=color, opacity=0.9,
                            line=dict(width=0.5, color="white"))))
    else:
        info = ROW_SCORES.get(color_by)
        values = pd.to_numeric(examples[color_by], errors="coerce").to_numpy(float)
        scale, cmin, cmax = score_scale(color_by, values)
        label = info.label if info else color_by
        fig.add_trace(go.Scattergl(
            x=x[drawn], y=y[drawn], mode="markers", customdata=drawn[:, None],
            **hover_of(drawn), name=label, showlegend=False,
            marker=dict(size=size, color=values[drawn], colorscale=scale, cmin=cmin, cmax=cmax,
                        line=dict(width=0.5, color="white"),
                        colorbar=dict(title=dict(text=label + "<br>" + (direction_text(info)
                                                                        if info else ""),
                                                 side="right"), thickness=12))))
    if highlight_cluster is not None:
        members = np.flatnonzero((examples["cluster"].to_numpy() == highlight_cluster)
                                 & window.contains(x, y))
        ringed = sample_rows(examples, sample_points, seed, within=members)
        if len(ringed):
            shown = "" if len(ringed) == len(members) else f", {len(ringed):,} ringed"
            fig.add_trace(go.Scattergl(
                x=x[ringed], y=y[ringed], mode="markers", customdata=ringed[:, None],
                **hover_of(ringed, always=True),
                name=f"cluster {highlight_cluster} (highlighted; {len(members):,}{shown})",
                marker=dict(size=size + 5, color="rgba(0,0,0,0)",
                            line=dict(width=1.6, color=HIGHLIGHT_COLOR))))
    fig.add_layout_image(source=png_data_uri(rgba), xref="x", yref="y", x=window.x0,
                         y=window.y1, sizex=window.x1 - window.x0, sizey=window.y1 - window.y0,
                         sizing="stretch", layer="below", opacity=1.0)
    limits = bounds or window
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), template="plotly_white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0,
                    itemsizing="constant"),
        hoverlabel=dict(bgcolor="white", font_size=12, align="left"),
        uirevision=f"map-density-{window}",
        xaxis=dict(showticklabels=False, title=None, zeroline=False, showgrid=False,
                   range=[window.x0, window.x1], minallowed=limits.x0, maxallowed=limits.x1),
        yaxis=dict(showticklabels=False, title=None, zeroline=False, showgrid=False,
                   range=[window.y0, window.y1], minallowed=limits.y0, maxallowed=limits.y1))
    return MapView(fig, "density", window, len(in_view), len(drawn))


def map_view(examples: pd.DataFrame, color_by: str = "side", *, window: Window | None = None,
             points_up_to: int = MAP_POINTS_UP_TO, sample_points: int = SAMPLE_POINTS,
             seed: int = 0, highlight_cluster: int | None = None, height: int = 620,
             hover_prefixes_of: Callable[[np.ndarray], Sequence[str]] | None = None,
             hover_all: bool = True) -> MapView:
    """The map at any size.

    At most ``points_up_to`` rows and no ``window``: :func:`figures.map_figure`, unchanged.
    Otherwise the rows in ``window`` (default: all): as points (``map_figure`` on those rows,
    the axes fixed to the window) when they are at most ``points_up_to``, else
    :func:`density_figure`. ``hover_prefixes_of(positions)`` gives the costly part of the
    hover labels for those rows only (never for a million)."""
    n = len(examples)
    x = examples["x"].to_numpy(float)
    y = examples["y"].to_numpy(float)
    if window is None and n <= points_up_to:
        prefixes = hover_prefixes_of(np.arange(n)) if hover_prefixes_of is not None else None
        fig = map_figure(examples, color_by, highlight_cluster=highlight_cluster, height=height,
                         hover_prefixes=prefixes, hover_all=hover_all)
        return MapView(fig, "points", None, n, n)
    full = Window.around(x, y)
    window = full if window is None else window
    in_view = np.flatnonzero(window.contains(x, y))
    if len(in_view) <= points_up_to:
        sub = examples.iloc[in_view]
        prefixes = hover_prefixes_of(in_view) if hover_prefixes_of is not None else None
        fig = map_figure(sub, color_by, highlight_cluster=highlight_cluster, height=height,
                         hover_prefixes=prefixes, hover_all=hover_all)
        fig.update_layout(
            uirevision=f"map-points-{window}",
            xaxis=dict(range=[window.x0, window.x1], minallowed=window.x0, maxallowed=window.x1),
            yaxis=dict(range=[window.y0, window.y1], minallowed=window.y0, maxallowed=window.y1))
        return MapView(fig, "points", window, len(in_view), len(in_view))
    return density_figure(examples, color_by, window, sample_points=sample_points, seed=seed,
                          highlight_cluster=highlight_cluster, height=height,
                          hover_prefixes_of=hover_prefixes_of, hover=hover_all, bounds=window)
