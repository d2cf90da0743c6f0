"""Our model against ESPnet2's ``ESPnetASRModel`` of the same sizes, in one process, interleaved.

Both models are built from one preset (conf/model/<preset>.yaml), trained on the same batch with
the same step (forward, backward, clip, Adam) and timed in alternation, so machine noise hits both
alike; then both decode the same utterances with joint CTC/attention beam search at equal beam,
CTC weight and maximum length (ESPnet2: ``BatchBeamSearch`` with ``CTCPrefixScorer``, as built by
its ``Speech2Text``; ours: ``asr.decode.decode``). For the Transformer our weights are copied into
ESPnet2's model and the two models' outputs are checked equal, so "same model" is tested, not
assumed.

Runs in ESPnet's venv (bench/setup_espnet.sh makes it) and imports our package from the
checkout; started from any other Python it re-executes itself there.

    .venv/bin/python bench/peer_espnet.py                               # the comparison table
    .venv/bin/python bench/peer_espnet.py --sweep 5 10 20 30 --json docs/bench_lengths.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
ESPNET_PYTHON = HERE / ".venv-espnet" / "bin" / "python"


def _ensure_espnet() -> None:
    """Re-execute in ESPnet's venv unless espnet2 is importable here."""
    try:
        import espnet2  # noqa: F401
    except ImportError:
        if not ESPNET_PYTHON.exists():
            sys.exit(f"ESPnet2 is not installed: run `bash {HERE / 'setup_espnet.sh'}` first")
        os.execv(ESPNET_PYTHON, [str(ESPNET_PYTHON), __file__, *sys.argv[1:]])


_ensure_espnet()

import numpy as np  # noqa: E402
import torch  # noqa: E402
from common import (  # noqa: E402
    FakeBatch,
    build_ours,
    count_flops,
    interleaved_times,
    machine_line,
    make_batch,
    make_train_step,
    median,
    num_params,
    our_loss,
    peak_memory,
    preset_config,
    time_call,
)

DEFAULT_BATCH = {"tiny": (16, 50, 64), "transformer": (4, 50, 5000), "conformer": (4, 50, 5000)}


def build_espnet(cfg: dict[str, Any], vocab: int, stats_file: Path) -> torch.nn.Module:
    """ESPnet2's ESPnetASRModel with the sizes, dropouts, losses and SpecAugment of our preset.

    ESPnet2's conv2d front-end always has d_model channels: compare against ours built with
    ``subsampling_channels = d_model``. Global MVN reads an identity stats file, as our CMVN
    buffers default to identity.
    """
    from espnet2.asr.ctc import CTC
    from espnet2.asr.decoder.transformer_decoder import TransformerDecoder
    from espnet2.asr.encoder.conformer_encoder import ConformerEncoder
    from espnet2.asr.encoder.transformer_encoder import TransformerEncoder
    from espnet2.asr.espnet_model import ESPnetASRModel
    from espnet2.asr.specaug.specaug import SpecAug
    from espnet2.layers.global_mvn import GlobalMVN

    d = cfg["d_model"]
    common = dict(
        output_size=d,
        attention_heads=cfg["heads"],
        linear_units=cfg["encoder_ffn_dim"],
        num_blocks=cfg["encoder_layers"],
        dropout_rate=cfg["dropout"],
        positional_dropout_rate=cfg["dropout"],
        attention_dropout_rate=cfg["attention_dropout"],
        input_layer="conv2d",
        normalize_before=cfg.get("pre_norm", True),
    )
    if cfg["encoder"] == "transformer":
        encoder = TransformerEncoder(cfg["feat_dim"], **common)
    else:
        encoder = ConformerEncoder(
            cfg["feat_dim"],
            **common,
            macaron_style=True,
            rel_pos_type="latest",
            pos_enc_layer_type="rel_pos",
            selfattention_layer_type="rel_selfattn",
            activation_type="swish",
            use_cnn_module=True,
            cnn_module_kernel=cfg["conv_kernel"],
        )
    decoder = TransformerDecoder(
        vocab,
        d,
        attention_heads=cfg["heads"],
        linear_units=cfg["decoder_ffn_dim"],
        num_blocks=cfg["decoder_layers"],
        dropout_rate=cfg["dropout"],
        positional_dropout_rate=cfg["dropout"],
        self_attention_dropout_rate=cfg["attention_dropout"],
        src_attention_dropout_rate=cfg["attention_dropout"],
        normalize_before=cfg.get("pre_norm", True),
    )
    aug = cfg.get("specaug") or {}
    specaug = None
    if aug:
        specaug = SpecAug(
            apply_time_warp=aug["time_warp"] > 0,
            time_warp_window=max(aug["time_warp"], 1),
            apply_freq_mask=aug["freq_masks"] > 0,
            freq_mask_width_range=(0, aug["freq_width"]),
            num_freq_mask=aug["freq_masks"],
            apply_time_mask=aug["time_masks"] > 0,
            time_mask_width_ratio_range=(0.0, aug["time_width_ratio"]),
            num_time_mask=aug["time_masks"],
        )
    tokens = ["<blank>", "<unk>", *(f"t{i}" for i in range(2, vocab - 1)), "<sos/eos>"]
    return ESPnetASRModel(
        vocab_size=vocab,
        token_list=tokens,
        frontend=None,
        specaug=specaug,
        normalize=GlobalMVN(stats_file),
        preencoder=None,
        encoder=encoder,
        postencoder=None,
        decoder=decoder,
        ctc=CTC(vocab, d),
        joint_network=None,
        ctc_weight=cfg["ctc_weight"],
        lsm_weight=cfg["label_smoothing"],
        length_normalized_loss=False,
        report_cer=False,
        report_wer=False,
    )


