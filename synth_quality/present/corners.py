"""Centre or corners, diversity and rounds as tables and plotly figures, for the Corners page
and the report. No Streamlit here.

Every figure is shown beside its no-difference range (``low``-``high``) and its reading; the
band chart draws each band's range as a grey bar-and-whisker beside the synthetic share.
"""

from __future__ import annotations

import html

import numpy as np
import pandas as pd

from synth_quality.present.wording import SIDE_COLORS

RANGE_COLOR = "#868e96"
LOWER, HIGHER = "lower than with no difference", "higher than with no difference"
#: Bar colours: inside the range (light orange), too few synthetic rows (red), too many (violet).
BAND_COLORS = {LOWER: "#c92a2a", HIGHER: "#7048e8", None: "#ffa94d"}


def _pct(x, digits: int = 0) -> str:
    return "" if x is None or not np.isfinite(x) else f"{x:.{digits}%}"


def _span(low, high, fmt: str = "{:.0%}") -> str:
    if low is None or high is None:
        return ""
    a, b = fmt.format(low), fmt.format(high)
    return a if a == b else f"{a}-{b}"


def band_table(block: dict | None) -> pd.DataFrame:
    """One row per density band: its radius range, real and synthetic rows, the synthetic
    share against no difference, coverage and keywords."""
    rows = []
    for b in (block or {}).get("bands") or []:
        rows.append({
            "band": b["band"],
            "radius": f"{b['radius_low']:.3f}-{b['radius_high']:.3f}",
            "real rows": b["n_real"], "synthetic rows": b["n_synthetic"],
            "synthetic share": _pct(b["synthetic_share"], 1),
            "with no difference": _span(b["low"], b["high"], "{:.1%}"),
            "reading": b["reading"] or "",
            "coverage": _pct(b["coverage"]),
            "coverage with no difference": _span(b["coverage_no_difference"]["low"],
                                                 b["coverage_no_difference"]["high"]),
            "keywords": ", ".join(b.get("keywords") or []),
        })
    return pd.DataFrame(rows)


def band_figure(block: dict, height: int = 380):
    """Bars: the share of synthetic rows whose nearest real row is in each band (band 1 = the
    densest tenth of the real rows), beside the range no difference gives (grey). Each bar
    carries its band as ``customdata[0]``."""
    import plotly.graph_objects as go

    bands = block["bands"]
    x = [b["band"] for b in bands]
    share = [b["synthetic_share"] for b in bands]
    mean = [b["mean"] for b in bands]
    colors = [BAND_COLORS.get(b["reading"], BAND_COLORS[None]) for b in bands]
    hover = [f"band {b['band']} of {block['n_bands']}: real rows with k-NN radius "
             f"{b['radius_low']:.3f}-{b['radius_high']:.3f}<br>"
             f"{b['n_synthetic']:,} synthetic rows ({_pct(b['synthetic_share'], 1)}); with no "
             f"difference {_span(b['low'], b['high'], '{:.1%}')}<br>{html.escape(b['reading'] or '')}"
             f"<br>keywords: {html.escape(', '.join((b.get('keywords') or [])[:5]))}"
             for b in bands]
    fig = go.Figure()
    fig.add_trace(go.Bar(x=x, y=share, name="synthetic rows next to the band",
                         marker_color=colors, customdata=np.array(x)[:, None], hovertext=hover,
                         hovertemplate="%{hovertext}<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=x, y=mean, mode="markers", name="with no difference (range)",
        marker=dict(color=RANGE_COLOR, symbol="line-ew-open", size=18, line=dict(width=3)),
        error_y=dict(type="data", symmetric=False,
                     array=[b["high"] - b["mean"] for b in bands],
                     arrayminus=[b["mean"] - b["low"] for b in bands],
                     color=RANGE_COLOR, thickness=2, width=8),
        hoverinfo="skip"))
    fig.add_hline(y=1 / block["n_bands"], line_dash="dot", line_color=SIDE_COLORS["real"],
                  annotation_text="real rows per band", annotation_position="top right")
    fig.update_layout(
        height=height, margin=dict(l=10, r=10, t=40, b=40), template="plotly_white",
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        xaxis=dict(title="density band of the real rows (1 = densest, "
                         f"{block['n_bands']} = rarest)", tickmode="linear", dtick=1,
                   fixedrange=True),
        yaxis=dict(title="share of the synthetic rows", tickformat=".0%", fixedrange=True),
        bargap=0.25)
    return fig


