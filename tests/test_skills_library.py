"""The skill library and the bad-input guarantees: specific errors, nothing stored is modified, atomic writes."""

from __future__ import annotations

import json
import shutil
import zipfile
from pathlib import Path

import pytest
import torch
from safetensors.torch import load_file, save_file

from past.errors import PastError
from past.skills import (
    NonFiniteDeltaError,
    OutputPathError,
    SkillCompatibilityError,
    SkillError,
    SkillExistsError,
    SkillFormatError,
    SkillIntegrityError,
    SkillLibrary,
    SkillNameError,
    SkillNotFoundError,
    SkillVector,
    extract,
    inject,
)
from past.skills.errors import SkillHubError
from past.skills.hub import model_card, pull_skill
from past.skills.tensors.io import SafetensorsFile
from tests.skill_fixtures import perturbed_copy, tree_digest
from tests.tiny_models import make_tiny_llama


@pytest.fixture(scope="module")
def models(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("libmodels")
    sft = make_tiny_llama(root / "sft", seed=0)
    return sft, perturbed_copy(sft, root / "rl", seed=1)


@pytest.fixture
def library(models: tuple[Path, Path], tmp_path: Path) -> SkillLibrary:
    sft, rl = models
    lib = SkillLibrary(tmp_path / "skills")
    extract(rl, sft, lib.new_path("math"), name="math", description="GSM-style reasoning").close()
    return lib


def test_list_info_load_rename_remove(library: SkillLibrary) -> None:
    assert [m.name for m in library.list()] == ["math"]
    assert library.info("math").description == "GSM-style reasoning"
    with library.load("math") as skill:
        assert skill.form == "full"
    library.rename("math", "reasoning")
    assert [m.name for m in library.list()] == ["reasoning"]
    assert library.load("reasoning").manifest.name == "reasoning"  # hash still verifies after rename
    with pytest.raises(SkillNotFoundError, match="stored: reasoning"):
        library.load("math")
    library.remove("reasoning")
    assert library.list() == [] and not any(library.root.iterdir())


def test_export_then_import_zip_round_trips(library: SkillLibrary, tmp_path: Path) -> None:
    archive = library.export("math", tmp_path / "out")
    assert archive.name == "math.zip"
    other = SkillLibrary(tmp_path / "other")
    skill = other.import_path(archive, name="copy")
    assert skill.name == "copy" and skill.manifest.content_hash == library.info("math").content_hash
    with pytest.raises(SkillExistsError):
        other.import_path(archive, name="copy")
    dir_copy = other.import_path(library.path_for("math"))
    assert dir_copy.name == "math" and sorted(m.name for m in other.list()) == ["copy", "math"]


@pytest.mark.parametrize("name", ["../evil", "a/b", "a\\b", "..", "", ".hidden", "x" * 101])
def test_names_with_path_separators_or_dots_are_refused(library: SkillLibrary, name: str) -> None:
    before = tree_digest(library.root)
    with pytest.raises(SkillNameError):
        library.rename("math", name)
    with pytest.raises(SkillNameError):
        library.path_for(name)
    assert tree_digest(library.root) == before


def test_tampered_or_truncated_tensor_files_are_refused_on_load(library: SkillLibrary) -> None:
    delta = library.path_for("math") / "delta.safetensors"
    data = bytearray(delta.read_bytes())
    data[-10] ^= 0xFF
    delta.write_bytes(bytes(data))
    with pytest.raises(SkillIntegrityError, match="content hash"):
        library.load("math")
    delta.write_bytes(bytes(data[: len(data) // 2]))
    with pytest.raises(SkillIntegrityError):
        library.load("math")
    with pytest.raises(SkillFormatError, match="truncated"):
        library.load("math", verify=False)


def test_manifest_lying_about_shapes_or_base_is_caught(library: SkillLibrary, models: tuple[Path, Path]) -> None:
    sft, _ = models
    manifest_path = library.path_for("math") / "skill.json"
    original = json.loads(manifest_path.read_text())
    name = next(iter(original["params"]))
    manifest_path.write_text(json.dumps({**original, "params": {**original["params"], name: [3, 3]}}))
    with pytest.raises(SkillFormatError, match="manifest says"):
        library.load("math")
    manifest_path.write_text(json.dumps({**original, "base_fingerprint": "0123456789abcdef"}))
    with library.load("math") as skill, pytest.raises(SkillCompatibilityError, match="base fingerprint"):
        inject(sft, [(skill, 1.0)], library.root.parent / "out")
    manifest_path.write_text("{not json")
    with pytest.raises(SkillFormatError, match="not valid JSON"):
        library.load("math")


def test_non_safetensors_and_pickle_files_are_refused(models: tuple[Path, Path], tmp_path: Path) -> None:
    sft, rl = models
    text = tmp_path / "text.safetensors"
    text.write_text("hello, this is not a tensor file at all")
    with pytest.raises(SkillFormatError, match="not a valid safetensors"):
        SafetensorsFile(text)
    pickled = tmp_path / "weights.safetensors"
    torch.save({"w": torch.zeros(2)}, pickled)
    with pytest.raises(SkillFormatError, match="pickle"):
        SafetensorsFile(pickled)
    bad_rl = tmp_path / "rl-pickle"
    shutil.copytree(rl, bad_rl)
    (bad_rl / "model.safetensors").unlink()
    torch.save({"w": torch.zeros(2)}, bad_rl / "pytorch_model.bin")
    with pytest.raises(PastError, match="pickle"):
        extract(bad_rl, sft, tmp_path / "never")
    assert not (tmp_path / "never").exists()
    skill_dir = tmp_path / "zip-src"
    skill_dir.mkdir()
    (skill_dir / "skill.json").write_text(json.dumps({"name": "p"}))
    torch.save({}, skill_dir / "delta.pt")
    with pytest.raises(SkillFormatError, match="pickle"):
        SkillLibrary(tmp_path / "lib").import_path(skill_dir)


def test_truncated_checkpoint_is_refused_and_sources_are_untouched(models: tuple[Path, Path], tmp_path: Path) -> None:
    sft, rl = models
    broken = tmp_path / "broken"
    shutil.copytree(rl, broken)
    weights = broken / "model.safetensors"
    weights.write_bytes(weights.read_bytes()[:-1000])
    digests = (tree_digest(sft), tree_digest(broken))
    with pytest.raises(PastError, match="truncated"):
        extract(broken, sft, tmp_path / "v")
    assert (tree_digest(sft), tree_digest(broken)) == digests
    assert not (tmp_path / "v").exists()


def test_nan_or_inf_deltas_are_refused(models: tuple[Path, Path], library: SkillLibrary, tmp_path: Path) -> None:
    sft, _ = models
    nan_rl = tmp_path / "nan-rl"
    shutil.copytree(sft, nan_rl)
    state = load_file(nan_rl / "model.safetensors")
    state["model.layers.0.mlp.up_proj.weight"][0, 0] = float("nan")
    save_file(state, nan_rl / "model.safetensors", metadata={"format": "pt"})
    with pytest.raises(NonFiniteDeltaError, match="NaN/Inf"):
        extract(nan_rl, sft, tmp_path / "v")
    assert not (tmp_path / "v").exists() and not list(tmp_path.glob(".v.partial-*"))
    # a skill whose stored delta holds Inf (re-hashed so only the values are wrong)
    skill_dir = library.path_for("math")
    delta = load_file(skill_dir / "delta.safetensors")
    first = next(iter(delta))
    delta[first][0, 0] = float("inf")
    save_file(delta, skill_dir / "delta.safetensors", metadata={"format": "pt"})
    from past.skills.manifest import SkillManifest
    from past.skills.vector import finalize_skill

    finalize_skill(skill_dir, SkillManifest.read(skill_dir))
    with library.load("math") as skill, pytest.raises(NonFiniteDeltaError):
        inject(sft, [(skill, 1.0)], tmp_path / "out")
    assert not (tmp_path / "out").exists()


def test_mismatched_shapes_are_refused(models: tuple[Path, Path], tmp_path: Path) -> None:
    sft, _ = models
    wide = make_tiny_llama(tmp_path / "wide", seed=0, hidden=48)
    with pytest.raises(SkillCompatibilityError, match="shape"):
        extract(wide, sft, tmp_path / "v")
    deep = make_tiny_llama(tmp_path / "deep", seed=0, layers=3)
    with pytest.raises(SkillCompatibilityError, match="different parameters"):
        extract(deep, sft, tmp_path / "v")


def test_unwritable_output_paths_are_refused(models: tuple[Path, Path], library: SkillLibrary, tmp_path: Path) -> None:
    sft, _ = models
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    with library.load("math") as skill:
        with pytest.raises(OutputPathError):
            inject(sft, [(skill, 1.0)], blocker / "out")
        with pytest.raises(OutputPathError, match="already exists"):
            inject(sft, [(skill, 1.0)], sft)
    with pytest.raises(OutputPathError):
        library.export("math", blocker / "x.zip")


class _StopHalfway:
    def __init__(self, interrupt: bool) -> None:
        self.calls, self.interrupt = 0, interrupt

    def progress(self, fraction: float, message: str) -> None:
        self.calls += 1
        if self.interrupt and fraction > 0.5:
            raise KeyboardInterrupt

    def metric(self, step: int, name: str, value: float) -> None: ...

    def log(self, message: str) -> None: ...

    def should_stop(self) -> bool:
        return not self.interrupt and self.calls > 5


@pytest.mark.parametrize("interrupt", [False, True])
def test_interrupted_inject_leaves_nothing_behind(
    models: tuple[Path, Path], library: SkillLibrary, tmp_path: Path, interrupt: bool
) -> None:
    sft, _ = models
    models_dir = tmp_path / "models"
    models_dir.mkdir()
    before = tree_digest(library.root)
    with library.load("math") as skill, pytest.raises(KeyboardInterrupt if interrupt else SkillError):
        inject(sft, [(skill, 1.0)], models_dir / "final", reporter=_StopHalfway(interrupt))
    assert list(models_dir.iterdir()) == []  # no output, no partial directory, nothing registered
    assert tree_digest(library.root) == before


def test_failed_import_leaves_the_library_unchanged(library: SkillLibrary, tmp_path: Path) -> None:
    before = tree_digest(library.root)
    bad_zip = tmp_path / "bad.zip"
    bad_zip.write_bytes(b"PK\x03\x04 not really a zip")
    with pytest.raises(SkillFormatError):
        library.import_path(bad_zip)
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as archive:
        archive.writestr("../../escape/skill.json", "{}")
    with pytest.raises(SkillFormatError, match="unsafe"):
        library.import_path(evil)
    archive_path = library.export("math", tmp_path)
    corrupt = tmp_path / "corrupt.zip"
    with zipfile.ZipFile(archive_path) as src, zipfile.ZipFile(corrupt, "w") as dst:
        for item in src.infolist():
            data = src.read(item)
            dst.writestr(item, data[:-5] if item.filename.endswith(".safetensors") else data)
    with pytest.raises(SkillIntegrityError):
        library.import_path(corrupt, name="other")
    assert tree_digest(library.root) == before
    assert not (tmp_path / "escape").exists()


def test_model_card_and_offline_hub_errors(library: SkillLibrary) -> None:
    manifest = library.info("math")
    manifest.metrics = {"target_accuracy": 0.61}
    manifest.base_ref = "HuggingFaceTB/SmolLM2-135M-Instruct"
    card = model_card(manifest)
    assert card.startswith("---\n") and "base_model: HuggingFaceTB/SmolLM2-135M-Instruct" in card
    assert manifest.content_hash in card and "target_accuracy | 0.61" in card and "GSM-style reasoning" in card
    with pytest.raises(SkillHubError, match="could not be reached"):
        pull_skill("someone/skill", library, endpoint="http://127.0.0.1:9")
    from past.skills.hub import push_skill

    with library.load("math") as skill, pytest.raises(SkillHubError, match="push to"):
        push_skill(skill, "someone/skill", token="hf_fake", endpoint="http://127.0.0.1:9")
    assert [m.name for m in library.list()] == ["math"]


def test_opening_a_missing_skill_is_clear(tmp_path: Path) -> None:
    with pytest.raises(SkillNotFoundError):
        SkillVector.open(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(SkillFormatError, match=r"skill\.json"):
        SkillVector.open(tmp_path / "empty")
