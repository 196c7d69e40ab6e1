"""Figures of a `phenom analyze` directory at its last step: activation-patching heatmaps (layers
down, positions or heads across, as TransformerLens draws them), steering curves, CKA between
runs (seeds), and PCA and t-SNE views of the kept coordinates coloured by a task attribute; and,
over every analysed step, CKA between checkpoints (steps x steps). t-SNE needs Debian's
python3-sklearn (skipped with a note where it is missing); Debian packages no UMAP."""
import os
import re
import sys

import matplotlib.pyplot as plt
import numpy as np

from plot_common import save

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "python"))
from phenom_reader import Analysis  # noqa: E402

TSNE_POINTS = 2000
BLOCK = re.compile(r"^blocks\.(\d+)\.(.+)$")


def is_analysis(path):
    return os.path.exists(os.path.join(path, "analysis.yaml")) and os.path.exists(os.path.join(path, "results.jsonl"))


def _instruments(tensors):
    """{instrument ('1.patching'): {name: array}}"""
    out = {}
    for key, array in tensors.items():
        instrument, name = key.split("/", 1)
        out.setdefault(instrument, {})[name] = array
    return out


def _patching(tables, out, step, instrument):
    """One panel per (hook kind, axis): blocks.{l}.<kind> stacked into [layers, positions|heads]."""
    groups = {}
    for name, array in tables.items():
        m = re.match(r"^patching/(.+)/by_(position|head)$", name)
        if not m:
            continue
        hook, axis = m.groups()
        b = BLOCK.match(hook)
        layer, kind = (int(b.group(1)), b.group(2)) if b else (0, hook)
        groups.setdefault((kind, axis), {})[layer] = array
    if not groups:
        return []
    fig, axes = plt.subplots(1, len(groups), figsize=(4.2 * len(groups), 3.4), squeeze=False)
    for ax, ((kind, axis), layers) in zip(axes[0], sorted(groups.items())):
        ids = sorted(layers)
        width = max(len(layers[i]) for i in ids)
        grid = np.full((len(ids), width), np.nan)
        for row, i in enumerate(ids):
            grid[row, : len(layers[i])] = layers[i]
        image = ax.imshow(grid, cmap="RdBu", vmin=-1, vmax=1, aspect="auto")
        ax.set_yticks(range(len(ids)), [str(i) for i in ids])
        ax.set_xticks(range(width))
        ax.set_xlabel(axis)
        ax.set_ylabel("layer")
        ax.set_title(kind, fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.046, label="fraction recovered")
    return [save(fig, out, f"patching_{instrument}.png", f"activation patching at step {step}")]


def _steering(tables, out, step, instrument):
    paths = []
    for name, curve in tables.items():
        m = re.match(r"^(steering/.+)/to_acc$", name)
        if not m or f"{m.group(1)}/alphas" not in tables:
            continue
        fig, ax = plt.subplots(figsize=(4.5, 3.2))
        ax.plot(tables[f"{m.group(1)}/alphas"], curve, marker="o")
        ax.set_xlabel("alpha (scale of the steering vector)")
        ax.set_ylabel("answered as the target value")
        ax.set_ylim(-0.02, 1.02)
        ax.set_title(m.group(1), fontsize=8)
        paths.append(save(fig, out, f"steering_{instrument}_{len(paths)}.png", f"steering at step {step}"))
    return paths


def _cka_runs(tables, out, step, instrument):
    paths = []
    for name, matrix in sorted(tables.items()):
        m = re.match(r"^cka/(.+)/runs$", name)
        if not m:
            continue
        fig, ax = plt.subplots(figsize=(3.8, 3.2))
        image = ax.imshow(matrix, cmap="viridis", vmin=0, vmax=1)
        ticks = range(len(matrix))
        ax.set_xticks(ticks)
        ax.set_yticks(ticks)
        ax.set_xlabel("run (reference_runs order)")
        ax.set_ylabel("run")
        ax.set_title(f"CKA of {m.group(1)}", fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.046, label="CKA")
        paths.append(save(fig, out, f"cka_runs_{instrument}_{len(paths)}.png", f"between runs at step {step}"))
    return paths


