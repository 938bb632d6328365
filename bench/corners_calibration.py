"""Centre or corners, diversity and rounds against no difference: how often each reading is
wrong when nothing differs, and how often it is right when something does.

    python bench/corners_calibration.py            # the whole table (about 10 minutes on 2 cores)
    python bench/corners_calibration.py --quick    # fewer repeats

Rows are Rotten Tomatoes critic snippets the reference case does not use, embedded with the real
model (all-MiniLM-L6-v2). Each repeat draws a fresh "real" and "synthetic" side from them:

- **same distribution** at 1 : 2, 1 : 7, 8 : 1 and 1 : 1: the verdict should be "even", every
  band, curve point and diversity figure inside its no-difference range; also the spread of
  (share - reference mean) / reference sd of the bands, the centre and the tail mass (1.0 =
  what the binomial ranges assume);
- **fills the middle**: the synthetic side drawn from the densest 30% of a candidate pool
  (density measured in the pool itself), and **covers the corners**: from its rarest 30%;
- **rounds**: three or four rounds drawn alike (the collapse warning should stay silent) and
  rounds drawn from a narrower dense core each time (1.0, 0.6, 0.35, 0.2 of the pool: the
  warning should fire), with the trend test at ``corners.trend_alpha``.

The analysis is the audit's own code (neighbour graph, ``analysis.corners``,
``analysis.diversity``, ``analysis.rounds``) on the embeddings; UMAP and the classifier are not
run (the figures do not use them). Results go to bench/results/corners_calibration.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "bench"))

from planted_shapes import embed, held_out_real  # noqa: E402

from synth_quality.analysis.corners import centre_and_tail, measure, summarise  # noqa: E402
from synth_quality.analysis.diversity import MEASURES, diversity  # noqa: E402
from synth_quality.analysis.reference import EXPECTED  # noqa: E402
from synth_quality.analysis.rounds import group_figures, rounds_block  # noqa: E402
from synth_quality.config import CornersConfig  # noqa: E402
from synth_quality.graph.knn import build_neighbor_graph  # noqa: E402

K = 5


def corners_of(X: np.ndarray, n_real: int, seed: int):
    graph = build_neighbor_graph(X, n_real, 14, K)
    corners = measure(X, n_real, graph.own_radius, graph.other_nearest[n_real:], 10, K, 3000,
                      seed, (graph.knn_indices, graph.knn_similarities))
    covered = graph.other_similarity[:n_real] >= graph.own_radius[:n_real]
    return summarise(corners, covered, len(X) - n_real, K, 0.2, 0.3), corners, graph


def density_rank(X: np.ndarray) -> np.ndarray:
    """0 = the densest row of X (its 5th nearest row is nearest), 1 = the rarest."""
    graph = build_neighbor_graph(X, len(X), 14, K)
    return np.argsort(np.argsort(1 - graph.own_radius)) / len(X)


def same_distribution(X, texts, sizes, repeats):
    rows = []
    for n_real, n_syn in sizes:
        verdicts, outside, points, z, zc, zt, div_out, div_n, mauve_out = [], 0, 0, [], [], [], 0, 0, 0
        for r in range(repeats):
            rng = np.random.default_rng(1000 + r)
            idx = rng.permutation(len(X))[:n_real + n_syn]
            block, _, _ = corners_of(X[idx], n_real, r)
            verdicts.append(block["verdict"])
            outside += len(block["bands_outside"])
            points += sum(v != EXPECTED for name in ("alpha_precision", "beta_recall")
                          for v in block[name]["reading"])
            z += [(b["synthetic_share"] - b["mean"]) / b["sd"] for b in block["bands"]]
            zc.append((block["centre_mass"]["value"] - block["centre_mass"]["mean"])
                      / block["centre_mass"]["sd"])
            zt.append((block["tail_mass"]["value"] - block["tail_mass"]["mean"])
                      / block["tail_mass"]["sd"])
            div = diversity(X[idx], [texts[i] for i in idx], n_real, {}, 500, 20, r)
            div_out += sum(div["synthetic"][m]["reading"] != EXPECTED for m in MEASURES)
            div_n += len(MEASURES)
            mauve_out += div["mauve"]["reading"] != EXPECTED
        rows.append({"case": f"same distribution {n_real:,} : {n_syn:,}", "repeats": repeats,
                     "even": f"{verdicts.count('even')} / {repeats}",
                     "bands outside": f"{outside} / {10 * repeats}",
                     "curve points outside": f"{points} / {20 * repeats}",
                     "z sd (bands, centre, tail)":
                         f"{np.std(z):.2f}, {np.std(zc):.2f}, {np.std(zt):.2f}",
                     "diversity outside": f"{div_out} / {div_n}",
                     "MAUVE outside": f"{mauve_out} / {repeats}"})
    return rows


def shaped(X, repeats):
    rows = []
    for name, pick in (("fills the middle (densest 30% of the pool)", lambda r: r < 0.3),
                       ("covers the corners (rarest 30% of the pool)", lambda r: r >= 0.7)):
        verdicts = []
        for r in range(repeats):
            rng = np.random.default_rng(2000 + r)
            idx = rng.permutation(len(X))
            real, pool = idx[:1000], idx[1000:5000]
            chosen = pool[pick(density_rank(X[pool]))]
            syn = rng.choice(chosen, min(len(chosen), 900), replace=False)
            block, _, _ = corners_of(X[np.r_[real, syn]], 1000, r)
            verdicts.append(block["verdict"])
        rows.append({"case": name, "repeats": repeats,
                     **{v: f"{verdicts.count(v)} / {repeats}"
                        for v in ("fills the middle", "covers the corners", "even")}})
    return rows


def rounds(X, repeats, alpha):
    rows = []
    centre, tail = centre_and_tail(10, 0.2, 0.3)
    for name, cores in (("3 rounds drawn alike", [1.0, 1.0, 1.0]),
                        ("4 rounds drawn alike", [1.0, 1.0, 1.0, 1.0]),
                        ("4 rounds, each from a narrower dense core", [1.0, 0.6, 0.35, 0.2]),
                        ("2 rounds, the second from the densest 70%", [1.0, 0.7])):
        fired = 0
        for r in range(repeats):
            rng = np.random.default_rng(3000 + r)
            idx = rng.permutation(len(X))
            real, pool = idx[:800], idx[800:4800]
            rank = density_rank(X[pool])
            parts = [rng.choice(pool[rank < c], 400, replace=False) for c in cores]
            Xr = X[np.r_[real, np.concatenate(parts)]]
            _, corners, graph = corners_of(Xr, 800, r)
            groups = {("round", i): np.arange(400 * i, 400 * (i + 1)) for i in range(len(cores))}
            figures = group_figures(corners, Xr, 800, graph.own_radius, groups, K, centre,
                                    tail, 3000, r)
            block = rounds_block(figures, {i: None for i in range(len(cores))}, alpha)
            fired += bool(block["tails_shrinking"])
        rows.append({"case": name, "repeats": repeats, "warning raised": f"{fired} / {repeats}"})
    return rows


def table(rows: list[dict]) -> str:
    head = list(rows[0])
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    lines += ["| " + " | ".join(str(r.get(h, "")) for h in head) + " |" for r in rows]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repeats")
    args = parser.parse_args()
    repeats = 4 if args.quick else 12
    t0 = time.perf_counter()
    texts = held_out_real()
    vectors = embed(texts)
    X = np.stack([vectors[t] for t in texts]).astype(np.float32)
    print(f"embedded {len(X):,} texts in {time.perf_counter() - t0:.0f} s", flush=True)
    alpha = CornersConfig().trend_alpha
    parts = [
        "## Same distribution\n\n" + table(same_distribution(
            X, texts, [(1000, 2000), (1000, 7000), (2000, 250), (500, 500)], repeats)),
        "## Shaped synthetic sides\n\n" + table(shaped(X, repeats)),
        f"## Rounds (trend test at {alpha})\n\n" + table(rounds(X, 5 * repeats, alpha)),
    ]
    text = (f"# Centre or corners against no difference\n\n{platform.node()}, "
            f"{time.strftime('%Y-%m-%d')}, {time.perf_counter() - t0:.0f} s\n\n"
            + "\n\n".join(parts) + "\n")
    out = REPO / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "corners_calibration.md").write_text(text)
    print(text)


if __name__ == "__main__":
    main()
