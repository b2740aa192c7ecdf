"""The four areas install as subpackages of `medgraphrag`, never as bare top-level modules."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.conftest import REPO

AREAS = ("ingest", "graph", "retrieval", "cypher")
# The floors that live inside medgraphrag/ itself.
PACKAGES = ("core", "nlp", "models", "api", "api/routers", "cli", "web")


@pytest.mark.slow
def test_wheel_holds_only_the_medgraphrag_namespace(tmp_path: Path) -> None:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            str(REPO),
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(tmp_path),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = tmp_path.glob("medgraphrag-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {name.split("/")[0] for name in names} == {"medgraphrag", wheel.name.split("-py3")[0] + ".dist-info"}
    for package in (*AREAS, *PACKAGES):
        assert f"medgraphrag/{package}/__init__.py" in names, package
    for asset in ("evidence.html", "evidence.css", "evidence.js"):
        assert f"medgraphrag/web/{asset}" in names, asset
    assert "medgraphrag/cypher/schema.cypher" in names
    assert "medgraphrag/graph/server.py" in names
    entry_points = zipfile.ZipFile(wheel).read(f"{wheel.name.split('-py3')[0]}.dist-info/entry_points.txt")
    assert b"medgraph = medgraphrag.cli:app" in entry_points


def test_installed_package_imports_areas_but_no_bare_modules(tmp_path: Path) -> None:
    script = (
        "import importlib.util, medgraphrag.graph, medgraphrag.ingest, medgraphrag.retrieval, medgraphrag.cypher\n"
        f"print([importlib.util.find_spec(name) is None for name in {AREAS!r}])\n"
        "print(medgraphrag.cypher.load('schema').startswith('CREATE CONSTRAINT'))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[:2] == ["[True, True, True, True]", "True"]
