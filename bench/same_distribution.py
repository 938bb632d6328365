"""Two samples of one distribution, of several kinds, audited as a user would: what fires?

    python bench/same_distribution.py            # every case (about 10 minutes on 2 cores)

Each case splits one pool of text into a "real" and a "synthetic" side, so every finding is a
false alarm. Pools (none of them the built-in sample, none tuned on):

- critic snippets: Rotten Tomatoes snippets the reference case does not use (with their
  sentiment labels where the case says so);
- generated reviews that repeat themselves: SuperGen's reviews (about two thirds have a
  near-duplicate), with their labels; FewGen's reviews (seed 42) with their labels;
- instruction records: a few generic instructions, some with a film title as input, each
  answered by a snippet (the audit pairs the sides' rows by their identical prompts);
- chats: one system prompt, a user turn as above, the assistant's answer a snippet;
- long documents: 14 snippets joined (about 300 words, over the model's window);
- small sides: 30 : 60 and 400 : 50 snippets.

Per case it prints the largest per-row flag rate on either side (and which flag), the
one-sided clusters and regions, the figures outside their no-difference band, and the
verdict's first sentence. Results go to docs/benchmarks.md between the markers
``<!-- same-distribution:begin -->`` and ``<!-- same-distribution:end -->``.
"""

from __future__ import annotations

import html
import json
import random
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))
sys.path.insert(0, str(REPO / "tests"))
RAW = REPO.parent / "shared" / "data" / "raw"
CASES = REPO.parent / "shared" / "data" / "cases"
DOC = REPO / "docs" / "benchmarks.md"

from run import machine, matmul_rate  # noqa: E402  (bench/run.py)

FLAG_SUFFIXES = ("is_uncovered", "is_detectable", "is_outlier", "is_degenerate",
                 "is_copy_of_real", "is_label_issue", "is_drift")
TEMPLATES = ["Write a one-sentence review of the film.", "Give your opinion of this movie in a "
             "sentence.", "Review the following film briefly.", "What did you think of the "
             "movie? Answer in one sentence.", "Describe the film in one line, as a critic "
             "would.", "Sum up this movie for a newspaper.", "Tell readers whether to see this "
             "film.", "Write a short critic's snippet about the movie."]
TITLES = [f"{a} {b}" for a in ("The Last", "A Quiet", "Midnight", "Broken", "Golden", "Silent",
                               "Lost", "Red")
          for b in ("Summer", "Harbor", "Promise", "Road", "Garden", "Letter", "City", "River")]


def labelled_snippets() -> pd.DataFrame:
    from conftest import held_out_real_snippets

    keep = set(held_out_real_snippets())
    rows = []
    for name, label in (("rt-polarity.pos", "positive"), ("rt-polarity.neg", "negative")):
        rows += [(t.strip(), label) for t in (RAW / name).read_text(encoding="cp1252").splitlines()
                 if t.strip() in keep]
    random.Random(5).shuffle(rows)
    return pd.DataFrame(rows, columns=["text", "label"])


def supergen() -> pd.DataFrame:
    rows = pd.DataFrame(json.loads((RAW / "supergen_sst2_train.json").read_text("utf-8")))
    rows["text"] = rows["text"].map(html.unescape)
    return rows[["text", "label"]].sample(frac=1.0, random_state=7).reset_index(drop=True)


def fewgen() -> pd.DataFrame:
    rows = pd.read_csv(CASES / "fewgen_50k.csv")
    rows = rows[rows["generator"] == "fewgen-42"].rename(columns={"sentiment": "label"})
    return rows[["text", "label"]].sample(frac=1.0, random_state=7).reset_index(drop=True)


def records(texts, rng, chat: bool):
    out = []
    for text in texts:
        title = rng.choice(TITLES) if rng.random() < 0.6 else ""
        instruction = rng.choice(TEMPLATES)
        if chat:
            out.append({"messages": [
                {"role": "system", "content": "You are a film critic."},
                {"role": "user", "content": (instruction + " " + title).strip()},
                {"role": "assistant", "content": text}]})
        else:
            out.append({"instruction": instruction, "input": title, "output": text})
    return out


def audit_files(kind: str, real: list, synthetic: list, work: Path) -> tuple[dict, pd.DataFrame]:
    """Write the sides as JSONL and run the CLI on them, as a user would."""
    paths = []
    for side, rows in (("real", real), ("synthetic", synthetic)):
        path = work / f"{kind}_{side}.jsonl"
        path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
        paths.append(path)
    out = work / f"{kind}_out"
    command = [sys.executable, "-m", "synth_quality", "audit", "--real", str(paths[0]),
               "--synthetic", str(paths[1]), "--out", str(out)]
    if kind == "records":
        command += ["--text-column", "instruction", "--text-column", "input",
                    "--text-column", "output"]
    subprocess.run(command, check=True, capture_output=True, text=True)
    return (json.loads((out / "summary.json").read_text()),
            pd.read_parquet(out / "examples.parquet"))


