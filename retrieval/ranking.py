"""Ranking evidence (KG-Rank): fusion of rankings, MMR for diversity, optional cross-encoder re-ranking."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

import numpy as np

from medgraphrag.core.errors import ConfigurationError

RRF_K = 60


def reciprocal_rank_fusion(
    rankings: Mapping[str, Sequence[str]], *, k: int = RRF_K, weights: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Fused score per item over several rankings (best first): the sum of weight / (k + rank)
    (every weight 1 unless `weights` names it; a ranking weighted 0 does not count), scaled so that
    an item ranked first by every ranking scores 1.0. Empty rankings do not count."""
    used = {name: ranking for name, ranking in rankings.items() if ranking}
    weight = {name: 1.0 if weights is None else float(weights.get(name, 1.0)) for name in used}
    fused: dict[str, float] = {}
    for name, ranking in used.items():
        if weight[name] <= 0:
            continue
        for rank, item in enumerate(ranking, start=1):
            fused[item] = fused.get(item, 0.0) + weight[name] / (k + rank)
    best_possible = sum(w for w in weight.values() if w > 0) / (k + 1)
    return {item: score / best_possible for item, score in fused.items()}


def mmr(
    relevance: Sequence[float], vectors: np.ndarray, k: int, *, penalty: float = 0.1, penalty_growth: float = 0.01
) -> list[int]:
    """Indexes of `k` items chosen greedily by relevance minus a redundancy penalty: the largest
    cosine similarity to the items already chosen, weighted `penalty + penalty_growth * chosen`
    (KG-Rank's MMR). `relevance` should be scaled like a cosine (0 to 1)."""
    if len(relevance) == 0:
        return []
    units = vectors / np.maximum(np.linalg.norm(vectors, axis=1, keepdims=True), 1e-12)
    scores = np.asarray(relevance, dtype=np.float64)
    redundancy = np.zeros(len(scores))
    chosen: list[int] = []
    available = np.ones(len(scores), dtype=bool)
    while len(chosen) < min(k, len(scores)):
        weight = penalty + penalty_growth * len(chosen)
        adjusted = np.where(available, scores - weight * redundancy, -np.inf)
        best = int(np.argmax(adjusted))
        chosen.append(best)
        available[best] = False
        redundancy = np.maximum(redundancy, units @ units[best])
    return chosen


class CrossEncoderReranker:
    """A local sentence-transformers CrossEncoder that scores (question, passage) pairs."""

    def __init__(self, model: Path | str, *, device: str = "cpu") -> None:
        path = Path(model).expanduser()
        if not path.is_dir():
            raise ConfigurationError(f"MEDGRAPH_RERANK_MODEL: {path} is not a local model folder")
        from sentence_transformers import CrossEncoder  # loaded only when re-ranking is configured

        self.name = path.name
        self._model = CrossEncoder(str(path), device=device)

    def scores(self, question: str, passages: Sequence[str]) -> list[float]:
        """Relevance of each passage to the question (higher is better)."""
        if not passages:
            return []
        return [float(s) for s in self._model.predict([(question, p) for p in passages], show_progress_bar=False)]
