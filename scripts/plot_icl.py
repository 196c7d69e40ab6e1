"""In-context regression figures, used by plot.py: a run's error at each context length k (Garg et
al. 2022, Fig. 2) with a band of two standard errors over the evaluation prompts and every
closed-form baseline's error on the same prompts; a task-diversity sweep's distances to dMMSE and
ridge against the pool size M (Raventós et al. 2023) with the crossing marked, and the error."""

import matplotlib.pyplot as plt

from plot_common import save

STYLES = {"ols": ("least squares", "tab:green", "--"), "ridge": ("ridge", "tab:olive", "--"),
          "averaging": ("averaging", "tab:purple", ":"), "knn": ("3-NN", "tab:brown", ":"),
          "zero": ("zero", "tab:gray", "-."), "dmmse": ("pool Bayes (dMMSE)", "tab:red", "--")}


def icl_sets(summary):
    """(label, key prefix) of each evaluation set in the icl_regression summary."""
    icl = summary.get("icl_regression") or {}
    if "error" in icl:
        return [("test", "")]
    return [(key.split("/")[0], key.split("/")[0] + "/") for key in icl if key.endswith("/error")]


def plot_icl(ax, rows, summary, prefix=""):
    icl = summary["icl_regression"]
    error = icl[prefix + "error"]
    sem = icl.get(prefix + "error_sem", [0] * len(error))
    k = list(range(len(error)))
    ax.plot(k, error, color="tab:blue", linewidth=2, label="model")
    ax.fill_between(k, [e - 2 * s for e, s in zip(error, sem)], [e + 2 * s for e, s in zip(error, sem)],
                    color="tab:blue", alpha=0.2)
    for name, curve in (icl.get(prefix + "baseline_error") or {}).items():
        label, colour, style = STYLES.get(name, (name, None, "--"))
        ax.plot(k, curve, color=colour, linestyle=style, linewidth=1.2, label=label)
    ax.set_ylim(0, 1.6)
    ax.set_xlabel("in-context examples k")
    ax.set_ylabel("squared error / d")
    ax.set_title("in-context regression" + (f" ({prefix[:-1]} tasks)" if prefix else ""))
    ax.grid(True, alpha=0.3)
    ax.legend(loc="best", fontsize=8)


def plot_task_diversity(summary, out):
    result = summary.get("task_diversity")
    if not isinstance(result, dict) or not result.get("points"):
        return []
    points = result["points"]
    ms = [p["M"] for p in points]
    inf = result.get("inf")
    right = max(ms) * 4  # where M = inf is drawn
    fig, (left, errs) = plt.subplots(1, 2, figsize=(11, 4), dpi=120)
    left.plot(ms, [p["dist_dmmse"] for p in points], marker="o", color="tab:red", label="to dMMSE")
    left.plot(ms, [p["dist_ridge"] for p in points], marker="o", color="tab:olive", label="to ridge")
    if inf:
        left.plot([right], [inf["dist_ridge"]], marker="s", color="tab:olive", linestyle="none", label="to ridge, M = inf")
    if result.get("transition_M"):
        left.axvline(result["transition_M"], color="k", linestyle="--", linewidth=1,
                     label=f"ridge nearer from M = {result['transition_M']:g}")
    left.set_ylabel(f"model's distance at the last position / d ({result.get('set', 'fresh')} tasks)")
    errs.plot(ms, [p["error"] for p in points], marker="o", color="tab:blue", label="model error vs truth")
    if inf and inf.get("error") is not None:
        errs.plot([right], [inf["error"]], marker="s", color="tab:blue", linestyle="none", label="M = inf")
    errs.set_ylabel("squared error / d at the last position")
    for ax in (left, errs):
        ax.set_xscale("log")
        ax.set_xlabel("task pool size M")
        ax.grid(True, alpha=0.3)
        ax.legend(fontsize=8)
    fig.suptitle("task diversity: " + ("detected" if result.get("detected") else "not detected"))
    path = save(fig, out, "task_diversity.png")
    return [path]
