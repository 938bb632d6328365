"""The Lift page's view layer: the real-data control's tables, figures and sentences.

Everything the Lift page and the report's lift section show of a
:class:`~synth_quality.lift.result.LiftResult`: the audit's rows as the control's inputs
(:func:`lift_inputs`, :func:`lift_embed_config`), one progress bar over ``run_lift``'s stages
(:class:`LiftProgressTracker`), the headline numbers, the score and lift tables and figures per
model, generator and share of synthetic rows, filter-and-retest against random drops, and the
evaluation set's details, each in plain words. Like the rest of :mod:`synth_quality.present` (whose
colours and progress tracker it reuses) it never imports streamlit: functions take the summary dict
(``lift.json``) and return plain values, DataFrames and plotly figures
(``tests/test_lift_page.py``).
"""

from __future__ import annotations

import html
import math

import numpy as np
import pandas as pd

from synth_quality.present.progress import STAGE_TEXT, STAGE_UNIT, ProgressTracker
from synth_quality.present.wording import SIDE_COLORS
from synth_quality.progress import Stage

#: The three models of the real-data control, in the order they are shown.
LIFT_MODELS = {"real_only": "Real only", "real_plus_synthetic": "Real + synthetic",
               "synthetic_only": "Synthetic only"}
LIFT_MODEL_COLORS = {"real_only": SIDE_COLORS["real"], "real_plus_synthetic": "#7048e8",
                     "synthetic_only": SIDE_COLORS["synthetic"]}
LIFT_VERDICT_COLORS = {"helps": "#2f9e44", "no significant lift": "#868e96", "hurts": "#e03131"}
#: What each verdict means, in one sentence.
LIFT_VERDICT_MEANING = {
    "helps": "helps: the whole interval of the lift is above 0, so adding the synthetic rows "
             "improves the real task by more than chance explains.",
    "no significant lift": "no significant lift: the interval of the lift includes 0, so the "
                           "difference is within what chance alone (which real rows happen to "
                           "be evaluated, which training rows the model happened to see) "
                           "produces. It shows neither that the synthetic data helps nor that "
                           "it hurts; a larger real evaluation set narrows the interval.",
    "hurts": "hurts: the whole interval of the lift is below 0, so adding the synthetic rows "
             "makes the model worse on real data by more than chance explains.",
}
#: Filter-and-retest signals: (name, how it ranks the synthetic rows, worst first).
LIFT_SIGNALS = {
    "label_issue": ("Label issue", "the detector's label issue score, lowest first: the rows "
                                   "most obviously synthetic"),
    "outlier": ("Outlier", "the outlier score, highest first: the most isolated rows"),
    "duplicate": ("Duplicate", "copies of real rows first, then redundant members of "
                               "near-duplicate groups"),
    "degeneration": ("Degeneration", "the repetition score, highest first: repetition loops "
                                     "and stutters"),
}
LIFT_SIGNAL_COLOR = "#7048e8"
LIFT_RANDOM_COLOR = "#868e96"

#: Stages of ``run_lift`` for one overall progress bar, with a rough share of the time.
LIFT_STAGE_WEIGHTS = {Stage.LOADING: 0.02, Stage.EMBEDDING: 0.2, Stage.LEAKAGE: 0.03,
                      Stage.RANKING: 0.05, Stage.LIFT: 0.65}
LIFT_STAGE_TEXT = {**STAGE_TEXT,
                   Stage.EMBEDDING: "Embedding the texts (texts the audit embedded come from "
                                    "the cache)"}


class LiftProgressTracker(ProgressTracker):
    """:class:`ProgressTracker` for ``run_lift``'s stages: "Training the classifiers: 40 / 135
    model fits (stage 5 of 5)". The bootstrap after the last fit gives no ticks."""

    def __init__(self):
        self.stages = list(LIFT_STAGE_WEIGHTS)
        self.fraction = 0.0

    def update(self, stage: str, done: int, total: int | None) -> tuple[float, str]:
        known = stage in LIFT_STAGE_WEIGHTS
        before = (sum(LIFT_STAGE_WEIGHTS[s] for s in self.stages[:self.stages.index(stage)])
                  if known else self.fraction)
        part = min(max(done / total, 0.0), 1.0) if total else (1.0 if done else 0.0)
        self.fraction = max(self.fraction,
                            min(1.0, before + LIFT_STAGE_WEIGHTS.get(stage, 0.0) * part))
        name = LIFT_STAGE_TEXT.get(stage, stage.capitalize())
        number = (f" (stage {self.stages.index(stage) + 1} of {len(self.stages)})" if known
                  else "")
        if total:
            unit = STAGE_UNIT.get(stage, "steps")
            return self.fraction, f"{name}: {done:,} / {total:,} {unit}{number}"
        return self.fraction, f"{name}: done{number}" if done else f"{name} ...{number}"