def cases():
    """(name, sizes, function returning (summary, examples))."""
    from synth_quality import audit

    def frame_case(pool, n_real, n_syn, labels):
        def run():
            rows = pool()
            kwargs = {"label_column": "label"} if labels else {}
            data = rows if labels else rows[["text"]]
            result = audit(real=data.iloc[:n_real], synthetic=data.iloc[n_real:n_real + n_syn],
                           **kwargs)
            return result.summary, result.examples
        return run

    def file_case(kind, n_real, n_syn, work):
        def run():
            from conftest import held_out_real_snippets

            snippets, rng = held_out_real_snippets(), random.Random(3)
            return audit_files(kind, records(snippets[:n_real], rng, kind == "chats"),
                               records(snippets[n_real:n_real + n_syn], rng, kind == "chats"),
                               work)
        return run

    def snippets_only(n_real, n_syn, offset=2000, join=1):
        def run():
            from conftest import held_out_real_snippets

            s = held_out_real_snippets()
            docs = [" ".join(s[i:i + join]) for i in range(0, len(s) - join, join)]
            real = pd.DataFrame({"text": docs[offset:offset + n_real]})
            syn = pd.DataFrame({"text": docs[offset + n_real:offset + n_real + n_syn]})
            result = audit(real=real, synthetic=syn)
            return result.summary, result.examples
        return run

    work = Path(tempfile.mkdtemp(prefix="sq-same-"))
    yield "critic snippets, labelled", (1000, 2000), frame_case(labelled_snippets, 1000, 2000, True)
    yield "critic snippets, labelled", (2400, 300), frame_case(labelled_snippets, 2400, 300, True)
    yield "SuperGen reviews (repetitive), labelled", (1000, 2000), frame_case(supergen, 1000, 2000, True)
    yield "SuperGen reviews (repetitive), labelled", (500, 4000), frame_case(supergen, 500, 4000, True)
    yield "FewGen reviews, labelled", (1000, 2000), frame_case(fewgen, 1000, 2000, True)
    yield "instruction records (paired prompts)", (1000, 2000), file_case("records", 1000, 2000, work)
    yield "chats (one system prompt)", (1000, 2000), file_case("chats", 1000, 2000, work)
    yield "long documents (14 snippets each)", (150, 300), snippets_only(150, 300, 0, 14)
    yield "critic snippets, small", (30, 60), snippets_only(30, 60)
    yield "critic snippets, small", (400, 50), snippets_only(400, 50)


def describe(summary: dict, examples: pd.DataFrame) -> dict:
    from synth_quality.analysis.reference import EXPECTED

    worst, which = 0.0, "-"
    for column in examples.columns:
        if not column.split(".")[-1] in FLAG_SUFFIXES:
            continue
        for side in ("real", "synthetic"):
            part = examples.loc[examples["side"] == side, column]
            rate = float(part.fillna(False).astype(bool).mean()) if len(part) else 0.0
            if rate > worst:
                worst, which = rate, f"{column} ({side})"
    outside = [f"{name} {entry['value']:.3g} ({entry['low']:.3g}-{entry['high']:.3g})"
               for name, entry in summary["no_difference"]["figures"].items()
               if entry.get("reading") not in (None, EXPECTED)]
    labels = (summary.get("labels") or {}).get("synthetic_no_difference") or {}
    first = re.split(r"(?<=\.) ", summary["verdict"])[0]
    return {"worst": worst, "which": which,
            "one_sided": summary["n_clusters_real_only"] + summary["n_clusters_synthetic_only"],
            "regions": len(summary.get("uncovered_regions") or []),
            "outside": outside, "labels": labels.get("reading"), "verdict": first}


def main() -> None:
    rate = matmul_rate(3.0)
    lines = [f"Written by `python bench/same_distribution.py` on {time.strftime('%Y-%m-%d')}. "
             f"Machine: {machine()}; fp32 matrix multiply (torch, 2048x2048) {rate:.0f} "
             "GFLOP/s.", "",
             "| case | real : synthetic | largest per-row flag rate | one-sided clusters | "
             "regions | figures outside their band | label share vs its band | seconds |",
             "|---|---|---|---|---|---|---|---|"]
    for name, (n_real, n_syn), run in cases():
        t0 = time.perf_counter()
        d = describe(*run())
        seconds = time.perf_counter() - t0
        lines.append(f"| {name} | {n_real:,} : {n_syn:,} | {d['worst']:.1%} ({d['which']}) | "
                     f"{d['one_sided']} | {d['regions']} | {', '.join(d['outside']) or 'none'} | "
                     f"{d['labels'] or '-'} | {seconds:.0f} |")
        print(lines[-1], "|", d["verdict"], flush=True)
    lines += ["", "Every case is two samples of one distribution: the issue's bar is at most 5% "
              "of rows for every per-row flag, no one-sided cluster or region, and every "
              "figure inside its band. `is_label_issue` is cleanlab's label-noise filter, not a "
              "test of a difference: the critics' snippet-level sentiment labels are disputed "
              "on about a fifth of the rows of either side, and the synthetic share is read "
              "against real rows judged the same way (the 'label share vs its band' column). "
              "Calibrating the flag itself against that reference (Benjamini-Hochberg) kept "
              "it at 0% here but found only 15-69% of planted flips where the filter finds "
              "70-95% (tests/analysis/test_labels.py), so it was not adopted. With about twenty "
              "figures read at once, one figure just outside its 99.7% band in one audit of "
              "ten is what the bands allow."]
    write(lines)


def write(lines: list[str]) -> None:
    begin, end = "<!-- same-distribution:begin -->", "<!-- same-distribution:end -->"
    block = "\n".join([begin, "## Two samples of one distribution, of several kinds", "",
                       *lines, end])
    text = DOC.read_text()
    pattern = re.compile(re.escape(begin) + ".*?" + re.escape(end), re.S)
    text = pattern.sub(lambda _: block, text) if pattern.search(text) else text.rstrip() + "\n\n" + block + "\n"
    DOC.write_text(text)
    print(f"wrote {DOC}")


if __name__ == "__main__":
    main()
