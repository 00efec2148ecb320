#!/usr/bin/env python3
"""PyTorch CPU reference for the Swift `kernel-bench` executable.

Runs the configurations of `kernel-bench` (Benchmarks/KernelBench) in plain PyTorch, timed
with the same scheme (warm-up calls, then timed samples; each sample repeats a fast call
until it lasts at least --min-sample-ms; the median sample is reported), and compares the
two side by side.

    python3 Benchmarks/pytorch_reference.py run [matmul|attention|train-step|generate|all] [--json] [--lora]
    python3 Benchmarks/pytorch_reference.py compare [matmul|attention|train-step|generate|all] [--lora]
        [--binary .build/release/kernel-bench] [--output kernel-bench-compare.jsonl] [--rounds N]

`compare` runs the Swift binary (building it with `swift build -c release --product
kernel-bench` when it is missing) and PyTorch on each benchmark in turn, one after the other so
they do not share the cores, prints a table with the ratio Swift speed / PyTorch speed
(> 1 means Swift is faster) and writes every row as a JSON line. On a shared machine whose speed
drifts by tens of percent from one minute to the next, `--rounds N` runs each benchmark N times
on both sides, back to back with the first side alternating, and reports the median of the
per-round ratios with their range.

Configurations (the Swift side's, see Docs/Benchmarks.md):
  matmul      a [M, K] @ b [K, N] for square 256, 512, 1024, 2048 and 4096x512 * 512x2048;
              GFLOPS = 2 M N K / median time, and the % of --peak-gflops.
  attention   F.scaled_dot_product_attention(q, k, v, is_causal=True), q/k/v [8, 8, T, 64]
              requiring gradients, T = 128 and 256; forward ms and forward+backward ms.
  train-step  Llama-style decoder: vocabulary 4096, width 256, 4 layers, 4 heads of 64,
              RMSNorm (eps 1e-6), rotary positions (base 10000, rotate-half layout), SwiGLU
              with hidden 1024, untied output head, no biases; batch 16 x 128 tokens of random
              ids from a seeded generator; mean next-token cross-entropy; AdamW lr 1e-3
              (weight decay 0.01, PyTorch's default and the Swift AdamW's). tokens/s =
              batch * seq / median step time (forward + backward + optimizer step).
              With --lora a second row trains LoRA r 8, alpha 32, dropout 0.05 on q_proj and
              v_proj with every base parameter frozen.
  generate    the train-step decoder in eval mode under torch.no_grad(): batch 16 prompts of 64
              random ids, then 64 new tokens each by argmax (no stop token), with a KV cache
              (per layer, k and v concatenated along the sequence every step). Prefill = time to
              the first token (prompt forward through F.scaled_dot_product_attention with
              is_causal, head on the last position, argmax) = a 1-token call; decode = the 63
              single-token steps (no mask, rotary at the cached offset) = 64-token call - 1-token
              call. decode tokens/s = batch * 63 / decode time; total tokens/s = batch * 64 /
              64-token call.
Needs only torch (CPU build) and the standard library.
"""

import argparse
import datetime
import json
import math
import os
import re
import statistics
import subprocess
import sys
import time

BENCHMARKS = ("matmul", "attention", "train-step", "generate")
MATMUL_SHAPES = [(256, 256, 256), (512, 512, 512), (1024, 1024, 1024), (2048, 2048, 2048), (4096, 512, 2048)]
ATTENTION_LENGTHS = (128, 256)
ATTENTION_BATCH, ATTENTION_HEADS, ATTENTION_HEAD_DIM = 8, 8, 64
MODEL = dict(vocab=4096, d_model=256, layers=4, heads=4, hidden=1024, rotary_base=10_000.0, norm_eps=1e-6)
LORA = dict(rank=8, alpha=32.0, dropout=0.05, targets=("q_proj", "v_proj"))
# Defaults shared with the Swift subcommands (each keeps a subcommand to about a minute or less).
DEFAULT_REPEATS = {"matmul": 20, "attention": 20, "train-step": 10, "generate": 10}
DEFAULT_WARMUP = {"matmul": 3, "attention": 2, "train-step": 2, "generate": 2}


def import_torch():
    """Imports torch, or exits with a message saying how to install the CPU build."""
    try:
        import torch  # noqa: F401
    except ImportError:
        sys.exit("pytorch_reference.py: torch is not installed; install the CPU build, e.g. "
                 "pip install torch --index-url https://download.pytorch.org/whl/cpu")
    return torch


# ---------------------------------------------------------------------------------------------
# Timing (the scheme of Benchmarks/KernelBench/Measurement.swift)

