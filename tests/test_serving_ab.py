"""A/B serving on the real default model: both sides stream, batched equals alone, memory, bad input, UI."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch

from backend.model_pool import ModelPool, model_bytes
from past.models import ModelRegistry
from past.serving.decode import decode_rows, eos_token_ids
from past.serving.engine import SideSpec, StopSignal, StreamEvent
from past.serving.generation import GenerationParams
from past.serving.prompts import prepare_prompt
from past.serving.transformers_engine import TransformersChatEngine, served_forward
from past.settings import BUNDLED_MODEL_NAME, Settings
from tests.lora_adapters import make_lora_adapter

pytestmark = pytest.mark.slow
QUESTION = [{"role": "user", "content": "What is the capital of France? Answer in two sentences."}]
LONGER = [
    {"role": "user", "content": "Name a fruit."},
    {"role": "assistant", "content": "An apple."},
    {"role": "user", "content": "And a vegetable that is green, please, with a short reason why you chose it."},
]


@pytest.fixture(scope="module")
def base_dir(session_settings: Settings) -> Path:
    return session_settings.models_dir / BUNDLED_MODEL_NAME


@pytest.fixture(scope="module")
def adapters(base_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("adapters")
    return make_lora_adapter(base_dir, root / "sft", seed=1), make_lora_adapter(base_dir, root / "skill", seed=2)


@pytest.fixture(scope="module")
def pool(session_settings: Settings) -> ModelPool:
    return ModelPool(ModelRegistry(session_settings), budget_bytes=8 * 1024**3)


def collect(events) -> tuple[dict[int, str], list[StreamEvent]]:
    texts: dict[int, str] = {}
    seen = []
    for event in events:
        seen.append(event)
        if event.kind == "text":
            texts[event.side] = texts.get(event.side, "") + event.text
    return texts, seen


def test_both_sides_stream_at_once(pool: ModelPool, adapters: tuple[Path, Path]) -> None:
    engine = TransformersChatEngine(pool)
    sides = [SideSpec("default", adapters[0]), SideSpec("default", adapters[1])]
    poem = [{"role": "user", "content": "Write a short poem about the sea."}]
    texts, events = collect(engine.stream(sides, [poem, poem], GenerationParams(max_new_tokens=16)))
    order = [e.side for e in events if e.kind == "text"]
    assert texts[0] and texts[1] and texts[0] != texts[1], "the two adapters must give different replies"
    first_b, last_a = order.index(1), len(order) - 1 - order[::-1].index(0)
    assert first_b < last_a, "side B must start streaming before side A has finished"
    assert sorted(e.side for e in events if e.kind == "done") == [0, 1]
    (entry,) = [e for e in pool.usage().entries if len(e.adapters) == 2]
    one_model = model_bytes(ModelRegistry(pool.registry.settings).load("default").model)
    assert entry.bytes <= 1.2 * one_model, "two adapters on a shared base cost at most 1.2x one model"


def test_batched_pair_is_token_identical_to_each_side_alone(
    pool: ModelPool, adapters: tuple[Path, Path], base_dir: Path
) -> None:
    """Greedy: the shared-base batch (unequal prompt lengths, so left padding) equals PEFT generating alone."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM

    params = GenerationParams(max_new_tokens=12)
    conversations = [QUESTION, LONGER, QUESTION]
    rows = [str(adapters[0].resolve()), str(adapters[1].resolve()), None]
    with pool.acquire("default", list(adapters)) as served:
        prompts = [prepare_prompt(served.tokenizer, c, 12, 8192).ids for c in conversations]
        together: list[list[int]] = [[] for _ in rows]
        eos = eos_token_ids(served.model, served.tokenizer)
        pad = served.tokenizer.pad_token_id
        for steps in decode_rows(served_forward(served, rows), prompts, [12] * 3, params, eos, pad):
            for step in steps:
                if step.token is not None:
                    together[step.row].append(step.token)

    reference = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_dir), str(adapters[0]), "sft")
    reference.load_adapter(str(adapters[1]), adapter_name="skill")
    reference.eval()
    alone = []
    for prompt, adapter in zip(prompts, ["sft", "skill", None], strict=True):
        ids = torch.tensor([prompt])
        with torch.inference_mode():
            if adapter is None:
                with reference.disable_adapter():
                    out = reference.generate(
                        input_ids=ids, attention_mask=torch.ones_like(ids), **params.generate_kwargs()
                    )
            else:
                reference.set_adapter(adapter)
                out = reference.generate(input_ids=ids, attention_mask=torch.ones_like(ids), **params.generate_kwargs())
        alone.append([t for t in out[0, len(prompt) :].tolist() if t not in eos])
    assert together == alone
    assert len({tuple(t) for t in together}) == 3


