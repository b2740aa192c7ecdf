"""What every vocabulary reader yields: concepts, relations between them, and skipped rows."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

RelationKind = Literal["IS_A", "CONCEPT_REL"]


@dataclass
class ConceptRecord:
    """One controlled concept. `concept_id` is the UMLS CUI where a source gives one, else a
    prefixed source id (`HP:0001250`, `ICD10CM:E11.9`, `SNOMEDCT:22298006`, `MESH:D003920`)."""

    concept_id: str
    name: str
    cui: str | None = None
    synonyms: list[str] = field(default_factory=list)
    semantic_types: list[str] = field(default_factory=list)
    definition: str | None = None
    xrefs: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ConceptRelation:
    """A directed relation between two concepts: `IS_A` (child to parent) or another `CONCEPT_REL`."""

    source_id: str
    target_id: str
    kind: RelationKind
    source: str
    rel: str | None = None
    rela: str | None = None


@dataclass
class SkipCounter:
    """Rows a reader skipped, counted by reason (malformed rows are never fatal)."""

    reasons: Counter[str] = field(default_factory=Counter)

    def skip(self, reason: str) -> None:
        """Count one skipped row under `reason`."""
        self.reasons[reason] += 1

    @property
    def total(self) -> int:
        """All skipped rows."""
        return sum(self.reasons.values())


def distinct_names(names: Iterable[str]) -> list[str]:
    """`names` in first-seen order without repeats that differ only in letter case."""
    seen: set[str] = set()
    kept: list[str] = []
    for name in names:
        key = name.casefold()
        if key not in seen:
            seen.add(key)
            kept.append(name)
    return kept
