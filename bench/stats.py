"""Paired statistics of the benchmarks: per-query scores of two systems on the same queries.

A randomization (sign-flip) test gives a two-sided p-value for the mean difference, a percentile
bootstrap its 95% interval; both with a fixed seed, so a run is reproducible. Each system is
compared with the best baseline by mean score (a baseline with the best other baseline). Per-query
scores written by one run (`write_per_query`) pair each system with itself in a later run under other
settings (`compare_runs`).
"""

from __future__ import annotations

import itertools
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

SEED = 20240516
PERMUTATIONS = 10_000
RESAMPLES = 10_000
_BATCH = 1_000  # rows of random draws at a time, to bound memory on large query sets

Scores = Sequence[float] | np.ndarray  # per-query scores of one system


def _differences(a: Scores, b: Scores) -> np.ndarray:
    if len(a) != len(b):
        raise ValueError(f"paired scores of unequal length: {len(a)} and {len(b)}")
    return np.asarray(a, dtype=np.float64) - np.asarray(b, dtype=np.float64)


def _mean(values: Scores) -> float:
    return float(np.mean(values)) if len(values) else 0.0


def randomization_test(a: Scores, b: Scores, *, permutations: int = PERMUTATIONS, seed: int = SEED) -> float:
    """Two-sided p-value of mean(a - b) != 0 by a paired sign-flip randomization test: each
    query's difference changes sign at random. Exact (all 2^n sign patterns) where those are no
    more than `permutations`, else (1 + as extreme) / (1 + permutations) over random patterns."""
    d = _differences(a, b)
    n = len(d)
    if n == 0:
        return 1.0
    observed = abs(float(d.mean()))
    tolerance = 1e-12 * max(1.0, observed)
    if 2**n <= permutations:
        signs = np.array(list(itertools.product((1.0, -1.0), repeat=n)))
        return float(np.mean(np.abs(signs @ d) / n >= observed - tolerance))
    rng = np.random.default_rng(seed)
    extreme = 0
    for start in range(0, permutations, _BATCH):
        rows = min(_BATCH, permutations - start)
        signs = rng.integers(0, 2, size=(rows, n)) * 2.0 - 1.0
        extreme += int(np.sum(np.abs(signs @ d) / n >= observed - tolerance))
    return (1 + extreme) / (1 + permutations)


def bootstrap_ci(
    a: Scores,
    b: Scores,
    *,
    confidence: float = 0.95,
    resamples: int = RESAMPLES,
    seed: int = SEED,
) -> tuple[float, float]:
    """Percentile bootstrap interval of mean(a - b): the queries resampled with replacement."""
    d = _differences(a, b)
    n = len(d)
    if n == 0:
        return (0.0, 0.0)
    rng = np.random.default_rng(seed)
    means = np.concatenate(
        [
            d[rng.integers(0, n, size=(min(_BATCH, resamples - start), n))].mean(axis=1)
            for start in range(0, resamples, _BATCH)
        ]
    )
    tail = (1.0 - confidence) / 2
    low, high = np.quantile(means, [tail, 1.0 - tail])
    return (float(low), float(high))


@dataclass(frozen=True)
class Comparison:
    """A system against another on the same queries: mean difference, p-value and 95% interval."""

    against: str
    diff: float
    p: float
    ci95: tuple[float, float]

    def figures(self, suffix: str = "") -> dict[str, object]:
        """The comparison as JSON figures: `best`, `diff_vs_best`, `p_vs_best`, `ci95_vs_best`
        (each name followed by `suffix`)."""
        return {
            f"best{suffix}": self.against,
            f"diff_vs_best{suffix}": round(self.diff, 4),
            f"p_vs_best{suffix}": round(self.p, 4),
            f"ci95_vs_best{suffix}": [round(self.ci95[0], 4), round(self.ci95[1], 4)],
        }


COMPARISON_COLUMNS = ["vs best", "diff", "95% CI", "p"]


def comparison_cells(comparison: Comparison | None) -> list[object]:
    """A comparison as table cells under `COMPARISON_COLUMNS` (dashes for none)."""
    if comparison is None:
        return ["-"] * len(COMPARISON_COLUMNS)
    low, high = comparison.ci95
    return [comparison.against, f"{comparison.diff:+.3f}", f"[{low:+.3f}, {high:+.3f}]", f"{comparison.p:.4f}"]


def compare(a: Scores, b: Scores, against: str) -> Comparison:
    """`a` against `b` (named `against`), paired by query."""
    d = _differences(a, b)
    return Comparison(
        against=against,
        diff=_mean(d),
        p=randomization_test(a, b),
        ci95=bootstrap_ci(a, b),
    )


def compare_to_best(scores: Mapping[str, Scores], baselines: Collection[str]) -> dict[str, Comparison]:
    """Each system of `scores` (per-query scores, in the same query order) against the baseline
    with the best mean score; a baseline against the best of the other baselines. A system with
    nothing to compare with is left out."""
    ranked = sorted((name for name in scores if name in baselines), key=lambda name: -_mean(scores[name]))
    comparisons = {}
    for name, values in scores.items():
        best = next((other for other in ranked if other != name), None)
        if best is not None:
            comparisons[name] = compare(values, scores[best], best)
    return comparisons


def latency_ms(seconds: Sequence[float]) -> tuple[float, float]:
    """Median and 95th percentile (nearest rank below) of latencies in seconds, in milliseconds."""
    ordered = sorted(seconds)
    if not ordered:
        return (0.0, 0.0)
    return (1000 * ordered[len(ordered) // 2], 1000 * ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))])


PerQuery = Mapping[str, Mapping[str, float]]  # system -> query id -> score


def write_per_query(path: Path, scores: PerQuery) -> None:
    """Each system's score per query, as `query-id system score` lines (TSV) with a header."""
    lines = ["query-id\tsystem\tscore"]
    lines += [f"{query}\t{system}\t{score:.6f}" for system, own in scores.items() for query, score in own.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def read_per_query(path: Path) -> dict[str, dict[str, float]]:
    """Per system: query id -> score, from a file `write_per_query` wrote."""
    scores: dict[str, dict[str, float]] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        query, system, score = line.split("\t")
        scores.setdefault(system, {})[query] = float(score)
    return scores


def compare_runs(scores: PerQuery, earlier: PerQuery) -> dict[str, Comparison]:
    """Each system of this run against the same system of an earlier run, paired by query on the
    queries both asked; a system the earlier run lacks is left out."""
    comparisons = {}
    for system, own in scores.items():
        theirs = earlier.get(system, {})
        shared = [query for query in own if query in theirs]
        if shared:
            comparisons[system] = compare([own[q] for q in shared], [theirs[q] for q in shared], "earlier run")
    return comparisons
