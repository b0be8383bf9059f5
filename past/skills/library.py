"""The skill library: one directory per skill under ``settings.skills_dir``.

Lists, loads (verifying content hashes), adds, imports (directory or .zip), exports (.zip), renames
and removes skills. Every change is atomic: a skill appears complete or not at all, and a failed
import leaves the library as it was. Names are plain directory names, never paths.

Listing and reading manifests load no torch (the ``past skill list`` command and the studio's library table);
the tensor code (:mod:`past.skills.vector`) is imported when a skill is opened or added.
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import uuid
import zipfile
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, BinaryIO

from past.models.safetensors_header import PICKLE_SUFFIXES
from past.paths import NAME_RE, check_name, writing
from past.settings import Settings
from past.skills.errors import SkillExistsError, SkillFormatError, SkillNameError, SkillNotFoundError
from past.skills.manifest import MANIFEST_FILE, SkillManifest
from past.skills.outdir import atomic_output_dir, check_writable

if TYPE_CHECKING:
    from past.skills.vector import SkillVector

ALLOWED_FILES = re.compile(
    r"^(skill\.json|README\.md|orthogonality\.json|adapter_config\.json|[A-Za-z0-9._-]+\.safetensors(\.index\.json)?)$"
)
# The most a skill import unpacks or copies. The largest skill the documented setups make is a full-form (dense)
# float32 delta of the README's GPU model, Qwen2.5-7B-Instruct: 7.6 B parameters x 4 bytes = 28 GiB (a LoRA-form
# skill is MBs; SmolLM2-135M's dense delta 0.5 GiB). 64 GiB is a little over twice that.
MAX_ZIP_BYTES = 64 * 1024**3
# The most a zip may inflate its stored bytes. Skill exports are stored (1:1) and deflate gets about 1.1:1 from
# float tensors; only runs of one byte (a zip bomb) compress 100 times. Checked once the archive would unpack to
# more than MAX_ZIP_RATIO_FLOOR, so a tiny zip of small JSON files is never refused for its ratio.
MAX_ZIP_RATIO = 100
MAX_ZIP_RATIO_FLOOR = 16 * 1024**2


def validate_name(name: str) -> str:
    """Return ``name`` if it can be a skill name; raise :class:`SkillNameError` saying why not."""
    return check_name(name, "skill", SkillNameError)


class SkillLibrary:
    """Skills stored under one directory (normally ``Settings.skills_dir``)."""

    def __init__(self, settings_or_root: Settings | Path | str) -> None:
        root = settings_or_root.skills_dir if isinstance(settings_or_root, Settings) else settings_or_root
        self.root = Path(root).expanduser()

    def path_for(self, name: str) -> Path:
        return self.root / validate_name(name)

    def new_path(self, name: str, *, overwrite: bool = False) -> Path:
        """Where a new skill called ``name`` goes; refuses an existing name unless ``overwrite``."""
        path = self.path_for(name)
        if path.exists() and not overwrite:
            raise SkillExistsError(f"a skill named '{name}' already exists; pick another name or remove it first")
        self.root.mkdir(parents=True, exist_ok=True)
        return path

    def exists(self, name: str) -> bool:
        return (self.path_for(name) / MANIFEST_FILE).is_file()

    def list(self) -> list[SkillManifest]:
        """Manifests of the stored skills, by name (unreadable or partial directories are skipped)."""
        if not self.root.is_dir():
            return []
        found = []
        for path in sorted(self.root.iterdir()):
            if path.name.startswith(".") or not (path / MANIFEST_FILE).is_file():
                continue
            try:
                found.append(SkillManifest.read(path))
            except SkillFormatError:
                continue
        return found

    def info(self, name: str) -> SkillManifest:
        path = self.path_for(name)
        if not (path / MANIFEST_FILE).is_file():
            raise SkillNotFoundError(self._missing(name))
        return SkillManifest.read(path)

    def load(self, name: str, *, verify: bool = True) -> SkillVector:
        """Open a stored skill; the content hash is verified unless ``verify=False``."""
        path = self.path_for(name)
        if not (path / MANIFEST_FILE).is_file():
            raise SkillNotFoundError(self._missing(name))
        return _open(path, verify=verify)

    def resolve(self, ref: str | Path, *, verify: bool = True) -> SkillVector:
        """A library name or a skill directory path."""
        text = str(ref)
        if "/" not in text and "\\" not in text and NAME_RE.match(text) and (self.root / text).is_dir():
            return self.load(text, verify=verify)
        path = Path(text).expanduser()
        if path.is_dir():
            return _open(path, verify=verify)
        raise SkillNotFoundError(f"'{ref}' is neither a skill in the library nor a skill directory")

    def add(self, source: Path | str, name: str | None = None, *, overwrite: bool = False) -> SkillVector:
        """Copy a skill directory into the library, optionally under a new name.

        Only regular files with a skill file's name are read (a symbolic link or a device anywhere in the
        folder is refused), as if the folder had been uploaded. The copy, not the source, is then checked:
        manifest schema, content hash, tensors against the manifest, and every value finite. A skill
        without a content hash gets one, so later loads can verify it.
        """
        source = Path(source).expanduser()
        if not source.is_dir():
            raise SkillNotFoundError(f"no skill directory at {source}")
        files = skill_files(source)
        if (source / MANIFEST_FILE) not in files:
            raise SkillFormatError(f"{source} has no {MANIFEST_FILE}; it is not a skill vector directory")
        manifest = SkillManifest.read(source)
        target_name = validate_name(name or manifest.name)
        final = self.new_path(target_name, overwrite=overwrite)
        with writing(final), atomic_output_dir(final, overwrite=overwrite) as tmp:  # a full disk: one line
            for file in files:
                copy_regular_file(file, tmp / file.name)
            manifest.name = target_name
            manifest.write(tmp)
            from past.skills.vector import check_all_finite, finalize_skill

            with _open(tmp, verify=True) as skill:
                check_all_finite(skill)
            if not manifest.content_hash:
                finalize_skill(tmp, manifest)
        return self.load(target_name, verify=False)

    def import_path(self, source: Path | str, name: str | None = None, *, overwrite: bool = False) -> SkillVector:
        """Import a skill from a directory or a .zip (as written by :meth:`export`)."""
        source = Path(source).expanduser()
        if source.is_dir():
            return self.add(source, name, overwrite=overwrite)
        if not source.is_file():
            raise SkillNotFoundError(f"nothing to import at {source}")
        if not zipfile.is_zipfile(source):
            raise SkillFormatError(f"{source} is neither a skill directory nor a .zip archive")
        self.root.mkdir(parents=True, exist_ok=True)
        staging = self.root / f".import-{uuid.uuid4().hex[:8]}"
        try:
            with writing(self.root):  # the skill library's disk
                staging.mkdir()
                skill_dir = _extract_zip(source, staging)
            return self.add(skill_dir, name, overwrite=overwrite)
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def export(self, name: str, destination: Path | str) -> Path:
        """Write the skill as a .zip (one folder named after the skill); atomic."""
        with self.load(name, verify=True) as skill:
            path = skill.path
        destination = export_path(name, destination)
        check_writable(destination.parent)
        tmp = destination.with_name(f".{destination.name}.partial-{uuid.uuid4().hex[:8]}")
        try:
            with zipfile.ZipFile(tmp, "w", compression=zipfile.ZIP_STORED, allowZip64=True) as archive:
                for file in sorted(skill_files(path)):
                    with open_regular_file(file) as src, archive.open(f"{name}/{file.name}", "w") as dst:
                        shutil.copyfileobj(src, dst, 8 * 1024 * 1024)
            os.replace(tmp, destination)
        finally:
            tmp.unlink(missing_ok=True)
        return destination

    def rename(self, old: str, new: str) -> SkillManifest:
        source = self.path_for(old)
        if not (source / MANIFEST_FILE).is_file():
            raise SkillNotFoundError(self._missing(old))
        target = self.new_path(new)
        manifest = SkillManifest.read(source)
        os.rename(source, target)
        manifest.name = new
        manifest.write(target)
        return manifest

    def remove(self, name: str) -> None:
        path = self.path_for(name)
        if not (path / MANIFEST_FILE).is_file():
            raise SkillNotFoundError(self._missing(name))
        trash = self.root / f".removed-{name}-{uuid.uuid4().hex[:8]}"
        os.rename(path, trash)  # disappears atomically, then is deleted
        shutil.rmtree(trash, ignore_errors=True)

    def _missing(self, name: str) -> str:
        names = ", ".join(m.name for m in self.list()) or "none yet"
        return f"no skill named '{name}' in the library (stored: {names})"


def _open(path: Path, *, verify: bool) -> SkillVector:
    """Open the skill directory ``path`` (the tensor code is imported here, on first use)."""
    from past.skills.vector import SkillVector

    return SkillVector.open(path, verify=verify)


def export_path(name: str, destination: Path | str) -> Path:
    """The .zip that exporting skill ``name`` to ``destination`` (a .zip path or a folder) writes."""
    destination = Path(destination).expanduser()
    if destination.is_dir() or destination.suffix.lower() != ".zip":
        return destination / f"{name}.zip"
    return destination


def skill_files(folder: Path) -> list[Path]:
    """The files of a skill folder that a skill may hold; links and special files anywhere in it are refused.

    A folder import reads only what an upload could contain: regular files with a skill file's name, at most
    :data:`MAX_ZIP_BYTES` in all. Subfolders and other names are ignored; pickles are refused.
    """
    found, total = [], 0
    for entry in os.scandir(folder):
        if entry.is_symlink():
            raise SkillFormatError(
                f"{folder} holds a symbolic link ({entry.name}); a skill folder may hold regular files only"
            )
        if entry.is_dir(follow_symlinks=False):
            continue
        if not entry.is_file(follow_symlinks=False):
            raise SkillFormatError(f"{folder}/{entry.name} is not a regular file; a skill folder may hold files only")
        _refuse_pickles([entry.name])
        if ALLOWED_FILES.match(entry.name):
            found.append(Path(entry.path))
            total += entry.stat(follow_symlinks=False).st_size
    if total > MAX_ZIP_BYTES:
        raise SkillFormatError(f"{folder} holds more than {MAX_ZIP_BYTES // 1024**3} GiB of skill files")
    return sorted(found)


def open_regular_file(path: Path) -> BinaryIO:
    """Open ``path`` for reading, refusing a symbolic link or anything but a regular file (checked on the handle)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW)
    except OSError as exc:
        raise SkillFormatError(f"{path} cannot be read as a plain file ({exc.strerror})") from exc
    if not stat.S_ISREG(os.fstat(fd).st_mode):
        os.close(fd)
        raise SkillFormatError(f"{path} is not a regular file")
    return os.fdopen(fd, "rb")


