"""Fit U-retrieve's fusion weights on development queries, and measure them, and every signal's
part, on queries the fit never saw.

    python -m bench.fusion [--corpus JSONL] [--queries JSONL] [--fit-qrels TSV] [--eval-qrels TSV]
                           [--fit-queries N] [--workdir DIR] [--vocab DIR]

The corpus (BEIR layout; default NFCorpus) is ingested as bench.beir does (with --workdir the graph
is kept, and shared with bench.beir's run of the same folder). For every query, U-retrieve's six
rankings (retrieval/u_retrieve.py: vector, fulltext, synonyms, kin, graph, route) are taken once;
everything after that is computed from them.

The fit: each chunk a ranking offers is an example, its features its reciprocal ranks
(61 / (60 + rank), 0 where a ranking does not offer it), its label whether its document is judged
relevant. An L2-regularized logistic regression (scikit-learn) learns one coefficient per ranking;
the regularization strength is chosen by 5-fold cross-validation over the fit queries (grouped by
query, judged by nDCG@10 of the fused ranking); negative coefficients are 0. Because a weighted
reciprocal-rank fusion scores exactly that linear form, the coefficients are the fusion's weights,
reported scaled to sum to the number of rankings.

On the evaluation queries (default the dev qrels; the fit uses the train qrels): nDCG@10 and
recall@100 of each ranking alone, of the equal-weight fusion, of the fitted weights, and of the fit
without each ranking in turn (refitted), each paired with the fitted fusion (randomization test,
bootstrap interval). A table, then one JSON line.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.beir import DEPTH, NFCORPUS, BeirCollection, read_collection, recall_at, write_corpus
from bench.report import print_report
from bench.retrieval import ingest_reference, ndcg, scratch_service, working_folder
from bench.stats import COMPARISON_COLUMNS, compare, comparison_cells
from medgraphrag.core.settings import FUSION_SIGNALS
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.retrieval.ranking import RRF_K, reciprocal_rank_fusion
from medgraphrag.service import MedGraph

STRENGTHS = (0.01, 0.1, 1.0, 10.0)  # scikit-learn's C: smaller is stronger regularization
FOLDS = 5
# Chunks asked of U-retrieve per query: each of its searches then offers 4 times as many.
CHUNKS = DEPTH


@dataclass(frozen=True)
class Judged:
    """One query's rankings (chunk ids by signal) and its graded documents."""

    rankings: dict[str, list[str]]
    grades: dict[str, int]


def collect(service: MedGraph, collection: BeirCollection, chunk_docs: Mapping[str, str]) -> list[Judged]:
    """U-retrieve's rankings for each query of `collection`."""
    judged = []
    for number, (query, text) in enumerate(collection.queries.items(), start=1):
        retrieval = service.retrieval(text, k=CHUNKS, tier="reference", mode="u-retrieve")
        rankings = {s: [c for c in retrieval.rankings.get(s, []) if c in chunk_docs] for s in FUSION_SIGNALS}
        judged.append(Judged(rankings, collection.qrels[query]))
        if number % 100 == 0:
            print(f"  {number:,} of {len(collection.queries):,} queries", flush=True)
    return judged


def documents(fused: Mapping[str, float], chunk_docs: Mapping[str, str], depth: int = DEPTH) -> list[str]:
    """The documents of the fused chunks, each at its best chunk's place, the first `depth`."""
    ranked = sorted(fused, key=lambda c: (-fused[c], c))
    return list(dict.fromkeys(chunk_docs[c] for c in ranked))[:depth]


def scores(
    judged: Sequence[Judged], weights: Mapping[str, float], chunk_docs: Mapping[str, str]
) -> dict[str, list[float]]:
    """nDCG@10 and recall@100 per query of the fusion with `weights` (a signal left out weighs 0)."""
    result: dict[str, list[float]] = {"ndcg10": [], "recall100": []}
    for item in judged:
        full = {s: float(weights.get(s, 0.0)) for s in FUSION_SIGNALS}
        ranked = documents(reciprocal_rank_fusion(item.rankings, weights=full), chunk_docs)
        result["ndcg10"].append(ndcg(ranked, {d: max(g, 0) for d, g in item.grades.items()}, 10))
        result["recall100"].append(recall_at(ranked, item.grades, DEPTH))
    return result


