"""Reading a letter file into text: UTF-8 text (with a cp1252/latin-1 fall-back) or a PDF's text layer.

Evidence offsets count characters of the text returned here, so this is the one place
that decides how a file becomes text: line endings are normalised to "\\n", a byte-order
mark is dropped, and PDF pages are joined by a blank line (a page break reads like one).
Anything that is not a readable letter is refused with an InputError naming the file
and what to do.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from kg.errors import InputError

PDF_MEDIA_TYPE = "application/pdf"
TEXT_MEDIA_TYPE = "text/plain"
_PDF_MAGIC = b"%PDF-"
# Bytes that text files do not contain: NUL and the C0 controls other than tab, LF, FF, CR and ESC.
_CONTROL = bytes(b for b in range(32) if b not in (9, 10, 12, 13, 27))


@dataclass(frozen=True)
class TextDocument:
    """A file's text and what is needed to identify the file it came from."""

    text: str
    data: bytes
    media_type: str


def read_document(path: Path) -> TextDocument:
    """Read ``path`` (.txt or .pdf, recognised by content, not by name)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"{path}: cannot be read ({exc.strerror or exc}); check the path and its permissions"
        ) from exc
    return document_from_bytes(data, name=str(path))


def read_text(path: Path) -> str:
    return read_document(path).text


def document_from_bytes(data: bytes, *, name: str = "<input>") -> TextDocument:
    """Decode uploaded or read bytes; ``name`` is only used in error messages."""
    if not data.strip():
        raise InputError(f"{name} is empty: there is no letter to read")
    if data.lstrip()[:5] == _PDF_MAGIC:
        return TextDocument(text=_pdf_text(data, name), data=data, media_type=PDF_MEDIA_TYPE)
    text = _decode(data, name)
    if not text.strip():
        raise InputError(f"{name} is empty: it holds only white space")
    return TextDocument(text=text, data=data, media_type=TEXT_MEDIA_TYPE)


def _decode(data: bytes, name: str) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return _normalise(data.decode("utf-16"))
        except UnicodeDecodeError as exc:
            raise InputError(
                f"{name}: starts like UTF-16 text but is not valid UTF-16 (byte {exc.start})"
            ) from exc
    sample = data[:8192]
    controls = sum(sample.count(bytes([b])) for b in _CONTROL)
    if b"\x00" in sample or controls > len(sample) // 100 + 2:
        raise InputError(
            f"{name} is a binary file, not text or PDF: kg reads letters as UTF-8 text (.txt) "
            "or as PDF with a text layer"
        )
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return _normalise(data.decode(encoding))
        except UnicodeDecodeError:
            continue
    return _normalise(data.decode("latin-1"))


def _normalise(text: str) -> str:
    return text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")


def _pdf_text(data: bytes, name: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted and not reader.decrypt(""):
            raise InputError(
                f"{name}: the PDF is encrypted with a password; save an unprotected copy and try again"
            )
        pages = [page.extract_text() or "" for page in reader.pages]
    except InputError:
        raise
    # A damaged file can fail deep inside the parser with any of these; none is kg's own bug.
    except (PyPdfError, ValueError, KeyError, TypeError, IndexError, AttributeError, OSError) as exc:
        raise InputError(
            f"{name}: not a readable PDF ({exc}); re-export the letter as PDF or as text"
        ) from exc
    # The last line ends with a line break, as in a text file: a text that stops on a letter
    # reads as cut mid-word (see kg.extract.layout.cut_short), and a PDF's text is not cut.
    text = _normalise("\n\n".join(page.strip("\n") for page in pages)) + "\n"
    if not text.strip():
        raise InputError(
            f"{name}: the PDF has no text layer ({len(pages)} page(s) of images?); run OCR on it "
            "(for example `ocrmypdf in.pdf out.pdf`) or pass the letter as text"
        )
    return text
