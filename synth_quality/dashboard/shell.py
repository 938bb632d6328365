"""Shared Streamlit glue for the dashboard's pages (:mod:`synth_quality.dashboard.pages`).

Every page starts with one call::

    from synth_quality.dashboard.shell import init_page
    audit = init_page("Map")          # -> Audit (or None on the Data page with nothing loaded)
    audit.result.examples             # the current AuditResult, re-clustered if asked

so any page can be the first one a browser opens (classic ``pages/`` auto-discovery, no
``st.navigation``; see ../shared/notes/streamlit-browser-testing.md). ``init_page`` sets the
page config, draws the sidebar (navigation, the current audit, the minimum cluster size) and
makes sure an audit is loaded:

- ``$SYNTH_QUALITY_AUDIT_DIR`` (set by ``synth-quality app --audit-dir``) opens that folder;
- otherwise the built-in sample. Its audit is computed once, with a progress bar, and saved
  under ``<cache root>/audits/sample-<hash of the sample and the config>``; later starts load
  that folder in well under a second.

Caching: loaded audits, their re-clusterings and the figures are ``st.cache_resource``
(shared, never copied, treated as read-only); findings and the report are ``st.cache_data``;
all keyed by the audit's id, so moving between pages or changing a filter recomputes nothing.

Text from the data is only ever shown with ``st.dataframe``, ``st.text`` or ``st.code``, or
HTML-escaped inside plotly hover labels and the report; never as markdown.
"""

from __future__ import annotations

import hashlib
import os
import re
import threading
import time
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import streamlit as st
from streamlit.logger import get_logger

from synth_quality.dashboard.launch import APP_DIR, AUDIT_DIR_ENV
from synth_quality.dashboard.memory import (
    MB,
    SessionStore,
    SizedCache,
    release_memory,
    use_system_allocator_for_arrow,
)
from synth_quality.dashboard.serving import (
    AuditGate,
    ServeSettings,
    owner_dir,
    owner_id,
    remove_owner,
    sweep_private,
)
from synth_quality.dashboard.store import (
    folder_stamp,
    is_audit_dir,
    sample_audit_dir,
    sample_audit_kwargs,
    save_atomic,
)
from synth_quality.errors import SynthQualityError
from synth_quality.present import figures
from synth_quality.present import findings as present_findings
from synth_quality.present.figures import cluster_share_figure
from synth_quality.present.progress import ProgressTracker
from synth_quality.present.tables import SELECTION_COLUMNS, display_table
from synth_quality.present.wording import COLUMN_HELP

HOME = "app.py"
_LOG = get_logger(__name__)
#: Session-state keys that belong to one audit, dropped when another audit is opened.
AUDIT_STATE_PREFIXES = ("sq_sel_", "sq_view", "sq_ex_", "sq_prev_", "sq_cluster",
                        "sq_highlight_cluster", "w_ex_", "w_map_highlight", "w_sidebar_",
                        "w_corners_")

#: Sidebar labels and icons of the known pages; other files in pages/ (e.g. 7_Lift.py) get
#: their label from the file name.
PAGE_ICONS = {"Overview": ":material/insights:", "Data": ":material/upload_file:",
              "Map": ":material/scatter_plot:", "Clusters": ":material/bubble_chart:",
              "Examples": ":material/table_rows:", "Report": ":material/description:",
              "Lift": ":material/trending_up:", "Corners": ":material/filter_center_focus:"}


def page_files() -> list[tuple[str, str]]:
    """(path relative to app.py, label) for the home page and each page in ``pages/`` (the
    packaged entry folder's; a clone's top-level entry has the same files)."""
    out = [(HOME, "Overview")]
    for path in sorted((APP_DIR / "pages").glob("*.py"),
                       key=lambda p: (int(m.group(1)) if (m := re.match(r"(\d+)", p.name))
                                      else 10_000, p.name)):
        label = re.sub(r"^\d+[_ -]*", "", path.stem).replace("_", " ").strip() or path.stem
        out.append((f"pages/{path.name}", label))
    return out


def page_path(label: str) -> str:
    """The file of a page by its label ("Examples" -> "pages/4_Examples.py")."""
    for path, name in page_files():
        if name == label:
            return path
    raise KeyError(f"no page labelled {label!r}")


def md_escape(text) -> str:
    """Escape a short string (a file or column name) for Streamlit markdown labels."""
    return re.sub(r"([\\`*_{}\[\]()#+!|<>~$:])", r"\\\1", str(text))


# --------------------------------------------------------------------------- the current audit

@dataclass
class Audit:
    """The audit a page shows.

    result : the AuditResult (re-clustered when the user changed the minimum cluster size)
    base : the AuditResult as saved
    folder : the audit folder it was loaded from
    label : where it came from, in words ("built-in sample", a file name...)
    key : an id for caches and widget keys; changes with the folder, its contents and the
        minimum cluster size
    min_cluster_size : the minimum cluster size in use
    saved_key : the same id without the minimum cluster size, for what re-clustering leaves
        alone (the map coloured by anything but the cluster)
    """

    result: object
    base: object
    folder: str
    label: str
    key: str
    min_cluster_size: int
    saved_key: str = ""
    field: str | None = None      # the field shown (several fields or chat roles); None = record


