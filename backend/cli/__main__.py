"""``python -m backend.cli ARGS``: the ``past`` CLI with the backend's commands (``job``) registered explicitly.

Installed, ``past job ...`` finds them through the ``past.commands`` entry points; this module runs the same
commands from a source checkout whose installed metadata predates them (the tests use it).
"""

import sys

from backend.cli import ab_cmd, audit_cmd, docs_cmd, job_cmd, report_card_cmd
from past.cli.main import main

if __name__ == "__main__":
    sys.exit(main(extra_commands=[job_cmd, report_card_cmd, docs_cmd, ab_cmd, audit_cmd]))
