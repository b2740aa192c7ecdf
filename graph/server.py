"""Getting a Neo4j server: the one at NEO4J_URI, Docker Compose, or the embedded `neo4j-local/`."""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path

from medgraphrag.core.errors import GraphUnavailable, ServerError
from medgraphrag.core.processes import free_port, log_tail, port_in_use, recorded_pid, stop_process
from medgraphrag.core.settings import Settings
from medgraphrag.graph.connection import Connection, open_driver
from medgraphrag.graph.inventory import Inventory

READY_PREFIX = "READY "
_MAIN_CLASS = "org.medgraphrag.neo4jlocal.Main"
# neo4j-admin's entry point (neo4j-command-line), with the import command of neo4j-import-tool.
_ADMIN_CLASS = "org.neo4j.cli.AdminTool"
_LOCAL_HOSTS = {"localhost", "127.0.0.1", "::1"}
# The module openings Neo4j's own launcher passes; vector index builds can stall without java.nio.
_JVM_FLAGS = [
    "-XX:+UseG1GC",
    "-Dio.netty.tryReflectionSetAccessible=true",
    "--add-opens=java.base/java.nio=ALL-UNNAMED",
    "--add-opens=java.base/java.io=ALL-UNNAMED",
    "--add-opens=java.base/java.lang=ALL-UNNAMED",
    "--add-opens=java.base/sun.nio.ch=ALL-UNNAMED",
    "--add-exports=java.base/sun.nio.ch=ALL-UNNAMED",
    "--enable-native-access=ALL-UNNAMED",
]


class Backend(StrEnum):
    """How the Neo4j in use was started."""

    URI = "uri"
    DOCKER = "docker"
    LOCAL = "local"


@dataclass
class ServerStatus:
    """What `medgraph db status` reports."""

    uri: str
    running: bool
    backend: Backend | None = None
    version: str | None = None
    edition: str | None = None
    counts: dict[str, int] = field(default_factory=dict)
    detail: str = ""
    browser: str | None = None


Echo = Callable[[str], None]


def project_root() -> Path:
    """The checkout that holds `neo4j-local/` and `docker-compose.yml` (the package's, else cwd)."""
    for candidate in (Path(__file__).resolve().parent.parent, Path.cwd()):
        if (candidate / "neo4j-local" / "pom.xml").is_file():
            return candidate
    return Path.cwd()


