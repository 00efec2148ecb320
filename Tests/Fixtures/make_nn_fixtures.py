#!/usr/bin/env python3
"""PyTorch and safetensors reference data for the NN tests (Tests/NNTests).

Layers (nn_layers.json). Each case builds the layer in PyTorch from seeded float32 weights,
runs it in float64 on a seeded float32 input and back-propagates  L = sum(output * upstream)
with a fixed random `upstream`. Parameters are keyed by the PyTorch `state_dict()` names, which
the Swift modules must reproduce (`q_proj.weight`, `gate_proj.weight`, ...). Per case:

    parameters       name -> {"shape", "data"}   float32 values (exact in JSON)
    input / ids      the input tensor (float32) or integer token ids
    upstream         dL/d(output)
    output           forward result (float64 reference)
    input_grad       dL/d(input) (absent for embeddings)
    parameter_grads  name -> dL/d(parameter)
    options          layer configuration (widths, heads, epsilon, rotary base, ...)

The attention case is Llama-style (Hugging Face LlamaAttention): q/k/v/o projections without
bias, rotary embedding in the "rotate_half" layout (inv_freq = base^(-2i/D), cos/sin of
cat(freqs, freqs)), grouped-query attention by repeating each key/value head for its query
heads (repeat_kv), causal masking, scaled_dot_product_attention.

Optimizers (nn_optimizers.json): torch.optim.SGD (momentum, weight decay) and torch.optim.AdamW
in float32 for several steps on fixed gradients (one parameter has no gradient at one step,
so per-parameter state and step counts are exercised), the parameters after every step, and
torch.nn.utils.clip_grad_norm_ on fixed gradients (one case that clips, one that does not).

safetensors interop, both directions:
  * python_written.safetensors + python_written.json: F32, F16 and BF16 tensors and metadata
    written by the `safetensors` package; the JSON lists them in file (data offset) order with
    the float32 bit pattern each value widens to (IEEE 754 exact widening), so Swift can
    compare bit for bit, NaN and infinities included.
  * swift_written_expected.json: names (in the order Swift must write them), shapes, float32
    bits and metadata of a small set. The Swift test SafeTensorsInteropTests builds that set,
    writes it to a temporary directory, re-reads it, and compares its bytes with the committed
    swift_written.safetensors. With FEDVLM_WRITE_FIXTURES=1 in the environment it (re)writes
    that committed file instead. `--verify PATH` loads a Swift-written file with the
    `safetensors` package and checks dtype, order, offsets, values and metadata against the JSON.

Run from the package root (needs torch, numpy, safetensors):
    python3 Tests/Fixtures/make_nn_fixtures.py            # writes every fixture below
    FEDVLM_WRITE_FIXTURES=1 swift test --filter SafeTensorsInteropTests
    python3 Tests/Fixtures/make_nn_fixtures.py --verify Tests/NNTests/Fixtures/swift_written.safetensors
writes Tests/NNTests/Fixtures/{nn_layers.json, nn_optimizers.json, python_written.safetensors,
       python_written.json, swift_written_expected.json}
"""
import argparse
import json
import math
import pathlib
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.numpy import load_file as load_numpy
from safetensors.torch import save_file as save_torch

SEED = 20250702
FIXTURES = pathlib.Path(__file__).resolve().parent.parent / "NNTests" / "Fixtures"

rng = np.random.default_rng(SEED)


def draw(shape, low=-1.0, high=1.0):
    """Seeded float32 draws as a float32 tensor."""
    return torch.from_numpy(rng.uniform(low, high, size=shape).astype(np.float32))


def encode(tensor, digits):
    array = tensor.detach().cpu().to(torch.float64).numpy()
    return {"shape": list(array.shape), "data": [float(f"{v:.{digits}g}") for v in array.reshape(-1).tolist()]}


def exact(tensor):
    """float32 values need 9 significant digits to round-trip exactly."""
    return encode(tensor, 9)


