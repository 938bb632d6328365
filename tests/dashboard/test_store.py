"""synth_quality.dashboard.store: the audits the dashboard keeps on disk, keyed by data and settings."""

from __future__ import annotations


import pandas as pd
import pytest

from browser_conftest import PAYLOAD, audits  # noqa: F401  (session fixture)
from synth_quality import AuditResult
from synth_quality.dashboard.store import (is_audit_dir, sample_audit_dir, save_atomic,
                                           upload_audit_dir)


@pytest.fixture(scope="module")
def sample(audits):  # noqa: F811
    return AuditResult.load(audits.sample)


def test_sample_audit_dir_depends_on_config_and_data(tmp_path):
    from synth_quality import AuditConfig

    sample = tmp_path / "s.csv"
    sample.write_text("text\nx\n")
    a = sample_audit_dir(tmp_path, sample_file=sample)
    assert a.parent == tmp_path / "audits" and a.name.startswith("sample-")
    assert sample_audit_dir(tmp_path, sample_file=sample) == a
    cfg = AuditConfig.from_dict({"cluster": {"min_cluster_size": 20}})
    assert sample_audit_dir(tmp_path, cfg, sample_file=sample) != a
    # Cache settings do not change the audit.
    cfg = AuditConfig.from_dict({"embed": {"cache_dir": "/elsewhere", "use_cache": False}})
    assert sample_audit_dir(tmp_path, cfg, sample_file=sample) == a
    sample.write_text("text\ny\n")
    assert sample_audit_dir(tmp_path, sample_file=sample) != a


def test_upload_audit_dir_depends_on_every_part(tmp_path):
    a = upload_audit_dir([b"data", "text", None], tmp_path)
    assert a == upload_audit_dir([b"data", "text", None], tmp_path)
    assert a != upload_audit_dir([b"data", "label", None], tmp_path)
    assert a != upload_audit_dir([b"dat", "atext", None], tmp_path)


def test_save_atomic_round_trips_and_replaces(sample, tmp_path):
    folder = save_atomic(sample, tmp_path / "a")
    assert is_audit_dir(folder)
    save_atomic(sample, folder)      # again, over the old one
    back = AuditResult.load(folder)
    pd.testing.assert_frame_equal(back.examples, sample.examples)
    assert [p.name for p in tmp_path.iterdir()] == ["a"]   # no temporary folder left
    assert not is_audit_dir(tmp_path)
