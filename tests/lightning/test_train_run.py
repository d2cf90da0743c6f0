"""End-to-end CPU runs through ``asr.bin.train.train``: run directory, checkpoints, logs."""

from __future__ import annotations

import csv
import itertools
import json
from pathlib import Path
from types import SimpleNamespace

import pytest
import torch
from hydra import compose, initialize_config_dir
from lhotse import CutSet
from lhotse.utils import fastcopy
from omegaconf import OmegaConf
from pytorch_lightning.callbacks import timer as timer_module
from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

from asr.bin.average import main as average_main
from asr.bin.train import CONF_DIR, train
from asr.data.features import cut_features
from asr.data.prepare import AUX_TEXT as AUX
from asr.data.prepare import aux_transcript, load_cuts
from asr.data.tokenizer import UnitTokenizer, load_tokenizer
from asr.lightning import precision
from asr.lightning.average import safe_load
from asr.lightning.schedulers import noam_factor
from asr.models import SpecAugment
from asr.models.ctc import min_frames
from asr.pretrained.run_dir import load_run
from tests.lightning.helpers import train_overrides
from tests.lightning.record import read_records


def run(corpus: dict[str, Path], exp_dir: Path, *extra: str) -> Path:
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose("train", overrides=train_overrides(corpus, exp_dir, *extra))
    return train(cfg)


def read_metrics(exp_dir: Path) -> list[dict[str, str]]:
    with open(exp_dir / "csv" / "version_0" / "metrics.csv") as f:
        return list(csv.DictReader(f))


def test_one_epoch_writes_a_self_contained_run_dir(tiny_corpus, tmp_path, caplog):
    with caplog.at_level("INFO", logger="asr.lightning.callbacks"):
        exp = run(tiny_corpus, tmp_path / "exp", "trainer.max_epochs=2")
    for name in ("config.yaml", "meta.json", "cmvn.json", "tokenizer.json", "curves.png"):
        assert (exp / name).is_file(), name
    meta = json.loads((exp / "meta.json").read_text())
    assert meta["packages"]["torch"] and meta["packages"]["pytorch-lightning"]
    assert "git_revision" in meta
    ckpts = sorted(p.name for p in (exp / "checkpoints").glob("*.ckpt"))
    assert "last.ckpt" in ckpts
    assert sum("val_loss" in n for n in ckpts) == 2, ckpts
    rows = read_metrics(exp)
    assert any(r.get("val/wer") for r in rows) and any(r.get("val/cer") for r in rows)
    assert any(r.get("train/lr") for r in rows) and any(r.get("train/loss_ctc") for r in rows)
    # Each epoch counts the training utterances too short for a CTC path of their tokens.
    counted = [float(r["train/ctc_infeasible"]) for r in rows if r.get("train/ctc_infeasible")]
    assert len(counted) == 2 and counted[0] == counted[1]
    assert f"too short for CTC {counted[0]:.0f}" in caplog.text  # in the epoch line

    model, tokenizer, cfg = load_run(exp)
    best = min(
        (p for p in (exp / "checkpoints").glob("*val_loss*.ckpt")),
        key=lambda p: float(p.name.split("val_loss")[1][:-5]),
    )
    expected = safe_load(best)["state_dict"]
    for key, value in model.state_dict().items():
        assert torch.equal(value, expected[f"model.{key}"]), key
    assert model.vocab_size == tokenizer.vocab_size == cfg["model"]["vocab_size"]
    short = 0
    for cut in load_cuts(tiny_corpus["train"]):
        ids = torch.tensor([tokenizer.encode(cut.supervisions[0].text)])
        frames = model.subsampling.output_lengths(torch.tensor([len(cut_features(cut))]))
        short += int(frames[0] < min_frames(ids, torch.tensor([ids.shape[1]]))[0])
    assert counted[0] == short > 0
    assert isinstance(model.specaug, SpecAugment)  # nested _target_ built too
    assert not model.training


def train_losses(exp_dir: Path) -> list[float]:
    return [float(r["train/loss_step"]) for r in read_metrics(exp_dir) if r.get("train/loss_step")]


def test_same_seed_same_losses_and_lr_follows_noam(tiny_corpus, tmp_path):
    ten_steps = ("trainer.max_epochs=-1", "trainer.max_steps=10")
    a = train_losses(run(tiny_corpus, tmp_path / "a", *ten_steps))
    b = train_losses(run(tiny_corpus, tmp_path / "b", *ten_steps))
    c = train_losses(run(tiny_corpus, tmp_path / "c", *ten_steps, "seed=7"))
    assert len(a) == 10 and a == b
    assert a != c
    lrs = sorted({float(r["train/lr"]) for r in read_metrics(tmp_path / "a") if r.get("train/lr")})
    expected = sorted(1e-3 * noam_factor(step, 5) for step in range(1, 11))
    assert lrs == pytest.approx(sorted(set(expected)))


def test_cosine_without_total_steps_decays_to_its_floor_on_the_last_step(tiny_corpus, tmp_path):
    two_epochs = ("optim=adamw_cosine", "optim.scheduler.warmup_steps=2", "trainer.max_epochs=2")
    exp = run(tiny_corpus, tmp_path / "exp", *two_epochs)
    lrs = [float(r["train/lr"]) for r in read_metrics(exp) if r.get("train/lr")]
    assert len(lrs) > 4
    assert max(lrs) == pytest.approx(1e-3) and lrs[-1] == pytest.approx(1e-3 * 0.01)
    assert min(lrs[:-1]) > lrs[-1]  # the floor is reached on the last step, not before


