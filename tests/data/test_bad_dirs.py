"""Property: for Kaldi dirs with randomized defects (``bad_dirs``), asr-prepare keeps exactly
the sound utterances, each with its own audio and transcript, drops and names every other one
(or refuses the dir naming ``file:line``), never shows a traceback, and training on what it
kept runs through its epoch."""

from __future__ import annotations

import contextlib
import io
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
from hydra import compose, initialize_config_dir
from lhotse import CutSet

from asr.bin.prepare import main as prepare_main
from asr.bin.train import CONF_DIR, train
from asr.data.cmvn import compute_cmvn
from asr.data.dataset import AsrDataset
from asr.data.prepare import CUTS_NAME, REPORT_NAME, load_cuts, save_cuts
from asr.data.tokenizer import CharTokenizer
from asr.lightning.average import safe_load
from tests.lightning.helpers import train_overrides
from tests.lightning.record import read_records

from .bad_dirs import MAX_DURATION, SEGMENT_KINDS, UTT_KINDS, BadDir, make_bad_dir

SEEDS = range(12)


@dataclass
class Prepared:
    bad: BadDir
    out: Path
    status: int
    stderr: str

    @property
    def kept(self) -> set[str]:
        """The utterances prepare must keep."""
        if self.bad.refused:
            return set()
        return {utt for utt, e in self.bad.utts.items() if e.reason is None}


def run_prepare(bad: BadDir, out: Path) -> Prepared:
    """asr-prepare as a user runs it, capturing its exit status and stderr."""
    argv = [str(bad.path), str(out), "--no-progress", "--max-duration", str(MAX_DURATION)]
    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr):
        try:
            status = prepare_main(argv)
        except SystemExit as e:
            status = e.code
    return Prepared(bad, out, status, stderr.getvalue())


@pytest.fixture(scope="module")
def prepared(tmp_path_factory) -> list[Prepared]:
    runs = []
    for seed in SEEDS:
        root = tmp_path_factory.mktemp(f"bad{seed}")
        runs.append(run_prepare(make_bad_dir(root, seed), root / "out"))
    return runs


def test_the_generator_covers_every_defect_kind(prepared):
    dirs = [p.bad for p in prepared]
    assert {u.kind for bad in dirs for u in bad.utts.values()} == set(UTT_KINDS)
    oddities = set().union(*(bad.oddities for bad in dirs))
    assert oddities >= {"bom", "crlf", "segments", "duplicate_id", "non_utf8"}
    assert oddities >= {"duplicate_of_bom_line", *(f"segment_{k}" for k in SEGMENT_KINDS)}
    assert "bad_segment" in {u.reason for bad in dirs for u in bad.utts.values()}
    assert sum(len(p.kept) for p in prepared) >= 10


@pytest.mark.parametrize("seed", SEEDS)
def test_every_entry_is_kept_as_written_or_dropped_and_named(prepared, seed):
    run = prepared[seed]
    bad = run.bad
    assert "Traceback" not in run.stderr
    if bad.refused is not None:
        assert run.status == 2
        errors = [line for line in run.stderr.splitlines() if "error:" in line]
        assert len(errors) == 1 and errors[0].startswith(f"asr-prepare: error: {bad.refused}")
        return
    assert run.status == (0 if run.kept else 1)
    report = json.loads((run.out / REPORT_NAME).read_text())
    assert report["entries"] == len(bad.utts)
    assert report["kept"] + sum(report["dropped"].values()) == report["entries"]
    dropped = {utt: reason for reason, utts in report["dropped_utts"].items() for utt in utts}
    assert dropped == {utt: e.reason for utt, e in bad.utts.items() if e.reason is not None}
    assert sum(report["dropped"].values()) == len(dropped)  # no utterance counted twice
    if not run.kept:
        return
    cuts = list(load_cuts(run.out / CUTS_NAME))
    assert {c.id for c in cuts} == run.kept
    for cut in cuts:
        expected = bad.utts[cut.id]
        assert cut.supervisions[0].text == expected.text, cut.id
        assert cut.sampling_rate == expected.sample_rate
        audio = cut.load_audio()
        assert audio.shape == expected.samples.shape, cut.id
        np.testing.assert_allclose(audio, expected.samples, atol=2e-5, err_msg=cut.id)
    batch = AsrDataset(CharTokenizer.train([c.supervisions[0].text for c in cuts]))[cuts]
    assert batch.dropped == [] and sorted(batch.ids) == sorted(run.kept)


@pytest.mark.slow
def test_training_on_what_prepare_kept_runs_through_its_epoch(prepared, tmp_path):
    """One epoch of the tiny model on the kept cuts of every generated dir together: each kept
    utterance is trained on once, none is dropped mid-epoch, and the epoch ends."""
    cuts = CutSet.from_cuts(
        cut for run in prepared if run.kept for cut in load_cuts(run.out / CUTS_NAME)
    )
    kept = set().union(*(run.kept for run in prepared))
    corpus = {
        "train": tmp_path / "cuts.jsonl.gz",
        "dev": tmp_path / "cuts.jsonl.gz",
        "cmvn": tmp_path / "cmvn.json",
        "tokenizer": tmp_path / "lang",
    }
    save_cuts(cuts, corpus["train"])
    compute_cmvn(cuts, progress=False).save(corpus["cmvn"])
    CharTokenizer.train(c.supervisions[0].text for c in cuts).save(corpus["tokenizer"])
    record = tmp_path / "batches"
    overrides = train_overrides(
        corpus,
        tmp_path / "exp",
        "+callbacks.record._target_=tests.lightning.record.RecordBatchIds",
        f"+callbacks.record.path={record}",
    )
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        exp = train(compose("train", overrides=overrides))
    batches = read_records(f"{record}.rank0")
    assert sorted(utt for _, ids in batches for utt in ids) == sorted(kept)
    last = safe_load(exp / "checkpoints" / "last.ckpt")
    assert last["epoch"] == 0 and last["global_step"] == len(batches)
