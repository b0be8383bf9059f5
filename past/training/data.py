"""Training data as ``datasets.Dataset``: passages, synthetic records (JSONL) and QA pairs.

Accepted record shapes (JSON objects, one per JSONL line): ``{"text": ...}``, ``{"messages": [...]}``,
``{"prompt": ..., "completion": ...}`` and ``{"question": ..., "answer": ...}`` (optionally ``answers``,
``doc_id``). SFT data is rendered to plain text (chat records through the tokenizer's chat template);
GRPO data keeps the question only, as a chat prompt, with the reference answers alongside.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from datasets import Dataset

from past.datasets import read_jsonl
from past.datasets.jsonl import read_json
from past.errors import PastError


class TrainingDataError(PastError):
    """The training data is missing, empty or malformed."""


def load_records(path: str | Path) -> list[dict[str, Any]]:
    """Read a JSONL (or JSON list) file of records, with the line number of any malformed one."""
    path = Path(path)
    if not path.is_file():
        raise TrainingDataError(f"training data file not found: {path}")
    if path.suffix == ".json":
        data = read_json(path, TrainingDataError, str(path))
        if not isinstance(data, list):
            raise TrainingDataError(f"{path} must hold a JSON list of records")
        return [_check_record(r, path, i + 1) for i, r in enumerate(data)]
    return read_jsonl(path, TrainingDataError)


def _check_record(record: Any, path: Path, number: int) -> dict[str, Any]:
    if not isinstance(record, dict):
        raise TrainingDataError(f"{path}:{number} must be a JSON object")
    return record


def chat_text(tokenizer: Any, messages: list[dict[str, str]]) -> str:
    """A conversation as one training text, in the model's chat format when it has one.

    Trainers tokenize a text with the tokenizer's special tokens, so a BOS the template writes is dropped when the
    tokenizer adds one itself (Gemma): the model trains on the one BOS it sees at inference, not two.
    """
    if not getattr(tokenizer, "chat_template", None):
        return "\n".join(f"{m['role']}: {m['content']}" for m in messages)
    text = tokenizer.apply_chat_template(messages, tokenize=False)
    bos = getattr(tokenizer, "bos_token", None)
    if bos and text.startswith(bos) and tokenizer("x")["input_ids"][:1] == [tokenizer.bos_token_id]:
        text = text[len(bos) :]
    return text


def record_to_text(record: dict[str, Any], tokenizer: Any) -> str:
    """One SFT training text from any accepted record shape."""
    if isinstance(record.get("text"), str):
        return record["text"]
    if isinstance(record.get("messages"), list):
        return chat_text(tokenizer, record["messages"])
    if "prompt" in record and "completion" in record:
        prompt, completion = record["prompt"], record["completion"]
        if isinstance(prompt, list):
            return chat_text(tokenizer, [*prompt, *completion])
        return f"{prompt}{completion}"
    if "question" in record and ("answer" in record or "answers" in record):
        answer = record.get("answer") or (record.get("answers") or [""])[0]
        return chat_text(
            tokenizer, [{"role": "user", "content": record["question"]}, {"role": "assistant", "content": answer}]
        )
    raise TrainingDataError(f"unrecognised training record (keys: {sorted(record)})")


def build_sft_dataset(
    tokenizer: Any,
    texts: Iterable[str] = (),
    records: Iterable[dict[str, Any]] = (),
    chats: Iterable[tuple[str, str]] = (),
) -> Dataset:
    """A ``text`` dataset from passages, records and (question, answer) chat pairs."""
    rows = [t for t in texts if t and t.strip()]
    rows += [record_to_text(r, tokenizer) for r in records]
    rows += [
        chat_text(tokenizer, [{"role": "user", "content": q}, {"role": "assistant", "content": a}]) for q, a in chats
    ]
    rows = [r for r in rows if r.strip()]
    if not rows:
        raise TrainingDataError("no SFT training text: give documents, records or QA pairs")
    return Dataset.from_dict({"text": rows})


def build_grpo_dataset(
    pairs: Sequence[dict[str, Any]], system_prompt: str | None = None, styles: Sequence[str] = ("question",)
) -> Dataset:
    """Closed-book prompts: each question asked in each prompt style (a chat turn); references in ``answers``, the
    style in ``style`` (the reward judges only what that style calls the answer)."""
    from past.evaluation.prompts import render_prompt

    prompts, answers, row_styles = [], [], []
    for style in styles:
        for pair in pairs:
            messages = [{"role": "system", "content": system_prompt}] if system_prompt else []
            prompts.append([*messages, {"role": "user", "content": render_prompt(pair["question"], style)}])
            answers.append(list(pair["answers"]))
            row_styles.append(style)
    return Dataset.from_dict({"prompt": prompts, "answers": answers, "style": row_styles})
