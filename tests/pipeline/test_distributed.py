"""synth-quality audit --engine ray: embedding and text checks as Ray Data jobs on a real local
Ray cluster, writing Parquet shards that the single-node stages read; the findings equal the
single-process audit's. One Ray run, started from the command line as a user starts it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from conftest import planted_frames

pytest.importorskip("ray")
pytestmark = pytest.mark.slow

# No embedding cache: the Ray workers must really embed (a shared cache would hand both audits
# the same vectors whatever the workers did).
SETTINGS = {"embed": {"use_cache": False}, "project": {"cache": False},
            "cluster": {"min_cluster_size": 10}}


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    from click.testing import CliRunner

    from synth_quality import AuditConfig, AuditResult, audit
    from synth_quality.cli.main import main

    tmp = tmp_path_factory.mktemp("ray")
    real, synthetic = planted_frames()
    real.to_csv(tmp / "real.csv", index=False)
    synthetic.to_csv(tmp / "synth.csv", index=False)
    (tmp / "settings.json").write_text(json.dumps(SETTINGS))
    files = ["--real", str(tmp / "real.csv"), "--synthetic", str(tmp / "synth.csv"),
             "--text-column", "text", "--label-column", "sentiment",
             "--generator-column", "generator"]
    result = CliRunner().invoke(main, ["audit", *files, "--engine", "ray", "--quiet",
                                       "--config", str(tmp / "settings.json"),
                                       "--shards", str(tmp / "shards"),
                                       "--out", str(tmp / "on-ray")])
    assert result.exit_code == 0, result.output
    local = audit(real=str(tmp / "real.csv"), synthetic=str(tmp / "synth.csv"),
                  text_column="text", label_column="sentiment", generator_column="generator",
                  config=AuditConfig.from_dict(SETTINGS))
    local.save(tmp / "local")
    return AuditResult.load(tmp / "on-ray"), AuditResult.load(tmp / "local"), tmp, files


def test_the_ray_jobs_wrote_every_row_to_parquet_shards(both):
    import pyarrow.parquet as pq

    on_ray, local, tmp, _ = both
    table = pq.read_table(str(tmp / "shards")).to_pandas()
    assert sorted(table["position"]) == list(range(len(local.examples)))
    assert {"embedding", "repetition_score", "has_uppercase"} <= set(table.columns)
    assert on_ray.summary["engine"]["engine"] == "ray"
    assert on_ray.summary["engine"]["nodes"] >= 1
    assert local.summary["engine"] == {"engine": "local"}
    assert local.summary["embedding"]["n_from_cache"] == 0


def test_the_findings_equal_the_single_process_audit(both):
    on_ray, local, _, _ = both
    a, b = on_ray.examples, local.examples
    for column in ("side", "row", "text", "category", "reason", "cluster", "is_outlier",
                   "is_detectable", "is_uncovered", "is_copy_of_real", "is_degenerate",
                   "near_duplicate_group_size", "nearest_real_row", "nearest_synthetic_row",
                   "repetition_score", "has_uppercase", "n_words"):
        pd.testing.assert_series_equal(a[column], b[column], check_names=False, obj=column)
    # Embeddings from another process agree to float rounding (GEMM blocking), so the scores
    # made from them do too.
    for column in ("p_synthetic", "knn_distance", "nearest_real_similarity", "coverage_score"):
        np.testing.assert_allclose(a[column], b[column], atol=1e-4, err_msg=column)
    assert on_ray.summary["detection_auc"] == pytest.approx(local.summary["detection_auc"],
                                                            abs=1e-4)
    assert on_ray.summary["categories"] == local.summary["categories"]
    assert on_ray.summary["n_clusters"] == local.summary["n_clusters"]


def test_ray_options_without_the_ray_engine_are_refused(both):
    from click.testing import CliRunner

    from synth_quality.cli.main import main

    _, _, tmp, files = both
    bad = CliRunner().invoke(main, ["audit", *files, "--address", "auto",
                                    "--out", str(tmp / "x")])
    assert bad.exit_code == 1 and "--engine ray" in bad.output
    assert not (tmp / "x").exists()
