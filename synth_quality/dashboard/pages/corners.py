"""Corners: does the synthetic data fill the dense middle of the real distribution or reach its
rare corners; its diversity; rounds and generators side by side; and what to generate next."""

from __future__ import annotations

import streamlit as st

from synth_quality.dashboard import shell as db
from synth_quality.present.corners import (band_figure, band_table, curves_figure,
                                           diversity_table, group_table, rounds_figure)
from synth_quality.present.exports import to_csv_bytes
from synth_quality.present.figures import selected_ids
from synth_quality.present.next_steps import (few_shot_groups, few_shot_markdown, few_shot_prompt,
                                              few_shot_table, filter_sentence, filtered_synthetic)
from synth_quality.present.wording import legend_text


@st.cache_resource(show_spinner=False, max_entries=16)
def _band_figure(key: str, _block):
    return band_figure(_block)


@st.cache_resource(show_spinner=False, max_entries=16)
def _curves_figure(key: str, _block):
    return curves_figure(_block)


@st.cache_data(show_spinner=False, max_entries=16)
def _groups(key: str, _examples, _summary):
    return few_shot_groups(_examples, _summary)


def render() -> None:
    """Draw the page; Streamlit runs it again on every interaction."""
    audit = db.init_page("Corners")
    result = audit.result
    s, examples = result.summary, result.examples
    block = s.get("centre_vs_corners")

    st.title("Centre or corners")
    st.caption("The real rows are ranked from typical to rare by the radius of their "
               "neighbourhood (the cosine distance to their 5th nearest real row) and cut into "
               "ten bands of equal size: band 1 is the densest tenth, band 10 the rarest. Each "
               "synthetic row belongs to the band of its nearest real row. Synthetic data should "
               "widen the real data, not pile onto its middle.")
    if not block:
        st.info("This audit has no centre-or-corners figures: it was saved by an earlier version, "
                "or the real side has too few rows for bands (at least 10). Re-run the audit.")
        st.stop()

    st.subheader("Verdict: " + block["verdict"])
    with st.container(border=True):
        st.markdown(db.md_escape(block["sentence"]))
    st.caption("Each bar's grey range is where the band's share falls when the synthetic rows "
               "are drawn like the real ones (a real row left out of the real rows is such a "
               "draw: where its nearest other real row lies). It is not one tenth: dense real "
               "rows are the nearest neighbour of more rows. Bars outside their range are red "
               "(too few synthetic rows) or violet (too many); light orange bars are inside it.")

    chart_col, table_col = st.columns([3, 2], gap="medium")
    with chart_col:
        event = st.plotly_chart(_band_figure(audit.saved_key, block), key="sq_sel_bands",
                                on_select="rerun", selection_mode="points",
                                config={"displaylogo": False, "displayModeBar": False})
        picked = selected_ids(event)
    with table_col:
        st.dataframe(band_table(block), hide_index=True, width="stretch", height=420)
    if picked:
        band = int(picked[0])
        rows = examples[examples["density_band"] == band]
        st.markdown(f"**Band {band}**: {int((rows['side'] == 'real').sum()):,} real and "
                    f"{int((rows['side'] == 'synthetic').sum()):,} synthetic rows (synthetic rows "
                    "by their nearest real row), least reached real rows first.")
        shown = rows.sort_values(["side", "nearest_synthetic_similarity"], kind="stable")
        db.show_rows(shown.head(200), key="corners_band_rows", height=300,
                     columns=["side", "row", "text", "generator", "density_band", "rarity_score",
                              "label_issue_score"])
        if st.button(f"Open all {len(rows):,} rows of band {band} on the Examples page",
                     key="corners_open_band"):
            db.open_examples(rows=rows.index.tolist(), title=f"density band {band}")

    with st.expander("alpha-precision and beta-recall (Alaa et al. 2022)", expanded=False):
        st.caption("alpha-precision: the share of synthetic rows inside the union of the k-NN "
                   "balls of the densest alpha of the real rows (at alpha = 1 it is precision). "
                   "beta-recall: the share of real rows inside the balls of the densest beta of "
                   "the synthetic rows (at beta = 1 it is recall). Dashed: the same curve for "
                   "rows left out of their own side (no difference); shaded: its range. A curve "
                   "above the dashed one early on means the rows crowd the dense core.")
        st.plotly_chart(_curves_figure(audit.saved_key, block), key="corners_curves",
                        config={"displaylogo": False, "displayModeBar": False})

    st.subheader("Rarity on the map")
    color = st.radio("Colour the map by", ["rarity_score", "density_band"], horizontal=True,
                     format_func={"rarity_score": "rarity score",
                                  "density_band": "density band"}.get, key="w_corners_color")
    st.caption(legend_text(color) or "Rarity score (Han et al. 2022): the radius of the smallest "
               "real k-NN ball that holds the row; dark = typical, light = rare, grey = outside "
               "every real ball.")
    st.plotly_chart(db.map_figure(audit.key, color, None, 520, result, audit.saved_key,
                                  audit.base), key="corners_map",
                    config={"displaylogo": False, "scrollZoom": True})

    div = s.get("diversity")
    st.subheader("Diversity")
    if div:
        st.markdown(db.md_escape(div["sentence"]))
        st.caption(f"Each measure on samples of {div['rows']} rows ({div['repeats']} subsamples; "
                   "the 95% interval comes from them). *With no difference*: the same measure on "
                   "samples of the real rows of the same size. Vendi: effective number of "
                   "distinct rows (high = diverse). distinct-n: distinct n-grams / n-grams (high = "
                   "diverse). Compression ratio and self-BLEU: high = repetitive. MAUVE: 1 = the "
                   "sides have the same distribution.")
        st.dataframe(diversity_table(div), hide_index=True, width="stretch")
    else:
        st.info("No diversity figures: a side has fewer than 20 rows, or they were turned off "
                "(corners.diversity_rows = 0).")

    rounds = s.get("rounds") or {}
    st.subheader("Rounds and generators")
    if rounds.get("warning"):
        st.error(db.md_escape(rounds["warning"].removeprefix("synth-quality: ")))
    if rounds.get("by_round"):
        st.caption("Each round (batch 0 = the first audit's synthetic rows, then one per "
                   "*synth-quality add*) against all real rows; in brackets the range with no "
                   "difference at the round's size; ▼ / ▲ = below / above it. Tail mass: synthetic "
                   "rows next to the rarest 30% of real rows. A tail mass that falls round after "
                   "round is the signature of model collapse.")
        left, right = st.columns([2, 3])
        with left:
            st.plotly_chart(rounds_figure(rounds["by_round"]), key="corners_rounds",
                            config={"displaylogo": False, "displayModeBar": False})
        with right:
            st.dataframe(group_table(rounds["by_round"], "round"), hide_index=True,
                         width="stretch")
    else:
        st.caption("One round so far: add the next generation round on the Data page (*Add "
                   "synthetic rows to the current audit*) to compare rounds.")
    if rounds.get("by_generator"):
        st.dataframe(group_table(rounds["by_generator"], "generator"), hide_index=True,
                     width="stretch")

    st.subheader("What to do next")
    groups = _groups(audit.key, examples, s)
    if groups:
        st.caption("Real rows the synthetic data does not reach: each uncovered region of real "
                   "rows and each band with fewer synthetic rows than with no difference, with "
                   "keywords, least reached rows first. Paste a group into your generator's "
                   "prompt as few-shot examples.")
        table = few_shot_table(examples, groups)
        c1, c2 = st.columns(2)
        c1.download_button(f"Download all {len(table):,} rows (CSV)", to_csv_bytes(table),
                           file_name="few_shot.csv", mime="text/csv", key="dl_few_shot_csv",
                           on_click="ignore")
        c2.download_button("Download the prompts (Markdown)",
                           few_shot_markdown(examples, groups).encode("utf-8"),
                           file_name="few_shot.md", mime="text/markdown", key="dl_few_shot_md",
                           on_click="ignore")
        titles = [g["title"] for g in groups]
        chosen = st.selectbox("Group", range(len(groups)), format_func=titles.__getitem__,
                              key="w_corners_group")
        st.code(few_shot_prompt(examples, groups[chosen]), language="text", wrap_lines=True)
    else:
        st.success("No uncovered region of real rows and no thin band: nothing the synthetic "
                   "data clearly misses.")
    lift, _, _ = db.current_lift(audit)
    summary = lift.summary if lift is not None else None
    st.markdown(db.md_escape(filter_sentence(summary)))
    filtered = filtered_synthetic(examples, summary, s.get("inputs"))
    if filtered is not None:
        st.download_button(f"Download the filtered synthetic set ({len(filtered):,} rows, CSV)",
                           to_csv_bytes(filtered), file_name="filtered_synthetic.csv",
                           mime="text/csv", key="dl_filtered", on_click="ignore")
