"""The lift control's model fits.

:class:`Fitter` fits the downstream model once per (training rows, replicate) and keeps its
predictions on the evaluation rows; :func:`plan` registers every training set the control needs
(an :class:`Arm` each: real only, real + synthetic, synthetic only, per generator, the "how
much" curve, filter-and-retest and its random drops). :mod:`.bootstrap` scores them. The method
is described in :mod:`synth_quality.lift.run`.
"""

from __future__ import annotations

import hashlib
import math
from dataclasses import dataclass, field

import numpy as np

from synth_quality.progress import Stage


class Fitter:
    """Fits each (training rows, replicate) once and keeps its predictions on the eval rows.

    Replicate 0 is the plain fit. Replicate r >= 1 weights the training rows with the r-th
    row of ``weights`` (exponential(1), the Bayesian bootstrap) when the model's ``fit`` takes
    ``sample_weight``, else repeats each row Poisson(1) times. The same draw serves every
    model of a replicate, so comparisons are paired.
    """

    def __init__(self, X, y, X_eval, n_classes, factory, config, rng, progress):
        from sklearn.utils.validation import has_fit_parameter

        self.X, self.y, self.X_eval, self.n_classes = X, y, X_eval, n_classes
        self.factory, self.config, self.progress = factory, config, progress
        n = len(y)
        self.weights = rng.exponential(size=(config.n_seeds, n))
        self.counts = rng.poisson(size=(config.n_seeds, n))
        self.uses_weight = has_fit_parameter(factory(config.random_state), "sample_weight")
        self.todo: dict[tuple, np.ndarray] = {}
        self.preds: dict[tuple, tuple] = {}
        self.n_fits = 0

    @staticmethod
    def key(mask: np.ndarray) -> str:
        return hashlib.sha1(np.packbits(mask).tobytes() + str(len(mask)).encode()).hexdigest()

    def request(self, mask: np.ndarray, replicates) -> str:
        k = self.key(mask)
        for r in replicates:
            self.todo.setdefault((k, int(r)), mask)
        return k

    def run(self) -> None:
        from threadpoolctl import threadpool_limits

        pending = [key for key in self.todo if key not in self.preds]
        total = len(pending)
        self.progress(Stage.LIFT, 0, total)
        # One BLAS thread: small models fit far faster without thread hand-offs (measured on
        # 9,350 x 384: 0.09 s against 0.74 s per logistic regression on a busy 2-core machine).
        with threadpool_limits(limits=1):
            for done, key in enumerate(pending, start=1):
                self.preds[key] = self._fit(self.todo[key], key[1])
                self.n_fits += 1
                self.progress(Stage.LIFT, done, total)

    def get(self, k: str, r: int):
        return self.preds.get((k, int(r)))

    def _fit(self, mask: np.ndarray, r: int):
        idx = np.flatnonzero(mask)
        y = self.y[idx]
        if len(np.unique(y)) < 2:
            return None  # one class only: no classifier to train
        model = self.factory(self.config.random_state + r)
        if r == 0:
            model.fit(self.X[idx], y)
        elif self.uses_weight:
            w = self.weights[r, idx]
            model.fit(self.X[idx], y, sample_weight=w / w.mean())
        else:
            rep = np.repeat(idx, self.counts[r, idx])
            if len(np.unique(self.y[rep])) < 2:
                rep = idx
            model.fit(self.X[rep], self.y[rep])
        pred = np.asarray(model.predict(self.X_eval)).astype(np.int64)
        score = None
        if self.n_classes == 2:
            classes = list(getattr(model, "classes_", [0, 1]))
            if hasattr(model, "predict_proba") and 1 in classes:
                score = np.asarray(model.predict_proba(self.X_eval))[:, classes.index(1)]
            elif hasattr(model, "decision_function"):
                score = np.asarray(model.decision_function(self.X_eval), dtype=np.float64)
        return pred, score


@dataclass
class Arm:
    """One training set: its fit key and the replicates it is scored with."""

    name: str
    key: str
    replicates: tuple
    n_synthetic: int
    extra: dict = field(default_factory=dict)


def plan(train, is_syn, signals, config, rng, fitter, notes) -> dict:
    """Every training set the control needs, registered with the fitter."""
    n_syn = int(is_syn.sum())
    syn_pos = np.flatnonzero(is_syn)
    real_mask = ~is_syn
    head = tuple(range(config.n_seeds))
    curve = tuple(range(config.curve_replicates))

    def arm(name, syn_keep: np.ndarray, reps, **extra):
        mask = real_mask.copy()
        mask[syn_pos[syn_keep]] = True
        return Arm(name, fitter.request(mask, reps), tuple(reps), int(syn_keep.sum()), extra)

    everything = np.ones(n_syn, bool)
    arms = {"real_only": Arm("real_only", fitter.request(real_mask, head), head, 0),
            "real_plus_synthetic": arm("real_plus_synthetic", everything, head)}
    syn_mask = is_syn.copy()
    arms["synthetic_only"] = Arm("synthetic_only", fitter.request(syn_mask, head), head, n_syn)
    if len(set(train["label"][is_syn])) < 2:
        notes.append("the synthetic rows hold only one class: no synthetic-only model")

    gens = train["generator"].to_numpy(object)[is_syn] if "generator" in train else None
    arms["per_generator"] = {}
    if gens is not None:
        names = ["(none)" if g is None else str(g) for g in gens]
        for g in sorted(set(names)):
            arms["per_generator"][g] = arm(f"generator {g}", np.array([n == g for n in names]),
                                           head)

    order = rng.permutation(n_syn)
    arms["how_much"] = []
    for f in config.fractions:
        take = np.zeros(n_syn, bool)
        take[order[:int(round(f * n_syn))]] = True
        reps = head if take.all() else curve
        arms["how_much"].append(arm(f"{f:.0%} of synthetic", take, reps, fraction=float(f)))

    arms["filter"] = {}
    arms["random"] = {}
    if signals and n_syn:
        draws = [rng.permutation(n_syn) for _ in range(config.n_random_draws)]
        for p in config.drop_percents:
            n_drop = int(math.ceil(p / 100 * n_syn))
            for name, sig in signals.items():
                keep = np.ones(n_syn, bool)
                keep[sig["order"][:n_drop]] = False
                arms["filter"].setdefault(name, []).append(
                    arm(f"drop {p:g}% by {name}", keep, curve, percent=float(p), n_dropped=n_drop))
            arms["random"][float(p)] = []
            for d, perm in enumerate(draws):
                keep = np.ones(n_syn, bool)
                keep[perm[:n_drop]] = False
                arms["random"][float(p)].append(arm(f"drop {p:g}% at random #{d}", keep, (0,)))
    return arms
