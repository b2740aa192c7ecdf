"""Documents too large for one write on a real Neo4j: staged in parts, published whole, never seen
half-written, recovered after a crash at any point, and safe with concurrent runs and deletes."""

from __future__ import annotations

import itertools
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver

from medgraphrag.core.progress import ProgressEvent
from medgraphrag.core.settings import Settings
from medgraphrag.models.embeddings import Embedder
from medgraphrag.nlp.sentences import parse
from medgraphrag.service import MedGraph
from tests.conftest import neo4j_env

BATCH_CHARS = 10_000


class Crash(Exception):
    """Stands for the process going down at a chosen point of a run."""


def _settings(base: Settings, **ingest: object) -> Settings:
    return base.replace(ingest={"batch_chars": BATCH_CHARS, **ingest})


@pytest.fixture
def large_service(
    neo4j_settings: Settings, driver: Driver, embedder: Embedder, clinical_vocabulary: None
) -> Iterator[MedGraph]:
    """The service on a clean graph with a small vocabulary, writing documents over 10,000 characters in parts."""
    with MedGraph(_settings(neo4j_settings), embedder=embedder) as medgraph:
        yield medgraph


def _text(marker: str, paragraphs: int = 40) -> str:
    """A clinical text of about 400 characters a paragraph, with `marker` in its first paragraph."""
    lines = []
    for i in range(paragraphs):
        lead = f"The {marker} regimen was reviewed. " if i == 0 else ""
        lines.append(
            f"{lead}Patient {i} reported chest pain and fever on day {i + 1}. "
            f"Amoxicillin was started for pneumonia in visit {i}. No evidence of myocardial infarction. "
            f"Troponin stayed normal on review {i}; the cough improved by week {i % 7 + 2}. "
            f"Follow-up {i} found the asthma controlled and blood pressure {110 + i} over {70 + i % 10}."
        )
    return "\n\n".join(lines) + "\n"


def _visible(service: MedGraph, word: str) -> set[str]:
    """The sources of the chunks a search finds for `word`."""
    return {hit.source for hit in service.search(word, k=50, mode="fulltext")}


def _chunks(driver: Driver, source: str) -> list[dict]:
    records, _, _ = driver.execute_query(
        "MATCH (d:Document {source: $source})-[h:HAS_CHUNK]->(c:Chunk) "
        "RETURN h.ord AS ord, c.chunk_id AS id, c.start AS start, c.end AS end, c.text AS text, c.state AS state "
        "ORDER BY ord",
        source=source,
    )
    return [r.data() for r in records]


def _hidden(driver: Driver) -> int:
    records, _, _ = driver.execute_query("MATCH (c:Chunk) WHERE c.state IS NOT NULL RETURN count(c) AS n")
    return int(records[0]["n"])


def _assert_whole(driver: Driver, path: Path) -> list[dict]:
    """The document of `path` is stored once, its chunks continuous, exact and linked in order."""
    text = path.read_text(encoding="utf-8")
    source = str(path.resolve())
    documents, _, _ = driver.execute_query(
        "MATCH (d:Document {source: $source}) RETURN d.chunk_count AS count, d.chars AS chars", source=source
    )
    assert len(documents) == 1
    chunks = _chunks(driver, source)
    assert documents[0]["count"] == len(chunks) and documents[0]["chars"] == len(text)
    assert [c["ord"] for c in chunks] == list(range(len(chunks)))
    assert all(c["state"] is None and c["text"] == text[c["start"] : c["end"]] for c in chunks)
    assert all(a["end"] <= b["start"] for a, b in itertools.pairwise(chunks))
    assert text[: chunks[0]["start"]].strip() == "" and text[chunks[-1]["end"] :].strip() == ""
    links, _, _ = driver.execute_query(
        "MATCH (d:Document {source: $source})-[:HAS_CHUNK]->(a:Chunk)-[:NEXT]->(b:Chunk) "
        "RETURN a.chunk_id AS a, b.chunk_id AS b",
        source=source,
    )
    assert {(r["a"], r["b"]) for r in links} == {(a["id"], b["id"]) for a, b in itertools.pairwise(chunks)}
    mentions, _, _ = driver.execute_query(
        "MATCH (d:Document {source: $source})-[:HAS_CHUNK]->(c:Chunk)-[m:MENTIONS]->(:Entity) "
        "RETURN m.start AS start, m.end AS end, m.surface AS surface, c.start AS chunk_start, c.end AS chunk_end",
        source=source,
    )
    assert mentions
    for m in mentions:
        assert text[m["start"] : m["end"]] == m["surface"]
        assert m["chunk_start"] <= m["start"] and m["end"] <= m["chunk_end"]
    return chunks


