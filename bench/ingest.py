"""Ingest throughput against the embedding-only floor, measured in the same run.

    python -m bench.ingest [PATH...] [--tier reference] [--chunk-tokens 180]

PATHs are .txt / .md files or folders (default: the sample corpus in examples/). A throwaway
neo4j-local is started unless --use-configured points the run at NEO4J_URI (which it then writes to).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from bench.report import print_report
from medgraphrag.embeddings import Embedder
from medgraphrag.graph.server import project_root, scratch_local_server
from medgraphrag.ingest.chunking import chunk_text
from medgraphrag.ingest.loaders import SourceDocument, discover, load_all
from medgraphrag.service import MedGraph
from medgraphrag.settings import Settings, load_settings

PASSWORD = "bench-password"


def _measure(settings: Settings, embedder: Embedder, paths: list[Path], tier: str) -> dict[str, float]:
    files, _ = discover(paths)
    documents = [d for d in load_all(files) if isinstance(d, SourceDocument)]
    texts = [c.text for d in documents for c in chunk_text(d.text, settings.chunk_tokens)]
    started = time.perf_counter()
    embedder.embed(texts)
    floor_s = time.perf_counter() - started
    with MedGraph(settings, embedder=embedder) as service:
        service.driver  # connect and apply the schema outside the timed runs
        first = service.ingest(paths, tier=tier)
        again = service.ingest(paths, tier=tier)
    return {
        "documents": first.documents_written, "chunks": first.chunks_written, "errors": len(first.errors),
        "ingest_s": first.seconds, "floor_s": floor_s, "reingest_s": again.seconds,
        "reingest_unchanged": again.documents_unchanged,
    }


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", type=Path, default=[project_root() / "examples"])
    parser.add_argument("--tier", default="reference", choices=["user", "reference"])
    parser.add_argument("--chunk-tokens", type=int, default=None)
    parser.add_argument("--use-configured", action="store_true", help="ingest into NEO4J_URI instead")
    args = parser.parse_args()
    overrides = {"chunk_tokens": args.chunk_tokens} if args.chunk_tokens else {}
    embedder = Embedder.from_settings(load_settings(**overrides))
    embedder.embed(["warm-up"])
    if args.use_configured:
        figures = _measure(load_settings(**overrides), embedder, args.paths, args.tier)
    else:
        with scratch_local_server(PASSWORD) as uri:
            settings = load_settings(neo4j_uri=uri, neo4j_password=PASSWORD, **overrides)
            figures = _measure(settings, embedder, args.paths, args.tier)
    chunks = figures["chunks"]
    ingest_rate = chunks / figures["ingest_s"] if figures["ingest_s"] else 0.0
    floor_rate = chunks / figures["floor_s"] if figures["floor_s"] else 0.0
    rows = [
        ("embedding only (floor)", chunks, figures["floor_s"], floor_rate),
        ("ingest: read, chunk, embed, write", chunks, figures["ingest_s"], ingest_rate),
        ("re-ingest unchanged", 0, figures["reingest_s"], 0.0),
    ]
    print_report(f"ingest of {figures['documents']} documents", ["run", "chunks", "seconds", "chunks/s"], rows, {
        "benchmark": "ingest", "documents": figures["documents"], "chunks": chunks, "errors": figures["errors"],
        "documents_per_s": round(figures["documents"] / figures["ingest_s"], 2) if figures["ingest_s"] else 0.0,
        "chunks_per_s": round(ingest_rate, 2), "embedding_floor_chunks_per_s": round(floor_rate, 2),
        "ratio_to_floor": round(ingest_rate / floor_rate, 3) if floor_rate else 0.0,
        "reingest_s": round(figures["reingest_s"], 3), "reingest_unchanged": figures["reingest_unchanged"],
    })


if __name__ == "__main__":
    main()
