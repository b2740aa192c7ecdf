"""Ingest on Ray (a local cluster of 2 workers): the same graph as one process, and nothing lost
when a worker is killed mid-run."""

from __future__ import annotations

import json
import os
import signal
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from neo4j import Driver
from neo4j.time import DateTime

from medgraphrag.core.progress import ProgressEvent
from medgraphrag.ingest.pipeline import IngestReport
from medgraphrag.service import MedGraph
from tests.conftest import REPO

NOTES = REPO / "examples" / "notes"
REFERENCE = REPO / "examples" / "reference"
# Properties that say when or by which run something was written, not what it is.
VOLATILE = {"run", "version", "generation", "lease"}
Graph = tuple[Counter[str], Counter[str], dict[str, list[float]]]


@pytest.fixture
def many_notes(tmp_path: Path) -> Path:
    """The example notes, each in several variants: enough files to keep two workers busy."""
    folder = tmp_path / "notes"
    folder.mkdir()
    for source in sorted(NOTES.iterdir()):
        text = source.read_text(encoding="utf-8")
        for n in range(4):
            (folder / f"{source.stem}_{n}{source.suffix}").write_text(
                text + f"\n\nFollow-up visit {n + 1}: no new complaints.\n", encoding="utf-8"
            )
    return folder


def _ray(service: MedGraph) -> MedGraph:
    """The service with Ray tasks of 2 files: several tasks per worker."""
    return MedGraph(service.settings.replace(ingest={"ray_files_per_task": 2}), embedder=service.embedder)


def _ingest(service: MedGraph, notes: Path, **ray: object) -> list[IngestReport]:
    return [
        service.ingest([REFERENCE], tier="reference", **ray),  # type: ignore[arg-type]
        service.ingest([notes], tier="user", **ray),  # type: ignore[arg-type]
    ]


def _snapshot(driver: Driver) -> Graph:
    """The graph as counters of canonical nodes and relationships (endpoints by their properties),
    with the floats apart (vectors, similarity scores): their last bits depend on the model's
    threads and batches."""
    floats: dict[str, list[float]] = {}

    def canonical(head: object, properties: dict[str, object]) -> str:
        kept = {
            key: value
            for key, value in properties.items()
            if not (isinstance(value, DateTime) or key in VOLATILE or key.endswith("_at") or _floats(value))
        }
        text = json.dumps([head, kept], sort_keys=True, default=str)
        for key, value in properties.items():
            if _floats(value) and key not in VOLATILE:
                floats.setdefault(f"{text}/{key}", []).extend(value if isinstance(value, list) else [value])
        return text

    with driver.session() as session:
        nodes = {
            r["id"]: canonical(sorted(r["labels"]), r["properties"])
            for r in session.run(
                "MATCH (n) RETURN elementId(n) AS id, labels(n) AS labels, properties(n) AS properties"
            )
        }
        relationships = Counter(
            canonical([nodes[r["a"]], r["type"], nodes[r["b"]]], r["properties"])
            for r in session.run(
                "MATCH (a)-[r]->(b) RETURN elementId(a) AS a, type(r) AS type, elementId(b) AS b, "
                "properties(r) AS properties"
            )
        )
    return Counter(nodes.values()), relationships, floats


def _floats(value: object) -> bool:
    return isinstance(value, float) or (isinstance(value, list) and bool(value) and isinstance(value[0], float))


def _same(one: Graph, other: Graph) -> None:
    nodes, relationships, floats = one
    assert other[0] == nodes, "different nodes"
    assert other[1] == relationships, "different relationships"
    assert other[2].keys() == floats.keys()
    for key, values in floats.items():
        assert max(abs(a - b) for a, b in zip(sorted(values), sorted(other[2][key]), strict=True)) < 1e-3, key


def _counts(report: IngestReport) -> tuple[int, ...]:
    return (
        report.files,
        report.documents_written,
        report.documents_failed,
        report.chunks_written,
        report.mentions,
        report.mentions_negated,
        report.mentions_family,
        report.relations,
        len(report.errors),
    )


@pytest.fixture
def single(
    service: MedGraph, driver: Driver, clinical_vocabulary: None, many_notes: Path
) -> Iterator[tuple[Graph, list[IngestReport]]]:
    """The graph one process builds, then an empty graph with the same vocabulary."""
    reports = _ingest(service, many_notes)
    graph = _snapshot(driver)
    with driver.session() as session:
        session.run("MATCH (n) WHERE NOT n:Concept AND NOT n:VocabularySource DETACH DELETE n").consume()
    yield graph, reports


def test_ray_with_two_workers_builds_the_same_graph_as_one_process(
    service: MedGraph, driver: Driver, single: tuple[Graph, list[IngestReport]], many_notes: Path
) -> None:
    expected, single_reports = single
    with _ray(service) as distributed:
        reports = _ingest(distributed, many_notes, ray="local", workers=2)
        # Again: nothing changed, nothing written.
        again = distributed.ingest([many_notes], tier="user", ray="local", workers=2)
    assert [r.workers for r in reports] == [2, 2]
    assert all(r.worker_memory_mb and min(r.worker_memory_mb) > 50 for r in reports)
    assert [_counts(r) for r in reports] == [_counts(r) for r in single_reports]
    assert reports[1].documents_written == 12 and reports[1].chunks_written > 12
    _same(expected, _snapshot(driver))
    assert (again.documents_written, again.documents_unchanged) == (0, 12)


def test_a_worker_killed_mid_run_loses_nothing(
    service: MedGraph, driver: Driver, single: tuple[Graph, list[IngestReport]], many_notes: Path
) -> None:
    expected, single_reports = single
    killed: list[int] = []
    lock = threading.Lock()

    def kill_a_worker(event: ProgressEvent) -> None:
        # After the first group is written, both workers hold a group: kill one of them.
        with lock:
            if event.stage == "build" and event.done and not killed:
                pids = _worker_pids()
                assert pids, "no Ray worker process found"
                os.kill(pids[0], signal.SIGKILL)
                killed.append(pids[0])

    with _ray(service) as distributed:
        reference = distributed.ingest([REFERENCE], tier="reference", ray="local", workers=2)
        notes = distributed.ingest([many_notes], tier="user", ray="local", workers=2, on_progress=kill_a_worker)
    assert killed
    assert [_counts(reference), _counts(notes)] == [_counts(r) for r in single_reports]
    _same(expected, _snapshot(driver))


def _worker_pids() -> list[int]:
    """The processes of this machine that run an ingest worker (Ray names them by their actor)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                command = (entry / "cmdline").read_bytes()
            except OSError:
                continue
            if command.startswith(b"ray::IngestWorker"):
                pids.append(int(entry.name))
    return sorted(pids)
