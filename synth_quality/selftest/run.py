"""``selftest()``: plant known defects into a copy of the user's data, audit the copy, and report
what each detector caught (``selftest.json``).

Per detector: ``recall`` (share of the planted rows it flags), ``auroc`` (how well its score
ranks the planted rows above the other rows of their side that were not planted),
``false_alarm_rate`` (how often it flags rows with no difference: the no-difference reference's
rate for that flag, :mod:`synth_quality.analysis.reference`), ``flag_rate_unplanted`` (how often
it flagged the rest of that side in this audit: true differences count there too) and, beside
it, what other signals caught the same rows. A user learns what this audit can and cannot see on
their own data.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from synth_quality.config import AuditConfig
from synth_quality.io import AuditInput, load_inputs
from synth_quality.progress import ProgressCallback, Stage, StageTimer, null_progress
from synth_quality.result import AuditResult, jsonable
from synth_quality.selftest.plant import Planted, plant


@dataclass(frozen=True)
class Detector:
    """One detector and the planted rows it should find."""

    planted: tuple[str, ...]       # kinds of planted rows
    side: str
    flag: str                      # examples column, true = flagged
    score: str                     # examples column
    high_is_planted: bool          # direction of the score
    reference: str | None          # no_difference figure giving its false-alarm rate
    what: str


DETECTORS = {
    "copies": Detector(("exact_copy", "near_copy"), "synthetic", "is_copy_of_real",
                       "nearest_real_similarity", True, "copies_share",
                       "exact and near copies of real rows"),
    "degeneration": Detector(("loop", "stutter"), "synthetic", "is_degenerate",
                             "repetition_score", True, "degenerate_share",
                             "repetition loops and stutters"),
    "off_topic": Detector(("off_topic",), "synthetic", "is_uncovered", "coverage_score", False,
                          "uncovered_synthetic_share", "off-topic synthetic rows"),
    "withheld_mode": Detector(("withheld_mode",), "real", "is_uncovered", "coverage_score",
                              False, "uncovered_real_share",
                              "a real mode withheld from the synthetic side"),
    "label_flips": Detector(("label_flip",), "synthetic", "is_label_issue", "label_quality",
                            False, None, "synthetic rows given the wrong label"),
}



@dataclass
class SelftestResult:
    report: dict
    planted: Planted
    audit: AuditResult

    def save(self, directory) -> Path:
        """``selftest.json``, ``planted.parquet`` (the planted copy, with a ``planted`` column
        naming each planted row's kind) and the audit of the copy in ``audit/``."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        self.audit.save(out / "audit")
        frame = self.planted.inputs.frame.reset_index(drop=True).copy()
        frame["planted"] = ""
        frame.loc[self.planted.manifest["position"].to_numpy(), "planted"] = \
            self.planted.manifest["kind"].to_numpy()
        frame.to_parquet(out / "planted.parquet", index=False)
        (out / "selftest.json").write_text(json.dumps(jsonable(self.report), indent=2) + "\n",
                                           encoding="utf-8")
        return out


def selftest(inputs: AuditInput | None = None, *, config: AuditConfig | None = None,
             seed: int = 0, progress: ProgressCallback | None = None, embedder=None,
             **load_kwargs) -> SelftestResult:
    """Plant defects into a copy of the rows (see :mod:`synth_quality.selftest.plant`), audit
    it, and measure every detector on the planted rows."""
    from synth_quality.embed.api import embed_texts
    from synth_quality.pipeline.audit import audit

    config = config or AuditConfig()
    progress = progress or null_progress
    timings: dict = {}
    if inputs is None:
        with StageTimer(progress, timings, Stage.LOADING):
            inputs = load_inputs(min_rows_per_side=config.detect.n_folds, **load_kwargs)
    texts = inputs.frame["text"].astype(str).tolist()
    X, _ = embed_texts(texts, config.embed, embedder=embedder, progress=progress)
    with StageTimer(progress, timings, Stage.PLANTING):
        planted = plant(inputs, np.asarray(X, np.float32), seed, config.embed, embedder)
    result = audit(planted.inputs, config=config, embedder=embedder, progress=progress)
    return SelftestResult(evaluate(result, planted), planted, result)


def inputs_of(result: AuditResult) -> AuditInput:
    """The rows an audit was made from (text, side, label, generator), from its examples: a
    saved audit can be self-tested without its input files."""
    ex = result.examples
    columns = [c for c in ("side", "row", "text", "label", "generator") if c in ex]
    frame = ex[columns].copy()
    frame["row"] = np.arange(len(frame), dtype=np.int64)  # rows from several batches: renumber
    frame = pd.concat([frame[frame["side"] == "real"], frame[frame["side"] == "synthetic"]],
                      ignore_index=True)
    used = result.summary.get("inputs") or {}
    return AuditInput(frame, used.get("text_column") or "text",
                      "label" if "label" in frame else None,
                      "generator" if "generator" in frame else None, None,
                      [{"format": "audit", "side": "mixed"}], {"real": [], "synthetic": []},
                      {"real": 0, "synthetic": 0, "across": 0})


def evaluate(result: AuditResult, planted: Planted) -> dict:
    """``selftest.json``: per detector, what it caught of the planted rows."""
    from sklearn.metrics import roc_auc_score

    ex = result.examples
    manifest = planted.manifest
    kind_of = pd.Series("", index=ex.index)
    kind_of.loc[manifest["position"].to_numpy()] = manifest["kind"].to_numpy()
    figures = (result.summary.get("no_difference") or {}).get("figures", {})
    not_planted = planted.notes.get("not_planted", {})
    detectors = {}
    for name, d in DETECTORS.items():
        side = (ex["side"] == d.side).to_numpy()
        mine = side & kind_of.isin(d.planted).to_numpy()
        if not mine.any():
            why = [not_planted[k] for k in d.planted if k in not_planted]
            if why:
                detectors[name] = {"what": d.what, "n_planted": 0,
                                   "not_measured": f"nothing planted: {why[0]}"}
            continue
        if d.flag not in ex or d.score not in ex:
            detectors[name] = {"what": d.what, "n_planted": int(mine.sum()),
                               "not_measured": f"this audit has no {d.flag} column"}
            continue
        rest = side & (kind_of == "").to_numpy()
        flag = ex[d.flag].fillna(False).astype(bool).to_numpy()
        score = ex[d.score].to_numpy(np.float64)
        score = np.nan_to_num(score if d.high_is_planted else -score, nan=-np.inf)
        considered = mine | rest
        reference = figures.get(d.reference) if d.reference else None
        detectors[name] = {
            "what": d.what, "planted_kinds": list(d.planted), "side": d.side,
            "flag": d.flag, "score": d.score, "n_planted": int(mine.sum()),
            "recall": float(flag[mine].mean()),
            "auroc": float(roc_auc_score(mine[considered], score[considered])),
            "false_alarm_rate": None if reference is None else reference.get("mean"),
            "false_alarm_band": (None if reference is None
                                 else [reference.get("low"), reference.get("high")]),
            "flag_rate_unplanted": float(flag[rest].mean()) if rest.any() else None,
            "also_caught_by": _also(ex, mine, d.side),
        }
    return {
        "detectors": detectors,
        "planted": manifest["kind"].value_counts().to_dict(),
        "notes": planted.notes,
        "n_real": int((ex["side"] == "real").sum()),
        "n_synthetic": int((ex["side"] == "synthetic").sum()),
        "how_to_read": ("recall: share of the planted rows the detector flags; auroc: how well "
                        "its score ranks them above the rest of their side (0.5 = chance); "
                        "false_alarm_rate: how often it flags rows when the sides do not differ "
                        "(the audit's no-difference reference); flag_rate_unplanted: how often "
                        "it flagged the other rows of that side here (real differences count)."),
    }


def _also(ex: pd.DataFrame, mine: np.ndarray, side: str) -> dict:
    """Share of the planted rows that other signals flag: the problem category, the classifier
    and the outlier flag."""
    bad = "unrealistic synthetic" if side == "synthetic" else "underrepresented real"
    out = {"category": float((ex.loc[mine, "category"] == bad).mean())}
    for column in ("is_detectable", "is_outlier", "is_uncovered"):
        if column in ex:
            out[column] = float(ex.loc[mine, column].astype(bool).mean())
    return out
