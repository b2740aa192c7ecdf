"""uvicorn's httptools protocol with limits on the request line and the headers, enforced while
they are parsed: a URL over `MEDGRAPH_API_MAX_URL_KB` is refused with 414 and headers over
`MEDGRAPH_API_MAX_HEADER_KB` with 431, in the API's error body, and the connection is closed.

The limits come from the app: its lifespan puts them in the lifespan state (`LIMITS_KEY`), which
uvicorn hands to every connection's protocol, so each server process uses its own app's settings.
`medgraph serve` passes the class to uvicorn as `http=`; by its import path it reaches the worker
processes too.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from medgraphrag.api.errors import CODES
from medgraphrag.api.limits import LIMITS_KEY, head_limits
from medgraphrag.core.settings import ApiSettings

# How long a refused connection stays open to drain what its client still sends.
LINGER_S = 2.0
log = logging.getLogger("medgraphrag.api")


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """An httptools connection that refuses an overlong URL (414) or request head (431) as soon as
    the bytes read pass the limit, before the parser holds more than about the limit."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = app_state.get(LIMITS_KEY) or head_limits(ApiSettings.model_construct())
        self.max_url_bytes: int = limits["max_url_bytes"]
        self.max_header_bytes: int = limits["max_header_bytes"]
        # Bytes of the current request head fed to the parser; None once its headers are complete.
        self._head: int | None = 0
        self._url_bytes = 0
        # A message ended inside the piece being fed: the rest of that piece is not counted.
        self._boundary = False
        self._refusal: int | None = None
        self._refused = False

    def data_received(self, data: bytes) -> None:
        """Feed the parser, a head no more than the header limit at a time, and refuse a request
        whose URL or head runs past its limit."""
        if self._refused:
            return  # what a refused client still sends is read and dropped until the connection closes
        while data and not self.transport.is_closing():
            if self._head is not None:
                # URL bytes count against the URL limit only.
                room = self.max_header_bytes + self._url_bytes - self._head
                if room <= 0:
                    self._refuse(431)
                    return
                piece, data = data[:room], data[room:]
            else:
                piece, data = data, b""
            self._boundary = False
            super().data_received(piece)
            if self._refusal is not None:
                self._refuse(self._refusal)
                return
            if self._head is not None and not self._boundary:
                # A head begun after a message ended inside this piece goes uncounted for that piece:
                # pipelined requests may hold up to one more piece before they are refused.
                self._head += len(piece)

    def on_url(self, url: bytes) -> None:
        """Count the URL; past the limit, stop keeping it and mark the request for a 414."""
        self._url_bytes += len(url)
        if self._url_bytes > self.max_url_bytes:
            self._refusal = 414
            return
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        """Keep a header unless the request is already refused."""
        if self._refusal is None:
            super().on_header(name, value)

    def on_headers_complete(self) -> None:
        """Start the request, unless it is refused."""
        self._head = None
        if self._refusal is None:
            super().on_headers_complete()

    def on_body(self, body: bytes) -> None:
        """Pass the body on, unless the request is refused."""
        if self._refusal is None:
            super().on_body(body)

    def on_message_complete(self) -> None:
        """End the request; the bytes that follow begin the next head."""
        self._head, self._url_bytes, self._boundary = 0, 0, True
        if self._refusal is None:
            super().on_message_complete()

    def _refuse(self, status: int) -> None:
        """Answer `status` in the API's error body and close the connection."""
        what = (
            f"the request URL exceeds {self.max_url_bytes / 1024:g} KB"
            if status == 414
            else f"the request headers exceed {self.max_header_bytes / 1024:g} KB"
        )
        log.warning("refused a request from %s: %s", self.client, what)
        if self.cycle is not None and not self.cycle.response_complete:
            # A response to an earlier pipelined request is still being written: no room for ours.
            self.transport.close()
            return
        body = json.dumps({"error": {"code": CODES[status], "message": what}}).encode()
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head += [
            b"content-type: application/json\r\n",
            b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self._refused = True
        # A client still sending its request would get a reset, not the answer, if the connection
        # closed with its bytes unread: read and drop them for a moment first (a lingering close).
        if self.transport.can_write_eof():
            self.transport.write_eof()
        self.loop.call_later(LINGER_S, self.transport.close)
