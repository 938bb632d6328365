"""Presentation without a UI: what the dashboard and the HTML report both show, as plain values,
DataFrames and plotly figures (no Streamlit here). The words and colours (:mod:`.wording`),
tables (:mod:`.tables`), figures and selections (:mod:`.figures`), the overview's findings
(:mod:`.findings`), example filters and views (:mod:`.filters`), exports (:mod:`.exports`),
progress in words (:mod:`.progress`), the Data page's helpers (:mod:`.inputs`) and the lift
control's views (:mod:`.lift`)."""
