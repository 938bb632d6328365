"""The Map page past ``map_points_up_to`` rows, in a real browser (Playwright driving Debian's
chromium against ``streamlit run``), on an audit folder of 200,000+ rows built for the test:
the planted audit (fast fake embedder) tiled with jittered coordinates (demo/tiled.py).

The rows a box selects are checked against a brute-force count over every row's coordinates,
using the box as the browser holds it (``layout.selections``), and through the Examples page's
CSV export; zooming to the box draws those rows as points.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import test_browser as tb
from browser_conftest import REPO, Server
from synth_quality import AuditResult
from synth_quality.demo.tiled import tile_audit
from test_browser import (axes, download, key_set, open_page, page,  # noqa: F401
                          playwright_browser, shoot, shots)
from test_browser import LOAD, GD, wait_chart

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ROWS = 200_000


@pytest.fixture(scope="module")
def large_folder(planted_audit, tmp_path_factory):
    """The planted audit tiled to 200,000+ rows, saved (and its summary validated)."""
    return tile_audit(planted_audit, ROWS, seed=0).save(tmp_path_factory.mktemp("map-scale")
                                                         / "audit")


@pytest.fixture(scope="module")
def large(large_folder):
    return AuditResult.load(large_folder)


@pytest.fixture(scope="module")
def large_server(large_folder, tmp_path_factory, playwright_browser):  # noqa: F811
    logs = tmp_path_factory.mktemp("map-scale-logs")
    srv = Server({"SYNTH_QUALITY_CACHE_DIR": str(logs / "cache"), "SQ_TEST_LOG_DIR": str(logs),
                  "SYNTH_QUALITY_AUDIT_DIR": str(large_folder), "PYTHONPATH": str(REPO)})
    yield srv
    srv.stop()


def chart_state(pg) -> dict:
    """What the browser holds: layout images, points per trace, the last selection box."""
    return pg.evaluate(
        f"(i) => {{ const g = {GD};" + """
           const sel = (g.layout.selections || []).filter(s => s.type === 'rect');
           const box = sel.length ? sel[sel.length - 1] : null;
           return {images: (g._fullLayout.images || []).length,
                   points: g._fullData.map(t => t._length || 0),
                   box: box && {x0: box.x0, x1: box.x1, y0: box.y0, y1: box.y1}}; }""", 0)


def pick_box(ex: pd.DataFrame, ax: dict, rng) -> tuple[list, int]:
    """A box (pixels) holding 300-3,000 rows, in the plot area."""
    px = ax["left"] + (ex["x"].to_numpy(float) - ax["x0"]) / (ax["x1"] - ax["x0"]) * ax["width"]
    py = ax["top"] + (ax["y1"] - ex["y"].to_numpy(float)) / (ax["y1"] - ax["y0"]) * ax["height"]
    for _ in range(2000):
        i = rng.integers(len(px))
        w, h = rng.uniform(10, 60, 2)
        x0, y0 = px[i] - w / 2, py[i] - h / 2
        if x0 < ax["left"] + 5 or y0 < ax["top"] + 5 or x0 + w > ax["left"] + ax["width"] - 5 \
                or y0 + h > ax["top"] + ax["height"] - 5:
            continue
        n = int(((px >= x0) & (px <= x0 + w) & (py >= y0) & (py <= y0 + h)).sum())
        if 300 <= n <= 3000:
            return [(x0, y0), (x0 + w, y0 + h)], n
    raise AssertionError("no box with 300-3,000 rows found")


def test_a_large_map_is_a_density_whose_box_returns_exactly_the_rows_inside(  # noqa: F811
        large_server, page, large, shots):  # noqa: F811
    ex = large.examples
    assert len(ex) >= ROWS
    open_page(page, large_server.url, "/Map", "Map")
    wait_chart(page)
    tb.expect(page.get_by_text("too many to draw one by one", exact=False)).to_be_visible()
    state = chart_state(page)
    assert state["images"] == 1 and 0 < sum(state["points"]) <= 5000, state

    ax = axes(page)
    (a, b), _ = pick_box(ex, ax, np.random.default_rng(11))
    page.locator('[data-testid="stPlotlyChart"]').first.hover()
    page.locator('.modebar-btn[data-title="Box Select"]').click()
    page.mouse.move(*a)
    page.mouse.down()
    page.mouse.move(*b, steps=8)
    page.mouse.up()
    page.wait_for_function(f"() => {{ const g = {GD.replace('[i]', '[0]')}; "
                           "return (g.layout.selections || []).length > 0; }", timeout=LOAD)
    box = chart_state(page)["box"]
    # The browser's box is the one dragged (to a pixel), and the server's rows are exactly the
    # rows inside it, counted here over every row's coordinates (not the drawn points).
    assert abs(box["x0"] - (ax["x0"] + (min(a[0], b[0]) - ax["left"]) / ax["width"]
                            * (ax["x1"] - ax["x0"]))) < 2 * (ax["x1"] - ax["x0"]) / ax["width"]
    x, y = ex["x"].to_numpy(float), ex["y"].to_numpy(float)
    inside = ((x >= min(box["x0"], box["x1"])) & (x <= max(box["x0"], box["x1"]))
              & (y >= min(box["y0"], box["y1"])) & (y <= max(box["y0"], box["y1"])))
    n = int(inside.sum())
    assert n >= 300
    tb.expect(page.get_by_text(f"Selected rows: {n:,}", exact=True)).to_be_visible(timeout=LOAD)
    shoot(page, shots / "map-density.png")

    # Zoom to the box: its rows (at most map_points_up_to) are drawn as points, all of them.
    page.get_by_role("button", name="Zoom to this box").click()
    tb.expect(page.get_by_text(f"Zoomed in: the {n:,} rows in this region", exact=False)
              ).to_be_visible(timeout=LOAD)
    page.wait_for_function(f"(n) => {{ const g = {GD.replace('[i]', '[0]')}; "
                           "return g && g.data && !(g._fullLayout.images || []).length && "
                           "g._fullData.reduce((s, t) => s + "
                           "(t._length || 0), 0) >= n; }", arg=n, timeout=LOAD)
    assert sum(chart_state(page)["points"]) == n

    # The rows carried to the Examples page and exported are exactly the rows inside.
    ax = axes(page)
    page.locator('[data-testid="stPlotlyChart"]').first.hover()
    page.locator('.modebar-btn[data-title="Box Select"]').click()
    page.mouse.move(ax["left"] + 2, ax["top"] + 2)
    page.mouse.down()
    page.mouse.move(ax["left"] + ax["width"] - 2, ax["top"] + ax["height"] - 2, steps=8)
    page.mouse.up()
    page.wait_for_function(f"() => {{ const g = {GD.replace('[i]', '[0]')}; "
                           "return (g.layout.selections || []).length > 0; }", timeout=LOAD)
    box = chart_state(page)["box"]
    inner = inside & (x >= min(box["x0"], box["x1"])) & (x <= max(box["x0"], box["x1"])) & \
        (y >= min(box["y0"], box["y1"])) & (y <= max(box["y0"], box["y1"]))
    m = int(inner.sum())
    tb.expect(page.get_by_text(f"Selected rows: {m:,}", exact=True)).to_be_visible(timeout=LOAD)
    page.get_by_role("button", name=f"Open these {m:,} rows on the Examples page").click()
    tb.expect(page.get_by_text(f"Restricted to {m:,} rows")).to_be_visible(timeout=LOAD)
    exported = pd.read_csv(download(page, "Download CSV"))
    assert key_set(exported) == key_set(ex[inner])
