"""The dashboard in a real browser: Playwright driving Debian's chromium against `streamlit run`.

Every test checks its result against the saved audit (the rows inside a lasso, the cluster's
typical rows, the exported file), so a dashboard that showed the wrong rows fails. A route guard
fails any test whose page made a request outside 127.0.0.1, and one row of the audit holds
HTML, a script and markdown (``PAYLOAD``) that must be shown as text everywhere.
"""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest

from browser_conftest import (CHROMIUM, CHROMIUM_ARGS, Server, audits,  # noqa: F401
                              need_chromium, screenshot_dir, server_env)
from synth_quality import AuditResult
from synth_quality.dashboard.store import is_audit_dir
from synth_quality.present.figures import points_in_polygon
from synth_quality.present.filters import sort_examples

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect = None  # set by the browser fixture (playwright is imported only when chromium exists)
LOAD = 90_000  # ms: a cold page on a busy 2-core machine
# The plotly graph div of chart number i on the page (JavaScript).
GD = "document.querySelectorAll('[data-testid=\"stPlotlyChart\"] .js-plotly-plot')[i]"
CELLS = "[...document.querySelectorAll('[data-testid=stDataFrame] [role=gridcell]')]"


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def playwright_browser():
    need_chromium()
    pytest.importorskip("playwright.sync_api", reason="browser tests need playwright "
                        "(pip install playwright; no `playwright install`: chromium is Debian's)")
    global expect
    from playwright.sync_api import expect as _expect, sync_playwright

    expect = _expect
    _expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def server(audits, tmp_path_factory, playwright_browser):  # noqa: F811
    """One server for the module, on the audit with the planted payload row."""
    logs = tmp_path_factory.mktemp("server-logs")
    srv = Server(server_env(audits, logs, folder=audits.payload))
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def result(audits):  # noqa: F811
    return AuditResult.load(audits.payload)


@pytest.fixture(scope="module")
def shots(tmp_path_factory):
    return screenshot_dir(tmp_path_factory)


@pytest.fixture
def page(playwright_browser):
    context = playwright_browser.new_context(viewport={"width": 1400, "height": 1100},
                                             accept_downloads=True)
    outside: list[str] = []

    def guard(route):
        url = route.request.url
        host = urlparse(url).hostname
        if url.startswith(("data:", "blob:", "file:", "about:")) or host in ("127.0.0.1",
                                                                              "localhost"):
            route.continue_()
        else:
            outside.append(url)
            route.abort()

    context.route("**/*", guard)
    dialogs: list[str] = []
    pg = context.new_page()
    pg.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    yield pg
    xss = pg.evaluate("() => window.__sq_xss === undefined ? null : window.__sq_xss")
    context.close()
    assert outside == [], f"requests outside 127.0.0.1: {outside}"
    assert dialogs == [] and xss is None, "a script from the data ran"


# --------------------------------------------------------------------------- helpers

def open_page(page, url: str, path: str, heading: str):
    page.goto(url + path)
    expect(page.locator("h1").filter(has_text=heading).first).to_be_visible(timeout=LOAD)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)
    assert urlparse(page.url).path.rstrip("/") == path.rstrip("/"), page.url


def wait_chart(page, index: int = 0):
    chart = page.locator('[data-testid="stPlotlyChart"]').nth(index)
    chart.scroll_into_view_if_needed()
    page.wait_for_function(
        f"(i) => {{ const g = {GD}; return g && g._fullLayout && g._fullLayout.xaxis "
        "&& g._fullLayout.yaxis; }", arg=index, timeout=LOAD)
    return chart


def axes(page, index: int = 0) -> dict:
    """The plot area of chart ``index`` in viewport pixels, and its axis ranges."""
    return page.evaluate(
        f"(i) => {{ const g = {GD};" + """
                   const r = g.getBoundingClientRect(), L = g._fullLayout;
                   return {left: r.left + L.xaxis._offset, top: r.top + L.yaxis._offset,
                           width: L.xaxis._length, height: L.yaxis._length,
                           x0: L.xaxis.range[0], x1: L.xaxis.range[1],
                           y0: L.yaxis.range[0], y1: L.yaxis.range[1]}; }""", index)