def test_a_large_document_is_staged_in_parts_and_published_whole(
    large_service: MedGraph, driver: Driver, tmp_path: Path
) -> None:
    path = tmp_path / "long.txt"
    path.write_text(_text("alpha", paragraphs=90), encoding="utf-8")
    sections: list[ProgressEvent] = []
    report = large_service.ingest([path], on_progress=lambda e: sections.append(e) if e.stage == "sections" else None)
    assert report.documents_written == 1 and not report.errors and report.post_write_error is None
    assert len(sections) >= 3 and sections[-1].done == sections[-1].total
    chunks = _assert_whole(driver, path)
    assert report.chunks_written == len(chunks)
    assert _hidden(driver) == 0
    summary = large_service.documents()
    assert [(d.source, d.chunks) for d in summary] == [(str(path.resolve()), len(chunks))]
    # Unchanged: nothing written; changed: the new version replaces the old, whole.
    assert large_service.ingest([path]).documents_unchanged == 1
    path.write_text(_text("omega", paragraphs=60), encoding="utf-8")
    assert large_service.ingest([path]).documents_written == 1
    _assert_whole(driver, path)
    assert _visible(large_service, "alpha") == set() and _visible(large_service, "omega") == {str(path.resolve())}
    assert _hidden(driver) == 0
    orphans, _, _ = driver.execute_query(
        "MATCH (g:MetaGraph) WHERE NOT (g)-[:FROM_CHUNK]->(:Chunk) RETURN count(g) AS n"
    )
    assert orphans[0]["n"] == 0