def write_identity_stats(path: Path, feat_dim: int) -> Path:
    """ESPnet2 GlobalMVN stats with mean 0 and variance 1: CMVN as a no-op, like ours by default."""
    np.savez(path, count=np.array(1.0), sum=np.zeros(feat_dim), sum_square=np.ones(feat_dim))
    return path


def espnet_loss(model: torch.nn.Module, batch: FakeBatch) -> torch.Tensor:
    return model(
        speech=batch.x, speech_lengths=batch.x_lens, text=batch.ys, text_lengths=batch.y_lens
    )[0]


# Our Transformer's parameter names → ESPnet2's (both: pre-LN, conv2d ×4, sinusoidal positions).
_RENAMES = (
    (r"^subsampling\.conv\.", "encoder.embed.conv."),
    (r"^subsampling\.out\.", "encoder.embed.out.0."),
    (r"^encoder\.layers\.", "encoder.encoders."),
    (r"^decoder\.layers\.", "decoder.decoders."),
    (r"\.final_norm\.", ".after_norm."),
    (r"^decoder\.embed\.", "decoder.embed.0."),
    (r"^decoder\.out\.", "decoder.output_layer."),
    (r"^ctc\.proj\.", "ctc.ctc_lo."),
    (r"\.cross_attn\.", ".src_attn."),
    (r"\.(q|k|v|out)_proj\.", r".linear_\1."),
    (r"\.ffn\.net\.0\.", ".feed_forward.w_1."),
    (r"\.ffn\.net\.3\.", ".feed_forward.w_2."),
    (r"\.norm_(attn|self)\.", ".norm1."),
    (r"\.norm_cross\.", ".norm2."),
)


