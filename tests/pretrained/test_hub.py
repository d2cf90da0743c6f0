"""A hub repo id resolves through huggingface_hub's cache; offline, nothing touches a network."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from asr.bin.pack import main as pack_main
from asr.decode.transcriber import Transcriber
from asr.pretrained import hub
from tests.pretrained.helpers import make_run_dir

REVISION = "0123456789abcdef0123456789abcdef01234567"


def hub_cache(tmp_path: Path, repo_id: str, folder: Path) -> Path:
    """A cache laid out as huggingface_hub writes it: models--owner--name/{refs,snapshots}."""
    cache = tmp_path / "hub"
    repo = cache / f"models--{repo_id.replace('/', '--')}"
    shutil.copytree(folder, repo / "snapshots" / REVISION)
    (repo / "refs").mkdir()
    (repo / "refs" / "main").write_text(REVISION)
    return cache


@pytest.fixture
def packed(tmp_path: Path) -> Path:
    exp = make_run_dir(tmp_path / "run")
    assert pack_main([str(exp), str(tmp_path / "model"), "--method", "ctc_greedy"]) == 0
    return tmp_path / "model"


def test_repo_id_loads_from_the_cache_when_offline(packed, tmp_path, monkeypatch):
    cache = hub_cache(tmp_path, "someone/tiny", packed)
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    wavs = [tmp_path / "run" / "utt0.wav", tmp_path / "run" / "utt1.wav"]
    from_hub = Transcriber.from_pretrained("someone/tiny", cache_dir=cache)
    assert from_hub.transcribe(wavs) == Transcriber.from_pretrained(packed).transcribe(wavs)
    assert hub.resolve("someone/tiny", cache_dir=cache) == cache / "models--someone--tiny" / (
        f"snapshots/{REVISION}"
    )


def test_offline_repo_id_missing_from_the_cache_is_a_one_line_error(tmp_path, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    with pytest.raises(FileNotFoundError, match="someone/absent: HF_HUB_OFFLINE is set") as err:
        Transcriber.from_pretrained("someone/absent", cache_dir=tmp_path / "hub")
    assert "\n" not in str(err.value)


def test_without_huggingface_hub_a_repo_id_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "huggingface_hub", None)  # import fails
    with pytest.raises(FileNotFoundError, match="pip install huggingface_hub"):
        hub.resolve("someone/tiny", cache_dir=tmp_path)
    with pytest.raises(FileNotFoundError, match="no such model folder"):
        hub.resolve(tmp_path / "not" / "here")
