"""bench.calibration: a threshold carried between two similarity distributions passes the same share
of pairs, and the pairs are measured as the pipeline computes them."""

from __future__ import annotations

import numpy as np

from bench.calibration import THRESHOLDS, Texts, carry, similarities
from medgraphrag.core.settings import MINILM_THRESHOLDS
from medgraphrag.models.embeddings import Embedder


def test_a_threshold_passes_the_same_share_under_either_model() -> None:
    source = np.arange(100) / 100
    target = 0.5 + source / 2  # another model: every similarity higher, the order the same
    share, value = carry(0.25, source, target)
    assert share == 0.25
    assert 0.62 < value < 0.63
    assert np.mean(target < value) == share


def test_the_thresholds_carried_are_minilms() -> None:
    values = {t.setting: t.value("all-MiniLM-L6-v2") for t in THRESHOLDS}
    assert values["MEDGRAPH_CHUNK_TOPIC_THRESHOLD"] == MINILM_THRESHOLDS.topic
    assert values["MEDGRAPH_SAME_AS_THRESHOLD"] == MINILM_THRESHOLDS.same_as
    assert values["MEDGRAPH_TAG_MERGE_THRESHOLD"] == MINILM_THRESHOLDS.tag_merge
    assert values["MEDGRAPH_U_FALLBACK_THRESHOLD"] == MINILM_THRESHOLDS.fallback


def test_each_kind_of_pair_is_measured(embedder: Embedder) -> None:
    texts = Texts(
        documents=["Gout\\nGout is treated with colchicine.", "Asthma\\nInhaled steroids control asthma."],
        sentences=[["Gout is painful.", "It is treated with colchicine.", "Diet matters."], ["Steroids help."]],
        names=["gout", "gouty arthritis", "asthma"],
        questions=["how is gout treated"],
        judged=[[0]],
    )
    measured = similarities(embedder, texts)
    assert len(measured["topic"]) == 2  # boundaries of the first document; none in a one-sentence one
    assert len(measured["names"]) == 3 and measured["names"][0] == measured["names"][1]
    assert len(measured["documents"]) == 2 and len(measured["questions"]) == 1
    assert len(measured["sentences"]) == 3  # the sentences of the judged document
    assert all(np.all(v <= 1.0 + 1e-5) for v in measured.values())
