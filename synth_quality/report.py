"""A self-contained HTML report of an audit, for stakeholders.

``to_html(result)`` returns one HTML document that opens by double-click and works offline:
plotly's JavaScript is embedded once, inline (no CDN), and the figures follow as plain
``Plotly.newPlot`` calls. It holds the verdict, the scores with their meaning and which
direction is bad, the surface artifacts, the map, the clusters, and the top examples of each
category. Every piece of text that comes from the data (texts, generator and label values, file
and column names, keywords) goes through :func:`html.escape`; plotly's JSON escapes ``<`` and
``>`` as well, so a row holding ``</script>`` cannot end a script block.
"""

from __future__ import annotations

import datetime as _dt
import html
import math
from pathlib import Path

import numpy as np
import pandas as pd

from synth_quality.present import lift as lift_view
from synth_quality.present.figures import cluster_share_figure, hover_prefixes, map_figure
from synth_quality.present.filters import sort_examples
from synth_quality.present.tables import (
    artifact_table,
    clusters_display,
    count_table,
    generator_table,
)
from synth_quality.present.wording import (
    CATEGORY_INFO,
    DATASET_SCORES,
    SUPPORT_SCORES,
    direction_text,
    format_value,
)

#: Points drawn on the report's map at most (a random, seeded subset above this).
MAX_MAP_POINTS = 20_000

_CSS = """
:root { --real: #1971c2; --syn: #e8590c; --ink: #212529; --muted: #6c757d; --line: #dee2e6; }
* { box-sizing: border-box; }
body { font-family: -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
       color: var(--ink); margin: 0 auto; max-width: 1180px; padding: 24px 32px 64px;
       line-height: 1.45; font-size: 15px; }
h1 { font-size: 28px; margin: 0 0 4px; }
h2 { font-size: 21px; margin: 36px 0 8px; border-bottom: 2px solid var(--line);
     padding-bottom: 4px; }
h3 { font-size: 16px; margin: 20px 0 6px; }
.meta, .note { color: var(--muted); font-size: 13px; }
.verdict { background: #f1f3f5; border-left: 5px solid var(--ink); padding: 14px 18px;
           font-size: 17px; margin: 16px 0; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(250px, 1fr)); gap: 12px; }
.card { border: 1px solid var(--line); border-radius: 8px; padding: 12px 14px; }
.card .value { font-size: 26px; font-weight: 600; }
.card .label { font-weight: 600; }
.card .bad { font-size: 12px; color: #c92a2a; }
.card p { margin: 6px 0 0; font-size: 13px; color: #495057; }
table { border-collapse: collapse; width: 100%; margin: 8px 0; font-size: 13px; }
th, td { border-bottom: 1px solid var(--line); padding: 5px 8px; text-align: left;
         vertical-align: top; }
th { background: #f8f9fa; position: sticky; top: 0; }
td.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
td.text { white-space: pre-wrap; word-break: break-word; max-width: 640px; }
.pill { display: inline-block; border-radius: 10px; padding: 0 8px; font-size: 12px; color: #fff; }
.real { background: var(--real); } .synthetic { background: var(--syn); }
.plot { width: 100%; }
@media print { .plot { break-inside: avoid; } h2 { break-after: avoid; } }
"""