def _missing(value) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA


def audit_has_labels(examples: pd.DataFrame) -> bool:
    """True when the audit's rows carry a task label on both sides (the lift control needs it)."""
    if "label" not in examples or "side" not in examples:
        return False
    labelled = examples["label"].map(lambda v: not _missing(v) and str(v).strip() != "")
    return all(bool(labelled[examples["side"] == s].any()) for s in ("real", "synthetic"))


def lift_inputs(examples: pd.DataFrame, summary: dict | None = None):
    """The audit's rows as the :class:`~synth_quality.io.AuditInput` ``run_lift`` takes.

    Keeps each row's ``side`` and input ``row`` number, so the audit's examples table ranks
    the same rows for filter-and-retest. Labels and generators become str, missing ones None.
    Raises InputDataError when the audit has no label column.
    """
    from synth_quality.errors import InputDataError
    from synth_quality.io import AuditInput

    if not audit_has_labels(examples):
        raise InputDataError("this audit has no task label column on both sides; re-run the "
                             "audit with --label-column (e.g. --label-column sentiment)")
    info = dict((summary or {}).get("inputs") or {})
    real_first = examples.assign(_order=(examples["side"] != "real").astype(int))
    ordered = real_first.sort_values(["_order", "row"], kind="stable")

    def as_str(values: pd.Series) -> list:
        return [None if _missing(v) or str(v).strip() == "" else str(v) for v in values]

    frame = pd.DataFrame({"side": ordered["side"].astype(str).to_numpy(object),
                          "row": ordered["row"].to_numpy(np.int64),
                          "text": ordered["text"].astype(str).to_numpy(object),
                          "label": pd.Series(as_str(ordered["label"]), dtype=object)})
    generator_column = None
    if "generator" in ordered:
        gens = as_str(ordered["generator"])
        gens = [g if s == "synthetic" else None for g, s in zip(gens, frame["side"])]
        if any(g is not None for g in gens):
            frame["generator"] = pd.Series(gens, dtype=object)
            generator_column = info.get("generator_column") or "generator"
    return AuditInput(frame=frame.reset_index(drop=True),
                      text_column=info.get("text_column") or "text",
                      label_column=info.get("label_column") or "label",
                      generator_column=generator_column,
                      real_value=info.get("real_value"),
                      sources=list(info.get("sources") or []),
                      blank_rows={"real": [], "synthetic": []},
                      duplicate_texts=dict(info.get("duplicate_texts") or {}))


def lift_embed_config(summary: dict | None):
    """The audit's embedding settings (same model, same cache: nothing embedded twice)."""
    import dataclasses

    from synth_quality.config import EmbedConfig

    given = dict(((summary or {}).get("config") or {}).get("embed") or {})
    known = {f.name for f in dataclasses.fields(EmbedConfig)}
    try:
        return EmbedConfig(**{k: v for k, v in given.items() if k in known})
    except Exception:  # an odd saved config: the defaults are what the audit most likely used
        return EmbedConfig()


def lift_mismatch(summary: dict, examples: pd.DataFrame) -> str | None:
    """A warning when a lift result does not seem to belong to this audit's rows, else None."""
    if not audit_has_labels(examples):
        return None
    syn = examples[examples["side"] == "synthetic"]
    n_syn = int(syn["label"].map(lambda v: not _missing(v)).sum())
    got = summary.get("n_train_synthetic")
    if got is not None and int(got) != n_syn:
        return (f"This lift result was trained on {int(got):,} synthetic rows but the audit has "
                f"{n_syn:,} labelled synthetic rows: it may come from other data.")
    return None


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def lift_number(x, signed: bool = False) -> str:
    """A score (0.812) or a lift (+0.012); "n/a" when missing."""
    if not _finite(x):
        return "n/a"
    return f"{float(x):+.3f}" if signed else f"{float(x):.3f}"


