"""The ``kg`` command: a thin layer that parses options, calls the library and prints.

Exit codes (all commands): 0 success; 1 the work was done but something failed or did not
validate (a rejected document, SHACL violations, an inconsistent ontology); 2 bad usage or
unreadable input (a file that is not a letter, a query that does not parse).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kg import __version__
from kg.config import Settings
from kg.errors import KgError

if TYPE_CHECKING:  # imported lazily at run time to keep --help fast
    from kg.ingest import IngestResult as DemoResult
    from kg.reason import ReasonerResult
    from kg.server.settings import ServerSettings
    from kg.stats import StoreStats

app = typer.Typer(
    name="kg",
    help="kg: a knowledge graph of UN Special Procedures communications.\n\n"
    "Example: kg ingest letters/ && kg query queries/communications-by-company.rq",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
    pretty_exceptions_enable=False,
)
out = Console(soft_wrap=True)
err = Console(stderr=True, soft_wrap=True)

DataDirOption = Annotated[
    Path | None,
    typer.Option(
        "--data-dir",
        help="Folder of the embedded store (default: $KG_DATA_DIR, else ~/.local/share/kg).",
        show_default=False,
    ),
]
BaseIriOption = Annotated[
    str | None,
    typer.Option(
        "--base-iri", help="Base IRI for new documents (default: $KG_BASE_IRI).", show_default=False
    ),
]


class QueryFormat(StrEnum):
    table = "table"
    json = "json"
    csv = "csv"
    tsv = "tsv"
    xml = "xml"
    turtle = "turtle"
    ntriples = "ntriples"
    jsonld = "jsonld"


class ExportFormat(StrEnum):
    nquads = "nquads"
    trig = "trig"
    turtle = "turtle"
    jsonld = "jsonld"
    ftm = "ftm"
    csv = "csv"
    dcat = "dcat"


class ExtractFormat(StrEnum):
    json = "json"
    turtle = "turtle"


@contextmanager
def _errors() -> Iterator[None]:
    """Turn kg's errors into one readable line and exit code 2; a closed pipe ends quietly."""
    try:
        yield
    except KgError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    except BrokenPipeError:
        sys.stderr.close()
        raise typer.Exit(0) from None


def _settings(data_dir: Path | None, base_iri: str | None = None) -> Settings:
    try:
        return Settings.from_env(data_dir=data_dir, base_iri=base_iri)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc


def _open_store(settings: Settings):  # noqa: ANN202 - the store type is imported lazily to keep --help fast
    """The data folder's embedded store, or the external SPARQL store it is connected to (kg connect)."""
    from kg.remote_store import open_store

    return open_store(settings)


@contextmanager
def _writing(settings: Settings):  # noqa: ANN202 - the store type is imported lazily to keep --help fast
    """The working store for a command that changes it; published when the command ends.

    Publishing copies the store into the snapshots the server answers from, the public one
    without embargoed letters (kg.publish), so a running `kg serve` picks the change up. An
    external store has no snapshots: kg serve reads it directly, and it never holds an embargo.
    """
    from kg.publish import publish_snapshots

    store = _open_store(settings)
    try:
        yield store
    finally:
        try:
            if not store.remote:
                publish_snapshots(settings, store=store)
        finally:
            store.close()  # an exception's traceback may keep this object alive: release the lock now


def _write(data: bytes | str) -> None:
    if isinstance(data, str):
        data = data.encode("utf-8")
    sys.stdout.buffer.write(data)
    if not data.endswith(b"\n"):
        sys.stdout.buffer.write(b"\n")
    sys.stdout.flush()


@app.callback(invoke_without_command=True)
def main(
    version: Annotated[bool, typer.Option("--version", help="Print kg's version and exit.")] = False,
) -> None:
    if version:
        out.print(f"kg {__version__}")
        raise typer.Exit(0)


@app.command()
def extract(
    file: Annotated[Path, typer.Argument(help="A letter as text (.txt) or PDF, or - for text on stdin.")],
    fmt: Annotated[ExtractFormat, typer.Option("--format", "-f", help="json (the record) or turtle.")] = (
        ExtractFormat.json
    ),
    no_text: Annotated[
        bool, typer.Option("--no-text", help="Leave out quoted sentences and question wording.")
    ] = False,
    base_iri: BaseIriOption = None,
) -> None:
    """Read one letter and print its communication record.

    Example: kg extract letters/AL_OTH_70_2020.txt --format json
    """
    from kg.extract import extract_file, extract_text
    from kg.rdf import record_to_graph
    from kg.vocab import load_vocabulary

    with _errors():
        record = extract_text(sys.stdin.read()) if str(file) == "-" else extract_file(file)
        if no_text:
            record = record.without_text()
        if fmt is ExtractFormat.json:
            _write(record.to_json())
        else:
            settings = _settings(None, base_iri)
            doc = record_to_graph(record, base=settings.base_iri, vocab=load_vocabulary())
            _write(doc.graph.serialize(format="turtle"))


