#!/usr/bin/env bash
# The README's test command: installs missing Debian packages, then builds and runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --fashion-mnist
source ./scripts/blas-env.sh
swift build --build-tests
swift test --skip-build
