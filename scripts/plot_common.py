"""What the figure scripts share."""
import json
import os

import matplotlib.pyplot as plt
from matplotlib import ticker


def save(fig, out, filename, caption=""):
    """Lays out and writes `fig` to OUT/FILENAME (with a caption line at the bottom), closes it and
    returns the path."""
    if caption:
        fig.text(0.5, 0.008, caption, ha="center", va="bottom", fontsize=7, color="dimgrey", wrap=True)
        fig.tight_layout(rect=(0, 0.045, 1, 1))
    else:
        fig.tight_layout()
    path = os.path.join(out, filename)
    fig.savefig(path)
    plt.close(fig)
    _list_as_written(out, filename)
    return path


def _list_as_written(out, filename):
    """Adds FILENAME to OUT/.phenom-files, the figures phenom wrote there: `phenom run --fresh`
    removes those and leaves any other file in the folder."""
    listing = os.path.join(out, ".phenom-files")
    names = set()
    if os.path.exists(listing):
        with open(listing) as f:
            names = {line.strip() for line in f}
    if filename not in names:
        with open(listing, "a") as f:
            f.write(filename + "\n")


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


def as_number(text):
    try:
        return float(text)
    except ValueError:
        return None


def finish(ax, title, ylabel, logx=True, logy=False):
    ax.set_title(title)
    ax.set_xlabel("step")
    ax.set_ylabel(ylabel)
    if logx:
        ax.set_xscale("log")
        ax.xaxis.set_major_formatter(ticker.FuncFormatter(step_label))
    if logy:
        ax.set_yscale("log")
    ax.grid(True, which="major", alpha=0.3)
    if ax.get_legend_handles_labels()[0]:
        ax.legend(loc="best", fontsize=8)


def step_label(x, _pos=None):
    """A step tick as people write it: 100, 3k, 1M."""
    for size, suffix in ((1e6, "M"), (1e3, "k")):
        if x >= size:
            return f"{x / size:g}{suffix}"
    return f"{x:g}"
