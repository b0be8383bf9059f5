"""Prompts for self-generated training data, after the paper's appendix (reworded).

- implications of a passage (the SQuAD knowledge-incorporation regime),
- question/answer pairs from six proposer variations, answered inside ``<question>``/``<answer>`` tags,
- summaries of a chunk (the LooGLE long-document regime); expansion pairs reuse the summary;
- rewrites of a chunk: the same facts in other words and another order (the knowledge-augmentation recipe of
  the literature: several paraphrases of each passage make facts retrievable from more contexts).
"""

from __future__ import annotations

from past.generators.base import Conversation, user

IMPLICATIONS = (
    "Read the passage below. Then write a list of implications that follow from it: restate its facts in "
    "other words, draw their consequences, and connect details with each other. Every implication must be a "
    "complete sentence that makes sense on its own, without the passage. Write one implication per line.\n\n"
    "Passage:\n{passage}\n\nImplications:"
)

QA_VARIANTS: dict[str, str] = {
    "factual": "Ask about a specific factual detail stated in the passage (a name, a number, a date or a place).",
    "why_how": "Ask a 'why' or 'how' question whose answer is explained in the passage.",
    "definition": "Ask what a term, name or concept introduced in the passage means or refers to.",
    "comparison": "Ask a question that compares or contrasts two things described in the passage.",
    "list_process": "Ask for a list of items or the steps of a process described in the passage.",
    "significance": "Ask why something in the passage matters, or what its consequence or importance is.",
}

QA = (
    "You write quiz questions that test knowledge of a passage. {instruction} The question must be "
    "answerable from the passage alone but must make sense without it (name the subject explicitly). Keep the "
    "answer short and exact.\n\nPassage:\n{passage}\n\nReply in exactly this format and nothing else:\n"
    "<question>your question</question>\n<answer>your answer</answer>"
)

SUMMARY = (
    "Summarise the passage below in a few sentences. Keep every name, number and key fact; add nothing that is "
    "not in the passage.\n\nPassage:\n{passage}\n\nSummary:"
)

REWRITE = (
    "Rewrite the passage below in your own words. Keep every name, number, date and fact exactly; change the "
    "wording and the order of the sentences; add nothing that is not in the passage.\n\nPassage:\n{passage}\n\n"
    "Rewritten passage:"
)

# Training prompts (what the fine-tuned model sees) for the long-document pairs.
SUMMARY_TRAIN = "Summarise the following passage.\n\n{passage}"
EXPANSION_TRAIN = "Write out in full the passage that this summary describes.\n\n{summary}"


def implications_prompt(passage: str) -> Conversation:
    return user(IMPLICATIONS.format(passage=passage))


# A worked example shown before the real request: small models follow the tag format far more often.
_QA_EXAMPLE_PASSAGE = (
    "The Harbin Ice Festival is held every winter in Harbin, China. It began in 1963 and features buildings "
    "carved from blocks of ice taken from the Songhua River."
)
_QA_EXAMPLE_REPLY = (
    "<question>From which river is the ice for the Harbin Ice Festival taken?</question>\n"
    "<answer>the Songhua River</answer>"
)


def qa_prompt(passage: str, variant: str, example: bool = True) -> Conversation:
    request = user(QA.format(instruction=QA_VARIANTS[variant], passage=passage))
    if not example:
        return request
    shot = QA.format(instruction=QA_VARIANTS["factual"], passage=_QA_EXAMPLE_PASSAGE)
    return [{"role": "user", "content": shot}, {"role": "assistant", "content": _QA_EXAMPLE_REPLY}, *request]


def summary_prompt(passage: str) -> Conversation:
    return user(SUMMARY.format(passage=passage))


def rewrite_prompt(passage: str) -> Conversation:
    return user(REWRITE.format(passage=passage))
