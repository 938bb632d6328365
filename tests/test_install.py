"""The package as a user installs it: a wheel built from this clone, installed (not editable) in
a fresh virtual environment, runs every command from a folder outside the clone, the dashboard
included.

Nothing is downloaded: the wheel is built without build isolation (the project's setuptools),
installed with ``--no-index``, and the new environment sees the project environment's packages
through a ``.pth`` line (torch is never resolved again). A ``.pth`` path line does not run the
``.pth`` files in that folder, so the clone's editable install stays out of the new environment;
the test checks that ``synth_quality`` is imported from the wheel.
"""

from __future__ import annotations

import os
import subprocess
import sys
import sysconfig
import urllib.request
from pathlib import Path

import pandas as pd
import pytest

from browser_conftest import CHROMIUM, CHROMIUM_ARGS, REPO, Server, need_chromium

pytestmark = pytest.mark.slow


def run(args: list, cwd: Path, env: dict, timeout: float = 600) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)
    assert done.returncode == 0, f"{args}: {done.stdout[-2000:]}\n{done.stderr[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """(the new environment's bin folder, a work folder outside the clone, the environment)."""
    root = tmp_path_factory.mktemp("installed")
    wheels = root / "wheels"
    run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
         "--wheel-dir", str(wheels), str(REPO)], cwd=root, env=dict(os.environ))
    (wheel,) = wheels.glob("synth_quality-*.whl")
    venv = root / "venv"
    # No pip or setuptools of its own: the project's (seen through the .pth line) serve, so the
    # environment holds exactly the project's packages and this wheel.
    run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=root,
        env=dict(os.environ))
    python = venv / "bin" / "python"
    site = run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
               cwd=root, env=dict(os.environ)).strip()
    (Path(site) / "project-packages.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    run([str(python), "-m", "pip", "install", "--no-index", "-q", str(wheel)], cwd=root, env=env)
    work = root / "work"
    work.mkdir()
    where = run([str(python), "-c", "import synth_quality; print(synth_quality.__file__)"],
                cwd=work, env=env).strip()
    assert Path(where).is_relative_to(venv), where  # the wheel, not the clone
    return venv / "bin", work, env


def test_sample_audit_add_lift_check_and_diff_run_from_outside_the_clone(installed):
    bin_, work, env = installed
    sq = str(bin_ / "synth-quality")
    sample = Path(run([sq, "sample", "data"], cwd=work, env=env).strip())
    assert sample.name == "sample.csv" and (work / sample).is_file()
    out = run([sq, "audit", "--sample", "--out", "runs/first", "--quiet"], cwd=work, env=env)
    assert "detection_auc" in out and (work / "runs/first/summary.json").is_file()
    frame = pd.read_csv(work / sample)
    frame[frame["real_or_synthetic"] == "synthetic"].head(40).to_csv(work / "round2.csv",
                                                                      index=False)
    out = run([sq, "add", "runs/first", "--synthetic", "round2.csv", "--out", "runs/second",
               "--quiet"], cwd=work, env=env)
    assert "detection_auc" in out
    assert (pd.read_parquet(work / "runs/second/examples.parquet")["batch"] == 1).sum() == 40
    out = run([sq, "lift", "--data", str(sample), "--source-column", "real_or_synthetic",
               "--label-column", "sentiment", "--audit-dir", "runs/first", "--seeds", "2",
               "--bootstrap", "200", "--out", "runs/lift", "--quiet"], cwd=work, env=env)
    assert "verdict:" in out and (work / "runs/lift/lift.json").is_file()
    # The pipeline commands, and the schema file they and any JSON Schema tool can use.
    (work / "rules.toml").write_text('rules = ["n_real == baseline",\n'
                                      '         "n_synthetic == baseline + 40"]\n')
    out = run([sq, "check", "runs/second", "--rules", "rules.toml", "--baseline", "runs/first"],
              cwd=work, env=env)
    assert out.strip().endswith("All 2 checks passed.")
    out = run([sq, "diff", "runs/first", "runs/second"], cwd=work, env=env)
    assert "40 only in runs/second" in out
    shipped = run([str(bin_ / "python"), "-c", "import importlib.resources as r; "
                   "print(r.files('synth_quality') / 'summary.schema.json')"], cwd=work, env=env)
    assert Path(shipped.strip()).is_file() and Path(shipped.strip()).is_relative_to(bin_.parent)


def test_the_installed_app_serves_its_pages_with_its_own_settings(installed, tmp_path):
    """``synth-quality app`` from a folder whose own .streamlit/config.toml says otherwise:
    the packaged settings still apply (the Data page states the 200 MB upload limit)."""
    bin_, work, env = installed
    audit = work / "runs" / "first"
    if not (audit / "summary.json").is_file():  # run alone: audit the sample first
        run([str(bin_ / "synth-quality"), "audit", "--sample", "--out", str(audit), "--quiet"],
            cwd=work, env=env)
    elsewhere = tmp_path / "elsewhere"
    (elsewhere / ".streamlit").mkdir(parents=True)
    (elsewhere / ".streamlit" / "config.toml").write_text(
        "[server]\nmaxUploadSize = 1\n[client]\nshowSidebarNavigation = true\n")
    server = Server({**env, "SQ_TEST_LOG_DIR": str(tmp_path), "STREAMLIT_SERVER_HEADLESS": "true"},
                    command=lambda port: [str(bin_ / "synth-quality"), "app", "--port",
                                          str(port), "--audit-dir", str(audit)],
                    cwd=elsewhere)
    try:
        with urllib.request.urlopen(server.url + "/_stcore/health", timeout=5) as answer:
            assert answer.read().strip() == b"ok"
        need_chromium()
        sync_api = pytest.importorskip("playwright.sync_api")
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
            page = browser.new_page()
            page.goto(server.url + "/")
            sync_api.expect(page.get_by_text("Is the synthetic data any good?")).to_be_visible(
                timeout=90_000)
            sync_api.expect(page.locator('[data-testid="stException"]')).to_have_count(0)
            page.goto(server.url + "/Data")
            sync_api.expect(page.get_by_text("up to 200 MB").first).to_be_visible(
                timeout=60_000)
            browser.close()
    finally:
        server.stop()
