"""The figures of bench.generation: decisions, lexical support and citation counts."""

from pathlib import Path

from bench.generation import CitationFigures, decision, read_pubmedqa, supported
from medgraphrag.retrieval.evidence import Citation, Trace
from medgraphrag.retrieval.llm_answer import validated_answer

EVIDENCE = [
    Citation(
        n=1,
        kind="chunk",
        title="Pneumonia",
        source="a.txt",
        tier="reference",
        quote="Amoxicillin treats community-acquired pneumonia in adults.",
        score=1.0,
    ),
    Citation(
        n=2,
        kind="chunk",
        title="Metformin",
        source="b.txt",
        tier="reference",
        quote="Metformin is the first-line drug for type 2 diabetes.",
        score=0.5,
    ),
]


def test_the_first_decision_a_reply_names_counts() -> None:
    assert decision("Yes.") == "yes" and decision("maybe, or no") == "maybe"
    assert decision("The answer is: NO") == "no"
    assert decision("I cannot tell") is None and decision("yesterday") is None


def test_support_is_half_the_content_words_in_the_cited_evidence() -> None:
    quotes = [EVIDENCE[0].quote]
    assert supported("Pneumonia in adults is treated with amoxicillin.", quotes)
    assert not supported("Metformin lowers glucose in diabetes.", quotes)
    assert supported("It is.", quotes)  # no content words: nothing to contradict


def test_citation_figures_count_valid_numbers_covered_and_supported_sentences() -> None:
    text = "Amoxicillin treats pneumonia [1][7]. Metformin is first-line for diabetes [1]. It is common."
    answer = validated_answer("q", text, EVIDENCE, Trace(mode="u-retrieve"))
    figures = CitationFigures()
    figures.add(answer, 2.0)
    result = figures.figures()
    # cited: 1 (valid) and 7 (removed): validity 1/2
    assert result["citation_validity"] == 0.5
    # three sentences, two cite; of those, the first is supported by [1], the second is not
    assert result["sentence_coverage"] == round(2 / 3, 4) and result["supported_share"] == 0.5
    assert result["seconds_per_answer"] == 2.0 and result["extractive_answers"] == 0


def test_pubmedqa_is_read_with_its_decisions(tmp_path: Path) -> None:
    path = tmp_path / "pqal.json"
    path.write_text(
        '{"1": {"QUESTION": "Does it?", "CONTEXTS": ["A.", "B."], "final_decision": "maybe"}}', encoding="utf-8"
    )
    [question] = read_pubmedqa(path)
    assert (question.pmid, question.abstract, question.decision) == ("1", "A. B.", "maybe")
