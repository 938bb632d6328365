"""What changed between two audits (``synth-quality diff OLD NEW``).

:func:`diff_audits` compares two :class:`~synth_quality.result.AuditResult`: the rows (which
are in both, matched by side and text), the scores and counts (with their 95% intervals where
the audit gives them), the generators, the clusters and the uncovered regions (new, vanished,
changed status) and the surface artifacts that started or stopped separating the sides.

Clusters and regions have no identity across audits (HDBSCAN numbers them afresh), so they are
matched through their rows: among the rows both audits hold, a cluster of the old audit and
one of the new are the same when more than half of the rows either of them holds are in both
(Jaccard index above :data:`SAME_GROUP`). A group with no such partner is new, or vanished.
The diff says how far it got; whether a change is more than noise, only an interval can say,
and the AUCs are the only figures the audit gives one for.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field

import numpy as np
import pandas as pd

from synth_quality.gate.figures import (
    REFERENCE_ONLY,
    Figure,
    audit_figure,
    generator_figure,
)

#: Two groups (clusters, regions) of two audits are the same above this Jaccard index of the
#: rows both audits hold: then more than half of them are in both.
SAME_GROUP = 0.5
#: The scores and counts the diff lists, in order.
SCORES = ("detection_auc", "unrealistic", "unrepresentative", "unvaried", "unoriginal",
          "precision", "recall", "density", "coverage")
#: The shares of flagged rows (and regions) only the no-difference reference holds.
FLAGGED = tuple(REFERENCE_ONLY)
COUNTS = ("n_real", "n_synthetic", "n_outliers", "n_degenerate", "n_copies_of_real",
          "n_near_duplicate_groups", "n_real_uncovered", "n_synthetic_uncovered",
          "n_real_detectable", "n_synthetic_detectable", "n_synthetic_off_manifold",
          "n_clusters", "n_clusters_real_only", "n_clusters_synthetic_only")
GENERATOR_SCORES = ("detection_auc", "unrealistic", "unvaried", "unoriginal", "precision")


@dataclass(frozen=True)
class Change:
    """One figure in both audits."""

    name: str
    old: Figure
    new: Figure

    @property
    def delta(self) -> float | None:
        if self.old.value is None or self.new.value is None:
            return None
        return self.new.value - self.old.value

    @property
    def intervals_overlap(self) -> bool | None:
        """Whether the two 95% intervals overlap (None: the figure has none)."""
        a, b = self.old.interval, self.new.interval
        if not a or not b or None in a or None in b:
            return None
        return bool(a[0] <= b[1] and b[0] <= a[1])

    def to_dict(self) -> dict:
        return {"name": self.name, "old": self.old.value, "new": self.new.value,
                "change": self.delta, "old_interval": self.old.interval,
                "new_interval": self.new.interval, "intervals_overlap": self.intervals_overlap,
                "direction": self.new.direction, "old_no_difference": self.old.band,
                "new_no_difference": self.new.band, "old_reading": self.old.reading,
                "new_reading": self.new.reading}


@dataclass(frozen=True)
class Group:
    """A cluster or an uncovered region of one audit."""

    id: int
    size: int
    label: str          # a cluster's status, a region's side
    keywords: tuple = ()
    only_here: int = 0  # its rows the other audit does not hold

    def to_dict(self) -> dict:
        return {**asdict(self), "keywords": list(self.keywords)}


@dataclass(frozen=True)
class Moved:
    """A group with no partner, and the other audit's group that holds most of its shared
    rows (None: noise, or no group), with how many."""

    group: Group
    mostly_in: int | None
    n_there: int

    def to_dict(self) -> dict:
        return {**self.group.to_dict(), "mostly_in": self.mostly_in, "n_there": self.n_there}


@dataclass(frozen=True)
class Pair:
    old: Group
    new: Group
    jaccard: float

    def to_dict(self) -> dict:
        return {"old": self.old.to_dict(), "new": self.new.to_dict(), "jaccard": self.jaccard}


@dataclass
class GroupChanges:
    """Clusters or regions: matched pairs, the new audit's new groups, the old audit's
    vanished ones."""

    matched: list[Pair] = field(default_factory=list)
    new: list[Moved] = field(default_factory=list)
    vanished: list[Moved] = field(default_factory=list)

    @property
    def changed(self) -> list[Pair]:
        """Matched pairs whose status (clusters) or side (regions) differs."""
        return [p for p in self.matched if p.old.label != p.new.label]

    def to_dict(self) -> dict:
        return {"matched": len(self.matched), "changed": [p.to_dict() for p in self.changed],
                "new": [m.to_dict() for m in self.new],
                "vanished": [m.to_dict() for m in self.vanished]}


@dataclass
class AuditDiff:
    """Everything :func:`diff_audits` found."""

    rows: dict
    scores: list[Change]
    flagged: list[Change]
    counts: list[Change]
    generators_new: list[str]
    generators_vanished: list[str]
    generator_scores: dict[str, list[Change]]
    clusters: GroupChanges
    regions: GroupChanges
    artifacts: list[dict]

    def to_dict(self) -> dict:
        return {"rows": self.rows, "scores": [c.to_dict() for c in self.scores],
                "flagged": [c.to_dict() for c in self.flagged],
                "counts": [c.to_dict() for c in self.counts],
                "generators": {"new": self.generators_new, "vanished": self.generators_vanished,
                               "scores": {g: [c.to_dict() for c in cs]
                                          for g, cs in self.generator_scores.items()}},
                "clusters": self.clusters.to_dict(), "regions": self.regions.to_dict(),
                "artifacts": self.artifacts}


# --------------------------------------------------------------------------- rows and groups

def row_keys(examples: pd.DataFrame) -> list[tuple]:
    """Each row's identity across audits: (side, text, how many earlier rows had both)."""
    seen: Counter = Counter()
    keys = []
    for side, text in zip(examples["side"].astype(str), examples["text"].astype(str)):
        keys.append((side, text, seen[(side, text)]))
        seen[(side, text)] += 1
    return keys


