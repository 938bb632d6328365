"""Paired data: both sides answer the same prompts.

When a synthetic answer and the human answer to the *same* prompt are close, that is agreement,
not memorisation: on a rewriting or formatting task the right answer is the human one. So with
paired rows (``pair``: which prompt a row answers)

- copies of real rows are looked for among the real rows of *other* prompts only
  (:func:`nearest_real_elsewhere`), and near-duplicate groups never join two answers to the same
  prompt (:func:`synth_quality.analysis.scores.near_duplicate_groups`, ``same_prompt``);
- each synthetic answer is compared with the human answer to its own prompt
  (:func:`paired_answers`): cosine similarity, length ratio, and ``paired_rank``, the share of
  the *other* prompts' human answers that are less similar to it than its own prompt's. An
  answer that stays on its prompt is closer to that prompt's human answer than to almost every
  other (rank near 1); an answer unrelated to its prompt ranks like a random one (about 0.5).
  ``is_drift``: ``paired_rank`` below :data:`DRIFT_RANK`, that is at least a tenth of the other
  prompts' human answers are closer to it than its own. By chance (answers shuffled across
  prompts) 90% of the answers would drift: :data:`DRIFT_RANK` is also that reference.
- where prompts have several human answers, each human answer gets the same rank against the
  *other* human answers to its prompt (leave one out): what an answer of the real distribution
  shows. When the human answers hardly depend on their prompt (a few generic instructions, any
  review answering any of them), most real answers "drift" too, and a synthetic answer that
  does the same is no finding. So with at least :data:`MIN_REFERENCE` such human answers,
  ``is_drift`` also needs the answer's rank to be improbably low against theirs (Benjamini-
  Hochberg at the audit's false discovery rate). Split such data into two sides of one
  distribution and the fixed rule alone flagged 37% of the "synthetic" answers.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.analysis.coverage import benjamini_hochberg
from synth_quality.graph.knn import block_rows

#: ``is_drift``: the own prompt's human answer is less similar than this share of the others'.
DRIFT_RANK = 0.9
#: Human answers ranked against their own prompt's other human answers needed before
#: ``is_drift`` is read against them (fewer: the fixed rule alone).
MIN_REFERENCE = 30


def prompt_ids(pair: pd.Series) -> np.ndarray:
    """Dense ids of the prompt keys (-1 = no pair), numbered by first appearance."""
    codes, _ = pd.factorize(pair.astype(object).where(pair.notna(), None), use_na_sentinel=True)
    return codes.astype(np.int64)


def nearest_real_elsewhere(X: np.ndarray, is_syn: np.ndarray, prompt: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
    """For every synthetic row, the most similar real row that answers another prompt (or no
    paired prompt): (similarity, row index); NaN / -1 on real rows."""
    return _nearest_real_answering_another(X, is_syn, prompt, np.flatnonzero(is_syn))


def real_nearest_elsewhere(X: np.ndarray, is_syn: np.ndarray, prompt: np.ndarray
                           ) -> tuple[np.ndarray, np.ndarray]:
    """For every real row, the most similar *other* real row that answers another prompt:
    (similarity, row index); NaN / -1 on synthetic rows. What a fresh real answer shows: the
    no-difference reference of :func:`nearest_real_elsewhere` (analysis.copies)."""
    return _nearest_real_answering_another(X, is_syn, prompt, np.flatnonzero(~is_syn))


def _nearest_real_answering_another(X, is_syn, prompt, queries):
    """For each of ``queries`` (row positions), the most similar real row other than itself
    that answers another prompt (or no paired prompt): (similarity, row index) for all rows,
    NaN / -1 outside ``queries``."""
    n = len(is_syn)
    sim = np.full(n, np.nan)
    nearest = np.full(n, -1, np.int64)
    real = np.flatnonzero(~is_syn)
    if len(real) == 0:
        return sim, nearest
    R = X[real]
    step = block_rows(len(real))
    for start in range(0, len(queries), step):
        rows = queries[start:start + step]
        S = X[rows] @ R.T
        same = (prompt[rows][:, None] >= 0) & (prompt[rows][:, None] == prompt[real][None, :])
        same |= rows[:, None] == real[None, :]  # a real row is not its own reference
        S = np.where(same, -np.inf, S)
        best = S.argmax(axis=1)
        value = S[np.arange(len(rows)), best]
        ok = np.isfinite(value)
        sim[rows[ok]] = value[ok]
        nearest[rows[ok]] = real[best[ok]]
    return sim, nearest


def paired_answers(X: np.ndarray, is_syn: np.ndarray, prompt: np.ndarray,
                   n_words: np.ndarray, fdr: float = 0.05) -> pd.DataFrame:
    """Each synthetic answer against the human answer(s) to its own prompt.

    Returns one row per input row with ``paired_index`` (the most similar real row of the same
    prompt, -1 when none), ``paired_similarity``, ``paired_length_ratio`` (words of the
    synthetic answer / words of that human answer), ``paired_rank`` and ``is_drift``; NaN (and
    False) on unpaired synthetic rows. Real rows get ``paired_rank`` against the other human
    answers to their prompt (NaN when it has no other one), the reference of ``is_drift``.
    """
    n = len(is_syn)
    out = {"paired_index": np.full(n, -1, np.int64), "paired_similarity": np.full(n, np.nan),
           "paired_length_ratio": np.full(n, np.nan), "paired_rank": np.full(n, np.nan)}
    real = np.flatnonzero(~is_syn)
    syn = np.flatnonzero(is_syn & (prompt >= 0))
    if len(real) and len(syn):
        for rows, own_sim, rank, idx in _ranks_against_human_answers(X, prompt, real, syn):
            has = np.isfinite(own_sim)
            out["paired_index"][rows[has]] = idx[has]
            out["paired_similarity"][rows[has]] = own_sim[has]
            out["paired_rank"][rows[has]] = rank[has]
            human = np.asarray(n_words, float)[idx]
            ratio = np.where(human > 0, np.asarray(n_words, float)[rows] / np.maximum(human, 1),
                             np.nan)
            out["paired_length_ratio"][rows[has]] = ratio[has]
    reals_paired = real[prompt[real] >= 0]
    if len(reals_paired):
        for rows, own_sim, rank, _ in _ranks_against_human_answers(X, prompt, real, reals_paired):
            out["paired_rank"][rows] = np.where(np.isfinite(own_sim), rank, np.nan)
    frame = pd.DataFrame(out)
    frame["is_drift"] = drift_flags(frame["paired_rank"].to_numpy(), is_syn, fdr)
    return frame


def _ranks_against_human_answers(X, prompt, real, queries):
    """Yield, per block of ``queries``: (rows, similarity to the most similar human answer of
    the same prompt other than the row itself (-inf: none), the share of other prompts' human
    answers less similar than that, and that answer's row index)."""
    R = X[real]
    step = block_rows(len(real))
    for start in range(0, len(queries), step):
        rows = queries[start:start + step]
        S = X[rows] @ R.T
        same = prompt[rows][:, None] == prompt[real][None, :]
        own = np.where(same & (rows[:, None] != real[None, :]), S, -np.inf)
        best = own.argmax(axis=1)
        own_sim = own[np.arange(len(rows)), best]
        others = (~same).sum(axis=1)
        below = ((S < own_sim[:, None]) & ~same).sum(axis=1)
        rank = np.where(others > 0, below / np.maximum(others, 1), np.nan)
        yield rows, own_sim, rank, real[best]


def drift_flags(paired_rank: np.ndarray, is_syn: np.ndarray, fdr: float) -> np.ndarray:
    """``is_drift`` of the synthetic rows: rank below :data:`DRIFT_RANK` and, with at least
    :data:`MIN_REFERENCE` human answers ranked against their own prompt, improbably low
    against their ranks (conformal p-value, Benjamini-Hochberg at ``fdr``)."""
    rank = np.asarray(paired_rank, np.float64)
    is_syn = np.asarray(is_syn, bool)
    flags = is_syn & (np.nan_to_num(rank, nan=1.0) < DRIFT_RANK)
    reference = np.sort(rank[~is_syn & np.isfinite(rank)])
    answered = np.flatnonzero(is_syn & np.isfinite(rank))
    if len(reference) < MIN_REFERENCE or not len(answered):
        return flags
    at_most = np.searchsorted(reference, rank[answered], side="right")
    p = (1 + at_most) / (len(reference) + 1)
    surviving = np.zeros(len(rank), bool)
    surviving[answered] = benjamini_hochberg(p, fdr)
    return flags & surviving


def real_drift_share(rows: pd.DataFrame) -> float | None:
    """The drift share of the human answers ranked against their own prompt's other human
    answers (None with fewer than :data:`MIN_REFERENCE`)."""
    real = rows.loc[rows["side"] == "real", "paired_rank"].dropna()
    return float((real < DRIFT_RANK).mean()) if len(real) >= MIN_REFERENCE else None


def pair_summary(rows: pd.DataFrame, pair_column: str | None, prompt_fields: list,
                 answer_fields: list) -> dict:
    """``summary["pairs"]``: per side and generator, how close the answers stay to the human
    answer of the same prompt. Empty when the rows are not paired.

    Per generator: ``n_prompts`` answered, ``median_similarity`` and ``median_length_ratio``
    (1 = as long as the human answer), ``drift_share`` (share of its prompts whose answers
    drift, see :data:`DRIFT_RANK`; the chance level is ``chance_drift_share``) and
    ``n_copies_elsewhere`` (answers that copy the human answer to another prompt).
    """
    if "paired_rank" not in rows or "prompt_id" not in rows:
        return {}
    syn = rows[(rows["side"] == "synthetic") & rows["paired_rank"].notna()]

    def block(part: pd.DataFrame) -> dict:
        if not len(part):
            return {"n_prompts": 0}
        per_prompt = part.groupby("prompt_id")["is_drift"].mean()
        return {"n_answers": int(len(part)), "n_prompts": int(part["prompt_id"].nunique()),
                "median_similarity": float(part["paired_similarity"].median()),
                "median_length_ratio": float(part["paired_length_ratio"].median()),
                "median_rank": float(part["paired_rank"].median()),
                "drift_share": float(per_prompt.mean()),
                "n_copies_elsewhere": int(part["is_copy_of_real"].sum())}

    out = {"pair_column": pair_column, "prompt_fields": list(prompt_fields),
           "answer_fields": list(answer_fields),
           "n_prompts_paired": int(rows.loc[rows["prompt_id"] >= 0, "prompt_id"].nunique()),
           "drift_rank": DRIFT_RANK, "chance_drift_share": DRIFT_RANK,
           "real_drift_share": real_drift_share(rows),
           "synthetic": block(syn), "by_generator": {}}
    if "generator" in syn and syn["generator"].notna().any():
        for name, part in syn.groupby(syn["generator"].fillna("(none)"), sort=True):
            out["by_generator"][str(name)] = block(part)
    return out
