"""Answers already given, kept: a greedy evaluation of the same model on the same questions is not run twice.

The report card asks the base model (closed book, with documents, and the forgetting probes) for every adapted
model; with this cache the base answers a collection's questions once, and a card made again answers from
here. An entry is keyed by everything that decides the answers — the model's weights (its fingerprint) and
tokenizer files, the adapter's files, the device and dtype, the questions and references, the evaluation settings
(prompt family and its template, answer tokens, threshold), the judge, the batch size and, with documents, the
retrieval index's fingerprint — so any change asks again. Only greedy decoding is kept (sampling is meant to
vary). Entries are JSON, written atomically; one that cannot be read is ignored and answered again. The newest
:data:`MAX_ENTRIES` are kept.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from dataclasses import asdict
from pathlib import Path
from typing import Any

from past.evaluation.closed_book import EvalConfig, EvalResult, QuestionResult
from past.evaluation.prompts import DOCUMENTS_INTRO, PROMPTS
from past.evaluation.qa_set import QASet
from past.evaluation.spec import ModelSpec

VERSION = 1  # raise when the evaluator's answers change for the same inputs
MAX_ENTRIES = 200
TOKENIZER_FILES = ("tokenizer.json", "tokenizer_config.json", "chat_template.jinja", "special_tokens_map.json")
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")


def _files_digest(folder: Path, names: tuple[str, ...]) -> str:
    digest = hashlib.sha256()
    for name in names:
        path = folder / name
        if path.is_file():
            digest.update(name.encode())
            with open(path, "rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()


class AnswerCache:
    """Greedy evaluation results under ``root`` (e.g. ``<data>/cache/answers``), one JSON file per key."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self._digests: dict[tuple[str, str], str] = {}  # one card asks a model several times: hash its files once

    def _once(self, kind: str, name: str, compute: Any) -> str:
        if (kind, name) not in self._digests:
            self._digests[(kind, name)] = compute()
        return self._digests[(kind, name)]

    def key(
        self,
        registry: Any,
        spec: ModelSpec,
        qa_set: QASet,
        judge_name: str,
        config: EvalConfig,
        batch_size: int,
        retriever: Any = None,
    ) -> str | None:
        """The entry's key, or None where the answers may not be kept (sampling; an index without fingerprint)."""
        from past.device import detect

        if config.temperature > 0:
            return None
        retrieval = None
        if spec.retrieval:
            retrieval = str(getattr(retriever, "fingerprint", "") or "")
            if not retrieval:
                return None
        device = detect()
        adapter = spec.adapter
        material = {
            "version": VERSION,
            "model": self._once("model", spec.ref, lambda: registry.fingerprint(spec.ref)),
            "tokenizer": self._once(
                "tokenizer", spec.ref, lambda: _files_digest(Path(registry.resolve(spec.ref).path), TOKENIZER_FILES)
            ),
            "adapter": self._once("adapter", adapter, lambda: _files_digest(Path(adapter), ADAPTER_FILES))
            if adapter
            else None,
            "device": [device.type, device.name, device.dtype_name],
            "questions": [[q.qid, q.doc_id, q.question, list(q.answers)] for q in qa_set.items],
            "config": asdict(config),
            "template": [PROMPTS[config.prompt], DOCUMENTS_INTRO if spec.retrieval else ""],
            "judge": judge_name,
            "batch_size": batch_size,
            "retrieval": retrieval,
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()

    def get(self, key: str, label: str) -> EvalResult | None:
        """The kept result, relabelled ``label``; None if there is none or it cannot be read."""
        path = self.root / f"{key}.json"
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            questions = [QuestionResult(**q) for q in data.pop("questions")]
            result = EvalResult(**{**data, "questions": questions, "label": label})
        except (OSError, ValueError, TypeError, KeyError):
            return None
        os.utime(path)  # recently used: kept when older entries are pruned
        return result

    def put(self, key: str, result: EvalResult) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=self.root, suffix=".tmp")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(result.to_dict(), handle)
        os.replace(tmp, self.root / f"{key}.json")
        self._prune()

    def _prune(self) -> None:
        entries = sorted(self.root.glob("*.json"), key=lambda p: p.stat().st_mtime, reverse=True)
        for old in entries[MAX_ENTRIES:]:
            old.unlink(missing_ok=True)
