"""Audits of several fields, chats and paired data (pipeline/fields.py): a finding lands on
the field or role that carries it; on paired data agreement is not memorisation."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import HashingEmbedder
from synth_quality import AuditConfig, AuditResult, audit

FAST = AuditConfig.from_dict({"embed": {"use_cache": False}})
TOPICS = ["kettles", "rivers", "taxes", "violins", "volcanoes", "bread", "chess", "trains",
          "glaciers", "tea", "owls", "bridges", "saffron", "comets", "pianos", "tides"]


VOCAB = [f"{a}{b}" for a in ("ka", "lo", "mi", "nu", "pe", "ro", "su", "ti") for b in
         ("ban", "cor", "dil", "fen", "gat", "hum", "jor", "kel", "lum", "mor")]


def human_answer(i: int, rng) -> str:
    """Answers of the shapes people write: prose, lists, tables, links, enumerations, each
    with words of its own."""
    t = " ".join([TOPICS[i % len(TOPICS)], *rng.choice(VOCAB, 3, replace=False)])
    shape = i % 5
    if shape == 0:
        return (f"{t.capitalize()} have a long history in region {i}; most people who study "
                f"{t} start with the {rng.choice(['old', 'local', 'standard'])} guide.")
    if shape == 1:
        return "\n".join(f"{k}. {w} {t} {i}" for k, w in enumerate(
            ["Compare", "Measure", "Photograph", "Describe", "Catalogue"], start=1))
    if shape == 2:
        return (f"| {t} | count | share |\n| --- | --- | --- |\n"
                + "\n".join(f"| kind {k} of {t} | {k * i % 97} | {k * 7 % 100}% |"
                            for k in range(1, 7)))
    if shape == 3:
        return "\n".join(f"- https://en.example.org/wiki/{t}_{i}_{k}" for k in range(6))
    return (f"The {t} answer {i}: first the {t} of the north, then the {t} of the south, "
            f"then the {t} of the east, and at last the {t} of the west.")


def paired_case(n=160, seed=0):
    """Both sides answer the same n instructions. Generator 'good' gives the human answer back
    on rewriting tasks (a third) and the human answer plus a closing line otherwise; generator
    'loopy' loops on half of its prompts, copies the human answer to ANOTHER prompt on a
    tenth, and answers vaguely otherwise."""
    rng = np.random.default_rng(seed)
    real, syn = [], []
    for i in range(n):
        t = TOPICS[i % len(TOPICS)]
        instruction = f"Task {i}: write about {t} for reader {i * 7 % 13}"
        human = human_answer(i, rng)
        real.append({"instruction": instruction, "output": human})
        if i % 2 == 0:
            answer = human if i % 3 == 0 else human + "\nI hope this helps you with it."
            syn.append({"instruction": instruction, "output": answer, "generator": "good"})
        else:
            if i % 4 == 1:
                answer = f"I like {t} a lot. " * 6
            elif i % 10 == 3:
                answer = real[-2]["output"]     # the human answer to the previous prompt
            else:
                answer = f"{t.capitalize()} are nice, said the model, about item {i}."
            syn.append({"instruction": instruction, "output": answer, "generator": "loopy"})
    return pd.DataFrame(real), pd.DataFrame(syn)


@pytest.fixture(scope="module")
def paired_audit():
    real, syn = paired_case()
    return audit(real=real, synthetic=syn, generator_column="generator", config=FAST,
                 embedder=HashingEmbedder())


def test_paired_case_found_and_prompt_field_left_alone(paired_audit):
    s = paired_audit.summary
    assert s["inputs"]["kind"] == "fields" and s["inputs"]["pair_column"] == "same instruction"
    fields = s["fields"]
    assert list(fields["audited"]) == ["output"]
    assert "prompt field" in fields["not_audited"]["instruction"]
    assert set(paired_audit.fields) == {"output"}


def test_agreement_with_the_same_prompt_is_not_a_copy(paired_audit):
    ex = paired_audit.examples
    syn = ex[ex["side"] == "synthetic"]
    real = ex[ex["side"] == "real"].set_index("row")
    same = syn["text.output"].to_numpy() == real.loc[syn["row"], "text.output"].to_numpy()
    assert same.sum() >= 25                                     # the rewriting answers
    assert not syn.loc[same, "output.is_copy_of_real"].any()
    assert (syn.loc[same, "paired_similarity"] > 0.999).all()
    assert not syn.loc[same, "is_drift"].any()
    # an answer copying the human answer to another prompt is a copy
    elsewhere = syn["text.output"].isin(real["text.output"]) & ~same
    assert elsewhere.sum() >= 5
    assert syn.loc[elsewhere, "output.is_copy_of_real"].all()
    out = paired_audit.fields["output"].examples
    assert not out.loc[(out["side"] == "synthetic")
                       & out["row"].isin(syn.loc[same, "row"]), "is_copy_of_real"].any()


def test_human_answers_are_not_degenerate_and_loops_are(paired_audit):
    ex = paired_audit.examples
    real, syn = ex[ex["side"] == "real"], ex[ex["side"] == "synthetic"]
    assert real["output.is_degenerate"].mean() <= 0.01
    assert real["is_degenerate"].mean() <= 0.01
    loops = syn["text.output"].str.contains("a lot. I like")
    assert loops.sum() >= 30 and syn.loc[loops, "output.is_degenerate"].all()
    assert syn.loc[loops, "is_degenerate"].all()        # the record: its worst field
    assert not syn.loc[~loops, "output.is_degenerate"].any()
    gens = paired_audit.fields["output"].summary["by_generator"]
    assert gens["loopy"]["n_degenerate"] == loops.sum() and gens["good"]["n_degenerate"] == 0


def test_pairs_summary_per_generator(paired_audit):
    pairs = paired_audit.summary["pairs"]
    assert pairs["answer_fields"] == ["output"] and pairs["n_prompts_paired"] == 160
    good, loopy = pairs["by_generator"]["good"], pairs["by_generator"]["loopy"]
    assert good["n_prompts"] == loopy["n_prompts"] == 80
    assert good["median_similarity"] > loopy["median_similarity"]
    assert good["drift_share"] < loopy["drift_share"]
    assert pairs["chance_drift_share"] == 0.9
    assert "drifts away from the human answer" in paired_audit.summary["verdict"]


def test_saved_and_loaded_with_its_fields(paired_audit, tmp_path):
    folder = paired_audit.save(tmp_path / "run")
    assert (folder / "fields" / "output" / "examples.parquet").is_file()
    back = AuditResult.load(folder)
    assert set(back.fields) == {"output"}
    pd.testing.assert_frame_equal(back.fields["output"].examples.reset_index(drop=True),
                                  paired_audit.fields["output"].examples.reset_index(drop=True),
                                  check_dtype=False)
    again = back.recluster(12)
    assert set(again.fields) == {"output"}


def test_a_finding_lands_on_the_field_that_carries_it():
    """Unpaired instruction data: the synthetic instructions come from 4 templates, their
    responses are as varied as the real ones. The near-duplicates are the instructions'."""
    rng = np.random.default_rng(3)
    words = [f"w{i}" for i in range(400)]

    def free(k):
        return " ".join(rng.choice(words, k))

    real = pd.DataFrame({"instruction": [f"please {free(6)}" for _ in range(120)],
                         "response": [free(12) for _ in range(120)]})
    templates = [f"template {k} {free(6)}" for k in range(4)]
    syn = pd.DataFrame({"instruction": [templates[i % 4] for i in range(150)],
                        "response": [free(12) for _ in range(150)]})
    result = audit(real=real, synthetic=syn, text_column=["instruction", "response"],
                   config=FAST, embedder=HashingEmbedder())
    audited = result.summary["fields"]["audited"]
    assert audited["instruction"]["synthetic_in_duplicate_groups"] == 1.0
    assert audited["instruction"]["n_synthetic_duplicate_groups"] == 4
    assert audited["response"]["synthetic_in_duplicate_groups"] == 0.0
    findings = result.summary["fields"]["findings"]
    instruction = next(f for f in findings if f.startswith("The instruction texts"))
    assert "100% of the synthetic ones are near-duplicates, in 4 groups" in instruction
    assert not any("near-duplicates" in f for f in findings if f.startswith("The response"))
    ex = result.examples
    assert ex.loc[ex["side"] == "synthetic", "instruction.near_duplicate_group"].notna().all()
    assert ex.loc[ex["side"] == "synthetic", "response.near_duplicate_group"].isna().all()


