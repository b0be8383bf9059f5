"""Which server paths a request may name: the one policy for every path or model reference from a browser.

The launcher creates one :class:`PathPolicy` from its settings. On a studio only this machine can reach
(loopback, no share link) it allows what the studio always allowed: any folder, checkpoint or file the
user types. Once the studio is *exposed* (``--share`` or a non-loopback ``--host``), a request may only
name paths inside the data directory: ``..`` parts are refused, absolute paths must lie inside it,
relative ones are read from it, symbolic links are resolved and must stay inside it, and a folder must
not hold a link that leads out. Model references stay usable as registered names and hub ids.

Endpoint URLs (an LLM simulator, an LLM judge) are called by the studio's server, so on an exposed studio their
host is resolved and every address it leads to must be a public one: loopback (``[::1]``, ``0x7f000001``),
private, link-local (``169.254.169.254``, cloud metadata), shared, reserved and this machine's own addresses are
refused, so a browser cannot make the studio reach itself or its network.
"""

from __future__ import annotations

import ipaddress
import os
import re
import socket
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from past.errors import PastError

# An absolute path inside a text (not the path part of a URL, not a fraction): what :meth:`PathPolicy.hide_paths`
# shows as a name on an exposed studio.
_ABSOLUTE_PATH = re.compile(r"(?<![\w.:/~-])(?:/[^\s`'\"()\[\]<>,;|*]+)+")
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
        return "paths: only inside the data directory (the studio is reachable from elsewhere)"

    # -- what a page shows ------------------------------------------------------------------------------

    def shown(self, path: str | os.PathLike[str]) -> str:
        """A server path as an exposed studio shows it: relative to the data directory (which :meth:`path` reads
        back), or only its last part when it lies elsewhere; unchanged on a local studio."""
        text = os.fspath(path)
        if not self.exposed or not os.path.isabs(text):
            return text
        absolute = Path(os.path.abspath(text))
        if _inside(absolute, self.root):
            return str(absolute.relative_to(self.root)) if absolute != self.root else "the data directory"
        return absolute.name or text

    def hide_paths(self, value: object) -> object:
        """``value`` (text, or lists and dicts of it) with every absolute server path in it :meth:`shown` as a name:
        whoever reaches an exposed studio sees names, never where the studio keeps its files."""
        if not self.exposed:
            return value
        if isinstance(value, str):
            return _ABSOLUTE_PATH.sub(lambda match: self.shown(match.group(0)), value)
        if isinstance(value, dict):
            return {key: self.hide_paths(item) for key, item in value.items()}
        if isinstance(value, list | tuple):
            return type(value)(self.hide_paths(item) for item in value)
        return value

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
        # the data directory is not named: whoever reaches an exposed studio sees names, never server paths
        return "this studio is reachable from other machines, so only paths inside its data directory are allowed"

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
        if self.exposed:
            try:
                port = parts.port or (443 if parts.scheme == "https" else 80)
            except ValueError as exc:
                raise PathRefusedError(f"the {what} '{text[:200]}' has a bad port: {exc}") from exc
            for address in _resolve(host, port, text, what):
                if reason := _not_public(address):
                    raise PathRefusedError(
                        f"the {what} '{text[:200]}' leads to {address} ({reason}): this studio is reachable from "
                        "other machines, so it only calls endpoints at public internet addresses"
                    )
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
        if kind == "endpoint":
            return self.endpoint(str(value))
        return value  # collections are names, checked against the store


LOCAL = PathPolicy(data_dir=Path("."), exposed=False)


def _inside(path: Path, root: Path) -> bool:
    return path == root or path.is_relative_to(root)


# Addresses an endpoint reaches through: an IPv4 address inside IPv6 (mapped, NAT64, 6to4) is judged as itself.
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def _resolve(host: str, port: int, text: str, what: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """Every address ``host`` resolves to (numeric forms like ``0x7f000001`` included)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise PathRefusedError(f"the {what} '{text[:200]}': its host '{host}' cannot be resolved") from exc
    addresses = []
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if isinstance(address, ipaddress.IPv6Address):
            if address.ipv4_mapped is not None:
                address = address.ipv4_mapped
            elif address in _NAT64:
                address = ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
            elif address.sixtofour is not None:
                address = address.sixtofour
        addresses.append(address)
    if not addresses:
        raise PathRefusedError(f"the {what} '{text[:200]}': its host '{host}' has no address")
    return addresses


def _not_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> str:
    """Why the studio must not call ``address`` ("" when it may)."""
    if address.is_loopback or address.is_unspecified:
        return "this machine"
    if address.is_link_local:
        return "a link-local address, where cloud metadata services answer"
    if address.is_private:
        return "a private network address"
    if address.is_multicast or address.is_reserved or not address.is_global:
        return "a reserved address"
    if address in _own_addresses():
        return "this machine"
    return ""


def _own_addresses() -> set[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """The addresses of this machine's network interfaces (where the studio itself listens)."""
    found: set[ipaddress.IPv4Address | ipaddress.IPv6Address] = set()
    try:
        import psutil

        for entries in psutil.net_if_addrs().values():
            for entry in entries:
                if entry.family in (socket.AF_INET, socket.AF_INET6):
                    try:
                        found.add(ipaddress.ip_address(entry.address.split("%", 1)[0]))
                    except ValueError:
                        continue
    except Exception:  # no interface list: the other checks still hold
        pass
    return found
