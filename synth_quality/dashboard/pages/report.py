"""Report: a self-contained HTML report for stakeholders, to download and preview."""

from __future__ import annotations

import streamlit as st

from synth_quality.dashboard import shell as db


def render() -> None:
    """Draw the page; Streamlit runs it again on every interaction."""
    audit = db.init_page("Report")
    result = audit.result

    st.title("Report")
    st.caption("One HTML file for stakeholders: the verdict, the scores with what they mean and which "
               "direction is bad, the map, the clusters and the top examples of each category. It "
               "works offline and opens by double-click (plotly is embedded, nothing is fetched); "
               "every text from the data is HTML-escaped.")

    lift, lift_key, _ = db.current_lift(audit)     # the Lift page's result, if there is one
    html = db.report_html(audit.key, result, lift_key, lift)
    st.download_button("Download the report (HTML)", data=html, file_name="synth-quality-report.html",
                       mime="text/html", type="primary", key="dl_report", on_click="ignore")
    st.caption(f"{len(html) / 1e6:.1f} MB, of which about 4.7 MB is the embedded plotting library. "
               f"It reflects the current minimum cluster size ({audit.min_cluster_size})."
               + (" It includes the lift control (the Lift page's result)." if lift is not None
                  else ""))

    if st.toggle("Show a preview", value=True, key="w_report_preview"):
        # Safe to embed: synth_quality.report HTML-escapes every text that comes from the data, so
        # the only markup and scripts in it are the report's own (and plotly's).
        st.iframe(html, height=900)
