"""Examples: the sortable issue-score table of every row, with filters, views and exports."""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from synth_quality.dashboard import shell as db
from synth_quality.present.exports import (
    cleaned_synthetic,
    export_frame,
    to_csv_bytes,
    to_parquet_bytes,
)
from synth_quality.present.filters import (
    FLAGS,
    RANGE_COLUMNS,
    SORT_OPTIONS,
    VIEWS,
    ExampleFilter,
    apply_filter,
    sort_examples,
)
from synth_quality.present.tables import display_table
from synth_quality.present.wording import (
    CATEGORY_INFO,
    COLUMN_HELP,
    ROW_SCORES,
    cluster_label,
    direction_text,
)


def render() -> None:
    """Draw the page; Streamlit runs it again on every interaction."""
    audit = db.init_page("Examples")
    result = audit.result
    examples = result.examples
    ss = st.session_state
    flagged: set = ss.setdefault("sq_flagged", set())

    FULL = (0.0, 1.0)
    cluster_ids = sorted(int(c) for c in examples["cluster"].unique())
    cluster_names = {int(r.cluster): cluster_label(r) for r in result.clusters.itertuples()}
    generators = (sorted(examples["generator"].dropna().astype(str).unique())
                  if "generator" in examples else [])
    labels = sorted(examples["label"].dropna().astype(str).unique()) if "label" in examples else []

    DEFAULTS = {"w_ex_sides": [], "w_ex_categories": [], "w_ex_clusters": [], "w_ex_generators": [],
                "w_ex_labels": [], "w_ex_flags": [], "w_ex_search": "",
                "w_ex_sort": "label_issue_score", "w_ex_asc": True,
                **{f"w_ex_range_{c}": FULL for c in RANGE_COLUMNS}}


    def _apply(filter_: ExampleFilter, sort_by: str, ascending: bool, title: str) -> None:
        """Put a view's filter into the widgets (called before they are drawn)."""
        ss["w_ex_sides"] = list(filter_.sides)
        ss["w_ex_categories"] = list(filter_.categories)
        ss["w_ex_clusters"] = [int(c) for c in filter_.clusters]
        ss["w_ex_generators"] = list(filter_.generators)
        ss["w_ex_labels"] = list(filter_.labels)
        ss["w_ex_flags"] = list(filter_.flags)
        ss["w_ex_search"] = filter_.search
        for c in RANGE_COLUMNS:
            ss[f"w_ex_range_{c}"] = tuple(filter_.ranges.get(c, FULL))
        ss["w_ex_sort"] = sort_by
        ss["w_ex_asc"] = ascending
        ss["sq_ex_rows"] = None if filter_.rows is None else list(filter_.rows)
        ss["sq_ex_title"] = title
        ss["sq_ex_applied"] = _current_filter().to_dict()


    def _current_filter() -> ExampleFilter:
        """The filter the widgets (and a carried row set) describe."""
        return ExampleFilter(
            sides=list(ss["w_ex_sides"]), categories=list(ss["w_ex_categories"]),
            clusters=list(ss["w_ex_clusters"]), generators=list(ss["w_ex_generators"]),
            labels=list(ss["w_ex_labels"]), flags=list(ss["w_ex_flags"]),
            ranges={c: tuple(ss[f"w_ex_range_{c}"]) for c in RANGE_COLUMNS
                    if tuple(ss[f"w_ex_range_{c}"]) != FULL},
            search=ss["w_ex_search"], rows=ss["sq_ex_rows"])


    def _apply_view(key: str) -> None:
        view = VIEWS[key]
        _apply(view.filter, view.sort_by, view.ascending, view.title)


    # Restore the widgets' values (Streamlit drops widget state on other pages), then apply a view
    # carried here from another page (Overview finding, map selection, cluster).
    for key, value in {**DEFAULTS, **ss.get("sq_ex_saved", {})}.items():
        if key not in ss:
            ss[key] = value
    ss.setdefault("sq_ex_rows", None)
    ss.setdefault("sq_ex_title", "All rows")
    NO_FILTER = ExampleFilter().to_dict()
    pending = ss.pop("sq_view_pending", None)
    if pending:
        if pending.get("view"):
            _apply_view(pending["view"])
        else:
            f = ExampleFilter(rows=pending.get("rows"),
                                      clusters=list(pending.get("clusters") or []))
            _apply(f, "label_issue_score", True, pending.get("title") or "Selection")
    ss["w_ex_clusters"] = [c for c in ss["w_ex_clusters"] if c in cluster_ids]
    ss["w_ex_generators"] = [g for g in ss["w_ex_generators"] if g in generators]
    ss["w_ex_labels"] = [g for g in ss["w_ex_labels"] if g in labels]

    st.title("Examples")
    st.caption("Every row with its issue scores. **Label issue score: low = bad** (the classifier is "
               "sure of the row's side: an unrealistic synthetic row, or a real row the synthetic "
               "data misses; 0.5 = cannot tell). **Outlier score and repetition score: high = bad.** "
               "Coverage score: how close the other side comes (1 = a copy, 0.5 = the edge of its "
               "neighbourhood). Hover a column header for its meaning; click it to sort.")

    view_keys = ["unrealistic", "underrepresented", "degenerate", "copies", "near_duplicates",
                 "outliers", "realistic", "covered", "all"]
    counts = {k: len(apply_filter(examples, VIEWS[k].filter)) for k in view_keys}


    def _on_view() -> None:
        key = ss.get("w_ex_view_pick")
        if key:
            _apply_view(key)
        ss["w_ex_view_pick"] = None   # a view is an action, not a state: the filters below show it


    st.pills("One-click views (the case study's categories and flags)", view_keys,
             format_func=lambda k: f"{VIEWS[k].title} ({counts[k]:,})",
             key="w_ex_view_pick", on_change=_on_view,
             help="; ".join(f"{VIEWS[k].title}: {VIEWS[k].description}"
                            for k in view_keys))

    with st.container(border=True):
        f1, f2, f3, f4 = st.columns(4)
        f1.multiselect("Side", ["real", "synthetic"], key="w_ex_sides", placeholder="any side")
        f2.multiselect("Category", list(CATEGORY_INFO), key="w_ex_categories",
                       placeholder="any category",
                       help="; ".join(f"{k}: {v}" for k, v in CATEGORY_INFO.items()))
        f3.multiselect("Cluster", cluster_ids, key="w_ex_clusters", placeholder="any cluster",
                       format_func=lambda c: cluster_names.get(c, str(c)))
        f4.multiselect("Flags (all must hold)", list(FLAGS), key="w_ex_flags",
                       format_func=FLAGS.get, placeholder="no flag required")
        g1, g2, g3 = st.columns([2, 1, 1])
        g1.text_input("Text contains", key="w_ex_search", placeholder="case-insensitive search",
                      help="Plain text search (not a regular expression); press Enter to apply.")
        if generators:
            g2.multiselect("Generator", generators, key="w_ex_generators",
                           placeholder="any generator")
        if labels:
            g3.multiselect("Label", labels, key="w_ex_labels", placeholder="any label")
        narrowed = [c for c in RANGE_COLUMNS if tuple(ss[f"w_ex_range_{c}"]) != FULL]
        with st.expander("Score ranges" + (f" ({len(narrowed)} narrowed)" if narrowed else ""),
                         expanded=bool(narrowed)):
            range_cols = st.columns(len(RANGE_COLUMNS))
            for col, name in zip(range_cols, RANGE_COLUMNS):
                info = ROW_SCORES[name]
                col.slider(info.label, 0.0, 1.0, step=0.01, key=f"w_ex_range_{name}",
                           help=f"{info.meaning} ({direction_text(info)})")

    # Remember the widgets for the next visit.
    ss["sq_ex_saved"] = {k: ss[k] for k in DEFAULTS}

    current = _current_filter()
    title = (ss["sq_ex_title"] if ss.get("sq_ex_applied", NO_FILTER) == current.to_dict()
             else "custom filter")

    if ss["sq_ex_rows"] is not None:
        r1, r2 = st.columns([4, 1])
        r1.info(f"Restricted to {len(ss['sq_ex_rows']):,} rows carried from another page "
                f"({db.md_escape(ss['sq_ex_title'])}).")
        if r2.button("Show all rows again", key="clear_rows", width="stretch"):
            ss["sq_ex_rows"] = None
            st.rerun()

    shown = sort_examples(apply_filter(examples, current, flagged),
                                  ss["w_ex_sort"], ss["w_ex_asc"])
    s1, s2, s3 = st.columns([2, 1, 3], vertical_alignment="bottom")
    s1.selectbox("Sort by", list(SORT_OPTIONS), format_func=SORT_OPTIONS.get,
                 key="w_ex_sort")
    s2.toggle("Ascending", key="w_ex_asc", help="Off = largest first")
    s3.markdown(f"**Showing {len(shown):,} of {len(examples):,} rows** · view: "
                f"{db.md_escape(title)} · {len(flagged):,} flagged")

    table = display_table(shown, flagged=flagged)
    digest = hashlib.sha1(json.dumps([current.to_dict(), ss["w_ex_sort"], ss["w_ex_asc"],
                                      audit.key], default=str).encode()).hexdigest()[:10]
    event = st.dataframe(table, key=f"sq_sel_examples_{digest}", on_select="rerun",
                         selection_mode="multi-row", hide_index=True, width="stretch", height=520,
                         column_config=db.column_config(table) | {
                             "flagged": st.column_config.CheckboxColumn(
                                 "flagged", help=COLUMN_HELP["flagged"])})
    picked = [int(shown.index[i]) for i in (event["selection"]["rows"] if event else [])
              if i < len(shown)]

    st.caption("Tick rows (checkbox column on the left) to flag them or to see their details. "
               "Flagged rows are left out of the cleaned synthetic export.")
    a1, a2, a3, a4 = st.columns(4)
    n_syn_shown = int((shown["side"] == "synthetic").sum())
    if a1.button(f"Flag {len(picked):,} selected", key="flag_selected", disabled=not picked,
                 width="stretch"):
        flagged.update(picked)
        st.rerun()
    if a2.button("Unflag selected", key="unflag_selected", disabled=not picked, width="stretch"):
        flagged.difference_update(picked)
        st.rerun()
    if a3.button(f"Flag all {n_syn_shown:,} shown synthetic rows", key="flag_shown",
                 disabled=n_syn_shown == 0, width="stretch"):
        flagged.update(int(i) for i in shown.index[shown["side"] == "synthetic"])
        st.rerun()
    if a4.button(f"Clear all {len(flagged):,} flags", key="clear_flags", disabled=not flagged,
                 width="stretch"):
        flagged.clear()
        st.rerun()

    if picked:
        row = examples.loc[picked[-1]]
        with st.container(border=True):
            st.markdown(f"**Row details** · {row['side']} row {int(row['row'])}"
                        + (f" · generator {db.md_escape(row['generator'])}"
                           if isinstance(row.get("generator"), str) else ""))
            st.text(row["text"])
            st.caption(f"Category: {row['category']} ({row['reason']}). Label issue score "
                       f"{row['label_issue_score']:.3f} (low = bad), outlier score "
                       f"{row['outlier_score']:.2f} (high = bad), repetition score "
                       f"{row['repetition_score']:.2f} (high = bad), cluster {int(row['cluster'])}.")
            nearest = row.get("nearest_real_row")
            if row["side"] == "synthetic" and nearest is not None and str(nearest) != "<NA>":
                match = examples[(examples["side"] == "real") & (examples["row"] == int(nearest))]
                if len(match):
                    st.caption(f"Nearest real row ({int(nearest)}, cosine similarity "
                               f"{row['nearest_real_similarity']:.3f}):")
                    st.text(match.iloc[0]["text"])
            group = row.get("near_duplicate_group")
            if group is not None and str(group) != "<NA>":
                members = examples[examples["near_duplicate_group"] == group]
                st.caption(f"Near-duplicate group {int(group)}: {len(members):,} rows")
                db.show_rows(members, key="dup_group_rows", height=200)

    st.subheader("Export")
    e1, e2 = st.columns(2)
    with e1:
        st.markdown(f"**The {len(shown):,} rows shown**, every column, in the order shown")
        export = export_frame(shown.assign(flagged=shown.index.isin(list(flagged))))
        b1, b2 = st.columns(2)
        b1.download_button("Download CSV", data=lambda: to_csv_bytes(export),
                           file_name="synth-quality-rows.csv", mime="text/csv", key="dl_rows_csv",
                           on_click="ignore", width="stretch")
        b2.download_button("Download Parquet", data=lambda: to_parquet_bytes(export),
                           file_name="synth-quality-rows.parquet",
                           mime="application/vnd.apache.parquet", key="dl_rows_parquet",
                           on_click="ignore", width="stretch")
    with e2:
        cleaned = cleaned_synthetic(examples, flagged, result.facts.inputs)
        st.markdown(f"**Cleaned synthetic set**: {len(cleaned):,} synthetic rows without the "
                    f"{len(flagged & set(examples.index[examples['side'] == 'synthetic'])):,} "
                    "flagged ones, with the input's column names")
        c1, c2 = st.columns(2)
        c1.download_button("Download cleaned CSV", data=lambda: to_csv_bytes(cleaned),
                           file_name="synthetic-cleaned.csv", mime="text/csv", key="dl_clean_csv",
                           on_click="ignore", width="stretch")
        c2.download_button("Download cleaned Parquet", data=lambda: to_parquet_bytes(cleaned),
                           file_name="synthetic-cleaned.parquet",
                           mime="application/vnd.apache.parquet", key="dl_clean_parquet",
                           on_click="ignore", width="stretch")