def copy_regular_file(source: Path, target: Path) -> None:
    with open_regular_file(source) as src, open(target, "wb") as dst:
        shutil.copyfileobj(src, dst, 8 * 1024 * 1024)


def _refuse_pickles(names: object) -> None:
    for file_name in names:  # type: ignore[attr-defined]
        if str(file_name).endswith(PICKLE_SUFFIXES):
            raise SkillFormatError(
                f"the skill contains a pickle file ({file_name}); only safetensors and JSON are accepted"
            )


def _check_zip_sizes(archive_path: Path, members: list[zipfile.ZipInfo]) -> None:
    """Refuse a zip that would unpack to too much, or inflate too many times, from its directory (nothing read yet).

    Extraction stops at each entry's declared size, so what the directory says bounds what is written.
    """
    unpacked = sum(m.file_size for m in members)
    stored = sum(m.compress_size for m in members)
    if unpacked > MAX_ZIP_BYTES:
        raise SkillFormatError(
            f"{archive_path} would unpack to {_size(unpacked)}, more than a skill import takes "
            f"({MAX_ZIP_BYTES // 1024**3} GiB)"
        )
    if unpacked > MAX_ZIP_RATIO_FLOOR and unpacked > MAX_ZIP_RATIO * max(stored, 1):
        raise SkillFormatError(
            f"{archive_path} would unpack {_size(stored)} into {_size(unpacked)} ({unpacked // max(stored, 1):,}:1); "
            f"skill tensors barely compress, so a zip that inflates more than {MAX_ZIP_RATIO}:1 is refused"
        )