def float32_bits(tensor):
    """Bit patterns of the float32 values a float32, float16 or bfloat16 tensor widens to.

    float16 is widened with NumPy, which follows IEEE 754 (and x86 F16C) exactly, NaN payload
    included; torch's CPU half-to-float gives the same values but turns NaN into 0x7FFFFFFF.
    bfloat16 widening is a 16-bit shift in every implementation.
    """
    tensor = tensor.detach().contiguous()
    if tensor.dtype == torch.float16:
        widened = tensor.view(torch.int16).numpy().view(np.float16).astype(np.float32)
        by_torch = tensor.to(torch.float32).numpy()
        assert np.array_equal(widened, by_torch, equal_nan=True), "torch and NumPy disagree on float16 values"
    else:
        widened = tensor.to(torch.float32).numpy()
    return [int(b) for b in widened.view(np.uint32).reshape(-1).tolist()]


# MARK: - Layers


def layer_case(name, module, options, x=None, ids=None):
    """Loads seeded float32 weights into `module`, runs it in float64, back-propagates."""
    float32_parameters = {key: draw(tuple(value.shape), -0.8, 0.8) for key, value in module.state_dict().items()}
    module = module.to(torch.float64)
    module.load_state_dict({key: value.to(torch.float64) for key, value in float32_parameters.items()})
    record = {"name": name, "options": options,
              "parameters": {key: exact(value) for key, value in float32_parameters.items()}}
    if ids is not None:
        output = module(ids)
        record["ids"] = {"shape": list(ids.shape), "data": [int(i) for i in ids.reshape(-1).tolist()]}
    else:
        record["input"] = exact(x)
        x64 = x.to(torch.float64).requires_grad_(True)
        output = module(x64)
    upstream = draw(tuple(output.shape))
    (output * upstream.to(torch.float64)).sum().backward()
    record["upstream"] = exact(upstream)
    record["output"] = encode(output, 12)
    if ids is None:
        record["input_grad"] = encode(x64.grad, 12)
    record["parameter_grads"] = {key: encode(p.grad, 12) for key, p in module.named_parameters()}
    return record


class SwiGLU(nn.Module):
    """Llama's MLP: down(silu(gate(x)) * up(x))."""

    def __init__(self, dimension, hidden):
        super().__init__()
        self.gate_proj = nn.Linear(dimension, hidden, bias=False)
        self.up_proj = nn.Linear(dimension, hidden, bias=False)
        self.down_proj = nn.Linear(hidden, dimension, bias=False)

    def forward(self, x):
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


class LlamaStyleAttention(nn.Module):
    """Hugging Face LlamaAttention without the cache: GQA, rotary (rotate_half), causal."""

    def __init__(self, dimension, heads, kv_heads, bias, rotary_base, causal):
        super().__init__()
        self.heads, self.kv_heads = heads, kv_heads
        self.head_dim = dimension // heads
        self.rotary_base, self.causal = rotary_base, causal
        self.q_proj = nn.Linear(dimension, heads * self.head_dim, bias=bias)
        self.k_proj = nn.Linear(dimension, kv_heads * self.head_dim, bias=bias)
        self.v_proj = nn.Linear(dimension, kv_heads * self.head_dim, bias=bias)
        self.o_proj = nn.Linear(heads * self.head_dim, dimension, bias=bias)

    def forward(self, x):
        batch, length, _ = x.shape
        q = self.q_proj(x).view(batch, length, self.heads, self.head_dim).transpose(1, 2)
        k = self.k_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        v = self.v_proj(x).view(batch, length, self.kv_heads, self.head_dim).transpose(1, 2)
        if self.rotary_base is not None:
            inv_freq = 1.0 / (self.rotary_base ** (torch.arange(0, self.head_dim, 2, dtype=torch.float64) / self.head_dim))
            freqs = torch.arange(length, dtype=torch.float64)[:, None] * inv_freq[None, :]
            emb = torch.cat((freqs, freqs), dim=-1)
            cos, sin = emb.cos().to(x.dtype), emb.sin().to(x.dtype)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
        repeat = self.heads // self.kv_heads
        # repeat_kv: query head h reads key/value head h // repeat.
        k = k[:, :, None].expand(batch, self.kv_heads, repeat, length, self.head_dim).reshape(batch, self.heads, length, self.head_dim)
        v = v[:, :, None].expand(batch, self.kv_heads, repeat, length, self.head_dim).reshape(batch, self.heads, length, self.head_dim)
        attended = F.scaled_dot_product_attention(q, k, v, is_causal=self.causal)
        return self.o_proj(attended.transpose(1, 2).reshape(batch, length, self.heads * self.head_dim))


