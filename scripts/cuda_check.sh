#!/usr/bin/env bash
# CUDA check on a machine with a GPU and an official (CUDA) LibTorch: configure against it, build
# phenom and the tests, run the test suite and a grokking run on device: cuda. Writes logs to $OUT
# (or ./cuda-check). Usage: scripts/cuda_check.sh [/path/to/libtorch-or-torch-cmake-prefix]
set -uo pipefail
cd "$(dirname "$0")/.."
out=${OUT:-cuda-check}
mkdir -p "$out"
{
  nvidia-smi -L
  prefix=${1:-}
  if [ -z "$prefix" ]; then
    prefix=$(python3 -c "import torch;print(torch.utils.cmake_prefix_path)" 2>/dev/null || true)
  fi
  [ -z "$prefix" ] && prefix=$(dirname "$(dirname "$(dirname "$(find / -name TorchConfig.cmake -path '*Torch*' 2>/dev/null | head -1)")")")
  echo "torch cmake prefix: $prefix"
  python3 -c "import torch;print('torch', torch.__version__, 'cuda', torch.version.cuda, torch.cuda.is_available())" 2>&1
  for h in yaml-cpp/yaml.h CLI/CLI.hpp spdlog/spdlog.h nlohmann/json.hpp gtest/gtest.h; do
    [ -e /usr/include/$h ] && echo "have $h" || echo "MISSING $h"
  done
} > "$out/probe.txt" 2>&1
cat "$out/probe.txt"
grep -q MISSING "$out/probe.txt" && { echo "dependencies missing: not building"; exit 3; }
cmake -S . -B build-cuda -DCMAKE_BUILD_TYPE=Release -DCMAKE_PREFIX_PATH="$prefix" > "$out/configure.txt" 2>&1 || { tail -30 "$out/configure.txt"; exit 4; }
cmake --build build-cuda -j"$(nproc)" > "$out/build.txt" 2>&1 || { grep -m20 error "$out/build.txt"; exit 5; }
(cd build-cuda && ctest -j4 --output-on-failure > "../$out/ctest.txt" 2>&1); tail -5 "$out/ctest.txt"
build-cuda/phenom run configs/grokking/mlp.yaml device=cuda --out "$out/run" 2>&1 | tail -8
