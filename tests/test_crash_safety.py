"""SIGKILL in the middle of `kg ingest`, again and again: the store opens and holds only whole documents.

The batch exists in two versions (each letter names its company differently), and runs
alternate between them with --replace on one data folder, so every run rewrites every
document and later kills hit a store that already mixes the versions earlier kills left.
One uninterrupted run measures how long a batch takes; kills land at seeded random moments
spread over that time. After each kill the store is opened and every graph in it is compared
with what a clean ingest of one version or the other produces: a document graph, its
inferred graph and its embargo entry are written in one transaction, so each document is
one whole version, with the inferences of that same version, never a mix.

New letters take another path (a bulk write of the whole batch, guarded by a journal): a
second test kills ingest while that journal is on disk and checks the next open undoes it.
"""

from __future__ import annotations

import contextlib
import os
import random
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pyoxigraph as ox
import pytest

from kg import iris, resources
from kg.config import ONTOLOGY_NS, Settings
from kg.inference import inferred_graph_iri
from kg.ingest import ensure_static_graphs, ingest_record
from kg.publish import EMBARGO_GRAPH, parse_embargo
from kg.record import CommunicationRecord
from kg.store import JOURNAL_NAME, EmbeddedStore
from support import synthetic_record

RECORDS = 16
KILLS = 8
SEED = 5
VERSIONS = ("Ltd", "Holdings")  # the company's legal form: another company node, label and inferences
EMBARGO = "2099-01-01"
INGESTED_AT = ONTOLOGY_NS + "ingestedAt"
GENERATED_AT = "http://www.w3.org/ns/prov#generatedAtTime"  # inferred from kg:ingestedAt
STAMPS = frozenset({INGESTED_AT, GENERATED_AT})  # the time of the ingest: differs between runs


def records(version: int) -> list[CommunicationRecord]:
    return [
        synthetic_record(f"AL OTH {900 + i}/2024", company=f"Acme Mining {i} {VERSIONS[version]}")
        for i in range(RECORDS)
    ]


def graph_quads(store: ox.Store, graph: str, *, skip: frozenset[str] = frozenset()) -> frozenset[str]:
    """The graph's quads as text; blank nodes stand in as [] (their labels differ between stores)."""
    return frozenset(
        " ".join("[]" if isinstance(t, ox.BlankNode) else str(t) for t in (q.subject, q.predicate, q.object))
        for q in store.quads_for_pattern(None, None, None, ox.NamedNode(graph))
        if str(q.predicate.value) not in skip
    )


class Expected:
    """The graphs a clean, uninterrupted ingest of each version gives, built in memory."""

    def __init__(self, settings: Settings) -> None:
        until = parse_embargo(EMBARGO)
        self.versions: list[dict[str, frozenset[str]]] = []
        for version in range(len(VERSIONS)):
            store = EmbeddedStore(None)
            ensure_static_graphs(store)
            for record in records(version):
                result = ingest_record(record, store, settings, source="test", embargo_until=until)
                assert result.status == "added", (result.reference, result.error, result.report)
            raw = store._store
            self.versions.append(
                {str(g.value): graph_quads(raw, str(g.value), skip=STAMPS) for g in raw.named_graphs()}
            )
        self.documents = [iris.document_graph_iri(settings.base_iri, r.reference or "") for r in records(0)]
        derived = {inferred_graph_iri(g) for g in self.documents}
        self.static = set(self.versions[0]) - set(self.documents) - derived - {EMBARGO_GRAPH}
        assert len(self.static) == 1 + len(resources.vocabulary_files())
        assert all(self.versions[0][g] != self.versions[1][g] for g in self.documents)

    def check(self, store_dir: Path) -> list[int]:
        """Open the store as kg does and compare every graph; returns the documents held per version."""
        store = EmbeddedStore(store_dir)
        raw = store._store
        try:
            assert not list(raw.quads_for_pattern(None, None, None, ox.DefaultGraph())), (
                "default graph written"
            )
            names = {str(g.value) for g in raw.named_graphs()}
            present = names & set(self.documents)
            allowed = self.static | present | {inferred_graph_iri(g) for g in present} | {EMBARGO_GRAPH}
            assert names <= allowed, f"graphs that no whole document explains: {sorted(names - allowed)}"
            for name in self.static & names:
                assert graph_quads(raw, name, skip=STAMPS) == self.versions[0][name], f"<{name}> is partial"
            counts = [0] * len(VERSIONS)
            for graph in present:
                stored = graph_quads(raw, graph, skip=STAMPS)
                matches = [v for v, graphs in enumerate(self.versions) if graphs[graph] == stored]
                assert matches, f"<{graph}> is neither version of its letter: a partial or mixed write"
                version = matches[0]
                counts[version] += 1
                inferred = inferred_graph_iri(graph)
                assert inferred in names, f"<{graph}> stored without its inferred graph"
                assert graph_quads(raw, inferred, skip=STAMPS) == self.versions[version][inferred], (
                    f"<{inferred}> was not derived from the stored version of <{graph}>"
                )
                stamp = store.graph_value(graph, INGESTED_AT)
                derived = {
                    str(q.object.value)
                    for q in raw.quads_for_pattern(
                        ox.NamedNode(graph), ox.NamedNode(GENERATED_AT), None, ox.NamedNode(inferred)
                    )
                }
                assert stamp is not None and derived == {stamp}, f"<{inferred}> is from another ingest"
            embargo = graph_quads(raw, EMBARGO_GRAPH)
            expected = {q for q in self.versions[0][EMBARGO_GRAPH] if q.split(" ", 1)[0][1:-1] in present}
            assert embargo == expected, "embargo register out of step with the documents"
            return counts
        finally:
            del raw, store


