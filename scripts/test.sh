#!/usr/bin/env bash
# README's test command: set up, build, and run the whole test suite with ctest.
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cd build
exec ctest --output-on-failure --timeout 600 "$@"
