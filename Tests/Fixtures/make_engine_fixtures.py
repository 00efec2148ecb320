#!/usr/bin/env python3
"""PyTorch reference values for the Autograd parity tests (Tests/AutogradTests/PyTorchParityTests.swift).

Every case draws its inputs from a seeded NumPy generator as float32 values (so the Swift side,
which computes in Float32, starts from bit-identical numbers), runs the operation in PyTorch in
float64, and back-propagates the loss  L = sum(output * upstream)  with a fixed random `upstream`
tensor. The JSON stores, per case:

    inputs     name -> {"shape": [...], "data": [...]}   float32 values (row-major)
    indices    name -> {"shape": [...], "data": [...]}   integer ids / targets (optional)
    options    scalars such as stride, padding, epsilon, offset
    upstream   the seed gradient dL/d(output)
    output     the forward result (float64 reference)
    gradients  name -> dL/d(input) (float64 reference)

Conventions follow the Swift engine (Docs/Engine.md): nn.Linear weight layout [out, in], exact-erf
GELU, RMS norm written by formula (x * rsqrt(mean(x^2) + eps) * w, as Hugging Face Llama), rotary
embedding in the Llama "rotate_half" layout with base 10000, grouped-query attention by
repeat_interleave of the key/value heads, causal masking with an offset expressed as an explicit
mask (query i sees keys 0 ... offset + i).

It also writes reference streams of the Tensors module's RandomGenerator (xoshiro256** seeded
through SplitMix64, Blackman & Vigna 2018), from a Python transcription that is first checked
against the published xoshiro256** vector for the state {1, 2, 3, 4} (rand_xoshiro's `reference`
test, values produced with Vigna's xoshiro256starstar.c).

Run from the package root (needs torch and numpy):
    python3 Tests/Fixtures/make_engine_fixtures.py
writes Tests/AutogradTests/Fixtures/engine_parity.json
   and Tests/TensorsTests/Fixtures/xoshiro256starstar.json
"""
import json
import math
import pathlib

import numpy as np
import torch
import torch.nn.functional as F

SEED = 20240611
TESTS = pathlib.Path(__file__).resolve().parent.parent
OUTPUT = TESTS / "AutogradTests" / "Fixtures" / "engine_parity.json"
RANDOM_OUTPUT = TESTS / "TensorsTests" / "Fixtures" / "xoshiro256starstar.json"

rng = np.random.default_rng(SEED)


def draw(shape, low=-1.0, high=1.0):
    """Seeded float32 draws, returned as a float64 tensor holding exactly those float32 values."""
    values = rng.uniform(low, high, size=shape).astype(np.float32)
    return torch.tensor(values.astype(np.float64), dtype=torch.float64)


def leaf(shape, low=-1.0, high=1.0):
    return draw(shape, low, high).requires_grad_(True)


def encode(tensor, digits):
    array = tensor.detach().cpu().numpy()
    return {"shape": list(array.shape), "data": [float(f"{v:.{digits}g}") for v in array.reshape(-1).tolist()]}


def case(name, inputs, output, options=None, indices=None):
    """Back-propagates sum(output * upstream) and packs everything for JSON."""
    upstream = draw(tuple(output.shape))
    (output * upstream).sum().backward()
    record = {
        "name": name,
        # float32 inputs need 9 significant digits to round-trip exactly.
        "inputs": {key: encode(value, 9) for key, value in inputs.items()},
        "upstream": encode(upstream, 9),
        "output": encode(output, 12),
        "gradients": {key: encode(value.grad, 12) for key, value in inputs.items()},
        "options": options or {},
    }
    if indices:
        record["indices"] = {key: {"shape": list(v.shape), "data": [int(i) for i in v.reshape(-1).tolist()]}
                             for key, v in indices.items()}
    return record


def rms_norm(x, weight, eps):
    return x * torch.rsqrt(x.pow(2).mean(dim=-1, keepdim=True) + eps) * weight


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat((-x[..., half:], x[..., :half]), dim=-1)


