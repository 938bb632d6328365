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


def _block(text: str, language: str, containing: str) -> str:
    """The README's fenced block of ``language`` that contains ``containing``."""
    blocks = re.findall(rf"```{language}\n(.*?)```", text, re.S)
    (found,) = [b for b in blocks if containing in b]
    return found


def test_readme_rules_parse_and_run(planted_audit, tmp_path):
    """The README's rules file is valid: every figure exists, and check runs it (against the
    audit itself as the baseline)."""
    from click.testing import CliRunner

    from synth_quality.cli.main import main
    from synth_quality.gate.rules import read_rules

    readme = (REPO / "README.md").read_text()
    rules = tmp_path / "quality-rules.toml"
    rules.write_text(_block(readme, "toml", "quality-rules.toml"))
    assert len(read_rules(rules)) == 7
    folder = planted_audit.save(tmp_path / "audit")
    result = CliRunner().invoke(main, ["check", str(folder), "--rules", str(rules),
                                       "--baseline", str(folder)])
    assert result.exit_code in (0, 1) and result.stdout.startswith("Checking"), result.output


def test_readme_ci_job_runs_valid_command_lines():
    """Every synth-quality command of the README's CI job parses: the command exists, its
    options exist, its arguments are given."""
    import shlex

    from synth_quality.cli.main import main

    readme = (REPO / "README.md").read_text()
    job = _block(readme, "yaml", "synth-quality check")
    commands, pending = [], None
    for line in job.splitlines():
        text = line.strip().removeprefix("run:").strip()
        if text == ">-":
            pending = []
        elif pending is not None and text.startswith("synth-quality"):
            pending.append(text)
        elif pending:
            if text and not text.startswith(("- ", "uses:")):
                pending.append(text)
            else:
                commands.append(" ".join(pending))
                pending = None
        elif text.startswith("synth-quality"):
            commands.append(text)
    assert [c.split()[1] for c in commands] == ["audit", "diff", "check"]
    for command in commands:
        args = shlex.split(command)[1:]
        name, cmd, rest = main.resolve_command(main.make_context("synth-quality", list(args)),
                                               args)
        cmd.make_context(name, rest)   # raises on an unknown option or a missing argument


def test_readme_documents_every_summary_field():
    """Every key of the schema is named in the README's summary.json section."""
    from synth_quality.schema import Summary

    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("### `summary.json`"):readme.index("## The real-data control")]
    documented = set(re.findall(r"`([a-z_]+)`", section))
    assert [k for k in Summary.model_fields if k not in documented] == []