def _size(n: int) -> str:
    return f"{n / 1024**3:.1f} GiB" if n >= 1024**3 else f"{n / 1024**2:.1f} MB"


def _extract_zip(archive_path: Path, staging: Path) -> Path:
    """Extract a skill zip safely (no absolute paths, no '..', no links, bounded size); return its skill dir."""
    try:
        with zipfile.ZipFile(archive_path) as archive:
            members = [m for m in archive.infolist() if not m.is_dir()]
            _refuse_pickles(PurePosixPath(m.filename).name for m in members)
            _check_zip_sizes(archive_path, members)
            for member in members:
                parts = PurePosixPath(member.filename).parts
                if member.filename.startswith("/") or ".." in parts or len(parts) > 2 or "\\" in member.filename:
                    raise SkillFormatError(f"{archive_path} has an unsafe entry {member.filename!r}")
                if (member.external_attr >> 16) & 0o170000 == 0o120000:
                    raise SkillFormatError(f"{archive_path} contains a symbolic link ({member.filename})")
                if not ALLOWED_FILES.match(parts[-1]):
                    continue
                target = staging.joinpath(*parts)
                target.parent.mkdir(parents=True, exist_ok=True)
                with archive.open(member) as src, open(target, "wb") as dst:
                    shutil.copyfileobj(src, dst, 8 * 1024 * 1024)
    except zipfile.BadZipFile as exc:
        raise SkillFormatError(f"{archive_path} is not a valid zip archive: {exc}") from exc
    candidates = [p.parent for p in staging.rglob(MANIFEST_FILE)]
    if len(candidates) != 1:
        raise SkillFormatError(
            f"{archive_path} must hold exactly one skill (one {MANIFEST_FILE}); found {len(candidates)}"
        )
    return candidates[0]
