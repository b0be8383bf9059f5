"""Plain words for the technical terms the screens show (how answers are graded, number formats, cosine), so
each term appears with what it means beside it. Text only: no Gradio, nothing computed."""

from __future__ import annotations

# How an answer is graded (the evaluate job's ``judge``), in words.
JUDGE_WORDS = {
    "rule": "word overlap with the reference answer",
    "containment": "whether the answer contains the reference answer",
    "llm": "a language model grading each answer yes or no",
}
# How a skill's numbers are stored (a manifest's ``dtype``), in words.
DTYPE_WORDS = {
    "bfloat16": "16-bit numbers",
    "float16": "16-bit numbers",
    "float32": "32-bit numbers",
    "float64": "64-bit numbers",
}
COSINE_WORDS = (
    "|cos| is the size of the cosine between the two changes of one weight matrix: 0 means they point in "
    "independent directions, 1 that they point the same (or the opposite) way."
)


def judge_words(judge: object) -> str:
    """``rule: token F1, correct at >= 0.5`` -> ``word overlap with the reference answer (rule: token F1, ...)``;
    a judge with no plain words is returned as it is."""
    text = str(judge)
    words = JUDGE_WORDS.get(text.split(":", 1)[0].strip())
    return f"{words} ({text})" if words else text


def dtype_words(dtype: object) -> str:
    """``bfloat16`` -> ``bfloat16 (16-bit numbers)``."""
    words = DTYPE_WORDS.get(str(dtype).removeprefix("torch."))
    return f"{dtype} ({words})" if words else str(dtype)
