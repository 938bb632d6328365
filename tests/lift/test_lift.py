"""Tests of the real-data control (synth_quality.lift and ``synth-quality lift``).

Small cases with a known answer use the fast hashing embedder of conftest: two classes of texts
built from class-specific word pools plus shared filler words, so a linear model on the
hashed vectors learns the task from a few hundred rows. One slow test runs the real model on
the shared reference case (../shared/data) and checks the figures measured there by hand.
"""

from __future__ import annotations

import json
import math
import pickle

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner

from conftest import FILLER, SHARED_DATA, HashingEmbedder, reviews
from synth_quality.config import EmbedConfig
from synth_quality.errors import ConfigError, InputDataError
from synth_quality.io import load_inputs
from synth_quality.lift.config import HELD_OUT_SOURCE, VERDICTS, LiftConfig
from synth_quality.lift.result import LIFT_FILE, LiftResult
from synth_quality.lift.run import run_lift
from synth_quality.stats import weighted_auc

REQUIRED_KEYS = ("metric", "real_only", "real_plus_synthetic", "synthetic_only", "lift",
                 "lift_ci", "verdict")


NO_CACHE = EmbedConfig(use_cache=False)
FAST = LiftConfig(n_seeds=2, curve_seeds=1, n_bootstrap=300, fractions=(0.5, 1.0),
                  drop_percents=(20,), n_random_draws=2)




def noisy(frame: pd.DataFrame, rng) -> pd.DataFrame:
    """The same texts with labels drawn at random: pure label noise."""
    out = frame.copy()
    out["sentiment"] = rng.choice(["positive", "negative"], len(out))
    return out


@pytest.fixture(scope="module")
def case():
    rng = np.random.default_rng(1)
    return {"real": reviews(rng, 120, "r"), "eval": reviews(rng, 300, "e"),
            "same": reviews(rng, 1000, "s"), "noise": noisy(reviews(rng, 1000, "n"), rng)}


def lift(real, synthetic, eval_data=None, config=FAST, **kwargs) -> LiftResult:
    inputs = load_inputs(real=real, synthetic=synthetic, label_column="sentiment",
                         generator_column=kwargs.pop("generator_column", None))
    return run_lift(inputs, eval_data, config=config, embed_config=NO_CACHE,
                    embedder=HashingEmbedder(), **kwargs)


# ------------------------------------------------------------------- known answers

def test_pure_label_noise_hurts(case):
    """Synthetic rows with random labels make the real task worse, and the interval says so."""
    s = lift(case["real"], case["noise"], case["eval"]).summary
    assert s["verdict"] == "hurts"
    assert s["lift_ci"][1] < 0
    assert s["real_plus_synthetic"] < s["real_only"] - 0.05
    assert s["synthetic_only"] < 0.65  # random labels teach nothing
    assert s["verdict_sentence"].startswith("The synthetic data hurts")
    assert s["p_value"] < 0.05


def test_same_distribution_does_not_hurt(case):
    """Synthetic rows drawn like the real ones, correctly labelled, do not hurt (here they help)."""
    s = lift(case["real"], case["same"], case["eval"]).summary
    assert s["verdict"] in ("helps", "no significant lift")
    assert s["lift"] > 0 and s["lift_ci"][1] > 0
    assert s["synthetic_only"] > 0.75
    assert s["lift_ci"][0] <= s["lift"] <= s["lift_ci"][1]


def test_scores_match_sklearn_on_the_saved_predictions(case):
    """The reported plain scores are the metrics of the predictions written per evaluation row."""
    from sklearn.metrics import accuracy_score, f1_score

    r = lift(case["real"], case["noise"], case["eval"])
    rows = r.eval_rows[~r.eval_rows["excluded"]]
    for model in ("real_only", "real_plus_synthetic", "synthetic_only"):
        pred = rows[f"pred_{model}"].astype(str)
        got = r.summary["metrics"][model]
        assert got["accuracy"]["score"] == pytest.approx(accuracy_score(rows["label"], pred))
        assert got["macro_f1"]["score"] == pytest.approx(
            f1_score(rows["label"], pred, average="macro"))
        lo, hi = got["accuracy"]["ci"]
        assert lo < hi
    assert r.summary["real_only"] == r.summary["metrics"]["real_only"]["accuracy"]["score"]


