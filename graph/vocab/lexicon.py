"""The extraction lexicon: every normalized concept name in the graph, mapped to one concept.

Built once from the `name_keys` that the vocabulary writer stores (graph/vocab/names.py), so text
is matched with exactly the keys the vocabulary was indexed with. Where several concepts share a
key, the one whose preferred name it is wins, then the one with a UMLS CUI, then the one more
sources agree on, then the smallest id (deterministic).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from neo4j import Driver

from medgraphrag import cypher
from medgraphrag.graph.connection import read
from medgraphrag.graph.vocab.names import stored_key
from medgraphrag.graph.vocab.semantic_groups import semantic_group
from medgraphrag.ids import digest


@dataclass(frozen=True)
class LexiconEntry:
    """The concept a normalized name stands for."""

    concept_id: str
    cui: str | None
    name: str
    group: str


@dataclass
class Lexicon:
    """Normalized name -> concept, and per first word the longest name it starts (in words), so a
    matcher tries only lengths some name has."""

    entries: dict[str, LexiconEntry]
    longest_from: dict[str, int]

    def __len__(self) -> int:
        return len(self.entries)


def load_lexicon(driver: Driver, database: str, *, max_words: int = 8) -> Lexicon:
    """The lexicon of every concept stored in the graph (names of more than `max_words` words are
    left out: they name rare, spelled-out concepts that running text does not repeat verbatim)."""
    best: dict[str, tuple[tuple[object, ...], LexiconEntry]] = {}
    with driver.session(database=database, default_access_mode="READ") as session:
        for record in session.run(cypher.load("lexicon_entries")):
            entry = LexiconEntry(
                record["concept_id"], record["cui"], record["name"],
                semantic_group(record["semantic_types"] or [], record["sources"] or []),
            )
            sources = len(record["sources"] or [])
            for position, key in enumerate(map(stored_key, record["name_keys"] or [])):
                if key.count(" ") + 1 > max_words:
                    continue
                rank = (position != 0, entry.cui is None, -sources, entry.concept_id)
                current = best.get(key)
                if current is None or rank < current[0]:
                    best[key] = (rank, entry)
    longest_from: dict[str, int] = {}
    for key in best:
        first, words = key.split(" ", 1)[0], key.count(" ") + 1
        if words > longest_from.get(first, 0):
            longest_from[first] = words
    return Lexicon({key: entry for key, (_, entry) in best.items()}, longest_from)


def concept_relations(driver: Driver, database: str, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], str]:
    """For each pair (a, b) of concepts the vocabulary relates, the phrase that reads from a to b
    ("is a", "has finding site", ...), or from b to a keyed (b, a) where the relation runs that way."""
    rows = [{"a": a, "b": b} for a, b in dict.fromkeys(pairs)]
    if not rows:
        return {}
    records, _, _ = driver.execute_query(cypher.load("concept_relations"), pairs=rows, database_=database,
                                         routing_="r")
    phrases: dict[tuple[str, str], str] = {}
    for r in records:
        phrase = "is a" if r["kind"] == "IS_A" else (r["rela"] or r["rel"] or "related to").replace("_", " ")
        key = (r["a"], r["b"]) if r["forward"] else (r["b"], r["a"])
        phrases.setdefault(key, phrase)
    return phrases


def vocabulary_signature(driver: Driver, database: str) -> str:
    """A short identity of the vocabulary loaded now (sources, versions, load times, sizes); it
    changes whenever a vocabulary is loaded again."""
    records = read(driver, database, cypher.load("vocabulary_signature"))
    text = "|".join(f"{r['source']}:{r['version']}:{r['loaded_at']}:{r['concepts']}" for r in records)
    return digest(text, length=16) if text else "none"


def reference_contents(driver: Driver, database: str, concept_ids: Iterable[str], *, k: int = 2) -> dict[str, list[str]]:
    """Per concept: its definition and up to `k` reference-tier contexts of entities standing for it."""
    ids = sorted({c for c in concept_ids if c})
    if not ids:
        return {}
    records, _, _ = driver.execute_query(cypher.load("reference_contents"), concept_ids=ids, k=k,
                                         database_=database, routing_="r")
    return {r["concept_id"]: [t for t in [r["definition"], *r["contexts"]] if t] for r in records}