def journal_bytes(store_dir: Path) -> int:
    """Size of the store's write-ahead log files (RocksDB's numbered *.log): grows with each commit."""
    total = 0
    for path in store_dir.glob("[0-9]*.log"):
        with contextlib.suppress(FileNotFoundError):  # a log can be retired while we look
            total += path.stat().st_size
    return total


@dataclass
class Run:
    killed: bool
    seconds: float
    first_write: float | None  # seconds from start to the first document committed, if seen
    last_write: float | None  # ... and to the last growth of the journal (the last document)


def run(
    folder: Path,
    data_dir: Path,
    *,
    kill_at: float | None = None,
    after_first_write: bool = False,
    expect: int = 0,
) -> Run:
    """`kg ingest --replace` of a folder, optionally SIGKILLed ``kill_at`` seconds after its start
    (or after its first document commit, with ``after_first_write``)."""
    command = [
        sys.executable, "-m", "kg.cli", "ingest", str(folder), "--replace",
        "--data-dir", str(data_dir), "--embargo-until", EMBARGO,
    ]  # fmt: skip
    store_dir = Settings(data_dir=data_dir).store_dir
    baseline = journal_bytes(store_dir)
    errors = data_dir.parent / "ingest-stderr.txt"
    first_write: float | None = None
    last_write: float | None = None
    previous = baseline
    started = time.monotonic()
    with (
        errors.open("wb") as sink,
        subprocess.Popen(
            command, stdout=subprocess.DEVNULL, stderr=sink, env={**os.environ, "COLUMNS": "200"}
        ) as child,
    ):
        while child.poll() is None:
            elapsed = time.monotonic() - started
            assert elapsed < 120, "kg ingest hangs"
            size = journal_bytes(store_dir)
            if first_write is None:
                # Opening the store may retire old logs: count growth from the smallest size seen.
                baseline = min(baseline, size)
                if size > baseline + 4096:
                    first_write = elapsed
            if first_write is not None and size > previous:
                last_write = elapsed
            previous = size
            if kill_at is not None:
                origin = first_write if after_first_write else 0.0
                if origin is not None and elapsed >= origin + kill_at:
                    child.send_signal(signal.SIGKILL)
                    child.wait(timeout=30)
                    assert child.returncode == -signal.SIGKILL
                    return Run(True, elapsed, first_write, last_write)
            time.sleep(0.005)
    seconds = time.monotonic() - started
    assert child.returncode == expect, errors.read_text(encoding="utf-8", errors="replace")[-2000:]
    return Run(False, seconds, first_write, last_write)


@pytest.fixture
def folders(tmp_path: Path) -> list[Path]:
    """One folder of JSON records per version."""
    made = []
    for version in range(len(VERSIONS)):
        folder = tmp_path / f"records-{version}"
        folder.mkdir()
        for i, record in enumerate(records(version)):
            (folder / f"record-{i:03d}.json").write_text(record.model_dump_json(), encoding="utf-8")
        made.append(folder)
    return made