def test_no_search_sees_a_half_staged_document(large_service: MedGraph, driver: Driver, tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text(_text("alpha", paragraphs=10), encoding="utf-8")  # small: written in one batch
    large_service.ingest([path])
    source = str(path.resolve())
    path.write_text(_text("omega", paragraphs=90), encoding="utf-8")
    seen: list[tuple[set[str], set[str], int]] = []

    def watch(event: ProgressEvent) -> None:
        if event.stage == "sections" and event.done < event.total:
            seen.append(
                (_visible(large_service, "alpha"), _visible(large_service, "omega"), len(_chunks(driver, source)))
            )

    large_service.ingest([path], on_progress=watch)
    # While parts were staged, searches saw the old version whole and nothing of the new one.
    assert len(seen) >= 2
    old_count = seen[0][2]
    assert all(alpha == {source} and omega == set() and count == old_count for alpha, omega, count in seen)
    assert _visible(large_service, "omega") == {source} and _visible(large_service, "alpha") == set()
    _assert_whole(driver, path)


@pytest.mark.parametrize("crash_at", ["sections", "link", "tags"])
def test_a_run_that_stops_is_completed_by_the_next(
    neo4j_settings: Settings,
    driver: Driver,
    embedder: Embedder,
    clinical_vocabulary: None,
    tmp_path: Path,
    crash_at: str,
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "long.txt").write_text(_text("alpha", paragraphs=90), encoding="utf-8")
    (folder / "short.txt").write_text("Cough and fever for three days; amoxicillin started.\n", encoding="utf-8")

    def crash(event: ProgressEvent) -> None:
        if event.stage == crash_at and event.done < max(event.total, 1) and (crash_at != "sections" or event.done == 2):
            raise Crash(crash_at)

    # Parts a stopped run staged are hidden at once and removed by the next run (stale after 0 s here).
    with MedGraph(_settings(neo4j_settings, staging_stale_s=0), embedder=embedder) as service:
        with pytest.raises(Crash):
            service.ingest([folder], on_progress=crash)
        assert _visible(service, "alpha") <= {str((folder / "long.txt").resolve())}
        if crash_at == "sections":
            assert service.search("alpha", k=5, mode="fulltext") == []
        report = service.ingest([folder])
        assert report.post_write_error is None and not report.errors
        assert report.documents_written + report.documents_unchanged == 2
        _assert_whole(driver, folder / "long.txt")
        assert _hidden(driver) == 0
        pending, _ = service.store.documents.post_write()
        assert not pending
        # Tags reach every meta-graph, including those written before the crash.
        untagged, _, _ = driver.execute_query(
            "MATCH (g:MetaGraph) WHERE NOT (:Tag)-[:SUMMARIZES]->(g) RETURN count(g) AS n"
        )
        assert untagged[0]["n"] == 0


def test_a_run_killed_while_staging_is_completed_by_the_next(
    neo4j_settings: Settings, driver: Driver, embedder: Embedder, clinical_vocabulary: None, tmp_path: Path
) -> None:
    """A killed process leaves its staged parts (no handler runs): the next run removes them, publishes
    the document whole and clears the post-write marker although its purges were writes too."""
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "long.txt").write_text(_text("gamma", paragraphs=150), encoding="utf-8")
    env = {
        **os.environ,
        **neo4j_env(neo4j_settings),
        "MEDGRAPH_DATA_DIR": str(tmp_path / "data"),
        "MEDGRAPH_INGEST_BATCH_CHARS": str(BATCH_CHARS),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "medgraphrag", "ingest", str(folder)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 300
        while _hidden(driver) == 0 and process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert _hidden(driver) > 0, "the run ended before it staged a part"
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait()
    with MedGraph(_settings(neo4j_settings), embedder=embedder) as service:
        assert service.store.documents.post_write()[0] is True
        report = service.ingest([folder])
        assert report.post_write_error is None and report.documents_written == 1
        _assert_whole(driver, folder / "long.txt")
        assert _hidden(driver) == 0
        assert service.store.documents.post_write()[0] is False


def test_a_paragraph_of_over_a_million_characters_is_parsed(tmp_path: Path) -> None:
    sentence = "Fever and cough persisted while amoxicillin was given daily; "
    text = sentence * (1_100_000 // len(sentence) + 1)  # no line break anywhere
    (sentences,) = parse([text])
    assert sentences and sentences[0].start == 0 and sentences[-1].end >= len(text.rstrip()) - 1
    assert all(a.end <= b.start for a, b in itertools.pairwise(sentences))
    assert max(s.end - s.start for s in sentences) <= 100_000


def test_a_document_over_the_limit_is_its_files_error(
    neo4j_settings: Settings, driver: Driver, embedder: Embedder, tmp_path: Path
) -> None:
    (tmp_path / "huge.txt").write_text(_text("alpha", paragraphs=20), encoding="utf-8")
    (tmp_path / "fine.txt").write_text("Cough and fever; amoxicillin started.\n", encoding="utf-8")
    with MedGraph(_settings(neo4j_settings, max_document_chars=5_000), embedder=embedder) as service:
        report = service.ingest([tmp_path])
    assert report.documents_written == 1
    (error,) = report.errors
    assert error.path.endswith("huge.txt") and "MEDGRAPH_MAX_DOCUMENT_CHARS" in error.reason
    records, _, _ = driver.execute_query("MATCH (d:Document) RETURN d.source AS source")
    assert [Path(r["source"]).name for r in records] == ["fine.txt"]


def test_concurrent_runs_and_a_delete_leave_one_consistent_graph(
    neo4j_settings: Settings, driver: Driver, embedder: Embedder, clinical_vocabulary: None, tmp_path: Path
) -> None:
    folder = tmp_path / "docs"
    folder.mkdir()
    (folder / "long.txt").write_text(_text("alpha", paragraphs=70), encoding="utf-8")
    for i in range(12):
        (folder / f"note{i}.txt").write_text(
            f"Note {i}: chest pain and fever; amoxicillin started on day {i}. No pneumonia.\n", encoding="utf-8"
        )
    doomed = str((folder / "note3.txt").resolve())
    failures: list[BaseException] = []

    def ingest() -> None:
        try:
            with MedGraph(_settings(neo4j_settings), embedder=embedder) as service:
                report = service.ingest([folder])
                assert not report.errors and report.post_write_error is None, report
        except BaseException as exc:  # reported by the test thread
            failures.append(exc)

    def delete() -> None:
        try:
            with MedGraph(_settings(neo4j_settings), embedder=embedder) as service:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline:
                    ids = [d.doc_id for d in service.documents(limit=1000) if d.source == doomed]
                    if ids:
                        service.delete_documents(ids)
                        return
                    time.sleep(0.05)
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=ingest), threading.Thread(target=ingest), threading.Thread(target=delete)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=600)
    assert not failures, "".join(line for exc in failures for line in traceback.format_exception(exc))
    # Whatever the interleaving: each document once, whole; nothing hidden or orphaned left.
    records, _, _ = driver.execute_query("MATCH (d:Document) RETURN d.source AS source, count(*) AS n")
    assert all(r["n"] == 1 for r in records)
    assert {Path(r["source"]).name for r in records} >= {f"note{i}.txt" for i in range(12) if i != 3} | {"long.txt"}
    _assert_whole(driver, folder / "long.txt")
    assert _hidden(driver) == 0
    stray, _, _ = driver.execute_query("MATCH (c:Chunk) WHERE NOT (:Document)-[:HAS_CHUNK]->(c) RETURN count(c) AS n")
    assert stray[0]["n"] == 0
    orphans, _, _ = driver.execute_query("MATCH (e:Entity) WHERE NOT ()-[:MENTIONS]->(e) RETURN count(e) AS n")
    assert orphans[0]["n"] == 0
    with MedGraph(_settings(neo4j_settings), embedder=embedder) as service:
        report = service.ingest([folder])  # a rerun restores what the delete removed, and only that
    assert report.documents_written <= 1 and report.documents_unchanged >= 12
