"""RDF from users: entity bombs and external entities refused, remote JSON-LD contexts never fetched."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kg.cli import app
from kg.config import Settings
from kg.errors import InputError
from kg.exports import export_jsonld
from kg.ingest import build_document, ingest_record
from kg.rdf_input import UnsafeRdf, check_rdf_bytes, read_rdf_file
from kg.store import EmbeddedStore
from kg.vocab import load_vocabulary
from support import Listener, synthetic_record

runner = CliRunner()
RDF_NS = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
MEMORY_LIMIT = 1024**3  # the unguarded expansion needs about 4 GB


def kg(*args: str):
    return runner.invoke(app, list(args), catch_exceptions=False)


def billion_laughs(levels: int = 9) -> str:
    """Ten entities per level: ``&lol9;`` expands to 10**9 characters from under 1 KB of XML."""
    lines = ['<?xml version="1.0"?>', "<!DOCTYPE rdf:RDF [", ' <!ENTITY lol0 "lol">']
    for level in range(1, levels + 1):
        lines.append(f' <!ENTITY lol{level} "{f"&lol{level - 1};" * 10}">')
    lines += [
        "]>",
        f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://example.org/">',
        f' <rdf:Description rdf:about="http://example.org/a"><ex:p>&lol{levels};</ex:p></rdf:Description>',
        "</rdf:RDF>",
    ]
    return "\n".join(lines) + "\n"


@pytest.fixture
def listener() -> Iterator[Listener]:
    server = Listener()
    try:
        yield server
    finally:
        server.close()


# Runs kg under an address-space limit and reports its peak memory. A child started straight from
# pytest would inherit pytest's resident pages in its peak (fork and vfork both count them, and the
# peak survives exec): late in a full run that is hundreds of MB. So a small Python in between starts
# kg and reports the peak of its own child, which began from the small Python's few pages.
_LIMITED = """
import resource, subprocess, sys
limit, report, *args = sys.argv[1:]
resource.setrlimit(resource.RLIMIT_AS, (int(limit), int(limit)))
code = subprocess.call([sys.executable, "-m", "kg.cli", *args])
with open(report, "w") as out:
    out.write(str(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
sys.exit(code)
"""


def run_limited(args: list[str], cwd: Path) -> tuple[int, str, float, int]:
    """Run kg in a child with an address-space limit; exit code, stderr, seconds, peak RSS in bytes."""
    errors, report = cwd / "stderr.txt", cwd / "peak.txt"
    started = time.monotonic()
    with errors.open("wb") as sink:
        child = subprocess.Popen(
            [sys.executable, "-c", _LIMITED, str(MEMORY_LIMIT), str(report), *args],
            cwd=cwd,
            stdout=subprocess.DEVNULL,
            stderr=sink,
            env={**os.environ, "COLUMNS": "200"},
            start_new_session=True,
        )
        timer = threading.Timer(60, os.killpg, args=(child.pid, signal.SIGKILL))
        timer.start()
        try:
            code = child.wait()
        finally:
            timer.cancel()
    seconds = time.monotonic() - started
    peak = int(report.read_text()) * 1024  # missing only when the child was killed: then fail
    return code, errors.read_text(encoding="utf-8", errors="replace"), seconds, peak


# -- RDF/XML ------------------------------------------------------------------------------


def test_billion_laughs_is_refused_by_kg_validate_fast_and_small(tmp_path):
    bomb = tmp_path / "laughs.rdf"
    bomb.write_text(billion_laughs(), encoding="utf-8")
    assert bomb.stat().st_size < 1024

    code, stderr, seconds, peak = run_limited(["validate", str(bomb)], tmp_path)

    assert code == 2, stderr
    text = " ".join(stderr.split())
    assert f"{bomb}, line 2: RDF/XML with a DOCTYPE declaration is refused" in text
    assert seconds < 30, f"took {seconds:.1f} s"  # start-up time; the expansion alone took 11.6 s
    assert peak < 400 * 1024**2, f"peak RSS {peak / 1024**2:.0f} MB"


def test_the_check_itself_costs_nothing_measurable():
    data = billion_laughs().encode("utf-8")
    started = time.perf_counter()
    with pytest.raises(UnsafeRdf, match="line 2"):
        check_rdf_bytes(data, "xml", source="laughs.rdf")
    assert time.perf_counter() - started < 0.05


def test_external_entity_reading_a_local_file_is_refused(tmp_path):
    xxe = tmp_path / "xxe.rdf"
    xxe.write_text(
        '<?xml version="1.0"?>\n'
        '<!DOCTYPE rdf:RDF [ <!ENTITY secret SYSTEM "file:///etc/passwd"> ]>\n'
        f'<rdf:RDF xmlns:rdf="{RDF_NS}" xmlns:ex="http://example.org/">\n'
        ' <rdf:Description rdf:about="http://example.org/a"><ex:p>&secret;</ex:p></rdf:Description>\n'
        "</rdf:RDF>\n",
        encoding="utf-8",
    )

    result = kg("validate", str(xxe))

    assert result.exit_code == 2
    assert "line 2: RDF/XML with a DOCTYPE declaration is refused" in " ".join(result.output.split())
    assert "root:" not in result.output


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("utf16.rdf", billion_laughs().encode("utf-16")),
        (
            "declared.rdf",
            billion_laughs().replace('version="1.0"', 'version="1.0" encoding="UTF-16"').encode(),
        ),
        ("entity-only.rdf", b'<?xml version="1.0"?>\n<rdf:RDF>\n<!ENTITY a "b">\n</rdf:RDF>\n'),
        ("lower.owl", billion_laughs().replace("<!DOCTYPE", "<! doctype").encode()),
    ],
)
def test_declarations_cannot_hide_behind_encodings_or_spelling(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    with pytest.raises(UnsafeRdf, match=re.escape(str(path))):
        read_rdf_file(path)


def test_plain_rdfxml_still_validates(tmp_path):
    doc = build_document(synthetic_record(), Settings(), load_vocabulary())
    path = tmp_path / "letter.rdf"
    path.write_text(doc.graph.serialize(format="xml"), encoding="utf-8")

    result = kg("validate", str(path))

    assert result.exit_code == 0, result.output
    assert "conforms" in result.output


# -- JSON-LD and URLs -----------------------------------------------------------------------


def test_remote_jsonld_context_is_refused_without_a_connection(tmp_path, listener):
    url = listener.at("context.jsonld")
    path = tmp_path / "remote.jsonld"
    path.write_text(f'{{"@context": "{url}", "@id": "http://example.org/a", "name": "x"}}', encoding="utf-8")

    result = kg("validate", str(path))

    assert result.exit_code == 2
    text = " ".join(result.output.split())
    assert str(path) in text and url in text and "kg never fetches contexts" in text
    time.sleep(0.3)  # a connection attempt would have been accepted by now
    assert listener.connections == 0


@pytest.mark.parametrize(
    "document",
    [
        '{{"@context": ["{url}", {{"ex": "http://example.org/"}}], "@id": "ex:a"}}',
        '{{"@context": {{"@import": "{url}"}}, "@id": "http://example.org/a"}}',
        '{{"@context": {{"ex": {{"@id": "http://example.org/p", "@context": "{url}"}}}}, "ex": {{}}}}',
        '{{"@graph": [{{"@context": "{url}", "@id": "http://example.org/a"}}]}}',
    ],
    ids=["list", "import", "scoped", "nested"],
)
def test_every_way_of_naming_a_remote_context_is_refused(tmp_path, listener, document):
    path = tmp_path / "doc.jsonld"
    path.write_text(document.format(url=listener.at("ctx")), encoding="utf-8")
    with pytest.raises(UnsafeRdf, match="kg never fetches contexts"):
        read_rdf_file(path)
    time.sleep(0.2)
    assert listener.connections == 0


def test_a_url_given_as_a_file_is_not_fetched(listener):
    result = kg("validate", listener.at("letter.ttl"))
    assert result.exit_code == 2
    time.sleep(0.2)
    assert listener.connections == 0


def test_kg_own_jsonld_export_reads_back_whole(tmp_path):
    """The refusal must not hit kg's own files: exports carry their context inline."""
    store = EmbeddedStore(None)
    settings = Settings()
    assert ingest_record(synthetic_record(), store, settings, source="test").ok
    path = tmp_path / "export.jsonld"
    path.write_bytes(export_jsonld(store))
    dataset = read_rdf_file(path)
    assert len(dataset) == len(store)


def test_a_broken_file_names_itself(tmp_path):
    path = tmp_path / "broken.ttl"
    path.write_text("@prefix ex: <http://example.org/> .\nex:a ex:b .\n", encoding="utf-8")
    with pytest.raises(InputError, match=re.escape(f"{path}: not valid turtle")):
        read_rdf_file(path)
