"""kg's own exceptions: the library raises these, the CLI and the server turn them into messages."""

from __future__ import annotations


class KgError(Exception):
    """Base of every error kg raises on purpose; its message is written for the person at the keyboard."""


class InputError(KgError):
    """The input is not something kg can read: empty, binary, not a letter, unreadable PDF."""


class RecordError(KgError):
    """A communication record (JSON) does not follow the documented schema."""


class ValidationFailed(KgError):
    """A document's graph broke a SHACL shape of severity Violation; it was not stored."""

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report


class StoreError(KgError):
    """The store could not be opened, read or written."""


class QueryError(KgError):
    """A SPARQL query could not be parsed or run."""


class DocumentConflict(KgError):
    """A different document with the same reference is already in the store."""


class NotFound(KgError):
    """The thing asked for (a reference, a graph) is not in the store."""
