"""``python -m synth_quality ...`` is the same as the ``synth-quality`` command."""

from synth_quality.cli.main import main

main()
