"""Retrieval quality and latency per search mode on a collection in BEIR layout, BM25 in the same run.

    python -m bench.beir [--corpus JSONL] [--queries JSONL] [--qrels TSV] [--limit-queries N]
                         [--limit-documents N] [--workdir DIR] [--vocab DIR]

The corpus (`_id`, `title`, `text` per line; default NFCorpus under ../shared/data/nfcorpus) is
ingested as the reference tier of a throwaway neo4j-local that first gets the open vocabulary: each
document as its title and text, its `_id` the external id. Only the queries judged in the qrels
(`query-id corpus-id score`, a header line allowed) are asked. Each search ranks documents by
their best chunk. Per mode and for BM25 over the same texts: nDCG@10 (linear gain = the qrels
grade, as BEIR's evaluation), recall@100 and MRR@10 (relevant = grade 1 or more), latency p50 /
p95 (steady state: of a second pass over the queries; the first pass's p95 beside them); and
nDCG@10 paired by query against the best baseline (BM25 or a single-index mode; for a baseline
the best other one): the mean difference, a randomization test's p-value and a 95% bootstrap
interval. --limit-queries and --limit-documents (the judged documents of the chosen
queries plus the first N others) make a quick run. --per-query FILE writes each query's nDCG@10 per
mode (TSV); --against FILE pairs this run's modes with that file's, written by a run with other
settings (another chunking, another model), and adds the comparison to the JSON line.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.ingest import DATA
from bench.report import print_report, print_table
from bench.retrieval import (
    BASELINES,
    Search,
    bm25_search,
    ingest_reference,
    mrr_at,
    ndcg,
    ranked_units,
    run_queries,
    scratch_service,
    source_documents,
    working_folder,
)
from bench.stats import (
    COMPARISON_COLUMNS,
    compare_runs,
    compare_to_best,
    comparison_cells,
    read_per_query,
    write_per_query,
)
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.retrieval.retriever import MODES

NFCORPUS = DATA / "nfcorpus"
DEPTH = 100  # documents ranked per query: recall@100
# Chunks asked for per document wanted: a document's chunks often rank side by side.
CHUNKS_PER_DOCUMENT = 3
METRICS = ("ndcg10", "recall100", "mrr10")


@dataclass(frozen=True)
class BeirCollection:
    """A BEIR collection's judged queries (id -> text, in file order) and their qrels."""

    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def read_qrels(path: Path) -> dict[str, dict[str, int]]:
    """Per query id: corpus id -> grade, from `query-id corpus-id score` lines (tabs or spaces; a
    header line, or any line whose score is no integer, is skipped; TREC's four columns work too)."""
    qrels: dict[str, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 4:
            parts = [parts[0], parts[2], parts[3]]
        if len(parts) == 3 and parts[2].lstrip("-").isdigit():
            qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
    return qrels


def read_collection(queries: Path, qrels: Path, limit: int | None = None) -> BeirCollection:
    """The queries of `queries` (JSONL: `_id`, `text`) that `qrels` judges, the first `limit` of them."""
    judged = read_qrels(qrels)
    texts: dict[str, str] = {}
    with queries.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                record = json.loads(line)
                if str(record["_id"]) in judged and str(record.get("text", "")).strip():
                    texts[str(record["_id"])] = str(record["text"])
    chosen = dict(list(texts.items())[:limit] if limit is not None else texts)
    return BeirCollection(chosen, {q: judged[q] for q in chosen})


def write_corpus(corpus: Path, into: Path, keep: set[str] | None = None, others: int | None = None) -> int:
    """Write `corpus` (BEIR JSONL) to `into` as the JSONL the loaders read: `id` = `_id`, its title
    and its text (ingest gives every chunk the title as context; BM25 indexes both). With `keep`,
    only those documents plus the first `others` others. Documents with neither title nor text are
    left out. Returns how many were written."""
    written = extra = 0
    with corpus.open(encoding="utf-8") as source, into.open("w", encoding="utf-8") as target:
        for line in source:
            if not line.strip():
                continue
            record = json.loads(line)
            unit, title = str(record["_id"]), str(record.get("title") or "").strip()
            text = str(record.get("text") or "").strip() or title
            if not text:
                continue
            if keep is not None and unit not in keep:
                if others is not None and extra >= others:
                    continue
                extra += 1
            target.write(json.dumps({"id": unit, "title": title, "text": text}, ensure_ascii=False) + "\n")
            written += 1
    return written


def recall_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 100) -> float:
    """Share of the relevant documents (grade 1 or more) in the top k; 0 without any."""
    relevant = {d for d, g in grades.items() if g > 0}
    return len(relevant.intersection(ranked[:k])) / len(relevant) if relevant else 0.0


