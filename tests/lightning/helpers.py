"""A tiny prepared corpus and the Hydra overrides of a seconds-long CPU run on it."""

from __future__ import annotations

from pathlib import Path

from asr.data.cmvn import compute_cmvn
from asr.data.prepare import prepare_kaldi_dir, save_cuts
from asr.data.tokenizer import CharTokenizer
from tests.data.fixtures import write_kaldi_dir

REPO = Path(__file__).resolve().parents[2]
TINY_MODEL = [
    "model=tiny",
    "model.d_model=32",
    "model.heads=2",
    "model.encoder_layers=1",
    "model.decoder_layers=1",
    "model.encoder_ffn_dim=64",
    "model.decoder_ffn_dim=64",
    "model.subsampling_channels=8",
    "model.conv_kernel=3",
    "model.dropout=0.0",
]


def make_corpus(root: Path, n_train: int = 24, n_dev: int = 6) -> dict[str, Path]:
    """Generated 0.5–1.5 s utterances → train/dev cuts, a char tokenizer and CMVN stats."""
    paths = {"tokenizer": root / "lang", "cmvn": root / "cmvn.json"}
    for name, n, seed in (("train", n_train, 0), ("dev", n_dev, 1)):
        kaldi = write_kaldi_dir(root / name, n_utts=n, seed=seed, min_seconds=0.5, max_seconds=1.5)
        cuts, _ = prepare_kaldi_dir(kaldi, progress=False)
        paths[name] = root / f"{name}.jsonl.gz"
        save_cuts(cuts, paths[name])
        if name == "train":
            compute_cmvn(cuts, progress=False).save(paths["cmvn"])
            CharTokenizer.train(s.text for c in cuts for s in c.supervisions).save(root / "lang")
    return paths


def train_overrides(corpus: dict[str, Path], exp_dir: Path, *extra: str) -> list[str]:
    """Overrides for one epoch of the d32 model on ``corpus`` (about 6 batches)."""
    return [
        f"exp_dir={exp_dir}",
        f"data.train_cuts={corpus['train']}",
        f"data.dev_cuts={corpus['dev']}",
        f"data.tokenizer={corpus['tokenizer']}",
        f"data.cmvn={corpus['cmvn']}",
        "data.max_duration=5",
        "data.num_buckets=2",
        "data.num_workers=0",
        "data.buffer_size=100",
        *TINY_MODEL,
        "optim.scheduler.warmup_steps=5",
        "trainer.max_epochs=1",
        "trainer.log_every_n_steps=1",
        "trainer.enable_model_summary=false",
        "callbacks.progress_bar.refresh_rate=0",
        *extra,
    ]