@st.cache_resource(show_spinner=False)
def _locks() -> dict:
    return {"sample": threading.Lock()}


# --------------------------------------------------------------------------- serving: settings,
# sessions, memory by bytes, the line of audits (see synth_quality/dashboard/serving.py)

@st.cache_resource(show_spinner=False)
def settings() -> ServeSettings:
    """This server's settings (``synth-quality app --serve ...`` or the environment), read once;
    a bad value stops every page with a one-line message."""
    try:
        return ServeSettings.from_env()
    except SynthQualityError as exc:
        st.error(f"This dashboard's settings are wrong: {exc}")
        st.stop()


@st.cache_resource(show_spinner=False)
def _memory_setup() -> str:
    """Once per server, before anything is uploaded: pyarrow allocates with malloc, whose
    freed memory :func:`release_memory` can hand back (see
    :func:`memory.use_system_allocator_for_arrow`)."""
    return use_system_allocator_for_arrow()


@st.cache_resource(show_spinner=False)
def upload_store() -> SessionStore:
    """Uploaded tables and the inputs checked from them, private to each session, for all
    sessions together at most ``upload_memory_mb``."""
    return SessionStore(settings().upload_memory_mb * MB)


@st.cache_resource(show_spinner=False)
def audit_cache() -> SizedCache:
    """Loaded audits and their re-clusterings, shared by the sessions that may open them, at
    most ``audit_memory_mb``."""
    return SizedCache(settings().audit_memory_mb * MB)


@st.cache_resource(show_spinner=False)
def audit_gate() -> AuditGate:
    """The line of audits, rows added, lift controls and self-tests: ``max_audits`` at once."""
    return AuditGate(settings().max_audits)


def session_id() -> str:
    from streamlit.runtime.scriptrunner import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else "no-session"


def signed_in_user() -> dict | None:
    """The signed-in user's claims (Streamlit's ``st.user``), or None."""
    try:
        user = st.user.to_dict()
    except Exception:  # noqa: BLE001 - no authentication configured, or no session
        return None
    return user if user.get("is_logged_in") else None


def cache_root() -> Path:
    from synth_quality.config import default_cache_dir

    return default_cache_dir()


def owner() -> str:
    """Who owns what this session audits (see :func:`serving.owner_id`)."""
    return owner_id(session_id(), signed_in_user())


def private_dir() -> Path | None:
    """Served mode: this owner's private folder (its upload audits, its embedding and
    projection caches); None when not served (uploads' audits are kept with the others)."""
    if not settings().served:
        return None
    return owner_dir(cache_root(), owner())


def private_config(config):
    """``config`` with its embedding and projection caches in this owner's private folder
    (served mode), so that no other owner's audit finds these texts already embedded."""
    import dataclasses

    from synth_quality.config import EmbedConfig

    folder = private_dir()
    if folder is None:
        return config
    if isinstance(config, EmbedConfig):
        return dataclasses.replace(config, cache_dir=str(folder))
    return config.replace(embed={"cache_dir": str(folder)})


@dataclass
class _SessionHandle:
    session: str
    owner: str
    started: float


#: When each session last disconnected ({session id: time.monotonic()}): a session that
#: reconnected and disconnected again is cleaned up after its latest disconnect only.
_DISCONNECTED: dict[str, float] = {}


def _session_ended(handle: _SessionHandle) -> None:
    """Called by Streamlit when a session disconnects (it releases the session's
    session-scoped cache): its uploaded tables and private audits leave memory now; once
    Streamlit would no longer resume the session (``server.disconnectedSessionTTL``), the
    uploaded files Streamlit holds for it, its widget state (the uploads' bytes) and a session
    owner's private folder on disk go too. Runs on Streamlit's event loop: the work goes to a
    thread."""
    import weakref

    from streamlit import runtime

    app_session = None
    if runtime.exists():
        # Still registered as active while its caches are released.
        found = runtime.get_instance().get_app_session(handle.session)
        app_session = weakref.ref(found) if found is not None else None
    stamp = time.monotonic()
    _DISCONNECTED[handle.session] = stamp
    threading.Thread(target=_release_session, args=(handle, app_session, stamp), daemon=True,
                     name="synth-quality-session-end").start()


