"""Serving the dashboard to a team: settings, whose audits are whose, which folders open, and
how many audits run at once. No Streamlit here (:mod:`synth_quality.dashboard.shell` wires it in).

Settings come from environment variables, which ``synth-quality app`` sets from its flags
(``--serve``, ``--audit-root``, ``--max-audits``, ...) and which ``streamlit run app.py`` reads
the same way:

======================================  =====================================================
``SYNTH_QUALITY_SERVE=1``               served mode: uploads' audits private to their owner,
                                        the "Audit folder" box off unless a root is set
``SYNTH_QUALITY_AUDIT_ROOT=DIR``        the box opens saved audits inside DIR only (either mode)
``SYNTH_QUALITY_MAX_AUDITS=N``          audits (and lifts) running at once; others wait (1)
``SYNTH_QUALITY_UPLOAD_MEMORY_MB=N``    uploaded tables kept in memory, all sessions (1024)
``SYNTH_QUALITY_AUDIT_MEMORY_MB=N``     loaded and re-clustered audits kept in memory (1024)
``SYNTH_QUALITY_KEEP_HOURS=H``          served mode: how long signed-in users' upload audits stay
                                        on disk (168); a session's own go when it ends
``SYNTH_QUALITY_LOGIN=1``               served mode: visitors sign in first (``st.login``)
``SYNTH_QUALITY_MAP_POINTS=N``          the map draws every row as a point up to N rows in
                                        view (50000); past that, a density image of all rows
======================================  =====================================================

Private audits live under ``<cache root>/private/<owner>/``: the audits of uploads, and the
embedding and projection caches those audits fill, so that neither a saved audit nor a warm
cache tells one owner what another uploaded. An owner is the browser session, or the signed-in
user when the app runs with Streamlit's authentication.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import threading
import time
from collections import deque
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping

from synth_quality.errors import ConfigError

SERVE_ENV = "SYNTH_QUALITY_SERVE"
AUDIT_ROOT_ENV = "SYNTH_QUALITY_AUDIT_ROOT"
MAX_AUDITS_ENV = "SYNTH_QUALITY_MAX_AUDITS"
UPLOAD_MEMORY_ENV = "SYNTH_QUALITY_UPLOAD_MEMORY_MB"
AUDIT_MEMORY_ENV = "SYNTH_QUALITY_AUDIT_MEMORY_MB"
KEEP_HOURS_ENV = "SYNTH_QUALITY_KEEP_HOURS"
LOGIN_ENV = "SYNTH_QUALITY_LOGIN"
MAP_POINTS_ENV = "SYNTH_QUALITY_MAP_POINTS"

#: The folder under the cache root that holds every owner's private audits and caches.
PRIVATE_DIR = "private"

#: What the "Audit folder" box says about any path it does not open, whatever the reason
#: (outside the root, missing, not an audit, unreadable): different messages would tell a
#: visitor which folders exist on the server.
FOLDER_REFUSED = "Cannot open that folder: give a saved audit folder inside {root}."
#: What the box says in served mode when no root is set (the box is then hidden).
FOLDER_OFF = ("Opening audit folders on the server is off here. Whoever runs this dashboard "
              "can allow one folder with synth-quality app --serve --audit-root DIR.")


def _flag(value: str | None) -> bool:
    return (value or "").strip().lower() in ("1", "true", "yes", "on")


def _number(env: Mapping[str, str], name: str, default: float, low: float, kind=int):
    raw = env.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = kind(raw.strip())
    except ValueError:
        raise ConfigError(f"${name} must be a number, got {raw!r}") from None
    if value < low:
        raise ConfigError(f"${name} ({raw.strip()}) must be at least {low}")
    return value


@dataclass(frozen=True)
class ServeSettings:
    """How this dashboard server is run (see the module docstring for the variables).

    served : bool
        Served to a team (``--serve``): uploads private to their owner, folder box off unless
        ``audit_root`` is set.
    audit_root : Path or None
        The only folder whose saved audits the "Audit folder" box opens (None: any folder
        when not served, none when served).
    max_audits : int
        Audits, rows added, lift controls and self-tests running at once; the others wait in line.
    upload_memory_mb, audit_memory_mb : int
        Memory budgets for uploaded tables (all sessions together) and loaded audits.
    keep_hours : float
        Served mode: how long a signed-in user's upload audits stay on disk.
    login : bool
        Served mode: visitors sign in first (Streamlit's ``st.login``, configured in
        ``.streamlit/secrets.toml``).
    map_points_up_to : int
        The map draws every row in view as a point up to this many rows (Plotly's WebGL
        scatter is smooth to about 50,000); past it, a density image of every row with a
        sample of points on top (:mod:`synth_quality.present.density`).
    """

    served: bool = False
    audit_root: Path | None = None
    max_audits: int = 1
    upload_memory_mb: int = 1024
    audit_memory_mb: int = 1024
    keep_hours: float = 168.0
    login: bool = False
    map_points_up_to: int = 50_000

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> "ServeSettings":
        """Read the settings; a value that is not a number (or too small) raises ConfigError
        naming the variable."""
        env = os.environ if env is None else env
        root = (env.get(AUDIT_ROOT_ENV) or "").strip()
        return cls(
            served=_flag(env.get(SERVE_ENV)),
            audit_root=Path(root).expanduser().resolve() if root else None,
            max_audits=_number(env, MAX_AUDITS_ENV, 1, 1),
            upload_memory_mb=_number(env, UPLOAD_MEMORY_ENV, 1024, 16),
            audit_memory_mb=_number(env, AUDIT_MEMORY_ENV, 1024, 16),
            keep_hours=_number(env, KEEP_HOURS_ENV, 168.0, 0.0, float),
            login=_flag(env.get(LOGIN_ENV)),
            map_points_up_to=_number(env, MAP_POINTS_ENV, 50_000, 1_000),
        )

    def to_env(self) -> dict[str, str]:
        """The environment variables that give these settings (what ``synth-quality app``
        sets for the server it starts)."""
        env = {SERVE_ENV: "1" if self.served else "0", MAX_AUDITS_ENV: str(self.max_audits),
               UPLOAD_MEMORY_ENV: str(self.upload_memory_mb),
               AUDIT_MEMORY_ENV: str(self.audit_memory_mb), KEEP_HOURS_ENV: f"{self.keep_hours:g}",
               LOGIN_ENV: "1" if self.login else "0",
               MAP_POINTS_ENV: str(self.map_points_up_to)}
        if self.audit_root is not None:
            env[AUDIT_ROOT_ENV] = str(self.audit_root)
        return env

    @property
    def folder_box(self) -> bool:
        """Whether the Data page offers the "Audit folder" box at all."""
        return not self.served or self.audit_root is not None


# --------------------------------------------------------------------------- owners

def owner_id(session_id: str, user: Mapping | None = None) -> str:
    """Who owns the audits a session makes: the signed-in user (by the identity provider's
    ``iss`` and ``sub``, else the e-mail) when there is one, else the session. Hashed, so the
    id can name a folder and says nothing about the person."""
    if user and user.get("is_logged_in"):
        sub = str(user.get("sub") or "").strip()
        ident = f"{user.get('iss') or ''}|{sub}" if sub else str(user.get("email") or "").strip()
        if ident:
            return "user-" + hashlib.sha256(ident.encode()).hexdigest()[:20]
    return "session-" + hashlib.sha256(str(session_id).encode()).hexdigest()[:20]


def private_root(cache_root: Path) -> Path:
    return Path(cache_root) / PRIVATE_DIR


def owner_dir(cache_root: Path, owner: str) -> Path:
    """``<cache root>/private/<owner>``: that owner's upload audits (``audits/``) and the
    embedding and projection caches they fill."""
    return private_root(cache_root) / owner


def remove_owner(cache_root: Path, owner: str) -> bool:
    """Delete an owner's private folder (its audits and caches); whether there was one."""
    folder = owner_dir(cache_root, owner)
    if not folder.exists():
        return False
    shutil.rmtree(folder, ignore_errors=True)
    return True