class Timing:
    """Seconds per call of each timed sample."""

    def __init__(self, samples, calls_per_sample):
        self.samples = samples
        self.calls_per_sample = calls_per_sample

    @property
    def median(self):
        return statistics.median(self.samples)

    @property
    def minimum(self):
        return min(self.samples)

    @property
    def relative_spread(self):
        center = self.median
        return statistics.median(abs(s - center) for s in self.samples) / center if center > 0 else 0.0


def measure(body, warmup, repeats, minimum_sample_seconds):
    """`warmup` untimed calls; then count the calls that fill one minimum sample right after the
    warm-up (at least one), and time `repeats` samples of that many calls."""
    for _ in range(warmup):
        body()
    calls, start = 0, time.perf_counter()
    while True:
        body()
        calls += 1
        if time.perf_counter() - start >= minimum_sample_seconds:
            break
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            body()
        samples.append((time.perf_counter() - start) / calls)
    return Timing(samples, calls)


# ---------------------------------------------------------------------------------------------
# Environment

def environment(torch):
    """Library build and threads, recorded in every row (the Swift side records its BLAS)."""
    config = torch.__config__.show()
    blas = re.search(r"BLAS_INFO=(\w+)", config)
    capability = re.search(r"CPU capability usage: (\w+)", config)
    backend = re.search(r"ATen parallel backend: (\w+)", torch.__config__.parallel_info())
    description = (f"PyTorch {torch.__version__} (BLAS {blas.group(1) if blas else 'unknown'}, "
                   f"CPU capability {capability.group(1) if capability else 'unknown'}, "
                   f"parallel backend {backend.group(1) if backend else 'unknown'})")
    return {
        "blas": description,
        "threads": torch.get_num_threads(),
        "interop_threads": torch.get_num_interop_threads(),
        "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        # Above the core count, other processes compete for the cores: timings are pessimistic.
        "load_average": os.getloadavg()[0],
    }


def annotate(row, timing, warmup, env):
    row.update(repeats=len(timing.samples), warmup=warmup, calls_per_sample=timing.calls_per_sample,
               relative_spread=timing.relative_spread)
    row.update(env)
    return row


# ---------------------------------------------------------------------------------------------
# matmul

def matmul_label(m, k, n):
    return f"{m}x{k} * {k}x{n}"


def bench_matmul(torch, args, env):
    generator = torch.Generator().manual_seed(args.seed)
    warmup, repeats = args.warmup_for("matmul"), args.repeats_for("matmul")
    rows = []
    for m, k, n in MATMUL_SHAPES:
        a = torch.randn(m, k, generator=generator)
        b = torch.randn(k, n, generator=generator)
        timing = measure(lambda: torch.mm(a, b), warmup, repeats, args.min_sample_ms / 1000)
        gflops = 2 * m * n * k / timing.median / 1e9
        rows.append(annotate({
            "benchmark": "matmul", "implementation": "pytorch", "case": matmul_label(m, k, n),
            "m": m, "k": k, "n": n, "median_ms": timing.median * 1e3, "min_ms": timing.minimum * 1e3,
            "gflops": gflops, "peak_gflops": args.peak_gflops, "peak_percent": 100 * gflops / args.peak_gflops,
        }, timing, warmup, env))
    return rows


# ---------------------------------------------------------------------------------------------
# attention

def attention_label(seq):
    return f"b{ATTENTION_BATCH} h{ATTENTION_HEADS} t{seq} d{ATTENTION_HEAD_DIM} causal"


def bench_attention(torch, args, env):
    import torch.nn.functional as F
    generator = torch.Generator().manual_seed(args.seed)
    warmup, repeats = args.warmup_for("attention"), args.repeats_for("attention")
    rows = []
    for seq in ATTENTION_LENGTHS:
        shape = (ATTENTION_BATCH, ATTENTION_HEADS, seq, ATTENTION_HEAD_DIM)
        q, k, v = (torch.randn(*shape, generator=generator).requires_grad_() for _ in range(3))
        output_gradient = torch.randn(*shape, generator=generator)

        def forward():
            F.scaled_dot_product_attention(q, k, v, is_causal=True)

        def forward_backward():
            for tensor in (q, k, v):
                tensor.grad = None
            F.scaled_dot_product_attention(q, k, v, is_causal=True).backward(output_gradient)

        forward_timing = measure(forward, warmup, repeats, args.min_sample_ms / 1000)
        both_timing = measure(forward_backward, warmup, repeats, args.min_sample_ms / 1000)
        rows.append(annotate({
            "benchmark": "attention", "implementation": "pytorch", "case": attention_label(seq),
            "batch": ATTENTION_BATCH, "heads": ATTENTION_HEADS, "seq": seq, "head_dim": ATTENTION_HEAD_DIM,
            "causal": True, "forward_ms": forward_timing.median * 1e3,
            "forward_backward_ms": both_timing.median * 1e3, "forward_min_ms": forward_timing.minimum * 1e3,
            "forward_backward_min_ms": both_timing.minimum * 1e3,
        }, both_timing, warmup, env))
    return rows


