import copy
import re
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pytest
from neo4j import Driver
from typer.testing import CliRunner

from medgraphrag.cli import app
from medgraphrag.core.errors import EmbeddingModelError
from medgraphrag.core.settings import Settings
from medgraphrag.graph.vocab.records import ConceptRecord, ConceptRelation, SkipCounter
from medgraphrag.ingest.context import contextual
from medgraphrag.ingest.pipeline import entity_content
from medgraphrag.models.embeddings import Embedder
from medgraphrag.service import MedGraph


def _counts(driver: Driver) -> tuple[int, int]:
    records, _, _ = driver.execute_query(
        "MATCH (n) WITH count(n) AS nodes OPTIONAL MATCH ()-[r]->() RETURN nodes, count(r) AS rels"
    )
    return records[0]["nodes"], records[0]["rels"]


def _chunks(driver: Driver) -> list[dict]:
    records, _, _ = driver.execute_query(
        "MATCH (d:Document)-[r:HAS_CHUNK]->(c:Chunk) "
        "RETURN d.source AS source, d.tier AS tier, r.ord AS ord, c.chunk_id AS chunk_id, c.start AS start, "
        "c.end AS end, c.text AS text, size(c.embedding) AS dims, c.tier AS chunk_tier ORDER BY source, ord"
    )
    return [r.data() for r in records]


def test_round_trip_offsets_slice_back_to_the_source(service: MedGraph, driver: Driver, corpus: Path) -> None:
    report = service.ingest([corpus], tier="user")
    assert (report.files, report.documents_written, report.errors) == (3, 3, [])
    chunks = _chunks(driver)
    assert len(chunks) == report.chunks_written > 0
    for chunk in chunks:
        source_text = Path(chunk["source"]).read_text(encoding="utf-8")
        assert source_text[chunk["start"] : chunk["end"]] == chunk["text"]
        assert chunk["dims"] == 384
        assert chunk["tier"] == chunk["chunk_tier"] == "user"
    records, _, _ = driver.execute_query(
        "MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk) WITH d, count(c) AS n "
        "OPTIONAL MATCH (d)-[:HAS_CHUNK]->(:Chunk)-[x:NEXT]->(:Chunk)<-[:HAS_CHUNK]-(d) "
        "RETURN d.chunk_count AS stored, n, count(x) AS next"
    )
    assert all(r["stored"] == r["n"] and r["next"] == r["n"] - 1 for r in records)


def test_small_budget_gives_ordered_contiguous_chunks(neo4j_settings, driver: Driver, embedder, tmp_path: Path) -> None:
    text = "\n\n".join(f"Paragraph {i} mentions sepsis and lactate number {i}." for i in range(12))
    (tmp_path / "long.txt").write_text(text, encoding="utf-8")
    with MedGraph(neo4j_settings.replace(ingest={"chunk_tokens": 16}), embedder=embedder) as service:
        service.ingest([tmp_path], tier="reference")
    chunks = _chunks(driver)
    assert len(chunks) == 12
    assert [c["ord"] for c in chunks] == list(range(12))
    records, _, _ = driver.execute_query("MATCH p=(:Chunk)-[:NEXT*]->(:Chunk) RETURN max(length(p)) AS longest")
    assert records[0]["longest"] == 11


def _notes(folder: Path, count: int, marker: str = "") -> None:
    for i in range(count):
        extra = f" {marker}" if i == 2 else ""
        (folder / f"note{i}.txt").write_text(
            f"Patient {i} has asthma and takes salbutamol.{extra} Fever {i} resolved; no pneumonia.\n", encoding="utf-8"
        )


