#!/usr/bin/python3
"""phenom vs PyTorch, side by side, on four model systems (issue: performance).

For each system the suite writes a phenom spec and runs it against the idiomatic PyTorch peer in
bench/peers.py (same LibTorch 1.13 build through Debian's python3-torch, same shapes, optimizer,
full batch and evaluation cadence), alternating A B A B ... and reporting the median of the
per-pair ratios (single timings on these machines wobble by +-15%). It also reports the achieved
GFLOP/s from an analytic count of the matmul FLOPs, the machine's sgemm GFLOP/s (torch.mm at 2048,
same threads, measured in the same invocation), the peak resident memory of each process, and
which BLAS LibTorch is using; it refuses to report on reference BLAS.

Usage: bench/suite.py [--threads T] [--pairs N] [--out bench/RESULTS.md] [--quick] [--systems a,b] [--phenom BIN]
--quick: a few steps, one pair, results to a temporary file: checks that the suite works (a test
runs it), not how fast anything is.
"""
import argparse
import datetime
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PHENOM = os.path.join(ROOT, "build", "phenom")
PY = "/usr/bin/python3"


def token_mlp(p, width, activation, title, steps, quick):
    """(a+b) mod p, 50% train, MLP on the operand tokens, AdamW, MSE: the Gromov grokking setup."""
    n = round(0.5 * p * p)
    return dict(title=title, spec=f"""task: {{type: modular_arithmetic, modulus: {p}, operation: add, train_fraction: 0.5}}
model: {{type: mlp, width: {width}, activation: {activation}, bias: false, init_std: 0.05}}
optimizer: {{type: adamw, lr: 1.0e-2, betas: [0.9, 0.98], weight_decay: 5.0}}
train: {{batch_size: full, loss: mse, eval_every: 10}}
probes: [{{type: loss_accuracy, every: 10}}]
""", steps=steps, quick=quick, n=n, n_test=p * p - n, fwd=lambda B: 2 * B * width * p)


# name -> (phenom spec, steps, quick steps, forward matmul FLOPs of a batch of B, train size, test size)
SYSTEMS = {
    "tiny_mlp": token_mlp(23, 64, "relu", "tiny MLP, (a+b) mod 23, width 64 (overhead-bound)", 2000, 20),
    "grokking_mlp": token_mlp(97, 500, "quadratic", "grokking MLP, (a+b) mod 97, width 500 (configs/grokking/mlp.yaml)",
                              150, 10),
    "transformer_small": dict(
        title="grokking transformer, p 59, d_model 64 (configs/grokking/transformer_small.yaml)",
        spec="""task: {type: modular_arithmetic, modulus: 59, operation: add, train_fraction: 0.4}
model: {type: transformer, n_layers: 1, d_model: 64, n_heads: 4, d_head: 16, d_mlp: 256, activation: relu, layer_norm: false}
optimizer: {type: adamw, lr: 3.0e-3, betas: [0.9, 0.98], weight_decay: 1.0}
train: {batch_size: full, loss: cross_entropy, eval_every: 10}
probes: [{type: loss_accuracy, every: 10}]
""", steps=100, quick=10, n=round(0.4 * 59 * 59), n_test=59 * 59 - round(0.4 * 59 * 59),
        # per sequence of 3: QKV, O, attention (scores and values), MLP in and out, unembed at the last position
        fwd=lambda B: B * (2 * 3 * 64 * 3 * 64 + 2 * 3 * 64 * 64 + 2 * 2 * 4 * 9 * 16 + 2 * 2 * 3 * 64 * 256 + 2 * 64 * 59)),
    "wide_mlp": dict(
        title="wide MLP 784-2048-10, batch 4,096 (compute-bound)",
        spec="""task: {type: fashion_mnist, n_train: 4096, n_test: 1024}
model: {type: mlp, depth: 1, width: 2048, activation: relu}
optimizer: {type: sgd, lr: 0.01}
train: {batch_size: full, loss: cross_entropy, eval_every: 10}
probes: [{type: loss_accuracy, every: 10}]
""", steps=10, quick=1, n=4096, n_test=1024,
        fwd=lambda B: 2 * B * (784 * 2048 + 2048 * 10)),
    "icl_transformer": dict(
        title="in-context regression GPT-2, d 5, 11 points, 3 layers x 64, batch 64 (configs/icl/linear_regression.yaml)",
        spec="""task: {type: icl_regression, dim: 5, n_points: 11, eval_prompts: 256}
model: {type: transformer, n_layers: 3, d_model: 64, n_heads: 2, d_head: 32, mlp_ratio: 4, activation: gelu, layer_norm: true}
optimizer: {type: adam, lr: 1.0e-3}
train: {batch_size: 64, loss: mse, eval_every: 10}
probes: [{type: loss_accuracy, every: 10}]
""", steps=300, quick=10, n=64, n_test=256,
        # per sequence of 22: read-in, per layer QKV, O, attention, MLP in and out; read-out
        fwd=lambda B: B * 22 * (2 * 6 * 64 + 3 * (2 * 64 * 192 + 2 * 64 * 64 + 2 * 2 * 22 * 64 + 2 * 2 * 64 * 256) + 2 * 64)),
}

