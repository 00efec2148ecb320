#!/usr/bin/env python3
"""Fixtures for Tests/ExperimentsTests: the paper's Tables 3-6 read mechanically from its text,
and the takeaway quantities computed from them.

This is the second, independent transcription that the Swift tests compare against
Sources/Experiments/PaperReference.swift (which was typed by hand):
  1. every numeric row of Tables 3, 4, 5 and 6 is parsed from the plain-text paper
     (FedVLMBench, Zheng et al.), the table's layout is applied here with its own code, and
     every number becomes one cell {table, group, method, dataset, partition, metric, value};
  2. the quantities that Sources/Experiments/Takeaways.swift computes for Takeaways 1-6 are
     computed here again, in float64, with the same documented rules (Docs/PaperComparison.md),
     so the Swift test checks both the numbers and the rule arithmetic.

Run from the package root:
    python3 Tests/Fixtures/make_paper_reference_fixtures.py [path/to/FedVLMBench-paper.txt]
(default path /work/shared/paper/FedVLMBench-paper.txt) writes
    Tests/ExperimentsTests/Fixtures/paper_reference.json
"""
import json
import pathlib
import re
import sys
from statistics import mean

PAPER = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "/work/shared/paper/FedVLMBench-paper.txt")
OUT = pathlib.Path("Tests/ExperimentsTests/Fixtures/paper_reference.json")

NUMBER = re.compile(r"^\d+\.\d+(/\d+\.\d+)?$")
ALGORITHMS = ["FedAvg", "FedProx", "FedAdam", "FedAvgM", "FedYogi"]
STRATEGIES = ["F-C", "F-L", "F-CL", "F-2stage"]
CONNECTORS = ["linear", "mlp2x", "mlp6x"]
ARCHITECTURES = {"Encoder-based": "encoder-based", "Encoder-free": "encoder-free"}
METRIC = {"Fed-SLAKE": ["accuracy"], "Fed-ScienceCap": ["CIDEr", "ROUGE-L"],
          "Fed-FGVC": ["accuracy"], "Fed-RadGenome": ["IoU"]}
PRIMARY = {"Fed-SLAKE": "accuracy", "Fed-ScienceCap": "CIDEr", "Fed-FGVC": "accuracy", "Fed-RadGenome": "IoU"}
# Table 6 columns in printed order: (dataset, metrics of that printed cell).
TABLE6_COLUMNS = [
    ("Fed-Nature", ["VQA accuracy"]),
    ("Fed-Nature", ["caption CIDEr", "caption ROUGE-L"]),
    ("Fed-Nature", ["grounding IoU"]),
    ("Fed-Nature", ["classification accuracy"]),
    ("Fed-Med", ["VQA accuracy"]),
    ("Fed-Med", ["report CIDEr", "report ROUGE-L"]),
    ("Fed-Med", ["detection IoU"]),
]
TABLE6_PRIMARY = [("Fed-Nature", "VQA accuracy"), ("Fed-Nature", "caption CIDEr"), ("Fed-Nature", "grounding IoU"),
                  ("Fed-Nature", "classification accuracy"), ("Fed-Med", "VQA accuracy"), ("Fed-Med", "report CIDEr"),
                  ("Fed-Med", "detection IoU")]


def table_rows(lines, caption_prefix):
    """The numeric rows after the line starting with caption_prefix: (labels, number tokens, raw line)."""
    start = next(i for i, line in enumerate(lines) if line.startswith(caption_prefix))
    rows, seen_numbers = [], False
    for line in lines[start + 1:]:
        tokens = line.split()
        numbers = [t for t in tokens if NUMBER.match(t)]
        if not numbers:
            if seen_numbers:
                break
            continue  # header lines
        seen_numbers = True
        labels = [t for t in tokens if not NUMBER.match(t)]
        rows.append((labels, numbers, line.strip()))
    return rows


def expand(token, metrics):
    parts = [float(p) for p in token.split("/")]
    assert len(parts) == len(metrics), (token, metrics)
    return list(zip(metrics, parts))


def cell(table, group, method, dataset, partition, metric, value):
    return {"table": table, "group": group, "method": method, "dataset": dataset,
            "partition": partition, "metric": metric, "value": value}