def test_merged_checkpoint_side_and_memory_budget(
    session_settings: Settings, adapters: tuple[Path, Path], base_dir: Path, tmp_path: Path
) -> None:
    """A merged full checkpoint is its own entry; under a small budget the pool evicts or refuses clearly."""
    from peft import PeftModel
    from transformers import AutoModelForCausalLM, AutoTokenizer

    merged_dir = tmp_path / "merged"
    merged = PeftModel.from_pretrained(AutoModelForCausalLM.from_pretrained(base_dir), str(adapters[0]))
    merged.merge_and_unload().save_pretrained(merged_dir)
    AutoTokenizer.from_pretrained(base_dir).save_pretrained(merged_dir)

    registry = ModelRegistry(session_settings)
    one = model_bytes(registry.load("default").model)
    small = ModelPool(registry, budget_bytes=int(one * 1.5))
    engine = TransformersChatEngine(small)
    sides = [SideSpec("default", adapters[1]), SideSpec(str(merged_dir))]
    texts, events = collect(engine.stream(sides, [QUESTION, QUESTION], GenerationParams(max_new_tokens=8)))
    errors = [e for e in events if e.kind == "error"]
    assert [e.side for e in errors] == [1] and "model memory" in errors[0].text, "side B is refused clearly"
    assert texts[0], "side A keeps answering"

    with small.acquire(str(merged_dir)):  # nothing held now: the base entry is evicted to make room
        assert [Path(e.key).name for e in small.usage().entries] == ["merged"]
    roomy = TransformersChatEngine(ModelPool(registry, budget_bytes=one * 4))
    texts, events = collect(roomy.stream(sides, [QUESTION, QUESTION], GenerationParams(max_new_tokens=8)))
    assert texts[0] and texts[1] and not [e for e in events if e.kind == "error"]


def test_bad_inputs_get_clear_messages_and_the_other_side_goes_on(
    pool: ModelPool, adapters: tuple[Path, Path], tmp_path: Path
) -> None:
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{}")
    (broken / "model.safetensors").write_bytes(b"\x00garbage")
    engine = TransformersChatEngine(pool, context_tokens=128)
    long_message = [{"role": "user", "content": "Paris is a city. " * 200 + "What is Paris?"}]
    empty = [{"role": "user", "content": "  "}]
    sides = [SideSpec("default", adapters[0]), SideSpec(str(broken)), SideSpec("default"), SideSpec("default")]
    stop = StopSignal()
    events = []
    for event in engine.stream(sides, [long_message, QUESTION, empty, QUESTION], GenerationParams(12), stop):
        events.append(event)
        if event.side == 3 and event.kind == "text":
            stop.stop(3)  # a stopped stream: side 3 ends, the others go on
    by_side = {i: [e for e in events if e.side == i] for i in range(4)}
    notices = [e.text for e in by_side[0] if e.kind == "notice"]
    assert notices and "only its last" in notices[0], "a too long prompt is shortened with a visible notice"
    assert by_side[0][-1].kind == "done" and "".join(e.text for e in by_side[0] if e.kind == "text")
    assert by_side[1][0].kind == "error" and str(broken) in by_side[1][0].text
    assert by_side[2][0].kind == "error" and "empty" in by_side[2][0].text
    assert by_side[3][-1].finish_reason == "stopped"
    assert len([e for e in by_side[3] if e.kind == "text"]) <= 2


def test_ab_screen_answers_through_gradio_client(studio_url: str, adapters: tuple[Path, Path]) -> None:
    from gradio_client import Client

    client = Client(studio_url, verbose=False)
    args = dict(
        hist_a=[],
        hist_b=[],
        m_a=BUNDLED_MODEL_NAME,
        ad_a=str(adapters[0]),
        m_b=BUNDLED_MODEL_NAME,
        ad_b=str(adapters[1]),
        limit=16,
        temp=0,
        nucleus=1,
    )
    chat_a, chat_b, _prompt, status_a, status_b, usage = client.predict(
        "What is the capital of France?", *args.values(), api_name="/ab_chat"
    )
    assert chat_a[-1]["role"] == "assistant" and chat_a[-1]["content"]
    assert chat_b[-1]["role"] == "assistant" and chat_b[-1]["content"] != chat_a[-1]["content"]
    assert f"Side A: {BUNDLED_MODEL_NAME} + adapter" in status_a and "Model memory" in usage  # what the side is
    loaded = re.search(r"(\d+) adapter", usage)  # this test's two, plus any other test's on the shared studio
    assert loaded and int(loaded.group(1)) >= 2
    with pytest.raises(Exception, match="Type a message first"):
        client.predict("   ", *args.values(), api_name="/ab_chat")
    args["ad_b"] = "/no/such/adapter"
    chat_a, chat_b, _, _, status_b, _ = client.predict("Hello!", *args.values(), api_name="/ab_chat")
    assert chat_a[-1]["content"] and "not found" in status_b
