#!/usr/bin/env python3
"""Fixtures for Tests/AggregatorsTests: three-round global trajectories of every aggregator.

One scenario (fixed seed): a global set of two tensors ("w" [2, 3], "b" [2]), six clients of
which three to five take part in each round, each with a sample count, a local step count, a
parameter update delta (x_k = x + delta, added in float32 as the Swift test does) and a
SCAFFOLD control-variate change. Client 5 is an outlier (large delta) so the robust rules
have something to reject.

Each case runs the scenario through an implementation that is independent of the Swift code:
  - convention "flower": the real strategies of Flower 1.42 (flwr.serverapp.strategy), called
    through `aggregate_train` with hand-built reply Messages;
  - convention "reference": the FedVLMBench reference implementation's server rules (the
    OpenFedLLM-style `global_aggregate`, as summarised in /work/shared/REFERENCE.md), written
    here in torch float32 with the same structure (proxy_dict = m, opt_proxy_dict = v,
    v initialised to tau^2, "m = d in the first round");
  - SCAFFOLD and FedNova (no Flower strategy, not in the reference): the papers' server
    formulas (Karimireddy et al. 2020, Algorithm 1; Wang et al. 2020, eq. for tau_eff) in
    float64 numpy.

Run from the package root with flwr 1.42 importable (it needs protobuf<7, grpcio, numpy, torch;
`pip install --no-deps flwr==1.42.0` plus those works):
    python3 Tests/Fixtures/make_aggregators_fixtures.py
writes Tests/AggregatorsTests/Fixtures/aggregator_trajectories.json
"""
import json
import logging
import pathlib

import numpy as np
import torch

from flwr.app import Array, ArrayRecord, Message, MetricRecord, RecordDict
from flwr.serverapp import strategy as flower
from flwr.serverapp.strategy.fedopt import FedOpt
from flwr.supercore.task_identity import TaskIdentity

logging.disable(logging.CRITICAL)
# Messages need a run identity; any value works outside a running federation.
TaskIdentity.run_id = 1
TaskIdentity.task_id = 1
TaskIdentity.node_id = 1

SHAPES = {"w": (2, 3), "b": (2,)}
NAMES = list(SHAPES)
TOTAL_CLIENTS = 6
PARTICIPANTS = [[0, 1, 2, 3, 4], [0, 2, 3, 5], [1, 2, 4, 5]]
OUTLIER = 5


def make_scenario(seed=20240611):
    rng = np.random.default_rng(seed)
    initial = {n: rng.normal(0, 1, s).astype(np.float32) for n, s in SHAPES.items()}
    # A per-client drift makes the clients disagree consistently (non-IID-like).
    drift = {k: {n: rng.normal(0, 0.05, s) for n, s in SHAPES.items()} for k in range(TOTAL_CLIENTS)}
    rounds = []
    for ids in PARTICIPANTS:
        clients = []
        for k in ids:
            scale = 4.0 if k == OUTLIER else 0.1
            clients.append({
                "id": k,
                "samples": int(rng.integers(1, 9)),
                "steps": int(rng.integers(1, 6)),
                "delta": {n: (drift[k][n] + rng.normal(0, scale, s)).astype(np.float32) for n, s in SHAPES.items()},
                "controlDelta": {n: rng.normal(0, 0.2, s).astype(np.float32) for n, s in SHAPES.items()},
            })
        rounds.append(clients)
    return initial, rounds


def client_arrays(global_set, client):
    # float32 + float32 -> float32, exactly what the Swift test computes.
    return {n: (global_set[n] + client["delta"][n]).astype(np.float32) for n in NAMES}


# ---------------------------------------------------------------- Flower 1.42 -------------

def reply(arrays, samples):
    content = RecordDict({
        "arrays": ArrayRecord({n: Array(np.asarray(arrays[n], dtype=np.float32)) for n in NAMES}),
        "metrics": MetricRecord({"num-examples": samples}),
    })
    return Message(content=content, dst_node_id=0, message_type="train")


def run_flower(strategy, initial, rounds):
    current = {n: initial[n].copy() for n in NAMES}
    uses_fedopt = isinstance(strategy, FedOpt)
    trajectory = []
    for server_round, clients in enumerate(rounds, start=1):
        # configure_train would store the arrays it sends; do the same by hand.
        if uses_fedopt:
            strategy.current_arrays = {n: current[n].copy() for n in NAMES}
        elif isinstance(strategy, flower.FedAvgM) and (strategy.current_arrays is None or server_round == 1):
            strategy.current_arrays = ArrayRecord({n: Array(current[n].copy()) for n in NAMES})
        replies = [reply(client_arrays(current, c), c["samples"]) for c in clients]
        arrays, _ = strategy.aggregate_train(server_round, replies)
        current = {n: np.asarray(arrays[n].numpy(), dtype=np.float32).reshape(SHAPES[n]) for n in NAMES}
        trajectory.append(current)
    return trajectory


