"""Backup and restore of the working store as N-Quads: every named graph and the default graph.

A dump is plain N-Quads that any RDF tool reads, framed by two comment lines: a header that
says it is a kg dump and a closing line with the number of quads. The closing line is what
tells a complete dump from one cut off at a line boundary (a full disk, an interrupted
copy), which would otherwise parse as a smaller, valid store.

Restore is all or nothing: the dump is loaded into a new folder next to the store and only
renamed into place once every line has parsed and the count matches, so a bad file leaves
no store behind and a replaced store is never half-overwritten. Blank node labels are kept
as written, so dumping a restored store gives the same bytes.
"""

from __future__ import annotations

import importlib
import importlib.util
import re
import shutil
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import pyoxigraph as ox

from kg import __version__
from kg.config import Settings
from kg.errors import InputError, StoreError
from kg.store import EmbeddedStore

__all__ = [
    "HEADER_PREFIX",
    "DumpResult",
    "RestoreResult",
    "dump_store",
    "publish_if_available",
    "restore_store",
]

HEADER_PREFIX = b"# kg dump"
_HEADER = HEADER_PREFIX + f": N-Quads, every graph of the store (kg {__version__})\n".encode()
_CLOSING = re.compile(rb"# end of kg dump: (\d+) quads\s*$")
_BATCH = 50_000


@dataclass(frozen=True)
class DumpResult:
    quads: int
    bytes: int


@dataclass(frozen=True)
class RestoreResult:
    quads: int
    graphs: int
    replaced: bool


class _Counting:
    """Passes the bytes on and counts lines: N-Quads escapes newlines, so a line is a quad."""

    def __init__(self, sink: BinaryIO) -> None:
        self.sink = sink
        self.lines = 0
        self.size = 0

    def write(self, data: bytes) -> int:
        self.lines += data.count(b"\n")
        self.size += len(data)
        return self.sink.write(data)

    def flush(self) -> None:
        self.sink.flush()


def dump_store(store: EmbeddedStore, output: BinaryIO) -> DumpResult:
    """Write every quad of ``store`` to ``output`` between kg's header and closing lines."""
    output.write(_HEADER)
    counter = _Counting(output)
    store.dump(counter, ox.RdfFormat.N_QUADS)
    closing = f"# end of kg dump: {counter.lines} quads\n".encode()
    output.write(closing)
    output.flush()
    return DumpResult(quads=counter.lines, bytes=len(_HEADER) + counter.size + len(closing))


def closing_count(path: Path) -> tuple[int | None, int]:
    """The count on the closing line (None if the last line is not one) and the file's line count."""
    lines = 0
    last = b""
    with path.open("rb") as source:
        for line in source:
            lines += 1
            if line.strip():
                last = line
    found = _CLOSING.match(last)
    return (int(found.group(1)) if found else None), lines


def _load(path: Path, target: Path) -> tuple[int, int]:
    """Parse the dump into a new store at ``target``; returns (quads, named graphs)."""
    store = ox.Store(str(target))
    quads = 0
    graphs: set[ox.NamedNode | ox.BlankNode] = set()
    batch: list[ox.Quad] = []
    try:
        for quad in ox.parse(path=str(path), format=ox.RdfFormat.N_QUADS):
            batch.append(quad)
            if not isinstance(quad.graph_name, ox.DefaultGraph):
                graphs.add(quad.graph_name)
            if len(batch) >= _BATCH:
                store.bulk_extend(batch)
                quads += len(batch)
                batch = []
        store.bulk_extend(batch)
        quads += len(batch)
        store.flush()
    except SyntaxError as exc:
        where = f", line {exc.lineno}" if exc.lineno else ""
        raise InputError(
            f"{path}{where}: not valid N-Quads ({exc.args[0]}); the file is damaged or not a kg dump, "
            "nothing was restored"
        ) from exc
    finally:
        del store
    return quads, len(graphs)


def _stored_quads(store_dir: Path) -> int:
    """How many quads the existing store holds; opening it also proves no other kg process has it."""
    store = EmbeddedStore(store_dir)
    try:
        return len(store)
    finally:
        del store


def restore_store(path: Path, settings: Settings, *, replace_all: bool = False) -> RestoreResult:
    """Load a dump as the working store of ``settings``, all or nothing.

    A store that already holds quads is refused unless ``replace_all``; its folder is then
    swapped for the restored one only after the dump loaded completely (two renames: a crash
    between them leaves the old store whole in ``.replaced-*`` beside an absent ``store``).
    """
    if not path.is_file():
        raise InputError(f"{path}: no such file (give the N-Quads file written by kg dump)")
    with path.open("rb") as source:
        is_kg_dump = source.read(len(HEADER_PREFIX)) == HEADER_PREFIX
    expected, lines = closing_count(path)
    if is_kg_dump and expected is None:
        raise InputError(
            f"{path}, line {lines}: the dump ends without its closing '# end of kg dump' line, so it was "
            "cut short (a full disk or an interrupted copy); nothing was restored. Dump the store again"
        )
    store_dir = settings.store_dir
    existing = store_dir.exists() and any(store_dir.iterdir())
    if existing and _stored_quads(store_dir) and not replace_all:
        raise StoreError(
            f"{store_dir} already holds a store; restore into an empty --data-dir, or add --replace-all "
            "to swap the whole store for the dump (kg dump it first if you may want it back)"
        )
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    staging = settings.data_dir / f".restore-{uuid.uuid4().hex}"
    try:
        quads, graphs = _load(path, staging)
        if expected is not None and quads != expected:
            raise InputError(
                f"{path}, line {lines}: the closing line counts {expected} quads but the file holds "
                f"{quads}; the dump was edited or damaged, nothing was restored"
            )
        if existing:
            retired = settings.data_dir / f".replaced-{uuid.uuid4().hex}"
            store_dir.rename(retired)
            staging.rename(store_dir)
            shutil.rmtree(retired, ignore_errors=True)
        else:
            if store_dir.exists():
                store_dir.rmdir()
            staging.rename(store_dir)
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return RestoreResult(quads=quads, graphs=graphs, replaced=bool(existing))


def publish_if_available(settings: Settings) -> bool:
    """Republish the server's snapshots from the restored store, where this kg version publishes any.

    Returns whether it did: the server answers from snapshots, so without this it would go on
    serving what it had before the restore.
    """
    if importlib.util.find_spec("kg.publish") is None:
        return False
    publish = getattr(importlib.import_module("kg.publish"), "publish_snapshots", None)
    if publish is None:
        return False
    publish(settings)
    return True
