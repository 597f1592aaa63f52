"""kg beside the engines a user would pick instead, on the same data and the same queries, in one run.

    python3 bench/suite.py --communications 1000 [--repeat 5] [--out bench-results/1000]
                           [--engines kg,oxigraph,rdflib-endpoint,rdflib] [--duration 20] [--timeout 30]

``--communications 0`` runs on the bundled sample (five letters); any other N uses
bench/synthetic.py's fictional corpus of N communications (generated once into OUT/data and
reused by later runs with the same N). Every engine gets the same N-Quads (exported from kg's
own store) and the same query text:

- **kg**: ``kg serve`` (canned queries by name at /queries/<name>, paths at /paths, SPARQL at /sparql);
- **Oxigraph server**: ``oxigraph serve-read-only --union-default-graph`` (the fast native engine);
- **rdflib-endpoint**: its FastAPI SPARQL endpoint over an rdflib Dataset (the closest peer);
- **rdflib in memory**: ``Dataset.query`` in-process (the plain Python choice).

Figures: ingest throughput (kg with and without its SHACL gate; ``oxigraph load``; rdflib parsing),
every canned query's latency (median and p95 of ``--repeat`` runs after one warm-up), a company's
paths to allegations within 4 hops (kg's walk at /paths vs one SPARQL property-path query),
a lookup (one company's facts) alone and under 8 concurrent clients for ``--duration`` seconds
(requests/s, p99): the same request repeated (what kg's answer cache serves) and a different
company on every request (what it cannot: each reaches a query worker); peak memory of each
engine's process tree, store size on disk. Ratios are against the Oxigraph server. Each engine
runs alone (servers one at a time, on 127.0.0.1, free ports), every query is bounded by
``--timeout``, and every server is stopped at the end, on errors and on Ctrl-C.

Writes OUT/results.md (printed too), OUT/results.json and OUT/chart.png.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import multiprocessing
import os
import platform
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(HERE))

import engines as eng  # noqa: E402  (bench/ is not a package)

ENGINE_KEYS = ("kg", "oxigraph", "rdflib-endpoint", "rdflib")
LABELS = {
    "kg": "kg endpoint",
    "oxigraph": "Oxigraph server",
    "rdflib-endpoint": "rdflib-endpoint",
    "rdflib": "rdflib in memory",
}
HTTP_ENGINES = ("kg", "oxigraph", "rdflib-endpoint")
KG_NS = "https://w3id.org/kg-spcomm/ontology#"
CLIENTS = 8

# The targets (kg issue 6).
TARGET_LATENCY_RATIO = 1.5
TARGET_CLIENTS_RATIO = 0.5
TARGET_P99_MS = 15.0
TARGET_MEMORY_BYTES = 2 * 1024**3
TARGET_PATHS_MS = 100.0


# -- results ------------------------------------------------------------------------------


@dataclass
class Timing:
    """Runs of one figure on one engine: milliseconds and rows, or why there are none."""

    runs: list[float] = field(default_factory=list)
    rows: int | None = None
    failure: str | None = None  # "timeout (> 30 s)", "error: ...", "n/a: ..."

    @property
    def median(self) -> float | None:
        return statistics.median(self.runs) if self.runs and not self.failure else None

    @property
    def p95(self) -> float | None:
        return percentile(self.runs, 0.95) if self.runs and not self.failure else None


@dataclass
class Rate:
    """A throughput: items per second over repeated runs, or why there is none."""

    per_s: list[float] = field(default_factory=list)
    triples_per_s: list[float] = field(default_factory=list)
    items: int = 0
    note: str = ""
    failure: str | None = None

    @property
    def median(self) -> float | None:
        return statistics.median(self.per_s) if self.per_s else None

    @property
    def triples_median(self) -> float | None:
        return statistics.median(self.triples_per_s) if self.triples_per_s else None


@dataclass
class EngineResult:
    key: str
    queries: dict[str, Timing] = field(default_factory=dict)
    lookup: Timing = field(default_factory=Timing)
    paths: Timing = field(default_factory=Timing)
    # kg only: one walk from each of PATH_SOURCES other companies (the target is a median over sources)
    paths_spread: Timing = field(default_factory=Timing)
    rps: float | None = None
    p99_ms: float | None = None
    load_errors: int = 0
    load_failure: str | None = None
    # The same load, each request asking for a different company (no answer cache can serve it).
    varied_rps: float | None = None
    varied_p99_ms: float | None = None
    varied_errors: int = 0
    varied_failure: str | None = None
    peak_bytes: int | None = None
    disk_bytes: int | None = None
    disk_note: str = ""
    started_s: float | None = None
    failure: str | None = None


@dataclass
class Suite:
    communications: int
    quads: int
    repeat: int
    duration_s: float
    timeout_s: float
    company: str
    company_label: str
    companies: list[str] = field(default_factory=list)  # for the varied lookup load
    ingest: dict[str, Rate] = field(default_factory=dict)
    engines: dict[str, EngineResult] = field(default_factory=dict)
    started: str = ""
    versions: dict[str, str] = field(default_factory=dict)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(fraction * (len(ordered) - 1))))]


# -- data ---------------------------------------------------------------------------------


@dataclass
class Data:
    nquads: Path
    kg_dir: Path
    communications: int
    records: Callable[[int], Iterator[Any]]  # the first n records, for timing ingest


def prepare_data(out: Path, communications: int, log: Callable[[str], None]) -> Data:
    """The kg data dir and the N-Quads every other engine loads, built once per scale and reused."""
    folder = out / "data"
    kg_dir = folder / "kg-data"
    nquads = folder / "data.nq"
    marker = folder / "communications.txt"
    if not (marker.exists() and marker.read_text().strip() == str(communications) and kg_dir.exists()):
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        if communications == 0:
            log("building the sample graph (kg demo)")
            run([sys.executable, "-m", "kg.cli", "demo", "--data-dir", str(kg_dir)], folder / "demo.log")
        else:
            log(f"generating {communications:,} synthetic communications (bench/synthetic.py)")
            run(
                [
                    sys.executable,
                    str(HERE / "synthetic.py"),
                    "--communications",
                    str(communications),
                    "--out",
                    str(folder),
                ],
                folder / "synthetic.log",
            )
        marker.write_text(f"{communications}\n")
    # Always the store's own export: the other engines get exactly what kg serves.
    nquads.unlink(missing_ok=True)
    run(
        [
            sys.executable,
            "-m",
            "kg.cli",
            "export",
            "--format",
            "nquads",
            "--data-dir",
            str(kg_dir),
            "-o",
            str(nquads),
        ],
        folder / "export.log",
    )
    if communications == 0:
        return Data(nquads, kg_dir, len(list(sample_records(1000))), sample_records)
    return Data(nquads, kg_dir, communications, synthetic_records)


def run(argv: list[str], log_path: Path) -> None:
    with log_path.open("wb") as log:
        done = subprocess.run(argv, stdout=log, stderr=subprocess.STDOUT, check=False)
    if done.returncode != 0:
        tail = log_path.read_text(errors="replace")[-2000:]
        raise SystemExit(f"{' '.join(argv[:4])} ... failed (exit {done.returncode}); {log_path}:\n{tail}")


def sample_records(n: int) -> Iterator[Any]:
    from kg import resources
    from kg.record import load_record

    for path in sorted(resources.sample_dir().glob("*.json"))[:n]:
        yield load_record(path)


def synthetic_records(n: int) -> Iterator[Any]:
    from synthetic import generate_records

    yield from generate_records(n)


def pick_company(source: Path) -> tuple[str, str, int, list[str]]:
    """The company with the most communications addressed to it (ties: smallest IRI): a lookup and a
    path source every engine can answer, and the worst case for the path search among companies.
    Also every company, in IRI order, for the lookup load that asks a different one each time.

    ``source`` is an N-Quads file, or a kg data folder whose working store is opened read-only
    (at 100,000 letters, loading the file into memory would take minutes and gigabytes)."""
    import pyoxigraph as ox

    if source.is_dir():
        store = ox.Store.read_only(str(source / "store"))
    else:
        store = ox.Store()
        store.bulk_load(path=str(source), format=ox.RdfFormat.N_QUADS)
    # Counted in Python: as one SPARQL query over the union graph, the facts repeated in every
    # document graph (a company's type, its label) multiply the join and it took minutes at 10,000.
    kg = {name: ox.NamedNode(KG_NS + name) for name in ("addressedTo", "raisesAllegation", "Company")}
    rdf_type = ox.NamedNode("http://www.w3.org/1999/02/22-rdf-syntax-ns#type")
    label = ox.NamedNode("http://www.w3.org/2000/01/rdf-schema#label")
    companies = {q.subject for q in store.quads_for_pattern(None, rdf_type, kg["Company"], None)}
    raising = {q.subject for q in store.quads_for_pattern(None, kg["raisesAllegation"], None, None)}
    letters: dict[Any, set[Any]] = {}
    for q in store.quads_for_pattern(None, kg["addressedTo"], None, None):
        if q.object in companies and q.subject in raising:
            letters.setdefault(q.object, set()).add(q.subject)
    if not letters:
        raise SystemExit(f"{source}: no company receives a communication that raises an allegation")
    company = min(letters, key=lambda c: (-len(letters[c]), c.value))
    names = [q.object.value for q in store.quads_for_pattern(company, label, None, None)]
    return company.value, names[0] if names else "", len(store), sorted(c.value for c in companies)


def lookup_query(company: str) -> str:
    # DISTINCT: with the default graph as the union, Oxigraph returns a fact once per graph stating it,
    # rdflib once; distinct rows are what every engine agrees on.
    return f"SELECT DISTINCT ?p ?o WHERE {{ <{company}> ?p ?o }}"


def varied_lookup(companies: list[str]) -> Callable[[int], str]:
    """The n-th request's query for the varied load: companies in turn; once every company was asked,
    a comment numbering the round keeps the text new, so no request repeats an earlier one."""

    def query(n: int) -> str:
        text = lookup_query(companies[n % len(companies)])
        return text if n < len(companies) else f"{text} # round {n // len(companies) + 1}"

    return query


def path_query(company: str) -> str:
    """The plain SPARQL a user would write: allegations within 1 to 4 hops over kg's relations, both ways."""
    from kg.paths import DEFAULT_RELATIONS

    step = "(" + "|".join(f"<{r}>|^<{r}>" for r in DEFAULT_RELATIONS) + ")"
    return (
        f"SELECT DISTINCT ?allegation WHERE {{\n  <{company}> {step}/{step}?/{step}?/{step}? ?allegation .\n"
        f"  ?allegation a <{KG_NS}Allegation> .\n}}"
    )


