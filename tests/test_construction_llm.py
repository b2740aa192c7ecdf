"""The LLM construction path against a local server that speaks the OpenAI chat protocol."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

from neo4j import Driver

from medgraphrag.core.settings import Settings
from medgraphrag.graph.vocab.records import ConceptRecord, SkipCounter
from medgraphrag.service import MedGraph
from tests.test_construction import REFERENCE, _write

NOTE = "Pneumonia was treated with amoxicillin.\n\nThe patient never had a heart attack. Fever resolved.\n"
KNOWN = {
    "pneumonia": "Disorders",
    "amoxicillin": "Chemicals & Drugs",
    "heart attack": "Disorders",
    "fever": "Disorders",
    "myocardial infarction": "Disorders",
    "chest pain": "Disorders",
}


def _responder(body: dict) -> str:
    system, user = body["messages"][0]["content"], body["messages"][-1]["content"]
    if "segment medical documents" in system:
        return json.dumps({"same_topic": "heart attack" not in user.split("NEXT PARAGRAPH:")[1]})
    if "extract medical entities" in system:
        passage = user.split("PASSAGE:\n", 1)[1].lower()
        entities = [
            {"name": name, "type": type_, "context": "stated", "span": name}
            for name, type_ in KNOWN.items()
            if name in passage
        ]
        # A hallucinated entity the passage does not contain is dropped by the pipeline.
        entities.append({"name": "sepsis", "type": "Disorders", "context": "", "span": "sepsis"})
        return json.dumps({"entities": entities})
    if "state the relationships" in system:
        names = [
            line[2:].split(" (")[0] for line in user.split("ENTITIES:\n", 1)[1].splitlines() if line.startswith("- ")
        ]
        if "Amoxicillin" in names and "Pneumonia" in names:
            return json.dumps(
                {
                    "relations": [
                        {"source": "Amoxicillin", "target": "Pneumonia", "phrase": "treats"},
                        {"source": "Amoxicillin", "target": "Nobody", "phrase": "x"},
                    ]
                }
            )
        return json.dumps({"relations": []})
    if "Generate a structured summary" in system:
        return json.dumps({"categories": {}})
    return "unexpected prompt"


def _naming(names: Callable[[str], list[str]]) -> Callable[[dict], str]:
    """A model that names, as disorders, the `names` of each passage, keeps every paragraph in one
    chunk and states no relation."""

    def responder(body: dict) -> str:
        system = body["messages"][0]["content"]
        if "extract medical entities" in system:
            passage = body["messages"][-1]["content"].split("PASSAGE:\n", 1)[1]
            return json.dumps({"entities": [{"name": n, "type": "Disorders", "span": n} for n in names(passage)]})
        if "segment medical documents" in system:
            return json.dumps({"same_topic": True})
        if "Generate a structured summary" in system:
            return json.dumps({"categories": {}})
        return json.dumps({"relations": []})

    return responder


def _llm_settings(neo4j_settings: Settings, base_url: str, tmp_path: Path) -> Settings:
    return neo4j_settings.replace(
        llm={"base_url": base_url, "answer_model": "test-model"}, paths={"data_dir": tmp_path / "state"}
    )


def test_llm_chunks_entities_and_relations(
    neo4j_settings, driver: Driver, embedder, clinical_vocabulary: None, tmp_path: Path, openai_server
) -> None:
    server = openai_server(_responder)
    settings = neo4j_settings.replace(
        llm={"base_url": server.base_url, "answer_model": "test-model"}, paths={"data_dir": tmp_path / "state"}
    )
    with MedGraph(settings, embedder=embedder) as service:
        service.ingest([_write(tmp_path / "ref", "ref.txt", REFERENCE)], tier="reference")
        report = service.ingest([_write(tmp_path / "notes", "note.txt", NOTE)], tier="user")
        assert report.errors == [] and report.documents_written == 1
        # The model said the second paragraph changes topic: two chunks.
        assert report.chunks_written == 2
        records, _, _ = driver.execute_query(
            "MATCH (:Document {tier: 'user'})-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS]->(e:Entity) "
            "RETURN m.surface AS surface, m.status AS status, m.method AS method, e.concept_id AS concept, "
            "e.type AS type ORDER BY m.start"
        )
        mentions = {r["surface"].lower(): r for r in records}
        assert set(mentions) == {"pneumonia", "amoxicillin", "heart attack", "fever"}
        assert mentions["heart attack"]["concept"] == "C0027051"  # linked through the synonym
        assert mentions["heart attack"]["status"] == "negated"
        assert mentions["pneumonia"]["method"].startswith("llm+")
        assert mentions["amoxicillin"]["type"] == "Chemicals & Drugs"
        related, _, _ = driver.execute_query(
            "MATCH (a:Entity {tier: 'user'})-[r:RELATED]->(b:Entity) RETURN a.name AS a, b.name AS b, r.phrase AS p, "
            "r.kind AS kind"
        )
        assert [(r["a"], r["b"], r["p"], r["kind"]) for r in related] == [("Amoxicillin", "Pneumonia", "treats", "llm")]
        # The relation prompt for the note carried what the reference tier says about its entities.
        prompts = [
            b["messages"][-1]["content"]
            for b in server.requests
            if "state the relationships" in b["messages"][0]["content"]
        ]
        assert any("reference:" in p and "Amoxicillin treats community-acquired pneumonia" in p for p in prompts)
        calls = len(server.requests)
        service.delete_documents([d.doc_id for d in service.documents(tier="user")])
        service.ingest([tmp_path / "notes"], tier="user")
        assert len(server.requests) == calls  # every answer came from the content-hash cache


def test_unlinked_entities_merge_by_name_and_type_and_near_duplicates_get_same_as(
    neo4j_settings, driver: Driver, embedder, clinical_vocabulary: None, tmp_path: Path, openai_server
) -> None:
    names = ("palpitations at night", "nighttime palpitations", "Palpitation at night")
    server = openai_server(_naming(lambda passage: [n for n in names if n.lower() in passage.lower()]))
    settings = _llm_settings(neo4j_settings, server.base_url, tmp_path)
    text = "Palpitations at night for a week. Nighttime palpitations again. Palpitation at night today.\n"
    with MedGraph(settings, embedder=embedder) as service:
        report = service.ingest([_write(tmp_path, "note.txt", text)], tier="user")
    assert report.errors == []
    records, _, _ = driver.execute_query(
        "MATCH (e:Entity) RETURN e.name AS name, e.concept_id AS concept, COUNT { ()-[:MENTIONS]->(e) } AS mentions "
        "ORDER BY name"
    )
    entities = [r.data() for r in records]
    # "palpitations at night" and "Palpitation at night" normalize alike: one entity, two mentions.
    assert [(e["concept"], e["mentions"]) for e in entities] == [(None, 1), (None, 2)]
    same, _, _ = driver.execute_query("MATCH (a:Entity)-[s:SAME_AS]->(b:Entity) RETURN s.score AS score")
    assert len(same) == 1 and same[0]["score"] >= 0.92
    assert report.same_as_links == 1


def test_what_the_model_fails_is_done_offline_and_reported(
    neo4j_settings, driver: Driver, embedder, clinical_vocabulary: None, tmp_path: Path, openai_server
) -> None:
    def responder(body: dict) -> str | tuple[int, str]:
        system = body["messages"][0]["content"]
        if "extract medical entities" in system and "Fever" in body["messages"][-1]["content"]:
            return "I cannot find any entities, sorry."  # never valid JSON: that chunk is extracted offline
        if "You answer medical questions" in system or "You improve an answer" in system:
            return 503, '{"error": {"message": "overloaded"}}'
        return _responder(body) if "state the relationships" not in system else "not JSON"

    server = openai_server(responder)
    settings = neo4j_settings.replace(
        llm={"base_url": server.base_url, "answer_model": "test-model", "max_retries": 0},
        paths={"data_dir": tmp_path / "state"},
    )
    with MedGraph(settings, embedder=embedder) as service:
        report = service.ingest([_write(tmp_path / "notes", "note.txt", NOTE)], tier="user")
        # the document is complete: nothing failed for good
        assert report.errors == [] and report.documents_written == 1 and report.chunks_written == 2
        assert report.llm_fallbacks["extraction"] == 1 and report.llm_fallbacks["relations"] == 1
        assert report.llm_fallbacks["chunking"] == 0
        records, _, _ = driver.execute_query(
            "MATCH (:Document {tier: 'user'})-[:HAS_CHUNK]->(:Chunk)-[m:MENTIONS]->(:Entity) "
            "RETURN m.surface AS surface, m.method AS method ORDER BY m.start"
        )
        methods = {r["surface"].lower(): r["method"] for r in records}
        # the first chunk by the model, the second (whose extraction failed) by the offline ruler
        assert methods["pneumonia"].startswith("llm") and methods["fever"] == "ruler"
        related, _, _ = driver.execute_query("MATCH (:Entity {tier: 'user'})-[r:RELATED]->() RETURN r.kind AS kind")
        assert {r["kind"] for r in related} <= {"vocabulary", "co-occurrence"}
        answer = service.query("How was the pneumonia treated?", k=3)
    # the answer model failed: the answer is extractive and says why
    assert answer.mode == "extractive" and answer.trace.degraded and "503" in answer.trace.degraded


def test_the_models_entities_are_linked_as_the_offline_extraction_links_names(
    neo4j_settings, driver: Driver, embedder, service: MedGraph, tmp_path: Path, openai_server
) -> None:
    # Neither "CHF" nor "SJS" is a name of the vocabulary: the training names give "CHF" the id of
    # Heart Failure, and the document defines "SJS". The concept linker alone finds neither.
    service.store.vocabulary.write(
        versions={"test": "1"},
        concepts=[
            ConceptRecord("MESH:D006333", "Heart Failure", semantic_types=["MESHTREE:C14.280.434"], sources=["mesh"]),
            ConceptRecord(
                "C0036391",
                "Schwartz-Jampel syndrome",
                cui="C0036391",
                semantic_types=["T047:Disease or Syndrome"],
                sources=["test"],
            ),
        ],
        relations=[],
        skipped=SkipCounter(),
    )
    text = "Schwartz-Jampel syndrome (SJS) is rare. The SJS patient also had CHF and a flurble.\n"

    # "flurble syndrome" is not in the text: dropped.
    server = openai_server(_naming(lambda passage: ["SJS", "CHF", "flurble syndrome", "flurble"]))
    with MedGraph(_llm_settings(neo4j_settings, server.base_url, tmp_path), embedder=embedder) as llm_service:
        report = llm_service.ingest([_write(tmp_path, "note.txt", text)], tier="user")
    assert report.errors == []
    records, _, _ = driver.execute_query(
        "MATCH (:Chunk)-[m:MENTIONS]->(e:Entity) RETURN m.surface AS surface, m.method AS method, "
        "e.concept_id AS concept ORDER BY m.start"
    )
    found = [(r["surface"], r["concept"], r["method"]) for r in records]
    assert found == [
        ("SJS", "C0036391", "llm+name"),  # the short form inside its definition
        ("CHF", "MESH:D006333", "llm+name"),
        ("flurble", None, "llm"),  # nothing knows it: a mention without a concept
    ]
