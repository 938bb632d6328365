"""The no-difference reference: what every figure of the audit looks like when the two sides do
not differ, at the audit's own sizes, so that each figure can be read against it.

Three constructions, each at the audit's exact sizes (a smaller reference would misjudge figures
that drift with the sizes: measured, ``unrealistic`` with no difference is 0.53 at 1,000 : 8,000
rows and 0.59 at 107 : 893, and recall moves by 0.04 between 333 : 667 and 1,000 : 2,000):

- **shuffles** of the real / synthetic labels over all rows, ``reference.repeats`` times, seeded
  (the sides keep their sizes): the classifier is retrained on each, out of fold as in the audit
  (detection AUC, ``unrealistic``, ``unrepresentative``, the share of rows flagged detectable);
  the label-blind clusters and fine groups are re-tested with the shuffled labels (one-sided
  clusters and regions); the coverage statistic's shuffled values give the share of rows
  flagged uncovered.
- **leave one out**, real against real: each real row left out is a fresh draw from the real
  distribution, tested against the other real rows exactly as a synthetic row is tested against
  all of them (precision, density); likewise each synthetic row against the other synthetic
  rows for recall, which measures the synthetic side's manifold. The real rows' own rates of
  near-duplicates, degenerate text and outliers give those figures, scaled to the sizes the
  audit compares.
- **exact**: coverage's no-difference value depends only on the sizes (the chance that none of
  a real row's k nearest rows is synthetic, when labels are exchangeable).
- **combined**: a category's share of rows is at most the sum of its flags' shares (a union
  bound).

A band is the central 99.7% range of the figure with no difference: mean +- 3 standard
deviations over the shuffles (widened to every shuffle's value), or, for a share of rows, the
binomial spread at the audit's size around the reference rate (itself estimated, so its own
uncertainty is added). A figure inside its band is "expected even with no difference". 99.7%
rather than 95% because an audit reads about twenty figures at once: with no difference, all of
them fall inside their bands in about 95% of audits (Bonferroni), instead of one figure falling
outside by chance in most audits.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from synth_quality.analysis.cluster import cluster_table
from synth_quality.analysis.copies import no_difference_copy_shares
from synth_quality.analysis.coverage import CoverageNull, benjamini_hochberg, tail_pvalue
from synth_quality.analysis.detect import out_of_fold_p_synthetic
from synth_quality.analysis.regions import one_sided_regions
from synth_quality.analysis.scores import members_in_group
from synth_quality.config import AuditConfig
from synth_quality.graph.manifold import within_side_counts
from synth_quality.progress import ProgressCallback, Stage, null_progress
from synth_quality.stats import rank_auc

#: Figure -> (construction, lowest and highest possible value, what it is, the good direction).
FIGURES = {
    "detection_auc": ("shuffles", (0.0, 1.0), "detection AUC", "low"),
    "unrealistic": ("shuffles", (0.0, 1.0), "unrealistic score", "low"),
    "unrepresentative": ("shuffles", (0.0, 1.0), "unrepresentative score", "low"),
    "detectable_synthetic_share": ("shuffles", (0.0, 1.0),
                                   "share of synthetic rows the classifier flags", "low"),
    "detectable_real_share": ("shuffles", (0.0, 1.0),
                              "share of real rows the classifier flags", "low"),
    "uncovered_real_share": ("shuffles", (0.0, 1.0), "share of real rows flagged uncovered",
                             "low"),
    "uncovered_synthetic_share": ("shuffles", (0.0, 1.0),
                                  "share of synthetic rows flagged uncovered", "low"),
    "n_clusters_real_only": ("shuffles", (0.0, np.inf), "clusters only the real side has", "low"),
    "n_clusters_synthetic_only": ("shuffles", (0.0, np.inf),
                                  "clusters only the synthetic side has", "low"),
    "n_regions": ("shuffles", (0.0, np.inf), "one-sided regions", "low"),
    "precision": ("leave one out", (0.0, 1.0), "precision", "high"),
    "recall": ("leave one out", (0.0, 1.0), "recall", "high"),
    "density": ("leave one out", (0.0, np.inf), "density", "near 1"),
    "coverage": ("exact", (0.0, 1.0), "coverage", "high"),
    "unvaried": ("leave one out", (0.0, 1.0), "unvaried score", "low"),
    "unoriginal": ("leave one out", (0.0, 1.0), "unoriginal score", "low"),
    "copies_share": ("leave one out", (0.0, 1.0), "share of synthetic rows that copy a real row",
                     "low"),
    "degenerate_share": ("leave one out", (0.0, 1.0), "share of synthetic rows flagged degenerate",
                         "low"),
    "outlier_share": ("leave one out", (0.0, 1.0), "share of rows flagged as outliers", "low"),
    "unrealistic_synthetic_share": ("combined", (0.0, 1.0),
                                    "share of synthetic rows categorised unrealistic", "low"),
    "underrepresented_real_share": ("combined", (0.0, 1.0),
                                    "share of real rows categorised underrepresented", "low"),
    # Measured by the centre-or-corners stage (synth_quality.pipeline.corners), which builds
    # their bands with the same constructions and hands them to no_difference (``extra``).
    "centre_mass": ("leave one out", (0.0, 1.0),
                    "share of synthetic rows next to the densest real rows", "low"),
    "tail_mass": ("leave one out", (0.0, 1.0),
                  "share of synthetic rows next to the rarest real rows", "high"),
    "vendi": ("real samples", (0.0, np.inf), "Vendi score of the synthetic rows", "high"),
    "distinct_2": ("real samples", (0.0, 1.0), "distinct-2 of the synthetic rows", "high"),
    "compression_ratio": ("real samples", (0.0, np.inf),
                          "compression ratio of the synthetic rows", "low"),
    "self_bleu": ("real samples", (0.0, 1.0), "self-BLEU of the synthetic rows", "low"),
    "mauve": ("shuffles", (0.0, 1.0), "MAUVE between the sides", "high"),
}

#: The classifier's figures: below their band is chance too. An out-of-fold classifier that
#: scores below 0.5 has found nothing (small folds anti-learn); with 400 real : 50 synthetic
#: rows of one distribution the detection AUC fell 0.002 under its band.
CHANCE_FLOOR = ("detection_auc", "unrealistic", "unrepresentative")

#: Figures whose values and bands come from other stages (``no_difference(extra=...)``).
_MEASURED_ELSEWHERE = ("centre_mass", "tail_mass", "vendi", "distinct_2", "compression_ratio",
                       "self_bleu", "mauve")

EXPECTED = "expected even with no difference"
#: Half-width of a band in standard deviations, and the matching central probability.
BAND_Z = 3.0
BAND_LEVEL = 0.9973


@dataclass
class ClassifierNull:
    """The classifier retrained on shuffled labels: per shuffle its AUC and scores, and the
    label issue scores of rows labelled real and synthetic, pooled over the shuffles."""

    auc: list = field(default_factory=list)
    unrealistic: list = field(default_factory=list)
    unrepresentative: list = field(default_factory=list)
    issue_real: list = field(default_factory=list)
    issue_synthetic: list = field(default_factory=list)
    rows: int = 0

    def pooled(self, synthetic: bool) -> np.ndarray:
        parts = self.issue_synthetic if synthetic else self.issue_real
        return np.concatenate(parts) if parts else np.array([])


def classifier_null(X: np.ndarray, is_syn: np.ndarray, config: AuditConfig, classifier=None,
                    progress: ProgressCallback | None = None) -> ClassifierNull:
    """Retrain the out-of-fold classifier on ``reference.repeats`` seeded shuffles of the labels
    (on a stratified subset of at most ``reference.classifier_rows`` rows)."""
    progress = progress or null_progress
    ref, seed = config.reference, config.random_state
    rng = np.random.default_rng(None if seed is None else seed + 1)
    chosen = _stratified_subset(is_syn, ref.classifier_rows, rng)
    Xs, ys = X[chosen], is_syn[chosen]
    null = ClassifierNull(rows=len(chosen))
    progress(Stage.REFERENCE_CLASSIFIER, 0, ref.repeats)
    for r in range(ref.repeats):
        y = rng.permutation(ys)
        p = out_of_fold_p_synthetic(Xs, y, config.detect.n_folds, config.detect.C,
                                    None if seed is None else seed + r, classifier)
        null.auc.append(rank_auc(p[~y], p[y]))
        null.unrealistic.append(float(np.mean(p[y])))
        null.unrepresentative.append(float(1 - np.mean(p[~y])))
        null.issue_synthetic.append(1 - p[y])
        null.issue_real.append(p[~y])
        progress(Stage.REFERENCE_CLASSIFIER, r + 1, ref.repeats)
    return null


def _stratified_subset(is_syn: np.ndarray, limit: int, rng) -> np.ndarray:
    n = len(is_syn)
    if n <= limit:
        return np.arange(n)
    picks = []
    for side in (False, True):
        members = np.flatnonzero(is_syn == side)
        take = max(1, round(limit * len(members) / n))
        picks.append(rng.choice(members, min(take, len(members)), replace=False))
    return np.sort(np.concatenate(picks))


def _strangeness(label_issue) -> np.ndarray:
    """Low label issue score = strange; the log keeps the extreme tail readable."""
    return -np.log(np.clip(np.asarray(label_issue, np.float64), 1e-12, 1.0))


def detectable_pvalues(label_issue: np.ndarray, is_syn: np.ndarray,
                       null: ClassifierNull) -> np.ndarray:
    """P(a shuffled row of the same side gets a label issue score this low): small = the
    classifier recognises the row's side beyond what it does with no difference."""
    p = np.ones(len(label_issue))
    for side in (False, True):
        members = is_syn == side
        p[members] = tail_pvalue(_strangeness(label_issue[members]),
                                 _strangeness(null.pooled(side)))
    return p