def rotary(x, offset, base):
    """Hugging Face Llama rotary embedding: inv_freq = base^(-2i/D), emb = cat(freqs, freqs)."""
    length, depth = x.shape[-2], x.shape[-1]
    inv_freq = 1.0 / (base ** (torch.arange(0, depth, 2, dtype=torch.float64) / depth))
    positions = torch.arange(offset, offset + length, dtype=torch.float64)
    freqs = torch.outer(positions, inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return x * emb.cos() + rotate_half(x) * emb.sin()


def attention(q, k, v, mask):
    """softmax(q k^T / sqrt(D) + mask) v with k/v heads repeated for grouped-query attention."""
    group = q.shape[1] // k.shape[1]
    k = k.repeat_interleave(group, dim=1)
    v = v.repeat_interleave(group, dim=1)
    return F.scaled_dot_product_attention(q, k, v, attn_mask=mask)


def build_cases():
    cases = []

    x, w, b = leaf((2, 3, 4)), leaf((5, 4)), leaf((5,))
    cases.append(case("linear", {"x": x, "weight": w, "bias": b}, F.linear(x, w, b)))

    # Batch dimensions [2, 1] and [3] broadcast to [2, 3].
    a, bm = leaf((2, 1, 3, 4)), leaf((3, 4, 2))
    cases.append(case("matmul_batched", {"a": a, "b": bm}, torch.matmul(a, bm)))

    x = leaf((3, 5), -3, 3)
    cases.append(case("softmax", {"x": x}, torch.softmax(x, dim=-1)))

    x = leaf((3, 5), -3, 3)
    cases.append(case("log_softmax", {"x": x}, torch.log_softmax(x, dim=-1)))

    x, w, b = leaf((2, 3, 6), -2, 2), leaf((6,), 0.5, 1.5), leaf((6,))
    cases.append(case("layer_norm", {"x": x, "weight": w, "bias": b},
                      F.layer_norm(x, (6,), w, b, eps=1e-5), options={"epsilon": 1e-5}))

    x, w = leaf((2, 3, 6), -2, 2), leaf((6,), 0.5, 1.5)
    cases.append(case("rms_norm", {"x": x, "weight": w}, rms_norm(x, w, 1e-6), options={"epsilon": 1e-6}))

    x = leaf((12,), -3, 3)
    cases.append(case("gelu", {"x": x}, F.gelu(x, approximate="none")))

    x = leaf((12,), -4, 4)
    cases.append(case("silu", {"x": x}, F.silu(x)))

    table = leaf((7, 4))
    ids = torch.tensor([[1, 3, 3], [0, 6, 1]])          # repeated ids: their gradients add
    cases.append(case("embedding", {"table": table}, F.embedding(ids, table), indices={"ids": ids}))

    logits = leaf((6, 5), -2, 2)
    targets = torch.tensor([2, -100, 0, 4, -100, 2])
    cases.append(case("cross_entropy", {"logits": logits},
                      F.cross_entropy(logits, targets, ignore_index=-100),
                      options={"ignoreIndex": -100}, indices={"targets": targets}))

    x, w, b = leaf((2, 3, 5, 5)), leaf((4, 3, 3, 3)), leaf((4,))
    cases.append(case("conv2d", {"input": x, "weight": w, "bias": b},
                      F.conv2d(x, w, b, stride=2, padding=1), options={"stride": 2, "padding": 1}))

    q, k, v = leaf((2, 2, 4, 4)), leaf((2, 2, 4, 4)), leaf((2, 2, 4, 4))
    cases.append(case("attention_causal", {"query": q, "key": k, "value": v},
                      F.scaled_dot_product_attention(q, k, v, is_causal=True), options={"causal": 1}))

    # Additive mask [B, 1, TQ, TK]: finite bias everywhere, -inf where `masked` is 1 (padding keys).
    q, k, v = leaf((2, 2, 3, 4)), leaf((2, 2, 5, 4)), leaf((2, 2, 5, 4))
    bias = draw((2, 1, 3, 5), -0.5, 0.5)
    masked = torch.zeros((2, 1, 3, 5), dtype=torch.int64)
    masked[0, :, :, 4] = 1
    masked[1, :, :, 3:] = 1
    masked[1, 0, 2, 0] = 1
    mask = bias.masked_fill(masked.bool(), -math.inf)
    record = case("attention_additive_mask", {"query": q, "key": k, "value": v}, attention(q, k, v, mask),
                  indices={"masked": masked})
    record["bias"] = encode(bias, 9)
    cases.append(record)

    # Grouped-query attention (H = 4 query heads, 2 key/value heads, G = 2) with a causal mask whose
    # first query sits at absolute position offset = TK - TQ (a KV cache of 2 tokens).
    q, k, v = leaf((1, 4, 3, 4)), leaf((1, 2, 5, 4)), leaf((1, 2, 5, 4))
    offset = 2
    allowed = torch.arange(5)[None, :] <= (offset + torch.arange(3))[:, None]
    mask = torch.zeros((3, 5), dtype=torch.float64).masked_fill(~allowed, -math.inf)
    cases.append(case("attention_gqa_causal_offset", {"query": q, "key": k, "value": v},
                      attention(q, k, v, mask), options={"causalOffset": offset}))

    x = leaf((1, 2, 5, 8))
    cases.append(case("rotary", {"x": x}, rotary(x, offset=3, base=10000.0),
                      options={"offset": 3, "base": 10000}))
    return cases


# MARK: RandomGenerator reference streams (pure Python integers)

MASK64 = (1 << 64) - 1
PUBLISHED_STATE = [1, 2, 3, 4]
PUBLISHED_OUTPUTS = [11520, 0, 1509978240, 1215971899390074240, 1216172134540287360, 607988272756665600,
                     16172922978634559625, 8476171486693032832, 10595114339597558777, 2904607092377533576]


def splitmix64_step(x):
    """Returns (new state, output) of one SplitMix64 step."""
    x = (x + 0x9E3779B97F4A7C15) & MASK64
    z = x
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & MASK64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & MASK64
    return x, z ^ (z >> 31)


def xoshiro_state_from_seed(seed):
    state, mixer = [], seed & MASK64
    for _ in range(4):
        mixer, word = splitmix64_step(mixer)
        state.append(word)
    return state


def rotl(x, k):
    return ((x << k) | (x >> (64 - k))) & MASK64


def xoshiro256starstar(state, count):
    s = list(state)
    outputs = []
    for _ in range(count):
        outputs.append((rotl((s[1] * 5) & MASK64, 7) * 9) & MASK64)
        t = (s[1] << 17) & MASK64
        s[2] ^= s[0]
        s[3] ^= s[1]
        s[1] ^= s[2]
        s[0] ^= s[3]
        s[2] ^= t
        s[3] = rotl(s[3], 45)
    return outputs


def random_streams():
    assert xoshiro256starstar(PUBLISHED_STATE, len(PUBLISHED_OUTPUTS)) == PUBLISHED_OUTPUTS, \
        "the Python xoshiro256** does not reproduce the published vector"
    streams = []
    for seed in [0, 1, 42, MASK64]:
        state = xoshiro_state_from_seed(seed)
        outputs = xoshiro256starstar(state, 8)
        streams.append({
            "seed": str(seed),  # strings: JSON numbers above 2^53 lose precision in many decoders
            "state": [str(word) for word in state],
            "outputs": [str(value) for value in outputs],
            # nextUniform(): the top 24 bits scaled by 2^-24.
            "uniform": [(value >> 40) * 2.0 ** -24 for value in outputs],
        })
    return {
        "generator": "Tests/Fixtures/make_engine_fixtures.py",
        "published": {
            "reference": "rand_xoshiro xoshiro256starstar.rs test `reference` (values from xoshiro256starstar.c)",
            "state": [str(word) for word in PUBLISHED_STATE],
            "outputs": [str(value) for value in PUBLISHED_OUTPUTS],
        },
        "streams": streams,
    }


def main():
    RANDOM_OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    RANDOM_OUTPUT.write_text(json.dumps(random_streams(), indent=1) + "\n")
    print(f"wrote {RANDOM_OUTPUT} ({RANDOM_OUTPUT.stat().st_size} bytes)")

    torch.manual_seed(SEED)
    document = {
        "generator": "Tests/Fixtures/make_engine_fixtures.py",
        "torch": torch.__version__,
        "seed": SEED,
        "referencePrecision": "float64 (inputs are float32 values)",
        "loss": "sum(output * upstream)",
        "cases": build_cases(),
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(json.dumps(document, separators=(",", ":")) + "\n")
    print(f"wrote {OUTPUT} ({OUTPUT.stat().st_size} bytes, {len(document['cases'])} cases)")


if __name__ == "__main__":
    main()
