"""The vLLM engine on a GPU: two adapters on one base stream at once (skipped without a GPU and vllm)."""

from __future__ import annotations

from pathlib import Path

import pytest

from past.serving.engine import SideSpec
from past.serving.generation import GenerationParams
from past.serving.vllm_engine import vllm_unavailable_reason
from past.settings import BUNDLED_MODEL_NAME, Settings
from tests.lora_adapters import make_lora_adapter

REASON = vllm_unavailable_reason()
pytestmark = [pytest.mark.slow, pytest.mark.skipif(REASON is not None, reason=f"vLLM path skipped: {REASON}")]


def test_vllm_ab_pair_streams_with_two_adapters(session_settings: Settings, tmp_path: Path) -> None:
    from past.serving.vllm_engine import VllmChatEngine

    base = session_settings.models_dir / BUNDLED_MODEL_NAME
    a = make_lora_adapter(base, tmp_path / "a", seed=1)
    b = make_lora_adapter(base, tmp_path / "b", seed=2)
    engine = VllmChatEngine(base, model_ref="default", max_loras=2, max_lora_rank=8, gpu_memory_utilization=0.3)
    try:
        question = [{"role": "user", "content": "Write a short poem about the sea."}]
        texts: dict[int, str] = {}
        events = list(
            engine.stream([SideSpec("default", a), SideSpec("default", b)], [question] * 2, GenerationParams(24))
        )
        for event in events:
            if event.kind == "text":
                texts[event.side] = texts.get(event.side, "") + event.text
        assert texts.get(0) and texts.get(1) and texts[0] != texts[1]
        assert sorted(e.side for e in events if e.kind == "done") == [0, 1]
        empty = list(engine.stream([SideSpec("default")], [[{"role": "user", "content": ""}]], GenerationParams(4)))
        assert empty[0].kind == "error" and "empty" in empty[0].text
    finally:
        engine.close()