def copy_transformer_weights(ours: torch.nn.Module, theirs: torch.nn.Module) -> None:
    """Load our Transformer's weights into ESPnet2's, so both compute the same function."""
    target = theirs.state_dict()
    new = {}
    for name, value in ours.state_dict().items():
        if name.startswith("cmvn_"):
            continue
        key = name
        for pattern, repl in _RENAMES:
            key = re.sub(pattern, repl, key)
        # encoder FFN norm is ESPnet's norm2; in the decoder it is norm3
        key = re.sub(r"^(decoder\.decoders\.\d+)\.norm_ffn\.", r"\1.norm3.", key)
        key = re.sub(r"^(encoder\.encoders\.\d+)\.norm_ffn\.", r"\1.norm2.", key)
        if key not in target or target[key].shape != value.shape:
            raise KeyError(f"no ESPnet2 parameter for {name} (tried {key})")
        new[key] = value
    missing = [k for k in target if k not in new and not k.startswith("normalize.")]
    if missing:
        raise KeyError(f"ESPnet2 parameters left unset: {missing[:5]}")
    theirs.load_state_dict(new, strict=False)


def check_same_function(ours, theirs, batch: FakeBatch) -> float:
    """Largest |difference| between the two models' encoder outputs and decoder logits.

    Checked one utterance at a time, unpadded: ESPnet2's conv2d front-end derives output lengths
    from the padded mask, so inside a padded batch it counts one frame more for some
    utterances (a frame that reads padding), and the losses differ for that reason alone.
    """
    ours.eval()
    theirs.eval()
    worst = 0.0
    with torch.no_grad():
        for i in range(batch.x.shape[0]):
            n, u = int(batch.x_lens[i]), int(batch.y_lens[i])
            x, x_lens = batch.x[i : i + 1, :n], batch.x_lens[i : i + 1]
            m1, l1 = ours.encode(x, x_lens)
            m2, l2 = theirs.encode(x, x_lens)
            ys = batch.ys[i : i + 1, :u]
            ys_in, _, ys_in_lens = ours.add_sos_eos(ys, batch.y_lens[i : i + 1])
            d1 = ours.decoder(m1, l1, ys_in, ys_in_lens)
            d2, _ = theirs.decoder(m2, l2, ys_in, ys_in_lens)
            worst = max(worst, float((m1 - m2).abs().max()), float((d1 - d2).abs().max()))
    return worst


def espnet_beam_search(model, beam: int, ctc_weight: float, vocab: int):
    """ESPnet2's joint CTC/attention search, built the way its Speech2Text builds it."""
    from espnet.nets.batch_beam_search import BatchBeamSearch
    from espnet.nets.scorers.ctc import CTCPrefixScorer
    from espnet.nets.scorers.length_bonus import LengthBonus

    search = BatchBeamSearch(
        scorers=dict(
            decoder=model.decoder,
            ctc=CTCPrefixScorer(ctc=model.ctc, eos=model.eos),
            length_bonus=LengthBonus(vocab),
        ),
        weights=dict(decoder=1.0 - ctc_weight, ctc=ctc_weight, length_bonus=0.0),
        beam_size=beam,
        vocab_size=vocab,
        sos=model.sos,
        eos=model.eos,
        token_list=None,
        pre_beam_score_key="full",
    )
    return search.eval()


def compare_decoding(ours, theirs, batch: FakeBatch, args) -> dict[str, Any]:
    """Per-utterance joint CTC/attention decoding of each utterance by both, interleaved."""
    from asr.decode import decode

    vocab = ours.vocab_size
    search = espnet_beam_search(theirs, args.beam, args.ctc_weight, vocab)
    ours.eval()
    theirs.eval()
    results: dict[str, list] = {"ours": [], "espnet": []}

    def run_ours(i: int):
        n = int(batch.x_lens[i])
        hyps = decode(
            ours, batch.x[i : i + 1, :n], batch.x_lens[i : i + 1], "joint_ctc_attention",
            beam=args.beam, ctc_weight=args.ctc_weight, max_len_ratio=args.max_len_ratio,
        )  # fmt: skip
        results["ours"].append(hyps[0][0].tokens)

    def run_espnet(i: int):
        n = int(batch.x_lens[i])
        with torch.no_grad():
            enc, _ = theirs.encode(batch.x[i : i + 1, :n], batch.x_lens[i : i + 1])
            hyps = search(x=enc[0], maxlenratio=args.max_len_ratio, minlenratio=0.0)
        results["espnet"].append(hyps[0].yseq[1:-1].tolist())

    short = make_batch(1, 200, 10, vocab, seed=2)  # warm-up: one-time set-up of both searches
    decode(ours, short.x, short.x_lens, "joint_ctc_attention", beam=args.beam)
    with torch.no_grad():
        search(x=theirs.encode(short.x, short.x_lens)[0][0], maxlenratio=0.0, minlenratio=0.0)
    times = {"ours": [], "espnet": []}
    for i in range(batch.x.shape[0]):
        t = interleaved_times(
            {"ours": lambda i=i: run_ours(i), "espnet": lambda i=i: run_espnet(i)},
            repeats=1,
            warmup=0,
        )
        for k in times:
            times[k] += t[k]
    mean_len = {k: float(np.mean([len(h) for h in v])) for k, v in results.items()}
    batched = time_call(
        lambda: decode(
            ours, batch.x, batch.x_lens, "joint_ctc_attention",
            beam=args.beam, ctc_weight=args.ctc_weight, max_len_ratio=args.max_len_ratio,
        )
    )  # fmt: skip
    return dict(times=times, batched=batched, mean_len=mean_len, audio=batch.audio_seconds)