def _cka_steps(rows, out):
    """Steps x steps: each analysed step (rows) against each reference step (columns) per hook."""
    grids = {}
    for row in rows:
        for key, value in row.items():
            m = re.match(r"^cka/(.+)/reference/(\d+)$", key)
            if m and isinstance(value, (int, float)):
                grids.setdefault((row.get("analysis", ""), m.group(1)), {})[(row["step"], int(m.group(2)))] = value
    paths = []
    for (instrument, hook), cells in sorted(grids.items()):
        here = sorted({s for s, _ in cells})
        there = sorted({r for _, r in cells})
        grid = np.full((len(here), len(there)), np.nan)
        for (s, r), value in cells.items():
            grid[here.index(s), there.index(r)] = value
        fig, ax = plt.subplots(figsize=(4.2, 3.6))
        image = ax.imshow(grid, cmap="viridis", vmin=0, vmax=1, origin="lower", aspect="auto")
        ax.set_xticks(range(len(there)), [str(r) for r in there], rotation=90, fontsize=7)
        ax.set_yticks(range(len(here)), [str(s) for s in here], fontsize=7)
        ax.set_xlabel("reference step")
        ax.set_ylabel("analysed step")
        ax.set_title(f"CKA of {hook} across checkpoints", fontsize=9)
        fig.colorbar(image, ax=ax, fraction=0.046, label="CKA")
        paths.append(save(fig, out, f"cka_steps_{instrument}_{len(paths)}.png", "steps x steps"))
    return paths


def _views(tables, out, step, instrument):
    paths = []
    for name, coords in tables.items():
        m = re.match(r"^pca/(.+)/coordinates$", name)
        if not m or coords.shape[1] < 2:
            continue
        hook = m.group(1)
        colours = {k.rsplit("/", 1)[1]: v for k, v in tables.items() if k.startswith(f"pca/{hook}/attribute/")}
        key = "label" if "label" in colours else next(iter(sorted(colours)), None)
        c = colours.get(key)
        views = [("PCA", coords[:, :2], c, "PC 1", "PC 2")]
        # t-SNE of the kept principal coordinates (the usual PCA-first preprocessing), on at most
        # TSNE_POINTS rows (the first ones) to keep a figure under a minute.
        few = coords[:TSNE_POINTS]
        try:
            from sklearn.manifold import TSNE
            perplexity = min(30.0, max(2.0, (len(few) - 1) / 3))
            embedded = TSNE(n_components=2, perplexity=perplexity, init="pca", random_state=0).fit_transform(few)
            views.append(("t-SNE", embedded, None if c is None else c[:TSNE_POINTS], "t-SNE 1", "t-SNE 2"))
        except ImportError:
            print("t-SNE skipped: apt-get install python3-sklearn")
        fig, axes = plt.subplots(1, len(views), figsize=(4.2 * len(views), 3.8), squeeze=False)
        for ax, (title, xy, colour, xl, yl) in zip(axes[0], views):
            points = ax.scatter(xy[:, 0], xy[:, 1], c=colour, s=6, cmap="viridis")
            ax.set_xlabel(xl)
            ax.set_ylabel(yl)
            ax.set_title(f"{title} of {hook}", fontsize=9)
        if c is not None:
            fig.colorbar(points, ax=axes[0][-1], fraction=0.046, label=key)
        paths.append(save(fig, out, f"views_{instrument}_{hook}.png", f"step {step}; coloured by {key}"))
    return paths


def plot_analysis(path):
    analysis = Analysis(path)
    steps = sorted({r["step"] for r in analysis.rows()})
    if not steps:
        sys.exit(f"error: {path}/results.jsonl has no rows to plot")
    step = steps[-1]
    out = os.path.join(path, "plots")
    os.makedirs(out, exist_ok=True)
    paths = []
    for instrument, tables in sorted(_instruments(analysis.tensors(step)).items()):
        for draw in (_patching, _steering, _cka_runs, _views):
            paths += draw(tables, out, step, instrument)
    return paths + _cka_steps(analysis.rows(), out)
