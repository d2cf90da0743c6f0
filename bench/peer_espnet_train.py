"""ESPnet2 trained and decoded by its own tools on a recipe's Kaldi dirs, for a wall-clock budget.

The peer of a recipe run (egs/synth_en): the same data dirs, a Conformer of the same sizes, the
same training time on the same machine, then test decoded with joint CTC/attention at the same
beam and CTC weight and scored by our ``asr-score``. Everything on ESPnet's side is its own:
``espnet2.bin.asr_train`` (its fbank frontend, ``global_mvn`` from its ``--collect_stats`` pass,
its folded batches, its trainer and checkpoint averaging) and ``espnet2.bin.asr_inference``.

ESPnet's cosine schedule needs its length in steps up front. A short probe run measures seconds
per step and per validation on this machine, and the schedule is sized so that training,
validation included, fills the budget (the probe is not counted in it; our side needs none, its
schedule follows the clock).

Runs from our venv; the ESPnet commands run in ``bench/.venv-espnet`` (bench/setup_espnet.sh).

    .venv/bin/python bench/peer_espnet_train.py --data egs/synth_en/asr1/data \\
        --out bench/exp/espnet_10min_a --budget-min 10 --lr 1e-3 --warmup 300 --batch-size 22
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ESPNET_PYTHON = REPO / "bench" / ".venv-espnet" / "bin" / "python"
FIT_EPOCHS = 10  # epochs the budget is cut into: checkpoints to average, points on the curve


def run_logged(cmd: list[str], log: Path, timeout: float | None = None) -> float:
    """Run ``cmd`` with its output in ``log``; its wall seconds. A failure names the log."""
    log.parent.mkdir(parents=True, exist_ok=True)
    # The OpenMP wait policy our recipe trains under (egs/tools/recipe.sh: spinning, as a run
    # alone on its machine is fastest), so both sides wait alike; the environment's wins.
    env = {**os.environ, "OMP_WAIT_POLICY": os.environ.get("OMP_WAIT_POLICY", "ACTIVE")}
    start = time.perf_counter()
    with log.open("w") as f:
        proc = subprocess.run(cmd, stdout=f, stderr=subprocess.STDOUT, timeout=timeout, env=env)
    if proc.returncode != 0:
        tail = "\n".join(log.read_text(errors="replace").splitlines()[-15:])
        raise RuntimeError(f"{' '.join(cmd[:3])} failed ({proc.returncode}), see {log}:\n{tail}")
    return time.perf_counter() - start


def seconds_of(span: str) -> float:
    """humanfriendly's ``format_timespan`` text (ESPnet's epoch log) in seconds:
    ``"1 minute and 3.4 seconds"`` -> 63.4."""
    units = {"second": 1, "minute": 60, "hour": 3600, "day": 86400}
    total = 0.0
    for value, unit in re.findall(r"([\d.]+) (second|minute|hour|day)s?", span):
        total += float(value) * units[unit]
    return total


def epoch_results(log: Path) -> list[dict[str, float]]:
    """Per epoch from ESPnet's ``Nepoch results:`` lines: mean train seconds per step, train and
    validation seconds, and the validation metrics it logs (loss, acc, cer_ctc, ...)."""
    epochs = []
    for line in log.read_text(errors="replace").splitlines():
        m = re.search(
            r"(\d+)epoch results: \[train\] (.*?), \[valid\] (.*?)(?:, \[att_plot\]|$)", line
        )
        if not m:
            continue
        train, valid = m.group(2), m.group(3)
        row: dict[str, float] = {"epoch": int(m.group(1))}
        row["train_time_per_step"] = float(re.search(r"train_time=([\d.e-]+)", train).group(1))
        row["train_seconds"] = seconds_of(re.search(r"time=([^,]*?), total_count", train).group(1))
        row["valid_seconds"] = seconds_of(re.search(r"time=([^,]*?), total_count", valid).group(1))
        for key, value in re.findall(r"(\w+)=([\d.e+-]+)(?=,|$)", valid):
            if key not in ("time", "total_count"):
                row[f"valid_{key}"] = float(value)
        epochs.append(row)
    return epochs


def espnet_config(args: argparse.Namespace, total_steps: int) -> dict:
    """ESPnet2's training config: the Conformer, losses, optimizer and the cosine schedule."""
    return {
        "frontend": "default",
        "frontend_conf": {
            "fs": "16k",
            "n_fft": 512,
            "win_length": 400,
            "hop_length": 160,
            "n_mels": 80,
        },  # fmt: skip
        "encoder": "conformer",
        "encoder_conf": {
            "output_size": args.d_model,
            "attention_heads": args.heads,
            "linear_units": args.ffn,
            "num_blocks": args.layers,
            "dropout_rate": 0.0,
            "positional_dropout_rate": 0.0,
            "attention_dropout_rate": 0.0,
            "input_layer": args.input_layer,
            "normalize_before": True,
            "macaron_style": True,
            "rel_pos_type": "latest",
            "pos_enc_layer_type": "rel_pos",
            "selfattention_layer_type": "rel_selfattn",
            "activation_type": "swish",
            "use_cnn_module": True,
            "cnn_module_kernel": args.kernel,
        },  # fmt: skip
        "decoder": "transformer",
        "decoder_conf": {
            "attention_heads": args.heads,
            "linear_units": args.ffn,
            "num_blocks": args.decoder_layers,
            "dropout_rate": 0.0,
            "positional_dropout_rate": 0.0,
            "self_attention_dropout_rate": 0.0,
            "src_attention_dropout_rate": 0.0,
        },  # fmt: skip
        "model_conf": {
            "ctc_weight": args.ctc_weight,
            "lsm_weight": 0.1,
            "length_normalized_loss": False,
        },  # fmt: skip
        "optim": "adamw",
        "optim_conf": {"lr": args.lr, "betas": [0.9, 0.98], "weight_decay": 1e-6},
        "scheduler": "CosineAnnealingWarmupRestarts",
        "scheduler_conf": {
            "first_cycle_steps": total_steps,
            "warmup_steps": min(args.warmup, total_steps - 1),
            "max_lr": args.lr,
            "min_lr": args.lr * 0.01,
        },  # fmt: skip
        "batch_type": "folded",
        "batch_size": args.batch_size,
        "grad_clip": 5.0,
        "num_workers": 1,
        "num_att_plot": 0,
        "best_model_criterion": [["valid", "acc", "max"]],
        "keep_nbest_models": args.keep_nbest,
        "seed": args.seed,
    }


