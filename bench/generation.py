"""Generation with a real model: PubMedQA-L accuracy per evidence mode, and the citations of answers
to LiveQA questions over MedQuAD.

    python -m bench.generation [--limit N] [--pubmedqa FILE] [--questions FILE] [--judged FILE]
                               [--vocab DIR] [--k K]

The model is the configured OpenAI-compatible endpoint (MEDGRAPH_LLM_BASE_URL and
MEDGRAPH_LLM_ANSWER_MODEL, or a server `medgraph llm up` runs); with none, the local llama.cpp
server with the bundled SmolLM2-135M-Instruct is started for the run. The graph is built offline in
a throwaway neo4j-local: the 1,000 PubMedQA-L abstracts and the MedQuAD answers judged for LiveQA
(`judged_answers.csv`, the pool the questions were judged against), as the reference tier.

- PubMedQA-L (the paper's style of evaluation): the first N questions answered yes, no or maybe by
  the same model with the same prompt, given the top-k evidence of u-retrieve, of hybrid search,
  the gold abstract, or nothing; accuracy against the experts' decision (a reply naming none of the
  three is wrong), with a paired randomization test of each mode against no retrieval.
- LiveQA (the consumer's own words, first N questions): medgraphrag's LLM answer (u-retrieve
  evidence, bottom-up refinement, citation validation). Citation validity: of the distinct evidence
  numbers an answer cites, the share that name evidence. Sentence coverage: the share of the
  answer's sentences that cite evidence. Supported share: of the cited sentences, those whose
  evidence supports them lexically: at least half of the sentence's content words (normalized, as
  the vocabulary normalizes names; stop words and words under three letters left out) occur in the
  text of the evidence it cites. Also words, seconds and tokens per answer, and the answers that
  fell back to extraction because the model failed.

A table per part, then one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import re
import statistics
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from bench.ingest import DATA
from bench.report import print_report, print_table
from bench.retrieval import ingest_reference, read_questions, scratch_service
from bench.stats import randomization_test
from medgraphrag.core.processes import free_port
from medgraphrag.core.settings import LLMSettings, load_settings
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.models import local_llm
from medgraphrag.models.llm import ChatModel
from medgraphrag.nlp.names import normalize
from medgraphrag.nlp.stopwords import STOP_WORDS
from medgraphrag.retrieval.evidence import Answer
from medgraphrag.retrieval.llm_answer import render_evidence
from medgraphrag.service import MedGraph

EVIDENCE_MODES = ("u-retrieve", "hybrid", "gold", "none")
DECISIONS = ("yes", "no", "maybe")
_DECISION = re.compile(r"\b(yes|no|maybe)\b")
SUPPORTED_SHARE = 0.5
PUBMEDQA_SYSTEM = (
    "You answer biomedical research questions. Use the numbered evidence if any is given. Reply "
    "with exactly one word: yes, no or maybe."
)
PUBMEDQA_USER = "{evidence}QUESTION: {question}\nANSWER (yes, no or maybe):"


@dataclass(frozen=True)
class PubMedQuestion:
    """A PubMedQA-L question: its PMID, words, the abstract's text and the experts' decision."""

    pmid: str
    question: str
    abstract: str
    decision: str


def read_pubmedqa(path: Path) -> list[PubMedQuestion]:
    """The questions of a PubMedQA-L file (`ori_pqal.json`), in the file's order."""
    items = json.loads(path.read_text(encoding="utf-8"))
    return [
        PubMedQuestion(pmid, item["QUESTION"], " ".join(item["CONTEXTS"]), item["final_decision"])
        for pmid, item in items.items()
    ]


def decision(reply: str) -> str | None:
    """The first of yes, no and maybe a reply names; None if it names none."""
    found = _DECISION.search(reply.lower())
    return found.group(1) if found else None


def content_words(text: str) -> set[str]:
    """The normalized words of `text` that carry content (no stop words, at least three letters)."""
    return {w for w in normalize(text).split() if len(w) >= 3 and w not in STOP_WORDS}


