"""Where the data files kg reads (ontology, vocabularies, shapes, queries, schema) live.

In a source checkout they are the top-level folders; in an installed wheel they are
packed under ``kg/_data``. Code asks here instead of guessing paths.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent
_CHECKOUT = _PACKAGE.parent.parent


def data_dir(name: str) -> Path:
    """The folder ``name`` (ontology, shapes, queries, schema), from the checkout or the wheel."""
    for candidate in (_CHECKOUT / name, _PACKAGE / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(
        f"kg's {name}/ folder is missing from this installation ({_PACKAGE}); reinstall kg"
    )


def ontology_file() -> Path:
    return data_dir("ontology") / "kg.ttl"


def vocabulary_files() -> list[Path]:
    return sorted((data_dir("ontology") / "vocab").glob("*.ttl"))


def shape_files() -> list[Path]:
    return sorted(data_dir("shapes").glob("*.ttl"))


def query_files() -> list[Path]:
    return sorted(data_dir("queries").glob("*.rq"))


def sample_dir() -> Path:
    return _PACKAGE / "sample"
