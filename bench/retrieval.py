"""Retrieval quality and latency per search mode, with BM25 in the same process.

    python -m bench.retrieval [--questions XML] [--qrels TXT] [--medquad DIR] [--judged FILE]
                              [--pubmedqa FILE] [--medquad-limit N] [--use-configured]

LiveQA: the corpus is MedQuAD (one unit per QA pair with answer text, plus the judged answers the XML
withholds), ingested as the reference tier and keyed by AnswerID. Each question is asked twice: its
original subject + message, and its NLM summary. Per mode: nDCG@10 (gain = grade - 1), MRR@10 and
hit@10 (relevant = grade 3 or 4), and latency p50 / p95 (steady state: of a second pass over the
questions; the first pass's p95 beside them). PubMedQA-L: the share of questions whose
top-5 evidence includes a chunk of the gold PMID. Paired by question, per variant: each mode's
nDCG@10 against the best baseline (BM25 or a single-index mode; for a baseline the best other one):
the mean difference, a randomization test's p-value and a 95% bootstrap interval (bench/stats.py).
By default a throwaway neo4j-local is started and both corpora are ingested; --use-configured
searches what NEO4J_URI already holds. --per-query FILE writes each question's nDCG@10 per mode
(TSV); --against FILE pairs each mode with the same mode of that file, written by a run with other
settings, and adds the comparison to the JSON line.
"""

from __future__ import annotations

import argparse
import math
import statistics
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import bm25s
import Stemmer

from bench.ingest import DATA, medquad_corpus
from bench.report import print_report, print_table
from bench.stats import (
    COMPARISON_COLUMNS,
    Comparison,
    compare_runs,
    compare_to_best,
    comparison_cells,
    latency_ms,
    read_per_query,
    write_per_query,
)
from medgraphrag.cli.output import progress, progress_bars
from medgraphrag.core.settings import load_settings
from medgraphrag.graph.server import scratch_local_server
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.ingest.loaders import SourceDocument, load_all
from medgraphrag.ingest.pipeline import IngestReport
from medgraphrag.retrieval.retriever import MODES, U_RETRIEVE
from medgraphrag.service import MedGraph

PASSWORD = "bench-password"
RELEVANT_GRADE = 3
# The systems a mode is compared with: BM25 and the single-index modes.
BASELINES = ("bm25", *(mode for mode in MODES if mode != U_RETRIEVE))

Search = Callable[[str, int], list[str]]


# Each LiveQA question is asked in the consumer's words and as NLM's summary.
VARIANTS = ("original", "summary")


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


def ndcg(ranked: Sequence[str], gains: Mapping[str, float], k: int = 10) -> float:
    """nDCG@k with linear gain `gains[d]` (unlisted = 0), against the ideal order of all the gains."""

    def dcg(values: Sequence[float]) -> float:
        return sum(g / math.log2(i + 2) for i, g in enumerate(values[:k]))

    ideal = dcg(sorted(gains.values(), reverse=True))
    return dcg([gains.get(d, 0) for d in ranked]) / ideal if ideal > 0 else 0.0


def ndcg_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """nDCG@k with gain = grade - 1 (unjudged = 0), against the ideal order of the judged answers."""
    return ndcg(ranked, {d: max(g - 1, 0) for d, g in grades.items()}, k)


def mrr_at(ranked: Sequence[str], grades: Mapping[str, int], k: int = 10, relevant: int = RELEVANT_GRADE) -> float:
    """Reciprocal rank of the first relevant answer (grade `relevant` or more; LiveQA: 3 or 4) in
    the top k, else 0."""
    return next((1.0 / (i + 1) for i, d in enumerate(ranked[:k]) if grades.get(d, 0) >= relevant), 0.0)


def hit_at(ranked: Sequence[str], grades: dict[str, int], k: int = 10) -> float:
    """1 if a relevant answer is in the top k."""
    return float(mrr_at(ranked, grades, k) > 0)


def source_documents(paths: Sequence[Path]) -> list[SourceDocument]:
    """The documents the loaders read from `paths` (errors left out)."""
    return [d for d in load_all(paths) if isinstance(d, SourceDocument)]


def bm25_search(documents: Sequence[SourceDocument]) -> Search:
    """BM25 (bm25s, English stop words, Snowball stemming) over the documents' text: a query and k
    give the units of the k best documents."""
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(
            [f"{d.title}\n\n{d.text}" for d in documents], stopwords="en", stemmer=stemmer, show_progress=False
        ),
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


