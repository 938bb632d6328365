"""The dashboard server's resident memory around one large upload, as a team's server sees it.

    python bench/serve_memory.py AUDIT_DIR                       # this checkout, served
    python bench/serve_memory.py AUDIT_DIR --checkout ../main     # another checkout (a baseline)

Starts ``streamlit run app.py`` of the checkout on a free loopback port, opening AUDIT_DIR (any
saved audit, e.g. ``synth-quality audit --sample --out runs/sample``) with
``SYNTH_QUALITY_SERVE=1`` and ``server.disconnectedSessionTTL`` = ``--ttl`` seconds. In Chromium
one visitor opens the Data page, uploads a CSV of ``--rows`` short rows with a source column
(1,000,000 rows make 117 MB, like the report in issue 20), waits for the preview, then closes
the tab. The server's VmRSS (``/proc/PID/status``) is read before (once it settles: the page
preloads the model), every 0.5 s during the upload (the peak), and every 2 s for ``--wait``
seconds after the tab closed. Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def make_csv(path: Path, rows: int) -> None:
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(0)
    words = np.array("good bad plot cast story film acting slow fast dull bright odd clever warm "
                     "thin sharp".split())
    text = pd.Series(rng.choice(words, rows), dtype="str")
    for _ in range(18):
        text = text + " " + pd.Series(rng.choice(words, rows), dtype="str")
    text = text + " " + pd.Series(np.arange(rows)).astype("str")
    pd.DataFrame({"text": text, "source": np.where(np.arange(rows) % 2, "real", "synthetic")}
                 ).to_csv(path, index=False)


def settled(pid: int) -> float:
    readings = [rss_mb(pid)]
    for _ in range(120):
        time.sleep(2)
        readings.append(rss_mb(pid))
        if len(readings) >= 3 and max(readings[-3:]) - min(readings[-3:]) < 5:
            break
    return readings[-1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("audit_dir")
    parser.add_argument("--checkout", default=str(REPO), help="the clone whose app.py runs")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--ttl", type=int, default=10)
    parser.add_argument("--wait", type=int, default=60)
    args = parser.parse_args()
    from playwright.sync_api import expect, sync_playwright

    checkout = Path(args.checkout).resolve()
    tmp = Path(tempfile.mkdtemp(prefix="sq-serve-memory-"))
    csv = tmp / "big.csv"
    make_csv(csv, args.rows)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = dict(os.environ, PYTHONPATH=str(checkout), SYNTH_QUALITY_SERVE="1",
               SYNTH_QUALITY_AUDIT_DIR=str(Path(args.audit_dir).resolve()),
               SYNTH_QUALITY_CACHE_DIR=str(tmp / "cache"))
    log = open(tmp / "server.log", "w")
    server = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.address", "127.0.0.1", "--server.port", str(port),
         "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none",
         "--server.disconnectedSessionTTL", str(args.ttl)],
        cwd=checkout, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    out = {"checkout": str(checkout), "rows": args.rows,
           "file_mb": round(csv.stat().st_size / 1e6, 1), "ttl_s": args.ttl}
    try:
        for _ in range(300):
            try:
                with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as r:
                    if r.read().strip() == b"ok":
                        break
            except OSError:
                time.sleep(0.2)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
            ctx = browser.new_context()
            page = ctx.new_page()
            page.goto(url + "/Data")
            expect(page.locator("h1").filter(has_text="Data").first).to_be_visible(
                timeout=180_000)
            out["baseline_mb"] = round(settled(server.pid))
            peak, stop = [0.0], threading.Event()

            def watch():
                while not stop.is_set():
                    peak[0] = max(peak[0], rss_mb(server.pid))
                    time.sleep(0.5)

            watcher = threading.Thread(target=watch)
            watcher.start()
            started = time.monotonic()
            page.get_by_text("One file with a source column").click()
            page.locator('[data-testid="stFileUploaderDropzoneInput"]').first.set_input_files(
                str(csv))
            expect(page.get_by_text(f"Real side: {args.rows // 2:,} rows")).to_be_visible(
                timeout=600_000)
            out["preview_s"] = round(time.monotonic() - started, 1)
            out["with_preview_mb"] = round(rss_mb(server.pid))
            ctx.close()
            closed = time.monotonic()
            trace = []
            while time.monotonic() - closed < args.wait:
                time.sleep(2)
                trace.append((round(time.monotonic() - closed), round(rss_mb(server.pid))))
            stop.set()
            watcher.join()
            out["peak_mb"] = round(peak[0])
            out["after_close"] = trace
            out["final_mb"] = trace[-1][1]
            out["kept_mb"] = out["final_mb"] - out["baseline_mb"]
            browser.close()
    finally:
        server.terminate()
        try:
            server.wait(10)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    print(json.dumps(out))


if __name__ == "__main__":
    main()