def test_per_generator_separates_good_from_noisy_generator(case):
    """Real + the noisy generator hurts; real + the faithful one does not."""
    rng = np.random.default_rng(5)
    good = case["same"].iloc[:500].assign(gen="faithful")
    bad = noisy(case["same"].iloc[500:], rng).assign(gen="noisy")
    r = lift(case["real"], pd.concat([good, bad], ignore_index=True), case["eval"],
             generator_column="gen")
    per = r.summary["per_generator"]
    assert set(per) == {"faithful", "noisy"}
    assert per["noisy"]["verdict"] == "hurts"
    assert per["faithful"]["verdict"] != "hurts"
    assert per["faithful"]["lift"] > per["noisy"]["lift"] + 0.05
    assert per["noisy"]["n_synthetic"] == 500


def test_filter_by_audit_ranking_beats_random(case):
    """When the audit ranks the mislabelled rows worst, dropping them beats random drops."""
    flipped = case["same"].iloc[600:].replace(
        {"sentiment": {"positive": "negative", "negative": "positive"}})
    synthetic = pd.concat([case["same"].iloc[:600], flipped], ignore_index=True)
    examples = pd.DataFrame({"side": "synthetic", "row": np.arange(1000),
                             "text": synthetic["text"],
                             "label_issue_score": np.r_[np.full(600, 0.5), np.full(400, 0.01)]})
    config = LiftConfig(n_seeds=2, curve_seeds=1, n_bootstrap=300, fractions=(1.0,),
                        drop_percents=(40,), n_random_draws=3, signals=("label_issue",))
    r = lift(case["real"], synthetic, case["eval"], config=config, audit_examples=examples)
    s = r.summary
    assert s["signals"]["label_issue"]["source"] == "audit"
    assert s["signals"]["label_issue"]["n_flagged"] == 400
    assert set(s["signals"]["label_issue"]["worst_rows"]) <= set(range(600, 1000))
    (entry,) = s["filter_and_retest"]["label_issue"]
    assert entry["n_dropped"] == 400 and entry["n_synthetic"] == 600
    assert entry["beats_random"] is True
    assert entry["vs_random_verdict"] == "better than random"
    assert entry["score"] > max(entry["random_scores"])
    assert len(entry["random_scores"]) == 3
    assert entry["verdict"] == "helps" and s["verdict"] != "helps"
    assert "beats dropping as many at random for: label_issue at 40%" in " ".join(s["findings"])


def test_filter_computes_signals_without_an_audit(case):
    """Without audit examples every signal is computed here, and each point has its numbers."""
    synthetic = pd.concat([case["same"].iloc[:300], case["real"].iloc[:20]], ignore_index=True)
    r = lift(case["real"], synthetic, case["eval"])
    s = r.summary
    assert set(s["filter_and_retest"]) == {"label_issue", "outlier", "duplicate", "degeneration",
                                           "label_quality"}
    assert all(v["source"] == "computed" for v in s["signals"].values())
    # the 20 verbatim copies of real rows are what the duplicate signal flags
    assert s["signals"]["duplicate"]["n_flagged"] == 20
    for rows in s["filter_and_retest"].values():
        (entry,) = rows
        assert entry["n_dropped"] == math.ceil(0.2 * 320)
        assert entry["vs_random_verdict"] in ("better than random", "no different from random",
                                              "worse than random")
        assert entry["lift_ci"][0] <= entry["lift_ci"][1]


