"""Figures of a sweep directory (it holds manifest.jsonl): each final metric and detector statistic
against each swept key with standard-error bars over seeds, a heatmap when two keys are swept, the
curves of all runs, and the double-descent and random-labels views."""
import json
import math
import os

import matplotlib.pyplot as plt

from plot_common import as_number, load, save, series
from plot_icl import plot_task_diversity
from plot_lottery import is_protocol, plot_lottery
from plot_sharpness import plot_flatness_sweep


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
    columns = list(rows[0].keys()) if rows else []
    finals = [c for c in columns if c.startswith("final.") and "/" in c
              and not c.startswith("final.weight_norm/") and not c.startswith("final.icl/")]
    bookkeeping = set(axes) | {"index", "state", "status", "wall_seconds", "run_dir"}
    statistics = [c for c in columns if "." in c and not c.startswith("final.") and c not in bookkeeping
                  and any(as_number(r.get(c) or "") is not None for r in rows)]
    metrics = finals + statistics
    swept = [a for a in axes if a != "seed"]  # seeds are replicates: error bars, not an x-axis
    for axis in swept:
        values = sorted({r[axis] for r in rows}, key=lambda v: (as_number(v) is None, as_number(v) or 0, v))
        numeric = all(as_number(v) is not None for v in values)
        xs = [as_number(v) if numeric else i for i, v in enumerate(values)]
        geometric = numeric and len(xs) > 2 and min(xs) > 0 and max(xs) / min(xs) >= 10
        for metric in metrics:
            means, sems, lows, highs = [], [], [], []
            for v in values:
                ys = [as_number(r[metric]) for r in rows if r[axis] == v and as_number(r[metric] or "") is not None]
                n = len(ys)
                mean = sum(ys) / n if n else float("nan")
                sd = math.sqrt(sum((y - mean) ** 2 for y in ys) / (n - 1)) if n > 1 else 0.0
                means.append(mean)
                sems.append(sd / math.sqrt(n) if n > 1 else 0.0)
                lows.append(min(ys) if ys else float("nan"))
                highs.append(max(ys) if ys else float("nan"))
            if all(math.isnan(m) for m in means):
                continue
            fig, ax = plt.subplots(figsize=(6, 4), dpi=120)
            ax.errorbar(xs, means, yerr=sems, marker="o", capsize=3, color="tab:blue", label="mean ± standard error")
            ax.fill_between(xs, lows, highs, color="tab:blue", alpha=0.12, label="min-max over the other keys")
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
    if len(swept) == 2:  # two keys: a heatmap of each metric's mean over seeds
        written += plot_heatmaps(rows, swept, metrics, out)
    written += plot_double_descent(sweep_dir, summary, rows, axes, out)
    written += plot_random_labels(summary, jobs, axes, out)
    written += plot_task_diversity(summary, out)
    written += plot_flatness_sweep(summary, jobs, out)
    # The curves of every run, overlaid: colour by the first swept key, line style by seed.
    colour_key = swept[0] if swept else None
    colour_values = sorted({swept_value(j, colour_key) for j in jobs}, key=lambda v: (as_number(v) is None,
                                                                                       as_number(v) or 0, v))
    colours = plt.get_cmap("viridis")
    seeds = sorted({swept_value(j, "seed") for j in jobs})
    styles = ["-", "--", ":", "-."]
    for name in ("test/acc", "train/acc", "test/loss"):
        fig, ax = plt.subplots(figsize=(7, 4.5), dpi=120)
        drawn, labelled = 0, set()
        for job in jobs:
            if not os.path.exists(os.path.join(job["run_dir"], "metrics.jsonl")):
                continue
            run_rows, _ = load(job["run_dir"])
            x, y = series(run_rows, name, positive_steps=True)
            if not x:
                continue
            value = swept_value(job, colour_key)
            i = colour_values.index(value) if colour_key else 0
            colour = colours(i / max(1, len(colour_values) - 1)) if colour_key else None
            style = styles[seeds.index(swept_value(job, "seed")) % len(styles)]
            label = f"{colour_key}={value}" if colour_key else f"job {job['index']}"
            ax.plot(x, y, linewidth=1, alpha=0.85, color=colour, linestyle=style,
                    label=None if label in labelled else label)
            labelled.add(label)
            drawn += 1
        if drawn:
            ax.set_xscale("log")
            if name.endswith("loss"):
                ax.set_yscale("log")
            ax.set_xlabel("step")
            ax.set_ylabel(name)
            line_styles = f"; line style: seed ({', '.join(seeds)})" if len(seeds) > 1 else ""
            ax.set_title(f"{name}: all {drawn} runs{line_styles}", fontsize=9)
            ax.grid(True, alpha=0.3)
            ax.legend(fontsize=7, ncol=2)
            written.append(save(fig, out, f"curves_{name.replace('/', '_')}.png"))
        else:
            plt.close(fig)
    print("\n".join(written))


def swept_value(job, key):
    """The value a job's overrides give `key` ("" when none)."""
    for o in job.get("overrides", []):
        if key and o.split("=", 1)[0] == key:
            return o.split("=", 1)[1]
    return ""


def plot_heatmaps(rows, swept, metrics, out):
    """Each metric's mean over seeds on the grid of two swept keys."""
    order = lambda v: (as_number(v) is None, as_number(v) or 0, v)  # noqa: E731
    ys, xs = (sorted({r[k] for r in rows}, key=order) for k in swept)
    written = []
    for metric in metrics[:12]:
        grid = [[float("nan")] * len(xs) for _ in ys]
        for i, yv in enumerate(ys):
            for j, xv in enumerate(xs):
                vals = [as_number(r[metric] or "") for r in rows if r[swept[0]] == yv and r[swept[1]] == xv]
                vals = [v for v in vals if v is not None]
                if vals:
                    grid[i][j] = sum(vals) / len(vals)
        if all(math.isnan(v) for line in grid for v in line):
            continue
        fig, ax = plt.subplots(figsize=(1.2 + 0.8 * len(xs), 1.2 + 0.6 * len(ys)), dpi=120)
        image = ax.imshow(grid, aspect="auto", origin="lower", cmap="viridis")
        ax.set_xticks(range(len(xs)))
        ax.set_xticklabels(xs, rotation=45, fontsize=7)
        ax.set_yticks(range(len(ys)))
        ax.set_yticklabels(ys, fontsize=7)
        ax.set_xlabel(swept[1])
        ax.set_ylabel(swept[0])
        for i in range(len(ys)):
            for j in range(len(xs)):
                if not math.isnan(grid[i][j]):
                    ax.text(j, i, f"{grid[i][j]:.3g}", ha="center", va="center", fontsize=6, color="white")
        fig.colorbar(image, ax=ax)
        ax.set_title(f"{metric} (mean over seeds)", fontsize=9)
        name = metric.replace("final.", "").replace("/", "_")
        written.append(save(fig, out, f"heatmap_{name}.png"))
    return written


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
