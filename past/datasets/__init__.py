"""JSONL datasets on disk: atomic writes, strict reads with line-numbered errors."""

from past.datasets.jsonl import append_jsonl, read_jsonl, write_jsonl

__all__ = ["append_jsonl", "read_jsonl", "write_jsonl"]
