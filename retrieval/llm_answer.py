"""Answers written by an LLM under a citation contract: a first answer from the numbered evidence,
the paper's bottom-up refinement with the summaries of the route's ancestor tags, then validation
(numbers that name no evidence are removed and reported; sentences that cite nothing are flagged)."""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence

from pydantic import BaseModel

from medgraphrag.models.llm import ChatModel
from medgraphrag.models.prompts import PROMPTS
from medgraphrag.nlp.sentences import parse
from medgraphrag.retrieval.evidence import Answer, Citation, Claim, Trace

# [3], [1, 4], [1; 4]: a bracket of evidence numbers.
CITATION = re.compile(r"\[\s*(\d+(?:\s*[,;]\s*\d+)*)\s*\]")
QUOTE_CHARS = 900


class QuestionTerms(BaseModel):
    """The medical terms of a question (the LLM's tag summary of it)."""

    terms: list[str]


def question_terms(model: ChatModel, question: str) -> list[str]:
    """The medical terms the question names or implies, as the answer model summarizes them."""
    answer = model.complete_json(
        PROMPTS["question_terms_system"], PROMPTS["question_terms_user"].format(question=question), QuestionTerms
    )
    return [t.strip() for t in answer.terms if t.strip()]


def render_evidence(citations: Sequence[Citation]) -> str:
    """The evidence as the model sees it: one numbered item per citation, with where it comes from
    and what in it is not a present finding of the patient (negated, a relative's, conditional...)."""
    lines = []
    for c in citations:
        if c.kind == "concept":
            origin = f"concept {c.concept_id}, {c.title}; definition from {c.source}"
        else:
            page = f", page {c.page_start}" if c.page_start is not None else ""
            origin = f"{c.tier} document {c.title!r}{page}"
        quote = " ".join(c.quote.split())
        lines.append(f"[{c.n}] ({origin}) {quote[:QUOTE_CHARS]}{'…' if len(quote) > QUOTE_CHARS else ''}")
        if c.qualified:
            noted = "; ".join(dict.fromkeys(f"{m.surface}: {m.status}" for m in c.qualified))
            lines.append(f"    not the patient's present findings: {noted}")
    return "\n".join(lines)


def llm_answer_events(
    model: ChatModel, question: str, citations: list[Citation], trace: Trace, summaries: Sequence[str] = ()
) -> Iterator[str | Answer]:
    """An answer from the model citing the evidence, refined with each of `summaries` in turn
    (bottom-up: the nearest ancestor tag first), as it happens: the pieces of the final pass's text
    as the model generates them, then the validated answer, whose trace records the model's calls,
    tokens and seconds."""
    evidence = render_evidence(citations)
    prompts: list[tuple[str, str, dict[str, str]]] = [(PROMPTS["answer_system"], PROMPTS["answer_user"], {})] + [
        (PROMPTS["refine_system"], PROMPTS["refine_user"], {"summary": summary}) for summary in summaries
    ]
    text = ""
    for number, (system, user, extra) in enumerate(prompts):
        message = user.format(question=question, answer=text, evidence=evidence, **extra)
        if number < len(prompts) - 1:
            text = model.complete(system, message)
            continue
        pieces = []
        for piece in model.stream(system, message):
            pieces.append(piece)
            yield piece
        text = "".join(pieces)
    yield validated_answer(question, text, citations, trace.model_copy(update={"llm": model.usage}))


def validated_answer(question: str, text: str, citations: list[Citation], trace: Trace) -> Answer:
    """The answer with its citations checked against the evidence: numbers that name no evidence
    are removed from the text and reported; sentences left citing nothing are flagged."""
    known = {c.n for c in citations}
    removed: list[int] = []

    def keep_known(match: re.Match[str]) -> str:
        numbers = [int(n) for n in re.split(r"[,;\s]+", match.group(1)) if n]
        removed.extend(n for n in numbers if n not in known)
        return "".join(f"[{n}]" for n in numbers if n in known)

    cleaned = CITATION.sub(keep_known, text.strip())
    # "... glucose. [2]": a citation after the full stop belongs to the sentence before it.
    cleaned = _tidy(
        re.sub(r"([.!?])((?:\s*\[\d+\])+)", lambda m: " " + "".join(m.group(2).split()) + m.group(1), cleaned)
    )
    claims: list[Claim] = []
    for span in parse([cleaned])[0]:
        sentence = cleaned[span.start : span.end]
        numbers = [int(n) for n in CITATION.findall(sentence)]
        words = CITATION.sub("", sentence).strip()
        if not re.search(r"\w", words):
            continue
        claims.append(Claim(text=_tidy(" ".join(words.split())), citations=list(dict.fromkeys(numbers))))
    uncited = [c.text for c in claims if not c.citations]
    return Answer(
        question=question,
        text=cleaned,
        mode="llm",
        claims=claims,
        citations=citations,
        removed_citations=sorted(set(removed)),
        uncited=uncited,
        trace=trace,
    )


def _tidy(text: str) -> str:
    """No run of spaces, and no space before punctuation (where a citation was taken out)."""
    return re.sub(r"[ \t]+([.,;:!?])", r"\1", re.sub(r"[ \t]{2,}", " ", text))
