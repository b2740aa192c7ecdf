"""The tag tree is replaced as a whole: a rebuild writes a new generation aside and publishes it in
one write, so a question asked meanwhile always walks one complete tree."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from collections.abc import Mapping, Sequence
from pathlib import Path

import pytest
from neo4j import Driver

from medgraphrag.core.errors import Conflict
from medgraphrag.core.runs import process_gone, run_token
from medgraphrag.graph.tags import LeafEntity
from medgraphrag.ingest.offline import ExtractiveSummarizer
from medgraphrag.ingest.tags import rebuild_tags
from medgraphrag.service import MedGraph

FINDINGS = [
    "chest pain",
    "fever",
    "cough",
    "pneumonia",
    "myocardial infarction",
    "hypoglycemia",
    "congestive heart failure",
    "type 2 diabetes",
]
TREATMENTS = ["amoxicillin", "metformin"]

# One read: the published generation, how many meta-graphs exist, how many of them its leaves tag,
# and how many of its leaves cannot climb to a root of the same generation.
WHOLE_TREE = """
OPTIONAL MATCH (tree:TagTree {name: 'tags'})
WITH coalesce(tree.generation, 0) AS generation
CALL (generation) { MATCH (g:MetaGraph) RETURN count(g) AS graphs }
CALL (generation) {
  MATCH (leaf:Tag)-[:SUMMARIZES]->(:MetaGraph)
  WHERE coalesce(leaf.generation, 0) = generation
  RETURN count(leaf) AS leaves,
         count(CASE WHEN NOT EXISTS {
           MATCH (root:Tag)-[:PARENT_OF*0..]->(leaf)
           WHERE coalesce(root.generation, 0) = generation AND NOT EXISTS { (:Tag)-[:PARENT_OF]->(root) }
         } THEN 1 END) AS orphans
}
RETURN generation, graphs, leaves, orphans
"""


@pytest.fixture
def notes(service: MedGraph, clinical_vocabulary: None, tmp_path: Path) -> int:
    """Twenty-four short notes, ingested as the user tier; returns how many meta-graphs they made."""
    folder = tmp_path / "notes"
    folder.mkdir()
    for n in range(24):
        finding, other = FINDINGS[n % len(FINDINGS)], FINDINGS[(3 * n + 1) % len(FINDINGS)]
        (folder / f"note_{n:02d}.txt").write_text(
            f"Visit {n}. The patient reports {finding} and {other}. Plan: {TREATMENTS[n % 2]} for {n % 7 + 1} days.\n",
            encoding="utf-8",
        )
    report = service.ingest([folder], tier="user")
    assert report.documents_written == 24
    return report.chunks_written


def _state(driver: Driver, database: str) -> Mapping[str, int]:
    with driver.session(database=database) as session:
        return session.run(WHOLE_TREE).single(strict=True).data()


def test_a_question_during_a_rebuild_always_sees_one_whole_tree(service: MedGraph, notes: int, driver: Driver) -> None:
    before = _state(driver, service.database)
    assert before["leaves"] == before["graphs"] == notes and before["orphans"] == 0

    seen: list[Mapping[str, int]] = []
    done = threading.Event()

    def rebuild() -> None:
        try:
            for _ in range(3):
                service.rebuild_tags()
        finally:
            done.set()

    writer = threading.Thread(target=rebuild)
    writer.start()
    while not done.is_set():
        seen.append(_state(driver, service.database))
    writer.join()
    seen.append(_state(driver, service.database))

    assert len(seen) > 20, "the reader should have looked many times while the tree was rebuilt"
    partial = [s for s in seen if s["leaves"] != s["graphs"] or s["orphans"]]
    assert partial == []
    generations = [s["generation"] for s in seen]
    assert generations == sorted(generations) and generations[-1] == before["generation"] + 3
    # The superseded trees are gone: only the published generation's tags remain.
    with driver.session(database=service.database) as session:
        stale = session.run("MATCH (t:Tag) WHERE t.generation <> $g RETURN count(t) AS n", g=generations[-1]).single(
            strict=True
        )["n"]
    assert stale == 0


def test_a_first_tree_is_published_without_waiting_for_readers_of_none(service: MedGraph) -> None:
    tags = service.store.tags
    first = tags.begin_rebuild()
    assert tags.publish(first) is False and tags.published() == first  # no tree before: none to retire


def test_publishing_over_a_tree_retires_it_after_its_readers(service: MedGraph, notes: int, driver: Driver) -> None:
    tags = service.store.tags
    old = tags.published()
    assert tags.count() > 0
    new = tags.begin_rebuild()
    assert tags.publish(new) is True and tags.published() == new
    with driver.session(database=service.database) as session:
        left = session.run("MATCH (t:Tag {generation: $g}) RETURN count(t) AS n", g=old).single(strict=True)["n"]
    assert left == 0


def test_the_walk_still_answers_from_the_published_tree(service: MedGraph, notes: int) -> None:
    service.rebuild_tags()
    evidence = service.retrieve("What treats pneumonia?", k=3)
    assert evidence.trace.tags and evidence.trace.path
    assert evidence.citations[0].quote


def test_a_second_rebuild_is_refused_while_one_runs(service: MedGraph, notes: int) -> None:
    tags = service.store.tags
    published = tags.published()
    generation = tags.begin_rebuild()
    with pytest.raises(Conflict, match="another tag rebuild is running"):
        service.rebuild_tags()
    assert tags.published() == published
    tags.abandon(generation)
    assert service.rebuild_tags().generation > published  # the released lease is taken again


def test_the_lease_of_a_rebuild_whose_process_is_gone_is_taken_over_at_once(
    service: MedGraph, driver: Driver, notes: int
) -> None:
    tags = service.store.tags
    tags.begin_rebuild()
    assert service.store.tags.published() == tags.published()
    with pytest.raises(Conflict):
        service.rebuild_tags()  # the holder (this process) is alive: its lease is respected
    # A process that has exited: its pid names nothing any more.
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = f"{socket.gethostname()}:{finished.stdout.strip()}:0"
    driver.execute_query("MATCH (t:TagTree {name: 'tags'}) SET t.rebuild_holder = $dead", dead=dead)
    assert process_gone(dead) and not process_gone(run_token()) and not process_gone("elsewhere:1:0")
    assert service.rebuild_tags().generation > 0


class _FailingSummarizer(ExtractiveSummarizer):
    """Summarizes a few leaves, then fails, like an LLM that goes away mid-rebuild."""

    def __init__(self, after: int) -> None:
        self.left = after

    def leaf(self, entities: Sequence[LeafEntity]) -> dict[str, list[str]]:
        self.left -= 1
        if self.left < 0:
            raise RuntimeError("summarizer failed")
        return super().leaf(entities)


def test_a_failed_rebuild_leaves_the_published_tree_and_no_trace(service: MedGraph, notes: int, driver: Driver) -> None:
    before = _state(driver, service.database)
    with pytest.raises(RuntimeError, match="summarizer failed"):
        rebuild_tags(
            service.store.tags,
            service.settings.tags,
            _FailingSummarizer(after=10),
            dimension=service.embedder.dimension,
            model=service.embedder.name,
        )
    after = _state(driver, service.database)
    assert after == before
    with driver.session(database=service.database) as session:
        record = session.run("MATCH (t:Tag) RETURN count(t) AS tags").single(strict=True)
        lease = session.run("MATCH (tree:TagTree {name: 'tags'}) RETURN tree.rebuilding AS r").single(strict=True)
    assert record["tags"] == service.store.tags.count() and lease["r"] is None