def test_every_signal_reads_the_audit_columns_with_their_dtypes(case):
    """An audit's examples table (nullable ints, NaN on real rows) drives all five signals."""
    n_syn = 200
    synthetic = case["same"].iloc[:n_syn]
    real_rows = pd.DataFrame({"side": "real", "row": np.arange(120), "text": case["real"]["text"],
                              "near_duplicate_group": pd.array([7] + [None] * 119, dtype="Int64"),
                              "nearest_real_similarity": np.nan})
    group = pd.array([None] * n_syn, dtype="Int64")
    group[:3] = 7          # three copies of a real row's group
    group[10:14] = 8       # one synthetic group of four: three redundant members
    syn_rows = pd.DataFrame({
        "side": "synthetic", "row": np.arange(n_syn), "text": synthetic["text"].to_numpy(),
        "label_issue_score": np.linspace(0.0, 0.5, n_syn),
        "outlier_score": np.linspace(1.0, 0.0, n_syn), "is_outlier": np.arange(n_syn) < 7,
        "near_duplicate_group": group, "near_duplicate_group_size": 1,
        "is_copy_of_real": np.arange(n_syn) == 50, "nearest_real_similarity": 0.5,
        "repetition_score": np.r_[np.full(5, 0.6), np.zeros(n_syn - 5)],
        # label quality: the last rows look least like their label; 9 flagged; one not judged
        "label_quality": np.r_[np.nan, np.linspace(1.0, 0.0, n_syn - 1)],
        "is_label_issue": np.arange(n_syn) >= n_syn - 9})
    examples = pd.concat([real_rows, syn_rows], ignore_index=True)
    config = LiftConfig(n_seeds=1, n_bootstrap=200, fractions=(1.0,),
                        drop_percents=(10,), n_random_draws=2)
    s = lift(case["real"], synthetic, case["eval"], config=config,
             audit_examples=examples).summary
    assert {k: v["source"] for k, v in s["signals"].items()} == dict.fromkeys(
        ("label_issue", "outlier", "duplicate", "degeneration", "label_quality"), "audit")
    flagged = {k: v["n_flagged"] for k, v in s["signals"].items()}
    # label issue < 0.1: the first 40 rows; 7 outliers; 3 + 1 copies and 3 redundant; 5 loops;
    # 9 label issues
    assert flagged == {"label_issue": 40, "outlier": 7, "duplicate": 7, "degeneration": 5,
                       "label_quality": 9}
    assert all(rows[0]["n_dropped"] == 20 for rows in s["filter_and_retest"].values())
    worst = {k: v["worst_rows"] for k, v in s["signals"].items()}
    assert worst["label_issue"][:5] == [0, 1, 2, 3, 4]      # lowest label issue score first
    assert worst["outlier"][:5] == [0, 1, 2, 3, 4]          # highest outlier score first
    # copies of real rows (the group of three with a real row first), then redundant members
    dup = worst["duplicate"]
    assert (set(dup[:3]), dup[3], set(dup[4:7])) == ({0, 1, 2}, 50, {11, 12, 13})
    assert sorted(worst["degeneration"][:5]) == [0, 1, 2, 3, 4]
    assert worst["label_quality"][:3] == [199, 198, 197]   # lowest label quality first
    assert 0 not in worst["label_quality"]                  # not judged: not doubted


def test_label_quality_signal_drops_the_flipped_labels_first(case):
    """A quarter of the synthetic labels flipped: the label quality signal ranks them first
    (from only 120 real rows and bag-of-words vectors, so not all of them) and dropping the
    rows it ranks worst does at least as well as dropping as many rows at random."""
    rng = np.random.default_rng(7)
    synthetic = case["same"].iloc[:400].copy()
    flipped = rng.permutation(400)[:100]
    synthetic.iloc[flipped, synthetic.columns.get_loc("sentiment")] = synthetic["sentiment"].iloc[
        flipped].map({"positive": "negative", "negative": "positive"}).to_numpy()
    config = LiftConfig(n_seeds=2, curve_seeds=2, n_bootstrap=300, fractions=(1.0,),
                        drop_percents=(25,), n_random_draws=3, signals=("label_quality",))
    s = lift(case["real"], synthetic, case["eval"], config=config).summary
    sig = s["signals"]["label_quality"]
    assert sig["source"] == "computed"
    found = len(set(sig["worst_rows"]) & set(flipped.tolist()))
    assert found >= 12  # of the 20 rows listed as worst (5 expected by chance)
    assert sig["n_flagged"] >= 80
    (entry,) = s["filter_and_retest"]["label_quality"]
    assert entry["n_dropped"] == 100 and entry["score"] >= np.mean(entry["random_scores"])