PROBE_BLAS = r"""
import ctypes, json, os, sys, time
import torch
threads = int(sys.argv[1])
torch.set_num_threads(threads)
libs = sorted({l.split()[-1] for l in open('/proc/self/maps') if 'blas' in l and '/' in l})
real = [os.path.realpath(p) for p in libs]
core = None
for p in real:
    try:
        f = ctypes.CDLL(p).openblas_get_corename
        f.restype = ctypes.c_char_p
        core = f().decode()
    except (OSError, AttributeError):
        pass
a, b = torch.randn(2048, 2048), torch.randn(2048, 2048)
c = torch.empty(2048, 2048)


def rate(multiply):
    # best of 5 timings, each averaging enough multiplies to last >= 0.3 s
    for _ in range(2): multiply()
    best = 0.0
    for _ in range(5):
        t, n = time.perf_counter(), 0
        while True:
            multiply(); n += 1
            elapsed = time.perf_counter() - t
            if elapsed >= 0.3: break
        best = max(best, n * 2 * 2048 ** 3 / elapsed / 1e9)
    return best


best = rate(lambda: torch.mm(a, b, out=c))
# oneDNN's sgemm (the kernel phenom's dense layers use when LibTorch ships it): same threads.
onednn = None
try:
    dnnl = ctypes.CDLL("libdnnl.so.2")
    sgemm = dnnl.dnnl_sgemm
    i64, f32, ptr = ctypes.c_int64, ctypes.c_float, ctypes.c_void_p
    sgemm.argtypes = [ctypes.c_char, ctypes.c_char, i64, i64, i64, f32, ptr, i64, ptr, i64, f32, ptr, i64]
    n = 2048
    onednn = rate(lambda: sgemm(b"N", b"N", n, n, n, 1.0, a.data_ptr(), n, b.data_ptr(), n, 0.0, c.data_ptr(), n))
except (OSError, AttributeError):
    pass
print(json.dumps({"libraries": real, "openblas_core": core, "sgemm_gflops": best, "onednn_gflops": onednn,
                  "torch": torch.__version__}))
"""


