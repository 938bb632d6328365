"""Paired answers (analysis/pairs.py) on vectors whose answer is known."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import unit_rows
from synth_quality.analysis.pairs import (
    DRIFT_RANK,
    nearest_real_elsewhere,
    paired_answers,
    prompt_ids,
)


def case(n_prompts=40, seed=0):
    """Real answers (one per prompt), then synthetic answers: the first quarter identical to
    their own prompt's human answer, the next quarter a copy of the NEXT prompt's human answer,
    the rest random."""
    real = unit_rows(n_prompts, 32, seed)
    syn = unit_rows(n_prompts, 32, seed + 1)
    q = n_prompts // 4
    syn[:q] = real[:q]
    syn[q:2 * q] = real[q + 1:2 * q + 1]
    X = np.vstack([real, syn])
    is_syn = np.r_[np.zeros(n_prompts, bool), np.ones(n_prompts, bool)]
    prompt = np.r_[np.arange(n_prompts), np.arange(n_prompts)]
    return X, is_syn, prompt, q


def test_agreement_is_not_a_copy_but_another_prompts_answer_is():
    X, is_syn, prompt, q = case()
    sim, nearest = nearest_real_elsewhere(X, is_syn, prompt)
    n = len(prompt) // 2
    syn_sim = sim[n:]
    assert (syn_sim[:q] < 0.95).all()                       # identical to its own: not counted
    assert np.allclose(syn_sim[q:2 * q], 1.0, atol=1e-5)    # another prompt's answer: a copy
    assert (nearest[n + q:n + 2 * q] == np.arange(q + 1, 2 * q + 1)).all()
    assert np.isnan(sim[:n]).all() and (nearest[:n] == -1).all()


def test_paired_rank_and_drift():
    X, is_syn, prompt, q = case()
    words = np.r_[np.full(len(prompt) // 2, 10), np.full(len(prompt) // 2, 25)]
    out = paired_answers(X, is_syn, prompt, words)
    n = len(prompt) // 2
    syn = out.iloc[n:]
    assert syn["paired_similarity"].iloc[:q].tolist() == pytest.approx([1.0] * q, abs=1e-5)
    assert (syn["paired_rank"].iloc[:q] == 1.0).all() and not syn["is_drift"].iloc[:q].any()
    # copying the next prompt's answer: its own prompt's answer is no closer than chance
    assert syn["is_drift"].iloc[q:2 * q].mean() > 0.7
    assert (syn["paired_index"] == np.arange(n)).all()
    assert syn["paired_length_ratio"].tolist() == pytest.approx([2.5] * n)
    assert out.iloc[:n]["paired_rank"].isna().all()
    # random answers drift about as often as chance says (DRIFT_RANK of them)
    assert abs(syn["is_drift"].iloc[2 * q:].mean() - DRIFT_RANK) < 0.2


def test_unpaired_rows_and_prompt_ids():
    ids = prompt_ids(pd.Series(["b", None, "a", "b"], dtype=object))
    assert ids.tolist() == [0, -1, 1, 0]
    X, is_syn, prompt, _ = case(8)
    prompt = prompt.copy()
    prompt[-1] = -1
    out = paired_answers(X, is_syn, prompt, np.ones(len(prompt)))
    assert np.isnan(out["paired_rank"].iloc[-1]) and out["paired_index"].iloc[-1] == -1


def several_answers_case(answers_follow_prompt: bool, synthetic_follow_prompt: bool,
                         n_prompts=60, per_side=4, seed=3):
    """Each prompt answered ``per_side`` times on each side. Answers that follow their prompt
    lie near the prompt's own direction; the others are random directions."""
    rng = np.random.default_rng(seed)
    centre = unit_rows(n_prompts, 32, seed)
    prompt = np.repeat(np.arange(n_prompts), per_side)

    def answers(follow):
        if not follow:
            return unit_rows(len(prompt), 32, int(rng.integers(1_000_000)))
        x = centre[prompt] + 0.25 * rng.normal(size=(len(prompt), 32)) / np.sqrt(32)
        return (x / np.linalg.norm(x, axis=1, keepdims=True)).astype(np.float32)

    X = np.vstack([answers(answers_follow_prompt), answers(synthetic_follow_prompt)])
    is_syn = np.r_[np.zeros(len(prompt), bool), np.ones(len(prompt), bool)]
    return X, is_syn, np.r_[prompt, prompt]


def test_answers_that_never_follow_their_prompt_on_either_side_are_no_drift_finding():
    """Human answers that do not depend on their prompt: the synthetic ones doing the same is
    what one distribution gives (the fixed rule alone flagged most of them)."""
    X, is_syn, prompt = several_answers_case(False, False)
    out = paired_answers(X, is_syn, prompt, np.ones(len(prompt)))
    syn_rank = out.loc[is_syn, "paired_rank"]
    assert (syn_rank < DRIFT_RANK).mean() > 0.5          # the rule alone fires on most
    assert out.loc[is_syn, "is_drift"].mean() <= 0.05
    assert out.loc[~is_syn, "paired_rank"].notna().all()  # the human answers' reference
    assert not out.loc[~is_syn, "is_drift"].any()


def test_answers_that_leave_prompts_the_humans_follow_still_drift():
    X, is_syn, prompt = several_answers_case(True, False)
    out = paired_answers(X, is_syn, prompt, np.ones(len(prompt)))
    assert out.loc[is_syn, "is_drift"].mean() >= 0.8
    X, is_syn, prompt = several_answers_case(True, True)
    out = paired_answers(X, is_syn, prompt, np.ones(len(prompt)))
    assert out.loc[is_syn, "is_drift"].mean() <= 0.05
