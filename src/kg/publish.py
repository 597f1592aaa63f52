"""Publication: the server answers only from read-only snapshots, and the public one never holds an embargo.

A letter stays confidential until its publication date (the letter's own, or the operator's
``--embargo-until``). Filtering embargoed graphs per query is both leaky and slow in
pyoxigraph (shared/SECURITY.md: the dataset restriction leaks unless both graph lists are
given, and listing thousands of graphs makes joins hundreds of times slower). So anonymous
users are served from a store that physically lacks embargoed documents:

* every writer (ingest, remove, link, import, reason, restore) ends by calling
  ``publish_snapshots``: the working store is copied with ``Store.backup`` (a RocksDB
  checkpoint: hard links, so cheap) into ``snapshots/<id>-full``; that copy is copied again
  into ``snapshots/<id>-public``, where the embargoed documents, their inferred graphs, the
  embargo register and whatever the shared graphs (links, imports) say about entities named
  only by embargoed letters are deleted;
* ``snapshots/current.json`` names the pair and the next moment an embargo ends; it is
  replaced atomically, so a reader sees the old pair or the new one;
* when that moment passes, the server calls ``release_due``, which rebuilds the public
  snapshot from the current full one (no writer needed, no restart).

Snapshots are never written after they are named in current.json, so opening them read-only
is safe even while a writer works on the working store.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import shutil
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox

from kg.config import GRAPH_NS, ONTOLOGY_NS, Settings
from kg.errors import StoreError
from kg.store import EmbeddedStore, open_working_store

EMBARGO_GRAPH = GRAPH_NS + "embargo"
"""The register of operator-set embargoes: ``<document graph> kg:embargoedUntil "dateTime"``."""
EMBARGOED_UNTIL = ONTOLOGY_NS + "embargoedUntil"
CURRENT = "current.json"
KEEP_GENERATIONS = 3  # snapshots kept besides the current pair: servers may still be reading them
_GRACE_S = 600.0  # and none younger than this is deleted

_XSD_DATETIME = ox.NamedNode("http://www.w3.org/2001/XMLSchema#dateTime")
_DOCUMENT_GRAPH = ONTOLOGY_NS + "DocumentGraph"
_INFERRED_SUFFIX = "/inferred"
_STATIC_PREFIXES = (GRAPH_NS + "ontology", GRAPH_NS + "vocab/")


@dataclass(frozen=True)
class Publication:
    """A published pair of snapshots, as current.json names it."""

    id: str
    full: Path
    public: Path
    next_release: dt.datetime | None  # the earliest embargo end still ahead when the public copy was made
    hidden: tuple[str, ...]  # document graphs kept out of the public copy
    created: dt.datetime

    def release_due(self, now: dt.datetime | None = None) -> bool:
        return self.next_release is not None and (now or utcnow()) >= self.next_release


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def parse_embargo(text: str) -> dt.datetime:
    """``2026-12-01`` (midnight UTC) or a full ISO 8601 time; a time without a zone is UTC."""
    try:
        if len(text.strip()) == 10:
            day = dt.date.fromisoformat(text.strip())
            return dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
        moment = dt.datetime.fromisoformat(text.strip())
    except ValueError as exc:
        raise ValueError(
            f"an embargo end must be a date such as 2026-12-01 or a time such as 2026-12-01T09:00:00Z, "
            f"got {text!r}"
        ) from exc
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def embargo_quad(graph_iri: str, until: dt.datetime) -> ox.Quad:
    """The register's statement that ``graph_iri`` is embargoed until ``until``."""
    return ox.Quad(
        ox.NamedNode(graph_iri),
        ox.NamedNode(EMBARGOED_UNTIL),
        ox.Literal(until.astimezone(dt.UTC).isoformat(timespec="seconds"), datatype=_XSD_DATETIME),
        ox.NamedNode(EMBARGO_GRAPH),
    )


def embargo_ends(store: ox.Store) -> dict[str, dt.datetime]:
    """When each document's embargo ends: the operator's date where set, else the letter's publication day."""
    ends: dict[str, dt.datetime] = {}
    letters = f"""
        SELECT ?g ?day WHERE {{
          GRAPH ?g {{ ?g a <{_DOCUMENT_GRAPH}> . ?c <{ONTOLOGY_NS}publicationDate> ?day }}
        }}"""
    for row in store.query(letters):  # type: ignore[union-attr]
        day = dt.date.fromisoformat(str(row["day"].value)[:10])
        ends[str(row["g"].value)] = dt.datetime(day.year, day.month, day.day, tzinfo=dt.UTC)
    register = ox.NamedNode(EMBARGO_GRAPH)
    for quad in store.quads_for_pattern(None, ox.NamedNode(EMBARGOED_UNTIL), None, register):
        ends[str(quad.subject.value)] = parse_embargo(str(quad.object.value))
    return ends


