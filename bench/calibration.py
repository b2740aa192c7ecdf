"""The similarity thresholds of one embedding model carried over to another, by matching quantiles.

    python -m bench.calibration [--from all-MiniLM-L6-v2] [--to bge-small-en-v1.5-q]
                                [--corpus JSONL] [--queries JSONL] [--qrels TSV] [--vocab DIR]
                                [--questions N] [--documents N] [--names N]

Each threshold of medgraphrag compares one kind of text pair, and two models spread their cosine
similarities differently (bge-small-en-v1.5 rarely scores any two English texts below 0.3;
all-MiniLM-L6-v2 often scores unrelated ones near 0). A threshold that was chosen for the first
model is carried to the second so that the same share of pairs passes: t' = Q'(F(t)), where F is
the first model's distribution of that kind of similarity and Q' the second's quantile function,
both measured on the same texts. The kinds, as the pipeline computes them:

- topic (MEDGRAPH_CHUNK_TOPIC_THRESHOLD): at each sentence boundary of an NFCorpus document, the
  mean vector of the two sentences before against the two after (ingest/chunking.py); and, for
  the default words signal, which no model changes, the share of boundaries whose two sides share
  no content word (similarity under 0.01) beside the share the second model breaks at;
- reference and same_as: each entity name's nearest other name among vocabulary names (DOID labels
  and MeSH headings), the similarity of REFERENCE_OF by embedding and of SAME_AS;
- tag merge (MEDGRAPH_TAG_MERGE_THRESHOLD): each document's nearest other document, as tag
  summaries are compared when tags are grouped;
- fallback (MEDGRAPH_U_FALLBACK_THRESHOLD): a question (in the model's query form) against the
  document nearest to it, as U-retrieve's best leaf tag;
- extractive (the extractive answer's least sentence similarity): a question against each sentence
  of the documents judged for it.

The defaults are the first 100 of NFCorpus's train queries (never its dev or test queries), the
documents judged for them and 500 others, and 4,000 of the open vocabulary's names. A table, then one JSON line.
"""

from __future__ import annotations

import argparse
import csv
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bench.beir import NFCORPUS, read_collection
from bench.report import print_report
from medgraphrag.core.settings import WORDS_TOPIC_THRESHOLD, load_settings, similarity_thresholds
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR
from medgraphrag.ingest.chunking import boundary_similarities, word_similarities
from medgraphrag.ingest.context import contextual
from medgraphrag.models.embeddings import BUNDLED_MODEL, Embedder, model_cache_dir
from medgraphrag.nlp.sentences import parse


@dataclass(frozen=True)
class Threshold:
    """A similarity threshold of medgraphrag: its setting, the kind of pair it judges, and its field
    of `SimilarityThresholds`."""

    setting: str
    kind: str
    field: str

    def value(self, model: str) -> float:
        """The threshold's value for the embedding model `model`."""
        return float(getattr(similarity_thresholds(model), self.field))


THRESHOLDS = (
    Threshold("MEDGRAPH_CHUNK_TOPIC_THRESHOLD", "topic", "topic"),
    Threshold("MEDGRAPH_REFERENCE_LINK_THRESHOLD", "names", "reference"),
    Threshold("MEDGRAPH_SAME_AS_THRESHOLD", "names", "same_as"),
    Threshold("MEDGRAPH_TAG_MERGE_THRESHOLD", "documents", "tag_merge"),
    Threshold("MEDGRAPH_U_FALLBACK_THRESHOLD", "questions", "fallback"),
    Threshold("extractive answer min_similarity", "sentences", "extractive"),
)


@dataclass(frozen=True)
class Texts:
    """The texts whose similarities are measured."""

    documents: list[str]
    sentences: list[list[str]]  # per document
    names: list[str]
    questions: list[str]
    judged: list[list[int]]  # per question: the indexes of its judged documents


def read_texts(
    corpus: Path, queries: Path, qrels: Path, vocab: Path, *, questions: int, documents: int, names: int
) -> Texts:
    """The first `questions` judged queries, the documents judged for them and the first `documents`
    others, their sentences, and every k-th of the vocabulary's names up to `names`."""
    collection = read_collection(queries, qrels, questions)
    wanted = {d for grades in collection.qrels.values() for d in grades}
    rows: dict[str, str] = {}
    others = 0
    with corpus.open(encoding="utf-8") as handle:
        for line in handle:
            record = json.loads(line)
            if record["_id"] not in wanted:
                if others >= documents:
                    continue
                others += 1
            rows[record["_id"]] = contextual(record.get("title", ""), record.get("text", ""))
    ids = list(rows)
    index = {doc_id: i for i, doc_id in enumerate(ids)}
    texts = [rows[i] for i in ids]
    split = parse(texts)
    return Texts(
        documents=texts,
        sentences=[[text[s.start : s.end] for s in sentences] for text, sentences in zip(texts, split)],
        names=_names(vocab, names),
        questions=[collection.queries[q] for q in collection.qrels],
        judged=[[index[d] for d in grades if d in index] for grades in collection.qrels.values()],
    )


