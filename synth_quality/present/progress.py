"""An audit's (or lift's) ``progress(stage, done, total)`` calls as one overall fraction and a
sentence, for a progress bar."""

from __future__ import annotations

from synth_quality.progress import Stage

# Rough shares of a cold audit's time; reference: 2.2 s on the built-in sample against 7.5 s
# for the map projection (0.19). Normalised to sum to 1.
_WEIGHTS = {Stage.LOADING: 0.02, Stage.LOADING_MODEL: 0.04, Stage.EMBEDDING: 0.27,
            Stage.NEIGHBOURS: 0.03, Stage.COMPILING: 0.13, Stage.PROJECTING_MAP: 0.19,
            Stage.DETECTING: 0.05, Stage.PROJECTING_CLUSTERS: 0.08, Stage.CHECKING_LABELS: 0.01,
            Stage.CLUSTERING: 0.02,
            Stage.REFERENCE_CLASSIFIER: 0.06, Stage.REFERENCE_COVERAGE: 0.02,
            Stage.SCORING: 0.03, Stage.CORNERS: 0.02, Stage.DIVERSITY: 0.03,
            Stage.REFERENCE: 0.05, Stage.SECOND_VIEW: 0.06}
#: Audit stages in order, with their share of the total time (for one overall bar; sums to 1).
STAGE_WEIGHTS = {stage: w / sum(_WEIGHTS.values()) for stage, w in _WEIGHTS.items()}

#: What the dashboard says while a stage runs.
STAGE_TEXT = {Stage.LOADING: "Reading the data",
              Stage.LOADING_MODEL: "Loading the embedding model",
              Stage.EMBEDDING: "Embedding the texts",
              Stage.NEIGHBOURS: "Finding nearest neighbours",
              Stage.COMPILING: "Compiling UMAP (once per machine)",
              Stage.PROJECTING_MAP: "Projecting the map (UMAP)",
              Stage.PROJECTING_CLUSTERS: "Projecting for clustering (UMAP)",
              Stage.CLUSTERING: "Clustering (HDBSCAN)",
              Stage.DETECTING: "Training the real-vs-synthetic detector",
              Stage.CHECKING_LABELS: "Checking the task labels",
              Stage.REFERENCE_CLASSIFIER: "No-difference reference: the detector on shuffled "
                                          "labels",
              Stage.REFERENCE_COVERAGE: "No-difference reference: coverage on shuffled labels",
              Stage.SCORING: "Scoring rows and clusters",
              Stage.CORNERS: "Centre or corners: density bands and rarity scores",
              Stage.DIVERSITY: "Diversity of each side, generator and round",
              Stage.REFERENCE: "No-difference reference: every figure's band",
              Stage.SECOND_VIEW: "A second, model-free view (words and characters)",
              Stage.PLANTING: "Planting known defects into a copy (self-test)",
              Stage.LEAKAGE: "Looking for evaluation rows that copy a training row",
              Stage.RANKING: "Ranking the synthetic rows by each audit signal",
              Stage.LIFT: "Training the classifiers"}

#: The command line's short names (a progress bar's label, "... done" lines).
STAGE_LABEL = {Stage.LOADING: "loading", Stage.LOADING_MODEL: "loading model",
               Stage.EMBEDDING: "embedding", Stage.NEIGHBOURS: "neighbours",
               Stage.COMPILING: "compiling UMAP (once per machine)",
               Stage.PROJECTING_MAP: "projecting (map)", Stage.DETECTING: "detecting",
               Stage.PROJECTING_CLUSTERS: "projecting (clusters)",
               Stage.CLUSTERING: "clustering", Stage.CHECKING_LABELS: "checking labels",
               Stage.REFERENCE_CLASSIFIER: "reference (classifier)",
               Stage.REFERENCE_COVERAGE: "reference (coverage)", Stage.SCORING: "scoring",
               Stage.CORNERS: "centre and corners", Stage.DIVERSITY: "diversity",
               Stage.REFERENCE: "reference", Stage.SECOND_VIEW: "second view (words)",
               Stage.PLANTING: "planting defects", Stage.LEAKAGE: "leakage guard",
               Stage.RANKING: "ranking", Stage.LIFT: "lift"}

#: The unit a stage's ticks count.
STAGE_UNIT = {Stage.LOADING: "rows", Stage.EMBEDDING: "rows", Stage.NEIGHBOURS: "rows",
              Stage.DETECTING: "folds", Stage.CHECKING_LABELS: "model fits",
              Stage.REFERENCE_CLASSIFIER: "shuffles", Stage.DIVERSITY: "groups",
              Stage.LIFT: "model fits"}


def stage_label(stage: str) -> str:
    """The command line's name of a stage (the stage itself when it has none).

    A field's own audit reports ``"<field>: <stage>"``; that reads "<field>: <its label>".
    """
    field, _, inner = stage.rpartition(": ")
    if field:
        return f"{field}: {STAGE_LABEL.get(inner, inner)}"
    return STAGE_LABEL.get(stage, stage)


def stage_text(stage: str) -> str:
    """The dashboard's sentence for a stage (with a field's name in front for a field's audit)."""
    field, _, inner = stage.rpartition(": ")
    if field:
        return f"{field}: {STAGE_TEXT.get(inner, inner.capitalize())}"
    return STAGE_TEXT.get(stage, stage.capitalize())


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
        name = stage_text(stage)
        number = (f" (stage {self.stages.index(stage) + 1} of {len(self.stages)})"
                  if stage in self.stages else "")
        if total:
            unit = STAGE_UNIT.get(stage.rpartition(": ")[2], "steps")
            text = f"{name}: {done:,} / {total:,} {unit}{number}"
        elif done:
            text = f"{name}: done{number}"
        else:
            text = f"{name} ...{number}"
        return self.fraction, text
