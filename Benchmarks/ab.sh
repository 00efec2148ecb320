#!/bin/bash
# Interleaved A/B timing of two kernel-bench binaries on this noisy machine: runs BIN_A and
# BIN_B alternately ROUNDS times with the same arguments and prints, per case, the minimum and
# median of the rows' `min_step_ms` (train-step), `forward_backward_min_ms` (attention) or `min_ms` (others).
# Usage: Benchmarks/ab.sh ROUNDS BIN_A BIN_B -- SUBCOMMAND [ARGS...]
#   e.g. Benchmarks/ab.sh 5 /tmp/kernel-bench-before .build-bench/release/kernel-bench -- train-step --lora --repeats 5 --warmup 1
set -euo pipefail
if [ $# -lt 5 ] || [ "$4" != "--" ]; then
  echo "usage: $0 ROUNDS BIN_A BIN_B -- SUBCOMMAND [ARGS...]" >&2; exit 2
fi
rounds=$1; a=$2; b=$3; shift 4
source "$(dirname "$0")/../scripts/blas-env.sh"
out=$(mktemp); trap 'rm -f "$out"' EXIT
for _ in $(seq "$rounds"); do
  for bin in "$a" "$b"; do
    "$bin" "$@" --json 2>/dev/null | BIN="$bin" python3 -c '
import sys, json, os
for line in sys.stdin:
    try: row = json.loads(line)
    except ValueError: continue
    key = row.get("case") or row.get("shape") or row.get("benchmark")
    value = row.get("min_step_ms") or row.get("min_ms") or row.get("forward_backward_min_ms")
    if value: print(os.environ["BIN"], str(key).replace(" ", "_"), value)' >> "$out"
  done
done
python3 - "$out" <<'P'
import sys, collections, statistics
samples = collections.defaultdict(list)
for line in open(sys.argv[1]):
    binary, key, value = line.split()
    samples[(key, binary)].append(float(value))
for (key, binary), values in sorted(samples.items()):
    print(f"{key:24s} {binary[-40:]:40s} min {min(values):9.2f}  median {statistics.median(values):9.2f}  n={len(values)}")
P
