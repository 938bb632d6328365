"""Reading the input tables and turning them into one frame for the audit.

:func:`read_table` reads one CSV, TSV, Parquet, JSON Lines or JSON file (a path or uploaded
bytes). It decodes text files itself (UTF-8, else cp1252, else latin-1) so pandas never guesses,
and it never writes to its input. :func:`load_inputs` reads either two files (real and
synthetic) or one file with a source column, picks the text column, drops blank texts and
returns an :class:`AuditInput`. Every problem the user can fix raises
:class:`~synth_quality.errors.InputDataError` with a one-line message naming the file, the column
or the rows, what was found and what to do. Row numbers count data rows from 0, after the header.
"""

from __future__ import annotations

import io
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import NoReturn

import numpy as np
import pandas as pd

from synth_quality.errors import ErrorKind, InputDataError
from synth_quality.records import (  # noqa: F401  (listing, plural, is_missing: used elsewhere)
    ROLE_ORDER,
    check_same_fields,
    field_column,
    input_error,
    is_missing,
    listing,
    plural,
    prompt_key,
    rows_phrase,
    same_prompt_keys,
    shape,
    working_column,
)

SUPPORTED_FORMATS = {".csv": "csv", ".tsv": "tsv", ".tab": "tsv", ".parquet": "parquet",
                     ".pq": "parquet", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json",
                     ".arrow": "arrow", ".feather": "arrow"}
#: Files that mark a Hugging Face ``datasets`` folder written by ``save_to_disk``.
HF_DATASET_FILES = ("state.json", "dataset_dict.json")
TEXT_COLUMN_NAMES = ("text", "sentence", "review", "content", "document", "utterance")
SOURCE_COLUMN_NAMES = ("real_or_synthetic", "source", "side", "is_synthetic", "origin")
REAL_VALUES = ("real", "human", "original", "genuine", "authentic", "true_data")
#: Optional columns are never picked by the audit; these names are only proposed (the Data page).
LABEL_COLUMN_NAMES = ("label", "labels", "sentiment", "class", "category", "target", "y")
GENERATOR_COLUMN_NAMES = ("generator", "model", "source_model", "llm", "generated_by")
MIN_TEXT_LENGTH = 15        # mean characters for an unnamed column to count as the text
_SNIFF_BYTES = 8192         # bytes looked at to tell text from binary
_PICK_SAMPLE = 10_000       # rows looked at when guessing the text column
_MAGIC = {b"PAR1": "it looks like Parquet; rename it to .parquet",
          b"\x1f\x8b": "it looks gzip-compressed; decompress it first",
          b"PK\x03\x04": "it looks like a ZIP archive or Excel workbook; export it as CSV"}


def _fail(message: str, kind: str = ErrorKind.FILE, side: str | None = None) -> NoReturn:
    input_error(message, kind, side)


def _norm(name) -> str:
    return str(name).strip().lower()


def _short(exc: Exception) -> str:
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= 200 else text[:197] + "..."


# --------------------------------------------------------------------------- reading one file

