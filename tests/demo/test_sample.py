"""Tests for synth_quality.demo.sample: the built-in demo dataset and its planted ground truth."""

from __future__ import annotations

import difflib
import re
import time

import pandas as pd
import pytest

from synth_quality.demo import sample as sample_module
from synth_quality.demo.sample import SAMPLE_COLUMNS, build_sample, sample_path, write_sample

# Written out here rather than imported, so a change to the module cannot silently move them.
DOC_WORDS = ("documentary", "documentaries", "wildlife", "archival", "nonfiction")
ENTITY = re.compile(r"&(?:#\d+|#x[0-9a-fA-F]+|[a-zA-Z]+);")
# A word glued to punctuation, or punctuation glued to the next word: not tokenised.
UNTOKENISED = re.compile(r"[^\s][,.;:!?]|[,.;:!?][^\s]")


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return build_sample(0)


def rows(df, **where) -> pd.DataFrame:
    mask = pd.Series(True, index=df.index)
    for column, value in where.items():
        mask &= df[column] == value
    return df[mask]


def has_loop(text: str) -> bool:
    """A span of 4 tokens occurring twice, or one word three times in a row (a stutter)."""
    tokens = text.lower().split()
    if any(a == b == c for a, b, c in zip(tokens, tokens[1:], tokens[2:])):
        return True
    spans = [tuple(tokens[i:i + 4]) for i in range(len(tokens) - 3)]
    return len(set(spans)) < len(spans)


def best_ratio_at_least(text: str, others: list[str], limit: float) -> bool:
    """Whether some of ``others`` has a difflib ratio >= ``limit`` to ``text``."""
    matcher = difflib.SequenceMatcher(None, b=text)
    for other in others:
        matcher.set_seq1(other)
        if (matcher.real_quick_ratio() >= limit and matcher.quick_ratio() >= limit
                and matcher.ratio() >= limit):
            return True
    return False


# --- shape and determinism ------------------------------------------------------------------

def test_columns_and_values(df):
    assert list(df.columns) == SAMPLE_COLUMNS
    assert 1400 <= len(df) <= 1600
    assert df.index.equals(pd.RangeIndex(len(df)))
    for column in SAMPLE_COLUMNS:
        assert all(isinstance(v, str) for v in df[column]), column
    assert (df["text"].str.strip() == df["text"]).all()
    assert (df["text"].str.len() > 0).all()
    assert set(df["real_or_synthetic"]) == {"real", "synthetic"}
    assert set(df["sentiment"]) == {"positive", "negative"}
    assert set(df["generator"]) == {"", "genericbot", "mimicbot", "offtopicbot"}
    assert set(df["planted"]) == set(sample_module.PLANTED_KINDS)


def test_same_seed_same_frame_other_seed_differs(df):
    pd.testing.assert_frame_equal(build_sample(0), df)
    pd.testing.assert_frame_equal(build_sample(random_state=7), build_sample(7))
    other = build_sample(1)
    assert not other.equals(df)
    assert set(other["text"]) != set(df["text"])


def test_rows_are_interleaved(df):
    # Shuffled: the first 100 rows mix both sides and all generators.
    head = df.head(100)
    assert set(head["real_or_synthetic"]) == {"real", "synthetic"}
    assert {"genericbot", "mimicbot"} <= set(head["generator"])


def test_build_is_fast():
    start = time.perf_counter()
    build_sample(3)
    # About 0.2 s on a laptop; the limit leaves room for a busy CI runner.
    assert time.perf_counter() - start < 3.0


# --- counts -----------------------------------------------------------------------------------

EXPECTED = {  # (generator, planted): allowed count range
    ("", ""): (320, 360),
    ("", "real_only_mode"): (50, 70),
    ("genericbot", "templated"): (500, 600),
    ("genericbot", "html_entity"): (20, 30),
    ("genericbot", "repetition_loop"): (25, 35),
    ("genericbot", "duplicate"): (15, 25),
    ("mimicbot", ""): (340, 400),
    ("mimicbot", "copy_of_real"): (25, 35),
    ("offtopicbot", "off_topic"): (50, 70),
}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_counts_per_generator_and_planted_kind(seed):
    frame = build_sample(seed)
    counts = frame.groupby(["generator", "planted"]).size().to_dict()
    assert set(counts) == set(EXPECTED)
    for key, (low, high) in EXPECTED.items():
        assert low <= counts[key] <= high, (key, counts[key])
    sides = frame["real_or_synthetic"].value_counts()
    assert 380 <= sides["real"] <= 420
    assert 1050 <= sides["synthetic"] <= 1150
    generators = frame["generator"].value_counts()
    assert 580 <= generators["genericbot"] <= 650
    assert 380 <= generators["mimicbot"] <= 420
    # Real rows have no generator; synthetic rows always have one.
    assert (frame["generator"].eq("") == frame["real_or_synthetic"].eq("real")).all()


