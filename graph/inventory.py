"""What the graph holds: server version, node counts, vocabularies and single concepts."""

from __future__ import annotations

from collections.abc import Iterable

from neo4j import Driver

from medgraphrag import cypher
from medgraphrag.graph.model import LABELS


def server_version(driver: Driver, database: str) -> tuple[str, str]:
    """The Neo4j kernel version and edition."""
    records, _, _ = driver.execute_query(cypher.load("server_version"), database_=database, routing_="r")
    return str(records[0]["version"]), str(records[0]["edition"])


def label_counts(driver: Driver, database: str) -> dict[str, int]:
    """Nodes per label of the fixed label set (from Neo4j's count store, not a scan)."""
    counts = {}
    for label in LABELS:
        records, _, _ = driver.execute_query(cypher.load("label_count"), label=label, database_=database, routing_="r")
        counts[label] = int(records[0]["count"])
    return counts


def vocabulary_status(driver: Driver, database: str) -> list[dict[str, object]]:
    """Per loaded source: version, load time, concepts and relations recorded, concepts held now."""
    records, _, _ = driver.execute_query(cypher.load("vocabulary_status"), database_=database, routing_="r")
    return [r.data() for r in records]


def concept_detail(driver: Driver, database: str, concept_id: str, *, children: int = 50) -> dict[str, object] | None:
    """A concept's properties, parents and first `children` children; None if there is no such concept."""
    records, _, _ = driver.execute_query(
        cypher.load("concept_detail"), concept_id=concept_id, children=children, database_=database, routing_="r"
    )
    return records[0].data() if records else None


def cuis_present(driver: Driver, database: str, cuis: Iterable[str]) -> set[str]:
    """Those of `cuis` that some concept carries, as its id CUI or a `UMLS:` cross-reference."""
    wanted = set(cuis)
    records, _, _ = driver.execute_query(
        cypher.load("concepts_with_cui"), cuis=sorted(wanted), database_=database, routing_="r"
    )
    return {r["cui"] for r in records} & wanted


def construction_statistics(driver: Driver, database: str) -> dict[str, object]:
    """Meta-graphs, entities, entities linked to a concept, entities per chunk, relations and
    REFERENCE_OF links of the whole graph."""
    records, _, _ = driver.execute_query(cypher.load("construction_statistics"), database_=database, routing_="r")
    return records[0].data() if records else {}


def chunk_texts(driver: Driver, database: str) -> list[str]:
    """The text of every stored chunk."""
    records, _, _ = driver.execute_query(cypher.load("chunk_texts"), database_=database, routing_="r")
    return [r["text"] for r in records]
