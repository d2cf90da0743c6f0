"""The results table of a recipe run: error rate and RTF per decoded set and method.

Reads ``EXP/decode/<set>_<method>/summary.json`` (written by asr-decode) and the stage
markers of egs/tools/recipe.sh (``seconds=`` lines) for the wall time of each stage. With
``--groups SET=FILE`` (a Kaldi table ``utt group``, e.g. a synthetic corpus's utt2family), the
error rate of each group of SET's utterances is a column beside the total, scored from the
decode dir's ``ref`` and ``hyp``.
    python -m asr.recipes.results EXP [--done-dir exp/.done] [--groups test=data/test/utt2family]
        [--out EXP/results.md]
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

from asr.decode import METHODS  # a decode dir is <set>_<method>; both may hold underscores
from asr.scoring.text import read_kaldi_text
from asr.scoring.wer import score


def split_decode_dir(name: str) -> tuple[str, str]:
    """``test-clean_joint_ctc_attention`` -> (``test-clean``, ``joint_ctc_attention``); a
    ``_lm`` suffix (decoded with an n-gram LM) -> method ``joint_ctc_attention + n-gram LM``;
    a ``_chunk<N>[_left<L>]`` suffix (a streaming decode) -> ``…, chunk N[, L left]``."""
    streaming = ""
    chunk = re.search(r"_chunk(\d+)(?:_left(\d+))?$", name)
    if chunk:
        streaming = f", chunk {chunk[1]}" + (f", {chunk[2]} left" if chunk[2] else "")
        name = name[: chunk.start()]
    lm = " + n-gram LM" if name.endswith("_lm") else ""
    name = name.removesuffix("_lm")
    for method in METHODS:
        if name.endswith("_" + method):
            return name[: -len(method) - 1], method + lm + streaming
    test_set, _, method = name.rpartition("_")
    return test_set, method + lm + streaming


def _natural(path: Path) -> list[str | int]:
    """Sort key of a decode dir: numbers as numbers (``_chunk8`` before ``_chunk16``)."""
    return [int(t) if t.isdigit() else t for t in re.split(r"(\d+)", path.parent.name)]


Row = tuple[str, str, str, float | None, float | None, dict[str, float | None]]


def group_error_rates(
    decode_dir: Path, metric: str, utt2group: dict[str, str]
) -> dict[str, float | None]:
    """Error rate (%) of each group's utterances in one decode dir (its ``ref`` and ``hyp``)."""
    refs, hyps = read_kaldi_text(decode_dir / "ref"), read_kaldi_text(decode_dir / "hyp")
    unknown = sorted(set(refs) - set(utt2group))
    if unknown:
        raise ValueError(
            f"{decode_dir}/ref: {len(unknown)} utterances have no group, e.g. {unknown[0]}"
        )
    rates = {}
    for group in sorted(set(utt2group[u] for u in refs)):
        subset = {u: t for u, t in refs.items() if utt2group[u] == group}
        rates[group] = score(subset, hyps, cer=metric == "cer").error_rate
    return rates


def decode_rows(exp_dir: Path, groups: dict[str, Path] | None = None) -> list[Row]:
    """(set, method, metric, error %, rtf, error % per group) for every decode dir with a
    summary.json; groups only for the sets named in ``groups`` (set -> ``utt group`` file)."""
    tables = {name: read_kaldi_text(path) for name, path in (groups or {}).items()}
    rows = []
    for summary in sorted((exp_dir / "decode").glob("*/summary.json"), key=_natural):
        d = json.loads(summary.read_text(encoding="utf-8"))
        test_set, method = split_decode_dir(summary.parent.name)
        metric = d.get("metric", "wer")
        by_group = {}
        if test_set in tables:
            by_group = group_error_rates(summary.parent, metric, tables[test_set])
        rows.append((test_set, method, metric, d.get("wer"), d.get("rtf"), by_group))
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


def results_table(
    exp_dir: Path, done_dir: Path | None = None, groups: dict[str, Path] | None = None
) -> str:
    """Markdown: one row per (set, method) with the error rate of each group beside the total,
    then the wall time of each finished stage."""
    rows = decode_rows(exp_dir, groups)
    if not rows:
        raise FileNotFoundError(f"no {exp_dir}/decode/*/summary.json: run the decode stage first")
    names = sorted({g for *_, by_group in rows for g in by_group})
    head = "| set | method | metric | error % | " + "".join(f"{g} % | " for g in names) + "RTF |"
    lines = [head, "|---" * (5 + len(names)) + "|"]
    for test_set, method, metric, err, rtf, by_group in rows:
        cells = "".join(f"{_fmt(by_group.get(g), 2)} | " for g in names)
        lines.append(
            f"| {test_set} | {method} | {metric} | {_fmt(err, 2)} | {cells}{_fmt(rtf, 4)} |"
        )
    times = stage_times(done_dir) if done_dir is not None else []
    if times:
        lines += ["", "| stage | wall seconds |", "|---|---|"]
        lines += [f"| {name} | {seconds} |" for name, seconds in times]
    return "\n".join(lines) + "\n"


def _group_arg(value: str) -> tuple[str, Path]:
    name, sep, path = value.partition("=")
    if not sep or not name or not path:
        raise argparse.ArgumentTypeError(f"expected SET=FILE, got {value!r}")
    return name, Path(path)


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("exp_dir", type=Path)
    p.add_argument("--done-dir", type=Path, default=None, help="stage markers (exp/.done)")
    p.add_argument("--out", type=Path, default=None, help="also write the table here")
    p.add_argument(
        "--groups",
        type=_group_arg,
        action="append",
        default=[],
        metavar="SET=FILE",
        help="error rate per group of SET's utterances (a Kaldi table: utt group)",
    )
    args = p.parse_args(argv)
    try:
        table = results_table(args.exp_dir, args.done_dir, dict(args.groups))
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    print(table, end="")
    if args.out is not None:
        args.out.write_text(table, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