def sweep_private(cache_root: Path, keep_hours: float, now: float | None = None,
                  keep: set[str] | frozenset = frozenset()) -> list[str]:
    """Delete private folders not used for ``keep_hours`` (by the newest modification time
    of the folder and its ``audits/``), except the owners in ``keep``; the owners deleted."""
    root = private_root(cache_root)
    if not root.is_dir():
        return []
    now = time.time() if now is None else now
    gone = []
    for folder in root.iterdir():
        if not folder.is_dir() or folder.name in keep:
            continue
        stamps = [folder.stat().st_mtime]
        audits = folder / "audits"
        if audits.is_dir():
            stamps += [p.stat().st_mtime for p in audits.iterdir()]
        if now - max(stamps) > keep_hours * 3600:
            shutil.rmtree(folder, ignore_errors=True)
            gone.append(folder.name)
    return gone


# --------------------------------------------------------------------------- the folder box

def allowed_audit_folder(path: str, settings: ServeSettings, cache_root: Path) -> Path | None:
    """The audit folder the "Audit folder" box may open for ``path``, or None.

    With an ``audit_root`` the path (relative paths are taken inside the root; symbolic links
    are followed first) must lie inside it; in served mode without a root nothing opens. Never
    a private folder of any owner (``<cache root>/private``), whatever the root. The folder
    must hold a saved audit. The caller shows one message for every None.
    """
    from synth_quality.dashboard.store import is_audit_dir

    text = (path or "").strip()
    if not text or "\0" in text:
        return None
    root = settings.audit_root
    if root is None and settings.served:
        return None
    try:
        given = Path(text).expanduser()
        if root is not None and not given.is_absolute():
            given = root / given
        folder = given.resolve()
        if root is not None and not folder.is_relative_to(root):
            return None
        if folder.is_relative_to(private_root(Path(cache_root)).resolve()):
            return None
        return folder if is_audit_dir(folder) else None
    except (OSError, RuntimeError, ValueError):
        return None


