"""Serving the dashboard to a team (synth_quality/dashboard/serving.py): settings, owners, which
folders the "Audit folder" box opens, the private folders on disk, and the line of audits."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

import pytest

from synth_quality.dashboard.serving import (
    FOLDER_REFUSED,
    AuditGate,
    ServeSettings,
    allowed_audit_folder,
    owner_dir,
    owner_id,
    remove_owner,
    sweep_private,
)
from synth_quality.errors import ConfigError


# --------------------------------------------------------------------------- settings

def test_settings_default_to_a_local_dashboard():
    s = ServeSettings.from_env({})
    assert (s.served, s.audit_root, s.max_audits, s.login) == (False, None, 1, False)
    assert s.map_points_up_to == 50_000
    assert s.folder_box  # local: the box opens any folder, as before


def test_settings_from_the_environment_round_trip(tmp_path):
    env = {"SYNTH_QUALITY_SERVE": "1", "SYNTH_QUALITY_AUDIT_ROOT": str(tmp_path),
           "SYNTH_QUALITY_MAX_AUDITS": "3", "SYNTH_QUALITY_UPLOAD_MEMORY_MB": "512",
           "SYNTH_QUALITY_AUDIT_MEMORY_MB": "256", "SYNTH_QUALITY_KEEP_HOURS": "2.5",
           "SYNTH_QUALITY_LOGIN": "true", "SYNTH_QUALITY_MAP_POINTS": "20000"}
    s = ServeSettings.from_env(env)
    assert s == ServeSettings(True, tmp_path.resolve(), 3, 512, 256, 2.5, True, 20_000)
    assert ServeSettings.from_env(s.to_env()) == s
    assert not ServeSettings.from_env({"SYNTH_QUALITY_SERVE": "1"}).folder_box


@pytest.mark.parametrize("name,value,message", [
    ("SYNTH_QUALITY_MAX_AUDITS", "two", r"\$SYNTH_QUALITY_MAX_AUDITS must be a number, got 'two'"),
    ("SYNTH_QUALITY_MAX_AUDITS", "0", r"\$SYNTH_QUALITY_MAX_AUDITS \(0\) must be at least 1"),
    ("SYNTH_QUALITY_UPLOAD_MEMORY_MB", "8", r"UPLOAD_MEMORY_MB \(8\) must be at least 16"),
    ("SYNTH_QUALITY_KEEP_HOURS", "-1", r"KEEP_HOURS \(-1\) must be at least 0"),
    ("SYNTH_QUALITY_MAP_POINTS", "lots", r"\$SYNTH_QUALITY_MAP_POINTS must be a number, got 'lots'"),
    ("SYNTH_QUALITY_MAP_POINTS", "10", r"MAP_POINTS \(10\) must be at least 1000"),
])
def test_bad_settings_name_the_variable(name, value, message):
    with pytest.raises(ConfigError, match=message):
        ServeSettings.from_env({name: value})


# --------------------------------------------------------------------------- owners

def test_owner_is_the_signed_in_user_across_sessions_else_the_session():
    alice = {"is_logged_in": True, "iss": "https://idp", "sub": "123", "email": "a@x"}
    bob = {"is_logged_in": True, "iss": "https://idp", "sub": "456", "email": "b@x"}
    assert owner_id("s1", alice) == owner_id("s2", alice)       # her audits follow her
    assert owner_id("s1", alice) != owner_id("s1", bob)
    assert owner_id("s1", alice).startswith("user-") and "123" not in owner_id("s1", alice)
    assert owner_id("s1") != owner_id("s2")                     # no login: each session alone
    assert owner_id("s1", {"is_logged_in": False, "sub": "123"}) == owner_id("s1")
    # No subject claim: the e-mail identifies the user.
    assert owner_id("s1", {"is_logged_in": True, "email": "a@x"}) == \
        owner_id("s2", {"is_logged_in": True, "email": "a@x"})


# --------------------------------------------------------------------------- the folder box

def saved_audit(folder: Path) -> Path:
    folder.mkdir(parents=True)
    for name in ("examples.parquet", "clusters.parquet", "summary.json"):
        (folder / name).write_text("x")
    return folder


@pytest.fixture
def layout(tmp_path):
    """A root with a saved audit and a plain folder; an audit outside it; a cache whose
    private folder holds someone's upload audit; a symlink inside the root to the outside."""
    root = tmp_path / "root"
    inside = saved_audit(root / "runs" / "first")
    (root / "notes").mkdir()
    outside = saved_audit(tmp_path / "elsewhere" / "secret")
    cache = root / "cache"
    private = saved_audit(owner_dir(cache, "session-abc") / "audits" / "upload-1")
    (root / "link").symlink_to(outside)
    return dict(root=root, inside=inside, outside=outside, cache=cache, private=private)


