"""Streaming latency per chunk size: compute per chunk, first-partial and final latency, RTF.

    python bench/streaming.py [--threads 1] [--chunks 4,8,16] [--utts 8] [--seconds 4]
    python bench/streaming.py --exp exp/synth_en_streaming --wav-scp data/test/wav.scp \
        --text data/test/text [--limit 100]          # a trained model: WER of true streaming too

Each utterance's audio "arrives" in ``--packet-ms`` packets on a simulated clock (packet i at
(i + 1) × packet): a packet is processed when it has arrived and the previous one is done, so
compute that falls behind the audio delays everything after it. Per chunk size:

- chunk compute: the time of a packet call that completed a chunk (incremental fbank, encoder
  chunk, CTC prefix beam over its frames), median and 95th percentile;
- first partial: from the start of the audio to the first partial hypothesis: the audio the
  first chunk needs (``input_frames(chunk)`` fbank frames) plus compute;
- final: from the end of the audio to the final hypothesis (the last, shorter chunk and the
  attention rescoring of the n-best);
- RTF: all compute ÷ audio seconds.

The ``full`` row decodes the whole utterance after its end (fbank + encoder + rescoring), the
non-streaming baseline; the configurations run in alternation on each utterance, so that the
``RTF/full`` ratios hold under a changing load. Without ``--exp`` the model is the synth_en
recipe's (the tiny preset, subsampling 6, dynamic chunks) with random weights: the same compute
as the trained one. On a shared machine run ``--threads 1``, and report the load it prints.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

from asr.data.features import fbank
from asr.decode import decode
from asr.decode.streaming import StreamingRecognizer

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import build_ours  # noqa: E402

RATE = 16000


def babble(seconds: float, seed: int) -> np.ndarray:
    """Speech-like test audio: 100 ms tones of random pitch and loudness in noise."""
    rng = np.random.default_rng(seed)
    t = np.arange(RATE // 10) / RATE
    pieces = [
        rng.uniform(0.05, 0.5) * np.sin(2 * np.pi * rng.uniform(80, 3000) * t)
        + 0.05 * rng.standard_normal(t.size)
        for _ in range(round(seconds * 10))
    ]
    return np.concatenate(pieces).astype(np.float32)


def stream_one(model, wave: np.ndarray, chunk: int, packet: int, beam: int) -> dict:
    """Latencies (seconds) of one utterance streamed in packets of ``packet`` samples."""
    recognizer = StreamingRecognizer(model, chunk, beam=beam, sample_rate=RATE)
    free, compute, chunk_times, first = 0.0, 0.0, [], None
    for start in range(0, wave.size, packet):
        arrival = min(start + packet, wave.size) / RATE
        frames = recognizer.frames
        t0 = time.perf_counter()
        recognizer.accept_audio(wave[start : start + packet])
        dt = time.perf_counter() - t0
        free, compute = max(arrival, free) + dt, compute + dt
        if recognizer.frames > frames:
            chunk_times.append(dt)
            first = free if first is None else first
    end = wave.size / RATE
    t0 = time.perf_counter()
    final = recognizer.finish()
    dt = time.perf_counter() - t0
    final_at = max(end, free) + dt
    return dict(
        chunk_times=chunk_times, first=final_at if first is None else first,
        final=final_at - end, compute=compute + dt, tokens=final[0].tokens if final else [],
    )  # fmt: skip


def full_one(model, wave: np.ndarray, beam: int) -> dict:
    """The non-streaming baseline: everything happens after the end of the audio."""
    t0 = time.perf_counter()
    feats = fbank(wave, RATE, num_mel_bins=int(model.cmvn_mean.numel()))
    nbest = decode(model, feats[None], torch.tensor([feats.shape[0]]), "attention_rescoring",
                   beam=beam)[0]  # fmt: skip
    dt = time.perf_counter() - t0
    end = wave.size / RATE
    return dict(chunk_times=[], first=end + dt, final=dt, compute=dt,
                tokens=nbest[0].tokens if nbest else [])  # fmt: skip


def load_inputs(args) -> tuple[torch.nn.Module, dict[str, np.ndarray], dict[str, str], object]:
    """(model, {utt: 16 kHz samples}, {utt: reference text}, tokenizer or None)."""
    if args.exp is None:
        model = build_ours("tiny", 256, subsampling=6, specaug=None,
                           streaming={"_target_": "asr.models.DynamicChunk"}).eval()  # fmt: skip
        waves = {f"utt{i}": babble(args.seconds, i) for i in range(args.utts)}
        return model, waves, {}, None
    from asr.data.kaldi_dir import read_table
    from asr.decode.transcriber import Transcriber

    transcriber = Transcriber.from_run_dir(args.exp)
    entries = list(read_table(args.wav_scp, min_fields=2).items())[: args.limit]
    waves = {utt: transcriber.waveform(entry).numpy() for utt, entry in entries}
    refs = read_table(args.text) if args.text else {}
    return transcriber.model, waves, {u: refs[u] for u in waves if u in refs}, transcriber.tokenizer


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--chunks", default="4,8,16", help="chunk sizes in encoder frames")
    p.add_argument("--utts", type=int, default=8, help="random-model utterances")
    p.add_argument("--seconds", type=float, default=4.0, help="random-model utterance length")
    p.add_argument("--packet-ms", type=float, default=40.0, help="audio arrives in such packets")
    p.add_argument("--beam", type=int, default=10)
    p.add_argument("--exp", type=Path, help="a trained run directory (model.streaming)")
    p.add_argument("--wav-scp", type=Path, help="with --exp: the audio to stream")
    p.add_argument("--text", type=Path, help="with --exp: references, for the WER")
    p.add_argument("--limit", type=int, default=None, help="with --exp: first N utterances")
    args = p.parse_args()
    if args.exp is not None and args.wav_scp is None:
        p.error("--exp needs --wav-scp")
    torch.set_num_threads(args.threads)
    model, waves, refs, tokenizer = load_inputs(args)
    stride, field = model.subsampling.stride, model.subsampling.min_len
    audio = sum(w.size for w in waves.values()) / RATE
    print("command: python " + " ".join(sys.argv))
    print(f"{len(waves)} utterances, {audio:.1f} s of audio, subsampling ×{stride} "
          f"(receptive field {field} frames), {args.threads} thread(s), "
          f"{args.packet_ms:g} ms packets, beam {args.beam}, "
          f"load average {os.getloadavg()[0]:.1f}")  # fmt: skip
    header = (f"{'chunk':>6}{'chunk s':>9}{'compute/chunk ms':>18}{'first partial ms':>18}"
              f"{'final ms':>10}{'RTF':>8}{'RTF/full':>10}")  # fmt: skip
    if refs:
        header += f"{'WER %':>8}"
    print(header)
    packet = max(1, round(RATE * args.packet_ms / 1000))
    configs = [*map(int, args.chunks.split(",")), None]
    runs: dict[int | None, dict[str, dict]] = {c: {} for c in configs}
    for utt, wave in waves.items():  # the configurations in alternation: load hits all alike
        for chunk in configs:
            runs[chunk][utt] = (
                full_one(model, wave, args.beam) if chunk is None
                else stream_one(model, wave, chunk, packet, args.beam)
            )  # fmt: skip
    full_rtf = sum(r["compute"] for r in runs[None].values()) / audio
    for chunk, results in runs.items():
        times = sorted(t for r in results.values() for t in r["chunk_times"])
        per_chunk = "-"
        if times:
            p95 = times[int(0.95 * (len(times) - 1))]
            per_chunk = f"{1e3 * statistics.median(times):.1f} / {1e3 * p95:.1f}"
        first = statistics.median(r["first"] for r in results.values())
        final = statistics.median(r["final"] for r in results.values())
        rtf = sum(r["compute"] for r in results.values()) / audio
        span = "-" if chunk is None else f"{chunk * stride / 100:.2f}"
        line = (f"{chunk or 'full':>6}{span:>9}{per_chunk:>18}{1e3 * first:>18.0f}"
                f"{1e3 * final:>10.0f}{rtf:>8.4f}{rtf / full_rtf:>10.2f}")  # fmt: skip
        if refs:
            from asr.scoring import score

            hyps = {u: tokenizer.decode(r["tokens"]) for u, r in results.items()}
            line += f"{score(refs, hyps).error_rate:>8.2f}"
        print(line, flush=True)


if __name__ == "__main__":
    main()
