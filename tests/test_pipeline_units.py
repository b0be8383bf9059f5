"""Fast unit tests of the one pipeline's pieces: sources, data recipes, round splits, configs and presets."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
import torch
from peft import LoraConfig, get_peft_model
from safetensors.torch import load_file
from transformers import LlamaForCausalLM

from past.documents.chunking import Chunk
from past.errors import ConfigError
from past.pipeline import PRESETS, AdaptConfig, DataRecipe, load_sources
from past.pipeline.data_recipe import item_quality, sentence_permutations, training_texts
from past.pipeline.recipe import split_sources
from past.skills import skill_from_adapter
from past.skills.forms.lora import LoraDelta
from past.synthesis.items import Provenance, SynthItem
from past.synthesis.pipeline import SynthesisStats
from tests.tiny_models import make_tiny_llama

ROOT = Path(__file__).resolve().parent.parent
SQUAD = ROOT.parent / "shared" / "data" / "squad" / "train_passages_with_implications.json"


class ChatTokenizer:
    chat_template = "x"

    def apply_chat_template(self, messages, tokenize=False):
        return " | ".join(f"{m['role']}: {m['content']}" for m in messages)


def test_sources_read_documents_and_their_questions() -> None:
    sources = load_sources([ROOT / "assets" / "corpora" / "skill-source"])
    assert len(sources.documents) == 4 and len(sources.qa) == 40
    assert {q.doc_id for q in sources.qa.items} == {d.doc_id for d in sources.documents}
    half = sources.subset([sources.documents[0].doc_id])
    assert len(half.documents) == 1 and {q.doc_id for q in half.qa.items} == {sources.documents[0].doc_id}


@pytest.mark.skipif(not SQUAD.is_file(), reason="needs ../shared/data/squad (the shared data beside the project)")
def test_squad_passages_bring_their_implications_and_split_into_disjoint_rounds() -> None:
    sources = load_sources([SQUAD], limit=6)
    assert len(sources.documents) == 6 and all(len(v) == 10 for v in sources.provided.values())
    rounds = split_sources(sources, 2, 3)
    ids = [{d.doc_id for d in r.documents} for r in rounds]
    assert [len(i) for i in ids] == [3, 3] and not ids[0] & ids[1]
    for part, docs in zip(rounds, ids, strict=True):
        assert part.qa.items and {q.doc_id for q in part.qa.items} <= docs
    with pytest.raises(ConfigError, match="cannot make 3"):
        split_sources(sources, 3, 3)


def test_training_texts_follow_the_recipe_and_are_deterministic() -> None:
    chunk = Chunk("d", 0, "Ada built the loom. It ran in 1843. People came to see it.", 0, 15)
    stamp = Provenance("d", 0, "gen", "implications", 7, "now")
    items = [
        SynthItem("implication", "", "Ada was an engineer.", stamp),
        SynthItem("implication", "", "The loom is old.", stamp),
        SynthItem("qa", "When did the loom run?", "1843", Provenance("d", 0, "gen", "factual", 7, "now")),
    ]
    recipe = DataRecipe(passage_copies=2, permutations=2, synthesis=["implications", "qa"], provided=1)
    texts, counts = training_texts([chunk], items, recipe, ChatTokenizer(), seed=3, provided={"d": ["given", "more"]})
    assert counts == {"passage": 2, "permutation": 2, "provided": 1, "implication": 1, "qa": 1}
    assert "Ada was an engineer.\nThe loom is old." in texts  # one text per generation
    assert any("Question: When did the loom run?" in t and "assistant: 1843" in t for t in texts)
    assert texts == training_texts([chunk], items, recipe, ChatTokenizer(), seed=3, provided={"d": ["given"]})[0]
    permuted = sentence_permutations(chunk.text, 5, random.Random(0))
    assert permuted and all(sorted(p.split(". ")) != p.split(". ") or p != chunk.text for p in permuted)
    assert sentence_permutations("One sentence only.", 3, random.Random(0)) == []


def test_item_quality_measures_support_by_the_passage() -> None:
    chunk = Chunk("d", 0, "The loom ran in 1843 in Leeds.", 0, 9)
    grounded = SynthItem("implication", "", "the loom ran in Leeds", Provenance("d", 0, "g", "i", 0, "t"))
    invented = SynthItem("implication", "", "dragons sang loudly", Provenance("d", 0, "g", "i", 0, "t"))
    quality = item_quality([chunk], [grounded, invented], SynthesisStats(generations=4, malformed=1))
    assert quality["well_formed_rate"] == 0.75 and quality["items"] == 2
    assert quality["mean_passage_support"] == pytest.approx(0.5)


def test_presets_and_config_validation() -> None:
    assert {"short-notes", "passage-only"} <= set(PRESETS)
    config = AdaptConfig.from_preset("passage-only", mode="sft", seed=4)
    assert config.stages[0].data.synthesis == [] and config.stages[0].sft_config(4).seed == 4
    again = AdaptConfig.from_dict(json.loads(json.dumps(config.to_dict())))
    assert again == config  # JSON round trip: jobs and runs record it
    with pytest.raises(ConfigError, match="unknown preset"):
        AdaptConfig.from_preset("everything")
    with pytest.raises(ConfigError, match="unknown adaptation mode"):
        AdaptConfig.from_preset("short-notes", mode="magic")
    with pytest.raises(ConfigError, match="unknown synthesis task"):
        DataRecipe.from_dict({"synthesis": ["poems"]})
    with pytest.raises(ConfigError, match="LoRA"):
        AdaptConfig.from_dict({"stages": [{"name": "x", "sft": {"method": "full"}}]})


def test_skill_from_adapter_stores_bf16_with_the_same_delta(tmp_path: Path) -> None:
    base = make_tiny_llama(tmp_path / "base")
    torch.manual_seed(1)
    model = get_peft_model(
        LlamaForCausalLM.from_pretrained(base), LoraConfig(r=4, lora_alpha=8, target_modules="all-linear")
    )
    for name, param in model.named_parameters():
        if "lora_B" in name:
            torch.nn.init.normal_(param, std=0.1)
    model.save_pretrained(tmp_path / "adapter")
    skill = skill_from_adapter(
        tmp_path / "adapter", tmp_path / "skill", name="s", base_fingerprint="f", dtype=torch.bfloat16
    )
    skill.close()
    assert {t.dtype for t in load_file(tmp_path / "skill" / "adapter_model.safetensors").values()} == {torch.bfloat16}
    original, stored = LoraDelta(tmp_path / "adapter"), LoraDelta(tmp_path / "skill")
    for name in original.names():
        a, b = original.dense(name), stored.dense(name)
        assert (a - b).norm() <= 0.01 * a.norm()
    original.close()
    stored.close()


def test_job_kinds_name_the_same_presets_judges_and_prompts() -> None:
    from backend.jobs.kinds.adapt import PRESET_NAMES
    from backend.jobs.kinds.evaluate import JUDGES, PROMPT_STYLES
    from past.evaluation.prompts import PROMPTS
    from past.judges import JUDGE_KINDS

    assert PRESET_NAMES == list(PRESETS) and JUDGES == list(JUDGE_KINDS) and PROMPT_STYLES == list(PROMPTS)
