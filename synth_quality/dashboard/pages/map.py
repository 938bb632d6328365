"""Map: the 2-d UMAP scatter; click a point or draw a box or lasso to list those rows."""

from __future__ import annotations

import streamlit as st

from synth_quality.dashboard import shell as db
from synth_quality.present.figures import figure_trace_ids, selected_ids
from synth_quality.present.filters import sort_examples
from synth_quality.present.wording import cluster_label, color_options, legend_text


def render() -> None:
    """Draw the page; Streamlit runs it again on every interaction."""
    audit = db.init_page("Map")
    result = audit.result
    examples = result.examples
    ss = st.session_state

    st.title("Map")
    st.caption("Each point is a row, placed by UMAP from its sentence embedding: similar texts sit "
               "close together. Hover a point to read it. Click a point, or choose *Box select* or "
               "*Lasso select* in the chart's toolbar and drag, to list the rows beside the chart; "
               "double-click empty space to clear.")

    options = color_options(examples)
    ss.setdefault("sq_map_color", "side")
    if ss["sq_map_color"] not in options:
        ss["sq_map_color"] = "side"
    clusters = [int(c) for c in result.clusters["cluster"] if c >= 0]
    highlight_options = [None] + clusters
    if ss.setdefault("sq_highlight_cluster", None) not in highlight_options:
        ss["sq_highlight_cluster"] = None

    c1, c2 = st.columns([1, 1])
    with c1:
        color_by = st.selectbox("Colour by", list(options), format_func=options.get,
                                index=list(options).index(ss["sq_map_color"]), key="w_map_color")
        ss["sq_map_color"] = color_by
    with c2:
        labels = {None: "none"} | {int(r.cluster): cluster_label(r)
                                    for r in result.clusters.itertuples() if r.cluster >= 0}
        highlight = st.selectbox("Highlight a cluster", highlight_options,
                                 index=highlight_options.index(ss["sq_highlight_cluster"]),
                                 format_func=lambda c: labels.get(c, str(c)), key="w_map_highlight",
                                 help="Draws black rings around the cluster's rows (the Clusters "
                                      "page sets this when you pick a cluster).")
        ss["sq_highlight_cluster"] = highlight

    plot_col, table_col = st.columns([3, 2], gap="medium")
    with plot_col:
        st.caption(legend_text(color_by))
        fig = db.map_figure(audit.key, color_by, highlight, 640, result, audit.saved_key, audit.base)
        event = st.plotly_chart(fig, key="sq_sel_map", on_select="rerun",
                                selection_mode=("points", "box", "lasso"),
                                config={"displaylogo": False, "scrollZoom": True})
        ids = selected_ids(event, figure_trace_ids(fig))

    with table_col:
        st.subheader(f"Selected rows: {len(ids):,}")
        if not ids:
            st.info("Nothing selected yet. Click a point, or draw a box or lasso on the map.")
        else:
            chosen = examples.loc[ids]
            counts = chosen["side"].value_counts()
            st.caption(f"{counts.get('real', 0):,} real, {counts.get('synthetic', 0):,} synthetic. "
                       "Label issue score: low = bad (the classifier is sure of the row's side); "
                       "outlier score: high = isolated. Sorted worst first.")
            db.show_rows(sort_examples(chosen, "label_issue_score"), key="map_selection_table",
                         height=460)
            if st.button(f"Open these {len(ids):,} rows on the Examples page", type="primary",
                         key="map_to_examples"):
                db.open_examples(rows=ids, title=f"{len(ids):,} rows selected on the map")