def lift_level(summary: dict) -> str:
    """The confidence level of the intervals, e.g. "95%"."""
    alpha = (summary.get("config") or {}).get("alpha", 0.05)
    return f"{1 - float(alpha):.0%}"


def lift_interval(ci, signed: bool = True) -> str:
    """"-0.010 to +0.034" (or "n/a")."""
    lo, hi = (list(ci) + [None, None])[:2] if ci is not None else (None, None)
    if not (_finite(lo) and _finite(hi)):
        return "n/a"
    return f"{lift_number(lo, signed)} to {lift_number(hi, signed)}"


def _half_width(ci) -> float | None:
    if ci is None or len(ci) < 2 or not (_finite(ci[0]) and _finite(ci[1])):
        return None
    return (float(ci[1]) - float(ci[0])) / 2


def lift_headline(summary: dict) -> list[dict]:
    """The headline numbers: one dict per model (label, score, ci, interval text, n training
    rows) and one for the lift."""
    n_real = int(summary.get("n_train_real") or 0)
    n_syn = int(summary.get("n_train_synthetic") or 0)
    rows = {"real_only": n_real, "real_plus_synthetic": n_real + n_syn, "synthetic_only": n_syn}
    out = []
    for key, label in LIFT_MODELS.items():
        ci = summary.get(f"{key}_ci")
        out.append({"key": key, "label": label, "value": lift_number(summary.get(key)),
                    "score": summary.get(key), "ci": ci, "interval": lift_interval(ci, False),
                    "n_train": rows[key]})
    out.append({"key": "lift", "label": "Lift", "value": lift_number(summary.get("lift"), True),
                "score": summary.get("lift"), "ci": summary.get("lift_ci"),
                "interval": lift_interval(summary.get("lift_ci")), "n_train": None})
    return out


def lift_score_table(summary: dict) -> pd.DataFrame:
    """The three models' scores on the real evaluation rows, every metric, with intervals."""
    metrics = summary.get("metrics") or {}
    n_real = int(summary.get("n_train_real") or 0)
    n_syn = int(summary.get("n_train_synthetic") or 0)
    n_train = {"real_only": n_real, "real_plus_synthetic": n_real + n_syn,
               "synthetic_only": n_syn}
    level = lift_level(summary)
    rows = []
    for key, label in LIFT_MODELS.items():
        row = {"model": label, "training rows": n_train[key]}
        for metric, name in (("accuracy", "accuracy"), ("macro_f1", "macro-F1"), ("auc", "AUC")):
            entry = (metrics.get(key) or {}).get(metric) or {}
            if metric == "auc" and not _finite(entry.get("score")):
                continue
            row[name] = entry.get("score")
            row[f"{name} {level} interval"] = lift_interval(entry.get("ci"), False)
        rows.append(row)
    return pd.DataFrame(rows)


def lift_text(summary: dict) -> str:
    """The lift in words, with its interval and what its verdict means."""
    m = summary.get("metric_name") or summary.get("metric", "score")
    level = lift_level(summary)
    ci = summary.get("lift_ci")
    verdict = summary.get("verdict", "no significant lift")
    p = summary.get("p_value")
    text = (f"Lift = {m} of real + synthetic minus {m} of real only = "
            f"{lift_number(summary.get('lift'), True)} ({level} interval {lift_interval(ci)}"
            + (f"; p = {float(p):.2g}" if _finite(p) else "") + "). "
            f"Verdict: {LIFT_VERDICT_MEANING.get(verdict, verdict)}")
    half = _half_width(ci)
    n_eval = ((summary.get("eval") or {}).get("n_rows"))
    if half is not None and n_eval:
        text += (f" With {int(n_eval):,} real evaluation rows, a lift smaller than about "
                 f"+-{half:.3f} cannot be told from chance.")
    return text


