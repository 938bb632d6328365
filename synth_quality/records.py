"""Records with several text fields, and chats, turned into what the audit reads.

Most synthetic text generated today is not one short text per row: it is instruction tuning
data (an instruction, maybe an input, and a response) or chat transcripts. This module turns
one input table into

- the **record** text (every field, or every turn, in one text: what the map, the clusters and
  the record-level scores see), and
- one text per **field**: the named text columns (``--text-column instruction --text-column
  response``), or for chats one per role (``system``, ``user``, ``assistant``: that role's
  turns of the conversation, joined), each audited on its own;
- for chats, the number of turns and their mean length in words, compared between the sides.

Chats are recognised without options: a column named one of :data:`CHAT_COLUMNS` whose values
are lists of turns, OpenAI style (``{"role": "user", "content": "..."}``) or ShareGPT style
(``{"from": "human", "value": "..."}``). Instruction data is recognised by its field names
(:data:`FIELD_SETS`, e.g. ``instruction``/``input``/``output``) when no text column is named.

Everything the user can fix raises :class:`~synth_quality.errors.InputDataError` with one line:
a chat field that is not a list of turns, a turn without a role or a text, a record without a
named field, or one file mixing formats (chats and plain records, OpenAI and ShareGPT turns).
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import NoReturn

import numpy as np
import pandas as pd

from synth_quality.errors import ErrorKind, InputDataError

#: Column names recognised as chats (lists of turns), in order of preference.
CHAT_COLUMNS = ("messages", "conversations", "conversation", "chat", "dialogue", "turns")
#: Turn keys: OpenAI (role, content) and ShareGPT (from, value).
TURN_KEYS = {"openai": ("role", "content"), "sharegpt": ("from", "value")}
#: Role names as written -> the field they are audited in.
ROLES = {"system": "system", "developer": "system",
         "user": "user", "human": "user", "prompter": "user",
         "assistant": "assistant", "gpt": "assistant", "bot": "assistant", "model": "assistant",
         "chatgpt": "assistant", "tool": "tool", "function": "tool", "ipython": "tool"}
#: Order of the roles as fields.
ROLE_ORDER = ("system", "user", "assistant", "tool")
#: Field sets of instruction data recognised without ``--text-column`` (first match wins).
FIELD_SETS = (("instruction", "input", "output"), ("instruction", "input", "response"),
              ("instruction", "output"), ("instruction", "response"),
              ("prompt", "response"), ("prompt", "completion"), ("prompt", "chosen"),
              ("question", "answer"), ("query", "response"), ("input", "output"),
              ("context", "response"))

#: Column prefix of each field's text in the audit's frame and examples table.
FIELD_PREFIX = "text."

_SHOW = 10


def input_error(message: str, kind: str = ErrorKind.TEXT_COLUMN,
                side: str | None = None) -> NoReturn:
    """Raise InputDataError with ``message`` on one line (``kind``: an ErrorKind; the records'
    own errors are about the text fields)."""
    raise InputDataError(re.sub(r"\s*[\r\n]+\s*", " ", message).strip(), kind=kind, side=side)


def listing(items, limit: int = _SHOW) -> str:
    """The items as "a, b, c", at most ``limit`` of them ("..., (N more)"); "none" if empty."""
    items = [str(i) for i in items]
    more = f", ... ({len(items) - limit} more)" if len(items) > limit else ""
    return (", ".join(items[:limit]) + more) if items else "none"


def plural(n: int, word: str) -> str:
    """``n`` and ``word``, with an s unless n is 1: "1 row", "3 rows"."""
    return f"{n} {word}{'' if n == 1 else 's'}"


def is_missing(value) -> bool:
    """True for None, pd.NA, pd.NaT and float NaN."""
    if value is None or value is pd.NA or value is pd.NaT:
        return True
    return isinstance(value, (float, np.floating)) and math.isnan(value)


@dataclass
class Shaped:
    """One table's records as the audit reads them.

    frame : the input table plus ``__record`` (the record text), ``__field:<name>`` per field
        (str or None) and, for chats, ``__n_turns`` and ``__turn_words`` (mean words per turn)
    kind : "fields" (several named text columns) or "chat"
    fields : the field names, in order (roles for chats)
    text_column : what the summary calls the text ("messages", "instruction + response")
    source_columns : the input columns the texts came from
    """

    frame: pd.DataFrame
    kind: str
    fields: list = field(default_factory=list)
    text_column: str = ""
    source_columns: list = field(default_factory=list)


def field_column(name: str) -> str:
    """The examples column holding field ``name``'s text (``text.response``)."""
    return FIELD_PREFIX + str(name)


