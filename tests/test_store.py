"""The embedded store: graphs are swapped whole, persist across opens, and the store is exclusive."""

from __future__ import annotations

import subprocess
import sys

import pytest
from rdflib import Graph, Literal, URIRef

from kg.errors import StoreError
from kg.store import EmbeddedStore

G = "https://x.test/graph/one"


def graph_of(*values: str) -> Graph:
    g = Graph()
    for v in values:
        g.add((URIRef("https://x.test/s"), URIRef("https://x.test/p"), Literal(v)))
    return g


def objects(store: EmbeddedStore) -> set[str]:
    return {str(q.object.value) for q in store.graph_triples(G)}


def test_replace_swaps_the_whole_graph(tmp_path):
    store = EmbeddedStore(tmp_path / "db")
    store.replace_graph(G, graph_of("a", "b"))
    store.replace_graph(G, graph_of("c"))
    assert objects(store) == {"c"}


def test_awkward_literals_survive_the_round_trip(tmp_path):
    store = EmbeddedStore(tmp_path / "db")
    tricky = 'quote " backslash \\ newline\n tab\t brace } unicode ü “smart”'
    store.replace_graph(G, graph_of(tricky))
    assert objects(store) == {tricky}


def test_data_persists_after_reopening(tmp_path):
    store = EmbeddedStore(tmp_path / "db")
    store.replace_graph(G, graph_of("kept"))
    store.flush()
    del store
    assert objects(EmbeddedStore(tmp_path / "db")) == {"kept"}


def test_second_process_gets_a_clear_error(tmp_path):
    store = EmbeddedStore(tmp_path / "db")
    store.replace_graph(G, graph_of("x"))
    code = (
        "import sys\nfrom pathlib import Path\n"
        "from kg.store import EmbeddedStore\nfrom kg.errors import StoreError\n"
        f"try:\n    EmbeddedStore(Path({str(tmp_path / 'db')!r}))\n"
        "except StoreError as e:\n    print(e); sys.exit(3)\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "--data-dir" in proc.stdout


def test_remove_graph_reports_whether_it_existed(tmp_path):
    store = EmbeddedStore(tmp_path / "db")
    store.replace_graph(G, graph_of("x"))
    assert store.remove_graph(G) is True
    assert store.remove_graph(G) is False
    assert objects(store) == set()


def test_store_in_a_file_path_fails_clearly(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreError, match="cannot open the store"):
        EmbeddedStore(blocker)


def test_a_data_folder_in_the_old_layout_is_refused_with_the_way_to_move_it(tmp_path) -> None:
    import json

    import pyoxigraph as ox

    old = ox.Store(str(tmp_path))
    old.update("INSERT DATA { <http://example.org/a> <http://example.org/b> <http://example.org/c> }")
    old.flush()
    del old
    result = subprocess.run(
        [sys.executable, "-m", "kg.cli", "stats", "--data-dir", str(tmp_path)], capture_output=True, text=True
    )
    assert result.returncode == 2
    assert "old layout" in result.stderr and "mkdir store" in result.stderr
    assert not (tmp_path / "store").exists()  # nothing was started beside the old files
    move = result.stderr[result.stderr.index("cd ") :].strip().replace("\n", "")
    subprocess.run(move, shell=True, check=True)
    moved = subprocess.run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "query",
            "ASK { ?s ?p ?o }",
            "-f",
            "json",
            "--data-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
    )
    assert moved.returncode == 0 and json.loads(moved.stdout)["boolean"] is True