def lift_scores_figure(summary: dict, height: int = 280):
    """Each model's score on the real evaluation rows as a point with its interval."""
    import plotly.graph_objects as go

    m = summary.get("metric_name") or summary.get("metric", "score")
    level = lift_level(summary)
    n_eval = int((summary.get("eval") or {}).get("n_rows") or 0)
    fig = go.Figure()
    for row in lift_headline(summary)[:3]:
        score, ci = row["score"], row["ci"] or [None, None]
        if not _finite(score):
            continue
        err = None
        if _finite(ci[0]) and _finite(ci[1]):
            err = dict(type="data", symmetric=False, array=[float(ci[1]) - float(score)],
                       arrayminus=[float(score) - float(ci[0])], thickness=2, width=8)
        fig.add_trace(go.Scatter(
            x=[float(score)], y=[row["label"]], mode="markers", name=row["label"],
            marker=dict(size=14, color=LIFT_MODEL_COLORS[row["key"]]), error_x=err,
            hovertemplate=(f"{row['label']}: {m} %{{x:.3f}}<br>{level} interval "
                           f"{row['interval']}<br>{row['n_train']:,} training rows"
                           "<extra></extra>")))
    base = summary.get("real_only")
    if _finite(base):
        fig.add_vline(x=float(base), line_dash="dash", line_color="#495057",
                      annotation_text="real-only score", annotation_position="top")
    fig.update_layout(
        height=height, template="plotly_white", showlegend=False,
        margin=dict(l=10, r=20, t=40, b=50),
        xaxis=dict(title=f"{m} on {n_eval:,} real evaluation rows (higher = better; "
                         f"bars = {level} interval)", fixedrange=True),
        yaxis=dict(categoryorder="array", categoryarray=list(LIFT_MODELS.values())[::-1],
                   fixedrange=True))
    return fig


def _lift_points_figure(labels, lifts, cis, verdicts, hovers, x_title, height):
    import plotly.graph_objects as go

    fig = go.Figure()
    for verdict, color in LIFT_VERDICT_COLORS.items():
        idx = [i for i, v in enumerate(verdicts) if v == verdict and _finite(lifts[i])]
        if not idx:
            continue
        hi = [float(cis[i][1]) - float(lifts[i]) if _finite((cis[i] or [0, None])[1]) else 0
              for i in idx]
        lo = [float(lifts[i]) - float(cis[i][0]) if _finite((cis[i] or [None])[0]) else 0
              for i in idx]
        fig.add_trace(go.Scatter(
            x=[float(lifts[i]) for i in idx], y=[labels[i] for i in idx], mode="markers",
            name=verdict, marker=dict(size=13, color=color),
            error_x=dict(type="data", symmetric=False, array=hi, arrayminus=lo, thickness=2,
                         width=7),
            hovertext=[hovers[i] for i in idx], hovertemplate="%{hovertext}<extra></extra>"))
    fig.add_vline(x=0, line_dash="dash", line_color="#495057",
                  annotation_text="0 = no change", annotation_position="top")
    fig.update_layout(
        height=height, template="plotly_white", margin=dict(l=10, r=20, t=60, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.08, x=0, title="verdict: "),
        xaxis=dict(title=x_title, fixedrange=True, zeroline=False),
        yaxis=dict(categoryorder="array", categoryarray=labels[::-1], fixedrange=True))
    return fig


def lift_generator_table(summary: dict) -> pd.DataFrame:
    """Lift of real + each generator's rows over real only."""
    level = lift_level(summary)
    rows = []
    for name, g in (summary.get("per_generator") or {}).items():
        rows.append({"generator": str(name), "synthetic rows": g.get("n_synthetic"),
                     "score": g.get("score"), "lift": g.get("lift"),
                     f"{level} interval": lift_interval(g.get("lift_ci")),
                     "p value": g.get("p_value"), "verdict": g.get("verdict")})
    return pd.DataFrame(rows, columns=["generator", "synthetic rows", "score", "lift",
                                       f"{level} interval", "p value", "verdict"])


