#!/usr/bin/env python3
"""Draws bench/results/latest.png from the statistics `nlfam-bench report --summary` writes.

    bench/chart.py SUMMARY.json OUT.png

Left: cost per operation (µs, log scale) of every row for each module, with the floor
next to the echo rows; error bars are the 95% intervals. Right: the first module's rate
over the second's with its interval (delta method on the log ratio); 1.0 = equal.
"""
import json
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

COLORS = {"rust": "#d9622b", "c": "#3b6fb6", "floor": "#8c8c8c"}
EXTRA = ["#4d9a4d", "#9a4d9a"]


def main(src, dst):
    with open(src) as f:
        s = json.load(f)
    meta, modules = s["meta"], s["modules"]
    rows = [r for r in s["rows"] if r["kind"] != "floor"]
    floor = {r["size"]: r for r in s["rows"] if r["kind"] == "floor"}
    labels = list(modules) + ["floor"]
    colors = {}
    for i, l in enumerate(labels):
        colors[l] = COLORS.get(l, EXTRA[i % len(EXTRA)])

    n = len(rows)
    fig, (ax, axr) = plt.subplots(
        1, 2, figsize=(13, 0.42 * n + 2.2), gridspec_kw={"width_ratios": [3, 2]}, sharey=True
    )
    height = 0.8 / len(labels)
    for j, label in enumerate(labels):
        ys, xs, errs = [], [], []
        for i, r in enumerate(rows):
            src_row = floor.get(r["size"]) if label == "floor" and r["kind"] == "echo" else r
            if src_row is None:
                continue
            d = src_row["labels"].get(label)
            if not d or not d["cost_ns"]:
                continue
            c = d["cost_ns"]
            ys.append(i + (j - (len(labels) - 1) / 2) * height)
            xs.append(c["mean"] / 1000)
            errs.append((c["half"] or 0) / 1000)
        if xs:
            ax.barh(ys, xs, height=height, xerr=errs, color=colors[label], label=label,
                    error_kw={"elinewidth": 1, "capsize": 2})
    ax.set_xscale("log")
    ax.set_yticks(range(n))
    ax.set_yticklabels([r["title"] for r in rows])
    ax.invert_yaxis()
    ax.set_xlabel("µs per operation (message, delivery, entry or op), log scale; bars: 95% CI")
    ax.grid(axis="x", which="both", alpha=0.3)
    ax.legend(loc="lower right")

    if len(modules) >= 2:
        a, b = modules[0], modules[1]
        ys, xs, lo, hi = [], [], [], []
        for i, r in enumerate(rows):
            q = r.get("ratio")
            if q:
                ys.append(i)
                xs.append(q["ratio"])
                lo.append(q["ratio"] - q["lo"])
                hi.append(q["hi"] - q["ratio"])
        axr.errorbar(xs, ys, xerr=[lo, hi], fmt="o", color=colors[a], ecolor="black",
                     elinewidth=1, capsize=3)
        axr.axvline(1.0, color="black", linewidth=1, linestyle="--")
        axr.set_xscale("log")
        lo_all = min([x - d for x, d in zip(xs, lo)] + [0.5])
        hi_all = max([x + d for x, d in zip(xs, hi)] + [2.0])
        axr.set_xlim(lo_all / 1.15, hi_all * 1.15)
        ticks = [t for t in (0.125, 0.25, 0.5, 0.8, 1, 1.25, 2, 4, 8) if lo_all / 1.15 <= t <= hi_all * 1.15]
        axr.set_xticks(ticks)
        axr.set_xticklabels([f"{t:g}" for t in ticks])
        axr.minorticks_off()
        axr.set_xlabel(f"{a} rate / {b} rate, log scale; > 1: {a} faster\n"
                       "95% CI: delta method on the log ratio")
        axr.grid(axis="x", alpha=0.3)
    else:
        axr.set_axis_off()

    cfg = meta.get("config", {})
    fig.suptitle(
        f"nlfam: {' vs '.join(modules)} vs floor — kernel {meta.get('kernel', '?')} under "
        f"{meta.get('accelerator', '?')}, {cfg.get('samples', '?')} samples/row, "
        f"commit {meta.get('commit', '?')}, {meta.get('date', '?')}",
        fontsize=10,
    )
    fig.tight_layout()
    fig.savefig(dst, dpi=110)


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2])
