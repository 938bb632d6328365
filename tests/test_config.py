"""synth_quality.config: checked settings with the field, the value and the limit."""

from __future__ import annotations

import pytest

from synth_quality.config import AuditConfig
from synth_quality.errors import ConfigError


@pytest.mark.parametrize("settings, match", [
    ({"cluster": {"min_cluster_size": 1}}, r"cluster\.min_cluster_size \(1\) must be >= 2"),
    ({"detect": {"n_folds": 1}}, r"detect\.n_folds \(1\) must be between 2 and 20"),
    ({"score": {"near_duplicate_similarity": 1.5}}, r"near_duplicate_similarity \(1\.5\)"),
    ({"cluster": {"min_size": 3}}, r"unknown setting\(s\) \['min_size'\] in 'cluster'"),
    ({"embed": {"batch_size": "64"}}, r"embed\.batch_size must be an integer"),
    ({"random_state": -1}, r"random_state \(-1\)"),
])
def test_config_errors_name_field_value_and_limit(settings, match):
    with pytest.raises(ConfigError, match=match):
        AuditConfig.from_dict(settings)


def test_config_round_trip_and_replace():
    cfg = AuditConfig.from_dict({"cluster": {"min_cluster_size": 25}, "random_state": 7})
    assert AuditConfig.from_dict(cfg.to_dict()) == cfg
    assert cfg.replace(cluster={"alpha": 0.01}).cluster.min_cluster_size == 25