def ranked_units(service: MedGraph, mode: str, *, chunks_per_unit: int = 5) -> Search:
    """Search by `mode` in the reference tier: a query and k give the external ids of the k best
    documents, each ranked by its best chunk among the `chunks_per_unit` * k best chunks."""

    def search(query: str, k: int) -> list[str]:
        hits = service.search(query, k=chunks_per_unit * k, tier="reference", mode=mode)
        return list(dict.fromkeys(h.external_id for h in hits if h.external_id))[:k]

    return search


@dataclass(frozen=True)
class Timed:
    """Each query's ranking, and the seconds each took on a first pass over all the queries (cold:
    the database reads its pages from disk and plans its queries) and on a second (steady state,
    as a running service answers)."""

    rankings: list[list[str]]
    first: list[float]
    steady: list[float]

    def latencies(self) -> dict[str, float]:
        """p50 and p95 of the steady pass and p95 of the first, in milliseconds."""
        p50, p95 = latency_ms(self.steady)
        return {"p50_ms": p50, "p95_ms": p95, "p95_first_ms": latency_ms(self.first)[1]}


def run_queries(search: Search, queries: Sequence[str], k: int) -> Timed:
    """Each query's ranking of k units by `search`, timed on two passes over the queries."""
    passes: list[list[float]] = []
    for _ in range(2):
        rankings, seconds = [], []
        for query in queries:
            started = time.perf_counter()
            rankings.append(search(query, k))
            seconds.append(time.perf_counter() - started)
        passes.append(seconds)
    return Timed(rankings, *passes)


@contextmanager
def working_folder(path: Path | None) -> Iterator[Path]:
    """`path` (made if missing), or a temporary folder removed afterwards."""
    if path is None:
        with tempfile.TemporaryDirectory(prefix="bench-") as folder:
            yield Path(folder)
    else:
        path.mkdir(parents=True, exist_ok=True)
        yield path


@contextmanager
def scratch_service(*, paths: Mapping[str, Any] | None = None, home: Path | None = None) -> Iterator[MedGraph]:
    """A MedGraph service on a neo4j-local sized for the benchmarks, thrown away unless `home` keeps
    its graph for the next run; `paths` overrides the path settings (`data_dir`: where its local
    state goes)."""
    with scratch_local_server(PASSWORD, heap="2g", pagecache_mb=1024, home=home) as uri:
        with MedGraph(load_settings(neo4j={"uri": uri, "password": PASSWORD}, paths=paths or {})) as service:
            yield service


def ingest_reference(service: MedGraph, paths: Sequence[Path], vocab: Path) -> IngestReport:
    """Load the open vocabulary of `vocab` (unless a kept graph has one: loading it again would
    make every document's build stale), then ingest `paths` as the reference tier with the
    pipeline's progress bars (one per stage, by the stage's name)."""
    if not service.vocabularies():
        service.load_vocabulary("open", vocab)
    with progress() as bars:
        return service.ingest(paths, tier="reference", on_progress=progress_bars(bars, {}))


