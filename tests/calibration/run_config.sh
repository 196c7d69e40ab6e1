#!/usr/bin/env bash
# The calibration tier's test of one shipped config: run it as shipped in a directory of its own
# and pass when what it asserts holds. A spec with a `sweep:` block runs as its sweep on every
# core: every run-level expectation must hold (exit 0) and every sweep-level detector must say
# `detected: true` (the sweep's own exit code does not judge them). Anything else runs with
# `phenom run` and must exit 0 (every expectation met).
# Usage: run_config.sh PHENOM CONFIG
set -uo pipefail
phenom=$1
config=$2
dir=$(mktemp -d /tmp/phenom-calibration-XXXXXX)
trap 'rm -rf "$dir"' EXIT
cd "$dir" || exit 1
if ! grep -q '^sweep:' "$config"; then
  "$phenom" run "$config" --out run --no-plot
  exit $?
fi
"$phenom" sweep "$config" --jobs "$(nproc)" --no-plot --root runs || exit 1
/usr/bin/python3 - runs/*/sweep-*/summary.json <<'PY'
import json, sys
summary = json.load(open(sys.argv[1]))
verdicts = {k: v["detected"] for k, v in summary.items() if isinstance(v, dict) and "detected" in v}
for key, detected in verdicts.items():
    print(("  ok    " if detected else "  FAIL  ") + key + ".detected " + str(detected).lower())
sys.exit(0 if all(verdicts.values()) else 1)
PY
