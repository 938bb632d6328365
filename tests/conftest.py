"""Shared fixtures: a fast fake embedder, small planted data, and one audit built per run."""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED_DATA = REPO.parent / "shared" / "data" / "cases"
REFERENCE_CASE = SHARED_DATA / "rt_seed_case.csv"
RAW_DATA = REPO.parent / "shared" / "data" / "raw"


def held_out_real_snippets() -> list[str]:
    """The Rotten Tomatoes critic snippets that neither the reference case nor its evaluation
    set uses (about 8,600), in a fixed shuffled order: real text the tests hold out, for
    same-distribution cases and planted groups. Skips when ../shared/data is absent."""
    import random

    files = [RAW_DATA / "rt-polarity.pos", RAW_DATA / "rt-polarity.neg"]
    used_files = [SHARED_DATA / "rt_real.csv", SHARED_DATA / "rt_eval.csv"]
    if not all(f.is_file() for f in files + used_files):
        pytest.skip(f"shared data not found under {RAW_DATA.parent} (../shared/data beside the "
                    "repo; see README)")
    used = set()
    for f in used_files:
        used.update(pd.read_csv(f, encoding="cp1252" if "eval" in f.name else "utf-8",
                                encoding_errors="replace")["text"].astype(str).str.strip())
    snippets = []
    for f in files:
        snippets += [line.strip() for line in f.read_text(encoding="cp1252").splitlines()
                     if line.strip() and line.strip() not in used]
    snippets = sorted(set(snippets))
    random.Random(15).shuffle(snippets)
    return snippets


def repetitive_generated_reviews() -> pd.DataFrame:
    """SuperGen's generated reviews (text, label), HTML entities decoded, in a fixed shuffled
    order: text that repeats itself (about two thirds of the rows have a near-duplicate), for
    same-distribution cases where near-copies across the sides are expected. They are the
    reference case's synthetic side; nothing is tuned on them split this way. Skips when
    ../shared/data is absent."""
    import html
    import json

    path = RAW_DATA / "supergen_sst2_train.json"
    if not path.is_file():
        pytest.skip(f"shared data not found under {RAW_DATA.parent} (../shared/data beside the "
                    "repo; see README)")
    rows = pd.DataFrame(json.loads(path.read_text(encoding="utf-8")))
    rows["text"] = rows["text"].map(html.unescape)
    return rows[["text", "label"]].sample(frac=1.0, random_state=15).reset_index(drop=True)


def pytest_configure(config):
    # Never write test embeddings into the user's real cache.
    if not os.environ.get("SYNTH_QUALITY_CACHE_DIR"):
        os.environ["SYNTH_QUALITY_CACHE_DIR"] = str(REPO / ".cache" / "test-cache")
    # Every summary.json a test writes (here, in the CLI, in the dashboard's server process)
    # is checked against the schema and the shipped JSON Schema file before it is written.
    os.environ["SYNTH_QUALITY_VALIDATE_SUMMARY"] = "1"


class HashingEmbedder:
    """Deterministic bag-of-words vectors: texts sharing words are close. No model, no download."""

    identity = "test-hashing-embedder"

    def __init__(self, dim: int = 256):
        self.dim = dim

    def encode_batch(self, texts):
        out = np.zeros((len(texts), self.dim), np.float32)
        for i, text in enumerate(texts):
            for word in re.findall(r"\w+", text.lower()):
                h = int(hashlib.md5(word.encode()).hexdigest(), 16)
                out[i, h % self.dim] += 1.0 if (h >> 8) % 2 else -1.0
            norm = np.linalg.norm(out[i])
            out[i] = out[i] / norm if norm else 1.0 / np.sqrt(self.dim)
        return out


@pytest.fixture
def fake_embedder():
    return HashingEmbedder()


