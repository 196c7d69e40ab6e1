#!/usr/bin/env bash
# Installs the Debian packages phenom needs (only those missing), then configures and builds the
# given targets (default: phenom alone, at build/phenom) in Release mode, on every core. Safe to
# re-run: an up-to-date build does nothing. Usage: scripts/setup.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."

packages=(g++ make cmake git ccache libtorch-dev libopenblas0-pthread libcli11-dev libyaml-cpp-dev
          libspdlog-dev libgtest-dev nlohmann-json3-dev zlib1g-dev python3-matplotlib python3-yaml python3-sklearn
          dataset-fashion-mnist)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "[setup] installing: ${missing[*]}"
  sudo_cmd=""
  [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(phenom)
jobs=${PHENOM_BUILD_JOBS:-$(nproc)}
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release ${PHENOM_CMAKE_ARGS:-} >/dev/null
cmake --build build -j "$jobs" --target "${targets[@]}"
