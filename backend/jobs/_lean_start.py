"""Imported first by the worker: keeps every job's process start lean.

sqlite-utils imports pandas and numpy (with pyarrow, ~0.7 s here) only to map their types when it
creates tables from Python values. A worker creates no tables, so sqlite-utils is imported with
those two hidden; they stay importable normally afterwards (a training kind imports numpy as usual).
"""

from __future__ import annotations

import sys

_hidden = [name for name in ("pandas", "numpy") if name not in sys.modules]
for _name in _hidden:
    sys.modules[_name] = None  # type: ignore[assignment]  # makes `import pandas` raise ImportError
try:
    import sqlite_utils  # noqa: F401
finally:
    for _name in _hidden:
        sys.modules.pop(_name, None)
