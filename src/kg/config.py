"""Settings: where the store lives and which base IRI new documents get.

Only the entry points read the environment (``Settings.from_env``); library code takes a
``Settings`` so tests can run many configurations side by side.

The store is the embedded one in the data folder unless an external SPARQL 1.1 store is
configured: by KG_STORE_* variables, else by ``<data_dir>/store.json`` (written by
``kg connect``). That file never holds the password, which only KG_STORE_PASSWORD gives:
a data folder is copied and backed up far more casually than a secret should be.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

ONTOLOGY_NS = "https://w3id.org/kg-spcomm/ontology#"
ONTOLOGY_IRI = "https://w3id.org/kg-spcomm/ontology"
VOCAB_NS = "https://w3id.org/kg-spcomm/vocab/"
GRAPH_NS = "https://w3id.org/kg-spcomm/graph/"
DEFAULT_BASE_IRI = "https://w3id.org/kg-spcomm/data/"
DEFAULT_DATA_DIR = Path.home() / ".local" / "share" / "kg"


STORE_CONFIG = "store.json"
AUTH_KINDS = ("basic", "digest")


@dataclass(frozen=True)
class RemoteConfig:
    """Where an external SPARQL 1.1 store answers, and how kg signs in to it.

    ``update_url`` defaults to ``query_url`` (one endpoint for both, as Virtuoso and GraphDB
    have); ``gsp_url`` is the Graph Store Protocol endpoint, used for bulk reads when given.
    """

    query_url: str
    update_url: str = ""
    gsp_url: str | None = None
    user: str | None = None
    password: str | None = field(default=None, repr=False)
    timeout_s: float = 60.0
    auth_kind: str = "basic"

    def __post_init__(self) -> None:
        if not self.update_url:
            object.__setattr__(self, "update_url", self.query_url)
        for name in ("query_url", "update_url", "gsp_url"):
            url = getattr(self, name)
            if url is not None and not url.startswith(("http://", "https://")):
                raise ValueError(
                    f"the store's {name.replace('_', ' ')} must start with http:// or https://, got {url!r}"
                )
        if self.auth_kind not in AUTH_KINDS:
            raise ValueError(
                f"store authentication must be basic or digest, got {self.auth_kind!r} (KG_STORE_AUTH)"
            )
        if self.timeout_s <= 0:
            raise ValueError(f"the store's time limit must be more than 0 s, got {self.timeout_s:g}")

    def auth(self) -> httpx.Auth | None:
        """Basic authentication, or digest (Virtuoso's /sparql-auth); None without a user name."""
        if not self.user:
            return None
        import httpx

        if self.auth_kind == "digest":
            return httpx.DigestAuth(self.user, self.password or "")
        return httpx.BasicAuth(self.user, self.password or "")

    def to_json(self) -> dict[str, Any]:
        """What store.json keeps: everything but the password."""
        return {
            "query_url": self.query_url,
            "update_url": self.update_url,
            "gsp_url": self.gsp_url,
            "user": self.user,
            "auth": self.auth_kind,
            "timeout_s": self.timeout_s,
        }


def data_dir_from_env(data_dir: Path | None = None) -> Path:
    """The --data-dir flag, else KG_DATA_DIR, else the default folder."""
    return Path(data_dir or os.environ.get("KG_DATA_DIR") or DEFAULT_DATA_DIR).expanduser()


def remote_from_env(data_dir: Path) -> RemoteConfig | None:
    """KG_STORE_* variables win over ``data_dir/store.json``; None means the embedded store.

    The password only ever comes from KG_STORE_PASSWORD; KG_STORE_USER / KG_STORE_AUTH may
    override what store.json says, so one data folder can be used with other credentials.
    """
    env = os.environ
    password = env.get("KG_STORE_PASSWORD") or None
    if env.get("KG_STORE_QUERY_URL"):
        timeout = env.get("KG_STORE_TIMEOUT")
        try:
            seconds = float(timeout) if timeout else 60.0
        except ValueError as exc:
            raise ValueError(f"KG_STORE_TIMEOUT must be a number of seconds, got {timeout!r}") from exc
        return RemoteConfig(
            query_url=env["KG_STORE_QUERY_URL"],
            update_url=env.get("KG_STORE_UPDATE_URL") or "",
            gsp_url=env.get("KG_STORE_GSP_URL") or None,
            user=env.get("KG_STORE_USER") or None,
            password=password,
            auth_kind=env.get("KG_STORE_AUTH") or "basic",
            timeout_s=seconds,
        )
    path = data_dir / STORE_CONFIG
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise ValueError(
            f"{path} cannot be read ({exc}); run kg connect again, or kg connect --embedded to use the "
            "embedded store"
        ) from exc
    if not isinstance(payload, dict) or not isinstance(payload.get("query_url"), str):
        raise ValueError(f"{path} does not name a query_url; run kg connect again")
    return RemoteConfig(
        query_url=payload["query_url"],
        update_url=payload.get("update_url") or "",
        gsp_url=payload.get("gsp_url") or None,
        user=env.get("KG_STORE_USER") or payload.get("user") or None,
        password=password,
        auth_kind=env.get("KG_STORE_AUTH") or payload.get("auth") or "basic",
        timeout_s=float(payload.get("timeout_s") or 60.0),
    )


def write_store_config(data_dir: Path, config: RemoteConfig) -> Path:
    """Write ``data_dir/store.json`` readable by its owner only, atomically; never the password."""
    data_dir.mkdir(parents=True, exist_ok=True)
    target = data_dir / STORE_CONFIG
    temporary = data_dir / f".{STORE_CONFIG}.{os.getpid()}"
    temporary.unlink(missing_ok=True)
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(json.dumps(config.to_json(), indent=2) + "\n")
    os.replace(temporary, target)
    return target


@dataclass(frozen=True)
class Settings:
    data_dir: Path = DEFAULT_DATA_DIR
    base_iri: str = DEFAULT_BASE_IRI
    remote: RemoteConfig | None = None
    """An external SPARQL store to use instead of the embedded one (None: the embedded store)."""

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
        """Flags win over KG_DATA_DIR / KG_BASE_IRI, which win over the defaults.

        The external store comes from KG_STORE_* or the data folder's store.json (kg connect).
        """
        env_base = os.environ.get("KG_BASE_IRI")
        folder = data_dir_from_env(data_dir)
        return cls(
            data_dir=folder,
            base_iri=normalise_base_iri(base_iri or env_base or DEFAULT_BASE_IRI),
            remote=remote_from_env(folder),
        )


def normalise_base_iri(base: str) -> str:
    if not base.startswith(("http://", "https://")):
        raise ValueError(
            f"base IRI must start with http:// or https://, got {base!r} (set --base-iri or KG_BASE_IRI)"
        )
    return base if base.endswith(("/", "#")) else base + "/"
