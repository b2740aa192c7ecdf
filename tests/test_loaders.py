from pathlib import Path

import pytest

from medgraphrag.ingest.loaders import LoadError, discover, load


def test_markdown_title_and_stable_identity(tmp_path: Path) -> None:
    path = tmp_path / "note.md"
    path.write_text("Intro line\n\n## Sepsis bundle ##\n\nGive fluids.\n", encoding="utf-8")
    first = load(path)
    assert first.title == "Sepsis bundle"
    assert first.media_type == "text/markdown"
    path.write_text("Changed text.\n", encoding="utf-8")
    second = load(path)
    assert second.doc_id == first.doc_id
    assert second.sha256 != first.sha256


def test_empty_file_is_refused_by_name(tmp_path: Path) -> None:
    path = tmp_path / "empty.txt"
    path.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(LoadError) as info:
        load(path)
    assert str(path) in str(info.value) and "empty" in str(info.value)


def test_non_utf8_file_is_refused_with_the_offending_byte(tmp_path: Path) -> None:
    path = tmp_path / "latin1.txt"
    path.write_bytes("Fièvre persistante".encode("latin-1"))
    with pytest.raises(LoadError) as info:
        load(path)
    assert info.value.path == str(path)
    assert "not valid UTF-8" in info.value.reason and "0xe8" in info.value.reason


def test_discover_recurses_and_reports_what_it_cannot_take(tmp_path: Path) -> None:
    (tmp_path / "a" / "b").mkdir(parents=True)
    (tmp_path / "a" / "b" / "deep.md").write_text("x", encoding="utf-8")
    (tmp_path / "a" / "top.txt").write_text("x", encoding="utf-8")
    (tmp_path / "a" / "image.png").write_bytes(b"\x89PNG")
    (tmp_path / "a" / ".hidden.txt").write_text("x", encoding="utf-8")
    (tmp_path / "scan.pdf").write_bytes(b"%PDF")
    files, errors = discover([tmp_path / "a", tmp_path / "scan.pdf", tmp_path / "missing.txt"])
    assert [f.name for f in files] == ["deep.md", "top.txt"]
    reasons = {Path(e.path).name: e.reason for e in errors}
    assert "unsupported file type '.pdf'" in reasons["scan.pdf"]
    assert reasons["missing.txt"] == "no such file or folder"
