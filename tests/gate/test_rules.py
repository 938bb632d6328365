"""synth_quality.gate.rules: parsing rules (each mistake one line naming the file, the line and
the rule), reading TOML files, and evaluating rules on real audits, at their boundaries."""

from __future__ import annotations

import copy

import pytest

from synth_quality.errors import InputDataError
from synth_quality.gate.rules import Rule, describe, evaluate, parse_rule, read_rules


@pytest.mark.parametrize("text,expected", [
    ("unoriginal <= 0.01", ("unoriginal", None, "<=", 0.01, False, False)),
    ("Label issues<=5%", ("detectable_synthetic_share", None, "<=", 0.05, False, True)),
    ("detection AUC < .8", ("detection_auc", None, "<", 0.8, False, False)),
    ("n_copies_of_real == 0", ("n_copies_of_real", None, "==", 0.0, False, False)),
    ("unvaried[*] <= 10%", ("unvaried", "*", "<=", 0.1, False, True)),
    ("unoriginal [gen a] > 1e-3", ("unoriginal", "gen a", ">", 0.001, False, False)),
    ("coverage >= baseline - 2%", ("coverage", None, ">=", -0.02, True, True)),
    ("density <= baseline + 0.25", ("density", None, "<=", 0.25, True, False)),
    ("n_outliers <= BASELINE", ("n_outliers", None, "<=", 0.0, True, False)),
])
def test_rules_parse(text, expected):
    rule = parse_rule(text, 7, "r.toml")
    got = (rule.figure, rule.generator, rule.op, rule.limit, rule.baseline, rule.percent)
    assert got[:3] == expected[:3] and got[4:] == expected[4:]
    assert rule.limit == pytest.approx(expected[3]) and rule.line == 7


@pytest.mark.parametrize("text,message", [
    ("unoriginal less than 0.01", r"write FIGURE OP LIMIT"),
    ("unoriginal <= ", r"write FIGURE OP LIMIT"),
    ("unoriginal => 0.1", r"write FIGURE OP LIMIT"),
    ("unorignal <= 0.01", r"unknown figure 'unorignal'; did you mean unoriginal\?"),
    ("label issue <= 5%", r"unknown figure 'label_issue'; did you mean label_issues"),
    ("n_copies_of_real <= 1%", r"'n_copies_of_real' is a count, not a share: a percentage does "
                               r"not apply; write a number, or use copies_share"),
    ("density <= 10%", r"'density' is a number, not a share"),
    ("unoriginal <= 5", r"'unoriginal' is a share between 0 and 1; write 5% or 0.05"),
    ("recall[gen-a] >= 0.5", r"'recall' is not a figure per generator"),
])
def test_each_mistake_is_one_line_naming_file_line_and_rule(text, message):
    with pytest.raises(InputDataError, match=message) as info:
        parse_rule(text, 4, "rules.toml")
    assert str(info.value).startswith(f"rules.toml line 4: rule {text!r}: ")
    assert "\n" not in str(info.value) and info.value.kind == "rules"


def test_rules_file_lines(tmp_path):
    path = tmp_path / "rules.toml"
    path.write_text('# gate\n\nrules = [\n  "detection_auc <= 0.8",\n\n  "unoriginal <= 0.01", '
                    '"label issues <= 5%",\n  \'unvaried[*] <= 10%\',\n]\n')
    rules = read_rules(path)
    assert [(r.figure, r.line) for r in rules] == [
        ("detection_auc", 4), ("unoriginal", 6), ("detectable_synthetic_share", 6),
        ("unvaried", 7)]


@pytest.mark.parametrize("content,message", [
    ('rules = [\n  "unoriginal <= 0.01",\n  "n_copies <= 3",\n]\n',
     r"line 3: rule 'n_copies <= 3': unknown figure 'n_copies'"),
    ('rules = [\n  "unoriginal <= 0.01"\n  "coverage >= 0.5",\n]\n', r"line 3: not valid TOML"),
    ('rule = ["unoriginal <= 0.01"]\n', r"line 1: unknown key 'rule'; a rules file holds one "
                                        r"list"),
    ('rules = []\n', r"line 1: no rules"),
    ('# nothing\n', r"rules.toml: no rules"),
    ('rules = [\n  "unoriginal <= 0.01",\n  0.5,\n]\n', r"each rule is a string"),
    ('rules = "unoriginal <= 0.01"\n', r"no rules"),
])
def test_rules_file_mistakes(tmp_path, content, message):
    path = tmp_path / "rules.toml"
    path.write_text(content)
    with pytest.raises(InputDataError, match=message) as info:
        read_rules(path)
    assert str(info.value).startswith(str(path)) and "\n" not in str(info.value)


