"""What the server is and holds: its version, and node counts by label."""

from __future__ import annotations

from pydantic import BaseModel

from medgraphrag.graph.connection import Connection
from medgraphrag.graph.model import LABELS


class ServerInfo(BaseModel):
    """The Neo4j server's kernel version and edition, and the database in use."""

    neo4j: str
    edition: str
    database: str


class GraphStatus(ServerInfo):
    """The server's identity and the nodes the graph holds, by label."""

    counts: dict[str, int]


class Inventory:
    """The server's identity and the graph's size."""

    def __init__(self, connection: Connection) -> None:
        self._db = connection

    def server(self) -> ServerInfo:
        """The Neo4j kernel version and edition."""
        (record,) = self._db.read("server_version")
        return ServerInfo(neo4j=str(record["version"]), edition=str(record["edition"]), database=self._db.database)

    def status(self) -> GraphStatus:
        """The server's identity and node counts by label."""
        return GraphStatus(**self.server().model_dump(), counts=self.label_counts())

    def label_counts(self) -> dict[str, int]:
        """Nodes per label of the fixed label set (from Neo4j's count store, not a scan)."""
        return {label: int(self._db.read("label_count", label=label)[0]["count"]) for label in LABELS}

    def occupied(self) -> bool:
        """True when the database holds any node but the embedding-model record."""
        return bool(self._db.read("database_occupied")[0]["occupied"])