# ------------------------------------------------------------------------------- detection

def chat_column_of(frame: pd.DataFrame, exclude=()) -> str | None:
    """The column of ``frame`` that holds chats (lists of turns), or None."""
    names = {str(c).strip().lower(): c for c in frame.columns if c not in exclude}
    for wanted in CHAT_COLUMNS:
        column = names.get(wanted)
        if column is None:
            continue
        if _holds_lists(frame[column]):
            return column
    return None


def field_set_of(frame: pd.DataFrame, exclude=()) -> list | None:
    """The columns of a known instruction-data field set (:data:`FIELD_SETS`), or None."""
    names = {str(c).strip().lower(): c for c in frame.columns if c not in exclude}
    for fields in FIELD_SETS:
        if all(f in names for f in fields):
            return [names[f] for f in fields]
    return None


def _holds_lists(series: pd.Series) -> bool:
    values = [v for v in series.iloc[:200].tolist() if not _absent(v)]
    return bool(values) and any(_is_list(v) or _json_list(v) is not None for v in values)


def _is_list(value) -> bool:
    return isinstance(value, (list, tuple, np.ndarray))


def _absent(value) -> bool:
    return not _is_list(value) and is_missing(value)


def _json_list(value):
    """A JSON string holding a list (chats stored as text in CSV), parsed; else None."""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            parsed = json.loads(value)
        except json.JSONDecodeError:
            return None
        return parsed if isinstance(parsed, list) else None
    return None


# --------------------------------------------------------------------------------- shaping

def shape_fields(frame: pd.DataFrame, display: str, columns: list) -> Shaped:
    """Several named text columns: each a field, the record their texts together.

    A JSON or JSON Lines record without one of the columns is an error (a blank value is not:
    that row's field is simply empty). The record text is ``"<field>: <text>"`` blocks
    separated by blank lines, blank fields left out.
    """
    absent = frame.attrs.get("absent_keys") or {}
    for column in columns:
        rows = absent.get(column) or []
        if rows:
            input_error(f"{plural(len(rows), 'record')} of {display} {'has' if len(rows) == 1 else 'have'} "
                        f"no field {column!r} ({rows_phrase(rows)}); every record needs every "
                        "--text-column (mixed formats in one file?)")
    out = frame.copy()
    texts = {c: [_text(v) for v in frame[c].tolist()] for c in columns}
    for column in columns:
        for i, value in enumerate(frame[column].tolist()):
            if _is_list(value) or isinstance(value, dict):
                input_error(f"row {i} of {display}: field {column!r} holds a "
                            f"{'list' if _is_list(value) else 'JSON object'}, not text; "
                            "name a text field, or pass the chat column alone")
        out[working_column(column)] = texts[column]
    out["__record"] = [
        "\n\n".join(f"{c}: {texts[c][i]}" for c in columns if texts[c][i] is not None) or None
        for i in range(len(frame))]
    return Shaped(out, "fields", [str(c) for c in columns], " + ".join(map(str, columns)),
                  list(columns))