@dataclass
class ReferenceInputs:
    """What the reference needs from the audit, aligned with its rows (real rows first)."""

    X: np.ndarray
    own_radius: np.ndarray          # the graph's own-side k-NN radii (similarities)
    is_syn: np.ndarray
    clusters: np.ndarray            # HDBSCAN labels
    groups: object                  # candidate groups x rows (analysis.regions.fine_groups)
    is_degenerate: np.ndarray       # the per-row flag (repetition or back-to-back repeats)
    knn_distance: np.ndarray        # the outlier statistic
    duplicate_groups: np.ndarray | None = None  # near-duplicate group per row, -1 for none
    copy_reference: np.ndarray | None = None    # analysis.copies: the real rows' statistic
    copies: np.ndarray | None = None            # is_copy_of_real per row


def shuffled_structures(data: ReferenceInputs, config: AuditConfig) -> dict:
    """One-sided clusters and regions with the labels shuffled (the groups never saw them)."""
    ref, seed = config.reference, config.random_state
    rng = np.random.default_rng(None if seed is None else seed + 3)
    frame = pd.DataFrame({"side": "real", "text": "", "cluster": data.clusters})
    out = {"n_clusters_real_only": [], "n_clusters_synthetic_only": [], "n_regions": []}
    for _ in range(ref.repeats):
        is_syn = rng.permutation(data.is_syn)
        frame["side"] = np.where(is_syn, "synthetic", "real")
        table = cluster_table(frame, np.zeros((len(frame), 1)), config.cluster,
                              with_keywords=False)
        status = table["status"] if len(table) else pd.Series(dtype=object)
        out["n_clusters_real_only"].append(int((status == "real_only").sum()))
        out["n_clusters_synthetic_only"].append(int((status == "synthetic_only").sum()))
        out["n_regions"].append(len(one_sided_regions(data.groups, ~is_syn, config.cluster.alpha,
                                                      config.cluster.one_sided_ratio)))
    return out


