"""A self-contained HTML report of an audit, for stakeholders.

``to_html(result)`` returns one HTML document that opens by double-click and works offline:
plotly's JavaScript is embedded once, inline (no CDN), and the figures follow as plain
``Plotly.newPlot`` calls. It holds the verdict, the scores with their meaning and which
direction is bad, the surface artifacts, the map, the clusters, and the top examples of each
category. The page is the Jinja2 template ``templates/report.html.j2``, rendered with
autoescaping on: every piece of text that comes from the data (texts, generator and label
values, file and column names, keywords) is escaped by Jinja2; plotly's JSON escapes ``<`` and
``>`` as well, so a row holding ``</script>`` cannot end a script block.
"""

from __future__ import annotations

import datetime as _dt
import math
from pathlib import Path

import numpy as np
import pandas as pd

from synth_quality.present import corners as corners_view
from synth_quality.present import lift as lift_view
from synth_quality.present.figures import cluster_share_figure, hover_prefixes, map_figure
from synth_quality.present.filters import sort_examples
from synth_quality.present.tables import (
    artifact_table,
    band_text,
    clusters_display,
    count_table,
    generator_table,
    reading_text,
    reference_table,
)
from synth_quality.present.wording import (
    CATEGORY_INFO,
    DATASET_SCORES,
    SUPPORT_SCORES,
    direction_text,
    format_value,
)
from synth_quality.schema import Summary

#: Points drawn on the report's map at most (a random, seeded subset above this).
MAX_MAP_POINTS = 20_000
#: Clusters drawn in the report's cluster chart at most (all are in its table).
MAX_CLUSTER_BARS = 40


