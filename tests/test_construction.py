"""The construction pipeline end to end on a real Neo4j: meta-graphs, entities, negation, concept
and tier links, re-ingest, update and delete."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from neo4j import Driver

from medgraphrag.core.settings import Settings
from medgraphrag.models.embeddings import Embedder
from medgraphrag.service import MedGraph

NOTE = (
    "Chest pain since this morning. The ECG suggests myocardial infarction (MI).\n\n"
    "No evidence of pneumonia. Possible fever overnight. MI confirmed by troponin.\n"
)
REFERENCE = (
    "Myocardial infarction presents with chest pain and raised troponin.\n\n"
    "Amoxicillin treats community-acquired pneumonia in adults.\n"
)


def _write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


def _mentions(driver: Driver) -> list[dict]:
    records, _, _ = driver.execute_query(
        "MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS]->(e:Entity) "
        "RETURN d.source AS source, m.surface AS surface, m.status AS status, m.start AS start, m.end AS end, "
        "m.method AS method, e.name AS entity, e.tier AS tier, e.concept_id AS concept ORDER BY source, start"
    )
    return [r.data() for r in records]


def _graph_counts(driver: Driver) -> dict[str, int]:
    records, _, _ = driver.execute_query(
        "MATCH (n) WHERE NOT n:Concept AND NOT n:VocabularySource AND NOT n:TagTree AND NOT n:Marker "
        "WITH labels(n)[0] AS label, count(*) AS n "
        "RETURN label, n"
    )
    counts = {r["label"]: r["n"] for r in records}
    rels, _, _ = driver.execute_query(
        "MATCH ()-[r]->() WHERE NOT type(r) IN ['IS_A', 'CONCEPT_REL'] RETURN type(r) AS type, count(*) AS n"
    )
    counts.update({r["type"]: r["n"] for r in rels})
    return counts


def test_entities_negation_abbreviations_and_concept_links(
    service: MedGraph, driver: Driver, clinical_vocabulary: None, tmp_path: Path
) -> None:
    note = _write(tmp_path, "note.txt", NOTE)
    report = service.ingest([note], tier="user")
    assert report.errors == [] and report.documents_written == 1
    mentions = _mentions(driver)
    by_surface = {(m["surface"], m["start"]): m for m in mentions}
    for m in mentions:
        assert NOTE[m["start"] : m["end"]] == m["surface"]
    statuses = {m["surface"].lower(): m["status"] for m in mentions if m["surface"] != "MI"}
    assert statuses["pneumonia"] == "negated"
    assert statuses["fever"] == "uncertain"
    assert statuses["chest pain"] == "affirmed"
    later_mi = by_surface[("MI", NOTE.rindex("MI confirmed"))]
    assert later_mi["concept"] == "C0027051" and later_mi["method"] == "abbreviation"
    assert report.mentions_negated == 1 and report.mentions_uncertain >= 1
    records, _, _ = driver.execute_query(
        "MATCH (e:Entity)-[:DEFINITION_OF]->(c:Concept) RETURN e.name AS name, e.type AS type, c.concept_id AS id"
    )
    links = {r["id"]: r for r in records}
    assert links["C0027051"]["type"] == "Disorders"
    assert links["C0008031"]["name"] == "Chest pain"
    # One entity per concept per tier, however often it is mentioned.
    count, _, _ = driver.execute_query("MATCH (e:Entity {concept_id: 'C0027051'}) RETURN count(e) AS n")
    assert count[0]["n"] == 1
    # One meta-graph per chunk, holding the entities that chunk mentions.
    graphs, _, _ = driver.execute_query(
        "MATCH (c:Chunk) OPTIONAL MATCH (g:MetaGraph)-[:FROM_CHUNK]->(c) RETURN c.chunk_id AS id, count(g) AS n"
    )
    assert graphs and all(r["n"] == 1 for r in graphs)
    member, _, _ = driver.execute_query(
        "MATCH (c:Chunk)-[:MENTIONS]->(e:Entity) WHERE NOT (e)-[:IN_GRAPH]->(:MetaGraph)-[:FROM_CHUNK]->(c) "
        "RETURN count(*) AS n"
    )
    assert member[0]["n"] == 0


def test_relations_use_the_vocabulary_relation_and_skip_negated_mentions(
    service: MedGraph, driver: Driver, clinical_vocabulary: None, tmp_path: Path
) -> None:
    service.ingest([_write(tmp_path, "ref.txt", REFERENCE)], tier="reference")
    records, _, _ = driver.execute_query(
        "MATCH (a:Entity)-[r:RELATED]->(b:Entity) RETURN a.name AS a, b.name AS b, r.phrase AS phrase, r.kind AS kind"
    )
    relations = {(r["a"], r["b"]): r for r in records}
    assert relations[("Amoxicillin", "Pneumonia")]["phrase"] == "may treat"
    assert relations[("Amoxicillin", "Pneumonia")]["kind"] == "vocabulary"
    assert relations[("Myocardial infarction", "Chest pain")]["phrase"] == "co-occurs with"
    service.ingest([_write(tmp_path, "neg.txt", "No pneumonia and no fever; cough persists.\n")], tier="user")
    negated, _, _ = driver.execute_query(
        "MATCH (a:Entity {tier: 'user'})-[r:RELATED]-(:Entity {tier: 'user'}) RETURN count(r) AS n"
    )
    assert negated[0]["n"] == 0


def test_reference_of_links_a_note_to_reference_text_on_the_same_condition(
    service: MedGraph, driver: Driver, clinical_vocabulary: None, tmp_path: Path
) -> None:
    service.ingest([_write(tmp_path / "ref", "mi.txt", REFERENCE)], tier="reference")
    report = service.ingest([_write(tmp_path / "notes", "note.txt", NOTE)], tier="user")
    assert report.reference_links >= 2
    records, _, _ = driver.execute_query(
        "MATCH (u:Entity)-[l:REFERENCE_OF]->(r:Entity) RETURN u.tier AS ut, r.tier AS rt, u.concept_id AS concept, "
        "l.method AS method, l.score AS score"
    )
    concepts = {r["concept"] for r in records if r["method"] == "concept"}
    assert {"C0027051", "C0008031"} <= concepts
    assert all((r["ut"], r["rt"]) == ("user", "reference") for r in records)
    # The detail view shows the link from the note's side.
    doc_id = next(d.doc_id for d in service.documents(tier="user"))
    detail = service.document(doc_id)
    mi = next(e for e in detail.entities if e.concept_id == "C0027051")
    assert mi.references and mi.references[0].tier == "reference"


def test_reference_ingested_after_the_note_links_back(
    service: MedGraph, driver: Driver, clinical_vocabulary: None, tmp_path: Path
) -> None:
    service.ingest([_write(tmp_path / "notes", "note.txt", NOTE)], tier="user")
    service.ingest([_write(tmp_path / "ref", "mi.txt", REFERENCE)], tier="reference")
    records, _, _ = driver.execute_query(
        "MATCH (:Entity {tier: 'user', concept_id: 'C0027051'})-[:REFERENCE_OF]->(r:Entity) RETURN r.tier AS tier"
    )
    assert [r["tier"] for r in records] == ["reference"]


def test_reference_of_follows_the_hierarchy_where_no_concept_is_shared(
    service: MedGraph, driver: Driver, clinical_vocabulary: None, tmp_path: Path
) -> None:
    service.ingest([_write(tmp_path / "ref", "mi.txt", REFERENCE)], tier="reference")
    service.ingest([_write(tmp_path / "notes", "ami.txt", "Acute myocardial infarction at 06:00.\n")], tier="user")
    records, _, _ = driver.execute_query(
        "MATCH (u:Entity {tier: 'user'})-[l:REFERENCE_OF]->(r:Entity) "
        "RETURN u.concept_id AS user, r.concept_id AS reference, l.method AS method"
    )
    assert [r.data() for r in records] == [{"user": "C0155626", "reference": "C0027051", "method": "hierarchy"}]


def test_reingest_is_a_no_op_and_update_replaces_mentions(
    service: MedGraph, driver: Driver, clinical_vocabulary: None, tmp_path: Path
) -> None:
    note = _write(tmp_path, "note.txt", NOTE)
    service.ingest([note], tier="user")
    before = _graph_counts(driver)
    report = service.ingest([note], tier="user")
    assert (report.documents_written, report.documents_unchanged) == (0, 1)
    assert _graph_counts(driver) == before
    note.write_text("Cough and fever for three days; amoxicillin started.\n", encoding="utf-8")
    report = service.ingest([note], tier="user")
    assert report.documents_written == 1
    surfaces = {m["surface"].lower() for m in _mentions(driver)}
    assert surfaces == {"cough", "fever", "amoxicillin"}
    orphans, _, _ = driver.execute_query("MATCH (e:Entity) WHERE NOT ()-[:MENTIONS]->(e) RETURN count(e) AS n")
    assert orphans[0]["n"] == 0
    stale, _, _ = driver.execute_query(
        "MATCH ()-[r:RELATED]->() WHERE NOT EXISTS { MATCH (g:MetaGraph {graph_id: r.graph_id}) } RETURN count(r) AS n"
    )
    assert stale[0]["n"] == 0


def test_delete_removes_only_what_the_document_supported(
    service: MedGraph, driver: Driver, clinical_vocabulary: None, tmp_path: Path
) -> None:
    first = _write(tmp_path, "a.txt", "Pneumonia with cough and fever.\n")
    second = _write(tmp_path, "b.txt", "Pneumonia treated with amoxicillin.\n")
    service.ingest([first, second], tier="reference")
    ids = {Path(d.source).name: d.doc_id for d in service.documents()}
    deletion = service.delete_documents([ids["a.txt"]])
    assert deletion.documents == 1
    assert deletion.entities_removed == 2 and deletion.entities_kept == 1  # cough, fever gone; pneumonia kept
    names, _, _ = driver.execute_query("MATCH (e:Entity) RETURN e.name AS name ORDER BY name")
    assert [r["name"] for r in names] == ["Amoxicillin", "Pneumonia"]
    pneumonia, _, _ = driver.execute_query(
        "MATCH (c:Chunk)-[:MENTIONS]->(:Entity {name: 'Pneumonia'}) RETURN count(c) AS n"
    )
    assert pneumonia[0]["n"] == 1
    for query in (
        "MATCH (c:Chunk) WHERE NOT (:Document)-[:HAS_CHUNK]->(c) RETURN count(c) AS n",
        "MATCH (g:MetaGraph) WHERE NOT (g)-[:FROM_CHUNK]->(:Chunk) RETURN count(g) AS n",
        "MATCH (e:Entity) WHERE NOT ()-[:MENTIONS]->(e) RETURN count(e) AS n",
        "MATCH ()-[r:RELATED]->() WHERE NOT EXISTS { MATCH (:MetaGraph {graph_id: r.graph_id}) } RETURN count(r) AS n",
    ):
        records, _, _ = driver.execute_query(query)
        assert records[0]["n"] == 0, query
    assert service.delete_documents([ids["a.txt"]]).documents == 0
    service.delete_documents([ids["b.txt"]])
    assert _graph_counts(driver) == {}


def test_without_a_vocabulary_only_the_recognizer_finds_entities_and_they_have_no_concept(
    service: MedGraph, driver: Driver, embedder: Embedder, neo4j_settings: Settings, tmp_path: Path
) -> None:
    report = service.ingest([_write(tmp_path, "note.txt", NOTE)], tier="user")
    assert report.chunks_written >= 1 and report.mentions >= 1
    records, _, _ = driver.execute_query(
        "MATCH (e:Entity) RETURN e.type AS type, EXISTS { (e)-[:DEFINITION_OF]->() } AS linked"
    )
    assert records and {r["type"] for r in records} <= {"Disorders", "Chemicals & Drugs"}
    assert not any(r["linked"] for r in records)
    with MedGraph(neo4j_settings.replace(ingest={"recognizer": False}), embedder=embedder) as plain:
        report = plain.ingest([_write(tmp_path, "other.txt", NOTE.replace("morning", "evening"))], tier="user")
    assert report.chunks_written >= 1 and report.entities == 0 and report.mentions == 0


def test_documents_cli_and_api_list_show_and_delete(
    service: MedGraph, driver: Driver, clinical_vocabulary: None, tmp_path: Path, neo4j_settings, monkeypatch
) -> None:
    from fastapi.testclient import TestClient
    from typer.testing import CliRunner

    from medgraphrag.api import create_app
    from medgraphrag.cli import app

    service.ingest([_write(tmp_path / "ref", "mi.txt", REFERENCE)], tier="reference")
    service.ingest([_write(tmp_path / "notes", "note.txt", NOTE)], tier="user")
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.neo4j.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j.password.get_secret_value())
    runner = CliRunner()
    listing = runner.invoke(app, ["documents", "list", "--tier", "user"])
    assert listing.exit_code == 0 and "note.txt" in listing.output and "mi.txt" not in listing.output
    note_id = next(d.doc_id for d in service.documents(tier="user"))
    shown = runner.invoke(app, ["documents", "show", note_id])
    assert shown.exit_code == 0
    text = " ".join(shown.output.split())  # the table wraps cells at the terminal's width
    assert "Myocardial infarction" in text and "C0027051" in text
    assert "reference, concept 1.00" in text and "1 (1 negated)" in text
    assert runner.invoke(app, ["documents", "show", "doc_missing"]).exit_code == 1
    by_path = runner.invoke(app, ["documents", "show", str(tmp_path / "notes" / "note.txt")])
    assert by_path.exit_code == 0 and note_id in by_path.output
    with TestClient(create_app(service=service)) as client:
        assert [d["doc_id"] for d in client.get("/v1/documents", params={"tier": "user"}).json()] == [note_id]
        detail = client.get(f"/v1/documents/{note_id}").json()
        assert any(e["concept_id"] == "C0027051" and e["negated"] == 0 for e in detail["entities"])
        assert client.get("/v1/documents/doc_missing").status_code == 404
        assert client.delete(f"/v1/documents/{note_id}").json()["documents"] == 1
        assert client.delete(f"/v1/documents/{note_id}").status_code == 404
    deleted = runner.invoke(app, ["documents", "delete", "doc_missing"])
    assert deleted.exit_code == 1 and "name no stored document" in deleted.output
    records, _, _ = driver.execute_query("MATCH (e:Entity {tier: 'user'}) RETURN count(e) AS n")
    assert records[0]["n"] == 0


def test_pdf_chunks_carry_their_pages(service: MedGraph, driver: Driver, tmp_path: Path) -> None:
    from tests.test_loaders import _pdf

    pages = [f"Page {n} says: " + " ".join(f"word{n}x{i}" for i in range(40)) for n in (1, 2, 3)]
    path = tmp_path / "paper.pdf"
    path.write_bytes(_pdf(pages))
    with MedGraph(service.settings.replace(ingest={"chunk_tokens": 50}), embedder=service.embedder) as small:
        report = small.ingest([path], tier="reference")
    assert report.errors == [] and report.chunks_written >= 3
    records, _, _ = driver.execute_query(
        "MATCH (:Document)-[r:HAS_CHUNK]->(c:Chunk) RETURN c.text AS text, c.page_start AS first, "
        "c.page_end AS last ORDER BY r.ord"
    )
    for record in records:
        numbers = {int(word[4]) for word in record["text"].split() if word.startswith("word")}
        assert (record["first"], record["last"]) == (min(numbers), max(numbers))
    assert {r["first"] for r in records} == {1, 2, 3}


@pytest.mark.slow
def test_a_killed_ingest_leaves_whole_documents_and_a_rerun_completes_it(
    service: MedGraph, driver: Driver, clinical_vocabulary: None, tmp_path: Path
) -> None:
    folder = tmp_path / "notes"
    for i in range(200):
        _write(
            folder,
            f"note{i:03}.txt",
            f"Note {i}. Chest pain and fever; no pneumonia.\n\nAmoxicillin given on day {i}.\n",
        )
    settings = service.settings
    env = {
        **os.environ,
        "NEO4J_URI": settings.neo4j.uri,
        "NEO4J_PASSWORD": settings.neo4j.password.get_secret_value(),
        "MEDGRAPH_INGEST_BATCH_DOCUMENTS": "1",
        "HF_HUB_OFFLINE": "1",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "medgraphrag", "ingest", str(folder)],
        env=env,
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline and process.poll() is None:
            records, _, _ = driver.execute_query("MATCH (d:Document) RETURN count(d) AS n")
            if records[0]["n"] >= 3:
                break
            time.sleep(0.02)
    finally:
        process.kill()
        process.wait()
    records, _, _ = driver.execute_query("MATCH (d:Document) RETURN count(d) AS n")
    stored = records[0]["n"]
    assert 3 <= stored < 200
    # Every stored document is whole: all its chunks, each with its meta-graph and its mentions.
    records, _, _ = driver.execute_query(
        "MATCH (d:Document) OPTIONAL MATCH (d)-[:HAS_CHUNK]->(c:Chunk) "
        "RETURN d.doc_id AS id, d.chunk_count AS expected, count(c) AS chunks, "
        "sum(COUNT { (c)<-[:FROM_CHUNK]-(:MetaGraph) }) AS graphs, sum(COUNT { (c)-[:MENTIONS]->() }) AS mentions"
    )
    assert all(r["chunks"] == r["expected"] == r["graphs"] and r["mentions"] == 4 for r in records)
    report = service.ingest([folder], tier="user")
    assert (report.documents_unchanged, report.documents_written) == (stored, 200 - stored)
