"""What to do next (issue 18): few-shot exports of the real rows the synthetic data does not
reach (uncovered regions and thin density bands, with their keywords), the filtered synthetic
set the lift control measured to help, and ``synth-quality next-steps`` writing them.

The planted audit (conftest) has a real-only topic (documentaries about glaciers) that no
synthetic row imitates: it must come back as a group to generate more of."""

from __future__ import annotations

import json

import pandas as pd
from click.testing import CliRunner

from synth_quality.cli.main import main
from synth_quality.present.next_steps import (few_shot_groups, few_shot_markdown, few_shot_prompt,
                                              few_shot_table, filter_sentence, filtered_synthetic)

DOCU = {"documentary", "glacier", "ice", "arctic", "footage", "expedition", "climate", "melt"}


def test_the_real_only_topic_is_a_group_with_its_keywords(planted_audit):
    ex, s = planted_audit.examples, planted_audit.summary
    groups = few_shot_groups(ex, s)
    regions = [g for g in groups if g["kind"] == "region"]
    assert regions, [g["title"] for g in groups]
    region = regions[0]
    assert set(region["keywords"][:4]) <= DOCU
    texts = ex.loc[region["rows"], "text"]
    assert (ex.loc[region["rows"], "side"] == "real").all()
    assert texts.map(lambda t: bool(DOCU & set(t.split()))).mean() > 0.9
    # Least reached first.
    reach = ex.loc[region["rows"], "nearest_synthetic_similarity"].to_numpy()
    assert (reach[:-1] <= reach[1:] + 1e-12).all()


def test_thin_bands_are_groups_and_only_thin_ones(planted_audit):
    ex, s = planted_audit.examples, planted_audit.summary
    thin = {b["band"] for b in s["centre_vs_corners"]["bands"]
            if b["reading"] == "lower than with no difference"}
    bands = [g for g in few_shot_groups(ex, s) if g["kind"] == "band"]
    assert {g["id"] for g in bands} == thin
    for g in bands:
        assert (ex.loc[g["rows"], "density_band"] == g["id"]).all()
        assert len(g["rows"]) == int(((ex["side"] == "real") & (ex["density_band"] == g["id"])).sum())


def test_the_exports_hold_the_rows_keywords_and_labels(planted_audit):
    ex, s = planted_audit.examples, planted_audit.summary
    groups = few_shot_groups(ex, s)
    table = few_shot_table(ex, groups)
    assert len(table) == sum(len(g["rows"]) for g in groups)
    assert {"group", "why", "keywords", "row", "text", "label"} <= set(table.columns)
    prompt = few_shot_prompt(ex, groups[0], n=3)
    first = ex.loc[groups[0]["rows"][0]]
    assert f"1. [{first['label']}] {first['text']}" in prompt
    assert "4. " not in prompt and groups[0]["keywords"][0] in prompt
    md = few_shot_markdown(ex, groups, n=2)
    assert md.count("## ") == len(groups)
    assert "nothing the synthetic data clearly misses" in few_shot_markdown(ex, [])


def test_the_filtered_set_leaves_out_exactly_the_dropped_rows(planted_audit):
    ex, s = planted_audit.examples, planted_audit.summary
    syn_rows = ex.loc[ex["side"] == "synthetic", "row"]
    dropped = syn_rows.iloc[:7].tolist()
    lift = {"recommended_filter": {"signal": "outlier", "percent": 5, "n_dropped": 7,
                                   "lift": 0.02, "lift_ci": [0.01, 0.03], "beats_random": True,
                                   "dropped_rows": dropped}}
    out = filtered_synthetic(ex, lift, s["inputs"])
    assert len(out) == len(syn_rows) - 7 and not out["row"].isin(dropped).any()
    assert list(out.columns) == ["row", "text", "sentiment", "generator"]
    assert "better than dropping as many at random" in filter_sentence(lift)
    assert filtered_synthetic(ex, {"recommended_filter": None}) is None
    assert "No filter was measured to help" in filter_sentence({"recommended_filter": None})


def test_the_command_writes_the_exports(planted_audit, tmp_path):
    planted_audit.save(tmp_path / "audit")
    lift_dir = tmp_path / "lift"
    lift_dir.mkdir()
    syn_rows = planted_audit.examples.loc[planted_audit.examples["side"] == "synthetic", "row"]
    (lift_dir / "lift.json").write_text(json.dumps({"recommended_filter": {
        "signal": "duplicate", "percent": 10, "n_dropped": 3, "lift": 0.05,
        "lift_ci": [0.01, 0.09], "beats_random": False,
        "dropped_rows": syn_rows.iloc[:3].tolist()}}))
    res = CliRunner().invoke(main, ["next-steps", str(tmp_path / "audit"), "--lift-dir",
                                    str(lift_dir), "--out", str(tmp_path / "next"),
                                    "--examples", "2"], catch_exceptions=False)
    assert res.exit_code == 0, res.output
    table = pd.read_csv(tmp_path / "next" / "few_shot.csv")
    assert len(table) and (table["keywords"].str.len() > 0).all()
    assert (tmp_path / "next" / "few_shot.md").read_text().count("3. ") == 0
    filtered = pd.read_csv(tmp_path / "next" / "filtered_synthetic.csv")
    assert len(filtered) == len(syn_rows) - 3
    assert "group(s) of real rows" in res.output


def test_the_command_says_what_is_wrong_in_one_line(tmp_path):
    res = CliRunner().invoke(main, ["next-steps", str(tmp_path / "nope"), "--out",
                                    str(tmp_path / "o")])
    assert res.exit_code == 1
    assert res.output.strip().startswith("Error: ") and "nope" in res.output
    assert "Traceback" not in res.output
