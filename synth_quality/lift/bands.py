"""The lift control in the tails and in the middle, leakage into generation, and the filtered
synthetic set that was measured to help.

- :func:`lift_by_band`: the evaluation rows are placed in the real rows' density bands (each
  evaluation row's radius is the cosine distance to its k-th nearest real training row, read
  against the real training rows' own radii, as the audit's bands are:
  :mod:`synth_quality.analysis.corners`), and the lift of real + synthetic over real only is
  measured on each band's evaluation rows, and on the centre and the tail bands together, with
  the control's paired bootstrap (:mod:`synth_quality.lift.bootstrap`). Does the synthetic data
  help on the rare real rows, or only on the typical ones?
- :func:`generation_leakage`: evaluation rows with a near-copy (or an exact copy) among the
  synthetic rows. Such rows are already left out of the scores with the other leaked rows; here
  they are reported on their own, because a synthetic near-copy of an evaluation row means the
  evaluation set leaked into generation (it was shown to the generator, or both came from one
  source), and every score on data from that source is then suspect.
- :func:`recommended_filter`: among filter-and-retest's drops, the one whose training set beat
  real only by the widest margin with a significant lift, and the synthetic rows it dropped.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.analysis.corners import centre_and_tail, real_bands
from synth_quality.graph.knn import block_rows
from synth_quality.graph.rarity import kth_similarity
from synth_quality.lift.bootstrap import Bootstrap, verdict_of
from synth_quality.lift.evalset import norm_text

_N_EXAMPLES = 5


def eval_bands(X_real: np.ndarray, X_eval: np.ndarray, k: int, n_bands: int) -> np.ndarray:
    """The band (0 = densest) of each evaluation row among the real training rows' bands."""
    import torch

    n_real = len(X_real)
    X_real = np.ascontiguousarray(X_real, np.float32)
    own = kth_similarity(X_real, np.arange(n_real), 0, n_real, k)
    bands = real_bands(1.0 - own, n_bands)
    radius = np.full(len(X_eval), np.nan)
    real = torch.from_numpy(X_real)
    step = block_rows(n_real)
    with torch.inference_mode():
        for start in range(0, len(X_eval), step):
            part = torch.from_numpy(np.ascontiguousarray(X_eval[start:start + step], np.float32))
            sims = part @ real.T
            radius[start:start + step] = torch.topk(sims, k, dim=1).values[:, -1].numpy()
    return bands.of(1.0 - radius)


def _subset(fits: dict, rows: np.ndarray) -> dict:
    return {r: None if f is None else (f[0][rows], None if f[1] is None else f[1][rows])
            for r, f in fits.items()}