def lift_generator_figure(summary: dict):
    """Lift per generator (and of all synthetic rows) with intervals, coloured by verdict."""
    m = summary.get("metric_name") or "score"
    level = lift_level(summary)
    gens = summary.get("per_generator") or {}
    labels = [f"all synthetic rows ({int(summary.get('n_train_synthetic') or 0):,})"]
    lifts = [summary.get("lift")]
    cis = [summary.get("lift_ci") or [None, None]]
    verdicts = [summary.get("verdict")]
    for name, g in gens.items():
        # Generator names come from the data: escaped, plotly would apply tags.
        labels.append(f"{html.escape(str(name))} ({int(g.get('n_synthetic') or 0):,})")
        lifts.append(g.get("lift"))
        cis.append(g.get("lift_ci") or [None, None])
        verdicts.append(g.get("verdict"))
    hovers = [f"{lab}<br>lift {lift_number(v, True)}<br>{level} interval {lift_interval(c)}"
              f"<br>{html.escape(str(d))}" for lab, v, c, d in zip(labels, lifts, cis, verdicts)]
    return _lift_points_figure(
        labels, lifts, cis, verdicts, hovers,
        f"lift in {m} over real only (right of 0 = helps; bars = {level} interval)",
        max(220, 48 * len(labels) + 130))


def how_much_table(summary: dict) -> pd.DataFrame:
    level = lift_level(summary)
    rows = [{"share of synthetic rows": e.get("fraction"), "synthetic rows": e.get("n_synthetic"),
             "score": e.get("score"), "lift": e.get("lift"),
             f"{level} interval": lift_interval(e.get("lift_ci")), "verdict": e.get("verdict")}
            for e in summary.get("how_much") or []]
    return pd.DataFrame(rows, columns=["share of synthetic rows", "synthetic rows", "score",
                                       "lift", f"{level} interval", "verdict"])


def _band(fig, xs, lows, highs, color, name):
    import plotly.graph_objects as go

    pts = [(x, lo, hi) for x, lo, hi in zip(xs, lows, highs) if _finite(lo) and _finite(hi)]
    if len(pts) < 2:
        return
    x = [p[0] for p in pts]
    fig.add_trace(go.Scatter(
        x=x + x[::-1], y=[p[2] for p in pts] + [p[1] for p in pts][::-1], fill="toself",
        mode="lines", fillcolor=color, line=dict(width=0), hoverinfo="skip", name=name,
        showlegend=True))


