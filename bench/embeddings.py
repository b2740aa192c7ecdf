"""Dense-only retrieval quality and embedding cost of the embedding models on a BEIR collection.

    python -m bench.embeddings [--models NAME ...] [--corpus JSONL] [--queries JSONL] [--qrels TSV]
                               [--limit-queries N] [--limit-documents N] [--threads N]

No Neo4j and no chunking: in this one process each model embeds every document (its title and
text) as a passage and each judged query in the model's query form (bge: its retrieval
instruction first), and ranks the documents by cosine similarity. Per model: nDCG@10 (linear gain =
the qrels grade), recall@100 and MRR@10 as bench.beir computes them, the latency of one query
(embedding it and ranking), the CPU time of embedding one passage (all threads: the cost of ingest)
and the wall time of the whole corpus; and nDCG@10 paired by query against the first model (by
default all-MiniLM-L6-v2): the mean difference, a randomization test's p-value and a 95% bootstrap
interval. --limit-queries and --limit-documents (the judged documents of the chosen queries plus
the first N others) make a quick run. Models run on --threads threads (default 1: the CPU time is then
the model's work alone, not ONNX Runtime's threads waiting for one another).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.beir import DEPTH, METRICS, NFCORPUS, evaluate, read_collection, write_corpus
from bench.report import print_report
from bench.retrieval import Search
from bench.stats import COMPARISON_COLUMNS, compare_to_best, comparison_cells
from medgraphrag.core.settings import load_settings
from medgraphrag.ingest.context import contextual
from medgraphrag.models.embeddings import Embedder

MODELS = ("all-MiniLM-L6-v2", "bge-small-en-v1.5-q", "bge-small-en-v1.5")
PROGRESS_EVERY = 256  # passages between progress lines on stderr


def read_passages(corpus: Path, keep: set[str] | None, others: int | None) -> tuple[list[str], list[str]]:
    """The ids and texts of the documents of `corpus` (BEIR JSONL) as a one-chunk document of
    bench.beir is embedded: its title as context, then its text; `keep` and `others` choose them as
    `write_corpus` does."""
    with tempfile.TemporaryDirectory(prefix="bench-embeddings-") as folder:
        converted = Path(folder) / "corpus.jsonl"
        write_corpus(corpus, converted, keep, others)
        records = [json.loads(line) for line in converted.read_text(encoding="utf-8").splitlines() if line]
    return [str(r["id"]) for r in records], [contextual(str(r["title"]), str(r["text"])) for r in records]


def embed_passages(embedder: Embedder, texts: Sequence[str]) -> tuple[np.ndarray, float, float]:
    """The passages' unit vectors, the CPU seconds (every thread of this process) and the wall
    seconds it took."""
    cpu, wall = time.process_time(), time.perf_counter()
    parts = []
    for start in range(0, len(texts), PROGRESS_EVERY):
        parts.append(embedder.embed(texts[start : start + PROGRESS_EVERY]))
        done = min(start + PROGRESS_EVERY, len(texts))
        print(f"{embedder.name}: {done:,}/{len(texts):,} passages", file=sys.stderr, flush=True)
    vectors = np.concatenate(parts) if parts else np.zeros((0, embedder.dimension), dtype=np.float32)
    return vectors, time.process_time() - cpu, time.perf_counter() - wall


def dense_search(embedder: Embedder, ids: Sequence[str], vectors: np.ndarray) -> Search:
    """A query and k give the ids of the k documents whose vectors are nearest the query's (in
    the model's query form) by cosine."""

    def search(query: str, k: int) -> list[str]:
        scores = vectors @ embedder.embed_queries([query])[0]
        top = np.argsort(-scores, kind="stable")[:k]
        return [ids[i] for i in top]

    return search


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--models", nargs="+", default=list(MODELS), help="MEDGRAPH_EMBEDDING_MODEL values; the first is the baseline"
    )
    parser.add_argument("--corpus", type=Path, default=NFCORPUS / "corpus.jsonl")
    parser.add_argument("--queries", type=Path, default=NFCORPUS / "queries.jsonl")
    parser.add_argument("--qrels", type=Path, default=NFCORPUS / "qrels" / "dev.tsv")
    parser.add_argument("--limit-queries", type=int, default=None, help="only the first N judged queries")
    parser.add_argument(
        "--limit-documents", type=int, default=None, help="the chosen queries' judged documents and N others"
    )
    parser.add_argument("--threads", type=int, default=1, help="model threads (MEDGRAPH_EMBEDDING_THREADS)")
    args = parser.parse_args()
    collection = read_collection(args.queries, args.qrels, args.limit_queries)
    keep = {d for grades in collection.qrels.values() for d in grades} if args.limit_documents is not None else None
    ids, texts = read_passages(args.corpus, keep, args.limit_documents)
    figures: dict[str, dict[str, float]] = {}
    ndcg10: dict[str, list[float]] = {}
    for name in args.models:
        started = time.perf_counter()
        embedder = Embedder.from_settings(load_settings(embedding={"model": name, "threads": args.threads}).embedding)
        embedder.embed(["warm-up"])
        load_s = time.perf_counter() - started
        vectors, cpu_s, wall_s = embed_passages(embedder, texts)
        model_figures, model_ndcg = evaluate({name: dense_search(embedder, ids, vectors)}, collection)
        figures[name] = {
            **model_figures[name],
            "cpu_ms_doc": 1000 * cpu_s / max(len(texts), 1),
            "corpus_s": wall_s,
            "load_s": load_s,
        }
        ndcg10[name] = model_ndcg[name]
        del embedder, vectors  # one model in memory at a time
    baseline = args.models[0]
    comparisons = compare_to_best(ndcg10, (baseline,))
    columns = [*METRICS, "p50_ms", "p95_ms", "cpu_ms_doc", "corpus_s"]
    print_report(
        f"{args.corpus.parent.name or 'BEIR'}: dense retrieval alone, {len(collection.queries):,} judged queries over "
        f"{len(texts):,} documents (top {DEPTH} by cosine); query latency = embedding it and ranking; nDCG@10 paired "
        f"by query against {baseline}",
        ["model", *columns, *COMPARISON_COLUMNS],
        [[name, *(row[c] for c in columns), *comparison_cells(comparisons.get(name))] for name, row in figures.items()],
        {
            "benchmark": "embeddings",
            "queries": len(collection.queries),
            "documents": len(texts),
            "threads": args.threads,
            "baseline": baseline,
            "models": {
                name: {
                    **{k: round(v, 4) for k, v in row.items()},
                    **(comparisons[name].figures() if name in comparisons else {}),
                }
                for name, row in figures.items()
            },
        },
    )


if __name__ == "__main__":
    main()
