"""The output policy (``past/paths.py``) where one command line is not enough: a full disk, and --overwrite.

The refusals themselves (outputs into the database, uploads, stores or artifacts, over an input, into an
ordinary folder, into /proc, under a missing folder) are rows of ``tests/bad_inputs.py`` (ids ``out-``).
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from past.cli.main import main
from past.errors import OutputPathError
from past.paths import OUTPUT_MARKER, writing
from past.settings import DEFAULT_MODEL_ENV, Settings
from past.skills import extract
from tests.lora_adapters import make_tiny_chat_model
from tests.skill_fixtures import perturbed_copy, register_base


@pytest.fixture(scope="module")
def data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A data directory with a registered tiny chat model 'tiny' and a library skill 'qa' made from it."""
    root = tmp_path_factory.mktemp("outputs")
    settings = Settings.load(root / "data").ensure()
    base = register_base(make_tiny_chat_model(settings.models_dir / "tiny", seed=0))
    extract(perturbed_copy(base, root / "rl", seed=1), base, settings.skills_dir / "qa", name="qa").close()
    return settings.data_dir


def past(data: Path, *argv: str) -> int:
    return main(["--data-dir", str(data), *argv])


@pytest.fixture
def tiny_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(DEFAULT_MODEL_ENV, "tiny")


def test_overwrite_replaces_only_a_folder_a_past_command_made(
    data: Path, tmp_path: Path, tiny_default: None, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "merged"
    assert past(data, "inject", "default", "--skill", "qa", "--out", str(out)) == 0
    made = json.loads((out / OUTPUT_MARKER).read_text())
    assert made["made_by"] == "past inject" and (out / "config.json").is_file()

    assert past(data, "inject", "default", "--skill", "qa", "--out", str(out), "--lam", "0.5") == 2
    assert "already exists" in capsys.readouterr().err  # replaced only when asked
    assert past(data, "inject", "default", "--skill", "qa", "--out", str(out), "--lam", "0.5", "--overwrite") == 0
    assert (out / OUTPUT_MARKER).is_file()

    ordinary = tmp_path / "ordinary"
    ordinary.mkdir()
    (ordinary / "notes.txt").write_text("mine")
    capsys.readouterr()
    assert past(data, "inject", "default", "--skill", "qa", "--out", str(ordinary), "--overwrite") == 2
    assert "is a folder that no past command made" in capsys.readouterr().err
    assert [p.name for p in ordinary.iterdir()] == ["notes.txt"]

    empty = tmp_path / "empty"
    empty.mkdir()  # an empty folder holds nothing to lose: --overwrite may fill it
    assert past(data, "inject", "default", "--skill", "qa", "--out", str(empty), "--overwrite") == 0


def test_eval_writes_again_into_its_own_folder_only(
    data: Path, tmp_path: Path, tiny_default: None, capsys: pytest.CaptureFixture[str]
) -> None:
    qa = tmp_path / "q.qa.json"
    qa.write_text(json.dumps({"doc_id": "d", "questions": [{"question": "Colour of the door?", "answer": "green"}]}))
    out = tmp_path / "runs" / "eval"  # a folder output is made with the folders above it
    for _ in range(2):  # a rerun writes into the folder the first run made
        assert past(data, "eval", "--qa", str(qa), "--out", str(out), "--max-new-tokens", "2") == 0
    assert (out / "results.json").is_file() and (out / OUTPUT_MARKER).is_file()


def test_a_full_disk_is_one_line_and_leaves_nothing_half_written(
    data: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # the kernel's own "no space left on device": every write to /dev/full fails with ENOSPC
    full_disk = pytest.raises(OutputPathError, match=r"^cannot write --out x\.json: the disk is full; free some space")
    with full_disk, writing("x.json", "--out"), open("/dev/full", "w") as full:
        full.write("votes")
        full.flush()

    target = tmp_path / "votes.json"
    real_write_text = Path.write_text

    def onto_a_full_disk(self: Path, *args, **kwargs):  # the export's writes beside the target land on a full disk
        return real_write_text(Path("/dev/full") if self.parent == tmp_path else self, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", onto_a_full_disk)
    assert past(data, "ab", "export", "--what", "votes", "--out", str(target)) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write --out {target}: the disk is full") and err.count("\n") == 1
    assert "Traceback" not in err and list(tmp_path.iterdir()) == []


@contextlib.contextmanager
def small_disk_at(folder: Path) -> Iterator[Path]:
    """A real 64 KiB file system (tmpfs) mounted on ``folder``, where the machine lets this test mount one."""
    folder.mkdir(exist_ok=True)
    mounted = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(folder)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip("mounting a small tmpfs needs root")
    try:
        yield folder
    finally:
        subprocess.run(["umount", str(folder)], check=False)


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    with small_disk_at(tmp_path / "disk") as disk:
        yield disk


def test_inject_and_skill_export_onto_a_full_disk_say_so_in_one_line(
    data: Path, small_disk: Path, tiny_default: None, capsys: pytest.CaptureFixture[str]
) -> None:
    for argv in (
        ("inject", "default", "--skill", "qa", "--out", str(small_disk / "merged")),
        ("skill", "export", "qa", str(small_disk / "qa.zip")),
    ):
        assert past(data, *argv) == 2, argv
        err = capsys.readouterr().err
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "the disk is full" in errors[0] and "Traceback" not in err, err
        assert list(small_disk.iterdir()) == []  # nothing half-written is left


@pytest.fixture
def library_on_a_small_disk(data: Path, tmp_path: Path) -> Iterator[Path]:
    """A copy of the drill's data directory whose (empty) skill library is a real 64 KiB tmpfs; 'qa' is moved
    beside it as the folder to import."""
    copy = tmp_path / "data"
    subprocess.run(["cp", "-a", str(data), str(copy)], check=True)
    (copy / "skills" / "qa").rename(tmp_path / "qa-source")
    with small_disk_at(copy / "skills"):
        yield copy


def test_skill_import_onto_a_full_disk_says_so_in_one_line_and_keeps_nothing(
    library_on_a_small_disk: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data, source = library_on_a_small_disk, tmp_path / "qa-source"
    archive = tmp_path / "qa.zip"
    with zipfile.ZipFile(archive, "w") as zipped:  # the layout `past skill export` writes: one folder
        for file in source.iterdir():
            zipped.write(file, f"qa/{file.name}")
    for what in (source, archive):  # a folder and a .zip: the skill (over 64 KiB) does not fit
        assert past(data, "skill", "import", str(what), "--name", "big") == 2, what
        err = capsys.readouterr().err
        errors = [line for line in err.splitlines() if line.startswith("error:")]
        assert len(errors) == 1 and "the disk is full" in errors[0] and "Traceback" not in err, err
        assert list((data / "skills").iterdir()) == [], "nothing half-written is left"
