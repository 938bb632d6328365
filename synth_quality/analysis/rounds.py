"""Rounds of generation and generators side by side: coverage, recall, centre and tail mass per
group of synthetic rows, and a warning when the tails shrink round after round.

A **round** is a batch of synthetic rows: batch 0 is the first audit's synthetic rows, batch k
the k-th set added with ``synth-quality add`` (``examples["batch"]``). Every group is read
against the real rows as a whole and against no difference at its own number of rows:

- ``tail_mass`` / ``centre_mass``: the share of the group's rows whose nearest real row is among
  the rarest / densest real rows (:mod:`synth_quality.analysis.corners`; band: the left-out
  real rows' rate);
- ``coverage``: real rows with a row of the group inside their k-NN ball (band: the exact
  no-difference value at the group's size);
- ``recall``: real rows inside the ball of a row of the group (the balls measured among all the
  synthetic rows; band: the group's rows left out, each against the group's other balls, as
  recall's reference is built).

**Model collapse** (Shumailov et al. 2024: a model trained on its own output loses the tails of
the distribution first) shows as a tail mass that falls round after round. The warning is
raised when the tail mass falls at every step from the first round to the last and a one-sided
Cochran-Armitage trend test over the rounds gives p below ``corners.trend_alpha``: both, so
that neither one noisy dip nor a slow drift the rows cannot resolve raises it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.stats import norm

from synth_quality.analysis.corners import Corners, group_bands
from synth_quality.analysis.reference import exact_coverage, rate_band, reading
from synth_quality.graph.manifold import within_side_counts
from synth_quality.graph.rarity import group_reach

#: Fewest rows a group needs for its figures.
MIN_GROUP_ROWS = 10


def synthetic_groups(rows: pd.DataFrame) -> dict:
    """``{"by_round": {batch: positions}, "by_generator": {name: positions}}``: positions among
    the synthetic rows. Rounds only when the synthetic rows come in two batches or more;
    generators only when a generator column was given."""
    syn = rows[rows["side"] == "synthetic"].reset_index(drop=True)
    out: dict = {"by_round": {}, "by_generator": {}}
    if "batch" in syn and syn["batch"].nunique() >= 2:
        for batch, members in syn.groupby("batch", sort=True).indices.items():
            out["by_round"][int(batch)] = np.asarray(members, np.int64)
    if "generator" in syn and syn["generator"].notna().any():
        names = syn["generator"].map(lambda v: "(none)" if v is None or (isinstance(v, float)
                                                                          and np.isnan(v))
                                     else str(v))
        for name, members in names.groupby(names, sort=True).indices.items():
            out["by_generator"][str(name)] = np.asarray(members, np.int64)
    return out


def group_figures(corners: Corners, X: np.ndarray, n_real: int, own_radius: np.ndarray,
                  groups: dict, k: int, centre: list, tail: list, sample_rows: int,
                  seed: int | None) -> dict:
    """Per group (name -> positions among the synthetic rows): its size, centre and tail mass,
    band position, coverage and recall, each against no difference."""
    names = [g for g, members in groups.items() if len(members) >= MIN_GROUP_ROWS]
    if not names:
        return {}
    ids = np.full(len(X) - n_real, -1, np.int64)
    for i, name in enumerate(names):
        ids[groups[name]] = i
    covered, reached = group_reach(X, n_real, own_radius, ids, len(names))
    rng = np.random.default_rng(None if seed is None else seed + 182)
    out = {}
    for i, name in enumerate(names):
        members = np.asarray(groups[name], np.int64)
        n = len(members)
        figures = group_bands(corners, members, centre, tail)
        cov = float(covered[i].mean())
        cov_band = rate_band(exact_coverage(n_real, n, k), np.inf, n_real)
        positions = n_real + members
        radius = np.asarray(own_radius, np.float64)[positions]
        chosen = np.sort(rng.choice(n, min(n, sample_rows), replace=False))
        counts, _ = within_side_counts(X[positions], chosen, 0, n, radius)
        rec = float(reached[i].mean())
        rec_band = rate_band(float(np.mean(counts > 0)), len(chosen), n_real)
        out[name] = {
            "n_synthetic": n,
            **figures,
            "coverage": {"value": cov, **cov_band,
                         "reading": reading(cov, cov_band["low"], cov_band["high"])},
            "recall": {"value": rec, **rec_band,
                       "reading": reading(rec, rec_band["low"], rec_band["high"])},
        }
    return out


def trend_test(hits: np.ndarray, sizes: np.ndarray) -> tuple[float, float]:
    """Cochran-Armitage test for a trend in proportions over ordered groups (scores 0, 1, 2,
    ...): the z statistic and the one-sided p-value for a *falling* share."""
    hits = np.asarray(hits, np.float64)
    sizes = np.asarray(sizes, np.float64)
    t = np.arange(len(sizes), dtype=np.float64)
    total = sizes.sum()
    if len(sizes) < 2 or total <= 0:
        return float("nan"), float("nan")
    p = hits.sum() / total
    stat = float(np.sum(t * (hits - sizes * p)))
    var = p * (1 - p) * (np.sum(sizes * t ** 2) - np.sum(sizes * t) ** 2 / total)
    if var <= 0:
        return float("nan"), float("nan")
    z = stat / np.sqrt(var)
    return float(z), float(norm.cdf(z))


def collapse(by_round: list[dict], alpha: float) -> dict:
    """Do the tails shrink round after round? ``by_round``: the rounds' figures in order."""
    usable = [r for r in by_round if r.get("tail_mass", {}).get("value") is not None]
    if len(usable) < 2:
        return {"tails_shrinking": False, "z": None, "p_value": None, "warning": None}
    shares = np.array([r["tail_mass"]["value"] for r in usable])
    sizes = np.array([r["n_synthetic"] for r in usable], np.float64)
    z, p = trend_test(np.round(shares * sizes), sizes)
    falling = bool(np.all(np.diff(shares) < 0))
    shrinking = falling and np.isfinite(p) and p < alpha
    warning = None
    if shrinking:
        steps = " -> ".join(f"{s:.0%}" for s in shares)
        warning = (f"synth-quality: the tails shrink round after round: the share of synthetic "
                   f"rows next to the rarest real rows went {steps} over "
                   f"{len(usable)} rounds (trend test p = {p:.2g}). Each round imitates the "
                   "middle more and the rare real rows less, the signature of model collapse "
                   "(a generator trained or prompted on its own output): generate from real "
                   "examples of the rare rows, not from earlier rounds.")
    return {"tails_shrinking": bool(shrinking), "falling_every_round": falling,
            "z": z, "p_value": p, "warning": warning}


def rounds_block(figures: dict, by_round: dict, alpha: float,
                 diversity: dict | None = None) -> dict:
    """``summary["rounds"]``: per round and per generator, the figures of
    :func:`group_figures` (keyed ``("round", batch)`` and ``("generator", name)``) with the
    group's diversity when measured, and the collapse test over the rounds."""
    diversity = diversity or {}
    ordered = []
    for batch in sorted(by_round):
        entry = figures.get(("round", batch))
        if entry is None:
            continue
        ordered.append({"round": int(batch), **entry,
                        **_diversity_of(diversity.get("by_round", {}), str(batch))})
    generators = {}
    for key, entry in figures.items():
        if key[0] == "generator":
            generators[key[1]] = {**entry,
                                  **_diversity_of(diversity.get("by_generator", {}), key[1])}
    return {"by_round": ordered, "by_generator": generators, **collapse(ordered, alpha)}


def _diversity_of(block: dict, name: str) -> dict:
    entry = block.get(name)
    if not entry:
        return {}
    return {key: entry[key] for key in ("vendi", "distinct_2") if key in entry}
