from pathlib import Path

import pytest

from medgraphrag.core.errors import InvalidRequest
from medgraphrag.graph.search import ChunkHit
from medgraphrag.retrieval.retriever import Query
from medgraphrag.retrieval.search import MAX_PHRASES, ChunkSearch, lucene_query, phrase_query
from medgraphrag.service import MedGraph


def _hybrid_search(service: MedGraph, question: str, k: int) -> list[ChunkHit]:
    vector = service.embedder.embed([question])[0]
    return ChunkSearch(service.store.search, "hybrid").retrieve(Query(question=question, vector=vector, k=k)).hits


def test_lucene_query_keeps_only_content_words() -> None:
    assert lucene_query('What is the "dose" of (metformin) AND insulin~2 OR ^x: C++?') == (
        "dose OR metformin OR insulin OR 2"
    )
    assert lucene_query("what is it?") is None


def test_phrase_query_quotes_each_name_and_keeps_nothing_of_lucene_syntax() -> None:
    assert phrase_query(['Heart "attack"', "myocardial infarction (MI)", "heart attack", "the", "C++"]) == (
        '"heart attack" OR "myocardial infarction mi" OR "c"'
    )
    assert phrase_query(["", "of", "&&"]) is None
    assert phrase_query([f"name {i}" for i in range(200)]).count(" OR ") == MAX_PHRASES - 1


def test_vector_search_finds_meaning_without_shared_words(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus], tier="user")
    hits = _hybrid_search(service, "antibiotic for a lung infection", k=3)
    assert Path(hits[0].source).name == "pneumonia.txt"
    assert hits[0].vector_score is not None and hits[0].vector_score > hits[1].vector_score
    # Every hit reports the exact cosine; the vector index ranks by a quantized (1 + cosine) / 2.
    for hit in hits:
        assert hit.vector_score is not None and abs(hit.similarity - (2 * hit.vector_score - 1)) < 0.02


def test_fulltext_search_contributes_exact_terms(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus], tier="user")
    hits = _hybrid_search(service, "troponin", k=3)
    by_name = {Path(h.source).name: h for h in hits}
    assert by_name["mi.md"].fulltext_score is not None
    assert all(h.fulltext_score is None for h in hits if "Troponin" not in h.text)
    assert hits[0].source.endswith("mi.md")


def test_tier_filter(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus / "notes"], tier="user")
    service.ingest([corpus / "reference.md"], tier="reference")
    answer = service.query("first-line drug for type 2 diabetes", k=5, tier="user")
    assert answer.citations and {c.tier for c in answer.citations} == {"user"}
    answer = service.query("first-line drug for type 2 diabetes", k=5, tier="reference")
    assert [Path(c.source).name for c in answer.citations] == ["reference.md"]


def test_every_claim_quotes_its_source_span(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus / "notes"], tier="user")
    service.ingest([corpus / "reference.md"], tier="reference")
    answer = service.query("What is the first-line drug therapy for type 2 diabetes?", k=3)
    assert answer.mode == "extractive"
    assert answer.claims
    assert answer.claims[0].text == "Metformin is first-line drug therapy for type 2 diabetes."
    by_n = {c.n: c for c in answer.citations}
    for claim in answer.claims:
        assert len(claim.citations) == 1
        citation = by_n[claim.citations[0]]
        source = Path(citation.source).read_text(encoding="utf-8")
        assert source[claim.start : claim.end] == claim.text
        assert source[citation.start : citation.end] == citation.quote
        assert citation.start <= claim.start < claim.end <= citation.end
        assert f"{claim.text} [{citation.n}]" in answer.text


def test_empty_graph_answers_without_evidence(service: MedGraph) -> None:
    answer = service.query("What causes gout?")
    assert answer.citations == [] and answer.claims == []
    assert "no evidence" in answer.text


def test_blank_question_is_refused(service: MedGraph) -> None:
    with pytest.raises(InvalidRequest, match="empty"):
        service.query("   ")


def test_single_index_modes_use_only_their_index(service: MedGraph, corpus: Path) -> None:
    service.ingest([corpus], tier="user")
    fulltext = service.search("troponin", k=3, mode="fulltext")
    assert fulltext and all(h.vector_score is None and "Troponin" in h.text for h in fulltext)
    assert fulltext[0].score == pytest.approx(1.0)
    vector = service.search("antibiotic for a lung infection", k=3, mode="vector")
    assert len(vector) == 3 and all(h.fulltext_score is None for h in vector)
    assert Path(vector[0].source).name == "pneumonia.txt"
    with pytest.raises(InvalidRequest, match="mode must be one of"):
        service.search("troponin", mode="graph")
