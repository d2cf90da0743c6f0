"""Plot step time and peak memory against utterance length, ours beside ESPnet2's.

Reads the rows written by ``peer_espnet.py --sweep ... --json FILE``:

    .venv/bin/python bench/peer_espnet.py --sweep 5 10 20 30 --batch 1 --json lengths.json
    .venv/bin/python bench/plot_lengths.py lengths.json docs/bench_lengths.png
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

STYLE = {"ours": dict(marker="o", linestyle="-"), "espnet": dict(marker="s", linestyle="--")}
LABEL = {"ours": "ours", "espnet": "ESPnet2"}


def plot(rows: list[dict], machine: str, out: Path) -> None:
    """Three panels: step time (log scale), ours ÷ ESPnet2 step time, peak memory."""
    fig, (ax_time, ax_ratio, ax_mem) = plt.subplots(1, 3, figsize=(14, 4), constrained_layout=True)
    presets = sorted({r["preset"] for r in rows})
    colors = dict(zip(presets, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for preset in presets:
        by_impl = {
            impl: sorted(
                (r for r in rows if r["preset"] == preset and r["impl"] == impl),
                key=lambda r: r["seconds"],
            )
            for impl in ("ours", "espnet")
        }
        for impl, sel in by_impl.items():
            x = [r["seconds"] for r in sel]
            kw = dict(color=colors[preset], label=f"{preset}, {LABEL[impl]}", **STYLE[impl])
            ax_time.plot(x, [r["s_per_step"] for r in sel], **kw)
            ax_mem.plot(x, [r["peak_mib"] for r in sel], **kw)
        pairs = [
            (o["seconds"], o["s_per_step"] / e["s_per_step"])
            for o, e in zip(by_impl["ours"], by_impl["espnet"], strict=True)
        ]
        if pairs:
            x, y = zip(*pairs, strict=True)
            ax_ratio.plot(x, y, color=colors[preset], marker="o", label=preset)
    batch = "/".join(map(str, sorted({r["batch"] for r in rows})))
    ax_time.set(
        xlabel="utterance length (s)",
        ylabel="seconds per training step",
        yscale="log",
        title=f"Training step, batch {batch}",
    )
    ax_ratio.axhline(1.0, color="grey", linewidth=0.8)
    ax_ratio.set(
        xlabel="utterance length (s)", ylabel="ours ÷ ESPnet2", title="Step time, same run"
    )
    ax_mem.set(xlabel="utterance length (s)", ylabel="peak MiB added by a step", title="Memory")
    for ax in (ax_time, ax_ratio, ax_mem):
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle(machine, fontsize=8)
    fig.savefig(out, dpi=110)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("rows", type=Path, help="JSON from peer_espnet.py --sweep --json")
    parser.add_argument("out", type=Path, help="PNG to write")
    args = parser.parse_args()
    data = json.loads(args.rows.read_text())
    plot(data["rows"], data["machine"], args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
