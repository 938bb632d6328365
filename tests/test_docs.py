"""The docs stay true: the CLI reference is current and the README documents every output column."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


def test_cli_reference_is_current():
    spec = importlib.util.spec_from_file_location("make_cli", REPO / "docs" / "make_cli_reference.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert (REPO / "docs" / "cli.md").read_text() == module.render(), \
        "docs/cli.md is stale: run python docs/make_cli_reference.py"


def test_readme_starts_with_the_two_commands():
    lines = [ln for ln in (REPO / "README.md").read_text().splitlines() if ln.strip()]
    block = lines[lines.index("```bash") + 1: lines.index("```bash") + 3]
    assert block[0].startswith("bash run.sh app") and block[1].startswith("bash run.sh test")
    assert "pytest" in (REPO / "run.sh").read_text() and "run.sh test" in (REPO / ".ci" / "run").read_text()


def test_readme_documents_every_examples_and_clusters_column(planted_audit):
    readme = (REPO / "README.md").read_text()
    documented = set(re.findall(r"`([a-z_]+)`", readme))
    missing_rows = [c for c in planted_audit.examples.columns if c not in documented]
    missing_clusters = [c for c in planted_audit.clusters.columns if c not in documented]
    assert missing_rows == [] and missing_clusters == []
    missing_summary = [k for k in planted_audit.summary if k not in documented]
    assert missing_summary == []