def shape_chats(frame: pd.DataFrame, display: str, column) -> Shaped:
    """A column of chats: one field per role, the record the whole conversation.

    Raises InputDataError for a value that is not a list of turns, a turn without a role or
    text, an unknown role, turns of both styles in one file, or rows without a chat among rows
    with one (mixed formats).
    """
    values = frame[column].tolist()
    missing = [i for i, v in enumerate(values) if _absent(v)]
    if missing and len(missing) < len(values):
        other = [c for c in frame.columns if c != column and not str(c).startswith("__")]
        input_error(f"mixed formats in {display}: {plural(len(missing), 'row')} "
                    f"({rows_phrase(missing)}) {'has' if len(missing) == 1 else 'have'} no "
                    f"{column!r} chat while the others do (their other fields: "
                    f"{listing(other, 8)}); put one format in one file")
    style_rows: dict[str, list[int]] = {"openai": [], "sharegpt": []}
    conversations = []
    for i, value in enumerate(values):
        turns = value if _is_list(value) else _json_list(value)
        if turns is None:
            found = "a string" if isinstance(value, str) else f"a {type(value).__name__}"
            input_error(f"row {i} of {display}: {column!r} must be a list of turns "
                        f"({{\"role\": ..., \"content\": ...}}), found {found}")
        parsed = []
        for j, turn in enumerate(list(turns)):
            style, role, text = _turn(turn, i, j, display, column)
            style_rows[style].append(i)
            parsed.append((role, text))
        conversations.append(parsed)
    if style_rows["openai"] and style_rows["sharegpt"]:
        input_error(f"mixed formats in {display}: {column!r} holds OpenAI turns (role, content) "
                    f"in rows {listing(sorted(set(style_rows['openai'])), 5)} and ShareGPT "
                    f"turns (from, value) in rows {listing(sorted(set(style_rows['sharegpt'])), 5)}"
                    "; write every chat the same way")
    roles = [r for r in ROLE_ORDER if any(role == r for conv in conversations for role, _ in conv)]
    out = frame.copy()
    for role in roles:
        out[working_column(role)] = ["\n\n".join(t for r, t in conv if r == role and t.strip()) or None
                           for conv in conversations]
    out["__record"] = ["\n\n".join(f"{r}: {t}" for r, t in conv if t.strip()) or None
                       for conv in conversations]
    out["__n_turns"] = [float(sum(1 for r, t in conv if r != "system")) for conv in conversations]
    out["__turn_words"] = [_mean_words([t for r, t in conv if r != "system"])
                           for conv in conversations]
    return Shaped(out, "chat", roles, str(column), [column])


def _turn(turn, i: int, j: int, display: str, column) -> tuple[str, str, str]:
    where = f"row {i} of {display}, turn {j} of {column!r}"
    if isinstance(turn, str):
        turn = _json_object(turn)
    if not isinstance(turn, dict):
        input_error(f"{where} is a {type(turn).__name__}, not a turn object "
                    "({\"role\": ..., \"content\": ...})")
    for style, (role_key, text_key) in TURN_KEYS.items():
        if role_key in turn and turn.get(role_key) is not None:
            role = str(turn[role_key]).strip().lower()
            if role not in ROLES:
                input_error(f"{where} has role {turn[role_key]!r}; known roles: "
                            f"{', '.join(sorted(ROLES))}")
            text = turn.get(text_key)
            if text is None and style == "openai" and turn.get("tool_calls") is not None:
                text = json.dumps(turn["tool_calls"], default=str)
            if text is None or (not isinstance(text, str) and not _is_list(text)):
                input_error(f"{where} has no {text_key!r} text (keys: "
                            f"{', '.join(map(str, turn))})")
            if _is_list(text):  # OpenAI content parts: keep the text parts
                text = " ".join(str(p.get("text", "")) for p in text if isinstance(p, dict))
            return style, ROLES[role], text
    input_error(f"{where} has neither 'role' and 'content' (OpenAI) nor 'from' and 'value' "
                f"(ShareGPT); keys: {', '.join(map(str, turn)) or 'none'}")


