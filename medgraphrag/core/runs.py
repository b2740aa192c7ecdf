"""Who is doing a piece of work: a token naming this process, and whether the process a token
names has stopped. Leases and staged writes carry the token, so work a killed process left is
taken over at once on the same machine, and after a timeout from any other."""

from __future__ import annotations

import os
import socket
import uuid


def run_token() -> str:
    """A new token for work this process starts: its machine, its process id, a random part."""
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:12]}"


def process_gone(token: str | None) -> bool:
    """Whether the process `token` names is known to have stopped: it ran on this machine and is no
    longer there. A process elsewhere, or a token of another form, is not known to have stopped."""
    host, _, rest = (token or "").partition(":")
    pid = rest.partition(":")[0]
    if host != socket.gethostname() or not pid.isdigit():
        return False
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return True
    except PermissionError:
        return False  # alive, under another user
    return False
