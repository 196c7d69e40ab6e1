#!/usr/bin/env bash
# README's demo command: set up, build, and run the default experiment (grokking in an MLP).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
exec build/phenom run configs/grokking/mlp.yaml "$@"
