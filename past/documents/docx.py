"""DOCX text extraction with python-docx: paragraphs and table cells in document order.

A DOCX file is a ZIP archive; its unpacked size is checked from the archive's directory before anything is
inflated, so a small file that would unpack to hundreds of megabytes (a zip bomb) is refused at once.
Python's ``zipfile`` never inflates a member past the size its directory declares, so the check holds.
"""

from __future__ import annotations

import io
import zipfile

from past.errors import DocumentError

MAX_UNPACKED_BYTES = 100 * 1024 * 1024  # far above the text and images of any real document


def check_unpacked_size(data: bytes, name: str, limit: int = MAX_UNPACKED_BYTES) -> int:
    """The total unpacked size of the archive's members; :class:`DocumentError` above ``limit``."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            total = sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, ValueError) as exc:
        raise DocumentError(name, f"is a damaged or unreadable DOCX file ({exc})") from exc
    if total > limit:
        raise DocumentError(
            name,
            f"would unpack to {total / 2**20:,.0f} MB from {len(data) / 2**20:,.1f} MB, more than the "
            f"{limit / 2**20:,.0f} MB a DOCX document may hold; it was not opened",
        )
    return total


def extract_docx(data: bytes, name: str) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

    check_unpacked_size(data, name)
    try:
        document = docx.Document(io.BytesIO(data))
    except (PackageNotFoundError, KeyError, ValueError, OSError) as exc:
        raise DocumentError(name, f"is a damaged or unreadable DOCX file ({exc})") from exc
    except Exception as exc:  # lxml raises its own XMLSyntaxError for corrupt parts
        raise DocumentError(name, f"is a damaged or unreadable DOCX file ({type(exc).__name__})") from exc
    blocks: list[str] = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            cells = [cell.text.strip() for cell in row.cells]
            blocks.append(" | ".join(c for c in cells if c))
    return "\n\n".join(b for b in blocks if b.strip())
