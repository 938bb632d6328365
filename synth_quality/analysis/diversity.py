"""Diversity of each side, per generator and per round, with intervals and no-difference bands;
MAUVE between the sides.

Measures, each on samples of ``m`` rows (the measures grow or shrink with the number of rows,
so every figure compared is taken at the same ``m``):

- **Vendi score** (Friedman & Dieng 2023): the exponential of the entropy of the eigenvalues of
  the rows' cosine-similarity matrix divided by m, on the audit's embeddings: the effective
  number of distinct rows (1 = all the same, m = all orthogonal). ``vendi_score.vendi.score_dual``
  (the authors' package) computes it from the d x d matrix X^T X / m, whose non-zero
  eigenvalues are those of the m x m one. High = diverse.
- **distinct-n** (Li et al. 2016): distinct n-grams / all n-grams over the rows (n = 1, 2).
  High = diverse.
- **compression ratio** (Shaib et al. 2024): size of the rows' text / size after gzip (the
  standard library's, level 9). High = repetitive. The ``diversity`` package computes the same
  ratio but gzips the text twice and writes temporary files, so it is not used.
- **self-BLEU** (Zhu et al. 2018): each row's BLEU-4 (smoothing method 1 of Chen & Cherry 2014)
  against all the other rows of the sample, averaged. High = repetitive. Computed by
  :func:`self_bleu`, which gives nltk's ``sentence_bleu`` numbers exactly
  (tests/analysis/test_diversity.py) in linear time: nltk rescans every reference for every
  row, 250,000 reference scans for a sample of 500 rows.

The text measures read every row lowercased and split into words and punctuation marks
(``\\w+|[^\\w\\s]``), so a tokenised side (``word , word .``) and a plain one compare alike.

**Samples, intervals and bands.** Each side (and generator, and round) draws a pool of at most
``2 m`` of its rows (seeded), then ``reference.repeats`` subsamples of m rows from the pool
without replacement (with replacement, repeated rows would look like repetition). The figure is
the mean over the subsamples; its 95% interval is that mean +- 1.96 times the subsamples' spread
scaled to an independent sample (the finite-population correction 1 / sqrt(1 - m / pool)) and to
the pool's size (sqrt(m / pool)). With no difference, the synthetic side would be a sample of
real text: its band is the same measure on m-row subsamples of the real rows, mean +- 3 of their
spread (corrected the same way, and widened by sqrt(1 + m / pool) for the real figure's own
uncertainty), and widened to every subsample's value.

**MAUVE** (Pillutla et al. 2021), on the audit's embeddings: the real and synthetic samples are
quantised together (PCA keeping 90% of the variance, then k-means into m / 10 clusters, as the
reference implementation ``mauve-text`` does; scikit-learn's k-means instead of faiss's, so no
binary library is needed), and MAUVE is the area under the divergence frontier of the two
histograms (scaling 5). The interval resamples each side's rows with replacement and the band
shuffles the side labels over both samples, each ``reference.repeats`` times, on the same
quantisation: re-clustering for each would cost a k-means per repeat (about 1.4 s each with
mauve-text on two cores), and the quantiser never sees the labels. 1 = the same distribution.
"""

from __future__ import annotations

import gzip
import re
from dataclasses import dataclass

import numpy as np

from synth_quality.analysis.reference import BAND_Z, reading
from synth_quality.progress import Stage

_TOKEN = re.compile(r"\w+|[^\w\s]")
#: n-gram orders of self-BLEU (BLEU-4, uniform weights) and of distinct-n.
BLEU_ORDER = 4
DISTINCT_ORDERS = (1, 2)
#: Smoothing method 1's epsilon (nltk's default).
BLEU_EPSILON = 0.1

MEASURES = {
    "vendi": ("Vendi score (effective number of distinct rows in {m})", "high"),
    "distinct_1": ("distinct-1 (distinct words / words)", "high"),
    "distinct_2": ("distinct-2 (distinct word pairs / word pairs)", "high"),
    "compression_ratio": ("compression ratio (text size / gzip size)", "low"),
    "self_bleu": ("self-BLEU-4 (each row against the others)", "low"),
}


def tokens(text: str) -> list[str]:
    """Lowercased words and punctuation marks."""
    return _TOKEN.findall(str(text).lower())


