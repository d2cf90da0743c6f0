"""Data preparation of the LibriSpeech and AISHELL recipes on tiny fake trees, Shar export."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from lhotse import CutSet
from lhotse.recipes import prepare_librispeech

from asr.recipes.shar import export_shar
from tests.recipes.conftest import REPO, read_table, run_script
from tests.recipes.fake_corpora import LIBRI_TEXT, make_aishell, make_librispeech

LIBRI = REPO / "egs" / "librispeech" / "asr1"
PARTS = {
    "train-clean-100": [("103", "1240"), ("1034", "121119")],
    "dev-clean": [("1272", "128104")],
    "dev-other": [("116", "288045")],
    "test-clean": [("1089", "134686")],
}


@pytest.fixture(scope="module")
def libri_tree(tmp_path_factory) -> Path:
    return make_librispeech(tmp_path_factory.mktemp("libri"), PARTS)


def test_librispeech_kaldi_dirs_from_lhotse_recipe(libri_tree: Path, tmp_path: Path):
    run_script(LIBRI / "local" / "prepare_data.py", str(libri_tree), str(tmp_path),
               "--parts", "train-clean-100,dev-clean,dev-other,test-clean,dev-clean",
               "--combine", "dev=dev-clean,dev-other", "--nj", "1")  # fmt: skip
    train = tmp_path / "train-clean-100"
    scp, text, u2s = (read_table(train / f) for f in ("wav.scp", "text", "utt2spk"))
    assert list(scp) == ["103-1240-0000", "103-1240-0001", "1034-121119-0000", "1034-121119-0001"]
    for utt, path in scp.items():
        spk, chapter, _ = utt.split("-")
        assert Path(path) == libri_tree / "train-clean-100" / spk / chapter / f"{utt}.flac"
        assert u2s[utt] == spk
        assert text[utt] in LIBRI_TEXT  # corpus text kept as is (upper case)
    s2u = read_table(train / "spk2utt")
    assert s2u == {
        "103": "103-1240-0000 103-1240-0001",
        "1034": "1034-121119-0000 1034-121119-0001",
    }
    assert not (train / "segments").exists()  # one utterance per file
    dev = read_table(tmp_path / "dev" / "text")
    assert len(dev) == 4 and set(dev) == set(read_table(tmp_path / "dev-clean" / "text")) | set(
        read_table(tmp_path / "dev-other" / "text")
    )


def test_librispeech_missing_subset_is_named(libri_tree: Path, tmp_path: Path):
    proc = subprocess.run(
        [sys.executable, str(LIBRI / "local" / "prepare_data.py"), str(libri_tree), str(tmp_path),
         "--parts", "train-other-500"],
        capture_output=True, text=True, cwd=REPO,
    )  # fmt: skip
    assert proc.returncode == 1 and "has no train-other-500" in proc.stderr


def test_aishell_kaldi_dirs_from_lhotse_recipe(tmp_path: Path):
    root, expected = make_aishell(tmp_path / "corpus")
    run_script(REPO / "egs" / "aishell" / "asr1" / "local" / "prepare_data.py", str(root),
               str(tmp_path / "data"))  # fmt: skip
    seen = {}
    for split, spk in (("train", "S0002"), ("dev", "S0724"), ("test", "S0764")):
        d = tmp_path / "data" / split
        text, u2s, scp = (read_table(d / f) for f in ("text", "utt2spk", "wav.scp"))
        assert set(u2s.values()) == {spk}
        assert all(Path(p).parent.name == spk for p in scp.values())
        seen.update(text)
    assert seen == expected  # no spaces; the wav without a transcript line is skipped


def test_shar_round_trip(libri_tree: Path, tmp_path: Path):
    m = prepare_librispeech(libri_tree, dataset_parts=["train-clean-100"])["train-clean-100"]
    cuts = CutSet.from_manifests(recordings=m["recordings"], supervisions=m["supervisions"])
    cuts.to_file(tmp_path / "cuts.jsonl.gz")
    assert export_shar(tmp_path / "cuts.jsonl.gz", tmp_path / "shar", shard_size=3) == 2
    back = {c.id: c for c in CutSet.from_shar(in_dir=tmp_path / "shar")}
    assert set(back) == {c.id for c in cuts}
    for cut in cuts:
        again = back[cut.id]
        assert again.supervisions[0].text == cut.supervisions[0].text
        assert again.duration == pytest.approx(cut.duration)
        assert np.array_equal(again.load_audio(), cut.load_audio())  # flac is lossless
    with pytest.raises(FileExistsError, match="not empty"):
        export_shar(tmp_path / "cuts.jsonl.gz", tmp_path / "shar")


@pytest.mark.slow
def test_librispeech_run_sh_stages_0_and_1(libri_tree: Path, tmp_path: Path):
    """run.sh stage 0 (lhotse recipe → Kaldi dirs → asr-prepare) and the Shar stage 1."""
    recipe = tmp_path / "egs" / "librispeech" / "asr1"
    recipe.parent.mkdir(parents=True)
    subprocess.run(["cp", "-r", str(LIBRI), str(recipe)], check=True)
    (tmp_path / "egs" / "tools").symlink_to(REPO / "egs" / "tools")
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    env["ASR_SKIP_SETUP"] = "1"  # the copied tree has no tools/setup.sh; this venv is set up
    proc = subprocess.run(
        [str(recipe / "run.sh"), "--corpus-dir", str(libri_tree), "--stop-stage", "1",
         "--eval-sets", "test-clean", "--speed-perturb", "", "--shar", "true", "--nj", "1"],
        capture_output=True, text=True, env=env,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    for name, n in (("train-clean-100", 4), ("dev", 4), ("test-clean", 2)):
        cuts = CutSet.from_file(recipe / "data" / name / "cuts.jsonl.gz")
        assert len(cuts) == n
    assert (recipe / "data" / "train-clean-100" / "cmvn.json").is_file()
    shar = CutSet.from_shar(in_dir=recipe / "data" / "train-clean-100" / "shar")
    assert sorted(c.id for c in shar) == sorted(read_table(recipe / "data/train-clean-100/text"))