def _e(value) -> str:
    """Escape anything for HTML text and attributes."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return html.escape(str(value), quote=True)


def _num(value, fmt: str = "{:.2f}") -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return _e(value)
    return "" if not math.isfinite(value) else fmt.format(value)


def _table(frame: pd.DataFrame, *, numeric: dict[str, str] | None = None,
           text_columns: tuple[str, ...] = ("text",)) -> str:
    numeric = numeric or {}
    head = "".join(f"<th>{_e(c)}</th>" for c in frame.columns)
    body = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row):
            if col in numeric:
                cells.append(f'<td class="num">{_num(value, numeric[col])}</td>')
            elif col == "side" and value in ("real", "synthetic"):
                cells.append(f'<td><span class="pill {value}">{_e(value)}</span></td>')
            elif col in text_columns:
                cells.append(f'<td class="text">{_e(value)}</td>')
            elif isinstance(value, (list, tuple, np.ndarray)):
                cells.append(f"<td>{_e(', '.join(map(str, value)))}</td>")
            else:
                cells.append(f"<td>{_e(value)}</td>")
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


def _figure_div(fig, div_id: str) -> str:
    import plotly.io as pio

    return pio.to_html(fig, include_plotlyjs=False, full_html=False, div_id=div_id,
                       config={"displaylogo": False, "responsive": True})


def _map_figure(examples: pd.DataFrame, seed: int = 0):
    """Map with buttons to colour by side or by category (both trace sets, one visible)."""
    import plotly.graph_objects as go

    if len(examples) > MAX_MAP_POINTS:
        keep = np.sort(np.random.default_rng(seed).choice(len(examples), MAX_MAP_POINTS,
                                                          replace=False))
        examples = examples.iloc[keep]
    examples = examples.reset_index(drop=True)
    prefixes = hover_prefixes(examples)  # once for both maps
    by_side = map_figure(examples, "side", height=600, hover_prefixes=prefixes)
    by_cat = map_figure(examples, "category", height=600, hover_prefixes=prefixes)
    fig = go.Figure(layout=by_side.layout)
    n_side = len(by_side.data)
    for trace in by_side.data:
        fig.add_trace(trace)
    for trace in by_cat.data:
        trace.visible = False
        fig.add_trace(trace)
    total = len(fig.data)
    fig.update_layout(updatemenus=[dict(
        type="buttons", direction="right", x=1, xanchor="right", y=1.12, yanchor="top",
        buttons=[
            dict(label="Colour by side", method="update",
                 args=[{"visible": [i < n_side for i in range(total)]}]),
            dict(label="Colour by category", method="update",
                 args=[{"visible": [i >= n_side for i in range(total)]}]),
        ])], margin=dict(t=70), legend=dict(y=1.02))
    return fig, len(examples)


def _score_cards(summary: dict) -> str:
    cards = []
    auc = SUPPORT_SCORES["detection_auc"]
    ci = summary.get("detection_auc_ci") or [None, None]
    ci_text = (f"95% CI {ci[0]:.2f}-{ci[1]:.2f}. " if ci[0] is not None and ci[1] is not None
               else "")
    cards.append(f'<div class="card"><div class="label">{auc.label}</div>'
                 f'<div class="value">{format_value(auc, summary.get("detection_auc"))}'
                 f'</div><div class="bad">{_e(direction_text(auc))}</div>'
                 f"<p>{_e(ci_text + auc.meaning)}</p></div>")
    for key, info in DATASET_SCORES.items():
        cards.append(f'<div class="card"><div class="label">{_e(info.label)}</div>'
                     f'<div class="value">{format_value(info, summary.get(key))}</div>'
                     f'<div class="bad">{_e(direction_text(info))}</div>'
                     f"<p>{_e(info.meaning)}</p></div>")
    return '<div class="cards">' + "".join(cards) + "</div>"


def _support_table(summary: dict) -> str:
    rows = []
    for key, info in SUPPORT_SCORES.items():
        if key == "detection_auc":
            continue
        rows.append({"measure": info.label, "value": format_value(info, summary.get(key)),
                     "bad when": info.bad, "meaning": info.meaning})
    return _table(pd.DataFrame(rows))


def _counts(summary: dict) -> str:
    rows = [{"count": label, "value": value, "meaning": help_}
            for label, value, help_ in count_table(summary)]
    return _table(pd.DataFrame(rows))


def _examples_section(examples: pd.DataFrame, n: int) -> str:
    parts = []
    sort = {"unrealistic synthetic": ("label_issue_score", True),
            "underrepresented real": ("label_issue_score", True),
            "outlier": ("outlier_score", False),
            "realistic synthetic": ("label_issue_score", False),
            "well-covered real": ("label_issue_score", False)}
    cols = [c for c in ("side", "row", "text", "generator", "label", "cluster",
                        "label_issue_score", "outlier_score", "reason") if c in examples]
    for category, sentence in CATEGORY_INFO.items():
        part = examples[examples["category"] == category]
        by, asc = sort[category]
        top = sort_examples(part, by, asc).head(n)
        parts.append(f"<h3>{_e(category.capitalize())} ({len(part):,} rows)</h3>"
                     f'<p class="note">{_e(sentence)}. '
                     f"{'Worst first.' if asc or category == 'outlier' else 'Best first.'}"
                     "</p>")
        parts.append(_table(top[cols], numeric={"label_issue_score": "{:.3f}",
                                                "outlier_score": "{:.2f}"})
                     if len(top) else '<p class="note">none</p>')
    syn = examples[examples["side"] == "synthetic"]
    for title, frame, by, asc in (
            ("Degenerate synthetic rows", syn[syn["is_degenerate"]], "repetition_score", False),
            ("Synthetic rows that copy a real row", syn[syn["is_copy_of_real"]],
             "nearest_real_similarity", False)):
        if len(frame):
            top = sort_examples(frame, by, asc).head(n)
            extra = [c for c in ("side", "row", "text", "generator", by, "nearest_real_row")
                     if c in top]
            parts.append(f"<h3>{_e(title)} ({len(frame):,} rows)</h3>")
            parts.append(_table(top[extra], numeric={by: "{:.2f}"}))
    return "".join(parts)


def _inputs_text(summary: dict) -> str:
    inputs = summary.get("inputs") or {}
    sources = ", ".join(str(s.get("path")) for s in inputs.get("sources", []) if s.get("path"))
    bits = [f"text column {inputs.get('text_column')!s}"]
    if inputs.get("label_column"):
        bits.append(f"label column {inputs['label_column']}")
    if inputs.get("generator_column"):
        bits.append(f"generator column {inputs['generator_column']}")
    return (f"Inputs: {sources or 'tables'} ({'; '.join(bits)}). "
            f"{summary.get('n_real', 0):,} real and {summary.get('n_synthetic', 0):,} "
            "synthetic rows.")


def _lift_section(lift) -> list[str]:
    """The real-data control: verdict, the three models' scores, the lift, per generator."""
    s = lift_view.lift_summary_of(lift)
    level = lift_view.lift_level(s)
    m = s.get("metric_name") or s.get("metric", "score")
    heads = lift_view.lift_headline(s)
    scores = pd.DataFrame([{"model": h["label"], "training rows": h["n_train"],
                            m: h["value"], f"{level} interval": h["interval"]}
                           for h in heads[:3]])
    ev = s.get("eval") or {}
    body = ['<h2 id="sq-lift">Lift: does the synthetic data help a real task?</h2>',
            '<p class="note">The real-data control: the same classifier ('
            + _e(s.get("model", "a logistic regression on the embeddings"))
            + ") is trained on the real training rows only, on real + synthetic rows and on the "
            f"synthetic rows only, and each is scored on {int(ev.get('n_rows') or 0):,} real "
            "evaluation rows (" + _e(ev.get("source", "")) + ") it never saw. Lift = score of "
            "real + synthetic minus score of real only: above 0 = the synthetic data helps, "
            f"below 0 = it hurts. Higher scores are better; intervals are {level} intervals."
            "</p>",
            f'<div class="verdict">{_e(s.get("verdict_sentence", s.get("verdict", "")))}</div>',
            _table(scores, numeric={"training rows": "{:,.0f}"}),
            f"<p>{_e(lift_view.lift_text(s))}</p>",
            f'<div class="plot">{_figure_div(lift_view.lift_scores_figure(s), "sq-lift-scores")}'
            "</div>"]
    if s.get("per_generator"):
        body += ["<h3>Lift per generator</h3>",
                 '<p class="note">The lift of real + one generator\'s synthetic rows over real '
                 f"only (bars = {level} interval; right of 0 = helps; colour = verdict: green "
                 "helps, grey no significant lift, red hurts).</p>",
                 '<div class="plot">'
                 + _figure_div(lift_view.lift_generator_figure(s), "sq-lift-generators")
                 + "</div>",
                 _table(lift_view.lift_generator_table(s),
                        numeric={"score": "{:.3f}", "lift": "{:+.3f}", "p value": "{:.3f}",
                                 "synthetic rows": "{:,.0f}"})]
    more = list((s.get("findings") or [])[1:])
    if more:
        body += ["<h3>More findings of the control</h3>",
                 "<ul>" + "".join(f"<li>{_e(f)}</li>" for f in more) + "</ul>"]
    return body


