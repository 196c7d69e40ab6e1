#!/usr/bin/env bash
# The benchmark suite still works: bench/suite.py --quick on all five model systems (a few steps,
# one pair each), the Hessian measurement and the patching sweep must write a results table with a finite ratio for each. Timings are not
# checked. Installs Debian's python3-torch (the PyTorch side) if missing and says so, or why it
# cannot. Needs nothing else outside the setup's packages (peak memory is read with os.wait4).
# Usage: bench_quick.sh PHENOM_BINARY SOURCE_DIR
set -euo pipefail
phenom=$1
source_dir=$2
if ! /usr/bin/python3 -c "import torch" 2>/dev/null; then
  echo "installing Debian's python3-torch (the PyTorch side of the benchmark)"
  if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-torch >/dev/null; }; then
    echo "FAIL: cannot install python3-torch (needs root and a Debian mirror); install it and re-run"
    exit 1
  fi
fi
out=$(mktemp -d /tmp/phenom-bench-XXXXXX)
trap 'rm -rf "$out"' EXIT
/usr/bin/python3 "$source_dir/bench/suite.py" --quick --phenom "$phenom" --out "$out/RESULTS.md"
rows=$(grep '^| .* | \*\*[0-9.]*x\*\* |' "$out/RESULTS.md" | grep -vcE '^\| (seconds per measurement|seconds per sweep|SAE steps per second) \|' || true)
if [ "$rows" -ne 5 ]; then
  echo "FAIL: expected 5 systems with a ratio in RESULTS.md, found $rows"
  cat "$out/RESULTS.md"
  exit 1
fi
if ! grep -q '^| seconds per measurement | [0-9.]* | [0-9.]* | \*\*[0-9.]*x\*\* |' "$out/RESULTS.md"; then
  echo "FAIL: no Hessian measurement ratio in RESULTS.md"
  cat "$out/RESULTS.md"
  exit 1
fi
if ! grep -q '^| seconds per sweep | [0-9.]* | [0-9.]* | \*\*[0-9.]*x\*\* |' "$out/RESULTS.md"; then
  echo "FAIL: no activation-patching ratio in RESULTS.md"
  cat "$out/RESULTS.md"
  exit 1
fi
if ! grep -q '^| SAE steps per second | [0-9.]* | [0-9.]* | \*\*[0-9.]*x\*\* |' "$out/RESULTS.md"; then
  echo "FAIL: no SAE training ratio in RESULTS.md"
  cat "$out/RESULTS.md"
  exit 1
fi
echo "ok: 5 systems, the Hessian, activation patching and SAE training benchmarked"
