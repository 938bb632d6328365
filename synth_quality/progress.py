"""Progress reporting without a UI dependency.

The library reports progress through a plain callable ``progress(stage, done, total)``:

- ``stage`` is a short human name ("embedding", "projecting", ...);
- ``done`` counts finished units (rows, folds);
- ``total`` is the number of units, or ``None`` for a stage that gives no ticks (UMAP, HDBSCAN),
  where a UI shows a spinner. ``done == total`` (or a call with ``done=1, total=None`` after
  ``done=0``) marks the end of the stage.

No library module imports tqdm, rich or streamlit; the command line and the dashboard each
pass their own adapter.
"""

from __future__ import annotations

from typing import Callable, Optional

ProgressCallback = Callable[[str, int, Optional[int]], None]


def null_progress(stage: str, done: int, total: int | None) -> None:
    """Ignore progress (the default)."""


class StageTimer:
    """Report a tick-less stage as started/finished and record its wall time."""

    def __init__(self, progress: ProgressCallback, timings: dict, stage: str, key: str | None = None):
        self.progress, self.timings, self.stage = progress, timings, stage
        self.key = key or stage

    def __enter__(self):
        import time

        self._t0 = time.perf_counter()
        self.progress(self.stage, 0, None)
        return self

    def __exit__(self, *exc):
        import time

        self.timings[self.key] = round(self.timings.get(self.key, 0.0) + time.perf_counter() - self._t0, 3)
        if exc[0] is None:
            self.progress(self.stage, 1, None)
        return False