# ---------------------------------------------------------------------------------------------
# train-step: the Swift `Models.LanguageModel` architecture in plain torch

def build_decoder(torch, seed, lora):
    """The decoder of `kernel-bench train-step` (Hugging Face Llama parameter names)."""
    import torch.nn as nn
    import torch.nn.functional as F

    vocab, width, heads = MODEL["vocab"], MODEL["d_model"], MODEL["heads"]
    head_dim = width // heads

    class LoRALinear(nn.Module):
        """Frozen Linear plus (alpha / r) * B A applied to dropout(x); B starts at zero (Hu et al., 2022)."""

        def __init__(self, base):
            super().__init__()
            self.base = base
            self.lora_A = nn.Parameter(torch.empty(LORA["rank"], base.in_features))
            self.lora_B = nn.Parameter(torch.zeros(base.out_features, LORA["rank"]))
            nn.init.kaiming_uniform_(self.lora_A, a=math.sqrt(5))
            self.dropout = nn.Dropout(LORA["dropout"])
            self.scale = LORA["alpha"] / LORA["rank"]

        def forward(self, x):
            return self.base(x) + F.linear(F.linear(self.dropout(x), self.lora_A), self.lora_B) * self.scale

    def rotate_half(x):
        first, second = x.chunk(2, dim=-1)
        return torch.cat((-second, first), dim=-1)

    class Attention(nn.Module):
        def __init__(self):
            super().__init__()
            self.q_proj = nn.Linear(width, width, bias=False)
            self.k_proj = nn.Linear(width, width, bias=False)
            self.v_proj = nn.Linear(width, width, bias=False)
            self.o_proj = nn.Linear(width, width, bias=False)

        def forward(self, x, cos, sin, cache=None, index=0):
            """`cache` (inference): a list with one (k, v) pair or None per layer; this layer's keys
            and values [B, H, T, D] are appended to entry `index` and attention runs over all of
            them. A multi-token call needs an empty cache (prefill), later calls take one token."""
            batch, length, _ = x.shape

            def split(y):                                   # [B, T, C] -> [B, H, T, D]
                return y.view(batch, length, heads, head_dim).transpose(1, 2)

            q, k, v = split(self.q_proj(x)), split(self.k_proj(x)), split(self.v_proj(x))
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            if cache is not None:
                if cache[index] is not None:
                    if length != 1:
                        raise ValueError("decoder: with a filled cache, feed one token at a time")
                    k = torch.cat((cache[index][0], k), dim=2)
                    v = torch.cat((cache[index][1], v), dim=2)
                cache[index] = (k, v)
            # Causal for the prompt; one new token sees every cached key, so it needs no mask.
            out = F.scaled_dot_product_attention(q, k, v, is_causal=length > 1)
            return self.o_proj(out.transpose(1, 2).reshape(batch, length, width))

    class MLP(nn.Module):
        def __init__(self):
            super().__init__()
            self.gate_proj = nn.Linear(width, MODEL["hidden"], bias=False)
            self.up_proj = nn.Linear(width, MODEL["hidden"], bias=False)
            self.down_proj = nn.Linear(MODEL["hidden"], width, bias=False)

        def forward(self, x):
            return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))

    class DecoderLayer(nn.Module):
        def __init__(self):
            super().__init__()
            self.self_attn = Attention()
            self.mlp = MLP()
            self.input_layernorm = nn.RMSNorm(width, eps=MODEL["norm_eps"])
            self.post_attention_layernorm = nn.RMSNorm(width, eps=MODEL["norm_eps"])

        def forward(self, x, cos, sin, cache=None, index=0):
            h = x + self.self_attn(self.input_layernorm(x), cos, sin, cache, index)
            return h + self.mlp(self.post_attention_layernorm(h))

    class Decoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.embed_tokens = nn.Embedding(vocab, width)
            nn.init.normal_(self.embed_tokens.weight, std=0.02)
            self.layers = nn.ModuleList(DecoderLayer() for _ in range(MODEL["layers"]))
            self.norm = nn.RMSNorm(width, eps=MODEL["norm_eps"])
            self.lm_head = nn.Linear(width, vocab, bias=False)

        def hidden_states(self, ids, cache=None):
            """Final normalised hidden states [B, T, C]; with a cache, positions start after the cached ones."""
            length = ids.shape[1]
            offset = cache[0][0].shape[2] if cache is not None and cache[0] is not None else 0
            # Rotary tables [T, D]: angle t * base^(-2i/D), halves repeated (rotate-half layout).
            inverse_frequency = MODEL["rotary_base"] ** (-torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
            positions = torch.arange(offset, offset + length, dtype=torch.float64)
            angles = torch.outer(positions, inverse_frequency)
            angles = torch.cat((angles, angles), dim=-1)
            cos, sin = angles.cos().float(), angles.sin().float()
            h = self.embed_tokens(ids)
            for index, layer in enumerate(self.layers):
                h = layer(h, cos, sin, cache, index)
            return self.norm(h)

        def forward(self, ids):
            return self.lm_head(self.hidden_states(ids))

        def new_cache(self):
            """An empty KV cache: one (k, v) slot per layer."""
            return [None] * len(self.layers)

    torch.manual_seed(seed)
    model = Decoder()
    if lora:
        for parameter in model.parameters():
            parameter.requires_grad_(False)
        for layer in model.layers:
            for name in LORA["targets"]:
                setattr(layer.self_attn, name, LoRALinear(getattr(layer.self_attn, name)))
    return model.train()


def bench_train_step(torch, args, env):
    import torch.nn.functional as F
    warmup, repeats = args.warmup_for("train-step"), args.repeats_for("train-step")
    batch, seq, vocab = args.batch, args.seq, MODEL["vocab"]
    rows = []
    for lora in ([False, True] if args.lora else [False]):
        model = build_decoder(torch, args.seed, lora)
        trainable = [p for p in model.parameters() if p.requires_grad]
        optimizer = torch.optim.AdamW(trainable, lr=1e-3)
        generator = torch.Generator().manual_seed(args.seed + 1)
        batches = [torch.randint(0, vocab, (batch, seq + 1), generator=generator) for _ in range(warmup + repeats)]
        samples, losses = [], []
        for index, tokens in enumerate(batches):
            inputs, targets = tokens[:, :-1], tokens[:, 1:]
            start = time.perf_counter()
            optimizer.zero_grad(set_to_none=True)
            logits = model(inputs)                                            # [B, T, V]
            loss = F.cross_entropy(logits.reshape(-1, vocab), targets.reshape(-1))
            loss.backward()
            optimizer.step()
            losses.append(loss.item())
            elapsed = time.perf_counter() - start
            if index >= warmup:
                samples.append(elapsed)
        timing = Timing(samples, 1)
        rows.append(annotate({
            "benchmark": "train-step", "implementation": "pytorch", "case": "lora r8 a32 q,v" if lora else "full",
            "vocab": vocab, "d_model": MODEL["d_model"], "layers": MODEL["layers"], "heads": MODEL["heads"],
            "hidden": MODEL["hidden"], "batch": batch, "seq": seq,
            "parameters": sum(p.numel() for p in model.parameters()),
            "trainable_parameters": sum(p.numel() for p in trainable),
            "step_ms": timing.median * 1e3, "min_step_ms": timing.minimum * 1e3,
            "tokens_per_second": batch * seq / timing.median, "first_loss": losses[0], "last_loss": losses[-1],
        }, timing, warmup, env))
    return rows


# ---------------------------------------------------------------------------------------------
# generate: batched greedy decoding with a KV cache

def generate_label(batch, prompt, new_tokens):
    return f"b{batch} p{prompt} n{new_tokens} greedy"


def greedy_generate(torch, model, prompt_ids, new_tokens):
    """Ids [B, new_tokens]: the prompt forward fills the cache and gives the first token, then one
    single-token step per further token. Always `new_tokens` tokens (no stop token)."""
    with torch.no_grad():
        cache = model.new_cache()
        hidden = model.hidden_states(prompt_ids, cache)                       # [B, P, C]
        next_ids = model.lm_head(hidden[:, -1]).argmax(dim=-1)                # [B]
        generated = [next_ids]
        for _ in range(new_tokens - 1):
            hidden = model.hidden_states(next_ids[:, None], cache)            # [B, 1, C]
            next_ids = model.lm_head(hidden[:, -1]).argmax(dim=-1)
            generated.append(next_ids)
        return torch.stack(generated, dim=1)


def bench_generate(torch, args, env):
    warmup, repeats = args.warmup_for("generate"), args.repeats_for("generate")
    batch, prompt, new_tokens, vocab = args.batch, args.prompt, args.new_tokens, MODEL["vocab"]
    model = build_decoder(torch, args.seed, lora=False).eval()
    generator = torch.Generator().manual_seed(args.seed + 1)
    prompt_ids = torch.randint(0, vocab, (batch, prompt), generator=generator)

    # Greedy decoding is deterministic: the 1-token call must give each sequence's first token.
    reference = greedy_generate(torch, model, prompt_ids, new_tokens)
    if tuple(reference.shape) != (batch, new_tokens):
        sys.exit(f"pytorch_reference.py: generate produced {tuple(reference.shape)}, expected {(batch, new_tokens)}")
    if not torch.equal(greedy_generate(torch, model, prompt_ids, 1)[:, 0], reference[:, 0]):
        sys.exit("pytorch_reference.py: generate: the 1-token call disagrees with the first generated tokens")

    minimum = args.min_sample_ms / 1000
    prefill = measure(lambda: greedy_generate(torch, model, prompt_ids, 1), warmup, repeats, minimum)
    full = measure(lambda: greedy_generate(torch, model, prompt_ids, new_tokens), warmup, repeats, minimum)
    decode_steps = new_tokens - 1
    decode_seconds = full.median - prefill.median
    return [annotate({
        "benchmark": "generate", "implementation": "pytorch", "case": generate_label(batch, prompt, new_tokens),
        "vocab": vocab, "d_model": MODEL["d_model"], "layers": MODEL["layers"], "heads": MODEL["heads"],
        "hidden": MODEL["hidden"], "batch": batch, "prompt": prompt, "new_tokens": new_tokens,
        "parameters": sum(p.numel() for p in model.parameters()),
        "prefill_ms": prefill.median * 1e3, "decode_ms": decode_seconds * 1e3,
        "decode_step_ms": decode_seconds / decode_steps * 1e3,
        "decode_tokens_per_second": batch * decode_steps / decode_seconds,
        "total_ms": full.median * 1e3, "total_tokens_per_second": batch * new_tokens / full.median,
        "min_prefill_ms": prefill.minimum * 1e3, "min_total_ms": full.minimum * 1e3,
        "distinct_generated_tokens": len(set(reference.flatten().tolist())),
    }, full, warmup, env)]


RUNNERS = {"matmul": bench_matmul, "attention": bench_attention, "train-step": bench_train_step,
           "generate": bench_generate}


# ---------------------------------------------------------------------------------------------
# Output

def render_table(title, columns, rows):
    """Plain-text table: first column left-aligned, the rest right-aligned."""
    widths = [max(len(str(cell)) for cell in [column] + [row[i] for row in rows]) for i, column in enumerate(columns)]

    def line(cells):
        return "  ".join(str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(cells, widths)))

    return "\n".join([title, line(columns), "  ".join("-" * w for w in widths)] + [line(r) for r in rows])