def write_yaml(path: Path, config: dict) -> Path:
    """JSON is YAML: ESPnet reads it as its config file (``1e-06`` written ``1.0e-06``, which
    YAML 1.1 reads as a number, not a string)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    text = re.sub(r"(?<![\w.])(\d+)e([-+]?\d+)", r"\1.0e\2", json.dumps(config, indent=1))
    path.write_text(text + "\n")
    return path


def data_args(data: Path, stats: Path | None) -> list[str]:
    """asr_train's data options on the Kaldi dirs data/train and data/dev."""
    out = []
    for split, name in (("train", "train"), ("dev", "valid")):
        out += [f"--{name}_data_path_and_name_and_type", f"{data / split / 'wav.scp'},speech,sound"]
        out += [f"--{name}_data_path_and_name_and_type", f"{data / split / 'text'},text,text"]
        if stats is None:
            out += [f"--{name}_shape_file", str(data / split / "wav.scp")]
        else:
            out += [f"--{name}_shape_file", str(stats / name / "speech_shape")]
            out += [f"--{name}_shape_file", str(stats / name / "text_shape.bpe")]
    return out


def train_tokenizer(data: Path, out: Path, vocab_size: int) -> tuple[Path, Path]:
    """SentencePiece unigram on the training transcripts and ESPnet's token list (asr.sh's
    layout: <blank>, <unk>, the pieces, <sos/eos>)."""
    out.mkdir(parents=True, exist_ok=True)
    text = out / "train_text"
    lines = (data / "train" / "text").read_text(encoding="utf-8").splitlines()
    text.write_text("".join(line.partition(" ")[2] + "\n" for line in lines), encoding="utf-8")
    script = (
        "import sentencepiece as spm, sys\n"
        "spm.SentencePieceTrainer.train(input=sys.argv[1], model_prefix=sys.argv[2],"
        " vocab_size=int(sys.argv[3]), model_type='unigram', character_coverage=1.0,"
        " input_sentence_size=100000000)\n"
        "sp = spm.SentencePieceProcessor(model_file=sys.argv[2] + '.model')\n"
        "pieces = [sp.id_to_piece(i) for i in range(sp.get_piece_size())]\n"
        "pieces = [p for p in pieces if p not in ('<unk>', '<s>', '</s>')]\n"
        "tokens = ['<blank>', '<unk>', *pieces, '<sos/eos>']\n"
        "open(sys.argv[4], 'w').write(''.join(t + '\\n' for t in tokens))\n"
    )
    model, tokens = out / "bpe", out / "tokens.txt"
    cmd = [str(ESPNET_PYTHON), "-c", script, str(text), str(model), str(vocab_size), str(tokens)]
    run_logged(cmd, out / "spm.log")
    return model.with_suffix(".model"), tokens


