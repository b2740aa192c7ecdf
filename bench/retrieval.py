"""Retrieval quality and latency per search mode, with BM25 in the same process.

    python -m bench.retrieval [--questions XML] [--qrels TXT] [--medquad DIR] [--judged FILE]
                              [--pubmedqa FILE] [--medquad-limit N] [--use-configured]

LiveQA: the corpus is MedQuAD (one unit per QA pair with answer text, plus the judged answers the XML
withholds), ingested as the reference tier and keyed by AnswerID. Each question is asked twice: its
original subject + message, and its NLM summary. Per mode: nDCG@10 (gain = grade - 1), MRR@10 and
hit@10 (relevant = grade 3 or 4), and latency p50 / p95. PubMedQA-L: the share of questions whose
top-5 evidence includes a chunk of the gold PMID. By default a throwaway neo4j-local is started and
both corpora are ingested; --use-configured searches what NEO4J_URI already holds.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import bm25s
import Stemmer

from bench.ingest import DATA, medquad_corpus
from bench.report import print_report, print_table
from medgraphrag.core.settings import load_settings
from medgraphrag.graph.server import scratch_local_server
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.ingest.loaders import SourceDocument, load_all
from medgraphrag.retrieval.retriever import MODES
from medgraphrag.service import MedGraph

PASSWORD = "bench-password"
RELEVANT_GRADE = 3


@dataclass(frozen=True)
class LiveQuestion:
    """A LiveQA question: its number in the qrels, the consumer's own words and NLM's summary."""

    number: int
    original: str
    summary: str


def read_questions(path: Path) -> list[LiveQuestion]:
    """The questions of a LiveQA test-set XML file."""
    questions = []
    for element in ET.parse(path).getroot().iter("NLM-QUESTION"):
        subject = (element.findtext("Original-Question/SUBJECT") or "").strip()
        message = (element.findtext("Original-Question/MESSAGE") or "").strip()
        summary = " ".join((element.findtext("NLM-Summary") or "").split())
        number = int(element.get("qid", "TQ0").removeprefix("TQ"))
        questions.append(LiveQuestion(number, " ".join(f"{subject} {message}".split()), summary))
    return questions


def read_qrels(path: Path) -> dict[int, dict[str, int]]:
    """Per question number: AnswerID (without `.txt`) -> grade (1 incorrect ... 4 excellent)."""
    qrels: dict[int, dict[str, int]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        parts = line.split()
        if len(parts) == 3:
            qrels.setdefault(int(parts[0]), {})[parts[2].removesuffix(".txt")] = int(parts[1].split("-")[0])
    return qrels


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """nDCG@k with gain = grade - 1 (unjudged = 0), against the ideal order of the judged answers."""

    def dcg(gains: Sequence[int]) -> float:
        return sum(g / math.log2(i + 2) for i, g in enumerate(gains[:k]))

    ideal = dcg(sorted((g - 1 for g in grades.values()), reverse=True))
    return dcg([max(grades.get(d, 1) - 1, 0) for d in ranked]) / ideal if ideal > 0 else 0.0


def mrr_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """Reciprocal rank of the first relevant answer (grade 3 or 4) in the top k, else 0."""
    return next((1.0 / (i + 1) for i, d in enumerate(ranked[:k]) if grades.get(d, 0) >= RELEVANT_GRADE), 0.0)


def hit_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """1 if a relevant answer is in the top k."""
    return float(mrr_at(ranked, grades, k) > 0)


def _documents(paths: Sequence[Path]) -> list[SourceDocument]:
    return [d for d in load_all(paths) if isinstance(d, SourceDocument)]


def _bm25(documents: Sequence[SourceDocument]) -> Callable[[str, int], list[str]]:
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize([d.text for d in documents], stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    ids = [d.unit for d in documents]

    def search(query: str, k: int) -> list[str]:
        tokens = bm25s.tokenize([query], stopwords="en", stemmer=stemmer, show_progress=False)
        if not tokens.vocab:
            return []
        results, _ = retriever.retrieve(tokens, k=min(k, len(ids)), show_progress=False)
        return [ids[i] for i in results[0]]

    return search


def _ranked_units(service: MedGraph, mode: str) -> Callable[[str, int], list[str]]:
    def search(query: str, k: int) -> list[str]:
        hits = service.search(query, k=5 * k, tier="reference", mode=mode)
        return list(dict.fromkeys(h.external_id for h in hits if h.external_id))[:k]

    return search


def _evaluate(
    searches: dict[str, Callable[[str, int], list[str]]],
    questions: Sequence[LiveQuestion],
    qrels: dict[int, dict[str, int]],
    pubmedqa: dict[str, str],
) -> dict[str, dict[str, float]]:
    figures: dict[str, dict[str, float]] = {}
    judged = [q for q in questions if q.number in qrels]
    for name, search in searches.items():
        row: dict[str, float] = {}
        latencies = []
        for variant in ("original", "summary"):
            scores = {"ndcg10": [], "mrr10": [], "hit10": []}
            for question in judged:
                started = time.perf_counter()
                ranked = search(getattr(question, variant), 10)
                latencies.append(time.perf_counter() - started)
                grades = qrels[question.number]
                scores["ndcg10"].append(ndcg_at(ranked, grades))
                scores["mrr10"].append(mrr_at(ranked, grades))
                scores["hit10"].append(hit_at(ranked, grades))
            row.update({f"{metric}_{variant}": statistics.fmean(v) if v else 0.0 for metric, v in scores.items()})
        if pubmedqa:
            row["pubmedqa_top5_gold"] = statistics.fmean(float(pmid in search(q, 5)) for pmid, q in pubmedqa.items())
        ordered = sorted(latencies)
        row["p50_ms"] = 1000 * ordered[len(ordered) // 2] if ordered else 0.0
        row["p95_ms"] = 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else 0.0
        figures[name] = row
    return figures


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--questions", type=Path, default=DATA / "liveqa" / "questions_dev.xml")
    parser.add_argument("--qrels", type=Path, default=DATA / "liveqa" / "qrels_dev.txt")
    parser.add_argument("--medquad", type=Path, default=DATA / "medquad")
    parser.add_argument("--judged", type=Path, default=DATA / "medquad" / "judged_answers.csv")
    parser.add_argument(
        "--pubmedqa", default=str(DATA / "pubmedqa" / "ori_pqal.json"), help="PubMedQA-L file ('' to leave it out)"
    )
    parser.add_argument("--medquad-limit", type=int, default=None, help="only the first N MedQuAD XML files")
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    parser.add_argument("--use-configured", action="store_true", help="search what NEO4J_URI already holds")
    args = parser.parse_args()
    questions, qrels = read_questions(args.questions), read_qrels(args.qrels)
    with tempfile.TemporaryDirectory() as scratch:
        corpus = medquad_corpus(args.medquad, args.judged, args.medquad_limit, Path(scratch))
        documents = _documents(corpus)
        pubmedqa_path = [Path(args.pubmedqa)] if args.pubmedqa else []
        pubmedqa = {d.unit: dict(d.metadata).get("question", "") for d in _documents(pubmedqa_path)}
        searches: dict[str, Callable[[str, int], list[str]]] = {"bm25": _bm25(documents + _documents(pubmedqa_path))}

        def run(service: MedGraph) -> dict[str, dict[str, float]]:
            if not args.use_configured:
                service.load_vocabulary("open", args.vocab)
                service.ingest([*corpus, *pubmedqa_path], tier="reference")
            searches.update({mode: _ranked_units(service, mode) for mode in MODES})
            return _evaluate(searches, questions, qrels, pubmedqa)

        if args.use_configured:
            with MedGraph(load_settings()) as service:
                figures = run(service)
        else:
            with scratch_local_server(PASSWORD, heap="2g", pagecache_mb=1024) as uri:
                with MedGraph(load_settings(neo4j={"uri": uri, "password": PASSWORD})) as service:
                    figures = run(service)
    columns = [
        "ndcg10_original",
        "ndcg10_summary",
        "mrr10_original",
        "mrr10_summary",
        "hit10_original",
        "hit10_summary",
        "p50_ms",
        "p95_ms",
    ]
    print_table(
        f"LiveQA: {sum(q.number in qrels for q in questions)} judged questions x 2 variants over "
        f"{len(documents):,} MedQuAD units",
        ["mode", *columns],
        [[name, *(row.get(c, "-") for c in columns)] for name, row in figures.items()],
    )
    print_report(
        f"PubMedQA-L: {len(pubmedqa):,} questions, share with the gold PMID in the top 5",
        ["mode", "pubmedqa_top5_gold"],
        [[name, row.get("pubmedqa_top5_gold", "-")] for name, row in figures.items()] if pubmedqa else [],
        {
            "benchmark": "retrieval",
            "units": len(documents),
            "pubmedqa_questions": len(pubmedqa),
            "modes": {name: {k: round(v, 4) for k, v in row.items()} for name, row in figures.items()},
        },
    )


if __name__ == "__main__":
    main()
