#!/usr/bin/env python3
"""Streams float logits from Python into a .kldz through kldkit.KldzWriter
and reports the peak memory (ru_maxrss) and the rate: the writer's memory
must not grow with the file. Logits are generated in the process, a slice
at a time (nothing is memory-mapped), as an evaluator produces them.

    PYTHONPATH=python KLDKIT_LIBRARY=build/lib/libkldkit.so \\
      /usr/bin/python3 benchmarks/python_stream_bench.py [--gb 2] \\
      [--vocab 248320] [--n-ctx 512] [--threads 2] [--max-rss-mb 300]

Exit status 1 if the peak exceeds --max-rss-mb.
"""
import argparse
import os
import resource
import sys
import tempfile
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), os.pardir,
                                "python"))
import kldkit  # noqa: E402


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--gb", type=float, default=2.0,
                   help="float32 logits to stream, in 1e9 bytes")
    p.add_argument("--vocab", type=int, default=248320)
    p.add_argument("--n-ctx", type=int, default=512)
    p.add_argument("--threads", type=int, default=2)
    p.add_argument("--slice", type=int, default=8, help="rows per append")
    p.add_argument("--max-rss-mb", type=float, default=300)
    p.add_argument("--dir", default=None, help="where the .kldz goes")
    a = p.parse_args()
    per_chunk = a.n_ctx - 1 - a.n_ctx // 2
    rows_wanted = int(a.gb * 1e9 / (4 * a.vocab))
    n_chunk = max(1, -(-rows_wanted // per_chunk))
    rows = n_chunk * per_chunk
    rng = np.random.default_rng(0)
    tokens = rng.integers(0, a.vocab, a.n_ctx * n_chunk, dtype=np.int32)
    start_rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    with tempfile.TemporaryDirectory(dir=a.dir) as tmp:
        path = os.path.join(tmp, "stream.kldz")
        t0 = time.perf_counter()
        gen = 0.0
        with kldkit.KldzWriter(path, n_ctx=a.n_ctx, n_vocab=a.vocab,
                               tokens=tokens, threads=a.threads) as w:
            for first in range(0, rows, a.slice):
                n = min(a.slice, rows - first)
                g0 = time.perf_counter()
                logits = rng.standard_normal((n, a.vocab), dtype=np.float32)
                logits *= 2.5
                gen += time.perf_counter() - g0
                w.append_logits(logits)
        seconds = time.perf_counter() - t0
        size = os.path.getsize(path)
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    streamed = rows * a.vocab * 4 / 1e9
    print(f"streamed {streamed:.2f} GB of float32 logits ({rows} rows x "
          f"{a.vocab}) into a {size / 1e6:.0f} MB .kldz on {a.threads} "
          f"threads in {seconds:.1f} s ({rows / (seconds - gen):.0f} rows/s "
          f"without the {gen:.1f} s of generation)")
    print(f"peak RSS {peak:.0f} MB (at start {start_rss:.0f} MB; limit "
          f"{a.max_rss_mb:.0f} MB)")
    return 0 if peak <= a.max_rss_mb else 1


if __name__ == "__main__":
    sys.exit(main())
