#!/usr/bin/env python3
"""Writes the parity fixtures of the Swift `Metrics` target.

Outputs (JSON, under Tests/MetricsTests/Fixtures/):

  caption_scores.json   pycocoevalcap's Cider, Bleu(4) and Rouge on pre-tokenised
                        caption sets (no Java involved): corpus and per-sample scores.
  ptb_tokenizer.json    pycocoevalcap's PTBTokenizer (the Stanford CoreNLP 3.4.1 jar
                        run by Java, then punctuation removal) on one batch of varied
                        sentences, and on a few sentences one at a time.
  caption_end_to_end.json  raw captions -> PTBTokenizer -> Cider / Bleu / Rouge, the
                        whole COCO evaluation path.

Requirements: pycocoevalcap 1.2 (pip), numpy, Java on PATH.
Run from anywhere:  python3 Tests/Fixtures/make_metrics_fixtures.py
Everything is seeded; rerunning gives identical files.
"""
import json
import os
import random
import subprocess
import sys

import pycocoevalcap
from pycocoevalcap.bleu.bleu import Bleu
from pycocoevalcap.cider.cider import Cider
from pycocoevalcap.rouge.rouge import Rouge
from pycocoevalcap.tokenizer.ptbtokenizer import PTBTokenizer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import ptb_sentences  # noqa: E402

OUTPUT_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "MetricsTests", "Fixtures")

# A small vocabulary so that candidates and references share many n-grams.
VOCABULARY = (
    "a an the man woman dog cat bus train plate table street field horse kite boy girl "
    "red white blue green big small young old sitting standing riding eating holding "
    "on in of with at near next to top front some two three"
).split()


def package_version():
    from importlib.metadata import version
    return version("pycocoevalcap")


def java_version():
    result = subprocess.run(["java", "-version"], capture_output=True, text=True)
    return (result.stderr or result.stdout).splitlines()[0]


# ---------------------------------------------------------------- caption sets

def random_caption(rng, low, high):
    return [rng.choice(VOCABULARY) for _ in range(rng.randint(low, high))]


def perturbed(rng, tokens):
    """Drop, swap or replace a few tokens of a reference."""
    out = list(tokens)
    for _ in range(rng.randint(1, 3)):
        if not out:
            break
        action = rng.random()
        position = rng.randrange(len(out))
        if action < 0.33:
            del out[position]
        elif action < 0.66:
            out[position] = rng.choice(VOCABULARY)
        else:
            other = rng.randrange(len(out))
            out[position], out[other] = out[other], out[position]
    return out


def candidate_for(rng, references, kind):
    if kind == "empty":
        return []
    if kind == "one-word":
        return [rng.choice(VOCABULARY)]
    if kind == "copy":
        return list(rng.choice(references))
    if kind == "perturbed":
        return perturbed(rng, rng.choice(references))
    if kind == "repeated-word":
        return [rng.choice(VOCABULARY)] * rng.randint(2, 12)
    if kind == "repeated-bigram":
        pair = [rng.choice(VOCABULARY), rng.choice(VOCABULARY)]
        return pair * rng.randint(2, 6)
    if kind == "long":
        return random_caption(rng, 30, 60)
    return random_caption(rng, 2, 20)


def make_sample(rng, index, reference_count=None, low=0, high=25, kind=None):
    count = reference_count if reference_count is not None else rng.choice([1, 2, 3, 4, 5, 5, 5, 6])
    references = []
    for _ in range(count):
        # A few empty references: pycocoevalcap accepts them.
        references.append([] if rng.random() < 0.03 else random_caption(rng, max(low, 1), high))
    kinds = ["empty", "one-word", "copy", "perturbed", "perturbed", "repeated-word",
             "repeated-bigram", "random", "random", "random", "long"]
    candidate = candidate_for(rng, references, kind or rng.choice(kinds))
    return {"id": f"s{index:04d}", "candidate": " ".join(candidate),
            "references": [" ".join(r) for r in references]}


def score_set(name, samples):
    """pycocoevalcap scores of one set; strings are already tokenised (single spaces)."""
    gts = {s["id"]: s["references"] for s in samples}
    res = {s["id"]: [s["candidate"]] for s in samples}
    cider, cider_per = Cider().compute_score(gts, res)
    bleu, bleu_per = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, rouge_per = Rouge().compute_score(gts, res)
    return {
        "name": name,
        "samples": samples,
        "cider": {"corpus": float(cider), "per_sample": [float(x) for x in cider_per]},
        "bleu": {"corpus": [float(x) for x in bleu],
                 "per_sample": [[float(bleu_per[k][i]) for k in range(4)] for i in range(len(samples))]},
        "rouge_l": {"corpus": float(rouge), "per_sample": [float(x) for x in rouge_per]},
    }