def collect_stats(args: argparse.Namespace, token_args: list[str], vocab: int) -> Path:
    """ESPnet's --collect_stats pass (feature shapes and the global_mvn statistics)."""
    stats = args.out / "stats"
    config = write_yaml(args.out / "conf" / "stats.yaml", espnet_config(args, 1000))
    cmd = [str(ESPNET_PYTHON), "-m", "espnet2.bin.asr_train", "--collect_stats", "true",
           "--use_preprocessor", "true", *token_args, *data_args(args.data, None),
           "--output_dir", str(stats / "logdir" / "stats.1"), "--config", str(config),
           "--ngpu", "0"]  # fmt: skip
    run_logged(cmd, stats / "collect_stats.log")
    agg = [str(ESPNET_PYTHON), "-m", "espnet2.bin.aggregate_stats_dirs", "--input_dir",
           str(stats / "logdir" / "stats.1"), "--output_dir", str(stats)]  # fmt: skip
    run_logged(agg, stats / "aggregate.log")
    for name in ("train", "valid"):
        shape = (stats / name / "text_shape").read_text().splitlines()
        (stats / name / "text_shape.bpe").write_text("".join(f"{s},{vocab}\n" for s in shape))
    return stats


def train(
    args: argparse.Namespace, token_args: list[str], stats: Path, out: Path, epochs: int,
    steps_per_epoch: int, timeout: float | None = None,
) -> float:  # fmt: skip
    """asr_train for ``epochs`` x ``steps_per_epoch`` steps, the cosine as long; wall seconds."""
    config = write_yaml(out / "train.yaml", espnet_config(args, epochs * steps_per_epoch))
    cmd = [str(ESPNET_PYTHON), "-m", "espnet2.bin.asr_train", "--use_preprocessor", "true",
           *token_args, *data_args(args.data, stats), "--normalize", "global_mvn",
           "--normalize_conf", f"stats_file={stats / 'train' / 'feats_stats.npz'}",
           "--ngpu", "0", "--resume", "false", "--fold_length", "80000", "--fold_length", "150",
           "--max_epoch", str(epochs), "--num_iters_per_epoch", str(steps_per_epoch),
           "--output_dir", str(out), "--config", str(config)]  # fmt: skip
    return run_logged(cmd, out / "train.log", timeout)


def interval_times(log: Path) -> list[float]:
    """Seconds per step of each logging interval (ESPnet's ``Nepoch:train:A-Bbatch: ...
    train_time=X`` lines), in order."""
    pattern = re.compile(r"\d+epoch:train:\d+-\d+batch: .*?train_time=([\d.e-]+)")
    return [float(m.group(1)) for m in map(pattern.search, log.read_text().splitlines()) if m]


