"""The dashboard served to a team (``SYNTH_QUALITY_SERVE=1``, what ``synth-quality app --serve``
sets), driven by several browser contexts at once: each context is one visitor with its own
Streamlit session.

- the "Audit folder" box opens saved audits inside its root only, with one message for every
  path it will not open (outside, missing, not an audit, someone's private upload audit);
- a visitor uploading the same files as another is offered "Run the audit", never "Open the
  saved audit": nothing tells them someone audited those files before;
- two visitors' audits, in line (one at a time, with a message saying so) and side by side,
  each with its own progress bar, both equal to the same audit run alone from Python;
- the server's resident memory goes back near where it was once a visitor who uploaded a
  large table closes the tab (measured and printed).
"""

from __future__ import annotations

import os
import re
import shutil
import time
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
import pandas as pd
import pytest

from browser_conftest import (CHROMIUM, CHROMIUM_ARGS, Server, audits,  # noqa: F401
                              need_chromium, server_env, streamlit_run)
from synth_quality import AuditConfig, AuditResult, audit
from synth_quality.dashboard.serving import FOLDER_OFF, FOLDER_REFUSED
from synth_quality.dashboard.store import is_audit_dir, sample_audit_dir

pytestmark = [pytest.mark.browser, pytest.mark.slow]

expect = None
LOAD = 120_000      # ms: a cold page, or an audit, on a busy 2-core machine
AUDIT = 300_000     # ms: an audit waiting for another one, on a busy 2-core machine
#: Streamlit keeps a closed tab's session this long for a reconnect (default 120 s).
TTL = 3


# --------------------------------------------------------------------------- fixtures

@pytest.fixture(scope="module")
def browser():
    need_chromium()
    pytest.importorskip("playwright.sync_api", reason="browser tests need playwright")
    global expect
    from playwright.sync_api import expect as _expect, sync_playwright

    expect = _expect
    _expect.set_options(timeout=30_000)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


class Visitor:
    """One browser context (cookies, storage and Streamlit session of its own)."""

    def __init__(self, browser):
        self.context = browser.new_context(viewport={"width": 1400, "height": 1100})
        self.outside: list[str] = []

        def guard(route):
            url = route.request.url
            if url.startswith(("data:", "blob:", "about:")) or \
                    urlparse(url).hostname in ("127.0.0.1", "localhost"):
                route.continue_()
            else:
                self.outside.append(url)
                route.abort()

        self.context.route("**/*", guard)
        self.page = self.context.new_page()

    def close(self):
        self.context.close()
        assert self.outside == [], f"requests outside 127.0.0.1: {self.outside}"


@pytest.fixture
def visitors(browser):
    made: list[Visitor] = []

    def new() -> Visitor:
        made.append(Visitor(browser))
        return made[-1]

    yield new
    for v in made:
        try:
            v.close()
        except Exception:  # noqa: BLE001 - a closed context: nothing left to check
            pass


def numba_env() -> dict:
    """The test session's compiled UMAP code (its cache root's numba/), so that the server does
    not compile it again."""
    from synth_quality.config import default_cache_dir

    return {"NUMBA_CACHE_DIR": str(default_cache_dir() / "numba")}


def start_server(audits, root: Path, logs: Path, **serve) -> Server:  # noqa: F811
    """A served dashboard: ``root`` holds its cache (with the sample's audit) and, when
    ``audit_root`` is given, the folders the box may open."""
    cache = root / "cache"
    logs.mkdir(parents=True, exist_ok=True)
    if not sample_audit_dir(cache_root=cache).exists():
        shutil.copytree(audits.sample, sample_audit_dir(cache_root=cache))
    env = server_env(audits, logs)
    env.update(numba_env(), SYNTH_QUALITY_CACHE_DIR=str(cache), SYNTH_QUALITY_SERVE="1")
    for name, value in serve.items():
        env[f"SYNTH_QUALITY_{name.upper()}"] = str(value)
    return Server(env, command=lambda port: streamlit_run(port) + [
        "--server.disconnectedSessionTTL", str(TTL)])


@pytest.fixture(scope="module")
def team(audits, tmp_path_factory, browser):  # noqa: F811
    """A served server whose box may open saved audits under ``root`` (which also holds the
    server's cache, private folders included), one audit at a time."""
    root = tmp_path_factory.mktemp("team-root")
    shutil.copytree(audits.sample, root / "runs" / "first")
    (root / "notes").mkdir()
    srv = start_server(audits, root, tmp_path_factory.mktemp("team-logs"),
                       audit_root=root, max_audits=1)
    srv.root = root
    yield srv
    srv.stop()


# --------------------------------------------------------------------------- data and helpers

