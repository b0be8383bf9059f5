"""Which server paths a request may name: the one policy for every path or model reference from a browser.

The launcher creates one :class:`PathPolicy` from its settings. On a studio only this machine can reach
(loopback, no share link) it allows what the studio always allowed: any folder, checkpoint or file the
user types. Once the studio is *exposed* (``--share`` or a non-loopback ``--host``), a request may only
name paths inside the data directory: ``..`` parts are refused, absolute paths must lie inside it,
relative ones are read from it, symbolic links are resolved and must stay inside it, and a folder must
not hold a link that leads out. Model references stay usable as registered names and hub ids.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from past.errors import PastError

# A folder given as a path is scanned for links that lead out of the data directory (at most this many
# entries, so a huge folder cannot stall the request).
MAX_SCAN_ENTRIES = 20_000


class PathRefusedError(PastError):
    """A browser request named a server path that the policy does not allow."""


@dataclass(frozen=True)
class PathPolicy:
    """``exposed``: only paths inside ``data_dir`` are allowed; otherwise any path (a local studio)."""

    data_dir: Path
    exposed: bool = False

    @classmethod
    def for_launch(cls, data_dir: Path, *, host_is_loopback: bool, share: bool) -> PathPolicy:
        return cls(data_dir=Path(data_dir).resolve(), exposed=share or not host_is_loopback)

    @property
    def root(self) -> Path:
        return Path(self.data_dir).resolve()

    def describe(self) -> str:
        if not self.exposed:
            return "paths: any path on this machine (the studio is only reachable from here)"
        return f"paths: only inside the data directory {self.root} (the studio is reachable from elsewhere)"

    # -- paths -----------------------------------------------------------------------------------------

    def path(self, raw: str | os.PathLike[str], what: str = "path") -> Path:
        """``raw`` as a path the request may use (resolved when exposed); :class:`PathRefusedError` if not."""
        text = os.fspath(raw).strip() if raw is not None else ""
        if not text:
            raise PathRefusedError(f"no {what} given")
        if "\x00" in text:
            raise PathRefusedError(f"the {what} contains a NUL character")
        if not self.exposed:
            return Path(text).expanduser()
        given = Path(text)
        if ".." in given.parts:
            raise PathRefusedError(f"the {what} '{text}' contains '..': {self._only_inside()}")
        if text.startswith("~"):
            raise PathRefusedError(f"the {what} '{text}' names a home directory: {self._only_inside()}")
        root = self.root
        candidate = given if given.is_absolute() else root / given
        if not _inside(Path(os.path.abspath(candidate)), root):
            raise PathRefusedError(f"the {what} '{text}' is outside the data directory: {self._only_inside()}")
        resolved = candidate.resolve()
        if not _inside(resolved, root):
            raise PathRefusedError(
                f"the {what} '{text}' is a symbolic link that leads outside the data directory: {self._only_inside()}"
            )
        if resolved.is_dir():
            self._check_links_inside(resolved, text, what)
        return resolved

    def _check_links_inside(self, folder: Path, text: str, what: str) -> None:
        root = self.root
        seen = 0
        for current, dirs, files in os.walk(folder):
            for name in [*dirs, *files]:
                seen += 1
                if seen > MAX_SCAN_ENTRIES:
                    raise PathRefusedError(
                        f"the {what} '{text}' holds too many files to check (over {MAX_SCAN_ENTRIES})"
                    )
                entry = Path(current) / name
                if entry.is_symlink() and not _inside(entry.resolve(), root):
                    raise PathRefusedError(
                        f"the {what} '{text}' holds a symbolic link ({entry.relative_to(folder)}) that leads outside "
                        f"the data directory: {self._only_inside()}"
                    )

    def _only_inside(self) -> str:
        return (
            "this studio is reachable from other machines, so only paths inside its data directory "
            f"({self.root}) are allowed"
        )

    # -- references that may be paths -----------------------------------------------------------------

    def model_ref(self, ref: str | None, what: str = "model") -> str:
        """A model reference: a registered name, ``default`` or a hub id as is; a directory through :meth:`path`."""
        text = (ref or "").strip()
        if not self.exposed or not text or text == "default":
            return text
        if text.startswith((".", "/", "~", "\\")) or "\\" in text:
            return str(self.path(text, f"{what} directory"))
        if "/" not in text:
            if (self.root / "models" / text).is_dir():
                return text
            raise PathRefusedError(
                f"'{text}' is not a registered model; {self._only_inside()} (registered names, hub ids owner/name, "
                "or a checkpoint directory in the data directory)"
            )
        if (self.root / text).exists():
            return str(self.path(text, f"{what} directory"))
        if Path(text).exists():  # a path relative to the studio's working directory
            raise PathRefusedError(f"the {what} '{text}' names a server path outside the data directory")
        if ".." in Path(text).parts or text.count("/") != 1:
            raise PathRefusedError(f"the {what} '{text}' is neither a registered model nor a hub id owner/name")
        return text  # a hub id, fetched through huggingface_hub

    def adapter(self, raw: str | None, what: str = "adapter directory") -> str:
        """An adapter directory (empty = none) through :meth:`path`."""
        text = (raw or "").strip()
        return str(self.path(text, what)) if text and self.exposed else text

    def model_spec(self, text: str, what: str = "model") -> str:
        """An evaluation model spec ``[LABEL=]REF[+ADAPTER_DIR][@SEED]`` with its model and adapter checked."""
        if not self.exposed:
            return text
        from past.evaluation.spec import ModelSpec

        spec = ModelSpec.parse(text)
        ref = self.model_ref(spec.ref, what)
        adapter = f"+{self.adapter(spec.adapter)}" if spec.adapter else ""
        label = f"{spec.label}=" if spec.label else ""
        seed = f"@{spec.seed}" if spec.seed is not None else ""
        return f"{label}{ref}{adapter}{seed}"

    def skill_ref(self, ref: str | None, what: str = "skill") -> str:
        """A skill: a library name as is, a folder through :meth:`path`."""
        text = (ref or "").strip()
        if not self.exposed or not text:
            return text
        if "/" not in text and "\\" not in text and not text.startswith((".", "~")):
            if (self.root / "skills" / text).is_dir():
                return text  # a skill in the library
            raise PathRefusedError(f"'{text}' is not a skill in the library; {self._only_inside()}")
        return str(self.path(text, f"{what} folder"))

    def endpoint(self, raw: str | None, what: str = "endpoint") -> str:
        """An OpenAI-compatible base URL typed in the browser ("" = none): http(s), a host, no credentials in it.

        The studio's server calls it, so handlers that take one are editor-only (an exposed studio must not let
        viewers make it fetch any URL), and an exposed studio never sends its own API key to it."""
        text = (raw or "").strip()
        if not text:
            return ""
        try:
            parts = urlsplit(text)
            host = parts.hostname
        except ValueError as exc:
            raise PathRefusedError(f"the {what} '{text[:200]}' is not a URL: {exc}") from exc
        if parts.scheme not in ("http", "https") or not host:
            raise PathRefusedError(f"the {what} '{text[:200]}' must be an http:// or https:// URL with a host")
        if parts.username or parts.password:
            raise PathRefusedError(f"the {what} must not carry a user name or password in the URL")
        if any(ch.isspace() or ord(ch) < 32 for ch in text):
            raise PathRefusedError(f"the {what} contains spaces or control characters")
        return text

    def check_ref(self, kind: str, value: object) -> object:
        """A job parameter of ``ref`` kind ``kind`` (see ``backend.jobs.params.REF_KINDS``) under this policy."""
        if not self.exposed or value in (None, "", []):
            return value
        if kind == "model":
            return self.model_ref(str(value))
        if kind == "model_spec":
            return self.model_spec(str(value))
        if kind == "model_specs":
            if isinstance(value, str):
                return self.model_spec(value)
            return [self.model_spec(str(v)) for v in value]  # type: ignore[union-attr]
        if kind == "skill":
            return self.skill_ref(str(value))
        if kind == "qa_path":
            return str(self.path(str(value), "question file"))
        return value  # collections are names, checked against the store


LOCAL = PathPolicy(data_dir=Path("."), exposed=False)


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)
