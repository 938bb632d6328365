"""Several text fields, chats, Hugging Face datasets folders and Arrow files as inputs
(synth_quality/records.py and the readers in synth_quality/io.py), and their one-line errors."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pandas as pd
import pyarrow as pa
import pyarrow.feather as feather
import pytest
from click.testing import CliRunner

from synth_quality.errors import InputDataError
from synth_quality.io import load_inputs, read_table


@contextmanager
def fails(match):
    with pytest.raises(InputDataError, match=match) as info:
        yield info
    assert "\n" not in str(info.value)


def openai_chat(i: int, system: bool = True, reply: str | None = None) -> dict:
    turns = [{"role": "system", "content": "You are a helpful assistant."}] if system else []
    turns += [{"role": "user", "content": f"How do I boil egg number {i}?"},
              {"role": "assistant", "content": reply or f"Put egg {i} in boiling water."},
              {"role": "user", "content": "And then?"},
              {"role": "assistant", "content": f"Wait {i % 7 + 3} minutes, then cool it."}]
    return {"messages": turns}


def sharegpt_chat(i: int) -> dict:
    return {"conversations": [{"from": "human", "value": f"How do I boil egg number {i}?"},
                              {"from": "gpt", "value": f"Boil egg {i} for a while."}]}


def write_jsonl(path, records):
    path.write_text("\n".join(json.dumps(r) for r in records) + "\n", encoding="utf-8")
    return path


def instructions(n: int, answer=lambda i: f"The answer to task {i} is {i * 3}.", input_every=2):
    return [{"instruction": f"Solve task {i} carefully", "input": "" if i % input_every else
             f"numbers {i} and {i + 1}", "output": answer(i)} for i in range(n)]


# ----------------------------------------------------------------------------- chats

def test_openai_jsonl_chats_are_audited_per_role(tmp_path):
    real = write_jsonl(tmp_path / "real.jsonl", [openai_chat(i) for i in range(8)])
    syn = write_jsonl(tmp_path / "syn.jsonl", [openai_chat(i + 100, system=i % 2 == 0)
                                                for i in range(8)])
    inputs = load_inputs(real=real, synthetic=syn)
    frame = inputs.frame
    assert inputs.kind == "chat" and inputs.fields == ["system", "user", "assistant"]
    assert inputs.text_column == "messages"
    first = frame.iloc[0]
    # each role's turns, in order, joined; the record is the whole conversation
    assert first["text.user"] == "How do I boil egg number 0?\n\nAnd then?"
    assert first["text.assistant"] == "Put egg 0 in boiling water.\n\nWait 3 minutes, then cool it."
    assert first["text"].startswith("system: You are a helpful assistant.\n\nuser: How do I boil")
    assert first["n_turns"] == 4 and first["mean_turn_words"] == pytest.approx((7 + 6 + 2 + 6) / 4)
    syn_rows = frame[frame["side"] == "synthetic"]
    assert syn_rows["text.system"].isna().tolist() == [i % 2 == 1 for i in range(8)]


def test_sharegpt_json_and_parquet_chats(tmp_path):
    (tmp_path / "real.json").write_text(json.dumps([sharegpt_chat(i) for i in range(6)]))
    pd.DataFrame([openai_chat(i) for i in range(6)]).to_parquet(tmp_path / "syn.parquet")
    inputs = load_inputs(real=tmp_path / "real.json", synthetic=tmp_path / "syn.parquet")
    assert inputs.kind == "chat"
    assert inputs.fields == ["system", "user", "assistant"]
    frame = inputs.frame
    assert frame.loc[0, "text.assistant"] == "Boil egg 0 for a while."
    assert pd.isna(frame.loc[0, "text.system"])
    # the parquet file's nested lists of structs come back as arrays of dicts: read the same
    assert frame.loc[6, "text.user"] == "How do I boil egg number 0?\n\nAnd then?"
    # Both sides ask the same user turns? No: only 'How do I boil egg number i?' twice over
    # differs ('And then?' is extra), so these are not paired.
    assert inputs.pair_column is None


def test_chats_answering_the_same_user_turns_are_paired():
    real = pd.DataFrame([openai_chat(i) for i in range(10)])
    syn = pd.DataFrame([openai_chat(i, system=False, reply=f"Simmer egg {i}.") for i in range(10)])
    inputs = load_inputs(real=real, synthetic=syn)
    assert inputs.pair_column == "same user"
    assert inputs.prompt_fields == ["user"] and inputs.answer_fields == ["assistant"]
    frame = inputs.frame
    assert frame.loc[3, "pair"] == frame.loc[13, "pair"]
    assert frame.loc[3, "pair"] != frame.loc[4, "pair"]


@pytest.mark.parametrize("value, match", [
    ("just a string", r"row 2 of .*real\.jsonl: 'messages' must be a list of turns"),
    (42, r"row 2 of .*: 'messages' must be a list of turns .* found a int"),
    ([{"role": "user"}], r"row 2 of .*, turn 0 of 'messages' has no 'content' text"),
    ([{"speaker": "x", "text": "hi"}], r"turn 0 of 'messages' has neither 'role' and 'content'"),
    ([{"role": "narrator", "content": "hi"}], r"has role 'narrator'; known roles:"),
    (["hello"], r"turn 0 of 'messages' is a str, not a turn object"),
])
def test_bad_chats_get_one_line(tmp_path, value, match):
    records = [openai_chat(i) for i in range(6)]
    records[2] = {"messages": value}
    real = write_jsonl(tmp_path / "real.jsonl", records)
    syn = write_jsonl(tmp_path / "syn.jsonl", [openai_chat(i) for i in range(6)])
    with fails(match):
        load_inputs(real=real, synthetic=syn)


def test_mixed_formats_in_one_file(tmp_path):
    records = [openai_chat(i) for i in range(6)] + instructions(3)
    path = write_jsonl(tmp_path / "mixed.jsonl", records)
    syn = write_jsonl(tmp_path / "syn.jsonl", [openai_chat(i) for i in range(6)])
    with fails(r"mixed formats in .*mixed\.jsonl: 3 rows \(rows 6, 7, 8\) have no 'messages' "
               r"chat while the others do \(their other fields: instruction, input, output\)"):
        load_inputs(real=path, synthetic=syn)
    styles = [openai_chat(i) for i in range(4)] + [{"messages": sharegpt_chat(9)["conversations"]}]
    path = write_jsonl(tmp_path / "styles.jsonl", styles)
    with fails(r"mixed formats in .*styles\.jsonl: 'messages' holds OpenAI turns \(role, content\)"
               r" in rows 0, 1, 2, 3 and ShareGPT turns \(from, value\) in rows 4"):
        load_inputs(real=path, synthetic=syn)
    plain = write_jsonl(tmp_path / "plain.jsonl", [{"text": f"a plain review {i}"} for i in range(6)])
    with fails(r"the files hold different formats \(.*real\.jsonl: chat, .*plain\.jsonl: one text "
               "column\\)"):
        load_inputs(real=write_jsonl(tmp_path / "real.jsonl", [openai_chat(i) for i in range(6)]),
                    synthetic=plain)


# ------------------------------------------------------------------------ several fields

def test_known_instruction_fields_are_found_without_options():
    real, syn = pd.DataFrame(instructions(10)), pd.DataFrame(instructions(10, lambda i: f"It is {i}."))
    inputs = load_inputs(real=real, synthetic=syn)
    assert inputs.kind == "fields" and inputs.fields == ["instruction", "input", "output"]
    assert inputs.text_column == "instruction + input + output"
    frame = inputs.frame
    assert pd.isna(frame.loc[1, "text.input"])           # blank: kept as a blank field
    assert frame.loc[1, "text"] == ("instruction: Solve task 1 carefully\n\n"
                                    "output: The answer to task 1 is 3.")
    # same instruction and input on both sides: paired by them, the output answers
    assert inputs.prompt_fields == ["instruction", "input"] and inputs.answer_fields == ["output"]
    assert frame.loc[4, "pair"] == frame.loc[14, "pair"]


def test_repeated_text_column_names_the_fields(tmp_path):
    real = write_jsonl(tmp_path / "real.jsonl", [{"q": f"question {i}?", "a": f"answer {i}",
                                                  "note": "x"} for i in range(6)])
    syn = write_jsonl(tmp_path / "syn.jsonl", [{"q": f"other question {i}?", "a": f"reply {i}",
                                                "note": "y"} for i in range(6)])
    inputs = load_inputs(real=real, synthetic=syn, text_column=["q", "a"])
    assert inputs.fields == ["q", "a"] and inputs.pair_column is None
    assert inputs.frame.loc[0, "text"] == "q: question 0?\n\na: answer 0"


def test_a_record_without_a_named_field_is_an_error(tmp_path):
    records = instructions(6)
    del records[4]["output"]
    real = write_jsonl(tmp_path / "real.jsonl", records)
    syn = write_jsonl(tmp_path / "syn.jsonl", instructions(6))
    with fails(r"1 record of .*real\.jsonl has no field 'output' \(row 4\); give every record "
               "that field"):
        load_inputs(real=real, synthetic=syn, text_column=["instruction", "output"])
    with fails(r"1 record of .*real\.jsonl has no field 'output' \(row 4\)"):
        load_inputs(real=real, synthetic=syn, text_column="output")
    with fails(r"column 'answer' not found in .*real\.jsonl"):
        load_inputs(real=real, synthetic=syn, text_column=["instruction", "answer"])


def test_pair_column_pairs_rows_by_id():
    real = pd.DataFrame({"id": range(8), "text": [f"human answer {i}" for i in range(8)]})
    syn = pd.DataFrame({"id": [0, 1, 2, 3, 4, 5, 99, 98],
                        "text": [f"model answer {i}" for i in range(8)]})
    inputs = load_inputs(real=real, synthetic=syn, pair_column="id")
    assert inputs.pair_column == "id"
    pair = inputs.frame["pair"]
    assert pair.iloc[8:].tolist() == ["0", "1", "2", "3", "4", "5", None, None]
    assert pair.iloc[6:8].isna().all()   # prompts 6 and 7 only the real side answers


# ---------------------------------------------------- Hugging Face datasets folders, Arrow

def test_hf_dataset_folders(tmp_path):
    datasets = pytest.importorskip("datasets")
    chats = datasets.Dataset.from_list([openai_chat(i) for i in range(7)])
    chats.save_to_disk(str(tmp_path / "real_chats"))
    table, info = read_table(tmp_path / "real_chats")
    assert info["format"] == "hf-dataset" and len(table) == 7
    splits = datasets.DatasetDict({
        "train": datasets.Dataset.from_list([openai_chat(i + 50) for i in range(5)]),
        "test": datasets.Dataset.from_list([openai_chat(i + 80) for i in range(3)])})
    splits.save_to_disk(str(tmp_path / "syn_chats"))
    inputs = load_inputs(real=tmp_path / "real_chats", synthetic=tmp_path / "syn_chats")
    assert inputs.kind == "chat" and inputs.fields == ["system", "user", "assistant"]
    syn = inputs.frame[inputs.frame["side"] == "synthetic"]
    assert len(syn) == 8
    assert syn["text.user"].iloc[5].startswith("How do I boil egg number 80?")
    assert [s["format"] for s in inputs.sources] == ["hf-dataset", "hf-dataset"]


def test_arrow_files(tmp_path):
    frame = pd.DataFrame(instructions(6))
    feather.write_feather(frame, tmp_path / "real.feather")
    with pa.OSFile(str(tmp_path / "syn.arrow"), "wb") as sink:       # the stream format
        table = pa.Table.from_pandas(pd.DataFrame(instructions(6, lambda i: f"Maybe {i}.")))
        with pa.ipc.new_stream(sink, table.schema) as writer:
            writer.write_table(table)
    inputs = load_inputs(real=tmp_path / "real.feather", synthetic=tmp_path / "syn.arrow")
    assert inputs.kind == "fields" and inputs.frame.loc[6, "text.output"] == "Maybe 0."
    (tmp_path / "broken.arrow").write_bytes(b"ARROW1" + b"\x00" * 30)
    with fails(r"broken\.arrow is not a readable Arrow file"):
        read_table(tmp_path / "broken.arrow")


def test_a_plain_folder_is_not_a_dataset(tmp_path):
    (tmp_path / "notes").mkdir()
    with fails(r"notes is a directory but not a Hugging Face datasets folder \(no state\.json or "
               r"dataset_dict\.json\)"):
        read_table(tmp_path / "notes")
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "state.json").write_text(json.dumps(
        {"_data_files": [{"filename": "data-00000-of-00001.arrow"}]}))
    with fails(r"half is missing its data file 'data-00000-of-00001\.arrow'"):
        read_table(tmp_path / "half")


def test_cli_errors_are_one_line(tmp_path):
    from synth_quality.cli.main import main

    records = [openai_chat(i) for i in range(6)]
    records[1] = {"messages": {"role": "user", "content": "not in a list"}}
    real = write_jsonl(tmp_path / "real.jsonl", records)
    syn = write_jsonl(tmp_path / "syn.jsonl", [openai_chat(i) for i in range(6)])
    result = CliRunner().invoke(main, ["audit", "--real", str(real), "--synthetic", str(syn),
                                       "--out", str(tmp_path / "out"), "--quiet"])
    assert result.exit_code == 1
    lines = [ln for ln in result.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error: row 1 of ")
    assert "'messages' must be a list of turns" in lines[0] and "found a dict" in lines[0]
    assert not (tmp_path / "out").exists()
    assert json.loads(real.read_text().splitlines()[1]) == records[1]   # input untouched
