"""``synth-quality app``: the flags of served mode reach the dashboard as its settings, bad
ones get one line, and the commands the README's "Serving it to a team" gives are accepted as
written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest
from click.testing import CliRunner

from synth_quality.cli.main import main
from synth_quality.dashboard.serving import ServeSettings

README = Path(__file__).resolve().parents[2] / "README.md"


@pytest.fixture
def started(monkeypatch):
    """Runs the command up to the point where it would start Streamlit; what it would start."""
    calls = []

    def fake_run(port, audit_dir=None, settings=None, address="127.0.0.1"):
        calls.append({"port": port, "audit_dir": audit_dir, "settings": settings,
                      "address": address})

    monkeypatch.setattr("synth_quality.dashboard.launch.run", fake_run)
    for name in ("SERVE", "AUDIT_ROOT", "MAX_AUDITS", "UPLOAD_MEMORY_MB", "AUDIT_MEMORY_MB",
                 "KEEP_HOURS", "LOGIN"):
        monkeypatch.delenv(f"SYNTH_QUALITY_{name}", raising=False)
    return calls


def invoke(*args):
    return CliRunner().invoke(main, ["app", *args], catch_exceptions=False)


def test_local_by_default(started):
    assert invoke().exit_code == 0
    (call,) = started
    assert call["address"] == "127.0.0.1" and call["settings"] == ServeSettings()


def test_serve_flags_become_settings(started, tmp_path):
    result = invoke("--serve", "--audit-root", str(tmp_path), "--max-audits", "3",
                    "--upload-memory-mb", "512", "--audit-memory-mb", "256", "--keep-hours", "4",
                    "--port", "9000")
    assert result.exit_code == 0, result.output
    (call,) = started
    assert call["address"] == "0.0.0.0" and call["port"] == 9000
    assert call["settings"] == ServeSettings(True, tmp_path.resolve(), 3, 512, 256, 4.0, False)


def test_environment_is_read_and_flags_win(started, monkeypatch):
    monkeypatch.setenv("SYNTH_QUALITY_MAX_AUDITS", "2")
    monkeypatch.setenv("SYNTH_QUALITY_UPLOAD_MEMORY_MB", "300")
    assert invoke("--serve", "--max-audits", "4", "--address", "10.0.0.5").exit_code == 0
    (call,) = started
    s = call["settings"]
    assert (s.served, s.max_audits, s.upload_memory_mb, call["address"]) == \
        (True, 4, 300, "10.0.0.5")


@pytest.mark.parametrize("args,env,fragment", [
    (["--login"], {}, "--login needs --serve"),
    (["--serve"], {"SYNTH_QUALITY_MAX_AUDITS": "lots"},
     "$SYNTH_QUALITY_MAX_AUDITS must be a number, got 'lots'"),
])
def test_bad_settings_get_one_line(started, monkeypatch, args, env, fragment):
    for k, v in env.items():
        monkeypatch.setenv(k, v)
    result = CliRunner().invoke(main, ["app", *args])
    assert result.exit_code == 1 and started == []
    errors = [ln for ln in result.output.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1 and fragment in errors[0], result.output
    assert "Traceback" not in result.output


def test_bad_flag_values_are_refused(started, tmp_path):
    for args in (["--max-audits", "0"], ["--audit-root", str(tmp_path / "missing")],
                 ["--upload-memory-mb", "1"]):
        result = CliRunner().invoke(main, ["app", *args])
        assert result.exit_code == 2 and "Traceback" not in result.output, result.output
    assert started == []


def readme_section() -> str:
    text = README.read_text()
    return text.split("## Serving it to a team", 1)[1].split("\n## ", 1)[0]


def test_the_readme_commands_work_as_written(started, tmp_path, monkeypatch):
    """Every ``synth-quality app ...`` line of the README's section runs (DIRs made up)."""
    section = readme_section()
    commands = [line.split("#")[0].strip() for block in re.findall(r"```bash\n(.*?)```", section,
                                                                    re.S)
                for line in block.splitlines() if line.strip().startswith("synth-quality app")]
    commands += [m for m in re.findall(r"`(synth-quality app[^`]*)`", section)]
    assert len(commands) >= 3, commands
    for command in commands:
        args = shlex.split(command)[2:]
        args = [str(tmp_path) if a.startswith("/srv/") else a for a in args]
        result = CliRunner().invoke(main, ["app", *args])
        assert result.exit_code == 0, (command, result.output)
    # Each flag and variable the section's table names exists.
    for flag in re.findall(r"^\| `(--[a-z-]+)", section, re.M):
        assert flag in CliRunner().invoke(main, ["app", "--help"]).output, flag
    for name in re.findall(r"`(SYNTH_QUALITY_[A-Z_]+)`", section):
        assert name in ServeSettings().to_env() or name == "SYNTH_QUALITY_AUDIT_ROOT" \
            or name == "SYNTH_QUALITY_CACHE_DIR", name
