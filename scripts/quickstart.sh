#!/usr/bin/env bash
# The README's first command: installs missing Debian packages, builds in release mode and
# runs a quick federated benchmark on the embedded synthetic data — the paper's Table 4 (four
# fine-tuning strategies x five FL algorithms x Fed-SLAKE, Fed-ScienceCap, Fed-FGVC x IID /
# non-IID, 120 runs, two side by side), printed beside the paper's numbers with the takeaway
# verdicts. Extra arguments go to table4 (e.g. --only "F-CL" for a quarter of it).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh
source ./scripts/blas-env.sh
swift build -c release --product table4
exec .build/release/table4 --preset quick "$@"
