import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from bench.beir import read_collection, read_qrels, recall_at, write_corpus
from bench.fusion import Judged, fit, scores
from bench.retrieval import mrr_at, ndcg
from bench.stats import (
    PERMUTATIONS,
    bootstrap_ci,
    compare,
    compare_runs,
    compare_to_best,
    comparison_cells,
    latency_ms,
    randomization_test,
    read_per_query,
    write_per_query,
)


def test_identical_systems_are_indistinguishable() -> None:
    scores = list(np.random.default_rng(1).random(60))
    assert randomization_test(scores, scores) == 1.0
    assert bootstrap_ci(scores, scores) == (0.0, 0.0)
    comparison = compare(scores, scores, "bm25")
    assert (comparison.diff, comparison.p, comparison.ci95) == (0.0, 1.0, (0.0, 0.0))


def test_a_clearly_better_system_is_significant_and_its_interval_excludes_zero() -> None:
    rng = np.random.default_rng(2)
    baseline = rng.random(80)
    better = baseline + 0.1 + rng.normal(0, 0.05, 80)
    p = randomization_test(better, baseline)
    assert p == pytest.approx(1 / (PERMUTATIONS + 1))  # no sign pattern is as extreme
    low, high = bootstrap_ci(better, baseline)
    assert 0 < low < float(np.mean(better - baseline)) < high < 0.2
    # The test is two-sided: the worse system against the better one is just as significant.
    assert randomization_test(baseline, better) == p
    assert bootstrap_ci(baseline, better) == pytest.approx((-high, -low), abs=0.01)


def test_small_samples_are_tested_exactly() -> None:
    # Sign patterns of (1, 2, 3): only all-plus and all-minus reach |mean| 2.
    assert randomization_test([1, 2, 3], [0, 0, 0]) == 0.25
    assert randomization_test([1, 1, 1, 1], [0, 0, 0, 0]) == 2 / 16
    # (3, -1): every sign pattern's |mean| (1, 1, 2, 2) reaches the observed 1.
    assert randomization_test([3, -1], [0, 0]) == 1.0
    assert randomization_test([0.5, 0.5], [0.25, 0.25]) == 0.5
    assert randomization_test([], []) == 1.0


def test_the_random_test_approximates_the_exact_one() -> None:
    d = np.random.default_rng(3).normal(0.15, 0.5, 14)  # 2^14 patterns: more than the permutations
    signs = np.array(list(itertools.product((1.0, -1.0), repeat=14)))
    exact = float(np.mean(np.abs(signs @ d) >= abs(d.sum()) - 1e-9))
    assert 0.05 < exact < 0.95
    p = randomization_test(list(d), [0.0] * 14)
    assert p == pytest.approx(exact, abs=0.015)
    assert randomization_test(list(d), [0.0] * 14) == p  # fixed seed: the same p every run


def test_bootstrap_interval_of_a_constant_difference_and_of_a_known_spread() -> None:
    assert bootstrap_ci([0.7] * 30, [0.5] * 30) == pytest.approx((0.2, 0.2))
    d = np.random.default_rng(4).normal(0.0, 1.0, 400)
    low, high = bootstrap_ci(list(d), [0.0] * 400)
    half = 1.96 * float(d.std()) / math.sqrt(400)  # the normal approximation
    assert low == pytest.approx(float(d.mean()) - half, abs=0.02)
    assert high == pytest.approx(float(d.mean()) + half, abs=0.02)


