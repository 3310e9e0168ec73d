#!/usr/bin/env python3
"""Compare a quantized model's logits with a base file and print the
llama.cpp-style report -- a notebook-style walk through the kldkit bindings.

    compare_files.py BASE MODEL [--mode llamacpp|tail|exact] [--threads N]
    compare_files.py --demo        # generated data, no files needed

BASE: a llama.cpp base file (llama-perplexity --kl-divergence-base) or a
.kldz container. MODEL: another such file, or float logits as a .npy array
of shape (rows, n_vocab) in the base file's row order.
"""
import argparse
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir))
import kldkit  # noqa: E402


def make_demo(folder):
    """A small evaluation: base logits stored as llama.cpp does, and a
    "quantized" model that adds noise to them."""
    rng = np.random.default_rng(0)
    n_ctx, n_chunk, n_vocab = 32, 8, 500
    n_rows = n_chunk * (n_ctx - 1 - n_ctx // 2)
    logits = rng.normal(0, 3, (n_rows, n_vocab)).astype(np.float32)
    tokens = rng.integers(0, n_vocab, n_ctx * n_chunk, dtype=np.int32)
    base = os.path.join(folder, "demo-base.logits")
    model = os.path.join(folder, "demo-model.npy")
    kldkit.write_llama_file(base, n_ctx, tokens, logits)
    noisy = logits + rng.normal(0, 0.3, logits.shape).astype(np.float32)
    np.save(model, noisy)
    return base, model


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("base", nargs="?")
    parser.add_argument("model", nargs="?")
    parser.add_argument("--mode", default="llamacpp",
                        choices=["llamacpp", "tail", "exact"])
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--worst", type=int, default=5,
                        help="list the N tokens of largest KLD")
    parser.add_argument("--demo", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        if args.demo:
            args.base, args.model = make_demo(tmp)
        elif not (args.base and args.model):
            parser.error("BASE and MODEL are needed (or --demo)")

        # 1. Open both files: headers, rows and targets come back as numpy.
        with kldkit.Reader(args.base) as base, \
                kldkit.Reader(args.model) as model:
            h = base.header
            print(f"base : {args.base} ({h.kind}, {h.n_rows} rows, "
                  f"n_vocab {h.n_vocab})")
            print(f"model: {args.model} ({model.header.kind}, "
                  f"{model.header.n_rows} rows)")
            n = min(h.n_rows, model.header.n_rows)
            base_rows = base.rows(0, n)
            model_rows = model.rows(0, n)
            targets = base.targets(0, n)

        # 2. Compare every row; keep the per-token results.
        report, tokens = kldkit.compare(
            base_rows, model_rows, targets, mode=args.mode,
            threads=args.threads, n_vocab=h.n_vocab, per_token=True)

        # 3. The report, as llama.cpp prints it.
        print(report.text())

        # 4. The worst tokens.
        order = np.argsort(-np.nan_to_num(tokens["kld"], nan=-1.0))
        print(f"{args.worst} largest KLD: row, target, KLD, p_base -> p")
        for i in order[:args.worst]:
            t = tokens[i]
            print(f"  {i:6d} {targets[i]:7d} {t['kld']:10.6f} "
                  f"{t['p_base']:.4f} -> {t['p']:.4f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
