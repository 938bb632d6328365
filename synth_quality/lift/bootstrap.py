"""The lift control's paired bootstrap: the fits scored on resamples of the evaluation rows,
pooled over the training replicates, giving intervals, p-values and the verdict. The method is
described in :mod:`synth_quality.lift.run`."""

from __future__ import annotations

import warnings

import numpy as np

from synth_quality.stats import weighted_auc


class Bootstrap:
    """Paired bootstrap of the evaluation rows, pooled over training replicates."""

    def __init__(self, y_eval, n_classes, config, rng):
        n = len(y_eval)
        B = config.n_bootstrap
        draws = rng.integers(0, n, size=(B, n))
        flat = (draws + (np.arange(B) * n)[:, None]).ravel()
        self.W = np.bincount(flat, minlength=B * n).reshape(B, n).astype(np.float32)
        self.y = y_eval
        self.n_classes = n_classes
        self.config = config
        self.q = (config.alpha / 2, 1 - config.alpha / 2)

    def rows_for(self, r: int, n_reps: int) -> np.ndarray:
        return np.arange(r, self.config.n_bootstrap, n_reps)

    def metric(self, name: str, pred, score, W: np.ndarray) -> np.ndarray:
        if name == "accuracy":
            return (W @ (pred == self.y).astype(np.float64)) / W.sum(axis=1)
        if name == "macro_f1":
            f1 = []
            for c in range(self.n_classes):
                p, t = pred == c, self.y == c
                tp = W @ (p & t).astype(np.float64)
                fp = W @ (p & ~t).astype(np.float64)
                fn = W @ (~p & t).astype(np.float64)
                denom = 2 * tp + fp + fn
                with np.errstate(invalid="ignore", divide="ignore"):
                    f1.append(np.where(denom > 0, 2 * tp / denom, np.nan))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                return np.nanmean(np.vstack(f1), axis=0)
        return weighted_auc(self.y, score, W)

    def plain(self, name: str, fit) -> float:
        if fit is None or (name == "auc" and fit[1] is None):
            return float("nan")
        ones = np.ones((1, len(self.y)), np.float64)
        return float(self.metric(name, fit[0], fit[1], ones)[0])

    def pooled(self, name: str, fits_a: dict, fits_b: dict | None = None) -> np.ndarray:
        """Pooled bootstrap values of metric(a), or of metric(a) - metric(b), one per resample.

        ``fits_a`` / ``fits_b`` map replicate -> fit (the same replicates, 0 among them).
        Resample b uses the replicate at position ``b mod len(fits_a)``. The pooled values are
        then shifted so that their centre (the mean over replicates of each replicate's value
        on all evaluation rows) equals the plain fit's value: a resampled training set carries
        less information than the whole one (about half the effective rows), so its models
        score lower; the replicates give the spread, the plain fit the level.
        """
        reps = sorted(fits_a)
        out = np.full(self.config.n_bootstrap, np.nan)
        full = {}
        for i, r in enumerate(reps):
            fa = fits_a[r]
            fb = None if fits_b is None else fits_b[r]
            if fa is None or (fits_b is not None and fb is None):
                continue
            if name == "auc" and (fa[1] is None or (fb is not None and fb[1] is None)):
                continue
            rows = self.rows_for(i, len(reps))
            value = self.metric(name, fa[0], fa[1], self.W[rows])
            whole = self.plain(name, fa)
            if fb is not None:
                value = value - self.metric(name, fb[0], fb[1], self.W[rows])
                whole = whole - self.plain(name, fb)
            out[rows] = value
            full[r] = whole
        if 0 in full and np.isfinite(full[0]):
            finite = [v for v in full.values() if np.isfinite(v)]
            out = out + (full[0] - float(np.mean(finite)))
        return out

    def interval(self, values: np.ndarray) -> list:
        values = values[np.isfinite(values)]
        if len(values) == 0:
            return [float("nan"), float("nan")]
        lo, hi = np.quantile(values, self.q)
        return [float(lo), float(hi)]

    @staticmethod
    def p_value(diffs: np.ndarray) -> float:
        d = diffs[np.isfinite(diffs)]
        if len(d) == 0:
            return float("nan")
        tail = min(int((d <= 0).sum()), int((d >= 0).sum()))
        return float(min(1.0, 2 * (tail + 1) / (len(d) + 1)))


def verdict_of(ci: list) -> str:
    lo, hi = ci
    if not (np.isfinite(lo) and np.isfinite(hi)):
        return "no significant lift"
    if lo > 0:
        return "helps"
    if hi < 0:
        return "hurts"
    return "no significant lift"
