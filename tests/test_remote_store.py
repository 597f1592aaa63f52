"""kg over an external SPARQL store: commands against a real Oxigraph server answer as the embedded store.

Each test drives the ``kg`` command (or kg.remote_store for the awkward-literal round trip)
against ``oxigraph serve`` started by support.oxigraph_server, and checks what a user would
see: the same query rows and paths as an embedded data folder built from the same letters,
refusals with a message that says what to do, and nothing written when kg refuses.
"""

from __future__ import annotations

import http.server
import io
import json
import stat
import threading
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import httpx
import pyoxigraph as ox
import pytest
from typer.testing import CliRunner

from kg.canned import load_canned_queries
from kg.cli import app
from kg.config import ONTOLOGY_NS, RemoteConfig, Settings
from kg.errors import StoreError
from kg.remote_store import RemoteStore
from support import CORPUS, connect_data_dir, free_port, oxigraph_server, synthetic_record

pytestmark = pytest.mark.corpus
runner = CliRunner()
STAMPS = {ONTOLOGY_NS + "ingestedAt", "http://www.w3.org/ns/prov#generatedAtTime"}  # differ per ingest


def kg(*args: str, env: dict[str, str] | None = None):
    return runner.invoke(app, list(args), env=env, catch_exceptions=False)


def server_quads(base: str) -> list[ox.Quad]:
    """What the server itself holds, read through its Graph Store endpoint (not through kg)."""
    answer = httpx.get(f"{base}/store", headers={"Accept": "application/n-quads"}, timeout=30)
    answer.raise_for_status()
    return list(ox.parse(answer.content, format=ox.RdfFormat.N_QUADS))


def rows(output: str) -> Counter[tuple[tuple[str, str], ...]]:
    """A SPARQL JSON answer as a multiset of rows; blank nodes compare as equal (their labels are local)."""
    data = json.loads(output)
    found: Counter[tuple[tuple[str, str], ...]] = Counter()
    for binding in data["results"]["bindings"]:
        found[
            tuple(
                sorted(
                    (name, "_:" if term["type"] == "bnode" else f"{term['value']}|{term.get('datatype', '')}")
                    for name, term in binding.items()
                )
            )
        ] += 1
    return found


def comparable(quads: list[ox.Quad]) -> Counter[str]:
    """Quads without blank nodes and ingest times: what two stores of the same letters share exactly."""
    return Counter(
        str(q)
        for q in quads
        if q.predicate.value not in STAMPS
        and not any(isinstance(t, ox.BlankNode) for t in (q.subject, q.object, q.graph_name))
    )


def dumped_quads(text: bytes) -> list[ox.Quad]:
    return list(ox.parse(text, format=ox.RdfFormat.N_QUADS))


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with oxigraph_server(tmp_path_factory.mktemp("oxigraph")) as base:
        yield base


