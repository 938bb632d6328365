"""The lift control's summary: the numbers of ``lift.json`` and the sentences that explain them.

:func:`summarise` turns the fits and the bootstrap into the summary's scores, lifts, intervals,
p-values and verdicts (headline, per generator, "how much", filter-and-retest against random
drops); :func:`verdict_sentence` and :func:`findings` put them into words for stakeholders;
:func:`eval_table` is the per-row evaluation table (``lift_eval.parquet``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.io import plural
from synth_quality.lift.bootstrap import verdict_of
from synth_quality.lift.config import METRIC_NAMES, METRICS
from synth_quality.lift.fits import Arm
from synth_quality.stats import mcnemar

# ------------------------------------------------------------------------------- summary

def summarise(arms, fitter, boot, config, signals) -> dict:
    metric = config.metric
    base = arms["real_only"]

    def fits(a: Arm, reps=None) -> dict:
        return {r: fitter.get(a.key, r) for r in (reps if reps is not None else a.replicates)}

    def lift_of(a: Arm, name: str = metric) -> dict:
        fa, fb = fits(a), fits(base, a.replicates)
        score = boot.plain(name, fa[0])
        diffs = boot.pooled(name, fa, fb)
        ci = boot.interval(diffs)
        return {"score": score, "lift": score - boot.plain(name, fb[0]), "lift_ci": ci,
                "p_value": boot.p_value(diffs), "verdict": verdict_of(ci)}

    out: dict = {"metric": metric, "metric_name": METRIC_NAMES[metric]}
    models = {"real_only": base, "real_plus_synthetic": arms["real_plus_synthetic"],
              "synthetic_only": arms["synthetic_only"]}
    out["metrics"] = {
        key: {m: {"score": boot.plain(m, fitter.get(a.key, 0)),
                  "ci": boot.interval(boot.pooled(m, fits(a)))} for m in METRICS}
        for key, a in models.items()}
    for key in models:
        out[key] = out["metrics"][key][metric]["score"]
        out[f"{key}_ci"] = out["metrics"][key][metric]["ci"]
    out["lifts"] = {}
    for m in METRICS:
        entry = lift_of(arms["real_plus_synthetic"], m)
        entry.pop("score")
        out["lifts"][m] = entry
    head = out["lifts"][metric]
    out.update(lift=head["lift"], lift_ci=head["lift_ci"], verdict=head["verdict"],
               p_value=head["p_value"])
    plain_base, plain_all = fitter.get(base.key, 0), fitter.get(arms["real_plus_synthetic"].key, 0)
    out["mcnemar_p"] = mcnemar(boot.y, plain_base[0], plain_all[0])

    out["per_generator"] = {g: {"n_synthetic": a.n_synthetic, **lift_of(a)}
                            for g, a in arms["per_generator"].items()}
    out["how_much"] = [{"fraction": a.extra["fraction"], "n_synthetic": a.n_synthetic,
                        **lift_of(a)} for a in arms["how_much"]]

    out["signals"] = {name: {"source": sig["source"], "n_flagged": sig["n_flagged"],
                             "worst_rows": sig["worst_rows"]} for name, sig in signals.items()}
    out["filter_and_retest"] = {}
    plain_base_fit = fitter.get(base.key, 0)

    def over_draws(draws, other) -> tuple[np.ndarray, np.ndarray]:
        """Pooled metric of the random draws (resample b uses draw b mod n_draws) and its
        difference from ``other`` (a plain fit) on the same resample."""
        values = np.full(config.n_bootstrap, np.nan)
        diffs = np.full(config.n_bootstrap, np.nan)
        for i, d in enumerate(draws):
            fit = fitter.get(d.key, 0)
            if fit is None or other is None:
                continue
            rows = boot.rows_for(i, len(draws))
            W = boot.W[rows]
            values[rows] = boot.metric(metric, fit[0], fit[1], W)
            diffs[rows] = values[rows] - boot.metric(metric, other[0], other[1], W)
        return values, diffs

    for name, points in arms["filter"].items():
        rows_out = []
        for a in points:
            draws = arms["random"][a.extra["percent"]]
            plain = [boot.plain(metric, fitter.get(d.key, 0)) for d in draws]
            random_mean = float(np.nanmean(plain)) if np.isfinite(plain).any() else float("nan")
            values, random_lift = over_draws(draws, plain_base_fit)
            _, random_vs_signal = over_draws(draws, fitter.get(a.key, 0))
            vs = -random_vs_signal  # signal - random, paired on each resample
            vs_ci = boot.interval(vs)
            verdict = verdict_of(vs_ci)
            entry = {"percent": a.extra["percent"], "n_dropped": a.extra["n_dropped"],
                     "n_synthetic": a.n_synthetic, **lift_of(a)}
            entry.update(
                random_mean=random_mean,
                random_ci=boot.interval(values),
                random_scores=plain,
                random_lift=random_mean - out["real_only"],
                random_lift_ci=boot.interval(random_lift),
                vs_random=entry["score"] - random_mean,
                vs_random_ci=vs_ci,
                vs_random_p=boot.p_value(vs),
                beats_random=verdict == "helps",
                vs_random_verdict={"helps": "better than random", "hurts": "worse than random",
                                   "no significant lift": "no different from random"}[verdict])
            rows_out.append(entry)
        out["filter_and_retest"][name] = rows_out
    return out


# ------------------------------------------------------------------------------- sentences

def _fmt(x: float, signed: bool = False) -> str:
    if x is None or not np.isfinite(x):
        return "n/a"
    return f"{x:+.3f}" if signed else f"{x:.3f}"


def verdict_sentence(s: dict) -> str:
    m = s["metric_name"]
    n_syn, n_eval = s["n_train_synthetic"], s["eval"]["n_rows"]
    real, both, lift = s["real_only"], s["real_plus_synthetic"], s["lift"]
    lo, hi = s["lift_ci"]
    level = 1 - s["config"]["alpha"]
    interval = f"{level:.0%} interval {_fmt(lo, True)} to {_fmt(hi, True)}"
    where = f"{m} on {n_eval:,} real evaluation rows"
    added = f"adding the {n_syn:,} synthetic rows"
    if s["verdict"] == "helps":
        text = (f"The synthetic data helps: {added} raises {where} from "
                f"{_fmt(real)} (real only) to {_fmt(both)} (real + synthetic), a lift of "
                f"{_fmt(lift, True)} ({interval}).")
    elif s["verdict"] == "hurts":
        text = (f"The synthetic data hurts: {added} lowers {where} from "
                f"{_fmt(real)} (real only) to {_fmt(both)} (real + synthetic), a lift of "
                f"{_fmt(lift, True)} ({interval}); train on the real rows alone, or filter the "
                "synthetic rows first.")
    else:
        half = (hi - lo) / 2 if np.isfinite(lo) and np.isfinite(hi) else float("nan")
        text = (f"No significant lift: {added} changes {where} from "
                f"{_fmt(real)} (real only) to {_fmt(both)} (real + synthetic), a lift of "
                f"{_fmt(lift, True)} ({interval}, which includes 0). With these data a lift "
                f"smaller than about +-{_fmt(half)} cannot be told from chance.")
    syn = s["synthetic_only"]
    if syn is not None and np.isfinite(syn):
        text += f" A model trained on the synthetic rows alone scores {_fmt(syn)}."
    return text


def findings(s: dict) -> list[str]:
    out = []
    gens = s.get("per_generator") or {}
    if len(gens) > 1:
        parts = [f"{g} {_fmt(e['lift'], True)} ({e['verdict']})" for g, e in gens.items()]
        out.append("Lift per generator (real + that generator's rows): " + "; ".join(parts) + ".")
    curve = s.get("how_much") or []
    if len(curve) > 1:
        parts = [f"{e['fraction']:.0%} {_fmt(e['lift'], True)}" for e in curve]
        out.append("Lift by share of the synthetic rows added: " + ", ".join(parts) + ".")
    fr = s.get("filter_and_retest") or {}
    better = [f"{name} at {e['percent']:g}% ({_fmt(e['vs_random'], True)})"
              for name, rows in fr.items() for e in rows if e["beats_random"]]
    worse = [f"{name} at {e['percent']:g}%" for name, rows in fr.items() for e in rows
             if e["vs_random_verdict"] == "worse than random"]
    if fr:
        if better:
            out.append("Dropping the rows the audit ranks worst beats dropping as many at random "
                       "for: " + "; ".join(better) + ".")
        else:
            out.append("Dropping the rows the audit ranks worst is never significantly better "
                       "than dropping as many at random.")
        if worse:
            out.append("It is significantly worse than random for: " + "; ".join(worse) + ".")
    ev = s["eval"]
    if ev["n_excluded_leakage"]:
        out.append(f"{plural(ev['n_excluded_leakage'], 'evaluation row')} also appeared among the "
                   f"training rows ({ev['n_exact']} exact, {ev['n_near']} near copies) and "
                   f"{'was' if ev['n_excluded_leakage'] == 1 else 'were'} left out.")
    return out


def eval_table(eval_frame, leak, fitter, arms, classes, keep) -> pd.DataFrame:
    table = pd.DataFrame({"row": eval_frame["row"].to_numpy(np.int64),
                          "text": eval_frame["text"].astype(str).to_numpy(object),
                          "label": eval_frame["label"].to_numpy(object),
                          "excluded": leak["excluded"],
                          "leakage": leak["kind"].astype(str),
                          "leak_side": leak["side"].astype(str),
                          "leak_row": pd.array(np.where(leak["row"] >= 0, leak["row"], 0),
                                               dtype="Int64"),
                          "leak_similarity": leak["similarity"].astype(np.float64)})
    table.loc[leak["row"] < 0, "leak_row"] = pd.NA
    names = np.asarray(classes, dtype=object)
    for key in ("real_only", "real_plus_synthetic", "synthetic_only"):
        col = np.full(len(table), None, dtype=object)
        fit = fitter.get(arms[key].key, 0)
        if fit is not None:
            col[np.flatnonzero(keep)] = names[fit[0]]
        table[f"pred_{key}"] = col
    return table
