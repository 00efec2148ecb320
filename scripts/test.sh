#!/usr/bin/env bash
# The README's test command: installs missing Debian packages, builds everything in release
# mode (the numerical tests train small models; a debug build is 20-50x slower), runs every
# test, runs each example executable on the smoke preset, and builds and runs the tutorial's
# separate package.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/install-deps.sh --fashion-mnist
source ./scripts/blas-env.sh
# -enable-testing lets the tests that use @testable import run against the release build.
swift build -c release --build-tests -Xswiftc -enable-testing
./scripts/smoke-examples.sh .build/release
# The tutorial package (Docs/Tutorial-CustomAggregator.md) plugs in its own aggregator through
# the public API alone; build it as a separate package and run its smoke experiment so that
# promise stays checked. Its build lives under .build too, so a clean state (rm -rf .build)
# cleans it as well: an old build of its own kept the library's former source list once
# (session 6: "cannot find 'VectorKernels'" after a file was added to Tensors).
# SwiftPM does not notice a file added to the library when it rebuilds that package (its build
# plan keeps the old file list: "undefined reference" at link time), so the tutorial's build is
# started afresh whenever the library's list of source files changes.
sources_list="$(find Sources -type f | LC_ALL=C sort | sha256sum | cut -d' ' -f1)"
if [ "$(cat .build/custom-aggregator/fedvlm-sources 2>/dev/null)" != "$sources_list" ]; then
  rm -rf .build/custom-aggregator
fi
swift build -c release --package-path Examples/custom-aggregator --scratch-path .build/custom-aggregator
echo "$sources_list" > .build/custom-aggregator/fedvlm-sources
tutorial_cache="$(mktemp -d)"
FEDVLM_CACHE="$tutorial_cache" .build/custom-aggregator/release/CustomAggregatorDemo fed-slake
rm -rf "$tutorial_cache"
swift test -c release --skip-build -Xswiftc -enable-testing