def parse(lines):
    cells, raw = [], {}

    # Table 3: rows strategy x {Central, FedAvg}; columns dataset x connector; IID data only.
    rows = table_rows(lines, "Table 3:")
    assert len(rows) == 8
    raw["table3"] = [r[2] for r in rows]
    strategy = None
    for labels, numbers, _ in rows:
        if len(labels) == 2:
            strategy = labels[0]
        method = labels[-1]
        assert len(numbers) == 6
        for index, token in enumerate(numbers):
            dataset = "Fed-SLAKE" if index < 3 else "Fed-ScienceCap"
            connector = CONNECTORS[index % 3]
            for metric, value in expand(token, METRIC[dataset]):
                cells.append(cell("table3", f"{connector} {strategy}", method, dataset, "IID", metric, value))

    # Table 4: rows strategy x algorithm; columns dataset x {IID, Non-IID}.
    rows = table_rows(lines, "Table 4:")
    assert len(rows) == 20
    raw["table4"] = [r[2] for r in rows]
    for labels, numbers, _ in rows:
        if len(labels) == 2:
            strategy = labels[0]
        method = labels[-1]
        assert len(numbers) == 6
        for index, token in enumerate(numbers):
            dataset = ["Fed-SLAKE", "Fed-ScienceCap", "Fed-FGVC"][index // 2]
            partition = ["IID", "Non-IID"][index % 2]
            for metric, value in expand(token, METRIC[dataset]):
                cells.append(cell("table4", strategy, method, dataset, partition, metric, value))

    # Table 5: rows architecture x {Central, algorithms}; Central has one value per dataset.
    rows = table_rows(lines, "Table 5:")
    assert len(rows) == 12
    raw["table5"] = [r[2] for r in rows]
    datasets = ["Fed-SLAKE", "Fed-ScienceCap", "Fed-FGVC", "Fed-RadGenome"]
    for labels, numbers, _ in rows:
        if len(labels) == 2:
            architecture = ARCHITECTURES[labels[0]]
        method = labels[-1]
        if method == "Central":
            assert len(numbers) == 4
            for dataset, token in zip(datasets, numbers):
                for metric, value in expand(token, METRIC[dataset]):
                    cells.append(cell("table5", architecture, method, dataset, "", metric, value))
        else:
            assert len(numbers) == 8
            for index, token in enumerate(numbers):
                dataset = datasets[index // 2]
                partition = ["IID", "Non-IID"][index % 2]
                for metric, value in expand(token, METRIC[dataset]):
                    cells.append(cell("table5", architecture, method, dataset, partition, metric, value))

    # Table 6: rows architecture x {MT-Central, algorithms}; columns the tasks of Fed-Nature and Fed-Med.
    rows = table_rows(lines, "Table 6:")
    assert len(rows) == 12
    raw["table6"] = [r[2] for r in rows]
    for labels, numbers, _ in rows:
        if len(labels) == 2:
            architecture = ARCHITECTURES[labels[0]]
        method = labels[-1]
        assert len(numbers) == 7
        for (dataset, metrics), token in zip(TABLE6_COLUMNS, numbers):
            for metric, value in expand(token, metrics):
                cells.append(cell("table6", architecture, method, dataset, "", metric, value))
    return cells, raw


def relative_difference(a, b):
    """(a - b) / |b|; a zero reference gives 0 when both are zero, else +-1 (documented in Swift)."""
    if abs(b) < 1e-12:
        return 0.0 if abs(a) < 1e-12 else (1.0 if a > b else -1.0)
    return (a - b) / abs(b)


def relative_drop(iid, non_iid):
    return -relative_difference(non_iid, iid)


def quantities(cells):
    v = {(c["table"], c["group"], c["method"], c["dataset"], c["partition"], c["metric"]): c["value"] for c in cells}
    out = {}

    # Takeaway 1: Table 3, FedAvg rows, primary metrics.
    def t3(connector, strategy, dataset):
        return v[("table3", f"{connector} {strategy}", "FedAvg", dataset, "IID", PRIMARY[dataset])]
    pairs = [(s, d) for d in ["Fed-SLAKE", "Fed-ScienceCap"] for s in STRATEGIES]
    out["1"] = {
        "mlp2x-over-linear": mean(relative_difference(t3("mlp2x", s, d), t3("linear", s, d)) for s, d in pairs),
        "mlp2x-over-mlp6x": mean(relative_difference(t3("mlp2x", s, d), t3("mlp6x", s, d)) for s, d in pairs),
    }

    def t4(strategy, method, dataset, partition):
        return v[("table4", strategy, method, dataset, partition, PRIMARY[dataset])]
    parts = ["IID", "Non-IID"]

    # Takeaway 2: Table 4, all algorithms and both partitions.
    out["2"] = {
        f"{d}:F-L-over-F-C": mean(relative_difference(t4("F-L", a, d, p), t4("F-C", a, d, p))
                                  for a in ALGORITHMS for p in parts)
        for d in ["Fed-SLAKE", "Fed-ScienceCap"]
    }
    out["2"]["Fed-FGVC:F-C-over-F-L"] = mean(relative_difference(t4("F-C", a, "Fed-FGVC", p), t4("F-L", a, "Fed-FGVC", p))
                                             for a in ALGORITHMS for p in parts)

    # Takeaway 3: Table 4, FedAvg rows.
    out["3"] = {"F-CL-over-F-2stage": mean(relative_difference(t4("F-CL", "FedAvg", d, p), t4("F-2stage", "FedAvg", d, p))
                                           for d in ["Fed-SLAKE", "Fed-ScienceCap", "Fed-FGVC"] for p in parts)}

    # Takeaway 4: Table 4, drops IID -> Non-IID over strategies x algorithms.
    def drop4(strategy, a, d):
        return relative_drop(t4(strategy, a, d, "IID"), t4(strategy, a, d, "Non-IID"))
    out["4"] = {f"{d}:drop": mean(drop4(s, a, d) for s in STRATEGIES for a in ALGORITHMS)
                for d in ["Fed-SLAKE", "Fed-ScienceCap", "Fed-FGVC"]}
    out["4"]["Fed-FGVC:smallest-algorithm-drop"] = min(mean(drop4(s, a, "Fed-FGVC") for s in STRATEGIES) for a in ALGORITHMS)

    # Takeaway 5: Table 5, drops per architecture.
    def drop5(arch, a, d):
        return relative_drop(v[("table5", arch, a, d, "IID", PRIMARY[d])], v[("table5", arch, a, d, "Non-IID", PRIMARY[d])])
    vision = ["Fed-FGVC", "Fed-RadGenome"]
    out["5"] = {}
    for arch in ["encoder-based", "encoder-free"]:
        for d in ["Fed-SLAKE", "Fed-ScienceCap"]:
            out["5"][f"{arch}:{d}:drop"] = mean(drop5(arch, a, d) for a in ALGORITHMS)
        out["5"][f"{arch}:vision:drop"] = mean(drop5(arch, a, d) for a in ALGORITHMS for d in vision)
        out["5"][f"{arch}:vision:smallest-algorithm-drop"] = min(mean(drop5(arch, a, d) for d in vision) for a in ALGORITHMS)
    for d in vision:
        out["5"][f"{d}:encoder-free-minus-encoder-based-drop"] = (
            mean(drop5("encoder-free", a, d) for a in ALGORITHMS) - mean(drop5("encoder-based", a, d) for a in ALGORITHMS))

    # Takeaway 6: Table 6, federated vs MT-Central per architecture.
    out["6"] = {}
    for arch in ["encoder-based", "encoder-free"]:
        out["6"][f"{arch}:gap-to-MT-Central"] = mean(
            relative_difference(v[("table6", arch, a, d, "", m)], v[("table6", arch, "MT-Central", d, "", m)])
            for a in ALGORITHMS for d, m in TABLE6_PRIMARY)
    return out


def main():
    lines = PAPER.read_text(encoding="utf-8").splitlines()
    cells, raw = parse(lines)
    keys = {tuple(c[k] for k in ("table", "group", "method", "dataset", "partition", "metric")) for c in cells}
    assert len(keys) == len(cells), "duplicate cell keys"
    document = {
        "source": "FedVLMBench paper text, Tables 3-6 (rows copied verbatim in 'rows')",
        "rows": raw,
        "cells": cells,
        "takeaway_quantities": quantities(cells),
    }
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text(json.dumps(document, indent=1) + "\n", encoding="utf-8")
    counts = {t: sum(1 for c in cells if c["table"] == t) for t in raw}
    print(f"wrote {OUT}: {len(cells)} cells {counts}")
    for number, values in document["takeaway_quantities"].items():
        print(number, {k: round(x, 5) for k, x in values.items()})


if __name__ == "__main__":
    main()