# --------------------------------------------------------------------------- the audit line

class AuditGate:
    """At most ``limit`` audits run at once; later ones wait their turn, first come first
    served. Thread-safe (each browser session runs its script in its own thread)::

        ticket = gate.join()
        try:
            while not gate.wait(ticket, 0.5):
                say(f"{gate.ahead(ticket)} audits ahead of yours")
            run_the_audit()
        finally:
            gate.leave(ticket)
    """

    def __init__(self, limit: int = 1):
        if limit < 1:
            raise ConfigError(f"the number of audits at once ({limit}) must be at least 1")
        self.limit = int(limit)
        self._cond = threading.Condition()
        self._waiting: deque[object] = deque()
        self._running: set[object] = set()

    def join(self) -> object:
        """Take a place in line; the ticket to pass to the other methods."""
        ticket = object()
        with self._cond:
            self._waiting.append(ticket)
            self._admit()
        return ticket

    def _admit(self) -> None:
        while self._waiting and len(self._running) < self.limit:
            self._running.add(self._waiting.popleft())
        self._cond.notify_all()

    def wait(self, ticket, timeout: float | None = None) -> bool:
        """Wait up to ``timeout`` seconds for the ticket's turn; whether it may run now."""
        with self._cond:
            return self._cond.wait_for(lambda: ticket in self._running, timeout)

    def ahead(self, ticket) -> int:
        """How many audits must finish or start before this one: those running, when the
        line is full, plus those waiting in front of it (0 once it runs)."""
        with self._cond:
            if ticket in self._running:
                return 0
            try:
                position = list(self._waiting).index(ticket)
            except ValueError:
                return 0
            return position + len(self._running) - self.limit + 1

    def leave(self, ticket) -> None:
        """Give the place back (finished, failed or abandoned); lets the next one run."""
        with self._cond:
            self._running.discard(ticket)
            try:
                self._waiting.remove(ticket)
            except ValueError:
                pass
            self._admit()

    @property
    def running(self) -> int:
        with self._cond:
            return len(self._running)

    @property
    def waiting(self) -> int:
        with self._cond:
            return len(self._waiting)