def _names(vocab: Path, limit: int) -> list[str]:
    names: set[str] = set()
    with (vocab / "doid" / "HumanDO.tsv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            names.add(row["label"].strip('"'))
    with (vocab / "mesh" / "descriptors.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            names.add(row["subject"])
    ordered = sorted(n for n in names if n)
    step = max(1, len(ordered) // limit)
    return ordered[::step][:limit]


def similarities(embedder: Embedder, texts: Texts) -> dict[str, np.ndarray]:
    """Per kind of pair, the similarities the model gives."""
    documents = embedder.embed(texts.documents)
    names = embedder.embed(texts.names)
    questions = embedder.embed_queries(texts.questions)
    flat = [s for sentences in texts.sentences for s in sentences]
    sentence_vectors = embedder.embed(flat)
    offsets = np.cumsum([0] + [len(s) for s in texts.sentences])
    topic = [boundary_similarities(sentence_vectors[offsets[i] : offsets[i + 1]]) for i in range(len(texts.documents))]
    extractive = [
        sentence_vectors[offsets[d] : offsets[d + 1]] @ question
        for question, judged in zip(questions, texts.judged)
        for d in judged
    ]
    return {
        "topic": np.concatenate(topic),
        "names": _nearest(names),
        "documents": _nearest(documents),
        "questions": (questions @ documents.T).max(axis=1),
        "sentences": np.concatenate(extractive),
    }


def _nearest(vectors: np.ndarray) -> np.ndarray:
    """Each vector's similarity to its nearest other vector."""
    best = np.full(len(vectors), -1.0)
    for start in range(0, len(vectors), 1024):
        block = vectors[start : start + 1024] @ vectors.T
        for row in range(len(block)):
            block[row, start + row] = -1.0
        best[start : start + len(block)] = block.max(axis=1)
    return best


def carry(value: float, source: np.ndarray, target: np.ndarray) -> tuple[float, float]:
    """The share of `source` below `value`, and the value of `target` at that share."""
    share = float(np.mean(source < value))
    return share, float(np.quantile(target, share))


def main() -> None:
    """Run the benchmark from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--from", dest="source", default=BUNDLED_MODEL, help="the model the thresholds were set for")
    parser.add_argument("--to", dest="target", default="bge-small-en-v1.5-q", help="the model to carry them to")
    parser.add_argument("--corpus", type=Path, default=NFCORPUS / "corpus.jsonl")
    parser.add_argument("--queries", type=Path, default=NFCORPUS / "queries.jsonl")
    parser.add_argument("--qrels", type=Path, default=NFCORPUS / "qrels" / "train.tsv")
    parser.add_argument("--vocab", type=Path, default=DEFAULT_VOCAB_DIR, help="open vocabulary data folder")
    parser.add_argument("--questions", type=int, default=100, help="the first N judged queries")
    parser.add_argument("--documents", type=int, default=500, help="documents besides the judged ones")
    parser.add_argument("--names", type=int, default=4000, help="vocabulary names")
    args = parser.parse_args()
    started = time.perf_counter()
    texts = read_texts(
        args.corpus,
        args.queries,
        args.qrels,
        args.vocab,
        questions=args.questions,
        documents=args.documents,
        names=args.names,
    )
    settings = load_settings().embedding
    measured = {}
    for name in (args.source, args.target):
        embedder = Embedder(
            name,
            batch_size=settings.batch_size,
            cache_dir=model_cache_dir(),
            maven_repository=settings.maven_repository,
        )
        measured[name] = similarities(embedder, texts)
    rows, figures = [], {}
    for threshold in THRESHOLDS:
        source, target = measured[args.source][threshold.kind], measured[args.target][threshold.kind]
        given = threshold.value(args.source)
        share, value = carry(given, source, target)
        figures[threshold.setting] = {"from": given, "share_below": round(share, 4), "to": round(value, 3)}
        rows.append([threshold.setting, threshold.kind, len(source), given, share, round(value, 3)])
    words = np.concatenate([word_similarities(sentences) for sentences in texts.sentences])
    target_topic = similarity_thresholds(args.target).topic
    target_share = float(np.mean(measured[args.target]["topic"] < target_topic))
    words_share = float(np.mean(words < WORDS_TOPIC_THRESHOLD))
    figures["words_topic"] = {
        "threshold": WORDS_TOPIC_THRESHOLD,
        "share_below": round(words_share, 4),
        f"share_below_{args.target}": round(target_share, 4),
    }
    rows.append(
        [
            "MEDGRAPH_CHUNK_TOPIC_THRESHOLD, words signal",
            "topic",
            len(words),
            f"{args.target}: {target_topic} ({target_share:.3f} below)",
            words_share,
            WORDS_TOPIC_THRESHOLD,
        ]
    )
    print_report(
        f"Thresholds of {args.source} carried to {args.target} ({len(texts.documents):,} documents, "
        f"{len(texts.names):,} names, {len(texts.questions):,} questions; {time.perf_counter() - started:.0f} s)",
        ["setting", "pairs", "n", args.source, "share below", args.target],
        rows,
        {"benchmark": "calibration", "from": args.source, "to": args.target, "thresholds": figures},
    )


if __name__ == "__main__":
    main()
