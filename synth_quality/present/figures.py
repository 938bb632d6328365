"""The plotly figures of the dashboard and the report (the map and the clusters' shares) and
mapping a chart selection back to rows. No Streamlit here.

Row identity: a row of ``AuditResult.examples`` is identified by its position in that table
(``examples.index`` is a RangeIndex). Figures carry that position as ``customdata[0]`` of each
point, so a click, box or lasso maps back to rows whatever traces the figure is split into.
"""

from __future__ import annotations

import html
import textwrap
from typing import Sequence

import numpy as np
import pandas as pd

from synth_quality.present.wording import (
    BAND_PALETTE,
    CATEGORY_COLORS,
    CLUSTER_PALETTE,
    HIGHLIGHT_COLOR,
    NOISE_COLOR,
    ROW_SCORES,
    SIDE_COLORS,
    STATUS_TEXT,
    cluster_label,
    direction_text,
)


def selected_ids(selection: dict | None,
                 trace_ids: Sequence[Sequence[int]] | None = None) -> list[int]:
    """Row positions selected in a plotly chart event (click, box or lasso).

    Uses each point's ``customdata[0]`` (how this module's figures tag points); without it, the
    point's trace (``curve_number``) and ``point_index`` looked up in ``trace_ids``; without
    points at all (e.g. an injected event), ``point_indices`` into the first trace. Duplicates
    (a point in a highlight overlay and in its own trace) are dropped; order is kept.
    """
    if not selection:
        return []
    sel = selection["selection"] if "selection" in selection else selection
    out: list[int] = []
    points = sel["points"] if "points" in sel else []
    for p in points or []:
        custom = p.get("customdata") if isinstance(p, dict) else None
        if custom is not None and not isinstance(custom, (str, bytes)):
            if isinstance(custom, dict):   # a typed array arrives as {"0": value}
                value = custom.get("0", custom.get(0))
            else:
                value = custom[0] if isinstance(custom, (list, tuple)) else custom
            try:
                out.append(int(value))
                continue
            except (TypeError, ValueError):
                pass
        if trace_ids is not None and isinstance(p, dict):
            curve = int(p.get("curve_number", 0) or 0)
            index = p.get("point_index", p.get("point_number"))
            if index is not None and curve < len(trace_ids):
                out.append(int(trace_ids[curve][int(index)]))
    if not points:
        indices = sel["point_indices"] if "point_indices" in sel else []
        first = trace_ids[0] if trace_ids else None
        out.extend(int(first[i]) if first is not None else int(i) for i in indices or [])
    return list(dict.fromkeys(out))


def points_in_polygon(x: np.ndarray, y: np.ndarray,
                      polygon: Sequence[Sequence[float]]) -> np.ndarray:
    """Boolean mask of the points strictly inside a polygon (even-odd ray casting)."""
    x = np.asarray(x, float)
    y = np.asarray(y, float)
    poly = np.asarray(polygon, float)
    inside = np.zeros(len(x), bool)
    n = len(poly)
    for i in range(n):
        x1, y1 = poly[i]
        x2, y2 = poly[(i + 1) % n]
        crosses = (y1 > y) != (y2 > y)
        with np.errstate(divide="ignore", invalid="ignore"):
            x_at = (x2 - x1) * (y - y1) / (y2 - y1) + x1
        inside ^= crosses & (x < x_at)
    return inside


def hover_prefixes(examples: pd.DataFrame, width: int = 70, max_chars: int = 280) -> list[str]:
    """The part of each hover label that re-clustering does not change (the costly part: the
    text HTML-escaped, so plotly applies no tags, and wrapped; side, row, generator and
    category). :func:`hover_texts` appends the cluster and the label issue score."""
    out = []
    has_gen = "generator" in examples
    for row in examples.itertuples(index=False):
        text = str(row.text)
        if len(text) > max_chars:
            text = text[:max_chars - 1] + "…"
        lines = textwrap.wrap(text, width) or [""]
        body = "<br>".join(html.escape(line) for line in lines)
        who = f"{row.side} row {row.row}"
        gen = getattr(row, "generator", None) if has_gen else None
        if isinstance(gen, str) and gen:
            who += f" ({html.escape(gen)})"
        out.append(f"{body}<br><span style='color:#666'>{who} · {html.escape(str(row.category))}")
    return out