@app.command()
def ingest(
    paths: Annotated[list[Path], typer.Argument(help="Letters (.txt, .pdf), records (.json) or folders.")],
    data_dir: DataDirOption = None,
    base_iri: BaseIriOption = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Extract and validate; store nothing.")] = False,
    replace: Annotated[
        bool, typer.Option("--replace", help="Swap a stored document that has the same reference.")
    ] = False,
    verbose: Annotated[
        bool, typer.Option("--verbose", "-v", help="Show warnings and SHACL reports.")
    ] = False,
    embargo_until: Annotated[
        str | None,
        typer.Option(
            "--embargo-until",
            metavar="DATE",
            help="Hide these letters from anonymous users until DATE (2026-12-01, or an ISO 8601 time); "
            "without it a letter's own publication date applies.",
        ),
    ] = None,
) -> None:
    """Extract, validate and store letters; each document lands whole or not at all.

    A letter whose publication date is still ahead (from the letter, or --embargo-until) is
    stored but served only to requests with an access token (KG_ACCESS_TOKENS) until then.

    Example: kg ingest ../shared/corpus --data-dir ./data
    """
    from kg.ingest import IngestResult, ingest_paths, iter_inputs
    from kg.publish import parse_embargo
    from kg.validate import format_report

    settings = _settings(data_dir, base_iri)
    try:
        embargo = parse_embargo(embargo_until) if embargo_until else None
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    with _errors(), _open_store(settings) if dry_run else _writing(settings) as store:
        total = sum(1 for _ in iter_inputs(paths))
        with Progress(
            TextColumn("[bold]ingest"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            TextColumn("{task.description}"),
            console=err,
            transient=True,
        ) as progress:
            task = progress.add_task("", total=total)

            def advance(result: IngestResult) -> None:
                progress.update(task, advance=1, description=Path(result.source).name)

            results = ingest_paths(
                paths,
                store,
                settings,
                replace=replace,
                dry_run=dry_run,
                on_result=advance,
                embargo_until=embargo,
            )
    table = Table(title=f"kg ingest{' (dry run)' if dry_run else ''}: {settings.data_dir}")
    for column in ("source", "reference", "status", "triples", "warnings", "problem"):
        table.add_column(column)
    for r in results:
        style = {"rejected": "red", "failed": "red", "unchanged": "dim"}.get(r.status, "green")
        violations = [i for i in (r.report.results if r.report else []) if i.severity == "Violation"]
        problem = (r.error or "").split("\n", 1)[0]
        if violations:
            problem += f" ({len(violations)} violation(s): {violations[0].message})"
        table.add_row(
            Path(r.source).name,
            r.reference or "",
            f"[{style}]{r.status}[/{style}]",
            str(r.triples),
            str(len(r.warnings)),
            problem,
        )
    out.print(table)
    for r in results:  # a refused replacement explains itself over several lines: what differs
        if r.error and "\n" in r.error:
            out.print(r.error, markup=False, highlight=False)
    if verbose:
        for r in results:
            for warning in r.warnings:
                out.print(f"{Path(r.source).name}: warning: {warning}", highlight=False)
            if r.report and r.report.results:
                out.print(format_report(r.report, source=r.source), highlight=False)
    else:
        for r in results:
            if r.report and not r.report.conforms:
                out.print(format_report(r.report, source=r.source), highlight=False)
    if not results:
        err.print("nothing to ingest: no .txt, .pdf or .json files in the paths given")
        raise typer.Exit(2)
    if any(not r.ok for r in results):
        raise typer.Exit(1)


@app.command()
def validate(
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Letters, records or RDF files; none: the whole store.")
    ] = None,
    data_dir: DataDirOption = None,
    base_iri: BaseIriOption = None,
) -> None:
    """Validate documents against the SHACL shapes and print a readable report.

    Exit code 0: valid; 1: violations found; 2: input could not be read.

    Example: kg validate letters/AL_OTH_70_2020.txt
    """
    from kg.ingest import build_document, iter_inputs, read_record
    from kg.validate import RDF_FORMATS, format_report, validate_document, validate_file, validate_graph
    from kg.vocab import load_vocabulary

    settings = _settings(data_dir, base_iri)
    failed = False
    with _errors():
        if not paths:
            from kg.export import store_graph

            with _open_store(settings) as store:
                report = validate_graph(store_graph(store, documents_only=True))
            out.print(format_report(report, source=str(settings.data_dir)), highlight=False)
            raise typer.Exit(0 if report.conforms else 1)
        vocab = load_vocabulary()
        for path in iter_inputs(paths):
            if path.suffix.lower() in RDF_FORMATS:
                report = validate_file(path, vocab=vocab)
            else:
                report = validate_document(build_document(read_record(path), settings, vocab), vocab=vocab)
            out.print(format_report(report, source=str(path)), highlight=False)
            failed = failed or not report.conforms
    raise typer.Exit(1 if failed else 0)


