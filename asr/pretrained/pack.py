"""Pack a run directory into a self-contained model folder (``asr.pretrained.packed``).

The folder is checked after writing: its weights are read back through the packed loader and
must equal the run's bit for bit, so a folder that would load differently is never left behind.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import yaml

from asr import __version__
from asr.data.features import FbankOptions
from asr.errors import InputError
from asr.lightning.run_dir import git_revision
from asr.pretrained.card import CardInfo, TrainingData, model_card, read_results
from asr.pretrained.packed import (
    CMVN,
    CONFIG,
    LM,
    WEIGHTS,
    PackedConfig,
    build_model,
    cmvn_of,
    save_weights,
    state_matches,
)
from asr.pretrained.run_dir import load_run, resolve_checkpoint

MODEL_TARGETS = ("asr.models.ASRModel", "asr.models.asr_model.ASRModel")
STREAMING_TARGETS = ("asr.models.DynamicChunk", "asr.models.dynamic_chunk.DynamicChunk")


def packed_model_args(model_config: dict[str, Any], source: Path) -> dict[str, Any]:
    """A run's ``model`` config as plain ASRModel arguments: no ``_target_``, no SpecAugment
    (training only); ``streaming`` (it also makes the Conformer causal) as DynamicChunk's
    plain arguments."""
    target = model_config.get("_target_", MODEL_TARGETS[0])
    if target not in MODEL_TARGETS:
        raise InputError(f"{source}: model._target_ is {target}; asr-pack packs ASRModel only")
    args = {k: v for k, v in model_config.items() if k not in ("_target_", "specaug")}
    streaming = args.get("streaming")
    if streaming is not None:
        if streaming.get("_target_", STREAMING_TARGETS[0]) not in STREAMING_TARGETS:
            raise InputError(f"{source}: model.streaming._target_ is not asr.models.DynamicChunk")
        args["streaming"] = {k: v for k, v in streaming.items() if k != "_target_"}
    return args


def training_data(config: dict[str, Any]) -> list[TrainingData]:
    """The run's training and validation manifests, with their size when they can be read."""
    data = config.get("data") or {}
    out = []
    for name, key in (("training", "train_cuts"), ("validation", "dev_cuts")):
        if not data.get(key):
            continue
        entry = TrainingData(name, str(data[key]))
        try:
            from asr.data.prepare import load_cuts  # lhotse: only to read the manifest

            count, seconds = 0, 0.0
            for cut in load_cuts(data[key]):
                count, seconds = count + 1, seconds + cut.duration
            entry.utterances, entry.hours = count, seconds / 3600
        except Exception:  # a moved or deleted manifest only leaves the size unknown
            pass
        out.append(entry)
    return out


def same_weights(summary: dict[str, Any], checkpoint: Path) -> bool:
    """Whether a decode summary was made with the weights being packed (or does not say)."""
    used = summary.get("checkpoint")
    return used is None or Path(used).name == checkpoint.name


def pack_run(
    run_dir: str | Path,
    out_dir: str | Path,
    checkpoint: str | Path | None = None,
    decoding: dict[str, Any] | None = None,
    lm: str | Path | None = None,
    license: str = "other",
    language: list[str] | None = None,
    repo_id: str | None = None,
) -> Path:
    """Write ``out_dir`` from ``run_dir``'s weights (``average.pt`` by default) and files.

    The card's results are the run's decode summaries made with these weights. ``repo_id``: the
    hub repository the folder is meant for, named in the card's usage lines.
    """
    run_dir, out_dir = Path(run_dir), Path(out_dir)
    if out_dir.resolve() == run_dir.resolve():
        raise InputError(f"{out_dir}: pack into a folder of its own, not the run directory")
    config = yaml.safe_load((run_dir / "config.yaml").read_text(encoding="utf-8"))
    model_args = packed_model_args(config["model"], run_dir / "config.yaml")
    model, tokenizer, _ = load_run(run_dir, checkpoint)
    weights = resolve_checkpoint(run_dir, checkpoint)
    features = FbankOptions(num_mel_bins=int(model.cmvn_mean.numel()))  # at 16 kHz, as trained
    data = training_data(config)
    if lm is not None and not Path(lm).is_file():
        raise FileNotFoundError(f"{lm}: no such LM file")
    packed = PackedConfig(model_args, features, dict(decoding or {}), LM if lm else None)

    out_dir.mkdir(parents=True, exist_ok=True)
    packed.weights_sha256 = save_weights(model, out_dir / WEIGHTS)
    for old in out_dir.glob("tokenizer.*"):
        old.unlink()
    tokenizer.save(out_dir)
    (out_dir / CMVN).write_text(json.dumps(cmvn_of(model)) + "\n", encoding="utf-8")
    (out_dir / LM).unlink(missing_ok=True)
    if lm is not None:
        shutil.copyfile(lm, out_dir / LM)
    (out_dir / CONFIG).write_text(packed.to_json(), encoding="utf-8")
    if not state_matches(build_model(out_dir, PackedConfig.read(out_dir)), model):
        raise RuntimeError(f"{out_dir}: the packed weights do not read back as written")

    meta_path = run_dir / "meta.json"
    info = CardInfo(
        name=repo_id or out_dir.name,
        location=repo_id or str(out_dir),
        license=license,
        language=language or [],
        model=model,
        model_args=model_args,
        tokenizer=f"{type(tokenizer).__name__}, {tokenizer.vocab_size} tokens",
        features=features,
        decoding=packed.decoding,
        lm=packed.lm,
        data=data,
        results=[r for r in read_results(run_dir) if same_weights(r, weights)],
        meta=json.loads(meta_path.read_text()) if meta_path.is_file() else {},
        packed_with={"asr": __version__, "git_revision": git_revision(Path(__file__).parent)},
    )
    (out_dir / "README.md").write_text(model_card(info), encoding="utf-8")
    return out_dir