def shuffled_flag_shares(null: CoverageNull, classifier: ClassifierNull, fdr: float) -> dict:
    """Per shuffle, the share of each side that the calibrated flags (uncovered, detectable)
    flag when the labels carry no information."""
    out = {name: [] for name in ("uncovered_real_share", "uncovered_synthetic_share",
                                 "detectable_real_share", "detectable_synthetic_share")}
    for name, parts, pooled in (("uncovered_real_share", null.real_parts, null.real),
                                ("uncovered_synthetic_share", null.synthetic_parts,
                                 null.synthetic)):
        for part in parts:
            out[name].append(float(benjamini_hochberg(tail_pvalue(part, pooled), fdr).mean())
                             if len(part) else 0.0)
    for name, parts, synthetic in (("detectable_real_share", classifier.issue_real, False),
                                   ("detectable_synthetic_share", classifier.issue_synthetic,
                                    True)):
        pooled = _strangeness(classifier.pooled(synthetic))
        for part in parts:
            p = tail_pvalue(_strangeness(part), pooled)
            out[name].append(float(benjamini_hochberg(p, fdr).mean()))
    return out


def leave_one_out(data: ReferenceInputs, config: AuditConfig) -> dict:
    """Per-row rates of a fresh real (or, for recall, synthetic) draw, from rows left out of
    their own side: figure -> (rate, rows it was estimated from)."""
    score, seed = config.score, config.random_state
    rng = np.random.default_rng(None if seed is None else seed + 4)
    n_real = int((~data.is_syn).sum())
    n = len(data.is_syn)
    limit = config.reference.calibration_rows
    real_rows = np.sort(rng.choice(n_real, min(n_real, limit), replace=False))
    syn_rows = n_real + np.sort(rng.choice(n - n_real, min(n - n_real, limit), replace=False))
    real_counts, _ = within_side_counts(data.X, real_rows, 0, n_real, data.own_radius)
    syn_counts, _ = within_side_counts(data.X, syn_rows, n_real, n, data.own_radius)
    real_knn = data.knn_distance[:n_real]
    q1, q3 = np.percentile(real_knn, [25, 75])
    return {
        "precision": (float(np.mean(real_counts > 0)), len(real_rows)),
        "recall": (float(np.mean(syn_counts > 0)), len(syn_rows)),
        "density": (float(np.mean(real_counts) / score.manifold_k),
                    float(np.std(real_counts) / score.manifold_k), len(real_rows)),
        "repetition": group_shares_of_real_rows(data.duplicate_groups, data.is_syn,
                                                data.copies),
        # The copy flag's reference (analysis.copies) and what its no-difference shares need.
        "copies": {"reference": (data.copy_reference if data.copy_reference is not None
                                 else np.array([])),
                   "threshold": score.near_duplicate_similarity,
                   "fdr": config.reference.fdr, "repeats": config.reference.repeats,
                   "seed": None if seed is None else seed + 7},
        "degenerate_share": (float(np.mean(data.is_degenerate[:n_real])), n_real),
        "outlier_share": (float(np.mean(real_knn > q3 + score.outlier_fence * (q3 - q1))),
                          n_real),
    }


