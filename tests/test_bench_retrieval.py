import time
from pathlib import Path

import pytest

from bench.retrieval import hit_at, mrr_at, ndcg_at, read_qrels, read_questions, run_queries


def test_metrics_follow_the_graded_judgements() -> None:
    grades = {"a": 4, "b": 3, "c": 2, "d": 1}
    assert ndcg_at(["a", "b", "c"], grades) == pytest.approx(1.0)
    worse = ndcg_at(["c", "b", "a"], grades)
    assert 0 < worse < 1
    assert ndcg_at(["x", "d"], grades) == 0.0  # unjudged and "incorrect" answers gain nothing
    assert mrr_at(["c", "x", "b"], grades) == pytest.approx(1 / 3)
    assert mrr_at(["c", "d"], grades) == 0.0 and hit_at(["c", "d"], grades) == 0.0
    assert hit_at(["x"] * 9 + ["a"], grades) == 1.0 and hit_at(["x"] * 10 + ["a"], grades) == 0.0


def test_liveqa_questions_and_qrels_are_read(tmp_path: Path) -> None:
    questions = tmp_path / "q.xml"
    questions.write_text(
        '<LiveQA2017-Medical-Test-Set-Full><NLM-QUESTION qid="TQ7"><Original-Question qfile="7.txt">'
        "<SUBJECT>Gout</SUBJECT><MESSAGE>what   helps\n gout pain</MESSAGE></Original-Question>"
        "<NLM-Summary>What are the treatments for gout?</NLM-Summary></NLM-QUESTION>"
        "</LiveQA2017-Medical-Test-Set-Full>",
        encoding="utf-8",
    )
    [question] = read_questions(questions)
    assert (question.number, question.original, question.summary) == (
        7,
        "Gout what helps gout pain",
        "What are the treatments for gout?",
    )
    qrels = tmp_path / "qrels.txt"
    qrels.write_text("7 4-Excellent GHR_0000001_Sec1.txt\n7 1-Incorrect ADAM_0000002_Sec2.txt\n", encoding="utf-8")
    assert read_qrels(qrels) == {7: {"GHR_0000001_Sec1": 4, "ADAM_0000002_Sec2": 1}}


def test_latency_is_taken_in_steady_state_with_the_cold_pass_beside_it() -> None:
    calls: list[str] = []

    def search(query: str, k: int) -> list[str]:
        calls.append(query)
        if len(calls) <= 2:  # the first pass is slow, as a database reading its pages from disk
            time.sleep(0.05)
        return [f"{query}-{i}" for i in range(k)]

    timed = run_queries(search, ["a", "b"], 3)
    assert calls == ["a", "b", "a", "b"]
    assert timed.rankings == [["a-0", "a-1", "a-2"], ["b-0", "b-1", "b-2"]]
    figures = timed.latencies()
    assert figures["p95_first_ms"] >= 50 > figures["p95_ms"] >= figures["p50_ms"]
