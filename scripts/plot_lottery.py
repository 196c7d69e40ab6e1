"""Lottery-ticket figures, used by plot.py: test accuracy against the fraction of weights kept
(log x, reversed: densest on the left) for the ticket, the dense network and the controls, with
the median and min-max band over the protocols given (seeds); the early-stop step against
density (Frankle & Carbin 2019, Figs. 1 and 3); and the test error along the linear path between
two copies trained with different batch orders (Frankle et al. 2020), per measured network."""
import json
import os

import matplotlib.pyplot as plt

from plot_common import save

SERIES = {"ticket_acc": ("winning ticket", "tab:blue"), "random_reinit_acc": ("random re-init", "tab:orange"),
          "random_prune_acc": ("random pruning", "tab:gray")}


PROTOCOLS = ("imp", "linear_mode_connectivity")


def is_protocol(directory):
    path = os.path.join(directory, "summary.json")
    return os.path.exists(path) and json.load(open(path)).get("protocol") in PROTOCOLS


def lmc_paths(summary):
    """(label, color, path) for every LMC pair of a protocol's summary."""
    if summary.get("protocol") == "linear_mode_connectivity":
        return [(f"rewind {summary.get('rewind', 'init')}", "tab:blue", summary["linear_mode_connectivity"])]
    out = []
    for r in summary.get("imp", {}).get("rounds", []):
        density = f"{100 * r['density']:.1f}%"
        if "lmc" in r:
            out.append(("dense" if r["round"] == 0 else f"ticket {density}", "tab:blue", r["lmc"]))
        if "lmc" in r.get("random_prune", {}):
            out.append((f"random pruning {density}", "tab:gray", r["random_prune"]["lmc"]))
    return out


def plot_lmc(protocols, out):
    """Test error along the path, the median over the protocols (seeds) per network, darker when sparser."""
    curves = {}
    for p in protocols:
        for label, color, path in lmc_paths(p):
            sets = path["error"]
            curve = sets.get("test") or next(iter(sets.values()))
            curves.setdefault(label, (color, path["alphas"], []))[2].append(curve)
    if not curves:
        return []
    fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
    by_color = {}
    for label, (color, _, _) in curves.items():
        by_color.setdefault(color, []).append(label)
    for label, (color, alphas, runs) in curves.items():
        rank = by_color[color].index(label)
        shade = 0.35 + 0.65 * (rank + 1) / len(by_color[color])
        median = [sorted(c[i] for c in runs)[len(runs) // 2] for i in range(len(alphas))]
        ax.plot(alphas, [100 * e for e in median], marker="o", markersize=3, color=color, alpha=shade, label=label)
    ax.set_xlabel("alpha (0: copy 1, 1: copy 2)")
    ax.set_ylabel("test error (%)")
    n = len(protocols)
    ax.set_title(f"linear mode connectivity ({n} seed{'s' if n > 1 else ''}: median)")
    ax.grid(True, alpha=0.3)
    ax.legend(fontsize=7)
    return [save(fig, out, "lmc.png")]


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
    written = plot_lmc(protocols, out)
    protocols = [p for p in protocols if p.get("protocol") == "imp"]
    if not protocols:
        return written
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
    return written + [save(fig, out, "lottery.png")]