def how_much_figure(summary: dict, height: int = 360):
    """Lift against the share of the synthetic rows added, with its interval as a band."""
    import plotly.graph_objects as go

    m = summary.get("metric_name") or "score"
    level = lift_level(summary)
    curve = sorted(summary.get("how_much") or [], key=lambda e: e.get("fraction") or 0)
    xs = [0.0] + [100 * float(e["fraction"]) for e in curve]
    ys = [0.0] + [e.get("lift") for e in curve]
    cis = [[0.0, 0.0]] + [e.get("lift_ci") or [None, None] for e in curve]
    fig = go.Figure()
    _band(fig, xs, [c[0] for c in cis], [c[1] for c in cis], "rgba(112,72,232,0.18)",
          f"{level} interval")
    colors = [LIFT_VERDICT_COLORS["no significant lift"]] + [
        LIFT_VERDICT_COLORS.get(e.get("verdict"), LIFT_RANDOM_COLOR) for e in curve]
    hovers = ["0% = real only (the reference)"] + [
        f"{100 * e['fraction']:.0f}% of the synthetic rows ({int(e.get('n_synthetic') or 0):,})"
        f"<br>lift {lift_number(e.get('lift'), True)}<br>{level} interval "
        f"{lift_interval(e.get('lift_ci'))}<br>{e.get('verdict')}" for e in curve]
    fig.add_trace(go.Scatter(
        x=xs, y=[float(y) if _finite(y) else None for y in ys], mode="lines+markers",
        name="lift", line=dict(color=LIFT_SIGNAL_COLOR, width=2),
        marker=dict(size=11, color=colors, line=dict(color="#fff", width=1)),
        hovertext=hovers, hovertemplate="%{hovertext}<extra></extra>"))
    fig.add_hline(y=0, line_dash="dash", line_color="#495057",
                  annotation_text="0 = same as real only", annotation_position="bottom right")
    fig.update_layout(
        height=height, template="plotly_white", margin=dict(l=10, r=20, t=40, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        xaxis=dict(title="share of the synthetic rows added to the real training rows (%)",
                   range=[-3, 103], ticksuffix="%", fixedrange=True),
        yaxis=dict(title=f"lift in {m} (above 0 = helps)", fixedrange=True, zeroline=False))
    return fig


def filter_retest_table(summary: dict, signal: str) -> pd.DataFrame:
    """One signal's drops against random drops of the same size."""
    level = lift_level(summary)
    rows = []
    for e in (summary.get("filter_and_retest") or {}).get(signal, []):
        rows.append({"dropped %": e.get("percent"), "rows dropped": e.get("n_dropped"),
                     "score": e.get("score"), "lift": e.get("lift"),
                     f"lift {level} interval": lift_interval(e.get("lift_ci")),
                     "random: score": e.get("random_mean"),
                     "random: lift": e.get("random_lift"),
                     f"random: lift {level} interval": lift_interval(e.get("random_lift_ci")),
                     "signal minus random": e.get("vs_random"),
                     f"difference {level} interval": lift_interval(e.get("vs_random_ci")),
                     "against random": e.get("vs_random_verdict")})
    return pd.DataFrame(rows)


def filter_retest_figure(summary: dict, signal: str, y: str = "lift", height: int = 380):
    """Dropping the worst k% by ``signal`` against dropping k% at random.

    ``y="lift"``: the lift over real only (signal with its interval, random mean with its
    interval as a band); ``y="score"``: the score itself (the random band is the interval of the
    random drops' score; dashed lines mark the real-only and the real + synthetic scores).
    x = 0 is real + all the synthetic rows.
    """
    import plotly.graph_objects as go

    m = summary.get("metric_name") or "score"
    level = lift_level(summary)
    rows = sorted((summary.get("filter_and_retest") or {}).get(signal, []),
                  key=lambda e: e.get("percent") or 0)
    name = LIFT_SIGNALS.get(signal, (signal, ""))[0]
    head_lift, head_ci = summary.get("lift"), summary.get("lift_ci") or [None, None]
    head_score = summary.get("real_plus_synthetic")
    xs = [0.0] + [float(e["percent"]) for e in rows]
    fig = go.Figure()
    if y == "score":
        sig_y = [head_score] + [e.get("score") for e in rows]
        sig_err = None
        rnd_y = [head_score] + [e.get("random_mean") for e in rows]
        rnd_ci = [[None, None]] + [e.get("random_ci") or [None, None] for e in rows]
        rnd_ci[0] = summary.get("real_plus_synthetic_ci") or [None, None]
        y_title = f"{m} on the real evaluation rows (higher = better)"
    else:
        sig_y = [head_lift] + [e.get("lift") for e in rows]
        sig_ci = [head_ci] + [e.get("lift_ci") or [None, None] for e in rows]
        sig_err = dict(
            type="data", symmetric=False, thickness=1.5, width=6,
            array=[float(c[1]) - float(v) if _finite(c[1]) and _finite(v) else 0
                   for v, c in zip(sig_y, sig_ci)],
            arrayminus=[float(v) - float(c[0]) if _finite(c[0]) and _finite(v) else 0
                        for v, c in zip(sig_y, sig_ci)])
        rnd_y = [head_lift] + [e.get("random_lift") for e in rows]
        rnd_ci = [head_ci] + [e.get("random_lift_ci") or [None, None] for e in rows]
        y_title = f"lift in {m} over real only (above 0 = helps)"
    _band(fig, xs, [c[0] for c in rnd_ci], [c[1] for c in rnd_ci], "rgba(134,142,150,0.22)",
          f"random drops: {level} interval")
    fig.add_trace(go.Scatter(
        x=xs, y=[float(v) if _finite(v) else None for v in rnd_y], mode="lines+markers",
        name="random drops (mean)", line=dict(color=LIFT_RANDOM_COLOR, width=2, dash="dot"),
        marker=dict(size=7, color=LIFT_RANDOM_COLOR),
        hovertemplate="drop %{x:g}% at random<br>%{y:.3f}<extra></extra>"))
    beats = [""] + ["beats random" if e.get("beats_random") else
                    ("worse than random" if e.get("vs_random_verdict") == "worse than random"
                     else "") for e in rows]
    hovers = ["nothing dropped: real + all synthetic rows"] + [
        f"drop the worst {e['percent']:g}% by {name} ({int(e.get('n_dropped') or 0):,} rows)"
        f"<br>score {lift_number(e.get('score'))}, lift {lift_number(e.get('lift'), True)}"
        f"<br>against random: {e.get('vs_random_verdict')} "
        f"({lift_number(e.get('vs_random'), True)}, {level} interval "
        f"{lift_interval(e.get('vs_random_ci'))})" for e in rows]
    fig.add_trace(go.Scatter(
        x=xs, y=[float(v) if _finite(v) else None for v in sig_y], mode="lines+markers+text",
        name=f"drop the worst by {name}", line=dict(color=LIFT_SIGNAL_COLOR, width=2.5),
        marker=dict(size=10, color=LIFT_SIGNAL_COLOR), error_y=sig_err, text=beats,
        textposition="top center", textfont=dict(color=LIFT_VERDICT_COLORS["helps"]),
        hovertext=hovers, hovertemplate="%{hovertext}<extra></extra>"))
    if y == "score":
        for key, label in (("real_only", "real only"), ("real_plus_synthetic",
                                                        "real + all synthetic")):
            if _finite(summary.get(key)):
                fig.add_hline(y=float(summary[key]), line_dash="dash",
                              line_color=LIFT_MODEL_COLORS[key], annotation_text=label,
                              annotation_position="bottom right")
    else:
        fig.add_hline(y=0, line_dash="dash", line_color="#495057",
                      annotation_text="0 = same as real only",
                      annotation_position="bottom right")
    fig.update_layout(
        height=height, template="plotly_white", margin=dict(l=10, r=20, t=40, b=50),
        legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0),
        xaxis=dict(title="share of the synthetic rows dropped before training (%)",
                   ticksuffix="%", fixedrange=True),
        yaxis=dict(title=y_title, fixedrange=True, zeroline=False))
    return fig