def layer_cases():
    cases = []
    cases.append(layer_case("linear", nn.Linear(5, 3), {"in": 5, "out": 3, "bias": True}, x=draw((2, 4, 5))))
    cases.append(layer_case("linear_no_bias", nn.Linear(4, 6, bias=False), {"in": 4, "out": 6, "bias": False},
                            x=draw((3, 4))))
    ids = torch.tensor([[1, 4, 4], [0, 6, 1]], dtype=torch.int64)  # repeated ids accumulate gradient
    cases.append(layer_case("embedding", nn.Embedding(7, 4), {"vocabulary": 7, "dimension": 4}, ids=ids))
    cases.append(layer_case("layer_norm", nn.LayerNorm(6, eps=1e-5), {"dimension": 6, "epsilon": 1e-5},
                            x=draw((2, 3, 6), -2, 2)))
    cases.append(layer_case("rms_norm", nn.RMSNorm(6, eps=1e-6), {"dimension": 6, "epsilon": 1e-6},
                            x=draw((2, 3, 6), -2, 2)))
    cases.append(layer_case("swiglu", SwiGLU(6, 10), {"dimension": 6, "hidden": 10}, x=draw((2, 3, 6))))
    cases.append(layer_case("attention_llama",
                            LlamaStyleAttention(16, 4, 2, bias=False, rotary_base=10000.0, causal=True),
                            {"dimension": 16, "heads": 4, "kv_heads": 2, "bias": False, "rotary_base": 10000.0,
                             "causal": True},
                            x=draw((2, 5, 16))))
    cases.append(layer_case("attention_vit",
                            LlamaStyleAttention(8, 2, 2, bias=True, rotary_base=None, causal=False),
                            {"dimension": 8, "heads": 2, "kv_heads": 2, "bias": True, "rotary_base": None,
                             "causal": False},
                            x=draw((1, 4, 8))))
    return cases


# MARK: - Optimizers


def optimizer_case(name, make_optimizer, options, steps=5, missing_step=2):
    """Runs a torch optimizer in float32 on fixed gradients; `bias` has no gradient at `missing_step`."""
    initial = {"weight": draw((3, 4)), "bias": draw((4,))}
    parameters = {key: torch.nn.Parameter(value.clone()) for key, value in initial.items()}
    optimizer = make_optimizer(list(parameters.values()))
    record = {"name": name, "options": options, "initial": {k: exact(v) for k, v in initial.items()}, "steps": []}
    for step in range(steps):
        gradients = {}
        for key, parameter in parameters.items():
            if key == "bias" and step == missing_step:
                parameter.grad = None
                continue
            gradient = draw(tuple(parameter.shape), -2, 2)
            parameter.grad = gradient.clone()
            gradients[key] = exact(gradient)
        optimizer.step()
        record["steps"].append({"gradients": gradients,
                                "parameters": {k: exact(p.detach()) for k, p in parameters.items()}})
    return record


