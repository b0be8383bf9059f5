"""Bridge from TRL/transformers trainers to :class:`past.progress.Reporter`.

Forwards loss, reward, KL and learning rate as metrics, maps steps to progress, and ends training
cleanly (``control.should_training_stop``) once the reporter asks to stop: the job runner's
cooperative cancel relies on it.
"""

from __future__ import annotations

from transformers import TrainerCallback, TrainerControl, TrainerState, TrainingArguments

from past.progress import Reporter

# Trainer log keys -> metric names the studio shows (loss, reward, kl, lr and a few extras).
FORWARDED = {
    "loss": "loss",
    "reward": "reward",
    "reward_std": "reward_std",
    "kl": "kl",
    "learning_rate": "lr",
    "grad_norm": "grad_norm",
    "mean_token_accuracy": "token_accuracy",
    "completions/mean_length": "completion_length",
}


class ReporterCallback(TrainerCallback):
    """Reports a trainer's logs and progress; stops it when ``reporter.should_stop()``."""

    def __init__(self, reporter: Reporter, label: str = "training", prefix: str = "") -> None:
        self.reporter, self.label, self.prefix = reporter, label, prefix
        self.history: list[dict[str, float]] = []
        self.stopped = False

    def _check_stop(self, control: TrainerControl) -> None:
        if not self.stopped and self.reporter.should_stop():
            self.stopped = True
            self.reporter.log(f"{self.label}: stop requested, ending after this step")
        if self.stopped:
            control.should_training_stop = True

    def on_train_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        self.reporter.progress(state.global_step / max(state.max_steps, 1), f"{self.label}: starting")
        self._check_stop(control)

    def on_step_begin(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        self._check_stop(control)

    def on_step_end(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, **kwargs):
        total = max(state.max_steps, 1)
        self.reporter.progress(state.global_step / total, f"{self.label}: step {state.global_step}/{total}")
        self._check_stop(control)

    def on_log(self, args: TrainingArguments, state: TrainerState, control: TrainerControl, logs=None, **kwargs):
        entry: dict[str, float] = {"step": float(state.global_step)}
        for key, name in FORWARDED.items():
            value = (logs or {}).get(key)
            if isinstance(value, int | float):
                self.reporter.metric(state.global_step, self.prefix + name, float(value))
                entry[name] = float(value)
        if len(entry) > 1:
            self.history.append(entry)
        self._check_stop(control)