def supported(sentence: str, evidence: Sequence[str]) -> bool:
    """Whether at least half of the sentence's content words occur in the evidence text."""
    words = content_words(sentence)
    if not words:
        return True
    found = content_words(" ".join(evidence))
    return len(words & found) >= SUPPORTED_SHARE * len(words)


@dataclass
class CitationFigures:
    """The citation figures of a set of answers."""

    answers: int = 0
    extractive: int = 0
    cited: int = 0
    cited_valid: int = 0
    sentences: int = 0
    sentences_cited: int = 0
    sentences_supported: int = 0
    words: int = 0
    seconds: float = 0.0
    tokens: int = 0

    def add(self, answer: Answer, seconds: float) -> None:
        """Count one answer that took `seconds`."""
        self.answers += 1
        self.seconds += seconds
        self.words += len(answer.text.split())
        if answer.trace.llm is not None:
            self.tokens += answer.trace.llm.prompt_tokens + answer.trace.llm.completion_tokens
        if answer.mode != "llm":
            self.extractive += 1
            return
        quotes = {c.n: c.quote for c in answer.citations}
        valid = {n for claim in answer.claims for n in claim.citations}
        self.cited += len(valid) + len(answer.removed_citations)
        self.cited_valid += len(valid)
        for claim in answer.claims:
            self.sentences += 1
            if claim.citations:
                self.sentences_cited += 1
                self.sentences_supported += supported(claim.text, [quotes[n] for n in claim.citations])

    def figures(self) -> dict[str, float]:
        """The shares and means."""
        return {
            "citation_validity": round(self.cited_valid / self.cited, 4) if self.cited else 0.0,
            "sentence_coverage": round(self.sentences_cited / self.sentences, 4) if self.sentences else 0.0,
            "supported_share": round(self.sentences_supported / self.sentences_cited, 4)
            if self.sentences_cited
            else 0.0,
            "answer_words": round(self.words / self.answers, 1) if self.answers else 0.0,
            "seconds_per_answer": round(self.seconds / self.answers, 2) if self.answers else 0.0,
            "tokens_per_answer": round(self.tokens / self.answers, 1) if self.answers else 0.0,
            "extractive_answers": self.extractive,
        }


@contextmanager
def answer_model(workdir: Path) -> Iterator[LLMSettings]:
    """The configured answer model's settings; with none, those of the bundled model served by a
    local llama.cpp server started for the run (and stopped after it)."""
    configured = load_settings().llm
    if not configured.offline:
        yield configured
        return
    settings = load_settings(paths={"data_dir": workdir / "local-llm"}, local_llm={"port": free_port()})
    state = local_llm.up(settings, echo=print)
    try:
        yield load_settings(paths={"data_dir": workdir / "local-llm"}).llm.model_copy(
            update={"base_url": state.base_url, "answer_model": state.model, "construction_model": state.model}
        )
    finally:
        local_llm.down(settings)


def pubmedqa_accuracy(
    service: MedGraph, model: ChatModel, questions: Sequence[PubMedQuestion], k: int
) -> dict[str, list[float]]:
    """Per evidence mode, 1 or 0 per question: whether the model's decision is the experts'."""
    scores: dict[str, list[float]] = {mode: [] for mode in EVIDENCE_MODES}
    for number, question in enumerate(questions, 1):
        for mode in EVIDENCE_MODES:
            if mode == "gold":
                evidence = f"[1] {question.abstract}"
            elif mode == "none":
                evidence = ""
            else:
                evidence = render_evidence(service.retrieve(question.question, k=k, mode=mode).citations)
            prompt = PUBMEDQA_USER.format(
                evidence=f"EVIDENCE:\n{evidence}\n\n" if evidence else "", question=question.question
            )
            scores[mode].append(float(decision(model.complete(PUBMEDQA_SYSTEM, prompt)) == question.decision))
        print(f"PubMedQA-L {number}/{len(questions)}", flush=True)
    return scores