def _labels(column: pd.Series) -> np.ndarray:
    """Group ids as ints, -1 for none (noise, or not in a region)."""
    return pd.to_numeric(column, errors="coerce").fillna(-1).astype(np.int64).to_numpy()


def _match(old_keys, old_labels, new_keys, new_labels, old_info, new_info) -> GroupChanges:
    """Pair the groups of two audits through the rows both hold (see the module docstring)."""
    new_at = {k: i for i, k in enumerate(new_keys)}
    pairs: Counter = Counter()            # (old group, new group) -> shared rows in both
    shared_old: Counter = Counter()       # old group -> its rows the new audit holds
    shared_new: Counter = Counter()
    for i, key in enumerate(old_keys):
        j = new_at.get(key)
        if j is None:
            continue
        a, b = int(old_labels[i]), int(new_labels[j])
        shared_old[a] += 1
        shared_new[b] += 1
        pairs[(a, b)] += 1
    scored = []
    for (a, b), both in pairs.items():
        if a < 0 or b < 0:
            continue
        scored.append((both / (shared_old[a] + shared_new[b] - both), a, b))
    out = GroupChanges()
    used_old, used_new = set(), set()
    for jaccard, a, b in sorted(scored, reverse=True):
        if jaccard <= SAME_GROUP or a in used_old or b in used_new:
            continue
        used_old.add(a)
        used_new.add(b)
        out.matched.append(Pair(old_info[a], new_info[b], round(jaccard, 3)))

    def where(group: int, old_side: bool) -> tuple[int | None, int]:
        hits = [(n, (b if old_side else a)) for (a, b), n in pairs.items()
                if (a if old_side else b) == group and (b if old_side else a) >= 0]
        if not hits:
            return None, 0
        n, other = max(hits)
        return other, n

    for a in sorted(old_info):
        if a not in used_old:
            out.vanished.append(Moved(old_info[a], *where(a, True)))
    for b in sorted(new_info):
        if b not in used_new:
            out.new.append(Moved(new_info[b], *where(b, False)))
    out.matched.sort(key=lambda p: p.new.id)
    return out


def _cluster_info(result, only_here: Counter) -> dict[int, Group]:
    out = {}
    for c in result.clusters.itertuples():
        if int(c.cluster) < 0:
            continue
        out[int(c.cluster)] = Group(int(c.cluster), int(c.size), str(c.status),
                                    tuple(list(getattr(c, "keywords", []) or [])[:6]),
                                    only_here.get(int(c.cluster), 0))
    return out