def fit_schedule(probe: dict, probe_wall: float, budget_s: float, epochs: int) -> dict:
    """Steps per epoch so that ``epochs`` epochs take ``budget_s``: training, validation and
    start-up as the probe epoch (``epoch_results`` + ``probe_steps``) measured them.

    With ``steady_seconds_per_step`` (the probe's logging intervals after its first), an
    epoch costs its steps at that rate plus the probe epoch's surplus, once per epoch: the
    first steps of an epoch are slow, and in a short probe they would otherwise count for
    every step (a 40-step probe gave 0.64 s a step against 0.42-0.58 s in training)."""
    mean = probe["train_seconds"] / max(probe["probe_steps"], 1)
    per_step = probe.get("steady_seconds_per_step") or mean
    epoch_surplus = max(0.0, probe["train_seconds"] - per_step * probe["probe_steps"])
    valid = probe["valid_seconds"]
    startup = max(0.0, probe_wall - probe["train_seconds"] - valid)
    steps = int((budget_s - startup - epochs * (valid + epoch_surplus)) / per_step / epochs)
    if steps < 1:
        raise ValueError(f"a {budget_s:.0f} s budget leaves no training step after validation")
    return {"seconds_per_step": per_step, "valid_seconds": valid, "startup_seconds": startup,
            "epoch_surplus_seconds": epoch_surplus, "steps_per_epoch": steps}  # fmt: skip


def decode(args: argparse.Namespace, exp: Path, out: Path) -> Path:
    """asr_inference (joint CTC/attention) on data/test with ESPnet's averaged model."""
    decode_conf = write_yaml(out / "decode.yaml", {
        "beam_size": args.beam, "ctc_weight": args.ctc_weight, "lm_weight": 0.0,
        "penalty": 0.0, "maxlenratio": 0.0, "minlenratio": 0.0, "nbest": 1,
    })  # fmt: skip
    scp = args.data / "test" / "wav.scp"
    if args.decode_limit:
        lines = scp.read_text().splitlines()[: args.decode_limit]
        scp = out / "wav.scp"
        scp.write_text("\n".join(lines) + "\n")
    model = exp / "valid.acc.ave.pth"
    if not model.exists():
        model = exp / "valid.acc.best.pth"
    cmd = [str(ESPNET_PYTHON), "-m", "espnet2.bin.asr_inference", "--ngpu", "0",
           "--batch_size", "1", "--data_path_and_name_and_type", f"{scp},speech,sound",
           "--asr_train_config", str(exp / "config.yaml"), "--asr_model_file", str(model),
           "--output_dir", str(out), "--config", str(decode_conf)]  # fmt: skip
    run_logged(cmd, out / "decode.log")
    return out / "1best_recog" / "text"