def to_px(ax: dict, x, y):
    px = ax["left"] + (np.asarray(x, float) - ax["x0"]) / (ax["x1"] - ax["x0"]) * ax["width"]
    py = ax["top"] + (ax["y1"] - np.asarray(y, float)) / (ax["y1"] - ax["y0"]) * ax["height"]
    return px, py


def grid_texts(page, index: int | None = None) -> list[str]:
    grids = page.locator('[data-testid="stDataFrame"]')
    scope = grids if index is None else grids.nth(index)
    return scope.locator('[role="gridcell"]').all_inner_texts()


def shoot(page, path: Path, height: int = 1100) -> None:
    """Screenshot of the viewport, made taller first (the app scrolls inside its own box)."""
    page.mouse.move(5, 5)   # no hover label in the picture
    page.set_viewport_size({"width": 1400, "height": height})
    page.locator("h1").first.scroll_into_view_if_needed()
    page.wait_for_timeout(1500)
    page.screenshot(path=path)
    page.set_viewport_size({"width": 1400, "height": 1100})


def wait_cell(page, text: str, first: int | None = None, timeout: int = 30_000) -> None:
    """Wait until a table cell (among the first ``first`` cells) reads exactly ``text``."""
    page.wait_for_function(
        f"([t, n]) => {{ const c = {CELLS}; "
        "return (n ? c.slice(0, n) : c).some(x => x.innerText === t); }",
        arg=[text, first], timeout=timeout)


def download(page, button_name: str) -> Path:
    with page.expect_download() as info:
        page.get_by_role("button", name=button_name).click()
    return Path(info.value.path())


def key_set(frame: pd.DataFrame) -> set[tuple[str, int]]:
    return set(zip(frame["side"].astype(str), frame["row"].astype(int)))


def edge_distance(px, py, poly) -> np.ndarray:
    """Distance in pixels from each point to the nearest polygon edge."""
    best = np.full(len(px), np.inf)
    for (ax_, ay), (bx, by) in zip(poly, poly[1:] + poly[:1]):
        dx, dy = bx - ax_, by - ay
        t = np.clip(((px - ax_) * dx + (py - ay) * dy) / (dx * dx + dy * dy), 0, 1)
        best = np.minimum(best, np.hypot(px - (ax_ + t * dx), py - (ay + t * dy)))
    return best


def pick_region(ex: pd.DataFrame, ax: dict, shape: str, rng) -> tuple[list, np.ndarray]:
    """A lasso polygon or a box (pixels) holding 10-300 points, none within 4 px of an edge
    (so that rounding cannot decide a point); the fullest of 3,000 random tries (a dense map
    may leave few clean boxes, and which ones depends on the layout)."""
    px, py = to_px(ax, ex["x"], ex["y"])
    best = None
    for _ in range(3000):
        cx, cy = px[rng.integers(len(px))], py[rng.integers(len(py))]
        r = rng.uniform(0.03, 0.2) * min(ax["width"], ax["height"])
        if shape == "box":
            aspect = rng.uniform(0.4, 1.2)
            poly = [(cx - r, cy - r * aspect), (cx + r, cy - r * aspect),
                    (cx + r, cy + r * aspect), (cx - r, cy + r * aspect)]
        else:
            poly = [(cx + r * np.cos(a) * (1 + 0.25 * np.sin(3 * a)),
                     cy + r * np.sin(a) * (1 + 0.25 * np.sin(3 * a)))
                    for a in np.linspace(0, 2 * np.pi, 9)[:-1]]
        xs, ys = zip(*poly)
        if (min(xs) < ax["left"] + 5 or max(xs) > ax["left"] + ax["width"] - 5
                or min(ys) < ax["top"] + 5 or max(ys) > ax["top"] + ax["height"] - 5):
            continue
        inside = points_in_polygon(px, py, poly)
        if 10 <= inside.sum() <= 300 and edge_distance(px, py, poly).min() > 4:
            if best is None or inside.sum() > best[1].sum():
                best = (poly, inside)
    assert best is not None, "no clean region found"
    return best


