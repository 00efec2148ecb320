#!/usr/bin/env bash
# The README's test command: installs missing Debian packages, builds everything in release
# mode (the numerical tests train small models; a debug build is 20-50x slower), runs every
# test, then runs each example executable on the smoke preset.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --fashion-mnist
source ./scripts/blas-env.sh
# -enable-testing lets the tests that use @testable import run against the release build.
swift build -c release --build-tests -Xswiftc -enable-testing
./scripts/smoke-examples.sh .build/release
swift test -c release --skip-build -Xswiftc -enable-testing