class NgramCounts:
    """The rows' n-gram counts (orders 1 .. BLEU_ORDER) as sparse (row, n-gram id, count)
    entries, counted once, so that every subsample's measures are sums over its rows."""

    def __init__(self, token_lists: list[list[str]]):
        self.lengths = np.array([len(t) for t in token_lists], np.int64)
        self.texts = [" ".join(t) for t in token_lists]
        self.entries = {}
        for n in range(1, BLEU_ORDER + 1):
            ids: dict = {}
            rows, cols, counts = [], [], []
            for i, toks in enumerate(token_lists):
                local: dict = {}
                for j in range(len(toks) - n + 1):
                    gram = ids.setdefault(tuple(toks[j:j + n]), len(ids))
                    local[gram] = local.get(gram, 0) + 1
                rows.extend([i] * len(local))
                cols.extend(local.keys())
                counts.extend(local.values())
            self.entries[n] = (np.asarray(rows, np.int64), np.asarray(cols, np.int64),
                               np.asarray(counts, np.int64))
        # Each row's entries, found by position: the entries are grouped by row, in order.
        self.starts = {n: np.searchsorted(e[0], np.arange(len(token_lists) + 1))
                       for n, e in self.entries.items()}

    def subset(self, n: int, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(position in ``rows``, n-gram id, count) of the entries of ``rows``."""
        _, c, v = self.entries[n]
        rows = np.asarray(rows, np.int64)
        first, sizes = self.starts[n][rows], np.diff(self.starts[n])[rows]
        owner = np.repeat(np.arange(len(rows)), sizes)
        offset = np.arange(len(owner)) - np.repeat(np.cumsum(sizes) - sizes, sizes)
        idx = np.repeat(first, sizes) + offset
        return owner, c[idx], v[idx]


def distinct_n(counts: NgramCounts, rows: np.ndarray, n: int) -> float:
    """Distinct n-grams / all n-grams over ``rows`` (n-grams within rows)."""
    _, grams, values = counts.subset(n, rows)
    total = values.sum()
    return float(len(np.unique(grams)) / total) if total else float("nan")


def compression_ratio(counts: NgramCounts, rows: np.ndarray) -> float:
    """Size of the rows' text (tokens joined by spaces, one row a line) / its gzip size."""
    raw = "\n".join(counts.texts[i] for i in rows).encode("utf-8")
    return len(raw) / len(gzip.compress(raw, compresslevel=9, mtime=0)) if raw else float("nan")


def _clipped_matches(pos: np.ndarray, grams: np.ndarray, values: np.ndarray,
                     m: int) -> np.ndarray:
    """Per row, its n-gram counts clipped by the largest count of each n-gram in any other row
    (zero for every row when the rows hold no n-gram of this order: all shorter than n)."""
    if grams.size == 0:
        return np.zeros(m)
    order = np.lexsort((pos, -values, grams))
    g, v, r = grams[order], values[order], pos[order]
    head = np.r_[True, g[1:] != g[:-1]]
    group = np.cumsum(head) - 1
    first_of = np.flatnonzero(head)
    best, owner = v[first_of], r[first_of]
    second = np.zeros(len(first_of), np.int64)
    has_second = np.r_[~head[1:], False][first_of]   # the group has a second entry
    second[has_second] = v[first_of[has_second] + 1]
    cap = np.where(r == owner[group], second[group], best[group])
    return np.bincount(r, weights=np.minimum(v, cap), minlength=m)


def self_bleu(counts: NgramCounts, rows: np.ndarray) -> float:
    """Mean over ``rows`` of each row's BLEU-4 against all the other rows as references (nltk's
    ``sentence_bleu`` with uniform weights and ``SmoothingFunction().method1``).

    A row's clipped count of an n-gram is capped by the largest count of that n-gram in any
    *other* row: the largest count overall unless the row holds it alone, then the second
    largest. So every row is scored from two numbers per n-gram, not by rescanning the others.
    """
    m = len(rows)
    if m < 2:
        return float("nan")
    log_p = np.zeros(m)
    first_zero = np.zeros(m, bool)
    lengths = counts.lengths[np.asarray(rows)]
    for n in range(1, BLEU_ORDER + 1):
        pos, grams, values = counts.subset(n, rows)
        numerator = _clipped_matches(pos, grams, values, m)
        denominator = np.maximum(1, lengths - n + 1)
        p = np.where(numerator > 0, numerator, BLEU_EPSILON) / denominator
        log_p += np.log(p) / BLEU_ORDER
        if n == 1:
            first_zero = numerator == 0
    bleu = _brevity_penalty(lengths) * np.exp(log_p)
    bleu[first_zero] = 0.0
    return float(bleu.mean())


def _brevity_penalty(lengths: np.ndarray) -> np.ndarray:
    """Per row, BLEU's brevity penalty against the closest length among the other rows (ties:
    the shorter), as nltk's ``closest_ref_length``."""
    values, multiplicity = np.unique(lengths, return_counts=True)
    pos = np.searchsorted(values, lengths)
    closest = np.empty(len(lengths), np.float64)
    for i, (c, p) in enumerate(zip(lengths, pos)):
        if multiplicity[p] > 1:
            closest[i] = c
            continue
        below = values[p - 1] if p > 0 else None
        above = values[p + 1] if p + 1 < len(values) else None
        options = [x for x in (below, above) if x is not None]
        closest[i] = min(options, key=lambda x: (abs(x - c), x))
    with np.errstate(divide="ignore", invalid="ignore"):
        bp = np.where(lengths > closest, 1.0, np.exp(1 - closest / np.maximum(lengths, 1)))
    return np.where(lengths == 0, 0.0, bp)


def vendi(X: np.ndarray) -> float:
    """The Vendi score of unit-length rows (cosine kernel), by the authors' package."""
    from vendi_score.vendi import score_dual

    # float32: 8 ms instead of 16 ms for 500 x 384 rows on one thread, the same score to 1e-6
    # relative (measured on the reference case's rows).
    return float(np.real(score_dual(np.asarray(X, np.float32), normalize=True)))


def measures_of(X: np.ndarray, counts: NgramCounts, rows: np.ndarray) -> dict:
    """Every diversity measure of one sample (``rows``: positions in ``X`` and ``counts``)."""
    out = {"vendi": vendi(X[rows])}
    for n in DISTINCT_ORDERS:
        out[f"distinct_{n}"] = distinct_n(counts, rows, n)
    out["compression_ratio"] = compression_ratio(counts, rows)
    out["self_bleu"] = self_bleu(counts, rows)
    return out


# ------------------------------------------------------------------ samples and bands

@dataclass
class Subsamples:
    """A measure's values over the subsamples of one group, with the sizes behind them."""

    values: dict      # measure -> ndarray of values, one per subsample
    m: int            # rows per subsample
    pool: int         # rows they were drawn from


def subsample(X: np.ndarray, counts: NgramCounts, members: np.ndarray, m: int, repeats: int,
              rng, names=None) -> Subsamples:
    """``repeats`` subsamples of ``m`` rows from a pool of at most ``2 m`` of ``members``."""
    pool = members if len(members) <= 2 * m else np.sort(rng.choice(members, 2 * m,
                                                                    replace=False))
    values: dict = {}
    for _ in range(repeats):
        rows = np.sort(rng.choice(pool, m, replace=False))
        for key, value in measures_of(X, counts, rows).items():
            if names is None or key in names:
                values.setdefault(key, []).append(value)
    return Subsamples({k: np.asarray(v, np.float64) for k, v in values.items()}, m, len(pool))


def _population_sd(values: np.ndarray, m: int, pool: int) -> float:
    """The spread of the measure over independent m-row samples, from subsamples of a pool
    (the finite-population correction)."""
    if len(values) < 2:
        return 0.0
    f = min(m / pool, 0.99)
    return float(np.std(values, ddof=1) / np.sqrt(1 - f))


def interval(sub: Subsamples, name: str) -> dict:
    """The figure (mean over the subsamples) and its 95% interval."""
    v = sub.values[name]
    v = v[np.isfinite(v)]
    if not len(v):
        return {"value": None, "ci": [None, None]}
    value = float(v.mean())
    half = 1.96 * _population_sd(v, sub.m, sub.pool) * np.sqrt(min(sub.m / sub.pool, 1.0))
    return {"value": value, "ci": [value - half, value + half]}


def band(reference: Subsamples, name: str) -> dict:
    """The no-difference band: the measure on m-row samples of real text."""
    v = reference.values[name]
    v = v[np.isfinite(v)]
    if not len(v):
        return {"mean": None, "sd": None, "low": None, "high": None}
    mean = float(v.mean())
    sd = _population_sd(v, reference.m, reference.pool) * np.sqrt(
        1 + min(reference.m / reference.pool, 1.0))
    return {"mean": mean, "sd": sd, "low": min(mean - BAND_Z * sd, float(v.min())),
            "high": max(mean + BAND_Z * sd, float(v.max()))}


def figure(sub: Subsamples, reference: Subsamples, name: str) -> dict:
    """Value, interval, band and reading of one measure of one group."""
    entry = {**interval(sub, name), **band(reference, name)}
    entry["reading"] = reading(entry["value"], entry["low"], entry["high"])
    return entry


# ------------------------------------------------------------------------------- MAUVE

def quantise(P: np.ndarray, Q: np.ndarray, seed: int | None,
             explained_variance: float = 0.9, n_init: int = 5,
             max_iter: int = 500) -> tuple[np.ndarray, np.ndarray, int]:
    """MAUVE's quantisation of two samples together: PCA keeping ``explained_variance``, then
    k-means into max(2, round(min(len(P), len(Q)) / 10)) clusters. Returns the cluster of each
    row of P, of each row of Q, and the number of clusters."""
    from sklearn.cluster import KMeans
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import normalize

    seed = 0 if seed is None else int(seed)
    data = normalize(np.vstack([Q, P]).astype(np.float64))
    k = max(2, int(round(min(len(P), len(Q)) / 10)))
    pca = PCA(n_components=None, random_state=seed + 1).fit(data)
    keep = int(np.argmax(np.cumsum(pca.explained_variance_ratio_) >= explained_variance)) + 1
    reduced = pca.transform(data)[:, :keep]
    labels = KMeans(k, n_init=n_init, max_iter=max_iter,
                    random_state=seed + 2).fit(reduced).labels_
    return labels[len(Q):], labels[:len(Q)], k


def _kl(p: np.ndarray, r: np.ndarray) -> float:
    nz = p > 0
    return float(np.sum(p[nz] * np.log(p[nz] / r[nz])))


def mauve_area(p: np.ndarray, q: np.ndarray, scaling: float = 5.0, points: int = 25) -> float:
    """MAUVE of two histograms, as ``mauve-text`` 0.4 computes it: the divergence frontier
    (exp(-c KL(Q | R)), exp(-c KL(P | R))) over mixtures R = w P + (1 - w) Q, and the mean of the
    areas under it taken along each axis."""
    from sklearn.metrics import auc

    p = np.asarray(p, np.float64) / np.sum(p)
    q = np.asarray(q, np.float64) / np.sum(q)
    pts = [[0.0, np.inf]]
    for w in np.linspace(1e-6, 1 - 1e-6, points):
        r = w * p + (1 - w) * q
        pts.append([_kl(q, r), _kl(p, r)])
    pts.append([np.inf, 0.0])
    x, y = np.exp(-scaling * np.asarray(pts)).T
    a, b = np.argsort(x), np.argsort(y)
    return float(0.5 * (auc(x[a], y[a]) + auc(y[b], x[b])))


def mauve_figure(X_real: np.ndarray, X_syn: np.ndarray, repeats: int, seed: int | None,
                 rng) -> dict:
    """MAUVE between the two samples, its 95% bootstrap interval and its band under shuffled
    side labels (all on one quantisation)."""
    p_lab, q_lab, k = quantise(X_real, X_syn, seed)

    def value(a, b):
        return mauve_area(np.bincount(a, minlength=k), np.bincount(b, minlength=k))

    observed = value(p_lab, q_lab)
    boot = [value(rng.choice(p_lab, len(p_lab)), rng.choice(q_lab, len(q_lab)))
            for _ in range(repeats)]
    pooled = np.r_[p_lab, q_lab]
    null = []
    for _ in range(repeats):
        shuffled = rng.permutation(pooled)
        null.append(value(shuffled[:len(p_lab)], shuffled[len(p_lab):]))
    null = np.asarray(null)
    mean, sd = float(null.mean()), float(null.std(ddof=1))
    low = max(0.0, min(mean - BAND_Z * sd, float(null.min())))
    high = min(1.0, max(mean + BAND_Z * sd, float(null.max())))
    return {"value": observed, "ci": [float(np.quantile(boot, 0.025)),
                                      float(np.quantile(boot, 0.975))],
            "mean": mean, "sd": sd, "low": low, "high": high,
            "reading": reading(observed, low, high), "rows": [len(p_lab), len(q_lab)],
            "buckets": k, "good": "high",
            "what": "MAUVE between the sides (1 = the same distribution)"}


# ---------------------------------------------------------------------------- the block

def sample_size(n_real: int, n_group: int, rows: int) -> int:
    """Rows per subsample: at most ``rows``, and at most half of each side compared (so that
    subsamples of a pool differ)."""
    return int(min(rows, n_real // 2, n_group // 2))


def diversity(X: np.ndarray, texts: list[str], n_real: int, groups: dict, rows: int,
              repeats: int, seed: int | None, progress=None) -> dict | None:
    """``summary["diversity"]``: each measure for the real side, the synthetic side and every
    group of synthetic rows in ``groups`` ({"by_generator": {name: positions among the
    synthetic rows}, "by_round": {...}}), against no difference; MAUVE between the sides.
    None when a side has fewer than 20 rows."""
    n_syn = len(X) - n_real
    m = sample_size(n_real, n_syn, rows)
    if m < 10:
        return None
    # Loaded before the thread limit, so that it applies to their thread pools too.
    import scipy.linalg  # noqa: F401
    import sklearn.cluster  # noqa: F401
    from threadpoolctl import threadpool_limits

    # One BLAS thread: a 384 x 384 eigendecomposition took 0.05 s with one thread and 0.9-2.4 s
    # with the default pool on two busy cores (measured).
    with threadpool_limits(limits=1):
        return _diversity(X, texts, n_real, groups, rows, repeats, seed, progress, m)


def _diversity(X, texts, n_real, groups, rows, repeats, seed, progress, m) -> dict:
    n_syn = len(X) - n_real
    rng = np.random.default_rng(None if seed is None else seed + 181)
    real_rows = np.arange(n_real)
    syn_rows = np.arange(n_real, len(X))
    # The rows any subsample may use: pools drawn first, counted once.
    plan = {"real": real_rows, "synthetic": syn_rows}
    for kind, named in groups.items():
        for name, members in named.items():
            plan[(kind, name)] = n_real + np.asarray(members, np.int64)
    pools = {}
    for key, members in plan.items():
        size = m if key in ("real", "synthetic") else sample_size(n_real, len(members), rows)
        if size < 10:
            continue
        pools[key] = (members if len(members) <= 2 * size
                      else np.sort(rng.choice(members, 2 * size, replace=False)), size)
    used = np.unique(np.concatenate([p for p, _ in pools.values()]))
    local = {int(r): i for i, r in enumerate(used)}
    counts = NgramCounts([tokens(texts[r]) for r in used])
    Xu = np.asarray(X[used], np.float32)
    total = len(pools) + 2
    done = 0
    if progress:
        progress(Stage.DIVERSITY, 0, total)
    subs = {}
    real_by_size = {}
    for key, (pool, size) in pools.items():
        sub = subsample(Xu, counts, np.array([local[int(r)] for r in pool]), size, repeats, rng)
        subs[key] = sub
        done += 1
        if progress:
            progress(Stage.DIVERSITY, done, total)
    real_by_size[m] = subs["real"]
    for key, (_, size) in pools.items():
        if size not in real_by_size:
            real_pool = np.array([local[int(r)] for r in pools["real"][0]])
            real_by_size[size] = subsample(Xu, counts, real_pool, size, repeats, rng)

    def block(key) -> dict:
        sub = subs[key]
        return {"rows": sub.m, **{name: figure(sub, real_by_size[sub.m], name)
                                  for name in MEASURES}}

    out = {
        "rows": m, "repeats": repeats,
        "measures": {name: {"what": what.format(m=m), "good": good}
                     for name, (what, good) in MEASURES.items()},
        "real": {"rows": m, **{name: interval(subs["real"], name) for name in MEASURES}},
        "synthetic": block("synthetic"),
    }
    for kind, named in groups.items():
        out[kind] = {name: block((kind, name)) for name in named if (kind, name) in subs}
    mauve_rows = min(2 * rows, n_real, n_syn)
    real_sample = np.sort(rng.choice(real_rows, mauve_rows, replace=False))
    syn_sample = np.sort(rng.choice(syn_rows, mauve_rows, replace=False))
    out["mauve"] = mauve_figure(X[real_sample], X[syn_sample], repeats, seed, rng)
    if progress:
        progress(Stage.DIVERSITY, total, total)
    out["sentence"] = sentence(out)
    return out


def sentence(block: dict) -> str:
    """The diversity figures of the synthetic side in words, against no difference."""
    syn, real = block["synthetic"], block["real"]
    lower = [n for n, (_, good) in MEASURES.items()
             if syn[n]["reading"] and syn[n]["reading"] != "expected even with no difference"
             and (syn[n]["reading"].startswith("lower") == (good == "high"))]
    v = syn["vendi"]
    parts = [f"Vendi score {v['value']:.1f} effective rows of {block['rows']} for the synthetic "
             f"side (real {real['vendi']['value']:.1f}; with no difference "
             f"{v['low']:.1f}-{v['high']:.1f})"]
    mauve = block.get("mauve")
    if mauve:
        parts.append(f"MAUVE between the sides {mauve['value']:.2f} (with no difference "
                     f"{mauve['low']:.2f}-{mauve['high']:.2f})")
    text = "Diversity: " + "; ".join(parts) + "."
    if lower:
        names = ", ".join(n.replace("_", "-") for n in lower)
        text += f" The synthetic rows are less diverse than real text by {names}."
    else:
        text += " No diversity measure says the synthetic rows are less diverse than real text."
    return text