def print_run_tables(rows, env):
    print(f"Library: {env['blas']}")
    print(f"Threads: {env['threads']} intra-op, {env['interop_threads']} inter-op")
    print(f"Date: {env['date']}")
    busy = " (busy machine, timings are pessimistic)" if env["load_average"] > (os.cpu_count() or 1) else ""
    print(f"Load average (1 min) at start: {env['load_average']:.2f}{busy}")
    for benchmark in BENCHMARKS:
        selected = [r for r in rows if r["benchmark"] == benchmark]
        if not selected:
            continue
        print()
        if benchmark == "matmul":
            print(render_table(f"matmul (PyTorch torch.mm), median of {selected[0]['repeats']}",
                               ["shape", "median ms", "min ms", "GFLOPS", "% of peak"],
                               [[r["case"], f"{r['median_ms']:.3f}", f"{r['min_ms']:.3f}", f"{r['gflops']:.1f}",
                                 f"{r['peak_percent']:.1f}"] for r in selected]))
        elif benchmark == "attention":
            print(render_table(f"attention (PyTorch F.scaled_dot_product_attention, is_causal), median of "
                               f"{selected[0]['repeats']}",
                               ["shape", "forward ms", "forward+backward ms", "backward ms"],
                               [[r["case"], f"{r['forward_ms']:.2f}", f"{r['forward_backward_ms']:.2f}",
                                 f"{r['forward_backward_ms'] - r['forward_ms']:.2f}"] for r in selected]))
        elif benchmark == "generate":
            print(render_table(f"generate (PyTorch, greedy, KV cache, torch.no_grad), median of {selected[0]['repeats']}",
                               ["case", "prefill ms", "decode ms/step", "decode tok/s", "total ms", "total tok/s"],
                               [[r["case"], f"{r['prefill_ms']:.2f}", f"{r['decode_step_ms']:.2f}",
                                 f"{r['decode_tokens_per_second']:.0f}", f"{r['total_ms']:.1f}",
                                 f"{r['total_tokens_per_second']:.0f}"] for r in selected]))
        else:
            print(render_table(f"train-step (PyTorch, AdamW lr 1e-3), median of {selected[0]['repeats']} steps",
                               ["case", "parameters", "trainable", "step ms", "tokens/s", "first loss", "last loss"],
                               [[r["case"], f"{r['parameters']:,}", f"{r['trainable_parameters']:,}",
                                 f"{r['step_ms']:.1f}", f"{r['tokens_per_second']:.0f}", f"{r['first_loss']:.4f}",
                                 f"{r['last_loss']:.4f}"] for r in selected]))


