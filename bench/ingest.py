"""Construction throughput against the embedding-only floor, measured in the same run.

    python -m bench.ingest [--pubmedqa FILE] [--medquad DIR] [--judged FILE] [--medquad-limit N]
                           [--vocab DIR] [--tier reference] [PATH...]

Ingests PubMedQA-L's abstracts (default ../shared/data/pubmedqa/ori_pqal.json) and the MedQuAD
corpus (the XML files under --medquad, plus, for answers the XML withholds, the judged answer texts
of --judged written as a JSONL unit each), and any extra PATHs, into a throwaway neo4j-local that
first gets the open vocabulary of --vocab (its load is timed apart). Then the floor: the very
chunks the pipeline stored (or a random --floor-sample of them), embedded with nothing else, as
the pipeline embeds them (each with its context: title, focus, headings); and, for comparison with
figures before this floor, their text alone. Pass an empty string to leave a data set out.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import tempfile
import time
from pathlib import Path

from bench.report import print_report
from medgraphrag.core.settings import load_settings
from medgraphrag.graph.exploration import CypherResult
from medgraphrag.graph.server import project_root, scratch_local_server
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.ingest.context import contextual
from medgraphrag.ingest.loaders import SourceDocument, load_all
from medgraphrag.models.embeddings import Embedder
from medgraphrag.service import MedGraph

PASSWORD = "bench-password"
DATA = project_root().parent / "shared" / "data"
# What the benchmark reads of the built graph, as a user would: read-only Cypher.
CHUNK_TEXTS = "MATCH (c:Chunk) RETURN c.context AS context, c.text AS text ORDER BY c.chunk_id"
STATISTICS = """
MATCH (g:MetaGraph)
WITH count(g) AS graphs, sum(COUNT { (g)<-[:IN_GRAPH]-(:Entity) }) AS memberships
MATCH (e:Entity)
WITH graphs, memberships, count(e) AS entities,
     count(CASE WHEN (e)-[:DEFINITION_OF]->(:Concept) THEN 1 END) AS linked
RETURN graphs, entities, linked,
       CASE graphs WHEN 0 THEN 0.0 ELSE toFloat(memberships) / graphs END AS entities_per_chunk
