"""kg dump / kg restore: a store round-trips exactly through N-Quads, and a damaged dump restores nothing."""

from __future__ import annotations

from pathlib import Path

import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg import resources
from kg.cli import app
from kg.config import Settings
from kg.ingest import ingest_paths
from kg.store import EmbeddedStore
from support import CORPUS, synthetic_record

runner = CliRunner()
pytestmark = pytest.mark.corpus


def kg(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def quads_of(data_dir: Path) -> list[ox.Quad]:
    store = EmbeddedStore(Settings(data_dir=data_dir).store_dir)
    try:
        return list(store._store)
    finally:
        del store


def leftovers(data_dir: Path) -> list[str]:
    """Anything restore may have left behind: a store, a staging or a retired folder."""
    if not data_dir.exists():
        return []
    return sorted(p.name for p in data_dir.iterdir() if p.name == "store" or p.name.startswith("."))


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder: the bundled sample, the real letters (replacing their sample records), one record."""
    settings = Settings(data_dir=tmp_path_factory.mktemp("source") / "db")
    store = EmbeddedStore(settings.store_dir)
    records = tmp_path_factory.mktemp("records")
    (records / "extra.json").write_text(synthetic_record().model_dump_json(), encoding="utf-8")
    for paths, replace in (([resources.sample_dir(), records], False), ([CORPUS], True)):
        results = ingest_paths(paths, store, settings, replace=replace)
        assert all(r.ok for r in results), [(r.source, r.error) for r in results if not r.ok]
    del store
    return settings.data_dir


@pytest.fixture(scope="module")
def dump_file(source: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("dump") / "kg.nq"
    result = kg("dump", str(path), "--data-dir", str(source))
    assert result.exit_code == 0, result.output
    return path


def test_restore_gives_back_every_quad_and_the_dump_again(source, dump_file, tmp_path):
    target = tmp_path / "restored"

    result = kg("restore", str(dump_file), "--data-dir", str(target))

    assert result.exit_code == 0, result.output
    original, restored = quads_of(source), quads_of(target)
    assert len(original) > 10_000
    assert any(isinstance(q.subject, ox.BlankNode) for q in original), "the ontology's lists are blank nodes"
    # Blank node labels are kept, so the comparison is exact, blank nodes included.
    assert sorted(map(str, restored)) == sorted(map(str, original))
    again = tmp_path / "again.nq"
    assert kg("dump", str(again), "--data-dir", str(target)).exit_code == 0
    assert sorted(again.read_bytes().splitlines()) == sorted(dump_file.read_bytes().splitlines())
    assert f"restored {len(original)} quads" in result.output
    assert leftovers(target) == ["store"]


def test_dump_to_stdout_is_the_same_file(source, dump_file):
    result = runner.invoke(app, ["dump", "-", "--data-dir", str(source)], catch_exceptions=False)
    assert result.exit_code == 0
    assert result.stdout_bytes == dump_file.read_bytes()


def test_a_store_that_holds_data_is_only_replaced_when_asked(source, dump_file, tmp_path):
    other = Settings(data_dir=tmp_path / "other")
    store = EmbeddedStore(other.store_dir)
    assert ingest_paths([resources.sample_dir() / "UA_GBR_3_2019.json"], store, other)[0].ok
    del store
    before = sorted(map(str, quads_of(other.data_dir)))

    refused = kg("restore", str(dump_file), "--data-dir", str(other.data_dir))

    assert refused.exit_code == 2
    assert "--replace-all" in refused.output and "already holds a store" in refused.output
    assert sorted(map(str, quads_of(other.data_dir))) == before

    replaced = kg("restore", str(dump_file), "--data-dir", str(other.data_dir), "--replace-all")

    assert replaced.exit_code == 0, replaced.output
    assert "replaced the store" in replaced.output
    assert sorted(map(str, quads_of(other.data_dir))) == sorted(map(str, quads_of(source)))
    assert leftovers(other.data_dir) == ["store"]


def test_a_plain_nquads_file_from_another_tool_restores(source, tmp_path):
    plain = tmp_path / "export.nq"
    assert kg("export", "--format", "nquads", "-o", str(plain), "--data-dir", str(source)).exit_code == 0

    result = kg("restore", str(plain), "--data-dir", str(tmp_path / "restored"))

    assert result.exit_code == 0, result.output
    assert len(quads_of(tmp_path / "restored")) == len(quads_of(source))


def damaged(dump: bytes, how: str) -> tuple[bytes, int]:
    """A damaged copy of the dump and the line the error must name."""
    lines = dump.splitlines(keepends=True)
    middle = len(lines) // 2
    if how == "cut mid-line":
        data = b"".join(lines[:middle]) + lines[middle][: len(lines[middle]) // 2]
        return data, middle + 1
    if how == "cut at a line end":
        return b"".join(lines[:middle]), middle
    if how == "garbage line":
        return b"".join(
            [*lines[:middle], b"<http://example.org/a> not a quad .\n", *lines[middle + 1 :]]
        ), middle + 1
    if how == "line dropped":
        return b"".join(lines[:middle] + lines[middle + 1 :]), len(lines) - 1
    raise ValueError(how)


@pytest.mark.parametrize("how", ["cut mid-line", "cut at a line end", "garbage line", "line dropped"])
def test_a_damaged_dump_is_refused_with_its_line_and_leaves_nothing(dump_file, tmp_path, how):
    data, line = damaged(dump_file.read_bytes(), how)
    bad = tmp_path / "bad.nq"
    bad.write_bytes(data)
    target = tmp_path / "restored"

    result = kg("restore", str(bad), "--data-dir", str(target))

    assert result.exit_code == 2
    message = " ".join(result.output.split())
    assert f"{bad}, line {line}:" in message
    assert "nothing was restored" in message
    assert leftovers(target) == []


def test_dump_of_a_folder_without_a_store_creates_nothing(tmp_path):
    result = kg("dump", str(tmp_path / "out.nq"), "--data-dir", str(tmp_path / "none"))
    assert result.exit_code == 2
    assert "no store in" in result.output
    assert not (tmp_path / "none").exists() and not (tmp_path / "out.nq").exists()
