"""Serving on tiny random models: prompt policy, stacked LoRA batches, the decode loop, the model pool."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from backend.model_pool import ModelPool, model_bytes
from past.models import ModelRegistry
from past.serving.decode import decode_rows, model_forward
from past.serving.engine import SideSpec, StopSignal
from past.serving.errors import (
    AdapterError,
    EmptyPromptError,
    EngineUnavailableError,
    MemoryBudgetError,
    PromptTooLongError,
)
from past.serving.generation import GenerationParams
from past.serving.lora_batch import StackedLora
from past.serving.prompts import prepare_prompt
from past.serving.transformers_engine import TransformersChatEngine
from past.serving.vllm_engine import VllmChatEngine, vllm_unavailable_reason
from past.settings import Settings
from tests.lora_adapters import lora_config, make_lora_adapter, make_tiny_chat_model

WORDS = "the a of and to in is was for on that by with as it at from his an were are which this be"


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    return make_tiny_chat_model(tmp_path / "tiny", seed=0)


@pytest.fixture
def tokenizer(tiny: Path):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny)


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(Settings.load(tmp_path / "data").ensure())


def user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


# --- prompt policy ---------------------------------------------------------------------------------
def test_empty_prompt_is_refused(tokenizer) -> None:
    with pytest.raises(EmptyPromptError, match="empty"):
        prepare_prompt(tokenizer, [user("   ")], 8, 128)
    with pytest.raises(EmptyPromptError):
        prepare_prompt(tokenizer, [], 8, 128)


def test_short_prompt_is_untouched(tokenizer) -> None:
    prompt = prepare_prompt(tokenizer, [user("the cat is in the a")], 8, 128)
    assert prompt.notice == "" and prompt.max_new_tokens == 8


def test_long_conversation_drops_oldest_turns_with_notice(tokenizer) -> None:
    history = []
    for _ in range(6):
        history += [user(WORDS), {"role": "assistant", "content": WORDS}]
    history.append(user("is it the a"))
    prompt = prepare_prompt(tokenizer, history, 16, 96)
    assert len(prompt.ids) + prompt.max_new_tokens <= 96
    assert "oldest" in prompt.notice
    # the template writes "role : content ." per turn, then "a :" (':' and role names are unknown words)
    assert tokenizer.decode(prompt.ids).endswith("is it the a . a <unk>"), "the newest message must be kept"


def test_too_long_message_keeps_its_end_with_notice(tokenizer) -> None:
    words = WORDS.split()
    message = " ".join(words * 10) + " 1 2 3"
    prompt = prepare_prompt(tokenizer, [user(message)], 16, 64)
    assert len(prompt.ids) + 16 <= 64
    assert "only its last" in prompt.notice
    assert "1 2 3" in tokenizer.decode(prompt.ids)


def test_prompt_that_cannot_fit_is_refused(tokenizer) -> None:
    system = {"role": "system", "content": WORDS * 3}
    with pytest.raises(PromptTooLongError, match="no room"):
        prepare_prompt(tokenizer, [system, user("the")], 4, 24)


def test_bad_generation_settings_are_refused() -> None:
    with pytest.raises(Exception, match="at least 1"):
        GenerationParams(max_new_tokens=0)
    with pytest.raises(Exception, match="top-p"):
        GenerationParams(top_p=0)


# --- stacked LoRA and the decode loop --------------------------------------------------------------
def tiny_peft(tiny: Path):
    from peft import get_peft_model
    from transformers import AutoModelForCausalLM

    torch.manual_seed(1)
    model = get_peft_model(AutoModelForCausalLM.from_pretrained(tiny), lora_config(), adapter_name="one")
    torch.manual_seed(2)
    model.add_adapter("two", lora_config(r=4))
    return model.eval()


def test_stacked_lora_equals_peft_mixed_batch(tiny: Path) -> None:
    model = tiny_peft(tiny)
    ids = torch.randint(3, 60, (3, 7))
    rows = ["one", "two", "__base__"]
    with torch.inference_mode():
        reference = model(input_ids=ids, adapter_names=rows).logits
        stacked = StackedLora(model)
        with stacked.rows(rows):
            fast = model(input_ids=ids).logits
        plain = model(input_ids=ids).logits
        with model.disable_adapter():
            base = model(input_ids=ids).logits
    assert not torch.allclose(reference[0], reference[1], atol=1e-3), "the adapters must really differ"
    torch.testing.assert_close(fast, reference, atol=1e-5, rtol=1e-5)
    torch.testing.assert_close(plain, base), "outside rows(), the model is the base model"
    with pytest.raises(ValueError, match="not loaded"), stacked.rows(["c"]):
        pass


def test_batched_rows_decode_like_each_row_alone(tiny: Path) -> None:
    model = tiny_peft(tiny)
    stacked = StackedLora(model)
    prompts = [[5, 6, 7, 8, 9, 10, 11], [12, 13, 14], [20, 21, 22, 23, 24]]  # unequal: left padding
    names = ["one", "two", "__base__"]
    params = GenerationParams(max_new_tokens=12)

    def forward_for(rows_names):
        def forward(input_ids, attention_mask, position_ids, cache, rows):
            with stacked.rows([rows_names[r] for r in rows]):
                return model_forward(model)(input_ids, attention_mask, position_ids, cache, rows)

        return forward

    def run(prompt_list, row_names):
        out = [[] for _ in prompt_list]
        for steps in decode_rows(forward_for(row_names), prompt_list, [12] * len(prompt_list), params, {2}, 2):
            for step in steps:
                if step.token is not None:
                    out[step.row].append(step.token)
        return out

    together = run(prompts, names)
    alone = [run([p], [n])[0] for p, n in zip(prompts, names, strict=True)]
    assert together == alone
    assert len({tuple(t) for t in together}) == 3


def test_decode_stops_rows_on_eos_length_and_stop(tiny: Path) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny).eval()
    forward = model_forward(model)
    first = next(decode_rows(forward, [[5, 6, 7]], [4], GenerationParams(4), set(), 2))[0]
    eos = {first.token}  # the first greedy token, declared EOS: the row ends at once without text
    steps = list(decode_rows(forward, [[5, 6, 7], [9, 9]], [4, 4], GenerationParams(4), eos, 2))
    assert steps[0][0].finish == "eos" and steps[0][0].token is None
    assert steps[-1][-1].finish == "length"
    stopped = list(decode_rows(forward, [[5, 6]], [50], GenerationParams(50), set(), 2, is_stopped=lambda r: True))
    assert stopped == [[stopped[0][0]]] and stopped[0][0].finish == "stopped"


def test_sampling_is_repeatable_with_a_seed(tiny: Path) -> None:
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny).eval()
    params = GenerationParams(max_new_tokens=10, temperature=1.0, top_p=0.9, seed=7)

    def sample():
        return [s.token for steps in decode_rows(model_forward(model), [[5, 6]], [10], params, set(), 2) for s in steps]

    assert sample() == sample()


# --- the model pool --------------------------------------------------------------------------------
def test_pool_evicts_least_recently_used_under_budget(tmp_path: Path, registry: ModelRegistry) -> None:
    paths = [str(make_tiny_chat_model(tmp_path / f"m{i}", seed=i)) for i in range(3)]
    size = model_bytes(registry.load(paths[0]).model)
    pool = ModelPool(registry, budget_bytes=int(size * 2.5))
    pool.get(paths[0])
    pool.get(paths[1])
    pool.get(paths[0])  # m0 is now the most recently used
    pool.get(paths[2])
    usage = pool.usage()
    assert [Path(e.key).name for e in usage.entries] == ["m0", "m2"]
    assert usage.used_bytes == 2 * size and usage.budget_bytes == int(size * 2.5)
    assert "Model memory" in usage.describe()


def test_pool_never_evicts_a_model_in_use(tmp_path: Path, registry: ModelRegistry) -> None:
    paths = [str(make_tiny_chat_model(tmp_path / f"m{i}", seed=i)) for i in range(2)]
    size = model_bytes(registry.load(paths[0]).model)
    pool = ModelPool(registry, budget_bytes=int(size * 1.5))
    with pool.acquire(paths[0]):
        with pytest.raises(MemoryBudgetError, match="held by chats running now"):
            pool.get(paths[1])
        assert pool.usage().entries[0].in_use == 1
    pool.get(paths[1])  # once released, m0 makes room
    assert [Path(k).name for k in pool.loaded()] == ["m1"]
    with pytest.raises(MemoryBudgetError, match="more than the whole model memory budget"):
        ModelPool(registry, budget_bytes=size // 4).get(paths[0])


def test_pool_loads_adapters_into_one_base(tmp_path: Path, registry: ModelRegistry) -> None:
    base = make_tiny_chat_model(tmp_path / "base")
    a = make_lora_adapter(base, tmp_path / "ad-a", seed=1)
    b = make_lora_adapter(base, tmp_path / "ad-b", seed=2)
    pool = ModelPool(registry, budget_bytes=10**9)
    with pool.acquire(str(base), [a]) as first, pool.acquire(str(base), [b]) as second:
        assert first is second and first.is_peft and first.stacked is not None
        assert set(first.adapter_names) == {str(a.resolve()), str(b.resolve())}
    (entry,) = pool.usage().entries
    assert len(entry.adapters) == 2 and entry.bytes > model_bytes(registry.load(str(base)).model)


def test_bad_adapters_are_refused_clearly(tmp_path: Path, registry: ModelRegistry) -> None:
    base = str(make_tiny_chat_model(tmp_path / "base"))
    pool = ModelPool(registry, budget_bytes=10**9)
    with pytest.raises(AdapterError, match="not found"), pool.acquire(base, [tmp_path / "nope"]):
        pass
    pickled = tmp_path / "pickled"
    pickled.mkdir()
    (pickled / "adapter_config.json").write_text('{"peft_type": "LORA"}')
    (pickled / "adapter_model.bin").write_bytes(b"not loaded")
    with pytest.raises(AdapterError, match="only safetensors"), pool.acquire(base, [pickled]):
        pass
    other = make_tiny_chat_model(tmp_path / "wider", hidden=64, intermediate=128)
    wrong = make_lora_adapter(other, tmp_path / "wrong-base", seed=3)
    with pytest.raises(AdapterError, match="does not fit this model"), pool.acquire(base, [wrong]):
        pass
    assert pool.usage().entries[0].in_use == 0, "a refused adapter must not leave the base held"


# --- the engine on tiny models ---------------------------------------------------------------------
def test_engine_isolates_a_failing_side_and_stops_one_side(tmp_path: Path, registry: ModelRegistry) -> None:
    base = make_tiny_chat_model(tmp_path / "base")
    engine = TransformersChatEngine(ModelPool(registry, budget_bytes=10**9))
    sides = [SideSpec(str(base)), SideSpec(str(tmp_path / "missing")), SideSpec(str(base))]
    stop = StopSignal()
    events = []
    for event in engine.stream(sides, [[user("the a")]] * 3, GenerationParams(max_new_tokens=20), stop):
        events.append(event)
        if event.side == 2 and event.kind == "ready":
            stop.stop(2)
    by_side = {i: [e for e in events if e.side == i] for i in range(3)}
    assert by_side[1] == [by_side[1][0]] and by_side[1][0].kind == "error" and "missing" in by_side[1][0].text
    assert by_side[0][-1].kind == "done" and by_side[0][-1].finish_reason in ("eos", "length")
    assert by_side[2][-1].finish_reason == "stopped"


# --- vLLM ------------------------------------------------------------------------------------------
def test_vllm_engine_says_clearly_why_it_cannot_start_here() -> None:
    reason = vllm_unavailable_reason()
    if reason is None:
        pytest.skip("vLLM and a GPU are present: the GPU test covers the engine")
    with pytest.raises(EngineUnavailableError, match="vLLM engine cannot start"):
        VllmChatEngine("/nonexistent")


def test_engine_refuses_clearly_when_all_reply_slots_stay_busy(tmp_path: Path, registry: ModelRegistry) -> None:
    from past.serving.errors import ServingError

    base = make_tiny_chat_model(tmp_path / "base")
    engine = TransformersChatEngine(ModelPool(registry, budget_bytes=10**9), max_streams=1, wait_seconds=0.2)
    params = GenerationParams(max_new_tokens=4)
    first = engine.stream([SideSpec(str(base))], [[user("the a")]], params)
    assert next(first).kind == "ready"
    with pytest.raises(ServingError, match="reply slots"):
        next(engine.stream([SideSpec(str(base))], [[user("the a")]], params))
    first.close()  # a closed stream gives its slot back
    assert next(engine.stream([SideSpec(str(base))], [[user("the a")]], params)).kind == "ready"