def chat(i, rng, loop=False, style="human"):
    topic = TOPICS[i % len(TOPICS)]
    user = f"Tell me about {topic} number {i}" if style == "human" else f"Explain {topic} {i}!"
    reply = (f"Sure! {topic} are great. " * 5 if loop
             else f"{topic.capitalize()} {i} is a {rng.choice(['fine', 'odd', 'rare'])} topic.")
    return {"messages": [{"role": "system", "content": "Be brief."},
                         {"role": "user", "content": user},
                         {"role": "assistant", "content": reply}]}


def test_chat_findings_land_on_the_role():
    """The synthetic assistant turns loop on every third chat; nothing else does: the
    assistant role carries the degeneration, the user role none."""
    rng = np.random.default_rng(0)
    real = pd.DataFrame([chat(i, rng) for i in range(60)])
    syn = pd.DataFrame([chat(i, rng, loop=i % 3 == 0, style="model") for i in range(90)])
    result = audit(real=real, synthetic=syn, config=FAST, embedder=HashingEmbedder())
    s = result.summary
    assert s["inputs"]["kind"] == "chat"
    audited = s["fields"]["audited"]
    assert set(audited) == {"user", "assistant"}
    assert audited["assistant"]["n_degenerate"] == 30 and audited["user"]["n_degenerate"] == 0
    assert any(f.startswith("Assistant turns") and "30 synthetic ones loop" in f
               for f in s["fields"]["findings"])
    assert s["chat"]["real"]["mean_n_turns"] == 2.0
    assert {a["feature"] for a in s["artifacts"]} >= {"n_turns", "mean_turn_words"}
    # one system prompt in every chat, on both sides: nothing to audit alone (its identical
    # vectors once split into "real-only modes" by row order), and no finding about it
    assert "1 distinct text" in s["fields"]["not_audited"]["system"]
    assert not any(f.startswith("System") for f in s["fields"]["findings"])