def test_how_much_uses_nested_shares_and_matches_the_headline(case):
    r = lift(case["real"], case["same"], case["eval"],
             config=LiftConfig(n_seeds=2, curve_seeds=1, n_bootstrap=300,
                               fractions=(0.25, 1.0), signals=()))
    curve = r.summary["how_much"]
    assert [e["n_synthetic"] for e in curve] == [250, 1000]
    assert curve[-1]["lift"] == r.summary["lift"]
    assert curve[-1]["lift_ci"] == r.summary["lift_ci"]
    assert r.summary["filter_and_retest"] == {}


# ---------------------------------------------------------------------- evaluation set

def test_leakage_guard_excludes_planted_copies(case):
    """Exact copies (up to case and spaces) and near copies (same words reordered) are excluded."""
    ev = case["eval"].iloc[:100].copy()
    exact = case["same"].iloc[:6]["text"].str.upper().str.replace(" ", "  ")  # synthetic rows
    near = [" ".join(reversed(t.split())) for t in case["real"]["text"].iloc[:4]]  # real rows
    planted = pd.DataFrame({"text": list(exact) + near,
                            "sentiment": list(case["same"]["sentiment"].iloc[:6])
                            + list(case["real"]["sentiment"].iloc[:4])})
    ev = pd.concat([ev, planted], ignore_index=True)
    r = lift(case["real"], case["same"], ev, config=LiftConfig(
        n_seeds=1, n_bootstrap=200, fractions=(1.0,), signals=()))
    e = r.summary["eval"]
    assert (e["n_rows_given"], e["n_excluded_leakage"], e["n_rows"]) == (110, 10, 100)
    assert (e["n_exact"], e["n_near"]) == (6, 4)
    assert e["excluded_by_side"] == {"real": 4, "synthetic": 6}
    assert r.eval_rows["excluded"].tolist() == [False] * 100 + [True] * 10
    assert r.eval_rows["leakage"].iloc[100:].tolist() == ["exact"] * 6 + ["near"] * 4
    assert r.eval_rows["pred_real_only"].iloc[100:].isna().all()
    kinds = {x["kind"] for x in e["leakage_examples"]}
    assert kinds <= {"exact", "near"} and len(e["leakage_examples"]) == 5
    assert "left out" in " ".join(r.summary["findings"])


def test_held_out_split_is_stratified_and_real(case):
    r = lift(case["real"], case["same"], None, config=LiftConfig(
        n_seeds=1, n_bootstrap=200, fractions=(1.0,), signals=()))
    s = r.summary
    assert s["eval"]["source"] == HELD_OUT_SOURCE
    assert s["eval"]["n_rows_given"] == 36  # 30% of 60 per class
    assert s["eval"]["label_counts"] == {"negative": 18, "positive": 18}
    assert s["n_train_real"] == 84 and s["n_train_synthetic"] == 1000
    held = set(r.eval_rows["text"])
    assert held <= set(case["real"]["text"])


def test_eval_labels_outside_training_are_refused(case):
    ev = case["eval"].copy()
    ev.loc[:2, "sentiment"] = "neutral"
    with pytest.raises(InputDataError, match=r"labels the training rows do not have: "
                                             r"neutral \(3 rows\)"):
        lift(case["real"], case["same"], ev)


def test_eval_rows_marked_synthetic_are_refused(case):
    ev = case["eval"].assign(source="real")
    ev.loc[5, "source"] = "synthetic"
    with pytest.raises(InputDataError, match=r"marked synthetic in column 'source' \(rows 5\)"):
        lift(case["real"], case["same"], ev)


def test_eval_file_missing_label_column(case, tmp_path):
    path = tmp_path / "eval.csv"
    case["eval"].rename(columns={"sentiment": "stars"}).to_csv(path, index=False)
    with pytest.raises(InputDataError, match=r"column 'sentiment' not found .*--eval-label-column"):
        lift(case["real"], case["same"], str(path))


