"""Hostile files of the output-policy rows of ``tests/bad_inputs.py`` (ids ``out-``): zip bombs and a plain folder.

``prepare_output_cases(work, skill)`` writes, under ``work``:

- ``keep/`` an ordinary folder holding a file (no ``.past-output.json``): no command may write into or replace it;
- ``bomb-skill.zip`` a skill zip whose ``delta.safetensors`` is 64 MiB of zeros deflated to about 64 KB (1,000:1);
- ``huge-skill.zip`` a 2 KB skill zip whose directory declares 17 entries of almost 4 GiB each (68 GiB in all).
"""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

CENTRAL_HEADER = b"PK\x01\x02"
DECLARED_ENTRY_BYTES = 0xFFFF_FFFE  # the largest size a plain (not zip64) entry can declare


def prepare_output_cases(work: Path, skill: Path) -> None:
    keep = work / "keep"
    keep.mkdir()
    (keep / "thesis.txt").write_text("three years of work\n")
    write_zip_bomb(work / "bomb-skill.zip", skill, unpacked_mb=64)
    write_zip_declaring(work / "huge-skill.zip", skill, entries=17)


def write_zip_bomb(path: Path, skill: Path, unpacked_mb: int) -> Path:
    """A skill zip (the real ``skill.json``) with a tensor file of ``unpacked_mb`` MiB of zeros, deflated."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as archive:
        archive.write(skill / "skill.json", "bomb/skill.json")
        with archive.open("bomb/delta.safetensors", "w", force_zip64=True) as member:
            block = bytes(1024 * 1024)
            for _ in range(unpacked_mb):
                member.write(block)
    return path


def write_zip_declaring(path: Path, skill: Path, entries: int) -> Path:
    """A tiny skill zip whose central directory declares ``entries`` tensor files of almost 4 GiB each.

    Only the directory lies (the sizes a reader checks before extracting); the data are a few bytes.
    """
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.write(skill / "skill.json", "huge/skill.json")
        for i in range(entries):
            archive.writestr(f"huge/delta-{i}.safetensors", b"x")
    data = bytearray(path.read_bytes())
    start = 0
    while (start := data.find(CENTRAL_HEADER, start)) != -1:
        name_length = struct.unpack_from("<H", data, start + 28)[0]
        if data[start + 46 : start + 46 + name_length].endswith(b".safetensors"):
            struct.pack_into("<I", data, start + 24, DECLARED_ENTRY_BYTES)  # uncompressed size
        start += 4
    path.write_bytes(bytes(data))
    return path
