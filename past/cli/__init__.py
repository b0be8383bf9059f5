"""The ``past`` command line: one module per command group, registered in ``main.COMMANDS``."""