def two_files(folder: Path, topic: str, n_real: int, n_syn: int, seed: int) -> tuple[Path, Path]:
    """A real and a synthetic CSV about ``topic``: the synthetic side is cased, longer and
    repeats itself, so the audit has something to find."""
    rng = np.random.default_rng(seed)
    nouns = {"films": ["plot", "cast", "ending", "script", "score", "pacing", "lead", "scene"],
             "kettles": ["lid", "spout", "handle", "base", "switch", "cord", "filter", "light"],
             "trains": ["carriage", "seat", "timetable", "platform", "driver", "ticket", "delay",
                        "window"]}[topic]
    adjs = ["fine", "slow", "sharp", "thin", "warm", "odd", "loud", "clean", "bright", "dull"]
    real = [f"the {rng.choice(nouns)} was {rng.choice(adjs)} , and the {rng.choice(nouns)} "
            f"{rng.choice(adjs)} ." for _ in range(n_real)]
    syn = [f"Honestly, the {rng.choice(nouns)} is {rng.choice(adjs)} and the "
           f"{rng.choice(nouns)} feels {rng.choice(adjs)} overall." for _ in range(n_syn - 10)]
    syn += [f"A truly {rng.choice(adjs)} {rng.choice(nouns)}!"] * 10
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / f"real-{topic}.csv", folder / f"synthetic-{topic}.csv")
    pd.DataFrame({"text": real}).to_csv(paths[0], index=False)
    pd.DataFrame({"text": syn}).to_csv(paths[1], index=False)
    return paths


def open_data(page, url: str):
    page.goto(url + "/Data")
    expect(page.locator("h1").filter(has_text="Data").first).to_be_visible(timeout=LOAD)
    expect(page.locator('[data-testid="stException"]')).to_have_count(0)


def upload_two(page, url: str, real: Path, syn: Path, n_real: int, n_syn: int):
    open_data(page, url)
    page.get_by_text("Two files: real and synthetic").click()
    boxes = page.locator('[data-testid="stFileUploaderDropzoneInput"]')
    boxes.nth(0).set_input_files(str(real))
    # The page reruns once the first file is read; a second upload set during that rerun was
    # now and then dropped (the synthetic box stayed empty under a loaded CI machine).
    expect(page.get_by_text(f"{real.name}: {n_real:,} rows")).to_be_visible(timeout=LOAD)
    boxes.nth(1).set_input_files(str(syn))
    expect(page.get_by_text(f"{syn.name}: {n_syn:,} rows")).to_be_visible(timeout=LOAD)
    expect(page.get_by_text(f"Real side: {n_real:,} rows")).to_be_visible(timeout=LOAD)
    expect(page.get_by_text(f"Synthetic side: {n_syn:,} rows")).to_be_visible()


def private_audits(root: Path) -> dict[str, list[Path]]:
    """{owner: its upload audit folders} under the server's cache."""
    out: dict[str, list[Path]] = {}
    for folder in sorted((root / "cache" / "private").glob("*/audits/upload-*")):
        if is_audit_dir(folder):
            out.setdefault(folder.parent.parent.name, []).append(folder)
    return out


def expected_audit(real: Path, syn: Path, tmp: Path) -> AuditResult:
    """The same audit run alone from Python, with the Data page's default settings."""
    from synth_quality.io import load_inputs, read_table

    rf, sf = read_table(real)[0], read_table(syn)[0]
    inputs = load_inputs(real=rf, synthetic=sf, names={"real": real.name, "synthetic": syn.name},
                         text_column="text", label_column=None, generator_column=None)
    config = AuditConfig.from_dict({"cluster": {"min_cluster_size": None},
                                    "detect": {"n_folds": 5}, "random_state": 0,
                                    "embed": {"cache_dir": str(tmp)}})
    return audit(inputs=inputs, config=config)


def assert_same_audit(got: AuditResult, want: AuditResult) -> None:
    """Same rows in the same order, same map, clusters and scores."""
    g, w = got.examples, want.examples
    assert g[["side", "row", "text"]].equals(w[["side", "row", "text"]])
    for col in ("x", "y", "p_synthetic", "label_issue_score", "coverage_score",
                "outlier_score"):
        np.testing.assert_allclose(g[col].to_numpy(float), w[col].to_numpy(float), atol=1e-5,
                                   err_msg=col)
    assert g["cluster"].tolist() == w["cluster"].tolist()
    assert g["category"].tolist() == w["category"].tolist()
    for key in ("detection_auc", "unrealistic", "unrepresentative", "unvaried", "unoriginal"):
        assert got.summary[key] == pytest.approx(want.summary[key], abs=1e-6), key


# --------------------------------------------------------------------------- tests

