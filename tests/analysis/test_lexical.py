"""Issue 15: a second, model-free view recomputes the per-row scores on words and characters
and says where it disagrees with the embedding (quick: data and embedders made for the test)."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from conftest import HashingEmbedder
from synth_quality import AuditConfig, audit
from synth_quality.analysis.lexical import lexical_vectors
from synth_quality.selftest import texts


class MeaningOnlyEmbedder(HashingEmbedder):
    """Sees words only, lowercased and without punctuation: blind to surface form."""

    identity = "test-meaning-only"

    def encode_batch(self, batch):
        return super().encode_batch([" ".join(re.findall(r"[a-z]+", t.lower())) for t in batch])


def run(real, synthetic, embedder):
    config = AuditConfig.from_dict({"embed": {"use_cache": False},
                                    "cluster": {"min_cluster_size": 10}})
    return audit(real=pd.DataFrame({"text": real}), synthetic=pd.DataFrame({"text": synthetic}),
                 config=config, embedder=embedder)


@pytest.fixture(scope="module")
def reviews():
    return texts.mixed("other_reviews", 900, seed=2)


def test_lexical_vectors_are_unit_rows_and_seeded(reviews):
    a, b = lexical_vectors(reviews[:300], seed=0), lexical_vectors(reviews[:300], seed=0)
    assert a.shape == (300, 128) and np.allclose(np.linalg.norm(a, axis=1), 1, atol=1e-4)
    assert np.array_equal(a, b)


def test_a_surface_only_difference_is_seen_by_the_words_and_said_so(reviews):
    """Synthetic rows = the same kind of reviews in capitals with '!!' at the end: the embedder
    here cannot see it, the words can, and the summary says the difference is surface form."""
    real = reviews[:300]
    synthetic = [t.upper().replace(" .", " !!") for t in reviews[300:900]]
    result = run(real, synthetic, MeaningOnlyEmbedder())
    view = result.summary["second_view"]
    assert view["detection_auc"]["words"] >= 0.95
    assert view["detection_auc"]["embedding"] <= 0.7
    assert any("spelling, formatting or vocabulary" in d for d in view["disagreements"])
    assert "lexical_coverage_score" in result.examples
    assert result.examples["lexical_coverage_score"].notna().all()


def test_with_no_difference_the_views_do_not_claim_to_disagree(reviews):
    result = run(reviews[:300], reviews[300:900], HashingEmbedder())
    view = result.summary["second_view"]
    assert view["disagreements"] == []
    assert view["sentence"].endswith("The two views agree.")
