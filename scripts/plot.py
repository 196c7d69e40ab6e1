#!/usr/bin/python3
"""Figures of a phenom run or sweep directory into DIR/plots/*.png (matplotlib, Debian's
python3-matplotlib). A sweep directory (it holds manifest.jsonl) gets each final metric against each
swept key (mean and min-max over the other keys, e.g. seeds) and the curves of all its runs.

Usage: plot.py RUN_OR_SWEEP_DIR
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


def as_number(text):
    try:
        return float(text)
    except ValueError:
        return None


def plot_sweep(sweep_dir):
    import csv
    jobs = [json.loads(line) for line in open(os.path.join(sweep_dir, "manifest.jsonl")) if line.strip()]
    summary = json.load(open(os.path.join(sweep_dir, "summary.json"))) if os.path.exists(
        os.path.join(sweep_dir, "summary.json")) else {}
    axes = list((summary.get("axes") or {}).keys())
    rows = list(csv.DictReader(open(os.path.join(sweep_dir, "sweep.csv")))) if os.path.exists(
        os.path.join(sweep_dir, "sweep.csv")) else []
    out = os.path.join(sweep_dir, "plots")
    os.makedirs(out, exist_ok=True)
    written = []
    metrics = [c for c in (rows[0].keys() if rows else []) if c.startswith("final.") and "/" in c
               and not c.startswith("final.weight_norm/")]
    for axis in [a for a in axes if a != "seed"]:  # seeds are replicates: min-max bands, not an x-axis
        values = sorted({r[axis] for r in rows}, key=lambda v: (as_number(v) is None, as_number(v) or 0, v))
        numeric = all(as_number(v) is not None for v in values)
        xs = [as_number(v) if numeric else i for i, v in enumerate(values)]
        geometric = numeric and len(xs) > 2 and min(xs) > 0 and max(xs) / min(xs) >= 10
        for metric in metrics:
            means, lows, highs = [], [], []
            for v in values:
                ys = [as_number(r[metric]) for r in rows if r[axis] == v and as_number(r[metric]) is not None]
                means.append(sum(ys) / len(ys) if ys else float("nan"))
                lows.append(min(ys) if ys else float("nan"))
                highs.append(max(ys) if ys else float("nan"))
            fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
            ax.plot(xs, means, marker="o", color="tab:blue", label="mean")
            ax.fill_between(xs, lows, highs, color="tab:blue", alpha=0.2, label="min-max over the other keys")
            if not numeric:
                ax.set_xticks(xs)
                ax.set_xticklabels(values)
            if geometric:
                ax.set_xscale("log")
            ax.set_xlabel(axis)
            ax.set_ylabel(metric)
            ax.set_title(f"{metric} against {axis}")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=8)
            fig.tight_layout()
            path = os.path.join(out, f"{metric.replace('final.', '').replace('/', '_')}_vs_{axis.replace('.', '_')}.png")
            fig.savefig(path)
            plt.close(fig)
            written.append(path)
    # The curves of every run, overlaid.
    for name in ("test/acc", "train/acc", "test/loss"):
        fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
        drawn = 0
        for job in jobs:
            path = os.path.join(job["run_dir"], "metrics.jsonl")
            if not os.path.exists(path):
                continue
            run_rows, _ = load(job["run_dir"])
            x, y = series(run_rows, name, positive_steps=True)
            if x:
                label = " ".join(o for o in job["overrides"] if o.split("=")[0] in axes) or f"job {job['index']}"
                ax.plot(x, y, linewidth=1, alpha=0.8, label=label)
                drawn += 1
        if drawn:
            ax.set_xscale("log")
            if name.endswith("loss"):
                ax.set_yscale("log")
            ax.set_xlabel("step")
            ax.set_ylabel(name)
            ax.set_title(f"{name}: all {drawn} runs")
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7, ncol=2)
            fig.tight_layout()
            path = os.path.join(out, f"curves_{name.replace('/', '_')}.png")
            fig.savefig(path)
            written.append(path)
        plt.close(fig)
    print("\n".join(written))


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run_dir = sys.argv[1]
    if os.path.exists(os.path.join(run_dir, "manifest.jsonl")):
        plot_sweep(run_dir)
        return
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
