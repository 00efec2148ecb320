#!/usr/bin/env python3
"""Fixtures for Tests/PartitionersTests: reference streams of the SplitMix64 generator.

SeededGenerator (Sources/Partitioners/SeededGenerator.swift) is SplitMix64 (Steele, Lea & Flood,
OOPSLA 2014; Vigna's reference splitmix64.c). This script implements the same recurrence with
Python integers, checks it against the published test vector of the rand_xoshiro crate
(rust-random/rngs, rand_xoshiro/src/splitmix64.rs, test `reference`, seed 1477776061723855037,
values produced with splitmix64.c), and records the first outputs for a few seeds, together with
the derived unit-interval doubles (top 53 bits / 2^53), so the Swift tests need no Python.

Run from the package root:
    python3 Tests/Fixtures/make_partitioners_fixtures.py
writes Tests/PartitionersTests/Fixtures/splitmix64.json
"""
import json
import pathlib

MASK = (1 << 64) - 1
GOLDEN_GAMMA = 0x9E3779B97F4A7C15

# First five values of rand_xoshiro's SplitMix64 `reference` test (from splitmix64.c).
PUBLISHED_SEED = 1477776061723855037
PUBLISHED_OUTPUTS = [
    1985237415132408290,
    2979275885539914483,
    13511426838097143398,
    8488337342461049707,
    15141737807933549159,
]


def splitmix64(seed, count):
    state = seed & MASK
    outputs = []
    for _ in range(count):
        state = (state + GOLDEN_GAMMA) & MASK
        z = state
        z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK
        z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK
        outputs.append(z ^ (z >> 31))
    return outputs


def main():
    assert splitmix64(PUBLISHED_SEED, len(PUBLISHED_OUTPUTS)) == PUBLISHED_OUTPUTS, \
        "the Python SplitMix64 does not reproduce the published vector"
    streams = []
    for seed in [0, 1, 42, 2025, PUBLISHED_SEED, MASK]:
        outputs = splitmix64(seed, 8)
        streams.append({
            "seed": str(seed),  # strings: JSON numbers above 2^53 lose precision in many decoders
            "outputs": [str(value) for value in outputs],
            "unit_interval": [(value >> 11) * 2.0 ** -53 for value in outputs],
        })
    fixture = {
        "source": "Tests/Fixtures/make_partitioners_fixtures.py",
        "published": {
            "reference": "rand_xoshiro splitmix64.rs test `reference` (values from Vigna's splitmix64.c)",
            "seed": str(PUBLISHED_SEED),
            "outputs": [str(value) for value in PUBLISHED_OUTPUTS],
        },
        "streams": streams,
    }
    out = pathlib.Path(__file__).resolve().parent.parent / "PartitionersTests" / "Fixtures" / "splitmix64.json"
    out.write_text(json.dumps(fixture, indent=2) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
