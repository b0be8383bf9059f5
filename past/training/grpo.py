"""GRPO on closed-book QA with TRL's GRPOTrainer: the question alone is the prompt, a judge scores answers.

The prompt is the question in the evaluation's prompt family (:mod:`past.evaluation.prompts`: the styles
in ``prompts``, each question once per style), so the skill is trained on what it is measured on. The
default judge is the rule judge, token F1: a dense reward that prefers the short correct answer and gives
a recited sentence little. On the transformers path the trainer shares each prompt's forward pass within
its group (:mod:`past.training.grpo_shared_prefix`).

``train_grpo`` puts a LoRA on top of a given (merged) model; its adapter is the RL delta
θ_rl − θ_start in LoRA form. With ``init_adapter`` the LoRA starts from an existing adapter (the
previous round's skill vector, for K-round refinement) instead of zero. The judge is any object with
``past.judges.Judge`` (default :class:`past.judges.RuleQAJudge`; the LLM judge plugs in the same way).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Protocol

from past.device import CPU, rollouts_use_vllm, training_dtype, training_precision
from past.judges import Judge, RuleQAJudge, judge_reward_fn
from past.progress import NullReporter, Reporter
from past.training.callbacks import ReporterCallback
from past.training.data import build_grpo_dataset
from past.training.modeling import load_model
from past.training.runs import config_from_dict, train_resumable, write_json


class LegacyJudge(Protocol):
    def score(self, prediction: str, references: list[str] | str) -> float: ...


def answer_of(completion: str, style: str) -> str:
    """What the reward judges in a completion of prompt style ``style``: the answer, never a recalled sentence."""
    from past.evaluation.prompts import PROMPTS, split_reply

    return split_reply(completion, style)[0] if style in PROMPTS else completion


@dataclass
class GroupLog:
    """Per reward call (one GRPO step's rollouts, ``group_size`` consecutive completions per prompt): the share of
    groups holding at least one correct answer (rule judge, F1 ≥ 0.5 on the answer alone) and of correct rollouts.
    A group with no correct rollout teaches nothing about correctness, only about the reward's other terms."""

    group_size: int
    correct_groups: list[float] = field(default_factory=list)
    correct_rollouts: list[float] = field(default_factory=list)

    def record(self, completions: list[Any], answers: list[list[str]], styles: list[str] | None) -> None:
        from past.judges.rule import answer_scores

        styles = styles or [""] * len(completions)
        correct = [
            answer_scores(answer_of(completion_text(c), style), list(refs)).f1 >= 0.5
            for c, refs, style in zip(completions, answers, styles, strict=True)
        ]
        size = max(1, self.group_size)
        groups = [correct[i : i + size] for i in range(0, len(correct), size)]
        if groups:
            self.correct_groups.append(round(sum(any(g) for g in groups) / len(groups), 4))
            self.correct_rollouts.append(round(sum(correct) / len(correct), 4))


@dataclass
class GRPOTrainConfig:
    """What a GRPO run does; JSON-serialisable (recipes store it)."""

    lora_r: int = 8
    lora_alpha: int = 16
    lora_dropout: float = 0.0
    target_modules: str | list[str] = "all-linear"
    learning_rate: float = 5e-5
    max_steps: int = 20
    prompts_per_step: int = 4
    num_generations: int = 4  # group size
    max_completion_length: int = 32
    beta: float = 0.0  # KL coefficient (0: no reference forward)
    temperature: float = 1.0
    seed: int = 0
    logging_steps: int = 1
    save_steps: int = 0
    save_total_limit: int = 2
    resume: bool = True
    system_prompt: str | None = None
    prompts: list[str] = field(default_factory=lambda: ["paper"])  # prompt styles of past.evaluation.prompts
    shared_prefix: bool = True  # encode each prompt once per group (exact; faster on CPU)
    use_vllm: bool | None = None  # vLLM rollouts; None: when past.device finds a GPU and vllm ('.[gpu]')
    vllm_mode: str = "colocate"
    extra: dict[str, Any] = field(default_factory=dict)  # passed to trl.GRPOConfig as is

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GRPOTrainConfig:
        return config_from_dict(cls, data)

    def to_trl(self, output_dir: Path, use_cpu: bool | None = None) -> Any:
        """TRL's config (:func:`grpo_args`); ``use_cpu`` forces the CPU."""
        return grpo_args(
            output_dir,
            max_steps=self.max_steps,
            prompts_per_step=self.prompts_per_step,
            num_generations=self.num_generations,
            max_completion_length=self.max_completion_length,
            learning_rate=self.learning_rate,
            beta=self.beta,
            temperature=self.temperature,
            seed=self.seed,
            logging_steps=self.logging_steps,
            save_steps=self.save_steps,
            save_total_limit=self.save_total_limit,
            use_cpu=use_cpu,
            use_vllm=self.use_vllm,
            vllm_mode=self.vllm_mode,
            **self.extra,
        )


def grpo_args(
    output_dir: Path,
    *,
    max_steps: int,
    prompts_per_step: int,
    num_generations: int,
    max_completion_length: int,
    learning_rate: float,
    beta: float,
    temperature: float,
    seed: int,
    logging_steps: int = 1,
    save_steps: int = 0,
    save_total_limit: int | None = 2,
    use_cpu: bool | None = None,
    use_vllm: bool | None = None,
    vllm_mode: str = "colocate",
    **extra: Any,
) -> Any:
    """TRL's ``GRPOConfig`` for every GRPO run (closed-book QA and tool use): precision, device and rollouts
    follow :mod:`past.device` (``use_cpu`` forces the CPU; ``use_vllm=None``: vLLM when it can serve);
    ``extra`` goes to TRL as is."""
    from trl import GRPOConfig

    precision = training_precision(force_cpu=bool(use_cpu))
    vllm = {"use_vllm": True, "vllm_mode": vllm_mode} if rollouts_use_vllm(use_vllm, CPU if use_cpu else None) else {}
    return GRPOConfig(
        output_dir=str(output_dir),
        max_steps=max_steps,
        per_device_train_batch_size=prompts_per_step * num_generations,
        num_generations=num_generations,
        max_completion_length=max_completion_length,
        learning_rate=learning_rate,
        lr_scheduler_type="constant",
        beta=beta,
        temperature=temperature,
        seed=seed,
        data_seed=seed,
        logging_steps=logging_steps,
        save_strategy="steps" if save_steps > 0 else "no",
        save_steps=save_steps if save_steps > 0 else 500,
        save_total_limit=save_total_limit,
        bf16=precision.bf16,
        fp16=precision.fp16,
        tf32=precision.tf32,
        activation_checkpointing=False,
        dataloader_num_workers=0,
        dataloader_pin_memory=False,
        report_to="none",
        disable_tqdm=True,
        use_cpu=precision.use_cpu,
        **vllm,
        **extra,
    )


@dataclass
class GRPOResult:
    output_dir: str
    adapter_dir: str
    steps: int
    seconds: float
    seed: int
    rewards: list[float]
    kls: list[float]
    stopped: bool
    resumed_from: str | None = None
    correct_groups: list[float] = field(default_factory=list)  # per step: share of groups with a correct rollout
    correct_rollouts: list[float] = field(default_factory=list)  # per step: share of correct rollouts


def completion_text(completion: Any) -> str:
    """Text of a completion, conversational (list of messages) or plain."""
    if isinstance(completion, list):
        return " ".join(str(m.get("content", "")) for m in completion if isinstance(m, dict))
    return str(completion)


def judge_reward(judge: Judge | LegacyJudge, log: GroupLog | None = None):
    """A TRL reward function scoring each completion's answer (:func:`answer_of` its row's ``style``) against its
    row's reference answers; with ``log``, each call also records the correct-group share.

    ``judge`` follows :class:`past.judges.Judge` (``score(question, prediction, references)``, batched:
    the rule judge or the LLM judge), or is a plain ``score(prediction, references)`` scorer.
    """
    if isinstance(judge, Judge):
        scorer = judge_reward_fn(judge, answer_of=answer_of)
    else:

        def scorer(prompts: list[Any], completions: list[Any], answers: list[list[str]], **kwargs) -> list[float]:
            del prompts
            styles = kwargs.get("style") or [""] * len(completions)
            return [
                float(judge.score(answer_of(completion_text(c), style), refs))
                for c, refs, style in zip(completions, answers, styles, strict=True)
            ]

    def closed_book_reward(prompts: list[Any], completions: list[Any], **columns: Any) -> list[float]:
        rewards = scorer(prompts, completions, **columns)
        if log is not None:
            log.record(completions, columns["answers"], columns.get("style"))
        return rewards

    closed_book_reward.__name__ = getattr(scorer, "__name__", "closed_book_reward")
    return closed_book_reward


@dataclass
class GRPORun:
    """What :func:`run_grpo` leaves: the trainer (its state and log), the callback's history, the adapter."""

    trainer: Any
    callback: ReporterCallback
    seconds: float
    resumed_from: Path | None
    adapter_dir: Path


def run_grpo(
    model_path: str | Path,
    config: Any,
    dataset: Any,
    reward_funcs: Any,
    output_dir: Path,
    *,
    reporter: Reporter,
    label: str,
    init_adapter: str | Path | None = None,
    trainer_class: type | None = None,
    **trainer_kwargs: Any,
) -> GRPORun:
    """The one GRPO trainer: a LoRA (``config``'s ``lora_r``, ``lora_alpha``, ``target_modules``, ``lora_dropout``
    or 0; or ``init_adapter``) on ``model_path`` loaded as :mod:`past.device` says, trained by TRL's GRPOTrainer
    (or ``trainer_class``) with ``config.to_trl`` and ``reward_funcs`` on ``dataset`` (``trainer_kwargs``: e.g. a
    ``rollout_func``), seeded by ``config.seed``, resumable from ``output_dir/checkpoints``; the adapter is saved
    to ``output_dir/adapter``."""
    import torch
    from peft import PeftModel
    from trl import GRPOTrainer

    from past.training.sft import lora_config

    torch.manual_seed(config.seed)
    checkpoints = output_dir / "checkpoints"
    model, tokenizer = load_model(model_path, dtype=training_dtype("lora"))
    tokenizer.padding_side = "left"
    peft_config = None
    if init_adapter:
        model = PeftModel.from_pretrained(model, str(init_adapter), is_trainable=True)
    else:
        dropout = getattr(config, "lora_dropout", 0.0)
        peft_config = lora_config(config.lora_r, config.lora_alpha, dropout, config.target_modules)
    callback = ReporterCallback(reporter, label=label)
    trainer = (trainer_class or GRPOTrainer)(
        model=model,
        reward_funcs=reward_funcs,
        args=config.to_trl(checkpoints),
        train_dataset=dataset,
        processing_class=tokenizer,
        peft_config=peft_config,
        callbacks=[callback],
        **trainer_kwargs,
    )
    seconds, resume_from = train_resumable(trainer, checkpoints, config.resume, reporter, label)
    adapter_dir = output_dir / "adapter"
    trainer.model.save_pretrained(str(adapter_dir), safe_serialization=True)
    return GRPORun(trainer, callback, seconds, resume_from, adapter_dir)


def train_grpo(
    model_path: str | Path,
    qa_pairs: Sequence[dict[str, Any]],
    config: GRPOTrainConfig,
    output_dir: str | Path,
    reporter: Reporter | None = None,
    judge: Judge | LegacyJudge | None = None,
    init_adapter: str | Path | None = None,
) -> GRPOResult:
    """GRPO-train a LoRA on ``model_path`` with closed-book QA ``qa_pairs``; resumable."""
    reporter = reporter or NullReporter()
    output_dir = Path(output_dir)
    output_dir.mkdir(parents=True, exist_ok=True)
    groups = GroupLog(config.num_generations)
    trainer_class = None
    if config.shared_prefix and not rollouts_use_vllm(config.use_vllm):
        from past.training.grpo_shared_prefix import shared_prefix_trainer_class

        trainer_class = shared_prefix_trainer_class()
    dataset = build_grpo_dataset(qa_pairs, config.system_prompt, config.prompts)
    reward = judge_reward(judge or RuleQAJudge(), groups)
    run = run_grpo(
        model_path,
        config,
        dataset,
        reward,
        output_dir,
        reporter=reporter,
        label="GRPO",
        init_adapter=init_adapter,
        trainer_class=trainer_class,
    )
    history = run.callback.history
    result = GRPOResult(
        output_dir=str(output_dir),
        adapter_dir=str(run.adapter_dir),
        steps=run.trainer.state.global_step,
        seconds=round(run.seconds, 2),
        seed=config.seed,
        rewards=[h["reward"] for h in history if "reward" in h],
        kls=[h["kl"] for h in history if "kl" in h],
        stopped=run.callback.stopped,
        resumed_from=str(run.resumed_from) if run.resumed_from else None,
        correct_groups=groups.correct_groups,
        correct_rollouts=groups.correct_rollouts,
    )
    write_json(output_dir / "result.json", {**asdict(result), "config": asdict(config)})
    reporter.log(f"GRPO: {result.steps} steps in {run.seconds:.1f} s, rewards {result.rewards}")
    return result
