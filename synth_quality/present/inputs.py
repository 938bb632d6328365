"""The Data page's plain helpers: which control an input error belongs to, and its message in
the page's words. The columns the page proposes come from :mod:`synth_quality.io`'s rules
(``find_text_column``, ``find_source_column``, ``find_real_value``, ``find_named_column``), the
same the command line uses."""

from __future__ import annotations

from synth_quality.errors import ErrorKind, SynthQualityError

INPUT_CONTROLS = ("file", "real_file", "synthetic_file", "source", "real_value", "text",
                  "label", "generator")

#: The control of each column error kind.
_COLUMN_CONTROLS = {ErrorKind.SOURCE_COLUMN: "source", ErrorKind.REAL_VALUE: "real_value",
                    ErrorKind.TEXT_COLUMN: "text", ErrorKind.LABEL_COLUMN: "label",
                    ErrorKind.GENERATOR_COLUMN: "generator"}

_OPTION_NAMES = {"--source-column": "Source column", "--real-value": "Value meaning real",
                 "--text-column": "Text column", "--label-column": "Label column",
                 "--generator-column": "Generator column", "--real": "Real file",
                 "--synthetic": "Synthetic file", "--data": "Data file"}


def error_control(kind: str, side: str | None, two_files: bool = False) -> str:
    """The Data page control (one of :data:`INPUT_CONTROLS`) an input error of ``kind``
    (:class:`~synth_quality.errors.ErrorKind`), found in input ``side``, belongs to.

    Column errors go to that column's control; everything else (the file, too few rows) to the
    file it was found in: with two files, the real or the synthetic file's uploader."""
    if kind in _COLUMN_CONTROLS:
        return _COLUMN_CONTROLS[kind]
    if two_files:
        return "synthetic_file" if side == "synthetic" else "real_file"
    return "file"


def in_page_words(message: str) -> str:
    """The message with command-line option names ("pass --text-column") as the names of the
    page's controls ("choose another “Text column”")."""
    text = message
    for option in sorted(_OPTION_NAMES, key=len, reverse=True):
        text = text.replace(f"pass {option}", f"choose another “{_OPTION_NAMES[option]}”")
        text = text.replace(option, f"“{_OPTION_NAMES[option]}”")
    return text


def error_parts(exc: SynthQualityError) -> tuple[str, str, str | None]:
    """(message, kind, side) of an error (kind ``ErrorKind.OTHER`` and no side unless it is an
    InputDataError): what the page's caches keep, as plain values."""
    return str(exc), getattr(exc, "kind", ErrorKind.OTHER), getattr(exc, "side", None)


def locate_input_error(error: tuple[str, str, str | None],
                       two_files: bool = False) -> tuple[str, str]:
    """(control, message in the page's words) of an error kept as :func:`error_parts`."""
    message, kind, side = error
    return error_control(kind, side, two_files), in_page_words(message)
