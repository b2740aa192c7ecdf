"""Deterministic ids: a hash of what an object is, so the same content always gets the same id."""

from __future__ import annotations

import hashlib


def digest(*parts: object, length: int = 24) -> str:
    """The first `length` hex digits of the SHA-256 of `parts`, joined by the unit separator."""
    key = "\x1f".join(str(part) for part in parts)
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:length]


def content_id(prefix: str, *parts: object) -> str:
    """`prefix_` and the digest of `parts`: the id of a node made from them."""
    return f"{prefix}_{digest(*parts)}"
