"""Map: the 2-d UMAP scatter; click a point or draw a box or lasso to list those rows.

Past the server's ``map_points_up_to`` rows the map is a density image of every row with a
sample of points on top (``present/density.py``); a box or lasso then lists every row inside
(computed here from the full coordinates), and "Zoom to this box" re-aggregates the region, down
to points once it holds few enough rows."""

from __future__ import annotations

import streamlit as st

from synth_quality.dashboard import shell as db
from synth_quality.present import density
from synth_quality.present.figures import figure_trace_ids, selected_ids
from synth_quality.present.filters import sort_examples
from synth_quality.present.wording import cluster_label, color_options, legend_text

#: Session state: the zoomed-in region (a density.Window) and a counter that gives the chart a
#: new key (an empty selection) each time the region changes.
ZOOM, ZOOM_N = "sq_sel_mapzoom", "sq_sel_mapzoom_n"
#: Past the density threshold, the selection table lists at most this many rows (worst first);
#: the count, the Examples page and its exports get every selected row.
TABLE_ROWS = 5_000


def _zoom_to(window) -> None:
    st.session_state[ZOOM] = window
    st.session_state[ZOOM_N] = st.session_state.get(ZOOM_N, 0) + 1


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

    large = len(examples) > db.settings().map_points_up_to
    zoom = ss.get(ZOOM) if large else None
    plot_col, table_col = st.columns([3, 2], gap="medium")
    with plot_col:
        st.caption(legend_text(color_by))
        view = db.map_view(audit.key, color_by, highlight, 640, result, audit.saved_key,
                           audit.base, window=zoom)
        fig = view.figure
        if large:
            _density_caption(view, len(examples))
        event = st.plotly_chart(fig, key="sq_sel_map" if not large else
                                f"sq_sel_map_z{ss.get(ZOOM_N, 0)}", on_select="rerun",
                                selection_mode=("points", "box", "lasso"),
                                config={"displaylogo": False, "scrollZoom": True})
        ids = None
        if large:
            # Every row inside the box or lasso, from the full coordinates (the chart knows
            # only the drawn points); a click still reads its point.
            rows = density.selection_rows(event, examples["x"].to_numpy(float),
                                          examples["y"].to_numpy(float), view.window)
            ids = rows.tolist() if rows is not None else None
            box = density.last_box(event)
            z1, z2 = st.columns(2)
            with z1:
                if box is not None:
                    target = box.intersect(view.window) if view.window is not None else box
                    st.button("Zoom to this box", key="map_zoom_in", icon=":material/zoom_in:",
                              on_click=_zoom_to, args=(target,), width="stretch",
                              help="Draws the rows inside the box finer; as points once it holds "
                                   f"at most {db.settings().map_points_up_to:,} rows.")
            with z2:
                if zoom is not None:
                    st.button("Reset zoom", key="map_zoom_reset", icon=":material/zoom_out_map:",
                              on_click=_zoom_to, args=(None,), width="stretch")
        if ids is None:
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
            ordered = sort_examples(chosen, "label_issue_score")
            if large and len(ordered) > TABLE_ROWS:
                st.caption(f"The table lists the {TABLE_ROWS:,} worst of them; the Examples page "
                           "below gets all of them.")
                ordered = ordered.head(TABLE_ROWS)
            db.show_rows(ordered, key="map_selection_table", height=460)
            if st.button(f"Open these {len(ids):,} rows on the Examples page", type="primary",
                         key="map_to_examples"):
                db.open_examples(rows=ids, title=f"{len(ids):,} rows selected on the map")


def _density_caption(view, n_rows: int) -> None:
    where = "this region" if view.window is not None and view.mode == "points" else "the map"
    if view.mode == "points":
        st.caption(f"Zoomed in: the {view.n_in_view:,} rows in {where}, each a point. Box or "
                   "lasso lists the rows inside; *Reset zoom* shows the whole map again.")
        return
    st.caption(f"{view.n_in_view:,} rows in view, too many to draw one by one: the picture is "
               "the density of every row (each cell's colour mixes its rows' colours; the more "
               f"rows, the more opaque), with {view.n_drawn:,} rows drawn as points on top "
               "(flagged rows first, then a seeded sample; hover them to read them). A box or "
               "lasso lists every row inside, drawn or not. *Zoom to this box* draws a region "
               "finer, and as points once it holds few enough rows.")