def test_killed_ingests_leave_only_whole_documents(tmp_path, folders):
    settings = Settings(data_dir=tmp_path / "data")
    expected = Expected(settings)

    # Two uninterrupted runs: the first fills the store with version 0 (and the static graphs),
    # the second replaces every document and times a run like the killed ones: start-up until
    # its first document commit, then the documents and publication.
    run(folders[0], settings.data_dir)
    assert expected.check(settings.store_dir) == [RECORDS, 0]
    timing = run(folders[1], settings.data_dir)
    assert expected.check(settings.store_dir) == [0, RECORDS]
    assert timing.first_write is not None and timing.last_write is not None, "no commit seen in the journal"
    before, documents = timing.first_write, timing.last_write - timing.first_write

    rng = random.Random(SEED)
    # Seeded moments: two during start-up, the rest one in each slice of the document stretch,
    # from the run's first commit to its last (counted from the first commit, so a slow start
    # does not push them past the end).
    plan = [(False, rng.random()) for _ in range(2)]
    late = KILLS - len(plan)
    plan += [(True, (i + rng.random()) / late) for i in range(late)]
    rng.shuffle(plan)
    kills, attempts, seen = 0, 0, []
    while plan and attempts < 2 * KILLS:
        version = attempts % len(VERSIONS)  # the store holds version 1: start with the other
        attempts += 1
        after_write, fraction = plan.pop()
        span = documents if after_write else before
        result = run(
            folders[version], settings.data_dir, kill_at=fraction * span, after_first_write=after_write
        )
        if result.killed:
            kills += 1
        else:
            # The machine got faster: rescale to this run and try the same fraction again.
            if result.first_write is not None and result.last_write is not None:
                before, documents = result.first_write, result.last_write - result.first_write
            plan.append((after_write, fraction))
        seen.append(expected.check(settings.store_dir))
    assert kills >= KILLS, f"only {kills} of {attempts} runs were still going when killed"
    # Kills must have caught batches half done, or the checks above proved little.
    assert sum(0 < counts[0] < RECORDS for counts in seen) >= 2, f"few kills mid-batch: versions held {seen}"

    run(folders[1], settings.data_dir)
    assert expected.check(settings.store_dir) == [0, RECORDS]
    print(
        f"{kills} kills in {attempts} runs of {timing.seconds:.1f} s ({before:.1f} s start-up); held {seen}"
    )


def test_kill_during_a_bulk_write_of_new_letters_is_undone_on_next_open(tmp_path, folders, capfd):
    """New letters are written in bulk, with a journal on disk while the write runs. Killed then,
    the next writer to open the store removes the batch it names: the store holds whole
    documents only (here: none of the batch), and ingesting again lands them all."""
    settings = Settings(data_dir=tmp_path / "data")
    expected = Expected(settings)
    journal = settings.store_dir / JOURNAL_NAME
    command = [
        sys.executable, "-m", "kg.cli", "ingest", str(folders[0]),
        "--data-dir", str(settings.data_dir), "--embargo-until", EMBARGO,
    ]  # fmt: skip
    caught, attempts = 0, 0
    while caught < 2 and attempts < 6:
        attempts += 1
        shutil.rmtree(settings.data_dir, ignore_errors=True)
        with subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) as child:
            started = time.monotonic()
            while child.poll() is None and not journal.exists():
                assert time.monotonic() - started < 120, "kg ingest hangs"
                time.sleep(0.0005)
            if child.poll() is not None:
                continue  # the write was over before the journal was seen: try again
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=30)
        caught += 1
        capfd.readouterr()
        counts = expected.check(settings.store_dir)  # opens the store as a writer: recovery runs
        assert not journal.exists(), "the journal outlived its recovery"
        assert counts == [0, 0], f"the killed bulk batch was not undone: {counts}"
        assert "interrupted" in capfd.readouterr().err
        run(folders[0], settings.data_dir)
        assert expected.check(settings.store_dir) == [RECORDS, 0]
    assert caught >= 1, f"no run was caught during its bulk write in {attempts} attempts"
