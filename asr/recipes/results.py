"""The results table of a recipe run: error rate and RTF per decoded set and method.

Reads ``EXP/decode/<set>_<method>/summary.json`` (written by asr-decode) and the stage
markers of egs/tools/recipe.sh (``seconds=`` lines) for the wall time of each stage.
    python -m asr.recipes.results EXP [--done-dir exp/.done] [--out EXP/results.md]
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from asr.decode import METHODS  # a decode dir is <set>_<method>; both may hold underscores


def split_decode_dir(name: str) -> tuple[str, str]:
    """``test-clean_joint_ctc_attention`` -> (``test-clean``, ``joint_ctc_attention``); a
    ``_lm`` suffix (decoded with an n-gram LM) -> method ``joint_ctc_attention + n-gram LM``."""
    lm = " + n-gram LM" if name.endswith("_lm") else ""
    name = name.removesuffix("_lm")
    for method in METHODS:
        if name.endswith("_" + method):
            return name[: -len(method) - 1], method + lm
    test_set, _, method = name.rpartition("_")
    return test_set, method + lm


def decode_rows(exp_dir: Path) -> list[tuple[str, str, str, float | None, float | None]]:
    """(set, method, metric, error %, rtf) for every decode dir with a summary.json."""
    rows = []
    for summary in sorted((exp_dir / "decode").glob("*/summary.json")):
        d = json.loads(summary.read_text(encoding="utf-8"))
        test_set, method = split_decode_dir(summary.parent.name)
        rows.append((test_set, method, d.get("metric", "wer"), d.get("wer"), d.get("rtf")))
    return rows


def stage_times(done_dir: Path) -> list[tuple[str, int]]:
    """(stage, seconds) from the done-markers, in stage order."""
    times = []
    markers = sorted(done_dir.glob("*.done"), key=lambda p: int(p.name.split(".")[0]))
    for marker in markers:
        for line in marker.read_text(encoding="utf-8").splitlines()[1:]:
            if line.startswith("seconds="):
                times.append((marker.name.removesuffix(".done"), int(line.split("=", 1)[1])))
    return times


def _fmt(x: float | None, digits: int) -> str:
    return "-" if x is None else f"{x:.{digits}f}"


def results_table(exp_dir: Path, done_dir: Path | None = None) -> str:
    """Markdown: one row per (set, method), then the wall time of each finished stage."""
    rows = decode_rows(exp_dir)
    if not rows:
        raise FileNotFoundError(f"no {exp_dir}/decode/*/summary.json: run the decode stage first")
    lines = ["| set | method | metric | error % | RTF |", "|---|---|---|---|---|"]
    for test_set, method, metric, err, rtf in rows:
        lines.append(f"| {test_set} | {method} | {metric} | {_fmt(err, 2)} | {_fmt(rtf, 4)} |")
    times = stage_times(done_dir) if done_dir is not None else []
    if times:
        lines += ["", "| stage | wall seconds |", "|---|---|"]
        lines += [f"| {name} | {seconds} |" for name, seconds in times]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("exp_dir", type=Path)
    p.add_argument("--done-dir", type=Path, default=None, help="stage markers (exp/.done)")
    p.add_argument("--out", type=Path, default=None, help="also write the table here")
    args = p.parse_args(argv)
    try:
        table = results_table(args.exp_dir, args.done_dir)
    except FileNotFoundError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(table, end="")
    if args.out is not None:
        args.out.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
