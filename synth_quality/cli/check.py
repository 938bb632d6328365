"""``synth-quality check``: hold an audit to rules, for pipelines (exit 1 when a rule fails)."""

from __future__ import annotations

import click

from synth_quality.cli.common import friendly_errors

#: Exit statuses: every rule passed; a rule failed; the rules or an audit could not be read.
PASSED, FAILED, ERROR = 0, 1, 2


@click.command()
@click.argument("audit_dir", type=click.Path(file_okay=False))
@click.option("--rules", "rules_path", type=click.Path(dir_okay=False), default=None,
              help="TOML file with rules = [\"FIGURE OP LIMIT\", ...], e.g. \"unoriginal <= "
                   "0.01\", \"label issues <= 5%\", \"unvaried[*] <= 10%\".")
@click.option("--baseline", "baseline_dir", type=click.Path(file_okay=False), default=None,
              help="An earlier audit folder, for rules whose limit is baseline (\"coverage >= "
                   "baseline - 2%\").")
@click.option("--list", "list_figures", is_flag=True,
              help="List every figure a rule can name, with its value in AUDIT_DIR, and exit.")
@friendly_errors(exit_code=ERROR)
def check(audit_dir, rules_path, baseline_dir, list_figures):
    """Check the audit in AUDIT_DIR against the rules in --rules.

    Prints each rule with its value and pass or FAIL. Exit status: 0 when every rule passes,
    1 when one fails, 2 when the rules file or an audit cannot be read (one line, Error: ...,
    naming the file, the line and the rule). A figure the audit could not compute fails its
    rule. Each value is printed beside its no-difference band when the audit has one. Figures:
    every number of summary.json (detection_auc, unoriginal, n_copies_of_real, ...), the shares
    of the no-difference reference (detectable_synthetic_share, alias label_issues;
    uncovered_real_share, ...), and each generator's as FIGURE[GENERATOR] or FIGURE[*] for all
    of them; --list prints them with their values.

    \b
    Example (rules.toml):
      rules = ["detection_auc <= 0.8", "unoriginal <= 0.01", "label issues <= 5%",
               "unvaried[*] <= 10%", "coverage >= baseline - 2%"]
      synth-quality check runs/round2 --rules rules.toml --baseline runs/round1
    """
    from synth_quality.errors import ErrorKind, InputDataError
    from synth_quality.gate.figures import all_figures
    from synth_quality.gate.rules import describe, evaluate, read_rules
    from synth_quality.result import AuditResult

    if not list_figures and rules_path is None:
        raise InputDataError("pass --rules FILE (or --list to see the figures)",
                             kind=ErrorKind.OPTIONS)
    rules = read_rules(rules_path) if rules_path else []
    result = AuditResult.load(audit_dir)
    if list_figures:
        for fig in all_figures(result.facts):
            notes = [n for n in (fig.direction, fig.detail, fig.band_text()) if n]
            if fig.reading:
                notes[-1] += f": {fig.reading}"
            click.echo(f"{fig.name:<34} {fig.text():>10}"
                       + (f"  ({'; '.join(notes)})" if notes else ""))
        return
    baseline = AuditResult.load(baseline_dir) if baseline_dir else None
    outcomes = evaluate(rules, result, baseline, where=str(rules_path))
    click.echo(f"Checking {audit_dir} against {rules_path} ({len(rules)} rules)")
    width = max(len(_shown(o)) for o in outcomes)
    for o in outcomes:
        click.echo(f"  {'pass' if o.passed else 'FAIL'}  {_shown(o):<{width}}  {describe(o)}")
    failed = [o for o in outcomes if not o.passed]
    if failed:
        lines = ", ".join(dict.fromkeys(str(o.rule.line) for o in failed))
        click.echo(f"{len(failed)} of {len(outcomes)} checks failed (rules on line {lines} of "
                   f"{rules_path}).")
        raise SystemExit(FAILED)
    click.echo(f"All {len(outcomes)} checks passed.")


def _shown(outcome) -> str:
    """The rule as printed: a [*] rule once per generator, with the generator's name."""
    rule = outcome.rule
    if rule.generator != "*":
        return rule.text
    return rule.text.replace("[*]", f"[{outcome.figure.name.partition('[')[2].rstrip(']')}]", 1)
