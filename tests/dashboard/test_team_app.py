"""Served mode under AppTest (no browser): signing in first, and the folder box switched off.
The browser tests with several visitors are in test_team_browser.py."""

from __future__ import annotations

import pytest

from browser_conftest import REPO, app, audits, texts  # noqa: F401  (session fixture)
from synth_quality.dashboard.serving import FOLDER_OFF

pytestmark = pytest.mark.slow

AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "id", "client_secret": "secret",
        "server_metadata_url": "https://idp.example/.well-known/openid-configuration"}


@pytest.fixture
def served(monkeypatch, audits):  # noqa: F811
    """The app served to a team (settings are read once per server: cleared around the test)."""
    from synth_quality.dashboard import shell

    monkeypatch.syspath_prepend(str(REPO))
    monkeypatch.delenv("SYNTH_QUALITY_AUDIT_DIR", raising=False)
    monkeypatch.setenv("SYNTH_QUALITY_CACHE_DIR", str(audits.cache))
    monkeypatch.setenv("SYNTH_QUALITY_SERVE", "1")
    monkeypatch.delenv("SYNTH_QUALITY_AUDIT_ROOT", raising=False)
    shell.settings.clear()
    yield monkeypatch
    shell.settings.clear()


def authlib(present: bool, monkeypatch) -> None:
    """Authlib (which st.login needs) installed or not, as the page's check sees it (the test
    environment does not install it)."""
    import importlib.machinery
    import sys
    import types

    module = None
    if present:
        module = types.ModuleType("authlib")
        module.__spec__ = importlib.machinery.ModuleSpec("authlib", None)
    monkeypatch.setitem(sys.modules, "authlib", module)


@pytest.mark.parametrize("page", ["app.py", "pages/1_Data.py", "pages/4_Examples.py"])
def test_login_first_shows_a_sign_in_button_and_nothing_else(served, page):
    served.setenv("SYNTH_QUALITY_LOGIN", "1")
    authlib(True, served)
    at = app()
    at.secrets["auth"] = AUTH
    at = at.switch_page(page).run() if page != "app.py" else at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert [b.label for b in at.button] == ["Sign in"]
    shown = texts(at)
    assert "Sign in to audit data on this server" in shown
    assert "Detection AUC" not in shown and not at.dataframe and not at.file_uploader


def test_login_without_auth_settings_says_what_is_missing(served):
    served.setenv("SYNTH_QUALITY_LOGIN", "1")
    at = app().run()
    assert not at.exception
    assert any("[auth] section" in e.value for e in at.error), [e.value for e in at.error]
    assert not at.button and not at.dataframe


def test_served_without_a_root_has_no_folder_box(served):
    at = app().switch_page("pages/1_Data.py").run()
    at.radio(key="w_data_mode").set_value("folder").run()
    assert not at.exception
    assert [i.value for i in at.info] == [FOLDER_OFF]
    assert not at.text_input
    # Not served: the box is there, as before.
    served.setenv("SYNTH_QUALITY_SERVE", "0")
    from synth_quality.dashboard import shell

    shell.settings.clear()
    at = app().switch_page("pages/1_Data.py").run()
    at.radio(key="w_data_mode").set_value("folder").run()
    assert [t.label for t in at.text_input] == ["Audit folder"]


def test_login_without_authlib_says_what_to_install(served):
    served.setenv("SYNTH_QUALITY_LOGIN", "1")
    authlib(False, served)
    at = app()
    at.secrets["auth"] = AUTH
    at = at.run()
    assert not at.exception
    assert any("pip install" in e.value and "Authlib" in e.value for e in at.error)
    assert not at.button and not at.dataframe
