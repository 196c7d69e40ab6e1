#!/usr/bin/python3
"""Figures of a phenom run, sweep, protocol or analysis directory into DIR/plots/*.png (matplotlib, Debian's
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

from plot_common import finish, load, save, series, step_label  # noqa: E402

from plot_analysis import is_analysis, plot_analysis  # noqa: E402
from plot_icl import icl_sets, plot_icl  # noqa: E402
from plot_lottery import is_protocol, plot_lottery  # noqa: E402
from plot_sharpness import plot_sharpness, summary_panels  # noqa: E402
from plot_sweep import plot_sweep  # noqa: E402


def mark_grokking(ax, summary):
    g = summary.get("grokking") or {}
    for key, colour, label in (("step_train", "tab:blue", "step_train"), ("step_test", "tab:orange", "step_test")):
        if g.get(key):
            ax.axvline(g[key], color=colour, linestyle="--", linewidth=1, alpha=0.7, label=f"{label} = {g[key]}")


def log_steps(rows):
    """Log-x when the measured steps span more than a decade (log-spaced cadences always do)."""
    steps = [r["step"] for r in rows if r.get("step", 0) > 0]
    return bool(steps) and max(steps) > 10 * min(steps)


def caption(run_dir):
    """One line of the hyperparameters that identify the run, from its resolved spec."""
    try:
        import yaml
        spec = yaml.safe_load(open(os.path.join(run_dir, "spec.yaml")))
    except Exception:  # noqa: BLE001 - no spec or no python3-yaml: no caption
        return ""
    keys = {"task": ("modulus", "operation", "train_fraction", "n_train", "dim", "n_points", "num_tasks",
                     "label_noise", "fraction_random"),
            "model": ("width", "widths", "depth", "d_model", "n_heads", "n_layers", "d_mlp"),
            "optimizer": ("lr", "weight_decay", "momentum"),
            "train": ("batch_size", "steps", "loss")}
    parts = []
    for section, names in keys.items():
        block = spec.get(section) or {}
        values = ", ".join(f"{k} {block[k]}" for k in names
                           if k in block and not isinstance(block[k], dict) and block[k] not in ([], "", None))
        head = block.get("type", section) if section != "train" else ""
        parts.append(f"{head} ({values})" if head and values else head or values)
    parts.append(f"seed {spec.get('seed', 0)}")
    return " · ".join(p for p in parts if p)


COLOURS = {"train": "tab:blue", "test": "tab:orange", "val": "tab:green"}


def set_metrics(names, suffix):
    """Every evaluation set's `<set>/<suffix>`, train and test first."""
    found = sorted((n for n in names if n.endswith("/" + suffix) and n.count("/") == 1),
                   key=lambda n: ({"train": 0, "test": 1}.get(n.split("/")[0], 2), n))
    return found


def plot_accuracy(ax, rows, summary, logx=True):
    names = set(k for r in rows for k in r)
    for name in set_metrics(names, "acc"):
        x, y = series(rows, name, positive_steps=logx)
        if x:
            ax.plot(x, y, color=COLOURS.get(name.split("/")[0]), label=name.replace("/", " "))
    chance = (summary.get("grokking") or {}).get("chance_acc")
    if chance:
        ax.axhline(chance, color="grey", linestyle=":", linewidth=1, label=f"chance = {chance:.3f}")
    mark_grokking(ax, summary)
    ax.set_ylim(-0.02, 1.02)
    finish(ax, "Accuracy", "accuracy", logx)


def plot_loss(ax, rows, summary, logx=True):
    names = set(k for r in rows for k in r)
    extra = [("fourier/restricted_loss", "tab:green"), ("fourier/excluded_loss", "tab:red")]
    positive, values = True, []
    for name, colour in [(n, COLOURS.get(n.split("/")[0])) for n in set_metrics(names, "loss")] + extra:
        x, y = series(rows, name, positive_steps=logx)
        if x:
            positive &= all(v > 0 for v in y)
            values += y
            ax.plot(x, y, color=colour, label=name.split("/")[-1].replace("_", " ") if name.startswith("fourier")
                    else name.replace("/", " "))
    mark_grokking(ax, summary)
    # log-y when the losses span more than a decade
    finish(ax, "Loss", "loss", logx, logy=positive and bool(values) and max(values) > 10 * min(values))


def plot_weight_norm(ax, rows, summary, logx=True):
    x, y = series(rows, "weight_norm", positive_steps=logx)
    ax.plot(x, y, color="black", linewidth=2, label="all parameters")
    per_tensor = sorted(set(k for r in rows for k in r if k.startswith("weight_norm/")))
    for name in per_tensor[:12]:
        x, y = series(rows, name, positive_steps=logx)
        ax.plot(x, y, linewidth=1, label=name.split("/", 1)[1])
    mark_grokking(ax, summary)
    more = f" (+{len(per_tensor) - 12} tensors in metrics.jsonl)" if len(per_tensor) > 12 else ""
    finish(ax, "Weight norm" + more, "L2 norm", logx)