def _region_info(result, labels: np.ndarray, only_here: Counter) -> dict[int, Group]:
    listed = {r.region: r for r in result.facts.uncovered_regions}
    sides = result.examples["side"].astype(str).to_numpy()
    out = {}
    for region in sorted(set(labels[labels >= 0].tolist())):
        members = labels == region
        r = listed.get(region)
        out[region] = Group(region, int(members.sum()), str(sides[members][0]),
                            tuple(r.keywords[:6]) if r else (), only_here.get(region, 0))
    return out


def _only_here(keys, labels, other_keys) -> Counter:
    other = set(other_keys)
    return Counter(int(lab) for k, lab in zip(keys, labels) if lab >= 0 and k not in other)


def _groups(old, new, old_keys, new_keys, column: str) -> GroupChanges:
    if column not in old.examples or column not in new.examples:
        return GroupChanges()
    old_labels, new_labels = _labels(old.examples[column]), _labels(new.examples[column])
    old_only = _only_here(old_keys, old_labels, new_keys)
    new_only = _only_here(new_keys, new_labels, old_keys)
    if column == "cluster":
        old_info, new_info = _cluster_info(old, old_only), _cluster_info(new, new_only)
    else:
        old_info = _region_info(old, old_labels, old_only)
        new_info = _region_info(new, new_labels, new_only)
    return _match(old_keys, old_labels, new_keys, new_labels, old_info, new_info)


# --------------------------------------------------------------------------- the diff

def _artifact_flips(old, new) -> list[dict]:
    before = {a.feature: a for a in old.facts.artifacts}
    out = []
    for a in new.facts.artifacts:
        b = before.get(a.feature)
        if b is not None and b.separates != a.separates:
            out.append({"feature": a.feature, "description": a.description,
                        "separates": a.separates, "old_auc_alone": b.separation,
                        "new_auc_alone": a.separation})
    return out


def diff_audits(old, new) -> AuditDiff:
    """What changed from audit ``old`` to audit ``new`` (both AuditResult)."""
    a, b = old.facts, new.facts
    old_keys, new_keys = row_keys(old.examples), row_keys(new.examples)
    in_both = len(set(old_keys) & set(new_keys))
    rows = {"old": len(old_keys), "new": len(new_keys), "in_both": in_both,
            "only_old": len(old_keys) - in_both, "only_new": len(new_keys) - in_both}
    scores = [Change(n, audit_figure(a, n), audit_figure(b, n)) for n in SCORES]
    flagged = [Change(n, audit_figure(a, n), audit_figure(b, n)) for n in FLAGGED]
    counts = [Change(n, audit_figure(a, n), audit_figure(b, n)) for n in COUNTS]
    gens_old, gens_new = list(a.by_generator), list(b.by_generator)
    generator_scores = {g: [Change(n, generator_figure(a, n, g), generator_figure(b, n, g))
                            for n in GENERATOR_SCORES]
                        for g in gens_new if g in a.by_generator}
    return AuditDiff(rows, scores, flagged, counts, [g for g in gens_new if g not in gens_old],
                     [g for g in gens_old if g not in gens_new], generator_scores,
                     _groups(old, new, old_keys, new_keys, "cluster"),
                     _groups(old, new, old_keys, new_keys, "uncovered_region"),
                     _artifact_flips(old, new))


# --------------------------------------------------------------------------- in words

def _figure_text(fig: Figure) -> str:
    text = fig.text()
    if fig.interval and None not in fig.interval:
        text += f" [{fig.interval[0]:.3f}-{fig.interval[1]:.3f}]"
    return text


