"""Calibrate the content-embedding threshold of REFERENCE_OF (and SAME_AS) links.

    python -m bench.reference_threshold [--vocab DIR] [--source hpo ...] [--pairs 2000] [--seed 7]

Positives: a concept's preferred name and one of its synonyms (two ways of naming one thing).
Negatives, the hard kind: the same name and the most similar name of a *different* concept among
the sampled ones. Both are embedded exactly as the pipeline embeds entities (name and type); the
table gives precision, recall and F1 per threshold, and the JSON line the threshold of best F1 and
the lowest threshold reaching 0.9 precision.
"""

from __future__ import annotations

import argparse
import random

import numpy as np

from bench.report import print_report
from medgraphrag.core.settings import load_settings
from medgraphrag.graph.vocab.open_sources import DEFAULT_VOCAB_DIR, read_open_vocabulary
from medgraphrag.ingest.pipeline import entity_content
from medgraphrag.models.embeddings import Embedder
from medgraphrag.nlp.semantic_groups import semantic_group

THRESHOLDS = [round(0.70 + 0.02 * i, 2) for i in range(15)]


def main() -> None:
    """Run the calibration from the command line."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--vocab", default=str(DEFAULT_VOCAB_DIR), help="open vocabulary data folder")
    parser.add_argument("--source", action="append", help="open sources to sample (default: hpo, doid)")
    parser.add_argument("--pairs", type=int, default=2000, help="positive pairs (as many negatives)")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    from pathlib import Path

    vocabulary = read_open_vocabulary(Path(args.vocab), sources=args.source or ["hpo", "doid"])
    rng = random.Random(args.seed)
    candidates = [c for c in vocabulary.concepts if c.synonyms]
    sample = rng.sample(candidates, min(args.pairs, len(candidates)))
    embedder = Embedder.from_settings(load_settings().embedding)
    types = [semantic_group(c.semantic_types, c.sources) for c in sample]
    names = embedder.embed([entity_content(c.name, t) for c, t in zip(sample, types)])
    synonyms = embedder.embed([entity_content(rng.choice(c.synonyms), t) for c, t in zip(sample, types)])
    positive = np.einsum("ij,ij->i", names, synonyms)
    similarity = names @ names.T
    np.fill_diagonal(similarity, -1.0)
    negative = similarity.max(axis=1)
    rows, best = [], (0.0, 0.0)
    precise = None
    for threshold in THRESHOLDS:
        tp, fp = int((positive >= threshold).sum()), int((negative >= threshold).sum())
        recall = tp / len(positive)
        precision = tp / (tp + fp) if tp + fp else 1.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        rows.append([threshold, precision, recall, f1])
        if f1 > best[1]:
            best = (threshold, f1)
        if precise is None and precision >= 0.9:
            precise = threshold
    print_report(
        f"REFERENCE_OF threshold: {len(sample)} synonym pairs vs nearest other-concept names",
        ["threshold", "precision", "recall", "F1"],
        rows,
        {
            "benchmark": "reference_threshold",
            "pairs": len(sample),
            "best_f1_threshold": best[0],
            "best_f1": round(best[1], 4),
            "precision_0.9_threshold": precise,
        },
    )


if __name__ == "__main__":
    main()
