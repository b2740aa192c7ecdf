"""Limits that `medgraph serve` enforces while it parses a request: a URL over the limit is
refused with 414 and headers over it with 431 (a 50 MB header among them, without reading it
all), in the API's error body; the server stays up and ordinary requests, one after another on a
connection or pipelined, still work. A bad MEDGRAPH_API_KEYS stops `medgraph serve` with exit 2."""

from __future__ import annotations

import json
import socket
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import NamedTuple

import httpx
import pytest

from medgraphrag.core.processes import free_port
from medgraphrag.core.settings import Settings
from tests.conftest import neo4j_env, serve

# workers -> (URL limit, header limit) in KB; the multi-process server gets settings of its own.
LIMITS = {1: (8, 16), 2: (4, 6)}


class Served(NamedTuple):
    """A running `medgraph serve` and its limits in bytes."""

    base: str
    port: int
    url_limit: int
    header_limit: int
    process: subprocess.Popen[str]


@pytest.fixture(scope="module", params=[1, 2], ids=["one-process", "two-processes"])
def server(
    request: pytest.FixtureRequest, neo4j_settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """A `medgraph serve` on the session's Neo4j, with URL and header limits of its own."""
    workers: int = request.param
    url_kb, header_kb = LIMITS[workers]
    data_dir = tmp_path_factory.mktemp("serve")
    env = {
        **neo4j_env(neo4j_settings),
        "MEDGRAPH_API_KEYS": "[]",
        "MEDGRAPH_DATA_DIR": str(data_dir),
        "MEDGRAPH_API_MAX_URL_KB": str(url_kb),
        "MEDGRAPH_API_MAX_HEADER_KB": str(header_kb),
    }
    port = free_port()
    process = serve(env, data_dir, port=port, workers=workers)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 300
        answered = 0
        while answered < 2 * workers:  # each process has started when several answer in a row
            try:
                answered = answered + 1 if httpx.get(f"{base}/healthz", timeout=60).status_code == 200 else 0
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, "medgraph serve did not come up"
                time.sleep(0.5)
        yield Served(base, port, url_kb * 1024, header_kb * 1024, process)
    finally:
        process.terminate()
        process.wait(timeout=60)


def _raw(port: int, request: bytes, *, then: bytes = b"", timeout_s: float = 30) -> bytes:
    """What the server answers on one connection to `request` (and `then`, sent after it), read
    until it closes the connection."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout_s) as sock:
        try:
            sock.sendall(request)
            sock.sendall(then)
        except OSError:
            pass  # the server may close before all is sent; its answer is what counts
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except OSError:
            pass
    return received


def _status_and_body(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    return int(head.split(b" ", 2)[1]), json.loads(body)


def _assert_up(server: Served) -> None:
    assert server.process.poll() is None
    assert httpx.get(f"{server.base}/healthz", timeout=60).status_code == 200


def test_a_50_mb_header_is_refused_quickly_with_431(server: Served) -> None:
    base, port, _, header_limit, _ = server
    started = time.monotonic()
    head = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer "
    answer = _raw(port, head, then=b"a" * 50_000_000 + b"\r\n\r\n")
    assert time.monotonic() - started < 15
    status, body = _status_and_body(answer)
    assert status == 431 and b"connection: close" in answer.lower()
    assert body == {
        "error": {"code": "headers_too_large", "message": f"the request headers exceed {header_limit // 1024} KB"}
    }
    _assert_up(server)

    # The same through an HTTP client.
    refused = httpx.get(f"{base}/healthz", headers={"Authorization": "Bearer " + "a" * 50_000_000}, timeout=60)
    assert refused.status_code == 431 and refused.json()["error"]["code"] == "headers_too_large"
    _assert_up(server)


def test_headers_over_the_limit_are_431_and_under_it_pass(server: Served) -> None:
    base, _, _, header_limit, _ = server
    many = {f"X-Note-{n}": "v" * 100 for n in range(header_limit // 100)}
    assert httpx.get(f"{base}/healthz", headers=many, timeout=60).status_code == 431
    one = httpx.get(f"{base}/healthz", headers={"X-Note": "v" * (header_limit + 10)}, timeout=60)
    assert one.status_code == 431 and one.json()["error"]["code"] == "headers_too_large"
    under = httpx.get(f"{base}/healthz", headers={"X-Note": "v" * (header_limit - 512)}, timeout=60)
    assert under.status_code == 200
    _assert_up(server)


def test_a_url_over_the_limit_is_414(server: Served) -> None:
    base, port, url_limit, _, _ = server
    refused = httpx.get(f"{base}/healthz", params={"q": "x" * url_limit}, timeout=60)
    assert refused.status_code == 414
    assert refused.json() == {
        "error": {"code": "url_too_long", "message": f"the request URL exceeds {url_limit // 1024} KB"}
    }
    long_path = b"GET /" + b"p" * 5_000_000 + b" HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    status, body = _status_and_body(_raw(port, long_path))
    assert status == 414 and body["error"] == refused.json()["error"]
    # A URL just under the limit is an ordinary request (here: an unknown route).
    under = httpx.get(f"{base}/v1/concepts/{'c' * (url_limit - 100)}", timeout=60)
    assert under.status_code not in (414, 431)
    _assert_up(server)


def test_ordinary_requests_still_work(server: Served) -> None:
    base, port, _, header_limit, _ = server
    with httpx.Client(base_url=base, timeout=60) as client:
        # One connection, request after request: each head is counted from its own start.
        for _ in range(2 * header_limit // 1000):
            assert client.get("/healthz", headers={"X-Pad": "p" * 900}).status_code == 200
        # A body larger than the header limit is no head.
        answer = client.post("/v1/retrieve", json={"question": "fever " * (header_limit // 4), "k": 1})
        assert answer.status_code == 422 and answer.json()["error"]["code"] == "invalid_request"
        assert client.get("/v1/nothing").json()["error"]["code"] == "not_found"
    request = b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
    # Pipelined: two requests in one packet, both answered.
    answer = _raw(port, request + request.replace(b"\r\n\r\n", b"\r\nConnection: close\r\n\r\n"))
    assert answer.count(b"HTTP/1.1 200 OK") == 2
    _assert_up(server)


def test_invalid_api_keys_stop_serve_with_exit_2(tmp_path: Path) -> None:
    for keys, says in (("not json", "MEDGRAPH_API_KEYS: not valid JSON"), ('[{"name": "x"}]', "MEDGRAPH_API_KEYS")):
        process = serve(
            {"MEDGRAPH_API_KEYS": keys, "MEDGRAPH_DATA_DIR": str(tmp_path)},
            tmp_path,
            port=free_port(),
            stderr=subprocess.PIPE,
        )
        _, stderr = process.communicate(timeout=120)
        assert process.returncode == 2, stderr
        assert says in stderr and "Traceback" not in stderr, stderr