# ---------------------------------------------------------------- reference (torch) -------

def run_reference(algorithm, initial, rounds, eta=1e-3, tau=1e-3, beta1=0.9, beta2=0.99):
    """The reference implementation's `global_aggregate`, one branch per algorithm."""
    global_dict = {n: torch.tensor(initial[n]) for n in NAMES}
    proxy_dict = {n: torch.zeros(SHAPES[n]) for n in NAMES}                       # m
    opt_proxy_dict = {n: torch.ones(SHAPES[n]) * tau ** 2 for n in NAMES}          # v
    trajectory = []
    for round_idx, clients in enumerate(rounds):
        local = [{n: torch.tensor(v) for n, v in client_arrays({n: global_dict[n].numpy() for n in NAMES}, c).items()}
                 for c in clients]
        samples = [c["samples"] for c in clients]
        total = sum(samples)
        for key in NAMES:
            if algorithm == "fedavgm":
                delta_w = sum((local[i][key] - global_dict[key]) * samples[i] / total for i in range(len(clients)))
                proxy_dict[key] = beta1 * proxy_dict[key] + (1 - beta1) * delta_w if round_idx > 0 else delta_w
                global_dict[key] = global_dict[key] + proxy_dict[key]
            elif algorithm in ("fedadam", "fedyogi", "fedadagrad"):
                delta_w = sum(local[i][key] - global_dict[key] for i in range(len(clients))) / len(clients)
                param = opt_proxy_dict[key]
                if algorithm == "fedadagrad":
                    proxy_dict[key] = delta_w
                    opt_proxy_dict[key] = param + torch.square(proxy_dict[key])
                else:
                    proxy_dict[key] = beta1 * proxy_dict[key] + (1 - beta1) * delta_w if round_idx > 0 else delta_w
                    square = torch.square(proxy_dict[key])
                    if algorithm == "fedadam":
                        opt_proxy_dict[key] = beta2 * param + (1 - beta2) * square
                    else:
                        opt_proxy_dict[key] = param - (1 - beta2) * square * torch.sign(param - square)
                global_dict[key] = global_dict[key] + eta * torch.div(
                    proxy_dict[key], torch.sqrt(opt_proxy_dict[key]) + tau)
            else:  # fedavg, fedprox: dataset-size-weighted average
                global_dict[key] = sum(local[i][key] * samples[i] / total for i in range(len(clients)))
        trajectory.append({n: global_dict[n].numpy().copy() for n in NAMES})
    return trajectory


# ---------------------------------------------------------------- papers (numpy) ----------

def run_scaffold(initial, rounds, eta_g=1.0, sample_weighted=True):
    x = {n: initial[n].astype(np.float64) for n in NAMES}
    c = {n: np.zeros(SHAPES[n]) for n in NAMES}
    trajectory, controls = [], []
    for clients in rounds:
        x32 = {n: x[n].astype(np.float32) for n in NAMES}
        weights = np.array([cl["samples"] if sample_weighted else 1 for cl in clients], dtype=np.float64)
        weights /= weights.sum()
        for n in NAMES:
            step = sum(w * (client_arrays(x32, cl)[n].astype(np.float64) - x32[n]) for w, cl in zip(weights, clients))
            x[n] = (x32[n].astype(np.float64) + eta_g * step).astype(np.float32).astype(np.float64)
            c[n] = (c[n] + sum(cl["controlDelta"][n].astype(np.float64) for cl in clients) / TOTAL_CLIENTS)
            c[n] = c[n].astype(np.float32).astype(np.float64)
        trajectory.append({n: x[n].astype(np.float32) for n in NAMES})
        controls.append({n: c[n].astype(np.float32) for n in NAMES})
    return trajectory, controls


def run_fednova(initial, rounds, eta_g=1.0, rho=0.0):
    def norm(tau):
        if rho == 0:
            return float(tau)
        return (tau - rho * (1 - rho ** tau) / (1 - rho)) / (1 - rho)
    x = {n: initial[n].copy() for n in NAMES}
    trajectory = []
    for clients in rounds:
        p = np.array([cl["samples"] for cl in clients], dtype=np.float64)
        p /= p.sum()
        a = np.array([norm(cl["steps"]) for cl in clients])
        tau_eff = float((p * a).sum())
        new = {}
        for n in NAMES:
            step = sum(pk / ak * (client_arrays(x, cl)[n].astype(np.float64) - x[n]) for pk, ak, cl in zip(p, a, clients))
            new[n] = (x[n].astype(np.float64) + eta_g * tau_eff * step).astype(np.float32)
        x = new
        trajectory.append(x)
    return trajectory


# ---------------------------------------------------------------- output ------------------

