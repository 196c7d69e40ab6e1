"""Lottery-ticket figures, used by plot.py: test accuracy against the fraction of weights kept
(log x, reversed: densest on the left) for the ticket, the dense network and the controls, with
the median and min-max band over the protocols given (seeds); and the early-stop step against
density (Frankle & Carbin 2019, Figs. 1 and 3)."""
import json
import os

import matplotlib.pyplot as plt

from plot_common import save

SERIES = {"ticket_acc": ("winning ticket", "tab:blue"), "random_reinit_acc": ("random re-init", "tab:orange"),
          "random_prune_acc": ("random pruning", "tab:gray")}


def is_protocol(directory):
    path = os.path.join(directory, "summary.json")
    return os.path.exists(path) and json.load(open(path)).get("protocol") == "imp"


def band(protocols, key):
    """(density, median, low, high) of `key` over the protocols, per round that has it."""
    by_round = {}
    for p in protocols:
        for row in p["rounds"]:
            if key in row:
                by_round.setdefault(row["round"], []).append((row["density"], row[key]))
    out = []
    for r in sorted(by_round):
        values = sorted(v for _, v in by_round[r])
        out.append((by_round[r][0][0], values[len(values) // 2], values[0], values[-1]))
    return out


def plot_lottery(directories, out):
    protocols = [json.load(open(os.path.join(d, "summary.json"))) for d in directories if is_protocol(d)]
    if not protocols:
        return []
    os.makedirs(out, exist_ok=True)
    fig, (acc, early) = plt.subplots(1, 2, figsize=(11, 4), dpi=120)
    dense = sorted(p["imp"]["dense_acc"] for p in protocols)
    acc.axhline(dense[len(dense) // 2], color="black", linestyle="--", linewidth=1, label="dense (round 0)")
    for key, (label, color) in SERIES.items():
        points = band(protocols, key)
        if not points:
            continue
        x = [100 * d for d, *_ in points]
        acc.plot(x, [m for _, m, _, _ in points], marker="o", markersize=3, color=color, label=label)
        acc.fill_between(x, [lo for *_, lo, _ in points], [hi for *_, hi in points], color=color, alpha=0.2)
    points = band(protocols, "early_stop_step")
    if points:
        x = [100 * d for d, *_ in points]
        early.plot(x, [m for _, m, _, _ in points], marker="o", markersize=3, color="tab:blue", label="winning ticket")
        early.fill_between(x, [lo for *_, lo, _ in points], [hi for *_, hi in points], color="tab:blue", alpha=0.2)
    for ax, ylabel in ((acc, "test accuracy"), (early, "early-stop step (min validation loss)")):
        ax.set_xscale("log")
        ax.invert_xaxis()
        ax.set_xlabel("weights remaining (%)")
        ax.set_ylabel(ylabel)
        ax.grid(True, alpha=0.3)
    acc.legend(fontsize=8)
    n = len(protocols)
    acc.set_title(f"iterative magnitude pruning ({n} seed{'s' if n > 1 else ''}: median, min-max)")
    path = save(fig, out, "lottery.png")
    return [path]