def lift_by_band(X_real: np.ndarray, X_eval: np.ndarray, y_eval: np.ndarray, n_classes: int,
                 fitter, arms: dict, config, *, k: int = 5, n_bands: int = 10,
                 centre_share: float = 0.2,
                 tail_share: float = 0.3) -> tuple[dict | None, np.ndarray]:
    """``lift.json`` ``by_band``: per band of evaluation rows (and for the centre and the tail
    bands together) the plain fits' scores, the lift and its paired-bootstrap interval and
    verdict; and each evaluation row's band (1 = densest; 0 when there are no bands). None and
    zeros when there are too few real rows for bands."""
    n_bands = min(n_bands, len(X_real) // 5)
    if n_bands < 2 or len(X_real) <= k:
        return None, np.zeros(len(X_eval), np.int64)
    band = eval_bands(X_real, X_eval, k, n_bands)
    base, both = arms["real_only"], arms["real_plus_synthetic"]
    metric = config.metric
    fits_base = {r: fitter.get(base.key, r) for r in both.replicates}
    fits_both = {r: fitter.get(both.key, r) for r in both.replicates}
    rng = np.random.default_rng(config.random_state + 18)

    def measured(rows: np.ndarray, label) -> dict:
        entry = {"band": label, "n_eval": int(len(rows))}
        if len(rows) < 10:
            return {**entry, "real_only": None, "real_plus_synthetic": None, "lift": None,
                    "lift_ci": [None, None], "verdict": None}
        boot = Bootstrap(y_eval[rows], n_classes, config, rng)
        a, b = _subset(fits_both, rows), _subset(fits_base, rows)
        real_only, real_plus = boot.plain(metric, b[0]), boot.plain(metric, a[0])
        ci = boot.interval(boot.pooled(metric, a, b))
        return {**entry, "real_only": real_only, "real_plus_synthetic": real_plus,
                "lift": real_plus - real_only, "lift_ci": ci, "verdict": verdict_of(ci)}

    centre, tail = centre_and_tail(n_bands, centre_share, tail_share)
    out = {"n_bands": n_bands, "k": k,
           "bands": [measured(np.flatnonzero(band == b), b + 1) for b in range(n_bands)],
           "centre": measured(np.flatnonzero(np.isin(band, centre)),
                              "+".join(str(b + 1) for b in centre)),
           "tails": measured(np.flatnonzero(np.isin(band, tail)),
                             "+".join(str(b + 1) for b in tail)),
           "centre_share": len(centre) / n_bands, "tail_share": len(tail) / n_bands}
    out["sentence"] = band_sentence(out, config.metric)
    return out, band + 1


def band_sentence(block: dict, metric: str) -> str:
    """Where the synthetic data helps, in words."""
    centre, tails = block["centre"], block["tails"]

    def said(entry, where):
        if entry["lift"] is None:
            return f"too few evaluation rows in the {where} to tell"
        lo, hi = entry["lift_ci"]
        return (f"{entry['lift']:+.3f} {metric} on the {entry['n_eval']:,} evaluation rows in the "
                f"{where} (95% interval {lo:+.3f} to {hi:+.3f}: {entry['verdict']})")

    densest = "densest {:.0%}".format(block["centre_share"])
    rarest = "rarest {:.0%}".format(block["tail_share"])
    return f"Lift by band: {said(centre, densest)}; {said(tails, rarest)}."


def generation_leakage(train: pd.DataFrame, X: np.ndarray, n_real: int,
                       eval_frame: pd.DataFrame, X_eval: np.ndarray, threshold: float) -> dict:
    """Evaluation rows with an exact or near copy (cosine >= ``threshold``) among the
    synthetic training rows (``train`` and ``X``: real rows first, ``n_real`` of them)."""
    syn = train.iloc[n_real:].reset_index(drop=True)
    n = len(eval_frame)
    out = {"n_rows": 0, "rows": [], "examples": [], "threshold": threshold}
    if not len(syn) or not n:
        return out
    exact = {}
    for i, text in enumerate(syn["text"].tolist()):
        exact.setdefault(norm_text(text), i)
    Xs = np.ascontiguousarray(X[n_real:], np.float32)
    best = np.full(n, -1, np.int64)
    best_sim = np.full(n, -np.inf, np.float32)
    step = block_rows(len(Xs))
    for start in range(0, n, step):
        sims = np.asarray(X_eval[start:start + step], np.float32) @ Xs.T
        best[start:start + step] = sims.argmax(axis=1)
        best_sim[start:start + step] = sims.max(axis=1)
    hits = []
    for i, text in enumerate(eval_frame["text"].tolist()):
        j = exact.get(norm_text(text))
        if j is not None:
            hits.append((i, j, 1.0, "exact"))
        elif best_sim[i] >= threshold:
            hits.append((i, int(best[i]), float(best_sim[i]), "near"))
    out["n_rows"] = len(hits)
    out["rows"] = [int(eval_frame["row"].iloc[i]) for i, *_ in hits]
    for i, j, sim, kind in sorted(hits, key=lambda h: -h[2])[:_N_EXAMPLES]:
        out["examples"].append({"eval_row": int(eval_frame["row"].iloc[i]),
                                "eval_text": str(eval_frame["text"].iloc[i]),
                                "synthetic_row": int(syn["row"].iloc[j]),
                                "synthetic_text": str(syn["text"].iloc[j]),
                                "kind": kind, "similarity": round(sim, 4)})
    return out


def leakage_sentence(leak: dict, n_eval: int) -> str | None:
    if not leak["n_rows"]:
        return None
    return (f"{leak['n_rows']:,} of {n_eval:,} evaluation rows have a near-copy among the "
            f"synthetic rows (cosine >= {leak['threshold']:.2f}): the evaluation set may have "
            "leaked into generation (shown to the generator, or drawn from the source it "
            "imitates). They are left out of the scores; check where the evaluation rows and "
            "the generator's prompts came from.")


def recommended_filter(summary: dict, signals: dict, synthetic_rows: np.ndarray) -> dict | None:
    """The filter-and-retest drop measured to help most: significantly better than real only
    ("helps"), the largest lift; better than random drops when several tie. None when no drop
    helps. ``synthetic_rows``: the synthetic training rows' input row numbers, in order."""
    best = None
    for name, points in (summary.get("filter_and_retest") or {}).items():
        for entry in points:
            if entry.get("verdict") != "helps":
                continue
            key = (bool(entry.get("beats_random")), entry.get("lift") or -np.inf)
            if best is None or key > best[0]:
                best = (key, name, entry)
    if best is None:
        return None
    _, name, entry = best
    dropped = np.asarray(signals[name]["order"][:entry["n_dropped"]], np.int64)
    return {"signal": name, "percent": entry["percent"], "n_dropped": entry["n_dropped"],
            "n_kept": int(len(synthetic_rows) - len(dropped)), "lift": entry["lift"],
            "lift_ci": entry["lift_ci"], "beats_random": entry.get("beats_random"),
            "vs_random": entry.get("vs_random"),
            "dropped_rows": sorted(int(r) for r in np.asarray(synthetic_rows)[dropped])}
