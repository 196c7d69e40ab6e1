#!/usr/bin/python3
"""Figures of a phenom run directory: RUN_DIR/plots/*.png (matplotlib, Debian python3-matplotlib).

Usage: plot.py RUN_DIR
"""
import json
import math
import os
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402


def load(run_dir):
    rows = []
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError:
                pass  # a torn last line of an interrupted run
    summary_path = os.path.join(run_dir, "summary.json")
    summary = json.load(open(summary_path)) if os.path.exists(summary_path) else {}
    return rows, summary


def series(rows, name, positive_steps=False):
    pts = [(r["step"], r[name]) for r in rows if name in r and isinstance(r[name], (int, float))]
    if positive_steps:
        pts = [(s, v) for s, v in pts if s > 0]
    return [p[0] for p in pts], [p[1] for p in pts]


def mark_grokking(ax, summary):
    g = summary.get("grokking") or {}
    for key, colour, label in (("step_train", "tab:blue", "step_train"), ("step_test", "tab:orange", "step_test")):
        if g.get(key):
            ax.axvline(g[key], color=colour, linestyle="--", linewidth=1, alpha=0.7, label=f"{label} = {g[key]}")


def finish(ax, title, ylabel, logx=True, logy=False):
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
    if logy:
        ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    ax.legend(loc="best", fontsize=8)


def plot_accuracy(ax, rows, summary):
    for name, colour in (("train/acc", "tab:blue"), ("test/acc", "tab:orange")):
        x, y = series(rows, name, positive_steps=True)
        if x:
            ax.plot(x, y, color=colour, label=name.replace("/", " "))
    chance = (summary.get("grokking") or {}).get("chance_acc")
    if chance:
        ax.axhline(chance, color="grey", linestyle=":", linewidth=1, label=f"chance = {chance:.3f}")
    mark_grokking(ax, summary)
    ax.set_ylim(-0.02, 1.02)
    finish(ax, "Accuracy", "accuracy")


def plot_loss(ax, rows, summary):
    for name, colour in (("train/loss", "tab:blue"), ("test/loss", "tab:orange"),
                         ("fourier/restricted_loss", "tab:green"), ("fourier/excluded_loss", "tab:red")):
        x, y = series(rows, name, positive_steps=True)
        if x and all(v > 0 for v in y):
            ax.plot(x, y, color=colour, label=name.split("/")[-1].replace("_", " ") if name.startswith("fourier")
                    else name.replace("/", " "))
    mark_grokking(ax, summary)
    finish(ax, "Loss", "loss", logy=True)


def plot_weight_norm(ax, rows, summary):
    x, y = series(rows, "weight_norm", positive_steps=True)
    ax.plot(x, y, color="tab:purple", label="total weight norm")
    mark_grokking(ax, summary)
    finish(ax, "Weight norm", "L2 norm of all parameters")


def plot_fourier(ax, rows, summary):
    for name, colour, label in (("fourier/ipr_median", "tab:green", "weights: median IPR"),
                                ("fourier/top_fraction_median", "tab:olive", "weights: median top-frequency power"),
                                ("fourier/mlp_ipr_median", "tab:cyan", "MLP neurons: median IPR"),
                                ("fourier/mlp_top_fraction_median", "tab:blue", "MLP neurons: median top-frequency power")):
        x, y = series(rows, name, positive_steps=True)
        if x:
            ax.plot(x, y, color=colour, label=label)
    mark_grokking(ax, summary)
    ax.set_ylim(0, 1.02)
    finish(ax, "Fourier concentration", "fraction")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run_dir = sys.argv[1]
    rows, summary = load(run_dir)
    if not rows:
        sys.exit(f"error: {run_dir}/metrics.jsonl has no rows to plot")
    out = os.path.join(run_dir, "plots")
    os.makedirs(out, exist_ok=True)
    panels = [("accuracy", plot_accuracy), ("loss", plot_loss)]
    names = set(k for r in rows for k in r)
    if "weight_norm" in names:
        panels.append(("weight_norm", plot_weight_norm))
    if "fourier/ipr_median" in names:
        panels.append(("fourier", plot_fourier))
    written = []
    for name, draw in panels:
        fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
        draw(ax, rows, summary)
        fig.tight_layout()
        path = os.path.join(out, f"{name}.png")
        fig.savefig(path)
        plt.close(fig)
        written.append(path)
    cols = 2
    nrows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(12, 4 * nrows), dpi=110, squeeze=False)
    for ax, (name, draw) in zip(axes.flat, panels):
        draw(ax, rows, summary)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    title = os.path.basename(os.path.normpath(run_dir))
    spec_path = os.path.join(run_dir, "spec.yaml")
    if os.path.exists(spec_path):
        first = open(spec_path).readline().strip()
        title = f"{first.split(':', 1)[-1].strip()}  ({title})"
    fig.suptitle(title)
    fig.tight_layout()
    path = os.path.join(out, "overview.png")
    fig.savefig(path)
    plt.close(fig)
    written.append(path)
    print("\n".join(written))


if __name__ == "__main__":
    main()
