"""The command line end to end: exit codes, one-line errors, outputs on disk."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from synth_quality.cli.main import main


def run(*args):
    return CliRunner().invoke(main, list(args), catch_exceptions=False)


@pytest.fixture
def files(tmp_path, planted):
    real, synth = planted
    real.to_csv(tmp_path / "real.csv", index=False)
    synth.to_csv(tmp_path / "synth.csv", index=False)
    return tmp_path


def one_line_error(result, *fragments):
    assert result.exit_code == 1, result.output
    # stderr may carry progress lines before the failure; the error itself is one line.
    errors = [ln for ln in result.stderr.splitlines() if ln.startswith("Error: ")]
    assert len(errors) == 1 and result.stderr.rstrip().endswith(errors[0]), result.output
    for fragment in fragments:
        assert fragment in errors[0], errors[0]
    assert "Traceback" not in result.output and result.stdout == ""


def test_missing_file(files):
    one_line_error(run("audit", "--real", str(files / "nope.csv"), "--synthetic",
                       str(files / "synth.csv"), "--out", str(files / "o")), "nope.csv", "not found")


def test_wrong_text_column(files):
    one_line_error(run("audit", "--real", str(files / "real.csv"), "--synthetic",
                       str(files / "synth.csv"), "--text-column", "body", "--out", str(files / "o")),
                   "'body'", "real.csv", "text")


def test_empty_side(files):
    (files / "empty.csv").write_text("text\n")
    one_line_error(run("audit", "--real", str(files / "real.csv"), "--synthetic",
                       str(files / "empty.csv"), "--out", str(files / "o")), "empty.csv")


def test_binary_file(files):
    (files / "blob.csv").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    one_line_error(run("audit", "--real", str(files / "blob.csv"), "--synthetic",
                       str(files / "synth.csv"), "--out", str(files / "o")), "blob.csv", "binary")


def test_side_too_small_for_folds(files):
    pd.DataFrame({"text": ["one review", "two reviews", "three"]}).to_csv(files / "tiny.csv", index=False)
    one_line_error(run("audit", "--real", str(files / "tiny.csv"), "--synthetic",
                       str(files / "synth.csv"), "--out", str(files / "o")), "3 rows", "5")


def test_bad_setting(files):
    one_line_error(run("audit", "--real", str(files / "real.csv"), "--synthetic",
                       str(files / "synth.csv"), "--min-cluster-size", "1", "--out", str(files / "o")),
                   "min_cluster_size (1)")


def test_nothing_to_audit(files):
    one_line_error(run("audit", "--out", str(files / "o")), "--real")


def test_one_file_mode_needs_to_know_which_value_is_real(files, planted):
    real, synth = planted
    mixed = pd.concat([real.assign(src="a"), synth.assign(src="b")])
    mixed.to_csv(files / "mixed.csv", index=False)
    one_line_error(run("audit", "--data", str(files / "mixed.csv"), "--source-column", "src",
                       "--out", str(files / "o")), "--real-value")


@pytest.mark.slow
def test_audit_end_to_end_with_the_real_model(files, tmp_path):
    """The one run of the real MiniLM model in the fast suite: the CLI writes the three outputs."""
    before = hashlib.sha256((files / "real.csv").read_bytes()).hexdigest()
    out = tmp_path / "run"
    result = CliRunner().invoke(main, ["audit", "--real", str(files / "real.csv"), "--synthetic",
                                       str(files / "synth.csv"), "--label-column", "sentiment",
                                       "--generator-column", "generator", "--out", str(out),
                                       "--cache-dir", str(tmp_path / "cache")])
    assert result.exit_code == 0, result.output
    assert "detection AUC" in result.output
    examples = pd.read_parquet(out / "examples.parquet")
    clusters = pd.read_parquet(out / "clusters.parquet")
    summary = json.loads((out / "summary.json").read_text())
    assert len(examples) == summary["n_real"] + summary["n_synthetic"] == 285
    assert clusters["size"].sum() == len(examples)
    assert summary["embedding"]["model"].startswith("all-MiniLM-L6-v2")
    assert summary["embedding"]["n_embedded"] == examples["text"].nunique()
    # With real sentence embeddings the memorised copies are still exact copies of real rows.
    copies = examples[(examples["side"] == "synthetic") & examples["is_copy_of_real"]]
    assert set(copies["nearest_real_row"].astype(int)) >= {0, 1, 2, 3, 4}
    assert hashlib.sha256((files / "real.csv").read_bytes()).hexdigest() == before
    # A second run embeds nothing new: the cache is keyed by model and text.
    again = CliRunner().invoke(main, ["audit", "--real", str(files / "real.csv"), "--synthetic",
                                      str(files / "synth.csv"), "--out", str(tmp_path / "run2"),
                                      "--cache-dir", str(tmp_path / "cache"), "--quiet"])
    assert again.exit_code == 0, again.output
    assert json.loads((tmp_path / "run2" / "summary.json").read_text())["embedding"]["n_embedded"] == 0


def test_previous_audit_starts_the_layouts_and_is_never_overwritten(files, tmp_path):
    first = tmp_path / "first"
    args = ["--real", str(files / "real.csv"), "--synthetic", str(files / "synth.csv"),
            "--text-column", "text", "--quiet"]
    assert run("audit", *args, "--out", str(first)).exit_code == 0
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    one_line_error(run("audit", *args, "--previous", str(first), "--out", str(first)),
                   "--previous", "another folder")
    one_line_error(run("audit", *args, "--previous", str(tmp_path / "nope"), "--out",
                       str(tmp_path / "x")), "nope", "not found")
    second = run("audit", *args, "--previous", str(first), "--out", str(tmp_path / "second"))
    assert second.exit_code == 0, second.output
    summary = json.loads((tmp_path / "second" / "summary.json").read_text())
    assert summary["warm_start"]["rows_new"] == 0
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before


def test_add_writes_the_audit_of_all_rows_and_leaves_the_first_alone(files, tmp_path):
    first = tmp_path / "first"
    assert run("audit", "--real", str(files / "real.csv"), "--synthetic", str(files / "synth.csv"),
               "--quiet", "--out", str(first)).exit_code == 0
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    synth = pd.read_csv(files / "synth.csv")
    round2 = synth.iloc[:30].assign(text=lambda f: "Round two: " + f["text"])
    round2.to_csv(tmp_path / "round2.csv", index=False)

    one_line_error(run("add", str(first), "--synthetic", str(tmp_path / "round2.csv"), "--out",
                       str(first)), "--out", "another folder")
    one_line_error(run("add", str(first), "--synthetic", str(tmp_path / "nope.csv"), "--out",
                       str(tmp_path / "x")), "nope.csv", "not found")
    one_line_error(run("add", str(first), "--synthetic", str(tmp_path / "round2.csv"),
                       "--text-column", "body", "--out", str(tmp_path / "x")), "'body'", "round2.csv")
    one_line_error(run("add", str(tmp_path / "nowhere"), "--synthetic",
                       str(tmp_path / "round2.csv"), "--out", str(tmp_path / "x")), "nowhere")

    done = run("add", str(first), "--synthetic", str(tmp_path / "round2.csv"), "--quiet",
               "--out", str(tmp_path / "second"))
    assert done.exit_code == 0, done.output
    assert f"{len(synth) + 30} synthetic rows" in done.stdout
    examples = pd.read_parquet(tmp_path / "second" / "examples.parquet")
    assert examples.loc[examples["batch"] == 1, "text"].tolist() == round2["text"].tolist()
    summary = json.loads((tmp_path / "second" / "summary.json").read_text())
    assert summary["warm_start"]["rows_new"] == 30
    assert [b["rows"] for b in summary["batches"]] == [len(examples) - 30, 30]
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before


@pytest.mark.slow
def test_readme_instruction_and_chat_audits_run_as_written(tmp_path, monkeypatch):
    """The README's instruction-response and chat commands, verbatim, on files built here with
    those names (the real model): both audit, and the summaries say what they found."""
    import re
    import shlex
    import sys

    from conftest import REPO

    sys.path.insert(0, str(REPO / "tests" / "pipeline"))
    from test_fields import chat, paired_case

    readme = (REPO / "README.md").read_text()
    section = readme[readme.index("## Instruction data and chats"):]
    block = section[section.index("```bash") + len("```bash"):section.index("```", section.index("```bash") + 7)]
    commands = [shlex.split(c.replace("\\\n", " ")) for c in re.split(r"(?<!\\)\n", block)
                if c.strip() and not c.strip().startswith("#")]
    audits = [c for c in commands if c[:2] == ["synth-quality", "audit"]]
    assert len(audits) == 2 and any(c[:2] == ["synth-quality", "app"] for c in commands)

    monkeypatch.chdir(tmp_path)
    real, syn = paired_case(60)
    real.assign(input="").to_json("human.jsonl", orient="records", lines=True)
    syn.assign(input="").drop(columns="generator").to_json("generated.jsonl", orient="records",
                                                            lines=True)
    rng = np.random.default_rng(0)
    pd.DataFrame([chat(i, rng) for i in range(40)]).to_json("human_chats.jsonl",
                                                             orient="records", lines=True)
    pd.DataFrame([chat(i, rng, loop=i % 4 == 0, style="model") for i in range(60)]).to_parquet(
        "generated_chats.parquet")
    for command in audits:
        result = CliRunner().invoke(main, command[1:] + ["--quiet"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
    sft = json.loads((tmp_path / "runs" / "sft" / "summary.json").read_text())
    assert sft["inputs"]["fields"] == ["instruction", "input", "output"]
    assert sft["pairs"]["n_prompts_paired"] == 60
    assert "input" in sft["fields"]["not_audited"]          # blank everywhere, or a prompt
    chat_summary = json.loads((tmp_path / "runs" / "chat" / "summary.json").read_text())
    assert chat_summary["inputs"]["kind"] == "chat"
    assert chat_summary["fields"]["audited"]["assistant"]["n_degenerate"] == 15
    assert (tmp_path / "runs" / "chat" / "fields" / "assistant" / "summary.json").is_file()
