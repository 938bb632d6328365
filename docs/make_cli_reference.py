"""Regenerate docs/cli.md from the commands' --help (tests/test_docs.py checks it is current).

    python docs/make_cli_reference.py
"""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from synth_quality.cli.main import main

HEADER = "# Command-line reference\n\nGenerated from `--help` by `python docs/make_cli_reference.py`; do not edit.\n"


def render() -> str:
    runner = CliRunner()
    parts = [HEADER, "## synth-quality\n", "```", runner.invoke(main, ["--help"], terminal_width=100).output.rstrip(), "```\n"]
    for name in sorted(main.commands):
        help_text = runner.invoke(main, [name, "--help"], terminal_width=100).output.rstrip()
        parts += [f"## synth-quality {name}\n", "```", help_text, "```\n"]
    return "\n".join(parts)


if __name__ == "__main__":
    target = Path(__file__).with_name("cli.md")
    target.write_text(render())
    print(f"wrote {target}")