def read_table(source, name: str | None = None) -> tuple[pd.DataFrame, dict]:
    """Read one input table from a path or from bytes.

    Parameters
    ----------
    source : str, os.PathLike or bytes
        The file's path, or its content (e.g. a dashboard upload).
    name : str, optional
        For bytes: the file name, which gives the format and is used in messages.

    Returns
    -------
    frame : pandas.DataFrame
        All columns as read. CSV/TSV cells are strings (empty cells are ""); JSON and Parquet
        keep their types. The index is a RangeIndex (row numbers from 0).
    info : dict
        ``path`` (as given), ``format`` (a value of :data:`SUPPORTED_FORMATS`), ``encoding``
        ("utf-8", "cp1252", "latin-1", or None for Parquet) and ``n_rows``.

    Raises
    ------
    InputDataError
        The file is missing, empty, binary, of an unknown format or cannot be parsed.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        if not name:
            _fail("cannot tell the format of an uploaded file without its name; pass its file name")
        display, data = str(name), bytes(source)
        fmt = _format_of(display)
    else:
        if not isinstance(source, (str, Path)) and not hasattr(source, "__fspath__"):
            _fail(f"expected a file path or bytes, got {type(source).__name__}")
        display, path = str(source), Path(source).expanduser()
        if not path.exists():
            _fail(f"file not found: {display}")
        if path.is_dir():
            if any((path / marker).is_file() for marker in HF_DATASET_FILES):
                frame = read_hf_folder(path, display)
                return frame, {"path": display, "format": "hf-dataset", "encoding": None,
                               "n_rows": len(frame)}
            _fail(f"{display} is a directory but not a Hugging Face datasets folder (no "
                  f"{' or '.join(HF_DATASET_FILES)}); pass the path of a CSV, TSV, Parquet, "
                  "JSONL, JSON or Arrow file, or of a folder written by save_to_disk")
        fmt = _format_of(display)
        try:
            data = path.read_bytes()
        except OSError as exc:
            _fail(f"cannot read {display}: {exc.strerror or _short(exc)}")
    if not data or (fmt not in ("parquet", "arrow") and not data.strip()):
        _fail(f"{display} is empty (no rows)")
    encoding = None
    if fmt == "parquet":
        frame = _parse_parquet(data, display)
    elif fmt == "arrow":
        frame = _parse_arrow(data, display)
    else:
        _check_text_bytes(data, display)
        text, encoding = _decode(data)
        if fmt in ("csv", "tsv"):
            frame = _parse_csv(text, fmt, display)
        elif fmt == "jsonl":
            frame = _parse_jsonl(text, display)
        else:
            frame = _parse_json(text, display)
    if len(frame) == 0:
        _fail(f"{display} is empty (no rows)")
    return frame, {"path": display, "format": fmt, "encoding": encoding, "n_rows": len(frame)}


def _format_of(display: str) -> str:
    suffix = Path(display).suffix.lower()
    if suffix not in SUPPORTED_FORMATS:
        found = f"extension {suffix!r}" if suffix else "no file extension"
        _fail(f"{display} has {found}; supported: {', '.join(SUPPORTED_FORMATS)}; "
              "rename the file or convert it to one of them")
    return SUPPORTED_FORMATS[suffix]


def _check_text_bytes(data: bytes, display: str) -> None:
    head = data[:_SNIFF_BYTES]
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        _fail(f"{display} is UTF-16 text; save it as UTF-8 and try again")
    control = sum(1 for b in head if (b < 32 and b not in (9, 10, 12, 13)) or b == 127)
    if b"\x00" in head or control > 0.1 * len(head):
        hint = next((h for magic, h in _MAGIC.items() if head.startswith(magic)),
                    "check that this is the right file")
        _fail(f"{display} looks like a binary file, not CSV/TSV/JSON text ({hint})")


def _decode(data: bytes) -> tuple[str, str]:
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _parse_csv(text: str, fmt: str, display: str) -> pd.DataFrame:
    sep = "\t" if fmt == "tsv" else ","
    try:
        frame = pd.read_csv(io.StringIO(text), sep=sep, dtype=str, keep_default_na=False)
    except pd.errors.EmptyDataError:
        _fail(f"{display} is empty (no rows)")
    except ValueError as exc:  # pandas.errors.ParserError and friends
        _fail(f"could not parse {display} as {fmt.upper()}: {_short(exc)}; fix that line "
              "(a field with a separator, quote or line break must be in double quotes)")
    if not isinstance(frame.index, pd.RangeIndex):  # pandas took surplus fields as an index
        what = "tabs" if fmt == "tsv" else "commas"
        _fail(f"could not parse {display} as {fmt.upper()}: the rows have more fields than the "
              f"header ({len(frame.columns)} columns); quote texts that contain {what}")
    return frame


def _json_kind(value) -> str:
    return {dict: "object", list: "array", str: "string", bool: "boolean",
            type(None): "null"}.get(type(value), "number")


def _parse_json(text: str, display: str) -> pd.DataFrame:
    try:
        obj = json.loads(text)
    except json.JSONDecodeError as exc:
        hint = ("; it looks like JSON Lines, rename it to .jsonl"
                if exc.msg == "Extra data" and text.lstrip().startswith("{") else "")
        _fail(f"could not parse {display} as JSON: {exc.msg} at line {exc.lineno} "
              f"column {exc.colno}{hint}")
    if isinstance(obj, list):
        for i, record in enumerate(obj):
            if not isinstance(record, dict):
                _fail(f"{display} must hold a list of objects, one per row; item {i} is a JSON "
                      f"{_json_kind(record)}")
        return _with_absent_keys(pd.DataFrame(obj), obj)
    if isinstance(obj, dict) and obj and all(isinstance(v, list) for v in obj.values()):
        lengths = {k: len(v) for k, v in obj.items()}
        if len(set(lengths.values())) > 1:
            _fail(f"the lists in {display} have different lengths "
                  f"({listing(f'{k}: {n}' for k, n in lengths.items())}); make them equal")
        return pd.DataFrame(obj)
    found = ("an object whose values are not all lists" if isinstance(obj, dict) and obj
             else f"a JSON {_json_kind(obj)}")
    _fail(f"{display} must hold a list of objects (one per row) or an object of equal-length "
          f"lists (one per column); found {found}")


def _parse_jsonl(text: str, display: str) -> pd.DataFrame:
    records = []
    for lineno, line in enumerate(text.split("\n"), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            hint = ("; it looks like a JSON array, rename it to .json"
                    if not records and line.strip().startswith("[") else "")
            _fail(f"could not parse line {lineno} of {display} as JSON: {exc.msg} "
                  f"(column {exc.colno}){hint}")
        if not isinstance(record, dict):
            _fail(f"line {lineno} of {display} is a JSON {_json_kind(record)}, not an object; "
                  "write one object per line")
        records.append(record)
    return _with_absent_keys(pd.DataFrame(records), records)


def _with_absent_keys(frame: pd.DataFrame, records: list) -> pd.DataFrame:
    """Note in ``frame.attrs["absent_keys"]`` which records lack which keys ({key: rows}): a
    record without a named field is an error, a blank value is not."""
    absent: dict = {}
    if len(frame.columns) and records:
        for column in frame.columns:
            rows = [i for i, r in enumerate(records) if column not in r]
            if rows:
                absent[column] = rows
    frame.attrs["absent_keys"] = absent
    return frame


def _parse_arrow(data: bytes, display: str) -> pd.DataFrame:
    """An Arrow IPC file (Feather v2) or stream (what ``datasets`` writes)."""
    import pyarrow as pa

    errors = []
    for opener in (pa.ipc.open_file, pa.ipc.open_stream):
        try:
            return opener(pa.BufferReader(data)).read_all().to_pandas()
        except Exception as exc:  # pyarrow raises several types for a broken file
            errors.append(_short(exc))
    _fail(f"{display} is not a readable Arrow file ({errors[-1]})")


def read_hf_folder(path: Path, display: str) -> pd.DataFrame:
    """A Hugging Face ``datasets`` folder written by ``save_to_disk``: a ``Dataset`` (its
    ``state.json`` lists the Arrow files) or a ``DatasetDict`` (``dataset_dict.json`` lists the
    splits; their rows are concatenated, with a ``split`` column). Read with pyarrow, the
    format ``datasets`` itself writes, so ``datasets`` need not be installed."""
    dict_file = path / "dataset_dict.json"
    if dict_file.is_file():
        splits = _json_file(dict_file, display).get("splits")
        if not isinstance(splits, list) or not splits:
            _fail(f"{dict_file} lists no splits")
        frames = []
        for split in splits:
            part = read_hf_folder(path / str(split), f"{display}/{split}")
            if "split" in part.columns:
                _fail(f"{display}/{split} has a column named 'split' already")
            frames.append(part.assign(split=str(split)))
        return pd.concat(frames, ignore_index=True)
    state_file = path / "state.json"
    if not state_file.is_file():
        _fail(f"{display} is not a Hugging Face datasets folder (no state.json)")
    files = _json_file(state_file, display).get("_data_files")
    if not isinstance(files, list) or not files:
        _fail(f"{state_file} lists no data files")
    frames = []
    for entry in files:
        name = entry.get("filename") if isinstance(entry, dict) else None
        if not name or not (path / name).is_file():
            _fail(f"{display} is missing its data file {name!r} (listed in state.json)")
        frames.append(_parse_arrow((path / name).read_bytes(), f"{display}/{name}"))
    frame = pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
    if len(frame) == 0:
        _fail(f"{display} is empty (no rows)")
    return frame


def _json_file(path: Path, display: str) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        _fail(f"cannot read {path.name} of {display}: {_short(exc)}")
    if not isinstance(data, dict):
        _fail(f"{path.name} of {display} does not hold a JSON object")
    return data


def _parse_parquet(data: bytes, display: str) -> pd.DataFrame:
    import pyarrow.parquet as pq  # a dependency; imported here because it is slow to load

    try:
        frame = pq.read_table(io.BytesIO(data)).to_pandas()
    except Exception as exc:  # pyarrow raises several types for a broken file
        reason = re.sub(r"^Could not open Parquet input source '[^']*': ", "", _short(exc))
        _fail(f"{display} is not a readable Parquet file ({reason})")
    keep_index = not isinstance(frame.index, pd.RangeIndex)  # a saved index becomes columns
    return frame.reset_index(drop=not keep_index)


# ------------------------------------------------------------------------ building the input

@dataclass
class AuditInput:
    """The rows an audit runs on, with what was learned while reading them.

    Attributes
    ----------
    frame : pandas.DataFrame
        One row per kept input row, real rows first, each side in file order. Columns:
        ``side`` ("real"/"synthetic"), ``row`` (int64, 0-based data row in its input file),
        ``text`` (str), and ``label`` / ``generator`` (str or None) when those columns were
        given (on real rows the generator is always None).
    text_column, label_column, generator_column : str or None
        The columns used (``text_column`` after auto-detection).
    real_value : str or None
        One-file mode: the (stripped) source value that meant "real"; None with two files.
    sources : list of dict
        One per file read: the :func:`read_table` info plus ``side`` ("real", "synthetic" or
        "mixed"). A DataFrame input has format "dataframe" and encoding None.
    blank_rows : dict
        ``{"real": [...], "synthetic": [...]}``: rows dropped because the text was missing,
        empty or whitespace only.
    duplicate_texts : dict
        ``{"real": n, "synthetic": n, "across": n}``: rows repeating an earlier row's exact text
        on the same side, and distinct texts found on both sides.
    warnings : list of str
        One-line notes for the user (dropped blanks, non-UTF-8 encodings).
    kind : {"text", "fields", "chat"}
        One text column; several text fields (``text`` is then the whole record and
        ``text.<field>`` each field, None where blank); or chats (fields are the roles, and
        ``n_turns`` / ``mean_turn_words`` count the turns other than system prompts).
    fields : list of str
        The fields (roles for chats); empty for one text column.
    pair_column : str or None
        When both sides answer the same prompts: what says which prompt a row answers (a
        ``--pair-column``, or "same <fields>" when the prompt fields' texts are shared). The
        frame then has ``pair`` (str; None for a row whose prompt the other side lacks).
    prompt_fields, answer_fields : list of str
        With same-prompt pairing: the fields that are the prompt, and those that answer it.
    """

    frame: pd.DataFrame
    text_column: str
    label_column: str | None
    generator_column: str | None
    real_value: str | None
    sources: list[dict]
    blank_rows: dict
    duplicate_texts: dict
    warnings: list[str] = field(default_factory=list)
    kind: str = "text"
    fields: list = field(default_factory=list)
    pair_column: str | None = None
    prompt_fields: list = field(default_factory=list)
    answer_fields: list = field(default_factory=list)


def load_inputs(*, real=None, synthetic=None, data=None, source_column=None, real_value=None,
                text_column=None, label_column=None, generator_column=None, pair_column=None,
                min_rows_per_side: int = 5, names: dict | None = None) -> AuditInput:
    """Read the real and synthetic texts, from two files or from one with a source column.

    Parameters
    ----------
    real, synthetic : path, bytes or pandas.DataFrame, optional
        Two-file mode: the real and the synthetic table (a path may also be a Hugging Face
        ``datasets`` folder written by ``save_to_disk``).
    data : path, bytes or pandas.DataFrame, optional
        One-file mode: a table whose ``source_column`` says which rows are real.
    source_column : str, optional
        One-file mode. None picks a column named one of :data:`SOURCE_COLUMN_NAMES`.
    real_value : str, optional
        One-file mode: the source value meaning "real". None picks the value that is one of
        :data:`REAL_VALUES` (case-insensitive), or "0"/"false" of an ``is_synthetic`` column.
    text_column : str or list of str, optional
        The text column, or several (each a field, audited alone and together as the record).
        A column of chats (lists of turns) is audited per role. None picks a chat column
        (:data:`synth_quality.records.CHAT_COLUMNS`), else a column named one of
        :data:`TEXT_COLUMN_NAMES`, else a known instruction-data field set
        (:data:`synth_quality.records.FIELD_SETS`), else the only string column whose
        non-empty values average at least 15 characters.
    label_column, generator_column : str, optional
        Class labels (in every file) and the generator of each synthetic row (in the
        synthetic or the one file); values become str, missing or blank ones None.
    pair_column : str, optional
        A column naming the prompt each row answers, shared by both sides (paired data).
        Without it, several fields whose prompt fields hold the same texts on both sides are
        paired by those texts.
    min_rows_per_side : int, default 5
        Fewest rows a side may keep after blank texts are dropped.
    names : dict, optional
        Display names for "real", "synthetic" and "data": the file name of bytes (which gives
        the format), or the name of a DataFrame in messages (default "<real table>", ...).

    Returns
    -------
    AuditInput

    Raises
    ------
    InputDataError
        Inputs missing or unreadable, columns not found or ambiguous, sides too small, a chat
        that is not a list of turns, a record without a named field, mixed formats.
    """
    names = dict(names or {})
    text_columns = _text_columns(text_column)
    if data is not None and (real is not None or synthetic is not None):
        _fail("pass either one --data file with a source column or --real and --synthetic, "
              "not both", ErrorKind.OPTIONS)
    if data is None and (real is None or synthetic is None):
        missing = ("--real and --synthetic" if real is None and synthetic is None
                   else "--real" if real is None else "--synthetic")
        _fail(f"{missing} not given; pass both --real and --synthetic, or one --data file "
              "with a source column", ErrorKind.OPTIONS)
    extra = [c for c in (label_column, generator_column, pair_column) if c is not None]
    for column in text_columns or []:
        if column in extra:
            _fail(f"column {column!r} cannot be both a text column and the label, generator "
                  "or pair column; pass different columns", ErrorKind.TEXT_COLUMN)
    if data is not None:
        frame, info = _load(data, "data", names)
        display = info["path"]
        if source_column is None:
            source_column = _pick_source_column(frame, display)
        require_column(frame, source_column, display, "--source-column", side="data")
        for column in text_columns or []:
            _require_field(frame, column, display, "data")
            if column == source_column:
                _fail(f"column {column!r} of {display} cannot be both the source and the text "
                      "column; pass another --text-column", ErrorKind.TEXT_COLUMN, "data")
        shaped = shape(frame, display, text_columns, [source_column, *extra])
        if shaped is not None:
            frame, text_col = shaped.frame, "__record"
        elif text_columns:
            text_col = text_columns[0]
        else:
            text_col = pick_text_column([(frame, display)], [source_column, *extra])
        for column, role in ((label_column, "label"), (generator_column, "generator"),
                             (pair_column, "pair")):
            if column is not None:
                require_column(frame, column, display, f"--{role}-column", side="data")
                if column == source_column:
                    _fail(f"column {column!r} of {display} cannot be both the source and the "
                          f"{role} column; pass another --{role}-column",
                          ErrorKind.OF_COLUMN_OPTION[f"--{role}-column"], "data")
        values = [None if v is None else v.strip()
                  for v in map(label_value, frame[source_column].tolist())]
        real_value = _pick_real_value(values, source_column, real_value, display)
        is_real = np.array([v == real_value for v in values])
        parts = [("real", frame, np.flatnonzero(is_real), display),
                 ("synthetic", frame, np.flatnonzero(~is_real), display)]
        sources = [{**info, "side": "mixed"}]
    else:
        real_frame, real_info = _load(real, "real", names)
        synth_frame, synth_info = _load(synthetic, "synthetic", names)
        tables = [(real_frame, real_info["path"]), (synth_frame, synth_info["path"])]
        for (frame, display), side in zip(tables, ("real", "synthetic")):
            for column in text_columns or []:
                _require_field(frame, column, display, side)
        shaped_tables = [shape(frame, display, text_columns, extra) for frame, display in tables]
        check_same_fields(shaped_tables, [d for _, d in tables])
        shaped = shaped_tables[0]
        if shaped is not None:
            if shaped.fields != shaped_tables[1].fields and shaped.kind == "fields":
                _fail(f"the files have different fields ({tables[0][1]}: "
                      f"{listing(shaped.fields)}; {tables[1][1]}: "
                      f"{listing(shaped_tables[1].fields)}); name the same --text-column(s)",
                      ErrorKind.TEXT_COLUMN)
            tables = [(s.frame, d) for s, (_, d) in zip(shaped_tables, tables)]
            real_frame, synth_frame = tables[0][0], tables[1][0]
            if shaped.kind == "chat":  # the roles either side has
                shaped.fields = [r for r in ROLE_ORDER if r in shaped.fields
                                 or r in shaped_tables[1].fields]
                for frame, _ in tables:
                    for role in shaped.fields:
                        if working_column(role) not in frame:
                            frame[working_column(role)] = None
            text_col = "__record"
        elif text_columns:
            text_col = text_columns[0]
        else:
            text_col = pick_text_column(tables, extra)
        for (frame, display), side in zip(tables, ("real", "synthetic")):
            require_column(frame, text_col, display, "--text-column", side=side)
            if label_column is not None:
                require_column(frame, label_column, display, "--label-column", side=side)
            if pair_column is not None:
                require_column(frame, pair_column, display, "--pair-column", side=side)
        if generator_column is not None:
            require_column(synth_frame, generator_column, tables[1][1], "--generator-column",
                           side="synthetic")
        real_value = None
        parts = [("real", real_frame, np.arange(len(real_frame)), tables[0][1]),
                 ("synthetic", synth_frame, np.arange(len(synth_frame)), tables[1][1])]
        sources = [{**real_info, "side": "real"}, {**synth_info, "side": "synthetic"}]
    result = _assemble(parts, sources, text_col, label_column, generator_column, real_value,
                       min_rows_per_side, shaped, pair_column)
    return _paired(result, pair_column)


def _text_columns(text_column) -> list | None:
    """``--text-column`` as a list (None when not given); repeats dropped."""
    if text_column is None:
        return None
    if isinstance(text_column, (list, tuple)):
        columns = list(dict.fromkeys(c for c in text_column if c is not None))
        return columns or None
    return [text_column]


def _require_field(frame: pd.DataFrame, column, display: str, side: str | None = None) -> None:
    """The text column exists, and no JSON record lacks it."""
    require_column(frame, column, display, "--text-column", side=side)
    rows = (frame.attrs.get("absent_keys") or {}).get(column) or []
    if rows:
        _fail(f"{plural(len(rows), 'record')} of {display} {'has' if len(rows) == 1 else 'have'}"
              f" no field {column!r} ({rows_phrase(rows)}); give every record that field (mixed "
              "formats in one file?)", ErrorKind.TEXT_COLUMN, side)


def _paired(inputs: AuditInput, pair_column) -> AuditInput:
    """Find which prompt each row answers: the ``--pair-column``, or the texts of the prompt
    fields when both sides share them (:func:`synth_quality.records.same_prompt_keys`)."""
    frame = inputs.frame
    if pair_column is not None:
        inputs.pair_column = str(pair_column)
        inputs.answer_fields = list(inputs.fields)
    elif inputs.fields:
        found = same_prompt_keys(frame, inputs.fields, inputs.kind)
        if found is None:
            return inputs
        inputs.prompt_fields, inputs.answer_fields = found
        frame["pair"] = prompt_key(frame, inputs.prompt_fields)
        inputs.pair_column = "same " + " + ".join(inputs.prompt_fields)
    else:
        return inputs
    key = frame["pair"]
    real_keys = set(key[frame["side"] == "real"].dropna())
    syn_keys = set(key[frame["side"] == "synthetic"].dropna())
    # A prompt only one side answers pairs nothing.
    frame["pair"] = key.where(key.isin(real_keys & syn_keys), None)
    n = int(frame.loc[frame["side"] == "synthetic", "pair"].notna().sum())
    if n == 0:
        inputs.warnings.append(f"no synthetic row answers a prompt of the real rows "
                               f"({inputs.pair_column}); the rows are audited unpaired")
        frame.drop(columns="pair", inplace=True)
        inputs.pair_column, inputs.prompt_fields, inputs.answer_fields = None, [], []
    return inputs


def load_side(source, side: str = "synthetic", *, text_column=None, label_column=None,
              generator_column=None, name: str | None = None, min_rows: int = 1) -> AuditInput:
    """Read the rows of one side from one file (rows added to an earlier audit).

    The same checks as :func:`load_inputs` (text column picked or required, blank texts
    dropped, labels and generators as str), for one file whose rows are all on ``side``.

    Parameters
    ----------
    source : path, bytes or pandas.DataFrame
    side : {"synthetic", "real"}, default "synthetic"
    text_column, label_column, generator_column : str, optional
        As in :func:`load_inputs`; the generator is kept on the synthetic side only.
    name : str, optional
        The file name of bytes, or the name of a DataFrame in messages.
    min_rows : int, default 1
        Fewest rows the file must keep after blank texts are dropped.

    Returns
    -------
    AuditInput
        Its ``frame`` holds only ``side`` rows.
    """
    if side not in ("real", "synthetic"):
        raise ValueError(f"side must be 'real' or 'synthetic', got {side!r}")
    frame, info = _load(source, side, {side: name} if name else {})
    display = info["path"]
    extra = [c for c in (label_column, generator_column) if c is not None]
    if text_column is not None and text_column in extra:
        _fail(f"column {text_column!r} cannot be both the text column and the label or "
              "generator column; pass different columns", ErrorKind.TEXT_COLUMN)
    if text_column is None:
        text_column = pick_text_column([(frame, display)], extra)
    for column, role in ((text_column, "text"), (label_column, "label"),
                         (generator_column, "generator")):
        if column is not None:
            require_column(frame, column, display, f"--{role}-column", side=side)
    return _assemble([(side, frame, np.arange(len(frame)), display)], [{**info, "side": side}],
                     text_column, label_column,
                     generator_column if side == "synthetic" else None, None, min_rows)


def _load(source, role: str, names: dict) -> tuple[pd.DataFrame, dict]:
    try:
        if isinstance(source, pd.DataFrame):
            display = str(names.get(role) or f"<{role} table>")
            if len(source) == 0:
                _fail(f"{display} is empty (no rows)")
            return source, {"path": display, "format": "dataframe", "encoding": None,
                            "n_rows": len(source)}
        if isinstance(source, (bytes, bytearray, memoryview)):
            return read_table(source, name=names.get(role))
        if isinstance(source, (str, Path)) or hasattr(source, "__fspath__"):
            return read_table(source)
        _fail(f"--{role} must be a file path, bytes or a pandas DataFrame, got "
              f"{type(source).__name__}")
    except InputDataError as exc:
        exc.side = exc.side or role   # read_table does not know which input it reads
        raise


def require_column(frame: pd.DataFrame, column, display: str, option: str, *,
                   kind: str | None = None, side: str | None = None) -> None:
    """Raise InputDataError unless ``frame`` has ``column`` exactly once (naming ``option``).

    ``kind`` (default: the :class:`~synth_quality.errors.ErrorKind` of ``option``, e.g.
    ``"--text-column"`` -> ``ErrorKind.TEXT_COLUMN``) and ``side`` go on the error."""
    kind = kind or ErrorKind.OF_COLUMN_OPTION.get(option, ErrorKind.OTHER)
    columns = list(frame.columns)
    if column in columns:
        if columns.count(column) > 1:
            _fail(f"column {column!r} appears {columns.count(column)} times in {display}; "
                  "rename the copies", kind, side)
        return
    close = [c for c in columns if _norm(c) == _norm(column)]
    hint = f" (did you mean {close[0]!r}?)" if len(close) == 1 else ""
    _fail(f"column {column!r} not found in {display} (columns: {listing(columns, 30)}); "
          f"pass {option}{hint}", kind, side)


# --------------------------------------------------------------------------- the column rules
# One set of rules, used by the audit (which fails when a rule finds nothing) and by the
# dashboard's Data page (which proposes what the rule finds, and lets the user pick).

def find_named_column(frame: pd.DataFrame, names, exclude=()):
    """The first column named (case and spaces ignored) like one of ``names``, in the order of
    ``names``; None if there is none."""
    for wanted in names:
        hits = [c for c in frame.columns if c not in exclude and _norm(c) == wanted]
        if hits:
            return hits[0]
    return None


def find_source_column(frame: pd.DataFrame):
    """One-file mode's source column: the first named like :data:`SOURCE_COLUMN_NAMES`, or None."""
    return find_named_column(frame, SOURCE_COLUMN_NAMES)


def source_values(frame: pd.DataFrame, column) -> list[str]:
    """The distinct non-blank values of a source column as the audit reads them (str, stripped,
    1.0 as "1"), in order of appearance."""
    values = (label_value(v) for v in frame[column].tolist())
    return list(dict.fromkeys(v.strip() for v in values if v is not None))


def find_real_value(values, column=None) -> str | None:
    """The value of a source column meaning "real": the one of :data:`REAL_VALUES`
    (case-insensitive), or for a column named ``is_synthetic`` the one "0"/"false"; None when
    that is not exactly one value."""
    hits = [v for v in values if str(v).lower() in REAL_VALUES]
    if len(hits) != 1 and column is not None and _norm(column) == "is_synthetic":
        hits = [v for v in values if str(v).lower() in ("0", "false")]
    return hits[0] if len(hits) == 1 else None


def find_text_column(tables: list, exclude=()):
    """The text column of ``tables`` (``[(frame, display)]``; a column every table has,
    outside ``exclude``): the one column with a name of :data:`TEXT_COLUMN_NAMES` (the first
    name that matches), else the one column that looks like text in every table (strings
    averaging at least :data:`MIN_TEXT_LENGTH` characters). None when that is not exactly one."""
    first = tables[0][0]
    common = [c for c in first.columns if c not in exclude
              and all(c in frame.columns for frame, _ in tables[1:])]
    for wanted in TEXT_COLUMN_NAMES:
        hits = [c for c in common if _norm(c) == wanted]
        if hits:
            return hits[0] if len(hits) == 1 else None   # "text" and "Text": ambiguous
    hits = [c for c in common if all(_looks_like_text(frame[c]) for frame, _ in tables)]
    return hits[0] if len(hits) == 1 else None


def _pick_source_column(frame: pd.DataFrame, display: str):
    found = find_source_column(frame)
    if found is None:
        _fail(f"cannot tell which column of {display} says whether a row is real or synthetic "
              f"(columns: {listing(frame.columns, 30)}); pass --source-column",
              ErrorKind.SOURCE_COLUMN, "data")
    return found


def _pick_real_value(values: list, column, real_value, display: str) -> str:
    missing = [i for i, v in enumerate(values) if v is None]
    if missing:
        _fail(f"column {column!r} of {display} is empty in {plural(len(missing), 'row')} "
              f"({rows_phrase(missing)}); fill in real or synthetic, or drop those rows",
              ErrorKind.SOURCE_COLUMN, "data")
    found = list(dict.fromkeys(values))
    if len(found) != 2:
        _fail(f"column {column!r} of {display} must have exactly two values (one for real rows, "
              f"one for synthetic rows); found {len(found)}: {listing(found)}; "
              "fix the column or pass --source-column", ErrorKind.SOURCE_COLUMN, "data")
    if real_value is not None:
        wanted = str(real_value).strip()
        hits = ([v for v in found if v == wanted]
                or [v for v in found if v.lower() == wanted.lower()])
        if len(hits) != 1:
            _fail(f"--real-value {wanted!r} is not a value of column {column!r} in {display} "
                  f"(values: {listing(found)}); pass one of them", ErrorKind.REAL_VALUE, "data")
        return hits[0]
    hit = find_real_value(found, column)
    if hit is None:
        _fail(f"cannot tell which value of {column!r} is real (values: {listing(found)}) in "
              f"{display}; pass --real-value", ErrorKind.REAL_VALUE, "data")
    return hit


def _looks_like_text(series: pd.Series) -> bool:
    values = [v for v in series.iloc[:_PICK_SAMPLE].tolist() if not is_missing(v)]
    if not values or not all(isinstance(v, str) for v in values):
        return False
    lengths = [len(v) for v in values if v.strip()]
    return bool(lengths) and sum(lengths) / len(lengths) >= MIN_TEXT_LENGTH


def pick_text_column(tables: list, exclude: list):
    """:func:`find_text_column`, or InputDataError when it finds none (naming the columns)."""
    found = find_text_column(tables, exclude)
    if found is not None:
        return found
    first = tables[0][0]
    common = [c for c in first.columns if c not in exclude
              and all(c in frame.columns for frame, _ in tables[1:])]
    where = " and ".join(display for _, display in tables)
    label = "columns" if len(tables) == 1 else "columns in both"
    shown = list(first.columns) if len(tables) == 1 else common
    _fail(f"cannot pick the text column in {where} ({label}: {listing(shown, 30)}); "
          "pass --text-column", ErrorKind.TEXT_COLUMN)


def label_value(value) -> str | None:
    """A label or generator value as str (1.0 becomes "1"); None when missing or blank."""
    if is_missing(value):
        return None
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        value = int(value)  # 1.0 from a float column with gaps means label "1"
    text = str(value)
    return text if text.strip() else None


def _assemble(parts, sources, text_column, label_column, generator_column, real_value,
              min_rows: int, shaped=None, pair_column=None) -> AuditInput:
    columns = {"side": [], "row": [], "text": [], "label": [], "generator": [], "pair": []}
    fields = list(shaped.fields) if shaped is not None else []
    extra_sources = ([(field_column(f), working_column(f)) for f in fields]
                     + ([("n_turns", "__n_turns"), ("mean_turn_words", "__turn_words")]
                        if shaped is not None and shaped.kind == "chat" else []))
    extras: dict = {out: [] for out, _ in extra_sources}
    blank_rows: dict = {}
    warnings = []
    for info in sources:
        if info["encoding"] not in (None, "utf-8"):
            why = "not valid UTF-8" if info["encoding"] == "cp1252" else "neither UTF-8 nor cp1252"
            warnings.append(f"read {info['path']} as {info['encoding']} ({why})")
    shown_column = shaped.text_column if shaped is not None else text_column
    for side, frame, positions, display in parts:
        texts = frame[text_column].to_numpy(dtype=object)[positions]
        labels = (frame[label_column].to_numpy(dtype=object)[positions]
                  if label_column is not None else None)
        gens = (frame[generator_column].to_numpy(dtype=object)[positions]
                if generator_column is not None and side == "synthetic" else None)
        pairs = (frame[pair_column].to_numpy(dtype=object)[positions]
                 if pair_column is not None else None)
        extra_values = {out: frame[src].to_numpy(dtype=object)[positions]
                        for out, src in extra_sources}
        blanks, kept = [], 0
        for i, (row, text) in enumerate(zip(positions.tolist(), texts)):
            if is_missing(text) or not str(text).strip():
                blanks.append(row)
                continue
            kept += 1
            columns["side"].append(side)
            columns["row"].append(row)
            columns["text"].append(text if isinstance(text, str) else str(text))
            columns["label"].append(None if labels is None else label_value(labels[i]))
            columns["generator"].append(None if gens is None else label_value(gens[i]))
            columns["pair"].append(None if pairs is None else label_value(pairs[i]))
            for out, values in extra_values.items():
                extras[out].append(values[i])
        blank_rows[side] = blanks
        after = f" after dropping {plural(len(blanks), 'blank text')}" if blanks else ""
        if blanks:
            warnings.append(f"dropped {plural(len(blanks), 'blank text')} from the {side} side "
                            f"({rows_phrase(blanks)}) of {display}")
        if kept == 0:
            _fail(f"the {side} side has no text rows{after} ({display}, column {shown_column!r})",
                  ErrorKind.TEXT_COLUMN, side)
        if kept < min_rows:
            _fail(f"the {side} side has {plural(kept, 'row')}{after}; at least {min_rows} are "
                  f"needed to cross-validate ({display})", ErrorKind.ROWS, side)
    frame = pd.DataFrame({"side": columns["side"],
                          "row": np.asarray(columns["row"], dtype=np.int64),
                          "text": columns["text"]})
    for out, values in extras.items():
        frame[out] = (pd.Series(values, dtype=np.float64) if out in ("n_turns", "mean_turn_words")
                      else pd.Series(values, dtype=object))
    if label_column is not None:
        frame["label"] = pd.Series(columns["label"], dtype=object)
    if generator_column is not None:
        frame["generator"] = pd.Series(columns["generator"], dtype=object)
    if pair_column is not None:
        frame["pair"] = pd.Series(columns["pair"], dtype=object)
    is_real = frame["side"].to_numpy() == "real"
    real_texts, synth_texts = frame["text"][is_real], frame["text"][~is_real]
    duplicates = {"real": int(len(real_texts) - real_texts.nunique()),
                  "synthetic": int(len(synth_texts) - synth_texts.nunique()),
                  "across": len(set(real_texts) & set(synth_texts))}
    return AuditInput(frame=frame, text_column=shown_column, label_column=label_column,
                      generator_column=generator_column, real_value=real_value, sources=sources,
                      blank_rows=blank_rows, duplicate_texts=duplicates, warnings=warnings,
                      kind=shaped.kind if shaped is not None else "text", fields=fields)
