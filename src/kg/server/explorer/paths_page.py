"""The paths page (/explore-paths) and the "how this company connects to allegations" block.

The search is the JSON API's own (kg.server.paths_routes.search: kg.paths driven through the
app's pool under one deadline); this module only turns its answer into view models. The page
renders every path as a sentence with its hops and evidence, so it works without JavaScript;
static/paths.js then draws the same paths (fetched from /paths) as a graph, and opens nodes
through the {IRI: {url, kind}} map the page gives it in a data attribute (JSON, escaped like any value).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import Response

from kg.config import ONTOLOGY_NS
from kg.paths import Edge, Path
from kg.server import errors
from kg.server.deps import get_settings
from kg.server.explorer.links import entity_url, local_name
from kg.server.explorer.templating import templates
from kg.server.paths_routes import search

router = APIRouter()

PAGE = "/explore-paths"
LIMIT = 50
TARGET_TYPES = ("Allegation", "HumanRightsIssue", "Norm", "State", "Company")
COMPANY = ONTOLOGY_NS + "Company"
BLOCK_SENTENCES = 5
# How the graph colours a node: the first of its types found here (static/kg.css .node-<kind>).
KINDS = (
    ("Company", "company"),
    ("Communication", "communication"),
    ("Allegation", "allegation"),
    ("State", "state"),
    ("HumanRightsIssue", "issue"),
    ("Norm", "norm"),
    ("Mandate", "mandate"),
)


def kind_of(types: list[str]) -> str:
    return next((kind for name, kind in KINDS if ONTOLOGY_NS + name in types), "other")


@dataclass(frozen=True)
class EvidenceView:
    document_url: str
    document_label: str
    quote: str | None
    start: int | None
    end: int | None


@dataclass(frozen=True)
class HopView:
    source_label: str
    source_url: str
    property_label: str
    target_label: str
    target_url: str
    forward: bool
    inferred: bool
    evidence: list[EvidenceView]


@dataclass(frozen=True)
class PathView:
    sentence: str
    hops: list[HopView]


@dataclass
class Form:
    source: str = ""
    to: str = ""
    to_type: str = ""
    max_hops: int = 4
    mode: str = "shortest"
    inferred: bool = True
    offset: int = 0

    def query(self, offset: int | None = None) -> dict[str, str]:
        params = {"source": self.source, "to": self.to, "to_type": self.to_type}
        params = {k: v for k, v in params.items() if v}
        params.update(max_hops=str(self.max_hops), mode=self.mode, inferred="1" if self.inferred else "0")
        if offset:
            params["offset"] = str(offset)
        return params


@dataclass
class PathsView:
    form: Form
    types: tuple[str, ...] = TARGET_TYPES
    asked: bool = False
    error: str | None = None
    source: str | None = None
    paths: list[PathView] = field(default_factory=list)
    total: int = 0
    complete: bool = True
    hubs: list[tuple[str, str]] = field(default_factory=list)  # (page URL, short name) of nodes not crossed
    api_url: str | None = None
    urls_json: str = "{}"
    next_url: str | None = None
    previous_url: str | None = None


@dataclass(frozen=True)
class Connections:
    """The block on a company page: a few path sentences and the link to all of them."""

    url: str
    sentences: list[str]
    total: int
    error: str | None = None


def paths_url(source: str, to_type: str = "Allegation") -> str:
    return PAGE + "?" + urlencode(Form(source=source, to_type=to_type).query())


def _hop(edge: Edge, labels: dict[str, str], base_iri: str) -> HopView:
    return HopView(
        source_label=labels.get(edge.source, local_name(edge.source)),
        source_url=entity_url(edge.source, base_iri),
        property_label=edge.property_label,
        target_label=labels.get(edge.target, local_name(edge.target)),
        target_url=entity_url(edge.target, base_iri),
        forward=edge.direction == "forward",
        inferred=edge.inferred,
        evidence=[
            EvidenceView(entity_url(e.document, base_iri), local_name(e.document), e.quote, e.start, e.end)
            for e in edge.evidence
        ],
    )


def _path_view(path: Path, base_iri: str) -> PathView:
    labels = {n.iri: n.label for n in path.nodes}
    return PathView(path.sentence, [_hop(e, labels, base_iri) for e in path.edges])


def _form(request: Request) -> Form:
    params = request.query_params
    hops = params.get("max_hops", "4")
    if not hops.isdigit() or not 1 <= int(hops) <= 6:
        raise errors.invalid_parameter(f"max hops must be a whole number from 1 to 6, got {hops!r}")
    mode = params.get("mode", "shortest")
    if mode not in ("shortest", "all"):
        raise errors.invalid_parameter(f"mode must be 'shortest' or 'all', got {mode!r}")
    offset = params.get("offset", "0")
    if not offset.isdigit() or int(offset) > 100_000:
        raise errors.invalid_parameter(f"offset must be a whole number from 0, got {offset!r}")
    to_type = params.get("to_type", "").strip()
    return Form(
        source=params.get("source", "").strip(),
        to=params.get("to", "").strip(),
        to_type=to_type,
        max_hops=int(hops),
        mode=mode,
        # An unticked checkbox sends nothing: a submitted form without it means "no inferred facts".
        inferred=params.get("inferred", "1" if "source" not in params else "0") not in ("0", ""),
        offset=int(offset),
    )


@router.get(PAGE, include_in_schema=False)
async def paths_page(request: Request) -> Response:
    base_iri = get_settings(request).store.base_iri
    view = PathsView(Form())
    status = 200
    try:
        view.form = _form(request)
        form = view.form
        if form.source:
            view.asked = True
            if not form.to and not form.to_type:
                raise errors.invalid_parameter("choose a target: an entity (name or IRI) or a type")
            source, result, complete = await search(
                request,
                form.source,
                to=form.to or None,
                to_type=form.to_type or None,
                max_hops=form.max_hops,
                mode=form.mode,
                limit=LIMIT,
                offset=form.offset,
                inferred=form.inferred,
            )
            view.source, view.total, view.complete = source, result.total, complete
            view.hubs = [
                (entity_url(h, base_iri), h.rstrip("/").rsplit("/", 1)[-1]) for h in result.hubs[:12]
            ]
            view.paths = [_path_view(p, base_iri) for p in result.paths]
            urls: dict[str, dict[str, str]] = {
                e.document: {"url": entity_url(e.document, base_iri)}
                for p in result.paths
                for edge in p.edges
                for e in edge.evidence
            }
            for p in result.paths:
                for n in p.nodes:
                    urls[n.iri] = {"url": entity_url(n.iri, base_iri), "kind": kind_of(n.types)}
            view.urls_json = json.dumps(urls, ensure_ascii=False)
            api = {**form.query(form.offset), "source": source, "limit": str(LIMIT)}
            api["inferred"] = "true" if form.inferred else "false"
            view.api_url = "/paths?" + urlencode(api)
            following = result.next_offset(form.offset, LIMIT)
            if following is not None:
                view.next_url = PAGE + "?" + urlencode(form.query(following))
            if form.offset:
                view.previous_url = PAGE + "?" + urlencode(form.query(max(0, form.offset - LIMIT)))
    except errors.ApiError as exc:
        view.error, status = exc.message, exc.status
    return templates.TemplateResponse(
        request, "paths.html", {"nav": "paths", "view": view}, status_code=status
    )


async def company_connections(request: Request, iri: str, types: list[str | None]) -> Connections | None:
    """For a company: the first few paths to allegations, as sentences (None for other entities)."""
    if COMPANY not in types:
        return None
    url = paths_url(iri)
    try:
        _, result, _ = await search(request, iri, to_type="Allegation", limit=BLOCK_SENTENCES)
    except errors.ApiError as exc:
        return Connections(url, [], 0, exc.message)
    return Connections(url, [p.sentence for p in result.paths], result.total)
