#!/usr/bin/env bash
# Runs every example on the smoke preset (seconds each) with a private pretrained cache, and
# fails if any of them fails. Argument: the directory holding the built executables.
set -euo pipefail
bin="${1:-.build/release}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
common=(--preset smoke --cache "$work/cache" --quiet)
run() { echo "smoke: $*"; "$@" > "$work/out.txt" || { cat "$work/out.txt"; exit 1; }; }
run "$bin/table2" --preset smoke --dataset fed-slake --partition non-iid
run "$bin/table3" "${common[@]}" --only "mlp2x_gelu F-CL" --output "$work/table3"
run "$bin/table4" "${common[@]}" --only "F-CL fedavg fed-slake" --only "F-C fedprox fed-fgvc" --output "$work/table4"
run "$bin/table5" "${common[@]}" --only "fedavg fed-radgenome" --output "$work/table5"
run "$bin/table6" "${common[@]}" --only "fedyogi fed-med" --only "central fed-med" --output "$work/table6"
run "$bin/dirichlet-sweep" "${common[@]}" --alphas 0.5 5 --output "$work/sweep"
run "$bin/fedvlm" run --dataset fed-nature --partition task --algorithm scaffold --preset smoke --cache "$work/cache" --output "$work/run" --quiet
run "$bin/fedvlm" run --dataset fed-fashionmnist --partition non-iid --clients 3 --preset smoke --cache "$work/cache" --output "$work/fmnist" --quiet
for file in table3/table.md table4/results.json table5/report.html table6/table.csv sweep/sweep.svg run/result.json fmnist/result.json; do
    [[ -s "$work/$file" ]] || { echo "smoke: missing $file"; exit 1; }
done
echo "smoke: every example ran"