def timed(cmd, env):
    """Runs cmd; returns (stdout, its peak RSS in MiB) from the kernel's rusage of that child
    (os.wait4), so no external program such as /usr/bin/time is needed."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        child = subprocess.Popen(cmd, env=env, stdout=out, stderr=err, text=True)
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        if child.returncode != 0:
            raise subprocess.CalledProcessError(child.returncode, cmd, out.read(), err.read())
        return out.read(), usage.ru_maxrss / 1024  # ru_maxrss is in KiB on Linux


def env_with(blas_threads):
    env = dict(os.environ)
    env["OPENBLAS_NUM_THREADS"] = str(blas_threads)
    return env


def run_phenom(spec_path, steps, threads, out_dir):
    _, rss = timed([PHENOM, "run", spec_path, f"train.steps={steps}", "--out", out_dir, "--fresh", "--quiet",
                    "--no-plot", "--threads", str(threads)], dict(os.environ))
    summary = json.load(open(os.path.join(out_dir, "summary.json")))
    meta = json.load(open(os.path.join(out_dir, "meta.json")))
    return summary["steps_per_second"], rss, dict(meta["threads"], gemm=meta.get("gemm", "?"))


def run_peer(name, steps, torch_threads, blas_threads):
    out, rss = timed([PY, os.path.join(ROOT, "bench", "peers.py"), name, "--steps", str(steps), "--threads",
                      str(torch_threads)], env_with(blas_threads))
    return json.loads(out)["steps_per_second"], rss


# Shipped configs at their own probe cadence: (config, steps to run; None = the config's own).
EVAL_CONFIGS = [("configs/grokking/mlp.yaml", None), ("configs/grokking/mlp_low_fraction.yaml", None),
                ("configs/grokking/mlp_cross_entropy.yaml", None), ("configs/grokking/transformer_small.yaml", None),
                ("configs/grokking/transformer.yaml", 500)]


def eval_cost(quick):
    """Share of the training loop's wall time spent in probes and metric rows (summary.json
    measure_seconds / wall_seconds) for shipped configs at their default cadence."""
    lines = ["## Evaluation cost at the shipped configs' cadence", "",
             "| config | steps run | probes: cadence (share of wall time) | steps/s | evaluation + probes share of wall time |",
             "|---|---|---|---|---|"]
    work = tempfile.mkdtemp(prefix="phenom-evalcost-")
    for config, steps in EVAL_CONFIGS:
        path = os.path.join(ROOT, config)
        if quick:
            steps = 4
        args = [PHENOM, "run", path, "--out", os.path.join(work, "run"), "--fresh", "--quiet", "--no-plot"]
        if steps:
            args.append(f"train.steps={steps}")
        subprocess.run(args, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        summary = json.load(open(os.path.join(work, "run", "summary.json")))
        # Each probe's resolved cadence (an integer or {per_decade: K}) from the run's spec.yaml, and
        # its share of the wall time from summary.json's probe_seconds.
        resolved = open(os.path.join(work, "run", "spec.yaml")).read()
        cadences = re.findall(r"- type: (\w+)\n\s+every: (.+)", resolved.split("\nprobes:", 1)[1])
        seconds = summary.get("probe_seconds", {})
        cadence = ", ".join(
            f"{t} {e}" + (f" ({100 * seconds[f'{i}.{t}'] / summary['wall_seconds']:.1f}%)" if f"{i}.{t}" in seconds else "")
            for i, (t, e) in enumerate(cadences))
        share = summary["measure_seconds"] / summary["wall_seconds"]
        lines.append(f"| {config} | {summary['steps']} | {cadence} | {summary['steps_per_second']:.1f} | "
                     f"**{100 * share:.1f}%** |")
        print(f"{config}: evaluation + probes {100 * share:.1f}% of wall time", flush=True)
    return lines + [""]


def probe_against_peer(name, spec, steps, probe, peer, pairs, threads, work):
    """phenom's probe `probe` in a run of `spec` with train.steps = steps (it measures at steps
    0..steps; seconds per measurement from summary.json's probe_seconds) against the peer script
    and arguments `peer` (its printed seconds_per_measurement), alternating: returns the medians
    of both and of the per-pair ratios (peer / phenom)."""
    spec_path, out_dir = os.path.join(work, f"{name}.yaml"), os.path.join(work, name)
    with open(spec_path, "w") as f:
        f.write(spec)
    ours, theirs, ratios = [], [], []
    for _ in range(pairs):
        timed([PHENOM, "run", spec_path, f"train.steps={steps}", "--out", out_dir, "--fresh", "--quiet",
               "--no-plot", "--threads", str(threads)], dict(os.environ))
        summary = json.load(open(os.path.join(out_dir, "summary.json")))
        a = summary["probe_seconds"][probe] / (steps + 1)
        out, _ = timed([PY, os.path.join(ROOT, "bench", peer[0]), *peer[1:], "--threads", str(threads)],
                       env_with(threads))
        b = json.loads(out)["seconds_per_measurement"]
        ours.append(a), theirs.append(b), ratios.append(b / a)
    a, b, ratio = statistics.median(ours), statistics.median(theirs), statistics.median(ratios)
    print(f"{name:18s} phenom {a:.3f} s | PyTorch {b:.3f} s per measurement | ratio {ratio:.2f}x "
          f"(pairs: {', '.join(f'{r:.2f}' for r in ratios)})", flush=True)
    return a, b, ratio


HESSIAN_SPEC = """name: bench-hessian
device: cpu
task: {type: fashion_mnist, n_train: 1000, n_test: 100, downsample: true, normalize: standardize}
model: {type: mlp, widths: [200, 200], activation: tanh}
optimizer: {type: sgd, lr: 0.01}
train: {batch_size: full, loss: half_sse, eval_every: 1000}
probes:
  - {type: loss_accuracy, every: 1000}
  - {type: hessian, every: 1, top_k: 5, iterations: ITERATIONS, tolerance: 1.0e-12}
