"""The model card (``README.md``) of a packed folder: Hugging Face front matter, then what the
model is, what it was trained on, how well it decodes and with which commands, and what made it.
"""

from __future__ import annotations

import inspect
import json
import shlex
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from asr.data.features import FbankOptions
from asr.models import ASRModel
from asr.recipes.results import split_decode_dir


@dataclass
class TrainingData:
    """A training or validation manifest and how much audio it holds (None: unreadable)."""

    name: str
    path: str
    utterances: int | None = None
    hours: float | None = None


@dataclass
class CardInfo:
    """Everything the card states; each field comes from the run directory or asr-pack."""

    name: str  # the title: a hub repo id or the folder's name
    location: str  # what from_pretrained takes in the usage lines: repo id or folder path
    license: str
    language: list[str]
    model: ASRModel
    model_args: dict[str, Any]
    tokenizer: str  # e.g. "SentencePieceTokenizer, 256 tokens"
    features: FbankOptions
    decoding: dict[str, Any]
    lm: str | None
    data: list[TrainingData] = field(default_factory=list)
    results: list[dict[str, Any]] = field(default_factory=list)  # decode summary.json files
    meta: dict[str, Any] = field(default_factory=dict)  # the run's meta.json
    packed_with: dict[str, Any] = field(default_factory=dict)  # asr version, git revision


def read_results(run_dir: Path) -> list[dict[str, Any]]:
    """Every ``run_dir/decode/<set>_<method>/summary.json``, with ``set`` and ``method`` added."""
    rows = []
    for path in sorted(run_dir.glob("decode/*/summary.json")):
        summary = json.loads(path.read_text(encoding="utf-8"))
        test_set, method = split_decode_dir(path.parent.name)
        rows.append({**summary, "set": test_set, "method_label": method})
    return rows


def decode_command(summary: dict[str, Any]) -> str:
    """The ``asr-decode`` command line that writes a summary like this one."""
    args = [
        "asr-decode",
        f"exp_dir={summary.get('exp_dir', 'EXP')}",
        f"test_sets={{{summary['set']}: {summary.get('test_set', 'SET')}}}",
        f"method={summary.get('method')}",
        f"beam={summary.get('beam')}",
        f"ctc_weight={summary.get('ctc_weight')}",
    ]
    if summary.get("checkpoint"):
        args.append(f"checkpoint={summary['checkpoint']}")
    if summary.get("length_penalty"):
        args.append(f"length_penalty={summary['length_penalty']}")
    if summary.get("lm"):
        args += [f"lm={summary['lm']}", f"lm_weight={summary.get('lm_weight')}"]
    if summary.get("chunk_size") is not None:
        args.append(f"chunk_size={summary['chunk_size']}")
        if summary.get("left_chunks", -1) >= 0:
            args.append(f"left_chunks={summary['left_chunks']}")
    if summary.get("metric") == "cer":
        args.append("metric=cer")
    return shlex.join(args)


def _front_matter(info: CardInfo) -> str:
    encoder = info.model_args.get("encoder", "transformer")
    matter: dict[str, Any] = {"license": info.license}
    if info.language:
        matter["language"] = info.language
    matter |= {
        "library_name": "asr",
        "pipeline_tag": "automatic-speech-recognition",
        "tags": ["automatic-speech-recognition", encoder, "ctc", "attention-encoder-decoder"],
    }
    return "---\n" + yaml.safe_dump(matter, sort_keys=False) + "---\n"