@pytest.fixture(scope="module")
def remote(server: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data folder connected by `kg connect` to the server, holding the real letters."""
    data = tmp_path_factory.mktemp("remote") / "kg"
    result = kg(
        "connect",
        "--query-url",
        f"{server}/query",
        "--update-url",
        f"{server}/update",
        "--gsp-url",
        f"{server}/store",
        "--user",
        "kg-writer",
        "--data-dir",
        str(data),
        env={"KG_STORE_PASSWORD": "s3cret-do-not-store"},
    )
    assert result.exit_code == 0, result.output
    assert "union" in result.output
    result = kg("ingest", str(CORPUS), "--data-dir", str(data))
    assert result.exit_code == 0, result.output
    assert result.output.count("added") == 5
    return data


@pytest.fixture(scope="module")
def embedded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("embedded") / "kg"
    result = kg("ingest", str(CORPUS), "--data-dir", str(data))
    assert result.exit_code == 0, result.output
    return data


def test_connect_writes_the_store_file_without_the_password(
    remote: Path, server: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = remote / "store.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    text = path.read_text(encoding="utf-8")
    assert "s3cret" not in text
    saved = json.loads(text)
    assert saved["query_url"] == f"{server}/query" and saved["user"] == "kg-writer"
    monkeypatch.setenv("KG_STORE_PASSWORD", "from-the-environment")
    settings = Settings.from_env(data_dir=remote)
    assert settings.remote is not None
    assert settings.remote.update_url == f"{server}/update"
    assert settings.remote.password == "from-the-environment"
    assert not (remote / "store").exists() and not (remote / "snapshots").exists()  # nothing embedded


def test_connect_refuses_a_store_whose_default_graph_is_not_the_union(tmp_path: Path) -> None:
    with oxigraph_server(union=False) as base:
        result = kg(
            "connect",
            "--query-url",
            f"{base}/query",
            "--update-url",
            f"{base}/update",
            "--data-dir",
            str(tmp_path),
        )
        assert result.exit_code == 2
        assert "--union-default-graph" in result.output and "Oxigraph" in result.output
        assert server_quads(base) == []  # the test triple was dropped again
    assert not (tmp_path / "store.json").exists()


def test_an_unreachable_store_is_named_with_what_to_do(tmp_path: Path) -> None:
    dead = f"http://127.0.0.1:{free_port()}/query"
    result = kg("connect", "--query-url", dead, "--data-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "cannot reach the store at " + dead in result.output and "running" in result.output
    result = kg("query", "ASK {}", "--data-dir", str(tmp_path), env={"KG_STORE_QUERY_URL": dead})
    assert result.exit_code == 2 and dead in result.output


class _Refusing(http.server.BaseHTTPRequestHandler):
    """A SPARQL endpoint that answers every request with one HTTP error and a message of its own."""

    status = 401

    def _answer(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        body = f"store says no (status {self.status})\nsecond line of the message".encode()
        self.send_response(self.status)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = _answer

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.parametrize("status", [401, 500])
def test_http_errors_name_the_status_and_the_store_message(status: int, tmp_path: Path) -> None:
    handler = type("Handler", (_Refusing,), {"status": status})
    with http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler) as fake:
        thread = threading.Thread(target=fake.serve_forever, daemon=True)
        thread.start()
        url = f"http://127.0.0.1:{fake.server_address[1]}/sparql"
        try:
            result = kg("connect", "--query-url", url, "--user", "someone", "--data-dir", str(tmp_path))
        finally:
            fake.shutdown()
            thread.join(timeout=5)
    assert result.exit_code == 2
    assert f"HTTP {status}" in result.output and "store says no" in result.output and url in result.output
    if status == 401:
        assert "KG_STORE_PASSWORD" in result.output and "--auth digest" in result.output
    assert not (tmp_path / "store.json").exists()


def test_a_query_that_does_not_parse_reports_the_store_message(remote: Path) -> None:
    result = kg("query", "SELEC ?s WHERE { ?s ?p ?o }", "--data-dir", str(remote))
    assert result.exit_code == 2
    assert "HTTP 400" in result.output and "1:" in result.output  # the store's own position


def test_every_canned_query_gives_the_same_rows_as_the_embedded_store(remote: Path, embedded: Path) -> None:
    queries = [
        *load_canned_queries(),
        "SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g",
    ]
    nonempty = 0
    for name in queries:
        here = kg("query", name, "--format", "json", "--data-dir", str(embedded))
        there = kg("query", name, "--format", "json", "--data-dir", str(remote))
        assert (here.exit_code, there.exit_code) == (0, 0), (name, here.output, there.output)
        assert rows(there.output) == rows(here.output), name
        nonempty += bool(rows(here.output))
    assert nonempty >= 10  # the comparison is not between empty answers
    count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
    for flags in ((), ("--no-inferred",)):  # --no-inferred leaves the inferred graphs out on both
        here = kg("query", count, "-f", "csv", *flags, "--data-dir", str(embedded))
        there = kg("query", count, "-f", "csv", *flags, "--data-dir", str(remote))
        assert there.exit_code == 0 and there.output == here.output, flags
    with_inferred = kg("query", count, "-f", "csv", "--data-dir", str(remote)).output
    assert with_inferred != kg("query", count, "-f", "csv", "--no-inferred", "--data-dir", str(remote)).output


def test_paths_are_the_same_as_over_the_embedded_store(remote: Path, embedded: Path) -> None:
    args = ("paths", "Li-Ning", "--to-type", "Allegation", "--format", "json")
    here = kg(*args, "--data-dir", str(embedded))
    there = kg(*args, "--data-dir", str(remote))
    assert here.exit_code == 0, here.output
    assert there.exit_code == 0, there.output
    assert json.loads(there.output)["paths"] == json.loads(here.output)["paths"]
    assert json.loads(here.output)["paths"]


def test_stats_and_dump_read_the_external_store(remote: Path, embedded: Path, tmp_path: Path) -> None:
    stats = kg("stats", "--data-dir", str(remote))
    assert stats.exit_code == 0 and "documents" in stats.output
    assert next(line for line in stats.output.splitlines() if "documents" in line).split()[-2] == "5"
    for data in (remote, embedded):
        result = kg("dump", str(tmp_path / f"{data.parent.name}.nq"), "--data-dir", str(data))
        assert result.exit_code == 0, result.output
    there = (tmp_path / f"{remote.parent.name}.nq").read_bytes()
    here = (tmp_path / f"{embedded.parent.name}.nq").read_bytes()
    assert there.startswith(b"# kg dump")
    closing = there.rstrip().rsplit(b"\n", 1)[-1]
    assert closing == f"# end of kg dump: {len(dumped_quads(there))} quads".encode()
    assert len(dumped_quads(there)) == len(dumped_quads(here))
    assert comparable(dumped_quads(there)) == comparable(dumped_quads(here))
    exported = kg("export", "--format", "nquads", "--data-dir", str(remote))  # no snapshot: the store itself
    assert exported.exit_code == 0
    assert comparable(dumped_quads(exported.stdout_bytes)) == comparable(dumped_quads(here))


def test_a_dump_restores_into_another_external_store(remote: Path, tmp_path: Path) -> None:
    dump = tmp_path / "remote.nq"
    assert kg("dump", str(dump), "--data-dir", str(remote)).exit_code == 0
    target = tmp_path / "target"
    cut = tmp_path / "cut.nq"
    cut.write_bytes(dump.read_bytes().rstrip().rsplit(b"\n", 1)[0] + b"\n")  # the closing line is gone
    with oxigraph_server() as base:
        connect_data_dir(target, base)
        refused = kg("restore", str(cut), "--data-dir", str(target))
        assert refused.exit_code == 2 and "cut short" in refused.output and server_quads(base) == []
        result = kg("restore", str(dump), "--data-dir", str(target))
        assert result.exit_code == 0, result.output
        again = kg("restore", str(dump), "--data-dir", str(target))
        assert again.exit_code == 2 and "--replace-all" in again.output
        back = tmp_path / "back.nq"
        assert kg("dump", str(back), "--data-dir", str(target)).exit_code == 0
    original, restored = dumped_quads(dump.read_bytes()), dumped_quads(back.read_bytes())
    assert len(restored) == len(original)
    assert Counter(map(str, restored)) != Counter() and comparable(restored) == comparable(original)


def test_remove_and_replace_conflict(tmp_path: Path) -> None:
    record = synthetic_record("AL OTH 931/2024")
    first, second = tmp_path / "first.json", tmp_path / "second.json"
    first.write_text(record.to_json(), encoding="utf-8")
    second.write_text(
        synthetic_record("AL OTH 931/2024", company="Other Mining Ltd").to_json(), encoding="utf-8"
    )
    with oxigraph_server() as base:
        data = tmp_path / "kg"
        connect_data_dir(data, base)
        assert kg("ingest", str(first), "--data-dir", str(data)).exit_code == 0
        assert "unchanged" in kg("ingest", str(first), "--data-dir", str(data)).output
        conflict = kg("ingest", str(second), "--data-dir", str(data))
        assert conflict.exit_code == 1 and "already in the store with different content" in conflict.output
        assert (
            "Acme Mining"
            in kg("query", "communications-by-company", "-f", "csv", "--data-dir", str(data)).output
        )
        replaced = kg("ingest", str(second), "--replace", "--data-dir", str(data))
        assert replaced.exit_code == 0 and "replaced" in replaced.output
        companies = kg("query", "communications-by-company", "-f", "csv", "--data-dir", str(data)).output
        assert "Other Mining" in companies and "Acme Mining" not in companies
        removed = kg("remove", "AL OTH 931/2024", "--data-dir", str(data))
        assert removed.exit_code == 0, removed.output
        graphs = {str(q.graph_name.value) for q in server_quads(base)}
        assert not any("931-2024" in g for g in graphs) and graphs  # the ontology and vocabularies stay
        missing = kg("remove", "AL OTH 931/2024", "--data-dir", str(data))
        assert missing.exit_code == 2 and "not in the store" in missing.output
    back = kg("connect", "--embedded", "--data-dir", str(data))
    assert back.exit_code == 0 and not (data / "store.json").exists()
    assert Settings.from_env(data_dir=data).remote is None


def test_letters_under_embargo_are_refused_and_nothing_is_written(tmp_path: Path) -> None:
    import datetime as dt

    future = synthetic_record("AL OTH 932/2024").model_copy(
        update={"publication_date": dt.date.today() + dt.timedelta(days=30)}
    )
    letters = tmp_path / "letters"
    letters.mkdir()
    (letters / "future.json").write_text(future.to_json(), encoding="utf-8")
    (letters / "plain.json").write_text(synthetic_record("AL OTH 933/2024").to_json(), encoding="utf-8")
    (tmp_path / "hidden.json").write_text(synthetic_record("AL OTH 934/2024").to_json(), encoding="utf-8")
    with oxigraph_server() as base:
        data = tmp_path / "kg"
        connect_data_dir(data, base)
        # One batch: the letter published next month is refused, the other one lands.
        batch = kg("ingest", str(letters), "--data-dir", str(data))
        assert batch.exit_code == 1
        assert (
            "AL OTH 932/2024: under embargo until" in batch.output and "nothing was written" in batch.output
        )
        assert "added" in batch.output
        operator = kg(
            "ingest", str(tmp_path / "hidden.json"), "--embargo-until", "2999-01-01", "--data-dir", str(data)
        )
        assert (
            operator.exit_code == 1 and "AL OTH 934/2024: under embargo until 2999-01-01" in operator.output
        )
        graphs = {str(q.graph_name.value) for q in server_quads(base)}
        assert any(g.endswith("/al-oth-933-2024") for g in graphs)
        assert not any("932-2024" in g or "934-2024" in g or g.endswith("/embargo") for g in graphs)
        later = kg("embargo", "set", "AL OTH 933/2024", "--until", "2999-01-01", "--data-dir", str(data))
        assert later.exit_code == 2 and "embedded data folder" in later.output
        listed = kg("embargo", "--data-dir", str(data))
        assert listed.exit_code == 0 and "0 letter(s) under embargo" in listed.output


AWKWARD = [
    'say "hello"\nnext line\ttab',
    "back\\slash and a literal \\u0041 and \\U0001F600 written out",
    "control \x01\x7f\x08\x0c\r end",
    "astral 😀, accents é ñ, line separator \u2028, right-to-left \u05d0",
    "'''triple single''' and \"\"\"triple double\"\"\" and a trailing backslash \\",
    "",
]


def test_awkward_literals_and_blank_nodes_round_trip(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = "https://w3id.org/kg-spcomm/graph/test-literals"
    node = ox.NamedNode(graph)
    say = ox.NamedNode("https://example.org/say")
    quads = [
        ox.Quad(ox.NamedNode(f"https://example.org/s{i}"), say, ox.Literal(text), node)
        for i, text in enumerate(AWKWARD)
    ]
    quads.append(ox.Quad(ox.NamedNode("https://example.org/é"), say, ox.Literal("x", language="en-GB"), node))
    head, tail = ox.BlankNode("head"), ox.BlankNode("tail")
    quads += [
        ox.Quad(ox.NamedNode("https://example.org/list"), say, head, node),
        ox.Quad(head, say, tail, node),
        ox.Quad(tail, say, ox.Literal("end of the chain"), node),
    ]
    with oxigraph_server() as base:
        config = RemoteConfig(query_url=f"{base}/query", update_url=f"{base}/update")
        with RemoteStore(config) as store:
            assert store.replace_graphs({graph: quads}) == len(quads)
            back = list(store.graph_triples(graph))
            literals = {str(q.object.value) for q in back if isinstance(q.object, ox.Literal)}
            assert literals == {*AWKWARD, "x", "end of the chain"}
            chain = {q.subject: q.object for q in back if isinstance(q.subject, ox.BlankNode)}
            first = next(q.object for q in back if q.subject == ox.NamedNode("https://example.org/list"))
            assert chain[chain[first]] == ox.Literal("end of the chain")  # the blank nodes still link up
            found = store.query(
                "SELECT ?s WHERE { ?s ?p ?text }", substitutions={"text": ox.Literal(AWKWARD[0])}
            )
            assert [str(row["s"].value) for row in found] == ["https://example.org/s0"]  # type: ignore[union-attr]
            # A bulk load keeps a blank-node chain whole even when chunks (of 2 quads here) split the rest.
            monkeypatch.setattr("kg.remote_store._CHUNK_QUADS", 2)
            store.extend(q for q in quads)
            assert len(store) == len(quads) + 3  # the named triples coincide, the chain is new
            # Without a Graph Store endpoint a dump reads every quad through one SELECT.
            buffer = io.BytesIO()
            store.dump(buffer, ox.RdfFormat.N_QUADS)
            dumped = dumped_quads(buffer.getvalue())
            assert len(dumped) == len(store)
            assert {str(q.object.value) for q in dumped if isinstance(q.object, ox.Literal)} == literals
            tails = [q.subject for q in dumped if q.object == ox.Literal("end of the chain")]
            assert len(tails) == 2 and all(any(q.object == t for q in dumped) for t in tails)
            assert store.remove_graph(graph) and not store.has_graph(graph)


def test_link_and_import_write_to_the_external_store(tmp_path: Path) -> None:
    """kg link (against a fixture Wikidata endpoint) and kg import ftm write into the external store."""
    tests = Path(__file__).parent
    record = synthetic_record("AL OTH 935/2024", company="Li-Ning Company Limited")
    (tmp_path / "letter.json").write_text(record.to_json(), encoding="utf-8")
    with oxigraph_server() as base, oxigraph_server() as wikidata:
        fixture = (tests / "fixtures" / "wikidata-fixture.ttl").read_bytes()
        httpx.post(
            f"{wikidata}/store",
            params={"default": ""},
            content=fixture,
            headers={"Content-Type": "text/turtle"},
        ).raise_for_status()
        data = tmp_path / "kg"
        connect_data_dir(data, base)
        assert kg("ingest", str(tmp_path / "letter.json"), "--data-dir", str(data)).exit_code == 0
        linked = kg("link", "--endpoint", f"{wikidata}/query", "--data-dir", str(data))
        assert linked.exit_code == 0, linked.output
        assert "linked by rule" in linked.output
        imported = kg(
            "import",
            "ftm",
            str(tests / "ftm" / "fictional-list.ftm.json"),
            "--list-name",
            "Fictional",
            "--data-dir",
            str(data),
        )
        assert imported.exit_code == 0, imported.output
        assert "1 matched" in imported.output
        held = server_quads(base)
    match = "http://www.w3.org/2004/02/skos/core#exactMatch"
    assert any(
        q.predicate.value == match and q.object == ox.NamedNode("http://www.wikidata.org/entity/Q900001")
        for q in held
    )
    assert any(q.predicate.value == ONTOLOGY_NS + "listedOn" for q in held)
    assert not (data / "snapshots").exists()  # nothing was published locally


def test_batches_land_whole_items_and_refuse_an_embargo_before_sending(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def item(name: str, *extra: ox.Quad) -> tuple[dict[str, list[ox.Quad]], list[ox.Quad], list[str]]:
        graph = f"https://w3id.org/kg-spcomm/graph/batch-{name}"
        quad = ox.Quad(
            ox.NamedNode(graph), ox.NamedNode("https://example.org/p"), ox.Literal(name), ox.NamedNode(graph)
        )
        return {graph: [quad]}, list(extra), []

    embargo = ox.Quad(
        ox.NamedNode("https://w3id.org/kg-spcomm/graph/batch-c"),
        ox.NamedNode(ONTOLOGY_NS + "embargoedUntil"),
        ox.Literal("2999-01-01T00:00:00+00:00"),
        ox.NamedNode("https://w3id.org/kg-spcomm/graph/embargo"),
    )
    with (
        oxigraph_server() as base,
        RemoteStore(RemoteConfig(query_url=f"{base}/query", update_url=f"{base}/update")) as store,
    ):
        with pytest.raises(StoreError, match="nothing was written"):
            store.replace_graphs_many([item("a"), item("b"), item("c", embargo)])
        assert server_quads(base) == []
        monkeypatch.setattr("kg.remote_store._CHUNK_CHARS", 10)  # one request per item
        assert store.replace_graphs_many([item("a"), item("b"), item("a")]) == 3
        assert sorted(str(q.object.value) for q in server_quads(base)) == ["a", "b"]
