"""The ``synth-quality`` command line: the command group; each command is its own module.

Every error a user can cause (:class:`~synth_quality.errors.SynthQualityError`) is printed as one
line, ``Error: ...``, with exit code 1 (:func:`synth_quality.cli.common.friendly_errors`).
Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import click

from synth_quality.cli.add import add
from synth_quality.cli.app import app
from synth_quality.cli.audit import audit
from synth_quality.cli.check import check
from synth_quality.cli.diff import diff
from synth_quality.cli.lift import lift
from synth_quality.cli.next_steps import next_steps
from synth_quality.cli.sample import sample
from synth_quality.cli.selftest import selftest


@click.group()
@click.version_option(package_name="synth-quality")
def main():
    """synth-quality: is your synthetic text data any good?

    \b
    synth-quality audit --real real.csv --synthetic synth.csv --out runs/first
    synth-quality audit --data mixed.csv --source-column real_or_synthetic --out runs/second
    synth-quality add   runs/first --synthetic round2.csv --out runs/first-plus-round2
    synth-quality lift  --data mixed.csv --label-column sentiment --eval eval.csv --out runs/lift
    synth-quality selftest --real real.csv --synthetic synth.csv --out runs/selftest
    synth-quality next-steps runs/first --lift-dir runs/lift --out runs/next
    synth-quality check runs/first --rules rules.toml    # exit 1 when a rule fails
    synth-quality diff  runs/first runs/first-plus-round2
    synth-quality app   # the dashboard, on the built-in sample
    """


for _command in (audit, add, app, sample, lift, selftest, next_steps, check, diff):
    main.add_command(_command)
