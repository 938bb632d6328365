"""Data: pick the built-in sample, upload files, open an earlier audit, or add synthetic rows to
the current one; then run the audit."""

from __future__ import annotations

import json
from pathlib import Path

import streamlit as st

from synth_quality.config import DEFAULT_MODEL
from synth_quality.dashboard import shell as db
from synth_quality.dashboard.serving import FOLDER_OFF, FOLDER_REFUSED, allowed_audit_folder
from synth_quality.dashboard.store import folder_stamp, is_audit_dir, upload_audit_dir
from synth_quality.errors import SynthQualityError
from synth_quality.io import (
    GENERATOR_COLUMN_NAMES,
    LABEL_COLUMN_NAMES,
    find_named_column,
    find_real_value,
    find_source_column,
    find_text_column,
    source_values,
)
from synth_quality.present.inputs import error_parts, locate_input_error


def selftest_section(audit, ss) -> None:
    """Plant known defects into a copy of the current audit's rows, audit it, and show what each
    detector catches: what this audit can and cannot see on these data."""
    from synth_quality.present.tables import selftest_table

    with st.expander("Self-test: what can the audit see on these data?"):
        st.caption("Plants known defects into a copy of the current audit's rows (copies and "
                   "near copies of real rows, repetition loops and stutters, off-topic rows, a "
                   "kind of real text withheld from the synthetic side, flipped labels when "
                   "there is a label column), audits the copy and reports, per detector, how "
                   "many planted rows it catches (recall), how well its score ranks them (AUROC) "
                   "and how often it fires with no difference. It takes about as long as an "
                   "audit. Your data and the current audit are not changed. Same as "
                   "`synth-quality selftest` on the command line.")
        key = f"sq_selftest_{audit.saved_key or audit.key}"
        if st.button("Run the self-test", key="run_selftest"):
            try:
                ss[key] = db.run_selftest_with_progress(audit.base)
            except SynthQualityError as exc:
                st.error(f"The self-test stopped: {exc}")
        if key in ss:
            report = ss[key]
            st.dataframe(selftest_table(report), hide_index=True, width="stretch",
                         column_config={c: st.column_config.NumberColumn(format="%.2f")
                                        for c in ("recall", "AUROC")}
                         | {c: st.column_config.NumberColumn(format="%.4f")
                            for c in ("false alarms with no difference", "up to")})
            st.caption(db.md_escape(report.get("how_to_read", "")))


