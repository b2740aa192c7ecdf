"""bench.embeddings on a tiny BEIR collection: documents read as bench.beir ingests them, and dense
ranking by the model's query form."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bench.beir import evaluate, read_collection
from bench.embeddings import dense_search, read_passages
from medgraphrag.models.embeddings import Embedder


def test_documents_are_ranked_by_cosine_to_the_question(tmp_path: Path, embedder: Embedder) -> None:
    corpus, queries, qrels = tmp_path / "corpus.jsonl", tmp_path / "queries.jsonl", tmp_path / "qrels.tsv"
    documents = [
        {"_id": "gout", "title": "Gout", "text": "Gout is treated with colchicine and allopurinol."},
        {"_id": "asthma", "title": "Asthma", "text": "Inhaled corticosteroids control asthma."},
        {"_id": "empty", "title": "", "text": ""},
        {"_id": "paris", "title": "Paris", "text": "Paris is the capital of France."},
    ]
    corpus.write_text("".join(json.dumps(d) + "\n" for d in documents), encoding="utf-8")
    queries.write_text(
        json.dumps({"_id": "q1", "text": "how is gout treated"})
        + "\n"
        + json.dumps({"_id": "q2", "text": "unjudged"})
        + "\n",
        encoding="utf-8",
    )
    qrels.write_text("query-id\tcorpus-id\tscore\nq1\tgout\t2\n", encoding="utf-8")
    ids, texts = read_passages(corpus, None, None)
    assert ids == ["gout", "asthma", "paris"] and texts[0] == "Gout\nGout is treated with colchicine and allopurinol."
    assert read_passages(corpus, {"asthma"}, 1)[0] == ["gout", "asthma"]  # the kept ones and the first other
    search = dense_search(embedder, ids, embedder.embed(texts))
    ranked = search("how is gout treated", 2)
    assert len(ranked) == 2 and ranked[0] == "gout"
    figures, ndcg10 = evaluate({"minilm": search}, read_collection(queries, qrels))
    assert ndcg10 == {"minilm": [pytest.approx(1.0)]} and figures["minilm"]["recall100"] == 1.0