def test_eval_file_with_other_columns_and_cp1252(case, tmp_path):
    """An evaluation file in cp1252 with its own column names is read, and the note says so."""
    path = tmp_path / "eval.csv"
    ev = case["eval"].rename(columns={"text": "snippet", "sentiment": "polarity"})
    ev.loc[0, "snippet"] += " caf\u00e9 \u2014"
    path.write_bytes(ev.to_csv(index=False).encode("cp1252"))
    r = lift(case["real"], case["same"], str(path), eval_text_column="snippet",
             eval_label_column="polarity", config=LiftConfig(
                 n_seeds=1, n_bootstrap=200, fractions=(1.0,), signals=()))
    assert r.summary["eval"]["source"] == str(path)
    assert r.summary["eval"]["n_rows"] == 300
    assert r.eval_rows["text"].iloc[0].endswith("caf\u00e9 \u2014")
    assert any("cp1252" in w for w in r.warnings)


def test_no_label_column_is_a_clear_error(case):
    inputs = load_inputs(real=case["real"], synthetic=case["same"])
    with pytest.raises(InputDataError, match="--label-column"):
        run_lift(inputs, case["eval"], embed_config=NO_CACHE, embedder=HashingEmbedder())


def test_synthetic_labels_unknown_to_real_rows_are_refused(case):
    synthetic = case["same"].replace({"sentiment": {"positive": "1", "negative": "0"}})
    with pytest.raises(InputDataError, match=r"no real row has \(0, 1; real labels: "
                                             r"negative, positive\)"):
        lift(case["real"], synthetic, case["eval"])


def test_audit_examples_of_other_inputs_are_refused(case):
    examples = pd.DataFrame({"side": "synthetic", "row": np.arange(10), "text": "x",
                             "label_issue_score": 0.5})
    with pytest.raises(InputDataError, match=r"does not cover 990 synthetic rows"):
        lift(case["real"], case["same"], case["eval"], audit_examples=examples)
    examples = pd.DataFrame({"side": "synthetic", "row": np.arange(1000), "text": "other text",
                             "label_issue_score": 0.5})
    with pytest.raises(InputDataError, match=r"texts differ from these inputs at 1000 rows"):
        lift(case["real"], case["same"], case["eval"], audit_examples=examples)


# ------------------------------------------------------------------------------ config

@pytest.mark.parametrize("kwargs, match", [
    ({"n_seeds": 0}, r"lift\.n_seeds \(0\) must be between 1 and 100"),
    ({"n_bootstrap": 10}, r"lift\.n_bootstrap \(10\) must be between 100 and 100000"),
    ({"curve_seeds": 3, "n_seeds": 2}, r"lift\.curve_seeds \(3\) must be at most lift\.n_seeds"),
    ({"alpha": 0.6}, r"lift\.alpha \(0\.6\) must be in \(0\.0, 0\.5\)"),
    ({"metric": "f1"}, r"lift\.metric \('f1'\) must be one of accuracy, macro_f1, auc"),
    ({"fractions": ()}, r"lift\.fractions must not be empty"),
    ({"fractions": (0.5, 1.5)}, r"lift\.fractions \(1\.5\) must be in \(0\.0, 1\.0\]"),
    ({"drop_percents": (10, 100)}, r"lift\.drop_percents \(100\) must be in \(0\.0, 100\.0\)"),
    ({"signals": ("label_issue", "vibes")}, r"unknown signal\(s\) \['vibes'\]"),
    ({"holdout_fraction": 1.0}, r"lift\.holdout_fraction \(1\.0\) must be in \(0\.0, 1\.0\)"),
    ({"near_duplicate_similarity": 0.3}, r"lift\.near_duplicate_similarity \(0\.3\)"),
    ({"n_random_draws": 1.5}, r"lift\.n_random_draws must be an integer, got 1\.5"),
])
def test_config_validation_names_field_value_and_limit(kwargs, match):
    with pytest.raises(ConfigError, match=match) as info:
        LiftConfig(**kwargs)
    assert "\n" not in str(info.value)


def test_config_round_trips_through_a_dict():
    config = LiftConfig(fractions=[1.0, 0.5], drop_percents=[10], signals=["outlier"])
    assert config.fractions == (0.5, 1.0) and config.signals == ("outlier",)
    again = LiftConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config
    with pytest.raises(ConfigError, match=r"unknown lift setting\(s\) \['seeds'\]"):
        LiftConfig.from_dict({"seeds": 3})


