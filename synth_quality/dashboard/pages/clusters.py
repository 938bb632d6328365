"""Clusters: each cluster's real and synthetic share against the overall share; click one."""

from __future__ import annotations

import streamlit as st

from synth_quality.dashboard import shell as db
from synth_quality.present.figures import selected_ids
from synth_quality.present.tables import cluster_details, clusters_display


def render() -> None:
    """Draw the page; Streamlit runs it again on every interaction."""
    audit = db.init_page("Clusters")
    result = audit.result
    clusters = result.clusters
    examples = result.examples
    ss = st.session_state
    st.title("Clusters")
    overall = result.facts.real_share
    st.caption(
        f"HDBSCAN clusters of the embeddings (minimum size {audit.min_cluster_size}; change it in "
        f"the sidebar). Each bar splits a cluster into its real (blue) and synthetic (orange) share; "
        f"the dashed line is the overall real share ({overall:.0%}). Clusters only one side covers "
        "come first: **real-only = a mode the generator misses, synthetic-only = a mode it "
        "invented (both bad)**. Then by significance (Holm-adjusted binomial test of the real share; "
        "small p = the share differs from the overall one). Click a bar or a table row.")

    if clusters.empty:
        st.warning("This audit has no clusters (every row is noise). Try a smaller minimum cluster "
                   "size in the sidebar.")
        st.stop()

    ids = [int(c) for c in clusters["cluster"]]
    if ss.get("sq_cluster") not in ids:
        ss["sq_cluster"] = ids[0]


    def _changed(name: str, value: list) -> bool:
        """True when a selection differs from what it was on the previous run (and is not empty)."""
        prev = ss.get(f"sq_prev_{name}")
        ss[f"sq_prev_{name}"] = value
        return bool(value) and value != prev


    chart_col, table_col = st.columns([3, 2], gap="medium")
    with chart_col:
        fig = db.cluster_figure(audit.key, ss["sq_cluster"], result)
        bar_event = st.plotly_chart(fig, key="sq_sel_cluster_bars", on_select="rerun",
                                    selection_mode="points",
                                    config={"displaylogo": False, "displayModeBar": False})
        bar_ids = selected_ids(bar_event)
    with table_col:
        table = clusters_display(clusters)
        table_event = st.dataframe(
            table, key=f"sq_sel_cluster_table_{audit.key}", on_select="rerun",
            selection_mode="single-row", hide_index=True, width="stretch", height=560,
            column_config=db.column_config(table) | {
                "status": st.column_config.TextColumn(
                    "status", help="real_only / synthetic_only: a mode only one side covers (bad); "
                                   "shared: both; noise: rows in no dense region"),
                "real_enrichment": st.column_config.NumberColumn(
                    "real enrichment", format="%.2f",
                    help="real share / overall real share; 1 = as expected, >1 = more real rows"),
                "keywords": st.column_config.TextColumn("keywords", width="medium",
                                                        help="class-based TF-IDF words")})
        table_rows = list(table_event["selection"]["rows"]) if table_event else []

    if _changed("bars", bar_ids):
        ss["sq_cluster"] = bar_ids[-1]
        st.rerun()  # redraw the chart with the new cluster outlined
    if _changed("table", table_rows):
        ss["sq_cluster"] = int(table.iloc[table_rows[-1]]["cluster"])
        st.rerun()

    cluster = int(ss["sq_cluster"])
    details = cluster_details(examples, clusters, cluster)
    row = details["row"]

    st.divider()
    st.subheader(f"Cluster {cluster}" if cluster >= 0 else "Noise (cluster -1)")
    st.text(details["sentence"])
    if row.get("keywords"):
        st.text("Keywords: " + ", ".join(row["keywords"]))

    info_col, map_col = st.columns([3, 2], gap="medium")
    with info_col:
        st.markdown("**Typical examples** (closest to the cluster's centre)")
        db.show_rows(details["typical"], key="cluster_typical")
        st.markdown("**Most extreme examples**")
        tabs = st.tabs(["Most obviously synthetic", "Most obviously real", "Most isolated"])
        for tab, part, key, sentence, empty in (
                (tabs[0], "most_synthetic", "cluster_most_syn",
                 "Its synthetic rows the classifier is surest about (lowest label issue score = "
                 "least realistic).", "No synthetic rows in this cluster."),
                (tabs[1], "most_real", "cluster_most_real",
                 "Its real rows the classifier is surest about (lowest label issue score = least "
                 "imitated by the synthetic data).", "No real rows in this cluster."),
                (tabs[2], "most_isolated", "cluster_most_isolated",
                 "Its rows farthest from their nearest neighbours (highest outlier score).", "")):
            with tab:
                st.caption(sentence)
                if len(details[part]):
                    db.show_rows(details[part], key=key)
                else:
                    st.info(empty)
    with map_col:
        st.caption(f"The map with cluster {cluster}'s {len(details['members']):,} rows ringed in "
                   "black (blue = real, orange = synthetic); hover a ringed point for its text.")
        mini = db.map_figure(audit.key, "side", cluster, 420, result, audit.saved_key, audit.base,
                             hover_all=False)
        st.plotly_chart(mini, key="cluster_minimap", config={"displaylogo": False,
                                                             "displayModeBar": False})
        if st.button("Highlight it on the Map page", key="cluster_to_map", width="stretch"):
            ss["sq_highlight_cluster"] = cluster if cluster >= 0 else None
            db.go_to("Map")
        if st.button(f"Open its {len(details['members']):,} rows on the Examples page",
                     key="cluster_to_examples", width="stretch"):
            db.open_examples(clusters=[cluster], title=f"cluster {cluster}")