def _architecture(info: CardInfo) -> list[str]:
    defaults = {
        name: p.default
        for name, p in inspect.signature(ASRModel).parameters.items()
        if p.default is not inspect.Parameter.empty
    }
    a, m = {**defaults, **info.model_args}, info.model
    channels = a["subsampling_channels"] or a["d_model"]
    decoder = (
        f"{a['decoder_layers']}-layer Transformer decoder (FFN {a['decoder_ffn_dim']})"
        if m.decoder is not None
        else "no attention decoder"
    )
    return [
        "## Model",
        "",
        f"- {a['encoder_layers']}-layer {a['encoder'].capitalize()} encoder: d_model "
        f"{a['d_model']}, {a['heads']} heads, FFN {a['encoder_ffn_dim']}; Conv2d subsampling "
        f"×{a['subsampling']} ({channels} channels"
        f"{', depthwise-separable' if a['subsampling_depthwise'] else ''})"
        f"{'; streaming (dynamic chunks, causal convolution)' if a['streaming'] else ''}",
        f"- {decoder}; CTC weight {a['ctc_weight']} in the training loss"
        + (
            f", intermediate CTC on layer {a['intermediate_ctc_layer']}"
            + (
                f" (own {a['intermediate_ctc_vocab_size']}-unit targets; training only)"
                if a.get("intermediate_ctc_vocab_size")
                else ""
            )
            if a["intermediate_ctc_layer"]
            else ""
        ),
        f"- {m.num_params() / 1e6:.2f} M parameters; tokenizer: {info.tokenizer}",
        f"- Input: {info.features.sample_rate} Hz mono audio → {info.features.num_mel_bins}-bin "
        f"Kaldi fbank ({info.features.frame_length_ms:g} ms / {info.features.frame_shift_ms:g} "
        "ms) → global CMVN (inside the weights)",
        "",
    ]


def _data(info: CardInfo) -> list[str]:
    lines = ["## Training data", ""]
    if not info.data:
        lines.append("Not recorded in the run directory.")
    for d in info.data:
        size = (
            f"{d.utterances} utterances, {d.hours:.2f} h"
            if d.hours is not None
            else "not readable when packed"
        )
        lines.append(f"- {d.name}: `{d.path}` ({size})")
    return [*lines, ""]


def _results(info: CardInfo) -> list[str]:
    lines = ["## Results", ""]
    if not info.results:
        return [*lines, "No decoding results were found in the run directory.", ""]
    lines += ["| set | method | metric | error % | RTF |", "|---|---|---|---|---|"]
    for r in info.results:
        err = "-" if r.get("wer") is None else f"{r['wer']:.2f}"
        rtf = "-" if r.get("rtf") is None else f"{r['rtf']:.4f}"
        lines.append(
            f"| {r['set']} | {r['method_label']} | {r.get('metric', 'wer')} | {err} | {rtf} |"
        )
    lines += ["", "Made by:", "", "```bash"]
    lines += [decode_command(r) for r in info.results]
    return [*lines, "```", ""]


def _usage(info: CardInfo) -> list[str]:
    d = info.decoding
    default = ", ".join(f"{k}={v}" for k, v in d.items()) or "the library's"
    lm = f" with the n-gram LM `{info.lm}`" if info.lm else ""
    return [
        "## Use",
        "",
        f"Decoding defaults: {default}{lm}.",
        "",
        "```python",
        "from asr.decode.transcriber import Transcriber",
        "",
        f'asr = Transcriber.from_pretrained("{info.location}")',
        'print(asr.transcribe(["audio.wav"]))',
        "```",
        "",
        "```bash",
        f"asr-transcribe --model {info.location} audio.wav",
        f"asr-export {info.location} --format onnx   # then: asr-transcribe --backend onnx ...",
        "```",
        "",
    ]


def _provenance(info: CardInfo) -> list[str]:
    meta, packed = info.meta, info.packed_with
    versions = meta.get("packages") or {}
    listed = ", ".join(f"{k} {v}" for k, v in versions.items() if v) or "not recorded"
    return [
        "## Provenance",
        "",
        f"- Trained with git revision `{meta.get('git_revision')}`, Python "
        f"{meta.get('python')}, started {meta.get('started')}",
        f"- Packages at training: {listed}",
        f"- Packed by asr {packed.get('asr')} at git revision `{packed.get('git_revision')}`",
        f"- Licence: {info.license}",
        "",
    ]


def model_card(info: CardInfo) -> str:
    """The ``README.md`` text."""
    lines = [f"# {info.name}", ""]
    lines += [
        "A speech recognition model trained with asr: a joint CTC / attention encoder-decoder.",
        "",
    ]
    for part in (_architecture, _data, _results, _usage, _provenance):
        lines += part(info)
    return _front_matter(info) + "\n" + "\n".join(lines)
