"""The lift control's evaluation set: real rows only, none copied into the training rows.

:func:`holdout` splits a stratified share of the labelled real rows off for evaluation when no
evaluation file is given; :func:`read_eval` reads an evaluation table (its text and label
columns, blank texts dropped, every row labelled) and refuses rows a source column marks as
synthetic; :func:`leakage` finds the evaluation rows that also appear among the training rows,
exactly (same text after :func:`norm_text`) or nearly (cosine similarity at or above the
threshold), so :func:`synth_quality.lift.run_lift` can leave them out.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.errors import ErrorKind, InputDataError
from synth_quality.graph.knn import block_rows
from synth_quality.io import (
    SOURCE_COLUMN_NAMES,
    is_missing,
    label_value,
    listing,
    pick_text_column,
    plural,
    read_table,
    require_column,
)
from synth_quality.lift.config import LiftConfig

_N_EXAMPLES = 5             # leakage examples kept in lift.json


def holdout(real: pd.DataFrame, config: LiftConfig, rng) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Stratified split of the labelled real rows: (training rows, evaluation rows)."""
    held = np.zeros(len(real), bool)
    for _, idx in sorted(real.groupby("label").indices.items()):
        n_eval = int(round(config.holdout_fraction * len(idx)))
        n_eval = min(max(n_eval, 1 if len(idx) >= 2 else 0), len(idx) - 1)
        held[rng.permutation(idx)[:n_eval]] = True
    if held.sum() == 0 or (~held).sum() == 0:
        raise InputDataError(f"cannot hold out {config.holdout_fraction:.0%} of {len(real)} real "
                             "rows for evaluation; pass an --eval file")
    eval_frame = real[held].reset_index(drop=True)[["row", "text", "label"]]
    return real[~held].reset_index(drop=True), eval_frame


def read_eval(source, name, text_column, label_column, notes) -> tuple[pd.DataFrame, str]:
    """Read the evaluation table: columns row, text, label (labels as strings)."""
    if isinstance(source, pd.DataFrame):
        display = name or "<eval table>"
        frame = source
        if len(frame) == 0:
            raise InputDataError(f"the evaluation table {display} is empty (no rows)")
    else:
        frame, info = read_table(source, name=name)
        display = info["path"]
        if info["encoding"] not in (None, "utf-8"):
            notes.append(f"read {display} as {info['encoding']} (not valid UTF-8)")
    frame = frame.reset_index(drop=True)
    if label_column not in frame.columns:
        require_column(frame, label_column, display, "--eval-label-column",
                       kind=ErrorKind.LABEL_COLUMN)
    _refuse_synthetic(frame, display)
    if text_column is None:
        try:
            text_column = pick_text_column([(frame, display)], [label_column])
        except InputDataError as exc:
            raise InputDataError(str(exc).replace("--text-column", "--eval-text-column"),
                                 kind=exc.kind) from None
    else:
        require_column(frame, text_column, display, "--eval-text-column",
                       kind=ErrorKind.TEXT_COLUMN)
    if text_column == label_column:
        raise InputDataError(f"column {text_column!r} of {display} cannot be both the text and the "
                             "label column; pass --eval-text-column")
    texts = frame[text_column].tolist()
    labels = [label_value(v) for v in frame[label_column].tolist()]
    blank = [i for i, t in enumerate(texts) if is_missing(t) or not str(t).strip()]
    if blank:
        notes.append(f"dropped {plural(len(blank), 'blank text')} from the evaluation set "
                     f"(rows {listing(blank)}) of {display}")
    blank_set = set(blank)
    unlabelled = [i for i, v in enumerate(labels) if v is None and i not in blank_set]
    if unlabelled:
        raise InputDataError(f"{plural(len(unlabelled), 'evaluation row')} of {display} "
                             f"{'has' if len(unlabelled) == 1 else 'have'} no {label_column!r} "
                             f"label (rows {listing(unlabelled)}); label them or drop them")
    keep = [i for i in range(len(frame)) if i not in blank_set]
    if not keep:
        raise InputDataError(f"the evaluation table {display} has no text rows (column "
                             f"{text_column!r})")
    out = pd.DataFrame({"row": np.asarray(keep, dtype=np.int64),
                        "text": [str(texts[i]) for i in keep],
                        "label": pd.Series([labels[i] for i in keep], dtype=object)})
    return out, display


_SYNTHETIC_VALUES = ("synthetic", "generated", "fake", "llm", "artificial", "machine")


def _refuse_synthetic(frame: pd.DataFrame, display: str) -> None:
    """The evaluation set must be real: refuse rows a source column marks as synthetic."""
    for column in frame.columns:
        name = str(column).strip().lower()
        if name not in SOURCE_COLUMN_NAMES:
            continue
        marks = _SYNTHETIC_VALUES + (("1", "true") if name == "is_synthetic" else ())
        values = frame[column].map(lambda v: "" if is_missing(v) else str(v).strip().lower())
        bad = np.flatnonzero(values.isin(marks).to_numpy()).tolist()
        if bad:
            raise InputDataError(f"{plural(len(bad), 'row')} of the evaluation set {display} "
                                 f"{'is' if len(bad) == 1 else 'are'} marked synthetic in column "
                                 f"{column!r} (rows {listing(bad)}); the lift is measured on real "
                                 "rows only: drop them or pass a real evaluation file")


def norm_text(text: str) -> str:
    return " ".join(str(text).lower().split())


def leakage(train: pd.DataFrame, X: np.ndarray, eval_frame: pd.DataFrame, X_eval: np.ndarray,
            threshold: float) -> dict:
    """Which evaluation rows also appear among the training rows, exactly or nearly."""
    n = len(eval_frame)
    train_norm = {}
    for i, text in enumerate(train["text"].tolist()):
        train_norm.setdefault(norm_text(text), i)
    best = np.full(n, -1, np.int64)
    best_sim = np.full(n, -np.inf, np.float32)
    Xt = np.ascontiguousarray(X, dtype=np.float32)
    step = block_rows(len(Xt))  # blocks of at most ~64 MB of similarities
    for start in range(0, n, step):
        sims = X_eval[start:start + step].astype(np.float32) @ Xt.T
        best[start:start + step] = sims.argmax(axis=1)
        best_sim[start:start + step] = sims.max(axis=1)
    kind = np.full(n, "", dtype=object)
    match = np.full(n, -1, np.int64)
    for i, text in enumerate(eval_frame["text"].tolist()):
        j = train_norm.get(norm_text(text))
        if j is not None:
            kind[i], match[i] = "exact", j
        elif best_sim[i] >= threshold:
            kind[i], match[i] = "near", best[i]
    sides = train["side"].to_numpy(object)
    rows = train["row"].to_numpy(np.int64)
    side = np.where(match >= 0, sides[np.clip(match, 0, None)], "")
    sim = np.where(match >= 0, np.where(kind == "exact", 1.0, best_sim), np.nan)
    examples = []
    for i in np.flatnonzero(match >= 0)[:_N_EXAMPLES]:
        j = match[i]
        examples.append({"eval_row": int(eval_frame["row"].iloc[i]),
                         "eval_text": str(eval_frame["text"].iloc[i]),
                         "kind": str(kind[i]), "train_side": str(sides[j]),
                         "train_row": int(rows[j]), "train_text": str(train["text"].iloc[j]),
                         "similarity": round(float(sim[i]), 4)})
    return {"excluded": match >= 0, "kind": kind, "side": side,
            "row": np.where(match >= 0, rows[np.clip(match, 0, None)], -1),
            "similarity": sim, "examples": examples}