# Per benchmark: (JSON field, column label, higher is better).
COMPARED_METRICS = {
    "matmul": [("gflops", "GFLOPS", True)],
    "attention": [("forward_ms", "fwd ms", False), ("forward_backward_ms", "fwd+bwd ms", False)],
    "train-step": [("tokens_per_second", "tokens/s", True)],
    # decode ms/step would repeat the decode tok/s ratio; it is in the JSON rows and the run tables.
    "generate": [("prefill_ms", "prefill ms", False), ("decode_tokens_per_second", "decode tok/s", True),
                 ("total_tokens_per_second", "total tok/s", True)],
}


def comparison_rows(swift_rows, torch_rows):
    """One row per (benchmark, case, metric) with ratio = Swift speed / PyTorch speed."""
    torch_by_key = {(r["benchmark"], r["case"]): r for r in torch_rows}
    result = []
    for swift in swift_rows:
        reference = torch_by_key.get((swift["benchmark"], swift["case"]))
        if reference is None:
            continue
        for field, label, higher_is_better in COMPARED_METRICS[swift["benchmark"]]:
            s, t = swift[field], reference[field]
            ratio = (s / t) if higher_is_better else (t / s)
            entry = {"benchmark": swift["benchmark"], "implementation": "comparison", "case": swift["case"],
                     "metric": field, "swift": s, "pytorch": t, "ratio": ratio,
                     "swift_load_average": swift.get("load_average"), "pytorch_load_average": reference["load_average"]}
            if swift["benchmark"] == "train-step":
                entry.update(swift_parameters=swift["parameters"], pytorch_parameters=reference["parameters"],
                             swift_trainable=swift["trainable_parameters"],
                             pytorch_trainable=reference["trainable_parameters"])
            result.append(entry)
    return result