def compare_steps(
    ours, theirs, batch: FakeBatch, repeats: int, flops: bool = True
) -> dict[str, Any]:
    """Interleaved training-step times, FLOPs and peak memory of both models on one batch."""
    steps = {
        "ours": make_train_step(ours, our_loss, batch),
        "espnet": make_train_step(theirs, espnet_loss, batch),
    }
    out: dict[str, Any] = {"flops": {}, "peak_mib": {}}
    for name, step in steps.items():
        step()  # warm-up: allocations, Adam state
        with peak_memory() as mem:
            step()
        out["peak_mib"][name] = mem["peak_mib"]
        if flops:
            out["flops"][name] = count_flops(step)
    times = interleaved_times(steps, repeats, warmup=0)
    out["s_per_step"] = {k: min(v) for k, v in times.items()}
    out["paired_ratio"] = median([a / b for a, b in zip(*times.values(), strict=True)])
    return out


def build_pair(preset: str, vocab: int, stats: Path):
    cfg = preset_config(preset)
    cfg["vocab_size"] = vocab
    torch.manual_seed(0)
    ours = build_ours(preset, vocab, subsampling_channels=cfg["d_model"])
    torch.manual_seed(0)
    theirs = build_espnet(cfg, vocab, stats)
    return cfg, ours, theirs


def run_table(args, stats: Path) -> None:
    print(f"# {machine_line()}; fp32; ESPnet2 {_espnet_version()}")
    rows, dec_rows = [], []
    for preset in args.presets:
        b, tokens, vocab = DEFAULT_BATCH[preset]
        b = args.batch or b
        cfg, ours, theirs = build_pair(preset, vocab, stats)
        batch = make_batch(b, round(args.seconds * 100), tokens, vocab)
        check = "—"
        if cfg["encoder"] == "transformer":
            copy_transformer_weights(ours, theirs)
            check = f"{check_same_function(ours, theirs, batch):.1e}"
        s = compare_steps(ours, theirs, batch, args.repeats)
        sp = s["s_per_step"]
        rows.append(
            f"| {preset} | {num_params(ours) / 1e6:.2f} M / {num_params(theirs) / 1e6:.2f} M "
            f"| {b}×{args.seconds:g}s/{tokens}tok | {sp['ours']:.2f} / {sp['espnet']:.2f} "
            f"| **{sp['ours'] / sp['espnet']:.2f}** | {s['paired_ratio']:.2f} "
            f"| {s['flops']['ours'] / 1e9:.0f} / {s['flops']['espnet'] / 1e9:.0f} "
            f"| {s['peak_mib']['ours']:.0f} / {s['peak_mib']['espnet']:.0f} | {check} |"
        )
        print(rows[-1], flush=True)
        dec_batch = make_batch(args.decode_utts, round(args.seconds * 100), tokens, vocab, seed=1)
        d = compare_decoding(ours, theirs, dec_batch, args)
        t_o, t_e = sum(d["times"]["ours"]), sum(d["times"]["espnet"])
        dec_rows.append(
            f"| {preset} | {args.decode_utts}×{args.seconds:g}s | {args.beam} | {args.ctc_weight} "
            f"| {t_o / args.decode_utts:.2f} / {t_e / args.decode_utts:.2f} | **{t_e / t_o:.1f}×** "
            f"| {t_o / d['audio']:.3f} / {t_e / d['audio']:.3f} "
            f"| {d['batched'] / args.decode_utts:.2f} "
            f"| {d['mean_len']['ours']:.0f} / {d['mean_len']['espnet']:.0f} |"
        )
        print(dec_rows[-1], flush=True)
    print()
    print("Training step (ours / ESPnet2):")
    print()
    print(
        "| preset | params | batch | best s/step | ratio of best | median paired ratio "
        "| GFLOP/step | peak MiB | max abs diff, same weights |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(rows))
    print()
    print("Joint CTC/attention beam search, one utterance at a time (ours / ESPnet2):")
    print()
    print(
        "| preset | utterances | beam | CTC weight | s/utt | speed-up | RTF "
        "| ours, whole batch at once: s/utt | mean hyp tokens |"
    )
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(dec_rows))