def test_sentiment_balanced_per_side_and_generator(df):
    for side, group in df.groupby("real_or_synthetic"):
        counts = group["sentiment"].value_counts()
        assert counts["positive"] == counts["negative"], side
    for generator in ("genericbot", "mimicbot", "offtopicbot"):
        counts = rows(df, generator=generator)["sentiment"].value_counts()
        assert abs(counts["positive"] - counts["negative"]) <= 0.05 * counts.sum(), generator
    for kind in ("real_only_mode", "off_topic", "repetition_loop", "html_entity",
                 "copy_of_real"):
        counts = rows(df, planted=kind)["sentiment"].value_counts()
        assert counts["positive"] == counts["negative"], kind


# --- surface style --------------------------------------------------------------------------

def test_real_rows_lowercase_and_tokenised(df):
    real = rows(df, real_or_synthetic="real")["text"]
    assert (real == real.str.lower()).all()
    bad = [t for t in real if UNTOKENISED.search(t)]
    assert bad == []


def test_mimic_and_offtopic_rows_share_the_real_surface(df):
    texts = df[df["generator"].isin(["mimicbot", "offtopicbot"])]["text"]
    assert (texts == texts.str.lower()).all()
    assert [t for t in texts if UNTOKENISED.search(t)] == []


def test_genericbot_sentences_are_cased(df):
    cased = df[df["planted"].isin(["templated", "html_entity", "duplicate"])]["text"]
    assert cased.str.contains(r"[A-Z]").all()
    assert not rows(df, real_or_synthetic="real")["text"].str.contains(r"[A-Z]").any()


def test_the_tokenised_check_catches_raw_text():
    assert UNTOKENISED.search("a sly, unhurried comedy.")
    assert not UNTOKENISED.search("a sly , unhurried comedy .")


# --- the two one-sided modes ---------------------------------------------------------------

def test_documentary_mode_is_real_only(df):
    pattern = r"\b(?:" + "|".join(DOC_WORDS) + r")\b"
    mentions = df["text"].str.contains(pattern)
    synthetic = df["real_or_synthetic"] == "synthetic"
    assert not (mentions & synthetic).any(), df[mentions & synthetic]["text"].tolist()
    # Every documentary row says so, and only they do.
    assert (mentions == df["planted"].eq("real_only_mode")).all()
    assert rows(df, planted="real_only_mode")["real_or_synthetic"].eq("real").all()


def test_off_topic_mode_is_synthetic_only(df):
    off = rows(df, planted="off_topic")
    assert off["generator"].eq("offtopicbot").all()
    film_words = r"\b(?:film|films|movie|movies|actor|actors|director|cast|plot|script|scene)\b"
    assert not off["text"].str.contains(film_words).any()
    # Appliances and restaurants never appear on the real side.
    other_words = r"\b(?:blender|toaster|kettle|waiter|restaurant|hotel|headphones)\b"
    assert not rows(df, real_or_synthetic="real")["text"].str.contains(other_words).any()
    assert off["text"].str.contains(other_words).any()


# --- memorisation ---------------------------------------------------------------------------

def test_copies_are_within_a_small_edit_of_a_real_row(df):
    real = rows(df, real_or_synthetic="real", planted="")["text"].tolist()
    copies = rows(df, planted="copy_of_real")["text"].tolist()
    for text in copies:
        assert best_ratio_at_least(text, real, 0.9), text
    # All three kinds of copy are there.
    assert any(t in real for t in copies)
    assert any(t + " ." in real for t in copies)
    assert any(t not in real and t + " ." not in real for t in copies)


def test_ordinary_mimicbot_rows_are_not_copies(df):
    real = rows(df, real_or_synthetic="real")["text"].tolist()
    mimic = rows(df, generator="mimicbot", planted="")["text"].tolist()
    close = [t for t in mimic if best_ratio_at_least(t, real, 0.9)]
    assert close == []


