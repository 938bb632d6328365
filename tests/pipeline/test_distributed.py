"""synth-quality audit --engine ray: embedding and text checks as Ray Data jobs on a real local
Ray cluster, writing Parquet shards that the single-node stages read; the findings equal the
single-process audit's."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from conftest import planted_frames

pytest.importorskip("ray")
pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def both(tmp_path_factory):
    from synth_quality import AuditConfig, audit
    from synth_quality.pipeline.distributed import audit_on_ray

    real, synthetic = planted_frames()
    # No embedding cache: the Ray workers must really embed (a shared cache would hand both
    # audits the same vectors whatever the workers did).
    config = AuditConfig.from_dict({"embed": {"use_cache": False}, "project": {"cache": False},
                                    "cluster": {"min_cluster_size": 10}})
    kwargs = dict(real=real, synthetic=synthetic, label_column="sentiment",
                  generator_column="generator", config=config)
    shards = tmp_path_factory.mktemp("ray") / "shards"
    on_ray = audit_on_ray(shards=shards, **kwargs)
    return on_ray, audit(**kwargs), shards


def test_the_ray_jobs_wrote_every_row_to_parquet_shards(both):
    import pyarrow.parquet as pq

    on_ray, local, shards = both
    table = pq.read_table(str(shards)).to_pandas()
    assert sorted(table["position"]) == list(range(len(local.examples)))
    assert {"embedding", "repetition_score", "has_uppercase"} <= set(table.columns)
    assert on_ray.summary["engine"]["engine"] == "ray"
    assert on_ray.summary["engine"]["nodes"] >= 1
    assert local.summary["embedding"]["n_embedded"] == len(local.examples)


def test_the_findings_equal_the_single_process_audit(both):
    on_ray, local, _ = both
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


def test_the_command_line_runs_on_ray(tmp_path):
    from click.testing import CliRunner

    from synth_quality.cli.main import main

    real, synthetic = planted_frames()
    real.to_csv(tmp_path / "real.csv", index=False)
    synthetic.to_csv(tmp_path / "synth.csv", index=False)
    result = CliRunner().invoke(main, ["audit", "--real", str(tmp_path / "real.csv"),
                                       "--synthetic", str(tmp_path / "synth.csv"),
                                       "--engine", "ray", "--quiet", "--min-cluster-size", "10",
                                       "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    import json

    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    assert summary["engine"]["engine"] == "ray"
    bad = CliRunner().invoke(main, ["audit", "--real", str(tmp_path / "real.csv"),
                                    "--synthetic", str(tmp_path / "synth.csv"),
                                    "--address", "auto", "--out", str(tmp_path / "x")])
    assert bad.exit_code == 1 and "--engine ray" in bad.output
