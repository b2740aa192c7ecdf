"""KG-Rank pieces without a database: fusion, MMR, answer validation, and a local cross-encoder."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from medgraphrag.core.errors import ConfigurationError
from medgraphrag.retrieval.evidence import Citation, Trace
from medgraphrag.retrieval.llm_answer import validated_answer
from medgraphrag.retrieval.ranking import CrossEncoderReranker, mmr, reciprocal_rank_fusion


def test_fusion_rewards_agreement_and_scales_to_one() -> None:
    fused = reciprocal_rank_fusion({"vector": ["a", "b", "c"], "fulltext": ["b", "a"], "graph": ["b"]})
    assert fused["b"] == pytest.approx((1 / 62 + 1 / 61 + 1 / 61) / (3 / 61))
    assert fused["b"] > fused["a"] > fused["c"]
    # An empty ranking does not count against the scale: first in every non-empty ranking is 1.0.
    assert reciprocal_rank_fusion({"vector": ["x"], "fulltext": []})["x"] == pytest.approx(1.0)


def test_mmr_passes_over_a_near_duplicate() -> None:
    vectors = np.array([[1.0, 0.0], [0.999, 0.04], [0.0, 1.0]])
    assert mmr([1.0, 0.95, 0.9], vectors, 3, penalty=0.1) == [0, 2, 1]
    assert mmr([1.0, 0.95, 0.9], vectors, 3, penalty=0.0) == [0, 1, 2]  # no penalty: relevance order
    assert mmr([], np.zeros((0, 2)), 3) == []


def _citations(n: int) -> list[Citation]:
    return [
        Citation(n=i, kind="chunk", title="t", source="s", tier="user", quote=f"quote {i}", score=1.0)
        for i in range(1, n + 1)
    ]


def test_validation_removes_invented_numbers_and_flags_uncited_sentences() -> None:
    text = "Metformin is first-line [1, 7]. It lowers glucose. [2] Insulin is added later [9]. Exercise helps [2; 3]."
    answer = validated_answer("q", text, _citations(3), Trace(mode="u-retrieve"))
    assert answer.removed_citations == [7, 9]
    assert "[7]" not in answer.text and "[9]" not in answer.text and "[1]" in answer.text
    assert [(c.text, c.citations) for c in answer.claims] == [
        ("Metformin is first-line.", [1]),
        ("It lowers glucose.", [2]),  # the marker after the full stop belongs to this sentence
        ("Insulin is added later.", []),
        ("Exercise helps.", [2, 3]),
    ]
    assert answer.uncited == ["Insulin is added later."]


def test_a_local_cross_encoder_scores_passages(tmp_path: Path) -> None:
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    from medgraphrag.models.embeddings import resolve_model_path

    # A cross-encoder built from the bundled MiniLM (a fresh one-label head): a real local model folder.
    source = resolve_model_path("all-MiniLM-L6-v2")
    folder = tmp_path / "cross-encoder"
    AutoTokenizer.from_pretrained(source).save_pretrained(folder)
    AutoModelForSequenceClassification.from_pretrained(source, num_labels=1).save_pretrained(folder)
    reranker = CrossEncoderReranker(folder)
    passages = ["Amoxicillin treats pneumonia.", "The weather is mild.", "Pneumonia needs antibiotics."]
    scores = reranker.scores("How is pneumonia treated?", passages)
    assert len(scores) == 3 and len(set(scores)) == 3
    assert scores == reranker.scores("How is pneumonia treated?", passages)  # deterministic
    assert reranker.scores("q", []) == []
    with pytest.raises(ConfigurationError, match="MEDGRAPH_RERANK_MODEL"):
        CrossEncoderReranker(tmp_path / "missing")


def test_weighted_fusion_scales_to_one_and_a_zero_weight_leaves_a_ranking_out() -> None:
    rankings = {"vector": ["a", "b"], "fulltext": ["b", "a"], "graph": ["c"]}
    fused = reciprocal_rank_fusion(rankings, weights={"vector": 3.0, "fulltext": 1.0, "graph": 0.0})
    assert "c" not in fused
    assert fused["a"] == pytest.approx((3 / 61 + 1 / 62) / (4 / 61))
    assert fused["a"] > fused["b"]
    assert reciprocal_rank_fusion({"vector": ["x"], "fulltext": ["x"]}, weights={"vector": 2.0})["x"] == pytest.approx(
        1.0
    )
