#!/usr/bin/env python3
"""Randomised cross-check of the Swift PTB tokenizer against pycocoevalcap's Java one.

Writes a large fixture (inputs and pycocoevalcap's outputs) OUTSIDE the repository;
the opt-in Swift test `PTBTokenizerTests.fuzzParity` reads it when the environment
variable PTB_FUZZ_FIXTURE names the file:

    python3 Tests/Fixtures/ptb_fuzz.py /tmp/ptb_fuzz.json          # about a minute
    PTB_FUZZ_FIXTURE=/tmp/ptb_fuzz.json swift test --filter fuzzParity

Three seeded generators: sentences of tricky fragments (see ptb_sentences.py),
strings of random characters from a pool of letters, digits, punctuation,
symbols, quotes, entities and non-ASCII characters, and Greek-capital-heavy
strings (Java's final-sigma rule depends on its word segmentation).
Line-break characters other than "\\n" are not generated (see ptb_sentences.py).
"""
import json
import os
import random
import sys

from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptb_sentences  # noqa: E402

CHARACTER_POOL = list(
    "aAbBcCdDeEiInNoOsStTyYxXmMlLrRuUpPzZ0123456789.,;:!?'\"`-_/\\()[]{}<>@#$%&*+=~^| \t"
    "\u2019\u2018\u201c\u201d\u00ab\u00bb\u2026\u2014\u2013\u00bd\u20ac\u00a3\u00a2\u00a5\u00b0\u00d7\u00a7"
    "\u00b6\u00b5\u00df\u00e9\u00c9\u00f1\u03a3\u03c3\u03a9\u6211\U0001f600\u00ad\u00a0\u200b\u2044"
) + ["&amp;", "&apos;", "&quot;", "&lt;", "n't", "'s", "'re", "http://", "www.", ".com", "U.S.", "etc.",
     "Mr.", " The ", " In ", " A "]

GREEK_POOL = list(
    "\u03a3\u03a3\u03a3\u03a3\u03c3\u0391\u0392\u0393aAb1209.,'\"-_\u2010\u2013\u2014#$\u20ac\u00a2%&\u2030:;!?/ "
    "\u00b7\u0301\u0308\u200b\u00ad\u2027\u203f\u30ab\u30ca\u3072\u3089\u65e5\u672c\u0904\u0964\u066b\u066a"
) + ["&amp;", "n't", "'s", "U.S."]


def character_strings(count, seed, pool, longest):
    rng = random.Random(seed)
    return ["".join(rng.choice(pool) for _ in range(rng.randint(1, longest))) for _ in range(count)]


def tokenize(sentences):
    outputs = PTBTokenizer().tokenize({0: [{"caption": s} for s in sentences]})[0]
    assert len(outputs) == len(sentences)
    return outputs


def main():
    path = sys.argv[1] if len(sys.argv) > 1 else "/tmp/ptb_fuzz.json"
    batches = []
    for seed in range(1, 5):
        batches.append(ptb_sentences.fragment_sentences(2500, seed=1000 + seed))
        batches.append(character_strings(2500, 2000 + seed, CHARACTER_POOL, 30))
        batches.append(character_strings(2500, 3000 + seed, GREEK_POOL, 25))
    payload = {"batches": [{"inputs": batch, "outputs": tokenize(batch)} for batch in batches]}
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False)
    print(f"wrote {path}: {sum(len(b) for b in batches)} sentences in {len(batches)} batches")


if __name__ == "__main__":
    main()