def score(args: argparse.Namespace, hyp: Path, out: Path) -> dict:
    """WER by ``asr-score`` against data/test/text, and per voice family when the corpus has
    ``utt2family`` (asr.recipes.results, as the recipe's own table)."""
    from asr.recipes.results import group_error_rates
    from asr.scoring.text import read_kaldi_text, write_kaldi_text

    refs = read_kaldi_text(args.data / "test" / "text")
    hyps = read_kaldi_text(hyp)
    if args.decode_limit:
        refs = {u: t for u, t in refs.items() if u in hyps}
    write_kaldi_text(out / "ref", refs)
    write_kaldi_text(out / "hyp", hyps)
    cmd = [sys.executable, "-m", "asr.bin.score", str(out / "ref"), str(out / "hyp"), "--json",
           str(out / "wer.json")]  # fmt: skip
    run_logged(cmd, out / "score.log")
    result = json.loads((out / "wer.json").read_text())
    families = args.data / "test" / "utt2family"
    if families.is_file():
        result["by_family"] = group_error_rates(out, "wer", read_kaldi_text(families))
    return result


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", type=Path, required=True, help="dir with train/ dev/ test/ Kaldi dirs")
    p.add_argument("--out", type=Path, required=True)
    p.add_argument("--budget-min", type=float, required=True, help="training minutes (wall)")
    p.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    p.add_argument("--warmup", type=int, default=300, help="warmup steps")
    p.add_argument("--batch-size", type=int, default=22, help="ESPnet folded batch size")
    p.add_argument("--epochs", type=int, default=FIT_EPOCHS, help="epochs the budget is cut into")
    p.add_argument("--probe-steps", type=int, default=100, help="not counted in the budget")
    p.add_argument("--vocab-size", type=int, default=256)
    p.add_argument("--d-model", type=int, default=144)
    p.add_argument("--heads", type=int, default=4)
    p.add_argument("--ffn", type=int, default=576)
    p.add_argument("--layers", type=int, default=6)
    p.add_argument("--decoder-layers", type=int, default=3)
    p.add_argument("--kernel", type=int, default=15)
    p.add_argument("--input-layer", default="conv2d6", help="ESPnet's conv2d, conv2d6, conv2d8")
    p.add_argument("--ctc-weight", type=float, default=0.3)
    p.add_argument("--beam", type=int, default=10)
    p.add_argument("--keep-nbest", type=int, default=5, help="checkpoints averaged (valid acc)")
    p.add_argument("--decode-limit", type=int, default=0, help="decode the first N test utts only")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not ESPNET_PYTHON.exists():
        print(
            f"error: no ESPnet venv at {ESPNET_PYTHON}: run bash bench/setup_espnet.sh",
            file=sys.stderr,
        )
        return 1
    args.out.mkdir(parents=True, exist_ok=True)
    timings: dict[str, float] = {}
    start = time.perf_counter()
    bpe, tokens = train_tokenizer(args.data, args.out / "token", args.vocab_size)
    vocab = len(tokens.read_text().splitlines())
    token_args = ["--token_type", "bpe", "--token_list", str(tokens), "--bpemodel", str(bpe)]
    stats = collect_stats(args, token_args, vocab)
    timings["tokens_and_stats"] = time.perf_counter() - start

    probe_dir = args.out / "probe"
    shutil.rmtree(probe_dir, ignore_errors=True)
    probe_wall = train(args, token_args, stats, probe_dir, 1, args.probe_steps)
    (probe,) = epoch_results(probe_dir / "train.log")[:1]
    probe["probe_steps"] = args.probe_steps
    steady = interval_times(probe_dir / "train.log")[1:]
    if steady:
        probe["steady_seconds_per_step"] = sum(steady) / len(steady)
    (args.out / "probe.json").write_text(json.dumps(probe, indent=1))
    schedule = fit_schedule(probe, probe_wall, args.budget_min * 60, args.epochs)
    timings["probe"] = probe_wall

    exp = args.out / "exp"
    shutil.rmtree(exp, ignore_errors=True)
    timings["train"] = train(
        args, token_args, stats, exp, args.epochs, schedule["steps_per_epoch"],
        timeout=args.budget_min * 60 * 1.5 + 120,
    )  # fmt: skip
    start = time.perf_counter()
    hyp = decode(args, exp, args.out / "decode")
    timings["decode"] = time.perf_counter() - start
    result = {
        "budget_min": args.budget_min,
        "settings": {
            "lr": args.lr,
            "warmup": args.warmup,
            "batch_size": args.batch_size,
            "input_layer": args.input_layer,
        },  # fmt: skip
        "schedule": schedule | {"epochs": args.epochs},
        "seconds": timings,
        "epochs": epoch_results(exp / "train.log"),
        "test": score(args, hyp, args.out / "decode"),
    }
    params = re.search(
        r"Total Number of model parameters: ([\d.]+ ?[MK])", (exp / "train.log").read_text()
    )
    result["parameters"] = params.group(1) if params else None
    (args.out / "result.json").write_text(json.dumps(result, indent=1) + "\n")
    test = result["test"]
    print(
        f"ESPnet2, {args.budget_min:g} min budget: trained {timings['train'] / 60:.1f} min "
        f"({args.epochs} x {schedule['steps_per_epoch']} steps), test WER {test['wer']:.2f} %"
        + "".join(f", {k} {v:.2f} %" for k, v in test.get("by_family", {}).items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