def drag(page, poly, steps: int = 3):
    page.mouse.move(*poly[0])
    page.mouse.down()
    for point in poly[1:] + poly[:1]:
        page.mouse.move(*point, steps=steps)
    page.mouse.up()


# --------------------------------------------------------------------------- tests

PAGES = [("/", "Is the synthetic data any good?"), ("/Data", "Data"), ("/Map", "Map"),
         ("/Clusters", "Clusters"), ("/Examples", "Examples"), ("/Report", "Report"),
         ("/Lift", "Lift"), ("/Corners", "Centre or corners")]


@pytest.mark.parametrize("path,heading", PAGES, ids=[p or "home" for p, _ in PAGES])
def test_each_page_opens_first_by_url_on_a_fresh_server(audits, tmp_path, page, path,  # noqa: F811
                                                        heading):
    """The built-in sample (already in the cache): any page can be the first one opened."""
    srv = Server(server_env(audits, tmp_path))
    try:
        open_page(page, srv.url, path, heading)
        if path == "/":
            expect(page.get_by_text("Detection AUC").first).to_be_visible()
            expect(page.get_by_text("built-in sample").first).to_be_visible()
    finally:
        srv.stop()


def test_overview_shows_data_as_text(server, page, result):
    open_page(page, server.url, "/", "Is the synthetic data any good?")
    expect(page.get_by_text("Verdict", exact=True)).to_be_visible()
    expect(page.get_by_text("Findings worth reading first")).to_be_visible()
    # The planted row appears in a findings table as literal text.
    page.get_by_text("Synthetic rows that copy real rows").scroll_into_view_if_needed()
    page.wait_for_function("() => [...document.querySelectorAll('[role=gridcell]')]"
                           ".some(c => c.innerText.includes('PAYLOAD-ROW'))", timeout=30_000)
    cells = [t for t in grid_texts(page) if "PAYLOAD-ROW" in t]
    assert cells and "<script>" in cells[0] and "**not bold**" in cells[0]
    assert page.locator("strong", has_text="not bold").count() == 0
    assert page.locator("b", has_text="not bold").count() == 0
    assert page.locator("img[src='x']").count() == 0


def test_click_a_point_shows_its_row(server, page, result, shots):
    ex = result.examples
    open_page(page, server.url, "/Map", "Map")
    wait_chart(page)
    ax = axes(page)
    px, py = to_px(ax, ex["x"], ex["y"])
    # The most isolated point (in pixels), so the click cannot hit a neighbour.
    d = np.hypot(px[:, None] - px[None, :], py[:, None] - py[None, :])
    np.fill_diagonal(d, np.inf)
    inside = (px > ax["left"] + 10) & (px < ax["left"] + ax["width"] - 10) & \
             (py > ax["top"] + 10) & (py < ax["top"] + ax["height"] - 10)
    target = int(np.argmax(np.where(inside, d.min(axis=1), -1)))
    assert d[target].min() > 8
    page.mouse.click(float(px[target]), float(py[target]))
    expect(page.get_by_text("Selected rows: 1", exact=True)).to_be_visible()
    row = ex.loc[target]
    wait_cell(page, str(row["text"]))
    cells = grid_texts(page, 0)
    assert str(int(row["row"])) in cells and row["side"] in cells, cells


def test_lasso_selects_exactly_the_rows_inside(server, page, result, shots):
    ex = result.examples
    open_page(page, server.url, "/Map", "Map")
    chart = wait_chart(page)
    ax = axes(page)
    poly, inside = pick_region(ex, ax, "lasso", np.random.default_rng(3))
    chart.hover()
    page.locator('.modebar-btn[data-title="Lasso Select"]').click()
    drag(page, poly)
    n = int(inside.sum())
    expect(page.get_by_text(f"Selected rows: {n:,}", exact=True)).to_be_visible()
    shoot(page, shots / "map.png", 1100)
    # Carry the selection to the Examples page and export it: exactly the rows inside.
    page.get_by_role("button", name=f"Open these {n:,} rows on the Examples page").click()
    expect(page.get_by_text(f"Restricted to {n:,} rows")).to_be_visible(timeout=LOAD)
    exported = pd.read_csv(download(page, "Download CSV"))
    assert key_set(exported) == key_set(ex[inside])


