"""Exported graphs against the eager model they came from: every output, every search.

``check_parity`` feeds utterances of several lengths (the shortest that gives one encoder frame
included) batched and one at a time to the eager graph modules and to the exported files, and
reports the largest absolute difference of each output, of batched against alone, and whether
the decoding methods' hypotheses are identical (exported batched and alone against eager
batched). ``asr-export`` runs it after writing the files.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import torch

from asr.data.features import FbankOptions
from asr.decode.api import decode
from asr.export.runtime import GraphModel

METHODS = ("ctc_greedy", "attention_rescoring", "joint_ctc_attention")
TOLERANCE = 1e-4


@dataclass
class ParityReport:
    """Largest absolute differences by check name, and identical-hypothesis flags by method."""

    max_abs: dict[str, float] = field(default_factory=dict)
    same_hypotheses: dict[str, bool] = field(default_factory=dict)

    def note(self, name: str, a: torch.Tensor, b: torch.Tensor) -> None:
        if a.shape != b.shape:
            raise ValueError(f"{name}: shapes differ, {tuple(a.shape)} vs {tuple(b.shape)}")
        diff = float((a.float() - b.float()).abs().max()) if a.numel() else 0.0
        self.max_abs[name] = max(self.max_abs.get(name, 0.0), diff)

    def ok(self, tolerance: float = TOLERANCE) -> bool:
        close = all(v <= tolerance for v in self.max_abs.values())
        return close and all(self.same_hypotheses.values())

    def lines(self) -> list[str]:
        out = [f"max |Δ| {name}: {v:.2e}" for name, v in self.max_abs.items()]
        out += [
            f"hypotheses {method}: {'identical' if same else 'DIFFERENT'}"
            for method, same in self.same_hypotheses.items()
        ]
        return out


def probe_waves(options: FbankOptions, min_input_frames: int, seed: int = 0) -> list[torch.Tensor]:
    """Seeded speech-like signals (a gliding harmonic tone under an envelope, plus noise): the
    shortest input that gives one encoder frame, and 0.7 and 1.7 seconds."""
    g = torch.Generator().manual_seed(seed)
    shortest = options.window + (min_input_frames - 1) * options.shift
    lengths = [shortest] + [int(s * options.sample_rate) for s in (0.7, 1.7)]
    waves = []
    for n in lengths:
        t = torch.arange(n) / options.sample_rate
        f0 = 120 + 80 * torch.rand(1, generator=g) + 40 * t
        phase = 2 * math.pi * torch.cumsum(f0 / options.sample_rate * torch.ones(n), 0)
        voiced = sum(torch.sin(k * phase) / k for k in range(1, 6))
        envelope = torch.sin(math.pi * t / t[-1].clamp(min=1e-3)) ** 2
        waves.append(0.3 * envelope * voiced + 0.01 * torch.randn(n, generator=g))
    return waves


def _pad(waves: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    lens = torch.tensor([w.numel() for w in waves])
    return torch.nn.utils.rnn.pad_sequence(waves, batch_first=True), lens


def check_parity(
    eager: GraphModel,
    exported: GraphModel,
    waves: list[torch.Tensor],
    methods: tuple[str, ...] = METHODS,
    beam: int = 4,
) -> ParityReport:
    """Compare ``exported`` with ``eager`` (a ``GraphModel`` over ``ModuleRunner.eager``)."""
    report = ParityReport()
    with torch.inference_mode():
        x, lens = _pad(waves)
        ref = eager.encode_with_ctc(x, lens)
        out = exported.encode_with_ctc(x, lens)
        _compare_encoder(report, "batched", ref, out)
        for i, w in enumerate(waves):
            one = (w[None], lens[i : i + 1])
            alone = exported.encode_with_ctc(*one)
            _compare_encoder(report, "alone", eager.encode_with_ctc(*one), alone)
            _compare_alone_in_batch(report, out, alone, i)
        if eager.decoder is not None:
            _compare_decoder(report, eager, exported, ref[0], ref[1])
        available = [m for m in methods if eager.decoder is not None or m.startswith("ctc")]
        for method in available:
            # Eager batched == eager alone is the searches' own invariant (tests/decode).
            ref_hyps = _hypotheses(eager, x, lens, method, beam)
            alone = [
                _hypotheses(exported, w[None], lens[i : i + 1], method, beam)[0]
                for i, w in enumerate(waves)
            ]
            batched = _hypotheses(exported, x, lens, method, beam)
            report.same_hypotheses[method] = batched == ref_hyps and alone == ref_hyps
    return report


def _compare_encoder(report: ParityReport, where: str, ref: tuple, out: tuple) -> None:
    memory, memory_lens, log_probs = ref
    report.note(f"encoder memory, exported vs eager ({where})", memory, out[0])
    report.note(f"encoder memory_lens, exported vs eager ({where})", memory_lens, out[1])
    if log_probs is not None:
        report.note(f"encoder ctc_log_probs, exported vs eager ({where})", log_probs, out[2])


def _compare_alone_in_batch(report: ParityReport, batched: tuple, alone: tuple, i: int) -> None:
    n = int(alone[1][0])
    report.note("encoder memory_lens, batched vs alone (exported)", batched[1][i : i + 1], alone[1])
    report.note("encoder memory, batched vs alone (exported)", batched[0][i, :n], alone[0][0, :n])
    if alone[2] is not None:
        report.note(
            "encoder ctc_log_probs, batched vs alone (exported)", batched[2][i, :n], alone[2][0, :n]
        )


def _compare_decoder(
    report: ParityReport,
    eager: GraphModel,
    exported: GraphModel,
    memory: torch.Tensor,
    memory_lens: torch.Tensor,
    steps: int = 4,
) -> None:
    """Cross K/V, ``steps`` cached steps along the eager greedy path, and teacher forcing."""
    ref_state = eager.decoder.init_state(memory, memory_lens)
    out_state = exported.decoder.init_state(memory, memory_lens)
    for a, b in zip(ref_state.cross_kv, out_state.cross_kv, strict=True):
        report.note("decoder_init cross_kv, exported vs eager", a, b)
    tokens = torch.full((memory.shape[0],), eager.sos_eos_id)
    history = [tokens]
    for _ in range(steps):
        ref_logp, ref_state = eager.decoder.step(tokens, ref_state)
        out_logp, out_state = exported.decoder.step(tokens, out_state)
        report.note("decoder_step log-probs, exported vs eager", ref_logp, out_logp)
        for a, b in zip(ref_state.self_kv, out_state.self_kv, strict=True):
            report.note("decoder_step self_kv, exported vs eager", a, b)
        tokens = ref_logp.argmax(dim=-1)
        history.append(tokens)
    ys = torch.stack(history, 1)
    ys_lens = torch.full((ys.shape[0],), ys.shape[1])
    ys_lens[0] = max(1, ys.shape[1] - 2)  # a padded row
    report.note(
        "decoder_step teacher-forced logits, exported vs eager",
        eager.decoder(memory, memory_lens, ys, ys_lens),
        exported.decoder(memory, memory_lens, ys, ys_lens),
    )


def _hypotheses(model: GraphModel, x, lens, method: str, beam: int) -> list[list[int]]:
    return [n[0].tokens if n else [] for n in decode(model, x, lens, method, beam=beam)]