def hover_texts(examples: pd.DataFrame, prefixes: Sequence[str] | None = None, **kwargs) -> list[str]:
    """Hover labels: :func:`hover_prefixes` (or ``prefixes``, computed earlier for the same
    rows) then the cluster and the label issue score."""
    prefixes = hover_prefixes(examples, **kwargs) if prefixes is None else prefixes
    return [f"{p} · cluster {c} · label issue {s:.2f}</span>" for p, c, s in
            zip(prefixes, examples["cluster"].tolist(), examples["label_issue_score"].tolist())]


def _cluster_color(c: int) -> str:
    return NOISE_COLOR if c < 0 else CLUSTER_PALETTE[c % len(CLUSTER_PALETTE)]


def map_groups(examples: pd.DataFrame, color_by: str) -> list[tuple[str, np.ndarray, str]]:
    """(legend name, row positions, colour) per trace for a categorical colouring."""
    groups = []
    if color_by == "side":
        for side in ("real", "synthetic"):
            ids = np.flatnonzero((examples["side"] == side).to_numpy())
            if len(ids):
                groups.append((side, ids, SIDE_COLORS[side]))
    elif color_by == "category":
        for cat, color in CATEGORY_COLORS.items():
            ids = np.flatnonzero((examples["category"] == cat).to_numpy())
            if len(ids):
                groups.append((cat, ids, color))
    elif color_by == "cluster":
        labels = examples["cluster"].to_numpy()
        for c in sorted(set(labels.tolist()), key=lambda c: (c < 0, c)):
            ids = np.flatnonzero(labels == c)
            groups.append(("noise" if c < 0 else f"cluster {c}", ids, _cluster_color(c)))
    elif color_by == "density_band":
        bands = pd.to_numeric(examples["density_band"], errors="coerce").to_numpy(float)
        top = int(np.nanmax(bands)) if np.isfinite(bands).any() else 0
        for b in range(1, top + 1):
            ids = np.flatnonzero(bands == b)
            if len(ids):
                color = BAND_PALETTE[min(len(BAND_PALETTE) - 1,
                                         (b - 1) * len(BAND_PALETTE) // max(top, 1))]
                groups.append((f"band {b}", ids, color))
        missing = np.flatnonzero(~np.isfinite(bands))
        if len(missing):
            groups.append(("(none)", missing, NOISE_COLOR))
    elif color_by in ("generator", "label"):
        values = examples[color_by].astype(object)
        if color_by == "generator":
            real = np.flatnonzero((examples["side"] == "real").to_numpy())
            if len(real):
                groups.append(("real", real, SIDE_COLORS["real"]))
            values = values.where(examples["side"] != "real", "__real__")
        names = sorted({str(v) for v in values.dropna() if v != "__real__"})
        for i, name in enumerate(names):
            ids = np.flatnonzero(values.astype(str).to_numpy() == name)
            groups.append((name, ids, CLUSTER_PALETTE[(i + 1) % len(CLUSTER_PALETTE)]))
        missing = np.flatnonzero(values.isna().to_numpy())
        if len(missing):
            groups.append(("(none)", missing, NOISE_COLOR))
    else:
        raise ValueError(f"not a categorical colouring: {color_by!r}")
    return groups


def map_figure(examples: pd.DataFrame, color_by: str = "side", *,
               highlight_cluster: int | None = None, selected: Sequence[int] = (),
               height: int = 620, marker_size: float | None = None,
               hover_prefixes: Sequence[str] | None = None, hover_all: bool = True):
    """The 2-d UMAP scatter. Each point carries its row position as ``customdata[0]``.

    Categorical colourings make one trace per group (legend entries); a score makes one trace
    with a colour bar. ``highlight_cluster`` draws black rings around that cluster's points;
    ``selected`` rings rows picked elsewhere (e.g. by a filter). The figure has no ``dragmode``,
    so it starts in pan mode where a click selects a point. ``hover_prefixes`` (from
    :func:`hover_prefixes` on the same rows) saves most of the time it takes to build. With
    ``hover_all`` False only the ringed points show their text on hover: a small overview map
    then sends the browser a few hundred labels instead of every row's (3 MB at 10,000 rows).
    """
    import plotly.graph_objects as go

    n = len(examples)
    Scatter = go.Scattergl  # WebGL: smooth at 50k points
    size = marker_size or (6 if n <= 3000 else 4 if n <= 20000 else 3)
    hover = np.array(hover_texts(examples, hover_prefixes), dtype=object) if hover_all else None

    def hover_of(ids) -> dict:
        if hover is not None:
            return dict(hovertext=hover[ids], hovertemplate="%{hovertext}<extra></extra>")
        return dict(hoverinfo="skip")

    def ring_hover_of(ids) -> dict:
        if hover is not None:
            return hover_of(ids)
        prefixes = None if hover_prefixes is None else [hover_prefixes[i] for i in ids]
        texts = np.array(hover_texts(examples.iloc[ids], prefixes), dtype=object)
        return dict(hovertext=texts, hovertemplate="%{hovertext}<extra></extra>")
    xs = examples["x"].to_numpy(float)
    ys = examples["y"].to_numpy(float)
    # Row identity: the examples' index (positions in the audit's table, a RangeIndex), so that
    # a subset of the rows (the rows in a zoomed-in region) keeps its rows' positions.
    positions = examples.index.to_numpy()
    fig = go.Figure()
    if color_by in ROW_SCORES or (color_by in examples and color_by not in
                                  ("side", "category", "cluster", "generator", "label",
                                   "density_band")):
        info = ROW_SCORES.get(color_by)
        values = pd.to_numeric(examples[color_by], errors="coerce").to_numpy(float)
        scale, cmin, cmax = score_scale(color_by, values)
        missing = np.flatnonzero(~np.isfinite(values))
        if len(missing):
            fig.add_trace(Scatter(
                x=xs[missing], y=ys[missing], mode="markers",
                customdata=positions[missing][:, None],
                **hover_of(missing), name=f"no value ({len(missing):,})",
                marker=dict(size=size, color=NOISE_COLOR)))
        shown = np.flatnonzero(np.isfinite(values))
        xs_s, ys_s, positions_s = xs[shown], ys[shown], positions[shown]
        fig.add_trace(Scatter(
            x=xs_s, y=ys_s, mode="markers", customdata=positions_s[:, None],
            **hover_of(positions_s),
            name=info.label if info else color_by,
            marker=dict(size=size, color=values[shown], colorscale=scale, cmin=cmin, cmax=cmax,
                        colorbar=dict(title=dict(text=(info.label if info else color_by)
                                                 + "<br>" + (direction_text(info) if info else ""),
                                                 side="right"), thickness=12)),
            showlegend=False))
    else:
        for name, ids, color in map_groups(examples, color_by):
            # Legend names can come from the data (generator, label): escape them.
            fig.add_trace(Scatter(
                x=xs[ids], y=ys[ids], mode="markers",
                name=f"{html.escape(name)} ({len(ids):,})",
                customdata=positions[ids][:, None], **hover_of(ids),
                marker=dict(size=size, color=color, opacity=0.8 if n > 3000 else 0.85)))
    ring_sets = []
    if highlight_cluster is not None:
        ring_sets.append((f"cluster {highlight_cluster} (highlighted)",
                          np.flatnonzero((examples["cluster"] == highlight_cluster).to_numpy()),
                          HIGHLIGHT_COLOR))
    if len(selected):
        ring_sets.append(("selected rows",
                          np.flatnonzero(np.isin(positions, [int(i) for i in selected])),
                          "#0b7285"))
    for name, ids, color in ring_sets:
        if not len(ids):
            continue
        fig.add_trace(Scatter(
            x=xs[ids], y=ys[ids], mode="markers", name=f"{name} ({len(ids):,})",
            customdata=positions[ids][:, None], **ring_hover_of(ids),
            marker=dict(size=size + 5, color="rgba(0,0,0,0)", line=dict(width=1.6, color=color))))
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=30, b=10), template="plotly_white",
        legend=dict(orientation="h", yanchor="bottom", y=1.0, xanchor="left", x=0,
                    itemsizing="constant"),
        hoverlabel=dict(bgcolor="white", font_size=12, align="left"),
        uirevision="map", xaxis=dict(showticklabels=False, title=None, zeroline=False),
        yaxis=dict(showticklabels=False, title=None, zeroline=False))
    return fig