# ------------------------------------------------------------------------------ result

def test_result_saves_loads_and_pickles(case, tmp_path):
    r = lift(case["real"], case["noise"], case["eval"])
    folder = r.save(tmp_path / "out")
    text = (folder / LIFT_FILE).read_text(encoding="utf-8")
    data = json.loads(text, parse_constant=lambda c: pytest.fail(f"{c} in lift.json"))
    for key in REQUIRED_KEYS + ("verdict_sentence", "p_value", "metrics", "eval", "model",
                                "per_generator", "how_much", "filter_and_retest", "timings",
                                "config", "n_train_real", "n_train_synthetic"):
        assert key in data, key
    assert data["verdict"] in VERDICTS
    assert len(data["lift_ci"]) == 2 and data["lift_ci"][0] <= data["lift_ci"][1]
    assert data["eval"]["n_rows"] == 300 and data["n_train_synthetic"] == 1000
    assert data["model"].startswith("LogisticRegression(max_iter=2000")
    assert data["timings"]["n_fits"] > 0
    loaded = LiftResult.load(folder)
    assert loaded.verdict == r.verdict and loaded.lift == pytest.approx(r.lift)
    assert loaded.eval_rows["text"].tolist() == r.eval_rows["text"].tolist()
    copy = pickle.loads(pickle.dumps(r))
    assert copy.to_dict() == r.to_dict()
    with pytest.raises(InputDataError, match="holds no lift.json"):
        LiftResult.load(tmp_path / "nowhere")


def test_same_seed_same_numbers_other_seed_other_split(case):
    strip = ("timings",)
    a = lift(case["real"], case["noise"], case["eval"]).to_dict()
    b = lift(case["real"], case["noise"], case["eval"]).to_dict()
    assert {k: v for k, v in a.items() if k not in strip} == {k: v for k, v in b.items()
                                                               if k not in strip}
    config = LiftConfig(n_seeds=1, n_bootstrap=200, fractions=(1.0,), signals=())
    one = lift(case["real"], case["same"], None, config=config)
    other = lift(case["real"], case["same"], None,
                 config=LiftConfig.from_dict({**config.to_dict(), "random_state": 1}))
    assert set(one.eval_rows["row"]) != set(other.eval_rows["row"])


def test_progress_ticks_once_per_fit(case):
    calls = []
    inputs = load_inputs(real=case["real"], synthetic=case["noise"], label_column="sentiment")
    r = run_lift(inputs, case["eval"], config=FAST, embed_config=NO_CACHE,
                 embedder=HashingEmbedder(), progress=lambda *a: calls.append(a))
    ticks = [c for c in calls if c[0] == "lift"]
    n_fits = r.summary["timings"]["n_fits"]
    assert ticks[0] == ("lift", 0, n_fits) and ticks[-1] == ("lift", n_fits, n_fits)
    assert len(ticks) == n_fits + 1
    assert any(c[0] == "embedding" for c in calls)


def test_model_without_sample_weight_and_other_metric(case):
    """A pluggable model whose fit takes no sample_weight is resampled instead; AUC as metric."""
    from sklearn.neighbors import KNeighborsClassifier

    r = lift(case["real"], case["noise"], case["eval"],
             config=LiftConfig(metric="auc", n_seeds=2, curve_seeds=1, n_bootstrap=200,
                               fractions=(1.0,), signals=()),
             model_factory=lambda seed: KNeighborsClassifier(n_neighbors=15),
             model_name="15-NN")
    s = r.summary
    assert s["metric"] == "auc" and s["model"] == "15-NN"
    assert s["real_only"] == s["metrics"]["real_only"]["auc"]["score"]
    assert 0.5 < s["real_only"] <= 1.0
    assert s["verdict"] in VERDICTS


