"""Streaming safetensors I/O: strict header validation, zero-copy memory-mapped reads, shard writing.

Reading maps each file once and hands out tensors that view the mapping (no copy); after a tensor
is used, :meth:`SafetensorsFile.release` drops its pages from this process (``MADV_DONTNEED``), so
resident memory stays bounded by the tensors in flight, not by the checkpoint size. Writing
computes each shard's header from the planned shapes first, then streams the tensor bytes one by
one, so no shard is ever held in memory. Output directories are built under a temporary name next to
their final place and renamed into place only when complete (:mod:`past.skills.outdir`).
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import mmap
import queue
import threading
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

import torch

from past.models.safetensors_header import read_header
from past.skills.errors import SkillFormatError

DTYPES: dict[str, torch.dtype] = {
    "F64": torch.float64,
    "F32": torch.float32,
    "F16": torch.float16,
    "BF16": torch.bfloat16,
    "I64": torch.int64,
    "I32": torch.int32,
    "I16": torch.int16,
    "I8": torch.int8,
    "U8": torch.uint8,
    "BOOL": torch.bool,
}
DTYPE_NAMES = {v: k for k, v in DTYPES.items()}
FLOAT_DTYPES = {torch.float64, torch.float32, torch.float16, torch.bfloat16}
DEFAULT_SHARD_BYTES = 2 * 1024**3
BLOCK_BYTES = 64 * 1024**2  # row blocks of big tensors are streamed at most this large
WRITE_QUEUE_DEPTH = 1  # blocks waiting for the writer thread (see _BackgroundWriter)
WRITE_BUFFERS = WRITE_QUEUE_DEPTH + 2  # output buffers a producer that reuses them must cycle through


def row_blocks(shape: tuple[int, ...], itemsize: int, block_bytes: int | None = None) -> list[tuple[int, int]]:
    """Row ranges ``[start, stop)`` splitting a tensor into blocks of at most ``block_bytes`` (one row at least)."""
    block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
    if len(shape) < 2 or shape[0] == 0:
        return [(0, shape[0] if shape else 1)]
    row = itemsize
    for dim in shape[1:]:
        row *= dim
    step = max(1, block_bytes // max(row, 1))
    return [(start, min(start + step, shape[0])) for start in range(0, shape[0], step)]


PAGE = mmap.PAGESIZE
# Linux >= 5.14 pre-faults a whole range in one call (much cheaper than a page fault per 4 KiB);
# older kernels answer EINVAL, which is ignored, and pages are then faulted in on first touch.
MADV_POPULATE_READ = getattr(mmap, "MADV_POPULATE_READ", 22)


@dataclass(frozen=True)
class TensorEntry:
    """A tensor's name, dtype and shape, known before its values are."""

    name: str
    dtype: torch.dtype
    shape: tuple[int, ...]

    @property
    def nbytes(self) -> int:
        count = 1
        for dim in self.shape:
            count *= dim
        return count * self.dtype.itemsize


def dtype_name(dtype: torch.dtype) -> str:
    """``torch.float32`` -> ``"float32"`` (the spelling used in manifests and configs)."""
    return str(dtype).removeprefix("torch.")


def check_safetensors(path: Path) -> tuple[dict[str, dict], dict[str, str], int]:
    """Validate a safetensors file's header against its size; return (entries, metadata, data offset).

    Raises :class:`SkillFormatError` for a missing, pickled, truncated or otherwise corrupt file, or a dtype
    the engine does not compute in (:data:`DTYPES`).
    """
    header = read_header(path, SkillFormatError)
    for name, meta in header.entries.items():
        if meta["dtype"] not in DTYPES:
            raise SkillFormatError(f"{path}: tensor {name!r} has an invalid or unsupported header entry")
    return header.entries, header.metadata, header.data_start


