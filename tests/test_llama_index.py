"""The LlamaIndex integration against a real graph: retriever nodes are the cited evidence, and the
query engine's response is medgraphrag's answer."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from llama_index.core.base.response.schema import Response
from llama_index.core.schema import MetadataMode, NodeRelationship, NodeWithScore

from medgraphrag.graph.vocab.records import SkipCounter
from medgraphrag.llama_index import MedGraphQueryEngine, MedGraphRetriever
from medgraphrag.retrieval.evidence import Citation
from medgraphrag.service import MedGraph
from tests.conftest import CLINICAL_CONCEPTS, CLINICAL_RELATIONS

QUESTION = "What is first-line therapy for type 2 diabetes, and what is metformin?"
DEFINED = {
    "C0025598": "A biguanide that lowers blood glucose.",
    "C0011860": "A diabetes marked by insulin resistance.",
    "C0032285": "An infection of the lung parenchyma, usually bacterial or viral.",
}


@pytest.fixture
def graph(service: MedGraph, corpus: Path) -> MedGraph:
    """The service over a vocabulary with definitions and the corpus in the user tier."""
    concepts = [dataclasses.replace(c, definition=DEFINED.get(c.concept_id)) for c in CLINICAL_CONCEPTS]
    service.store.vocabulary.write(
        versions={"test": "1"}, concepts=concepts, relations=CLINICAL_RELATIONS, skipped=SkipCounter()
    )
    report = service.ingest([corpus], tier="user")
    assert report.errors == [] and report.documents_written == 3
    return service


def assert_node_is_citation(scored: NodeWithScore, citation: Citation) -> None:
    node = scored.node
    assert scored.score == citation.score and node.get_content() == citation.quote
    assert node.metadata["citation"] == citation.n and node.metadata["kind"] == citation.kind
    assert node.metadata["title"] == citation.title and node.metadata["source"] == citation.source
    assert node.metadata["tier"] == citation.tier
    if citation.kind == "chunk":
        assert node.node_id == citation.chunk_id and node.metadata["doc_id"] == citation.doc_id
        assert (node.metadata["start"], node.metadata["end"]) == (citation.start, citation.end)
        assert node.metadata["similarity"] == citation.similarity
        assert node.relationships[NodeRelationship.SOURCE].node_id == citation.doc_id
    else:
        assert node.node_id == node.metadata["concept_id"] == citation.concept_id


def test_the_retriever_returns_the_cited_evidence_in_rank_order(graph: MedGraph) -> None:
    nodes = MedGraphRetriever(graph, k=3).retrieve(QUESTION)
    citations = graph.query(QUESTION, k=3).citations
    assert len(nodes) == len(citations) and [n.metadata["citation"] for n in nodes] == list(range(1, len(nodes) + 1))
    for scored, citation in zip(nodes, citations):
        assert_node_is_citation(scored, citation)

    chunks = [n for n in nodes if n.metadata["kind"] == "chunk"]
    assert 0 < len(chunks) <= 3 and all(isinstance(n.score, float) for n in nodes)
    assert "Metformin is first-line" in chunks[0].get_content()
    for scored in chunks:
        text = Path(scored.metadata["source"]).read_text(encoding="utf-8")
        assert text[scored.metadata["start"] : scored.metadata["end"]] == scored.get_content()
        # An LLM reads where the evidence comes from and its number, not the offsets that locate it.
        shown = scored.node.get_content(metadata_mode=MetadataMode.LLM)
        assert f"title: {scored.metadata['title']}" in shown and "citation: " in shown
        assert not any(line.startswith(("start:", "end:", "doc_id:", "similarity:")) for line in shown.splitlines())
        assert scored.node.get_content(metadata_mode=MetadataMode.EMBED).startswith(
            f"title: {scored.metadata['title']}\n"
        )


def test_concept_evidence_comes_back_as_concept_nodes(graph: MedGraph) -> None:
    nodes = MedGraphRetriever(graph, k=3).retrieve(QUESTION)
    concepts = {n.node_id: n for n in nodes if n.metadata["kind"] == "concept"}
    assert "C0025598" in concepts
    metformin = concepts["C0025598"]
    assert metformin.get_content() == DEFINED["C0025598"] and metformin.metadata["concept_id"] == "C0025598"
    assert metformin.metadata["tier"] == "vocabulary" and metformin.metadata["source"] == "test"
    assert "start" not in metformin.metadata and "doc_id" not in metformin.metadata
    # Concepts follow the chunks in the evidence numbering.
    kinds = [n.metadata["kind"] for n in nodes]
    assert kinds == sorted(kinds, key=lambda kind: kind == "concept")


def test_a_search_mode_retriever_returns_the_chunks_search_finds(graph: MedGraph) -> None:
    nodes = MedGraphRetriever(graph, k=2, mode="hybrid").retrieve("amoxicillin for pneumonia")
    hits = graph.search("amoxicillin for pneumonia", k=2, mode="hybrid")
    assert [n.node_id for n in nodes] == [h.chunk_id for h in hits] and len(nodes) == 2
    assert [n.metadata["citation"] for n in nodes] == [1, 2]
    assert all(n.metadata["kind"] == "chunk" for n in nodes)
    assert [n.score for n in nodes] == [round(h.score, 4) for h in hits]
    assert "amoxicillin" in nodes[0].get_content()


def test_the_query_engine_answers_with_medgraphrags_cited_answer(graph: MedGraph) -> None:
    response = MedGraphQueryEngine(medgraph=graph, k=3).query(QUESTION)
    answer = graph.query(QUESTION, k=3)
    assert isinstance(response, Response)
    assert response.response == str(response) == answer.text and "[1]" in answer.text
    assert len(response.source_nodes) == len(answer.citations)
    for scored, citation in zip(response.source_nodes, answer.citations):
        assert_node_is_citation(scored, citation)

    metadata = response.metadata or {}
    assert metadata["mode"] == "extractive"
    assert metadata["claims"] == [claim.model_dump() for claim in answer.claims] and metadata["claims"]
    assert metadata["removed_citations"] == answer.removed_citations
    assert metadata["uncited"] == answer.uncited
    trace = metadata["trace"]
    assert trace["mode"] == "u-retrieve" and trace["timings_ms"]
    expected = answer.trace.model_dump()
    # Timings differ between the two runs; everything else about the retrieval is the same.
    assert {**trace, "timings_ms": None} == {**expected, "timings_ms": None}


def test_the_query_engine_passes_its_mode_and_tier(graph: MedGraph) -> None:
    engine = MedGraphQueryEngine(medgraph=graph, k=2, tier="user", mode="vector")
    response = engine.query("Which antibiotic treats pneumonia?")
    assert response.metadata and response.metadata["trace"]["mode"] == "vector"
    assert response.source_nodes and all(n.metadata["tier"] == "user" for n in response.source_nodes)
    assert response.response == graph.query("Which antibiotic treats pneumonia?", k=2, tier="user", mode="vector").text
    empty = MedGraphQueryEngine(medgraph=graph, tier="reference").query("Which antibiotic treats pneumonia?")
    assert empty.source_nodes == []
