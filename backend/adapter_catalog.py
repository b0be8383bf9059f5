"""LoRA adapters the studio can offer for a chat side: directories with an ``adapter_config.json``.

Looks in ``<data>/adapters/`` and the skills library (``<data>/skills/``), a few levels deep. The skills
library will register its injected adapters there; any other adapter directory can be typed in by path.
"""

from __future__ import annotations

from pathlib import Path

from past.settings import Settings

MAX_DEPTH = 3


def find_adapters(settings: Settings) -> list[Path]:
    """Adapter directories under the data directory, sorted by path."""
    found: list[Path] = []
    for root in (settings.adapters_dir, settings.skills_dir):
        if not root.is_dir():
            continue
        for depth in range(1, MAX_DEPTH + 1):
            pattern = "/".join(["*"] * depth) + "/adapter_config.json"
            found.extend(p.parent for p in root.glob(pattern))
    return sorted(set(found))
