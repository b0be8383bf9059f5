"""``past`` CLI command modules that need the backend (loaded by name from ``past.cli.main``)."""