def summarize_rounds(comparisons):
    """One row per (benchmark, case, metric) over the rounds of `compare --rounds`: the median
    Swift and PyTorch values, and the median, lowest and highest of the per-round ratios (each
    round's two sides ran back to back, so its ratio is the figure that survives a machine whose
    speed drifts from minute to minute)."""
    groups = {}
    for c in comparisons:
        groups.setdefault((c["benchmark"], c["case"], c["metric"]), []).append(c)
    result = []
    for rows in groups.values():
        summary = dict(rows[0])
        summary.pop("round", None)
        ratios = [r["ratio"] for r in rows]
        summary.update(swift=statistics.median(r["swift"] for r in rows),
                       pytorch=statistics.median(r["pytorch"] for r in rows),
                       ratio=statistics.median(ratios), ratio_min=min(ratios), ratio_max=max(ratios),
                       rounds=len(rows), implementation="comparison-summary")
        result.append(summary)
    return result


def format_ratio(c):
    if c.get("rounds", 1) > 1:
        return f"{c['ratio']:.2f} ({c['ratio_min']:.2f}-{c['ratio_max']:.2f})"
    return f"{c['ratio']:.2f}"


def print_comparison(comparisons, swift_rows, env):
    # The library runs OpenBLAS single-threaded and splits GEMMs over its own kernel threads
    # (FEDVLM_THREADS), so those are the threads the Swift side computes with.
    print(f"Swift BLAS: {swift_rows[0]['blas']}, GEMM kernel {swift_rows[0].get('gemm_kernel', 'BLAS')} "
          f"({swift_rows[0].get('kernel_threads', swift_rows[0]['threads'])} kernel threads)" if swift_rows else "")
    print(f"PyTorch:    {env['blas']} ({env['threads']} threads)")
    print("ratio = Swift speed / PyTorch speed (> 1: Swift faster)")
    rounds = max((c.get("rounds", 1) for c in comparisons), default=1)
    if rounds > 1:
        print(f"{rounds} rounds, Swift and PyTorch back to back in each (alternating which goes first): "
              "values are medians over the rounds, ratio = median of the per-round ratios (lowest-highest)")
    print(f"load = 1-minute load average when each side started; above {os.cpu_count()} (the cores) the "
          "machine was shared and the timings are pessimistic")
    for benchmark in BENCHMARKS:
        selected = [c for c in comparisons if c["benchmark"] == benchmark]
        if not selected:
            continue
        print()
        swift_load = selected[0]["swift_load_average"]
        loads = (f"load Swift {float('nan') if swift_load is None else swift_load:.2f}, "
                 f"PyTorch {selected[0]['pytorch_load_average']:.2f}")
        if benchmark == "train-step":
            print(render_table(f"train-step (tokens/s; {loads})",
                               ["case", "Swift params", "PyTorch params", "Swift trainable", "PyTorch trainable",
                                "Swift tok/s", "PyTorch tok/s", "ratio"],
                               [[c["case"], f"{c['swift_parameters']:,}", f"{c['pytorch_parameters']:,}",
                                 f"{c['swift_trainable']:,}", f"{c['pytorch_trainable']:,}", f"{c['swift']:.0f}",
                                 f"{c['pytorch']:.0f}", format_ratio(c)] for c in selected]))
            continue
        columns, table_rows = ["case"], {}
        for field, label, _ in COMPARED_METRICS[benchmark]:
            columns += [f"Swift {label}", f"PyTorch {label}", "ratio"]
        for c in selected:
            digits = 0 if c["metric"].endswith("tokens_per_second") else 1 if c["metric"] == "gflops" else 2
            table_rows.setdefault(c["case"], [c["case"]]).extend(
                [f"{c['swift']:.{digits}f}", f"{c['pytorch']:.{digits}f}", format_ratio(c)])
        print(render_table(f"{benchmark} ({loads})", columns, list(table_rows.values())))