def group_shares_of_real_rows(groups: np.ndarray | None, is_syn: np.ndarray,
                              is_copy: np.ndarray | None = None) -> dict | None:
    """``unoriginal`` and ``unvaried`` of a fresh draw, read off the real rows.

    With no difference every row is a draw of one distribution, and the near-duplicate groups
    are built over all rows without the labels. A real row then stands where a synthetic row
    would: its other group members are drawn from n_real - 1 real and n_syn synthetic rows, a
    synthetic row's from n_real and n_syn - 1. So the share of real rows in a group with another
    real row is ``unoriginal`` with no difference, and the share in a group whose other members
    are all synthetic is ``unvaried``: at the audit's own sizes, with repetition as clumpy as
    the data's (a stock phrase repeats many times, most rows never), no model in between.

    A real row that synthetic rows copied (``is_copy``: the synthetic rows flagged
    ``is_copy_of_real``) sits in a group of synthetic rows because of the defect, not by
    chance: such groups are left out of ``unvaried``'s reference (on the built-in sample its
    28 copies had lifted the band from 0-2% to 2-15%).
    """
    if groups is None:
        return None
    is_syn = np.asarray(is_syn, bool)
    groups = np.asarray(groups, np.int64)
    in_group = groups >= 0
    real = ~is_syn
    mates = members_in_group(groups, real) - 1   # other real rows in a real row's group
    copied = (members_in_group(groups, is_copy) > 0 if is_copy is not None
              else np.zeros(len(groups), bool))
    n_real = int(real.sum())
    if not n_real:
        return None
    unvaried_rows = max(int((real & ~copied).sum()), 1)
    return {"unoriginal": float((in_group & real & (mates > 0)).sum() / n_real),
            "unvaried": float((in_group & real & (mates == 0) & ~copied).sum() / unvaried_rows),
            "rows": n_real}


def exact_coverage(n_real: int, n_syn: int, k: int) -> float:
    """Expected coverage with exchangeable labels: the chance that a real row's neighbours up to
    its k-th nearest real row hold a synthetic row."""
    if n_real - 1 < k:
        return float("nan")
    j = np.arange(k)
    return float(1 - np.prod((n_real - 1 - j) / (n_real - 1 + n_syn - j)))


