"""Errors raised by synth-quality.

Every error a user can cause derives from :class:`SynthQualityError` and carries a one-line
message naming what was wrong, where, and what to do. The command line prints that line and
exits with code 1; the dashboard shows it with ``st.error``. Anything else is a bug.

An :class:`InputDataError` also says what it is about, as constants a program can branch on:
``kind`` (an :class:`ErrorKind`) and ``side`` (the input it was found in: "real",
"synthetic", "data" for the one file of one-file mode, or None). The dashboard's Data page uses
them to show the message next to the control that caused it; the message's words are for people.
"""

from __future__ import annotations


class ErrorKind:
    """What an :class:`InputDataError` is about (the values are stable identifiers)."""

    #: a file is missing, unreadable, empty, binary or of an unknown format
    FILE = "file"
    #: one-file mode: the column saying which side a row is on
    SOURCE_COLUMN = "source_column"
    #: one-file mode: the value of that column meaning "real"
    REAL_VALUE = "real_value"
    TEXT_COLUMN = "text_column"
    LABEL_COLUMN = "label_column"
    GENERATOR_COLUMN = "generator_column"
    #: a side keeps too few rows (after blank texts are dropped) for the audit
    ROWS = "rows"
    #: options that contradict each other or are missing
    OPTIONS = "options"
    #: an audit folder (or its summary.json) cannot be read
    AUDIT_FOLDER = "audit_folder"
    #: a rules file of ``synth-quality check``
    RULES = "rules"
    #: anything else
    OTHER = "other"

    ALL = (FILE, SOURCE_COLUMN, REAL_VALUE, TEXT_COLUMN, LABEL_COLUMN, GENERATOR_COLUMN, ROWS,
           OPTIONS, AUDIT_FOLDER, RULES, OTHER)

    #: the ``--...-column`` option of each column kind
    OF_COLUMN_OPTION = {"--source-column": SOURCE_COLUMN, "--text-column": TEXT_COLUMN,
                        "--label-column": LABEL_COLUMN, "--generator-column": GENERATOR_COLUMN}


class SynthQualityError(Exception):
    """Base class of every error a user can cause."""


class InputDataError(SynthQualityError, ValueError):
    """An input file or table is missing, unreadable, or lacks what the audit needs.

    ``kind`` is an :class:`ErrorKind` value; ``side`` the input it was found in ("real",
    "synthetic", "data") or None.
    """

    def __init__(self, message: str = "", *, kind: str = ErrorKind.OTHER,
                 side: str | None = None):
        super().__init__(message)
        self.kind, self.side = kind, side

    def __reduce__(self):
        # Pickled by Streamlit's caches and between processes: keep kind and side.
        return _rebuild_input_error, (str(self), self.kind, self.side)


def _rebuild_input_error(message, kind, side):
    return InputDataError(message, kind=kind, side=side)


class ConfigError(SynthQualityError, ValueError):
    """A setting has a value outside its allowed range."""


class MissingDependencyError(SynthQualityError, ImportError):
    """An optional package is needed; the message gives the ``pip install`` line."""


class ModelLoadError(SynthQualityError):
    """The embedding model could not be loaded (offline, by path or installed package)."""
