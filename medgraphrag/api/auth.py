"""API keys: random bearer tokens, stored only as SHA-256 hashes in the settings, each with scopes."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Sequence

from medgraphrag.core.settings import ApiKey

TOKEN_PREFIX = "mgr_"


def new_token() -> str:
    """A fresh random token (256 bits), shown once to whoever creates the key."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def token_hash(token: str) -> str:
    """The hash a key is stored as. Tokens are random, so a plain SHA-256 suffices (no salt needed)."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def find_key(keys: Sequence[ApiKey], token: str) -> ApiKey | None:
    """The key the token belongs to (every key compared, in constant time); None if none."""
    found = None
    for key in keys:
        if key.matches(token):
            found = key
    return found