def test_unpaired_scores_are_refused() -> None:
    with pytest.raises(ValueError, match="unequal length"):
        randomization_test([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="unequal length"):
        bootstrap_ci([1.0], [1.0, 2.0])


def test_each_system_is_compared_with_the_best_other_baseline() -> None:
    scores = {
        "bm25": [0.2, 0.3, 0.1, 0.4],
        "u-retrieve": [0.9, 0.9, 0.9, 0.9],  # best overall, but no baseline
        "hybrid": [0.5, 0.4, 0.6, 0.5],
        "vector": [0.4, 0.4, 0.5, 0.5],
    }
    comparisons = compare_to_best(scores, ["bm25", "hybrid", "vector"])
    assert {name: c.against for name, c in comparisons.items()} == {
        "bm25": "hybrid",
        "u-retrieve": "hybrid",
        "hybrid": "vector",
        "vector": "hybrid",
    }
    assert comparisons["u-retrieve"].diff == pytest.approx(0.4)
    assert comparisons["vector"].diff == pytest.approx(-0.05)
    assert compare_to_best({"bm25": [0.1]}, ["bm25"]) == {}  # nothing to compare with
    figures = comparisons["u-retrieve"].figures("_summary")
    assert set(figures) == {"best_summary", "diff_vs_best_summary", "p_vs_best_summary", "ci95_vs_best_summary"}
    interval = figures["ci95_vs_best_summary"]  # differences 0.4, 0.5, 0.3, 0.4
    assert isinstance(interval, list)
    low, high = interval
    assert 0.3 <= low < 0.4 < high <= 0.5
    assert comparison_cells(None) == ["-"] * 4
    assert comparison_cells(comparisons["u-retrieve"])[:3] == ["hybrid", "+0.400", f"[+{low:.3f}, +{high:.3f}]"]


def test_latency_percentiles() -> None:
    seconds = [i / 1000 for i in range(20, 0, -1)]  # 1 ... 20 ms, unordered
    assert latency_ms(seconds) == pytest.approx((11.0, 20.0))
    assert latency_ms([]) == (0.0, 0.0)


def test_beir_metrics_use_linear_gain_and_any_positive_grade() -> None:
    grades = {"a": 2, "b": 1, "c": 1}
    assert ndcg(["a", "b", "c"], grades) == pytest.approx(1.0)
    ideal = 2 + 1 / math.log2(3) + 1 / math.log2(4)
    assert ndcg(["x", "b"], grades) == pytest.approx((1 / math.log2(3)) / ideal)
    assert mrr_at(["x", "y", "c"], grades, relevant=1) == pytest.approx(1 / 3)
    assert recall_at(["c", "x", "a"], grades) == pytest.approx(2 / 3)
    assert recall_at(["x"] * 100 + ["a"], grades) == 0.0  # past the depth
    assert recall_at(["a"], {"a": 0}) == 0.0


def test_beir_queries_qrels_and_corpus_are_read_and_limited(tmp_path: Path) -> None:
    qrels = tmp_path / "dev.tsv"
    qrels.write_text("query-id\tcorpus-id\tscore\nq2\td1\t2\nq1\td2\t1\nq1\td3\t1\n", encoding="utf-8")
    assert read_qrels(qrels) == {"q2": {"d1": 2}, "q1": {"d2": 1, "d3": 1}}
    queries = tmp_path / "queries.jsonl"
    lines = [{"_id": "q0", "text": "unjudged"}, {"_id": "q1", "text": "first"}, {"_id": "q2", "text": "second"}]
    queries.write_text("\n".join(json.dumps(q) for q in lines) + "\n", encoding="utf-8")
    collection = read_collection(queries, qrels)
    assert collection.queries == {"q1": "first", "q2": "second"}  # only judged ones, in file order
    limited = read_collection(queries, qrels, limit=1)
    assert (limited.queries, limited.qrels) == ({"q1": "first"}, {"q1": {"d2": 1, "d3": 1}})

    corpus = tmp_path / "corpus.jsonl"
    documents = [
        {"_id": "d0", "title": "Zero", "text": "zero text"},
        {"_id": "d1", "title": "", "text": "one text"},
        {"_id": "d2", "title": "Two", "text": "two text"},
        {"_id": "d4", "title": "", "text": " "},
        {"_id": "d5", "title": "Five", "text": "five text"},
        {"_id": "d3", "title": "Three", "text": ""},
    ]
    corpus.write_text("\n".join(json.dumps(d) for d in documents) + "\n", encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert write_corpus(corpus, out) == 5  # d4 has no text at all
    written = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert written[0] == {"id": "d0", "title": "Zero", "text": "zero text"}
    assert written[1] == {"id": "d1", "title": "", "text": "one text"}
    assert written[-1] == {"id": "d3", "title": "Three", "text": "Three"}
    # The judged documents of the chosen query, and the first N others.
    assert write_corpus(corpus, out, keep={"d2", "d3"}, others=1) == 3
    assert [json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines()] == ["d0", "d2", "d3"]


def test_the_fusion_fit_weighs_the_ranking_that_finds_relevant_documents_and_scores_follow() -> None:
    # "vector" ranks the relevant document first, "fulltext" ranks it last; the other rankings are noise.
    judged = []
    for q in range(40):
        docs = [f"q{q}d{i}" for i in range(12)]
        relevant = docs[q % 12]
        others = [d for d in docs if d != relevant]
        noise = others[q % 5 :] + others[: q % 5]
        rankings = {
            "vector": [relevant, *others],
            "fulltext": [*others, relevant],
            "synonyms": noise[:6],
            "kin": [],
            "graph": noise[::-1],
            "route": [],
        }
        judged.append(Judged({s: [f"{d}#0" for d in r] for s, r in rankings.items()}, {relevant: 2}))
    chunk_docs = {f"q{q}d{i}#0": f"q{q}d{i}" for q in range(40) for i in range(12)}
    weights, strength = fit(judged, ["vector", "fulltext", "synonyms", "kin", "graph", "route"], chunk_docs)
    assert max(weights, key=weights.__getitem__) == "vector"
    assert weights["fulltext"] == 0.0 and sum(weights.values()) == pytest.approx(6.0)
    assert strength > 0
    assert scores(judged, {"vector": 1.0}, chunk_docs)["ndcg10"] == [1.0] * 40
    assert sum(scores(judged, {"fulltext": 1.0}, chunk_docs)["ndcg10"]) < 40 * 0.5
    assert sum(scores(judged, weights, chunk_docs)["ndcg10"]) == pytest.approx(40.0)


def test_per_query_scores_round_trip_and_pair_with_an_earlier_run_on_shared_queries(tmp_path: Path) -> None:
    path = tmp_path / "run.tsv"
    write_per_query(path, {"vector": {"q1": 0.5, "q2": 0.25, "q3": 1.0}, "bm25": {"q1": 0.0, "q2": 0.5, "q3": 0.5}})
    earlier = read_per_query(path)
    assert earlier == {"vector": {"q1": 0.5, "q2": 0.25, "q3": 1.0}, "bm25": {"q1": 0.0, "q2": 0.5, "q3": 0.5}}
    # This run asks q4 too (the earlier run did not) and has a system the earlier one lacks.
    now = {"vector": {"q1": 0.75, "q2": 0.5, "q3": 1.0, "q4": 0.0}, "hybrid": {"q1": 1.0}}
    comparisons = compare_runs(now, earlier)
    assert set(comparisons) == {"vector"}
    assert comparisons["vector"].diff == pytest.approx((0.25 + 0.25 + 0.0) / 3)
    assert comparisons["vector"].against == "earlier run"
