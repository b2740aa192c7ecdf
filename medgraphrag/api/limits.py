"""Request limits: the body's size, enforced before a handler reads the body; and the URL's and
headers' sizes, which the HTTP protocol (api/protocol.py) enforces while it parses them."""

from __future__ import annotations

import json

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from medgraphrag.core.settings import ApiSettings

# Where the app's lifespan state holds the URL and header limits for the HTTP protocol.
LIMITS_KEY = "medgraphrag.head_limits"


def head_limits(api: ApiSettings) -> dict[str, int]:
    """The URL and header limits of `api` in bytes, as the HTTP protocol reads them."""
    return {"max_url_bytes": int(api.max_url_kb * 1024), "max_header_bytes": int(api.max_header_kb * 1024)}


class BodySizeLimit:
    """Refuse request bodies over `max_bytes` (413), by Content-Length or by counting as they arrive."""

    def __init__(self, app: ASGIApp, *, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            await _too_large(self.max_bytes, send)
            return
        received = 0

        async def counting() -> Message:
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > self.max_bytes:
                raise _TooLarge()
            return message

        try:
            await self.app(scope, counting, send)
        except _TooLarge:
            await _too_large(self.max_bytes, send)


class _TooLarge(Exception):
    pass


async def _too_large(max_bytes: int, send: Send) -> None:
    body = json.dumps(
        {"error": {"code": "too_large", "message": f"the request body exceeds {max_bytes / 1024 / 1024:g} MB"}}
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})