def test_box_selects_exactly_the_rows_inside(server, page, result):
    ex = result.examples
    open_page(page, server.url, "/Map", "Map")
    chart = wait_chart(page)
    ax = axes(page)
    box, inside = pick_region(ex, ax, "box", np.random.default_rng(7))
    chart.hover()
    page.locator('.modebar-btn[data-title="Box Select"]').click()
    page.mouse.move(*box[0])
    page.mouse.down()
    page.mouse.move(*box[2], steps=8)
    page.mouse.up()
    expect(page.get_by_text(f"Selected rows: {int(inside.sum()):,}", exact=True)).to_be_visible()
    page.wait_for_selector('[data-testid=stDataFrame] [role=gridcell]', state="attached")
    texts = set(grid_texts(page, 0))
    shown = [t for t in ex.loc[inside, "text"] if t in texts]
    assert shown, "the selection table shows none of the rows inside the box"


def test_click_a_cluster_shows_its_examples(server, page, result, shots):
    clusters = result.clusters
    ex = result.examples
    open_page(page, server.url, "/Clusters", "Clusters")
    first = int(clusters["cluster"].iloc[0])
    expect(page.get_by_role("heading", name=f"Cluster {first}", exact=True)).to_be_visible()
    wait_chart(page, 0)
    i = 1  # the second bar (the first is selected at the start)
    target = int(clusters["cluster"].iloc[i])
    click_bar(page, i)
    expect(page.get_by_role("heading", name=f"Cluster {target}", exact=True)).to_be_visible()
    typical = [ex.loc[int(r), "text"] for r in clusters["typical_rows"].iloc[i]]
    wait_cell(page, typical[0])
    cells = set(grid_texts(page))
    assert all(t in cells for t in typical)
    shoot(page, shots / "clusters.png", 1900)
    # A row of the cluster table selects too (row 4: the checkbox column on the left).
    table = page.locator('[data-testid="stDataFrame"]').first
    table.scroll_into_view_if_needed()
    box = table.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 35 * 4 + 17)
    target = int(clusters["cluster"].iloc[4])
    expect(page.get_by_role("heading", name=f"Cluster {target}", exact=True)).to_be_visible()


def click_bar(page, i: int, tries: int = 5) -> None:
    """Click bar ``i`` of the first chart (a bar chart): hover until plotly shows its label."""
    for attempt in range(tries):
        page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
        ax = axes(page, 0)
        y = page.evaluate(f"(i) => {{ const g = {GD.replace('[i]', '[0]')}; "
                          "return g._fullLayout.yaxis.l2p(i) + g._fullLayout.yaxis._offset"
                          " + g.getBoundingClientRect().top; }", i)
        x = ax["left"] + (0.02 + 0.03 * attempt) * ax["width"]
        page.mouse.move(x - 5, y)
        page.mouse.move(x, y, steps=3)
        try:
            page.wait_for_function(
                "() => document.querySelector('.hoverlayer')?.textContent.length > 0",
                timeout=3_000)
        except Exception:
            continue
        page.mouse.click(x, y)
        return
    raise AssertionError(f"bar {i} never showed its hover label (at {x:.0f}, {y:.0f})")


def choose(page, label: str, option: str):
    """Pick an option of a Streamlit selectbox or multiselect by its label."""
    page.get_by_role("combobox", name=label, exact=True).click()
    page.get_by_role("option", name=option, exact=True).click()
    page.keyboard.press("Escape")