def to_html(result, *, title: str = "Synthetic data audit", n_examples: int = 8,
            generated: _dt.datetime | None = None, lift=None) -> str:
    """The report as one self-contained HTML document (a str).

    Parameters
    ----------
    result : AuditResult
    title : str, default "Synthetic data audit"
        Shown as the heading and the page title (escaped).
    n_examples : int, default 8
        Rows shown per category.
    generated : datetime, optional
        The time printed as "generated"; defaults to now.
    lift : LiftResult or dict, optional
        A result of the real-data control (``synth_quality.lift.run_lift``, or its
        ``lift.json`` read as a dict): adds its verdict under the audit's and a "Lift" section
        (the three models' scores with intervals, the lift, the lift per generator).
    """
    from plotly.offline import get_plotlyjs

    summary = result.summary
    examples = result.examples
    clusters = result.clusters
    when = (generated or _dt.datetime.now()).strftime("%Y-%m-%d %H:%M")
    versions = summary.get("versions") or {}
    version = versions.get("synth-quality") or versions.get("synth_quality") or ""

    map_fig, n_drawn = _map_figure(examples, int(summary.get("random_state") or 0))
    map_note = ("" if n_drawn == len(examples) else
                f" The map shows a random {n_drawn:,} of the {len(examples):,} rows.")
    top_clusters = clusters.head(40)
    cluster_fig = cluster_share_figure(top_clusters)
    cluster_cols = clusters_display(clusters)
    artifacts = artifact_table(summary)
    generators = generator_table(summary)
    warnings = list(summary.get("warnings") or getattr(result, "warnings", []) or [])

    body = [f"<h1>{_e(title)}</h1>",
            f'<div class="meta">Generated {when} by synth-quality {_e(version)}. '
            f"{_e(_inputs_text(summary))}</div>",
            "<h2>Verdict</h2>",
            f'<div class="verdict">{_e(summary.get("verdict", ""))}</div>',
            *([] if lift is None else [
                '<div class="verdict"><strong>Real-data control:</strong> '
                + _e(lift_view.lift_summary_of(lift).get("verdict_sentence", ""))
                + " (see the Lift section below)</div>"]),
            "<h2>Scores</h2>",
            '<p class="note">All four dataset scores are in [0, 1] and high is bad. For '
            "unrealistic and unrepresentative, 0.5 already means the sides cannot be told apart."
            "</p>",
            _score_cards(summary),
            "<h3>Supporting measures</h3>", _support_table(summary),
            "<h3>Counts</h3>", _counts(summary)]
    if len(artifacts):
        body += ["<h2>Surface artifacts</h2>",
                 '<p class="note">Can one trivial feature (casing, tokenisation, length...) tell '
                 "the sides apart? AUC alone: 0.5 = no, 1.0 = perfectly; at 0.75 or more the "
                 "feature separates the sides, so part of any detectability is formatting, not "
                 "content.</p>",
                 _table(artifacts, numeric={"AUC alone": "{:.2f}", "real": "{:.2f}",
                                            "synthetic": "{:.2f}"}, text_columns=("finding",))]
    body += ["<h2>Map</h2>",
             '<p class="note">Each point is a row, placed by UMAP from its sentence embedding: '
             "similar texts sit close together. Blue = real, orange = synthetic; regions of one "
             "colour are modes the other side misses. Hover a point to read its text; use the "
             "buttons to colour by category." + _e(map_note) + "</p>",
             f'<div class="plot">{_figure_div(map_fig, "sq-map")}</div>',
             "<h2>Clusters</h2>",
             '<p class="note">HDBSCAN clusters of the embeddings. Each bar splits a cluster into '
             "its real (blue) and synthetic (orange) share; the dashed line is the overall real "
             "share. Clusters that only one side covers come first (bad: a missed or an "
             "invented mode); p-values are Holm-adjusted binomial tests of the real share."
             + (f" The chart shows the first 40 of {len(clusters)} clusters." if len(clusters) > 40
                else "") + "</p>",
             f'<div class="plot">{_figure_div(cluster_fig, "sq-clusters")}</div>',
             _table(cluster_cols, numeric={"real_share": "{:.0%}", "expected_real_share": "{:.0%}",
                                           "real_enrichment": "{:.2f}", "p_adjusted": "{:.2g}"},
                    text_columns=("keywords", "status_reason")),
             "<h2>Top examples per category</h2>",
             '<p class="note">Label issue score: how much the classifier doubts the row\'s own '
             "side (low = bad, 0.5 = cannot tell). Outlier score: high = isolated.</p>",
             _examples_section(examples, n_examples)]
    if len(generators):
        body += ["<h2>By generator</h2>",
                 '<p class="note">Each generator\'s synthetic rows against all real rows. '
                 "Detection AUC, unrealistic, unvaried, unoriginal: high = bad; precision: low = "
                 "bad.</p>",
                 _table(generators, numeric={"detection AUC": "{:.3f}", "unrealistic": "{:.2f}",
                                             "unvaried": "{:.0%}", "unoriginal": "{:.0%}",
                                             "precision": "{:.0%}"})]
    if lift is not None:
        body += _lift_section(lift)
    if warnings:
        items = "".join(f"<li>{_e(w)}</li>" for w in warnings)
        body += ["<h2>Notes</h2>", f"<ul>{items}</ul>"]
    timings = summary.get("timings") or {}
    body += ["<h2>How this was measured</h2>",
             '<p class="note">Texts are embedded with ' + _e((summary.get("embedding") or {})
                                                            .get("model", "a sentence model"))
             + "; a logistic regression predicts each row's side out of fold (every row is scored "
             "by a model that never saw it); k-nearest-neighbour balls give coverage, precision "
             "and copies; UMAP draws the map and HDBSCAN finds the clusters. "
             + _e(summary.get("prior", "")) + ". Random state "
             + _e(summary.get("random_state")) + "."
             + (f" The audit took {timings['total']:.0f} s." if "total" in timings else "")
             + "</p>"]

    return ("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{_e(title)}</title>\n"
            '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
            f"<style>{_CSS}</style>\n"
            f'<script type="text/javascript">{get_plotlyjs()}</script>\n'
            "</head>\n<body>\n" + "\n".join(body) + "\n</body>\n</html>\n")


def write_html(result, path, **kwargs) -> Path:
    """Write :func:`to_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(to_html(result, **kwargs), encoding="utf-8")
    return path
