"""The Overview page (the dashboard's entry page, ``app.py``).

The verdict first, then the numbers that back it, then the findings worth reading first, each
a click away from its rows.
"""

from __future__ import annotations

import streamlit as st

from synth_quality.dashboard.shell import (
    findings,
    go_to,
    init_page,
    md_escape,
    open_examples,
    page_path,
    show_rows,
)
from synth_quality.present.tables import (
    artifact_table,
    band_of,
    band_text,
    count_table,
    generator_table,
    reference_table,
    score_table,
)
from synth_quality.present.wording import (
    DATASET_SCORES,
    SUPPORT_SCORES,
    direction_text,
    format_value,
)
from synth_quality.schema import Summary


def _band_caption(summary: Summary, key: str, fmt: str) -> str:
    """"With no difference 0.47 to 0.53: expected even with no difference. " ("" without)."""
    span = band_text(summary, key, fmt)
    if not span:
        return ""
    return f"With no difference {span}: {band_of(summary, key).reading or ''}. "


def render() -> None:
    """Draw the page; Streamlit runs it again on every interaction."""
    audit = init_page("Overview")
    result = audit.result
    s = result.facts

    st.title("Is the synthetic data any good?")
    st.caption(f"Data: {md_escape(audit.label)} · {s.n_real:,} real and "
               f"{s.n_synthetic:,} synthetic rows · change it on the Data page.")

    st.subheader("Verdict")
    with st.container(border=True):
        # The verdict is built by the library from measured figures only (no dataset text).
        st.markdown(md_escape(s.verdict))

    st.subheader("The numbers behind it")
    st.caption("Each number is read against what it would be if the synthetic rows were no "
               "different from the real ones (*with no difference*: the audit recomputes it "
               "on shuffled labels and on the real rows alone). A number inside that range is "
               "**expected even with no difference**.")
    auc_info = SUPPORT_SCORES["detection_auc"]
    lo, hi = s.detection_auc_ci
    cols = st.columns(5)
    with cols[0]:
        st.metric("Detection AUC", format_value(auc_info, s.detection_auc),
                  help=auc_info.meaning)
        interval = f"95% CI {lo:.2f} to {hi:.2f}. " if lo is not None and hi is not None else ""
        st.caption(f"{interval}{_band_caption(s, 'detection_auc', auc_info.fmt)}0.5 = "
                   "indistinguishable, 1.0 = every synthetic row spotted. **High = bad.**")
    for col, (key, info) in zip(cols[1:], DATASET_SCORES.items()):
        with col:
            st.metric(info.label, format_value(info, getattr(s, key)), help=info.meaning)
            st.caption(f"{_band_caption(s, key, info.fmt)}{info.meaning} "
                       f"**{direction_text(info).capitalize()}.**")

    with st.expander("Supporting measures (precision, recall, density, coverage)"):
        table = score_table(s)
        support = table[table["key"].isin(["precision", "recall", "density", "coverage"])]
        st.dataframe(support.drop(columns="key"), hide_index=True, width="stretch")

    reference = reference_table(s)
    if len(reference):
        outside = reference[reference["reading"] != "expected even with no difference"]
        with st.expander(f"Every figure against no difference ({len(outside)} of "
                         f"{len(reference)} outside their range)"):
            method = s.no_difference.method
            st.caption("How the ranges were made: " + " · ".join(
                f"{md_escape(k)}: {md_escape(v)}" for k, v in method.items()) + ". Each range "
                "holds 99.7% of what no difference gives, so with no difference all of them "
                "hold the audit's figures in about 95% of audits.")
            st.dataframe(reference.drop(columns="key"), hide_index=True, width="stretch")

    view = s.second_view
    if view is not None:
        with st.expander("A second, model-free view" + (" — it disagrees"
                                                         if view.disagreements else "")):
            st.markdown(md_escape(view.sentence))
            st.caption(f"{md_escape(view.representation)}; on {view.rows:,} rows. The per-row "
                       "scores of this view are the examples' lexical_coverage_score and "
                       "lexical_label_issue_score.")

    corners = s.centre_vs_corners
    if corners is not None:
        st.subheader(f"Centre or corners: {corners.verdict}")
        # Built by the library from measured figures only (no dataset text).
        st.markdown(md_escape(corners.sentence))
        if s.rounds is not None and s.rounds.warning:
            st.error(md_escape(s.rounds.warning.removeprefix("synth-quality: ")))
        st.page_link(page_path("Corners"), label="The bands, rarity on the map, diversity, "
                     "rounds and what to generate next", icon=":material/filter_center_focus:")

    counts = count_table(s)
    for start in range(0, len(counts), 4):
        for col, (label, value, help_) in zip(st.columns(4), counts[start:start + 4]):
            col.metric(label, value, help=help_)

    st.subheader("Findings worth reading first")
    st.caption("Each finding shows a few of its rows; the button opens all of them. Label issue "
               "score: low = bad (the classifier is sure of the row's side; 0.5 = cannot tell).")
    for finding in findings(audit.key, result):
        with st.container(border=True):
            left, right = st.columns([4, 1])
            with left:
                st.markdown(f"**{md_escape(finding.title)}** · {md_escape(finding.sentence)}")
            with right:
                if finding.cluster is not None:
                    if st.button("Open this cluster", key=f"finding_{finding.key}", width="stretch"):
                        st.session_state["sq_cluster"] = finding.cluster
                        go_to("Clusters")
                elif finding.view:
                    if st.button(f"Open all {finding.count:,} rows", key=f"finding_{finding.key}",
                                 width="stretch"):
                        open_examples(view=finding.view)
                elif finding.members:
                    if st.button(f"Open all {len(finding.members):,} rows",
                                 key=f"finding_{finding.key}", width="stretch"):
                        open_examples(rows=finding.members, title=finding.title)
            if finding.rows:
                show_rows(result.examples.loc[finding.rows],
                          columns=["side", "row", "text", "generator", "cluster",
                                   "label_issue_score", "reason"])

    artifacts = artifact_table(s)
    if len(artifacts):
        st.subheader("Surface artifacts")
        st.caption("Can one trivial feature tell the sides apart? *AUC alone*: 0.5 = no, 1.0 = "
                   "perfectly. At 0.75 or more the feature separates the sides (bad: part of the "
                   "detectability is formatting, not content).")
        st.dataframe(artifacts, hide_index=True, width="stretch",
                     column_config={"AUC alone": st.column_config.NumberColumn(format="%.2f"),
                                    "real": st.column_config.NumberColumn(format="%.2f"),
                                    "synthetic": st.column_config.NumberColumn(format="%.2f"),
                                    "finding": st.column_config.TextColumn(width="large")})

    generators = generator_table(s)
    if len(generators):
        st.subheader("By generator")
        st.caption("Each generator's synthetic rows against all real rows. Detection AUC, "
                   "unrealistic, unvaried, unoriginal: high = bad. Precision: low = bad.")
        st.dataframe(generators, hide_index=True, width="stretch",
                     column_config={c: st.column_config.NumberColumn(format="%.3f")
                                    for c in ("detection AUC", "unrealistic", "unvaried",
                                              "unoriginal", "precision")})

    if result.warnings:
        st.subheader("Notes from the audit")
        for note in result.warnings:
            st.text(f"• {note}")
