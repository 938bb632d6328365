"""What the real-data control measured (:class:`LiftResult`), saved as ``lift.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from synth_quality.errors import InputDataError
from synth_quality.result import jsonable

LIFT_FILE = "lift.json"
EVAL_FILE = "lift_eval.parquet"


@dataclass
class LiftResult:
    """What the real-data control measured.

    Attributes
    ----------
    summary : dict
        Everything written to ``lift.json`` (JSON-able; NaN is None). The keys a reader needs:

        - ``metric`` (str) and ``metric_name``; ``real_only``, ``real_plus_synthetic``,
          ``synthetic_only`` (float: the plain fits' scores on the real evaluation set, in
          ``metric``; None when a model could not be trained) and their ``*_ci`` intervals;
        - ``lift`` (float), ``lift_ci`` ([low, high]), ``verdict`` (one of :data:`VERDICTS`),
          ``verdict_sentence`` (words for stakeholders), ``p_value`` (paired bootstrap),
          ``mcnemar_p`` (exact McNemar on the plain fits; accuracy);
        - ``metrics``: ``{model: {metric: {"score", "ci"}}}`` for the three models and all of
          :data:`METRICS` (AUC only with two classes); ``lifts``: ``{metric: {"lift",
          "lift_ci", "p_value", "verdict"}}``;
        - ``eval``: ``source`` (file path or "held-out split of real rows"), ``n_rows`` (rows
          scored), ``n_rows_given``, ``n_excluded_leakage``, ``n_exact``, ``n_near``,
          ``excluded_by_side``, ``near_duplicate_similarity``, ``leakage_examples`` (up to 5:
          eval_row, eval_text, kind, train_side, train_row, train_text, similarity),
          ``label_counts``, ``leaked_into_synthetic`` (evaluation rows with an exact or near
          copy among the synthetic rows, the evaluation set leaked into generation:
          ``n_rows``, ``rows``, ``threshold``, ``examples``: eval_row, eval_text,
          synthetic_row, synthetic_text, kind, similarity);
        - ``model`` (description), ``embedding`` (model and cache counts), ``label_column``,
          ``labels``, ``n_train_real``, ``n_train_synthetic``, ``train_label_counts``;
        - ``per_generator``: ``{name: {n_synthetic, score, lift, lift_ci, p_value, verdict}}``;
        - ``how_much``: ``[{fraction, n_synthetic, score, lift, lift_ci, p_value, verdict}]``;
        - ``filter_and_retest``: ``{signal: [{percent, n_dropped, n_synthetic, score, lift,
          lift_ci, p_value, verdict, random_mean, random_ci, random_scores, random_lift,
          random_lift_ci, vs_random, vs_random_ci, vs_random_p, beats_random,
          vs_random_verdict}]}`` ("better than random", "no different from random" or "worse
          than random"); ``signals``: ``{signal: {source ("audit" or "computed"), n_flagged,
          worst_rows}}`` (``worst_rows``: the 20 synthetic input rows ranked worst);
        - ``by_band``: the lift on the evaluation rows of each density band of the real rows
          (:mod:`synth_quality.lift.bands`): ``n_bands``, ``bands`` (``[{band, n_eval,
          real_only, real_plus_synthetic, lift, lift_ci, verdict}]``, band 1 = densest),
          ``centre`` and ``tails`` (the same for the densest ``centre_share`` and the rarest
          ``tail_share`` together) and a ``sentence``; None with too few real rows;
        - ``recommended_filter``: the filter-and-retest drop measured to help most (``signal``,
          ``percent``, ``n_dropped``, ``n_kept``, ``lift``, ``lift_ci``, ``beats_random``,
          ``vs_random``, ``dropped_rows``: the synthetic input rows it drops), or None when no
          drop helps significantly;
        - ``findings`` (list of sentences, the verdict first), ``warnings``, ``timings``
          (seconds per stage, ``n_fits``), ``config`` (:meth:`LiftConfig.to_dict`).
    eval_rows : pandas.DataFrame
        One row per evaluation row given: ``row``, ``text``, ``label``, ``excluded`` (bool),
        ``leakage`` ("", "exact" or "near"), ``leak_side``, ``leak_row``,
        ``leak_similarity``, and the plain fits' predictions ``pred_real_only``,
        ``pred_real_plus_synthetic``, ``pred_synthetic_only`` (None where excluded), and
        ``band`` (the row's density band among the real training rows, 1 = densest; null
        where excluded).
    warnings : list of str
    """

    summary: dict
    eval_rows: pd.DataFrame = field(default_factory=pd.DataFrame)
    warnings: list[str] = field(default_factory=list)

    @property
    def metric(self) -> str:
        return self.summary["metric"]

    @property
    def lift(self) -> float:
        return self.summary["lift"]

    @property
    def lift_ci(self) -> list:
        return self.summary["lift_ci"]

    @property
    def verdict(self) -> str:
        return self.summary["verdict"]

    def to_dict(self) -> dict:
        """The summary as plain JSON types (NaN and infinities become None)."""
        return jsonable(dict(self.summary, warnings=list(self.warnings)))

    def save(self, directory: str | Path) -> Path:
        """Write ``lift.json`` (and ``lift_eval.parquet``) into ``directory``; return its path."""
        out = Path(directory)
        out.mkdir(parents=True, exist_ok=True)
        (out / LIFT_FILE).write_text(json.dumps(self.to_dict(), indent=2, ensure_ascii=False,
                                                allow_nan=False) + "\n", encoding="utf-8")
        if not self.eval_rows.empty:
            self.eval_rows.to_parquet(out / EVAL_FILE, index=False)
        return out

    @classmethod
    def load(cls, directory: str | Path) -> "LiftResult":
        """Read a result written by :meth:`save` (or by ``synth-quality lift --out``)."""
        folder = Path(directory)
        path = folder / LIFT_FILE
        if not path.is_file():
            raise InputDataError(f"{folder} holds no {LIFT_FILE}; run synth-quality lift "
                                 f"--out {folder} first")
        try:
            summary = json.loads(path.read_text(encoding="utf-8"))
            rows = (pd.read_parquet(folder / EVAL_FILE) if (folder / EVAL_FILE).is_file()
                    else pd.DataFrame())
        except Exception as exc:
            raise InputDataError(f"could not read the lift result in {folder}: {exc}") from exc
        return cls(summary, rows, list(summary.get("warnings", [])))