def test_filter_and_sort_the_table(server, page, result, shots):
    ex = result.examples
    open_page(page, server.url, "/Examples", "Examples")
    expect(page.get_by_text(f"Showing {len(ex):,} of {len(ex):,} rows")).to_be_visible()
    choose(page, "Side", "real")
    real = ex[ex["side"] == "real"]
    expect(page.get_by_text(f"Showing {len(real):,} of {len(ex):,} rows")).to_be_visible()
    word = "film"
    page.get_by_role("textbox", name="Text contains").fill(word)
    page.get_by_role("textbox", name="Text contains").press("Enter")
    hits = real[real["text"].str.contains(word, case=False, regex=False)]
    expect(page.get_by_text(f"Showing {len(hits):,} of {len(ex):,} rows")).to_be_visible()
    choose(page, "Sort by", "Outlier score")
    page.get_by_text("Ascending").click()   # off: largest first
    top = sort_examples(hits, "outlier_score", False).iloc[0]
    wait_cell(page, top["text"], first=12)


def test_views_flags_and_exports(server, page, result, shots):
    ex = result.examples
    open_page(page, server.url, "/Examples", "Examples")
    degenerate = ex[(ex["side"] == "synthetic") & ex["is_degenerate"]]
    page.locator('[data-testid="stButtonGroup"] button',
                 has_text=re.compile(r"^Degenerate \(")).click()
    expect(page.get_by_text(f"Showing {len(degenerate):,} of {len(ex):,} rows")).to_be_visible()
    shoot(page, shots / "examples.png", 1300)
    rows = pd.read_csv(download(page, "Download CSV"))
    assert key_set(rows) == key_set(degenerate)
    assert rows["is_degenerate"].all()
    parquet = pd.read_parquet(download(page, "Download Parquet"))
    assert key_set(parquet) == key_set(degenerate)
    # Flag them all: the cleaned synthetic set leaves exactly those rows out.
    page.get_by_role("button", name=f"Flag all {len(degenerate):,} shown synthetic rows").click()
    expect(page.get_by_text(f"{len(degenerate):,} flagged").first).to_be_visible()
    cleaned = pd.read_parquet(download(page, "Download cleaned Parquet"))
    syn = ex[ex["side"] == "synthetic"]
    assert len(cleaned) == len(syn) - len(degenerate)
    assert set(cleaned["row"]) == set(syn["row"]) - set(degenerate["row"])
    assert list(cleaned.columns) == ["row", "text", "sentiment", "generator"]
    cleaned_csv = pd.read_csv(download(page, "Download cleaned CSV"))
    assert len(cleaned_csv) == len(cleaned)


def test_the_planted_row_is_text_on_the_examples_page(server, page, audits):  # noqa: F811
    open_page(page, server.url, "/Examples", "Examples")
    page.get_by_role("textbox", name="Text contains").fill("PAYLOAD-ROW")
    page.get_by_role("textbox", name="Text contains").press("Enter")
    expect(page.get_by_text("Showing 1 of")).to_be_visible()
    grid = page.locator('[data-testid="stDataFrame"]').first
    box = grid.bounding_box()
    page.mouse.click(box["x"] + 16, box["y"] + 35 + 17)    # tick the row
    expect(page.get_by_text("Row details")).to_be_visible()
    expect(page.locator('[data-testid="stText"]').filter(has_text="<script>")).to_be_visible()
    assert page.locator("img[src='x']").count() == 0


def test_report_downloads_and_opens_offline(server, page, result, tmp_path):
    open_page(page, server.url, "/Report", "Report")
    expect(page.locator("iframe").first).to_be_visible(timeout=LOAD)
    path = download(page, "Download the report (HTML)")
    html = path.read_text(encoding="utf-8")
    assert "PAYLOAD-ROW &lt;script&gt;" in html and "<script>window.__sq_xss" not in html
    target = tmp_path / "report.html"
    target.write_text(html, encoding="utf-8")
    page.goto(target.as_uri())
    expect(page.get_by_role("heading", name="Verdict")).to_be_visible()
    page.wait_for_function(
        "() => document.querySelectorAll('.js-plotly-plot .main-svg').length >= 2")
    expect(page.get_by_text(result.summary["verdict"][:60])).to_be_visible()


def upload_binary(page, uploader, path: Path) -> None:
    """Upload a binary file named like a CSV; the page must say so, naming the file."""
    path.write_bytes(b"\x00\x01\x02 not a table \x00" * 50)
    uploader.set_input_files(str(path))
    expect(page.get_by_text(f"{path.name} looks like a binary file")).to_be_visible()


