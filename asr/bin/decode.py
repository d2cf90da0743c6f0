"""``asr-decode`` (or ``python -m asr.bin.decode``): decode and score the test sets of a run.

See conf/decode.yaml for the options. Each test set is a cuts manifest or a Kaldi data dir.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import hydra
import torch
from omegaconf import DictConfig, OmegaConf

from asr.bin.cli import exits_on_bad_input
from asr.data.prepare import load_cuts, prepare_kaldi_dir
from asr.decode.api import METHODS
from asr.decode.runner import decode_set
from asr.decode.word_lm import WordLMScorer
from asr.errors import InputError
from asr.lm import NgramLM
from asr.pretrained.loading import load_model
from asr.scoring import make_normalizer

CONF_DIR = Path(__file__).resolve().parents[2] / "conf"

log = logging.getLogger(__name__)


def load_test_set(path: str | Path):
    """A cuts manifest, or a Kaldi data dir validated into cuts (dropped entries are logged)."""
    path = Path(path)
    if path.is_dir():
        cuts, _ = prepare_kaldi_dir(path)
        return cuts
    return load_cuts(path)


def decode_dir_suffix(chunk_size: int | None, left_chunks: int) -> str:
    """``_chunk<N>[_left<L>]`` for a streaming decode's directory, ``""`` for full context."""
    if chunk_size is None:
        return ""
    return f"_chunk{chunk_size}" + (f"_left{left_chunks}" if left_chunks >= 0 else "")


def run(cfg: DictConfig) -> dict[str, dict[str, Any]]:
    """Decode every set in ``cfg.test_sets``; returns ``{set: summary}``."""
    if cfg.method not in METHODS:
        raise InputError(f"method={cfg.method!r}: choose one of {', '.join(METHODS)}")
    if cfg.metric not in ("wer", "cer"):
        raise InputError(f"metric={cfg.metric!r}: choose wer or cer")
    if not cfg.test_sets:
        raise InputError("no test sets: pass 'test_sets={name: path/to/cuts.jsonl.gz}'")
    if cfg.threads:
        torch.set_num_threads(int(cfg.threads))
    device = cfg.device
    if device == "auto":
        device = "cuda" if torch.cuda.is_available() else "cpu"
    loaded = load_model(cfg.exp_dir, checkpoint=cfg.checkpoint)
    model, tokenizer = loaded.model, loaded.tokenizer
    if cfg.chunk_size is not None:
        try:  # a chunk size below 1, or a full-context Conformer, is refused before decoding
            model.encoder.init_cache(1, int(cfg.chunk_size), int(cfg.left_chunks))
        except ValueError as e:
            raise InputError(f"chunk_size={cfg.chunk_size}: {cfg.exp_dir}: {e}") from None
    lm = None
    if cfg.lm:
        lm = WordLMScorer.for_tokenizer(NgramLM.load(cfg.lm), tokenizer)
    options = dict(
        method=cfg.method,
        beam=int(cfg.beam),
        ctc_weight=float(cfg.ctc_weight),
        length_penalty=float(cfg.length_penalty),
        length_norm=bool(cfg.length_norm),
        pre_beam=cfg.pre_beam,
        max_len_ratio=float(cfg.max_len_ratio),
        lm=lm,
        lm_weight=float(cfg.lm_weight),
        chunk_size=None if cfg.chunk_size is None else int(cfg.chunk_size),
        left_chunks=int(cfg.left_chunks),
    )
    normalize = make_normalizer(**OmegaConf.to_container(cfg.normalize))
    summaries = {}
    chunk = decode_dir_suffix(options["chunk_size"], options["left_chunks"])
    label = f"{cfg.method}{' + n-gram LM' if lm else ''}, beam {cfg.beam}"
    label += f", chunk {cfg.chunk_size}" if chunk else ""
    for name, path in cfg.test_sets.items():
        out_dir = Path(cfg.out_dir) / f"{name}_{cfg.method}{'_lm' if lm else ''}{chunk}"
        summary = decode_set(
            model,
            tokenizer,
            load_test_set(path),
            out_dir,
            options,
            cer=cfg.metric == "cer",
            normalize=normalize,
            max_duration=float(cfg.max_duration),
            num_workers=int(cfg.num_workers),
            device=device,
            title=f"{name} ({label})",
            progress=bool(cfg.progress),
            inputs={
                "exp_dir": str(cfg.exp_dir),
                "checkpoint": cfg.checkpoint,
                "test_set": str(path),
            },
        )
        log.info(
            "%s: %%%s %s, RTF %s -> %s", name, cfg.metric.upper(), summary["wer"],
            summary["rtf"], out_dir,
        )  # fmt: skip
        summaries[name] = summary
    return summaries


@hydra.main(version_base="1.3", config_path=str(CONF_DIR), config_name="decode")
@exits_on_bad_input("asr-decode")
def main(cfg: DictConfig) -> None:
    run(cfg)


if __name__ == "__main__":
    main()