class SafetensorsFile:
    """One validated safetensors file, memory-mapped; tensors are zero-copy, read-only views."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.header, self.metadata, self._start = check_safetensors(self.path)
        self._file = open(self.path, "rb")  # noqa: SIM115 (closed in close())
        size = self.path.stat().st_size
        self._map = mmap.mmap(self._file.fileno(), size, access=mmap.ACCESS_READ) if size else None

    def names(self) -> list[str]:
        return list(self.header)

    def entry(self, name: str) -> TensorEntry:
        meta = self.header[name]
        return TensorEntry(name, DTYPES[meta["dtype"]], tuple(int(d) for d in meta["shape"]))

    def tensor(self, name: str) -> torch.Tensor:
        """A read-only view of ``name`` over the memory map (do not write into it)."""
        entry = self.entry(name)
        begin, _ = self.header[name]["data_offsets"]
        count = 1
        for dim in entry.shape:
            count *= dim
        if count == 0:
            return torch.empty(entry.shape, dtype=entry.dtype)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # the mapping is read-only by design
            flat = torch.frombuffer(self._map, dtype=entry.dtype, count=count, offset=self._start + int(begin))
        return flat.view(entry.shape)

    def rows(self, name: str, start: int, stop: int) -> torch.Tensor:
        """Rows ``[start, stop)`` of ``name`` as a read-only view, prefetched in one call where possible."""
        self._advise(name, (start, stop), MADV_POPULATE_READ)
        return self.tensor(name)[start:stop]

    def prefetch(self, name: str, rows: tuple[int, int] | None = None) -> None:
        """Start reading ``name`` (or its rows) from disk in the background (``MADV_WILLNEED``)."""
        if hasattr(mmap, "MADV_WILLNEED"):
            self._advise(name, rows, mmap.MADV_WILLNEED)

    def _advise(self, name: str, rows: tuple[int, int] | None, advice: int) -> None:
        if self._map is None:
            return
        begin, stop = (int(x) for x in self.header[name]["data_offsets"])
        if rows is not None:
            shape = self.entry(name).shape
            row_bytes = (stop - begin) // shape[0] if shape and shape[0] else 0
            begin, stop = begin + rows[0] * row_bytes, begin + rows[1] * row_bytes
        first = (self._start + begin) // PAGE * PAGE
        last = self._start + stop
        if last > first:
            with contextlib.suppress(OSError, ValueError):
                self._map.madvise(advice, first, last - first)

    def release(self, name: str, rows: tuple[int, int] | None = None) -> None:
        """Drop ``name``'s pages (or those of its rows ``[start, stop)``) from this process's resident set.

        The OS page cache keeps them; only this process's mapping lets go, so RSS stays bounded.
        """
        if hasattr(mmap, "MADV_DONTNEED"):
            self._advise(name, rows, mmap.MADV_DONTNEED)

    def close(self) -> None:
        if self._map is not None:
            with contextlib.suppress(BufferError):  # a caller still holds a view; the GC unmaps later
                self._map.close()
        self._file.close()

    def __enter__(self) -> SafetensorsFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _header_bytes(entries: list[TensorEntry], metadata: dict[str, str] | None) -> bytes:
    header: dict[str, object] = {}
    if metadata:
        header["__metadata__"] = {str(k): str(v) for k, v in metadata.items()}
    offset = 0
    for e in entries:
        header[e.name] = {
            "dtype": DTYPE_NAMES[e.dtype],
            "shape": list(e.shape),
            "data_offsets": [offset, offset + e.nbytes],
        }
        offset += e.nbytes
    raw = json.dumps(header, separators=(",", ":")).encode()
    raw += b" " * (-len(raw) % 8)  # the data section starts 8-byte aligned
    return len(raw).to_bytes(8, "little") + raw


class _BackgroundWriter:
    """Writes blocks on a thread so that disk writes overlap reading and computing the next block.

    At most :data:`WRITE_QUEUE_DEPTH` blocks wait in the queue, so a producer that reuses output
    buffers needs ``WRITE_QUEUE_DEPTH + 2`` of them (one being written, the queued ones, one being
    filled). A write error is raised in the producer's thread at its next write or at exit.
    """

    def __init__(self, out: BinaryIO) -> None:
        self.out = out
        self.queue: queue.Queue = queue.Queue(maxsize=WRITE_QUEUE_DEPTH)
        self.error: BaseException | None = None
        self.thread = threading.Thread(target=self._run, name="past-skill-writer", daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while True:
            item = self.queue.get()
            if item is None:
                return
            if self.error is None:
                try:
                    self.out.write(item if isinstance(item, bytes) else _tensor_bytes(item))
                except BaseException as exc:  # reported to the producer
                    self.error = exc

    def write(self, item: bytes | torch.Tensor) -> None:
        if self.error is not None:
            raise self.error
        self.queue.put(item)

    def __enter__(self) -> _BackgroundWriter:
        return self

    def __exit__(self, exc_type: object, *rest: object) -> None:
        self.queue.put(None)
        self.thread.join()
        if self.error is not None and exc_type is None:
            raise self.error


def _tensor_bytes(tensor: torch.Tensor) -> memoryview:
    flat = tensor.contiguous().reshape(-1)
    return memoryview(flat.view(torch.uint8).numpy())


def write_safetensors(
    path: Path,
    entries: list[TensorEntry],
    produce: Callable[[TensorEntry], torch.Tensor | Iterable[torch.Tensor]],
    metadata: dict[str, str] | None = None,
    after_write: Callable[[TensorEntry, torch.Tensor | None], None] | None = None,
) -> int:
    """Write one safetensors file, asking ``produce`` for each tensor in order; return bytes written.

    ``produce`` returns the tensor, or an iterable of consecutive row blocks of it, so that only one
    block is in memory at a time. What is produced must match the entry's dtype and shape.
    """
    written = 0
    with open(path, "wb") as out, _BackgroundWriter(out) as writer:
        head = _header_bytes(entries, metadata)
        writer.write(head)
        written += len(head)
        for entry in entries:
            produced = produce(entry)
            chunks = [produced] if isinstance(produced, torch.Tensor) else produced
            size = 0
            for chunk in chunks:
                if chunk.dtype != entry.dtype or tuple(chunk.shape[1:]) != entry.shape[1:]:
                    raise SkillFormatError(
                        f"internal: {entry.name} produced {tuple(chunk.shape)} {chunk.dtype}, "
                        f"planned {entry.shape} {entry.dtype}"
                    )
                if chunk.numel():
                    writer.write(chunk)
                size += chunk.numel() * chunk.element_size()
                del chunk
            if size != entry.nbytes:
                raise SkillFormatError(f"internal: {entry.name} produced {size} bytes, planned {entry.nbytes}")
            written += size
            if after_write is not None:
                after_write(entry, produced if isinstance(produced, torch.Tensor) else None)
            del produced
    return written


def plan_shards(entries: list[TensorEntry], max_shard_bytes: int = DEFAULT_SHARD_BYTES) -> list[list[TensorEntry]]:
    """Split entries, in order, into shards of at most ``max_shard_bytes`` (a bigger tensor gets its own)."""
    shards: list[list[TensorEntry]] = []
    current: list[TensorEntry] = []
    size = 0
    for entry in entries:
        if current and size + entry.nbytes > max_shard_bytes:
            shards.append(current)
            current, size = [], 0
        current.append(entry)
        size += entry.nbytes
    if current or not shards:
        shards.append(current)
    return shards


def write_sharded(
    directory: Path,
    entries: list[TensorEntry],
    produce: Callable[[TensorEntry], torch.Tensor | Iterable[torch.Tensor]],
    *,
    prefix: str = "model",
    max_shard_bytes: int = DEFAULT_SHARD_BYTES,
    metadata: dict[str, str] | None = None,
    on_shard: Callable[[int, int], None] | None = None,
) -> list[Path]:
    """Write entries as ``<prefix>.safetensors`` or ``<prefix>-0000i-of-0000n.safetensors`` + index."""
    shards = plan_shards(entries, max_shard_bytes)
    total = len(shards)
    files: list[Path] = []
    weight_map: dict[str, str] = {}
    total_size = 0
    for i, shard in enumerate(shards, start=1):
        name = f"{prefix}.safetensors" if total == 1 else f"{prefix}-{i:05d}-of-{total:05d}.safetensors"
        write_safetensors(directory / name, shard, produce, metadata or {"format": "pt"})
        files.append(directory / name)
        for entry in shard:
            weight_map[entry.name] = name
            total_size += entry.nbytes
        if on_shard is not None:
            on_shard(i, total)
    if total > 1:
        index = {"metadata": {"total_size": total_size}, "weight_map": weight_map}
        (directory / f"{prefix}.safetensors.index.json").write_text(json.dumps(index, indent=2))
    return files


def hash_files(paths: list[Path], chunk: int = 8 * 1024 * 1024) -> str:
    """sha256 over the named files (sorted by name; each prefixed by its name and size)."""
    sha = hashlib.sha256()
    buffer = bytearray(chunk)
    view = memoryview(buffer)
    for path in sorted(paths, key=lambda p: p.name):
        sha.update(f"{path.name}:{path.stat().st_size}\n".encode())
        with open(path, "rb", buffering=0) as raw:
            while n := raw.readinto(buffer):
                sha.update(view[:n])
    return "sha256:" + sha.hexdigest()