@dataclass(frozen=True)
class Embargo:
    graph: str
    reference: str
    until: dt.datetime
    set_by: str  # "operator" (kg ingest --embargo-until, kg embargo) or "letter" (its publication date)


def embargoes(store: EmbeddedStore, *, now: dt.datetime | None = None) -> list[Embargo]:
    """Documents hidden from the public now, soonest release first."""
    moment = now or utcnow()
    raw = store.raw
    register = {
        str(q.subject.value) for q in raw.quads_for_pattern(None, ox.NamedNode(EMBARGOED_UNTIL), None, None)
    }
    found = []
    for graph, until in embargo_ends(raw).items():
        if until <= moment:
            continue
        reference = next(
            (
                str(q.object.value)
                for q in raw.quads_for_pattern(
                    None, ox.NamedNode(ONTOLOGY_NS + "reference"), None, ox.NamedNode(graph)
                )
            ),
            graph.rsplit("/", 1)[-1],
        )
        found.append(Embargo(graph, reference, until, "operator" if graph in register else "letter"))
    return sorted(found, key=lambda e: (e.until, e.reference))


def clear_embargo(graph_iri: str) -> str:
    """The SPARQL update that drops a document's entry from the embargo register."""
    return f"DELETE WHERE {{ GRAPH <{EMBARGO_GRAPH}> {{ <{graph_iri}> <{EMBARGOED_UNTIL}> ?until }} }}"


def set_embargo(store: EmbeddedStore, graph_iri: str, until: dt.datetime) -> None:
    """Record the operator's embargo for one stored document (a past time lifts it early)."""
    store.replace_graphs({}, extra=[embargo_quad(graph_iri, until)], before=[clear_embargo(graph_iri)])


# -- writing snapshots --------------------------------------------------------------------------


