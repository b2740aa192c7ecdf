"""Local server processes that medgraph starts and stops (neo4j-local, the local LLM): ports, pid
files, liveness, logs."""

from __future__ import annotations

import json
import os
import signal
import socket
import time
from dataclasses import asdict, dataclass
from pathlib import Path

# The state file of the local LLM server `medgraph llm up` starts, in the data folder; settings
# read it to point the LLM at that server.
LOCAL_LLM_RECORD = "local-llm.json"
LOCAL_LLM_MARKER = "llama_cpp.server"


@dataclass(frozen=True)
class ServerRecord:
    """What a started local server's state file says: its pid, URL and the model it serves."""

    pid: int
    base_url: str
    model: str

    def write(self, path: Path) -> None:
        """Write the record to `path`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(asdict(self)), encoding="utf-8")


def running_server(path: Path, marker: str) -> ServerRecord | None:
    """The record in `path`, if its process still runs and its command line contains `marker`."""
    try:
        record = ServerRecord(**json.loads(path.read_text(encoding="utf-8")))
    except (OSError, ValueError, TypeError):
        return None
    return record if _runs(record.pid, marker) else None


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    """Whether something accepts TCP connections at `host:port`."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(1.0)
        return sock.connect_ex((host, port)) == 0


def stop_process(pid: int, timeout_s: float = 60.0) -> bool:
    """SIGTERM for a clean shutdown, SIGKILL if it outlives `timeout_s`; True if it was running."""
    try:
        os.kill(pid, signal.SIGTERM)
    except ProcessLookupError:
        return False
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if not alive(pid):
            return True
        time.sleep(0.2)
    os.kill(pid, signal.SIGKILL)
    return True


def alive(pid: int) -> bool:
    """Whether the process `pid` runs (a zombie does not)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie child has exited already
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return True


def recorded_pid(pid_file: Path, marker: str) -> int | None:
    """The pid written in `pid_file`, if that process still runs and its command line contains
    `marker` (a recycled pid belongs to some other program)."""
    try:
        pid = int(pid_file.read_text(encoding="utf-8").strip())
    except (OSError, ValueError):
        return None
    return pid if _runs(pid, marker) else None


def _runs(pid: int, marker: str) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return alive(pid)
    return marker.encode() in cmdline and alive(pid)


def log_tail(log_path: Path, lines: int = 30) -> str:
    """The last `lines` lines of a log file, or "(no log)"."""
    try:
        return "\n".join(log_path.read_text(encoding="utf-8", errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"