def caption_sets():
    rng = random.Random(20240521)
    sets = []
    sets.append(score_set("main", [make_sample(rng, i) for i in range(240)]))
    sets.append(score_set("single-sample", [make_sample(rng, 0, reference_count=3, kind="perturbed")]))
    sets.append(score_set("two-samples", [make_sample(rng, i, kind="perturbed") for i in range(2)]))
    same = make_sample(rng, 0, reference_count=4, kind="copy")
    sets.append(score_set("identical-samples",
                          [dict(same, id=f"s{i:04d}") for i in range(5)]))
    sets.append(score_set("long-captions",
                          [make_sample(rng, i, low=80, high=200, kind="perturbed") for i in range(20)]))
    sets.append(score_set("empty-candidates", [make_sample(rng, i, kind="empty") for i in range(10)]))
    sets.append(score_set("one-word-everything",
                          [make_sample(rng, i, low=1, high=1, kind="one-word") for i in range(30)]))
    return sets


# ---------------------------------------------------------------- PTB tokenizer

def ptb_tokenize(sentences):
    """pycocoevalcap's own wrapper on one batch (one image holding all captions)."""
    result = PTBTokenizer().tokenize({0: [{"caption": s} for s in sentences]})
    outputs = result[0]
    assert len(outputs) == len(sentences), "Java output lines do not line up with the sentences"
    return outputs


def ptb_fixture():
    batch = ptb_sentences.HAND_WRITTEN + ptb_sentences.fragment_sentences(150, seed=7)
    outputs = ptb_tokenize(batch)
    # Sentences whose last token depends on what follows: alone, each is the
    # last line of the tokenizer's input file.
    single_inputs = [s for s in ptb_sentences.HAND_WRITTEN
                     if s.rstrip().endswith(("etc.", "Inc.", "U.S.", "I.", "Jan.", "p.m.", "Co.", "Ltd."))]
    single_inputs += ["A", "", "   ", "He lives in the U.S.", "U.S. The end", "Smith et al."]
    singles = [{"input": s, "output": ptb_tokenize([s])[0]} for s in single_inputs]
    return {
        "batch": {"inputs": batch, "outputs": outputs},
        "singles": singles,
    }


# ---------------------------------------------------------------- end to end

def end_to_end_fixture():
    rng = random.Random(99)
    pool = [s for s in ptb_sentences.HAND_WRITTEN if len(s) > 3]
    samples = []
    for index in range(40):
        references = rng.sample(pool, rng.randint(1, 5))
        candidate = rng.choice([rng.choice(references), rng.choice(pool), references[0].upper(), ""])
        samples.append({"id": f"e{index:03d}", "candidate": candidate, "references": references})
    tokenizer = PTBTokenizer()
    gts = tokenizer.tokenize({s["id"]: [{"caption": c} for c in s["references"]] for s in samples})
    res = tokenizer.tokenize({s["id"]: [{"caption": s["candidate"]}] for s in samples})
    cider, cider_per = Cider().compute_score(gts, res)
    bleu, bleu_per = Bleu(4).compute_score(gts, res, verbose=0)
    rouge, rouge_per = Rouge().compute_score(gts, res)
    return {
        "samples": samples,
        "tokenized_candidates": [res[s["id"]][0] for s in samples],
        "cider": {"corpus": float(cider), "per_sample": [float(x) for x in cider_per]},
        "bleu": {"corpus": [float(x) for x in bleu],
                 "per_sample": [[float(bleu_per[k][i]) for k in range(4)] for i in range(len(samples))]},
        "rouge_l": {"corpus": float(rouge), "per_sample": [float(x) for x in rouge_per]},
    }


def write(name, payload):
    path = os.path.join(OUTPUT_DIR, name)
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(payload, handle, ensure_ascii=False, indent=1)
        handle.write("\n")
    print(f"wrote {os.path.relpath(path)}")


def main():
    os.makedirs(OUTPUT_DIR, exist_ok=True)
    provenance = {
        "generator": "Tests/Fixtures/make_metrics_fixtures.py",
        "pycocoevalcap": package_version(),
        "java": java_version(),
        "tokenizer_jar": "stanford-corenlp-3.4.1.jar (inside the pycocoevalcap package)",
    }
    write("caption_scores.json", {"provenance": provenance, "sets": caption_sets()})
    write("ptb_tokenizer.json", dict(provenance=provenance, **ptb_fixture()))
    write("caption_end_to_end.json", dict(provenance=provenance, **end_to_end_fixture()))


if __name__ == "__main__":
    main()