def _percents(entries) -> str:
    return ", ".join(f"{float(e['percent']):g}%" for e in entries)


def filter_retest_sentence(summary: dict, signal: str) -> str:
    """Does dropping the rows this signal ranks worst beat dropping as many at random?"""
    rows = (summary.get("filter_and_retest") or {}).get(signal, [])
    name, ranks = LIFT_SIGNALS.get(signal, (signal, "its score"))
    level = lift_level(summary)
    if not rows:
        return f"{name}: not measured."
    better = [e for e in rows if e.get("beats_random")]
    worse = [e for e in rows if e.get("vs_random_verdict") == "worse than random"]
    if better:
        best = max(better, key=lambda e: e.get("vs_random") or 0)
        text = (f"{name} ranking ({ranks}) beats dropping as many rows at random at "
                f"{_percents(better)}: e.g. dropping the worst "
                f"{best['percent']:g}% gives a lift of {lift_number(best.get('lift'), True)} "
                f"against {lift_number(best.get('random_lift'), True)} for random drops "
                f"(difference {lift_number(best.get('vs_random'), True)}, {level} interval "
                f"{lift_interval(best.get('vs_random_ci'))}). The audit finds rows that hurt "
                "the task.")
    else:
        diffs = [e.get("vs_random") for e in rows if _finite(e.get("vs_random"))]
        span = (f" (differences from random {lift_number(min(diffs), True)} to "
                f"{lift_number(max(diffs), True)})" if diffs else "")
        text = (f"{name} ranking ({ranks}) is never significantly better than dropping as "
                f"many rows at random{span}: the rows it flags are not the ones that hurt the "
                "task, or dropping them changes too little to measure.")
    if worse:
        text += (" It is significantly worse than random at "
                 f"{_percents(worse)}: it drops rows the model "
                 "learns from.")
    return text


def filter_retest_overview(summary: dict) -> pd.DataFrame:
    """One row per signal: what it ranks by, where its ranking came from, and where it beats
    random drops."""
    signals = summary.get("signals") or {}
    rows = []
    for signal, entries in (summary.get("filter_and_retest") or {}).items():
        name, ranks = LIFT_SIGNALS.get(signal, (signal, ""))
        info = signals.get(signal) or {}
        better = [f"{e['percent']:g}%" for e in entries if e.get("beats_random")]
        worse = [f"{e['percent']:g}%" for e in entries
                 if e.get("vs_random_verdict") == "worse than random"]
        best = max(entries, key=lambda e: e["lift"] if _finite(e.get("lift")) else -math.inf,
                   default=None)
        rows.append({"signal": name, "drops first": ranks,
                     "ranking from": {"audit": "the audit", "computed": "computed here"}.get(
                         info.get("source"), info.get("source")),
                     "rows it flags": info.get("n_flagged"),
                     "beats random at": ", ".join(better) or "never",
                     "worse than random at": ", ".join(worse) or "never",
                     "best lift": None if best is None else best.get("lift"),
                     "best lift at": None if best is None else f"{best['percent']:g}% dropped"})
    return pd.DataFrame(rows)