def evaluate(
    searches: Mapping[str, Search], collection: BeirCollection
) -> tuple[dict[str, dict[str, float]], dict[str, list[float]]]:
    """Per system: its mean figures, documents ranked per query and latencies, and its nDCG@10 per
    query (in query order)."""
    ids, texts = list(collection.queries), list(collection.queries.values())
    figures: dict[str, dict[str, float]] = {}
    ndcg10: dict[str, list[float]] = {}
    for name, search in searches.items():
        timed = run_queries(search, texts, DEPTH)
        rankings = timed.rankings
        scores: dict[str, list[float]] = {metric: [] for metric in METRICS}
        for query, ranked in zip(ids, rankings):
            grades = collection.qrels[query]
            scores["ndcg10"].append(ndcg(ranked, {d: max(g, 0) for d, g in grades.items()}, 10))
            scores["recall100"].append(recall_at(ranked, grades, DEPTH))
            scores["mrr10"].append(mrr_at(ranked, grades, 10, relevant=1))
        row = {metric: statistics.fmean(values) if values else 0.0 for metric, values in scores.items()}
        row["docs_ranked"] = statistics.fmean(len(r) for r in rankings) if rankings else 0.0
        row.update(timed.latencies())
        figures[name] = row
        ndcg10[name] = scores["ndcg10"]
    return figures, ndcg10


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=NFCORPUS / "corpus.jsonl")
    parser.add_argument("--queries", type=Path, default=NFCORPUS / "queries.jsonl")
    parser.add_argument("--qrels", type=Path, default=NFCORPUS / "qrels" / "dev.tsv")
    parser.add_argument("--limit-queries", type=int, default=None, help="only the first N judged queries")
    parser.add_argument(
        "--limit-documents", type=int, default=None, help="the chosen queries' judged documents and N others"
    )
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the converted corpus, local state and the graph are kept (default: temporary)",
    )
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    parser.add_argument("--per-query", type=Path, default=None, help="write each query's nDCG@10 per mode here (TSV)")
    parser.add_argument(
        "--against", type=Path, default=None, help="pair each mode with the same mode of this --per-query file"
    )
    args = parser.parse_args()
    earlier = read_per_query(args.against) if args.against else None
    collection = read_collection(args.queries, args.qrels, args.limit_queries)
    keep = {d for grades in collection.qrels.values() for d in grades} if args.limit_documents is not None else None
    with working_folder(args.workdir) as workdir:
        corpus = workdir / "corpus.jsonl"
        write_corpus(args.corpus, corpus, keep, args.limit_documents)
        documents = source_documents([corpus])
        searches: dict[str, Search] = {"bm25": bm25_search(documents)}
        # With --workdir the graph is kept: a later run re-ingests only what changed.
        home = None if args.workdir is None else workdir / "neo4j"
        with scratch_service(paths={"data_dir": workdir / "medgraph"}, home=home) as service:
            started = time.perf_counter()
            report = ingest_reference(service, [corpus], args.vocab)
            vocab_s = time.perf_counter() - started - report.seconds
            searches.update({mode: ranked_units(service, mode, chunks_per_unit=CHUNKS_PER_DOCUMENT) for mode in MODES})
            started = time.perf_counter()
            figures, ndcg10 = evaluate(searches, collection)
            evaluate_s = time.perf_counter() - started
    comparisons = compare_to_best(ndcg10, BASELINES)
    per_query = {mode: dict(zip(collection.queries, scores)) for mode, scores in ndcg10.items()}
    if args.per_query:
        write_per_query(args.per_query, per_query)
    against = compare_runs(per_query, earlier) if earlier is not None else {}
    if earlier is not None:
        print_table(
            f"nDCG@10 of each mode against the same mode of {args.against}, paired by query",
            ["mode", *COMPARISON_COLUMNS],
            [[name, *comparison_cells(against.get(name))] for name in figures],
        )
    columns = [*METRICS, "docs_ranked", "p50_ms", "p95_ms", "p95_first_ms"]
    print_report(
        f"{args.corpus.parent.name or 'BEIR'}: {len(collection.queries):,} judged queries over {len(documents):,} "
        f"documents ({report.chunks_written:,} chunks, {len(report.errors)} errors; vocabulary {vocab_s:.0f} s, "
        f"ingest {report.seconds:.0f} s, evaluation {evaluate_s:.0f} s); nDCG@10 paired by query against the best "
        "baseline",
        ["mode", *columns, *COMPARISON_COLUMNS],
        [[name, *(row[c] for c in columns), *comparison_cells(comparisons.get(name))] for name, row in figures.items()],
        {
            "benchmark": "beir",
            "queries": len(collection.queries),
            "documents": len(documents),
            "chunks": report.chunks_written,
            "vocabulary_s": round(vocab_s, 1),
            "ingest_s": round(report.seconds, 1),
            "evaluate_s": round(evaluate_s, 1),
            "modes": {
                name: {
                    **{k: round(v, 4) for k, v in row.items()},
                    **(comparisons[name].figures() if name in comparisons else {}),
                }
                for name, row in figures.items()
            },
            **({"against": {name: c.figures() for name, c in against.items()}} if earlier is not None else {}),
        },
    )


if __name__ == "__main__":
    main()