def planted_frames(seed: int = 0) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Real and synthetic tables with known answers.

    - both sides: reviews about acting / plot (shared modes);
    - real only: 30 rows about documentaries on glaciers (a mode the generator misses);
    - synthetic only: 30 rows about blenders (off-topic, a mode real data lacks);
    - synthetic: 5 verbatim copies of real rows, 4 repetition loops, 6 identical rows.
    """
    rng = np.random.default_rng(seed)
    acting = ["actor", "performance", "cast", "role", "acting", "star", "lead", "character"]
    plot = ["story", "plot", "twist", "ending", "script", "pacing", "scene", "narrative"]
    docu = ["documentary", "glacier", "ice", "arctic", "footage", "expedition", "climate", "melt"]
    blender = ["blender", "kitchen", "smoothie", "motor", "blade", "appliance", "cord", "crush"]
    fillers = ["good", "bad", "strong", "weak", "fine", "dull", "bright", "odd", "clever", "slow"]

    def sentence(pool, n=5):
        words = list(rng.choice(pool, size=n, replace=False)) + list(rng.choice(fillers, size=3, replace=False))
        rng.shuffle(words)
        return " ".join(words) + " ."

    real = [sentence(acting) for _ in range(45)] + [sentence(plot) for _ in range(45)]
    real += [sentence(docu) for _ in range(30)]
    synth = [sentence(acting) for _ in range(60)] + [sentence(plot) for _ in range(60)]
    synth += [sentence(blender) for _ in range(30)]
    synth += real[:5]                                   # memorised copies
    synth += ["what a mess . what a mess . what a mess . what a mess ."] * 1
    synth += ["the plot the plot the plot the plot the plot the plot .",
              "an epic of epic epic epic epic epic .", "i loved it i loved it i loved it i loved it ."]
    synth += ["this movie is great ."] * 6                 # unvaried
    labels_real = ["pos" if i % 2 else "neg" for i in range(len(real))]
    labels_syn = ["pos" if i % 2 else "neg" for i in range(len(synth))]
    gens = ["gen-a" if i % 2 else "gen-b" for i in range(len(synth))]
    return (pd.DataFrame({"text": real, "sentiment": labels_real}),
            pd.DataFrame({"text": synth, "sentiment": labels_syn, "generator": gens}))


@pytest.fixture(scope="session")
def planted():
    return planted_frames()


@pytest.fixture(scope="session")
def planted_audit(planted):
    """One real-UMAP audit of the planted tables with the fake embedder, built once per run."""
    from synth_quality import AuditConfig, audit

    real, synth = planted
    config = AuditConfig.from_dict({"embed": {"use_cache": False},
                                    "cluster": {"min_cluster_size": 10}})
    return audit(real=real, synthetic=synth, label_column="sentiment",
                 generator_column="generator", config=config, embedder=HashingEmbedder())


@pytest.fixture
def reference_case():
    if not REFERENCE_CASE.is_file():
        pytest.skip(f"shared reference data not found at {REFERENCE_CASE} (it sits beside the repo "
                    "in ../shared/data; see README)")
    return REFERENCE_CASE


SAMPLE_AUDIT_ENV = "SYNTH_QUALITY_TEST_AUDIT_DIR"


@pytest.fixture(scope="session")
def sample_audit_dir(tmp_path_factory):
    """The built-in sample audited once per run with the real MiniLM model, saved to a folder.

    Set SYNTH_QUALITY_TEST_AUDIT_DIR to reuse a saved audit of the sample between runs.
    """
    given = os.environ.get(SAMPLE_AUDIT_ENV)
    if given and (Path(given) / "summary.json").is_file():
        return Path(given)
    from synth_quality import audit
    from synth_quality.demo.sample import sample_path

    folder = tmp_path_factory.mktemp("sample-audit")
    result = audit(data=str(sample_path()), source_column="real_or_synthetic",
                   label_column="sentiment", generator_column="generator")
    result.save(folder)
    os.environ[SAMPLE_AUDIT_ENV] = str(folder)
    return folder


def unit_rows(n, dim=16, seed=0):
    """n random unit vectors (float32, seeded)."""
    x = np.random.default_rng(seed).normal(size=(n, dim)).astype(np.float32)
    return x / np.linalg.norm(x, axis=1, keepdims=True)


def cloud(n: int, spread: float, seed: int, dim: int = 16) -> np.ndarray:
    """n unit vectors around one direction; ``spread`` sets how far the tails reach."""
    rng = np.random.default_rng(seed)
    x = np.zeros((n, dim))
    x[:, 0] = 1.0
    x = x + spread * rng.normal(size=(n, dim)) / np.sqrt(dim)
    return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)


# Two-class texts for the lift tests: class words, shared fillers, sometimes a word of the other
# class; a linear model on the hashed vectors learns the task from a few hundred rows.
POS = [f"good{i}" for i in range(30)]
NEG = [f"bad{i}" for i in range(30)]
FILLER = [f"word{i}" for i in range(150)]


def reviews(rng, n: int, tag: str = "") -> pd.DataFrame:
    """n texts, half positive and half negative: 2 class words, 6 fillers, sometimes a word of
    the other class. ``tag`` (a word of its own) makes texts of different sets distinct."""
    rows = []
    for i in range(n):
        label = "positive" if i % 2 == 0 else "negative"
        own, other = (POS, NEG) if label == "positive" else (NEG, POS)
        words = list(rng.choice(own, 2)) + list(rng.choice(FILLER, 6))
        if rng.random() < 0.5:
            words.append(str(rng.choice(other)))
        rng.shuffle(words)
        rows.append((" ".join(words + ([tag] if tag else [])), label))
    return pd.DataFrame(rows, columns=["text", "sentiment"])