def flat(arrays):
    return {n: [float(v) for v in np.asarray(arrays[n], dtype=np.float32).ravel()] for n in NAMES}


def main():
    initial, rounds = make_scenario()
    cases = []

    def add(algorithm, convention, options, source, trajectory, extra=None):
        case = {"algorithm": algorithm, "convention": convention, "options": options, "source": source,
                "trajectory": [flat(t) for t in trajectory]}
        case.update(extra or {})
        cases.append(case)

    flower_cases = [
        ("fedavg", {}, "flwr 1.42 FedAvg()", flower.FedAvg()),
        ("fedprox", {"mu": 0.01}, "flwr 1.42 FedProx(proximal_mu=0.01) (server side = FedAvg)",
         flower.FedProx(proximal_mu=0.01)),
        ("fedavgm", {}, "flwr 1.42 FedAvgM() (eta 1, momentum 0: plain FedAvg)", flower.FedAvgM()),
        ("fedavgm", {"eta": 0.7, "momentum": 0.9}, "flwr 1.42 FedAvgM(server_learning_rate=0.7, server_momentum=0.9)",
         flower.FedAvgM(server_learning_rate=0.7, server_momentum=0.9)),
        ("fedadam", {}, "flwr 1.42 FedAdam()", flower.FedAdam()),
        ("fedyogi", {}, "flwr 1.42 FedYogi()", flower.FedYogi()),
        ("fedadagrad", {}, "flwr 1.42 FedAdagrad()", flower.FedAdagrad()),
        ("fedmedian", {}, "flwr 1.42 FedMedian()", flower.FedMedian()),
        ("trimmedmean", {}, "flwr 1.42 FedTrimmedAvg() (beta 0.2)", flower.FedTrimmedAvg()),
        ("trimmedmean", {"beta": 0.3}, "flwr 1.42 FedTrimmedAvg(beta=0.3)", flower.FedTrimmedAvg(beta=0.3)),
        ("krum", {"byzantine": 1}, "flwr 1.42 Krum(num_malicious_nodes=1)", flower.Krum(num_malicious_nodes=1)),
        ("krum", {"byzantine": 1, "selected": 2}, "flwr 1.42 MultiKrum(num_malicious_nodes=1, num_nodes_to_select=2)",
         flower.MultiKrum(num_malicious_nodes=1, num_nodes_to_select=2)),
    ]
    for algorithm, options, source, strategy in flower_cases:
        add(algorithm, "flower", options, source, run_flower(strategy, initial, rounds))

    for algorithm in ["fedavg", "fedprox", "fedavgm", "fedadam", "fedyogi", "fedadagrad"]:
        add(algorithm, "reference", {}, "reference global_aggregate (torch float32), defaults",
            run_reference(algorithm, initial, rounds))
    add("fedadam", "reference", {"eta": 0.05, "tau": 0.01, "beta1": 0.8, "beta2": 0.9},
        "reference global_aggregate (torch float32), eta 0.05 tau 0.01 beta1 0.8 beta2 0.9",
        run_reference("fedadam", initial, rounds, eta=0.05, tau=0.01, beta1=0.8, beta2=0.9))
    add("fedavgm", "reference", {"momentum": 0.5}, "reference global_aggregate (torch float32), beta1 0.5",
        run_reference("fedavgm", initial, rounds, beta1=0.5))

    for weighted in (1, 0):
        trajectory, controls = run_scaffold(initial, rounds, eta_g=1.0, sample_weighted=bool(weighted))
        add("scaffold", "reference", {"sampleWeighted": weighted}, "Karimireddy et al. 2020 Algorithm 1 (numpy)",
            trajectory, {"serverControl": [flat(c) for c in controls]})
    add("fednova", "reference", {}, "Wang et al. 2020, plain SGD (numpy)", run_fednova(initial, rounds))
    add("fednova", "reference", {"eta": 0.5, "localMomentum": 0.9}, "Wang et al. 2020, local momentum 0.9 (numpy)",
        run_fednova(initial, rounds, eta_g=0.5, rho=0.9))

    payload = {
        "about": "Generated by Tests/Fixtures/make_aggregators_fixtures.py; see its docstring.",
        "names": NAMES,
        "shapes": {n: list(s) for n, s in SHAPES.items()},
        "totalClients": TOTAL_CLIENTS,
        "initial": flat(initial),
        "rounds": [[{"id": c["id"], "samples": c["samples"], "steps": c["steps"],
                     "delta": flat(c["delta"]), "controlDelta": flat(c["controlDelta"])} for c in clients]
                   for clients in rounds],
        "cases": cases,
    }
    out = pathlib.Path("Tests/AggregatorsTests/Fixtures/aggregator_trajectories.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(payload, indent=1) + "\n")
    print(f"wrote {out} ({len(cases)} cases)")


if __name__ == "__main__":
    main()
