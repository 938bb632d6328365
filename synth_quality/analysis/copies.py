"""Copies of real rows, calibrated against the real data's own repetition.

A synthetic row copies a real row (its *twin*, the nearest real row) when it is at least
``score.near_duplicate_similarity`` similar to it, the twin is not itself repeated in the real
data, and such a near match is improbable with no difference.

- The statistic: the similarity to the twin, or minus infinity when the twin has a near-
  duplicate among the other real rows (a stock phrase the real data repeats: meeting it again
  is no evidence of copying).
- The reference: the same statistic for each real row against the *other* real rows (leave
  one out; its twin's repetition counted without it): what a fresh real draw shows.
- The p-value: the share of reference values at least as high (conformal, with an exponential
  tail past the largest, :func:`synth_quality.analysis.coverage.tail_pvalue`); the flag keeps
  the near rows that survive Benjamini-Hochberg at ``reference.fdr`` among the synthetic rows.

Why not the threshold alone: text that repeats itself (short generic reviews, templated
answers, the same greeting in every chat) has near-duplicates across any two samples. Split
SuperGen's reviews into two sides of one distribution and half the "synthetic" rows were a
near-copy of some "real" row: all flagged, none copied. And why not the similarity alone
against the real rows' nearest similarities: there, a stock phrase makes every exact match
ordinary, so a copy of a real row that occurs once was no longer found either.
"""

from __future__ import annotations

import numpy as np

from synth_quality.analysis.coverage import benjamini_hochberg, tail_pvalue

#: Similarities are compared at this precision: an exact duplicate's cosine is 1 give or take a
#: float32 rounding, and a copy must not look "beyond every reference value" by that noise alone.
_DECIMALS = 4


#: Below every closeness (-log of a cosine distance of at most 2): where a repeated phrase's
#: -inf stands in the reference.
_FLOOR = -np.log(3.0)


def _rounded(similarity) -> np.ndarray:
    return np.round(np.clip(np.asarray(similarity, np.float64), -1.0, 1.0), _DECIMALS)


def copy_statistic(similarity, twin_repeat, threshold: float) -> np.ndarray:
    """The similarity to the twin (rounded), or -inf where the twin's own nearest other real
    row (``twin_repeat``) is at least ``threshold`` similar: a repeated phrase, not a copy.
    A NaN ``twin_repeat`` (unknown) counts as not repeated."""
    sim = _rounded(similarity)
    repeated = np.nan_to_num(np.asarray(twin_repeat, np.float64), nan=-1.0) >= threshold
    return np.where(repeated | ~np.isfinite(sim), -np.inf, sim)


def copy_pvalues(statistic, reference) -> np.ndarray:
    """P(a fresh real draw's statistic is at least this high); -inf statistics give 1.

    Compared as closeness, -log(1 - similarity) (a cosine distance on a log scale, floored at
    the rounding): similarities pile up under 1, so an exponential tail fitted in similarity
    barely falls between the reference's nearest pair and an exact copy. With 400 real rows
    whose nearest pair was 0.93 apart, the 28 verbatim copies among 1,076 synthetic rows all got
    p = 0.001 and none survived Benjamini-Hochberg."""
    statistic = np.asarray(statistic, np.float64)
    ref = np.asarray(reference, np.float64)
    ref = np.where(np.isnan(ref), -np.inf, ref)
    finite = np.isfinite(statistic)
    p = np.ones(len(statistic))
    if finite.any():
        # -inf reference values (repeated phrases) are below every finite statistic; they stay
        # in the reference, as a floor, so that their share still counts.
        ref_closeness = np.where(np.isinf(ref), _FLOOR, _closeness(ref))
        p[finite] = tail_pvalue(_closeness(statistic[finite]), ref_closeness)
    return p


def _closeness(similarity: np.ndarray) -> np.ndarray:
    distance = np.maximum(1.0 - np.clip(similarity, -1.0, 1.0), 10.0 ** -_DECIMALS)
    return -np.log(distance)


def copy_flags(statistic, reference, threshold: float, fdr: float) -> np.ndarray:
    """Synthetic rows that copy a real row: statistic (:func:`copy_statistic`) at least
    ``threshold`` and nearer than the real data's own repetition explains (Benjamini-Hochberg
    at ``fdr`` over all the synthetic rows given)."""
    statistic = np.asarray(statistic, np.float64)
    near = np.isfinite(statistic) & (statistic >= threshold)
    if not len(np.asarray(reference)):
        return near  # a single real row: no reference, the threshold alone
    return near & benjamini_hochberg(copy_pvalues(statistic, reference), fdr)


def real_reference(similarity, twin, own_nearest, threshold: float) -> np.ndarray:
    """The statistic of each real row against the other real rows: ``similarity`` to its
    nearest other real row ``twin`` (index among the real rows, -1 unknown), with the twin's
    repetition read from ``own_nearest`` (each real row's similarities to its nearest other
    real rows, nearest first) leaving the row itself out."""
    similarity = np.asarray(similarity, np.float64)
    twin = np.asarray(twin, np.int64)
    own = np.asarray(own_nearest, np.float64)
    repeat = np.full(len(similarity), np.nan)
    known = twin >= 0
    if own.ndim == 2 and own.shape[1] and known.any():
        first = own[twin[known], 0]
        second = own[twin[known], 1] if own.shape[1] > 1 else np.full(known.sum(), np.nan)
        # When the row is its twin's nearest, the twin's repetition is its second nearest.
        is_me = np.isclose(first, similarity[known], atol=1e-5)
        repeat[known] = np.where(is_me, second, first)
    return copy_statistic(similarity, repeat, threshold)


def no_difference_copy_shares(reference, n_synthetic: int, threshold: float, fdr: float,
                              repeats: int, rng: np.random.Generator) -> list[float]:
    """The flag's share with no difference: ``repeats`` times, ``n_synthetic`` fresh real draws
    (reference values drawn with replacement) flagged against the reference."""
    ref = np.asarray(reference, np.float64)
    if not len(ref) or n_synthetic <= 0:
        return []
    return [float(copy_flags(rng.choice(ref, n_synthetic), ref, threshold, fdr).mean())
            for _ in range(repeats)]
