"""PDF text extraction with pypdf, refusing encrypted and scanned-only (image) PDFs."""

from __future__ import annotations

import io
import re

from past.errors import DocumentError

# A word hyphenated across a line break by the PDF layout: "know-\nledge" -> "knowledge".
_HYPHEN_BREAK = re.compile(r"(\w)-\n(\w)")


def extract_pdf(data: bytes, name: str) -> str:
    from pypdf import PdfReader
    from pypdf.errors import PdfReadError

    try:
        reader = PdfReader(io.BytesIO(data))
        if reader.is_encrypted:
            # An owner-password-only PDF opens with the empty user password; anything else is locked.
            try:
                unlocked = reader.decrypt("")
            except Exception as exc:  # pypdf raises several types for unsupported crypto
                raise DocumentError(name, f"is an encrypted PDF that cannot be opened ({exc})") from exc
            if not unlocked:
                raise DocumentError(name, "is an encrypted (password-protected) PDF: remove the password and retry")
        pages = [page.extract_text() or "" for page in reader.pages]
    except DocumentError:
        raise
    except (PdfReadError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(name, f"is a damaged or unreadable PDF ({exc})") from exc
    if not pages:
        raise DocumentError(name, "is a PDF with no pages")
    text = _HYPHEN_BREAK.sub(r"\1\2", "\n\n".join(p.strip() for p in pages))
    if not text.strip():
        raise DocumentError(
            name, f"is a PDF with no extractable text ({len(pages)} page(s), probably scanned images): run OCR first"
        )
    return text
