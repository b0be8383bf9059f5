"""DOCX text extraction with python-docx: paragraphs and table cells in document order."""

from __future__ import annotations

import io

from past.errors import DocumentError


def extract_docx(data: bytes, name: str) -> str:
    import docx
    from docx.opc.exceptions import PackageNotFoundError

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
