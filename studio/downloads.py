"""Where the studio writes files for the browser to download (exports, analysis reports).

They live under the data directory's ``artifacts/exports/``, the one folder the launcher allows
Gradio to serve besides its own upload cache.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from past.settings import Settings
from studio.ab_votes import EXPORT_SUBDIR


def download_dir(settings: Settings, prefix: str) -> Path:
    """A fresh folder for one download, inside the served exports folder."""
    root = settings.artifacts_dir / EXPORT_SUBDIR
    root.mkdir(parents=True, exist_ok=True)
    return Path(tempfile.mkdtemp(prefix=prefix, dir=root))