def test_missing_rules_file(tmp_path):
    with pytest.raises(InputDataError, match="nope.toml: rules file not found"):
        read_rules(tmp_path / "nope.toml")


# --------------------------------------------------------------------------- on an audit

def _at(text):
    return parse_rule(text, 1, "r")


def test_a_rule_turns_exactly_at_the_value(planted_audit):
    """Each comparison is tested where it turns: <= the value passes, < the value fails."""
    value = planted_audit.summary["unoriginal"]
    for op, passes in (("<=", True), ("<", False), (">=", True), (">", False), ("==", True)):
        (o,) = evaluate([_at(f"unoriginal {op} {value!r}")], planted_audit)
        assert o.passed is passes, op
        assert o.figure.value == value
    n = planted_audit.summary["n_copies_of_real"]
    assert evaluate([_at(f"n_copies_of_real <= {n}")], planted_audit)[0].passed
    assert not evaluate([_at(f"n_copies_of_real <= {n - 1}")], planted_audit)[0].passed


def test_percentages_compare_shares(planted_audit):
    share = planted_audit.summary["unvaried"]            # 6 of 165 synthetic rows, 3.6%
    assert evaluate([_at("unvaried <= 4%")], planted_audit)[0].passed is (share <= 0.04)
    assert evaluate([_at("unvaried <= 3%")], planted_audit)[0].passed is (share <= 0.03)
    assert evaluate([_at("unvaried <= 3%")], planted_audit)[0].passed != \
        evaluate([_at("unvaried <= 4%")], planted_audit)[0].passed
    text = describe(evaluate([_at("unvaried <= 4%")], planted_audit)[0])
    band = planted_audit.summary["no_difference"]["figures"]["unvaried"]
    assert text == (f"{share:.1%} (no difference {band['low']:.1%}-{band['high']:.1%}: "
                    f"{band['reading']})")


def test_every_generator_rule_checks_each_generator(planted_audit):
    by = planted_audit.summary["by_generator"]
    between = (by["gen-a"]["unoriginal"] + by["gen-b"]["unoriginal"]) / 2
    outcomes = evaluate([_at(f"unoriginal[*] <= {between!r}")], planted_audit)
    assert {o.figure.name: o.passed for o in outcomes} == {
        "unoriginal[gen-a]": by["gen-a"]["unoriginal"] <= between,
        "unoriginal[gen-b]": by["gen-b"]["unoriginal"] <= between}
    assert len({o.passed for o in outcomes}) == 2          # one passes, one fails
    (one,) = evaluate([_at("detection_auc[gen-b] <= 1")], planted_audit)
    assert one.figure.value == by["gen-b"]["detection_auc"]
    assert "95% CI" in describe(one)


def test_generator_mistakes_name_the_rule(planted_audit):
    with pytest.raises(InputDataError, match=r"no generator 'gen-c' in this audit "
                                             r"\(generators: gen-a, gen-b\)"):
        evaluate([_at("unoriginal[gen-c] <= 0.1")], planted_audit, where="r")
    no_generators = copy.copy(planted_audit)
    no_generators.summary = dict(planted_audit.summary, by_generator={})
    with pytest.raises(InputDataError, match="has no generator column"):
        evaluate([_at("unoriginal[*] <= 0.1")], no_generators)


def test_baseline_limits(planted_audit):
    """The same audit as its own baseline: 'no worse than baseline' holds, 'better' does not."""
    assert evaluate([_at("coverage >= baseline")], planted_audit, planted_audit)[0].passed
    assert not evaluate([_at("coverage > baseline")], planted_audit, planted_audit)[0].passed
    (o,) = evaluate([_at("unvaried <= baseline - 1%")], planted_audit, planted_audit)
    assert not o.passed
    assert o.limit == pytest.approx(planted_audit.summary["unvaried"] - 0.01)
    assert "baseline 3.6%, limit 2.6%" in describe(o)
    with pytest.raises(InputDataError, match=r"needs --baseline AUDIT_DIR"):
        evaluate([_at("coverage >= baseline")], planted_audit)


def test_a_figure_the_audit_could_not_compute_fails(planted_audit):
    undefined = copy.copy(planted_audit)
    undefined.summary = dict(planted_audit.summary, detection_auc=float("nan"),
                             detection_auc_ci=[float("nan"), float("nan")])
    for rule in ("detection_auc <= 1", "detection_auc >= 0"):
        (o,) = evaluate([_at(rule)], undefined)
        assert not o.passed and o.figure.value is None
        assert describe(o).startswith("n/a") and "could not compute" in describe(o)


def test_rules_are_frozen():
    rule = Rule("x <= 1", 1, "unoriginal", None, "<=", 1.0)
    with pytest.raises(AttributeError):
        rule.limit = 2
