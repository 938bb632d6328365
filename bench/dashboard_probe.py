"""Dashboard timings in a real browser: first page of a saved audit, the Map page, re-clustering.

    python bench/dashboard_probe.py AUDIT_DIR        # prints JSON; bench/run.py calls it

Starts ``streamlit run app.py`` on a free loopback port with ``SYNTH_QUALITY_AUDIT_DIR`` set
(the way ``synth-quality app --audit-dir`` opens a saved audit), then drives Debian's Chromium
with Playwright. Times run from the browser's request to the moment the content is visible.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(audit_dir: str) -> dict:
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    env = dict(os.environ, SYNTH_QUALITY_AUDIT_DIR=audit_dir)
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
        cwd=REPO, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    out = {}
    try:
        t0 = time.perf_counter()
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.1)
        out["server_start_s"] = time.perf_counter() - t0
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                        args=["--headless", "--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            t0 = time.perf_counter()
            page.goto(url)
            expect(page.get_by_text("Detection AUC").first).to_be_visible(timeout=60_000)
            expect(page.get_by_text("Verdict", exact=True)).to_be_visible(timeout=60_000)
            out["first_page_s"] = time.perf_counter() - t0
            t0 = time.perf_counter()
            page.goto(url + "/Map")
            page.wait_for_selector(".js-plotly-plot", state="visible", timeout=60_000)
            out["map_page_s"] = time.perf_counter() - t0
            saved = json.loads((Path(audit_dir) / "summary.json").read_text())
            size = int(saved["min_cluster_size_used"]) + 7
            box = page.locator("[data-testid=stSidebar] input[type=number]").first
            box.fill(str(size))
            t0 = time.perf_counter()
            box.press("Enter")
            expect(page.get_by_text("Re-clustered:").first).to_be_visible(timeout=60_000)
            page.wait_for_selector(".js-plotly-plot", state="visible", timeout=60_000)
            out["recluster_s"] = time.perf_counter() - t0
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    return out


if __name__ == "__main__":
    print(json.dumps(main(sys.argv[1])))