def examples(
    judged: Sequence[Judged], signals: Sequence[str], chunk_docs: Mapping[str, str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Features (reciprocal ranks per signal), labels (relevant document) and query numbers of
    every chunk the signals offer."""
    rows: list[list[float]] = []
    labels: list[int] = []
    groups: list[int] = []
    for number, item in enumerate(judged):
        ranks = {s: {c: r for r, c in enumerate(item.rankings[s], start=1)} for s in signals}
        for chunk in sorted(set().union(*(ranks[s] for s in signals))):
            rows.append([(RRF_K + 1) / (RRF_K + ranks[s][chunk]) if chunk in ranks[s] else 0.0 for s in signals])
            labels.append(int(item.grades.get(chunk_docs[chunk], 0) > 0))
            groups.append(number)
    return np.asarray(rows), np.asarray(labels), np.asarray(groups)


def fit(
    judged: Sequence[Judged], signals: Sequence[str], chunk_docs: Mapping[str, str], strength: float | None = None
) -> tuple[dict[str, float], float]:
    """The fitted weights of `signals` (scaled to sum to their number) and C: `strength`, or
    chosen by cross-validation."""
    from sklearn.linear_model import LogisticRegression

    features, labels, groups = examples(judged, signals, chunk_docs)
    folds = np.arange(len(judged)) % FOLDS

    def weights_of(model: LogisticRegression) -> dict[str, float]:
        raw = np.clip(model.coef_[0], 0.0, None)
        total = float(raw.sum())
        return {s: (len(signals) * float(w) / total if total > 0 else 1.0) for s, w in zip(signals, raw)}

    def train(rows: np.ndarray, c: float) -> LogisticRegression:
        return LogisticRegression(C=c, max_iter=1000).fit(features[rows], labels[rows])

    best_c, best = STRENGTHS[0] if strength is None else strength, -1.0
    for c in STRENGTHS if strength is None else ():
        held: list[float] = []
        for fold in range(FOLDS):
            rows = folds[groups] != fold
            if labels[rows].min() == labels[rows].max():
                continue
            weights = weights_of(train(rows, c))
            held += scores([j for j, f in zip(judged, folds) if f == fold], weights, chunk_docs)["ndcg10"]
        mean = statistics.fmean(held) if held else 0.0
        if mean > best + 1e-9:
            best_c, best = c, mean
    return weights_of(train(np.ones(len(labels), dtype=bool), best_c)), best_c


def chunk_documents(service: MedGraph) -> dict[str, str]:
    """The external id of every chunk's document."""
    result = service.store.cypher.run(
        "MATCH (d:Document)-[:HAS_CHUNK]->(c:Chunk) WHERE d.external_id IS NOT NULL "
        "RETURN collect(c.chunk_id) AS chunks, collect(d.external_id) AS documents",
        None,
        timeout_s=300,
        max_rows=1,
        max_bytes=None,
    )
    chunks, docs = result.rows[0]
    return dict(zip(chunks, docs))


def main() -> None:
    """Run the fit and the evaluation from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--corpus", type=Path, default=NFCORPUS / "corpus.jsonl")
    parser.add_argument("--queries", type=Path, default=NFCORPUS / "queries.jsonl")
    parser.add_argument("--fit-qrels", type=Path, default=NFCORPUS / "qrels" / "train.tsv")
    parser.add_argument("--eval-qrels", type=Path, default=NFCORPUS / "qrels" / "dev.tsv")
    parser.add_argument("--fit-queries", type=int, default=600, help="the first N judged queries of the fit qrels")
    parser.add_argument("--workdir", type=Path, default=None, help="where the graph is kept (shared with bench.beir)")
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    args = parser.parse_args()
    fitting = read_collection(args.queries, args.fit_qrels, args.fit_queries)
    evaluation = read_collection(args.queries, args.eval_qrels)
    overlap = set(fitting.queries) & set(evaluation.queries)
    if overlap:
        raise SystemExit(f"{len(overlap)} queries are in both the fit and the evaluation qrels")
    with working_folder(args.workdir) as workdir:
        corpus = workdir / "corpus.jsonl"
        write_corpus(args.corpus, corpus)
        home = None if args.workdir is None else workdir / "neo4j"
        with scratch_service(paths={"data_dir": workdir / "medgraph"}, home=home) as service:
            ingest_reference(service, [corpus], args.vocab)
            chunk_docs = chunk_documents(service)
            started = time.perf_counter()
            fit_judged = collect(service, fitting, chunk_docs)
            eval_judged = collect(service, evaluation, chunk_docs)
            collect_s = time.perf_counter() - started
    weights, strength = fit(fit_judged, FUSION_SIGNALS, chunk_docs)
    equal = {s: 1.0 for s in FUSION_SIGNALS}
    systems: dict[str, dict[str, float]] = {"fitted": weights, "equal weights": equal}
    for signal in FUSION_SIGNALS:
        systems[f"{signal} alone"] = {signal: 1.0}
    for signal in FUSION_SIGNALS:
        others = [s for s in FUSION_SIGNALS if s != signal]
        systems[f"fitted without {signal}"] = fit(fit_judged, others, chunk_docs, strength)[0]
    per_query = {name: scores(eval_judged, w, chunk_docs) for name, w in systems.items()}
    fitted = per_query["fitted"]["ndcg10"]
    rows = []
    for name, figures in per_query.items():
        comparison = None if name == "fitted" else compare(figures["ndcg10"], fitted, "fitted")
        rows.append(
            [
                name,
                statistics.fmean(figures["ndcg10"]),
                statistics.fmean(figures["recall100"]),
                *comparison_cells(comparison),
            ]
        )
    weight_text = ", ".join(f"{s} {w:.2f}" for s, w in weights.items())
    print_report(
        f"U-retrieve fusion: fitted on {len(fit_judged):,} queries of {args.fit_qrels.name}, evaluated on "
        f"{len(eval_judged):,} of {args.eval_qrels.name} (rankings collected in {collect_s:.0f} s); C = {strength}; "
        f"weights: {weight_text}",
        ["fusion", "ndcg10", "recall100", *COMPARISON_COLUMNS],
        rows,
        {
            "benchmark": "fusion",
            "fit_queries": len(fit_judged),
            "eval_queries": len(eval_judged),
            "C": strength,
            "weights": {s: round(w, 3) for s, w in weights.items()},
            "systems": {
                name: {
                    "ndcg10": round(statistics.fmean(f["ndcg10"]), 4),
                    "recall100": round(statistics.fmean(f["recall100"]), 4),
                }
                for name, f in per_query.items()
            },
        },
    )


if __name__ == "__main__":
    main()
