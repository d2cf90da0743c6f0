"""``asr-pack RUN_DIR OUT_DIR``: a run directory → a self-contained model folder to load anywhere.

    asr-pack exp/synth_en exp/synth_en/packed --method joint_ctc_attention --beam 10 \\
      --ctc-weight 0.3 --lm data/lm/3gram.json --lm-weight 0.2 --license apache-2.0 --language en

Writes model.safetensors, config.json, tokenizer, cmvn.json, [lm.json] and a README.md model card
laid out as a Hugging Face model repository (``hf upload NAME OUT_DIR``). The
decoding options become the defaults of ``Transcriber.from_pretrained`` and ``asr-transcribe``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from asr.bin.cli import exits_on_bad_input
from asr.decode.api import METHODS
from asr.pretrained.pack import pack_run


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="asr-pack", description=__doc__.splitlines()[0])
    p.add_argument("run_dir", type=Path, help="run directory written by asr-train")
    p.add_argument("out_dir", type=Path, help="the packed model folder to write")
    p.add_argument("--checkpoint", help="weights in the run dir (default: average.pt or best)")
    p.add_argument("--method", default="joint_ctc_attention", choices=METHODS)
    p.add_argument("--beam", type=int, default=10)
    p.add_argument("--ctc-weight", type=float, default=0.3)
    p.add_argument("--length-penalty", type=float, default=0.0)
    p.add_argument("--lm", type=Path, help="n-gram LM (asr-train-lm) fused by default")
    p.add_argument("--lm-weight", type=float, default=0.5)
    p.add_argument("--license", default="other", help="licence id for the card (e.g. apache-2.0)")
    p.add_argument("--language", action="append", default=[], help="language code; repeatable")
    p.add_argument("--repo-id", help="the hub repository it is for (owner/name), for the card")
    return p


@exits_on_bad_input("asr-pack")
def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    decoding = {
        "method": args.method,
        "beam": args.beam,
        "ctc_weight": args.ctc_weight,
        "length_penalty": args.length_penalty,
    }
    if args.lm is not None:
        decoding["lm_weight"] = args.lm_weight
    out = pack_run(
        args.run_dir, args.out_dir, args.checkpoint, decoding, args.lm, args.license,
        args.language, args.repo_id,
    )  # fmt: skip
    print(f"asr-pack: wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