def run_sweep(args, stats: Path) -> None:
    """Step time and peak memory against utterance length, ours beside ESPnet2's."""
    rows = []
    for preset in args.presets:
        _, _, vocab = DEFAULT_BATCH[preset]
        cfg, ours, theirs = build_pair(preset, vocab, stats)
        for seconds in args.sweep:
            tokens = max(1, round(5 * seconds))  # ≈ 5 BPE tokens per second of speech
            batch = make_batch(args.batch or 1, round(seconds * 100), tokens, vocab)
            s = compare_steps(ours, theirs, batch, args.repeats, flops=False)
            for impl in ("ours", "espnet"):
                rows.append(
                    dict(
                        preset=preset,
                        impl=impl,
                        seconds=seconds,
                        batch=batch.x.shape[0],
                        s_per_step=s["s_per_step"][impl],
                        peak_mib=s["peak_mib"][impl],
                    )
                )
                print(json.dumps(rows[-1]), flush=True)
    if args.json:
        Path(args.json).write_text(
            json.dumps(dict(machine=machine_line(), rows=rows), indent=1) + "\n"
        )


def _espnet_version() -> str:
    from importlib.metadata import version

    return version("espnet")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--presets", nargs="+", default=["transformer", "conformer"], choices=list(DEFAULT_BATCH)
    )
    parser.add_argument("--threads", type=int, default=None, help="CPU threads (default: torch's)")
    parser.add_argument("--batch", type=int, help="utterances per training batch")
    parser.add_argument("--seconds", type=float, default=10.0, help="longest utterance (s)")
    parser.add_argument("--repeats", type=int, default=5, help="timed steps per model")
    parser.add_argument("--beam", type=int, default=10)
    parser.add_argument("--ctc-weight", type=float, default=0.3)
    parser.add_argument(
        "--max-len-ratio",
        type=float,
        default=0.2,
        help="max hypothesis tokens ÷ encoder frames, the same for both (untrained models "
        "rarely emit <eos>, so this bounds the work equally)",
    )
    parser.add_argument("--decode-utts", type=int, default=3)
    parser.add_argument("--sweep", type=float, nargs="+", help="utterance lengths (s) to sweep")
    parser.add_argument("--json", help="with --sweep: write the rows here")
    args = parser.parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    logging.getLogger().setLevel(logging.ERROR)  # ESPnet's beam search warns at max length
    with tempfile.TemporaryDirectory() as tmp:
        stats = write_identity_stats(Path(tmp) / "feats_stats.npz", 80)
        if args.sweep:
            run_sweep(args, stats)
        else:
            run_table(args, stats)


if __name__ == "__main__":
    main()
