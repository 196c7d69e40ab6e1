#!/usr/bin/env bash
# Side-by-side benchmark: phenom vs the PyTorch script a researcher would write, on the same
# LibTorch 1.13 build (Debian's python3-torch), same thread count, same work per step
# (configs/grokking/mlp.yaml: full batch, eval of both splits + weight norm every 2 steps).
# Prints steps/s of each and the ratio. Usage: bench/run.sh [THREADS] [STEPS]
set -euo pipefail
cd "$(dirname "$0")/.."
threads=${1:-1}
steps=${2:-300}
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "[bench] installing python3-torch (Debian) for the PyTorch side"
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null
fi
[ -x build/phenom ] || scripts/setup.sh
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

# Each contender runs $reps times, interleaved, and keeps its best: this machine's neighbours make
# single timings wobble by +-15%.
reps=${BENCH_REPS:-3}
best() { /usr/bin/python3 -c "import json,sys;print(max(json.loads(l)['steps_per_second'] for l in sys.stdin if l.strip()))"; }
py() {  # $1: torch threads, $2: OpenBLAS threads, $3: first layer
  OPENBLAS_NUM_THREADS=$2 /usr/bin/python3 bench/grokking_mlp.py --steps "$steps" --threads "$1" --first-layer "$3"
}
: > "$out/phenom"; : > "$out/onehot"; : > "$out/embed"; : > "$out/split"
for _ in $(seq "$reps"); do
  # The fourier probe (probes.3) has no counterpart in the PyTorch script: only at the last step.
  build/phenom run configs/grokking/mlp.yaml train.steps="$steps" probes.3.every=1000000 --out "$out/run" --fresh \
    --threads "$threads" --quiet --no-plot || true
  /usr/bin/python3 -c "import json;print(json.dumps(json.load(open('$out/run/summary.json'))))" >> "$out/phenom"
  py "$threads" "$threads" onehot >> "$out/onehot"
  py "$threads" "$threads" embed >> "$out/embed"
  py 1 "$threads" embed >> "$out/split"
done
phenom_sps=$(best < "$out/phenom")
plan=$(/usr/bin/python3 -c "import json;t=json.load(open('$out/run/meta.json'))['threads'];print(f\"torch {t['torch']}, openblas {t['openblas']}\")")
same_onehot="{\"steps_per_second\": $(best < "$out/onehot")}"
same_embed="{\"steps_per_second\": $(best < "$out/embed")}"
split_embed="{\"steps_per_second\": $(best < "$out/split")}"
/usr/bin/python3 - "$phenom_sps" "$threads" "$steps" "$plan" "$same_onehot" "$same_embed" "$split_embed" <<'PY'
import json, sys
phenom, threads, steps, plan = float(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
rows = [("one-hot nn.Linear, torch=openblas=%s" % threads, sys.argv[5]),
        ("embedding sum,     torch=openblas=%s" % threads, sys.argv[6]),
        ("embedding sum,     torch 1, openblas %s (phenom's split)" % threads, sys.argv[7])]
print(f"configs/grokking/mlp.yaml: {steps} full-batch steps with eval every 2, budget {threads} thread(s), best of several runs")
print(f"  phenom ({plan}){'':8s} {phenom:8.1f} steps/s")
for name, result in rows:
    sps = json.loads(result)["steps_per_second"]
    print(f"  PyTorch {name:52s} {sps:8.1f} steps/s   phenom / PyTorch = {phenom / sps:.2f}x")
PY