def render() -> None:
    """Draw the page; Streamlit runs it again on every interaction."""
    audit = db.init_page("Data", require_audit=False)
    ss = st.session_state

    FORMATS = "CSV, TSV, Parquet, JSON Lines or JSON"
    MODES = {"sample": "Built-in sample", "one": "One file with a source column",
             "two": "Two files: real and synthetic", "folder": "An earlier audit's folder",
             "add": "Add synthetic rows to the current audit"}

    st.title("Data")
    # The embedding model and UMAP load in the background while you pick files.
    preloading = db.preload_for_auditing(audit.base.config.embed.model if audit is not None
                                         else DEFAULT_MODEL)


    def preload_status():
        """Says whether the model and UMAP are loaded yet (an audit started before waits for them).
        While they load, the note refreshes itself every second; once they are loaded, the next run
        of the page draws it plainly and nothing polls any more."""
        def finished() -> str:
            if preloading.error:
                return (f":material/warning: Could not load the embedding model ahead of time "
                        f"({db.md_escape(preloading.error)}); an audit will try again and say why.")
            return ":material/check: Embedding model and UMAP loaded."

        if not preloading.is_alive():
            st.caption(finished())
            return

        @st.fragment(run_every=1.0)
        def note():
            st.caption(finished() if not preloading.is_alive() else
                       ":material/hourglass_top: Loading the embedding model and UMAP in the "
                       "background ...")

        note()
    if audit is not None:
        st.caption(f"Current audit: {db.md_escape(audit.label)} "
                   f"({audit.result.facts.n_real:,} real, "
                   f"{audit.result.facts.n_synthetic:,} synthetic rows).")

    limit_mb = int(st.get_option("server.maxUploadSize"))
    captions = {"sample": "about 1,500 rows, audited already",
                "one": f"{FORMATS}; up to {limit_mb} MB", "two": f"{FORMATS}; up to {limit_mb} MB each",
                "folder": "written by synth-quality audit --out",
                "add": "the next generation round; a fraction of a full audit"}
    # Adding rows needs an audit to add them to.
    modes = [m for m in MODES if m != "add" or audit is not None]
    if ss.get("w_data_mode") not in modes:
        ss.pop("w_data_mode", None)
    mode = st.radio("What do you want to audit?", modes, format_func=MODES.get,
                    horizontal=True, key="w_data_mode", captions=[captions[m] for m in modes])




    def check_inputs(key: str, _kwargs: dict):
        """(AuditInput, None) or (None, (message, kind, side)): the command line's checks,
        once per set of choices, kept for this session only."""
        from synth_quality.io import load_inputs

        def load():
            try:
                return load_inputs(**_kwargs), None
            except SynthQualityError as exc:
                return None, error_parts(exc)

        return db.session_value(f"inputs:{mode}", key, load, "Checking the columns ...")


    def check_added(key: str, _frame, name: str, text, label, generator):
        """(AuditInput of the rows to add, None) or (None, (message, kind, side)), kept for
        this session only."""
        from synth_quality.io import load_side

        def load():
            try:
                return load_side(_frame, "synthetic", text_column=text, label_column=label,
                                 generator_column=generator, name=name), None
            except SynthQualityError as exc:
                return None, error_parts(exc)

        return db.session_value("inputs:add", key, load, "Checking the columns ...")


    def uploaded(label: str, key: str, help_: str):
        """A file uploader, its bytes read and checked; the error is shown right under it."""
        up = st.file_uploader(label, key=key, help=help_)
        if up is None:
            return None
        frame, digest, error = db.read_uploaded(up, key)
        if error:
            st.error(error)
            return None
        st.caption(f"{up.name}: {len(frame):,} rows, columns {', '.join(map(str, frame.columns))}")
        return {"frame": frame, "name": up.name, "digest": digest}


    def pick(label: str, options: list, guess, key: str, optional: bool = False, help_: str = ""):
        """A selectbox whose default is the guess; returns (value, placeholder for its error)."""
        opts = ([None] if optional else []) + list(options)
        index = opts.index(guess) if guess in opts else 0
        value = st.selectbox(label, opts, index=index, key=key, help=help_,
                             format_func=lambda v: "(none)" if v is None else str(v))
        return value, st.empty()


    def settings_box():
        """The few audit settings worth changing here; the rest are the command line's defaults."""
        from synth_quality.config import AuditConfig

        with st.expander("Audit settings"):
            c1, c2, c3 = st.columns(3)
            mcs = c1.number_input("Minimum cluster size (0 = automatic)", 0, 100_000, 0,
                                  key="w_data_mcs", help="HDBSCAN's smallest cluster; automatic = "
                                  "1% of the rows, at least 10. It can also be changed after the "
                                  "audit, in the sidebar.")
            folds = c2.number_input("Detector folds", 2, 20, 5, key="w_data_folds",
                                    help="Cross-validation folds of the real-vs-synthetic classifier.")
            seed = c3.number_input("Random seed", 0, 2**31 - 1, 0, key="w_data_seed",
                                   help="One seed for UMAP, the folds and the classifier: the same "
                                        "seed gives the same audit.")
        try:
            return AuditConfig.from_dict({"cluster": {"min_cluster_size": int(mcs) or None},
                                          "detect": {"n_folds": int(folds)},
                                          "random_state": int(seed)}), None
        except SynthQualityError as exc:
            return None, str(exc)


    def preview(inputs) -> None:
        """A few rows per side, as the audit will read them."""
        frame = inputs.frame
        cols = [c for c in ("row", "text", "label", "generator") if c in frame]
        left, right = st.columns(2)
        for col, side in ((left, "real"), (right, "synthetic")):
            part = frame[frame["side"] == side]
            with col:
                st.markdown(f"**{side.capitalize()} side: {len(part):,} rows** (first 5)")
                st.dataframe(part[cols].head(5), hide_index=True, width="stretch",
                             column_config={"text": st.column_config.TextColumn(width="large")})
        for note in inputs.warnings:
            st.warning(db.md_escape(note))


    def run_button(inputs, key_parts: list, label: str) -> None:
        config, error = settings_box()
        if error:
            st.error(error)
            return
        # Served to a team, the audit (and the caches it fills) is private to this session or
        # signed-in user: only they are offered "Open the saved audit".
        folder = upload_audit_dir(key_parts, cache_root=db.private_dir(), config=config)
        cached = is_audit_dir(folder)
        if st.button("Open the saved audit of these files" if cached else "Run the audit",
                     type="primary", key="run_audit"):
            if not cached:
                try:
                    db.run_audit_with_progress(folder, inputs=inputs,
                                               config=db.private_config(config))
                except SynthQualityError as exc:
                    st.error(f"The audit stopped: {exc}")
                    return
            db.set_source("folder", label, str(folder))
            ss["sq_data_done"] = label
            st.rerun()


    if audit is not None:
        selftest_section(audit, ss)

    if ss.get("sq_data_done"):
        st.success(f"Audit ready: {db.md_escape(ss.pop('sq_data_done'))}. Open the Overview, Map, "
                   "Clusters or Examples page.")
        c1, c2, c3, _ = st.columns([1, 1, 1, 3])
        c1.page_link(db.HOME, label="Overview", icon=":material/insights:")
        c2.page_link(db.page_path("Map"), label="Map", icon=":material/scatter_plot:")
        c3.page_link(db.page_path("Examples"), label="Examples", icon=":material/table_rows:")

    upload_help = (f"{FORMATS}; up to {limit_mb} MB per file (the server's limit, "
                   "server.maxUploadSize in .streamlit/config.toml). For larger files use the command "
                   "line: synth-quality audit --real ... --synthetic ... --out runs/x, then open "
                   "that folder here.")

    if mode == "sample":
        st.markdown("The built-in sample: about 400 real movie-review snippets and 1,076 synthetic "
                    "rows from three made-up generators, with planted problems (a documentary mode "
                    "no generator imitates, templated and degenerate rows, copies of real rows, an "
                    "off-topic mode).")
        is_current = ss.get("sq_source", {}).get("kind") == "sample"
        if st.button("Use the built-in sample", type="primary", disabled=is_current,
                     key="use_sample"):
            db.set_source("sample", "built-in sample")
            st.rerun()
        if is_current:
            st.caption("The built-in sample is the current audit.")

    elif mode == "one":
        st.caption(f"One table holding both sides and a column that says which rows are real. "
                   f"Files up to {limit_mb} MB each.")
        up = uploaded("Data file", "w_data_file", upload_help)
        err_file = st.empty()
        if up is not None:
            frame = up["frame"]
            columns = list(frame.columns)
            c1, c2 = st.columns(2)
            with c1:
                source, err_source = pick("Source column", columns,
                                          find_source_column(frame), "w_data_source",
                                          help_="The column that says whether a row is real or "
                                                "synthetic.")
                values = source_values(frame, source)[:50] if source is not None else []
                real_value, err_real = pick("Value meaning real", values,
                                            find_real_value(values, source),
                                            "w_data_real_value",
                                            help_="Rows with this value are the real side; every "
                                                  "other row is synthetic.")
                text, err_text = pick("Text column", [c for c in columns if c != source],
                                      find_text_column([(frame, up["name"])], [source]),
                                      "w_data_text")
            with c2:
                label, err_label = pick("Label column (optional)", columns,
                                        find_named_column(frame, LABEL_COLUMN_NAMES),
                                        "w_data_label", optional=True,
                                        help_="A task label such as sentiment.")
                generator, err_gen = pick("Generator column (optional)", columns,
                                          find_named_column(frame, GENERATOR_COLUMN_NAMES),
                                          "w_data_generator", optional=True,
                                          help_="Which model wrote each synthetic row.")
            placeholders = {"file": err_file, "source": err_source, "real_value": err_real,
                            "text": err_text, "label": err_label, "generator": err_gen}
            kwargs = dict(data=frame, names={"data": up["name"]}, source_column=source,
                          real_value=real_value, text_column=text, label_column=label,
                          generator_column=generator)
            choices = [up["digest"], up["name"], source, real_value, text, label, generator]
            inputs, error = check_inputs(json.dumps(choices, default=str), kwargs)
            if error:
                target, message = locate_input_error(error)
                placeholders.get(target, placeholders["file"]).error(message)
            else:
                preview(inputs)
                run_button(inputs, choices, up["name"])

    elif mode == "two":
        st.caption(f"The real rows in one file, the synthetic rows in another. Files up to "
                   f"{limit_mb} MB each.")
        c1, c2 = st.columns(2)
        with c1:
            real_up = uploaded("Real file", "w_data_real_file", upload_help)
            err_real_file = st.empty()
        with c2:
            syn_up = uploaded("Synthetic file", "w_data_syn_file", upload_help)
            err_syn_file = st.empty()
        if real_up is not None and syn_up is not None:
            rf, sf = real_up["frame"], syn_up["frame"]
            common = [c for c in rf.columns if c in sf.columns]
            d1, d2, d3 = st.columns(3)
            with d1:
                text, err_text = pick("Text column (in both files)", common or list(rf.columns),
                                      find_text_column([(rf, real_up["name"]),
                                                        (sf, syn_up["name"])]),
                                      "w_data2_text")
            with d2:
                label, err_label = pick("Label column (optional, in both files)", common,
                                        find_named_column(rf[common], LABEL_COLUMN_NAMES),
                                        "w_data2_label", optional=True)
            with d3:
                generator, err_gen = pick("Generator column (optional, synthetic file)",
                                          list(sf.columns),
                                          find_named_column(sf, GENERATOR_COLUMN_NAMES),
                                          "w_data2_generator", optional=True)
            placeholders = {"real_file": err_real_file, "synthetic_file": err_syn_file,
                            "file": err_real_file, "text": err_text, "label": err_label,
                            "generator": err_gen, "source": err_text, "real_value": err_text}
            kwargs = dict(real=rf, synthetic=sf,
                          names={"real": real_up["name"], "synthetic": syn_up["name"]},
                          text_column=text, label_column=label, generator_column=generator)
            choices = [real_up["digest"], real_up["name"], syn_up["digest"], syn_up["name"], text,
                       label, generator]
            inputs, error = check_inputs(json.dumps(choices, default=str), kwargs)
            if error:
                target, message = locate_input_error(error, two_files=True)
                placeholders.get(target, err_real_file).error(message)
            else:
                preview(inputs)
                run_button(inputs, choices, f"{real_up['name']} + {syn_up['name']}")

    elif mode == "add":
        base = audit.base
        used = base.facts.inputs
        st.caption(f"New synthetic rows (say, the next generation round) are audited together with "
                   f"the current audit's {len(base.examples):,} rows. UMAP starts from the current "
                   "map, so the old rows keep their places, and only the new texts are embedded: "
                   "this takes a fraction of a full audit. The result is a new audit; the current "
                   "one stays as it is.")
        preload_status()
        up = uploaded("Synthetic rows to add", "w_add_file", upload_help)
        err_file = st.empty()
        if up is not None:
            frame = up["frame"]
            columns = list(frame.columns)

            def default(role: str, guess):
                """The current audit's column of this role if the new file has it, else a guess."""
                before = getattr(used, f"{role}_column")
                return before if before in columns else guess

            c1, c2, c3 = st.columns(3)
            with c1:
                text, err_text = pick("Text column", columns,
                                      default("text", find_text_column([(frame, up["name"])])),
                                      "w_add_text")
            picked = {}
            for col, role, names, help_ in (
                    (c2, "label", LABEL_COLUMN_NAMES,
                     f"The current audit's label column: {used.label_column or 'none'}."),
                    (c3, "generator", GENERATOR_COLUMN_NAMES,
                     "Which model wrote each row; the Overview's By generator table then compares "
                     "the new rows with the old ones.")):
                with col:
                    picked[role] = pick(f"{role.capitalize()} column (optional)", columns,
                                        default(role, find_named_column(frame, names)),
                                        f"w_add_{role}", optional=True, help_=help_)
            (label, err_label), (generator, err_gen) = picked["label"], picked["generator"]
            placeholders = {"file": err_file, "synthetic_file": err_file, "text": err_text,
                            "label": err_label, "generator": err_gen}
            choices = [up["digest"], up["name"], text, label, generator]
            added, error = check_added(json.dumps(choices, default=str), frame, up["name"], text,
                                       label, generator)
            if error:
                target, message = locate_input_error(error)
                placeholders.get(target, err_file).error(message)
            else:
                st.markdown(f"**{len(added.frame):,} rows to add** (first 5)")
                st.dataframe(added.frame[[c for c in ("row", "text", "label", "generator")
                                          if c in added.frame]].head(5),
                             hide_index=True, width="stretch",
                             column_config={"text": st.column_config.TextColumn(width="large")})
                for note in added.warnings:
                    st.warning(db.md_escape(note))
                known = set(base.examples.loc[base.examples["side"] == "synthetic", "text"])
                repeats = int(added.frame["text"].isin(known).sum())
                if repeats:
                    st.info(f"{repeats:,} of these texts are already synthetic rows of the current "
                            "audit; they are added again (as duplicates).")
                folder = upload_audit_dir([audit.folder, f"{folder_stamp(audit.folder)}",
                                           "add", *choices], cache_root=db.private_dir(),
                                          config=base.config)
                cached = is_audit_dir(folder)
                label_after = f"{audit.label} + {up['name']}"
                if st.button("Open the saved audit with these rows" if cached else
                             f"Add {len(added.frame):,} rows and re-audit", type="primary",
                             key="add_rows"):
                    if not cached:
                        try:
                            db.run_add_with_progress(
                                folder, base, synthetic=frame, name=up["name"], text_column=text,
                                label_column=label, generator_column=generator,
                                config=(db.private_config(base.config)
                                        if db.private_dir() is not None else None))
                        except SynthQualityError as exc:
                            st.error(f"Adding the rows stopped: {exc}")
                            st.stop()
                    db.set_source("folder", label_after, str(folder))
                    ss["sq_data_done"] = label_after
                    st.rerun()

    else:
        serve = db.settings()
        root = serve.audit_root
        st.caption("The folder written by `synth-quality audit --out FOLDER` (examples.parquet, "
                   "clusters.parquet, summary.json), on the machine running this dashboard"
                   + (f", inside {db.md_escape(root)}" if root is not None else "") + ".")
        if not serve.folder_box:
            st.info(FOLDER_OFF)
            return
        path = st.text_input("Audit folder", key="w_data_folder",
                             placeholder="runs/first" if root is None else f"{root}/runs/first")
        err_folder = st.empty()
        if st.button("Open this audit", type="primary", key="open_folder", disabled=not path):
            from synth_quality.result import AuditResult

            refused = FOLDER_REFUSED.format(root=root)
            if root is None:
                folder = Path(path).expanduser().resolve()
            else:
                folder = allowed_audit_folder(path, serve, db.cache_root())
            try:
                if folder is None:
                    raise SynthQualityError(refused)
                AuditResult.load(folder)
            except SynthQualityError as exc:
                # With a root (and always when served) one message for every refusal: which
                # folders exist on the server is none of a visitor's business.
                err_folder.error(str(exc) if root is None else refused)
            else:
                db.set_source("folder", f"saved audit {folder.name}", str(folder))
                ss["sq_data_done"] = f"saved audit {folder.name}"
                st.rerun()