def _text(value) -> str:
    """A value as text ("" for None and NaN); Jinja2 escapes it."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def _num(value, fmt: str = "{:.2f}") -> str:
    try:
        value = float(value)
    except (TypeError, ValueError):
        return _text(value)
    return "" if not math.isfinite(value) else fmt.format(value)


def _table(frame: pd.DataFrame, *, numeric: dict[str, str] | None = None,
           text_columns: tuple[str, ...] = ("text",)) -> dict:
    """A table for the template's ``table`` macro: ``head`` and ``rows`` of cells (text, CSS
    class, side pill)."""
    numeric = numeric or {}
    rows = []
    for row in frame.itertuples(index=False):
        cells = []
        for col, value in zip(frame.columns, row):
            cell = {"text": _text(value), "cls": "", "pill": ""}
            if col in numeric:
                cell.update(text=_num(value, numeric[col]), cls="num")
            elif col == "side" and value in ("real", "synthetic"):
                cell["pill"] = value
            elif col in text_columns:
                cell["cls"] = "text"
            elif isinstance(value, (list, tuple, np.ndarray)):
                cell["text"] = ", ".join(map(str, value))
            cells.append(cell)
        rows.append(cells)
    return {"head": [str(c) for c in frame.columns], "rows": rows}


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


def _score_cards(summary: Summary) -> list[dict]:
    auc = SUPPORT_SCORES["detection_auc"]
    lo, hi = summary.detection_auc_ci
    ci_text = f"95% CI {lo:.2f}-{hi:.2f}. " if lo is not None and hi is not None else ""
    cards = [{"label": auc.label, "value": format_value(auc, summary.detection_auc),
              "bad": direction_text(auc), "meaning": ci_text + auc.meaning,
              "band": _band_line(summary, "detection_auc", auc.fmt)}]
    for key, info in DATASET_SCORES.items():
        cards.append({"label": info.label, "value": format_value(info, getattr(summary, key)),
                      "bad": direction_text(info), "meaning": info.meaning,
                      "band": _band_line(summary, key, info.fmt)})
    return cards


def _band_line(summary: Summary, key: str, fmt: str) -> str:
    """"With no difference 0.47 to 0.53: expected even with no difference" ("" without)."""
    span = band_text(summary, key, fmt)
    return f"With no difference {span}: {reading_text(summary, key)}" if span else ""


def _support_table(summary: Summary) -> dict:
    rows = [{"measure": info.label, "value": format_value(info, getattr(summary, key)),
             "with no difference": band_text(summary, key, info.fmt),
             "reading": reading_text(summary, key), "bad when": info.bad,
             "meaning": info.meaning}
            for key, info in SUPPORT_SCORES.items() if key != "detection_auc"]
    return _table(pd.DataFrame(rows))


def _reference(summary: Summary) -> dict | None:
    """Every figure against no difference, and how the reference was made."""
    table = reference_table(summary)
    if not len(table):
        return None
    method = summary.no_difference.method
    return {"table": _table(table.drop(columns="key")),
            "method": [f"{k}: {v}" for k, v in method.items()],
            "outside": int((table["reading"] != "expected even with no difference").sum()),
            "total": len(table)}


def _counts(summary: Summary) -> dict:
    rows = [{"count": label, "value": value, "meaning": help_}
            for label, value, help_ in count_table(summary)]
    return _table(pd.DataFrame(rows))


#: How each category's rows are ordered in the report: (column, ascending).
_CATEGORY_ORDER = {"unrealistic synthetic": ("label_issue_score", True),
                   "underrepresented real": ("label_issue_score", True),
                   "outlier": ("outlier_score", False),
                   "realistic synthetic": ("label_issue_score", False),
                   "well-covered real": ("label_issue_score", False)}


def _example_parts(examples: pd.DataFrame, n: int) -> list[dict]:
    """One part per category (title, note, table or None), then degenerate rows and copies."""
    parts = []
    cols = [c for c in ("side", "row", "text", "generator", "label", "cluster",
                        "label_issue_score", "outlier_score", "reason") if c in examples]
    for category, sentence in CATEGORY_INFO.items():
        part = examples[examples["category"] == category]
        by, asc = _CATEGORY_ORDER[category]
        top = sort_examples(part, by, asc).head(n)
        order = "Worst first." if asc or category == "outlier" else "Best first."
        parts.append({"title": f"{category.capitalize()} ({len(part):,} rows)",
                      "note": f"{sentence}. {order}",
                      "table": _table(top[cols], numeric={"label_issue_score": "{:.3f}",
                                                          "outlier_score": "{:.2f}"})
                      if len(top) else None})
    syn = examples[examples["side"] == "synthetic"]
    for title, frame, by, asc in (
            ("Degenerate synthetic rows", syn[syn["is_degenerate"]], "repetition_score", False),
            ("Synthetic rows that copy a real row", syn[syn["is_copy_of_real"]],
             "nearest_real_similarity", False)):
        if len(frame):
            top = sort_examples(frame, by, asc).head(n)
            extra = [c for c in ("side", "row", "text", "generator", by, "nearest_real_row")
                     if c in top]
            parts.append({"title": f"{title} ({len(frame):,} rows)", "note": "",
                          "table": _table(top[extra], numeric={by: "{:.2f}"})})
    return parts


def _labels_context(summary: Summary, examples: pd.DataFrame, n: int) -> dict | None:
    """The "Labels" section: issue shares per side and generator, balance, worst rows."""
    labels = summary.labels.model_dump() if summary.labels is not None else {}
    if not labels or "label_quality" not in examples:
        return None
    shares = []
    for name, block in [("real rows (reference)", labels.get("real") or {}),
                        ("synthetic rows", labels.get("synthetic") or {}),
                        *[(f"generator {g}", b) for g, b in
                          (labels.get("by_generator") or {}).items()]]:
        if block.get("n_judged"):
            shares.append({"rows": name, "judged": block["n_judged"],
                           "label issues": block["n_label_issues"],
                           "share": block["label_issue_share"],
                           "mean label quality": block["mean_label_quality"]})
    band = labels.get("synthetic_no_difference") or {}
    if band.get("reading") and shares:
        for entry in shares:
            entry["with no difference"] = (f"{band['low']:.0%}-{band['high']:.0%}: "
                                           f"{band['reading']}"
                                           if entry["rows"] == "synthetic rows" else "")
    balance = labels.get("balance") or {}
    classes = balance.get("classes") or []
    bal_rows = [{"rows": name, **{c: (part or {}).get(c) for c in classes}}
                for name, part in [("real", balance.get("real")),
                                   ("synthetic", balance.get("synthetic")),
                                   *[(f"generator {g}", b) for g, b in
                                     (balance.get("by_generator") or {}).items()]]]
    worst = examples[examples["is_label_issue"].fillna(False).astype(bool)]
    cols = [c for c in ("side", "row", "text", "generator", "label", "predicted_label",
                        "label_quality", "label_evidence") if c in worst]
    top = sort_examples(worst[worst["side"] == "synthetic"], "label_quality", True).head(n)
    return {
        "shares": _table(pd.DataFrame(shares), numeric={"share": "{:.1%}",
                                                        "mean label quality": "{:.2f}"}),
        "balance": _table(pd.DataFrame(bal_rows), numeric={c: "{:.0%}" for c in classes})
        if classes else None,
        "worst": _table(top[cols], numeric={"label_quality": "{:.3f}"}) if len(top) else None,
        "evidence": _text(labels.get("evidence", "")),
        "notes": [_text(x) for x in labels.get("notes") or []],
    }


def _inputs_text(summary: Summary) -> str:
    inputs = summary.inputs
    sources = ", ".join(s.path for s in inputs.sources if s.path)
    bits = [f"text column {inputs.text_column!s}"]
    if inputs.label_column is not None:
        bits.append(f"label column {inputs.label_column}")
    if inputs.generator_column is not None:
        bits.append(f"generator column {inputs.generator_column}")
    return (f"Inputs: {sources or 'tables'} ({'; '.join(bits)}). "
            f"{summary.n_real:,} real and {summary.n_synthetic:,} synthetic rows.")


def _lift_context(lift) -> dict:
    """The real-data control's part: verdict, the three models' scores, the lift, per generator."""
    s = lift_view.lift_summary_of(lift)
    level = lift_view.lift_level(s)
    m = s.get("metric_name") or s.get("metric", "score")
    scores = pd.DataFrame([{"model": h["label"], "training rows": h["n_train"],
                            m: h["value"], f"{level} interval": h["interval"]}
                           for h in lift_view.lift_headline(s)[:3]])
    ev = s.get("eval") or {}
    out = {"headline": _text(s.get("verdict_sentence", "")),
           "verdict_sentence": _text(s.get("verdict_sentence", s.get("verdict", ""))),
           "model": _text(s.get("model", "a logistic regression on the embeddings")),
           "n_eval": f"{int(ev.get('n_rows') or 0):,}", "eval_source": _text(ev.get("source", "")),
           "level": level, "scores": _table(scores, numeric={"training rows": "{:,.0f}"}),
           "text": lift_view.lift_text(s),
           "scores_div": _figure_div(lift_view.lift_scores_figure(s), "sq-lift-scores"),
           "generators": None, "more_findings": list((s.get("findings") or [])[1:])}
    if s.get("per_generator"):
        out["generators_div"] = _figure_div(lift_view.lift_generator_figure(s),
                                            "sq-lift-generators")
        out["generators"] = _table(lift_view.lift_generator_table(s),
                                   numeric={"score": "{:.3f}", "lift": "{:+.3f}",
                                            "p value": "{:.3f}", "synthetic rows": "{:,.0f}"})
    return out


def _corners_context(summary: dict) -> dict | None:
    """Centre or corners, diversity, rounds and generators: sentences, charts and tables."""
    block = summary.get("centre_vs_corners")
    if not block:
        return None
    div = summary.get("diversity")
    rounds = summary.get("rounds") or {}
    out = {"sentence": _text(block["sentence"]),
           "bands_div": _figure_div(corners_view.band_figure(block), "sq-bands"),
           "bands": _table(corners_view.band_table(block), text_columns=("keywords",)),
           "curves_div": _figure_div(corners_view.curves_figure(block), "sq-curves"),
           "diversity_sentence": _text((div or {}).get("sentence", "")),
           "diversity": _table(corners_view.diversity_table(div)) if div else None,
           "warning": _text((rounds.get("warning") or "").removeprefix("synth-quality: ")),
           "rounds": None, "rounds_div": None, "generators": None}
    if rounds.get("by_round"):
        out["rounds_div"] = _figure_div(corners_view.rounds_figure(rounds["by_round"]),
                                        "sq-rounds")
        out["rounds"] = _table(corners_view.group_table(rounds["by_round"], "round"))
    if rounds.get("by_generator"):
        out["generators"] = _table(corners_view.group_table(rounds["by_generator"], "generator"))
    return out


def _environment():
    """The Jinja2 environment of the package's templates (autoescaping on for .j2 files)."""
    import jinja2

    return jinja2.Environment(loader=jinja2.PackageLoader("synth_quality.report", "templates"),
                              autoescape=True, trim_blocks=True, lstrip_blocks=True,
                              undefined=jinja2.StrictUndefined)


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
        A result of the real-data control (``synth_quality.lift.run.run_lift``, or its
        ``lift.json`` read as a dict): adds its verdict under the audit's and a "Lift" section
        (the three models' scores with intervals, the lift, the lift per generator).
    """
    from plotly.offline import get_plotlyjs

    summary, examples, clusters = result.facts, result.examples, result.clusters
    versions = summary.versions
    map_fig, n_drawn = _map_figure(examples, int(summary.random_state or 0))
    timings = summary.timings
    context = {
        "title": title, "plotly_js": get_plotlyjs(),
        "generated": (generated or _dt.datetime.now()).strftime("%Y-%m-%d %H:%M"),
        "version": _text(versions.get("synth-quality") or versions.get("synth_quality") or ""),
        "inputs_text": _inputs_text(summary), "verdict": _text(summary.verdict),
        "lift": None if lift is None else _lift_context(lift),
        "cards": _score_cards(summary), "support": _support_table(summary),
        "counts": _counts(summary), "reference": _reference(summary),
        "second_view": _text(summary.second_view.sentence if summary.second_view else ""),
        "map_note": ("" if n_drawn == len(examples) else
                     f" The map shows a random {n_drawn:,} of the {len(examples):,} rows."),
        "map_div": _figure_div(map_fig, "sq-map"),
        "clusters_note": (f" The chart shows the first {MAX_CLUSTER_BARS} of {len(clusters)} "
                          "clusters." if len(clusters) > MAX_CLUSTER_BARS else ""),
        "clusters_div": _figure_div(cluster_share_figure(clusters.head(MAX_CLUSTER_BARS)),
                                    "sq-clusters"),
        "clusters": _table(clusters_display(clusters),
                           numeric={"real_share": "{:.0%}", "expected_real_share": "{:.0%}",
                                    "real_enrichment": "{:.2f}", "p_adjusted": "{:.2g}"},
                           text_columns=("keywords", "status_reason")),
        "example_parts": _example_parts(examples, n_examples),
        "labels": _labels_context(summary, examples, n_examples),
        # Issue 18's blocks are read from the summary as written (absent from older audits).
        "corners": _corners_context(result.summary),
        "warnings": [_text(w) for w in summary.warnings],
        "model": _text(summary.embedding.model),
        "prior": _text(summary.prior),
        "random_state": _text(summary.random_state),
        "took": f" The audit took {timings['total']:.0f} s." if "total" in timings else "",
    }
    artifacts = artifact_table(summary)
    context["artifacts"] = (_table(artifacts, numeric={"AUC alone": "{:.2f}", "real": "{:.2f}",
                                                       "synthetic": "{:.2f}"},
                                   text_columns=("finding",)) if len(artifacts) else None)
    generators = generator_table(summary)
    context["generators"] = (_table(generators, numeric={
        "detection AUC": "{:.3f}", "unrealistic": "{:.2f}", "unvaried": "{:.0%}",
        "unoriginal": "{:.0%}", "precision": "{:.0%}", "label issues": "{:.1%}"})
        if len(generators) else None)
    return _environment().get_template("report.html.j2").render(**context)


def write_html(result, path, **kwargs) -> Path:
    """Write :func:`to_html` to ``path`` (UTF-8) and return the path."""
    path = Path(path)
    path.write_text(to_html(result, **kwargs), encoding="utf-8")
    return path