def test_the_box_opens_saved_audits_inside_its_root_only(layout):
    root, cache = layout["root"], layout["cache"]
    served = ServeSettings(served=True, audit_root=root.resolve())
    ok = allowed_audit_folder
    assert ok(str(layout["inside"]), served, cache) == layout["inside"].resolve()
    assert ok("runs/first", served, cache) == layout["inside"].resolve()      # relative to root
    refused = [str(layout["outside"]),              # an audit, outside the root
               "link",                              # a symlink inside the root to it
               "runs/../../elsewhere/secret",       # climbing out
               str(root / "notes"),                 # inside, not an audit
               str(root / "missing"),               # inside, does not exist
               str(layout["private"]),              # someone's private upload audit
               "", "   ", "runs/first\0"]
    for path in refused:
        assert ok(path, served, cache) is None, path
    # Served without a root: nothing opens; local without a root: any saved audit.
    assert ok(str(layout["inside"]), ServeSettings(served=True), cache) is None
    assert ok(str(layout["outside"]), ServeSettings(), cache) == layout["outside"].resolve()
    assert "{root}" in FOLDER_REFUSED


# --------------------------------------------------------------------------- disk

def test_sweep_deletes_unused_private_folders_only(tmp_path):
    old = saved_audit(owner_dir(tmp_path, "user-old") / "audits" / "upload-1")
    fresh = saved_audit(owner_dir(tmp_path, "user-fresh") / "audits" / "upload-2")
    live = saved_audit(owner_dir(tmp_path, "session-live") / "audits" / "upload-3")
    week_ago = time.time() - 8 * 24 * 3600
    for folder in (old, old.parent, old.parent.parent, live, live.parent, live.parent.parent):
        os.utime(folder, (week_ago, week_ago))
    gone = sweep_private(tmp_path, keep_hours=168, keep={"session-live"})
    assert gone == ["user-old"]
    assert not old.exists() and fresh.exists() and live.exists()
    assert remove_owner(tmp_path, "session-live") and not live.exists()
    assert remove_owner(tmp_path, "session-live") is False


# --------------------------------------------------------------------------- the line

def test_gate_runs_at_most_its_limit_first_come_first_served():
    gate = AuditGate(limit=2)
    a, b, c, d = (gate.join() for _ in range(4))
    assert [gate.wait(t, 0) for t in (a, b, c, d)] == [True, True, False, False]
    assert [gate.ahead(t) for t in (a, b, c, d)] == [0, 0, 1, 2]
    gate.leave(b)                        # one finishes: the first waiting one runs
    assert gate.wait(c, 0) and not gate.wait(d, 0) and gate.ahead(d) == 1
    gate.leave(d)                        # one gives up while waiting: it simply leaves the line
    assert (gate.running, gate.waiting) == (2, 0)
    with pytest.raises(ConfigError):
        AuditGate(0)


def test_gate_keeps_concurrent_threads_within_the_limit():
    gate = AuditGate(limit=2)
    running, peak, order, lock = [0], [0], [], threading.Lock()

    def audit(i):
        ticket = gate.join()
        try:
            gate.wait(ticket)
            with lock:
                running[0] += 1
                peak[0] = max(peak[0], running[0])
                order.append(i)
            time.sleep(0.05)
            with lock:
                running[0] -= 1
        finally:
            gate.leave(ticket)

    threads = []
    for i in range(8):
        threads.append(threading.Thread(target=audit, args=(i,)))
        threads[-1].start()
        time.sleep(0.005)               # arrive in order
    for t in threads:
        t.join()
    assert peak[0] == 2 and sorted(order) == list(range(8))
    assert (gate.running, gate.waiting) == (0, 0)
