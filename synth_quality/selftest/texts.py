"""Text the self-test plants and the planted-shapes benchmark builds cases from: sentences on
topics far from one another (``off_topic``: cooking, finance, weather, software ...) and reviews
of things other than films (``other_reviews``: restaurants, hotels, books, phones ...), written in
lowercase with spaces before punctuation. Word lists are package data (``phrases.json``);
every call is seeded and returns distinct sentences."""

from __future__ import annotations

import functools
import json
import random
from importlib import resources


@functools.lru_cache(maxsize=1)
def phrases() -> dict:
    return json.loads(resources.files(__package__).joinpath("phrases.json").read_text("utf-8"))


def off_topic_domains() -> list[str]:
    return list(phrases()["off_topic"]["domains"])


def review_things() -> list[str]:
    return list(phrases()["other_reviews"]["things"])


def off_topic(domain: str, n: int, seed: int = 0) -> list[str]:
    """``n`` distinct sentences about ``domain`` (one of :func:`off_topic_domains`)."""
    part = phrases()["off_topic"]
    words = part["domains"][domain]
    rng = random.Random(f"off-topic/{domain}/{seed}")

    def one() -> str:
        text = rng.choice(part["templates"]).format(
            s=rng.choice(words["subjects"]), v=rng.choice(words["verbs"]),
            o=rng.choice(words["objects"]))
        return text[0].upper() + text[1:]

    return _distinct(one, n, f"off-topic sentences about {domain}")


def other_review(thing: str, n: int, seed: int = 0) -> list[str]:
    """``n`` distinct reviews of ``thing`` (one of :func:`review_things`)."""
    part = phrases()["other_reviews"]
    words = part["things"][thing]
    rng = random.Random(f"review/{thing}/{seed}")

    def one() -> str:
        a, c = rng.sample(words["nouns"], 2)
        b, d = rng.sample(words["adjectives"], 2)
        return rng.choice(part["templates"]).format(a=a, b=b, c=c, d=d)

    return _distinct(one, n, f"reviews of {thing}")


def mixed(kind: str, n: int, seed: int = 0) -> list[str]:
    """``n`` sentences spread evenly over every domain (``kind="off_topic"``) or every kind of
    review (``kind="other_reviews"``), interleaved."""
    names = off_topic_domains() if kind == "off_topic" else review_things()
    make = off_topic if kind == "off_topic" else other_review
    per = -(-n // len(names))
    lists = [make(name, per, seed) for name in names]
    return [lists[i % len(names)][i // len(names)] for i in range(n)]


def _distinct(one, n: int, what: str) -> list[str]:
    seen: dict[str, None] = {}
    attempts = 0
    while len(seen) < n:
        seen.setdefault(one(), None)
        attempts += 1
        if attempts > 50 * n + 1000:
            raise ValueError(f"cannot make {n} distinct {what}")
    return list(seen)