def _evaluate(
    searches: dict[str, Search],
    questions: Sequence[LiveQuestion],
    qrels: dict[int, dict[str, int]],
    pubmedqa: dict[str, str],
) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, Comparison]], dict[str, dict[str, float]]]:
    """The figures per mode; per variant each mode's nDCG@10 against the best baseline's, paired by
    question; and per mode each question's nDCG@10, keyed `variant:number`."""
    figures: dict[str, dict[str, float]] = {}
    ndcg10: dict[str, dict[str, list[float]]] = {variant: {} for variant in VARIANTS}
    judged = [q for q in questions if q.number in qrels]
    for name, search in searches.items():
        row: dict[str, float] = {}
        timed = run_queries(search, [getattr(q, variant) for variant in VARIANTS for q in judged], 10)
        for i, variant in enumerate(VARIANTS):
            rankings = timed.rankings[i * len(judged) : (i + 1) * len(judged)]
            scores: dict[str, list[float]] = {"ndcg10": [], "mrr10": [], "hit10": []}
            for question, ranked in zip(judged, rankings):
                grades = qrels[question.number]
                scores["ndcg10"].append(ndcg_at(ranked, grades))
                scores["mrr10"].append(mrr_at(ranked, grades))
                scores["hit10"].append(hit_at(ranked, grades))
            row.update({f"{metric}_{variant}": statistics.fmean(v) if v else 0.0 for metric, v in scores.items()})
            ndcg10[variant][name] = scores["ndcg10"]
        if pubmedqa:
            row["pubmedqa_top5_gold"] = statistics.fmean(float(pmid in search(q, 5)) for pmid, q in pubmedqa.items())
        row.update(timed.latencies())
        figures[name] = row
    per_query = {
        name: {
            f"{variant}:{question.number}": score
            for variant in VARIANTS
            for question, score in zip(judged, ndcg10[variant][name])
        }
        for name in searches
    }
    return figures, {variant: compare_to_best(scores, BASELINES) for variant, scores in ndcg10.items()}, per_query


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
    parser.add_argument(
        "--workdir",
        type=Path,
        default=None,
        help="where the converted corpus, local state and the graph are kept for the next run (default: temporary)",
    )
    parser.add_argument("--per-query", type=Path, default=None, help="write each question's nDCG@10 per mode (TSV)")
    parser.add_argument(
        "--against", type=Path, default=None, help="pair each mode with the same mode of this --per-query file"
    )
    args = parser.parse_args()
    earlier = read_per_query(args.against) if args.against else None
    questions, qrels = read_questions(args.questions), read_qrels(args.qrels)
    with working_folder(args.workdir) as workdir:
        corpus = medquad_corpus(args.medquad, args.judged, args.medquad_limit, workdir)
        documents = source_documents(corpus)
        pubmedqa_path = [Path(args.pubmedqa)] if args.pubmedqa else []
        pubmedqa = {d.unit: dict(d.metadata).get("question", "") for d in source_documents(pubmedqa_path)}
        searches: dict[str, Search] = {"bm25": bm25_search(documents + source_documents(pubmedqa_path))}

        def run(
            service: MedGraph,
        ) -> tuple[dict[str, dict[str, float]], dict[str, dict[str, Comparison]], dict[str, dict[str, float]]]:
            if not args.use_configured:
                ingest_reference(service, [*corpus, *pubmedqa_path], args.vocab)
            searches.update({mode: ranked_units(service, mode) for mode in MODES})
            return _evaluate(searches, questions, qrels, pubmedqa)

        if args.use_configured:
            with MedGraph(load_settings()) as service:
                figures, comparisons, per_query = run(service)
        else:
            # With --workdir the graph is kept: a later run re-ingests only what changed.
            home = None if args.workdir is None else workdir / "neo4j"
            with scratch_service(paths={"data_dir": workdir / "medgraph"}, home=home) as service:
                figures, comparisons, per_query = run(service)
    if args.per_query:
        write_per_query(args.per_query, per_query)
    against = compare_runs(per_query, earlier) if earlier is not None else {}
    paired: dict[str, dict[str, object]] = {name: {} for name in figures}
    for variant, by_mode in comparisons.items():
        for name, comparison in by_mode.items():
            paired[name].update(comparison.figures(f"_{variant}"))
    columns = [
        "ndcg10_original",
        "ndcg10_summary",
        "mrr10_original",
        "mrr10_summary",
        "hit10_original",
        "hit10_summary",
        "p50_ms",
        "p95_ms",
        "p95_first_ms",
    ]
    print_table(
        f"LiveQA: {sum(q.number in qrels for q in questions)} judged questions x 2 variants over "
        f"{len(documents):,} MedQuAD units",
        ["mode", *columns],
        [[name, *(row.get(c, "-") for c in columns)] for name, row in figures.items()],
    )
    print_table(
        "nDCG@10 of each mode against the best baseline (BM25, hybrid, vector, full-text), paired by question",
        ["mode", "question", *COMPARISON_COLUMNS],
        [
            [name, variant, *comparison_cells(by_mode.get(name))]
            for variant, by_mode in comparisons.items()
            for name in figures
        ],
    )
    if earlier is not None:
        print_table(
            f"nDCG@10 of each mode against the same mode of {args.against}, paired by question (both variants)",
            ["mode", *COMPARISON_COLUMNS],
            [[name, *comparison_cells(against.get(name))] for name in figures],
        )
    print_report(
        f"PubMedQA-L: {len(pubmedqa):,} questions, share with the gold PMID in the top 5",
        ["mode", "pubmedqa_top5_gold"],
        [[name, row.get("pubmedqa_top5_gold", "-")] for name, row in figures.items()] if pubmedqa else [],
        {
            "benchmark": "retrieval",
            "units": len(documents),
            "pubmedqa_questions": len(pubmedqa),
            "modes": {
                name: {**{k: round(v, 4) for k, v in row.items()}, **paired[name]} for name, row in figures.items()
            },
            **({"against": {name: c.figures() for name, c in against.items()}} if earlier is not None else {}),
        },
    )


if __name__ == "__main__":
    main()