def observed_figures(summary: dict, rows: pd.DataFrame) -> dict:
    """The audit's own value of every reference figure, from its summary and examples."""
    syn = (rows["side"] == "synthetic").to_numpy()

    def share(column, mask):
        return float(rows.loc[mask, column].astype(bool).mean()) if mask.any() else np.nan

    return {
        "detection_auc": summary.get("detection_auc"),
        "unrealistic": summary.get("unrealistic"),
        "unrepresentative": summary.get("unrepresentative"),
        "detectable_synthetic_share": share("is_detectable", syn),
        "detectable_real_share": share("is_detectable", ~syn),
        "uncovered_real_share": share("is_uncovered", ~syn),
        "uncovered_synthetic_share": share("is_uncovered", syn),
        "n_clusters_real_only": summary.get("n_clusters_real_only"),
        "n_clusters_synthetic_only": summary.get("n_clusters_synthetic_only"),
        "n_regions": len(summary.get("uncovered_regions") or []),
        "precision": summary.get("precision"), "recall": summary.get("recall"),
        "density": summary.get("density"), "coverage": summary.get("coverage"),
        "unvaried": summary.get("unvaried"), "unoriginal": summary.get("unoriginal"),
        "copies_share": share("is_copy_of_real", syn),
        "degenerate_share": share("is_degenerate", syn),
        "outlier_share": float(rows["is_outlier"].astype(bool).mean()),
        "unrealistic_synthetic_share": (float((rows.loc[syn, "category"]
                                               == "unrealistic synthetic").mean())
                                        if syn.any() else np.nan),
        "underrepresented_real_share": (float((rows.loc[~syn, "category"]
                                               == "underrepresented real").mean())
                                        if (~syn).any() else np.nan),
    }


def spread_band(values, bounds: tuple[float, float], n_audit: int | None = None) -> dict:
    """Mean, standard deviation and band (mean +- 3 sd, widened to every value's range, clipped
    to ``bounds``) of a figure's values over the shuffles. For a share of ``n_audit`` rows the
    band is also widened to the binomial spread of that many rows around the mean."""
    v = np.asarray([x for x in values if x is not None and np.isfinite(x)], np.float64)
    if not len(v):
        return _empty_band()
    mean, sd = float(v.mean()), float(v.std(ddof=1)) if len(v) > 1 else 0.0
    low = min(mean - BAND_Z * sd, float(v.min()))
    high = max(mean + BAND_Z * sd, float(v.max()))
    if n_audit:
        rate = rate_band(mean, len(v) * n_audit, n_audit, bounds)
        low, high = min(low, rate["low"]), max(high, rate["high"])
    return {"mean": mean, "sd": sd, "low": max(bounds[0], low), "high": min(bounds[1], high)}


def rate_band(rate: float, n_reference: float, n_audit: int,
              bounds: tuple[float, float] = (0.0, 1.0)) -> dict:
    """The band (central :data:`BAND_LEVEL`) of a share of ``n_audit`` rows whose no-difference
    rate ``rate`` was estimated from ``n_reference`` rows: binomial spread of both (Jeffreys'
    interval for the rate, so a rate of 0 still allows the few rows chance gives)."""
    from scipy.stats import beta, binom

    if rate is None or not np.isfinite(rate) or n_audit <= 0:
        return _empty_band()
    tail = (1 - BAND_LEVEL) / 2
    if np.isfinite(n_reference):
        events = rate * n_reference
        low_rate = beta.ppf(tail, events + 0.5, n_reference - events + 0.5) if events > 0 else 0.0
        high_rate = beta.ppf(1 - tail, events + 0.5, n_reference - events + 0.5)
    else:  # the rate is exact
        low_rate = high_rate = rate
    low = binom.ppf(tail, n_audit, low_rate) / n_audit
    high = binom.ppf(1 - tail, n_audit, high_rate) / n_audit
    sd = float(np.sqrt(max(rate * (1 - rate), 0.0) * (1 / n_audit + 1 / max(n_reference, 1))))
    if not np.isfinite(sd):
        sd = float(np.sqrt(max(rate * (1 - rate), 0.0) / n_audit))
    return {"mean": float(rate), "sd": sd, "low": max(bounds[0], float(low)),
            "high": min(bounds[1], float(high))}


