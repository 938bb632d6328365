"""Audits the dashboard keeps on disk: the built-in sample's and uploaded data's audits under
``<cache root>/audits/``, keyed by data and settings, written atomically. No Streamlit here."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Iterable


def _cache_root(cache_root=None) -> Path:
    from synth_quality.config import default_cache_dir

    return Path(cache_root) if cache_root else default_cache_dir()


def config_fingerprint(config=None) -> str:
    """A stable hash of the settings that change an audit's output (cache settings excluded)."""
    from synth_quality import __version__
    from synth_quality.config import AuditConfig
    from synth_quality.schema import SCHEMA_VERSION

    settings = (config or AuditConfig()).to_dict()
    settings["embed"] = {k: v for k, v in settings["embed"].items()
                         if k not in ("cache_dir", "use_cache")}
    # The schema version too: an audit cached before a schema change is made again.
    blob = json.dumps({"settings": settings, "version": __version__, "schema": SCHEMA_VERSION},
                      sort_keys=True)
    return hashlib.sha256(blob.encode()).hexdigest()


def sample_audit_kwargs(path=None) -> dict:
    """The ``audit()`` keyword arguments for the built-in sample."""
    from synth_quality.demo.sample import sample_path

    return dict(data=str(path or sample_path()), source_column="real_or_synthetic",
                label_column="sentiment", generator_column="generator")


def sample_audit_dir(cache_root=None, config=None, sample_file=None) -> Path:
    """Where the audit of the built-in sample is cached: keyed by its content and the config."""
    from synth_quality.demo.sample import sample_path

    data = Path(sample_file or sample_path()).read_bytes()
    digest = hashlib.sha256(data + config_fingerprint(config).encode()).hexdigest()[:16]
    return _cache_root(cache_root) / "audits" / f"sample-{digest}"


def upload_audit_dir(parts: Iterable[bytes | str], cache_root=None, config=None) -> Path:
    """Where the audit of uploaded files (their bytes plus the column choices) is cached."""
    h = hashlib.sha256(config_fingerprint(config).encode())
    for part in parts:
        h.update(part if isinstance(part, bytes) else str(part).encode())
        h.update(b"\0")
    return _cache_root(cache_root) / "audits" / f"upload-{h.hexdigest()[:16]}"


def is_audit_dir(folder) -> bool:
    from synth_quality.result import OUTPUT_FILES

    folder = Path(folder)
    return folder.is_dir() and all((folder / name).is_file() for name in OUTPUT_FILES)


def save_atomic(result, folder) -> Path:
    """Save ``result`` into ``folder`` so that a reader never sees half a folder."""
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}-", dir=folder.parent))
    try:
        result.save(tmp)
        if folder.exists():
            shutil.rmtree(folder, ignore_errors=True)
        os.replace(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder


def folder_stamp(folder) -> float:
    """Modification time of the audit's summary (changes when the folder is re-saved)."""
    try:
        return (Path(folder) / "summary.json").stat().st_mtime
    except OSError:
        return 0.0