"""


def hessian_benchmark(threads, pairs, quick, work):
    """One top-5 Lanczos measurement (a fixed number of Hessian-vector products) of the edge-of-
    stability system: phenom's hessian probe against bench/hessian_peer.py, alternating."""
    iterations, measurements = (5, 1) if quick else (20, 3)
    a, b, ratio = probe_against_peer("hessian", HESSIAN_SPEC.replace("ITERATIONS", str(iterations)), measurements,
                                     "1.hessian", ["hessian_peer.py", "--measurements", str(measurements),
                                                   "--iterations", str(iterations)], pairs, threads, work)
    return ["## Hessian: one top-5 Lanczos measurement", "",
            "configs/sharpness/edge_of_stability.yaml's system (tanh MLP 196-200-200-10, 1,000 examples, half_sse), "
            f"{iterations} Hessian-vector products by double backward with full re-orthogonalisation, torch and "
            f"OpenBLAS at {threads} thread(s). The peer (bench/hessian_peer.py) is PyHessian's recipe: "
            "torch.autograd.grad with create_graph=True, one grad of g.v per product.", "",
            "| | phenom | PyTorch | phenom speed-up |", "|---|---|---|---|",
            f"| seconds per measurement | {a:.3f} | {b:.3f} | **{ratio:.2f}x** |",
            f"| Hessian-vector products per second | {iterations / a:.1f} | {iterations / b:.1f} | |", ""]


PATCHING_SPEC = """name: bench-patching
device: cpu
task: {type: modular_arithmetic, modulus: 113, operation: add, train_fraction: 0.3}
model: {type: transformer, n_layers: 1, d_model: 128, n_heads: 4, d_head: 32, d_mlp: 512, activation: relu, layer_norm: false}
optimizer: {type: adamw, lr: 1.0e-3}
train: {batch_size: full, loss: cross_entropy, eval_every: 1000}
probes:
  - {type: loss_accuracy, every: 1000}
  - {type: patching, every: 1, contrast: a, max_examples: EXAMPLES, hooks: [hook_embed, blocks.0.hook_resid_pre,
     blocks.0.attn.hook_z, blocks.0.hook_resid_mid, blocks.0.mlp.hook_post, blocks.0.hook_resid_post]}
"""


def patching_benchmark(threads, pairs, quick, work):
    """Activation patching of the grokking transformer (configs/grokking/transformer.yaml's model):
    six hooks whole and per position, hook_z also per head and per (position, head), 2 + 40 forward
    passes over the same corrupted examples per measurement: phenom's patching probe against
    bench/patching_peer.py (forward hooks, as TransformerLens does it), alternating."""
    examples, measurements = (256, 1) if quick else (2048, 3)
    a, b, ratio = probe_against_peer("patching", PATCHING_SPEC.replace("EXAMPLES", str(examples)), measurements,
                                     "1.patching", ["patching_peer.py", "--measurements", str(measurements),
                                                    "--examples", str(examples)], pairs, threads, work)
    return ["## Activation patching: one sweep over hooks, positions and heads", "",
            f"The grokking transformer's shapes ((a+b) mod 113, 1 layer, d_model 128, 4 heads, ReLU MLP 512), {examples} "
            "clean/corrupted pairs (a changed, b kept): six hooks patched whole and at each of 3 positions, hook_z "
            f"also per head and per (position, head); 42 forward passes, torch and OpenBLAS at {threads} thread(s). "
            "The peer (bench/patching_peer.py) is the TransformerLens recipe in plain PyTorch: identity hook "
            "modules, a forward hook caching the clean run, a forward hook overwriting one slice.", "",
            "| | phenom | PyTorch | phenom speed-up |", "|---|---|---|---|",
            f"| seconds per sweep | {a:.3f} | {b:.3f} | **{ratio:.2f}x** |", ""]


SAE_SPEC = """name: bench-sae
device: cpu
task: {type: modular_arithmetic, modulus: 97, operation: add, train_fraction: 0.5}
model: {type: mlp, depth: 1, width: 500, activation: quadratic, bias: false, init_std: 0.05}
optimizer: {type: adamw, lr: 1.0e-2}
train: {batch_size: full, loss: mse, eval_every: 1000}
probes:
  - {type: loss_accuracy, every: 1000}
  - {type: sae, every: 1, hook: layers.0.hook_post, expansion: 4, batch: 512, steps: SAE_STEPS}
"""