class LocalNeo4j:
    """The `neo4j-local/` Maven project: builds it and runs its embedded Neo4j DBMS."""

    def __init__(self, project_dir: Path) -> None:
        self.project_dir = project_dir
        if not (project_dir / "pom.xml").is_file():
            raise ServerError(f"{project_dir}: no pom.xml; set MEDGRAPH_NEO4J_LOCAL_DIR to the neo4j-local folder")

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalNeo4j:
        """The project the settings name, or the one in this checkout."""
        return cls(settings.local_neo4j.dir or project_root() / "neo4j-local")

    @property
    def built(self) -> bool:
        """True when classes and the runtime classpath are in `target/`."""
        target = self.project_dir / "target"
        return (target / "classes" / "org" / "medgraphrag" / "neo4jlocal" / "Main.class").is_file() and any(
            (target / "lib").glob("neo4j-server-*.jar")
        )

    def build(self) -> None:
        """Compile and copy the runtime jars with Maven (the first build downloads them)."""
        mvn = shutil.which("mvn")
        if mvn is None:
            raise ServerError("Maven (mvn) is not on PATH: install Maven 3.8+ and Java 17+ to run neo4j-local")
        done = subprocess.run(
            [mvn, "-q", "-B", "-f", str(self.project_dir / "pom.xml"), "package", "-DskipTests"],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise ServerError(f"building neo4j-local failed:\n{(done.stdout + done.stderr)[-3000:]}")

    def command(self, home: Path, port: int, heap: str, pagecache_mb: int, http_port: int = 0) -> list[str]:
        """The java command line that runs the DBMS (with `http_port`, also Neo4j Browser)."""
        return [
            *self._java(heap),
            _MAIN_CLASS,
            "--home",
            str(home),
            "--port",
            str(port),
            "--pagecache-mb",
            str(pagecache_mb),
            "--http-port",
            str(http_port),
        ]

    def admin_command(self, heap: str) -> list[str]:
        """The java command line of `neo4j-admin` (arguments follow), from the same jars."""
        if not self.built:
            self.build()
        return [*self._java(heap), _ADMIN_CLASS]

    def _java(self, heap: str) -> list[str]:
        java_home = os.environ.get("JAVA_HOME")
        java = str(Path(java_home) / "bin" / "java") if java_home else (shutil.which("java") or "java")
        classpath = os.pathsep.join(
            [str(self.project_dir / "target" / "classes"), str(self.project_dir / "target" / "lib" / "*")]
        )
        return [java, f"-Xmx{heap}", *_JVM_FLAGS, "-cp", classpath]

    def start(
        self,
        *,
        home: Path,
        port: int,
        password: str,
        heap: str = "1g",
        pagecache_mb: int = 512,
        http_port: int = 0,
        log_path: Path,
        timeout_s: float = 180.0,
    ) -> subprocess.Popen[bytes]:
        """Start the DBMS in its own process session and return once Bolt accepts connections;
        with `http_port`, its HTTP connector serves Neo4j Browser there too."""
        if not self.built:
            self.build()
        if port_in_use("127.0.0.1", port):
            raise ServerError(f"port {port} on 127.0.0.1 is taken by something that is not the configured Neo4j")
        if http_port and port_in_use("127.0.0.1", http_port):
            raise ServerError(
                f"port {http_port} on 127.0.0.1 is taken: set MEDGRAPH_NEO4J_LOCAL_HTTP_PORT (0: no Neo4j Browser)"
            )
        home.mkdir(parents=True, exist_ok=True)
        log_path.parent.mkdir(parents=True, exist_ok=True)
        offset = log_path.stat().st_size if log_path.exists() else 0
        with log_path.open("ab") as log:
            process = subprocess.Popen(
                self.command(home, port, heap, pagecache_mb, http_port),
                stdout=log,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                env={**os.environ, "NEO4J_PASSWORD": password},
                start_new_session=True,
            )
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise ServerError(f"neo4j-local exited with {process.returncode}:\n{log_tail(log_path)}")
            if _ready_line(log_path, offset):
                return process
            time.sleep(0.25)
        stop_process(process.pid)
        raise ServerError(f"neo4j-local did not become ready within {timeout_s:.0f}s:\n{log_tail(log_path)}")


@contextmanager
def scratch_local_server(
    password: str, *, heap: str = "1g", pagecache_mb: int = 256, home: Path | None = None
) -> Iterator[str]:
    """A neo4j-local on a free port, stopped on exit; yields its URI. Its data is thrown away, or,
    with `home`, kept there for the next start (a benchmark's graph, reused)."""
    local = LocalNeo4j(project_root() / "neo4j-local")
    with ExitStack() as stack:
        folder = (
            Path(home)
            if home is not None
            else Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="medgraph-neo4j-")))
        )
        folder.mkdir(parents=True, exist_ok=True)
        port = free_port()
        process = local.start(
            home=folder / "home",
            port=port,
            password=password,
            heap=heap,
            pagecache_mb=pagecache_mb,
            log_path=folder / "neo4j.log",
        )
        try:
            yield f"bolt://127.0.0.1:{port}"
        finally:
            stop_process(process.pid)
            process.wait(timeout=60)


def docker_engine() -> bool:
    """True when a Docker engine answers (a client alone is not enough)."""
    docker = shutil.which("docker")
    if docker is None:
        return False
    try:
        return subprocess.run([docker, "info"], capture_output=True, timeout=15).returncode == 0
    except (subprocess.TimeoutExpired, OSError):
        return False


def answers(settings: Settings, *, timeout_s: float = 3.0) -> bool:
    """True when a Neo4j server accepts the configured credentials at NEO4J_URI."""
    try:
        open_driver(settings.neo4j, connection_timeout_s=timeout_s).close()
    except GraphUnavailable:
        return False
    return True


def up(settings: Settings, echo: Echo = lambda message: None) -> ServerStatus:
    """Make a Neo4j answer at NEO4J_URI: use a running one, else Docker Compose, else neo4j-local."""
    if answers(settings):
        return status(settings)
    if settings.neo4j.host not in _LOCAL_HOSTS:
        raise ServerError(
            f"NEO4J_URI points at {settings.neo4j.host}, which does not answer; "
            "medgraph starts servers only on this machine (127.0.0.1)"
        )
    if docker_engine():
        echo("starting Neo4j with docker compose")
        _compose("up", "-d", "neo4j")
        _wait_until_answers(settings)
        return status(settings)
    local = LocalNeo4j.from_settings(settings)
    if not local.built:
        echo("building neo4j-local with Maven (the first build downloads Neo4j's jars)")
        local.build()
    echo(f"starting embedded Neo4j (neo4j-local) on 127.0.0.1:{settings.neo4j.port}")
    started = time.monotonic()
    process = local.start(
        home=local_home(settings),
        port=settings.neo4j.port,
        password=settings.neo4j.password.get_secret_value(),
        heap=settings.local_neo4j.heap,
        pagecache_mb=settings.local_neo4j.pagecache_mb,
        http_port=settings.local_neo4j.http_port,
        log_path=_log_file(settings),
        timeout_s=settings.local_neo4j.start_timeout_s,
    )
    _pid_file(settings).write_text(str(process.pid), encoding="utf-8")
    echo(f"neo4j-local is up in {time.monotonic() - started:.1f}s (pid {process.pid}, log {_log_file(settings)})")
    if settings.local_neo4j.http_port:
        echo(f"Neo4j Browser: {browser_url(settings)} (user {settings.neo4j.username}, the password of NEO4J_PASSWORD)")
    _wait_until_answers(settings)
    return status(settings)


