"""An audit's (or lift's) ``progress(stage, done, total)`` calls as one overall fraction and a
sentence, for a progress bar."""

from __future__ import annotations

#: Audit stages in order, with a rough share of the total time (for one overall bar).
STAGE_WEIGHTS = {"loading": 0.02, "loading model": 0.04, "embedding": 0.27, "neighbours": 0.03,
                 "compiling UMAP (once per machine)": 0.13, "projecting (map)": 0.19,
                 "detecting": 0.05, "projecting (clusters)": 0.08, "clustering": 0.02,
                 "reference (classifier)": 0.06, "reference (coverage)": 0.02,
                 "scoring": 0.03, "centre and corners": 0.02, "diversity": 0.03,
                 "second view (words)": 0.06}


STAGE_TEXT = {"loading": "Reading the data", "loading model": "Loading the embedding model",
              "embedding": "Embedding the texts",
              "neighbours": "Finding nearest neighbours",
              "compiling UMAP (once per machine)": "Compiling UMAP (once per machine)",
              "projecting (map)": "Projecting the map (UMAP)",
              "projecting (clusters)": "Projecting for clustering (UMAP)",
              "clustering": "Clustering (HDBSCAN)",
              "detecting": "Training the real-vs-synthetic detector",
              "reference (classifier)": "No-difference reference: the detector on shuffled "
                                        "labels",
              "reference (coverage)": "No-difference reference: coverage on shuffled labels",
              "scoring": "Scoring rows and clusters",
              "centre and corners": "Centre or corners: density bands and rarity scores",
              "diversity": "Diversity of each side, generator and round",
              "second view (words)": "A second, model-free view (words and characters)",
              "planting defects": "Planting known defects into a copy (self-test)"}


_ROW_STAGES = ("embedding", "neighbours", "loading")


class ProgressTracker:
    """Turn ``progress(stage, done, total)`` calls into (fraction of the whole audit, text).

    ``update`` returns the fraction in [0, 1] and a line such as
    "Embedding the texts: 640 / 1,476 rows (stage 2 of 8)". A stage without ticks
    (``total is None``) reads "... (this step gives no count; it can take a minute)".
    """

    def __init__(self):
        self.stages = list(STAGE_WEIGHTS)
        self.fraction = 0.0

    def update(self, stage: str, done: int, total: int | None) -> tuple[float, str]:
        weight = STAGE_WEIGHTS.get(stage, 0.0)
        before = sum(STAGE_WEIGHTS[s] for s in self.stages[:self.stages.index(stage)]) \
            if stage in STAGE_WEIGHTS else self.fraction
        if total:
            part = min(max(done / total, 0.0), 1.0)
        else:
            part = 1.0 if done else 0.0
        self.fraction = max(self.fraction, min(1.0, before + weight * part))
        name = STAGE_TEXT.get(stage, stage.capitalize())
        number = (f" (stage {self.stages.index(stage) + 1} of {len(self.stages)})"
                  if stage in self.stages else "")
        if total:
            unit = ("rows" if stage in _ROW_STAGES else "folds" if stage == "detecting"
                    else "shuffles" if stage == "reference (classifier)"
                    else "groups" if stage == "diversity"
                    else "steps")
            text = f"{name}: {done:,} / {total:,} {unit}{number}"
        elif done:
            text = f"{name}: done{number}"
        else:
            text = f"{name} ...{number}"
        return self.fraction, text