# -- ingest -------------------------------------------------------------------------------


def time_kg_ingest(data: Data, count: int, repeat: int, *, shacl: bool) -> Rate:
    """kg's library ingest (record -> graph -> [SHACL] -> store -> inferences), fresh store each run.
    Without SHACL the gate is replaced by one that always conforms; every other step is the same."""
    import kg.ingest as ingest
    from kg.config import Settings
    from kg.store import EmbeddedStore
    from kg.validate import ValidationReport

    records = list(data.records(count))
    rate = Rate(items=len(records))
    original = ingest.validate_document
    for _ in range(repeat):
        with tempfile.TemporaryDirectory(prefix="kg-bench-ingest-") as folder:
            settings = Settings(data_dir=Path(folder) / "db")
            store = EmbeddedStore(settings.store_dir)
            ingest.ensure_static_graphs(store)
            if not shacl:
                ingest.validate_document = lambda doc, vocab=None: ValidationReport(conforms=True)  # type: ignore[assignment]
            try:
                started = time.perf_counter()
                triples = 0
                # The path `kg ingest` takes: batches written by a thread beside the next documents.
                for result in ingest.ingest_records(records, store, settings):
                    if not result.ok:
                        rate.failure = f"error: {result.reference} was {result.status}: {result.error}"
                        return rate
                    triples += result.triples
                store.flush()
                elapsed = time.perf_counter() - started
            finally:
                ingest.validate_document = original
                del store
        rate.per_s.append(len(records) / elapsed)
        rate.triples_per_s.append(triples / elapsed)
    return rate


