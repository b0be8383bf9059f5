"""Start PaST Studio: ``python launch.py [--host H] [--port P] [--data-dir D] [--share --auth user:pass]``."""

import sys

from studio.launcher import main

if __name__ == "__main__":
    sys.exit(main())
