"""Portable benchmark records: no machine paths in what is written under ``bench/results``.

Every JSON record a benchmark writes goes through :func:`write_record`, which replaces absolute paths by
symbolic ones: a path inside the repository becomes relative to it (``assets/recipes/x.json``), a path
inside the output folder becomes ``$OUT/...``, and other known places become ``$RUNS``, ``$DATA`` or
``$TMP`` (scratch that does not outlive the run). ``python bench/records.py FILE...`` scrubs records
written before this rule.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent

# Places of the machines the committed records were written on (scrubbed by ``main``).
KNOWN_ROOTS: list[tuple[str, str]] = [
    (r"/tmp/past-storage-[a-z0-9_]+", "$TMP"),
    (r"/work/main", "."),
    (r"/work/runs", "$RUNS"),
    (r"/work/shared/data", "$DATA"),
    (r"/tmp/pd", "$DATA"),
]


def _rules(out: Path | None, roots: dict[str, Path] | None) -> list[tuple[re.Pattern[str], str]]:
    places: list[tuple[str, str]] = [(re.escape(str(Path(p).resolve())), name) for name, p in (roots or {}).items()]
    if out is not None:
        places.append((re.escape(str(Path(out).resolve())), "$OUT"))
    places.append((re.escape(str(ROOT)), "."))
    places.extend(KNOWN_ROOTS)
    places.append((re.escape(str(Path(tempfile.gettempdir()).resolve())), "$TMP"))
    return [(re.compile(f"^{pattern}(?=/|$)"), name) for pattern, name in places]


def portable(value: Any, out: Path | None = None, roots: dict[str, Path] | None = None) -> Any:
    """``value`` with every string that is an absolute path under a known place made symbolic or relative."""
    rules = _rules(out, roots)

    def scrub(item: Any) -> Any:
        if isinstance(item, str) and item.startswith("/"):
            for pattern, name in rules:
                if pattern.match(item):
                    rest = pattern.sub("", item, count=1).lstrip("/")
                    if name == ".":
                        return rest or "."
                    return f"{name}/{rest}" if rest else name
            return item
        if isinstance(item, dict):
            return {key: scrub(v) for key, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [scrub(v) for v in item]
        return item

    return scrub(value)


def write_record(path: Path, value: Any, out: Path | None = None, *, indent: int | None = 2, **dump: Any) -> None:
    """Write ``value`` as JSON to ``path`` with machine paths made portable (``out``: the run's output folder)."""
    text = json.dumps(portable(value, out if out is not None else Path(path).parent), indent=indent, **dump)
    Path(path).write_text(text + ("\n" if indent is not None else ""))


def main(argv: list[str]) -> int:
    """Scrub the JSON records named on the command line in place (their key order and layout kept)."""
    for name in argv:
        path = Path(name)
        text = path.read_text()
        data = json.loads(text)
        scrubbed = portable(data)
        if scrubbed == data:
            continue
        # Keep the file's layout: the first json.dumps spelling that reproduces it as it was.
        styles = [{"indent": i, "ensure_ascii": a} for i in (2, 1, None) for a in (False, True)]
        style = next((s for s in styles if json.dumps(data, **s) == text.rstrip("\n")), styles[0])
        path.write_text(json.dumps(scrubbed, **style) + ("\n" if text.endswith("\n") else ""))
        print(f"scrubbed {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