def test_the_folder_box_opens_its_root_only_with_one_message(team, visitors, audits):  # noqa: F811
    page = visitors().page
    open_data(page, team.url)
    page.get_by_text("An earlier audit's folder").click()
    root = team.root
    (root / "link").unlink(missing_ok=True)
    (root / "link").symlink_to(audits.sample)                   # inside, pointing outside
    refused = [str(audits.sample),                              # an audit outside the root
               str(root / "link"), "runs/../../",               # ways out of the root
               str(root / "notes"), str(root / "no-such-folder"),  # not an audit, missing
               "/etc"]
    message = FOLDER_REFUSED.format(root=root.resolve())
    box = page.get_by_role("textbox", name="Audit folder")
    for path in refused:
        box.fill(path)
        box.press("Enter")
        page.get_by_role("button", name="Open this audit").click()
        expect(page.get_by_text(message, exact=True)).to_be_visible()
        # The same words whatever the reason: nothing else was said about the path.
        alerts = page.locator('[data-testid="stAlert"]').all_inner_texts()
        assert [a for a in alerts if "folder" in a.lower()] == [message], (path, alerts)
    box.fill("runs/first")
    box.press("Enter")
    page.get_by_role("button", name="Open this audit").click()
    expect(page.get_by_text("Audit ready: saved audit first")).to_be_visible(timeout=LOAD)
    sidebar = page.locator('[data-testid="stSidebar"]')
    expect(sidebar.get_by_text("saved audit first")).to_be_visible()


def test_uploads_stay_private_to_the_session(team, visitors, tmp_path):
    """Two visitors upload the same two files: the second is offered "Run the audit", never
    the first one's saved audit, and cannot open that audit's folder by its path."""
    real, syn = two_files(tmp_path / "data", "films", 60, 80, seed=1)
    first, second = visitors(), visitors()
    upload_two(first.page, team.url, real, syn, 60, 80)
    first.page.get_by_role("button", name="Run the audit").click()
    expect(first.page.get_by_text("Audit ready")).to_be_visible(timeout=AUDIT)
    mine = [f for folders in private_audits(team.root).values() for f in folders]
    assert len(mine) == 1, mine
    # The owner is offered their own audit again (reuse works within a session).
    first.page.get_by_text("Two files: real and synthetic").click()
    expect(first.page.get_by_role("button", name="Open the saved audit of these files")
           ).to_be_visible(timeout=LOAD)

    upload_two(second.page, team.url, real, syn, 60, 80)
    expect(second.page.get_by_role("button", name="Run the audit")).to_be_visible()
    assert second.page.get_by_role("button", name="Open the saved audit of these files"
                                   ).count() == 0
    # Nor by its path: the folder is inside the box's root, but private.
    second.page.get_by_text("An earlier audit's folder").click()
    box = second.page.get_by_role("textbox", name="Audit folder")
    box.fill(str(mine[0]))
    box.press("Enter")
    second.page.get_by_role("button", name="Open this audit").click()
    expect(second.page.get_by_text(FOLDER_REFUSED.format(root=team.root.resolve()),
                                   exact=True)).to_be_visible()
    expect(second.page.locator('[data-testid="stSidebar"]').get_by_text("built-in sample")
           ).to_be_visible()


def progress_texts(page) -> list[str]:
    return page.locator('[data-testid="stProgress"]').all_inner_texts()


@pytest.mark.parametrize("limit", [1, 2])
def test_two_audits_at_once_each_with_its_bar_both_right(audits, visitors, tmp_path,  # noqa: F811
                                                          limit):
    """Two visitors start an audit of different data at the same moment. With one audit at a
    time the second is told it waits, then runs; with two they run side by side. Each page
    shows its own progress bar, and each audit equals the same audit run alone."""
    root = tmp_path / f"root-{limit}"
    srv = start_server(audits, root, tmp_path / "logs", max_audits=limit)
    try:
        # Sizes and topics differ, so an audit that mixed the two up would not match.
        data = {"a": (two_files(tmp_path / "data", "kettles", 300, 400, seed=2), 300, 400),
                "b": (two_files(tmp_path / "data", "trains", 90, 60, seed=3), 90, 60)}
        pages = {}
        for name, ((real, syn), n_real, n_syn) in data.items():
            pages[name] = visitors().page
            upload_two(pages[name], srv.url, real, syn, n_real, n_syn)
        bars = {name: pages[name].locator('[data-testid="stProgress"]') for name in data}
        pages["a"].get_by_role("button", name="Run the audit").click()
        expect(bars["a"]).to_be_visible(timeout=LOAD)
        pages["b"].get_by_role("button", name="Run the audit").click()
        if limit == 1:
            note = pages["b"].get_by_text(re.compile(
                r"Waiting for a free place: this server runs 1 audit at a time and 1 is ahead"))
            expect(note).to_be_visible(timeout=LOAD)
        else:
            # Both bars are up at the same time, neither finished.
            expect(bars["b"]).to_be_visible(timeout=LOAD)
            assert not any("Done" in t for name in data for t in progress_texts(pages[name]))
        for name in data:
            expect(pages[name].get_by_text("Audit ready")).to_be_visible(timeout=AUDIT)
            expect(pages[name].locator('[data-testid="stException"]')).to_have_count(0)
        owners = private_audits(root)
        assert len(owners) == 2 and all(len(f) == 1 for f in owners.values()), owners
        for name, ((real, syn), n_real, n_syn) in data.items():
            expected = expected_audit(real, syn, tmp_path / "embeddings")
            got = [AuditResult.load(f[0]) for f in owners.values()
                   if set(AuditResult.load(f[0]).examples["text"]) ==
                   set(expected.examples["text"])]
            assert len(got) == 1, f"no audit of {name}'s data"
            assert_same_audit(got[0], expected)
            sidebar = pages[name].locator('[data-testid="stSidebar"]')
            expect(sidebar.get_by_text(f"{n_real:,} real · {n_syn:,} synthetic rows")
                   ).to_be_visible()
    finally:
        srv.stop()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS"):
            return int(line.split()[1]) / 1024
    raise AssertionError("no VmRSS")


