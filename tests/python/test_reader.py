"""python/phenom_reader.py against real directories made by the binary, with Debian's python3
(numpy, yaml): usage: test_reader.py PHENOM_BINARY SOURCE_DIR."""
import json
import os
import subprocess
import sys
import tempfile

import numpy as np

phenom, source = sys.argv[1], sys.argv[2]
sys.path.insert(0, os.path.join(source, "python"))
import phenom_reader as pr  # noqa: E402

SPEC = """name: reader
seed: 0
device: cpu
task: {type: modular_arithmetic, modulus: 11}
model: {type: mlp, width: 16}
optimizer: {type: adamw, lr: 0.01, weight_decay: 0.1}
train: {steps: 30, eval_every: 10, checkpoint_every: 10}
probes:
  - {type: loss_accuracy}
  - {type: weight_norm}
sweep: {seed: [0, 1]}
"""
ANALYSIS = ("name: pca\nanalyses:\n  - {type: pca, hook: layers.0.hook_post}\n"
            "  - {type: sae, hook: layers.0.hook_post, expansion: 2, steps: 200}\n")


def run(*args, cwd):
    done = subprocess.run([phenom, *args], cwd=cwd, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def check(condition, message):
    if not condition:
        sys.exit("FAIL: " + message)


with tempfile.TemporaryDirectory() as tmp:
    with open(os.path.join(tmp, "spec.yaml"), "w") as f:
        f.write(SPEC)
    run("run", "spec.yaml", "--out", "run", "--quiet", "--no-plot", "--threads", "1", cwd=tmp)
    r = pr.open_dir(os.path.join(tmp, "run"))
    check(isinstance(r, pr.Run) and r.done, "a finished run opens as a Run")
    check(r.spec["model"]["width"] == 16 and r.spec["train"]["steps"] == 30, "the resolved spec")
    check(r.summary["status"] == "completed", "the summary")
    with open(os.path.join(tmp, "run", "metrics.jsonl")) as f:
        lines = [json.loads(line) for line in f if line.strip()]
    rows = r.metrics()
    check(len(rows) == len(lines), "every metrics row")
    times = [row["wall_time"] for row in (rows.to_dict("records") if hasattr(rows, "to_dict") else rows)]
    check(all(0 <= a <= b for a, b in zip(times, times[1:])), f"wall_time from 0, non-decreasing: {times[:5]}")
    steps, norms = r.series("weight_norm")
    check(list(steps) == [row["step"] for row in lines if "weight_norm" in row], "a series' steps")
    check(r.checkpoint_steps == [0, 10, 20, 30], f"checkpoint steps {r.checkpoint_steps}")
    # The weights are the model's: their total L2 norm is the logged weight_norm at each step.
    for step, logged in zip(steps, norms):
        w = r.weights(int(step))
        total = np.sqrt(sum(float((a.astype(np.float64) ** 2).sum()) for a in w.values()))
        check(abs(total - logged) <= 1e-5 * logged, f"weights at step {step}: norm {total} vs logged {logged}")
    check(all(a.flags["C_CONTIGUOUS"] and a.dtype == np.float32 for a in r.weights().values()), "contiguous float32")
    check(not np.array_equal(r.weights(0)["readout.weight"], r.weights()["readout.weight"]), "steps differ")
    try:
        r.weights(5)
        check(False, "a step without weights is an error")
    except KeyError as e:
        check("0, 10, 20, 30" in str(e), "the error lists the steps")

    # An analysis: its rows and the tensors it kept.
    with open(os.path.join(tmp, "pca.yaml"), "w") as f:
        f.write(ANALYSIS)
    run("analyze", "run", "pca.yaml", "--steps", "all", "--quiet", cwd=tmp)
    analyses = r.analyses()
    check(len(analyses) == 1, "one analysis directory")
    a = next(iter(analyses.values()))
    check(a.done and len(a.results()) == 8, "one row per checkpoint and instrument")
    kept = a.tensors(30)
    check(any(name.endswith("/components") for name in kept), f"the kept tensors: {sorted(kept)}")
    # The SAE in SAELens' layout: its config and weights, and its features' L0 as reported.
    sae = a.exports(30)["1.sae/layers.0.hook_post"]
    cfg, w = sae["cfg.json"], sae["sae_weights.safetensors"]
    check(cfg["d_in"] == 16 and cfg["d_sae"] == 32 and cfg["hook_name"] == "layers.0.hook_post", f"cfg.json: {cfg}")
    check(w["W_enc"].shape == (16, 32) and w["W_dec"].shape == (32, 16), "SAELens' weight shapes")
    row = [x for x in a.rows() if x["step"] == 30 and x["analysis"] == "1.sae"][0]
    check(0 <= row["sae/layers.0.hook_post/l0"] <= 32, f"the SAE row: {row}")

    # A sweep: its runs, table and summary.
    run("sweep", "spec.yaml", "--root", "sweeps", "--quiet", "--threads", "1", cwd=tmp)
    root = os.path.join(tmp, "sweeps", "reader")
    sweep_dir = [d for d in os.listdir(root) if d.startswith("sweep-")][0]
    s = pr.open_dir(os.path.join(root, sweep_dir))
    check(isinstance(s, pr.Sweep) and len(s.runs) == 2, "a sweep's runs")
    check(len(s.table()) == 2 and s.summary["done"] == 2, "the sweep table and summary")
    check(s.runs[0].weights()["readout.weight"].shape == r.weights()["readout.weight"].shape, "sweep runs' weights")
    try:
        pr.open_dir(os.path.join(tmp, "sweeps"))
        check(False, "a directory that is no run is an error")
    except FileNotFoundError:
        pass

    # Damaged files: each error is a FormatError that names the file.
    last = os.path.join(tmp, "run", "checkpoints", sorted(f for f in os.listdir(os.path.join(tmp, "run", "checkpoints"))
                                                          if f.endswith(".safetensors"))[-1])
    with open(last, "rb") as f:
        good = f.read()
    _, metadata = pr.read_safetensors(last)
    check(len(metadata.get("crc32", "")) == 8, f"phenom seals its weights: {metadata}")
    flipped = bytearray(good)
    flipped[-3] ^= 0x40
    hostile = {"a flipped data byte": bytes(flipped),
               "header length 2^64-1": b"\xff" * 8 + good[8:],
               "a header that is not JSON": good[:8] + b"[" + good[9:],
               "a header length past the end": (len(good)).to_bytes(8, "little") + good[8:],
               "trailing bytes": good + b"junk",
               "truncated data": good[:-4],
               "shorter than 8 bytes": good[:5]}
    for what, data in hostile.items():
        bad = os.path.join(tmp, "bad.safetensors")
        with open(bad, "wb") as f:
            f.write(data)
        try:
            pr.read_safetensors(bad)
            check(False, f"{what}: read as weights")
        except pr.FormatError as e:
            check(bad in str(e), f"{what}: the error names the file: {e}")
print("phenom_reader: ok")
