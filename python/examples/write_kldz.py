#!/usr/bin/env python3
"""A Python evaluator's base run straight into a compressed .kldz, chunk by
chunk, then the quantized run scored against it -- no llama.cpp file.

    write_kldz.py [--rows-per-chunk N] [--vocab V] [--threads T] [--keep kld]

A made-up "model" stands in for an inference engine: each chunk's logits
come from model_logits(), as they would from vLLM, exllama or
transformers, in llama.cpp's row order (scored positions n_ctx/2 .. n_ctx-2
of each chunk; the row at position j predicts token j + 1).
"""
import argparse
import math
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))
import kldkit  # noqa: E402


def model_logits(rng, chunk_tokens, first, n_vocab, noise):
    """Stand-in for a forward pass: logits of the scored positions of one
    chunk, peaked on the token that follows; `noise` plays quantization."""
    n = len(chunk_tokens) - 1 - first
    logits = rng.normal(0, 2.5, (n, n_vocab)).astype(np.float32)
    follows = chunk_tokens[first + 1:first + 1 + n]
    logits[np.arange(n), follows] += 6
    return logits + np.float32(noise) * rng.normal(0, 1, logits.shape).astype(
        np.float32)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n-ctx", type=int, default=64)
    parser.add_argument("--chunks", type=int, default=6)
    parser.add_argument("--vocab", type=int, default=4000)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--keep", default="all", choices=["all", "kld"])
    args = parser.parse_args()
    n_ctx, first = args.n_ctx, args.n_ctx // 2
    tokens = np.random.default_rng(1).integers(
        0, args.vocab, args.n_ctx * args.chunks, dtype=np.int32)

    with tempfile.TemporaryDirectory() as tmp:
        base = os.path.join(tmp, "base.kldz")
        quant = os.path.join(tmp, "quant.npy")
        # 1. The base run: append each chunk's float logits as they come.
        nll = []
        with kldkit.KldzWriter(base, n_ctx=n_ctx, n_vocab=args.vocab,
                               tokens=tokens, threads=args.threads,
                               keep=args.keep,
                               metadata={"model": "demo f16"}) as w:
            for c in range(args.chunks):
                chunk = tokens[c * n_ctx:(c + 1) * n_ctx]
                rows = w.append_logits(model_logits(
                    np.random.default_rng(c), chunk, first, args.vocab, 0))
                nll.extend(rows["nll"])
                print(f"[{c + 1}]{math.exp(np.mean(nll)):.4f},", end="")
        print(f"\nbase PPL = {math.exp(np.mean(nll)):.4f}; "
              f"{os.path.getsize(base)} bytes in {base}")

        # 2. The quantized run's logits (saved here as .npy; a live
        #    evaluator can keep them in memory and use kldkit.compare).
        np.save(quant, np.concatenate([
            model_logits(np.random.default_rng(c),
                         tokens[c * n_ctx:(c + 1) * n_ctx], first,
                         args.vocab, 0.3) for c in range(args.chunks)]))

        # 3. Scored against the stored base, as llama-perplexity does.
        [report] = kldkit.compare_files(base, quant, threads=args.threads)
        print(report.text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