def _release_session(handle: _SessionHandle, app_session, stamp: float) -> None:
    from streamlit import runtime

    try:
        tables = upload_store().session_bytes(handle.session)
        upload_store().end_session(handle.session)
        if handle.owner.startswith("session-"):
            private = str(owner_dir(cache_root(), handle.owner))
            audit_cache().drop(keep=lambda key: not str(key[1]).startswith(private))
        release_memory()
        _LOG.info("session %s ended: released %.0f MB of uploaded tables", handle.session[:8],
                  tables / MB)
        # Streamlit keeps a disconnected session for a reconnect, then forgets it without
        # removing its uploaded files (nor its state, until another session disconnects):
        # do both once that time has passed, unless the session came back.
        time.sleep(float(st.get_option("server.disconnectedSessionTTL")) + 2.0)
        if not runtime.exists() or _DISCONNECTED.get(handle.session) != stamp:
            _LOG.info("session %s: reconnected and left again, or the server stopped",
                      handle.session[:8])
            return
        rt = runtime.get_instance()
        if rt.is_active_session(handle.session):
            _LOG.info("session %s reconnected: its files stay", handle.session[:8])
            return
        _DISCONNECTED.pop(handle.session, None)
        _LIVE_SESSIONS.pop(handle.session, None)
        rt.uploaded_file_mgr.remove_session_files(handle.session)
        rt.media_file_mgr.clear_session_refs(handle.session)
        rt.media_file_mgr.remove_orphaned_files()
        session = app_session() if app_session is not None else None
        if session is not None:
            session.session_state.clear()
        del session
        removed = handle.owner.startswith("session-") and remove_owner(cache_root(),
                                                                       handle.owner)
        release_memory()
        _LOG.info("session %s gone: its uploaded files%s removed", handle.session[:8],
                  " and private audits" if removed else "")
    except Exception as exc:  # noqa: BLE001 - cleaning up must never break the server
        _LOG.warning("cleaning up after session %s failed: %s", handle.session[:8], exc)


@st.cache_resource(show_spinner=False, scope="session", on_release=_session_ended)
def _session_handle(session: str, owner_: str) -> _SessionHandle:
    """One per session (and owner): Streamlit releases it, calling :func:`_session_ended`,
    when the session disconnects."""
    return _SessionHandle(session, owner_, time.time())


#: The sessions of this server that are alive or may still reconnect: {session id: owner}.
_LIVE_SESSIONS: dict[str, str] = {}


@st.cache_resource(show_spinner=False)
def _disk_janitor(root: str) -> threading.Thread:
    """Once per served server, now and then every hour: delete private folders unused for
    ``keep_hours`` (a session's own folder goes when the session ends; this catches those
    of a server that stopped, and signed-in users' old audits), except live sessions'."""
    keep_hours = settings().keep_hours

    def sweep():
        while True:
            try:
                sweep_private(Path(root), keep_hours, keep=set(_LIVE_SESSIONS.values()))
            except Exception:  # noqa: BLE001 - a sweep that fails tries again later
                pass
            time.sleep(3600)

    thread = threading.Thread(target=sweep, daemon=True, name="synth-quality-disk-janitor")
    thread.start()
    return thread


def _track_session() -> None:
    """Register this session (and owner) so its memory and files are released when it ends."""
    me, sid = owner(), session_id()
    _LIVE_SESSIONS[sid] = me
    _session_handle(sid, me)
    if settings().served:
        _disk_janitor(str(cache_root()))


@contextmanager
def audit_slot(container=None, what: str = "audit"):
    """Wait for a free place in the line of audits (:func:`audit_gate`), saying so with the
    number ahead, then run the body; the place is given back however the body ends (the
    browser tab closed, the user moved on: Streamlit stops the script at its next call)."""
    gate = audit_gate()
    ticket = gate.join()
    note = None
    try:
        if not gate.wait(ticket, 0):
            note = (container or st).empty()
            while not gate.wait(ticket, 0.5):
                ahead = gate.ahead(ticket)
                note.info(f":material/hourglass_top: Waiting for a free place: this server runs "
                          f"{gate.limit} {'audit' if gate.limit == 1 else 'audits'} at a time "
                          f"and {ahead} {'is' if ahead == 1 else 'are'} ahead of your {what}. "
                          "It starts by itself; keep this tab open.")
            note.empty()
        yield
    finally:
        gate.leave(ticket)


def _audit_key(folder) -> str:
    return str(folder)


def load_audit(folder: str, stamp: float):
    """AuditResult.load, once per folder version, shared by every session that may open the
    folder; kept within the audit memory budget (least recently used first out)."""
    from synth_quality.result import AuditResult

    cache = audit_cache()
    key = ("audit", _audit_key(folder), stamp)
    if key in cache:
        return cache.get_or_load(key, lambda: AuditResult.load(folder))
    with st.spinner("Loading the audit ..."):
        return cache.get_or_load(key, lambda: AuditResult.load(folder))


def recluster(folder: str, stamp: float, min_cluster_size: int, field: str | None = None):
    """The audit (or one field's audit) re-clustered at another minimum cluster size (under a
    second, cached within the audit memory budget)."""
    cache = audit_cache()
    key = ("recluster", _audit_key(folder), stamp, int(min_cluster_size), field)
    if key in cache:
        return cache.get_or_load(key, lambda: None)
    record = load_audit(folder, stamp)
    base = record.fields[field] if field else record
    with st.spinner("Re-clustering ..."):
        return cache.get_or_load(key, lambda: base.recluster(int(min_cluster_size)))


#: Session state: the field every page shows (None = the whole record).
FIELD_KEY = "sq_field"