def test_the_copy_check_can_tell_an_edit_from_a_new_row():
    real = ["kessler directs with a light , sure touch , and jonah pell is a revelation ."]
    assert best_ratio_at_least(real[0][:-2], real, 0.9)
    assert not best_ratio_at_least("heron lake is a gentle little comedy .", real, 0.9)


# --- duplicates -----------------------------------------------------------------------------

def test_exact_duplicates_only_where_planted(df):
    real = rows(df, real_or_synthetic="real")["text"]
    assert not real.duplicated().any()
    block = rows(df, planted="duplicate")["text"]
    assert block.nunique() == 1
    # Apart from the duplicate block and verbatim copies of real rows, every text is unique.
    others = df[~df["planted"].isin(["duplicate", "copy_of_real"])]["text"]
    assert not others.duplicated().any()
    copies = rows(df, planted="copy_of_real")["text"]
    assert not copies.duplicated().any()
    assert not copies.isin(rows(df, real_or_synthetic="synthetic", planted="")["text"]).any()
    assert block.iloc[0] not in set(others)


def test_real_rows_are_not_near_duplicates_of_each_other(df):
    real = rows(df, real_or_synthetic="real")["text"].tolist()
    close = [t for i, t in enumerate(real) if best_ratio_at_least(t, real[:i], 0.9)]
    assert close == []


# --- degeneration and artifacts -------------------------------------------------------------

def test_repetition_loops_and_only_they_repeat(df):
    loops = df["text"].map(has_loop)
    planted = df["planted"] == "repetition_loop"
    assert loops[planted].all(), df[planted & ~loops]["text"].tolist()
    assert not loops[~planted].any(), df[~planted & loops]["text"].tolist()
    texts = df[planted]["text"]
    # Both kinds are there: clause loops and one-word stutters.
    assert any(re.search(r"\b(\w+) \1 \1\b", t) for t in texts)
    assert any(not re.search(r"\b(\w+) \1 \1\b", t) for t in texts)


def test_loop_detector_itself():
    assert has_loop("it's a mess . it's a mess . it's a mess .")
    assert has_loop("This movie is great. This movie is great. This movie is great.")
    assert has_loop("an epic of epic epic epic epic")
    assert not has_loop("a sly , unhurried comedy that trusts its actors .")


def test_html_entities_only_in_planted_rows(df):
    has_entity = df["text"].str.contains(ENTITY)
    planted = df["planted"] == "html_entity"
    assert has_entity[planted].all()
    assert not has_entity[~planted].any()
    assert not df[~planted]["text"].str.contains("&", regex=False).any()
    assert rows(df, planted="html_entity")["generator"].eq("genericbot").all()


# --- files ----------------------------------------------------------------------------------

def test_write_sample_round_trips(tmp_path, df):
    path = write_sample(tmp_path / "nested" / "dir")
    assert path == tmp_path / "nested" / "dir" / "sample.csv"
    path.read_bytes().decode("utf-8")
    back = pd.read_csv(path, keep_default_na=False)
    pd.testing.assert_frame_equal(back, df)


def test_sample_path_returns_the_built_file(df):
    path = sample_path()
    assert path.is_file()
    assert path.name == "sample.csv"
    pd.testing.assert_frame_equal(pd.read_csv(path, keep_default_na=False), df)


def test_sample_path_uses_a_writable_repo_folder(tmp_path, monkeypatch):
    folder = tmp_path / "sample_data"
    folder.mkdir()
    monkeypatch.setattr(sample_module, "_REPO_SAMPLE_DIR", folder)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert sample_path() == folder / "sample.csv"
    assert (folder / "sample.csv").is_file()
    assert not (tmp_path / "home").exists()


def test_sample_path_falls_back_to_cache_and_repairs_the_file(tmp_path, monkeypatch, df):
    monkeypatch.setattr(sample_module, "_REPO_SAMPLE_DIR", tmp_path / "not-a-checkout")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    expected = tmp_path / "home" / ".cache" / "synth-quality" / "sample" / "sample.csv"
    path = sample_path()
    assert path == expected and path.is_file()
    good = path.read_bytes()
    stamp = path.stat().st_mtime_ns
    assert sample_path() == expected
    assert path.stat().st_mtime_ns == stamp  # up to date: not rewritten
    path.write_text("text,real_or_synthetic\nstale,real\n", encoding="utf-8")
    assert sample_path() == expected
    assert path.read_bytes() == good
    pd.testing.assert_frame_equal(pd.read_csv(path, keep_default_na=False), df)
    assert [p.name for p in path.parent.iterdir()] == ["sample.csv"]  # no temporary files left