def test_bootstrap_is_paired():
    """Two models with the same predictions differ by exactly 0 on every resample; a model that
    is right on 10 more of 200 rows gains exactly 0.05 on average, with a narrow interval."""
    from synth_quality.lift.bootstrap import Bootstrap

    rng = np.random.default_rng(0)
    y = rng.integers(0, 2, 200)
    boot = Bootstrap(y, 2, LiftConfig(n_bootstrap=500), rng)
    pred = np.where(rng.random(200) < 0.7, y, 1 - y)
    same = {0: (pred, None), 1: (pred.copy(), None)}
    diffs = boot.pooled("accuracy", same, {0: (pred, None), 1: (pred, None)})
    assert np.all(diffs == 0) and boot.interval(diffs) == [0.0, 0.0]
    better = pred.copy()
    wrong = np.flatnonzero(pred != y)[:10]
    better[wrong] = y[wrong]
    diffs = boot.pooled("accuracy", {0: (better, None)}, {0: (pred, None)})
    lo, hi = boot.interval(diffs)
    assert diffs.mean() == pytest.approx(0.05, abs=0.005)
    assert 0 < lo < 0.05 < hi < 0.1  # only the 10 changed rows vary: far tighter than unpaired
    assert boot.p_value(diffs) < 0.01


def test_three_classes(case):
    """More than two classes: accuracy and macro-F1 work, AUC is absent (null in lift.json)."""
    rng = np.random.default_rng(11)

    def three(frame):
        out = frame.copy()
        neutral = rng.random(len(out)) < 0.33
        out.loc[neutral, "text"] = [" ".join(rng.choice(FILLER, 8)) + " meh"
                                    for _ in range(neutral.sum())]
        out.loc[neutral, "sentiment"] = "neutral"
        return out

    config = LiftConfig(n_seeds=2, n_bootstrap=200, fractions=(1.0,), signals=())
    r = lift(three(case["real"]), three(case["same"]), three(case["eval"]), config=config)
    data = json.loads(json.dumps(r.to_dict()))
    assert data["labels"] == ["negative", "neutral", "positive"]
    assert data["metrics"]["real_only"]["auc"] == {"score": None, "ci": [None, None]}
    assert 0.7 < data["metrics"]["real_plus_synthetic"]["macro_f1"]["score"] <= 1
    assert data["verdict"] == "helps"  # 120 real rows are too few for three classes
    with pytest.raises(ConfigError, match=r"'auc' needs two classes; 'sentiment' has 3"):
        lift(three(case["real"]), three(case["same"]), three(case["eval"]),
             config=LiftConfig(metric="auc", n_seeds=1, n_bootstrap=200, signals=()))


def test_one_class_synthetic_rows_have_no_synthetic_only_model(case):
    synthetic = case["same"][case["same"]["sentiment"] == "positive"]
    r = lift(case["real"], synthetic, case["eval"], config=LiftConfig(
        n_seeds=2, n_bootstrap=200, fractions=(1.0,), signals=()))
    data = r.to_dict()
    assert data["synthetic_only"] is None and data["synthetic_only_ci"] == [None, None]
    assert data["real_plus_synthetic"] is not None and data["verdict"] in VERDICTS
    assert any("only one class" in w for w in r.warnings)
    assert "synthetic rows alone scores" not in data["verdict_sentence"]


def test_weighted_auc_equals_auc_of_repeated_rows():
    from sklearn.metrics import roc_auc_score

    rng = np.random.default_rng(3)
    y = rng.integers(0, 2, 60)
    score = np.round(rng.random(60), 1)  # many ties
    counts = rng.integers(0, 4, size=(5, 60)).astype(np.float32)
    got = weighted_auc(y, score, counts)
    for b in range(5):
        idx = np.repeat(np.arange(60), counts[b].astype(int))
        assert got[b] == pytest.approx(roc_auc_score(y[idx], score[idx]))


# --------------------------------------------------------------------------------- CLI

@pytest.fixture
def files(case, tmp_path):
    real = tmp_path / "real.csv"
    synth = tmp_path / "synth.csv"
    ev = tmp_path / "eval.csv"
    case["real"].iloc[:60].to_csv(real, index=False)
    case["noise"].iloc[:300].to_csv(synth, index=False)
    case["eval"].iloc[:100].to_csv(ev, index=False)
    return real, synth, ev


