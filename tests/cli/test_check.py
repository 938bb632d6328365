"""``synth-quality check``: each rule printed with its value and pass or FAIL; exit 0 when
every rule passes, 1 when one fails, 2 with one line when the rules or an audit cannot be read."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from synth_quality.cli.main import main


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)


@pytest.fixture(scope="module")
def audit_dir(planted_audit, tmp_path_factory):
    return planted_audit.save(tmp_path_factory.mktemp("check") / "planted")


def rules_file(tmp_path, *rules, name="rules.toml"):
    path = tmp_path / name
    path.write_text("# quality gate\nrules = [\n" + "".join(f'  "{r}",\n' for r in rules) + "]\n")
    return path


def error_line(result, code, *fragments):
    assert result.exit_code == code, result.output
    assert result.stdout == "" and "Traceback" not in result.output
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("Error: ")
    for fragment in fragments:
        assert fragment in line, line
    return line


def test_every_rule_passes(audit_dir, tmp_path, planted_audit):
    s = planted_audit.summary
    issues = s["n_synthetic_detectable"] / s["n_synthetic"]
    rules = rules_file(tmp_path, "detection_auc <= 0.8", f"unoriginal <= {s['unoriginal']!r}",
                       f"label issues <= {100 * issues + 0.1:.1f}%", "coverage >= 50%")
    result = run("check", audit_dir, "--rules", rules)
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0] == f"Checking {audit_dir} against {rules} (4 rules)"
    assert lines[1].split()[:4] == ["pass", "detection_auc", "<=", "0.8"]
    assert f"{s['detection_auc']:.3f} (95% CI {s['detection_auc_ci'][0]:.3f}-" in lines[1]
    band = s["no_difference"]["figures"]["detection_auc"]
    assert f"; no difference {band['low']:.3f}-{band['high']:.3f}: {band['reading']})" in lines[1]
    assert f"{issues:.1%} ({s['n_synthetic_detectable']} of 165 synthetic rows; " in lines[3]
    assert lines[-1] == "All 4 checks passed."


def test_a_failing_rule_exits_1_and_says_which(audit_dir, tmp_path, planted_audit):
    s = planted_audit.summary
    rules = rules_file(tmp_path, "detection_auc <= 0.8", "unoriginal <= 0.01",
                       "unvaried[*] <= 3.65%")
    result = run("check", audit_dir, "--rules", rules)
    assert result.exit_code == 1, result.output
    lines = result.stdout.splitlines()
    assert lines[2].split()[:2] == ["FAIL", "unoriginal"] and f"{s['unoriginal']:.3f}" in lines[2]
    by = s["by_generator"]
    for line, g in zip(lines[3:5], ("gen-a", "gen-b")):
        verdict = "pass" if by[g]["unvaried"] <= 0.0365 else "FAIL"
        assert line.split()[:2] == [verdict, f"unvaried[{g}]"], line
        assert f"{by[g]['unvaried']:.1%}" in line
    assert lines[-1].startswith("2 of 4 checks failed (rules on line 4, 5 of")


def test_baseline_rules(audit_dir, tmp_path):
    rules = rules_file(tmp_path, "coverage >= baseline - 2%", "n_outliers <= baseline")
    assert run("check", audit_dir, "--rules", rules, "--baseline", audit_dir).exit_code == 0
    worse = rules_file(tmp_path, "unvaried <= baseline - 1%", name="worse.toml")
    result = run("check", audit_dir, "--rules", worse, "--baseline", audit_dir)
    assert result.exit_code == 1 and "baseline 3.6%, limit 2.6%" in result.stdout
    error_line(run("check", audit_dir, "--rules", worse), 2, "worse.toml line 3",
               "needs --baseline AUDIT_DIR")


@pytest.mark.parametrize("rule,fragment", [
    ("unorignal <= 0.01", "unknown figure 'unorignal'; did you mean unoriginal?"),
    ("unoriginal is small", "write FIGURE OP LIMIT"),
    ("n_degenerate <= 1%", "use degenerate_share"),
    ("unoriginal[gen-z] <= 0.1", "no generator 'gen-z' in this audit"),
])
def test_rule_mistakes_exit_2_naming_the_rule_and_line(audit_dir, tmp_path, rule, fragment):
    rules = rules_file(tmp_path, "detection_auc <= 0.8", rule)
    error_line(run("check", audit_dir, "--rules", rules), 2,
               f"{rules} line 4: rule {rule!r}: ", fragment)


def test_unreadable_inputs_exit_2(audit_dir, tmp_path):
    rules = rules_file(tmp_path, "unoriginal <= 0.01")
    error_line(run("check", tmp_path / "nope", "--rules", rules), 2, "audit folder not found")
    error_line(run("check", audit_dir, "--rules", tmp_path / "none.toml"), 2,
               "none.toml: rules file not found")
    (tmp_path / "bad.toml").write_text('rules = ["unoriginal <= 0.01",\n')
    error_line(run("check", audit_dir, "--rules", tmp_path / "bad.toml"), 2, "not valid TOML")
    error_line(run("check", audit_dir), 2, "pass --rules FILE")
    newer = json.loads((audit_dir / "summary.json").read_text())
    folder = tmp_path / "newer"
    folder.mkdir()
    for name in ("examples.parquet", "clusters.parquet"):
        (folder / name).write_bytes((audit_dir / name).read_bytes())
    (folder / "summary.json").write_text(json.dumps(dict(newer, schema_version="2.0")))
    error_line(run("check", folder, "--rules", rules), 2, "summary schema 2.0", "upgrade it")


def test_list_shows_every_figure_with_its_value(audit_dir, planted_audit):
    result = run("check", audit_dir, "--list")
    assert result.exit_code == 0
    rows = {line.split()[0]: line for line in result.stdout.splitlines()}
    assert rows["detection_auc"].split()[1] == f"{planted_audit.summary['detection_auc']:.3f}"
    assert "(high is bad; no difference " in rows["unoriginal"]
    assert "(high is good; no difference " in rows["coverage"]
    assert {"detectable_synthetic_share", "copies_share", "unoriginal[gen-a]"} <= set(rows)
    assert rows["unoriginal[gen-a]"].endswith("(high is bad)")    # no band per generator
