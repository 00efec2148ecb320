"""Writes Tests/ModelsTests/Fixtures/blocks.json: a Llama-style decoder block and a CLIP-style ViT
block computed in PyTorch (float64) from fixed weights, with the output and every gradient of
sum(output * probe), so the Swift blocks (Models.DecoderLayer, Models.VisionEncoderLayer) can be
checked forward and backward without Python.

Run from the repository root: python3 Tests/Fixtures/make_block_fixtures.py
"""
import json
import math
import os

import torch

torch.manual_seed(1234)
DT = torch.float64


def rotate_half(x):
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def rotary(x, base=10000.0):
    # x [B, H, T, D], Hugging Face Llama layout.
    t, d = x.shape[2], x.shape[3]
    inv = base ** (-torch.arange(0, d, 2, dtype=DT) / d)
    angles = torch.arange(t, dtype=DT)[:, None] * inv[None, :]
    emb = torch.cat([angles, angles], dim=-1)
    return x * emb.cos() + rotate_half(x) * emb.sin()


def rms_norm(x, w, eps=1e-6):
    return x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps) * w


def attention(x, p, prefix, heads, kv_heads, use_rotary, causal, bias):
    b, t, c = x.shape
    d = c // heads

    def lin(name, inp):
        out = inp @ p[f"{prefix}.{name}.weight"].T
        return out + p[f"{prefix}.{name}.bias"] if bias else out

    q = lin("q_proj", x).view(b, t, heads, d).transpose(1, 2)
    k = lin("k_proj", x).view(b, t, kv_heads, d).transpose(1, 2)
    v = lin("v_proj", x).view(b, t, kv_heads, d).transpose(1, 2)
    if use_rotary:
        q, k = rotary(q), rotary(k)
    group = heads // kv_heads
    k = k.repeat_interleave(group, dim=1)
    v = v.repeat_interleave(group, dim=1)
    scores = q @ k.transpose(-1, -2) / math.sqrt(d)
    if causal:
        scores = scores.masked_fill(torch.triu(torch.ones(t, t, dtype=torch.bool), 1), float("-inf"))
    out = (scores.softmax(-1) @ v).transpose(1, 2).reshape(b, t, c)
    return lin("o_proj", out)


def make(shapes):
    return {name: (torch.randn(*shape, dtype=DT) * scale).requires_grad_() for name, (shape, scale) in shapes.items()}


def case(name, params, x, forward):
    x = x.clone().requires_grad_()
    y = forward(x, params)
    probe = torch.randn_like(y)
    (y * probe).sum().backward()
    flat = lambda t: [float(v) for v in t.detach().reshape(-1)]
    return {
        "name": name,
        "input": {"shape": list(x.shape), "values": flat(x)},
        "output": {"shape": list(y.shape), "values": flat(y)},
        "probe": flat(probe),
        "input_grad": flat(x.grad),
        "parameters": {k: {"shape": list(v.shape), "values": flat(v)} for k, v in params.items()},
        "parameter_grads": {k: flat(v.grad) for k, v in params.items()},
    }


C, HEADS, KV, HIDDEN, T, B = 16, 4, 2, 32, 5, 2
llama = make({
    "self_attn.q_proj.weight": ((C, C), 0.3), "self_attn.k_proj.weight": ((C // HEADS * KV, C), 0.3),
    "self_attn.v_proj.weight": ((C // HEADS * KV, C), 0.3), "self_attn.o_proj.weight": ((C, C), 0.3),
    "mlp.gate_proj.weight": ((HIDDEN, C), 0.3), "mlp.up_proj.weight": ((HIDDEN, C), 0.3),
    "mlp.down_proj.weight": ((C, HIDDEN), 0.3),
    "input_layernorm.weight": ((C,), 0.2), "post_attention_layernorm.weight": ((C,), 0.2),
})
with torch.no_grad():
    for key in ("input_layernorm.weight", "post_attention_layernorm.weight"):
        llama[key] += 1.0


def llama_block(x, p):
    h = x + attention(rms_norm(x, p["input_layernorm.weight"]), p, "self_attn", HEADS, KV, True, True, False)
    n = rms_norm(h, p["post_attention_layernorm.weight"])
    mlp = (torch.nn.functional.silu(n @ p["mlp.gate_proj.weight"].T) * (n @ p["mlp.up_proj.weight"].T)) @ p["mlp.down_proj.weight"].T
    return h + mlp


vit = make({
    "layer_norm1.weight": ((C,), 0.2), "layer_norm1.bias": ((C,), 0.2),
    "self_attn.q_proj.weight": ((C, C), 0.3), "self_attn.q_proj.bias": ((C,), 0.1),
    "self_attn.k_proj.weight": ((C, C), 0.3), "self_attn.k_proj.bias": ((C,), 0.1),
    "self_attn.v_proj.weight": ((C, C), 0.3), "self_attn.v_proj.bias": ((C,), 0.1),
    "self_attn.o_proj.weight": ((C, C), 0.3), "self_attn.o_proj.bias": ((C,), 0.1),
    "layer_norm2.weight": ((C,), 0.2), "layer_norm2.bias": ((C,), 0.2),
    "mlp.fc1.weight": ((HIDDEN, C), 0.3), "mlp.fc1.bias": ((HIDDEN,), 0.1),
    "mlp.fc2.weight": ((C, HIDDEN), 0.3), "mlp.fc2.bias": ((C,), 0.1),
})
with torch.no_grad():
    for key in ("layer_norm1.weight", "layer_norm2.weight"):
        vit[key] += 1.0


def vit_block(x, p):
    ln = lambda t, n: torch.nn.functional.layer_norm(t, (C,), p[f"{n}.weight"], p[f"{n}.bias"], 1e-5)
    h = x + attention(ln(x, "layer_norm1"), p, "self_attn", HEADS, HEADS, False, False, True)
    m = torch.nn.functional.gelu(ln(h, "layer_norm2") @ p["mlp.fc1.weight"].T + p["mlp.fc1.bias"])
    return h + m @ p["mlp.fc2.weight"].T + p["mlp.fc2.bias"]


cases = [case("llama_block", llama, torch.randn(B, T, C, dtype=DT), llama_block),
         case("vit_block", vit, torch.randn(B, T, C, dtype=DT), vit_block)]
out = os.path.join(os.path.dirname(__file__), "..", "ModelsTests", "Fixtures", "blocks.json")
os.makedirs(os.path.dirname(out), exist_ok=True)
with open(out, "w") as f:
    json.dump({"generator": "Tests/Fixtures/make_block_fixtures.py", "torch": torch.__version__, "cases": cases}, f)
print("wrote", out)
