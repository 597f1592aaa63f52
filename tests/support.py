"""Shared test helpers: a synthetic communication record with fictional names, built in code."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

from kg.record import (
    Actor,
    Allegation,
    CommunicationRecord,
    ConceptRef,
    Evidence,
    MandateRef,
    NormCitation,
    Place,
    Question,
    ReferenceParts,
    Signatory,
    Source,
)

V = "https://w3id.org/kg-spcomm/vocab/"
REPO = Path(__file__).resolve().parent.parent
CORPUS = REPO.parent / "shared" / "corpus"


def synthetic_record(
    reference: str = "AL OTH 901/2024", *, company: str = "Acme Mining Ltd"
) -> CommunicationRecord:
    """A fictional letter to a fictional company, shaped like a real record."""
    kind, country, tail = reference.split(" ")
    number, year = tail.split("/")
    ev = Evidence(start=0, end=10, quote="fictional")
    return CommunicationRecord(
        reference=reference,
        reference_parts=ReferenceParts(type=kind, country=country, number=int(number), year=int(year)),
        reference_evidence=ev,
        type=kind,
        date=dt.date(2024, 5, 2),
        date_evidence=Evidence(start=11, end=22),
        recipient=Actor(kind="company", name=company, evidence=Evidence(start=30, end=45)),
        mandates=[
            MandateRef(name="Working Group on business", iri=V + "mandate/wg-business", resolution="44/15"),
            MandateRef(
                name="Special Rapporteur on torture", iri=V + "mandate/sr-torture", resolution="43/20"
            ),
        ],
        resolutions=["44/15", "43/20"],
        signatories=[
            Signatory(name="Jane Example", title="Chair-Rapporteur", mandate_iri=V + "mandate/wg-business"),
            Signatory(name="John Sample", title="Special Rapporteur", mandate_iri=V + "mandate/sr-torture"),
        ],
        allegations=[
            Allegation(
                issue="forced labour",
                issue_iri=V + "issue/forced-labour",
                affected_groups=[ConceptRef(label="miners")],
                locations=[Place(name="Northern Province", country="ZMB")],
                evidence=[Evidence(start=50, end=120, quote="fictional allegation sentence")],
            )
        ],
        questions=[Question(number=1, text="Please explain.", evidence=Evidence(start=200, end=215))],
        norms_cited=[NormCitation(kind="guiding_principle", id="13", label="Guiding Principle 13")],
        also_sent_to=[Actor(kind="state", name="Zambia", country="ZMB")],
        publication_days=60,
        publication_date=dt.date(2024, 7, 1),
        source=Source(file_name="fictional.txt", sha256="0" * 64, media_type="text/plain", length=300),
    )


def sample_store(tmp_path_factory: object) -> object:
    """A store built from the bundled sample records, as `kg demo` builds it."""
    from kg import resources
    from kg.config import Settings
    from kg.ingest import ingest_paths
    from kg.store import EmbeddedStore

    folder = tmp_path_factory.mktemp("sample")  # type: ignore[attr-defined]
    settings = Settings(data_dir=folder / "db")
    store = EmbeddedStore(settings.store_dir)
    results = ingest_paths([resources.sample_dir()], store, settings)
    bad = [r for r in results if not r.ok]
    assert not bad, f"sample records did not ingest: {[(r.source, r.error) for r in bad]}"
    return store


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def build_sample_store(folder: Path) -> Path:
    """A store holding the sample graph (ontology, vocabularies, five communications); closed on return."""
    from kg import resources
    from kg.config import Settings
    from kg.ingest import ingest_paths
    from kg.store import EmbeddedStore

    settings = Settings(data_dir=folder / "db")
    store = EmbeddedStore(settings.store_dir)
    results = ingest_paths([resources.sample_dir()], store, settings)
    bad = [(r.source, r.error) for r in results if not r.ok]
    assert not bad, f"sample records did not ingest: {bad}"
    del store  # releases the store's lock: the server opens it next
    return settings.data_dir


def build_store(folder: Path, records: list[CommunicationRecord], *, with_sample: bool = True) -> Path:
    """A data folder holding ``records`` (and the bundled sample unless told not to), ready to serve.

    Each record goes through the real ingest path (SHACL gate included); returns the data folder
    to give ``kg serve --data-dir``. The store is closed on return.
    """
    from kg import resources
    from kg.config import Settings
    from kg.ingest import ingest_paths, ingest_record
    from kg.store import EmbeddedStore

    settings = Settings(data_dir=folder / "db")
    store = EmbeddedStore(settings.store_dir)
    if with_sample:
        assert all(r.ok for r in ingest_paths([resources.sample_dir()], store, settings))
    for record in records:
        result = ingest_record(record, store, settings, source=f"test:{record.reference}")
        assert result.ok, (record.reference, result.error, result.report)
    store.flush()
    del store
    return settings.data_dir


def copy_store(source: Path, target: Path) -> Path:
    """A private copy of a closed store, for a second server process with other settings."""
    shutil.copytree(source, target)
    return target


class Listener:
    """A loopback HTTP listener standing in for a remote SPARQL endpoint or a URL to LOAD.

    It counts connections and answers each with a one-row SPARQL JSON result, so the allowed
    SERVICE call (the positive control) gets a real answer.
    """

    ANSWER = b'{"head":{"vars":["x"]},"results":{"bindings":[{"x":{"type":"literal","value":"remote"}}]}}'

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.sock.settimeout(0.2)
        self.port = int(self.sock.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}/sparql"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.connections += 1
            with conn:
                conn.settimeout(2)
                received = b""
                try:
                    while b"\r\n\r\n" not in received:
                        chunk = conn.recv(65536)
                        if not chunk:
                            break
                        received += chunk
                    head = (
                        b"HTTP/1.1 200 OK\r\nContent-Type: application/sparql-results+json\r\n"
                        b"Connection: close\r\nContent-Length: "
                        + str(len(self.ANSWER)).encode()
                        + b"\r\n\r\n"
                    )
                    conn.sendall(head + self.ANSWER)
                except OSError:
                    pass

    def at(self, path: str) -> str:
        """A URL on this listener, for RDF that names remote contexts or entities."""
        return f"http://127.0.0.1:{self.port}/{path}"

    def close(self) -> None:
        self._stop.set()
        self.sock.close()
        self._thread.join(timeout=5)


# The `oxigraph` command that came with the test dependencies: beside this Python, as a venv puts
# it, even when the venv's bin folder is not on PATH (.ci/run calls .venv/bin/python directly).
OXIGRAPH = (
    shutil.which("oxigraph", path=os.pathsep.join([str(Path(sys.executable).parent), os.environ["PATH"]]))
    or "oxigraph"
)


@contextlib.contextmanager
def oxigraph_server(location: Path | None = None, *, union: bool = True) -> Iterator[str]:
    """A real Oxigraph server (the ``oxigraph`` command) on a free loopback port; yields its base URL.

    Query endpoint ``<base>/query``, update ``<base>/update``, Graph Store ``<base>/store``.
    ``location`` is the folder it persists to (a temporary one by default); ``union`` starts it
    with --union-default-graph, which kg needs. The server is killed on exit.
    """
    import httpx

    with contextlib.ExitStack() as stack:
        if location is None:
            location = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="kg-oxigraph-")))
        port = free_port()
        command = [OXIGRAPH, "serve", "--location", str(location), "--bind", f"127.0.0.1:{port}"]
        if union:
            command.append("--union-default-graph")
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        base = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:
                if process.poll() is not None:
                    message = process.stderr.read().decode(errors="replace") if process.stderr else ""
                    raise RuntimeError(f"oxigraph serve exited with {process.returncode}: {message}")
                try:
                    httpx.get(f"{base}/query", params={"query": "ASK {}"}, timeout=1).raise_for_status()
                    break
                except httpx.HTTPError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.05)
            yield base
        finally:
            process.kill()
            process.wait(timeout=10)
            if process.stderr:
                process.stderr.close()


def connect_data_dir(data_dir: Path, base_url: str) -> Path:
    """Point ``data_dir`` at the Oxigraph server at ``base_url`` as ``kg connect`` does (checks included)."""
    from kg.config import RemoteConfig
    from kg.remote_store import connect_store

    config = RemoteConfig(
        query_url=f"{base_url}/query", update_url=f"{base_url}/update", gsp_url=f"{base_url}/store"
    )
    return connect_store(data_dir, config).config_file
