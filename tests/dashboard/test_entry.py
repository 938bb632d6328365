"""The dashboard's entry files: the packaged folder ``synth-quality app`` runs and the clone's
top-level copy that ``streamlit run app.py`` runs are the same thin files."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from synth_quality.dashboard import pages
from synth_quality.dashboard.launch import APP_DIR
from synth_quality.dashboard.shell import page_files

REPO = Path(__file__).resolve().parents[2]
ENTRY_FILES = ["app.py", *(f"pages/{p.name}" for p in sorted((APP_DIR / "pages").glob("*.py"))),
               ".streamlit/config.toml"]


def test_the_clone_top_level_entry_is_the_packaged_one():
    for rel in ENTRY_FILES:
        assert (REPO / rel).read_text() == (APP_DIR / rel).read_text(), rel
    assert sorted(p.name for p in (REPO / "pages").glob("*.py")) == \
        sorted(p.name for p in (APP_DIR / "pages").glob("*.py"))


def test_each_page_file_only_calls_its_render_function():
    modules = {p.stem for p in Path(pages.__file__).parent.glob("*.py")} - {"__init__"}
    called = set()
    for rel, _label in page_files():
        tree = ast.parse((APP_DIR / rel).read_text())
        body = [n for n in tree.body if not (isinstance(n, ast.Expr)
                                             and isinstance(n.value, ast.Constant))]
        assert len(body) == 2, rel
        imp, call = body
        assert isinstance(imp, ast.ImportFrom) and imp.module.startswith(
            "synth_quality.dashboard.pages.") and [a.name for a in imp.names] == ["render"], rel
        assert ast.unparse(call) == "render()", rel
        called.add(imp.module.rsplit(".", 1)[1])
    assert called == modules  # every page module has its file, and no file is left over


def test_page_labels_follow_the_file_names():
    assert [label for _path, label in page_files()] == [
        "Overview", "Data", "Map", "Clusters", "Examples", "Report", "Lift", "Corners"]


def test_the_packaged_settings_keep_requests_on_this_machine():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+

    settings = tomllib.loads((APP_DIR / ".streamlit" / "config.toml").read_text())
    assert settings["server"]["address"] == "127.0.0.1"
    assert settings["browser"]["gatherUsageStats"] is False
    assert settings["server"]["fileWatcherType"] == "none"
    assert settings["server"]["maxUploadSize"] == 200
