"""The cost of long texts: windows against truncation, on documents built for it.

    python bench/long_texts.py              # 300 and 900 documents of about 350 words
    python bench/long_texts.py --sizes 300  # one size

Each case audits real and synthetic documents about three topics (cooking, gardening,
astronomy; built by tests/analysis/test_window_scores.py, so nothing is downloaded), a quarter of the
synthetic ones turning to finance after about 290 words, past all-MiniLM-L6-v2's 254 tokens of
text. It audits them twice with a cold embedding cache: with windows (the default) and with
``embed.window_tokens = 0`` (the model truncates), and prints, per run: seconds in all and in
embedding, windows embedded, and the AUROC of "this document drifts" for the row's coverage
and outlier scores. Results are appended to bench/results/long_texts.md.
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests"), str(REPO / "tests" / "analysis")]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[300, 900],
                        help="documents per case (a third real, two thirds synthetic)")
    args = parser.parse_args()
    from test_window_scores import aurocs, documents

    from synth_quality import AuditConfig, audit

    lines = [f"\n## {time.strftime('%Y-%m-%d %H:%M')} on {platform.node()} "
             f"({platform.processor() or platform.machine()})\n",
             "| documents | mode | total s | embedding s | windows | coverage AUROC | "
             "outlier AUROC |", "|---|---|---|---|---|---|---|"]
    for size in args.sizes:
        n_real, n_syn = size // 3, size - size // 3
        real, syn, drift = documents(n_real, n_syn, n_syn // 4, 350, 290, seed=size)
        for mode, window in (("windows", None), ("truncated", 0)):
            with tempfile.TemporaryDirectory() as cache:
                config = AuditConfig.from_dict({"embed": {"cache_dir": cache,
                                                          "window_tokens": window},
                                                "cluster": {"min_cluster_size": 10}})
                t0 = time.perf_counter()
                result = audit(real=real, synthetic=syn, config=config)
                total = time.perf_counter() - t0
            found = aurocs(result, drift)
            info = result.summary["embedding"]
            windows = info.get("long_texts", {}).get("n_windows", size)
            line = (f"| {size} | {mode} | {total:.1f} | {result.summary['timings']['embedding']:.1f}"
                    f" | {windows} | {found['coverage']:.3f} | {found['outlier']:.3f} |")
            print(line, flush=True)
            lines.append(line)
    out = REPO / "bench" / "results" / "long_texts.md"
    out.parent.mkdir(exist_ok=True)
    with out.open("a", encoding="utf-8") as f:
        f.write("\n".join(lines) + "\n")
    print(f"appended to {out}")


if __name__ == "__main__":
    main()
