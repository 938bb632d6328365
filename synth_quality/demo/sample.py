"""The built-in demo dataset: a small, hand-built real-vs-synthetic case with known answers.

Data that can be regenerated is never committed, so the sample is built by this module: pure
Python plus pandas, deterministic for a given seed, well under a second. ``sample_path()`` writes
it to ``sample_data/sample.csv`` (gitignored) or to the user cache and returns the path; the
dashboard and ``synth-quality`` use it as the demo.

What it holds (the counts for seed 0 are in ``sample_data/README.md``):

* **real** rows: critic-snippet style, lowercase and tokenised (``a sly , unhurried comedy .``),
  often verb-less fragments that name invented films, actors and directors. About 60 of them
  are about documentaries (nature and history films), a mode no generator imitates
  (``planted = "real_only_mode"``).
* **genericbot**: cased, generic full sentences from templates (``"templated"``), a few with HTML
  entities (``"html_entity"``), a few repetition loops and stutters (``"repetition_loop"``), and
  one sentence repeated as a block of exact duplicates (``"duplicate"``).
* **mimicbot**: a good generator; lowercase, tokenised critic-like fragments built from a
  different but similar set of pieces (``""``, realistic), plus rows copied from the real side
  verbatim or with a one-word / one-token edit (``"copy_of_real"``).
* **offtopicbot**: product and restaurant reviews in the real side's surface style, a mode only
  the synthetic side covers (``"off_topic"``).

Every sentence and fragment (the word lists and templates are package data, ``phrases.json``)
was written for this module; none is taken from a corpus.
"""

from __future__ import annotations

import difflib
import hashlib
import importlib.resources
import itertools
import json
import math
import os
import random
import re
import tempfile
from collections import Counter
from pathlib import Path

import pandas as pd

SAMPLE_COLUMNS = ["text", "real_or_synthetic", "sentiment", "generator", "planted"]

#: Values of the ``planted`` column (the ground truth); ``""`` marks an ordinary row.
PLANTED_KINDS = (
    "",
    "real_only_mode",
    "templated",
    "html_entity",
    "repetition_loop",
    "duplicate",
    "copy_of_real",
    "off_topic",
)

#: Words that mark the documentary mode; only ``real_only_mode`` rows contain any of them.
DOCUMENTARY_WORDS = ("documentary", "documentaries", "wildlife", "archival", "nonfiction")

SAMPLE_FILENAME = "sample.csv"
_REPO_SAMPLE_DIR = Path(__file__).resolve().parents[2] / "sample_data"

# Rows per (planted kind, sentiment). Real: 340 ordinary + 60 documentary rows.
_N_REAL_ORDINARY = 170
_N_REAL_DOC = 30
_N_TEMPLATED = {"positive": 260, "negative": 280}
_N_HTML = 13
_N_LOOP = 15
_N_DUPLICATE = 20  # one positive sentence, repeated; templated has 20 more negatives to balance
_N_MIMIC = 185
_N_COPY = 15
_N_OFFTOPIC = 30

_DUPLICATE_TEXT = "This is a great movie and I would recommend it to everyone."


