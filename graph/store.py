"""The graph store: the one object that owns the Neo4j driver and database and runs Cypher.

Everything else in medgraphrag reaches Neo4j through a `GraphStore`: each of its parts is a small
store with typed methods over one concern (documents, searches, tags, vocabulary, tier links,
evidence pictures, user Cypher, jobs and answers), and all share one `Connection`.
"""

from __future__ import annotations

from types import TracebackType

from medgraphrag.core.errors import SchemaConflict
from medgraphrag.core.settings import Neo4jSettings
from medgraphrag.graph.connection import Connection, open_driver
from medgraphrag.graph.documents import DocumentStore
from medgraphrag.graph.evidence import EvidenceStore
from medgraphrag.graph.exploration import CypherExplorer
from medgraphrag.graph.inventory import Inventory
from medgraphrag.graph.schema import SchemaIndex, apply_schema, indexes, stored_dimension
from medgraphrag.graph.search import SearchStore
from medgraphrag.graph.state import AnswerStore, JobStore
from medgraphrag.graph.tags import TagStore
from medgraphrag.graph.tier_links import TierLinkStore
from medgraphrag.graph.vocabulary import VocabularyStore


class GraphStore:
    """One Neo4j database and every typed operation medgraphrag runs on it."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self.documents = DocumentStore(connection)
        self.search = SearchStore(connection)
        self.tags = TagStore(connection)
        self.vocabulary = VocabularyStore(connection)
        self.tier_links = TierLinkStore(connection)
        self.evidence = EvidenceStore(connection)
        self.cypher = CypherExplorer(connection)
        self.inventory = Inventory(connection)
        self.jobs = JobStore(connection)
        self.answers = AnswerStore(connection)

    @classmethod
    def connect(cls, settings: Neo4jSettings) -> GraphStore:
        """A store on the database of NEO4J_URI; `GraphUnavailable` with a remedy if none answers."""
        return cls(Connection(open_driver(settings), settings.database))

    @property
    def database(self) -> str:
        """The Neo4j database in use."""
        return self.connection.database

    def apply_schema(self, dimension: int | None, *, model: str | None = None) -> None:
        """Create the constraints and indexes that do not exist yet, the vector indexes with
        `dimension` (None: the dimension of those already stored), and wait until all are online;
        with `model`, record it as the embedding model of the graph's vectors. `SchemaConflict`
        when the stored dimension differs, none is known on an empty graph, or the stored vectors
        come from another model."""
        if dimension is None:
            dimension = stored_dimension(self.connection)
            if dimension is None:
                raise SchemaConflict(
                    "the graph has no vector indexes yet and the embedding model's dimension is "
                    "unknown: set MEDGRAPH_EMBEDDING_DIMENSION"
                )
        apply_schema(self.connection, dimension, model=model)

    def indexes(self) -> list[SchemaIndex]:
        """Every index and constraint with its state (ONLINE when usable)."""
        return indexes(self.connection)

    def close(self) -> None:
        """Close the driver."""
        self.connection.close()

    def __enter__(self) -> GraphStore:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