def sae_benchmark(threads, pairs, quick, work):
    """SAE training on the grokking MLP's hidden layer (4,704 rows of width 500, 2,000 features,
    batch 512): phenom's sae probe (activations, Adam steps, the spliced evaluations) against
    bench/sae_peer.py (the same SAE as an nn.Module, Adam, timing the steps alone), alternating."""
    steps, fits = (20, 1) if quick else (200, 2)
    seconds, peer_seconds, ratio = probe_against_peer("sae", SAE_SPEC.replace("SAE_STEPS", str(steps)), fits, "1.sae",
                                                      ["sae_peer.py", "--steps", str(steps)], pairs, threads, work)
    a, b = steps / seconds, steps / peer_seconds
    return ["## Sparse autoencoder training", "",
            "A standard SAE (ReLU, decoder-norm weighted L1) on the grokking MLP's hidden layer (mod 97, width 500): "
            f"4,704 rows, 2,000 features, batch 512, Adam, {steps} steps per fit; torch and OpenBLAS at {threads} "
            "thread(s). phenom's figure is the whole sae probe (the activations, the fit and the spliced and "
            "zero-ablated evaluations); the peer's (bench/sae_peer.py, an nn.Module as SAELens trains one) "
            "times the steps alone.", "",
            "| | phenom | PyTorch | phenom speed-up |", "|---|---|---|---|",
            f"| SAE steps per second | {a:.1f} | {b:.1f} | **{ratio:.2f}x** |", ""]