def clip_case(name, max_norm):
    gradients = {"a": draw((2, 3), -1, 1), "b": draw((4,), -1, 1), "c": draw((1, 2, 2), -1, 1)}
    parameters = [torch.nn.Parameter(torch.zeros_like(g)) for g in gradients.values()]
    for parameter, gradient in zip(parameters, gradients.values()):
        parameter.grad = gradient.clone()
    total_norm = torch.nn.utils.clip_grad_norm_(parameters, max_norm)
    return {"name": name, "max_norm": max_norm, "gradients": {k: exact(v) for k, v in gradients.items()},
            "total_norm": float(total_norm),
            "clipped": {k: exact(p.grad) for k, p in zip(gradients, parameters)}}


def optimizer_cases():
    return {
        "optimizers": [
            optimizer_case("sgd_momentum", lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01),
                           {"learning_rate": 0.1, "momentum": 0.9, "weight_decay": 0.01}),
            optimizer_case("sgd_plain", lambda p: torch.optim.SGD(p, lr=0.05),
                           {"learning_rate": 0.05, "momentum": 0.0, "weight_decay": 0.0}, steps=3),
            optimizer_case("adamw", lambda p: torch.optim.AdamW(p, lr=0.01, betas=(0.9, 0.999), eps=1e-8,
                                                                weight_decay=0.1),
                           {"learning_rate": 0.01, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                            "weight_decay": 0.1}, steps=6),
        ],
        "clipping": [clip_case("clips", 1.0), clip_case("below_limit", 100.0)],
    }


# MARK: - safetensors interop


def header_of(path):
    """(header dict in file order, buffer start) parsed by hand, independent of the library."""
    with open(path, "rb") as handle:
        (length,) = struct.unpack("<Q", handle.read(8))
        return json.loads(handle.read(length).decode("utf-8")), 8 + length


def write_python_interop():
    specials = [0.0, -0.0, 1.0, -2.5, 65504.0, 6.0e-8, 2.0 ** -20, 1.0e-3, math.inf, -math.inf, math.nan, 3.14159]
    tensors = {
        "encoder.f32.weight": draw((2, 3), -3, 3),
        "encoder.f16.specials": torch.tensor(specials, dtype=torch.float32).to(torch.float16),
        "encoder.f16.matrix": draw((2, 2, 3), -4, 4).to(torch.float16),
        "decoder.bf16.specials": torch.tensor(specials + [1.0e30, -3.0e-30], dtype=torch.float32).to(torch.bfloat16),
        "decoder.bf16.matrix": draw((3, 2), -100, 100).to(torch.bfloat16),
        "decoder.f32.scalar": torch.tensor(0.75, dtype=torch.float32),
    }
    # One key: the package keeps metadata in a hash map, so with several keys their order in the
    # header (and the file's bytes) would change from run to run.
    metadata = {"format": "pt"}
    path = FIXTURES / "python_written.safetensors"
    save_torch(tensors, str(path), metadata=metadata)
    header, _ = header_of(path)
    ordered = sorted((key for key in header if key != "__metadata__"), key=lambda key: header[key]["data_offsets"][0])
    expected = {"source": "Tests/Fixtures/make_nn_fixtures.py", "metadata": metadata, "tensors": [
        {"name": key, "dtype": header[key]["dtype"], "shape": header[key]["shape"],
         "float32_bits": float32_bits(tensors[key])} for key in ordered]}
    (FIXTURES / "python_written.json").write_text(json.dumps(expected, indent=1) + "\n")