def test_a_field_finding_needs_its_figure_beyond_chance():
    """Field sentences report counts only where the field's own figure lies above its
    no-difference band (or no band was built)."""
    from synth_quality.pipeline.fields import field_findings

    block = {"detection_auc": 0.5, "detection_auc_ci": (0.45, 0.55),
             "synthetic_in_duplicate_groups": 0.9, "n_synthetic_duplicate_groups": 3,
             "n_degenerate": 2, "n_copies_of_real": 4, "n_clusters_real_only": 1}
    expected = "expected even with no difference"
    quiet = {"unvaried": expected, "degenerate_share": expected, "copies_share": expected,
             "n_clusters_real_only": expected}
    (sentence,) = field_findings({"answer": block}, "fields", {"answer": quiet})
    assert "near-duplicates" not in sentence and "loop" not in sentence
    assert "copy" not in sentence and "missed" not in sentence
    loud = {k: "higher than with no difference" for k in quiet}
    (sentence,) = field_findings({"answer": block}, "fields", {"answer": loud})
    for words in ("90% of the synthetic ones are near-duplicates", "2 synthetic ones loop",
                  "4 synthetic ones copy", "1 mode(s)"):
        assert words in sentence
    (sentence,) = field_findings({"answer": block}, "fields")  # no bands: as before
    assert "near-duplicates" in sentence


def test_adding_rows_to_a_fields_audit_says_it_cannot(paired_audit):
    from synth_quality import add_rows
    from synth_quality.errors import InputDataError

    with pytest.raises(InputDataError, match="several fields or of chats is not supported yet"):
        add_rows(paired_audit, pd.DataFrame({"instruction": ["x"], "output": ["y"]}))
