"""``synth-quality sample``: write the built-in sample to a folder."""

from __future__ import annotations

import click


@click.command()
@click.argument("directory", type=click.Path(file_okay=False), default="sample_data")
def sample(directory):
    """Write the built-in sample (sample.csv) into DIRECTORY (default sample_data/)."""
    from synth_quality.demo.sample import write_sample

    click.echo(str(write_sample(directory)))
