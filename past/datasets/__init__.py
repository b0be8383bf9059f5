"""JSONL datasets on disk: atomic writes, strict reads with line-numbered errors (one reader, any error class)."""

from past.datasets.jsonl import append_jsonl, iter_jsonl, jsonl_rows, read_jsonl, write_jsonl

__all__ = ["append_jsonl", "iter_jsonl", "jsonl_rows", "read_jsonl", "write_jsonl"]