def liveqa_citations(service: MedGraph, questions: Sequence[str], k: int) -> CitationFigures:
    """The citation figures of medgraphrag's LLM answers to `questions`."""
    counts = CitationFigures()
    for number, question in enumerate(questions, 1):
        started = time.perf_counter()
        answer = service.query(question, k=k)
        counts.add(answer, time.perf_counter() - started)
        print(f"LiveQA {number}/{len(questions)}", flush=True)
    return counts


def judged_pool(judged: Path, into: Path) -> Path:
    """The judged MedQuAD answers as one JSONL corpus (one unit per AnswerID)."""
    seen: set[str] = set()
    lines = []
    with judged.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            unit = row["AnswerID"].removesuffix(".txt")
            if unit not in seen and row.get("Answer", "").strip():
                seen.add(unit)
                lines.append(json.dumps({"id": unit, "text": row["Answer"], "title": unit}))
    path = into / "judged_answers.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def pubmedqa_figures(scores: dict[str, list[float]]) -> tuple[dict[str, float], dict[str, float]]:
    """Accuracy per evidence mode, and each retrieval mode's p-value against no retrieval."""
    accuracy = {mode: round(statistics.fmean(s), 4) if s else 0.0 for mode, s in scores.items()}
    p_values = {mode: round(randomization_test(scores[mode], scores["none"]), 4) for mode in EVIDENCE_MODES[:3]}
    return accuracy, p_values


def print_pubmedqa(name: str, scores: dict[str, list[float]]) -> None:
    """The PubMedQA-L table (printed as soon as that part is done)."""
    accuracy, p_values = pubmedqa_figures(scores)
    print_table(
        f"PubMedQA-L with {name}: accuracy (yes/no/maybe) by evidence, {len(scores['none'])} questions",
        ["evidence", "accuracy", "p vs none"],
        [[mode, accuracy[mode], p_values.get(mode, "-")] for mode in EVIDENCE_MODES],
    )


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--limit", type=int, default=50, help="questions of each set")
    parser.add_argument(
        "--liveqa-limit", type=int, default=None, help="LiveQA questions, if not --limit (each answer is several calls)"
    )
    parser.add_argument("--k", type=int, default=3, help="evidence items per question")
    parser.add_argument("--pubmedqa", type=Path, default=DATA / "pubmedqa" / "ori_pqal.json")
    parser.add_argument("--questions", type=Path, default=DATA / "liveqa" / "questions_dev.xml")
    parser.add_argument("--judged", type=Path, default=DATA / "medquad" / "judged_answers.csv")
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-generation-") as folder:
        workdir = Path(folder)
        with answer_model(workdir) as llm, scratch_service(paths={"data_dir": workdir / "state"}) as service:
            ingest_reference(service, [args.pubmedqa, judged_pool(args.judged, workdir)], args.vocab)
            name = llm.answer_model or "?"
            with ChatModel(
                llm.base_url or "",
                name,
                api_key=llm.api_key.get_secret_value() if llm.api_key else None,
                timeout_s=llm.timeout_s,
                max_retries=llm.max_retries,
                max_tokens=8,
            ) as model:
                scores = pubmedqa_accuracy(service, model, read_pubmedqa(args.pubmedqa)[: args.limit], args.k)
            print_pubmedqa(name, scores)
            answering = MedGraph(service.settings.replace(llm=llm.model_dump()), embedder=service.embedder)
            with answering:
                limit = args.liveqa_limit if args.liveqa_limit is not None else args.limit
                questions = [q.original for q in read_questions(args.questions)][:limit]
                citations = liveqa_citations(answering, questions, args.k).figures()
    accuracy, p_values = pubmedqa_figures(scores)
    print_report(
        f"LiveQA answers with {name} (u-retrieve evidence, refined and validated), {len(questions)} questions",
        ["figure", "value"],
        [[key, value] for key, value in citations.items()],
        {
            "benchmark": "generation",
            "model": name,
            "questions": len(scores["none"]),
            "liveqa_questions": len(questions),
            "pubmedqa_accuracy": accuracy,
            "pubmedqa_p_vs_none": p_values,
            **citations,
        },
    )


if __name__ == "__main__":
    main()
