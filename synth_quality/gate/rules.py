"""Rules over an audit's figures, read from a TOML file (``synth-quality check``).

A rules file holds one list of rules::

    rules = [
        "detection_auc <= 0.8",
        "unoriginal <= 0.01",
        "label issues <= 5%",
        "unvaried[*] <= 10%",               # every generator
        "coverage >= baseline - 2%",        # against --baseline AUDIT_DIR
    ]

A rule is ``FIGURE OP LIMIT``: FIGURE a name of :mod:`synth_quality.gate.figures` (optionally
``[GENERATOR]`` or ``[*]``), OP one of ``<= < >= > ==``, LIMIT a number, a percentage (for
shares and AUCs), or ``baseline``, ``baseline + x`` or ``baseline - x`` (the same figure in
another audit). A figure the audit could not compute fails its rule. Every mistake in the file
(TOML syntax, an unknown figure, a percentage for a count...) raises one InputDataError line
naming the file, the line and the rule.
"""

from __future__ import annotations

import difflib
import operator
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from synth_quality.errors import ErrorKind, InputDataError
from synth_quality.gate.figures import (
    COUNT,
    FRACTION,
    GENERATOR_NUMBERS,
    SHARE_OF_COUNT,
    Figure,
    audit_figure,
    canonical,
    format_percent,
    generator_figure,
    known_names,
    normalise,
    unit_of,
)

OPERATORS = {"<=": operator.le, "<": operator.lt, ">=": operator.ge, ">": operator.gt,
             "==": operator.eq}

_NUMBER = r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?"
_RULE = re.compile(
    rf"""^\s*(?P<figure>[A-Za-z][\w \-]*?)\s*(?:\[\s*(?P<generator>[^\]]+?)\s*\])?\s*
    (?P<op><=|>=|==|<|>)\s*
    (?:(?P<baseline>baseline)\s*(?:(?P<sign>[+-])\s*(?P<offset>{_NUMBER})\s*(?P<offset_pct>%)?)?
      |(?P<number>{_NUMBER})\s*(?P<pct>%)?)\s*$""", re.VERBOSE | re.IGNORECASE)


@dataclass(frozen=True)
class Rule:
    """One parsed rule.

    text : str
        As written.
    line : int
        Its line in the rules file (1-based).
    figure : str
        The canonical figure name, without generator.
    generator : str or None
        None (the whole audit), "*" (every generator) or a generator's name.
    op : str
    limit : float
        The limit, or with ``baseline`` the offset added to the baseline's value.
    baseline : bool
    percent : bool
        The limit was written as a percentage (values are then printed as one).
    """

    text: str
    line: int
    figure: str
    generator: str | None
    op: str
    limit: float
    baseline: bool = False
    percent: bool = False

    def limit_for(self, baseline: Figure | None) -> float | None:
        """The number the value is compared with (None: the baseline has no value)."""
        if not self.baseline:
            return self.limit
        if baseline is None or baseline.value is None:
            return None
        return baseline.value + self.limit


@dataclass(frozen=True)
class Outcome:
    """One rule on one figure: the figure, the limit it was held to, whether it passed."""

    rule: Rule
    figure: Figure
    limit: float | None
    passed: bool
    baseline: Figure | None = None


def _fail(where: str, line: int | None, rule: str | None, message: str):
    at = f"{where} line {line}" if line else where
    what = f": rule {rule!r}" if rule is not None else ""
    raise InputDataError(f"{at}{what}: {message}", kind=ErrorKind.RULES)


def _suggest(name: str) -> str:
    names = list(dict.fromkeys(n.split("[")[0] for n in known_names()))
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"did you mean {', '.join(close)}? " if close else ""
    return (f"{hint}synth-quality check --list AUDIT_DIR lists every figure with its value")


def parse_rule(text: str, line: int = 0, where: str = "rules") -> Rule:
    """One rule from its text; raises InputDataError naming ``where``, ``line`` and the rule."""
    if not isinstance(text, str):
        _fail(where, line, None, f"each rule is a string such as \"unoriginal <= 0.01\", got "
                                 f"{text!r}")
    m = _RULE.match(text)
    if m is None:
        _fail(where, line, text, "write FIGURE OP LIMIT, e.g. \"unoriginal <= 0.01\", "
                                 "\"label issues <= 5%\" or \"coverage >= baseline - 2%\" "
                                 "(OP: <=, <, >=, >, ==)")
    written = normalise(m["figure"])
    name = canonical(written)
    generator = m["generator"]
    unit = unit_of(name, per_generator=generator is not None)
    if unit is None and generator is not None:
        known = ", ".join(GENERATOR_NUMBERS)
        _fail(where, line, text, f"{written!r} is not a figure per generator (those are: "
                                 f"{known})")
    if unit is None:
        _fail(where, line, text, f"unknown figure {written!r}; {_suggest(written)}")
    baseline = m["baseline"] is not None
    if baseline:
        number = float(m["offset"] or 0) * (-1 if m["sign"] == "-" else 1)
        percent = m["offset_pct"] is not None
    else:
        number, percent = float(m["number"]), m["pct"] is not None
    if percent:
        if unit != FRACTION:
            hint = (f"; write a number, or use {SHARE_OF_COUNT[name]}"
                    if name in SHARE_OF_COUNT else "; write a number" if unit == COUNT else "")
            _fail(where, line, text, f"{written!r} is a {unit}, not a share: a percentage does "
                                     f"not apply{hint}")
        number /= 100
    elif unit == FRACTION and not baseline and not 0 <= number <= 1:
        _fail(where, line, text, f"{written!r} is a share between 0 and 1; write {number:g}% "
                                 f"or {number / 100:g}")
    return Rule(text.strip(), line, name, generator, m["op"], number, baseline, percent)


