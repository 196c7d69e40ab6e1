#!/usr/bin/env bash
# README's test command: set up, build phenom and the tests, and run them with ctest.
#   scripts/test.sh              the quick and slow tiers, in parallel on every core (what CI runs)
#   scripts/test.sh quick        unit tests and short end-to-end runs (minutes)
#   scripts/test.sh slow         fuzzing, kill/resume loops, Slurm, Python, reduced phenomenon checks
#   scripts/test.sh calibration  every shipped config run as shipped, one at a time (hours)
# Further arguments go to ctest, e.g. scripts/test.sh quick -R Spec
set -euo pipefail
cd "$(dirname "$0")/.."
tier=all
case "${1:-}" in quick|slow|calibration) tier=$1; shift ;; esac
scripts/setup.sh phenom phenom_tests
cd build
case "$tier" in
  all) exec ctest --output-on-failure -j "$(nproc)" -LE calibration "$@" ;;
  calibration) exec ctest --output-on-failure -L '^calibration$' "$@" ;;
  *) exec ctest --output-on-failure -j "$(nproc)" -L "^$tier\$" "$@" ;;
esac
