"""Lift: does the synthetic data help a real task? The real-data control's verdict and curves."""

from __future__ import annotations

import json

import streamlit as st

from synth_quality.dashboard import shell as db
from synth_quality.errors import SynthQualityError
from synth_quality.io import LABEL_COLUMN_NAMES, find_named_column, find_text_column
from synth_quality.present import lift as lift_view


def render() -> None:
    """Draw the page; Streamlit runs it again on every interaction."""
    audit = db.init_page("Lift")
    result = audit.base          # the lift does not depend on the clustering
    ss = st.session_state
    CHART = {"displaylogo": False, "displayModeBar": False}
    FORMATS = "CSV, TSV, Parquet, JSON Lines or JSON"
    NUM = "%.3f"
    SIGNED = "%+.3f"

    st.title("Lift")
    st.caption(
        "The real-data control: does adding the synthetic rows help a model on a real task? The "
        "same classifier (a logistic regression on the sentence embeddings) is trained three times "
        "(on the real training rows only, on real + synthetic rows, on the synthetic rows only), and "
        "each is scored on real evaluation rows it never saw. **Lift = score of real + synthetic "
        "minus score of real only: above 0 = the synthetic data helps, below 0 = it hurts.** Every "
        "number comes with an interval; a lift whose interval includes 0 cannot be told from chance.")

    if not lift_view.audit_has_labels(result.examples):
        st.info(
            "This audit has no task label column, so there is no task to train a classifier on. "
            "The lift control needs a label (such as sentiment) on the real and the synthetic rows. "
            "Re-run the audit with a label column: on the Data page pick a **Label column**, or on "
            "the command line add `--label-column sentiment` to `synth-quality audit`. You can also "
            "run `synth-quality lift ... --label-column sentiment --out <this audit's folder>` and "
            "open this page again.")
        st.page_link(db.page_path("Data"), label="Audit the data again with a label column",
                     icon=":material/upload_file:")
        st.stop()


    # --------------------------------------------------------------------------- running it



    def eval_choice() -> dict | None:
        """The evaluation set the user picked: ``{"key", "data", "text", "label", "name",
        "words"}``, or None while an uploaded file is incomplete."""
        mode = st.radio(
            "Evaluation set", ["holdout", "file"], horizontal=True, key="w_lift_eval",
            format_func={"holdout": "Hold out 30% of the real rows",
                         "file": "A real evaluation file"}.get,
            captions=["stratified by label; those rows are left out of training",
                      f"{FORMATS}: real rows with a text and a label column"],
            help="The models are scored on real rows only. A separate, larger real evaluation file "
                 "gives narrower intervals than the held-out split.")
        if mode == "holdout":
            return {"key": "holdout", "data": None, "text": None, "label": None, "name": None,
                    "words": "30% of the real rows held out"}
        up = st.file_uploader("Real evaluation file", key="w_lift_eval_file",
                              help=f"{FORMATS}. Rows marked synthetic are refused; rows that copy a "
                                   "training row are left out and listed.")
        if up is None:
            st.caption("Upload a file to run the control on it.")
            return None
        frame, digest, error = db.read_uploaded(up, "w_lift_eval_file")
        if error:
            st.error(db.md_escape(error))
            return None
        columns = [str(c) for c in frame.columns]
        st.caption(f"{db.md_escape(up.name)}: {len(frame):,} rows")
        label_name = result.facts.inputs.label_column
        guess_label = (label_name if label_name in columns
                       else find_named_column(frame, LABEL_COLUMN_NAMES))
        c1, c2 = st.columns(2)
        label = c2.selectbox("Label column", columns, key="w_lift_eval_label",
                             index=columns.index(guess_label) if guess_label in columns else 0,
                             help="Its values must be labels the training rows have.")
        guess_text = find_text_column([(frame, up.name)], [label])
        text = c1.selectbox("Text column", columns, key="w_lift_eval_text",
                            index=columns.index(guess_text) if guess_text in columns else 0)
        if text == label:
            st.error("The text and the label column must differ.")
            return None
        return {"key": f"file:{digest}:{text}:{label}", "data": frame, "text": text, "label": label,
                "name": up.name, "words": f"the file {up.name}"}


    def run_control(choice: dict, metric: str) -> None:
        """Run the control with a progress bar, keep the result and save it next to the audit."""
        from synth_quality.lift import run as lift_run  # looked up per call: tests replace run_lift
        from synth_quality.lift.config import LiftConfig

        run_key = f"{choice['key']}|{metric}"
        if db.computed_lift(audit, run_key) is None:
            box = st.container()
            try:
                # In the server's line of audits; served to a team, the evaluation texts go to
                # this owner's private embedding cache.
                with db.audit_slot(box, "lift control"):
                    progress = db.StreamlitProgress(box)
                    progress.tracker = lift_view.LiftProgressTracker()
                    progress.bar.progress(0.0, text="Starting the lift control ...")
                    lift = lift_run.run_lift(
                        lift_view.lift_inputs(result.examples, result.summary), choice["data"],
                        eval_text_column=choice["text"], eval_label_column=choice["label"],
                        eval_name=choice["name"], config=LiftConfig(metric=metric),
                        embed_config=db.private_config(
                            lift_view.lift_embed_config(result.summary)),
                        audit_examples=result.examples, progress=progress)
            except SynthQualityError as exc:
                progress.bar.empty()
                st.error(f"The lift control stopped: {db.md_escape(exc)}")
                return
            progress.bar.progress(1.0, text=f"Done in {lift.summary['timings']['total']:.0f} s")
            db.remember_lift(audit, run_key, lift)
            saved = db.save_lift(audit, lift)
            ss["sq_lift_done"] = (
                f"Ran the lift control in {lift.summary['timings']['total']:.0f} s; saved it as "
                f"lift.json in {saved}." if saved else
                f"Ran the lift control in {lift.summary['timings']['total']:.0f} s. The audit's "
                "folder is not yours to write (not writable, or shared with others on this "
                "server), so the result is kept by this dashboard until it restarts.")
        else:
            db.remember_lift(audit, run_key, db.computed_lift(audit, run_key))
            ss["sq_lift_done"] = "Showing the lift computed earlier for these settings."
        st.rerun()


    def controls(again: bool) -> None:
        choice = eval_choice()
        metric = st.columns([1, 2])[0].selectbox(
            "Metric for the lift and the verdict", ["accuracy", "macro_f1", "auc"],
            key="w_lift_metric", format_func={"accuracy": "accuracy", "macro_f1": "macro-F1",
                                              "auc": "AUC (two classes only)"}.get,
            help="All three are reported; this one decides the verdict.")
        st.caption("A few seconds on the built-in sample, about half a minute on 10,000 rows: "
                   "about 150 logistic regressions on the audit's cached embeddings (5 training "
                   "replicates and 1,000 bootstrap resamples for the intervals, the command line's "
                   "defaults).")
        if st.button("Run the lift control again" if again else "Run the lift control",
                     type="secondary" if again else "primary", key="run_lift",
                     disabled=choice is None):
            run_control(choice, metric)


    lift, lift_key, lift_error = db.current_lift(audit)
    if ss.get("sq_lift_done"):
        st.success(db.md_escape(ss.pop("sq_lift_done")))
    if lift_error:
        st.error(f"Could not read this audit's lift result: {db.md_escape(lift_error)}")
    if lift is None:
        st.subheader("Run the lift control")
        st.markdown("No lift result for this audit yet. It trains on the audit's "
                    f"{result.facts.n_real:,} real and "
                    f"{result.facts.n_synthetic:,} synthetic rows and their labels, and "
                    "ranks the synthetic rows with the audit's own scores for filter-and-retest. "
                    "On the command line: `synth-quality lift ... --label-column ... --audit-dir "
                    "<audit folder> --out <audit folder>`.")
        controls(again=False)
        st.stop()


    # --------------------------------------------------------------------------- the result

    s = lift_view.lift_summary_of(lift)
    level = lift_view.lift_level(s)
    m = s.get("metric_name") or s.get("metric")
    mismatch = lift_view.lift_mismatch(s, result.examples)
    if mismatch:
        st.warning(mismatch)

    verdict = s.get("verdict", "no significant lift")
    box = {"helps": st.success, "hurts": st.error}.get(verdict, st.info)
    box(db.md_escape(s.get("verdict_sentence", verdict)))

    heads = lift_view.lift_headline(s)
    cols = st.columns(4)
    for col, h in zip(cols, heads):
        help_ = (f"{m} of the model trained on {h['label'].lower()} rows ({h['n_train']:,} training "
                 f"rows), scored on the real evaluation rows; higher = better."
                 if h["key"] != "lift" else
                 f"{m} of real + synthetic minus {m} of real only; above 0 = the synthetic data "
                 "helps.")
        col.metric(h["label"], h["value"], help=help_)
        col.caption(f"{level} interval {h['interval']}")

    left, right = st.columns([3, 2], gap="medium")
    with left:
        st.caption(f"Each model's {m} on the real evaluation rows: points = the score, bars = its "
                   f"{level} interval, dashed line = the real-only score. Higher = better; blue = "
                   "real only, purple = real + synthetic, orange = synthetic only.")
        st.plotly_chart(lift_view.lift_scores_figure(s), key="lift_scores", config=CHART)
    with right:
        st.markdown("**What the lift means**")
        st.text(lift_view.lift_text(s))
    with st.expander("All metrics of the three models"):
        st.dataframe(lift_view.lift_score_table(s), hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format=NUM)
                                    for c in ("accuracy", "macro-F1", "AUC")})

    if s.get("per_generator"):
        st.subheader("Per generator")
        st.caption(f"The lift of real + one generator's synthetic rows over real only (the top row: "
                   f"all synthetic rows). Points = lift, bars = {level} interval; right of the "
                   "dashed 0 line = that generator's rows help. Colour = verdict: green helps, grey "
                   "no significant lift, red hurts.")
        g1, g2 = st.columns(2, gap="medium")
        g1.plotly_chart(lift_view.lift_generator_figure(s), key="lift_generators", config=CHART)
        g2.dataframe(lift_view.lift_generator_table(s), hide_index=True, width="stretch",
                     column_config={"score": st.column_config.NumberColumn(format=NUM),
                                    "lift": st.column_config.NumberColumn(format=SIGNED),
                                    "p value": st.column_config.NumberColumn(format="%.3f")})

    if s.get("how_much"):
        st.subheader("How much synthetic data")
        st.caption(f"The lift when adding a random 25%, 50%... of the synthetic rows to the real "
                   f"rows (0% = real only). Line = lift, shaded band = its {level} interval, "
                   "marker colour = verdict (green helps, grey no significant lift, red hurts); "
                   "above the dashed 0 line = helps. A curve that falls as more rows are added "
                   "means the extra synthetic rows hurt.")
        h1, h2 = st.columns([3, 2], gap="medium")
        h1.plotly_chart(lift_view.how_much_figure(s), key="lift_how_much", config=CHART)
        h2.dataframe(lift_view.how_much_table(s), hide_index=True, width="stretch",
                     column_config={"share of synthetic rows":
                                    st.column_config.NumberColumn(format="percent"),
                                    "score": st.column_config.NumberColumn(format=NUM),
                                    "lift": st.column_config.NumberColumn(format=SIGNED)})

    fr = s.get("filter_and_retest") or {}
    if fr:
        st.subheader("Filter and retest: does dropping what the audit flags help?")
        st.caption("For each audit signal, the worst-ranked k% of the synthetic rows are dropped "
                   "before training, and the result is compared with dropping as many rows at "
                   "random. A ranking that beats random finds the rows that hurt the task.")
        st.text(lift_view.filter_retest_summary(s))
        st.dataframe(lift_view.filter_retest_overview(s), hide_index=True, width="stretch",
                     column_config={"best lift": st.column_config.NumberColumn(format=SIGNED),
                                    "drops first": st.column_config.TextColumn(width="large")})
        y = st.radio("Plot", ["lift", "score"], horizontal=True, key="w_lift_fr_y",
                     format_func={"lift": "lift over real only",
                                  "score": f"{m} itself"}.get)
        st.caption(
            "x = share of the synthetic rows dropped (0% = real + all synthetic rows). Purple line = "
            "dropping the worst rows by the signal"
            + (f" (bars = {level} interval)" if y == "lift" else "")
            + f"; dotted grey line = dropping as many rows at random (mean of the random draws), "
            f"grey band = its {level} interval. Higher = better"
            + ("; above the dashed 0 line the model beats real only." if y == "lift" else
               "; dashed lines mark the real-only and the real + all synthetic scores.")
            + " 'beats random' marks drops significantly better than random ones.")
        tabs = st.tabs([lift_view.LIFT_SIGNALS.get(name, (name,))[0] for name in fr])
        for tab, name in zip(tabs, fr):
            with tab:
                st.text(lift_view.filter_retest_sentence(s, name))
                st.plotly_chart(lift_view.filter_retest_figure(s, name, y), key=f"lift_fr_{name}",
                                config=CHART)
                st.dataframe(lift_view.filter_retest_table(s, name), hide_index=True,
                             width="stretch",
                             column_config={c: st.column_config.NumberColumn(
                                 format=SIGNED if ("lift" in c or "minus" in c) else NUM)
                                 for c in ("score", "lift", "random: score", "random: lift",
                                           "signal minus random")})
                worst = ((s.get("signals") or {}).get(name) or {}).get("worst_rows") or []
                if worst:
                    st.caption(f"Synthetic input rows it ranks worst (first {len(worst)}): "
                               + ", ".join(str(int(r)) for r in worst))

    st.subheader("Evaluation set")
    ev = s.get("eval") or {}
    st.caption("Real rows only. Evaluation rows that a training row copies (the same text after "
               "lowercasing, or cosine similarity at or above the near-duplicate threshold) are left "
               "out: a copy in the training data would inflate the score of the model that saw it.")
    details = lift_view.lift_eval_details(s)
    st.dataframe(details, hide_index=True, width="stretch", height=35 * (len(details) + 1) + 3,
                 column_config={"value": st.column_config.TextColumn(width="large")})
    leaks = lift_view.leakage_examples_table(s)
    if len(leaks):
        st.markdown(f"**Left out because a training row copies them** (first {len(leaks)} of "
                    f"{int(ev.get('n_excluded_leakage') or 0):,})")
        st.dataframe(leaks, hide_index=True, width="stretch",
                     column_config={"evaluation text": st.column_config.TextColumn(width="large"),
                                    "training text": st.column_config.TextColumn(width="large"),
                                    "similarity": st.column_config.NumberColumn(format="%.3f")})
    rows = getattr(lift, "eval_rows", None)
    if rows is not None and len(rows):
        with st.expander(f"The {len(rows):,} evaluation rows and each model's prediction"):
            st.dataframe(rows, hide_index=True, width="stretch",
                         column_config={"text": st.column_config.TextColumn(width="large")})
    for note in s.get("warnings") or []:
        st.warning(db.md_escape(note))

    st.download_button("Download lift.json", key="dl_lift", on_click="ignore",
                       mime="application/json", file_name="lift.json",
                       data=json.dumps(s, indent=2, ensure_ascii=False))
    st.caption("The Report page adds this result to the HTML report.")

    st.divider()
    with st.expander("Run the lift control again (another evaluation set or metric)"):
        controls(again=True)
