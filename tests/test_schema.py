"""synth_quality.schema: the shipped JSON Schema is current, every summary an audit writes
validates (audits of several shapes), and an undeclared, missing or mistyped key is caught by
both the model and the JSON Schema file."""

from __future__ import annotations

import copy
import json

import numpy as np
import pandas as pd
import pytest

from synth_quality import AuditConfig, InputDataError, audit
from synth_quality.result import AuditResult, jsonable
from synth_quality.schema import (
    OPTIONAL_KEYS,
    SCHEMA_FILE,
    SCHEMA_VERSION,
    Summary,
    check_with_json_schema,
    read_summary,
    schema_text,
    validate_summary,
    validation_requested,
)

FAST = {"embed": {"use_cache": False}}


class FirstColumns:
    """A projector that keeps the first k columns: the summary's shape does not depend on UMAP,
    and this keeps each audit below a second."""

    def __init__(self, k):
        self.k = k

    def fit_transform(self, X):
        return np.asarray(X[:, :self.k], np.float32) * 10


def fast_audit(embedder, **kwargs):
    config = AuditConfig.from_dict({**FAST, **kwargs.pop("settings", {})})
    return audit(config=config, embedder=embedder, map_projector=FirstColumns(2),
                 cluster_projector=FirstColumns(5), **kwargs)


