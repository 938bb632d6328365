"""Fixtures shared by the dashboard's tests (test_app.py, test_browser.py).

Not a conftest.py (that file belongs to the library's tests): the test modules import what they
need from here. The expensive part, one real audit of the built-in sample, is built once per
test session whichever module asks first (module-level cache), or taken from
``$SYNTH_QUALITY_TEST_AUDIT_DIR`` (a folder written by ``synth-quality audit --sample --out``).

Folders made per session:

- ``sample``: the audit of the sample as saved;
- ``payload``: the same audit with one row's text replaced by HTML, script and markdown
  (:data:`PAYLOAD`), which the tests point the app at: a dashboard that renders data as markup
  would run it, fetch the image, or show bold text;
- ``cache``: a cache root holding the sample audit where the dashboard looks for it
  (``audits/sample-<hash>``), to test the "built-in sample, already cached" start.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
TEST_AUDIT_ENV = "SYNTH_QUALITY_TEST_AUDIT_DIR"
SCREENSHOTS_ENV = "SYNTH_QUALITY_SCREENSHOTS"

#: Text planted in one row: would run a script, fetch an image from 127.0.0.2, or render bold
#: if any page showed data as HTML or markdown.
PAYLOAD = ("PAYLOAD-ROW <script>window.__sq_xss = 1</script>"
           "<img src=x onerror=\"window.__sq_xss=2\">"
           " **not bold** <b>not bold</b> ![img](http://127.0.0.2:9/t.png) $x^2$")

_CACHE: dict = {}


@dataclass
class Audits:
    sample: Path          # the sample's audit, as saved
    payload: Path         # the same with PAYLOAD planted in one row
    payload_row: int      # position (examples index) of that row
    cache: Path           # a cache root holding the sample's audit under audits/sample-<hash>


def _build(tmp: Path) -> Audits:
    from synth_quality import AuditConfig, AuditResult, audit
    from synth_quality.dashboard.store import (is_audit_dir, sample_audit_dir, sample_audit_kwargs,
                                               save_atomic)
    from synth_quality.present.findings import findings

    given = os.environ.get(TEST_AUDIT_ENV)
    if given:
        sample = Path(given)
        if not is_audit_dir(sample):
            raise RuntimeError(f"${TEST_AUDIT_ENV}={given} is not an audit folder")
    else:
        # The embedding cache is the test cache that tests/conftest.py sets up, so reruns of
        # the suite only pay for UMAP.
        result = audit(config=AuditConfig(), **sample_audit_kwargs())
        sample = save_atomic(result, tmp / "sample")
        os.environ[TEST_AUDIT_ENV] = str(sample)  # tests/conftest.py's sample_audit_dir reuses it

    cache = tmp / "cache"
    shutil.copytree(sample, sample_audit_dir(cache_root=cache))

    result = AuditResult.load(sample)
    ex = result.examples
    # Plant the payload in a row that the Overview shows (the top row of the "copies of real"
    # finding, else the worst unrealistic row) but that is not among the first rows of the
    # Examples page's default order, so screenshots stay clean.
    candidates = findings(ex, result.clusters, result.facts)
    by_key = {f.key: f for f in candidates}
    row = (by_key["copies"].rows[0] if "copies" in by_key and by_key["copies"].rows
           else candidates[0].rows[0])
    result.examples = ex.copy()
    result.examples.loc[row, "text"] = PAYLOAD
    # Named "sample" too: the sidebar of the screenshots reads "saved audit sample".
    payload = save_atomic(result, tmp / "payload" / "sample")
    return Audits(sample, payload, int(row), cache)


@pytest.fixture(scope="session")
def audits(tmp_path_factory) -> Audits:
    """The saved audits every dashboard test uses (built once per session)."""
    if "audits" not in _CACHE:
        _CACHE["audits"] = _build(tmp_path_factory.mktemp("dashboard-audits"))
    return _CACHE["audits"]


# --------------------------------------------------------------------------- a live server

def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def streamlit_run(port: int) -> list[str]:
    """``streamlit run app.py`` (the clone's entry) on ``port``."""
    return [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
            "--server.address", "127.0.0.1", "--server.port", str(port),
            "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]


class Server:
    """A dashboard server on a free loopback port, with its own environment: by default
    ``streamlit run app.py`` in the clone; ``command(port)`` and ``cwd`` start another
    (the installed ``synth-quality app``, tests/test_install.py)."""

    def __init__(self, env: dict, timeout: float = 90, command=streamlit_run, cwd=REPO):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(env.get("SQ_TEST_LOG_DIR", "/tmp")) / f"streamlit-{self.port}.log",
                        "w")
        self.proc = subprocess.Popen(command(self.port), cwd=cwd, env={**os.environ, **env},
                                     stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited with {self.proc.returncode}; log: "
                                   f"{self.log.name}")
            try:
                with urllib.request.urlopen(self.url + "/_stcore/health", timeout=1) as r:
                    if r.read().strip() == b"ok":
                        return
            except OSError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise TimeoutError("streamlit did not become healthy")
            time.sleep(0.2)

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def server_env(audits: Audits, log_dir: Path, folder: Path | None = None) -> dict:
    env = {"SYNTH_QUALITY_CACHE_DIR": str(audits.cache), "SQ_TEST_LOG_DIR": str(log_dir),
           "PYTHONPATH": str(REPO)}
    if folder is not None:
        env["SYNTH_QUALITY_AUDIT_DIR"] = str(folder)
    return env


# --------------------------------------------------------------------------- the browser

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync"]


def need_chromium() -> None:
    if not CHROMIUM.exists():
        pytest.skip(f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install "
                    "chromium; .ci/run installs it)")


def screenshot_dir(tmp_path_factory) -> Path:
    """docs/screenshots when $SYNTH_QUALITY_SCREENSHOTS=1, else a temporary folder."""
    if os.environ.get(SCREENSHOTS_ENV) == "1":
        out = REPO / "docs" / "screenshots"
        out.mkdir(parents=True, exist_ok=True)
        return out
    return tmp_path_factory.mktemp("screenshots")


# --------------------------------------------------------------------------- AppTest helpers

APPTEST_TIMEOUT = 120


def app():
    """The app; ``app().switch_page(page).run()`` opens ``page`` first, as a URL would."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_file(str(REPO / "app.py"), default_timeout=APPTEST_TIMEOUT)


def texts(at, unescape: bool = False) -> str:
    """All visible text of the run, markdown and plain text, in one string (``unescape`` drops
    the backslashes that markdown escaping adds)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "info",
                 "success", "warning", "error", "metric"):
        for el in at.get(kind):
            parts.append(str(getattr(el, "value", "")) + " " + str(getattr(el, "label", "")))
    out = "\n".join(parts)
    return out.replace("\\", "") if unescape else out
