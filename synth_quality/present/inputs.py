"""The Data page's plain helpers: which control an input error belongs to, and the columns it
proposes (guesses) for a table."""

from __future__ import annotations

from typing import Sequence

import pandas as pd

INPUT_CONTROLS = ("file", "real_file", "synthetic_file", "source", "real_value", "text",
                  "label", "generator")


_OPTION_NAMES = {"--source-column": "Source column", "--real-value": "Value meaning real",
                 "--text-column": "Text column", "--label-column": "Label column",
                 "--generator-column": "Generator column", "--real": "Real file",
                 "--synthetic": "Synthetic file", "--data": "Data file"}


def locate_input_error(message: str, two_files: bool = False, real_name: str | None = None,
                       synthetic_name: str | None = None) -> tuple[str, str]:
    """Which control of the Data page an input error belongs to, and the message in UI words.

    The checks are the command line's (:func:`synth_quality.io.load_inputs`); its messages name
    command-line options ("pass --text-column"), which the dashboard shows as the control's name.
    """
    text = message
    for option in sorted(_OPTION_NAMES, key=len, reverse=True):
        text = text.replace(f"pass {option}", f"choose another “{_OPTION_NAMES[option]}”")
        text = text.replace(option, f"“{_OPTION_NAMES[option]}”")
    low = message.lower()
    if "--real-value" in low or "which value of" in low:
        target = "real_value"
    elif "--source-column" in low or "source column" in low or "exactly two values" in low \
            or "fill in real or synthetic" in low:
        target = "source"
    elif "--label-column" in low or "label column" in low:
        target = "label"
    elif "--generator-column" in low or "generator column" in low:
        target = "generator"
    elif "--text-column" in low or "text column" in low or "no text rows" in low:
        target = "text"
    elif two_files and ("synthetic side" in low or (synthetic_name and synthetic_name in message)):
        target = "synthetic_file"
    elif two_files:
        target = "real_file"
    else:
        target = "file"
    return target, text


def guess_text_column(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> str | None:
    from synth_quality.io import MIN_TEXT_LENGTH, TEXT_COLUMN_NAMES

    cols = [c for c in frame.columns if c not in exclude]
    for wanted in TEXT_COLUMN_NAMES:
        hits = [c for c in cols if str(c).strip().lower() == wanted]
        if hits:
            return hits[0]
    best, best_len = None, 0.0
    for c in cols:
        values = frame[c].head(2000)
        strings = [v for v in values.tolist() if isinstance(v, str) and v.strip()]
        if not strings or len(strings) < 0.5 * len(values):
            continue
        mean = sum(map(len, strings)) / len(strings)
        if mean >= MIN_TEXT_LENGTH and mean > best_len:
            best, best_len = c, mean
    return best


def guess_text_columns(frame: pd.DataFrame, exclude: Sequence[str] = ()) -> list:
    """The text columns the audit would pick without ``--text-column``: a chat column, a known
    instruction-data field set, else the one text column (empty when none is found)."""
    from synth_quality.records import chat_column_of, field_set_of

    chat = chat_column_of(frame, exclude)
    if chat is not None:
        return [chat]
    one = guess_text_column(frame, exclude)
    named = one is not None and str(one).strip().lower() in ("text", "sentence", "review",
                                                             "content", "document")
    fields = None if named else field_set_of(frame, exclude)
    if fields:
        return list(fields)
    return [one] if one is not None else []


def guess_source_column(frame: pd.DataFrame) -> str | None:
    from synth_quality.io import SOURCE_COLUMN_NAMES

    for wanted in SOURCE_COLUMN_NAMES:
        hits = [c for c in frame.columns if str(c).strip().lower() == wanted]
        if hits:
            return hits[0]
    for c in frame.columns:   # else: the first column with exactly two distinct values
        if frame[c].astype(str).str.strip().nunique() == 2:
            return c
    return None


def guess_real_value(values: Sequence[str]) -> str | None:
    from synth_quality.io import REAL_VALUES

    hits = [v for v in values if str(v).strip().lower() in REAL_VALUES]
    if len(hits) == 1:
        return hits[0]
    hits = [v for v in values if str(v).strip().lower() in ("0", "false")]
    return hits[0] if len(hits) == 1 else None


def guess_optional_column(frame: pd.DataFrame, names: Sequence[str]) -> str | None:
    for wanted in names:
        hits = [c for c in frame.columns if str(c).strip().lower() == wanted]
        if hits:
            return hits[0]
    return None


LABEL_NAMES = ("label", "labels", "sentiment", "class", "category", "target", "y")


GENERATOR_NAMES = ("generator", "model", "source_model", "llm", "generated_by")


def source_values(frame: pd.DataFrame, column) -> list[str]:
    """The distinct (stripped) non-empty values of a source column, in order of appearance."""
    values = frame[column].dropna().astype(str).str.strip()
    return list(dict.fromkeys(v for v in values.tolist() if v))
