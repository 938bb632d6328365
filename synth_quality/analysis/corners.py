"""Centre or corners: does the synthetic data fill the dense middle of the real distribution, or
does it reach its rare corners?

**Bands.** Each real row's neighbourhood radius is the cosine distance to its k-th nearest other
real row (Naeem et al.'s k-NN ball, k = ``score.manifold_k``): small in the dense middle, large
in the sparse corners. The real rows are ranked from typical (smallest radius) to rare and cut
into ``corners.n_bands`` bands of equal size (deciles by default): band 1 holds the densest
tenth of the real rows, band 10 the rarest. A synthetic row belongs to the band of its nearest
real row. Per band: the share of the real rows (one tenth), the share of the synthetic rows,
and the band's coverage (its real rows with a synthetic row inside their ball).

**No difference** (leave one out, as for precision): a real row left out is a fresh draw from
the real distribution. Its nearest other real row, with that row's ball measured without it,
falls in band b as often as a synthetic row's nearest real row would if the synthetic rows were
drawn like the real ones: that rate, at the audit's number of synthetic rows (the binomial
spread of both, :func:`~synth_quality.analysis.reference.rate_band`), is each band's range.
It is not one tenth: a row in a dense region is more often someone's nearest neighbour.
Coverage per band has the exact reference of coverage (it depends only on the sizes).

**Verdict.** ``"even"`` when every band's synthetic share is inside its range; otherwise
``"fills the middle"`` when the synthetic rows sit, on average, nearer the dense end than with no
difference (their mean band position is lower), else ``"covers the corners"``. The figures read
first are the centre mass (synthetic rows next to the densest ``centre_share`` of the real rows)
and the tail mass (next to the rarest ``tail_share``).

**Rarity** (Han et al. 2022): per synthetic row, the radius of the smallest real ball that holds
it; NaN when no real ball does (off the real manifold). Real rows get the same, left out.

**alpha-precision and beta-recall** (Alaa et al. 2022): alpha-precision(a) is the share of
synthetic rows inside the real alpha-support, here the union of the balls of the densest a share
of the real rows (the k-NN estimate of the region of highest density holding that mass; Alaa et
al. learn a one-class embedding for it, which an audit cannot train per dataset). A synthetic row
is inside it exactly when its rarity is at most the a-quantile of the real radii, so the curve is
the distribution of the rarity scores; at a = 1 it is precision. beta-recall(b) is the share of
real rows inside the union of the balls of the densest b share of the synthetic rows; at b = 1 it
is recall. Both are read against the same curves of rows left out of their own side (real rows
for alpha-precision, synthetic rows for beta-recall, as for precision and recall).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from synth_quality.analysis.reference import BAND_Z, EXPECTED, exact_coverage, rate_band, reading
from synth_quality.graph.rarity import cross_rarity, left_out_pass, next_radius_from_graph

VERDICTS = ("fills the middle", "covers the corners", "even")
#: Fewest real rows per band.
MIN_ROWS_PER_BAND = 5


@dataclass
class Bands:
    """The real rows' bands, typical to rare.

    band : ndarray (n_real,) of 0 .. n_bands-1 (0 = densest)
    distances : the real rows' radii (cosine distances), sorted
    n_bands : how many bands
    """

    band: np.ndarray
    distances: np.ndarray
    n_bands: int

    def of(self, distance: np.ndarray) -> np.ndarray:
        """The band a radius falls in among the real rows' radii (-1 for NaN)."""
        distance = np.asarray(distance, np.float64)
        n = len(self.distances)
        pos = np.searchsorted(self.distances, np.nan_to_num(distance, nan=np.inf), side="left")
        out = np.minimum(pos * self.n_bands // max(n, 1), self.n_bands - 1)
        return np.where(np.isfinite(distance), out, -1).astype(np.int64)

    def edges(self) -> np.ndarray:
        """(n_bands, 2): the smallest and largest radius of each band's real rows."""
        out = np.full((self.n_bands, 2), np.nan)
        n = len(self.distances)
        for b in range(self.n_bands):
            lo, hi = -(-b * n // self.n_bands), -(-(b + 1) * n // self.n_bands)
            if hi > lo:
                out[b] = self.distances[lo], self.distances[hi - 1]
        return out


def real_bands(radius: np.ndarray, n_bands: int) -> Bands:
    """Rank the real rows by their radius (cosine distance to their k-th nearest other real row;
    ties by position) and cut them into ``n_bands`` equal bands."""
    radius = np.asarray(radius, np.float64)
    n = len(radius)
    order = np.lexsort((np.arange(n), radius))
    rank = np.empty(n, np.int64)
    rank[order] = np.arange(n)
    return Bands(rank * n_bands // max(n, 1), radius[order], n_bands)


def bands_used(n_real: int, n_bands: int) -> int:
    """Bands that keep at least :data:`MIN_ROWS_PER_BAND` real rows each (0: too few rows)."""
    used = min(n_bands, n_real // MIN_ROWS_PER_BAND)
    return used if used >= 2 else 0


@dataclass
class Corners:
    """What the centre-vs-corners analysis measured (real rows first, as in the audit).

    bands : the real rows' bands
    synthetic_band : band (0-based) of each synthetic row's nearest real row
    rarity : per synthetic row, the radius of the smallest real ball holding it (NaN: none)
    real_rarity : per real row, left out, the same against the other real rows
    reference_band : per real row, left out, the band of its nearest other real row (that row's
        ball measured without it): where a fresh real draw lands
    real_reach : per real row, the radius of the smallest synthetic ball holding it (NaN: none)
    synthetic_radius : the synthetic rows' own radii (cosine distances)
    synthetic_left_out : rarity of sampled synthetic rows left out against the other synthetic
        rows' balls (the no-difference reference of beta-recall)
    """

    bands: Bands
    synthetic_band: np.ndarray
    rarity: np.ndarray
    real_rarity: np.ndarray
    reference_band: np.ndarray
    real_reach: np.ndarray
    synthetic_radius: np.ndarray
    synthetic_left_out: np.ndarray


def measure(X: np.ndarray, n_real: int, own_radius: np.ndarray, nearest_real: np.ndarray,
            n_bands: int, k: int, sample_rows: int, seed: int | None,
            knn: tuple[np.ndarray, np.ndarray] | None = None) -> Corners | None:
    """The bands, rarity scores and left-out references of one audit; None when the real side
    is too small for two bands.

    ``own_radius``: every row's similarity to its k-th nearest row of its side (the neighbour
    graph's); ``nearest_real``: each synthetic row's nearest real row (position among the real
    rows); ``sample_rows``: synthetic rows left out for beta-recall's reference (all real rows
    are left out for the others); ``knn``, optional: the neighbour graph's exact lists
    (indices, similarities), which spare most of the searches for the balls left-out rows
    leave."""
    n = len(X)
    n_syn = n - n_real
    used = bands_used(n_real, n_bands)
    if not used or n_syn < 1 or n_real <= k + 1:
        return None
    radius = 1.0 - np.asarray(own_radius, np.float64)
    bands = real_bands(radius[:n_real], used)
    nearest_real = np.asarray(nearest_real, np.int64)
    synthetic_band = np.where(nearest_real >= 0, bands.band[np.clip(nearest_real, 0, None)], -1)
    synthetic = np.arange(n_real, n)
    rarity = cross_rarity(X, synthetic, 0, n_real, own_radius).rarity
    def known(lo, hi):
        return None if knn is None else next_radius_from_graph(knn[0], knn[1], lo, hi, k)

    real = left_out_pass(X, np.arange(n_real), 0, n_real, own_radius, k, known(0, n_real))
    reach = cross_rarity(X, np.arange(n_real), n_real, n, own_radius).rarity
    rng = np.random.default_rng(None if seed is None else seed + 18)
    chosen = np.sort(rng.choice(synthetic, min(n_syn, sample_rows), replace=False))
    if n_syn > k + 1:
        syn_left_out = left_out_pass(X, chosen, n_real, n, own_radius, k,
                                     known(n_real, n)).rarity
    else:
        syn_left_out = np.full(len(chosen), np.nan)
    return Corners(bands, synthetic_band, rarity, real.rarity, bands.of(real.nearest_distance),
                   reach, radius[n_real:], syn_left_out)


# ------------------------------------------------------------------------------ figures

def centre_and_tail(n_bands: int, centre_share: float, tail_share: float) -> tuple[list, list]:
    """The bands (0-based) of the centre (the densest ``centre_share``) and of the tail (the
    rarest ``tail_share``), at least one each."""
    n_centre = max(1, int(round(centre_share * n_bands)))
    n_tail = max(1, int(round(tail_share * n_bands)))
    return list(range(n_centre)), list(range(n_bands - n_tail, n_bands))


def share_figure(values: np.ndarray, reference: np.ndarray, n_audit: int) -> dict:
    """A share of ``n_audit`` rows (``values``: its hits, booleans) against the rate of the
    left-out rows (``reference``, booleans): value, band and reading."""
    values = np.asarray(values, bool)
    reference = np.asarray(reference, bool)
    value = float(values.mean()) if len(values) else float("nan")
    band = rate_band(float(reference.mean()) if len(reference) else float("nan"),
                     len(reference), n_audit)
    return {"value": value, **band, "reading": reading(value, band["low"], band["high"])}


def position_figure(positions: np.ndarray, reference: np.ndarray) -> dict:
    """Mean band position (0 = the densest end, 1 = the rarest) of the synthetic rows against
    the left-out real rows': mean +- 3 sd of the difference of two means."""
    positions = np.asarray(positions, np.float64)
    reference = np.asarray(reference, np.float64)
    value = float(positions.mean()) if len(positions) else float("nan")
    if not len(reference):
        return {"value": value, "mean": None, "sd": None, "low": None, "high": None,
                "reading": None}
    mean, sd = float(reference.mean()), float(reference.std(ddof=1)) if len(reference) > 1 else 0.0
    spread = sd * np.sqrt(1 / max(len(positions), 1) + 1 / len(reference))
    low, high = mean - BAND_Z * spread, mean + BAND_Z * spread
    return {"value": value, "mean": mean, "sd": float(spread), "low": low, "high": high,
            "reading": reading(value, low, high)}


def group_bands(corners: Corners, members: np.ndarray, centre: list, tail: list) -> dict:
    """The centre mass, tail mass and band position of some synthetic rows (``members``:
    positions among the synthetic rows), each against no difference at their number."""
    band = corners.synthetic_band[members]
    band = band[band >= 0]
    ref = corners.reference_band[corners.reference_band >= 0]
    n_bands = corners.bands.n_bands
    return {
        "centre_mass": share_figure(np.isin(band, centre), np.isin(ref, centre), len(band)),
        "tail_mass": share_figure(np.isin(band, tail), np.isin(ref, tail), len(band)),
        "position": position_figure((band + 0.5) / n_bands, (ref + 0.5) / n_bands),
    }


def curve(values: np.ndarray, reference: np.ndarray, cutpoints: np.ndarray,
          n_audit: int) -> dict:
    """Shares of ``values`` (rarity scores; NaN = never) at or below each cutpoint, against the
    same shares of ``reference`` (rows left out), with the band of each point."""
    out = {"value": [], "mean": [], "low": [], "high": [], "reading": []}
    values = np.nan_to_num(np.asarray(values, np.float64), nan=np.inf)
    reference = np.nan_to_num(np.asarray(reference, np.float64), nan=np.inf)
    for cut in cutpoints:
        entry = share_figure(values <= cut, reference <= cut, n_audit)
        for key in out:
            out[key].append(entry[key])
    return out


def summarise(corners: Corners | None, real_covered: np.ndarray, n_synthetic: int, k: int,
              centre_share: float, tail_share: float) -> dict | None:
    """``summary["centre_vs_corners"]``: the bands, the centre and tail masses, the curves and
    the verdict, each figure beside its no-difference band. ``real_covered``: per real row,
    whether a synthetic row lies inside its ball (Naeem's coverage)."""
    if corners is None:
        return None
    bands = corners.bands
    n_bands, n_real = bands.n_bands, len(bands.band)
    centre, tail = centre_and_tail(n_bands, centre_share, tail_share)
    syn_band = corners.synthetic_band
    ref = corners.reference_band[corners.reference_band >= 0]
    coverage_rate = exact_coverage(n_real, n_synthetic, k)
    edges = bands.edges()
    table = []
    for b in range(n_bands):
        in_band = bands.band == b
        share = share_figure(syn_band == b, ref == b, len(syn_band))
        covered = np.asarray(real_covered, bool)[in_band]
        cov_band = rate_band(coverage_rate, np.inf, int(in_band.sum()))
        cov_value = float(covered.mean()) if len(covered) else float("nan")
        rarity = corners.rarity[syn_band == b]
        table.append({
            "band": b + 1,
            "radius_low": float(edges[b, 0]), "radius_high": float(edges[b, 1]),
            "n_real": int(in_band.sum()), "real_share": float(in_band.mean()),
            "n_synthetic": int((syn_band == b).sum()),
            "synthetic_share": share["value"],
            **{key: share[key] for key in ("mean", "sd", "low", "high", "reading")},
            "coverage": cov_value,
            "coverage_no_difference": {key: cov_band[key] for key in ("mean", "low", "high")},
            "coverage_reading": reading(cov_value, cov_band["low"], cov_band["high"]),
            "median_rarity": (float(np.nanmedian(rarity)) if np.isfinite(rarity).any()
                              else None),
        })
    figures = group_bands(corners, np.arange(len(syn_band)), centre, tail)
    inside = all(row["reading"] == EXPECTED for row in table)
    if inside:
        verdict = "even"
    elif figures["position"]["value"] < (figures["position"]["mean"] or 0.0):
        verdict = "fills the middle"
    else:
        verdict = "covers the corners"
    alphas = [(b + 1) / n_bands for b in range(n_bands)]
    real_cuts = edges[:, 1]
    syn_sorted = np.sort(corners.synthetic_radius[np.isfinite(corners.synthetic_radius)])
    syn_cuts = [float(syn_sorted[min(len(syn_sorted) - 1, int(np.ceil(a * len(syn_sorted))) - 1)])
                if len(syn_sorted) else np.nan for a in alphas]
    out = {
        "n_bands": n_bands, "k": k,
        "centre_bands": [b + 1 for b in centre], "tail_bands": [b + 1 for b in tail],
        "centre_share": len(centre) / n_bands, "tail_share": len(tail) / n_bands,
        "bands": table,
        "centre_mass": figures["centre_mass"],
        "tail_mass": figures["tail_mass"],
        "position": figures["position"],
        "bands_outside": [row["band"] for row in table if row["reading"] != EXPECTED],
        "rarity": {
            "median": (float(np.nanmedian(corners.rarity))
                       if np.isfinite(corners.rarity).any() else None),
            "median_no_difference": (float(np.nanmedian(corners.real_rarity))
                                     if np.isfinite(corners.real_rarity).any() else None),
            "outside_share": float(np.isnan(corners.rarity).mean()),
            "outside_share_no_difference": float(np.isnan(corners.real_rarity).mean()),
        },
        "alpha_precision": {"alpha": alphas,
                            **curve(corners.rarity, corners.real_rarity, real_cuts,
                                    len(corners.rarity))},
        "beta_recall": {"beta": alphas,
                        **curve(corners.real_reach, corners.synthetic_left_out,
                                np.asarray(syn_cuts, np.float64), n_real)},
        "verdict": verdict,
    }
    out["sentence"] = sentence(out)
    return out


def _span(entry: dict) -> str:
    low, high = entry.get("low"), entry.get("high")
    if low is None or high is None:
        return ""
    a, b = f"{low:.0%}", f"{high:.0%}"
    return f" (with no difference {a if a == b else f'{a}-{b}'})"


def sentence(block: dict) -> str:
    """The verdict in words, with the centre and tail masses against no difference."""
    centre, tail = block["centre_mass"], block["tail_mass"]
    words = (f"{centre['value']:.0%} of synthetic rows sit next to the densest "
             f"{block['centre_share']:.0%} of the real rows{_span(centre)}; the rarest "
             f"{block['tail_share']:.0%} of real rows get {tail['value']:.0%} of the synthetic "
             f"rows{_span(tail)}.")
    if block["verdict"] == "even":
        return (f"Centre or corners: even. {words} Every band's share is expected even with no "
                "difference: the synthetic rows spread over the real distribution as a sample "
                "of it would.")
    outside = ", ".join(str(b) for b in block["bands_outside"])
    if block["verdict"] == "fills the middle":
        return (f"Centre or corners: the synthetic data fills the middle. {words} Bands outside "
                f"their range: {outside} (1 = densest). Generate for the rare real rows (the "
                "Corners page and synth-quality next-steps export them as few-shot "
                "examples).")
    return (f"Centre or corners: the synthetic data covers the corners. {words} Bands outside "
            f"their range: {outside} (1 = densest).")


def row_columns(corners: Corners | None, n_real: int, n_synthetic: int) -> dict:
    """Per-row columns for the examples table: ``density_band`` (1 = densest tenth of the real
    rows; a synthetic row gets its nearest real row's band) and ``rarity_score``."""
    n = n_real + n_synthetic
    if corners is None:
        return {"density_band": np.full(n, -1, np.int64), "rarity_score": np.full(n, np.nan)}
    band = np.r_[corners.bands.band, corners.synthetic_band] + 1
    return {"density_band": np.where(band > 0, band, -1).astype(np.int64),
            "rarity_score": np.r_[corners.real_rarity, corners.rarity]}
