"""Sharpness figures of a run: the top Hessian eigenvalues against 2/lr over the loss (Cohen et al.'s
Fig. 1), the spectral density (stochastic Lanczos quadrature) and the 1-D loss slices, the last
two from summary.json (the hessian and flatness probes write them at the end of the run)."""
import json
import math
import os

import matplotlib.pyplot as plt

from plot_common import finish, save, series


def plot_sharpness(ax, rows, summary, logx=True):
    """Cohen et al.'s Fig. 1: the top Hessian eigenvalues against the threshold 2/lr, the loss beside."""
    for i, colour in zip(range(1, 6), ("tab:blue", "tab:cyan", "tab:purple", "tab:gray", "tab:olive")):
        x, y = series(rows, f"hessian/lambda_{i}", positive_steps=logx)
        if x:
            ax.plot(x, y, color=colour, marker="." if len(x) < 40 else None, label=f"lambda_{i}")
    x, y = series(rows, "hessian/threshold", positive_steps=logx)
    if x:
        ax.plot(x, y, color="black", linestyle="--", linewidth=1, label="2/lr (stability threshold)")
    eos = summary.get("edge_of_stability", {})
    if eos.get("onset_step"):
        ax.axvline(eos["onset_step"], color="tab:red", linestyle=":", linewidth=1, label="onset")
    x, y = series(rows, "train/loss", positive_steps=logx)
    if x:
        twin = ax.twinx()
        twin.plot(x, y, color="tab:orange", linewidth=0.8, alpha=0.7)
        twin.set_ylabel("train/loss", color="tab:orange")
    finish(ax, "sharpness", "Hessian eigenvalue", logx)



def plot_density(ax, density):
    """The mean over start vectors of sum_j w_j N(x; node_j, sigma), sigma 1% of the spectrum's range."""
    nodes = [x for row in density["nodes"] for x in row]
    low, high = min(nodes), max(nodes)
    sigma = max((high - low) * 0.01, 1e-12)
    grid = [low - 3 * sigma + (high - low + 6 * sigma) * i / 599 for i in range(600)]
    values = [0.0] * len(grid)
    rows = len(density["nodes"])
    for xs, ws in zip(density["nodes"], density["weights"]):
        for x, w in zip(xs, ws):
            if w <= 0:
                continue
            for i, g in enumerate(grid):
                values[i] += w * math.exp(-0.5 * ((g - x) / sigma) ** 2) / (sigma * math.sqrt(2 * math.pi)) / rows
    ax.plot(grid, [max(v, 1e-12) for v in values], color="tab:blue")
    ax.set_yscale("log")
    ax.set_xlabel("eigenvalue")
    ax.set_title(f"Hessian spectral density (SLQ, {rows} vectors, step {density['step']})")
    ax.set_ylabel("density")
    ax.grid(alpha=0.3)


def top_alphas(slice_):
    return slice_.get("alpha_top", slice_["alpha"])


def plot_slices(ax, slice_):
    """Both slices against t in [-1, 1]: alpha = t x each direction's radius."""
    t = [a / max(abs(x) for x in slice_["alpha"]) for a in slice_["alpha"]]
    r_random, r_top = max(map(abs, slice_["alpha"])), max(map(abs, top_alphas(slice_)))
    ax.plot(t, slice_["random"], marker=".", label=f"random direction (per-tensor norm), alpha = {r_random:g} t")
    ax.plot(t, slice_["top_eigenvector"], marker=".", label=f"top Hessian eigenvector (x |w|), alpha = {r_top:g} t")
    ax.set_xlabel("t")
    ax.set_title(f"1-D loss slices at step {slice_['step']}")
    ax.set_ylabel("train loss")
    ax.set_yscale("log")
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8)


def summary_panels(summary):
    """Panels (name, draw(ax, rows, summary, logx)) for what the run's summary holds."""
    panels = []
    density = summary.get("hessian", {}).get("density")
    if density:
        panels.append(("hessian_density", lambda ax, r, s, lx, d=density: plot_density(ax, d)))
    slice_ = summary.get("flatness", {}).get("slice")
    if slice_:
        panels.append(("loss_slices", lambda ax, r, s, lx, c=slice_: plot_slices(ax, c)))
    return panels


def plot_flatness_sweep(summary, jobs, out):
    """flatness sweep detector: each arm's 1-D loss slices (first seed) and its sharpness in every seed."""
    result = summary.get("flatness")
    if not isinstance(result, dict) or not result.get("seeds"):
        return []
    arms = result["arms"]
    fig, (a, b) = plt.subplots(1, 2, figsize=(12, 4.3), dpi=110)
    colours = {"small": "tab:blue", "large": "tab:red", "sam": "tab:green"}
    first = result["seeds"][0]["seed"]
    for name, selector in arms.items():
        for job in jobs:
            overrides = set(job["overrides"])
            if not set(selector) <= overrides or (first != "" and f"seed={first}" not in overrides):
                continue
            path = os.path.join(job["run_dir"], "summary.json")
            slice_ = json.load(open(path)).get("flatness", {}).get("slice") if os.path.exists(path) else None
            if slice_:
                t = [x / max(map(abs, slice_["alpha"])) for x in slice_["alpha"]]
                a.plot(t, slice_["top_eigenvector"], color=colours[name], label=f"{name}: top eigenvector")
                a.plot(t, slice_["random"], color=colours[name], linestyle="--", label=f"{name}: random")
            break
    a.set_yscale("log")
    a.set_xlabel("t (alpha / radius of each direction)")
    a.set_ylabel("train loss")
    a.set_title(f"1-D loss slices at the end (seed {first})")
    a.grid(alpha=0.3)
    a.legend(fontsize=7)
    for i, name in enumerate(arms):
        values = [s[name]["sharpness"] for s in result["seeds"]]
        b.scatter([i] * len(values), values, color=colours[name])
    b.set_xticks(range(len(arms)))
    b.set_xticklabels([f"{n}\n{', '.join(arms[n])}" for n in arms], fontsize=7)
    b.set_yscale("log")
    b.set_ylabel(result.get("sharpness", "sharpness"))
    b.set_title("sharpness at the end, one point per seed")
    b.grid(alpha=0.3)
    fig.suptitle("flatness: " + ("detected" if result.get("detected") else "not detected"))
    return [save(fig, out, "flatness.png")]
