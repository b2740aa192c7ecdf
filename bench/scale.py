"""The cost model of ingestion: one process, Ray with 1 and 2 workers, and Neo4j's writes alone.

    python -m bench.scale [--pubmedqa FILE] [--limit N] [--vocab DIR] [--files-per-task N]
                          [--cores-per-machine N] [--gpu-embed-chunks-per-s X]

PubMedQA-L's abstracts (default ../shared/data/pubmedqa/ori_pqal.json, the first --limit), one
file each, are ingested into a throwaway neo4j-local holding the open vocabulary of --vocab: by one
process, then (the documents removed in between, the vocabulary kept) by Ray on this machine with 1
and with 2 workers. Then the writes alone: every batch built first, in memory, then only written,
which is the ceiling of any number of workers feeding one writer. From the per-stage times per
chunk and these rates, a projection of hours and machines for 10^5, 10^6 and 10^7 documents, on
CPUs only and with embedding on a GPU (its rate from --gpu-embed-chunks-per-s, an assumption this
machine cannot measure), saying which resource runs out first.
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from neo4j import GraphDatabase

from bench.report import print_table
from medgraphrag.core.settings import Settings, load_settings
from medgraphrag.graph.server import project_root, scratch_local_server
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.ingest.construction import OnError
from medgraphrag.ingest.loaders import SourceDocument
from medgraphrag.ingest.pipeline import BuiltBatch, IngestReport
from medgraphrag.models.embeddings import Embedder
from medgraphrag.service import MedGraph, worker_pipeline

PASSWORD = "bench-password"
DATA = project_root().parent / "shared" / "data"
# What each document costs to build, in the stages whose time grows with the chunks.
BUILD_STAGES = ("read", "parse", "chunk", "extract", "entities", "relations", "embed")
WIPE = "MATCH (n) WHERE NOT n:Concept AND NOT n:VocabularySource CALL (n) { DETACH DELETE n } IN TRANSACTIONS"


@dataclass
class Run:
    """One ingest of the corpus and what it measured."""

    name: str
    report: IngestReport
    first_result_s: float

    @property
    def chunks_per_s(self) -> float:
        """Chunks written per second of the whole run (start-up and post-write work included)."""
        return self.report.chunks_per_second


def corpus(pubmedqa: Path, limit: int, into: Path) -> list[Path]:
    """The first `limit` abstracts of PubMedQA-L, one PubMedQA file each (so files spread over workers)."""
    entries = json.loads(pubmedqa.read_text(encoding="utf-8"))
    files = []
    for pmid in list(entries)[:limit]:
        path = into / f"pubmedqa_{pmid}.json"
        path.write_text(json.dumps({pmid: entries[pmid]}), encoding="utf-8")
        files.append(path)
    return files


def _wipe(settings: Settings) -> None:
    neo4j = settings.neo4j
    with GraphDatabase.driver(neo4j.uri, auth=(neo4j.username, neo4j.password.get_secret_value())) as driver:
        with driver.session(database=neo4j.database) as session:
            session.run(WIPE).consume()


def _ingest(service: MedGraph, name: str, folder: Path, workers: int | None) -> Run:
    started = time.perf_counter()
    first: list[float] = []

    def progress(event: object) -> None:
        if getattr(event, "stage", "") == "build" and getattr(event, "done", 0) and not first:
            first.append(time.perf_counter() - started)

    report = service.ingest(
        [folder], tier="reference", ray="local" if workers else None, workers=workers, on_progress=progress
    )
    return Run(name, report, first[0] if first else report.seconds)


def _writes_alone(settings: Settings, files: list[Path]) -> tuple[float, int, int, int]:
    """Empty the graph of documents, build every batch in memory, then time the writes alone:
    seconds, chunks, mentions, relations."""
    _wipe(settings)
    pipeline = worker_pipeline(settings, "reference", OnError.SKIP)
    built = pipeline.build_files(files, {}, set())
    batches = [item for item in built.items if isinstance(item, BuiltBatch)]
    assert not any(isinstance(item, SourceDocument) for item in built.items), "no abstract needs staging"
    report = IngestReport()
    started = time.perf_counter()
    for batch in batches:
        pipeline.write_batch(batch, report)
    seconds = time.perf_counter() - started
    pipeline.store.close()
    return seconds, report.chunks_written, report.mentions, report.relations


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--pubmedqa", type=Path, default=DATA / "pubmedqa" / "ori_pqal.json")
    parser.add_argument("--limit", type=int, default=1000, help="abstracts ingested")
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    parser.add_argument("--files-per-task", type=int, default=16, help="files one Ray task builds")
    parser.add_argument("--cores-per-machine", type=int, default=16, help="cores of a worker machine in the projection")
    parser.add_argument(
        "--gpu-embed-chunks-per-s",
        type=float,
        default=2000.0,
        help="chunks a GPU embeds per second (bge-small; assumed, not measured here)",
    )
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-scale-") as scratch:
        folder = Path(scratch) / "corpus"
        folder.mkdir()
        files = corpus(args.pubmedqa, args.limit, folder)
        with scratch_local_server(PASSWORD, heap="2g", pagecache_mb=1024) as uri:
            settings = load_settings(
                neo4j={"uri": uri, "password": PASSWORD}, ingest={"ray_files_per_task": args.files_per_task}
            )
            embedder = Embedder.from_settings(settings.embedding)
            embedder.embed(["warm-up"])
            with MedGraph(settings, embedder=embedder) as service:
                service.load_vocabulary("open", args.vocab)
                runs = []
                for name, workers in (("single process", None), ("Ray, 1 worker", 1), ("Ray, 2 workers", 2)):
                    if runs:
                        _wipe(settings)
                    runs.append(_ingest(service, name, folder, workers))
                write_s, write_chunks, write_mentions, write_relations = _writes_alone(settings, files)
    driver_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    single, ray_1, ray_2 = runs
    chunks = single.report.chunks_written
    rows = [
        (
            run.name,
            run.report.chunks_written,
            run.report.seconds,
            run.chunks_per_s,
            run.first_result_s,
            max(run.report.worker_memory_mb, default=driver_mb),
        )
        for run in runs
    ]
    print_table(
        f"ingest of {single.report.documents_written} abstracts ({chunks} chunks) on this machine",
        ["run", "chunks", "seconds", "chunks/s", "first batch s", "peak MiB per builder"],
        rows,
    )
    per_chunk = {stage: single.report.stage_seconds.get(stage, 0.0) / max(1, chunks) for stage in BUILD_STAGES}
    # What a chunk costs one core to build: the one Ray worker's stage times (one model thread).
    per_core = {stage: ray_1.report.stage_seconds.get(stage, 0.0) / max(1, chunks) for stage in BUILD_STAGES}
    post = {s: single.report.stage_seconds.get(s, 0.0) / max(1, chunks) for s in ("write", "link", "tags")}
    print_table(
        "time per chunk (ms): one process, and one core (the 1-worker Ray run)",
        ["stage", "one process", "one core"],
        [
            (stage, 1000 * seconds, 1000 * per_core.get(stage, seconds))
            for stage, seconds in {**per_chunk, **post}.items()
        ],
    )
    write_rate = write_chunks / write_s if write_s else 0.0
    print_table(
        "Neo4j writes alone (one writer, batches built beforehand)",
        ["chunks/s", "mentions/s", "relations/s"],
        [(write_rate, write_mentions / write_s, write_relations / write_s)],
    )
    chunks_per_doc = chunks / max(1, single.report.documents_written)
    build_core_s = sum(per_core.values())
    embed_share = per_core["embed"]
    projection = _projection(
        chunks_per_doc,
        build_core_s,
        embed_share,
        write_rate,
        post["link"] + post["tags"],
        args.cores_per_machine,
        args.gpu_embed_chunks_per_s,
    )
    print_table(
        f"projection ({args.cores_per_machine}-core machines; {chunks_per_doc:.1f} chunks a document)",
        ["documents", "hardware", "machines to saturate the writer", "hours at that", "limit"],
        projection,
    )
    print(
        json.dumps(
            {
                "benchmark": "scale",
                "documents": single.report.documents_written,
                "chunks": chunks,
                "single_chunks_per_s": round(single.chunks_per_s, 2),
                "ray_1_chunks_per_s": round(ray_1.chunks_per_s, 2),
                "ray_2_chunks_per_s": round(ray_2.chunks_per_s, 2),
                "ray_2_ratio": round(ray_2.chunks_per_s / single.chunks_per_s, 3) if single.chunks_per_s else 0.0,
                "neo4j_write_chunks_per_s": round(write_rate, 1),
                "neo4j_write_mentions_per_s": round(write_mentions / write_s, 1) if write_s else 0.0,
                "build_ms_per_chunk": {k: round(1000 * v, 2) for k, v in per_chunk.items()},
                "build_core_ms_per_chunk": {k: round(1000 * v, 2) for k, v in per_core.items()},
                "post_write_ms_per_chunk": {k: round(1000 * v, 2) for k, v in post.items()},
                "worker_peak_mb": max(ray_2.report.worker_memory_mb, default=0.0),
                "driver_peak_mb": round(driver_mb, 1),
            },
            sort_keys=True,
        )
    )


def _projection(
    chunks_per_doc: float,
    build_core_s: float,
    embed_core_s: float,
    write_rate: float,
    post_write_s: float,
    cores: int,
    gpu_rate: float,
) -> list[tuple[str, str, int, float, str]]:
    """Hours and machines for 10^5..10^7 documents: workers are added until the one writer (Neo4j's
    write rate) is the limit; the post-write work (tier links, tags) runs after, at its measured cost."""
    rows = []
    for exponent in (5, 6, 7):
        documents = 10**exponent
        total = documents * chunks_per_doc
        for hardware, core_s in (
            ("CPU only", build_core_s),
            # Embedding moves to the GPU: what is left per chunk on the CPU, bounded by the GPU's rate.
            ("GPU embedding", max(build_core_s - embed_core_s, 1e-9)),
        ):
            machine_rate = cores / core_s
            if hardware == "GPU embedding":
                machine_rate = min(machine_rate, gpu_rate)
            machines = max(1, math.ceil(write_rate / machine_rate)) if write_rate else 1
            rate = min(machines * machine_rate, write_rate) if write_rate else machines * machine_rate
            hours = (total / rate + total * post_write_s) / 3600
            limit = "Neo4j writer" if machines * machine_rate >= write_rate else "worker CPUs"
            rows.append((f"10^{exponent}", hardware, machines, hours, limit))
    return rows


if __name__ == "__main__":
    main()