def swift_expected_set():
    """The set the Swift test writes: deliberately unsorted names, edge values, a scalar and an empty tensor."""
    specials = torch.tensor([0.0, -0.0, 1.0e-45, -3.4028234663852886e38, math.inf, -math.inf, math.nan, 1.0 / 3.0],
                            dtype=torch.float32)
    entries = [
        ("model.layers.1.mlp.down_proj.weight", draw((3, 2))),
        ("model.layers.0.mlp.down_proj.weight", draw((3, 2))),
        ("model.norm.weight", specials),
        ("temperature", torch.tensor(0.5, dtype=torch.float32)),
        ("empty.bias", torch.zeros((2, 0), dtype=torch.float32)),
        ("unusual \"quoted\" name\twith ünïcode\\", draw((2,))),
    ]
    metadata = {"format": "pt", "producer": "FedVLM NN tests", "round": "3", "quote \"and\" newline\n": "ü"}
    return {"source": "Tests/Fixtures/make_nn_fixtures.py", "metadata": metadata,
            "tensors": [{"name": name, "shape": list(t.shape), "float32_bits": float32_bits(t)} for name, t in entries]}


def verify_swift_file(path):
    """Checks a Swift-written file against swift_written_expected.json; exits non-zero on a mismatch."""
    expected = json.loads((FIXTURES / "swift_written_expected.json").read_text())
    problems = []
    header, buffer_start = header_of(path)
    names = [key for key in header if key != "__metadata__"]
    expected_names = [entry["name"] for entry in expected["tensors"]]
    if names != expected_names:
        problems.append(f"header order {names} != {expected_names}")
    offset = 0
    for name in names:
        entry = header[name]
        if entry["dtype"] != "F32":
            problems.append(f"{name}: dtype {entry['dtype']}, expected F32")
        begin, end = entry["data_offsets"]
        if begin != offset:
            problems.append(f"{name}: data begins at {begin}, expected {offset} (tensors written in set order)")
        offset = end
    if buffer_start % 8 != 0:
        problems.append(f"buffer starts at byte {buffer_start}, not 8-byte aligned")
    loaded = load_numpy(str(path))  # the library validates offsets and coverage itself
    with safe_open(str(path), framework="np") as handle:
        metadata = handle.metadata()
    if metadata != expected["metadata"]:
        problems.append(f"metadata {metadata} != {expected['metadata']}")
    for entry in expected["tensors"]:
        array = loaded.get(entry["name"])
        if array is None:
            problems.append(f"{entry['name']}: missing")
            continue
        if list(array.shape) != entry["shape"]:
            problems.append(f"{entry['name']}: shape {list(array.shape)} != {entry['shape']}")
        bits = [int(b) for b in array.astype(np.float32).view(np.uint32).reshape(-1).tolist()]
        if bits != entry["float32_bits"]:
            problems.append(f"{entry['name']}: values differ: {bits} != {entry['float32_bits']}")
    if problems:
        print(f"{path}: FAILED")
        for problem in problems:
            print("  " + problem)
        return False
    print(f"{path}: OK ({len(names)} tensors, metadata {len(metadata)} keys, read by safetensors "
          f"{__import__('safetensors').__version__})")
    return True


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--verify", metavar="PATH", help="check a Swift-written safetensors file and exit")
    arguments = parser.parse_args()
    if arguments.verify:
        sys.exit(0 if verify_swift_file(pathlib.Path(arguments.verify)) else 1)

    torch.manual_seed(SEED)
    FIXTURES.mkdir(parents=True, exist_ok=True)
    layers = {"source": "Tests/Fixtures/make_nn_fixtures.py", "torch": torch.__version__, "cases": layer_cases()}
    (FIXTURES / "nn_layers.json").write_text(json.dumps(layers) + "\n")
    optimizers = {"source": "Tests/Fixtures/make_nn_fixtures.py", "torch": torch.__version__, **optimizer_cases()}
    (FIXTURES / "nn_optimizers.json").write_text(json.dumps(optimizers) + "\n")
    write_python_interop()
    (FIXTURES / "swift_written_expected.json").write_text(json.dumps(swift_expected_set(), indent=1) + "\n")
    print(f"wrote fixtures to {FIXTURES}")
    swift_file = FIXTURES / "swift_written.safetensors"
    if swift_file.exists():
        verify_swift_file(swift_file)


if __name__ == "__main__":
    main()
