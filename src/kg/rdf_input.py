"""The one way kg reads RDF that a user hands it: no entity expansion, no remote contexts, no fetching.

RDF files given to kg (``kg validate file.rdf``, ``kg restore``) come from anywhere, and the
parsers will happily do expensive or outward-facing work on their behalf:

- RDF/XML with a DOCTYPE can declare entities that expand a 1 KB file into gigabytes ("billion
  laughs": 4 GB in 11.6 s in Oxigraph, quadratic time in rdflib; shared/SECURITY.md) or pull in
  local files (``<!ENTITY x SYSTEM "file:///etc/passwd">``). RDF needs no DTD, so any DOCTYPE or
  ENTITY declaration is refused before a parser sees the bytes.
- JSON-LD's ``@context`` (and ``@import``) may name a URL, which rdflib downloads while parsing:
  a request to wherever the file points, from the machine running kg. Every context must be
  given inline; kg's own exports always inline theirs (schema/context.jsonld).
- rdflib's ``Graph.parse(location)`` fetches anything that looks like a URL, so files are
  read here and only their bytes are handed to the parser.

Nothing here touches global parser settings: the checks run on the bytes, before parsing.
"""

from __future__ import annotations

import codecs
import json
import re
from pathlib import Path
from typing import Any

from rdflib import Dataset, Graph

from kg.errors import InputError

__all__ = [
    "DATASET_FORMATS",
    "RDF_FORMATS",
    "UnsafeRdf",
    "check_rdf_bytes",
    "format_for",
    "parse_rdf",
    "read_rdf_file",
]

# File suffix -> rdflib parser name.
RDF_FORMATS = {
    ".ttl": "turtle",
    ".nt": "nt",
    ".n3": "n3",
    ".trig": "trig",
    ".nq": "nquads",
    ".jsonld": "json-ld",
    ".rdf": "xml",
    ".owl": "xml",
    ".trix": "trix",
}
DATASET_FORMATS = frozenset({"trig", "nquads", "json-ld", "trix"})
_XML_FORMATS = frozenset({"xml", "trix", "application/rdf+xml", "rdfxml"})
_JSONLD_FORMATS = frozenset({"json-ld", "jsonld", "application/ld+json"})
_DECLARATION = re.compile(rb"<!\s*(DOCTYPE|ENTITY)", re.IGNORECASE)
_XML_ENCODING = re.compile(rb"""^\s*<\?xml[^>]*\bencoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_ASCII_COMPATIBLE = {"utf-8", "utf8", "us-ascii", "ascii"}


class UnsafeRdf(InputError):
    """The RDF asks the parser for something kg never does for user input (entities, remote contexts)."""


def format_for(path: Path) -> str:
    """The parser name for a file, from its suffix; an unknown suffix is a usage error."""
    fmt = RDF_FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise InputError(
            f"{path}: unknown RDF file type {path.suffix!r}; use one of {', '.join(RDF_FORMATS)}"
        )
    return fmt


def _line_of(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _check_xml(data: bytes, source: str) -> None:
    # The scan below reads bytes as ASCII, so only encodings where "<!DOCTYPE" is those bytes pass.
    if data.startswith(
        (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE, codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)
    ) or (b"\x00" in data[:1024]):
        raise UnsafeRdf(f"{source}: RDF/XML in UTF-16 or UTF-32 is not accepted; save the file as UTF-8")
    declared = _XML_ENCODING.match(data[:1024])
    if declared and declared.group(1).decode("ascii").lower() not in _ASCII_COMPATIBLE:
        raise UnsafeRdf(
            f"{source}: RDF/XML declared as {declared.group(1).decode('ascii')} is not accepted; "
            "save the file as UTF-8"
        )
    found = _DECLARATION.search(data)
    if found:
        kind = found.group(1).decode("ascii").upper()
        raise UnsafeRdf(
            f"{source}, line {_line_of(data, found.start())}: RDF/XML with a {kind} declaration is refused: "
            "entities can expand a small file into gigabytes or read local files. RDF needs no DTD: "
            "remove the declaration and write the entities out (or convert the file to Turtle)"
        )


def _remote_contexts(node: Any, path: str = "$") -> list[tuple[str, str]]:
    """Every context given by reference (a string, or an ``@import``), with where it sits."""
    found: list[tuple[str, str]] = []
    if isinstance(node, dict):
        for key, value in node.items():
            here = f"{path}.{key}"
            if key == "@context":
                for i, item in enumerate(value if isinstance(value, list) else [value]):
                    if isinstance(item, str):
                        found.append((here if not isinstance(value, list) else f"{here}[{i}]", item))
                    elif isinstance(item, dict) and isinstance(item.get("@import"), str):
                        found.append((f"{here}.@import", item["@import"]))
            found.extend(_remote_contexts(value, here))
    elif isinstance(node, list):
        for i, item in enumerate(node):
            found.extend(_remote_contexts(item, f"{path}[{i}]"))
    return found


def _check_jsonld(data: bytes, source: str) -> None:
    try:
        document = json.loads(data)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        where = f", line {exc.lineno}" if isinstance(exc, json.JSONDecodeError) else ""
        raise InputError(f"{source}{where}: not valid JSON-LD: {exc}") from exc
    remote = _remote_contexts(document)
    if remote:
        where, url = remote[0]
        more = f" (and {len(remote) - 1} more)" if len(remote) > 1 else ""
        raise UnsafeRdf(
            f"{source}: the JSON-LD context at {where} is a reference to {url!r}{more}; kg never fetches "
            "contexts. Put the context inline (for kg's terms, the object in kg's schema/context.jsonld)"
        )


def check_rdf_bytes(data: bytes, fmt: str, *, source: str) -> None:
    """Refuse input that would make a parser expand entities or fetch contexts; raises ``UnsafeRdf``.

    Cheap (one scan of the bytes, or one ``json.loads``) and done before any RDF parser runs.
    """
    if fmt in _XML_FORMATS:
        _check_xml(data, source)
    elif fmt in _JSONLD_FORMATS:
        _check_jsonld(data, source)


def parse_rdf(data: bytes, fmt: str, *, source: str, base: str | None = None) -> Graph:
    """Checked, then parsed with rdflib from bytes (never from a location it could fetch).

    Returns a ``Dataset`` for the formats that carry named graphs, else a ``Graph``. A file that
    does not parse raises ``InputError`` naming ``source`` and, where the parser gives one, the line.
    """
    check_rdf_bytes(data, fmt, source=source)
    graph: Graph = Dataset() if fmt in DATASET_FORMATS else Graph()
    try:
        graph.parse(data=data, format=fmt, publicID=base)
    except UnsafeRdf:
        raise
    except Exception as exc:  # rdflib's parsers raise many unrelated types
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise InputError(f"{source}: not valid {fmt}: {first}") from exc
    return graph


def read_rdf_file(path: Path, fmt: str | None = None) -> Graph:
    """A user's RDF file, parsed safely; the format comes from the suffix unless given.

    Relative IRIs resolve against the file's own ``file:`` URI, as rdflib does for a path.
    """
    fmt = fmt or format_for(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror or exc}") from exc
    return parse_rdf(data, fmt, source=str(path), base=path.resolve().as_uri())
