#!/usr/bin/env python3
"""Groups the symbols of a `perf record` profile into the rows of Docs/Performance.md.

Usage: python3 Benchmarks/perf_categories.py PERF_DATA  (prints Markdown table rows)
"""
import re, subprocess, sys
data = sys.argv[1]
out = subprocess.run(["perf", "report", "-i", data, "--no-children", "--sort", "symbol", "-g", "none", "--percent-limit", "0"],
                     capture_output=True, text=True).stdout
cats = [
    ("GEMM (our SGEMM or OpenBLAS: kernels and packing)", r"sgemm|saxpy|sgemv|sdot|packedTile|directATile|directTile|packTransposed|packA|packB|fedvlm_sgemm|tilePairProducts|tileProducts|^accumulate\b"),
    ("attention (scores, softmax, mask)", r"scaledDotProductAttention|softmaxBackward|VectorMathO10expShifted|AttentionKernel|TensorV7softmax"),
    ("exp/sigmoid (vectorised)", r"VectorMathO3exp|VectorMathO12expOfClamped|VectorMathO7sigmoid|expf|__exp|exponentiate|fedvlm_exp_shifted|fedvlm_attention_exponentiate"),
    ("element-wise (add, mul, scale, activations)", r"combine|apply|Kernels|TensorV3map|TensorV3zip|gelu|erff|swiGLU|fedvlm_swiglu"),
    ("norms (RMS/layer norm fwd+bwd)", r"rmsNorm|layerNorm|normBackward|fedvlm_norm_backward"),
    ("rotary embedding", r"rotated|Rotary|fedvlm_rotary"),
    ("cross-entropy and row maxima", r"softmaxCrossEntropy|fedvlm_row_maximum"),
    ("dropout masks (RNG)", r"RandomGenerator|dropout|fillDropoutMask"),
    ("copies, reductions, views", r"memmove|copyElements|forEachRow|contiguous|TensorV3sum|reduce|concatenate|gather|scatter"),
    ("allocation and zeroing (malloc, memset, page faults)", r"malloc|_int_free|free|memset|clear_page|page_fault|mem_cgroup|memcg|handle_mm|lruvec|alloc"),
    ("optimizer (AdamW)", r"AdamW|fedvlm_adamw"),
    ("Swift runtime (retain/release, uniqueness, dictionaries)", r"swift_|Dictionary|Hasher|_stdlib"),
    ("threads and scheduling", r"sched|dispatch|futex|finish_task_switch|spin_|schedule"),
    # The pool's idle helper watching for the next job, and a caller waiting for the last chunks.
    ("pool: idle helper spinning, waits for chunks", r"helperMain|fedvlm_pool_run|awaitJob|claimAndRun"),
]
totals = {c[0]: 0.0 for c in cats}; other = 0.0
for line in out.splitlines():
    m = re.match(r"\s+([0-9.]+)%\s+\[.\]\s+(.*)|\s+([0-9.]+)%\s+\[k\]\s+(.*)", line)
    if not m: continue
    pct = float(m.group(1) or m.group(3)); sym = (m.group(2) or m.group(4)).strip()
    for name, pattern in cats:
        if re.search(pattern, sym):
            totals[name] += pct; break
    else:
        other += pct
for name, _ in cats: print(f"| {name} | {totals[name]:.1f} % |")
print(f"| other | {other:.1f} % |")