# ---------------------------------------------------------------------------------------------
# Swift side

def ensure_binary(path):
    """Builds kernel-bench in release mode when `path` does not exist (scratch path taken from it)."""
    if os.path.exists(path):
        return
    command = ["swift", "build", "-c", "release", "--product", "kernel-bench"]
    parts = os.path.normpath(path).split(os.sep)
    if len(parts) >= 3 and parts[-1] == "kernel-bench" and parts[-2] == "release":
        scratch = os.sep.join(parts[:-2]) or "."
        if scratch != ".build":
            command += ["--scratch-path", scratch]
    print(f"{path} not found; building: {' '.join(command)}", file=sys.stderr)
    subprocess.run(command, check=True)
    if not os.path.exists(path):
        sys.exit(f"pytorch_reference.py: {' '.join(command)} did not produce {path}; pass --binary")


def run_swift(args, benchmarks):
    rows = []
    for benchmark in benchmarks:
        command = [args.binary, benchmark, "--json", "--seed", str(args.seed), "--min-sample-ms", str(args.min_sample_ms)]
        if args.repeats is not None:
            command += ["--repeats", str(args.repeats)]
        if args.warmup is not None:
            command += ["--warmup", str(args.warmup)]
        if benchmark == "matmul":
            command += ["--peak-gflops", str(args.peak_gflops)]
        if benchmark == "train-step":
            command += ["--batch", str(args.batch), "--seq", str(args.seq)] + (["--lora"] if args.lora else [])
        if benchmark == "generate":
            command += ["--batch", str(args.batch), "--prompt", str(args.prompt), "--new-tokens", str(args.new_tokens)]
        print(f"running {' '.join(command)}", file=sys.stderr)
        completed = subprocess.run(command, check=True, capture_output=True, text=True)
        for number, line in enumerate(completed.stdout.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as error:
                sys.exit(f"pytorch_reference.py: line {number} of `{' '.join(command)}` is not JSON ({error}): {line!r}")
    return rows


# ---------------------------------------------------------------------------------------------
# Command line

def parse_arguments(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("run", "run the PyTorch benchmarks"),
                            ("compare", "run kernel-bench and PyTorch and compare them")):
        p = sub.add_parser(name, help=help_text)
        p.add_argument("benchmark", nargs="?", default="all", choices=BENCHMARKS + ("all",))
        p.add_argument("--json", action="store_true", help="print one JSON object per row instead of tables")
        p.add_argument("--repeats", type=int, help="timed samples per configuration (default per benchmark: "
                       + ", ".join(f"{k} {v}" for k, v in DEFAULT_REPEATS.items()) + ")")
        p.add_argument("--warmup", type=int, help="untimed calls before timing")
        p.add_argument("--min-sample-ms", type=float, default=20.0,
                       help="shortest timed sample; fast kernels repeat within a sample (default 20)")
        p.add_argument("--seed", type=int, default=0, help="seed of the random inputs")
        p.add_argument("--peak-gflops", type=float, default=480.0, help="fp32 peak for the %% of peak column")
        p.add_argument("--threads", type=int, default=os.cpu_count(), help="torch intra-op threads (default: all cores)")
        p.add_argument("--batch", type=int, default=16, help="train-step, generate: sequences per batch (default 16)")
        p.add_argument("--seq", type=int, default=128, help="train-step: tokens per sequence (default 128)")
        p.add_argument("--lora", action="store_true", help="train-step: add the LoRA row (r 8, alpha 32 on q and v)")
        p.add_argument("--prompt", type=int, default=64, help="generate: tokens per prompt (default 64)")
        p.add_argument("--new-tokens", type=int, default=64,
                       help="generate: tokens generated per prompt, at least 2 (default 64)")
        if name == "compare":
            p.add_argument("--binary", default=".build/release/kernel-bench", help="the Swift kernel-bench executable")
            p.add_argument("--output", default="kernel-bench-compare.jsonl",
                           help="file for the JSON lines of both sides and the ratios")
            p.add_argument("--rounds", type=int, default=1,
                           help="run each benchmark this many times on both sides, back to back and "
                                "alternating which side goes first, and report the median ratio (default 1)")
    args = parser.parse_args(argv)
    if args.repeats is not None and args.repeats < 1:
        parser.error(f"--repeats must be at least 1, got {args.repeats}")
    if args.warmup is not None and args.warmup < 0:
        parser.error(f"--warmup must not be negative, got {args.warmup}")
    if not args.peak_gflops > 0:
        parser.error(f"--peak-gflops must be positive, got {args.peak_gflops}")
    if args.batch < 1 or args.seq < 1:
        parser.error(f"--batch and --seq must be at least 1, got {args.batch} and {args.seq}")
    if args.prompt < 1 or args.new_tokens < 2:
        parser.error(f"--prompt must be at least 1 and --new-tokens at least 2, got {args.prompt} and {args.new_tokens}")
    if getattr(args, "rounds", 1) < 1:
        parser.error(f"--rounds must be at least 1, got {args.rounds}")
    if args.threads is None or args.threads < 1:
        parser.error(f"--threads must be at least 1, got {args.threads}")
    args.repeats_for = lambda benchmark: args.repeats if args.repeats is not None else DEFAULT_REPEATS[benchmark]
    args.warmup_for = lambda benchmark: args.warmup if args.warmup is not None else DEFAULT_WARMUP[benchmark]
    return args


def main(argv):
    args = parse_arguments(argv)
    benchmarks = BENCHMARKS if args.benchmark == "all" else (args.benchmark,)
    if args.command == "compare":
        ensure_binary(args.binary)
    torch = import_torch()
    torch.set_num_threads(args.threads)
    swift_rows, torch_rows, comparisons = [], [], []
    # Benchmark by benchmark, the two sides back to back, so the two sides of each comparison
    # run close together in time (the machine may be shared) and never at the same time. With
    # --rounds, each benchmark runs again with the other side first.
    rounds = args.rounds if args.command == "compare" else 1
    for benchmark in benchmarks:
        for round_index in range(rounds):
            swift_round, torch_round = [], []
            sides = ("swift", "torch") if round_index % 2 == 0 else ("torch", "swift")
            for side in sides:
                if side == "swift" and args.command == "compare":
                    swift_round = run_swift(args, [benchmark])
                elif side == "torch":
                    env = environment(torch)
                    torch_round = RUNNERS[benchmark](torch, args, env)
            round_comparisons = comparison_rows(swift_round, torch_round)
            if rounds > 1:
                for row in swift_round + torch_round + round_comparisons:
                    row["round"] = round_index
            swift_rows += swift_round
            torch_rows += torch_round
            comparisons += round_comparisons

    if args.command == "run":
        if args.json:
            for row in torch_rows:
                print(json.dumps(row))
        else:
            print_run_tables(torch_rows, env)
        return

    summaries = summarize_rounds(comparisons) if rounds > 1 else comparisons
    with open(args.output, "w") as output:
        for row in swift_rows + torch_rows + comparisons + (summaries if rounds > 1 else []):
            output.write(json.dumps(row) + "\n")
    if args.json:
        for row in summaries:
            print(json.dumps(row))
    else:
        print_comparison(summaries, swift_rows, env)
        print(f"\nJSON lines (both sides and ratios): {args.output}")


if __name__ == "__main__":
    main(sys.argv[1:])
