"""``past`` CLI commands that need the backend, registered through the ``past.commands`` entry-point group
(pyproject.toml); ``python -m backend.cli`` runs ``past`` with them without relying on installed metadata."""