def test_time_budget_schedule_ends_its_decay_when_max_time_stops_training(
    tiny_corpus, tmp_path, monkeypatch
):
    """The clock of Lightning's Timer advances 0.25 s per reading, whatever the machine's
    speed, so the run is stopped by its 30-second budget after the same steps every time."""
    clock = itertools.count(0.0, 0.25)
    monkeypatch.setattr(timer_module, "time", SimpleNamespace(monotonic=lambda: next(clock)))
    budget = (
        "optim=adamw_cosine_budget",
        "optim.scheduler.warmup_steps=2",
        "trainer.max_epochs=-1",
        "trainer.max_time=00:00:00:30",
    )
    exp = run(tiny_corpus, tmp_path / "exp", *budget)
    lrs = [float(r["train/lr"]) for r in read_metrics(exp) if r.get("train/lr")]
    assert len(lrs) > 10  # stopped by the budget, not by an epoch count
    # Near the floor (1e-5) as the budget runs out: the last step's lr was set one step earlier.
    assert lrs[-1] < 1e-3 * 0.05
    decay = lrs[lrs.index(max(lrs)) :]
    assert all(a >= b for a, b in zip(decay, decay[1:], strict=False)) and decay[0] > 5e-4
    with pytest.raises(ValueError, match="needs trainer.max_time"):
        run(tiny_corpus, tmp_path / "no_budget", "optim=adamw_cosine_budget")


def test_fast_dev_run(tiny_corpus, tmp_path):
    exp = run(tiny_corpus, tmp_path / "exp", "trainer.fast_dev_run=true")
    assert (exp / "config.yaml").is_file()


@pytest.mark.parametrize("flags, expected", [({"avx512_bf16"}, "bf16-mixed"), (set(), "32-true")])
def test_auto_precision_is_chosen_for_the_machine_trains_and_is_recorded(
    tiny_corpus, tmp_path, monkeypatch, flags, expected
):
    monkeypatch.setattr(precision, "cpu_flags", lambda: frozenset(flags))
    # fast_dev_run trains one batch: the fused AdamW and gradient clipping of the defaults
    exp = run(tiny_corpus, tmp_path / "exp", "trainer.precision=auto", "trainer.fast_dev_run=true")
    assert OmegaConf.load(exp / "config.yaml").trainer.precision == expected


def test_attention_maps_reach_tensorboard_and_average_is_decoded_by_default(tiny_corpus, tmp_path):
    exp = run(tiny_corpus, tmp_path / "exp", "trainer.max_epochs=2")
    events = EventAccumulator(str(exp / "tensorboard"), size_guidance={"images": 0})
    events.Reload()
    assert "val/attention" in events.Tags()["images"]
    assert len(events.Images("val/attention")) == 2  # one per validation (sanity check excluded)

    average_main([str(exp), "--num", "2", "--mode", "last"])
    model, _, _ = load_run(exp)
    states = [safe_load(p)["state_dict"] for p in (exp / "checkpoints").glob("*val_loss*.ckpt")]
    key = "decoder.embed.weight"
    mean = (states[0][f"model.{key}"] + states[1][f"model.{key}"]) / 2
    torch.testing.assert_close(model.state_dict()[key], mean)


def test_resume_from_an_epoch_end_checkpoint_trains_the_next_epoch_whole(tiny_corpus, tmp_path):
    exp, record = tmp_path / "exp", tmp_path / "ids"
    recorder = ("+callbacks.record._target_=tests.lightning.record.RecordBatchIds",)
    run(tiny_corpus, exp, *recorder, f"+callbacks.record.path={record}-0")
    first = read_records(f"{record}-0.rank0")
    run(
        tiny_corpus,
        exp,
        *recorder,
        f"+callbacks.record.path={record}-1",
        "resume=auto",
        "trainer.max_epochs=2",
    )
    second = read_records(f"{record}-1.rank0")
    assert second[0][0] == len(first)  # global step continues
    all_ids = sorted(c.id for c in load_cuts(tiny_corpus["train"]))
    assert sorted(i for _, ids in second for i in ids) == all_ids
    assert [ids for _, ids in second] != [ids for _, ids in first]  # epoch 1's own shuffle


def test_aux_tokenizer_trains_a_hierarchical_ctc_head_that_loads_back(tiny_corpus, tmp_path):
    """data.aux_tokenizer sizes layer 1's own CTC head; its targets come from the cuts."""

    def with_letters(cut):  # the transcript's letters, one unit each
        letters = " ".join(cut.supervisions[0].text.replace(" ", ""))
        return fastcopy(cut, supervisions=[fastcopy(cut.supervisions[0], custom={AUX: letters})])

    aux = {}
    for name in ("train", "dev"):
        aux[name] = tmp_path / f"{name}_aux.jsonl.gz"
        CutSet.from_cuts(map(with_letters, load_cuts(tiny_corpus[name]))).to_file(aux[name])
    UnitTokenizer.train(aux_transcript(c) for c in load_cuts(aux["train"])).save(tmp_path / "units")
    corpus = {**tiny_corpus, "train": aux["train"], "dev": aux["dev"]}
    exp = run(corpus, tmp_path / "exp", f"data.aux_tokenizer={tmp_path / 'units'}",
              "model.encoder_layers=2", "model.intermediate_ctc_layer=1",
              "model.intermediate_ctc_weight=0.5")  # fmt: skip
    units = load_tokenizer(tmp_path / "units").vocab_size
    model, _, cfg = load_run(exp)
    assert cfg["model"]["intermediate_ctc_vocab_size"] == units
    assert model.aux_ctc.proj.out_features == units
    rows = read_metrics(exp)
    assert any(r.get("train/loss_inter") for r in rows)
    assert any(r.get("val/loss_inter") for r in rows)