def _toml():
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        import tomli as tomllib
    return tomllib


def _line_of(lines: list[str], text: str, start: int) -> int:
    """The 1-based line from ``start`` on holding ``text`` as a quoted string (else ``start``)."""
    quoted = (f'"{text}"', f"'{text}'")
    for i in range(start, len(lines)):
        if any(q in lines[i] for q in quoted):
            return i + 1
    return start + 1


def read_rules(path) -> list[Rule]:
    """The rules of a TOML file (see the module's docstring); raises InputDataError."""
    path = Path(path)
    where = str(path)
    try:
        raw = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        _fail(where, None, None, "rules file not found")
    except (OSError, UnicodeDecodeError) as exc:
        _fail(where, None, None, f"cannot read it ({exc})")
    tomllib = _toml()
    try:
        data = tomllib.loads(raw)
    except tomllib.TOMLDecodeError as exc:
        found = re.search(r"at line (\d+)", str(exc))
        message = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        _fail(where, int(found[1]) if found else None, None, f"not valid TOML ({message})")
    lines = raw.splitlines()
    first = next((i for i, ln in enumerate(lines) if re.match(r"\s*rules\s*=", ln)), 0)
    other = [k for k in data if k != "rules"]
    if other:
        line = next((i + 1 for i, ln in enumerate(lines)
                     if re.match(rf"\s*\[?\s*{re.escape(other[0])}\b", ln)), None)
        _fail(where, line, None, f"unknown key {other[0]!r}; a rules file holds one list, "
                                 "rules = [\"FIGURE OP LIMIT\", ...]")
    rules = data.get("rules")
    if not isinstance(rules, list) or not rules:
        _fail(where, first + 1 if "rules" in data else None, None,
              "no rules: write rules = [\"unoriginal <= 0.01\", ...]")
    out, at = [], first
    for text in rules:
        line = _line_of(lines, text, at) if isinstance(text, str) else first + 1
        at = line - 1
        out.append(parse_rule(text, line, where))
    return out


# --------------------------------------------------------------------------- evaluating

def _figures_for(rule: Rule, result, where: str) -> list[Figure]:
    facts = result.facts
    if rule.generator is None:
        return [audit_figure(facts, rule.figure)]
    generators = list(facts.by_generator)
    if not generators:
        _fail(where, rule.line, rule.text, "this audit has no generator column, so no figures "
                                           "per generator")
    if rule.generator == "*":
        return [generator_figure(facts, rule.figure, g) for g in generators]
    if rule.generator not in generators:
        _fail(where, rule.line, rule.text, f"no generator {rule.generator!r} in this audit "
                                           f"(generators: {', '.join(generators)})")
    return [generator_figure(facts, rule.figure, rule.generator)]


def evaluate(rules: list[Rule], result, baseline=None, where: str = "rules") -> list[Outcome]:
    """Each rule on ``result`` (an AuditResult): one :class:`Outcome` per figure it names
    (a ``[*]`` rule gives one per generator). ``baseline`` (an AuditResult) is needed by rules
    with a ``baseline`` limit; a generator missing from it fails that generator's rule."""
    out = []
    for rule in rules:
        if rule.baseline and baseline is None:
            _fail(where, rule.line, rule.text, "a baseline limit needs --baseline AUDIT_DIR "
                                               "(the audit to compare with)")
        for fig in _figures_for(rule, result, where):
            base = None
            if rule.baseline:
                try:
                    base = {f.name: f for f in _figures_for(rule, baseline, where)}.get(fig.name)
                except InputDataError:
                    base = None   # the baseline lacks this generator: nothing to compare
            limit = rule.limit_for(base)
            passed = (fig.value is not None and limit is not None
                      and bool(OPERATORS[rule.op](fig.value, limit)))
            out.append(Outcome(rule, fig, limit, passed, base))
    return out


def describe(outcome: Outcome) -> str:
    """One line: the figure's value (interval, detail, no-difference band and reading,
    baseline) against the limit."""
    fig, rule = outcome.figure, outcome.rule
    percent = rule.percent
    value = format_percent(fig.value) if percent else fig.text()
    bits = []
    if fig.interval and None not in fig.interval:
        lo, hi = fig.interval
        bits.append(f"95% CI {lo:.3f}-{hi:.3f}")
    if fig.detail:
        bits.append(fig.detail)
    if fig.band is not None:
        bits.append(fig.band_text(percent) + (f": {fig.reading}" if fig.reading else ""))
    if rule.baseline:
        if outcome.baseline is None or outcome.baseline.value is None:
            bits.append("baseline: n/a")
        else:
            b = outcome.baseline.value
            limit = outcome.limit
            bits.append(f"baseline {format_percent(b)}, limit {format_percent(limit)}" if percent
                        else f"baseline {outcome.baseline.text()}, limit "
                             f"{format_limit(limit, fig.unit)}")
    if fig.value is None:
        bits.append("the audit could not compute it")
    return value + (f" ({'; '.join(bits)})" if bits else "")


def format_limit(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return f"{value:,.0f}" if unit == COUNT and float(value).is_integer() else f"{value:.3f}"