def curves_figure(block: dict, height: int = 340):
    """alpha-precision and beta-recall (Alaa et al. 2022), each against the curve of rows left
    out of their own side (dashed) and its range (shaded)."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "alpha-precision: synthetic rows inside the densest alpha of the real data",
        "beta-recall: real rows inside the densest beta of the synthetic data"))
    for col, (name, axis) in enumerate((("alpha_precision", "alpha"), ("beta_recall", "beta")),
                                       start=1):
        c = block[name]
        x = c[axis]
        fig.add_trace(go.Scatter(x=x + x[::-1], y=list(c["high"]) + list(c["low"])[::-1],
                                 fill="toself", fillcolor="rgba(134,142,150,0.2)",
                                 line=dict(width=0), hoverinfo="skip", showlegend=col == 1,
                                 name="range with no difference"), row=1, col=col)
        fig.add_trace(go.Scatter(x=x, y=c["mean"], mode="lines", line=dict(dash="dash",
                                                                           color=RANGE_COLOR),
                                 name="with no difference", showlegend=col == 1), row=1, col=col)
        fig.add_trace(go.Scatter(x=x, y=c["value"], mode="lines+markers",
                                 line=dict(color=SIDE_COLORS["synthetic"]),
                                 name="this audit", showlegend=col == 1), row=1, col=col)
        fig.update_xaxes(title_text=axis, range=[0, 1.02], row=1, col=col)
        fig.update_yaxes(tickformat=".0%", range=[0, 1.02], row=1, col=col)
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=50, b=40),
                      template="plotly_white", legend=dict(orientation="h", y=-0.25, x=0))
    fig.update_annotations(font_size=12)
    return fig


_DIVERSITY_FMT = {"vendi": "{:.1f}", "distinct_1": "{:.3f}", "distinct_2": "{:.3f}",
                  "compression_ratio": "{:.2f}", "self_bleu": "{:.3f}", "mauve": "{:.2f}"}


def _num(value, fmt) -> str:
    return "" if value is None or not np.isfinite(value) else fmt.format(value)


def diversity_table(div: dict | None) -> pd.DataFrame:
    """One row per measure and group (real, synthetic, each generator, each round): the value,
    its 95% interval, the range with no difference and the reading; MAUVE last."""
    if not div:
        return pd.DataFrame()
    rows = []
    groups = [("real", div["real"]), ("synthetic", div["synthetic"])]
    groups += [(f"generator {g}", e) for g, e in (div.get("by_generator") or {}).items()]
    groups += [(f"round {r}", e) for r, e in (div.get("by_round") or {}).items()]
    for group, entries in groups:
        for name, info in div["measures"].items():
            e = entries.get(name) or {}
            fmt = _DIVERSITY_FMT.get(name, "{:.3f}")
            ci = e.get("ci") or [None, None]
            rows.append({"group": group, "rows": entries.get("rows"), "measure": info["what"],
                         "value": _num(e.get("value"), fmt),
                         "95% interval": (f"{_num(ci[0], fmt)}-{_num(ci[1], fmt)}"
                                          if ci[0] is not None else ""),
                         "with no difference": ("the reference" if group == "real"
                                                else _span(e.get("low"), e.get("high"), fmt)),
                         "reading": e.get("reading") or "", "good when": info["good"]})
    m = div.get("mauve")
    if m:
        rows.append({"group": "real vs synthetic", "rows": m["rows"][0],
                     "measure": m["what"], "value": _num(m["value"], "{:.3f}"),
                     "95% interval": f"{m['ci'][0]:.3f}-{m['ci'][1]:.3f}",
                     "with no difference": _span(m["low"], m["high"], "{:.2f}"),
                     "reading": m["reading"] or "", "good when": "high"})
    return pd.DataFrame(rows)


def group_table(entries: dict | list, label: str) -> pd.DataFrame:
    """Rounds (a list) or generators (a dict): rows, tail and centre mass, coverage, recall,
    Vendi and distinct-2, each as "value (with no difference low-high)"."""
    items = ([(e["round"], e) for e in entries] if isinstance(entries, list)
             else list(entries.items()))
    rows = []
    for name, e in items:
        row = {label: name, "synthetic rows": e["n_synthetic"]}
        for key, title, fmt in (("tail_mass", "tail mass", "{:.1%}"),
                                ("centre_mass", "centre mass", "{:.1%}"),
                                ("coverage", "coverage", "{:.0%}"), ("recall", "recall", "{:.0%}"),
                                ("vendi", "Vendi", "{:.1f}"), ("distinct_2", "distinct-2", "{:.3f}")):
            f = e.get(key)
            if not f:
                continue
            mark = {LOWER: " ▼", HIGHER: " ▲"}.get(f.get("reading"), "")
            row[title] = (f"{_num(f.get('value'), fmt)}{mark} "
                          f"({_span(f.get('low'), f.get('high'), fmt)})")
        rows.append(row)
    return pd.DataFrame(rows)


def rounds_figure(rounds: list, height: int = 320):
    """The tail mass of each round beside its range with no difference: falling round after
    round is the signature of model collapse."""
    import plotly.graph_objects as go

    x = [f"round {r['round']}" for r in rounds]
    tail = [r["tail_mass"] for r in rounds]
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=x, y=[t["mean"] for t in tail], mode="markers", name="with no difference (range)",
        marker=dict(color=RANGE_COLOR, symbol="line-ew-open", size=18, line=dict(width=3)),
        error_y=dict(type="data", symmetric=False, array=[t["high"] - t["mean"] for t in tail],
                     arrayminus=[t["mean"] - t["low"] for t in tail], color=RANGE_COLOR),
        hoverinfo="skip"))
    fig.add_trace(go.Scatter(x=x, y=[t["value"] for t in tail], mode="lines+markers",
                             name="tail mass (synthetic rows next to the rarest real rows)",
                             line=dict(color=SIDE_COLORS["synthetic"], width=3)))
    fig.update_layout(height=height, margin=dict(l=10, r=10, t=30, b=30),
                      template="plotly_white", legend=dict(orientation="h", y=1.1, x=0),
                      yaxis=dict(tickformat=".0%", rangemode="tozero", fixedrange=True),
                      xaxis=dict(fixedrange=True))
    return fig
