"""``add_rows()``: an earlier audit plus a new batch of synthetic rows, without starting over.

A generation round adds rows to a set that was audited already. :func:`add_rows` reads the new
file, puts its rows after the earlier audit's rows and audits the whole set again, with the
earlier audit as the UMAP warm start (``audit(previous=...)``): old rows keep their places on
the map, the embeddings of old texts come from the cache, and only the new texts are embedded.
Everything else (neighbours, clusters, classifier, scores) is recomputed on all rows, so the
result is a complete audit of old and new rows together.

Each row remembers its batch: ``examples["batch"]`` is 0 for the rows audited first and k for
the k-th added file, whose ``row`` counts rows in that file. ``summary["batches"]`` lists the
batches (file, rows kept, blank rows dropped).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from synth_quality.config import AuditConfig
from synth_quality.errors import InputDataError
from synth_quality.io import AuditInput, load_side, read_table
from synth_quality.progress import ProgressCallback, Stage, StageTimer, null_progress
from synth_quality.result import AuditResult


def add_rows(previous: AuditResult, synthetic, *, text_column: str | None = None,
             label_column: str | None = None, generator_column: str | None = None,
             name: str | None = None, config: AuditConfig | None = None, embedder=None,
             progress: ProgressCallback | None = None) -> AuditResult:
    """Audit ``previous``'s rows together with new synthetic rows.

    Parameters
    ----------
    previous : AuditResult
        The earlier audit (``AuditResult.load(folder)``). It must have its cluster projection
        (``cluster_coords.npy``) for the warm start; without it UMAP starts from scratch.
    synthetic : path, bytes or pandas.DataFrame
        The new synthetic rows.
    text_column, label_column, generator_column : str, optional
        Columns of the new file. Each defaults to the column of the same name the earlier
        audit used, when the new file has it (the text column is otherwise guessed as in
        :func:`~synth_quality.io.load_inputs`). New rows without a label or generator get
        None there.
    name : str, optional
        The file name of bytes (gives the format), or a DataFrame's name in messages.
    config : AuditConfig, optional
        Defaults to the earlier audit's configuration, so the two are comparable.
    embedder : Embedder, optional
        An embedder already loaded (the dashboard keeps one); by default one is made from the
        configuration, and only texts missing from the embedding cache are embedded.
    progress : callable, optional
        ``progress(stage, done, total)``; see :mod:`synth_quality.progress`.

    Returns
    -------
    AuditResult
        The audit of all rows: the earlier rows first (real, then synthetic), the new rows
        last. ``summary["warm_start"]`` says how many rows kept their places.

    Raises
    ------
    InputDataError
        The new file cannot be read, a column is missing, or no text row is left.
    """
    from synth_quality.pipeline.audit import audit

    progress = progress or null_progress
    config = config or previous.config
    timings: dict[str, float] = {}
    with StageTimer(progress, timings, Stage.LOADING):
        added, batch, carried = _read_batch(previous, synthetic, text_column, label_column,
                                            generator_column, name)
        inputs = _combined_inputs(previous, added, batch)
    result = audit(inputs, config=config, embedder=embedder, previous=previous,
                   progress=progress)
    summary = result.summary
    summary["timings"] = {Stage.LOADING: timings[Stage.LOADING], **summary["timings"]}
    summary["timings"]["total"] = round(summary["timings"]["total"] + timings[Stage.LOADING], 3)
    # Blank rows: totals over every batch; the row numbers stay those of the first batch's
    # files (each added batch lists its own count in "batches").
    used = previous.summary.get("inputs") or {}
    new_blanks = len(added.blank_rows.get("synthetic", []))
    totals = {side: int((used.get("blank_rows") or {}).get(side, 0)) for side in ("real", "synthetic")}
    totals["synthetic"] += new_blanks
    summary["inputs"]["blank_rows"] = totals
    summary["inputs"]["blank_row_numbers"] = used.get("blank_row_numbers") or {"real": [], "synthetic": []}
    summary["batches"] = _batches_before(previous) + [{
        "batch": batch, "file": added.sources[0]["path"], "rows": int(len(added.frame)),
        "blank_rows": new_blanks,
        "columns": {"text": added.text_column, "label": added.label_column,
                    "generator": added.generator_column}}]
    result.warnings = list(dict.fromkeys(carried + result.warnings))
    summary["warnings"] = result.warnings
    return result


def _read_batch(previous: AuditResult, synthetic, text_column, label_column, generator_column,
                name) -> tuple[AuditInput, int, list[str]]:
    """The new rows as an AuditInput, their batch number and notes for the user."""
    used = previous.summary.get("inputs") or {}
    info = None
    if isinstance(synthetic, pd.DataFrame):
        columns = list(synthetic.columns)
    else:
        frame, info = read_table(synthetic, name=name)
        synthetic, name, columns = frame, info["path"], list(frame.columns)
    notes = []

    def default(given, role):
        before = used.get(f"{role}_column")
        if given is not None or before is None:
            return given
        if before in columns:
            return before
        if role != "text":
            notes.append(f"synth-quality: the added rows have no {before!r} column; their "
                         f"{role} is empty")
        return None

    added = load_side(synthetic, "synthetic", text_column=default(text_column, "text"),
                      label_column=default(label_column, "label"),
                      generator_column=default(generator_column, "generator"), name=name)
    if info is not None:  # the file as read, not the frame it became
        added.sources = [{**info, "side": "synthetic"}]
    before = previous.examples.get("batch")
    batch = int(before.max()) + 1 if before is not None and len(before) else 1
    return added, batch, notes + list(added.warnings)


def _combined_inputs(previous: AuditResult, added: AuditInput, batch: int) -> AuditInput:
    """The earlier rows (real, then synthetic) followed by the added ones, as one input."""
    ex = previous.examples
    missing = [c for c in ("side", "row", "text") if c not in ex]
    if missing:
        raise InputDataError(f"the earlier audit's examples lack {', '.join(missing)}; "
                             "re-run that audit with this version")
    old = pd.DataFrame({"side": ex["side"].to_numpy(object), "row": ex["row"].to_numpy(np.int64),
                        "text": ex["text"].astype(str).to_numpy(object),
                        "batch": (ex["batch"].to_numpy(np.int64) if "batch" in ex
                                  else np.zeros(len(ex), np.int64))})
    new = added.frame.assign(batch=batch)
    for optional in ("label", "generator"):
        if optional in ex or optional in new:
            old[optional] = ex[optional].to_numpy(object) if optional in ex else None
            new[optional] = new[optional] if optional in new else None
    is_real = old["side"].to_numpy() == "real"
    frame = pd.concat([old[is_real], old[~is_real], new[old.columns]], ignore_index=True)

    used = previous.summary.get("inputs") or {}
    real_texts = frame.loc[frame["side"] == "real", "text"]
    syn_texts = frame.loc[frame["side"] == "synthetic", "text"]
    return AuditInput(
        frame=frame,
        text_column=used.get("text_column") or added.text_column,
        label_column=used.get("label_column") or added.label_column,
        generator_column=used.get("generator_column") or added.generator_column,
        real_value=used.get("real_value"),
        sources=list(used.get("sources") or []) + [dict(s, batch=batch) for s in added.sources],
        blank_rows={"real": [], "synthetic": list(added.blank_rows.get("synthetic", []))},
        duplicate_texts={"real": int(len(real_texts) - real_texts.nunique()),
                         "synthetic": int(len(syn_texts) - syn_texts.nunique()),
                         "across": len(set(real_texts) & set(syn_texts))},
        warnings=[])


def _batches_before(previous: AuditResult) -> list[dict]:
    batches = previous.summary.get("batches")
    if batches:
        return list(batches)
    used = previous.summary.get("inputs") or {}
    return [{"batch": 0, "file": " + ".join(s.get("path", "?") for s in used.get("sources") or [])
             or None, "rows": int(len(previous.examples)),
             "blank_rows": int(sum((used.get("blank_rows") or {}).values())),
             "columns": {"text": used.get("text_column"), "label": used.get("label_column"),
                         "generator": used.get("generator_column")}}]