def field_label(name: str | None, summary: dict) -> str:
    """How the sidebar names a field: "whole record (instruction + output)", "field output",
    "assistant turns"."""
    inputs = summary.get("inputs") or {}
    if name is None:
        what = "conversations" if inputs.get("kind") == "chat" else "records"
        return f"whole {what} ({inputs.get('text_column') or 'all fields'})"
    if inputs.get("kind") == "chat":
        return f"{name} turns"
    return f"field {name}"


class StreamlitProgress:
    """The audit's ``progress(stage, done, total)`` drawn as one bar with the stage and counts.

    The bar is redrawn at a new stage, at the end of one, and otherwise at most every
    :attr:`min_interval` seconds: each redraw costs the browser tens of milliseconds of CPU
    (measured ~0.25 of a core at 7 redraws a second), and on a small machine the browser shares
    the cores with the audit, whose two-thread matrix work stalls whenever one core is taken.
    """

    min_interval = 0.5

    def __init__(self, container):
        self.tracker = ProgressTracker()
        self.bar = container.progress(0.0, text="Starting the audit ...")
        self._shown_stage, self._shown_at = None, 0.0

    def __call__(self, stage: str, done: int, total: int | None) -> None:
        fraction, text = self.tracker.update(stage, done, total)
        now = time.monotonic()
        if (stage == self._shown_stage and now - self._shown_at < self.min_interval
                and (total is None or done < total)):
            return
        self._shown_stage, self._shown_at = stage, now
        self.bar.progress(fraction, text=text)


def run_audit_with_progress(folder, container=None, **audit_kwargs):
    """Run ``synth_quality.audit`` with a progress bar (after waiting for a place in the line
    of audits, saying so) and save the result into ``folder``."""
    from synth_quality import audit

    container = container or st.container()
    with audit_slot(container):
        progress = StreamlitProgress(container)
        result = audit(progress=progress, **audit_kwargs)
        save_atomic(result, folder)
    progress.bar.progress(1.0, text=f"Done in {result.facts.timings['total']:.0f} s")
    return result


def run_selftest_with_progress(result, container=None) -> dict:
    """``synth_quality.selftest`` on the rows of the audit ``result``, with a progress bar;
    returns its report (``selftest.json``)."""
    from synth_quality.selftest.run import inputs_of, selftest

    container = container or st.container()
    # An audit like any other: in the server's line of audits, and (served to a team) with the
    # embedding cache of this visitor.
    with audit_slot(container, "self-test"):
        progress = StreamlitProgress(container)
        tested = selftest(inputs_of(result), config=private_config(result.config),
                          progress=progress)
    progress.bar.progress(1.0, text="Self-test done")
    return tested.report


def run_add_with_progress(folder, previous, container=None, **add_kwargs):
    """``synth_quality.add_rows(previous, ...)`` with a progress bar (after waiting for a place
    in the line of audits), saved into ``folder``."""
    from synth_quality import add_rows

    container = container or st.container()
    with audit_slot(container, "re-audit"):
        progress = StreamlitProgress(container)
        result = add_rows(previous, progress=progress, **add_kwargs)
        save_atomic(result, folder)
    progress.bar.progress(1.0, text=f"Done in {result.facts.timings['total']:.1f} s")
    return result


@st.cache_resource(show_spinner=False)
def preload_for_auditing(model: str):
    """Load the embedding model and UMAP's cached machine code in a background thread, and start
    the UMAP worker process, once per server (the Data page calls this: audits start there), so
    that an audit, and adding rows to one, does not start with seconds of imports, and its two
    projections run side by side."""

    def load():
        try:
            from synth_quality.config import EmbedConfig
            from synth_quality.embed.api import make_embedder
            from synth_quality.project.warmup import load_in_process
            from synth_quality.project.worker import start_projection_worker

            start_projection_worker()  # its own process: imports UMAP beside this thread
            load_in_process()
            # The model last, so this thread ends as soon as it is loaded: a thread that has
            # run torch keeps an OpenMP thread pool while it lives, and two pools on two cores
            # make OpenMP spin less, which slows an audit's embedding by half.
            config = EmbedConfig(model=model)
            make_embedder(config).prepare(config)
        except Exception as exc:  # noqa: BLE001 - the audit itself reports any real problem
            thread.error = f"{type(exc).__name__}: {exc}".splitlines()[0]

    thread = threading.Thread(target=load, name="synth-quality-preload", daemon=True)
    thread.error = None  # a one-line reason when preloading failed
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def _sample_dir(cache_root: str) -> str:
    """Where the sample's audit lives (hashing the sample takes ~0.2 s: once per server)."""
    return str(sample_audit_dir())


def ensure_sample_audit() -> str:
    """The folder of the sample's audit; computes it (progress bar) if it is not cached yet."""
    from synth_quality.config import CACHE_ENV

    folder = Path(_sample_dir(os.environ.get(CACHE_ENV, "")))
    if is_audit_dir(folder):
        return str(folder)
    lock = _locks()["sample"]
    note = st.empty()
    if not lock.acquire(blocking=False):
        note.info("Another browser tab is auditing the built-in sample; waiting for it ...")
        lock.acquire()
    try:
        if not is_audit_dir(folder):
            note.info("Auditing the built-in sample for the first time: embedding, map, clusters "
                      "and detector. This takes about a minute; later starts read the saved "
                      "result from the cache.")
            result = run_audit_with_progress(folder, **sample_audit_kwargs())
            note.success(f"Audited the built-in sample in {result.facts.timings['total']:.0f}"
                         f" s and saved it in {md_escape(folder)}; the next start reads it from "
                         "there.")
    finally:
        lock.release()
    return str(folder)