def invoke(args):
    from synth_quality.cli.main import main

    return CliRunner().invoke(main, ["lift", *map(str, args)])


def test_cli_without_label_column_is_one_line_error(files, tmp_path):
    real, synth, ev = files
    result = invoke(["--real", real, "--synthetic", synth, "--eval", ev, "--out",
                     tmp_path / "out"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: ") and result.output.count("\n") == 1
    assert "--label-column" in result.output
    assert not (tmp_path / "out").exists()


def test_cli_missing_eval_file_is_one_line_error(files, tmp_path):
    real, synth, _ = files
    result = invoke(["--real", real, "--synthetic", synth, "--label-column", "sentiment",
                     "--eval", tmp_path / "nope.csv", "--out", tmp_path / "out"])
    assert result.exit_code == 1
    assert result.output == f"Error: evaluation file not found: {tmp_path / 'nope.csv'}\n"


def test_cli_bad_audit_dir_is_one_line_error(files, tmp_path):
    real, synth, ev = files
    result = invoke(["--real", real, "--synthetic", synth, "--label-column", "sentiment",
                     "--eval", ev, "--audit-dir", tmp_path, "--out", tmp_path / "out"])
    assert result.exit_code == 1
    assert "missing examples.parquet" in result.output and result.output.count("\n") == 1


def test_cli_writes_lift_json(files, tmp_path, monkeypatch):
    monkeypatch.setattr("synth_quality.embed.api.make_embedder", lambda config: HashingEmbedder())
    monkeypatch.setenv("SYNTH_QUALITY_CACHE_DIR", str(tmp_path / "cache"))
    real, synth, ev = files
    out = tmp_path / "out"
    result = invoke(["--real", real, "--synthetic", synth, "--label-column", "sentiment",
                     "--eval", ev, "--out", out, "--quiet", "--seeds", "2", "--bootstrap", "200"])
    assert result.exit_code == 0, result.output
    data = json.loads((out / LIFT_FILE).read_text(encoding="utf-8"))
    for key in REQUIRED_KEYS:
        assert key in data, key
    assert data["eval"]["source"] == str(ev) and data["eval"]["n_rows"] == 100
    assert data["config"]["n_seeds"] == 2 and data["config"]["n_bootstrap"] == 200
    assert f"verdict: {data['verdict']}" in result.output
    assert f"real only {data['real_only']:.3f}" in result.output
    assert any((tmp_path / "cache").rglob("*.npz"))  # embeddings went to the shared cache


# ------------------------------------------------------------------- reference case

@pytest.mark.slow
def test_reference_case_reports_no_significant_lift(tmp_path_factory, monkeypatch):
    """The shared reference case: about 0.74 either way, and no significant lift."""
    case_csv, eval_csv = SHARED_DATA / "rt_seed_case.csv", SHARED_DATA / "rt_eval.csv"
    if not (case_csv.is_file() and eval_csv.is_file()):
        pytest.skip(f"shared reference data not found in {SHARED_DATA} (../shared/data beside "
                    "the repository)")
    import os

    if not os.environ.get("SYNTH_QUALITY_CACHE_DIR"):
        monkeypatch.setenv("SYNTH_QUALITY_CACHE_DIR", str(tmp_path_factory.mktemp("cache")))
    r = run_lift(data=str(case_csv), label_column="sentiment", generator_column="generator",
                 eval_data=str(eval_csv))
    s = r.summary
    assert s["metric"] == "accuracy" and s["eval"]["n_rows"] == 1000
    assert s["n_train_real"] == 1000 and s["n_train_synthetic"] == 8350
    assert 0.70 <= s["real_only"] <= 0.78
    assert 0.70 <= s["real_plus_synthetic"] <= 0.78
    assert 0.65 <= s["synthetic_only"] <= 0.78
    assert abs(s["lift"]) < 0.03
    assert s["verdict"] == "no significant lift"
    lo, hi = s["lift_ci"]
    assert lo < 0 < hi and hi - lo > 0.02  # one point is not significant at 1,000 rows
    assert set(s["per_generator"]) == {"supergen", "fewgen"}
    assert s["timings"]["fitting"] < 300
