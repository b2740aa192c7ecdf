"""API keys: random bearer tokens, stored only as SHA-256 hashes in the settings, each with scopes."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from typing import Literal

from pydantic import BaseModel, Field

Scope = Literal["read", "ingest", "admin"]
SCOPES: tuple[Scope, ...] = ("read", "ingest", "admin")
TOKEN_PREFIX = "mgr_"


class ApiKey(BaseModel):
    """A configured key: a name for logs, the SHA-256 of its token, and what it may do (`admin`
    may do everything)."""

    name: str = Field(min_length=1, max_length=64)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    scopes: list[Scope] = Field(min_length=1)


def new_token() -> str:
    """A fresh random token (256 bits), shown once to whoever creates the key."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The hash a key is stored as. Tokens are random, so a plain SHA-256 suffices (no salt needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find_key(keys: list[ApiKey], token: str) -> ApiKey | None:
    """The key the token belongs to, compared in constant time; None if none."""
    digest = token_hash(token)
    found = None
    for key in keys:
        if hmac.compare_digest(key.sha256, digest):
            found = key
    return found


def allows(key: ApiKey, scope: Scope) -> bool:
    """Whether the key grants `scope`."""
    return scope in key.scopes or "admin" in key.scopes