def default_source() -> dict:
    env = os.environ.get(AUDIT_DIR_ENV)
    if env:
        return {"kind": "folder", "folder": str(Path(env).expanduser()),
                "label": f"saved audit {Path(env).name}"}
    return {"kind": "sample", "label": "built-in sample"}


def set_source(kind: str, label: str, folder: str | None = None) -> None:
    """Make another audit current (the Data page calls this)."""
    st.session_state["sq_source"] = {"kind": kind, "label": label, "folder": folder}
    st.session_state.pop("sq_min_cluster_size", None)
    st.session_state.pop(FIELD_KEY, None)
    st.session_state.pop("w_sidebar_field", None)


def _resolve_folder(source: dict) -> str:
    if source["kind"] == "sample":
        return ensure_sample_audit()
    return source["folder"]


def current_audit() -> Audit:
    """Load (or compute) the current audit; raises SynthQualityError if it cannot."""
    ss = st.session_state
    source = ss.setdefault("sq_source", default_source())
    folder = _resolve_folder(source)
    stamp = folder_stamp(folder)
    record = load_audit(folder, stamp)
    field = ss.get(FIELD_KEY)
    if field not in record.fields:
        field = None
    base = record.fields[field] if field else record
    default_size = base.facts.min_cluster_size_used
    if ss.get("sq_audit_folder") != (folder, stamp, field):
        # Another audit: selections, flags and views of the previous one do not apply (the
        # Data page's own widgets stay).
        for key in [k for k in ss.keys() if str(k).startswith(AUDIT_STATE_PREFIXES)]:
            del ss[key]
        ss["sq_flagged"] = set()
        # (A field's rows are other rows: positions carried between pages do not apply.)
        ss["sq_audit_folder"] = (folder, stamp, field)
        ss["sq_min_cluster_size"] = default_size
    size = int(ss.get("sq_min_cluster_size") or default_size)
    can_recluster = base.cluster_coords is not None
    result = (recluster(folder, stamp, size, field) if (size != default_size and can_recluster)
              else base)
    saved_key = f"{folder}@{stamp:.0f}" + (f"/{field}" if field else "")
    key = f"{saved_key}#{size if size != default_size else 'saved'}"
    return Audit(result, base, folder, source["label"], key, size, saved_key, field)


# --------------------------------------------------------------------------- the page frame

def _nav() -> None:
    """The sidebar's page links (drawn first, so they show while an audit is computed)."""
    with st.sidebar:
        st.markdown("### synth-quality")
        for path, label in page_files():
            st.page_link(path, label=label, icon=PAGE_ICONS.get(label, ":material/article:"))
        st.divider()


