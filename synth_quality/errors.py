"""Errors raised by synth-quality.

Every error a user can cause derives from :class:`SynthQualityError` and carries a one-line
message naming what was wrong, where, and what to do. The command line prints that line and
exits with code 1; the dashboard shows it with ``st.error``. Anything else is a bug.
"""

from __future__ import annotations


class SynthQualityError(Exception):
    """Base class of every error a user can cause."""


class InputDataError(SynthQualityError, ValueError):
    """An input file or table is missing, unreadable, or lacks what the audit needs."""


class ConfigError(SynthQualityError, ValueError):
    """A setting has a value outside its allowed range."""


class MissingDependencyError(SynthQualityError, ImportError):
    """An optional package is needed; the message gives the ``pip install`` line."""


class ModelLoadError(SynthQualityError):
    """The embedding model could not be loaded (offline, by path or installed package)."""