def test_batches_are_embedded_and_written_while_the_next_is_built(
    neo4j_settings: Settings, driver: Driver, embedder: Embedder, tmp_path: Path
) -> None:
    _notes(tmp_path, 7)
    with MedGraph(neo4j_settings.replace(ingest={"batch_documents": 2}), embedder=embedder) as service:
        report = service.ingest([tmp_path], tier="user")
    assert (report.documents_written, report.errors) == (7, [])
    assert {"chunk", "extract", "embed", "write"} <= set(report.stage_seconds)
    records, _, _ = driver.execute_query(
        "MATCH (c:Chunk) RETURN c.text AS text, c.context AS context, c.embedding AS vector ORDER BY c.chunk_id"
    )
    assert len(records) == report.chunks_written == 7
    expected = embedder.embed([contextual(r["context"], r["text"]) for r in records])
    assert np.abs(np.asarray([r["vector"] for r in records]) - expected).max() < 1e-5
    # Entities named in several batches are embedded once, each with its own name's vector.
    entities, _, _ = driver.execute_query(
        "MATCH (e:Entity) RETURN e.name AS name, e.type AS type, e.embedding AS vector"
    )
    assert report.entities_new == len(entities) >= 3
    expected = embedder.embed([entity_content(r["name"], r["type"]) for r in entities])
    assert np.abs(np.asarray([r["vector"] for r in entities]) - expected).max() < 1e-5


def test_a_failed_embedding_ends_the_run_and_nothing_after_it_is_written(
    neo4j_settings: Settings, driver: Driver, embedder: Embedder, tmp_path: Path
) -> None:
    _notes(tmp_path, 6, marker="Zyxquv.")
    failing = copy.copy(embedder)

    def embed(texts: Sequence[str]) -> np.ndarray:
        if any("Zyxquv" in text for text in texts):
            raise EmbeddingModelError("the embedding model ran out of memory")
        return embedder.embed(texts)

    failing.embed = embed  # type: ignore[method-assign]
    with MedGraph(neo4j_settings.replace(ingest={"batch_documents": 2}), embedder=failing) as service:
        with pytest.raises(EmbeddingModelError, match="ran out of memory"):
            service.ingest([tmp_path], tier="user")
    # The batch before the failing one is written whole; the failing one and those after it are not.
    records, _, _ = driver.execute_query("MATCH (d:Document) RETURN d.source AS source ORDER BY source")
    assert [Path(r["source"]).name for r in records] == ["note0.txt", "note1.txt"]


def test_reingest_of_unchanged_files_writes_nothing(service: MedGraph, driver: Driver, corpus: Path) -> None:
    service.ingest([corpus], tier="user")
    before = _counts(driver)
    stamps, _, _ = driver.execute_query("MATCH (d:Document) RETURN d.doc_id AS id, d.ingested_at AS at ORDER BY id")
    report = service.ingest([corpus], tier="user")
    assert (report.documents_written, report.documents_unchanged, report.chunks_written) == (0, 3, 0)
    assert _counts(driver) == before
    again, _, _ = driver.execute_query("MATCH (d:Document) RETURN d.doc_id AS id, d.ingested_at AS at ORDER BY id")
    assert [r.data() for r in again] == [r.data() for r in stamps]


def test_changed_file_replaces_only_its_own_chunks(service: MedGraph, driver: Driver, corpus: Path) -> None:
    service.ingest([corpus], tier="user")
    before = {c["chunk_id"]: c for c in _chunks(driver)}
    note = corpus / "notes" / "pneumonia.txt"
    note.write_text("Cough resolved after amoxicillin. Discharged home.\n", encoding="utf-8")
    report = service.ingest([corpus], tier="user")
    assert (report.documents_written, report.documents_unchanged) == (1, 2)
    after = {c["chunk_id"]: c for c in _chunks(driver)}
    changed = [c for c in after.values() if c["source"] == note.resolve().as_posix()]
    assert [c["text"] for c in changed] == ["Cough resolved after amoxicillin. Discharged home."]
    untouched = {k for k, c in before.items() if c["source"] != note.resolve().as_posix()}
    assert untouched <= set(after)
    assert not any("consolidation" in c["text"] for c in after.values())
    documents, _, _ = driver.execute_query("MATCH (d:Document) RETURN count(d) AS n")
    assert documents[0]["n"] == 3


def test_moving_a_document_to_another_tier_rewrites_it(service: MedGraph, driver: Driver, corpus: Path) -> None:
    service.ingest([corpus / "reference.md"], tier="user")
    report = service.ingest([corpus / "reference.md"], tier="reference")
    assert report.documents_written == 1
    assert {c["chunk_tier"] for c in _chunks(driver)} == {"reference"}