def test_bad_uploads_show_the_message_next_to_their_control(server, page, tmp_path):
    open_page(page, server.url, "/Data", "Data")
    expect(page.get_by_text("200 MB").first).to_be_visible()
    page.get_by_text("One file with a source column").click()
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
    upload_binary(page, uploader, tmp_path / "bad.csv")

    three = tmp_path / "three.csv"
    sides = ["real", "synthetic", "other"]
    rows = ["text,source"] + [f"a review of some length number {i},{sides[i % 3]}"
                              for i in range(30)]
    three.write_text("\n".join(rows) + "\n")
    uploader.set_input_files(str(three))
    message = page.get_by_text(re.compile("must have exactly two values"))
    expect(message).to_be_visible()
    # Shown right under the control that caused it.
    control = page.get_by_role("combobox", name="Source column", exact=True).bounding_box()
    below = message.bounding_box()
    assert 0 < below["y"] - control["y"] < 200 and abs(below["x"] - control["x"]) < 60

    good = tmp_path / "good.csv"
    rows = ["text,source,label"] + [
        f"a {'real' if i % 2 else 'made up'} review number {i} of a film,"
        f"{'real' if i % 2 else 'synthetic'},{'pos' if i % 4 < 2 else 'neg'}" for i in range(40)]
    good.write_text("\n".join(rows) + "\n")
    uploader.set_input_files(str(good))
    expect(page.get_by_text("Real side: 20 rows")).to_be_visible()
    expect(page.get_by_text("Synthetic side: 20 rows")).to_be_visible()
    expect(page.get_by_role("button", name="Run the audit")).to_be_visible()


def test_two_files_errors_go_to_the_file_they_were_found_in(server, page, tmp_path):
    """Routed by the error's kind and side, not its words: too few synthetic rows shows under
    the synthetic file's uploader (the right column), not the real one's."""
    open_page(page, server.url, "/Data", "Data")
    page.get_by_text("Two files: real and synthetic").click()
    real, synth = tmp_path / "real.csv", tmp_path / "synth.csv"
    real.write_text("text,label\n" + "".join(f"a real review of a film number {i},pos\n"
                                             for i in range(12)))
    synth.write_text("text\n" + "".join(f"a made up review of a film number {i}\n"
                                        for i in range(3)))
    uploaders = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    uploaders.nth(0).set_input_files(str(real))
    # Wait for the rerun that reads the first file before setting the second (one set during
    # that rerun was now and then dropped on a loaded machine).
    expect(page.get_by_text("real.csv: 12 rows")).to_be_visible()
    uploaders.nth(1).set_input_files(str(synth))
    message = page.get_by_text(re.compile("the synthetic side has 3 rows"))
    expect(message).to_be_visible()
    boxes = [page.locator('[data-testid="stFileUploader"]').nth(i).bounding_box()
             for i in (0, 1)]
    at = message.bounding_box()
    assert abs(at["x"] - boxes[1]["x"]) < 60 < abs(at["x"] - boxes[0]["x"]), (at, boxes)
    assert 0 < at["y"] - boxes[1]["y"] < 300