def down(settings: Settings) -> str:
    """Stop the server `up` started; a server only reached through NEO4J_URI is left alone."""
    pid = _local_pid(settings)
    if pid is not None:
        stop_process(pid)
        _pid_file(settings).unlink(missing_ok=True)
        return f"stopped neo4j-local (pid {pid})"
    if _compose_running():
        _compose("stop", "neo4j")
        return "stopped the docker compose neo4j service"
    if answers(settings):
        return f"the Neo4j at {settings.neo4j.uri} was not started by medgraph; left running"
    return "no Neo4j is running"


def status(settings: Settings) -> ServerStatus:
    """Which way Neo4j runs, its version, and node counts by label."""
    if not answers(settings):
        return ServerStatus(uri=settings.neo4j.uri, running=False, detail="no Neo4j answers at NEO4J_URI")
    if _local_pid(settings) is not None:
        backend = Backend.LOCAL
    elif _compose_running():
        backend = Backend.DOCKER
    else:
        backend = Backend.URI
    connection = Connection(open_driver(settings.neo4j), settings.neo4j.database)
    try:
        inventory = Inventory(connection)
        server, counts = inventory.server(), inventory.label_counts()
    finally:
        connection.close()
    return ServerStatus(
        uri=settings.neo4j.uri,
        running=True,
        backend=backend,
        version=server.neo4j,
        edition=server.edition,
        counts=counts,
        browser=browser_url(settings) if backend == Backend.LOCAL and settings.local_neo4j.http_port else None,
    )


def browser_url(settings: Settings) -> str:
    """Where the Neo4j Browser of neo4j-local is served."""
    return f"http://127.0.0.1:{settings.local_neo4j.http_port}/browser/"


def local_home(settings: Settings) -> Path:
    """The NEO4J_HOME of the neo4j-local that `up` starts (its databases are under `data/databases`)."""
    return (settings.paths.data_dir / "neo4j").resolve()


def local_managed(settings: Settings) -> bool:
    """True when `up` started the Neo4j at NEO4J_URI, or would start neo4j-local for it."""
    if _local_pid(settings) is not None:
        return True
    return settings.neo4j.host in _LOCAL_HOSTS and not answers(settings) and not docker_engine()


def _log_file(settings: Settings) -> Path:
    return (settings.paths.data_dir / "neo4j-local.log").resolve()


def _pid_file(settings: Settings) -> Path:
    return (settings.paths.data_dir / "neo4j-local.pid").resolve()


def _local_pid(settings: Settings) -> int | None:
    """The pid of the neo4j-local that `up` started, if it still runs."""
    return recorded_pid(_pid_file(settings), _MAIN_CLASS)


def _compose(*args: str) -> None:
    compose_file = project_root() / "docker-compose.yml"
    done = subprocess.run(["docker", "compose", "-f", str(compose_file), *args], capture_output=True, text=True)
    if done.returncode != 0:
        raise ServerError(f"docker compose {' '.join(args)} failed:\n{done.stderr[-2000:]}")


def _compose_running() -> bool:
    if not docker_engine():
        return False
    compose_file = project_root() / "docker-compose.yml"
    done = subprocess.run(
        ["docker", "compose", "-f", str(compose_file), "ps", "--status", "running", "--services"],
        capture_output=True,
        text=True,
    )
    return done.returncode == 0 and "neo4j" in done.stdout.split()


def _wait_until_answers(settings: Settings) -> None:
    deadline = time.monotonic() + settings.local_neo4j.start_timeout_s
    while time.monotonic() < deadline:
        if answers(settings):
            return
        time.sleep(1.0)
    raise ServerError(
        f"Neo4j did not answer at {settings.neo4j.uri} within {settings.local_neo4j.start_timeout_s:.0f}s"
    )


def _ready_line(log_path: Path, offset: int) -> bool:
    with log_path.open("rb") as log:
        log.seek(offset)
        return any(line.startswith(READY_PREFIX.encode()) for line in log)