def written(result: AuditResult, tmp_path, name="a") -> dict:
    folder = result.save(tmp_path / name)
    return json.loads((folder / "summary.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def planted_summary(planted_audit, tmp_path_factory) -> dict:
    """The summary.json of the planted audit, as written."""
    return written(planted_audit, tmp_path_factory.mktemp("schema"))


def test_shipped_schema_file_is_current():
    assert SCHEMA_FILE.read_text(encoding="utf-8") == schema_text(), \
        "synth_quality/summary.schema.json is stale: run python -m synth_quality.schema"


def test_the_test_run_validates_every_summary_it_writes():
    """conftest sets the flag, so AuditResult.save checks every summary.json the tests write
    (the command line's and the dashboard's server's included: they inherit it)."""
    assert validation_requested()


def test_planted_audit_writes_exactly_the_declared_keys(planted_summary):
    declared = set(Summary.model_fields)
    assert set(planted_summary) <= declared
    assert declared - set(planted_summary) <= OPTIONAL_KEYS == {
        "batches", "second_view", "labels", "pairs", "chat", "fields"}
    assert planted_summary["schema_version"] == SCHEMA_VERSION
    validate_summary(planted_summary)
    check_with_json_schema(planted_summary)


def _shapes(real, synth):
    """Audits of several shapes, each a different path through the summary."""
    labelled = synth.drop(columns=["generator"])
    mixed = pd.concat([real.assign(src="human"), labelled.assign(src="llm")], ignore_index=True)
    blanks = synth.copy()
    blanks.loc[[3, 7], "text"] = ["  ", None]
    return {
        "no label, no generator": dict(real=real[["text"]], synthetic=synth[["text"]]),
        "one file": dict(data=mixed, source_column="src", label_column="sentiment"),
        "blank texts and generators": dict(real=real, synthetic=blanks,
                                           generator_column="generator"),
        "every row noise": dict(real=real[["text"]], synthetic=synth[["text"]],
                                settings={"cluster": {"min_cluster_size": 1000}}),
        "instruction fields": dict(real=_records(real, "Please review film number {}."),
                                   synthetic=_records(synth, "Write a review of movie {}."),
                                   text_column=["instruction", "output"]),
        "chats": dict(real=_chats(real, "What did you think of film {}?"),
                      synthetic=_chats(synth, "Tell me about movie {}.")),
        "paired answers": dict(real=_records(real, "Review film {}.").assign(
                                   prompt_id=lambda d: np.arange(len(d)) % 40),
                               synthetic=_records(synth, "Review film {}.").assign(
                                   prompt_id=lambda d: np.arange(len(d)) % 40),
                               text_column=["instruction", "output"], pair_column="prompt_id",
                               generator_column="generator"),
    }


def _records(side: pd.DataFrame, prompt: str) -> pd.DataFrame:
    """Instruction records: a prompt per row and the side's text as the answer."""
    out = pd.DataFrame({"instruction": [prompt.format(i) for i in range(len(side))],
                        "output": side["text"].to_numpy()})
    if "generator" in side:
        out["generator"] = side["generator"].to_numpy()
    return out


def _chats(side: pd.DataFrame, prompt: str) -> pd.DataFrame:
    """OpenAI-style chats: a user turn and the side's text as the assistant's answer."""
    return pd.DataFrame({"messages": [
        [{"role": "user", "content": prompt.format(i)}, {"role": "assistant", "content": text}]
        for i, text in enumerate(side["text"].tolist())]})


SHAPES = ["no label, no generator", "one file", "blank texts and generators", "every row noise",
          "instruction fields", "chats", "paired answers"]


@pytest.mark.parametrize("shape", SHAPES)
def test_audits_of_every_shape_validate(planted, fake_embedder, tmp_path, shape):
    real, synth = planted
    result = fast_audit(fake_embedder, **_shapes(real, synth)[shape])
    summary = written(result, tmp_path)   # save validated it already (the flag is set)
    validate_summary(summary)
    check_with_json_schema(summary)
    facts = result.facts
    assert facts.n_rows == len(result.examples) == facts.n_real + facts.n_synthetic


def test_precomputed_embeddings_and_added_rows_validate(planted, fake_embedder, tmp_path):
    from synth_quality.pipeline.incremental import add_rows

    real, synth = planted
    X = fake_embedder.encode_batch(real["text"].tolist() + synth["text"].tolist())
    first = fast_audit(None, real=real, synthetic=synth, embeddings=X)
    assert first.summary["embedding"]["model"] == "precomputed"
    check_with_json_schema(written(first, tmp_path, "first"))
    round2 = synth.head(12).assign(text=lambda d: d["text"] + " in a second round")
    added = add_rows(first, round2, embedder=fake_embedder)
    summary = written(added, tmp_path, "added")
    assert [b["batch"] for b in summary["batches"]] == [0, 1]
    check_with_json_schema(summary)


# --------------------------------------------------------------------------- what is refused

def _mutations():
    """(name, change to a written summary, the key the message must name)."""
    def add_top(s):
        s["no_difference_typo"] = {}

    def add_nested(s):
        next(iter(s["by_generator"].values()))["label_issues"] = 0.1

    def drop(s):
        del s["detection_auc"]

    def mistype(s):
        s["n_outliers"] = "13"

    def null_count(s):
        s["n_real"] = None

    def bad_side(s):
        s["uncovered_regions"][0]["side"] = "both"

    def share_above_one(s):
        s["real_share"] = 1.5

    def old_version(s):
        s["schema_version"] = "0.9"

    return [("undeclared top-level key", add_top, "no_difference_typo"),
            ("undeclared nested key", add_nested, "label_issues"),
            ("missing key", drop, "detection_auc"),
            ("string for a count", mistype, "n_outliers"),
            ("null count", null_count, "n_real"),
            ("unknown side", bad_side, "side"),
            ("share above one", share_above_one, "real_share"),
            ("another version", old_version, "schema_version")]


@pytest.mark.parametrize("case", range(8))
def test_model_and_schema_file_both_refuse(planted_summary, case):
    """The pydantic model and the shipped JSON Schema refuse the same mistakes, each naming
    the key, in one line."""
    name, change, key = _mutations()[case]
    summary = copy.deepcopy(planted_summary)
    change(summary)
    with pytest.raises(InputDataError, match=key) as model_error:
        validate_summary(summary)
    with pytest.raises(InputDataError, match=key) as file_error:
        check_with_json_schema(summary)
    for error in (model_error, file_error):
        assert "\n" not in str(error.value) and error.value.kind == "audit_folder", name


def test_save_refuses_an_undeclared_key_before_writing_anything(planted_audit, tmp_path):
    bad = copy.copy(planted_audit)
    bad.summary = dict(planted_audit.summary, field_scores={"text": {}})
    with pytest.raises(InputDataError, match=r"field_scores: undeclared key \(declare it in "
                                             r"synth_quality/schema.py\)"):
        bad.save(tmp_path / "out")
    assert not (tmp_path / "out").exists()
    bad.save(tmp_path / "unchecked", validate=False)   # the flag off: written as it is
    assert "field_scores" in json.loads((tmp_path / "unchecked" / "summary.json").read_text())


# --------------------------------------------------------------------------- reading

def test_reading_ignores_keys_of_a_newer_minor_version(planted_summary):
    newer = copy.deepcopy(dict(planted_summary, schema_version="1.7", something_new=[1, 2]))
    newer["by_generator"]["gen-a"]["label_issues"] = 0.1          # nested, in a mapping
    newer["uncovered_regions"][0]["centre"] = [0.0, 1.0]          # nested, in a list
    newer["inputs"]["sources"][0]["sha256"] = "abc"               # two levels down
    newer["warm_start"] = {"rows_matched": 1, "rows_new": 2, "earlier_rows_fixed": True,
                           "epochs": 3, "seconds": 4.0}           # in an Optional
    newer["no_difference"]["figures"]["detection_auc"]["p_value"] = 0.5   # beside an alias
    facts = read_summary(newer)
    assert facts.no_difference.figures["detection_auc"].from_ == "shuffles"   # "from" kept
    assert facts.schema_version == "1.7" and not hasattr(facts, "something_new")
    assert facts.detection_auc == planted_summary["detection_auc"]
    assert facts.warm_start.epochs == 3
    with pytest.raises(InputDataError, match="label_issues: undeclared key"):
        validate_summary(newer)        # the writer's check is still strict


def test_reading_refuses_a_newer_major_version_in_one_line(planted_audit, tmp_path):
    folder = planted_audit.save(tmp_path / "a")
    summary = json.loads((folder / "summary.json").read_text())
    summary["schema_version"] = "2.0"
    (folder / "summary.json").write_text(json.dumps(summary))
    with pytest.raises(InputDataError, match=r"summary schema 2\.0; this synth-quality reads "
                                             r"1\.\d+ and older: upgrade it") as info:
        AuditResult.load(folder)
    assert str(folder) in str(info.value) and "\n" not in str(info.value)


def test_an_audit_from_before_the_schema_reads_if_it_has_the_keys(planted_summary):
    before = {k: v for k, v in planted_summary.items() if k != "schema_version"}
    assert read_summary(before).schema_version == "0.0"
    del before["coverage"]
    with pytest.raises(InputDataError, match=r"\(schema 0\.0\) lacks what this synth-quality "
                                             r"reads \(coverage: field required\); run the "
                                             r"audit again"):
        read_summary(before, "old/summary.json")


def test_facts_are_typed_and_read_only(planted_audit):
    facts = planted_audit.facts
    assert isinstance(facts.detection_auc_ci, tuple) and len(facts.detection_auc_ci) == 2
    assert facts.by_generator["gen-a"].n_synthetic == int(
        (planted_audit.examples["generator"] == "gen-a").sum())
    assert facts.uncovered_regions[0].side in ("real", "synthetic")
    with pytest.raises(Exception, match="frozen"):
        facts.n_real = 0


def test_nan_figures_are_written_as_null_and_validate(planted_summary):
    """An AUC that cannot be computed is NaN in memory and null on disk: the schema allows null
    for figures, not for counts."""
    summary = jsonable(dict(planted_summary, detection_auc=float("nan"),
                            detection_auc_ci=[float("nan"), float("nan")]))
    assert summary["detection_auc"] is None
    validate_summary(summary)
    check_with_json_schema(summary)


def test_an_audit_written_before_centre_and_corners_still_reads(planted_summary):
    """Schema 1.2 added centre_vs_corners, diversity and rounds: the planted audit (two
    generators) writes all three, and an audit written before them reads with them null (not
    measured), while the writer's check still requires them."""
    from synth_quality.schema import ADDED_IN_1_2

    assert all(planted_summary[key] is not None for key in ADDED_IN_1_2)
    assert set(planted_summary["rounds"]["by_generator"]) == {"gen-a", "gen-b"}
    older = {k: v for k, v in planted_summary.items() if k not in ADDED_IN_1_2}
    older["schema_version"] = "1.1"
    facts = read_summary(older)
    assert (facts.centre_vs_corners, facts.diversity, facts.rounds) == (None, None, None)
    assert facts.detection_auc == planted_summary["detection_auc"]
    with pytest.raises(InputDataError, match="centre_vs_corners: field required"):
        validate_summary(dict(older, schema_version=SCHEMA_VERSION))


def _corners_mutations():
    """Mistakes inside the 1.2 blocks: (change, the key the message must name)."""
    def bad_verdict(s):
        s["centre_vs_corners"]["verdict"] = "mostly the middle"

    def undeclared_in_a_band(s):
        s["centre_vs_corners"]["bands"][0]["share"] = 0.1

    def undeclared_in_diversity(s):
        s["diversity"]["synthetic"]["vendi"]["p_value"] = 0.5

    def string_round(s):
        next(iter(s["rounds"]["by_generator"].values()))["n_synthetic"] = "12"

    return [(bad_verdict, "verdict"), (undeclared_in_a_band, "share"),
            (undeclared_in_diversity, "p_value"), (string_round, "n_synthetic")]


@pytest.mark.parametrize("case", range(4))
def test_the_centre_and_corners_blocks_are_checked_too(planted_summary, case):
    change, key = _corners_mutations()[case]
    summary = copy.deepcopy(planted_summary)
    change(summary)
    with pytest.raises(InputDataError, match=key):
        validate_summary(summary)
    with pytest.raises(InputDataError, match=key):
        check_with_json_schema(summary)