def copies_band(copies: dict, n_synthetic: int) -> dict:
    """The band of ``is_copy_of_real``'s share of ``n_synthetic`` rows with no difference: real
    rows drawn from the copy reference and flagged against it, as often as the shuffles run;
    the rate's uncertainty is that of the reference's own size (the draws repeat its rows), so
    400 real rows cannot promise a copy rate below about 1%."""
    rng = np.random.default_rng(copies["seed"])
    shares = no_difference_copy_shares(copies["reference"], n_synthetic, copies["threshold"],
                                       copies["fdr"], copies["repeats"], rng)
    if not shares:
        return _empty_band()
    band = rate_band(float(np.mean(shares)), len(copies["reference"]), n_synthetic)
    spread = spread_band(shares, (0.0, 1.0))
    band["low"], band["high"] = min(band["low"], spread["low"]), max(band["high"], spread["high"])
    return band


def _empty_band() -> dict:
    return {"mean": None, "sd": None, "low": None, "high": None}


def reading(value, low, high) -> str | None:
    """Where a figure stands against its band, in words."""
    if value is None or low is None or not np.isfinite(value):
        return None
    if value > high + 1e-12:
        return "higher than with no difference"
    if value < low - 1e-12:
        return "lower than with no difference"
    return EXPECTED


def figure_reading(name: str, value, low, high) -> str | None:
    """:func:`reading` of one of :data:`FIGURES`; the classifier's figures below their band
    read as expected (:data:`CHANCE_FLOOR`)."""
    said = reading(value, low, high)
    if name in CHANCE_FLOOR and said == "lower than with no difference":
        return EXPECTED
    return said


def no_difference(observed: dict, data: ReferenceInputs, classifier: ClassifierNull,
                  coverage: CoverageNull, config: AuditConfig, loo: dict | None = None,
                  extra: dict | None = None) -> dict:
    """``summary["no_difference"]``: how the reference was built, and per figure its value, the
    band, the reading and the good direction. ``extra``: figures of :data:`FIGURES` measured
    and banded elsewhere (name -> ``value``, ``mean``, ``sd``, ``low``, ``high``); figures
    neither built here nor given are left out."""
    n_real = int((~data.is_syn).sum())
    n_syn = len(data.is_syn) - n_real
    k = config.score.manifold_k
    shuffled = {"detection_auc": classifier.auc, "unrealistic": classifier.unrealistic,
                "unrepresentative": classifier.unrepresentative}
    shuffled.update(shuffled_flag_shares(coverage, classifier, config.reference.fdr))
    shuffled.update(shuffled_structures(data, config))
    share_sizes = {"detectable_real_share": n_real, "uncovered_real_share": n_real,
                   "detectable_synthetic_share": n_syn, "uncovered_synthetic_share": n_syn}
    bands = {name: spread_band(values, FIGURES[name][1], share_sizes.get(name))
             for name, values in shuffled.items()}
    loo = loo if loo is not None else leave_one_out(data, config)
    bands.update(_leave_one_out_bands(loo, n_real, n_syn, k))
    bands.update(_category_bands(bands))
    coverage_rate = exact_coverage(n_real, n_syn, k)
    bands["coverage"] = rate_band(coverage_rate, np.inf, n_real)
    extra = extra or {}
    for name, entry in extra.items():
        bands[name] = {key: entry.get(key) for key in ("mean", "sd", "low", "high")}
    figures = {}
    for name, (how, bounds, what, good) in FIGURES.items():
        if name in _MEASURED_ELSEWHERE and name not in extra:
            continue
        value = extra[name].get("value") if name in extra else observed.get(name)
        entry = {"value": value, "what": what, "from": how, "good": good,
                 **bands.get(name, _empty_band())}
        entry["reading"] = figure_reading(name, entry["value"], entry["low"], entry["high"])
        figures[name] = entry
    ref = config.reference
    return {
        "method": {
            "shuffles": (f"{ref.repeats} seeded shuffles of the real / synthetic labels "
                         f"({n_real:,} real : {n_syn:,} synthetic); the classifier retrained on "
                         f"{classifier.rows:,} rows of each"),
            "leave one out": ("each real row left out is tested against the other real rows "
                              "as a synthetic row is against all of them (each synthetic row "
                              "against the other synthetic rows, for recall), on up to "
                              f"{ref.calibration_rows:,} rows of each side"),
            "exact": "coverage's value when the labels are exchangeable, from the sizes alone",
            **({"real samples": "the synthetic side's diversity measures taken on equal-sized "
                                "samples of the real rows (the synthetic side as a sample of "
                                "real text)"}
               if any(FIGURES[n][0] == "real samples" for n in extra) else {}),
        },
        "repeats": ref.repeats,
        "fdr": ref.fdr,
        "band": ("central 99.7% with no difference (all figures inside in about 95% of audits "
                 "with no difference): mean +- 3 sd over the shuffles, widened to their range, or "
                 "the binomial spread of a share at the audit's size"),
        "figures": figures,
    }


