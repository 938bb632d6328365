"""Exports of the examples table: CSV and Parquet bytes, and a cleaned synthetic set without the
flagged rows, in the input's own column names."""

from __future__ import annotations

import io
import json
from typing import Iterable

import numpy as np
import pandas as pd

from synth_quality.schema import Inputs


def to_csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def to_parquet_bytes(frame: pd.DataFrame) -> bytes:
    buf = io.BytesIO()
    frame.to_parquet(buf, index=False)
    return buf.getvalue()


def export_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows as exported: every column except the map coordinates' float32 noise is kept."""
    out = frame.copy()
    for c in out.columns:
        if out[c].map(lambda v: isinstance(v, (list, np.ndarray))).any():
            out[c] = out[c].map(lambda v: json.dumps(list(v)) if v is not None else None)
    return out


def cleaned_synthetic(examples: pd.DataFrame, flagged: Iterable[int],
                      inputs: Inputs | None = None) -> pd.DataFrame:
    """The synthetic rows the user did not flag, with the input's column names.

    Columns: ``row`` (its row in the synthetic/input file), the text column, and the label and
    generator columns when the audit had them, named as in the input (``inputs`` is the
    audit's ``facts.inputs``; without it, only ``row`` and ``text``).
    """
    flagged = set(int(i) for i in flagged)
    syn = examples[(examples["side"] == "synthetic") & ~examples.index.isin(list(flagged))]
    out = pd.DataFrame({"row": syn["row"].to_numpy()})
    out["text" if inputs is None else inputs.text_column] = syn["text"].to_numpy()
    for role in ("label", "generator"):
        name = None if inputs is None else getattr(inputs, f"{role}_column")
        if role in syn and name is not None:
            out[name] = syn[role].to_numpy(object)
    return out