def test_bad_files_are_reported_and_the_rest_ingested(
    service: MedGraph, driver: Driver, corpus: Path, neo4j_settings, monkeypatch
) -> None:
    (corpus / "empty.md").write_text("", encoding="utf-8")
    (corpus / "notes" / "latin1.txt").write_bytes("Douleur thoracique, fièvre".encode("latin-1"))
    report = service.ingest([corpus], tier="user")
    assert report.documents_written == 3
    reasons = {Path(e.path).name: e.reason for e in report.errors}
    assert set(reasons) == {"empty.md", "latin1.txt"}
    assert "empty" in reasons["empty.md"] and "UTF-8" in reasons["latin1.txt"]

    monkeypatch.chdir(corpus)
    monkeypatch.setenv("NEO4J_URI", neo4j_settings.neo4j.uri)
    monkeypatch.setenv("NEO4J_PASSWORD", neo4j_settings.neo4j.password.get_secret_value())
    result = CliRunner().invoke(app, ["ingest", str(corpus)])
    assert result.exit_code == 1
    assert f"{corpus / 'notes' / 'latin1.txt'}: not valid UTF-8" in result.output
    assert re.search(r"documents unchanged\s+3\b", result.output)


def test_a_mention_carries_its_concepts_mesh_headings_or_its_nearest_ancestors(
    service: MedGraph, driver: Driver, tmp_path: Path
) -> None:
    disorder = ["T047:Disease or Syndrome"]
    concepts = [
        ConceptRecord("C1", "Urticaria", cui="C1", xrefs=["MESH:D014581"], semantic_types=disorder, sources=["t"]),
        ConceptRecord("HP:1", "Chronic urticaria", semantic_types=disorder, sources=["t"]),
        ConceptRecord("HP:2", "Cold urticaria", semantic_types=disorder, sources=["t"]),
        ConceptRecord("HP:3", "Familial cold urticaria", semantic_types=disorder, sources=["t"]),
        ConceptRecord("HP:4", "Hives of the scalp", semantic_types=disorder, sources=["t"]),
        ConceptRecord("MESH:D5", "Pruritus", semantic_types=disorder, sources=["t"]),
        # MeSH's entry term "Restlessness" names HPO's Restlessness, which has no descriptor of its own.
        ConceptRecord("HP:5", "Restlessness", semantic_types=disorder, sources=["t"]),
        ConceptRecord("C6", "Psychomotor Agitation", cui="C6", synonyms=["Restlessness"], xrefs=["MESH:D011595"]),
        # Named by two concepts with descriptors: no one heading by name, so its parent's.
        ConceptRecord("HP:7", "Wheals", semantic_types=disorder, sources=["t"]),
        ConceptRecord("C8", "Skin wheal", cui="C8", synonyms=["wheals"], xrefs=["MESH:D8"]),
        ConceptRecord("C9", "Weal", cui="C9", synonyms=["wheals"], xrefs=["MESH:D9"]),
        # A supplementary concept record (a C id) only: it keeps it and gains its parent's descriptor.
        ConceptRecord("C10", "Hepatitis", cui="C10", xrefs=["MESH:D006505"], semantic_types=disorder, sources=["t"]),
        ConceptRecord("HP:11", "Halothane hepatitis", xrefs=["MESH:C562477"], semantic_types=disorder, sources=["t"]),
        # A classification's category without a descriptor, headed by its MeSH namesake.
        ConceptRecord("C12", "Hematuria", cui="C12", xrefs=["MESH:D006417"], semantic_types=disorder, sources=["t"]),
        ConceptRecord("ICD10CM:R31", "Hematuria", semantic_types=disorder, sources=["t"]),
        ConceptRecord("ICD10CM:R31.0", "Gross hematuria", semantic_types=disorder, sources=["t"]),
        # No parents of its own: it climbs through its namesake's.
        ConceptRecord("C13", "Ventricular tachycardia", cui="C13", xrefs=["MESH:D017180"], sources=["t"]),
        ConceptRecord("HP:13", "Polymorphic ventricular tachycardia", semantic_types=disorder, sources=["t"]),
        ConceptRecord("MONDO:13", "polymorphic ventricular tachycardia", semantic_types=disorder, sources=["t"]),
        # Headed by nothing else: what its name's head names, if that is one concept of MeSH's disease trees.
        ConceptRecord("C14", "Edema", cui="C14", xrefs=["MESH:D004487"], semantic_types=["MESHTREE:C23.888.475"]),
        ConceptRecord("MONDO:14", "Localized edema", semantic_types=disorder, sources=["t"]),
        ConceptRecord("C15", "Jaw tumor", cui="C15", xrefs=["MESH:D007573"], semantic_types=["MESHTREE:C04.588.531"]),
        ConceptRecord("MONDO:15", "Hyperparathyroidism with jaw tumor", semantic_types=disorder, sources=["t"]),
        ConceptRecord("C16", "Cardiac output", cui="C16", xrefs=["MESH:D002302"], semantic_types=["MESHTREE:G09.330"]),
        ConceptRecord("HP:16", "Increased cardiac output", semantic_types=disorder, sources=["t"]),
    ]
    relations = [
        ConceptRelation("HP:1", "C1", "IS_A", "t"),
        ConceptRelation("HP:3", "HP:2", "IS_A", "t"),
        ConceptRelation("HP:2", "C1", "IS_A", "t"),
        ConceptRelation("HP:7", "C1", "IS_A", "t"),
        ConceptRelation("HP:11", "C10", "IS_A", "t"),
        ConceptRelation("ICD10CM:R31.0", "ICD10CM:R31", "IS_A", "t"),
        ConceptRelation("HP:13", "C13", "IS_A", "t"),
    ]
    service.store.vocabulary.write(versions={"t": "1"}, concepts=concepts, relations=relations, skipped=SkipCounter())
    note = tmp_path / "note.txt"
    note.write_text(
        "Urticaria for years. Chronic urticaria now, and familial cold urticaria in the family history. "
        "Pruritus at night. Hives of the scalp. Restlessness and wheals. Halothane hepatitis. Gross hematuria.\n",
        encoding="utf-8",
    )
    assert service.ingest([note], tier="user").documents_written == 1
    doc_ids = [r["id"] for r in driver.execute_query("MATCH (d:Document) RETURN d.doc_id AS id").records]
    headings = {m.surface.lower(): m.mesh_headings for m in service.document_mentions(doc_ids)}
    assert headings["urticaria"] == ["MESH:D014581"]  # its own descriptor
    assert headings["chronic urticaria"] == ["MESH:D014581"]  # its parent's
    assert headings["familial cold urticaria"] == ["MESH:D014581"]  # two steps up, past a parent without one
    assert headings["pruritus"] == ["MESH:D5"]  # a MeSH concept is its own heading
    assert headings["hives of the scalp"] == []  # no ancestor has one
    assert headings["restlessness"] == ["MESH:D011595"]  # the descriptor whose names name it
    assert headings["wheals"] == ["MESH:D014581"]
    assert headings["halothane hepatitis"] == ["MESH:C562477", "MESH:D006505"]
    assert headings["gross hematuria"] == ["MESH:D006417"]  # its parent's namesake's
    up_from_its_namesake = service.store.documents.mesh_headings(["MONDO:13", "HP:13", "HP:4"])
    assert up_from_its_namesake == {"MONDO:13": ["MESH:D017180"], "HP:13": ["MESH:D017180"], "HP:4": []}
    by_its_head = service.store.documents.mesh_headings(["MONDO:14", "MONDO:15", "HP:16"])
    # No head past a qualifying word ("with"), nor one outside MeSH's disease trees (a measurement).
    assert by_its_head == {"MONDO:14": ["MESH:D004487"], "MONDO:15": [], "HP:16": []}


def test_a_concepts_entity_takes_the_group_most_of_its_mentions_give_it(
    service: MedGraph, driver: Driver, tmp_path: Path
) -> None:
    disorder = ["T047:Disease or Syndrome"]
    concepts = [ConceptRecord("C1", "Neoplasm", cui="C1", synonyms=["cancer", "oncology"], semantic_types=disorder)]
    service.store.vocabulary.write(versions={"t": "1"}, concepts=concepts, relations=[], skipped=SkipCounter())
    note = tmp_path / "note.txt"
    # The training annotators never mark "oncology" as a disease: that mention names no disorder,
    # and, though the first, it does not make the concept's entity one of no group.
    note.write_text("She was referred to oncology. The cancer had spread; the cancer was treated.\n", encoding="utf-8")
    assert service.ingest([note], tier="user").documents_written == 1
    records = driver.execute_query("MATCH (e:Entity {concept_id: 'C1'}) RETURN e.type AS type").records
    assert [r["type"] for r in records] == ["Disorders"]
