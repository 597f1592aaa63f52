"""Settings: where the store lives and which base IRI new documents get.

Only the entry points read the environment (``Settings.from_env``); library code takes a
``Settings`` so tests can run many configurations side by side.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

ONTOLOGY_NS = "https://w3id.org/kg-spcomm/ontology#"
ONTOLOGY_IRI = "https://w3id.org/kg-spcomm/ontology"
VOCAB_NS = "https://w3id.org/kg-spcomm/vocab/"
GRAPH_NS = "https://w3id.org/kg-spcomm/graph/"
DEFAULT_BASE_IRI = "https://w3id.org/kg-spcomm/data/"
DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "kg"


@dataclass(frozen=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    base_iri: str = DEFAULT_BASE_IRI

    @property
    def store_dir(self) -> Path:
        """The working store: every document, embargoed ones included; only kg's writers open it."""
        return self.data_dir / "store"

    @property
    def snapshots_dir(self) -> Path:
        """Read-only copies the server answers from: a full one, and a public one without embargoes."""
        return self.data_dir / "snapshots"

    @classmethod
    def from_env(cls, *, data_dir: Path | None = None, base_iri: str | None = None) -> Settings:
        """Flags win over KG_DATA_DIR / KG_BASE_IRI, which win over the defaults."""
        env_dir = os.environ.get("KG_DATA_DIR")
        env_base = os.environ.get("KG_BASE_IRI")
        return cls(
            data_dir=Path(data_dir or env_dir or DEFAULT_DATA_DIR).expanduser(),
            base_iri=normalise_base_iri(base_iri or env_base or DEFAULT_BASE_IRI),
        )


def normalise_base_iri(base: str) -> str:
    if not base.startswith(("http://", "https://")):
        raise ValueError(
            f"base IRI must start with http:// or https://, got {base!r} (set --base-iri or KG_BASE_IRI)"
        )
    return base if base.endswith(("/", "#")) else base + "/"