def filter_retest_summary(summary: dict) -> str:
    """One sentence over all signals: does any audit ranking beat random drops?"""
    fr = summary.get("filter_and_retest") or {}
    if not fr:
        return "Filter-and-retest was not run."
    winners = [LIFT_SIGNALS.get(s, (s,))[0] for s, rows in fr.items()
               if any(e.get("beats_random") for e in rows)]
    if winners:
        return ("Dropping the synthetic rows the audit ranks worst beats dropping as many "
                f"random rows for: {', '.join(winners)}. Those rankings point at rows that hurt "
                "the real task: filter by them before training.")
    return ("No audit ranking beats dropping as many random rows: the rows the audit flags are "
            "not measurably worse for this task than any others.")


def lift_eval_details(summary: dict) -> pd.DataFrame:
    """The evaluation set and the training rows, as (item, value) rows of plain text."""
    ev = summary.get("eval") or {}
    by_side = ev.get("excluded_by_side") or {}
    labels = ", ".join(f"{k} {v:,}" for k, v in (ev.get("label_counts") or {}).items())
    train = summary.get("train_label_counts") or {}
    rows = [
        ("evaluation set", str(ev.get("source", ""))),
        ("rows scored", f"{int(ev.get('n_rows') or 0):,} of {int(ev.get('n_rows_given') or 0):,}"
                        " given"),
        ("left out: copies of training rows",
         f"{int(ev.get('n_excluded_leakage') or 0):,} ({int(ev.get('n_exact') or 0):,} exact, "
         f"{int(ev.get('n_near') or 0):,} near: cosine similarity >= "
         f"{ev.get('near_duplicate_similarity', 0.95)}; {int(by_side.get('real') or 0):,} match "
         f"a real training row, {int(by_side.get('synthetic') or 0):,} a synthetic one)"),
        ("evaluation labels", labels),
        ("training rows", f"{int(summary.get('n_train_real') or 0):,} real, "
                          f"{int(summary.get('n_train_synthetic') or 0):,} synthetic"),
        ("training labels", "; ".join(f"{side}: " + ", ".join(f"{k} {v:,}" for k, v in c.items())
                                      for side, c in train.items())),
        ("label column", str(summary.get("label_column", ""))),
        ("model", str(summary.get("model", ""))),
        ("metric", str(summary.get("metric_name") or summary.get("metric", ""))),
        ("intervals", f"{lift_level(summary)}; "
                      f"{(summary.get('config') or {}).get('n_seeds', '?')} training replicates, "
                      f"{(summary.get('config') or {}).get('n_bootstrap', '?')} bootstrap "
                      "resamples of the evaluation rows"),
    ]
    timings = summary.get("timings") or {}
    if _finite(timings.get("total")):
        rows.append(("time", f"{float(timings['total']):.1f} s, "
                             f"{int(timings.get('n_fits') or 0):,} model fits"))
    return pd.DataFrame(rows, columns=["item", "value"])


def leakage_examples_table(summary: dict) -> pd.DataFrame:
    """The evaluation rows left out because a training row copies them (up to 5 examples)."""
    rows = [{"evaluation row": e.get("eval_row"), "evaluation text": e.get("eval_text"),
             "copy": e.get("kind"), "training side": e.get("train_side"),
             "training row": e.get("train_row"), "training text": e.get("train_text"),
             "similarity": e.get("similarity")}
            for e in (summary.get("eval") or {}).get("leakage_examples") or []]
    return pd.DataFrame(rows, columns=["evaluation row", "evaluation text", "copy",
                                       "training side", "training row", "training text",
                                       "similarity"])


def lift_summary_of(lift) -> dict:
    """The summary dict of a LiftResult, or the dict itself (``lift.json`` read as JSON)."""
    if isinstance(lift, dict):
        return lift
    to_dict = getattr(lift, "to_dict", None)
    return to_dict() if callable(to_dict) else dict(getattr(lift, "summary", {}))