def _category_bands(bands: dict) -> dict:
    """A category gathers rows flagged by any of its flags: with no difference its share is at
    most the sum of theirs (a union bound, so the band is wide rather than wrong)."""
    parts = {"unrealistic_synthetic_share": ("detectable_synthetic_share",
                                             "uncovered_synthetic_share", "degenerate_share"),
             "underrepresented_real_share": ("detectable_real_share", "uncovered_real_share")}
    out = {}
    for name, components in parts.items():
        found = [bands.get(c) or {} for c in components]
        if any(b.get("high") is None for b in found):
            out[name] = _empty_band()
            continue
        out[name] = {"mean": float(sum(b["mean"] for b in found)), "sd": None, "low": 0.0,
                     "high": float(min(1.0, sum(b["high"] for b in found)))}
    return out


def generator_bands(classifier: ClassifierNull, loo: dict, n_real: int, n_generator: int,
                    seed: int | None) -> dict:
    """No-difference bands of one generator's figures (its rows against all real rows):
    detection AUC and ``unrealistic`` from the shuffles (each shuffle's pseudo-synthetic rows
    subsampled to the generator's size), precision, degenerate and copied rows from the leave-one-
    out rates at its size."""
    rng = np.random.default_rng(None if seed is None else seed + 6)
    aucs, unreal = [], []
    for issue_syn, issue_real in zip(classifier.issue_synthetic, classifier.issue_real):
        p_syn = 1 - issue_syn
        take = rng.choice(len(p_syn), min(n_generator, len(p_syn)), replace=False)
        aucs.append(rank_auc(issue_real, p_syn[take]))
        unreal.append(float(np.mean(p_syn[take])))
    precision, n_p = loo["precision"]
    degenerate, n_deg = loo["degenerate_share"]
    out = {"detection_auc": spread_band(aucs, (0.0, 1.0)),
           "unrealistic": spread_band(unreal, (0.0, 1.0)),
           "precision": rate_band(precision, n_p, n_generator),
           "degenerate_share": rate_band(degenerate, n_deg, n_generator),
           "copies_share": copies_band(loo["copies"], n_generator)}
    return {name: [band["low"], band["high"]] for name, band in out.items()}


def auc_band(n_real: int, n_synthetic: int) -> list[float]:
    """The band of a single feature's AUC with no difference: 0.5 +- 3 Mann-Whitney standard
    deviations at these sizes (exact for a continuous feature; ties only narrow it)."""
    if n_real <= 0 or n_synthetic <= 0:
        return [None, None]
    sd = np.sqrt((n_real + n_synthetic + 1) / (12 * n_real * n_synthetic))
    return [max(0.0, 0.5 - BAND_Z * sd), min(1.0, 0.5 + BAND_Z * sd)]


def _leave_one_out_bands(loo: dict, n_real: int, n_syn: int, k: int) -> dict:
    bands = {}
    precision, n_p = loo["precision"]
    bands["precision"] = rate_band(precision, n_p, n_syn)
    recall, n_r = loo["recall"]
    bands["recall"] = rate_band(recall, n_r, n_real)
    mean, sd, n_d = loo["density"]
    spread = sd * np.sqrt(1 / max(n_syn, 1) + 1 / max(n_d, 1))
    bands["density"] = {"mean": mean, "sd": spread, "low": max(0.0, mean - BAND_Z * spread),
                        "high": mean + BAND_Z * spread}
    repetition = loo["repetition"]
    for name in ("unoriginal", "unvaried"):
        bands[name] = (rate_band(repetition[name], repetition["rows"], n_syn) if repetition
                       else _empty_band())
    bands["copies_share"] = copies_band(loo["copies"], n_syn)
    degenerate, n_deg = loo["degenerate_share"]
    bands["degenerate_share"] = rate_band(degenerate, n_deg, n_syn)
    outliers, n_out = loo["outlier_share"]
    bands["outlier_share"] = rate_band(outliers, n_out, n_real + n_syn)
    return bands