def score_scale(color_by: str, values: np.ndarray) -> tuple[str, float, float]:
    """(plotly colour scale, cmin, cmax) of a score colouring: bad = dark red whichever the
    direction, so the eye goes to problems; rarity (neither direction bad) on Viridis over its
    1st-99th percentiles."""
    scale = "Reds_r" if color_by in ("label_issue_score",) else "Reds"
    if color_by in ("p_synthetic", "coverage_score"):
        scale = "RdBu_r"
    cmin, cmax = 0, 1
    if color_by == "rarity_score":   # neither direction is bad: typical dark, rare light
        scale = "Viridis"
        finite = values[np.isfinite(values)]
        if len(finite):
            cmin, cmax = (float(v) for v in np.quantile(finite, [0.01, 0.99]))
    return scale, cmin, cmax


def _plotly_array(value) -> np.ndarray:
    """A plotly data array as numpy, also in plotly's base64 typed-array form
    (``{"dtype": ..., "bdata": ..., "shape": ...}``, what a pickled figure holds)."""
    if isinstance(value, dict) and "bdata" in value:
        import base64

        arr = np.frombuffer(base64.b64decode(value["bdata"]), dtype=value["dtype"])
        shape = value.get("shape")
        if shape:
            arr = arr.reshape([int(s) for s in str(shape).split(",")])
        return arr
    return np.asarray(value)


