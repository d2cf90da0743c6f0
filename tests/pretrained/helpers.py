"""A run directory as asr-train leaves it, from a seeded random tiny model, and audio for it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np
import soundfile
import torch

from asr.data.cmvn import CmvnStats
from asr.data.features import fbank
from asr.data.tokenizer import CharTokenizer
from asr.lightning.run_dir import write_run_dir
from asr.pretrained.run_dir import build

RATE = 16000
MODEL = {
    "_target_": "asr.models.ASRModel", "feat_dim": 80, "encoder": "conformer", "d_model": 32,
    "heads": 2, "encoder_layers": 1, "encoder_ffn_dim": 64, "decoder_layers": 1,
    "decoder_ffn_dim": 64, "subsampling_channels": 8, "conv_kernel": 3, "dropout": 0.0,
    "specaug": {"_target_": "asr.models.SpecAugment", "time_warp": 0},
}  # fmt: skip


def tone(seconds: float, seed: int) -> np.ndarray:
    """A random-pitch tone with a harmonic, under noise: float32 samples at 16 kHz."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * RATE)) / RATE
    f0 = rng.uniform(100, 400)
    wave = 0.3 * np.sin(2 * np.pi * f0 * t) + 0.1 * np.sin(4 * np.pi * f0 * t)
    return (wave + 0.05 * rng.standard_normal(t.size)).astype(np.float32)


def make_run_dir(root: Path, seed: int = 0, **model: Any) -> Path:
    """``root/exp`` with config.yaml, meta.json, tokenizer, cmvn.json and average.pt, and
    ``root/utt{0,1,2}.wav`` (1.3, 0.8 and 0.35 s). The weights are made peaky, with a bias
    towards <eos>, so that searches disagree and hypotheses end early."""
    root.mkdir(parents=True, exist_ok=True)
    tokenizer = CharTokenizer.train(["hello world", "good morning"])
    tokenizer.save(root / "lang")
    stats = CmvnStats(80)
    for s in range(3):
        stats.accumulate(fbank(tone(1.0, s), RATE))
    stats.save(root / "cmvn.json")
    model_cfg = {**MODEL, "vocab_size": tokenizer.vocab_size, **model}
    config = {"model": model_cfg, "data": {"num_mel_bins": 80, "train_cuts": "gone.jsonl.gz"}}
    exp = write_run_dir(root / "exp", config, root / "lang", root / "cmvn.json")
    torch.manual_seed(seed)
    net = build(model_cfg)  # nested _target_s (SpecAugment, DynamicChunk) too, as asr-train
    mean, istd = torch.tensor(stats.mean, dtype=torch.float32), torch.tensor(stats.istd())
    with torch.no_grad():
        net.cmvn_mean.copy_(mean)
        net.cmvn_istd.copy_(istd.float())
        if net.decoder is not None:
            net.decoder.out.weight.mul_(4.0)
            net.decoder.out.bias[net.sos_eos_id] += 2.5
        net.ctc.proj.weight.mul_(4.0)
    torch.save({"state_dict": net.state_dict()}, exp / "average.pt")
    for i, seconds in enumerate([1.3, 0.8, 0.35]):
        soundfile.write(root / f"utt{i}.wav", tone(seconds, 10 + i), RATE)
    return exp


def write_summary(exp: Path, name: str, **fields: Any) -> None:
    """A decode result as asr-decode writes it: ``exp/decode/<name>/summary.json``."""
    out = exp / "decode" / name
    out.mkdir(parents=True, exist_ok=True)
    (out / "summary.json").write_text(json.dumps(fields))
