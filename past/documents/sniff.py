"""Content sniffing: decide a file's format from its bytes (magic numbers), not from its name alone.

The extension only chooses between text flavours (Markdown, HTML, plain text) once the bytes are known
to be text; a binary file renamed ``.txt`` is refused.
"""

from __future__ import annotations

import io
import zipfile
from dataclasses import dataclass

from past.errors import DocumentError

# Magic numbers of common binary formats we refuse, with a name for the error message.
_BINARY_MAGIC: list[tuple[bytes, str]] = [
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"RIFF", "a RIFF media file"),
    (b"\x7fELF", "an executable (ELF)"),
    (b"MZ", "a Windows executable"),
    (b"\x1f\x8b", "a gzip archive"),
    (b"BZh", "a bzip2 archive"),
    (b"7z\xbc\xaf\x27\x1c", "a 7-zip archive"),
    (b"Rar!", "a RAR archive"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "a legacy Office file (.doc/.xls): save it as .docx or PDF"),
    (b"\x00\x00\x01\x00", "an icon file"),
    (b"ID3", "an MP3 audio file"),
    (b"OggS", "an Ogg media file"),
    (b"SQLite format 3", "an SQLite database"),
    (b"\x80\x04\x95", "a Python pickle"),
]

TEXT_FORMATS = ("text", "markdown", "html")
FORMATS = ("pdf", "docx", *TEXT_FORMATS)


@dataclass(frozen=True)
class DecodedText:
    """Text decoded from bytes, with the encoding it was read in and a warning when that was a guess."""

    text: str
    encoding: str
    warning: str = ""


def read_text(data: bytes, name: str) -> DecodedText:
    """Decode bytes that must be text: UTF-8/UTF-16 with BOM, else UTF-8, else Latin-1 with a warning."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return DecodedText(data.decode("utf-16"), "utf-16")
        except UnicodeDecodeError as exc:
            raise DocumentError(name, "looks like UTF-16 text but cannot be decoded") from exc
    if b"\x00" in data[:8192]:
        raise DocumentError(name, "is a binary file, not text (it contains NUL bytes)")
    warning = ""
    try:
        text, encoding = data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        text, encoding = data.decode("latin-1"), "latin-1"
        warning = (
            f"is not valid UTF-8 (byte {exc.start} is {data[exc.start : exc.start + 1]!r}); it was read as "
            "Latin-1, so accented letters may be wrong: save it as UTF-8 if they are"
        )
    sample = text[:8192]
    if sample:
        control = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\n\r\t\f") + sample.count("\ufffd")
        if control / len(sample) > 0.02:
            raise DocumentError(name, "is a binary file, not text (too many control characters)")
    return DecodedText(text, encoding, warning)


def decode_text(data: bytes, name: str) -> str:
    """The text of :func:`read_text` (for callers that do not report the encoding)."""
    return read_text(data, name).text


def _zip_kind(data: bytes) -> str | None:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = set(archive.namelist())
    except zipfile.BadZipFile:
        return None
    return "docx" if "word/document.xml" in names else "zip"


def _looks_like_html(head: str) -> bool:
    lowered = head.lstrip().lower()[:2048]
    return lowered.startswith(("<!doctype html", "<html")) or ("<html" in lowered and "</" in lowered)


def sniff_format(data: bytes, name: str) -> str:
    """Return one of :data:`FORMATS` for these bytes, or raise :class:`DocumentError` if refused."""
    if not data.strip():
        raise DocumentError(name, "is empty")
    if data.startswith(b"%PDF-") or data[:1024].lstrip().startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"PK\x03\x04"):
        kind = _zip_kind(data)
        if kind == "docx":
            return "docx"
        raise DocumentError(name, "is a ZIP archive, not a document (only .docx ZIP files are accepted)")
    for magic, what in _BINARY_MAGIC:
        if data.startswith(magic):
            raise DocumentError(name, f"is {what}, not a document")
    head = decode_text(data[:65536], name)
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    if suffix in ("html", "htm", "xhtml") or _looks_like_html(head):
        return "html"
    if suffix in ("md", "markdown", "mdown", "mkd"):
        return "markdown"
    return "text"