def figure_trace_ids(fig) -> list[list[int]]:
    """Row positions of each trace of a :func:`map_figure`, read from ``customdata``."""
    out = []
    for trace in fig.data:
        custom = trace.customdata
        if custom is None:
            out.append([])
            continue
        arr = _plotly_array(custom)
        out.append([int(v) for v in (arr[:, 0] if arr.ndim == 2 else arr)])
    return out


def cluster_share_figure(clusters: pd.DataFrame, *, selected: int | None = None,
                         height: int | None = None):
    """Horizontal stacked bars: each cluster's real and synthetic share, with the overall real
    share as a dashed line. Clusters keep the table's order (one-sided modes first); each bar
    carries its cluster id as ``customdata[0]``."""
    import plotly.graph_objects as go

    table = clusters.reset_index(drop=True)
    labels = [html.escape(cluster_label(r)) for r in table.to_dict("records")]
    ids = table["cluster"].to_numpy(int)
    overall = float(table["expected_real_share"].iloc[0]) if len(table) else 0.0
    status = table["status"].map(STATUS_TEXT).fillna("").tolist()
    custom = np.column_stack([ids, table["size"].to_numpy(), table["n_real"].to_numpy(),
                              table["n_synthetic"].to_numpy()]) if len(table) else None
    hover = [f"{lab}<br>{html.escape(st)}<br>real {r:,} · synthetic {s:,}"
             f"<br>adjusted p = {p:.2g}"
             for lab, st, r, s, p in zip(labels, status, table["n_real"], table["n_synthetic"],
                                         table["p_adjusted"])]
    fig = go.Figure()
    fig.add_trace(go.Bar(y=labels, x=table["real_share"], orientation="h", name="real share",
                         marker_color=SIDE_COLORS["real"], customdata=custom, hovertext=hover,
                         hovertemplate="%{hovertext}<br>real share %{x:.0%}<extra></extra>"))
    fig.add_trace(go.Bar(y=labels, x=1 - table["real_share"], orientation="h",
                         name="synthetic share", marker_color=SIDE_COLORS["synthetic"],
                         customdata=custom, hovertext=hover,
                         hovertemplate="%{hovertext}<br>synthetic share %{x:.0%}<extra></extra>"))
    fig.add_vline(x=overall, line_dash="dash", line_color="#212529",
                  annotation_text=f"overall real share {overall:.0%}",
                  annotation_position="top")
    if selected is not None and selected in set(ids.tolist()):
        i = int(np.flatnonzero(ids == selected)[0])
        fig.add_shape(type="rect", xref="paper", x0=-0.005, x1=1.005, yref="y",
                      y0=i - 0.5, y1=i + 0.5, line=dict(color="#000", width=2.5))
    fig.update_layout(
        barmode="stack", height=height or max(260, 26 * len(table) + 110),
        margin=dict(l=10, r=10, t=50, b=30), template="plotly_white",
        legend=dict(orientation="h", yanchor="bottom", y=1.04, x=0, traceorder="normal"),
        xaxis=dict(range=[0, 1], tickformat=".0%", title="share of the cluster's rows",
                   fixedrange=True),
        yaxis=dict(autorange="reversed", title=None, type="category", fixedrange=True),
        uirevision="clusters")
    return fig