@contextlib.contextmanager
def _locked(folder: Path) -> Iterator[None]:
    """One publisher at a time (a writer's publish and a server's release may meet)."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / ".lock").open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _new_id() -> str:
    return utcnow().strftime("%Y%m%dT%H%M%S%fZ") + f"-{os.getpid()}"


def publish_snapshots(
    settings: Settings, *, store: EmbeddedStore | None = None, now: dt.datetime | None = None
) -> Publication:
    """Snapshot the working store and publish it: a full copy and a public copy without embargoed letters.

    ``store`` is the writer's open handle on the working store; without one the working store
    is opened here (which fails while another process writes to it).
    """
    folder = settings.snapshots_dir
    with _locked(folder):
        ident = _new_id()
        full = folder / f"{ident}-full"
        source = store if store is not None else open_working_store(settings)
        try:
            source.backup(full)
        finally:
            del source
        publication = _publish_public(folder, ident, full, now or utcnow())
        _collect_garbage(folder, publication)
        return publication


def release_due(settings: Settings, *, now: dt.datetime | None = None) -> Publication | None:
    """Rebuild the public snapshot when an embargo has ended since it was made; None when nothing was due."""
    folder = settings.snapshots_dir
    moment = now or utcnow()
    with _locked(folder):
        current = read_current(settings)
        if current is None or not current.release_due(moment):
            return None
        publication = _publish_public(folder, _new_id(), current.full, moment)
        _collect_garbage(folder, publication)
        return publication


def _publish_public(folder: Path, ident: str, full: Path, now: dt.datetime) -> Publication:
    public = folder / f"{ident}-public"
    source = ox.Store.read_only(str(full))
    source.backup(str(public))
    ends = embargo_ends(source)
    del source
    hidden = sorted(g for g, end in ends.items() if end > now)
    ahead = [end for end in ends.values() if end > now]
    target = ox.Store(str(public))
    try:
        withhold(target, hidden)
        target.flush()
    finally:
        del target
    publication = Publication(
        id=ident,
        full=full,
        public=public,
        next_release=min(ahead) if ahead else None,
        hidden=tuple(hidden),
        created=utcnow(),
    )
    _write_current(folder, publication)
    return publication


def withhold(store: ox.Store, hidden: Iterable[str]) -> None:
    """Delete embargoed documents and every trace of them from ``store`` (a copy, never the working store).

    Removed: each hidden document graph and its inferred graph, the embargo register, and in
    the shared graphs (links, imports: anything that is not a document, inferred or vocabulary
    graph) every statement about an entity that only embargoed letters name, together with
    what the nodes hanging off such statements say (a link decision, a listing).
    """
    hidden = set(hidden)
    documents = document_graphs(store)
    visible = (documents - hidden) | {g + _INFERRED_SUFFIX for g in documents - hidden}
    exclusive = _exclusive_terms(store, hidden, visible)
    shared = [
        name
        for name in (str(n.value) for n in store.named_graphs() if isinstance(n, ox.NamedNode))
        if name not in documents
        and name.removesuffix(_INFERRED_SUFFIX) not in documents
        and name != EMBARGO_GRAPH
        and not name.startswith(_STATIC_PREFIXES)
    ]
    doomed: set[ox.Quad] = set()
    for graph in shared:
        node = ox.NamedNode(graph)
        attached: set[ox.NamedNode | ox.BlankNode] = set()
        for term in exclusive:
            for quad in store.quads_for_pattern(term, None, None, node):
                doomed.add(quad)
                if isinstance(quad.object, ox.NamedNode | ox.BlankNode):
                    attached.add(quad.object)
            for quad in store.quads_for_pattern(None, None, term, node):
                doomed.add(quad)
                attached.add(quad.subject)  # type: ignore[arg-type]
        for term in attached:
            doomed.update(store.quads_for_pattern(term, None, None, node))
    for graph in [EMBARGO_GRAPH, *hidden, *(g + _INFERRED_SUFFIX for g in hidden)]:
        if store.contains_named_graph(ox.NamedNode(graph)):
            store.remove_graph(ox.NamedNode(graph))
    for quad in doomed:
        store.remove(quad)


def document_graphs(store: ox.Store) -> set[str]:
    sparql = f"SELECT ?g WHERE {{ GRAPH ?g {{ ?g a <{_DOCUMENT_GRAPH}> }} }}"
    return {str(row["g"].value) for row in store.query(sparql)}  # type: ignore[union-attr]


def _exclusive_terms(store: ox.Store, hidden: set[str], visible: set[str]) -> set[ox.NamedNode]:
    """IRIs that hidden documents name and no visible document or vocabulary graph does."""
    named: set[ox.NamedNode] = set()
    for graph in hidden:
        for quad in store.quads_for_pattern(None, None, None, ox.NamedNode(graph)):
            for term in (quad.subject, quad.object):
                if isinstance(term, ox.NamedNode):
                    named.add(term)

    def public(graph: object) -> bool:
        if not isinstance(graph, ox.NamedNode):
            return False
        name = str(graph.value)
        return name in visible or name.startswith(_STATIC_PREFIXES)

    def named_elsewhere(term: ox.NamedNode) -> bool:
        return any(public(q.graph_name) for q in store.quads_for_pattern(term, None, None, None)) or any(
            public(q.graph_name) for q in store.quads_for_pattern(None, None, term, None)
        )

    return {term for term in named if not named_elsewhere(term)}


def _write_current(folder: Path, publication: Publication) -> None:
    payload = {
        "id": publication.id,
        "full": publication.full.name,
        "public": publication.public.name,
        "next_release": publication.next_release.isoformat() if publication.next_release else None,
        "hidden": list(publication.hidden),
        "created": publication.created.isoformat(),
    }
    temporary = folder / f".{CURRENT}.{os.getpid()}"
    temporary.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    os.replace(temporary, folder / CURRENT)


def read_current(settings: Settings) -> Publication | None:
    """The published pair, or None before anything was published."""
    folder = settings.snapshots_dir
    try:
        payload = json.loads((folder / CURRENT).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise StoreError(
            f"{folder / CURRENT} cannot be read: {exc}. Run any kg write command to republish."
        ) from exc
    release = payload.get("next_release")
    return Publication(
        id=payload["id"],
        full=folder / payload["full"],
        public=folder / payload["public"],
        next_release=dt.datetime.fromisoformat(release) if release else None,
        hidden=tuple(payload.get("hidden", ())),
        created=dt.datetime.fromisoformat(payload["created"]),
    )


def _collect_garbage(folder: Path, current: Publication) -> None:
    """Delete old snapshots, keeping the newest few (a server may still be answering from them)."""
    keep = {current.full.name, current.public.name}
    snapshots = sorted(
        (p for p in folder.iterdir() if p.is_dir() and p.name.endswith(("-full", "-public"))),
        key=lambda p: p.name,
        reverse=True,
    )
    old = [p for p in snapshots if p.name not in keep][2 * KEEP_GENERATIONS :]
    cutoff = time.time() - _GRACE_S
    for path in old:
        if path.stat().st_mtime < cutoff:
            shutil.rmtree(path, ignore_errors=True)