def _audit_box(audit: Audit | None) -> None:
    """The sidebar's current audit and its minimum cluster size."""
    ss = st.session_state
    with st.sidebar:
        if audit is None:
            st.caption("No audit loaded.")
            return
        s = audit.result.facts
        st.caption("Current audit")
        st.text(f"{audit.label}\n{s.n_real:,} real · {s.n_synthetic:,} synthetic rows")
        record = load_audit(audit.folder, folder_stamp(audit.folder))
        if record.fields:
            options = [None, *record.fields]

            def _field_changed():
                ss[FIELD_KEY] = ss["w_sidebar_field"]

            st.selectbox(
                "Audit of", options, index=options.index(audit.field), key="w_sidebar_field",
                format_func=lambda f: field_label(f, record.summary), on_change=_field_changed,
                help="Every page shows the audit of the whole record or of one field alone "
                     "(its own map, clusters, detector and scores). Fields: "
                     + ", ".join(record.summary.get("fields", {}).get("names", []))
                     + "; not audited alone: " + (", ".join(
                         f"{k} ({v})" for k, v in record.summary.get("fields", {})
                         .get("not_audited", {}).items()) or "none") + ".")
        can = audit.base.cluster_coords is not None
        n_rows = s.n_rows

        def _changed():
            ss["sq_min_cluster_size"] = int(ss["w_sidebar_mcs"])

        st.number_input(
            "Minimum cluster size", min_value=2, max_value=max(3, n_rows // 2), step=1,
            value=int(audit.min_cluster_size), key="w_sidebar_mcs", on_change=_changed,
            disabled=not can,
            help="HDBSCAN's smallest cluster. Smaller finds more, smaller modes; larger merges "
                 "them. Re-clusters the saved projection in under a second (no re-embedding)."
                 + ("" if can else " This audit folder has no cluster_coords.npy, so it "
                    "cannot be re-clustered."))
        saved = audit.base.facts.min_cluster_size_used
        if audit.min_cluster_size != saved:
            st.caption(f"Re-clustered: {s.n_clusters} clusters (the saved audit used "
                       f"{saved}).")
        st.page_link(page_path("Data"), label="Audit other data", icon=":material/swap_horiz:")


@st.cache_resource(show_spinner=False)
def _warm_numba():
    """Compile UMAP's numba code in the background once per server (once per machine really),
    so an audit started from the Data page does not wait for it."""
    from synth_quality.project.warmup import start_background_warmup

    return start_background_warmup()


#: Background work waits this long after a page's script ends: the browser is still drawing
#: the page, and on 2 cores it should not share them with this work.
BROWSER_DRAW_S = 1.5
#: What later actions import (re-clustering: hdbscan, scikit-learn, scipy.stats; the report),
#: about 3 s on this project's 2-core machine.
LATER_IMPORTS = ("hdbscan", "sklearn.feature_extraction.text", "scipy.stats",
                 "plotly.graph_objects", "synth_quality.analysis.cluster", "synth_quality.report")


def _after_page(page: threading.Thread, work, name: str) -> threading.Thread:
    """Run ``work()`` in a daemon thread once ``page`` (a page's script thread) has ended and
    the browser has had :data:`BROWSER_DRAW_S` to draw it: background work must not share the
    2 cores with the page the user is waiting for. Failures are left to whatever needs it."""

    def run():
        page.join()
        time.sleep(BROWSER_DRAW_S)
        try:
            work()
        except Exception:  # noqa: BLE001 - the action that needs it reports any real problem
            pass

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    return thread


@st.cache_resource(show_spinner=False)
def _import_the_rest_after(_first_page: threading.Thread):
    """Once per server, after the first page is drawn, import what later actions need, so that
    the first minimum-cluster-size change does not wait for it."""
    import importlib

    return _after_page(_first_page, lambda: [importlib.import_module(m) for m in LATER_IMPORTS],
                       "synth-quality-imports")


@st.cache_resource(show_spinner=False, max_entries=8)
def _prepare_reclustering_after(_page: threading.Thread, folder: str, stamp: float):
    """After the page that opened this audit is drawn, count its words and build HDBSCAN's
    spanning tree (what re-clustering reuses: ``AuditResult.prepare_recluster``), so the first
    minimum-cluster-size change is faster."""
    return _after_page(_page, load_audit(folder, stamp).prepare_recluster,
                       "synth-quality-word-counts")


def _require_login() -> None:
    """Served with ``--login``: a visitor who has not signed in sees a sign-in button and
    nothing else (Streamlit's ``st.login``, configured in ``.streamlit/secrets.toml``)."""
    if not (settings().served and settings().login):
        return
    try:
        logged_in = bool(st.user.is_logged_in)
    except Exception:  # noqa: BLE001 - authentication not configured: say so below
        logged_in = False
    if logged_in:
        with st.sidebar:
            name = st.user.get("name") or st.user.get("email") or "signed in"
            st.caption(f"Signed in: {md_escape(name)}")
            st.button("Sign out", on_click=st.logout, key="sq_logout")
        return
    st.title("synth-quality")
    try:
        configured = "auth" in st.secrets
    except Exception:  # noqa: BLE001 - no secrets file at all
        configured = False
    import importlib.util

    try:
        has_authlib = importlib.util.find_spec("authlib") is not None
    except (ValueError, AttributeError):
        has_authlib = False
    if not configured:
        st.error("This dashboard asks visitors to sign in (--login), but Streamlit's "
                 "authentication is not set up: .streamlit/secrets.toml has no [auth] section "
                 "(the README's Serving it to a team shows one).")
    elif not has_authlib:
        st.error("This dashboard asks visitors to sign in (--login), but Streamlit's "
                 "authentication needs Authlib, which is not installed: pip install "
                 "\"Authlib>=1.3.2\".")
    else:
        st.markdown("Sign in to audit data on this server. Your uploads and their audits are "
                    "visible to you only.")
        st.button("Sign in", type="primary", on_click=st.login, key="sq_login")
    st.stop()


def init_page(title: str, *, require_audit: bool = True) -> Audit | None:
    """First call of every page: page config, sidebar, and the current audit.

    Parameters
    ----------
    title : str
        The page's name, shown in the browser tab.
    require_audit : bool, default True
        If the audit cannot be loaded, show the error and stop the page (True), or return
        None and let the page go on (False; the Data page).
    """
    # No page_icon: a material icon as favicon is fetched from fonts.gstatic.com.
    st.set_page_config(page_title=f"{title} · synth-quality", layout="wide")
    ss = st.session_state
    ss.setdefault("sq_flagged", set())
    _memory_setup()
    _require_login()
    _track_session()
    _warm_numba()
    _import_the_rest_after(threading.current_thread())
    _nav()
    try:
        audit = current_audit()
    except SynthQualityError as exc:
        _audit_box(None)
        st.error(f"Could not open the audit: {exc}")
        if require_audit:
            st.page_link(page_path("Data"), label="Choose other data on the Data page",
                         icon=":material/upload_file:")
            st.stop()
        return None
    _audit_box(audit)
    if audit.base.cluster_coords is not None:
        _prepare_reclustering_after(threading.current_thread(), audit.folder,
                                    folder_stamp(audit.folder))
    return audit


def go_to(label: str) -> None:
    """Switch to another page by its label."""
    st.switch_page(page_path(label))


# --------------------------------------------------------------------------- cached derived data

# Map figures are kept as they are, never pickled (not cache_data): a chart's identity in
# Streamlit includes its JSON, and a figure round-tripped through pickle serialises differently
# from the original; the chart would get a new identity on the rerun after a click and lose its
# selection. They count against the audit memory budget (a 50,000-point map with its hover
# labels holds tens of MB), and a private audit's maps go with it when its session ends.
def map_view(key: str, color_by: str, highlight: int | None, height: int, _result,
             saved_key: str = "", _base=None, hover_all: bool = True, window=None):
    """The map for an audit (``key`` identifies ``_result``) as a
    :class:`synth_quality.present.density.MapView`; shared, do not modify.

    Up to ``map_points_up_to`` rows (the server's setting) every row is a point, as always;
    past it, a density image of every row with a sample of points (``present/density.py``).
    ``window`` (a :class:`~synth_quality.present.density.Window`) zooms in. With
    ``saved_key``/``_base`` (the saved audit that ``_result`` re-clusters) the costly part of
    the hover labels is computed once per saved audit, not once per minimum cluster size.
    ``hover_all`` False: only the highlighted cluster's points have hover labels.
    """
    from synth_quality.present import density

    limit = settings().map_points_up_to
    n = len(_result.examples)
    source = _base if _base is not None else _result

    def prefixes_of(ids):
        if n <= limit and window is None and _base is not None:
            return hover_prefixes(saved_key, _base)
        return figures.hover_prefixes(source.examples.iloc[ids])

    def build():
        seed = int(_result.summary.get("random_state") or 0)
        return density.map_view(_result.examples, color_by, window=window, points_up_to=limit,
                                seed=seed, highlight_cluster=highlight, height=height,
                                hover_prefixes_of=prefixes_of, hover_all=hover_all)

    return audit_cache().get_or_load(
        ("map", key, color_by, highlight, int(height), saved_key, bool(hover_all), window, limit),
        build)


def map_figure(key: str, color_by: str, highlight: int | None, height: int, _result,
               saved_key: str = "", _base=None, hover_all: bool = True):
    """The whole map's figure (:func:`map_view` without a window)."""
    return map_view(key, color_by, highlight, height, _result, saved_key, _base,
                    hover_all).figure


def hover_prefixes(saved_key: str, _base) -> list[str]:
    """The hover labels' text part for a saved audit (half a second at 10,000 rows), in the
    audit memory budget."""
    return audit_cache().get_or_load(("hover", saved_key),
                                     lambda: figures.hover_prefixes(_base.examples))


@st.cache_resource(show_spinner=False, max_entries=64)
def cluster_figure(key: str, selected: int | None, _result):
    return cluster_share_figure(_result.clusters, selected=selected)


@st.cache_data(show_spinner=False, max_entries=16)
def findings(key: str, _result):
    return present_findings.findings(_result.examples, _result.clusters, _result.facts)


@st.cache_data(show_spinner="Building the report ...", max_entries=8)
def report_html(key: str, _result, lift_key: str = "", _lift=None) -> str:
    """The HTML report; with ``_lift`` (a LiftResult, identified by ``lift_key``) it holds the
    lift section too."""
    from synth_quality.report import to_html

    return to_html(_result) if _lift is None else to_html(_result, lift=_lift)


def column_config(frame) -> dict:
    """st.dataframe column settings: tooltips with the meaning and direction of each column."""
    cfg = {}
    for col in frame.columns:
        help_ = COLUMN_HELP.get(col)
        label = col.replace("_", " ")
        if col == "text":
            cfg[col] = st.column_config.TextColumn("text", help=help_, width="large")
        elif col in ("label_issue_score", "p_synthetic", "outlier_score", "coverage_score",
                     "repetition_score", "nearest_real_similarity", "real_share",
                     "expected_real_share"):
            cfg[col] = st.column_config.NumberColumn(label, help=help_, format="%.3f")
        elif col in ("p_adjusted", "p_value"):
            cfg[col] = st.column_config.NumberColumn(label, help="Holm-adjusted binomial test of "
                                                     "the real share (small = significant)",
                                                     format="%.2e")
        elif col in ("cluster", "row", "near_duplicate_group", "nearest_real_row",
                     "near_duplicate_group_size"):
            cfg[col] = st.column_config.NumberColumn(label, help=help_, format="%d")
        elif help_:
            cfg[col] = st.column_config.Column(label, help=help_)
    return cfg


def show_rows(frame, *, key: str | None = None, height: int | None = None, select: bool = False,
              columns=SELECTION_COLUMNS):
    """A compact, read-only table of example rows (plain text cells)."""
    table = display_table(frame, columns)
    kwargs = dict(hide_index=True, column_config=column_config(table), width="stretch")
    if height:
        kwargs["height"] = height
    if select:
        return st.dataframe(table, key=key, on_select="rerun", selection_mode="multi-row",
                            **kwargs)
    return st.dataframe(table, key=key, **kwargs)


def open_examples(*, view: str | None = None, rows=None, clusters=None, title: str | None = None):
    """Carry a view, a set of rows or a cluster to the Examples page and go there."""
    st.session_state["sq_view_pending"] = {"view": view,
                                           "rows": None if rows is None else [int(r) for r in rows],
                                           "clusters": clusters, "title": title}
    go_to("Examples")


# --------------------------------------------------------------------------- the lift control

#: Session state: {audit id: run key} of the lift this session computed last for an audit.
LIFT_PICK = "sq_lift_pick"
LIFT_RUNS_KEPT = 16


@st.cache_resource(show_spinner=False)
def lift_runs() -> dict:
    """Lift results computed by this server, ``{(audit id, run key): LiftResult}``; shared by
    every session (treated as read-only), the latest :data:`LIFT_RUNS_KEPT` kept."""
    return {}


def lift_audit_id(audit: Audit) -> str:
    """The saved audit a lift belongs to (its folder and version; the minimum cluster size
    does not change the lift)."""
    audit_id = f"{audit.folder}@{folder_stamp(audit.folder):.0f}"
    # Served to a team, lifts computed on this server are each owner's own.
    return audit_id if private_dir() is None else f"{audit_id}|{owner()}"


def remember_lift(audit: Audit, run_key: str, result) -> None:
    """Keep a lift computed on this page (shared cache) and make it this session's."""
    runs = lift_runs()
    runs[(lift_audit_id(audit), run_key)] = result
    while len(runs) > LIFT_RUNS_KEPT:
        runs.pop(next(iter(runs)))
    st.session_state.setdefault(LIFT_PICK, {})[lift_audit_id(audit)] = run_key


def computed_lift(audit: Audit, run_key: str):
    """A lift computed earlier on this server for this audit and these settings, or None."""
    return lift_runs().get((lift_audit_id(audit), run_key))


@st.cache_resource(show_spinner="Loading the lift result ...", max_entries=8)
def load_lift(folder: str, stamp: float):
    """LiftResult.load, once per version of the folder's lift.json."""
    from synth_quality.lift.result import LiftResult

    return LiftResult.load(folder)


def lift_file_stamp(folder) -> float | None:
    """Modification time of the folder's lift.json, or None when it has none."""
    from synth_quality.lift.result import LIFT_FILE

    try:
        return (Path(folder) / LIFT_FILE).stat().st_mtime
    except (OSError, TypeError):
        return None


def current_lift(audit: Audit):
    """The lift result to show for this audit: ``(result, key, error)``.

    This session's latest run on the Lift page first, else the ``lift.json`` in the audit's
    folder (written by the page or by ``synth-quality lift --out``). ``result`` is None when
    there is none; ``key`` identifies the result (for caches); ``error`` says why a lift.json
    could not be read.
    """
    audit_id = lift_audit_id(audit)
    run_key = st.session_state.get(LIFT_PICK, {}).get(audit_id)
    if run_key is not None:
        result = lift_runs().get((audit_id, run_key))
        if result is not None:
            return result, f"run:{audit_id}:{run_key}", None
    stamp = lift_file_stamp(audit.folder)
    if stamp is None:
        return None, "", None
    try:
        return load_lift(str(audit.folder), stamp), f"file:{audit.folder}@{stamp}", None
    except SynthQualityError as exc:
        return None, "", str(exc)


def save_lift(audit: Audit, result) -> str | None:
    """Save a lift result next to the audit; the folder written, or None when it is not
    writable (the result then lives in this server's memory only)."""
    folder = Path(audit.folder)
    if not os.access(folder, os.W_OK):
        return None
    private = private_dir()
    if private is not None and not folder.resolve().is_relative_to(private.resolve()):
        # Served to a team: a lift on a shared audit (the sample, a folder the server offers)
        # stays with this owner; written into the folder, every visitor would see it.
        return None
    try:
        result.save(folder)
    except OSError:
        return None
    return str(folder)


def session_value(slot: str, version, load, spinner: str | None = None):
    """``load()``, computed once per ``version`` and kept for this session only (the upload
    store: released when the session ends, at most ``upload_memory_mb`` for all sessions). A
    slot holds one value: a new version replaces the old one."""
    store, me = upload_store(), session_id()
    if spinner is None or store.has(me, slot, version):
        return store.get(me, slot, version, load)
    with st.spinner(spinner):
        return store.get(me, slot, version, load)


def read_uploaded(up, slot: str):
    """``(frame, digest, error)`` of an uploaded file (``st.file_uploader``'s value), read with
    the command line's reader once per upload and kept for this session only (Data and Lift
    pages). ``digest`` is the SHA-256 of its bytes; ``error`` a one-line message, or None."""

    def load():
        from synth_quality.io import read_table

        data = up.getvalue()
        digest = hashlib.sha256(data).hexdigest()
        try:
            frame, _info = read_table(data, name=up.name)
        except SynthQualityError as exc:
            return None, digest, str(exc)
        return frame, digest, None

    return session_value(f"upload:{slot}", (up.file_id, up.name), load, "Reading the file ...")