"""


def medquad_corpus(folder: Path, judged: Path | None, limit: int | None, into: Path) -> list[Path]:
    """The MedQuAD XML files (with `limit`, that many spread evenly over the source folders), and a
    JSONL, written into `into`, of the judged answers of those files whose text the XML withholds."""
    files = sorted(folder.rglob("*.xml"))
    if limit:
        by_folder: dict[Path, list[Path]] = {}
        for file in files:
            by_folder.setdefault(file.parent, []).append(file)
        share = -(-limit // max(1, len(by_folder)))
        files = [f for group in by_folder.values() for f in group[:share]][:limit]
    units = {d.unit for d in load_all(files) if isinstance(d, SourceDocument)}
    documents = {(part, f.stem) for f in files for part in f.parent.name.split("_")}
    paths: list[Path] = list(files)
    if judged and judged.is_file():
        lines = []
        with judged.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle):
                unit = row["AnswerID"].removesuffix(".txt")
                source, _, docid = unit.rsplit("_Sec", 1)[0].partition("_")
                # An answer judged for several questions appears once per question.
                if unit not in units and row.get("Answer", "").strip() and (source, docid) in documents:
                    units.add(unit)
                    lines.append(json.dumps({"id": unit, "text": row["Answer"], "title": unit}))
        if lines:
            (into / "judged_answers.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
            paths.append(into / "judged_answers.jsonl")
    return paths


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, default=[])
    parser.add_argument("--pubmedqa", default=str(DATA / "pubmedqa" / "ori_pqal.json"))
    parser.add_argument("--medquad", default=str(DATA / "medquad"))
    parser.add_argument("--judged", default=str(DATA / "medquad" / "judged_answers.csv"))
    parser.add_argument("--medquad-limit", type=int, default=None, help="only the first N MedQuAD XML files")
    parser.add_argument("--vocab", default=str(DEFAULT_VOCAB_DIR), help="open vocabulary data folder")
    parser.add_argument("--tier", default="reference", choices=["user", "reference"])
    parser.add_argument(
        "--floor-sample",
        type=int,
        default=0,
        help="time the floor on this many of the stored chunks, drawn at random (0: all)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch:
        paths = list(args.paths)
        if args.pubmedqa:
            paths.append(Path(args.pubmedqa))
        if args.medquad:
            paths += medquad_corpus(
                Path(args.medquad), Path(args.judged) if args.judged else None, args.medquad_limit, Path(scratch)
            )
        with scratch_local_server(PASSWORD, heap="2g", pagecache_mb=1024) as uri:
            settings = load_settings(neo4j={"uri": uri, "password": PASSWORD})
            embedder = Embedder.from_settings(settings.embedding)
            embedder.embed(["warm-up"])
            with MedGraph(settings, embedder=embedder) as service:
                started = time.perf_counter()
                vocabulary = service.load_vocabulary("open", Path(args.vocab))
                vocab_s = time.perf_counter() - started
                report = service.ingest(paths, tier=args.tier)
                again = service.ingest(paths, tier=args.tier)
                chunks_stored = [(str(row[0] or ""), str(row[1])) for row in _read(service, CHUNK_TEXTS).rows]
                if 0 < args.floor_sample < len(chunks_stored):
                    chunks_stored = random.Random(7).sample(chunks_stored, args.floor_sample)
                # What the pipeline embeds for a chunk is its context and its text.
                floor_s = _timed(embedder, [contextual(context, text) for context, text in chunks_stored])
                plain_s = _timed(embedder, [text for _, text in chunks_stored])
                result = _read(service, STATISTICS)
                stats = dict(zip(result.columns, result.rows[0])) if result.rows else {}
    chunks = report.chunks_written
    rate = chunks / report.seconds if report.seconds else 0.0
    floor_rate = len(chunks_stored) / floor_s if floor_s else 0.0
    plain_rate = len(chunks_stored) / plain_s if plain_s else 0.0
    rows = [
        ("embedding only (floor: context + text)", len(chunks_stored), floor_s, floor_rate, "-"),
        ("embedding only (text alone)", len(chunks_stored), plain_s, plain_rate, "-"),
        ("offline construction pipeline", chunks, report.seconds, rate, report.documents_written / report.seconds),
        ("re-ingest unchanged", 0, again.seconds, 0.0, "-"),
    ]
    linked = int(stats.get("linked", 0))
    entities = int(stats.get("entities", 0))
    print_report(
        f"construction of {report.documents_written} documents ({vocabulary.concepts:,} concepts loaded in "
        f"{vocab_s:.0f} s; stages: " + ", ".join(f"{k} {v:.0f}s" for k, v in report.stage_seconds.items()) + ")",
        ["run", "chunks", "seconds", "chunks/s", "documents/s"],
        rows,
        {
            "benchmark": "ingest",
            "documents": report.documents_written,
            "chunks": chunks,
            "errors": len(report.errors),
            "documents_per_s": round(report.documents_written / report.seconds, 2) if report.seconds else 0.0,
            "chunks_per_s": round(rate, 2),
            "embedding_floor_chunks_per_s": round(floor_rate, 2),
            "ratio_to_floor": round(rate / floor_rate, 3) if floor_rate else 0.0,
            "embedding_text_alone_chunks_per_s": round(plain_rate, 2),
            "ratio_to_text_alone": round(rate / plain_rate, 3) if plain_rate else 0.0,
            "entities": entities,
            "entities_per_chunk": round(float(stats.get("entities_per_chunk", 0.0)), 2),
            "entities_linked_share": round(linked / entities, 4) if entities else 0.0,
            "mentions": report.mentions,
            "mentions_negated": report.mentions_negated,
            "relations": report.relations,
            "reference_links": report.reference_links,
            "reingest_s": round(again.seconds, 2),
            "reingest_unchanged": again.documents_unchanged,
            "stage_seconds": {k: round(v, 1) for k, v in report.stage_seconds.items()},
        },
    )


def _timed(embedder: Embedder, texts: list[str]) -> float:
    """Seconds to embed `texts` with nothing else running."""
    started = time.perf_counter()
    embedder.embed(texts)
    return time.perf_counter() - started


def _read(service: MedGraph, query: str) -> CypherResult:
    """A read-only query's rows, however many."""
    return service.store.cypher.run(query, timeout_s=600, max_rows=10_000_000)


if __name__ == "__main__":
    main()
