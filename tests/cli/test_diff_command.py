"""``synth-quality diff``: what changed between two saved audits, as text or JSON."""

from __future__ import annotations

import json
import re

import pandas as pd
from click.testing import CliRunner

from synth_quality.cli.main import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


def test_diff_of_an_audit_and_the_same_audit_plus_rows(planted_audit, fake_embedder, tmp_path):
    from synth_quality.pipeline.incremental import add_rows

    old = planted_audit.save(tmp_path / "old")
    more = pd.DataFrame({"text": [f"a new round review of the plot and the cast, take {i}"
                                  for i in range(12)]})
    new = add_rows(planted_audit, more, embedder=fake_embedder).save(tmp_path / "new")
    result = run("diff", old, new)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{old}: 285 rows; {new}: 297 rows (285 in both, 0 only "
                                    f"in {old}, 12 only in {new}).")
    assert re.search(r"\n  n_synthetic +165 -> 177  \+12\n", result.stdout)
    as_json = json.loads(run("diff", old, new, "--json").stdout)
    assert as_json["rows"]["only_new"] == 12
    names = [c["name"] for c in as_json["scores"]]
    assert names[0] == "detection_auc" and as_json["scores"][0]["old_interval"]


def test_diff_errors_are_one_line(planted_audit, tmp_path):
    old = planted_audit.save(tmp_path / "old")
    result = run("diff", old, tmp_path / "missing")
    assert result.exit_code == 1 and result.stdout == ""
    assert result.stderr.strip() == f"Error: audit folder not found: {tmp_path / 'missing'}"