def settled_rss(pid: int, within: float = 5.0, timeout: float = 180.0) -> float:
    """The resident memory once it stops moving (three readings 2 s apart within ``within``
    MB of each other): the Data page preloads the model and UMAP in the background."""
    readings = [rss_mb(pid)]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(2)
        readings.append(rss_mb(pid))
        last = readings[-3:]
        if len(last) == 3 and max(last) - min(last) < within:
            return last[-1]
    raise AssertionError(f"memory never settled: {readings}")


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads /proc/PID/status")
def test_memory_goes_back_near_its_baseline_after_a_large_upload_session_closes(
        audits, visitors, tmp_path):  # noqa: F811
    """A visitor uploads a 1,000,000-row file (98 MB; issue 20 reported 122 MB) that is
    previewed, not audited, and closes the tab; the server's resident memory is measured
    before, at its peak and after. (Served without an audit root, the Data page shows no
    folder box at all.)"""
    rows = 1_000_000
    big = tmp_path / "big.csv"
    rng = np.random.default_rng(0)
    words = np.array("good bad plot cast story film acting slow fast dull bright odd".split())
    text = pd.Series(np.arange(rows)).astype("str")
    for _ in range(16):
        text = text + " " + pd.Series(rng.choice(words, rows), dtype="str")
    pd.DataFrame({"text": text, "source": np.where(np.arange(rows) % 2, "real", "synthetic")}
                 ).to_csv(big, index=False)
    srv = start_server(audits, tmp_path / "root", tmp_path / "logs")
    pid = srv.proc.pid
    try:
        quiet = visitors()
        open_data(quiet.page, srv.url)
        quiet.page.get_by_text("An earlier audit's folder").click()
        expect(quiet.page.get_by_text(FOLDER_OFF)).to_be_visible()
        assert quiet.page.get_by_role("textbox", name="Audit folder").count() == 0
        quiet.close()
        baseline = settled_rss(pid)    # the model and UMAP preloaded by the Data page included

        uploader = visitors()
        open_data(uploader.page, srv.url)
        uploader.page.get_by_text("One file with a source column").click()
        uploader.page.locator('[data-testid="stFileUploaderDropzoneInput"]').first \
            .set_input_files(str(big))
        expect(uploader.page.get_by_text(f"Real side: {rows // 2:,} rows")).to_be_visible(
            timeout=AUDIT)
        peak = rss_mb(pid)
        uploader.close()
        closed = time.monotonic()
        # Streamlit keeps a closed tab's session TTL seconds for a reconnect; the upload's
        # bytes go after that. Then the memory is read until it is back (or a minute passed).
        after, trace = rss_mb(pid), []
        while time.monotonic() - closed < TTL + 60:
            time.sleep(2)
            after = rss_mb(pid)
            trace.append(round(after))
            if time.monotonic() - closed > TTL + 8 and after - baseline < 0.2 * (peak - baseline):
                break
        print(f"\nserver memory with a {big.stat().st_size / 1e6:.0f} MB upload of {rows:,} rows:"
              f" baseline {baseline:.0f} MB, peak {peak:.0f} MB, "
              f"{time.monotonic() - closed:.0f} s after the tab closed {after:.0f} MB "
              f"(+{after - baseline:.0f} MB; trace {trace})")
        assert peak - baseline > 100, "the upload was too small to show anything"
        assert after - baseline < 0.2 * (peak - baseline), (baseline, peak, trace)
    finally:
        srv.stop()
