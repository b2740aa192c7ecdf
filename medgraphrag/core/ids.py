"""Deterministic ids: a hash of what an object is, so the same content always gets the same id.

Documents are identified by where they come from, chunks by their document, place and text,
meta-graphs by their chunk, entities by their tier and concept (else normalized name and type),
tags by their layer and members. Re-ingesting unchanged content therefore writes the same ids.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

DocumentTier = Literal["user", "reference"]
DOCUMENT_TIERS: tuple[DocumentTier, ...] = ("user", "reference")


def digest(*parts: object, length: int = 24) -> str:
    """The first `length` hex digits of the SHA-256 of `parts`, joined by the unit separator."""
    key = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:length]


def content_id(prefix: str, *parts: object) -> str:
    """`prefix_` and the digest of `parts`: the id of a node made from them."""
    return f"{prefix}_{digest(*parts)}"


def document_id(source: Path | str, unit: str = "") -> str:
    """The id of the document read from `source` (a path, made absolute) and, in a multi-document
    file, its `unit`."""
    path = Path(source).resolve().as_posix() if isinstance(source, Path) else source
    return content_id("doc", f"{path}#{unit}" if unit else path)


def chunk_id(doc_id: str, ord_: int, start: int, end: int, text: str, *, version: str = "") -> str:
    """The id of a chunk: its document, position and content (and `version`, when two writes of
    one content must not share ids)."""
    return content_id("chk", doc_id, ord_, start, end, text, *([version] if version else []))


def graph_id(chunk: str) -> str:
    """The id of the meta-graph built from the chunk `chunk` (one per chunk)."""
    return "mg_" + chunk.removeprefix("chk_")


def entity_id(tier: str, concept_id: str | None, norm_name: str, type_: str) -> str:
    """The identity of an entity within a tier: its concept, else its normalized name and type."""
    if concept_id:
        return content_id("ent", tier, "concept", concept_id)
    return content_id("ent", tier, "name", norm_name, type_)


def tag_id(layer: int, members: tuple[str, ...] | list[str], generation: int = 0) -> str:
    """The id of a tag: its tree's generation, its layer and the meta-graphs (layer 0) or child tags
    it covers (generation 0, the trees from before generations, leaves the generation out)."""
    if generation == 0:
        return content_id("tag", layer, *members)
    return content_id("tag", generation, layer, *members)