def test_add_synthetic_rows_to_the_current_audit(server, page, result, audits, tmp_path):  # noqa: F811
    open_page(page, server.url, "/Data", "Data")
    page.get_by_text("Add synthetic rows to the current audit").click()
    uploader = page.locator('[data-testid="stFileUploaderDropzoneInput"]').first
    upload_binary(page, uploader, tmp_path / "broken.csv")

    new = pd.DataFrame({
        "text": [f"Round two review {i}: the {w} is {a}, and the ending lands better than expected."
                 for i, (w, a) in enumerate((w, a) for w in ("plot", "cast", "score", "pacing")
                                            for a in ("thin", "sharp", "warm", "uneven", "bold"))],
        "sentiment": ["positive", "negative"] * 10, "generator": "round-two"})
    good = tmp_path / "round2.csv"
    new.to_csv(good, index=False)
    uploader.set_input_files(str(good))
    expect(page.get_by_text("20 rows to add")).to_be_visible()
    # The audit's own column names are the defaults.
    expect(page.get_by_role("combobox", name="Label column (optional)")).to_have_value("sentiment")
    page.get_by_role("button", name="Add 20 rows and re-audit").click()
    expect(page.get_by_text("Audit ready")).to_be_visible(timeout=LOAD)
    n_syn = result.n_synthetic + 20
    expect(page.locator('[data-testid="stSidebar"]').get_by_text(f"{n_syn:,} synthetic rows")).to_be_visible()
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)

    # The saved audit holds the old rows, in place, and the new ones as batch 1.
    folders = [f for f in (audits.cache / "audits").glob("upload-*") if is_audit_dir(f)]
    assert len(folders) == 1, folders
    added = AuditResult.load(folders[0])
    assert added.examples.loc[added.examples["batch"] == 1, "text"].tolist() == new["text"].tolist()
    assert added.summary["warm_start"]["rows_matched"] == len(result.examples)
    assert added.summary["batches"][1]["file"] == "round2.csv"


def click_band(page, band: int, share: float, tries: int = 5) -> None:
    """Click the bar of density band ``band`` (x = band, height = ``share``) of the first
    chart: hover until plotly shows its label."""
    for attempt in range(tries):
        page.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
        ax = axes(page, 0)
        px, py = to_px(ax, band, share * (0.3 + 0.1 * attempt))
        page.mouse.move(float(px), float(py) + 5)
        page.mouse.move(float(px), float(py), steps=3)
        try:
            page.wait_for_function(
                "() => document.querySelector('.hoverlayer')?.textContent.includes('band')",
                timeout=3_000)
        except Exception:
            continue
        page.mouse.click(float(px), float(py))
        return
    raise AssertionError(f"could not hover band {band}")


def test_corners_page_shows_the_bands_and_a_clicked_bands_rows(server, page, result, shots):
    """Issue 18: the band chart against no difference, the verdict in words, a band's rows a
    click away, and the few-shot export of exactly the rows the audit says are missed."""
    from synth_quality.present.next_steps import few_shot_groups, few_shot_table

    block = result.summary["centre_vs_corners"]
    ex = result.examples
    open_page(page, server.url, "/Corners", "Centre or corners")
    expect(page.get_by_role("heading", name=f"Verdict: {block['verdict']}")).to_be_visible()
    expect(page.get_by_text(block["sentence"][:60]).first).to_be_visible()
    wait_chart(page, 0)
    band = max(block["bands"], key=lambda b: b["synthetic_share"])
    click_band(page, band["band"], band["synthetic_share"])
    real = int(((ex["side"] == "real") & (ex["density_band"] == band["band"])).sum())
    syn = int(((ex["side"] == "synthetic") & (ex["density_band"] == band["band"])).sum())
    assert syn == band["n_synthetic"] and real == band["n_real"]
    expect(page.get_by_text(f"Band {band['band']}: {real:,} real and {syn:,} synthetic rows")
           ).to_be_visible()
    shoot(page, shots / "corners.png", 1300)
    groups = few_shot_groups(ex, result.summary)
    if groups:
        page.get_by_role("button", name=re.compile(r"Download all .* rows \(CSV\)")
                         ).scroll_into_view_if_needed()
        got = pd.read_csv(download(page, f"Download all {sum(len(g['rows']) for g in groups):,} "
                                         "rows (CSV)"))
        want = few_shot_table(ex, groups)
        assert got["text"].tolist() == want["text"].tolist()
        assert got["group"].tolist() == want["group"].tolist()


def test_the_map_colours_by_rarity(server, page, result):
    open_page(page, server.url, "/Map", "Map")
    wait_chart(page, 0)
    page.get_by_label("Colour by").click()
    page.get_by_role("option", name="Rarity score (high = rare region)").click()
    expect(page.get_by_text("Rarity score: Radius (cosine distance)").first).to_be_visible()
    ex = result.examples
    n_missing = int(ex["rarity_score"].isna().sum())
    if n_missing:
        expect(page.get_by_text(f"no value ({n_missing:,})").first).to_be_visible()
