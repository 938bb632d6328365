"""The dashboard on a million-row audit (issue 17): time to the first page and to the Map page,
and what the map sends the browser.

    python bench/dashboard_scale.py [--rows 1000000] [--source AUDIT_DIR]

Builds an audit folder of ``--rows`` rows the way the scale browser test does: a small audit
(``--source``, or the tests' planted tables audited with their fast hashing embedder) tiled with
jittered map coordinates (``synth_quality/demo/tiled.py``). Auditing a million rows takes the
better part of an hour; the dashboard's work does not depend on how the rows were audited.

Then, with Debian's Chromium driven by Playwright against ``synth-quality app --audit-dir``
(bench/dashboard_probe.py's server; server start excluded), it times from the navigation to:

- the Overview (first page of a fresh server: it loads the audit), median of 3 fresh servers;
- the Map page on the same server, until the chart has drawn its density image.

The map's payload is the figure's JSON as Streamlit sends it (plotly's own serialisation), next
to the baseline: the plain scatter of every row without hover labels (what the map sent before,
minus its labels; with them it is larger still). Writes the table into docs/benchmarks.md
between ``<!-- scale:dashboard:begin -->`` and ``<!-- scale:dashboard:end -->``.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from dashboard_probe import dashboard, first_page  # noqa: E402
from run import matmul_rate  # noqa: E402
from scale import header, write_section  # noqa: E402

FIRST_PAGE_TRIES = 3


def small_audit(folder: Path) -> Path:
    """The tests' planted tables, audited with their hashing embedder (no model, ~20 s)."""
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import HashingEmbedder, planted_frames

    from synth_quality import AuditConfig, audit

    real, synth = planted_frames()
    config = AuditConfig.from_dict({"embed": {"use_cache": False},
                                    "cluster": {"min_cluster_size": 10}})
    result = audit(real=real, synthetic=synth, label_column="sentiment",
                   generator_column="generator", config=config, embedder=HashingEmbedder())
    return result.save(folder)


def payloads(folder: Path) -> dict:
    """The map's JSON now (density) and the plain scatter of every row (no hover labels)."""
    from synth_quality import AuditResult
    from synth_quality.present import density
    from synth_quality.present.figures import hover_prefixes, map_figure

    ex = AuditResult.load(folder).examples
    t0 = time.perf_counter()
    view = density.map_view(ex, "side",
                            hover_prefixes_of=lambda ids: hover_prefixes(ex.iloc[ids]))
    build = time.perf_counter() - t0
    now = len(view.figure.to_json())
    image = len(view.figure.layout.images[0].source)
    plain = len(map_figure(ex, "side", hover_all=False).to_json())
    return {"rows": len(ex), "mode": view.mode, "drawn": view.n_drawn, "build_s": build,
            "bytes": now, "image_bytes": image, "plain_bytes": plain}


def browser_times(folder: Path) -> dict:
    from playwright.sync_api import sync_playwright

    out = {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium",
                                    args=["--headless", "--no-sandbox", "--disable-gpu"])
        firsts = []
        for k in range(FIRST_PAGE_TRIES):
            with dashboard(str(folder)) as url:
                seconds, page = first_page(browser, url)
                firsts.append(seconds)
                if k == FIRST_PAGE_TRIES - 1:
                    page.wait_for_selector('[data-test-script-state="notRunning"]',
                                           timeout=60_000)
                    t0 = time.perf_counter()
                    page.goto(url + "/Map")
                    page.wait_for_function(
                        "() => { const g = document.querySelector('.js-plotly-plot');"
                        " return g && g._fullLayout && (g._fullLayout.images || []).length"
                        " && g.querySelector('.imagelayer image'); }", timeout=120_000)
                    out["map_s"] = time.perf_counter() - t0
                page.close()
        browser.close()
    out["first_all_s"] = firsts
    out["first_s"] = statistics.median(firsts)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--source", help="a small saved audit to tile (default: the planted "
                        "tables, audited here with the tests' hashing embedder)")
    args = parser.parse_args()
    from synth_quality.demo.tiled import write_tiled

    with tempfile.TemporaryDirectory(prefix="sq-dashboard-scale-") as tmp:
        tmp = Path(tmp)
        source = Path(args.source) if args.source else small_audit(tmp / "small")
        t0 = time.perf_counter()
        folder = write_tiled(source, tmp / "large", args.rows)
        built = time.perf_counter() - t0
        rate_before = matmul_rate()
        sizes = payloads(folder)
        times = browser_times(folder)
        rate_after = matmul_rate()
    rate = (rate_before + rate_after) / 2
    mb = 1024 * 1024
    lines = [header(rate)[0].replace("bench/scale.py", "bench/dashboard_scale.py"), "", 
        f"An audit folder of {sizes['rows']:,} rows (the tests' planted audit tiled with "
        f"jittered coordinates, built in {built:.0f} s; `python bench/dashboard_scale.py`), "
        "opened with `synth-quality app --audit-dir` in Chromium; server start excluded. "
        f"Matrix-multiply rate before / after: {rate_before:.0f} / {rate_after:.0f} GFLOP/s.", "",
        "| measurement | value | target | |", "|---|---|---|---|",
        f"| first page (Overview), navigation to verdict shown, median of "
        f"{FIRST_PAGE_TRIES} fresh servers ({', '.join(f'{s:.1f}' for s in times['first_all_s'])})"
        f" | {times['first_s']:.1f} s | <= 3 s | {'met' if times['first_s'] <= 3 else 'NOT met'} |",
        f"| Map page, navigation to the density image drawn (same server, audit loaded) | "
        f"{times['map_s']:.1f} s |  |  |",
        f"| map figure built on the server ({sizes['mode']}, {sizes['drawn']:,} points drawn with "
        f"hover labels) | {sizes['build_s']:.2f} s |  |  |",
        f"| map payload (figure JSON) | {sizes['bytes'] / mb:.2f} MB (image "
        f"{sizes['image_bytes'] / mb:.2f} MB) |  |  |",
        f"| baseline: every row as a WebGL point, no hover labels (the map before, less its "
        f"labels) | {sizes['plain_bytes'] / mb:.1f} MB |  |  |",
    ]
    write_section("dashboard", "Scale: the dashboard on a million-row audit", lines)


if __name__ == "__main__":
    main()
