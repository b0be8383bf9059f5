"""How many torch threads a test process (and what it starts) may use: the whole machine when the suite runs in
one process, one each when pytest-xdist runs two workers side by side (two processes of two threads each on two
cores fight, and each runs 2-9x slower)."""

from __future__ import annotations

import os

WORKERS = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
TORCH_THREADS = max(1, (os.cpu_count() or 2) // WORKERS)
