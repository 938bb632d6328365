"""Dashboard timings in a real browser: first page of a saved audit, the Map page, re-clustering
(on the Clusters page), and adding synthetic rows.

    python bench/dashboard_probe.py AUDIT_DIR [ADD_FILE]   # prints JSON; bench/run.py calls it

Starts ``synth-quality app --audit-dir AUDIT_DIR`` on a free loopback port (how users open a
saved audit), then drives Debian's Chromium with Playwright. Times run from the browser's request to the moment the content is visible.
With ADD_FILE (synthetic rows whose texts are not in the embedding cache) it also times the Data
page's "Add synthetic rows to the current audit", from the click to "Audit ready".
"""

from __future__ import annotations

import json
import os
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def main(audit_dir: str, add_file: str | None = None) -> dict:
    from playwright.sync_api import expect, sync_playwright

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    # Started the way users start it (`synth-quality app --audit-dir`, which the README's
    # `bash run.sh app` runs); headless and without a file watcher, as a benchmark should be.
    env = dict(os.environ, STREAMLIT_SERVER_HEADLESS="true",
               STREAMLIT_SERVER_FILE_WATCHER_TYPE="none")
    log = open(Path(tempfile.gettempdir()) / f"sq-dashboard-probe-{port}.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "synth_quality", "app", "--port", str(port), "--audit-dir",
         audit_dir], cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
    out = {}
    try:
        t0 = time.perf_counter()
        while True:
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                if server.poll() is not None:
                    raise RuntimeError(f"the dashboard exited with {server.returncode}; see {log.name}")
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
            # Re-clustering, on the Clusters page: until the page's caption names the new
            # size and Streamlit has finished the run (chart and table redrawn).
            page.goto(url + "/Clusters")
            expect(page.locator("h1").filter(has_text="Clusters")).to_be_visible(timeout=60_000)
            page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=60_000)
            saved = json.loads((Path(audit_dir) / "summary.json").read_text())
            size = int(saved["min_cluster_size_used"]) + 7
            box = page.locator("[data-testid=stSidebar] input[type=number]").first
            box.fill(str(size))
            t0 = time.perf_counter()
            box.press("Enter")
            expect(page.get_by_text(f"minimum size {size};", exact=False)).to_be_visible(timeout=60_000)
            page.wait_for_selector('[data-test-script-state="notRunning"]', timeout=60_000)
            out["recluster_s"] = time.perf_counter() - t0
            if add_file:
                page.goto(url + "/Data")
                page.get_by_text("Add synthetic rows to the current audit").click()
                # As a person would while choosing the file: the page says when the embedding
                # model and UMAP, loading in the background since the Data page opened, are ready.
                expect(page.get_by_text("Embedding model and UMAP loaded.")).to_be_visible(timeout=120_000)
                page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(add_file)
                button = page.get_by_role("button", name=re.compile(r"^Add [\d,]+ rows and re-audit$"))
                expect(button).to_be_visible(timeout=60_000)
                t0 = time.perf_counter()
                button.click()
                expect(page.get_by_text("Audit ready")).to_be_visible(timeout=300_000)
                out["add_rows_s"] = time.perf_counter() - t0
                done = page.get_by_text(re.compile(r"^Done in [\d.]+ s$"))
                out["add_rows_progress_text"] = done.first.inner_text() if done.count() else None
            browser.close()
    finally:
        server.terminate()
        server.wait(10)
    return out


if __name__ == "__main__":
    print(json.dumps(main(*sys.argv[1:3])))