def time_oxigraph_load(data: Data, quads: int, repeat: int, target: Path) -> Rate:
    """``oxigraph load`` of the whole N-Quads file into a fresh store; the last one is served."""
    rate = Rate(items=data.communications)
    for _ in range(repeat):
        shutil.rmtree(target, ignore_errors=True)
        started = time.perf_counter()
        done = subprocess.run(
            [eng.OXIGRAPH, "load", "--location", str(target), "--file", str(data.nquads)],
            capture_output=True,
            check=False,
        )
        elapsed = time.perf_counter() - started
        if done.returncode != 0:
            rate.failure = f"error: oxigraph load exited {done.returncode}: {done.stderr[-300:]!r}"
            return rate
        rate.per_s.append(data.communications / elapsed)
        rate.triples_per_s.append(quads / elapsed)
    return rate


def _parse_once(path: str, conn: Any) -> None:
    from rdflib import Dataset

    started = time.perf_counter()
    Dataset(default_union=True).parse(path, format="nquads")
    conn.send(time.perf_counter() - started)


def time_rdflib_parse(data: Data, quads: int, repeat: int) -> Rate:
    """Parsing the N-Quads into an rdflib Dataset, each run in a fresh forked process."""
    ctx = multiprocessing.get_context("fork")
    rate = Rate(items=data.communications)
    for _ in range(repeat):
        here, there = ctx.Pipe()
        child = ctx.Process(target=_parse_once, args=(str(data.nquads), there))
        child.start()
        there.close()
        elapsed = here.recv() if here.poll(3600) else None
        child.join()
        if elapsed is None:
            rate.failure = "error: rdflib did not parse the data within an hour"
            return rate
        rate.per_s.append(data.communications / elapsed)
        rate.triples_per_s.append(quads / elapsed)
    return rate


# -- one engine ---------------------------------------------------------------------------


def timed(fn: Callable[[], eng.Answer], repeat: int, timeout_s: float) -> Timing:
    """One warm-up, then ``repeat`` runs; the first timeout or error ends the series."""
    timing = Timing()
    try:
        timing.rows = fn().rows
        for _ in range(repeat):
            answer = fn()
            timing.runs.append(answer.ms)
            timing.rows = answer.rows
    except eng.QueryTimeout:
        timing.failure = f"timeout (> {timeout_s:g} s)"
    except eng.QueryFailed as exc:
        timing.failure = f"error: {exc}"
    return timing


def kg_paths_timing(engine: eng.KgEngine, company: str, repeat: int, timeout_s: float) -> Timing:
    """GET /paths (the first page of 50, as a user gets it); then the distinct allegations over all pages."""
    timing = Timing()
    try:
        engine.paths(company, "Allegation", 4)
        for _ in range(repeat):
            ms, _ = engine.paths(company, "Allegation", 4)
            timing.runs.append(ms)
        targets: set[str] = set()
        offset: int | None = 0
        pages = 0
        complete = True
        counting_until = time.monotonic() + 2 * timeout_s  # counting is not timed: keep it bounded
        while offset is not None and pages < 20 and time.monotonic() < counting_until:
            _, body = engine.paths(company, "Allegation", 4, limit=500, offset=offset)
            for path in body["paths"]:  # type: ignore[union-attr]
                targets.add(path["nodes"][-1]["iri"])
            complete = complete and bool(body["complete"])
            offset = body["next_offset"]  # type: ignore[assignment]
            pages += 1
        timing.rows = len(targets)
        if not complete or offset is not None:
            engine.notes.append("paths: kg's search stopped at a bound (complete: false), count is a floor")
    except eng.QueryTimeout:
        timing.failure = f"timeout (> {timeout_s:g} s)"
    except eng.QueryFailed as exc:
        timing.failure = f"error: {exc}"
    return timing


PATH_SOURCES = 20


