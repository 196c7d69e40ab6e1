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

from plot_common import save  # noqa: E402

from plot_icl import icl_sets, plot_icl, plot_task_diversity  # noqa: E402
from plot_lottery import is_protocol, plot_lottery  # noqa: E402


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
    if jobs and all(is_protocol(j["run_dir"]) for j in jobs):  # a sweep of protocols: seeds as bands
        for path in plot_lottery([j["run_dir"] for j in jobs], out):
            print(path)
        return
    metrics = [c for c in (rows[0].keys() if rows else []) if c.startswith("final.") and "/" in c
               and not c.startswith("final.weight_norm/") and not c.startswith("final.icl/")]
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
            path = save(fig, out, f"{metric.replace('final.', '').replace('/', '_')}_vs_{axis.replace('.', '_')}.png")
            written.append(path)
    written += plot_double_descent(sweep_dir, summary, rows, axes, out)
    written += plot_random_labels(summary, jobs, axes, out)
    written += plot_task_diversity(summary, out)
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


def grouped(rows, axis, metric, axes):
    """{group label: (xs, means, lows, highs)} of a final metric along a numeric axis, one group per
    combination of the other non-seed axes (e.g. label noise 0 and 0.2)."""
    others = [a for a in axes if a not in (axis, "seed")]
    groups = {}
    for r in rows:
        x, y = as_number(r.get(axis, "")), as_number(r.get(metric, "") or "")
        if x is None or y is None:
            continue
        label = ", ".join(f"{a}={r[a]}" for a in others)
        groups.setdefault(label, {}).setdefault(x, []).append(y)
    out = {}
    for label, by_x in groups.items():
        xs = sorted(by_x)
        out[label] = (xs, [sum(by_x[x]) / len(by_x[x]) for x in xs], [min(by_x[x]) for x in xs],
                      [max(by_x[x]) for x in xs])
    return out


def plot_double_descent(sweep_dir, summary, rows, axes, out):
    """Per double_descent detector: the test metric, test and train error, train loss and the
    coefficient norm against the swept capacity / sample size, threshold marked (log-x)."""
    written = []
    for key, result in summary.items():
        if not key.startswith("double_descent") or not isinstance(result, dict) or "x" not in result:
            continue
        axis, ymetric = result["x"], result["y"]
        panels = [(ymetric, ymetric.replace("final.", ""), True)]
        if any("final.test/acc" in r for r in rows[:1]):
            panels.append(("error", "error (1 - accuracy)", False))
        for metric, label, logy in (("final.train/loss", "train/loss", True), ("final.fit/coef_norm", "readout norm |W|", True)):
            if metric != ymetric and rows and metric in rows[0]:
                panels.append((metric, label, logy))
        cols = 2 if len(panels) > 2 else len(panels)
        nrows = math.ceil(len(panels) / cols)
        fig, axs = plt.subplots(nrows, cols, figsize=(6 * cols, 4.2 * nrows), dpi=110, squeeze=False)
        for ax in list(axs.flat)[len(panels):]:
            ax.axis("off")
        for ax, (metric, label, logy) in zip(axs.flat, panels):
            metrics = [("final.test/acc", "test"), ("final.train/acc", "train")] if metric == "error" else [(metric, None)]
            for m, which in metrics:
                for group, (xs, means, lows, highs) in grouped(rows, axis, m, axes).items():
                    if metric == "error":
                        means, lows, highs = [1 - v for v in means], [1 - v for v in highs], [1 - v for v in lows]
                    name = " ".join(t for t in (which, group) if t) or "mean over seeds"
                    line, = ax.plot(xs, means, marker="o", markersize=3, label=name)
                    ax.fill_between(xs, lows, highs, color=line.get_color(), alpha=0.15)
            if metric == ymetric and any("reference" in p for p in result.get("points", [])):
                pts = [(p["x"], p["reference"]) for p in result["points"] if p.get("reference") is not None]
                ax.plot([p[0] for p in pts], [p[1] for p in pts], "k--", linewidth=1, label="closed form")
            if isinstance(result.get("threshold"), (int, float)):
                ax.axvline(result["threshold"], color="grey", linestyle=":", label=f"threshold {result['threshold']:.4g}")
            ax.set_xscale("log")
            if logy:
                ax.set_yscale("log")
            ax.set_xlabel(axis)
            ax.set_ylabel(label)
            ax.grid(True, which="major", alpha=0.3)
            ax.legend(fontsize=7)
        verdict = "detected" if result.get("detected") else "not detected"
        peak = result.get("peak") or {}
        fig.suptitle(f"double descent of {ymetric} along {axis}: {verdict}"
                     + (f" (peak at {peak['x']:.4g})" if peak else ""))
        path = save(fig, out, f"{key.replace('.', '_')}.png")
        written.append(path)
    return written