def plot_family(ax, rows, summary, keys, title, logx=True):
    """Any other probe's metrics: one line per key (at most 10)."""
    values = []
    for name in keys[:10]:
        x, y = series(rows, name)
        if x and logx:
            x, y = series(rows, name, positive_steps=True)
        if x:
            ax.plot(x, y, marker="." if len(x) < 30 else None, linewidth=1.2, label=name)
            values += y
    mark_grokking(ax, summary)
    positive = bool(values) and min(values) > 0 and max(values) > 100 * min(values)
    more = f" (+{len(keys) - 10} more in metrics.jsonl)" if len(keys) > 10 else ""
    finish(ax, title + more, title, logx, logy=positive)


def plot_fourier(ax, rows, summary, logx=True):
    for name, colour, label in (("fourier/ipr_median", "tab:green", "weights: median IPR"),
                                ("fourier/top_fraction_median", "tab:olive", "weights: median top-frequency power"),
                                ("fourier/mlp_ipr_median", "tab:cyan", "MLP neurons: median IPR"),
                                ("fourier/mlp_top_fraction_median", "tab:blue", "MLP neurons: median top-frequency power")):
        x, y = series(rows, name, positive_steps=logx)
        if x:
            ax.plot(x, y, color=colour, label=label)
    mark_grokking(ax, summary)
    ax.set_ylim(0, 1.02)
    finish(ax, "Fourier concentration", "fraction", logx)


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    run_dir = sys.argv[1]
    if os.path.exists(os.path.join(run_dir, "manifest.jsonl")):
        plot_sweep(run_dir)
        return
    if is_analysis(run_dir):
        for path in plot_analysis(run_dir):
            print(path)
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
    names = set(k for r in rows for k in r if k != "step" and any(isinstance(r.get(k), (int, float)) for r in rows))
    logx = log_steps(rows)
    panels = ([("accuracy", plot_accuracy)] if set_metrics(names, "acc") else []) + [("loss", plot_loss)]
    covered = set(set_metrics(names, "acc") + set_metrics(names, "loss"))
    if "weight_norm" in names:
        panels.append(("weight_norm", plot_weight_norm))
        covered |= {n for n in names if n == "weight_norm" or n.startswith("weight_norm/")}
    if "fourier/ipr_median" in names:
        panels.append(("fourier", plot_fourier))
        covered |= {"fourier/ipr_median", "fourier/top_fraction_median", "fourier/mlp_ipr_median",
                    "fourier/mlp_top_fraction_median", "fourier/restricted_loss", "fourier/excluded_loss"}
    if "hessian/lambda_1" in names:
        panels.append(("sharpness", plot_sharpness))
        covered |= {n for n in names if n.startswith("hessian/lambda_")} | {"hessian/threshold"}
    panels += summary_panels(summary)
    for label, prefix in icl_sets(summary):
        panels.append((f"icl_{label}", lambda ax, r, s, lx, p=prefix: plot_icl(ax, r, s, p)))
    # Every other probe gets a panel of its own: nothing requested goes unplotted.
    families = {}
    for n in sorted(names - covered):
        families.setdefault(n.split("/")[0], []).append(n)
    for family, keys in families.items():
        panels.append((family, lambda ax, r, s, lx, k=keys, f=family: plot_family(ax, r, s, k, f, lx)))
    line = caption(run_dir)
    written = []
    for name, draw in panels:
        fig, ax = plt.subplots(figsize=(6, 4.3), dpi=120)
        draw(ax, rows, summary, logx)
        path = save(fig, out, f"{name.replace('/', '_')}.png", line)
        written.append(path)
    cols = 2
    nrows = math.ceil(len(panels) / cols)
    fig, axes = plt.subplots(nrows, cols, figsize=(12, 4 * nrows + 0.4), dpi=110, squeeze=False)
    for ax, (name, draw) in zip(axes.flat, panels):
        draw(ax, rows, summary, logx)
    for ax in list(axes.flat)[len(panels):]:
        ax.axis("off")
    title = os.path.basename(os.path.normpath(run_dir))
    spec_path = os.path.join(run_dir, "spec.yaml")
    if os.path.exists(spec_path):
        first = open(spec_path).readline().strip()
        title = f"{first.split(':', 1)[-1].strip()}  ({title})"
    fig.suptitle(title)
    path = save(fig, out, "overview.png", line)
    written.append(path)
    print("\n".join(written))


if __name__ == "__main__":
    main()
