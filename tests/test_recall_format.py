"""Recall, then answer: only the answer line is judged (evaluation, GRPO reward), the recall line is shown, never
scored; Stage I trains its sources with the preset it is built for and records what RL had to learn from."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from backend.jobs.errors import ParamTypeError
from backend.jobs.kinds.build_skill import BuildSkillParams, recipe_for
from backend.jobs.params import build_params
from past.adapt_params import preset_mismatch
from past.documents.chunking import Chunk
from past.errors import ConfigError
from past.evaluation import EvalConfig
from past.evaluation.prompts import PROMPTS, recall_reply, render_prompt, split_reply
from past.judges import RuleQAJudge, ShortAnswerReward
from past.pipeline import PRESETS, AdaptConfig, DataRecipe
from past.pipeline.build_skill import source_adapt_config
from past.pipeline.data_recipe import supporting_sentence, training_texts
from past.pipeline.practice import load_practice
from past.pipeline.recipe import SkillRecipe
from past.synthesis.items import Provenance, SynthItem
from past.training.data import build_grpo_dataset
from past.training.grpo import GroupLog, judge_reward
from studio.recall_view import NO_ANSWER, REMEMBERED, recall_markdown
from studio.skill_card import practice_lines
from tests.bench_modules import load_bench

ROOT = Path(__file__).resolve().parent.parent
SENTENCE = "Super Bowl 50 was played on February 7, 2016, at Levi's Stadium in Santa Clara."


class ChatTokenizer:
    chat_template = "x"

    def apply_chat_template(self, messages, tokenize=False):
        return " | ".join(f"{m['role']}: {m['content']}" for m in messages)


def test_split_reply_takes_only_the_answer_line() -> None:
    assert split_reply(f"{SENTENCE}\nAnswer: Levi's Stadium\nmore text", "recall") == ("Levi's Stadium", SENTENCE)
    assert split_reply(f"{SENTENCE}\n**Answer:** Santa Clara", "recall") == ("Santa Clara", SENTENCE)
    # no answer line: nothing is answered, however much of the passage it recites
    assert split_reply(SENTENCE, "recall") == ("", SENTENCE)
    # direct styles keep their first line and have no recall
    assert split_reply(" Paris.\n\nQuestion: next?", "paper") == ("Paris.", "")
    assert "Remembered:" in render_prompt("Where?", "recall") and "recall" in PROMPTS


def test_recall_evaluation_gets_room_for_a_sentence_and_the_answer() -> None:
    assert EvalConfig(prompt="recall").answer_tokens >= 96
    assert EvalConfig(prompt="paper").answer_tokens == 32
    with pytest.raises(Exception, match="max_new_tokens"):
        EvalConfig(max_new_tokens=0)


@pytest.mark.parametrize("judge", [RuleQAJudge(), ShortAnswerReward(bonus=0.3)])
def test_the_reward_cannot_be_earned_by_reciting(judge) -> None:
    dataset = build_grpo_dataset(
        [{"question": "Where was Super Bowl 50 played?", "answers": ["Levi's Stadium"]}], styles=("recall",)
    )
    row = dataset[0]
    assert row["style"] == "recall"
    log = GroupLog(group_size=2)
    reward = judge_reward(judge, log)
    recited = [{"role": "assistant", "content": SENTENCE}]  # contains the answer, no answer line
    answered = [{"role": "assistant", "content": recall_reply(SENTENCE, "Levi's Stadium")}]
    scores = reward(
        prompts=[row["prompt"]] * 2, completions=[recited, answered], answers=[row["answers"]] * 2, style=["recall"] * 2
    )
    assert scores[0] == 0.0 and scores[1] >= 1.0
    assert log.correct_groups == [1.0] and log.correct_rollouts == [0.5]
    reward(
        prompts=[row["prompt"]] * 2, completions=[recited, recited], answers=[row["answers"]] * 2, style=["recall"] * 2
    )
    assert log.correct_groups == [1.0, 0.0]


def test_synthetic_qa_in_the_recall_format_recites_the_passage_sentence() -> None:
    text = f"The game was close. {SENTENCE} Denver won."
    chunk = Chunk("d", 0, text, 0, 30)
    prov = Provenance("d", 0, "gen", "factual", 0, "now")
    items = [
        SynthItem(kind="qa", prompt="Where was Super Bowl 50 played?", completion="Levi's Stadium", provenance=prov),
        SynthItem(kind="qa", prompt="Who sang?", completion="Beyonce", provenance=prov),  # no sentence holds it
    ]
    recipe = DataRecipe(synthesis=["qa"], qa_prompt="recall")
    texts, counts = training_texts([chunk], items, recipe, ChatTokenizer(), seed=0)
    assert counts == {"passage": 1, "qa": 1}
    assert f"{SENTENCE}\nAnswer: Levi's Stadium" in texts[1] and "Remembered:" in texts[1]
    assert supporting_sentence(text, "Beyonce") == ""


def test_each_implication_line_can_be_its_own_document() -> None:
    chunk = Chunk("d", 0, "A passage.", 0, 3)
    prov = Provenance("d", 0, "gen", "implications", 0, "now")
    items = [SynthItem(kind="implication", prompt="", completion=c, provenance=prov) for c in ("One.", "Two.")]
    grouped, _ = training_texts([chunk], items, DataRecipe(), ChatTokenizer(), seed=0)
    split, counts = training_texts([chunk], items, DataRecipe(split_synthetic=True), ChatTokenizer(), seed=0)
    assert grouped[1:] == ["One.\nTwo."] and split[1:] == ["One.", "Two."] and counts["implication"] == 2


def test_a_skill_built_for_a_preset_trains_its_sources_with_that_preset() -> None:
    recipe = SkillRecipe(name="s", sources=["x"], preset="short-notes", data={"provided": 3})
    recipe.validate()
    config = source_adapt_config(recipe, k=2)
    target = AdaptConfig.from_preset("short-notes", mode="sft", seed=config.seed)
    assert config.preset == "short-notes" and len(config.stages) == len(target.stages)
    for source, stage in zip(config.stages, target.stages, strict=True):
        assert {k: v for k, v in source.sft.items() if k != "seed"} == {
            k: v for k, v in stage.sft.items() if k != "seed"
        }
        assert {**stage.data.to_dict(), "provided": 3} == source.data.to_dict()
    assert source.sft["batch_size"] == PRESETS["short-notes"]["stages"][0]["sft"]["batch_size"]
    with pytest.raises(ConfigError, match="that preset's data and SFT settings"):
        SkillRecipe(name="s", sources=["x"], preset="short-notes", sft={"num_train_epochs": 2}).validate()
    with pytest.raises(ConfigError, match="unknown preset"):
        SkillRecipe(name="s", sources=["x"], preset="nope").validate()
    # a recipe without a preset keeps its own settings
    own = source_adapt_config(SkillRecipe(name="s", sources=["x"], sft={"num_train_epochs": 2}), k=1)
    assert own.stages[0].sft["num_train_epochs"] == 2 and own.preset == "custom"


def test_the_build_screen_builds_a_skill_for_an_adapt_preset() -> None:
    """The studio's Build job names the preset its skill is for: sources learned as that preset's targets, and a
    recall-format preset practised in its format, rewarded on the answer line, with room for the recalled line."""
    params = {"name": "s", "collection": "c", "sft_steps": 7}
    recall = recipe_for(build_params(BuildSkillParams, {**params, "preset": "recall-practice"}), "c")
    assert recall.preset == "recall-practice" and recall.grpo["prompts"] == ["recall"]
    assert recall.grpo["max_completion_length"] == 96 and recall.reward == {"kind": "rule"}
    target = AdaptConfig.from_preset("recall-practice", mode="sft", seed=0).stages[0].sft
    source = source_adapt_config(recall, k=1).stages[0].sft
    assert {k: v for k, v in source.items() if k != "seed"} == {k: v for k, v in target.items() if k != "seed"}
    default = recipe_for(build_params(BuildSkillParams, params), "c")  # the Adapt default: short-notes
    assert default.preset == "short-notes" and "prompts" not in default.grpo
    assert default.reward["kind"] == "short-answer" and default.grpo["max_completion_length"] == 24
    custom = recipe_for(build_params(BuildSkillParams, {**params, "preset": "custom"}), "c")
    assert custom.preset is None and custom.sft_settings()["max_steps"] == 7
    with pytest.raises(ParamTypeError, match="'preset' must be one of"):
        build_params(BuildSkillParams, {**params, "preset": "tool-docs"})  # tool-use skills are built elsewhere


def test_adapt_warns_when_the_skill_was_built_for_another_preset() -> None:
    assert preset_mismatch({"preset": "short-notes"}, "short-notes") is None
    assert preset_mismatch({}, "long-document") is None
    assert "built for the preset 'short-notes'" in preset_mismatch({"preset": "short-notes"}, "passage-only")


def test_recall_line_shown_under_the_answer() -> None:
    shown = recall_markdown(recall_reply(SENTENCE, "Levi's Stadium"))
    assert shown.startswith("**Levi's Stadium**") and f"{REMEMBERED} {SENTENCE}" in shown
    assert recall_markdown(SENTENCE).startswith(NO_ANSWER)
    assert recall_markdown(SENTENCE, finished=False).startswith("(remembering")


def test_skill_card_says_how_often_rl_had_something_to_reinforce() -> None:
    metrics = {
        "source_accuracy_before_rl": [{"accuracy": 0.25, "n_questions": 64, "prompt": "recall"}],
        "grpo_correct_group_curve": [[0.0, 0.5, 0.5, 1.0]],
    }
    (line,) = practice_lines(metrics, {"grpo": {"num_generations": 8}})
    assert "answered 16 of 64" in line and "50% of practice groups" in line and "of the 8 tries" in line


def test_practice_passages_teach_answering_on_other_documents() -> None:
    """Mixed training: ``practice`` adds bundled passages from other documents, each once, and their questions
    answered in the recipe's family (recall: the passage sentence, then the answer line); never the user's."""
    chunk = Chunk("d", 0, "A passage of the user's.", 0, 6)
    recipe = DataRecipe(synthesis=[], qa_prompt="recall", practice=2)
    recipe.validate()
    texts, counts = training_texts([chunk], [], recipe, ChatTokenizer(), seed=0)
    first, second = load_practice()[:2]
    assert texts[:3] == [chunk.text, first.text, second.text]
    assert counts["passage"] == 1 and counts["practice passage"] == 2
    turns = texts[3:]
    assert 0 < counts["practice qa"] == len(turns) <= len(first.questions) + len(second.questions)
    question, answer = first.questions[0]
    turn = next(t for t in turns if question in t)
    assert f"\nAnswer: {answer}" in turn and supporting_sentence(first.text, answer) in turn
    direct, _ = training_texts([chunk], [], DataRecipe(synthesis=[], practice=1), ChatTokenizer(), seed=0)
    assert any(t.endswith(f"assistant: {answer}") for t in direct if question in t), "direct: the answer alone"
    with pytest.raises(ConfigError, match="practice must be at most"):
        DataRecipe(practice=len(load_practice()) + 1).validate()


def test_the_recall_practice_preset_is_the_storage_studys_measured_recipe() -> None:
    """The preset trains what bench/target_recipes.py measured as 'practice3 recall e10 b1' (passage text + 3
    practice passages with recall-format questions, 10 epochs at batch 1), and is read in the recall format."""
    from past.adapt_params import answer_format

    (stage,) = AdaptConfig.from_preset("recall-practice", mode="sft").stages
    assert stage.data.practice == 3 and stage.data.qa_prompt == "recall" and stage.data.synthesis == []
    assert stage.sft["batch_size"] == 1 and stage.sft["num_train_epochs"] == 10
    assert answer_format("recall-practice") == "recall"
    assert answer_format("short-notes") == answer_format(None) == answer_format("gone") == "paper"
    # a skill can be built for it: its sources then train with the same practice and format
    recipe = SkillRecipe(name="s", sources=["x"], preset="recall-practice")
    recipe.validate()
    assert source_adapt_config(recipe, k=1).stages[0].data.practice == 3


def test_storage_recipes_kept_as_a_preset_train_exactly_as_that_preset() -> None:
    """bench/target_recipes.py keeps a recipe's fine-tunes under a preset's name for bench/quality.py to build PaST
    on; that is only sound if the recipe trains exactly as the preset would (same data recipe, same SFT)."""
    from dataclasses import asdict

    recipes = load_bench("target_recipes")
    kept = {name: spec["same_as"] for name, spec in recipes.RECIPES.items() if "same_as" in spec}
    assert kept == {"short-notes": "short-notes", "practice3 recall e10 b1": "recall-practice"}
    for name, preset in kept.items():
        for seed in (0, 2):
            mine, theirs = recipes.recipe_config(name, seed), AdaptConfig.from_preset(preset, mode="sft", seed=seed)
            assert [asdict(s) for s in mine.stages] == [asdict(s) for s in theirs.stages] and mine.seed == seed
    # and not a recipe that differs from its preset (the practice recipes' control trains another passage)
    assert "same_as" not in recipes.RECIPES["practice3 recall control"]


def test_a_fine_tune_kept_by_the_quality_benchmark_is_reused_only_when_trained_as_the_recipe(tmp_path: Path) -> None:
    """bench/quality.py keeps its preset fine-tunes with a record of how they were trained; the storage study takes
    such a fine-tune as its unit of the equal recipe (evaluated, not retrained, its training cost reported) only when
    the record says the same stages and seed: not a shortened run's (--epochs), not another seed's, not one kept
    without a record."""
    from types import SimpleNamespace

    recipes = load_bench("target_recipes")
    study = object.__new__(recipes.Study)
    study.args = SimpleNamespace(keep_adapters=str(tmp_path))
    name, preset = "practice3 recall e10 b1", "recall-practice"
    adapted = SimpleNamespace(stages=[{"name": "sft", "steps": 120, "texts": {"passage": 1}}])

    def kept(seed: int, config) -> Path:
        path = recipes.kept_path(tmp_path, 7, seed, preset)
        adapter = tmp_path / "trained"
        adapter.mkdir(exist_ok=True)
        (adapter / "adapter_model.safetensors").write_bytes(b"weights")
        record = recipes.training_record(config, adapted, cpu=301.234, wall=150.0) if config else None
        return recipes.keep_adapter(adapter, path, record)

    assert study.kept(name, 7, 2) is None and study.kept("short-notes", 7, 2) is None  # nothing kept
    kept(2, None)  # kept without a record (an older run): trained again, not trusted
    assert study.kept(name, 7, 2) is None
    shutil.rmtree(recipes.kept_path(tmp_path, 7, 2, preset))
    shortened = AdaptConfig.from_preset(preset, mode="sft", seed=2)
    shortened.stages[0].sft = {**shortened.stages[0].sft, "num_train_epochs": 1}
    kept(2, shortened)
    assert study.kept(name, 7, 2) is None, "a shortened run's fine-tune is not the recipe's"
    kept(1, AdaptConfig.from_preset(preset, mode="sft", seed=2))  # the seed-2 settings kept under seed 1's name
    assert study.kept(name, 7, 1) is None
    path = kept(0, AdaptConfig.from_preset(preset, mode="sft", seed=0))
    assert study.kept(name, 7, 0) == path and study.kept("practice3 recall control", 7, 0) is None
    record = recipes.kept_training(path)
    assert record["train_cpu_s"] == 301.23 and record["stage"]["texts"] == {"passage": 1}


def test_the_storage_curve_shows_every_recipe_measured(tmp_path: Path) -> None:
    """The storage study's report over its committed units draws one point per recipe with a per-passage cost,
    numbered in order of cost, as an SVG that parses; the control (trained once) is left to the table."""
    from xml.etree import ElementTree

    recipes = load_bench("target_recipes")
    shutil.copytree(ROOT / "bench" / "results" / "storage" / "units", tmp_path / "units")
    names = [n for n in recipes.RECIPES if any((tmp_path / "units").glob(f"{recipes.slug(n)}-p*.json"))]
    summary = recipes.report(tmp_path, names)
    svg = ElementTree.parse(tmp_path / "storage.svg").getroot()
    legend = [t.text for t in svg.iter("{http://www.w3.org/2000/svg}text") if t.text and " passages · " in t.text]
    shown = [n for n in names if summary["recipes"][n].get("cpu_min_median")]
    assert "practice3 recall control" in names and "practice3 recall control" not in shown
    assert sorted(line.split("  ", 1)[1].split(" (")[0] for line in legend) == sorted(shown)
    costs = [summary["recipes"][line.split("  ", 1)[1].split(" (")[0]]["cpu_min_median"] for line in legend]
    assert costs == sorted(costs)
    # the decision needs every seed: each seed's paired comparison on its own, beside the pooled one
    practice = summary["recipes"]["practice3 recall e10 b1"]
    by_seed = practice["own_format_vs_default_by_seed"]
    assert sorted(by_seed) == [str(s) for s in practice["seeds"]] and len(by_seed) >= 2
    assert sum(p["passages"] for p in by_seed.values()) > practice["own_format_vs_default"]["passages"]
    assert "| practice3 recall e10 b1 | 1 | 50 |" in (tmp_path / "summary.md").read_text()


def test_practice_passages_share_no_article_with_the_benchmark_targets() -> None:
    dev = ROOT.parent / "shared" / "data" / "squad" / "dev_passages.json"
    if not dev.is_file():
        pytest.skip("the shared SQuAD data (../shared/data/squad) is not beside this checkout")
    passages = json.loads(dev.read_text())
    targets = {passages[round(i * len(passages) / 50)]["title"] for i in range(50)}
    assert not targets & {p.title for p in load_practice()}