def main():
    global PHENOM
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=os.cpu_count())
    parser.add_argument("--pairs", type=int, default=5)
    parser.add_argument("--out", default=os.path.join(ROOT, "bench", "RESULTS.md"))
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--systems", default=",".join(SYSTEMS))
    parser.add_argument("--phenom", default=PHENOM, help="the phenom binary (default build/phenom)")
    args = parser.parse_args()
    if args.quick:
        args.pairs = 1
        if args.out == os.path.join(ROOT, "bench", "RESULTS.md"):
            args.out = os.path.join(tempfile.mkdtemp(), "RESULTS.md")
    PHENOM = args.phenom
    if not os.access(PHENOM, os.X_OK):
        sys.exit(f"error: {PHENOM} is missing; build it first (scripts/setup.sh)")
    T = args.threads

    blas = json.loads(subprocess.run([PY, "-c", PROBE_BLAS, str(T)], env=env_with(T), check=True,
                                     stdout=subprocess.PIPE, text=True).stdout)
    if not any("openblas" in p for p in blas["libraries"]):
        sys.exit("error: LibTorch is using " + ", ".join(blas["libraries"]) + ", not OpenBLAS: fp32 matmuls run "
                 "~30x slower and the numbers would mean nothing. Fix: apt-get install libopenblas0-pthread "
                 "(and update-alternatives --config libblas.so.3-x86_64-linux-gnu to pick it).")
    onednn = blas["onednn_gflops"]
    print(f"BLAS: {', '.join(blas['libraries'])} (OpenBLAS core {blas['openblas_core']}); "
          f"sgemm 2048: torch.mm {blas['sgemm_gflops']:.1f} GFLOP/s, oneDNN "
          f"{'%.1f' % onednn if onednn else 'absent'} GFLOP/s, {T} thread(s)", flush=True)

    rows = []
    work = tempfile.mkdtemp(prefix="phenom-bench-")
    for name in args.systems.split(","):
        s = SYSTEMS[name]
        steps = s["quick"] if args.quick else s["steps"]
        spec_path = os.path.join(work, f"{name}.yaml")
        with open(spec_path, "w") as f:
            f.write(f"name: bench-{name}\ndevice: cpu\n" + s["spec"])
        # The peer gets its best thread split: torch 1 or T intra-op threads, OpenBLAS T.
        splits = [1] if T == 1 or args.quick else [1, T]
        peer_threads = splits[0] if len(splits) == 1 else max(splits, key=lambda t: run_peer(name, steps, t, T)[0])
        ratios, ph, pt, ph_rss, pt_rss = [], [], [], 0.0, 0.0
        for _ in range(args.pairs):
            a, rss_a, plan = run_phenom(spec_path, steps, T, os.path.join(work, name))
            b, rss_b = run_peer(name, steps, peer_threads, T)
            ph.append(a), pt.append(b), ratios.append(a / b)
            ph_rss, pt_rss = max(ph_rss, rss_a), max(pt_rss, rss_b)
        flops = 3 * s["fwd"](s["n"]) + (s["fwd"](s["n"]) + s["fwd"](s["n_test"])) / 10  # train step + amortised eval
        sps = statistics.median(ph)
        row = dict(system=name, title=s["title"], steps=steps, phenom_sps=sps, pytorch_sps=statistics.median(pt),
                   ratio=statistics.median(ratios), ratios=ratios, gflops=sps * flops / 1e9,
                   sgemm_fraction=sps * flops / 1e9 / blas["sgemm_gflops"],
                   onednn_fraction=sps * flops / 1e9 / onednn if onednn else None, phenom_rss=ph_rss, pytorch_rss=pt_rss,
                   phenom_threads=f"torch {plan['torch']}, openblas {plan['openblas']}, gemm {plan['gemm']}",
                   pytorch_threads=f"torch {peer_threads}, openblas {T}")
        rows.append(row)
        print(f"{name:18s} phenom {sps:9.1f} steps/s | PyTorch {row['pytorch_sps']:9.1f} | ratio {row['ratio']:.2f}x "
              f"(pairs: {', '.join(f'{r:.2f}' for r in ratios)}) | {row['gflops']:.1f} GFLOP/s = "
              f"{100 * row['sgemm_fraction']:.0f}% of torch.mm sgemm"
              + (f", {100 * row['onednn_fraction']:.0f}% of oneDNN sgemm" if onednn else "") + f" | RSS {ph_rss:.0f} / {pt_rss:.0f} MiB", flush=True)

    cpu = next((l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo") if l.startswith("model name")), "?")
    lines = [
        "# Benchmark results",
        "",
        f"Generated by `bench/suite.py{' --quick' if args.quick else ''}` on {datetime.date.today()} "
        "(regenerate, do not edit).",
        "",
        f"- machine: {cpu}, {os.cpu_count()} cores, {platform.system()} {platform.release()}",
        f"- LibTorch {blas['torch']} (Debian); BLAS {', '.join(blas['libraries'])}, OpenBLAS core "
        f"{blas['openblas_core']}",
        f"- thread budget {T}; sgemm 2048x2048 float32 measured in this run: torch.mm (OpenBLAS) "
        f"{blas['sgemm_gflops']:.1f} GFLOP/s, oneDNN `dnnl_sgemm` {'%.1f' % onednn if onednn else 'absent'} GFLOP/s",
        f"- {args.pairs} alternating pair(s) per system (phenom, PyTorch, phenom, ...); steps/s and ratio are medians",
        "",
        "| system | steps | phenom steps/s | PyTorch steps/s | phenom / PyTorch | phenom GFLOP/s | % of torch.mm sgemm | "
        "% of oneDNN sgemm | peak RSS phenom / PyTorch (MiB) | threads phenom; PyTorch |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(f"| {r['title']} | {r['steps']} | {r['phenom_sps']:.1f} | {r['pytorch_sps']:.1f} | "
                     f"**{r['ratio']:.2f}x** | {r['gflops']:.1f} | {100 * r['sgemm_fraction']:.0f}% | "
                     f"{'%.0f%%' % (100 * r['onednn_fraction']) if r['onednn_fraction'] else '-'} | "
                     f"{r['phenom_rss']:.0f} / {r['pytorch_rss']:.0f} | {r['phenom_threads']}; {r['pytorch_threads']} |")
    lines += ["", "GFLOP/s counts the matmul FLOPs of a training step (forward + backward = 3x forward) plus the "
              "evaluation of both splits every 10 steps; embedding gathers count zero. The PyTorch peer's matmuls "
              "run on OpenBLAS (torch.mm); phenom's float32 dense layers run on oneDNN's sgemm when LibTorch ships "
              "it (meta.json `gemm`), so both sgemm rates are the machine's, measured here. phenom's train-split "
              "evaluation reuses the next step's forward pass, so its figure is an effective rate for the same "
              "workload.", ""]
    lines += hessian_benchmark(T, args.pairs, args.quick, work)
    lines += patching_benchmark(T, args.pairs, args.quick, work)
    lines += sae_benchmark(T, args.pairs, args.quick, work)
    lines += eval_cost(args.quick)
    with open(args.out, "w") as f:
        f.write("\n".join(lines))
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