def _json_object(text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text


def _mean_words(texts: list[str]) -> float:
    counts = [len(t.split()) for t in texts]
    return float(np.mean(counts)) if counts else 0.0


def _text(value) -> str | None:
    if is_missing(value):
        return None
    text = value if isinstance(value, str) else str(value)
    return text if text.strip() else None


def working_column(name) -> str:
    """The column of a shaped frame holding field ``name``'s text while inputs are read
    (``__field:<name>``; the audit's tables call it ``text.<name>``: :func:`field_column`)."""
    return f"__field:{name}"


def rows_phrase(rows: list) -> str:
    """"row 3" or "rows 3, 7, 9" (at most ten listed), for one-line messages."""
    return f"{'row' if len(rows) == 1 else 'rows'} {listing(rows, _SHOW)}"


def shape(frame: pd.DataFrame, display: str, text_columns: list | None, exclude=()) -> Shaped | None:
    """Shape one table: several named text columns, a chat column, a known instruction-data
    field set, or None for the plain one-text case (the caller picks that column)."""
    if text_columns and len(text_columns) > 1:
        return shape_fields(frame, display, list(text_columns))
    if text_columns:
        column = text_columns[0]
        if column in frame and _holds_lists(frame[column]):
            return shape_chats(frame, display, column)
        return None
    chat = chat_column_of(frame, exclude)
    if chat is not None:
        return shape_chats(frame, display, chat)
    if any(str(c).strip().lower() in ("text", "sentence", "review", "content", "document")
           for c in frame.columns if c not in exclude):
        return None
    fields = field_set_of(frame, exclude)
    if fields is not None:
        return shape_fields(frame, display, fields)
    return None


# ------------------------------------------------------------------------------- pairing

def same_prompt_keys(frame: pd.DataFrame, fields: list, kind: str,
                     min_share: float = 0.5) -> tuple[list, list] | None:
    """The prompt fields when both sides answer the same prompts, and the other fields.

    A field is a prompt field when at least ``min_share`` of the synthetic rows' values
    (whitespace and case aside) are also values of the field on the real side. For chats the
    prompt is the user turns (system prompts often differ between sides). Returns ``(prompt_fields, answer_fields)``, or None
    when no field is shared or every field is.
    """
    if kind == "chat":
        prompts = [f for f in fields if f == "user"]
        answers = [f for f in fields if f == "assistant"]
        if not prompts or not answers:
            return None
        shared = _shared_share(frame, prompts)
        return (prompts, answers) if shared >= min_share else None
    prompts = [f for f in fields if _shared_share(frame, [f]) >= min_share]
    answers = [f for f in fields if f not in prompts]
    if not prompts or not answers:
        return None
    return prompts, answers


def prompt_key(frame: pd.DataFrame, fields: list) -> pd.Series:
    """One key per row from its prompt fields (whitespace and case aside); None when every
    prompt field is blank."""
    parts = [frame[field_column(f)].map(_norm_or_empty) for f in fields]
    joined = parts[0] if len(parts) == 1 else pd.Series(
        ["\x1f".join(p) for p in zip(*parts)], index=frame.index)
    return joined.map(lambda k: k if k.strip("\x1f") else None)


def _norm_or_empty(value) -> str:
    return "" if value is None or is_missing(value) else " ".join(str(value).lower().split())


def _shared_share(frame: pd.DataFrame, fields: list) -> float:
    key = prompt_key(frame, fields)
    real = set(key[frame["side"] == "real"].dropna())
    syn = key[frame["side"] == "synthetic"].dropna()
    if not len(syn) or not real:
        return 0.0
    return float(syn.isin(real).mean())


def check_same_fields(shaped: list, displays: list) -> None:
    """Two files must hold the same kind of records (both chats, or the same fields)."""
    kinds = {(s.kind if s is not None else "text") for s in shaped}
    if len(kinds) > 1:
        said = ", ".join(f"{d}: {s.kind if s is not None else 'one text column'}"
                         for s, d in zip(shaped, displays))
        input_error(f"the files hold different formats ({said}); give both files the same "
                    "format")


_SAFE = re.compile(r"[^A-Za-z0-9_.-]+")


def safe_name(name: str) -> str:
    """A field name usable as a folder name."""
    return _SAFE.sub("_", str(name)).strip("._") or "field"