def plot_random_labels(summary, jobs, axes, out):
    """random_labels detector: train accuracy curves per corruption level, steps-to-fit and clean
    test accuracy against the level."""
    result = summary.get("random_labels")
    if not isinstance(result, dict) or not result.get("points"):
        return []
    axis = result["x"]
    fig, (a, b, c) = plt.subplots(1, 3, figsize=(15, 4), dpi=110)
    levels = sorted({p["x"] for p in result["points"]})
    cmap = plt.get_cmap("viridis")
    seen = set()
    for job in jobs:
        level = next((as_number(o.split("=", 1)[1]) for o in job["overrides"] if o.split("=")[0] == axis), None)
        path = os.path.join(job["run_dir"], "metrics.jsonl")
        if level is None or not os.path.exists(path):
            continue
        run_rows, _ = load(job["run_dir"])
        x, y = series(run_rows, "train/acc", positive_steps=True)
        colour = cmap(levels.index(level) / max(1, len(levels) - 1)) if level in levels else "grey"
        a.plot(x, y, color=colour, linewidth=1, label=None if level in seen else f"{axis}={level:g}")
        seen.add(level)
    a.set_xlabel("step")
    a.set_ylabel("train accuracy")
    a.set_title("fitting the training labels")
    a.legend(fontsize=7)
    a.grid(True, alpha=0.3)
    pts = [p for p in result["points"] if p.get("steps_to_fit") is not None]
    b.plot([p["x"] for p in pts], [p["steps_to_fit"] for p in pts], marker="o")
    b.set_xlabel(axis)
    b.set_ylabel("steps to 100% train accuracy (mean)")
    b.set_title("time to fit")
    b.grid(True, alpha=0.3)
    xs = [p["x"] for p in result["points"] if "test_acc" in p]
    c.plot(xs, [p["test_acc"]["mean"] for p in result["points"] if "test_acc" in p], marker="o", label="test (clean labels)")
    c.fill_between(xs, [p["test_acc"]["min"] for p in result["points"] if "test_acc" in p],
                   [p["test_acc"]["max"] for p in result["points"] if "test_acc" in p], alpha=0.2)
    c.plot(xs, [p["train_acc_mean"] for p in result["points"] if "test_acc" in p], marker="s", label="train")
    c.axhline(result.get("chance", 0.1), color="grey", linestyle=":", label="chance")
    c.set_xlabel(axis)
    c.set_ylabel("accuracy")
    c.set_ylim(0, 1.05)
    c.set_title("generalisation")
    c.legend(fontsize=8)
    c.grid(True, alpha=0.3)
    fig.suptitle("random labels: " + ("detected" if result.get("detected") else "not detected"))
    path = save(fig, out, "random_labels.png")
    return [path]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run_dir = sys.argv[1]
    if os.path.exists(os.path.join(run_dir, "manifest.jsonl")):
        plot_sweep(run_dir)
        return
    if is_protocol(run_dir):
        for path in plot_lottery([run_dir], os.path.join(run_dir, "plots")):
            print(path)
        return
    rows, summary = load(run_dir)
    if not rows:
        sys.exit(f"error: {run_dir}/metrics.jsonl has no rows to plot")
    out = os.path.join(run_dir, "plots")
    os.makedirs(out, exist_ok=True)
    names = set(k for r in rows for k in r)
    panels = ([("accuracy", plot_accuracy)] if "train/acc" in names else []) + [("loss", plot_loss)]
    if "weight_norm" in names:
        panels.append(("weight_norm", plot_weight_norm))
    if "fourier/ipr_median" in names:
        panels.append(("fourier", plot_fourier))
    for label, prefix in icl_sets(summary):
        panels.append((f"icl_{label}", lambda ax, r, s, p=prefix: plot_icl(ax, r, s, p)))
    written = []
    for name, draw in panels:
        fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
        draw(ax, rows, summary)
        path = save(fig, out, f"{name}.png")
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
    path = save(fig, out, "overview.png")
    written.append(path)
    print("\n".join(written))


if __name__ == "__main__":
    main()