@app.command()
def query(
    query_or_file: Annotated[str, typer.Argument(help="SPARQL text, a .rq file, a canned query name, or -.")],
    fmt: Annotated[QueryFormat, typer.Option("--format", "-f", help="Output format.")] = QueryFormat.table,
    param: Annotated[
        list[str] | None, typer.Option("--param", "-p", help="name=value for a canned query's parameter.")
    ] = None,
    no_inferred: Annotated[
        bool, typer.Option("--no-inferred", help="Leave out the inferred graphs (only asserted facts).")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Run a SPARQL query (or a canned query from queries/) against the store.

    The default graph is the union of all graphs, inferred ones included unless --no-inferred.

    Example: kg query communications-by-company -p company=li-ning --format csv
    """
    from kg.canned import load_canned_queries, parse_query_file
    from kg.query import run_query

    settings = _settings(data_dir)
    with _errors():
        values = dict(_split_param(p) for p in param or [])
        canned = load_canned_queries()
        if query_or_file == "-":
            sparql = sys.stdin.read()
        elif query_or_file in canned:
            sparql = canned[query_or_file].render(values)
        elif query_or_file.endswith(".rq") and Path(query_or_file).is_file():
            sparql = parse_query_file(Path(query_or_file)).render(values)
        else:
            sparql = query_or_file
        with _open_store(settings) as store:
            graphs = None
            if no_inferred:
                from kg.inference import asserted_graphs

                graphs = asserted_graphs(store)
            answer = run_query(store, sparql, graphs=graphs)
        if fmt is QueryFormat.table:
            _print_table(answer)
        else:
            _write(answer.serialize(fmt.value))


def _split_param(text: str) -> tuple[str, str]:
    name, sep, value = text.partition("=")
    if not sep:
        err.print(f"[red]error:[/red] --param takes name=value, got {text!r}", highlight=False)
        raise typer.Exit(2)
    return name.strip(), value


def _print_table(answer: object) -> None:
    from kg.query import QueryAnswer

    assert isinstance(answer, QueryAnswer)
    if answer.kind == "boolean":
        out.print("true" if answer.boolean else "false")
        return
    if answer.kind == "graph":
        _write(answer.serialize("turtle"))
        return
    table = Table(show_lines=False)
    for variable in answer.variables:
        table.add_column(variable, overflow="fold")
    rows = answer.values()
    for row in rows:
        table.add_row(*[row[v] or "" for v in answer.variables])
    out.print(table)
    err.print(f"{len(rows)} row(s)")


@app.command("queries")
def list_queries() -> None:
    """List the canned queries with their parameters.

    Example: kg queries
    """
    from kg.canned import load_canned_queries

    with _errors():
        table = Table(title="canned queries (run with: kg query NAME -p name=value)")
        for column in ("name", "title", "parameters"):
            table.add_column(column, overflow="fold")
        for q in load_canned_queries().values():
            params = ", ".join(f"{p.name} ({p.type})" for p in q.parameters)
            table.add_row(q.name, q.title, params)
        out.print(table)


@app.command()
def stats(data_dir: DataDirOption = None) -> None:
    """Counts by class, documents and the time of the last ingest.

    Example: kg stats --data-dir ./data
    """
    from kg.stats import store_stats

    settings = _settings(data_dir)
    with _errors(), _open_store(settings) as store:
        numbers = store_stats(store)
    table = Table(title=f"kg store: {settings.data_dir}")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("documents", str(numbers.documents))
    table.add_row("triples (all graphs)", str(numbers.triples))
    table.add_row("last ingest", numbers.last_ingest or "never")
    for label, count in numbers.classes:
        table.add_row(label, str(count))
    out.print(table)


@app.command()
def export(
    fmt: Annotated[
        ExportFormat,
        typer.Option(
            "--format",
            "-f",
            help="nquads, trig, turtle, jsonld (compacted with kg's context), ftm (FollowTheMoney JSON "
            "lines), csv (one table per entity type, into the --output folder) or dcat (DCAT/VoID).",
        ),
    ] = ExportFormat.nquads,
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default: stdout); a folder for csv."),
    ] = None,
    data_dir: DataDirOption = None,
    include_embargoed: Annotated[
        bool,
        typer.Option(
            "--include-embargoed", help="Export letters still under embargo too (for the operator only)."
        ),
    ] = False,
) -> None:
    """Write the whole published graph (every named graph) as RDF, or for other tools (FtM, CSV, DCAT).

    Letters under embargo are left out, as the public endpoint leaves them out, unless
    --include-embargoed is given.

    Example: kg export --format trig -o kg.trig
    Example: kg export --format csv -o kg-csv/
    """
    from kg.export import export_store

    settings = _settings(data_dir)
    with _errors():
        if fmt is ExportFormat.csv:
            from kg.exports import export_csv

            if output is None:
                err.print("[red]error:[/red] --format csv writes one file per table: give --output FOLDER")
                raise typer.Exit(2)
            with _export_source(settings, include_embargoed) as source:
                files = export_csv(source, output)
            err.print(f"wrote {len(files)} CSV files to {output}: {', '.join(f.name for f in files)}")
            return
        with _export_source(settings, include_embargoed) as source:
            data = export_store(source, fmt.value, base_iri=settings.base_iri)
        if output is None:
            _write(data)
        else:
            output.write_bytes(data)
            err.print(f"wrote {len(data)} bytes to {output}")


def _export_source(settings: Settings, include_embargoed: bool):  # noqa: ANN202 - lazily imported type
    """The working store for the operator, else the public snapshot (published first if need be).

    An external store never holds letters under embargo: it is read directly either way.
    """
    if include_embargoed or settings.remote is not None:
        return _open_store(settings)
    from kg.publish import publish_snapshots, read_current, release_due
    from kg.store import EmbeddedStore

    publication = release_due(settings) or read_current(settings) or publish_snapshots(settings)
    return EmbeddedStore.read_only(publication.public)


import_app = typer.Typer(
    name="import",
    help="Bring external lists into the graph, each in a named graph of its own.",
    no_args_is_help=True,
)
app.add_typer(import_app, name="import")


@import_app.command("ftm")
def import_ftm_command(
    file: Annotated[Path, typer.Argument(help="FollowTheMoney entities, one JSON object a line.")],
    list_name: Annotated[
        str | None,
        typer.Option("--list-name", help="The list's name as pages show it (default: the file name)."),
    ] = None,
    data_dir: DataDirOption = None,
) -> None:
    """Match an FtM entity list to the graph's companies; store the matches in the list's own graph.

    Names match only when equal after normalising case, punctuation and legal-form suffixes
    (Co., Ltd, Limited, Company, Inc ...). Importing the same list again replaces its graph.

    Example: kg import ftm uflpa.ftm.json --list-name "UFLPA Entity List"
    """
    from kg.ftm import import_ftm

    settings = _settings(data_dir)
    with _errors(), _writing(settings) as store:
        result = import_ftm(store, file, list_name or file.stem)
    for m in result.matches:
        since = f" since {m.listing_date}" if m.listing_date else ""
        out.print(f"matched  {m.company_label} = {m.matched_name!r} ({m.entity_id}){since}", highlight=False)
    out.print(
        f"{result.list_name}: {result.entities} entities read, {len(result.matches)} matched; "
        f"graph <{result.graph}> ({result.triples} triples)",
        highlight=False,
    )


@app.command()
def remove(
    reference: Annotated[str, typer.Argument(help="The communication's reference, e.g. 'AL OTH 70/2020'.")],
    data_dir: DataDirOption = None,
    base_iri: BaseIriOption = None,
) -> None:
    """Remove one document (its whole named graph) from the store.

    Example: kg remove "AL OTH 70/2020"
    """
    from kg.ingest import remove_document

    settings = _settings(data_dir, base_iri)
    with _errors(), _writing(settings) as store:
        graph = remove_document(store, settings, reference)
    out.print(f"removed {reference} (graph <{graph}>)", highlight=False)


@app.command()
def reason(
    data_dir: DataDirOption = None,
    recompute: Annotated[
        bool, typer.Option("--recompute", help="First rebuild every document's inferred graph.")
    ] = False,
) -> None:
    """Check that the ontology, vocabularies and stored documents are consistent (HermiT; needs Java).

    With --recompute, first rebuilds the inferred graphs (inverse, symmetric, sub-property,
    sub-class and property-chain facts) of every document.

    Exit code 0: consistent, or Java absent (reported); 1: inconsistent.

    Example: kg reason --recompute --data-dir ./data
    """
    from kg.export import store_graph
    from kg.reason import check_consistency
    from kg.vocab import vocabulary_graph

    settings = _settings(data_dir)
    with _errors(), _writing(settings) if recompute else _open_store(settings) as store:
        if recompute:
            _recompute_inferred(store)
        else:
            from kg.inference import stale_inferred_graphs

            if stale := stale_inferred_graphs(store):
                err.print(
                    f"note: {len(stale)} inferred graph(s) are missing or stem from other axioms; "
                    "run kg reason --recompute to renew them",
                    highlight=False,
                )
        graphs = [vocabulary_graph(), store_graph(store, documents_only=True)]
        result = check_consistency(graphs)
    out.print(f"reasoner: {result.status} ({result.seconds:.1f} s): {result.message}", highlight=False)
    raise typer.Exit(1 if result.status == "inconsistent" else 0)


def _recompute_inferred(store: object) -> None:
    """Rebuild all inferred graphs with a progress bar on stderr."""
    from kg.inference import recompute_all

    columns = (TextColumn("inferring"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
    with Progress(*columns, console=err, transient=True) as progress:
        task = progress.add_task("inferring", total=None)
        done = recompute_all(
            store,  # type: ignore[arg-type]
            on_progress=lambda n, total: progress.update(task, completed=n, total=total),
        )
    out.print(
        f"inferred: {done.triples} triples for {done.documents} documents in {done.seconds:.1f} s"
        + (f"; removed {done.removed_orphans} orphaned inferred graph(s)" if done.removed_orphans else ""),
        highlight=False,
    )


HostOption = Annotated[
    str | None,
    typer.Option(
        "--host", help="Address to listen on (default: $KG_HOST, else 127.0.0.1).", show_default=False
    ),
]
PortOption = Annotated[
    int | None, typer.Option("--port", help="Port (default: $KG_PORT, else 8000).", show_default=False)
]


@app.command()
def demo(
    data_dir: DataDirOption = None,
    base_iri: BaseIriOption = None,
    serve_it: Annotated[
        bool, typer.Option("--serve", help="Then serve the graph (as kg serve) until Ctrl-C.")
    ] = False,
    host: HostOption = None,
    port: PortOption = None,
) -> None:
    """Build the graph from the bundled sample records and show what it holds.

    Example: kg demo --serve --data-dir ./kg-data
    """
    settings = _settings(data_dir, base_iri)
    with _errors():
        results, numbers, verdict = _build_demo(settings)  # the read-write store is closed on return
    for r in results:
        out.print(f"{r.status:>9}  {r.reference or '?':<16} {Path(r.source).name}", highlight=False)
    out.print(
        f"\nreasoner (HermiT): {verdict.status} ({verdict.seconds:.1f} s): {verdict.message}", highlight=False
    )
    out.print(f"\n{numbers.documents} communications, {numbers.triples} triples in {settings.data_dir}.")
    if any(not r.ok for r in results):
        raise typer.Exit(1)
    if serve_it:
        _serve(_server_settings(settings.data_dir, base_iri, host=host, port=port))
        return
    out.print(
        f"Try:\n"
        f"  kg query communications-by-company --data-dir {settings.data_dir}\n"
        f"  kg query allegations-by-issue --data-dir {settings.data_dir}\n"
        f"  kg queries\n"
        f"  kg serve --data-dir {settings.data_dir}",
        highlight=False,
    )


def _build_demo(settings: Settings) -> tuple[list[DemoResult], StoreStats, ReasonerResult]:
    """Ingest the sample and check it; the store is local here so it is released when this returns."""
    from kg import resources
    from kg.export import store_graph
    from kg.ingest import ingest_paths
    from kg.reason import check_consistency
    from kg.stats import store_stats
    from kg.vocab import vocabulary_graph

    with _writing(settings) as store:
        results = ingest_paths([resources.sample_dir()], store, settings, replace=True)
        numbers = store_stats(store)
        # Reasoning is a check, not a step the graph depends on: without Java it says so and kg goes on.
        verdict = check_consistency([vocabulary_graph(), store_graph(store, documents_only=True)])
    return results, numbers, verdict


@app.command()
def serve(
    data_dir: DataDirOption = None,
    base_iri: BaseIriOption = None,
    host: HostOption = None,
    port: PortOption = None,
    query_timeout: Annotated[
        float | None,
        typer.Option(
            "--query-timeout",
            help="Seconds a query may run before it is stopped (default: $KG_QUERY_TIMEOUT, else 30).",
            show_default=False,
        ),
    ] = None,
    max_results: Annotated[
        int | None,
        typer.Option(
            "--max-results",
            help="Rows or triples in one answer (default: $KG_MAX_RESULTS, else 10000).",
            show_default=False,
        ),
    ] = None,
    max_request_bytes: Annotated[
        int | None,
        typer.Option(
            "--max-request-bytes",
            help="Largest request body or query string (default: $KG_MAX_REQUEST_BYTES, else 1000000).",
            show_default=False,
        ),
    ] = None,
    max_query_depth: Annotated[
        int | None,
        typer.Option(
            "--max-query-depth",
            help="Deepest nesting of { ( [ (default: $KG_MAX_QUERY_DEPTH, else 128).",
            show_default=False,
        ),
    ] = None,
    max_path_steps: Annotated[
        int | None,
        typer.Option(
            "--max-path-steps",
            help="Property path operators in one query (default: $KG_MAX_PATH_STEPS, else 64).",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            help="Query worker processes (default: $KG_QUERY_WORKERS, else 2).",
            show_default=False,
        ),
    ] = None,
    cors_origins: Annotated[
        str | None,
        typer.Option(
            "--cors-origins",
            help="Comma-separated origins allowed by CORS, * for any, empty for none "
            "(default: $KG_CORS_ORIGINS, else *). Never with credentials.",
            show_default=False,
        ),
    ] = None,
    service_allowlist: Annotated[
        str | None,
        typer.Option(
            "--service-allowlist",
            help="Comma-separated endpoints SERVICE may call (default: $KG_SERVICE_ALLOWLIST, else none).",
            show_default=False,
        ),
    ] = None,
    rate_limit: Annotated[
        int | None,
        typer.Option(
            "--rate-limit",
            min=0,
            help="Requests per minute per client address, 0 for none (default: $KG_RATE_LIMIT, else 0).",
            show_default=False,
        ),
    ] = None,
    answer_cache_mb: Annotated[
        float | None,
        typer.Option(
            "--answer-cache-mb",
            min=0,
            help="Memory for answers kept while the published snapshot stays the same, 0 for none "
            "(default: $KG_ANSWER_CACHE_MB, else 64).",
            show_default=False,
        ),
    ] = None,
    worker_memory_mb: Annotated[
        int | None,
        typer.Option(
            "--worker-memory-mb",
            min=0,
            help="Memory one query worker may allocate; a query needing more is stopped, 0 for no cap "
            "(default: $KG_WORKER_MEMORY_MB, else 1024).",
            show_default=False,
        ),
    ] = None,
    access_log: Annotated[
        bool, typer.Option("--access-log/--no-access-log", help="Log every request.")
    ] = True,
) -> None:
    """Serve the store: SPARQL endpoint at /sparql, canned queries at /queries, linked data, explorer.

    Read-only, on 127.0.0.1 unless --host says otherwise. Every flag has a KG_* variable; access
    tokens that also see embargoed letters come only from KG_ACCESS_TOKENS (never a flag, which
    other users of the machine could read in the process list).

    Example: kg serve --data-dir ./kg-data --port 8000 --query-timeout 10
    """
    settings = _server_settings(
        data_dir,
        base_iri,
        host=host,
        port=port,
        query_timeout_s=query_timeout,
        max_results=max_results,
        max_request_bytes=max_request_bytes,
        max_query_depth=max_query_depth,
        max_path_steps=max_path_steps,
        workers=workers,
        cors_origins=_comma_list(cors_origins),
        service_allowlist=_comma_list(service_allowlist),
        rate_limit=rate_limit,
        answer_cache_mb=answer_cache_mb,
        worker_memory_mb=worker_memory_mb,
    )
    _serve(settings, access_log=access_log)


def _comma_list(text: str | None) -> tuple[str, ...] | None:
    if text is None:
        return None
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _server_settings(data_dir: Path | None, base_iri: str | None, **flags: object) -> ServerSettings:
    from kg.server.settings import ServerSettings

    try:
        settings = ServerSettings.from_env(data_dir=data_dir, base_iri=base_iri, **flags)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    for name, value in (
        ("--port", settings.port),
        ("--workers", settings.workers),
        ("--max-results", settings.max_results),
        ("--max-request-bytes", settings.max_request_bytes),
    ):
        if value < (0 if name == "--port" else 1):
            err.print(f"[red]error:[/red] {name} must be a positive number, got {value}", highlight=False)
            raise typer.Exit(2)
    if settings.query_timeout_s <= 0:
        err.print(
            f"[red]error:[/red] --query-timeout (KG_QUERY_TIMEOUT) must be more than 0 s, "
            f"got {settings.query_timeout_s:g}",
            highlight=False,
        )
        raise typer.Exit(2)
    return settings


class PathsFormat(StrEnum):
    text = "text"
    json = "json"


@app.command()
def paths(
    source: Annotated[str, typer.Argument(help="The entity to start from: an IRI or a name ('Li-Ning').")],
    to: Annotated[
        str | None, typer.Option("--to", help="A target entity: an IRI or a name.", show_default=False)
    ] = None,
    to_type: Annotated[
        str | None,
        typer.Option(
            "--to-type",
            help="A target type: Allegation, kg:Norm, State... or a class IRI.",
            show_default=False,
        ),
    ] = None,
    max_hops: Annotated[int, typer.Option("--max-hops", min=1, max=8, help="Longest path, in hops.")] = 4,
    all_paths: Annotated[
        bool, typer.Option("--all", help="Every simple path up to --max-hops, not only the shortest.")
    ] = False,
    relation: Annotated[
        list[str] | None,
        typer.Option(
            "--relation", help="A property IRI a path may follow (repeat; default: kg's main relations)."
        ),
    ] = None,
    inferred: Annotated[
        bool,
        typer.Option(
            "--inferred/--no-inferred", help="Follow facts kg inferred, not only those letters state."
        ),
    ] = True,
    limit: Annotated[int, typer.Option("--limit", min=1, help="Paths to show.")] = 50,
    offset: Annotated[int, typer.Option("--offset", min=0, help="Paths to skip (paging).")] = 0,
    max_degree: Annotated[
        int,
        typer.Option(
            "--max-degree",
            min=0,
            help="A node with more facts than this (a State in thousands of letters) ends a path but is not "
            "crossed; 0 crosses everything.",
        ),
    ] = 100,
    fmt: Annotated[PathsFormat, typer.Option("--format", "-f", help="Output format.")] = PathsFormat.text,
    data_dir: DataDirOption = None,
) -> None:
    """How an entity connects to allegations, issues, norms, States or another entity, with evidence.

    Each path is printed as a sentence, then each hop with the document and quote (or offsets)
    that state it. A name that matches several entities lists them (exit 2).

    Example: kg paths "Li-Ning" --to-type Allegation --max-hops 4
    """
    import json

    from kg.paths import expand_type, find_paths, is_iri, resolve, store_runner

    settings = _settings(data_dir)
    if not to and not to_type:
        err.print("[red]error:[/red] give --to (an IRI or a name) and/or --to-type (e.g. Allegation)")
        raise typer.Exit(2)
    with _errors(), _open_store(settings) as store:
        run = store_runner(store)

        def entity(text: str, what: str) -> str:
            if is_iri(text):
                return text
            found = resolve(run, text)
            if len(found) == 1:
                return found[0][0]
            if not found:
                err.print(f"error: {what}: no entity is named {text!r}", highlight=False, markup=False)
            else:
                err.print(f"error: {what}: {text!r} names {len(found)} entities; give one IRI:", markup=False)
                for iri, label in found[:30]:
                    err.print(f"  {label}  <{iri}>", highlight=False, markup=False)
            raise typer.Exit(2)

        source_iri = entity(source, "SOURCE")
        result = find_paths(
            run,
            source_iri,
            targets={entity(to, "--to")} if to else None,
            target_types={expand_type(to_type)} if to_type else None,
            max_hops=max_hops,
            relations=relation or None,
            mode="all" if all_paths else "shortest",
            limit=limit,
            offset=offset,
            include_inferred=inferred,
            max_degree=max_degree,
        )
    if fmt is PathsFormat.json:
        _write(
            json.dumps(
                {
                    "source": source_iri,
                    "paths": [p.to_json() for p in result.paths],
                    "complete": result.complete,
                    "explored": result.explored,
                    "total": result.total,
                    "next_offset": result.next_offset(offset, limit),
                    "hubs": list(result.hubs),
                },
                ensure_ascii=False,
                indent=1,
            )
        )
        return
    for number, path in enumerate(result.paths, start=offset + 1):
        out.print(f"{number}. {path.sentence}", highlight=False, markup=False)
        for edge in path.edges:
            out.print(
                f"   {edge.source} -[{edge.property_label}, {edge.direction}]-> {edge.target}"
                + (" (inferred)" if edge.inferred else ""),
                highlight=False,
                markup=False,
            )
            for ev in edge.evidence:
                where = f"chars {ev.start}-{ev.end}" if ev.start is not None else "no offsets"
                quote = f' "{ev.quote}"' if ev.quote else ""
                out.print(f"     evidence: {ev.document} ({where}){quote}", highlight=False, markup=False)
        out.print("")
    shown = f"{offset + 1}-{offset + len(result.paths)}" if result.paths else "none"
    more = result.next_offset(offset, limit)
    err.print(
        f"{result.total} path(s), showing {shown}; {result.explored} node(s) explored"
        + ("" if result.complete else "; INCOMPLETE: a time or size bound stopped the search")
        + (f"; {len(result.hubs)} hub(s) not crossed (--max-degree 0 crosses them)" if result.hubs else "")
        + (f"; next page: --offset {more}" if more is not None else "")
    )


embargo_app = typer.Typer(
    name="embargo",
    help="Which letters are hidden from the public until their publication date, and changing that.",
    no_args_is_help=False,
)
app.add_typer(embargo_app, name="embargo")


@embargo_app.callback(invoke_without_command=True)
def embargo_list(ctx: typer.Context, data_dir: DataDirOption = None) -> None:
    """List the letters under embargo now, soonest release first.

    Example: kg embargo --data-dir ./data
    """
    if ctx.invoked_subcommand is not None:
        return
    from kg.publish import embargoes

    settings = _settings(data_dir)
    if settings.remote is not None:
        err.print(
            f"0 letter(s) under embargo: {settings.remote.query_url} is an external store, to which kg never "
            "writes a letter under embargo"
        )
        return
    with _errors(), _open_store(settings) as store:
        found = embargoes(store)
    for e in found:
        out.print(f"{e.reference}  until {e.until.isoformat()}  (set by the {e.set_by})", highlight=False)
    err.print(f"{len(found)} letter(s) under embargo; anonymous users of kg serve do not see them")


def _embargo_change(reference: str, until: str, data_dir: Path | None, base_iri: str | None) -> str:
    from kg import iris
    from kg.errors import NotFound
    from kg.publish import parse_embargo, set_embargo

    settings = _settings(data_dir, base_iri)
    if settings.remote is not None:
        err.print(
            f"[red]error:[/red] {settings.data_dir} uses the external store {settings.remote.query_url}, "
            "whose own endpoint shows every letter to anyone: kg keeps no embargoes there and never writes "
            "a letter under embargo to it. Use an embedded data folder for letters under embargo.",
            highlight=False,
        )
        raise typer.Exit(2)
    try:
        moment = parse_embargo(until)
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    with _errors(), _writing(settings) as store:
        graph = iris.document_graph_iri(settings.base_iri, reference)
        if not store.has_graph(graph):
            raise NotFound(f"{reference} is not in the store (looked for graph <{graph}>)")
        set_embargo(store, graph, moment)
    return moment.isoformat()


@embargo_app.command("set")
def embargo_set(
    reference: Annotated[str, typer.Argument(help="The communication's reference, e.g. 'AL OTH 70/2020'.")],
    until: Annotated[str, typer.Option("--until", metavar="DATE", help="2026-12-01 or an ISO 8601 time.")],
    data_dir: DataDirOption = None,
    base_iri: BaseIriOption = None,
) -> None:
    """Hide a stored letter from anonymous users until DATE (overrides the letter's own date).

    Example: kg embargo set "AL OTH 70/2020" --until 2026-12-01
    """
    moment = _embargo_change(reference, until, data_dir, base_iri)
    out.print(f"{reference}: hidden from the public until {moment}", highlight=False)


@embargo_app.command("lift")
def embargo_lift(
    reference: Annotated[str, typer.Argument(help="The communication's reference, e.g. 'AL OTH 70/2020'.")],
    data_dir: DataDirOption = None,
    base_iri: BaseIriOption = None,
) -> None:
    """Publish a stored letter now, whatever its own publication date says.

    Example: kg embargo lift "AL OTH 70/2020"
    """
    from kg.publish import utcnow

    _embargo_change(reference, utcnow().isoformat(timespec="seconds"), data_dir, base_iri)
    out.print(f"{reference}: public now (served by kg serve without a restart)", highlight=False)


link_app = typer.Typer(no_args_is_help=False, rich_markup_mode=None)
app.add_typer(link_app, name="link")

EndpointOption = Annotated[
    str | None,
    typer.Option(
        "--endpoint",
        help="SPARQL endpoint in Wikidata's model (default: $KG_LINK_ENDPOINT, else Wikidata's).",
        show_default=False,
    ),
]


def _link_endpoint(endpoint: str | None) -> str:
    import os

    from kg.linking import DEFAULT_ENDPOINT

    return endpoint or os.environ.get("KG_LINK_ENDPOINT") or DEFAULT_ENDPOINT


@link_app.callback(invoke_without_command=True)
def link(
    ctx: typer.Context,
    endpoint: EndpointOption = None,
    offline: Annotated[
        bool, typer.Option("--offline", help="Use cached answers only; report what is not cached.")
    ] = False,
    threshold: Annotated[
        float, typer.Option("--threshold", min=0.01, max=1.0, help="Accept candidates scoring at least this.")
    ] = 0.9,
    review: Annotated[
        bool, typer.Option("--review", help="Print the candidates waiting for review; query nothing.")
    ] = False,
    refresh: Annotated[
        bool, typer.Option("--refresh", help="Ask the endpoint again even for cached answers.")
    ] = False,
    timeout: Annotated[float, typer.Option("--timeout", min=1.0, help="Seconds per request.")] = 60.0,
    data_dir: DataDirOption = None,
) -> None:
    """Find Wikidata items for companies, organisations, States, mandates and instruments.

    Accepted links go to the links graph with their provenance; facts of the items to the
    external graph; the rest wait for review (kg link --review, kg link accept|reject).

    Example: kg link --threshold 0.9 && kg link --review
    """
    if ctx.invoked_subcommand is not None:
        return
    from kg.linking import SparqlClient, link_store, read_decisions
    from kg.linking.reconcile import cache_dir

    settings = _settings(data_dir)
    with _errors(), _open_store(settings) if review else _writing(settings) as store:
        if review:
            waiting = [d for d in read_decisions(store) if d.status == "review"]
            for d in waiting:
                score = f"{d.score:.2f}" if d.score is not None else "  - "
                out.print(
                    f"{score}  {d.local_label or d.local} <{d.local}>\n"
                    f"      -> {d.item_label or '?'} <{d.item}>  ({d.basis})",
                    highlight=False,
                    markup=False,
                )
            err.print(
                f"{len(waiting)} candidate(s) to review; decide with: kg link accept|reject ENTITY-IRI QID"
            )
            return
        client = SparqlClient(
            _link_endpoint(endpoint),
            cache_dir=cache_dir(settings.data_dir),
            offline=offline,
            refresh=refresh,
            timeout_s=timeout,
        )
        result = link_store(store, client, threshold=threshold)
    for d in result.accepted:
        out.print(
            f"linked   {d.local_label} <{d.local}> -> <{d.item}>  ({d.basis})", highlight=False, markup=False
        )
    out.print(
        f"{result.entities} entities, {len(result.accepted)} linked by rule, {len(result.review)} to review, "
        f"{result.kept_by_hand} hand decision(s) kept, {result.unmatched} without candidates; "
        f"{result.facts} external facts; {result.requests} request(s), {result.cache_hits} cached answer(s).",
        highlight=False,
    )
    for issue in result.issues:
        out.print(f"issue: {issue}", highlight=False, markup=False)
    if result.cache_misses:
        err.print(
            f"--offline: {result.cache_misses} query(ies) not in the cache; their entities kept their "
            "previous decisions. Run without --offline to fetch them."
        )
    if result.cache_misses or result.issues:
        raise typer.Exit(1)


def _decide(entity: str, item: str, accept: bool, endpoint: str | None, data_dir: Path | None) -> None:
    from kg.linking import decide_by_hand

    settings = _settings(data_dir)
    with _errors(), _writing(settings) as store:
        d = decide_by_hand(store, entity, item, accept=accept, endpoint=_link_endpoint(endpoint))
    verb = "accepted" if accept else "rejected"
    out.print(f"{verb} by hand: <{d.local}> -> <{d.item}>; later runs keep this decision", highlight=False)
    if accept:
        err.print("run kg link to fetch the item's facts into the external graph")


@link_app.command("accept")
def link_accept(
    entity: Annotated[str, typer.Argument(help="The entity's IRI (kg link --review shows it).")],
    item: Annotated[str, typer.Argument(help="The Wikidata item: Q-id (Q148) or IRI.")],
    endpoint: EndpointOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Accept a link by hand; no later run overwrites it.

    Example: kg link accept https://w3id.org/kg-spcomm/data/company/blackstone-group-l-p Q900010
    """
    _decide(entity, item, True, endpoint, data_dir)


@link_app.command("reject")
def link_reject(
    entity: Annotated[str, typer.Argument(help="The entity's IRI (kg link --review shows it).")],
    item: Annotated[str, typer.Argument(help="The Wikidata item: Q-id (Q148) or IRI.")],
    endpoint: EndpointOption = None,
    data_dir: DataDirOption = None,
) -> None:
    """Reject a candidate (or an accepted link) by hand; no later run proposes it again.

    Example: kg link reject https://w3id.org/kg-spcomm/data/company/blackstone-group-l-p Q900011
    """
    _decide(entity, item, False, endpoint, data_dir)


@app.command()
def dump(
    file: Annotated[
        str, typer.Argument(help="File to write, or - for stdout (default: -).", show_default=False)
    ] = "-",
    data_dir: DataDirOption = None,
) -> None:
    """Back up the whole working store as N-Quads: every named graph and the default graph.

    The file ends with a closing line counting the quads, so kg restore can tell a complete
    dump from one cut short.

    Example: kg dump kg-backup.nq --data-dir ./data
    """
    from kg.dump import dump_store

    settings = _settings(data_dir)
    if settings.remote is None and not settings.store_dir.is_dir():
        err.print(f"[red]error:[/red] no store in {settings.data_dir}: nothing to dump", highlight=False)
        raise typer.Exit(2)
    with _errors(), _open_store(settings) as store:
        if file == "-":
            dump_store(store, sys.stdout.buffer)
            return
        target = Path(file)
        partial = target.with_name(target.name + ".partial")
        try:
            with partial.open("wb") as output:
                result = dump_store(store, output)
            partial.replace(target)
        except OSError as exc:
            partial.unlink(missing_ok=True)
            err.print(f"[red]error:[/red] cannot write {target}: {exc.strerror or exc}", highlight=False)
            raise typer.Exit(2) from exc
    err.print(f"wrote {result.quads} quads ({result.bytes} bytes) to {target}", highlight=False)


@app.command()
def restore(
    file: Annotated[Path, typer.Argument(help="An N-Quads file, as written by kg dump.")],
    data_dir: DataDirOption = None,
    replace_all: Annotated[
        bool,
        typer.Option("--replace-all", help="Swap an existing, non-empty store for the dump (all of it)."),
    ] = False,
) -> None:
    """Load a dump as the working store: all of it or, if any line is bad, nothing.

    Restores into an empty data folder; a store that holds data is only replaced with
    --replace-all. The server's snapshots are republished from the restored store.

    Example: kg restore kg-backup.nq --data-dir ./data-restored
    """
    from kg.dump import publish_if_available, restore_store

    settings = _settings(data_dir)
    if settings.remote is not None:
        from kg.remote_store import RemoteStore, restore_remote

        with _errors(), RemoteStore(settings.remote) as store:
            loaded = restore_remote(file, store, replace_all=replace_all)
        verb = "replaced the store's content with" if loaded.replaced else "restored"
        out.print(
            f"{verb} {loaded.quads} quads in {loaded.graphs} named graphs from {file} into the external "
            f"store {settings.remote.query_url}",
            highlight=False,
        )
        return
    with _errors():
        result = restore_store(file, settings, replace_all=replace_all)
        published = publish_if_available(settings)
    verb = "replaced the store with" if result.replaced else "restored"
    out.print(
        f"{verb} {result.quads} quads in {result.graphs} named graphs from {file} into {settings.store_dir}"
        + ("; snapshots republished" if published else ""),
        highlight=False,
    )


class AuthKind(StrEnum):
    basic = "basic"
    digest = "digest"


@app.command()
def connect(
    query_url: Annotated[
        str | None,
        typer.Option("--query-url", help="The store's SPARQL query endpoint, e.g. http://host:7878/query."),
    ] = None,
    update_url: Annotated[
        str | None,
        typer.Option(
            "--update-url", help="Its SPARQL update endpoint (default: the query URL).", show_default=False
        ),
    ] = None,
    gsp_url: Annotated[
        str | None,
        typer.Option(
            "--gsp-url",
            help="Its Graph Store Protocol endpoint (optional; faster dumps).",
            show_default=False,
        ),
    ] = None,
    user: Annotated[
        str | None,
        typer.Option(
            "--user", help="User name; the password comes from $KG_STORE_PASSWORD only.", show_default=False
        ),
    ] = None,
    auth: Annotated[
        AuthKind, typer.Option("--auth", help="basic, or digest (Virtuoso's /sparql-auth).")
    ] = AuthKind.basic,
    timeout: Annotated[
        float, typer.Option("--timeout", min=1.0, help="Seconds per request to the store.")
    ] = 60.0,
    embedded: Annotated[
        bool, typer.Option("--embedded", help="Forget the external store: use the data folder's own again.")
    ] = False,
    data_dir: DataDirOption = None,
) -> None:
    """Use an external SPARQL 1.1 store (Oxigraph server, Fuseki, Virtuoso, GraphDB) for this data folder.

    Checks that kg can read and write it and that its default graph is the union of its named
    graphs, then writes DATA_DIR/store.json (never the password: give it in KG_STORE_PASSWORD).
    Every kg command on the folder then works on that store; letters under embargo are refused.

    Example: kg connect --query-url http://localhost:7878/query --update-url http://localhost:7878/update
    """
    from kg.config import STORE_CONFIG, RemoteConfig, data_dir_from_env

    folder = data_dir_from_env(data_dir)
    if embedded:
        (folder / STORE_CONFIG).unlink(missing_ok=True)
        out.print(f"{folder} uses its embedded store again ({folder / 'store'})", highlight=False)
        return
    if not query_url:
        err.print("[red]error:[/red] give --query-url (the store's SPARQL endpoint), or --embedded")
        raise typer.Exit(2)
    import os

    try:
        config = RemoteConfig(
            query_url=query_url,
            update_url=update_url or "",
            gsp_url=gsp_url,
            user=user,
            password=os.environ.get("KG_STORE_PASSWORD") or None,
            timeout_s=timeout,
            auth_kind=auth.value,
        )
    except ValueError as exc:
        err.print(f"[red]error:[/red] {exc}", highlight=False)
        raise typer.Exit(2) from exc
    from kg.remote_store import connect_store

    with _errors():
        found = connect_store(folder, config)
    out.print(
        f"{folder} now uses the SPARQL store at {config.query_url} ({found.engine}): {found.quads} quads in "
        f"{found.graphs} named graphs; its default graph is the union of them, as kg needs. Wrote "
        f"{found.config_file} (no password{': set KG_STORE_PASSWORD' if user else ''}). "
        "kg connect --embedded goes back to the embedded store.",
        highlight=False,
    )


def _serve(settings: ServerSettings, *, access_log: bool = True) -> None:
    from kg.server.run import serve as run_server

    with _errors():
        run_server(settings, announce=lambda text: out.print(text, highlight=False), access_log=access_log)


if __name__ == "__main__":  # pragma: no cover
    app()
