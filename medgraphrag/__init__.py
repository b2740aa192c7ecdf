"""medgraphrag: medical GraphRAG on Neo4j with cited answers."""

from medgraphrag.settings import Settings, load_settings

__all__ = ["Settings", "load_settings"]
__version__ = "0.1.0"