def _change_line(c: Change, width: int) -> str:
    delta = c.delta
    if delta is None:
        sign = ""
    elif c.new.unit == "count":
        sign = f"{delta:+,.0f}"
    else:   # a change too small for three decimals still shows its sign and size
        sign = f"{delta:+.3f}" if abs(delta) >= 0.0005 else f"{delta:+.1e}"
    notes = [c.new.direction] if c.new.direction and delta else []
    overlap = c.intervals_overlap
    if overlap is not None and delta:
        notes.append("the 95% intervals overlap" if overlap
                     else "the 95% intervals do not overlap")
    if c.new.band is not None:
        reading = f": {c.new.reading}" if c.new.reading else ""
        was = (f" (was: {c.old.reading})" if c.old.reading and c.new.reading
               and c.old.reading != c.new.reading else "")
        notes.append(f"now {c.new.band_text()}{reading}{was}")
    tail = f"  {sign}" if sign and delta else "  (same)" if delta == 0 else ""
    return (f"  {c.name:<{width}} {_figure_text(c.old)} -> {_figure_text(c.new)}{tail}"
            + (f"  ({'; '.join(notes)})" if notes else ""))


def _group_text(g: Group, what: str) -> str:
    words = f": {', '.join(g.keywords)}" if g.keywords else ""
    new_rows = f", {g.only_here:,} of them not in the other audit" if g.only_here else ""
    return f"{what} {g.id} ({g.label}, {g.size:,} rows{new_rows}){words}"


def _group_lines(changes: GroupChanges, what: str, limit: int) -> list[str]:
    out = []
    for kind, items in (("new", changes.new), ("vanished", changes.vanished)):
        for m in items[:limit]:
            if m.mostly_in is None:
                there = ""
            elif kind == "vanished":
                there = f"; most of its rows are now in {what} {m.mostly_in} ({m.n_there:,})"
            else:
                there = f"; most of its earlier rows were in {what} {m.mostly_in} ({m.n_there:,})"
            out.append(f"  {kind}: {_group_text(m.group, what)}{there}")
        if len(items) > limit:
            out.append(f"  ... and {len(items) - limit} more {kind}")
    for p in changes.changed[:limit]:
        out.append(f"  changed: {what} {p.old.id} -> {p.new.id}: {p.old.label} -> "
                   f"{p.new.label} ({p.old.size:,} -> {p.new.size:,} rows)")
    return out


def render(d: AuditDiff, old_name: str = "OLD", new_name: str = "NEW",
           limit: int = 10) -> str:
    """The diff in words, as ``synth-quality diff`` prints it."""
    r = d.rows
    lines = [f"{old_name}: {r['old']:,} rows; {new_name}: {r['new']:,} rows "
             f"({r['in_both']:,} in both, {r['only_old']:,} only in {old_name}, "
             f"{r['only_new']:,} only in {new_name}).", "", "Scores (old -> new; 95% interval "
             "in brackets where the audit gives one)"]
    width = max(len(c.name) for c in d.scores + d.flagged + d.counts)
    lines += [_change_line(c, width) for c in d.scores]
    lines += ["", "Flagged rows (shares) and one-sided regions"]
    lines += [_change_line(c, width) for c in d.flagged]
    lines += ["", "Counts"] + [_change_line(c, width) for c in d.counts]
    if d.generators_new or d.generators_vanished or d.generator_scores:
        lines += ["", "Generators"]
        if d.generators_new:
            lines.append(f"  new: {', '.join(d.generators_new)}")
        if d.generators_vanished:
            lines.append(f"  vanished: {', '.join(d.generators_vanished)}")
        for g, changes in d.generator_scores.items():
            lines.append(f"  {g}:")
            lines += ["  " + _change_line(c, width) for c in changes]
    c = d.clusters
    lines += ["", f"Clusters: {len(c.matched):,} in both, {len(c.new):,} new, "
                  f"{len(c.vanished):,} vanished, {len(c.changed):,} changed status"]
    lines += _group_lines(c, "cluster", limit)
    g = d.regions
    lines += ["", f"One-sided regions (groups of similar rows with significantly few of the "
                  f"other side): {len(g.matched):,} in both, {len(g.new):,} new, "
                  f"{len(g.vanished):,} vanished"]
    lines += _group_lines(g, "region", limit)
    if d.artifacts:
        lines += ["", "Surface artifacts"]
        for a in d.artifacts:
            now = "now separates" if a["separates"] else "no longer separates"
            lines.append(f"  {a['description']} {now} the sides (AUC alone "
                         f"{a['old_auc_alone']:.2f} -> {a['new_auc_alone']:.2f})")
    return "\n".join(lines)