def kg_paths_spread(engine: eng.KgEngine, companies: list[str], timeout_s: float) -> Timing:
    """GET /paths once from each of PATH_SOURCES companies spread over the IRI order: what a user meets.

    The busiest company is the worst case; the issue's target is the median over sources.
    """
    timing = Timing()
    if not companies:
        return timing
    step = max(1, len(companies) // PATH_SOURCES)
    try:
        for company in companies[::step][:PATH_SOURCES]:
            ms, _ = engine.paths(company, "Allegation", 4)
            timing.runs.append(ms)
    except eng.QueryTimeout:
        timing.failure = f"timeout (> {timeout_s:g} s)"
    except eng.QueryFailed as exc:
        timing.failure = f"error: {exc}"
    return timing


def run_engine(
    engine: eng.Engine,
    suite: Suite,
    canned: dict[str, str],
    args: argparse.Namespace,
    log: Callable[[str], None],
) -> EngineResult:
    result = EngineResult(engine.key)
    log(f"{engine.label}: starting")
    engine.start()
    result.started_s = engine.started_s
    pid = engine.memory_pid()
    sampler = eng.MemorySampler(pid) if pid and isinstance(engine, eng.HttpEngine) else None
    with sampler or contextlib.nullcontext():
        for name, sparql in canned.items():
            result.queries[name] = timed(
                lambda name=name, sparql=sparql: engine.canned(name, sparql), args.repeat, args.timeout
            )
            log(f"{engine.label}: {name} {describe_timing(result.queries[name])}")
        result.lookup = timed(lambda: engine.sparql(lookup_query(suite.company)), args.repeat, args.timeout)
        if isinstance(engine, eng.KgEngine):
            result.paths = kg_paths_timing(engine, suite.company, args.repeat, args.timeout)
            result.paths_spread = kg_paths_spread(engine, suite.companies, args.timeout)
            spread = result.paths_spread
            log(f"{engine.label}: paths from {len(spread.runs)} companies, median {fmt_ms(spread.median)} ms")
        else:
            result.paths = timed(lambda: engine.sparql(path_query(suite.company)), args.repeat, args.timeout)
        log(f"{engine.label}: paths {describe_timing(result.paths)}")
        if isinstance(engine, eng.HttpEngine):
            path = engine.query_path(lookup_query(suite.company))
            loaded = eng.load(engine.port, path, CLIENTS, args.duration, args.timeout)
            result.rps = loaded.rps
            result.load_errors = loaded.errors
            result.p99_ms = percentile(loaded.latencies_ms, 0.99) if loaded.latencies_ms else None
            if not loaded.latencies_ms:
                result.load_failure = f"error: no answer in {args.duration:g} s ({loaded.errors} errors)"
            log(f"{engine.label}: {CLIENTS} clients {result.rps:.0f} requests/s, p99 {result.p99_ms} ms")
            if suite.companies:
                varied = varied_lookup(suite.companies)
                loaded = eng.load(
                    engine.port,
                    lambda n: engine.query_path(varied(n)),
                    CLIENTS,
                    args.duration,
                    args.timeout,
                )
                result.varied_rps = loaded.rps
                result.varied_errors = loaded.errors
                result.varied_p99_ms = percentile(loaded.latencies_ms, 0.99) if loaded.latencies_ms else None
                if not loaded.latencies_ms:
                    result.varied_failure = (
                        f"error: no answer in {args.duration:g} s ({loaded.errors} errors)"
                    )
                log(
                    f"{engine.label}: {CLIENTS} clients, a different company each request: "
                    f"{result.varied_rps:.0f} requests/s, p99 {result.varied_p99_ms} ms"
                )
        else:
            result.load_failure = "n/a: in-process library, no endpoint"
    if sampler is not None:
        result.peak_bytes = sampler.peak
    elif isinstance(engine, eng.RdflibMemory):
        result.peak_bytes = max(engine.peak_bytes, eng.tree_memory(pid) if pid else 0)
    result.disk_bytes = engine.disk_bytes()
    if result.disk_bytes is None:
        result.disk_note = f"in memory (N-Quads file {suite_nquads_mb:.0f} MB)"
    return result


suite_nquads_mb = 0.0


def describe_timing(timing: Timing) -> str:
    if timing.failure:
        return timing.failure
    return f"{timing.median:.1f} ms median, {timing.p95:.1f} ms p95, {timing.rows} rows"


# -- report -------------------------------------------------------------------------------


def fmt_ms(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}" if value >= 1 else f"{value:.2f}"


def fmt_rate(value: float | None) -> str:
    if value is None:
        return "—"
    return f"{value:,.0f}" if value >= 10 else f"{value:.1f}"


def ratio(value: float | None, reference: float | None) -> str:
    if value is None or reference is None or reference == 0:
        return ""
    r = value / reference
    return f" ({r:.2f}×)" if r < 10 else f" ({r:.0f}×)"


def reference_rows(timings: dict[str, Timing], keys: list[str]) -> int | None:
    """The row count to compare with: the Oxigraph server's, else the most common answer."""
    if "oxigraph" in timings and timings["oxigraph"].rows is not None and not timings["oxigraph"].failure:
        return timings["oxigraph"].rows
    counts = [timings[k].rows for k in keys if k in timings and timings[k].rows is not None]
    return max(set(counts), key=counts.count) if counts else None


def timing_cell(timing: Timing | None, reference: Timing | None, expected_rows: int | None) -> str:
    if timing is None:
        return "not run"
    if timing.failure:
        text = timing.failure.replace("|", "/")
        return text if len(text) <= 90 else text[:87] + "..."
    cell = f"{fmt_ms(timing.median)} / {fmt_ms(timing.p95)}"
    cell += ratio(timing.median, reference.median if reference else None)
    if expected_rows is not None and timing.rows != expected_rows:
        cell += f" **≠ {timing.rows} rows**"
    return cell


def markdown(suite: Suite, keys: list[str], notes: list[str]) -> str:
    ox = suite.engines.get("oxigraph")
    head = "| figure | " + " | ".join(LABELS[k] for k in keys) + " |"
    rule = "|---|" + "---|" * len(keys)
    scale = (
        "the bundled sample (5 communications)"
        if suite.communications == 0
        else f"{suite.communications:,} synthetic communications"
    )
    lines = [
        f"# kg benchmark: {scale}, {suite.quads:,} quads",
        "",
        f"{suite.started}; {os.cpu_count()} cores; {platform.python_implementation()} "
        f"{platform.python_version()}; "
        + ", ".join(f"{k} {v}" for k, v in suite.versions.items())
        + f". Medians of {suite.repeat} runs after a warm-up; per-query timeout {suite.timeout_s:g} s. "
        "Ratios (×) are against the Oxigraph server (lower is better for times, higher for rates).",
        "",
        "## Ingest",
        "",
        "| | communications/s | triples/s | runs | what is timed |",
        "|---|---|---|---|---|",
    ]
    ingest_rows = {
        "kg-shacl": "kg ingest, with SHACL",
        "kg-noshacl": "kg ingest, without SHACL",
        "oxigraph": "Oxigraph server: `oxigraph load`",
        "rdflib": "rdflib: parse N-Quads",
    }
    reference = suite.ingest.get("oxigraph")
    for key, label in ingest_rows.items():
        rate = suite.ingest.get(key)
        if rate is None:
            continue
        if rate.failure:
            lines.append(f"| {label} | {rate.failure} | | | {rate.note} |")
            continue
        lines.append(
            f"| {label} | {fmt_rate(rate.median)}"
            f"{ratio(rate.median, reference.median if reference else None)} "
            f"| {fmt_rate(rate.triples_median)} | {len(rate.per_s)} | {rate.note} |"
        )
    lines += [
        "",
        "## Canned queries: median / p95 ms",
        "",
        "Each engine gets the query text with its default parameters bound (kg: GET /queries/<name>). "
        "**≠ n rows** flags an answer whose row count differs from the Oxigraph server's.",
        "",
        head.replace("| figure |", "| query | rows |"),
        rule + "---|",
    ]
    names = sorted({n for r in suite.engines.values() for n in r.queries})
    for name in names:
        timings = {
            k: suite.engines[k].queries[name]
            for k in keys
            if k in suite.engines and name in suite.engines[k].queries
        }
        expected = reference_rows(timings, keys)
        cells = [
            timing_cell(timings.get(k), ox.queries.get(name) if ox and k != "oxigraph" else None, expected)
            if k in suite.engines
            else engine_failure(suite, k)
            for k in keys
        ]
        lines.append(f"| {name} | {expected if expected is not None else '—'} | " + " | ".join(cells) + " |")
    lines += ["", "## Lookup, paths, load, resources", "", head, rule]

    def row(label: str, cell: Callable[[EngineResult], str]) -> None:
        cells = [cell(suite.engines[k]) if k in suite.engines else engine_failure(suite, k) for k in keys]
        lines.append(f"| {label} | " + " | ".join(cells) + " |")

    lookup_rows = reference_rows({k: r.lookup for k, r in suite.engines.items()}, keys)
    row(
        f"lookup, one company's facts ({lookup_rows} distinct rows): median / p95 ms",
        lambda r: (
            timing_cell(r.lookup, ox.lookup if ox and r.key != "oxigraph" else None, lookup_rows)
            if not r.failure
            else r.failure
        ),
    )
    sparql_keys = [k for k in keys if k != "kg"]
    path_rows = reference_rows(
        {k: suite.engines[k].paths for k in sparql_keys if k in suite.engines}, sparql_keys
    )
    row(
        "company → allegations within 4 hops"
        + (f" ({path_rows} allegations)" if path_rows is not None else "")
        + ": median / p95 ms",
        lambda r: (
            (
                r.failure
                or timing_cell(
                    r.paths,
                    ox.paths if ox and r.key != "oxigraph" else None,
                    None if r.key == "kg" else path_rows,
                )
            )
            + (f" [{r.paths.rows} allegations]" if r.key == "kg" and r.paths.rows is not None else "")
        ),
    )
    row(
        f"the same from {PATH_SOURCES} other companies, one walk each: median / p95 ms",
        lambda r: (
            (
                r.failure
                or r.paths_spread.failure
                or f"{fmt_ms(r.paths_spread.median)} / {fmt_ms(r.paths_spread.p95)}"
            )
            if r.key == "kg"
            else "—"
        ),
    )
    row(
        f"lookup, {CLIENTS} clients for {suite.duration_s:g} s: requests/s",
        lambda r: (
            r.failure
            or r.load_failure
            or (
                f"{fmt_rate(r.rps)}{ratio(r.rps, ox.rps if ox and r.key != 'oxigraph' else None)}"
                + (f", {r.load_errors} errors" if r.load_errors else "")
            )
        ),
    )
    row(
        f"lookup, {CLIENTS} clients: p99 ms",
        lambda r: (
            r.failure
            or r.load_failure
            or f"{fmt_ms(r.p99_ms)}{ratio(r.p99_ms, ox.p99_ms if ox and r.key != 'oxigraph' else None)}"
        ),
    )
    row(
        f"lookup, {CLIENTS} clients, a different company each request, for {suite.duration_s:g} s: "
        "requests/s",
        lambda r: (
            r.failure
            or r.load_failure
            or r.varied_failure
            or (
                f"{fmt_rate(r.varied_rps)}"
                f"{ratio(r.varied_rps, ox.varied_rps if ox and r.key != 'oxigraph' else None)}"
                + (f", {r.varied_errors} errors" if r.varied_errors else "")
                if r.varied_rps is not None
                else "—"
            )
        ),
    )
    row(
        f"lookup, {CLIENTS} clients, a different company each request: p99 ms",
        lambda r: (
            r.failure
            or r.load_failure
            or r.varied_failure
            or (
                f"{fmt_ms(r.varied_p99_ms)}"
                f"{ratio(r.varied_p99_ms, ox.varied_p99_ms if ox and r.key != 'oxigraph' else None)}"
            )
        ),
    )
    row(
        "peak memory, MB (PSS of the process tree)",
        lambda r: (
            r.failure
            or (
                f"{r.peak_bytes / 2**20:,.0f}"
                f"{ratio(r.peak_bytes, ox.peak_bytes if ox and r.key != 'oxigraph' else None)}"
                if r.peak_bytes
                else "—"
            )
        ),
    )
    row(
        "store on disk, MB",
        lambda r: (
            r.failure
            or (
                f"{r.disk_bytes / 2**20:,.1f}"
                f"{ratio(r.disk_bytes, ox.disk_bytes if ox and r.key != 'oxigraph' else None)}"
                if r.disk_bytes is not None
                else r.disk_note
            )
        ),
    )
    row(
        "start to first answer, s",
        lambda r: r.failure or (f"{r.started_s:.1f}" if r.started_s is not None else "—"),
    )
    lines += ["", "## Targets (kg issue 6)", "", "| target | measured | met |", "|---|---|---|"]
    lines += targets(suite)
    if notes:
        lines += ["", "## Notes", ""] + [f"- {n}" for n in notes]
    return "\n".join(lines) + "\n"


def engine_failure(suite: Suite, key: str) -> str:
    return "not run"


def targets(suite: Suite) -> list[str]:
    kg, ox, re_ = (suite.engines.get(k) for k in ("kg", "oxigraph", "rdflib-endpoint"))
    out: list[str] = []
    if kg is None or kg.failure:
        return ["| every target | kg did not run | — |"]
    if ox and not ox.failure:
        within: list[str] = []
        over: list[str] = []
        unmeasured: list[str] = []
        for name, timing in kg.queries.items():
            other = ox.queries.get(name)
            if timing.median is None or other is None or other.median is None:
                if timing.failure and other is not None and other.failure:
                    unmeasured.append(name)  # both past the timeout: no ratio to give
                elif timing.failure:
                    over.append(f"{name} ({timing.failure.split(':')[0][:40]})")
                continue
            r = timing.median / other.median
            (within if r <= TARGET_LATENCY_RATIO else over).append(f"{name} {r:.2f}×")
        met = "no" if over else "not measurable on every query" if unmeasured else "yes"
        out.append(
            f"| each canned query within {TARGET_LATENCY_RATIO}× of the Oxigraph server's median | "
            f"{len(within)} of {len(kg.queries)} within"
            + (f"; over: {', '.join(over)}" if over else "")
            + (f"; both engines past the timeout: {', '.join(unmeasured)}" if unmeasured else "")
            + f" | {met} |"
        )
    if re_ and not re_.failure:
        slower = [
            name
            for name, timing in kg.queries.items()
            if timing.median is not None
            and re_.queries.get(name) is not None
            and re_.queries[name].median is not None
            and timing.median >= re_.queries[name].median  # type: ignore[operator]
        ]
        out.append(
            "| each canned query faster than rdflib-endpoint | "
            + (f"slower or equal on: {', '.join(slower)}" if slower else "faster on every query it answered")
            + f" | {'yes' if not slower else 'no'} |"
        )
    if ox and ox.rps and kg.rps is not None:
        r = kg.rps / ox.rps
        out.append(
            f"| {CLIENTS}-client lookup throughput ≥ {TARGET_CLIENTS_RATIO}× the Oxigraph server's | "
            f"{kg.rps:,.0f} vs {ox.rps:,.0f} requests/s ({r:.2f}×) | "
            f"{'yes' if r >= TARGET_CLIENTS_RATIO else 'no'} |"
        )
    if kg.p99_ms is not None:
        out.append(
            f"| {CLIENTS}-client lookup p99 < {TARGET_P99_MS:g} ms | {kg.p99_ms:.1f} ms | "
            f"{'yes' if kg.p99_ms < TARGET_P99_MS else 'no'} |"
        )
    if ox and ox.varied_rps and kg.varied_rps is not None:
        r = kg.varied_rps / ox.varied_rps
        out.append(
            f"| the same, a different company each request (no cached answer) | "
            f"{kg.varied_rps:,.0f} vs {ox.varied_rps:,.0f} requests/s ({r:.2f}×) | "
            f"{'yes' if r >= TARGET_CLIENTS_RATIO else 'no'} |"
        )
    if kg.varied_p99_ms is not None:
        out.append(
            f"| the same, a different company each request: p99 < {TARGET_P99_MS:g} ms | "
            f"{kg.varied_p99_ms:.1f} ms | {'yes' if kg.varied_p99_ms < TARGET_P99_MS else 'no'} |"
        )
    if kg.paths_spread.median is not None:
        out.append(
            f"| paths company → allegations (4 hops): median < {TARGET_PATHS_MS:g} ms | "
            f"{kg.paths_spread.median:,.0f} ms over {len(kg.paths_spread.runs)} companies "
            f"(busiest company: {fmt_ms(kg.paths.median)} ms) | "
            f"{'yes' if kg.paths_spread.median < TARGET_PATHS_MS else 'no'} |"
        )
    if kg.peak_bytes:
        out.append(
            f"| serving peak memory < 2 GB | {kg.peak_bytes / 2**20:,.0f} MB | "
            f"{'yes' if kg.peak_bytes < TARGET_MEMORY_BYTES else 'no'} |"
        )
    return out


def chart(suite: Suite, keys: list[str], target: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    colours = {"kg": "#1f77b4", "oxigraph": "#ff7f0e", "rdflib-endpoint": "#2ca02c", "rdflib": "#9467bd"}
    present = [k for k in keys if k in suite.engines and not suite.engines[k].failure]
    names = [*sorted({n for k in present for n in suite.engines[k].queries}), "(lookup)", "(paths)"]
    fig, axes = plt.subplots(2, 2, figsize=(16, 13), gridspec_kw={"height_ratios": [3, 1]})
    ax = axes[0][0]
    height = 0.8 / max(1, len(present))
    for i, key in enumerate(present):
        r = suite.engines[key]
        values = []
        for name in names:
            t = r.lookup if name == "(lookup)" else r.paths if name == "(paths)" else r.queries.get(name)
            values.append(t.median if t and t.median is not None else 0)
        ys = [n + i * height for n in range(len(names))]
        ax.barh(ys, values, height=height, label=LABELS[key], color=colours[key])
        for y, t_name in zip(ys, names, strict=True):
            t = (
                r.lookup
                if t_name == "(lookup)"
                else r.paths
                if t_name == "(paths)"
                else r.queries.get(t_name)
            )
            if t and t.failure:
                ax.text(1, y, " " + t.failure.split(":")[0], va="center", fontsize=6, color=colours[key])
    ax.set_yticks([n + 0.4 - height / 2 for n in range(len(names))], names, fontsize=7)
    ax.invert_yaxis()
    ax.set_xscale("log")
    ax.set_xlabel("median latency, ms (log)")
    ax.set_title("Canned queries, lookup and paths")
    ax.legend(fontsize=8)

    ax = axes[0][1]
    labels = {
        "kg-shacl": "kg + SHACL",
        "kg-noshacl": "kg, no SHACL",
        "oxigraph": "oxigraph load",
        "rdflib": "rdflib parse",
    }
    items = [(labels[k], suite.ingest[k].triples_median or 0) for k in labels if k in suite.ingest]
    ax.bar([i[0] for i in items], [i[1] for i in items], color="#777777")
    ax.set_yscale("log")
    ax.set_ylabel("triples/s (log)")
    ax.set_title("Ingest throughput")

    ax = axes[1][0]
    http = [k for k in present if suite.engines[k].rps is not None]
    xs = range(len(http))
    ax.bar(
        [x - 0.2 for x in xs],
        [suite.engines[k].rps or 0 for k in http],
        width=0.4,
        color=[colours[k] for k in http],
        label="the same company",
    )
    ax.bar(
        [x + 0.2 for x in xs],
        [suite.engines[k].varied_rps or 0 for k in http],
        width=0.4,
        color=[colours[k] for k in http],
        hatch="//",
        alpha=0.6,
        label="a different company each request",
    )
    ax.set_xticks(list(xs), [LABELS[k] for k in http])
    ax.set_ylabel("requests/s")
    ax.set_title(f"Lookup, {CLIENTS} clients, {suite.duration_s:g} s")
    ax.legend(fontsize=7)
    for i, k in enumerate(http):
        r = suite.engines[k]
        ax.text(i - 0.2, r.rps or 0, f"p99 {fmt_ms(r.p99_ms)} ms", ha="center", va="bottom", fontsize=7)
        if r.varied_rps is not None:
            ax.text(
                i + 0.2,
                r.varied_rps,
                f"p99 {fmt_ms(r.varied_p99_ms)} ms",
                ha="center",
                va="bottom",
                fontsize=7,
            )

    ax = axes[1][1]
    mem = [(suite.engines[k].peak_bytes or 0) / 2**20 for k in present]
    disk = [(suite.engines[k].disk_bytes or 0) / 2**20 for k in present]
    xs = range(len(present))
    ax.bar([x - 0.2 for x in xs], mem, width=0.4, label="peak memory")
    ax.bar([x + 0.2 for x in xs], disk, width=0.4, label="on disk")
    ax.set_xticks(list(xs), [LABELS[k] for k in present])
    ax.set_ylabel("MB")
    ax.set_title("Memory and disk")
    ax.legend(fontsize=8)
    scale = "sample" if suite.communications == 0 else f"{suite.communications:,} communications"
    fig.suptitle(f"kg benchmark: {scale}, {suite.quads:,} quads")
    fig.tight_layout()
    fig.savefig(target, dpi=100)
    plt.close(fig)


def to_json(suite: Suite) -> dict[str, Any]:
    def timing(t: Timing) -> dict[str, Any]:
        return {
            "median_ms": t.median,
            "p95_ms": t.p95,
            "rows": t.rows,
            "runs_ms": t.runs,
            "failure": t.failure,
        }

    return {
        "communications": suite.communications,
        "quads": suite.quads,
        "repeat": suite.repeat,
        "duration_s": suite.duration_s,
        "timeout_s": suite.timeout_s,
        "company": suite.company,
        "varied_companies": len(suite.companies),
        "started": suite.started,
        "versions": suite.versions,
        "ingest": {
            k: {
                "communications_per_s": r.median,
                "triples_per_s": r.triples_median,
                "runs": r.per_s,
                "items": r.items,
                "failure": r.failure,
            }
            for k, r in suite.ingest.items()
        },
        "engines": {
            k: {
                "queries": {n: timing(t) for n, t in r.queries.items()},
                "lookup": timing(r.lookup),
                "paths": timing(r.paths),
                "paths_spread": timing(r.paths_spread),
                "requests_per_s": r.rps,
                "p99_ms": r.p99_ms,
                "load_errors": r.load_errors,
                "load_failure": r.load_failure,
                "varied_requests_per_s": r.varied_rps,
                "varied_p99_ms": r.varied_p99_ms,
                "varied_errors": r.varied_errors,
                "varied_failure": r.varied_failure,
                "peak_bytes": r.peak_bytes,
                "disk_bytes": r.disk_bytes,
                "started_s": r.started_s,
                "failure": r.failure,
            }
            for k, r in suite.engines.items()
        },
    }


# -- main ---------------------------------------------------------------------------------


def versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("kg", "pyoxigraph", "oxigraph", "rdflib", "rdflib-endpoint", "pyshacl"):
        with contextlib.suppress(PackageNotFoundError):
            out[name] = version(name)
    return out


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="kg beside rdflib, rdflib-endpoint and the Oxigraph server, on the same data and queries."
    )
    parser.add_argument("--communications", type=int, required=True, help="0 for the bundled sample")
    parser.add_argument("--repeat", type=int, default=5, help="timed runs per figure (after a warm-up)")
    parser.add_argument("--out", type=Path, help="folder for results (default: bench-results/<N>)")
    parser.add_argument(
        "--engines", default=",".join(ENGINE_KEYS), help=f"comma-separated subset of {','.join(ENGINE_KEYS)}"
    )
    parser.add_argument("--duration", type=float, default=20.0, help="seconds of the 8-client load")
    parser.add_argument("--timeout", type=float, default=30.0, help="seconds any one query may take")
    parser.add_argument(
        "--ingest-max", type=int, default=1000, help="communications timed through kg's ingest (a slice of N)"
    )
    parser.add_argument("--ingest-repeat", type=int, default=3, help="runs of each ingest figure")
    args = parser.parse_args(argv)
    keys = [k.strip() for k in args.engines.split(",") if k.strip()]
    unknown = sorted(set(keys) - set(ENGINE_KEYS))
    if unknown:
        parser.error(f"unknown engine(s) {', '.join(unknown)}; choose from {', '.join(ENGINE_KEYS)}")
    args.keys = [k for k in ENGINE_KEYS if k in keys]
    if args.communications < 0 or args.repeat < 1 or args.duration <= 0 or args.timeout <= 0:
        parser.error("--communications must be >= 0, --repeat >= 1, --duration and --timeout > 0")
    args.out = args.out or REPO / "bench-results" / str(args.communications)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    logs = out / "logs"
    logs.mkdir(exist_ok=True)

    def log(message: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    # SIGTERM takes the same way out as Ctrl-C: through the finally blocks that stop the servers.
    signal.signal(signal.SIGTERM, lambda *_: (_ for _ in ()).throw(KeyboardInterrupt()))

    data = prepare_data(out, args.communications, log)
    log("choosing the lookup and path source (the busiest company)")
    company, label, quads, companies = pick_company(data.kg_dir)
    global suite_nquads_mb
    suite_nquads_mb = data.nquads.stat().st_size / 2**20
    suite = Suite(
        communications=args.communications,
        quads=quads,
        repeat=args.repeat,
        duration_s=args.duration,
        timeout_s=args.timeout,
        company=company,
        company_label=label,
        companies=[c for c in companies if c != company],  # its answer is cached by the repeated load
        started=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        versions=versions(),
    )
    notes = [
        f"Lookup and path source: {label or company} (<{company}>), the company that receives the most "
        "communications raising allegations.",
        "Paths: kg answers GET /paths?to_type=Allegation&max_hops=4 (its breadth-first walk, first page "
        "of 50 "
        "paths; [n allegations] counts the distinct allegations over every page, and the walk does not go "
        "through an allegation to reach another); the others answer one SPARQL query, allegations reached by "
        "1 to 4 steps over kg's relations in either direction, so their count can be higher.",
        f"kg serves with --query-timeout {args.timeout:g} and --max-results 10000000 (so no answer is "
        "truncated "
        "and counts compare); the Oxigraph server has no timeout of its own and is restarted after a query "
        "times out; rdflib engines run each query in a child forked from the parsed Dataset, killed at "
        "the timeout.",
        f"Lookup under load: the repeated request (the busiest company, every time) is what kg answers from "
        "its answer cache after the first time (kg serves a published snapshot, which never changes; "
        "KG_ANSWER_CACHE_MB); the varied load asks for each of the other "
        f"{len(companies) - 1:,} companies in turn (and adds a comment numbering the round once all were "
        "asked), so no request repeats another and every one reaches kg's query workers. Both loads go "
        "to every server. Every other figure (canned queries, the single lookup, paths) is sent with "
        "Cache-Control: no-cache, so kg evaluates each query rather than answer from its cache.",
        "Peak memory: the sum of PSS over the process tree (kg: server + query workers), sampled every 0.3 s "
        "while queries and load run; rdflib in memory: the largest resident set of a query child.",
    ]
    canned = canned_queries()
    ingest_count = min(args.ingest_max, args.communications or 5)
    ingest_repeat = max(1, min(args.ingest_repeat, args.repeat))
    oxigraph_store = out / "oxigraph-store"
    started_engines: list[eng.Engine] = []
    try:
        if "kg" in args.keys:
            log(f"kg ingest with SHACL: {ingest_count} communications x {ingest_repeat}")
            suite.ingest["kg-shacl"] = time_kg_ingest(data, ingest_count, ingest_repeat, shacl=True)
            suite.ingest["kg-shacl"].note = (
                f"library ingest of {ingest_count:,} records into a fresh on-disk store "
                "(graph, SHACL, store, inferences)"
            )
            log("kg ingest without SHACL")
            suite.ingest["kg-noshacl"] = time_kg_ingest(data, ingest_count, ingest_repeat, shacl=False)
            suite.ingest[
                "kg-noshacl"
            ].note = "the same, with the SHACL gate replaced by one that always conforms"
        if "oxigraph" in args.keys:
            log("oxigraph load")
            suite.ingest["oxigraph"] = time_oxigraph_load(data, quads, ingest_repeat, oxigraph_store)
            suite.ingest[
                "oxigraph"
            ].note = "bulk load of the whole N-Quads file (all graphs) into a fresh store"
        if {"rdflib", "rdflib-endpoint"} & set(args.keys):
            log("rdflib parse")
            suite.ingest["rdflib"] = time_rdflib_parse(data, quads, ingest_repeat)
            suite.ingest[
                "rdflib"
            ].note = "Dataset.parse of the whole N-Quads file (rdflib-endpoint loads the same way)"

        for key in args.keys:
            engine = make_engine(key, data, oxigraph_store, args, logs)
            started_engines.append(engine)
            try:
                suite.engines[key] = run_engine(engine, suite, canned, args, log)
            except (RuntimeError, OSError) as exc:
                log(f"{engine.label} failed: {exc}")
                suite.engines[key] = EngineResult(key, failure=f"failed: {exc}".replace("\n", " ")[:200])
            finally:
                engine.stop()
                started_engines.remove(engine)
            notes += [f"{engine.label}: {n}" for n in dict.fromkeys(engine.notes)]
    except KeyboardInterrupt:
        log("interrupted: stopping the servers")
        return 130
    finally:
        for engine in started_engines:
            engine.stop()

    report = markdown(suite, args.keys, notes)
    (out / "results.md").write_text(report, encoding="utf-8")
    (out / "results.json").write_text(json.dumps(to_json(suite), indent=1), encoding="utf-8")
    chart(suite, args.keys, out / "chart.png")
    print(report)
    log(f"wrote {out / 'results.md'}, {out / 'results.json'} and {out / 'chart.png'}")
    return 0


def canned_queries() -> dict[str, str]:
    from kg.canned import load_canned_queries

    return {name: query.render({}) for name, query in load_canned_queries().items()}


def make_engine(
    key: str, data: Data, oxigraph_store: Path, args: argparse.Namespace, logs: Path
) -> eng.Engine:
    common: dict[str, Any] = {"key": key, "label": LABELS[key], "timeout_s": args.timeout, "log_dir": logs}
    if key == "kg":
        return eng.KgEngine(**common, data_dir=data.kg_dir)
    if key == "oxigraph":
        if not oxigraph_store.exists():
            time_oxigraph_load(data, 0, 1, oxigraph_store)
        return eng.OxigraphServer(**common, location=oxigraph_store)
    if key == "rdflib-endpoint":
        return eng.RdflibEndpoint(**common, data=data.nquads)
    return eng.RdflibMemory(**common, data=data.nquads)


if __name__ == "__main__":
    sys.exit(main())