def _load_phrases() -> dict:
    """phrases.json: its "@name" values resolved to the list of that name, "a|b" keys to pairs."""
    raw = json.loads(importlib.resources.files(__package__).joinpath("phrases.json")
                     .read_text(encoding="utf-8"))

    def resolve(value):
        if isinstance(value, str) and value.startswith("@"):
            return raw[value[1:]]
        if isinstance(value, dict):
            return {(tuple(k.split("|")) if "|" in k else k): resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [resolve(v) for v in value]
        return value

    return {key: resolve(value) for key, value in raw.items() if key not in ("about", "notes")}


# The word lists and templates are package data (phrases.json); names as they were here.
_PHRASES = _load_phrases()
_FILMS = _PHRASES["films"]
_DIRECTORS = _PHRASES["directors"]
_ACTORS = _PHRASES["actors"]
_GENRES = _PHRASES["genres"]
_REAL = _PHRASES["real"]
_ROLES = _PHRASES["roles"]
_ORDINALS = _PHRASES["ordinals"]
_REAL_TEMPLATES = _PHRASES["real_templates"]
_DOC_SUBJECTS = _PHRASES["doc_subjects"]
_NATURE_SUBJECTS = _PHRASES["nature_subjects"]
_DOC_TITLES = _PHRASES["doc_titles"]
_DOC = _PHRASES["doc"]
_DOC_COMMON = _PHRASES["doc_common"]
_DOC_TEMPLATES = _PHRASES["doc_templates"]
_M_FILMS = _PHRASES["m_films"]
_M_DIRECTORS = _PHRASES["m_directors"]
_M_ACTORS = _PHRASES["m_actors"]
_M_GENRES = _PHRASES["m_genres"]
_MIMIC = _PHRASES["mimic"]
_MIMIC_TEMPLATES = _PHRASES["mimic_templates"]
_G_TITLES = _PHRASES["g_titles"]
_G_FILL = _PHRASES["g_fill"]
_G_FIRST = _PHRASES["g_first"]
_G_SECOND = _PHRASES["g_second"]
_G_HTML = _PHRASES["g_html"]
_G_LOOP_LOWER = _PHRASES["g_loop_lower"]
_G_LOOP_CASED = _PHRASES["g_loop_cased"]
_G_STUTTER = _PHRASES["g_stutter"]
_OFF_HEADS = _PHRASES["off_heads"]
_OFF_TAILS = _PHRASES["off_tails"]
_COPY_SWAPS = _PHRASES["copy_swaps"]


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------

_SLOT = re.compile(r"\{(\w+)\}")
_AN = re.compile(r"\b([Aa]) (?=[aeiouAEIOU])")


def _articles(text: str) -> str:
    """``a`` before a vowel becomes ``an`` (the fragments avoid words like ``unique``)."""
    return _AN.sub(r"\1n ", text)


def _slot_list(pools: dict[str, list[str]], name: str) -> list[str]:
    """``adj2`` and ``terse3`` draw from the ``adj`` and ``terse`` pools."""
    return pools[name] if name in pools else pools[name.rstrip("0123456789")]


def _has_loop(text: str) -> bool:
    """A word three times in a row (a stutter), or any span of 4 tokens occurring twice."""
    tokens = text.lower().split()
    if any(a == b == c for a, b, c in zip(tokens, tokens[1:], tokens[2:])):
        return True
    spans = list(zip(tokens, tokens[1:], tokens[2:], tokens[3:]))
    return len(set(spans)) < len(spans)


def _too_close(tokens: list[str], rows: list[list[str]], limit: float) -> bool:
    """Whether a row's words have a difflib ratio >= ``limit`` to those of any of ``rows``."""
    matcher = difflib.SequenceMatcher(None, b=tokens, autojunk=False)
    for other in rows:
        matcher.set_seq1(other)
        if matcher.quick_ratio() >= limit and matcher.ratio() >= limit:
            return True
    return False


def _fill(rng: random.Random, template: str, pools: dict[str, list[str]], n: int,
          taken: set[str], max_ratio: float = 0.7) -> list[str]:
    """``n`` distinct rows from one template, spread over the fragments.

    No two rows of a template share two fragments or have a word-level difflib ratio of
    ``max_ratio`` or more (so rows are not near-copies of each other), no fragment is used
    much more often than its fair share, and slots drawing from the same pool get different
    values. A random fill that paints itself into a corner starts again (rarely needed: the
    pools hold well over ``n`` such rows).
    """
    names = list(dict.fromkeys(_SLOT.findall(template)))
    cap = {name: math.ceil(n / len(_slot_list(pools, name))) + 1 for name in names}
    for _restart in range(5):
        used: Counter = Counter()
        pairs: set = set()
        rows: list[str] = []
        made: list[list[str]] = []
        for _ in range(200 * n):
            pick = {name: rng.choice(_slot_list(pools, name)) for name in names}
            if len(set(pick.values())) < len(pick):
                continue
            if any(used[(name, value)] >= cap[name] for name, value in pick.items()):
                continue
            combos = [(a, pick[a], b, pick[b]) for a, b in itertools.combinations(names, 2)]
            if any(combo in pairs for combo in combos):
                continue
            text = _articles(template.format(**pick))
            tokens = text.split()
            if (text in taken or text in rows or _has_loop(text)
                    or _too_close(tokens, made, max_ratio)):
                continue
            rows.append(text)
            made.append(tokens)
            used.update(pick.items())
            pairs.update(combos)
            if len(rows) == n:
                taken.update(rows)
                return rows
    raise RuntimeError(f"could not fill {n} rows from template {template!r}")  # a bug


def _render(rng: random.Random, template: str, pools: dict[str, list[str]]) -> str:
    names = list(dict.fromkeys(_SLOT.findall(template)))
    while True:
        pick = {name: rng.choice(_slot_list(pools, name)) for name in names}
        if len(set(pick.values())) == len(pick):
            return _articles(template.format(**pick))


def _row(text: str, side: str, sentiment: str, generator: str, planted: str) -> dict:
    return {"text": text, "real_or_synthetic": side, "sentiment": sentiment,
            "generator": generator, "planted": planted}


def _real_rows(rng: random.Random, taken: set[str]) -> list[dict]:
    rows = []
    for sentiment in ("positive", "negative"):
        pools = {"film": _FILMS, "director": _DIRECTORS, "actor": _ACTORS, "genre": _GENRES,
                 "role": _ROLES, "ordinal": _ORDINALS, **_REAL[sentiment]}
        for template, quota in _REAL_TEMPLATES:
            for text in _fill(rng, template, pools, quota, taken):
                rows.append(_row(text, "real", sentiment, "", ""))
        doc_pools = {**_DOC_COMMON, **_DOC[sentiment]}
        for template, quota in _DOC_TEMPLATES:
            for text in _fill(rng, template, doc_pools, quota, taken):
                rows.append(_row(text, "real", sentiment, "", "real_only_mode"))
    return rows


def _genericbot_rows(rng: random.Random, taken: set[str]) -> list[dict]:
    rows = []
    taken.add(_DUPLICATE_TEXT)
    for sentiment in ("positive", "negative"):
        made = 0
        while made < _N_TEMPLATED[sentiment]:
            text = _render(rng, rng.choice(_G_FIRST[sentiment]), _G_FILL)
            if rng.random() < 0.75:
                text += " " + _render(rng, rng.choice(_G_SECOND[sentiment]), _G_FILL)
            if text in taken or _has_loop(text):
                continue
            taken.add(text)
            rows.append(_row(text, "synthetic", sentiment, "genericbot", "templated"))
            made += 1
        made = 0
        while made < _N_HTML:
            text = _render(rng, rng.choice(_G_HTML[sentiment]), _G_FILL)
            if text in taken:
                continue
            taken.add(text)
            rows.append(_row(text, "synthetic", sentiment, "genericbot", "html_entity"))
            made += 1
        loops = []
        for clause in _G_LOOP_LOWER[sentiment] + _G_LOOP_CASED[sentiment]:
            loops += [" ".join([clause] * times) for times in (3, 4, 5)]
        for before, word, after in _G_STUTTER[sentiment]:
            loops += [" ".join([before] + [word] * times + ([after] if after else []))
                      for times in (3, 4, 5)]
        for text in rng.sample(loops, _N_LOOP):
            taken.add(text)
            rows.append(_row(text, "synthetic", sentiment, "genericbot", "repetition_loop"))
    rows += [_row(_DUPLICATE_TEXT, "synthetic", "positive", "genericbot", "duplicate")
             for _ in range(_N_DUPLICATE)]
    return rows


def _mimicbot_rows(rng: random.Random, taken: set[str]) -> list[dict]:
    rows = []
    for sentiment in ("positive", "negative"):
        pools = {"mfilm": _M_FILMS, "mdirector": _M_DIRECTORS, "mactor": _M_ACTORS,
                 "mgenre": _M_GENRES, **_MIMIC[sentiment]}
        for template, quota in _MIMIC_TEMPLATES[sentiment]:
            # A generator repeats its own patterns more than critics do: a looser limit.
            for text in _fill(rng, template, pools, quota, taken, max_ratio=0.8):
                rows.append(_row(text, "synthetic", sentiment, "mimicbot", ""))
    return rows


def _swap_one_word(rng: random.Random, text: str) -> str | None:
    tokens = text.split(" ")
    spots = [i for i, token in enumerate(tokens) if token in _COPY_SWAPS]
    if not spots:
        return None
    i = rng.choice(spots)
    tokens[i] = _COPY_SWAPS[tokens[i]]
    return " ".join(tokens)


def _copy_rows(rng: random.Random, real: list[dict], taken: set[str]) -> list[dict]:
    """Memorised rows: a real row verbatim, with one word swapped, or without its final " ."."""
    rows = []
    for sentiment in ("positive", "negative"):
        sources = [r["text"] for r in real
                   if r["sentiment"] == sentiment and r["planted"] == "" and len(r["text"]) >= 45]
        rng.shuffle(sources)
        modes = (["verbatim", "swap", "trim"] * _N_COPY)[:_N_COPY]
        rng.shuffle(modes)
        made = 0
        for source in sources:
            if made == _N_COPY:
                break
            mode = modes[made]
            if mode == "verbatim":
                text = source
            elif mode == "swap":
                text = _swap_one_word(rng, source)
            else:
                text = source[:-2]
            if text is None or (mode != "verbatim" and text in taken):
                continue
            if difflib.SequenceMatcher(None, text, source).ratio() < 0.92:
                continue
            taken.add(text)
            rows.append(_row(text, "synthetic", sentiment, "mimicbot", "copy_of_real"))
            made += 1
        if made < _N_COPY:
            raise RuntimeError("not enough real rows to copy")  # a bug
    return rows


def _offtopic_rows(rng: random.Random, taken: set[str]) -> list[dict]:
    rows = []
    for sentiment in ("positive", "negative"):
        combos = [(head, tail) for kind, head in _OFF_HEADS[sentiment]
                  for tail in _OFF_TAILS[(sentiment, kind)]]
        rng.shuffle(combos)
        per_head: Counter = Counter()
        made = 0
        for head, tail in combos:
            if made == _N_OFFTOPIC:
                break
            if per_head[head] >= 2:
                continue
            if not tail:
                text = f"{head} ."
            elif tail.startswith("."):
                text = f"{head} {tail} ."
            else:
                text = f"{head} , {tail} ."
            if text in taken:
                continue
            per_head[head] += 1
            taken.add(text)
            rows.append(_row(text, "synthetic", sentiment, "offtopicbot", "off_topic"))
            made += 1
        if made < _N_OFFTOPIC:
            raise RuntimeError("not enough off-topic rows")  # a bug
    return rows


def build_sample(random_state: int = 0) -> pd.DataFrame:
    """The demo frame (columns ``SAMPLE_COLUMNS``); the same seed gives an identical frame."""
    rng = random.Random(random_state)
    taken: set[str] = set()
    real = _real_rows(rng, taken)
    rows = (real + _genericbot_rows(rng, taken) + _mimicbot_rows(rng, taken)
            + _copy_rows(rng, real, taken) + _offtopic_rows(rng, taken))
    rng.shuffle(rows)
    return pd.DataFrame(rows, columns=SAMPLE_COLUMNS)


def _csv_bytes(frame: pd.DataFrame) -> bytes:
    return frame.to_csv(index=False, lineterminator="\n").encode("utf-8")


def _write_atomic(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".sample-", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_sample(directory) -> Path:
    """Write ``<directory>/sample.csv`` (UTF-8, ``SAMPLE_COLUMNS``) for seed 0; returns its path."""
    path = Path(directory) / SAMPLE_FILENAME
    _write_atomic(path, _csv_bytes(build_sample(0)))
    return path


def _default_dir() -> Path:
    repo_dir = _REPO_SAMPLE_DIR
    if repo_dir.is_dir() and os.access(repo_dir, os.W_OK | os.X_OK):
        return repo_dir
    return Path.home() / ".cache" / "synth-quality" / "sample"


def sample_path() -> Path:
    """Path of the demo CSV, (re)built if it is missing or differs from ``build_sample(0)``.

    The file lives in ``<repo>/sample_data/`` when that folder exists and is writable (a
    checkout), else in ``~/.cache/synth-quality/sample/`` (an installed package).
    """
    path = _default_dir() / SAMPLE_FILENAME
    data = _csv_bytes(build_sample(0))
    digest = hashlib.sha256(data).hexdigest()
    try:
        current = hashlib.sha256(path.read_bytes()).hexdigest()
    except OSError:
        current = None
    if current != digest:
        _write_atomic(path, data)
    return path
